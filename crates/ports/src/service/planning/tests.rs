//! Schedule, todo and tag use cases against mocked ports.

use std::sync::Arc;

use hourglass_domain::ids::{ScheduleId, TagId, TimerId, TodoId, UserId};
use hourglass_domain::planning::{Schedule, ScheduleWindow, Tag};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{FieldUpdate, NewTimer, Timer};
use hourglass_domain::validation::{
    AllocatedDuration, Description, TagColor, TagName, Title, Visibility,
};
use mockall::Sequence;
use mockall::predicate::eq;
use uuid::Uuid;

use super::*;
use crate::clock::MockClock;
use crate::event::{DomainEvent, MockEventPublisher};
use crate::id::MockIdGenerator;
use crate::planning::{MockScheduleRepository, MockTagRepository, MockTodoRepository};
use crate::timer::MockTimerRepository;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const OWNER: UserId = UserId::new(7);

fn at(seconds: i64) -> Timestamp {
    let Some(t) = Timestamp::from_unix_seconds(1_767_225_600 + seconds) else {
        panic!("in range")
    };
    t
}

fn schedule_id() -> ScheduleId {
    ScheduleId::new(Uuid::from_u128(0x51))
}

fn tag_id() -> TagId {
    TagId::new(Uuid::from_u128(0x7a))
}

fn timer(n: u128) -> Result<Timer, Box<dyn std::error::Error>> {
    let new = NewTimer {
        owner_id: OWNER,
        allocated_duration: AllocatedDuration::new(60)?,
        title: None,
        description: None,
        schedule_id: None,
        todo_id: None,
        tag_ids: Vec::new(),
        visibility: Visibility::Friends,
    };
    Ok(Timer::start(TimerId::new(Uuid::from_u128(n)), new, at(0)))
}

fn schedule() -> Result<Schedule, Box<dyn std::error::Error>> {
    Ok(Schedule {
        id: schedule_id(),
        owner_id: OWNER,
        title: Title::new("Standup")?,
        description: Some(Description::new("daily")?),
        window: ScheduleWindow::new(at(100), at(200))?,
        tag_ids: vec![tag_id()],
        created_at: at(0),
        updated_at: at(0),
    })
}

struct Mocks {
    schedules: MockScheduleRepository,
    todos: MockTodoRepository,
    tags: MockTagRepository,
    publisher: MockEventPublisher,
}

impl Mocks {
    fn new() -> Self {
        Self {
            schedules: MockScheduleRepository::new(),
            todos: MockTodoRepository::new(),
            tags: MockTagRepository::new(),
            publisher: MockEventPublisher::new(),
        }
    }

    fn service(self) -> PlanningService {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(at(60));
        let clock: Arc<dyn Clock> = Arc::new(clock);
        let mut ids = MockIdGenerator::new();
        ids.expect_new_uuid().return_const(Uuid::from_u128(0x99));
        let ids: Arc<dyn IdGenerator> = Arc::new(ids);
        let timers = TimerService::new(
            Arc::new(MockTimerRepository::new()),
            Arc::new(MockTagRepository::new()),
            Arc::new(self.publisher),
            clock.clone(),
            ids.clone(),
        );
        PlanningService::new(
            Arc::new(self.schedules),
            Arc::new(self.todos),
            Arc::new(self.tags),
            timers,
            clock,
            ids,
        )
    }
}

#[tokio::test]
async fn create_schedule_stamps_now_and_dedups_tags() -> TestResult {
    let mut mocks = Mocks::new();
    mocks
        .schedules
        .expect_insert()
        .withf(|s| s.tag_ids == vec![tag_id()] && s.created_at == at(60))
        .times(1)
        .returning(|_| Ok(()));
    let new = NewSchedule {
        title: Title::new("Plan")?,
        description: None,
        window: ScheduleWindow::new(at(0), at(10))?,
        tag_ids: vec![tag_id(), tag_id()],
    };
    let created = mocks.service().create_schedule(OWNER, new).await?;
    assert_eq!(created.id.get(), Uuid::from_u128(0x99));
    assert_eq!(created.updated_at, at(60));
    Ok(())
}

