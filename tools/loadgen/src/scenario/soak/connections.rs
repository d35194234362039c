//! The long-lived actors of a soak run. Each keeps one slot filled for the whole run: it opens a
//! connection, keeps it for a drawn lifetime, ends it a drawn way (close frame, FIN or reset)
//! and opens the next one.
//!
//! - [`command_user`]: a user whose device 0 sends create → pause → resume → stop on a fixed
//!   schedule while its other devices listen to the fan-out; sessions end at a cycle boundary,
//!   so no timer is left running by the churn.
//! - [`idle_slot`]: an idle WebSocket.
//! - [`stream_slot`]: a notification stream; while it is open its token is offered to the REST
//!   mix, which publishes test notifications to it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::json;
use tokio::sync::watch;
use tokio_tungstenite::MaybeTlsStream;

use super::Board;
use super::churn::{self, Actor, CloseMode};
use crate::Ctx;
use crate::scenario::sse::parse_frame;
use crate::ws::{self, Ws};

/// Pause after a failed connect before the slot tries again.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Longest wait for the close handshake of a clean close.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Opens one WebSocket and counts it.
async fn open_ws(ctx: &Ctx, board: &Board, token: &str) -> Option<Ws> {
    let _permit = ctx.connect_gate.acquire().await.ok()?;
    let t0 = Instant::now();
    match ws::connect(&ctx.ws_url, token, ctx.cli.timeout()).await {
        Ok(ws) => {
            board.count("ws_opened");
            board.latency("ws_connect", t0.elapsed());
            Some(ws)
        }
        Err(failure) => {
            board.error(format!("ws_{}", failure.0));
            None
        }
    }
}

/// Ends a WebSocket the chosen way.
async fn close_ws(mut ws: Ws, mode: CloseMode, board: &Board) {
    match mode {
        CloseMode::Clean => {
            // Read until the server's close frame so the handshake completes on both sides.
            let closing = async {
                let _ = ws.close(None).await;
                while let Some(Ok(_)) = ws.next().await {}
            };
            let _ = tokio::time::timeout(CLOSE_WAIT, closing).await;
        }
        CloseMode::Fin => {}
        CloseMode::Reset => {
            if let MaybeTlsStream::Plain(tcp) = ws.get_ref() {
                let _ = tcp.set_zero_linger();
            }
        }
    }
    drop(ws);
    board.count("ws_closed");
    board.count(mode.counter());
}

/// The way a connection ends: drawn, except at the end of the run, where all close cleanly.
fn closing_mode(seed: u64, deadline: Instant) -> CloseMode {
    if Instant::now() >= deadline {
        CloseMode::Clean
    } else {
        churn::close_mode(seed)
    }
}

/// Keeps an idle WebSocket slot filled until `deadline`.
pub async fn idle_slot(ctx: Arc<Ctx>, board: Arc<Board>, slot: u64, deadline: Instant) {
    let mut generation = 0_u64;
    while Instant::now() < deadline {
        let seed = churn::seed(Actor::Idle, slot, generation);
        let subject = churn::idle_subject(&ctx.cli.run_id, slot, generation);
        generation += 1;
        let Ok(token) = ctx.minter.mint(&subject) else {
            board.error("mint");
            return;
        };
        let Some(mut ws) = open_ws(&ctx, &board, &token).await else {
            tokio::time::sleep(RETRY_PAUSE).await;
            continue;
        };
        let end = deadline.min(Instant::now() + churn::lifetime(ctx.cli.churn_lifetime, seed));
        if hold(&mut ws, end, &board).await {
            close_ws(ws, closing_mode(seed, deadline), &board).await;
        }
    }
}

/// Reads (so the server's pings are answered) until `end`; false when the server ended the
/// connection first.
async fn hold(ws: &mut Ws, end: Instant, board: &Board) -> bool {
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(end.into()) => return true,
            next = ws::next_envelope(ws, Duration::from_secs(3600)) => match next {
                Ok(Some(_)) => board.count("idle_messages"),
                Ok(None) => {
                    lost(board, "idle_lost_eof");
                    return false;
                }
                Err(failure) => {
                    lost(board, &format!("idle_lost_{}", failure.0));
                    return false;
                }
            },
        }
    }
}

/// A WebSocket the server ended: an error, and no longer open.
fn lost(board: &Board, kind: &str) {
    board.error(kind);
    board.count("ws_closed");
}

