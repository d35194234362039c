//! The notification stream over real HTTP: every notification type to exactly the right
//! receivers with the exact payload, several tabs, replay by `Last-Event-ID` / `lastEventId`
//! with no gap and no duplicate, heartbeats, the stream cap, token expiry, shutdown, 401.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::auth_support::{claims, hs256, now, with};
use crate::helpers::TestApp;
use crate::sse_client::{
    Member, SseStream, call, create_meetup, follow, member, request, send_test,
};

fn is_naive_utc(text: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").is_ok()
}

/// Asserts everything of a notification but `id` and `createdAt`, which it checks for shape.
fn assert_notification(
    data: &Value,
    receiver: &Member,
    actor: &Member,
    kind: &str,
    message: &str,
    related: Option<i64>,
) {
    let related_type = match kind {
        "FOLLOW" => "FOLLOW",
        "TEST" => "TEST",
        _ => "POST",
    };
    let redirect = match (kind, related) {
        ("FOLLOW", _) => format!("/profile/{}", actor.id),
        ("TEST", _) => "/docs".to_owned(),
        (_, Some(id)) => format!("/post/{id}"),
        (_, None) => String::new(),
    };
    let created = data["createdAt"].as_str().unwrap_or_default();
    assert!(is_naive_utc(created), "{data}");
    assert!(data["id"].as_i64().is_some_and(|id| id > 0), "{data}");
    let expected = json!({
        "id": data["id"],
        "receiverId": receiver.id,
        "actorId": actor.id,
        "actorNickname": actor.nickname,
        "actorProfileImage": format!("https://img.example/{}.png", actor.nickname),
        "type": kind,
        "message": message,
        "isRead": false,
        "relatedId": related,
        "relatedType": related_type,
        "redirectUrl": redirect,
        "createdAt": created,
    });
    assert_eq!(data, &expected);
}

#[tokio::test]
async fn the_stream_starts_with_connect_and_the_contract_headers() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let alice = member(&app, "sse-headers", "alice").await?;
    let mut stream = SseStream::open(&app, &format!("accessToken={}", alice.token), &[]).await?;
    let headers = stream.response.headers().clone();
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["x-accel-buffering"], "no");
    assert!(
        headers
            .get("content-encoding")
            .is_none_or(|value| value == "identity"),
        "{headers:?}"
    );
    let first = stream.expect_frame().await?;
    assert_eq!(first.retry, Some(3000));
    assert_eq!(first.event.as_deref(), Some("connect"));
    assert_eq!(first.data, "Connected");

    // The Authorization header works too (extension).
    let bearer = format!("Bearer {}", alice.token);
    let mut by_header = SseStream::open(&app, "", &[("Authorization", bearer.as_str())]).await?;
    assert_eq!(
        by_header.expect_frame().await?.event.as_deref(),
        Some("connect")
    );
    app.stop().await
}

#[tokio::test]
async fn a_bad_token_is_a_401_json_before_any_stream() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let expired = hs256(&with(claims("sse-expired"), json!({ "exp": now() - 600 })))?;
    for query in [
        String::new(),
        "accessToken=".to_owned(),
        "accessToken=not.a.jwt".to_owned(),
        format!("accessToken={expired}"),
    ] {
        let response = request(&app, &query, &[]).await?;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{query}");
        assert!(
            response.headers()["content-type"]
                .to_str()?
                .starts_with("application/json")
        );
        let body: Value = response.json().await?;
        assert_eq!(body["code"], "UNAUTHORIZED", "{query}: {body}");
        assert!(body["message"].is_string());
    }
    // A foreign browser origin is refused like on the WebSocket.
    let alice = member(&app, "sse-origin", "alice").await?;
    let response = request(
        &app,
        &format!("accessToken={}", alice.token),
        &[("Origin", "https://evil.example")],
    )
    .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    app.stop().await
}

