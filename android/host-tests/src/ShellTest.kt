// The shell on Robolectric's Android 14 against the REAL core (the host
// cdylib through JNA) and a REAL relay (`klaxon serve`, via
// tests/kotlin/Support.kt): each test enrolls a fresh phone, receives a
// page sealed to it through KlaxonMessagingService (the FCM path), and
// checks what Android was asked to do.
package org.klaxon.android.tests

import android.app.Application
import android.app.Notification
import android.app.NotificationManager
import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.BroadcastReceiver
import android.content.Intent
import android.media.AudioAttributes
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.BeforeClass
import org.junit.Test
import org.junit.runner.RunWith
import org.klaxon.android.Core
import org.klaxon.android.notify.PageActionReceiver
import org.klaxon.android.notify.PageChannels
import org.klaxon.android.notify.PageNotifications
import org.klaxon.android.push.KlaxonMessagingService
import org.klaxon.android.ring.Ringing
import org.klaxon.android.ring.RingingService
import org.klaxon.android.sync.SyncScheduler
import org.klaxon.android.ui.FullScreenPageActivity
import org.klaxon.android.ui.RosterActivity
import org.klaxon.core.Pager
import org.klaxon.core.notificationChannels
import org.klaxon.tests.Env
import org.klaxon.tests.Relay
import org.klaxon.tests.klaxon
import org.klaxon.tests.pageJson
import org.klaxon.tests.seal
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import java.io.File
import java.time.Clock
import java.time.Duration
import java.time.Instant
import java.util.Base64

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], manifest = Config.NONE, shadows = [PlatformNotificationShadow::class, JobSchedulerShadow::class])
class ShellTest {
    companion object {
        private var relay: Relay? = null

        /** One relay for the class; every test enrolls its own phone on it. */
        fun relay(): Relay = relay ?: Relay(File(Env.tempDir("relay"), "relay.db")).also { it.start(); relay = it }

        @AfterClass @JvmStatic fun stopRelay() {
            relay?.close()
            relay = null
        }
    }

    private lateinit var app: Application
    private lateinit var pager: Pager
    private lateinit var notifications: NotificationManager

    @Before fun enrollAFreshPhone() {
        relay()
        app = RuntimeEnvironment.getApplication()
        notifications = app.getSystemService(NotificationManager::class.java)
        // Robolectric gives each test a new app; the pager must be the new app's.
        Core.close()
        pager = Core.useRelay(app, Env.relayUrl)
        val code = klaxon("invite", "--relay", Env.relayUrl, "--person", Env.person).trim()
        runBlocking { pager.enroll(code, "robolectric") }
        // A phone that installed this manifest and granted what the app asks for (tests may take it away).
        shadowOf(app).grantPermissions(*AppManifest.permissions.toTypedArray())
        shadowOf(notifications).setNotificationPolicyAccessGranted(true)
        PlatformNotificationShadow.fullScreenAllowed = true
        Ringing.stopAll(app) // statics outlive Robolectric's per-test app
        shadowOf(app).clearStartedServices()
    }

    @After fun closePager() {
        org.klaxon.android.Background.idle() // a late capability report must not reopen the pager on this test's app
        Core.close()
    }

    /** Delivers a page sealed to this phone as an FCM data message, as the relay sends it. */
    private fun push(
        alert: String, priority: String, summary: String = "checkout 5xx above 5%",
        status: String = "triggered", revision: Int = 2,
    ) {
        val sealed = seal(
            pager.enrollment()!!.sealingPublicKey,
            pageJson(alert, priority = priority, summary = summary, status = status, revision = revision),
        )
        val data = mapOf(
            "v" to "1", "alert" to alert, "priority" to priority,
            "sealed" to Base64.getEncoder().encodeToString(sealed),
        )
        val service = Robolectric.buildService(KlaxonMessagingService::class.java).create().get()
        service.onMessageReceived(com.google.firebase.messaging.RemoteMessage(data))
    }

    private fun posted(alert: String): Notification =
        shadowOf(notifications).getNotification(alert, PageNotifications.ID)
            ?: error("no notification for $alert; posted: ${shadowOf(notifications).allNotifications.size}")

