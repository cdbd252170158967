package org.klaxon.android.notify

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Context
import android.graphics.Color
import android.media.AudioAttributes
import org.klaxon.android.Words
import org.klaxon.android.ring.AlarmSound
import org.klaxon.core.NotificationChannelInfo
import org.klaxon.core.NotificationPlan
import org.klaxon.core.Sound
import org.klaxon.core.notificationChannels

/**
 * One notification channel per priority, exactly the list core gives
 * (`notificationChannels()`: ids, names, descriptions, sound, which one may
 * bypass Do-Not-Disturb), all created at app start so the user can tune the
 * critical channel before the first page. After that Android owns their
 * settings (the user may change them), so a channel is never rebuilt —
 * except to re-apply bypass-DND once the user grants Do-Not-Disturb access,
 * which Android ignores from apps without that access.
 */
object PageChannels {
    /** The foreground services' own quiet channel (not a page priority). */
    const val SERVICE_CHANNEL = "klaxon.service"

    /** A long, strong pattern: a critical page must be felt in a pocket. */
    val CRITICAL_VIBRATION = longArrayOf(0, 1000, 400, 1000, 400, 1000, 400)

    /** Alarm-stream attributes, shared by the critical channel and the ring loop. */
    val ALARM_AUDIO: AudioAttributes = AudioAttributes.Builder()
        .setUsage(AudioAttributes.USAGE_ALARM)
        .setContentType(AudioAttributes.CONTENT_TYPE_SONIFICATION)
        .build()

    /** Core's channel list; it never changes within a process. */
    val specs: List<NotificationChannelInfo> by lazy { notificationChannels() }

    /** Creates every page channel core lists (app start); existing ones are left to the user. */
    fun ensureAll(context: Context) {
        specs.forEach { ensure(context, it) }
    }

    /** Makes sure [plan]'s channel exists; returns its id. */
    fun ensure(context: Context, plan: NotificationPlan): String {
        specs.firstOrNull { it.channelId == plan.channelId }?.let { ensure(context, it) }
        return plan.channelId
    }

    private fun ensure(context: Context, spec: NotificationChannelInfo) {
        val manager = context.getSystemService(NotificationManager::class.java)
        val existing = manager.getNotificationChannel(spec.channelId)
        val dndNowGranted = existing != null && spec.overrideDndCapable &&
            !existing.canBypassDnd() && manager.isNotificationPolicyAccessGranted
        if (existing == null || dndNowGranted) {
            manager.createNotificationChannel(channel(context, spec))
        }
    }

    /** The service channel, for the ring loop's and the stream's ongoing notifications. */
    fun ensureService(context: Context): String {
        val manager = context.getSystemService(NotificationManager::class.java)
        if (manager.getNotificationChannel(SERVICE_CHANNEL) == null) {
            manager.createNotificationChannel(
                NotificationChannel(
                    SERVICE_CHANNEL, Words.CHANNEL_SERVICE,
                    NotificationManager.IMPORTANCE_LOW,
                ).apply {
                    description = Words.CHANNEL_SERVICE_ABOUT
                    setSound(null, null)
                    enableVibration(false)
                },
            )
        }
        return SERVICE_CHANNEL
    }

    /**
     * The Android channel for core's [spec]: the words and the loudness are
     * core's (docs/architecture.md, "Priorities"); vibration, lights and lock-screen
     * visibility are this platform's rendering of them.
     */
    fun channel(context: Context, spec: NotificationChannelInfo): NotificationChannel {
        val importance = if (spec.sound == Sound.SILENT) NotificationManager.IMPORTANCE_LOW
        else NotificationManager.IMPORTANCE_HIGH
        return NotificationChannel(spec.channelId, spec.name, importance).apply {
            description = spec.description
            when (spec.sound) {
                Sound.ALARM -> {
                    // The user's alarm tone, or the bundled one when theirs is missing or silent.
                    setSound(AlarmSound.uri(context), ALARM_AUDIO)
                    enableVibration(true)
                    vibrationPattern = CRITICAL_VIBRATION
                    enableLights(true)
                    lightColor = Color.RED
                }
                // Default notification sound and stream: heads-up, and DND still applies.
                Sound.DEFAULT -> enableVibration(true)
                Sound.SILENT -> {
                    setSound(null, null)
                    enableVibration(false)
                }
            }
            setBypassDnd(spec.overrideDndCapable)
            lockscreenVisibility = if (spec.overrideDndCapable) Notification.VISIBILITY_PUBLIC
            else Notification.VISIBILITY_PRIVATE
        }
    }
}
