//! The Klaxon relay (to come).