    private fun action(n: Notification, label: String): Notification.Action =
        n.actions?.firstOrNull { it.title.toString() == label } ?: error("no $label action: ${n.actions?.map { it.title }}")

    /** What tapping the button does: its PendingIntent's broadcast, delivered to the receiver it names. */
    private fun tap(button: Notification.Action) {
        val intent: Intent = shadowOf(button.actionIntent).savedIntent
        assertEquals(PageActionReceiver::class.java.name, intent.component?.className)
        assertTrue("a button is a broadcast (works without unlocking)", shadowOf(button.actionIntent).isBroadcastIntent)
        val receiver = Class.forName(intent.component!!.className).getDeclaredConstructor().newInstance() as BroadcastReceiver
        receiver.onReceive(app, intent)
    }

    /** Runs the main looper until [done] (screens load from core on a background thread). */
    private fun settle(what: String, done: () -> Boolean) {
        val deadline = System.nanoTime() + 5_000_000_000L
        while (System.nanoTime() < deadline) {
            shadowOf(android.os.Looper.getMainLooper()).idle()
            if (done()) return
            Thread.sleep(20)
        }
        error("timed out waiting for: $what")
    }

    /** Every text on [activity]'s screen, buttons included, as Android holds the views. */
    private fun texts(activity: android.app.Activity): List<String> {
        val out = mutableListOf<String>()
        fun walk(v: android.view.View) {
            if (v is android.widget.TextView) out += v.text.toString()
            if (v is android.view.ViewGroup) for (i in 0 until v.childCount) walk(v.getChildAt(i))
        }
        walk(activity.window.decorView)
        return out
    }

    private fun button(activity: android.app.Activity, label: String): android.widget.Button {
        var found: android.widget.Button? = null
        fun walk(v: android.view.View) {
            if (v is android.widget.Button && v.text.toString() == label) found = v
            if (v is android.view.ViewGroup) for (i in 0 until v.childCount) walk(v.getChildAt(i))
        }
        walk(activity.window.decorView)
        return found ?: error("no $label button on screen: ${texts(activity)}")
    }

    /** The page's full-screen intent, as Android would deliver it to the activity. */
    private fun fullScreenIntent(alert: String): Intent =
        shadowOf(posted(alert).fullScreenIntent ?: error("$alert has no full-screen intent")).savedIntent

    @Test fun aSecondPageTakesOverTheFullScreenPageAndItsButtons() {
        push("fs-a", "critical", summary = "payments down")
        push("fs-b", "critical", summary = "search down")
        val controller = Robolectric.buildActivity(FullScreenPageActivity::class.java, fullScreenIntent("fs-a")).setup()
        val page = controller.get()
        settle("page A on screen") { "payments down" in texts(page) }

        // singleInstance: Android hands the second page's intent to the running activity.
        controller.newIntent(fullScreenIntent("fs-b"))
        settle("page B on screen") { "search down" in texts(page) }
        assertFalse("page A is gone", "payments down" in texts(page))
        assertEquals("fs-b", page.intent.getStringExtra(org.klaxon.android.notify.PageIntents.EXTRA_ALERT))

        button(page, "Acknowledge").performClick()
        val sent = shadowOf(app).broadcastIntents.last()
        assertEquals("the button acts on the page shown", "fs-b",
            sent.getStringExtra(org.klaxon.android.notify.PageIntents.EXTRA_ALERT))
        PageActionReceiver().onReceive(app, sent)
        assertEquals(listOf("acknowledge" to "fs-b"), pager.pendingActions().map { it.action to it.alert })
        // Page A still rings and is unanswered: the screen goes back to it.
        assertTrue(Ringing.isRinging("fs-a"))
        assertFalse(page.isFinishing)
        settle("page A on screen again") { "payments down" in texts(page) }
    }

