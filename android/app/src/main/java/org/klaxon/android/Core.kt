package org.klaxon.android

import android.content.Context
import org.klaxon.core.Pager
import java.io.File

/**
 * The process's one [Pager]: core opened on the app's private, never
 * backed-up directory (it holds the device key), with [KlaxonSink] attached,
 * so pushes, notification actions, jobs and screens all talk to one engine.
 */
object Core {
    private const val PREFS = "klaxon.core"
    private const val RELAY_URL = "relay_url"

    /** Core needs a well-formed relay URL before enrollment; nothing is ever sent to it. */
    private const val NO_RELAY_YET = "https://relay.invalid"

    @Volatile
    private var pager: Pager? = null

    /** The pager, opened on first use. */
    fun pager(context: Context): Pager =
        pager ?: synchronized(this) {
            pager ?: open(context.applicationContext, relayUrl(context)).also { pager = it }
        }

    /** The relay this device enrolled with (or is about to). */
    fun relayUrl(context: Context): String =
        prefs(context).getString(RELAY_URL, null) ?: NO_RELAY_YET

    /**
     * Points core at [url] (the enrollment screen): the pager is reopened on
     * the same state, since core takes its relay when it opens.
     */
    fun useRelay(context: Context, url: String): Pager = synchronized(this) {
        // commit(), not apply(): the URL must be on disk before core uses it.
        prefs(context).edit().putString(RELAY_URL, url.trim()).commit()
        pager?.close()
        pager = null
        pager(context)
    }

    /** Closes the pager (tests; the app itself keeps it for the process's life). */
    fun close() = synchronized(this) {
        pager?.close()
        pager = null
    }

    private fun open(context: Context, relayUrl: String): Pager {
        // noBackupFilesDir: a restored backup must not clone this device's identity.
        val dir = File(context.noBackupFilesDir, "core")
        return Pager(dir.path, relayUrl).also { it.setNotificationSink(KlaxonSink(context)) }
    }

    private fun prefs(context: Context) =
        context.applicationContext.getSharedPreferences(PREFS, Context.MODE_PRIVATE)
}
