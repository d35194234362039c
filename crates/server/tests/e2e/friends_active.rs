//! "Friends focusing now" (issue 19) on two instances sharing one database:
//! `GET /api/v1/users/me/friends/active`, the `timer.friends_snapshot` after the connect-time
//! `timer.sync_result`, and `timer.friend_activity` with action `hidden` when a friend makes an
//! active timer private or a friendship ends.
//!
//! Every wait is for a message or an answer; the order of one user's events (one delivery lane,
//! commit order) proves that nothing about a private timer came before them.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Context as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::rest_support::{self, Answer, User};
use crate::ws_client::{Client, control, create, timer_id};

/// How long "nothing else arrives" is watched for (a duplicate `hidden` would be right behind).
const QUIET: Duration = Duration::from_millis(400);

const NO_RATE_LIMIT: &[&str] = &["--rate-limit-enabled", "false"];

const ACTIVE: &str = "/api/v1/users/me/friends/active";

/// Two instances on one database, without the REST rate limit.
async fn two_instances() -> anyhow::Result<(TestApp, TestApp)> {
    let first = TestApp::spawn_with(NO_RATE_LIMIT).await?;
    let second = TestApp::spawn_beside(&first, NO_RATE_LIMIT).await?;
    Ok((first, second))
}

/// The timer ids of a page of the active-friends list, in order.
fn timer_ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| item["timer"]["id"].as_str().map(str::to_owned))
        .collect()
}

/// Creates a timer on `client`'s connection and returns its id.
async fn start(client: &mut Client, title: &str, visibility: &str) -> anyhow::Result<String> {
    let reply = client
        .request(&create(
            3600,
            json!({"title": title, "visibility": visibility}),
        ))
        .await?;
    anyhow::ensure!(reply["type"] == "timer.created", "{reply}");
    timer_id(&reply)
}

/// The next `timer.friend_activity`, which must be `action` on `timer` by `friend`.
async fn expect_activity(
    client: &mut Client,
    friend: &User,
    action: &str,
    timer: &str,
) -> anyhow::Result<Value> {
    let message = client.recv().await?;
    let friend_id = friend.id.get().to_string();
    anyhow::ensure!(
        message["type"] == "timer.friend_activity"
            && message["payload"]["action"] == action
            && message["payload"]["timer_id"] == timer
            && message["payload"]["friend_id"] == friend_id.as_str(),
        "expected {action} of {timer}, got {message}"
    );
    Ok(message)
}

async fn active_list(app: &TestApp, user: &User, query: &str) -> anyhow::Result<Answer> {
    let answer = rest_support::get(app, user, &format!("{ACTIVE}{query}")).await?;
    anyhow::ensure!(answer.status == StatusCode::OK, "{answer:?}");
    Ok(answer)
}

#[tokio::test]
async fn the_rest_list_and_the_ws_snapshot_show_friends_visible_active_timers_only()
-> anyhow::Result<()> {
    let (first, second) = two_instances().await?;
    let alice = rest_support::user(&first, "alice").await?;
    let bob = rest_support::user(&first, "bob").await?;
    let carol = rest_support::user(&first, "carol").await?;
    rest_support::befriend(&first, &alice, &bob).await?;
    // Carol follows Alice, who does not follow back: not a friend.
    crate::ws_client::follow(&first, carol.id, alice.id).await?;

    // Nothing yet: an empty page without a cursor, and an empty snapshot.
    let empty = active_list(&second, &alice, "").await?;
    assert!(empty.items().is_empty() && empty.next_cursor().is_none());

    let mut bob_ws = Client::connect(&first, "bob", "").await?;
    let running = start(&mut bob_ws, "focus", "friends").await?;
    let paused = start(&mut bob_ws, "reading", "public").await?;
    bob_ws.request(&control("pause", &paused)).await?;
    let private = start(&mut bob_ws, "secret", "private").await?;
    let stopped = start(&mut bob_ws, "done", "friends").await?;
    bob_ws.request(&control("stop", &stopped)).await?;
    let mut carol_ws = Client::connect(&first, "carol", "").await?;
    let carols = start(&mut carol_ws, "carol's", "public").await?;

    let page = active_list(&second, &alice, "").await?;
    let listed = timer_ids(&page.items());
    assert_eq!(
        listed.iter().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([running.clone(), paused.clone()]),
        "never private ({private}), ended ({stopped}) or a non-friend's ({carols}) timers"
    );
    assert!(page.next_cursor().is_none());
    let item = page
        .items()
        .into_iter()
        .find(|item| item["timer"]["id"] == paused.as_str())
        .context("the paused timer")?;
    assert_eq!(item["friend"]["id"], json!(bob.id.get()));
    assert_eq!(item["friend"]["nickname"], "bob");
    assert!(
        item["friend"]
            .as_object()
            .is_some_and(|f| f.contains_key("profileImage"))
    );
    assert_eq!(item["timer"]["status"], "PAUSED");
    assert_eq!(item["timer"]["visibility"], "public");
    assert_eq!(item["timer"]["is_shared"], true);
    assert_eq!(item["timer"]["owner_id"], bob.id.get().to_string());

    // Paged one at a time: both timers, once each, in the same order, then no cursor.
    let one = active_list(&second, &alice, "?limit=1").await?;
    let cursor = one
        .next_cursor()
        .context("a cursor after the first of two")?;
    let two = active_list(&second, &alice, &format!("?limit=1&cursor={cursor}")).await?;
    assert!(two.next_cursor().is_none());
    let mut paged = timer_ids(&one.items());
    paged.extend(timer_ids(&two.items()));
    assert_eq!(paged, listed);
    // Its cursor belongs to this list: the friends list refuses it, like a damaged one.
    let elsewhere = rest_support::get(
        &second,
        &alice,
        &format!("/api/v1/users/me/friends?cursor={cursor}"),
    )
    .await?;
    elsewhere.expect_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER")?;
    let bad = rest_support::get(&second, &alice, &format!("{ACTIVE}?cursor=zz")).await?;
    bad.expect_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER")?;

    // On connect, right after `timer.sync_result`: the same items, in the caller's zone.
    let alice_ws = Client::connect(&second, "alice", "?timezone=Asia/Seoul").await?;
    let snapshot = &alice_ws.friends_snapshot;
    assert_eq!(snapshot["type"], "timer.friends_snapshot");
    assert_eq!(snapshot["from_user"], json!(alice.id.get().to_string()));
    let items = snapshot["payload"]["friends"]
        .as_array()
        .context("friends")?;
    assert_eq!(timer_ids(items), listed);
    assert_eq!(snapshot["payload"]["count"], 2);
    assert_eq!(snapshot["payload"]["next_cursor"], Value::Null);
    let started_at = items[0]["timer"]["started_at"]
        .as_str()
        .context("started_at")?;
    assert!(started_at.ends_with("+09:00"), "{started_at}");
    // Carol (not a friend) and Bob's snapshot hold nothing of Carol's or Alice's.
    let carol_again = Client::connect(&second, "carol", "").await?;
    assert_eq!(carol_again.friends_snapshot["payload"]["count"], 0);
    second.stop().await?;
    first.stop().await
}

