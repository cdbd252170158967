package org.klaxon.android.ui

import android.content.Context
import android.content.Intent
import android.net.Uri
import android.os.Build
import android.provider.Settings

/**
 * Where the user fixes each self-check finding: the settings screen for a
 * permission, or an in-app step (enroll, sync). Keyed by core's stable
 * `HealthItem.check` ids.
 */
object HealthFixes {
    /** A fix: a button label and what it opens (null intent: sync now). */
    data class Fix(val label: String, val intent: Intent?)

    fun forCheck(context: Context, check: String): Fix? {
        val pkg = Uri.parse("package:${context.packageName}")
        return when (check) {
            "enrollment" -> Fix("Enroll", Intent(context, EnrollActivity::class.java))
            "notifications", "shell" -> Fix(
                "Notification settings",
                Intent(Settings.ACTION_APP_NOTIFICATION_SETTINGS).putExtra(Settings.EXTRA_APP_PACKAGE, context.packageName),
            )
            "dnd" -> Fix("Allow Do Not Disturb access", Intent(Settings.ACTION_NOTIFICATION_POLICY_ACCESS_SETTINGS))
            "full_screen" -> if (Build.VERSION.SDK_INT >= 34) {
                Fix("Allow full-screen pages", Intent(Settings.ACTION_MANAGE_APP_USE_FULL_SCREEN_INTENT, pkg))
            } else {
                null
            }
            // The exemption dialog itself: the one place Android allows asking directly.
            "battery" -> Fix("Stop optimising battery", Intent(Settings.ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS, pkg))
            "push_token", "last_push", "sync", "outbox", "sync_schedule" -> Fix("Sync now", null)
            "settings" -> Fix("Open settings", Intent(context, SettingsActivity::class.java))
            else -> null
        }
    }
}
