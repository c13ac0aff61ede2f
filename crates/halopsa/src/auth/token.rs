//! The token lifecycle: one place owns the token, refreshes it early, and refreshes it once.

use crate::auth::pkce::{self, AuthorizeRequest, Pkce};
use crate::auth::wire::{
    AuthInfo, GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_PASSWORD,
    GRANT_REFRESH_TOKEN, OAuthErrorBody, TokenRequestForm, TokenResponse,
};
use crate::error::{AuthError, Error, cut, looks_like_html, strip_tags};
use crate::settings::{ConnectionSettings, Grant};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Mutex, OnceCell};
use tracing::{debug, trace};
use url::Url;

/// Default lifetime when the server omits `expires_in` (Halo's is 3600 s).
const DEFAULT_LIFETIME: u64 = 3600;

/// A token as kept between requests (and, through a [`TokenStore`], between runs).
#[derive(Clone)]
pub struct CachedToken {
    /// The bearer token.
    pub access_token: SecretString,
    /// The refresh token, when the server gave one.
    pub refresh_token: Option<SecretString>,
    /// Expiry, in seconds since the Unix epoch.
    pub expires_at: u64,
    /// The lifetime the server granted, in seconds.
    pub lifetime: u64,
    /// The scopes granted, space-separated.
    pub scope: String,
    /// [`ConnectionSettings::fingerprint`] of the settings it was minted for.
    pub fingerprint: String,
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl CachedToken {
    /// Seconds left before expiry (0 when expired).
    pub fn remaining(&self) -> u64 {
        self.expires_at.saturating_sub(now_unix())
    }

    /// Notes the token's secrets for [`crate::redact::scrub`].
    fn remember(&self) {
        crate::redact::remember(self.access_token.expose_secret());
        if let Some(r) = &self.refresh_token {
            crate::redact::remember(r.expose_secret());
        }
    }

    /// Whether the token is expired or close enough to expiry to renew it now.
    ///
    /// The margin is the configured one (60 s by default) but never more than half the
    /// token's lifetime, so short-lived tokens are not renewed on every request.
    pub fn needs_renewal(&self, margin: Duration) -> bool {
        let margin = margin.as_secs().min(self.lifetime / 2);
        now_unix() + margin >= self.expires_at
    }
}

/// Keeps a token between runs (the CLI stores it in a 0600 file per profile).
pub trait TokenStore: Send + Sync {
    /// The stored token, if any.
    fn load(&self) -> Option<CachedToken>;
    /// Stores a new token.
    fn save(&self, token: &CachedToken);
    /// Forgets the stored token.
    fn clear(&self);
    /// Holds every other user of this store off until the guard is dropped, where the store
    /// is shared between processes (the CLI's: a file lock beside the cache), so that they
    /// renew one at a time and none spends a refresh token another has just replaced. It may
    /// block; `None` (the default) where the store is not shared.
    fn lock(&self) -> Option<Box<dyn Send>> {
        None
    }
}

/// Where tokens are minted.
#[derive(Debug, Clone)]
pub struct TokenEndpoint {
    /// The token URL, `?tenant=` included when a tenant is known.
    pub url: Url,
    /// The tenant sent.
    pub tenant: Option<String>,
    /// Whether `GET /api/authinfo` supplied it (false: explicit URL or the fallback).
    pub discovered: bool,
}

pub(crate) struct TokenManager {
    settings: ConnectionSettings,
    http: reqwest::Client,
    endpoint: OnceCell<TokenEndpoint>,
    slot: Mutex<Slot>,
    store: Option<Arc<dyn TokenStore>>,
    margin: Duration,
    shared: Arc<crate::client::Resilience>,
}

#[derive(Default)]
struct Slot {
    token: Option<CachedToken>,
    store_read: bool,
}

impl TokenManager {
    pub(crate) fn new(
        settings: ConnectionSettings,
        http: reqwest::Client,
        store: Option<Arc<dyn TokenStore>>,
        margin: Duration,
        shared: Arc<crate::client::Resilience>,
    ) -> TokenManager {
        TokenManager {
            settings,
            http,
            endpoint: OnceCell::new(),
            slot: Mutex::new(Slot::default()),
            store,
            margin,
            shared,
        }
    }

