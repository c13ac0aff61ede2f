//! Client-side rate limiting matched to Halo's rule: at most N requests in any rolling window.
//!
//! Hosted Halo allows 300 requests per rolling 5-minute window. A token bucket would let about
//! twice that through right after a burst, so this keeps a sliding log of grant times instead.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::time::{Instant, sleep_until};

/// Requests per window on hosted Halo.
const HOSTED_REQUESTS: u32 = 300;
/// The rolling window on hosted Halo.
const HOSTED_WINDOW: Duration = Duration::from_secs(300);

/// A client-side limit matched to Halo's rule: at most `requests` in any rolling `window`.
///
/// Shared by all tasks of one client; the check and the record happen under one lock, so the
/// rule holds exactly however many tasks call [`RateLimiter::acquire`] at once.
#[derive(Debug)]
pub struct RateLimiter {
    configured: u32,
    window: Duration,
    /// How long a request stays in the log: the window plus [`arrival_margin`].
    hold: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Grant times still inside the window, oldest first.
    log: VecDeque<Instant>,
    /// The limit in force, at most `configured`.
    effective: u32,
    /// Start of the current calm window while `effective` is below `configured`.
    calm_since: Option<Instant>,
}

impl RateLimiter {
    /// A limiter allowing `requests` (at least 1) in any rolling `window`.
    pub fn new(requests: u32, window: Duration) -> RateLimiter {
        let configured = requests.max(1);
        RateLimiter {
            configured,
            window,
            hold: window + arrival_margin(window),
            state: Mutex::new(State {
                log: VecDeque::with_capacity(configured as usize),
                effective: configured,
                calm_since: None,
            }),
        }
    }

    /// Halo's hosted default (300 per 300 s).
    pub fn hosted() -> RateLimiter {
        RateLimiter::new(HOSTED_REQUESTS, HOSTED_WINDOW)
    }

    /// Waits until a request may be sent without breaking the rule, records it, and returns how
    /// long it waited.
    pub async fn acquire(&self) -> Duration {
        self.acquire_noting(|_| {}).await
    }

    /// [`RateLimiter::acquire`], telling `waiting` how long it will wait first, once, when
    /// it must wait at all.
    pub async fn acquire_noting(&self, waiting: impl FnOnce(Duration)) -> Duration {
        let start = Instant::now();
        let mut waiting = Some(waiting);
        loop {
            let wake = {
                let now = Instant::now();
                let mut state = self.lock();
                self.recover(&mut state, now);
                while state.log.front().is_some_and(|&t| t + self.hold <= now) {
                    state.log.pop_front();
                }
                let effective = state.effective as usize;
                if state.log.len() < effective {
                    state.log.push_back(now);
                    return now - start;
                }
                // Once this entry leaves the window, fewer than `effective` remain.
                match state.log.get(state.log.len() - effective) {
                    Some(&t) => t + self.hold,
                    None => now,
                }
            };
            if let Some(tell) = waiting.take() {
                tell(wake.saturating_duration_since(Instant::now()));
            }
            sleep_until(wake).await;
        }
    }

    /// A 429 arrived although we kept the rule (other processes share the budget): shrink the
    /// effective limit to 3/4 of its current value (at least 1). It grows back by 1/10 of the
    /// configured limit for each full window without a 429, up to the configured limit.
    pub fn penalize(&self) {
        let now = Instant::now();
        let mut state = self.lock();
        self.recover(&mut state, now);
        let shrunk = (u64::from(state.effective) * 3 / 4).max(1);
        state.effective = u32::try_from(shrunk).unwrap_or(1);
        state.calm_since = Some(now);
        tracing::debug!(
            effective = state.effective,
            configured = self.configured,
            "rate limit reached despite the client-side limit; slowing down"
        );
    }

