//! Who this device is to the relay, with the public halves of its keys.

use super::time;
use klaxon_device::client::Enrollment as CoreEnrollment;
use klaxon_device::device::PublicKeys;
use std::time::SystemTime;

/// Who this device is to the relay.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Enrollment {
    /// The device id the relay assigned.
    pub device_id: String,
    /// The person the device belongs to.
    pub person: String,
    /// The relay's URL.
    pub relay_url: String,
    /// When it enrolled.
    pub enrolled_at: SystemTime,
    /// Ed25519 public key (base64url) the relay verifies requests with.
    pub signing_public_key: String,
    /// X25519 public key (base64url) pages are sealed to.
    pub sealing_public_key: String,
}

impl Enrollment {
    /// Core's enrollment joined with the device's public keys (empty when
    /// the device has none yet).
    pub(crate) fn new(e: CoreEnrollment, keys: Option<PublicKeys>) -> Enrollment {
        let keys = keys.unwrap_or(PublicKeys {
            signing: String::new(),
            sealing: String::new(),
        });
        Enrollment {
            device_id: e.device_id,
            person: e.person,
            relay_url: e.relay_url,
            enrolled_at: time(e.enrolled_at),
            signing_public_key: keys.signing,
            sealing_public_key: keys.sealing,
        }
    }
}
