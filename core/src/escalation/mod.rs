//! Escalation: policies (ordered steps, each with a delay and targets, run
//! `repeat` more times) and the engine that decides who is paged next.

mod policy;

pub use policy::{EscalationPolicy, EscalationStep, Target};
