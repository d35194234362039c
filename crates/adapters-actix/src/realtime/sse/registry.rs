//! The registry of open SSE streams (user → streams, oldest first) and the delivery seam.
//!
//! [`SseRegistry::deliver`] is the one way a stored notification reaches streams, and
//! [`SseRegistry::inbox_changed`] the one way read marks and deletes do: the delivery service
//! hands every `DomainEvent::NotificationCreated` and `InboxChanged` to them through the
//! [`NotificationStreams`] port, whichever instance committed it. It looks up the actor's current profile once
//! per notification (only when the receiver has a stream here), then queues one shared
//! [`LiveNotification`] on every stream of the receiver; each stream renders it in its own
//! `timezone`.
//!
//! Concurrency: the map sits behind a `std` mutex held only for map operations, never across an
//! `.await` (the actor look-up happens before it is taken). Queues are bounded
//! ([`STREAM_QUEUE_CAPACITY`]) and only `try_send` is used, so a stream that stops draining can
//! never stall the publisher: a full queue ends that stream ([`EndReason::TooSlow`]), and the
//! client replays what it missed by `Last-Event-ID` on reconnect.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use hourglass_domain::ids::UserId;
use hourglass_domain::notification::Notification;
use hourglass_ports::delivery::{Handoff, NotificationStreams};
use hourglass_ports::event::InboxChange;
use hourglass_ports::service::interest::InterestIndex;
use hourglass_ports::user::{User, UserRepository};
use tokio::sync::{Notify, mpsc, oneshot};

/// Live notifications a stream may have waiting before it counts as too slow.
pub const STREAM_QUEUE_CAPACITY: usize = 256;

/// A stored notification with its actor's current profile, shared by every stream it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveNotification {
    /// The notification as stored.
    pub notification: Notification,
    /// The actor now (`None`: a system notification, or the actor is gone).
    pub actor: Option<User>,
}

/// What a stream is handed, in the order the changes committed; shared by every stream of the
/// receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "always shared behind one Arc per event, so the smaller variant saves nothing"
)]
pub enum LiveEvent {
    /// A stored notification (`notification`), then the unread count it left (`unread-count`)
    /// when known.
    Notification {
        /// The notification and its actor.
        live: LiveNotification,
        /// The receiver's unread count once it was stored.
        unread_count: Option<u64>,
    },
    /// Some were read or deleted (`notification-read` / `notification-deleted`), then the unread
    /// count that left (`unread-count`).
    Inbox {
        /// Which, and what happened to them.
        change: InboxChange,
        /// The receiver's unread count once the change was made.
        unread_count: u64,
    },
}

/// Why the registry ended a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The user opened more than the allowed number of streams and this was the oldest: the
    /// client is told to wait an hour before reconnecting, so that it does not evict the others
    /// in a loop.
    Evicted,
    /// Its queue filled: the client stopped reading.
    TooSlow,
    /// The user's account was deleted: the client is told (`account-deleted`).
    AccountDeleted,
}

/// Identifies one stream within the registry.
pub type StreamId = u64;

/// A stream's end of the registry.
#[derive(Debug)]
pub struct StreamRegistration {
    /// This stream's id (for [`SseRegistry::unregister`]).
    pub id: StreamId,
    /// Live events for this stream, in delivery order.
    pub live: mpsc::Receiver<Arc<LiveEvent>>,
    /// Fires when the registry ends the stream; dropped unfired when the stream unregisters.
    pub ended: oneshot::Receiver<EndReason>,
    /// Woken by [`SseRegistry::resync_all`]: events may have been missed, replay from the last
    /// delivered id.
    pub resync: Arc<Notify>,
}

/// The registry's handle on one stream.
#[derive(Debug)]
struct Handle {
    id: StreamId,
    queue: mpsc::Sender<Arc<LiveEvent>>,
    end: oneshot::Sender<EndReason>,
    resync: Arc<Notify>,
}

/// The SSE stream registry; a cheap clone around shared state.
#[derive(Clone)]
pub struct SseRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    /// Each user's streams in opening order, so the first is the one to evict.
    streams: Mutex<HashMap<UserId, Vec<Handle>>>,
    next_id: AtomicU64,
    /// Where the actor's current nickname and picture come from.
    users: Arc<dyn UserRepository>,
    /// Told when a user's first stream opens here and their last one ends, when events arrive
    /// by interest. Called under the map's lock, so it hears each user's changes in order.
    interest: Option<InterestIndex>,
}

impl std::fmt::Debug for SseRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseRegistry").finish_non_exhaustive()
    }
}

impl SseRegistry {
    /// An empty registry that reads actors' profiles from `users`.
    pub fn new(users: Arc<dyn UserRepository>) -> Self {
        Self::build(users, None)
    }

    /// An empty registry that also tells `interest` which users have streams here.
    pub fn with_interest(users: Arc<dyn UserRepository>, interest: InterestIndex) -> Self {
        Self::build(users, Some(interest))
    }

