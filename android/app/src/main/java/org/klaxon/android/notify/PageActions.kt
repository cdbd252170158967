package org.klaxon.android.notify

import android.content.Context
import android.util.Log
import org.klaxon.android.Core
import org.klaxon.android.ring.Ringing
import org.klaxon.android.sync.SyncScheduler
import org.klaxon.core.ApiException
import org.klaxon.core.QueuedActionInfo

/**
 * What a tap on Acknowledge / Escalate / Resolve / Decline does, wherever it
 * was tapped: core commits it to its durable outbox (and tells the sink to
 * stop the ring and update or remove the notification), the ring stops
 * even if core refused, and a sync is scheduled to carry it to the relay.
 */
object PageActions {
    private const val TAG = "Klaxon"

    /** Performs [verb] (a [PageIntents] action) on [alert]; null when core refused it. */
    fun perform(context: Context, alert: String, verb: String): QueuedActionInfo? {
        val pager = Core.pager(context)
        val queued = try {
            when (verb) {
                PageIntents.ACKNOWLEDGE -> pager.acknowledge(alert)
                PageIntents.ESCALATE -> pager.escalate(alert)
                PageIntents.RESOLVE -> pager.resolve(alert)
                PageIntents.DECLINE -> pager.decline(alert)
                else -> return null
            }
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
