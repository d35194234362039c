//! The timer repository: transactional commands and the timer lists of the contract.

use async_trait::async_trait;
use hourglass_domain::ids::{ScheduleId, TimerId, TodoId, UserId};
use hourglass_domain::planning::Tag;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{Timer, TimerCommand, TimerPatch, TimerStatus, TransitionError};
use hourglass_domain::validation::Visibility;
use thiserror::Error;

use crate::error::StorageError;
use crate::page::{Page, PageRequest};
use crate::planning::TagRepository;
use crate::processed::{CommandKey, Idempotent};
use crate::user::User;

/// Whose timers a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimerScope {
    /// The viewer's own.
    #[default]
    Mine,
    /// The viewer's friends' timers with visibility `friends` or `public`.
    Shared,
    /// Both, in one list.
    All,
}

/// What a timer is linked to (`type` filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerKind {
    /// Neither a schedule nor a todo.
    Independent,
    /// Linked to a schedule (whatever its todo link).
    Schedule,
    /// Linked to a todo (whatever its schedule link).
    Todo,
}

/// The filters of `GET /v1/timers` and the schedule/todo timer lists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimerFilter {
    /// Whose timers.
    pub scope: TimerScope,
    /// Union of statuses; empty means every status.
    pub statuses: Vec<TimerStatus>,
    /// Link type.
    pub kind: Option<TimerKind>,
    /// `started_at >= started_from`.
    pub started_from: Option<Timestamp>,
    /// `started_at <= started_to`.
    pub started_to: Option<Timestamp>,
    /// Only timers on this schedule (the viewer's own).
    pub schedule_id: Option<ScheduleId>,
    /// Only timers on this todo (the viewer's own).
    pub todo_id: Option<TodoId>,
}

/// A timer list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerListQuery {
    /// Who asks; decides `Mine` and which friends' timers are visible.
    pub viewer: UserId,
    /// The filters.
    pub filter: TimerFilter,
    /// The page.
    pub page: PageRequest<TimerId>,
}

/// Which link of a new or patched timer is unknown or someone else's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerLink {
    /// `schedule_id`.
    Schedule,
    /// `todo_id`.
    Todo,
    /// One of `tag_ids`.
    Tag,
}

impl TimerLink {
    /// The field's wire name.
    pub fn field(self) -> &'static str {
        match self {
            Self::Schedule => "schedule_id",
            Self::Todo => "todo_id",
            Self::Tag => "tag_ids",
        }
    }
}

