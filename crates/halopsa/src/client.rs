//! The client: one HTTP connection pool, one token owner, and the request path every call takes.

use crate::auth::{CachedToken, TokenEndpoint, TokenManager, TokenStore};
use crate::error::{ApiError, AuthError, Error, cut, error_message};
use crate::limiter::RateLimiter;
use crate::redact;
use crate::reply::{Answer, Failed, Reply, follow, reply};
use crate::retry::{Attempt, Decision, GaveUp, RetryPolicy};
use crate::settings::ConnectionSettings;
use crate::transfer::{Progress, StreamedBody, StreamedResponse, stalled};
use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE,
    HeaderMap, HeaderValue, USER_AGENT,
};
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
    shared: Arc<Resilience>,
    /// The client's timeout: a whole request's bound, or a streamed one's longest stillness.
    timeout: Duration,
}

/// The bound of a whole streamed request, in place of the client's timeout (which bounds
/// instead how long nothing moves: [`crate::transfer`]).
const STREAMED_REQUEST_BOUND: Duration = Duration::from_secs(30 * 24 * 3600);

/// Whether an instance is hosted by Halo (and so under its 300 per 5 minutes limit).
pub fn is_hosted(instance: &url::Url) -> bool {
    let host = instance.host_str().unwrap_or("").to_ascii_lowercase();
    [
        "halopsa.com",
        "haloitsm.com",
        "halocrm.io",
        "haloservicedesk.com",
        "usehalo.com",
    ]
    .iter()
    .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// A wait a person may want to hear of: the rate limit, a retry, a slow reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Wait {
    /// The client-side rate limit holds the request back.
    RateLimit {
        /// How long.
        wait: Duration,
        /// Requests allowed per window (as in force now).
        requests: u32,
        /// The window.
        window: Duration,
    },
    /// A request is sent again after a failure.
    Retry {
        /// The request (`GET Tickets`).
        what: String,
        /// What failed (`HTTP 429`, `no answer`).
        why: String,
        /// How long until it is sent again.
        delay: Duration,
        /// The retry about to be made (1-based) and the most allowed.
        retry: u32,
        /// The most retries allowed.
        of: u32,
    },
    /// No answer yet.
    Slow {
        /// The request.
        what: String,
        /// How long it has waited so far.
        waited: Duration,
    },
}

impl std::fmt::Display for Wait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = |d: &Duration| format!("{:.0} s", d.as_secs_f64().max(1.0));
        match self {
            Wait::RateLimit {
                wait,
                requests,
                window,
            } => write!(
                f,
                "waiting {} for the rate limit ({requests} requests per {})",
                secs(wait),
                secs(window)
            ),
            Wait::Retry {
                what,
                why,
                delay,
                retry,
                of,
            } => write!(f, "{what}: {why}; retry {retry} of {of} in {}", secs(delay)),
            Wait::Slow { what, waited } => {
                write!(f, "{what}: no answer yet after {}", secs(waited))
            }
        }
    }
}

/// Who hears of waits, and from how long on.
#[derive(Clone)]
pub(crate) struct WaitHook {
    pub(crate) tell: Arc<dyn Fn(&Wait) + Send + Sync>,
    pub(crate) over: Duration,
}

/// The limits, the retry policy and the counters, shared by API calls and token requests.
pub(crate) struct Resilience {
    pub(crate) limiter: Option<RateLimiter>,
    pub(crate) policy: RetryPolicy,
    pub(crate) counters: Counters,
    /// The largest reply body read, compressed or decompressed.
    pub(crate) max_response: u64,
    /// Who hears of long waits.
    pub(crate) waits: Option<WaitHook>,
}

impl Resilience {
    /// Tells the hook of a wait, when it is long enough.
    fn tell(&self, wait: Wait, length: Duration) {
        if let Some(hook) = &self.waits
            && length >= hook.over
        {
            (hook.tell)(&wait);
        }
    }

    /// Waits for the rate limit, counting and logging the wait.
    pub(crate) async fn admit(&self) {
        if let Some(limiter) = &self.limiter {
            let waited = limiter
                .acquire_noting(|wait| {
                    let (requests, _, window) = limiter.limits();
                    self.tell(
                        Wait::RateLimit {
                            wait,
                            requests,
                            window,
                        },
                        wait,
                    );
                })
                .await;
            if !waited.is_zero() {
                Counters::add(&self.counters.waited_ms, waited.as_millis() as u64);
                debug!(target: "halopsa::http", "rate limit: waited {} ms", waited.as_millis());
            }
        }
    }

