//! The moments the server tells a timer's owner about on its own: time's up, and a timer left
//! running long past its allocation ("forgotten").
//!
//! Both are thresholds of **running** time, not of the wall clock: while a timer RUNNING, its
//! elapsed time grows one second per second from the instant its current interval opened, so the
//! wall-clock instant it reaches a threshold is fixed until the next pause, resume or change of
//! `allocated_duration` ([`Timer::instant_elapsed_reaches`]). A paused or ended timer has no such
//! instant, so nothing is due.
//!
//! Each alarm goes off at most once per value of `allocated_duration` ([`FiredAlarms`]): a PATCH
//! that changes the allocation arms both again, a pause and resume do not.

use crate::time::Timestamp;
use crate::timer::{Timer, TimerStatus};
use crate::validation::AllocatedDuration;

/// What goes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlarmKind {
    /// Elapsed time reached `allocated_duration` (`timer.time_up`, a `TIME_UP` notification).
    TimeUp,
    /// Elapsed time reached `allocated_duration` plus [`AlarmPolicy::forgotten_after`]
    /// (a `TIMER_FORGOTTEN` notification).
    Forgotten,
}

/// One alarm and the instant it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alarm {
    /// Which one.
    pub kind: AlarmKind,
    /// When the timer's elapsed time reaches its threshold.
    pub due_at: Timestamp,
}

/// The server's alarm settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlarmPolicy {
    forgotten_after: Option<u32>,
}

impl Default for AlarmPolicy {
    /// Forgotten two hours past the allocation (`FORGOTTEN_AFTER_SECONDS`' default).
    fn default() -> Self {
        Self::new(Self::DEFAULT_FORGOTTEN_AFTER_SECONDS)
    }
}

impl AlarmPolicy {
    /// Two hours.
    pub const DEFAULT_FORGOTTEN_AFTER_SECONDS: u32 = 7200;

    /// `forgotten_after` seconds past the allocation make a timer forgotten; 0 turns that off.
    pub fn new(forgotten_after: u32) -> Self {
        Self {
            forgotten_after: (forgotten_after > 0).then_some(forgotten_after),
        }
    }

    /// Seconds of running past the allocation after which a timer counts as forgotten; `None`
    /// when that alarm is off.
    pub fn forgotten_after(self) -> Option<u32> {
        self.forgotten_after
    }

    /// The running time at which `kind` goes off for a timer allocated `allocated`; `None` when
    /// that alarm is off.
    fn threshold(self, kind: AlarmKind, allocated: AllocatedDuration) -> Option<i64> {
        match kind {
            AlarmKind::TimeUp => Some(allocated.seconds()),
            AlarmKind::Forgotten => self
                .forgotten_after
                .map(|after| allocated.seconds() + i64::from(after)),
        }
    }
}

/// For which `allocated_duration` each alarm last went off: what makes "at most once per
/// allocation" hold across pauses, resumes and server restarts. Stored beside the timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FiredAlarms {
    /// The allocation `timer.time_up` last went off for.
    pub time_up_for: Option<AllocatedDuration>,
    /// The allocation the forgotten alarm last went off for.
    pub forgotten_for: Option<AllocatedDuration>,
}

impl FiredAlarms {
    /// Whether `kind` already went off for `allocated`.
    pub fn has_fired(&self, kind: AlarmKind, allocated: AllocatedDuration) -> bool {
        let fired_for = match kind {
            AlarmKind::TimeUp => self.time_up_for,
            AlarmKind::Forgotten => self.forgotten_for,
        };
        fired_for == Some(allocated)
    }

    /// The earliest alarm of `timer` still to go off under `policy`, with its instant (possibly
    /// in the past: then it is overdue); `None` when nothing is pending (not RUNNING, or both
    /// went off for this allocation, or the one left is off).
    pub fn next(&self, timer: &Timer, policy: AlarmPolicy) -> Option<Alarm> {
        self.pending(timer, policy).next()
    }

