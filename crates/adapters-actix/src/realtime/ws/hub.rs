//! The hub: the registry of open timer WebSocket connections (user → connections) and the
//! in-process [`EventPublisher`] that fans committed changes out to them.
//!
//! Events reach the hub after commit, so nothing reaches a connection before its change is
//! stored: from the services ([`EventPublisher`], the in-process path of unit tests) or from the
//! cross-instance listener of the PostgreSQL adapter ([`LocalDelivery`]). Both paths go through
//! [`Hub::deliver_local`], so one instance and many route identically. The hub itself never
//! renders: it hands each connection the committed [`Timer`] (and its tags, loaded once per
//! event) and every connection renders in its own `timezone`.
//!
//! Concurrency: the registry sits behind a `std` lock that is only ever held for map operations,
//! never across an `.await`; storage look-ups (tags, friends, nickname) happen before it is
//! taken; friend lists are remembered until a follow of that user changes (`friends`). Each
//! connection owns a bounded queue ([`OUTBOUND_CAPACITY`]); the hub only
//! `try_send`s, so one client that stops reading can never stall the publisher or the other
//! connections: when its queue is full the hub unregisters it and wakes its task, which closes
//! with 1013 "too slow".

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use async_trait::async_trait;
use hourglass_domain::ids::{TagId, TimerId, UserId};
use hourglass_domain::planning::Tag;
use hourglass_domain::timer::Timer;
use hourglass_ports::error::StorageError;
use hourglass_ports::event::{
    DomainEvent, EventPublisher, LocalDelivery, PublishError, TimerAction,
};
use hourglass_ports::follow::FollowRepository;
use hourglass_ports::planning::TagRepository;
use hourglass_ports::user::UserRepository;
use tokio::sync::{Notify, mpsc, watch};

use super::friends::FriendCache;
use crate::settings::RateLimit;
use crate::realtime::sse::SseRegistry;
use crate::edge::telemetry::Metrics;
use crate::edge::telemetry::metrics::{Arrival, ConnectionKind, Handoff};

/// Messages a connection may have waiting before it counts as too slow.
pub const OUTBOUND_CAPACITY: usize = 256;

/// What the hub hands a connection; the connection renders it for its own zone.
#[derive(Debug, Clone)]
pub enum HubMessage {
    /// One of the user's timers was created or changed (`timer.created` / `timer.updated`).
    TimerChanged {
        /// What happened.
        action: TimerAction,
        /// The timer as committed.
        timer: Arc<Timer>,
        /// Its tags, in the timer's order.
        tags: Arc<[Tag]>,
    },
    /// One of the user's timers was deleted (`timer.deleted`).
    TimerDeleted {
        /// The deleted timer.
        timer_id: TimerId,
    },
    /// A friend's timer changed state (`timer.friend_activity`).
    FriendActivity {
        /// The friend who acted.
        friend: UserId,
        /// Their current nickname.
        display_name: Arc<str>,
        /// What they did.
        action: TimerAction,
        /// Their timer.
        timer_id: TimerId,
        /// Its title.
        timer_title: Option<Arc<str>>,
    },
    /// Events may have been missed (the cross-instance listener reconnected): send a fresh
    /// `timer.sync_result`.
    Resync,
}

/// Identifies one connection within the hub.
pub type ConnectionId = u64;

/// A connection's end of the hub: its queue and the signals it must obey.
#[derive(Debug)]
pub struct Registration {
    /// This connection's id (for [`Hub::unregister`]).
    pub id: ConnectionId,
    /// Fan-out messages for this connection. Shared, so a fan-out to many connections clones
    /// a pointer, and a queue's slots stay 8 bytes (tokio allocates 32 of them per connection).
    pub messages: mpsc::Receiver<Arc<HubMessage>>,
    /// Woken when the hub dropped the connection because its queue filled.
    pub too_slow: Arc<Notify>,
    /// Turns `true` when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
}

/// The hub's handle on one connection.
#[derive(Debug)]
struct Handle {
    id: ConnectionId,
    queue: mpsc::Sender<Arc<HubMessage>>,
    too_slow: Arc<Notify>,
}

