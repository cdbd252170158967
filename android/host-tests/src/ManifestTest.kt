// Without aapt2 nothing else reads AndroidManifest.xml here, so this checks
// it against the compiled shell: every component it names exists and is the
// right kind, foreground services say why, and every permission a page
// needs to ring is requested.
package org.klaxon.android.tests

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.w3c.dom.Element
import java.io.File
import javax.xml.parsers.DocumentBuilderFactory

class ManifestTest {
    private val ns = "http://schemas.android.com/apk/res/android"
    private val manifest: Element = DocumentBuilderFactory.newInstance().apply { isNamespaceAware = true }
        .newDocumentBuilder()
        .parse(File(System.getProperty("klaxon.manifest") ?: error("-Dklaxon.manifest is not set (run test-android.sh)")))
        .documentElement

    private fun elements(tag: String): List<Element> =
        manifest.getElementsByTagName(tag).let { list -> (0 until list.length).map { list.item(it) as Element } }

    private fun name(e: Element) = e.getAttributeNS(ns, "name")

    private fun component(e: Element): Class<*> {
        val n = name(e)
        val cls = if (n.startsWith(".")) "org.klaxon.android$n" else n
        return Class.forName(cls, false, javaClass.classLoader)
    }

    @Test fun everyComponentExistsAndIsTheRightKind() {
        val kinds = mapOf(
            "application" to android.app.Application::class.java,
            "activity" to android.app.Activity::class.java,
            "service" to android.app.Service::class.java,
            "receiver" to android.content.BroadcastReceiver::class.java,
        )
        var checked = 0
        for ((tag, base) in kinds) for (e in elements(tag)) {
            assertTrue("${name(e)} is not a ${base.simpleName}", base.isAssignableFrom(component(e)))
            checked++
        }
        assertTrue("found $checked components", checked >= 14)
    }

    @Test fun foregroundServicesDeclareTheirTypeAndWhy() {
        for (service in elements("service").filter { it.hasAttributeNS(ns, "foregroundServiceType") }) {
            assertEquals(name(service), "specialUse", service.getAttributeNS(ns, "foregroundServiceType"))
            val props = service.getElementsByTagName("property")
            assertEquals("${name(service)} explains its special use", 1, props.length)
            assertEquals("android.app.PROPERTY_SPECIAL_USE_FGS_SUBTYPE", name(props.item(0) as Element))
        }
        assertEquals(2, elements("service").count { it.hasAttributeNS(ns, "foregroundServiceType") })
    }

    @Test fun requestsEveryPermissionAPageNeeds() {
        val asked = elements("uses-permission").map(::name).toSet()
        val needed = listOf(
            "POST_NOTIFICATIONS", "USE_FULL_SCREEN_INTENT", "FOREGROUND_SERVICE", "FOREGROUND_SERVICE_SPECIAL_USE",
            "ACCESS_NOTIFICATION_POLICY", "WAKE_LOCK", "RECEIVE_BOOT_COMPLETED",
            "REQUEST_IGNORE_BATTERY_OPTIMIZATIONS", "INTERNET", "VIBRATE",
            // JobScheduler's network constraint (the sync carrying an acknowledgement), Android 14+.
            "ACCESS_NETWORK_STATE",
        ).map { "android.permission.$it" }
        assertEquals(emptyList<String>(), needed - asked)
    }

    @Test fun theFullScreenPageShowsOverTheLockScreenAndOnlyTheLauncherIsExported() {
        val page = elements("activity").single { name(it) == ".ui.FullScreenPageActivity" }
        assertEquals("true", page.getAttributeNS(ns, "showWhenLocked"))
        assertEquals("true", page.getAttributeNS(ns, "turnScreenOn"))
        val exported = (elements("activity") + elements("service") + elements("receiver"))
            .filter { it.getAttributeNS(ns, "exported") == "true" }.map(::name).toSet()
        // The launcher, and the boot receiver (system broadcasts only).
        assertEquals(setOf(".ui.MainActivity", ".sync.BootReceiver"), exported)
    }
}
