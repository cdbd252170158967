// The self-check tells the truth: the shell reads back what Android holds
// (each page channel from NotificationManager, background restriction,
// battery optimisation, the push token's state), reports it to the REAL
// core, and SelfCheckActivity shows core's findings, each with the button
// that opens the screen fixing it (the started activity's intent, as
// Robolectric records it).
package org.klaxon.android.tests

import android.app.ActivityManager
import android.app.Application
import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Intent
import android.os.Looper
import android.os.PowerManager
import android.provider.Settings
import android.view.View
import android.view.ViewGroup
import android.widget.Button
import android.widget.TextView
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.klaxon.android.Core
import org.klaxon.android.PlatformCapabilities
import org.klaxon.android.notify.PageChannels
import org.klaxon.android.push.PushToken
import org.klaxon.android.ui.SelfCheckActivity
import org.klaxon.core.ChannelImportance
import org.klaxon.core.HealthFix
import org.klaxon.core.HealthItem
import org.klaxon.core.HealthLevel
import org.klaxon.core.Pager
import org.klaxon.core.PushTokenState
import org.klaxon.tests.Env
import org.klaxon.tests.Relay
import org.klaxon.tests.klaxon
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import java.io.File

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], manifest = Config.NONE, shadows = [PlatformNotificationShadow::class, JobSchedulerShadow::class])
class SelfCheckTest {
    companion object {
        private var relay: Relay? = null

        fun relay(): Relay = relay ?: Relay(File(Env.tempDir("relay"), "relay.db")).also { it.start(); relay = it }

        @AfterClass @JvmStatic fun stopRelay() {
            relay?.close()
            relay = null
        }
    }

    private lateinit var app: Application
    private lateinit var pager: Pager
    private lateinit var notifications: NotificationManager

    @Before fun aPhoneThatGrantedEverything() {
        relay()
        app = RuntimeEnvironment.getApplication()
        notifications = app.getSystemService(NotificationManager::class.java)
        Core.close()
        pager = Core.useRelay(app, Env.relayUrl)
        val code = klaxon("invite", "--relay", Env.relayUrl, "--person", Env.person).trim()
        runBlocking { pager.enroll(code, "robolectric") }
        shadowOf(app).grantPermissions(*AppManifest.permissions.toTypedArray())
        shadowOf(notifications).setNotificationPolicyAccessGranted(true)
        shadowOf(app.getSystemService(PowerManager::class.java)).setIgnoringBatteryOptimizations(app.packageName, true)
        PlatformNotificationShadow.fullScreenAllowed = true
        PushToken.save(app, "fcm-token-1")
    }

    @After fun closePager() {
        org.klaxon.android.Background.idle() // a late capability report must not reopen the pager on this test's app
        Core.close()
    }

    private fun health(check: String): HealthItem {
        PlatformCapabilities.report(app)
        return pager.health().items.firstOrNull { it.check == check }
            ?: error("no '$check' finding: ${pager.health().items.map { it.check }}")
    }

    /** What the user does in the channel's settings: Android stores it and locks the field against the app. */
    private fun userChanges(channel: String, locked: Int, change: NotificationChannel.() -> Unit) {
        notifications.getNotificationChannel(channel).apply(change).lockFields(locked)
    }

    private fun views(root: View): List<View> =
        listOf(root) + if (root is ViewGroup) (0 until root.childCount).flatMap { views(root.getChildAt(it)) } else emptyList()

    private fun texts(screen: SelfCheckActivity) =
        views(screen.window.decorView).filterIsInstance<TextView>().map { it.text.toString() }

    /** Opens the self-check and waits for core's findings on screen. */
    private fun selfCheck(): SelfCheckActivity {
        val screen = Robolectric.buildActivity(SelfCheckActivity::class.java).setup().get()
        val deadline = System.nanoTime() + 5_000_000_000L
        while (System.nanoTime() < deadline) {
            shadowOf(Looper.getMainLooper()).idle()
            if (texts(screen).any { it == "Pages will ring" || it == "Some pages will not ring" }) return screen
            Thread.sleep(20)
        }
        error("the self-check did not load: ${texts(screen)}")
    }

    /** Taps [label] under the finding whose text contains [finding]; returns the screen Android was asked to open. */
    private fun tapFix(screen: SelfCheckActivity, finding: String, label: String): Intent {
        val all = views(screen.window.decorView).filterIsInstance<TextView>()
        val at = all.indexOfFirst { it !is Button && it.text.contains(finding) }
        assertTrue("'$finding' on screen: ${texts(screen)}", at >= 0)
        val button = all.drop(at + 1).firstOrNull { it is Button } as Button?
        assertEquals("the finding's fix", label, button?.text?.toString())
        button!!.performClick()
        return shadowOf(screen).nextStartedActivity ?: error("$label opened nothing")
    }

