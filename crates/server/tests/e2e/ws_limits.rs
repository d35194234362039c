//! `/v1/ws/timers` limits and close codes: 1009 big frames, 1007 text that is not UTF-8, 4029
//! connect rate, `RATE_LIMIT_EXCEEDED`, ping timeout, 1013 slow readers, the socket of a client
//! that never reads again, 1001 on shutdown, `SERVICE_UNAVAILABLE` while the database is
//! unreachable.

use std::time::Duration;

use anyhow::Context as _;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::helpers::TestApp;
use crate::ws_client::{Client, control, create, message, timer_id, token, ws_url};

#[tokio::test]
async fn a_frame_above_64_kib_closes_with_1009() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut alice = Client::connect(&app, "alice", "").await?;
    let padding = "x".repeat(70 * 1024);
    alice
        .socket
        .send(Message::text(
            json!({"type": "timer.sync", "pad": padding}).to_string(),
        ))
        .await?;
    let (code, reason) = alice.expect_close(Duration::from_secs(5)).await?;
    assert_eq!(code, 1009, "{reason}");
    // Just under the limit is fine.
    let mut bob = Client::connect(&app, "bob", "").await?;
    let padding = "x".repeat(60 * 1024);
    let reply = bob
        .request(&json!({"type": "timer.sync", "pad": padding}))
        .await?;
    assert_eq!(reply["type"], "timer.sync_result");
    app.stop().await
}

/// A text message that is not UTF-8 closes with 1007 (RFC 6455 §7.4.1), whether it came in one
/// frame or in fragments, and the server keeps serving others.
#[tokio::test]
async fn a_text_message_that_is_not_utf8_closes_with_1007() -> anyhow::Result<()> {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let app = TestApp::spawn().await?;
    let not_utf8: &[u8] = b"{\"type\":\"timer.sync\",\"x\":\"\xff\xfe\"}";
    let mut single = Client::connect(&app, "alice", "").await?;
    single
        .socket
        .send(Message::Frame(Frame::message(
            not_utf8.to_vec(),
            OpCode::Data(Data::Text),
            true,
        )))
        .await?;
    let (code, reason) = single.expect_close(Duration::from_secs(5)).await?;
    assert_eq!(code, 1007, "{reason}");

    let mut fragmented = Client::connect(&app, "alice", "").await?;
    let (first, rest) = not_utf8.split_at(5);
    fragmented
        .socket
        .send(Message::Frame(Frame::message(
            first.to_vec(),
            OpCode::Data(Data::Text),
            false,
        )))
        .await?;
    fragmented
        .socket
        .send(Message::Frame(Frame::message(
            rest.to_vec(),
            OpCode::Data(Data::Continue),
            true,
        )))
        .await?;
    let (code, reason) = fragmented.expect_close(Duration::from_secs(5)).await?;
    assert_eq!(code, 1007, "{reason}");

    let mut bob = Client::connect(&app, "bob", "").await?;
    let reply = bob.request(&json!({"type": "timer.sync"})).await?;
    assert_eq!(reply["type"], "timer.sync_result");
    app.stop().await
}

#[tokio::test]
async fn too_many_connections_per_user_close_with_4029() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&["--ws-connect-max", "2"]).await?;
    let _first = Client::connect(&app, "alice", "").await?;
    let _second = Client::connect(&app, "alice", "").await?;
    let bearer = format!("authorization.bearer.{}", token("alice")?);
    let (mut third, _) = crate::ws_client::open(&ws_url(&app, ""), &[&bearer], None).await?;
    let (code, reason) = crate::ws_client::expect_close(&mut third, Duration::from_secs(5)).await?;
    assert_eq!(code, 4029, "{reason}");
    // The reason says when the next connection is allowed: one every 60 / 2 = 30 s.
    let seconds: u64 = reason
        .strip_prefix("too many connections; retry after ")
        .and_then(|rest| rest.strip_suffix(" s"))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no wait in {reason:?}"))?;
    assert!((1..=30).contains(&seconds), "{reason}");
    // Another user is not affected.
    Client::connect(&app, "bob", "").await?;
    app.stop().await
}

