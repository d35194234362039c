//! The readiness port: can this instance serve requests that need its dependencies right now?
//!
//! Liveness (`/healthz`) deliberately checks nothing; readiness (`/readyz`) asks this port, so an
//! orchestrator stops routing traffic to an instance whose database is unreachable without
//! restarting it.
//!
//! The same module holds [`PoolUsageProbe`]: how busy the database pool is, and
//! [`ListenerProbe`]: whether the event listener's connection is up, both of which `/metrics`
//! samples on each scrape.

use async_trait::async_trait;
use thiserror::Error;

use crate::error::BoxError;

/// A dependency did not answer the readiness check.
#[derive(Debug, Error)]
#[error("not ready: {what} unavailable")]
pub struct NotReady {
    /// Which dependency failed (e.g. `"database"`), safe to show to an operator.
    pub what: &'static str,
    /// Why, for the log.
    #[source]
    pub source: BoxError,
}

/// Checks the dependencies the service needs to answer requests.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReadinessProbe: Send + Sync {
    /// Answers quickly (implementations bound their own wait) whether every dependency responds.
    ///
    /// # Errors
    /// [`NotReady`] naming the first dependency that did not answer.
    async fn check(&self) -> Result<(), NotReady>;
}

/// How busy a connection pool is at one instant (for `/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolUsage {
    /// The most connections the pool will open.
    pub max_size: usize,
    /// Connections open now, idle or handed out.
    pub size: usize,
    /// Open connections nobody holds.
    pub idle: usize,
    /// Callers waiting for a connection: a pool that is too small, or connections held too long.
    pub waiting: usize,
}

impl PoolUsage {
    /// Open connections held by a caller right now.
    #[must_use]
    pub fn in_use(&self) -> usize {
        self.size.saturating_sub(self.idle)
    }
}

/// Reports a connection pool's usage. Cheap and synchronous: it is sampled on every scrape of
/// `/metrics`, so the edge can show the pool without depending on the storage adapter.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait PoolUsageProbe: Send + Sync {
    /// The usage now.
    fn usage(&self) -> PoolUsage;
}

/// The state of an instance's event listener connection (the one that receives the other
/// instances' events), at one instant, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListenerStatus {
    /// When the current connection was opened; `None` while it is lost and being reconnected.
    pub connected_since: Option<std::time::Instant>,
    /// Connections opened again after a loss, since start-up.
    pub reconnects: u64,
}

/// Reports the event listener's connection. Cheap and synchronous, like [`PoolUsageProbe`]:
/// sampled on every scrape of `/metrics`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait ListenerProbe: Send + Sync {
    /// The status now.
    fn status(&self) -> ListenerStatus;
}
