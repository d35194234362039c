//! Who receives what, against mocked ports.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use hourglass_domain::ids::{NotificationId, TimerId};
use hourglass_domain::notification::{Notification, NotificationDraft};
use hourglass_domain::profile::Nickname;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{HistoryAction, NewTimer, TimerCommand};
use hourglass_domain::validation::{AllocatedDuration, Visibility};

use mockall::predicate::{always, eq};

use super::*;
use crate::delivery::{MockDeliveryObserver, MockNotificationStreams};
use crate::event::InboxChange;
use crate::follow::MockFollowRepository;
use crate::timer::MockTimerRepository;
use crate::user::{MockUserRepository, User};

const ALICE: UserId = UserId::new(1);
const BOB: UserId = UserId::new(2);
const CAROL: UserId = UserId::new(3);

/// A registry of who is online that records what each user was handed.
#[derive(Default)]
struct Online {
    users: Vec<UserId>,
    received: Mutex<HashMap<UserId, Vec<TimerDelivery>>>,
}

impl Online {
    fn of(users: &[UserId]) -> Arc<Self> {
        Arc::new(Self {
            users: users.to_vec(),
            received: Mutex::default(),
        })
    }

    fn received(&self, user: UserId) -> Vec<TimerDelivery> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&user)
            .cloned()
            .unwrap_or_default()
    }
}

impl TimerConnections for Online {
    fn is_online(&self, user: UserId) -> bool {
        self.users.contains(&user)
    }

    fn anyone_online_but(&self, user: UserId) -> bool {
        self.users.iter().any(|u| *u != user)
    }

    fn send(&self, user: UserId, message: &Arc<TimerDelivery>) -> Handoff {
        if !self.is_online(user) {
            return Handoff::default();
        }
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(user)
            .or_default()
            .push((**message).clone());
        Handoff {
            queued: 1,
            queue_full: 0,
        }
    }

    fn send_to_everyone(&self, message: &Arc<TimerDelivery>) {
        for user in &self.users {
            self.send(*user, message);
        }
    }
}

fn timer(owner: UserId, visibility: Visibility) -> TaggedTimer {
    let Ok(allocated_duration) = AllocatedDuration::new(600) else {
        panic!("valid duration")
    };
    let new = NewTimer {
        owner_id: owner,
        allocated_duration,
        title: None,
        description: None,
        schedule_id: None,
        todo_id: None,
        tag_ids: Vec::new(),
        visibility,
    };
    TaggedTimer::untagged(Timer::start(
        TimerId::new(uuid::Uuid::nil()),
        new,
        Timestamp::EPOCH,
    ))
}

fn changed(actor: UserId, change: TimerChange, visibility: Visibility) -> DomainEvent {
    DomainEvent::TimerChanged {
        actor,
        change,
        timer: timer(actor, visibility),
        actor_name: None,
    }
}

fn started(actor: UserId) -> DomainEvent {
    changed(actor, TimerChange::START, Visibility::Friends)
}

/// The user repository answering every nickname look-up with `alice`.
fn users_named_alice() -> MockUserRepository {
    let mut users = MockUserRepository::new();
    users.expect_find().returning(|id| {
        let Ok(nickname) = Nickname::parse("alice") else {
            panic!("valid nickname")
        };
        Ok(Some(User {
            id,
            subject: "alice".to_owned(),
            nickname,
            profile_image: None,
            created_at: Timestamp::EPOCH,
            updated_at: Timestamp::EPOCH,
        }))
    });
    users
}

fn quiet_observer() -> MockDeliveryObserver {
    let mut observer = MockDeliveryObserver::new();
    observer.expect_delivered().return_const(());
    observer
}

fn service(online: &Arc<Online>, follows: MockFollowRepository) -> DeliveryService {
    DeliveryService::new(
        Arc::clone(online) as Arc<dyn TimerConnections>,
        Arc::new(MockNotificationStreams::new()),
        Arc::new(follows),
        Arc::new(MockTimerRepository::new()),
        Arc::new(users_named_alice()),
        Arc::new(quiet_observer()),
    )
}

fn friends(list: &'static [UserId]) -> MockFollowRepository {
    let mut follows = MockFollowRepository::new();
    follows
        .expect_friend_ids()
        .returning(move |_| Ok(list.to_vec()));
    follows
}

