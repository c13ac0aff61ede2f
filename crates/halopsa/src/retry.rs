//! When to retry a request, and how long to wait first. Pure logic, no I/O.
//!
//! Halo answers 429 ("Rate Limit Reached - 300 Requests per rolling 5 minute window") usually
//! without `Retry-After`; its window rolls over minutes, so retries after a 429 wait seconds, not
//! milliseconds. Requests that may have reached the server are retried only when idempotent.

use rand::Rng;
use reqwest::Method;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::Duration;

/// The least wait before retrying a 429 that carries no `Retry-After` (doubled per attempt).
const RATE_LIMITED_FLOOR: Duration = Duration::from_secs(5);

/// How often and how long to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The backoff before the first retry, doubled for each further one.
    pub base_delay: Duration,
    /// The longest single wait.
    pub max_delay: Duration,
    /// The longest time from the first attempt to the start of the last retry.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            max_elapsed: Duration::from_secs(300),
        }
    }
}

/// What happened to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attempt {
    /// The server answered with this status.
    Status(u16),
    /// No answer. `sent`: the request may have reached the server (timeouts, connection dropped
    /// after writing, body errors); `false` for connect, DNS or TLS failures before any write.
    Transport {
        /// Whether the request may have reached the server.
        sent: bool,
    },
}

/// What to do after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Not this layer's failure: hand the outcome to the caller.
    Done,
    /// Retry after this delay.
    Retry(Duration),
    /// A failure that will not be retried.
    GiveUp(GiveUp),
}

/// Why a failure will not be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GiveUp {
    /// A server error that retrying will not fix.
    NotRetryable,
    /// Out of retries.
    Exhausted,
    /// Out of time: the next wait would end past the policy's `max_elapsed`.
    OutOfTime,
    /// A non-idempotent request that may have reached the server.
    MaybeSent,
}

/// Why the retries of one request stopped, as an error carries it: what was tried and how
/// long it took, instead of a note glued onto a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GaveUp {
    /// Why.
    pub why: GiveUp,
    /// Requests sent, the first included.
    pub attempts: u32,
    /// The status of the last reply, if there was one.
    pub last_status: Option<u16>,
    /// Time spent waiting before retries.
    pub waited: Duration,
    /// Time from the first attempt to the end of the last.
    pub elapsed: Duration,
    /// The policy's bound on that time.
    pub max_elapsed: Duration,
}

impl std::fmt::Display for GaveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let retries = self.attempts.saturating_sub(1);
        let retried = match retries {
            1 => "1 retry".to_string(),
            n => format!("{n} retries"),
        };
        match self.why {
            GiveUp::Exhausted if retries == 0 => f.write_str("not retried: retries are off"),
            GiveUp::Exhausted => write!(f, "gave up after {retried}, the most allowed"),
            GiveUp::OutOfTime => write!(
                f,
                "gave up after {retried} in {} s: the next wait would pass the {} s allowed for retries",
                self.elapsed.as_secs(),
                self.max_elapsed.as_secs()
            ),
            GiveUp::MaybeSent => f.write_str(
                "not retried: the request may have reached Halo; check before sending it again",
            ),
            GiveUp::NotRetryable => f.write_str("not retried: retrying would not help"),
        }
    }
}

impl RetryPolicy {
    /// The decision after attempt number `attempt` (0-based) of a request that is or is not
    /// safe to send twice (`idempotent`: [`is_idempotent`] of its method, or an update),
    /// `elapsed` since the first attempt, and the server's Retry-After if any.
    pub fn decide(
        &self,
        idempotent: bool,
        outcome: Attempt,
        attempt: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
    ) -> Decision {
        let rate_limited = match outcome {
            Attempt::Status(429) => true,
            // A 500 is usually a passing fault behind a proxy or a busy server: an idempotent
            // request is worth repeating; a POST may have been processed.
            Attempt::Status(500 | 502..=504) | Attempt::Transport { sent: true } => {
                if !idempotent {
                    return Decision::GiveUp(GiveUp::MaybeSent);
                }
                false
            }
            Attempt::Status(500..=599) => return Decision::GiveUp(GiveUp::NotRetryable),
            Attempt::Status(_) => return Decision::Done,
            Attempt::Transport { sent: false } => false,
        };
        if attempt >= self.max_retries {
            return Decision::GiveUp(GiveUp::Exhausted);
        }
        let delay = match retry_after {
            Some(after) => after.min(self.max_delay),
            None if rate_limited => {
                let floor = doubled(RATE_LIMITED_FLOOR, attempt, self.max_delay);
                self.backoff(attempt).max(floor)
            }
            None => self.backoff(attempt),
        };
        if elapsed.saturating_add(delay) > self.max_elapsed {
            return Decision::GiveUp(GiveUp::OutOfTime);
        }
        Decision::Retry(delay)
    }

