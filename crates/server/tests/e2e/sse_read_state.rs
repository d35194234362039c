//! Read state on every tab (issue 19): a notification read, deleted or marked read all at once on
//! one device reaches every stream of its receiver, on every instance, as `notification-read` /
//! `notification-deleted`, each followed by the `unread-count` it left; a new notification is
//! followed by its count too; a stream opens with the count, after its replay.
//!
//! Two servers share one database ([`TestApp::spawn_beside`]): one tab on each.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::sse_client::{Frame, Member, SseStream, call, member, send_test};

/// The next frame that is not a heartbeat.
async fn next_change(stream: &mut SseStream) -> anyhow::Result<Frame> {
    loop {
        let frame = stream.expect_frame().await?;
        if frame.event.as_deref() != Some("heartbeat") {
            return Ok(frame);
        }
    }
}

/// Asserts the next frame is `unread-count` with `count`, and carries no `id:`.
async fn expect_count(stream: &mut SseStream, count: u64) -> anyhow::Result<()> {
    let frame = next_change(stream).await?;
    anyhow::ensure!(
        frame.event.as_deref() == Some("unread-count"),
        "expected unread-count {count}, got {frame:?}"
    );
    anyhow::ensure!(frame.id.is_none(), "{frame:?}");
    anyhow::ensure!(
        frame.json()? == json!({ "unreadCount": count }),
        "{frame:?}"
    );
    Ok(())
}

/// Asserts the next frame is `event` naming exactly `ids`, then the count it left.
async fn expect_change(
    stream: &mut SseStream,
    event: &str,
    ids: &[i64],
    count: u64,
) -> anyhow::Result<()> {
    let frame = next_change(stream).await?;
    anyhow::ensure!(
        frame.event.as_deref() == Some(event),
        "expected {event}, got {frame:?}"
    );
    anyhow::ensure!(frame.id.is_none(), "{frame:?}");
    anyhow::ensure!(frame.json()? == json!({ "ids": ids }), "{frame:?}");
    expect_count(stream, count).await
}

/// Asserts the next frame is the notification `id`, then the count it left.
async fn expect_notification(stream: &mut SseStream, id: i64, count: u64) -> anyhow::Result<()> {
    let frame = next_change(stream).await?;
    anyhow::ensure!(frame.event.as_deref() == Some("notification"), "{frame:?}");
    anyhow::ensure!(frame.json()?["id"] == json!(id), "{frame:?}");
    expect_count(stream, count).await
}

async fn ok(app: &TestApp, member: &Member, method: Method, path: &str) -> anyhow::Result<Value> {
    let (status, body) = call(app, member, method, path, None).await?;
    anyhow::ensure!(status.is_success(), "{path}: {status} {body}");
    Ok(body)
}

