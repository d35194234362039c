//! The `request_id` rules against mocked ports.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hourglass_domain::ids::{TagId, TimerId, UserId};
use hourglass_domain::planning::Tag;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{HistoryAction, NewTimer, Timer, TransitionError};
use hourglass_domain::validation::{AllocatedDuration, TagColor, TagName, Visibility};
use mockall::predicate::eq;
use uuid::Uuid;

use super::*;
use crate::clock::MockClock;
use crate::event::MockEventPublisher;
use crate::id::MockIdGenerator;
use crate::planning::MockTagRepository;
use crate::processed::{MockProcessedCommandRepository, ProcessedCommand};
use crate::timer::MockTimerRepository;

const OWNER: UserId = UserId::new(7);

fn at(seconds: i64) -> Timestamp {
    let Some(t) = Timestamp::from_unix_seconds(1_767_225_600 + seconds) else {
        panic!("in range")
    };
    t
}

fn timer_id() -> TimerId {
    TimerId::new(Uuid::from_u128(0x42))
}

fn tag_id() -> TagId {
    TagId::new(Uuid::from_u128(0x7a))
}

fn tag() -> Tag {
    let (Ok(name), Ok(color)) = (TagName::new("focus"), TagColor::new("#000000")) else {
        panic!("valid tag")
    };
    Tag {
        id: tag_id(),
        owner_id: OWNER,
        name,
        color,
        created_at: at(0),
        updated_at: at(0),
    }
}

fn new_timer() -> NewTimer {
    let Ok(allocated_duration) = AllocatedDuration::new(1500) else {
        panic!("valid")
    };
    NewTimer {
        owner_id: OWNER,
        allocated_duration,
        title: None,
        description: None,
        schedule_id: None,
        todo_id: None,
        tag_ids: vec![tag_id()],
        visibility: Visibility::Private,
    }
}

fn paused_timer() -> Timer {
    let mut timer = Timer::start(timer_id(), new_timer(), at(0));
    if timer.apply(TimerCommand::Pause, at(30)).is_err() {
        panic!("a running timer pauses")
    }
    timer
}

fn pause() -> TimerRequest {
    TimerRequest::Control {
        timer_id: timer_id(),
        command: TimerCommand::Pause,
    }
}

/// The service over `timers` and `processed`; tags answer with [`tag`], events are accepted.
fn service(
    timers: MockTimerRepository,
    processed: MockProcessedCommandRepository,
) -> CommandService {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(at(60));
    let clock: Arc<dyn Clock> = Arc::new(clock);
    let mut tags = MockTagRepository::new();
    tags.expect_find_many().returning(|_, _| Ok(vec![tag()]));
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().returning(|_| Ok(()));
    let mut ids = MockIdGenerator::new();
    ids.expect_new_uuid().return_const(timer_id().get());
    let timer_service = TimerService::new(
        Arc::new(timers),
        Arc::new(tags),
        Arc::new(publisher),
        clock.clone(),
        Arc::new(ids),
    );
    CommandService::new(timer_service, Arc::new(processed), clock)
}

fn pausing_repository(times: usize) -> MockTimerRepository {
    let mut timers = MockTimerRepository::new();
    timers
        .expect_apply_command()
        .with(
            eq(OWNER),
            eq(timer_id()),
            eq(TimerCommand::Pause),
            eq(at(60)),
        )
        .times(times)
        .returning(|_, _, _, _| Ok(paused_timer()));
    timers
}

fn completed(kind: &str) -> Reservation {
    Reservation::Completed(Box::new(ProcessedCommand {
        command_type: kind.to_owned(),
        outcome: RecordedOutcome {
            change: TimerChange::Transition(HistoryAction::Pause),
            timer: paused_timer(),
        },
        created_at: at(10),
    }))
}

#[tokio::test]
async fn without_a_request_id_the_command_simply_runs() -> Result<(), CommandError> {
    let mut processed = MockProcessedCommandRepository::new();
    processed.expect_reserve().never();
    processed.expect_complete().never();
    let executed = service(pausing_repository(1), processed)
        .execute(OWNER, None, pause())
        .await?;
    let Executed::Applied(outcome) = executed else {
        panic!("applied, not replayed: {executed:?}")
    };
    assert_eq!(outcome.change, TimerChange::from(TimerCommand::Pause));
    assert_eq!(
        outcome.timer.tags,
        vec![tag()],
        "the tags come with the outcome"
    );
    Ok(())
}

