package org.klaxon.android.ui

import android.app.Activity
import android.content.ActivityNotFoundException
import android.graphics.Color
import android.os.Bundle
import org.klaxon.android.Background
import org.klaxon.android.Core
import org.klaxon.android.PlatformCapabilities
import org.klaxon.android.ShellFindings
import org.klaxon.core.Health
import org.klaxon.core.HealthItem
import org.klaxon.core.HealthLevel

/**
 * The self-check: every finding of core's `health()` in words, problems
 * first, each with a button to where it is fixed (core names the fix,
 * [HealthFixes] maps it to a screen). What Android holds is read back and
 * reported first — the channels as NotificationManager returns them,
 * permissions, background restriction, push token — so what is shown is
 * what is true now; failures the app caught itself come first.
 */
class SelfCheckActivity : Activity() {
    private lateinit var column: Column

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        column = Column(this)
        column.show()
    }

    override fun onResume() {
        super.onResume()
        Background.load({
            PlatformCapabilities.report(this)
            Core.pager(this).health() to ShellFindings.all(this)
        }) { result -> result.fold({ (health, shell) -> render(health, shell) }) { column.text("The self-check failed: ${it.message}") } }
    }

    private fun render(health: Health, shell: List<ShellFindings.Finding>) {
        column.clear()
        column.heading(if (health.ok && shell.isEmpty()) "Pages will ring" else "Some pages will not ring")
        // What the app itself caught and carried on from (core does not see these).
        val own = shell.map { HealthItem(it.check, HealthLevel.PROBLEM, "${it.message} (${Times.local(it.at)})") to HealthFixes.forShellFinding(it.check) }
        val core = health.items.map { it to it.fix?.let { fix -> HealthFixes.forFix(this, fix) } }
        for ((item, fix) in own + core) {
            column.text("${mark(item.level)} ${item.message}").setTextColor(color(item.level))
            if (item.level == HealthLevel.OK || fix == null) continue
            column.button(fix.label) { apply(fix) }
        }
    }

    private fun apply(fix: HealthFixes.Fix) {
        val intent = fix.intent
        if (intent != null) {
            try {
                startActivity(intent)
            } catch (_: ActivityNotFoundException) {
                column.text("This phone has no screen for that; look in Settings > Apps > Klaxon.")
            }
        } else {
            val work = fix.work ?: return
            Background.load({ work(this) }) { onResume() }
        }
    }

    private fun mark(level: HealthLevel) = when (level) {
        HealthLevel.OK -> "✓"
        HealthLevel.WARNING -> "!"
        HealthLevel.PROBLEM -> "✗"
    }

    private fun color(level: HealthLevel) = when (level) {
        HealthLevel.OK -> Color.rgb(0, 0x80, 0)
        HealthLevel.WARNING -> Color.rgb(0xb0, 0x70, 0)
        HealthLevel.PROBLEM -> Color.RED
    }
}