    @Test fun theFullScreenPageClosesWhenItsAlertIsAcknowledgedFromTheNotification() {
        push("fs-c", "critical", summary = "queue backed up")
        val page = Robolectric.buildActivity(FullScreenPageActivity::class.java, fullScreenIntent("fs-c")).setup().get()
        settle("page on screen") { "queue backed up" in texts(page) }
        tap(action(posted("fs-c"), "Acknowledge"))
        settle("page closed") { page.isFinishing }
    }

    @Test fun theFullScreenPageClosesWhenAStatusPushSaysTheAlertWasAcknowledgedElsewhere() {
        push("fs-d", "critical", summary = "db replica lag")
        val page = Robolectric.buildActivity(FullScreenPageActivity::class.java, fullScreenIntent("fs-d")).setup().get()
        settle("page on screen") { "db replica lag" in texts(page) }
        // A colleague acknowledged it: the relay's status push.
        push("fs-d", "critical", summary = "db replica lag", status = "acknowledged", revision = 3)
        assertFalse(Ringing.isRinging("fs-d"))
        settle("page closed") { page.isFinishing }
    }

    private fun buttons(activity: android.app.Activity): List<String> {
        val out = mutableListOf<String>()
        fun walk(v: android.view.View) {
            if (v is android.widget.Button) out += v.text.toString()
            if (v is android.view.ViewGroup) for (i in 0 until v.childCount) walk(v.getChildAt(i))
        }
        walk(activity.window.decorView)
        return out
    }

    private val labels = mapOf(
        org.klaxon.core.PageAction.ACKNOWLEDGE to "Acknowledge", org.klaxon.core.PageAction.ESCALATE to "Escalate",
        org.klaxon.core.PageAction.DECLINE to "Decline", org.klaxon.core.PageAction.RESOLVE to "Resolve",
        org.klaxon.core.PageAction.SNOOZE to "Snooze",
    )

    @Test fun theNotificationOffersCoresActionsAndLocksThoseThatNeedUnlocking() {
        push("act-1", "critical")
        val offered = pager.offeredActions("act-1")
        assertEquals("core's offer for a page that paged me",
            listOf("Acknowledge", "Escalate", "Decline", "Resolve", "Snooze"), offered.map { labels.getValue(it.action) })
        val n = posted("act-1")
        assertEquals(offered.map { labels.getValue(it.action) }, n.actions.map { it.title.toString() })
        for ((button, want) in n.actions.zip(offered)) {
            assertEquals("${button.title} needs unlocking", want.needsUnlock, button.isAuthenticationRequired)
        }
        assertFalse(action(n, "Acknowledge").isAuthenticationRequired)
        assertTrue(action(n, "Decline").isAuthenticationRequired)
        // Snooze opens the page screen, where its length is picked.
        val snooze = shadowOf(action(n, "Snooze").actionIntent)
        assertTrue(snooze.isActivityIntent)
        assertEquals(org.klaxon.android.ui.PageDetailActivity::class.java.name, snooze.savedIntent.component?.className)
        // Decline: a broadcast to the receiver, queued in core, the ring stopped.
        tap(action(n, "Decline"))
        assertEquals(listOf("decline"), pager.pendingActions().map { it.action })
        assertFalse(Ringing.isRinging("act-1"))
    }

    @Test fun anAcknowledgedPageOffersWhatCoreSaysNoMore() {
        push("act-2", "critical")
        tap(action(posted("act-2"), "Acknowledge"))
        val labelsAfter = posted("act-2").actions.map { it.title.toString() }
        assertEquals(pager.offeredActions("act-2").map { labels.getValue(it.action) }, labelsAfter)
        assertFalse("no Acknowledge", "Acknowledge" in labelsAfter)
        assertFalse("no Decline once acknowledged", "Decline" in labelsAfter)
    }

