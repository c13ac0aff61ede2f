//! `halo sandbox`: a local Halo instance in the foreground.

use crate::context::Context;
use crate::exit::Failure;
use anyhow::{Context as _, Result};
use halo_sandbox::{
    Faults, NATIVE_CLIENT_ID, Sandbox, SandboxClient, SandboxConfig, SandboxUser,
    loopback_redirect_uris,
};
use std::time::Duration;

/// `halo sandbox`.
#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The client id it accepts.
    #[arg(long, default_value = "halo-sandbox-client")]
    pub client_id: String,
    /// The client secret it accepts.
    #[arg(long, default_value = "halo-sandbox-secret")]
    pub client_secret: String,
    /// The native application it accepts (no secret; interactive sign-in to a loopback
    /// redirect, as `halo login` does).
    #[arg(long, value_name = "ID", default_value = NATIVE_CLIENT_ID)]
    pub native_client_id: String,
    /// A user it accepts for the password grant, NAME:PASSWORD (repeatable).
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    pub users: Vec<String>,
    /// The tenant it requires on token requests.
    #[arg(long, default_value = "sandbox", conflicts_with = "no_tenant")]
    pub tenant: String,
    /// Require no tenant (like a self-hosted instance).
    #[arg(long)]
    pub no_tenant: bool,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub token_ttl: u64,
    /// Issue a new refresh token on each refresh, retiring the old one.
    #[arg(long)]
    pub rotate_refresh_tokens: bool,
    /// How long a retired refresh token still works, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub refresh_grace: u64,
    /// Keep the data in DIR/sandbox.db (kept across restarts) instead of in memory.
    #[arg(long, value_name = "DIR")]
    pub data: Option<std::path::PathBuf>,
    /// Tickets to seed into an empty instance (with clients, sites, users, assets... to match).
    #[arg(long, default_value_t = 300)]
    pub seed_tickets: u64,
    /// Largest page served (Halo: 100; /Asset is always 50).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub page_cap: u32,
    /// Most objects one POST may carry (a larger array is refused whole); 0 is no limit.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_post_items: usize,
    /// Largest attachment accepted, in MiB (a larger upload is answered 413).
    #[arg(long, default_value_t = 25, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=900))]
    pub max_attachment_mb: u32,
    /// Halo's hosted rate limit per client, N/SECS (e.g. 300/300s); off by default.
    #[arg(long, value_name = "N/SECS", value_parser = halo_sandbox::RateLimit::parse)]
    pub rate_limit: Option<halo_sandbox::RateLimit>,
    /// Share of requests answered 500/502/503 (some with HTML bodies), 0 to 1.
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    pub fail_rate: f64,
    /// Share of responses whose connection is dropped mid-body, 0 to 1.
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    pub reset_rate: f64,
    /// Delay added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Seed of the fault sequence (the same seed gives the same faults).
    #[arg(long, default_value_t = 1)]
    pub fault_seed: u64,
    /// Post ticket webhooks to URL, optionally with Basic auth: 'URL[,basic user:pass]' (repeatable).
    #[arg(long = "webhook", value_name = "URL[,basic user:pass]", value_parser = halo_sandbox::WebhookTarget::parse)]
    pub webhooks: Vec<halo_sandbox::WebhookTarget>,
}

fn rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("'{text}' is not a rate between 0 and 1")),
    }
}

/// Runs the sandbox until Ctrl-C.
pub async fn run(ctx: &mut Context, args: SandboxArgs) -> Result<()> {
    let config = config(&args)?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    let started = std::time::Instant::now();
    let sandbox = Sandbox::start_on(config.clone(), addr)
        .await
        .with_context(|| format!("cannot start the sandbox on {addr}"))?;
    let url = sandbox.url();
    let ready = started.elapsed();
    let tickets = sandbox.stats().objects.get("Tickets").copied().unwrap_or(0);
    let out = ctx.io.out();
    writeln!(out, "listening on {url}")?;
    writeln!(
        out,
        "  data:          {} tickets, {} ({:.2} s to ready)",
        tickets,
        match &config.data_dir {
            Some(d) => format!("kept in {}", d.join("sandbox.db").display()),
            None => "in memory".to_string(),
        },
        ready.as_secs_f64()
    )?;
    if let Some(limit) = config.rate_limit {
        writeln!(
            out,
            "  rate limit:    {} requests per {} s per client",
            limit.requests,
            limit.window.as_secs()
        )?;
    }
    if config.faults.any() {
        let f = config.faults;
        writeln!(
            out,
            "  faults:        fail {} reset {} latency {} ms (seed {})",
            f.fail_rate,
            f.reset_rate,
            f.latency.as_millis(),
            f.seed
        )?;
    }
    writeln!(
        out,
        "  attachments:   up to {} MiB each",
        config.max_attachment_bytes / (1024 * 1024)
    )?;
    for hook in &config.webhooks {
        writeln!(out, "  webhook:       {}", hook.url)?;
    }
    writeln!(
        out,
        "  tenant:        {}",
        config.tenant.as_deref().unwrap_or("(none)")
    )?;
    for c in &config.clients {
        match &c.secret {
            Some(s) => {
                writeln!(out, "  client id:     {}", c.id)?;
                writeln!(out, "  client secret: {s}")?;
            }
            None => writeln!(
                out,
                "  native client: {} (no secret; halo login --client-id {})",
                c.id, c.id
            )?,
        }
    }
    for u in &config.users {
        writeln!(out, "  user:          {} / {}", u.username, u.password)?;
    }
    writeln!(out, "  token ttl:     {} s", config.token_ttl.as_secs())?;
    if config.rotate_refresh_tokens {
        writeln!(
            out,
            "  refresh:       rotated, a retired token still works for {} s",
            config.refresh_grace.as_secs()
        )?;
    }
    writeln!(
        out,
        "try: HALO_CLIENT_SECRET={} halo connect --url {url} --client-id {} --profile sandbox",
        config.clients[0].secret.as_deref().unwrap_or(""),
        config.clients[0].id
    )?;
    out.flush()?;
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    sandbox.shutdown().await;
    Ok(())
}

