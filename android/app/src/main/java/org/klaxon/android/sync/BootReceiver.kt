package org.klaxon.android.sync

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import org.klaxon.android.push.PushSetup
import org.klaxon.android.ring.AlarmVolume

/** After a reboot or an update: reconnect pages (token or stream) and repair a volume left raised. */
class BootReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        if (intent.action != Intent.ACTION_BOOT_COMPLETED && intent.action != Intent.ACTION_MY_PACKAGE_REPLACED) return
        AlarmVolume(context).restoreIfLeftRaised()
        PushSetup.start(context)
    }
}
