package org.klaxon.android

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Context
import android.graphics.Color
import android.media.AudioAttributes
import org.klaxon.core.NotificationPlan
import org.klaxon.core.Priority

/**
 * One notification channel per priority, with the id core's plan names.
 * A channel is created the first time a plan needs it; after that Android
 * owns its settings (the user may change them), so it is never rebuilt —
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

    /** Makes sure [plan]'s channel exists; returns its id. */
    fun ensure(context: Context, plan: NotificationPlan): String {
        val manager = context.getSystemService(NotificationManager::class.java)
        val existing = manager.getNotificationChannel(plan.channelId)
        val dndNowGranted = existing != null && plan.priority == Priority.CRITICAL &&
            !existing.canBypassDnd() && manager.isNotificationPolicyAccessGranted
        if (existing == null || dndNowGranted) {
            manager.createNotificationChannel(channel(context, plan.channelId, plan.priority))
        }
        return plan.channelId
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

    /** The channel for [priority]: how loud each priority is comes from ARCHITECTURE.md. */
    fun channel(context: Context, id: String, priority: Priority): NotificationChannel = when (priority) {
        Priority.CRITICAL -> NotificationChannel(
            id, Words.CHANNEL_CRITICAL, NotificationManager.IMPORTANCE_HIGH,
        ).apply {
            description = Words.CHANNEL_CRITICAL_ABOUT
            setBypassDnd(true)
            setSound(AlarmSound.uri(), ALARM_AUDIO)
            enableVibration(true)
            vibrationPattern = CRITICAL_VIBRATION
            enableLights(true)
            lightColor = Color.RED
            lockscreenVisibility = Notification.VISIBILITY_PUBLIC
        }
        Priority.HIGH -> NotificationChannel(
            id, Words.CHANNEL_HIGH, NotificationManager.IMPORTANCE_HIGH,
        ).apply {
            // Default notification sound and stream: heads-up, and DND still applies.
            description = Words.CHANNEL_HIGH_ABOUT
            enableVibration(true)
            lockscreenVisibility = Notification.VISIBILITY_PRIVATE
        }
        Priority.LOW -> NotificationChannel(
            id, Words.CHANNEL_LOW, NotificationManager.IMPORTANCE_LOW,
        ).apply {
            description = Words.CHANNEL_LOW_ABOUT
            setSound(null, null)
            enableVibration(false)
            lockscreenVisibility = Notification.VISIBILITY_PRIVATE
        }
    }
}
