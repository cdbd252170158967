package org.klaxon.android.sync

import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.ComponentName
import android.content.Context
import android.os.Build

/**
 * Schedules [SyncJobService] for when there is a network: queued actions
 * reach the relay as soon as they can, and the job survives the process.
 */
object SyncScheduler {
    const val JOB_ID = 0x6b6c02

    fun schedule(context: Context) {
        val scheduler = context.getSystemService(JobScheduler::class.java)
        val component = ComponentName(context, SyncJobService::class.java)
        fun job(expedited: Boolean) = JobInfo.Builder(JOB_ID, component)
            .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
            .apply {
                // An acknowledgement stops escalation only once the relay has it: don't let it wait for a batch window.
                if (expedited && Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) setExpedited(true)
                else setBackoffCriteria(BACKOFF_MS, JobInfo.BACKOFF_POLICY_EXPONENTIAL)
            }
            .build()
        // An expedited job may be refused when its quota is spent; then an ordinary one.
        if (scheduler.schedule(job(expedited = true)) != JobScheduler.RESULT_SUCCESS) {
            scheduler.schedule(job(expedited = false))
        }
    }

    private const val BACKOFF_MS = 10_000L
}
