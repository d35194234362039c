//! `/v1/ws/timers` end to end: handshake, every message type and error code, multi-device
//! fan-out in several time zones, friends, the concurrent-pause race.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::ws_client::{
    Client, befriend, control, create, follow, message, open, refused, tag, timer_id, token,
    token_at, unix_now, ws_url,
};

/// How long "nothing else arrives" is watched for.
const QUIET: Duration = Duration::from_millis(400);

fn is_utc_z(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.len() == 20 && s.ends_with('Z'))
}

#[tokio::test]
async fn connecting_echoes_the_bearer_subprotocol_then_greets_and_syncs() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let bearer = format!("authorization.bearer.{}", token("alice")?);
    let mut alice = Client::connect_offering(&ws_url(&app, ""), &[&bearer]).await?;
    assert_eq!(alice.protocol.as_deref(), Some(bearer.as_str()));
    assert_eq!(
        alice.initial_sync["payload"],
        json!({"timers": [], "count": 0})
    );
    assert_eq!(alice.initial_sync["from_user"], json!(alice.user_id));
    assert!(is_utc_z(&alice.initial_sync["timestamp"]));

    // A second device sees the first one's timers in its automatic sync, newest first, and
    // `hourglass.v1` is echoed instead of the token when offered.
    let mut watcher = Client::connect(&app, "alice", "").await?;
    let first = alice.request(&create(600, json!({"title": "one"}))).await?;
    let second = alice.request(&create(600, json!({"title": "two"}))).await?;
    let stopped = alice.request(&create(600, json!({}))).await?;
    alice
        .request(&control("stop", &timer_id(&stopped)?))
        .await?;
    // Fan-out is asynchronous (through the database), in commit order: once another device has
    // heard the stop, nothing about these timers is still on its way to a device connecting now.
    while watcher.recv().await?["payload"]["action"] != "stop" {}
    let mut phone = Client::connect_offering(&ws_url(&app, ""), &[&bearer, "hourglass.v1"]).await?;
    assert_eq!(phone.protocol.as_deref(), Some("hourglass.v1"));
    let synced = &phone.initial_sync["payload"];
    assert_eq!(synced["count"], 2, "{synced}");
    assert_eq!(synced["timers"][0]["id"], json!(timer_id(&second)?));
    assert_eq!(synced["timers"][1]["id"], json!(timer_id(&first)?));
    phone.expect_silence(QUIET).await?;
    app.stop().await
}

#[tokio::test]
async fn connected_carries_the_user_id_and_no_from_user() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let bearer = format!("authorization.bearer.{}", token("bob")?);
    let (mut socket, _) = open(&ws_url(&app, ""), &[&bearer], None).await?;
    let mut client_messages = Vec::new();
    for _ in 0..2 {
        let Some(Ok(frame)) = futures_util::StreamExt::next(&mut socket).await else {
            panic!("the greeting did not arrive")
        };
        client_messages.push(serde_json::from_str::<Value>(frame.to_text()?)?);
    }
    let connected = &client_messages[0];
    assert_eq!(connected["type"], "connected");
    assert_eq!(
        connected["payload"]["message"],
        "Connected to timer WebSocket"
    );
    assert!(
        connected["payload"]["user_id"]
            .as_str()
            .is_some_and(|id| id.parse::<i64>().is_ok())
    );
    assert!(connected.get("from_user").is_none() && connected.get("request_id").is_none());
    assert!(is_utc_z(&connected["timestamp"]));
    app.stop().await
}

#[tokio::test]
async fn bad_missing_and_expired_tokens_are_closed_with_1008_after_the_upgrade()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let url = ws_url(&app, "");
    let cases = [
        ("authorization.bearer.not-a-jwt".to_owned(), "invalid"),
        (
            format!(
                "authorization.bearer.{}",
                token_at("alice", 60, unix_now()? - 3600)?
            ),
            "expired",
        ),
    ];
    for (bearer, needle) in cases {
        let (mut socket, response) = open(&url, &[&bearer], None).await?;
        // Echoed even for a bad token, so that a browser accepts the upgrade and sees the code.
        assert_eq!(
            response
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|v| v.to_str().ok()),
            Some(bearer.as_str())
        );
        let (code, reason) =
            crate::ws_client::expect_close(&mut socket, Duration::from_secs(5)).await?;
        assert_eq!(code, 1008);
        assert!(reason.contains(needle), "{reason}");
    }
    // No subprotocol at all, and a token in the query string (never read).
    let query_url = ws_url(&app, &format!("?token={}", token("alice")?));
    for url in [url.as_str(), query_url.as_str()] {
        let (mut socket, _) = open(url, &[], None).await?;
        let (code, reason) =
            crate::ws_client::expect_close(&mut socket, Duration::from_secs(5)).await?;
        assert_eq!(code, 1008);
        assert!(reason.contains("missing access token"), "{reason}");
    }
    app.stop().await
}

