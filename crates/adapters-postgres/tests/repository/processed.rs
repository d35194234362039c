//! Keyed commands (`insert_once`, `apply_command_once`): the key and its outcome are written in
//! the command's own transaction, so a `request_id` holds the outcome of its committed command or
//! nothing; and `ProcessedCommandRepository`, which reads and purges them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Jsonb, Text};
use diesel_async::{RunQueryDsl as _, SimpleAsyncConnection as _};
use hourglass_adapters_postgres::repository::{
    PgProcessedCommandRepository, PgScheduleRepository, PgTagRepository, PgTimerRepository,
    PgTodoRepository,
};
use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{HistoryAction, Timer, TimerChange, TimerCommand, TimerStatus};
use hourglass_domain::validation::Visibility;
use hourglass_ports::error::StorageError;
use hourglass_ports::planning::{ScheduleRepository, TagRepository, TodoRepository};
use hourglass_ports::processed::{
    CommandKey, Idempotent, ProcessedCommand, ProcessedCommandRepository, REMEMBER_SECONDS,
    RecordedOutcome,
};
use hourglass_ports::timer::{InsertTimerError, TimerCommandError, TimerRepository};
use hourglass_test_support::TestDatabase;
use tokio::sync::Barrier;

use crate::support::{TimerSpec, at, database, schedule, tag, timer, timer_with, todo, user};

fn key(user: UserId, request_id: &str, kind: &'static str, now: Timestamp) -> CommandKey {
    CommandKey {
        user,
        request_id: request_id.to_owned(),
        kind,
        now,
    }
}

/// What `key` holds, read back through the repository (at any age).
async fn held(db: &TestDatabase, key: &CommandKey) -> anyhow::Result<Option<ProcessedCommand>> {
    Ok(PgProcessedCommandRepository::new(db.pool())
        .find(key.user, &key.request_id, Timestamp::EPOCH)
        .await?)
}

/// Rows in `processed_commands`, whatever they hold.
async fn key_rows(db: &TestDatabase) -> anyhow::Result<i64> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = db.pool().get().await?;
    let count: Count = diesel::sql_query("SELECT count(*) AS n FROM processed_commands")
        .get_result(&mut conn)
        .await?;
    Ok(count.n)
}

fn remembered(
    command_type: &str,
    change: TimerChange,
    timer: Timer,
    seconds: i64,
) -> Idempotent<Timer> {
    Idempotent::Remembered(Box::new(ProcessedCommand {
        command_type: command_type.to_owned(),
        outcome: RecordedOutcome { change, timer },
        created_at: at(seconds),
    }))
}

#[tokio::test]
async fn a_keyed_create_stores_its_outcome_with_the_timer_and_is_not_applied_twice()
-> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let timers = PgTimerRepository::new(db.pool());
    let first = timer(alice, at(0));
    let create = key(alice, "c-1", "create", at(0));
    assert_eq!(
        timers.insert_once(&first, &create).await?,
        Idempotent::Applied(())
    );
    assert_eq!(timers.find(first.id()).await?.as_ref(), Some(&first));
    let expected = ProcessedCommand {
        command_type: "create".to_owned(),
        outcome: RecordedOutcome {
            change: TimerChange::START,
            timer: first.clone(),
        },
        created_at: at(0),
    };
    assert_eq!(held(&db, &create).await?, Some(expected.clone()));

    // The same key again (a new timer id, as a retry's create makes): not stored, the first
    // outcome comes back, whatever kind the caller says it is now.
    let retry = timer(alice, at(5));
    for kind in ["create", "pause"] {
        assert_eq!(
            timers
                .insert_once(&retry, &key(alice, "c-1", kind, at(5)))
                .await?,
            Idempotent::Remembered(Box::new(expected.clone()))
        );
    }
    assert_eq!(timers.find(retry.id()).await?, None);
    // Keys are per user.
    let bobs = timer(bob, at(5));
    assert_eq!(
        timers
            .insert_once(&bobs, &key(bob, "c-1", "create", at(5)))
            .await?,
        Idempotent::Applied(())
    );
    db.cleanup().await?;
    Ok(())
}