/// An event that carries the actor's nickname (from another instance) is sent under it without
/// reading it: reads per event do not grow with the number of instances.
#[tokio::test]
async fn a_carried_nickname_is_not_read_again() {
    let online = Online::of(&[ALICE, BOB]);
    let mut users = MockUserRepository::new();
    users.expect_find().never();
    let service = DeliveryService::new(
        Arc::clone(&online) as Arc<dyn TimerConnections>,
        Arc::new(MockNotificationStreams::new()),
        Arc::new(friends(&[BOB])),
        Arc::new(MockTimerRepository::new()),
        Arc::new(users),
        Arc::new(quiet_observer()),
    );
    let DomainEvent::TimerChanged {
        actor,
        change,
        timer,
        ..
    } = started(ALICE)
    else {
        panic!("a timer change")
    };
    let carried = DomainEvent::TimerChanged {
        actor,
        change,
        timer,
        actor_name: Some(Arc::from("Alice as committed")),
    };
    service.deliver(carried, Arrival::in_process()).await;
    assert!(matches!(
        online.received(BOB).as_slice(),
        [TimerDelivery::FriendActivity { display_name, .. }] if &**display_name == "Alice as committed"
    ));
}

#[tokio::test]
async fn a_change_goes_to_the_owner_and_as_activity_to_online_friends_only() {
    let online = Online::of(&[ALICE, BOB]);
    let service = service(&online, friends(&[BOB, CAROL]));
    let report = service.deliver(started(ALICE), Arrival::in_process()).await;
    assert!(matches!(
        online.received(ALICE).as_slice(),
        [TimerDelivery::Changed {
            change: TimerChange::START,
            ..
        }]
    ));
    assert!(matches!(
        online.received(BOB).as_slice(),
        [TimerDelivery::FriendActivity { friend: ALICE, display_name, .. }] if &**display_name == "alice"
    ));
    assert_eq!(report.websocket.queued, 2, "Carol is offline");
}

#[tokio::test]
async fn friends_hear_transitions_of_timers_they_may_see_and_nothing_else() {
    let cases = [
        (TimerChange::START, Visibility::Public, true),
        (
            TimerChange::from(TimerCommand::Pause),
            Visibility::Friends,
            true,
        ),
        (TimerChange::Details, Visibility::Friends, false),
        (
            TimerChange::Transition(HistoryAction::Stop),
            Visibility::Private,
            false,
        ),
    ];
    for (change, visibility, heard) in cases {
        let online = Online::of(&[BOB]);
        let service = service(&online, friends(&[BOB]));
        service
            .deliver(changed(ALICE, change, visibility), Arrival::in_process())
            .await;
        assert_eq!(
            !online.received(BOB).is_empty(),
            heard,
            "{change} of a {visibility:?} timer"
        );
    }
}

#[tokio::test]
async fn friends_are_looked_up_once_until_a_follow_of_the_actor_changes() {
    let mut follows = MockFollowRepository::new();
    // Two look-ups in all: the first event, then the one after Bob unfollowed.
    let lookups = AtomicU64::new(0);
    follows.expect_friend_ids().times(2).returning(move |_| {
        let first = lookups.fetch_add(1, Ordering::Relaxed) == 0;
        Ok(if first { vec![BOB] } else { Vec::new() })
    });
    let online = Online::of(&[BOB]);
    let service = service(&online, follows);
    service.deliver(started(ALICE), Arrival::in_process()).await;
    service.deliver(started(ALICE), Arrival::in_process()).await;
    assert_eq!(online.received(BOB).len(), 2);
    // Bob unfollows Alice (announced by whichever instance did it): no more activity.
    let unfollowed = DomainEvent::FollowChanged {
        follower: BOB,
        followee: ALICE,
        ended_friendship: false,
    };
    service.deliver(unfollowed, Arrival::in_process()).await;
    service.deliver(started(ALICE), Arrival::in_process()).await;
    assert_eq!(online.received(BOB).len(), 2);
}

#[tokio::test]
async fn a_resync_forgets_every_friend_list_and_asks_everyone_to_sync() {
    let mut follows = MockFollowRepository::new();
    follows
        .expect_friend_ids()
        .times(2)
        .returning(|_| Ok(vec![BOB]));
    let mut streams = MockNotificationStreams::new();
    streams.expect_resync_all().times(1).return_const(());
    let online = Online::of(&[BOB]);
    let service = DeliveryService::new(
        Arc::clone(&online) as Arc<dyn TimerConnections>,
        Arc::new(streams),
        Arc::new(follows),
        Arc::new(MockTimerRepository::new()),
        Arc::new(users_named_alice()),
        Arc::new(quiet_observer()),
    );
    service.deliver(started(ALICE), Arrival::in_process()).await;
    // The listener reconnected: follow changes may have been missed meanwhile.
    LocalDelivery::resync_local(&service).await;
    service.deliver(started(ALICE), Arrival::in_process()).await;
    assert!(matches!(
        online.received(BOB).as_slice(),
        [
            TimerDelivery::FriendActivity { .. },
            TimerDelivery::Resync,
            TimerDelivery::FriendActivity { .. }
        ]
    ));
}