/// Runs one command-sending user until `deadline`, reconnecting all its devices for every
/// session. `phase` (0..1) spreads the users' schedules over one interval.
pub async fn command_user(
    ctx: Arc<Ctx>,
    board: Arc<Board>,
    user: u64,
    phase: f64,
    start: Instant,
    deadline: Instant,
) {
    let Ok(token) = ctx
        .minter
        .mint(&churn::command_subject(&ctx.cli.run_id, user))
    else {
        board.error("mint");
        return;
    };
    let interval = Duration::from_secs_f64(ctx.cli.users as f64 / super::command_rate(&ctx));
    let mut next_due = start + interval.mul_f64(phase);
    let mut session = 0_u64;
    while Instant::now() < deadline {
        let seed = churn::seed(Actor::Commands, user, session);
        session += 1;
        let mut devices = Vec::new();
        for _ in 0..ctx.cli.devices {
            match open_ws(&ctx, &board, &token).await {
                Some(ws) => devices.push(ws),
                None => break,
            }
        }
        if devices.len() as u64 != ctx.cli.devices || devices.is_empty() {
            for device in devices {
                close_ws(device, CloseMode::Clean, &board).await;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
            continue;
        }
        let mut sender = devices.remove(0);
        let (stop_tx, stop_rx) = watch::channel(false);
        let listeners: Vec<_> = devices
            .into_iter()
            .map(|device| tokio::spawn(listen(device, Arc::clone(&board), stop_rx.clone())))
            .collect();
        let session_end =
            deadline.min(Instant::now() + churn::lifetime(ctx.cli.churn_lifetime, seed));
        // After a reconnect the schedule resumes from now rather than catching up in a burst.
        next_due = next_due.max(Instant::now());
        let schedule = Schedule {
            next_due,
            interval,
            session_end,
            deadline,
        };
        let (alive, next) = send_commands(&ctx, &board, &mut sender, schedule).await;
        next_due = next;
        let _ = stop_tx.send(true);
        let mode = closing_mode(seed, deadline);
        if alive {
            close_ws(sender, mode, &board).await;
        }
        for listener in listeners {
            if let Ok(Some(device)) = listener.await {
                close_ws(device, mode, &board).await;
            }
        }
    }
}

/// When the commands of one session are due.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    next_due: Instant,
    interval: Duration,
    session_end: Instant,
    deadline: Instant,
}

/// The next `request_id` number (`--request-ids`), unique over the run.
static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

/// Sends create → pause → resume → stop on schedule until the session ends at a cycle boundary
/// or the run ends. Returns whether the connection is still usable, and the next due instant.
async fn send_commands(
    ctx: &Ctx,
    board: &Board,
    sender: &mut Ws,
    mut schedule: Schedule,
) -> (bool, Instant) {
    let mut step = 0_u8;
    let mut timer_id = String::new();
    loop {
        let due = schedule.next_due;
        if due >= schedule.deadline || (step == 0 && due >= schedule.session_end) {
            return (true, due);
        }
        tokio::time::sleep_until(due.into()).await;
        schedule.next_due += schedule.interval;
        let (kind, payload) = match step {
            0 => (
                "timer.create",
                json!({ "allocated_duration": 1500, "title": "soak" }),
            ),
            1 => ("timer.pause", json!({ "timer_id": timer_id })),
            2 => ("timer.resume", json!({ "timer_id": timer_id })),
            _ => ("timer.stop", json!({ "timer_id": timer_id })),
        };
        let sent = if ctx.cli.request_ids {
            let request_id = format!("soak-{}", NEXT_REQUEST.fetch_add(1, Ordering::Relaxed));
            ws::send_keyed(sender, kind, payload, &request_id).await
        } else {
            ws::send(sender, kind, payload).await
        };
        if let Err(failure) = sent {
            lost(board, &format!("command_{}", failure.0));
            return (false, schedule.next_due);
        }
        match ws::await_reply(sender, ctx.cli.timeout()).await {
            Ok(reply) if reply.kind == "error" => {
                board.error(format!("reply_{}", reply.error_code()));
                // Start over with a fresh timer rather than guess the state.
                step = 0;
            }
            Ok(reply) => {
                board.count("commands_ok");
                board.latency("round_trip", due.elapsed());
                if step == 0
                    && let Some((id, _)) = reply.timer_key()
                {
                    timer_id = id;
                }
                step = (step + 1) % 4;
            }
            Err(failure) => {
                lost(board, &format!("command_{}", failure.0));
                return (false, schedule.next_due);
            }
        }
    }
}

/// Drains a listening device until told to stop; hands it back unless the server ended it.
async fn listen(mut device: Ws, board: Arc<Board>, mut stop: watch::Receiver<bool>) -> Option<Ws> {
    loop {
        tokio::select! {
            _ = stop.changed() => return Some(device),
            next = ws::next_envelope(&mut device, Duration::from_secs(3600)) => match next {
                Ok(Some(_)) => board.count("fanout_messages"),
                Ok(None) => {
                    lost(&board, "listener_lost_eof");
                    return None;
                }
                Err(failure) => {
                    lost(&board, &format!("listener_lost_{}", failure.0));
                    return None;
                }
            },
        }
    }
}

