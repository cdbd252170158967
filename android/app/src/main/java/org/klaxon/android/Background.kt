package org.klaxon.android

import android.os.Handler
import android.os.Looper
import java.util.concurrent.Executors

/**
 * One background thread for core calls the UI must not wait on (queries,
 * reports); results come back on the main thread. One thread keeps calls
 * ordered, which is what a user tapping buttons expects.
 */
object Background {
    private val executor: java.util.concurrent.ExecutorService = Executors.newSingleThreadExecutor { r -> Thread(r, "klaxon-core").apply { isDaemon = true } }
    private val main = Handler(Looper.getMainLooper())

    fun run(work: () -> Unit) {
        executor.execute(work)
    }

    /** Waits until everything queued so far has run (tests: no report from one test may reach the next one's pager). */
    fun idle(timeoutMs: Long = 10_000) {
        executor.submit {}.get(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS)
    }

    /** Runs [work] in the background, then [then] on the main thread with its result (or failure). */
    fun <T> load(work: () -> T, then: (Result<T>) -> Unit) {
        executor.execute {
            val result = runCatching(work)
            main.post { then(result) }
        }
    }
}
