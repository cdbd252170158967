package org.klaxon.android.ui

import android.app.Activity
import android.graphics.Color
import android.os.Build
import android.os.Bundle
import android.view.WindowManager
import org.klaxon.android.Background
import org.klaxon.android.Core
import org.klaxon.android.Words
import org.klaxon.android.notify.PageIntents
import org.klaxon.core.AlertStatus

/**
 * A critical page over the lock screen: turns the screen on, shows the page
 * without unlocking, and offers Acknowledge and Escalate — the same
 * broadcasts as the notification's buttons, so both paths behave alike.
 */
class FullScreenPageActivity : Activity() {
    private lateinit var column: Column

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
        render()
    }

    private fun render() {
        val alert = intent.getStringExtra(PageIntents.EXTRA_ALERT) ?: return finish()
        Background.load({ Core.pager(this).alert(alert) }) { result ->
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
        finish()
    }
}