    /// A token fit for use. `rejected` is a token the API just answered 401 to: if it is still
    /// the current one it is renewed, otherwise another caller renewed it already.
    ///
    /// The slot's lock is held across the token request, so concurrent callers share one
    /// request (single flight).
    pub(crate) async fn token(
        &self,
        rejected: Option<&SecretString>,
    ) -> Result<CachedToken, Error> {
        let mut slot = self.slot.lock().await;
        if !slot.store_read {
            slot.store_read = true;
            let fingerprint = self.settings.fingerprint();
            slot.token = self
                .store
                .as_ref()
                .and_then(|s| s.load())
                .filter(|t| t.fingerprint == fingerprint);
            if let Some(t) = &slot.token {
                t.remember();
            }
        }
        if let Some(current) = &slot.token {
            let was_rejected =
                rejected.is_some_and(|r| r.expose_secret() == current.access_token.expose_secret());
            if !was_rejected && !current.needs_renewal(self.margin) {
                return Ok(current.clone());
            }
            debug!(
                target: "halopsa::auth",
                "renewing the token ({})",
                if was_rejected { "the API answered 401" } else { "it is about to expire" }
            );
        }
        // One renewal at a time across processes: the holder of the lock reads the store
        // again, since another process may have renewed (and rotated the refresh token)
        // while this one waited.
        let guard = self.lock_store().await;
        if guard.is_some()
            && let Some(stored) = self.load_store()
        {
            stored.remember();
            let rejected_too =
                rejected.is_some_and(|r| r.expose_secret() == stored.access_token.expose_secret());
            if !rejected_too && !stored.needs_renewal(self.margin) {
                slot.token = Some(stored.clone());
                return Ok(stored);
            }
            slot.token = Some(stored);
        }
        let fresh = self.obtain(slot.token.as_ref()).await?;
        self.keep(&mut slot, &fresh);
        drop(guard);
        Ok(fresh)
    }

    /// Keeps a new token: noted for redaction, stored (before anyone uses it, so a rotated
    /// refresh token is never lost), and made current.
    fn keep(&self, slot: &mut Slot, fresh: &CachedToken) {
        fresh.remember();
        if let Some(store) = &self.store {
            store.save(fresh);
        }
        slot.token = Some(fresh.clone());
        slot.store_read = true;
    }

    /// The stored token of these settings, if any.
    fn load_store(&self) -> Option<CachedToken> {
        let fingerprint = self.settings.fingerprint();
        self.store
            .as_ref()
            .and_then(|s| s.load())
            .filter(|t| t.fingerprint == fingerprint)
    }

    /// The store's cross-process lock, taken off the async threads (it may block).
    async fn lock_store(&self) -> Option<Box<dyn Send>> {
        let store = self.store.clone()?;
        tokio::task::spawn_blocking(move || store.lock())
            .await
            .ok()
            .flatten()
    }

    /// The authorize URL of a browser sign-in (the token endpoint discovered first).
    pub(crate) async fn authorize_url(&self, req: &AuthorizeRequest<'_>) -> Result<Url, Error> {
        let endpoint = self.endpoint().await?;
        let url = pkce::authorize_url(
            &endpoint.url,
            self.settings.client_id(),
            &self.settings.scope_string(),
            req,
        );
        self.settings.check_transport(&url)?;
        Ok(url)
    }

