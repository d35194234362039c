//! The connection pool shared by every repository, and the readiness probe.

use std::time::Duration;

use diesel_async::pooled_connection::deadpool::{self, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{
    AsyncConnection as _, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection as _,
};
use hourglass_ports::health::{PoolUsage, PoolUsageProbe};

/// A pool of PostgreSQL connections. Cheap to clone: clones share the same connections.
pub type PgPool = Pool<AsyncPgConnection>;

/// How long [`ping`] waits for a connection and an answer. Without a bound, a database behind a
/// dropped network route would hang the readiness probe instead of failing it.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the pool could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// A pool of 0 connections would make every checkout wait forever (deadpool accepts it).
    #[error("the connection pool size must be at least 1")]
    ZeroSize,
    /// deadpool rejected the configuration.
    #[error("invalid connection pool configuration")]
    Build(#[source] deadpool::BuildError),
}

/// Why the database did not answer [`ping`].
#[derive(Debug, thiserror::Error)]
pub enum PingError {
    /// No connection could be taken from the pool or opened.
    #[error("cannot get a database connection")]
    Checkout(#[source] deadpool::PoolError),
    /// A connection was available but `SELECT 1` failed.
    #[error("the database did not answer")]
    Query(#[source] diesel::result::Error),
    /// Nothing answered within the probe's time limit.
    #[error("the database did not answer within {} s", PING_TIMEOUT.as_secs())]
    Timeout,
}

/// Builds a pool of at most `size` connections to `database_url`. Connections are opened lazily,
/// on first use, so this succeeds even when the database is down; use [`ping`] to check it.
///
/// A checkout waits at most `checkout_timeout` for a free connection, and opening a new one
/// takes at most as long: past it the caller gets a pool error, which the adapters report as
/// the database being unavailable (`SERVICE_UNAVAILABLE`), instead of hanging while every
/// connection is busy or the database's network route is gone.
///
/// # Errors
/// [`PoolError::ZeroSize`] when `size` is 0, [`PoolError::Build`] when deadpool rejects the
/// configuration.
pub fn build_pool(
    database_url: &str,
    size: usize,
    checkout_timeout: Duration,
) -> Result<PgPool, PoolError> {
    build_pool_with_statement_timeout(database_url, size, checkout_timeout, None)
}

/// [`build_pool`], and every connection the pool opens runs `SET statement_timeout` first when
/// `statement_timeout` is given: a statement running longer is cancelled by PostgreSQL
/// (SQLSTATE 57014), which the adapters report as the database being unavailable, so one slow
/// query cannot hold a pooled connection, and the request waiting on it, indefinitely.
///
/// Set per connection rather than in the URL's `options`, which would replace any `options`
/// the operator's `DATABASE_URL` already carries.
///
/// # Errors
/// As [`build_pool`].
pub fn build_pool_with_statement_timeout(
    database_url: &str,
    size: usize,
    checkout_timeout: Duration,
    statement_timeout: Option<Duration>,
) -> Result<PgPool, PoolError> {
    if size == 0 {
        return Err(PoolError::ZeroSize);
    }
    // `Fast` recycling: no `SELECT 1` before every checkout, which cost every command a round
    // trip and a transaction of its own (docs/benchmarks.md). A connection whose socket the
    // server closed (restart, `pg_terminate_backend`) is still discarded at checkout, because
    // `AsyncPgConnection::is_broken` checks that; one that dies in the instant between checkout
    // and use fails that one statement with `Unavailable` (see `crate::error`).
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    if let Some(timeout) = statement_timeout {
        let set = format!("SET statement_timeout = {}", timeout.as_millis());
        config.custom_setup = Box::new(move |url| {
            let set = set.clone();
            let url = url.to_owned();
            Box::pin(async move {
                let mut conn = AsyncPgConnection::establish(&url).await?;
                conn.batch_execute(&set)
                    .await
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            })
        });
    }
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(checkout_timeout))
        .create_timeout(Some(checkout_timeout))
        .runtime(::deadpool::Runtime::Tokio1)
        .build()
        .map_err(PoolError::Build)
}

/// Runs `SELECT 1` on a pooled connection: the readiness probe.
///
/// # Errors
/// [`PingError::Checkout`] when no connection can be had, [`PingError::Query`] when the query
/// fails, [`PingError::Timeout`] after 5 s without an answer.
pub async fn ping(pool: &PgPool) -> Result<(), PingError> {
    let probe = async {
        let mut conn = pool.get().await.map_err(PingError::Checkout)?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .map_err(PingError::Query)?;
        Ok(())
    };
    tokio::time::timeout(PING_TIMEOUT, probe)
        .await
        .map_err(|_elapsed| PingError::Timeout)?
}

/// The pool's usage for `/metrics`, read from deadpool's own counters (no connection is taken).
#[derive(Clone)]
pub struct PgPoolUsage {
    pool: PgPool,
}

impl PgPoolUsage {
    /// A probe of `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl std::fmt::Debug for PgPoolUsage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPoolUsage").finish_non_exhaustive()
    }
}

impl PoolUsageProbe for PgPoolUsage {
    fn usage(&self) -> PoolUsage {
        let status = self.pool.status();
        PoolUsage {
            max_size: status.max_size,
            size: status.size,
            idle: status.available,
            waiting: status.waiting,
        }
    }
}

#[cfg(test)]
mod tests {
    use anyhow::Context as _;

    use super::*;

    /// Long enough never to be reached by the tests that expect a connection.
    const WAIT: Duration = Duration::from_secs(30);

    #[tokio::test]
    async fn a_checkout_past_its_timeout_fails_instead_of_hanging() -> anyhow::Result<()> {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            anyhow::bail!("TEST_DATABASE_URL is not set");
        };
        let pool = build_pool(&url, 1, Duration::from_millis(200))?;
        let held = pool.get().await?;
        // The outer bound only turns a hang into a failure; the pool must answer long before.
        let second = tokio::time::timeout(WAIT, pool.get()).await?;
        assert!(
            matches!(second, Err(deadpool::PoolError::Timeout(_))),
            "{:?}",
            second.err()
        );
        let storage = hourglass_ports::error::StorageError::from(crate::error::DbError::from(
            second.err().context("an error")?,
        ));
        assert!(
            matches!(
                storage,
                hourglass_ports::error::StorageError::Unavailable(_)
            ),
            "{storage:?}"
        );
        drop(held);
        assert!(pool.get().await.is_ok(), "free again");
        Ok(())
    }

    #[test]
    fn a_pool_of_zero_connections_is_rejected() {
        let built = build_pool("postgres://unused@127.0.0.1:1/unused", 0, WAIT);
        assert!(matches!(built, Err(PoolError::ZeroSize)));
    }

    #[tokio::test]
    async fn ping_fails_when_nothing_listens() -> Result<(), PoolError> {
        // Port 1 is reserved and closed, so the connection is refused at once.
        let pool = build_pool("postgres://unused@127.0.0.1:1/unused", 1, WAIT)?;
        let pinged = ping(&pool).await;
        assert!(matches!(pinged, Err(PingError::Checkout(_))), "{pinged:?}");
        Ok(())
    }

    #[tokio::test]
    async fn usage_counts_held_and_idle_connections() -> anyhow::Result<()> {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            anyhow::bail!("TEST_DATABASE_URL is not set");
        };
        let pool = build_pool(&url, 3, WAIT)?;
        let probe = PgPoolUsage::new(pool.clone());
        assert_eq!(
            probe.usage(),
            PoolUsage {
                max_size: 3,
                size: 0,
                idle: 0,
                waiting: 0
            }
        );
        let held = pool.get().await?;
        let usage = probe.usage();
        assert_eq!((usage.size, usage.in_use(), usage.idle), (1, 1, 0));
        drop(held);
        let usage = probe.usage();
        assert_eq!((usage.size, usage.in_use(), usage.idle), (1, 0, 1));
        Ok(())
    }

    #[tokio::test]
    async fn a_statement_past_the_statement_timeout_is_cancelled_as_unavailable()
    -> anyhow::Result<()> {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            anyhow::bail!("TEST_DATABASE_URL is not set");
        };
        let timeout = Duration::from_millis(200);
        let pool = build_pool_with_statement_timeout(&url, 1, WAIT, Some(timeout))?;
        let mut conn = pool.get().await?;
        let shown: Vec<Setting> = diesel::sql_query("SHOW statement_timeout")
            .load(&mut conn)
            .await?;
        assert_eq!(
            shown.into_iter().next().map(|row| row.statement_timeout),
            Some("200ms".to_owned())
        );
        let slow = diesel::sql_query("SELECT pg_sleep(5)")
            .execute(&mut conn)
            .await;
        let Err(error) = slow else {
            panic!("a 5 s statement outlived a 200 ms statement_timeout");
        };
        let storage =
            hourglass_ports::error::StorageError::from(crate::error::DbError::from(error));
        assert!(
            matches!(
                storage,
                hourglass_ports::error::StorageError::Unavailable(_)
            ),
            "{storage:?}"
        );
        drop(conn);

        // Without one, the session keeps the server's default (0: no limit).
        let unbounded = build_pool_with_statement_timeout(&url, 1, WAIT, None)?;
        let mut conn = unbounded.get().await?;
        let shown: Vec<Setting> = diesel::sql_query("SHOW statement_timeout")
            .load(&mut conn)
            .await?;
        assert_eq!(
            shown.into_iter().next().map(|row| row.statement_timeout),
            Some("0".to_owned())
        );
        Ok(())
    }

    /// A row of `SHOW statement_timeout`.
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        statement_timeout: String,
    }

    #[tokio::test]
    async fn ping_succeeds_against_the_test_database() -> anyhow::Result<()> {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            anyhow::bail!(
                "TEST_DATABASE_URL is not set: point it at a PostgreSQL admin URL, \
                 e.g. the one `scripts/pg.sh start` prints"
            );
        };
        let pool = build_pool(&url, 2, WAIT)?;
        ping(&pool).await?;
        Ok(())
    }
}
