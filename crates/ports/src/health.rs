//! The readiness port: can this instance serve requests that need its dependencies right now?
//!
//! Liveness (`/healthz`) deliberately checks nothing; readiness (`/readyz`) asks this port, so an
//! orchestrator stops routing traffic to an instance whose database is unreachable without
//! restarting it.

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
