//! `halo webhook listen`: the receiver in the foreground until SIGTERM or Ctrl-C.

use super::{HandlerFlags, JournalFlag};
use crate::commands::Globals;
use crate::context::Context;
use crate::exit::Failure;
use anyhow::{Context as _, Result};
use halo_webhook::{BasicAuth, ListenConfig, ReceiverConfig, Service, TlsFiles};
use secrecy::SecretString;
use std::net::SocketAddr;

/// The environment variable holding the Basic password (never passed to `--exec`).
pub const PASSWORD_ENV: &str = "HALO_WEBHOOK_PASSWORD";

/// `halo webhook listen`.
#[derive(Debug, clap::Args)]
pub struct ListenArgs {
    /// Where to listen, ADDR:PORT (port 0 picks a free one).
    #[arg(long, value_name = "ADDR:PORT")]
    pub bind: SocketAddr,
    /// The hook's path; a secret in it (/hooks/SECRET) keeps out whoever does not know it.
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub path: String,
    /// Require HTTP Basic auth as this user (password from --basic-password-stdin or
    /// HALO_WEBHOOK_PASSWORD).
    #[arg(long, value_name = "USER")]
    pub basic_user: Option<String>,
    /// Read the Basic password from standard input.
    #[arg(long, requires = "basic_user")]
    pub basic_password_stdin: bool,
    /// The largest body accepted (e.g. 1MB, 256KB); a larger one is answered 413.
    #[arg(long, value_name = "BYTES", default_value = "1MB", value_parser = crate::session::parse_size)]
    pub max_body: u64,
    /// Serve HTTPS with this certificate chain (PEM, the server's own first).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub journal: JournalFlag,
    #[command(flatten)]
    pub handler: HandlerFlags,
}

/// Runs the receiver until SIGTERM or Ctrl-C.
pub async fn run(ctx: &mut Context, globals: &Globals, args: ListenArgs) -> Result<()> {
    if !args.path.starts_with('/') {
        return Err(Failure::usage(format!(
            "--path '{}' must start with /",
            args.path
        )));
    }
    if ["/healthz", "/metrics"].contains(&args.path.as_str()) {
        return Err(Failure::usage(format!(
            "--path {} is taken by the receiver itself: choose another",
            args.path
        )));
    }
    let basic = basic(ctx, &args)?;
    let journal = args.journal.path(ctx)?;
    let chosen = args
        .handler
        .handler(ctx, globals.profile.as_deref())
        .await?;
    let mirror = chosen.as_ref().and_then(|c| c.mirror.clone());
    let mut config = ListenConfig::new(args.bind, journal.clone());
    config.receiver = ReceiverConfig {
        path: args.path.clone(),
        basic,
        max_body: usize::try_from(args.max_body).unwrap_or(usize::MAX),
    };
    config.policy = args.handler.policy();
    config.tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let has_auth = config.receiver.basic.is_some();
    let service = Service::start(config, chosen.map(|c| c.handler), super::notes(ctx))
        .await
        .map_err(|e| match e {
            halo_webhook::ListenError::Bind { .. } | halo_webhook::ListenError::Tls(_) => {
                Failure::usage(e.to_string())
            }
            other => anyhow::Error::new(other),
        })?;
    let out = ctx.io.out();
    writeln!(out, "listening on {scheme}://{}", service.local_addr())?;
    let path = if args.path == "/" {
        "/".to_string()
    } else {
        "given (not shown: it may hold a secret)".to_string()
    };
    writeln!(out, "  hook path: {path}")?;
    writeln!(
        out,
        "  auth:      {}",
        match (&args.basic_user, has_auth) {
            (Some(user), true) => format!("HTTP Basic as {user}"),
            _ => "none".to_string(),
        }
    )?;
    writeln!(
        out,
        "  journal:   {} ({} unfinished event{} handed over again)",
        journal.display(),
        service.resumed(),
        if service.resumed() == 1 { "" } else { "s" }
    )?;
    writeln!(
        out,
        "  handler:   {}",
        args.handler.describe().unwrap_or_else(|| {
            "none: events are journaled and left pending (`halo webhook replay` handles them)"
                .to_string()
        })
    )?;
    out.flush()?;
    let counts = service
        .serve_until(stopped())
        .await
        .context("the receiver failed")?;
    writeln!(
        ctx.io.err(),
        "stopped: {} deliveries acknowledged ({} new events, {} duplicates), {} refused; {} handled, {} failed attempts, {} dead letters, {} pending",
        counts.deliveries,
        counts.received,
        counts.duplicates,
        counts.rejected,
        counts.succeeded,
        counts.failed,
        counts.dead,
        counts.pending.max(0)
    )?;
    if let Some(mirror) = mirror {
        writeln!(ctx.io.err(), "{}", super::mirror_line(&mirror.counts()))?;
    }
    Ok(())
}

/// The credential the flags ask for.
fn basic(ctx: &mut Context, args: &ListenArgs) -> Result<Option<BasicAuth>> {
    let Some(user) = &args.basic_user else {
        return Ok(None);
    };
    super::check_user(user)?;
    let password = super::password(ctx, args.basic_password_stdin)?;
    Ok(Some(BasicAuth::new(
        user.clone(),
        SecretString::from(password),
    )))
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
pub(crate) async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
