//! The seven scenarios, and the rendezvous both ends of a fan-out measurement share.

pub mod cycles;
pub mod friends;
pub mod idle;
pub mod light;
pub mod soak;
pub mod sse;
pub mod time_up;

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Where the sender's "sent at" meets the receiver's "arrived at".
///
/// The reply on the sending device and the copy on the other device race: either may come
/// first. Whoever arrives second finds the other's instant and yields the latency.
#[derive(Debug)]
enum Seen {
    Sent(Instant),
    Arrived(Instant),
}

/// A map of in-flight fan-outs keyed by e.g. `(timer id, version)`.
#[derive(Debug)]
pub struct Rendezvous<K> {
    inner: Arc<Mutex<HashMap<K, Seen>>>,
}

impl<K> Clone for Rendezvous<K> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K: Eq + Hash> Rendezvous<K> {
    /// An empty map.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The sender's side: the latency when the copy already arrived.
    pub fn sent(&self, key: K, at: Instant) -> Option<Duration> {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match map.remove(&key) {
            Some(Seen::Arrived(arrived)) => Some(arrived.saturating_duration_since(at)),
            Some(Seen::Sent(_)) | None => {
                map.insert(key, Seen::Sent(at));
                None
            }
        }
    }

    /// The receiver's side: the latency when the sender already registered.
    pub fn arrived(&self, key: K, at: Instant) -> Option<Duration> {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match map.remove(&key) {
            Some(Seen::Sent(sent)) => Some(at.saturating_duration_since(sent)),
            Some(Seen::Arrived(_)) | None => {
                map.insert(key, Seen::Arrived(at));
                None
            }
        }
    }

    /// Sends still waiting for their copy.
    pub fn unmatched_sends(&self) -> u64 {
        let map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        map.values().filter(|s| matches!(s, Seen::Sent(_))).count() as u64
    }

    /// Waits (polling) until every send found its copy, at most `limit`.
    pub async fn drain(&self, limit: Duration) {
        let end = Instant::now() + limit;
        while self.unmatched_sends() > 0 && Instant::now() < end {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_side_may_come_first() {
        let r = Rendezvous::new();
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_millis(7);
        assert_eq!(r.sent(("a", 1), t0), None);
        assert_eq!(r.arrived(("a", 1), t1), Some(Duration::from_millis(7)));
        assert_eq!(r.arrived(("b", 1), t1), None);
        assert_eq!(r.sent(("b", 1), t0), Some(Duration::from_millis(7)));
        assert_eq!(r.sent(("c", 1), t0), None);
        assert_eq!(r.unmatched_sends(), 1);
    }
}
