//! [`ProcessedCommandRepository`] on PostgreSQL.
//!
//! One row per (user, `request_id`) in `processed_commands`. A completed row holds the outcome as
//! data: `change` (the [`TimerChange`] wire value) and `timer` (the timer's plain values as JSONB,
//! the document of `rows::timer_to_json`), so a replay is rendered by the current code like a
//! fresh reply. A reservation is a row whose `timer` is null (with `change`, by a CHECK), so
//! reserving is one `INSERT … ON CONFLICT` that either creates the row or finds the holder's: the
//! primary key makes concurrent duplicates wait for each other inside PostgreSQL, and exactly one
//! of them inserts. A stored timer that no longer restores (a document written by a release
//! whose timer rules differ) is a [`StorageError`], never a replay of an invalid timer.
//!
//! [`TimerChange`]: hourglass_domain::timer::TimerChange

use async_trait::async_trait;
use diesel::OptionalExtension;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;
use hourglass_ports::error::StorageError;
use hourglass_ports::processed::{
    ProcessedCommand, ProcessedCommandRepository, REMEMBER_SECONDS, RecordedOutcome, Reservation,
    STALE_RESERVATION_SECONDS,
};

use crate::error::DbError;
use crate::pool::PgPool;
use crate::rows::{ProcessedCommandRow, timer_to_json, ts};
use crate::schema::processed_commands;
use crate::statement::CachedSql;

/// Inserts a reservation, or takes over the key when its row is expired (a completed outcome
/// older than 24 h, or a reservation whose holder died). Affects one row exactly when the caller
/// now holds the key.
const RESERVE: &str = "\
INSERT INTO processed_commands (user_id, request_id, command_type, created_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (user_id, request_id) DO UPDATE
   SET command_type = EXCLUDED.command_type, change = NULL, timer = NULL,
       created_at = EXCLUDED.created_at
 WHERE (processed_commands.timer IS NOT NULL AND processed_commands.created_at < $5)
    OR (processed_commands.timer IS NULL AND processed_commands.created_at < $6)";

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

/// `now` minus `seconds`, saturating at the epoch (only reached with absurd clocks).
fn before(now: Timestamp, seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(now.unix_seconds() - seconds).unwrap_or(Timestamp::EPOCH)
}

#[async_trait]
impl ProcessedCommandRepository for PgProcessedCommandRepository {
    async fn reserve(
        &self,
        user: UserId,
        request_id: &str,
        command_type: &str,
        now: Timestamp,
    ) -> Result<Reservation, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let taken = CachedSql::new(RESERVE)
            .bind::<BigInt, _>(user.get())
            .bind::<Text, _>(request_id)
            .bind::<Text, _>(command_type)
            .bind::<Timestamptz, _>(ts(now))
            .bind::<Timestamptz, _>(ts(before(now, REMEMBER_SECONDS)))
            .bind::<Timestamptz, _>(ts(before(now, STALE_RESERVATION_SECONDS)))
            .execute(&mut conn)
            .await
            .map_err(DbError::from)?;
        if taken == 1 {
            return Ok(Reservation::Reserved);
        }
        // Someone else's live row. It can vanish in between (a failed holder released it); the
        // caller then simply asks again.
        let row = processed_commands::table
            .filter(processed_commands::user_id.eq(user.get()))
            .filter(processed_commands::request_id.eq(request_id))
            .select(ProcessedCommandRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        let Some(row) = row else {
            return Ok(Reservation::InProgress {
                command_type: command_type.to_owned(),
            });
        };
        let holder = row.command_type.clone();
        Ok(match row.completed()? {
            Some(command) => Reservation::Completed(Box::new(command)),
            None => Reservation::InProgress {
                command_type: holder,
            },
        })
    }

    async fn complete(
        &self,
        user: UserId,
        request_id: &str,
        outcome: &RecordedOutcome,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        let timer = timer_to_json(&outcome.timer)?;
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        diesel::update(
            processed_commands::table
                .filter(processed_commands::user_id.eq(user.get()))
                .filter(processed_commands::request_id.eq(request_id))
                .filter(processed_commands::timer.is_null()),
        )
        .set((
            processed_commands::change.eq(outcome.change.as_str()),
            processed_commands::timer.eq(timer),
            processed_commands::created_at.eq(ts(now)),
        ))
        .execute(&mut conn)
        .await
        .map_err(DbError::from)?;
        Ok(())
    }

    async fn release(&self, user: UserId, request_id: &str) -> Result<(), StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        diesel::delete(
            processed_commands::table
                .filter(processed_commands::user_id.eq(user.get()))
                .filter(processed_commands::request_id.eq(request_id))
                .filter(processed_commands::timer.is_null()),
        )
        .execute(&mut conn)
        .await
        .map_err(DbError::from)?;
        Ok(())
    }

    async fn find(
        &self,
        user: UserId,
        request_id: &str,
        not_before: Timestamp,
    ) -> Result<Option<ProcessedCommand>, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let row = processed_commands::table
            .filter(processed_commands::user_id.eq(user.get()))
            .filter(processed_commands::request_id.eq(request_id))
            .filter(processed_commands::timer.is_not_null())
            .filter(processed_commands::created_at.ge(ts(not_before)))
            .select(ProcessedCommandRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        match row {
            Some(row) => Ok(row.completed()?),
            None => Ok(None),
        }
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
}
