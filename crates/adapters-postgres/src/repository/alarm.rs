//! [`AlarmRepository`] on PostgreSQL, and the alarm row every timer write keeps up to date.
//!
//! `timer_alarms` holds one row per active timer: the instant of its next alarm (`due_at`, null
//! while paused or when nothing is pending) and the allocation each alarm last went off for.
//! The timer repository writes it in the transaction of every change, under the timer's row
//! lock (`due_at` computes the instant); the scheduler claims due rows with
//! `FOR UPDATE … SKIP LOCKED` together with their timers, so two instances never claim the
//! same row, a command on a claimed timer waits for the claim to commit, and a claim never
//! waits for anything.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hourglass_domain::notification::NotificationDraft;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::Timer;
use hourglass_domain::timer::alarm::{AlarmKind, AlarmPolicy, FiredAlarms};
use hourglass_domain::validation::AllocatedDuration;
use hourglass_ports::alarm::{AlarmRepository, FiredAlarm, LATE_AFTER_SECONDS};
use hourglass_ports::error::StorageError;

use super::notification::insert_drafts;
use crate::error::{DbError, TxError};
use crate::event_bus::Announcement;
use crate::outbox::{enqueue, kick};
use crate::pool::PgPool;
use crate::rows::{TimerRow, instant, ts};
use crate::statement::CachedSql;

type SqlUuid = diesel::sql_types::Uuid;

/// The due alarms with their timers, earliest first, locked; rows another instance holds are
/// skipped, not waited for. `$1` now, `$2` the batch size.
const CLAIM_DUE: &str = concat!(
    "SELECT ",
    timer_columns!(),
    ", a.due_at AS alarm_due_at, a.time_up_fired_for, a.forgotten_fired_for \
     FROM timer_alarms a JOIN timers t ON t.id = a.timer_id \
     WHERE a.due_at <= $1 \
     ORDER BY a.due_at \
     LIMIT $2 \
     FOR UPDATE OF a, t SKIP LOCKED"
);

/// Writes back the claimed rows: the next instant and what went off.
const UPDATE_CLAIMED: &str = "UPDATE timer_alarms a \
     SET due_at = u.due_at, time_up_fired_for = u.time_up, forgotten_fired_for = u.forgotten \
     FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::int[]) \
          AS u(timer_id, due_at, time_up, forgotten) \
     WHERE a.timer_id = u.timer_id";

/// The alarm row of a new timer.
const INSERT_ALARM: &str =
    "INSERT INTO timer_alarms (timer_id, owner_id, due_at) VALUES ($1, $2, $3)";

/// What a timer's alarm row says besides its instant.
#[derive(Debug, Default, QueryableByName)]
pub(crate) struct AlarmFlags {
    #[diesel(sql_type = Nullable<Integer>)]
    time_up_fired_for: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    forgotten_fired_for: Option<i32>,
}

impl AlarmFlags {
    /// The domain's view. A value no allocation can have (a corrupt row) counts as "never went
    /// off", so the alarm goes off again rather than never.
    pub(crate) fn fired(&self) -> FiredAlarms {
        let allocation = |value: Option<i32>| {
            value.and_then(|seconds| AllocatedDuration::new(i64::from(seconds)).ok())
        };
        FiredAlarms {
            time_up_for: allocation(self.time_up_fired_for),
            forgotten_for: allocation(self.forgotten_fired_for),
        }
    }
}

/// A timer with its alarm flags, as the command lock reads it.
#[derive(Debug, QueryableByName)]
pub(crate) struct TimerWithAlarms {
    #[diesel(embed)]
    pub(crate) timer: TimerRow,
    #[diesel(embed)]
    pub(crate) flags: AlarmFlags,
}

/// A claimed row.
#[derive(Debug, QueryableByName)]
struct ClaimedRow {
    #[diesel(embed)]
    timer: TimerRow,
    #[diesel(embed)]
    flags: AlarmFlags,
    #[diesel(sql_type = Timestamptz)]
    alarm_due_at: DateTime<Utc>,
}

/// The `due_at` to store for `timer` after a change written at `written_at`: its next pending
/// alarm's instant, but never before the change itself (a lowered allocation makes the alarm
/// due at once, not late); null when nothing is pending.
pub(crate) fn due_at(
    timer: &Timer,
    fired: &FiredAlarms,
    policy: AlarmPolicy,
    written_at: Timestamp,
) -> Option<DateTime<Utc>> {
    fired
        .next(timer, policy)
        .map(|alarm| ts(alarm.due_at.max(written_at)))
}

