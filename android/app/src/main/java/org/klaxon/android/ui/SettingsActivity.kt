package org.klaxon.android.ui

import android.app.Activity
import android.os.Bundle
import android.widget.Switch
import org.klaxon.android.Background
import org.klaxon.android.Core
import org.klaxon.core.NotificationSettings

/**
 * The three separate choices core keeps: override Do Not Disturb, keep
 * ringing until acknowledged, hide details on the lock screen. Each switch
 * saves at once; later pages are planned with it.
 */
class SettingsActivity : Activity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val column = Column(this)
        column.heading("Settings")
        column.show()
        Background.load({ Core.pager(this).settings() }) { result ->
            val settings = result.getOrElse {
                column.text("Settings could not be loaded: ${it.message}")
                return@load
            }
            var current = settings
            fun switch(label: String, on: Boolean, change: (NotificationSettings, Boolean) -> NotificationSettings) =
                column.add(Switch(this).apply {
                    text = label
                    isChecked = on
                    setOnCheckedChangeListener { _, checked ->
                        current = change(current, checked)
                        val save = current
                        Background.run { Core.pager(this@SettingsActivity).setSettings(save) }
                    }
                })
            switch("Critical pages override Do Not Disturb and silent mode", settings.allowOverrideDnd) { s, v ->
                s.copy(allowOverrideDnd = v)
            }
            switch("Keep ringing until acknowledged", settings.keepRingingUntilAcknowledged) { s, v ->
                s.copy(keepRingingUntilAcknowledged = v)
            }
            column.text("Otherwise a critical page rings for ${settings.ringLimit.toMinutes()} min.", 14f)
            switch("Hide page details on the lock screen", settings.hideDetailsOnLockScreen) { s, v ->
                s.copy(hideDetailsOnLockScreen = v)
            }
        }
    }
}