#[tokio::test]
async fn a_session_is_closed_with_1008_when_its_token_expires() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let bearer = format!(
        "authorization.bearer.{}",
        token_at("alice", 2, unix_now()?)?
    );
    let mut alice = Client::connect_offering(&ws_url(&app, ""), &[&bearer]).await?;
    let (code, reason) = alice.expect_close(Duration::from_secs(4)).await?;
    assert_eq!(code, 1008);
    assert!(reason.contains("expired"), "{reason}");
    app.stop().await
}

#[tokio::test]
async fn an_invalid_timezone_is_refused_with_400_before_the_upgrade() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let bearer = format!("authorization.bearer.{}", token("alice")?);
    let (status, body) = refused(&ws_url(&app, "?timezone=Mars/Olympus"), &[&bearer], None).await?;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "INVALID_TIMEZONE");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Mars/Olympus"))
    );
    app.stop().await
}

#[tokio::test]
async fn origins_are_checked_before_the_upgrade() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&[
        "--cors-allowed-origins",
        "https://app.example.com,ws://localhost:5173",
    ])
    .await?;
    let bearer = format!("authorization.bearer.{}", token("alice")?);
    let url = ws_url(&app, "");
    for origin in ["https://evil.example.com", "null", "http://app.example.com"] {
        let (status, body) = refused(&url, &[&bearer], Some(origin)).await?;
        assert_eq!(status, 403, "{origin}");
        assert_eq!(body["code"], "FORBIDDEN", "{origin}");
    }
    let own = app.address.clone();
    for origin in [
        "https://app.example.com",
        "http://localhost:5173",
        own.as_str(),
    ] {
        let (mut socket, _) = open(&url, &[&bearer], Some(origin)).await?;
        let Some(Ok(first)) = futures_util::StreamExt::next(&mut socket).await else {
            panic!("{origin}: no greeting")
        };
        assert!(first.to_text()?.contains("\"connected\""), "{origin}");
    }
    app.stop().await
}

/// The WebSocket handshake status for `headers` (an `Origin` and forwarding headers).
async fn handshake_status(
    url: &str,
    bearer: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<u16> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};

    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_str(bearer)?);
    for (name, value) in headers {
        request.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes())?,
            HeaderValue::from_str(value)?,
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => Ok(101),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Ok(response.status().as_u16())
        }
        Err(other) => Err(other.into()),
    }
}

/// Issue 17: `Host`, `Forwarded` and `X-Forwarded-*` name the server's own origin only when the
/// peer is in `TRUSTED_PROXIES`; from anyone else a spoofed one does not make a foreign
/// `Origin` "same-origin" (WebSocket and SSE handshakes).
#[tokio::test]
async fn forwarding_headers_count_only_from_trusted_proxies() -> anyhow::Result<()> {
    let spoofs: [&[(&str, &str)]; 3] = [
        &[
            ("Origin", "https://evil.example"),
            ("X-Forwarded-Host", "evil.example"),
            ("X-Forwarded-Proto", "https"),
        ],
        &[
            ("Origin", "https://evil.example"),
            ("Forwarded", "host=evil.example;proto=https"),
        ],
        &[("Origin", "http://evil.example"), ("Host", "evil.example")],
    ];
    let bearer = format!("authorization.bearer.{}", token("alice")?);
    let sse_token = token("alice")?;
    for (flags, expected) in [
        (&[][..], 403),
        (&["--trusted-proxies", "10.0.0.0/8"][..], 403),
        (&["--trusted-proxies", "10.0.0.0/8,127.0.0.1"][..], 101),
    ] {
        let app = TestApp::spawn_with(flags).await?;
        let url = ws_url(&app, "");
        for headers in spoofs {
            let status = handshake_status(&url, &bearer, headers).await?;
            assert_eq!(status, expected, "{flags:?} {headers:?}");
            let mut sse = app
                .client
                .get(app.url("/api/v1/notifications/subscribe"))
                .bearer_auth(&sse_token);
            for (name, value) in headers {
                sse = sse.header(*name, *value);
            }
            let status = sse.send().await?.status().as_u16();
            let expected = if expected == 101 { 200 } else { 403 };
            assert_eq!(status, expected, "SSE {flags:?} {headers:?}");
        }
        app.stop().await?;
    }
    Ok(())
}

