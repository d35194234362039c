//! The newest `version` a connection has sent per timer, so that a delivery that is not newer
//! (the fan-out copy of the sender's own reply, or a copy overtaken by a sync) is dropped.
//!
//! It only has to remember a timer for as long as a stale copy about it can still be on its way:
//! copies are queued on the connection within moments of their commit (in-process lanes, or the
//! other instances' events through the listener), and the queue is bounded, with a slow
//! connection dropped. So an entry is forgotten once it has not been touched for [`HORIZON`],
//! checked on every ping tick, and the map never holds more than [`MAX_TIMERS`]: past that,
//! the least recently touched half goes at once. Forgetting a timer can at worst let one stale
//! copy through, which the client then sees as an older `version` it already had.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hourglass_domain::ids::TimerId;

/// How long an untouched entry is kept: far beyond any delivery's delay.
pub const HORIZON: Duration = Duration::from_secs(10 * 60);

/// Most timers remembered per connection.
pub const MAX_TIMERS: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Entry {
    version: i64,
    touched: Instant,
}

/// Per-timer newest sent versions of one connection.
#[derive(Debug, Default)]
pub(super) struct SeenVersions {
    by_timer: HashMap<TimerId, Entry>,
}

impl SeenVersions {
    /// Whether `version` of `timer` is newer than anything sent about it.
    pub(super) fn is_newer(&self, timer: TimerId, version: i64) -> bool {
        self.by_timer
            .get(&timer)
            .is_none_or(|entry| version > entry.version)
    }

    /// Records that `version` of `timer` was sent (keeping the larger one).
    pub(super) fn note(&mut self, timer: TimerId, version: i64, now: Instant) {
        let entry = self.by_timer.entry(timer).or_insert(Entry {
            version,
            touched: now,
        });
        entry.version = entry.version.max(version);
        entry.touched = now;
        if self.by_timer.len() > MAX_TIMERS {
            self.shrink(now);
        }
    }

    /// Records that `timer` is gone: whatever is still queued about it is stale.
    pub(super) fn deleted(&mut self, timer: TimerId, now: Instant) {
        self.note(timer, i64::MAX, now);
    }

    /// Forgets the entries untouched for [`HORIZON`].
    pub(super) fn forget_stale(&mut self, now: Instant) {
        self.by_timer
            .retain(|_, entry| now.saturating_duration_since(entry.touched) < HORIZON);
    }

    /// Forgets stale entries, then, if still over [`MAX_TIMERS`], the least recently touched
    /// half.
    fn shrink(&mut self, now: Instant) {
        self.forget_stale(now);
        if self.by_timer.len() <= MAX_TIMERS {
            return;
        }
        let mut touched: Vec<Instant> = self.by_timer.values().map(|e| e.touched).collect();
        touched.sort_unstable();
        if let Some(&cut) = touched.get(touched.len() / 2) {
            self.by_timer.retain(|_, entry| entry.touched > cut);
        }
    }

    /// Timers remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_timer.len()
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn timer(n: u128) -> TimerId {
        TimerId::new(Uuid::from_u128(n))
    }

    #[test]
    fn only_newer_versions_pass_and_a_deleted_timer_passes_nothing() {
        let mut seen = SeenVersions::default();
        let now = Instant::now();
        assert!(seen.is_newer(timer(1), 1));
        seen.note(timer(1), 3, now);
        assert!(!seen.is_newer(timer(1), 2));
        assert!(!seen.is_newer(timer(1), 3));
        assert!(seen.is_newer(timer(1), 4));
        seen.note(timer(1), 2, now);
        assert!(!seen.is_newer(timer(1), 3), "never goes back");
        seen.deleted(timer(1), now);
        assert!(!seen.is_newer(timer(1), i64::MAX - 1));
    }

    #[test]
    fn untouched_timers_are_forgotten_after_the_horizon() {
        let mut seen = SeenVersions::default();
        let start = Instant::now();
        for n in 0..100 {
            seen.note(timer(n), 1, start);
        }
        seen.deleted(timer(1000), start);
        seen.note(timer(7), 2, start + HORIZON / 2);
        seen.forget_stale(start + HORIZON / 2);
        assert_eq!(seen.len(), 101, "nothing is stale yet");
        seen.forget_stale(start + HORIZON);
        assert_eq!(seen.len(), 1, "only the timer touched since");
        seen.forget_stale(start + HORIZON * 2);
        assert_eq!(seen.len(), 0);
    }

    #[test]
    fn never_more_than_max_timers() {
        let mut seen = SeenVersions::default();
        let start = Instant::now();
        let count = u32::try_from(MAX_TIMERS).unwrap_or(u32::MAX) * 3;
        for n in 0..count {
            seen.note(
                timer(u128::from(n)),
                1,
                start + Duration::from_millis(u64::from(n)),
            );
            assert!(seen.len() <= MAX_TIMERS);
        }
        let newest = timer(u128::from(count - 1));
        assert!(!seen.is_newer(newest, 1), "the newest entries stay");
    }
}
