// Binding tests against a REAL relay (`klaxon serve`) on loopback: enroll
// with a one-time code, sync the roster, receive a critical page and check
// its plan, open sealed pushes, acknowledge while the relay is down, restart
// it, sync from a coroutine and see the action applied exactly once.
package org.klaxon.tests

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.Assert.*
import org.junit.BeforeClass
import org.junit.FixMethodOrder
import org.junit.Test
import org.junit.runners.MethodSorters
import org.klaxon.core.*
import java.io.File
import java.time.Duration
import java.time.Instant

@FixMethodOrder(MethodSorters.NAME_ASCENDING)
class RelayTest {
    companion object {
        lateinit var relay: Relay
        lateinit var pager: Pager
        val sink = RecordingSink()
        var alertId: String? = null

        @BeforeClass @JvmStatic fun startRelay() {
            val dir = Env.tempDir("relay")
            relay = Relay(File(dir, "relay.db"))
            relay.start()
            pager = Pager(Env.tempDir("phone").path, Env.relayUrl)
            pager.setNotificationSink(sink)
        }

        @AfterClass @JvmStatic fun stopRelay() {
            if (::pager.isInitialized) pager.close()
            if (::relay.isInitialized) relay.close()
        }

        fun alertsJson(): String = klaxon("alerts", "--relay", Env.relayUrl, "--json")

        /** The top-level objects of a JSON array (brace depth, strings skipped). */
        fun alertObjects(json: String): List<String> {
            val out = mutableListOf<String>()
            var depth = 0; var start = -1; var inString = false; var escaped = false
            for ((i, c) in json.withIndex()) {
                if (inString) {
                    if (escaped) escaped = false else if (c == '\\') escaped = true else if (c == '"') inString = false
                    continue
                }
                when (c) {
                    '"' -> inString = true
                    '{' -> { if (depth == 0) start = i; depth++ }
                    '}' -> { depth--; if (depth == 0) out += json.substring(start, i + 1) }
                }
            }
            return out
        }

        /** A top-level string field of one object (first match). */
        fun field(obj: String, name: String): String? =
            Regex(""""$name"\s*:\s*"([^"]*)"""").find(obj)?.groupValues?.get(1)
    }

    @Test fun t1_enrollsWithAOneTimeCodeAndSyncsTheRoster(): Unit = runBlocking {
        val code = klaxon("invite", "--relay", Env.relayUrl, "--person", Env.person).trim()
        val enrollment = pager.enroll(code, "jvm-test")
        assertEquals(Env.person, enrollment.person)
        assertEquals(43, enrollment.sealingPublicKey.length)
        // A one-time code works once.
        val again = Pager(Env.tempDir("phone2").path, Env.relayUrl)
        again.use { assertThrows(ApiException.Relay::class.java) { runBlocking { it.enroll(code, "second") } } }

        pager.reportCapabilities(Capabilities(true, true, true, true, PushPlatform.NONE, null, null))
        val report = pager.sync()
        assertTrue("the first sync brings the roster", report.rosterUpdated)
        val onCall = pager.whoIsOnCall("primary")
        assertTrue("$onCall", onCall.any { it.id == Env.person })
        assertTrue(onCall.first { it.id == Env.person }.until.isAfter(Instant.now()))
        val now = Instant.now()
        val week = pager.roster("primary", now, now.plus(Duration.ofDays(7)))
        assertTrue(week.isNotEmpty())
        assertTrue(week.all { !it.start.isBefore(now) && !it.end.isAfter(now.plus(Duration.ofDays(7))) })
        assertTrue(pager.myShifts(now, now.plus(Duration.ofDays(14))).isNotEmpty())
        assertThrows(ApiException.InvalidInput::class.java) { pager.whoIsOnCall("no-such-schedule") }
    }

    @Test fun t1b_schedulesListNamesZonesWhoIsOnCallAndTheNextHandoff() {
        // Only the schedules of the person's teams: the fixture's infra policy
        // pages "primary"; "daily" is in no policy, so the relay does not send it.
        val schedules = pager.schedules()
        assertEquals(listOf("primary"), schedules.map { it.id })
        assertEquals("America/Chicago", schedules.single().timeZone)
        val primary = schedules.first()
        val me = primary.onCall.single { it.id == Env.person }
        assertEquals("whoIsOnCall and schedules agree", pager.whoIsOnCall("primary"), primary.onCall)
        assertNotEquals("a display name, not the id", me.id, me.name)
        val next = primary.nextHandoff ?: error("a weekly rotation hands off within 30 days")
        assertTrue(next.at.isAfter(Instant.now()))
        assertNotEquals("who is on call changes then", primary.onCall.map { it.id }.toSet(),
            next.people.map { it.id }.toSet())
        assertTrue(next.people.all { it.name.isNotBlank() })
        // Shifts carry the person's name as well as the id.
        val now = Instant.now()
        val shifts = pager.roster("primary", now, now.plus(Duration.ofDays(14)))
        assertTrue(shifts.any { it.person == Env.person && it.personName == me.name })
        assertTrue(shifts.all { it.personName.isNotBlank() && it.personName != it.person })
        assertTrue(pager.myShifts(now, now.plus(Duration.ofDays(14))).all { it.schedule in schedules.map { s -> s.id } })
    }

    @Test fun t2_aCriticalPageArrivesWithItsFullPlanAndRings(): Unit = runBlocking {
        // listen() is a suspend call into Rust's tokio runtime; it runs
        // while this coroutine waits for the relay to see the stream.
        val listening = async(Dispatchers.IO) { pager.listen(Duration.ofSeconds(20), 1u) }
        val deadline = System.nanoTime() + 10_000_000_000L
        while (relay.streamClients() < 1 && System.nanoTime() < deadline) delay(50)
        assertEquals("the stream is connected", 1, relay.streamClients())
        klaxon("send", "--relay", Env.relayUrl, "--routing-key", Env.routingKey,
            "--summary", "checkout 5xx above 5%", "--severity", "critical", "--dedup-key", "kotlin-1")
        val heard = listening.await()
        assertEquals(1u, heard.pages)
        val plan = heard.plans.single()
        alertId = plan.alert
        assertEquals(Priority.CRITICAL, plan.priority)
        assertEquals("klaxon.critical", plan.channelId)
        assertEquals(Sound.ALARM, plan.sound)
        assertTrue("critical overrides DND", plan.overrideDnd)
        assertTrue("critical is full screen", plan.fullScreen)
        val ring = plan.ring ?: error("a critical page rings in a loop")
        assertNull("rings until acknowledged", ring.maxDuration)
        assertEquals(Duration.ofSeconds(3), ring.interval)
        assertEquals(
            listOf(PageAction.ACKNOWLEDGE, PageAction.ESCALATE, PageAction.DECLINE, PageAction.RESOLVE, PageAction.SNOOZE),
            plan.actions.map { it.action })
        assertEquals("only Acknowledge and Escalate work on a locked phone",
            listOf(PageAction.ACKNOWLEDGE, PageAction.ESCALATE), plan.actions.filter { !it.needsUnlock }.map { it.action })
        assertEquals("the page screen offers what the notification does", plan.actions, pager.offeredActions(plan.alert))
        assertEquals("https://runbooks.example.com/api", plan.runbook)
        assertTrue(plan.lockScreen.body.contains("checkout 5xx"))
        assertTrue(sink.calls.toString(), sink.calls.containsAll(listOf("present:$alertId", "start:$alertId")))
        val alert = pager.alert(plan.alert)
        assertEquals(AlertStatus.TRIGGERED, alert.status)
    }

    @Test fun t2b_aPageNoPushBroughtRingsAtTheNextSyncOnce(): Unit = runBlocking {
        klaxon("send", "--relay", Env.relayUrl, "--routing-key", Env.routingKey,
            "--summary", "queue backlog", "--severity", "critical", "--dedup-key", "kotlin-missed")
        var report = pager.sync()
        val deadline = System.nanoTime() + 10_000_000_000L
        while (report.plans.isEmpty() && System.nanoTime() < deadline) { delay(200); report = pager.sync() }
        val plan = report.plans.single()
        assertEquals(Priority.CRITICAL, plan.priority)
        assertTrue(plan.overrideDnd && plan.ring != null)
        assertTrue(sink.calls.contains("start:${plan.alert}"))
        assertTrue("the same ring never rings twice", pager.sync().plans.isEmpty())
        pager.resolve(plan.alert)
        assertEquals("applied", pager.sync().delivered.single().status)
    }

    @Test fun t3_sealedPushesOpenDedupeAndPlan() {
        val key = pager.enrollment()!!.sealingPublicKey
        val page = pageJson("sealed-1")
        val plan = pager.handlePush(seal(key, page)) ?: error("a new page has a plan")
        assertEquals("sealed-1", plan.alert)
        assertTrue(plan.overrideDnd && plan.fullScreen && plan.ring != null)
        // The same page again (a repeated push), even sealed afresh: nothing rings.
        assertNull(pager.handlePush(seal(key, page)))
        // Push data messages carry the sealed bytes as base64url text.
        val text = java.util.Base64.getUrlEncoder().withoutPadding().encode(seal(key, pageJson("sealed-2")))
        assertEquals("sealed-2", pager.handlePush(text)?.alert)
        // Or the whole FCM data map, as JSON (docs/push.md).
        val b64 = java.util.Base64.getEncoder().encodeToString(seal(key, pageJson("sealed-4")))
        val fcm = """{"v":"1","alert":"sealed-4","priority":"critical","sealed":"$b64"}"""
        assertEquals("sealed-4", pager.handlePush(fcm.toByteArray())?.alert)
        // A sync-needed push (page too large to push) says to sync.
        val tooBig = assertThrows(ApiException.InvalidInput::class.java) {
            pager.handlePush("""{"v":"1","alert":"x","sync":"1"}""".toByteArray())
        }
        assertTrue(tooBig.message!!, tooBig.message!!.contains("sync()"))
        // A stale "triggered" after "acknowledged" must not ring.
        assertNotNull(pager.handlePush(seal(key, pageJson("sealed-1", status = "acknowledged", revision = 3))))
        assertNull(pager.handlePush(seal(key, pageJson("sealed-1", status = "triggered", revision = 2))))
        // receivePush answers every kind of push as a result.
        val shown = pager.receivePush(seal(key, pageJson("sealed-5")))
        assertEquals("sealed-5", (shown as PushResult.Show).plan.alert)
        assertTrue(sink.calls.contains("present:sealed-5"))
        assertEquals(PushResult.Duplicate, pager.receivePush(seal(key, pageJson("sealed-5"))))
        // A sync-needed push, as FCM carries it and as the APNs userInfo's "klaxon" dictionary.
        val fcmSync = """{"v":"1","alert":"big-1","priority":"critical","sync":"1"}"""
        assertEquals(PushResult.SyncNeeded("big-1"), pager.receivePush(fcmSync.toByteArray()))
        val apnsSync = """{"aps":{"alert":"Critical page"},"klaxon":{"v":1,"alert":"big-2","sync":true}}"""
        assertEquals(PushResult.SyncNeeded("big-2"), pager.receivePush(apnsSync.toByteArray()))
        assertThrows(ApiException.InvalidInput::class.java) { pager.receivePush(byteArrayOf(1, 2, 3)) }
        // Settings change the plan: no DND override, brief ring, hidden details.
        pager.setSettings(pager.settings().copy(allowOverrideDnd = false, keepRingingUntilAcknowledged = false,
            hideDetailsOnLockScreen = true))
        val quiet = pager.handlePush(seal(key, pageJson("sealed-3", summary = "secret detail")))!!
        assertFalse(quiet.overrideDnd)
        assertEquals(Duration.ofSeconds(60), quiet.ring?.maxDuration)
        assertFalse(quiet.lockScreen.body.contains("secret"))
        pager.setSettings(pager.settings().copy(allowOverrideDnd = true,
            keepRingingUntilAcknowledged = true, hideDetailsOnLockScreen = false))
        // Bytes that are not a page sealed to this device.
        assertThrows(ApiException.InvalidInput::class.java) { pager.handlePush(byteArrayOf(1, 2, 3)) }
        assertThrows(ApiException.InvalidInput::class.java) {
            pager.handlePush(seal(key, "not json".toByteArray()))
        }
    }

    @Test fun t4_acknowledgeWhileTheRelayIsDownThenSyncAppliesItOnce(): Unit = runBlocking {
        val id = alertId ?: error("t2 did not run")
        relay.stop()
        sink.calls.clear()
        val queued = pager.acknowledge(id) // returns at once, relay or not
        assertEquals("queued", queued.status)
        assertEquals(listOf("stop:$id", "update:$id"), sink.calls.toList())
        assertEquals("an acknowledged page offers what is left",
            listOf(PageAction.ESCALATE, PageAction.RESOLVE, PageAction.SNOOZE), sink.plans.last().actions.map { it.action })
        assertEquals(sink.plans.last().actions, pager.offeredActions(id))
        assertEquals(Sound.SILENT, sink.plans.last().sound)
        assertEquals(1, pager.pendingActions().size)
        assertTrue(pager.health().items.any { it.check == "outbox" && it.level == HealthLevel.WARNING })
        assertThrows(ApiException.Network::class.java) { runBlocking { pager.sync() } }
        assertEquals("still queued after a failed sync", 1, pager.pendingActions().size)

        relay.start()
        Thread.sleep(1200) // the failed attempt's backoff (under 1 s)
        val report = pager.sync()
        val delivered = report.delivered.single { it.alert == id }
        assertEquals("acknowledge", delivered.action)
        assertEquals("applied", delivered.status)
        assertEquals(0u, report.pendingActions)
        assertTrue("nothing is sent twice", pager.sync().delivered.isEmpty())

        val entry = alertObjects(alertsJson()).singleOrNull { field(it, "id") == id }
            ?: error("klaxon alerts --json does not list $id")
        assertEquals(entry, "acknowledged", field(entry, "status"))
        assertEquals(entry, Env.person, field(entry, "acknowledged_by"))
        val mine = pager.alert(id)
        assertEquals(AlertStatus.ACKNOWLEDGED, mine.status)
        assertEquals("acknowledged exactly once", 1, mine.timeline.count { it.kind == TimelineEventKind.ACKNOWLEDGED })
        assertTrue(mine.pendingActions.isEmpty())
    }

    @Test fun t5_resolveReachesTheRelayAndCancelsTheNotification(): Unit = runBlocking {
        val id = alertId ?: error("t2 did not run")
        sink.calls.clear()
        pager.resolve(id)
        assertEquals(listOf("stop:$id", "cancel:$id"), sink.calls.toList())
        assertEquals("applied", pager.sync().delivered.single().status)
        assertEquals(AlertStatus.RESOLVED, pager.alert(id).status)
        // Acting on a resolved alert is answered, not retried forever.
        pager.escalate(id)
        val answer = pager.sync().delivered.single()
        assertEquals("rejected", answer.status)
        assertNotNull(answer.reason)
    }

    @Test fun t6_aThrowingSinkBecomesAHealthProblemNotACrash() {
        pager.setNotificationSink(RecordingSink(failWith = IllegalStateException("no notification channel")))
        try {
            val key = pager.enrollment()!!.sealingPublicKey
            assertNotNull(pager.handlePush(seal(key, pageJson("sink-fails"))))
            val shell = pager.health().items.first { it.check == "shell" }
            assertEquals(HealthLevel.PROBLEM, shell.level)
        } finally {
            pager.setNotificationSink(sink)
        }
    }

    @Test fun t7_healthReportsTheLastPushAndSync() {
        val health = pager.health()
        assertNotNull(health.lastPushAt)
        assertNotNull(health.lastSyncAt)
        assertEquals(0u, health.pendingActions)
        assertTrue(health.items.all { it.message.isNotBlank() })
        assertTrue(pager.alerts().any { it.id == alertId })
    }

    @Test fun t8_takeShiftPutsThisPersonOnCallAndTheRosterShowsIt(): Unit = runBlocking {
        // A teammate's phone covers the next hour in primary ("I'll cover");
        // the override replaces whoever is on call, so only they are then.
        val other = if (Env.person == "alice") "bob" else "alice"
        val code = klaxon("invite", "--relay", Env.relayUrl, "--person", other).trim()
        Pager(Env.tempDir("cover").path, Env.relayUrl).use { cover ->
            cover.enroll(code, "cover-phone")
            cover.sync()
            assertNotEquals(listOf(other), cover.whoIsOnCall("primary").map { it.id })
            val now = Instant.now()
            val taken = cover.takeShift("primary", now, now.plus(Duration.ofHours(1)))
            assertEquals(other, taken.person)
            assertEquals("primary", taken.schedule)
            assertTrue(taken.id > 0)
            assertEquals("takeShift refreshes the roster", listOf(other), cover.whoIsOnCall("primary").map { it.id })
            // The other phone sees the change with its next sync.
            pager.sync()
            assertEquals(listOf(other), pager.whoIsOnCall("primary").map { it.id })
            // A shift in the past is refused, naming the field.
            val refused = assertThrows(ApiException.Relay::class.java) {
                runBlocking { cover.takeShift("primary", now.minus(Duration.ofHours(3)), now.minus(Duration.ofHours(2))) }
            }
            assertTrue(refused.detail, refused.detail.contains("to: "))
        }
    }
}
