//! Meetup (모임) use cases: create, join, leave, cancel, and reading meetups.

use std::sync::Arc;

use hourglass_domain::ids::{MeetupId, UserId};
use hourglass_domain::meetup::{Meetup, MeetupError, NewMeetup};
use thiserror::Error;

use crate::clock::Clock;
use crate::error::StorageError;
use crate::event::{DomainEvent, EventPublisher};
use crate::meetup::{MeetupAction, MeetupActionError, MeetupOutcome, MeetupRepository};
use crate::page::{Page, PageRequest};

/// A meetup operation failed; nothing was stored.
///
/// The domain's refusals pass through unchanged in [`MeetupServiceError::Rejected`]; the table
/// in [`hourglass_domain::meetup`] maps each onto the contract's status and code.
#[derive(Debug, Error)]
pub enum MeetupServiceError {
    /// No such meetup.
    #[error("meetup not found")]
    NotFound,
    /// The meetup rules refused it (full, cancelled, host cannot join, not the host, …).
    #[error(transparent)]
    Rejected(#[from] MeetupError),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<MeetupActionError> for MeetupServiceError {
    fn from(error: MeetupActionError) -> Self {
        match error {
            MeetupActionError::NotFound => Self::NotFound,
            MeetupActionError::Rejected(rule) => Self::Rejected(rule),
            MeetupActionError::Storage(storage) => Self::Storage(storage),
        }
    }
}

/// The meetup use cases for a signed-in user.
#[derive(Clone)]
pub struct MeetupService {
    meetups: Arc<dyn MeetupRepository>,
    publisher: Arc<dyn EventPublisher>,
    clock: Arc<dyn Clock>,
}

impl MeetupService {
    /// Wires the service to its ports.
    pub fn new(
        meetups: Arc<dyn MeetupRepository>,
        publisher: Arc<dyn EventPublisher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            meetups,
            publisher,
            clock,
        }
    }

    /// Creates a meetup now, hosted by `new.host_id` (`POST /api/v1/meetups`), then announces
    /// the CREATE notification stored for each follower of the host.
    ///
    /// # Errors
    /// [`MeetupServiceError::Rejected`] with [`MeetupError::StartsAtNotInFuture`] (422);
    /// [`MeetupServiceError::Storage`].
    pub async fn create(&self, new: NewMeetup) -> Result<Meetup, MeetupServiceError> {
        let outcome = self.meetups.create(new, self.clock.now()).await?;
        Ok(self.announce(outcome).await)
    }

    /// `user` joins the meetup now, then the ENTER notification to the host is announced.
    ///
    /// # Errors
    /// [`MeetupServiceError::NotFound`]; [`MeetupServiceError::Rejected`] with
    /// [`MeetupError::Cancelled`], [`MeetupError::HostCannotJoin`],
    /// [`MeetupError::AlreadyJoined`] or [`MeetupError::Full`]; [`MeetupServiceError::Storage`].
    pub async fn join(&self, meetup: MeetupId, user: UserId) -> Result<Meetup, MeetupServiceError> {
        self.apply(meetup, MeetupAction::Join(user)).await
    }

    /// `user` leaves the meetup now, then the EXIT notification to the host is announced.
    ///
    /// # Errors
    /// [`MeetupServiceError::NotFound`]; [`MeetupServiceError::Rejected`] with
    /// [`MeetupError::Cancelled`], [`MeetupError::HostCannotLeave`] or
    /// [`MeetupError::NotAParticipant`]; [`MeetupServiceError::Storage`].
    pub async fn leave(
        &self,
        meetup: MeetupId,
        user: UserId,
    ) -> Result<Meetup, MeetupServiceError> {
        self.apply(meetup, MeetupAction::Leave(user)).await
    }

    /// `by` (who must be the host) cancels the meetup now, then the CANCLE notification to each
    /// other participant is announced.
    ///
    /// # Errors
    /// [`MeetupServiceError::NotFound`]; [`MeetupServiceError::Rejected`] with
    /// [`MeetupError::NotHost`] or [`MeetupError::AlreadyCancelled`];
    /// [`MeetupServiceError::Storage`].
    pub async fn cancel(&self, meetup: MeetupId, by: UserId) -> Result<Meetup, MeetupServiceError> {
        self.apply(meetup, MeetupAction::Cancel(by)).await
    }

    /// The meetup with its participants (`GET /api/v1/meetups/{id}`), open or cancelled.
    ///
    /// # Errors
    /// [`MeetupServiceError::NotFound`]; [`MeetupServiceError::Storage`].
    pub async fn get(&self, id: MeetupId) -> Result<Meetup, MeetupServiceError> {
        self.meetups
            .find(id)
            .await?
            .ok_or(MeetupServiceError::NotFound)
    }

    /// One page of open meetups, newest first (`GET /api/v1/meetups`).
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn list_open(
        &self,
        page: PageRequest<MeetupId>,
    ) -> Result<Page<Meetup, MeetupId>, StorageError> {
        self.meetups.list_open(page).await
    }

    async fn apply(
        &self,
        meetup: MeetupId,
        action: MeetupAction,
    ) -> Result<Meetup, MeetupServiceError> {
        let outcome = self.meetups.apply(meetup, action, self.clock.now()).await?;
        Ok(self.announce(outcome).await)
    }

    /// Announces every notification the committed change stored; returns the meetup.
    async fn announce(&self, outcome: MeetupOutcome) -> Meetup {
        for notification in outcome.notifications {
            let event = DomainEvent::NotificationCreated {
                notification,
                unread_count: None,
            };
            super::announce(&self.publisher, event).await;
        }
        outcome.meetup
    }
}

#[cfg(test)]
mod tests;
