//! What every tool call shares: the session (one client: its token, rate limiter, shared
//! budget and retries), the mirror, and the limits on each call.

use crate::exit::Failure;
use crate::session::Session;
use anyhow::Result;
use halo_mirror::{Mirror, Target};
use halopsa::ResourceClient;
use std::time::Duration;

/// The server's state.
pub struct State {
    /// The connection every tool uses.
    pub session: Session,
    /// The mirror `halo sync` keeps for this profile, when one is configured.
    pub mirror: Option<Target>,
    /// The most an answer may hold, in tokens.
    pub cap_tokens: usize,
    /// The bound on one tool call (`--timeout`, else 3 minutes).
    pub timeout: Option<Duration>,
}

impl State {
    /// The client of the resource `name` (a CLI name).
    pub fn api(&self, name: &str) -> Result<ResourceClient> {
        let res = crate::commands::resource::find(name)
            .ok_or_else(|| anyhow::anyhow!("no {name} resource"))?;
        Ok(self.session.client.resource(res))
    }

    /// The mirror, opened; `None` when there is none yet (no `halo sync` was run).
    pub async fn open_mirror(&self) -> Result<Option<Mirror>> {
        let Some(target) = &self.mirror else {
            return Ok(None);
        };
        match Mirror::open_existing(target).await {
            Ok(m) => Ok(Some(m)),
            Err(halo_mirror::MirrorError::Missing(_)) => Ok(None),
            Err(e) => Err(crate::commands::mirror::failure(target, e)),
        }
    }

    /// The mirror, opened, or an error that says how to make one.
    pub async fn mirror(&self) -> Result<Mirror> {
        self.open_mirror().await?.ok_or_else(|| {
            Failure::not_found(format!(
                "there is no mirror yet{}: run `halo sync` first (it copies the instance \
                 into a local database), then call again",
                self.mirror
                    .as_ref()
                    .map(|t| format!(" at {t}"))
                    .unwrap_or_default()
            ))
        })
    }
}
