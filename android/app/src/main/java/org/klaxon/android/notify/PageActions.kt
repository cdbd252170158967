package org.klaxon.android.notify

import android.content.Context
import android.util.Log
import org.klaxon.android.Core
import org.klaxon.android.ring.Ringing
import org.klaxon.android.sync.SyncScheduler
import org.klaxon.core.ApiException
import org.klaxon.core.Pager
import org.klaxon.core.QueuedActionInfo
import java.time.Duration
import java.time.Instant

/**
 * What a tap on Acknowledge / Escalate / Resolve / Decline / Snooze does, wherever it
 * was tapped: core commits it to its durable outbox (and tells the sink to
 * stop the ring and update or remove the notification), the ring stops
 * even if core refused, and a sync is scheduled to carry it to the relay.
 */
object PageActions {
    private const val TAG = "Klaxon"

    /** The lengths the page screen offers for Snooze (core caps it at 24 h); [SNOOZE_DEFAULT] first. */
    val SNOOZE_CHOICES: List<Duration> = listOf(30L, 15L, 60L, 120L, 240L).map(Duration::ofMinutes)
    val SNOOZE_DEFAULT: Duration = SNOOZE_CHOICES.first()

    /** Performs [verb] (a [PageIntents] action) on [alert]; null when core refused it. */
    fun perform(context: Context, alert: String, verb: String): QueuedActionInfo? = act(context, alert, verb) { pager ->
        when (verb) {
            PageIntents.ACKNOWLEDGE -> pager.acknowledge(alert)
            PageIntents.ESCALATE -> pager.escalate(alert)
            PageIntents.RESOLVE -> pager.resolve(alert)
            PageIntents.DECLINE -> pager.decline(alert)
            else -> null
        }
    }

    /** Snoozes [alert] for [length] (acknowledged until then; then it pages again from the first step). */
    fun snooze(context: Context, alert: String, length: Duration): QueuedActionInfo? =
        act(context, alert, PageIntents.SNOOZE) { pager -> pager.snooze(alert, Instant.now().plus(length)) }

    private fun act(context: Context, alert: String, verb: String, call: (Pager) -> QueuedActionInfo?): QueuedActionInfo? {
        val pager = Core.pager(context)
        val queued = try {
            call(pager) ?: return null
        } catch (e: ApiException) {
            Log.e(TAG, "$verb on $alert refused", e)
            null
        }
        // Core stops the ring through the sink; this covers a refusal too —
        // a person who pressed a button must never be left with a ringing phone.
        Ringing.stop(context, alert)
        if (queued != null) SyncScheduler.schedule(context)
        return queued
    }
}
