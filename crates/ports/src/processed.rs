//! Remembered replies of successful WebSocket commands, for safe retries by `request_id`.

use async_trait::async_trait;
use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;

use crate::error::StorageError;

/// A successful command's reply, kept for 24 h under (user, `request_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedCommand {
    /// The client message `type` it answered.
    pub command_type: String,
    /// The reply as the adapter stored it (time-zone independent).
    pub reply: String,
    /// When it was recorded.
    pub created_at: Timestamp,
}

/// Where remembered replies live.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProcessedCommandRepository: Send + Sync {
    /// The reply recorded for (user, `request_id`) at or after `not_before`.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn find(
        &self,
        user: UserId,
        request_id: &str,
        not_before: Timestamp,
    ) -> Result<Option<ProcessedCommand>, StorageError>;
    /// Records a reply unless one exists for the key; returns the one that is stored afterwards
    /// (the given one, or the earlier one when a concurrent duplicate won).
    ///
    /// # Errors
    /// [`StorageError`].
    async fn record(
        &self,
        user: UserId,
        request_id: &str,
        command: ProcessedCommand,
    ) -> Result<ProcessedCommand, StorageError>;
    /// Forgets replies older than `before`; returns how many.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn purge(&self, before: Timestamp) -> Result<u64, StorageError>;
}