    @Test fun thePageScreenOffersCoresActionsAndSnoozesForTheChosenLength() {
        push("act-3", "critical", summary = "cache stampede")
        // Tapping the notification (or its Snooze button): the page screen.
        val open: Intent = shadowOf(posted("act-3").contentIntent).savedIntent
        val screen = Robolectric.buildActivity(org.klaxon.android.ui.PageDetailActivity::class.java, open).setup().get()
        settle("the page screen") { "cache stampede" in texts(screen) }
        assertEquals(pager.offeredActions("act-3").map { labels.getValue(it.action) }, buttons(screen) - "Open runbook")

        button(screen, "Snooze").performClick()
        assertEquals("the lengths, the default first",
            listOf("for 30 min (default)", "for 15 min", "for 1 h", "for 2 h", "for 4 h"),
            buttons(screen).filter { it.startsWith("for ") })
        button(screen, "for 1 h").performClick()
        settle("the snooze queued") { pager.pendingActions().any { it.action == "snooze" } }
        org.klaxon.android.Background.idle() // the tap's work ends with stopping the ring
        assertEquals(listOf("snooze" to "act-3"), pager.pendingActions().map { it.action to it.alert })
        assertFalse("the ring stopped", Ringing.isRinging("act-3"))
    }

    @Test fun theFullScreenPageOffersCoresActionsAndUnlocksBeforeThoseThatNeedIt() {
        push("act-4", "critical", summary = "disk almost full")
        val keyguard = shadowOf(app.getSystemService(android.app.KeyguardManager::class.java))
        keyguard.setKeyguardLocked(true)
        val page = Robolectric.buildActivity(FullScreenPageActivity::class.java, fullScreenIntent("act-4")).setup().get()
        settle("page on screen") { "disk almost full" in texts(page) }
        assertEquals(pager.offeredActions("act-4").map { labels.getValue(it.action) }, buttons(page))

        val before = shadowOf(app).broadcastIntents.size
        button(page, "Resolve").performClick()
        assertEquals("nothing sent while locked", before, shadowOf(app).broadcastIntents.size)
        keyguard.setKeyguardLocked(false) // the user unlocked
        val sent = shadowOf(app).broadcastIntents.last()
        assertEquals(org.klaxon.android.notify.PageIntents.RESOLVE, sent.action)
        assertEquals("act-4", sent.getStringExtra(org.klaxon.android.notify.PageIntents.EXTRA_ALERT))
    }

    /** The process dies: the shell's memory goes (rings, the open pager); core's store stays. */
    private fun killTheProcess() {
        Ringing.stopAll(app)
        org.klaxon.android.Background.idle()
        Core.close()
        shadowOf(app).clearStartedServices()
    }

    @Test fun aRingKilledWithTheProcessResumesWhenAndroidRestartsTheStickyService() {
        push("kill-1", "critical")
        assertTrue(Ringing.isRinging("kill-1"))
        killTheProcess()
        assertFalse(Ringing.isRinging("kill-1"))

        // Android restarts a START_STICKY service with a null intent.
        val service = Robolectric.buildService(RingingService::class.java).create().get()
        assertEquals(android.app.Service.START_STICKY, service.onStartCommand(null, android.app.Service.START_FLAG_RETRY, 1))
        assertTrue("ringing again", Ringing.isRinging("kill-1"))
        assertFalse("and it keeps running", shadowOf(service).isStoppedBySelf)
        service.onDestroy()
    }

    @Test fun anAcknowledgedPageDoesNotRingAgainAfterAKill() {
        push("kill-2", "critical")
        tap(action(posted("kill-2"), "Acknowledge"))
        killTheProcess()
        val service = Robolectric.buildService(RingingService::class.java).create().get()
        service.onStartCommand(null, android.app.Service.START_FLAG_RETRY, 1)
        assertFalse(Ringing.isRinging("kill-2"))
        assertTrue("nothing to ring: the service stops itself", shadowOf(service).isStoppedBySelf)
        service.onDestroy()
    }

    @Test fun aPageSwipedAwayStaysSilentAfterAKill() {
        push("kill-3", "critical")
        // Swiping the notification away: its delete intent, delivered to the receiver it names.
        val swipe: Intent = shadowOf(posted("kill-3").deleteIntent).savedIntent
        PageActionReceiver().onReceive(app, swipe)
        assertFalse(Ringing.isRinging("kill-3"))
        assertEquals("the alert stays open in core", emptyList<Any>(), pager.pendingActions())
        killTheProcess()
        val service = Robolectric.buildService(RingingService::class.java).create().get()
        service.onStartCommand(null, android.app.Service.START_FLAG_RETRY, 1)
        assertFalse("still silenced", Ringing.isRinging("kill-3"))
        service.onDestroy()
    }

