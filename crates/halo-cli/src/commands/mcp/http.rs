//! `halo mcp --http`: Streamable HTTP at `/mcp`, on loopback unless told otherwise. Every
//! request needs `Authorization: Bearer TOKEN` (401 without it, compared in constant time);
//! a browser `Origin` that is not a loopback page or one given with `--allow-origin` is
//! refused (403), and so is a `Host` other than loopback's when bound to loopback, as the MCP
//! specification asks of local servers (DNS rebinding).

use super::HaloMcp;
use crate::context::Context;
use crate::exit::Failure;
use anyhow::{Context as _, Result};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use secrecy::{ExposeSecret, SecretString};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The origins of pages on this machine, always allowed.
const LOOPBACK_ORIGINS: &[&str] = &["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

/// `--http`: `ADDR:PORT`, or a bare `PORT` on 127.0.0.1.
pub fn parse_addr(text: &str) -> Result<SocketAddr> {
    let t = text.trim();
    if let Ok(port) = t.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = t
        .strip_prefix("localhost:")
        .and_then(|p| p.parse::<u16>().ok())
    {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    t.parse::<SocketAddr>().map_err(|_| {
        Failure::usage(format!(
            "--http '{text}' is not ADDR:PORT or PORT (e.g. 8765, 127.0.0.1:8765)"
        ))
    })
}

/// The bearer token: `HALO_MCP_TOKEN`, else a new random one (and whether it was made here).
fn token(ctx: &Context) -> (SecretString, bool) {
    if let Some(t) = ctx.env().var("HALO_MCP_TOKEN") {
        return (SecretString::from(t), false);
    }
    let bytes: [u8; 32] = rand::random();
    let made = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    (SecretString::from(made), true)
}

/// Serves `server` at `addr` until Ctrl-C or SIGTERM.
pub async fn serve(
    ctx: &mut Context,
    server: HaloMcp,
    addr: SocketAddr,
    origins: &[String],
) -> Result<()> {
    for o in origins {
        if !(o.starts_with("http://") || o.starts_with("https://")) {
            return Err(Failure::usage(format!(
                "--allow-origin '{o}' is not an origin like https://app.example.com"
            )));
        }
    }
    let (token, made) = token(ctx);
    // Never in a tool result, an error or a log line.
    halopsa::redact::remember(token.expose_secret());
    let stop = tokio_util::sync::CancellationToken::new();
    let mut config = StreamableHttpServerConfig::default()
        .with_allowed_origins(
            LOOPBACK_ORIGINS
                .iter()
                .copied()
                .map(String::from)
                .chain(origins.iter().cloned()),
        )
        .enforce_origin_validation()
        .with_cancellation_token(stop.child_token());
    if !addr.ip().is_loopback() {
        // Reached by other names than loopback's: the token guards it instead.
        config = config.disable_allowed_hosts();
    }
    let service: StreamableHttpService<HaloMcp, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let app = axum::Router::new().nest_service("/mcp", service).layer(
        axum::middleware::from_fn_with_state(Arc::new(token.clone()), bearer),
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    writeln!(ctx.io.out(), "listening on http://{bound}/mcp")?;
    ctx.io.out().flush()?;
    if made {
        writeln!(
            ctx.io.err(),
            "bearer token (shown once; set HALO_MCP_TOKEN to choose it): {}",
            token.expose_secret()
        )?;
    }
    if !bound.ip().is_loopback() {
        writeln!(
            ctx.io.err(),
            "warning: listening beyond this machine ({bound}): anyone with the token can use it"
        )?;
    }
    let stopping = stop.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            crate::commands::webhook::listen::stopped().await;
            stopping.cancel();
        })
        .await
        .context("the MCP HTTP server failed")?;
    Ok(())
}

/// Lets a request through only with `Authorization: Bearer TOKEN`.
async fn bearer(State(token): State<Arc<SecretString>>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let expected = token.expose_secret().as_bytes();
    if !given.is_empty() && bool::from(given.as_bytes().ct_eq(expected)) {
        return next.run(request).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer realm=\"halo mcp\"")],
        "a bearer token is needed: Authorization: Bearer TOKEN (HALO_MCP_TOKEN of the server)\n",
    )
        .into_response()
}
