// Robolectric 4.16 does not shadow NotificationManager.canUseFullScreenIntent()
// (Android 14's answer is "no" there); this shadow lets a test choose it.
package org.klaxon.android.tests

import android.app.NotificationManager
import org.robolectric.annotation.Implementation
import org.robolectric.annotation.Implements
import org.robolectric.shadows.ShadowNotificationManager

/** The stock notification shadow, plus a settable full-screen-intent permission. */
@Implements(NotificationManager::class)
class FullScreenIntentShadow : ShadowNotificationManager() {
    @Implementation(minSdk = 34)
    fun canUseFullScreenIntent(): Boolean = allowed

    companion object {
        /** What Android 14+ answers; tests reset it to true. */
        @JvmStatic var allowed = true
    }
}
