//! The worked-time report: how many seconds a user's timers ran inside a range of days.
//!
//! What counts is the RUNNING intervals of each timer's `pause_history` (`start` and `resume`
//! open one; `pause`, `stop` and `cancel` close it), each clipped to the range; an interval still
//! open (a RUNNING timer) counts up to the `now` the caller passes in.
//!
//! This module knows no time zones. The caller (the HTTP edge) turns the requested dates and zone
//! into a [`Calendar`]: the UTC instant at which each local day begins and ends, so a 23 h or 25 h
//! day around a DST change is simply a shorter or longer bucket here. Everything below is integer
//! arithmetic on whole-second instants.
//!
//! Seconds are classified by the status the timer has *now* ([`StatusClass`]): a timer completed
//! today counts its whole range as `completed`, also the hours it ran last week.

use std::collections::HashMap;

use chrono::NaiveDate;
use thiserror::Error;

use crate::ids::{ScheduleId, TagId, TimerId, TodoId};
use crate::time::Timestamp;
use crate::timer::{HistoryAction, PauseHistory, TimerStatus};

/// The longest range a report may cover, in days.
pub const MAX_REPORT_DAYS: usize = 400;

/// One local day of a [`Calendar`]: `[start, end)` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySpan {
    /// The local date.
    pub date: NaiveDate,
    /// The first instant of the day (local midnight, or the first instant after it that exists).
    pub start: Timestamp,
    /// The first instant of the next day.
    pub end: Timestamp,
}

impl DaySpan {
    /// The day's length in seconds (82 800 on a spring-forward day in Europe, 90 000 in autumn).
    pub fn seconds(&self) -> i64 {
        self.end.seconds_since(self.start)
    }
}

/// Days that do not make a contiguous, ordered calendar.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    /// A day ends before it starts.
    #[error("day {date} ends before it starts")]
    NegativeDay {
        /// The day.
        date: NaiveDate,
    },
    /// A day does not start where the previous one ended, or its date does not follow.
    #[error("day {date} does not follow the day before it")]
    Gap {
        /// The day.
        date: NaiveDate,
    },
    /// The first day does not start at the calendar's start.
    #[error("the first day does not begin at the start of the range")]
    Misaligned,
    /// More than [`MAX_REPORT_DAYS`] days.
    #[error("a report covers at most {MAX_REPORT_DAYS} days, not {days}")]
    TooLong {
        /// How many were given.
        days: usize,
    },
}

/// The range of a report, `[start, end)`, cut into its local days.
///
/// Invariants (checked by [`Calendar::new`]): each day starts where the previous one ends, dates
/// follow each other, no day is negative, at most [`MAX_REPORT_DAYS`] days. An empty calendar is
/// an empty range (`from == to`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    start: Timestamp,
    days: Vec<DaySpan>,
}

impl Calendar {
    /// A calendar starting at `start` with these `days`, in order.
    ///
    /// # Errors
    /// [`CalendarError`] when the days are not contiguous and ordered, or too many.
    pub fn new(start: Timestamp, days: Vec<DaySpan>) -> Result<Self, CalendarError> {
        if days.len() > MAX_REPORT_DAYS {
            return Err(CalendarError::TooLong { days: days.len() });
        }
        let mut previous: Option<&DaySpan> = None;
        for day in &days {
            if day.end < day.start {
                return Err(CalendarError::NegativeDay { date: day.date });
            }
            match previous {
                None if day.start != start => return Err(CalendarError::Misaligned),
                Some(before)
                    if before.end != day.start || before.date.succ_opt() != Some(day.date) =>
                {
                    return Err(CalendarError::Gap { date: day.date });
                }
                _ => {}
            }
            previous = Some(day);
        }
        Ok(Self { start, days })
    }

    /// The first instant of the range.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The first instant after the range (the start itself for an empty range).
    pub fn end(&self) -> Timestamp {
        self.days.last().map_or(self.start, |day| day.end)
    }

    /// The days, in order.
    pub fn days(&self) -> &[DaySpan] {
        &self.days
    }
}

/// A RUNNING interval `[start, end)` of a timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    start: Timestamp,
    end: Timestamp,
}

impl Interval {
    /// `[start, end)`; an `end` before `start` makes an empty interval at `start`.
    pub fn new(start: Timestamp, end: Timestamp) -> Self {
        Self {
            start,
            end: end.max(start),
        }
    }

    /// The first instant.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The first instant after it.
    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// Seconds of this interval inside `[from, to)` (0 when they do not overlap).
    pub fn seconds_within(&self, from: Timestamp, to: Timestamp) -> i64 {
        let start = self.start.max(from);
        let end = self.end.min(to);
        end.seconds_since(start).max(0)
    }
}

/// The RUNNING intervals of a timer as their bounds, oldest first: `[open, close, open, close, …]`.
/// An odd count means the last interval is still open (the timer is RUNNING).
///
/// The report reads timers in this form instead of their whole [`PauseHistory`]: it is what the
/// sums need, and storage can keep it ready (`timers.run_bounds` in PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunBounds(Vec<Timestamp>);

