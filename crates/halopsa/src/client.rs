//! The client: one HTTP connection pool, one token owner, and the request path every call takes.

use crate::auth::{CachedToken, TokenEndpoint, TokenManager, TokenStore};
use crate::error::{ApiError, AuthError, Error, cut, error_message};
use crate::redact;
use crate::settings::ConnectionSettings;
use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, trace};

/// The `User-Agent` sent with every request.
pub const DEFAULT_USER_AGENT: &str = concat!("halo-rs/", env!("CARGO_PKG_VERSION"));

/// A connection to one Halo instance. Cheap to clone; clones share the token and the pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    settings: ConnectionSettings,
    http: reqwest::Client,
    tokens: TokenManager,
}

/// Builds a [`Client`] with non-default options.
pub struct ClientBuilder {
    settings: ConnectionSettings,
    store: Option<Arc<dyn TokenStore>>,
    refresh_margin: Duration,
    timeout: Duration,
    user_agent: String,
}

impl ClientBuilder {
    /// Keeps tokens between runs in `store`.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// How long before expiry a token is renewed (default 60 s; at most half its lifetime).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Timeout of one HTTP request (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header (default [`DEFAULT_USER_AGENT`]).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Builds the client. Fails on plain http to a non-loopback host unless allowed.
    pub fn build(self) -> Result<Client, Error> {
        let settings = self.settings;
        settings.check_transport(settings.instance())?;
        // The additional headers are default headers of the one HTTP client, so every request
        // carries them: token requests and refreshes included (the PowerShell module lost them).
        let mut headers: HeaderMap = settings.headers().clone();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let ua = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| Error::Config("the User-Agent is not a valid header value".into()))?;
        headers.insert(USER_AGENT, ua);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(self.timeout)
            .connect_timeout(Duration::from_secs(15))
            .https_only(
                !settings.insecure_http_allowed()
                    && !crate::settings::is_loopback(settings.instance()),
            )
            .build()
            .map_err(|e| Error::Config(format!("could not set up HTTP: {e}")))?;
        let tokens = TokenManager::new(
            settings.clone(),
            http.clone(),
            self.store,
            self.refresh_margin,
        );
        Ok(Client {
            inner: Arc::new(Inner {
                settings,
                http,
                tokens,
            }),
        })
    }
}

/// One API call, described as data.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// GET, POST or DELETE (Halo has no PUT or PATCH).
    pub method: Method,
    /// Path below `/api`, e.g. `Tickets/12` (a leading `/api/` is accepted).
    pub path: String,
    /// Query parameters, sent in order.
    pub query: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<serde_json::Value>,
}

impl ApiRequest {
    /// A GET of `path`.
    pub fn get(path: impl Into<String>) -> ApiRequest {
        ApiRequest::new(Method::GET, path)
    }

    /// A request with no query and no body.
    pub fn new(method: Method, path: impl Into<String>) -> ApiRequest {
        ApiRequest {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> ApiRequest {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sets the JSON body.
    pub fn json(mut self, body: serde_json::Value) -> ApiRequest {
        self.body = Some(body);
        self
    }
}

/// A successful reply.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// HTTP status (2xx).
    pub status: u16,
    /// Reply headers.
    pub headers: HeaderMap,
    /// Raw body.
    pub body: Bytes,
    /// The URL requested.
    pub url: String,
}

impl ApiResponse {
    /// Decodes the body; a failure names the JSON path that failed.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let de = &mut serde_json::Deserializer::from_slice(&self.body);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let detail = if inner.is_syntax() || inner.is_eof() {
                let text = String::from_utf8_lossy(&self.body);
                if crate::error::looks_like_html(&text) {
                    "an HTML page instead of JSON".to_string()
                } else {
                    format!("not JSON ({inner})")
                }
            } else if path == "." {
                inner.to_string()
            } else {
                format!("at {path}: {inner}")
            };
            Error::Decode {
                url: self.url.clone(),
                detail,
            }
        })
    }
}

/// What a connection test found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConnectionReport {
    /// The instance URL.
    pub instance: String,
    /// The token endpoint used (empty when a cached token made it unnecessary).
    pub token_url: String,
    /// Whether it came from `/api/authinfo`.
    pub discovered: bool,
    /// The tenant sent, if any.
    pub tenant: Option<String>,
    /// The grant used.
    pub grant: String,
    /// The scopes the server granted.
    pub scope: String,
    /// Seconds until the token expires.
    pub token_expires_in: u64,
    /// Who the token acts as (from `GET /api/Agent/me`), when the scope allows reading it.
    pub agent: Option<AgentIdentity>,
}

/// The acting agent, as `GET /api/Agent/me` gives it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AgentIdentity {
    /// Agent id.
    pub id: crate::Id,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
}

impl Client {
    /// A client with default options.
    pub fn new(settings: ConnectionSettings) -> Result<Client, Error> {
        Client::builder(settings).build()
    }

