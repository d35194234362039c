//! Timer use cases against mocked ports.

use std::sync::Arc;

use hourglass_domain::ids::{TimerId, UserId};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{
    FieldUpdate, HistoryAction, NewTimer, Timer, TimerCommand, TimerPatch, TimerStatus,
    TransitionError,
};
use hourglass_domain::validation::{AllocatedDuration, Title, Visibility};
use mockall::Sequence;
use mockall::predicate::eq;
use uuid::Uuid;

use super::*;
use crate::clock::MockClock;
use crate::error::StorageError;
use crate::event::{MockEventPublisher, PublishError};
use crate::id::MockIdGenerator;
use crate::planning::MockTagRepository;
use crate::processed::{CommandKey, Idempotent};
use crate::timer::{MockTimerRepository, PatchedTimer, TimerLink};

const OWNER: UserId = UserId::new(7);
const STRANGER: UserId = UserId::new(8);

fn at(seconds: i64) -> Timestamp {
    let Some(t) = Timestamp::from_unix_seconds(1_767_225_600 + seconds) else {
        panic!("in range")
    };
    t
}

fn timer_id() -> TimerId {
    TimerId::new(Uuid::from_u128(0x42))
}

fn new_timer() -> NewTimer {
    let Ok(allocated_duration) = AllocatedDuration::new(1500) else {
        panic!("valid")
    };
    NewTimer {
        owner_id: OWNER,
        allocated_duration,
        title: None,
        description: None,
        schedule_id: None,
        todo_id: None,
        tag_ids: Vec::new(),
        visibility: Visibility::Friends,
    }
}

fn stored_timer(visibility: Visibility) -> Timer {
    let mut new = new_timer();
    new.visibility = visibility;
    Timer::start(timer_id(), new, at(0))
}

fn clock_at(seconds: i64) -> Arc<MockClock> {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(at(seconds));
    Arc::new(clock)
}

fn ids() -> Arc<MockIdGenerator> {
    let mut ids = MockIdGenerator::new();
    ids.expect_new_uuid().return_const(timer_id().get());
    Arc::new(ids)
}

fn service(repo: MockTimerRepository, publisher: MockEventPublisher) -> TimerService {
    TimerService::new(
        Arc::new(repo),
        Arc::new(MockTagRepository::new()),
        Arc::new(publisher),
        clock_at(60),
        ids(),
    )
}

fn silent_publisher() -> MockEventPublisher {
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().never();
    publisher
}

fn unavailable() -> StorageError {
    StorageError::Unavailable("connection refused".into())
}

#[tokio::test]
async fn create_stores_then_announces_start() -> Result<(), InsertTimerError> {
    let mut seq = Sequence::new();
    let mut repo = MockTimerRepository::new();
    repo.expect_insert()
        .withf(|t| t.status() == TimerStatus::Running && t.started_at() == at(60))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .withf(|event| {
            matches!(event, DomainEvent::TimerChanged { actor, change: TimerChange::START, timer, actor_name: None }
                if *actor == OWNER && timer.timer.id() == timer_id())
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));

    let timer = service(repo, publisher).create(new_timer()).await?;
    assert_eq!(timer.timer.id(), timer_id());
    assert_eq!(timer.timer.version(), 1);
    Ok(())
}

#[tokio::test]
async fn create_with_a_foreign_link_announces_nothing() {
    let mut repo = MockTimerRepository::new();
    repo.expect_insert()
        .returning(|_| Err(InsertTimerError::UnknownLink(TimerLink::Schedule)));
    let result = service(repo, silent_publisher()).create(new_timer()).await;
    let Err(err) = result else {
        panic!("must fail")
    };
    assert!(matches!(
        err,
        InsertTimerError::UnknownLink(TimerLink::Schedule)
    ));
    assert_eq!(
        err.to_string(),
        "schedule_id does not name one of your schedules"
    );
}

