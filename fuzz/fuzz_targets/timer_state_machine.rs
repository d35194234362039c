//! The timer state machine: a valid new timer, then a random sequence of commands, metadata
//! patches and reads at a clock that mostly moves forward and sometimes steps back.
//!
//! Properties checked after every step (`timer-api.md`, "State machine" and "Time rules"; the
//! domain's proptest `random_command_sequences_keep_the_invariants`): nothing panics; a refused
//! command changes nothing and is refused for the documented reason; an accepted one appends its
//! history event at `max(now, last event)`, sets the status, `paused_at` and `ended_at` as the
//! table says and bumps `version` once; a patch bumps `version` only when it changed something;
//! `version` = 1 + accepted commands + effective patches; `started_at`, `created_at`, id and owner
//! never change; history instants never decrease and hold at most 1000 events before the final
//! one; each `elapsed` equals the sum of the RUNNING intervals up to it; `elapsed_at(now)` equals
//! that sum plus the open interval, never decreases as `now` grows, and `overtime_at` is
//! `elapsed > allocated`; the history passes `PauseHistory::from_events` and the snapshot
//! restores to the same timer.

#![no_main]

use hourglass_domain::ids::{ScheduleId, TagId, TimerId, TodoId, UserId};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{
    FieldUpdate, HistoryAction, NewTimer, PauseEvent, PauseHistory, Timer, TimerCommand,
    TimerPatch, TimerStatus, TransitionError,
};
use hourglass_domain::validation::{AllocatedDuration, Title, Visibility};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

/// Far enough from chrono's limits (±262 000 years) that no step leaves its range.
const CLOCK_LIMIT: i64 = 100_000_000_000;

/// Enough steps to fill a history (1000 events) through bursts.
const MAX_STEPS: usize = 400;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    // `Unstructured` answers an exhausted input with default values rather than errors, and the
    // step loop ends there, so `run` always reaches its final checks.
    let _ = run(&mut u);
});

/// What the test expects of the timer, kept independently of it.
struct Model {
    accepted_commands: i64,
    effective_patches: i64,
    clock: i64,
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let start = u.int_in_range(-CLOCK_LIMIT / 10..=CLOCK_LIMIT / 10)?;
    let new = new_timer(u)?;
    let id = TimerId::new(Uuid::from_u128(u.arbitrary()?));
    let mut timer = Timer::start(id, new.clone(), at(start));
    assert_eq!(timer.status(), TimerStatus::Running);
    assert_eq!(timer.version(), 1);
    assert_eq!(timer.pause_history().len(), 1);
    assert_eq!(timer.elapsed_at(at(start)), 0);
    let mut model = Model {
        accepted_commands: 0,
        effective_patches: 0,
        clock: start,
    };
    check_invariants(&timer, &model, start, &new);

    for step in 0..MAX_STEPS {
        if u.is_empty() {
            break;
        }
        model.clock = next_clock(u, model.clock)?;
        match u.int_in_range(0_u8..=9)? {
            0..=6 => {
                let command = command(u)?;
                apply(&mut timer, &mut model, command);
            }
            7 => {
                // Many pause/resume pairs at once, to reach the 1000-event limit; the burst ends
                // at the first refusal (a full history or an ended timer).
                let commands = u.int_in_range(2_u16..=1_200)?;
                let step = u.int_in_range(0_i64..=5)?;
                for _ in 0..commands {
                    model.clock = (model.clock + step).min(CLOCK_LIMIT);
                    let command = if timer.status() == TimerStatus::Paused {
                        TimerCommand::Resume
                    } else {
                        TimerCommand::Pause
                    };
                    if !apply(&mut timer, &mut model, command) {
                        break;
                    }
                }
            }
            8 => {
                let patch = patch(u)?;
                let before = timer.clone();
                let changed = timer.update_details(patch, at(model.clock));
                if changed {
                    model.effective_patches += 1;
                    assert_eq!(timer.updated_at(), at(model.clock).max(before.updated_at()));
                } else {
                    assert_eq!(
                        timer, before,
                        "a patch that changes nothing keeps the timer"
                    );
                }
                assert_eq!(timer.status(), before.status());
                assert_eq!(timer.pause_history(), before.pause_history());
            }
            _ => {
                // A read changes nothing.
                let before = timer.clone();
                let _ = timer.elapsed_at(at(model.clock));
                let _ = timer.overtime_at(at(model.clock));
                let _ = timer.readable_by(UserId::new(u.arbitrary()?), u.arbitrary()?);
                assert_eq!(timer, before);
            }
        }
        // The whole-history checks are linear in the history: after every step while it is
        // short, then every 16th step; always at the end.
        if timer.pause_history().len() < 64 || step % 16 == 0 {
            check_invariants(&timer, &model, start, &new);
        }
    }
    check_invariants(&timer, &model, start, &new);
    Ok(())
}

