package org.klaxon.android.push

import android.content.Context
import org.klaxon.android.Core
import org.klaxon.android.PlatformCapabilities
import org.klaxon.android.sync.StreamService
import org.klaxon.android.sync.SyncScheduler

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
