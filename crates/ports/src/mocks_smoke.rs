//! Every port's mock, built and used as a trait object.
//!
//! Other crates' tests use these mocks through the `mocks` feature and wire them as
//! `Arc<dyn Port>`; this catches a trait that stops being object-safe, or a mockall change that
//! stops generating a mock, here in `ports` rather than downstream (style guide, rule 7).
//! Under `cfg(test)` every `automock` is generated, exactly as with the feature.

use std::sync::Arc;

use hourglass_domain::ids::{MeetupId, ScheduleId, TagId, TimerId, TodoId, UserId};
use hourglass_domain::time::Timestamp;
use uuid::Uuid;

use crate::clock::{Clock, MockClock};
use crate::error::StorageError;
use crate::event::{DomainEvent, EventPublisher, MockEventPublisher};
use crate::follow::{FollowRepository, MockFollowRepository};
use crate::id::{IdGenerator, MockIdGenerator};
use crate::meetup::{MeetupRepository, MockMeetupRepository};
use crate::notification::{MockNotificationRepository, NotificationRepository};
use crate::planning::{
    MockScheduleRepository, MockTagRepository, MockTodoRepository, ScheduleRepository,
    TagRepository, TodoRepository,
};
use crate::processed::{MockProcessedCommandRepository, ProcessedCommandRepository};
use crate::timer::{MockTimerRepository, TimerRepository};
use crate::user::{MockUserRepository, UserRepository};

