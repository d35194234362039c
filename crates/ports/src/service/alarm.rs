//! The alarm scheduler: fires the alarms of running timers that are due, on whichever instance
//! claims them first, and hands `timer.time_up` to this instance's delivery.
//!
//! Every instance runs one ([`AlarmService::run`]), polling every [`POLL_INTERVAL`]. The claim,
//! the alarm's "gone off" mark, the notification and the cross-instance announcement commit
//! together ([`AlarmRepository::fire_due`]), so an alarm goes off exactly once however many
//! schedulers run, and one that fell due while none ran goes off, late, at the first poll of
//! the next one to start.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hourglass_domain::timer::alarm::AlarmPolicy;

use crate::alarm::{AlarmRepository, FiredAlarm};
use crate::clock::Clock;
use crate::error::StorageError;
use crate::event::{DomainEvent, EventPublisher};
use crate::planning::TagRepository;
use crate::service::announce;
use crate::timer::TaggedTimer;

/// How often the scheduler looks for due alarms: the bound of its delay beyond the time one
/// batch takes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Alarms claimed per transaction: large enough that 10,000 timers due in one minute go off in
/// a few transactions, small enough that one holds few row locks briefly.
pub const BATCH: u32 = 500;

/// Fires due alarms and announces them.
#[derive(Clone)]
pub struct AlarmService {
    alarms: Arc<dyn AlarmRepository>,
    tags: Arc<dyn TagRepository>,
    publisher: Arc<dyn EventPublisher>,
    clock: Arc<dyn Clock>,
    policy: AlarmPolicy,
}

impl AlarmService {
    /// Wires the service to its ports; `policy` says when a timer counts as forgotten.
    pub fn new(
        alarms: Arc<dyn AlarmRepository>,
        tags: Arc<dyn TagRepository>,
        publisher: Arc<dyn EventPublisher>,
        clock: Arc<dyn Clock>,
        policy: AlarmPolicy,
    ) -> Self {
        Self {
            alarms,
            tags,
            publisher,
            clock,
            policy,
        }
    }

    /// Fires every alarm due now, in batches of [`BATCH`] until one comes back short, and hands
    /// each time-up to this instance's delivery (the other instances hear of it from the store's
    /// announcement). Returns how many alarms went off.
    ///
    /// # Errors
    /// [`StorageError`] when a batch could not be claimed; the batches before it went off.
    pub async fn fire_due(&self) -> Result<usize, StorageError> {
        let now = self.clock.now();
        let mut total = 0;
        loop {
            let fired = self.alarms.fire_due(now, self.policy, BATCH).await?;
            let count = fired.len();
            total += count;
            for alarm in fired {
                self.announce(alarm).await;
            }
            if count < BATCH as usize {
                return Ok(total);
            }
        }
    }

    async fn announce(&self, fired: FiredAlarm) {
        if !fired.is_time_up() {
            // The notification is all there is to it, and the store announced it.
            return;
        }
        if fired.late {
            tracing::info!(timer = %fired.timer.id(), due_at = %fired.alarm.due_at, "time up, late");
        }
        let event = DomainEvent::TimeUp {
            due_at: fired.alarm.due_at,
            late: fired.late,
            timer: TaggedTimer::load(fired.timer, self.tags.as_ref()).await,
        };
        announce(&self.publisher, event).await;
    }

    /// Fires due alarms every [`POLL_INTERVAL`] until `stop` completes. A failed poll is logged
    /// and retried at the next one: nothing is lost, the alarms stay due.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        let mut ticks = tokio::time::interval(POLL_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = ticks.tick() => {
                    if let Err(error) = self.fire_due().await {
                        tracing::warn!(%error, "due alarms could not be claimed; retrying at the next poll");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
