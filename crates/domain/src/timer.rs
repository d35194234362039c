//! The Timer aggregate: its state machine, `pause_history` and time rules.
//!
//! ```text
//! create            -> RUNNING   history: start
//! RUNNING  --pause  -> PAUSED    history: pause{elapsed}
//! PAUSED   --resume -> RUNNING   history: resume
//! RUNNING  --stop   -> COMPLETED history: stop{elapsed}
//! PAUSED   --stop   -> COMPLETED history: stop{elapsed}
//! RUNNING  --cancel -> CANCELLED history: cancel{elapsed}
//! PAUSED   --cancel -> CANCELLED history: cancel{elapsed}
//! ```
//! Every other transition is refused and changes nothing. Elapsed time is never stored as a
//! running counter that could drift: it is the exact sum of the RUNNING intervals of the history,
//! plus, for a RUNNING timer, the open interval up to the `now` the caller passes in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{ScheduleId, TagId, TimerId, TodoId, UserId};
use crate::time::Timestamp;
use crate::validation::{AllocatedDuration, Description, Title, ValidationError, Visibility};

/// Where a timer is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TimerStatus {
    /// Counting time.
    Running,
    /// Stopped for now; may resume.
    Paused,
    /// Stopped for good by `stop`.
    Completed,
    /// Abandoned by `cancel`.
    Cancelled,
}

impl TimerStatus {
    /// Every status, in wire order.
    pub const ALL: [TimerStatus; 4] = [
        TimerStatus::Running,
        TimerStatus::Paused,
        TimerStatus::Completed,
        TimerStatus::Cancelled,
    ];

    /// The wire value (`RUNNING`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// RUNNING or PAUSED: the timer can still change.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Running | Self::Paused)
    }
}

impl fmt::Display for TimerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TimerStatus {
    type Err = ValidationError;
    /// Case-insensitive, as the REST `status` filter is.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(value))
            .ok_or_else(|| ValidationError::UnknownValue {
                field: "status",
                allowed: "RUNNING, PAUSED, COMPLETED, CANCELLED",
                value: value.to_owned(),
            })
    }
}

/// What happened at one entry of `pause_history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryAction {
    /// The timer was created, running.
    Start,
    /// Paused; closes a running interval.
    Pause,
    /// Resumed; opens a running interval.
    Resume,
    /// Stopped (completed); closes the running interval if one is open.
    Stop,
    /// Cancelled; closes the running interval if one is open.
    Cancel,
}

impl HistoryAction {
    /// The wire value (`start`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Stop => "stop",
            Self::Cancel => "cancel",
        }
    }

    /// Whether this event opens a RUNNING interval.
    fn opens_interval(self) -> bool {
        matches!(self, Self::Start | Self::Resume)
    }

    /// Whether the contract puts `elapsed` on this event.
    fn carries_elapsed(self) -> bool {
        matches!(self, Self::Pause | Self::Stop | Self::Cancel)
    }
}

impl fmt::Display for HistoryAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HistoryAction {
    type Err = ValidationError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        [
            Self::Start,
            Self::Pause,
            Self::Resume,
            Self::Stop,
            Self::Cancel,
        ]
        .into_iter()
        .find(|a| a.as_str() == value)
        .ok_or_else(|| ValidationError::UnknownValue {
            field: "action",
            allowed: "start, pause, resume, stop, cancel",
            value: value.to_owned(),
        })
    }
}

/// One entry of `pause_history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseEvent {
    /// What happened.
    pub action: HistoryAction,
    /// When, in whole seconds.
    pub at: Timestamp,
    /// The timer's elapsed seconds right after the event: present on pause, stop and cancel.
    pub elapsed: Option<i64>,
}

