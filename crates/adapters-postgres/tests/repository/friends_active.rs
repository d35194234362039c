//! `TimerRepository::list_friends_active`, and the facts the friends' activity is built on: a
//! PATCH that hides a visible active timer, and an unfollow that ends a friendship.

use hourglass_adapters_postgres::repository::{PgFollowRepository, PgTimerRepository};
use hourglass_domain::follow::Follow;
use hourglass_domain::ids::{TimerId, UserId};
use hourglass_domain::timer::{TimerCommand, TimerPatch};
use hourglass_domain::validation::Visibility;
use hourglass_ports::follow::FollowRepository;
use hourglass_ports::page::PageRequest;
use hourglass_ports::timer::TimerRepository;

use crate::support::{TimerSpec, at, database, timer_with, user};

async fn follow(follows: &PgFollowRepository, a: UserId, b: UserId) -> anyhow::Result<()> {
    let Ok(follow) = Follow::new(a, b) else {
        panic!("distinct users")
    };
    follows.follow(follow, at(0)).await?;
    Ok(())
}

/// Stores a RUNNING timer of `owner` started at `second`, with `visibility`.
async fn started(
    timers: &PgTimerRepository,
    owner: UserId,
    second: i64,
    visibility: Visibility,
) -> anyhow::Result<TimerId> {
    let timer = timer_with(
        owner,
        at(second),
        TimerSpec {
            visibility,
            ..TimerSpec::default()
        },
    );
    timers.insert(&timer).await?;
    Ok(timer.id())
}

fn page(limit: u32) -> PageRequest<TimerId> {
    PageRequest { limit, after: None }
}

/// The (friend, timer) pairs of every page of `viewer`'s list, fetched `limit` at a time.
async fn every_page(
    timers: &PgTimerRepository,
    viewer: UserId,
    limit: u32,
) -> anyhow::Result<Vec<Vec<(UserId, TimerId)>>> {
    let mut pages = Vec::new();
    let mut request = page(limit);
    loop {
        let found = timers.list_friends_active(viewer, request).await?;
        pages.push(
            found
                .items
                .iter()
                .map(|item| (item.friend.id, item.timer.id()))
                .collect(),
        );
        match found.next {
            Some(after) => request.after = Some(after),
            None => return Ok(pages),
        }
    }
}