/// Every part of a timer survives being remembered (links, tags in their order, a history of
/// several transitions, the end or the pause, the version), and so does every change a keyed
/// command records.
#[tokio::test]
async fn a_keyed_command_records_the_timer_as_stored_and_its_change() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let tags: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|name| tag(alice, name))
        .collect();
    let tag_repo = PgTagRepository::new(db.pool());
    for tag in &tags {
        tag_repo.insert(tag).await?;
    }
    let plan = schedule(alice, vec![]);
    PgScheduleRepository::new(db.pool()).insert(&plan).await?;
    let task = todo(alice, vec![]);
    PgTodoRepository::new(db.pool()).insert(&task).await?;
    let rich = timer_with(
        alice,
        at(0),
        TimerSpec {
            schedule_id: Some(plan.id),
            todo_id: Some(task.id),
            tag_ids: tags.iter().rev().map(|tag| tag.id).collect(),
            visibility: Visibility::Public,
        },
    );
    let timers = PgTimerRepository::new(db.pool());
    timers
        .insert_once(&rich, &key(alice, "k-start", "create", at(0)))
        .await?;
    let mut expected = rich.clone();
    for (n, (command, seconds)) in [
        (TimerCommand::Pause, 60),
        (TimerCommand::Resume, 90),
        (TimerCommand::Stop, 200),
    ]
    .into_iter()
    .enumerate()
    {
        let command_key = key(alice, &format!("k{n}"), command.as_str(), at(seconds));
        let Idempotent::Applied(stored) = timers
            .apply_command_once(rich.id(), command, &command_key)
            .await?
        else {
            panic!("{command} applies")
        };
        let Ok(()) = expected.apply(command, at(seconds)) else {
            panic!("{command} applies")
        };
        assert_eq!(stored, expected);
        assert_eq!(timers.find(rich.id()).await?.as_ref(), Some(&expected));
        let Some(found) = held(&db, &command_key).await? else {
            panic!("{command} is remembered")
        };
        assert_eq!(found.outcome.change, TimerChange::from(command));
        assert_eq!(found.outcome.timer, expected, "{command}");
        assert_eq!(found.command_type, command.as_str());
        assert_eq!(found.created_at, at(seconds));
    }
    // A paused timer (paused, not ended) and a cancel.
    let other = timer(alice, at(0));
    timers.insert(&other).await?;
    for (n, command) in [TimerCommand::Pause, TimerCommand::Cancel]
        .into_iter()
        .enumerate()
    {
        let command_key = key(alice, &format!("o{n}"), command.as_str(), at(300));
        let Idempotent::Applied(stored) = timers
            .apply_command_once(other.id(), command, &command_key)
            .await?
        else {
            panic!("{command} applies")
        };
        let Some(found) = held(&db, &command_key).await? else {
            panic!("{command} is remembered")
        };
        assert_eq!(found.outcome.timer, stored);
        assert_eq!(found.outcome.change, TimerChange::from(command));
    }
    db.cleanup().await?;
    Ok(())
}