    @Test fun whatIsReportedIsTheChannelAndroidHoldsNotWhatTheAppAskedFor() {
        PageChannels.ensureAll(app)
        userChanges("klaxon.high", NotificationChannel.USER_LOCKED_IMPORTANCE) { importance = NotificationManager.IMPORTANCE_LOW }
        val reported = PlatformCapabilities.read(app).channels.associateBy { it.channelId }
        assertEquals(setOf("klaxon.critical", "klaxon.high", "klaxon.low"), reported.keys)
        assertEquals(ChannelImportance.HIGH, reported.getValue("klaxon.critical").importance)
        assertTrue(reported.getValue("klaxon.critical").sound)
        assertTrue(reported.getValue("klaxon.critical").bypassDnd)
        assertEquals("the user's change", ChannelImportance.LOW, reported.getValue("klaxon.high").importance)
        assertFalse(reported.getValue("klaxon.low").sound)
    }

    @Test fun aBlockedCriticalChannelIsAProblemFixedInTheChannelsSettings() {
        PageChannels.ensureAll(app)
        userChanges("klaxon.critical", NotificationChannel.USER_LOCKED_IMPORTANCE) { importance = NotificationManager.IMPORTANCE_NONE }
        val item = health("channel")
        assertEquals(HealthLevel.PROBLEM, item.level)
        assertEquals(HealthFix.ChannelSettings("klaxon.critical"), item.fix)

        val screen = selfCheck()
        assertTrue(texts(screen).contains("Some pages will not ring"))
        val opened = tapFix(screen, "critical pages will not ring", "Channel settings")
        assertEquals(Settings.ACTION_CHANNEL_NOTIFICATION_SETTINGS, opened.action)
        assertEquals("klaxon.critical", opened.getStringExtra(Settings.EXTRA_CHANNEL_ID))
        assertEquals(app.packageName, opened.getStringExtra(Settings.EXTRA_APP_PACKAGE))
    }

    @Test fun aMutedCriticalChannelIsAProblem() {
        PageChannels.ensureAll(app)
        userChanges("klaxon.critical", NotificationChannel.USER_LOCKED_SOUND) { setSound(null, null) }
        val item = health("channel")
        assertEquals(HealthLevel.PROBLEM, item.level)
        assertTrue(item.message, item.message.contains("critical pages will not ring"))
    }

    @Test fun aDndBypassAndroidDroppedIsAProblemEvenWithAccessGranted() {
        // Channels made at app start, before access; the user then tuned the
        // critical channel (vibration), which locks it against the app: when
        // access is granted, Android keeps the user's channel — without the bypass.
        shadowOf(notifications).setNotificationPolicyAccessGranted(false)
        PageChannels.ensureAll(app)
        userChanges("klaxon.critical", NotificationChannel.USER_LOCKED_VIBRATION) { enableVibration(false) }
        shadowOf(notifications).setNotificationPolicyAccessGranted(true)
        PageChannels.ensureAll(app)
        assertFalse("read back: no bypass", notifications.getNotificationChannel("klaxon.critical").canBypassDnd())

        assertEquals(HealthLevel.PROBLEM, health("channel_dnd").level)
        val opened = tapFix(selfCheck(), "may not override Do-Not-Disturb", "Channel settings")
        assertEquals(Settings.ACTION_CHANNEL_NOTIFICATION_SETTINGS, opened.action)
        assertEquals("klaxon.critical", opened.getStringExtra(Settings.EXTRA_CHANNEL_ID))
    }

    @Test fun backgroundRestrictionIsAProblemFixedInTheAppsInfo() {
        shadowOf(app.getSystemService(ActivityManager::class.java)).setBackgroundRestricted(true)
        val item = health("background")
        assertEquals(HealthLevel.PROBLEM, item.level)
        val opened = tapFix(selfCheck(), item.message.take(24), "Allow background use")
        assertEquals(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, opened.action)
        assertEquals("package:${app.packageName}", opened.dataString)
    }

    @Test fun batteryOptimisationIsReportedWithTheExemptionDialogAsItsFix() {
        shadowOf(app.getSystemService(PowerManager::class.java)).setIgnoringBatteryOptimizations(app.packageName, false)
        val item = health("battery")
        assertTrue(item.toString(), item.level != HealthLevel.OK)
        val opened = tapFix(selfCheck(), item.message.take(24), "Stop optimising battery")
        assertEquals(Settings.ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS, opened.action)
        assertEquals("package:${app.packageName}", opened.dataString)
    }

    @Test fun aPushTokenThatNeverCameIsAProblem() {
        app.getSharedPreferences("klaxon.push", 0).edit().clear().commit()
        PushToken.setState(app, PushTokenState.FAILED)
        val item = health("push_token")
        assertEquals(HealthLevel.PROBLEM, item.level)
        assertEquals(HealthFix.PushRegistration, item.fix)
        assertTrue(texts(selfCheck()).contains("Ask for a push token again"))
        PushToken.save(app, "fcm-token-2")
        assertTrue("a token: no longer a problem", health("push_token").level != HealthLevel.PROBLEM)
    }
}
