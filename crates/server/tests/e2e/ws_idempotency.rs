//! `request_id` replays on `/v1/ws/timers`: a retried command is applied once, answered with
//! the original reply (in the sender's current zone, to the sender only), and a key reused for
//! another type is refused.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::ws_client::{Client, control, create, message, timer_id};

const QUIET: Duration = Duration::from_millis(400);

fn with_id(mut message: Value, request_id: &str) -> Value {
    message["request_id"] = json!(request_id);
    message
}

#[tokio::test]
async fn a_retried_command_is_applied_once_and_replayed_to_the_sender_only() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut phone = Client::connect(&app, "alice", "").await?;
    let mut laptop = Client::connect(&app, "alice", "").await?;

    let create_once = with_id(create(600, json!({"title": "once"})), "create-1");
    let first = phone.request(&create_once).await?;
    let again = phone.request(&create_once).await?;
    assert_eq!(first["type"], "timer.created");
    assert_eq!(again["type"], "timer.created");
    assert_eq!(again["request_id"], "create-1");
    assert_eq!(again["payload"], first["payload"], "the original reply");
    let id = timer_id(&first)?;
    assert_eq!(laptop.recv().await?["type"], "timer.created");
    laptop.expect_silence(QUIET).await?;

    let pause_once = with_id(control("pause", &id), "pause-1");
    let paused = phone.request(&pause_once).await?;
    assert_eq!(paused["payload"]["timer"]["version"], 2);
    let replayed = phone.request(&pause_once).await?;
    assert_eq!(replayed["payload"], paused["payload"]);
    assert_eq!(laptop.recv().await?["payload"]["action"], "pause");
    laptop.expect_silence(QUIET).await?;

    // The same key for another type is refused; the timer is untouched.
    let reused = phone
        .request(&with_id(control("stop", &id), "pause-1"))
        .await?;
    assert_eq!(reused["payload"]["code"], "INVALID_MESSAGE", "{reused}");
    assert_eq!(reused["request_id"], "pause-1");
    let state = phone
        .request(&message("timer.sync", json!({"timer_id": id}), None))
        .await?;
    let history = state["payload"]["timer"]["pause_history"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(history, 2, "start and one pause: {state}");

    // A failed command is not remembered: once the timer can be resumed, the same key works.
    let resume = with_id(control("resume", &id), "resume-1");
    let resumed = phone.request(&resume).await?;
    assert_eq!(resumed["payload"]["action"], "resume", "{resumed}");
    let failed = phone
        .request(&with_id(control("resume", &id), "resume-2"))
        .await?;
    assert_eq!(failed["payload"]["code"], "RESUME_FAILED");
    phone.request(&control("pause", &id)).await?;
    let retried = phone
        .request(&with_id(control("resume", &id), "resume-2"))
        .await?;
    assert_eq!(retried["payload"]["action"], "resume", "{retried}");

    // timer.sync is never remembered: the same key returns fresh state each time.
    let sync = with_id(
        message("timer.sync", json!({"timer_id": id}), None),
        "sync-1",
    );
    let before = phone.request(&sync).await?;
    phone.request(&control("pause", &id)).await?;
    let after = phone.request(&sync).await?;
    assert_ne!(
        before["payload"]["timer"]["version"],
        after["payload"]["timer"]["version"]
    );
    app.stop().await
}

#[tokio::test]
async fn a_replay_after_reconnecting_is_rendered_in_the_new_time_zone() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut naive = Client::connect(&app, "alice", "").await?;
    let create_once = with_id(create(600, json!({})), "tz-1");
    let first = naive.request(&create_once).await?;
    let mut seoul = Client::connect(&app, "alice", "?timezone=Asia/Seoul").await?;
    let replayed = seoul.request(&create_once).await?;
    assert_eq!(
        replayed["payload"]["timer"]["id"],
        first["payload"]["timer"]["id"]
    );
    let naive_start = first["payload"]["timer"]["started_at"]
        .as_str()
        .unwrap_or_default();
    let seoul_start = replayed["payload"]["timer"]["started_at"]
        .as_str()
        .unwrap_or_default();
    assert!(seoul_start.ends_with("+09:00"), "{seoul_start}");
    let instant = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|d| d.timestamp());
    assert_eq!(instant(seoul_start)?, instant(&format!("{naive_start}Z"))?);
    let at = replayed["payload"]["timer"]["pause_history"][0]["at"]
        .as_str()
        .unwrap_or_default();
    assert!(at.ends_with("+09:00"), "{at}");
    naive.expect_silence(QUIET).await?;
    app.stop().await
}

#[tokio::test]
async fn of_two_concurrent_duplicates_one_applies_and_the_other_gets_the_replay()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut phone = Client::connect(&app, "alice", "").await?;
    let mut laptop = Client::connect(&app, "alice", "").await?;
    let duplicate = with_id(create(600, json!({"title": "dup"})), "dup-1");
    let (a, b) = tokio::join!(phone.send(&duplicate), laptop.send(&duplicate));
    a?;
    b?;
    let mut replies = Vec::new();
    for device in [&mut phone, &mut laptop] {
        // Its reply (with request_id); a fan-out copy may come too, but only for the device
        // that did not apply the command, and carries the same timer.
        let mut reply = device.recv().await?;
        if reply.get("request_id").is_none() {
            reply = device.recv().await?;
        }
        assert_eq!(reply["type"], "timer.created", "{reply}");
        assert_eq!(reply["request_id"], "dup-1");
        replies.push(timer_id(&reply)?);
    }
    assert_eq!(replies[0], replies[1], "one timer for both");
    let all = phone
        .request(&message("timer.sync", json!({"scope": "all"}), None))
        .await?;
    let count = if all["type"] == "timer.created" {
        // The fan-out copy arrived after the reply: skip it.
        phone.recv().await?["payload"]["count"].clone()
    } else {
        all["payload"]["count"].clone()
    };
    assert_eq!(count, 1);
    app.stop().await
}

#[tokio::test]
async fn request_ids_longer_than_64_characters_are_refused() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut alice = Client::connect(&app, "alice", "").await?;
    let reply = alice
        .request(&with_id(create(60, json!({})), &"r".repeat(65)))
        .await?;
    assert_eq!(reply["payload"]["code"], "INVALID_MESSAGE");
    assert!(
        reply["payload"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("request_id")),
        "{reply}"
    );
    let ok = alice
        .request(&with_id(create(60, json!({})), &"r".repeat(64)))
        .await?;
    assert_eq!(ok["type"], "timer.created");
    app.stop().await
}
