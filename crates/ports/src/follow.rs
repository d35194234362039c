//! The follow repository: follows, friends (mutual follows) and the FOLLOW notification.

use async_trait::async_trait;
use hourglass_domain::follow::Follow;
use hourglass_domain::ids::UserId;
use hourglass_domain::notification::Notification;
use hourglass_domain::time::Timestamp;

use crate::error::StorageError;
use crate::page::{Page, PageRequest};
use crate::user::User;

/// What a follow request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowOutcome {
    /// False when the follow already existed (200 instead of 201).
    pub created: bool,
    /// The FOLLOW notification stored with it, unless suppressed by the 24 h rule.
    pub notification: Option<Notification>,
}

/// What an unfollow did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnfollowOutcome {
    /// Whether a follow existed (and was removed).
    pub removed: bool,
    /// Whether the followee still follows the follower, i.e. the two were friends until now
    /// (decided in the removing transaction).
    pub ended_friendship: bool,
}

/// Where follows live.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FollowRepository: Send + Sync {
    /// Stores the follow if absent and, in the same transaction, the FOLLOW notification for
    /// the followee when [`hourglass_domain::follow::should_notify_follow`] allows it at `now`
    /// (the last FOLLOW notification time per pair survives unfollow). A new follow announces
    /// [`crate::event::DomainEvent::FollowChanged`], the notification `NotificationCreated`.
    ///
    /// # Errors
    /// [`StorageError`]; the followee must exist (callers check).
    async fn follow(&self, follow: Follow, now: Timestamp) -> Result<FollowOutcome, StorageError>;
    /// Removes the follow; says whether it existed and whether that ended a friendship. A
    /// removal announces [`crate::event::DomainEvent::FollowChanged`].
    ///
    /// # Errors
    /// [`StorageError`].
    async fn unfollow(
        &self,
        follower: UserId,
        followee: UserId,
    ) -> Result<UnfollowOutcome, StorageError>;
    /// Who follows `user`, newest follow first.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn followers(
        &self,
        user: UserId,
        page: PageRequest<UserId>,
    ) -> Result<Page<User, UserId>, StorageError>;
    /// Whom `user` follows, newest follow first.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn following(
        &self,
        user: UserId,
        page: PageRequest<UserId>,
    ) -> Result<Page<User, UserId>, StorageError>;
    /// `user`'s friends (mutual follows), newest first.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn friends(
        &self,
        user: UserId,
        page: PageRequest<UserId>,
    ) -> Result<Page<User, UserId>, StorageError>;
    /// Every friend id of `user`, for fan-out of timer activity.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn friend_ids(&self, user: UserId) -> Result<Vec<UserId>, StorageError>;
}