/// Bounds that cannot be a timer's RUNNING intervals.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RunBoundsError {
    /// An instant before the one preceding it.
    #[error("run bound {index} is earlier than the one before it")]
    OutOfOrder {
        /// Its position.
        index: usize,
    },
}

impl RunBounds {
    /// The bounds of `history`'s RUNNING intervals: `start` and `resume` open one; the `pause`,
    /// `stop` or `cancel` right after an opening closes it (a `stop` after a `pause` closes
    /// nothing).
    pub fn of(history: &PauseHistory) -> Self {
        let mut bounds = Vec::with_capacity(history.len());
        let mut open = false;
        for event in history.events() {
            match event.action {
                // A validated history never opens twice; keep the first opening if it did.
                HistoryAction::Start | HistoryAction::Resume if !open => {
                    bounds.push(event.at);
                    open = true;
                }
                HistoryAction::Pause | HistoryAction::Stop | HistoryAction::Cancel if open => {
                    bounds.push(event.at);
                    open = false;
                }
                _ => {}
            }
        }
        Self(bounds)
    }

    /// Bounds read back from storage.
    ///
    /// # Errors
    /// [`RunBoundsError::OutOfOrder`] when an instant is earlier than the one before it.
    pub fn from_instants(instants: Vec<Timestamp>) -> Result<Self, RunBoundsError> {
        if let Some(index) = instants
            .windows(2)
            .position(|pair| matches!(pair, [before, after] if after < before))
        {
            return Err(RunBoundsError::OutOfOrder { index: index + 1 });
        }
        Ok(Self(instants))
    }

    /// The bounds, oldest first.
    pub fn instants(&self) -> &[Timestamp] {
        &self.0
    }

    /// The intervals, oldest first; one still open ends at `now` (or is empty when `now` is
    /// before it began).
    pub fn intervals(&self, now: Timestamp) -> Vec<Interval> {
        let mut intervals = Vec::with_capacity(self.0.len().div_ceil(2));
        let mut bounds = self.0.iter();
        while let Some(&start) = bounds.next() {
            let end = bounds.next().copied().unwrap_or(now);
            intervals.push(Interval::new(start, end));
        }
        intervals
    }
}

/// The RUNNING intervals of `history`, oldest first; one still open ends at `now` (or is empty
/// when `now` is before it began).
pub fn running_intervals(history: &PauseHistory, now: Timestamp) -> Vec<Interval> {
    RunBounds::of(history).intervals(now)
}

/// How a timer's seconds are classified: by the status it has now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusClass {
    /// COMPLETED (stopped).
    Completed,
    /// CANCELLED.
    Cancelled,
    /// RUNNING or PAUSED.
    Active,
}

impl From<TimerStatus> for StatusClass {
    fn from(status: TimerStatus) -> Self {
        match status {
            TimerStatus::Completed => Self::Completed,
            TimerStatus::Cancelled => Self::Cancelled,
            TimerStatus::Running | TimerStatus::Paused => Self::Active,
        }
    }
}

/// Seconds, split by [`StatusClass`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusSeconds {
    /// Seconds of timers now COMPLETED.
    pub completed: i64,
    /// Seconds of timers now CANCELLED.
    pub cancelled: i64,
    /// Seconds of timers now RUNNING or PAUSED.
    pub active: i64,
}

impl StatusSeconds {
    /// The sum of the three.
    pub fn total(&self) -> i64 {
        self.completed + self.cancelled + self.active
    }

    /// Adds `seconds` to `class`.
    pub fn add(&mut self, class: StatusClass, seconds: i64) {
        match class {
            StatusClass::Completed => self.completed += seconds,
            StatusClass::Cancelled => self.cancelled += seconds,
            StatusClass::Active => self.active += seconds,
        }
    }

    /// Adds every class of `other`.
    pub fn add_all(&mut self, other: &StatusSeconds) {
        self.completed += other.completed;
        self.cancelled += other.cancelled;
        self.active += other.active;
    }
}

/// What a report is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// One group per local day of the range, every day listed.
    Day,
    /// One group per tag; a timer with several tags counts in each; untagged timers in one group.
    Tag,
    /// One group per linked schedule; unlinked timers in one group.
    Schedule,
    /// One group per linked todo; unlinked timers in one group.
    Todo,
}

impl GroupBy {
    /// Every grouping, in wire order.
    pub const ALL: [GroupBy; 4] = [Self::Day, Self::Tag, Self::Schedule, Self::Todo];

    /// The wire value (`day`, `tag`, `schedule`, `todo`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Tag => "tag",
            Self::Schedule => "schedule",
            Self::Todo => "todo",
        }
    }

    /// The wire value, case-insensitive.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(raw))
    }
}

/// The key of one group of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKey {
    /// A local day.
    Day(NaiveDate),
    /// A tag, or `None` for the untagged timers.
    Tag(Option<TagId>),
    /// A schedule, or `None` for the timers linked to none.
    Schedule(Option<ScheduleId>),
    /// A todo, or `None` for the timers linked to none.
    Todo(Option<TodoId>),
}

