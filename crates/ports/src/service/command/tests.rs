//! The `request_id` rules against mocked ports: what the service makes of the repository's
//! "applied" or "remembered", and that nothing but the keyed repository methods is involved.

use std::sync::Arc;

use hourglass_domain::ids::{TagId, TimerId, UserId};
use hourglass_domain::planning::Tag;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{HistoryAction, NewTimer, Timer, TransitionError};
use hourglass_domain::validation::{AllocatedDuration, TagColor, TagName, Visibility};
use mockall::predicate::eq;
use uuid::Uuid;

use super::*;
use crate::clock::MockClock;
use crate::error::StorageError;
use crate::event::{DomainEvent, MockEventPublisher};
use crate::id::MockIdGenerator;
use crate::planning::MockTagRepository;
use crate::processed::ProcessedCommand;
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

/// Publishes exactly `events` timer changes.
fn publisher(events: usize) -> MockEventPublisher {
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .withf(|event| matches!(event, DomainEvent::TimerChanged { .. }))
        .times(events)
        .returning(|_| Ok(()));
    publisher
}

/// The service over `timers` and `publisher`; tags answer with [`tag`]; the clock says 60 s.
fn service(timers: MockTimerRepository, publisher: MockEventPublisher) -> CommandService {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(at(60));
    let clock: Arc<dyn Clock> = Arc::new(clock);
    let mut tags = MockTagRepository::new();
    tags.expect_find_many().returning(|_, _| Ok(vec![tag()]));
    let mut ids = MockIdGenerator::new();
    ids.expect_new_uuid().return_const(timer_id().get());
    let timer_service = TimerService::new(
        Arc::new(timers),
        Arc::new(tags),
        Arc::new(publisher),
        clock.clone(),
        Arc::new(ids),
    );
    CommandService::new(timer_service, clock)
}

/// The key a pause with `request_id` "p-1" is run under.
fn pause_key() -> CommandKey {
    CommandKey {
        user: OWNER,
        request_id: "p-1".to_owned(),
        kind: "pause",
        now: at(60),
    }
}

/// A remembered outcome of a command of `kind` (a pause, whatever the kind says).
fn remembered(kind: &str) -> Box<ProcessedCommand> {
    Box::new(ProcessedCommand {
        command_type: kind.to_owned(),
        outcome: RecordedOutcome {
            change: TimerChange::Transition(HistoryAction::Pause),
            timer: paused_timer(),
        },
        created_at: at(10),
    })
}

/// A repository whose keyed pause answers `answer` once, and which fails the test on any other
/// call (no unkeyed command, no second attempt, no clean-up).
fn keyed_pause(answer: Result<Idempotent<Timer>, TimerCommandError>) -> MockTimerRepository {
    let mut timers = MockTimerRepository::new();
    timers
        .expect_apply_command_once()
        .withf(|id, command, key| {
            *id == timer_id() && *command == TimerCommand::Pause && *key == pause_key()
        })
        .times(1)
        .return_once(move |_, _, _| answer);
    timers
}

