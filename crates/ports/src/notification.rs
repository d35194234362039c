//! The notification repository: stored first, then pushed; replayed by id.

use async_trait::async_trait;
use hourglass_domain::ids::{NotificationId, UserId};
use hourglass_domain::notification::{Notification, NotificationDraft};
use hourglass_domain::time::Timestamp;
use thiserror::Error;

use crate::error::StorageError;
use crate::page::{Page, PageRequest};

/// A change to one notification failed.
#[derive(Debug, Error)]
pub enum NotificationError {
    /// No such notification of this receiver.
    #[error("notification not found")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Where notifications live.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait NotificationRepository: Send + Sync {
    /// Stores a notification. Ids become visible to a receiver in increasing order even under
    /// concurrent writers (the adapter takes a per-receiver lock before inserting). An announcing
    /// store emits `NotificationCreated`, with the unread count it leaves, in the inserting
    /// transaction (see [`crate::event`]), as it does for the notifications that follows and
    /// meetups store.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn insert(
        &self,
        draft: NotificationDraft,
        now: Timestamp,
    ) -> Result<Notification, StorageError>;
    /// One page of the receiver's notifications, newest first.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn list(
        &self,
        receiver: UserId,
        unread_only: bool,
        page: PageRequest<NotificationId>,
    ) -> Result<Page<Notification, NotificationId>, StorageError>;
    /// The receiver's notifications with an id above `after`, oldest first, at most `limit`
    /// (replay by `Last-Event-ID`).
    ///
    /// # Errors
    /// [`StorageError`].
    async fn list_after(
        &self,
        receiver: UserId,
        after: NotificationId,
        limit: u32,
    ) -> Result<Vec<Notification>, StorageError>;
    /// How many unread notifications the receiver has.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn unread_count(&self, receiver: UserId) -> Result<u64, StorageError>;
    /// Marks one read. When it was unread, an announcing store emits `InboxChanged` (`Read`)
    /// with the unread count it leaves, under the same per-receiver lock as inserts.
    ///
    /// # Errors
    /// [`NotificationError::NotFound`] for a missing or foreign one; [`NotificationError::Storage`].
    async fn mark_read(
        &self,
        receiver: UserId,
        id: NotificationId,
    ) -> Result<(), NotificationError>;
    /// Marks all read; returns how many changed. An announcing store emits `InboxChanged`
    /// (`Read`, naming each changed one) when any changed.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn mark_all_read(&self, receiver: UserId) -> Result<u64, StorageError>;
    /// Deletes one. An announcing store emits `InboxChanged` (`Deleted`) with the unread count
    /// it leaves.
    ///
    /// # Errors
    /// [`NotificationError::NotFound`]; [`NotificationError::Storage`].
    async fn delete(&self, receiver: UserId, id: NotificationId) -> Result<(), NotificationError>;
}
