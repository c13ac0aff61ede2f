//! The interactive sign-in of the authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636;
//! reference §2.3 and §13.6): checking an authorization request, the redirect URI rules
//! (RFC 8252 §7.3), and the sign-in and consent steps that end in a code or an error sent back
//! to the client. The HTTP layer makes pages and redirects of these answers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use url::{Host, Url};

use crate::domain::config::{SandboxClient, SandboxConfig};
use crate::domain::lock::lock;
use crate::domain::tokens::{
    Form, Grant, Identity, Scopes, TokenRegistry, UserIdentity, check_tenant, is_pkce_value,
    random_token,
};

/// How long a checked authorization request waits for its agent to sign in and decide.
const SIGN_IN_TTL: Duration = Duration::from_secs(10 * 60);

/// Whether the redirect URI `requested` matches the registered `registered`. A registered
/// loopback URI (`http://127.0.0.1/…`, `http://[::1]/…`) matches one on the same host, path and
/// query with any port (RFC 8252 §7.3: a native app listens on a port of its choosing); any
/// other must be the same URL (scheme, host, port, path and query). A fragment, or user
/// information, never matches (RFC 6749 §3.1.2).
pub fn redirect_matches(registered: &str, requested: &str) -> bool {
    let (Ok(registered), Ok(requested)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    if requested.fragment().is_some()
        || !requested.username().is_empty()
        || requested.password().is_some()
    {
        return false;
    }
    if is_loopback(&registered) {
        requested.scheme() == "http"
            && requested.host() == registered.host()
            && requested.path() == registered.path()
            && requested.query() == registered.query()
    } else {
        requested == registered
    }
}

/// An `http` URL on a loopback IP literal (not `localhost`, which RFC 8252 §8.3 advises against).
fn is_loopback(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        }
}

/// A checked authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequest {
    /// The client asking.
    pub client_id: String,
    /// The redirect URI as sent (it matched a registered one).
    pub redirect_uri: String,
    /// The scopes asked for.
    pub scopes: Scopes,
    /// The client's `state`, echoed exactly.
    pub state: Option<String>,
    /// The S256 `code_challenge`.
    pub code_challenge: String,
}

/// Where the browser goes next: the client's redirect URI with the answer in its query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect(pub String);

impl Redirect {
    /// `redirect_uri` with `pairs` and then `state` (when there is one) added to its query.
    fn to(redirect_uri: &str, pairs: &[(&str, &str)], state: Option<&str>) -> Redirect {
        let Ok(mut url) = Url::parse(redirect_uri) else {
            // Only matched (so parsed) redirect URIs get here.
            return Redirect(redirect_uri.to_owned());
        };
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in pairs {
                query.append_pair(name, value);
            }
            if let Some(state) = state {
                query.append_pair("state", state);
            }
        }
        Redirect(url.into())
    }

    /// An OAuth error for the client (RFC 6749 §4.1.2.1).
    fn error(request: &Redirected, code: &str, description: &str) -> Redirect {
        Redirect::to(
            &request.redirect_uri,
            &[("error", code), ("error_description", description)],
            request.state.as_deref(),
        )
    }
}

/// The redirect URI and state of a request whose client and redirect URI were accepted.
struct Redirected {
    redirect_uri: String,
    state: Option<String>,
}

/// Why an authorization request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The client or its redirect URI cannot be trusted: told to the agent on a page, never
    /// redirected (RFC 6749 §4.1.2.1).
    Page(String),
    /// Sent back to the client at its redirect URI.
    Redirect(Redirect),
}

