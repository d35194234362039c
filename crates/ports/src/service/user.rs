//! User use cases: sign-in on first sight of a token, reading and changing profiles.

use std::sync::Arc;

use hourglass_domain::ids::UserId;
use thiserror::Error;

use crate::clock::Clock;
use crate::error::StorageError;
use crate::user::{
    InitialProfile, ProfileUpdate, SignIn, SignInError, UpdateUserError, User, UserRepository,
};

/// Reading or changing a user failed.
#[derive(Debug, Error)]
pub enum UserServiceError {
    /// No user has this id.
    #[error("user not found")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<UpdateUserError> for UserServiceError {
    fn from(error: UpdateUserError) -> Self {
        match error {
            UpdateUserError::NotFound => Self::NotFound,
            UpdateUserError::Storage(storage) => Self::Storage(storage),
        }
    }
}

/// The user use cases.
#[derive(Clone)]
pub struct UserService {
    users: Arc<dyn UserRepository>,
    clock: Arc<dyn Clock>,
}

impl UserService {
    /// Wires the service to its ports.
    pub fn new(users: Arc<dyn UserRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { users, clock }
    }

    /// The user behind a verified token's identity, created now from `claims` on first sight.
    ///
    /// The claims fill the profile only when the user is created; they never overwrite a profile
    /// the user has since changed (the repository guarantees it, and that concurrent first
    /// requests create one user).
    ///
    /// # Errors
    /// [`SignInError::AccountDeleted`] for a token of a deleted account issued before its
    /// deletion; [`SignInError::Storage`].
    pub async fn sign_in(
        &self,
        sign_in: &SignIn,
        claims: InitialProfile,
    ) -> Result<User, SignInError> {
        self.users
            .find_or_create(sign_in, claims, self.clock.now())
            .await
    }

    /// The user with this id (`GET /api/v1/users/{id}`, and `/users/me` for the caller's id).
    ///
    /// # Errors
    /// [`UserServiceError::NotFound`] when no user has this id; [`UserServiceError::Storage`].
    pub async fn get(&self, id: UserId) -> Result<User, UserServiceError> {
        self.users.find(id).await?.ok_or(UserServiceError::NotFound)
    }

    /// The users among `ids` that exist, in no particular order: one round trip for a whole page
    /// (actors of notifications, participants of a meetup).
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn find_many(&self, ids: &[UserId]) -> Result<Vec<User>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.users.find_many(ids).await
    }

    /// Changes the user's profile now (`PATCH /api/v1/users/me`); returns the user as stored.
    ///
    /// # Errors
    /// [`UserServiceError::NotFound`] when no user has this id; [`UserServiceError::Storage`].
    pub async fn update_profile(
        &self,
        id: UserId,
        update: ProfileUpdate,
    ) -> Result<User, UserServiceError> {
        Ok(self
            .users
            .update_profile(id, update, self.clock.now())
            .await?)
    }
}

#[cfg(test)]
mod tests;