/// A stored history that does not follow the state machine (corrupt storage).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HistoryError {
    /// The history is empty or does not begin with `start`.
    #[error("pause_history must begin with a single start event")]
    MissingStart,
    /// An event that the state machine could not have produced at that point.
    #[error("pause_history event {index} ({action}) does not follow the state machine")]
    IllegalEvent {
        /// Position in the history.
        index: usize,
        /// The offending action.
        action: HistoryAction,
    },
    /// An instant earlier than the one before it.
    #[error("pause_history event {index} is earlier than the event before it")]
    TimeWentBackwards {
        /// Position in the history.
        index: usize,
    },
    /// An `elapsed` value that is missing, unexpected, or not the sum of the intervals.
    #[error("pause_history event {index} has an elapsed value that does not match its intervals")]
    ElapsedMismatch {
        /// Position in the history.
        index: usize,
    },
    /// More events than a history may hold.
    #[error("pause_history holds more than {max} events", max = PauseHistory::MAX_EVENTS)]
    TooLong,
}

/// The append-only log of a timer's transitions.
///
/// Invariants (checked by [`PauseHistory::from_events`], kept by [`Timer`]): begins with `start`;
/// instants never decrease; each `elapsed` equals the sum of the RUNNING intervals up to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PauseHistory(Vec<PauseEvent>);

impl PauseHistory {
    /// A timer's history holds at most this many events; pause and resume beyond it are refused.
    pub const MAX_EVENTS: usize = 1000;

    fn started(at: Timestamp) -> Self {
        Self(vec![PauseEvent {
            action: HistoryAction::Start,
            at,
            elapsed: None,
        }])
    }

    /// Rebuilds a stored history, refusing one the state machine could not have produced.
    pub fn from_events(events: Vec<PauseEvent>) -> Result<Self, HistoryError> {
        if events.len() > Self::MAX_EVENTS + 2 {
            // +2: stop or cancel are accepted even on a full history, and end it.
            return Err(HistoryError::TooLong);
        }
        let Some(first) = events.first() else {
            return Err(HistoryError::MissingStart);
        };
        if first.action != HistoryAction::Start || first.elapsed.is_some() {
            return Err(HistoryError::MissingStart);
        }
        let mut status = TimerStatus::Running;
        let mut closed = 0_i64;
        let mut open_since = Some(first.at);
        let mut previous_at = first.at;
        for (index, event) in events.iter().enumerate().skip(1) {
            if event.at < previous_at {
                return Err(HistoryError::TimeWentBackwards { index });
            }
            previous_at = event.at;
            let next = match (status, event.action) {
                (TimerStatus::Running, HistoryAction::Pause) => TimerStatus::Paused,
                (TimerStatus::Paused, HistoryAction::Resume) => TimerStatus::Running,
                (TimerStatus::Running | TimerStatus::Paused, HistoryAction::Stop) => {
                    TimerStatus::Completed
                }
                (TimerStatus::Running | TimerStatus::Paused, HistoryAction::Cancel) => {
                    TimerStatus::Cancelled
                }
                _ => {
                    return Err(HistoryError::IllegalEvent {
                        index,
                        action: event.action,
                    });
                }
            };
            if let Some(since) = open_since.take() {
                closed += event.at.seconds_since(since);
            }
            if event.action.opens_interval() {
                open_since = Some(event.at);
            }
            let expected = event.action.carries_elapsed().then_some(closed);
            if event.elapsed != expected {
                return Err(HistoryError::ElapsedMismatch { index });
            }
            status = next;
        }
        Ok(Self(events))
    }

    /// The events, oldest first.
    pub fn events(&self) -> &[PauseEvent] {
        &self.0
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a history begins with `start`. Present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn last(&self) -> &PauseEvent {
        // The constructor guarantees at least the start event; fall back to a harmless value
        // rather than panicking if that were ever broken.
        self.0.last().unwrap_or(&PauseEvent {
            action: HistoryAction::Start,
            at: Timestamp::EPOCH,
            elapsed: None,
        })
    }

    /// The instant of the most recent event.
    pub fn last_at(&self) -> Timestamp {
        self.last().at
    }

    /// Seconds of every closed RUNNING interval, computed from the events.
    fn closed_running_seconds(&self) -> i64 {
        let mut total = 0;
        let mut open_since: Option<Timestamp> = None;
        for event in &self.0 {
            if let Some(since) = open_since.take() {
                total += event.at.seconds_since(since);
            }
            if event.action.opens_interval() {
                open_since = Some(event.at);
            }
        }
        total
    }

    /// The start of the interval still open at the end of the history, if any.
    fn open_interval_start(&self) -> Option<Timestamp> {
        let last = self.last();
        last.action.opens_interval().then_some(last.at)
    }

    fn push(&mut self, event: PauseEvent) {
        self.0.push(event);
    }
}

/// A command that moves an existing timer through the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimerCommand {
    /// RUNNING → PAUSED.
    Pause,
    /// PAUSED → RUNNING.
    Resume,
    /// RUNNING or PAUSED → COMPLETED.
    Stop,
    /// RUNNING or PAUSED → CANCELLED.
    Cancel,
}

