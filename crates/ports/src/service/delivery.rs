//! Who receives a committed event on this instance, and the in-process path that hands events
//! over without holding up the sender's reply.
//!
//! Every event reaches [`DeliveryService::deliver`], whichever way it came: from this instance's
//! services through [`InProcessDelivery`], or from another instance through the cross-instance
//! listener ([`LocalDelivery`]). So one instance and many route identically, and the rules of
//! who hears what live in one place:
//!
//! - a timer change goes to the owner's connections ([`TimerDelivery::Changed`]), and, when
//!   [`friend_activity_due`], to the owner's online friends ([`TimerDelivery::FriendActivity`]);
//! - a deleted timer, and a timer whose time is up, go to the owner's connections;
//! - a notification, and a read mark or delete of notifications, go to the receiver's streams,
//!   each with the unread count it left;
//! - a timer made private while friends could see it goes to the owner's online friends as
//!   [`TimerDelivery::FriendHidden`];
//! - a follow change makes the remembered friend lists of both users stale; an unfollow that
//!   ends a friendship also hides each one's active visible timers from the other's connections
//!   ([`hidden_on_unfollow`]);
//! - a deleted account closes the user's connections and streams here, and hides the timers its
//!   friends could see from their connections, under [`DELETED_USER_NICKNAME`].
//!
//! The service never renders: each connection renders what it is handed in its own time zone.

mod friends;

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use async_trait::async_trait;
use hourglass_domain::ids::UserId;
use hourglass_domain::profile::DELETED_USER_NICKNAME;
use hourglass_domain::timer::{Timer, TimerChange};
use tokio::sync::mpsc;

use self::friends::FriendCache;
use super::interest::InterestIndex;
use crate::bus::{Interest, InterestWatcher, Subject, Topic};
use crate::delivery::{
    Arrival, DeliveryObserver, DeliveryReport, Handoff, NotificationStreams, TimerConnections,
    TimerDelivery,
};
use crate::error::StorageError;
use crate::event::{DomainEvent, EventPublisher, HiddenTimer, LocalDelivery, PublishError};
use crate::follow::FollowRepository;
use crate::timer::{TaggedTimer, TimerRepository};
use crate::user::UserRepository;

/// How many in-process events are delivered at once. Friend activity can cost a look-up, so one
/// event at a time would let one slow look-up hold up everyone; each user's events still go
/// through one lane, so a user's devices see them in commit order.
const LANES: usize = 8;

/// Events one lane may hold before a publisher waits for it (back-pressure, not growth).
const LANE_CAPACITY: usize = 4096;

/// Whether friends hear about `change` of `timer` (`timer.friend_activity`): state transitions,
/// not edits of details, of a timer its owner lets friends see. Friends are mutual followers.
pub fn friend_activity_due(change: TimerChange, timer: &Timer) -> bool {
    change.is_transition() && timer.visibility().visible_to_friends()
}

/// Whether `timer` of a user who stopped being someone's friend was on that someone's screen,
/// so it must be hidden there: an active timer its owner let friends see. A private timer was
/// never shown, so nothing is said about it.
pub fn hidden_on_unfollow(timer: &Timer) -> bool {
    timer.status().is_active() && timer.visibility().visible_to_friends()
}

/// Routes committed events to this instance's connections.
#[derive(Clone)]
pub struct DeliveryService {
    inner: Arc<Inner>,
}

struct Inner {
    connections: Arc<dyn TimerConnections>,
    streams: Arc<dyn NotificationStreams>,
    follows: Arc<dyn FollowRepository>,
    /// Active timers of a pair whose friendship ended, to hide them.
    timers: Arc<dyn TimerRepository>,
    users: Arc<dyn UserRepository>,
    /// Friend lists of recent actors, so a command does not look them up again.
    friends: Arc<FriendCache>,
    observer: Arc<dyn DeliveryObserver>,
    /// Told about follow changes and missed events, when an event bus delivers by interest.
    interest: OnceLock<InterestIndex>,
}

/// Forgets an actor's remembered friend list when this instance stops caring about their timer
/// events: from then on their follow changes no longer arrive here, so the list could go stale.
struct ForgetFriendsOnLoss(Arc<FriendCache>);

impl InterestWatcher for ForgetFriendsOnLoss {
    fn gained(&self, _subject: Subject) {}

    fn lost(&self, subject: Subject) {
        if subject.topic == Topic::Timers {
            self.0.forget_user(subject.user);
        }
    }
}

