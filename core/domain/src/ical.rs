//! iCalendar (RFC 5545) export of on-call shifts: the feed people subscribe
//! to from Google, Apple or Outlook calendars, for one schedule or for one
//! person across every schedule. Pure functions: the caller passes the
//! roster, the window and the `generated_at` instant (DTSTAMP), so the same
//! input always gives byte-identical output.
//!
//! Two choices make the feed safe to re-fetch:
//! - **Stable UIDs.** An event's UID is derived from the schedule id, the
//!   person id and the shift's start instant (see [`event_uid`]). Regenerating
//!   the feed gives the same UID for the same shift, so a calendar client
//!   updates the event (say, its end after an override) instead of adding a
//!   duplicate.
//! - **True shift bounds.** The engine clips shifts to the query window, which
//!   would move a shift's start (and so its UID) whenever the window moves. The
//!   export therefore computes shifts over the window widened by
//!   [`PADDING_DAYS`] on each side (and, when a shift still touches that edge,
//!   by [`WIDE_PADDING_DAYS`]), and keeps the shifts that intersect the
//!   requested window with their real start and end.

use crate::roster::{Person, Roster};
use crate::schedule::Schedule;
use chrono::{DateTime, Duration, Utc};

/// Days added on each side of the requested window when computing shifts,
/// so the shifts that cross the window's edges keep their true bounds.
/// 35 days covers every weekly rotation and a monthly one of length 1.
pub const PADDING_DAYS: i64 = 35;

/// Days added on each side when a shift still reaches the [`PADDING_DAYS`]
/// edge (a long monthly rotation, or a one-person schedule). A shift longer
/// than this is exported clipped, and its UID then follows the clip.
pub const WIDE_PADDING_DAYS: i64 = 400;

/// The longest line RFC 5545 allows, in octets, excluding the CRLF.
const MAX_LINE_OCTETS: usize = 75;

/// One on-call shift as a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCallEvent {
    /// The schedule the shift belongs to.
    pub schedule: String,
    /// The person on call (id).
    pub person: String,
    /// The person's display name, used in the SUMMARY.
    pub person_name: String,
    /// First instant on call.
    pub start: DateTime<Utc>,
    /// First instant off call.
    pub end: DateTime<Utc>,
}

impl OnCallEvent {
    /// The event's UID; see [`event_uid`].
    pub fn uid(&self) -> String {
        event_uid(&self.schedule, &self.person, self.start)
    }

    /// The event's title, e.g. `On call: Alice Chen (primary)`.
    pub fn summary(&self) -> String {
        format!("On call: {} ({})", self.person_name, self.schedule)
    }
}

/// The stable UID of a shift: `<start>.<schedule>.<person>@klaxon`, the start
/// as a UTC basic-format timestamp and each id percent-encoded outside
/// `[A-Za-z0-9_-]`, so no two (schedule, person, start) triples collide.
/// The end is left out on purpose: when an override lengthens or shortens a
/// shift, the calendar updates the same event.
pub fn event_uid(schedule: &str, person: &str, start: DateTime<Utc>) -> String {
    format!(
        "{}.{}.{}@klaxon",
        utc_stamp(start),
        encode_id(schedule),
        encode_id(person)
    )
}

/// The calendar of one schedule: every shift that intersects `[from, to)`,
/// with its true start and end.
pub fn schedule_calendar(
    roster: &Roster,
    schedule: &Schedule,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    generated_at: DateTime<Utc>,
) -> String {
    let events = schedule_events(roster, schedule, from, to);
    render(
        &format!("On call: {}", schedule.id()),
        &events,
        generated_at,
    )
}

/// The calendar of one person across every schedule: each of their shifts
/// that intersects `[from, to)`, with its true start and end.
pub fn person_calendar(
    roster: &Roster,
    person: &Person,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    generated_at: DateTime<Utc>,
) -> String {
    let events = person_events(roster, person, from, to);
    render(&format!("On call: {}", person.name), &events, generated_at)
}

