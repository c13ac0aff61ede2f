//! The authentication lifecycle against the in-process sandbox (real HTTP on loopback).

use halo_sandbox::{JournalEntry, Sandbox, SandboxConfig};
use halopsa::{ApiRequest, AuthError, Client, ConnectionSettings, Error, Grant};
use secrecy::SecretString;
use std::time::Duration;

const CLIENT_ID: &str = "halo-sandbox-client";
const SECRET: &str = "halo-sandbox-secret";
const USER: &str = "agent@sandbox.local";
const PASSWORD: &str = "sandbox-password";

fn credentials(url: &str) -> ConnectionSettings {
    credentials_with(url, SECRET)
}

fn credentials_with(url: &str, secret: &str) -> ConnectionSettings {
    ConnectionSettings::new(
        url,
        CLIENT_ID,
        Grant::ClientCredentials {
            client_secret: SecretString::from(secret.to_string()),
        },
    )
    .unwrap()
}

fn password(url: &str) -> ConnectionSettings {
    ConnectionSettings::new(
        url,
        CLIENT_ID,
        Grant::Password {
            username: USER.into(),
            password: SecretString::from(PASSWORD),
            client_secret: None,
        },
    )
    .unwrap()
}

fn token_requests(journal: &[JournalEntry]) -> Vec<&JournalEntry> {
    journal
        .iter()
        .filter(|e| e.path.eq_ignore_ascii_case("/auth/token"))
        .collect()
}

fn form<'a>(entry: &'a JournalEntry, key: &str) -> Option<&'a str> {
    entry
        .form
        .as_ref()?
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn header<'a>(entry: &'a JournalEntry, name: &str) -> Option<&'a str> {
    entry
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

async fn connect_error(settings: ConnectionSettings) -> Error {
    Client::new(settings)
        .unwrap()
        .test_connection()
        .await
        .unwrap_err()
}

async fn me(client: &Client) -> Result<serde_json::Value, Error> {
    client.get_json(&ApiRequest::get("Agent/me")).await
}

#[tokio::test]
async fn client_credentials_grant_discovers_the_tenant_and_sends_scope_all() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = Client::new(credentials(&sandbox.url())).unwrap();
    let report = client.test_connection().await.unwrap();
    assert_eq!(report.grant, "client_credentials");
    assert_eq!(report.tenant.as_deref(), Some("sandbox"));
    assert!(report.discovered);
    assert_eq!(report.scope, "all");
    assert_eq!(report.agent.unwrap().name.as_deref(), Some("API Agent"));

    let journal = sandbox.journal();
    assert_eq!(journal[0].path.to_ascii_lowercase(), "/api/authinfo");
    let tokens = token_requests(&journal);
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].query.as_deref(), Some("tenant=sandbox"));
    assert_eq!(form(tokens[0], "grant_type"), Some("client_credentials"));
    assert_eq!(form(tokens[0], "client_id"), Some(CLIENT_ID));
    assert_eq!(form(tokens[0], "scope"), Some("all"));
    assert_eq!(form(tokens[0], "client_secret"), Some("[redacted]"));
    let api = journal.iter().find(|e| e.path == "/api/Agent/me").unwrap();
    assert_eq!(header(api, "authorization"), Some("[redacted]"));
    assert!(header(api, "user-agent").unwrap().starts_with("halo-rs/"));
}

#[tokio::test]
async fn password_grant_acts_as_the_agent() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = Client::new(password(&sandbox.url())).unwrap();
    let report = client.test_connection().await.unwrap();
    assert_eq!(report.grant, "password");
    let agent = report.agent.unwrap();
    assert_eq!(agent.email.as_deref(), Some(USER));
    let journal = sandbox.journal();
    let t = token_requests(&journal)[0];
    assert_eq!(form(t, "grant_type"), Some("password"));
    assert_eq!(form(t, "username"), Some(USER));
    assert_eq!(form(t, "password"), Some("[redacted]"));
}

#[tokio::test]
async fn wrong_password_is_a_credentials_error() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let settings = ConnectionSettings::new(
        &sandbox.url(),
        CLIENT_ID,
        Grant::Password {
            username: USER.into(),
            password: SecretString::from("wrong"),
            client_secret: None,
        },
    )
    .unwrap();
    let err = connect_error(settings).await;
    assert!(
        matches!(err, Error::Auth(AuthError::InvalidCredentials { .. })),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("username or password was rejected")
    );
}

