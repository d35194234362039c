//! [`ListenerHealth`]: whether the event listener's connection is up, since when, and how often
//! it was opened again, as the listener's task records it and `/metrics` reads it.
//!
//! Kept apart from `event_bus` so that module only calls [`ListenerHealth::connected`] and
//! [`ListenerHealth::lost`] at the points where its connection changes.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use hourglass_ports::health::{ListenerProbe, ListenerStatus};

/// Shared state of one listener connection; clones share it.
#[derive(Debug, Clone, Default)]
pub struct ListenerHealth {
    // A mutex, not atomics: `Instant` has no atomic form, and both sides take it a few times a
    // minute at most (a scrape, a reconnect).
    status: Arc<Mutex<ListenerStatus>>,
}

impl ListenerHealth {
    /// The connection was opened now; `again` when it replaces one that was lost.
    pub fn connected(&self, again: bool) {
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        status.connected_since = Some(Instant::now());
        if again {
            status.reconnects += 1;
        }
    }

    /// The connection was lost; the listener is reconnecting.
    pub fn lost(&self) {
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        status.connected_since = None;
    }
}

impl ListenerProbe for ListenerHealth {
    fn status(&self) -> ListenerStatus {
        *self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loss_clears_the_connection_time_and_a_reconnect_counts() {
        let health = ListenerHealth::default();
        assert_eq!(health.status(), ListenerStatus::default());
        health.connected(false);
        let first = health.status();
        assert!(first.connected_since.is_some());
        assert_eq!(first.reconnects, 0);
        health.lost();
        assert_eq!(health.status().connected_since, None);
        health.connected(true);
        let again = health.status();
        assert!(again.connected_since >= first.connected_since);
        assert_eq!(again.reconnects, 1);
    }
}
