//! Every rate limit of the edge, one implementation: the `governor` crate's GCRA (generic cell
//! rate algorithm), keyed per user for REST requests ([`RateLimits::rest`], 429 `RATE_LIMITED`),
//! WebSocket connects ([`RateLimits::ws_connect`], close 4029) and SSE subscribes
//! ([`RateLimits::sse_connect`], 429 `RATE_LIMITED`), and one per connection for WebSocket
//! messages ([`ConnectionRate`], `RATE_LIMIT_EXCEEDED`).
//!
//! A limit of `max` per `window` allows a burst of `max` and then one more every `window / max`:
//! a client that keeps sending gets `max` per window, one that waited a whole window has its
//! whole burst back. The state of a key is one 64-bit "theoretical arrival time", kept in a
//! sharded map (no global lock: a check locks one shard for one atomic update). A key whose
//! budget is full again is indistinguishable from a fresh one, so [`RateLimits::forget_idle`]
//! drops it; the server calls it on a schedule, so the maps hold only users active within the
//! last window, whatever the number of users ever seen. In memory and per process: each
//! instance counts its own traffic.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use hourglass_domain::ids::UserId;

use crate::settings::{EdgeSettings, RateLimit};

/// The GCRA quota of `limit`: a burst of `max`, one more every `window / max`.
fn quota(limit: RateLimit) -> Quota {
    let max = NonZeroU32::new(limit.max).unwrap_or(NonZeroU32::MIN);
    let period = (limit.window / max.get()).max(Duration::from_nanos(1));
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(max))
        .allow_burst(max)
}

/// governor's keyed limiter on clock `C`.
type Keyed<K, C> = RateLimiter<K, DashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// governor's single-cell limiter on clock `C`.
type Direct<C> = RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// A per-key limit; `None` inside when limits are switched off.
pub struct KeyedRate<K: Hash + Eq + Clone, C: Clock = MonotonicClock> {
    limiter: Option<Keyed<K, C>>,
    clock: C,
}

impl<K: Hash + Eq + Clone> KeyedRate<K> {
    /// A limiter for `limit` on the monotonic clock; `None` lets everything through.
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self::with_clock(limit, MonotonicClock)
    }
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> KeyedRate<K, C> {
    /// A limiter for `limit` reading time from `clock` (tests pass a fake one).
    pub fn with_clock(limit: Option<RateLimit>, clock: C) -> Self {
        Self {
            limiter: limit
                .map(|limit| RateLimiter::dashmap_with_clock(quota(limit), clock.clone())),
            clock,
        }
    }

    /// Counts one event of `key` now.
    ///
    /// # Errors
    /// How long until the key may try again, when the event is over the limit (and then it is
    /// not counted, so a client that backs off gets back in).
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Drops the keys whose budget is full again (nothing recent to remember).
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Keys currently held.
    pub fn keys(&self) -> usize {
        self.limiter.as_ref().map_or(0, Keyed::len)
    }
}

impl<K: Hash + Eq + Clone, C: Clock> std::fmt::Debug for KeyedRate<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedRate")
            .field("enabled", &self.limiter.is_some())
            .finish_non_exhaustive()
    }
}

/// The per-user limits, shared by every worker.
#[derive(Debug)]
pub struct RateLimits {
    /// REST requests (`REST_RATE_LIMIT_*`), counted by [`crate::edge::auth::CurrentUser`].
    pub rest: KeyedRate<UserId>,
    /// WebSocket connections (`WS_CONNECT_*`), counted once the token is checked.
    pub ws_connect: KeyedRate<UserId>,
    /// SSE subscribes (`SSE_CONNECT_*`), each with the replay it reads, counted once the token is
    /// checked.
    pub sse_connect: KeyedRate<UserId>,
}

/// Which per-user limit (the `limit` label of the key gauge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// [`RateLimits::rest`].
    Rest,
    /// [`RateLimits::ws_connect`].
    WsConnect,
    /// [`RateLimits::sse_connect`].
    SseConnect,
}

impl LimitKind {
    /// Every kind, in index order.
    pub const ALL: [Self; 3] = [Self::Rest, Self::WsConnect, Self::SseConnect];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Rest => "rest",
            Self::WsConnect => "ws_connect",
            Self::SseConnect => "sse_connect",
        }
    }
}

impl RateLimits {
    /// The limits `settings` ask for.
    pub fn new(settings: &EdgeSettings) -> Self {
        Self {
            rest: KeyedRate::new(settings.rest_limit),
            ws_connect: KeyedRate::new(settings.ws_connect_limit),
            sse_connect: KeyedRate::new(settings.sse_connect_limit),
        }
    }

    /// No limit at all (unit tests of the handlers).
    pub fn unlimited() -> Self {
        Self {
            rest: KeyedRate::new(None),
            ws_connect: KeyedRate::new(None),
            sse_connect: KeyedRate::new(None),
        }
    }

