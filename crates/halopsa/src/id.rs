//! Lenient ids.
//!
//! Quirk: Halo sends numeric ids as `3`, `3.0` or `"3"` (and property case varies); it rejects
//! `95.0` on the way in. [`Id`] reads all three forms and always writes an integer.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A numeric Halo id that decodes from `3`, `3.0` or `"3"` and encodes as `3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Id(pub i64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<i64> for Id {
    fn from(v: i64) -> Self {
        Id(v)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        id_from_value(&v)
            .map(Id)
            .ok_or_else(|| serde::de::Error::custom(format!("expected an integer id, got {v}")))
    }
}

/// Reads an integer id from a JSON number (integral, `3.0` included) or a numeric string.
pub fn id_from_value(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        serde_json::Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_all_three_forms_and_writes_an_integer() {
        for text in ["3", "3.0", "\"3\"", "\" 3 \"", "\"3.0\""] {
            let id: Id = serde_json::from_str(text).unwrap();
            assert_eq!(id, Id(3), "{text}");
            assert_eq!(serde_json::to_string(&id).unwrap(), "3");
        }
    }

    #[test]
    fn rejects_fractions_and_junk() {
        for text in ["3.5", "\"abc\"", "null", "true", "[]"] {
            assert!(serde_json::from_str::<Id>(text).is_err(), "{text}");
        }
    }
}