    /// Sleeps before retry number `attempt` (after `why`), counting, logging and telling it.
    pub(crate) async fn back_off(&self, what: &str, why: &str, delay: Duration, attempt: u32) {
        self.tell(
            Wait::Retry {
                what: what.to_string(),
                why: why.to_string(),
                delay,
                retry: attempt + 1,
                of: self.policy.max_retries,
            },
            delay,
        );
        Counters::add(&self.counters.retries, 1);
        Counters::add(&self.counters.waited_ms, delay.as_millis() as u64);
        debug!(
            target: "halopsa::http",
            "{what}: retry {} of {} in {} ms",
            attempt + 1,
            self.policy.max_retries,
            delay.as_millis()
        );
        tokio::time::sleep(delay).await;
    }

    /// Sends with `attempt` (within the rate limit) until the policy is done: the one retry
    /// loop of API calls, token requests and discovery. Returns the last reply, whatever its
    /// status, with the record of why the policy gave up on it, if it did; a request that got
    /// no reply is an error carrying that record.
    pub(crate) async fn retrying<R, F, Fut>(
        &self,
        what: &str,
        idempotent: bool,
        mut attempt_fn: F,
    ) -> Result<(R, Option<GaveUp>), Error>
    where
        R: Reply,
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<R, Failed>>,
    {
        let started = Instant::now();
        let (mut attempt, mut waited) = (0, Duration::ZERO);
        loop {
            self.admit().await;
            let result = self.noting_slowness(what, attempt_fn()).await;
            if let Err(f) = &result
                && !f.retryable
            {
                return result.map(|r| (r, None)).map_err(|f| f.error);
            }
            let (outcome, retry_after) = match &result {
                Ok(r) => {
                    if r.status() == 429 {
                        self.rate_limited();
                    }
                    (
                        Attempt::Status(r.status()),
                        crate::retry::retry_after(r.headers()),
                    )
                }
                Err(f) => (Attempt::Transport { sent: f.sent }, None),
            };
            match self
                .policy
                .decide(idempotent, outcome, attempt, started.elapsed(), retry_after)
            {
                Decision::Retry(delay) => {
                    let why = match &result {
                        Ok(r) => format!("HTTP {}", r.status()),
                        Err(f) => match &f.error {
                            Error::Transport { reason, .. } => format!("no answer ({reason})"),
                            other => other.to_string(),
                        },
                    };
                    self.back_off(what, &why, delay, attempt).await;
                    attempt += 1;
                    waited += delay;
                }
                Decision::GiveUp(why) => {
                    let record = GaveUp {
                        why,
                        attempts: attempt + 1,
                        last_status: result.as_ref().ok().map(|r| r.status()),
                        waited,
                        elapsed: started.elapsed(),
                        max_elapsed: self.policy.max_elapsed,
                    };
                    return match result {
                        Ok(r) => Ok((r, Some(record))),
                        Err(f) => Err(match f.error {
                            Error::Transport {
                                url,
                                reason,
                                sent,
                                cause,
                                ..
                            } => Error::Transport {
                                url,
                                reason,
                                sent,
                                gave_up: Some(Box::new(record)),
                                cause,
                            },
                            other => other,
                        }),
                    };
                }
                _ => return result.map(|r| (r, None)).map_err(|f| f.error),
            }
        }
    }

    /// Awaits `reply`, telling the hook once when it takes longer than the hook's threshold.
    async fn noting_slowness<T>(
        &self,
        what: &str,
        reply: impl std::future::Future<Output = T>,
    ) -> T {
        let Some(hook) = &self.waits else {
            return reply.await;
        };
        tokio::pin!(reply);
        tokio::select! {
            done = &mut reply => done,
            _ = tokio::time::sleep(hook.over) => {
                self.tell(Wait::Slow { what: what.to_string(), waited: hook.over }, hook.over);
                reply.await
            }
        }
    }

    /// Notes a 429: counted, and the limit shrinks (another process may share the budget).
    pub(crate) fn rate_limited(&self) {
        Counters::add(&self.counters.rate_limited, 1);
        if let Some(limiter) = &self.limiter {
            limiter.penalize();
        }
    }
}

/// What a client has done so far (for summaries and benchmarks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// HTTP requests sent to the API (token requests not included).
    pub requests: u64,
    /// Token requests sent.
    pub token_requests: u64,
    /// Requests sent again after a transient failure.
    pub retries: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Time spent waiting for the rate limit or before retries, in milliseconds.
    pub waited_ms: u64,
}

