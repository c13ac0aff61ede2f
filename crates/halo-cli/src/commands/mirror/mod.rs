//! The local mirror: `halo sync` fills it from Halo, `halo search` and `halo query` read it
//! without any API request. [`db`] finds the database every one of them uses.

pub mod db;
pub mod query;
pub mod search;
pub mod sync;

use crate::exit::Failure;
use halo_mirror::MirrorError;

/// A mirror error as the CLI reports it: no mirror yet is "not found" (exit 4) and says to
/// run `halo sync`; a write in `halo query` is a usage error (exit 2); the rest exit 1 with
/// the store's own line (a newer schema, another sync running).
pub fn failure(target: &halo_mirror::Target, err: MirrorError) -> anyhow::Error {
    match err {
        MirrorError::Missing(_) => {
            Failure::not_found(format!("no mirror at {target}: run `halo sync` first"))
        }
        MirrorError::ReadOnly(_) => Failure::usage(err.to_string()),
        other => anyhow::Error::new(other),
    }
}
