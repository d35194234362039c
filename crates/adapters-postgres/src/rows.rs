//! Row structs (what diesel reads and writes) and their conversions to and from domain values.
//!
//! No diesel derive ever sits on a domain type: rows are plain columns, and every conversion to a
//! domain value goes through the domain's own validating constructors, so corrupt rows surface as
//! [`DbError::Corrupt`] instead of invalid domain values.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Jsonb, Nullable, Text, Timestamptz};
use hourglass_domain::ids::{MeetupId, NotificationId, ScheduleId, TagId, TimerId, TodoId, UserId};
use hourglass_domain::meetup::{
    Capacity, Meetup, MeetupDescription, MeetupStatus, MeetupTitle, StoredMeetup,
};
use hourglass_domain::notification::{Notification, RelatedId, StoredNotification};
use hourglass_domain::planning::{Schedule, ScheduleWindow, Tag, Todo};
use hourglass_domain::profile::{Nickname, ProfileImage};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{
    HistoryAction, PauseEvent, PauseHistory, Timer, TimerChange, TimerSnapshot, TimerStatus,
};
use hourglass_domain::validation::{
    AllocatedDuration, Description, TagColor, TagName, Title, Visibility,
};
use hourglass_ports::processed::{ProcessedCommand, RecordedOutcome};
use hourglass_ports::user::User;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DbError, corrupt};
use crate::schema::{
    meetups, notifications, processed_commands, schedules, tags, timers, todos, users,
};

/// A domain instant as a column value.
pub(crate) fn ts(instant: Timestamp) -> DateTime<Utc> {
    instant.as_utc()
}

/// A column value as a domain instant. Values written by this adapter are whole seconds already;
/// truncation only matters for rows written by hand.
pub(crate) fn instant(value: DateTime<Utc>) -> Timestamp {
    Timestamp::from_utc(value)
}

// ---------------------------------------------------------------------------------------------
// Timers

/// One `pause_history` entry as stored in JSONB. Its own type, so that the stored shape never
/// changes because the domain's serde derives do.
#[derive(Debug, Serialize, Deserialize)]
struct StoredPauseEvent {
    action: String,
    at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    elapsed: Option<i64>,
}

/// `pause_history` as the JSONB value stored in `timers.pause_history`.
pub(crate) fn history_to_json(history: &PauseHistory) -> Result<serde_json::Value, DbError> {
    let events: Vec<StoredPauseEvent> = history
        .events()
        .iter()
        .map(|event| StoredPauseEvent {
            action: event.action.as_str().to_owned(),
            at: ts(event.at),
            elapsed: event.elapsed,
        })
        .collect();
    serde_json::to_value(events).map_err(|e| corrupt("pause_history", e))
}