/// Checks `GET /auth/authorize`'s query: first the client and its redirect URI (a page when
/// wrong), then, answered at the redirect URI, `response_type=code`, the tenant (as the token
/// endpoint checks it), an S256 `code_challenge` (`plain` is refused) and the scopes.
pub fn check(config: &SandboxConfig, query: &Form) -> Result<AuthRequest, AuthorizeError> {
    let page = |text: String| AuthorizeError::Page(text);
    let client_id = query
        .get("client_id")
        .ok_or_else(|| page("The client_id parameter is required.".into()))?;
    let client = config
        .clients
        .iter()
        .find(|c| c.id == client_id)
        .ok_or_else(|| page(format!("The client '{client_id}' is not known.")))?;
    let redirect_uri = query
        .get("redirect_uri")
        .ok_or_else(|| page("The redirect_uri parameter is required.".into()))?;
    if !registered(client, redirect_uri) {
        return Err(page(format!(
            "The redirect_uri '{redirect_uri}' is not registered for the client '{client_id}'."
        )));
    }
    let back = Redirected {
        redirect_uri: redirect_uri.to_owned(),
        state: query.get("state").map(str::to_owned),
    };
    let refuse =
        |code: &str, text: &str| AuthorizeError::Redirect(Redirect::error(&back, code, text));
    match query.get("response_type") {
        None => {
            return Err(refuse(
                "invalid_request",
                "The response_type parameter is required.",
            ));
        }
        Some("code") => {}
        Some(_) => {
            return Err(refuse(
                "unsupported_response_type",
                "Only the response_type 'code' is supported.",
            ));
        }
    }
    check_tenant(config, query.get("tenant"))
        .map_err(|e| refuse("invalid_request", &e.to_string()))?;
    if query.get("code_challenge_method") != Some("S256") {
        return Err(refuse(
            "invalid_request",
            "The code_challenge_method must be S256 (plain is refused).",
        ));
    }
    let code_challenge = query
        .get("code_challenge")
        .filter(|c| is_pkce_value(c))
        .ok_or_else(|| {
            refuse(
                "invalid_request",
                "A code_challenge of 43 to 128 characters is required.",
            )
        })?;
    let scopes = Scopes::parse(
        query.get("scope").unwrap_or(""),
        client.allowed_scopes.as_deref(),
    )
    .map_err(|scope| {
        refuse(
            "invalid_scope",
            &format!("The scope '{scope}' is not valid."),
        )
    })?;
    Ok(AuthRequest {
        client_id: client.id.clone(),
        redirect_uri: back.redirect_uri.clone(),
        scopes,
        state: back.state.clone(),
        code_challenge: code_challenge.to_owned(),
    })
}

fn registered(client: &SandboxClient, redirect_uri: &str) -> bool {
    client
        .redirect_uris
        .iter()
        .any(|r| redirect_matches(r, redirect_uri))
}

/// A request waiting for its agent: signed in once `agent` is set.
struct Pending {
    request: AuthRequest,
    expires: Instant,
    agent: Option<UserIdentity>,
}

/// Why a sign-in or a decision is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    /// No such request, or it has expired or been decided.
    UnknownRequest,
    /// Wrong username or password (which is not told); the request still waits.
    BadCredentials(AuthRequest),
    /// A decision before the agent signed in.
    NotSignedIn,
    /// A decision other than `allow` or `deny`.
    BadDecision,
}

/// Authorization requests waiting for their agent to sign in and decide, by a random id.
#[derive(Default)]
pub struct SignIns {
    pending: Mutex<HashMap<String, Pending>>,
}

impl SignIns {
    /// Keeps a checked request (for ten minutes) and answers its id.
    pub fn open(&self, request: AuthRequest) -> String {
        let now = Instant::now();
        let mut pending = lock(&self.pending);
        pending.retain(|_, p| p.expires > now);
        let id = random_token();
        pending.insert(
            id.clone(),
            Pending {
                request,
                expires: now + SIGN_IN_TTL,
                agent: None,
            },
        );
        id
    }

    /// Signs the agent `username` into request `id`; answers the request and the agent.
    pub fn sign_in(
        &self,
        config: &SandboxConfig,
        id: &str,
        username: Option<&str>,
        password: Option<&str>,
    ) -> Result<(AuthRequest, UserIdentity), SignInError> {
        let mut pending = lock(&self.pending);
        let waiting = live(&mut pending, id)?;
        let user = config
            .users
            .iter()
            .find(|u| {
                Some(u.username.as_str()) == username && Some(u.password.as_str()) == password
            })
            .ok_or_else(|| SignInError::BadCredentials(waiting.request.clone()))?;
        let agent = UserIdentity {
            username: user.username.clone(),
            agent_id: user.agent_id,
            name: user.name.clone(),
        };
        waiting.agent = Some(agent.clone());
        Ok((waiting.request.clone(), agent))
    }

