package org.klaxon.android.sync

import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.ComponentName
import android.content.Context
import android.os.Build
import android.util.Log
import org.klaxon.android.ShellFindings

/**
 * Schedules [SyncJobService] for when there is a network: queued actions
 * reach the relay as soon as they can, and the job survives the process.
 *
 * It runs right after an acknowledgement is committed, in the ring path
 * (after a push) and at boot, so it never throws: JobScheduler refusing
 * the job (a SecurityException on Android 14+ without
 * ACCESS_NETWORK_STATE, the per-app job limit, ...) is logged and recorded
 * for the self-check, and the caller carries on — the action is already
 * in core's outbox and goes out with the next sync.
 */
object SyncScheduler {
    const val JOB_ID = 0x6b6c02

    /** The self-check's id for a refused job ([ShellFindings]). */
    const val FINDING = "sync_schedule"

    /** Schedules the sync job; false (and a self-check finding) when Android refused it. */
    fun schedule(context: Context): Boolean = try {
        scheduleOrThrow(context)
        ShellFindings.clear(context, FINDING)
        true
    } catch (e: RuntimeException) {
        Log.e("Klaxon", "could not schedule the sync job", e)
        ShellFindings.record(
            context, FINDING,
            "Android refused to schedule the background sync (${e.javaClass.simpleName}: ${e.message}); " +
                "actions reach the relay only when the app syncs.",
        )
        false
    }

    private fun scheduleOrThrow(context: Context) {
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
        if (scheduler.schedule(job(expedited = true)) != JobScheduler.RESULT_SUCCESS &&
            scheduler.schedule(job(expedited = false)) != JobScheduler.RESULT_SUCCESS
        ) {
            throw IllegalStateException("JobScheduler returned RESULT_FAILURE")
        }
    }

    private const val BACKOFF_MS = 10_000L
}
