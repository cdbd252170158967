package org.klaxon.android

import android.app.Application

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