/// Storing a new timer failed.
#[derive(Debug, Error)]
pub enum InsertTimerError {
    /// A link points at a missing object or at another user's.
    #[error("{} does not name one of your {}", .0.field(), match .0 { TimerLink::Schedule => "schedules", TimerLink::Todo => "todos", TimerLink::Tag => "tags" })]
    UnknownLink(TimerLink),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A state-machine command on a stored timer failed; nothing was stored.
#[derive(Debug, Error)]
pub enum TimerCommandError {
    /// No such timer, or it belongs to someone else (indistinguishable on purpose).
    #[error("timer not found")]
    NotFound,
    /// The state machine refused the command.
    #[error(transparent)]
    Rejected(#[from] TransitionError),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A metadata change failed; nothing was stored.
#[derive(Debug, Error)]
pub enum UpdateTimerError {
    /// No such timer of this owner.
    #[error("timer not found")]
    NotFound,
    /// A new link points at a missing object or at another user's.
    #[error("{} does not name one of your objects", .0.field())]
    UnknownLink(TimerLink),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Deleting a timer failed.
#[derive(Debug, Error)]
pub enum DeleteTimerError {
    /// No such timer of this owner.
    #[error("timer not found")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A timer with its tags, in the timer's `tag_ids` order: what a device is shown.
///
/// Loaded once per change and shared by the sender's reply and every receiver of the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedTimer {
    /// The timer as committed.
    pub timer: Timer,
    /// Its tags that still exist, in `timer.tag_ids()` order.
    pub tags: Vec<Tag>,
}

impl TaggedTimer {
    /// `timer` with `tags` (any order, extras ignored) put in its own order.
    pub fn new(timer: Timer, mut tags: Vec<Tag>) -> Self {
        let ids = timer.tag_ids();
        tags.retain(|tag| ids.contains(&tag.id));
        tags.sort_by_key(|tag| ids.iter().position(|id| *id == tag.id));
        Self { timer, tags }
    }

    /// A timer shown without its tags (they could not be loaded; the next sync restores them).
    pub fn untagged(timer: Timer) -> Self {
        Self {
            timer,
            tags: Vec::new(),
        }
    }

    /// `timer` with its owner's tags loaded from `tags` in one query (none when it has no tags),
    /// after its change committed. A failed look-up must not turn the committed change into an
    /// error, so the timer then goes out untagged and the next sync restores the labels.
    pub async fn load(timer: Timer, tags: &dyn TagRepository) -> Self {
        if timer.tag_ids().is_empty() {
            return Self::untagged(timer);
        }
        match tags.find_many(timer.owner_id(), timer.tag_ids()).await {
            Ok(found) => Self::new(timer, found),
            Err(error) => {
                tracing::warn!(%error, timer = %timer.id(), "tags unavailable; the change goes out untagged");
                Self::untagged(timer)
            }
        }
    }
}

/// The result of a metadata change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchedTimer {
    /// The timer as stored.
    pub timer: Timer,
    /// Whether anything changed (only then was `version` bumped and is a broadcast due).
    pub changed: bool,
    /// Whether the change took an active timer that friends could see out of their sight
    /// (visibility `friends`/`public` → `private`): only then do friends hear that it is hidden.
    /// Computed from the locked row, so an edit of a timer that was private already never
    /// tells anyone it exists.
    pub hidden_from_friends: bool,
}

impl PatchedTimer {
    /// `timer` after a metadata change (`changed`) that found it with visibility `before`.
    pub fn new(timer: Timer, changed: bool, before: Visibility) -> Self {
        let hidden_from_friends = changed
            && timer.status().is_active()
            && before.visible_to_friends()
            && !timer.visibility().visible_to_friends();
        Self {
            timer,
            changed,
            hidden_from_friends,
        }
    }
}

/// A friend's RUNNING or PAUSED timer that friends may see, with that friend
/// (`GET /api/v1/users/me/friends/active`, `timer.friends_snapshot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FriendTimer<T = Timer> {
    /// The owner, a friend (mutual follow) of the viewer.
    pub friend: User,
    /// The timer: [`Timer`] from the repository, [`TaggedTimer`] from the service.
    pub timer: T,
}

/// Where timers live.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TimerRepository: Send + Sync {
    /// Stores a new timer and its tag links in one transaction.
    ///
    /// An announcing store emits [`crate::event::DomainEvent::TimerChanged`] (`start`) in that transaction.
    ///
    /// # Errors
    /// [`InsertTimerError::UnknownLink`] when `schedule_id`, `todo_id` or a tag is missing or
    /// not the owner's; [`InsertTimerError::Storage`] otherwise.
    async fn insert(&self, timer: &Timer) -> Result<(), InsertTimerError>;

    /// Applies a state-machine command to the owner's timer.
    ///
    /// MUST run in one transaction: lock the row (`SELECT … FOR UPDATE`), apply
    /// [`Timer::apply`] at `now`, store the result, commit. Two concurrent commands on one timer
    /// are therefore serialised, and the loser sees the winner's state. An announcing store emits
    /// [`crate::event::DomainEvent::TimerChanged`] (the command's action) before the commit.
    ///
    /// # Errors
    /// [`TimerCommandError::NotFound`] for a missing or foreign timer;
    /// [`TimerCommandError::Rejected`] when the state machine refuses (nothing stored);
    /// [`TimerCommandError::Storage`] otherwise.
    async fn apply_command(
        &self,
        owner: UserId,
        id: TimerId,
        command: TimerCommand,
        now: Timestamp,
    ) -> Result<Timer, TimerCommandError>;

    /// [`TimerRepository::insert`] of a command sent with a `request_id`: the key is claimed and
    /// the outcome (`start`, `timer`) stored under it in the same transaction as the timer, so a
    /// key either holds the outcome of its committed create or nothing.
    ///
    /// MUST, in one transaction: claim (`key.user`, `key.request_id`) first, so that a
    /// concurrent caller with the same key waits for this transaction and then finds its
    /// outcome, or after a rollback nothing; when the key already holds an outcome recorded
    /// within [`crate::processed::REMEMBER_SECONDS`] of `key.now` (whatever its kind), return it
    /// as [`Idempotent::Remembered`] and store nothing; otherwise (no outcome, or an older one,
    /// which is replaced) store the timer, its tags, the announcement and the outcome dated
    /// `key.now`, and commit. `key.user` is the timer's owner.
    ///
    /// # Errors
    /// [`InsertTimerError::UnknownLink`] when `schedule_id`, `todo_id` or a tag is missing or
    /// not the owner's; [`InsertTimerError::Storage`] otherwise, also when the outcome the key
    /// holds no longer converts into a valid timer (never replayed then). Nothing is stored, the
    /// key included.
    async fn insert_once(
        &self,
        timer: &Timer,
        key: &CommandKey,
    ) -> Result<Idempotent<()>, InsertTimerError>;

