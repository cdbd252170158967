package org.klaxon.android

import android.app.ActivityManager
import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Context
import android.os.Build
import android.os.PowerManager
import android.util.Log
import org.klaxon.android.notify.FullScreen
import org.klaxon.android.notify.PageChannels
import org.klaxon.android.push.PushToken
import org.klaxon.core.ApiException
import org.klaxon.core.Capabilities
import org.klaxon.core.ChannelImportance
import org.klaxon.core.ChannelState
import org.klaxon.core.PushPlatform

/**
 * Reads what Android holds now and reports it to core, whose `health()`
 * turns it into findings with their fixes: notification and full-screen
 * permission, DND access, battery optimisation, background restriction,
 * the push token and where getting one stands — and every page channel
 * as `NotificationManager` returns it (importance, sound, bypass-DND),
 * not as the app created it: the user can block or mute a channel, and
 * Android drops a bypass requested without DND access.
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
            channels = PageChannels.specs.mapNotNull { spec ->
                notifications.getNotificationChannel(spec.channelId)?.let(::state)
            },
            backgroundRestricted = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
                context.getSystemService(ActivityManager::class.java).isBackgroundRestricted
            } else {
                null
            },
            pushTokenState = PushToken.state(context),
        )
    }

    /** A channel as Android holds it. */
    fun state(channel: NotificationChannel) = ChannelState(
        channelId = channel.id,
        importance = when (channel.importance) {
            NotificationManager.IMPORTANCE_NONE -> ChannelImportance.BLOCKED
            NotificationManager.IMPORTANCE_MIN -> ChannelImportance.MIN
            NotificationManager.IMPORTANCE_LOW -> ChannelImportance.LOW
            NotificationManager.IMPORTANCE_HIGH, NotificationManager.IMPORTANCE_MAX -> ChannelImportance.HIGH
            else -> ChannelImportance.DEFAULT
        },
        sound = channel.sound != null,
        bypassDnd = channel.canBypassDnd(),
    )

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