#[tokio::test]
async fn expiring_token_is_renewed_with_the_refresh_token_before_use() {
    let config = SandboxConfig {
        token_ttl: Duration::from_secs(4),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let settings = password(&sandbox.url())
        .with_scopes(["all", "offline_access"])
        .unwrap();
    let client = Client::new(settings).unwrap();
    me(&client).await.unwrap();
    // Renewal happens when half of a short lifetime is left: 2 s here.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    me(&client).await.unwrap();
    let journal = sandbox.journal();
    let tokens = token_requests(&journal);
    assert_eq!(tokens.len(), 2);
    assert_eq!(form(tokens[1], "grant_type"), Some("refresh_token"));
    assert_eq!(form(tokens[1], "scope"), Some("all offline_access"));
    assert!(
        journal.iter().all(|e| e.status != 401),
        "renewed before use, no 401"
    );
}

#[tokio::test]
async fn client_credentials_token_is_minted_again_on_expiry() {
    let config = SandboxConfig {
        token_ttl: Duration::from_secs(2),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let client = Client::new(credentials(&sandbox.url())).unwrap();
    me(&client).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    me(&client).await.unwrap();
    let journal = sandbox.journal();
    let tokens = token_requests(&journal);
    assert_eq!(tokens.len(), 2);
    assert_eq!(form(tokens[1], "grant_type"), Some("client_credentials"));
    assert!(journal.iter().all(|e| e.status != 401));
}

#[tokio::test]
async fn explicit_tenant_is_sent_and_checked() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let ok = credentials(&sandbox.url()).with_tenant(Some("sandbox".into()));
    Client::new(ok).unwrap().test_connection().await.unwrap();
    let bad = credentials(&sandbox.url()).with_tenant(Some("acme".into()));
    let err = connect_error(bad).await;
    match &err {
        Error::Auth(AuthError::UnknownTenant { tenant, .. }) => {
            assert_eq!(tenant.as_deref(), Some("acme"))
        }
        other => panic!("expected UnknownTenant, got {other:?}"),
    }
    assert!(err.is_auth());
    let journal = sandbox.journal();
    let last = token_requests(&journal).pop().unwrap();
    assert_eq!(last.query.as_deref(), Some("tenant=acme"));
    assert_eq!(last.status, 400);
}

#[tokio::test]
async fn scopes_are_sent_space_joined() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let settings = credentials(&sandbox.url())
        .with_scopes(["read:tickets", "edit:tickets", "read:customers"])
        .unwrap();
    let report = Client::new(settings)
        .unwrap()
        .test_connection()
        .await
        .unwrap();
    assert_eq!(report.scope, "read:tickets edit:tickets read:customers");
    let journal = sandbox.journal();
    assert_eq!(
        form(token_requests(&journal)[0], "scope"),
        Some("read:tickets edit:tickets read:customers")
    );
}

#[tokio::test]
async fn additional_headers_go_on_every_request_also_after_a_refresh() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let settings = password(&sandbox.url())
        .with_scopes(["all offline_access"])
        .unwrap()
        .with_header_line("X-Halo-Test: abc")
        .unwrap();
    let client = Client::new(settings).unwrap();
    me(&client).await.unwrap();
    sandbox.revoke_tokens();
    me(&client).await.unwrap();
    let journal = sandbox.journal();
    assert_eq!(token_requests(&journal).len(), 2);
    assert_eq!(
        form(token_requests(&journal)[1], "grant_type"),
        Some("refresh_token")
    );
    assert!(journal.len() >= 6, "{journal:?}");
    for e in &journal {
        assert_eq!(
            header(e, "x-halo-test"),
            Some("abc"),
            "{} {}",
            e.method,
            e.path
        );
    }
}

#[tokio::test]
async fn without_authinfo_the_client_falls_back_to_instance_auth() {
    let config = SandboxConfig {
        authinfo_enabled: false,
        tenant: None,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let report = Client::new(credentials(&sandbox.url()))
        .unwrap()
        .test_connection()
        .await
        .unwrap();
    assert!(!report.discovered);
    assert_eq!(report.token_url, format!("{}/auth/token", sandbox.url()));
    let journal = sandbox.journal();
    assert_eq!(journal[0].status, 404);
    let t = token_requests(&journal)[0];
    assert_eq!(t.query, None);
    assert_eq!(t.status, 200);
}

#[tokio::test]
async fn an_explicit_auth_url_skips_discovery() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let settings = credentials(&sandbox.url())
        .with_tenant(Some("sandbox".into()))
        .with_auth_url(Some(&format!("{}/auth/", sandbox.url())))
        .unwrap();
    Client::new(settings)
        .unwrap()
        .test_connection()
        .await
        .unwrap();
    let journal = sandbox.journal();
    assert!(
        journal
            .iter()
            .all(|e| !e.path.eq_ignore_ascii_case("/api/authinfo"))
    );
    assert_eq!(token_requests(&journal).len(), 1);
}