fn at(seconds: i64) -> Timestamp {
    match Timestamp::from_unix_seconds(seconds) {
        Some(t) => t,
        None => panic!("{seconds} is within chrono's range"),
    }
}

fn new_timer(u: &mut Unstructured<'_>) -> Result<NewTimer> {
    let allocated = u.int_in_range(1_i64..=86_400)?;
    let Ok(allocated_duration) = AllocatedDuration::new(allocated) else {
        panic!("{allocated} is a valid duration");
    };
    let tag_count = u.int_in_range(0_usize..=4)?;
    let mut tag_ids = Vec::with_capacity(tag_count);
    for _ in 0..tag_count {
        // Few distinct values, so duplicates occur.
        tag_ids.push(TagId::new(Uuid::from_u128(u.int_in_range(0_u128..=3)?)));
    }
    Ok(NewTimer {
        owner_id: UserId::new(u.arbitrary()?),
        allocated_duration,
        title: title(u)?,
        description: None,
        schedule_id: u
            .arbitrary::<Option<u8>>()?
            .map(|n| ScheduleId::new(Uuid::from_u128(u128::from(n)))),
        todo_id: u
            .arbitrary::<Option<u8>>()?
            .map(|n| TodoId::new(Uuid::from_u128(u128::from(n)))),
        tag_ids,
        visibility: visibility(u)?,
    })
}

fn title(u: &mut Unstructured<'_>) -> Result<Option<Title>> {
    Ok(match u.int_in_range(0_u8..=2)? {
        0 => None,
        n => Title::new(if n == 1 { "focus" } else { "deep work" }).ok(),
    })
}

fn visibility(u: &mut Unstructured<'_>) -> Result<Visibility> {
    Ok(*u.choose(&[Visibility::Private, Visibility::Friends, Visibility::Public])?)
}

fn command(u: &mut Unstructured<'_>) -> Result<TimerCommand> {
    // Pause and resume are more frequent, as in the domain proptest, so sequences get long.
    Ok(match u.int_in_range(0_u8..=9)? {
        0..=3 => TimerCommand::Pause,
        4..=7 => TimerCommand::Resume,
        8 => TimerCommand::Stop,
        _ => TimerCommand::Cancel,
    })
}

fn patch(u: &mut Unstructured<'_>) -> Result<TimerPatch> {
    let title = match u.int_in_range(0_u8..=2)? {
        0 => FieldUpdate::Keep,
        1 => FieldUpdate::Clear,
        _ => FieldUpdate::Set(title(u)?),
    };
    let tag_ids = match u.int_in_range(0_u8..=2)? {
        0 => FieldUpdate::Keep,
        1 => FieldUpdate::Clear,
        _ => FieldUpdate::Set(vec![TagId::new(Uuid::from_u128(
            u.int_in_range(0_u128..=3)?,
        ))]),
    };
    let schedule_id = match u.int_in_range(0_u8..=2)? {
        0 => FieldUpdate::Keep,
        1 => FieldUpdate::Clear,
        _ => FieldUpdate::Set(Some(ScheduleId::new(Uuid::from_u128(u128::from(
            u.arbitrary::<u8>()?,
        ))))),
    };
    Ok(TimerPatch {
        title,
        description: FieldUpdate::Keep,
        schedule_id,
        todo_id: FieldUpdate::Keep,
        tag_ids,
        visibility: if u.arbitrary()? {
            Some(visibility(u)?)
        } else {
            None
        },
        // The model checks that the allocation never changes.
        allocated_duration: None,
    })
}

