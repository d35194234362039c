//! Notifications under faults: a "notifier" stores `TEST` notifications for its user through one
//! instance, and a "stream observer" (an SSE client of the same user, on another instance) reads
//! them, reconnecting through the instances in turn with `Last-Event-ID` as a browser does. After
//! the fault the ids it saw must be the user's stored notifications, each once, in order: replay
//! filled whatever a dropped stream missed.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Context as _;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl as _;
use hourglass_adapters_postgres::pool::PgPool;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::device;

/// Pause between two reconnection attempts, and between two notifications.
const PAUSE: Duration = Duration::from_millis(200);

/// How long a read may stay silent before the stream counts as dead (the server sends a
/// heartbeat every `SSE_HEARTBEAT_SECONDS`, set to 1 by these tests).
const SILENCE: Duration = Duration::from_secs(5);

/// Stores a `TEST` notification of `sub` every [`PAUSE`] through `endpoints` (base URLs), the next
/// one after a failure, until stopped; returns how many were stored (acknowledged).
pub struct Notifier {
    stop: watch::Sender<bool>,
    task: JoinHandle<usize>,
}

impl Notifier {
    /// Starts notifying.
    pub fn start(sub: &str, endpoints: Vec<String>) -> anyhow::Result<Self> {
        let token = device::token(sub)?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut stored = 0;
            let mut at = 0;
            while !*stopped.borrow() {
                let url = format!(
                    "{}/api/v1/notifications/test",
                    endpoints[at % endpoints.len()]
                );
                let sent = client
                    .get(url)
                    .bearer_auth(&token)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status().is_success() => stored += 1,
                    _ => at += 1,
                }
                tokio::time::sleep(PAUSE).await;
            }
            stored
        });
        Ok(Self { stop, task })
    }

    /// Stops and returns how many notifications were acknowledged.
    pub async fn stop(self) -> anyhow::Result<usize> {
        self.stop.send_replace(true);
        Ok(tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .context("a notifier did not stop")??)
    }
}

/// What a stream observer saw.
#[derive(Debug, Default)]
pub struct StreamReport {
    /// The user (`sub`).
    pub sub: String,
    /// Notification ids in the order they arrived.
    pub ids: Vec<i64>,
    /// Streams opened (1: never reconnected).
    pub connects: usize,
}

impl StreamReport {
    /// The ids must be `stored` exactly: each once, in increasing order.
    pub fn check(&self, stored: &[i64]) -> Result<(), String> {
        let unordered: Vec<(i64, i64)> = self
            .ids
            .windows(2)
            .filter_map(|pair| match pair {
                [a, b] if b <= a => Some((*a, *b)),
                _ => None,
            })
            .collect();
        if !unordered.is_empty() {
            return Err(format!(
                "{}: ids repeated or out of order: {unordered:?}",
                self.sub
            ));
        }
        let seen: BTreeSet<i64> = self.ids.iter().copied().collect();
        let wanted: BTreeSet<i64> = stored.iter().copied().collect();
        if seen != wanted {
            return Err(format!(
                "{}: stored but never seen {:?}; seen but not stored {:?}",
                self.sub,
                wanted.difference(&seen).collect::<Vec<_>>(),
                seen.difference(&wanted).collect::<Vec<_>>()
            ));
        }
        Ok(())
    }
}

/// An SSE client of `sub` that reconnects (through `endpoints` in turn) until stopped.
pub struct StreamObserver {
    stop: watch::Sender<bool>,
    task: JoinHandle<StreamReport>,
}

impl StreamObserver {
    /// Starts reading.
    pub fn start(sub: &str, endpoints: Vec<String>) -> anyhow::Result<Self> {
        let token = device::token(sub)?;
        let (stop, stopped) = watch::channel(false);
        let sub = sub.to_owned();
        let task = tokio::spawn(read_streams(sub, token, endpoints, stopped));
        Ok(Self { stop, task })
    }

    /// Stops and returns what it saw.
    pub async fn stop(self) -> anyhow::Result<StreamReport> {
        self.stop.send_replace(true);
        Ok(tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .context("a stream observer did not stop")??)
    }
}

async fn read_streams(
    sub: String,
    token: String,
    endpoints: Vec<String>,
    mut stopped: watch::Receiver<bool>,
) -> StreamReport {
    let client = reqwest::Client::new();
    let mut report = StreamReport {
        sub,
        ..StreamReport::default()
    };
    let mut at = 0;
    while !*stopped.borrow() {
        let url = format!(
            "{}/api/v1/notifications/subscribe",
            endpoints[at % endpoints.len()]
        );
        // From the start with `0`: the notifier may store its first one before this stream opens.
        let last = report.ids.last().copied().unwrap_or(0);
        let request = client
            .get(url)
            .bearer_auth(&token)
            .header("Last-Event-ID", last.to_string());
        match request.send().await {
            Ok(response) if response.status().is_success() => {
                report.connects += 1;
                read_one(response, &mut report, &mut stopped).await;
            }
            _ => {}
        }
        at += 1;
        tokio::time::sleep(PAUSE).await;
    }
    report
}

/// Reads one stream until it ends, stays silent too long, or the observer is stopped.
async fn read_one(
    mut response: reqwest::Response,
    report: &mut StreamReport,
    stopped: &mut watch::Receiver<bool>,
) {
    let mut pending = String::new();
    loop {
        let chunk = tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return,
            chunk = tokio::time::timeout(SILENCE, response.chunk()) => chunk,
        };
        let Ok(Ok(Some(bytes))) = chunk else {
            return;
        };
        pending.push_str(&String::from_utf8_lossy(&bytes));
        // Frames end with a blank line.
        while let Some(end) = pending.find("\n\n") {
            let frame: String = pending.drain(..end + 2).collect();
            let mut id = None;
            let mut event = None;
            for line in frame.lines() {
                if let Some(value) = line.strip_prefix("id:") {
                    id = value.trim().parse::<i64>().ok();
                } else if let Some(value) = line.strip_prefix("event:") {
                    event = Some(value.trim().to_owned());
                }
            }
            if let (Some(id), Some("notification")) = (id, event.as_deref()) {
                report.ids.push(id);
            }
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Stored {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The ids of `sub`'s stored notifications, in order.
pub async fn stored_of(pool: &PgPool, sub: &str) -> anyhow::Result<Vec<i64>> {
    let mut conn = pool.get().await?;
    let rows: Vec<Stored> = diesel::sql_query(
        "SELECT n.id FROM notifications n JOIN users u ON u.id = n.receiver_id \
          WHERE u.subject = $1 ORDER BY n.id",
    )
    .bind::<Text, _>(sub)
    .load(&mut conn)
    .await?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}
