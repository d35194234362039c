//! ProcessedCommandRepository: reservations and idempotency records.

use diesel::sql_types::{BigInt, Jsonb, Text};
use diesel_async::RunQueryDsl as _;
use hourglass_adapters_postgres::repository::PgProcessedCommandRepository;
use hourglass_domain::ids::{ScheduleId, TagId, TodoId};
use hourglass_domain::timer::{HistoryAction, Timer, TimerChange, TimerCommand};
use hourglass_domain::validation::Visibility;
use hourglass_ports::error::StorageError;
use hourglass_ports::processed::{
    ProcessedCommand, ProcessedCommandRepository, REMEMBER_SECONDS, RecordedOutcome, Reservation,
    STALE_RESERVATION_SECONDS,
};
use uuid::Uuid;

use crate::support::{TimerSpec, at, database, timer, timer_with, user};

const PAUSE: &str = "pause";

/// What a pause of `timer` at `seconds` did.
fn paused(mut timer: Timer, seconds: i64) -> RecordedOutcome {
    let Ok(()) = timer.apply(TimerCommand::Pause, at(seconds)) else {
        panic!("a running timer pauses")
    };
    RecordedOutcome {
        change: TimerCommand::Pause.into(),
        timer,
    }
}

fn done(outcome: &RecordedOutcome, seconds: i64) -> Reservation {
    Reservation::Completed(Box::new(ProcessedCommand {
        command_type: PAUSE.to_owned(),
        outcome: outcome.clone(),
        created_at: at(seconds),
    }))
}

#[tokio::test]
async fn a_key_is_reserved_once_then_completed_found_and_purged() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());
    let first = paused(timer(alice, at(0)), 1);

    assert_eq!(
        processed.reserve(alice, "r1", PAUSE, at(0)).await?,
        Reservation::Reserved
    );
    assert_eq!(
        processed.reserve(alice, "r1", "stop", at(1)).await?,
        Reservation::InProgress {
            command_type: PAUSE.to_owned()
        }
    );
    // Keys are per user.
    assert_eq!(
        processed.reserve(bob, "r1", PAUSE, at(1)).await?,
        Reservation::Reserved
    );
    assert_eq!(processed.find(alice, "r1", at(0)).await?, None);

    processed.complete(alice, "r1", &first, at(2)).await?;
    assert_eq!(
        processed.reserve(alice, "r1", PAUSE, at(3)).await?,
        done(&first, 2)
    );
    let Reservation::Completed(found) = done(&first, 2) else {
        panic!("a completed record")
    };
    assert_eq!(processed.find(alice, "r1", at(0)).await?, Some(*found));
    assert_eq!(processed.find(alice, "r1", at(3)).await?, None);

    assert_eq!(
        processed.purge(at(2)).await?,
        1,
        "bob's reservation is older"
    );
    assert_eq!(processed.purge(at(3)).await?, 1);
    db.cleanup().await?;
    Ok(())
}

/// Every part of a timer survives being remembered (links, tags in their order, a history of
/// several transitions, the end or the pause, the version), and so does every change.
#[tokio::test]
async fn a_completed_outcome_comes_back_equal() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());
    // Stored as a document, not as links: the ids need not name stored objects.
    let tags: Vec<TagId> = (0..3).map(|_| TagId::new(Uuid::now_v7())).collect();
    let mut rich = timer_with(
        alice,
        at(0),
        TimerSpec {
            schedule_id: Some(ScheduleId::new(Uuid::now_v7())),
            todo_id: Some(TodoId::new(Uuid::now_v7())),
            tag_ids: tags.iter().rev().copied().collect(),
            visibility: Visibility::Public,
        },
    );
    for (command, seconds) in [
        (TimerCommand::Pause, 60),
        (TimerCommand::Resume, 90),
        (TimerCommand::Stop, 200),
    ] {
        let Ok(()) = rich.apply(command, at(seconds)) else {
            panic!("{command} applies")
        };
    }
    let changes = [
        TimerChange::START,
        TimerChange::Transition(HistoryAction::Pause),
        TimerChange::Transition(HistoryAction::Resume),
        TimerChange::Transition(HistoryAction::Stop),
        TimerChange::Transition(HistoryAction::Cancel),
        TimerChange::Details,
    ];
    for (n, change) in changes.into_iter().enumerate() {
        let key = format!("k{n}");
        let outcome = RecordedOutcome {
            change,
            // Stopped (ended, not paused) and paused (paused, not ended) in turn.
            timer: if n % 2 == 0 {
                rich.clone()
            } else {
                paused(timer(alice, at(0)), 30).timer
            },
        };
        assert_eq!(
            processed.reserve(alice, &key, PAUSE, at(200)).await?,
            Reservation::Reserved
        );
        processed.complete(alice, &key, &outcome, at(201)).await?;
        let Some(found) = processed.find(alice, &key, at(0)).await? else {
            panic!("{change} is remembered")
        };
        assert_eq!(found.outcome, outcome, "{change}");
        assert_eq!(found.command_type, PAUSE);
        assert_eq!(found.created_at, at(201));
    }
    db.cleanup().await?;
    Ok(())
}

