package org.klaxon.android

import android.content.Context

/**
 * Chooses how pages arrive: FCM when this build has Firebase and the device
 * has Google Play, otherwise the relay's event stream from [StreamService].
 * Runs at start, after enrollment and after boot.
 */
object PushSetup {
    fun start(context: Context) {
        if (Core.pager(context).enrollment() == null) return
        KlaxonMessagingService.requestToken(context) { StreamService.start(context) }
        PlatformCapabilities.reportLater(context)
        SyncScheduler.schedule(context)
    }
}
