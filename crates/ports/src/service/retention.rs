//! Keeps the remembered command outcomes ([`crate::processed`]) bounded: every `interval`, the
//! outcomes older than [`REMEMBER_SECONDS`] (no longer replayed anyway) are deleted, and so are
//! each user's outcomes beyond their newest `max_per_user`. Between two runs a user adds at most
//! what the WebSocket message limit lets through in one interval.
//!
//! Every instance runs it ([`CommandRetention::run`]); the deletes are idempotent, so two
//! instances running it at once only repeat each other's work.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hourglass_domain::time::Timestamp;

use crate::clock::Clock;
use crate::error::StorageError;
use crate::processed::{ProcessedCommandRepository, REMEMBER_SECONDS};

/// How many outcomes one clean-up deleted, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Older than [`REMEMBER_SECONDS`].
    pub expired: u64,
    /// Beyond a user's newest `max_per_user`.
    pub over_cap: u64,
}

/// The clean-up of remembered command outcomes.
#[derive(Clone)]
pub struct CommandRetention {
    processed: Arc<dyn ProcessedCommandRepository>,
    clock: Arc<dyn Clock>,
    max_per_user: u32,
    interval: Duration,
}

impl CommandRetention {
    /// Keeps at most `max_per_user` outcomes per user, cleaning up every `interval`.
    pub fn new(
        processed: Arc<dyn ProcessedCommandRepository>,
        clock: Arc<dyn Clock>,
        max_per_user: u32,
        interval: Duration,
    ) -> Self {
        Self {
            processed,
            clock,
            max_per_user,
            interval,
        }
    }

    /// One clean-up, now.
    ///
    /// # Errors
    /// [`StorageError`] of either delete (the first one's rows are gone when the second fails).
    pub async fn purge_once(&self) -> Result<Purged, StorageError> {
        let now = self.clock.now();
        let cutoff = Timestamp::from_unix_seconds(now.unix_seconds() - REMEMBER_SECONDS)
            .unwrap_or(Timestamp::EPOCH);
        let expired = self.processed.purge(cutoff).await?;
        let over_cap = self.processed.trim_per_user(self.max_per_user).await?;
        Ok(Purged { expired, over_cap })
    }

    /// Cleans up at once, then every `interval`, until `stop` completes; `observe` sees each
    /// clean-up's counts. A failed one is logged and tried again at the next tick.
    pub async fn run(self, stop: impl Future<Output = ()>, observe: impl Fn(Purged)) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = ticks.tick() => match self.purge_once().await {
                    Ok(purged) => {
                        if purged != Purged::default() {
                            tracing::info!(
                                expired = purged.expired,
                                over_cap = purged.over_cap,
                                "remembered command outcomes purged"
                            );
                        }
                        observe(purged);
                    }
                    Err(error) => tracing::warn!(
                        %error,
                        "remembered command outcomes could not be purged; retrying at the next tick"
                    ),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::clock::MockClock;
    use crate::processed::MockProcessedCommandRepository;

    use super::*;

    #[tokio::test]
    async fn purges_what_is_older_than_a_day_then_trims_each_user() -> Result<(), StorageError> {
        let now = Timestamp::from_unix_seconds(REMEMBER_SECONDS + 100).unwrap_or(Timestamp::EPOCH);
        let mut clock = MockClock::new();
        clock.expect_now().return_const(now);
        let mut processed = MockProcessedCommandRepository::new();
        processed
            .expect_purge()
            .withf(|before| before.unix_seconds() == 100)
            .times(1)
            .returning(|_| Ok(4));
        processed
            .expect_trim_per_user()
            .withf(|keep| *keep == 7)
            .times(1)
            .returning(|_| Ok(2));
        let retention = CommandRetention::new(
            Arc::new(processed),
            Arc::new(clock),
            7,
            Duration::from_secs(1),
        );
        assert_eq!(
            retention.purge_once().await?,
            Purged {
                expired: 4,
                over_cap: 2
            }
        );
        Ok(())
    }
}
