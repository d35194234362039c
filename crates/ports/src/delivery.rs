//! Where committed events end on this instance: the open timer WebSocket connections and the
//! notification streams, and what each is handed.
//!
//! Who receives what is decided by [`crate::service::delivery::DeliveryService`]; the ports here
//! only hold connections and queue messages, so the adapters implementing them stay registries.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use hourglass_domain::ids::{TimerId, UserId};
use hourglass_domain::notification::Notification;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::TimerChange;

use crate::event::InboxChange;
use crate::timer::TaggedTimer;

/// What a timer WebSocket connection is handed; it renders it in its own time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerDelivery {
    /// One of the user's timers was created or changed (`timer.created` / `timer.updated`).
    Changed {
        /// What happened.
        change: TimerChange,
        /// The timer as committed, with its tags.
        timer: Arc<TaggedTimer>,
    },
    /// One of the user's running timers reached its allocation (`timer.time_up`).
    TimeUp {
        /// The timer, with its tags.
        timer: Arc<TaggedTimer>,
        /// When it was due.
        due_at: Timestamp,
        /// Whether it went off late.
        late: bool,
    },
    /// One of the user's timers was deleted (`timer.deleted`).
    Deleted {
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
        change: TimerChange,
        /// Their timer.
        timer_id: TimerId,
        /// Its title.
        timer_title: Option<Arc<str>>,
    },
    /// A friend's timer this user may have been shown is no longer visible to them: it was
    /// made private, or the friendship ended (`timer.friend_activity` with action `hidden`).
    FriendHidden {
        /// The (former) friend who owns it.
        friend: UserId,
        /// Their current nickname.
        display_name: Arc<str>,
        /// Their timer.
        timer_id: TimerId,
        /// Its title.
        timer_title: Option<Arc<str>>,
    },
    /// Events may have been missed: send a fresh `timer.sync_result`.
    Resync,
    /// The user's account was deleted: the connection closes (4001 `account deleted`).
    AccountDeleted,
}

/// What one hand-off of a message to a user's connections did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Handoff {
    /// Copies queued on a connection.
    pub queued: u64,
    /// Copies refused because the connection's queue was full (it is then dropped as too slow).
    pub queue_full: u64,
}

impl Handoff {
    /// Both hand-offs added up.
    #[must_use]
    pub fn and(self, other: Self) -> Self {
        Self {
            queued: self.queued + other.queued,
            queue_full: self.queue_full + other.queue_full,
        }
    }
}

/// The open timer WebSocket connections of this instance, by user.
///
/// Implementations only queue: they never block and never wait for a connection, so one client
/// that stops reading cannot stall delivery to the others.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TimerConnections: Send + Sync {
    /// Whether `user` has an open connection here.
    fn is_online(&self, user: UserId) -> bool;

    /// Whether anyone other than `user` has an open connection here.
    fn anyone_online_but(&self, user: UserId) -> bool;

    /// Queues `message` on every connection of `user`.
    fn send(&self, user: UserId, message: &Arc<TimerDelivery>) -> Handoff;

    /// Queues `message` on every connection.
    fn send_to_everyone(&self, message: &Arc<TimerDelivery>);
}

/// The open notification streams (SSE) of this instance.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait NotificationStreams: Send + Sync {
    /// Queues `notification` on every stream of its receiver, followed by `unread_count` (the
    /// count as of the commit that stored it) when known.
    async fn deliver(&self, notification: &Notification, unread_count: Option<u64>) -> Handoff;

    /// Queues `change` of `receiver`'s notifications on every stream of the receiver, followed
    /// by `unread_count` (the count as of the commit that made the change).
    fn inbox_changed(&self, receiver: UserId, change: &InboxChange, unread_count: u64) -> Handoff;

    /// Events may have been missed: every stream replays from its last delivered id.
    fn resync_all(&self);

    /// `user`'s account was deleted: each of their streams is told (`account-deleted`) and
    /// ends.
    fn account_deleted(&self, user: UserId) -> Handoff;
}

/// How a committed event reached this instance's delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    /// From this instance's services, right after the command's transaction committed.
    InProcess,
    /// From the cross-instance listener: committed on another instance, or a notification.
    Listener,
}

/// Where the delivery latency of one event starts.
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    /// Which way the event came.
    pub source: EventSource,
    /// In-process: when the service published it (its transaction had committed). Listener:
    /// when its announcement was read, before anything was loaded for it.
    pub at: Instant,
}

impl Arrival {
    /// An event published in-process, now.
    pub fn in_process() -> Self {
        Self {
            source: EventSource::InProcess,
            at: Instant::now(),
        }
    }

    /// An event whose announcement the listener read at `received`.
    pub fn from_listener(received: Instant) -> Self {
        Self {
            source: EventSource::Listener,
            at: received,
        }
    }
}

/// What delivering one event did, per kind of connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Timer WebSocket connections.
    pub websocket: Handoff,
    /// Notification streams.
    pub sse: Handoff,
}

/// Told about every delivered event (the metrics).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait DeliveryObserver: Send + Sync {
    /// `report` of an event that arrived as `arrival`.
    fn delivered(&self, arrival: Arrival, report: DeliveryReport);
}
