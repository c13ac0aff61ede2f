//! Where a mirror lives: a SQLite file or a PostgreSQL database.

use crate::error::MirrorError;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where a mirror lives: a SQLite file or a PostgreSQL database.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// A SQLite database file (created on first sync).
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(PostgresUrl),
}

impl Target {
    /// `postgres://...` or `postgresql://...` names a PostgreSQL database; anything else is a
    /// SQLite file path.
    pub fn parse(text: &str) -> Result<Target, MirrorError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(MirrorError::BadTarget(
                "an empty database name: give a file path or a postgres:// URL".into(),
            ));
        }
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return PostgresUrl::new(trimmed).map(Target::Postgres);
        }
        Ok(Target::Sqlite(PathBuf::from(text)))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Sqlite(path) => write!(f, "{}", path.display()),
            Target::Postgres(url) => url.fmt(f),
        }
    }
}

/// A PostgreSQL connection URL. `Debug` and `Display` show it with the password replaced
/// by `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    text: String,
    config: Box<tokio_postgres::Config>,
}

impl PostgresUrl {
    /// Checks `text` as a tokio-postgres connection URL.
    pub fn new(text: &str) -> Result<PostgresUrl, MirrorError> {
        // The scheme is case-insensitive (RFC 3986); tokio-postgres reads only lower case.
        let text = match text.split_once("://") {
            Some((scheme, rest)) => format!("{}://{rest}", scheme.to_ascii_lowercase()),
            None => text.to_string(),
        };
        let text = text.as_str();
        let config = tokio_postgres::Config::from_str(text).map_err(|e| {
            MirrorError::BadTarget(format!(
                "{}: {e}",
                redact(text).unwrap_or_else(|| "a postgres:// URL".into())
            ))
        })?;
        Ok(PostgresUrl {
            text: text.to_string(),
            config: Box::new(config),
        })
    }

    /// The URL as given, password included (for connecting only: never log it).
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The parsed connection settings.
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }
}

/// The URL with any password replaced by `***`, or `None` when it does not parse as a URL.
fn redact(text: &str) -> Option<String> {
    let mut url = url::Url::parse(text).ok()?;
    if url.password().is_some() {
        url.set_password(Some("***")).ok()?;
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let secret = k.eq_ignore_ascii_case("password");
            (
                k.into_owned(),
                if secret { "***".into() } else { v.into_owned() },
            )
        })
        .collect();
    if !pairs.is_empty() {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    Some(url.to_string())
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match redact(&self.text) {
            Some(shown) => f.write_str(&shown),
            None => f.write_str("postgres://(unprintable URL)"),
        }
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_postgres_and_the_rest_are_files() {
        let t = Target::parse("postgresql://halo:s3cret@db.example:5432/mirror").unwrap();
        let Target::Postgres(url) = &t else {
            panic!("{t:?}")
        };
        assert_eq!(url.config().get_dbname(), Some("mirror"));
        for shown in [format!("{t}"), format!("{t:?}"), format!("{url:?}")] {
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("***"), "{shown}");
        }
        let q = Target::parse("POSTGRES://u@h/db?password=hunter2").unwrap();
        assert!(!q.to_string().contains("hunter2"), "{q}");
        assert_eq!(
            Target::parse("mirror.db").unwrap(),
            Target::Sqlite(PathBuf::from("mirror.db"))
        );
        assert!(matches!(
            Target::parse("  "),
            Err(MirrorError::BadTarget(_))
        ));
    }
}
