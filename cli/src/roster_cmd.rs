//! `klaxon roster check | who | shifts | ical`: validate the roster file and
//! answer who is on call, the final shifts of a window and the calendar feed,
//! as specified in docs/cli.md. Times are printed in the schedule's zone.
//! `who` and `shifts` answer from a relay's live roster instead with
//! `--relay URL` (`roster_live`), printed by the same code.

use crate::outcome::{BadInput, Report};
use crate::when::{human_in, human_length, parse_instant, rfc3339_in};
use chrono::{DateTime, Duration, SubsecRound as _, Utc};
use chrono_tz::Tz;
use clap::{Args, Subcommand};
use klaxon_domain::{ical, Gap, Handoff, Roster, Schedule, Shift};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

/// How far ahead `roster check` looks for gaps.
const CHECK_HORIZON_DAYS: i64 = 28;

/// The longest `--from`..`--to` window: 10 years. An hourly rotation over
/// it is under 90 000 shifts; without a bound, a typo in a year could ask for
/// millions and exhaust memory instead of answering.
const MAX_WINDOW_DAYS: i64 = 3660;

/// Start of the default calendar window, in days before now: last week's
/// shifts (and the current one) stay visible in subscribed calendars.
const ICAL_DEFAULT_PAST_DAYS: i64 = 7;

/// End of the default calendar window, in days after now: about a quarter
/// of planning ahead.
const ICAL_DEFAULT_FUTURE_DAYS: i64 = 90;

/// The roster subcommands.
#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Validate the roster; warn (exit 1) about gaps in the next 4 weeks.
    Check {
        #[command(flatten)]
        file: RosterFile,
    },
    /// Who is on call at an instant (default: now).
    Who {
        #[command(flatten)]
        source: RosterSource,
        /// Schedule id.
        #[arg(long, value_name = "ID")]
        schedule: String,
        /// RFC 3339 instant, e.g. 2026-03-08T03:00:00-05:00 (default: now).
        #[arg(long, value_name = "T")]
        at: Option<String>,
        /// Print `{"schedule": ID, "at": T, "people": [...]}`.
        #[arg(long)]
        json: bool,
    },
    /// The final on-call shifts in [from, to).
    Shifts {
        #[command(flatten)]
        source: RosterSource,
        /// Schedule id.
        #[arg(long, value_name = "ID")]
        schedule: String,
        /// Start of the window, RFC 3339.
        #[arg(long, value_name = "T")]
        from: String,
        /// End of the window (exclusive), RFC 3339.
        #[arg(long, value_name = "T")]
        to: String,
        /// Print `[{"person": ID, "start": T, "end": T}, ...]`.
        #[arg(long)]
        json: bool,
    },
    /// RFC 5545 calendar of a schedule's or a person's shifts, on stdout.
    Ical {
        #[command(flatten)]
        file: RosterFile,
        #[command(flatten)]
        of: CalendarOf,
        /// Start of the window, RFC 3339 (default: 7 days ago).
        #[arg(long, value_name = "T")]
        from: Option<String>,
        /// End of the window, RFC 3339 (default: 90 days from now).
        #[arg(long, value_name = "T")]
        to: Option<String>,
    },
}

/// The roster file every subcommand reads.
#[derive(Debug, Args)]
pub struct RosterFile {
    /// The roster TOML file.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

/// Where `who` and `shifts` read the roster: the file, or a relay's live
/// roster (reloads and live overrides included; needs KLAXON_ADMIN_TOKEN).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct RosterSource {
    /// The roster TOML file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A relay's base URL: its live roster, overrides included.
    #[arg(long, value_name = "URL")]
    relay: Option<String>,
}

/// Whose calendar: exactly one of a schedule or a person.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct CalendarOf {
    /// Every shift of this schedule.
    #[arg(long, value_name = "ID")]
    schedule: Option<String>,
    /// This person's shifts across every schedule.
    #[arg(long, value_name = "ID")]
    person: Option<String>,
}

