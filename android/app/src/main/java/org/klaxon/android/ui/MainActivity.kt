package org.klaxon.android.ui

import android.Manifest
import android.app.Activity
import android.app.AlertDialog
import android.app.NotificationManager
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import android.os.Bundle
import android.provider.Settings
import kotlinx.coroutines.runBlocking
import org.klaxon.android.Background
import org.klaxon.android.Core
import org.klaxon.android.PlatformCapabilities
import org.klaxon.android.Words
import org.klaxon.android.notify.PageIntents
import org.klaxon.android.push.PushSetup
import org.klaxon.core.AlertStatus

/**
 * The home screen: open pages (tap for timeline and runbook), and the way
 * to the roster, the self-check and the settings. Sends a device that is
 * not enrolled to [EnrollActivity], and asks for the two permissions a
 * page cannot ring without.
 */
class MainActivity : Activity() {
    private lateinit var column: Column

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        column = Column(this)
        column.show()
    }

    override fun onResume() {
        super.onResume()
        Background.load({ Core.pager(this).enrollment() }) { result ->
            if (result.getOrNull() == null) {
                startActivity(Intent(this, EnrollActivity::class.java))
            } else {
                askForPermissions()
                PushSetup.start(this)
                render()
            }
        }
    }

    private fun render() {
        Background.load({ Core.pager(this).alerts().filter { it.status != AlertStatus.RESOLVED } }) { result ->
            column.clear()
            column.heading("Open pages")
            val alerts = result.getOrElse { emptyList() }
            if (alerts.isEmpty()) column.text("Nothing open.")
            for (alert in alerts) {
                column.button("${alert.priority.name.lowercase()} · ${alert.status.name.lowercase()}\n${alert.summary}") {
                    startActivity(Intent(this, PageDetailActivity::class.java).putExtra(PageIntents.EXTRA_ALERT, alert.id))
                }
            }
            column.heading("")
            column.button("On call") { startActivity(Intent(this, RosterActivity::class.java)) }
            column.button("Self-check") { startActivity(Intent(this, SelfCheckActivity::class.java)) }
            column.button("Settings") { startActivity(Intent(this, SettingsActivity::class.java)) }
            column.button("Sync now") {
                Background.load({ Core.pager(this).let { p -> runBlocking { p.sync() } } }) { render() }
            }
        }
    }

    /** Notifications (Android 13+), then Do-Not-Disturb access with the reason first. */
    private fun askForPermissions() {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU &&
            checkSelfPermission(Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) {
            requestPermissions(arrayOf(Manifest.permission.POST_NOTIFICATIONS), 1)
            return
        }
        val notifications = getSystemService(NotificationManager::class.java)
        val prefs = getSharedPreferences("klaxon.ui", MODE_PRIVATE)
        if (!notifications.isNotificationPolicyAccessGranted && !prefs.getBoolean("dnd_asked", false)) {
            prefs.edit().putBoolean("dnd_asked", true).apply()
            AlertDialog.Builder(this)
                .setTitle("Ring through Do Not Disturb")
                .setMessage(Words.DND_WHY)
                .setPositiveButton("Continue") { _, _ ->
                    startActivity(Intent(Settings.ACTION_NOTIFICATION_POLICY_ACCESS_SETTINGS))
                }
                .setNegativeButton("Not now", null)
                .show()
        }
    }

    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        PlatformCapabilities.reportLater(this)
        askForPermissions()
    }
}
