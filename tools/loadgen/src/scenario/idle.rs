//! `idle`: `users × devices` authenticated WebSocket connections opened, then held open and
//! silent for `--duration` seconds (counted from the moment this process has opened all of
//! them). What matters is the server's memory per connection and that none is dropped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::stats::Tally;
use crate::ws;
use crate::{Ctx, Outcome};

/// Runs the scenario for this process's users.
///
/// # Errors
/// Only internal failures; network failures are counted in the tally.
pub async fn run(ctx: Arc<Ctx>) -> anyhow::Result<Outcome> {
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let (release_tx, release_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut expected = 0_u64;
    for user in ctx.cli.my_users() {
        let token = ctx.minter.mint(&format!("{}-i{user}", ctx.cli.run_id))?;
        for _ in 0..ctx.cli.devices {
            expected += 1;
            let ctx = Arc::clone(&ctx);
            let token = token.clone();
            let ready = ready_tx.clone();
            let release = release_rx.clone();
            tasks.spawn(async move { hold(ctx, token, ready, release).await });
        }
    }
    drop(ready_tx);
    // Every connection reports once, connected or failed; give up waiting after a generous
    // bound so a wedged server cannot stall the run.
    let connect_budget = ctx.cli.timeout() * 3 + Duration::from_millis(expected * 10);
    let connect_end = Instant::now() + connect_budget;
    let mut reported = 0_u64;
    while reported < expected {
        match tokio::time::timeout_at(connect_end.into(), ready_rx.recv()).await {
            Ok(Some(())) => reported += 1,
            Ok(None) | Err(_) => break,
        }
    }
    let hold_start = Instant::now();
    tokio::time::sleep(ctx.cli.duration()).await;
    let measured_s = hold_start.elapsed().as_secs_f64();
    let _ = release_tx.send(true);
    let mut tally = Tally::default();
    while let Some(joined) = tasks.join_next().await {
        tally.merge(&joined??)?;
    }
    tally.count("connections_attempted", expected);
    Ok(Outcome {
        tally,
        measured_s,
        notes: Vec::new(),
        soak: None,
    })
}

async fn hold(
    ctx: Arc<Ctx>,
    token: String,
    ready: mpsc::UnboundedSender<()>,
    mut release: watch::Receiver<bool>,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let connected = {
        let _permit = ctx.connect_gate.acquire().await?;
        let t0 = Instant::now();
        let result = ws::connect(&ctx.ws_url, &token, ctx.cli.timeout()).await;
        if result.is_ok() {
            tally.latency("connect", t0.elapsed())?;
        }
        result
    };
    let _ = ready.send(());
    let mut device = match connected {
        Ok(device) => device,
        Err(failure) => {
            tally.error(failure.0);
            return Ok(tally);
        }
    };
    tally.count("connections_ok", 1);
    loop {
        tokio::select! {
            _ = release.changed() => {
                tally.count("connections_held", 1);
                break;
            }
            // Reading keeps the server's pings answered (tungstenite queues the pong).
            next = ws::next_envelope(&mut device, Duration::from_secs(3600)) => match next {
                Ok(Some(_)) => tally.count("unexpected_messages", 1),
                Ok(None) => {
                    tally.error("dropped_eof");
                    return Ok(tally);
                }
                Err(failure) => {
                    tally.error(format!("dropped_{}", failure.0));
                    return Ok(tally);
                }
            },
        }
    }
    ws::close(device).await;
    Ok(tally)
}