fn history_from_json(value: serde_json::Value) -> Result<PauseHistory, DbError> {
    let stored: Vec<StoredPauseEvent> =
        serde_json::from_value(value).map_err(|e| corrupt("pause_history", e))?;
    let events = stored
        .into_iter()
        .map(|event| {
            Ok(PauseEvent {
                action: HistoryAction::from_str(&event.action)
                    .map_err(|e| corrupt("pause_history", e))?,
                at: instant(event.at),
                elapsed: event.elapsed,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    PauseHistory::from_events(events).map_err(|e| corrupt("pause_history", e))
}

/// The columns of `timers` written by insert and by every change.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = timers, treat_none_as_null = true)]
pub(crate) struct TimerRecord {
    pub(crate) id: Uuid,
    pub(crate) owner_id: i64,
    pub(crate) schedule_id: Option<Uuid>,
    pub(crate) todo_id: Option<Uuid>,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) allocated_duration: i32,
    pub(crate) status: String,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) paused_at: Option<DateTime<Utc>>,
    pub(crate) ended_at: Option<DateTime<Utc>>,
    pub(crate) pause_history: serde_json::Value,
    pub(crate) visibility: String,
    pub(crate) version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl TimerRecord {
    pub(crate) fn from_timer(timer: &Timer) -> Result<Self, DbError> {
        // One conversion of a timer into plain values ([`TimerRow::from_timer`]), whether it
        // goes into the columns or into a JSON document.
        let TimerRow {
            id,
            owner_id,
            schedule_id,
            todo_id,
            title,
            description,
            allocated_duration,
            status,
            started_at,
            paused_at,
            ended_at,
            pause_history,
            visibility,
            version,
            created_at,
            updated_at,
            tag_ids: _,
        } = TimerRow::from_timer(timer)?;
        Ok(Self {
            id,
            owner_id,
            schedule_id,
            todo_id,
            title,
            description,
            allocated_duration,
            status,
            started_at,
            paused_at,
            ended_at,
            pause_history,
            visibility,
            version,
            created_at,
            updated_at,
        })
    }
}

/// A timer as plain values: what [`crate::repository::timer`]'s queries read, tag ids included
/// (an `ARRAY(SELECT …)` column, so a page of timers is one round trip), and the JSON document
/// `processed_commands.timer` ([`timer_to_json`]).
///
/// The field names are JSON keys of stored documents too: renaming one makes the outcomes
/// remembered in the last 24 h unreadable.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, Serialize, Deserialize)]
pub(crate) struct TimerRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = BigInt)]
    owner_id: i64,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    schedule_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    todo_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    description: Option<String>,
    #[diesel(sql_type = Integer)]
    allocated_duration: i32,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    started_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    paused_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    ended_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Jsonb)]
    pause_history: serde_json::Value,
    #[diesel(sql_type = Text)]
    visibility: String,
    #[diesel(sql_type = BigInt)]
    version: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = Array<diesel::sql_types::Uuid>)]
    tag_ids: Vec<Uuid>,
}

impl TimerRow {
    /// `timer` as plain values; [`Timer::try_from`] reads them back.
    pub(crate) fn from_timer(timer: &Timer) -> Result<Self, DbError> {
        // Destructured, so that a field added to the snapshot cannot be forgotten here.
        let TimerSnapshot {
            id,
            owner_id,
            schedule_id,
            todo_id,
            title,
            description,
            allocated_duration,
            status,
            started_at,
            paused_at,
            ended_at,
            pause_history,
            tag_ids,
            visibility,
            version,
            created_at,
            updated_at,
        } = timer.to_snapshot();
        Ok(Self {
            id: id.get(),
            owner_id: owner_id.get(),
            schedule_id: schedule_id.map(ScheduleId::get),
            todo_id: todo_id.map(TodoId::get),
            title: title.map(|t| t.as_str().to_owned()),
            description: description.map(|d| d.as_str().to_owned()),
            allocated_duration: i32::try_from(allocated_duration.seconds())
                .map_err(|e| corrupt("allocated_duration", e))?,
            status: status.as_str().to_owned(),
            started_at: ts(started_at),
            paused_at: paused_at.map(ts),
            ended_at: ended_at.map(ts),
            pause_history: history_to_json(&pause_history)?,
            visibility: visibility.as_str().to_owned(),
            version,
            created_at: ts(created_at),
            updated_at: ts(updated_at),
            tag_ids: tag_ids.into_iter().map(TagId::get).collect(),
        })
    }
}

/// `timer` as the JSON document of `processed_commands.timer`.
pub(crate) fn timer_to_json(timer: &Timer) -> Result<serde_json::Value, DbError> {
    serde_json::to_value(TimerRow::from_timer(timer)?).map_err(|e| corrupt("timer", e))
}

/// The timer a [`timer_to_json`] document holds, validated like a row of `timers`.
pub(crate) fn timer_from_json(value: serde_json::Value) -> Result<Timer, DbError> {
    let row: TimerRow = serde_json::from_value(value).map_err(|e| corrupt("timer", e))?;
    Timer::try_from(row)
}

fn opt_title(value: Option<String>) -> Result<Option<Title>, DbError> {
    value
        .map(Title::restore)
        .transpose()
        .map_err(|e| corrupt("title", e))
}

fn opt_description(value: Option<String>) -> Result<Option<Description>, DbError> {
    value
        .map(Description::restore)
        .transpose()
        .map_err(|e| corrupt("description", e))
}

impl TryFrom<TimerRow> for Timer {
    type Error = DbError;