impl GroupKey {
    /// Whether this is the group of untagged or unlinked timers.
    pub fn is_none_group(&self) -> bool {
        matches!(
            self,
            Self::Tag(None) | Self::Schedule(None) | Self::Todo(None)
        )
    }
}

/// A timer as the report reads it: its status, links and RUNNING intervals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkedTimer {
    /// The timer.
    pub id: TimerId,
    /// Its status now, which classifies all its seconds.
    pub status: TimerStatus,
    /// Its schedule, if linked.
    pub schedule_id: Option<ScheduleId>,
    /// Its todo, if linked.
    pub todo_id: Option<TodoId>,
    /// Its tags (only loaded when the report is grouped by tag; empty otherwise).
    pub tag_ids: Vec<TagId>,
    /// Its RUNNING intervals.
    pub runs: RunBounds,
}

/// One group of a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSeconds {
    /// The group.
    pub key: GroupKey,
    /// Its seconds.
    pub seconds: StatusSeconds,
}

/// The seconds worked in a calendar's range, per group and overall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Every timer counted once, whatever the grouping.
    pub total: StatusSeconds,
    /// [`GroupBy::Day`]: every day of the calendar in order, zeros included. Otherwise: the groups
    /// with at least one second, most seconds first (ties by key), the untagged or unlinked
    /// group last.
    pub groups: Vec<GroupSeconds>,
}

/// Seconds of `intervals` in each day of `days`, added to `out` (one slot per day) under `class`.
fn add_per_day(
    intervals: &[Interval],
    days: &[DaySpan],
    class: StatusClass,
    out: &mut [StatusSeconds],
) {
    for interval in intervals {
        // The first day that ends after the interval starts.
        let first = days.partition_point(|day| day.end <= interval.start());
        for (day, slot) in days[first..].iter().zip(out[first..].iter_mut()) {
            if day.start >= interval.end() {
                break;
            }
            slot.add(class, interval.seconds_within(day.start, day.end));
        }
    }
}

/// The report of `timers` over `calendar`, grouped by `group_by`; open intervals end at `now`.
pub fn summarize(
    timers: &[WorkedTimer],
    calendar: &Calendar,
    group_by: GroupBy,
    now: Timestamp,
) -> Summary {
    let (from, to) = (calendar.start(), calendar.end());
    let mut total = StatusSeconds::default();
    if group_by == GroupBy::Day {
        let days = calendar.days();
        let mut per_day = vec![StatusSeconds::default(); days.len()];
        for timer in timers {
            let class = StatusClass::from(timer.status);
            let intervals = timer.runs.intervals(now);
            add_per_day(&intervals, days, class, &mut per_day);
        }
        let groups: Vec<GroupSeconds> = days
            .iter()
            .zip(per_day)
            .map(|(day, seconds)| {
                total.add_all(&seconds);
                GroupSeconds {
                    key: GroupKey::Day(day.date),
                    seconds,
                }
            })
            .collect();
        return Summary { total, groups };
    }
    let mut groups: HashMap<GroupKey, StatusSeconds> = HashMap::new();
    for timer in timers {
        let seconds: i64 = timer
            .runs
            .intervals(now)
            .iter()
            .map(|interval| interval.seconds_within(from, to))
            .sum();
        if seconds == 0 {
            continue;
        }
        let class = StatusClass::from(timer.status);
        total.add(class, seconds);
        match group_by {
            GroupBy::Tag if !timer.tag_ids.is_empty() => {
                let mut seen = Vec::with_capacity(timer.tag_ids.len());
                for tag in &timer.tag_ids {
                    // A tag listed twice still counts the timer once in its group.
                    if !seen.contains(tag) {
                        seen.push(*tag);
                        groups
                            .entry(GroupKey::Tag(Some(*tag)))
                            .or_default()
                            .add(class, seconds);
                    }
                }
            }
            GroupBy::Tag => groups
                .entry(GroupKey::Tag(None))
                .or_default()
                .add(class, seconds),
            GroupBy::Schedule => groups
                .entry(GroupKey::Schedule(timer.schedule_id))
                .or_default()
                .add(class, seconds),
            // `Day` returned above; it shares this arm only to keep the match exhaustive.
            GroupBy::Todo | GroupBy::Day => groups
                .entry(GroupKey::Todo(timer.todo_id))
                .or_default()
                .add(class, seconds),
        }
    }
    let mut groups: Vec<GroupSeconds> = groups
        .into_iter()
        .map(|(key, seconds)| GroupSeconds { key, seconds })
        .collect();
    groups.sort_by(|a, b| {
        a.key
            .is_none_group()
            .cmp(&b.key.is_none_group())
            .then_with(|| b.seconds.total().cmp(&a.seconds.total()))
            .then_with(|| a.key.cmp(&b.key))
    });
    Summary { total, groups }
}

#[cfg(test)]
mod tests;
