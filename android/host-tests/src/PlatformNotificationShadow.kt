// Robolectric's NotificationManager, plus two things Android does that it
// does not: NotificationManager.canUseFullScreenIntent() (Android 14; a
// test chooses the answer), and the channel rules of Android's
// PreferencesHelper.createNotificationChannel for bypass-DND — a NEW
// channel from an app without Do-Not-Disturb access loses setBypassDnd(true);
// an EXISTING channel takes the app's bypass-DND only when the app has
// access and the user has not changed the channel (no user-locked fields).
package org.klaxon.android.tests

import android.app.NotificationChannel
import android.app.NotificationManager
import org.robolectric.annotation.Implementation
import org.robolectric.annotation.Implements
import org.robolectric.shadows.ShadowNotificationManager

@Implements(NotificationManager::class)
class PlatformNotificationShadow : ShadowNotificationManager() {
    @Implementation(minSdk = 34)
    fun canUseFullScreenIntent(): Boolean = fullScreenAllowed

    @Implementation
    override fun createNotificationChannel(channel: NotificationChannel) {
        val existing = getNotificationChannel(channel.id)
        if (existing == null) {
            if (!isNotificationPolicyAccessGranted()) channel.setBypassDnd(false)
            super.createNotificationChannel(channel)
            return
        }
        val bypass = channel.canBypassDnd()
        super.createNotificationChannel(channel)
        if (existing.userLockedFields == 0 && isNotificationPolicyAccessGranted()) existing.setBypassDnd(bypass)
    }

    @Implementation
    override fun createNotificationChannels(channels: List<NotificationChannel>) = channels.forEach(::createNotificationChannel)

    companion object {
        /** What Android 14+ answers for full-screen intents; tests reset it to true. */
        @JvmStatic var fullScreenAllowed = true
    }
}
