//! What is announced after a change commits, and the port that announces it.
//!
//! Services publish only after the repository call that made the change returned successfully,
//! i.e. after commit: an event never describes a change that did not happen.

use async_trait::async_trait;
use hourglass_domain::ids::{TimerId, UserId};
use hourglass_domain::notification::Notification;
use hourglass_domain::timer::{HistoryAction, Timer, TimerCommand};
use thiserror::Error;

use crate::error::BoxError;

/// Why a timer changed, as the WebSocket `action` field names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerAction {
    /// Created (`timer.created`).
    Start,
    /// Paused.
    Pause,
    /// Resumed.
    Resume,
    /// Stopped (completed).
    Stop,
    /// Cancelled.
    Cancel,
    /// Metadata changed over REST, or a linked schedule/todo/tag was deleted.
    Update,
}

impl TimerAction {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Stop => "stop",
            Self::Cancel => "cancel",
            Self::Update => "update",
        }
    }

    /// Whether friends hear about it (`timer.friend_activity`): state changes, not metadata.
    pub fn is_friend_activity(self) -> bool {
        !matches!(self, Self::Update)
    }
}

impl From<TimerCommand> for TimerAction {
    fn from(command: TimerCommand) -> Self {
        match command.history_action() {
            HistoryAction::Start => Self::Start,
            HistoryAction::Pause => Self::Pause,
            HistoryAction::Resume => Self::Resume,
            HistoryAction::Stop => Self::Stop,
            HistoryAction::Cancel => Self::Cancel,
        }
    }
}

/// A committed change that connected devices must hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEvent {
    /// A timer was created or changed; goes to the owner's connections, and to online friends
    /// when [`TimerAction::is_friend_activity`] and the timer is visible to friends.
    TimerChanged {
        /// Who acted (the owner).
        actor: UserId,
        /// What happened.
        action: TimerAction,
        /// The timer as committed.
        timer: Timer,
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
    },
}

/// The event could not be handed to the fan-out.
#[derive(Debug, Error)]
pub enum PublishError {
    /// The fan-out channel is unreachable; the change is committed, devices resync on reconnect.
    #[error("event fan-out unavailable")]
    Unavailable(#[source] BoxError),
}

/// Fan-out of committed changes to every server instance's connections.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Announces `event` to every instance.
    ///
    /// # Errors
    /// [`PublishError::Unavailable`] when the fan-out cannot be reached.
    async fn publish(&self, event: DomainEvent) -> Result<(), PublishError>;
}
