//! Remembered replies of successful WebSocket commands, for safe retries by `request_id`.
//!
//! The contract (`timer-api.md`, "Envelope"): a command re-sent with a `request_id` whose command
//! already succeeded for this user in the last 24 h gets the original reply again without being
//! applied twice; of two concurrent duplicates one applies and the other gets the replay; failed
//! commands are forgotten. A key is therefore *reserved* before the command runs
//! ([`ProcessedCommandRepository::reserve`]), then either *completed* with the reply or
//! *released* when the command failed. A concurrent duplicate sees the reservation
//! ([`Reservation::InProgress`]) and waits for it to complete.

use async_trait::async_trait;
use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{Timer, TimerChange};

use crate::error::StorageError;

/// How long a successful command's reply is remembered: 24 hours.
pub const REMEMBER_SECONDS: i64 = 24 * 60 * 60;

/// A reservation older than this is taken over by the next caller: its holder died (process
/// killed mid-command) without completing or releasing it. Far above any command's duration.
pub const STALE_RESERVATION_SECONDS: i64 = 60;

/// What a successful command did: enough to send its reply again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedOutcome {
    /// What changed (`start` for a create, else the command's transition).
    pub change: TimerChange,
    /// The timer as the command left it.
    pub timer: Timer,
}

/// A successful command's outcome, kept for 24 h under (user, `request_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedCommand {
    /// The kind of command it was ([`crate::service::command::TimerRequest::kind`]).
    pub command_type: String,
    /// What it did.
    pub outcome: RecordedOutcome,
    /// When it was recorded.
    pub created_at: Timestamp,
}

/// What [`ProcessedCommandRepository::reserve`] found for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key is now the caller's: run the command, then `complete` or `release` it.
    Reserved,
    /// A command with this key already succeeded within [`REMEMBER_SECONDS`] (boxed: a timer
    /// snapshot is large and the other answers are tiny).
    Completed(Box<ProcessedCommand>),
    /// Another caller holds the key and has not finished yet.
    InProgress {
        /// The `type` of the command the holder is running.
        command_type: String,
    },
}

/// Where remembered replies live.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProcessedCommandRepository: Send + Sync {
    /// Reserves (user, `request_id`) for a command of `command_type` at `now`, atomically: of
    /// concurrent callers exactly one gets [`Reservation::Reserved`]. A completed reply older
    /// than [`REMEMBER_SECONDS`] and a reservation older than [`STALE_RESERVATION_SECONDS`] count
    /// as absent (and are replaced).
    ///
    /// # Errors
    /// [`StorageError`].
    async fn reserve(
        &self,
        user: UserId,
        request_id: &str,
        command_type: &str,
        now: Timestamp,
    ) -> Result<Reservation, StorageError>;

    /// Stores the outcome of the reserved command (the key's reservation becomes a completed
    /// record dated `now`).
    ///
    /// # Errors
    /// [`StorageError`].
    async fn complete(
        &self,
        user: UserId,
        request_id: &str,
        outcome: &RecordedOutcome,
        now: Timestamp,
    ) -> Result<(), StorageError>;

    /// Forgets the reservation of a command that failed, so that a retry runs again. A completed
    /// record is left alone.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn release(&self, user: UserId, request_id: &str) -> Result<(), StorageError>;

    /// The completed outcome recorded for (user, `request_id`) at or after `not_before`.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn find(
        &self,
        user: UserId,
        request_id: &str,
        not_before: Timestamp,
    ) -> Result<Option<ProcessedCommand>, StorageError>;

    /// Forgets records (completed or not) older than `before`; returns how many.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn purge(&self, before: Timestamp) -> Result<u64, StorageError>;
}
