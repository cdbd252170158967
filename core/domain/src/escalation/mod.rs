//! Escalation: policies (ordered steps, each with a delay and targets, run
//! `repeat` more times) and the engine that decides who is paged next.

mod engine;
mod policy;

pub use engine::{
    advance, advance_reaching, everyone, resolve_targets, skip_to_next_step, upcoming, Escalation,
    EscalationState, Reachable, StepPage, Upcoming,
};
pub use policy::{EscalationPolicy, EscalationStep, Target, DEFAULT_RENOTIFY};