    fn try_from(row: TimerRow) -> Result<Self, Self::Error> {
        let snapshot = TimerSnapshot {
            id: TimerId::new(row.id),
            owner_id: UserId::new(row.owner_id),
            schedule_id: row.schedule_id.map(ScheduleId::new),
            todo_id: row.todo_id.map(TodoId::new),
            title: opt_title(row.title)?,
            description: opt_description(row.description)?,
            allocated_duration: AllocatedDuration::new(i64::from(row.allocated_duration))
                .map_err(|e| corrupt("allocated_duration", e))?,
            status: TimerStatus::from_str(&row.status).map_err(|e| corrupt("status", e))?,
            started_at: instant(row.started_at),
            paused_at: row.paused_at.map(instant),
            ended_at: row.ended_at.map(instant),
            pause_history: history_from_json(row.pause_history)?,
            tag_ids: row.tag_ids.into_iter().map(TagId::new).collect(),
            visibility: Visibility::from_str(&row.visibility)
                .map_err(|e| corrupt("visibility", e))?,
            version: row.version,
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
        };
        Timer::restore(snapshot).map_err(|e| corrupt("timer", e))
    }
}

// ---------------------------------------------------------------------------------------------
// Schedules, todos, tags

/// The columns of `schedules`.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = schedules, treat_none_as_null = true)]
pub(crate) struct ScheduleRecord {
    pub(crate) id: Uuid,
    pub(crate) owner_id: i64,
    pub(crate) title: String,
    pub(crate) description: Option<String>,
    pub(crate) start_time: DateTime<Utc>,
    pub(crate) end_time: DateTime<Utc>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl From<&Schedule> for ScheduleRecord {
    fn from(schedule: &Schedule) -> Self {
        Self {
            id: schedule.id.get(),
            owner_id: schedule.owner_id.get(),
            title: schedule.title.as_str().to_owned(),
            description: schedule.description.as_ref().map(|d| d.as_str().to_owned()),
            start_time: ts(schedule.window.start_time()),
            end_time: ts(schedule.window.end_time()),
            created_at: ts(schedule.created_at),
            updated_at: ts(schedule.updated_at),
        }
    }
}

/// A schedule with its tag ids, as read by `sql_query`.
#[derive(Debug, QueryableByName)]
pub(crate) struct ScheduleRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = BigInt)]
    owner_id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Nullable<Text>)]
    description: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    start_time: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    end_time: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = Array<diesel::sql_types::Uuid>)]
    tag_ids: Vec<Uuid>,
}

impl TryFrom<ScheduleRow> for Schedule {
    type Error = DbError;

    fn try_from(row: ScheduleRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: ScheduleId::new(row.id),
            owner_id: UserId::new(row.owner_id),
            title: Title::restore(row.title).map_err(|e| corrupt("title", e))?,
            description: opt_description(row.description)?,
            window: ScheduleWindow::new(instant(row.start_time), instant(row.end_time))
                .map_err(|e| corrupt("schedule window", e))?,
            tag_ids: row.tag_ids.into_iter().map(TagId::new).collect(),
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
        })
    }
}

/// The columns of `todos`.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = todos, treat_none_as_null = true)]
pub(crate) struct TodoRecord {
    pub(crate) id: Uuid,
    pub(crate) owner_id: i64,
    pub(crate) title: String,
    pub(crate) description: Option<String>,
    pub(crate) status: String,
    pub(crate) deadline: Option<DateTime<Utc>>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl From<&Todo> for TodoRecord {
    fn from(todo: &Todo) -> Self {
        Self {
            id: todo.id.get(),
            owner_id: todo.owner_id.get(),
            title: todo.title.as_str().to_owned(),
            description: todo.description.as_ref().map(|d| d.as_str().to_owned()),
            status: todo.status.as_str().to_owned(),
            deadline: todo.deadline.map(ts),
            created_at: ts(todo.created_at),
            updated_at: ts(todo.updated_at),
        }
    }
}

/// A todo with its tag ids, as read by `sql_query`.
#[derive(Debug, QueryableByName)]
pub(crate) struct TodoRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = BigInt)]
    owner_id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Nullable<Text>)]
    description: Option<String>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    deadline: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = Array<diesel::sql_types::Uuid>)]
    tag_ids: Vec<Uuid>,
}

