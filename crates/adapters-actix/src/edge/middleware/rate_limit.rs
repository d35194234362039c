//! The REST rate limit: at most `max` requests per user per window (`REST_RATE_LIMIT_MAX` /
//! `REST_RATE_LIMIT_WINDOW`, default 120 per 60 s), answered with 429 `RATE_LIMITED` and
//! `Retry-After` beyond that.
//!
//! In memory and per process: each server instance counts its own requests, which is what a
//! per-instance guard against runaway clients needs. Windows are fixed (they start at a user's
//! first request), one small entry per user active within the last window; entries of idle users
//! are swept out, and the number of entries is capped, so memory stays bounded whatever the
//! traffic. The lock is a plain mutex held for a few map operations, never across an `.await`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hourglass_domain::ids::UserId;

use crate::settings::RateLimit;

/// Most users tracked at once; beyond it the oldest windows are dropped first (which can only
/// let a few extra requests through, never refuse one wrongly).
const MAX_TRACKED_USERS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

#[derive(Debug)]
struct Windows {
    by_user: HashMap<UserId, Window>,
    last_sweep: Instant,
}

/// Counts REST requests per user.
#[derive(Debug)]
pub struct RestRateLimiter {
    limit: Option<RateLimit>,
    windows: Mutex<Windows>,
}

impl RestRateLimiter {
    /// A limiter for `limit`; `None` lets everything through.
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit,
            windows: Mutex::new(Windows {
                by_user: HashMap::new(),
                last_sweep: Instant::now(),
            }),
        }
    }

    /// Counts one request of `user` now.
    ///
    /// # Errors
    /// The whole seconds (at least 1) until the user's window ends, when the request is over
    /// the limit.
    pub fn check(&self, user: UserId) -> Result<(), u64> {
        self.check_at(user, Instant::now())
    }

    /// [`Self::check`] at a given instant (for tests).
    ///
    /// # Errors
    /// As [`Self::check`].
    pub fn check_at(&self, user: UserId, now: Instant) -> Result<(), u64> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let mut windows = match self.windows.lock() {
            Ok(guard) => guard,
            // A panic while counting leaves at worst a wrong count: keep limiting.
            Err(poisoned) => poisoned.into_inner(),
        };
        windows.sweep(now, limit.window);
        let window = windows.by_user.entry(user).or_insert(Window {
            started: now,
            count: 0,
        });
        let elapsed = now.saturating_duration_since(window.started);
        if elapsed >= limit.window {
            *window = Window {
                started: now,
                count: 0,
            };
        }
        if window.count >= limit.max {
            let remaining = limit
                .window
                .saturating_sub(now.saturating_duration_since(window.started));
            return Err(whole_seconds_up(remaining).max(1));
        }
        window.count += 1;
        Ok(())
    }

    /// Users currently tracked (for tests).
    pub fn tracked_users(&self) -> usize {
        match self.windows.lock() {
            Ok(guard) => guard.by_user.len(),
            Err(poisoned) => poisoned.into_inner().by_user.len(),
        }
    }
}

impl Windows {
    /// Drops the windows that ended, at most once per window length (or at once when the map is
    /// full); then, if still full, the oldest half.
    fn sweep(&mut self, now: Instant, window: Duration) {
        let full = self.by_user.len() >= MAX_TRACKED_USERS;
        if !full && now.saturating_duration_since(self.last_sweep) < window {
            return;
        }
        self.last_sweep = now;
        self.by_user
            .retain(|_, entry| now.saturating_duration_since(entry.started) < window);
        if self.by_user.len() >= MAX_TRACKED_USERS {
            let mut starts: Vec<Instant> = self.by_user.values().map(|w| w.started).collect();
            starts.sort_unstable();
            if let Some(&cut) = starts.get(starts.len() / 2) {
                self.by_user.retain(|_, entry| entry.started > cut);
            }
        }
    }
}

fn whole_seconds_up(duration: Duration) -> u64 {
    let seconds = duration.as_secs();
    if duration.subsec_nanos() > 0 {
        seconds + 1
    } else {
        seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max: u32, seconds: u64) -> RestRateLimiter {
        RestRateLimiter::new(Some(RateLimit {
            max,
            window: Duration::from_secs(seconds),
        }))
    }

    #[test]
    fn allows_max_then_refuses_until_the_window_ends() {
        let limiter = limiter(3, 60);
        let start = Instant::now();
        let alice = UserId::new(1);
        for _ in 0..3 {
            assert_eq!(limiter.check_at(alice, start), Ok(()));
        }
        assert_eq!(
            limiter.check_at(alice, start + Duration::from_millis(10_500)),
            Err(50)
        );
        // Another user has a budget of their own.
        assert_eq!(limiter.check_at(UserId::new(2), start), Ok(()));
        assert_eq!(
            limiter.check_at(alice, start + Duration::from_secs(60)),
            Ok(())
        );
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let limiter = limiter(1, 1);
        let start = Instant::now();
        let user = UserId::new(7);
        assert_eq!(limiter.check_at(user, start), Ok(()));
        assert_eq!(
            limiter.check_at(user, start + Duration::from_millis(999)),
            Err(1)
        );
    }

    #[test]
    fn no_limit_lets_everything_through() {
        let limiter = RestRateLimiter::new(None);
        for _ in 0..1000 {
            assert_eq!(limiter.check(UserId::new(1)), Ok(()));
        }
        assert_eq!(limiter.tracked_users(), 0);
    }

    #[test]
    fn idle_users_are_swept_out() {
        let limiter = limiter(5, 10);
        let start = Instant::now();
        for id in 0..100 {
            assert_eq!(limiter.check_at(UserId::new(id), start), Ok(()));
        }
        assert_eq!(limiter.tracked_users(), 100);
        assert_eq!(
            limiter.check_at(UserId::new(1000), start + Duration::from_secs(11)),
            Ok(())
        );
        assert_eq!(limiter.tracked_users(), 1);
    }
}
