//! The event bus between server instances: what the outbox relay hands an engine to publish, what
//! an engine hands back to this instance when it receives, and the per-user subjects both speak.
//!
//! Two engines implement these ports: the embedded one in the PostgreSQL adapter (`pg_notify`
//! from the relay, one `LISTEN` connection per instance) and NATS JetStream (`adapters-nats`).
//! Neither engine reads the payload: it is the announcement the PostgreSQL adapter wrote to the
//! outbox, and only that adapter decodes it ([`BusInbox::received`]). So switching engines
//! changes the transport, never the format or the routing.

use std::fmt;
use std::time::Instant;

use async_trait::async_trait;
use hourglass_domain::ids::UserId;
use thiserror::Error;

use crate::error::BoxError;

/// Which of a user's two event streams a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// Timer events: what the user's WebSocket connections, and their online friends', show.
    Timers,
    /// Notification events: what the user's SSE streams show.
    Notifications,
}

/// One user's stream of one topic: the unit an instance subscribes to and a message is
/// published on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject {
    /// Whose events.
    pub user: UserId,
    /// Which of them.
    pub topic: Topic,
}

impl Subject {
    /// `user`'s timer events.
    pub fn timers(user: UserId) -> Self {
        Self {
            user,
            topic: Topic::Timers,
        }
    }

    /// `user`'s notification events.
    pub fn notifications(user: UserId) -> Self {
        Self {
            user,
            topic: Topic::Notifications,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let topic = match self.topic {
            Topic::Timers => "t",
            Topic::Notifications => "n",
        };
        write!(f, "{}.{topic}", self.user)
    }
}

/// One outbox row on its way to the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusMessage {
    /// Its outbox id: unique, and per user in commit order. Engines deduplicate by it (a relay
    /// that died between publishing and deleting publishes again) and receivers drop a repeat.
    pub id: i64,
    /// Where it is published: usually one subject; a follow goes to both users' timer subjects
    /// and a deleted account to both of its user's subjects.
    pub subjects: Vec<Subject>,
    /// The announcement, opaque to the engine.
    pub payload: String,
}

/// The bus did not take a batch.
#[derive(Debug, Error)]
pub enum SinkError {
    /// The broker is unreachable or did not confirm every message; the relay keeps the rows and
    /// publishes them again.
    #[error("event bus unavailable")]
    Unavailable(#[source] BoxError),
}

/// Where the outbox relay publishes (an engine's producer side).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventSink: Send + Sync {
    /// Publishes `batch` on every subject of each message, each subject's messages in the
    /// order given. Returns only when the broker has stored every one of them: the relay
    /// deletes the rows after this returns `Ok`.
    ///
    /// # Errors
    /// [`SinkError::Unavailable`] when any message was not confirmed.
    async fn publish(&self, batch: &[BusMessage]) -> Result<(), SinkError>;
}

/// What an engine's consumer hands to this instance (implemented by the PostgreSQL adapter,
/// which owns the payload format).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BusInbox: Send + Sync {
    /// `payload`, published as outbox row `id`, arrived at `received`. Calls for one subject
    /// come in the order the subject's messages were published; the inbox routes it to this
    /// instance's connections and drops an id it has already handled.
    async fn received(&self, id: i64, payload: &str, received: Instant);

    /// Messages may have been lost (the broker lost them, or they aged out of its retention
    /// while this instance was cut off): every local client is brought up to date from
    /// PostgreSQL.
    async fn missed(&self);
}

/// Told when this instance starts or stops caring about a subject (an engine that subscribes
/// per subject).
pub trait InterestWatcher: Send + Sync {
    /// A local connection now cares about `subject`.
    fn gained(&self, subject: Subject);
    /// No local connection cares about `subject` any more.
    fn lost(&self, subject: Subject);
    /// Whether this watcher confirms each subject it gained with [`Interest::subscribed`] once
    /// messages published from then on reach it; a new connection waits for that before it
    /// reads what it first shows.
    fn confirms(&self) -> bool {
        false
    }
}

/// The subjects this instance's connections care about (see
/// [`crate::service::interest::InterestIndex`]).
pub trait Interest: Send + Sync {
    /// Whether a local connection cares about `subject` now.
    fn cares_about(&self, subject: Subject) -> bool;

    /// Every subject cared about now.
    fn subjects(&self) -> Vec<Subject>;

    /// Registers `watcher` for every later change. A watcher that also reads
    /// [`Interest::subjects`] should register first, so no change falls between the two.
    fn watch(&self, watcher: std::sync::Arc<dyn InterestWatcher>);

    /// A confirming watcher ([`InterestWatcher::confirms`]) now receives every message
    /// published on `subject`.
    fn subscribed(&self, subject: Subject);
}
