//! `light`: the quiet, closed-loop shape (issue 16). Every user has two devices and acts from
//! them in turn: command `k` goes out on device `k % 2`, and the user sends nothing more until
//! both the reply on that device and the copy on the other device arrived (one command in
//! flight per user). Each socket therefore carries one small server frame per command and is
//! quiet in between, which is where Nagle's algorithm meets a delayed ACK: a frame written while
//! the previous one on the same socket is still unacknowledged waits for that ACK.
//!
//! Measured from the actual send of each command: `reply` (the sender's own reply) and `fanout`
//! (the same `(timer id, version)` arriving on the user's other device); and
//! `fanout_after_reply`, how much later than the reply the copy arrived, which leaves out the
//! database time both include. Without `--rate` every user sends its next command as soon as
//! both arrived. With `--rate` the users are paced to that total rate (each user once every
//! `users / rate` seconds, their phases spread over one interval), still one command in flight
//! per user: a user whose command is not complete when its next slot comes sends as soon as it
//! is, and counts the slot in `sends_late`. Commands run create → pause → resume → stop,
//! without `request_id`, like `cycles`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::json;
use tokio::sync::{Barrier, watch};
use tokio::task::JoinSet;

use super::cycles::connect_devices;
use crate::stats::Tally;
use crate::ws::{self, Envelope, Incoming, Ws};
use crate::{Ctx, Outcome};

type Go = watch::Receiver<Option<(Instant, Instant)>>;

