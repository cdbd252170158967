package org.klaxon.android.sync

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import org.klaxon.android.push.PushSetup
import org.klaxon.android.ring.AlarmVolume
import org.klaxon.android.ring.Ringing

/** After a reboot or an update: repair a volume left raised, ring again what still rings, reconnect pages (token or stream). */
class BootReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        if (intent.action != Intent.ACTION_BOOT_COMPLETED && intent.action != Intent.ACTION_MY_PACKAGE_REPLACED) return
        AlarmVolume(context).restoreIfLeftRaised()
        // A page still unanswered when the phone went down rings again.
        Ringing.resumeAndRing(context)
        PushSetup.start(context)
    }
}