/// Runs one roster subcommand.
pub fn run(command: RosterCommand) -> Result<Report, BadInput> {
    // Whole seconds: every time printed (JSON, gaps, DTSTAMP) is to the second.
    let now = Utc::now().trunc_subsecs(0);
    match command {
        RosterCommand::Check { file } => check(&file, now),
        RosterCommand::Who {
            source,
            schedule,
            at,
            json,
        } => {
            // Arguments first: a usage mistake is reported before file problems.
            let at = match at {
                Some(value) => parse_instant("at", &value)?,
                None => now,
            };
            let file = match source {
                RosterSource {
                    relay: Some(relay), ..
                } => return crate::roster_live::who(&relay, &schedule, at, json),
                RosterSource { config, .. } => file_of(config)?,
            };
            let roster = load(&file)?;
            let schedule = find_schedule(&roster, &file, &schedule)?;
            who(
                schedule.id(),
                schedule.time_zone(),
                at,
                &schedule.who(at),
                schedule.next_handoff(at).as_ref(),
                &|p| person_label(&roster, p),
                json,
            )
        }
        RosterCommand::Shifts {
            source,
            schedule,
            from,
            to,
            json,
        } => {
            let (from, to) = window(parse_instant("from", &from)?, parse_instant("to", &to)?)?;
            let file = match source {
                RosterSource {
                    relay: Some(relay), ..
                } => return crate::roster_live::shifts(&relay, &schedule, from, to, json),
                RosterSource { config, .. } => file_of(config)?,
            };
            let roster = load(&file)?;
            let schedule = find_schedule(&roster, &file, &schedule)?;
            shifts(
                schedule.id(),
                schedule.time_zone(),
                from,
                to,
                &schedule.shifts(from, to),
                &schedule.gaps(from, to),
                &|p| person_label(&roster, p),
                json,
            )
        }
        RosterCommand::Ical { file, of, from, to } => {
            let from = match from {
                Some(value) => parse_instant("from", &value)?,
                None => now - Duration::days(ICAL_DEFAULT_PAST_DAYS),
            };
            let to = match to {
                Some(value) => parse_instant("to", &value)?,
                None => now + Duration::days(ICAL_DEFAULT_FUTURE_DAYS),
            };
            let (from, to) = window(from, to)?;
            let roster = load(&file)?;
            calendar(&roster, &file, &of, from, to, now)
        }
    }
}

/// `roster check`: the roster loads, and every schedule has someone on call
/// at every instant of the next four weeks (each gap is one problem line;
/// a schedule with `gaps = "expected"` has its gaps listed as notes instead,
/// so CI can tell a real hole from business-hours cover).
/// What loads but is probably a mistake (`Roster::warnings`) is a problem
/// line too. Turns a spring-forward gap swallows are notes on stdout, not problems:
/// someone is still on call, but the person whose turn it was may expect it.
fn check(file: &RosterFile, now: DateTime<Utc>) -> Result<Report, BadInput> {
    let roster = load(file)?;
    let name = file.config.display();
    let horizon = now + Duration::days(CHECK_HORIZON_DAYS);
    let mut problems: Vec<String> = roster
        .warnings
        .iter()
        .map(|w| format!("warning: {name}: {w}"))
        .collect();
    let mut notes = String::new();
    let mut expected = 0;
    for (index, schedule) in roster.schedules.iter().enumerate() {
        let zone = schedule.time_zone();
        for gap in schedule.gaps(now, horizon) {
            let line = format!(
                "{name}: schedules[{index}] ({id}): nobody on call from {} to {} ({}, {zone})",
                human_in(zone, gap.start),
                human_in(zone, gap.end),
                human_length(gap.start, gap.end),
                id = schedule.id(),
            );
            if schedule.gaps_expected() {
                expected += 1;
                notes.push_str(&format!("note: {line}; expected (gaps = \"expected\")\n"));
            } else {
                problems.push(format!("warning: {line}"));
            }
        }
    }
    for (index, schedule) in roster.schedules.iter().enumerate() {
        let zone = schedule.time_zone();
        for turn in schedule.lost_turns(now, horizon) {
            let wall = turn
                .wall_time
                .map(|w| w.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "its handoff".into());
            notes.push_str(&format!(
                "note: {name}: schedules[{index}].layers[{layer}] ({id}): {person}'s turn at {wall} does not exist \
                 (clocks spring forward in {zone}); {person} is skipped and the next turn starts at {next}\n",
                layer = turn.layer,
                id = schedule.id(),
                person = turn.person,
                next = human_in(zone, turn.at),
            ));
        }
    }
    let gap_count = problems.len() - roster.warnings.len();
    let mut gaps = if gap_count == 0 {
        "no gaps in the next 4 weeks".to_string()
    } else {
        format!("{} in the next 4 weeks", count(gap_count, "gap"))
    };
    if expected > 0 {
        gaps.push_str(&format!(", {}", count(expected, "expected gap")));
    }
    if !roster.warnings.is_empty() {
        gaps.push_str(&format!("; {}", count(roster.warnings.len(), "warning")));
    }
    let stdout = format!(
        "{name}: valid: {}, {}, {}, {}; {gaps}\n{notes}",
        count(roster.people.len(), "person"),
        count(roster.schedules.len(), "schedule"),
        count(roster.policies.len(), "policy"),
        count(roster.services.len(), "service"),
    );
    Ok(Report { stdout, problems })
}