/// A key that holds an outcome answers with it and applies nothing, whether the command would
/// run now, would be refused, or its timer is gone; under another kind the outcome comes back
/// too (the service refuses it as reused).
#[tokio::test]
async fn a_remembered_key_answers_with_its_outcome_whatever_the_timer_is_now() -> anyhow::Result<()>
{
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let running = timer(alice, at(0));
    timers.insert(&running).await?;
    let pause = key(alice, "p-1", "pause", at(10));
    let Idempotent::Applied(paused) = timers
        .apply_command_once(running.id(), TimerCommand::Pause, &pause)
        .await?
    else {
        panic!("applied")
    };
    let outcome = remembered("pause", TimerChange::from(TimerCommand::Pause), paused, 10);

    // Paused: a second pause would be refused; the duplicate gets the outcome.
    assert_eq!(
        timers
            .apply_command_once(running.id(), TimerCommand::Pause, &pause)
            .await?,
        outcome
    );
    // Resumed since: the pause would run again; it does not.
    timers
        .apply_command(alice, running.id(), TimerCommand::Resume, at(20))
        .await?;
    let later = key(alice, "p-1", "pause", at(30));
    assert_eq!(
        timers
            .apply_command_once(running.id(), TimerCommand::Pause, &later)
            .await?,
        outcome
    );
    let Some(now) = timers.find(running.id()).await? else {
        panic!("still there")
    };
    assert_eq!(
        (now.status(), now.version()),
        (TimerStatus::Running, 3),
        "not paused again"
    );
    // Another kind of command, on another timer, under the same key.
    let other = timer(alice, at(0));
    timers.insert(&other).await?;
    assert_eq!(
        timers
            .apply_command_once(
                other.id(),
                TimerCommand::Stop,
                &key(alice, "p-1", "stop", at(40))
            )
            .await?,
        outcome
    );
    assert_eq!(timers.find(other.id()).await?.map(|t| t.version()), Some(1));
    // The timer is gone.
    timers.delete(alice, running.id()).await?;
    assert_eq!(
        timers
            .apply_command_once(running.id(), TimerCommand::Pause, &later)
            .await?,
        outcome
    );
    db.cleanup().await?;
    Ok(())
}

/// Issue 17's case, deterministic: a keyed command whose transaction fails or dies before the
/// commit leaves no row for its key, and a retry with the same `request_id` runs at once. (With
/// the former reservation, committed before the command ran, the retry was told "in progress"
/// until the reservation went stale 60 s later.)
#[tokio::test]
async fn a_failed_keyed_command_leaves_no_key_and_its_retry_runs_at_once() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let timers = PgTimerRepository::new(db.pool());
    let running = timer(alice, at(0));
    timers.insert(&running).await?;

    // Refused by the state machine.
    let resume = key(alice, "r-1", "resume", at(10));
    assert!(matches!(
        timers
            .apply_command_once(running.id(), TimerCommand::Resume, &resume)
            .await,
        Err(TimerCommandError::Rejected(_))
    ));
    // Not found.
    let stranger = key(bob, "r-1", "resume", at(10));
    assert!(matches!(
        timers
            .apply_command_once(running.id(), TimerCommand::Resume, &stranger)
            .await,
        Err(TimerCommandError::NotFound)
    ));
    // A create whose link is someone else's: the claim and the timer row roll back together.
    let bobs_tag = tag(bob, "bob's");
    PgTagRepository::new(db.pool()).insert(&bobs_tag).await?;
    let foreign = timer_with(
        alice,
        at(0),
        TimerSpec {
            tag_ids: vec![bobs_tag.id],
            ..TimerSpec::default()
        },
    );
    let create = key(alice, "c-1", "create", at(10));
    assert!(matches!(
        timers.insert_once(&foreign, &create).await,
        Err(InsertTimerError::UnknownLink(_))
    ));
    assert_eq!(key_rows(&db).await?, 0, "no key without its outcome");

    // The retries run: once the timer is paused the resume applies, the fixed create too.
    timers
        .apply_command(alice, running.id(), TimerCommand::Pause, at(20))
        .await?;
    assert!(matches!(
        timers
            .apply_command_once(running.id(), TimerCommand::Resume, &resume)
            .await?,
        Idempotent::Applied(_)
    ));
    let fixed = timer(alice, at(10));
    assert_eq!(
        timers.insert_once(&fixed, &create).await?,
        Idempotent::Applied(())
    );
    assert_eq!(key_rows(&db).await?, 2);
    db.cleanup().await?;
    Ok(())
}