/// Writes the alarm row of a new timer (nothing went off yet); an ended one gets none.
pub(crate) async fn insert_alarm(
    conn: &mut AsyncPgConnection,
    timer: &Timer,
    policy: AlarmPolicy,
) -> Result<(), DbError> {
    if !timer.status().is_active() {
        return Ok(());
    }
    let due = due_at(timer, &FiredAlarms::default(), policy, timer.created_at());
    CachedSql::new(INSERT_ALARM)
        .bind::<SqlUuid, _>(timer.id().get())
        .bind::<BigInt, _>(timer.owner_id().get())
        .bind::<Nullable<Timestamptz>, _>(due)
        .execute(conn)
        .await?;
    Ok(())
}

/// The notification an alarm leaves in the owner's list.
fn draft(kind: AlarmKind, timer: &Timer, now: Timestamp) -> NotificationDraft {
    match kind {
        AlarmKind::TimeUp => {
            NotificationDraft::time_up(timer.owner_id(), timer.id(), timer.title())
        }
        AlarmKind::Forgotten => NotificationDraft::timer_forgotten(
            timer.owner_id(),
            timer.id(),
            timer.title(),
            timer.elapsed_at(now),
        ),
    }
}

/// [`AlarmRepository`] over the shared pool.
#[derive(Clone)]
pub struct PgAlarmRepository {
    pool: PgPool,
}

impl PgAlarmRepository {
    /// A repository using `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl std::fmt::Debug for PgAlarmRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgAlarmRepository").finish_non_exhaustive()
    }
}

#[async_trait]
impl AlarmRepository for PgAlarmRepository {
    async fn fire_due(
        &self,
        now: Timestamp,
        policy: AlarmPolicy,
        limit: u32,
    ) -> Result<Vec<FiredAlarm>, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let fired = conn
            .transaction(async |conn| {
                let rows: Vec<ClaimedRow> = CachedSql::new(CLAIM_DUE)
                    .bind::<Timestamptz, _>(ts(now))
                    .bind::<BigInt, _>(i64::from(limit))
                    .load(conn)
                    .await?;
                if rows.is_empty() {
                    return Ok::<_, TxError<StorageError>>(Vec::new());
                }
                let mut ids = Vec::with_capacity(rows.len());
                let mut next = Vec::with_capacity(rows.len());
                let mut time_up = Vec::with_capacity(rows.len());
                let mut forgotten = Vec::with_capacity(rows.len());
                let mut drafts = Vec::new();
                let mut went_off = Vec::new();
                for row in rows {
                    let claimed_due = instant(row.alarm_due_at);
                    let timer = Timer::try_from(row.timer)?;
                    let mut fired = row.flags.fired();
                    for alarm in fired.fire_due(&timer, policy, now) {
                        let due = alarm.due_at.max(claimed_due);
                        drafts.push(draft(alarm.kind, &timer, now));
                        went_off.push(FiredAlarm {
                            alarm: hourglass_domain::timer::alarm::Alarm {
                                kind: alarm.kind,
                                due_at: due,
                            },
                            late: now.seconds_since(due) > LATE_AFTER_SECONDS,
                            timer: timer.clone(),
                        });
                    }
                    ids.push(timer.id().get());
                    next.push(due_at(&timer, &fired, policy, now));
                    time_up.push(fired.time_up_for.map(seconds));
                    forgotten.push(fired.forgotten_for.map(seconds));
                }
                CachedSql::new(UPDATE_CLAIMED)
                    .bind::<Array<SqlUuid>, _>(ids)
                    .bind::<Array<Nullable<Timestamptz>>, _>(next)
                    .bind::<Array<Nullable<Integer>>, _>(time_up)
                    .bind::<Array<Nullable<Integer>>, _>(forgotten)
                    .execute(conn)
                    .await?;
                insert_drafts(conn, &drafts, now).await?;
                let announcements: Vec<Announcement> = went_off
                    .iter()
                    .filter(|fired| fired.is_time_up())
                    .map(|fired| {
                        Announcement::time_up(&fired.timer, fired.alarm.due_at, fired.late)
                    })
                    .collect();
                enqueue(conn, &announcements).await?;
                Ok(went_off)
            })
            .await
            .inspect(|_| kick())
            .map_err(TxError::into_port)?;
        Ok(fired)
    }
}

/// An allocation as the column stores it (at most 86,400, so it always fits).
fn seconds(allocation: AllocatedDuration) -> i32 {
    i32::try_from(allocation.seconds()).unwrap_or(i32::MAX)
}
