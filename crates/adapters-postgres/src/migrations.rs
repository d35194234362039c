//! The schema migrations, embedded into the binary at build time.
//!
//! diesel's migration harness is synchronous. diesel-async bridges it with
//! `AsyncConnectionWrapper`, which blocks on its own futures, so every call here runs on a
//! `spawn_blocking` thread: blocking a runtime worker thread would stall the server, and
//! `block_in_place` (what `AsyncMigrationHarness` uses) panics on a current-thread runtime.
//!
//! Applying takes a PostgreSQL advisory lock ([`MIGRATION_LOCK`]) for the whole run, so
//! instances started together on one database take turns: the first applies, the others wait,
//! then find nothing pending. Without it both would create the same tables and one would fail.

use std::error::Error as StdError;

use diesel::sql_types::BigInt;
use diesel::{Connection, RunQueryDsl};
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Every migration under the repository's top-level `migrations/` folder.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Why applying or reverting migrations failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The database could not be reached, or refused the credentials.
    #[error("cannot connect to the database")]
    Connect(#[source] diesel::ConnectionError),
    /// A migration's SQL failed; the failing migration was rolled back.
    #[error("a migration failed")]
    Migration(#[source] Box<dyn StdError + Send + Sync>),
    /// The advisory lock that serialises instances could not be taken.
    #[error("cannot take the migration lock")]
    Lock(#[source] diesel::result::Error),
    /// The blocking task running the migrations panicked or was cancelled.
    #[error("the migration task did not finish")]
    Task(#[source] tokio::task::JoinError),
}

type Wrapper = AsyncConnectionWrapper<AsyncPgConnection>;

/// The advisory lock key held while migrations run (any fixed number no other code uses; this
/// one spells "hourglas" in ASCII).
pub const MIGRATION_LOCK: i64 = 0x686f_7572_676c_6173;

/// Applies every migration not yet recorded in `__diesel_schema_migrations`, oldest first, and
/// returns how many were applied (0 when the schema is already current).
///
/// # Errors
/// [`MigrationError::Connect`] when the database cannot be reached, [`MigrationError::Migration`]
/// when a migration fails, [`MigrationError::Lock`] when the lock cannot be taken,
/// [`MigrationError::Task`] when the blocking task dies.
pub async fn run_pending(database_url: &str) -> Result<usize, MigrationError> {
    let url = database_url.to_owned();
    let applied = tokio::task::spawn_blocking(move || {
        let mut conn = Wrapper::establish(&url).map_err(MigrationError::Connect)?;
        // Session-level: held until unlocked or until this connection closes, whatever happens
        // to the migrations' own transactions.
        diesel::sql_query("SELECT pg_advisory_lock($1)")
            .bind::<BigInt, _>(MIGRATION_LOCK)
            .execute(&mut conn)
            .map_err(MigrationError::Lock)?;
        let versions = conn.run_pending_migrations(MIGRATIONS).map(|versions| {
            versions
                .into_iter()
                .map(|version| version.to_string())
                .collect::<Vec<_>>()
        });
        let _unlocked_or_closed = diesel::sql_query("SELECT pg_advisory_unlock($1)")
            .bind::<BigInt, _>(MIGRATION_LOCK)
            .execute(&mut conn);
        versions.map_err(MigrationError::Migration)
    })
    .await
    .map_err(MigrationError::Task)??;
    for version in &applied {
        tracing::info!(%version, "applied migration");
    }
    Ok(applied.len())
}

/// Reverts every applied migration, newest first, and returns how many were reverted. Meant for
/// the down/up round-trip check and for tests; never called by the server.
///
/// # Errors
/// As [`run_pending`].
pub async fn revert_all(database_url: &str) -> Result<usize, MigrationError> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = Wrapper::establish(&url).map_err(MigrationError::Connect)?;
        let versions = conn
            .revert_all_migrations(MIGRATIONS)
            .map_err(MigrationError::Migration)?;
        Ok(versions.len())
    })
    .await
    .map_err(MigrationError::Task)?
}
