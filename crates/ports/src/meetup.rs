//! The meetup repository: meetups, participants and the notifications they cause.

use async_trait::async_trait;
use hourglass_domain::ids::{MeetupId, UserId};
use hourglass_domain::meetup::{Meetup, MeetupError, NewMeetup};
use hourglass_domain::notification::Notification;
use hourglass_domain::time::Timestamp;
use thiserror::Error;

use crate::error::StorageError;
use crate::page::{Page, PageRequest};

/// A participant change on a meetup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetupAction {
    /// The user joins (ENTER to the host).
    Join(UserId),
    /// The user leaves (EXIT to the host).
    Leave(UserId),
    /// The user cancels it; only the host may (CANCLE to the other participants).
    Cancel(UserId),
}

/// A committed meetup change and the notifications stored with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetupOutcome {
    /// The meetup as stored.
    pub meetup: Meetup,
    /// Notifications stored in the same transaction, to push after commit.
    pub notifications: Vec<Notification>,
}

/// A meetup change failed; nothing was stored.
#[derive(Debug, Error)]
pub enum MeetupActionError {
    /// No such meetup.
    #[error("meetup not found")]
    NotFound,
    /// The meetup rules refused it.
    #[error(transparent)]
    Rejected(#[from] MeetupError),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Where meetups live.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MeetupRepository: Send + Sync {
    /// Creates a meetup (validated by [`Meetup::create`] at `now`) and, in the same transaction
    /// and with set-based statements, a CREATE notification for every follower of the host.
    ///
    /// # Errors
    /// [`MeetupActionError::Rejected`] (e.g. `starts_at` not in the future);
    /// [`MeetupActionError::Storage`].
    async fn create(
        &self,
        new: NewMeetup,
        now: Timestamp,
    ) -> Result<MeetupOutcome, MeetupActionError>;
    /// Applies a join, leave or cancel under the meetup's row lock, with the domain rules, and
    /// stores the matching notifications in the same transaction.
    ///
    /// # Errors
    /// [`MeetupActionError::NotFound`]; [`MeetupActionError::Rejected`];
    /// [`MeetupActionError::Storage`].
    async fn apply(
        &self,
        id: MeetupId,
        action: MeetupAction,
        now: Timestamp,
    ) -> Result<MeetupOutcome, MeetupActionError>;
    /// The meetup with its participants.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn find(&self, id: MeetupId) -> Result<Option<Meetup>, StorageError>;
    /// One page of open meetups, newest first.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn list_open(
        &self,
        page: PageRequest<MeetupId>,
    ) -> Result<Page<Meetup, MeetupId>, StorageError>;
}
