//! The alarms of running timers (time's up, forgotten) as stored and claimed by the scheduler.
//!
//! The instants follow the timer's state (see [`hourglass_domain::timer::alarm`]); the store
//! keeps them beside each active timer, updated in the transaction of every change, so that
//! any instance can claim what is due.

use async_trait::async_trait;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::Timer;
use hourglass_domain::timer::alarm::{Alarm, AlarmKind, AlarmPolicy};

use crate::error::StorageError;

/// Seconds after its due instant from which an alarm counts as late (it fell while no
/// scheduler ran, or the schedulers are far behind).
pub const LATE_AFTER_SECONDS: i64 = 2;

/// One alarm that went off, committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredAlarm {
    /// Which one and when it was due: the instant the running time reached its threshold, or the
    /// change that made it due at once (a lowered allocation), whichever is later.
    pub alarm: Alarm,
    /// Whether it went off more than [`LATE_AFTER_SECONDS`] after it was due.
    pub late: bool,
    /// The timer as it was when the alarm went off. Its notification (`TIME_UP` or
    /// `TIMER_FORGOTTEN`) was stored and announced by the store.
    pub timer: Timer,
}

impl FiredAlarm {
    /// Whether this is the time-up alarm (the one devices hear about as `timer.time_up`).
    pub fn is_time_up(&self) -> bool {
        self.alarm.kind == AlarmKind::TimeUp
    }
}

/// Where the alarms are kept and claimed.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AlarmRepository: Send + Sync {
    /// Fires up to `limit` timers whose alarm is due at `now`, earliest first, and returns what
    /// went off.
    ///
    /// MUST, in one transaction: claim the due rows so that no other instance claims them at the
    /// same time and none waits for another (e.g. `FOR UPDATE SKIP LOCKED`), together with the
    /// timers' rows (so a concurrent command either precedes the claim, which then sees its
    /// result, or waits for it); mark each alarm due under `policy` as gone off for the
    /// timer's current allocation and store the next one's instant; store and announce a
    /// notification per alarm; announce `timer.time_up` for each time-up alarm; commit. An
    /// alarm therefore goes off exactly once per allocation, on whichever instance claims it.
    ///
    /// # Errors
    /// [`StorageError`]; nothing went off then.
    async fn fire_due(
        &self,
        now: Timestamp,
        policy: AlarmPolicy,
        limit: u32,
    ) -> Result<Vec<FiredAlarm>, StorageError>;
}
