//! The open timer WebSocket connections of this instance, by user: a plain registry of
//! connection queues, the [`TimerConnections`] port of the delivery service.
//!
//! Who receives what is decided elsewhere
//! ([`hourglass_ports::service::delivery::DeliveryService`]); this registry only queues. It
//! never blocks on a connection: each owns a bounded queue ([`OUTBOUND_CAPACITY`]) and the
//! registry only `try_send`s, so one client that stops reading can never stall delivery to the
//! others: when its queue is full the registry forgets it and wakes its task, which closes with
//! 1013 "too slow".
//!
//! The map sits behind a `std` lock that is only ever held for map operations, never across an
//! `.await`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use hourglass_domain::ids::UserId;
use hourglass_ports::delivery::{Handoff, TimerConnections, TimerDelivery};
use hourglass_ports::service::interest::InterestIndex;
use tokio::sync::{Notify, mpsc, watch};

use super::shutdown::Shutdown;

/// Messages a connection may have waiting before it counts as too slow.
pub const OUTBOUND_CAPACITY: usize = 256;

/// How long a new connection waits for its friend list to be counted in this instance's interest
/// before it reads what it first sends (see [`ConnectionRegistry::interest_ready`]).
pub const INTEREST_READY_LIMIT: Duration = Duration::from_secs(2);

/// Identifies one connection within the registry.
pub type ConnectionId = u64;

/// A connection's end of the registry: its queue and the signals it must obey.
#[derive(Debug)]
pub struct Registration {
    /// This connection's id (for [`ConnectionRegistry::unregister`]).
    pub id: ConnectionId,
    /// Messages for this connection. Shared, so a delivery to many connections clones a
    /// pointer, and a queue's slots stay 8 bytes (tokio allocates 32 of them per connection).
    pub messages: mpsc::Receiver<Arc<TimerDelivery>>,
    /// Woken when the registry dropped the connection because its queue filled.
    pub too_slow: Arc<Notify>,
    /// Turns `true` when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
}

/// The registry's handle on one connection.
#[derive(Debug)]
struct Handle {
    id: ConnectionId,
    queue: mpsc::Sender<Arc<TimerDelivery>>,
    too_slow: Arc<Notify>,
}

/// User → open timer WebSocket connections; a cheap clone around shared state.
#[derive(Clone)]
pub struct ConnectionRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    connections: RwLock<HashMap<UserId, Vec<Handle>>>,
    next_id: AtomicU64,
    shutdown: Shutdown,
    /// Told about every connection that opens or closes, when events arrive by interest.
    interest: Option<InterestIndex>,
}

impl std::fmt::Debug for ConnectionRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionRegistry").finish_non_exhaustive()
    }
}

impl ConnectionRegistry {
    /// An empty registry whose connections close when `shutdown` is raised.
    pub fn new(shutdown: Shutdown) -> Self {
        Self::build(shutdown, None)
    }

    /// An empty registry that also tells `interest` which users are connected here.
    pub fn with_interest(shutdown: Shutdown, interest: InterestIndex) -> Self {
        Self::build(shutdown, Some(interest))
    }

    fn build(shutdown: Shutdown, interest: Option<InterestIndex>) -> Self {
        Self {
            inner: Arc::new(Inner {
                connections: RwLock::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                shutdown,
                interest,
            }),
        }
    }

