//! `sse`: `users × devices` notification streams (`GET /api/v1/notifications/subscribe`), held
//! for `--duration` seconds while a publisher calls `GET /api/v1/notifications/test` for the
//! users in turn at `--rate` per second (default 50).
//!
//! Measured: the time from the publisher's request to the notification (matched by user and
//! notification id) arriving on the user's first stream. The body is read as it streams in and
//! cut into events at blank lines, as an `EventSource` does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::Value;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::Rendezvous;
use crate::stats::Tally;
use crate::{Ctx, Outcome};

/// Publisher rate when `--rate` is 0.
const DEFAULT_RATE: f64 = 50.0;
/// Publisher requests in flight at once.
const PUBLISH_CONCURRENCY: usize = 32;

type Key = (u64, u64);

/// Runs the scenario for this process's users.
///
/// # Errors
/// Only internal failures; network failures are counted in the tally.
pub async fn run(ctx: Arc<Ctx>) -> anyhow::Result<Outcome> {
    // Streams each hold a connection of their own; the publisher reuses a keep-alive pool.
    let streams_client = reqwest::Client::builder()
        .connect_timeout(ctx.cli.timeout())
        .pool_max_idle_per_host(0)
        .build()?;
    let publish_client = reqwest::Client::builder()
        .timeout(ctx.cli.timeout())
        .build()?;
    let subscribe_url = ctx.base.join("/api/v1/notifications/subscribe")?;
    let test_url = ctx.base.join("/api/v1/notifications/test")?;

    let rendezvous: Rendezvous<Key> = Rendezvous::new();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let (release_tx, release_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut tokens = Vec::new();
    let mut expected = 0_u64;
    for user in ctx.cli.my_users() {
        let token = ctx.minter.mint(&format!("{}-s{user}", ctx.cli.run_id))?;
        for device in 0..ctx.cli.devices {
            expected += 1;
            let stream = Stream {
                ctx: Arc::clone(&ctx),
                client: streams_client.clone(),
                url: subscribe_url.clone(),
                token: token.clone(),
                user,
                measure: (device == 0).then(|| rendezvous.clone()),
            };
            let ready = ready_tx.clone();
            let release = release_rx.clone();
            tasks.spawn(async move { stream.hold(ready, release).await });
        }
        tokens.push((user, token));
    }
    drop(ready_tx);
    let connect_end = Instant::now() + ctx.cli.timeout() * 3 + Duration::from_millis(expected * 10);
    let mut reported = 0_u64;
    while reported < expected {
        match tokio::time::timeout_at(connect_end.into(), ready_rx.recv()).await {
            Ok(Some(())) => reported += 1,
            Ok(None) | Err(_) => break,
        }
    }

    // The publisher: open loop at the target rate, round robin over the users.
    let rate = if ctx.cli.rate > 0.0 {
        ctx.cli.my_rate()
    } else {
        DEFAULT_RATE / f64::from(ctx.cli.shard().1)
    };
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let deadline = start + ctx.cli.duration();
    let gate = Arc::new(Semaphore::new(PUBLISH_CONCURRENCY));
    let mut publishers = JoinSet::new();
    let mut next_due = start;
    let mut turn = 0_usize;
    let mut tally = Tally::default();
    while next_due < deadline && !tokens.is_empty() {
        tokio::time::sleep_until(next_due.into()).await;
        next_due += interval;
        let Ok(permit) = Arc::clone(&gate).try_acquire_owned() else {
            // Open loop: a publisher slot is not free, so this tick is skipped and counted.
            tally.error("publisher_saturated");
            continue;
        };
        let Some((user, token)) = tokens.get(turn % tokens.len()).cloned() else {
            break;
        };
        turn += 1;
        let client = publish_client.clone();
        let url = test_url.clone();
        let rendezvous = rendezvous.clone();
        publishers.spawn(async move {
            let _permit = permit;
            publish(client, url, token, user, rendezvous).await
        });
    }
    while let Some(joined) = publishers.join_next().await {
        tally.merge(&joined??)?;
    }
    rendezvous.drain(Duration::from_secs(3)).await;
    let measured_s = start.elapsed().as_secs_f64();
    let _ = release_tx.send(true);
    while let Some(joined) = tasks.join_next().await {
        tally.merge(&joined??)?;
    }
    let missing = rendezvous.unmatched_sends();
    if missing > 0 {
        *tally
            .errors
            .entry("notification_missing".to_owned())
            .or_default() += missing;
    }
    tally.count("streams_attempted", expected);
    Ok(Outcome {
        tally,
        measured_s,
        notes: Vec::new(),
        soak: None,
    })
}

/// One `GET /api/v1/notifications/test`.
async fn publish(
    client: reqwest::Client,
    url: reqwest::Url,
    token: String,
    user: u64,
    rendezvous: Rendezvous<Key>,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let sent = Instant::now();
    let response = match client.get(url).bearer_auth(token).send().await {
        Ok(response) => response,
        Err(error) => {
            tally.error(if error.is_timeout() {
                "publish_timeout"
            } else {
                "publish_io"
            });
            return Ok(tally);
        }
    };
    let status = response.status();
    if !status.is_success() {
        tally.error(format!("publish_http_{}", status.as_u16()));
        return Ok(tally);
    }
    let Ok(body) = response.json::<Value>().await else {
        tally.error("publish_bad_json");
        return Ok(tally);
    };
    tally.latency("publish_request", sent.elapsed())?;
    tally.count("notifications_published", 1);
    if let Some(id) = body.get("id").and_then(Value::as_u64)
        && let Some(latency) = rendezvous.sent((user, id), sent)
    {
        tally.latency("notify", latency)?;
    }
    Ok(tally)
}

struct Stream {
    ctx: Arc<Ctx>,
    client: reqwest::Client,
    url: reqwest::Url,
    token: String,
    user: u64,
    measure: Option<Rendezvous<Key>>,
}

impl Stream {
    async fn hold(
        self,
        ready: mpsc::UnboundedSender<()>,
        mut release: watch::Receiver<bool>,
    ) -> anyhow::Result<Tally> {
        let mut tally = Tally::default();
        let permit = self.ctx.connect_gate.acquire().await?;
        let t0 = Instant::now();
        let mut url = self.url.clone();
        url.query_pairs_mut()
            .append_pair("accessToken", &self.token)
            .append_pair("timezone", &self.ctx.cli.timezone);
        let request = self.client.get(url).send();
        let response = match tokio::time::timeout(self.ctx.cli.timeout(), request).await {
            Err(_) => Err("stream_timeout".to_owned()),
            Ok(Err(_)) => Err("stream_io".to_owned()),
            Ok(Ok(r)) if !r.status().is_success() => {
                Err(format!("stream_http_{}", r.status().as_u16()))
            }
            Ok(Ok(r)) => Ok(r),
        };
        let response = match response {
            Ok(r) => r,
            Err(kind) => {
                tally.error(kind);
                let _ = ready.send(());
                return Ok(tally);
            }
        };
        let mut body = response.bytes_stream();
        let mut buffer = String::new();
        let mut connected = false;
        let mut ready = Some((ready, permit));
        loop {
            let wait = if connected {
                Duration::from_secs(3600)
            } else {
                self.ctx.cli.timeout()
            };
            let chunk = tokio::select! {
                _ = release.changed() => break,
                // Before `connect` a silent server is an error; afterwards silence is normal.
                chunk = tokio::time::timeout(wait, body.next()) => match chunk {
                    Ok(chunk) => chunk,
                    Err(_) if connected => continue,
                    Err(_) => {
                        tally.error("stream_no_connect_event");
                        break;
                    }
                },
            };
            let bytes = match chunk {
                Some(Ok(bytes)) => bytes,
                Some(Err(_)) => {
                    tally.error("stream_dropped_io");
                    break;
                }
                None => {
                    tally.error("stream_dropped_eof");
                    break;
                }
            };
            let now = Instant::now();
            buffer.push_str(&String::from_utf8_lossy(&bytes).replace('\r', ""));
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                let event = parse_frame(&frame);
                match event.name.as_deref() {
                    Some("connect") if !connected => {
                        connected = true;
                        tally.count("connections_ok", 1);
                        tally.latency("connect", t0.elapsed())?;
                        if let Some((ready, permit)) = ready.take() {
                            drop(permit);
                            let _ = ready.send(());
                        }
                    }
                    Some("notification") => {
                        tally.count("notifications_received", 1);
                        if let (Some(rendezvous), Some(id)) = (&self.measure, event.id)
                            && let Some(latency) = rendezvous.arrived((self.user, id), now)
                        {
                            tally.latency("notify", latency)?;
                        }
                    }
                    Some("heartbeat") => tally.count("heartbeats", 1),
                    _ => {}
                }
            }
        }
        if let Some((ready, _permit)) = ready.take() {
            let _ = ready.send(());
        }
        if connected && *release.borrow() {
            tally.count("connections_held", 1);
        }
        Ok(tally)
    }
}

/// One server-sent event: its `event:` name and numeric `id:`.
#[derive(Debug, Default, PartialEq)]
pub struct Frame {
    /// `event:`.
    pub name: Option<String>,
    /// `id:`, when numeric.
    pub id: Option<u64>,
}

/// Reads the `event:` and `id:` lines of one event (the text up to its blank line).
pub fn parse_frame(frame: &str) -> Frame {
    let mut parsed = Frame::default();
    for line in frame.lines() {
        if let Some(name) = line.strip_prefix("event:") {
            parsed.name = Some(name.trim().to_owned());
        } else if let Some(id) = line.strip_prefix("id:") {
            parsed.id = id.trim().parse().ok();
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_give_their_event_and_id() {
        assert_eq!(
            parse_frame("id: 17\nevent: notification\ndata: {\"id\":17}\n\n"),
            Frame {
                name: Some("notification".to_owned()),
                id: Some(17)
            }
        );
        assert_eq!(
            parse_frame("retry: 3000\nevent: connect\ndata: Connected\n\n").name,
            Some("connect".to_owned())
        );
    }
}
