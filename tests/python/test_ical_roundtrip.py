"""The `klaxon roster ical` feed read back by an independent RFC 5545 parser.

The Python `icalendar` package parses the calendars `klaxon` exports, for a
schedule and for a person, over a window that includes the 2026-03-08 DST
change in America/Chicago; the events must give back exactly the shifts
`klaxon roster shifts --json` reports (same people, same UTC instants).
The raw text must use CRLF everywhere and keep every line within 75 octets.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import icalendar
import pytest

ROOT = Path(__file__).resolve().parents[2]
ROSTER = ROOT / "tests" / "fixtures" / "roster.toml"

# Two weeks around the spring-forward change (Sunday 2026-03-08, 02:00 CST).
WINDOW_FROM = "2026-03-01T00:00:00-06:00"
WINDOW_TO = "2026-03-15T00:00:00-05:00"


@pytest.fixture(scope="session")
def klaxon() -> Path:
    """The debug `klaxon` binary, built once if missing."""
    binary = ROOT / "target" / "debug" / "klaxon"
    if not binary.exists():
        subprocess.run(["cargo", "build", "-p", "klaxon"], cwd=ROOT, check=True)
    return binary


def run(klaxon: Path, *args: str) -> bytes:
    done = subprocess.run([str(klaxon), "roster", *args], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def shifts(klaxon: Path, schedule: str) -> list[tuple[str, datetime, datetime]]:
    """`roster shifts --json` as (person, start, end) in UTC."""
    out = run(
        klaxon, "shifts", "--config", str(ROSTER), "--schedule", schedule,
        "--from", WINDOW_FROM, "--to", WINDOW_TO, "--json",
    )
    return [(s["person"], utc(s["start"]), utc(s["end"])) for s in json.loads(out)]


def ical(klaxon: Path, *target: str) -> bytes:
    return run(klaxon, "ical", "--config", str(ROSTER), *target, "--from", WINDOW_FROM, "--to", WINDOW_TO)


def events(raw: bytes) -> list[dict]:
    """The VEVENTs as parsed by `icalendar`, times in UTC."""
    calendar = icalendar.Calendar.from_ical(raw)
    assert calendar.get("VERSION") == "2.0"
    assert calendar.get("METHOD") == "PUBLISH"
    assert calendar.get("PRODID")
    out = []
    for event in calendar.walk("VEVENT"):
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND")
        # DTSTART/DTEND are UTC date-times (`...Z`), never floating or dates.
        assert start.tzinfo is not None and start.utcoffset().total_seconds() == 0
        assert end.tzinfo is not None and end.utcoffset().total_seconds() == 0
        out.append(
            {
                "uid": str(event.get("UID")),
                "summary": str(event.get("SUMMARY")),
                "start": start.astimezone(timezone.utc),
                "end": end.astimezone(timezone.utc),
                "stamp": event.decoded("DTSTAMP"),
            }
        )
    return out


def clipped(evs: list[dict], person_of) -> list[tuple[str, datetime, datetime]]:
    """Events clipped to the window, the way `shifts` reports them.

    The feed carries each shift's true bounds (a shift that crosses the
    window edge is not cut), so cutting it here must give `shifts` back.
    """
    lo, hi = utc(WINDOW_FROM), utc(WINDOW_TO)
    return sorted((person_of(e), max(e["start"], lo), min(e["end"], hi)) for e in evs)


def assert_wire_format(raw: bytes) -> None:
    assert raw.endswith(b"\r\n")
    physical = raw.split(b"\r\n")[:-1]
    for line in physical:
        assert b"\n" not in line and b"\r" not in line, f"bare line break in {line!r}"
        assert len(line) <= 75, f"{len(line)} octets: {line!r}"
        line.decode("utf-8")  # folding never splits a character


PEOPLE = {"Alice Chen": "alice", "Bob Okafor": "bob", "Carol Díaz": "carol"}


def person_in_summary(summary: str) -> str:
    # "On call: Alice Chen (primary)"
    assert summary.startswith("On call: ")
    name = summary.removeprefix("On call: ").rsplit(" (", 1)[0]
    return PEOPLE[name]


@pytest.mark.parametrize("schedule", ["daily", "primary"])
def test_schedule_feed_gives_back_the_shifts(klaxon: Path, schedule: str) -> None:
    raw = ical(klaxon, "--schedule", schedule)
    assert_wire_format(raw)
    evs = events(raw)
    expected = shifts(klaxon, schedule)
    assert expected, "the window must have shifts"
    assert clipped(evs, lambda e: person_in_summary(e["summary"])) == sorted(expected)
    assert all(e["summary"].endswith(f"({schedule})") for e in evs)
    assert len({e["uid"] for e in evs}) == len(evs), "UIDs must be unique"


def test_daily_shifts_keep_their_wall_clock_handoff_across_dst(klaxon: Path) -> None:
    evs = sorted(events(ical(klaxon, "--schedule", "daily")), key=lambda e: e["start"])
    # 09:00 CST is 15:00Z, 09:00 CDT is 14:00Z; both appear in the window.
    assert {e["start"].hour for e in evs} == {14, 15}
    assert all(e["start"].minute == 0 for e in evs)
    lengths = {e["start"].date().isoformat(): (e["end"] - e["start"]).total_seconds() / 3600 for e in evs}
    assert lengths["2026-03-07"] == 23  # Sat 09:00 CST -> Sun 09:00 CDT
    assert lengths["2026-03-08"] == 24


def test_person_feed_gives_back_their_shifts_across_schedules(klaxon: Path) -> None:
    raw = ical(klaxon, "--person", "alice")
    assert_wire_format(raw)
    evs = events(raw)
    calendar = icalendar.Calendar.from_ical(raw)
    assert str(calendar.get("X-WR-CALNAME")) == "On call: Alice Chen"

    by_schedule: dict[str, list] = {}
    for e in evs:
        assert person_in_summary(e["summary"]) == "alice"
        schedule = e["summary"].rsplit(" (", 1)[1].rstrip(")")
        by_schedule.setdefault(schedule, []).append(e)
    assert set(by_schedule) == {"primary", "daily"}
    for schedule, mine in by_schedule.items():
        expected = sorted(s for s in shifts(klaxon, schedule) if s[0] == "alice")
        assert clipped(mine, lambda _e: "alice") == expected, schedule


def test_uids_and_events_are_stable_across_regeneration(klaxon: Path) -> None:
    first = {e["uid"]: (e["start"], e["end"]) for e in events(ical(klaxon, "--schedule", "primary"))}
    again = {e["uid"]: (e["start"], e["end"]) for e in events(ical(klaxon, "--schedule", "primary"))}
    assert first == again
    # A window shifted by a few hours keeps every shared event identical.
    shifted = run(
        klaxon, "ical", "--config", str(ROSTER), "--schedule", "primary",
        "--from", "2026-03-01T05:00:00-06:00", "--to", "2026-03-15T05:00:00-05:00",
    )
    moved = {e["uid"]: (e["start"], e["end"]) for e in events(shifted)}
    shared = first.keys() & moved.keys()
    assert len(shared) >= len(first) - 2
    assert all(first[uid] == moved[uid] for uid in shared)
