//! Unit and property tests of the timer state machine.

use proptest::prelude::*;
use uuid::Uuid;

use super::*;

fn at(seconds: i64) -> Timestamp {
    let Some(t) = Timestamp::from_unix_seconds(1_767_225_600 + seconds) else {
        panic!("test instants are in range")
    };
    t
}

fn new_timer(allocated: i64) -> NewTimer {
    let Ok(allocated_duration) = AllocatedDuration::new(allocated) else {
        panic!("valid duration")
    };
    NewTimer {
        owner_id: UserId::new(7),
        allocated_duration,
        title: None,
        description: None,
        schedule_id: None,
        todo_id: None,
        tag_ids: Vec::new(),
        visibility: Visibility::Friends,
    }
}

fn running_at(start: i64) -> Timer {
    Timer::start(TimerId::new(Uuid::nil()), new_timer(1500), at(start))
}

fn apply(timer: &mut Timer, command: TimerCommand, seconds: i64) {
    if let Err(err) = timer.apply(command, at(seconds)) {
        panic!("{command} at {seconds} must be accepted: {err}")
    }
}

fn actions(timer: &Timer) -> Vec<(HistoryAction, i64, Option<i64>)> {
    timer
        .pause_history()
        .events()
        .iter()
        .map(|e| (e.action, e.at.seconds_since(at(0)), e.elapsed))
        .collect()
}

#[test]
fn create_starts_running_with_a_start_event_and_version_one() {
    let timer = running_at(0);
    assert_eq!(timer.status(), TimerStatus::Running);
    assert_eq!(timer.version(), 1);
    assert_eq!(timer.started_at(), at(0));
    assert_eq!(timer.created_at(), at(0));
    assert_eq!(timer.paused_at(), None);
    assert_eq!(timer.ended_at(), None);
    assert_eq!(actions(&timer), vec![(HistoryAction::Start, 0, None)]);
}

#[test]
fn running_elapsed_is_a_pure_function_of_now() {
    let timer = running_at(0);
    assert_eq!(timer.elapsed_at(at(0)), 0);
    assert_eq!(timer.elapsed_at(at(90)), 90);
    assert_eq!(timer.elapsed_at(at(90)), 90, "reading twice gives the same");
    assert_eq!(
        timer.elapsed_at(at(-5)),
        0,
        "a lagging clock never gives negative time"
    );
}

#[test]
fn pause_records_elapsed_and_paused_at() {
    let mut timer = running_at(0);
    apply(&mut timer, TimerCommand::Pause, 60);
    assert_eq!(timer.status(), TimerStatus::Paused);
    assert_eq!(timer.paused_at(), Some(at(60)));
    assert_eq!(timer.version(), 2);
    assert_eq!(timer.updated_at(), at(60));
    assert_eq!(actions(&timer)[1], (HistoryAction::Pause, 60, Some(60)));
    assert_eq!(timer.elapsed_at(at(500)), 60, "paused time does not count");
}

#[test]
fn resume_clears_paused_at_and_reopens_an_interval() {
    let mut timer = running_at(0);
    apply(&mut timer, TimerCommand::Pause, 60);
    apply(&mut timer, TimerCommand::Resume, 100);
    assert_eq!(timer.status(), TimerStatus::Running);
    assert_eq!(timer.paused_at(), None);
    assert_eq!(timer.version(), 3);
    assert_eq!(actions(&timer)[2], (HistoryAction::Resume, 100, None));
    assert_eq!(timer.elapsed_at(at(130)), 90);
}

#[test]
fn stop_from_running_completes_with_elapsed() {
    let mut timer = running_at(0);
    apply(&mut timer, TimerCommand::Stop, 1600);
    assert_eq!(timer.status(), TimerStatus::Completed);
    assert_eq!(timer.ended_at(), Some(at(1600)));
    assert_eq!(actions(&timer)[1], (HistoryAction::Stop, 1600, Some(1600)));
    assert_eq!(timer.elapsed_at(at(9999)), 1600);
    assert!(timer.overtime_at(at(9999)), "1600 s > 1500 s allocated");
}

#[test]
fn stop_from_paused_keeps_paused_at() {
    let mut timer = running_at(0);
    apply(&mut timer, TimerCommand::Pause, 30);
    apply(&mut timer, TimerCommand::Stop, 50);
    assert_eq!(timer.status(), TimerStatus::Completed);
    assert_eq!(timer.paused_at(), Some(at(30)));
    assert_eq!(timer.ended_at(), Some(at(50)));
    assert_eq!(actions(&timer)[2], (HistoryAction::Stop, 50, Some(30)));
}

