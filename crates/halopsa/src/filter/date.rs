//! Date filter values: the forms a user may type, rendered as Halo expects them
//! (`yyyy-MM-ddTHH:mm:ssZ`, UTC, reference §6.3).

use crate::models::{HaloDate, instant};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ZonedDateTime};

/// The accepted forms, for messages.
pub(super) const FORMS: &str = "a date: yyyy-MM-dd (midnight UTC), \
    yyyy-MM-ddTHH:mm[:ss[.fff]] (UTC, or with Z or an offset ±HH:MM), today, yesterday, now, \
    or an age such as 30m, 24h, 7d or 2w (that long ago)";

/// `text` as Halo expects it, `now` being the current time; `None` when it is none of
/// [`FORMS`]. `today` and `yesterday` are their midnights, UTC.
pub(super) fn format(text: &str, now: Timestamp) -> Option<String> {
    let utc = ZonedDateTime::new(now, TimeZone::UTC);
    let instant = match text.to_ascii_lowercase().as_str() {
        "now" => now,
        "today" => utc.start_of_day().ok()?.timestamp(),
        "yesterday" => utc.start_of_day().ok()?.yesterday().ok()?.timestamp(),
        _ => match age(text) {
            Some(span) => utc.checked_sub(span).ok()?.timestamp(),
            None => iso(text)?,
        },
    };
    Some(HaloDate::from(instant).to_string())
}

/// An age: digits then `m` (minutes), `h`, `d` or `w`, with an optional leading `-`.
fn age(text: &str) -> Option<Span> {
    let text = text.strip_prefix('-').unwrap_or(text);
    let (number, unit) = text.split_at_checked(text.len().checked_sub(1)?)?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = number.parse().ok()?;
    let span = Span::new();
    match unit {
        "m" => span.try_minutes(n),
        "h" => span.try_hours(n),
        "d" => span.try_days(n),
        "w" => span.try_weeks(n),
        _ => return None,
    }
    .ok()
}

/// An ISO date or date-time. Quirk: jiff also reads a `[Zone]` annotation, but without an
/// offset it would ignore the zone (there is no time zone database here), so one is refused.
fn iso(text: &str) -> Option<Timestamp> {
    if text.contains('[') {
        return None;
    }
    instant(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-10T14:25:36.5Z, a Tuesday.
    const NOW: Timestamp = Timestamp::constant(1_773_152_736, 500_000_000);

    fn at_now(text: &str) -> Option<String> {
        format(text, NOW)
    }

    #[test]
    fn now_is_the_instant_given() {
        assert_eq!(NOW.to_string(), "2026-03-10T14:25:36.5Z");
        assert_eq!(at_now("now").as_deref(), Some("2026-03-10T14:25:36Z"));
        assert_eq!(at_now("NOW").as_deref(), Some("2026-03-10T14:25:36Z"));
    }

    #[test]
    fn today_and_yesterday_are_midnights_utc() {
        assert_eq!(at_now("today").as_deref(), Some("2026-03-10T00:00:00Z"));
        assert_eq!(at_now("yesterday").as_deref(), Some("2026-03-09T00:00:00Z"));
        let new_year = Timestamp::constant(1_767_225_600, 0); // 2026-01-01T00:00:00Z
        assert_eq!(
            format("yesterday", new_year).as_deref(),
            Some("2025-12-31T00:00:00Z")
        );
    }

    #[test]
    fn ages_are_that_long_ago() {
        let cases = [
            ("30m", "2026-03-10T13:55:36Z"),
            ("24h", "2026-03-09T14:25:36Z"),
            ("7d", "2026-03-03T14:25:36Z"),
            ("-7d", "2026-03-03T14:25:36Z"),
            ("2w", "2026-02-24T14:25:36Z"),
            ("10d", "2026-02-28T14:25:36Z"),
            ("0h", "2026-03-10T14:25:36Z"),
        ];
        for (text, want) in cases {
            assert_eq!(at_now(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn iso_forms_are_utc() {
        let cases = [
            ("2026-01-02", "2026-01-02T00:00:00Z"),
            ("2024-02-29", "2024-02-29T00:00:00Z"),
            ("2026-01-02T10:00", "2026-01-02T10:00:00Z"),
            ("2026-01-02T10:00:05", "2026-01-02T10:00:05Z"),
            ("2026-01-02T10:00:05.1234567", "2026-01-02T10:00:05Z"),
            ("2026-01-02T10:00Z", "2026-01-02T10:00:00Z"),
            ("2026-01-02T10:00:05.999Z", "2026-01-02T10:00:05Z"),
            ("2026-01-02T10:00+02:00", "2026-01-02T08:00:00Z"),
            ("2026-01-02T01:30:00-05:30", "2026-01-02T07:00:00Z"),
            ("2026-01-02T00:30+01:00", "2026-01-01T23:30:00Z"),
        ];
        for (text, want) in cases {
            assert_eq!(at_now(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "last week",
            "01/02/2026",
            "2023-02-29",
            "2026-13-01",
            "2026-1-02",
            "2026-01-02T24:00",
            "2026-01-02T10:00[Europe/Paris]",
            "7",
            "d",
            "-",
            "7 d",
            "7days",
            "7M",
            "+7d",
            "1.5h",
            "99999999999999999999d",
            "9999999999w",
            "tomorrow",
            "",
        ] {
            assert_eq!(at_now(bad), None, "{bad} accepted");
        }
    }
}
