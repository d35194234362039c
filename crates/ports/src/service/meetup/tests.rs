//! Meetup use cases against mocked ports.

use std::sync::Arc;

use hourglass_domain::ids::{MeetupId, NotificationId, UserId};
use hourglass_domain::meetup::{Meetup, MeetupDescription, MeetupError, MeetupTitle, NewMeetup};
use hourglass_domain::notification::{Notification, NotificationDraft, NotificationKind};
use hourglass_domain::profile::Nickname;
use hourglass_domain::time::Timestamp;
use mockall::Sequence;
use mockall::predicate::eq;

use super::*;
use crate::clock::MockClock;
use crate::event::{MockEventPublisher, PublishError};
use crate::meetup::MockMeetupRepository;

const HOST: UserId = UserId::new(1);
const GUEST: UserId = UserId::new(2);
const FAN: UserId = UserId::new(3);
const MEETUP: MeetupId = MeetupId::new(5);

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

fn new_meetup() -> NewMeetup {
    let Ok(title) = MeetupTitle::parse("Study night") else {
        panic!("valid title")
    };
    NewMeetup {
        host_id: HOST,
        title,
        description: MeetupDescription::empty(),
        starts_at: at(3_600),
        capacity: None,
    }
}

fn meetup() -> Meetup {
    let Ok(meetup) = Meetup::create(new_meetup(), MEETUP, at(0)) else {
        panic!("starts in the future")
    };
    meetup
}

fn notification(id: i64, draft: NotificationDraft) -> Notification {
    Notification::from_draft(NotificationId::new(id), draft, at(60))
}

fn created_for(receiver: UserId, id: i64) -> Notification {
    notification(
        id,
        NotificationDraft::meetup_created(receiver, HOST, &nickname("host"), MEETUP),
    )
}

fn outcome(notifications: Vec<Notification>) -> MeetupOutcome {
    MeetupOutcome {
        meetup: meetup(),
        notifications,
    }
}

fn announced(notification: Notification) -> DomainEvent {
    DomainEvent::NotificationCreated {
        notification,
        unread_count: None,
    }
}

fn silent_publisher() -> MockEventPublisher {
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().never();
    publisher
}

fn service(meetups: MockMeetupRepository, publisher: MockEventPublisher) -> MeetupService {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(at(60));
    MeetupService::new(Arc::new(meetups), Arc::new(publisher), Arc::new(clock))
}

fn unavailable() -> StorageError {
    StorageError::Unavailable("connection refused".into())
}

/// The three participant changes, so one test can run each of them.
#[derive(Debug, Clone, Copy)]
enum Op {
    Join,
    Leave,
    Cancel,
}

impl Op {
    fn action(self, user: UserId) -> MeetupAction {
        match self {
            Self::Join => MeetupAction::Join(user),
            Self::Leave => MeetupAction::Leave(user),
            Self::Cancel => MeetupAction::Cancel(user),
        }
    }

    async fn run(self, svc: &MeetupService, user: UserId) -> Result<Meetup, MeetupServiceError> {
        match self {
            Self::Join => svc.join(MEETUP, user).await,
            Self::Leave => svc.leave(MEETUP, user).await,
            Self::Cancel => svc.cancel(MEETUP, user).await,
        }
    }
}

#[tokio::test]
async fn create_stores_at_the_clock_time_then_announces_each_create_notification()
-> Result<(), MeetupServiceError> {
    let mut seq = Sequence::new();
    let mut meetups = MockMeetupRepository::new();
    meetups
        .expect_create()
        .with(eq(new_meetup()), eq(at(60)))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(outcome(vec![created_for(GUEST, 10), created_for(FAN, 11)])));
    let mut publisher = MockEventPublisher::new();
    for (receiver, id) in [(GUEST, 10), (FAN, 11)] {
        publisher
            .expect_publish()
            .with(eq(announced(created_for(receiver, id))))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(()));
    }
    let created = service(meetups, publisher).create(new_meetup()).await?;
    assert_eq!(created, meetup());
    Ok(())
}

