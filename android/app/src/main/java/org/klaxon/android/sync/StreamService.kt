package org.klaxon.android.sync

import android.app.Notification
import android.app.Service
import android.content.Context
import android.content.Intent
import android.content.pm.ServiceInfo
import android.os.Build
import android.os.IBinder
import android.util.Log
import kotlinx.coroutines.runBlocking
import org.klaxon.android.Core
import org.klaxon.android.Words
import org.klaxon.android.notify.PageChannels
import org.klaxon.core.ApiException
import java.time.Duration
import kotlin.concurrent.thread

/**
 * Pages without Google Play: a foreground service that keeps the relay's
 * event stream open (`Pager.listen`), reconnecting with backoff. Pages
 * heard on it are handled exactly like pushes (core presents and rings
 * them through [KlaxonSink]).
 */
class StreamService : Service() {
    @Volatile
    private var running = false
    private var worker: Thread? = null

    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        val notification = Notification.Builder(this, PageChannels.ensureService(this))
            .setSmallIcon(android.R.drawable.ic_lock_idle_alarm)
            .setContentTitle(Words.LISTENING)
            .setOngoing(true)
            .build()
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            startForeground(ID, notification, ServiceInfo.FOREGROUND_SERVICE_TYPE_SPECIAL_USE)
        } else {
            startForeground(ID, notification)
        }
        if (!running) {
            running = true
            worker = thread(name = "klaxon-stream") { listenLoop() }
        }
        return START_STICKY // pages must keep arriving after Android reclaims the process
    }

    private fun listenLoop() {
        var backoff = MIN_BACKOFF
        while (running) {
            val pager = Core.pager(this)
            try {
                // Catch up on anything missed while disconnected, then listen.
                runBlocking { pager.sync() }
                val report = runBlocking { pager.listen(SESSION, UInt.MAX_VALUE) }
                if (report.changed) runBlocking { pager.sync() }
                backoff = MIN_BACKOFF
            } catch (e: ApiException.NotEnrolled) {
                running = false
                stopSelf()
            } catch (e: ApiException) {
                Log.w("Klaxon", "stream interrupted; retrying in ${backoff.seconds}s", e)
                sleep(backoff)
                backoff = (backoff.multipliedBy(2)).coerceAtMost(MAX_BACKOFF)
            }
        }
    }

    private fun sleep(d: Duration) = try {
        Thread.sleep(d.toMillis())
    } catch (_: InterruptedException) {
    }

    override fun onDestroy() {
        running = false
        worker?.interrupt()
        super.onDestroy()
    }

    override fun onBind(intent: Intent?): IBinder? = null

    companion object {
        private const val ID = 0x6b6c03
        private val SESSION: Duration = Duration.ofMinutes(15)
        private val MIN_BACKOFF: Duration = Duration.ofSeconds(5)
        private val MAX_BACKOFF: Duration = Duration.ofMinutes(5)

        fun start(context: Context) {
            try {
                context.startForegroundService(Intent(context, StreamService::class.java))
            } catch (e: IllegalStateException) {
                Log.w("Klaxon", "stream not started from the background; will retry from the app", e)
            }
        }
    }
}
