package org.klaxon.android.sync

import android.app.job.JobParameters
import android.app.job.JobService
import android.util.Log
import kotlinx.coroutines.runBlocking
import org.klaxon.android.Core
import org.klaxon.core.ApiException
import kotlin.concurrent.thread

/**
 * Runs core's `sync()` when JobScheduler says the network is there:
 * delivers queued actions, pulls alert and roster changes. A network
 * failure with actions still queued asks JobScheduler to retry with backoff.
 */
class SyncJobService : JobService() {
    override fun onStartJob(params: JobParameters): Boolean {
        thread(name = "klaxon-sync") {
            val retry = try {
                runBlocking { Core.pager(this@SyncJobService).sync() }.pendingActions > 0u
            } catch (e: ApiException.Network) {
                true
            } catch (e: ApiException) {
                Log.w("Klaxon", "sync failed", e)
                false
            }
            jobFinished(params, retry)
        }
        return true
    }

    // Core keeps what it has not delivered; a stopped job just runs again.
    override fun onStopJob(params: JobParameters): Boolean = true
}