/// The connection of a keyed create dies after its claim, before the commit (as when the
/// process is killed mid-command): a duplicate waiting on the key then finds nothing and runs,
/// exactly once, right away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_dies_with_its_connection_and_the_waiting_duplicate_runs() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let labels = PgTagRepository::new(db.pool());
    let label = tag(alice, "held");
    labels.insert(&label).await?;
    let timers = PgTimerRepository::new(db.pool());
    let tagged = |seconds| {
        timer_with(
            alice,
            at(seconds),
            TimerSpec {
                tag_ids: vec![label.id],
                ..TimerSpec::default()
            },
        )
    };
    let create = key(alice, "c-1", "create", at(0));

    // The tag link of a new timer waits for this lock on the tag.
    let mut blocker = db.pool().get().await?;
    blocker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM tags WHERE id = '{}' FOR UPDATE",
            label.id.get()
        ))
        .await?;
    let doomed = {
        let (timers, timer, create) = (timers.clone(), tagged(0), create.clone());
        tokio::spawn(async move { timers.insert_once(&timer, &create).await })
    };
    wait_until(&db, WAITING_TAG_LINK).await?;
    let duplicate_timer = tagged(1);
    let duplicate = {
        let (timers, timer, create) = (timers.clone(), duplicate_timer.clone(), create.clone());
        tokio::spawn(async move { timers.insert_once(&timer, &create).await })
    };
    // The duplicate waits on the first transaction's uncommitted key.
    wait_until(&db, WAITING_CLAIM).await?;
    let mut conn = db.pool().get().await?;
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock' \
           AND query LIKE 'INSERT INTO timer_tags%'",
    )
    .execute(&mut conn)
    .await?;
    drop(conn);
    let failed = doomed.await?;
    assert!(
        matches!(
            failed,
            Err(InsertTimerError::Storage(StorageError::Unavailable(_)))
        ),
        "{failed:?}"
    );
    blocker.batch_execute("COMMIT").await?;
    let released = Instant::now();
    assert_eq!(duplicate.await??, Idempotent::Applied(()));
    assert!(released.elapsed() < Duration::from_secs(5));
    assert_eq!(
        timers.list_active(alice).await?,
        vec![duplicate_timer.clone()]
    );
    assert_eq!(
        held(&db, &create).await?.map(|held| held.outcome.timer),
        Some(duplicate_timer)
    );
    drop(blocker);
    db.cleanup().await?;
    Ok(())
}

/// Backends of this database whose tag link waits for a lock.
const WAITING_TAG_LINK: &str = "SELECT count(*) AS n FROM pg_stat_activity \
     WHERE datname = current_database() AND wait_event_type = 'Lock' \
       AND query LIKE 'INSERT INTO timer_tags%'";

/// Backends of this database whose claim of a key waits for a lock.
const WAITING_CLAIM: &str = "SELECT count(*) AS n FROM pg_stat_activity \
     WHERE datname = current_database() AND wait_event_type = 'Lock' \
       AND query LIKE 'INSERT INTO processed_commands%'";