#[test]
fn cancel_from_running_closes_the_interval() {
    let mut timer = running_at(0);
    apply(&mut timer, TimerCommand::Cancel, 45);
    assert_eq!(timer.status(), TimerStatus::Cancelled);
    assert_eq!(timer.ended_at(), Some(at(45)));
    assert_eq!(actions(&timer)[1], (HistoryAction::Cancel, 45, Some(45)));
}

#[test]
fn cancel_from_paused_keeps_paused_at() {
    let mut timer = running_at(0);
    apply(&mut timer, TimerCommand::Pause, 10);
    apply(&mut timer, TimerCommand::Cancel, 70);
    assert_eq!(timer.status(), TimerStatus::Cancelled);
    assert_eq!(timer.paused_at(), Some(at(10)));
    assert_eq!(actions(&timer)[2], (HistoryAction::Cancel, 70, Some(10)));
}

#[test]
fn started_at_never_changes() {
    let mut timer = running_at(0);
    apply(&mut timer, TimerCommand::Pause, 10);
    apply(&mut timer, TimerCommand::Resume, 20);
    apply(&mut timer, TimerCommand::Stop, 30);
    assert_eq!(timer.started_at(), at(0));
}

#[test]
fn overtime_turns_on_after_the_allocated_duration() {
    let timer = running_at(0);
    assert!(!timer.overtime_at(at(1500)));
    assert!(timer.overtime_at(at(1501)));
}

fn assert_refused(timer: &Timer, command: TimerCommand, expected_message: &str) {
    let mut candidate = timer.clone();
    let Err(err) = candidate.apply(command, at(5000)) else {
        panic!("{command} must be refused from {}", timer.status())
    };
    assert_eq!(err.to_string(), expected_message);
    assert_eq!(&candidate, timer, "a refused command changes nothing");
}

#[test]
fn pause_of_a_paused_timer_is_refused() {
    let mut timer = running_at(0);
    apply(&mut timer, TimerCommand::Pause, 10);
    assert_refused(
        &timer,
        TimerCommand::Pause,
        "Cannot pause timer with status PAUSED",
    );
}

#[test]
fn resume_of_a_running_timer_is_refused() {
    assert_refused(
        &running_at(0),
        TimerCommand::Resume,
        "Cannot resume timer with status RUNNING",
    );
}

#[test]
fn nothing_is_accepted_on_a_completed_timer() {
    let mut timer = running_at(0);
    apply(&mut timer, TimerCommand::Stop, 10);
    for command in [
        TimerCommand::Pause,
        TimerCommand::Resume,
        TimerCommand::Stop,
        TimerCommand::Cancel,
    ] {
        assert_refused(
            &timer,
            command,
            &format!("Cannot {command} timer with status COMPLETED"),
        );
    }
}

#[test]
fn nothing_is_accepted_on_a_cancelled_timer() {
    let mut timer = running_at(0);
    apply(&mut timer, TimerCommand::Cancel, 10);
    for command in [
        TimerCommand::Pause,
        TimerCommand::Resume,
        TimerCommand::Stop,
        TimerCommand::Cancel,
    ] {
        assert_refused(
            &timer,
            command,
            &format!("Cannot {command} timer with status CANCELLED"),
        );
    }
}

#[test]
fn a_full_history_refuses_pause_and_resume_but_accepts_stop() {
    let mut timer = running_at(0);
    let mut t = 0;
    while timer.pause_history().len() < PauseHistory::MAX_EVENTS {
        t += 1;
        let command = if timer.status() == TimerStatus::Running {
            TimerCommand::Pause
        } else {
            TimerCommand::Resume
        };
        apply(&mut timer, command, t);
    }
    let next = if timer.status() == TimerStatus::Running {
        TimerCommand::Pause
    } else {
        TimerCommand::Resume
    };
    let mut candidate = timer.clone();
    assert_eq!(
        candidate.apply(next, at(t + 1)),
        Err(TransitionError::HistoryFull { command: next })
    );
    assert_eq!(candidate, timer);
    apply(&mut candidate, TimerCommand::Stop, t + 1);
    assert_eq!(
        candidate.pause_history().len(),
        PauseHistory::MAX_EVENTS + 1
    );
    assert!(PauseHistory::from_events(candidate.pause_history().events().to_vec()).is_ok());
}