/// The events of one schedule's shifts that intersect `[from, to)`, ordered
/// by start (then person), with true (unclipped) bounds.
pub fn schedule_events(
    roster: &Roster,
    schedule: &Schedule,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<OnCallEvent> {
    intersecting_unclipped(from, to, |wide_from, wide_to| {
        schedule
            .shifts(wide_from, wide_to)
            .into_iter()
            .map(|shift| OnCallEvent {
                schedule: schedule.id().to_string(),
                person_name: display_name(roster, &shift.person),
                person: shift.person,
                start: shift.start,
                end: shift.end,
            })
            .collect()
    })
}

/// The events of one person's shifts, across every schedule, that intersect
/// `[from, to)`, ordered by start (then schedule), with true bounds.
pub fn person_events(
    roster: &Roster,
    person: &Person,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<OnCallEvent> {
    intersecting_unclipped(from, to, |wide_from, wide_to| {
        roster
            .person_shifts(&person.id, wide_from, wide_to)
            .into_iter()
            .map(|shift| OnCallEvent {
                schedule: shift.schedule,
                person: person.id.clone(),
                person_name: person.name.clone(),
                start: shift.start,
                end: shift.end,
            })
            .collect()
    })
}

/// Renders a complete VCALENDAR: CRLF line endings, TEXT values escaped,
/// every line folded to at most 75 octets. `generated_at` is the DTSTAMP of
/// every event.
pub fn render(calendar_name: &str, events: &[OnCallEvent], generated_at: DateTime<Utc>) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Klaxon//On-call schedule//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", escape_text(calendar_name)),
        // Subscribers re-fetch hourly, so overrides show up the same day.
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H".into(),
        "X-PUBLISHED-TTL:PT1H".into(),
    ];
    let stamp = utc_stamp(generated_at);
    for event in events {
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:{}", escape_text(&event.uid())));
        lines.push(format!("DTSTAMP:{stamp}"));
        lines.push(format!("DTSTART:{}", utc_stamp(event.start)));
        lines.push(format!("DTEND:{}", utc_stamp(event.end)));
        lines.push(format!("SUMMARY:{}", escape_text(&event.summary())));
        // Being on call should not mark a whole week as busy.
        lines.push("TRANSP:TRANSPARENT".into());
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());

    let mut out = String::new();
    for line in &lines {
        out.push_str(&fold_line(line));
    }
    out
}

/// Escapes an RFC 5545 TEXT value: backslash, semicolon and comma get a
/// backslash, line breaks (CRLF, LF or CR) become `\n`, and other control
/// characters, which TEXT does not allow, are dropped (tab is kept).
pub fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds one content line (without its line break) into CRLF-terminated
/// physical lines of at most 75 octets each, continuation lines starting
/// with a space (which counts toward the 75). A multi-byte UTF-8 character is
/// never split across lines.
pub fn fold_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 64 * 3 + 2);
    let mut rest = line;
    let mut budget = MAX_LINE_OCTETS;
    loop {
        if rest.len() <= budget {
            out.push_str(rest);
            out.push_str("\r\n");
            return out;
        }
        let mut cut = budget;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        out.push_str(head);
        out.push_str("\r\n ");
        rest = tail;
        budget = MAX_LINE_OCTETS - 1;
    }
}

/// Computes shifts over a widened window and keeps those intersecting
/// `[from, to)`. If a kept shift still reaches a widened edge (so it may be
/// clipped), it retries once with [`WIDE_PADDING_DAYS`].
fn intersecting_unclipped(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    compute: impl Fn(DateTime<Utc>, DateTime<Utc>) -> Vec<OnCallEvent>,
) -> Vec<OnCallEvent> {
    if from >= to {
        return Vec::new();
    }
    let mut kept = Vec::new();
    for days in [PADDING_DAYS, WIDE_PADDING_DAYS] {
        let pad = Duration::days(days);
        let wide_from = from.checked_sub_signed(pad).unwrap_or(from);
        let wide_to = to.checked_add_signed(pad).unwrap_or(to);
        kept = compute(wide_from, wide_to)
            .into_iter()
            .filter(|e| e.start < to && e.end > from)
            .collect();
        if kept.iter().all(|e| e.start > wide_from && e.end < wide_to) {
            break;
        }
    }
    kept
}

