package org.klaxon.android.ui

import android.app.Activity
import android.content.Intent
import android.net.Uri
import android.os.Bundle
import android.widget.Button
import android.widget.LinearLayout
import org.klaxon.android.Background
import org.klaxon.android.Core
import org.klaxon.android.Words
import org.klaxon.android.notify.PageActions
import org.klaxon.android.notify.PageIntents
import org.klaxon.core.Alert
import org.klaxon.core.OfferedAction
import org.klaxon.core.PageAction
import org.klaxon.core.TimelineEntry

/** One page: what is wrong, its runbook and links, its timeline, and its actions. */
class PageDetailActivity : Activity() {
    private lateinit var column: Column
    private lateinit var alertId: String

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        alertId = intent.getStringExtra(PageIntents.EXTRA_ALERT) ?: return finish()
        column = Column(this)
        column.show()
    }

    override fun onResume() {
        super.onResume()
        Background.load({ Core.pager(this).let { it.alert(alertId) to it.offeredActions(alertId) } }) { result ->
            column.clear()
            result.fold({ (alert, actions) -> render(alert, actions) }) { column.text("This page could not be loaded: ${it.message}") }
        }
    }

    private fun render(alert: Alert, actions: List<OfferedAction>) {
        column.heading(alert.summary)
        column.text("${alert.serviceName} · ${alert.priority.name.lowercase()} · ${alert.status.name.lowercase()}")
        alert.acknowledgedBy?.let { column.text("Acknowledged by $it") }
        alert.nextEscalation?.let { column.text(it) }
        alert.description?.let { column.text(it) }
        alert.runbook?.let { url -> column.button("Open runbook") { open(url) } }
        for (link in alert.links) column.button(link.text ?: link.href) { open(link.href) }
        if (alert.pendingActions.isNotEmpty()) {
            column.text("Not yet confirmed by the relay: " + alert.pendingActions.joinToString { it.action })
        }
        // Core decides which actions this page offers this person now (this screen is unlocked).
        for (offered in actions) {
            if (offered.action == PageAction.SNOOZE) {
                column.button(PageIntents.labelOf(offered.action)) { chooseSnooze() }
            } else {
                column.button(PageIntents.labelOf(offered.action)) { act(PageIntents.verbOf(offered.action)) }
            }
        }
        snoozeChoices = column.add(LinearLayout(this).apply { orientation = LinearLayout.VERTICAL })
        column.heading("Timeline", 18f)
        if (alert.timeline.isEmpty()) column.text("Arrives with the next sync.")
        for (entry in alert.timeline) column.text(line(entry))
    }

    private fun line(e: TimelineEntry): String {
        val what = when {
            e.people.isNotEmpty() -> "${e.kind.name.lowercase()} ${e.people.joinToString()}"
            e.until != null -> "${e.kind.name.lowercase()} until ${Times.local(e.until!!)}"
            else -> e.kind.name.lowercase()
        }
        return "${Times.local(e.at)}  $what — ${e.who} (${e.source})"
    }

    /** Where the snooze lengths appear once Snooze is tapped. */
    private var snoozeChoices: LinearLayout? = null

    /** Snooze: how long, the default first. */
    private fun chooseSnooze() {
        val choices = snoozeChoices ?: return
        choices.removeAllViews()
        for (length in PageActions.SNOOZE_CHOICES) {
            val label = Words.snoozeFor(length) + if (length == PageActions.SNOOZE_DEFAULT) " (default)" else ""
            choices.addView(Button(this).apply {
                text = label
                setOnClickListener { Background.load({ PageActions.snooze(this@PageDetailActivity, alertId, length) }) { onResume() } }
            })
        }
    }

    private fun act(verb: String) {
        Background.load({ PageActions.perform(this, alertId, verb) }) { onResume() }
    }

    private fun open(url: String) = try {
        startActivity(Intent(Intent.ACTION_VIEW, Uri.parse(url)))
    } catch (_: android.content.ActivityNotFoundException) {
    }
}
