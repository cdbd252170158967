package org.klaxon.android.ui

import android.app.Activity
import android.app.KeyguardManager
import android.content.Intent
import android.graphics.Color
import android.os.Build
import android.os.Bundle
import android.view.WindowManager
import org.klaxon.android.Background
import org.klaxon.android.Core
import org.klaxon.android.notify.PageIntents
import org.klaxon.android.ring.Ringing
import org.klaxon.core.AlertStatus
import org.klaxon.core.OfferedAction
import org.klaxon.core.PageAction

/**
 * A critical page over the lock screen: turns the screen on, shows the page
 * without unlocking, and offers the actions core decides for it (the same
 * broadcasts as the notification's buttons, so both paths behave alike);
 * those core says need unlocking ask for the unlock first.
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
        Background.load({
            val pager = Core.pager(this)
            val page = runCatching { pager.alert(alert) }.getOrNull()
            // Core decides the buttons; an alert core cannot read still gets the two that work locked.
            val actions = runCatching { pager.offeredActions(alert) }.getOrElse { LOCKED_FALLBACK }
            page to actions
        }) { result ->
            // A newer page took the screen while this one loaded.
            if (alert != shown) return@load
            column.clear()
            val (page, actions) = result.getOrElse { null to LOCKED_FALLBACK }
            column.heading(page?.serviceName ?: "Critical page", 28f).setTextColor(Color.WHITE)
            column.text(page?.summary ?: alert, 22f).setTextColor(Color.WHITE)
            page?.nextEscalation?.let { column.text(it).setTextColor(Color.WHITE) }
            page?.runbook?.let { column.text("Runbook: $it").setTextColor(Color.WHITE) }
            if (page != null && page.status != AlertStatus.TRIGGERED) {
                column.text(page.status.name.lowercase()).setTextColor(Color.WHITE)
            }
            for (offered in actions) {
                column.button(PageIntents.labelOf(offered.action)) { tap(alert, offered) }
            }
        }
    }

    /**
     * A button over the lock screen: Acknowledge and Escalate act at once;
     * an action core says needs unlocking asks for the unlock first and acts
     * only once it succeeded. Snooze opens the page screen, where its length is picked.
     */
    private fun tap(alert: String, offered: OfferedAction) {
        val keyguard = getSystemService(KeyguardManager::class.java)
        val go = {
            if (offered.action == PageAction.SNOOZE) {
                startActivity(Intent(this, PageDetailActivity::class.java).putExtra(PageIntents.EXTRA_ALERT, alert))
            } else {
                act(alert, PageIntents.verbOf(offered.action))
            }
        }
        if (!offered.needsUnlock || !keyguard.isKeyguardLocked) return go()
        keyguard.requestDismissKeyguard(this, object : KeyguardManager.KeyguardDismissCallback() {
            override fun onDismissSucceeded() = go()
        })
    }

    private fun act(alert: String, verb: String) {
        sendBroadcast(PageIntents.actionIntent(this, alert, verb))
        moveOnFrom(alert)
    }

    private companion object {
        /** The buttons that work on a locked phone, when core cannot be asked. */
        val LOCKED_FALLBACK = listOf(OfferedAction(PageAction.ACKNOWLEDGE, false), OfferedAction(PageAction.ESCALATE, false))
    }

    /** [alert] is answered: show another alert that still rings, else close. */
    private fun moveOnFrom(alert: String) {
        val next = Ringing.current().keys.firstOrNull { it != alert }
        if (next == null) finish() else show(next)
    }
}