#[test]
fn a_clock_stepping_back_never_makes_history_decrease() {
    let mut timer = running_at(100);
    apply(&mut timer, TimerCommand::Pause, 50);
    assert_eq!(actions(&timer)[1], (HistoryAction::Pause, 100, Some(0)));
}

#[test]
fn patch_changes_fields_and_bumps_version_once() {
    let mut timer = running_at(0);
    let Ok(title) = Title::new("Deep work") else {
        panic!("valid title")
    };
    let patch = TimerPatch {
        title: FieldUpdate::Set(Some(title.clone())),
        visibility: Some(Visibility::Private),
        ..TimerPatch::default()
    };
    assert!(timer.update_details(patch, at(20)));
    assert_eq!(timer.title(), Some(&title));
    assert_eq!(timer.visibility(), Visibility::Private);
    assert_eq!(timer.version(), 2);
    assert_eq!(timer.updated_at(), at(20));
}

#[test]
fn patch_that_changes_nothing_keeps_version() {
    let mut timer = running_at(0);
    let before = timer.clone();
    let patch = TimerPatch {
        title: FieldUpdate::Clear,
        visibility: Some(Visibility::Friends),
        tag_ids: FieldUpdate::Clear,
        ..TimerPatch::default()
    };
    assert!(!timer.update_details(patch, at(20)));
    assert_eq!(timer, before);
}

#[test]
fn patch_clear_removes_links() {
    let schedule = ScheduleId::new(Uuid::from_u128(1));
    let mut new = new_timer(60);
    new.schedule_id = Some(schedule);
    new.tag_ids = vec![
        TagId::new(Uuid::from_u128(2)),
        TagId::new(Uuid::from_u128(2)),
    ];
    let mut timer = Timer::start(TimerId::new(Uuid::nil()), new, at(0));
    assert_eq!(timer.tag_ids().len(), 1, "duplicate tags collapse");
    let patch = TimerPatch {
        schedule_id: FieldUpdate::Clear,
        tag_ids: FieldUpdate::Clear,
        ..TimerPatch::default()
    };
    assert!(timer.update_details(patch, at(5)));
    assert_eq!(timer.schedule_id(), None);
    assert!(timer.tag_ids().is_empty());
    assert_eq!(timer.version(), 2);
}

#[test]
fn readable_by_follows_visibility() {
    let owner = UserId::new(7);
    let other = UserId::new(8);
    let mut timer = running_at(0);
    assert!(timer.readable_by(owner, false));
    assert!(timer.readable_by(other, true), "friends timer, friend");
    assert!(!timer.readable_by(other, false), "friends timer, stranger");
    for (visibility, friend, stranger) in [
        (Visibility::Private, false, false),
        (Visibility::Public, true, true),
    ] {
        timer.update_details(
            TimerPatch {
                visibility: Some(visibility),
                ..TimerPatch::default()
            },
            at(1),
        );
        assert_eq!(timer.readable_by(other, true), friend, "{visibility}");
        assert_eq!(timer.readable_by(other, false), stranger, "{visibility}");
        assert!(timer.readable_by(owner, false));
    }
}

#[test]
fn status_parses_case_insensitively() {
    assert_eq!("running".parse(), Ok(TimerStatus::Running));
    assert_eq!("Paused".parse(), Ok(TimerStatus::Paused));
    assert!("DONE".parse::<TimerStatus>().is_err());
}

#[test]
fn restore_round_trips_a_snapshot() {
    let mut timer = running_at(0);
    apply(&mut timer, TimerCommand::Pause, 10);
    assert_eq!(Timer::restore(timer.to_snapshot()), Ok(timer));
}

#[test]
fn restore_refuses_a_status_that_contradicts_history() {
    let mut snapshot = running_at(0).to_snapshot();
    snapshot.status = TimerStatus::Paused;
    assert!(matches!(
        Timer::restore(snapshot),
        Err(RestoreError::Inconsistent(_))
    ));
}

