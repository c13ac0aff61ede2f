//! `halo sandbox`: a local Halo instance in the foreground.

use crate::cli::SandboxArgs;
use crate::exit::Failure;
use anyhow::{Context, Result};
use halo_sandbox::{Faults, Sandbox, SandboxClient, SandboxConfig, SandboxUser};
use std::io::Write;
use std::time::Duration;

/// Runs the sandbox until Ctrl-C.
pub async fn run(args: SandboxArgs) -> Result<()> {
    let config = config(&args)?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    let started = std::time::Instant::now();
    let sandbox = Sandbox::start_on(config.clone(), addr)
        .await
        .with_context(|| format!("cannot start the sandbox on {addr}"))?;
    let url = sandbox.url();
    let ready = started.elapsed();
    let tickets = sandbox.stats().objects.get("Tickets").copied().unwrap_or(0);
    let mut out = std::io::stdout().lock();
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
    for hook in &config.webhooks {
        writeln!(out, "  webhook:       {}", hook.url)?;
    }
    writeln!(
        out,
        "  tenant:        {}",
        config.tenant.as_deref().unwrap_or("(none)")
    )?;
    for c in &config.clients {
        writeln!(out, "  client id:     {}", c.id)?;
        if let Some(s) = &c.secret {
            writeln!(out, "  client secret: {s}")?;
        }
    }
    for u in &config.users {
        writeln!(out, "  user:          {} / {}", u.username, u.password)?;
    }
    writeln!(out, "  token ttl:     {} s", config.token_ttl.as_secs())?;
    writeln!(
        out,
        "try: HALO_CLIENT_SECRET={} halo connect --url {url} --client-id {} --profile sandbox",
        config.clients[0].secret.as_deref().unwrap_or(""),
        config.clients[0].id
    )?;
    out.flush()?;
    drop(out);
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    sandbox.shutdown().await;
    Ok(())
}

fn config(args: &SandboxArgs) -> Result<SandboxConfig> {
    let mut config = SandboxConfig {
        clients: vec![SandboxClient {
            id: args.client_id.clone(),
            secret: Some(args.client_secret.clone()),
            allowed_scopes: None,
        }],
        tenant: (!args.no_tenant).then(|| args.tenant.clone()),
        token_ttl: Duration::from_secs(args.token_ttl),
        data_dir: args.data.clone(),
        seed_tickets: args.seed_tickets,
        page_cap: args.page_cap,
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
