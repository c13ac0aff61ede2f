//! What the tools' arguments share: their defaults, an id read as `3`, `3.0` or `"3"`, and
//! the check of a count's range.

use anyhow::Result;
use serde::Deserialize;

/// The default of a search's `limit`.
pub fn twenty() -> u32 {
    20
}

/// The default number of a ticket's actions answered.
pub fn ten() -> u32 {
    10
}

/// The default `page`: the first.
pub fn one() -> u32 {
    1
}

/// The default `page_size` (and `limit` of a find): 25 rows.
pub fn page_size() -> u32 {
    25
}

/// A positive id given as `3`, `3.0` or `"3"`.
pub fn positive_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let halopsa::id::Id(n) = halopsa::id::Id::deserialize(d)?;
    u64::try_from(n)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| serde::de::Error::custom(format!("{n} is not an id (ids are 1 or more)")))
}

/// Checks a `1..=max` count argument.
pub fn within(name: &str, value: u32, max: u32) -> Result<u32> {
    if value == 0 || value > max {
        return Err(crate::exit::Failure::usage(format!(
            "argument '{name}': {value} is out of range: give 1 to {max}"
        )));
    }
    Ok(value)
}
