//! The one error the bindings export, mapped from core's rich error in ONE
//! place ([`From<klaxon_device::Error>`]). Few variants, each something a
//! shell can act on differently; the detail is for logs and the person.

/// Why a call into Klaxon failed. In Kotlin this is the sealed
/// `ApiException` (one subclass per variant); in Swift, `ApiError`.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ApiError {
    /// The device has not enrolled yet: call `enroll` with a one-time code.
    #[error("not enrolled: {detail}")]
    NotEnrolled {
        /// What needed the enrollment.
        detail: String,
    },
    /// The relay could not be reached (offline, DNS, timeout, TLS). Actions
    /// stay queued; try `sync` again later.
    #[error("network: {detail}")]
    Network {
        /// What failed.
        detail: String,
    },
    /// The relay answered and refused (a used enrollment code, a revoked
    /// device, a bad request).
    #[error("the relay refused (HTTP {status}): {detail}")]
    Relay {
        /// The HTTP status code.
        status: u16,
        /// What the relay said.
        detail: String,
    },
    /// An argument was unusable: an unknown schedule, an empty window, a
    /// snooze in the past, a push payload that is not a sealed page.
    #[error("invalid input: {detail}")]
    InvalidInput {
        /// What is wrong with it.
        detail: String,
    },
    /// No alert with that id on this device.
    #[error("not found: {detail}")]
    NotFound {
        /// What was looked up.
        detail: String,
    },
    /// The device's database failed or holds something unreadable.
    #[error("storage: {detail}")]
    Storage {
        /// What failed.
        detail: String,
    },
    /// Anything else: a bug, or the shell's callback threw something
    /// unexpected. Report it.
    #[error("internal: {detail}")]
    Internal {
        /// What happened.
        detail: String,
    },
}

impl From<klaxon_device::Error> for ApiError {
    fn from(e: klaxon_device::Error) -> ApiError {
        use klaxon_device::Error as E;
        let detail = e.to_string();
        match e {
            E::NotEnrolled => ApiError::NotEnrolled { detail },
            E::Network(_) => ApiError::Network { detail },
            E::Relay { status, message } => ApiError::Relay {
                status,
                detail: message,
            },
            E::Invalid(_) | E::Crypto(_) | E::Json(_) => ApiError::InvalidInput { detail },
            E::UnknownAlert(_) => ApiError::NotFound { detail },
            E::Sqlite(_) | E::Io(_) | E::SchemaTooNew { .. } | E::Corrupt { .. } => {
                ApiError::Storage { detail }
            }
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ApiError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> ApiError {
        ApiError::Internal { detail: e.reason }
    }
}