    fn build(users: Arc<dyn UserRepository>, interest: Option<InterestIndex>) -> Self {
        Self {
            inner: Arc::new(Inner {
                streams: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                users,
                interest,
            }),
        }
    }

    /// Waits until this instance receives `user`'s notification events, at most
    /// [`INTEREST_READY_LIMIT`](crate::realtime::registry::INTEREST_READY_LIMIT). At once when
    /// events are not delivered by interest.
    pub async fn interest_ready(&self, user: UserId) {
        if let Some(interest) = &self.inner.interest {
            interest
                .ready(user, crate::realtime::registry::INTEREST_READY_LIMIT)
                .await;
        }
    }

    /// `user` has streams here now (`true`) or no longer (`false`); called with the map locked.
    fn presence(&self, user: UserId, present: bool) {
        if let Some(interest) = &self.inner.interest {
            if present {
                interest.stream_opened(user);
            } else {
                interest.stream_closed(user);
            }
        }
    }

    /// Registers a new stream of `user`. When the user then has more than `max_streams`, the
    /// oldest ones are removed and told [`EndReason::Evicted`]. Callers register *before* reading
    /// the replay, so nothing committed after that read can be missed.
    pub fn register(&self, user: UserId, max_streams: u32) -> StreamRegistration {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue, live) = mpsc::channel(STREAM_QUEUE_CAPACITY);
        let (end, ended) = oneshot::channel();
        let resync = Arc::new(Notify::new());
        let evicted = {
            let mut streams = self.lock();
            if !streams.contains_key(&user) {
                self.presence(user, true);
            }
            let handles = streams.entry(user).or_default();
            handles.push(Handle {
                id,
                queue,
                end,
                resync: resync.clone(),
            });
            let max = usize::try_from(max_streams.max(1)).unwrap_or(usize::MAX);
            let excess = handles.len().saturating_sub(max);
            handles.drain(..excess).collect::<Vec<_>>()
        };
        for handle in evicted {
            tracing::info!(user = %user, stream = handle.id, "sse stream evicted: too many streams");
            // The stream may already be gone; then there is nobody left to tell.
            let _gone = handle.end.send(EndReason::Evicted);
        }
        StreamRegistration {
            id,
            live,
            ended,
            resync,
        }
    }

    /// Tells every open stream that events may have been missed (the cross-instance fan-out
    /// dropped and came back): each replays, from storage, what is newer than the last
    /// notification it delivered.
    pub fn resync_all(&self) {
        for handles in self.lock().values() {
            for handle in handles {
                // `notify_one` keeps a permit when the stream is not waiting right now.
                handle.resync.notify_one();
            }
        }
    }

    /// Removes a stream (when it ends for any reason).
    pub fn unregister(&self, user: UserId, id: StreamId) {
        let mut streams = self.lock();
        if let Some(handles) = streams.get_mut(&user) {
            handles.retain(|h| h.id != id);
            if handles.is_empty() {
                streams.remove(&user);
                self.presence(user, false);
            }
        }
    }

    /// Number of open streams of `user`.
    pub fn stream_count(&self, user: UserId) -> usize {
        self.lock().get(&user).map_or(0, Vec::len)
    }

    /// Number of open streams (all users).
    pub fn total_streams(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    /// Pushes a stored notification, and the unread count it left when known, to every open
    /// stream of its receiver on this instance. The seam through which every notification
    /// reaches SSE, whichever way the event arrived.
    pub async fn deliver(&self, notification: &Notification, unread_count: Option<u64>) -> Handoff {
        let receiver = notification.receiver();
        if self.stream_count(receiver) == 0 {
            return Handoff::default();
        }
        let actor = match notification.actor() {
            None => None,
            Some(actor) => match self.inner.users.find(actor).await {
                Ok(found) => found,
                Err(error) => {
                    // The notification matters more than the actor's picture; the stored copy
                    // (list, replay) carries it.
                    tracing::warn!(%error, "actor profile unavailable for an sse notification");
                    None
                }
            },
        };
        self.deliver_with(
            receiver,
            Arc::new(LiveEvent::Notification {
                live: LiveNotification {
                    notification: notification.clone(),
                    actor,
                },
                unread_count,
            }),
        )
    }

    /// Ends every stream of `user` on this instance, telling each [`EndReason::AccountDeleted`].
    pub fn account_deleted(&self, user: UserId) -> Handoff {
        let handles = {
            let mut streams = self.lock();
            let handles = streams.remove(&user);
            if handles.is_some() {
                self.presence(user, false);
            }
            handles.unwrap_or_default()
        };
        let mut handoff = Handoff::default();
        for handle in handles {
            // A stream whose task already ended has nobody left to tell.
            if handle.end.send(EndReason::AccountDeleted).is_ok() {
                handoff.queued += 1;
            }
        }
        handoff
    }

    /// Pushes `change` of `receiver`'s notifications, and the unread count it left, to every
    /// open stream of the receiver on this instance.
    pub fn inbox_changed(
        &self,
        receiver: UserId,
        change: &InboxChange,
        unread_count: u64,
    ) -> Handoff {
        if self.stream_count(receiver) == 0 {
            return Handoff::default();
        }
        self.deliver_with(
            receiver,
            Arc::new(LiveEvent::Inbox {
                change: change.clone(),
                unread_count,
            }),
        )
    }

    /// Queues `live` on every stream of `receiver`; a full queue ends its stream as too slow,
    /// a closed one (its task ended) is forgotten.
    fn deliver_with(&self, receiver: UserId, live: Arc<LiveEvent>) -> Handoff {
        let mut too_slow = Vec::new();
        let mut handoff = Handoff::default();
        {
            let mut streams = self.lock();
            let Some(handles) = streams.get_mut(&receiver) else {
                return handoff;
            };
            let mut kept = Vec::with_capacity(handles.len());
            for handle in handles.drain(..) {
                match handle.queue.try_send(live.clone()) {
                    Ok(()) => {
                        handoff.queued += 1;
                        kept.push(handle);
                    }
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        handoff.queue_full += 1;
                        too_slow.push(handle);
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {}
                }
            }
            if kept.is_empty() {
                streams.remove(&receiver);
                self.presence(receiver, false);
            } else {
                *handles = kept;
            }
        }
        for handle in too_slow {
            tracing::warn!(user = %receiver, stream = handle.id, "sse client too slow: queue full");
            let _gone = handle.end.send(EndReason::TooSlow);
        }
        handoff
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<UserId, Vec<Handle>>> {
        self.inner
            .streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl NotificationStreams for SseRegistry {
    async fn deliver(&self, notification: &Notification, unread_count: Option<u64>) -> Handoff {
        SseRegistry::deliver(self, notification, unread_count).await
    }

    fn inbox_changed(&self, receiver: UserId, change: &InboxChange, unread_count: u64) -> Handoff {
        SseRegistry::inbox_changed(self, receiver, change, unread_count)
    }

    fn account_deleted(&self, user: UserId) -> Handoff {
        SseRegistry::account_deleted(self, user)
    }

    fn resync_all(&self) {
        SseRegistry::resync_all(self);
    }
}

#[cfg(test)]
mod tests {
    use hourglass_domain::notification::NotificationDraft;
    use hourglass_domain::time::Timestamp;
    use hourglass_ports::user::MockUserRepository;

    use super::*;

    fn registry() -> SseRegistry {
        let mut users = MockUserRepository::new();
        users.expect_find().returning(|_| Ok(None));
        SseRegistry::new(Arc::new(users))
    }

    fn test_notification(id: i64, user: UserId) -> Notification {
        Notification::from_draft(
            hourglass_domain::ids::NotificationId::new(id),
            NotificationDraft::test(user),
            Timestamp::EPOCH,
        )
    }

    #[tokio::test]
    async fn the_oldest_stream_is_evicted_past_the_cap() {
        let registry = registry();
        let alice = UserId::new(1);
        let mut first = registry.register(alice, 2);
        let _second = registry.register(alice, 2);
        assert!(first.ended.try_recv().is_err(), "not yet");
        let _third = registry.register(alice, 2);
        assert_eq!(first.ended.try_recv(), Ok(EndReason::Evicted));
        assert_eq!(registry.stream_count(alice), 2);
    }

    #[tokio::test]
    async fn every_stream_of_the_receiver_gets_it_and_nobody_else() {
        let registry = registry();
        let alice = UserId::new(1);
        let mut a = registry.register(alice, 10);
        let mut b = registry.register(alice, 10);
        let mut bob = registry.register(UserId::new(2), 10);
        let handoff = registry
            .deliver(&test_notification(7, alice), Some(1))
            .await;
        assert_eq!(handoff.queued, 2);
        let read = InboxChange::Read(vec![hourglass_domain::ids::NotificationId::new(7)]);
        assert_eq!(registry.inbox_changed(alice, &read, 0).queued, 2);
        for stream in [&mut a, &mut b] {
            let Ok(live) = stream.live.try_recv() else {
                panic!("delivered")
            };
            let LiveEvent::Notification { live, unread_count } = live.as_ref() else {
                panic!("the notification first")
            };
            assert_eq!(live.notification.id().get(), 7);
            assert_eq!(*unread_count, Some(1));
            let Ok(inbox) = stream.live.try_recv() else {
                panic!("then the read mark")
            };
            assert_eq!(
                inbox.as_ref(),
                &LiveEvent::Inbox {
                    change: read.clone(),
                    unread_count: 0
                }
            );
        }
        assert!(bob.live.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_full_queue_ends_the_stream_as_too_slow() {
        let registry = registry();
        let alice = UserId::new(1);
        let mut stream = registry.register(alice, 10);
        for id in 0..=i64::try_from(STREAM_QUEUE_CAPACITY).unwrap_or(i64::MAX) {
            registry.deliver(&test_notification(id, alice), None).await;
        }
        assert_eq!(stream.ended.try_recv(), Ok(EndReason::TooSlow));
        assert_eq!(registry.stream_count(alice), 0);
    }
}