#[tokio::test]
async fn a_reserved_command_runs_once_and_its_outcome_is_recorded_as_domain_data()
-> Result<(), CommandError> {
    let mut processed = MockProcessedCommandRepository::new();
    processed
        .expect_reserve()
        .withf(|user, id, kind, now| {
            *user == OWNER && id == "p-1" && kind == "pause" && *now == at(60)
        })
        .times(1)
        .returning(|_, _, _, _| Ok(Reservation::Reserved));
    processed
        .expect_complete()
        .withf(|user, id, outcome, _| {
            *user == OWNER
                && id == "p-1"
                && outcome.change == TimerChange::Transition(HistoryAction::Pause)
                && outcome.timer == paused_timer()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    processed.expect_release().never();
    let executed = service(pausing_repository(1), processed)
        .execute(OWNER, Some("p-1"), pause())
        .await?;
    assert!(matches!(executed, Executed::Applied(_)), "{executed:?}");
    Ok(())
}

#[tokio::test]
async fn a_completed_request_id_replays_the_recorded_outcome_without_running_again()
-> Result<(), CommandError> {
    let mut processed = MockProcessedCommandRepository::new();
    processed
        .expect_reserve()
        .times(1)
        .returning(|_, _, _, _| Ok(completed("pause")));
    processed.expect_complete().never();
    let executed = service(pausing_repository(0), processed)
        .execute(OWNER, Some("p-1"), pause())
        .await?;
    let Executed::Replayed(outcome) = executed else {
        panic!("replayed: {executed:?}")
    };
    assert_eq!(outcome.timer.timer, paused_timer());
    assert_eq!(
        outcome.timer.tags,
        vec![tag()],
        "a replay is rendered with tags too"
    );
    assert_eq!(outcome.change.as_str(), "pause");
    Ok(())
}

#[tokio::test]
async fn a_request_id_used_for_another_kind_of_command_is_refused() {
    for reservation in [
        completed("stop"),
        Reservation::InProgress {
            command_type: "create".to_owned(),
        },
    ] {
        let mut processed = MockProcessedCommandRepository::new();
        processed
            .expect_reserve()
            .times(1)
            .return_once(move |_, _, _, _| Ok(reservation));
        let result = service(pausing_repository(0), processed)
            .execute(OWNER, Some("p-1"), pause())
            .await;
        assert!(
            matches!(&result, Err(CommandError::RequestIdReused { used_for }) if used_for == "stop" || used_for == "create"),
            "{result:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_duplicate_waits_for_the_first_copy_then_replays_it() -> Result<(), CommandError> {
    let asked = Arc::new(AtomicUsize::new(0));
    let mut processed = MockProcessedCommandRepository::new();
    let counter = Arc::clone(&asked);
    processed.expect_reserve().returning(move |_, _, _, _| {
        Ok(if counter.fetch_add(1, Ordering::SeqCst) < 3 {
            Reservation::InProgress {
                command_type: "pause".to_owned(),
            }
        } else {
            completed("pause")
        })
    });
    let executed = service(pausing_repository(0), processed)
        .execute(OWNER, Some("p-1"), pause())
        .await?;
    assert!(matches!(executed, Executed::Replayed(_)), "{executed:?}");
    assert_eq!(asked.load(Ordering::SeqCst), 4);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_duplicate_gives_up_when_the_first_copy_never_finishes() {
    let mut processed = MockProcessedCommandRepository::new();
    processed.expect_reserve().returning(|_, _, _, _| {
        Ok(Reservation::InProgress {
            command_type: "pause".to_owned(),
        })
    });
    let started = tokio::time::Instant::now();
    let result = service(pausing_repository(0), processed)
        .execute(OWNER, Some("p-1"), pause())
        .await;
    assert!(
        matches!(result, Err(CommandError::StillInProgress)),
        "{result:?}"
    );
    assert!(started.elapsed() >= DUPLICATE_WAIT);
}

#[tokio::test]
async fn a_failed_command_releases_its_request_id_so_a_retry_runs_again() {
    let mut timers = MockTimerRepository::new();
    timers
        .expect_apply_command()
        .times(1)
        .returning(|_, _, _, _| {
            Err(TimerCommandError::Rejected(
                TransitionError::InvalidTransition {
                    command: TimerCommand::Pause,
                    status: hourglass_domain::timer::TimerStatus::Paused,
                },
            ))
        });
    let mut processed = MockProcessedCommandRepository::new();
    processed
        .expect_reserve()
        .returning(|_, _, _, _| Ok(Reservation::Reserved));
    processed.expect_complete().never();
    processed
        .expect_release()
        .withf(|user, id| *user == OWNER && id == "p-1")
        .times(1)
        .returning(|_, _| Ok(()));
    let result = service(timers, processed)
        .execute(OWNER, Some("p-1"), pause())
        .await;
    assert!(
        matches!(
            result,
            Err(CommandError::Control(TimerCommandError::Rejected(_)))
        ),
        "{result:?}"
    );
}

fn unavailable() -> StorageError {
    StorageError::Unavailable("connection refused".into())
}

#[tokio::test]
async fn a_failed_release_is_retried_until_the_database_is_back() {
    let mut processed = MockProcessedCommandRepository::new();
    let mut calls = 0;
    processed
        .expect_release()
        .withf(|user, request_id| *user == UserId::new(7) && request_id == "r-1")
        .times(3)
        .returning(move |_, _| {
            calls += 1;
            if calls < 3 {
                Err(unavailable())
            } else {
                Ok(())
            }
        });
    let released = release_until_done(
        Arc::new(processed),
        UserId::new(7),
        "r-1".to_owned(),
        Duration::from_millis(1),
        Duration::from_secs(60),
    )
    .await;
    assert!(released);
}

#[tokio::test]
async fn releasing_stops_once_the_reservation_would_be_stale_anyway() {
    let mut processed = MockProcessedCommandRepository::new();
    processed
        .expect_release()
        .returning(|_, _| Err(unavailable()));
    let released = release_until_done(
        Arc::new(processed),
        UserId::new(7),
        "r-1".to_owned(),
        Duration::from_millis(1),
        Duration::from_millis(20),
    )
    .await;
    assert!(!released);
}
