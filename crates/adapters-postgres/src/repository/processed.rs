//! Remembered command outcomes on PostgreSQL: the claim the timer repository makes inside a keyed
//! command's transaction, and [`ProcessedCommandRepository`] to read and purge them.
//!
//! One row per (user, `request_id`) in `processed_commands`, always with its outcome as data:
//! `change` (the [`TimerChange`] wire value) and `timer` (the timer's plain values as JSONB, the
//! document of `rows::timer_to_json`), so a replay is rendered by the current code like a fresh
//! reply. The row is written by `claim` in the same transaction as the command's change
//! ([`crate::repository::timer`]), so it commits or rolls back with it: no row without its
//! committed change, no committed change of a keyed command without its row. Claiming is one
//! `INSERT … ON CONFLICT`: the primary key makes a concurrent duplicate's claim wait for the
//! first transaction inside PostgreSQL, and then either find its committed row or, after a
//! rollback, insert its own. A stored timer that no longer restores (a document written by a
//! release whose timer rules differ) is a [`StorageError`], never a replay of an invalid timer.
//!
//! [`TimerChange`]: hourglass_domain::timer::TimerChange

use async_trait::async_trait;
use diesel::OptionalExtension;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{Timer, TimerChange};
use hourglass_ports::error::StorageError;
use hourglass_ports::processed::{
    CommandKey, ProcessedCommand, ProcessedCommandRepository, REMEMBER_SECONDS,
};

use crate::error::{DbError, corrupt};
use crate::pool::PgPool;
use crate::rows::{ProcessedCommandRow, timer_to_json, ts};
use crate::schema::processed_commands;
use crate::statement::CachedSql;

/// Writes the key's row with the outcome, or takes over a row whose outcome is no longer
/// remembered (recorded before `$7`). Affects one row exactly when the caller now holds the key;
/// otherwise the conflicting row, committed and remembered, is left as it is (and locked until
/// the caller's transaction ends). An uncommitted row of a concurrent transaction makes it wait
/// for that transaction.
const CLAIM: &str = "\
INSERT INTO processed_commands (user_id, request_id, command_type, change, timer, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id, request_id) DO UPDATE
   SET command_type = EXCLUDED.command_type, change = EXCLUDED.change,
       timer = EXCLUDED.timer, created_at = EXCLUDED.created_at
 WHERE processed_commands.created_at < $7";

/// Deletes each user's outcomes beyond their newest `$1`. Only users over the cap are ranked;
/// ties in time are broken by `request_id`, so two runs agree on which rows are the newest.
const TRIM_PER_USER: &str = "\
DELETE FROM processed_commands p
 USING (SELECT user_id, request_id
          FROM (SELECT user_id, request_id,
                       row_number() OVER (PARTITION BY user_id
                                          ORDER BY created_at DESC, request_id DESC) AS rank
                  FROM processed_commands
                 WHERE user_id IN (SELECT user_id FROM processed_commands
                                    GROUP BY user_id HAVING count(*) > $1)) ranked
         WHERE rank > $1) extra
 WHERE p.user_id = extra.user_id AND p.request_id = extra.request_id";

/// What [`claim`] found.
#[derive(Debug)]
pub(crate) enum Claim {
    /// The key is the caller's transaction's, with its outcome: commit to keep both.
    Ours,
    /// The key holds this remembered outcome (of any kind of command); nothing was written.
    Remembered(Box<ProcessedCommand>),
}

/// `now` minus `seconds`, saturating at the epoch (only reached with absurd clocks).
fn before(now: Timestamp, seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(now.unix_seconds() - seconds).unwrap_or(Timestamp::EPOCH)
}

/// Claims `key` for the outcome (`change`, `timer`) inside the caller's transaction; see
/// [`CLAIM`].
pub(crate) async fn claim(
    conn: &mut AsyncPgConnection,
    key: &CommandKey,
    change: TimerChange,
    timer: &Timer,
) -> Result<Claim, DbError> {
    let taken = CachedSql::new(CLAIM)
        .bind::<BigInt, _>(key.user.get())
        .bind::<Text, _>(key.request_id.as_str())
        .bind::<Text, _>(key.kind)
        .bind::<Text, _>(change.as_str())
        .bind::<Jsonb, _>(timer_to_json(timer)?)
        .bind::<Timestamptz, _>(ts(key.now))
        .bind::<Timestamptz, _>(ts(before(key.now, REMEMBER_SECONDS)))
        .execute(conn)
        .await?;
    if taken == 1 {
        return Ok(Claim::Ours);
    }
    // A new statement sees the row the claim conflicted with: committed (the claim waited for
    // its transaction otherwise) and locked by the claim, so it is still there.
    match remembered(conn, key).await? {
        Some(held) => Ok(Claim::Remembered(Box::new(held))),
        None => Err(corrupt(
            "processed_commands",
            "the row a claim conflicted with is gone",
        )),
    }
}

/// The outcome `key` holds, if it is still remembered at `key.now`.
pub(crate) async fn remembered(
    conn: &mut AsyncPgConnection,
    key: &CommandKey,
) -> Result<Option<ProcessedCommand>, DbError> {
    find_on(
        conn,
        key.user,
        &key.request_id,
        before(key.now, REMEMBER_SECONDS),
    )
    .await
}

async fn find_on(
    conn: &mut AsyncPgConnection,
    user: UserId,
    request_id: &str,
    not_before: Timestamp,
) -> Result<Option<ProcessedCommand>, DbError> {
    let row = processed_commands::table
        .filter(processed_commands::user_id.eq(user.get()))
        .filter(processed_commands::request_id.eq(request_id))
        .filter(processed_commands::created_at.ge(ts(not_before)))
        .select(ProcessedCommandRow::as_select())
        .first(conn)
        .await
        .optional()?;
    row.map(ProcessedCommand::try_from).transpose()
}

/// [`ProcessedCommandRepository`] over the shared pool.
#[derive(Clone)]
pub struct PgProcessedCommandRepository {
    pool: PgPool,
}

impl PgProcessedCommandRepository {
    /// A repository using `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl std::fmt::Debug for PgProcessedCommandRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgProcessedCommandRepository")
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl ProcessedCommandRepository for PgProcessedCommandRepository {
    async fn find(
        &self,
        user: UserId,
        request_id: &str,
        not_before: Timestamp,
    ) -> Result<Option<ProcessedCommand>, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        Ok(find_on(&mut conn, user, request_id, not_before).await?)
    }

    async fn purge(&self, before: Timestamp) -> Result<u64, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let deleted = diesel::delete(
            processed_commands::table.filter(processed_commands::created_at.lt(ts(before))),
        )
        .execute(&mut conn)
        .await
        .map_err(DbError::from)?;
        Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
    }

    async fn trim_per_user(&self, keep: u32) -> Result<u64, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let deleted = CachedSql::new(TRIM_PER_USER)
            .bind::<BigInt, _>(i64::from(keep))
            .execute(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
    }
}
