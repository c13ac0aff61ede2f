//! Halo's hosted rate limit: a sliding log of request times per client.

use crate::domain::config::RateLimit;
use crate::domain::lock::lock;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

/// Admits at most `requests` per client in any rolling `window`.
pub struct RateLimiter {
    limit: RateLimit,
    log: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// A limiter enforcing `limit`.
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter {
            limit,
            log: Mutex::new(HashMap::new()),
        }
    }

    /// The limit enforced.
    pub fn limit(&self) -> &RateLimit {
        &self.limit
    }

    /// Admits a request of `client` unless `requests` were admitted in the last `window`.
    pub fn admit(&self, client: &str) -> bool {
        let now = Instant::now();
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
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
