//! The chores that keep a running server's state bounded: the scheduled clean-up of remembered
//! command outcomes ([`CommandRetention`]) and of idle rate-limit keys
//! ([`RateLimits::forget_idle`]), each reporting to the metrics. Both run until the returned
//! [`Upkeep`] is stopped.

use std::sync::Arc;
use std::time::Duration;

use hourglass_adapters_actix::edge::rate_limit::RateLimits;
use hourglass_adapters_actix::edge::telemetry::Metrics;
use hourglass_adapters_postgres::pool::PgPool;
use hourglass_adapters_postgres::repository::PgProcessedCommandRepository;
use hourglass_ports::clock::Clock;
use hourglass_ports::service::retention::{CommandRetention, Purged};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::UpkeepConfig;

/// How often idle rate-limit keys are dropped: a key then outlives its user's last activity by
/// at most its window plus this.
pub const RATE_LIMIT_SWEEP_INTERVAL: Duration = Duration::from_secs(30);

/// The running chores.
#[derive(Debug)]
pub struct Upkeep {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Upkeep {
    /// Starts both chores.
    pub fn start(
        config: &UpkeepConfig,
        pool: &PgPool,
        clock: Arc<dyn Clock>,
        limits: Arc<RateLimits>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let retention = CommandRetention::new(
            Arc::new(PgProcessedCommandRepository::new(pool.clone())),
            clock,
            config.processed_commands_max_per_user,
            config.processed_commands_purge_interval(),
        );
        let purge_metrics = metrics.clone();
        let purge = tokio::spawn(
            retention.run(wait_for_stop(stopped.clone()), move |purged| {
                let Purged { expired, over_cap } = purged;
                purge_metrics.processed_commands_purged(expired, over_cap);
            }),
        );
        let sweep = tokio::spawn(sweep_rate_limits(limits, metrics, stopped));
        Self {
            stop,
            tasks: vec![purge, sweep],
        }
    }

    /// Stops both chores and waits for them.
    pub async fn stop(self) {
        let _receivers_gone = self.stop.send(true);
        for task in self.tasks {
            if let Err(error) = task.await {
                tracing::warn!(%error, "an upkeep task ended abnormally");
            }
        }
    }
}

async fn wait_for_stop(mut stopped: watch::Receiver<bool>) {
    // A dropped sender stops it too.
    let _stopped_or_gone = stopped.wait_for(|stop| *stop).await;
}

/// Drops idle rate-limit keys every [`RATE_LIMIT_SWEEP_INTERVAL`] and reports what is left.
async fn sweep_rate_limits(
    limits: Arc<RateLimits>,
    metrics: Arc<Metrics>,
    stopped: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(RATE_LIMIT_SWEEP_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stop = wait_for_stop(stopped);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = ticks.tick() => metrics.rate_limit_keys(limits.forget_idle()),
        }
    }
}