/// Mostly forward by up to ten minutes, sometimes backward (a server clock stepping back),
/// sometimes a long jump.
fn next_clock(u: &mut Unstructured<'_>, clock: i64) -> Result<i64> {
    let delta = match u.int_in_range(0_u8..=9)? {
        0..=5 => u.int_in_range(0_i64..=600)?,
        6 => 0,
        7 | 8 => -u.int_in_range(1_i64..=3_600)?,
        _ => u.int_in_range(-CLOCK_LIMIT..=CLOCK_LIMIT)?,
    };
    Ok((clock + delta).clamp(-CLOCK_LIMIT, CLOCK_LIMIT))
}

/// The status a command leads to from `from`, per the contract's table.
fn target(command: TimerCommand, from: TimerStatus) -> Option<TimerStatus> {
    use TimerCommand as C;
    use TimerStatus as S;
    match (from, command) {
        (S::Running, C::Pause) => Some(S::Paused),
        (S::Paused, C::Resume) => Some(S::Running),
        (S::Running | S::Paused, C::Stop) => Some(S::Completed),
        (S::Running | S::Paused, C::Cancel) => Some(S::Cancelled),
        _ => None,
    }
}

/// Applies `command` and checks its effect; returns whether it was accepted.
fn apply(timer: &mut Timer, model: &mut Model, command: TimerCommand) -> bool {
    let before = timer.clone();
    let now = at(model.clock);
    let expected = target(command, before.status());
    let history_full = matches!(command, TimerCommand::Pause | TimerCommand::Resume)
        && before.pause_history().len() >= PauseHistory::MAX_EVENTS;
    match timer.apply(command, now) {
        Ok(()) => {
            model.accepted_commands += 1;
            let Some(status) = expected else {
                panic!("{command} accepted from {}", before.status());
            };
            assert!(!history_full, "{command} accepted on a full history");
            assert_eq!(timer.status(), status);
            let when = now.max(before.pause_history().last_at());
            let events = timer.pause_history().events();
            assert_eq!(events.len(), before.pause_history().len() + 1);
            assert_eq!(&events[..events.len() - 1], before.pause_history().events());
            let Some(last) = events.last() else {
                panic!("empty history");
            };
            assert_eq!(last.action, command.history_action());
            assert_eq!(last.at, when);
            match command {
                TimerCommand::Pause => {
                    assert_eq!(timer.paused_at(), Some(when));
                    assert_eq!(timer.ended_at(), None);
                }
                TimerCommand::Resume => {
                    assert_eq!(timer.paused_at(), None);
                    assert_eq!(timer.ended_at(), None);
                }
                TimerCommand::Stop | TimerCommand::Cancel => {
                    assert_eq!(timer.paused_at(), before.paused_at());
                    assert_eq!(timer.ended_at(), Some(when));
                }
            }
            assert_eq!(timer.updated_at(), when);
            assert_eq!(timer.version(), before.version() + 1);
            // What the command recorded is what a read at that instant would have said.
            if last.action != HistoryAction::Resume {
                assert_eq!(last.elapsed, Some(before.elapsed_at(when)));
            }
            true
        }
        Err(error) => {
            assert_eq!(*timer, before, "a refused command changes nothing");
            match (expected, error) {
                (None, TransitionError::InvalidTransition { command: c, status }) => {
                    assert_eq!(c, command);
                    assert_eq!(status, before.status());
                }
                (Some(_), TransitionError::HistoryFull { command: c }) => {
                    assert!(history_full, "{command} refused as full below the limit");
                    assert_eq!(c, command);
                }
                (expected, error) => {
                    panic!("{command} from {}: {error} ({expected:?})", before.status())
                }
            }
            assert!(!error.to_string().is_empty());
            false
        }
    }
}

/// Sum of the RUNNING intervals straight from the events (the guide's `getTotalWorkTime`,
/// with cancel closing the interval too), plus the open interval up to `now`.
fn total_work_time(events: &[PauseEvent], now: Timestamp) -> i64 {
    let mut total = 0;
    let mut running_since = None;
    for event in events {
        match event.action {
            HistoryAction::Start | HistoryAction::Resume => running_since = Some(event.at),
            HistoryAction::Pause | HistoryAction::Stop | HistoryAction::Cancel => {
                if let Some(since) = running_since.take() {
                    total += event.at.seconds_since(since);
                }
            }
        }
    }
    if let Some(since) = running_since {
        total += now.seconds_since(since).max(0);
    }
    total
}

