// The ring loop's one intrusive act — raising a nearly silent alarm volume —
// is undone when the ring stops, and a level the user changed is theirs.
package org.klaxon.android.tests

import android.app.Application
import android.media.AudioManager
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.klaxon.android.ring.AlarmVolume
import org.klaxon.android.ring.Ringing
import org.klaxon.android.ring.RingingService
import org.klaxon.core.RingLoop
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import java.time.Duration

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], manifest = Config.NONE)
class RingVolumeTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private val audio = app.getSystemService(AudioManager::class.java)

    @org.junit.Before fun nothingRings() = Ringing.stopAll(app) // statics outlive Robolectric's per-test app

    @Test fun theRingRaisesANearlySilentAlarmAndRestoresItOnStop() {
        audio.setStreamVolume(AudioManager.STREAM_ALARM, 1, 0)
        Ringing.start(app, "vol-1", RingLoop(Duration.ofSeconds(3), null), overrideDnd = true)
        val service = Robolectric.buildService(RingingService::class.java).create().startCommand(0, 1)
        val max = audio.getStreamMaxVolume(AudioManager.STREAM_ALARM)
        assertTrue("raised while ringing", audio.getStreamVolume(AudioManager.STREAM_ALARM) >= (max * AlarmVolume.FLOOR).toInt())
        assertTrue("in the foreground", shadowOf(service.get()).isLastForegroundNotificationAttached || shadowOf(service.get()).lastForegroundNotification != null)
        Ringing.stop(app, "vol-1")
        service.destroy()
        assertEquals("restored", 1, audio.getStreamVolume(AudioManager.STREAM_ALARM))
    }

    @Test fun aLevelTheUserChangedDuringTheRingIsLeftAlone() {
        audio.setStreamVolume(AudioManager.STREAM_ALARM, 1, 0)
        val volume = AlarmVolume(app)
        volume.raiseIfNearlySilent()
        audio.setStreamVolume(AudioManager.STREAM_ALARM, 2, 0) // the user turned it down mid-ring
        volume.restore()
        assertEquals(2, audio.getStreamVolume(AudioManager.STREAM_ALARM))
    }

    @Test fun withoutOverrideDndAnActiveDoNotDisturbKeepsTheAlarmQuiet() {
        val notifications = app.getSystemService(android.app.NotificationManager::class.java)
        shadowOf(notifications).setNotificationPolicyAccessGranted(true)
        notifications.setInterruptionFilter(android.app.NotificationManager.INTERRUPTION_FILTER_PRIORITY)
        audio.setStreamVolume(AudioManager.STREAM_ALARM, 1, 0)
        Ringing.start(app, "dnd-1", RingLoop(Duration.ofSeconds(3), null), overrideDnd = false)
        val service = Robolectric.buildService(RingingService::class.java).create().startCommand(0, 1)
        assertEquals("not raised: the user did not allow overriding DND", 1, audio.getStreamVolume(AudioManager.STREAM_ALARM))
        Ringing.stop(app, "dnd-1")
        service.destroy()
    }
}
