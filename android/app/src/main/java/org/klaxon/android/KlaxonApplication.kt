package org.klaxon.android

import android.app.Application

/** Process start: undo a volume a killed ring left raised, and connect pages. */
class KlaxonApplication : Application() {
    override fun onCreate() {
        super.onCreate()
        AlarmVolume(this).restoreIfLeftRaised()
        Background.run { PushSetup.start(this) }
    }
}
