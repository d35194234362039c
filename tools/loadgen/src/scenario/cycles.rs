//! `cycles`: every user runs create → pause → resume → stop on device 0, one command in flight,
//! while device 1 (and any further device) listens.
//!
//! Measured: the round trip (send → reply on device 0), the fan-out (send → the same
//! `(timer id, version)` on device 1) and the fan-out after the reply (`fanout_after_reply`:
//! reply on device 0 → the copy on device 1, zero when the copy came first), which is how much
//! later the other device learns of a committed change than the device that made it, without the
//! command's own round trip. Without `--rate` each user sends its next command as soon as the
//! reply arrives (maximum throughput). With `--rate` each user sends on a fixed schedule, and the
//! round trip and the fan-out run from the *scheduled* instant, so queueing inside the server
//! counts.
//! Commands carry no `request_id`, so the server does exactly the work of one command (no
//! idempotency row), the same work the pgbench script does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::{Barrier, watch};
use tokio::task::JoinSet;

use super::Rendezvous;
use crate::stats::Tally;
use crate::ws::{self, Ws};
use crate::{Ctx, Outcome};

/// How long after the last command device 1 may still deliver its copies.
const FANOUT_GRACE: Duration = Duration::from_secs(3);

type Go = watch::Receiver<Option<(Instant, Instant)>>;

/// The two rendezvous of device 1's copies: from the command's (scheduled) send, and from its
/// reply on device 0.
#[derive(Clone)]
struct FanOut {
    from_send: Rendezvous<(String, i64)>,
    from_reply: Rendezvous<(String, i64)>,
}

/// Runs the scenario for this process's users.
///
/// # Errors
/// Only internal failures; network failures are counted in the tally.
pub async fn run(ctx: Arc<Ctx>) -> anyhow::Result<crate::Outcome> {
    let users: Vec<u64> = ctx.cli.my_users().collect();
    let barrier = Arc::new(Barrier::new(users.len() + 1));
    let (go_tx, go_rx) = watch::channel(None);
    let mut tasks = JoinSet::new();
    let shard_users = users.len().max(1) as f64;
    for (slot, &user) in users.iter().enumerate() {
        let ctx = Arc::clone(&ctx);
        let barrier = Arc::clone(&barrier);
        let go = go_rx.clone();
        // Spread the users' schedules over one interval so they do not send in lockstep.
        let phase = slot as f64 / shard_users;
        tasks.spawn(async move { run_user(ctx, user, phase, barrier, go).await });
    }
    barrier.wait().await;
    let start = Instant::now();
    let deadline = start + ctx.cli.duration();
    go_tx.send_replace(Some((start, deadline)));

    let mut tally = Tally::default();
    while let Some(joined) = tasks.join_next().await {
        tally.merge(&joined??)?;
    }
    Ok(Outcome {
        tally,
        measured_s: ctx.cli.duration().as_secs_f64(),
        notes: Vec::new(),
        soak: None,
    })
}