/// Polls `count_sql` (a `SELECT count(*) AS n`) until it is positive, for at most 10 s.
async fn wait_until(db: &TestDatabase, count_sql: &'static str) -> anyhow::Result<()> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let began = Instant::now();
    loop {
        let mut conn = db.pool().get().await?;
        let count: Count = diesel::sql_query(count_sql).get_result(&mut conn).await?;
        if count.n > 0 {
            return Ok(());
        }
        anyhow::ensure!(
            began.elapsed() < Duration::from_secs(10),
            "never true: {count_sql}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn an_outcome_older_than_a_day_is_taken_over_then_found_and_purged() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let processed = PgProcessedCommandRepository::new(db.pool());
    let running = timer(alice, at(0));
    timers.insert(&running).await?;
    let pause = key(alice, "old", "pause", at(0));
    let Idempotent::Applied(paused) = timers
        .apply_command_once(running.id(), TimerCommand::Pause, &pause)
        .await?
    else {
        panic!("applied")
    };
    timers
        .apply_command(alice, running.id(), TimerCommand::Resume, at(1))
        .await?;
    let day_later = |seconds| key(alice, "old", "pause", at(REMEMBER_SECONDS + seconds));
    assert_eq!(
        timers
            .apply_command_once(running.id(), TimerCommand::Pause, &day_later(-1))
            .await?,
        remembered(
            "pause",
            TimerChange::Transition(HistoryAction::Pause),
            paused,
            0
        ),
        "remembered for 24 h"
    );
    let Idempotent::Applied(again) = timers
        .apply_command_once(running.id(), TimerCommand::Pause, &day_later(1))
        .await?
    else {
        panic!("taken over after 24 h")
    };
    assert_eq!(again.version(), 4);
    let Some(found) = processed.find(alice, "old", at(0)).await? else {
        panic!("the new outcome")
    };
    assert_eq!(
        (found.outcome.timer, found.created_at),
        (again, at(REMEMBER_SECONDS + 1))
    );
    assert_eq!(
        processed
            .find(alice, "old", at(REMEMBER_SECONDS + 2))
            .await?,
        None
    );
    assert_eq!(processed.purge(at(REMEMBER_SECONDS + 1)).await?, 0);
    assert_eq!(processed.purge(at(REMEMBER_SECONDS + 2)).await?, 1);
    assert_eq!(key_rows(&db).await?, 0);
    db.cleanup().await?;
    Ok(())
}

/// A remembered timer that no longer restores (corrupted, or written under other rules) is a
/// storage failure, never replayed as an invalid timer, and never silently overwritten.
#[tokio::test]
async fn a_stored_timer_that_no_longer_restores_is_a_storage_error() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let running = timer(alice, at(0));
    timers.insert(&running).await?;
    let pause = key(alice, "r", "pause", at(60));
    timers
        .apply_command_once(running.id(), TimerCommand::Pause, &pause)
        .await?;

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
        held(&db, &pause).await,
        Err(error) if matches!(error.downcast_ref::<StorageError>(), Some(StorageError::Unknown(_)))
    ));
    assert!(matches!(
        timers
            .apply_command_once(running.id(), TimerCommand::Pause, &pause)
            .await,
        Err(TimerCommandError::Storage(StorageError::Unknown(_)))
    ));
    timers
        .apply_command(alice, running.id(), TimerCommand::Resume, at(61))
        .await?;
    assert!(matches!(
        timers
            .apply_command_once(running.id(), TimerCommand::Pause, &pause)
            .await,
        Err(TimerCommandError::Storage(StorageError::Unknown(_)))
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
    assert!(held(&db, &pause).await.is_err());
    drop(conn);
    db.cleanup().await?;
    Ok(())
}

/// The schema refuses a key without its whole outcome: there are no reservations.
#[tokio::test]
async fn a_key_without_its_outcome_is_refused_by_the_schema() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let mut conn = db.pool().get().await?;
    for (change, timer) in [
        ("NULL", "NULL"),
        ("'pause'", "NULL"),
        ("NULL", "'{}'::jsonb"),
        ("'explode'", "'{}'::jsonb"),
    ] {
        let refused = diesel::sql_query(format!(
            "INSERT INTO processed_commands \
               (user_id, request_id, command_type, change, timer, created_at) \
             VALUES ($1, 'r', 'pause', {change}, {timer}, now())"
        ))
        .bind::<BigInt, _>(alice.get())
        .execute(&mut conn)
        .await;
        assert!(refused.is_err(), "{change}, {timer}");
    }
    drop(conn);
    db.cleanup().await?;
    Ok(())
}

/// Trials of this many copies of one keyed command at once.
const COPIES: usize = 4;

/// Of concurrent duplicates of a keyed pause exactly one applies and every other one gets its
/// outcome; the database holds one pause. 200 trials of 4 copies released together.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_duplicates_exactly_one_applies() -> anyhow::Result<()> {
    const TRIALS: usize = 200;
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let began = Instant::now();
    for trial in 0..TRIALS {
        let running = timer(alice, at(0));
        timers.insert(&running).await?;
        let id = running.id();
        let pause = key(alice, &format!("p-{trial}"), "pause", at(10));
        let barrier = Arc::new(Barrier::new(COPIES));
        let copies: Vec<_> = (0..COPIES)
            .map(|_| {
                let (timers, pause, barrier) = (timers.clone(), pause.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    timers
                        .apply_command_once(id, TimerCommand::Pause, &pause)
                        .await
                })
            })
            .collect();
        let mut applied = Vec::new();
        let mut replays = Vec::new();
        for copy in copies {
            match copy.await?? {
                Idempotent::Applied(timer) => applied.push(timer),
                Idempotent::Remembered(held) => replays.push(*held),
            }
        }
        let [applied] = applied.as_slice() else {
            panic!("trial {trial}: applied {applied:?}")
        };
        let Some(stored) = timers.find(id).await? else {
            panic!("trial {trial}: the timer")
        };
        assert_eq!(&stored, applied, "trial {trial}");
        assert_eq!(
            (stored.version(), stored.pause_history().len()),
            (2, 2),
            "trial {trial}: one pause"
        );
        for replay in replays {
            assert_eq!(replay.outcome.timer, stored, "trial {trial}");
            assert_eq!(replay.command_type, "pause");
        }
    }
    println!(
        "{TRIALS} trials of {COPIES} concurrent pauses: {:?}",
        began.elapsed()
    );
    db.cleanup().await?;
    Ok(())
}

