package org.klaxon.android.ui

import android.app.Activity
import android.content.Intent
import android.graphics.Color
import android.os.Build
import android.os.Bundle
import android.view.WindowManager
import org.klaxon.android.Background
import org.klaxon.android.Core
import org.klaxon.android.Words
import org.klaxon.android.notify.PageIntents
import org.klaxon.android.ring.Ringing
import org.klaxon.core.AlertStatus

/**
 * A critical page over the lock screen: turns the screen on, shows the page
 * without unlocking, and offers Acknowledge and Escalate — the same
 * broadcasts as the notification's buttons, so both paths behave alike.
 *
 * One instance (`singleInstance`) shows one alert at a time: a later page's
 * full-screen intent arrives in [onNewIntent] and replaces what is shown,
 * buttons included. When the shown alert stops ringing — answered here, on
 * the notification, or elsewhere (a status push) — the page moves on to
 * another alert still ringing, or closes.
 */
class FullScreenPageActivity : Activity() {
    private lateinit var column: Column

    /** The alert on screen; every button and every load is for this one. */
    private var shown: String? = null

    private val whenStopped: (String) -> Unit = { alert -> runOnUiThread { if (alert == shown) moveOnFrom(alert) } }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O_MR1) {
            setShowWhenLocked(true)
            setTurnScreenOn(true)
        } else {
            @Suppress("DEPRECATION")
            window.addFlags(WindowManager.LayoutParams.FLAG_SHOW_WHEN_LOCKED or WindowManager.LayoutParams.FLAG_TURN_SCREEN_ON)
        }
        window.addFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
        column = Column(this)
        column.root.setBackgroundColor(Color.rgb(0x8b, 0, 0))
        column.show()
        Ringing.addStopListener(whenStopped)
        show(intent.getStringExtra(PageIntents.EXTRA_ALERT) ?: return finish())
    }

    /** Another page's full-screen intent while this one is up: show that page instead. */
    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        show(intent.getStringExtra(PageIntents.EXTRA_ALERT) ?: return)
    }

    override fun onDestroy() {
        Ringing.removeStopListener(whenStopped)
        super.onDestroy()
    }

    private fun show(alert: String) {
        shown = alert
        column.clear()
        Background.load({ Core.pager(this).alert(alert) }) { result ->
            // A newer page took the screen while this one loaded.
            if (alert != shown) return@load
            column.clear()
            val page = result.getOrNull()
            column.heading(page?.serviceName ?: "Critical page", 28f).setTextColor(Color.WHITE)
            column.text(page?.summary ?: alert, 22f).setTextColor(Color.WHITE)
            page?.nextEscalation?.let { column.text(it).setTextColor(Color.WHITE) }
            page?.runbook?.let { column.text("Runbook: $it").setTextColor(Color.WHITE) }
            if (page == null || page.status == AlertStatus.TRIGGERED) {
                column.button(Words.ACKNOWLEDGE) { act(alert, PageIntents.ACKNOWLEDGE) }
                column.button(Words.ESCALATE) { act(alert, PageIntents.ESCALATE) }
            } else {
                column.text(page.status.name.lowercase()).setTextColor(Color.WHITE)
            }
        }
    }

    private fun act(alert: String, verb: String) {
        sendBroadcast(PageIntents.actionIntent(this, alert, verb))
        moveOnFrom(alert)
    }

    /** [alert] is answered: show another alert that still rings, else close. */
    private fun moveOnFrom(alert: String) {
        val next = Ringing.current().keys.firstOrNull { it != alert }
        if (next == null) finish() else show(next)
    }
}