impl TryFrom<TodoRow> for Todo {
    type Error = DbError;

    fn try_from(row: TodoRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: TodoId::new(row.id),
            owner_id: UserId::new(row.owner_id),
            title: Title::restore(row.title).map_err(|e| corrupt("title", e))?,
            description: opt_description(row.description)?,
            status: row.status.parse().map_err(|e| corrupt("status", e))?,
            deadline: row.deadline.map(instant),
            tag_ids: row.tag_ids.into_iter().map(TagId::new).collect(),
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
        })
    }
}

/// A row of `tags`, read and written by the query builder; also the JSON of a tag in an event's
/// snapshot (`to_jsonb` of the row, see `crate::event_bus`), so the field names are the columns'.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    Serialize,
    Deserialize,
)]
#[diesel(table_name = tags, check_for_backend(diesel::pg::Pg))]
pub(crate) struct TagRow {
    pub(crate) id: Uuid,
    pub(crate) owner_id: i64,
    pub(crate) name: String,
    pub(crate) color: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl From<&Tag> for TagRow {
    fn from(tag: &Tag) -> Self {
        Self {
            id: tag.id.get(),
            owner_id: tag.owner_id.get(),
            name: tag.name.as_str().to_owned(),
            color: tag.color.as_str().to_owned(),
            created_at: ts(tag.created_at),
            updated_at: ts(tag.updated_at),
        }
    }
}

impl TryFrom<TagRow> for Tag {
    type Error = DbError;

    fn try_from(row: TagRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: TagId::new(row.id),
            owner_id: UserId::new(row.owner_id),
            name: TagName::restore(&row.name).map_err(|e| corrupt("tag name", e))?,
            color: TagColor::new(&row.color).map_err(|e| corrupt("tag color", e))?,
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Users

/// A row of `users`. Also readable by `sql_query` (follow lists carry an extra cursor column
/// through [`FollowedUserRow`]).
#[derive(Debug, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub(crate) struct UserRow {
    pub(crate) id: i64,
    pub(crate) subject: String,
    pub(crate) nickname: String,
    pub(crate) profile_image: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = DbError;

    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: UserId::new(row.id),
            subject: row.subject,
            nickname: Nickname::parse(&row.nickname).map_err(|e| corrupt("nickname", e))?,
            profile_image: row
                .profile_image
                .as_deref()
                .map(ProfileImage::parse)
                .transpose()
                .map_err(|e| corrupt("profile_image", e))?,
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
        })
    }
}

/// A user in a follow list, with the instant the list is ordered by (the follow's, or for
/// friends the later of the two follows').
#[derive(Debug, QueryableByName)]
pub(crate) struct FollowedUserRow {
    #[diesel(embed)]
    pub(crate) user: UserRow,
    #[diesel(sql_type = Timestamptz)]
    pub(crate) listed_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------------
// Notifications

/// A row of `notifications`; also the JSON of a notification in an event's snapshot (see
/// `crate::event_bus`).
#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, QueryableByName, Serialize, Deserialize,
)]
#[diesel(table_name = notifications, check_for_backend(diesel::pg::Pg))]
pub(crate) struct NotificationRow {
    pub(crate) id: i64,
    pub(crate) receiver_id: i64,
    pub(crate) actor_id: Option<i64>,
    pub(crate) kind: String,
    pub(crate) message: String,
    /// The meetup a notification is about.
    pub(crate) related_id: Option<i64>,
    /// The timer a notification is about (no foreign key: the timer may be gone).
    pub(crate) related_timer_id: Option<Uuid>,
    pub(crate) related_type: String,
    pub(crate) redirect_url: String,
    pub(crate) is_read: bool,
    pub(crate) created_at: DateTime<Utc>,
}

/// The `related_id` (meetup) and `related_timer_id` columns of a notification's `relatedId`.
pub(crate) fn related_columns(related: Option<RelatedId>) -> (Option<i64>, Option<Uuid>) {
    match related {
        None => (None, None),
        Some(RelatedId::Meetup(meetup)) => (Some(meetup.get()), None),
        Some(RelatedId::Timer(timer)) => (None, Some(timer.get())),
    }
}

