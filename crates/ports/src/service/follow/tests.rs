//! Following use cases against mocked ports.

use std::sync::Arc;

use hourglass_domain::ids::{NotificationId, UserId};
use hourglass_domain::notification::{Notification, NotificationDraft, NotificationKind};
use hourglass_domain::profile::Nickname;
use hourglass_domain::time::Timestamp;
use mockall::Sequence;
use mockall::predicate::eq;

use super::*;
use crate::clock::MockClock;
use crate::event::{MockEventPublisher, PublishError};
use crate::follow::{MockFollowRepository, UnfollowOutcome};
use crate::page::Cursor;
use crate::user::MockUserRepository;

const ALICE: UserId = UserId::new(7);
const BOB: UserId = UserId::new(8);
const GHOST: UserId = UserId::new(404);

fn at(seconds: i64) -> Timestamp {
    let Some(t) = Timestamp::from_unix_seconds(1_767_225_600 + seconds) else {
        panic!("in range")
    };
    t
}

fn nickname(raw: &str) -> Nickname {
    let Ok(nickname) = Nickname::parse(raw) else {
        panic!("valid nickname {raw}")
    };
    nickname
}

fn user(id: UserId, nick: &str) -> User {
    User {
        id,
        subject: format!("sub-{id}"),
        nickname: nickname(nick),
        profile_image: None,
        created_at: at(0),
        updated_at: at(0),
    }
}

fn alice_follows_bob() -> Follow {
    let Ok(follow) = Follow::new(ALICE, BOB) else {
        panic!("distinct users")
    };
    follow
}

fn follow_notification() -> Notification {
    let draft = NotificationDraft::follow(BOB, ALICE, &nickname("alice"));
    Notification::from_draft(NotificationId::new(1), draft, at(60))
}

fn page_request() -> PageRequest<UserId> {
    PageRequest {
        limit: 20,
        after: Some(Cursor {
            created_at: at(30),
            id: UserId::new(3),
        }),
    }
}

/// A user repository in which every id but [`GHOST`] exists.
fn users() -> MockUserRepository {
    let mut users = MockUserRepository::new();
    users
        .expect_find()
        .returning(|id| Ok((id != GHOST).then(|| user(id, "someone"))));
    users
}

/// What a new or removed follow of Alice → Bob announces, so instances forget cached friends.
fn alice_bob_changed() -> DomainEvent {
    DomainEvent::FollowChanged {
        follower: ALICE,
        followee: BOB,
        ended_friendship: false,
    }
}

/// A publisher expecting exactly `events`, in order.
fn publisher_of(events: Vec<DomainEvent>) -> MockEventPublisher {
    let mut seq = Sequence::new();
    let mut publisher = MockEventPublisher::new();
    for event in events {
        publisher
            .expect_publish()
            .with(eq(event))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(()));
    }
    publisher
}

fn silent_publisher() -> MockEventPublisher {
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().never();
    publisher
}

fn service(
    users: MockUserRepository,
    follows: MockFollowRepository,
    publisher: MockEventPublisher,
) -> FollowService {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(at(60));
    FollowService::new(
        Arc::new(users),
        Arc::new(follows),
        Arc::new(publisher),
        Arc::new(clock),
    )
}

fn unavailable() -> StorageError {
    StorageError::Unavailable("connection refused".into())
}

#[tokio::test]
async fn follow_checks_the_followee_stores_then_announces_the_notification()
-> Result<(), FollowServiceError> {
    let mut seq = Sequence::new();
    let mut users = MockUserRepository::new();
    users
        .expect_find()
        .with(eq(BOB))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|id| Ok(Some(user(id, "bob"))));
    let mut follows = MockFollowRepository::new();
    follows
        .expect_follow()
        .with(eq(alice_follows_bob()), eq(at(60)))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| {
            Ok(FollowOutcome {
                created: true,
                notification: Some(follow_notification()),
            })
        });
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .with(eq(alice_bob_changed()))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    publisher
        .expect_publish()
        .with(eq(DomainEvent::NotificationCreated {
            notification: follow_notification(),
            unread_count: None,
        }))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));

    let outcome = service(users, follows, publisher)
        .follow(ALICE, BOB)
        .await?;
    assert!(outcome.created);
    assert_eq!(
        outcome.notification.map(|n| n.kind()),
        Some(NotificationKind::Follow)
    );
    Ok(())
}