impl TimerCommand {
    /// The verb, as in `Cannot pause timer …` and the WebSocket reply's `action`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Stop => "stop",
            Self::Cancel => "cancel",
        }
    }

    /// The history entry this command appends.
    pub fn history_action(self) -> HistoryAction {
        match self {
            Self::Pause => HistoryAction::Pause,
            Self::Resume => HistoryAction::Resume,
            Self::Stop => HistoryAction::Stop,
            Self::Cancel => HistoryAction::Cancel,
        }
    }

    /// The status after the command, or `None` if `from` does not allow it.
    fn target(self, from: TimerStatus) -> Option<TimerStatus> {
        match (from, self) {
            (TimerStatus::Running, Self::Pause) => Some(TimerStatus::Paused),
            (TimerStatus::Paused, Self::Resume) => Some(TimerStatus::Running),
            (TimerStatus::Running | TimerStatus::Paused, Self::Stop) => {
                Some(TimerStatus::Completed)
            }
            (TimerStatus::Running | TimerStatus::Paused, Self::Cancel) => {
                Some(TimerStatus::Cancelled)
            }
            _ => None,
        }
    }
}

impl fmt::Display for TimerCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a stored timer changed: what events carry and the WebSocket `action` field names.
///
/// A transition is exactly a `pause_history` entry, so it reuses [`HistoryAction`]; the only
/// other reason a timer changes is an edit of its details, which the history does not record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerChange {
    /// A state-machine transition (`start`, `pause`, `resume`, `stop`, `cancel`).
    Transition(HistoryAction),
    /// Title, description, links, tags or visibility changed (`update`), over REST or because a
    /// linked schedule, todo or tag was deleted.
    Details,
}

impl TimerChange {
    /// A new timer (`timer.created`).
    pub const START: Self = Self::Transition(HistoryAction::Start);

    /// The wire value: the history action's, or `update`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transition(action) => action.as_str(),
            Self::Details => "update",
        }
    }

    /// Whether this is a state-machine transition (what friends may hear about).
    pub fn is_transition(self) -> bool {
        matches!(self, Self::Transition(_))
    }
}

impl From<TimerCommand> for TimerChange {
    fn from(command: TimerCommand) -> Self {
        Self::Transition(command.history_action())
    }
}

impl fmt::Display for TimerChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TimerChange {
    type Err = ValidationError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value == "update" {
            return Ok(Self::Details);
        }
        value
            .parse::<HistoryAction>()
            .map(Self::Transition)
            .map_err(|_| ValidationError::UnknownValue {
                field: "action",
                allowed: "start, pause, resume, stop, cancel, update",
                value: value.to_owned(),
            })
    }
}

/// A command the state machine refused; the timer is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// The command is not allowed from the timer's status.
    #[error("Cannot {command} timer with status {status}")]
    InvalidTransition {
        /// The refused command.
        command: TimerCommand,
        /// The timer's status, unchanged.
        status: TimerStatus,
    },
    /// Pause or resume on a history that already holds [`PauseHistory::MAX_EVENTS`] events.
    #[error(
        "Cannot {command} timer: its pause_history already holds the maximum of {max} events; stop it instead",
        max = PauseHistory::MAX_EVENTS
    )]
    HistoryFull {
        /// The refused command.
        command: TimerCommand,
    },
}

/// What a new timer is made of; validated values only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTimer {
    /// Who owns (and alone controls) the timer.
    pub owner_id: UserId,
    /// The planned duration.
    pub allocated_duration: AllocatedDuration,
    /// Optional title.
    pub title: Option<Title>,
    /// Optional description.
    pub description: Option<Description>,
    /// Linked schedule; the caller has checked that it belongs to the owner.
    pub schedule_id: Option<ScheduleId>,
    /// Linked todo; the caller has checked that it belongs to the owner.
    pub todo_id: Option<TodoId>,
    /// Attached tags; the caller has checked that they belong to the owner.
    pub tag_ids: Vec<TagId>,
    /// Who else may read it.
    pub visibility: Visibility,
}

