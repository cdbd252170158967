// The app's AndroidManifest.xml as data, for tests that give Robolectric's
// app (manifest = Config.NONE) what an installed app would have.
package org.klaxon.android.tests

import org.w3c.dom.Element
import java.io.File
import javax.xml.parsers.DocumentBuilderFactory

object AppManifest {
    const val NS = "http://schemas.android.com/apk/res/android"

    val root: Element by lazy {
        DocumentBuilderFactory.newInstance().apply { isNamespaceAware = true }
            .newDocumentBuilder()
            .parse(File(System.getProperty("klaxon.manifest") ?: error("-Dklaxon.manifest is not set (run test-android.sh)")))
            .documentElement
    }

    fun elements(tag: String): List<Element> =
        root.getElementsByTagName(tag).let { list -> (0 until list.length).map { list.item(it) as Element } }

    fun name(e: Element): String = e.getAttributeNS(NS, "name")

    /** Every `uses-permission`: what Android grants an installed app (install-time ones at once). */
    val permissions: List<String> get() = elements("uses-permission").map(::name)
}
