//! The authorisation server's rules: the scope vocabulary, the grants a token request may
//! get (the authorization code's PKCE check included), refresh-token rotation, revocation, the
//! registry of issued tokens and codes, and what a token's scopes let it do.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use halopsa::auth::wire::{
    GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_PASSWORD, GRANT_REFRESH_TOKEN,
    TokenResponse,
};
use halopsa::resource::Resource;
use rand::Rng;

use crate::domain::config::{SandboxClient, SandboxConfig};
use crate::domain::lock::lock;
use crate::domain::outcome::Refusal;

/// Every scope Halo's authorisation server knows; anything else is `invalid_scope`.
pub const SCOPE_VOCABULARY: &[&str] = &[
    "all",
    "all:standard",
    "admin",
    "read:tickets",
    "edit:tickets",
    "read:calendar",
    "edit:calendar",
    "read:customers",
    "edit:customers",
    "read:crm",
    "edit:crm",
    "read:timesheets",
    "edit:timesheets",
    "editMine:timesheets",
    "read:contracts",
    "edit:contracts",
    "read:suppliers",
    "edit:suppliers",
    "read:items",
    "edit:items",
    "read:projects",
    "edit:projects",
    "read:sales",
    "edit:sales",
    "read:quotes",
    "edit:quotes",
    "read:sos",
    "edit:sos",
    "read:pos",
    "edit:pos",
    "read:invoices",
    "edit:invoices",
    "read:reporting",
    "edit:reporting",
    "read:software",
    "edit:software",
    "read:softwarelicensing",
    "edit:softwarelicensing",
    "read:kb",
    "edit:kb",
    "read:assets",
    "edit:assets",
    "access:chat",
    "access:adpasswordreset",
    "offline_access",
    "all:teams",
    "admin:webhooks",
    "read:distributionlists",
    "edit:distributionlists",
    "read:teams",
];

/// The scope that asks for a refresh token.
const OFFLINE_ACCESS: &str = "offline_access";

/// A set of granted scopes, kept in the order they were requested (duplicates dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses a space-separated `scope` value, rejecting (with the offending scope) anything
    /// outside [`SCOPE_VOCABULARY`] or outside `allowed` (`offline_access` is always allowed).
    pub fn parse(value: &str, allowed: Option<&[String]>) -> Result<Scopes, String> {
        let mut scopes: Vec<String> = Vec::new();
        for scope in value.split_whitespace() {
            let known = SCOPE_VOCABULARY.contains(&scope);
            let permitted = scope == OFFLINE_ACCESS
                || allowed.is_none_or(|list| list.iter().any(|a| a == scope));
            if !known || !permitted {
                return Err(scope.to_owned());
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        Ok(Scopes(scopes))
    }

    /// True when no scope was granted (such tokens are refused by every API call).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// True when `scope` was granted verbatim.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// May this token read `area` (e.g. `tickets`)? `all` covers every area, `all:standard`
    /// every area but `admin`, and `edit:X` implies `read:X`.
    pub fn allows_read(&self, area: &str) -> bool {
        self.allows_edit(area) || self.contains(&format!("read:{area}"))
    }

    /// May this token change `area`? Granted by `all`, `all:standard` (not for `admin`) or
    /// `edit:X`.
    pub fn allows_edit(&self, area: &str) -> bool {
        self.contains("all")
            || (area != "admin" && self.contains("all:standard"))
            || (area == "admin" && self.contains("admin"))
            || self.contains(&format!("edit:{area}"))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// Who a token acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The client the token was issued to.
    pub client_id: String,
    /// The logged-in agent; `None` for `client_credentials` (the API agent).
    pub user: Option<UserIdentity>,
}

/// The agent behind a password-grant token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserIdentity {
    /// The login name.
    pub username: String,
    /// The agent's id.
    pub agent_id: i64,
    /// The agent's display name.
    pub name: String,
}

/// What a valid token grants.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Who it acts for.
    pub identity: Identity,
    /// What it may do.
    pub scopes: Scopes,
}

