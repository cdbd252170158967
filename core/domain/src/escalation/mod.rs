//! Escalation: policies (ordered steps, each with a delay and targets, run
//! `repeat` more times) and the engine that decides who is paged next.

mod engine;
mod policy;

pub use engine::{
    advance, resolve_targets, skip_to_next_step, upcoming, Escalation, EscalationState, StepPage,
    Upcoming,
};
pub use policy::{EscalationPolicy, EscalationStep, Target};
