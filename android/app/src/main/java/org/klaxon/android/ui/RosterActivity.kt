package org.klaxon.android.ui

import android.app.Activity
import android.os.Bundle
import android.widget.Button
import android.widget.LinearLayout
import android.widget.TextView
import kotlinx.coroutines.runBlocking
import org.klaxon.android.Background
import org.klaxon.android.Core
import org.klaxon.core.ApiException
import org.klaxon.core.Pager
import org.klaxon.core.ScheduleInfo
import org.klaxon.core.Shift
import java.time.Clock
import java.time.Duration
import java.time.Instant

/**
 * Who is on call: for every schedule this person can see (core's
 * `schedules()`), who is on call now and who takes over next, by name, and
 * the schedule's shifts of the coming week; and my own shifts for the
 * coming weeks, in this phone's time zone (core stores UTC).
 *
 * "I'll cover": every shift of someone else has a Cover button, and every
 * schedule a "Cover from now" (1 h, 4 h or until the next handoff). Both
 * call core's `takeShift` off the main thread; the relay puts this person
 * on call or refuses (a time in the past, over 90 days, a schedule outside
 * their teams), and the screen shows its words or the refreshed roster.
 */
class RosterActivity : Activity() {
    private lateinit var column: Column

    /** What the last cover did (or why it was refused); kept across a reload. */
    private var status: String? = null

    /** One shift row on screen: the view's tag, so the rows can be read back. */
    data class ShiftRow(val schedule: String, val shift: Shift, val mine: Boolean)

    /** What the screen shows, computed off the main thread. */
    private data class ScheduleRows(val info: ScheduleInfo, val summary: String, val shifts: List<ShiftRow>)
    private data class Roster(val schedules: List<ScheduleRows>, val mine: List<String>)

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        column = Column(this)
        column.show()
        reload()
    }

    private fun reload() {
        Background.load({ load(Core.pager(this)) }) { result ->
            result.fold(::render) {
                column.clear()
                column.text("The roster could not be loaded: ${it.message}")
            }
        }
    }

    private fun load(pager: Pager): Roster {
        val now = clock.instant()
        val me = pager.enrollment()?.person
        val schedules = pager.schedules().map { schedule ->
            val nowText = schedule.onCall.joinToString { "${it.name} until ${Times.local(it.until)}" }.ifEmpty { "nobody" }
            val nextText = schedule.nextHandoff?.let { handoff ->
                val who = handoff.people.joinToString { it.name }.ifEmpty { "nobody" }
                "$who from ${Times.local(handoff.at)}"
            } ?: "no change in the next weeks"
            val shifts = pager.roster(schedule.id, now, now.plus(WEEK))
                .filter { it.end > now }
                .map { ShiftRow(schedule.id, it, it.person == me) }
            ScheduleRows(
                schedule,
                "Now: $nowText\nNext: $nextText\nTimes in this phone's zone (schedule: ${schedule.timeZone})",
                shifts,
            )
        }
        val mine = pager.myShifts(now, now.plus(WEEKS))
            .map { "${it.scheduleName ?: it.schedule}: ${Times.local(it.start)} – ${Times.local(it.end)}" }
        return Roster(schedules, mine)
    }

    private fun render(roster: Roster) {
        column.clear()
        column.heading("On call")
        statusView = column.text(status ?: "").apply { visibility = if (status == null) TextView.GONE else TextView.VISIBLE }
        for (schedule in roster.schedules) {
            val name = schedule.info.name ?: schedule.info.id
            column.heading(name, 18f)
            column.text(schedule.summary)
            coverFromNow(schedule.info, name)
            column.text("Shifts (next ${WEEK.toDays()} days)", 14f)
            if (schedule.shifts.isEmpty()) column.text("None.")
            for (row in schedule.shifts) shiftRow(row, name)
        }
        column.heading("My shifts (next ${WEEKS.toDays() / 7} weeks)")
        if (roster.mine.isEmpty()) column.text("None.")
        roster.mine.forEach { column.text(it) }
    }

    /** A shift: who and when; someone else's has a Cover button for its window (from now, if it has begun). */
    private fun shiftRow(row: ShiftRow, scheduleName: String) {
        val line = LinearLayout(this).apply {
            orientation = LinearLayout.HORIZONTAL
            tag = row
        }
        line.addView(TextView(this).apply {
            text = "${row.shift.personName}: ${Times.local(row.shift.start)} – ${Times.local(row.shift.end)}"
            textSize = 16f
            layoutParams = LinearLayout.LayoutParams(0, LinearLayout.LayoutParams.WRAP_CONTENT, 1f)
        })
        if (!row.mine) {
            line.addView(Button(this).apply {
                text = COVER
                setOnClickListener {
                    val from = maxOf(row.shift.start, clock.instant())
                    cover(row.schedule, scheduleName, from, row.shift.end)
                }
            })
        }
        column.add(line)
    }

    /** "Cover from now": the lengths appear when tapped (1 h, 4 h, until the next handoff). */
    private fun coverFromNow(schedule: ScheduleInfo, name: String) {
        val choices = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        column.button(COVER_FROM_NOW) {
            choices.removeAllViews()
            val now = clock.instant()
            val lengths = mutableListOf("for 1 h" to now.plus(Duration.ofHours(1)), "for 4 h" to now.plus(Duration.ofHours(4)))
            schedule.nextHandoff?.at?.takeIf { it > now && Duration.between(now, it) <= MAX_COVER }?.let {
                lengths += "until the next handoff (${Times.local(it)})" to it
            }
            for ((label, to) in lengths) {
                choices.addView(Button(this).apply {
                    text = label
                    setOnClickListener { cover(schedule.id, name, clock.instant(), to) }
                })
            }
        }
        column.add(choices)
    }

    private var statusView: TextView? = null

    private fun showStatus(text: String) {
        status = text
        statusView?.apply {
            this.text = text
            visibility = TextView.VISIBLE
        }
    }

    /** Puts this person on call in [schedule] for [from, to) on the relay (off the main thread), then reloads. */
    private fun cover(schedule: String, name: String, from: Instant, to: Instant) {
        showStatus("Covering $name from ${Times.local(from)} to ${Times.local(to)}…")
        Background.load({ Core.pager(this).let { p -> runBlocking { p.takeShift(schedule, from, to) } } }) { result ->
            result.fold(
                { taken ->
                    showStatus("You are on call in $name from ${Times.local(taken.start)} to ${Times.local(taken.end)}.")
                    reload()
                },
                { showStatus(refusal(it)) },
            )
        }
    }

    private fun refusal(e: Throwable): String = when (e) {
        is ApiException.Relay -> "The relay refused: ${e.detail}"
        is ApiException.Network -> "The relay cannot be reached (${e.detail}); nothing changed. Try again when online."
        is ApiException.InvalidInput -> "Not covered: ${e.detail}"
        is ApiException.NotEnrolled -> "This phone is not enrolled yet."
        else -> "Not covered: ${e.message}"
    }

    companion object {
        private val WEEKS: Duration = Duration.ofDays(28)
        private val WEEK: Duration = Duration.ofDays(7)
        /** The relay's longest cover. */
        private val MAX_COVER: Duration = Duration.ofDays(90)
        const val COVER = "Cover"
        const val COVER_FROM_NOW = "Cover from now"

        /**
         * The time the screen computes cover windows with: the phone's
         * clock. Tests set a wrong one (a phone clock hours behind) to get
         * the relay's refusal.
         */
        @JvmStatic var clock: Clock = Clock.systemUTC()
    }
}
