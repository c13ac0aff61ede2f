//! Integration tests of the sandbox's authorisation server, over raw HTTP.

use std::time::Duration;

use halo_sandbox::{Sandbox, SandboxClient, SandboxConfig};
use reqwest::StatusCode;
use serde_json::Value;

const CLIENT: &str = "halo-sandbox-client";
const SECRET: &str = "halo-sandbox-secret";
const USER: &str = "agent@sandbox.local";
const PASSWORD: &str = "sandbox-password";

async fn start() -> Sandbox {
    start_with(SandboxConfig::default()).await
}

async fn start_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// POSTs a token form (with `?tenant=sandbox`) and returns status and JSON body.
async fn token(sb: &Sandbox, form: &[(&str, &str)]) -> (StatusCode, Value) {
    token_at(sb, "/auth/token?tenant=sandbox", form).await
}

async fn token_at(sb: &Sandbox, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let resp = http()
        .post(format!("{}{path}", sb.url()))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

async fn client_credentials(sb: &Sandbox, scope: &str) -> Value {
    let (status, body) = token(
        sb,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", SECRET),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn password(sb: &Sandbox, scope: &str) -> Value {
    let (status, body) = token(
        sb,
        &[
            ("grant_type", "password"),
            ("client_id", CLIENT),
            ("username", USER),
            ("password", PASSWORD),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn refresh(sb: &Sandbox, refresh_token: &str) -> (StatusCode, Value) {
    token(
        sb,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

fn access(body: &Value) -> &str {
    body["access_token"].as_str().unwrap()
}

async fn get(sb: &Sandbox, path: &str, bearer: Option<&str>) -> (StatusCode, Value) {
    let mut req = http().get(format!("{}{path}", sb.url()));
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn assert_error(actual: (StatusCode, Value), status: StatusCode, error: &str) -> Value {
    assert_eq!(actual.0, status, "{}", actual.1);
    assert_eq!(actual.1["error"], error, "{}", actual.1);
    assert!(actual.1["error_description"].is_string(), "{}", actual.1);
    actual.1
}

#[tokio::test]
async fn authinfo_shape() {
    let sb = start().await;
    let (status, body) = get(&sb, "/api/authinfo", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["auth_url"], format!("{}/auth", sb.url()));
    assert_eq!(body["tenant_id"], "sandbox");

    let sb = start_with(SandboxConfig {
        tenant: None,
        ..Default::default()
    })
    .await;
    let (_, body) = get(&sb, "/api/authinfo", None).await;
    assert!(body.get("tenant_id").is_none(), "{body}");
}

#[tokio::test]
async fn authinfo_disabled_is_404() {
    let sb = start_with(SandboxConfig {
        authinfo_enabled: false,
        ..Default::default()
    })
    .await;
    let (status, _) = get(&sb, "/api/authinfo", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn routing_is_case_insensitive() {
    let sb = start().await;
    for path in ["/api/AuthInfo", "/API/authinfo", "/Api/AUTHINFO/"] {
        assert_eq!(get(&sb, path, None).await.0, StatusCode::OK, "{path}");
    }
    let (status, body) = token_at(
        &sb,
        "/Auth/Token?tenant=sandbox",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", SECRET),
            ("scope", "all"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = get(&sb, "/api/AGENT/Me", Some(access(&body))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The journal keeps the path as sent.
    assert!(sb.journal().iter().any(|e| e.path == "/Auth/Token"));
}

#[tokio::test]
async fn client_credentials_grant() {
    let sb = start().await;
    let resp = http()
        .post(format!("{}/auth/token?tenant=sandbox", sb.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", SECRET),
            ("scope", "all"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = resp.json().await.unwrap();
    let token = access(&body);
    assert_eq!(token.len(), 43);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "all");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("id_token").is_none(), "{body}");
    let parsed: halopsa::auth::wire::TokenResponse = serde_json::from_value(body).unwrap();
    assert_eq!(parsed.expires_in, Some(3600));
}

#[tokio::test]
async fn password_grant_and_refresh() {
    let sb = start().await;
    let body = password(&sb, "all offline_access").await;
    assert_eq!(body["scope"], "all offline_access");
    let rt = body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(rt.len(), 43);

    let (status, refreshed) = refresh(&sb, &rt).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(refreshed["scope"], "all offline_access");
    assert_ne!(access(&refreshed), access(&body));
    let (status, me) = get(&sb, "/api/Agent/me", Some(access(&refreshed))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], 2);
    assert_eq!(me["email"], USER);
}

#[tokio::test]
async fn password_grant_without_offline_access_has_no_refresh_token() {
    let sb = start().await;
    let body = password(&sb, "read:tickets").await;
    assert!(body.get("refresh_token").is_none(), "{body}");
}

#[tokio::test]
async fn password_grant_secret_optional_but_checked() {
    let sb = start().await;
    let form = |secret: &'static str| {
        vec![
            ("grant_type", "password"),
            ("client_id", CLIENT),
            ("client_secret", secret),
            ("username", USER),
            ("password", PASSWORD),
            ("scope", "all"),
        ]
    };
    assert_eq!(token(&sb, &form(SECRET)).await.0, StatusCode::OK);
    assert_error(
        token(&sb, &form("wrong")).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
}

#[tokio::test]
async fn tenant_via_query_or_form() {
    let sb = start().await;
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT),
        ("client_secret", SECRET),
        ("scope", "all"),
    ];
    let (status, _) = token_at(&sb, "/auth/token?tenant=sandbox", &form).await;
    assert_eq!(status, StatusCode::OK);

    let body = assert_error(
        token_at(&sb, "/auth/token", &form).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("tenant")
    );

    let body = assert_error(
        token_at(&sb, "/auth/token?tenant=other", &form).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_eq!(body["error_description"], "Unknown tenant 'other'.");

    form.push(("tenant", "sandbox"));
    let (status, _) = token_at(&sb, "/auth/token", &form).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn no_configured_tenant_ignores_tenant() {
    let sb = start_with(SandboxConfig {
        tenant: None,
        ..Default::default()
    })
    .await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT),
        ("client_secret", SECRET),
        ("scope", "all"),
    ];
    assert_eq!(token_at(&sb, "/auth/token", &form).await.0, StatusCode::OK);
    assert_eq!(
        token_at(&sb, "/auth/token?tenant=whatever", &form).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn invalid_client() {
    let sb = start().await;
    for (id, secret) in [(CLIENT, "wrong"), ("nobody", SECRET)] {
        let body = assert_error(
            token(
                &sb,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", id),
                    ("client_secret", secret),
                    ("scope", "all"),
                ],
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        );
        assert_eq!(
            body["error_description"],
            "The client_id or client_secret is invalid."
        );
    }
}

#[tokio::test]
async fn invalid_grant_on_bad_password() {
    let sb = start().await;
    let body = assert_error(
        token(
            &sb,
            &[
                ("grant_type", "password"),
                ("client_id", CLIENT),
                ("username", USER),
                ("password", "nope"),
                ("scope", "all"),
            ],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_eq!(
        body["error_description"],
        "The username or password is incorrect."
    );
}

#[tokio::test]
async fn invalid_scope() {
    let sb = start().await;
    let body = assert_error(
        token(
            &sb,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("scope", "all read:actions"),
            ],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_scope",
    );
    assert_eq!(
        body["error_description"],
        "The scope 'read:actions' is not valid."
    );
}

#[tokio::test]
async fn client_allowed_scopes_limit_requests() {
    let sb = start_with(SandboxConfig {
        clients: vec![SandboxClient {
            id: CLIENT.into(),
            secret: Some(SECRET.into()),
            allowed_scopes: Some(vec!["read:tickets".into()]),
            redirect_uris: Vec::new(),
        }],
        ..Default::default()
    })
    .await;
    let body = client_credentials(&sb, "read:tickets offline_access").await;
    assert_eq!(body["scope"], "read:tickets offline_access");
    assert_error(
        token(
            &sb,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("scope", "all"),
            ],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_scope",
    );
}

#[tokio::test]
async fn unsupported_and_missing_grant_type() {
    let sb = start().await;
    assert_error(
        token(
            &sb,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", CLIENT),
            ],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
    );
    assert_error(
        token(&sb, &[("client_id", CLIENT)]).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_error(
        token(
            &sb,
            &[
                ("grant_type", "password"),
                ("client_id", CLIENT),
                ("scope", "all"),
            ],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn non_form_body_rejected() {
    let sb = start().await;
    let resp = http()
        .post(format!("{}/auth/token?tenant=sandbox", sb.url()))
        .json(&serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": CLIENT,
            "client_secret": SECRET,
        }))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_error((status, body), StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn oversized_body_is_413() {
    let sb = start().await;
    let big = "x".repeat(70 * 1024);
    let resp = http()
        .post(format!("{}/auth/token?tenant=sandbox", sb.url()))
        .form(&[("grant_type", "password"), ("padding", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn token_without_scope_is_issued_but_refused() {
    let sb = start().await;
    let (status, body) = token(
        &sb,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "");
    let (status, body) = get(&sb, "/api/Agent/me", Some(access(&body))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["message"],
        "Authorization has been denied for this request."
    );
}

#[tokio::test]
async fn api_requires_a_known_bearer_token() {
    let sb = start().await;
    assert_eq!(
        get(&sb, "/api/Agent/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&sb, "/api/Agent/me", Some("made-up")).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn expired_token_is_refused() {
    let sb = start_with(SandboxConfig {
        token_ttl: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let body = client_credentials(&sb, "all").await;
    assert_eq!(body["expires_in"], 1);
    assert_eq!(
        get(&sb, "/api/Agent/me", Some(access(&body))).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        get(&sb, "/api/Agent/me", Some(access(&body))).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn revoked_tokens_refused_but_refresh_works() {
    let sb = start().await;
    let body = password(&sb, "all offline_access").await;
    sb.revoke_tokens();
    assert_eq!(
        get(&sb, "/api/Agent/me", Some(access(&body))).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, refreshed) = refresh(&sb, body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(
        get(&sb, "/api/Agent/me", Some(access(&refreshed))).await.0,
        StatusCode::OK
    );

    // The HTTP control route does the same.
    let resp = http()
        .post(format!("{}/_sandbox/revoke-tokens", sb.url()))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(
        get(&sb, "/api/Agent/me", Some(access(&refreshed))).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn refresh_without_rotation_returns_same_refresh_token() {
    let sb = start().await;
    let body = client_credentials(&sb, "all offline_access").await;
    let rt = body["refresh_token"].as_str().unwrap();
    let (_, first) = refresh(&sb, rt).await;
    assert_eq!(first["refresh_token"], rt);
    let (status, second) = refresh(&sb, rt).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(second["refresh_token"], rt);
}

#[tokio::test]
async fn refresh_with_rotation_revokes_old_refresh_token() {
    let sb = start_with(SandboxConfig {
        rotate_refresh_tokens: true,
        refresh_grace: Duration::ZERO,
        ..Default::default()
    })
    .await;
    let body = client_credentials(&sb, "all offline_access").await;
    let old = body["refresh_token"].as_str().unwrap();
    let (status, rotated) = refresh(&sb, old).await;
    assert_eq!(status, StatusCode::OK);
    let new = rotated["refresh_token"].as_str().unwrap();
    assert_ne!(new, old);
    let body = assert_error(
        refresh(&sb, old).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_eq!(
        body["error_description"],
        "The refresh token is invalid or has expired."
    );
    assert_eq!(refresh(&sb, new).await.0, StatusCode::OK);
}

#[tokio::test]
async fn refresh_token_bound_to_client() {
    let mut config = SandboxConfig::default();
    config.clients.push(SandboxClient {
        id: "other".into(),
        secret: None,
        allowed_scopes: None,
        redirect_uris: Vec::new(),
    });
    let sb = start_with(config).await;
    let body = password(&sb, "all offline_access").await;
    let rt = body["refresh_token"].as_str().unwrap();
    assert_error(
        token(
            &sb,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "other"),
                ("refresh_token", rt),
            ],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_error(
        refresh(&sb, "not-a-refresh-token").await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_error(
        token(
            &sb,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "nobody"),
                ("refresh_token", rt),
            ],
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
}

#[tokio::test]
async fn agent_me_identities() {
    let sb = start().await;
    let body = client_credentials(&sb, "all").await;
    let (status, me) = get(&sb, "/api/Agent/me", Some(access(&body))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], 1);
    assert_eq!(me["name"], "API Agent");
    assert_eq!(me["isapiagent"], true);
    assert_eq!(me["is_agent"], true);

    let body = password(&sb, "all").await;
    let (_, me) = get(&sb, "/api/Agent/me", Some(access(&body))).await;
    assert_eq!(me["id"], 2);
    assert_eq!(me["name"], "Sandbox Agent");
    assert_eq!(me["email"], USER);
    assert_eq!(me["isapiagent"], false);
    assert_eq!(me["is_agent"], true);
}

#[tokio::test]
async fn instance_info() {
    let sb = start().await;
    let body = client_credentials(&sb, "all").await;
    let (status, info) = get(&sb, "/api/InstanceInfo", Some(access(&body))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["app_name"], "Halo PSA (sandbox)");
    assert_eq!(info["auth_url"], format!("{}/auth", sb.url()));
    assert_eq!(info["portal_url"], format!("{}/portal", sb.url()));
    assert!(info["app_version"].is_string());
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let sb = start().await;
    let body = client_credentials(&sb, "all").await;
    let (status, body) = get(&sb, "/api/Nothing/Here", Some(access(&body))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["message"],
        "No HTTP resource was found that matches the request URI '/api/Nothing/Here'."
    );
    // Unknown API paths still need a token first.
    assert_eq!(
        get(&sb, "/api/Nothing/Here", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(&sb, "/elsewhere", None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn journal_redacts_secrets() {
    let sb = start().await;
    let body = password(&sb, "all offline_access").await;
    let at = access(&body).to_owned();
    let rt = body["refresh_token"].as_str().unwrap().to_owned();
    refresh(&sb, &rt).await;
    let resp = http()
        .get(format!("{}/api/Agent/me?x=1", sb.url()))
        .bearer_auth(&at)
        .header("X-Custom-Header", "abc")
        .header("X-Api-Key", "hidden-key")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    let journal = sb.journal();
    assert_eq!(journal.len(), 3);
    let dump = serde_json::to_string(&journal).unwrap();
    for secret in [PASSWORD, at.as_str(), rt.as_str(), "hidden-key"] {
        assert!(!dump.contains(secret), "journal leaks {secret}: {dump}");
    }

    let form = journal[0].form.as_ref().unwrap();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("grant_type"), Some("password"));
    assert_eq!(field("username"), Some(USER));
    assert_eq!(field("scope"), Some("all offline_access"));
    assert_eq!(field("password"), Some("[redacted]"));
    assert_eq!(journal[0].query.as_deref(), Some("tenant=sandbox"));
    assert_eq!(journal[0].status, 200);
    let form = journal[1].form.as_ref().unwrap();
    assert!(form.contains(&("refresh_token".into(), "[redacted]".into())));

    let api = &journal[2];
    assert_eq!(api.method, "GET");
    assert_eq!(api.path, "/api/Agent/me");
    assert_eq!(api.query.as_deref(), Some("x=1"));
    assert!(api.form.is_none());
    let header = |name: &str| {
        api.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("authorization"), Some("[redacted]"));
    assert_eq!(header("x-custom-header"), Some("abc"));
    assert_eq!(header("x-api-key"), Some("[redacted]"));

    // The HTTP view matches and is not itself journaled.
    let over_http: Vec<halo_sandbox::JournalEntry> = http()
        .get(format!("{}/_sandbox/requests", sb.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(over_http, journal);
    assert_eq!(sb.journal().len(), 3);
}

#[tokio::test]
async fn stats_count_and_clear() {
    let sb = start().await;
    let body = client_credentials(&sb, "all").await;
    get(&sb, "/api/authinfo", None).await;
    get(&sb, "/api/Agent/me", Some(access(&body))).await;
    get(&sb, "/api/Agent/me", None).await;
    token(
        &sb,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    get(&sb, "/elsewhere", None).await;

    let stats = sb.stats();
    assert_eq!(stats.requests, 6);
    assert_eq!(stats.token_requests, 2);
    assert_eq!(stats.api_requests, 3);
    assert_eq!(stats.unauthorized, 2);

    let over_http: Value = http()
        .get(format!("{}/_SANDBOX/stats", sb.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(over_http["requests"], 6);
    assert_eq!(over_http["token_requests"], 2);

    sb.clear_journal();
    let s = sb.stats();
    assert_eq!(
        (s.requests, s.token_requests, s.api_requests, s.unauthorized),
        (0, 0, 0, 0)
    );
    assert!(sb.journal().is_empty());

    get(&sb, "/api/authinfo", None).await;
    let resp = http()
        .post(format!("{}/_sandbox/clear-journal", sb.url()))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(sb.stats().requests, 0);
}

#[tokio::test(flavor = "current_thread")]
async fn shutdown_stops_the_server() {
    let sb = start().await;
    let url = sb.url();
    // Keep a pooled keep-alive connection open across the shutdown.
    let client = http();
    let resp = client
        .get(format!("{url}/api/authinfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    tokio::time::timeout(Duration::from_secs(3), sb.shutdown())
        .await
        .expect("shutdown is prompt");
    assert!(
        http()
            .get(format!("{url}/api/authinfo"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn drop_stops_the_server() {
    let sb = start().await;
    let url = sb.url();
    drop(sb);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        http()
            .get(format!("{url}/api/authinfo"))
            .send()
            .await
            .is_err()
    );
}