    @Test fun aPageStillRingingWhenThePhoneWentDownRingsAgainAfterBoot() {
        push("boot-1", "critical")
        killTheProcess()
        org.klaxon.android.sync.BootReceiver().onReceive(app, Intent(Intent.ACTION_BOOT_COMPLETED))
        assertTrue(Ringing.isRinging("boot-1"))
        val started = generateSequence { shadowOf(app).nextStartedService }.map { it.component?.className }.toList()
        assertTrue(started.toString(), RingingService::class.java.name in started)
    }

    @Test fun aCriticalPageRingsOnTheCriticalChannelThroughDndFullScreenWithItsActions() {
        push("crit-1", "critical")
        val n = posted("crit-1")
        assertEquals("the channel core planned", "klaxon.critical", n.channelId)
        val channel = notifications.getNotificationChannel("klaxon.critical")
        assertEquals(NotificationManager.IMPORTANCE_HIGH, channel.importance)
        assertTrue("critical bypasses Do Not Disturb", channel.canBypassDnd())
        assertEquals("alarm stream", AudioAttributes.USAGE_ALARM, channel.audioAttributes.usage)
        assertNotNull("a sound", channel.sound)
        assertTrue("strong vibration", channel.shouldVibrate() && channel.vibrationPattern.sum() >= 3000)
        assertEquals(Notification.VISIBILITY_PUBLIC, channel.lockscreenVisibility)
        assertEquals("readable on the lock screen", Notification.VISIBILITY_PUBLIC, n.visibility)
        assertEquals(Notification.CATEGORY_ALARM, n.category)
        val fullScreen = n.fullScreenIntent ?: error("a critical page has a full-screen intent")
        assertEquals(FullScreenPageActivity::class.java.name, shadowOf(fullScreen).savedIntent.component?.className)
        action(n, "Acknowledge")
        action(n, "Escalate")
        assertTrue("core started the ring", Ringing.isRinging("crit-1"))
        val started = shadowOf(app).nextStartedService
        assertEquals(RingingService::class.java.name, started?.component?.className)
    }

    @Test fun acknowledgeOnTheLockScreenQueuesInCoresOutboxAndStopsTheRing() {
        push("crit-2", "critical")
        assertTrue(Ringing.isRinging("crit-2"))
        shadowOf(app).clearStartedServices()

        tap(action(posted("crit-2"), "Acknowledge"))

        val queued = pager.pendingActions()
        assertEquals(queued.toString(), 1, queued.size)
        assertEquals("acknowledge", queued.single().action)
        assertEquals("crit-2", queued.single().alert)
        assertFalse("the ring stopped", Ringing.isRinging("crit-2"))
        assertEquals(RingingService::class.java.name, shadowOf(app).nextStoppedService?.component?.className)
        // Core's update: still shown, quiet, Acknowledge gone.
        val after = posted("crit-2")
        assertFalse(after.actions.any { it.title.toString() == "Acknowledge" })
        assertTrue("an update does not sound again", after.flags and Notification.FLAG_ONLY_ALERT_ONCE != 0)
        // A sync is scheduled for when there is a network.
        val job = app.getSystemService(JobScheduler::class.java).getPendingJob(SyncScheduler.JOB_ID)
            ?: error("no sync job scheduled")
        assertEquals(JobInfo.NETWORK_TYPE_ANY, @Suppress("DEPRECATION") job.networkType)
        // Durable: a pager reopened on the same state still has it.
        Core.close()
        assertEquals(listOf("acknowledge"), Core.pager(app).pendingActions().map { it.action })
    }

