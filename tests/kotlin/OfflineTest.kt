// Binding tests that need no relay: errors arrive as typed exceptions,
// settings round-trip, pushes are opened, deduplicated and planned, the
// foreign sink is called, and objects are freed by close() and by the Cleaner.
package org.klaxon.tests

import kotlinx.coroutines.runBlocking
import org.junit.Assert.*
import org.junit.Test
import org.klaxon.core.*
import java.time.Duration
import java.time.Instant

class OfflineTest {
    private fun pager(url: String = "http://127.0.0.1:9") = Pager(Env.tempDir("offline").path, url)

    @Test fun aFreshPagerIsNotEnrolledAndItsHealthSaysSoInWords(): Unit = pager().use { p ->
        assertNull(p.enrollment())
        val health = p.health()
        assertFalse(health.ok)
        val enrollment = health.items.first { it.check == "enrollment" }
        assertEquals(HealthLevel.PROBLEM, enrollment.level)
        assertTrue(enrollment.message, enrollment.message.contains("not enrolled"))
        assertEquals(HealthLevel.PROBLEM, health.items.first().level) // problems first
    }

    @Test fun errorsArriveAsTypedExceptions(): Unit = pager().use { p ->
        assertThrows(ApiException.NotEnrolled::class.java) { p.acknowledge("a1") }
        assertThrows(ApiException.NotEnrolled::class.java) { p.handlePush(byteArrayOf(1, 2, 3)) }
        val notFound = assertThrows(ApiException.NotFound::class.java) { p.alert("no-such-alert") }
        assertTrue(notFound.message!!, notFound.message!!.contains("no-such-alert"))
        assertThrows(ApiException.InvalidInput::class.java) { p.whoIsOnCall("primary") }
        val now = Instant.now()
        assertThrows(ApiException.InvalidInput::class.java) { p.roster("primary", now, now) }
        assertThrows(ApiException.InvalidInput::class.java) { Pager(Env.tempDir("bad").path, "ftp://nowhere") }
    }

    @Test fun asyncCallsThrowTypedExceptionsIntoCoroutines(): Unit = pager("http://127.0.0.1:1").use { p ->
        runBlocking {
            val e = assertThrows(ApiException.Network::class.java) { runBlocking { p.enroll("code", "jvm") } }
            assertTrue(e.message!!, e.message!!.contains("relay"))
            assertThrows(ApiException.NotEnrolled::class.java) { runBlocking { p.sync() } }
            assertThrows(ApiException.InvalidInput::class.java) { runBlocking { p.enroll("  ", "jvm") } }
        }
    }

    @Test fun everyChannelAPlanCanNameIsListedUpFront() {
        // A free function: Android creates the channels at app start, before any Pager or page.
        val channels = notificationChannels()
        assertEquals(listOf("klaxon.critical", "klaxon.high", "klaxon.low"), channels.map { it.channelId })
        assertEquals(listOf(Priority.CRITICAL, Priority.HIGH, Priority.LOW), channels.map { it.priority })
        assertEquals(listOf(Sound.ALARM, Sound.DEFAULT, Sound.SILENT), channels.map { it.sound })
        assertEquals("only the critical channel bypasses DND",
            listOf(true, false, false), channels.map { it.overrideDndCapable })
        assertTrue(channels.all { it.name.isNotBlank() && it.description.isNotBlank() })
    }

    @Test fun pushesAndSchedulesNeedEnrollmentAndASync(): Unit = pager().use { p ->
        assertThrows(ApiException.NotEnrolled::class.java) {
            p.receivePush("""{"v":"1","alert":"a1","sync":"1"}""".toByteArray())
        }
        assertThrows(ApiException.InvalidInput::class.java) { p.schedules() }
    }

    @Test fun settingsRoundTripAndOverrideDndIsSeparateFromKeepRinging(): Unit = pager().use { p ->
        val defaults = p.settings()
        assertTrue(defaults.allowOverrideDnd && defaults.keepRingingUntilAcknowledged)
        val changed = defaults.copy(allowOverrideDnd = false, hideDetailsOnLockScreen = true,
            ringLimit = Duration.ofSeconds(45))
        p.setSettings(changed)
        assertEquals(changed, p.settings())
        assertTrue(p.settings().keepRingingUntilAcknowledged)
    }

    @Test fun closedObjectsRefuseCallsAndFreeTheirDatabase() {
        val before = openFds()
        repeat(100) { pager().use { p -> p.settings() } }
        val after = openFds()
        assertTrue("file descriptors leaked: $before -> $after", after - before < 10)
        val p = pager()
        p.close()
        assertThrows(IllegalStateException::class.java) { p.settings() }
        p.close() // closing twice is harmless
    }

    @Test fun unclosedObjectsAreFreedByTheCleaner() {
        val before = openFds()
        repeat(100) { pager().settings() } // never closed
        var after = openFds()
        val deadline = System.nanoTime() + 30_000_000_000L // generous: CI machines are busy
        while (after - before >= 10 && System.nanoTime() < deadline) {
            System.gc(); Thread.sleep(100); after = openFds()
        }
        assertTrue("the Cleaner did not free pagers: $before -> $after", after - before < 10)
    }
}
