package org.klaxon.android.notify

import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.net.Uri
import org.klaxon.android.Words
import org.klaxon.android.ui.FullScreenPageActivity
import org.klaxon.android.ui.PageDetailActivity
import org.klaxon.core.PageAction

/**
 * The intents behind a page's buttons, its tap and its full-screen view.
 * Each carries the alert in its data URI so two pages never share (and
 * overwrite) one PendingIntent.
 */
object PageIntents {
    const val ACKNOWLEDGE = "org.klaxon.android.action.ACKNOWLEDGE"
    const val ESCALATE = "org.klaxon.android.action.ESCALATE"
    const val RESOLVE = "org.klaxon.android.action.RESOLVE"
    const val DECLINE = "org.klaxon.android.action.DECLINE"
    const val SNOOZE = "org.klaxon.android.action.SNOOZE"

    /** The user swiped the notification away: silence it, change nothing else. */
    const val DISMISSED = "org.klaxon.android.action.DISMISSED"
    const val EXTRA_ALERT = "org.klaxon.android.extra.ALERT"

    private const val FLAGS = PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT

    fun alertUri(alert: String): Uri = Uri.Builder().scheme("klaxon").authority("alert").appendPath(alert).build()

    /** The broadcast a button (notification or full screen) sends to [PageActionReceiver]. */
    fun actionIntent(context: Context, alert: String, verb: String): Intent =
        Intent(verb, alertUri(alert), context, PageActionReceiver::class.java).putExtra(EXTRA_ALERT, alert)

    /** A notification button. Snooze needs a length picked on the page screen, so its button opens it. */
    fun action(context: Context, alert: String, action: PageAction): PendingIntent =
        if (action == PageAction.SNOOZE) open(context, alert)
        else PendingIntent.getBroadcast(context, 0, actionIntent(context, alert, verbOf(action)), FLAGS)

    fun dismissed(context: Context, alert: String): PendingIntent =
        PendingIntent.getBroadcast(context, 0, actionIntent(context, alert, DISMISSED), FLAGS)

    /** Tapping the notification: the page with its timeline and runbook. */
    fun open(context: Context, alert: String): PendingIntent =
        PendingIntent.getActivity(
            context, 0,
            Intent(context, PageDetailActivity::class.java).setData(alertUri(alert))
                .putExtra(EXTRA_ALERT, alert).addFlags(Intent.FLAG_ACTIVITY_NEW_TASK),
            FLAGS,
        )

    /** The full-screen page over the lock screen. */
    fun fullScreen(context: Context, alert: String): PendingIntent =
        PendingIntent.getActivity(
            context, 0,
            Intent(context, FullScreenPageActivity::class.java).setData(alertUri(alert))
                .putExtra(EXTRA_ALERT, alert)
                .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_NO_USER_ACTION),
            FLAGS,
        )

    fun verbOf(action: PageAction): String = when (action) {
        PageAction.ACKNOWLEDGE -> ACKNOWLEDGE
        PageAction.ESCALATE -> ESCALATE
        PageAction.RESOLVE -> RESOLVE
        PageAction.DECLINE -> DECLINE
        PageAction.SNOOZE -> SNOOZE
    }

    fun labelOf(action: PageAction): String = when (action) {
        PageAction.ACKNOWLEDGE -> Words.ACKNOWLEDGE
        PageAction.ESCALATE -> Words.ESCALATE
        PageAction.RESOLVE -> Words.RESOLVE
        PageAction.DECLINE -> Words.DECLINE
        PageAction.SNOOZE -> Words.SNOOZE
    }
}
