//! The worked-time report on the wire: [`ReportDto`] (JSON) and its CSV form ([`render_csv`]).

use hourglass_domain::report::{GroupKey, StatusSeconds};
use hourglass_ports::service::report::{ReportGroup, SummaryReport};
use serde::Serialize;
use utoipa::ToSchema;

/// Seconds by the status each timer has now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct ByStatusDto {
    /// Seconds of timers now COMPLETED.
    pub completed: i64,
    /// Seconds of timers now CANCELLED.
    pub cancelled: i64,
    /// Seconds of timers now RUNNING or PAUSED.
    pub active: i64,
}

impl From<StatusSeconds> for ByStatusDto {
    fn from(seconds: StatusSeconds) -> Self {
        Self {
            completed: seconds.completed,
            cancelled: seconds.cancelled,
            active: seconds.active,
        }
    }
}

/// The overall total: every timer counted once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportTotalDto {
    /// Seconds worked in the range.
    pub seconds: i64,
    /// The same seconds by status.
    pub by_status: ByStatusDto,
}

/// One group of the report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportGroupDto {
    /// `group_by=day`: the local date `YYYY-MM-DD`; `tag`, `schedule`, `todo`: the id, or
    /// `null` for the untagged or unlinked timers.
    pub key: Option<String>,
    /// The tag's name or the schedule's or todo's title; `null` for days and the `null` group.
    pub name: Option<String>,
    /// Seconds worked in this group inside the range.
    pub seconds: i64,
    /// The same seconds by status.
    pub by_status: ByStatusDto,
}

/// `GET /v1/reports/summary`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "from": "2026-03-28", "to": "2026-03-30", "timezone": "Europe/Berlin", "group_by": "day",
    "total": {"seconds": 86400, "by_status": {"completed": 82800, "cancelled": 0, "active": 3600}},
    "groups": [
        {"key": "2026-03-28", "name": null, "seconds": 3600,
         "by_status": {"completed": 0, "cancelled": 0, "active": 3600}},
        {"key": "2026-03-29", "name": null, "seconds": 82800,
         "by_status": {"completed": 82800, "cancelled": 0, "active": 0}}
    ]
}))]
pub struct ReportDto {
    /// The first day, as given (`YYYY-MM-DD`).
    pub from: String,
    /// The day after the last one, as given: the range is `[from, to)`.
    pub to: String,
    /// The zone whose local midnights cut the days: the `timezone` parameter, or `UTC`.
    pub timezone: String,
    /// `day`, `tag`, `schedule` or `todo`.
    pub group_by: String,
    /// Every timer counted once (a timer with two tags too).
    pub total: ReportTotalDto,
    /// `day`: every day of the range in order, zeros included. Otherwise the groups with at
    /// least one second, most seconds first, the `null` group (untagged or unlinked) last.
    pub groups: Vec<ReportGroupDto>,
}

/// The `key` of a group on the wire.
fn key_text(key: &GroupKey) -> Option<String> {
    match key {
        GroupKey::Day(date) => Some(date.format("%Y-%m-%d").to_string()),
        GroupKey::Tag(tag) => tag.map(|t| t.to_string()),
        GroupKey::Schedule(schedule) => schedule.map(|s| s.to_string()),
        GroupKey::Todo(todo) => todo.map(|t| t.to_string()),
    }
}

impl From<&ReportGroup> for ReportGroupDto {
    fn from(group: &ReportGroup) -> Self {
        Self {
            key: key_text(&group.key),
            name: group.name.clone(),
            seconds: group.seconds.total(),
            by_status: group.seconds.into(),
        }
    }
}

impl ReportDto {
    /// The wire form of `report`; `from`, `to` and `timezone` echo the request.
    pub fn render(report: &SummaryReport, from: String, to: String, timezone: String) -> Self {
        Self {
            from,
            to,
            timezone,
            group_by: report.group_by.as_str().to_owned(),
            total: ReportTotalDto {
                seconds: report.total.total(),
                by_status: report.total.into(),
            },
            groups: report.groups.iter().map(ReportGroupDto::from).collect(),
        }
    }
}

/// The CSV header row.
pub const CSV_HEADER: &str = "key,name,seconds,completed,cancelled,active";

/// The report as CSV (RFC 4180, CRLF line ends): [`CSV_HEADER`], one row per group in the JSON
/// order (an empty `key` is the `null` group), then a last row whose `key` is `total`.
pub fn render_csv(report: &ReportDto) -> String {
    let mut out = String::with_capacity(64 * (report.groups.len() + 2));
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    let mut row = |key: &str, name: &str, seconds: i64, by: &ByStatusDto| {
        out.push_str(&csv_field(key));
        out.push(',');
        out.push_str(&csv_field(name));
        out.push_str(&format!(
            ",{seconds},{},{},{}\r\n",
            by.completed, by.cancelled, by.active
        ));
    };
    for group in &report.groups {
        row(
            group.key.as_deref().unwrap_or(""),
            group.name.as_deref().unwrap_or(""),
            group.seconds,
            &group.by_status,
        );
    }
    row("total", "", report.total.seconds, &report.total.by_status);
    out
}

/// One field, quoted when it holds a comma, a quote or a line break (quotes doubled).
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by(completed: i64, cancelled: i64, active: i64) -> ByStatusDto {
        ByStatusDto {
            completed,
            cancelled,
            active,
        }
    }

    #[test]
    fn csv_has_a_header_a_row_per_group_and_a_total_row() {
        let report = ReportDto {
            from: "2026-01-01".to_owned(),
            to: "2026-01-02".to_owned(),
            timezone: "UTC".to_owned(),
            group_by: "tag".to_owned(),
            total: ReportTotalDto {
                seconds: 70,
                by_status: by(60, 0, 10),
            },
            groups: vec![
                ReportGroupDto {
                    key: Some("0190aaaa-0000-7000-8000-000000000001".to_owned()),
                    name: Some("deep, \"focused\" work".to_owned()),
                    seconds: 60,
                    by_status: by(60, 0, 0),
                },
                ReportGroupDto {
                    key: None,
                    name: None,
                    seconds: 10,
                    by_status: by(0, 0, 10),
                },
            ],
        };
        assert_eq!(
            render_csv(&report),
            "key,name,seconds,completed,cancelled,active\r\n\
             0190aaaa-0000-7000-8000-000000000001,\"deep, \"\"focused\"\" work\",60,60,0,0\r\n\
             ,,10,0,0,10\r\n\
             total,,70,60,0,10\r\n"
        );
    }
}
