//! Teams: which services a person is part of (their escalation policy can
//! page the person, directly or through a schedule), so a device sees only
//! its teams' alerts, roster and stream. Worked out once from the roster.

use klaxon_domain::escalation::Target;
use klaxon_domain::Roster;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Who is in which team: for each person, the services whose escalation
/// policy can page them (directly, or through a schedule they are in).
#[derive(Debug, Clone, Default)]
pub struct Teams {
    /// Person → services; shared (`Arc`) so each request takes it without a copy.
    services_of: HashMap<String, Arc<HashSet<String>>>,
    /// Person → the schedules of their teams (for the roster a sync sends).
    schedules_of: HashMap<String, HashSet<String>>,
}

impl Teams {
    /// Works the teams out from the roster once, at start.
    pub fn from_roster(roster: &Roster) -> Teams {
        // Members of each schedule: layer participants and override additions.
        let mut members: HashMap<&str, HashSet<&str>> = HashMap::new();
        for s in &roster.schedules {
            let set = members.entry(s.id()).or_default();
            for layer in s.layers() {
                set.extend(layer.participants.iter().map(String::as_str));
            }
            for o in s.overrides() {
                set.extend(o.add.iter().map(String::as_str));
            }
        }
        let mut services_of: HashMap<String, HashSet<String>> = HashMap::new();
        let mut schedules_of: HashMap<String, HashSet<String>> = HashMap::new();
        for service in &roster.services {
            let Some(policy) = roster.policy(&service.policy) else {
                continue;
            };
            let mut people: HashSet<&str> = HashSet::new();
            let mut schedules: HashSet<&str> = HashSet::new();
            for step in &policy.steps {
                for target in &step.targets {
                    match target {
                        Target::Person(p) => {
                            people.insert(p);
                        }
                        Target::Schedule(s) => {
                            schedules.insert(s);
                            if let Some(m) = members.get(s.as_str()) {
                                people.extend(m.iter().copied());
                            }
                        }
                    }
                }
            }
            for p in people {
                services_of
                    .entry(p.to_string())
                    .or_default()
                    .insert(service.id.clone());
                schedules_of
                    .entry(p.to_string())
                    .or_default()
                    .extend(schedules.iter().map(|s| s.to_string()));
            }
        }
        Teams {
            services_of: services_of
                .into_iter()
                .map(|(k, v)| (k, Arc::new(v)))
                .collect(),
            schedules_of,
        }
    }

    /// The services whose alerts this person may see.
    pub fn services_of(&self, person: &str) -> Arc<HashSet<String>> {
        self.services_of.get(person).cloned().unwrap_or_default()
    }

    /// The schedules of this person's teams.
    pub fn schedules_of(&self, person: &str) -> HashSet<String> {
        self.schedules_of.get(person).cloned().unwrap_or_default()
    }
}