#[tokio::test]
async fn a_401_renews_once_and_retries_once() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = Client::new(credentials(&sandbox.url())).unwrap();
    me(&client).await.unwrap();
    sandbox.revoke_tokens();
    sandbox.clear_journal();
    me(&client).await.unwrap();
    let statuses: Vec<(String, u16)> = sandbox
        .journal()
        .iter()
        .map(|e| (e.path.clone(), e.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("/api/Agent/me".to_string(), 401),
            ("/auth/token".to_string(), 200),
            ("/api/Agent/me".to_string(), 200),
        ]
    );
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = Client::new(credentials(&sandbox.url())).unwrap();
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { me(&c).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let stats = sandbox.stats();
    assert_eq!(stats.token_requests, 1);
    assert_eq!(stats.api_requests, 16 + 1, "16 calls plus authinfo");
}

#[tokio::test]
async fn concurrent_401s_share_one_renewal() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = Client::new(credentials(&sandbox.url())).unwrap();
    me(&client).await.unwrap();
    sandbox.revoke_tokens();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { me(&c).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(sandbox.stats().token_requests, 2);
}

#[tokio::test]
async fn wrong_secret_is_invalid_client() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let err = connect_error(credentials_with(&sandbox.url(), "wrong")).await;
    assert!(
        matches!(err, Error::Auth(AuthError::InvalidClient { .. })),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("client ID or client secret was rejected")
    );
    assert_eq!(err.status(), Some(401));
}

#[tokio::test]
async fn a_refused_scope_is_named() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let settings = credentials(&sandbox.url())
        .with_scopes(["read:tickets bogus:scope"])
        .unwrap();
    let err = connect_error(settings).await;
    assert!(
        matches!(err, Error::Auth(AuthError::InvalidScope { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("bogus:scope"));
}

/// A server standing in for a broken deployment: HTML from the token endpoint, or an API
/// that refuses every token.
async fn broken_server(
    kind: &'static str,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::http::StatusCode;
    use axum::response::{Html, IntoResponse};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let tokens = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = tokens.clone();
    let app = axum::Router::new()
        .route(
            "/auth/token",
            axum::routing::post(move || {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    if kind == "html" {
                        (
                            StatusCode::BAD_GATEWAY,
                            Html("<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"),
                        )
                            .into_response()
                    } else {
                        axum::Json(serde_json::json!({
                            "access_token": "x".repeat(43), "token_type": "Bearer",
                            "expires_in": 3600, "scope": "all"
                        }))
                        .into_response()
                    }
                }
            }),
        )
        .fallback(|| async { (StatusCode::UNAUTHORIZED, "denied") });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, tokens)
}

#[tokio::test]
async fn an_html_token_reply_is_a_readable_error() {
    let (url, tokens) = broken_server("html").await;
    let fast = halopsa::retry::RetryPolicy {
        max_retries: 2,
        base_delay: std::time::Duration::from_millis(5),
        ..Default::default()
    };
    let err = Client::builder(credentials(&url))
        .retry(fast)
        .build()
        .unwrap()
        .test_connection()
        .await
        .unwrap_err();
    assert_eq!(
        tokens.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "a 502 is transient: retried twice"
    );
    match &err {
        Error::Auth(AuthError::NotJson { status, kind, .. }) => {
            assert_eq!(*status, 502);
            assert_eq!(*kind, "an HTML page");
        }
        other => panic!("expected NotJson, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("502 Bad Gateway") && !text.contains('<'),
        "{text}"
    );
    assert!(err.is_auth());
}

#[tokio::test]
async fn an_api_that_refuses_every_token_is_not_retried_in_a_loop() {
    let (url, tokens) = broken_server("deny").await;
    let err = me(&Client::new(credentials(&url)).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::TokenRefused { .. })),
        "{err:?}"
    );
    assert_eq!(
        tokens.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "one mint, one renewal"
    );
}

#[tokio::test]
async fn api_errors_carry_status_and_message() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = Client::new(credentials(&sandbox.url())).unwrap();
    let err = client
        .send(&ApiRequest::get("NoSuchThing/1"))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("HTTP 404"), "{err}");
}

