//! Halo dates: kept as sent, parsed on demand.
//!
//! Quirks: up to 7 fractional digits (`…T09:30:12.1234567Z`), sometimes no offset (read as UTC),
//! sometimes a bare date, and `1900-01-01` (or earlier) as a placeholder for "no date".

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// 1900-01-01T00:00:00Z: Halo dates at or before it are placeholders.
const PLACEHOLDER_CUTOFF: Timestamp = Timestamp::constant(-2_208_988_800, 0);

/// A Halo date-time, holding the text Halo sent so it re-encodes unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HaloDate(String);

impl HaloDate {
    /// A date from its text, as Halo would send it.
    pub fn new(raw: impl Into<String>) -> HaloDate {
        HaloDate(raw.into())
    }

    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The instant, or `None` for a placeholder (at or before 1900-01-01) or unparsable text.
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.parse().filter(|t| *t > PLACEHOLDER_CUTOFF)
    }

    /// Whether this is a placeholder date (at or before 1900-01-01).
    pub fn is_placeholder(&self) -> bool {
        self.parse().is_some_and(|t| t <= PLACEHOLDER_CUTOFF)
    }

    fn parse(&self) -> Option<Timestamp> {
        instant(&self.0)
    }
}

/// Lenient parse of an ISO date-time: an offset or `Z`, else UTC; a bare date is midnight UTC.
pub(crate) fn instant(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    // A civil parse would drop an offset, so the timestamp's is tried first.
    if let Ok(t) = text.parse::<Timestamp>() {
        return Some(t);
    }
    let civil: DateTime = text.parse().ok()?;
    TimeZone::UTC.to_timestamp(civil).ok()
}

impl From<Timestamp> for HaloDate {
    /// Formats as Halo expects: `yyyy-MM-ddTHH:mm:ssZ` (whole seconds, UTC).
    fn from(t: Timestamp) -> HaloDate {
        HaloDate(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
    }
}

impl fmt::Display for HaloDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for HaloDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for HaloDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(HaloDate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Option<String> {
        HaloDate::new(text).timestamp().map(|t| t.to_string())
    }

    #[test]
    fn parses_leniently() {
        let cases = [
            (
                "2026-01-15T09:30:12.1234567Z",
                "2026-01-15T09:30:12.1234567Z",
            ),
            ("2026-01-15T09:30:12Z", "2026-01-15T09:30:12Z"),
            ("2026-01-15T09:30:12.123Z", "2026-01-15T09:30:12.123Z"),
            ("2026-01-15T09:30:12+01:00", "2026-01-15T08:30:12Z"),
            (
                "2026-01-15T09:30:12.1234567-05:00",
                "2026-01-15T14:30:12.1234567Z",
            ),
            ("2026-01-15T09:30:12", "2026-01-15T09:30:12Z"),
            (
                "2026-01-15T09:30:12.1234567",
                "2026-01-15T09:30:12.1234567Z",
            ),
            ("2026-01-15 09:30:12", "2026-01-15T09:30:12Z"),
            ("2026-01-15T09:30", "2026-01-15T09:30:00Z"),
            ("2026-01-15", "2026-01-15T00:00:00Z"),
            (" 2026-01-15T09:30:12Z ", "2026-01-15T09:30:12Z"),
        ];
        for (text, want) in cases {
            assert_eq!(ts(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn placeholders_and_junk_are_none() {
        for text in [
            "1900-01-01T00:00:00",
            "1900-01-01T00:00:00Z",
            "1900-01-01",
            "1899-12-31T23:59:59Z",
            "0001-01-01T00:00:00",
        ] {
            assert_eq!(ts(text), None, "{text}");
            assert!(HaloDate::new(text).is_placeholder(), "{text}");
        }
        for text in ["", "not a date", "2026-13-45", "15/01/2026"] {
            assert_eq!(ts(text), None, "{text}");
            assert!(!HaloDate::new(text).is_placeholder(), "{text}");
        }
        assert_eq!(
            ts("1900-01-01T00:00:01Z").as_deref(),
            Some("1900-01-01T00:00:01Z")
        );
        assert!(!HaloDate::new("2026-01-15").is_placeholder());
    }

    #[test]
    fn cutoff_is_1900_01_01() {
        assert_eq!(
            "1900-01-01T00:00:00Z".parse::<Timestamp>().unwrap(),
            PLACEHOLDER_CUTOFF
        );
    }

    #[test]
    fn keeps_raw_text_and_formats_timestamps_for_halo() {
        let raw = "\"2026-01-15T09:30:12.1234567\"";
        let date: HaloDate = serde_json::from_str(raw).unwrap();
        assert_eq!(date.as_str(), "2026-01-15T09:30:12.1234567");
        assert_eq!(serde_json::to_string(&date).unwrap(), raw);

        let t: Timestamp = "2026-01-15T09:30:12.9Z".parse().unwrap();
        let date = HaloDate::from(t);
        assert_eq!(date.as_str(), "2026-01-15T09:30:12Z");
        assert_eq!(date.to_string(), "2026-01-15T09:30:12Z");
        assert_eq!(
            date.timestamp(),
            Some("2026-01-15T09:30:12Z".parse().unwrap())
        );
    }
}