/// Runs the scenario for this process's users (`--devices` is 2).
///
/// # Errors
/// Only internal failures; network failures are counted in the tally.
pub async fn run(ctx: Arc<Ctx>) -> anyhow::Result<Outcome> {
    let users: Vec<u64> = ctx.cli.my_users().collect();
    let barrier = Arc::new(Barrier::new(users.len() + 1));
    let (go_tx, go_rx) = watch::channel(None);
    let mut tasks = JoinSet::new();
    let shard_users = users.len().max(1) as f64;
    for (slot, &user) in users.iter().enumerate() {
        let ctx = Arc::clone(&ctx);
        let barrier = Arc::clone(&barrier);
        let go = go_rx.clone();
        let phase = slot as f64 / shard_users;
        tasks.spawn(async move { run_user(ctx, user, phase, barrier, go).await });
    }
    barrier.wait().await;
    let start = Instant::now();
    go_tx.send_replace(Some((start, start + ctx.cli.duration())));

    let mut tally = Tally::default();
    while let Some(joined) = tasks.join_next().await {
        tally.merge(&joined??)?;
    }
    Ok(Outcome {
        tally,
        measured_s: ctx.cli.duration().as_secs_f64(),
        notes: vec![
            "latencies from each command's actual send; the next command waits for the reply \
             and the copy on the other device"
                .to_owned(),
        ],
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
    let Some(devices) = devices else {
        return Ok(tally);
    };
    let Ok([mut first, mut second]) = <[Ws; 2]>::try_from(devices) else {
        anyhow::bail!("`light` needs exactly two devices per user");
    };

    let interval = (ctx.cli.rate > 0.0)
        .then(|| Duration::from_secs_f64(ctx.cli.my_users().count() as f64 / ctx.cli.my_rate()));
    let mut next_due = start + interval.map_or(Duration::ZERO, |iv| iv.mul_f64(phase));
    let mut step = 0_u8;
    let mut timer_id = String::new();
    for k in 0_u64.. {
        if let Some(iv) = interval {
            let now = Instant::now();
            if k > 0 && now > next_due {
                // The previous command outlasted this slot: send now, keep the spacing after it.
                // (No sleep at all: tokio's timer would round even an elapsed deadline up to its
                // next millisecond tick.)
                tally.count("sends_late", 1);
                next_due = now;
            } else if next_due > now {
                tokio::time::sleep_until(next_due.into()).await;
            }
            next_due += iv;
        }
        if Instant::now() >= deadline {
            break;
        }
        let (sender, other) = if k % 2 == 0 {
            (&mut first, &mut second)
        } else {
            (&mut second, &mut first)
        };
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
        if let Err(failure) = ws::send(sender, kind, payload).await {
            tally.error(failure.0);
            break;
        }
        let arrived = match reply_and_copy(sender, other, ctx.cli.timeout()).await {
            Ok(arrived) => arrived,
            Err(failure) => {
                tally.error(failure.0);
                break;
            }
        };
        let Some((reply, replied_at)) = arrived.reply else {
            // The state of the timer is unknown: stop this user rather than guess.
            tally.error("timeout_reply");
            break;
        };
        if reply.kind == "error" {
            tally.error(format!("reply_{}", reply.error_code()));
            // No copy goes out for a refused command; start over with a fresh timer.
            step = 0;
            continue;
        }
        tally.count("commands_ok", 1);
        tally.latency("reply", replied_at - sent)?;
        match arrived.copy_at {
            Some(copied_at) => {
                tally.latency("fanout", copied_at - sent)?;
                // What the copy waited beyond the reply: the delivery path alone, without the
                // database's share that both carry (0 when the copy came first).
                tally.latency(
                    "fanout_after_reply",
                    copied_at.saturating_duration_since(replied_at),
                )?;
            }
            None => tally.error("fanout_missing"),
        }
        if step == 0
            && let Some((id, _)) = reply.timer_key()
        {
            timer_id = id;
        }
        step = (step + 1) % 4;
    }
    ws::close(first).await;
    ws::close(second).await;
    Ok(tally)
}

/// What arrived for one command.
struct Arrived {
    /// The reply on the sending device, and when it was read.
    reply: Option<(Envelope, Instant)>,
    /// When the copy of that reply's `(timer id, version)` was read on the other device.
    copy_at: Option<Instant>,
}

/// Reads both devices until the sender's reply and, for a successful command, its copy on the
/// other device have arrived, or `timeout` has passed. Both connections are read at once, so
/// each message is timed when it arrives, whichever comes first.
///
/// # Errors
/// A closed or broken connection, or a message that is not an envelope.
async fn reply_and_copy(
    sender: &mut Ws,
    other: &mut Ws,
    timeout: Duration,
) -> Result<Arrived, ws::Failure> {
    let give_up = tokio::time::Instant::now() + timeout;
    let mut reply: Option<(Envelope, Instant)> = None;
    let mut copies: Vec<((String, i64), Instant)> = Vec::new();
    loop {
        if let Some((envelope, _)) = &reply {
            let copy_at = match envelope.timer_key() {
                // An error (or a reply without a timer) has no copy to wait for.
                None => None,
                Some(key) => match copies.iter().find(|(copied, _)| *copied == key) {
                    Some((_, at)) => Some(*at),
                    None => {
                        if tokio::time::Instant::now() >= give_up {
                            None
                        } else {
                            tokio::select! {
                                next = other.next() => {
                                    let now = Instant::now();
                                    note_copy(ws::incoming(next)?, now, &mut copies)?;
                                    continue;
                                }
                                () = tokio::time::sleep_until(give_up) => None,
                            }
                        }
                    }
                },
            };
            return Ok(Arrived { reply, copy_at });
        }
        tokio::select! {
            next = sender.next() => {
                let now = Instant::now();
                match ws::incoming(next)? {
                    Incoming::Envelope(envelope)
                        if matches!(envelope.kind.as_str(), "timer.created" | "timer.updated" | "error") =>
                    {
                        reply = Some((envelope, now));
                    }
                    Incoming::Envelope(_) | Incoming::Control => {}
                    Incoming::Ended => return Err(ws::Failure("closed_eof".to_owned())),
                }
            }
            next = other.next() => {
                let now = Instant::now();
                note_copy(ws::incoming(next)?, now, &mut copies)?;
            }
            () = tokio::time::sleep_until(give_up) => {
                return Ok(Arrived { reply: None, copy_at: None });
            }
        }
    }
}

/// Notes a timer message read on the listening device at `now`.
fn note_copy(
    incoming: Incoming,
    now: Instant,
    copies: &mut Vec<((String, i64), Instant)>,
) -> Result<(), ws::Failure> {
    match incoming {
        Incoming::Envelope(envelope) => {
            if let Some(key) = envelope.timer_key() {
                copies.push((key, now));
            }
            Ok(())
        }
        Incoming::Control => Ok(()),
        Incoming::Ended => Err(ws::Failure("listener_closed_eof".to_owned())),
    }
}
