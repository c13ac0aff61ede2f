//! `halo webhook remove`: deletes a webhook configuration in Halo, by id or by URL.

use super::configs;
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use crate::session::RequestFlags;
use anyhow::Result;
use halopsa::models::Webhook;

/// `halo webhook remove`.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The webhook's id (as `halo webhook list` shows it).
    #[arg(
        value_name = "ID",
        required_unless_present = "url",
        conflicts_with = "url"
    )]
    pub id: Option<String>,
    /// Every webhook posting to this URL.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    #[command(flatten)]
    pub requests: RequestFlags,
}

/// Runs `halo webhook remove`.
pub async fn run(ctx: &mut Context, globals: &Globals, args: RemoveArgs) -> Result<()> {
    let timeout = args.requests.timeout(false);
    let removed = crate::session::bounded(timeout, async {
        let s = ctx.session(globals.profile.as_deref(), &args.requests)?;
        let typed = s.client.typed::<Webhook>()?;
        let doomed = match (&args.id, &args.url) {
            (Some(id), _) => vec![typed.get(id.trim(), &[]).await?],
            (None, Some(url)) => {
                let hooks: Vec<Webhook> = configs::all(&s.client)
                    .await?
                    .into_iter()
                    .filter(|h| h.url.as_deref().is_some_and(|u| configs::same_url(u, url)))
                    .collect();
                if hooks.is_empty() {
                    return Err(Failure::not_found(format!("no webhook posts to {url}")));
                }
                hooks
            }
            (None, None) => return Err(Failure::usage("say which webhook: its ID or --url URL")),
        };
        for hook in &doomed {
            let id = hook
                .id
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("Halo listed a webhook without an id"))?;
            typed.delete(id, &[]).await?;
        }
        Ok(doomed)
    })
    .await?;
    let out = ctx.io.out();
    for hook in &removed {
        writeln!(out, "removed webhook {}", configs::describe(hook))?;
    }
    Ok(())
}