    /// Registers a connection of `user`. Callers register *before* reading the initial
    /// `timer.sync_result`, so no change committed after that read can be missed.
    pub fn register(&self, user: UserId) -> Registration {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue, messages) = mpsc::channel(OUTBOUND_CAPACITY);
        let too_slow = Arc::new(Notify::new());
        let handle = Handle {
            id,
            queue,
            too_slow: too_slow.clone(),
        };
        {
            let mut connections = self.write();
            connections.entry(user).or_default().push(handle);
            // Under the lock, so the index hears a connection's join before its leave.
            if let Some(interest) = &self.inner.interest {
                interest.viewer_joined(user);
            }
        }
        Registration {
            id,
            messages,
            too_slow,
            shutdown: self.inner.shutdown.subscribe(),
        }
    }

    /// Waits until this instance receives the events of `user`'s friends (their friend list,
    /// read when their first connection registered, is counted), at most
    /// [`INTEREST_READY_LIMIT`]. At once when events are not delivered by interest.
    pub async fn interest_ready(&self, user: UserId) {
        if let Some(interest) = &self.inner.interest {
            interest.ready(user, INTEREST_READY_LIMIT).await;
        }
    }

    /// Removes a connection (when its task ends).
    pub fn unregister(&self, user: UserId, id: ConnectionId) {
        let mut connections = self.write();
        let Some(handles) = connections.get_mut(&user) else {
            return;
        };
        let before = handles.len();
        handles.retain(|h| h.id != id);
        // Once per connection: one dropped as too slow is unregistered again when its task ends.
        if handles.len() < before
            && let Some(interest) = &self.inner.interest
        {
            interest.viewer_left(user);
        }
        if handles.is_empty() {
            connections.remove(&user);
        }
    }

    /// Number of open connections (all users).
    pub fn connection_count(&self) -> usize {
        self.read().values().map(Vec::len).sum()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<UserId, Vec<Handle>>> {
        self.inner
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<UserId, Vec<Handle>>> {
        self.inner
            .connections
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl TimerConnections for ConnectionRegistry {
    fn is_online(&self, user: UserId) -> bool {
        self.read().contains_key(&user)
    }

    fn anyone_online_but(&self, user: UserId) -> bool {
        let connections = self.read();
        connections.len() > usize::from(connections.contains_key(&user))
    }

    /// A full queue gets its connection dropped as too slow; a closed one (its task ended) is
    /// forgotten.
    fn send(&self, user: UserId, message: &Arc<TimerDelivery>) -> Handoff {
        let mut dropped = Vec::new();
        let mut handoff = Handoff::default();
        {
            let connections = self.read();
            let Some(handles) = connections.get(&user) else {
                return handoff;
            };
            for handle in handles {
                match handle.queue.try_send(Arc::clone(message)) {
                    Ok(()) => handoff.queued += 1,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        handoff.queue_full += 1;
                        tracing::warn!(user = %user, connection = handle.id,
                            "websocket client too slow: outbound queue full");
                        // `notify_one` keeps a permit when the task is not waiting right now.
                        handle.too_slow.notify_one();
                        dropped.push(handle.id);
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => dropped.push(handle.id),
                }
            }
        }
        for id in dropped {
            self.unregister(user, id);
        }
        handoff
    }

    fn send_to_everyone(&self, message: &Arc<TimerDelivery>) {
        let users: Vec<UserId> = self.read().keys().copied().collect();
        for user in users {
            self.send(user, message);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hourglass_domain::ids::TimerId;

    use super::*;

    fn registry() -> ConnectionRegistry {
        ConnectionRegistry::new(Shutdown::default())
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_connection_as_too_slow() {
        let registry = registry();
        let alice = UserId::new(1);
        let registration = registry.register(alice);
        let deleted = Arc::new(TimerDelivery::Deleted {
            timer_id: TimerId::new(uuid::Uuid::nil()),
        });
        for _ in 0..OUTBOUND_CAPACITY {
            assert_eq!(registry.send(alice, &deleted).queued, 1);
        }
        assert_eq!(registry.connection_count(), 1);
        assert_eq!(
            registry.send(alice, &deleted),
            Handoff {
                queued: 0,
                queue_full: 1
            }
        );
        assert_eq!(registry.connection_count(), 0);
        // The permit was stored: the task sees it even though it was not waiting.
        tokio::time::timeout(Duration::from_secs(5), registration.too_slow.notified())
            .await
            .map_or_else(|_| panic!("the connection was not told"), |()| ());
    }

    #[test]
    fn unregister_forgets_the_user_with_the_last_connection() {
        let registry = registry();
        let alice = UserId::new(1);
        let a = registry.register(alice);
        let b = registry.register(alice);
        registry.unregister(alice, a.id);
        assert!(registry.is_online(alice));
        registry.unregister(alice, b.id);
        assert!(!registry.is_online(alice));
    }

    #[test]
    fn anyone_else_online_ignores_the_user_asked_about() {
        let registry = registry();
        let alice = UserId::new(1);
        let _alices_phone = registry.register(alice);
        assert!(!registry.anyone_online_but(alice));
        let _bobs_phone = registry.register(UserId::new(2));
        assert!(registry.anyone_online_but(alice));
    }

    #[test]
    fn everyone_is_asked_to_resync() {
        let registry = registry();
        let mut alice = registry.register(UserId::new(1));
        let mut bob = registry.register(UserId::new(2));
        registry.send_to_everyone(&Arc::new(TimerDelivery::Resync));
        assert!(matches!(
            alice.messages.try_recv().as_deref(),
            Ok(TimerDelivery::Resync)
        ));
        assert!(matches!(
            bob.messages.try_recv().as_deref(),
            Ok(TimerDelivery::Resync)
        ));
    }
}
