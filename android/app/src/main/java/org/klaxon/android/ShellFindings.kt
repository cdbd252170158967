package org.klaxon.android

import android.content.Context
import java.time.Instant

/**
 * Failures the shell caught and carried on from (so they never broke a
 * ring or an acknowledgement), kept on disk until the same step works
 * again, so the self-check can say what went wrong and when. Keyed by a
 * stable id per step ("sync_schedule", ...).
 */
object ShellFindings {
    private const val PREFS = "klaxon.shell_findings"

    /** One caught failure: which step, what Android said, when. */
    data class Finding(val check: String, val message: String, val at: Instant)

    fun record(context: Context, check: String, message: String) {
        prefs(context).edit()
            .putString("$check.message", message)
            .putLong("$check.at", System.currentTimeMillis())
            .apply()
    }

    /** The step worked again: its old failure no longer applies. */
    fun clear(context: Context, check: String) {
        val prefs = prefs(context)
        if (prefs.contains("$check.message")) prefs.edit().remove("$check.message").remove("$check.at").apply()
    }

    fun all(context: Context): List<Finding> {
        val prefs = prefs(context)
        return prefs.all.keys.filter { it.endsWith(".message") }.sorted().map { key ->
            val check = key.removeSuffix(".message")
            Finding(check, prefs.getString(key, "").orEmpty(), Instant.ofEpochMilli(prefs.getLong("$check.at", 0)))
        }
    }

    private fun prefs(context: Context) =
        context.applicationContext.getSharedPreferences(PREFS, Context.MODE_PRIVATE)
}
