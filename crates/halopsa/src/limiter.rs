//! Client-side rate limiting matched to Halo's rule: at most N requests in any rolling window.
//!
//! Hosted Halo allows 300 requests per rolling 5-minute window. A token bucket would let about
//! twice that through right after a burst, so this keeps a sliding log of grant times instead.
//! Halo counts a tenant's requests, not a process's: the log can live in a file that every
//! process on the same budget shares ([`RateLimiter::shared`]), 429 penalty included.
//!
//! The shared file is binary, little-endian: 8 bytes `halorb\0\x01` (the format and its
//! version); the 429 penalty as the effective limit (`u32`, 0 for none) and the start of its
//! calm window (`u64`); then the grant times (`u64` each, oldest first, at most the limit's
//! worth); times are milliseconds since the Unix epoch. 2.4 KB at Halo's 300. Anything else is
//! read as an empty log and rewritten, a last record cut short is left out, and a time more than
//! a window ahead of the clock (a clock set back, a hostile file) is dropped.

use crate::settings::ConnectionSettings;
use std::collections::VecDeque;
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::{Instant, sleep};

/// Requests per window on hosted Halo.
pub const HOSTED_REQUESTS: u32 = 300;
/// The rolling window on hosted Halo.
pub const HOSTED_WINDOW: Duration = Duration::from_secs(300);

/// The first bytes of a shared log file: its format and version.
const MAGIC: &[u8; 8] = b"halorb\x00\x01";
/// The magic, the penalty's effective limit (`u32`) and its calm-since time (`u64`).
const HEADER_LEN: usize = 20;
/// How long to try for a shared file's lock before going on with this process's copy of the
/// log: the lock is held for microseconds, so a longer wait means a stuck or hostile holder.
const LOCK_PATIENCE: Duration = Duration::from_secs(1);

/// A client-side limit matched to Halo's rule: at most `requests` in any rolling `window`.
///
/// Shared by all tasks of one client; the check and the record happen under one lock, so the
/// rule holds exactly however many tasks call [`RateLimiter::acquire`] at once. A
/// [`RateLimiter::shared`] limiter holds it across processes too.
#[derive(Debug)]
pub struct RateLimiter {
    configured: u32,
    window: Duration,
    /// How long a request stays in the log: the window plus [`arrival_margin`].
    hold: Duration,
    clock: Clock,
    /// The log: all of it, or (shared) this process's copy of the file's.
    state: Mutex<State>,
}

/// What the log's times count from.
#[derive(Debug)]
enum Clock {
    /// This process's clock (tokio's), from the limiter's creation.
    Local(Instant),
    /// The wall clock, in whole milliseconds since the Unix epoch: the log is in a file.
    Shared(SharedFile),
}

/// The file of a shared log.
#[derive(Debug)]
struct SharedFile {
    file: File,
    /// Whether a failure to use the file was logged (once per limiter).
    warned: AtomicBool,
    /// Whether the lock was last found held for [`LOCK_PATIENCE`]: until it is had again, it
    /// is tried once per call, not waited for.
    stuck: AtomicBool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    /// Grant times still inside the window, oldest first.
    log: VecDeque<Duration>,
    /// The limit in force, at most `configured`.
    effective: u32,
    /// Start of the current calm window while `effective` is below `configured`.
    calm_since: Option<Duration>,
}

impl State {
    fn fresh(configured: u32) -> State {
        State {
            log: VecDeque::with_capacity(configured.min(1024) as usize),
            effective: configured,
            calm_since: None,
        }
    }
}

impl RateLimiter {
    /// A limiter allowing `requests` (at least 1) in any rolling `window`, its log in memory.
    pub fn new(requests: u32, window: Duration) -> RateLimiter {
        RateLimiter::with_clock(requests, window, Clock::Local(Instant::now()))
    }

    /// A limiter like [`RateLimiter::new`] whose log and 429 penalty live in `file` (open for
    /// reading and writing), shared with every limiter on that file in any process: the file
    /// is locked (an OS lock) only to check and record a request, never while waiting. Give
    /// each budget its own file ([`budget_key`] names one); what it holds is this module's
    /// (see the module's note), and anything else is taken for an empty log and rewritten.
    /// While the file cannot be used (an I/O error, its lock held for over a second), the
    /// limiter counts this process's requests on its last copy of the log, and logs a warning
    /// once.
    pub fn shared(requests: u32, window: Duration, file: File) -> RateLimiter {
        let file = SharedFile {
            file,
            warned: AtomicBool::new(false),
            stuck: AtomicBool::new(false),
        };
        RateLimiter::with_clock(requests, window, Clock::Shared(file))
    }