#[tokio::test]
async fn every_command_replies_with_the_timer_and_echoes_request_id() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut alice = Client::connect(&app, "alice", "").await?;
    let focus = tag(&app, alice.user()?, "focus", "#ff8800").await?;
    let mut created = create(
        1500,
        json!({"title": "Write report", "description": "draft", "tag_ids": [focus.to_string()],
               "visibility": "private", "schedule_id": null}),
    );
    created["request_id"] = json!("c-1");
    let reply = alice.request(&created).await?;
    assert_eq!(reply["type"], "timer.created", "{reply}");
    assert_eq!(reply["request_id"], "c-1");
    assert_eq!(reply["from_user"], json!(alice.user_id));
    assert!(is_utc_z(&reply["timestamp"]));
    let timer = &reply["payload"]["timer"];
    assert_eq!(reply["payload"]["action"], "start");
    assert_eq!(timer["status"], "RUNNING");
    assert_eq!(timer["title"], "Write report");
    assert_eq!(timer["visibility"], "private");
    assert_eq!(timer["version"], 1);
    assert_eq!(timer["owner_id"], json!(alice.user_id));
    assert_eq!(timer["is_shared"], false);
    assert_eq!(timer["schedule"], Value::Null);
    assert_eq!(timer["todo"], Value::Null);
    assert_eq!(
        timer["tags"],
        json!([{"id": focus.to_string(), "name": "focus", "color": "#FF8800"}])
    );
    // Naive UTC without `timezone`.
    let started = timer["started_at"].as_str().unwrap_or_default();
    assert_eq!(started.len(), 19, "{started}");
    let id = timer_id(&reply)?;

    for (verb, status, version) in [
        ("pause", "PAUSED", 2),
        ("resume", "RUNNING", 3),
        ("stop", "COMPLETED", 4),
    ] {
        let reply = alice.request(&control(verb, &id)).await?;
        assert_eq!(reply["type"], "timer.updated", "{reply}");
        assert_eq!(reply["payload"]["action"], verb);
        assert_eq!(reply["payload"]["timer"]["status"], status);
        assert_eq!(reply["payload"]["timer"]["version"], version);
        assert!(reply.get("request_id").is_none());
    }
    let history = alice
        .request(&message("timer.sync", json!({"timer_id": id}), Some("s-1")))
        .await?;
    assert_eq!(history["type"], "timer.updated");
    assert_eq!(history["payload"]["action"], "sync");
    assert_eq!(history["request_id"], "s-1");
    let actions: Vec<&str> = history["payload"]["timer"]["pause_history"]
        .as_array()
        .map(|events| events.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(actions, ["start", "pause", "resume", "stop"]);
    assert!(history["payload"]["timer"]["pause_history"][1]["elapsed"].is_i64());

    let other = alice.request(&create(60, json!({}))).await?;
    let cancelled = alice
        .request(&control("cancel", &timer_id(&other)?))
        .await?;
    assert_eq!(cancelled["payload"]["action"], "cancel");
    assert_eq!(cancelled["payload"]["timer"]["status"], "CANCELLED");

    let active = alice
        .request(&message("timer.sync", json!({}), None))
        .await?;
    assert_eq!(active["type"], "timer.sync_result");
    assert_eq!(active["payload"]["count"], 0);
    let all = alice
        .request(&message("timer.sync", json!({"scope": "all"}), None))
        .await?;
    assert_eq!(all["payload"]["count"], 2);
    assert_eq!(all["payload"]["timers"][1]["tags"][0]["name"], "focus");
    app.stop().await
}