    /// Exchanges a sign-in's code for tokens (sent once: a code is single use, so a request
    /// that may have reached the server is never repeated), and keeps them.
    pub(crate) async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce: &Pkce,
    ) -> Result<CachedToken, Error> {
        let mut form = self.form(GRANT_AUTHORIZATION_CODE, None);
        form.code = Some(code.to_string());
        form.redirect_uri = Some(redirect_uri.to_string());
        form.code_verifier = Some(pkce::verifier_text(pkce));
        let t = self.request_as(form, false).await?;
        let fresh = self.cached(t, None);
        let mut slot = self.slot.lock().await;
        self.keep(&mut slot, &fresh);
        Ok(fresh)
    }

    /// Revokes the current refresh token at the authorisation server (RFC 7009; inferred
    /// for Halo): `Ok(false)` when the server offers no revocation (404 or 405).
    pub(crate) async fn revoke(&self) -> Result<bool, Error> {
        let refresh = {
            let slot = self.slot.lock().await;
            slot.token.as_ref().and_then(|t| t.refresh_token.clone())
        }
        .or_else(|| self.load_store().and_then(|t| t.refresh_token))
        .or_else(|| match self.settings.grant() {
            Grant::AuthorizationCode { refresh_token, .. } => refresh_token.clone(),
            _ => None,
        });
        let Some(refresh) = refresh else {
            return Ok(false);
        };
        let endpoint = self.endpoint().await?;
        let url = pkce::revoke_url(&endpoint.url);
        let mut form = vec![
            ("token", refresh.expose_secret().to_string()),
            ("token_type_hint", "refresh_token".to_string()),
            ("client_id", self.settings.client_id().to_string()),
        ];
        if let Some(secret) = self.settings.client_secret() {
            form.push(("client_secret", secret.to_string()));
        }
        debug!(target: "halopsa::http", "POST {url} (revoke)");
        let resp = self.http.post(url.clone()).form(&form).send().await;
        let resp = crate::reply::reply(&url, resp, self.shared.max_response)
            .await
            .map_err(|f| f.error)?;
        match resp.status {
            200..=299 => Ok(true),
            404 | 405 => Ok(false),
            status => Err(AuthError::Rejected {
                status,
                error: "revocation refused".into(),
                description: None,
            }
            .into()),
        }
    }

    /// Forgets the token here and in the store.
    pub(crate) async fn forget(&self) {
        let mut slot = self.slot.lock().await;
        slot.token = None;
        slot.store_read = true;
        if let Some(store) = &self.store {
            store.clear();
        }
    }

    /// The token endpoint if it was needed already (no request is made for it).
    pub(crate) fn known_endpoint(&self) -> Option<&TokenEndpoint> {
        self.endpoint.get()
    }

    /// Where tokens come from, discovering it on first use.
    pub(crate) async fn endpoint(&self) -> Result<&TokenEndpoint, Error> {
        self.endpoint.get_or_try_init(|| self.discover()).await
    }

    async fn discover(&self) -> Result<TokenEndpoint, Error> {
        let s = &self.settings;
        let (base, tenant, discovered) = if let Some(auth) = s.auth_url() {
            (auth.clone(), s.tenant().map(str::to_string), false)
        } else {
            match self.authinfo().await {
                Some(info) => {
                    let base = info
                        .auth_url
                        .as_deref()
                        .and_then(|u| Url::parse(u.trim()).ok())
                        .filter(|u| matches!(u.scheme(), "http" | "https"));
                    match base {
                        Some(base) => {
                            let tenant = s
                                .tenant()
                                .map(str::to_string)
                                .or(info.tenant_id.filter(|t| !t.trim().is_empty()));
                            (base, tenant, true)
                        }
                        None => (
                            s.default_auth_base()?,
                            s.tenant().map(str::to_string),
                            false,
                        ),
                    }
                }
                None => (
                    s.default_auth_base()?,
                    s.tenant().map(str::to_string),
                    false,
                ),
            }
        };
        let mut url = Url::parse(&format!("{}/token", base.as_str().trim_end_matches('/')))
            .map_err(|e| Error::InvalidSettings(format!("bad auth URL '{base}': {e}")))?;
        if let Some(t) = &tenant {
            url.query_pairs_mut().append_pair("tenant", t);
        }
        s.check_transport(&url)?;
        debug!(target: "halopsa::auth", "token endpoint: {url} (discovered: {discovered})");
        Ok(TokenEndpoint {
            url,
            tenant,
            discovered,
        })
    }

