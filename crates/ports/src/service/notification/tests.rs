//! Notification use cases against mocked ports.

use std::sync::Arc;

use hourglass_domain::ids::{NotificationId, UserId};
use hourglass_domain::notification::{
    Notification, NotificationDraft, NotificationKind, TEST_MESSAGE,
};
use hourglass_domain::time::Timestamp;
use mockall::Sequence;
use mockall::predicate::eq;

use super::*;
use crate::clock::MockClock;
use crate::event::{MockEventPublisher, PublishError};
use crate::notification::MockNotificationRepository;
use crate::page::Cursor;

const ALICE: UserId = UserId::new(7);
const ID: NotificationId = NotificationId::new(42);

fn at(seconds: i64) -> Timestamp {
    let Some(t) = Timestamp::from_unix_seconds(1_767_225_600 + seconds) else {
        panic!("in range")
    };
    t
}

fn test_notification() -> Notification {
    Notification::from_draft(ID, NotificationDraft::test(ALICE), at(60))
}

fn page_request() -> PageRequest<NotificationId> {
    PageRequest {
        limit: 50,
        after: Some(Cursor {
            created_at: at(30),
            id: NotificationId::new(40),
        }),
    }
}

fn silent_publisher() -> MockEventPublisher {
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().never();
    publisher
}

fn service(
    notifications: MockNotificationRepository,
    publisher: MockEventPublisher,
) -> NotificationService {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(at(60));
    NotificationService::new(
        Arc::new(notifications),
        Arc::new(publisher),
        Arc::new(clock),
    )
}

fn unavailable() -> StorageError {
    StorageError::Unavailable("connection refused".into())
}

#[tokio::test]
async fn list_passes_the_filter_and_page_through() -> Result<(), StorageError> {
    for unread_only in [true, false] {
        let mut notifications = MockNotificationRepository::new();
        notifications
            .expect_list()
            .with(eq(ALICE), eq(unread_only), eq(page_request()))
            .times(1)
            .returning(|_, _, _| {
                Ok(Page {
                    items: vec![test_notification()],
                    next: None,
                })
            });
        let page = service(notifications, silent_publisher())
            .list(ALICE, unread_only, page_request())
            .await?;
        assert_eq!(page.items, vec![test_notification()]);
    }
    Ok(())
}

#[tokio::test]
async fn list_propagates_a_storage_failure() {
    let mut notifications = MockNotificationRepository::new();
    notifications
        .expect_list()
        .returning(|_, _, _| Err(unavailable()));
    let result = service(notifications, silent_publisher())
        .list(ALICE, false, page_request())
        .await;
    assert!(matches!(result, Err(StorageError::Unavailable(_))));
}

#[tokio::test]
async fn replay_asks_for_what_follows_the_last_id_capped_at_1000() -> Result<(), StorageError> {
    for (asked, sent) in [
        (10, 10),
        (REPLAY_LIMIT, REPLAY_LIMIT),
        (5_000, REPLAY_LIMIT),
    ] {
        let mut notifications = MockNotificationRepository::new();
        notifications
            .expect_list_after()
            .with(eq(ALICE), eq(NotificationId::new(41)), eq(sent))
            .times(1)
            .returning(|_, _, _| Ok(vec![test_notification()]));
        let replayed = service(notifications, silent_publisher())
            .replay_after(ALICE, NotificationId::new(41), asked)
            .await?;
        assert_eq!(replayed, vec![test_notification()]);
    }
    Ok(())
}

#[tokio::test]
async fn replay_propagates_a_storage_failure() {
    let mut notifications = MockNotificationRepository::new();
    notifications
        .expect_list_after()
        .returning(|_, _, _| Err(unavailable()));
    let result = service(notifications, silent_publisher())
        .replay_after(ALICE, ID, 100)
        .await;
    assert!(matches!(result, Err(StorageError::Unavailable(_))));
}

#[tokio::test]
async fn unread_count_and_mark_all_read_return_the_repository_counts() -> Result<(), StorageError> {
    let mut notifications = MockNotificationRepository::new();
    notifications
        .expect_unread_count()
        .with(eq(ALICE))
        .times(1)
        .returning(|_| Ok(3));
    notifications
        .expect_mark_all_read()
        .with(eq(ALICE))
        .times(1)
        .returning(|_| Ok(3));
    let svc = service(notifications, silent_publisher());
    assert_eq!(svc.unread_count(ALICE).await?, 3);
    assert_eq!(svc.mark_all_read(ALICE).await?, 3);
    Ok(())
}

