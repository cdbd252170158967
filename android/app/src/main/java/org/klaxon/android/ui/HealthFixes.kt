package org.klaxon.android.ui

import android.content.Context
import android.content.Intent
import android.net.Uri
import android.os.Build
import android.provider.Settings
import kotlinx.coroutines.runBlocking
import org.klaxon.android.Core
import org.klaxon.android.PlatformCapabilities
import org.klaxon.android.push.PushSetup
import org.klaxon.android.sync.SyncScheduler
import org.klaxon.core.HealthFix

/**
 * Where the user fixes a self-check finding: core names the fix
 * ([HealthFix]); this maps it onto Android — a settings screen (the app's
 * notifications, one channel, DND access, full screen, battery, background)
 * or an in-app step (enroll, ask for a push token again, sync now).
 */
object HealthFixes {
    /** A fix: a button label, and either the screen it opens or the work it does in the background. */
    data class Fix(val label: String, val intent: Intent? = null, val work: ((Context) -> Unit)? = null)

    private val syncNow = Fix("Sync now", work = { context ->
        // Scheduling again clears a refused job's finding once Android accepts it.
        SyncScheduler.schedule(context)
        Core.pager(context).let { p -> runBlocking { p.sync() } }
    })

    /** The fix core named for a finding; null when this Android has no screen for it. */
    fun forFix(context: Context, fix: HealthFix): Fix? {
        val pkg = Uri.parse("package:${context.packageName}")
        return when (fix) {
            HealthFix.Enroll -> Fix("Enroll", Intent(context, EnrollActivity::class.java))
            HealthFix.NotificationSettings -> Fix(
                "Notification settings",
                Intent(Settings.ACTION_APP_NOTIFICATION_SETTINGS).putExtra(Settings.EXTRA_APP_PACKAGE, context.packageName),
            )
            is HealthFix.ChannelSettings -> Fix(
                "Channel settings",
                Intent(Settings.ACTION_CHANNEL_NOTIFICATION_SETTINGS)
                    .putExtra(Settings.EXTRA_APP_PACKAGE, context.packageName)
                    .putExtra(Settings.EXTRA_CHANNEL_ID, fix.channelId),
            )
            HealthFix.DndAccess -> Fix("Allow Do Not Disturb access", Intent(Settings.ACTION_NOTIFICATION_POLICY_ACCESS_SETTINGS))
            HealthFix.FullScreenPermission -> if (Build.VERSION.SDK_INT >= 34) {
                Fix("Allow full-screen pages", Intent(Settings.ACTION_MANAGE_APP_USE_FULL_SCREEN_INTENT, pkg))
            } else {
                null
            }
            // The exemption dialog itself: the one place Android allows asking directly.
            HealthFix.BatteryOptimisation ->
                Fix("Stop optimising battery", Intent(Settings.ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS, pkg))
            // App info: Battery -> Unrestricted lifts the background restriction.
            HealthFix.BackgroundRestriction ->
                Fix("Allow background use", Intent(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, pkg))
            HealthFix.PushRegistration -> Fix("Ask for a push token again", work = { context ->
                PushSetup.start(context)
                PlatformCapabilities.report(context)
            })
            HealthFix.Sync -> syncNow
        }
    }

    /** The fix for a finding the shell recorded itself ([org.klaxon.android.ShellFindings]). */
    fun forShellFinding(check: String): Fix? = when (check) {
        SyncScheduler.FINDING -> syncNow
        else -> null
    }
}
