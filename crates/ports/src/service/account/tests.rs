//! Account deletion against mocked ports.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use hourglass_domain::ids::{MeetupId, NotificationId, TimerId};
use hourglass_domain::notification::{Notification, NotificationDraft};
use hourglass_domain::profile::Nickname;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{NewTimer, Timer};
use hourglass_domain::validation::{AllocatedDuration, Title, Visibility};
use mockall::predicate::eq;

use super::*;
use crate::clock::MockClock;
use crate::event::PublishError;
use crate::user::{DeletedAccount, MockUserRepository};

const ALICE: UserId = UserId::new(7);
const BOB: UserId = UserId::new(8);

fn at(seconds: i64) -> Timestamp {
    let Some(t) = Timestamp::from_unix_seconds(1_767_225_600 + seconds) else {
        panic!("in range")
    };
    t
}

fn timer(id: u128, visibility: Visibility) -> Timer {
    let (Ok(allocated_duration), Ok(title)) = (AllocatedDuration::new(600), Title::new("focus"))
    else {
        panic!("valid timer fields")
    };
    let new = NewTimer {
        owner_id: ALICE,
        allocated_duration,
        title: Some(title),
        description: None,
        schedule_id: None,
        todo_id: None,
        tag_ids: Vec::new(),
        visibility,
    };
    Timer::start(TimerId::new(uuid::Uuid::from_u128(id)), new, at(0))
}

/// Records every published event.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<DomainEvent>>,
}

#[async_trait]
impl EventPublisher for Recorder {
    async fn publish(&self, event: DomainEvent) -> Result<(), PublishError> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
        Ok(())
    }
}

fn service(users: MockUserRepository, recorder: &Arc<Recorder>) -> AccountService {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(at(60));
    AccountService::new(Arc::new(users), recorder.clone(), Arc::new(clock))
}

#[tokio::test]
async fn a_deletion_announces_its_notifications_then_the_timers_friends_could_see()
-> Result<(), AccountServiceError> {
    let cancelled = Notification::from_draft(
        NotificationId::new(3),
        NotificationDraft::meetup_cancelled(
            BOB,
            ALICE,
            &Nickname::deleted_user(),
            MeetupId::new(9),
        ),
        at(60),
    );
    let shown = timer(1, Visibility::Friends);
    let private = timer(2, Visibility::Private);
    let deleted = DeletedAccount {
        friends: vec![BOB],
        active_timers: vec![shown.clone(), private],
        notifications: vec![cancelled.clone()],
    };
    let mut users = MockUserRepository::new();
    users
        .expect_delete()
        .with(eq(ALICE), eq(at(60)))
        .times(1)
        .returning(move |_, _| Ok(deleted.clone()));
    let recorder = Arc::new(Recorder::default());
    service(users, &recorder).delete(ALICE).await?;
    let events = recorder
        .events
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert_eq!(
        events,
        vec![
            DomainEvent::NotificationCreated {
                notification: cancelled,
                unread_count: None,
            },
            DomainEvent::AccountDeleted {
                user: ALICE,
                friends: vec![BOB],
                // The private timer was never shown to friends: nothing to hide.
                hidden: vec![HiddenTimer {
                    timer_id: shown.id(),
                    title: Some("focus".to_owned()),
                }],
            },
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_account_or_a_failed_store_announces_nothing() {
    for (refusal, not_found) in [
        (DeleteAccountError::NotFound, true),
        (
            DeleteAccountError::Storage(StorageError::Unavailable("down".into())),
            false,
        ),
    ] {
        let mut users = MockUserRepository::new();
        let refusal = Mutex::new(Some(refusal));
        users.expect_delete().times(1).returning(move |_, _| {
            Err(refusal
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
                .unwrap_or(DeleteAccountError::NotFound))
        });
        let recorder = Arc::new(Recorder::default());
        let result = service(users, &recorder).delete(ALICE).await;
        assert_eq!(
            matches!(result, Err(AccountServiceError::NotFound)),
            not_found
        );
        assert!(result.is_err());
        assert!(
            recorder
                .events
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty()
        );
    }
}