#[tokio::test]
async fn deleting_a_schedule_announces_each_affected_timer_after_the_delete() -> TestResult {
    let mut seq = Sequence::new();
    let mut mocks = Mocks::new();
    let affected = vec![timer(1)?, timer(2)?];
    mocks
        .schedules
        .expect_delete()
        .with(eq(OWNER), eq(schedule_id()), eq(at(60)))
        .times(1)
        .in_sequence(&mut seq)
        .return_once(move |_, _, _| Ok(affected));
    mocks
        .publisher
        .expect_publish()
        .withf(|e| {
            matches!(
                e,
                DomainEvent::TimerChanged {
                    change: hourglass_domain::timer::TimerChange::Details,
                    ..
                }
            )
        })
        .times(2)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    mocks
        .service()
        .delete_schedule(OWNER, schedule_id())
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_failed_delete_announces_nothing() {
    let mut mocks = Mocks::new();
    mocks
        .todos
        .expect_delete()
        .returning(|_, _, _| Err(PlanningError::NotFound));
    mocks.publisher.expect_publish().never();
    let result = mocks
        .service()
        .delete_todo(OWNER, TodoId::new(Uuid::from_u128(3)))
        .await;
    assert!(matches!(result, Err(PlanningServiceError::NotFound)));
}

#[tokio::test]
async fn a_patch_that_changes_nothing_writes_nothing() -> TestResult {
    let mut mocks = Mocks::new();
    let stored = schedule()?;
    mocks
        .schedules
        .expect_find()
        .return_once(move |_, _| Ok(Some(stored)));
    mocks.schedules.expect_update().never();
    let patch = SchedulePatch {
        title: Some(Title::new("Standup")?),
        tag_ids: FieldUpdate::Set(vec![tag_id()]),
        ..SchedulePatch::default()
    };
    let same = mocks
        .service()
        .patch_schedule(OWNER, schedule_id(), patch)
        .await?;
    assert_eq!(same.updated_at, at(0));
    Ok(())
}

#[tokio::test]
async fn a_patch_moving_the_end_before_the_start_is_invalid() -> TestResult {
    let mut mocks = Mocks::new();
    let stored = schedule()?;
    mocks
        .schedules
        .expect_find()
        .return_once(move |_, _| Ok(Some(stored)));
    mocks.schedules.expect_update().never();
    let patch = SchedulePatch {
        end_time: Some(at(50)),
        ..SchedulePatch::default()
    };
    let result = mocks
        .service()
        .patch_schedule(OWNER, schedule_id(), patch)
        .await;
    let Err(PlanningServiceError::Invalid(error)) = result else {
        panic!("must be invalid: {result:?}")
    };
    assert_eq!(error.to_string(), "end_time must not be before start_time");
    Ok(())
}

#[tokio::test]
async fn a_patch_clearing_the_description_stores_it_with_a_new_updated_at() -> TestResult {
    let mut mocks = Mocks::new();
    let stored = schedule()?;
    mocks
        .schedules
        .expect_find()
        .return_once(move |_, _| Ok(Some(stored)));
    mocks
        .schedules
        .expect_update()
        .withf(|s| s.description.is_none() && s.tag_ids.is_empty() && s.updated_at == at(60))
        .times(1)
        .returning(|_| Ok(()));
    let patch = SchedulePatch {
        description: FieldUpdate::Clear,
        tag_ids: FieldUpdate::Clear,
        ..SchedulePatch::default()
    };
    mocks
        .service()
        .patch_schedule(OWNER, schedule_id(), patch)
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_duplicate_tag_name_is_reported() -> TestResult {
    let mut mocks = Mocks::new();
    let existing = Tag {
        id: tag_id(),
        owner_id: OWNER,
        name: TagName::new("focus")?,
        color: TagColor::new("#000000")?,
        created_at: at(0),
        updated_at: at(0),
    };
    mocks
        .tags
        .expect_find()
        .return_once(move |_, _| Ok(Some(existing)));
    mocks
        .tags
        .expect_update()
        .returning(|_| Err(PlanningError::DuplicateName));
    let patch = TagPatch {
        name: Some(TagName::new("deep work")?),
        color: None,
    };
    let result = mocks.service().patch_tag(OWNER, tag_id(), patch).await;
    assert!(matches!(result, Err(PlanningServiceError::DuplicateName)));
    Ok(())
}
