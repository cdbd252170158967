package org.klaxon.android.push

import android.content.Context
import android.util.Log
import com.google.firebase.FirebaseApp
import com.google.firebase.messaging.FirebaseMessaging
import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.json.JSONObject
import org.klaxon.android.Core
import org.klaxon.android.PlatformCapabilities
import org.klaxon.android.sync.SyncScheduler
import org.klaxon.core.ApiException
import org.klaxon.core.Pager
import org.klaxon.core.PushResult
import org.klaxon.core.PushTokenState

/**
 * FCM's way in — the only file that knows Firebase. A high-priority data
 * message carries the page sealed to this device; core opens it, drops
 * repeats, and through [KlaxonSink] shows and rings it as planned. A page
 * too large to push arrives as "sync needed" (only its alert id): core's
 * `sync()` fetches it and rings it through the same sink, at once.
 */
class KlaxonMessagingService : FirebaseMessagingService() {
    override fun onMessageReceived(message: RemoteMessage) {
        // Core takes the whole data map as JSON (docs/push.md).
        val payload = JSONObject(message.data as Map<*, *>).toString().toByteArray()
        val pager = Core.pager(this)
        try {
            when (val result = pager.receivePush(payload)) {
                is PushResult.Show, PushResult.Duplicate -> Unit // the sink already showed (or ignored) it
                is PushResult.SyncNeeded -> fetchNow(pager, result.alert)
            }
        } catch (e: ApiException) {
            // Not a Klaxon page for this device (or not enrolled): nothing to show.
            Log.w(TAG, "push not handled: ${e.message}")
        }
        // Either way the relay has news (a page, a change): the job pulls it (and retries) when there is a network.
        SyncScheduler.schedule(this)
    }

    /**
     * A sync-needed push: sync now, on FCM's thread, while the high-priority
     * message lets the app run; core presents and rings the page. Bounded,
     * because FCM stops the service after about 20 s; the scheduled job is
     * the fallback.
     */
    private fun fetchNow(pager: Pager, alert: String) {
        try {
            runBlocking { withTimeout(SYNC_NOW_MS) { pager.sync() } }
        } catch (e: ApiException) {
            Log.w(TAG, "sync for the large page $alert failed; the sync job retries", e)
        } catch (e: TimeoutCancellationException) {
            Log.w(TAG, "sync for the large page $alert timed out; the sync job retries")
        }
    }

    override fun onNewToken(token: String) {
        PushToken.save(this, token)
        PlatformCapabilities.report(this)
        SyncScheduler.schedule(this) // core registers a new token at the next sync
    }

    /** Asks Firebase for the token, if this build has Firebase configured. */
    companion object Push {
        private const val TAG = "Klaxon"

        /** How long a sync-needed push may sync inline (FCM allows about 20 s). */
        private const val SYNC_NOW_MS = 15_000L

        /** False when the app was built without google-services.json (then the event stream is used). */
        fun configured(context: Context): Boolean = FirebaseApp.getApps(context).isNotEmpty()

        /** Fetches the token; [unavailable] runs when there is no Google Play (or no Firebase). */
        fun requestToken(context: Context, unavailable: () -> Unit) {
            val app = context.applicationContext
            if (!configured(context)) {
                // A build without Firebase takes pages over the relay's stream, by design.
                PushToken.setState(app, PushTokenState.NOT_USED)
                return unavailable()
            }
            if (PushToken.current(app) == null) PushToken.setState(app, PushTokenState.WAITING)
            FirebaseMessaging.getInstance().token
                .addOnSuccessListener { token ->
                    PushToken.save(app, token)
                    PlatformCapabilities.reportLater(app)
                }
                .addOnFailureListener { e ->
                    Log.w(TAG, "no FCM token; using the relay's event stream", e)
                    PushToken.setState(app, PushTokenState.FAILED)
                    PlatformCapabilities.reportLater(app)
                    unavailable()
                }
        }
    }
}