impl Grant {
    /// Whether the scopes cover `res` for reading or, with `write`, for changing it
    /// (`edit:X` implies `read:X`); refused as [`Refusal::Denied`].
    pub fn check(&self, res: &Resource, write: bool) -> Result<(), Refusal> {
        let area = res.area.scope_name().unwrap_or("admin");
        let allowed = if write {
            self.scopes.allows_edit(area)
        } else {
            self.scopes.allows_read(area)
        };
        if allowed {
            Ok(())
        } else {
            Err(Refusal::Denied { write, area })
        }
    }
}

/// A live access token: what it grants, until when, and the family it belongs to.
struct AccessToken {
    grant: Grant,
    expires: Instant,
    family: u64,
}

/// A refresh token. A rotation retires it (when, and the token that replaced it); while the
/// grace lasts it still answers, with the newest pair of its chain.
struct RefreshToken {
    grant: Grant,
    family: u64,
    /// The access token issued with it (or with its latest refresh).
    access: String,
    retired: Option<(Instant, String)>,
}

/// An authorization code: the sign-in it stands for, until it is exchanged.
struct Code {
    grant: Grant,
    redirect_uri: String,
    challenge: String,
    expires: Instant,
    /// The family its exchange issued, once used.
    used: Option<u64>,
}

/// Every token the sandbox has issued. Each grant starts a *family* (its access tokens, its
/// refresh token and that token's successors), which is revoked as one.
#[derive(Default)]
struct Tokens {
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    codes: HashMap<String, Code>,
    /// The last family number given.
    families: u64,
}

impl Tokens {
    fn mint_access(&mut self, grant: Grant, family: u64, ttl: Duration) -> String {
        let now = Instant::now();
        self.access.retain(|_, t| t.expires > now);
        let token = random_token();
        self.access.insert(
            token.clone(),
            AccessToken {
                grant,
                expires: now + ttl,
                family,
            },
        );
        token
    }

    fn mint_refresh(&mut self, grant: Grant, family: u64, access: String) -> String {
        let token = random_token();
        self.refresh.insert(
            token.clone(),
            RefreshToken {
                grant,
                family,
                access,
                retired: None,
            },
        );
        token
    }

    /// Issues an access token, and a refresh token when `offline_access` was granted, as a
    /// new family (returned with them).
    fn issue(&mut self, grant: Grant, ttl: Duration) -> (u64, TokenResponse) {
        self.families += 1;
        let family = self.families;
        let scope = grant.scopes.to_string();
        let offline = grant.scopes.contains(OFFLINE_ACCESS);
        let access_token = self.mint_access(grant.clone(), family, ttl);
        let refresh_token = offline.then(|| self.mint_refresh(grant, family, access_token.clone()));
        (
            family,
            token_response(access_token, ttl, scope, refresh_token),
        )
    }

    fn revoke_family(&mut self, family: u64) {
        self.access.retain(|_, t| t.family != family);
        self.refresh.retain(|_, t| t.family != family);
    }

    /// The newest pair of the chain the retired refresh token `retired` belongs to: the
    /// chain's live refresh token and its access token (a new one if that one has expired or
    /// been revoked).
    fn newest_pair(&mut self, retired: &str, ttl: Duration, now: Instant) -> Option<TokenResponse> {
        let mut newest = retired.to_owned();
        while let Some((_, next)) = &self.refresh.get(&newest)?.retired {
            newest = next.clone();
        }
        let entry = self.refresh.get(&newest)?;
        let (grant, family, access) = (entry.grant.clone(), entry.family, entry.access.clone());
        let scope = grant.scopes.to_string();
        let live = self
            .access
            .get(&access)
            .map(|t| t.expires)
            .filter(|e| *e > now);
        let (access, left) = match live {
            Some(expires) => (access, expires - now),
            None => {
                let fresh = self.mint_access(grant, family, ttl);
                if let Some(entry) = self.refresh.get_mut(&newest) {
                    entry.access = fresh.clone();
                }
                (fresh, ttl)
            }
        };
        Some(token_response(access, left, scope, Some(newest)))
    }
}

/// An authorization code's exchange (`grant_type=authorization_code`), as the client sent it.
struct Exchange<'a> {
    client_id: &'a str,
    code: &'a str,
    redirect_uri: &'a str,
    verifier: &'a str,
    /// A narrower scope than the one authorized, if asked.
    scope: Option<&'a str>,
}

