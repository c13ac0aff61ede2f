//! Connection settings: where the instance is, how to authenticate, and what to send.

use crate::auth::wire::DEFAULT_SCOPE;
use crate::error::Error;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use url::Url;

/// How the client obtains tokens.
#[derive(Clone)]
#[non_exhaustive]
pub enum Grant {
    /// `client_credentials`: an application id and secret ("Services" application type).
    ClientCredentials {
        /// The application's secret.
        client_secret: SecretString,
    },
    /// `password`: an agent's username and password with the application's client id.
    Password {
        /// The agent's login.
        username: String,
        /// The agent's password.
        password: SecretString,
        /// Sent too when the application has a secret.
        client_secret: Option<SecretString>,
    },
    /// `authorization_code` with PKCE, then `refresh_token`: an agent who signed in through
    /// the browser (an "Authorisation Code (Native Application)"; `halo login`). Tokens come
    /// from the sign-in's refresh token; without one, nothing can be minted until a sign-in.
    AuthorizationCode {
        /// The refresh token of the sign-in, once there is one.
        refresh_token: Option<SecretString>,
        /// Sent too when the application has a secret.
        client_secret: Option<SecretString>,
    },
}

impl Grant {
    /// The wire name of the grant.
    pub fn name(&self) -> &'static str {
        match self {
            Grant::ClientCredentials { .. } => crate::auth::wire::GRANT_CLIENT_CREDENTIALS,
            Grant::Password { .. } => crate::auth::wire::GRANT_PASSWORD,
            Grant::AuthorizationCode { .. } => crate::auth::wire::GRANT_AUTHORIZATION_CODE,
        }
    }

    /// The username of a password grant.
    pub fn username(&self) -> Option<&str> {
        match self {
            Grant::Password { username, .. } => Some(username),
            Grant::ClientCredentials { .. } | Grant::AuthorizationCode { .. } => None,
        }
    }
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grant::ClientCredentials { .. } => f
                .debug_struct("ClientCredentials")
                .field("client_secret", &"[redacted]")
                .finish(),
            Grant::Password {
                username,
                client_secret,
                ..
            } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &"[redacted]")
                .field(
                    "client_secret",
                    &client_secret.as_ref().map(|_| "[redacted]"),
                )
                .finish(),
            Grant::AuthorizationCode {
                refresh_token,
                client_secret,
            } => f
                .debug_struct("AuthorizationCode")
                .field(
                    "refresh_token",
                    &refresh_token.as_ref().map(|_| "[redacted]"),
                )
                .field(
                    "client_secret",
                    &client_secret.as_ref().map(|_| "[redacted]"),
                )
                .finish(),
        }
    }
}

/// Everything needed to talk to one Halo instance.
#[derive(Clone)]
pub struct ConnectionSettings {
    instance: Url,
    client_id: String,
    grant: Grant,
    scopes: Vec<String>,
    tenant: Option<String>,
    auth_url: Option<Url>,
    headers: HeaderMap,
    allow_insecure_http: bool,
}