#[tokio::test]
async fn without_a_request_id_the_command_simply_runs() -> Result<(), CommandError> {
    let mut timers = MockTimerRepository::new();
    timers
        .expect_apply_command()
        .with(
            eq(OWNER),
            eq(timer_id()),
            eq(TimerCommand::Pause),
            eq(at(60)),
        )
        .times(1)
        .returning(|_, _, _, _| Ok(paused_timer()));
    timers.expect_apply_command_once().never();
    let executed = service(timers, publisher(1))
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
async fn a_keyed_command_is_applied_under_its_key_and_announced_once() -> Result<(), CommandError> {
    let executed = service(
        keyed_pause(Ok(Idempotent::Applied(paused_timer()))),
        publisher(1),
    )
    .execute(OWNER, Some("p-1"), pause())
    .await?;
    let Executed::Applied(outcome) = executed else {
        panic!("applied: {executed:?}")
    };
    assert_eq!(
        outcome.change,
        TimerChange::Transition(HistoryAction::Pause)
    );
    assert_eq!(outcome.timer.timer, paused_timer());
    assert_eq!(outcome.timer.tags, vec![tag()]);
    Ok(())
}

#[tokio::test]
async fn a_remembered_outcome_of_the_same_kind_is_replayed_with_tags_and_no_event()
-> Result<(), CommandError> {
    let executed = service(
        keyed_pause(Ok(Idempotent::Remembered(remembered("pause")))),
        publisher(0),
    )
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
async fn a_request_id_that_holds_another_kind_of_command_is_refused() {
    let result = service(
        keyed_pause(Ok(Idempotent::Remembered(remembered("stop")))),
        publisher(0),
    )
    .execute(OWNER, Some("p-1"), pause())
    .await;
    assert!(
        matches!(&result, Err(CommandError::RequestIdReused { used_for }) if used_for == "stop"),
        "{result:?}"
    );

    // A create under a key that holds a pause, the other way round.
    let mut timers = MockTimerRepository::new();
    timers
        .expect_insert_once()
        .withf(|timer, key| {
            timer.started_at() == at(60)
                && key.kind == "create"
                && key.request_id == "c-1"
                && key.user == OWNER
                && key.now == at(60)
        })
        .times(1)
        .returning(|_, _| Ok(Idempotent::Remembered(remembered("pause"))));
    let result = service(timers, publisher(0))
        .execute(OWNER, Some("c-1"), TimerRequest::Create(new_timer()))
        .await;
    assert!(
        matches!(&result, Err(CommandError::RequestIdReused { used_for }) if used_for == "pause"),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_keyed_create_is_applied_or_replayed() -> Result<(), CommandError> {
    let mut timers = MockTimerRepository::new();
    timers.expect_insert().never();
    timers
        .expect_insert_once()
        .times(1)
        .returning(|_, _| Ok(Idempotent::Applied(())));
    let executed = service(timers, publisher(1))
        .execute(OWNER, Some("c-1"), TimerRequest::Create(new_timer()))
        .await?;
    let Executed::Applied(outcome) = executed else {
        panic!("applied: {executed:?}")
    };
    assert_eq!(outcome.change, TimerChange::START);
    assert_eq!(outcome.timer.timer.id(), timer_id());

    let mut remembered_create = remembered("create");
    remembered_create.outcome.change = TimerChange::START;
    let mut timers = MockTimerRepository::new();
    timers
        .expect_insert_once()
        .times(1)
        .return_once(move |_, _| Ok(Idempotent::Remembered(remembered_create)));
    let executed = service(timers, publisher(0))
        .execute(OWNER, Some("c-1"), TimerRequest::Create(new_timer()))
        .await?;
    let Executed::Replayed(outcome) = executed else {
        panic!("replayed: {executed:?}")
    };
    assert_eq!(outcome.change, TimerChange::START);
    Ok(())
}

/// A failed command is answered with its failure and nothing else happens: its key was never
/// stored (the repository's transaction rolled back), so there is nothing to release and a
/// retry simply runs.
#[tokio::test]
async fn a_failed_keyed_command_is_reported_and_leaves_nothing_to_clean_up() {
    let failures = [
        TimerCommandError::Rejected(TransitionError::InvalidTransition {
            command: TimerCommand::Pause,
            status: hourglass_domain::timer::TimerStatus::Paused,
        }),
        TimerCommandError::NotFound,
        TimerCommandError::Storage(StorageError::Unavailable("connection refused".into())),
    ];
    for failure in failures {
        let shown = failure.to_string();
        let result = service(keyed_pause(Err(failure)), publisher(0))
            .execute(OWNER, Some("p-1"), pause())
            .await;
        let Err(CommandError::Control(error)) = result else {
            panic!("{shown}: {result:?}")
        };
        assert_eq!(error.to_string(), shown);
    }
}
