//! The scheduler against mocked ports.

use std::sync::{Arc, Mutex};

use hourglass_domain::ids::{TimerId, UserId};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::alarm::{Alarm, AlarmKind, AlarmPolicy};
use hourglass_domain::timer::{NewTimer, Timer};
use hourglass_domain::validation::{AllocatedDuration, Visibility};
use mockall::predicate::eq;
use uuid::Uuid;

use super::*;
use crate::alarm::MockAlarmRepository;
use crate::clock::MockClock;
use crate::event::MockEventPublisher;
use crate::planning::MockTagRepository;

const OWNER: UserId = UserId::new(7);

fn at(seconds: i64) -> Timestamp {
    let Some(t) = Timestamp::from_unix_seconds(1_767_225_600 + seconds) else {
        panic!("in range")
    };
    t
}

fn timer(n: u128) -> Timer {
    let Ok(allocated_duration) = AllocatedDuration::new(60) else {
        panic!("valid")
    };
    Timer::start(
        TimerId::new(Uuid::from_u128(n)),
        NewTimer {
            owner_id: OWNER,
            allocated_duration,
            title: None,
            description: None,
            schedule_id: None,
            todo_id: None,
            tag_ids: Vec::new(),
            visibility: Visibility::Friends,
        },
        at(0),
    )
}

fn fired(n: u128, kind: AlarmKind, late: bool) -> FiredAlarm {
    FiredAlarm {
        alarm: Alarm {
            kind,
            due_at: at(60),
        },
        late,
        timer: timer(n),
    }
}

fn clock_at(seconds: i64) -> Arc<MockClock> {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(at(seconds));
    Arc::new(clock)
}

/// Every event `publisher` was handed, in order.
fn recording_publisher() -> (MockEventPublisher, Arc<Mutex<Vec<DomainEvent>>>) {
    let published = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&published);
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().returning(move |event| {
        sink.lock().map(|mut events| events.push(event)).ok();
        Ok(())
    });
    (publisher, published)
}

fn service(alarms: MockAlarmRepository, publisher: MockEventPublisher) -> AlarmService {
    AlarmService::new(
        Arc::new(alarms),
        Arc::new(MockTagRepository::new()),
        Arc::new(publisher),
        clock_at(61),
        AlarmPolicy::new(7200),
    )
}

#[tokio::test]
async fn each_time_up_that_went_off_is_handed_to_delivery_with_its_lateness() {
    let mut alarms = MockAlarmRepository::new();
    alarms
        .expect_fire_due()
        .with(eq(at(61)), eq(AlarmPolicy::new(7200)), eq(BATCH))
        .times(1)
        .returning(|_, _, _| {
            Ok(vec![
                fired(1, AlarmKind::TimeUp, false),
                fired(2, AlarmKind::TimeUp, true),
            ])
        });
    let (publisher, published) = recording_publisher();

    let count = service(alarms, publisher).fire_due().await;

    assert_eq!(count.ok(), Some(2));
    let published = published.lock().map(|e| e.clone()).unwrap_or_default();
    let seen: Vec<(TimerId, bool)> = published
        .iter()
        .filter_map(|event| match event {
            DomainEvent::TimeUp {
                timer,
                late,
                due_at,
            } => {
                assert_eq!(*due_at, at(60));
                Some((timer.timer.id(), *late))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        seen,
        [
            (TimerId::new(Uuid::from_u128(1)), false),
            (TimerId::new(Uuid::from_u128(2)), true)
        ]
    );
}

#[tokio::test]
async fn a_forgotten_timer_is_told_by_its_notification_alone() {
    let mut alarms = MockAlarmRepository::new();
    alarms
        .expect_fire_due()
        .times(1)
        .returning(|_, _, _| Ok(vec![fired(3, AlarmKind::Forgotten, false)]));
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().never();

    let count = service(alarms, publisher).fire_due().await;

    assert_eq!(count.ok(), Some(1));
}

#[tokio::test]
async fn a_full_batch_is_followed_by_another_claim_until_one_comes_back_short() {
    let mut alarms = MockAlarmRepository::new();
    let mut calls = 0;
    alarms
        .expect_fire_due()
        .times(2)
        .returning(move |_, _, limit| {
            calls += 1;
            let size = if calls == 1 { limit } else { 3 };
            Ok((0..u128::from(size))
                .map(|n| fired(n + 1, AlarmKind::Forgotten, false))
                .collect())
        });
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().never();

    let count = service(alarms, publisher).fire_due().await;

    assert_eq!(count.ok(), Some(BATCH as usize + 3));
}

#[tokio::test]
async fn a_failed_claim_is_reported_and_nothing_is_announced() {
    let mut alarms = MockAlarmRepository::new();
    alarms
        .expect_fire_due()
        .times(1)
        .returning(|_, _, _| Err(StorageError::Unavailable("down".into())));
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().never();

    let result = service(alarms, publisher).fire_due().await;

    assert!(result.is_err());
}
