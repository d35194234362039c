//! Schedule, todo and tag use cases: owner-scoped CRUD, plus the announcements a delete owes.
//!
//! Deleting a schedule, todo or tag changes timers as a side effect (their link is cleared, or
//! the tag removed), and each of those timers gets `version` + 1 in the same transaction (the
//! repository does that). The owner's devices must hear about it like any other change, so after
//! the repository call returns — i.e. after commit — the affected timers are announced through
//! [`TimerService::announce_updates`] as `timer.updated{action:"update"}`.
//!
//! Updates are read-modify-write without a row lock: the objects carry no invariant spanning
//! several requests, so the last write wins, as for any plain REST resource.

use std::sync::Arc;

use hourglass_domain::ids::{ScheduleId, TagId, TodoId, UserId};
use hourglass_domain::planning::{Schedule, ScheduleWindow, Tag, Todo, TodoStatus};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::FieldUpdate;
use hourglass_domain::validation::{Description, TagColor, TagName, Title, ValidationError};
use thiserror::Error;

use crate::clock::Clock;
use crate::error::StorageError;
use crate::id::IdGenerator;
use crate::page::{Page, PageRequest};
use crate::planning::{
    PlanningError, ScheduleFilter, ScheduleRepository, TagRepository, TodoRepository,
};
use crate::service::timer::TimerService;

/// A schedule, todo or tag use case failed; nothing was stored.
#[derive(Debug, Error)]
pub enum PlanningServiceError {
    /// No such object of this owner (another user's is indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// One of `tag_ids` is missing or another user's.
    #[error("tag_ids does not name one of your tags")]
    UnknownTag,
    /// A tag with this name already exists for this owner.
    #[error("a tag with this name already exists")]
    DuplicateName,
    /// The change would make the object invalid (e.g. an end before its start).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<PlanningError> for PlanningServiceError {
    fn from(error: PlanningError) -> Self {
        match error {
            PlanningError::NotFound => Self::NotFound,
            PlanningError::UnknownTag => Self::UnknownTag,
            PlanningError::DuplicateName => Self::DuplicateName,
            PlanningError::Storage(storage) => Self::Storage(storage),
        }
    }
}

/// What a new schedule is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSchedule {
    /// Title.
    pub title: Title,
    /// Optional description.
    pub description: Option<Description>,
    /// Start and end.
    pub window: ScheduleWindow,
    /// Tags to attach (the owner's; the repository refuses others).
    pub tag_ids: Vec<TagId>,
}

/// A schedule change; `None` / [`FieldUpdate::Keep`] leave a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchedulePatch {
    /// New title.
    pub title: Option<Title>,
    /// New description.
    pub description: FieldUpdate<Option<Description>>,
    /// New start (checked against the resulting end).
    pub start_time: Option<Timestamp>,
    /// New end (checked against the resulting start).
    pub end_time: Option<Timestamp>,
    /// New tag set.
    pub tag_ids: FieldUpdate<Vec<TagId>>,
}

/// What a new todo is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTodo {
    /// Title.
    pub title: Title,
    /// Optional description.
    pub description: Option<Description>,
    /// Status (`TODO` when not given).
    pub status: TodoStatus,
    /// Optional deadline.
    pub deadline: Option<Timestamp>,
    /// Tags to attach.
    pub tag_ids: Vec<TagId>,
}

/// A todo change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TodoPatch {
    /// New title.
    pub title: Option<Title>,
    /// New description.
    pub description: FieldUpdate<Option<Description>>,
    /// New status.
    pub status: Option<TodoStatus>,
    /// New deadline.
    pub deadline: FieldUpdate<Option<Timestamp>>,
    /// New tag set.
    pub tag_ids: FieldUpdate<Vec<TagId>>,
}

/// What a new tag is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTag {
    /// Name, unique per owner.
    pub name: TagName,
    /// Color.
    pub color: TagColor,
}

/// A tag change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagPatch {
    /// New name.
    pub name: Option<TagName>,
    /// New color.
    pub color: Option<TagColor>,
}

/// The schedule, todo and tag use cases for a signed-in user.
#[derive(Clone)]
pub struct PlanningService {
    schedules: Arc<dyn ScheduleRepository>,
    todos: Arc<dyn TodoRepository>,
    tags: Arc<dyn TagRepository>,
    timers: TimerService,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl PlanningService {
    /// Wires the service to its ports; `timers` announces timers changed by a delete.
    pub fn new(
        schedules: Arc<dyn ScheduleRepository>,
        todos: Arc<dyn TodoRepository>,
        tags: Arc<dyn TagRepository>,
        timers: TimerService,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            schedules,
            todos,
            tags,
            timers,
            clock,
            ids,
        }
    }

    // ---- schedules -------------------------------------------------------------------------

