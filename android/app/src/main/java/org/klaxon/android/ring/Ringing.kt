package org.klaxon.android.ring

import android.content.Context
import android.content.Intent
import android.os.SystemClock
import android.util.Log
import org.klaxon.android.Core
import org.klaxon.core.ApiException
import org.klaxon.core.RingLoop
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList

/**
 * Which alerts are ringing now. Core says start/stop per alert; the noise
 * itself is one [RingingService] that runs while any alert rings, so two
 * critical pages never play two alarms over each other, and acknowledging
 * one leaves the other ringing.
 */
object Ringing {
    private const val TAG = "Klaxon"

    /** One ringing alert: how it rings, whether it may ring through DND, since when (elapsed ms). */
    data class Ring(val loop: RingLoop, val overrideDnd: Boolean, val sinceMs: Long)

    private val rings = ConcurrentHashMap<String, Ring>()

    /** Told (on the caller's thread) when an alert is answered or silenced: the full-screen page closes. */
    private val stopListeners = CopyOnWriteArrayList<(String) -> Unit>()

    fun addStopListener(listener: (String) -> Unit) {
        stopListeners += listener
    }

    fun removeStopListener(listener: (String) -> Unit) {
        stopListeners -= listener
    }

    private fun stopped(alert: String) = stopListeners.forEach { it(alert) }

    fun start(context: Context, alert: String, loop: RingLoop, overrideDnd: Boolean) {
        // Core rang it (again): a swipe-away before no longer holds.
        silenced(context).edit().remove(alert).apply()
        rings[alert] = Ring(loop, overrideDnd, SystemClock.elapsedRealtime())
        val intent = Intent(context, RingingService::class.java)
        try {
            context.startForegroundService(intent)
        } catch (e: IllegalStateException) {
            // Android 12+ refuses background starts outside its exemptions (a
            // high-priority FCM message and a notification action are exempt).
            // The channel's own alarm sound has still played once; the
            // notification stays up.
            Log.e(TAG, "could not start the ring loop for $alert", e)
            rings.remove(alert)
        }
    }

    /**
     * Stops [alert]'s ring (core said so: answered here or elsewhere,
     * resolved; or the user swiped it away). Listeners hear it even when the
     * alert was not ringing — a page shown without its ring loop (Android
     * refused the service) is answered all the same.
     */
    fun stop(context: Context, alert: String) {
        if (rings.remove(alert) != null && rings.isEmpty()) {
            context.stopService(Intent(context, RingingService::class.java))
        }
        stopped(alert)
    }

    /**
     * The user swiped a ringing page away: silence it, change nothing in
     * core (the alert stays open). Core's ringing set still holds it, so the
     * silence is kept on disk: a ring resumed after a kill leaves it out,
     * until core rings it again ([start]).
     */
    fun silence(context: Context, alert: String) {
        silenced(context).edit().putBoolean(alert, true).commit()
        stop(context, alert)
    }

    private fun silenced(context: Context) =
        context.applicationContext.getSharedPreferences("klaxon.silenced", Context.MODE_PRIVATE)

    /** Silences every page at once (the user's "silence" of last resort; the pages stay open in core). */
    fun stopAll(context: Context) {
        val stopping = rings.keys.toList()
        rings.clear()
        if (stopping.isNotEmpty()) context.stopService(Intent(context, RingingService::class.java))
        stopping.forEach(::stopped)
    }

    /**
     * After Android restarted the app (the sticky [RingingService] after a
     * kill, or boot): ring again what core's durable ringing set says still
     * rings (`Pager.ringingAlerts`; core stops what settled meanwhile).
     * Returns how many alerts ring now. A resumed ring's limit counts from now.
     */
    fun resume(context: Context): Int {
        val plans = try {
            Core.pager(context).ringingAlerts()
        } catch (e: ApiException) {
            Log.e(TAG, "could not read the ringing set to resume", e)
            return rings.size
        }
        val silenced = silenced(context)
        for (plan in plans) {
            val loop = plan.ring ?: continue
            if (silenced.contains(plan.alert)) continue // swiped away before the kill
            rings.putIfAbsent(plan.alert, Ring(loop, plan.overrideDnd, SystemClock.elapsedRealtime()))
        }
        return rings.size
    }

    /** At boot: resume the rings core still holds and start the ring service for them. */
    fun resumeAndRing(context: Context) {
        if (resume(context) == 0) return
        try {
            context.startForegroundService(Intent(context, RingingService::class.java))
        } catch (e: IllegalStateException) {
            Log.e(TAG, "could not restart the ring loop", e)
        }
    }

    /** Drops an alert whose ring limit ran out (the service noticed); true when none ring any more. */
    fun expire(alert: String): Boolean {
        rings.remove(alert)
        return rings.isEmpty()
    }

    fun isRinging(alert: String): Boolean = rings.containsKey(alert)

    /** A snapshot of what rings now. */
    fun current(): Map<String, Ring> = HashMap(rings)
}
