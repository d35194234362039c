//! "Now", as a port, so every rule is testable to the second.

use chrono::Utc;
use hourglass_domain::time::Timestamp;

/// Where the current instant comes from.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// The current instant, truncated to whole seconds.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock; the only place the server reads it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_utc(Utc::now())
    }
}