async fn run_user(
    ctx: Arc<Ctx>,
    user: u64,
    phase: f64,
    barrier: Arc<Barrier>,
    mut go: Go,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let devices = connect_devices(&ctx, user, &mut tally).await;
    // Every user waits here, connected or not, so the measured phase starts together.
    barrier.wait().await;
    let (start, deadline) = loop {
        if let Some(window) = *go.borrow_and_update() {
            break window;
        }
        go.changed().await?;
    };
    let Some(mut devices) = devices else {
        return Ok(tally);
    };
    let mut sender = devices.remove(0);
    let fan_out = FanOut {
        from_send: Rendezvous::new(),
        from_reply: Rendezvous::new(),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut listeners = JoinSet::new();
    for (i, device) in devices.into_iter().enumerate() {
        // Device 1 is "the second device" of the fan-out figure; the others only drain.
        let measure = (i == 0).then(|| fan_out.clone());
        listeners.spawn(listen(device, measure, stop_rx.clone()));
    }

    let interval = (ctx.cli.rate > 0.0)
        .then(|| Duration::from_secs_f64(ctx.cli.my_users().count() as f64 / ctx.cli.my_rate()));
    let mut next_due = start + interval.map_or(Duration::ZERO, |iv| iv.mul_f64(phase));
    let mut step = 0_u8;
    let mut timer_id = String::new();
    loop {
        let intended = match interval {
            Some(iv) => {
                tokio::time::sleep_until(next_due.into()).await;
                let due = next_due;
                next_due += iv;
                due
            }
            None => Instant::now(),
        };
        if intended >= deadline {
            break;
        }
        let (kind, payload) = match step {
            0 => (
                "timer.create",
                json!({ "allocated_duration": 1500, "title": "loadgen" }),
            ),
            1 => ("timer.pause", json!({ "timer_id": timer_id })),
            2 => ("timer.resume", json!({ "timer_id": timer_id })),
            _ => ("timer.stop", json!({ "timer_id": timer_id })),
        };
        let sent = Instant::now();
        if let Err(failure) = ws::send(&mut sender, kind, payload).await {
            tally.error(failure.0);
            break;
        }
        match ws::await_reply(&mut sender, ctx.cli.timeout()).await {
            Ok(reply) if reply.kind == "error" => {
                tally.error(format!("reply_{}", reply.error_code()));
                // Start over with a fresh timer rather than guess the state.
                step = 0;
            }
            Ok(reply) => {
                let now = Instant::now();
                tally.count("commands_ok", 1);
                tally.latency("round_trip", now - intended)?;
                if interval.is_some() {
                    tally.latency("round_trip_from_send", now - sent)?;
                }
                if let Some(key) = reply.timer_key() {
                    if step == 0 {
                        timer_id.clone_from(&key.0);
                    }
                    if let Some(fanout) = fan_out.from_reply.sent(key.clone(), now) {
                        tally.latency("fanout_after_reply", fanout)?;
                    }
                    if let Some(fanout) = fan_out.from_send.sent(key, intended) {
                        tally.latency("fanout", fanout)?;
                    }
                }
                step = (step + 1) % 4;
            }
            Err(failure) => {
                tally.error(failure.0);
                break;
            }
        }
    }
    fan_out.from_send.drain(FANOUT_GRACE).await;
    let _ = stop_tx.send(true);
    while let Some(joined) = listeners.join_next().await {
        tally.merge(&joined??)?;
    }
    let missing = fan_out.from_send.unmatched_sends();
    if missing > 0 {
        *tally.errors.entry("fanout_missing".to_owned()).or_default() += missing;
    }
    ws::close(sender).await;
    Ok(tally)
}

/// Opens the user's devices; `None` (with the errors counted) unless all of them connected.
pub(super) async fn connect_devices(ctx: &Ctx, user: u64, tally: &mut Tally) -> Option<Vec<Ws>> {
    let token = match ctx.minter.mint(&format!("{}-c{user}", ctx.cli.run_id)) {
        Ok(token) => token,
        Err(_) => {
            tally.error("mint");
            return None;
        }
    };
    let mut devices = Vec::new();
    for device in 0..ctx.cli.devices {
        let Ok(_permit) = ctx.connect_gate.acquire().await else {
            return None;
        };
        // Device 0 sends; the others only listen, possibly on another instance.
        let url = if device == 0 {
            &ctx.ws_url
        } else {
            &ctx.fanout_ws_url
        };
        let t0 = Instant::now();
        match ws::connect(url, &token, ctx.cli.timeout()).await {
            Ok(device) => {
                tally.count("connections_ok", 1);
                let _ = tally.latency("connect", t0.elapsed());
                devices.push(device);
            }
            Err(failure) => tally.error(failure.0),
        }
    }
    if devices.len() as u64 == ctx.cli.devices {
        Some(devices)
    } else {
        for device in devices {
            ws::close(device).await;
        }
        None
    }
}

/// Reads a listening device until told to stop; with `measure`, matches each copy to its send.
async fn listen(
    mut device: Ws,
    measure: Option<FanOut>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            next = ws::next_envelope(&mut device, Duration::from_secs(3600)) => match next {
                Ok(Some(envelope)) => {
                    let now = Instant::now();
                    tally.count("fanout_messages", 1);
                    if let (Some(fan_out), Some(key)) = (&measure, envelope.timer_key()) {
                        if let Some(latency) = fan_out.from_reply.arrived(key.clone(), now) {
                            tally.latency("fanout_after_reply", latency)?;
                        }
                        if let Some(latency) = fan_out.from_send.arrived(key, now) {
                            tally.latency("fanout", latency)?;
                        }
                    }
                }
                Ok(None) => {
                    tally.error("listener_closed_eof");
                    break;
                }
                Err(failure) => {
                    tally.error(format!("listener_{}", failure.0));
                    break;
                }
            },
        }
    }
    ws::close(device).await;
    Ok(tally)
}
