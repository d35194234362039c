//! Following use cases: follow (with its FOLLOW notification), unfollow, and the user lists.

use std::sync::Arc;

use hourglass_domain::follow::{Follow, FollowError};
use hourglass_domain::ids::UserId;
use thiserror::Error;

use crate::clock::Clock;
use crate::error::StorageError;
use crate::event::{DomainEvent, EventPublisher};
use crate::follow::{FollowOutcome, FollowRepository};
use crate::page::{Page, PageRequest};
use crate::user::{User, UserRepository};

/// A following operation failed; nothing was stored.
#[derive(Debug, Error)]
pub enum FollowServiceError {
    /// The follower and the followee are the same user (400 `CANNOT_FOLLOW_SELF`).
    #[error("a user cannot follow themselves")]
    CannotFollowSelf,
    /// The user named in the path does not exist.
    #[error("user not found")]
    UserNotFound,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<FollowError> for FollowServiceError {
    fn from(error: FollowError) -> Self {
        match error {
            FollowError::CannotFollowSelf => Self::CannotFollowSelf,
        }
    }
}

/// The following use cases for a signed-in user.
#[derive(Clone)]
pub struct FollowService {
    users: Arc<dyn UserRepository>,
    follows: Arc<dyn FollowRepository>,
    publisher: Arc<dyn EventPublisher>,
    clock: Arc<dyn Clock>,
}

impl FollowService {
    /// Wires the service to its ports.
    pub fn new(
        users: Arc<dyn UserRepository>,
        follows: Arc<dyn FollowRepository>,
        publisher: Arc<dyn EventPublisher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            users,
            follows,
            publisher,
            clock,
        }
    }

    /// `follower` follows `followee` now (`POST /api/v1/users/{id}/follow`).
    ///
    /// The repository stores the follow if absent and, in the same transaction, the FOLLOW
    /// notification unless the 24 h rule suppresses it; that notification is announced after
    /// the store succeeded. A repeated follow is not an error: `created` is false (200, not 201).
    ///
    /// # Errors
    /// [`FollowServiceError::CannotFollowSelf`] (checked before any I/O);
    /// [`FollowServiceError::UserNotFound`] when `followee` does not exist;
    /// [`FollowServiceError::Storage`].
    pub async fn follow(
        &self,
        follower: UserId,
        followee: UserId,
    ) -> Result<FollowOutcome, FollowServiceError> {
        let follow = Follow::new(follower, followee)?;
        self.ensure_exists(followee).await?;
        let outcome = self.follows.follow(follow, self.clock.now()).await?;
        if outcome.created {
            let event = DomainEvent::FollowChanged {
                follower,
                followee,
                ended_friendship: false,
            };
            super::announce(&self.publisher, event).await;
        }
        if let Some(notification) = &outcome.notification {
            let event = DomainEvent::NotificationCreated {
                notification: notification.clone(),
                unread_count: None,
            };
            super::announce(&self.publisher, event).await;
        }
        Ok(outcome)
    }

    /// `follower` stops following `followee` (`DELETE /api/v1/users/{id}/follow`); returns
    /// whether a follow existed.
    ///
    /// Not following is not an error (the contract answers 204 either way), and neither is
    /// unfollowing oneself: nobody follows themselves, so the answer is `false`. The last FOLLOW
    /// notification time survives, so re-following within 24 h stays silent.
    ///
    /// # Errors
    /// [`FollowServiceError::UserNotFound`] only when `followee` does not exist;
    /// [`FollowServiceError::Storage`].
    pub async fn unfollow(
        &self,
        follower: UserId,
        followee: UserId,
    ) -> Result<bool, FollowServiceError> {
        self.ensure_exists(followee).await?;
        let outcome = self.follows.unfollow(follower, followee).await?;
        if outcome.removed {
            let event = DomainEvent::FollowChanged {
                follower,
                followee,
                ended_friendship: outcome.ended_friendship,
            };
            super::announce(&self.publisher, event).await;
        }
        Ok(outcome.removed)
    }

    /// Who follows `user`, newest follow first (`GET /api/v1/users/{id}/followers`).
    ///
    /// # Errors
    /// [`FollowServiceError::UserNotFound`] when `user` does not exist;
    /// [`FollowServiceError::Storage`].
    pub async fn followers(
        &self,
        user: UserId,
        page: PageRequest<UserId>,
    ) -> Result<Page<User, UserId>, FollowServiceError> {
        self.ensure_exists(user).await?;
        Ok(self.follows.followers(user, page).await?)
    }

    /// Whom `user` follows, newest follow first (`GET /api/v1/users/{id}/following`).
    ///
    /// # Errors
    /// [`FollowServiceError::UserNotFound`] when `user` does not exist;
    /// [`FollowServiceError::Storage`].
    pub async fn following(
        &self,
        user: UserId,
        page: PageRequest<UserId>,
    ) -> Result<Page<User, UserId>, FollowServiceError> {
        self.ensure_exists(user).await?;
        Ok(self.follows.following(user, page).await?)
    }

    /// The signed-in user's friends (mutual follows), newest first
    /// (`GET /api/v1/users/me/friends`). The caller exists, so nothing is looked up first.
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn friends(
        &self,
        me: UserId,
        page: PageRequest<UserId>,
    ) -> Result<Page<User, UserId>, StorageError> {
        self.follows.friends(me, page).await
    }

    async fn ensure_exists(&self, user: UserId) -> Result<(), FollowServiceError> {
        match self.users.find(user).await? {
            Some(_) => Ok(()),
            None => Err(FollowServiceError::UserNotFound),
        }
    }
}

#[cfg(test)]
mod tests;
