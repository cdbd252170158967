package org.klaxon.android.notify

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import org.klaxon.android.ring.Ringing

/**
 * Receives the page buttons (notification and full screen; no unlock
 * needed) and the swipe-away of a page. The action is committed to core's
 * outbox right here, before onReceive returns: a commit is a few
 * milliseconds, and doing it synchronously means no process death between
 * the tap and the disk can lose an acknowledgement.
 */
class PageActionReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        val alert = intent.getStringExtra(PageIntents.EXTRA_ALERT) ?: return
        when (val verb = intent.action) {
            PageIntents.DISMISSED -> Ringing.silence(context, alert)
            null -> return
            else -> PageActions.perform(context, alert, verb)
        }
    }
}
