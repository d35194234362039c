//! [`ReadinessProbe`] on PostgreSQL: the database is ready when a pooled connection answers
//! `SELECT 1` within [`pool::ping`]'s time limit.

use async_trait::async_trait;
use hourglass_ports::health::{NotReady, ReadinessProbe};

use crate::pool::{self, PgPool};

/// Pings the shared pool.
#[derive(Clone)]
pub struct PgReadiness {
    pool: PgPool,
}

impl PgReadiness {
    /// A probe over `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl std::fmt::Debug for PgReadiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgReadiness").finish_non_exhaustive()
    }
}

#[async_trait]
impl ReadinessProbe for PgReadiness {
    async fn check(&self) -> Result<(), NotReady> {
        pool::ping(&self.pool).await.map_err(|error| NotReady {
            what: "database",
            source: Box::new(error),
        })
    }
}
