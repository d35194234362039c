//! Clients that stop reading while their user's fan-out keeps coming: the server drops them
//! (its bounded per-connection queues fill) instead of buffering for them, the other devices
//! carry on, and the server's memory goes back to where it was.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use futures_util::{SinkExt as _, StreamExt as _};
use hourglass_test_support::TestDatabase;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::device::{self, Device, bearer_protocol, token};
use crate::instance::{Instance, http_client};

/// Stalled WebSocket clients per round.
const STALLED: usize = 8;

/// Rounds of (stall, flood, drop) unless `HOURGLASS_STALLED_ROUNDS` says otherwise (a longer
/// run tells allocator retention, which levels off, from a leak, which keeps climbing); memory
/// must not ratchet up from one to the next.
const ROUNDS: usize = 3;

/// Overrides [`ROUNDS`].
const ROUNDS_VAR: &str = "HOURGLASS_STALLED_ROUNDS";

/// Commands per flood (the busy device pipelines them); each fans out to every stalled client.
const FLOOD: usize = 2000;

/// Timers per flood: each gets FLOOD / TIMERS events, far below the 1000-event history cap.
const TIMERS: usize = 10;

/// How long after a flood the server may take to let go of every stalled client: the 5 s the
/// connection gives its close frame plus slack.
const DROP_LIMIT: Duration = Duration::from_secs(30);

/// Growth of resident memory above the baseline allowed at the peak of a round: the queues are
/// bounded (256 messages per connection), so a few MiB per stalled client at most.
const PEAK_GROWTH_LIMIT_KIB: u64 = 64 * 1024;

/// Growth allowed over the last [`ROUNDS`] rounds (from the end of the first of them to the end
/// of the last): flat, within allocator noise. Not a check on the curve's shape (later growth
/// smaller than earlier): in 12-round runs memory rose 12–13 MiB over the seventh and eighth
/// rounds and then stayed flat (docs/reliability.md, Scenario 4), so such a check fails whenever
/// a step lands late. A leak of 8 MiB per round fails this one; a slower one fails
/// [`PEAK_GROWTH_LIMIT_KIB`] in a run long enough.
const RATCHET_LIMIT_KIB: u64 = 16 * 1024;

/// Short enough for a quick test: the kernel drops a connection whose data has waited this long
/// for the client to take it (the default is 30 s).
const TIMEOUTS: &[(&str, &str)] = &[("TCP_USER_TIMEOUT_SECONDS", "5")];

/// A TCP client with a tiny receive buffer that stops reading after its handshake.
async fn stalled_socket(server: SocketAddr) -> anyhow::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    Ok(socket.connect(server).await?)
}

/// Whether the server process still holds the TCP connection from `client_port` (a socket on its
/// side with an inode; one it closed is gone or an orphan with inode 0).
fn server_holds(server: SocketAddr, client_port: u16) -> anyhow::Result<bool> {
    let table = std::fs::read_to_string("/proc/net/tcp")?;
    let local = format!("0100007F:{:04X}", server.port());
    let remote = format!("0100007F:{client_port:04X}");
    Ok(table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() > 9 && fields[1] == local && fields[2] == remote && fields[9] != "0"
    }))
}