/// The person's display name, or their id when the roster does not know them.
fn display_name(roster: &Roster, person: &str) -> String {
    roster
        .person(person)
        .map_or_else(|| person.to_string(), |p| p.name.clone())
}

/// RFC 5545 UTC DATE-TIME, e.g. `20260105T150000Z` (seconds precision).
fn utc_stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Percent-encodes every byte outside `[A-Za-z0-9_-]`, so `.` can separate
/// the parts of a UID unambiguously.
fn encode_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap()
    }

    fn event(person: &str, name: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> OnCallEvent {
        OnCallEvent {
            schedule: "primary".into(),
            person: person.into(),
            person_name: name.into(),
            start,
            end,
        }
    }

    /// Splits rendered output into physical lines, asserting each ends in CRLF.
    fn physical_lines(text: &str) -> Vec<&str> {
        assert!(text.ends_with("\r\n"), "output must end with CRLF");
        let body = &text[..text.len() - 2];
        let lines: Vec<&str> = body.split("\r\n").collect();
        for line in &lines {
            assert!(
                !line.contains('\n') && !line.contains('\r'),
                "bare line break in {line:?}"
            );
        }
        lines
    }

    /// Undoes folding: a line starting with a space continues the previous one.
    fn unfold(text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for line in physical_lines(text) {
            match line.strip_prefix(' ') {
                Some(rest) => out.last_mut().unwrap().push_str(rest),
                None => out.push(line.to_string()),
            }
        }
        out
    }

    #[test]
    fn short_line_is_not_folded() {
        assert_eq!(fold_line("SUMMARY:hi"), "SUMMARY:hi\r\n");
    }

    #[test]
    fn line_of_exactly_75_octets_stays_whole() {
        let line = "X".repeat(75);
        assert_eq!(fold_line(&line), format!("{line}\r\n"));
    }

    #[test]
    fn line_of_76_octets_folds_after_75() {
        let line = "X".repeat(76);
        assert_eq!(fold_line(&line), format!("{}\r\n X\r\n", "X".repeat(75)));
    }

    #[test]
    fn continuation_lines_hold_74_octets_after_the_space() {
        let line = "Y".repeat(75 + 74 + 1);
        let folded = fold_line(&line);
        let lines = physical_lines(&folded);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].len(), 75);
        assert_eq!(lines[1].len(), 75);
        assert_eq!(lines[2], " Y");
    }

    #[test]
    fn folding_never_splits_a_multibyte_character() {
        // 74 ASCII octets then "é" (2 octets): the 75-octet cut would fall
        // inside "é", so the first line stops at 74 octets.
        let line = format!("{}é{}", "a".repeat(74), "b".repeat(10));
        let folded = fold_line(&line);
        let lines = physical_lines(&folded);
        assert_eq!(lines[0], "a".repeat(74));
        assert_eq!(lines[1], format!(" é{}", "b".repeat(10)));
    }

    #[test]
    fn folding_keeps_every_line_within_75_octets_for_any_char_width() {
        for ch in ['a', 'é', '€', '🚨'] {
            for len in 0..200 {
                let line: String = (0..len).map(|_| ch).collect();
                let folded = fold_line(&line);
                for physical in physical_lines(&folded) {
                    assert!(
                        physical.len() <= 75,
                        "{ch} x {len}: {} octets",
                        physical.len()
                    );
                }
                let unfolded: String = physical_lines(&folded)
                    .iter()
                    .enumerate()
                    .map(|(i, l)| if i == 0 { *l } else { &l[1..] })
                    .collect();
                assert_eq!(unfolded, line);
            }
        }
    }

    #[test]
    fn multibyte_line_of_exactly_75_octets_stays_whole() {
        // 3 + 24 * 3 = 75 octets.
        let line = format!("X:{}{}", " ", "€".repeat(24));
        assert_eq!(line.len(), 75);
        assert_eq!(fold_line(&line), format!("{line}\r\n"));
    }

    #[test]
    fn text_escaping_covers_backslash_semicolon_comma_and_newlines() {
        assert_eq!(escape_text(r"a\b"), r"a\\b");
        assert_eq!(escape_text("a;b,c"), r"a\;b\,c");
        assert_eq!(escape_text("a\nb"), r"a\nb");
        assert_eq!(escape_text("a\r\nb"), r"a\nb");
        assert_eq!(escape_text("a\rb"), r"a\nb");
        assert_eq!(escape_text("tab\there"), "tab\there");
        assert_eq!(escape_text("bell\u{7}gone"), "bellgone");
        assert_eq!(escape_text("Zoë: ok"), "Zoë: ok");
    }

    #[test]
    fn calendar_has_the_required_properties_and_crlf_everywhere() {
        let events = vec![event(
            "alice",
            "Alice Chen",
            at(2026, 1, 5, 15),
            at(2026, 1, 12, 15),
        )];
        let text = render("On call: primary", &events, at(2026, 1, 1, 0));
        let lines = unfold(&text);
        assert_eq!(
            lines,
            vec![
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                "PRODID:-//Klaxon//On-call schedule//EN",
                "CALSCALE:GREGORIAN",
                "METHOD:PUBLISH",
                "X-WR-CALNAME:On call: primary",
                "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
                "X-PUBLISHED-TTL:PT1H",
                "BEGIN:VEVENT",
                "UID:20260105T150000Z.primary.alice@klaxon",
                "DTSTAMP:20260101T000000Z",
                "DTSTART:20260105T150000Z",
                "DTEND:20260112T150000Z",
                "SUMMARY:On call: Alice Chen (primary)",
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
                "END:VCALENDAR",
            ]
        );
        // No LF without its CR, no CR without its LF.
        assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
        assert_eq!(text.matches('\r').count(), text.matches("\r\n").count());
    }

    #[test]
    fn names_are_escaped_and_long_summaries_folded() {
        let name = "Zoë \"Ops; Infra, EMEA\" Ångström-Øverby\\Night\nshift 🚨 with a long tail";
        let events = vec![event("zoe", name, at(2026, 3, 1, 0), at(2026, 3, 2, 0))];
        let text = render("On call: Zoë, Ops", &events, at(2026, 3, 1, 0));
        for line in physical_lines(&text) {
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        }
        let lines = unfold(&text);
        assert!(lines.contains(&r"X-WR-CALNAME:On call: Zoë\, Ops".to_string()));
        let summary = lines.iter().find(|l| l.starts_with("SUMMARY:")).unwrap();
        assert_eq!(
            summary,
            "SUMMARY:On call: Zoë \"Ops\\; Infra\\, EMEA\" Ångström-Øverby\\\\Night\\nshift 🚨 with a long tail (primary)"
        );
    }

    #[test]
    fn uid_is_stable_across_regenerations_and_depends_on_schedule_person_start() {
        let a = event(
            "alice",
            "Alice Chen",
            at(2026, 1, 5, 15),
            at(2026, 1, 12, 15),
        );
        let mut lengthened = a.clone();
        lengthened.end = at(2026, 1, 13, 15);
        lengthened.person_name = "Alice C.".into();
        assert_eq!(
            a.uid(),
            lengthened.uid(),
            "end and display name must not change the UID"
        );

        let first = render("c", std::slice::from_ref(&a), at(2026, 1, 1, 0));
        let later = render("c", std::slice::from_ref(&a), at(2026, 2, 1, 0));
        let uid = |t: &str| {
            unfold(t)
                .into_iter()
                .find(|l| l.starts_with("UID:"))
                .unwrap()
        };
        assert_eq!(uid(&first), uid(&later));

        let mut other_start = a.clone();
        other_start.start = at(2026, 1, 5, 16);
        let mut other_person = a.clone();
        other_person.person = "bob".into();
        let mut other_schedule = a.clone();
        other_schedule.schedule = "secondary".into();
        let uids = [&a, &other_start, &other_person, &other_schedule].map(|e| e.uid());
        for i in 0..uids.len() {
            for j in i + 1..uids.len() {
                assert_ne!(uids[i], uids[j]);
            }
        }
    }

    #[test]
    fn uid_separators_cannot_collide() {
        let start = at(2026, 1, 1, 0);
        assert_ne!(event_uid("a.b", "c", start), event_uid("a", "b.c", start));
        assert_eq!(
            event_uid("a.b", "c d", start),
            "20260101T000000Z.a%2Eb.c%20d@klaxon"
        );
    }

    #[test]
    fn empty_calendar_is_still_valid() {
        let text = render("On call: nobody", &[], at(2026, 1, 1, 0));
        let lines = unfold(&text);
        assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
        assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
        assert!(!text.contains("VEVENT"));
    }

    mod with_engine {
        //! These go through the schedule engine: the widened window must give
        //! the same events, with their true bounds, whatever the window.
        use super::*;
        use crate::schedule::{Layer, Rotation};
        use chrono::NaiveDate;

        fn roster() -> Roster {
            let layer = Layer {
                name: "weekly".into(),
                rotation: Rotation::Weekly,
                length: 1,
                start: NaiveDate::from_ymd_opt(2026, 1, 5)
                    .unwrap()
                    .and_hms_opt(9, 0, 0)
                    .unwrap(),
                participants: vec!["alice".into(), "bob".into()],
                time_zone: None,
                restrictions: vec![],
            };
            let schedule = Schedule::new(
                "primary".into(),
                chrono_tz::America::Chicago,
                vec![layer],
                vec![],
            );
            Roster {
                people: vec![
                    Person {
                        id: "alice".into(),
                        name: "Alice Chen".into(),
                    },
                    Person {
                        id: "bob".into(),
                        name: "Bob Okafor".into(),
                    },
                ],
                schedules: vec![schedule],
                policies: vec![],
                services: vec![],
                heartbeats: vec![],
                warnings: vec![],
                version: String::new(),
            }
        }

        #[test]
        fn shifts_crossing_the_window_keep_their_true_bounds() {
            let roster = roster();
            let schedule = &roster.schedules[0];
            // Mid-shift window: alice is on call 2026-01-05 15:00Z .. 2026-01-12 15:00Z.
            let events = schedule_events(&roster, schedule, at(2026, 1, 7, 0), at(2026, 1, 8, 0));
            assert_eq!(
                events,
                vec![event(
                    "alice",
                    "Alice Chen",
                    at(2026, 1, 5, 15),
                    at(2026, 1, 12, 15)
                )]
            );
        }

        #[test]
        fn moving_the_window_keeps_uids_of_shared_shifts() {
            let roster = roster();
            let schedule = &roster.schedules[0];
            let a = schedule_events(&roster, schedule, at(2026, 1, 7, 0), at(2026, 2, 7, 0));
            let b = schedule_events(&roster, schedule, at(2026, 1, 20, 3), at(2026, 3, 1, 0));
            let uids_a: Vec<String> = a.iter().map(OnCallEvent::uid).collect();
            let shared: Vec<&OnCallEvent> =
                b.iter().filter(|e| uids_a.contains(&e.uid())).collect();
            assert!(
                shared.len() >= 3,
                "expected overlapping shifts, got {shared:?}"
            );
            for e in shared {
                assert!(a.contains(e), "{e:?} changed between windows");
            }
        }

        #[test]
        fn person_events_cover_only_that_person() {
            let roster = roster();
            let bob = roster.person("bob").unwrap().clone();
            let events = person_events(&roster, &bob, at(2026, 1, 1, 0), at(2026, 2, 1, 0));
            assert!(!events.is_empty());
            assert!(events
                .iter()
                .all(|e| e.person == "bob" && e.person_name == "Bob Okafor"));
            // Nobody is on call before the layer's start (2026-01-05, alice's
            // turn), so bob's first shift is turn 1: Monday 2026-01-12 09:00
            // CST — not a turn counted backwards into December.
            assert_eq!(events[0].start, at(2026, 1, 12, 15));
            assert_eq!(events[1].start, at(2026, 1, 26, 15));
        }

        #[test]
        fn empty_or_backwards_window_gives_no_events() {
            let roster = roster();
            let schedule = &roster.schedules[0];
            assert!(
                schedule_events(&roster, schedule, at(2026, 1, 8, 0), at(2026, 1, 8, 0)).is_empty()
            );
            assert!(
                schedule_events(&roster, schedule, at(2026, 1, 9, 0), at(2026, 1, 8, 0)).is_empty()
            );
        }
    }
}
