package org.klaxon.android.ui

import android.app.Activity
import android.os.Bundle
import org.klaxon.android.Background
import org.klaxon.android.Core
import org.klaxon.core.Pager
import java.time.Duration
import java.time.Instant

/**
 * Who is on call: for every schedule this person can see (core's
 * `schedules()`), who is on call now and who takes over next, by name; and
 * my own shifts for the coming weeks, in this phone's time zone (core
 * stores UTC).
 */
class RosterActivity : Activity() {
    private lateinit var column: Column

    /** What the screen shows, computed off the main thread. */
    private data class Roster(val schedules: List<Pair<String, String>>, val mine: List<String>)

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        column = Column(this)
        column.show()
        Background.load({ load(Core.pager(this)) }) { result ->
            result.fold(::render) { column.text("The roster could not be loaded: ${it.message}") }
        }
    }

    private fun load(pager: Pager): Roster {
        val now = Instant.now()
        val schedules = pager.schedules().map { schedule ->
            val nowText = schedule.onCall.joinToString { "${it.name} until ${Times.local(it.until)}" }.ifEmpty { "nobody" }
            val nextText = schedule.nextHandoff?.let { handoff ->
                val who = handoff.people.joinToString { it.name }.ifEmpty { "nobody" }
                "$who from ${Times.local(handoff.at)}"
            } ?: "no change in the next weeks"
            (schedule.name ?: schedule.id) to "Now: $nowText\nNext: $nextText\nTimes in this phone's zone (schedule: ${schedule.timeZone})"
        }
        val mine = pager.myShifts(now, now.plus(WEEKS))
            .map { "${it.scheduleName ?: it.schedule}: ${Times.local(it.start)} – ${Times.local(it.end)}" }
        return Roster(schedules, mine)
    }

    private fun render(roster: Roster) {
        column.clear()
        column.heading("On call")
        for ((schedule, text) in roster.schedules) {
            column.heading(schedule, 18f)
            column.text(text)
        }
        column.heading("My shifts (next ${WEEKS.toDays() / 7} weeks)")
        if (roster.mine.isEmpty()) column.text("None.")
        roster.mine.forEach { column.text(it) }
    }

    private companion object {
        val WEEKS: Duration = Duration.ofDays(28)
    }
}