    @Test fun aRefusedSyncJobBreaksNeitherTheRingNorTheAcknowledgement() {
        // What Android 14+ does to an app without ACCESS_NETWORK_STATE: the
        // sync job (scheduled after every push and every action) throws.
        shadowOf(app).denyPermissions(android.Manifest.permission.ACCESS_NETWORK_STATE)
        val jobs = app.getSystemService(JobScheduler::class.java)
        push("crit-net", "critical")
        assertTrue("the page rings although its sync job was refused", Ringing.isRinging("crit-net"))

        tap(action(posted("crit-net"), "Acknowledge"))

        assertEquals("the acknowledgement is committed", listOf("acknowledge"), pager.pendingActions().map { it.action })
        assertFalse("the ring stopped", Ringing.isRinging("crit-net"))
        assertFalse("the notification was updated", posted("crit-net").actions.any { it.title.toString() == "Acknowledge" })
        assertNull("Android holds no job", jobs.getPendingJob(SyncScheduler.JOB_ID))
        val finding = org.klaxon.android.ShellFindings.all(app).single()
        assertEquals("recorded for the self-check", SyncScheduler.FINDING, finding.check)
        assertTrue(finding.message, finding.message.contains("SecurityException"))
        // With the permission the manifest asks for, the next schedule is held and the finding goes.
        shadowOf(app).grantPermissions(android.Manifest.permission.ACCESS_NETWORK_STATE)
        assertTrue(SyncScheduler.schedule(app))
        assertNotNull(jobs.getPendingJob(SyncScheduler.JOB_ID))
        assertEquals(emptyList<Any>(), org.klaxon.android.ShellFindings.all(app))
    }

    @Test fun escalateStopsTheRingAndRemovesThePage() {
        push("crit-3", "critical")
        tap(action(posted("crit-3"), "Escalate"))
        assertEquals(listOf("escalate"), pager.pendingActions().map { it.action })
        assertFalse(Ringing.isRinging("crit-3"))
        assertNull(shadowOf(notifications).getNotification("crit-3", PageNotifications.ID))
    }

    @Test fun aLowPageMakesNoSound() {
        push("low-1", "low")
        val n = posted("low-1")
        assertEquals("klaxon.low", n.channelId)
        val channel = notifications.getNotificationChannel("klaxon.low")
        assertNull("no sound", channel.sound)
        assertFalse("no vibration", channel.shouldVibrate())
        assertTrue(channel.importance <= NotificationManager.IMPORTANCE_LOW)
        assertFalse(channel.canBypassDnd())
        assertNull("not full screen", n.fullScreenIntent)
        assertFalse("no ring", Ringing.isRinging("low-1"))
        assertNull("no ringing service", shadowOf(app).nextStartedService)
    }

    @Test fun aHighPageIsAHeadsUpThatRespectsDnd() {
        push("high-1", "high")
        val n = posted("high-1")
        assertEquals("klaxon.high", n.channelId)
        val channel = notifications.getNotificationChannel("klaxon.high")
        assertEquals("heads-up", NotificationManager.IMPORTANCE_HIGH, channel.importance)
        assertFalse("respects Do Not Disturb", channel.canBypassDnd())
        assertTrue(channel.audioAttributes?.usage != AudioAttributes.USAGE_ALARM)
        assertNull("not full screen", n.fullScreenIntent)
        action(n, "Acknowledge")
        action(n, "Escalate")
        assertFalse("no ring loop", Ringing.isRinging("high-1"))
    }

    @Test fun withoutFullScreenPermissionACriticalPageIsAHeadsUpAndTheSelfCheckSaysSo() {
        // Android 14+: the user (or Play policy) can withhold full-screen intents.
        PlatformNotificationShadow.fullScreenAllowed = false
        push("crit-4", "critical")
        val n = posted("crit-4")
        assertNull(n.fullScreenIntent)
        assertEquals("still a heads-up channel", NotificationManager.IMPORTANCE_HIGH,
            notifications.getNotificationChannel(n.channelId).importance)
        org.klaxon.android.PlatformCapabilities.report(app)
        val item = pager.health().items.first { it.check == "full_screen" }
        assertTrue(item.toString(), item.level != org.klaxon.core.HealthLevel.OK)
    }

