package org.klaxon.android.notify

import android.app.NotificationManager
import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import org.klaxon.android.PlatformCapabilities

/**
 * Do-Not-Disturb access was granted or withdrawn. The page channels exist
 * from app start, before the user grants access, and Android drops
 * `setBypassDnd` from an app without it — so on a grant the critical
 * channel is updated again (now it takes), and the capabilities, read back
 * from the channel Android holds, are reported at once.
 * Android 10+ sends this to the manifest receiver of an app that holds
 * access; the screens also re-apply it when they resume.
 */
class DndAccessReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        if (intent.action != NotificationManager.ACTION_NOTIFICATION_POLICY_ACCESS_GRANTED_CHANGED) return
        PageChannels.ensureAll(context)
        PlatformCapabilities.reportLater(context)
    }
}
