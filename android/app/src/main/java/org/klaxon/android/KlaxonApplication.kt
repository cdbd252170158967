package org.klaxon.android

import android.app.Application
import org.klaxon.android.notify.PageChannels
import org.klaxon.android.push.PushSetup
import org.klaxon.android.ring.AlarmVolume

/**
 * Process start: undo a volume a killed ring left raised, create every page
 * channel (so the user can tune them before the first page), and connect pages.
 */
class KlaxonApplication : Application() {
    override fun onCreate() {
        super.onCreate()
        AlarmVolume(this).restoreIfLeftRaised()
        PageChannels.ensureAll(this)
        Background.run { PushSetup.start(this) }
    }
}