#[tokio::test]
async fn a_plain_http_instance_pointing_at_an_https_auth_server_says_what_to_give() {
    // Plain http sets up no TLS (no root certificates loaded), so an https token endpoint
    // found by discovery is refused with the way out, not a certificate error.
    let app = axum::Router::new().route(
        "/api/authinfo",
        axum::routing::get(|| async {
            axum::Json(serde_json::json!({"auth_url": "https://login.example.invalid/auth"}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let err = connect_error(credentials(&url)).await;
    assert!(matches!(err, Error::TlsNotSetUp { .. }), "{err:?}");
    assert!(err.to_string().contains("no TLS was set up"), "{err}");
}

/// A token store shared by several clients, as processes share the CLI's: one token in
/// memory, and an OS file lock as the cross-process lock.
struct SharedStore {
    token: std::sync::Mutex<Option<halopsa::auth::CachedToken>>,
    lock: std::path::PathBuf,
}

impl halopsa::auth::TokenStore for SharedStore {
    fn load(&self) -> Option<halopsa::auth::CachedToken> {
        self.token.lock().unwrap().clone()
    }
    fn save(&self, token: &halopsa::auth::CachedToken) {
        *self.token.lock().unwrap() = Some(token.clone());
    }
    fn clear(&self) {
        *self.token.lock().unwrap() = None;
    }
    fn lock(&self) -> Option<Box<dyn Send>> {
        let file = std::fs::File::create(&self.lock).ok()?;
        file.lock().ok()?;
        Some(Box::new(file))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_sharing_a_store_renew_an_expired_token_once_even_when_refresh_tokens_rotate() {
    let config = SandboxConfig {
        rotate_refresh_tokens: true,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let settings = password(&sandbox.url())
        .with_scopes(["all", "offline_access"])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(SharedStore {
        token: std::sync::Mutex::new(None),
        lock: dir.path().join("token.lock"),
    });
    let first = Client::builder(settings.clone())
        .token_store(store.clone())
        .build()
        .unwrap();
    me(&first).await.unwrap();
    // The stored token has just expired.
    {
        let mut t = store.token.lock().unwrap();
        let t = t.as_mut().unwrap();
        assert!(t.refresh_token.is_some());
        t.expires_at = 0;
    }
    sandbox.clear_journal();
    let clients: Vec<Client> = (0..5)
        .map(|_| {
            Client::builder(settings.clone())
                .token_store(store.clone())
                .build()
                .unwrap()
        })
        .collect();
    let answers = futures::future::join_all(clients.iter().map(me)).await;
    for a in answers {
        a.unwrap();
    }
    let journal = sandbox.journal();
    let tokens = token_requests(&journal);
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(form(tokens[0], "grant_type"), Some("refresh_token"));
    assert!(journal.iter().all(|e| e.status != 401));
}

#[tokio::test]
async fn a_sign_in_code_is_exchanged_once_with_its_verifier_and_redirect_uri() {
    use halo_sandbox::browser::{Decision, sign_in};
    use halopsa::auth::pkce::{AuthorizeRequest, Pkce};
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let settings = ConnectionSettings::new(
        &sandbox.url(),
        halo_sandbox::NATIVE_CLIENT_ID,
        Grant::AuthorizationCode {
            refresh_token: None,
            client_secret: None,
        },
    )
    .unwrap()
    .with_scopes(["all", "offline_access"])
    .unwrap();
    let client = Client::new(settings).unwrap();
    // No sign-in yet: nothing can be minted.
    assert!(matches!(
        client.token().await,
        Err(Error::Auth(AuthError::SignInNeeded))
    ));
    let redirect = "http://127.0.0.1:49152/callback";
    let pkce = Pkce::new();
    let url = client
        .authorize_url(&AuthorizeRequest {
            redirect_uri: redirect,
            state: "s-1",
            challenge: pkce.challenge(),
        })
        .await
        .unwrap();
    let back = sign_in(url.as_str(), USER, PASSWORD, Decision::Allow)
        .await
        .unwrap();
    let param = |k: &str| {
        back.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some("s-1"));
    let code = param("code").unwrap();
    let refused = |r: Result<halopsa::auth::CachedToken, Error>| {
        matches!(r, Err(Error::Auth(AuthError::CodeRejected { .. })))
    };
    assert!(refused(
        client.exchange_code(&code, redirect, &Pkce::new()).await
    ));
    assert!(refused(
        client
            .exchange_code(&code, "http://127.0.0.1:49153/callback", &pkce)
            .await
    ));
    let token = client.exchange_code(&code, redirect, &pkce).await.unwrap();
    assert!(token.refresh_token.is_some());
    assert_eq!(me(&client).await.unwrap()["name"], "Sandbox Agent");
    assert!(refused(client.exchange_code(&code, redirect, &pkce).await));
    // One exchange per attempt: a code is never sent twice by the client itself.
    let exchanges = sandbox
        .journal()
        .iter()
        .filter(|e| form(e, "grant_type") == Some("authorization_code"))
        .count();
    assert_eq!(exchanges, 4);
}