    /// The signed-in agent's `decision` on request `id` (which is then gone): `allow` sends a
    /// new authorization code, `deny` sends `access_denied`.
    pub fn decide(
        &self,
        config: &SandboxConfig,
        tokens: &TokenRegistry,
        id: &str,
        decision: &str,
    ) -> Result<Redirect, SignInError> {
        let allow = match decision {
            "allow" => true,
            "deny" => false,
            _ => return Err(SignInError::BadDecision),
        };
        let mut pending = lock(&self.pending);
        let agent = live(&mut pending, id)?
            .agent
            .clone()
            .ok_or(SignInError::NotSignedIn)?;
        let request = pending
            .remove(id)
            .ok_or(SignInError::UnknownRequest)?
            .request;
        let state = request.state.as_deref();
        if !allow {
            return Ok(Redirect::to(
                &request.redirect_uri,
                &[
                    ("error", "access_denied"),
                    ("error_description", "The agent denied the request."),
                ],
                state,
            ));
        }
        let grant = Grant {
            identity: Identity {
                client_id: request.client_id.clone(),
                user: Some(agent),
            },
            scopes: request.scopes.clone(),
        };
        let code = tokens.issue_code(
            grant,
            &request.redirect_uri,
            &request.code_challenge,
            config.code_ttl,
        );
        Ok(Redirect::to(
            &request.redirect_uri,
            &[("code", &code)],
            state,
        ))
    }
}

/// The unexpired request `id`.
fn live<'p>(
    pending: &'p mut HashMap<String, Pending>,
    id: &str,
) -> Result<&'p mut Pending, SignInError> {
    let now = Instant::now();
    pending
        .get_mut(id)
        .filter(|p| p.expires > now)
        .ok_or(SignInError::UnknownRequest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_any_port_on_the_same_host_and_path() {
        let v4 = "http://127.0.0.1/callback";
        let v6 = "http://[::1]/callback";
        assert!(redirect_matches(v4, "http://127.0.0.1:49152/callback"));
        assert!(redirect_matches(v4, "http://127.0.0.1/callback"));
        assert!(redirect_matches(v6, "http://[::1]:8080/callback"));
        for wrong in [
            "http://127.0.0.1:49152/other",
            "http://127.0.0.1:49152/callback/",
            "http://127.0.0.1:49152/callback?x=1",
            "http://127.0.0.1:49152/callback#frag",
            "http://user@127.0.0.1:49152/callback",
            "https://127.0.0.1:49152/callback",
            "http://localhost:49152/callback",
            "http://[::1]:49152/callback",
            "http://127.0.0.2:49152/callback",
            "not a url",
        ] {
            assert!(!redirect_matches(v4, wrong), "{wrong}");
        }
        assert!(!redirect_matches(v6, "http://127.0.0.1:1/callback"));
    }

    #[test]
    fn other_redirects_must_match_exactly() {
        let registered = "https://app.example/cb?x=1";
        assert!(redirect_matches(registered, "https://app.example/cb?x=1"));
        assert!(redirect_matches(
            registered,
            "https://app.example:443/cb?x=1"
        ));
        for wrong in [
            "https://app.example:8443/cb?x=1",
            "http://app.example/cb?x=1",
            "https://app.example/cb",
            "https://app.example/cb?x=2",
            "https://app.example/cb2?x=1",
            "https://evil.example/cb?x=1",
            "https://app.example/cb?x=1#f",
        ] {
            assert!(!redirect_matches(registered, wrong), "{wrong}");
        }
        assert!(!redirect_matches(
            "http://localhost/callback",
            "http://localhost:5000/callback"
        ));
        assert!(!redirect_matches("::", "http://127.0.0.1/callback"));
    }

    #[test]
    fn answers_keep_the_redirect_query_and_echo_the_state() {
        let back = Redirect::to(
            "http://127.0.0.1:9/cb?keep=1",
            &[("code", "abc")],
            Some("s t&u=v"),
        );
        assert_eq!(
            back.0,
            "http://127.0.0.1:9/cb?keep=1&code=abc&state=s+t%26u%3Dv"
        );
        let url = Url::parse(&back.0).unwrap();
        let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1;
        assert_eq!(state, "s t&u=v");
        assert_eq!(
            Redirect::to("http://127.0.0.1:9/cb", &[("code", "c")], None).0,
            "http://127.0.0.1:9/cb?code=c"
        );
    }
}
