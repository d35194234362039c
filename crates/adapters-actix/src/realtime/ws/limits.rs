//! The WebSocket rate limits: connections per user per window (close 4029), and messages per
//! connection per window (`RATE_LIMIT_EXCEEDED`). Both are sliding logs of recent instants.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use hourglass_domain::ids::UserId;

use crate::settings::RateLimit;

/// Recent accepted connection instants per user, shared by every worker.
#[derive(Debug, Default)]
pub struct ConnectLimiter {
    log: Mutex<HashMap<UserId, VecDeque<Instant>>>,
}

impl ConnectLimiter {
    /// Counts a new connection of `user` against `limit`; `false` when it is one too many
    /// (close 4029). Refused attempts are not counted, so a client backing off gets back in.
    pub fn admit(&self, user: UserId, limit: Option<RateLimit>, now: Instant) -> bool {
        let Some(limit) = limit else {
            return true;
        };
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        let recent = log.entry(user).or_default();
        while recent
            .front()
            .is_some_and(|first| now.duration_since(*first) >= limit.window)
        {
            recent.pop_front();
        }
        if recent.len() >= usize::try_from(limit.max).unwrap_or(usize::MAX) {
            return false;
        }
        recent.push_back(now);
        // Forget users with nothing recent so the map does not grow with every user ever seen.
        log.retain(|_, instants| !instants.is_empty());
        true
    }
}

/// Messages per window on one connection.
pub(super) struct MessageRate {
    limit: Option<RateLimit>,
    recent: VecDeque<Instant>,
}

impl MessageRate {
    pub(super) fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit,
            recent: VecDeque::new(),
        }
    }

    /// Counts a message at `now`; `false` when it is over the limit (and not counted).
    pub(super) fn allow(&mut self, now: Instant) -> bool {
        let Some(limit) = self.limit else {
            return true;
        };
        while self
            .recent
            .front()
            .is_some_and(|first| now.duration_since(*first) >= limit.window)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= usize::try_from(limit.max).unwrap_or(usize::MAX) {
            return false;
        }
        self.recent.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_connect_limit_counts_accepted_connections_per_window() {
        let limiter = ConnectLimiter::default();
        let limit = Some(RateLimit {
            max: 2,
            window: Duration::from_secs(60),
        });
        let alice = UserId::new(1);
        let t0 = Instant::now();
        assert!(limiter.admit(alice, limit, t0));
        assert!(limiter.admit(alice, limit, t0));
        assert!(!limiter.admit(alice, limit, t0));
        assert!(limiter.admit(UserId::new(2), limit, t0), "per user");
        assert!(limiter.admit(alice, limit, t0 + Duration::from_secs(60)));
        assert!(limiter.admit(alice, None, t0), "no limit when switched off");
    }

    #[test]
    fn the_message_rate_is_a_sliding_window() {
        let mut rate = MessageRate::new(Some(RateLimit {
            max: 2,
            window: Duration::from_secs(10),
        }));
        let t0 = Instant::now();
        assert!(rate.allow(t0));
        assert!(rate.allow(t0 + Duration::from_secs(1)));
        assert!(!rate.allow(t0 + Duration::from_secs(2)));
        assert!(rate.allow(t0 + Duration::from_secs(10)));
        assert!(!rate.allow(t0 + Duration::from_secs(10)));
        assert!(MessageRate::new(None).allow(t0));
    }
}
