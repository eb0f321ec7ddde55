//! Errors raised by the ledger.

/// Why a ledger operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The database could not be opened, read or written.
    #[error("database error: {0}")]
    Database(#[from] crate::db::DbError),
    /// The database file or its directory could not be created.
    #[error("cannot prepare the database at {path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The database was written by a newer daicho whose schema this build does not know.
    #[error(
        "the database schema is version {found}, newer than this build's {supported}; upgrade daicho"
    )]
    SchemaTooNew {
        /// The version found in the database.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// No device has that id.
    #[error("no device with id {0}")]
    NoSuchDevice(i64),
    /// No token matched.
    #[error("no token matched {0}")]
    NoSuchToken(String),
    /// The operator's request is not valid (a bad field value, a merge of a device into itself, …).
    #[error("{0}")]
    Invalid(String),
    /// The request conflicts with what is stored (e.g. an asset number already in use).
    #[error("{0}")]
    Conflict(String),
    /// The caller may not see or change that site's ledger.
    #[error("{0}")]
    Forbidden(String),
    /// The system random source failed.
    #[error("random source failed: {0}")]
    Random(String),
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Database(e.into())
    }
}

impl From<postgres::Error> for LedgerError {
    fn from(e: postgres::Error) -> Self {
        Self::Database(e.into())
    }
}
