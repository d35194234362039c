use std::sync::Arc;
use std::time::Duration;

use hourglass_domain::ids::UserId;
use tokio::sync::mpsc;

use super::InterestIndex;
use crate::bus::{Interest, InterestWatcher, Subject};
use crate::follow::MockFollowRepository;

const ALICE: UserId = UserId::new(1);
const BOB: UserId = UserId::new(2);
const CAROL: UserId = UserId::new(3);

#[derive(Debug, PartialEq, Eq)]
enum Heard {
    Gained(Subject),
    Lost(Subject),
}

struct Recorder(mpsc::UnboundedSender<Heard>);

impl InterestWatcher for Recorder {
    fn gained(&self, subject: Subject) {
        let _closed = self.0.send(Heard::Gained(subject));
    }
    fn lost(&self, subject: Subject) {
        let _closed = self.0.send(Heard::Lost(subject));
    }
}

/// An index whose friend lists come from `friends_of`, and what its watcher hears.
fn index(
    friends_of: impl Fn(UserId) -> Vec<UserId> + Send + Sync + 'static,
) -> (InterestIndex, mpsc::UnboundedReceiver<Heard>) {
    let mut follows = MockFollowRepository::new();
    follows
        .expect_friend_ids()
        .returning(move |user| Ok(friends_of(user)));
    let index = InterestIndex::new(Arc::new(follows));
    let (sender, heard) = mpsc::unbounded_channel();
    index.watch(Arc::new(Recorder(sender)));
    (index, heard)
}

async fn next(heard: &mut mpsc::UnboundedReceiver<Heard>) -> Heard {
    match tokio::time::timeout(Duration::from_secs(10), heard.recv()).await {
        Ok(Some(heard)) => heard,
        Ok(None) => panic!("the index was dropped"),
        Err(_) => panic!("the watcher heard nothing"),
    }
}

#[tokio::test]
async fn a_viewer_makes_their_own_and_their_friends_timers_cared_about() {
    let (index, mut heard) = index(|user| if user == ALICE { vec![BOB] } else { vec![] });
    index.viewer_joined(ALICE);
    assert_eq!(
        next(&mut heard).await,
        Heard::Gained(Subject::timers(ALICE))
    );
    assert_eq!(next(&mut heard).await, Heard::Gained(Subject::timers(BOB)));
    assert!(index.cares_about(Subject::timers(BOB)));
    assert!(!index.cares_about(Subject::notifications(ALICE)));
    assert!(!index.cares_about(Subject::timers(CAROL)));
    assert_eq!(
        index.subjects(),
        vec![Subject::timers(ALICE), Subject::timers(BOB)]
    );
}

#[tokio::test]
async fn a_subject_is_lost_only_with_its_last_reason() {
    // Alice and Carol are both friends of Bob; Bob is also connected himself.
    let (index, mut heard) = index(|user| if user == BOB { vec![] } else { vec![BOB] });
    index.viewer_joined(ALICE);
    assert_eq!(
        next(&mut heard).await,
        Heard::Gained(Subject::timers(ALICE))
    );
    assert_eq!(next(&mut heard).await, Heard::Gained(Subject::timers(BOB)));
    index.viewer_joined(CAROL);
    assert_eq!(
        next(&mut heard).await,
        Heard::Gained(Subject::timers(CAROL))
    );
    index.viewer_joined(BOB);
    // A second connection of a viewer changes nothing.
    index.viewer_joined(ALICE);
    index.viewer_left(ALICE);
    index.viewer_left(ALICE);
    assert_eq!(next(&mut heard).await, Heard::Lost(Subject::timers(ALICE)));
    index.viewer_left(CAROL);
    assert_eq!(next(&mut heard).await, Heard::Lost(Subject::timers(CAROL)));
    assert!(
        index.cares_about(Subject::timers(BOB)),
        "Bob is still connected"
    );
    index.viewer_left(BOB);
    assert_eq!(next(&mut heard).await, Heard::Lost(Subject::timers(BOB)));
    assert!(index.subjects().is_empty());
}

#[tokio::test]
async fn streams_count_notification_subjects() {
    let (index, mut heard) = index(|_| vec![]);
    index.stream_opened(ALICE);
    index.stream_opened(ALICE);
    assert_eq!(
        next(&mut heard).await,
        Heard::Gained(Subject::notifications(ALICE))
    );
    index.stream_closed(ALICE);
    assert!(index.cares_about(Subject::notifications(ALICE)));
    index.stream_closed(ALICE);
    assert_eq!(
        next(&mut heard).await,
        Heard::Lost(Subject::notifications(ALICE))
    );
    // A close without an open is ignored.
    index.stream_closed(ALICE);
    assert!(heard.try_recv().is_err());
}

