//! `/metrics` and the log context: connections, commands, fan-out and pool usage move the
//! metrics as they should; `X-Request-Id` is echoed and every log line of a request or a
//! connection carries its ids.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::SinkExt as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::logged_server::{LoggedServer, json_lines};
use crate::sse_client::{self, SseStream, member, send_test};
use crate::ws_client::{self, Client, control, create, expect_close, message, timer_id, ws_url};

/// How long a test waits for a connection's end to be counted.
const SETTLE: Duration = Duration::from_secs(5);

/// The scraped exposition.
struct Scrape(String);

impl Scrape {
    async fn of(app: &TestApp) -> anyhow::Result<Self> {
        let response = app.client.get(app.url("/metrics")).send().await?;
        anyhow::ensure!(response.status() == StatusCode::OK, "{}", response.status());
        Ok(Self(response.text().await?))
    }

    /// The value of the sample named exactly `series` (name and labels).
    fn value(&self, series: &str) -> anyhow::Result<f64> {
        self.0
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .with_context(|| format!("no sample {series} in\n{}", self.0))?
            .parse()
            .with_context(|| format!("the value of {series}"))
    }
}

/// Scrapes until `series` equals `expected`, or fails after [`SETTLE`].
async fn wait_for(app: &TestApp, series: &str, expected: f64) -> anyhow::Result<Scrape> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let scrape = Scrape::of(app).await?;
        if scrape.value(series)? == expected || Instant::now() > deadline {
            anyhow::ensure!(scrape.value(series)? == expected, "{series}:\n{}", scrape.0);
            return Ok(scrape);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn metrics_follow_connections_commands_fan_out_and_the_pool() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&["--database-pool-size", "4"]).await?;
    let alice = member(&app, "metrics-alice", "Alice").await?;
    let bearer = format!("authorization.bearer.{}", alice.token);
    let mut phone = Client::connect_offering(&ws_url(&app, ""), &[&bearer]).await?;
    let mut laptop = Client::connect_offering(&ws_url(&app, ""), &[&bearer]).await?;
    let mut stream = SseStream::connect(&app, &alice).await?;

    // Refused: a WebSocket without a token (closed 1008 after the upgrade), a stream with a bad
    // token (401).
    let (mut anonymous, _) = ws_client::open(&ws_url(&app, ""), &[], None).await?;
    assert_eq!(expect_close(&mut anonymous, SETTLE).await?.0, 1008);
    let bad = sse_client::request(&app, "accessToken=not-a-jwt", &[]).await?;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);

    // Commands: two that commit, one a rule refuses, one on a missing timer, one unknown type,
    // one sync.
    let created = phone.request(&create(600, json!({}))).await?;
    assert_eq!(created["type"], "timer.created", "{created}");
    let id = timer_id(&created)?;
    let paused = phone.request(&control("pause", &id)).await?;
    assert_eq!(paused["type"], "timer.updated", "{paused}");
    let again = phone.request(&control("pause", &id)).await?;
    assert_eq!(again["payload"]["code"], "PAUSE_FAILED", "{again}");
    let missing = phone
        .request(&control("pause", &uuid::Uuid::now_v7().to_string()))
        .await?;
    assert_eq!(missing["payload"]["code"], "TIMER_NOT_FOUND", "{missing}");
    let unknown = phone
        .request(&message("timer.fly", json!({}), None))
        .await?;
    assert_eq!(unknown["payload"]["code"], "UNKNOWN_TYPE", "{unknown}");
    let synced = phone
        .request(&message("timer.sync", json!({}), None))
        .await?;
    assert_eq!(synced["type"], "timer.sync_result", "{synced}");
    // The laptop got both committed changes through the hub.
    assert_eq!(laptop.recv().await?["type"], "timer.created");
    assert_eq!(laptop.recv().await?["type"], "timer.updated");

    // A notification reaches the stream through the PostgreSQL listener.
    send_test(&app, &alice).await?;
    let notification = stream.next_notification().await?;
    assert_eq!(notification.json()?["type"], "TEST");

    let scrape = Scrape::of(&app).await?;
    let v = |series: &str| scrape.value(series);
    assert_eq!(v(r#"hourglass_connections_open{kind="websocket"}"#)?, 2.0);
    assert_eq!(v(r#"hourglass_connections_open{kind="sse"}"#)?, 1.0);
    assert_eq!(
        v(r#"hourglass_connections_opened_total{kind="websocket"}"#)?,
        2.0
    );
    assert_eq!(
        v(r#"hourglass_connections_refused_total{kind="websocket",reason="unauthenticated"}"#)?,
        1.0
    );
    assert_eq!(
        v(r#"hourglass_connections_refused_total{kind="sse",reason="unauthenticated"}"#)?,
        1.0
    );
    let commands = |kind: &str, outcome: &str| {
        v(&format!(
            r#"hourglass_ws_commands_total{{type="{kind}",outcome="{outcome}"}}"#
        ))
    };
    assert_eq!(commands("timer.create", "ok")?, 1.0);
    assert_eq!(commands("timer.pause", "ok")?, 1.0);
    assert_eq!(commands("timer.pause", "rejected")?, 1.0);
    assert_eq!(commands("timer.pause", "not_found")?, 1.0);
    assert_eq!(commands("unknown", "invalid")?, 1.0);
    assert_eq!(commands("timer.sync", "ok")?, 1.0);
    assert_eq!(
        v(r#"hourglass_ws_command_duration_seconds_count{type="timer.pause"}"#)?,
        3.0
    );
    // Two committed changes, each queued on both of alice's connections, in-process; none
    // came back through the listener (it skips this instance's own timer events).
    let fanout = |source: &str, target: &str| {
        v(&format!(
            r#"hourglass_fanout_duration_seconds_count{{source="{source}",target="{target}"}}"#
        ))
    };
    assert_eq!(fanout("in_process", "websocket")?, 4.0);
    assert_eq!(fanout("listener", "websocket")?, 0.0);
    assert_eq!(fanout("listener", "sse")?, 1.0);
    assert_eq!(
        v(r#"hourglass_sse_notifications_sent_total{via="live"}"#)?,
        1.0
    );
    assert_eq!(v("hourglass_db_pool_max_connections")?, 4.0);
    let pooled = v(r#"hourglass_db_pool_connections{state="idle"}"#)?
        + v(r#"hourglass_db_pool_connections{state="in_use"}"#)?;
    assert!((1.0..=4.0).contains(&pooled), "{pooled} pooled connections");
    assert_eq!(
        v(r#"hourglass_http_requests_total{method="GET",route="/v1/ws/timers",status="1xx"}"#)?,
        3.0
    );
    assert_eq!(
        v(
            r#"hourglass_http_requests_total{method="GET",route="/api/v1/notifications/subscribe",status="4xx"}"#
        )?,
        1.0
    );

    // A connection that ends is counted closed, whatever ended it.
    laptop.socket.close(None).await?;
    let scrape = wait_for(
        &app,
        r#"hourglass_connections_closed_total{kind="websocket"}"#,
        1.0,
    )
    .await?;
    assert_eq!(
        scrape.value(r#"hourglass_connections_open{kind="websocket"}"#)?,
        1.0
    );

    drop((phone, stream));
    app.stop().await
}

#[tokio::test]
async fn the_exposition_is_openmetrics_and_can_be_switched_off() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let response = app.client.get(app.url("/metrics")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await?;
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(
        text.contains("# TYPE hourglass_ws_command_duration_seconds histogram"),
        "{text}"
    );
    app.stop().await?;

    let off = TestApp::spawn_with(&["--metrics-enabled", "false"]).await?;
    let response = off.client.get(off.url("/metrics")).send().await?;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await?;
    assert_eq!(body["code"], "NOT_FOUND");
    off.stop().await
}

#[tokio::test]
async fn request_ids_are_echoed_and_every_log_line_carries_its_ids() -> anyhow::Result<()> {
    let server = LoggedServer::start(&[]).await?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let echoed = |response: &reqwest::Response| {
        response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let kept = client
        .get(format!("{}/healthz", server.base))
        .header("x-request-id", "e2e-log-42")
        .send()
        .await?;
    assert_eq!(echoed(&kept).as_deref(), Some("e2e-log-42"));
    let replaced = client
        .get(format!("{}/healthz", server.base))
        .header("x-request-id", "not well formed")
        .send()
        .await?;
    let generated = echoed(&replaced).context("an id is always sent back")?;
    assert!(
        generated.len() == 32 && generated.bytes().all(|b| b.is_ascii_hexdigit()),
        "{generated}"
    );

    // A WebSocket connection, opened with a request id, used, and closed by the client.
    let url = format!(
        "{}/v1/ws/timers",
        server.base.replacen("http://", "ws://", 1)
    );
    let bearer = format!("authorization.bearer.{}", ws_client::token("log-ids")?);
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", bearer.parse()?);
    request
        .headers_mut()
        .insert("x-request-id", "e2e-upgrade-7".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(
            r#"{"type":"timer.sync"}"#,
        ))
        .await?;
    socket.close(None).await?;
    expect_close(&mut socket, SETTLE).await.ok();

    let log = json_lines(&server.stop().await?)?;
    let request_line = log
        .iter()
        .find(|event| {
            event["fields"]["message"] == "request" && event["span"]["path"] == "/healthz"
        })
        .with_context(|| format!("no request line in {log:#?}"))?;
    assert_eq!(request_line["span"]["request_id"], "e2e-log-42");
    let connection_line = |text: &str| -> anyhow::Result<&Value> {
        log.iter()
            .find(|event| event["fields"]["message"] == text)
            .with_context(|| format!("no {text:?} line in {log:#?}"))
    };
    let opened = connection_line("websocket opened")?;
    let closed = connection_line("websocket closed")?;
    for event in [opened, closed] {
        assert_eq!(event["span"]["name"], "websocket", "{event}");
        assert!(event["span"]["user_id"].is_string(), "{event}");
        let spans = event["spans"].as_array().context("the span list")?;
        assert!(
            spans
                .iter()
                .any(|span| span["request_id"] == "e2e-upgrade-7"),
            "the upgrade's request id: {event}"
        );
    }
    assert_eq!(
        opened["span"]["connection_id"], closed["span"]["connection_id"],
        "one connection"
    );
    assert_eq!(closed["fields"]["code"], 1000, "{closed}");
    Ok(())
}