impl DeliveryService {
    /// A service delivering to `connections` and `streams`, reading friends from `follows`,
    /// active timers of former friends from `timers` and nicknames from `users`, and telling
    /// `observer` what each delivery did.
    pub fn new(
        connections: Arc<dyn TimerConnections>,
        streams: Arc<dyn NotificationStreams>,
        follows: Arc<dyn FollowRepository>,
        timers: Arc<dyn TimerRepository>,
        users: Arc<dyn UserRepository>,
        observer: Arc<dyn DeliveryObserver>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                connections,
                streams,
                follows,
                timers,
                users,
                friends: Arc::new(FriendCache::default()),
                observer,
                interest: OnceLock::new(),
            }),
        }
    }

    /// Keeps `interest` up to date with the follow changes and missed events this service
    /// hears, and forgets friend lists whose follow changes stop arriving. Set once; a second
    /// index is ignored.
    pub fn keep_interest(&self, interest: &InterestIndex) {
        if self.inner.interest.set(interest.clone()).is_ok() {
            interest.watch(Arc::new(ForgetFriendsOnLoss(Arc::clone(
                &self.inner.friends,
            ))));
        }
    }

    /// Routes a committed `event` that arrived as `arrival`: the one place that decides who
    /// receives it (see the module documentation).
    pub async fn deliver(&self, event: DomainEvent, arrival: Arrival) -> DeliveryReport {
        let inner = &self.inner;
        let report = match event {
            DomainEvent::TimerChanged {
                actor,
                change,
                timer,
                actor_name,
            } => DeliveryReport {
                websocket: self.timer_changed(actor, change, timer, actor_name).await,
                sse: Handoff::default(),
            },
            DomainEvent::TimeUp {
                timer,
                due_at,
                late,
            } => DeliveryReport {
                websocket: inner.connections.send(
                    timer.timer.owner_id(),
                    &Arc::new(TimerDelivery::TimeUp {
                        timer: Arc::new(timer),
                        due_at,
                        late,
                    }),
                ),
                sse: Handoff::default(),
            },
            DomainEvent::TimerHidden { timer, actor_name } => DeliveryReport {
                websocket: self.timer_hidden(&timer, actor_name).await,
                sse: Handoff::default(),
            },
            DomainEvent::TimerDeleted { owner, timer_id } => DeliveryReport {
                websocket: inner
                    .connections
                    .send(owner, &Arc::new(TimerDelivery::Deleted { timer_id })),
                sse: Handoff::default(),
            },
            DomainEvent::NotificationCreated {
                notification,
                unread_count,
            } => DeliveryReport {
                websocket: Handoff::default(),
                sse: inner.streams.deliver(&notification, unread_count).await,
            },
            DomainEvent::InboxChanged {
                receiver,
                change,
                unread_count,
            } => DeliveryReport {
                websocket: Handoff::default(),
                sse: inner.streams.inbox_changed(receiver, &change, unread_count),
            },
            DomainEvent::FollowChanged {
                follower,
                followee,
                ended_friendship,
            } => {
                inner.friends.forget(follower, followee);
                if let Some(interest) = inner.interest.get() {
                    interest.follow_changed(follower, followee);
                }
                let websocket = if ended_friendship {
                    self.friendship_ended(follower, followee).await
                } else {
                    Handoff::default()
                };
                DeliveryReport {
                    websocket,
                    sse: Handoff::default(),
                }
            }
            DomainEvent::AccountDeleted {
                user,
                friends,
                hidden,
            } => {
                for friend in &friends {
                    inner.friends.forget(user, *friend);
                    if let Some(interest) = inner.interest.get() {
                        interest.follow_changed(user, *friend);
                    }
                }
                let closed = inner
                    .connections
                    .send(user, &Arc::new(TimerDelivery::AccountDeleted));
                DeliveryReport {
                    websocket: closed.and(self.account_hidden(user, &friends, &hidden)),
                    sse: inner.streams.account_deleted(user),
                }
            }
        };
        inner.observer.delivered(arrival, report);
        report
    }

    /// Events may have been missed (the cross-instance listener reconnected): friend lists are
    /// forgotten, every WebSocket client gets a fresh `timer.sync_result` and every stream
    /// replays from its last delivered id.
    pub fn resync(&self) {
        self.inner.friends.forget_all();
        if let Some(interest) = self.inner.interest.get() {
            interest.refresh();
        }
        self.inner
            .connections
            .send_to_everyone(&Arc::new(TimerDelivery::Resync));
        self.inner.streams.resync_all();
    }

    async fn timer_changed(
        &self,
        actor: UserId,
        change: TimerChange,
        timer: TaggedTimer,
        actor_name: Option<Arc<str>>,
    ) -> Handoff {
        let owner = timer.timer.owner_id();
        let friends_due = friend_activity_due(change, &timer.timer);
        let timer = Arc::new(timer);
        let mut handoff = Handoff::default();
        if self.inner.connections.is_online(owner) {
            let message = Arc::new(TimerDelivery::Changed {
                change,
                timer: Arc::clone(&timer),
            });
            handoff = self.inner.connections.send(owner, &message);
        }
        if friends_due {
            handoff = handoff.and(
                self.friend_activity(actor, change, &timer.timer, actor_name)
                    .await,
            );
        }
        handoff
    }

    /// `timer.friend_activity` to `actor`'s friends who are online here.
    async fn friend_activity(
        &self,
        actor: UserId,
        change: TimerChange,
        timer: &Timer,
        actor_name: Option<Arc<str>>,
    ) -> Handoff {
        let timer_id = timer.id();
        let timer_title = title_of(timer);
        self.to_online_friends(actor, actor_name, move |display_name| {
            TimerDelivery::FriendActivity {
                friend: actor,
                display_name,
                change,
                timer_id,
                timer_title,
            }
        })
        .await
    }

    /// `timer` was made private while its owner's friends could see it: they drop it. Goes to
    /// the same friends as its activity did, so whoever was shown it is told.
    async fn timer_hidden(&self, timer: &Timer, actor_name: Option<Arc<str>>) -> Handoff {
        let owner = timer.owner_id();
        let timer_id = timer.id();
        let timer_title = title_of(timer);
        self.to_online_friends(owner, actor_name, move |display_name| {
            TimerDelivery::FriendHidden {
                friend: owner,
                display_name,
                timer_id,
                timer_title,
            }
        })
        .await
    }

    /// The message `message` builds from `actor`'s nickname (`known`, or read), to `actor`'s
    /// friends who are online here. Nothing is looked up when nobody else is online.
    async fn to_online_friends(
        &self,
        actor: UserId,
        known: Option<Arc<str>>,
        message: impl FnOnce(Arc<str>) -> TimerDelivery,
    ) -> Handoff {
        let connections = &self.inner.connections;
        if !connections.anyone_online_but(actor) {
            return Handoff::default();
        }
        let friends = match self.friends_of(actor).await {
            Ok(friends) => friends,
            Err(error) => {
                tracing::warn!(%error, "friend list unavailable; friend activity not sent");
                return Handoff::default();
            }
        };
        let targets: Vec<UserId> = friends
            .iter()
            .copied()
            .filter(|friend| *friend != actor && connections.is_online(*friend))
            .collect();
        if targets.is_empty() {
            return Handoff::default();
        }
        let display_name = match known {
            Some(name) => name,
            None => match self.display_name(actor).await {
                Some(name) => name,
                None => return Handoff::default(),
            },
        };
        let message = Arc::new(message(display_name));
        targets.into_iter().fold(Handoff::default(), |sum, friend| {
            sum.and(connections.send(friend, &message))
        })
    }

    /// `a` and `b` were friends until one unfollowed the other: each one's connections here drop
    /// the other's active timers they were shown ([`hidden_on_unfollow`]). The friend lists no
    /// longer hold the pair, so the receivers are the two users themselves.
    async fn friendship_ended(&self, a: UserId, b: UserId) -> Handoff {
        let mut handoff = Handoff::default();
        for (owner, viewer) in [(a, b), (b, a)] {
            handoff = handoff.and(self.hide_timers_of(owner, viewer).await);
        }
        handoff
    }

    /// `owner`'s active visible timers, as `hidden`, to `viewer`'s connections here.
    async fn hide_timers_of(&self, owner: UserId, viewer: UserId) -> Handoff {
        let connections = &self.inner.connections;
        if owner == viewer || !connections.is_online(viewer) {
            return Handoff::default();
        }
        let timers = match self.inner.timers.list_active(owner).await {
            Ok(timers) => timers,
            Err(error) => {
                tracing::warn!(%error, "active timers unavailable; hidden activity not sent");
                return Handoff::default();
            }
        };
        let shown: Vec<&Timer> = timers.iter().filter(|t| hidden_on_unfollow(t)).collect();
        if shown.is_empty() {
            return Handoff::default();
        }
        let Some(display_name) = self.display_name(owner).await else {
            return Handoff::default();
        };
        shown.into_iter().fold(Handoff::default(), |sum, timer| {
            let message = Arc::new(TimerDelivery::FriendHidden {
                friend: owner,
                display_name: Arc::clone(&display_name),
                timer_id: timer.id(),
                timer_title: title_of(timer),
            });
            sum.and(connections.send(viewer, &message))
        })
    }

    /// `user`'s account was deleted: their `hidden` timers, under the deleted user's name, to
    /// the connections here of `friends` (the friendships are gone from storage already).
    fn account_hidden(&self, user: UserId, friends: &[UserId], hidden: &[HiddenTimer]) -> Handoff {
        let connections = &self.inner.connections;
        let display_name: Arc<str> = Arc::from(DELETED_USER_NICKNAME);
        let mut handoff = Handoff::default();
        for timer in hidden {
            let message = Arc::new(TimerDelivery::FriendHidden {
                friend: user,
                display_name: Arc::clone(&display_name),
                timer_id: timer.timer_id,
                timer_title: timer.title.as_deref().map(Arc::from),
            });
            for friend in friends {
                if *friend != user && connections.is_online(*friend) {
                    handoff = handoff.and(connections.send(*friend, &message));
                }
            }
        }
        handoff
    }

    /// `user`'s current nickname (their id when the user is gone); `None` when it cannot be read,
    /// and the message is then not sent.
    async fn display_name(&self, user: UserId) -> Option<Arc<str>> {
        match self.inner.users.find(user).await {
            Ok(Some(found)) => Some(found.nickname.as_str().into()),
            Ok(None) => Some(user.to_string().into()),
            Err(error) => {
                tracing::warn!(%error, "nickname unavailable; friend activity not sent");
                None
            }
        }
    }

    /// `user`'s friends: remembered, or looked up and remembered (see [`FriendCache`]).
    async fn friends_of(&self, user: UserId) -> Result<Arc<[UserId]>, StorageError> {
        let cache = &self.inner.friends;
        if let Some(known) = cache.get(user) {
            return Ok(known);
        }
        let fetched_at = cache.generation();
        let friends: Arc<[UserId]> = self.inner.follows.friend_ids(user).await?.into();
        cache.remember(user, Arc::clone(&friends), fetched_at);
        Ok(friends)
    }
}