#[tokio::test]
async fn a_changed_friend_list_moves_only_the_difference() {
    let (index, mut heard) = index(|_| vec![BOB]);
    index.viewer_joined(ALICE);
    assert_eq!(
        next(&mut heard).await,
        Heard::Gained(Subject::timers(ALICE))
    );
    assert_eq!(next(&mut heard).await, Heard::Gained(Subject::timers(BOB)));
    // Read again (a follow changed): Bob stays, Carol arrives.
    let read = {
        let mut state = index.lock();
        index.start_read(&mut state, ALICE)
    };
    index.apply_friends(ALICE, read, vec![BOB, CAROL]);
    assert_eq!(
        next(&mut heard).await,
        Heard::Gained(Subject::timers(CAROL))
    );
    let read = {
        let mut state = index.lock();
        index.start_read(&mut state, ALICE)
    };
    index.apply_friends(ALICE, read, vec![CAROL]);
    assert_eq!(next(&mut heard).await, Heard::Lost(Subject::timers(BOB)));
    assert!(heard.try_recv().is_err());
}

#[tokio::test]
async fn an_older_answer_never_replaces_a_newer_one() {
    let (index, mut heard) = index(|_| vec![]);
    index.viewer_joined(ALICE);
    assert_eq!(
        next(&mut heard).await,
        Heard::Gained(Subject::timers(ALICE))
    );
    let (older, newer) = {
        let mut state = index.lock();
        (
            index.start_read(&mut state, ALICE),
            index.start_read(&mut state, ALICE),
        )
    };
    index.apply_friends(ALICE, newer, vec![CAROL]);
    assert_eq!(
        next(&mut heard).await,
        Heard::Gained(Subject::timers(CAROL))
    );
    index.apply_friends(ALICE, older, vec![BOB]);
    assert!(!index.cares_about(Subject::timers(BOB)));
    assert!(index.cares_about(Subject::timers(CAROL)));
}

#[tokio::test]
async fn an_answer_for_a_viewer_who_left_is_dropped() {
    let (index, mut heard) = index(|_| vec![]);
    index.viewer_joined(ALICE);
    assert_eq!(
        next(&mut heard).await,
        Heard::Gained(Subject::timers(ALICE))
    );
    let read = {
        let mut state = index.lock();
        index.start_read(&mut state, ALICE)
    };
    index.viewer_left(ALICE);
    assert_eq!(next(&mut heard).await, Heard::Lost(Subject::timers(ALICE)));
    index.apply_friends(ALICE, read, vec![BOB]);
    assert!(index.subjects().is_empty());
}

#[tokio::test]
async fn ready_waits_for_the_friend_list() {
    let (index, mut heard) = index(|_| vec![BOB]);
    index.viewer_joined(ALICE);
    index.ready(ALICE, Duration::from_secs(30)).await;
    assert!(index.cares_about(Subject::timers(BOB)));
    assert_eq!(
        next(&mut heard).await,
        Heard::Gained(Subject::timers(ALICE))
    );
    assert_eq!(next(&mut heard).await, Heard::Gained(Subject::timers(BOB)));
    // Someone who is not a viewer here has nothing to wait for.
    index.ready(CAROL, Duration::from_secs(30)).await;
}

/// An engine that confirms its subscriptions.
struct Confirming;

impl InterestWatcher for Confirming {
    fn gained(&self, _subject: Subject) {}
    fn lost(&self, _subject: Subject) {}
    fn confirms(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn ready_waits_until_the_engine_receives_the_subjects() {
    let (index, _heard) = index(|_| vec![BOB]);
    index.watch(Arc::new(Confirming));
    index.viewer_joined(ALICE);
    let waiting = {
        let index = index.clone();
        tokio::spawn(async move { index.ready(ALICE, Duration::from_secs(30)).await })
    };
    // The friend list arrives; Alice's and Bob's subjects are still unconfirmed.
    tokio::time::timeout(Duration::from_secs(10), async {
        while !index.cares_about(Subject::timers(BOB)) {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the friend list never arrived"));
    index.subscribed(Subject::timers(ALICE));
    assert!(!waiting.is_finished(), "Bob's subject is not confirmed yet");
    index.subscribed(Subject::timers(BOB));
    tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .unwrap_or_else(|_| panic!("ready never returned"))
        .unwrap_or_else(|error| panic!("{error}"));
    // A stream's subject is waited for too.
    index.stream_opened(CAROL);
    let stream_ready = {
        let index = index.clone();
        tokio::spawn(async move { index.ready(CAROL, Duration::from_secs(30)).await })
    };
    tokio::task::yield_now().await;
    index.subscribed(Subject::notifications(CAROL));
    tokio::time::timeout(Duration::from_secs(10), stream_ready)
        .await
        .unwrap_or_else(|_| panic!("ready never returned"))
        .unwrap_or_else(|error| panic!("{error}"));
}
