//! stub
use super::*;
#[derive(Debug, Clone)]
pub(super) struct Compiled;
impl Compiled {
    pub(super) fn new(_tz: Tz, _l: &[Layer], _o: &[Override]) -> Self { Compiled }
    pub(super) fn who(&self, _at: DateTime<Utc>) -> Vec<&str> { todo!() }
    pub(super) fn shifts(&self, _f: DateTime<Utc>, _t: DateTime<Utc>) -> Vec<Shift> { todo!() }
    pub(super) fn next_handoff(&self, _a: DateTime<Utc>) -> Option<Handoff> { todo!() }
}
pub(super) fn gaps(_s: &[Shift], _f: DateTime<Utc>, _t: DateTime<Utc>) -> Vec<Gap> { todo!() }