#[tokio::test]
async fn every_type_reaches_exactly_its_receivers_with_the_exact_payload() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let host = member(&app, "sse-host", "host").await?;
    let fan = member(&app, "sse-fan", "fan").await?;
    let joiner = member(&app, "sse-joiner", "joiner").await?;
    let bystander = member(&app, "sse-bystander", "bystander").await?;
    let mut host_stream = SseStream::connect(&app, &host).await?;
    let mut fan_stream = SseStream::connect(&app, &fan).await?;
    let mut joiner_stream = SseStream::connect(&app, &joiner).await?;
    let mut bystander_stream = SseStream::connect(&app, &bystander).await?;

    // FOLLOW: fan → host.
    assert_eq!(follow(&app, &fan, &host).await?, StatusCode::CREATED);
    let data = host_stream.next_notification().await.context("step 1")?;
    assert_notification(
        &data.json()?,
        &host,
        &fan,
        "FOLLOW",
        "fan님이 회원님을 팔로우하기 시작했습니다.",
        None,
    );
    assert_eq!(data.id, Some(data.json()?["id"].to_string()));

    // CREATE: to the host's followers (fan), not to others.
    let meetup = create_meetup(&app, &host, Some(3)).await?;
    let data = fan_stream
        .next_notification()
        .await
        .context("step 2")?
        .json()?;
    assert_notification(
        &data,
        &fan,
        &host,
        "CREATE",
        "host님이 모임을 생성하셨습니다.",
        Some(meetup),
    );

    // ENTER: joiner joins → host.
    let path = format!("/api/v1/meetups/{meetup}/participants");
    let (status, body) = call(&app, &joiner, Method::POST, &path, None).await?;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let data = host_stream
        .next_notification()
        .await
        .context("step 3")?
        .json()?;
    assert_notification(
        &data,
        &host,
        &joiner,
        "ENTER",
        "joiner님이 모임에 참여하셨습니다.",
        Some(meetup),
    );

    // EXIT: fan joins (ENTER) and leaves → host.
    assert_eq!(
        call(&app, &fan, Method::POST, &path, None).await?.0,
        StatusCode::CREATED
    );
    let (status, _) = call(&app, &fan, Method::DELETE, &format!("{path}/me"), None).await?;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let enter = host_stream
        .next_notification()
        .await
        .context("step 4")?
        .json()?;
    assert_eq!(enter["type"], "ENTER");
    let data = host_stream
        .next_notification()
        .await
        .context("step 5")?
        .json()?;
    assert_notification(
        &data,
        &host,
        &fan,
        "EXIT",
        "fan님이 모임에서 퇴장하셨습니다.",
        Some(meetup),
    );

    // CANCLE: to the other participants (joiner), not the host nor the one who left.
    let (status, body) = call(
        &app,
        &host,
        Method::POST,
        &format!("/api/v1/meetups/{meetup}/cancel"),
        None,
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "CANCELLED");
    let data = joiner_stream
        .next_notification()
        .await
        .context("step 6")?
        .json()?;
    assert_notification(
        &data,
        &joiner,
        &host,
        "CANCLE",
        "host님이 모임을 취소하셨습니다.",
        Some(meetup),
    );

    // TEST: to the caller only; then nobody got anything else.
    for (who, stream, expected) in [
        (&host, &mut host_stream, vec![]),
        (&fan, &mut fan_stream, vec![]),
        (&joiner, &mut joiner_stream, vec![]),
        (&bystander, &mut bystander_stream, vec![]),
    ] {
        let returned = send_test(&app, who).await?;
        assert_notification(&returned, who, who, "TEST", "테스트 알림 응답", None);
        let types: Vec<String> = stream
            .types_until_test()
            .await
            .with_context(|| who.nickname.clone())?;
        assert_eq!(types, expected as Vec<String>, "{}", who.nickname);
    }
    app.stop().await
}

#[tokio::test]
async fn follow_is_notified_once_per_24_hours_and_two_tabs_both_receive() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let alice = member(&app, "sse-tabs-a", "alice").await?;
    let bob = member(&app, "sse-tabs-b", "bob").await?;
    let mut tab1 = SseStream::connect(&app, &bob).await?;
    let mut tab2 = SseStream::connect(&app, &bob).await?;
    assert_eq!(follow(&app, &alice, &bob).await?, StatusCode::CREATED);
    assert_eq!(follow(&app, &alice, &bob).await?, StatusCode::OK);
    let path = format!("/api/v1/users/{}/follow", bob.id);
    assert_eq!(
        call(&app, &alice, Method::DELETE, &path, None).await?.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(follow(&app, &alice, &bob).await?, StatusCode::CREATED);
    send_test(&app, &bob).await?;
    for tab in [&mut tab1, &mut tab2] {
        assert_eq!(tab.types_until_test().await?, vec!["FOLLOW".to_owned()]);
    }
    app.stop().await
}

