//! walltime
pub fn resolve_wall_time() {}