impl fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionSettings")
            .field("instance", &self.instance.as_str())
            .field("client_id", &self.client_id)
            .field("grant", &self.grant)
            .field("scopes", &self.scopes)
            .field("tenant", &self.tenant)
            .field("auth_url", &self.auth_url.as_ref().map(Url::as_str))
            .field(
                "headers",
                &self
                    .headers
                    .keys()
                    .map(HeaderName::as_str)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl ConnectionSettings {
    /// Settings for `instance` (e.g. `https://acme.halopsa.com` or `https://example.com/halo`).
    ///
    /// The URL's path is kept (self-hosted instances may live under a sub-path); a trailing
    /// `/api` is dropped, since integration screens often ask for the resource-server URL.
    pub fn new(
        instance: &str,
        client_id: impl Into<String>,
        grant: Grant,
    ) -> Result<ConnectionSettings, Error> {
        let client_id = client_id.into();
        if client_id.trim().is_empty() {
            return Err(Error::InvalidSettings("the client ID is empty".into()));
        }
        Ok(ConnectionSettings {
            instance: normalise_instance(instance)?,
            client_id,
            grant,
            scopes: vec![DEFAULT_SCOPE.to_string()],
            tenant: None,
            auth_url: None,
            headers: HeaderMap::new(),
            allow_insecure_http: false,
        })
    }

    /// Scopes to ask for; an empty list means the default `all`.
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let scopes: Vec<String> = scopes
            .into_iter()
            .flat_map(|s| {
                s.as_ref()
                    .split([' ', ','])
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        for scope in &scopes {
            check_scope(scope)?;
        }
        self.scopes = if scopes.is_empty() {
            vec![DEFAULT_SCOPE.to_string()]
        } else {
            scopes
        };
        Ok(self)
    }

    /// The tenant sent as `?tenant=` on token requests (hosted instances).
    pub fn with_tenant(mut self, tenant: Option<String>) -> Self {
        self.tenant = tenant.filter(|t| !t.trim().is_empty());
        self
    }

    /// An explicit authorisation server URL (its token endpoint is this plus `/token`);
    /// overrides discovery.
    pub fn with_auth_url(mut self, auth_url: Option<&str>) -> Result<Self, Error> {
        self.auth_url = match auth_url {
            Some(u) => Some(parse_http_url(u, "auth URL")?),
            None => None,
        };
        Ok(self)
    }

    /// A header sent with every request, token requests included (`"Name: value"` or name/value).
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| Error::InvalidSettings(format!("'{name}' is not a valid header name")))?;
        let value = HeaderValue::from_str(value.trim()).map_err(|_| {
            Error::InvalidSettings(format!("the value of header '{name}' is not valid"))
        })?;
        self.headers.append(name, value);
        Ok(self)
    }

    /// Parses `"Name: value"` and adds it with [`with_header`](Self::with_header).
    pub fn with_header_line(self, line: &str) -> Result<Self, Error> {
        let (name, value) = line.split_once(':').ok_or_else(|| {
            Error::InvalidSettings(format!("header '{line}' is not of the form 'Name: value'"))
        })?;
        self.with_header(name, value)
    }

    /// Allows `http://` to a host other than loopback (never recommended).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The instance URL, normalised (no trailing slash, path kept).
    pub fn instance(&self) -> &Url {
        &self.instance
    }

    /// The application's client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The grant in use.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// The scopes asked for.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The scopes as sent: space-joined.
    pub fn scope_string(&self) -> String {
        self.scopes.join(" ")
    }

    /// The tenant the user set, if any.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The explicit authorisation server, if any.
    pub fn auth_url(&self) -> Option<&Url> {
        self.auth_url.as_ref()
    }

    /// The additional headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Whether any URL the settings name is `https` (else no TLS is set up: a local instance
    /// on plain http does without loading the system's root certificates).
    pub fn uses_tls(&self) -> bool {
        std::iter::once(&self.instance)
            .chain(self.auth_url.as_ref())
            .any(|u| u.scheme() == "https")
    }

    /// Whether plain HTTP to a non-loopback host is allowed.
    pub fn insecure_http_allowed(&self) -> bool {
        self.allow_insecure_http
    }

    /// `{instance}/api/{path}`.
    pub fn api_url(&self, path: &str) -> Result<Url, Error> {
        let path = path.trim_start_matches('/');
        let path = strip_api_prefix(path);
        join(&self.instance, &format!("api/{path}"))
    }

    /// `{instance}/auth`: the authorisation server when discovery gives none.
    pub fn default_auth_base(&self) -> Result<Url, Error> {
        join(&self.instance, "auth")
    }

    /// A string that changes whenever a cached token would no longer fit these settings.
    pub fn fingerprint(&self) -> String {
        [
            self.instance.as_str(),
            &self.client_id,
            self.grant.name(),
            self.grant.username().unwrap_or(""),
            self.tenant.as_deref().unwrap_or(""),
            &self.scope_string(),
            self.auth_url.as_ref().map(Url::as_str).unwrap_or(""),
        ]
        .join("|")
    }

    /// The client secret, if the grant has one.
    pub(crate) fn client_secret(&self) -> Option<&str> {
        match &self.grant {
            Grant::ClientCredentials { client_secret } => Some(client_secret.expose_secret()),
            Grant::Password { client_secret, .. }
            | Grant::AuthorizationCode { client_secret, .. } => {
                client_secret.as_ref().map(|s| s.expose_secret())
            }
        }
    }

    /// The secrets the settings hold (the client secret, the password), for
    /// [`crate::redact::remember`].
    pub(crate) fn secrets(&self) -> Vec<&str> {
        let password = match &self.grant {
            Grant::Password { password, .. } => Some(password.expose_secret()),
            Grant::AuthorizationCode { refresh_token, .. } => {
                refresh_token.as_ref().map(|r| r.expose_secret())
            }
            Grant::ClientCredentials { .. } => None,
        };
        self.client_secret().into_iter().chain(password).collect()
    }

    /// Refuses `http://` to anything but loopback unless allowed, and `https://` when the
    /// settings name no https URL (the client then set up no TLS: see [`Self::uses_tls`]).
    pub(crate) fn check_transport(&self, url: &Url) -> Result<(), Error> {
        if url.scheme() == "https" {
            if self.uses_tls() {
                return Ok(());
            }
            return Err(Error::TlsNotSetUp {
                url: url.to_string(),
            });
        }
        if self.allow_insecure_http || is_loopback(url) {
            return Ok(());
        }
        Err(Error::InsecureHttp {
            host: url.host_str().unwrap_or("?").to_string(),
        })
    }
}

