//! Injected faults: latency, 500/502/503 answers (some HTML), and connections dropped
//! mid-body. One seeded generator decides, so a sequence of requests meets the same faults
//! on every run.

use crate::config::Faults;
use crate::{Shared, lock};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};

/// Marks a response whose fault was injected (counted in the stats).
#[derive(Clone, Copy)]
pub(crate) struct Injected;

/// The seeded generator behind every fault decision.
pub(crate) struct FaultDice {
    faults: Faults,
    rng: Mutex<StdRng>,
}

impl FaultDice {
    pub(crate) fn new(faults: Faults) -> FaultDice {
        FaultDice {
            faults,
            rng: Mutex::new(StdRng::seed_from_u64(faults.seed)),
        }
    }

    /// (fail, reset, which failure): all three drawn for every request, so the sequence
    /// stays aligned whatever happens.
    fn roll(&self) -> (bool, bool, u8) {
        let mut rng = lock(&self.rng);
        let fail = rng.random::<f64>() < self.faults.fail_rate;
        let reset = rng.random::<f64>() < self.faults.reset_rate;
        (fail, reset, rng.random_range(0..3))
    }
}

/// Middleware: applies the configured faults to everything outside `/_sandbox`.
pub(crate) async fn inject(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let dice = &shared.faults;
    if !dice.faults.any() || crate::journal::is_admin_path(request.uri().path()) {
        return next.run(request).await;
    }
    if !dice.faults.latency.is_zero() {
        tokio::time::sleep(dice.faults.latency).await;
    }
    let (fail, reset, which) = dice.roll();
    if fail {
        let mut response = failure(which);
        response.extensions_mut().insert(Injected);
        return response;
    }
    let response = next.run(request).await;
    if reset {
        cut_short(response).await
    } else {
        response
    }
}

fn failure(which: u8) -> Response {
    let html = |code: u16, text: &str| {
        format!(
            "<!DOCTYPE html><html><head><title>{code} {text}</title></head><body><h1>{text}</h1><hr><p>sandbox fault injection</p></body></html>"
        )
    };
    match which {
        0 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(serde_json::json!({"ClassName": "System.Exception", "Message": "An error has occurred."})),
        )
            .into_response(),
        1 => (StatusCode::BAD_GATEWAY, axum::response::Html(html(502, "Bad Gateway"))).into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, axum::response::Html(html(503, "Service Unavailable"))).into_response(),
    }
}

/// Sends the head and half the body, then fails the stream so the connection is dropped.
async fn cut_short(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "sandbox fault: connection reset",
        )),
    ];
    let mut response =
        Response::from_parts(parts, Body::from_stream(futures::stream::iter(chunks)));
    response.extensions_mut().insert(Injected);
    response
}

/// Halo's hosted rate limit: a sliding log of request times per client.
pub(crate) struct RateLimiter {
    limit: crate::config::RateLimit,
    log: Mutex<std::collections::HashMap<String, std::collections::VecDeque<std::time::Instant>>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: crate::config::RateLimit) -> RateLimiter {
        RateLimiter {
            limit,
            log: Mutex::new(Default::default()),
        }
    }

    /// Admits a request of `client` unless `requests` were admitted in the last `window`.
    pub(crate) fn admit(&self, client: &str) -> bool {
        let now = std::time::Instant::now();
        let mut log = lock(&self.log);
        let times = log.entry(client.to_string()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.limit.window)
        {
            times.pop_front();
        }
        if times.len() >= self.limit.requests as usize {
            return false;
        }
        times.push_back(now);
        true
    }

    /// Halo's 429 (text as seen live, numbers from the configured limit).
    pub(crate) fn refusal(&self) -> Response {
        let secs = self.limit.window.as_secs();
        let window = if secs.is_multiple_of(60) {
            format!("{} minute", secs / 60)
        } else {
            format!("{secs} second")
        };
        (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Rate Limit Reached - {} Requests per rolling {window} window",
                self.limit.requests
            ),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RateLimit;
    use std::time::Duration;

    #[test]
    fn the_window_rolls() {
        let limiter = RateLimiter::new(RateLimit {
            requests: 3,
            window: Duration::from_millis(200),
        });
        assert!((0..3).all(|_| limiter.admit("a")));
        assert!(!limiter.admit("a"));
        assert!(limiter.admit("b"), "per client");
        std::thread::sleep(Duration::from_millis(220));
        assert!(limiter.admit("a"));
    }

    #[test]
    fn refusal_quotes_halo() {
        let body = RateLimiter::new(RateLimit::HOSTED).refusal();
        assert_eq!(body.status(), StatusCode::TOO_MANY_REQUESTS);
    }

    #[test]
    fn dice_are_reproducible() {
        let faults = Faults {
            fail_rate: 0.3,
            reset_rate: 0.2,
            seed: 7,
            ..Faults::default()
        };
        let a: Vec<_> = (0..50)
            .map({
                let d = FaultDice::new(faults);
                move |_| d.roll()
            })
            .collect();
        let b: Vec<_> = (0..50)
            .map({
                let d = FaultDice::new(faults);
                move |_| d.roll()
            })
            .collect();
        assert_eq!(a, b);
        assert!(a.iter().any(|r| r.0) && a.iter().any(|r| !r.0));
    }
}