fn config(args: &SandboxArgs) -> Result<SandboxConfig> {
    let mut config = SandboxConfig {
        clients: vec![
            SandboxClient {
                id: args.client_id.clone(),
                secret: Some(args.client_secret.clone()),
                allowed_scopes: None,
                redirect_uris: loopback_redirect_uris(),
            },
            SandboxClient {
                id: args.native_client_id.clone(),
                secret: None,
                allowed_scopes: None,
                redirect_uris: loopback_redirect_uris(),
            },
        ],
        tenant: (!args.no_tenant).then(|| args.tenant.clone()),
        token_ttl: Duration::from_secs(args.token_ttl),
        rotate_refresh_tokens: args.rotate_refresh_tokens,
        refresh_grace: Duration::from_secs(args.refresh_grace),
        data_dir: args.data.clone(),
        seed_tickets: args.seed_tickets,
        page_cap: args.page_cap,
        max_post_items: args.max_post_items,
        max_attachment_bytes: args.max_attachment_mb as usize * 1024 * 1024,
        rate_limit: args.rate_limit,
        faults: Faults {
            fail_rate: args.fail_rate,
            reset_rate: args.reset_rate,
            latency: Duration::from_millis(args.latency_ms),
            seed: args.fault_seed,
        },
        webhooks: args.webhooks.clone(),
        ..SandboxConfig::default()
    };
    if !args.users.is_empty() {
        config.users = args
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let (name, password) = u
                    .split_once(':')
                    .filter(|(n, p)| !n.is_empty() && !p.is_empty())
                    .ok_or_else(|| Failure::usage(format!("--user '{u}' is not NAME:PASSWORD")))?;
                Ok(SandboxUser {
                    username: name.to_string(),
                    password: password.to_string(),
                    agent_id: 2 + i as i64,
                    name: name.to_string(),
                })
            })
            .collect::<Result<_>>()?;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SandboxArgs,
    }

    fn config_of(flags: &[&str]) -> SandboxConfig {
        let cli =
            Cli::try_parse_from(std::iter::once("sandbox").chain(flags.iter().copied())).unwrap();
        config(&cli.args).unwrap()
    }

    #[test]
    fn the_largest_post_is_a_flag() {
        assert_eq!(config_of(&[]).max_post_items, 100);
        assert_eq!(config_of(&["--max-post-items", "7"]).max_post_items, 7);
        assert_eq!(config_of(&["--max-post-items", "0"]).max_post_items, 0);
        assert!(Cli::try_parse_from(["sandbox", "--max-post-items", "-1"]).is_err());
    }

    #[test]
    fn the_native_client_and_refresh_rotation_are_flags() {
        let plain = config_of(&[]);
        let native = &plain.clients[1];
        assert_eq!(native.id, NATIVE_CLIENT_ID);
        assert_eq!(native.secret, None);
        assert_eq!(native.redirect_uris, loopback_redirect_uris());
        assert!(!plain.rotate_refresh_tokens);
        assert_eq!(plain.refresh_grace, Duration::from_secs(10));
        let set = config_of(&[
            "--native-client-id",
            "mine",
            "--rotate-refresh-tokens",
            "--refresh-grace",
            "0",
        ]);
        assert_eq!(set.clients[1].id, "mine");
        assert!(set.rotate_refresh_tokens);
        assert_eq!(set.refresh_grace, Duration::ZERO);
        assert!(Cli::try_parse_from(["sandbox", "--refresh-grace", "-1"]).is_err());
    }

    #[test]
    fn the_largest_attachment_is_a_flag_in_mib() {
        assert_eq!(config_of(&[]).max_attachment_bytes, 25 * 1024 * 1024);
        assert_eq!(
            config_of(&["--max-attachment-mb", "128"]).max_attachment_bytes,
            128 * 1024 * 1024
        );
        for bad in ["0", "901", "-3", "x"] {
            assert!(
                Cli::try_parse_from(["sandbox", "--max-attachment-mb", bad]).is_err(),
                "{bad}"
            );
        }
    }
}
