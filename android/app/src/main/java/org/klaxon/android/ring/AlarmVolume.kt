package org.klaxon.android.ring

import android.content.Context
import android.media.AudioManager

/**
 * The alarm stream's volume during a critical page. When the user allowed
 * critical pages to override silence and the alarm volume is at or near
 * its minimum, it is raised to [FLOOR] of the maximum for the ring and put
 * back afterwards. The saved level is written to disk first, so a crash
 * mid-ring is repaired at the next start ([restoreIfLeftRaised]); a level
 * the user changed during the ring is theirs and is left alone.
 */
class AlarmVolume(context: Context) {
    private val audio = context.getSystemService(AudioManager::class.java)
    private val prefs = context.getSharedPreferences("klaxon.volume", Context.MODE_PRIVATE)

    fun raiseIfNearlySilent() {
        if (prefs.contains(SAVED)) return // already raised by this ring
        val max = audio.getStreamMaxVolume(AudioManager.STREAM_ALARM)
        val now = audio.getStreamVolume(AudioManager.STREAM_ALARM)
        val floor = (max * FLOOR).toInt().coerceAtLeast(1)
        if (now >= floor) return
        prefs.edit().putInt(SAVED, now).putInt(SET_TO, floor).commit()
        try {
            audio.setStreamVolume(AudioManager.STREAM_ALARM, floor, 0)
        } catch (e: SecurityException) {
            // Some devices guard the alarm stream under DND; ring at the user's level.
            prefs.edit().clear().commit()
        }
    }

    /** Puts the saved level back, unless the user has moved the volume since. */
    fun restore() {
        if (!prefs.contains(SAVED)) return
        val saved = prefs.getInt(SAVED, 0)
        val setTo = prefs.getInt(SET_TO, -1)
        if (audio.getStreamVolume(AudioManager.STREAM_ALARM) == setTo) {
            try {
                audio.setStreamVolume(AudioManager.STREAM_ALARM, saved, 0)
            } catch (_: SecurityException) {
            }
        }
        prefs.edit().clear().commit()
    }

    /** At start: a ring that never reached [restore] (process killed) is undone now. */
    fun restoreIfLeftRaised() {
        if (Ringing.current().isEmpty()) restore()
    }

    companion object {
        /** Loud enough to wake someone, well short of the maximum. */
        const val FLOOR = 0.6
        private const val SAVED = "saved"
        private const val SET_TO = "set_to"
    }
}
