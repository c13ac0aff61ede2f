//! A browser sign-in's parts (authorization code with PKCE, RFC 7636 S256): the verifier and
//! its challenge, the `state`, and the authorize URL (reference §2.3).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use url::Url;

/// A PKCE pair: the verifier kept here, its S256 challenge sent to the authorize endpoint.
pub struct Pkce {
    verifier: SecretString,
    challenge: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"[redacted]")
            .field("challenge", &self.challenge)
            .finish()
    }
}

impl Pkce {
    /// A new pair: 32 random bytes as the verifier (43 characters), and
    /// `BASE64URL(SHA256(verifier))` as the challenge.
    pub fn new() -> Pkce {
        let bytes: [u8; 32] = rand::random();
        Pkce::from_verifier(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The pair of a given verifier.
    pub fn from_verifier(verifier: String) -> Pkce {
        let challenge = challenge_of(&verifier);
        Pkce {
            verifier: SecretString::from(verifier),
            challenge,
        }
    }

    /// The verifier, sent with the code.
    pub fn verifier(&self) -> &SecretString {
        &self.verifier
    }

    /// The S256 challenge, sent to the authorize endpoint.
    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Pkce::new()
    }
}

/// The S256 challenge of `verifier`: unpadded base64url of its SHA-256.
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A random `state` (the answer must carry it back unchanged).
pub fn random_state() -> String {
    let bytes: [u8; 24] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What an authorize request carries.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest<'a> {
    /// Where the browser is sent back with the code.
    pub redirect_uri: &'a str,
    /// The state to be echoed.
    pub state: &'a str,
    /// The PKCE challenge.
    pub challenge: &'a str,
}

/// The authorize URL beside a token URL: the token endpoint's path with its last segment
/// `token` replaced by `authorize` (`{auth}/token?tenant=T` → `{auth}/authorize?tenant=T&...`).
pub(crate) fn authorize_url(
    token_url: &Url,
    client_id: &str,
    scope: &str,
    req: &AuthorizeRequest<'_>,
) -> Url {
    let mut url = token_url.clone();
    let path = token_url.path();
    let base = path.strip_suffix("token").unwrap_or(path);
    url.set_path(&format!("{base}authorize"));
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", req.redirect_uri)
        .append_pair("scope", scope)
        .append_pair("state", req.state)
        .append_pair("code_challenge", req.challenge)
        .append_pair("code_challenge_method", "S256");
    url
}

/// The revocation URL beside a token URL (`{auth}/revoke`, RFC 7009; inferred for Halo: its
/// authorisation server is OpenIddict, whose revocation endpoint is not documented by Halo).
pub(crate) fn revoke_url(token_url: &Url) -> Url {
    let mut url = token_url.clone();
    let path = token_url.path();
    let base = path.strip_suffix("token").unwrap_or(path);
    url.set_path(&format!("{base}revoke"));
    url
}

/// Whether `given` is the state that was sent (compared in constant time).
pub fn state_matches(sent: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(sent.as_bytes().ct_eq(given.as_bytes()))
}

/// The verifier as sent on the wire.
pub(crate) fn verifier_text(p: &Pkce) -> String {
    p.verifier.expose_secret().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        let p = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(p.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        let fresh = Pkce::new();
        assert_eq!(fresh.verifier().expose_secret().len(), 43);
        assert_eq!(
            fresh.challenge(),
            challenge_of(fresh.verifier().expose_secret())
        );
        assert_ne!(
            fresh.verifier().expose_secret(),
            Pkce::new().verifier().expose_secret()
        );
        assert!(!format!("{fresh:?}").contains(fresh.verifier().expose_secret()));
    }

    #[test]
    fn the_authorize_url_sits_beside_the_token_url() {
        let token = Url::parse("https://acme.halopsa.com/auth/token?tenant=acme").unwrap();
        let req = AuthorizeRequest {
            redirect_uri: "http://127.0.0.1:5555/callback",
            state: "st",
            challenge: "ch",
        };
        let url = authorize_url(&token, "cid", "all offline_access", &req);
        assert_eq!(url.path(), "/auth/authorize");
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("tenant"), Some("acme"));
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("redirect_uri"), Some("http://127.0.0.1:5555/callback"));
        assert_eq!(get("scope"), Some("all offline_access"));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(revoke_url(&token).path(), "/auth/revoke");
    }

    #[test]
    fn states_compare_whole() {
        assert!(state_matches("abc", "abc"));
        assert!(
            !state_matches("abc", "abd") && !state_matches("abc", "ab") && !state_matches("", "a")
        );
    }
}
