//! A local mirror of Halo data: a table per resource in SQLite or PostgreSQL, each row the
//! whole document as the API gave it plus typed core columns; the sync state stored with the
//! rows it covers; full-text search; read-only SQL.
//!
//! [`Mirror::open`] creates or migrates a mirror at a [`Target`]; [`tables`] lists what can be
//! mirrored; [`Mirror::save`] stores a page of rows and its [`Cursor`] in one transaction.

mod error;
mod mirror;
mod postgres;
mod schema;
mod sqlite;
mod table;
mod target;

pub mod sync;

pub use error::MirrorError;
pub use mirror::{Cursor, Hit, Mirror, RunLine, RunSummary, Saved, SyncLock, TableInfo};
pub use table::{
    Column, ColumnKind, DEFAULT_TABLES, Key, KeyKind, Table, is_soft_deleted, table, tables,
};
pub use target::{PostgresUrl, Target};
