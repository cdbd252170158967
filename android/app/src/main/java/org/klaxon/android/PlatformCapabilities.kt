package org.klaxon.android

import android.app.NotificationManager
import android.content.Context
import android.os.PowerManager
import android.util.Log
import org.klaxon.android.notify.FullScreen
import org.klaxon.android.notify.PageChannels
import org.klaxon.android.push.PushToken
import org.klaxon.core.ApiException
import org.klaxon.core.Capabilities
import org.klaxon.core.PushPlatform

/**
 * Reads what Android currently allows (notifications, DND access, full
 * screen, battery exemption, push token) and reports it to core, whose
 * `health()` turns each missing piece into a warning the user can fix.
 */
object PlatformCapabilities {
    private const val TAG = "Klaxon"

    /** What the platform allows right now. */
    fun read(context: Context): Capabilities {
        val notifications = context.getSystemService(NotificationManager::class.java)
        val power = context.getSystemService(PowerManager::class.java)
        val token = PushToken.current(context)
        return Capabilities(
            notificationsAllowed = notifications.areNotificationsEnabled(),
            dndAccess = notifications.isNotificationPolicyAccessGranted,
            fullScreenAllowed = FullScreen.allowed(context),
            batteryOptimisationExempt = power.isIgnoringBatteryOptimizations(context.packageName),
            pushPlatform = if (token != null) PushPlatform.FCM else PushPlatform.NONE,
            pushToken = token?.value,
            pushTokenIssuedAt = token?.issuedAt,
        )
    }

    /**
     * Reports now, on the calling thread (a quick SQLite write). The page
     * channels are ensured first: DND access granted since they were made
     * lets the critical channel's bypass take, so what is read back is true.
     */
    fun report(context: Context) {
        PageChannels.ensureAll(context)
        try {
            Core.pager(context).reportCapabilities(read(context))
        } catch (e: ApiException) {
            Log.w(TAG, "could not report capabilities", e)
        }
    }

    /** Reports from a background thread: safe to call from inside a sink callback. */
    fun reportLater(context: Context) {
        val app = context.applicationContext
        Background.run { report(app) }
    }
}
