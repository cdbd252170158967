package org.klaxon.android.ring

import android.media.RingtoneManager
import android.net.Uri
import android.provider.Settings

/** The sound a critical page plays: the user's alarm sound, whatever the device has. */
object AlarmSound {
    /** The alarm tone, else the ringtone, else the notification sound — never nothing. */
    fun uri(): Uri =
        RingtoneManager.getDefaultUri(RingtoneManager.TYPE_ALARM)
            ?: RingtoneManager.getDefaultUri(RingtoneManager.TYPE_RINGTONE)
            ?: Settings.System.DEFAULT_NOTIFICATION_URI
}
