//! klaxon-device: Klaxon on a phone (or the terminal pager, which runs the
//! same code).
//!
//! [`Device`] is the one object a shell drives: it opens the device's SQLite
//! [`store`], receives pages ([`page`]) and plans their notifications with
//! the domain's rules, queues the person's answers in the offline
//! [`outbox`], and talks to the relay through the [`client`]. Everything it
//! decides comes from `klaxon-domain`; this crate adds only storage, time
//! and the network.

#![warn(missing_docs, clippy::unwrap_used, clippy::expect_used)]

pub mod client;
pub mod device;
pub mod error;
pub(crate) mod keys;
pub mod outbox;
pub mod page;
pub mod store;

pub use device::{
    Capabilities, Device, Health, HealthItem, HealthLevel, PushOutcome, Shell, DATABASE_FILE,
};
pub use error::{Error, Result};
pub use store::Store;
