//! Notification use cases: the inbox, replay after `Last-Event-ID`, read marks, and the TEST
//! notification.

use std::sync::Arc;

use hourglass_domain::ids::{NotificationId, UserId};
use hourglass_domain::notification::{Notification, NotificationDraft};
use thiserror::Error;

use crate::clock::Clock;
use crate::error::StorageError;
use crate::event::{DomainEvent, EventPublisher};
use crate::notification::{NotificationError, NotificationRepository};
use crate::page::{Page, PageRequest};

/// A replay after `Last-Event-ID` returns at most this many notifications (the contract's cap).
pub const REPLAY_LIMIT: u32 = 1000;

/// Changing one notification failed.
#[derive(Debug, Error)]
pub enum NotificationServiceError {
    /// No such notification of this receiver (someone else's looks missing: 404).
    #[error("notification not found")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<NotificationError> for NotificationServiceError {
    fn from(error: NotificationError) -> Self {
        match error {
            NotificationError::NotFound => Self::NotFound,
            NotificationError::Storage(storage) => Self::Storage(storage),
        }
    }
}

/// The notification use cases for a signed-in receiver.
#[derive(Clone)]
pub struct NotificationService {
    notifications: Arc<dyn NotificationRepository>,
    publisher: Arc<dyn EventPublisher>,
    clock: Arc<dyn Clock>,
}

impl NotificationService {
    /// Wires the service to its ports.
    pub fn new(
        notifications: Arc<dyn NotificationRepository>,
        publisher: Arc<dyn EventPublisher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            notifications,
            publisher,
            clock,
        }
    }

    /// One page of the receiver's notifications, newest first (`GET /api/v1/notifications`);
    /// only unread ones when `unread_only`. The edge caps `page.limit` at the contract's 100.
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn list(
        &self,
        receiver: UserId,
        unread_only: bool,
        page: PageRequest<NotificationId>,
    ) -> Result<Page<Notification, NotificationId>, StorageError> {
        self.notifications.list(receiver, unread_only, page).await
    }

    /// The receiver's notifications with an id above `last_id`, oldest first: what an SSE
    /// stream replays on reconnect before going live. `limit` is capped at [`REPLAY_LIMIT`].
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn replay_after(
        &self,
        receiver: UserId,
        last_id: NotificationId,
        limit: u32,
    ) -> Result<Vec<Notification>, StorageError> {
        self.notifications
            .list_after(receiver, last_id, limit.min(REPLAY_LIMIT))
            .await
    }

    /// How many unread notifications the receiver has.
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn unread_count(&self, receiver: UserId) -> Result<u64, StorageError> {
        self.notifications.unread_count(receiver).await
    }

    /// Marks one of the receiver's notifications read (idempotent).
    ///
    /// # Errors
    /// [`NotificationServiceError::NotFound`] for a missing or someone else's notification;
    /// [`NotificationServiceError::Storage`].
    pub async fn mark_read(
        &self,
        receiver: UserId,
        id: NotificationId,
    ) -> Result<(), NotificationServiceError> {
        Ok(self.notifications.mark_read(receiver, id).await?)
    }

    /// Marks all of the receiver's notifications read; returns how many changed.
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn mark_all_read(&self, receiver: UserId) -> Result<u64, StorageError> {
        self.notifications.mark_all_read(receiver).await
    }

    /// Deletes one of the receiver's notifications.
    ///
    /// # Errors
    /// [`NotificationServiceError::NotFound`] for a missing or someone else's notification;
    /// [`NotificationServiceError::Storage`].
    pub async fn delete(
        &self,
        receiver: UserId,
        id: NotificationId,
    ) -> Result<(), NotificationServiceError> {
        Ok(self.notifications.delete(receiver, id).await?)
    }

    /// Stores a TEST notification from `user` to `user` now, announces it to the user's streams
    /// once stored, and returns it (`GET /api/v1/notifications/test`).
    ///
    /// # Errors
    /// [`StorageError`]; nothing is announced then.
    pub async fn send_test(&self, user: UserId) -> Result<Notification, StorageError> {
        let notification = self
            .notifications
            .insert(NotificationDraft::test(user), self.clock.now())
            .await?;
        let event = DomainEvent::NotificationCreated {
            notification: notification.clone(),
            unread_count: None,
        };
        super::announce(&self.publisher, event).await;
        Ok(notification)
    }
}

#[cfg(test)]
mod tests;
