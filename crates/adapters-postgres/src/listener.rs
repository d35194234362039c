//! The receiving side of the embedded event bus (`EVENT_BUS=postgres`): every server instance's
//! one connection that hears what the relays publish with `pg_notify` ([`crate::relay`]) and
//! hands each payload to the instance's [`PgEventInbox`], which drops what no local connection
//! cares about and routes the rest. It also hears the relays' wakes
//! ([`crate::relay::wake`]) and posts them for this instance's relay.
//!
//! # Listening
//! [`PgEventListener`] owns one connection opened outside the pool (a pooled connection would
//! be recycled and lose its `LISTEN`), tagged `application_name=hourglass-listener` so operators
//! can find it. When that connection fails — or stops answering the periodic probe — the
//! listener reconnects with exponential backoff and, once `LISTEN`ing again, asks the local
//! delivery to resynchronise every client
//! ([`hourglass_ports::event::LocalDelivery::resync_local`]): whatever was
//! committed during the gap reaches the clients through that resync instead of being lost.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt as _;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::event_bus::{CHANNEL, with_application_name};
use crate::inbox::PgEventInbox;
use crate::listener_health::ListenerHealth;
use crate::relay::wake;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The `application_name` of the listening connection (`pg_stat_activity`).
pub const LISTENER_APPLICATION_NAME: &str = "hourglass-listener";

/// First wait before reconnecting; doubled per failed attempt up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often an idle listening connection is probed: a connection whose network path silently
/// vanished yields no error on its own, so it must be asked.
const PROBE_INTERVAL: Duration = Duration::from_secs(10);
/// How long the probe may take before the connection counts as dead.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The listener could not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    /// The first connection or its `LISTEN` failed.
    #[error("cannot listen for events on the database")]
    Connect(#[source] BoxError),
}

/// This instance's listener: one dedicated connection, reconnected with backoff.
pub struct PgEventListener {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    health: ListenerHealth,
}

impl std::fmt::Debug for PgEventListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgEventListener").finish_non_exhaustive()
    }
}

/// Opens the dedicated connection and subscribes to [`CHANNEL`] and to the relays' wakes.
async fn connect(url: &str) -> Result<AsyncPgConnection, BoxError> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    for channel in [CHANNEL, wake::WAKE_CHANNEL] {
        diesel::sql_query(format!("LISTEN {channel}"))
            .execute(&mut conn)
            .await?;
    }
    Ok(conn)
}

impl PgEventListener {
    /// Connects and `LISTEN`s before returning (so no event committed after start-up is missed),
    /// then hands every payload to `inbox` until [`PgEventListener::stop`].
    ///
    /// # Errors
    /// [`ListenerError::Connect`] when the first connection or `LISTEN` fails.
    pub async fn start(
        database_url: &str,
        inbox: Arc<PgEventInbox>,
    ) -> Result<Self, ListenerError> {
        let url = with_application_name(database_url, LISTENER_APPLICATION_NAME);
        let conn = connect(&url).await.map_err(ListenerError::Connect)?;
        let health = ListenerHealth::default();
        health.connected(false);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(url, conn, inbox, stopped, health.clone()));
        Ok(Self { stop, task, health })
    }

    /// The state of the listening connection, for `/metrics`.
    pub fn health(&self) -> ListenerHealth {
        self.health.clone()
    }

    /// Stops listening and waits for the task to end.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        if let Err(error) = self.task.await {
            tracing::warn!(%error, "the event listener task failed");
        }
    }
}

/// Why [`listen`] returned.
enum Ended {
    /// Asked to stop.
    Stopped,
    /// The connection failed; reconnect.
    Lost,
}

/// Listens, and after every loss reconnects with backoff and resynchronises the local clients.
async fn run(
    url: String,
    mut conn: AsyncPgConnection,
    inbox: Arc<PgEventInbox>,
    mut stopped: watch::Receiver<bool>,
    health: ListenerHealth,
) {
    loop {
        if let Ended::Stopped = listen(&mut conn, &inbox, &mut stopped).await {
            return;
        }
        health.lost();
        tracing::warn!("event listener connection lost; reconnecting");
        let mut backoff = MIN_BACKOFF;
        conn = loop {
            tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => return,
                () = tokio::time::sleep(backoff) => {}
            }
            match connect(&url).await {
                Ok(conn) => break conn,
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis(),
                        "event listener cannot reconnect");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        };
        health.connected(true);
        tracing::info!("event listener reconnected; resynchronising local clients");
        // Anything committed while nobody listened is only in the database now.
        inbox.resync().await;
    }
}

/// Hands payloads to the inbox until the connection fails or the listener is stopped.
async fn listen(
    conn: &mut AsyncPgConnection,
    inbox: &PgEventInbox,
    stopped: &mut watch::Receiver<bool>,
) -> Ended {
    let mut probe = tokio::time::interval(PROBE_INTERVAL);
    probe.reset();
    loop {
        // The stream borrows the connection, so it is rebuilt for each step (cheap: it only
        // wraps the receiver) and the probe can use the connection between steps.
        let next = {
            let notifications = conn.notifications_stream();
            let mut notifications = std::pin::pin!(notifications);
            tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => return Ended::Stopped,
                _ = probe.tick() => None,
                item = notifications.next() => Some(item),
            }
        };
        match next {
            None => {
                let answered = tokio::time::timeout(
                    PROBE_TIMEOUT,
                    diesel::sql_query("SELECT 1").execute(conn),
                )
                .await;
                if !matches!(answered, Ok(Ok(_))) {
                    return Ended::Lost;
                }
            }
            Some(Some(Ok(notification))) if notification.channel == wake::WAKE_CHANNEL => {
                wake::BOARD.post(&notification.payload);
            }
            Some(Some(Ok(notification))) => {
                inbox
                    .accept(&notification.payload, None, Instant::now())
                    .await;
            }
            Some(Some(Err(error))) => {
                tracing::warn!(%error, "event listener connection failed");
                return Ended::Lost;
            }
            Some(None) => return Ended::Lost,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listener_names_itself() {
        assert_eq!(
            with_application_name("postgres://u@h/db", LISTENER_APPLICATION_NAME),
            "postgres://u@h/db?application_name=hourglass-listener"
        );
        assert_eq!(
            with_application_name(
                "postgres://u@h/db?sslmode=disable",
                LISTENER_APPLICATION_NAME
            ),
            "postgres://u@h/db?sslmode=disable&application_name=hourglass-listener"
        );
    }
}
