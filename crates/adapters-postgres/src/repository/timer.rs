//! [`TimerRepository`] on PostgreSQL.
//!
//! A command is one transaction: `SELECT … FOR UPDATE` of the owner's row, then the timer with
//! its tag ids and alarm flags read by the next statement, [`Timer::apply`], `UPDATE` and its
//! `pg_notify` in one statement, commit. Concurrent commands on one timer therefore queue on the
//! row lock and the later one sees the earlier one's result. The read is not part of the lock
//! statement: under READ COMMITTED a statement that waited for the lock re-reads only the locked
//! row, so tag ids and alarm flags read in it would be the ones from before the wait (a tag
//! deleted meanwhile would come back in the reply). Links are composite foreign keys on
//! `(owner_id, id)`, so a foreign schedule, todo or tag fails the statement that writes it,
//! inside the same transaction, and maps to `UnknownLink`.
//!
//! Every change announces itself with `notify` inside its transaction (`start`, the command's
//! action, `update` when details changed, the deletion), so the event leaves with the commit.
//!
//! A command sent with a `request_id` (`insert_once`, `apply_command_once`) also claims its key
//! and stores its outcome in that transaction (`processed::claim`). A create claims first, so a
//! concurrent duplicate waits on the key and the loser inserts no second timer. A state-machine
//! command claims after the row lock and [`Timer::apply`], with the outcome in hand: duplicates
//! already queue on the row lock, and one that finds the command applied (a refusal now, or the
//! timer gone) looks the key up and returns its outcome instead.

use std::collections::HashMap;

use async_trait::async_trait;
use diesel::OptionalExtension;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hourglass_domain::ids::{TagId, TimerId, UserId};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::alarm::{AlarmPolicy, FiredAlarms};
use hourglass_domain::timer::{Timer, TimerChange, TimerCommand, TimerPatch};
use hourglass_ports::error::StorageError;
use hourglass_ports::page::{Page, PageRequest};
use hourglass_ports::processed::{CommandKey, Idempotent};
use hourglass_ports::timer::{
    DeleteTimerError, FriendTimer, InsertTimerError, PatchedTimer, TimerCommandError, TimerKind,
    TimerListQuery, TimerRepository, TimerScope, UpdateTimerError,
};
use hourglass_ports::user::User;

use super::alarm::{TimerWithAlarms, due_at, insert_alarm};
use super::processed::{Claim, claim, remembered};
use super::{MAX_PAGE, MAX_TIMER_PAGE, into_page, page_size};
use crate::error::{DbError, TxError};
use crate::event_bus::{Announcement, payload_as_sent};
use crate::outbox::{enqueue, kick};
use crate::pool::PgPool;
use crate::rows::{TimerRecord, TimerRow, UserRow, ts};
use crate::schema::{timer_tags, timers, users};
use crate::statement::CachedSql;

type SqlUuid = diesel::sql_types::Uuid;

/// Locks the owner's timer until the transaction ends; [`LOCKED_TIMER`] then reads it. Found by
/// primary key only: with `owner_id = $2`, statistics in which most owners have one timer (soon
/// after launch, say) make an owner index look as good as the key, and the plan each connection
/// caches then reads every timer of the owner on each command. `IS NOT DISTINCT FROM` is the same
/// test on this `NOT NULL` column but cannot drive an index scan; it filters before the lock, so
/// another user's row is never locked.
const LOCK_OWN_TIMER: &str = "SELECT t.id FROM timers t \
     WHERE t.id = $1 AND t.owner_id IS NOT DISTINCT FROM $2 FOR UPDATE";

/// The timer [`LOCK_OWN_TIMER`] locked, read by a statement of its own so that its tag ids and
/// alarm flags are read after the lock is held. The alarm flags come along (that row is not
/// locked: only writers holding the timer's lock change it).
const LOCKED_TIMER: &str = concat!(
    "SELECT ",
    timer_columns!(),
    ", a.time_up_fired_for, a.forgotten_fired_for \
     FROM timers t LEFT JOIN timer_alarms a ON a.timer_id = t.id \
     WHERE t.id = $1 AND t.owner_id IS NOT DISTINCT FROM $2"
);

