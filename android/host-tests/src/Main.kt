// Runs the Robolectric classes and closes with the line CI reads: "N passed, N failed".
package org.klaxon.android.tests

import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener
import kotlin.system.exitProcess

fun main() {
    val core = JUnitCore()
    core.addListener(object : RunListener() {
        override fun testStarted(d: Description) = println("-- ${d.className.substringAfterLast('.')}.${d.methodName}")
        override fun testFailure(f: Failure) {
            println("FAILED ${f.description.methodName}: ${f.message}")
            println(f.trace.lineSequence().take(12).joinToString("\n"))
        }
    })
    val result = core.run(ManifestTest::class.java, ShellTest::class.java, RingVolumeTest::class.java, AlarmSoundTest::class.java, SelfCheckTest::class.java)
    val failed = result.failureCount
    println("${result.runCount - failed} passed, $failed failed")
    exitProcess(if (failed == 0 && result.runCount > 0) 0 else 1)
}
