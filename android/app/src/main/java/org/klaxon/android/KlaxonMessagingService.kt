package org.klaxon.android

import android.content.Context
import android.util.Log
import com.google.firebase.FirebaseApp
import com.google.firebase.messaging.FirebaseMessaging
import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage
import org.json.JSONObject
import org.klaxon.core.ApiException

/**
 * FCM's way in — the only file that knows Firebase. A high-priority data
 * message carries the page sealed to this device; core opens it, drops
 * repeats, and through [KlaxonSink] shows and rings it as planned.
 */
class KlaxonMessagingService : FirebaseMessagingService() {
    override fun onMessageReceived(message: RemoteMessage) {
        // Core takes the whole data map as JSON (docs/push.md).
        val payload = JSONObject(message.data as Map<*, *>).toString().toByteArray()
        try {
            Core.pager(this).handlePush(payload)
        } catch (e: ApiException.InvalidInput) {
            // A page too large for a push arrives as "sync needed"; anything else is not for us.
            Log.w(TAG, "push not handled: ${e.message}")
        }
        // Either way the relay has news (a page, a change): pull it while the message's priority lets us run.
        SyncScheduler.schedule(this)
    }

    override fun onNewToken(token: String) {
        PushToken.save(this, token)
        PlatformCapabilities.report(this)
        SyncScheduler.schedule(this) // core registers a new token at the next sync
    }

    /** Asks Firebase for the token, if this build has Firebase configured. */
    companion object Push {
        private const val TAG = "Klaxon"

        /** False when the app was built without google-services.json (then the event stream is used). */
        fun configured(context: Context): Boolean = FirebaseApp.getApps(context).isNotEmpty()

        /** Fetches the token; [unavailable] runs when there is no Google Play (or no Firebase). */
        fun requestToken(context: Context, unavailable: () -> Unit) {
            if (!configured(context)) return unavailable()
            val app = context.applicationContext
            FirebaseMessaging.getInstance().token
                .addOnSuccessListener { token ->
                    PushToken.save(app, token)
                    PlatformCapabilities.reportLater(app)
                }
                .addOnFailureListener { e ->
                    Log.w(TAG, "no FCM token; using the relay's event stream", e)
                    unavailable()
                }
        }
    }
}