#[tokio::test]
async fn create_without_followers_announces_nothing() -> Result<(), MeetupServiceError> {
    let mut meetups = MockMeetupRepository::new();
    meetups
        .expect_create()
        .returning(|_, _| Ok(outcome(Vec::new())));
    service(meetups, silent_publisher())
        .create(new_meetup())
        .await?;
    Ok(())
}

#[tokio::test]
async fn create_starting_in_the_past_is_rejected_and_silent() {
    let mut meetups = MockMeetupRepository::new();
    meetups.expect_create().returning(|_, _| {
        Err(MeetupActionError::Rejected(
            MeetupError::StartsAtNotInFuture,
        ))
    });
    let result = service(meetups, silent_publisher())
        .create(new_meetup())
        .await;
    let Err(err) = result else {
        panic!("must be refused")
    };
    assert!(matches!(
        err,
        MeetupServiceError::Rejected(MeetupError::StartsAtNotInFuture)
    ));
    assert_eq!(err.to_string(), "meetup must start in the future");
}

#[tokio::test]
async fn a_failed_create_is_propagated_and_silent() {
    let mut meetups = MockMeetupRepository::new();
    meetups
        .expect_create()
        .returning(|_, _| Err(MeetupActionError::Storage(unavailable())));
    let result = service(meetups, silent_publisher())
        .create(new_meetup())
        .await;
    assert!(matches!(
        result,
        Err(MeetupServiceError::Storage(StorageError::Unavailable(_)))
    ));
}

#[tokio::test]
async fn join_leave_and_cancel_apply_at_the_clock_time_then_announce()
-> Result<(), MeetupServiceError> {
    let nick = nickname("someone");
    for (op, user, draft, kind) in [
        (
            Op::Join,
            GUEST,
            NotificationDraft::meetup_entered(HOST, GUEST, &nick, MEETUP),
            NotificationKind::Enter,
        ),
        (
            Op::Leave,
            GUEST,
            NotificationDraft::meetup_exited(HOST, GUEST, &nick, MEETUP),
            NotificationKind::Exit,
        ),
        (
            Op::Cancel,
            HOST,
            NotificationDraft::meetup_cancelled(GUEST, HOST, &nick, MEETUP),
            NotificationKind::Cancle,
        ),
    ] {
        let stored = notification(20, draft);
        assert_eq!(stored.kind(), kind);
        let mut seq = Sequence::new();
        let mut meetups = MockMeetupRepository::new();
        let returned = stored.clone();
        meetups
            .expect_apply()
            .with(eq(MEETUP), eq(op.action(user)), eq(at(60)))
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |_, _, _| Ok(outcome(vec![returned.clone()])));
        let mut publisher = MockEventPublisher::new();
        publisher
            .expect_publish()
            .with(eq(announced(stored)))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(()));
        let changed = op.run(&service(meetups, publisher), user).await?;
        assert_eq!(changed.id(), MEETUP, "{op:?}");
    }
    Ok(())
}

#[tokio::test]
async fn rule_refusals_pass_through_unchanged_and_silent() {
    for (op, user, refusal) in [
        (Op::Join, GUEST, MeetupError::Full),
        (Op::Join, GUEST, MeetupError::Cancelled),
        (Op::Join, GUEST, MeetupError::AlreadyJoined),
        (Op::Join, HOST, MeetupError::HostCannotJoin),
        (Op::Leave, HOST, MeetupError::HostCannotLeave),
        (Op::Leave, FAN, MeetupError::NotAParticipant),
        (Op::Leave, GUEST, MeetupError::Cancelled),
        (Op::Cancel, GUEST, MeetupError::NotHost),
        (Op::Cancel, HOST, MeetupError::AlreadyCancelled),
    ] {
        let mut meetups = MockMeetupRepository::new();
        let returned = refusal.clone();
        meetups
            .expect_apply()
            .with(eq(MEETUP), eq(op.action(user)), eq(at(60)))
            .times(1)
            .returning(move |_, _, _| Err(MeetupActionError::Rejected(returned.clone())));
        let result = op.run(&service(meetups, silent_publisher()), user).await;
        let Err(MeetupServiceError::Rejected(got)) = result else {
            panic!("{op:?} must be refused with {refusal:?}")
        };
        assert_eq!(got, refusal);
    }
}

