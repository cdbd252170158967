package org.klaxon.android.ring

import android.content.Context
import android.media.RingtoneManager
import android.net.Uri

/**
 * The sound a critical page plays: the user's alarm tone when it resolves
 * to something playable, else the tone bundled with the app
 * (res/raw/klaxon_alarm.wav). `getDefaultUri(TYPE_ALARM)` is never null —
 * it is a pointer (content://settings/system/alarm_alert) — so what it
 * points to is checked: no tone set ("None", a silent alarm) or a tone
 * that cannot be read (deleted, on storage that is gone) means the bundled
 * one. Checked each time a ring starts, so a later change of the user's
 * tone is followed.
 */
object AlarmSound {
    /** The bundled tone's resource name (res/raw). */
    const val BUNDLED = "klaxon_alarm"

    /** The bundled tone, by name: no R class needed. */
    fun bundled(context: Context): Uri = Uri.parse("android.resource://${context.packageName}/raw/$BUNDLED")

    /** The tone to play: the user's alarm tone if playable, else [bundled]. */
    fun uri(context: Context): Uri = systemAlarm(context) ?: bundled(context)

    /**
     * The system alarm tone, when it is set and has sound to read: the
     * default pointer if the settings provider serves it (it follows the
     * user's changes), else the tone it points to; null when neither plays.
     */
    fun systemAlarm(context: Context): Uri? {
        val actual = try {
            RingtoneManager.getActualDefaultRingtoneUri(context, RingtoneManager.TYPE_ALARM)
        } catch (_: RuntimeException) {
            null
        } ?: return null // "None": the user's alarm is silent
        val pointer = RingtoneManager.getDefaultUri(RingtoneManager.TYPE_ALARM)
        return listOf(pointer, actual).firstOrNull { playable(context, it) }
    }

    /** Whether [uri] opens and has at least one byte of sound. */
    private fun playable(context: Context, uri: Uri): Boolean = try {
        context.contentResolver.openInputStream(uri)?.use { it.read() != -1 } ?: false
    } catch (_: Exception) {
        false // missing file, no provider, no permission: not playable
    }
}