/// Samples the server's resident memory until told to stop; the highest value.
fn sample_peak(server: &Instance, stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<u64> {
    let pid = server.pid();
    tokio::spawn(async move {
        let mut peak = 0;
        while !*stop.borrow() {
            if let Some(kib) = rss_of(pid) {
                peak = peak.max(kib);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        peak
    })
}

/// The number of rounds: [`ROUNDS`], or as many (at least as many) from [`ROUNDS_VAR`].
fn rounds() -> anyhow::Result<usize> {
    let Ok(text) = std::env::var(ROUNDS_VAR) else {
        return Ok(ROUNDS);
    };
    let rounds: usize = text
        .parse()
        .with_context(|| format!("{ROUNDS_VAR}={text:?} is not a number"))?;
    ensure!(rounds >= ROUNDS, "{ROUNDS_VAR} must be at least {ROUNDS}");
    Ok(rounds)
}

fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits until the server holds none of `ports`; how long that took.
async fn until_dropped(server: SocketAddr, ports: &[u16]) -> anyhow::Result<Duration> {
    let began = Instant::now();
    loop {
        let mut held = 0;
        for port in ports {
            held += usize::from(server_holds(server, *port)?);
        }
        if held == 0 {
            return Ok(began.elapsed());
        }
        if began.elapsed() > DROP_LIMIT {
            bail!("the server still holds {held} stalled connections after {DROP_LIMIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends `FLOOD` pause/resume commands on fresh timers with long texts (every fan-out message is
/// several KiB), pipelined, and reads every reply.
async fn flood(busy: Device, round: usize) -> anyhow::Result<Device> {
    let mut busy = busy;
    let mut timers = Vec::new();
    for n in 0..TIMERS {
        let request_id = format!("flood-{round}-create-{n}");
        let mut create = device::create("hot", &request_id);
        create["payload"]["title"] = json!("t".repeat(200));
        create["payload"]["description"] = json!("d".repeat(2000));
        busy.send(&create).await?;
        match busy.next(Duration::from_secs(5)).await {
            device::Event::Message(reply) if reply["type"] == "timer.created" => {
                timers.push(
                    reply["payload"]["timer"]["id"]
                        .as_str()
                        .context("id")?
                        .to_owned(),
                );
            }
            other => bail!("create failed: {other:?}"),
        }
    }
    let (mut sink, mut replies) = busy.into_socket().split();
    let reader = tokio::spawn(async move {
        let mut count = 0;
        while count < FLOOD {
            match tokio::time::timeout(Duration::from_secs(10), replies.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    let reply: Value = serde_json::from_str(&text)?;
                    ensure!(reply["type"] == "timer.updated", "{reply}");
                    count += 1;
                }
                Ok(Some(Ok(_))) => {}
                other => bail!("the busy device stopped hearing back: {other:?}"),
            }
        }
        Ok(replies)
    });
    for n in 0..FLOOD {
        let verb = if (n / TIMERS).is_multiple_of(2) {
            "pause"
        } else {
            "resume"
        };
        let message = device::control(verb, &timers[n % TIMERS], &format!("flood-{round}-{n}"));
        sink.send(Message::text(message.to_string())).await?;
    }
    let replies = reader.await??;
    Ok(Device::from_socket(sink.reunite(replies)?))
}

/// Reads a released stalled socket to its end: what it found after the buffered messages.
async fn read_to_end(socket: &mut WebSocketStream<TcpStream>) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return "nothing more, still open".to_owned(),
            Ok(Some(Ok(Message::Close(frame)))) => {
                return format!("close {:?}", frame.map(|f| u16::from(f.code)));
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(error))) => return format!("error: {error}"),
            Ok(None) => return "end without a close frame".to_owned(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault test: run with just chaos"]
async fn websocket_clients_that_stop_reading_are_dropped_and_memory_stays_flat()
-> anyhow::Result<()> {
    let rounds = rounds()?;
    let database = TestDatabase::create().await?;
    let server = Instance::start(database.url(), "stalled-websocket", TIMEOUTS).await?;
    let address: SocketAddr = server.address.trim_start_matches("http://").parse()?;
    let mut busy = Device::connect(&server.ws_url(), "hot").await?;
    // Warm up every path once (connections, a flood) before taking the baseline.
    busy = flood(busy, 0).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let baseline = server.rss_kib()?;
    let mut after_rounds = Vec::new();
    let mut peaks = Vec::new();
    let mut drop_times = Vec::new();
    let mut codes: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for round in 1..=rounds {
        let mut stalled = Vec::new();
        for _ in 0..STALLED {
            let stream = stalled_socket(address).await?;
            let port = stream.local_addr()?.port();
            let mut request = server.ws_url().into_client_request()?;
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", bearer_protocol("hot")?);
            let (mut socket, _) = tokio_tungstenite::client_async(request, stream).await?;
            for _ in 0..3 {
                socket.next().await.context("greeting")??;
            }
            // From here on nobody reads this socket until the server has let go of it.
            stalled.push((port, socket));
        }
        let (stop, stopped) = watch::channel(false);
        let peak = sample_peak(&server, stopped);
        busy = flood(busy, round).await?;
        let ports: Vec<u16> = stalled.iter().map(|(port, _)| *port).collect();
        let dropped_after = until_dropped(address, &ports).await?;
        stop.send_replace(true);
        peaks.push(peak.await?);
        drop_times.push(dropped_after);
        for (_, socket) in &mut stalled {
            *codes.entry(read_to_end(socket).await).or_default() += 1;
        }
        drop(stalled);
        tokio::time::sleep(Duration::from_secs(1)).await;
        after_rounds.push(server.rss_kib()?);
        println!(
            "  round {round}: peak {} KiB, after {} KiB",
            peaks[round - 1],
            after_rounds[round - 1]
        );
    }
    println!(
        "stalled websocket: baseline {baseline} KiB; per round of {STALLED} stalled clients and \
         {FLOOD} commands: peak {peaks:?} KiB, after {after_rounds:?} KiB; every stalled client \
         released {drop_times:?} after its flood; what the stalled clients read last: {codes:?}"
    );
    // Which end comes first depends on timing: the application's (queue full, 1013 "too slow")
    // or the kernel's (TCP_USER_TIMEOUT while the socket buffer still took data); both count.
    let too_slow = server
        .log_lines()?
        .iter()
        .filter(|line| line.contains("websocket client too slow"))
        .count();
    println!("  connections the hub found too slow (1013): {too_slow}");
    let peak = peaks.iter().copied().max().unwrap_or(0);
    ensure!(
        peak.saturating_sub(baseline) < PEAK_GROWTH_LIMIT_KIB,
        "peak {peak} KiB against a baseline of {baseline} KiB"
    );
    let (first, last) = (after_rounds[rounds - ROUNDS], after_rounds[rounds - 1]);
    ensure!(
        last.saturating_sub(first) < RATCHET_LIMIT_KIB,
        "memory ratchets up: {after_rounds:?} KiB"
    );
    // The server still serves the busy device.
    busy.send(&device::command("timer.sync", json!({}), "after"))
        .await?;
    ensure!(
        matches!(busy.next(Duration::from_secs(5)).await, device::Event::Message(m) if m["type"] == "timer.sync_result"),
        "the busy device is no longer served"
    );
    server.stop().await?;
    database.cleanup().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault test: run with just chaos"]
async fn an_sse_client_that_stops_reading_is_dropped() -> anyhow::Result<()> {
    let database = TestDatabase::create().await?;
    let server = Instance::start(database.url(), "stalled-sse", TIMEOUTS).await?;
    let address: SocketAddr = server.address.trim_start_matches("http://").parse()?;
    let http = http_client()?;
    let bearer = token("reader")?;
    // Signs the user in.
    let me = http
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(&bearer)
        .send()
        .await?;
    ensure!(me.status() == 200, "{}", me.status());
    let baseline = server.rss_kib()?;
    let mut stream = stalled_socket(address).await?;
    let port = stream.local_addr()?.port();
    stream
        .write_all(
            format!(
                "GET /api/v1/notifications/subscribe?accessToken={bearer} HTTP/1.1\r\n\
                 Host: {address}\r\nAccept: text/event-stream\r\n\r\n"
            )
            .as_bytes(),
        )
        .await?;
    let accepted = Instant::now();
    while !server_holds(address, port)? {
        ensure!(
            accepted.elapsed() < Duration::from_secs(5),
            "the stream was not accepted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let began = Instant::now();
    let mut sent = 0;
    let (stop, stopped) = watch::channel(false);
    let peak = sample_peak(&server, stopped);
    while server_holds(address, port)? {
        ensure!(
            began.elapsed() < Duration::from_secs(120),
            "still held after {sent} notifications"
        );
        let mut batch = Vec::new();
        for _ in 0..8 {
            let request = http
                .get(server.url("/api/v1/notifications/test"))
                .bearer_auth(&bearer)
                .send();
            batch.push(request);
        }
        for response in futures_util::future::join_all(batch).await {
            ensure!(
                response?.status() == 200,
                "the test notification was refused"
            );
            sent += 1;
        }
    }
    let released_after = began.elapsed();
    stop.send_replace(true);
    let peak = peak.await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.rss_kib()?;
    println!(
        "stalled sse: released after {sent} notifications ({released_after:?}); rss baseline \
         {baseline} KiB, peak {peak} KiB, after {after} KiB"
    );
    ensure!(
        peak.saturating_sub(baseline) < PEAK_GROWTH_LIMIT_KIB,
        "peak {peak} KiB against a baseline of {baseline} KiB"
    );
    drop(stream);
    server.stop().await?;
    database.cleanup().await?;
    Ok(())
}