/// The counters behind [`ClientStats`], shared with the token manager.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: std::sync::atomic::AtomicU64,
    pub(crate) token_requests: std::sync::atomic::AtomicU64,
    pub(crate) retries: std::sync::atomic::AtomicU64,
    pub(crate) rate_limited: std::sync::atomic::AtomicU64,
    pub(crate) waited_ms: std::sync::atomic::AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &std::sync::atomic::AtomicU64, n: u64) {
        counter.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    fn snapshot(&self) -> ClientStats {
        use std::sync::atomic::Ordering::Relaxed;
        ClientStats {
            requests: self.requests.load(Relaxed),
            token_requests: self.token_requests.load(Relaxed),
            retries: self.retries.load(Relaxed),
            rate_limited: self.rate_limited.load(Relaxed),
            waited_ms: self.waited_ms.load(Relaxed),
        }
    }
}

/// Builds a [`Client`] with non-default options.
pub struct ClientBuilder {
    settings: ConnectionSettings,
    store: Option<Arc<dyn TokenStore>>,
    refresh_margin: Duration,
    timeout: Duration,
    user_agent: String,
    limiter: Option<Option<RateLimiter>>,
    retry: RetryPolicy,
    max_response: u64,
    waits: Option<WaitHook>,
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

    /// The settings the client will use.
    pub fn settings(&self) -> &ConnectionSettings {
        &self.settings
    }