fn check_invariants(timer: &Timer, model: &Model, start: i64, new: &NewTimer) {
    assert_eq!(
        timer.version(),
        1 + model.accepted_commands + model.effective_patches,
        "version counts accepted commands and effective patches"
    );
    assert_eq!(timer.started_at(), at(start));
    assert_eq!(timer.created_at(), at(start));
    assert_eq!(timer.owner_id(), new.owner_id);
    assert_eq!(timer.allocated_duration(), new.allocated_duration);
    assert!(timer.updated_at() >= timer.created_at());

    let events = timer.pause_history().events();
    let Some(first) = events.first() else {
        panic!("empty history");
    };
    assert_eq!(first.action, HistoryAction::Start);
    assert_eq!(first.at, at(start));
    assert!(
        events.len() <= PauseHistory::MAX_EVENTS + 1,
        "{}",
        events.len()
    );
    for pair in events.windows(2) {
        assert!(pair[0].at <= pair[1].at, "history instants never decrease");
    }
    // One pass: the closed RUNNING intervals so far, as the guide's `getTotalWorkTime` sums them
    // (kept linear: histories reach 1000 events).
    let mut closed = 0;
    let mut running_since = None;
    for (i, event) in events.iter().enumerate() {
        match event.action {
            HistoryAction::Start | HistoryAction::Resume => {
                assert!(
                    running_since.is_none() || i == 0,
                    "event {i} opens an open interval"
                );
                running_since = Some(event.at);
                assert_eq!(event.elapsed, None, "elapsed on event {i}");
            }
            HistoryAction::Pause | HistoryAction::Stop | HistoryAction::Cancel => {
                if let Some(since) = running_since.take() {
                    closed += event.at.seconds_since(since);
                }
                assert_eq!(event.elapsed, Some(closed), "elapsed on event {i}");
            }
        }
    }
    assert!(closed >= 0);
    let status = timer.status();
    assert_eq!(status.is_active(), timer.ended_at().is_none());
    match status {
        TimerStatus::Running => assert_eq!(timer.paused_at(), None),
        TimerStatus::Paused => {
            let last_pause = events
                .iter()
                .rev()
                .find(|e| e.action == HistoryAction::Pause);
            assert_eq!(timer.paused_at(), last_pause.map(|e| e.at));
        }
        TimerStatus::Completed | TimerStatus::Cancelled => {
            let Some(last) = events.last() else {
                panic!("empty history");
            };
            assert_eq!(timer.ended_at(), Some(last.at));
        }
    }

    let last_at = timer.pause_history().last_at();
    let mut previous = None;
    for later in [0, 1, 59, 3_600, 86_401] {
        let now = at(last_at.unix_seconds().max(model.clock) + later);
        let elapsed = timer.elapsed_at(now);
        assert_eq!(elapsed, total_work_time(events, now));
        assert!(elapsed >= 0);
        assert!(
            previous.is_none_or(|p| p <= elapsed),
            "elapsed never decreases"
        );
        previous = Some(elapsed);
        assert_eq!(
            timer.overtime_at(now),
            elapsed > timer.allocated_duration().seconds()
        );
        if !status.is_active() {
            assert_eq!(
                elapsed,
                timer.elapsed_at(last_at),
                "an ended timer is frozen"
            );
        }
    }
    // A clock behind the last event never makes a running timer's elapsed negative or smaller
    // than its closed intervals.
    let behind = at(last_at.unix_seconds() - 3_600);
    assert_eq!(timer.elapsed_at(behind), timer.elapsed_at(last_at));

    assert!(timer.readable_by(timer.owner_id(), false));
    assert_eq!(
        PauseHistory::from_events(events.to_vec()).as_ref(),
        Ok(timer.pause_history())
    );
    assert_eq!(Timer::restore(timer.to_snapshot()).as_ref(), Ok(timer));
}