#[tokio::test]
async fn each_command_is_applied_at_the_clock_time_then_announced() {
    for (command, action) in [
        (TimerCommand::Pause, HistoryAction::Pause),
        (TimerCommand::Resume, HistoryAction::Resume),
        (TimerCommand::Stop, HistoryAction::Stop),
        (TimerCommand::Cancel, HistoryAction::Cancel),
    ] {
        let mut seq = Sequence::new();
        let mut repo = MockTimerRepository::new();
        repo.expect_apply_command()
            .with(eq(OWNER), eq(timer_id()), eq(command), eq(at(60)))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Ok(stored_timer(Visibility::Friends)));
        let mut publisher = MockEventPublisher::new();
        publisher
            .expect_publish()
            .withf(move |event| {
                matches!(event, DomainEvent::TimerChanged { change, .. }
                    if *change == TimerChange::Transition(action))
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(()));
        let result = service(repo, publisher)
            .command(OWNER, timer_id(), command)
            .await;
        assert!(result.is_ok(), "{command}");
    }
}

#[tokio::test]
async fn a_command_on_a_missing_or_foreign_timer_is_not_found_and_silent() {
    let mut repo = MockTimerRepository::new();
    repo.expect_apply_command()
        .returning(|_, _, _, _| Err(TimerCommandError::NotFound));
    let result = service(repo, silent_publisher())
        .command(STRANGER, timer_id(), TimerCommand::Pause)
        .await;
    assert!(matches!(result, Err(TimerCommandError::NotFound)));
}

#[tokio::test]
async fn a_rejected_transition_is_reported_and_silent() {
    let mut repo = MockTimerRepository::new();
    repo.expect_apply_command().returning(|_, _, command, _| {
        Err(TimerCommandError::Rejected(
            TransitionError::InvalidTransition {
                command,
                status: TimerStatus::Completed,
            },
        ))
    });
    let result = service(repo, silent_publisher())
        .command(OWNER, timer_id(), TimerCommand::Pause)
        .await;
    let Err(err) = result else {
        panic!("must be refused")
    };
    assert_eq!(err.to_string(), "Cannot pause timer with status COMPLETED");
}

#[tokio::test]
async fn a_storage_failure_is_propagated_and_silent() {
    let mut repo = MockTimerRepository::new();
    repo.expect_apply_command()
        .returning(|_, _, _, _| Err(TimerCommandError::Storage(unavailable())));
    let result = service(repo, silent_publisher())
        .command(OWNER, timer_id(), TimerCommand::Stop)
        .await;
    assert!(matches!(
        result,
        Err(TimerCommandError::Storage(StorageError::Unavailable(_)))
    ));
}

#[tokio::test]
async fn a_failed_announcement_does_not_fail_a_committed_command() {
    let mut repo = MockTimerRepository::new();
    repo.expect_apply_command()
        .returning(|_, _, _, _| Ok(stored_timer(Visibility::Friends)));
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .times(1)
        .returning(|_| Err(PublishError::Unavailable("listener down".into())));
    let result = service(repo, publisher)
        .command(OWNER, timer_id(), TimerCommand::Pause)
        .await;
    assert!(result.is_ok());
}

#[tokio::test]
async fn own_refuses_someone_elses_timer() {
    let mut repo = MockTimerRepository::new();
    repo.expect_find()
        .returning(|_| Ok(Some(stored_timer(Visibility::Public))));
    let svc = service(repo, silent_publisher());
    assert!(svc.own(OWNER, timer_id()).await.is_ok());
    assert!(matches!(
        svc.own(STRANGER, timer_id()).await,
        Err(TimerReadError::NotFound)
    ));
}

#[tokio::test]
async fn readable_follows_visibility_and_friendship() {
    for (visibility, friends, readable) in [
        (Visibility::Public, false, true),
        (Visibility::Friends, true, true),
        (Visibility::Friends, false, false),
        (Visibility::Private, true, false),
    ] {
        let mut repo = MockTimerRepository::new();
        repo.expect_find()
            .returning(move |_| Ok(Some(stored_timer(visibility))));
        repo.expect_are_friends()
            .with(eq(STRANGER), eq(OWNER))
            .returning(move |_, _| Ok(friends));
        let result = service(repo, silent_publisher())
            .readable(STRANGER, timer_id())
            .await;
        assert_eq!(result.is_ok(), readable, "{visibility} friends={friends}");
    }
}

#[tokio::test]
async fn the_owner_reads_without_a_friendship_lookup() {
    let mut repo = MockTimerRepository::new();
    repo.expect_find()
        .returning(|_| Ok(Some(stored_timer(Visibility::Private))));
    repo.expect_are_friends().never();
    let result = service(repo, silent_publisher())
        .readable(OWNER, timer_id())
        .await;
    assert!(result.is_ok());
}

