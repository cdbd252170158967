// FFI benchmark from the JVM: who_is_on_call per call and handle_push
// median, against whichever cdylib jna.library.path points at (the script
// uses the release build). Needs the same environment as the tests.
package org.klaxon.tests

import kotlinx.coroutines.runBlocking
import org.klaxon.core.*
import java.io.File

private class QuietSink : NotificationSink {
    override fun presentNotification(plan: NotificationPlan) {}
    override fun updateNotification(plan: NotificationPlan) {}
    override fun cancelNotification(alert: String) {}
    override fun startRinging(alert: String, ring: RingLoop) {}
    override fun stopRinging(alert: String) {}
}

fun main() {
    Relay(File(Env.tempDir("bench-relay"), "relay.db")).use { relay ->
        relay.start()
        Pager(Env.tempDir("bench-phone").path, Env.relayUrl).use { pager ->
            runBlocking {
                pager.enroll(klaxon("invite", "--relay", Env.relayUrl, "--person", Env.person).trim(), "bench")
                pager.sync()
            }
            pager.setNotificationSink(QuietSink())

            // who_is_on_call: warm up (JIT, caches), then time a long run.
            repeat(20_000) { pager.whoIsOnCall("primary") }
            val calls = 200_000
            val t0 = System.nanoTime()
            repeat(calls) { pager.whoIsOnCall("primary") }
            val perCallUs = (System.nanoTime() - t0) / 1000.0 / calls
            println("who_is_on_call: %.2f µs per call (mean of %d calls, target < 20 µs)".format(perCallUs, calls))

            fun time(name: String, n: Int, f: () -> Unit) {
                repeat(n / 10) { f() }
                val s = System.nanoTime(); repeat(n) { f() }
                println("  %s: %.2f µs per call".format(name, (System.nanoTime() - s) / 1000.0 / n))
            }
            val sink = QuietSink()
            time("setNotificationSink() (no result, no SQLite)", 50_000) { pager.setNotificationSink(sink) }
            time("enrollment() (no SQLite)", 50_000) { pager.enrollment() }
            time("settings() (one SQLite read)", 50_000) { pager.settings() }
            time("pendingActions()", 50_000) { pager.pendingActions() }

            // handle_push: every payload a new page, sealed like the relay's.
            val key = pager.enrollment()!!.sealingPublicKey
            val n = 2_000
            val payloads = (0 until n + 200).map { seal(key, pageJson("bench-$it")) }
            payloads.take(200).forEach { pager.handlePush(it) }
            val times = payloads.drop(200).map { p ->
                val s = System.nanoTime(); pager.handlePush(p); (System.nanoTime() - s) / 1000.0
            }.sorted()
            println("handle_push: median %.0f µs, p90 %.0f µs, p99 %.0f µs (%d new pages, target median < 2 ms)"
                .format(times[n / 2], times[n * 9 / 10], times[n * 99 / 100], n))
        }
    }
}