/// Every token the sandbox has issued.
#[derive(Default)]
pub struct TokenRegistry {
    tokens: Mutex<Tokens>,
}

impl TokenRegistry {
    /// The grant behind a live access token.
    pub fn lookup(&self, access_token: &str) -> Option<Grant> {
        let tokens = lock(&self.tokens);
        tokens
            .access
            .get(access_token)
            .filter(|t| t.expires > Instant::now())
            .map(|t| t.grant.clone())
    }

    /// Invalidates every access token; refresh tokens stay valid.
    pub fn revoke_access_tokens(&self) {
        lock(&self.tokens).access.clear();
    }

    /// Keeps a new authorization code for `grant` (the signed-in agent and the scopes it
    /// allowed), to be exchanged within `ttl` with `redirect_uri` and the verifier of the S256
    /// `challenge`.
    pub fn issue_code(
        &self,
        grant: Grant,
        redirect_uri: &str,
        challenge: &str,
        ttl: Duration,
    ) -> String {
        let now = Instant::now();
        let mut tokens = lock(&self.tokens);
        tokens.codes.retain(|_, c| c.expires > now);
        let code = random_token();
        tokens.codes.insert(
            code.clone(),
            Code {
                grant,
                redirect_uri: redirect_uri.to_owned(),
                challenge: challenge.to_owned(),
                expires: now + ttl,
                used: None,
            },
        );
        code
    }

    fn issue(&self, grant: Grant, ttl: Duration) -> TokenResponse {
        lock(&self.tokens).issue(grant, ttl).1
    }

    /// Renews from `refresh_token`. With a rotation `grace`, a new refresh token replaces it
    /// and it answers for the grace with the newest pair of its chain; without, it stays.
    fn refresh(
        &self,
        refresh_token: &str,
        client_id: &str,
        ttl: Duration,
        rotation: Option<Duration>,
    ) -> Option<TokenResponse> {
        let now = Instant::now();
        let mut tokens = lock(&self.tokens);
        if let Some(grace) = rotation {
            tokens
                .refresh
                .retain(|_, r| r.retired.as_ref().is_none_or(|(at, _)| now < *at + grace));
        }
        let entry = tokens
            .refresh
            .get(refresh_token)
            .filter(|r| r.grant.identity.client_id == client_id)?;
        if entry.retired.is_some() {
            return tokens.newest_pair(refresh_token, ttl, now);
        }
        let (grant, family) = (entry.grant.clone(), entry.family);
        let scope = grant.scopes.to_string();
        let access_token = tokens.mint_access(grant.clone(), family, ttl);
        let next = rotation.map(|_| tokens.mint_refresh(grant, family, access_token.clone()));
        let entry = tokens.refresh.get_mut(refresh_token)?;
        let refresh_token = match next {
            Some(next) => {
                entry.retired = Some((now, next.clone()));
                next
            }
            None => {
                entry.access = access_token.clone();
                refresh_token.to_owned()
            }
        };
        Some(token_response(
            access_token,
            ttl,
            scope,
            Some(refresh_token),
        ))
    }

    /// Exchanges an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6). A code is single use:
    /// a second exchange is refused and revokes the tokens the first one issued (§4.1.2).
    fn exchange(
        &self,
        exchange: &Exchange<'_>,
        ttl: Duration,
    ) -> Result<TokenResponse, TokenError> {
        let invalid = |text: &str| TokenError::InvalidGrant(text.to_owned());
        let now = Instant::now();
        let mut tokens = lock(&self.tokens);
        let code = tokens
            .codes
            .get(exchange.code)
            .filter(|c| c.expires > now)
            .ok_or_else(|| invalid("The authorization code is invalid or has expired."))?;
        if let Some(family) = code.used {
            tokens.revoke_family(family);
            return Err(invalid(
                "The authorization code has already been used; the tokens issued for it are revoked.",
            ));
        }
        if code.grant.identity.client_id != exchange.client_id {
            return Err(invalid(
                "The authorization code was issued to another client.",
            ));
        }
        if code.redirect_uri != exchange.redirect_uri {
            return Err(invalid(
                "The redirect_uri does not match the one of the authorization request.",
            ));
        }
        if !pkce_matches(exchange.verifier, &code.challenge) {
            return Err(invalid(
                "The code_verifier does not match the code_challenge.",
            ));
        }
        let mut grant = code.grant.clone();
        if let Some(scope) = exchange.scope {
            grant.scopes = narrowed(&grant.scopes, scope)?;
        }
        let (family, issued) = tokens.issue(grant, ttl);
        if let Some(code) = tokens.codes.get_mut(exchange.code) {
            code.used = Some(family);
        }
        Ok(issued)
    }