    fn with_clock(requests: u32, window: Duration, clock: Clock) -> RateLimiter {
        let configured = requests.max(1);
        RateLimiter {
            configured,
            window,
            hold: window.saturating_add(arrival_margin(window)),
            clock,
            state: Mutex::new(State::fresh(configured)),
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
        let mut slept = false;
        while let Some(wait) = self.try_acquire() {
            if let Some(tell) = waiting.take() {
                tell(wait);
            }
            sleep(wait).await;
            slept = true;
        }
        if slept {
            start.elapsed()
        } else {
            Duration::ZERO
        }
    }

    /// A 429 arrived although we kept the rule (other clients share the budget): shrink the
    /// effective limit to 3/4 of its current value (at least 1). It grows back by 1/10 of the
    /// configured limit for each full window without a 429, up to the configured limit. A
    /// shared limiter shrinks it for every limiter on its file.
    pub fn penalize(&self) {
        let effective = self.with_state(|state, now| {
            self.recover(state, now);
            let shrunk = (u64::from(state.effective) * 3 / 4).max(1);
            state.effective = u32::try_from(shrunk).unwrap_or(1);
            state.calm_since = Some(now);
            state.effective
        });
        tracing::debug!(
            effective,
            configured = self.configured,
            "rate limit reached despite the client-side limit; slowing down"
        );
    }

    /// (effective limit, configured limit, window).
    pub fn limits(&self) -> (u32, u32, Duration) {
        let effective = self.with_state(|state, now| {
            self.recover(state, now);
            state.effective
        });
        (effective, self.configured, self.window)
    }

    /// Records a request if the rule allows one now, else says how long until it may.
    fn try_acquire(&self) -> Option<Duration> {
        self.with_state(|state, now| {
            self.grant(state, now)
                .err()
                .map(|wake| wake.saturating_sub(now))
        })
    }

    /// Runs `f` on the log at the current time; for a shared limiter, on the file's log, read
    /// and (when changed) written back under the file's lock.
    fn with_state<R>(&self, f: impl FnOnce(&mut State, Duration) -> R) -> R {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match &self.clock {
            Clock::Local(base) => f(&mut state, Instant::now().saturating_duration_since(*base)),
            Clock::Shared(shared) => shared.update(self, &mut state, f),
        }
    }

    /// Records a grant at `now` if fewer than the effective limit are in the log, else returns
    /// when one will have left it.
    fn grant(&self, state: &mut State, now: Duration) -> Result<(), Duration> {
        self.recover(state, now);
        while state
            .log
            .front()
            .is_some_and(|t| t.saturating_add(self.hold) <= now)
        {
            state.log.pop_front();
        }
        let effective = state.effective as usize;
        if state.log.len() < effective {
            let at = state.log.partition_point(|t| *t <= now);
            state.log.insert(at, now);
            return Ok(());
        }
        // Once this entry leaves the window, fewer than `effective` remain.
        Err(state.log[state.log.len() - effective].saturating_add(self.hold))
    }

    /// Grows the effective limit back for each full calm window up to `now`.
    fn recover(&self, state: &mut State, now: Duration) {
        let Some(since) = state.calm_since else {
            return;
        };
        if self.window.is_zero() {
            state.effective = self.configured;
            state.calm_since = None;
            return;
        }
        let windows = now.saturating_sub(since).as_nanos() / self.window.as_nanos();
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
            state.calm_since = Some(since.saturating_add(self.window.saturating_mul(whole)));
        }
    }

    /// The most bytes read from a shared file; a longer one is taken for an empty log.
    fn file_bound(&self) -> u64 {
        u64::from(self.configured)
            .saturating_mul(8)
            .saturating_add(HEADER_LEN as u64)
            .max(64 * 1024)
    }

    /// The log a shared file's `bytes` hold at `now` (see the module's note).
    fn parse(&self, bytes: &[u8], now: Duration) -> State {
        let mut state = State::fresh(self.configured);
        if bytes.len() < HEADER_LEN
            || bytes.len() as u64 > self.file_bound()
            || !bytes.starts_with(MAGIC)
        {
            return state;
        }
        let horizon = now.saturating_add(self.window);
        let time = |field: &[u8]| {
            let ms = u64::from_le_bytes(field.try_into().unwrap_or([0xff; 8]));
            Some(Duration::from_millis(ms)).filter(|t| *t <= horizon)
        };
        let effective = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
        if let (1.., Some(since)) = (effective, time(&bytes[12..HEADER_LEN])) {
            state.effective = effective.min(self.configured);
            state.calm_since = Some(since);
        }
        // A last record cut short (a write interrupted) is left out.
        state
            .log
            .extend(bytes[HEADER_LEN..].chunks_exact(8).filter_map(time));
        state.log.make_contiguous().sort_unstable();
        state
    }