#[tokio::test]
async fn readable_of_a_missing_timer_is_not_found() {
    let mut repo = MockTimerRepository::new();
    repo.expect_find().returning(|_| Ok(None));
    let result = service(repo, silent_publisher())
        .readable(OWNER, timer_id())
        .await;
    assert!(matches!(result, Err(TimerReadError::NotFound)));
}

#[tokio::test]
async fn sync_all_asks_for_the_200_newest_own_timers() -> Result<(), StorageError> {
    let mut repo = MockTimerRepository::new();
    repo.expect_list()
        .withf(|q| {
            q.viewer == OWNER
                && q.filter.scope == TimerScope::Mine
                && q.filter.statuses.is_empty()
                && q.page.limit == SYNC_ALL_LIMIT
                && q.page.after.is_none()
        })
        .times(1)
        .returning(|_| {
            Ok(Page {
                items: vec![stored_timer(Visibility::Friends)],
                next: None,
            })
        });
    let timers = service(repo, silent_publisher())
        .sync(OWNER, SyncScope::All)
        .await?;
    assert_eq!(timers.len(), 1);
    Ok(())
}

#[tokio::test]
async fn sync_active_and_newest_active_use_the_active_list() -> Result<(), StorageError> {
    let mut repo = MockTimerRepository::new();
    repo.expect_list_active()
        .with(eq(OWNER))
        .times(2)
        .returning(|_| Ok(vec![stored_timer(Visibility::Friends)]));
    let svc = service(repo, silent_publisher());
    assert_eq!(svc.sync(OWNER, SyncScope::Active).await?.len(), 1);
    assert!(svc.newest_active(OWNER).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn a_sync_reads_the_tags_of_the_whole_list_once_and_gives_each_timer_its_own()
-> Result<(), StorageError> {
    use hourglass_domain::ids::TagId;
    use hourglass_domain::planning::Tag;
    use hourglass_domain::validation::{TagColor, TagName};
    let tag = |n: u128| {
        let (Ok(name), Ok(color)) = (TagName::new(&format!("t{n}")), TagColor::new("#000000"))
        else {
            panic!("valid tag")
        };
        Tag {
            id: TagId::new(Uuid::from_u128(n)),
            owner_id: OWNER,
            name,
            color,
            created_at: at(0),
            updated_at: at(0),
        }
    };
    let timer_tagged = |id: u128, tags: &[u128]| {
        let mut new = new_timer();
        new.tag_ids = tags
            .iter()
            .map(|n| TagId::new(Uuid::from_u128(*n)))
            .collect();
        Timer::start(TimerId::new(Uuid::from_u128(id)), new, at(0))
    };
    let mut repo = MockTimerRepository::new();
    repo.expect_list_active()
        .returning(move |_| Ok(vec![timer_tagged(1, &[3, 2]), timer_tagged(2, &[])]));
    let mut tags = MockTagRepository::new();
    tags.expect_find_many()
        .withf(|owner, ids| {
            *owner == OWNER
                && ids
                    == [
                        TagId::new(Uuid::from_u128(2)),
                        TagId::new(Uuid::from_u128(3)),
                    ]
        })
        .times(1)
        .returning(move |_, _| Ok(vec![tag(2), tag(3)]));
    let svc = TimerService::new(
        Arc::new(repo),
        Arc::new(tags),
        Arc::new(silent_publisher()),
        clock_at(60),
        ids(),
    );
    let synced = svc.sync(OWNER, SyncScope::Active).await?;
    assert_eq!(
        synced[0].tags,
        vec![tag(3), tag(2)],
        "the timer's own order"
    );
    assert!(synced[1].tags.is_empty());
    Ok(())
}

#[tokio::test]
async fn patch_announces_update_only_when_something_changed() -> Result<(), UpdateTimerError> {
    for changed in [true, false] {
        let mut repo = MockTimerRepository::new();
        repo.expect_update_details()
            .withf(|owner, id, patch, now| {
                *owner == OWNER
                    && *id == timer_id()
                    && matches!(patch.title, FieldUpdate::Set(Some(_)))
                    && *now == at(60)
            })
            .returning(move |_, _, _, _| {
                Ok(PatchedTimer {
                    timer: stored_timer(Visibility::Friends),
                    changed,
                    hidden_from_friends: false,
                })
            });
        let mut publisher = MockEventPublisher::new();
        publisher
            .expect_publish()
            .withf(|event| {
                matches!(
                    event,
                    DomainEvent::TimerChanged {
                        change: TimerChange::Details,
                        ..
                    }
                )
            })
            .times(usize::from(changed))
            .returning(|_| Ok(()));
        let Ok(title) = Title::new("Reading") else {
            panic!("valid")
        };
        let patch = TimerPatch {
            title: FieldUpdate::Set(Some(title)),
            ..TimerPatch::default()
        };
        service(repo, publisher)
            .patch(OWNER, timer_id(), patch)
            .await?;
    }
    Ok(())
}

/// Friends hear `hidden` exactly when the stored PATCH took a timer they could see private.
#[tokio::test]
async fn patch_announces_hidden_only_when_it_hid_the_timer_from_friends()
-> Result<(), UpdateTimerError> {
    for hidden in [true, false] {
        let mut repo = MockTimerRepository::new();
        repo.expect_update_details().returning(move |_, _, _, _| {
            Ok(PatchedTimer {
                timer: stored_timer(Visibility::Private),
                changed: true,
                hidden_from_friends: hidden,
            })
        });
        let mut seq = Sequence::new();
        let mut publisher = MockEventPublisher::new();
        publisher
            .expect_publish()
            .withf(|event| matches!(event, DomainEvent::TimerChanged { .. }))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(()));
        publisher
            .expect_publish()
            .withf(|event| {
                matches!(event, DomainEvent::TimerHidden { timer, actor_name: None }
                    if timer.id() == timer_id() && timer.visibility() == Visibility::Private)
            })
            .times(usize::from(hidden))
            .in_sequence(&mut seq)
            .returning(|_| Ok(()));
        let patch = TimerPatch {
            visibility: Some(Visibility::Private),
            ..TimerPatch::default()
        };
        service(repo, publisher)
            .patch(OWNER, timer_id(), patch)
            .await?;
    }
    Ok(())
}

/// The rule the repository applies to the locked row: only an active timer that was
/// `friends`/`public` and is `private` now; an edit of an already private timer says nothing.
#[test]
fn a_patch_hides_only_an_active_timer_friends_could_see() {
    let private_now = stored_timer(Visibility::Private);
    assert!(PatchedTimer::new(private_now.clone(), true, Visibility::Friends).hidden_from_friends);
    assert!(PatchedTimer::new(private_now.clone(), true, Visibility::Public).hidden_from_friends);
    assert!(!PatchedTimer::new(private_now.clone(), true, Visibility::Private).hidden_from_friends);
    assert!(
        !PatchedTimer::new(private_now.clone(), false, Visibility::Friends).hidden_from_friends
    );
    let still_visible = stored_timer(Visibility::Public);
    assert!(!PatchedTimer::new(still_visible, true, Visibility::Friends).hidden_from_friends);
    let mut ended = private_now;
    if ended.apply(TimerCommand::Stop, at(10)).is_err() {
        panic!("a running timer stops");
    }
    assert!(!PatchedTimer::new(ended, true, Visibility::Friends).hidden_from_friends);
}

#[tokio::test]
async fn patch_of_a_foreign_timer_is_not_found_and_silent() {
    let mut repo = MockTimerRepository::new();
    repo.expect_update_details()
        .returning(|_, _, _, _| Err(UpdateTimerError::NotFound));
    let result = service(repo, silent_publisher())
        .patch(STRANGER, timer_id(), TimerPatch::default())
        .await;
    assert!(matches!(result, Err(UpdateTimerError::NotFound)));
}

#[tokio::test]
async fn delete_announces_deletion_to_the_owner_after_the_store() -> Result<(), DeleteTimerError> {
    let mut seq = Sequence::new();
    let mut repo = MockTimerRepository::new();
    repo.expect_delete()
        .with(eq(OWNER), eq(timer_id()))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .with(eq(DomainEvent::TimerDeleted {
            owner: OWNER,
            timer_id: timer_id(),
        }))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    service(repo, publisher).delete(OWNER, timer_id()).await
}

#[tokio::test]
async fn delete_of_a_foreign_timer_is_not_found_and_silent() {
    let mut repo = MockTimerRepository::new();
    repo.expect_delete()
        .returning(|_, _| Err(DeleteTimerError::NotFound));
    let result = service(repo, silent_publisher())
        .delete(STRANGER, timer_id())
        .await;
    assert!(matches!(result, Err(DeleteTimerError::NotFound)));
}

#[tokio::test]
async fn side_effect_updates_are_announced_one_per_timer() {
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .withf(|event| {
            matches!(
                event,
                DomainEvent::TimerChanged {
                    change: TimerChange::Details,
                    ..
                }
            )
        })
        .times(2)
        .returning(|_| Ok(()));
    service(MockTimerRepository::new(), publisher)
        .announce_updates(vec![
            stored_timer(Visibility::Friends),
            stored_timer(Visibility::Private),
        ])
        .await;
}

/// The key of a command sent at 90 s (the service's own clock says 60: the key's instant wins).
fn key(kind: &'static str) -> CommandKey {
    CommandKey {
        user: OWNER,
        request_id: "r-1".to_owned(),
        kind,
        now: at(90),
    }
}

/// What the key already holds: a pause of the stored timer.
fn remembered_pause() -> Box<crate::processed::ProcessedCommand> {
    let mut timer = stored_timer(Visibility::Friends);
    if timer.apply(TimerCommand::Pause, at(30)).is_err() {
        panic!("a running timer pauses")
    }
    Box::new(crate::processed::ProcessedCommand {
        command_type: "pause".to_owned(),
        outcome: crate::processed::RecordedOutcome {
            change: TimerChange::Transition(HistoryAction::Pause),
            timer,
        },
        created_at: at(30),
    })
}

#[tokio::test]
async fn a_keyed_create_starts_at_the_keys_instant_and_announces_only_when_applied()
-> Result<(), InsertTimerError> {
    let mut repo = MockTimerRepository::new();
    repo.expect_insert().never();
    repo.expect_insert_once()
        .withf(|timer, key| timer.started_at() == at(90) && *key == self::key("create"))
        .times(1)
        .returning(|_, _| Ok(Idempotent::Applied(())));
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .withf(|event| {
            matches!(
                event,
                DomainEvent::TimerChanged {
                    change: TimerChange::START,
                    ..
                }
            )
        })
        .times(1)
        .returning(|_| Ok(()));
    let applied = service(repo, publisher)
        .create_once(new_timer(), &key("create"))
        .await?;
    let Idempotent::Applied(timer) = applied else {
        panic!("applied: {applied:?}")
    };
    assert_eq!(timer.timer.id(), timer_id());

    let mut repo = MockTimerRepository::new();
    repo.expect_insert_once()
        .times(1)
        .returning(|_, _| Ok(Idempotent::Remembered(remembered_pause())));
    let remembered = service(repo, silent_publisher())
        .create_once(new_timer(), &key("create"))
        .await?;
    assert_eq!(remembered, Idempotent::Remembered(remembered_pause()));
    Ok(())
}

#[tokio::test]
async fn a_keyed_command_runs_for_the_keys_user_and_announces_only_when_applied()
-> Result<(), TimerCommandError> {
    let mut repo = MockTimerRepository::new();
    repo.expect_apply_command().never();
    repo.expect_apply_command_once()
        .withf(|id, command, key| {
            *id == timer_id() && *command == TimerCommand::Pause && *key == self::key("pause")
        })
        .times(1)
        .returning(|_, _, _| Ok(Idempotent::Applied(remembered_pause().outcome.timer)));
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .withf(|event| {
            matches!(
                event,
                DomainEvent::TimerChanged {
                    change: TimerChange::Transition(HistoryAction::Pause),
                    ..
                }
            )
        })
        .times(1)
        .returning(|_| Ok(()));
    let applied = service(repo, publisher)
        .command_once(timer_id(), TimerCommand::Pause, &key("pause"))
        .await?;
    assert!(matches!(applied, Idempotent::Applied(_)), "{applied:?}");

    for answer in [
        Ok(Idempotent::Remembered(remembered_pause())),
        Err(TimerCommandError::NotFound),
    ] {
        let mut repo = MockTimerRepository::new();
        repo.expect_apply_command_once()
            .times(1)
            .return_once(move |_, _, _| answer);
        let result = service(repo, silent_publisher())
            .command_once(timer_id(), TimerCommand::Pause, &key("pause"))
            .await;
        assert!(
            matches!(
                result,
                Ok(Idempotent::Remembered(_)) | Err(TimerCommandError::NotFound)
            ),
            "{result:?}"
        );
    }
    Ok(())
}
