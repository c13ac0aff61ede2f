//! Timestamps as Halo writes them: UTC ISO-8601, `yyyy-MM-ddTHH:mm:ssZ`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The last instant [`now_precise`] gave, in 100 ns ticks since the Unix epoch.
static LAST_TICK: AtomicI64 = AtomicI64::new(0);

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `now` as ISO-8601 UTC.
pub fn now_iso() -> String {
    iso(now_unix())
}

/// `now` as Halo writes event times, to the 100 ns tick (`2026-01-15T09:30:12.1234567Z`), and
/// strictly later than every earlier answer in this process: two events are never given the
/// same time (receivers de-duplicate on it, reference §13.5).
pub fn now_precise() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| (d.as_nanos() / 100) as i64)
        .unwrap_or(0);
    let previous = LAST_TICK
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or(now);
    precise(now.max(previous + 1))
}

/// 100 ns ticks since the Unix epoch as ISO-8601 UTC with seven decimals.
fn precise(ticks: i64) -> String {
    let whole = iso(ticks.div_euclid(10_000_000));
    let seconds = whole.trim_end_matches('Z');
    format!("{seconds}.{:07}Z", ticks.rem_euclid(10_000_000))
}

/// A Unix time as ISO-8601 UTC (days to civil date after Howard Hinnant's algorithm).
pub fn iso(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::{iso, now_precise, precise};

    #[test]
    fn known_instants() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_735_689_600), "2025-01-01T00:00:00Z");
        assert_eq!(iso(1_709_164_800 + 3661), "2024-02-29T01:01:01Z");
        assert_eq!(iso(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso(-86_400), "1969-12-31T00:00:00Z");
    }

    #[test]
    fn precise_times_have_seven_decimals_and_never_repeat() {
        assert_eq!(
            precise(17_356_896_001_234_567),
            "2025-01-01T00:00:00.1234567Z"
        );
        let times: Vec<String> = (0..1000).map(|_| now_precise()).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
        assert_eq!(times[0].len(), "2025-01-01T00:00:00.1234567Z".len());
    }
}
