//! TimerRepository: inserts, commands under the row lock, metadata changes, lists.

use std::collections::HashSet;

use hourglass_adapters_postgres::repository::{
    PgFollowRepository, PgScheduleRepository, PgTagRepository, PgTimerRepository, PgTodoRepository,
};
use hourglass_domain::follow::Follow;
use hourglass_domain::ids::{TimerId, UserId};
use hourglass_domain::timer::{
    FieldUpdate, HistoryAction, TimerCommand, TimerPatch, TimerStatus, TransitionError,
};
use hourglass_domain::validation::Visibility;
use hourglass_ports::follow::FollowRepository;
use hourglass_ports::page::PageRequest;
use hourglass_ports::planning::{ScheduleRepository, TagRepository, TodoRepository};
use hourglass_ports::timer::{
    DeleteTimerError, InsertTimerError, TimerCommandError, TimerFilter, TimerKind, TimerLink,
    TimerListQuery, TimerRepository, TimerScope, UpdateTimerError,
};
use uuid::Uuid;

use crate::support::{
    TimerSpec, at, database, schedule, tag, timer, timer_with, title, todo, user,
};

fn query(viewer: UserId, filter: TimerFilter, limit: u32) -> TimerListQuery {
    TimerListQuery {
        viewer,
        filter,
        page: PageRequest { limit, after: None },
    }
}

fn ids(timers: &[hourglass_domain::timer::Timer]) -> Vec<TimerId> {
    timers.iter().map(|t| t.id()).collect()
}