/// The connection registry and fan-out; a cheap clone around shared state.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    connections: RwLock<HashMap<UserId, Vec<Handle>>>,
    next_id: AtomicU64,
    /// Recent accepted connection instants per user, for the connect rate limit.
    connect_log: Mutex<HashMap<UserId, VecDeque<Instant>>>,
    shutdown: watch::Sender<bool>,
    follows: Arc<dyn FollowRepository>,
    /// Friend lists of recent actors, so a command does not look them up again.
    friends: FriendCache,
    users: Arc<dyn UserRepository>,
    tags: Arc<dyn TagRepository>,
    /// The SSE notification streams, which `NotificationCreated` events go to.
    sse: SseRegistry,
    /// Fan-out latency and full queues.
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub reading friends from `follows`, nicknames from `users` and tags from `tags`, and
    /// recording its fan-out in `metrics`.
    pub fn new(
        follows: Arc<dyn FollowRepository>,
        users: Arc<dyn UserRepository>,
        tags: Arc<dyn TagRepository>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let (shutdown, _) = watch::channel(false);
        let sse = SseRegistry::new(users.clone());
        Self {
            inner: Arc::new(Inner {
                connections: RwLock::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                connect_log: Mutex::new(HashMap::new()),
                shutdown,
                follows,
                friends: FriendCache::default(),
                users,
                tags,
                sse,
                metrics,
            }),
        }
    }

    /// Counts a new connection of `user` against `limit`; `false` when it is one too many
    /// (close 4029). Refused attempts are not counted, so a client backing off gets back in.
    pub fn admit(&self, user: UserId, limit: Option<RateLimit>, now: Instant) -> bool {
        let Some(limit) = limit else {
            return true;
        };
        let mut log = self
            .inner
            .connect_log
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
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

    /// Registers a connection of `user` for fan-out. Callers register *before* reading the
    /// initial `timer.sync_result`, so no change committed after that read can be missed.
    pub fn register(&self, user: UserId) -> Registration {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue, messages) = mpsc::channel(OUTBOUND_CAPACITY);
        let too_slow = Arc::new(Notify::new());
        let handle = Handle {
            id,
            queue,
            too_slow: too_slow.clone(),
        };
        self.write().entry(user).or_default().push(handle);
        Registration {
            id,
            messages,
            too_slow,
            shutdown: self.inner.shutdown.subscribe(),
        }
    }

    /// Removes a connection (when its task ends).
    pub fn unregister(&self, user: UserId, id: ConnectionId) {
        let mut connections = self.write();
        if let Some(handles) = connections.get_mut(&user) {
            handles.retain(|h| h.id != id);
            if handles.is_empty() {
                connections.remove(&user);
            }
        }
    }

    /// Number of open connections (all users).
    pub fn connection_count(&self) -> usize {
        self.read().values().map(Vec::len).sum()
    }

    /// Tells every connection, present and future, that the server is shutting down: each
    /// finishes its in-flight command, then closes with 1001.
    pub fn close_all(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// The SSE stream registry (notifications); its streams also end on [`Hub::close_all`].
    pub fn sse(&self) -> &SseRegistry {
        &self.inner.sse
    }

    /// A receiver of the shutdown flag, for tasks that start after [`Hub::close_all`].
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    /// The timer's tags, in the timer's order.
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn tags_of(&self, timer: &Timer) -> Result<Vec<Tag>, StorageError> {
        let ids = timer.tag_ids();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut found = self.inner.tags.find_many(timer.owner_id(), ids).await?;
        found.sort_by_key(|tag| ids.iter().position(|id| *id == tag.id));
        Ok(found)
    }

    /// The `owner`'s tags among `ids`, in no particular order (one round trip for a whole sync).
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn find_tags(&self, owner: UserId, ids: &[TagId]) -> Result<Vec<Tag>, StorageError> {
        self.inner.tags.find_many(owner, ids).await
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

    fn is_online(&self, user: UserId) -> bool {
        self.read().contains_key(&user)
    }

    /// Queues `message` on every connection of `user`; a full queue gets its connection
    /// dropped as too slow, a closed one (its task ended) is forgotten.
    fn deliver(&self, user: UserId, message: &Arc<HubMessage>) -> Handoff {
        let mut dropped = Vec::new();
        let mut handoff = Handoff::default();
        {
            let connections = self.read();
            let Some(handles) = connections.get(&user) else {
                return handoff;
            };
            for handle in handles {
                match handle.queue.try_send(message.clone()) {
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

    /// [`Hub::deliver`] of an event that arrived as `arrival`, with its fan-out recorded.
    fn deliver_event(&self, user: UserId, message: &Arc<HubMessage>, arrival: Arrival) {
        let handoff = self.deliver(user, message);
        self.inner
            .metrics
            .fanout(arrival, ConnectionKind::WebSocket, handoff);
    }

    async fn publish_change(
        &self,
        actor: UserId,
        action: TimerAction,
        timer: Timer,
        arrival: Arrival,
    ) {
        let owner = timer.owner_id();
        let timer = Arc::new(timer);
        if self.is_online(owner) {
            let tags = match self.tags_of(&timer).await {
                Ok(tags) => tags,
                Err(error) => {
                    // The state change matters more than the labels; devices get the tags back
                    // on their next sync.
                    tracing::warn!(%error, timer = %timer.id(), "tags unavailable for fan-out");
                    Vec::new()
                }
            };
            self.deliver_event(
                owner,
                &Arc::new(HubMessage::TimerChanged {
                    action,
                    timer: timer.clone(),
                    tags: tags.into(),
                }),
                arrival,
            );
        }
        if action.is_friend_activity() && timer.visibility().visible_to_friends() {
            self.publish_friend_activity(actor, action, &timer, arrival)
                .await;
        }
    }

    /// `user`'s friends: remembered, or looked up and remembered (see [`FriendCache`]).
    async fn friends_of(&self, user: UserId) -> Result<Arc<[UserId]>, StorageError> {
        if let Some(known) = self.inner.friends.get(user) {
            return Ok(known);
        }
        let fetched_at = self.inner.friends.generation();
        let friends: Arc<[UserId]> = self.inner.follows.friend_ids(user).await?.into();
        self.inner
            .friends
            .remember(user, Arc::clone(&friends), fetched_at);
        Ok(friends)
    }

    async fn publish_friend_activity(
        &self,
        actor: UserId,
        action: TimerAction,
        timer: &Timer,
        arrival: Arrival,
    ) {
        let anyone_else_online = {
            let connections = self.read();
            connections.len() > usize::from(connections.contains_key(&actor))
        };
        if !anyone_else_online {
            return;
        }
        let friends = match self.friends_of(actor).await {
            Ok(friends) => friends,
            Err(error) => {
                tracing::warn!(%error, "friend list unavailable; friend activity not sent");
                return;
            }
        };
        let targets: Vec<UserId> = {
            let connections = self.read();
            friends
                .iter()
                .copied()
                .filter(|friend| *friend != actor && connections.contains_key(friend))
                .collect()
        };
        if targets.is_empty() {
            return;
        }
        let display_name: Arc<str> = match self.inner.users.find(actor).await {
            Ok(Some(user)) => user.nickname.as_str().into(),
            Ok(None) => actor.to_string().into(),
            Err(error) => {
                tracing::warn!(%error, "nickname unavailable; friend activity not sent");
                return;
            }
        };
        let message = Arc::new(HubMessage::FriendActivity {
            friend: actor,
            display_name,
            action,
            timer_id: timer.id(),
            timer_title: timer.title().map(|t| Arc::from(t.as_str())),
        });
        for friend in targets {
            self.deliver_event(friend, &message, arrival);
        }
    }
}

impl Hub {
    /// Routes a committed `event` to this instance's connections: the one local-delivery entry
    /// point shared by the in-process publisher and the cross-instance listener; `arrival` says
    /// which, and where its fan-out latency starts.
    pub async fn deliver_local(&self, event: DomainEvent, arrival: Arrival) {
        match event {
            DomainEvent::TimerChanged {
                actor,
                action,
                timer,
            } => self.publish_change(actor, action, timer, arrival).await,
            DomainEvent::TimerDeleted { owner, timer_id } => {
                self.deliver_event(
                    owner,
                    &Arc::new(HubMessage::TimerDeleted { timer_id }),
                    arrival,
                );
            }
            // Notifications travel over SSE, which has its own streams.
            DomainEvent::NotificationCreated { notification } => {
                let handoff = self.inner.sse.deliver(&notification).await;
                self.inner
                    .metrics
                    .fanout(arrival, ConnectionKind::Sse, handoff);
            }
            DomainEvent::FollowChanged { follower, followee } => {
                self.inner.friends.forget(follower, followee);
            }
        }
    }

    /// Asks every local connection for a fresh `timer.sync_result` (after the cross-instance
    /// listener reconnected, events committed meanwhile were never delivered). A connection
    /// whose queue is full is dropped as too slow, like for any other message.
    pub fn resync_all(&self) {
        let users: Vec<UserId> = self.read().keys().copied().collect();
        let resync = Arc::new(HubMessage::Resync);
        for user in users {
            self.deliver(user, &resync);
        }
    }
}

#[async_trait]
impl EventPublisher for Hub {
    async fn publish(&self, event: DomainEvent) -> Result<(), PublishError> {
        self.deliver_local(event, Arrival::in_process()).await;
        Ok(())
    }
}

/// The server's publisher: timer events go straight to this instance's connections once
/// committed, with no database round trip to reload them; the PostgreSQL listener skips them here
/// (they carry this instance's origin) and carries them to the other instances. Notifications are
/// left to the listener, which keeps each receiver's stream in commit order.
#[derive(Clone)]
pub struct InProcessTimerEvents(pub Hub);

#[async_trait]
impl EventPublisher for InProcessTimerEvents {
    async fn publish(&self, event: DomainEvent) -> Result<(), PublishError> {
        if !matches!(event, DomainEvent::NotificationCreated { .. }) {
            self.0.deliver_local(event, Arrival::in_process()).await;
        }
        Ok(())
    }
}

#[async_trait]
impl LocalDelivery for Hub {
    async fn deliver_local(&self, event: DomainEvent, received: Instant) {
        Hub::deliver_local(self, event, Arrival::from_listener(received)).await;
    }

    async fn resync_local(&self) {
        // Follow changes may have been missed too.
        self.inner.friends.forget_all();
        self.resync_all();
        // SSE streams replay from storage what is newer than their last delivered id.
        self.inner.sse.resync_all();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hourglass_ports::follow::MockFollowRepository;
    use hourglass_ports::planning::MockTagRepository;
    use hourglass_ports::user::MockUserRepository;

    use super::*;

    fn hub() -> Hub {
        Hub::new(
            Arc::new(MockFollowRepository::new()),
            Arc::new(MockUserRepository::new()),
            Arc::new(MockTagRepository::new()),
            Arc::new(Metrics::new(None)),
        )
    }

    #[test]
    fn the_connect_limit_counts_accepted_connections_per_window() {
        let hub = hub();
        let limit = Some(RateLimit {
            max: 2,
            window: Duration::from_secs(60),
        });
        let alice = UserId::new(1);
        let t0 = Instant::now();
        assert!(hub.admit(alice, limit, t0));
        assert!(hub.admit(alice, limit, t0));
        assert!(!hub.admit(alice, limit, t0));
        assert!(hub.admit(UserId::new(2), limit, t0), "per user");
        assert!(hub.admit(alice, limit, t0 + Duration::from_secs(60)));
        assert!(hub.admit(alice, None, t0), "no limit when switched off");
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_connection_as_too_slow() {
        let hub = hub();
        let alice = UserId::new(1);
        let registration = hub.register(alice);
        let deleted = Arc::new(HubMessage::TimerDeleted {
            timer_id: TimerId::new(uuid::Uuid::nil()),
        });
        for _ in 0..OUTBOUND_CAPACITY {
            assert_eq!(hub.deliver(alice, &deleted).queued, 1);
        }
        assert_eq!(hub.connection_count(), 1);
        assert_eq!(
            hub.deliver(alice, &deleted),
            Handoff {
                queued: 0,
                queue_full: 1
            }
        );
        assert_eq!(hub.connection_count(), 0);
        // The permit was stored: the task sees it even though it was not waiting.
        tokio::time::timeout(Duration::from_secs(1), registration.too_slow.notified())
            .await
            .map_or_else(|_| panic!("the connection was not told"), |()| ());
    }

    fn friends_timer(owner: UserId) -> Timer {
        use hourglass_domain::timer::NewTimer;
        use hourglass_domain::validation::{AllocatedDuration, Visibility};
        let Ok(allocated_duration) = AllocatedDuration::new(600) else {
            panic!("valid duration")
        };
        let new = NewTimer {
            owner_id: owner,
            allocated_duration,
            title: None,
            description: None,
            schedule_id: None,
            todo_id: None,
            tag_ids: Vec::new(),
            visibility: Visibility::Friends,
        };
        Timer::start(
            TimerId::new(uuid::Uuid::nil()),
            new,
            hourglass_domain::time::Timestamp::EPOCH,
        )
    }

    fn changed(actor: UserId) -> DomainEvent {
        DomainEvent::TimerChanged {
            actor,
            action: TimerAction::Start,
            timer: friends_timer(actor),
        }
    }

    /// The user repository answering every nickname look-up with `alice`.
    fn users_named_alice() -> MockUserRepository {
        let mut users = MockUserRepository::new();
        users.expect_find().returning(|id| {
            let Ok(nickname) = hourglass_domain::profile::Nickname::parse("alice") else {
                panic!("valid nickname")
            };
            Ok(Some(hourglass_ports::user::User {
                id,
                subject: "alice".to_owned(),
                nickname,
                profile_image: None,
                created_at: hourglass_domain::time::Timestamp::EPOCH,
                updated_at: hourglass_domain::time::Timestamp::EPOCH,
            }))
        });
        users
    }

    #[tokio::test]
    async fn friends_are_looked_up_once_until_a_follow_of_the_actor_changes() {
        let alice = UserId::new(1);
        let bob = UserId::new(2);
        let mut follows = MockFollowRepository::new();
        // Two look-ups in all: the first event, then the one after Bob unfollowed.
        let lookups = AtomicU64::new(0);
        follows.expect_friend_ids().times(2).returning(move |_| {
            let first = lookups.fetch_add(1, Ordering::Relaxed) == 0;
            Ok(if first { vec![bob] } else { Vec::new() })
        });
        let hub = Hub::new(
            Arc::new(follows),
            Arc::new(users_named_alice()),
            Arc::new(MockTagRepository::new()),
            Arc::new(Metrics::new(None)),
        );
        let mut bobs_phone = hub.register(bob);

        hub.deliver_local(changed(alice), Arrival::in_process())
            .await;
        hub.deliver_local(changed(alice), Arrival::in_process())
            .await;
        for _ in 0..2 {
            let message = bobs_phone.messages.try_recv();
            assert!(
                matches!(message.as_deref(), Ok(HubMessage::FriendActivity { friend, .. }) if *friend == alice),
                "{message:?}"
            );
        }
        // Bob unfollows Alice (announced by whichever instance did it): no more activity.
        hub.deliver_local(
            DomainEvent::FollowChanged {
                follower: bob,
                followee: alice,
            },
            Arrival::in_process(),
        )
        .await;
        hub.deliver_local(changed(alice), Arrival::in_process())
            .await;
        assert!(bobs_phone.messages.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_resync_forgets_every_friend_list() {
        let alice = UserId::new(1);
        let bob = UserId::new(2);
        let mut follows = MockFollowRepository::new();
        follows
            .expect_friend_ids()
            .times(2)
            .returning(move |_| Ok(vec![bob]));
        let hub = Hub::new(
            Arc::new(follows),
            Arc::new(users_named_alice()),
            Arc::new(MockTagRepository::new()),
            Arc::new(Metrics::new(None)),
        );
        let _bobs_phone = hub.register(bob);
        hub.deliver_local(changed(alice), Arrival::in_process())
            .await;
        // The listener reconnected: follow changes may have been missed meanwhile.
        LocalDelivery::resync_local(&hub).await;
        hub.deliver_local(changed(alice), Arrival::in_process())
            .await;
    }

    #[tokio::test]
    async fn nobody_else_online_means_no_look_up_at_all() {
        let alice = UserId::new(1);
        let mut follows = MockFollowRepository::new();
        follows.expect_friend_ids().never();
        let hub = Hub::new(
            Arc::new(follows),
            Arc::new(MockUserRepository::new()),
            Arc::new(MockTagRepository::new()),
            Arc::new(Metrics::new(None)),
        );
        let mut alices_phone = hub.register(alice);
        hub.deliver_local(changed(alice), Arrival::in_process())
            .await;
        let own = alices_phone.messages.try_recv();
        assert!(
            matches!(own.as_deref(), Ok(HubMessage::TimerChanged { .. })),
            "{own:?}"
        );
    }

    #[test]
    fn unregister_forgets_the_user_with_the_last_connection() {
        let hub = hub();
        let alice = UserId::new(1);
        let a = hub.register(alice);
        let b = hub.register(alice);
        hub.unregister(alice, a.id);
        assert!(hub.is_online(alice));
        hub.unregister(alice, b.id);
        assert!(!hub.is_online(alice));
    }
}
