//! Repositories of schedules, todos and tags.

use async_trait::async_trait;
use hourglass_domain::ids::{ScheduleId, TagId, TodoId, UserId};
use hourglass_domain::planning::{Schedule, Tag, Todo};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::Timer;
use thiserror::Error;

use crate::error::StorageError;
use crate::page::{Page, PageRequest};

/// Writing a schedule, todo or tag failed.
#[derive(Debug, Error)]
pub enum PlanningError {
    /// No such object of this owner.
    #[error("not found")]
    NotFound,
    /// One of `tag_ids` is missing or another user's.
    #[error("tag_ids does not name one of your tags")]
    UnknownTag,
    /// A tag with this name already exists for this owner.
    #[error("a tag with this name already exists")]
    DuplicateName,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Schedule list filters: `start_date <= start_time <= end_date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScheduleFilter {
    /// Lower bound on `start_time`.
    pub start_from: Option<Timestamp>,
    /// Upper bound on `start_time`.
    pub start_to: Option<Timestamp>,
}

/// Where schedules live; every method is scoped to the owner.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ScheduleRepository: Send + Sync {
    /// Stores a new schedule and its tag links.
    ///
    /// # Errors
    /// [`PlanningError::UnknownTag`]; [`PlanningError::Storage`].
    async fn insert(&self, schedule: &Schedule) -> Result<(), PlanningError>;
    /// Replaces a stored schedule's fields and tag links.
    ///
    /// # Errors
    /// [`PlanningError::NotFound`]; [`PlanningError::UnknownTag`]; [`PlanningError::Storage`].
    async fn update(&self, schedule: &Schedule) -> Result<(), PlanningError>;
    /// Deletes it; its timers keep existing with `schedule_id` null, each getting `version` + 1
    /// and `updated_at = now`, in the same transaction. Returns those timers as stored. An
    /// announcing store emits `TimerChanged` (`update`) for each in that transaction.
    ///
    /// # Errors
    /// [`PlanningError::NotFound`]; [`PlanningError::Storage`].
    async fn delete(
        &self,
        owner: UserId,
        id: ScheduleId,
        now: Timestamp,
    ) -> Result<Vec<Timer>, PlanningError>;
    /// The owner's schedule.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn find(&self, owner: UserId, id: ScheduleId) -> Result<Option<Schedule>, StorageError>;
    /// The owner's schedules among `ids` (for embedding in timer lists, one round trip).
    ///
    /// # Errors
    /// [`StorageError`].
    async fn find_many(
        &self,
        owner: UserId,
        ids: &[ScheduleId],
    ) -> Result<Vec<Schedule>, StorageError>;
    /// One page of the owner's schedules, newest first.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn list(
        &self,
        owner: UserId,
        filter: ScheduleFilter,
        page: PageRequest<ScheduleId>,
    ) -> Result<Page<Schedule, ScheduleId>, StorageError>;
}

/// Where todos live; every method is scoped to the owner.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TodoRepository: Send + Sync {
    /// Stores a new todo and its tag links.
    ///
    /// # Errors
    /// [`PlanningError::UnknownTag`]; [`PlanningError::Storage`].
    async fn insert(&self, todo: &Todo) -> Result<(), PlanningError>;
    /// Replaces a stored todo's fields and tag links.
    ///
    /// # Errors
    /// [`PlanningError::NotFound`]; [`PlanningError::UnknownTag`]; [`PlanningError::Storage`].
    async fn update(&self, todo: &Todo) -> Result<(), PlanningError>;
    /// Deletes it; its timers keep existing with `todo_id` null (`version` + 1, `updated_at`
    /// = now), in the same transaction. Returns those timers as stored. An announcing store
    /// emits `TimerChanged` (`update`) for each in that transaction.
    ///
    /// # Errors
    /// [`PlanningError::NotFound`]; [`PlanningError::Storage`].
    async fn delete(
        &self,
        owner: UserId,
        id: TodoId,
        now: Timestamp,
    ) -> Result<Vec<Timer>, PlanningError>;
    /// The owner's todo.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn find(&self, owner: UserId, id: TodoId) -> Result<Option<Todo>, StorageError>;
    /// The owner's todos among `ids`.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn find_many(&self, owner: UserId, ids: &[TodoId]) -> Result<Vec<Todo>, StorageError>;
    /// One page of the owner's todos, newest first.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn list(
        &self,
        owner: UserId,
        page: PageRequest<TodoId>,
    ) -> Result<Page<Todo, TodoId>, StorageError>;
}

/// Where tags live; every method is scoped to the owner.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TagRepository: Send + Sync {
    /// Stores a new tag.
    ///
    /// # Errors
    /// [`PlanningError::DuplicateName`]; [`PlanningError::Storage`].
    async fn insert(&self, tag: &Tag) -> Result<(), PlanningError>;
    /// Replaces a stored tag's name and color.
    ///
    /// # Errors
    /// [`PlanningError::NotFound`]; [`PlanningError::DuplicateName`]; [`PlanningError::Storage`].
    async fn update(&self, tag: &Tag) -> Result<(), PlanningError>;
    /// Deletes it and removes it from every timer, schedule and todo; each affected timer gets
    /// `version` + 1 and `updated_at = now` in the same transaction. Returns those timers. An
    /// announcing store emits `TimerChanged` (`update`) for each in that transaction.
    ///
    /// # Errors
    /// [`PlanningError::NotFound`]; [`PlanningError::Storage`].
    async fn delete(
        &self,
        owner: UserId,
        id: TagId,
        now: Timestamp,
    ) -> Result<Vec<Timer>, PlanningError>;
    /// The owner's tag.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn find(&self, owner: UserId, id: TagId) -> Result<Option<Tag>, StorageError>;
    /// The owner's tags among `ids`.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn find_many(&self, owner: UserId, ids: &[TagId]) -> Result<Vec<Tag>, StorageError>;
    /// One page of the owner's tags, newest first.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn list(
        &self,
        owner: UserId,
        page: PageRequest<TagId>,
    ) -> Result<Page<Tag, TagId>, StorageError>;
}
