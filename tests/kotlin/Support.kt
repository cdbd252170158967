// Test support for the host-JVM binding tests: the relay process, the
// klaxon CLI, a recording NotificationSink, and sealing a page the way the
// relay does (X25519 + HKDF-SHA256 + ChaCha20-Poly1305, docs/adr/0002),
// written with the JDK's own crypto as an independent check of the format.
package org.klaxon.tests

import org.klaxon.core.*
import java.io.File
import java.math.BigInteger
import java.net.HttpURLConnection
import java.net.URI
import java.nio.file.Files
import java.security.KeyFactory
import java.security.KeyPairGenerator
import java.security.interfaces.XECPublicKey
import java.security.spec.NamedParameterSpec
import java.security.spec.XECPublicKeySpec
import java.util.Base64
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.TimeUnit
import javax.crypto.Cipher
import javax.crypto.KeyAgreement
import javax.crypto.Mac
import javax.crypto.spec.IvParameterSpec
import javax.crypto.spec.SecretKeySpec

object Env {
    fun get(name: String): String =
        System.getenv(name) ?: error("environment variable $name is not set (run scripts/test-kotlin.sh)")

    val klaxon get() = get("KLAXON_BIN")
    val roster get() = get("KLAXON_ROSTER")
    val work get() = File(get("KLAXON_WORK"))
    val port get() = get("KLAXON_PORT").toInt()
    val person get() = get("KLAXON_PERSON")
    val routingKey = "0123456789abcdef0123456789abcdef"
    val relayUrl get() = "http://127.0.0.1:$port"

    fun tempDir(prefix: String): File = Files.createTempDirectory(work.toPath(), prefix).toFile()
}

/** Runs the klaxon CLI; returns stdout, fails on a non-zero exit. */
fun klaxon(vararg args: String): String {
    val p = ProcessBuilder(listOf(Env.klaxon) + args).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    val out = p.inputStream.bufferedReader().readText()
    check(p.waitFor(60, TimeUnit.SECONDS)) { "klaxon ${args.joinToString(" ")} hung" }
    check(p.exitValue() == 0) { "klaxon ${args.joinToString(" ")} exited ${p.exitValue()}" }
    return out
}

/** A real relay (`klaxon serve`) on loopback, stoppable and restartable on the same database. */
class Relay(private val db: File) : AutoCloseable {
    private var process: Process? = null
    private val log = File(db.parentFile, "relay.log")

    fun start() {
        check(process == null)
        process = ProcessBuilder(
            Env.klaxon, "serve", "--config", Env.roster, "--db", db.path,
            "--listen", "127.0.0.1:${Env.port}",
        ).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start()
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
        while (System.nanoTime() < deadline) {
            if (httpGet("/healthz")?.first == 200) return
            check(process?.isAlive == true) { "the relay exited: ${log.readText().takeLast(2000)}" }
            Thread.sleep(50)
        }
        error("the relay did not become healthy: ${log.readText().takeLast(2000)}")
    }

    fun stop() {
        val p = process ?: return
        p.destroy() // SIGTERM: graceful shutdown
        if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor()
        process = null
    }

    override fun close() = stop()

    /** `klaxon_stream_clients` from /metrics. */
    fun streamClients(): Int =
        httpGet("/metrics")?.second?.lineSequence()
            ?.firstOrNull { it.startsWith("klaxon_stream_clients ") }
            ?.substringAfter(' ')?.trim()?.toDouble()?.toInt() ?: 0

    private fun httpGet(path: String): Pair<Int, String>? = try {
        val c = URI("${Env.relayUrl}$path").toURL().openConnection() as HttpURLConnection
        c.connectTimeout = 1000; c.readTimeout = 2000
        val code = c.responseCode
        code to (if (code < 400) c.inputStream else c.errorStream)?.bufferedReader()?.readText().orEmpty()
    } catch (e: java.io.IOException) {
        null
    }
}

/** A NotificationSink that records every call (and can be told to fail). */
class RecordingSink(private val failWith: RuntimeException? = null) : NotificationSink {
    val calls = CopyOnWriteArrayList<String>()
    val plans = CopyOnWriteArrayList<NotificationPlan>()

    private fun record(call: String) {
        calls += call
        failWith?.let { throw it }
    }

    override fun presentNotification(plan: NotificationPlan) { plans += plan; record("present:${plan.alert}") }
    override fun updateNotification(plan: NotificationPlan) { plans += plan; record("update:${plan.alert}") }
    override fun cancelNotification(alert: String) = record("cancel:$alert")
    override fun startRinging(alert: String, ring: RingLoop) = record("start:$alert")
    override fun stopRinging(alert: String) = record("stop:$alert")
}

/** Seals `plaintext` to an X25519 public key exactly as the relay's core::crypto::seal does. */
fun seal(recipientB64Url: String, plaintext: ByteArray): ByteArray {
    val recipient = Base64.getUrlDecoder().decode(recipientB64Url)
    require(recipient.size == 32)
    val pair = KeyPairGenerator.getInstance("X25519").generateKeyPair()
    val ephemeral = littleEndian32((pair.public as XECPublicKey).u)
    val peer = KeyFactory.getInstance("X25519")
        .generatePublic(XECPublicKeySpec(NamedParameterSpec.X25519, BigInteger(1, recipient.reversedArray())))
    val shared = KeyAgreement.getInstance("X25519").run { init(pair.private); doPhase(peer, true); generateSecret() }
    val prk = hmac(ephemeral + recipient, shared)
    val key = hmac(prk, "klaxon-seal-v1".toByteArray() + byteArrayOf(1)).copyOf(32)
    val header = byteArrayOf(1) + ephemeral
    val cipher = Cipher.getInstance("ChaCha20-Poly1305")
    cipher.init(Cipher.ENCRYPT_MODE, SecretKeySpec(key, "ChaCha20"), IvParameterSpec(ByteArray(12)))
    cipher.updateAAD(header)
    return header + cipher.doFinal(plaintext)
}

private fun hmac(key: ByteArray, data: ByteArray): ByteArray =
    Mac.getInstance("HmacSHA256").run { init(SecretKeySpec(key, "HmacSHA256")); doFinal(data) }

private fun littleEndian32(u: BigInteger): ByteArray {
    val be = u.toByteArray().dropWhile { it == 0.toByte() }.toByteArray()
    require(be.size <= 32)
    return (ByteArray(32 - be.size) + be).reversedArray()
}

/** A page as the relay pushes it (core::page::Page JSON). */
fun pageJson(
    alert: String, step: Int = 1, status: String = "triggered", priority: String = "critical",
    summary: String = "disk full on db-1", revision: Int = 2,
): ByteArray = """{"alert":"$alert","step_seq":$step,"service":"api","service_name":"Public API",
    |"dedup_key":"$alert","summary":"$summary","priority":"$priority","status":"$status",
    |"revision":$revision,"runbook":"https://runbooks.example.com/api"}""".trimMargin().toByteArray()

/** Open file descriptors of this JVM (Linux), for leak checks. */
fun openFds(): Int = File("/proc/self/fd").list()?.size ?: -1