#[tokio::test]
async fn friends_active_lists_visible_running_and_paused_timers_of_mutual_follows_only()
-> anyhow::Result<()> {
    let db = database().await?;
    let [alice, bob, carol, dave, erin] = [
        user(&db, "alice").await?,
        user(&db, "bob").await?,
        user(&db, "carol").await?,
        user(&db, "dave").await?,
        user(&db, "erin").await?,
    ];
    let follows = PgFollowRepository::new(db.pool());
    // Bob and Carol are Alice's friends; Alice follows Dave one way; Erin follows Alice one way.
    for (a, b) in [
        (alice, bob),
        (bob, alice),
        (alice, carol),
        (carol, alice),
        (alice, dave),
        (erin, alice),
    ] {
        follow(&follows, a, b).await?;
    }
    let timers = PgTimerRepository::new(db.pool());
    let bob_running = started(&timers, bob, 10, Visibility::Friends).await?;
    let bob_private = started(&timers, bob, 20, Visibility::Private).await?;
    let bob_paused = started(&timers, bob, 30, Visibility::Public).await?;
    timers
        .apply_command(bob, bob_paused, TimerCommand::Pause, at(40))
        .await?;
    let bob_done = started(&timers, bob, 50, Visibility::Friends).await?;
    timers
        .apply_command(bob, bob_done, TimerCommand::Stop, at(60))
        .await?;
    let carol_running = started(&timers, carol, 70, Visibility::Friends).await?;
    started(&timers, dave, 80, Visibility::Public).await?;
    started(&timers, erin, 90, Visibility::Friends).await?;
    started(&timers, alice, 100, Visibility::Friends).await?;

    // Most recently changed first: Carol's start (70), Bob's pause (40), Bob's start (10).
    // Never Bob's private (20) or completed (60) timers, nor one-way follows' or Alice's own.
    let expected = vec![
        (carol, carol_running),
        (bob, bob_paused),
        (bob, bob_running),
    ];
    assert_eq!(
        every_page(&timers, alice, 100).await?,
        vec![expected.clone()]
    );
    // Paging by two: no gap, no duplicate; the last page has no cursor.
    let pages = every_page(&timers, alice, 2).await?;
    assert_eq!(pages, vec![expected[..2].to_vec(), expected[2..].to_vec()]);
    let first = timers.list_friends_active(alice, page(100)).await?;
    assert_eq!(first.items[0].friend.nickname.as_str(), "carol");
    assert_eq!(first.items[1].timer.status().as_str(), "PAUSED");
    // A resume is a change: Bob's paused timer moves to the top.
    timers
        .apply_command(bob, bob_paused, TimerCommand::Resume, at(200))
        .await?;
    let ids: Vec<TimerId> = timers
        .list_friends_active(alice, page(100))
        .await?
        .items
        .iter()
        .map(|item| item.timer.id())
        .collect();
    assert_eq!(ids, vec![bob_paused, carol_running, bob_running]);
    // Friendship is mutual: Dave (followed by Alice) and Erin (following Alice) see nothing of
    // hers, and Bob sees nothing of Dave's.
    assert!(every_page(&timers, erin, 100).await?[0].is_empty());
    assert!(
        !every_page(&timers, bob, 100).await?[0]
            .iter()
            .any(|(friend, _)| *friend == dave)
    );
    assert!(!expected.iter().any(|(_, id)| *id == bob_private));
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn a_patch_to_private_hides_an_active_visible_timer_and_leaves_the_list() -> anyhow::Result<()>
{
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let follows = PgFollowRepository::new(db.pool());
    follow(&follows, alice, bob).await?;
    follow(&follows, bob, alice).await?;
    let timers = PgTimerRepository::new(db.pool());
    let visible = started(&timers, bob, 10, Visibility::Friends).await?;
    let private = started(&timers, bob, 20, Visibility::Private).await?;
    let to_private = TimerPatch {
        visibility: Some(Visibility::Private),
        ..TimerPatch::default()
    };
    let patched = timers
        .update_details(bob, visible, to_private.clone(), at(30))
        .await?;
    assert!(patched.changed && patched.hidden_from_friends);
    assert!(
        timers
            .list_friends_active(alice, page(100))
            .await?
            .items
            .is_empty()
    );
    // Already private: an edit says nothing to friends (it would reveal the timer).
    let again = TimerPatch {
        visibility: Some(Visibility::Private),
        title: hourglass_domain::timer::FieldUpdate::Set(Some(crate::support::title("secret"))),
        ..TimerPatch::default()
    };
    let patched = timers.update_details(bob, private, again, at(40)).await?;
    assert!(patched.changed && !patched.hidden_from_friends);
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn an_unfollow_says_whether_it_ended_a_friendship() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let carol = user(&db, "carol").await?;
    let follows = PgFollowRepository::new(db.pool());
    follow(&follows, alice, bob).await?;
    follow(&follows, bob, alice).await?;
    follow(&follows, alice, carol).await?;
    let timers = PgTimerRepository::new(db.pool());
    let running = started(&timers, bob, 10, Visibility::Friends).await?;
    assert_eq!(
        timers.list_friends_active(alice, page(100)).await?.items[0]
            .timer
            .id(),
        running
    );

    let ended = follows.unfollow(bob, alice).await?;
    assert!(ended.removed && ended.ended_friendship);
    assert!(
        timers
            .list_friends_active(alice, page(100))
            .await?
            .items
            .is_empty()
    );
    // Carol never followed Alice back: no friendship to end.
    let one_way = follows.unfollow(alice, carol).await?;
    assert!(one_way.removed && !one_way.ended_friendship);
    // Nothing left to remove.
    let none = follows.unfollow(bob, alice).await?;
    assert!(!none.removed && !none.ended_friendship);
    db.cleanup().await?;
    Ok(())
}