    /// Marks every alarm of `timer` due at `now` as gone off and returns them, earliest first.
    /// A crossing that fell while no server was running is still due: it goes off late rather
    /// than never.
    pub fn fire_due(&mut self, timer: &Timer, policy: AlarmPolicy, now: Timestamp) -> Vec<Alarm> {
        let due: Vec<Alarm> = self
            .pending(timer, policy)
            .filter(|alarm| alarm.due_at <= now)
            .collect();
        for alarm in &due {
            let slot = match alarm.kind {
                AlarmKind::TimeUp => &mut self.time_up_for,
                AlarmKind::Forgotten => &mut self.forgotten_for,
            };
            *slot = Some(timer.allocated_duration());
        }
        due
    }

    fn pending<'a>(
        &'a self,
        timer: &'a Timer,
        policy: AlarmPolicy,
    ) -> impl Iterator<Item = Alarm> + 'a {
        let allocated = timer.allocated_duration();
        [AlarmKind::TimeUp, AlarmKind::Forgotten]
            .into_iter()
            .filter(move |kind| !self.has_fired(*kind, allocated))
            .filter_map(move |kind| {
                let threshold = policy.threshold(kind, allocated)?;
                let due_at = timer.instant_elapsed_reaches(threshold)?;
                Some(Alarm { kind, due_at })
            })
    }
}

