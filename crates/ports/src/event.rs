//! What is announced after a change commits, and the ports that announce and deliver it.
//!
//! An event never describes a change that did not happen. Two mechanisms keep that promise:
//!
//! - **The store announces** (for the other server instances): the repository methods that
//!   change something a connected device shows (timer insert, command, details, delete; schedule,
//!   todo and tag deletes that bump timers; every notification insert, including those of follows
//!   and meetups; every read mark and delete of notifications; every follow made or removed) emit
//!   their own events *inside their transaction* — the PostgreSQL adapter writes them to its
//!   outbox, so an event exists exactly when, and only if, its change commits. A relay publishes
//!   the outbox on the event bus ([`crate::bus`]), and every instance whose connections care
//!   hands them to its [`LocalDelivery`].
//! - **The services announce** (for this instance, and in unit tests): services call
//!   [`EventPublisher::publish`] only after the repository call that made the change returned
//!   successfully, i.e. after commit. The server's publisher hands timer events straight to its
//!   own connections (its inbox then skips those, by their origin) and leaves notifications
//!   and inbox changes to the bus, which keeps each receiver's stream in commit order.
//!
//! Either way, the events and their routing are the same ([`DomainEvent`]); the repository docs
//! name the event each announcing method emits.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use hourglass_domain::ids::{NotificationId, TimerId, UserId};
use hourglass_domain::notification::Notification;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{Timer, TimerChange};
use thiserror::Error;

use crate::error::BoxError;
use crate::timer::TaggedTimer;

/// A committed change that connected devices must hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEvent {
    /// A timer was created or changed; who receives it is decided by
    /// [`crate::service::delivery::DeliveryService`].
    TimerChanged {
        /// Who acted (the owner).
        actor: UserId,
        /// What happened.
        change: TimerChange,
        /// The timer as committed, with its tags, loaded once for every receiver.
        timer: TaggedTimer,
        /// The actor's nickname as of the commit, when the announcement carried it, so that no
        /// receiving instance reads it for `timer.friend_activity`; `None` from the services
        /// (the delivery reads it, once, on the instance that made the change).
        actor_name: Option<Arc<str>>,
    },
    /// A running timer's time is up (its running time reached its allocation); goes to the
    /// owner's connections as `timer.time_up`. Announced once per crossing, by the instance whose
    /// scheduler claimed it.
    TimeUp {
        /// The timer as it was when its time was up, with its tags.
        timer: TaggedTimer,
        /// When it was due.
        due_at: Timestamp,
        /// Whether it went off late (see [`crate::alarm::LATE_AFTER_SECONDS`]).
        late: bool,
    },
    /// A PATCH made an active timer that friends could see private
    /// ([`crate::timer::PatchedTimer::hidden_from_friends`]); the owner's online friends get
    /// `timer.friend_activity` with action `hidden`. Announced right after its `update`.
    TimerHidden {
        /// The timer as committed (now private).
        timer: Timer,
        /// The owner's nickname as of the commit, when known (see
        /// [`DomainEvent::TimerChanged::actor_name`]).
        actor_name: Option<Arc<str>>,
    },
    /// A timer was deleted; goes to the owner's connections.
    TimerDeleted {
        /// The owner.
        owner: UserId,
        /// The deleted timer.
        timer_id: TimerId,
    },
    /// A notification was stored; goes to the receiver's SSE streams.
    NotificationCreated {
        /// The stored notification.
        notification: Notification,
        /// The receiver's unread count as of the commit that stored it (`unread-count`): known
        /// to the store, which counts under the receiver's lock; `None` from the services, whose
        /// in-process publish is not what streams hear (see [`InboxChange`]).
        unread_count: Option<u64>,
    },
    /// Some of a receiver's notifications were marked read or deleted; goes to the receiver's
    /// SSE streams as `notification-read` / `notification-deleted`, then `unread-count`.
    /// Announced by the store only.
    InboxChanged {
        /// Whose notifications.
        receiver: UserId,
        /// What happened to them, and which.
        change: InboxChange,
        /// The receiver's unread count as of the commit that made the change.
        unread_count: u64,
    },
    /// A follow was made or removed, so who counts as a friend of either user may have changed:
    /// every instance forgets the friend lists it remembers for them.
    FollowChanged {
        /// Who follows (or stopped following).
        follower: UserId,
        /// Whom.
        followee: UserId,
        /// An unfollow of a pair that followed each other: they are no longer friends, so
        /// each one's clients must stop showing the other's timers (`hidden`).
        ended_friendship: bool,
    },
    /// An account was deleted: its WebSocket connections close with 4001 and its streams end;
    /// its former friends' clients drop the timers they were shown (`hidden`). Carries what
    /// it removed, since nothing of the user can be loaded after the commit.
    AccountDeleted {
        /// The deleted user.
        user: UserId,
        /// Their friends until the deletion.
        friends: Vec<UserId>,
        /// Their timers friends could see (active, not private).
        hidden: Vec<HiddenTimer>,
    },
}

/// A timer that disappears from friends' screens (`timer.friend_activity`, action `hidden`),
/// described by what those messages carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiddenTimer {
    /// The timer.
    pub timer_id: TimerId,
    /// Its title, if any.
    pub title: Option<String>,
}

impl HiddenTimer {
    /// `timer` as friends were shown it.
    pub fn of(timer: &Timer) -> Self {
        Self {
            timer_id: timer.id(),
            title: timer.title().map(|title| title.as_str().to_owned()),
        }
    }
}

/// What happened to some of a receiver's notifications, other than arriving.
///
/// Every change to a receiver's inbox (a notification stored, read or deleted) is announced by
/// the store in its transaction with the unread count it leaves, counted while the transaction
/// holds the receiver's lock. Announcements arrive in commit order, so a stream that applies them
/// in order always shows a count that matches the notifications it has been told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxChange {
    /// These were unread and are now read (`notification-read`).
    Read(Vec<NotificationId>),
    /// These were deleted (`notification-deleted`).
    Deleted(Vec<NotificationId>),
}

/// The event could not be handed to the fan-out.
#[derive(Debug, Error)]
pub enum PublishError {
    /// The fan-out channel is unreachable; the change is committed, devices resync on reconnect.
    #[error("event fan-out unavailable")]
    Unavailable(#[source] BoxError),
}

/// Fan-out of committed changes to every server instance's connections, called by the services
/// after commit.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Announces `event` to every instance.
    ///
    /// # Errors
    /// [`PublishError::Unavailable`] when the fan-out cannot be reached.
    async fn publish(&self, event: DomainEvent) -> Result<(), PublishError>;
}

/// This instance's own connections (WebSocket and SSE): where a fan-out adapter that received an
/// event from another instance — or from this one, through the database — hands it over.
///
/// Implementations route exactly as an in-process [`EventPublisher::publish`] would, so one
/// instance and many behave the same.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LocalDelivery: Send + Sync {
    /// Routes `event` to this instance's connections; loads what it needs once per event.
    /// `received` is when its announcement reached this instance, before anything was loaded
    /// for it: where the fan-out latency of `/metrics` starts for events that came this way.
    async fn deliver_local(&self, event: DomainEvent, received: Instant);

    /// Events may have been missed (the fan-out connection dropped and came back): every local
    /// client is brought up to date — WebSocket clients get a fresh `timer.sync_result`, SSE
    /// streams replay from their last delivered notification id.
    async fn resync_local(&self);
}
