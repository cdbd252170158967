//! The device API: enrollment with a one-time code, request signatures,
//! push-token registration, sync with a cursor, the event stream and batch
//! actions, and the teams that decide what a device may see. Wire types live in `klaxon_domain::wire`; docs/relay-api.md
//! documents the endpoints.

pub mod actions;
pub mod auth;
pub mod enroll;
pub mod stream;
pub mod sync;
pub mod teams;

pub use auth::{AuthenticatedDevice, NonceCache};
pub use teams::Teams;