    /// (effective limit, configured limit, window).
    pub fn limits(&self) -> (u32, u32, Duration) {
        let mut state = self.lock();
        self.recover(&mut state, Instant::now());
        (state.effective, self.configured, self.window)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Grows the effective limit back for each full calm window up to `now`.
    fn recover(&self, state: &mut State, now: Instant) {
        let Some(since) = state.calm_since else {
            return;
        };
        if self.window.is_zero() {
            state.effective = self.configured;
            state.calm_since = None;
            return;
        }
        let windows = now.saturating_duration_since(since).as_nanos() / self.window.as_nanos();
        if windows == 0 {
            return;
        }
        let step = u128::from((self.configured / 10).max(1));
        let grown = u128::from(state.effective).saturating_add(windows.saturating_mul(step));
        if grown >= u128::from(self.configured) {
            state.effective = self.configured;
            state.calm_since = None;
        } else {
            state.effective = u32::try_from(grown).unwrap_or(self.configured);
            // `grown < configured` bounds `windows` well below u32::MAX.
            let whole = u32::try_from(windows).unwrap_or(u32::MAX);
            state.calm_since = Some(since + self.window * whole);
        }
    }
}

/// Extra time a request is counted for: the server counts a request when it arrives, the
/// client when it sends it, so a request that arrives late must not share the server's window
/// with one sent a window later that arrives early (1 % of the window plus 50 ms).
pub fn arrival_margin(window: Duration) -> Duration {
    window / 100 + Duration::from_millis(50)
}

/// Parses a limit written `N/SECS` or `N/SECSs` (e.g. `300/300s`).
pub fn parse_rate(text: &str) -> Result<(u32, Duration), String> {
    let bad = || format!("'{text}' is not a rate limit like 300/300s");
    let (n, secs) = text.trim().split_once('/').ok_or_else(bad)?;
    let requests: u32 = n.trim().parse().map_err(|_| bad())?;
    let secs: u64 = secs
        .trim()
        .trim_end_matches('s')
        .parse()
        .map_err(|_| bad())?;
    if requests == 0 || secs == 0 {
        return Err(bad());
    }
    Ok((requests, Duration::from_secs(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Arc;

    /// Grant times of `count` tasks all calling `acquire` now.
    async fn burst(limiter: &Arc<RateLimiter>, count: usize) -> Vec<(Instant, Duration)> {
        let tasks: Vec<_> = (0..count)
            .map(|_| {
                let limiter = Arc::clone(limiter);
                tokio::spawn(async move {
                    let waited = limiter.acquire().await;
                    (Instant::now(), waited)
                })
            })
            .collect();
        let mut grants = Vec::with_capacity(count);
        for task in tasks {
            grants.push(task.await.expect("task panicked"));
        }
        grants.sort();
        grants
    }

    #[tokio::test(start_paused = true)]
    async fn burst_of_twice_the_limit_gets_half_now_and_half_after_a_window() {
        let window = Duration::from_secs(10);
        let limiter = Arc::new(RateLimiter::new(5, window));
        let start = Instant::now();
        let grants = burst(&limiter, 10).await;
        for &(at, waited) in &grants[..5] {
            assert_eq!(at, start);
            assert_eq!(waited, Duration::ZERO);
        }
        for &(at, waited) in &grants[5..] {
            assert_eq!(at, start + window + arrival_margin(window));
            assert_eq!(waited, window + arrival_margin(window));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn hosted_matches_halo() {
        let limits = RateLimiter::hosted().limits();
        assert_eq!(limits, (300, 300, Duration::from_secs(300)));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_requests_still_lets_one_through() {
        let limiter = RateLimiter::new(0, Duration::from_secs(1));
        assert_eq!(limiter.limits().0, 1);
        assert_eq!(limiter.acquire().await, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn penalize_shrinks_and_recovery_grows_back() {
        let window = Duration::from_secs(10);
        let limiter = RateLimiter::new(100, window);
        limiter.penalize();
        assert_eq!(limiter.limits(), (75, 100, window));
        limiter.penalize();
        assert_eq!(limiter.limits().0, 56);

        tokio::time::advance(window - Duration::from_millis(1)).await;
        assert_eq!(limiter.limits().0, 56, "no growth before a full window");
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(limiter.limits().0, 66);

        limiter.penalize();
        assert_eq!(limiter.limits().0, 49);
        tokio::time::advance(window * 2).await;
        assert_eq!(limiter.limits().0, 69);
        tokio::time::advance(window * 10).await;
        assert_eq!(limiter.limits().0, 100, "never above the configured limit");
    }

    #[tokio::test(start_paused = true)]
    async fn penalize_never_goes_below_one_and_small_limits_recover() {
        let window = Duration::from_secs(1);
        let limiter = RateLimiter::new(3, window);
        for _ in 0..5 {
            limiter.penalize();
        }
        assert_eq!(limiter.limits().0, 1);
        tokio::time::advance(window).await;
        assert_eq!(limiter.limits().0, 2, "grows by at least 1 per window");
    }

    #[tokio::test(start_paused = true)]
    async fn penalized_limit_is_enforced() {
        let window = Duration::from_secs(10);
        let limiter = Arc::new(RateLimiter::new(4, window));
        limiter.penalize();
        let start = Instant::now();
        let grants = burst(&limiter, 4).await;
        let now: Vec<_> = grants.iter().filter(|(at, _)| *at == start).collect();
        assert_eq!(now.len(), 3);
        assert_eq!(grants[3].0, start + window + arrival_margin(window));
    }

    /// Grant times of tasks arriving at `offsets` (ms after the start).
    fn run_arrivals(requests: u32, window: Duration, offsets: &[u64]) -> Vec<Instant> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let limiter = Arc::new(RateLimiter::new(requests, window));
            let start = Instant::now();
            let tasks: Vec<_> = offsets
                .iter()
                .map(|&ms| {
                    let limiter = Arc::clone(&limiter);
                    tokio::spawn(async move {
                        sleep_until(start + Duration::from_millis(ms)).await;
                        limiter.acquire().await;
                        Instant::now()
                    })
                })
                .collect();
            let all = async {
                let mut grants = Vec::with_capacity(tasks.len());
                for task in tasks {
                    grants.push(task.await.expect("task panicked"));
                }
                grants
            };
            tokio::time::timeout(Duration::from_secs(3 * 3600), all)
                .await
                .expect("every task is granted")
        })
    }

    fn case() -> impl Strategy<Value = (u32, u64, Vec<u64>)> {
        (1u32..20, 1u64..=10).prop_flat_map(|(requests, secs)| {
            let span = 3 * secs * 1000;
            let arrival = (0..span, any::<bool>())
                .prop_map(|(ms, together)| if together { ms / 500 * 500 } else { ms });
            (
                Just(requests),
                Just(secs),
                prop::collection::vec(arrival, 1..200),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn never_more_than_the_limit_in_any_window((requests, secs, offsets) in case()) {
            let window = Duration::from_secs(secs);
            let mut grants = run_arrivals(requests, window, &offsets);
            prop_assert_eq!(grants.len(), offsets.len());
            grants.sort();
            for (i, &t) in grants.iter().enumerate() {
                let inside = grants[i..].iter().take_while(|&&g| g < t + window).count();
                prop_assert!(
                    inside <= requests as usize,
                    "{inside} grants in the window from grant {i}, limit {requests}"
                );
            }
        }
    }
}
