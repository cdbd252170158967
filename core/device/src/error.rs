//! The crate's rich internal error: everything storage, encoding and the
//! outbox can fail with. The FFI crate maps it onto a small exported error
//! in one place; nothing here panics on bad input.

/// Why an operation of the store, the outbox or page handling failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite refused or failed an operation.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A JSON value (a page, a stored column) did not encode or decode.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// Reading or creating a file failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The database was written by a newer Klaxon; opening it could corrupt it.
    #[error("the database has schema version {found}, newer than this build knows ({known}); update Klaxon")]
    SchemaTooNew {
        /// `PRAGMA user_version` found in the file.
        found: i64,
        /// The newest version this build can migrate to.
        known: i64,
    },
    /// A stored value does not parse (a timestamp, an enum name).
    #[error("stored {what} {value:?} is not valid")]
    Corrupt {
        /// Which column or field.
        what: &'static str,
        /// The text found.
        value: String,
    },
    /// The referenced alert is not in the store.
    #[error("no alert with id {0:?}")]
    UnknownAlert(String),
    /// A key or sealed payload was unusable (see [`klaxon_crypto::CryptoError`]).
    #[error("crypto: {0}")]
    Crypto(#[from] klaxon_crypto::CryptoError),
    /// The relay could not be reached (no network, DNS, timeout, TLS).
    #[error("cannot reach the relay: {0}")]
    Network(String),
    /// The relay answered, but refused the request.
    #[error("the relay answered HTTP {status}: {message}")]
    Relay {
        /// The HTTP status code.
        status: u16,
        /// What the relay said was wrong.
        message: String,
    },
    /// The device has not enrolled with a relay yet.
    #[error("this device is not enrolled; enroll it with a one-time code first")]
    NotEnrolled,
    /// The caller passed something unusable (an unknown schedule, a bad
    /// time range, a push payload that is not a page).
    #[error("{0}")]
    Invalid(String),
}

impl From<klaxon_migrate::MigrateError> for Error {
    fn from(e: klaxon_migrate::MigrateError) -> Error {
        match e {
            klaxon_migrate::MigrateError::Sqlite(e) => Error::Sqlite(e),
            klaxon_migrate::MigrateError::SchemaTooNew { found, known } => {
                Error::SchemaTooNew { found, known }
            }
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
