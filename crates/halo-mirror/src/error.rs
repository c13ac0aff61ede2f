//! The one error type of the mirror: every message is one line that says what to do.

use std::path::PathBuf;

/// Why a mirror operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MirrorError {
    /// There is no mirror at the target yet (search and query never create one).
    #[error("no mirror at {0}: run `halo sync` first")]
    Missing(String),
    /// The database was written by a newer halo.
    #[error(
        "the mirror's schema is version {found}, newer than this halo supports ({supported}): upgrade halo"
    )]
    NewerSchema {
        /// The database's schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// Another sync holds the mirror's lock.
    #[error("another sync is running on {0}: wait for it to finish, or pass a wait time")]
    Busy(String),
    /// A statement given to `query` tried to write.
    #[error("the mirror is read-only here: {0} (only SELECT statements run in `halo query`)")]
    ReadOnly(String),
    /// The target text is not a usable path or PostgreSQL URL.
    #[error("bad mirror target: {0}")]
    BadTarget(String),
    /// No mirror table has this name.
    #[error("no mirror table '{0}': `halo query --schema` lists them")]
    UnknownTable(String),
    /// The database refused a statement.
    #[error("mirror database error: {0}")]
    Sql(String),
    /// A stored value could not be read back (a damaged or foreign database).
    #[error("the mirror holds unreadable data ({0}): rebuild it with `halo sync --full`")]
    Corrupt(String),
    /// A file could not be used.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The PostgreSQL server could not be reached or dropped the connection.
    #[error("cannot reach the PostgreSQL mirror at {target}: {reason}")]
    Connect {
        /// The target, password redacted.
        target: String,
        /// What failed.
        reason: String,
    },
    /// A statement ran longer than the query timeout.
    #[error("the query ran longer than {0} s and was cancelled: narrow it (WHERE, LIMIT)")]
    TimedOut(u64),
}

impl From<rusqlite::Error> for MirrorError {
    fn from(e: rusqlite::Error) -> Self {
        MirrorError::Sql(one_line(&e.to_string()))
    }
}

impl From<tokio_postgres::Error> for MirrorError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => MirrorError::Sql(one_line(db.message())),
            None => MirrorError::Sql(one_line(&e.to_string())),
        }
    }
}

/// The first line of a message, trimmed.
pub(crate) fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim().to_string()
}