    @Test fun everyPageChannelCoreListsExistsBeforeTheFirstPage() {
        PageChannels.ensureAll(app) // what KlaxonApplication.onCreate does
        val channels = notificationChannels()
        assertEquals(3, channels.size)
        for (spec in channels) {
            val channel = notifications.getNotificationChannel(spec.channelId) ?: error("no ${spec.channelId}")
            assertEquals(spec.name, channel.name.toString())
            assertEquals(spec.description, channel.description)
            assertEquals(spec.overrideDndCapable, channel.canBypassDnd())
        }
        val critical = notifications.getNotificationChannel("klaxon.critical")
        assertEquals(AudioAttributes.USAGE_ALARM, critical.audioAttributes.usage)
        // A user's change to the channel survives the next start.
        critical.importance = NotificationManager.IMPORTANCE_DEFAULT
        notifications.createNotificationChannel(critical)
        PageChannels.ensureAll(app)
        assertEquals(NotificationManager.IMPORTANCE_DEFAULT,
            notifications.getNotificationChannel("klaxon.critical").importance)
    }

    /** Delivers [action] as Android would: to the receiver the manifest registers for it. */
    private fun broadcastByManifest(action: String) {
        val receiver = AppManifest.elements("receiver").single { r ->
            val actions = r.getElementsByTagName("action")
            (0 until actions.length).any { AppManifest.name(actions.item(it) as org.w3c.dom.Element) == action }
        }
        val cls = AppManifest.name(receiver).let { if (it.startsWith(".")) "org.klaxon.android$it" else it }
        (Class.forName(cls).getDeclaredConstructor().newInstance() as BroadcastReceiver).onReceive(app, Intent(action))
    }

    @Test fun theCriticalChannelBypassesDndOnceAccessIsGrantedAfterItWasCreated() {
        // App start, before the user has granted Do-Not-Disturb access: Android drops the bypass.
        shadowOf(notifications).setNotificationPolicyAccessGranted(false)
        PageChannels.ensureAll(app)
        assertFalse("Android dropped the bypass", notifications.getNotificationChannel("klaxon.critical").canBypassDnd())

        // The user grants access; Android tells the app.
        shadowOf(notifications).setNotificationPolicyAccessGranted(true)
        broadcastByManifest(NotificationManager.ACTION_NOTIFICATION_POLICY_ACCESS_GRANTED_CHANGED)

        assertTrue("the bypass took", notifications.getNotificationChannel("klaxon.critical").canBypassDnd())
        assertFalse(notifications.getNotificationChannel("klaxon.high").canBypassDnd())
        assertFalse(notifications.getNotificationChannel("klaxon.low").canBypassDnd())
    }

    @Test fun aSyncNeededPushFetchesTheLargePageAndRingsItAtOnce() {
        // The relay has a critical page for this person that no push carried
        // (too large for FCM): the push says only "sync needed" and its alert id.
        klaxon("send", "--relay", Env.relayUrl, "--routing-key", Env.routingKey,
            "--summary", "a page too large to push", "--severity", "critical", "--dedup-key", "android-large")
        val data = mapOf("v" to "1", "alert" to "large-1", "priority" to "critical", "sync" to "1")
        val service = Robolectric.buildService(KlaxonMessagingService::class.java).create().get()
        // The relay pages a moment after `send` returns; it would push "sync needed" again then.
        val deadline = System.nanoTime() + 10_000_000_000L
        var alert: org.klaxon.core.Alert? = null
        while (alert == null && System.nanoTime() < deadline) {
            service.onMessageReceived(com.google.firebase.messaging.RemoteMessage(data))
            alert = pager.alerts().firstOrNull { it.summary == "a page too large to push" && Ringing.isRinging(it.id) }
            if (alert == null) Thread.sleep(200)
        }
        alert ?: error("the sync did not bring the page: ${pager.alerts().map { it.summary }}")
        val n = posted(alert.id)
        assertEquals("klaxon.critical", n.channelId)
        assertTrue("core rang it", Ringing.isRinging(alert.id))
        assertTrue("no push was needed to carry the page", pager.health().lastSyncAt != null)
    }