    /// `GET /api/authinfo`, retried like any GET on transient failures (429, 5xx, network);
    /// a definitive failure (404, not JSON, retries exhausted) means "use the fallback".
    async fn authinfo(&self) -> Option<AuthInfo> {
        let url = self.settings.api_url("authinfo").ok()?;
        self.settings.check_transport(&url).ok()?;
        let get = || async {
            debug!(target: "halopsa::http", "GET {url}");
            let request = self
                .http
                .get(url.clone())
                .build()
                .map_err(|e| crate::reply::Failed::before(Error::transport(&url, e, false)))?;
            crate::reply::send_within_origin(&self.http, request, self.shared.max_response).await
        };
        match self.shared.retrying("authinfo", true, get).await {
            Ok((resp, _)) if (200..300).contains(&resp.status) => {
                trace!(target: "halopsa::http::body", "authinfo reply: {}", crate::redact::body(&resp.body));
                serde_json::from_slice(&resp.body).ok()
            }
            outcome => {
                let why = match outcome {
                    Ok((resp, _)) => format!("HTTP {}", resp.status),
                    Err(e) => e.to_string(),
                };
                debug!(target: "halopsa::auth", "authinfo unavailable ({why}): using {{instance}}/auth");
                None
            }
        }
    }

    /// Mints a token: with the refresh token when there is one, else with the grant. A
    /// browser sign-in has only its refresh token: when that is refused, the sign-in is over.
    async fn obtain(&self, previous: Option<&CachedToken>) -> Result<CachedToken, Error> {
        let sign_in = match self.settings.grant() {
            Grant::AuthorizationCode { refresh_token, .. } => Some(refresh_token.as_ref()),
            _ => None,
        };
        let refresh = previous
            .and_then(|p| p.refresh_token.as_ref())
            .or(sign_in.flatten());
        if let Some(refresh) = refresh {
            let form = self.form(GRANT_REFRESH_TOKEN, Some(refresh));
            match self.request(form).await {
                Ok(t) => return Ok(self.cached(t, Some(refresh))),
                Err(Error::Auth(AuthError::RefreshRejected { description }))
                    if sign_in.is_some() =>
                {
                    return Err(AuthError::SignInExpired { description }.into());
                }
                Err(Error::Auth(AuthError::RefreshRejected { .. })) => {
                    debug!(target: "halopsa::auth", "refresh token rejected: using the grant again");
                }
                Err(e) => return Err(e),
            }
        }
        if sign_in.is_some() {
            return Err(AuthError::SignInNeeded.into());
        }
        let grant = self.settings.grant().name();
        let form = self.form(grant, None);
        let t = self.request(form).await?;
        Ok(self.cached(t, None))
    }

    fn form(&self, grant_type: &str, refresh: Option<&SecretString>) -> TokenRequestForm {
        let s = &self.settings;
        let mut form = TokenRequestForm {
            grant_type: grant_type.to_string(),
            client_id: s.client_id().to_string(),
            client_secret: s.client_secret().map(str::to_string),
            scope: Some(s.scope_string()),
            ..Default::default()
        };
        match (grant_type, s.grant()) {
            (GRANT_REFRESH_TOKEN, _) => {
                form.refresh_token = refresh.map(|r| r.expose_secret().to_string());
            }
            (
                GRANT_PASSWORD,
                Grant::Password {
                    username, password, ..
                },
            ) => {
                form.username = Some(username.clone());
                form.password = Some(password.expose_secret().to_string());
            }
            _ => {}
        }
        form
    }

