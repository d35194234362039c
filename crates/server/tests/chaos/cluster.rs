//! The PostgreSQL cluster the fault tests stop and start: the one `TEST_DATABASE_URL` points at,
//! controlled with `scripts/pg.sh` under the same `HOURGLASS_PG_PORT` / `HOURGLASS_PG_DIR`.
//!
//! Stopping a cluster is destructive for anyone else using it, so the tests refuse to run unless
//! `HOURGLASS_PG_DIR` is set and `TEST_DATABASE_URL` names `HOURGLASS_PG_PORT`: `just chaos` sets
//! all three for a throwaway cluster of its own (`target/pg-chaos`), never the `just test` one.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};

/// The cluster under test.
pub struct Cluster {
    script: PathBuf,
}

impl Cluster {
    /// The cluster named by the environment, after checking that it is a dedicated one.
    pub fn from_env() -> anyhow::Result<Self> {
        let url = std::env::var("TEST_DATABASE_URL")
            .context("TEST_DATABASE_URL is not set: run the fault tests with `just chaos`")?;
        let port = std::env::var("HOURGLASS_PG_PORT")
            .context("HOURGLASS_PG_PORT is not set: run the fault tests with `just chaos`")?;
        let dir = std::env::var("HOURGLASS_PG_DIR").unwrap_or_default();
        ensure!(
            !dir.trim().is_empty(),
            "HOURGLASS_PG_DIR is not set: the fault tests stop PostgreSQL and only run on a \
             cluster of their own (`just chaos` uses target/pg-chaos)"
        );
        ensure!(
            url.contains(&format!(":{port}/")),
            "TEST_DATABASE_URL ({url}) is not on HOURGLASS_PG_PORT {port}"
        );
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg.sh");
        Ok(Self { script })
    }

    /// Stops PostgreSQL (`pg_ctl stop -m fast`: open transactions roll back, sessions end);
    /// returns how long it took.
    pub async fn stop(&self) -> anyhow::Result<Duration> {
        self.pg("stop").await
    }

    /// Starts PostgreSQL again and waits until it accepts connections; returns how long it took.
    pub async fn start(&self) -> anyhow::Result<Duration> {
        self.pg("start").await
    }

    async fn pg(&self, verb: &'static str) -> anyhow::Result<Duration> {
        let began = Instant::now();
        let script = self.script.clone();
        let output = tokio::task::spawn_blocking(move || Command::new(script).arg(verb).output())
            .await?
            .with_context(|| format!("cannot run scripts/pg.sh {verb}"))?;
        if !output.status.success() {
            bail!(
                "scripts/pg.sh {verb} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(began.elapsed())
    }
}

/// Starts the cluster again when dropped, so a test that fails while PostgreSQL is down does not
/// leave it down for the tests after it.
pub struct StoppedCluster<'a> {
    cluster: &'a Cluster,
    restarted: bool,
}

impl<'a> StoppedCluster<'a> {
    /// Stops `cluster`; returns the guard and how long the stop took.
    pub async fn stop(cluster: &'a Cluster) -> anyhow::Result<(Self, Duration)> {
        let took = cluster.stop().await?;
        Ok((
            Self {
                cluster,
                restarted: false,
            },
            took,
        ))
    }

    /// Starts the cluster again; returns how long it took.
    pub async fn restart(mut self) -> anyhow::Result<Duration> {
        self.restarted = true;
        self.cluster.start().await
    }
}

impl Drop for StoppedCluster<'_> {
    fn drop(&mut self) {
        if !self.restarted {
            // Blocking is acceptable here: this only runs when the test already failed.
            let _best_effort = Command::new(&self.cluster.script).arg("start").output();
        }
    }
}