#[tokio::test]
async fn too_many_messages_are_refused_with_rate_limit_exceeded() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&["--ws-message-max", "3"]).await?;
    let mut alice = Client::connect(&app, "alice", "").await?;
    for _ in 0..3 {
        let reply = alice
            .request(&message("timer.sync", json!({}), None))
            .await?;
        assert_eq!(reply["type"], "timer.sync_result");
    }
    let refused = alice
        .request(&message(
            "timer.create",
            json!({"allocated_duration": 60}),
            Some("r-4"),
        ))
        .await?;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["payload"]["code"], "RATE_LIMIT_EXCEEDED");
    assert_eq!(refused["request_id"], "r-4");
    // Not applied, and the connection stays open; another connection has its own budget.
    let mut phone = Client::connect(&app, "alice", "").await?;
    let all = phone
        .request(&message("timer.sync", json!({"scope": "all"}), None))
        .await?;
    assert_eq!(all["payload"]["count"], 0);
    let again = alice
        .request(&message("timer.sync", json!({}), None))
        .await?;
    assert_eq!(again["payload"]["code"], "RATE_LIMIT_EXCEEDED");
    app.stop().await
}

#[tokio::test]
async fn a_client_that_never_answers_pings_is_dropped() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&[
        "--ws-ping-interval-seconds",
        "1",
        "--ws-client-timeout-seconds",
        "2",
    ])
    .await?;
    let mut silent = Client::connect(&app, "alice", "").await?;
    let mut lively = Client::connect(&app, "alice", "").await?;
    // Reading answers pings (tungstenite replies on its own); not reading does not.
    lively.expect_silence(Duration::from_secs(3)).await?;
    let (code, reason) = silent.expect_close(Duration::from_secs(3)).await?;
    assert_eq!(code, 1001, "{reason}");
    assert!(reason.contains("ping"), "{reason}");
    let reply = lively
        .request(&message("timer.sync", json!({}), None))
        .await?;
    assert_eq!(reply["type"], "timer.sync_result");
    app.stop().await
}

#[tokio::test]
async fn a_reader_that_stops_reading_is_closed_with_1013_and_others_carry_on() -> anyhow::Result<()>
{
    // The kernel's limit on a client that stops reading (TCP_USER_TIMEOUT) is the subject of
    // the next test; here it must not end the connection before the server does.
    let app = TestApp::spawn_with(&[
        "--rate-limit-enabled",
        "false",
        "--tcp-user-timeout-seconds",
        "3600",
    ])
    .await?;
    // The slow device: a tiny receive buffer, so the server's queue fills quickly.
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    let address = app.address.trim_start_matches("http://").parse()?;
    let stream = socket.connect(address).await?;
    let mut request = ws_url(&app, "").into_client_request()?;
    let bearer = format!("authorization.bearer.{}", token("alice")?);
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_str(&bearer)?);
    let (mut slow, _) = tokio_tungstenite::client_async(request, stream).await?;
    for _ in 0..2 {
        slow.next().await.context("greeting")??;
    }

    // The slow device starts reading as soon as the server reports it dropped as too slow
    // (an event, not a wall-clock margin): the server then waits a bounded time for the close
    // frame to get out, and a reader that came much later would find the socket reset instead.
    let watcher = {
        let metrics = app.url("/metrics");
        let client = app.client.clone();
        tokio::spawn(async move {
            let dropped =
                "hourglass_connections_dropped_total{kind=\"websocket\",reason=\"too_slow\"} 1";
            loop {
                let scrape = client.get(&metrics).send().await?.text().await?;
                if scrape.lines().any(|line| line == dropped) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            crate::ws_client::expect_close(&mut slow, Duration::from_secs(30)).await
        })
    };

    // The busy device: pause/resume one timer with a long description, so every fan-out message
    // is large and grows with its history. It reads its replies as they come.
    let mut busy = Client::connect(&app, "alice", "").await?;
    let created = busy
        .request(&create(
            86_400,
            json!({"visibility": "private", "description": "d".repeat(2000), "title": "t".repeat(200)}),
        ))
        .await?;
    let id = timer_id(&created)?;
    const COMMANDS: usize = 800;
    let (mut sink, mut replies) = busy.socket.split();
    let reader = tokio::spawn(async move {
        let mut count = 0;
        while count < COMMANDS {
            match tokio::time::timeout(Duration::from_secs(10), replies.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    let reply: serde_json::Value = serde_json::from_str(&text)?;
                    anyhow::ensure!(reply["type"] == "timer.updated", "{reply}");
                    count += 1;
                }
                Ok(Some(Ok(_))) => {}
                other => anyhow::bail!("the busy device stopped hearing back: {other:?}"),
            }
        }
        Ok(count)
    });
    for n in 0..COMMANDS {
        let verb = if n % 2 == 0 { "pause" } else { "resume" };
        sink.send(Message::text(control(verb, &id).to_string()))
            .await?;
    }
    assert_eq!(reader.await??, COMMANDS, "the busy device got every reply");

    // The slow device, reading, finds the close frame after what was buffered.
    let (code, reason) = watcher.await??;
    assert_eq!(code, 1013, "{reason}");
    assert!(reason.contains("too slow"), "{reason}");
    app.stop().await
}