/// The notification streams' shared parts.
pub struct Streams {
    /// One connection per stream (no pooling), so closing a stream closes its socket.
    pub client: reqwest::Client,
    /// `…/api/v1/notifications/subscribe`.
    pub url: reqwest::Url,
    /// The token of each slot's user while its stream is open, for the publisher.
    pub open_tokens: Mutex<Vec<Option<String>>>,
}

impl Streams {
    fn offer(&self, slot: u64, token: Option<String>) {
        let mut tokens = self
            .open_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = usize::try_from(slot).ok().and_then(|i| tokens.get_mut(i)) {
            *entry = token;
        }
    }

    /// The token of an open stream, picked by `turn`; `None` when none is open.
    pub fn pick(&self, turn: u64) -> Option<String> {
        let tokens = self
            .open_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let open: Vec<&String> = tokens.iter().flatten().collect();
        let len = open.len() as u64;
        (len > 0)
            .then(|| {
                open.get(usize::try_from(turn % len).ok()?)
                    .map(|t| (*t).clone())
            })
            .flatten()
    }
}

/// Keeps a notification stream slot filled until `deadline`.
pub async fn stream_slot(
    ctx: Arc<Ctx>,
    board: Arc<Board>,
    streams: Arc<Streams>,
    slot: u64,
    deadline: Instant,
) {
    let mut generation = 0_u64;
    while Instant::now() < deadline {
        let seed = churn::seed(Actor::Stream, slot, generation);
        let subject = churn::stream_subject(&ctx.cli.run_id, slot, generation);
        generation += 1;
        let Ok(token) = ctx.minter.mint(&subject) else {
            board.error("mint");
            return;
        };
        let end = deadline.min(Instant::now() + churn::lifetime(ctx.cli.churn_lifetime, seed));
        if !stream_once(&ctx, &board, &streams, slot, &token, end).await {
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }
}

/// One stream from subscribe to `end`; false when it could not be opened.
async fn stream_once(
    ctx: &Ctx,
    board: &Board,
    streams: &Streams,
    slot: u64,
    token: &str,
    end: Instant,
) -> bool {
    let permit = ctx.connect_gate.acquire().await.ok();
    let t0 = Instant::now();
    let mut url = streams.url.clone();
    url.query_pairs_mut()
        .append_pair("accessToken", token)
        .append_pair("timezone", &ctx.cli.timezone);
    let response = match tokio::time::timeout(ctx.cli.timeout(), streams.client.get(url).send())
        .await
    {
        Err(_) => Err("sse_timeout".to_owned()),
        Ok(Err(_)) => Err("sse_io".to_owned()),
        Ok(Ok(r)) if !r.status().is_success() => Err(format!("sse_http_{}", r.status().as_u16())),
        Ok(Ok(r)) => Ok(r),
    };
    let response = match response {
        Ok(response) => response,
        Err(kind) => {
            board.error(kind);
            return false;
        }
    };
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let mut permit = permit;
    let mut connected = false;
    loop {
        let wait = if connected {
            end.saturating_duration_since(Instant::now())
        } else {
            ctx.cli.timeout()
        };
        let chunk = match tokio::time::timeout(wait, body.next()).await {
            Err(_) if connected => break,
            Err(_) => {
                board.error("sse_no_connect_event");
                return false;
            }
            Ok(chunk) => chunk,
        };
        let bytes = match chunk {
            Some(Ok(bytes)) => bytes,
            Some(Err(_)) | None => {
                board.error(if connected {
                    "sse_lost"
                } else {
                    "sse_lost_before_connect"
                });
                break;
            }
        };
        buffer.push_str(&String::from_utf8_lossy(&bytes).replace('\r', ""));
        while let Some(at) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..at + 2).collect();
            match parse_frame(&frame).name.as_deref() {
                Some("connect") if !connected => {
                    connected = true;
                    permit = None;
                    board.count("sse_opened");
                    board.latency("sse_connect", t0.elapsed());
                    streams.offer(slot, Some(token.to_owned()));
                }
                Some("notification") => board.count("notifications_received"),
                _ => {}
            }
        }
        if connected && Instant::now() >= end {
            break;
        }
    }
    drop(permit);
    if connected {
        streams.offer(slot, None);
        board.count("sse_closed");
    }
    // Dropping the body closes the connection: the pool keeps no idle connection.
    drop(body);
    connected
}