    /// Stores a new schedule for `owner`.
    ///
    /// # Errors
    /// [`PlanningServiceError::UnknownTag`], [`PlanningServiceError::Storage`].
    pub async fn create_schedule(
        &self,
        owner: UserId,
        new: NewSchedule,
    ) -> Result<Schedule, PlanningServiceError> {
        let now = self.clock.now();
        let schedule = Schedule {
            id: ScheduleId::new(self.ids.new_uuid()),
            owner_id: owner,
            title: new.title,
            description: new.description,
            window: new.window,
            tag_ids: dedup(new.tag_ids),
            created_at: now,
            updated_at: now,
        };
        self.schedules.insert(&schedule).await?;
        Ok(schedule)
    }

    /// The owner's schedule.
    ///
    /// # Errors
    /// [`PlanningServiceError::NotFound`], [`PlanningServiceError::Storage`].
    pub async fn schedule(
        &self,
        owner: UserId,
        id: ScheduleId,
    ) -> Result<Schedule, PlanningServiceError> {
        self.schedules
            .find(owner, id)
            .await?
            .ok_or(PlanningServiceError::NotFound)
    }

    /// One page of the owner's schedules, newest first.
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn schedules(
        &self,
        owner: UserId,
        filter: ScheduleFilter,
        page: PageRequest<ScheduleId>,
    ) -> Result<Page<Schedule, ScheduleId>, StorageError> {
        self.schedules.list(owner, filter, page).await
    }

    /// The owner's schedules among `ids` (one round trip, for embedding).
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn schedules_by_id(
        &self,
        owner: UserId,
        ids: &[ScheduleId],
    ) -> Result<Vec<Schedule>, StorageError> {
        self.schedules.find_many(owner, ids).await
    }

    /// Changes the owner's schedule; stores only when something changed.
    ///
    /// # Errors
    /// [`PlanningServiceError::NotFound`], [`PlanningServiceError::Invalid`] for an end before
    /// the start, [`PlanningServiceError::UnknownTag`], [`PlanningServiceError::Storage`].
    pub async fn patch_schedule(
        &self,
        owner: UserId,
        id: ScheduleId,
        patch: SchedulePatch,
    ) -> Result<Schedule, PlanningServiceError> {
        let mut schedule = self.schedule(owner, id).await?;
        let before = schedule.clone();
        if let Some(title) = patch.title {
            schedule.title = title;
        }
        apply(patch.description, &mut schedule.description);
        schedule.window = ScheduleWindow::new(
            patch
                .start_time
                .unwrap_or_else(|| schedule.window.start_time()),
            patch.end_time.unwrap_or_else(|| schedule.window.end_time()),
        )?;
        apply_tags(patch.tag_ids, &mut schedule.tag_ids);
        if schedule == before {
            return Ok(schedule);
        }
        schedule.updated_at = self.clock.now().max(before.updated_at);
        self.schedules.update(&schedule).await?;
        Ok(schedule)
    }

    /// Deletes the owner's schedule; its timers stay, unlinked, and are announced as updated.
    ///
    /// # Errors
    /// [`PlanningServiceError::NotFound`], [`PlanningServiceError::Storage`].
    pub async fn delete_schedule(
        &self,
        owner: UserId,
        id: ScheduleId,
    ) -> Result<(), PlanningServiceError> {
        let affected = self.schedules.delete(owner, id, self.clock.now()).await?;
        self.timers.announce_updates(affected).await;
        Ok(())
    }

    // ---- todos -----------------------------------------------------------------------------

    /// Stores a new todo for `owner`.
    ///
    /// # Errors
    /// [`PlanningServiceError::UnknownTag`], [`PlanningServiceError::Storage`].
    pub async fn create_todo(
        &self,
        owner: UserId,
        new: NewTodo,
    ) -> Result<Todo, PlanningServiceError> {
        let now = self.clock.now();
        let todo = Todo {
            id: TodoId::new(self.ids.new_uuid()),
            owner_id: owner,
            title: new.title,
            description: new.description,
            status: new.status,
            deadline: new.deadline,
            tag_ids: dedup(new.tag_ids),
            created_at: now,
            updated_at: now,
        };
        self.todos.insert(&todo).await?;
        Ok(todo)
    }

    /// The owner's todo.
    ///
    /// # Errors
    /// [`PlanningServiceError::NotFound`], [`PlanningServiceError::Storage`].
    pub async fn todo(&self, owner: UserId, id: TodoId) -> Result<Todo, PlanningServiceError> {
        self.todos
            .find(owner, id)
            .await?
            .ok_or(PlanningServiceError::NotFound)
    }

    /// One page of the owner's todos, newest first.
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn todos(
        &self,
        owner: UserId,
        page: PageRequest<TodoId>,
    ) -> Result<Page<Todo, TodoId>, StorageError> {
        self.todos.list(owner, page).await
    }

    /// The owner's todos among `ids` (one round trip, for embedding).
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn todos_by_id(
        &self,
        owner: UserId,
        ids: &[TodoId],
    ) -> Result<Vec<Todo>, StorageError> {
        self.todos.find_many(owner, ids).await
    }

