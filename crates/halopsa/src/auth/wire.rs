//! Wire shapes of Halo's authorisation server, shared by the client and the sandbox.
//!
//! Field names are exactly those Halo sends and expects (reference §2).

use serde::{Deserialize, Serialize};

/// `grant_type=client_credentials`.
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
/// `grant_type=password`.
pub const GRANT_PASSWORD: &str = "password";
/// `grant_type=refresh_token`.
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
/// `grant_type=authorization_code` (with PKCE: an agent signed in through the browser).
pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";

/// The scope a token is asked for when the user names none.
///
/// Quirk: a token minted with no `scope` is issued but every API call with it answers 401,
/// so a scope is always sent.
pub const DEFAULT_SCOPE: &str = "all";

/// Answer of the unauthenticated `GET {instance}/api/authinfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthInfo {
    /// Base URL of the authorisation server; the token endpoint is this plus `/token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    /// The tenant to pass as `?tenant=` on token requests (hosted instances).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

/// Successful answer of `POST /auth/token`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The opaque bearer token (never decoded, never logged).
    pub access_token: String,
    /// Always `Bearer` in practice.
    #[serde(default)]
    pub token_type: String,
    /// Lifetime in **seconds** (one client once read it as milliseconds).
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// The scopes granted, space-separated.
    #[serde(default)]
    pub scope: Option<String>,
    /// Returned when `offline_access` was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The acting agent's identity, seen on some flows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

/// OAuth error body: `{"error": "...", "error_description": "..."}` (only `error` seen live).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthErrorBody {
    /// Machine code such as `invalid_client`, `invalid_grant`, `invalid_scope`.
    pub error: String,
    /// Human text, when the server gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// Form fields of a token request (`application/x-www-form-urlencoded`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequestForm {
    /// One of the `GRANT_*` constants.
    pub grant_type: String,
    /// The application's client id.
    pub client_id: String,
    /// The application's secret (client credentials; optional for the other grants).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Space-separated scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Password grant: the agent's login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password grant: the agent's password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Refresh grant: the refresh token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Some clients send the tenant as a form field rather than `?tenant=`; servers accept both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Authorization code grant: the code the authorize endpoint gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Authorization code grant: the redirect URI of the authorize request, exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Authorization code grant: the PKCE verifier of the authorize request's challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
}

impl std::fmt::Debug for TokenRequestForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redact = |v: &Option<String>| v.as_ref().map(|_| "[redacted]");
        f.debug_struct("TokenRequestForm")
            .field("grant_type", &self.grant_type)
            .field("client_id", &self.client_id)
            .field("client_secret", &redact(&self.client_secret))
            .field("scope", &self.scope)
            .field("username", &self.username)
            .field("password", &redact(&self.password))
            .field("refresh_token", &redact(&self.refresh_token))
            .field("tenant", &self.tenant)
            .field("code", &redact(&self.code))
            .field("redirect_uri", &self.redirect_uri)
            .field("code_verifier", &redact(&self.code_verifier))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let form = TokenRequestForm {
            grant_type: GRANT_PASSWORD.into(),
            client_id: "cid".into(),
            client_secret: Some("s3cret-value".into()),
            password: Some("pw-value".into()),
            refresh_token: Some("rt-value".into()),
            code: Some("code-value".into()),
            code_verifier: Some("verifier-value".into()),
            ..Default::default()
        };
        let shown = format!("{form:?}");
        for secret in [
            "s3cret-value",
            "pw-value",
            "rt-value",
            "code-value",
            "verifier-value",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let token = TokenResponse {
            access_token: "at-value".into(),
            token_type: "Bearer".into(),
            expires_in: Some(3600),
            scope: Some("all".into()),
            refresh_token: Some("rt-value".into()),
            id_token: None,
        };
        let shown = format!("{token:?}");
        assert!(
            !shown.contains("at-value") && !shown.contains("rt-value"),
            "{shown}"
        );
    }

    #[test]
    fn token_response_tolerates_missing_optionals() {
        let t: TokenResponse = serde_json::from_str(r#"{"access_token":"x"}"#).unwrap();
        assert_eq!(t.expires_in, None);
        assert_eq!(t.refresh_token, None);
    }
}
