//! Schedule, todo and tag repositories, and what their deletion does to timers.

use hourglass_adapters_postgres::repository::{
    PgScheduleRepository, PgTagRepository, PgTimerRepository, PgTodoRepository,
};
use hourglass_domain::ids::ScheduleId;
use hourglass_domain::planning::TodoStatus;
use hourglass_domain::validation::TagName;
use hourglass_ports::page::PageRequest;
use hourglass_ports::planning::{
    PlanningError, ScheduleFilter, ScheduleRepository, TagRepository, TodoRepository,
};
use hourglass_ports::timer::TimerRepository;
use uuid::Uuid;

use crate::support::{TimerSpec, at, database, schedule, tag, timer_with, title, todo, user};

#[tokio::test]
async fn schedules_crud_with_tags_and_filters() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let tags = PgTagRepository::new(db.pool());
    let red = tag(alice, "red");
    let bobs = tag(bob, "bobs");
    tags.insert(&red).await?;
    tags.insert(&bobs).await?;
    let schedules = PgScheduleRepository::new(db.pool());

    let mut plan = schedule(alice, vec![red.id]);
    schedules.insert(&plan).await?;
    assert_eq!(schedules.find(alice, plan.id).await?.as_ref(), Some(&plan));
    assert_eq!(schedules.find(bob, plan.id).await?, None);

    let refused = schedules.insert(&schedule(alice, vec![bobs.id])).await;
    assert!(
        matches!(refused, Err(PlanningError::UnknownTag)),
        "{refused:?}"
    );

    plan.title = title("renamed");
    plan.tag_ids = vec![];
    plan.updated_at = at(5);
    schedules.update(&plan).await?;
    assert_eq!(schedules.find(alice, plan.id).await?.as_ref(), Some(&plan));
    let mut foreign = plan.clone();
    foreign.owner_id = bob;
    let refused = schedules.update(&foreign).await;
    assert!(
        matches!(refused, Err(PlanningError::NotFound)),
        "{refused:?}"
    );

    let other = schedule(alice, vec![]);
    schedules.insert(&other).await?;
    let many = schedules
        .find_many(alice, &[plan.id, other.id, ScheduleId::new(Uuid::now_v7())])
        .await?;
    assert_eq!(many.len(), 2);

    let page = schedules
        .list(
            alice,
            ScheduleFilter {
                start_from: Some(at(3_600)),
                start_to: Some(at(3_600)),
            },
            PageRequest {
                limit: 1,
                after: None,
            },
        )
        .await?;
    assert_eq!(page.items.len(), 1);
    let Some(next) = page.next else {
        panic!("a second page")
    };
    let rest = schedules
        .list(
            alice,
            ScheduleFilter::default(),
            PageRequest {
                limit: 10,
                after: Some(next),
            },
        )
        .await?;
    assert_eq!(rest.items.len(), 1);
    assert_ne!(rest.items[0].id, page.items[0].id);
    let none = schedules
        .list(
            alice,
            ScheduleFilter {
                start_from: Some(at(3_601)),
                start_to: None,
            },
            PageRequest {
                limit: 10,
                after: None,
            },
        )
        .await?;
    assert!(none.items.is_empty());
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn deleting_a_schedule_or_todo_unlinks_and_bumps_its_timers() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let schedules = PgScheduleRepository::new(db.pool());
    let todos = PgTodoRepository::new(db.pool());
    let timers = PgTimerRepository::new(db.pool());
    let plan = schedule(alice, vec![]);
    schedules.insert(&plan).await?;
    let task = todo(alice, vec![]);
    todos.insert(&task).await?;
    let linked = timer_with(
        alice,
        at(0),
        TimerSpec {
            schedule_id: Some(plan.id),
            todo_id: Some(task.id),
            ..TimerSpec::default()
        },
    );
    let unrelated = timer_with(alice, at(0), TimerSpec::default());
    timers.insert(&linked).await?;
    timers.insert(&unrelated).await?;

    let refused = schedules.delete(bob, plan.id, at(50)).await;
    assert!(
        matches!(refused, Err(PlanningError::NotFound)),
        "{refused:?}"
    );

    let affected = schedules.delete(alice, plan.id, at(50)).await?;
    assert_eq!(affected.len(), 1);
    assert_eq!(affected[0].id(), linked.id());
    assert_eq!(affected[0].schedule_id(), None);
    assert_eq!(affected[0].todo_id(), Some(task.id));
    assert_eq!(affected[0].version(), 2);
    assert_eq!(affected[0].updated_at(), at(50));
    assert_eq!(timers.find(linked.id()).await?.as_ref(), affected.first());
    assert_eq!(schedules.find(alice, plan.id).await?, None);

    let affected = todos.delete(alice, task.id, at(60)).await?;
    assert_eq!(affected.len(), 1);
    assert_eq!(affected[0].todo_id(), None);
    assert_eq!(affected[0].version(), 3);
    let Some(untouched) = timers.find(unrelated.id()).await? else {
        panic!("still there")
    };
    assert_eq!(untouched.version(), 1);
    let again = todos.delete(alice, task.id, at(70)).await;
    assert!(matches!(again, Err(PlanningError::NotFound)), "{again:?}");
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn todos_crud_and_list() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let red = tag(alice, "red");
    PgTagRepository::new(db.pool()).insert(&red).await?;
    let todos = PgTodoRepository::new(db.pool());
    let mut task = todo(alice, vec![red.id]);
    todos.insert(&task).await?;
    assert_eq!(todos.find(alice, task.id).await?.as_ref(), Some(&task));
    task.status = TodoStatus::Done;
    task.deadline = None;
    task.updated_at = at(9);
    todos.update(&task).await?;
    assert_eq!(todos.find(alice, task.id).await?.as_ref(), Some(&task));
    for _ in 0..4 {
        todos.insert(&todo(alice, vec![])).await?;
    }
    let first = todos
        .list(
            alice,
            PageRequest {
                limit: 3,
                after: None,
            },
        )
        .await?;
    assert_eq!(first.items.len(), 3);
    let second = todos
        .list(
            alice,
            PageRequest {
                limit: 3,
                after: first.next,
            },
        )
        .await?;
    assert_eq!(second.items.len(), 2);
    assert_eq!(second.next, None);
    assert_eq!(todos.find_many(alice, &[task.id]).await?, vec![task]);
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn tags_are_unique_per_owner_and_deletion_unlinks_everything() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let tags = PgTagRepository::new(db.pool());
    let red = tag(alice, "red");
    let green = tag(alice, "green");
    tags.insert(&red).await?;
    tags.insert(&green).await?;
    // Another owner may use the same name.
    tags.insert(&tag(bob, "red")).await?;
    let duplicate = tags.insert(&tag(alice, "red")).await;
    assert!(
        matches!(duplicate, Err(PlanningError::DuplicateName)),
        "{duplicate:?}"
    );

    let mut renamed = green.clone();
    let Ok(name) = TagName::new("red") else {
        panic!("valid")
    };
    renamed.name = name;
    let clash = tags.update(&renamed).await;
    assert!(
        matches!(clash, Err(PlanningError::DuplicateName)),
        "{clash:?}"
    );
    let mut foreign = red.clone();
    foreign.owner_id = bob;
    let missing = tags.update(&foreign).await;
    assert!(
        matches!(missing, Err(PlanningError::NotFound)),
        "{missing:?}"
    );

    let schedules = PgScheduleRepository::new(db.pool());
    let plan = schedule(alice, vec![red.id, green.id]);
    schedules.insert(&plan).await?;
    let timers = PgTimerRepository::new(db.pool());
    let tagged = timer_with(
        alice,
        at(0),
        TimerSpec {
            tag_ids: vec![green.id, red.id],
            ..TimerSpec::default()
        },
    );
    timers.insert(&tagged).await?;

    let affected = tags.delete(alice, red.id, at(30)).await?;
    assert_eq!(affected.len(), 1);
    assert_eq!(affected[0].tag_ids(), [green.id]);
    assert_eq!(affected[0].version(), 2);
    assert_eq!(timers.find(tagged.id()).await?.as_ref(), affected.first());
    let Some(plan_after) = schedules.find(alice, plan.id).await? else {
        panic!("schedule kept")
    };
    assert_eq!(plan_after.tag_ids, [green.id]);
    assert_eq!(tags.find(alice, red.id).await?, None);
    assert_eq!(tags.find(alice, green.id).await?.as_ref(), Some(&green));
    let page = tags
        .list(
            alice,
            PageRequest {
                limit: 10,
                after: None,
            },
        )
        .await?;
    assert_eq!(page.items, vec![green.clone()]);
    assert_eq!(
        tags.find_many(alice, &[green.id, red.id]).await?,
        vec![green]
    );
    let again = tags.delete(alice, red.id, at(31)).await;
    assert!(matches!(again, Err(PlanningError::NotFound)), "{again:?}");
    db.cleanup().await?;
    Ok(())
}
