//! [`ProcessedCommandRepository`] on PostgreSQL.

use async_trait::async_trait;
use diesel::OptionalExtension;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;
use hourglass_ports::error::StorageError;
use hourglass_ports::processed::{ProcessedCommand, ProcessedCommandRepository};

use crate::error::DbError;
use crate::pool::PgPool;
use crate::rows::{ProcessedCommandRow, instant, ts};
use crate::schema::processed_commands;

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

#[async_trait]
impl ProcessedCommandRepository for PgProcessedCommandRepository {
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
            .filter(processed_commands::created_at.ge(ts(not_before)))
            .select(ProcessedCommandRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        Ok(row.map(command))
    }

    async fn record(
        &self,
        user: UserId,
        request_id: &str,
        command_to_store: ProcessedCommand,
    ) -> Result<ProcessedCommand, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        // ON CONFLICT DO NOTHING waits for a concurrent insert of the same key and then skips;
        // the SELECT after it sees the winner, which is what both callers get.
        let inserted = diesel::insert_into(processed_commands::table)
            .values(ProcessedCommandRow {
                user_id: user.get(),
                request_id: request_id.to_owned(),
                command_type: command_to_store.command_type.clone(),
                reply: command_to_store.reply.clone(),
                created_at: ts(command_to_store.created_at),
            })
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .await
            .map_err(DbError::from)?;
        if inserted == 1 {
            return Ok(command_to_store);
        }
        let row = processed_commands::table
            .filter(processed_commands::user_id.eq(user.get()))
            .filter(processed_commands::request_id.eq(request_id))
            .select(ProcessedCommandRow::as_select())
            .first(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(command(row))
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