#[tokio::test]
async fn a_suppressed_notification_announces_only_the_follow_and_a_repeat_announces_nothing()
-> Result<(), FollowServiceError> {
    for created in [true, false] {
        let mut follows = MockFollowRepository::new();
        follows.expect_follow().times(1).returning(move |_, _| {
            Ok(FollowOutcome {
                created,
                notification: None,
            })
        });
        let expected = if created {
            vec![alice_bob_changed()]
        } else {
            Vec::new()
        };
        let outcome = service(users(), follows, publisher_of(expected))
            .follow(ALICE, BOB)
            .await?;
        assert_eq!(outcome.created, created);
        assert!(outcome.notification.is_none());
    }
    Ok(())
}

#[tokio::test]
async fn following_yourself_is_refused_before_any_io() {
    let mut users = MockUserRepository::new();
    users.expect_find().never();
    let mut follows = MockFollowRepository::new();
    follows.expect_follow().never();
    let result = service(users, follows, silent_publisher())
        .follow(ALICE, ALICE)
        .await;
    let Err(err) = result else {
        panic!("self-follow must be refused")
    };
    assert!(matches!(err, FollowServiceError::CannotFollowSelf));
    assert_eq!(err.to_string(), "a user cannot follow themselves");
}

#[tokio::test]
async fn following_a_missing_user_is_user_not_found_and_stores_nothing() {
    let mut follows = MockFollowRepository::new();
    follows.expect_follow().never();
    let result = service(users(), follows, silent_publisher())
        .follow(ALICE, GHOST)
        .await;
    assert!(matches!(result, Err(FollowServiceError::UserNotFound)));
}

#[tokio::test]
async fn a_failed_follow_store_is_propagated_and_announces_nothing() {
    let mut follows = MockFollowRepository::new();
    follows
        .expect_follow()
        .times(1)
        .returning(|_, _| Err(unavailable()));
    let result = service(users(), follows, silent_publisher())
        .follow(ALICE, BOB)
        .await;
    assert!(matches!(
        result,
        Err(FollowServiceError::Storage(StorageError::Unavailable(_)))
    ));
}

#[tokio::test]
async fn a_failed_followee_lookup_is_propagated_and_stores_nothing() {
    let mut users = MockUserRepository::new();
    users.expect_find().returning(|_| Err(unavailable()));
    let mut follows = MockFollowRepository::new();
    follows.expect_follow().never();
    let result = service(users, follows, silent_publisher())
        .follow(ALICE, BOB)
        .await;
    assert!(matches!(result, Err(FollowServiceError::Storage(_))));
}

#[tokio::test]
async fn a_failed_announcement_does_not_fail_a_committed_follow() {
    let mut follows = MockFollowRepository::new();
    follows.expect_follow().returning(|_, _| {
        Ok(FollowOutcome {
            created: true,
            notification: Some(follow_notification()),
        })
    });
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .times(2)
        .returning(|_| Err(PublishError::Unavailable("listener down".into())));
    let result = service(users(), follows, publisher)
        .follow(ALICE, BOB)
        .await;
    assert!(matches!(result, Ok(FollowOutcome { created: true, .. })));
}

#[tokio::test]
async fn unfollow_reports_whether_a_follow_existed_and_announces_only_a_removal()
-> Result<(), FollowServiceError> {
    for (existed, ended_friendship) in [(true, false), (true, true), (false, false)] {
        let mut follows = MockFollowRepository::new();
        follows
            .expect_unfollow()
            .with(eq(ALICE), eq(BOB))
            .times(1)
            .returning(move |_, _| {
                Ok(UnfollowOutcome {
                    removed: existed,
                    ended_friendship,
                })
            });
        // The announcement says whether a friendship ended, so friends' clients hide timers.
        let expected = if existed {
            vec![DomainEvent::FollowChanged {
                follower: ALICE,
                followee: BOB,
                ended_friendship,
            }]
        } else {
            Vec::new()
        };
        let result = service(users(), follows, publisher_of(expected))
            .unfollow(ALICE, BOB)
            .await?;
        assert_eq!(result, existed);
    }
    Ok(())
}