/// One field of a PATCH: absent keeps, `null` clears, a value sets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FieldUpdate<T> {
    /// Leave the field as it is.
    #[default]
    Keep,
    /// Set the field to null (or empty).
    Clear,
    /// Set the field to this value.
    Set(T),
}

impl<T: PartialEq> FieldUpdate<Option<T>> {
    fn apply_to(self, field: &mut Option<T>) -> bool {
        let new = match self {
            FieldUpdate::Keep => return false,
            FieldUpdate::Clear => None,
            FieldUpdate::Set(value) => value,
        };
        if *field == new {
            return false;
        }
        *field = new;
        true
    }
}

/// A metadata change (REST PATCH, or a linked schedule/todo/tag being deleted).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimerPatch {
    /// New title.
    pub title: FieldUpdate<Option<Title>>,
    /// New description.
    pub description: FieldUpdate<Option<Description>>,
    /// New schedule link (the caller checked ownership).
    pub schedule_id: FieldUpdate<Option<ScheduleId>>,
    /// New todo link (the caller checked ownership).
    pub todo_id: FieldUpdate<Option<TodoId>>,
    /// New tag set (`Clear` empties it; the caller checked ownership).
    pub tag_ids: FieldUpdate<Vec<TagId>>,
    /// New visibility.
    pub visibility: Option<Visibility>,
    /// New allocation (moves the instant its time is up).
    pub allocated_duration: Option<AllocatedDuration>,
}

/// Everything storage keeps about a timer; turned into a [`Timer`] by [`Timer::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerSnapshot {
    /// The id.
    pub id: TimerId,
    /// The owner.
    pub owner_id: UserId,
    /// Linked schedule.
    pub schedule_id: Option<ScheduleId>,
    /// Linked todo.
    pub todo_id: Option<TodoId>,
    /// Title.
    pub title: Option<Title>,
    /// Description.
    pub description: Option<Description>,
    /// Planned duration.
    pub allocated_duration: AllocatedDuration,
    /// Status.
    pub status: TimerStatus,
    /// Creation instant of the running interval; never changes.
    pub started_at: Timestamp,
    /// Set by pause, cleared by resume, kept by stop and cancel.
    pub paused_at: Option<Timestamp>,
    /// Set by stop and cancel.
    pub ended_at: Option<Timestamp>,
    /// The transitions so far.
    pub pause_history: PauseHistory,
    /// Attached tags.
    pub tag_ids: Vec<TagId>,
    /// Who else may read it.
    pub visibility: Visibility,
    /// 1 at creation, +1 per stored change.
    pub version: i64,
    /// Creation instant.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A stored timer whose fields contradict each other.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RestoreError {
    /// The history itself is malformed.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The status, instants or version disagree with the history.
    #[error("stored timer is inconsistent: {0}")]
    Inconsistent(&'static str),
}