#[tokio::test]
async fn every_error_code_names_the_problem_and_the_connection_stays_open() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut alice = Client::connect(&app, "alice", "").await?;
    let mut bob = Client::connect(&app, "bob", "").await?;
    let bobs = timer_id(&bob.request(&create(60, json!({}))).await?)?;
    let bobs_tag = tag(&app, bob.user()?, "mine", "#000000").await?;
    let missing = "01944f2a-0000-7000-8000-000000000001";
    let timer = timer_id(&alice.request(&create(60, json!({}))).await?)?;
    let done = timer_id(&alice.request(&create(60, json!({}))).await?)?;
    alice.request(&control("stop", &done)).await?;

    let cases: Vec<(Value, &str, &str)> = vec![
        (json!("not an object"), "INVALID_MESSAGE", "JSON object"),
        (json!({"payload": {}}), "INVALID_MESSAGE", "type"),
        (
            json!({"type": "timer.pause", "payload": []}),
            "INVALID_MESSAGE",
            "payload",
        ),
        (
            json!({"type": "timer.pause"}),
            "INVALID_MESSAGE",
            "timer_id",
        ),
        (
            control("pause", "not-a-uuid"),
            "INVALID_MESSAGE",
            "timer_id",
        ),
        (
            create(60, json!({"visibility": "everyone"})),
            "INVALID_MESSAGE",
            "visibility",
        ),
        (
            json!({"type": "timer.create", "payload": {"allocated_duration": "60"}}),
            "INVALID_MESSAGE",
            "allocated_duration",
        ),
        (
            message("timer.sync", json!({"scope": "mine"}), None),
            "INVALID_MESSAGE",
            "scope",
        ),
        (
            json!({"type": "timer.explode"}),
            "UNKNOWN_TYPE",
            "timer.explode",
        ),
        (control("pause", missing), "TIMER_NOT_FOUND", "not found"),
        (control("pause", &bobs), "TIMER_NOT_FOUND", "not found"),
        (
            message("timer.sync", json!({"timer_id": bobs}), None),
            "TIMER_NOT_FOUND",
            "not found",
        ),
        (
            create(0, json!({})),
            "CREATE_FAILED",
            "allocated_duration must be between 1 and 86400 seconds, got 0",
        ),
        (create(86_401, json!({})), "CREATE_FAILED", "86401"),
        (
            create(60, json!({"title": "x".repeat(201)})),
            "CREATE_FAILED",
            "title",
        ),
        (
            create(60, json!({"schedule_id": missing})),
            "CREATE_FAILED",
            "schedule_id",
        ),
        (
            create(60, json!({"tag_ids": [bobs_tag.to_string()]})),
            "CREATE_FAILED",
            "tag_ids",
        ),
        (
            control("resume", &timer),
            "RESUME_FAILED",
            "Cannot resume timer with status RUNNING",
        ),
        (
            control("pause", &done),
            "PAUSE_FAILED",
            "Cannot pause timer with status COMPLETED",
        ),
        (
            control("stop", &done),
            "STOP_FAILED",
            "Cannot stop timer with status COMPLETED",
        ),
        (
            control("cancel", &done),
            "CANCEL_FAILED",
            "Cannot cancel timer with status COMPLETED",
        ),
    ];
    for (sent, code, needle) in cases {
        let mut sent = sent;
        if let Some(object) = sent.as_object_mut() {
            object.insert("request_id".to_owned(), json!("e-1"));
        }
        let reply = alice.request(&sent).await?;
        assert_eq!(reply["type"], "error", "{sent} → {reply}");
        assert_eq!(reply["payload"]["code"], code, "{sent} → {reply}");
        let text = reply["payload"]["message"].as_str().unwrap_or_default();
        assert!(text.contains(needle), "{sent} → {text}");
        assert!(reply.get("from_user").is_none());
        if sent.is_object() {
            assert_eq!(reply["request_id"], "e-1", "{sent} → {reply}");
        }
    }
    // Not JSON at all, and a binary frame.
    futures_util::SinkExt::send(
        &mut alice.socket,
        tokio_tungstenite::tungstenite::Message::text("{nope"),
    )
    .await?;
    let reply = alice.recv().await?;
    assert_eq!(reply["payload"]["code"], "INVALID_MESSAGE");
    // Still open, and nothing changed.
    let paused = alice.request(&control("pause", &timer)).await?;
    assert_eq!(paused["payload"]["timer"]["version"], 2);
    bob.expect_silence(QUIET).await?;
    app.stop().await
}