#[tokio::test]
async fn insert_then_find_round_trips_every_field() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let (schedules, todos, tags) = (
        PgScheduleRepository::new(db.pool()),
        PgTodoRepository::new(db.pool()),
        PgTagRepository::new(db.pool()),
    );
    let (red, blue) = (tag(alice, "red"), tag(alice, "blue"));
    tags.insert(&red).await?;
    tags.insert(&blue).await?;
    let plan = schedule(alice, vec![]);
    schedules.insert(&plan).await?;
    let task = todo(alice, vec![]);
    todos.insert(&task).await?;
    let timers = PgTimerRepository::new(db.pool());
    let stored = timer_with(
        alice,
        at(10),
        TimerSpec {
            schedule_id: Some(plan.id),
            todo_id: Some(task.id),
            tag_ids: vec![blue.id, red.id],
            visibility: Visibility::Public,
        },
    );
    timers.insert(&stored).await?;
    let found = timers.find(stored.id()).await?;
    assert_eq!(found.as_ref(), Some(&stored));
    assert_eq!(timers.find(TimerId::new(Uuid::now_v7())).await?, None);
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn insert_refuses_unknown_or_foreign_links() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let bobs_schedule = schedule(bob, vec![]);
    PgScheduleRepository::new(db.pool())
        .insert(&bobs_schedule)
        .await?;
    let bobs_tag = tag(bob, "mine");
    PgTagRepository::new(db.pool()).insert(&bobs_tag).await?;
    let timers = PgTimerRepository::new(db.pool());

    let foreign_schedule = TimerSpec {
        schedule_id: Some(bobs_schedule.id),
        ..TimerSpec::default()
    };
    let outcome = timers
        .insert(&timer_with(alice, at(0), foreign_schedule))
        .await;
    assert!(
        matches!(
            outcome,
            Err(InsertTimerError::UnknownLink(TimerLink::Schedule))
        ),
        "{outcome:?}"
    );
    let missing_todo = TimerSpec {
        todo_id: Some(todo(alice, vec![]).id),
        ..TimerSpec::default()
    };
    let outcome = timers.insert(&timer_with(alice, at(0), missing_todo)).await;
    assert!(
        matches!(outcome, Err(InsertTimerError::UnknownLink(TimerLink::Todo))),
        "{outcome:?}"
    );
    let foreign_tag = TimerSpec {
        tag_ids: vec![bobs_tag.id],
        ..TimerSpec::default()
    };
    let refused = timer_with(alice, at(0), foreign_tag);
    let outcome = timers.insert(&refused).await;
    assert!(
        matches!(outcome, Err(InsertTimerError::UnknownLink(TimerLink::Tag))),
        "{outcome:?}"
    );
    // The refused insert left nothing behind (the timer row was rolled back with the links).
    assert_eq!(timers.find(refused.id()).await?, None);
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn commands_follow_the_state_machine_and_persist() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let timers = PgTimerRepository::new(db.pool());
    let started = timer(alice, at(0));
    timers.insert(&started).await?;
    let id = started.id();

    let paused = timers
        .apply_command(alice, id, TimerCommand::Pause, at(60))
        .await?;
    assert_eq!(paused.status(), TimerStatus::Paused);
    assert_eq!(paused.paused_at(), Some(at(60)));
    assert_eq!(paused.version(), 2);
    let refused = timers
        .apply_command(alice, id, TimerCommand::Pause, at(61))
        .await;
    assert!(
        matches!(
            refused,
            Err(TimerCommandError::Rejected(
                TransitionError::InvalidTransition {
                    command: TimerCommand::Pause,
                    status: TimerStatus::Paused
                }
            ))
        ),
        "{refused:?}"
    );
    let resumed = timers
        .apply_command(alice, id, TimerCommand::Resume, at(100))
        .await?;
    assert_eq!(resumed.paused_at(), None);
    let stopped = timers
        .apply_command(alice, id, TimerCommand::Stop, at(130))
        .await?;
    assert_eq!(stopped.status(), TimerStatus::Completed);
    assert_eq!(stopped.ended_at(), Some(at(130)));
    assert_eq!(stopped.elapsed_at(at(999)), 90);
    assert_eq!(stopped.version(), 4);
    assert_eq!(timers.find(id).await?.as_ref(), Some(&stopped));

    let foreign = timers
        .apply_command(bob, id, TimerCommand::Cancel, at(140))
        .await;
    assert!(
        matches!(foreign, Err(TimerCommandError::NotFound)),
        "{foreign:?}"
    );
    let missing = timers
        .apply_command(
            alice,
            TimerId::new(Uuid::now_v7()),
            TimerCommand::Stop,
            at(140),
        )
        .await;
    assert!(
        matches!(missing, Err(TimerCommandError::NotFound)),
        "{missing:?}"
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn two_concurrent_pauses_one_wins() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let started = timer(alice, at(0));
    timers.insert(&started).await?;
    for round in 0..5 {
        let id = if round == 0 {
            started.id()
        } else {
            let fresh = timer(alice, at(0));
            timers.insert(&fresh).await?;
            fresh.id()
        };
        let (a, b) = (timers.clone(), timers.clone());
        let first = tokio::spawn(async move {
            a.apply_command(alice, id, TimerCommand::Pause, at(10))
                .await
        });
        let second = tokio::spawn(async move {
            b.apply_command(alice, id, TimerCommand::Pause, at(10))
                .await
        });
        let outcomes = [first.await?, second.await?];
        let wins = outcomes.iter().filter(|o| o.is_ok()).count();
        let losses = outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Err(TimerCommandError::Rejected(
                        TransitionError::InvalidTransition { .. }
                    ))
                )
            })
            .count();
        assert_eq!((wins, losses), (1, 1), "{outcomes:?}");
        let Some(stored) = timers.find(id).await? else {
            panic!("timer exists")
        };
        let pauses = stored
            .pause_history()
            .events()
            .iter()
            .filter(|e| e.action == HistoryAction::Pause)
            .count();
        assert_eq!(pauses, 1);
        assert_eq!(stored.version(), 2);
    }
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn update_details_stores_only_changes_and_checks_links() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let tags = PgTagRepository::new(db.pool());
    let (red, blue) = (tag(alice, "red"), tag(alice, "blue"));
    tags.insert(&red).await?;
    tags.insert(&blue).await?;
    let bobs_schedule = schedule(bob, vec![]);
    PgScheduleRepository::new(db.pool())
        .insert(&bobs_schedule)
        .await?;
    let timers = PgTimerRepository::new(db.pool());
    let started = timer_with(
        alice,
        at(0),
        TimerSpec {
            tag_ids: vec![red.id],
            ..TimerSpec::default()
        },
    );
    timers.insert(&started).await?;

    let unchanged = timers
        .update_details(alice, started.id(), TimerPatch::default(), at(5))
        .await?;
    assert!(!unchanged.changed);
    assert_eq!(unchanged.timer.version(), 1);

    let patch = TimerPatch {
        title: FieldUpdate::Set(Some(title("renamed"))),
        tag_ids: FieldUpdate::Set(vec![blue.id, red.id]),
        visibility: Some(Visibility::Private),
        ..TimerPatch::default()
    };
    let patched = timers
        .update_details(alice, started.id(), patch, at(5))
        .await?;
    assert!(patched.changed);
    assert_eq!(patched.timer.version(), 2);
    assert_eq!(patched.timer.tag_ids(), [blue.id, red.id]);
    assert_eq!(
        timers.find(started.id()).await?.as_ref(),
        Some(&patched.timer)
    );

    let foreign = TimerPatch {
        schedule_id: FieldUpdate::Set(Some(bobs_schedule.id)),
        ..TimerPatch::default()
    };
    let outcome = timers
        .update_details(alice, started.id(), foreign, at(6))
        .await;
    assert!(
        matches!(
            outcome,
            Err(UpdateTimerError::UnknownLink(TimerLink::Schedule))
        ),
        "{outcome:?}"
    );
    let outcome = timers
        .update_details(bob, started.id(), TimerPatch::default(), at(6))
        .await;
    assert!(
        matches!(outcome, Err(UpdateTimerError::NotFound)),
        "{outcome:?}"
    );
    assert_eq!(
        timers.find(started.id()).await?.as_ref(),
        Some(&patched.timer)
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn delete_removes_only_the_owners_timer() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let red = tag(alice, "red");
    PgTagRepository::new(db.pool()).insert(&red).await?;
    let timers = PgTimerRepository::new(db.pool());
    let started = timer_with(
        alice,
        at(0),
        TimerSpec {
            tag_ids: vec![red.id],
            ..TimerSpec::default()
        },
    );
    timers.insert(&started).await?;
    let foreign = timers.delete(bob, started.id()).await;
    assert!(
        matches!(foreign, Err(DeleteTimerError::NotFound)),
        "{foreign:?}"
    );
    timers.delete(alice, started.id()).await?;
    assert_eq!(timers.find(started.id()).await?, None);
    let again = timers.delete(alice, started.id()).await;
    assert!(
        matches!(again, Err(DeleteTimerError::NotFound)),
        "{again:?}"
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn lists_filter_by_scope_visibility_status_kind_and_dates() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let carol = user(&db, "carol").await?;
    let follows = PgFollowRepository::new(db.pool());
    // alice and bob are friends; carol only follows alice (not a friend).
    for (a, b) in [(alice, bob), (bob, alice), (carol, alice)] {
        let Ok(follow) = Follow::new(a, b) else {
            panic!("distinct users")
        };
        follows.follow(follow, at(0)).await?;
    }
    let plan = schedule(alice, vec![]);
    PgScheduleRepository::new(db.pool()).insert(&plan).await?;
    let timers = PgTimerRepository::new(db.pool());
    let mine_plain = timer(alice, at(1));
    let mine_scheduled = timer_with(
        alice,
        at(2),
        TimerSpec {
            schedule_id: Some(plan.id),
            ..TimerSpec::default()
        },
    );
    let bob_friends = timer(bob, at(3));
    let bob_private = timer_with(
        bob,
        at(4),
        TimerSpec {
            visibility: Visibility::Private,
            ..TimerSpec::default()
        },
    );
    let bob_public = timer_with(
        bob,
        at(5),
        TimerSpec {
            visibility: Visibility::Public,
            ..TimerSpec::default()
        },
    );
    let carol_public = timer_with(
        carol,
        at(6),
        TimerSpec {
            visibility: Visibility::Public,
            ..TimerSpec::default()
        },
    );
    for t in [
        &mine_plain,
        &mine_scheduled,
        &bob_friends,
        &bob_private,
        &bob_public,
        &carol_public,
    ] {
        timers.insert(t).await?;
    }
    timers
        .apply_command(alice, mine_plain.id(), TimerCommand::Stop, at(10))
        .await?;

    let mine = timers
        .list(&query(alice, TimerFilter::default(), 50))
        .await?;
    assert_eq!(ids(&mine.items), [mine_scheduled.id(), mine_plain.id()]);
    assert_eq!(mine.next, None);

    let shared = TimerFilter {
        scope: TimerScope::Shared,
        ..TimerFilter::default()
    };
    let shared = timers.list(&query(alice, shared, 50)).await?;
    assert_eq!(ids(&shared.items), [bob_public.id(), bob_friends.id()]);

    let all = TimerFilter {
        scope: TimerScope::All,
        ..TimerFilter::default()
    };
    let all = timers.list(&query(alice, all, 50)).await?;
    assert_eq!(
        ids(&all.items),
        [
            bob_public.id(),
            bob_friends.id(),
            mine_scheduled.id(),
            mine_plain.id()
        ]
    );

    let running = TimerFilter {
        statuses: vec![TimerStatus::Running, TimerStatus::Paused],
        ..TimerFilter::default()
    };
    let running = timers.list(&query(alice, running, 50)).await?;
    assert_eq!(ids(&running.items), [mine_scheduled.id()]);

    let independent = TimerFilter {
        kind: Some(TimerKind::Independent),
        ..TimerFilter::default()
    };
    let independent = timers.list(&query(alice, independent, 50)).await?;
    assert_eq!(ids(&independent.items), [mine_plain.id()]);
    let scheduled = TimerFilter {
        kind: Some(TimerKind::Schedule),
        ..TimerFilter::default()
    };
    let scheduled = timers.list(&query(alice, scheduled, 50)).await?;
    assert_eq!(ids(&scheduled.items), [mine_scheduled.id()]);
    let on_plan = TimerFilter {
        schedule_id: Some(plan.id),
        ..TimerFilter::default()
    };
    assert_eq!(
        ids(&timers.list(&query(alice, on_plan.clone(), 50)).await?.items),
        [mine_scheduled.id()]
    );
    // Someone else asking for alice's schedule sees nothing.
    assert!(
        timers
            .list(&query(bob, on_plan, 50))
            .await?
            .items
            .is_empty()
    );

    let window = TimerFilter {
        scope: TimerScope::All,
        started_from: Some(at(2)),
        started_to: Some(at(3)),
        ..TimerFilter::default()
    };
    let window = timers.list(&query(alice, window, 50)).await?;
    assert_eq!(ids(&window.items), [bob_friends.id(), mine_scheduled.id()]);

    let active = timers.list_active(alice).await?;
    assert_eq!(ids(&active), [mine_scheduled.id()]);
    assert!(timers.are_friends(alice, bob).await?);
    assert!(timers.are_friends(bob, alice).await?);
    assert!(!timers.are_friends(alice, carol).await?);
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn the_active_list_is_the_running_and_paused_timers_newest_first() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let timers = PgTimerRepository::new(db.pool());
    let mut inserted = Vec::new();
    for (second, owner) in [(0, alice), (1, alice), (2, alice), (3, alice), (4, bob)] {
        let started = timer(owner, at(second));
        timers.insert(&started).await?;
        inserted.push(started.id());
    }
    let [running, paused, completed, cancelled, bobs] = inserted[..] else {
        anyhow::bail!("five timers were inserted");
    };
    for (id, command, second) in [
        (paused, TimerCommand::Pause, 10),
        (completed, TimerCommand::Stop, 10),
        (cancelled, TimerCommand::Cancel, 10),
        // Paused and resumed: active again.
        (running, TimerCommand::Pause, 11),
        (running, TimerCommand::Resume, 12),
    ] {
        timers.apply_command(alice, id, command, at(second)).await?;
    }

    assert_eq!(ids(&timers.list_active(alice).await?), [paused, running]);
    assert_eq!(ids(&timers.list_active(bob).await?), [bobs]);
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn paging_through_equal_created_at_has_no_gaps_or_duplicates() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let mut inserted = HashSet::new();
    for _ in 0..23 {
        let t = timer(alice, at(0));
        timers.insert(&t).await?;
        inserted.insert(t.id());
    }
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = timers
            .list(&TimerListQuery {
                viewer: alice,
                filter: TimerFilter::default(),
                page: PageRequest { limit: 5, after },
            })
            .await?;
        pages += 1;
        assert!(page.items.len() <= 5);
        seen.extend(ids(&page.items));
        match page.next {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(seen.len(), 23);
    assert_eq!(seen.iter().copied().collect::<HashSet<_>>(), inserted);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        seen, sorted,
        "newest first: equal created_at, then id descending"
    );
    db.cleanup().await?;
    Ok(())
}