/// See [`store`]; `$1` is the id, then the columns in [`TimerRecord`]'s order, then the
/// announcement's JSON, then the owner, the alarm's `due_at` and whether the timer is still
/// active (an ended timer's alarm row is deleted). The announcement goes to the outbox while the
/// transaction holds the timer's row lock, so the timer's outbox ids follow commit order (see
/// [`crate::outbox`]).
const STORE_TIMER: &str = concat!(
    "WITH stored AS ( \
         UPDATE timers SET schedule_id = $2, todo_id = $3, title = $4, description = $5, \
         allocated_duration = $6, status = $7, started_at = $8, paused_at = $9, ended_at = $10, \
         pause_history = $11, visibility = $12, version = $13, updated_at = $14 \
         WHERE id = $1 RETURNING id), \
     alarm AS ( \
         INSERT INTO timer_alarms (timer_id, owner_id, due_at) SELECT $1, $16, $17 WHERE $18 \
         ON CONFLICT (timer_id) DO UPDATE SET due_at = EXCLUDED.due_at), \
     ended AS (DELETE FROM timer_alarms WHERE timer_id = $1 AND NOT $18) \
     INSERT INTO event_outbox (user_id, payload) SELECT $16, ",
    payload_as_sent!("$15"),
    " FROM stored"
);

const FIND_TIMER: &str = concat!(timer_select!(), "WHERE t.id = $1");

/// Running or paused: `ended_at IS NULL` is the same set (constraint `timers_ended_at_iff_ended`)
/// and is the predicate of `timers_owner_active_idx`, which `status` cannot be without making
/// every pause and resume update the indexes.
pub(super) const LIST_ACTIVE: &str = concat!(
    timer_select!(),
    "WHERE t.owner_id = $1 AND t.ended_at IS NULL \
     ORDER BY t.created_at DESC, t.id DESC"
);

/// `GET /v1/timers` and the schedule/todo timer lists. Every filter is a bind that is null (or
/// an empty array) when absent, so the text never changes with the input.
/// `$1` viewer, `$2` include own, `$3` include friends', `$4` statuses, `$5` kind,
/// `$6`/`$7` started_at range, `$8` schedule, `$9` todo, `$10`/`$11` cursor, `$12` limit.
pub(super) const LIST_TIMERS: &str = concat!(
    "WITH owners AS ( \
         SELECT $1::bigint AS owner_id WHERE $2 \
         UNION \
         SELECT friendship.friend_id FROM ",
    friendships!(),
    "WHERE friendship.user_id = $1 AND $3 \
     ) ",
    timer_select!(),
    "WHERE t.owner_id IN (SELECT owner_id FROM owners) \
       AND (t.owner_id = $1 OR t.visibility IN ('friends', 'public')) \
       AND (cardinality($4::text[]) = 0 OR t.status = ANY($4::text[])) \
       AND ($5::text IS NULL \
            OR ($5 = 'independent' AND t.schedule_id IS NULL AND t.todo_id IS NULL) \
            OR ($5 = 'schedule' AND t.schedule_id IS NOT NULL) \
            OR ($5 = 'todo' AND t.todo_id IS NOT NULL)) \
       AND ($6::timestamptz IS NULL OR t.started_at >= $6) \
       AND ($7::timestamptz IS NULL OR t.started_at <= $7) \
       AND ($8::uuid IS NULL OR (t.schedule_id = $8 AND t.owner_id = $1)) \
       AND ($9::uuid IS NULL OR (t.todo_id = $9 AND t.owner_id = $1)) \
       AND ($10::timestamptz IS NULL OR (t.created_at, t.id) < ($10, $11::uuid)) \
     ORDER BY t.created_at DESC, t.id DESC \
     LIMIT $12"
);

/// `GET /api/v1/users/me/friends/active`: the viewer's friends' active timers that friends may
/// see, most recently changed first. `$1` viewer, `$2`/`$3` cursor (`updated_at`, id), `$4`
/// limit. Each friend's active timers come from `timers_owner_active_idx` (its predicate is
/// `ended_at IS NULL`); `updated_at` changes on every pause and resume, so no index may hold it
/// (see `timers_hot_updates`): the few active timers of the friends are sorted after the look-up.
pub(super) const LIST_FRIENDS_ACTIVE: &str = concat!(
    timer_select!(),
    "WHERE t.owner_id IN (SELECT friendship.friend_id FROM ",
    friendships!(),
    "WHERE friendship.user_id = $1) \
       AND t.ended_at IS NULL \
       AND t.visibility IN ('friends', 'public') \
       AND ($2::timestamptz IS NULL OR (t.updated_at, t.id) < ($2, $3::uuid)) \
     ORDER BY t.updated_at DESC, t.id DESC \
     LIMIT $4"
);