    /// Revokes `token` when it was issued to `client_id` (RFC 7009 §2.1): a refresh token with
    /// its whole family (the access tokens minted from it, its rotations), an access token
    /// alone. An unknown token, or another client's, is left as it is: the answer is the same.
    fn revoke(&self, token: &str, client_id: &str) {
        let mut tokens = lock(&self.tokens);
        let family = tokens
            .refresh
            .get(token)
            .filter(|r| r.grant.identity.client_id == client_id)
            .map(|r| r.family);
        if let Some(family) = family {
            tokens.revoke_family(family);
        } else if tokens
            .access
            .get(token)
            .is_some_and(|t| t.grant.identity.client_id == client_id)
        {
            tokens.access.remove(token);
        }
    }
}

/// The scopes of `asked` (a `scope` sent with a code's exchange), each of which must have
/// been authorized.
fn narrowed(authorized: &Scopes, asked: &str) -> Result<Scopes, TokenError> {
    let asked = Scopes::parse(asked, None).map_err(TokenError::InvalidScope)?;
    match asked.0.iter().find(|s| !authorized.contains(s)) {
        Some(extra) => Err(TokenError::InvalidScope(extra.clone())),
        None => Ok(asked),
    }
}

/// Whether `value` may be a PKCE code verifier or challenge: 43 to 128 unreserved characters
/// (RFC 7636 §4.1, §4.2).
pub fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// RFC 7636 §4.6 for S256: `BASE64URL(SHA256(verifier)) == challenge`.
fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    is_pkce_value(verifier) && halopsa::auth::pkce::challenge_of(verifier) == challenge
}

fn token_response(
    access_token: String,
    ttl: Duration,
    scope: String,
    refresh_token: Option<String>,
) -> TokenResponse {
    TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: Some(ttl.as_secs()),
        scope: Some(scope),
        refresh_token,
        id_token: None,
    }
}

/// 32 random bytes, base64url without padding (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes[..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A refusal from the token endpoint; its `Display` is the `error_description`.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The body is not a form.
    #[error("The request must be application/x-www-form-urlencoded.")]
    NotForm,
    /// A field is missing or wrong.
    #[error("{0}")]
    InvalidRequest(String),
    /// Unknown client, or the wrong secret.
    #[error("The client_id or client_secret is invalid.")]
    InvalidClient,
    /// Unknown user, or the wrong password.
    #[error("The username or password is incorrect.")]
    BadCredentials,
    /// Unknown refresh token, or one of another client.
    #[error("The refresh token is invalid or has expired.")]
    BadRefreshToken,
    /// An authorization code that cannot be exchanged (why, in the text).
    #[error("{0}")]
    InvalidGrant(String),
    /// A scope outside the vocabulary or the client's allowed scopes.
    #[error("The scope '{0}' is not valid.")]
    InvalidScope(String),
    /// A grant type Halo does not know.
    #[error("The grant type '{0}' is not supported.")]
    UnsupportedGrantType(String),
}

impl TokenError {
    fn missing(field: &str) -> TokenError {
        TokenError::InvalidRequest(format!("The '{field}' parameter is required."))
    }
}

/// Decoded form fields (of a token request, or an authorization request's query); the first
/// occurrence of a field wins.
pub struct Form(Vec<(String, String)>);