#[tokio::test]
async fn counts_propagate_a_storage_failure() {
    let mut notifications = MockNotificationRepository::new();
    notifications
        .expect_unread_count()
        .returning(|_| Err(unavailable()));
    notifications
        .expect_mark_all_read()
        .returning(|_| Err(unavailable()));
    let svc = service(notifications, silent_publisher());
    assert!(matches!(
        svc.unread_count(ALICE).await,
        Err(StorageError::Unavailable(_))
    ));
    assert!(matches!(
        svc.mark_all_read(ALICE).await,
        Err(StorageError::Unavailable(_))
    ));
}

#[tokio::test]
async fn mark_read_and_delete_act_on_the_receivers_notification()
-> Result<(), NotificationServiceError> {
    let mut notifications = MockNotificationRepository::new();
    notifications
        .expect_mark_read()
        .with(eq(ALICE), eq(ID))
        .times(1)
        .returning(|_, _| Ok(()));
    notifications
        .expect_delete()
        .with(eq(ALICE), eq(ID))
        .times(1)
        .returning(|_, _| Ok(()));
    let svc = service(notifications, silent_publisher());
    svc.mark_read(ALICE, ID).await?;
    svc.delete(ALICE, ID).await
}

#[tokio::test]
async fn mark_read_and_delete_of_a_missing_or_foreign_one_are_not_found() {
    let mut notifications = MockNotificationRepository::new();
    notifications
        .expect_mark_read()
        .returning(|_, _| Err(NotificationError::NotFound));
    notifications
        .expect_delete()
        .returning(|_, _| Err(NotificationError::NotFound));
    let svc = service(notifications, silent_publisher());
    let Err(err) = svc.mark_read(ALICE, ID).await else {
        panic!("must be missing")
    };
    assert!(matches!(err, NotificationServiceError::NotFound));
    assert_eq!(err.to_string(), "notification not found");
    assert!(matches!(
        svc.delete(ALICE, ID).await,
        Err(NotificationServiceError::NotFound)
    ));
}

#[tokio::test]
async fn mark_read_and_delete_propagate_a_storage_failure() {
    let mut notifications = MockNotificationRepository::new();
    notifications
        .expect_mark_read()
        .returning(|_, _| Err(NotificationError::Storage(unavailable())));
    notifications
        .expect_delete()
        .returning(|_, _| Err(NotificationError::Storage(unavailable())));
    let svc = service(notifications, silent_publisher());
    assert!(matches!(
        svc.mark_read(ALICE, ID).await,
        Err(NotificationServiceError::Storage(
            StorageError::Unavailable(_)
        ))
    ));
    assert!(matches!(
        svc.delete(ALICE, ID).await,
        Err(NotificationServiceError::Storage(_))
    ));
}

#[tokio::test]
async fn send_test_stores_a_test_notification_then_announces_and_returns_it()
-> Result<(), StorageError> {
    let mut seq = Sequence::new();
    let mut notifications = MockNotificationRepository::new();
    notifications
        .expect_insert()
        .with(eq(NotificationDraft::test(ALICE)), eq(at(60)))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|draft, now| Ok(Notification::from_draft(ID, draft, now)));
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .with(eq(DomainEvent::NotificationCreated {
            notification: test_notification(),
            unread_count: None,
        }))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    let sent = service(notifications, publisher).send_test(ALICE).await?;
    assert_eq!(sent, test_notification());
    assert_eq!(sent.kind(), NotificationKind::Test);
    assert_eq!(sent.receiver(), ALICE);
    assert_eq!(sent.actor(), Some(ALICE));
    assert_eq!(sent.message(), TEST_MESSAGE);
    Ok(())
}

#[tokio::test]
async fn a_failed_test_store_is_propagated_and_announces_nothing() {
    let mut notifications = MockNotificationRepository::new();
    notifications
        .expect_insert()
        .times(1)
        .returning(|_, _| Err(unavailable()));
    let result = service(notifications, silent_publisher())
        .send_test(ALICE)
        .await;
    assert!(matches!(result, Err(StorageError::Unavailable(_))));
}

#[tokio::test]
async fn a_failed_announcement_still_returns_the_stored_test_notification() {
    let mut notifications = MockNotificationRepository::new();
    notifications
        .expect_insert()
        .returning(|draft, now| Ok(Notification::from_draft(ID, draft, now)));
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .times(1)
        .returning(|_| Err(PublishError::Unavailable("listener down".into())));
    let result = service(notifications, publisher).send_test(ALICE).await;
    assert!(matches!(result, Ok(n) if n.id() == ID));
}
