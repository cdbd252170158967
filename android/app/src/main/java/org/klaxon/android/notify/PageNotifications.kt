package org.klaxon.android.notify

import android.app.Notification
import android.app.NotificationManager
import android.content.Context
import android.graphics.drawable.Icon
import android.os.Build
import org.klaxon.android.PlatformCapabilities
import org.klaxon.core.NotificationPlan
import org.klaxon.core.Priority
import org.klaxon.core.Sound

/**
 * Turns a [NotificationPlan] into a notification: the plan's channel, its
 * lock-screen text, its buttons (usable without unlocking), and for
 * full-screen plans the [FullScreenPageActivity] — or, when Android 14+
 * withholds that permission, a heads-up plus a warning in the self-check.
 */
class PageNotifications(private val context: Context) {
    private val manager = context.getSystemService(NotificationManager::class.java)

    /** Shows or replaces the alert's notification; [alertAgain] false keeps an update quiet. */
    fun show(plan: NotificationPlan, alertAgain: Boolean) {
        manager.notify(plan.alert, ID, build(plan, alertAgain))
    }

    fun cancel(alert: String) = manager.cancel(alert, ID)

    /** The notification for [plan] (public for tests: what is built is what is checked). */
    fun build(plan: NotificationPlan, alertAgain: Boolean): Notification {
        val channel = PageChannels.ensure(context, plan)
        val details = listOfNotNull(plan.summary, plan.runbook?.let { "Runbook: $it" }).joinToString("\n")
        val builder = Notification.Builder(context, channel)
            .setSmallIcon(android.R.drawable.ic_lock_idle_alarm)
            .setContentTitle(plan.lockScreen.title)
            .setContentText(plan.summary)
            .setStyle(Notification.BigTextStyle().bigText(details))
            .setContentIntent(PageIntents.open(context, plan.alert))
            // Swiping a ringing page away silences it (it stays open in core).
            .setDeleteIntent(PageIntents.dismissed(context, plan.alert))
            .setCategory(if (plan.priority == Priority.CRITICAL) Notification.CATEGORY_ALARM else Notification.CATEGORY_MESSAGE)
            .setOnlyAlertOnce(!alertAgain)
            .setShowWhen(true)
            .setAutoCancel(false)
        lockScreen(builder, plan)
        if (plan.sound == Sound.SILENT && plan.priority != Priority.LOW) silence(builder)
        for (offered in plan.actions) {
            val button = Notification.Action.Builder(
                Icon.createWithResource(context, android.R.drawable.ic_lock_idle_alarm),
                PageIntents.labelOf(offered.action),
                PageIntents.action(context, plan.alert, offered.action),
            )
            // Core decides which buttons work on a locked phone (Acknowledge, Escalate).
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) button.setAuthenticationRequired(offered.needsUnlock)
            builder.addAction(button.build())
        }
        if (plan.fullScreen) {
            if (FullScreen.allowed(context)) {
                builder.setFullScreenIntent(PageIntents.fullScreen(context, plan.alert), true)
            } else {
                // The channel's IMPORTANCE_HIGH still makes it a heads-up; the self-check says why it is not full screen.
                PlatformCapabilities.reportLater(context)
            }
        }
        return builder.build()
    }

    /**
     * Public when the plan's lock-screen text is the full text; otherwise
     * (the user chose to hide details) the lock screen gets a redacted copy
     * with only the plan's lock-screen words.
     */
    private fun lockScreen(builder: Notification.Builder, plan: NotificationPlan) {
        if (plan.lockScreen.body == plan.summary) {
            builder.setVisibility(Notification.VISIBILITY_PUBLIC)
            return
        }
        val redacted = Notification.Builder(context, plan.channelId)
            .setSmallIcon(android.R.drawable.ic_lock_idle_alarm)
            .setContentTitle(plan.lockScreen.title)
            .setContentText(plan.lockScreen.body)
            .build()
        builder.setVisibility(Notification.VISIBILITY_PRIVATE).setPublicVersion(redacted)
    }

    /**
     * A silent plan on a channel that sounds (an acknowledged critical page):
     * Android plays a group child's sound only when the group says so, so a
     * lone child of a summary-alerting group is posted without sound.
     */
    private fun silence(builder: Notification.Builder) {
        builder.setGroup(SILENT_GROUP).setGroupAlertBehavior(Notification.GROUP_ALERT_SUMMARY)
    }

    companion object {
        /** One notification per alert: the tag is the alert id, the id is fixed. */
        const val ID = 1
        private const val SILENT_GROUP = "klaxon.silent"
    }
}