    fn cached(&self, t: TokenResponse, previous_refresh: Option<&SecretString>) -> CachedToken {
        let lifetime = t.expires_in.unwrap_or(DEFAULT_LIFETIME);
        CachedToken {
            access_token: SecretString::from(t.access_token),
            // Refresh-token rotation is uncertain: keep the old one if no new one is returned.
            refresh_token: t
                .refresh_token
                .map(SecretString::from)
                .or_else(|| previous_refresh.cloned()),
            expires_at: now_unix() + lifetime,
            lifetime,
            scope: t.scope.unwrap_or_default(),
            fingerprint: self.settings.fingerprint(),
        }
    }

    /// Posts the form within the rate limit, retrying transient failures: a token request is
    /// safe to repeat (it only mints another token), so it is retried like a GET.
    async fn post_with_retries(
        &self,
        url: &Url,
        form: &TokenRequestForm,
        repeatable: bool,
    ) -> Result<crate::ApiResponse, Error> {
        let post = || async {
            crate::client::Counters::add(&self.shared.counters.token_requests, 1);
            let sent = std::time::Instant::now();
            let resp = self.http.post(url.clone()).form(form).send().await;
            let reply = crate::reply::reply(url, resp, self.shared.max_response).await;
            if let Ok(r) = &reply {
                debug!(target: "halopsa::http", "{} POST {} in {} ms", r.status, url.path(), sent.elapsed().as_millis());
            }
            reply
        };
        let (resp, _) = self
            .shared
            .retrying("token request", repeatable, post)
            .await?;
        Ok(resp)
    }

    async fn request(&self, form: TokenRequestForm) -> Result<TokenResponse, Error> {
        self.request_as(form, true).await
    }

    /// A token request, retried on transient failures only when `repeatable`.
    async fn request_as(
        &self,
        form: TokenRequestForm,
        repeatable: bool,
    ) -> Result<TokenResponse, Error> {
        let endpoint = self.endpoint().await?;
        let url = &endpoint.url;
        debug!(target: "halopsa::http", "POST {url} (grant_type={})", form.grant_type);
        trace!(target: "halopsa::http::body", "token request: {form:?}");
        let resp = self.post_with_retries(url, &form, repeatable).await?;
        let (status, bytes) = (resp.status, &resp.body);
        trace!(target: "halopsa::http::body", "token reply: {}", crate::redact::body(bytes));
        if status == 429 {
            return Err(AuthError::RateLimited {
                url: url.to_string(),
            }
            .into());
        }
        if (200..300).contains(&status) {
            return serde_json::from_slice::<TokenResponse>(bytes)
                .map_err(|_| not_json(url, status, bytes).into());
        }
        // A token request is never sent on: it carries the secret (a 307 or 308 would make
        // the HTTP client post it again to wherever the server points).
        if let Some(to) = crate::reply::redirect_target(url, &resp) {
            return Err(AuthError::Redirected {
                url: url.to_string(),
                location: to.to_string(),
            }
            .into());
        }
        let Ok(mut body) = serde_json::from_slice::<OAuthErrorBody>(bytes) else {
            return Err(not_json(url, status, bytes).into());
        };
        // A server may echo the form it was sent: no secret reaches the message.
        body.error = crate::redact::scrub(&body.error).into_owned();
        body.error_description = body
            .error_description
            .map(|d| crate::redact::scrub(&d).into_owned());
        Err(oauth_error(&form, &endpoint.tenant, status, body).into())
    }
}

