//! The user repository: accounts created on first sight of a token's `sub`.

use async_trait::async_trait;
use hourglass_domain::ids::UserId;
use hourglass_domain::profile::{Nickname, ProfileImage};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::FieldUpdate;
use thiserror::Error;

use crate::error::StorageError;

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Numeric id, used everywhere else.
    pub id: UserId,
    /// The token's `sub`; unique.
    pub subject: String,
    /// Display name.
    pub nickname: Nickname,
    /// Optional picture URL.
    pub profile_image: Option<ProfileImage>,
    /// Creation instant.
    pub created_at: Timestamp,
    /// Last profile change.
    pub updated_at: Timestamp,
}

/// The profile a new user starts with (from the token's claims).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialProfile {
    /// Nickname from the claims.
    pub nickname: Nickname,
    /// Picture from the claims.
    pub profile_image: Option<ProfileImage>,
}

/// A profile change (`PATCH /api/v1/users/me`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProfileUpdate {
    /// New nickname, if given.
    pub nickname: Option<Nickname>,
    /// New picture: keep, clear or set.
    pub profile_image: FieldUpdate<ProfileImage>,
}

/// Changing a profile failed.
#[derive(Debug, Error)]
pub enum UpdateUserError {
    /// No such user.
    #[error("user not found")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Where users live.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// The user with this `sub`, created with `initial` if it does not exist yet. Claims never
    /// overwrite an existing profile. Concurrent first requests create one user.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn find_or_create(
        &self,
        subject: &str,
        initial: InitialProfile,
        now: Timestamp,
    ) -> Result<User, StorageError>;
    /// The user with this id.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn find(&self, id: UserId) -> Result<Option<User>, StorageError>;
    /// The users among `ids`, in no particular order (one round trip).
    ///
    /// # Errors
    /// [`StorageError`].
    async fn find_many(&self, ids: &[UserId]) -> Result<Vec<User>, StorageError>;
    /// Applies a profile change.
    ///
    /// # Errors
    /// [`UpdateUserError::NotFound`]; [`UpdateUserError::Storage`].
    async fn update_profile(
        &self,
        id: UserId,
        update: ProfileUpdate,
        now: Timestamp,
    ) -> Result<User, UpdateUserError>;
}