#[tokio::test]
async fn nobody_else_online_means_no_look_up_at_all() {
    let mut follows = MockFollowRepository::new();
    follows.expect_friend_ids().never();
    let online = Online::of(&[ALICE]);
    let service = service(&online, follows);
    service.deliver(started(ALICE), Arrival::in_process()).await;
    assert_eq!(online.received(ALICE).len(), 1);
}

#[tokio::test]
async fn deletions_go_to_the_owner_and_notifications_to_the_streams() {
    let mut streams = MockNotificationStreams::new();
    streams
        .expect_deliver()
        .with(always(), eq(Some(3)))
        .times(1)
        .returning(|_, _| Handoff {
            queued: 2,
            queue_full: 0,
        });
    let mut observer = MockDeliveryObserver::new();
    observer.expect_delivered().times(2).return_const(());
    let online = Online::of(&[ALICE, BOB]);
    let service = DeliveryService::new(
        Arc::clone(&online) as Arc<dyn TimerConnections>,
        Arc::new(streams),
        Arc::new(MockFollowRepository::new()),
        Arc::new(MockTimerRepository::new()),
        Arc::new(MockUserRepository::new()),
        Arc::new(observer),
    );
    let timer_id = TimerId::new(uuid::Uuid::nil());
    service
        .deliver(
            DomainEvent::TimerDeleted {
                owner: ALICE,
                timer_id,
            },
            Arrival::in_process(),
        )
        .await;
    assert_eq!(
        online.received(ALICE),
        vec![TimerDelivery::Deleted { timer_id }]
    );
    assert!(online.received(BOB).is_empty());
    let notification = Notification::from_draft(
        NotificationId::new(1),
        NotificationDraft::test(BOB),
        Timestamp::EPOCH,
    );
    let report = service
        .deliver(
            DomainEvent::NotificationCreated {
                notification,
                unread_count: Some(3),
            },
            Arrival::from_listener(Instant::now()),
        )
        .await;
    assert_eq!(report.sse.queued, 2);
}

#[tokio::test]
async fn an_inbox_change_goes_to_the_receivers_streams_with_its_count_and_nowhere_else() {
    let read = InboxChange::Read(vec![NotificationId::new(4), NotificationId::new(9)]);
    let mut streams = MockNotificationStreams::new();
    streams
        .expect_inbox_changed()
        .with(eq(BOB), eq(read.clone()), eq(5))
        .times(1)
        .returning(|_, _, _| Handoff {
            queued: 1,
            queue_full: 0,
        });
    let mut observer = MockDeliveryObserver::new();
    observer.expect_delivered().times(1).return_const(());
    let online = Online::of(&[ALICE, BOB]);
    let service = DeliveryService::new(
        Arc::clone(&online) as Arc<dyn TimerConnections>,
        Arc::new(streams),
        Arc::new(MockFollowRepository::new()),
        Arc::new(MockTimerRepository::new()),
        Arc::new(MockUserRepository::new()),
        Arc::new(observer),
    );
    let report = service
        .deliver(
            DomainEvent::InboxChanged {
                receiver: BOB,
                change: read,
                unread_count: 5,
            },
            Arrival::from_listener(Instant::now()),
        )
        .await;
    assert_eq!(report.sse.queued, 1);
    assert!(online.received(ALICE).is_empty());
    assert!(online.received(BOB).is_empty());
}