#[tokio::test]
async fn a_private_patch_and_an_unfollow_hide_timers_on_the_other_instance() -> anyhow::Result<()> {
    let (first, second) = two_instances().await?;
    let alice = rest_support::user(&first, "alice").await?;
    let bob = rest_support::user(&first, "bob").await?;
    rest_support::befriend(&first, &alice, &bob).await?;
    let mut alice_ws = Client::connect(&first, "alice", "").await?;
    let mut bob_ws = Client::connect(&second, "bob", "").await?;

    let alices = start(&mut alice_ws, "alice's", "friends").await?;
    expect_activity(&mut bob_ws, &alice, "start", &alices).await?;
    let to_hide = start(&mut bob_ws, "to hide", "friends").await?;
    expect_activity(&mut alice_ws, &bob, "start", &to_hide).await?;
    let stays = start(&mut bob_ws, "stays", "public").await?;
    expect_activity(&mut alice_ws, &bob, "start", &stays).await?;
    let secret = start(&mut bob_ws, "secret", "private").await?;

    // Bob makes one timer private over REST on the second instance: Alice, on the first,
    // sees it disappear.
    let patched = rest_support::patch(
        &second,
        &bob,
        &format!("/v1/timers/{to_hide}"),
        json!({"visibility": "private"}),
    )
    .await?;
    assert_eq!(patched.status, StatusCode::OK, "{patched:?}");
    let hidden = expect_activity(&mut alice_ws, &bob, "hidden", &to_hide).await?;
    assert_eq!(hidden["payload"]["display_name"], "bob");
    assert_eq!(hidden["payload"]["timer_title"], "to hide");
    assert_eq!(hidden["from_user"], json!(bob.id.get().to_string()));
    assert_eq!(
        timer_ids(&active_list(&first, &alice, "").await?.items()),
        vec![stays.clone()]
    );
    // Edits of a private timer say nothing to friends: Bob's next event reaching Alice is the
    // unfollow's `hidden` below, in his commit order, with nothing about `secret` before it.
    let edited = rest_support::patch(
        &second,
        &bob,
        &format!("/v1/timers/{secret}"),
        json!({"title": "still secret", "visibility": "private"}),
    )
    .await?;
    assert_eq!(edited.status, StatusCode::OK, "{edited:?}");
    let made_private_again = rest_support::patch(
        &second,
        &bob,
        &format!("/v1/timers/{to_hide}"),
        json!({"title": "hidden twice"}),
    )
    .await?;
    assert_eq!(made_private_again.status, StatusCode::OK);
    // Bob's own device heard his three PATCHes as `timer.updated`.
    for _ in 0..3 {
        let own = bob_ws.recv().await?;
        assert_eq!(own["type"], "timer.updated", "{own}");
    }

    // Bob unfollows Alice on the second instance: each one's client drops the other's active
    // visible timers — Alice's on the first instance, Bob's on the second.
    let unfollowed = rest_support::delete(
        &second,
        &bob,
        &format!("/api/v1/users/{}/follow", alice.id.get()),
    )
    .await?;
    assert_eq!(unfollowed.status, StatusCode::NO_CONTENT);
    expect_activity(&mut alice_ws, &bob, "hidden", &stays).await?;
    expect_activity(&mut bob_ws, &alice, "hidden", &alices).await?;
    assert!(active_list(&first, &alice, "").await?.items().is_empty());
    assert!(active_list(&second, &bob, "").await?.items().is_empty());
    // Once each: the instance that did the unfollow does not repeat it from the database.
    alice_ws.expect_silence(QUIET).await?;
    bob_ws.expect_silence(QUIET).await?;
    // A new connection's snapshot no longer shows the former friend's timers.
    let again = Client::connect(&first, "alice", "").await?;
    assert_eq!(again.friends_snapshot["payload"]["count"], 0);
    second.stop().await?;
    first.stop().await
}