    /// Changes the owner's todo; stores only when something changed.
    ///
    /// # Errors
    /// [`PlanningServiceError::NotFound`], [`PlanningServiceError::UnknownTag`],
    /// [`PlanningServiceError::Storage`].
    pub async fn patch_todo(
        &self,
        owner: UserId,
        id: TodoId,
        patch: TodoPatch,
    ) -> Result<Todo, PlanningServiceError> {
        let mut todo = self.todo(owner, id).await?;
        let before = todo.clone();
        if let Some(title) = patch.title {
            todo.title = title;
        }
        apply(patch.description, &mut todo.description);
        if let Some(status) = patch.status {
            todo.status = status;
        }
        apply(patch.deadline, &mut todo.deadline);
        apply_tags(patch.tag_ids, &mut todo.tag_ids);
        if todo == before {
            return Ok(todo);
        }
        todo.updated_at = self.clock.now().max(before.updated_at);
        self.todos.update(&todo).await?;
        Ok(todo)
    }

    /// Deletes the owner's todo; its timers stay, unlinked, and are announced as updated.
    ///
    /// # Errors
    /// [`PlanningServiceError::NotFound`], [`PlanningServiceError::Storage`].
    pub async fn delete_todo(&self, owner: UserId, id: TodoId) -> Result<(), PlanningServiceError> {
        let affected = self.todos.delete(owner, id, self.clock.now()).await?;
        self.timers.announce_updates(affected).await;
        Ok(())
    }

    // ---- tags ------------------------------------------------------------------------------

    /// Stores a new tag for `owner`.
    ///
    /// # Errors
    /// [`PlanningServiceError::DuplicateName`], [`PlanningServiceError::Storage`].
    pub async fn create_tag(
        &self,
        owner: UserId,
        new: NewTag,
    ) -> Result<Tag, PlanningServiceError> {
        let now = self.clock.now();
        let tag = Tag {
            id: TagId::new(self.ids.new_uuid()),
            owner_id: owner,
            name: new.name,
            color: new.color,
            created_at: now,
            updated_at: now,
        };
        self.tags.insert(&tag).await?;
        Ok(tag)
    }

    /// The owner's tag.
    ///
    /// # Errors
    /// [`PlanningServiceError::NotFound`], [`PlanningServiceError::Storage`].
    pub async fn tag(&self, owner: UserId, id: TagId) -> Result<Tag, PlanningServiceError> {
        self.tags
            .find(owner, id)
            .await?
            .ok_or(PlanningServiceError::NotFound)
    }

    /// One page of the owner's tags, newest first.
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn tags(
        &self,
        owner: UserId,
        page: PageRequest<TagId>,
    ) -> Result<Page<Tag, TagId>, StorageError> {
        self.tags.list(owner, page).await
    }

    /// The owner's tags among `ids` (one round trip, for embedding).
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn tags_by_id(&self, owner: UserId, ids: &[TagId]) -> Result<Vec<Tag>, StorageError> {
        self.tags.find_many(owner, ids).await
    }

    /// Renames or recolors the owner's tag; stores only when something changed.
    ///
    /// # Errors
    /// [`PlanningServiceError::NotFound`], [`PlanningServiceError::DuplicateName`],
    /// [`PlanningServiceError::Storage`].
    pub async fn patch_tag(
        &self,
        owner: UserId,
        id: TagId,
        patch: TagPatch,
    ) -> Result<Tag, PlanningServiceError> {
        let mut tag = self.tag(owner, id).await?;
        let before = tag.clone();
        if let Some(name) = patch.name {
            tag.name = name;
        }
        if let Some(color) = patch.color {
            tag.color = color;
        }
        if tag == before {
            return Ok(tag);
        }
        tag.updated_at = self.clock.now().max(before.updated_at);
        self.tags.update(&tag).await?;
        Ok(tag)
    }

    /// Deletes the owner's tag everywhere; the timers that carried it are announced as updated.
    ///
    /// # Errors
    /// [`PlanningServiceError::NotFound`], [`PlanningServiceError::Storage`].
    pub async fn delete_tag(&self, owner: UserId, id: TagId) -> Result<(), PlanningServiceError> {
        let affected = self.tags.delete(owner, id, self.clock.now()).await?;
        self.timers.announce_updates(affected).await;
        Ok(())
    }
}

/// Applies a nullable field's update.
fn apply<T>(update: FieldUpdate<Option<T>>, field: &mut Option<T>) {
    match update {
        FieldUpdate::Keep => {}
        FieldUpdate::Clear => *field = None,
        FieldUpdate::Set(value) => *field = value,
    }
}

/// Applies a tag-set update (`Clear` empties it).
fn apply_tags(update: FieldUpdate<Vec<TagId>>, field: &mut Vec<TagId>) {
    match update {
        FieldUpdate::Keep => {}
        FieldUpdate::Clear => field.clear(),
        FieldUpdate::Set(tags) => *field = dedup(tags),
    }
}

/// Tags in the order given, each once: the object shows what the link table stores.
fn dedup(tags: Vec<TagId>) -> Vec<TagId> {
    let mut seen = std::collections::HashSet::with_capacity(tags.len());
    tags.into_iter().filter(|t| seen.insert(*t)).collect()
}

#[cfg(test)]
mod tests;