#[tokio::test]
async fn in_process_events_are_delivered_after_publish_returns_in_order_per_user() {
    let online = Online::of(&[ALICE]);
    let service = service(&online, MockFollowRepository::new());
    let publisher = InProcessDelivery::start(service);
    for change in [
        TimerChange::START,
        TimerChange::from(TimerCommand::Pause),
        TimerChange::from(TimerCommand::Resume),
    ] {
        let published = publisher
            .publish(changed(ALICE, change, Visibility::Private))
            .await;
        assert!(published.is_ok());
    }
    // Waits for the lane to catch up, not for a wall-clock margin.
    while online.received(ALICE).len() < 3 {
        tokio::task::yield_now().await;
    }
    let changes: Vec<&str> = online
        .received(ALICE)
        .iter()
        .filter_map(|delivered| match delivered {
            TimerDelivery::Changed { change, .. } => Some(change.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(changes, ["start", "pause", "resume"]);
}

/// Connections whose `send` waits for the test to open a gate: delivery work that is slow.
struct Gated {
    gate: Mutex<std::sync::mpsc::Receiver<()>>,
    sent: AtomicU64,
}

impl TimerConnections for Gated {
    fn is_online(&self, _: UserId) -> bool {
        true
    }

    fn anyone_online_but(&self, _: UserId) -> bool {
        false
    }

    fn send(&self, _: UserId, _: &Arc<TimerDelivery>) -> Handoff {
        let gate = self.gate.lock().unwrap_or_else(PoisonError::into_inner);
        let _opened = gate.recv();
        self.sent.fetch_add(1, Ordering::SeqCst);
        Handoff {
            queued: 1,
            queue_full: 0,
        }
    }

    fn send_to_everyone(&self, _: &Arc<TimerDelivery>) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_never_waits_for_the_delivery_it_starts() {
    let (open, gate) = std::sync::mpsc::channel();
    let connections = Arc::new(Gated {
        gate: Mutex::new(gate),
        sent: AtomicU64::new(0),
    });
    let service = DeliveryService::new(
        Arc::clone(&connections) as Arc<dyn TimerConnections>,
        Arc::new(MockNotificationStreams::new()),
        Arc::new(MockFollowRepository::new()),
        Arc::new(MockTimerRepository::new()),
        Arc::new(MockUserRepository::new()),
        Arc::new(quiet_observer()),
    );
    let publisher = InProcessDelivery::start(service);
    // The delivery blocks in `send` until the gate opens; the publisher has returned long before.
    let published = publisher
        .publish(changed(ALICE, TimerChange::START, Visibility::Private))
        .await;
    assert!(published.is_ok());
    assert_eq!(connections.sent.load(Ordering::SeqCst), 0);
    assert!(open.send(()).is_ok());
    while connections.sent.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
}

/// A timer of `owner` numbered `n`, with `visibility`, RUNNING (or COMPLETED when `ended`).
fn numbered(owner: UserId, n: u128, visibility: Visibility, ended: bool) -> Timer {
    let mut timer = timer(owner, visibility).timer;
    timer = Timer::start(
        TimerId::new(uuid::Uuid::from_u128(n)),
        NewTimer {
            owner_id: owner,
            allocated_duration: timer.allocated_duration(),
            title: None,
            description: None,
            schedule_id: None,
            todo_id: None,
            tag_ids: Vec::new(),
            visibility,
        },
        Timestamp::EPOCH,
    );
    if ended && timer.apply(TimerCommand::Stop, Timestamp::EPOCH).is_err() {
        panic!("a running timer stops");
    }
    timer
}

/// The ids of the `hidden` activity `user` was handed, about `friend`'s timers.
fn hidden_ids(online: &Online, user: UserId, friend_of: UserId) -> Vec<u128> {
    online
        .received(user)
        .into_iter()
        .filter_map(|delivery| match delivery {
            TimerDelivery::FriendHidden {
                friend, timer_id, ..
            } if friend == friend_of => Some(timer_id.get().as_u128()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_timer_made_private_is_hidden_from_online_friends_only() {
    // Bob is Alice's friend, Carol is online but not a friend; Alice herself is online too.
    let online = Online::of(&[ALICE, BOB, CAROL]);
    let service = service(&online, friends(&[BOB]));
    let hidden = DomainEvent::TimerHidden {
        timer: numbered(ALICE, 7, Visibility::Private, false),
        actor_name: None,
    };
    let report = service.deliver(hidden, Arrival::in_process()).await;
    assert_eq!(hidden_ids(&online, BOB, ALICE), vec![7]);
    assert!(online.received(CAROL).is_empty(), "never to non-friends");
    assert!(
        online.received(ALICE).is_empty(),
        "the owner got its own timer.updated"
    );
    assert_eq!(report.websocket.queued, 1);
}

#[tokio::test]
async fn an_unfollow_that_ends_a_friendship_hides_each_ones_visible_active_timers() {
    let mut timers = MockTimerRepository::new();
    timers.expect_list_active().times(2).returning(|owner| {
        Ok(if owner == ALICE {
            vec![
                numbered(ALICE, 1, Visibility::Friends, false),
                numbered(ALICE, 2, Visibility::Private, false),
                numbered(ALICE, 3, Visibility::Public, false),
            ]
        } else {
            vec![
                numbered(BOB, 4, Visibility::Friends, false),
                numbered(BOB, 5, Visibility::Private, false),
            ]
        })
    });
    // Carol, online, is nobody's former friend here: she hears nothing.
    let online = Online::of(&[ALICE, BOB, CAROL]);
    let service = DeliveryService::new(
        Arc::clone(&online) as Arc<dyn TimerConnections>,
        Arc::new(MockNotificationStreams::new()),
        Arc::new(MockFollowRepository::new()),
        Arc::new(timers),
        Arc::new(users_named_alice()),
        Arc::new(quiet_observer()),
    );
    let unfollowed = DomainEvent::FollowChanged {
        follower: BOB,
        followee: ALICE,
        ended_friendship: true,
    };
    service.deliver(unfollowed, Arrival::in_process()).await;
    assert_eq!(
        hidden_ids(&online, BOB, ALICE),
        vec![1, 3],
        "never private 2"
    );
    assert_eq!(hidden_ids(&online, ALICE, BOB), vec![4], "never private 5");
    assert_eq!(online.received(BOB).len(), 2);
    assert_eq!(online.received(ALICE).len(), 1);
    assert!(online.received(CAROL).is_empty());
}

#[tokio::test]
async fn an_unfollow_that_ends_no_friendship_hides_nothing() {
    // Bob followed Alice one way only: Alice's timers were never shown to him.
    let mut timers = MockTimerRepository::new();
    timers.expect_list_active().never();
    let online = Online::of(&[ALICE, BOB]);
    let service = DeliveryService::new(
        Arc::clone(&online) as Arc<dyn TimerConnections>,
        Arc::new(MockNotificationStreams::new()),
        Arc::new(MockFollowRepository::new()),
        Arc::new(timers),
        Arc::new(users_named_alice()),
        Arc::new(quiet_observer()),
    );
    let unfollowed = DomainEvent::FollowChanged {
        follower: BOB,
        followee: ALICE,
        ended_friendship: false,
    };
    service.deliver(unfollowed, Arrival::in_process()).await;
    assert!(online.received(BOB).is_empty());
    assert!(online.received(ALICE).is_empty());
}

#[test]
fn only_active_timers_friends_could_see_are_hidden_on_unfollow() {
    assert!(hidden_on_unfollow(&numbered(
        ALICE,
        1,
        Visibility::Friends,
        false
    )));
    assert!(hidden_on_unfollow(&numbered(
        ALICE,
        1,
        Visibility::Public,
        false
    )));
    assert!(!hidden_on_unfollow(&numbered(
        ALICE,
        1,
        Visibility::Private,
        false
    )));
    assert!(!hidden_on_unfollow(&numbered(
        ALICE,
        1,
        Visibility::Friends,
        true
    )));
}

#[tokio::test]
async fn a_deleted_account_closes_its_connections_and_streams_and_hides_its_timers_from_friends() {
    // Nothing of Alice can be loaded any more: the event carries it all.
    let mut users = MockUserRepository::new();
    users.expect_find().never();
    let mut timers = MockTimerRepository::new();
    timers.expect_list_active().never();
    let mut streams = MockNotificationStreams::new();
    streams
        .expect_account_deleted()
        .with(eq(ALICE))
        .times(1)
        .returning(|_| Handoff {
            queued: 2,
            queue_full: 0,
        });
    // Carol is online but was not Alice's friend.
    let online = Online::of(&[ALICE, BOB, CAROL]);
    let service = DeliveryService::new(
        Arc::clone(&online) as Arc<dyn TimerConnections>,
        Arc::new(streams),
        Arc::new(MockFollowRepository::new()),
        Arc::new(timers),
        Arc::new(users),
        Arc::new(quiet_observer()),
    );
    let timer_id = TimerId::new(uuid::Uuid::from_u128(9));
    let deleted = DomainEvent::AccountDeleted {
        user: ALICE,
        friends: vec![BOB, CAROL_OFFLINE],
        hidden: vec![HiddenTimer {
            timer_id,
            title: Some("focus".to_owned()),
        }],
    };
    let report = service.deliver(deleted, Arrival::in_process()).await;
    assert_eq!(online.received(ALICE), vec![TimerDelivery::AccountDeleted]);
    assert_eq!(
        online.received(BOB),
        vec![TimerDelivery::FriendHidden {
            friend: ALICE,
            display_name: Arc::from("탈퇴한 사용자"),
            timer_id,
            timer_title: Some(Arc::from("focus")),
        }]
    );
    assert!(online.received(CAROL).is_empty());
    assert_eq!(report.websocket.queued, 2);
    assert_eq!(report.sse.queued, 2);
}

/// A friend with no connection here.
const CAROL_OFFLINE: UserId = UserId::new(33);
