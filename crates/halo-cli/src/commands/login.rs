//! `halo login`: sign in as yourself in the browser (authorization code with PKCE S256, an
//! "Authorisation Code (Native Application)"), then store the sign-in's refresh token where
//! secrets go and test the connection as `halo connect` does.

use super::connect::{Stored, store_profile};
use crate::commands::Globals;
use crate::config::{Config, GrantKind, check_profile_name};
use crate::context::Context;
use crate::exit::Failure;
use crate::secrets::SecretKind;
use anyhow::{Context as _, Result};
use axum::extract::{Query, State};
use axum::response::Html;
use halopsa::Grant;
use halopsa::auth::pkce::{self, AuthorizeRequest, Pkce};
use secrecy::SecretString;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, oneshot};

/// The scope that asks for a refresh token, always added.
const OFFLINE: &str = "offline_access";

/// `halo login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub instance: super::connect::InstanceFlags,
    /// Read the application's client secret from standard input (only for an application
    /// that has one; HALO_CLIENT_SECRET works too).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// Print the sign-in URL instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// The port of the one-shot listener on 127.0.0.1 that receives the sign-in (default: a
    /// free one; give one when the application's redirect URI names a port).
    #[arg(long, value_name = "N")]
    pub redirect_port: Option<u16>,
    /// How long to wait for the sign-in, e.g. 5m (the default), 90s.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = crate::session::parse_duration)]
    pub wait: Duration,
    #[command(flatten)]
    pub requests: crate::session::RequestFlags,
}

/// What the browser brought back to the listener.
#[derive(Debug, Default)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// A callback, and where to say how it ended (the page the browser shows).
type Arrival = (Callback, oneshot::Sender<String>);

/// Runs `halo login`.
pub async fn run(ctx: &mut Context, globals: &Globals, args: LoginArgs) -> Result<()> {
    let mut config = Config::load(ctx.config_dir()?)?;
    let name = config.profile_name(globals.profile.as_deref());
    check_profile_name(&name)?;
    if globals.profile.is_none() {
        super::connect::keep_other_instances(ctx, &config, &name, &args.instance.url)?;
    }
    let client_secret = if args.client_secret_stdin {
        Some(crate::input::secret_from_stdin(ctx)?)
    } else {
        ctx.env().var("HALO_CLIENT_SECRET")
    }
    .map(SecretString::from);
    let mut scopes = if args.instance.scopes.is_empty() {
        vec![halopsa::auth::wire::DEFAULT_SCOPE.to_string()]
    } else {
        args.instance.scopes.clone()
    };
    if !scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .any(|s| s == OFFLINE)
    {
        scopes.push(OFFLINE.to_string());
    }
    let grant = Grant::AuthorizationCode {
        refresh_token: None,
        client_secret: client_secret.clone(),
    };
    let settings = args.instance.spec(grant, &scopes).settings()?;
    let client = super::connect::client_for(ctx, &config, &settings, &args.requests)?;

    // The one-shot listener: on loopback, so the code never leaves this machine (RFC 8252).
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.redirect_port.unwrap_or(0)));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::usage(format!("cannot listen on {addr} for the sign-in: {e}")))?;
    let port = listener.local_addr()?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let (pkce, state) = (Pkce::new(), pkce::random_state());
    let url = client
        .authorize_url(&AuthorizeRequest {
            redirect_uri: &redirect_uri,
            state: &state,
            challenge: pkce.challenge(),
        })
        .await
        .context("cannot start the sign-in")?;

    let (arrived, mut arrivals) = mpsc::channel::<Arrival>(1);
    let stop = tokio_util::sync::CancellationToken::new();
    let app = axum::Router::new()
        .route("/callback", axum::routing::get(callback))
        .with_state(Arc::new(Mutex::new(Some(arrived))));
    let server = tokio::spawn({
        let stop = stop.clone();
        async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        }
    });

    writeln!(
        ctx.io.err(),
        "Sign in to Halo in the browser (waiting up to {}):\n  {url}",
        super::duration(args.wait.as_secs())
    )?;
    if !args.no_browser && has_display(ctx) && webbrowser::open(url.as_str()).is_err() {
        writeln!(
            ctx.io.err(),
            "(no browser could be opened: open the URL above yourself)"
        )?;
    }
    let outcome = match tokio::time::timeout(args.wait, arrivals.recv()).await {
        Err(_) => Err(anyhow::Error::new(Failure {
            code: crate::exit::TIMED_OUT,
            message: format!(
                "no sign-in arrived within {}: run 'halo login' again (--wait gives more time)",
                super::duration(args.wait.as_secs())
            ),
        })),
        Ok(None) => Err(anyhow::anyhow!("the sign-in listener stopped")),
        Ok(Some((answer, page))) => {
            let done = finish(ctx, &mut config, &name, &args, &client, {
                (answer, &state, &pkce, &redirect_uri, client_secret)
            })
            .await;
            let text = match &done {
                Ok(()) => "Signed in to Halo. You can close this tab and go back to the terminal."
                    .to_string(),
                Err(e) => format!("The sign-in did not complete: {}", crate::exit::line(e)),
            };
            let _ = page.send(text);
            done
        }
    };
    // A graceful stop: the page still being answered is sent before the listener goes.
    stop.cancel();
    let _ = server.await;
    outcome
}

