//! `timer.time_up` from the server: one per crossing to every device of the owner on every
//! instance, never for a paused or stopped timer, at the running total after a resume, moved by
//! a PATCH of `allocated_duration`, late after a time no scheduler ran; and the `TIME_UP` /
//! `TIMER_FORGOTTEN` notifications it leaves.
//!
//! The instances are in-process servers on one test database ([`TestApp::spawn_beside`]); the
//! allocations are 1–2 s, so every test waits for the server's own message, never for a margin.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{DateTime, NaiveDateTime};
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl as _;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::ws_client::{Client, control, create, timer_id, token};

/// How long a test waits for the time-up it expects (the allocation plus the scheduler's poll,
/// on a loaded machine).
const WAIT: Duration = Duration::from_secs(30);

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many notifications of `kind` the database holds for `timer`.
async fn notifications(app: &TestApp, kind: &str, timer: &str) -> anyhow::Result<i64> {
    let mut conn = app.database().pool().get().await?;
    let count: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM notifications WHERE kind = $1 AND related_timer_id = $2::uuid",
    )
    .bind::<Text, _>(kind)
    .bind::<Text, _>(timer)
    .get_result(&mut conn)
    .await?;
    Ok(count.n)
}

/// Reads messages until a `timer.time_up` arrives; returns it and the messages before it.
async fn next_time_up(client: &mut Client) -> anyhow::Result<(Value, Vec<Value>)> {
    let deadline = Instant::now() + WAIT;
    let mut before = Vec::new();
    loop {
        if Instant::now() > deadline {
            bail!("no timer.time_up within {WAIT:?}; got {before:?}");
        }
        // `recv` gives up after its own timeout; the allocation may be longer.
        match tokio::time::timeout(Duration::from_secs(5), client.recv()).await {
            Err(_) => continue,
            Ok(message) => {
                let message = message?;
                if message["type"] == "timer.time_up" {
                    return Ok((message, before));
                }
                before.push(message);
            }
        }
    }
}

/// Unix seconds of a rendered instant: with an offset, or naive (UTC) when no zone was asked.
fn seconds(raw: &Value) -> anyhow::Result<i64> {
    let text = raw
        .as_str()
        .with_context(|| format!("not an instant: {raw}"))?;
    match DateTime::parse_from_rfc3339(text) {
        Ok(instant) => Ok(instant.timestamp()),
        Err(_) => Ok(NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
            .with_context(|| format!("not an instant: {raw}"))?
            .and_utc()
            .timestamp()),
    }
}

/// A time-up carries the RUNNING timer at or past its allocation, rendered when it went off.
fn check_time_up(message: &Value) -> anyhow::Result<()> {
    let payload = &message["payload"];
    let timer = &payload["timer"];
    assert_eq!(timer["status"], "RUNNING", "{message}");
    let elapsed = timer["elapsed_time"].as_i64().context("elapsed_time")?;
    let allocated = timer["allocated_duration"].as_i64().context("allocated")?;
    assert!(elapsed >= allocated, "{message}");
    assert!(payload["late"].is_boolean(), "{message}");
    assert!(
        seconds(&message["timestamp"])? >= seconds(&payload["due_at"])?,
        "sent before it was due: {message}"
    );
    Ok(())
}

#[tokio::test]
async fn every_device_on_every_instance_hears_each_crossing_once() -> anyhow::Result<()> {
    let first = TestApp::spawn().await?;
    let second = TestApp::spawn_beside(&first, &[]).await?;
    let mut phone = Client::connect(&first, "owner", "").await?;
    let mut laptop = Client::connect(&second, "owner", "?timezone=Asia/Seoul").await?;

    let mut timers = Vec::new();
    for _ in 0..4 {
        let created = phone.request(&create(1, json!({"title": "focus"}))).await?;
        timers.push(timer_id(&created)?);
    }

    for device in [&mut phone, &mut laptop] {
        let mut heard: HashMap<String, usize> = HashMap::new();
        while heard.len() < timers.len() {
            let (message, _) = next_time_up(device).await?;
            check_time_up(&message)?;
            *heard.entry(timer_id(&message)?).or_default() += 1;
        }
        assert!(heard.values().all(|n| *n == 1), "{heard:?}");
    }
    for timer in &timers {
        assert_eq!(notifications(&first, "TIME_UP", timer).await?, 1, "{timer}");
    }

    // The notification list shows it, pointing at the timer.
    let listed: Value = first
        .client
        .get(first.url("/api/v1/notifications"))
        .bearer_auth(token("owner")?)
        .send()
        .await?
        .json()
        .await?;
    let items = listed.as_array().context("a list")?;
    let time_ups: Vec<&Value> = items.iter().filter(|n| n["type"] == "TIME_UP").collect();
    assert_eq!(time_ups.len(), timers.len(), "{listed}");
    for notification in time_ups {
        assert_eq!(notification["relatedType"], "TIMER");
        let related = notification["relatedId"].as_str().context("relatedId")?;
        assert!(timers.iter().any(|t| t == related), "{notification}");
        assert_eq!(notification["redirectUrl"], format!("/timers/{related}"));
        assert_eq!(
            notification["message"],
            "'focus' 타이머의 시간이 다 되었습니다."
        );
    }
    second.stop().await?;
    first.stop().await
}

