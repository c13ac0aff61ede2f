//! Configuration of a sandbox instance: its OAuth clients, its agents, its tenant and token policy.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// How a [`crate::Sandbox`] behaves.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Registered API applications.
    pub clients: Vec<SandboxClient>,
    /// Agents that may log in with the password grant or the interactive sign-in.
    pub users: Vec<SandboxUser>,
    /// Tenant required on token requests; `None` accepts (and ignores) any tenant.
    pub tenant: Option<String>,
    /// Lifetime of access tokens.
    pub token_ttl: Duration,
    /// When true, each refresh issues a new refresh token and retires the old one.
    pub rotate_refresh_tokens: bool,
    /// How long a refresh token retired by a rotation still works (answering with the newest
    /// pair of its chain) before it is refused as `invalid_grant`. Halo's own behaviour is not
    /// known (reference §2.7).
    pub refresh_grace: Duration,
    /// How long an authorization code may wait before it is exchanged (RFC 6749 §4.1.2
    /// recommends at most ten minutes; Halo's own limit is not public).
    pub code_ttl: Duration,
    /// When false, `GET /api/authinfo` answers 404.
    pub authinfo_enabled: bool,
    /// Where the data lives (`sandbox.db`); `None` keeps it in memory.
    pub data_dir: Option<PathBuf>,
    /// Tickets seeded into an empty store (with clients, sites, users, assets... to match).
    pub seed_tickets: u64,
    /// Largest page served (`/Asset` is always 50).
    pub page_cap: u32,
    /// Halo's hosted rate limit, a rolling window per client; `None` is unlimited.
    pub rate_limit: Option<RateLimit>,
    /// Injected faults, for testing clients.
    pub faults: Faults,
    /// Receivers of ticket webhooks, besides the active `Webhook` objects stored through the API.
    pub webhooks: Vec<WebhookTarget>,
    /// How webhook deliveries are retried.
    pub webhook_retry: WebhookRetry,
    /// Largest accepted API request body, in bytes.
    pub body_limit: usize,
    /// Most objects one POST may carry (a larger array is refused whole); 0 is no limit.
    /// Nothing public says how many Halo accepts (reference §13.1).
    pub max_post_items: usize,
    /// Largest attachment accepted, in bytes (decoded). Halo's own limit is not public
    /// (reference §13.3): over it the sandbox answers 413.
    pub max_attachment_bytes: usize,
}

/// A rolling-window rate limit: at most `requests` in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window's length.
    pub window: Duration,
}

impl RateLimit {
    /// Halo's hosted limit: 300 requests per rolling 5 minutes.
    pub const HOSTED: RateLimit = RateLimit {
        requests: 300,
        window: Duration::from_secs(300),
    };

    /// Parses `N/SECSs` or `N/SECS` (e.g. `300/300s`).
    pub fn parse(text: &str) -> Result<RateLimit, String> {
        halopsa::limiter::parse_rate(text).map(|(requests, window)| RateLimit { requests, window })
    }
}

/// Faults injected into API and token responses, reproducible from `seed`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// Share of requests answered 500, 502 or 503 (some with HTML bodies).
    pub fail_rate: f64,
    /// Share of responses whose connection is dropped mid-body.
    pub reset_rate: f64,
    /// Delay added before every response.
    pub latency: Duration,
    /// Seed of the fault sequence.
    pub seed: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            fail_rate: 0.0,
            reset_rate: 0.0,
            latency: Duration::ZERO,
            seed: 1,
        }
    }
}

impl Faults {
    /// Whether any fault is configured.
    pub fn any(&self) -> bool {
        self.fail_rate > 0.0 || self.reset_rate > 0.0 || !self.latency.is_zero()
    }
}

/// How a webhook delivery that failed (a status other than 2xx, or no answer) is tried again.
/// Halo's own schedule is not public (reference §13.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookRetry {
    /// Attempts per delivery, the first included (0 is read as 1).
    pub attempts: u32,
    /// The wait after the first failed attempt, doubled after each further one (at most a
    /// minute).
    pub backoff: Duration,
    /// How long one attempt may take, connecting included.
    pub timeout: Duration,
}

impl Default for WebhookRetry {
    fn default() -> Self {
        WebhookRetry {
            attempts: 5,
            backoff: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
        }
    }
}

impl WebhookRetry {
    /// The wait after failed attempt `n` (1 for the first).
    pub fn wait_after(&self, n: u32) -> Duration {
        let doubled = self
            .backoff
            .saturating_mul(1u32 << n.saturating_sub(1).min(16));
        doubled.min(Duration::from_secs(60))
    }
}

/// Where ticket webhooks are posted.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// The payload URL.
    pub url: String,
    /// HTTP Basic credentials, if any.
    pub basic: Option<(String, String)>,
}

impl WebhookTarget {
    /// Parses `URL` or `URL,basic user:pass`.
    pub fn parse(text: &str) -> Result<WebhookTarget, String> {
        let (url, auth) = match text.split_once(',') {
            Some((u, a)) => (u.trim(), Some(a.trim())),
            None => (text.trim(), None),
        };
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "webhook URL '{url}' must start with http:// or https://"
            ));
        }
        let basic = match auth {
            None => None,
            Some(a) => {
                let creds = a
                    .strip_prefix("basic ")
                    .and_then(|c| c.split_once(':'))
                    .ok_or_else(|| format!("'{a}' is not 'basic user:pass'"))?;
                Some((creds.0.to_string(), creds.1.to_string()))
            }
        };
        Ok(WebhookTarget {
            url: url.to_string(),
            basic,
        })
    }
}