    /// [`TimerRepository::apply_command`] of a command sent with a `request_id`, on the timer
    /// `id` of `key.user` at `key.now`: the key is claimed and the outcome (the command's change,
    /// the timer as stored) recorded under it in the command's own transaction.
    ///
    /// MUST, in that one transaction holding the timer's row lock: when the key holds an outcome
    /// recorded within [`crate::processed::REMEMBER_SECONDS`] of `key.now` (whatever its kind),
    /// return it as [`Idempotent::Remembered`] and store nothing, also when the command would
    /// now be refused or the timer is gone (a duplicate that waited for the row lock finds the
    /// command already applied, and must get the outcome rather than a refusal); otherwise apply
    /// and store the command, its announcement and its outcome under the key (replacing an
    /// older one), and commit. Duplicates are serialised by the row lock: one that waited for it
    /// finds the outcome the first one committed, or after a rollback nothing.
    ///
    /// # Errors
    /// Only when the key holds no remembered outcome: [`TimerCommandError::NotFound`] for a
    /// missing or foreign timer; [`TimerCommandError::Rejected`] when the state machine refuses.
    /// [`TimerCommandError::Storage`] otherwise, also when the outcome the key holds no longer
    /// converts into a valid timer (never replayed then). Nothing is stored, the key included.
    async fn apply_command_once(
        &self,
        id: TimerId,
        command: TimerCommand,
        key: &CommandKey,
    ) -> Result<Idempotent<Timer>, TimerCommandError>;

    /// Applies a metadata change to the owner's timer under the row lock, like
    /// [`TimerRepository::apply_command`]; stores only when something changed, and only then does
    /// an announcing store emit [`crate::event::DomainEvent::TimerChanged`] (`update`) in the transaction.
    ///
    /// # Errors
    /// [`UpdateTimerError::NotFound`]; [`UpdateTimerError::UnknownLink`] for a new link that is
    /// missing or foreign; [`UpdateTimerError::Storage`].
    async fn update_details(
        &self,
        owner: UserId,
        id: TimerId,
        patch: TimerPatch,
        now: Timestamp,
    ) -> Result<PatchedTimer, UpdateTimerError>;

    /// Deletes the owner's timer, whatever its status; an announcing store emits
    /// [`crate::event::DomainEvent::TimerDeleted`] in the same transaction.
    ///
    /// # Errors
    /// [`DeleteTimerError::NotFound`]; [`DeleteTimerError::Storage`].
    async fn delete(&self, owner: UserId, id: TimerId) -> Result<(), DeleteTimerError>;

    /// The timer with this id, whoever owns it (callers apply [`Timer::readable_by`]).
    ///
    /// # Errors
    /// [`StorageError`] only; a missing timer is `Ok(None)`.
    async fn find(&self, id: TimerId) -> Result<Option<Timer>, StorageError>;

    /// Whether `a` and `b` follow each other (friends may read `friends` timers).
    ///
    /// # Errors
    /// [`StorageError`].
    async fn are_friends(&self, a: UserId, b: UserId) -> Result<bool, StorageError>;

    /// One page of a timer list, newest first (`created_at`, then id, descending).
    ///
    /// # Errors
    /// [`StorageError`].
    async fn list(&self, query: &TimerListQuery) -> Result<Page<Timer, TimerId>, StorageError>;

    /// The owner's RUNNING and PAUSED timers, newest first.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn list_active(&self, owner: UserId) -> Result<Vec<Timer>, StorageError>;

    /// One page of the RUNNING and PAUSED timers of `viewer`'s friends (mutual follows) whose
    /// visibility is `friends` or `public`, each with its owner; most recently changed first
    /// (`updated_at`, then id, descending; the cursor's instant is `updated_at`). Never a
    /// private timer, never a non-friend's.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn list_friends_active(
        &self,
        viewer: UserId,
        page: PageRequest<TimerId>,
    ) -> Result<Page<FriendTimer, TimerId>, StorageError>;
}