#[tokio::test]
async fn every_device_sees_a_change_once_in_its_own_time_zone() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut seoul = Client::connect(&app, "alice", "?timezone=Asia/Seoul").await?;
    let mut naive = Client::connect(&app, "alice", "").await?;
    let mut offset = Client::connect(&app, "alice", "?timezone=-05:00").await?;

    let created = seoul
        .request(&create(3600, json!({"title": "deep work"})))
        .await?;
    let id = timer_id(&created)?;
    let started = created["payload"]["timer"]["started_at"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(started.ends_with("+09:00"), "{started}");
    for device in [&mut naive, &mut offset] {
        let seen = device.recv().await?;
        assert_eq!(seen["type"], "timer.created");
        assert_eq!(seen["payload"]["action"], "start");
        assert_eq!(seen["from_user"], json!(seoul.user_id));
        assert!(seen.get("request_id").is_none());
    }

    let mut pause = control("pause", &id);
    pause["request_id"] = json!("p-1");
    let reply = seoul.request(&pause).await?;
    assert_eq!(reply["request_id"], "p-1");
    let paused_at = reply["payload"]["timer"]["paused_at"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(paused_at.ends_with("+09:00"), "{paused_at}");
    let on_naive = naive.recv().await?;
    let on_offset = offset.recv().await?;
    for seen in [&on_naive, &on_offset] {
        assert_eq!(seen["type"], "timer.updated");
        assert_eq!(seen["payload"]["action"], "pause");
        assert_eq!(seen["payload"]["timer"]["version"], 2);
        assert!(
            seen.get("request_id").is_none(),
            "only the sender's copy has it"
        );
    }
    let naive_at = on_naive["payload"]["timer"]["pause_history"][1]["at"]
        .as_str()
        .unwrap_or_default();
    let offset_at = on_offset["payload"]["timer"]["pause_history"][1]["at"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(naive_at.len(), 19, "{naive_at}");
    assert!(offset_at.ends_with("-05:00"), "{offset_at}");
    // The same instant, three renderings.
    let instant = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|d| d.timestamp());
    assert_eq!(instant(&paused_at)?, instant(offset_at)?);
    assert_eq!(instant(&paused_at)?, instant(&format!("{naive_at}Z"))?);

    // The sender got exactly one copy: its reply.
    seoul.expect_silence(QUIET).await?;
    naive.expect_silence(QUIET).await?;
    app.stop().await
}

#[tokio::test]
async fn friends_hear_about_visible_timers_and_nobody_else_does() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut alice = Client::connect(&app, "alice", "").await?;
    let mut bob = Client::connect(&app, "bob", "").await?;
    let mut carol = Client::connect(&app, "carol", "").await?;
    befriend(&app, alice.user()?, bob.user()?).await?;
    // Carol follows Alice, but Alice does not follow back: not a friend.
    follow(&app, carol.user()?, alice.user()?).await?;

    let created = alice
        .request(&create(600, json!({"title": "Reading"})))
        .await?;
    let id = timer_id(&created)?;
    let activity = bob.recv().await?;
    assert_eq!(activity["type"], "timer.friend_activity");
    assert_eq!(
        activity["payload"],
        json!({"friend_id": alice.user_id, "display_name": "alice", "action": "start",
               "timer_id": id, "timer_title": "Reading"})
    );
    assert_eq!(activity["from_user"], json!(alice.user_id));
    alice.request(&control("pause", &id)).await?;
    let paused = bob.recv().await?;
    assert_eq!(paused["payload"]["action"], "pause");

    // A private timer makes no noise; neither does anything for a non-friend.
    let private = alice
        .request(&create(600, json!({"visibility": "private"})))
        .await?;
    alice
        .request(&control("stop", &timer_id(&private)?))
        .await?;
    let public = alice
        .request(&create(600, json!({"visibility": "public", "title": null})))
        .await?;
    let heard = bob.recv().await?;
    assert_eq!(heard["payload"]["timer_id"], json!(timer_id(&public)?));
    assert_eq!(heard["payload"]["timer_title"], Value::Null);
    bob.expect_silence(QUIET).await?;
    carol.expect_silence(QUIET).await?;
    app.stop().await
}