/// The same for a keyed create: one timer per key, the others get its outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_duplicate_creates_exactly_one_stores_a_timer() -> anyhow::Result<()> {
    const TRIALS: usize = 50;
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    for trial in 0..TRIALS {
        let create = key(alice, &format!("c-{trial}"), "create", at(0));
        let barrier = Arc::new(Barrier::new(COPIES));
        let copies: Vec<_> = (0..COPIES)
            .map(|_| {
                let (timers, create, barrier) = (timers.clone(), create.clone(), barrier.clone());
                let new = timer(alice, at(0));
                tokio::spawn(async move {
                    barrier.wait().await;
                    let answer = timers.insert_once(&new, &create).await;
                    answer.map(|done| done.map(|()| new))
                })
            })
            .collect();
        let mut applied = Vec::new();
        let mut replays = Vec::new();
        for copy in copies {
            match copy.await?? {
                Idempotent::Applied(timer) => applied.push(timer),
                Idempotent::Remembered(held) => replays.push(*held),
            }
        }
        let [applied] = applied.as_slice() else {
            panic!("trial {trial}: applied {applied:?}")
        };
        for replay in &replays {
            assert_eq!(&replay.outcome.timer, applied, "trial {trial}");
        }
    }
    let stored = timers.list_active(alice).await?;
    assert_eq!(stored.len(), TRIALS, "one timer per key");
    db.cleanup().await?;
    Ok(())
}

/// `trim_per_user` keeps each user's newest outcomes (ties in time broken by `request_id`) and
/// leaves users under the cap alone.
#[tokio::test]
async fn trim_per_user_keeps_each_users_newest_outcomes() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let timers = PgTimerRepository::new(db.pool());
    let processed = PgProcessedCommandRepository::new(db.pool());
    // Alice: five creates, the last two at the same instant; Bob: two.
    for (n, seconds) in [(1, 1), (2, 2), (3, 3), (4, 4), (5, 4)] {
        let create = key(alice, &format!("a-{n}"), "create", at(seconds));
        timers
            .insert_once(&timer(alice, at(seconds)), &create)
            .await?;
    }
    for n in 1..=2 {
        let create = key(bob, &format!("b-{n}"), "create", at(n));
        timers.insert_once(&timer(bob, at(n)), &create).await?;
    }
    assert_eq!(processed.trim_per_user(3).await?, 2);
    assert_eq!(key_rows(&db).await?, 5);
    for (request_id, kept) in [("a-1", false), ("a-2", false), ("a-3", true), ("a-4", true)] {
        let found = processed.find(alice, request_id, Timestamp::EPOCH).await?;
        assert_eq!(found.is_some(), kept, "{request_id}");
    }
    assert!(
        processed
            .find(alice, "a-5", Timestamp::EPOCH)
            .await?
            .is_some()
    );
    assert!(
        processed
            .find(bob, "b-1", Timestamp::EPOCH)
            .await?
            .is_some()
    );
    assert_eq!(processed.trim_per_user(3).await?, 0, "nothing more to trim");
    assert_eq!(processed.trim_per_user(1).await?, 3);
    assert!(
        processed
            .find(alice, "a-5", Timestamp::EPOCH)
            .await?
            .is_some()
    );
    assert!(
        processed
            .find(bob, "b-2", Timestamp::EPOCH)
            .await?
            .is_some()
    );
    db.cleanup().await?;
    Ok(())
}
