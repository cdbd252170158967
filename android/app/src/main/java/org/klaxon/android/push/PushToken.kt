package org.klaxon.android.push

import android.content.Context
import org.klaxon.core.PushTokenState
import java.time.Instant

/**
 * The FCM token and when it was issued, kept across restarts so core can
 * tell the user when it grows old (a token that stopped working is the
 * classic silent-pager failure), and where getting one stands (asked and
 * waiting, failed, or not used by a build without Firebase).
 */
data class PushToken(val value: String, val issuedAt: Instant) {
    companion object {
        private const val PREFS = "klaxon.push"
        private const val STATE = "state"

        fun current(context: Context): PushToken? {
            val prefs = prefs(context)
            val value = prefs.getString("token", null) ?: return null
            return PushToken(value, Instant.ofEpochMilli(prefs.getLong("issued_at", System.currentTimeMillis())))
        }

        /** Stores a new token; an unchanged token keeps its original issue time. */
        fun save(context: Context, value: String) {
            val prefs = prefs(context)
            prefs.edit().putString(STATE, PushTokenState.AVAILABLE.name).apply()
            if (prefs.getString("token", null) == value) return
            prefs.edit().putString("token", value).putLong("issued_at", System.currentTimeMillis()).apply()
        }

        /** Where getting a token stands; null before the app first asked. */
        fun state(context: Context): PushTokenState? {
            if (current(context) != null) return PushTokenState.AVAILABLE
            val name = prefs(context).getString(STATE, null) ?: return null
            return PushTokenState.entries.firstOrNull { it.name == name }
        }

        /** Records [state] (waiting, failed, not used); a token, once saved, wins over it. */
        fun setState(context: Context, state: PushTokenState) {
            prefs(context).edit().putString(STATE, state.name).apply()
        }

        private fun prefs(context: Context) = context.getSharedPreferences(PREFS, Context.MODE_PRIVATE)
    }
}