#[async_trait]
impl LocalDelivery for DeliveryService {
    async fn deliver_local(&self, event: DomainEvent, received: Instant) {
        self.deliver(event, Arrival::from_listener(received)).await;
    }

    async fn resync_local(&self) {
        self.resync();
    }
}

/// The services' publisher on this instance: a committed event is queued for delivery and
/// `publish` returns at once, so the sender's reply never waits for fan-out work done on its
/// behalf (friend look-ups, other devices' queues).
///
/// Notifications and inbox changes are left to the cross-instance listener, which keeps each
/// receiver's stream in commit order with those committed elsewhere, each with the unread count
/// only the store knows; the store announces them anyway.
#[derive(Clone)]
pub struct InProcessDelivery {
    lanes: Arc<[mpsc::Sender<(DomainEvent, Arrival)>]>,
}

impl InProcessDelivery {
    /// Starts the delivery lanes on the current tokio runtime.
    pub fn start(service: DeliveryService) -> Self {
        let lanes: Vec<_> = (0..LANES)
            .map(|_| {
                let (sender, mut receiver) = mpsc::channel::<(DomainEvent, Arrival)>(LANE_CAPACITY);
                let service = service.clone();
                tokio::spawn(async move {
                    while let Some((event, arrival)) = receiver.recv().await {
                        service.deliver(event, arrival).await;
                    }
                });
                sender
            })
            .collect();
        Self {
            lanes: lanes.into(),
        }
    }

