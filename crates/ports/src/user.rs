//! The user repository: accounts created on first sight of a token's identity, and deleted on
//! request.

use async_trait::async_trait;
use hourglass_domain::ids::UserId;
use hourglass_domain::notification::Notification;
use hourglass_domain::profile::{Nickname, ProfileImage};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{FieldUpdate, Timer};
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

/// Who a verified token says the caller is. A user is one identity: the same `sub` from another
/// key source is another user, so a token of one source can never act as a user of another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The key source that vouched for the token: an OIDC issuer's `iss`, or a fixed name for
    /// the shared secret and the public key file.
    pub issuer: String,
    /// The token's `sub`.
    pub subject: String,
}

/// A sign-in: a verified token's identity and what else matters about the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// Whose token.
    pub identity: Identity,
    /// The token's `iat`, when it has one: a token issued after the account was deleted may
    /// create a new account, an older one (or one without `iat`) may not.
    pub issued_at: Option<Timestamp>,
    /// Whether this token's source owns the users created before identities had an issuer (the
    /// primary source the server is configured with), and may claim them by `sub`.
    pub claims_legacy_users: bool,
}

impl SignIn {
    /// A sign-in of (`issuer`, `subject`) with a token without `iat`, from a source that does
    /// not claim legacy users.
    pub fn new(issuer: &str, subject: &str) -> Self {
        Self {
            identity: Identity {
                issuer: issuer.to_owned(),
                subject: subject.to_owned(),
            },
            issued_at: None,
            claims_legacy_users: false,
        }
    }
}

/// Signing in failed.
#[derive(Debug, Error)]
pub enum SignInError {
    /// The identity's account was deleted, and the token predates the deletion.
    #[error("the account was deleted")]
    AccountDeleted,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What deleting an account removed that others were shown, as of the deletion's commit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeletedAccount {
    /// The user's friends (mutual follows) until the deletion: their clients drop the user's
    /// activity.
    pub friends: Vec<UserId>,
    /// The user's active (RUNNING or PAUSED) timers, deleted with the account.
    pub active_timers: Vec<Timer>,
    /// The notifications the deletion stored for others (`CANCLE` to participants of the
    /// meetups it cancelled, `EXIT` to hosts of the meetups it left), with the deleted user's
    /// name; already announced by the store.
    pub notifications: Vec<Notification>,
}

/// Deleting an account failed.
#[derive(Debug, Error)]
pub enum DeleteAccountError {
    /// No such user (already deleted, say).
    #[error("user not found")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
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
    /// The user of `sign_in`'s identity, created with `initial` if it does not exist yet (and
    /// its identity is not a deleted account's, see [`SignIn::issued_at`]). Claims never
    /// overwrite an existing profile. Concurrent first requests create one user.
    ///
    /// # Errors
    /// [`SignInError::AccountDeleted`]; [`SignInError::Storage`].
    async fn find_or_create(
        &self,
        sign_in: &SignIn,
        initial: InitialProfile,
        now: Timestamp,
    ) -> Result<User, SignInError>;
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
    /// Deletes the account `id` in one transaction: its timers, schedules, todos, tags, follows
    /// both ways and received notifications go; the OPEN meetups it hosts are cancelled (`CANCLE`
    /// to their participants) and removed, it leaves the OPEN meetups it joined (`EXIT` to their
    /// hosts); the notifications it caused stay, with [`Nickname::deleted_user`] in their
    /// message and no actor; a tombstone of its identity is kept (see [`SignIn::issued_at`]).
    /// Every instance is told, so the user's connections close and friends drop its activity.
    ///
    /// # Errors
    /// [`DeleteAccountError::NotFound`]; [`DeleteAccountError::Storage`].
    async fn delete(
        &self,
        id: UserId,
        now: Timestamp,
    ) -> Result<DeletedAccount, DeleteAccountError>;
}
