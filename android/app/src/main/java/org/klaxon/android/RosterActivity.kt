package org.klaxon.android

import android.app.Activity
import android.os.Bundle
import org.klaxon.core.Pager
import java.time.Duration
import java.time.Instant

/**
 * Who is on call: now and next for each schedule, and my own shifts for
 * the coming weeks, in this phone's time zone (core stores UTC).
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
        val mine = pager.myShifts(now, now.plus(WEEKS))
        // The bindings have no list of schedules yet: show those this person is on.
        val schedules = mine.map { it.schedule }.distinct().map { schedule ->
            val current = pager.whoIsOnCall(schedule)
            val nowText = current.joinToString { "${it.name} until ${Times.local(it.until)}" }.ifEmpty { "nobody" }
            val currentIds = current.map { it.id }.toSet()
            val next = pager.roster(schedule, now, now.plus(WEEKS)).firstOrNull { it.person !in currentIds }
            val nextText = next?.let { "${it.person} from ${Times.local(it.start)}" } ?: "nobody in the next weeks"
            schedule to "Now: $nowText\nNext: $nextText"
        }
        return Roster(schedules, mine.map { "${it.schedule}: ${Times.local(it.start)} – ${Times.local(it.end)}" })
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