/// `roster who --json`.
#[derive(Serialize)]
struct WhoJson<'a> {
    schedule: &'a str,
    at: String,
    people: Vec<&'a str>,
}

/// The one `--config` of `who` and `shifts` (clap makes it or `--relay` required).
fn file_of(config: Option<PathBuf>) -> Result<RosterFile, BadInput> {
    config
        .map(|config| RosterFile { config })
        .ok_or_else(|| BadInput::new("give --config FILE or --relay URL"))
}

/// `roster who`: the people on call in schedule `id` at `at`, and the next
/// handoff; `label` names a person (`alice (Alice Chen)`). The same for
/// the roster file and a relay's live roster.
pub fn who(
    id: &str,
    zone: Tz,
    at: DateTime<Utc>,
    people: &[&str],
    next_handoff: Option<&Handoff>,
    label: &dyn Fn(&str) -> String,
    json: bool,
) -> Result<Report, BadInput> {
    if json {
        let body = WhoJson {
            schedule: id,
            at: rfc3339_in(zone, at),
            people: people.to_vec(),
        };
        return to_json(&body).map(Report::output);
    }
    let mut out = format!("{id} ({zone}) at {}:\n", human_in(zone, at));
    if people.is_empty() {
        out.push_str("  nobody is on call\n");
    }
    for person in people {
        let _ = writeln!(out, "  {}", label(person));
    }
    match next_handoff {
        Some(handoff) if handoff.people.is_empty() => {
            let _ = writeln!(
                out,
                "next handoff: {}, to nobody (a gap starts)",
                human_in(zone, handoff.at)
            );
        }
        Some(handoff) => {
            let to: Vec<String> = handoff.people.iter().map(|p| label(p)).collect();
            let _ = writeln!(
                out,
                "next handoff: {}, to {}",
                human_in(zone, handoff.at),
                to.join(", ")
            );
        }
        None => out.push_str("next handoff: none in the coming year\n"),
    }
    Ok(Report::output(out))
}

/// One entry of `roster shifts --json`.
#[derive(Serialize)]
struct ShiftJson<'a> {
    person: &'a str,
    start: String,
    end: String,
}

/// `roster shifts`: the final shifts of schedule `id` in `[from, to)`;
/// people also see the gaps. The same for the roster file and a relay's
/// live roster.
#[allow(clippy::too_many_arguments)]
pub fn shifts(
    id: &str,
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    shifts: &[Shift],
    gaps: &[Gap],
    label: &dyn Fn(&str) -> String,
    json: bool,
) -> Result<Report, BadInput> {
    if json {
        let body: Vec<ShiftJson> = shifts
            .iter()
            .map(|s| ShiftJson {
                person: &s.person,
                start: rfc3339_in(zone, s.start),
                end: rfc3339_in(zone, s.end),
            })
            .collect();
        return to_json(&body).map(Report::output);
    }

    // Rows of (start, end, who), gaps included, in time order.
    let mut rows: Vec<(DateTime<Utc>, DateTime<Utc>, String)> = shifts
        .iter()
        .map(|s| (s.start, s.end, label(&s.person)))
        .collect();
    rows.extend(
        gaps.iter()
            .map(|g| (g.start, g.end, "(nobody on call)".to_string())),
    );
    rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));

    let mut out = format!(
        "{id} ({zone}), {} to {}: {}\n",
        human_in(zone, from),
        human_in(zone, to),
        count(shifts.len(), "shift"),
    );
    let lengths: Vec<String> = rows.iter().map(|(s, e, _)| human_length(*s, *e)).collect();
    let width = lengths.iter().map(String::len).max().unwrap_or(0);
    for ((start, end, who), length) in rows.iter().zip(&lengths) {
        let _ = writeln!(
            out,
            "  {} -> {}  {length:>width$}  {who}",
            human_in(zone, *start),
            human_in(zone, *end),
        );
    }
    Ok(Report::output(out))
}