fn oauth_error(
    form: &TokenRequestForm,
    tenant: &Option<String>,
    status: u16,
    body: OAuthErrorBody,
) -> AuthError {
    let description = body.error_description;
    let mentions_tenant = description
        .as_deref()
        .is_some_and(|d| d.to_ascii_lowercase().contains("tenant"));
    match body.error.as_str() {
        "invalid_client" if form.grant_type == GRANT_PASSWORD => {
            AuthError::SignInRejected { description }
        }
        "invalid_client" => AuthError::InvalidClient { description },
        _ if mentions_tenant => AuthError::UnknownTenant {
            tenant: tenant.clone(),
            description,
        },
        "invalid_grant" if form.grant_type == GRANT_REFRESH_TOKEN => {
            AuthError::RefreshRejected { description }
        }
        "invalid_grant" if form.grant_type == GRANT_PASSWORD => {
            AuthError::InvalidCredentials { description }
        }
        "invalid_grant" if form.grant_type == GRANT_AUTHORIZATION_CODE => {
            AuthError::CodeRejected { description }
        }
        "invalid_scope" => AuthError::InvalidScope {
            requested: form.scope.clone().unwrap_or_default(),
            description,
        },
        "unauthorized_client" if form.grant_type == GRANT_CLIENT_CREDENTIALS => {
            AuthError::InvalidClient { description }
        }
        _ => AuthError::Rejected {
            status,
            error: body.error,
            description,
        },
    }
}

fn not_json(url: &Url, status: u16, bytes: &[u8]) -> AuthError {
    // Scrubbed before it is cut, so not even the start of a secret shows.
    let text = crate::redact::scrub(&String::from_utf8_lossy(bytes)).into_owned();
    let html = looks_like_html(&text);
    let snippet = if html {
        strip_tags(&text)
    } else {
        text.trim().to_string()
    };
    AuthError::NotJson {
        url: url.to_string(),
        status,
        kind: if html {
            "an HTML page"
        } else {
            "non-JSON text"
        },
        snippet: (!snippet.is_empty()).then(|| cut(&snippet, 80)),
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_in: u64, lifetime: u64) -> CachedToken {
        CachedToken {
            access_token: SecretString::from("a"),
            refresh_token: None,
            expires_at: now_unix() + expires_in,
            lifetime,
            scope: "all".into(),
            fingerprint: String::new(),
        }
    }

    #[test]
    fn renews_sixty_seconds_early_but_at_most_half_the_lifetime() {
        let margin = Duration::from_secs(60);
        assert!(!token(3000, 3600).needs_renewal(margin));
        assert!(token(59, 3600).needs_renewal(margin));
        // A 10 s token is renewed when 5 s remain, not on every request.
        assert!(!token(9, 10).needs_renewal(margin));
        assert!(token(4, 10).needs_renewal(margin));
    }

    #[test]
    fn oauth_errors_map_to_what_to_fix() {
        let form = |g: &str| TokenRequestForm {
            grant_type: g.into(),
            scope: Some("all".into()),
            ..Default::default()
        };
        let body = |e: &str, d: Option<&str>| OAuthErrorBody {
            error: e.into(),
            error_description: d.map(str::to_string),
        };
        let t = Some("acme".to_string());
        assert!(matches!(
            oauth_error(
                &form("client_credentials"),
                &t,
                401,
                body("invalid_client", None)
            ),
            AuthError::InvalidClient { .. }
        ));
        assert!(matches!(
            oauth_error(&form("password"), &t, 400, body("invalid_grant", None)),
            AuthError::InvalidCredentials { .. }
        ));
        assert!(matches!(
            oauth_error(&form("refresh_token"), &t, 400, body("invalid_grant", None)),
            AuthError::RefreshRejected { .. }
        ));
        assert!(matches!(
            oauth_error(&form("password"), &t, 400, body("invalid_scope", None)),
            AuthError::InvalidScope { .. }
        ));
        assert!(matches!(
            oauth_error(
                &form("password"),
                &t,
                400,
                body("invalid_request", Some("Unknown tenant 'acme'."))
            ),
            AuthError::UnknownTenant { .. }
        ));
    }

    #[test]
    fn html_replies_are_named_as_such() {
        let url = Url::parse("https://x.example/auth/token").unwrap();
        let e = not_json(
            &url,
            502,
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        );
        let m = e.to_string();
        assert!(
            m.contains("HTML page") && m.contains("502 Bad Gateway"),
            "{m}"
        );
    }
}