impl Form {
    /// Decodes an `application/x-www-form-urlencoded` body.
    pub fn parse(body: &[u8]) -> Form {
        Form(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// Every field, in the order sent.
    pub fn fields(&self) -> &[(String, String)] {
        &self.0
    }

    /// The value of field `name`, if sent and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn require(&self, name: &str) -> Result<&str, TokenError> {
        self.get(name).ok_or_else(|| TokenError::missing(name))
    }
}

/// Answers a token request: the tokens issued, or why not. `query_tenant` is the `tenant`
/// of the query string, which wins over the form's.
pub fn grant(
    config: &SandboxConfig,
    tokens: &TokenRegistry,
    form: &Form,
    query_tenant: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    check_tenant(config, query_tenant.or(form.get("tenant")))?;
    let grant_type = form.require("grant_type")?;
    let client_id = form.require("client_id")?;
    let client = config.clients.iter().find(|c| c.id == client_id);
    let ttl = config.token_ttl;
    match grant_type {
        GRANT_CLIENT_CREDENTIALS => {
            let secret = form.require("client_secret")?;
            let client = client
                .filter(|c| c.secret.as_deref() == Some(secret))
                .ok_or(TokenError::InvalidClient)?;
            let scopes = requested_scopes(form, client)?;
            let identity = Identity {
                client_id: client.id.clone(),
                user: None,
            };
            Ok(tokens.issue(Grant { identity, scopes }, ttl))
        }
        GRANT_PASSWORD => {
            let client = public_client(client, form)?;
            let username = form.require("username")?;
            let password = form.require("password")?;
            let user = config
                .users
                .iter()
                .find(|u| u.username == username && u.password == password)
                .ok_or(TokenError::BadCredentials)?;
            let scopes = requested_scopes(form, client)?;
            let identity = Identity {
                client_id: client.id.clone(),
                user: Some(UserIdentity {
                    username: user.username.clone(),
                    agent_id: user.agent_id,
                    name: user.name.clone(),
                }),
            };
            Ok(tokens.issue(Grant { identity, scopes }, ttl))
        }
        GRANT_REFRESH_TOKEN => {
            let client = public_client(client, form)?;
            let refresh_token = form.require("refresh_token")?;
            let rotation = config.rotate_refresh_tokens.then_some(config.refresh_grace);
            tokens
                .refresh(refresh_token, &client.id, ttl, rotation)
                .ok_or(TokenError::BadRefreshToken)
        }
        GRANT_AUTHORIZATION_CODE => {
            let client = authenticated_client(client, form)?;
            let exchange = Exchange {
                client_id: &client.id,
                code: form.require("code")?,
                redirect_uri: form.require("redirect_uri")?,
                verifier: form.require("code_verifier")?,
                scope: form.get("scope"),
            };
            tokens.exchange(&exchange, ttl)
        }
        other => Err(TokenError::UnsupportedGrantType(other.to_owned())),
    }
}

/// Answers a revocation request (RFC 7009; Halo's own revocation endpoint is not documented,
/// so `POST /auth/revoke` with these fields is inferred): the client authenticated as for the
/// code grant, then `token` revoked if it was this client's. Whether the token was known is
/// not told.
pub fn revoke(
    config: &SandboxConfig,
    tokens: &TokenRegistry,
    form: &Form,
    query_tenant: Option<&str>,
) -> Result<(), TokenError> {
    check_tenant(config, query_tenant.or(form.get("tenant")))?;
    let client_id = form.require("client_id")?;
    let client = config.clients.iter().find(|c| c.id == client_id);
    let client = authenticated_client(client, form)?;
    let token = form.require("token")?;
    tokens.revoke(token, &client.id);
    Ok(())
}

/// Checks the tenant `given` on an auth request against the configured one (any case).
pub fn check_tenant(config: &SandboxConfig, given: Option<&str>) -> Result<(), TokenError> {
    let Some(expected) = &config.tenant else {
        return Ok(());
    };
    match given {
        None => Err(TokenError::InvalidRequest("The tenant is required.".into())),
        Some(t) if t.eq_ignore_ascii_case(expected) => Ok(()),
        Some(t) => Err(TokenError::InvalidRequest(format!("Unknown tenant '{t}'."))),
    }
}

/// A known client for the password and refresh grants: a secret is optional, but when one is
/// sent it must match.
fn public_client<'c>(
    client: Option<&'c SandboxClient>,
    form: &Form,
) -> Result<&'c SandboxClient, TokenError> {
    let client = client.ok_or(TokenError::InvalidClient)?;
    match (client.secret.as_deref(), form.get("client_secret")) {
        (Some(expected), Some(sent)) if expected != sent => Err(TokenError::InvalidClient),
        _ => Ok(client),
    }
}

