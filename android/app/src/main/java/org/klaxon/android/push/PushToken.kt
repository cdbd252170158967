package org.klaxon.android.push

import android.content.Context
import java.time.Instant

/**
 * The FCM token and when it was issued, kept across restarts so core can
 * tell the user when it grows old (a token that stopped working is the
 * classic silent-pager failure).
 */
data class PushToken(val value: String, val issuedAt: Instant) {
    companion object {
        private const val PREFS = "klaxon.push"

        fun current(context: Context): PushToken? {
            val prefs = context.getSharedPreferences(PREFS, Context.MODE_PRIVATE)
            val value = prefs.getString("token", null) ?: return null
            return PushToken(value, Instant.ofEpochMilli(prefs.getLong("issued_at", System.currentTimeMillis())))
        }

        /** Stores a new token; an unchanged token keeps its original issue time. */
        fun save(context: Context, value: String) {
            val prefs = context.getSharedPreferences(PREFS, Context.MODE_PRIVATE)
            if (prefs.getString("token", null) == value) return
            prefs.edit().putString("token", value).putLong("issued_at", System.currentTimeMillis()).apply()
        }
    }
}
