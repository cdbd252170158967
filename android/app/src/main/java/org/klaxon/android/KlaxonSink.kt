package org.klaxon.android

import android.content.Context
import org.klaxon.android.notify.PageNotifications
import org.klaxon.android.ring.Ringing
import org.klaxon.core.NotificationPlan
import org.klaxon.core.NotificationSink
import org.klaxon.core.RingLoop
import java.util.concurrent.ConcurrentHashMap

/**
 * The bridge from core to the platform: core decides what a page looks and
 * sounds like ([NotificationPlan]) and when it rings or stops; this renders
 * it with notifications and [RingingService], deciding nothing itself.
 * Calls arrive on whatever thread core is on, so everything here is
 * thread-safe and quick.
 */
class KlaxonSink(context: Context) : NotificationSink {
    private val context = context.applicationContext
    private val notifications = PageNotifications(this.context)

    /** The last plan per alert: the ring needs the plan's Do-Not-Disturb choice. */
    private val plans = ConcurrentHashMap<String, NotificationPlan>()

    override fun presentNotification(plan: NotificationPlan) {
        plans[plan.alert] = plan
        notifications.show(plan, alertAgain = true)
    }

    override fun updateNotification(plan: NotificationPlan) {
        plans[plan.alert] = plan
        // An update (acknowledged elsewhere, snoozed) must never sound again.
        notifications.show(plan, alertAgain = false)
    }

    override fun cancelNotification(alert: String) {
        plans.remove(alert)
        notifications.cancel(alert)
        // A page with no notification must not ring, nor stay full screen.
        Ringing.stop(context, alert)
    }

    override fun startRinging(alert: String, ring: RingLoop) {
        // Core presents before it rings; without a plan, err on the side of ringing.
        val overrideDnd = plans[alert]?.overrideDnd ?: true
        Ringing.start(context, alert, ring, overrideDnd)
    }

    override fun stopRinging(alert: String) = Ringing.stop(context, alert)
}
