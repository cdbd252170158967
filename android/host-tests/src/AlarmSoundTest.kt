// A critical page is never silent because of the phone's own alarm tone:
// when it is missing or set to "None", the critical channel (read back from
// NotificationManager) and the ring loop (the MediaPlayer the service
// started) use the tone bundled in res/raw; a playable system tone is kept.
package org.klaxon.android.tests

import android.app.Application
import android.app.NotificationManager
import android.app.Service
import android.media.AudioAttributes
import android.media.MediaPlayer
import android.media.RingtoneManager
import android.net.Uri
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.klaxon.android.notify.PageChannels
import org.klaxon.android.ring.AlarmSound
import org.klaxon.android.ring.Ringing
import org.klaxon.android.ring.RingingService
import org.klaxon.core.RingLoop
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowMediaPlayer
import org.robolectric.shadows.util.DataSource
import java.io.ByteArrayInputStream
import java.io.File
import java.time.Duration
import javax.sound.sampled.AudioSystem

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], manifest = Config.NONE)
class AlarmSoundTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private val notifications = app.getSystemService(NotificationManager::class.java)
    private val bundled get() = Uri.parse("android.resource://${app.packageName}/raw/klaxon_alarm")
    private val systemPointer: Uri = RingtoneManager.getDefaultUri(RingtoneManager.TYPE_ALARM)

    /** Every MediaPlayer the app creates, with what it was given to play. */
    private val players = mutableListOf<Pair<MediaPlayer, ShadowMediaPlayer>>()

    @Before fun recordPlayers() {
        Ringing.stopAll(app)
        ShadowMediaPlayer.setMediaInfoProvider { ShadowMediaPlayer.MediaInfo(2000, 0) }
        ShadowMediaPlayer.setCreateListener { player, shadow -> players += player to shadow }
    }

    @After fun quiet() = Ringing.stopAll(app)

    /** Starts the ring service for one critical alert; returns what it played. */
    private fun ring(): DataSource {
        Ringing.start(app, "tone-1", RingLoop(Duration.ofSeconds(3), null), overrideDnd = true)
        val service = Robolectric.buildService(RingingService::class.java).create().startCommand(0, 1)
        val playing = players.filter { it.first.isPlaying }
        assertEquals("one tone loops", 1, playing.size)
        assertTrue("looping", playing.single().first.isLooping)
        Ringing.stop(app, "tone-1")
        service.destroy()
        return playing.single().second.dataSource
    }

    private fun criticalChannelSound(): Uri {
        PageChannels.ensureAll(app)
        val channel = notifications.getNotificationChannel("klaxon.critical")
        assertEquals(AudioAttributes.USAGE_ALARM, channel.audioAttributes.usage)
        return channel.sound
    }

    @Test fun aSilentSystemAlarmToneRingsWithTheBundledTone() {
        // "None" as the alarm tone: the pointer is still there, pointing at nothing.
        RingtoneManager.setActualDefaultRingtoneUri(app, RingtoneManager.TYPE_ALARM, null)
        assertEquals(bundled, criticalChannelSound())
        assertEquals(DataSource.toDataSource(app, bundled), ring())
    }

    @Test fun aMissingSystemAlarmToneRingsWithTheBundledTone() {
        // Set, but the file is gone: neither the pointer nor the tone opens.
        RingtoneManager.setActualDefaultRingtoneUri(app, RingtoneManager.TYPE_ALARM, Uri.parse("content://media/internal/audio/media/404"))
        assertEquals(bundled, criticalChannelSound())
        assertEquals(DataSource.toDataSource(app, bundled), ring())
    }

    @Test fun aPlayableSystemAlarmToneIsKept() {
        RingtoneManager.setActualDefaultRingtoneUri(app, RingtoneManager.TYPE_ALARM, Uri.parse("content://media/internal/audio/media/7"))
        shadowOf(app.contentResolver).registerInputStreamSupplier(systemPointer) { ByteArrayInputStream(ByteArray(64) { 1 }) }
        assertEquals(systemPointer, AlarmSound.uri(app))
        assertEquals(systemPointer, criticalChannelSound())
        assertEquals(DataSource.toDataSource(app, systemPointer), ring())
    }

    @Test fun aSystemToneThatFailsToPlayFallsBackToTheBundledOne() {
        RingtoneManager.setActualDefaultRingtoneUri(app, RingtoneManager.TYPE_ALARM, Uri.parse("content://media/internal/audio/media/8"))
        shadowOf(app.contentResolver).registerInputStreamSupplier(systemPointer) { ByteArrayInputStream(ByteArray(64) { 1 }) }
        // Readable, but the player refuses it (a corrupt file).
        ShadowMediaPlayer.addException(DataSource.toDataSource(app, systemPointer), java.io.IOException("corrupt"))
        assertEquals(DataSource.toDataSource(app, bundled), ring())
    }

    @Test fun theBundledToneIsALoudLoopOfAtLeastASecond() {
        val manifest = File(System.getProperty("klaxon.manifest"))
        val wav = File(manifest.parentFile, "res/raw/${AlarmSound.BUNDLED}.wav")
        AudioSystem.getAudioInputStream(wav).use { stream ->
            val format = stream.format
            assertEquals(16, format.sampleSizeInBits)
            val bytes = stream.readAllBytes()
            val seconds = bytes.size / (format.frameSize * format.frameRate)
            assertTrue("$seconds s", seconds >= 1.0)
            var peak = 0
            for (i in 0 until bytes.size / 2) {
                val sample = (bytes[2 * i].toInt() and 0xff) or (bytes[2 * i + 1].toInt() shl 8)
                peak = maxOf(peak, kotlin.math.abs(sample.toShort().toInt()))
            }
            assertTrue("peak $peak of 32767: loud", peak >= 0.8 * 32767)
        }
    }

    @Test fun theRingServiceIsStickySoAndroidRestartsItAfterAKill() {
        Ringing.start(app, "tone-2", RingLoop(Duration.ofSeconds(3), null), overrideDnd = true)
        val service = Robolectric.buildService(RingingService::class.java).create().get()
        assertEquals(Service.START_STICKY, service.onStartCommand(null, 0, 1))
        Ringing.stop(app, "tone-2")
        service.onDestroy()
    }
}