/// Every port, each as the `Arc<dyn …>` the server wires.
struct Ports {
    timers: Arc<dyn TimerRepository>,
    schedules: Arc<dyn ScheduleRepository>,
    todos: Arc<dyn TodoRepository>,
    tags: Arc<dyn TagRepository>,
    users: Arc<dyn UserRepository>,
    follows: Arc<dyn FollowRepository>,
    meetups: Arc<dyn MeetupRepository>,
    notifications: Arc<dyn NotificationRepository>,
    processed: Arc<dyn ProcessedCommandRepository>,
    publisher: Arc<dyn EventPublisher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

fn epoch() -> Timestamp {
    Timestamp::EPOCH
}

/// One mock of every port, each expecting exactly one call of one method (checked on drop).
fn ports() -> Ports {
    let mut timers = MockTimerRepository::new();
    timers.expect_find().times(1).returning(|_| Ok(None));
    let mut schedules = MockScheduleRepository::new();
    schedules.expect_find().times(1).returning(|_, _| Ok(None));
    let mut todos = MockTodoRepository::new();
    todos.expect_find().times(1).returning(|_, _| Ok(None));
    let mut tags = MockTagRepository::new();
    tags.expect_find().times(1).returning(|_, _| Ok(None));
    let mut users = MockUserRepository::new();
    users.expect_find().times(1).returning(|_| Ok(None));
    let mut follows = MockFollowRepository::new();
    follows
        .expect_friend_ids()
        .times(1)
        .returning(|_| Ok(Vec::new()));
    let mut meetups = MockMeetupRepository::new();
    meetups.expect_find().times(1).returning(|_| Ok(None));
    let mut notifications = MockNotificationRepository::new();
    notifications
        .expect_unread_count()
        .times(1)
        .returning(|_| Ok(0));
    let mut processed = MockProcessedCommandRepository::new();
    processed.expect_purge().times(1).returning(|_| Ok(0));
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().times(1).returning(|_| Ok(()));
    let mut clock = MockClock::new();
    clock.expect_now().times(1).return_const(epoch());
    let mut ids = MockIdGenerator::new();
    ids.expect_new_uuid().times(1).return_const(Uuid::nil());
    Ports {
        timers: Arc::new(timers),
        schedules: Arc::new(schedules),
        todos: Arc::new(todos),
        tags: Arc::new(tags),
        users: Arc::new(users),
        follows: Arc::new(follows),
        meetups: Arc::new(meetups),
        notifications: Arc::new(notifications),
        processed: Arc::new(processed),
        publisher: Arc::new(publisher),
        clock: Arc::new(clock),
        ids: Arc::new(ids),
    }
}

/// A borrowed trait object works as well as an `Arc`.
fn now_of(clock: &dyn Clock) -> Timestamp {
    clock.now()
}

/// A borrowed trait object works as well as an `Arc`.
fn uuid_of(ids: &dyn IdGenerator) -> Uuid {
    ids.new_uuid()
}

#[tokio::test]
async fn every_mock_works_through_its_trait_object() -> Result<(), StorageError> {
    let Ports {
        timers,
        schedules,
        todos,
        tags,
        users,
        follows,
        meetups,
        notifications,
        processed,
        publisher,
        clock,
        ids,
    } = ports();
    assert_eq!(now_of(clock.as_ref()), epoch());
    assert_eq!(uuid_of(ids.as_ref()), Uuid::nil());
    let owner = UserId::new(1);
    let nil = Uuid::nil();
    let deleted = DomainEvent::TimerDeleted {
        owner,
        timer_id: TimerId::new(nil),
    };
    assert!(publisher.publish(deleted).await.is_ok());
    assert!(timers.find(TimerId::new(nil)).await?.is_none());
    assert!(schedules.find(owner, ScheduleId::new(nil)).await?.is_none());
    assert!(todos.find(owner, TodoId::new(nil)).await?.is_none());
    assert!(tags.find(owner, TagId::new(nil)).await?.is_none());
    assert!(users.find(owner).await?.is_none());
    assert!(follows.friend_ids(owner).await?.is_empty());
    assert!(meetups.find(MeetupId::new(1)).await?.is_none());
    assert_eq!(notifications.unread_count(owner).await?, 0);
    assert_eq!(processed.purge(epoch()).await?, 0);
    Ok(())
}

#[tokio::test]
async fn every_delivery_mock_works_through_its_trait_object() {
    use crate::delivery::{
        Arrival, DeliveryObserver, DeliveryReport, Handoff, MockDeliveryObserver,
        MockNotificationStreams, MockTimerConnections, NotificationStreams, TimerConnections,
        TimerDelivery,
    };
    use crate::event::{LocalDelivery, MockLocalDelivery};
    let mut connections = MockTimerConnections::new();
    connections.expect_is_online().times(1).return_const(false);
    let mut streams = MockNotificationStreams::new();
    streams.expect_resync_all().times(1).return_const(());
    let mut observer = MockDeliveryObserver::new();
    observer.expect_delivered().times(1).return_const(());
    let mut local = MockLocalDelivery::new();
    local.expect_resync_local().times(1).return_const(());
    let connections: Arc<dyn TimerConnections> = Arc::new(connections);
    let streams: Arc<dyn NotificationStreams> = Arc::new(streams);
    let observer: Arc<dyn DeliveryObserver> = Arc::new(observer);
    let local: Arc<dyn LocalDelivery> = Arc::new(local);
    assert!(!connections.is_online(UserId::new(1)));
    streams.resync_all();
    observer.delivered(Arrival::in_process(), DeliveryReport::default());
    local.resync_local().await;
    assert_eq!(
        Handoff {
            queued: 1,
            queue_full: 0
        }
        .and(Handoff {
            queued: 2,
            queue_full: 1
        }),
        Handoff {
            queued: 3,
            queue_full: 1
        }
    );
    let _unused = TimerDelivery::Resync;
}

#[tokio::test]
async fn the_report_mock_works_through_its_trait_object() -> Result<(), StorageError> {
    use crate::report::{MockReportRepository, ReportRepository};
    use hourglass_domain::report::GroupBy;
    let mut reports = MockReportRepository::new();
    reports
        .expect_worked_timers()
        .times(1)
        .returning(|_, _, _, _| Ok(Vec::new()));
    reports
        .expect_names()
        .times(1)
        .returning(|_, _, _| Ok(std::collections::HashMap::new()));
    let reports: Arc<dyn ReportRepository> = Arc::new(reports);
    let owner = UserId::new(1);
    assert!(
        reports
            .worked_timers(owner, epoch(), epoch(), false)
            .await?
            .is_empty()
    );
    assert!(reports.names(owner, GroupBy::Tag, &[]).await?.is_empty());
    Ok(())
}