/// Whether the URL points at this machine.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn parse_http_url(text: &str, what: &str) -> Result<Url, Error> {
    let url = Url::parse(text.trim()).map_err(|e| {
        Error::InvalidSettings(format!("the {what} '{text}' is not a valid URL: {e}"))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::InvalidSettings(format!(
            "the {what} '{text}' must start with https://"
        )));
    }
    Ok(url)
}

fn normalise_instance(text: &str) -> Result<Url, Error> {
    let mut url = parse_http_url(text, "instance URL")?;
    url.set_query(None);
    url.set_fragment(None);
    let mut path = url.path().trim_end_matches('/').to_string();
    // Quirk: integration screens ask for the "resource server" (`…/api`); we want the instance.
    if path.to_ascii_lowercase().ends_with("/api") {
        path.truncate(path.len() - 4);
    }
    url.set_path(&path);
    Ok(url)
}

fn strip_api_prefix(path: &str) -> &str {
    match path.get(..4) {
        Some(p) if p.eq_ignore_ascii_case("api/") => &path[4..],
        _ => path,
    }
}

fn join(base: &Url, rest: &str) -> Result<Url, Error> {
    let text = format!("{}/{}", base.as_str().trim_end_matches('/'), rest);
    Url::parse(&text).map_err(|e| Error::InvalidSettings(format!("bad URL '{text}': {e}")))
}

/// Rejects scope names Halo is known to refuse, naming the one to use instead.
fn check_scope(scope: &str) -> Result<(), Error> {
    let (verb, area) = scope.split_once(':').unwrap_or((scope, ""));
    let instead = match area {
        "actions" => Some("tickets"),
        "users" | "sites" => Some("customers"),
        "agents" => None,
        _ => return Ok(()),
    };
    let hint = match instead {
        Some(a) => format!("use '{verb}:{a}'"),
        None => "agents come under 'all' or 'admin'".to_string(),
    };
    Err(Error::InvalidSettings(format!(
        "Halo has no scope '{scope}' ({hint})"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> ConnectionSettings {
        ConnectionSettings::new(
            url,
            "cid",
            Grant::ClientCredentials {
                client_secret: SecretString::from("s3cret-value"),
            },
        )
        .unwrap()
    }

    #[test]
    fn keeps_the_path_prefix_and_drops_a_trailing_api() {
        let s = settings("https://example.com/halo/");
        assert_eq!(
            s.api_url("Tickets").unwrap().as_str(),
            "https://example.com/halo/api/Tickets"
        );
        assert_eq!(
            s.default_auth_base().unwrap().as_str(),
            "https://example.com/halo/auth"
        );
        let s = settings("https://acme.halopsa.com/API");
        assert_eq!(
            s.api_url("/api/authinfo").unwrap().as_str(),
            "https://acme.halopsa.com/api/authinfo"
        );
    }

    #[test]
    fn scopes_default_to_all_and_join_with_spaces() {
        let s = settings("https://x.example");
        assert_eq!(s.scope_string(), "all");
        let s = s
            .with_scopes(["read:tickets edit:tickets", "read:customers"])
            .unwrap();
        assert_eq!(s.scope_string(), "read:tickets edit:tickets read:customers");
        let s = s.with_scopes(Vec::<String>::new()).unwrap();
        assert_eq!(s.scope_string(), "all");
    }

    #[test]
    fn known_bad_scopes_are_refused_with_the_right_one() {
        let err = settings("https://x.example")
            .with_scopes(["read:actions"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("read:tickets"), "{err}");
        let err = settings("https://x.example")
            .with_scopes(["edit:sites"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("edit:customers"), "{err}");
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let s = settings("http://halo.example.com");
        let url = s.api_url("x").unwrap();
        assert!(s.check_transport(&url).is_err());
        assert!(
            s.clone()
                .allow_insecure_http(true)
                .check_transport(&url)
                .is_ok()
        );
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:2",
        ] {
            let s = settings(local);
            assert!(
                s.check_transport(&s.api_url("x").unwrap()).is_ok(),
                "{local}"
            );
        }
    }

    #[test]
    fn bad_urls_and_headers_are_config_errors() {
        for bad in ["", "example.com", "ftp://x.example", "https://"] {
            assert!(
                ConnectionSettings::new(
                    bad,
                    "c",
                    Grant::ClientCredentials {
                        client_secret: SecretString::from("x")
                    }
                )
                .is_err(),
                "{bad}"
            );
        }
        assert!(
            settings("https://x.example")
                .with_header_line("no colon")
                .is_err()
        );
        assert!(
            settings("https://x.example")
                .with_header_line("X-A: b")
                .is_ok()
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        let s = settings("https://x.example");
        assert!(!format!("{s:?}").contains("s3cret-value"));
        assert!(format!("{s:?}").contains("[redacted]"));
    }
}