#[test]
fn history_from_events_refuses_illegal_shapes() {
    let start = PauseEvent {
        action: HistoryAction::Start,
        at: at(0),
        elapsed: None,
    };
    let pause = |s, e| PauseEvent {
        action: HistoryAction::Pause,
        at: at(s),
        elapsed: e,
    };
    assert_eq!(
        PauseHistory::from_events(vec![]),
        Err(HistoryError::MissingStart)
    );
    assert_eq!(
        PauseHistory::from_events(vec![pause(1, Some(1))]),
        Err(HistoryError::MissingStart)
    );
    assert_eq!(
        PauseHistory::from_events(vec![start, pause(10, Some(9))]),
        Err(HistoryError::ElapsedMismatch { index: 1 })
    );
    assert_eq!(
        PauseHistory::from_events(vec![start, pause(10, Some(10)), pause(11, Some(10))]),
        Err(HistoryError::IllegalEvent {
            index: 2,
            action: HistoryAction::Pause
        })
    );
    let late_start = PauseEvent {
        at: at(20),
        ..start
    };
    assert_eq!(
        PauseHistory::from_events(vec![late_start, pause(10, Some(0))]),
        Err(HistoryError::TimeWentBackwards { index: 1 })
    );
    assert!(PauseHistory::from_events(vec![start, pause(10, Some(10))]).is_ok());
}

/// Sum of the RUNNING intervals computed straight from the history, independently of `Timer`:
/// what the original guide's `getTotalWorkTime(history)` computes, with cancel closing too.
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

fn command_strategy() -> impl Strategy<Value = TimerCommand> {
    prop_oneof![
        4 => Just(TimerCommand::Pause),
        4 => Just(TimerCommand::Resume),
        1 => Just(TimerCommand::Stop),
        1 => Just(TimerCommand::Cancel),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random command sequences at random (sometimes backwards) instants keep every invariant.
    #[test]
    fn random_command_sequences_keep_the_invariants(
        steps in prop::collection::vec((command_strategy(), -30_i64..600), 0..80),
        read_after in 0_i64..10_000,
    ) {
        let mut timer = running_at(0);
        let mut clock = 0_i64;
        let mut accepted = 0_i64;
        for (command, delta) in steps {
            clock += delta;
            let before = timer.clone();
            match timer.apply(command, at(clock)) {
                Ok(()) => {
                    accepted += 1;
                    let last = timer.pause_history().events().last().copied();
                    prop_assert_eq!(last.map(|e| e.action), Some(command.history_action()));
                }
                Err(_) => prop_assert_eq!(&timer, &before, "a rejected command changes nothing"),
            }
            prop_assert_eq!(timer.version(), 1 + accepted, "version counts accepted commands");
            prop_assert_eq!(timer.started_at(), at(0));
        }

        let events = timer.pause_history().events();
        for pair in events.windows(2) {
            prop_assert!(pair[0].at <= pair[1].at, "history instants never decrease");
        }
        for (i, event) in events.iter().enumerate() {
            let expected = match event.action {
                HistoryAction::Pause | HistoryAction::Stop | HistoryAction::Cancel => {
                    Some(total_work_time(&events[..=i], event.at))
                }
                HistoryAction::Start | HistoryAction::Resume => None,
            };
            prop_assert_eq!(event.elapsed, expected, "elapsed on event {}", i);
        }
        let now = timer.pause_history().last_at().max(at(clock + read_after));
        prop_assert_eq!(timer.elapsed_at(now), total_work_time(events, now));
        prop_assert!(PauseHistory::from_events(events.to_vec()).is_ok());
        prop_assert_eq!(Timer::restore(timer.to_snapshot()), Ok(timer.clone()));
    }
}

#[test]
fn a_timer_change_reads_back_from_its_wire_value() {
    let every = [
        TimerChange::START,
        TimerChange::from(TimerCommand::Pause),
        TimerChange::from(TimerCommand::Resume),
        TimerChange::from(TimerCommand::Stop),
        TimerChange::from(TimerCommand::Cancel),
        TimerChange::Details,
    ];
    let wire: Vec<&str> = every.iter().map(|change| change.as_str()).collect();
    assert_eq!(
        wire,
        ["start", "pause", "resume", "stop", "cancel", "update"]
    );
    for change in every {
        assert_eq!(change.as_str().parse::<TimerChange>(), Ok(change));
    }
    assert!("explode".parse::<TimerChange>().is_err());
    assert!(!TimerChange::Details.is_transition());
    assert!(TimerChange::START.is_transition());
}
