//! TOML -> validated [`Roster`](super::Roster).
//!
//! The file is read into a plain TOML table first (only a syntax error stops
//! there), then walked by hand so that every problem in the file is reported
//! at once, each with its field path and a fix, and unknown keys (typos) are
//! caught instead of silently ignored.

use super::{Heartbeat, Person, Problem, Roster, Service};
use crate::duration::parse_duration;
use crate::escalation::{EscalationPolicy, EscalationStep, Target, DEFAULT_RENOTIFY};
use crate::schedule::{Layer, Override, Restriction, Rotation, Schedule};
use crate::Priority;
use chrono::{DateTime, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use std::collections::HashSet;
use toml::{Table, Value};

/// Longest shift length accepted, in rotation units; far beyond any real
/// rotation, and it keeps every handoff computation inside chrono's range.
const MAX_LENGTH: i64 = 10_000;
/// Most times a policy may repeat its step list (docs/roster.md).
const MAX_REPEAT: i64 = 9;
/// The shortest `renotify`: more often than this a phone is only pushed the
/// same ring again while its sound still plays, and push providers throttle
/// a device that is sent many pushes in a burst.
const MIN_RENOTIFY: std::time::Duration = std::time::Duration::from_secs(10);

pub(super) fn parse(text: &str) -> Result<Roster, Vec<Problem>> {
    let table: Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => return Err(vec![syntax_problem(text, &e)]),
    };
    let mut v = Validator::default();
    let mut roster = v.roster(&table);
    roster.version = super::version_of(text);
    if v.problems.is_empty() {
        Ok(roster)
    } else {
        Err(v.problems)
    }
}

fn syntax_problem(text: &str, e: &toml::de::Error) -> Problem {
    let path = match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}")
        }
        None => "file".to_string(),
    };
    let message = e.message().trim().replace('\n', "; ");
    Problem {
        path,
        message: format!("not valid TOML: {message}"),
    }
}

/// Walks the table, collecting problems; returns what it could build.
#[derive(Default)]
struct Validator {
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    people: HashSet<String>,
    schedules: HashSet<String>,
    policies: HashSet<String>,
    services: HashSet<String>,
    heartbeats: HashSet<String>,
}

