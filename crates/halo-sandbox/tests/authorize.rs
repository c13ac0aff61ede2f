//! The interactive sign-in (authorization code + PKCE), refresh rotation with a grace, and
//! revocation, over raw HTTP with redirects not followed.

use std::time::Duration;

use halo_sandbox::{Sandbox, SandboxConfig, SandboxUser};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::Value;
use url::Url;

const NATIVE: &str = "halo-sandbox-native";
const CLIENT: &str = "halo-sandbox-client";
const SECRET: &str = "halo-sandbox-secret";
const USER: &str = "agent@sandbox.local";
const PASSWORD: &str = "sandbox-password";
/// The pair of RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// A loopback redirect on a port of the client's choosing (registered without one).
const REDIRECT: &str = "http://127.0.0.1:53682/callback";
/// A state that only survives if echoed exactly.
const STATE: &str = "a b&c=d/é+%";

struct Desk {
    sb: Sandbox,
    http: reqwest::Client,
}

/// An authorization request's query: the defaults with `changes` applied (`None` drops one).
fn query(changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", NATIVE),
        ("redirect_uri", REDIRECT),
        ("scope", "all offline_access"),
        ("state", STATE),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("tenant", "sandbox"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (name, value) in changes {
        pairs.retain(|(k, _)| k != name);
        if let Some(value) = value {
            pairs.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    pairs
}

/// The value of `<input type="hidden" name="NAME" value="V">` in a page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("<input type=\"hidden\" name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_owned())
}

/// The query value `name` of a `Location`.
fn param(location: &Url, name: &str) -> Option<String> {
    location
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

impl Desk {
    async fn start(config: SandboxConfig) -> Desk {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Desk {
            sb: Sandbox::start(config).await.unwrap(),
            http,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.url())
    }

    /// `GET /auth/authorize` with `query`.
    async fn authorize(&self, query: &[(String, String)]) -> reqwest::Response {
        self.http
            .get(self.url("/auth/authorize"))
            .query(query)
            .send()
            .await
            .unwrap()
    }

    /// The sign-in page's `request` id for `query`.
    async fn request(&self, query: &[(String, String)]) -> String {
        let resp = self.authorize(query).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let html = resp.text().await.unwrap();
        hidden(&html, "request").expect(&html)
    }

    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    async fn sign_in(&self, request: &str, user: &str, password: &str) -> (StatusCode, String) {
        let resp = self
            .post_form(
                "/auth/authorize",
                &[
                    ("request", request),
                    ("username", user),
                    ("password", password),
                ],
            )
            .await;
        (resp.status(), resp.text().await.unwrap())
    }

    async fn decide(&self, request: &str, decision: &str) -> reqwest::Response {
        self.post_form(
            "/auth/authorize",
            &[("request", request), ("decision", decision)],
        )
        .await
    }

    /// The whole dance for `query` as `user`: the redirect the sandbox answers `allow` with.
    async fn allowed(&self, query: &[(String, String)], user: &str, password: &str) -> Url {
        let request = self.request(query).await;
        let (status, consent) = self.sign_in(&request, user, password).await;
        assert_eq!(status, StatusCode::OK, "{consent}");
        assert_eq!(hidden(&consent, "request").as_deref(), Some(&*request));
        let resp = self.decide(&request, "allow").await;
        assert_eq!(resp.status(), StatusCode::FOUND);
        location(&resp)
    }

    /// A code for the default query, signed in as the default agent.
    async fn code(&self) -> String {
        let back = self.allowed(&query(&[]), USER, PASSWORD).await;
        param(&back, "code").unwrap()
    }

    async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let resp = self.post_form("/auth/token?tenant=sandbox", form).await;
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    /// Exchanges `code` for the native client with `verifier` and `redirect_uri`.
    async fn exchange(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", NATIVE),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .await
    }

    /// Tokens for the native client through the whole dance.
    async fn tokens(&self) -> Value {
        let code = self.code().await;
        let (status, body) = self.exchange(&code, VERIFIER, REDIRECT).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("client_id", NATIVE),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// `GET /api/Agent/me` with `access_token`.
    async fn me(&self, access_token: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .get(self.url("/api/Agent/me"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn location(resp: &reqwest::Response) -> Url {
    let location = resp.headers()[LOCATION].to_str().unwrap();
    Url::parse(location).unwrap()
}

fn text(body: &Value, field: &str) -> String {
    body[field].as_str().expect(field).to_owned()
}

fn assert_invalid_grant(answer: (StatusCode, Value)) -> String {
    assert_eq!(answer.0, StatusCode::BAD_REQUEST, "{}", answer.1);
    assert_eq!(answer.1["error"], "invalid_grant", "{}", answer.1);
    text(&answer.1, "error_description")
}

/// Asserts a refused authorization request came back to the redirect URI with `error` and
/// the state.
async fn assert_sent_back(desk: &Desk, changes: &[(&str, Option<&str>)], error: &str) {
    let resp = desk.authorize(&query(changes)).await;
    assert_eq!(resp.status(), StatusCode::FOUND, "{changes:?}");
    let back = location(&resp);
    assert_eq!(
        (back.host_str(), back.port(), back.path()),
        (Some("127.0.0.1"), Some(53682), "/callback")
    );
    assert_eq!(param(&back, "error").as_deref(), Some(error), "{changes:?}");
    assert!(param(&back, "error_description").is_some());
    assert_eq!(param(&back, "state").as_deref(), Some(STATE));
    assert_eq!(param(&back, "code"), None);
}

/// Asserts `query` gets a 400 page (no redirect) mentioning `words`.
async fn assert_page(desk: &Desk, query: &[(String, String)], words: &str) {
    let resp = desk.authorize(query).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{query:?}");
    assert!(resp.headers().get(LOCATION).is_none(), "{query:?}");
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains(words), "{html}");
}

#[tokio::test]
async fn the_native_client_signs_an_agent_in_and_its_token_is_that_agents() {
    let desk = Desk::start(SandboxConfig::default()).await;
    let resp = desk.authorize(&query(&[])).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.unwrap();
    assert!(page.contains("<form method=\"post\" action=\"/auth/authorize\">"));
    assert!(page.contains("name=\"username\"") && page.contains("type=\"password\""));
    assert!(
        page.contains(NATIVE) && page.contains("offline_access"),
        "{page}"
    );
    let request = hidden(&page, "request").unwrap();

    let (status, consent) = desk.sign_in(&request, USER, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(consent.contains("Sandbox Agent"), "{consent}");
    assert!(consent.contains("name=\"decision\" value=\"allow\""));
    assert!(consent.contains("name=\"decision\" value=\"deny\""));
    assert_eq!(hidden(&consent, "request"), Some(request.clone()));

    let resp = desk.decide(&request, "allow").await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let back = location(&resp);
    assert_eq!(
        (back.scheme(), back.host_str(), back.port(), back.path()),
        ("http", Some("127.0.0.1"), Some(53682), "/callback")
    );
    assert_eq!(param(&back, "state").as_deref(), Some(STATE));
    let code = param(&back, "code").unwrap();

    let (status, body) = desk.exchange(&code, VERIFIER, REDIRECT).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "all offline_access");
    assert!(body["refresh_token"].is_string());
    let (status, me) = desk.me(&text(&body, "access_token")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], 2);
    assert_eq!(me["name"], "Sandbox Agent");
    assert_eq!(me["isapiagent"], false);

    let resp = desk.decide(&request, "allow").await;
    assert_eq!(
        resp.status(),
        StatusCode::BAD_REQUEST,
        "the request is single use"
    );
}

#[tokio::test]
async fn the_confidential_client_signs_in_on_ipv6_loopback_with_its_secret() {
    let mut config = SandboxConfig::default();
    config.users.push(SandboxUser {
        username: "ops@sandbox.local".into(),
        password: "ops-password".into(),
        agent_id: 7,
        name: "Ops Agent".into(),
    });
    let desk = Desk::start(config).await;
    let redirect = "http://[::1]:61000/callback";
    let asked = query(&[
        ("client_id", Some(CLIENT)),
        ("redirect_uri", Some(redirect)),
        ("scope", Some("read:tickets")),
        ("state", None),
    ]);
    let back = desk
        .allowed(&asked, "ops@sandbox.local", "ops-password")
        .await;
    assert_eq!(back.host_str(), Some("[::1]"));
    assert_eq!(param(&back, "state"), None, "no state sent, none echoed");
    let code = param(&back, "code").unwrap();
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT),
        ("code", code.as_str()),
        ("redirect_uri", redirect),
        ("code_verifier", VERIFIER),
    ];
    let (status, body) = desk.token(&form).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::UNAUTHORIZED, &Value::from("invalid_client"))
    );
    form.push(("client_secret", SECRET));
    let (status, body) = desk.token(&form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "read:tickets");
    assert!(
        body.get("refresh_token").is_none_or(Value::is_null),
        "{body}"
    );
    let (_, me) = desk.me(&text(&body, "access_token")).await;
    assert_eq!(
        (&me["id"], &me["name"]),
        (&Value::from(7), &Value::from("Ops Agent"))
    );
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_the_tokens_it_gave() {
    let desk = Desk::start(SandboxConfig::default()).await;
    let code = desk.code().await;
    let (status, first) = desk.exchange(&code, VERIFIER, REDIRECT).await;
    assert_eq!(status, StatusCode::OK);
    let access = text(&first, "access_token");
    assert_eq!(desk.me(&access).await.0, StatusCode::OK);
    let why = assert_invalid_grant(desk.exchange(&code, VERIFIER, REDIRECT).await);
    assert!(why.contains("already been used"), "{why}");
    assert_eq!(desk.me(&access).await.0, StatusCode::UNAUTHORIZED);
    assert_invalid_grant(desk.refresh(&text(&first, "refresh_token")).await);
}

#[tokio::test]
async fn a_wrong_verifier_or_redirect_uri_or_client_gets_no_token() {
    let desk = Desk::start(SandboxConfig::default()).await;
    let code = desk.code().await;
    let other_verifier = "a".repeat(43);
    let why = assert_invalid_grant(desk.exchange(&code, &other_verifier, REDIRECT).await);
    assert!(why.contains("code_verifier"), "{why}");
    assert_invalid_grant(desk.exchange(&code, CHALLENGE, REDIRECT).await);
    let why = assert_invalid_grant(
        desk.exchange(&code, VERIFIER, "http://127.0.0.1:53683/callback")
            .await,
    );
    assert!(why.contains("redirect_uri"), "{why}");
    let (status, body) = desk
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT),
            ("client_secret", SECRET),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_invalid_grant((status, body));
    assert_invalid_grant(desk.exchange("no-such-code", VERIFIER, REDIRECT).await);
    // None of the refusals used the code up.
    assert_eq!(
        desk.exchange(&code, VERIFIER, REDIRECT).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let desk = Desk::start(SandboxConfig {
        code_ttl: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await;
    let code = desk.code().await;
    let why = assert_invalid_grant(desk.exchange(&code, VERIFIER, REDIRECT).await);
    assert!(why.contains("expired"), "{why}");
}

#[tokio::test]
async fn an_untrusted_client_or_redirect_uri_gets_a_page_never_a_redirect() {
    let desk = Desk::start(SandboxConfig::default()).await;
    let evil = "https://evil.example/callback";
    assert_page(
        &desk,
        &query(&[("redirect_uri", Some(evil))]),
        "redirect_uri",
    )
    .await;
    let other_path = "http://127.0.0.1:53682/other";
    assert_page(
        &desk,
        &query(&[("redirect_uri", Some(other_path))]),
        "redirect_uri",
    )
    .await;
    assert_page(&desk, &query(&[("redirect_uri", None)]), "redirect_uri").await;
    assert_page(&desk, &query(&[("client_id", Some("nobody"))]), "nobody").await;
    assert_page(&desk, &query(&[("client_id", None)]), "client_id").await;
    // Even a request that is wrong in other ways too: the redirect URI is not trusted.
    let both = query(&[
        ("redirect_uri", Some(evil)),
        ("response_type", Some("token")),
    ]);
    assert_page(&desk, &both, "redirect_uri").await;
}

#[tokio::test]
async fn other_refusals_go_back_to_the_client_with_the_state() {
    let desk = Desk::start(SandboxConfig::default()).await;
    assert_sent_back(
        &desk,
        &[("code_challenge_method", Some("plain"))],
        "invalid_request",
    )
    .await;
    assert_sent_back(&desk, &[("code_challenge_method", None)], "invalid_request").await;
    assert_sent_back(&desk, &[("code_challenge", None)], "invalid_request").await;
    let short = &CHALLENGE[..42];
    assert_sent_back(&desk, &[("code_challenge", Some(short))], "invalid_request").await;
    assert_sent_back(
        &desk,
        &[("response_type", Some("token"))],
        "unsupported_response_type",
    )
    .await;
    assert_sent_back(&desk, &[("response_type", None)], "invalid_request").await;
    assert_sent_back(
        &desk,
        &[("scope", Some("all read:actions"))],
        "invalid_scope",
    )
    .await;
    assert_sent_back(&desk, &[("tenant", Some("elsewhere"))], "invalid_request").await;
    assert_sent_back(&desk, &[("tenant", None)], "invalid_request").await;
}

#[tokio::test]
async fn deny_sends_access_denied_and_ends_the_request() {
    let desk = Desk::start(SandboxConfig::default()).await;
    let request = desk.request(&query(&[])).await;
    desk.sign_in(&request, USER, PASSWORD).await;
    let resp = desk.decide(&request, "deny").await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let back = location(&resp);
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&back, "state").as_deref(), Some(STATE));
    assert_eq!(param(&back, "code"), None);
    assert_eq!(
        desk.decide(&request, "allow").await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_failed_sign_in_shows_the_page_again_and_tells_nothing() {
    let desk = Desk::start(SandboxConfig::default()).await;
    let request = desk.request(&query(&[])).await;
    let (status, wrong_password) = desk.sign_in(&request, USER, "nope").await;
    assert_eq!(status, StatusCode::OK);
    assert!(wrong_password.contains("incorrect"), "{wrong_password}");
    assert_eq!(hidden(&wrong_password, "request"), Some(request.clone()));
    let (_, unknown_user) = desk.sign_in(&request, "nobody@x", PASSWORD).await;
    assert_eq!(unknown_user, wrong_password);
    let resp = desk.decide(&request, "allow").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "not signed in yet");
    assert!(resp.headers().get(LOCATION).is_none());
    let (status, consent) = desk.sign_in(&request, USER, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(consent.contains("Sandbox Agent"));
    let (status, page) = desk.sign_in("no-such-request", USER, PASSWORD).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("unknown or has expired"), "{page}");
}

#[tokio::test]
async fn rotation_without_grace_refuses_the_old_refresh_token() {
    let desk = Desk::start(SandboxConfig {
        rotate_refresh_tokens: true,
        refresh_grace: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await;
    let old = text(&desk.tokens().await, "refresh_token");
    let (status, rotated) = desk.refresh(&old).await;
    assert_eq!(status, StatusCode::OK);
    let new = text(&rotated, "refresh_token");
    assert_ne!(new, old);
    assert_invalid_grant(desk.refresh(&old).await);
    assert_eq!(desk.refresh(&new).await.0, StatusCode::OK);
}

#[tokio::test]
async fn rotation_with_a_grace_answers_the_old_token_with_the_newest_pair() {
    let desk = Desk::start(SandboxConfig {
        rotate_refresh_tokens: true,
        refresh_grace: Duration::from_secs(600),
        ..SandboxConfig::default()
    })
    .await;
    let first = desk.tokens().await;
    let old = text(&first, "refresh_token");
    let pair = |body: &Value| (text(body, "access_token"), text(body, "refresh_token"));
    let (_, rotated) = desk.refresh(&old).await;
    let newer = pair(&rotated);
    assert_ne!(newer.1, old);
    let (status, again) = desk.refresh(&old).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(pair(&again), newer, "the same pair, not another");
    let (_, next) = desk.refresh(&newer.1).await;
    let newest = pair(&next);
    assert_ne!(newest.1, newer.1);
    assert_eq!(pair(&desk.refresh(&old).await.1), newest);
    assert_eq!(pair(&desk.refresh(&newer.1).await.1), newest);
    assert_eq!(desk.me(&newest.0).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_revoked_refresh_token_is_refused_afterwards() {
    let desk = Desk::start(SandboxConfig::default()).await;
    let body = desk.tokens().await;
    let (access, refresh) = (text(&body, "access_token"), text(&body, "refresh_token"));
    let (_, refreshed) = desk.refresh(&refresh).await;
    let later_access = text(&refreshed, "access_token");

    let resp = desk
        .post_form(
            "/auth/revoke?tenant=sandbox",
            &[
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("token", &refresh),
            ],
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "another client's token is not revoked"
    );
    assert_eq!(desk.refresh(&refresh).await.0, StatusCode::OK);

    let resp = desk
        .post_form(
            "/auth/revoke?tenant=sandbox",
            &[
                ("client_id", NATIVE),
                ("token", &refresh),
                ("token_type_hint", "refresh_token"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "");
    assert_invalid_grant(desk.refresh(&refresh).await);
    assert_eq!(desk.me(&access).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(desk.me(&later_access).await.0, StatusCode::UNAUTHORIZED);

    let resp = desk
        .post_form(
            "/auth/revoke?tenant=sandbox",
            &[("client_id", NATIVE), ("token", "never-issued")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = desk
        .post_form(
            "/auth/revoke?tenant=sandbox",
            &[
                ("client_id", CLIENT),
                ("client_secret", "wrong"),
                ("token", "x"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = desk
        .post_form("/auth/revoke?tenant=sandbox", &[("client_id", NATIVE)])
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_journal_redacts_password_code_verifier_and_tokens() {
    let desk = Desk::start(SandboxConfig::default()).await;
    let request = desk.request(&query(&[])).await;
    desk.sign_in(&request, USER, PASSWORD).await;
    let back = location(&desk.decide(&request, "allow").await);
    let code = param(&back, "code").unwrap();
    let (_, body) = desk.exchange(&code, VERIFIER, REDIRECT).await;
    let refresh = text(&body, "refresh_token");
    desk.refresh(&refresh).await;
    desk.post_form(
        "/auth/revoke?tenant=sandbox",
        &[("client_id", NATIVE), ("token", &refresh)],
    )
    .await;

    let journal = desk.sb.journal();
    let field = |path: &str, name: &str| -> Vec<String> {
        journal
            .iter()
            .filter(|e| e.method == "POST" && e.path == path)
            .flat_map(|e| e.form.iter().flatten())
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    assert_eq!(field("/auth/authorize", "password"), ["[redacted]"]);
    assert_eq!(field("/auth/authorize", "username"), [USER]);
    assert_eq!(field("/auth/authorize", "decision"), ["allow"]);
    assert_eq!(field("/auth/token", "code"), ["[redacted]"]);
    assert_eq!(field("/auth/token", "code_verifier"), ["[redacted]"]);
    assert_eq!(field("/auth/token", "redirect_uri"), [REDIRECT]);
    assert_eq!(field("/auth/token", "refresh_token"), ["[redacted]"]);
    assert_eq!(field("/auth/revoke", "token"), ["[redacted]"]);
    let authorize = journal
        .iter()
        .find(|e| e.method == "GET" && e.path == "/auth/authorize")
        .unwrap();
    assert_eq!(authorize.status, 200);
    assert!(
        authorize
            .query
            .as_deref()
            .unwrap()
            .contains("code_challenge=")
    );
    let everything = serde_json::to_string(&journal).unwrap();
    for secret in [PASSWORD, code.as_str(), VERIFIER, refresh.as_str()] {
        assert!(!everything.contains(secret), "{secret} in the journal");
    }
}
