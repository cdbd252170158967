package org.klaxon.android

/**
 * The shell's own words (page content comes from core). Kept in code, not
 * res/values, so the host tests can run without Android's resource
 * compiler; moving them to strings.xml for translation is a later step.
 */
object Words {
    // The page channels' names and descriptions come from core (notificationChannels()).
    const val CHANNEL_SERVICE = "Klaxon status"
    const val CHANNEL_SERVICE_ABOUT = "Shown while a page rings or while Klaxon listens to the relay."
    const val ACKNOWLEDGE = "Acknowledge"
    const val ESCALATE = "Escalate"
    const val RESOLVE = "Resolve"
    const val DECLINE = "Decline"
    const val SNOOZE = "Snooze"
    const val LISTENING = "Listening for pages from the relay"
    const val DND_WHY = "Critical pages must ring even when Do Not Disturb is on. Android lets an app do that " +
        "only with \"Do Not Disturb access\", which you grant on the next screen. Klaxon never changes your " +
        "Do Not Disturb settings; it only lets its critical channel through."

    /** "for 30 min", "for 2 h": a snooze length. */
    fun snoozeFor(length: java.time.Duration): String =
        if (length.toMinutes() < 60 || length.toMinutes() % 60 != 0L) "for ${length.toMinutes()} min" else "for ${length.toHours()} h"

    fun ringing(count: Int) = if (count == 1) "A critical page is ringing" else "$count critical pages are ringing"
}