impl Validator {
    fn problem(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// A warning: the roster still loads, but `roster check` shows it and
    /// exits 1.
    fn warning(&mut self, path: &str, message: impl Into<String>) {
        self.warnings.push(Problem {
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// Records an entity's id; a second use of it is a problem.
    fn claim_id(
        &mut self,
        seen: fn(&mut Validator) -> &mut HashSet<String>,
        path: &str,
        id: &str,
        what: &str,
    ) {
        if !seen(self).insert(id.to_string()) {
            self.problem(
                &format!("{path}.id"),
                format!("duplicate {what} id {id:?}; each {what} needs a unique id"),
            );
        }
    }

    fn roster(&mut self, t: &Table) -> Roster {
        self.unknown_keys(
            t,
            "",
            &["people", "schedules", "policies", "services", "heartbeats"],
        );
        let people_tables = self.tables(t, "people", "");
        if people_tables.is_empty() && !self.problems.iter().any(|p| p.path == "people") {
            self.problem(
                "people",
                "the roster has nobody in it; add at least one [[people]] entry with id and name",
            );
        }
        let people: Vec<Person> = people_tables
            .iter()
            .filter_map(|(p, t)| self.person(p, t))
            .collect();
        let schedules: Vec<Schedule> = self
            .tables(t, "schedules", "")
            .iter()
            .filter_map(|(p, t)| self.schedule(p, t))
            .collect();
        let policies: Vec<EscalationPolicy> = self
            .tables(t, "policies", "")
            .iter()
            .filter_map(|(p, t)| self.policy(p, t))
            .collect();
        let mut routing_keys = HashSet::new();
        let services: Vec<Service> = self
            .tables(t, "services", "")
            .iter()
            .filter_map(|(p, t)| self.service(p, t, &mut routing_keys))
            .collect();
        let heartbeats: Vec<Heartbeat> = self
            .tables(t, "heartbeats", "")
            .iter()
            .filter_map(|(p, t)| self.heartbeat(p, t, &mut routing_keys))
            .collect();
        Roster {
            people,
            schedules,
            policies,
            services,
            heartbeats,
            warnings: std::mem::take(&mut self.warnings),
            version: String::new(),
        }
    }

    // ---- entities -------------------------------------------------------

    fn person(&mut self, path: &str, t: &Table) -> Option<Person> {
        self.unknown_keys(t, path, &["id", "name"]);
        let id = self.id(t, path, "person")?;
        self.claim_id(|v| &mut v.people, path, &id, "person");
        let name = self.req_str(t, path, "name").unwrap_or_default();
        if name.trim().is_empty() && t.get("name").is_some() {
            self.problem(
                &format!("{path}.name"),
                "is empty; give the person's display name",
            );
        }
        Some(Person { id, name })
    }

    fn schedule(&mut self, path: &str, t: &Table) -> Option<Schedule> {
        self.unknown_keys(
            t,
            path,
            &["id", "name", "time_zone", "gaps", "layers", "overrides"],
        );
        let id = self.id(t, path, "schedule");
        let name = self
            .opt_str(t, path, "name")
            .filter(|n| !n.trim().is_empty());
        if let Some(id) = &id {
            self.claim_id(|v| &mut v.schedules, path, id, "schedule");
        }
        let zone = self
            .req_str(t, path, "time_zone")
            .and_then(|z| self.zone(path, &z));
        let gaps_expected = match self.opt_str(t, path, "gaps").as_deref() {
            None | Some("unexpected") => Some(false),
            Some("expected") => Some(true),
            Some(other) => {
                self.problem(
                    &format!("{path}.gaps"),
                    format!("{other:?} is not a gaps setting; use \"expected\" (nobody on call at times is intended) or \"unexpected\" (the default)"),
                );
                None
            }
        };
        let layer_tables = self.tables(t, "layers", path);
        if layer_tables.is_empty() && !self.has_problem_at(&format!("{path}.layers")) {
            self.problem(
                &format!("{path}.layers"),
                "a schedule needs at least one [[schedules.layers]]",
            );
        }
        let layers: Vec<Layer> = layer_tables
            .iter()
            .enumerate()
            .filter_map(|(i, (p, t))| self.layer(p, t, i))
            .collect();
        let overrides: Vec<Override> = self
            .tables(t, "overrides", path)
            .iter()
            .filter_map(|(p, t)| self.override_(p, t))
            .collect();
        Some(
            Schedule::new(id?, zone?, layers, overrides)
                .with_name(name)
                .with_expected_gaps(gaps_expected?),
        )
    }

    /// An IANA zone name, or a problem at `{path}.time_zone`.
    fn zone(&mut self, path: &str, z: &str) -> Option<Tz> {
        match z.parse::<Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                self.problem(
                    &format!("{path}.time_zone"),
                    format!("{z:?} is not an IANA time zone; use a name like \"America/Chicago\" or \"Europe/London\""),
                );
                None
            }
        }
    }

    fn layer(&mut self, path: &str, t: &Table, index: usize) -> Option<Layer> {
        self.unknown_keys(
            t,
            path,
            &[
                "name",
                "rotation",
                "length",
                "start",
                "participants",
                "restrictions",
                "time_zone",
            ],
        );
        let name = self
            .opt_str(t, path, "name")
            .unwrap_or_else(|| format!("layer {}", index + 1));
        let rotation = self
            .req_str(t, path, "rotation")
            .and_then(|r| match Rotation::parse(&r) {
                Some(rot) => Some(rot),
                None => {
                    self.problem(
                        &format!("{path}.rotation"),
                        format!("{r:?} is not a rotation; use hourly, daily, weekly or monthly"),
                    );
                    None
                }
            });
        let length = match t.get("length") {
            None => Some(1),
            Some(Value::Integer(n)) if (1..=MAX_LENGTH).contains(n) => Some(*n as u32),
            Some(Value::Integer(n)) => {
                self.problem(
                    &format!("{path}.length"),
                    format!("must be between 1 and {MAX_LENGTH} (got {n}); a shift lasts length x the rotation unit"),
                );
                None
            }
            Some(other) => {
                self.wrong_type(&format!("{path}.length"), "a whole number like 1", other);
                None
            }
        };
        // Absent: the schedule's zone. A bad name fails the layer, never
        // silently falls back to the schedule's zone.
        let time_zone = match self.opt_str(t, path, "time_zone") {
            None => Some(None),
            Some(z) => self.zone(path, &z).map(Some),
        };
        let start = self.wall_time(t, path, "start");
        let participants = self.people_list(t, path, "participants");
        let restrictions: Vec<Restriction> = self
            .tables(t, "restrictions", path)
            .iter()
            .filter_map(|(p, t)| self.restriction(p, t))
            .collect();
        Some(Layer {
            name,
            rotation: rotation?,
            length: length?,
            start: start?,
            time_zone: time_zone?,
            participants: participants?,
            restrictions,
        })
    }

    fn restriction(&mut self, path: &str, t: &Table) -> Option<Restriction> {
        self.unknown_keys(t, path, &["days", "from", "to"]);
        let days = self.str_list(t, path, "days").and_then(|days| {
            let mut out = Vec::new();
            let mut ok = true;
            for (i, d) in days.iter().enumerate() {
                match parse_weekday(d) {
                    Some(w) => out.push(w),
                    None => {
                        ok = false;
                        self.problem(
                            &format!("{path}.days[{i}]"),
                            format!("{d:?} is not a day; use mon, tue, wed, thu, fri, sat or sun"),
                        );
                    }
                }
            }
            if out.is_empty() && ok {
                self.problem(
                    &format!("{path}.days"),
                    "is empty; list the days the window starts on, like [\"mon\", \"tue\"]",
                );
                ok = false;
            }
            ok.then_some(out)
        });
        let from = self.time_of_day(t, path, "from");
        let to = self.time_of_day(t, path, "to");
        Some(Restriction {
            days: days?,
            from: from?,
            to: to?,
        })
    }

    fn override_(&mut self, path: &str, t: &Table) -> Option<Override> {
        self.unknown_keys(t, path, &["start", "end", "add", "remove"]);
        let start = self.instant(t, path, "start");
        let end = self.instant(t, path, "end");
        if let (Some(s), Some(e)) = (start, end) {
            if e <= s {
                self.problem(
                    &format!("{path}.end"),
                    format!(
                        "must be after start ({} <= {}); an override covers [start, end)",
                        e.to_rfc3339(),
                        s.to_rfc3339()
                    ),
                );
            }
        }
        let add = self.override_person(t, path, "add");
        let remove = self.override_person(t, path, "remove");
        if t.get("add").is_none() && t.get("remove").is_none() {
            self.problem(
                path,
                "an override needs add (put someone on call), remove (take someone off), or both (replace)",
            );
        }
        if let (Some(Some(a)), Some(Some(r))) = (&add, &remove) {
            if a == r {
                self.problem(
                    &format!("{path}.add"),
                    format!("adds and removes the same person {a:?}; drop one of them"),
                );
            }
        }
        let (start, end) = (start?, end?);
        if end <= start {
            return None;
        }
        Some(Override {
            start,
            end,
            add: add?,
            remove: remove?,
        })
    }

    fn policy(&mut self, path: &str, t: &Table) -> Option<EscalationPolicy> {
        self.unknown_keys(t, path, &["id", "name", "repeat", "steps", "renotify"]);
        let id = self.id(t, path, "policy");
        if let Some(id) = &id {
            self.claim_id(|v| &mut v.policies, path, id, "policy");
        }
        let repeat = match t.get("repeat") {
            None => Some(0),
            Some(Value::Integer(n)) if (0..=MAX_REPEAT).contains(n) => Some(*n as u8),
            Some(Value::Integer(n)) => {
                self.problem(
                    &format!("{path}.repeat"),
                    format!("must be between 0 and {MAX_REPEAT} (got {n}); it is how many times the steps run again"),
                );
                None
            }
            Some(other) => {
                self.wrong_type(
                    &format!("{path}.repeat"),
                    "a whole number from 0 to 9",
                    other,
                );
                None
            }
        };
        let renotify = self.renotify(t, path);
        let step_tables = self.tables(t, "steps", path);
        if step_tables.is_empty() && !self.has_problem_at(&format!("{path}.steps")) {
            self.problem(
                &format!("{path}.steps"),
                "a policy needs at least one [[policies.steps]]",
            );
        }
        let steps: Vec<Option<EscalationStep>> =
            step_tables.iter().map(|(p, t)| self.step(p, t)).collect();
        let steps: Option<Vec<EscalationStep>> = steps.into_iter().collect();
        Some(EscalationPolicy {
            id: id?,
            repeat: repeat?,
            steps: steps?,
            renotify: renotify?,
        })
    }

    /// A policy's `renotify`: a duration of at least [`MIN_RENOTIFY`], or
    /// `"off"`; absent means [`DEFAULT_RENOTIFY`]. `None` when it is wrong.
    fn renotify(&mut self, t: &Table, path: &str) -> Option<Option<std::time::Duration>> {
        let field = format!("{path}.renotify");
        let hint = "it is how often a critical page rings the step's people again until someone acknowledges";
        match t.get("renotify") {
            None => Some(Some(DEFAULT_RENOTIFY)),
            Some(Value::String(s)) if s.trim() == "off" => Some(None),
            Some(Value::String(s)) => match parse_duration(s) {
                Ok(d) if d >= MIN_RENOTIFY => Some(Some(d)),
                Ok(_) => {
                    self.problem(
                        &field,
                        format!(
                            "must be at least {}s, or \"off\" (got {s:?}); {hint}",
                            MIN_RENOTIFY.as_secs()
                        ),
                    );
                    None
                }
                Err(e) => {
                    self.problem(&field, format!("{e}, or \"off\"; {hint}"));
                    None
                }
            },
            Some(other) => {
                self.wrong_type(&field, "a duration like \"1m\", or \"off\"", other);
                None
            }
        }
    }

    fn step(&mut self, path: &str, t: &Table) -> Option<EscalationStep> {
        self.unknown_keys(t, path, &["delay", "targets"]);
        let delay = self
            .req_str(t, path, "delay")
            .and_then(|d| match parse_duration(&d) {
                Ok(d) if d.as_secs() >= 1 => Some(d),
                Ok(_) => {
                    self.problem(
                        &format!("{path}.delay"),
                        "must be at least 1s; it is how long the step waits for an acknowledgement",
                    );
                    None
                }
                Err(e) => {
                    self.problem(&format!("{path}.delay"), e);
                    None
                }
            });
        let targets = self.str_list(t, path, "targets").and_then(|list| {
            if list.is_empty() {
                self.problem(
                    &format!("{path}.targets"),
                    "is empty; add \"schedule:ID\" or \"person:ID\"",
                );
                return None;
            }
            let parsed: Vec<Option<Target>> = list
                .iter()
                .enumerate()
                .map(|(i, s)| self.target(&format!("{path}.targets[{i}]"), s))
                .collect();
            parsed.into_iter().collect()
        });
        Some(EscalationStep {
            delay: delay?,
            targets: targets?,
        })
    }

    fn target(&mut self, path: &str, s: &str) -> Option<Target> {
        match s.split_once(':') {
            Some(("schedule", id)) if self.schedules.contains(id) => {
                Some(Target::Schedule(id.to_string()))
            }
            Some(("schedule", id)) => {
                let known = sorted(&self.schedules);
                self.problem(
                    path,
                    format!("unknown schedule {id:?}; known schedules: {known}"),
                );
                None
            }
            Some(("person", id)) if self.people.contains(id) => {
                Some(Target::Person(id.to_string()))
            }
            Some(("person", id)) => {
                let known = sorted(&self.people);
                self.problem(
                    path,
                    format!("unknown person {id:?}; known people: {known}"),
                );
                None
            }
            _ => {
                self.problem(
                    path,
                    format!("{s:?} is not a target; write \"schedule:ID\" or \"person:ID\""),
                );
                None
            }
        }
    }

    fn service(
        &mut self,
        path: &str,
        t: &Table,
        routing_keys: &mut HashSet<String>,
    ) -> Option<Service> {
        self.unknown_keys(
            t,
            path,
            &["id", "name", "policy", "routing_key", "runbook", "priority"],
        );
        let id = self.id(t, path, "service");
        if let Some(id) = &id {
            // Pages name the service, and the relay keys open alerts by
            // (service, dedup key): two services with one id would merge
            // their alerts.
            self.claim_id(|v| &mut v.services, path, id, "service");
        }
        let name = self.opt_str(t, path, "name");
        let policy = self.req_str(t, path, "policy").and_then(|p| {
            if self.policies.contains(&p) {
                Some(p)
            } else {
                let known = sorted(&self.policies);
                self.problem(
                    &format!("{path}.policy"),
                    format!("unknown policy {p:?}; known policies: {known}"),
                );
                None
            }
        });
        let routing_key = self
            .req_str(t, path, "routing_key")
            .and_then(|k| self.key(path, "routing_key", k, routing_keys));
        let runbook = self.opt_str(t, path, "runbook");
        if let Some(r) = &runbook {
            if !(r.starts_with("https://") || r.starts_with("http://")) {
                self.problem(
                    &format!("{path}.runbook"),
                    format!("{r:?} is not a link; use an http:// or https:// URL"),
                );
            }
        }
        let priority = match self.opt_str(t, path, "priority") {
            None => Some(None),
            Some(p) => match p.parse::<Priority>() {
                Ok(p) => Some(Some(p)),
                Err(e) => {
                    self.problem(&format!("{path}.priority"), e);
                    None
                }
            },
        };
        let id = id?;
        Some(Service {
            name: name.unwrap_or_else(|| id.clone()),
            id,
            policy: policy?,
            routing_key: routing_key?,
            runbook,
            priority: priority?,
        })
    }

    /// A `[[heartbeats]]` entry: its service must exist, its key is a
    /// routing key (32 letters or digits) unique among every key of the
    /// roster, `grace` defaults to the interval.
    fn heartbeat(
        &mut self,
        path: &str,
        t: &Table,
        keys: &mut HashSet<String>,
    ) -> Option<Heartbeat> {
        self.unknown_keys(t, path, &["id", "service", "interval", "grace", "key"]);
        let id = self.id(t, path, "heartbeat");
        if let Some(id) = &id {
            self.claim_id(|v| &mut v.heartbeats, path, id, "heartbeat");
        }
        let service = self.req_str(t, path, "service").and_then(|s| {
            if self.services.contains(&s) {
                Some(s)
            } else {
                let known = sorted(&self.services);
                self.problem(
                    &format!("{path}.service"),
                    format!("unknown service {s:?}; known services: {known}"),
                );
                None
            }
        });
        let interval = self.req_str(t, path, "interval").and_then(|d| {
            self.beat_duration(
                path,
                "interval",
                &d,
                "it is how often the job calls the relay",
            )
        });
        let grace = match self.opt_str(t, path, "grace") {
            None => interval,
            Some(d) => self.beat_duration(
                path,
                "grace",
                &d,
                "it is how late a beat may be before the relay pages",
            ),
        };
        let key = self
            .req_str(t, path, "key")
            .and_then(|k| self.key(path, "key", k, keys));
        Some(Heartbeat {
            id: id?,
            service: service?,
            interval: interval?,
            grace: grace?,
            key: key?,
        })
    }

    /// A heartbeat's `interval` or `grace`: a duration of at least 1s.
    fn beat_duration(
        &mut self,
        path: &str,
        field: &str,
        text: &str,
        hint: &str,
    ) -> Option<std::time::Duration> {
        match parse_duration(text) {
            Ok(d) if d.as_secs() >= 1 => Some(d),
            Ok(_) => {
                self.problem(
                    &format!("{path}.{field}"),
                    format!("must be at least 1s; {hint}"),
                );
                None
            }
            Err(e) => {
                self.problem(&format!("{path}.{field}"), e);
                None
            }
        }
    }

    /// A key senders use (a service's `routing_key`, a heartbeat's `key`):
    /// exactly 32 ASCII letters or digits, and no other key of the roster.
    fn key(
        &mut self,
        path: &str,
        field: &str,
        k: String,
        keys: &mut HashSet<String>,
    ) -> Option<String> {
        let at = format!("{path}.{field}");
        if let Some(bad) = k.chars().find(|c| !c.is_ascii_alphanumeric()) {
            self.problem(
                &at,
                format!("has {bad:?}, which is not a letter or digit; a routing key is exactly 32 letters or digits"),
            );
            None
        } else if k.len() != 32 {
            self.problem(
                &at,
                format!(
                    "must be exactly 32 letters or digits (got {} characters)",
                    k.len()
                ),
            );
            None
        } else if !keys.insert(k.clone()) {
            let whose = if field == "key" {
                "heartbeat"
            } else {
                "service"
            };
            self.problem(
                &at,
                format!("is used by another service or heartbeat; every {whose} needs its own key"),
            );
            None
        } else {
            Some(k)
        }
    }

    // ---- field readers --------------------------------------------------

    fn has_problem_at(&self, path: &str) -> bool {
        self.problems.iter().any(|p| p.path == path)
    }

    /// An array of tables (`[[key]]`); missing is empty.
    fn tables<'t>(&mut self, t: &'t Table, key: &str, path: &str) -> Vec<(String, &'t Table)> {
        let full = join(path, key);
        match t.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::Table(tt) => out.push((format!("{full}[{i}]"), tt)),
                        other => self.wrong_type(&format!("{full}[{i}]"), "a table", other),
                    }
                }
                out
            }
            Some(other) => {
                self.wrong_type(&full, &format!("an array of tables ([[{full}]])"), other);
                Vec::new()
            }
        }
    }

    fn req_str(&mut self, t: &Table, path: &str, key: &str) -> Option<String> {
        match t.get(key) {
            None => {
                self.problem(&join(path, key), format!("is missing; add {key} = \"...\""));
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.wrong_type(&join(path, key), "a string", other);
                None
            }
        }
    }

    fn opt_str(&mut self, t: &Table, path: &str, key: &str) -> Option<String> {
        t.get(key)?;
        self.req_str(t, path, key)
    }

    fn id(&mut self, t: &Table, path: &str, what: &str) -> Option<String> {
        let id = self.req_str(t, path, "id")?;
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            self.problem(
                &format!("{path}.id"),
                format!(
                    "{id:?} is not a valid {what} id; use lowercase letters, digits, '_' and '-'"
                ),
            );
            return None;
        }
        Some(id)
    }

    fn str_list(&mut self, t: &Table, path: &str, key: &str) -> Option<Vec<String>> {
        let full = join(path, key);
        match t.get(key) {
            None => {
                self.problem(&full, format!("is missing; add {key} = [\"...\"]"));
                None
            }
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => {
                            ok = false;
                            self.wrong_type(&format!("{full}[{i}]"), "a string", other);
                        }
                    }
                }
                ok.then_some(out)
            }
            Some(other) => {
                self.wrong_type(&full, "a list of strings", other);
                None
            }
        }
    }

    fn people_list(&mut self, t: &Table, path: &str, key: &str) -> Option<Vec<String>> {
        let list = self.str_list(t, path, key)?;
        if list.is_empty() {
            self.problem(&join(path, key), "is empty; list at least one person id");
            return None;
        }
        let mut ok = true;
        for (i, p) in list.iter().enumerate() {
            if !self.people.contains(p) {
                ok = false;
                let known = sorted(&self.people);
                self.problem(
                    &format!("{}[{i}]", join(path, key)),
                    format!("unknown person {p:?}; known people: {known}"),
                );
            }
        }
        ok.then_some(list)
    }

    /// An override's `add` or `remove`: `Some(None)` when absent, `None`
    /// when present but not a string. Someone not in `[[people]]` is a
    /// warning, not an error: the original roster-format example (tests/fixtures/contract-example.toml) adds an undeclared
    /// "carol", and an override is often written for a stand-in before
    /// they are added. The warning says what it costs — nobody can enroll a
    /// phone as them, so their pages reach no one.
    fn override_person(&mut self, t: &Table, path: &str, key: &str) -> Option<Option<String>> {
        let Some(p) = self.opt_str(t, path, key) else {
            return if t.get(key).is_some() {
                None
            } else {
                Some(None)
            };
        };
        if !self.people.contains(&p) {
            let known = sorted(&self.people);
            let cost = if key == "add" {
                "nobody can enroll a phone as them, so while the override is in force their pages reach no one"
            } else {
                "removing them changes nothing"
            };
            self.warning(
                &join(path, key),
                format!(
                    "{p:?} is not in [[people]] ({cost}); add [[people]] id = {p:?}, or fix the id (known people: {known})"
                ),
            );
        }
        Some(Some(p))
    }

    /// A string or TOML datetime value, as text.
    fn time_text(&mut self, t: &Table, path: &str, key: &str, example: &str) -> Option<String> {
        match t.get(key) {
            None => {
                self.problem(
                    &join(path, key),
                    format!("is missing; add {key} = \"{example}\""),
                );
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(Value::Datetime(d)) => Some(d.to_string()),
            Some(other) => {
                self.wrong_type(
                    &join(path, key),
                    &format!("a time like \"{example}\""),
                    other,
                );
                None
            }
        }
    }

    fn wall_time(&mut self, t: &Table, path: &str, key: &str) -> Option<NaiveDateTime> {
        let example = "2026-01-05T09:00:00";
        let s = self.time_text(t, path, key, example)?;
        let parsed = [
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok());
        if parsed.is_none() {
            let why = if DateTime::parse_from_rfc3339(&s).is_ok() {
                "has an offset, but it is a wall-clock time in the schedule's time_zone; drop the offset"
            } else {
                "is not a local date and time"
            };
            self.problem(&join(path, key), format!("{s:?} {why}, like \"{example}\""));
        }
        parsed
    }

    fn instant(&mut self, t: &Table, path: &str, key: &str) -> Option<DateTime<Utc>> {
        let example = "2026-01-07T12:00:00Z";
        let s = self.time_text(t, path, key, example)?;
        match DateTime::parse_from_rfc3339(&s) {
            Ok(d) => Some(d.with_timezone(&Utc)),
            Err(_) => {
                let why = if NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S").is_ok() {
                    "has no offset; override times are instants, add Z or an offset"
                } else {
                    "is not an RFC 3339 instant"
                };
                self.problem(
                    &join(path, key),
                    format!("{s:?} {why}, like \"{example}\" or \"2026-01-07T06:00:00-06:00\""),
                );
                None
            }
        }
    }

    fn time_of_day(&mut self, t: &Table, path: &str, key: &str) -> Option<NaiveTime> {
        let s = self.time_text(t, path, key, "09:00")?;
        let parsed = NaiveTime::parse_from_str(&s, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(&s, "%H:%M:%S"))
            .ok();
        if parsed.is_none() {
            self.problem(
                &join(path, key),
                format!("{s:?} is not a time of day; write HH:MM from 00:00 to 23:59"),
            );
        }
        parsed
    }

    fn wrong_type(&mut self, path: &str, expected: &str, got: &Value) {
        self.problem(path, format!("must be {expected}, not {}", got.type_str()));
    }

    fn unknown_keys(&mut self, t: &Table, path: &str, allowed: &[&str]) {
        for key in t.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let hint = match allowed.iter().find(|a| edit_distance(a, key) <= 2) {
                Some(close) => format!("did you mean {close:?}?"),
                None => format!("expected one of: {}", allowed.join(", ")),
            };
            self.problem(&join(path, key), format!("unknown field; {hint}"));
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn sorted(ids: &HashSet<String>) -> String {
    let mut v: Vec<&str> = ids.iter().map(String::as_str).collect();
    v.sort_unstable();
    if v.is_empty() {
        "(none)".to_string()
    } else {
        v.join(", ")
    }
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    match s.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Some(Weekday::Mon),
        "tue" | "tuesday" => Some(Weekday::Tue),
        "wed" | "wednesday" => Some(Weekday::Wed),
        "thu" | "thursday" => Some(Weekday::Thu),
        "fri" | "friday" => Some(Weekday::Fri),
        "sat" | "saturday" => Some(Weekday::Sat),
        "sun" | "sunday" => Some(Weekday::Sun),
        _ => None,
    }
}

/// Levenshtein distance, for "did you mean" hints on misspelled keys.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
