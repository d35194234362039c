//! Account deletion (`DELETE /api/v1/users/me`): the repository removes the account and what
//! hangs off it in one transaction; this use case then tells every instance, so the user's own
//! connections close and their former friends' clients drop what they were shown.

use std::sync::Arc;

use hourglass_domain::ids::UserId;
use thiserror::Error;

use crate::clock::Clock;
use crate::error::StorageError;
use crate::event::{DomainEvent, EventPublisher, HiddenTimer};
use crate::service::delivery::hidden_on_unfollow;
use crate::user::{DeleteAccountError, UserRepository};

/// Deleting an account failed.
#[derive(Debug, Error)]
pub enum AccountServiceError {
    /// No user has this id (deleted already, by a concurrent request say).
    #[error("user not found")]
    NotFound,
    /// Storage failed; nothing was deleted.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<DeleteAccountError> for AccountServiceError {
    fn from(error: DeleteAccountError) -> Self {
        match error {
            DeleteAccountError::NotFound => Self::NotFound,
            DeleteAccountError::Storage(storage) => Self::Storage(storage),
        }
    }
}

/// The account use cases.
#[derive(Clone)]
pub struct AccountService {
    users: Arc<dyn UserRepository>,
    publisher: Arc<dyn EventPublisher>,
    clock: Arc<dyn Clock>,
}

impl AccountService {
    /// Wires the service to its ports.
    pub fn new(
        users: Arc<dyn UserRepository>,
        publisher: Arc<dyn EventPublisher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            users,
            publisher,
            clock,
        }
    }

    /// Deletes `user`'s account now (see [`UserRepository::delete`] for what goes and what
    /// stays), then announces it: the notifications the deletion stored, and
    /// [`DomainEvent::AccountDeleted`] with the timers friends could see.
    ///
    /// # Errors
    /// [`AccountServiceError::NotFound`]; [`AccountServiceError::Storage`] (nothing deleted).
    pub async fn delete(&self, user: UserId) -> Result<(), AccountServiceError> {
        let deleted = self.users.delete(user, self.clock.now()).await?;
        for notification in deleted.notifications {
            let event = DomainEvent::NotificationCreated {
                notification,
                unread_count: None,
            };
            super::announce(&self.publisher, event).await;
        }
        let hidden = deleted
            .active_timers
            .iter()
            .filter(|timer| hidden_on_unfollow(timer))
            .map(HiddenTimer::of)
            .collect();
        let event = DomainEvent::AccountDeleted {
            user,
            friends: deleted.friends,
            hidden,
        };
        super::announce(&self.publisher, event).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