#[tokio::test]
async fn a_change_on_a_missing_meetup_is_not_found_and_silent() {
    for op in [Op::Join, Op::Leave, Op::Cancel] {
        let mut meetups = MockMeetupRepository::new();
        meetups
            .expect_apply()
            .returning(|_, _, _| Err(MeetupActionError::NotFound));
        let result = op.run(&service(meetups, silent_publisher()), GUEST).await;
        assert!(
            matches!(result, Err(MeetupServiceError::NotFound)),
            "{op:?}"
        );
    }
}

#[tokio::test]
async fn a_failed_change_is_propagated_and_silent() {
    for op in [Op::Join, Op::Leave, Op::Cancel] {
        let mut meetups = MockMeetupRepository::new();
        meetups
            .expect_apply()
            .returning(|_, _, _| Err(MeetupActionError::Storage(unavailable())));
        let result = op.run(&service(meetups, silent_publisher()), GUEST).await;
        assert!(
            matches!(result, Err(MeetupServiceError::Storage(_))),
            "{op:?}"
        );
    }
}

#[tokio::test]
async fn a_failed_announcement_neither_stops_the_others_nor_fails_the_change() {
    let mut meetups = MockMeetupRepository::new();
    meetups.expect_apply().returning(|_, _, _| {
        Ok(outcome(vec![
            notification(
                30,
                NotificationDraft::meetup_cancelled(GUEST, HOST, &nickname("host"), MEETUP),
            ),
            notification(
                31,
                NotificationDraft::meetup_cancelled(FAN, HOST, &nickname("host"), MEETUP),
            ),
        ]))
    });
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .times(2)
        .returning(|_| Err(PublishError::Unavailable("listener down".into())));
    let result = service(meetups, publisher).cancel(MEETUP, HOST).await;
    assert!(result.is_ok());
}

#[tokio::test]
async fn get_returns_the_meetup() -> Result<(), MeetupServiceError> {
    let mut meetups = MockMeetupRepository::new();
    meetups
        .expect_find()
        .with(eq(MEETUP))
        .times(1)
        .returning(|_| Ok(Some(meetup())));
    assert_eq!(
        service(meetups, silent_publisher()).get(MEETUP).await?,
        meetup()
    );
    Ok(())
}

#[tokio::test]
async fn get_of_a_missing_meetup_is_not_found() {
    let mut meetups = MockMeetupRepository::new();
    meetups.expect_find().returning(|_| Ok(None));
    let result = service(meetups, silent_publisher()).get(MEETUP).await;
    let Err(err) = result else {
        panic!("must be missing")
    };
    assert!(matches!(err, MeetupServiceError::NotFound));
    assert_eq!(err.to_string(), "meetup not found");
}

#[tokio::test]
async fn get_propagates_a_storage_failure() {
    let mut meetups = MockMeetupRepository::new();
    meetups.expect_find().returning(|_| Err(unavailable()));
    let result = service(meetups, silent_publisher()).get(MEETUP).await;
    assert!(matches!(result, Err(MeetupServiceError::Storage(_))));
}

#[tokio::test]
async fn list_open_passes_the_page_through() -> Result<(), StorageError> {
    let page = PageRequest {
        limit: 10,
        after: None,
    };
    let mut meetups = MockMeetupRepository::new();
    meetups
        .expect_list_open()
        .with(eq(page))
        .times(1)
        .returning(|_| {
            Ok(Page {
                items: vec![meetup()],
                next: None,
            })
        });
    let listed = service(meetups, silent_publisher()).list_open(page).await?;
    assert_eq!(listed.items, vec![meetup()]);
    Ok(())
}

#[tokio::test]
async fn list_open_propagates_a_storage_failure() {
    let mut meetups = MockMeetupRepository::new();
    meetups.expect_list_open().returning(|_| Err(unavailable()));
    let result = service(meetups, silent_publisher())
        .list_open(PageRequest {
            limit: 10,
            after: None,
        })
        .await;
    assert!(matches!(result, Err(StorageError::Unavailable(_))));
}
