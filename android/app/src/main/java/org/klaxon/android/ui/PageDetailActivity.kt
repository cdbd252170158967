package org.klaxon.android.ui

import android.app.Activity
import android.content.Intent
import android.net.Uri
import android.os.Bundle
import org.klaxon.android.Background
import org.klaxon.android.Core
import org.klaxon.android.Words
import org.klaxon.android.notify.PageActions
import org.klaxon.android.notify.PageIntents
import org.klaxon.core.Alert
import org.klaxon.core.AlertStatus
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
        Background.load({ Core.pager(this).alert(alertId) }) { result ->
            column.clear()
            result.fold(::render) { column.text("This page could not be loaded: ${it.message}") }
        }
    }

    private fun render(alert: Alert) {
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
        if (alert.status != AlertStatus.RESOLVED) {
            if (alert.status == AlertStatus.TRIGGERED) column.button(Words.ACKNOWLEDGE) { act(PageIntents.ACKNOWLEDGE) }
            column.button(Words.ESCALATE) { act(PageIntents.ESCALATE) }
            column.button(Words.DECLINE) { act(PageIntents.DECLINE) }
            column.button(Words.RESOLVE) { act(PageIntents.RESOLVE) }
        }
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

    private fun act(verb: String) {
        Background.load({ PageActions.perform(this, alertId, verb) }) { onResume() }
    }

    private fun open(url: String) = try {
        startActivity(Intent(Intent.ACTION_VIEW, Uri.parse(url)))
    } catch (_: android.content.ActivityNotFoundException) {
    }
}