/// One measured work session, owned by one user, controlled only through its state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    id: TimerId,
    owner_id: UserId,
    schedule_id: Option<ScheduleId>,
    todo_id: Option<TodoId>,
    title: Option<Title>,
    description: Option<Description>,
    allocated_duration: AllocatedDuration,
    status: TimerStatus,
    started_at: Timestamp,
    paused_at: Option<Timestamp>,
    ended_at: Option<Timestamp>,
    pause_history: PauseHistory,
    tag_ids: Vec<TagId>,
    visibility: Visibility,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl Timer {
    /// Creates a RUNNING timer whose history is a single `start` at `now`; version 1.
    pub fn start(id: TimerId, new: NewTimer, now: Timestamp) -> Self {
        Self {
            id,
            owner_id: new.owner_id,
            schedule_id: new.schedule_id,
            todo_id: new.todo_id,
            title: new.title,
            description: new.description,
            allocated_duration: new.allocated_duration,
            status: TimerStatus::Running,
            started_at: now,
            paused_at: None,
            ended_at: None,
            pause_history: PauseHistory::started(now),
            tag_ids: dedup_tags(new.tag_ids),
            visibility: new.visibility,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// Rebuilds a stored timer, refusing one whose status or instants contradict its history.
    pub fn restore(snapshot: TimerSnapshot) -> Result<Self, RestoreError> {
        let history = &snapshot.pause_history;
        let replayed_status =
            history
                .events()
                .iter()
                .skip(1)
                .fold(TimerStatus::Running, |status, event| match event.action {
                    HistoryAction::Pause => TimerStatus::Paused,
                    HistoryAction::Resume => TimerStatus::Running,
                    HistoryAction::Stop => TimerStatus::Completed,
                    HistoryAction::Cancel => TimerStatus::Cancelled,
                    HistoryAction::Start => status,
                });
        if replayed_status != snapshot.status {
            return Err(RestoreError::Inconsistent(
                "status differs from pause_history",
            ));
        }
        if history.events().first().map(|e| e.at) != Some(snapshot.started_at) {
            return Err(RestoreError::Inconsistent(
                "started_at differs from the start event",
            ));
        }
        if snapshot.version < 1 {
            return Err(RestoreError::Inconsistent("version must be at least 1"));
        }
        if snapshot.status.is_active() == snapshot.ended_at.is_some() {
            return Err(RestoreError::Inconsistent(
                "ended_at must be set exactly when the timer has ended",
            ));
        }
        Ok(Self {
            id: snapshot.id,
            owner_id: snapshot.owner_id,
            schedule_id: snapshot.schedule_id,
            todo_id: snapshot.todo_id,
            title: snapshot.title,
            description: snapshot.description,
            allocated_duration: snapshot.allocated_duration,
            status: snapshot.status,
            started_at: snapshot.started_at,
            paused_at: snapshot.paused_at,
            ended_at: snapshot.ended_at,
            pause_history: snapshot.pause_history,
            tag_ids: snapshot.tag_ids,
            visibility: snapshot.visibility,
            version: snapshot.version,
            created_at: snapshot.created_at,
            updated_at: snapshot.updated_at,
        })
    }

    /// Applies a command at `now`. On refusal nothing changes.
    ///
    /// `now` earlier than the last history event (a server clock stepping back) is taken as that
    /// event's instant, so history instants never decrease and elapsed never shrinks.
    pub fn apply(&mut self, command: TimerCommand, now: Timestamp) -> Result<(), TransitionError> {
        let Some(next_status) = command.target(self.status) else {
            return Err(TransitionError::InvalidTransition {
                command,
                status: self.status,
            });
        };
        let is_final = matches!(command, TimerCommand::Stop | TimerCommand::Cancel);
        if !is_final && self.pause_history.len() >= PauseHistory::MAX_EVENTS {
            return Err(TransitionError::HistoryFull { command });
        }
        let at = now.max(self.pause_history.last_at());
        let action = command.history_action();
        let elapsed = action.carries_elapsed().then(|| self.elapsed_at(at));
        self.pause_history.push(PauseEvent {
            action,
            at,
            elapsed,
        });
        match command {
            TimerCommand::Pause => self.paused_at = Some(at),
            TimerCommand::Resume => self.paused_at = None,
            TimerCommand::Stop | TimerCommand::Cancel => self.ended_at = Some(at),
        }
        self.status = next_status;
        self.touch(at);
        Ok(())
    }

    /// Applies a metadata change; returns whether anything changed (only then `version` grows).
    pub fn update_details(&mut self, patch: TimerPatch, now: Timestamp) -> bool {
        let mut changed = false;
        changed |= patch.title.apply_to(&mut self.title);
        changed |= patch.description.apply_to(&mut self.description);
        changed |= patch.schedule_id.apply_to(&mut self.schedule_id);
        changed |= patch.todo_id.apply_to(&mut self.todo_id);
        let new_tags = match patch.tag_ids {
            FieldUpdate::Keep => None,
            FieldUpdate::Clear => Some(Vec::new()),
            FieldUpdate::Set(tags) => Some(dedup_tags(tags)),
        };
        if let Some(tags) = new_tags
            && tags != self.tag_ids
        {
            self.tag_ids = tags;
            changed = true;
        }
        if let Some(visibility) = patch.visibility
            && visibility != self.visibility
        {
            self.visibility = visibility;
            changed = true;
        }
        if let Some(allocated) = patch.allocated_duration
            && allocated != self.allocated_duration
        {
            self.allocated_duration = allocated;
            changed = true;
        }
        if changed {
            self.touch(now.max(self.updated_at));
        }
        changed
    }

    fn touch(&mut self, at: Timestamp) {
        self.version += 1;
        self.updated_at = at;
    }

    /// Seconds spent RUNNING as of `now`: the closed intervals of the history plus, while
    /// RUNNING, the open one (never negative if `now` lags the last event).
    pub fn elapsed_at(&self, now: Timestamp) -> i64 {
        let closed = self.pause_history.closed_running_seconds();
        let open = match (self.status, self.pause_history.open_interval_start()) {
            (TimerStatus::Running, Some(since)) => now.seconds_since(since).max(0),
            _ => 0,
        };
        closed + open
    }

    /// Whether elapsed time exceeds the allocated duration as of `now`.
    pub fn overtime_at(&self, now: Timestamp) -> bool {
        self.elapsed_at(now) > self.allocated_duration.seconds()
    }

    /// Whether `viewer` may read this timer. `are_friends`: owner and viewer follow each other.
    pub fn readable_by(&self, viewer: UserId, are_friends: bool) -> bool {
        viewer == self.owner_id
            || self.visibility == Visibility::Public
            || (are_friends && self.visibility.visible_to_friends())
    }

    /// The id.
    pub fn id(&self) -> TimerId {
        self.id
    }
    /// The owner.
    pub fn owner_id(&self) -> UserId {
        self.owner_id
    }
    /// Linked schedule.
    pub fn schedule_id(&self) -> Option<ScheduleId> {
        self.schedule_id
    }
    /// Linked todo.
    pub fn todo_id(&self) -> Option<TodoId> {
        self.todo_id
    }
    /// Title.
    pub fn title(&self) -> Option<&Title> {
        self.title.as_ref()
    }
    /// Description.
    pub fn description(&self) -> Option<&Description> {
        self.description.as_ref()
    }
    /// Planned duration.
    pub fn allocated_duration(&self) -> AllocatedDuration {
        self.allocated_duration
    }
    /// Status.
    pub fn status(&self) -> TimerStatus {
        self.status
    }
    /// When the timer was created; never changes.
    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }
    /// Set by pause, cleared by resume, kept by stop and cancel.
    pub fn paused_at(&self) -> Option<Timestamp> {
        self.paused_at
    }
    /// Set by stop and cancel.
    pub fn ended_at(&self) -> Option<Timestamp> {
        self.ended_at
    }
    /// The transitions so far.
    pub fn pause_history(&self) -> &PauseHistory {
        &self.pause_history
    }
    /// Attached tags, without duplicates, in the order given.
    pub fn tag_ids(&self) -> &[TagId] {
        &self.tag_ids
    }
    /// Who else may read it.
    pub fn visibility(&self) -> Visibility {
        self.visibility
    }
    /// 1 at creation, +1 per stored change.
    pub fn version(&self) -> i64 {
        self.version
    }
    /// Creation instant.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }
    /// Last change.
    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }

    /// Everything storage needs to keep.
    pub fn to_snapshot(&self) -> TimerSnapshot {
        TimerSnapshot {
            id: self.id,
            owner_id: self.owner_id,
            schedule_id: self.schedule_id,
            todo_id: self.todo_id,
            title: self.title.clone(),
            description: self.description.clone(),
            allocated_duration: self.allocated_duration,
            status: self.status,
            started_at: self.started_at,
            paused_at: self.paused_at,
            ended_at: self.ended_at,
            pause_history: self.pause_history.clone(),
            tag_ids: self.tag_ids.clone(),
            visibility: self.visibility,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

fn dedup_tags(tags: Vec<TagId>) -> Vec<TagId> {
    let mut seen = std::collections::HashSet::with_capacity(tags.len());
    tags.into_iter().filter(|t| seen.insert(*t)).collect()
}

pub mod alarm;

#[cfg(test)]
mod tests;