pub(super) const ARE_FRIENDS: &str = concat!(
    "SELECT EXISTS (SELECT 1 FROM ",
    friendships!(),
    "WHERE friendship.user_id = $1 AND friendship.friend_id = $2) AS value"
);

/// Writes a timer's tag links in the given order, in one statement.
const INSERT_TIMER_TAGS: &str = "INSERT INTO timer_tags (timer_id, tag_id, owner_id, position) \
     SELECT $1, u.tag_id, $2, u.ord::int \
     FROM unnest($3::uuid[]) WITH ORDINALITY AS u(tag_id, ord)";

#[derive(QueryableByName)]
struct BoolRow {
    #[diesel(sql_type = Bool)]
    value: bool,
}

/// [`TimerRepository`] over the shared pool.
#[derive(Clone)]
pub struct PgTimerRepository {
    pool: PgPool,
    /// When a timer's next alarm is due, written with every change.
    alarms: AlarmPolicy,
}

impl PgTimerRepository {
    /// A repository using `pool`, with the default alarm policy.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            alarms: AlarmPolicy::default(),
        }
    }

    /// The same, writing alarm instants under `policy` (the scheduler's).
    #[must_use]
    pub fn with_alarm_policy(mut self, policy: AlarmPolicy) -> Self {
        self.alarms = policy;
        self
    }
}

impl std::fmt::Debug for PgTimerRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTimerRepository").finish_non_exhaustive()
    }
}

/// Loads and locks the owner's timer, with what its alarms already did; `None` when missing or
/// someone else's.
async fn lock_own_timer(
    conn: &mut AsyncPgConnection,
    owner: UserId,
    id: TimerId,
) -> Result<Option<(Timer, FiredAlarms)>, DbError> {
    // Both statements are sent at once (diesel-async pipelines futures polled together), so the
    // command keeps one round trip before `Timer::apply`. PostgreSQL still runs them one after
    // the other, and the read takes its snapshot when it starts, once the lock is held.
    let shared: &AsyncPgConnection = conn;
    let lock = CachedSql::new(LOCK_OWN_TIMER)
        .bind::<SqlUuid, _>(id.get())
        .bind::<BigInt, _>(owner.get())
        .execute(&mut &*shared);
    let read = CachedSql::new(LOCKED_TIMER)
        .bind::<SqlUuid, _>(id.get())
        .bind::<BigInt, _>(owner.get())
        .load::<TimerWithAlarms>(&mut &*shared);
    // `locked` is the number of rows the `SELECT` locked: 0 or 1.
    let (locked, rows) = tokio::try_join!(lock, read)?;
    let Some(row) = rows.into_iter().next().filter(|_| locked == 1) else {
        return Ok(None);
    };
    Ok(Some((Timer::try_from(row.timer)?, row.flags.fired())))
}

/// Writes the timer's columns (not its tags, which must be linked already) over the stored row
/// and writes `announcement` to the outbox, in one round trip (the `UPDATE` runs as a
/// data-modifying CTE, then the outbox `INSERT` of the payload as
/// [`crate::event_bus::payload_as_sent`] completes it). Hand-written rather than
/// `diesel::update(…).set(…)` because diesel never caches an `UPDATE`'s prepared statement, and
/// this one runs for every command. The owner and `created_at` never change.
async fn store(
    conn: &mut AsyncPgConnection,
    (timer, fired): (&Timer, &FiredAlarms),
    policy: AlarmPolicy,
    announcement: &Announcement,
) -> Result<(), DbError> {
    let record = TimerRecord::from_timer(timer)?;
    let due = due_at(timer, fired, policy, timer.updated_at());
    CachedSql::new(STORE_TIMER)
        .bind::<SqlUuid, _>(record.id)
        .bind::<Nullable<SqlUuid>, _>(record.schedule_id)
        .bind::<Nullable<SqlUuid>, _>(record.todo_id)
        .bind::<Nullable<Text>, _>(record.title)
        .bind::<Nullable<Text>, _>(record.description)
        .bind::<Integer, _>(record.allocated_duration)
        .bind::<Text, _>(record.status)
        .bind::<Timestamptz, _>(record.started_at)
        .bind::<Nullable<Timestamptz>, _>(record.paused_at)
        .bind::<Nullable<Timestamptz>, _>(record.ended_at)
        .bind::<Jsonb, _>(record.pause_history)
        .bind::<Text, _>(record.visibility)
        .bind::<BigInt, _>(record.version)
        .bind::<Timestamptz, _>(record.updated_at)
        .bind::<Text, _>(announcement.encode()?)
        .bind::<BigInt, _>(record.owner_id)
        .bind::<Nullable<Timestamptz>, _>(due)
        .bind::<Bool, _>(timer.status().is_active())
        .execute(conn)
        .await?;
    crate::outbox::note_enqueued(&[record.owner_id]);
    Ok(())
}