    /** The roster screen's shift rows as the views hold them (each row's tag), with the row's Cover button if any. */
    private fun shiftRows(activity: android.app.Activity): List<Pair<RosterActivity.ShiftRow, android.widget.Button?>> {
        val out = mutableListOf<Pair<RosterActivity.ShiftRow, android.widget.Button?>>()
        fun walk(v: android.view.View) {
            val row = v.tag as? RosterActivity.ShiftRow
            if (row != null && v is android.view.ViewGroup) {
                val cover = (0 until v.childCount).map { v.getChildAt(it) }
                    .filterIsInstance<android.widget.Button>().firstOrNull { it.text.toString() == RosterActivity.COVER }
                out += row to cover
            } else if (v is android.view.ViewGroup) for (i in 0 until v.childCount) walk(v.getChildAt(i))
        }
        walk(activity.window.decorView)
        return out
    }

    @Test fun coverOnATeammatesShiftPutsThisPersonOnCallThroughTheRelay() {
        RosterActivity.clock = Clock.systemUTC()
        runBlocking { pager.sync() }
        val screen = Robolectric.buildActivity(RosterActivity::class.java).setup().get()
        settle("the roster's shifts") { shiftRows(screen).any { !it.first.mine } }
        assertTrue("my own shifts offer no Cover", shiftRows(screen).filter { it.first.mine }.all { it.second == null })
        // A teammate's shift that has not begun (its window is then exactly the shift), the daily schedule's first.
        val now = Instant.now()
        val theirs = shiftRows(screen).filter { !it.first.mine }
        val (row, cover) = theirs.filter { it.first.shift.start > now.plusSeconds(60) }
            .sortedBy { if (it.first.schedule == "daily") 0 else 1 }.firstOrNull() ?: theirs.first()
        assertNotNull("a teammate's shift has a Cover button", cover)
        cover!!.performClick()

        // Mid-way through the covered window: only this person, on screen and in core's roster.
        val from = maxOf(row.shift.start, now)
        val at = from.plus(Duration.between(from, row.shift.end).dividedBy(2))
        fun onScreenAt() = shiftRows(screen).map { it.first }
            .filter { it.schedule == row.schedule && it.shift.start <= at && at < it.shift.end }
        settle("the roster shows this person on call in ${row.schedule} at $at") {
            onScreenAt().isNotEmpty() && onScreenAt().all { it.mine }
        }
        assertEquals(listOf(Env.person), onScreenAt().map { it.shift.person }.distinct())
        assertTrue("the rows of this person offer no Cover", shiftRows(screen).filter { it.first in onScreenAt() }.all { it.second == null })
        assertTrue(texts(screen).toString(), texts(screen).any { it.startsWith("You are on call in ") })
        assertEquals(listOf(Env.person), pager.roster(row.schedule, at, at.plusSeconds(1)).map { it.person })
    }

    @Test fun aCoverTheRelayRefusesShowsTheRelaysWords() {
        // A phone clock three hours behind: "from now for 1 h" ended two hours ago.
        RosterActivity.clock = Clock.offset(Clock.systemUTC(), Duration.ofHours(-3))
        try {
            runBlocking { pager.sync() }
            val screen = Robolectric.buildActivity(RosterActivity::class.java).setup().get()
            settle("the roster") { RosterActivity.COVER_FROM_NOW in buttons(screen) }
            val before = shiftRows(screen).map { it.first }
            button(screen, RosterActivity.COVER_FROM_NOW).performClick()
            assertTrue(buttons(screen).toString(), buttons(screen).containsAll(listOf("for 1 h", "for 4 h")))
            button(screen, "for 1 h").performClick()
            settle("the relay's refusal on screen") { texts(screen).any { it.startsWith("The relay refused: ") } }
            val refusal = texts(screen).first { it.startsWith("The relay refused: ") }
            assertTrue(refusal, "to: " in refusal && "in the past" in refusal)
            org.klaxon.android.Background.idle()
            shadowOf(android.os.Looper.getMainLooper()).idle()
            assertEquals("nothing changed on screen", before, shiftRows(screen).map { it.first })
        } finally {
            RosterActivity.clock = Clock.systemUTC()
        }
    }
}