    /// The user whose events must stay in order.
    fn lane_of(event: &DomainEvent) -> Option<UserId> {
        match event {
            DomainEvent::TimerChanged { actor, .. } => Some(*actor),
            DomainEvent::TimerDeleted { owner, .. } => Some(*owner),
            DomainEvent::TimerHidden { timer, .. } => Some(timer.owner_id()),
            DomainEvent::TimeUp { timer, .. } => Some(timer.timer.owner_id()),
            DomainEvent::FollowChanged { follower, .. } => Some(*follower),
            DomainEvent::AccountDeleted { user, .. } => Some(*user),
            DomainEvent::NotificationCreated { .. } | DomainEvent::InboxChanged { .. } => None,
        }
    }
}

#[async_trait]
impl EventPublisher for InProcessDelivery {
    async fn publish(&self, event: DomainEvent) -> Result<(), PublishError> {
        let Some(user) = Self::lane_of(&event) else {
            return Ok(());
        };
        let index = usize::try_from(user.get().rem_euclid(LANES as i64)).unwrap_or(0);
        let Some(lane) = self.lanes.get(index) else {
            return Ok(());
        };
        lane.send((event, Arrival::in_process()))
            .await
            .map_err(|_| PublishError::Unavailable("the delivery lanes have stopped".into()))
    }
}

/// A timer's title as friends are shown it.
fn title_of(timer: &Timer) -> Option<Arc<str>> {
    timer.title().map(|title| Arc::from(title.as_str()))
}

#[cfg(test)]
mod tests;