/// A known client for the code grant and revocation: its secret is required when it has one.
fn authenticated_client<'c>(
    client: Option<&'c SandboxClient>,
    form: &Form,
) -> Result<&'c SandboxClient, TokenError> {
    let client = client.ok_or(TokenError::InvalidClient)?;
    match client.secret.as_deref() {
        Some(expected) if form.get("client_secret") != Some(expected) => {
            Err(TokenError::InvalidClient)
        }
        _ => Ok(client),
    }
}

fn requested_scopes(form: &Form, client: &SandboxClient) -> Result<Scopes, TokenError> {
    Scopes::parse(
        form.get("scope").unwrap_or(""),
        client.allowed_scopes.as_deref(),
    )
    .map_err(TokenError::InvalidScope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_scopes_and_dedups() {
        let s = Scopes::parse("  read:tickets all read:tickets offline_access ", None).unwrap();
        assert_eq!(s.to_string(), "read:tickets all offline_access");
        assert!(Scopes::parse("", None).unwrap().is_empty());
    }

    #[test]
    fn rejects_unknown_scope_by_name() {
        assert_eq!(
            Scopes::parse("all read:actions", None),
            Err("read:actions".into())
        );
        assert_eq!(Scopes::parse("ALL", None), Err("ALL".into()));
    }

    #[test]
    fn client_allow_list_applies_except_offline_access() {
        let allowed = vec!["read:tickets".to_owned()];
        assert!(Scopes::parse("read:tickets offline_access", Some(&allowed)).is_ok());
        assert_eq!(
            Scopes::parse("edit:tickets", Some(&allowed)),
            Err("edit:tickets".into())
        );
    }

    #[test]
    fn edit_implies_read() {
        let s = Scopes::parse("edit:tickets read:crm", None).unwrap();
        assert!(s.allows_read("tickets") && s.allows_edit("tickets"));
        assert!(s.allows_read("crm") && !s.allows_edit("crm"));
        assert!(!s.allows_read("assets"));
        let all = Scopes::parse("all", None).unwrap();
        assert!(all.allows_edit("assets") && all.allows_edit("admin"));
        let standard = Scopes::parse("all:standard", None).unwrap();
        assert!(standard.allows_edit("kb") && !standard.allows_read("admin"));
    }

    #[test]
    fn a_grant_is_checked_against_the_resource_area() {
        let grant = Grant {
            identity: Identity {
                client_id: "c".into(),
                user: None,
            },
            scopes: Scopes::parse("read:tickets", None).unwrap(),
        };
        let tickets = halopsa::resource::find("tickets").unwrap();
        assert!(grant.check(tickets, false).is_ok());
        assert!(matches!(
            grant.check(tickets, true),
            Err(Refusal::Denied {
                write: true,
                area: "tickets"
            })
        ));
        let agents = halopsa::resource::find("agents").unwrap();
        assert!(matches!(
            grant.check(agents, false),
            Err(Refusal::Denied { area: "admin", .. })
        ));
    }

    #[test]
    fn tokens_are_43_url_safe_chars() {
        let t = random_token();
        assert_eq!(t.len(), 43);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(t, random_token());
    }

    #[test]
    fn pkce_s256_matches_the_rfc7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(&verifier.replace('d', "e"), challenge));
        assert!(!pkce_matches(challenge, verifier));
    }

    #[test]
    fn pkce_values_are_43_to_128_unreserved_characters() {
        assert!(is_pkce_value(&"a".repeat(43)));
        assert!(is_pkce_value(&"A-._~9".repeat(22)[..128]));
        assert!(!is_pkce_value(&"a".repeat(42)));
        assert!(!is_pkce_value(&"a".repeat(129)));
        assert!(!is_pkce_value(&format!("{}+/", "a".repeat(43))));
    }
}
