//! The authorisation server's rules: the scope vocabulary, the grants a token request may
//! get, the registry of issued tokens, and what a token's scopes let it do.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use halopsa::auth::wire::{
    GRANT_CLIENT_CREDENTIALS, GRANT_PASSWORD, GRANT_REFRESH_TOKEN, TokenResponse,
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

struct AccessToken {
    grant: Grant,
    expires: Instant,
}

#[derive(Default)]
struct Tokens {
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, Grant>,
}

impl Tokens {
    fn mint_access(&mut self, grant: Grant, ttl: Duration) -> String {
        let now = Instant::now();
        self.access.retain(|_, t| t.expires > now);
        let token = random_token();
        self.access.insert(
            token.clone(),
            AccessToken {
                grant,
                expires: now + ttl,
            },
        );
        token
    }

    fn mint_refresh(&mut self, grant: Grant) -> String {
        let token = random_token();
        self.refresh.insert(token.clone(), grant);
        token
    }
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

    fn issue(&self, grant: Grant, ttl: Duration) -> TokenResponse {
        let mut tokens = lock(&self.tokens);
        let refresh_token = grant
            .scopes
            .contains(OFFLINE_ACCESS)
            .then(|| tokens.mint_refresh(grant.clone()));
        let scope = grant.scopes.to_string();
        let access_token = tokens.mint_access(grant, ttl);
        token_response(access_token, ttl, scope, refresh_token)
    }

    fn refresh(
        &self,
        refresh_token: &str,
        client_id: &str,
        ttl: Duration,
        rotate: bool,
    ) -> Option<TokenResponse> {
        let mut tokens = lock(&self.tokens);
        let grant = tokens
            .refresh
            .get(refresh_token)
            .filter(|g| g.identity.client_id == client_id)?
            .clone();
        let refresh_token = if rotate {
            tokens.refresh.remove(refresh_token);
            tokens.mint_refresh(grant.clone())
        } else {
            refresh_token.to_owned()
        };
        let scope = grant.scopes.to_string();
        let access_token = tokens.mint_access(grant, ttl);
        Some(token_response(
            access_token,
            ttl,
            scope,
            Some(refresh_token),
        ))
    }
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
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes[..]);
    base64url(&bytes)
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
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

/// Decoded form fields of a token request; the first occurrence of a field wins.
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

    fn get(&self, name: &str) -> Option<&str> {
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
            tokens
                .refresh(refresh_token, &client.id, ttl, config.rotate_refresh_tokens)
                .ok_or(TokenError::BadRefreshToken)
        }
        other => Err(TokenError::UnsupportedGrantType(other.to_owned())),
    }
}

fn check_tenant(config: &SandboxConfig, given: Option<&str>) -> Result<(), TokenError> {
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
    fn base64url_matches_rfc4648_vectors() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