#[tokio::test]
async fn of_two_devices_pausing_at_once_exactly_one_wins() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut phone = Client::connect(&app, "alice", "").await?;
    let mut laptop = Client::connect(&app, "alice", "").await?;
    let id = timer_id(&phone.request(&create(600, json!({}))).await?)?;
    laptop.recv().await?;

    let mut on_phone = control("pause", &id);
    on_phone["request_id"] = json!("phone");
    let mut on_laptop = control("pause", &id);
    on_laptop["request_id"] = json!("laptop");
    let (a, b) = tokio::join!(phone.send(&on_phone), laptop.send(&on_laptop));
    a?;
    b?;
    // The winner gets its reply only; the loser gets PAUSE_FAILED and the winner's change (in
    // either order, depending on which reached its connection first).
    let mut outcomes = Vec::new();
    for device in [&mut phone, &mut laptop] {
        let first = device.recv().await?;
        if first.get("request_id").is_some() && first["type"] == "timer.updated" {
            assert_eq!(first["payload"]["timer"]["version"], 2, "{first}");
            outcomes.push("won");
            continue;
        }
        let second = device.recv().await?;
        let (error, change) = if first["type"] == "error" {
            (first, second)
        } else {
            (second, first)
        };
        assert_eq!(error["payload"]["code"], "PAUSE_FAILED", "{error}");
        assert!(error["request_id"].is_string());
        assert_eq!(change["payload"]["action"], "pause", "{change}");
        assert!(change.get("request_id").is_none());
        outcomes.push("lost");
    }
    outcomes.sort_unstable();
    assert_eq!(outcomes, ["lost", "won"]);
    phone.expect_silence(QUIET).await?;
    laptop.expect_silence(QUIET).await?;
    app.stop().await
}

#[tokio::test]
async fn rest_patches_and_deletes_reach_every_device_of_the_owner() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut phone = Client::connect(&app, "alice", "?timezone=UTC").await?;
    let mut laptop = Client::connect(&app, "alice", "").await?;
    let mut bob = Client::connect(&app, "bob", "").await?;
    befriend(&app, phone.user()?, bob.user()?).await?;
    let id = timer_id(&phone.request(&create(600, json!({"title": "old"}))).await?)?;
    laptop.recv().await?;
    bob.recv().await?;
    let bearer = token("alice")?;
    let url = app.url(&format!("/v1/timers/{id}"));

    let patched = app
        .client
        .patch(&url)
        .bearer_auth(&bearer)
        .json(&json!({"title": "new"}))
        .send()
        .await?;
    assert_eq!(patched.status(), 200);
    for device in [&mut phone, &mut laptop] {
        let update = device.recv().await?;
        assert_eq!(update["type"], "timer.updated", "{update}");
        assert_eq!(update["payload"]["action"], "update");
        assert_eq!(update["payload"]["timer"]["title"], "new");
        assert_eq!(update["payload"]["timer"]["version"], 2);
    }
    // A PATCH that changes nothing announces nothing; metadata is no friend activity.
    let unchanged = app
        .client
        .patch(&url)
        .bearer_auth(&bearer)
        .json(&json!({"title": "new"}))
        .send()
        .await?;
    assert_eq!(unchanged.status(), 200);
    phone.expect_silence(QUIET).await?;
    bob.expect_silence(QUIET).await?;

    let deleted = app.client.delete(&url).bearer_auth(&bearer).send().await?;
    assert_eq!(deleted.status(), 204);
    for device in [&mut phone, &mut laptop] {
        let gone = device.recv().await?;
        assert_eq!(gone["type"], "timer.deleted", "{gone}");
        assert_eq!(gone["payload"], json!({"timer_id": id}));
        assert_eq!(gone["from_user"], json!(device.user_id));
    }
    bob.expect_silence(QUIET).await?;
    app.stop().await
}
