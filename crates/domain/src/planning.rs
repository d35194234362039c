//! Schedules, todos and tags: the owner-scoped things timers link to.
//!
//! They carry few rules of their own (a schedule ends no earlier than it starts, a todo has one of
//! three statuses, a tag has a name and a `#RRGGBB` color); what matters to timers is that a link
//! only ever points at the caller's own objects, which the application services check.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::{ScheduleId, TagId, TodoId, UserId};
use crate::time::Timestamp;
use crate::validation::{Description, TagColor, TagName, Title, ValidationError};

/// A schedule's start and end; the end is never before the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleWindow {
    start_time: Timestamp,
    end_time: Timestamp,
}

impl ScheduleWindow {
    /// Refuses an end before the start (equal is a zero-length entry, allowed).
    pub fn new(start_time: Timestamp, end_time: Timestamp) -> Result<Self, ValidationError> {
        if end_time < start_time {
            return Err(ValidationError::EndBeforeStart {
                start_field: "start_time",
                end_field: "end_time",
            });
        }
        Ok(Self {
            start_time,
            end_time,
        })
    }

    /// When it starts.
    pub fn start_time(self) -> Timestamp {
        self.start_time
    }

    /// When it ends.
    pub fn end_time(self) -> Timestamp {
        self.end_time
    }
}

/// A calendar entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The id.
    pub id: ScheduleId,
    /// The owner; only they can read it or link timers to it.
    pub owner_id: UserId,
    /// Title.
    pub title: Title,
    /// Optional description.
    pub description: Option<Description>,
    /// Start and end.
    pub window: ScheduleWindow,
    /// Attached tags.
    pub tag_ids: Vec<TagId>,
    /// Creation instant.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// Where a todo stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TodoStatus {
    /// Not started.
    #[default]
    Todo,
    /// Being worked on.
    InProgress,
    /// Finished.
    Done,
}

impl TodoStatus {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Todo => "TODO",
            Self::InProgress => "IN_PROGRESS",
            Self::Done => "DONE",
        }
    }
}

impl fmt::Display for TodoStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TodoStatus {
    type Err = ValidationError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        [Self::Todo, Self::InProgress, Self::Done]
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| ValidationError::UnknownValue {
                field: "status",
                allowed: "TODO, IN_PROGRESS, DONE",
                value: value.to_owned(),
            })
    }
}

/// A task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Todo {
    /// The id.
    pub id: TodoId,
    /// The owner.
    pub owner_id: UserId,
    /// Title.
    pub title: Title,
    /// Optional description.
    pub description: Option<Description>,
    /// Status.
    pub status: TodoStatus,
    /// Optional deadline.
    pub deadline: Option<Timestamp>,
    /// Attached tags.
    pub tag_ids: Vec<TagId>,
    /// Creation instant.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A label for timers, schedules and todos; its name is unique per owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The id.
    pub id: TagId,
    /// The owner.
    pub owner_id: UserId,
    /// Name, unique per owner.
    pub name: TagName,
    /// Color.
    pub color: TagColor,
    /// Creation instant.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        let Some(t) = Timestamp::from_unix_seconds(seconds) else {
            panic!("in range")
        };
        t
    }

    #[test]
    fn schedule_window_refuses_end_before_start() {
        let Err(err) = ScheduleWindow::new(at(10), at(9)) else {
            panic!("must be refused")
        };
        assert_eq!(err.to_string(), "end_time must not be before start_time");
        assert!(ScheduleWindow::new(at(10), at(10)).is_ok());
    }

    #[test]
    fn todo_status_uses_wire_values() {
        assert_eq!("IN_PROGRESS".parse(), Ok(TodoStatus::InProgress));
        assert_eq!(TodoStatus::Done.as_str(), "DONE");
        assert!("in_progress".parse::<TodoStatus>().is_err());
        assert_eq!(TodoStatus::default(), TodoStatus::Todo);
    }
}
