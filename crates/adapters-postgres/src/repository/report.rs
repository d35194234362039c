//! [`ReportRepository`] on PostgreSQL: read-only queries of the worked-time report.
//!
//! [`WORKED_TIMERS`] selects the owner's timers that overlap the range: `started_at < to` and not
//! ended before `from` (`ended_at IS NULL OR ended_at > from`). No RUNNING interval of a timer
//! starts before `started_at` or ends after `ended_at`, so no timer that ran inside the range is
//! left out. No index of its own: `timers_owner_started_idx (owner_id, started_at)` serves the
//! `started_at` bound, and for a range that ends near today the bound matches the owner's whole
//! history anyway, which PostgreSQL reads with a sequential scan (`docs/benchmarks.md`, issue
//! 18, has the plans).
//!
//! Only the columns the report needs are read. The RUNNING intervals come from `run_bounds`, the
//! `int8[]` PostgreSQL generates from `pause_history` (migration `2026-01-04-000004`), sent in
//! binary: reading `pause_history` itself meant turning each JSONB value into text and parsing it
//! again, three quarters of the report's time over a year (`docs/benchmarks.md`, issue 18). Tag
//! ids are read only when the report is grouped by tag. The report never writes and takes no
//! lock.

use std::collections::HashMap;
use std::str::FromStr;

use async_trait::async_trait;
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use hourglass_domain::ids::{ScheduleId, TagId, TimerId, TodoId, UserId};
use hourglass_domain::report::{GroupBy, RunBounds, WorkedTimer};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::TimerStatus;
use hourglass_ports::error::StorageError;
use hourglass_ports::report::ReportRepository;
use uuid::Uuid;

use crate::error::{DbError, corrupt};
use crate::pool::PgPool;
use crate::rows::ts;
use crate::statement::CachedSql;

type SqlUuid = diesel::sql_types::Uuid;

/// The report's columns of `timers t`; append the tag ids column.
macro_rules! report_columns {
    () => {
        "SELECT t.id, t.status, t.schedule_id, t.todo_id, t.run_bounds, "
    };
}

/// The `WHERE` of the timers overlapping `[$2, $3)` of owner `$1`.
macro_rules! report_overlap {
    () => {
        "WHERE t.owner_id = $1 AND t.started_at < $3 \
           AND (t.ended_at IS NULL OR t.ended_at > $2)"
    };
}

/// The timers of owner `$1` that may have run in `[$2, $3)`, without their tags.
pub const WORKED_TIMERS: &str = concat!(
    report_columns!(),
    "'{}'::uuid[] AS tag_ids FROM timers t ",
    report_overlap!()
);

/// [`WORKED_TIMERS`] with each timer's tag ids, in link order. The owner's links are grouped
/// once and hash-joined: an `ARRAY(SELECT …)` per timer, as the timer lists use, costs one
/// index lookup per row, 3.4 times slower over 20 000 timers (`docs/benchmarks.md`).
pub const WORKED_TIMERS_WITH_TAGS: &str = concat!(
    report_columns!(),
    "coalesce(tg.tag_ids, '{}'::uuid[]) AS tag_ids FROM timers t \
     LEFT JOIN (SELECT tt.timer_id, array_agg(tt.tag_id ORDER BY tt.position) AS tag_ids \
                FROM timer_tags tt WHERE tt.owner_id = $1 GROUP BY tt.timer_id) AS tg \
       ON tg.timer_id = t.id ",
    report_overlap!()
);

const TAG_NAMES: &str = "SELECT id, name FROM tags WHERE owner_id = $1 AND id = ANY($2::uuid[])";
const SCHEDULE_TITLES: &str =
    "SELECT id, title AS name FROM schedules WHERE owner_id = $1 AND id = ANY($2::uuid[])";
const TODO_TITLES: &str =
    "SELECT id, title AS name FROM todos WHERE owner_id = $1 AND id = ANY($2::uuid[])";

/// One timer as the report reads it.
#[derive(Debug, QueryableByName)]
struct WorkedTimerRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    schedule_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    todo_id: Option<Uuid>,
    #[diesel(sql_type = Array<BigInt>)]
    run_bounds: Vec<i64>,
    #[diesel(sql_type = Array<SqlUuid>)]
    tag_ids: Vec<Uuid>,
}

impl TryFrom<WorkedTimerRow> for WorkedTimer {
    type Error = DbError;

    fn try_from(row: WorkedTimerRow) -> Result<Self, Self::Error> {
        let instants = row
            .run_bounds
            .into_iter()
            .map(|seconds| {
                Timestamp::from_unix_seconds(seconds)
                    .ok_or_else(|| corrupt("run_bounds", format!("instant {seconds} out of range")))
            })
            .collect::<Result<Vec<_>, DbError>>()?;
        Ok(WorkedTimer {
            id: TimerId::new(row.id),
            status: TimerStatus::from_str(&row.status).map_err(|e| corrupt("status", e))?,
            schedule_id: row.schedule_id.map(ScheduleId::new),
            todo_id: row.todo_id.map(TodoId::new),
            tag_ids: row.tag_ids.into_iter().map(TagId::new).collect(),
            runs: RunBounds::from_instants(instants).map_err(|e| corrupt("run_bounds", e))?,
        })
    }
}

/// An id and its display name.
#[derive(Debug, QueryableByName)]
struct NameRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    name: String,
}

/// [`ReportRepository`] over the shared pool.
#[derive(Clone)]
pub struct PgReportRepository {
    pool: PgPool,
}

impl PgReportRepository {
    /// A repository using `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl std::fmt::Debug for PgReportRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgReportRepository").finish_non_exhaustive()
    }
}

#[async_trait]
impl ReportRepository for PgReportRepository {
    async fn worked_timers(
        &self,
        owner: UserId,
        from: Timestamp,
        to: Timestamp,
        with_tags: bool,
    ) -> Result<Vec<WorkedTimer>, StorageError> {
        let sql = if with_tags {
            WORKED_TIMERS_WITH_TAGS
        } else {
            WORKED_TIMERS
        };
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<WorkedTimerRow> = CachedSql::new(sql)
            .bind::<BigInt, _>(owner.get())
            .bind::<Timestamptz, _>(ts(from))
            .bind::<Timestamptz, _>(ts(to))
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(rows
            .into_iter()
            .map(WorkedTimer::try_from)
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn names(
        &self,
        owner: UserId,
        group_by: GroupBy,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, String>, StorageError> {
        let sql = match group_by {
            GroupBy::Day => return Ok(HashMap::new()),
            GroupBy::Tag => TAG_NAMES,
            GroupBy::Schedule => SCHEDULE_TITLES,
            GroupBy::Todo => TODO_TITLES,
        };
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<NameRow> = CachedSql::new(sql)
            .bind::<BigInt, _>(owner.get())
            .bind::<Array<SqlUuid>, _>(ids.to_vec())
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(rows.into_iter().map(|row| (row.id, row.name)).collect())
    }
}