#[tokio::test]
async fn reconnecting_with_last_event_id_replays_exactly_the_missed_ones() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let bob = member(&app, "sse-replay-b", "bob").await?;
    let mut stream = SseStream::connect(&app, &bob).await?;
    send_test(&app, &bob).await?;
    let seen = stream.next_notification().await?;
    let last = seen.id.clone().unwrap_or_default();
    drop(stream);

    // Three notifications while disconnected.
    let mut missed = Vec::new();
    for sub in ["sse-replay-1", "sse-replay-2", "sse-replay-3"] {
        let follower = member(&app, sub, sub).await?;
        follow(&app, &follower, &bob).await?;
        missed.push(follower.id);
    }
    let mut again = SseStream::open(
        &app,
        &format!("accessToken={}", bob.token),
        &[("Last-Event-ID", last.as_str())],
    )
    .await?;
    assert_eq!(
        again.expect_frame().await?.event.as_deref(),
        Some("connect")
    );
    let mut ids = Vec::new();
    for expected_actor in &missed {
        let frame = again.next_notification().await?;
        let data = frame.json()?;
        assert_eq!(data["type"], "FOLLOW");
        assert_eq!(data["actorId"], *expected_actor);
        ids.push(data["id"].as_i64().unwrap_or_default());
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    // Then live, with nothing repeated.
    send_test(&app, &bob).await?;
    assert!(again.types_until_test().await?.is_empty());
    app.stop().await
}

#[tokio::test]
async fn a_notification_made_while_offline_arrives_on_the_next_connect() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let alice = member(&app, "sse-offline-a", "alice").await?;
    let bob = member(&app, "sse-offline-b", "bob").await?;
    follow(&app, &alice, &bob).await?;
    // A page that rendered nothing yet asks for everything after 0.
    let mut stream = SseStream::connect_with(&app, &bob, "&lastEventId=0").await?;
    let data = stream.next_notification().await?.json()?;
    assert_eq!(data["type"], "FOLLOW");
    assert_eq!(data["actorId"], alice.id);
    app.stop().await
}

#[tokio::test]
async fn heartbeats_come_every_configured_interval_in_utc() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&["--sse-heartbeat-seconds", "1"]).await?;
    let alice = member(&app, "sse-heartbeat", "alice").await?;
    let mut stream = SseStream::connect_with(&app, &alice, "&timezone=Asia/Seoul").await?;
    let started = Instant::now();
    // The opening chunk ends with the unread count; heartbeats follow.
    let opening = stream.expect_frame().await?;
    assert_eq!(opening.event.as_deref(), Some("unread-count"));
    for beat in 1..=2u32 {
        let frame = stream.expect_frame().await?;
        assert_eq!(frame.event.as_deref(), Some("heartbeat"));
        assert!(
            chrono::DateTime::parse_from_rfc3339(&frame.data).is_ok() && frame.data.ends_with('Z'),
            "{}",
            frame.data
        );
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(900) * beat
                && elapsed < Duration::from_millis(1600) * beat,
            "beat {beat} after {elapsed:?}"
        );
    }
    // The stream's timezone renders createdAt.
    send_test(&app, &alice).await?;
    let data = stream.next_notification().await?.json()?;
    assert!(
        data["createdAt"]
            .as_str()
            .is_some_and(|t| t.ends_with("+09:00")),
        "{data}"
    );
    app.stop().await
}

#[tokio::test]
async fn past_the_cap_the_oldest_stream_is_told_to_wait_and_closed() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&["--sse-max-streams-per-user", "2"]).await?;
    let alice = member(&app, "sse-cap", "alice").await?;
    let mut oldest = SseStream::connect(&app, &alice).await?;
    let mut second = SseStream::connect(&app, &alice).await?;
    let mut third = SseStream::connect(&app, &alice).await?;
    let last = oldest.expect_end(Duration::from_secs(5)).await?;
    assert!(
        last.iter().any(|frame| frame.retry == Some(3_600_000)
            && frame.event.as_deref() == Some("evicted")
            && frame.data == r#"{"retryMs":3600000}"#),
        "{last:?}"
    );
    send_test(&app, &alice).await?;
    for stream in [&mut second, &mut third] {
        assert!(stream.types_until_test().await?.is_empty());
    }
    app.stop().await
}

#[tokio::test]
async fn the_stream_ends_when_the_token_expires() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let long = member(&app, "sse-expiry", "alice").await?;
    let short = Member {
        token: hs256(&with(claims("sse-expiry"), json!({ "exp": now() + 2 })))?,
        ..long
    };
    let mut stream = SseStream::connect(&app, &short).await?;
    let started = Instant::now();
    stream.expect_end(Duration::from_secs(5)).await?;
    assert!(started.elapsed() >= Duration::from_millis(500));
    app.stop().await
}

#[tokio::test]
async fn graceful_shutdown_ends_open_streams() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let alice = member(&app, "sse-shutdown", "alice").await?;
    let mut stream = SseStream::connect(&app, &alice).await?;
    let stopping = tokio::spawn(app.stop());
    stream.expect_end(Duration::from_secs(8)).await?;
    stopping.await?
}
