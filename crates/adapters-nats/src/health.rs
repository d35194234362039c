//! [`LinkHealth`]: the NATS connection as `/metrics` shows an instance's receiving connection
//! (`hourglass_listener_*`, the same series as the PostgreSQL engine's `LISTEN` connection, so one
//! alert covers both engines).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use hourglass_ports::health::{ListenerProbe, ListenerStatus};

use crate::bus::{Link, NatsEventBus};

/// Whether the client is connected, since when, and how often it reconnected; clones share it.
#[derive(Debug, Clone)]
pub struct LinkHealth {
    status: Arc<Mutex<ListenerStatus>>,
}

impl LinkHealth {
    /// Follows `bus`'s connection from now on (a task on the current runtime, which ends with
    /// the client).
    pub fn follow(bus: &NatsEventBus) -> Self {
        let mut link = bus.link.clone();
        let connected_since = match *link.borrow_and_update() {
            Link::Up => Some(Instant::now()),
            Link::Down(_) => None,
        };
        let status = Arc::new(Mutex::new(ListenerStatus {
            connected_since,
            reconnects: 0,
        }));
        let shared = Arc::clone(&status);
        tokio::spawn(async move {
            while link.changed().await.is_ok() {
                let now = *link.borrow_and_update();
                let mut status = shared.lock().unwrap_or_else(PoisonError::into_inner);
                match now {
                    Link::Up if status.connected_since.is_none() => {
                        status.connected_since = Some(Instant::now());
                        status.reconnects += 1;
                    }
                    Link::Up => {}
                    Link::Down(_) => status.connected_since = None,
                }
            }
        });
        Self { status }
    }
}

impl ListenerProbe for LinkHealth {
    fn status(&self) -> ListenerStatus {
        *self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
