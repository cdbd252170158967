package org.klaxon.android.ring

import android.app.Notification
import android.app.NotificationManager
import android.app.Service
import android.content.Intent
import android.content.pm.ServiceInfo
import android.os.Build
import android.os.Handler
import android.os.IBinder
import android.os.Looper
import android.os.PowerManager
import android.os.SystemClock
import org.klaxon.android.Words
import org.klaxon.android.notify.PageChannels

/**
 * The foreground service that rings while any alert in [Ringing] rings:
 * it loops the alarm ([AlarmPlayer]) until core says stop (acknowledged,
 * escalated, resolved elsewhere), the user swipes the page away, or a ring
 * limit runs out. Each plan's "override DND" is honoured: without it, an
 * active Do-Not-Disturb keeps the alarm quiet. It checks every ring
 * interval that the loop still sounds and restarts it if not.
 */
class RingingService : Service() {
    private val handler = Handler(Looper.getMainLooper())
    private lateinit var player: AlarmPlayer
    private lateinit var volume: AlarmVolume
    private var wakeLock: PowerManager.WakeLock? = null

    private val tick = object : Runnable {
        override fun run() {
            check()
            val interval = Ringing.current().values.minOfOrNull { it.loop.interval.toMillis() } ?: DEFAULT_TICK_MS
            handler.postDelayed(this, interval.coerceAtLeast(MIN_TICK_MS))
        }
    }

    override fun onCreate() {
        super.onCreate()
        player = AlarmPlayer(this)
        volume = AlarmVolume(this)
        // Also here, as early as possible: a ring stopped before onStartCommand
        // must not leave Android waiting for startForeground (it would crash the app).
        goForeground()
    }

    private fun goForeground() {
        val notification = ongoing()
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            startForeground(ID, notification, ServiceInfo.FOREGROUND_SERVICE_TYPE_SPECIAL_USE)
        } else {
            startForeground(ID, notification)
        }
    }

    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        // startForeground first, on every start: Android kills a service that is late with it.
        goForeground()
        if (wakeLock == null) {
            wakeLock = getSystemService(PowerManager::class.java)
                .newWakeLock(PowerManager.PARTIAL_WAKE_LOCK, "klaxon:ring")
                .apply { acquire(MAX_WAKE_MS) }
        }
        // Restarted by Android after a kill (a null intent), or started with
        // nothing in this process's memory: core's durable set says what rings.
        if (intent == null || Ringing.current().isEmpty()) Ringing.resume(this)
        handler.removeCallbacks(tick)
        tick.run()
        // Sticky: when Android kills the process mid-ring, it restarts the
        // service (with a null intent) and the ring goes on from core's ringing set.
        return START_STICKY
    }

    private fun check() {
        val now = SystemClock.elapsedRealtime()
        for ((alert, ring) in Ringing.current()) {
            val limit = ring.loop.maxDuration ?: continue
            if (now - ring.sinceMs >= limit.toMillis() && Ringing.expire(alert)) {
                stopSelf()
                return
            }
        }
        val rings = Ringing.current()
        if (rings.isEmpty()) {
            stopSelf()
            return
        }
        val dndActive = getSystemService(NotificationManager::class.java).currentInterruptionFilter !=
            NotificationManager.INTERRUPTION_FILTER_ALL
        val mayRing = !dndActive || rings.values.any { it.overrideDnd }
        when {
            !mayRing -> player.stop()
            !player.playing -> {
                if (rings.values.any { it.overrideDnd }) volume.raiseIfNearlySilent()
                player.start()
            }
            !player.stillSounding() -> {
                player.stop()
                player.start()
            }
        }
        getSystemService(NotificationManager::class.java).notify(ID, ongoing())
    }

    private fun ongoing(): Notification =
        Notification.Builder(this, PageChannels.ensureService(this))
            .setSmallIcon(android.R.drawable.ic_lock_idle_alarm)
            .setContentTitle(Words.ringing(Ringing.current().size.coerceAtLeast(1)))
            .setOngoing(true)
            .build()

    override fun onDestroy() {
        handler.removeCallbacks(tick)
        player.stop()
        volume.restore()
        wakeLock?.takeIf { it.isHeld }?.release()
        wakeLock = null
        super.onDestroy()
    }

    override fun onBind(intent: Intent?): IBinder? = null

    private companion object {
        const val ID = 0x6b6c01
        const val DEFAULT_TICK_MS = 3_000L
        const val MIN_TICK_MS = 1_000L

        /** A bound on the wake lock in case every stop path failed. */
        const val MAX_WAKE_MS = 60 * 60 * 1000L
    }
}