#[tokio::test]
async fn unfollowing_yourself_is_not_an_error() -> Result<(), FollowServiceError> {
    let mut follows = MockFollowRepository::new();
    follows
        .expect_unfollow()
        .returning(|_, _| Ok(UnfollowOutcome::default()));
    let existed = service(users(), follows, silent_publisher())
        .unfollow(ALICE, ALICE)
        .await?;
    assert!(!existed);
    Ok(())
}

#[tokio::test]
async fn unfollowing_a_missing_user_is_user_not_found() {
    let mut follows = MockFollowRepository::new();
    follows.expect_unfollow().never();
    let result = service(users(), follows, silent_publisher())
        .unfollow(ALICE, GHOST)
        .await;
    assert!(matches!(result, Err(FollowServiceError::UserNotFound)));
}

#[tokio::test]
async fn a_failed_unfollow_is_propagated() {
    let mut follows = MockFollowRepository::new();
    follows
        .expect_unfollow()
        .returning(|_, _| Err(unavailable()));
    let result = service(users(), follows, silent_publisher())
        .unfollow(ALICE, BOB)
        .await;
    assert!(matches!(result, Err(FollowServiceError::Storage(_))));
}

#[tokio::test]
async fn followers_and_following_pass_the_page_through() -> Result<(), FollowServiceError> {
    let mut follows = MockFollowRepository::new();
    follows
        .expect_followers()
        .with(eq(BOB), eq(page_request()))
        .times(1)
        .returning(|_, _| {
            Ok(Page {
                items: vec![user(ALICE, "alice")],
                next: None,
            })
        });
    follows
        .expect_following()
        .with(eq(BOB), eq(page_request()))
        .times(1)
        .returning(|_, _| {
            Ok(Page {
                items: Vec::new(),
                next: None,
            })
        });
    let svc = service(users(), follows, silent_publisher());
    let followers = svc.followers(BOB, page_request()).await?;
    assert_eq!(followers.items, vec![user(ALICE, "alice")]);
    assert!(svc.following(BOB, page_request()).await?.items.is_empty());
    Ok(())
}

#[tokio::test]
async fn lists_of_a_missing_user_are_user_not_found() {
    let mut follows = MockFollowRepository::new();
    follows.expect_followers().never();
    follows.expect_following().never();
    let svc = service(users(), follows, silent_publisher());
    assert!(matches!(
        svc.followers(GHOST, page_request()).await,
        Err(FollowServiceError::UserNotFound)
    ));
    assert!(matches!(
        svc.following(GHOST, page_request()).await,
        Err(FollowServiceError::UserNotFound)
    ));
}

#[tokio::test]
async fn a_failed_list_is_propagated() {
    let mut follows = MockFollowRepository::new();
    follows
        .expect_followers()
        .returning(|_, _| Err(unavailable()));
    let result = service(users(), follows, silent_publisher())
        .followers(BOB, page_request())
        .await;
    assert!(matches!(result, Err(FollowServiceError::Storage(_))));
}

#[tokio::test]
async fn friends_are_listed_without_a_user_lookup() -> Result<(), StorageError> {
    let mut users = MockUserRepository::new();
    users.expect_find().never();
    let mut follows = MockFollowRepository::new();
    follows
        .expect_friends()
        .with(eq(ALICE), eq(page_request()))
        .times(1)
        .returning(|_, _| {
            Ok(Page {
                items: vec![user(BOB, "bob")],
                next: None,
            })
        });
    let friends = service(users, follows, silent_publisher())
        .friends(ALICE, page_request())
        .await?;
    assert_eq!(friends.items.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_failed_friends_list_is_propagated() {
    let mut follows = MockFollowRepository::new();
    follows
        .expect_friends()
        .returning(|_, _| Err(unavailable()));
    let result = service(users(), follows, silent_publisher())
        .friends(ALICE, page_request())
        .await;
    assert!(matches!(result, Err(StorageError::Unavailable(_))));
}