impl From<&Notification> for NotificationRow {
    fn from(notification: &Notification) -> Self {
        let (related_id, related_timer_id) = related_columns(notification.related_id());
        Self {
            id: notification.id().get(),
            receiver_id: notification.receiver().get(),
            actor_id: notification.actor().map(UserId::get),
            kind: notification.kind().as_str().to_owned(),
            message: notification.message().to_owned(),
            related_id,
            related_timer_id,
            related_type: notification.related_type().as_str().to_owned(),
            redirect_url: notification.redirect_url().to_owned(),
            is_read: notification.is_read(),
            created_at: ts(notification.created_at()),
        }
    }
}

impl TryFrom<NotificationRow> for Notification {
    type Error = DbError;

    fn try_from(row: NotificationRow) -> Result<Self, Self::Error> {
        Ok(Notification::restore(StoredNotification {
            id: NotificationId::new(row.id),
            receiver: UserId::new(row.receiver_id),
            actor: row.actor_id.map(UserId::new),
            kind: row.kind.parse().map_err(|e| corrupt("kind", e))?,
            message: row.message,
            related_id: match (row.related_id, row.related_timer_id) {
                (None, None) => None,
                (Some(meetup), None) => Some(RelatedId::Meetup(MeetupId::new(meetup))),
                (None, Some(timer)) => Some(RelatedId::Timer(TimerId::new(timer))),
                // The table's CHECK forbids it; refuse rather than pick one.
                (Some(_), Some(_)) => {
                    return Err(corrupt("related_id", "both a meetup and a timer id"));
                }
            },
            related_type: row
                .related_type
                .parse()
                .map_err(|e| corrupt("related_type", e))?,
            redirect_url: row.redirect_url,
            is_read: row.is_read,
            created_at: instant(row.created_at),
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// Meetups

/// A meetup with its participants in join order (host first), as read by `sql_query`.
#[derive(Debug, QueryableByName)]
pub(crate) struct MeetupRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    host_id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Timestamptz)]
    starts_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Integer>)]
    capacity: Option<i32>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = Array<BigInt>)]
    participants: Vec<i64>,
}

impl TryFrom<MeetupRow> for Meetup {
    type Error = DbError;

    fn try_from(row: MeetupRow) -> Result<Self, Self::Error> {
        Ok(Meetup::restore(StoredMeetup {
            id: MeetupId::new(row.id),
            host_id: UserId::new(row.host_id),
            title: MeetupTitle::restore(&row.title).map_err(|e| corrupt("title", e))?,
            description: MeetupDescription::restore(&row.description)
                .map_err(|e| corrupt("description", e))?,
            starts_at: instant(row.starts_at),
            capacity: row
                .capacity
                .map(|c| Capacity::new(i64::from(c)))
                .transpose()
                .map_err(|e| corrupt("capacity", e))?,
            status: MeetupStatus::from_str(&row.status).map_err(|e| corrupt("status", e))?,
            participants: row.participants.into_iter().map(UserId::new).collect(),
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
        }))
    }
}

/// The columns of a new `meetups` row (the id is an identity).
#[derive(Debug, Insertable)]
#[diesel(table_name = meetups)]
pub(crate) struct NewMeetupRecord {
    pub(crate) host_id: i64,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) starts_at: DateTime<Utc>,
    pub(crate) capacity: Option<i32>,
    pub(crate) status: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------------
// Processed commands

/// A row of `processed_commands`: a remembered outcome. Every row has one (`change` and `timer`
/// are `NOT NULL`): the key and its outcome are written together, in the command's transaction.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = processed_commands, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ProcessedCommandRow {
    pub(crate) command_type: String,
    pub(crate) change: String,
    pub(crate) timer: serde_json::Value,
    pub(crate) created_at: DateTime<Utc>,
}

impl TryFrom<ProcessedCommandRow> for ProcessedCommand {
    type Error = DbError;

    fn try_from(row: ProcessedCommandRow) -> Result<Self, Self::Error> {
        Ok(Self {
            command_type: row.command_type,
            outcome: RecordedOutcome {
                change: TimerChange::from_str(&row.change).map_err(|e| corrupt("change", e))?,
                timer: timer_from_json(row.timer)?,
            },
            created_at: instant(row.created_at),
        })
    }
}
