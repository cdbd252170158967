// Runs the JUnit 4 classes and closes with the line CI reads: "N passed, N failed".
package org.klaxon.tests

import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener
import org.junit.runner.Description
import kotlin.system.exitProcess

fun main(args: Array<String>) {
    val classes = mutableListOf<Class<*>>(OfflineTest::class.java)
    if (!args.contains("--offline")) classes += RelayTest::class.java
    val core = JUnitCore()
    core.addListener(object : RunListener() {
        override fun testStarted(d: Description) = println("-- ${d.className.substringAfterLast('.')}.${d.methodName}")
        override fun testFailure(f: Failure) {
            println("FAILED ${f.description.methodName}: ${f.message}")
            println(f.trace.lineSequence().take(15).joinToString("\n"))
        }
    })
    val result = core.run(*classes.toTypedArray())
    val failed = result.failureCount
    println("${result.runCount - failed} passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
