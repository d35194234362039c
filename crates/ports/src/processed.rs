//! Remembered outcomes of successful WebSocket commands, for safe retries by `request_id`.
//!
//! The contract (`timer-api.md`, "Envelope"): a command re-sent with a `request_id` whose command
//! already succeeded for this user in the last 24 h gets the original reply again without being
//! applied twice; of two concurrent duplicates one applies and the other gets the replay; failed
//! commands are forgotten.
//!
//! A key ([`CommandKey`]) is therefore claimed and its outcome stored *inside the command's own
//! transaction* ([`crate::timer::TimerRepository::insert_once`],
//! [`crate::timer::TimerRepository::apply_command_once`]): a `request_id` either has the outcome
//! of its committed command or nothing. A command that fails, or whose process or database
//! connection dies before the commit, leaves nothing behind, so its retry simply runs; there is
//! no reservation to release or to wait out. A concurrent duplicate waits for the first
//! transaction inside the database and then finds its outcome ([`Idempotent::Remembered`]), or,
//! when it rolled back, nothing.

use async_trait::async_trait;
use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{Timer, TimerChange};

use crate::error::StorageError;

/// How long a successful command's outcome is remembered: 24 hours. An older one no longer
/// counts: its key is taken over by the next command that uses it.
pub const REMEMBER_SECONDS: i64 = 24 * 60 * 60;

/// Who sent a command, under which `request_id`, of which kind, and when it runs: the key its
/// outcome is remembered by, and what a keyed repository method needs to claim it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandKey {
    /// The sender; keys are per user.
    pub user: UserId,
    /// The client's `request_id`.
    pub request_id: String,
    /// The kind of command ([`crate::service::command::TimerRequest::kind`]), stored with the
    /// outcome so that a reuse of the `request_id` for another kind is recognised.
    pub kind: &'static str,
    /// When the command runs: the instant it is applied at, the date of its outcome, and what
    /// decides whether an earlier outcome under this key is still remembered
    /// ([`REMEMBER_SECONDS`]).
    pub now: Timestamp,
}

/// What a keyed command ([`CommandKey`]) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotent<T> {
    /// It ran now: the change and its outcome under the key were committed together.
    Applied(T),
    /// The key already held an outcome remembered at `key.now`, so nothing was applied (the
    /// transaction changed nothing). It may be the outcome of another kind of command: the
    /// caller compares [`ProcessedCommand::command_type`] (boxed: a timer snapshot is large).
    Remembered(Box<ProcessedCommand>),
}

impl<T> Idempotent<T> {
    /// The applied value mapped by `f`; a remembered outcome as it is.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Idempotent<U> {
        match self {
            Self::Applied(value) => Idempotent::Applied(f(value)),
            Self::Remembered(recorded) => Idempotent::Remembered(recorded),
        }
    }
}

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
    /// When it was recorded (the [`CommandKey::now`] of the command).
    pub created_at: Timestamp,
}

/// Where remembered outcomes live, for reading and clean-up. They are *written* only by the
/// keyed methods of [`crate::timer::TimerRepository`], in the command's own transaction.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProcessedCommandRepository: Send + Sync {
    /// The outcome recorded for (user, `request_id`) at or after `not_before`.
    ///
    /// # Errors
    /// [`StorageError`] (also for a stored outcome that no longer converts into a valid timer;
    /// never a replay of an invalid one).
    async fn find(
        &self,
        user: UserId,
        request_id: &str,
        not_before: Timestamp,
    ) -> Result<Option<ProcessedCommand>, StorageError>;

    /// Forgets outcomes recorded before `before`; returns how many.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn purge(&self, before: Timestamp) -> Result<u64, StorageError>;

    /// Forgets every outcome of a user beyond their newest `keep` (by recording time); returns
    /// how many.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn trim_per_user(&self, keep: u32) -> Result<u64, StorageError>;
}