impl Timer {
    /// The instant this timer's elapsed time reaches `seconds` if it keeps running: in the past
    /// when it already has. `None` unless RUNNING (a paused or ended timer reaches nothing).
    ///
    /// Elapsed time counts whole seconds of the whole-second history instants, so the elapsed
    /// time rendered at the returned instant is exactly `seconds` (or more, if already past).
    pub fn instant_elapsed_reaches(&self, seconds: i64) -> Option<Timestamp> {
        if self.status() != TimerStatus::Running {
            return None;
        }
        let since = self.pause_history().open_interval_start()?;
        let closed = self.pause_history().closed_running_seconds();
        Timestamp::from_unix_seconds(since.unix_seconds() + (seconds - closed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{TimerId, UserId};
    use crate::timer::{NewTimer, TimerCommand, TimerPatch};
    use crate::validation::Visibility;
    use uuid::Uuid;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_800_000_000 + seconds).unwrap_or(Timestamp::EPOCH)
    }

    fn allocation(seconds: i64) -> AllocatedDuration {
        AllocatedDuration::new(seconds).unwrap_or_else(|e| panic!("{e}"))
    }

    fn timer(allocated: i64) -> Timer {
        Timer::start(
            TimerId::new(Uuid::nil()),
            NewTimer {
                owner_id: UserId::new(1),
                schedule_id: None,
                todo_id: None,
                title: None,
                description: None,
                allocated_duration: allocation(allocated),
                tag_ids: Vec::new(),
                visibility: Visibility::Friends,
            },
            at(0),
        )
    }

    fn apply(timer: &mut Timer, command: TimerCommand, seconds: i64) {
        timer
            .apply(command, at(seconds))
            .unwrap_or_else(|e| panic!("{e}"));
    }

    const TWO_HOURS: u32 = 7200;

    #[test]
    fn a_running_timer_is_due_when_its_running_time_reaches_the_allocation() {
        let timer = timer(1500);
        let next = FiredAlarms::default().next(&timer, AlarmPolicy::new(TWO_HOURS));
        assert_eq!(
            next,
            Some(Alarm {
                kind: AlarmKind::TimeUp,
                due_at: at(1500)
            })
        );
        assert_eq!(timer.elapsed_at(at(1500)), 1500);
        assert_eq!(timer.elapsed_at(at(1499)), 1499);
    }

    #[test]
    fn a_paused_timer_is_never_due() {
        let mut timer = timer(60);
        apply(&mut timer, TimerCommand::Pause, 30);
        assert_eq!(
            FiredAlarms::default().next(&timer, AlarmPolicy::new(TWO_HOURS)),
            None
        );
        let mut fired = FiredAlarms::default();
        assert!(
            fired
                .fire_due(&timer, AlarmPolicy::new(TWO_HOURS), at(10_000))
                .is_empty()
        );
        assert_eq!(fired, FiredAlarms::default());
    }

    #[test]
    fn a_resumed_timer_is_due_when_the_running_intervals_add_up() {
        let mut timer = timer(60);
        apply(&mut timer, TimerCommand::Pause, 20);
        apply(&mut timer, TimerCommand::Resume, 100);
        // 20 s ran before the pause; 40 more from 100.
        let next = FiredAlarms::default().next(&timer, AlarmPolicy::new(0));
        assert_eq!(next.map(|a| a.due_at), Some(at(140)));
        assert_eq!(timer.elapsed_at(at(140)), 60);
    }

    #[test]
    fn ended_timers_are_never_due() {
        for command in [TimerCommand::Stop, TimerCommand::Cancel] {
            let mut timer = timer(60);
            apply(&mut timer, command, 10);
            assert_eq!(
                FiredAlarms::default().next(&timer, AlarmPolicy::new(TWO_HOURS)),
                None
            );
        }
    }

    #[test]
    fn time_up_goes_off_once_then_the_forgotten_alarm_is_next() {
        let policy = AlarmPolicy::new(TWO_HOURS);
        let timer = timer(1500);
        let mut fired = FiredAlarms::default();
        assert!(fired.fire_due(&timer, policy, at(1499)).is_empty());
        let due = fired.fire_due(&timer, policy, at(1500));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].kind, AlarmKind::TimeUp);
        assert!(fired.fire_due(&timer, policy, at(1501)).is_empty());
        assert_eq!(
            fired.next(&timer, policy),
            Some(Alarm {
                kind: AlarmKind::Forgotten,
                due_at: at(1500 + 7200)
            })
        );
        let due = fired.fire_due(&timer, policy, at(1500 + 7200));
        assert_eq!(
            due.iter().map(|a| a.kind).collect::<Vec<_>>(),
            [AlarmKind::Forgotten]
        );
        assert_eq!(fired.next(&timer, policy), None);
    }

    #[test]
    fn a_pause_and_resume_after_time_up_do_not_arm_it_again() {
        let policy = AlarmPolicy::new(0);
        let mut timer = timer(60);
        let mut fired = FiredAlarms::default();
        assert_eq!(fired.fire_due(&timer, policy, at(61)).len(), 1);
        apply(&mut timer, TimerCommand::Pause, 70);
        apply(&mut timer, TimerCommand::Resume, 80);
        assert_eq!(fired.next(&timer, policy), None);
        assert!(fired.fire_due(&timer, policy, at(1000)).is_empty());
    }

    #[test]
    fn a_new_allocation_arms_time_up_again_at_the_new_threshold() {
        let policy = AlarmPolicy::new(0);
        let mut timer = timer(60);
        let mut fired = FiredAlarms::default();
        assert_eq!(fired.fire_due(&timer, policy, at(60)).len(), 1);
        let patch = TimerPatch {
            allocated_duration: Some(allocation(120)),
            ..TimerPatch::default()
        };
        assert!(timer.update_details(patch, at(90)));
        assert_eq!(fired.next(&timer, policy).map(|a| a.due_at), Some(at(120)));
        assert_eq!(fired.fire_due(&timer, policy, at(120)).len(), 1);
        assert_eq!(fired.next(&timer, policy), None);
    }

    #[test]
    fn a_crossing_missed_while_no_server_ran_goes_off_late_with_everything_else_due() {
        let policy = AlarmPolicy::new(3600);
        let timer = timer(60);
        let mut fired = FiredAlarms::default();
        let due = fired.fire_due(&timer, policy, at(100_000));
        assert_eq!(
            due,
            [
                Alarm {
                    kind: AlarmKind::TimeUp,
                    due_at: at(60)
                },
                Alarm {
                    kind: AlarmKind::Forgotten,
                    due_at: at(3660)
                }
            ]
        );
        assert_eq!(fired.next(&timer, policy), None);
    }

    #[test]
    fn the_forgotten_alarm_can_be_turned_off() {
        let policy = AlarmPolicy::new(0);
        assert_eq!(policy.forgotten_after(), None);
        let timer = timer(60);
        let mut fired = FiredAlarms::default();
        fired.fire_due(&timer, policy, at(60));
        assert_eq!(fired.next(&timer, policy), None);
    }
}