/// A remembered timer that no longer restores (corrupted, or written under other rules) is a
/// storage failure, never replayed as an invalid timer nor mistaken for a reservation.
#[tokio::test]
async fn a_stored_timer_that_no_longer_restores_is_a_storage_error() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());
    let outcome = paused(timer(alice, at(0)), 60);
    processed.reserve(alice, "r", PAUSE, at(60)).await?;
    processed.complete(alice, "r", &outcome, at(60)).await?;

    let mut conn = db.pool().get().await?;
    // Paused, says the status; the history says it still runs.
    diesel::sql_query(
        "UPDATE processed_commands \
         SET timer = jsonb_set(timer, '{pause_history}', jsonb_build_array(timer->'pause_history'->0)) \
         WHERE user_id = $1 AND request_id = $2",
    )
    .bind::<BigInt, _>(alice.get())
    .bind::<Text, _>("r")
    .execute(&mut conn)
    .await?;
    assert!(matches!(
        processed.find(alice, "r", at(0)).await,
        Err(StorageError::Unknown(_))
    ));
    assert!(matches!(
        processed.reserve(alice, "r", PAUSE, at(61)).await,
        Err(StorageError::Unknown(_))
    ));

    // Not a timer document at all.
    diesel::sql_query(
        "UPDATE processed_commands SET timer = $3 WHERE user_id = $1 AND request_id = $2",
    )
    .bind::<BigInt, _>(alice.get())
    .bind::<Text, _>("r")
    .bind::<Jsonb, _>(serde_json::json!({"id": "nope"}))
    .execute(&mut conn)
    .await?;
    assert!(processed.find(alice, "r", at(0)).await.is_err());
    drop(conn);
    db.cleanup().await?;
    Ok(())
}

/// The schema refuses half an outcome: a row is a reservation or a whole outcome.
#[tokio::test]
async fn change_and_timer_are_null_or_set_together() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());
    processed.reserve(alice, "r", PAUSE, at(0)).await?;
    let mut conn = db.pool().get().await?;
    for set in [
        "change = 'pause'",
        "timer = '{}'::jsonb",
        "change = 'explode', timer = '{}'::jsonb",
    ] {
        let refused = diesel::sql_query(format!(
            "UPDATE processed_commands SET {set} WHERE user_id = $1"
        ))
        .bind::<BigInt, _>(alice.get())
        .execute(&mut conn)
        .await;
        assert!(refused.is_err(), "{set}");
    }
    drop(conn);
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn a_released_key_runs_again() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());
    let ok = paused(timer(alice, at(0)), 1);
    assert_eq!(
        processed.reserve(alice, "r", PAUSE, at(0)).await?,
        Reservation::Reserved
    );
    processed.release(alice, "r").await?;
    assert_eq!(
        processed.reserve(alice, "r", PAUSE, at(1)).await?,
        Reservation::Reserved
    );
    // Releasing never forgets a completed outcome.
    processed.complete(alice, "r", &ok, at(1)).await?;
    processed.release(alice, "r").await?;
    assert_eq!(
        processed.reserve(alice, "r", PAUSE, at(2)).await?,
        done(&ok, 1)
    );
    // Completing twice keeps the first outcome.
    let later = paused(timer(alice, at(0)), 2);
    processed.complete(alice, "r", &later, at(2)).await?;
    assert_eq!(
        processed.reserve(alice, "r", PAUSE, at(3)).await?,
        done(&ok, 1)
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn expired_outcomes_and_stale_reservations_are_taken_over() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());
    let ok = paused(timer(alice, at(0)), 0);
    assert_eq!(
        processed.reserve(alice, "old", PAUSE, at(0)).await?,
        Reservation::Reserved
    );
    processed.complete(alice, "old", &ok, at(0)).await?;
    assert_eq!(
        processed
            .reserve(alice, "old", PAUSE, at(REMEMBER_SECONDS - 1))
            .await?,
        done(&ok, 0)
    );
    assert_eq!(
        processed
            .reserve(alice, "old", PAUSE, at(REMEMBER_SECONDS + 1))
            .await?,
        Reservation::Reserved
    );
    // Taken over: the old outcome is gone, not found and not replayed.
    assert_eq!(processed.find(alice, "old", at(0)).await?, None);
    assert!(matches!(
        processed
            .reserve(alice, "old", PAUSE, at(REMEMBER_SECONDS + 2))
            .await?,
        Reservation::InProgress { .. }
    ));

    assert_eq!(
        processed.reserve(alice, "dead", PAUSE, at(0)).await?,
        Reservation::Reserved
    );
    assert!(matches!(
        processed
            .reserve(alice, "dead", PAUSE, at(STALE_RESERVATION_SECONDS - 1))
            .await?,
        Reservation::InProgress { .. }
    ));
    assert_eq!(
        processed
            .reserve(alice, "dead", PAUSE, at(STALE_RESERVATION_SECONDS + 1))
            .await?,
        Reservation::Reserved
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn of_concurrent_duplicates_exactly_one_reserves() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let repo = processed.clone();
            tokio::spawn(async move { repo.reserve(alice, "dup", PAUSE, at(0)).await })
        })
        .collect();
    let mut reserved = 0;
    for attempt in attempts {
        if attempt.await?? == Reservation::Reserved {
            reserved += 1;
        }
    }
    assert_eq!(reserved, 1);
    db.cleanup().await?;
    Ok(())
}
