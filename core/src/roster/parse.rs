//! TOML -> validated [`Roster`](super::Roster).

use super::{Problem, Roster};

pub(super) fn parse(_text: &str) -> Result<Roster, Vec<Problem>> {
    todo!("roster parser")
}