/// `roster ical`: the calendar of a schedule or of a person.
fn calendar(
    roster: &Roster,
    file: &RosterFile,
    of: &CalendarOf,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Report, BadInput> {
    let text = match (&of.schedule, &of.person) {
        (Some(id), _) => {
            let schedule = find_schedule(roster, file, id)?;
            ical::schedule_calendar(roster, schedule, from, to, now)
        }
        (None, Some(id)) => {
            let person = roster.person(id).ok_or_else(|| {
                let valid: Vec<&str> = roster.people.iter().map(|p| p.id.as_str()).collect();
                unknown("person", id, file, &valid)
            })?;
            ical::person_calendar(roster, person, from, to, now)
        }
        // clap's group makes one of the two required; kept total anyway.
        (None, None) => return Err(BadInput::new("give --schedule ID or --person ID")),
    };
    Ok(Report::output(text))
}

/// Loads the roster; every problem becomes one stderr line naming the file.
fn load(file: &RosterFile) -> Result<Roster, BadInput> {
    Roster::load(&file.config).map_err(|e| BadInput {
        lines: e.to_string().lines().map(str::to_string).collect(),
    })
}

/// The schedule with this id, or an error listing the valid ids.
fn find_schedule<'r>(
    roster: &'r Roster,
    file: &RosterFile,
    id: &str,
) -> Result<&'r Schedule, BadInput> {
    roster.schedule(id).ok_or_else(|| {
        let valid: Vec<&str> = roster.schedules.iter().map(Schedule::id).collect();
        unknown("schedule", id, file, &valid)
    })
}

/// "unknown schedule "x" in roster.toml; valid schedules: a, b".
fn unknown(kind: &str, id: &str, file: &RosterFile, valid: &[&str]) -> BadInput {
    let known = if valid.is_empty() {
        format!("the roster has no {kind}s")
    } else {
        format!("valid {kind} ids: {}", valid.join(", "))
    };
    BadInput::new(format!(
        "unknown {kind} {id:?} in {}; {known}",
        file.config.display()
    ))
}

/// Checks that the window is non-empty and at most [`MAX_WINDOW_DAYS`] long.
fn window(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), BadInput> {
    if from >= to {
        return Err(BadInput::new(format!(
            "--from ({}) must be before --to ({})",
            from.to_rfc3339(),
            to.to_rfc3339()
        )));
    }
    if to - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(BadInput::new(format!(
            "the window from --from to --to is longer than {MAX_WINDOW_DAYS} days (10 years); ask for a shorter one"
        )));
    }
    Ok((from, to))
}

/// `alice (Alice Chen)`, or the bare id if the roster has no such person.
fn person_label(roster: &Roster, id: &str) -> String {
    match roster.person(id) {
        Some(person) => format!("{id} ({})", person.name),
        None => id.to_string(),
    }
}

/// `1 schedule`, `2 schedules`, `3 people`.
fn count(n: usize, noun: &str) -> String {
    match (n, noun) {
        (1, _) => format!("1 {noun}"),
        (_, "person") => format!("{n} people"),
        (_, "policy") => format!("{n} policies"),
        _ => format!("{n} {noun}s"),
    }
}

/// Compact JSON plus a newline.
fn to_json<T: Serialize>(value: &T) -> Result<String, BadInput> {
    serde_json::to_string(value)
        .map(|s| s + "\n")
        .map_err(|e| BadInput::new(format!("cannot encode the JSON output: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_notes_a_turn_that_spring_forward_swallows_without_failing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("night.toml");
        std::fs::write(
            &path,
            r#"
[[people]]
id = "alice"
name = "Alice"
[[people]]
id = "bob"
name = "Bob"
[[people]]
id = "carol"
name = "Carol"
[[schedules]]
id = "night"
time_zone = "America/Chicago"
  [[schedules.layers]]
  rotation = "hourly"
  start = "2027-03-01T00:00:00"
  participants = ["alice", "bob", "carol"]
"#,
        )
        .unwrap();
        let file = RosterFile { config: path };
        // 2027-03-14 02:00 does not exist in Chicago: carol's turn (k = 314,
        // counted from the layer's start on 1 March) is swallowed; alice's
        // 03:00 turn starts at 03:00 CDT.
        let now = "2027-03-13T00:00:00Z".parse().unwrap();
        let report = check(&file, now).unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        let notes: Vec<&str> = report
            .stdout
            .lines()
            .filter(|l| l.starts_with("note:"))
            .collect();
        assert_eq!(notes.len(), 1, "{}", report.stdout);
        assert!(
            notes[0].contains(
                "schedules[0].layers[0] (night): carol's turn at 2027-03-14 02:00 does not exist"
            ),
            "{}",
            notes[0]
        );
        assert!(
            notes[0].ends_with("Sun 2027-03-14 03:00 CDT"),
            "{}",
            notes[0]
        );
        // A window without a spring-forward: no note.
        let report = check(&file, "2027-06-01T00:00:00Z".parse().unwrap()).unwrap();
        assert!(!report.stdout.contains("note:"), "{}", report.stdout);
    }
}
