//! restriction
