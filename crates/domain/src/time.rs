//! Whole-second UTC instants.
//!
//! Every transition instant is truncated to whole seconds (`timer-api.md`, "Time rules") so that
//! every client computes the same elapsed numbers from `pause_history`.

use std::fmt;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

/// A UTC instant with no sub-second part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: Timestamp = Timestamp(DateTime::UNIX_EPOCH);

    /// Truncates `instant` to whole seconds.
    pub fn from_utc(instant: DateTime<Utc>) -> Self {
        Self(instant.trunc_subsecs(0))
    }

    /// Seconds since the Unix epoch; `None` when out of chrono's range.
    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        DateTime::from_timestamp(seconds, 0).map(Self)
    }

    /// The instant as a chrono value.
    pub fn as_utc(self) -> DateTime<Utc> {
        self.0
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.0.timestamp()
    }

    /// Whole seconds from `earlier` to `self`; negative if `earlier` is later.
    pub fn seconds_since(self, earlier: Timestamp) -> i64 {
        self.unix_seconds() - earlier.unix_seconds()
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Self::from_utc(instant)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%SZ"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn truncates_sub_seconds() {
        let precise = Utc.timestamp_opt(1_700_000_000, 999_999_999).single();
        let Some(precise) = precise else {
            panic!("valid instant")
        };
        assert_eq!(Timestamp::from_utc(precise).unix_seconds(), 1_700_000_000);
        assert_eq!(
            Timestamp::from_utc(precise)
                .as_utc()
                .timestamp_subsec_nanos(),
            0
        );
    }

    #[test]
    fn seconds_since_is_signed() {
        let a = Timestamp::from_unix_seconds(100);
        let b = Timestamp::from_unix_seconds(160);
        let (Some(a), Some(b)) = (a, b) else {
            panic!("valid instants")
        };
        assert_eq!(b.seconds_since(a), 60);
        assert_eq!(a.seconds_since(b), -60);
    }
}
