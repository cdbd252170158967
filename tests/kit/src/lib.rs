//! klaxon-testkit: what every Klaxon test needs and nobody should copy.
//!
//! - [`fixtures`]: the roster files and test-only keys under `tests/fixtures/`,
//!   by name, so a test says which team it runs against instead of pasting
//!   its own TOML.
//! - [`fakes`]: local stand-ins for APNs and FCM that enforce the providers'
//!   documented wire rules and record what they were sent.
//! - [`relay`]: a real relay on loopback, a signing test device, and the
//!   HTTP calls monitoring and an admin make.
//! - [`process`]: the `klaxon` binary as a real process (`klaxon serve`),
//!   for the CLI's tests.
//! - [`stream`]: a device's `/v1/stream` read as server-sent events, for
//!   the relay's load harness.
//!
//! It never links the device crate, so the relay's tests can use it and the
//! relay still depends on nothing of the phone's.

pub mod fakes;
pub mod fixtures;
pub mod process;
pub mod relay;
pub mod stream;