impl fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("url", &self.url)
            .field(
                "basic",
                &self.basic.as_ref().map(|(u, _)| (u, "[redacted]")),
            )
            .finish()
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            clients: vec![
                SandboxClient {
                    id: "halo-sandbox-client".into(),
                    secret: Some("halo-sandbox-secret".into()),
                    allowed_scopes: None,
                    redirect_uris: loopback_redirect_uris(),
                },
                SandboxClient {
                    id: NATIVE_CLIENT_ID.into(),
                    secret: None,
                    allowed_scopes: None,
                    redirect_uris: loopback_redirect_uris(),
                },
            ],
            users: vec![SandboxUser {
                username: "agent@sandbox.local".into(),
                password: "sandbox-password".into(),
                agent_id: 2,
                name: "Sandbox Agent".into(),
            }],
            tenant: Some("sandbox".into()),
            token_ttl: Duration::from_secs(3600),
            rotate_refresh_tokens: false,
            refresh_grace: Duration::from_secs(10),
            code_ttl: Duration::from_secs(60),
            authinfo_enabled: true,
            data_dir: None,
            seed_tickets: 300,
            page_cap: 100,
            rate_limit: None,
            faults: Faults::default(),
            webhooks: Vec::new(),
            webhook_retry: WebhookRetry::default(),
            body_limit: 4 * 1024 * 1024,
            max_post_items: 100,
            max_attachment_bytes: 25 * 1024 * 1024,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("clients", &self.clients)
            .field("users", &self.users)
            .field("tenant", &self.tenant)
            .field("token_ttl", &self.token_ttl)
            .field("rotate_refresh_tokens", &self.rotate_refresh_tokens)
            .field("refresh_grace", &self.refresh_grace)
            .field("code_ttl", &self.code_ttl)
            .field("authinfo_enabled", &self.authinfo_enabled)
            .field("data_dir", &self.data_dir)
            .field("seed_tickets", &self.seed_tickets)
            .field("page_cap", &self.page_cap)
            .field("rate_limit", &self.rate_limit)
            .field("faults", &self.faults)
            .field("webhooks", &self.webhooks)
            .field("webhook_retry", &self.webhook_retry)
            .field("max_post_items", &self.max_post_items)
            .field("max_attachment_bytes", &self.max_attachment_bytes)
            .finish()
    }
}

/// The id of the default configuration's native application (no secret).
pub const NATIVE_CLIENT_ID: &str = "halo-sandbox-native";

/// The loopback redirect URIs the default clients register (any port matches, RFC 8252 §7.3).
pub const LOOPBACK_REDIRECT_URIS: &[&str] = &["http://127.0.0.1/callback", "http://[::1]/callback"];

/// [`LOOPBACK_REDIRECT_URIS`] as owned strings, for a [`SandboxClient`].
pub fn loopback_redirect_uris() -> Vec<String> {
    LOOPBACK_REDIRECT_URIS
        .iter()
        .map(|u| (*u).to_owned())
        .collect()
}

/// A registered API application.
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxClient {
    /// The `client_id`.
    pub id: String,
    /// The `client_secret`; a client without one cannot use `client_credentials`.
    pub secret: Option<String>,
    /// Scopes this client may request (`offline_access` is always allowed); `None` means any.
    pub allowed_scopes: Option<Vec<String>>,
    /// Registered redirect URIs for the authorization code grant: a loopback one
    /// (`http://127.0.0.1/…`, `http://[::1]/…`) matches any port, others must match exactly.
    pub redirect_uris: Vec<String>,
}

impl fmt::Debug for SandboxClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxClient")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("allowed_scopes", &self.allowed_scopes)
            .field("redirect_uris", &self.redirect_uris)
            .finish()
    }
}

/// An agent who can log in with the password grant or the interactive sign-in.
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxUser {
    /// Login name (also reported as the agent's email).
    pub username: String,
    /// Password.
    pub password: String,
    /// The agent's id.
    pub agent_id: i64,
    /// The agent's display name.
    pub name: String,
}

impl fmt::Debug for SandboxUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxUser")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("agent_id", &self.agent_id)
            .field("name", &self.name)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let shown = format!("{:?}", SandboxConfig::default());
        assert!(!shown.contains("halo-sandbox-secret"), "{shown}");
        assert!(!shown.contains("sandbox-password"), "{shown}");
        assert!(shown.contains("halo-sandbox-client"), "{shown}");
        let hook = WebhookTarget::parse("http://127.0.0.1:9/h,basic u:p4ss").unwrap();
        assert!(!format!("{hook:?}").contains("p4ss"));
    }

    #[test]
    fn parses_rate_limits_and_webhooks() {
        assert_eq!(RateLimit::parse("300/300s").unwrap(), RateLimit::HOSTED);
        assert_eq!(
            RateLimit::parse("30/3").unwrap().window,
            Duration::from_secs(3)
        );
        for bad in ["", "300", "0/5s", "x/5s", "5/0s"] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
        let hook = WebhookTarget::parse("https://x.example/h,basic me:pw").unwrap();
        assert_eq!(hook.basic, Some(("me".into(), "pw".into())));
        assert!(WebhookTarget::parse("ftp://x").is_err());
        assert!(WebhookTarget::parse("http://x,bearer t").is_err());
    }

    #[test]
    fn retry_waits_double_up_to_a_minute() {
        let retry = WebhookRetry {
            backoff: Duration::from_secs(2),
            ..WebhookRetry::default()
        };
        let waits: Vec<u64> = (1..=7).map(|n| retry.wait_after(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(retry.wait_after(u32::MAX), Duration::from_secs(60));
    }
}