/// Inserts the tag links of a timer (which must have none yet).
async fn insert_tags(
    conn: &mut AsyncPgConnection,
    timer: &Timer,
    tags: &[TagId],
) -> Result<(), DbError> {
    if tags.is_empty() {
        return Ok(());
    }
    let ids: Vec<uuid::Uuid> = tags.iter().map(|t| t.get()).collect();
    CachedSql::new(INSERT_TIMER_TAGS)
        .bind::<SqlUuid, _>(timer.id().get())
        .bind::<BigInt, _>(timer.owner_id().get())
        .bind::<Array<SqlUuid>, _>(ids)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a new timer's row, its tag links and its `start` announcement.
async fn insert_rows(
    conn: &mut AsyncPgConnection,
    record: &TimerRecord,
    timer: &Timer,
    policy: AlarmPolicy,
) -> Result<(), DbError> {
    diesel::insert_into(timers::table)
        .values(record)
        .execute(conn)
        .await?;
    insert_tags(conn, timer, timer.tag_ids()).await?;
    insert_alarm(conn, timer, policy).await?;
    enqueue(conn, &[Announcement::timer(TimerChange::START, timer)]).await?;
    Ok(())
}

/// The outcome `key` holds, when the command cannot run (`refused`): a duplicate that finds its
/// command already applied gets that outcome; otherwise the refusal stands.
async fn remembered_or_refused(
    conn: &mut AsyncPgConnection,
    key: &CommandKey,
    refused: TimerCommandError,
) -> Result<Idempotent<Timer>, TxError<TimerCommandError>> {
    match remembered(conn, key).await? {
        Some(held) => Ok(Idempotent::Remembered(Box::new(held))),
        None => Err(TxError::Refused(refused)),
    }
}

#[async_trait]
impl TimerRepository for PgTimerRepository {
    async fn insert(&self, timer: &Timer) -> Result<(), InsertTimerError> {
        let record = TimerRecord::from_timer(timer)?;
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async |conn| {
            insert_rows(conn, &record, timer, self.alarms).await?;
            Ok::<_, TxError<InsertTimerError>>(())
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn apply_command(
        &self,
        owner: UserId,
        id: TimerId,
        command: TimerCommand,
        now: Timestamp,
    ) -> Result<Timer, TimerCommandError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async |conn| {
            let Some((mut timer, fired)) = lock_own_timer(conn, owner, id).await? else {
                return Err(TxError::Refused(TimerCommandError::NotFound));
            };
            timer
                .apply(command, now)
                .map_err(|refused| TxError::Refused(refused.into()))?;
            let announcement = Announcement::timer(command.into(), &timer);
            store(conn, (&timer, &fired), self.alarms, &announcement).await?;
            Ok(timer)
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn insert_once(
        &self,
        timer: &Timer,
        key: &CommandKey,
    ) -> Result<Idempotent<()>, InsertTimerError> {
        let record = TimerRecord::from_timer(timer)?;
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async |conn| {
            if let Claim::Remembered(held) = claim(conn, key, TimerChange::START, timer).await? {
                return Ok(Idempotent::Remembered(held));
            }
            insert_rows(conn, &record, timer, self.alarms).await?;
            Ok::<_, TxError<InsertTimerError>>(Idempotent::Applied(()))
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn apply_command_once(
        &self,
        id: TimerId,
        command: TimerCommand,
        key: &CommandKey,
    ) -> Result<Idempotent<Timer>, TimerCommandError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async |conn| {
            let Some((mut timer, fired)) = lock_own_timer(conn, key.user, id).await? else {
                return remembered_or_refused(conn, key, TimerCommandError::NotFound).await;
            };
            if let Err(refused) = timer.apply(command, key.now) {
                return remembered_or_refused(conn, key, refused.into()).await;
            }
            let change = TimerChange::from(command);
            if let Claim::Remembered(held) = claim(conn, key, change, &timer).await? {
                return Ok(Idempotent::Remembered(held));
            }
            let announcement = Announcement::timer(change, &timer);
            store(conn, (&timer, &fired), self.alarms, &announcement).await?;
            Ok(Idempotent::Applied(timer))
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn update_details(
        &self,
        owner: UserId,
        id: TimerId,
        patch: TimerPatch,
        now: Timestamp,
    ) -> Result<PatchedTimer, UpdateTimerError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async move |conn| {
            let Some((mut timer, fired)) = lock_own_timer(conn, owner, id).await? else {
                return Err(TxError::Refused(UpdateTimerError::NotFound));
            };
            let old_tags = timer.tag_ids().to_vec();
            let before = timer.visibility();
            let changed = timer.update_details(patch, now);
            let patched = PatchedTimer::new(timer, changed, before);
            let timer = &patched.timer;
            if changed {
                // The links first: the announcement's snapshot reads the timer's tags.
                if old_tags != timer.tag_ids() {
                    diesel::delete(timer_tags::table.filter(timer_tags::timer_id.eq(id.get())))
                        .execute(conn)
                        .await?;
                    insert_tags(conn, timer, timer.tag_ids()).await?;
                }
                let announcement = Announcement::timer(TimerChange::Details, timer);
                store(conn, (timer, &fired), self.alarms, &announcement).await?;
                if patched.hidden_from_friends {
                    // Right after the `update`, in the same transaction: friends' clients drop
                    // the timer only if the change commits, on every instance.
                    enqueue(conn, &[Announcement::timer_hidden(timer)]).await?;
                }
            }
            Ok(patched)
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn delete(&self, owner: UserId, id: TimerId) -> Result<(), DeleteTimerError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async |conn| {
            let deleted = diesel::delete(
                timers::table
                    .filter(timers::id.eq(id.get()))
                    .filter(timers::owner_id.eq(owner.get())),
            )
            .execute(conn)
            .await?;
            if deleted == 0 {
                return Err(TxError::Refused(DeleteTimerError::NotFound));
            }
            enqueue(conn, &[Announcement::timer_deleted(owner, id)]).await?;
            Ok(())
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn find(&self, id: TimerId) -> Result<Option<Timer>, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let row: Option<TimerRow> = CachedSql::new(FIND_TIMER)
            .bind::<SqlUuid, _>(id.get())
            .get_result(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        Ok(row.map(Timer::try_from).transpose()?)
    }

    async fn are_friends(&self, a: UserId, b: UserId) -> Result<bool, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let row: BoolRow = CachedSql::new(ARE_FRIENDS)
            .bind::<BigInt, _>(a.get())
            .bind::<BigInt, _>(b.get())
            .get_result(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(row.value)
    }

    async fn list(&self, query: &TimerListQuery) -> Result<Page<Timer, TimerId>, StorageError> {
        let filter = &query.filter;
        let (mine, shared) = match filter.scope {
            TimerScope::Mine => (true, false),
            TimerScope::Shared => (false, true),
            TimerScope::All => (true, true),
        };
        let statuses: Vec<String> = filter
            .statuses
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        let kind = filter.kind.map(|kind| match kind {
            TimerKind::Independent => "independent",
            TimerKind::Schedule => "schedule",
            TimerKind::Todo => "todo",
        });
        let size = page_size(query.page.limit, MAX_TIMER_PAGE);
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<TimerRow> = CachedSql::new(LIST_TIMERS)
            .bind::<BigInt, _>(query.viewer.get())
            .bind::<Bool, _>(mine)
            .bind::<Bool, _>(shared)
            .bind::<Array<Text>, _>(statuses)
            .bind::<Nullable<Text>, _>(kind)
            .bind::<Nullable<Timestamptz>, _>(filter.started_from.map(ts))
            .bind::<Nullable<Timestamptz>, _>(filter.started_to.map(ts))
            .bind::<Nullable<SqlUuid>, _>(filter.schedule_id.map(|s| s.get()))
            .bind::<Nullable<SqlUuid>, _>(filter.todo_id.map(|t| t.get()))
            .bind::<Nullable<Timestamptz>, _>(query.page.after.map(|c| ts(c.created_at)))
            .bind::<Nullable<SqlUuid>, _>(query.page.after.map(|c| c.id.get()))
            .bind::<BigInt, _>(size + 1)
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        let timers = rows
            .into_iter()
            .map(Timer::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(timers, size, |t| (t.created_at(), t.id())))
    }

    async fn list_active(&self, owner: UserId) -> Result<Vec<Timer>, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<TimerRow> = CachedSql::new(LIST_ACTIVE)
            .bind::<BigInt, _>(owner.get())
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(rows
            .into_iter()
            .map(Timer::try_from)
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn list_friends_active(
        &self,
        viewer: UserId,
        page: PageRequest<TimerId>,
    ) -> Result<Page<FriendTimer, TimerId>, StorageError> {
        let size = page_size(page.limit, MAX_PAGE);
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<TimerRow> = CachedSql::new(LIST_FRIENDS_ACTIVE)
            .bind::<BigInt, _>(viewer.get())
            .bind::<Nullable<Timestamptz>, _>(page.after.map(|c| ts(c.created_at)))
            .bind::<Nullable<SqlUuid>, _>(page.after.map(|c| c.id.get()))
            .bind::<BigInt, _>(size + 1)
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        let timers = rows
            .into_iter()
            .map(Timer::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let page = into_page(timers, size, |t| (t.updated_at(), t.id()));
        // The owners in one primary-key look-up; a friend's row cannot vanish while their
        // timers stand (the foreign key), but a row deleted in between just drops its timers.
        let mut owners: Vec<i64> = page.items.iter().map(|t| t.owner_id().get()).collect();
        owners.sort_unstable();
        owners.dedup();
        let users: Vec<UserRow> = users::table
            .filter(users::id.eq_any(owners))
            .select(UserRow::as_select())
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        let users = users
            .into_iter()
            .map(|row| Ok((row.id, User::try_from(row)?)))
            .collect::<Result<HashMap<_, _>, DbError>>()?;
        let items = page
            .items
            .into_iter()
            .filter_map(|timer| {
                let friend = users.get(&timer.owner_id().get())?.clone();
                Some(FriendTimer { friend, timer })
            })
            .collect();
        Ok(Page {
            items,
            next: page.next,
        })
    }
}

#[cfg(test)]
mod tests {
    use diesel::QueryableByName;
    use diesel::sql_types::Text;
    use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
    use hourglass_test_support::TestDatabase;

    use super::LOCK_OWN_TIMER;

    #[derive(QueryableByName)]
    struct PlanLine {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        line: String,
    }

    /// The lock's generic plan (the one a connection caches) is a primary-key lookup even when
    /// the statistics say every owner has a single timer.
    #[tokio::test]
    async fn the_command_lock_finds_the_row_by_primary_key() -> anyhow::Result<()> {
        let db = TestDatabase::create().await?;
        let mut conn = db.pool().get().await?;
        conn.batch_execute(
            "INSERT INTO users (subject, nickname, created_at, updated_at) \
             SELECT 'plan-' || g, 'plan' || g, now(), now() FROM generate_series(1, 1000) AS g; \
             INSERT INTO timers (id, owner_id, allocated_duration, status, started_at, \
                                 pause_history, created_at, updated_at) \
             SELECT gen_random_uuid(), id, 1500, 'RUNNING', now(), \
                    '[{\"action\":\"start\",\"at\":\"2026-01-01T00:00:00Z\"}]', now(), now() \
             FROM users; \
             ANALYZE users, timers; \
             SET plan_cache_mode = force_generic_plan;",
        )
        .await?;
        conn.batch_execute(&format!(
            "PREPARE lock_probe(uuid, bigint) AS {LOCK_OWN_TIMER}"
        ))
        .await?;
        let plan: Vec<PlanLine> = diesel::sql_query(
            "EXPLAIN EXECUTE lock_probe('00000000-0000-7000-8000-000000000000', 1)",
        )
        .load(&mut conn)
        .await?;
        let plan: Vec<String> = plan.into_iter().map(|row| row.line).collect();
        let timers_scans: Vec<&String> = plan
            .iter()
            .filter(|line| line.contains(" on timers t"))
            .collect();
        assert!(
            !timers_scans.is_empty()
                && timers_scans
                    .iter()
                    .all(|line| line.contains("using timers_pkey")),
            "{plan:#?}"
        );
        drop(conn);
        db.cleanup().await?;
        Ok(())
    }
}