    /// A shared file's bytes for `state` at `now`: the requests still in the window, at most
    /// the limit's worth.
    fn encode(&self, state: &State, now: Duration) -> Vec<u8> {
        let live = || {
            state
                .log
                .iter()
                .filter(|t| t.saturating_add(self.hold) > now)
        };
        let count = live().count();
        let skip = count.saturating_sub(self.configured as usize);
        let mut bytes = Vec::with_capacity(HEADER_LEN + 8 * (count - skip));
        bytes.extend_from_slice(MAGIC);
        let (effective, since) = match state.calm_since {
            Some(since) => (state.effective, millis(since)),
            None => (0, 0),
        };
        bytes.extend_from_slice(&effective.to_le_bytes());
        bytes.extend_from_slice(&since.to_le_bytes());
        for t in live().skip(skip) {
            bytes.extend_from_slice(&millis(*t).to_le_bytes());
        }
        bytes
    }
}

impl SharedFile {
    /// Runs `f` on the file's log, locked, and writes it back when it changed; on this
    /// process's copy `mirror` when the file cannot be used.
    fn update<R>(
        &self,
        limiter: &RateLimiter,
        mirror: &mut State,
        f: impl FnOnce(&mut State, Duration) -> R,
    ) -> R {
        let patience = if self.stuck.load(Ordering::Relaxed) {
            Duration::ZERO
        } else {
            LOCK_PATIENCE
        };
        if let Err(e) = lock(&self.file, patience) {
            if e.kind() == std::io::ErrorKind::TimedOut {
                self.stuck.store(true, Ordering::Relaxed);
            }
            self.warn(&e);
            return f(mirror, wall_now());
        }
        self.stuck.store(false, Ordering::Relaxed);
        let now = wall_now();
        let read = self.read(limiter.file_bound());
        if let Ok(bytes) = &read {
            *mirror = limiter.parse(bytes, now);
        }
        let result = f(mirror, now);
        let bytes = limiter.encode(mirror, now);
        let saved = match read {
            Ok(old) if old == bytes => Ok(()),
            Ok(old) => self.write(&bytes, old.len()),
            Err(e) => Err(e),
        };
        // Closing the file would release the lock too; an error here leaves nothing to undo.
        let _ = self.file.unlock();
        if let Err(e) = saved {
            self.warn(&e);
        }
        result
    }

    /// Up to `bound + 1` bytes from the start (one more tells a file that is too long).
    fn read(&self, bound: u64) -> std::io::Result<Vec<u8>> {
        let mut file = &self.file;
        file.seek(SeekFrom::Start(0))?;
        let mut bytes = Vec::new();
        file.take(bound.saturating_add(1)).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// Replaces the `old` bytes with `bytes`, in place: every process holds this same file
    /// open.
    fn write(&self, bytes: &[u8], old: usize) -> std::io::Result<()> {
        let mut file = &self.file;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(bytes)?;
        if bytes.len() < old {
            self.file.set_len(bytes.len() as u64)?;
        }
        Ok(())
    }

    fn warn(&self, e: &std::io::Error) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "cannot use the shared rate budget file ({e}); counting this process's requests on its own until it can"
            );
        }
    }
}

/// Takes the file's exclusive lock, trying for at most `patience`.
fn lock(file: &File, patience: Duration) -> std::io::Result<()> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_micros(20);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::Error(e)) => return Err(e),
            Err(TryLockError::WouldBlock) if started.elapsed() < patience => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(2));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "another process holds its lock",
                ));
            }
        }
    }
}

/// The wall clock in whole milliseconds since the Unix epoch (zero before it).
fn wall_now() -> Duration {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_millis(millis(since))
}

/// Whole milliseconds, as written in a shared file.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The name of the rate budget `settings` draw on, the same in every process and release:
/// Halo counts requests per tenant and client id, and an instance is one tenant, so the
/// instance URL and the client id (lower-cased) are hashed (64-bit FNV-1a, 16 hex digits).
/// The tenant setting is left out: a tenant found by discovery (and stored) or not given
/// names the same budget. For naming a [`RateLimiter::shared`] file.
pub fn budget_key(settings: &ConnectionSettings) -> String {
    let identity =
        format!("{}\n{}", settings.instance().as_str(), settings.client_id()).to_lowercase();
    format!("{:016x}", crate::stable_hash::fnv1a(identity.as_bytes()))
}