/// The sign-in's answer and what it must match: the state sent, the PKCE pair, the
/// redirect URI; and the client secret to store.
type Pending<'a> = (Callback, &'a str, &'a Pkce, &'a str, Option<SecretString>);

/// Checks the answer, exchanges the code, tests the connection and stores the profile.
async fn finish(
    ctx: &mut Context,
    config: &mut Config,
    name: &str,
    args: &LoginArgs,
    client: &halopsa::Client,
    (answer, state, pkce, redirect_uri, client_secret): Pending<'_>,
) -> Result<()> {
    if let Some(error) = &answer.error {
        return Err(Failure::auth(format!(
            "the sign-in was refused in the browser ({error}{}): nothing was stored",
            answer
                .error_description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )));
    }
    if !answer
        .state
        .as_deref()
        .is_some_and(|s| pkce::state_matches(state, s))
    {
        return Err(Failure::auth(
            "the sign-in's answer does not carry the state this login sent (another page's, or forged): refused, nothing was stored; run 'halo login' again",
        ));
    }
    let code = answer
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Failure::auth("the sign-in's answer carries no code: nothing was stored"))?;
    let token = client
        .exchange_code(code, redirect_uri, pkce)
        .await
        .context("the sign-in could not be completed; nothing was stored")?;
    let refresh = token.refresh_token.clone().ok_or_else(|| {
        Failure::auth(
            "Halo gave no refresh token: the application must allow the offline_access scope (nothing was stored)",
        )
    })?;
    let report = client
        .test_connection()
        .await
        .context("the connection test failed; nothing was stored")?;
    writeln!(ctx.io.out(), "signed in to {}", report.instance)?;
    super::print_report(ctx.io.out(), &report)?;

    let mut secrets: Vec<(SecretKind, &SecretString)> = vec![(SecretKind::RefreshToken, &refresh)];
    if let Some(cs) = &client_secret {
        secrets.push((SecretKind::ClientSecret, cs));
    }
    let stored = Stored {
        grant: GrantKind::AuthorizationCode,
        username: None,
        secrets: &secrets,
        rate_limit: config
            .file
            .profiles
            .get(name)
            .and_then(|p| p.rate_limit.clone()),
        mirror: None,
    };
    let location =
        store_profile(ctx, config, name, &args.instance, (client, &report), stored).await?;
    writeln!(
        ctx.io.out(),
        "stored as profile '{name}' (now current; the sign-in is kept {})",
        match location {
            crate::config::SecretLocation::Keyring => "in the OS keyring",
            crate::config::SecretLocation::File => "in secrets.toml (0600)",
        }
    )?;
    Ok(())
}

/// `GET /callback`: hands the answer over and shows how the sign-in ended.
async fn callback(
    State(slot): State<Arc<Mutex<Option<mpsc::Sender<Arrival>>>>>,
    Query(q): Query<HashMap<String, String>>,
) -> Html<String> {
    let Some(arrived) = slot.lock().await.take() else {
        return page("This sign-in is over: go back to the terminal.");
    };
    let answer = Callback {
        code: q.get("code").cloned(),
        state: q.get("state").cloned(),
        error: q.get("error").cloned(),
        error_description: q.get("error_description").cloned(),
    };
    let (said, told) = oneshot::channel();
    if arrived.send((answer, said)).await.is_err() {
        return page("The sign-in was not waiting any more: go back to the terminal.");
    }
    match tokio::time::timeout(Duration::from_secs(120), told).await {
        Ok(Ok(text)) => page(&text),
        _ => page("The sign-in is taking long: see the terminal."),
    }
}

/// A small HTML page saying `text`.
fn page(text: &str) -> Html<String> {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>halo login</title></head>\
         <body style=\"font-family: sans-serif; margin: 3em\"><h1>halo</h1><p>{escaped}</p></body></html>"
    ))
}

/// Whether a browser can be shown: on Linux and the BSDs, a display must be set.
fn has_display(ctx: &Context) -> bool {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return true;
    }
    ctx.env().var("DISPLAY").is_some() || ctx.env().var("WAYLAND_DISPLAY").is_some()
}