    /// The client-side rate limit: `Some(limiter)`, or `None` for none. Without this call, a
    /// limiter of [`default_rule`](crate::limiter::default_rule), its log in memory: hosted
    /// instances (`*.halopsa.com`, `*.haloitsm.com`, ...) get Halo's 300 per 5 minutes and
    /// other instances none.
    pub fn rate_limit(mut self, limiter: Option<RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// How transient failures are retried (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Tells `hook` of every wait of `over` or more (the rate limit, a retry, a reply that has
    /// not come): for a program to say what is going on while a person waits.
    pub fn on_wait(mut self, over: Duration, hook: impl Fn(&Wait) + Send + Sync + 'static) -> Self {
        self.waits = Some(WaitHook {
            tell: Arc::new(hook),
            over,
        });
        self
    }

    /// The largest reply body read, compressed and decompressed alike (default
    /// [`DEFAULT_MAX_RESPONSE`](crate::DEFAULT_MAX_RESPONSE), 64 MiB): a larger one is
    /// [`Error::TooLarge`], so a server that misbehaves cannot exhaust memory.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response = bytes.max(1);
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
        // Decoded by `reply`, which bounds both sizes (reqwest's own decoding bounds neither).
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let ua = HeaderValue::from_str(&self.user_agent).map_err(|_| {
            Error::InvalidSettings("the User-Agent is not a valid header value".into())
        })?;
        headers.insert(USER_AGENT, ua);
        let mut http = reqwest::Client::builder();
        if !settings.uses_tls() {
            // Loading the platform's root certificates is most of a run's start-up; plain
            // http needs none of them.
            http = http.tls_certs_only(Vec::new());
        }
        // No redirect is followed by the HTTP client itself: `reply::send_within_origin`
        // follows them within the instance only, and token requests follow none. No
        // `Referer` either: it would tell another host the full URL.
        let http = http
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .timeout(self.timeout)
            .connect_timeout(Duration::from_secs(15))
            .https_only(
                !settings.insecure_http_allowed()
                    && !crate::settings::is_loopback(settings.instance()),
            )
            .build()
            .map_err(|e| Error::Setup(format!("could not set up HTTP: {e}")))?;
        let limiter = match self.limiter {
            Some(chosen) => chosen,
            None => crate::limiter::default_rule(settings.instance())
                .map(|(requests, window)| RateLimiter::new(requests, window)),
        };
        let shared = Arc::new(Resilience {
            limiter,
            policy: self.retry,
            counters: Counters::default(),
            max_response: self.max_response,
            waits: self.waits,
        });
        for secret in settings.secrets() {
            redact::remember(secret);
        }
        let tokens = TokenManager::new(
            settings.clone(),
            http.clone(),
            self.store,
            self.refresh_margin,
            shared.clone(),
        );
        Ok(Client {
            inner: Arc::new(Inner {
                settings,
                http,
                tokens,
                shared,
                timeout: self.timeout,
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
    /// A body streamed instead of `body` (an upload), made anew for each attempt.
    pub stream: Option<StreamedBody>,
    /// Whether sending it twice does what sending it once does, whatever its method (an
    /// update POST: the same id and values again). GET, HEAD, DELETE and OPTIONS are anyway.
    pub idempotent: bool,
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
            stream: None,
            idempotent: false,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> ApiRequest {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Marks it safe to send twice (an update: Halo saves the same values again), so a reply
    /// lost after it was sent is retried like a GET's.
    pub fn idempotent(mut self) -> ApiRequest {
        self.idempotent = true;
        self
    }

    /// Whether it may be sent again when it may have reached Halo.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent || crate::retry::is_idempotent(&self.method)
    }

    /// Sets the JSON body.
    pub fn json(mut self, body: serde_json::Value) -> ApiRequest {
        self.body = Some(body);
        self
    }

    /// Sets a streamed body (sent instead of any JSON body). Unless marked
    /// [`idempotent`](Self::idempotent), a request that carries one is retried only where it
    /// cannot have reached Halo (a 429, a refused connection).
    pub fn streamed(mut self, body: StreamedBody) -> ApiRequest {
        self.stream = Some(body);
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
                crate::error::not_json(&self.body, &inner)
            } else if path == "." {
                inner.to_string()
            } else {
                format!("at {path}: {inner}")
            };
            Error::Decode {
                url: self.url.clone(),
                // serde quotes values of the reply: a server may echo a secret.
                detail: redact::scrub(&detail).into_owned(),
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
            limiter: None,
            retry: RetryPolicy::default(),
            max_response: crate::reply::DEFAULT_MAX_RESPONSE,
            waits: None,
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &ConnectionSettings {
        &self.inner.settings
    }

    /// What this client (and its clones) did so far.
    pub fn stats(&self) -> ClientStats {
        self.inner.shared.counters.snapshot()
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

    /// The URL a browser opens to sign in (authorization code with PKCE; the token endpoint
    /// discovered first): `{auth}/authorize?response_type=code&client_id&redirect_uri&scope&
    /// state&code_challenge&code_challenge_method=S256` (and the tenant).
    pub async fn authorize_url(
        &self,
        req: &crate::auth::pkce::AuthorizeRequest<'_>,
    ) -> Result<url::Url, Error> {
        self.inner.tokens.authorize_url(req).await
    }

    /// Exchanges the code a sign-in sent back for tokens, with the verifier of its challenge
    /// and the same redirect URI; the tokens are kept (and stored) as the client's own.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce: &crate::auth::pkce::Pkce,
    ) -> Result<CachedToken, Error> {
        self.inner
            .tokens
            .exchange_code(code, redirect_uri, pkce)
            .await
    }

    /// Revokes the refresh token in use at the authorisation server (RFC 7009's
    /// `{auth}/revoke`): `Ok(false)` when there is none, or the server offers no revocation.
    pub async fn revoke_refresh_token(&self) -> Result<bool, Error> {
        self.inner.tokens.revoke().await
    }

    /// Sends one API call with a bearer token, within the rate limit. A 401 renews the token
    /// once and retries once; 429, 502/503/504 and transport failures are retried by the
    /// retry policy (a POST that may have reached Halo is not).
    pub async fn send(&self, req: &ApiRequest) -> Result<ApiResponse, Error> {
        match self.answer(req, false).await? {
            (Answer::Whole(resp), gave_up) => self.finish(req, resp, gave_up),
            (Answer::Open(url, resp), gave_up) => {
                let limit = self.inner.shared.max_response;
                let resp = reply(&url, Ok(resp), limit).await.map_err(|f| f.error)?;
                self.finish(req, resp, gave_up)
            }
        }
    }

    /// [`send`](Self::send), a success's body left unread to be taken as it comes (a file
    /// download), so that it never sits in memory; an error reply is read whole and mapped
    /// as `send` maps it. The client's timeout bounds how long nothing moves, not the whole
    /// transfer; the body is asked for unencoded (no gzip) and refused if it comes encoded.
    pub async fn send_streamed(&self, req: &ApiRequest) -> Result<StreamedResponse, Error> {
        match self.answer(req, true).await? {
            (Answer::Whole(resp), gave_up) => {
                self.finish(req, resp, gave_up).map(StreamedResponse::whole)
            }
            (Answer::Open(url, resp), _) => {
                if let Some(coding) = resp
                    .headers()
                    .get(CONTENT_ENCODING)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.trim().to_ascii_lowercase())
                    .filter(|v| !v.is_empty() && v != "identity")
                {
                    return Err(Error::Decode {
                        url: url.to_string(),
                        detail: format!(
                            "the reply is encoded as '{coding}', which was not asked for"
                        ),
                    });
                }
                Ok(StreamedResponse::open(&url, resp, self.inner.timeout))
            }
        }
    }

    /// The reply to `req` (a success left unread when `open`), after the retry policy and
    /// the one token renewal on a 401. Each attempt is boxed: it is a large future, and the
    /// callers' futures (and their stacks, in debug builds) would hold two of it.
    async fn answer(
        &self,
        req: &ApiRequest,
        open: bool,
    ) -> Result<(Answer, Option<GaveUp>), Error> {
        let shared = &self.inner.shared;
        let what = format!("{} {}", req.method, req.path);
        let token = self.inner.tokens.token(None).await?;
        let first = shared
            .retrying(&what, req.is_idempotent(), || {
                Box::pin(self.execute(req, &token.access_token, open))
            })
            .await?;
        if first.0.status() != 401 {
            return Ok(first);
        }
        debug!(target: "halopsa::http", "401: renewing the token and retrying once");
        let token = self.inner.tokens.token(Some(&token.access_token)).await?;
        let again = shared
            .retrying(&what, req.is_idempotent(), || {
                Box::pin(self.execute(req, &token.access_token, open))
            })
            .await?;
        if again.0.status() == 401 {
            return Err(AuthError::TokenRefused {
                path: req.path.clone(),
            }
            .into());
        }
        Ok(again)
    }

    /// A reply as the caller sees it: the response on 2xx, else the API error.
    fn finish(
        &self,
        req: &ApiRequest,
        resp: ApiResponse,
        gave_up: Option<GaveUp>,
    ) -> Result<ApiResponse, Error> {
        if (200..300).contains(&resp.status) {
            return Ok(resp);
        }
        // A server may echo what it was sent: no secret reaches the message.
        let text = redact::scrub(&String::from_utf8_lossy(&resp.body)).into_owned();
        Err(ApiError {
            status: resp.status,
            method: req.method.to_string(),
            path: format!("/api/{}", req.path.trim_start_matches('/')),
            message: error_message(resp.status, &text),
            body: cut(&text, 4096),
            gave_up: gave_up.map(Box::new),
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
        open: bool,
    ) -> Result<Answer, Failed> {
        let url = self
            .inner
            .settings
            .api_url(&req.path)
            .map_err(Failed::before)?;
        let mut builder = self
            .inner
            .http
            .request(req.method.clone(), url.clone())
            .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()));
        if !req.query.is_empty() {
            builder = builder.query(&req.query);
        }
        let progress = Progress::new();
        if let Some(stream) = &req.stream {
            builder = builder
                .header(CONTENT_TYPE, stream.content_type())
                .header(CONTENT_LENGTH, stream.length())
                .body(stream.make(&progress));
        } else if let Some(body) = &req.body {
            builder = builder.json(body);
        }
        if open {
            builder = builder
                .header(ACCEPT, "*/*")
                .header(ACCEPT_ENCODING, "identity");
        }
        let streamed = open || req.stream.is_some();
        if streamed {
            builder = builder.timeout(STREAMED_REQUEST_BOUND);
        }
        let request = builder.build().map_err(|e| {
            Failed::before(Error::Setup(format!("could not build the request: {e}")))
        })?;
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
        if let Some(stream) = &req.stream {
            trace!(target: "halopsa::http::body", "> ({} bytes streamed)", stream.length());
        } else if let Some(body) = &req.body {
            trace!(target: "halopsa::http::body", "> {}", redact::json(body));
        }
        let started = Instant::now();
        Counters::add(&self.inner.shared.counters.requests, 1);
        let limit = self.inner.shared.max_response;
        let sending = follow(&self.inner.http, request, limit, open);
        let answer = if streamed {
            let idle = self.inner.timeout;
            let gone = || {
                Err(Failed {
                    error: stalled(&url, idle),
                    sent: true,
                    retryable: true,
                })
            };
            progress.within(idle, sending, gone).await?
        } else {
            sending.await?
        };
        let (status, headers) = (answer.status(), answer.headers());
        let size = match &answer {
            Answer::Whole(resp) => format!("{} bytes", resp.body.len()),
            Answer::Open(..) => "body streamed".to_string(),
        };
        debug!(
            target: "halopsa::http",
            "{status} {} {} in {} ms ({size})",
            req.method,
            url.path(),
            started.elapsed().as_millis(),
        );
        if tracing::enabled!(target: "halopsa::http::headers", tracing::Level::TRACE) {
            for (name, value) in headers {
                let value = value.to_str().unwrap_or("<binary>");
                trace!(target: "halopsa::http::headers", "< {name}: {}", redact::header_value(name.as_str(), value));
            }
        }
        if let Answer::Whole(resp) = &answer {
            trace!(target: "halopsa::http::body", "< {}", redact::body(&resp.body));
        }
        Ok(answer)
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
