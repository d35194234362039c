//! [`ProcessedCommandRepository`] on PostgreSQL.
//!
//! One row per (user, `request_id`) in `processed_commands`. A reservation is a row whose `reply`
//! is the empty string (a completed reply is a JSON document, never empty), so reserving is one
//! `INSERT … ON CONFLICT` that either creates the row or finds the holder's: the primary key makes
//! concurrent duplicates wait for each other inside PostgreSQL, and exactly one of them inserts.

use async_trait::async_trait;
use diesel::OptionalExtension;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;
use hourglass_ports::error::StorageError;
use hourglass_ports::processed::{
    ProcessedCommand, ProcessedCommandRepository, REMEMBER_SECONDS, Reservation,
    STALE_RESERVATION_SECONDS,
};

use crate::error::DbError;
use crate::pool::PgPool;
use crate::rows::{ProcessedCommandRow, instant, ts};
use crate::schema::processed_commands;
use crate::statement::CachedSql;

/// The `reply` of a row that is reserved but not completed.
const RESERVED: &str = "";

/// Inserts a reservation, or takes over the key when its row is expired (a completed reply older
/// than 24 h, or a reservation whose holder died). Affects one row exactly when the caller now
/// holds the key.
const RESERVE: &str = "\
INSERT INTO processed_commands (user_id, request_id, command_type, reply, created_at)
VALUES ($1, $2, $3, '', $4)
ON CONFLICT (user_id, request_id) DO UPDATE
   SET command_type = EXCLUDED.command_type, reply = '', created_at = EXCLUDED.created_at
 WHERE (processed_commands.reply <> '' AND processed_commands.created_at < $5)
    OR (processed_commands.reply = '' AND processed_commands.created_at < $6)";

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

fn command(row: ProcessedCommandRow) -> ProcessedCommand {
    ProcessedCommand {
        command_type: row.command_type,
        reply: row.reply,
        created_at: instant(row.created_at),
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
        Ok(match row {
            None => Reservation::InProgress {
                command_type: command_type.to_owned(),
            },
            Some(row) if row.reply == RESERVED => Reservation::InProgress {
                command_type: row.command_type,
            },
            Some(row) => Reservation::Completed(command(row)),
        })
    }

    async fn complete(
        &self,
        user: UserId,
        request_id: &str,
        reply: &str,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        diesel::update(
            processed_commands::table
                .filter(processed_commands::user_id.eq(user.get()))
                .filter(processed_commands::request_id.eq(request_id))
                .filter(processed_commands::reply.eq(RESERVED)),
        )
        .set((
            processed_commands::reply.eq(reply),
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
                .filter(processed_commands::reply.eq(RESERVED)),
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
            .filter(processed_commands::reply.ne(RESERVED))
            .filter(processed_commands::created_at.ge(ts(not_before)))
            .select(ProcessedCommandRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        Ok(row.map(command))
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
