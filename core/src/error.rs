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
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