/// The rule a client keeps unless told otherwise: Halo's hosted rule on a hosted instance
/// (`*.halopsa.com`, `*.haloitsm.com`, ...), none elsewhere.
pub fn default_rule(instance: &url::Url) -> Option<(u32, Duration)> {
    crate::client::is_hosted(instance).then_some((HOSTED_REQUESTS, HOSTED_WINDOW))
}

/// Extra time a request is counted for: the server counts a request when it arrives, the
/// client when it sends it, so a request that arrives late must not share the server's window
/// with one sent a window later that arrives early (1 % of the window plus 50 ms).
pub fn arrival_margin(window: Duration) -> Duration {
    (window / 100).saturating_add(Duration::from_millis(50))
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
    use tokio::time::sleep_until;

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

    #[tokio::test(start_paused = true)]
    async fn absurd_limits_do_not_panic() {
        let limiter = RateLimiter::new(u32::MAX, Duration::MAX);
        assert_eq!(limiter.acquire().await, Duration::ZERO);
        let one = RateLimiter::new(1, Duration::MAX);
        one.acquire().await;
        one.penalize();
        let second = tokio::time::timeout(Duration::from_secs(1), one.acquire()).await;
        assert!(second.is_err(), "the second waits (for ever)");
    }

    /// Opens `path` for a shared limiter, as a separate process would (its own open file, so
    /// its own lock).
    fn open(path: &std::path::Path) -> File {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .unwrap()
    }

    /// A shared file's bytes: the penalty (effective limit, since) and the times (ms).
    fn file(penalty: (u32, u64), times: &[u64]) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(penalty.0.to_le_bytes());
        bytes.extend(penalty.1.to_le_bytes());
        for t in times {
            bytes.extend(t.to_le_bytes());
        }
        bytes
    }

    /// The penalty and the times in the shared file at `path`, checking its form.
    fn read(path: &std::path::Path) -> ((u32, u64), Vec<u64>) {
        let bytes = std::fs::read(path).unwrap();
        assert!(bytes.starts_with(MAGIC), "{bytes:?}");
        assert_eq!((bytes.len() - HEADER_LEN) % 8, 0, "{bytes:?}");
        let at = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap());
        let effective = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
        let times = bytes[HEADER_LEN..].chunks(8).map(at).collect();
        ((effective, at(&bytes[12..HEADER_LEN])), times)
    }

    fn entries(path: &std::path::Path) -> usize {
        read(path).1.len()
    }

    #[tokio::test]
    async fn two_shared_limiters_on_one_file_are_one_limiter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budget.log");
        let window = Duration::from_secs(1);
        let a = Arc::new(RateLimiter::shared(5, window, open(&path)));
        let b = Arc::new(RateLimiter::shared(5, window, open(&path)));
        let start = std::time::Instant::now();
        for limiter in [&a, &b, &a, &b, &a] {
            assert_eq!(limiter.acquire().await, Duration::ZERO);
        }
        assert_eq!(entries(&path), 5);
        for limiter in [&a, &b] {
            let sixth = tokio::time::timeout(Duration::from_millis(300), limiter.acquire()).await;
            assert!(sixth.is_err(), "the sixth waits");
        }
        b.acquire().await;
        assert!(
            start.elapsed() >= window,
            "waited for the first to leave the window"
        );
        assert_eq!(entries(&path), 1, "the first five left together");
    }

    #[tokio::test]
    async fn a_429_seen_by_one_shrinks_the_budget_for_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budget.log");
        let window = Duration::from_secs(60);
        let a = RateLimiter::shared(100, window, open(&path));
        let b = RateLimiter::shared(100, window, open(&path));
        a.penalize();
        assert_eq!(b.limits(), (75, 100, window));
        b.penalize();
        assert_eq!(a.limits().0, 56);
        assert_eq!(read(&path).0.0, 56);
        // A file written by a new limiter on it keeps the penalty.
        let c = RateLimiter::shared(100, window, open(&path));
        for _ in 0..56 {
            assert_eq!(c.acquire().await, Duration::ZERO);
        }
        let next = tokio::time::timeout(Duration::from_millis(100), a.acquire()).await;
        assert!(next.is_err(), "the shrunk limit holds for every limiter");
    }

    #[tokio::test]
    async fn a_corrupt_or_hostile_file_is_an_empty_log_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budget.log");
        let now = millis(wall_now());
        let far = now + 10 * 60_000;
        let mut other_version = file((0, 0), &[now, now, now]);
        other_version[7] = 2;
        let mut cut_short = file((0, 0), &[now, now, now]);
        cut_short.truncate(cut_short.len() - 3);
        let hostile: Vec<Vec<u8>> = vec![
            Vec::new(),
            vec![0xff, 0xfe, 0, 1, 2],
            b"halo-rate-budget 1\n1\n2\n".to_vec(),
            MAGIC[..5].to_vec(),
            other_version,
            file((1, far), &[]),
            file((0, now), &[now, now]),
            file((u32::MAX, u64::MAX), &[u64::MAX, far, far, 0, 1]),
            file((0, 0), &[now; 10_000]),
            cut_short,
        ];
        for bytes in hostile {
            std::fs::write(&path, &bytes).unwrap();
            let limiter = RateLimiter::shared(3, Duration::from_secs(60), open(&path));
            assert_eq!(limiter.limits().0, 3, "{bytes:?}");
            let granted = tokio::time::timeout(Duration::from_millis(100), limiter.acquire()).await;
            assert!(granted.is_ok(), "{bytes:?}");
            let (_, times) = read(&path);
            assert!(
                !times.is_empty() && times.len() <= 3,
                "rewritten: {times:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_lock_held_for_ever_does_not_block_for_ever() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budget.log");
        let holder = open(&path);
        holder.lock().unwrap();
        let limiter = RateLimiter::shared(2, Duration::from_secs(60), open(&path));
        let started = std::time::Instant::now();
        limiter.acquire().await;
        assert!(started.elapsed() >= LOCK_PATIENCE);
        // Then the file is tried once per request, and this process's own count holds the rule.
        let started = std::time::Instant::now();
        limiter.acquire().await;
        assert!(started.elapsed() < LOCK_PATIENCE / 2);
        let third = tokio::time::timeout(Duration::from_millis(100), limiter.acquire()).await;
        assert!(third.is_err());
        // Once the lock is free the file is used again: it learns of the next grant.
        holder.unlock().unwrap();
        let other = RateLimiter::shared(3, Duration::from_secs(60), open(&path));
        other.acquire().await;
        assert_eq!(entries(&path), 1);
    }

    #[tokio::test]
    async fn times_far_ahead_are_dropped_and_near_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("budget.log");
        let window = Duration::from_secs(60);
        let now = millis(wall_now());
        let near = now + 30_000;
        let far = now + 61_000 + 5_000;
        std::fs::write(&path, file((0, 0), &[far, near])).unwrap();
        let limiter = RateLimiter::shared(2, window, open(&path));
        assert_eq!(limiter.acquire().await, Duration::ZERO);
        let third = tokio::time::timeout(Duration::from_millis(100), limiter.acquire()).await;
        assert!(third.is_err(), "the near one counts");
        let (_, times) = read(&path);
        assert!(!times.contains(&far) && times.contains(&near), "{times:?}");
    }

    #[test]
    fn budget_keys_are_stable_and_tell_instances_and_clients_apart() {
        let settings = |url: &str, client: &str, tenant: Option<&str>| {
            ConnectionSettings::new(
                url,
                client,
                crate::Grant::ClientCredentials {
                    client_secret: secrecy::SecretString::from("s"),
                },
            )
            .unwrap()
            .with_tenant(tenant.map(str::to_string))
        };
        let key = budget_key(&settings("https://acme.halopsa.com", "cid", Some("acme")));
        assert_eq!(key.len(), 16);
        assert_eq!(
            key,
            budget_key(&settings("https://ACME.halopsa.com/", "CID", Some("Acme")))
        );
        assert_eq!(
            key,
            budget_key(&settings("https://acme.halopsa.com", "cid", None)),
            "a tenant found or not given is the same budget"
        );
        assert_ne!(
            key,
            budget_key(&settings("https://acme.halopsa.com", "other", Some("acme")))
        );
        assert_ne!(
            key,
            budget_key(&settings("https://beta.halopsa.com", "cid", Some("acme")))
        );
        assert_eq!(
            default_rule(&url::Url::parse("https://acme.halopsa.com").unwrap()),
            Some((300, Duration::from_secs(300)))
        );
        assert_eq!(
            default_rule(&url::Url::parse("http://127.0.0.1:1").unwrap()),
            None
        );
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