    /// Exponential backoff with full jitter for retry number `attempt`: a random duration in
    /// [d/2, d] where d = min(max_delay, base_delay * 2^attempt).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let d = doubled(self.base_delay, attempt, self.max_delay);
        rand::rng().random_range(d / 2..=d)
    }
}

/// `Retry-After` as a delay: delta-seconds only (an HTTP date is ignored: None).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok().map(Duration::from_secs)
}

/// Methods safe to send twice: GET, HEAD, DELETE and OPTIONS.
pub fn is_idempotent(method: &Method) -> bool {
    [Method::GET, Method::HEAD, Method::DELETE, Method::OPTIONS].contains(method)
}

/// `delay * 2^attempt`, at most `cap`.
fn doubled(delay: Duration, attempt: u32, cap: Duration) -> Duration {
    2u32.checked_pow(attempt)
        .and_then(|factor| delay.checked_mul(factor))
        .map_or(cap, |d| d.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const ZERO: Duration = Duration::ZERO;

    fn decide(method: Method, outcome: Attempt) -> Decision {
        RetryPolicy::default().decide(is_idempotent(&method), outcome, 0, ZERO, None)
    }

    fn delay(decision: Decision) -> Duration {
        match decision {
            Decision::Retry(d) => d,
            other => panic!("expected a retry, got {other:?}"),
        }
    }

    #[test]
    fn a_give_up_record_says_what_was_tried() {
        let record = |why, attempts| GaveUp {
            why,
            attempts,
            last_status: Some(503),
            waited: Duration::from_secs(3),
            elapsed: Duration::from_secs(301),
            max_elapsed: Duration::from_secs(300),
        };
        let text = |why, attempts| record(why, attempts).to_string();
        assert_eq!(
            text(GiveUp::Exhausted, 6),
            "gave up after 5 retries, the most allowed"
        );
        assert_eq!(text(GiveUp::Exhausted, 1), "not retried: retries are off");
        assert_eq!(
            text(GiveUp::OutOfTime, 2),
            "gave up after 1 retry in 301 s: the next wait would pass the 300 s allowed for retries"
        );
        assert!(text(GiveUp::MaybeSent, 1).contains("may have reached Halo"));
    }

    #[test]
    fn default_policy() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_retries, 5);
        assert_eq!(p.base_delay, Duration::from_millis(500));
        assert_eq!(p.max_delay, Duration::from_secs(60));
        assert_eq!(p.max_elapsed, Duration::from_secs(300));
    }

    #[test]
    fn success_redirect_and_client_errors_are_done() {
        for status in [200, 201, 204, 301, 304, 400, 401, 403, 404, 409, 422] {
            for method in [Method::GET, Method::POST] {
                assert_eq!(decide(method, Attempt::Status(status)), Decision::Done);
            }
        }
    }

    #[test]
    fn a_500_is_retried_for_gets_only() {
        assert!(matches!(
            decide(Method::GET, Attempt::Status(500)),
            Decision::Retry(_)
        ));
        assert_eq!(
            decide(Method::POST, Attempt::Status(500)),
            Decision::GiveUp(GiveUp::MaybeSent)
        );
    }

    #[test]
    fn other_server_errors_are_not_retryable() {
        for status in [501, 505, 599] {
            for method in [Method::GET, Method::POST] {
                assert_eq!(
                    decide(method, Attempt::Status(status)),
                    Decision::GiveUp(GiveUp::NotRetryable)
                );
            }
        }
    }

    #[test]
    fn rate_limited_is_retried_for_any_method() {
        for method in [Method::GET, Method::POST, Method::PATCH, Method::DELETE] {
            assert!(matches!(
                decide(method, Attempt::Status(429)),
                Decision::Retry(_)
            ));
        }
    }

    #[test]
    fn rate_limited_without_retry_after_waits_seconds() {
        let p = RetryPolicy::default();
        for attempt in 0..p.max_retries {
            let d = delay(p.decide(true, Attempt::Status(429), attempt, ZERO, None));
            let floor = (Duration::from_secs(5) * 2u32.pow(attempt)).min(p.max_delay);
            assert!(d >= floor && d <= p.max_delay, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn gateway_errors_are_retried_only_when_idempotent() {
        for status in [502, 503, 504] {
            for method in [Method::GET, Method::HEAD, Method::DELETE, Method::OPTIONS] {
                let d = delay(decide(method, Attempt::Status(status)));
                assert!(d <= Duration::from_millis(500));
            }
            for method in [Method::POST, Method::PATCH, Method::PUT] {
                assert_eq!(
                    decide(method, Attempt::Status(status)),
                    Decision::GiveUp(GiveUp::MaybeSent)
                );
            }
        }
    }

    #[test]
    fn unsent_transport_failures_are_retried_for_any_method() {
        for method in [Method::GET, Method::POST, Method::PATCH] {
            assert!(matches!(
                decide(method, Attempt::Transport { sent: false }),
                Decision::Retry(_)
            ));
        }
    }

    #[test]
    fn sent_transport_failures_are_retried_only_when_idempotent() {
        assert!(matches!(
            decide(Method::GET, Attempt::Transport { sent: true }),
            Decision::Retry(_)
        ));
        assert_eq!(
            decide(Method::POST, Attempt::Transport { sent: true }),
            Decision::GiveUp(GiveUp::MaybeSent)
        );
    }

    #[test]
    fn out_of_retries_is_exhausted() {
        let p = RetryPolicy::default();
        let last = p.decide(true, Attempt::Status(503), 4, ZERO, None);
        assert!(matches!(last, Decision::Retry(_)));
        for outcome in [Attempt::Status(429), Attempt::Transport { sent: false }] {
            assert_eq!(
                p.decide(true, outcome, 5, ZERO, None),
                Decision::GiveUp(GiveUp::Exhausted)
            );
        }
        let never = RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        };
        assert_eq!(
            never.decide(true, Attempt::Status(503), 0, ZERO, None),
            Decision::GiveUp(GiveUp::Exhausted)
        );
    }

    #[test]
    fn out_of_time_gives_up_as_such() {
        let p = RetryPolicy::default();
        let after = Some(Duration::from_secs(10));
        let at = |elapsed| p.decide(true, Attempt::Status(429), 0, elapsed, after);
        assert_eq!(
            at(Duration::from_secs(290)),
            Decision::Retry(Duration::from_secs(10))
        );
        assert_eq!(
            at(Duration::from_secs(291)),
            Decision::GiveUp(GiveUp::OutOfTime)
        );
    }

    #[test]
    fn retry_after_is_used_and_capped() {
        let p = RetryPolicy::default();
        let with = |after: u64| {
            p.decide(
                false,
                Attempt::Status(429),
                0,
                ZERO,
                Some(Duration::from_secs(after)),
            )
        };
        assert_eq!(with(2), Decision::Retry(Duration::from_secs(2)));
        assert_eq!(with(3600), Decision::Retry(p.max_delay));
        let gateway = p.decide(
            true,
            Attempt::Status(503),
            0,
            ZERO,
            Some(Duration::from_secs(7)),
        );
        assert_eq!(gateway, Decision::Retry(Duration::from_secs(7)));
    }

    #[test]
    fn backoff_stays_within_bounds_and_grows() {
        let p = RetryPolicy::default();
        for attempt in 0..40 {
            let d = (p.base_delay * 2u32.saturating_pow(attempt.min(20))).min(p.max_delay);
            for _ in 0..50 {
                let b = p.backoff(attempt);
                assert!(
                    b >= d / 2 && b <= d,
                    "attempt {attempt}: {b:?} not in [{d:?}/2, {d:?}]"
                );
            }
        }
        assert!(p.backoff(3) >= Duration::from_secs(2));
        assert!(p.backoff(1) <= Duration::from_secs(1));
        assert!(p.backoff(u32::MAX) >= p.max_delay / 2);
    }

    #[test]
    fn backoff_of_zero_base_is_zero() {
        let p = RetryPolicy {
            base_delay: ZERO,
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff(3), ZERO);
    }

    #[test]
    fn retry_after_parses_delta_seconds_only() {
        let parse = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, HeaderValue::from_static(value));
            retry_after(&headers)
        };
        assert_eq!(parse("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse(" 0 "), Some(ZERO));
        assert_eq!(parse("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse("+5"), None);
        assert_eq!(parse("-5"), None);
        assert_eq!(parse("1.5"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("99999999999999999999999"), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}