    /// A builder for non-default options.
    pub fn builder(settings: ConnectionSettings) -> ClientBuilder {
        ClientBuilder {
            settings,
            store: None,
            refresh_margin: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
            user_agent: DEFAULT_USER_AGENT.to_string(),
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &ConnectionSettings {
        &self.inner.settings
    }

    /// A valid token, minted or renewed if needed.
    pub async fn token(&self) -> Result<CachedToken, Error> {
        self.inner.tokens.token(None).await
    }

    /// The token endpoint, discovered on first use.
    pub async fn token_endpoint(&self) -> Result<TokenEndpoint, Error> {
        self.inner.tokens.endpoint().await.cloned()
    }

    /// Forgets the token, here and in the token store.
    pub async fn forget_token(&self) {
        self.inner.tokens.forget().await
    }

    /// Sends one API call with a bearer token. A 401 renews the token once and retries once.
    pub async fn send(&self, req: &ApiRequest) -> Result<ApiResponse, Error> {
        let token = self.inner.tokens.token(None).await?;
        let (status, resp) = self.execute(req, &token.access_token).await?;
        let (status, resp) = if status == 401 {
            debug!(target: "halopsa::http", "401: renewing the token and retrying once");
            let token = self.inner.tokens.token(Some(&token.access_token)).await?;
            let retried = self.execute(req, &token.access_token).await?;
            if retried.0 == 401 {
                return Err(AuthError::TokenRefused {
                    path: req.path.clone(),
                }
                .into());
            }
            retried
        } else {
            (status, resp)
        };
        if (200..300).contains(&status) {
            return Ok(resp);
        }
        let text = String::from_utf8_lossy(&resp.body);
        Err(ApiError {
            status,
            method: req.method.to_string(),
            path: format!("/api/{}", req.path.trim_start_matches('/')),
            message: error_message(status, &text),
            body: cut(&text, 4096),
        }
        .into())
    }

    /// GETs `path` and decodes the JSON reply.
    pub async fn get_json<T: DeserializeOwned>(&self, req: &ApiRequest) -> Result<T, Error> {
        self.send(req).await?.json()
    }

    /// Authenticates and makes one cheap call (`GET /api/Agent/me`), reporting what it found.
    pub async fn test_connection(&self) -> Result<ConnectionReport, Error> {
        let token = self.token().await?;
        let agent = match self
            .get_json::<AgentIdentity>(&ApiRequest::get("Agent/me"))
            .await
        {
            Ok(agent) => Some(agent),
            // The token was accepted; the granted scope just does not cover agents.
            Err(Error::Api(e)) if e.status == 403 => None,
            Err(e) => return Err(e),
        };
        // A cached token needed no endpoint: don't discover one just to report it.
        let endpoint = self.inner.tokens.known_endpoint().cloned();
        Ok(ConnectionReport {
            instance: self
                .settings()
                .instance()
                .as_str()
                .trim_end_matches('/')
                .to_string(),
            token_url: endpoint
                .as_ref()
                .map(|e| e.url.to_string())
                .unwrap_or_default(),
            discovered: endpoint.as_ref().is_some_and(|e| e.discovered),
            tenant: endpoint
                .and_then(|e| e.tenant)
                .or_else(|| self.settings().tenant().map(str::to_string)),
            grant: self.settings().grant().name().to_string(),
            scope: token.scope.clone(),
            token_expires_in: token.remaining(),
            agent,
        })
    }

    async fn execute(
        &self,
        req: &ApiRequest,
        token: &SecretString,
    ) -> Result<(u16, ApiResponse), Error> {
        let url = self.inner.settings.api_url(&req.path)?;
        let mut builder = self
            .inner
            .http
            .request(req.method.clone(), url.clone())
            .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()));
        if !req.query.is_empty() {
            builder = builder.query(&req.query);
        }
        if let Some(body) = &req.body {
            builder = builder.json(body);
        }
        let request = builder
            .build()
            .map_err(|e| Error::Config(format!("could not build the request: {e}")))?;
        debug!(target: "halopsa::http", "{} {}", request.method(), request.url());
        if tracing::enabled!(target: "halopsa::http::headers", tracing::Level::TRACE) {
            for (name, value) in request
                .headers()
                .iter()
                .chain(self.inner.http_default_headers())
            {
                let value = value.to_str().unwrap_or("<binary>");
                trace!(target: "halopsa::http::headers", "> {name}: {}", redact::header_value(name.as_str(), value));
            }
        }
        if let Some(body) = &req.body {
            trace!(target: "halopsa::http::body", "> {}", redact::json(body));
        }
        let started = Instant::now();
        let resp = self
            .inner
            .http
            .execute(request)
            .await
            .map_err(|e| Error::transport(&url, &e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| Error::transport(&url, &e))?;
        debug!(
            target: "halopsa::http",
            "{status} {} {} in {} ms ({} bytes)",
            req.method,
            url.path(),
            started.elapsed().as_millis(),
            body.len()
        );
        if tracing::enabled!(target: "halopsa::http::headers", tracing::Level::TRACE) {
            for (name, value) in &headers {
                let value = value.to_str().unwrap_or("<binary>");
                trace!(target: "halopsa::http::headers", "< {name}: {}", redact::header_value(name.as_str(), value));
            }
        }
        trace!(target: "halopsa::http::body", "< {}", redact::body(&body));
        Ok((
            status,
            ApiResponse {
                status,
                headers,
                body,
                url: url.to_string(),
            },
        ))
    }
}

impl Inner {
    /// The additional headers, for logging (reqwest adds default headers after `build`).
    fn http_default_headers(
        &self,
    ) -> impl Iterator<Item = (&reqwest::header::HeaderName, &HeaderValue)> {
        self.settings.headers().iter()
    }
}
