package org.klaxon.android.ring

import android.content.Context
import android.media.AudioFocusRequest
import android.media.AudioManager
import android.media.MediaPlayer
import android.os.Build
import android.os.VibrationAttributes
import android.os.VibrationEffect
import android.os.Vibrator
import android.util.Log
import org.klaxon.android.notify.PageChannels

/**
 * The noise of a ringing page: the alarm sound looping on the alarm stream
 * (so silent mode and the ringer volume do not mute it) and a repeating
 * strong vibration, until [stop].
 */
class AlarmPlayer(private val context: Context) {
    private val audio = context.getSystemService(AudioManager::class.java)
    private val vibrator = context.getSystemService(Vibrator::class.java)
    private var player: MediaPlayer? = null
    private var focus: AudioFocusRequest? = null

    val playing: Boolean get() = player != null

    fun start() {
        if (player != null) return
        focus = AudioFocusRequest.Builder(AudioManager.AUDIOFOCUS_GAIN_TRANSIENT)
            .setAudioAttributes(PageChannels.ALARM_AUDIO)
            .build()
            .also { audio.requestAudioFocus(it) }
        // The user's tone (if it plays), then the bundled one; vibration whatever happens.
        player = listOf(AlarmSound.uri(context), AlarmSound.bundled(context)).distinct()
            .firstNotNullOfOrNull(::loop)
        if (player == null) Log.e("Klaxon", "no alarm sound could be played; vibrating only")
        val pattern = VibrationEffect.createWaveform(PageChannels.CRITICAL_VIBRATION, 0)
        // Alarm usage: vibration that DND and "vibrate for notifications off" do not mute.
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            vibrator?.vibrate(pattern, VibrationAttributes.createForUsage(VibrationAttributes.USAGE_ALARM))
        } else {
            @Suppress("DEPRECATION")
            vibrator?.vibrate(pattern, PageChannels.ALARM_AUDIO)
        }
    }

    /** A started player looping [tone] on the alarm stream; null when it does not play. */
    private fun loop(tone: android.net.Uri): MediaPlayer? {
        val player = MediaPlayer()
        return try {
            player.setAudioAttributes(PageChannels.ALARM_AUDIO)
            player.setDataSource(context, tone)
            player.isLooping = true
            player.prepare()
            player.start()
            player
        } catch (e: Exception) {
            Log.e("Klaxon", "alarm sound $tone failed", e)
            player.release()
            null
        }
    }

    /** Whether the loop is still sounding (another app's audio focus may have stopped it). */
    fun stillSounding(): Boolean = player?.isPlaying == true

    fun stop() {
        player?.run {
            try {
                stop()
            } catch (_: IllegalStateException) {
            }
            release()
        }
        player = null
        vibrator?.cancel()
        focus?.let { audio.abandonAudioFocusRequest(it) }
        focus = null
    }
}