/// Whether the server side of the TCP connection from `client_port` to `server_port` is still
/// open in some process (a socket the server closed is gone, or an orphan with inode 0).
fn server_holds(server_port: u16, client_port: u16) -> anyhow::Result<bool> {
    let table = std::fs::read_to_string("/proc/net/tcp")?;
    let local = format!("0100007F:{server_port:04X}");
    let remote = format!("0100007F:{client_port:04X}");
    Ok(table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() > 9 && fields[1] == local && fields[2] == remote && fields[9] != "0"
    }))
}

#[tokio::test]
async fn the_socket_of_a_client_that_never_reads_again_is_released() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&[
        "--rate-limit-enabled",
        "false",
        "--tcp-user-timeout-seconds",
        "1",
    ])
    .await?;
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    let address: std::net::SocketAddr = app.address.trim_start_matches("http://").parse()?;
    let stream = socket.connect(address).await?;
    let client_port = stream.local_addr()?.port();
    let mut request = ws_url(&app, "").into_client_request()?;
    let bearer = format!("authorization.bearer.{}", token("alice")?);
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_str(&bearer)?);
    let (mut stalled, _) = tokio_tungstenite::client_async(request, stream).await?;
    for _ in 0..2 {
        stalled.next().await.context("greeting")??;
    }
    assert!(server_holds(address.port(), client_port)?);

    // A few large fan-out messages: more than the stalled client's window takes, far fewer
    // than its queue holds, so only the kernel's timeout can end this connection.
    let mut busy = Client::connect(&app, "alice", "").await?;
    let created = busy
        .request(&create(3600, json!({"description": "d".repeat(2000)})))
        .await?;
    let id = timer_id(&created)?;
    for n in 0..40 {
        let verb = if n % 2 == 0 { "pause" } else { "resume" };
        let reply = busy.request(&control(verb, &id)).await?;
        assert_eq!(reply["type"], "timer.updated", "{reply}");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while server_holds(address.port(), client_port)? {
        assert!(
            std::time::Instant::now() < deadline,
            "the server still holds the socket of a client that stopped reading"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(stalled);
    app.stop().await
}

#[tokio::test]
async fn shutdown_closes_every_connection_with_1001() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut alice = Client::connect(&app, "alice", "").await?;
    let mut bob = Client::connect(&app, "bob", "?timezone=UTC").await?;
    let created = alice.request(&create(60, json!({}))).await?;
    assert_eq!(created["type"], "timer.created");
    let stopping = tokio::spawn(app.stop());
    for device in [&mut alice, &mut bob] {
        let (code, reason) = device.expect_close(Duration::from_secs(5)).await?;
        assert_eq!(code, 1001, "{reason}");
    }
    tokio::time::timeout(Duration::from_secs(10), stopping).await???;
    Ok(())
}

#[tokio::test]
async fn commands_answer_service_unavailable_while_the_database_is_unreachable()
-> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let mut alice = Client::connect(&app, "alice", "").await?;
    let id = timer_id(&alice.request(&create(600, json!({}))).await?)?;
    let admin_url = std::env::var("TEST_DATABASE_URL")?;
    let mut admin = AsyncPgConnection::establish(&admin_url).await?;
    let name = app.database().name().to_owned();
    let switch = |allow: bool| format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS {allow}");
    diesel::sql_query(switch(false)).execute(&mut admin).await?;
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .execute(&mut admin)
    .await?;
    let reply = alice.request(&control("pause", &id)).await;
    diesel::sql_query(switch(true)).execute(&mut admin).await?;
    let reply = reply?;
    assert_eq!(reply["type"], "error", "{reply}");
    assert_eq!(reply["payload"]["code"], "SERVICE_UNAVAILABLE", "{reply}");
    // Once the database is back, the same connection works again.
    let mut paused = alice.request(&control("pause", &id)).await?;
    for _ in 0..20 {
        if paused["type"] == "timer.updated" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        paused = alice.request(&control("pause", &id)).await?;
    }
    assert_eq!(paused["payload"]["action"], "pause", "{paused}");
    app.stop().await
}