#[tokio::test]
async fn a_paused_or_stopped_timer_never_fires() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut device = Client::connect(&app, "owner", "").await?;
    let paused = timer_id(&device.request(&create(1, json!({}))).await?)?;
    device.request(&control("pause", &paused)).await?;
    let stopped = timer_id(&device.request(&create(1, json!({}))).await?)?;
    device.request(&control("stop", &stopped)).await?;
    // Created last with the longer allocation, so it is due after the two above would have been:
    // the scheduler fires in order of due instant, so theirs would come first.
    let witness = timer_id(&device.request(&create(2, json!({}))).await?)?;

    let (message, before) = next_time_up(&mut device).await?;
    assert_eq!(timer_id(&message)?, witness, "{message}");
    assert!(
        before.iter().all(|m| m["type"] != "timer.time_up"),
        "{before:?}"
    );
    assert_eq!(notifications(&app, "TIME_UP", &paused).await?, 0);
    assert_eq!(notifications(&app, "TIME_UP", &stopped).await?, 0);
    app.stop().await
}

#[tokio::test]
async fn a_resumed_timer_fires_when_its_running_intervals_add_up() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut device = Client::connect(&app, "owner", "").await?;
    let id = timer_id(&device.request(&create(2, json!({}))).await?)?;
    device.request(&control("pause", &id)).await?;
    // Paused across a whole-second boundary, so the wall clock and the running time part.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    device.request(&control("resume", &id)).await?;

    let (message, _) = next_time_up(&mut device).await?;
    check_time_up(&message)?;
    let history = message["payload"]["timer"]["pause_history"]
        .as_array()
        .context("pause_history")?;
    let start = seconds(&history[0]["at"])?;
    let paused = &history[1];
    let resumed = seconds(&history[2]["at"])?;
    let ran_before_pause = paused["elapsed"].as_i64().context("elapsed")?;
    let due = seconds(&message["payload"]["due_at"])?;
    assert_eq!(due, resumed + (2 - ran_before_pause), "{message}");
    assert!(due > start + 2, "the pause moved it: {message}");
    app.stop().await
}

#[tokio::test]
async fn a_patched_allocation_moves_the_crossing() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut device = Client::connect(&app, "owner", "").await?;
    let id = timer_id(&device.request(&create(3600, json!({}))).await?)?;

    let response = app
        .client
        .patch(app.url(&format!("/v1/timers/{id}")))
        .bearer_auth(token("owner")?)
        .json(&json!({"allocated_duration": 1}))
        .send()
        .await?;
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let (message, _) = next_time_up(&mut device).await?;
    assert_eq!(timer_id(&message)?, id);
    assert_eq!(message["payload"]["timer"]["allocated_duration"], 1);
    check_time_up(&message)?;

    let refused = app
        .client
        .patch(app.url(&format!("/v1/timers/{id}")))
        .bearer_auth(token("owner")?)
        .json(&json!({"allocated_duration": null}))
        .send()
        .await?;
    assert_eq!(refused.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await
}

#[tokio::test]
async fn a_crossing_missed_while_no_scheduler_ran_fires_late_when_one_starts() -> anyhow::Result<()>
{
    // The only instance running has no scheduler: as if every scheduling instance were down.
    let quiet = TestApp::spawn_with(&["--alarm-scheduler-enabled", "false"]).await?;
    let mut device = Client::connect(&quiet, "owner", "").await?;
    let created = device.request(&create(1, json!({}))).await?;
    let id = timer_id(&created)?;
    let started = seconds(&created["payload"]["timer"]["started_at"])?;

    // Let the crossing (started + 1 s) fall more than the 2 s of lateness behind.
    let late_from = started + 1 + 3;
    while crate::ws_client::unix_now()? <= late_from {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(notifications(&quiet, "TIME_UP", &id).await?, 0);

    let scheduler = TestApp::spawn_beside(&quiet, &[]).await?;
    let (message, _) = next_time_up(&mut device).await?;
    assert_eq!(timer_id(&message)?, id);
    assert_eq!(message["payload"]["late"], true, "{message}");
    check_time_up(&message)?;
    assert_eq!(notifications(&quiet, "TIME_UP", &id).await?, 1);
    scheduler.stop().await?;
    quiet.stop().await
}

#[tokio::test]
async fn a_timer_running_far_past_its_allocation_is_reported_forgotten_once() -> anyhow::Result<()>
{
    let app = TestApp::spawn_with(&["--forgotten-after-seconds", "1"]).await?;
    let mut device = Client::connect(&app, "owner", "").await?;
    let id = timer_id(
        &device
            .request(&create(1, json!({"title": "essay"})))
            .await?,
    )?;
    next_time_up(&mut device).await?;

    // The forgotten alarm leaves only a notification: wait for it in the database.
    let deadline = Instant::now() + WAIT;
    while notifications(&app, "TIMER_FORGOTTEN", &id).await? == 0 {
        if Instant::now() > deadline {
            bail!("no TIMER_FORGOTTEN within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Nothing is pending any more for this allocation.
    let mut conn = app.database().pool().get().await?;
    let pending: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM timer_alarms WHERE timer_id = $1::uuid AND due_at IS NOT NULL",
    )
    .bind::<Text, _>(&id)
    .get_result(&mut conn)
    .await?;
    assert_eq!(pending.n, 0);
    drop(conn);
    assert_eq!(notifications(&app, "TIMER_FORGOTTEN", &id).await?, 1);
    assert_eq!(notifications(&app, "TIME_UP", &id).await?, 1);
    app.stop().await
}
