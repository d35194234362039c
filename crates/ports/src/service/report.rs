//! The worked-time report use case (`GET /v1/reports/summary`).
//!
//! The caller (the HTTP edge) turns the requested dates and time zone into a
//! [`Calendar`] of UTC day boundaries; this service loads the timers that may have run in that
//! range, reads "now" from the [`Clock`] for the intervals still open, sums them with
//! [`hourglass_domain::report::summarize`], and names the groups. It never writes.

use std::sync::Arc;

use hourglass_domain::ids::UserId;
use hourglass_domain::report::{Calendar, GroupBy, GroupKey, StatusSeconds, summarize};
use hourglass_domain::time::Timestamp;
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::StorageError;
use crate::report::ReportRepository;

/// One group of a [`SummaryReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportGroup {
    /// The day, tag, schedule or todo (`None` inside for untagged or unlinked timers).
    pub key: GroupKey,
    /// The tag's name or the schedule's or todo's title; `None` for days and the none group.
    pub name: Option<String>,
    /// Seconds worked in this group, by status.
    pub seconds: StatusSeconds,
}

/// The answer of [`ReportService::summary`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryReport {
    /// The range it covers.
    pub calendar: Calendar,
    /// How it is grouped.
    pub group_by: GroupBy,
    /// Every timer counted once.
    pub total: StatusSeconds,
    /// The groups, in the order of [`hourglass_domain::report::Summary::groups`].
    pub groups: Vec<ReportGroup>,
    /// The instant open intervals were counted up to.
    pub now: Timestamp,
}

/// The report use case for a signed-in user.
#[derive(Clone)]
pub struct ReportService {
    reports: Arc<dyn ReportRepository>,
    clock: Arc<dyn Clock>,
}

impl ReportService {
    /// Wires the service to its ports.
    pub fn new(reports: Arc<dyn ReportRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { reports, clock }
    }

    /// The seconds `owner` worked inside `calendar`, grouped by `group_by`.
    ///
    /// An empty calendar (`from == to`) answers zeros without reading storage.
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn summary(
        &self,
        owner: UserId,
        calendar: Calendar,
        group_by: GroupBy,
    ) -> Result<SummaryReport, StorageError> {
        let now = self.clock.now();
        let timers = if calendar.start() == calendar.end() {
            Vec::new()
        } else {
            self.reports
                .worked_timers(
                    owner,
                    calendar.start(),
                    calendar.end(),
                    group_by == GroupBy::Tag,
                )
                .await?
        };
        let summary = summarize(&timers, &calendar, group_by, now);
        let ids: Vec<Uuid> = summary
            .groups
            .iter()
            .filter_map(|group| group_uuid(&group.key))
            .collect();
        let names = if ids.is_empty() {
            Default::default()
        } else {
            self.reports.names(owner, group_by, &ids).await?
        };
        let groups = summary
            .groups
            .into_iter()
            .map(|group| ReportGroup {
                name: group_uuid(&group.key).and_then(|id| names.get(&id).cloned()),
                key: group.key,
                seconds: group.seconds,
            })
            .collect();
        Ok(SummaryReport {
            calendar,
            group_by,
            total: summary.total,
            groups,
            now,
        })
    }
}

/// The id inside a tag, schedule or todo key.
fn group_uuid(key: &GroupKey) -> Option<Uuid> {
    match key {
        GroupKey::Day(_) => None,
        GroupKey::Tag(tag) => tag.map(|t| t.get()),
        GroupKey::Schedule(schedule) => schedule.map(|s| s.get()),
        GroupKey::Todo(todo) => todo.map(|t| t.get()),
    }
}

#[cfg(test)]
mod tests;
