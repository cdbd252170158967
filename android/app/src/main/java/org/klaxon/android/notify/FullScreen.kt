package org.klaxon.android.notify

import android.app.NotificationManager
import android.content.Context
import android.os.Build

/** Whether Android lets the app show a page full screen over the lock screen. */
object FullScreen {
    /** Android 14+ withholds USE_FULL_SCREEN_INTENT from apps that are not alarm or calling apps until the user grants it. */
    fun allowed(context: Context): Boolean =
        if (Build.VERSION.SDK_INT >= 34) {
            context.getSystemService(NotificationManager::class.java).canUseFullScreenIntent()
        } else {
            true
        }
}