fn id_of(notification: &Value) -> anyhow::Result<i64> {
    notification["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("no id in {notification}"))
}

#[tokio::test]
async fn every_tab_on_every_instance_hears_reads_deletes_and_counts() -> anyhow::Result<()> {
    let first = TestApp::spawn().await?;
    let second = TestApp::spawn_beside(&first, &[]).await?;
    let alice = member(&first, "read-state-alice", "alice").await?;
    let bob = member(&first, "read-state-bob", "bob").await?;
    let mut laptop = SseStream::connect(&first, &alice).await?;
    let mut phone = SseStream::connect(&second, &alice).await?;
    let mut bobs = SseStream::connect(&second, &bob).await?;
    for tab in [&mut laptop, &mut phone, &mut bobs] {
        expect_count(tab, 0).await?;
    }

    let one = id_of(&send_test(&first, &alice).await?)?;
    let two = id_of(&send_test(&second, &alice).await?)?;
    for tab in [&mut laptop, &mut phone] {
        expect_notification(tab, one, 1).await?;
        expect_notification(tab, two, 2).await?;
    }

    // Read on the phone's instance: the laptop, on the other one, hears it.
    ok(
        &second,
        &alice,
        Method::PATCH,
        &format!("/api/v1/notifications/{one}/read"),
    )
    .await?;
    // Reading it again changes nothing and says nothing: the next change below comes first.
    ok(
        &first,
        &alice,
        Method::PATCH,
        &format!("/api/v1/notifications/{one}/read"),
    )
    .await?;
    for tab in [&mut laptop, &mut phone] {
        expect_change(tab, "notification-read", &[one], 1).await?;
    }

    // Deleting a read one leaves the count as it was, but every tab drops it from its list.
    ok(
        &first,
        &alice,
        Method::DELETE,
        &format!("/api/v1/notifications/{one}"),
    )
    .await?;
    for tab in [&mut laptop, &mut phone] {
        expect_change(tab, "notification-deleted", &[one], 1).await?;
    }

    let three = id_of(&send_test(&first, &alice).await?)?;
    for tab in [&mut laptop, &mut phone] {
        expect_notification(tab, three, 2).await?;
    }
    let all = ok(
        &second,
        &alice,
        Method::PATCH,
        "/api/v1/notifications/read-all",
    )
    .await?;
    assert_eq!(all["updated"], 2);
    for tab in [&mut laptop, &mut phone] {
        expect_change(tab, "notification-read", &[two, three], 0).await?;
    }
    ok(
        &first,
        &alice,
        Method::DELETE,
        &format!("/api/v1/notifications/{two}"),
    )
    .await?;
    for tab in [&mut laptop, &mut phone] {
        expect_change(tab, "notification-deleted", &[two], 0).await?;
    }

    // Bob heard none of it: the first thing after his opening count is his own notification.
    let bobs_own = id_of(&send_test(&first, &bob).await?)?;
    expect_notification(&mut bobs, bobs_own, 1).await?;
    // And his read reaches nobody of Alice's.
    ok(
        &first,
        &bob,
        Method::PATCH,
        &format!("/api/v1/notifications/{bobs_own}/read"),
    )
    .await?;
    expect_change(&mut bobs, "notification-read", &[bobs_own], 0).await?;
    let last = id_of(&send_test(&second, &alice).await?)?;
    for tab in [&mut laptop, &mut phone] {
        expect_notification(tab, last, 1).await?;
    }

    // Someone else's notification: 404, and no tab hears anything.
    let (status, _) = call(
        &first,
        &bob,
        Method::PATCH,
        &format!("/api/v1/notifications/{last}/read"),
        None,
    )
    .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    second.stop().await?;
    first.stop().await
}

#[tokio::test]
async fn a_stream_opens_with_the_count_after_its_replay() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let alice = member(&app, "read-state-replay", "alice").await?;
    let one = id_of(&send_test(&app, &alice).await?)?;
    let two = id_of(&send_test(&app, &alice).await?)?;
    let three = id_of(&send_test(&app, &alice).await?)?;
    ok(
        &app,
        &alice,
        Method::PATCH,
        &format!("/api/v1/notifications/{two}/read"),
    )
    .await?;

    // No position: connect, then the count, then live.
    let mut fresh = SseStream::connect(&app, &alice).await?;
    expect_count(&mut fresh, 2).await?;

    // Reconnecting after `one`: connect, the replay of two and three, then a fresh count.
    let mut resumed = SseStream::open(
        &app,
        &format!("accessToken={}", alice.token),
        &[("Last-Event-ID", &one.to_string())],
    )
    .await?;
    let connect = resumed.expect_frame().await?;
    assert_eq!(connect.event.as_deref(), Some("connect"));
    for id in [two, three] {
        let replayed = next_change(&mut resumed).await?;
        assert_eq!(replayed.event.as_deref(), Some("notification"));
        assert_eq!(replayed.id, Some(id.to_string()));
    }
    expect_count(&mut resumed, 2).await?;

    // Both then hear the same change with the same count.
    ok(
        &app,
        &alice,
        Method::PATCH,
        &format!("/api/v1/notifications/{one}/read"),
    )
    .await?;
    for tab in [&mut fresh, &mut resumed] {
        expect_change(tab, "notification-read", &[one], 1).await?;
    }
    app.stop().await
}