    /// Drops every idle key of every limit; returns the keys left per [`LimitKind::ALL`].
    pub fn forget_idle(&self) -> [usize; 3] {
        LimitKind::ALL.map(|kind| {
            let rate = self.get(kind);
            rate.forget_idle();
            rate.keys()
        })
    }

    fn get(&self, kind: LimitKind) -> &KeyedRate<UserId> {
        match kind {
            LimitKind::Rest => &self.rest,
            LimitKind::WsConnect => &self.ws_connect,
            LimitKind::SseConnect => &self.sse_connect,
        }
    }
}

/// Messages per window on one WebSocket connection: the same algorithm with a single cell, owned
/// by the connection (gone with it, so nothing to forget).
pub struct ConnectionRate<C: Clock = MonotonicClock> {
    limiter: Option<Direct<C>>,
}

impl ConnectionRate {
    /// A limiter for `limit`; `None` lets everything through.
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self::with_clock(limit, MonotonicClock)
    }
}

impl<C: Clock> ConnectionRate<C> {
    /// A limiter for `limit` reading time from `clock`.
    pub fn with_clock(limit: Option<RateLimit>, clock: C) -> Self {
        Self {
            limiter: limit.map(|limit| RateLimiter::direct_with_clock(quota(limit), clock)),
        }
    }

    /// Counts a message now; `false` when it is over the limit (and not counted).
    pub fn allow(&self) -> bool {
        self.limiter
            .as_ref()
            .is_none_or(|limiter| limiter.check().is_ok())
    }
}

/// Whole seconds (at least 1) a client is told to wait: `Retry-After`.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limit(max: u32, seconds: u64) -> Option<RateLimit> {
        Some(RateLimit {
            max,
            window: Duration::from_secs(seconds),
        })
    }

    #[test]
    fn a_burst_of_max_then_one_per_window_share() {
        let clock = FakeRelativeClock::default();
        let rate = KeyedRate::with_clock(limit(3, 60), clock.clone());
        let alice = UserId::new(1);
        for _ in 0..3 {
            assert_eq!(rate.check(&alice), Ok(()));
        }
        assert_eq!(rate.check(&alice), Err(Duration::from_secs(20)));
        assert_eq!(rate.check(&UserId::new(2)), Ok(()), "per user");
        clock.advance(Duration::from_secs(15));
        assert_eq!(rate.check(&alice), Err(Duration::from_secs(5)));
        clock.advance(Duration::from_secs(5));
        assert_eq!(rate.check(&alice), Ok(()));
        assert!(rate.check(&alice).is_err());
        // A whole window of silence gives the whole burst back.
        clock.advance(Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(rate.check(&alice), Ok(()));
        }
        assert!(rate.check(&alice).is_err());
    }

    #[test]
    fn idle_keys_are_forgotten() {
        let clock = FakeRelativeClock::default();
        let rate = KeyedRate::with_clock(limit(5, 10), clock.clone());
        for id in 0..100 {
            assert_eq!(rate.check(&UserId::new(id)), Ok(()));
        }
        rate.forget_idle();
        assert_eq!(rate.keys(), 100, "still within their window");
        clock.advance(Duration::from_secs(5));
        // User 7 spends the whole burst: their budget is full again only 10 s later.
        while rate.check(&UserId::new(7)).is_ok() {}
        clock.advance(Duration::from_secs(6));
        rate.forget_idle();
        assert_eq!(
            rate.keys(),
            1,
            "only the user with budget still spent stays"
        );
        clock.advance(Duration::from_secs(10));
        rate.forget_idle();
        assert_eq!(rate.keys(), 0, "a whole window idle: nothing left");
    }

    #[test]
    fn switched_off_lets_everything_through_and_keeps_nothing() {
        let rate = KeyedRate::<UserId>::new(None);
        for _ in 0..1000 {
            assert_eq!(rate.check(&UserId::new(1)), Ok(()));
        }
        assert_eq!(rate.keys(), 0);
        let messages = ConnectionRate::new(None);
        assert!((0..1000).all(|_| messages.allow()));
    }

    #[test]
    fn the_message_rate_refuses_beyond_max_until_cells_come_back() {
        let clock = FakeRelativeClock::default();
        let rate = ConnectionRate::with_clock(limit(2, 10), clock.clone());
        assert!(rate.allow());
        assert!(rate.allow());
        assert!(!rate.allow());
        clock.advance(Duration::from_secs(5));
        assert!(rate.allow());
        assert!(!rate.allow());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_at_least_one() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(999)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(20_001)), 21);
        assert_eq!(retry_after_seconds(Duration::from_secs(20)), 20);
    }

    #[test]
    fn forget_idle_reports_each_limit() {
        let limits = RateLimits::new(&EdgeSettings::default());
        assert_eq!(limits.rest.check(&UserId::new(1)), Ok(()));
        assert_eq!(limits.forget_idle(), [1, 0, 0]);
    }
}
