//! The outbox relay: publishes the events that transactions left in `event_outbox`
//! ([`crate::outbox`]) and deletes what it published.
//!
//! # Who relays what
//! Every instance runs one relay. The users are spread over [`PARTITIONS`] partitions, and a
//! relay publishes only the partitions it holds, each claimed with a session advisory lock
//! (`pg_try_advisory_lock(`[`PARTITION_LOCK_CLASS`]`, partition)`) on its own connection. So
//! exactly one relay handles a partition at a time, and when an instance dies its connection
//! closes, PostgreSQL releases its locks, and the others claim its partitions at their next
//! rebalance (every [`REBALANCE_INTERVAL`]). Each relay aims at its fair share: the partitions
//! divided by the relays connected to the database (counted in `pg_stat_activity` by their
//! `application_name`, [`RELAY_APPLICATION_NAME`]), and gives back what it holds above it.
//!
//! # Publishing
//! Where depends on the engine (`EVENT_BUS`):
//!
//! - **PostgreSQL** ([`PgOutboxRelay::start`]): one statement deletes up to [`BATCH`] of its
//!   partitions' rows, oldest id first, and calls `pg_notify` for each in id order, in one
//!   transaction: the batch is published exactly when its rows are gone, and one commit takes
//!   PostgreSQL's notify lock for the whole batch, outside every user's transaction.
//! - **An external bus** ([`PgOutboxRelay::start_publishing_to`], NATS JetStream): the relay
//!   reads up to [`BATCH`] rows, hands them to the [`EventSink`] with their subjects, and deletes
//!   them once the broker has stored every one. A relay that dies in between leaves the rows, and
//!   whoever holds the partition next publishes them again under the same outbox ids, which the
//!   broker and the receivers deduplicate. While the broker is unreachable the rows wait in the
//!   outbox, and the relay retries with backoff.
//!
//! Per user, ids are in commit order (see [`crate::outbox`]), and batches go out in id order, so
//! each user's events reach the receivers ([`crate::inbox`]) in commit order.
//!
//! # When
//! Right after a transaction of this process that enqueued commits (`crate::outbox::kick`);
//! when another instance's relay wakes it for rows that instance wrote into partitions this relay
//! holds ([`wake`]); and otherwise every poll interval, the fallback for both.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Integer, SmallInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt as _;
use hourglass_ports::bus::{BusMessage, EventSink};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::event_bus::{Announcement, CHANNEL, with_application_name};
use crate::outbox::{PARTITIONS, kicked, partition_mask};
use crate::statement::CachedSql;

pub mod wake;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The `application_name` of every relay connection (`pg_stat_activity`): how relays count each
/// other.
pub const RELAY_APPLICATION_NAME: &str = "hourglass-relay";

/// The first key of the partition locks (`pg_try_advisory_lock(int, int)`), "HG". Two-key
/// advisory locks never collide with the one-key locks of users and migrations.
pub const PARTITION_LOCK_CLASS: i32 = 0x4847;

/// Rows published per statement; a full batch is followed by the next one at once.
pub const BATCH: i64 = 1000;

/// How often a relay counts the relays and claims or gives back partitions: also how long the
/// partitions of a dead instance wait for a new holder.
///
/// Short, because the events a dead instance left in the outbox wait this long: meanwhile its
/// users' devices, reconnected elsewhere, may commit newer versions that their new instance
/// delivers in-process, and a device would then skip a version. Two small queries per interval.
pub const REBALANCE_INTERVAL: Duration = Duration::from_millis(100);

/// First wait before reconnecting; doubled per failed attempt up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between reconnection attempts, and between attempts to reach the bus.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Where a relay publishes.
#[derive(Clone)]
enum Publisher {
    /// `pg_notify`, in the transaction that deletes the batch.
    Notify,
    /// An external bus, before the batch is deleted.
    Sink(Arc<dyn EventSink>),
}

impl Publisher {
    /// Whether the relay's own connection `LISTEN`s for wakes: with `pg_notify` the instance's
    /// listening connection hears them (see [`wake`]).
    fn hears_wakes_itself(&self) -> bool {
        matches!(self, Self::Sink(_))
    }
}

/// How a relay runs.
#[derive(Debug, Clone, Copy)]
pub struct RelaySettings {
    /// How long the relay waits for a kick before reading its partitions anyway.
    pub poll_interval: Duration,
}

/// The relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The first connection failed.
    #[error("cannot connect the outbox relay to the database")]
    Connect(#[source] BoxError),
}

/// What one relay holds, and how much it published (for tests and operators).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayStatus {
    /// The partitions this relay holds now.
    pub partitions: BTreeSet<i16>,
    /// Events published since start.
    pub published: u64,
    /// Wakes sent to other instances' relays ([`wake`]) since start.
    pub wakes_sent: u64,
    /// Wakes heard since start that named a partition this relay held.
    pub wakes_heard: u64,
}

/// This instance's relay: one connection of its own, reconnected with backoff.
pub struct PgOutboxRelay {
    stop: watch::Sender<bool>,
    status: watch::Receiver<RelayStatus>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for PgOutboxRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOutboxRelay").finish_non_exhaustive()
    }
}

impl PgOutboxRelay {
    /// Connects, then relays with `pg_notify` until [`PgOutboxRelay::stop`].
    ///
    /// # Errors
    /// [`RelayError::Connect`] when the first connection fails.
    pub async fn start(database_url: &str, settings: RelaySettings) -> Result<Self, RelayError> {
        Self::launch(database_url, settings, Publisher::Notify).await
    }

    /// Connects, then relays to `sink` until [`PgOutboxRelay::stop`].
    ///
    /// # Errors
    /// [`RelayError::Connect`] when the first connection fails.
    pub async fn start_publishing_to(
        database_url: &str,
        settings: RelaySettings,
        sink: Arc<dyn EventSink>,
    ) -> Result<Self, RelayError> {
        Self::launch(database_url, settings, Publisher::Sink(sink)).await
    }

    async fn launch(
        database_url: &str,
        settings: RelaySettings,
        publisher: Publisher,
    ) -> Result<Self, RelayError> {
        let url = with_application_name(database_url, RELAY_APPLICATION_NAME);
        let conn = connect(&url, publisher.hears_wakes_itself())
            .await
            .map_err(RelayError::Connect)?;
        let (stop, stopped) = watch::channel(false);
        let (report, status) = watch::channel(RelayStatus::default());
        let task = tokio::spawn(run(url, conn, settings, publisher, report, stopped));
        Ok(Self { stop, status, task })
    }

    /// What the relay holds and has published, updated as it works.
    pub fn status(&self) -> watch::Receiver<RelayStatus> {
        self.status.clone()
    }

    /// Publishes what its partitions still hold, gives them back and waits for the task to end.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        if let Err(error) = self.task.await {
            tracing::warn!(%error, "the outbox relay task failed");
        }
    }
}

/// Opens the relay's connection.
///
/// Its commits do not wait for the WAL flush (`synchronous_commit = off`): with `pg_notify`
/// the events go out as soon as the batch's transaction commits, not a disk flush later (the
/// flush was most of the cross-instance delivery time under load). This is safe because the
/// relay only deletes rows it has published: if PostgreSQL crashes before such a delete reaches
/// the disk, the rows come back and are published again under the same outbox ids, which the
/// receivers (and the NATS broker) drop as repeats. The users' own transactions, which write the
/// rows, still commit durably.
///
/// With `listen`, it also `LISTEN`s for the other relays' wakes ([`wake::WAKE_CHANNEL`]).
async fn connect(url: &str, listen: bool) -> Result<AsyncPgConnection, BoxError> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    diesel::sql_query("SET synchronous_commit = off")
        .execute(&mut conn)
        .await?;
    if listen {
        diesel::sql_query(format!("LISTEN {}", wake::WAKE_CHANNEL))
            .execute(&mut conn)
            .await?;
    }
    Ok(conn)
}

/// Why [`relay`] returned.
enum Ended {
    /// Asked to stop.
    Stopped,
    /// The connection failed; reconnect.
    Lost(BoxError),
}

/// Relays, and after every loss reconnects with backoff (the lost connection's partitions were
/// released with it, so they are claimed again from nothing).
async fn run(
    url: String,
    mut conn: AsyncPgConnection,
    settings: RelaySettings,
    publisher: Publisher,
    report: watch::Sender<RelayStatus>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        match relay(&mut conn, settings, &publisher, &report, &mut stopped).await {
            Ended::Stopped => return,
            Ended::Lost(error) => {
                tracing::warn!(%error, "outbox relay connection lost; reconnecting");
            }
        }
        report.send_modify(|status| status.partitions.clear());
        let mut backoff = MIN_BACKOFF;
        conn = loop {
            tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => return,
                () = tokio::time::sleep(backoff) => {}
            }
            match connect(&url, publisher.hears_wakes_itself()).await {
                Ok(conn) => break conn,
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis(),
                        "outbox relay cannot reconnect");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        };
        tracing::info!("outbox relay reconnected");
    }
}

/// What ended a relay's wait.
enum Woke {
    /// A commit of this process: wake the peers, then read the partitions.
    Kicked,
    /// A wake put off by [`wake::MIN_GAP`] is due.
    WakeDue,
    /// The poll interval: read the partitions.
    Publish,
    /// Another relay's wake: read the partitions if it names one this relay holds.
    Heard,
    /// Time to count the relays and claim or give back partitions.
    Rebalance,
    /// Asked to stop.
    Stop,
    /// The connection failed while waiting.
    Lost(BoxError),
}

/// Claims partitions and publishes them until the connection fails or the relay is stopped.
async fn relay(
    conn: &mut AsyncPgConnection,
    settings: RelaySettings,
    publisher: &Publisher,
    report: &watch::Sender<RelayStatus>,
    stopped: &mut watch::Receiver<bool>,
) -> Ended {
    let mut held = BTreeSet::new();
    // Relays that start together try the partitions from different places.
    let start_at = i32::from(crate::outbox::partition_of(
        i64::try_from(uuid::Uuid::now_v7().as_u128() & 0xffff).unwrap_or(0),
    ));
    let mut bus_backoff = MIN_BACKOFF;
    let mut rebalance = tokio::time::interval(REBALANCE_INTERVAL);
    rebalance.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut waking = wake::PeerWaking::default();
    // A relay that hears wakes on its own connection keeps them to itself; otherwise the
    // listening connection posts them on the process's board.
    let listens = publisher.hears_wakes_itself();
    let own_board = wake::WakeBoard::new();
    let board = if listens { &own_board } else { &wake::BOARD };
    let mut read = true;
    let mut kicked_now = false;
    let mut wake_due: Option<tokio::time::Instant> = None;
    loop {
        // Enabled before the read: a kick or wake that lands while it runs wakes the wait below.
        let kicked = kicked();
        let mut kicked = std::pin::pin!(kicked);
        kicked.as_mut().enable();
        let heard = board.posted();
        let mut heard = std::pin::pin!(heard);
        heard.as_mut().enable();
        // `held` changes only at a rebalance, after which the loop starts over.
        let held_mask = partition_mask(held.iter().copied());
        if std::mem::take(&mut kicked_now) {
            wake_due = None;
            match waking.wake_peers(conn, held_mask).await {
                Ok(wake::Waking::Nothing) => {}
                Ok(wake::Waking::Sent) => report.send_modify(|status| status.wakes_sent += 1),
                Ok(wake::Waking::NotBefore(at)) => wake_due = Some(at),
                Err(error) => return Ended::Lost(error.into()),
            }
        }
        if read {
            let published = match publish(conn, publisher, &held).await {
                Ok(Outcome::Published(published)) => {
                    bus_backoff = MIN_BACKOFF;
                    published
                }
                Ok(Outcome::BusUnavailable) => {
                    // The rows stay; kicks must not turn into a busy loop against a dead broker.
                    tokio::select! {
                        _ = stopped.wait_for(|stop| *stop) => return Ended::Stopped,
                        () = tokio::time::sleep(bus_backoff) => {}
                    }
                    bus_backoff = (bus_backoff * 2).min(MAX_BACKOFF);
                    0
                }
                Err(error) => return Ended::Lost(error.into()),
            };
            if published > 0 {
                report.send_modify(|status| status.published += published);
            }
            if published >= BATCH.unsigned_abs() {
                continue;
            }
        }
        let woke = {
            // The stream borrows the connection, so it lives only for the wait.
            let own = conn.notifications_stream();
            let mut own = std::pin::pin!(own);
            tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => Woke::Stop,
                () = &mut kicked => Woke::Kicked,
                () = &mut heard => Woke::Heard,
                Some(notification) = own.next(), if listens => match notification {
                    Ok(notification) => {
                        board.post(&notification.payload);
                        Woke::Heard
                    }
                    Err(error) => Woke::Lost(error.into()),
                },
                () = tokio::time::sleep(settings.poll_interval) => Woke::Publish,
                () = sleep_until_due(wake_due), if wake_due.is_some() => Woke::WakeDue,
                _ = rebalance.tick() => Woke::Rebalance,
            }
        };
        read = true;
        kicked_now = matches!(woke, Woke::Kicked);
        let wake_is_due = matches!(woke, Woke::WakeDue);
        match woke {
            Woke::Kicked | Woke::Publish => {}
            Woke::WakeDue => {
                // Only the wake: the kick that put it off has read already.
                read = false;
            }
            Woke::Heard => {
                if board.take(held_mask) == 0 {
                    // It named only partitions other relays hold (or was this relay's own).
                    read = false;
                } else {
                    report.send_modify(|status| status.wakes_heard += 1);
                }
            }
            Woke::Rebalance => {
                if let Err(error) = rebalance_partitions(conn, &mut held, start_at).await {
                    return Ended::Lost(error.into());
                }
                report.send_modify(|status| status.partitions.clone_from(&held));
            }
            Woke::Lost(error) => return Ended::Lost(error),
            Woke::Stop => {
                // What is still here was committed before the server stopped taking commands.
                if let Ok(Outcome::Published(published)) = publish(conn, publisher, &held).await {
                    report.send_modify(|status| status.published += published);
                }
                return Ended::Stopped;
            }
        }
        // `select!` picks one of the branches that are ready, and a commit may also have kicked
        // while this round's work (a rebalance) ran: either way this round's kick future holds it,
        // and dropping it unseen would lose the wake for the peers (about 1 % of commits).
        if !kicked_now && futures_util::FutureExt::now_or_never(kicked.as_mut()).is_some() {
            kicked_now = true;
            read = true;
        }
        kicked_now |= wake_is_due;
    }
}

/// Resolves at `due` (never without one; the branch waiting for it is disabled then).
async fn sleep_until_due(due: Option<tokio::time::Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Deletes and notifies one batch of `held`'s rows in one transaction; see the module docs.
/// `pg_notify` is volatile, so PostgreSQL calls it after the sort, in id order. Each payload gets
/// `oid`, its outbox id: PostgreSQL delivers identical payloads notified in one transaction only
/// once, and two events can be identical (a follow and its undo, say); the id also tells a
/// receiver which event it has.
///
/// `oid` is spliced into the stored text rather than set with `jsonb_set`: every payload is a
/// JSON object with at least its kind (`{"k": …`), and re-parsing and re-printing each snapshot
/// was the relay's largest cost.
const PUBLISH: &str = "\
WITH batch AS ( \
    DELETE FROM event_outbox WHERE id IN ( \
        SELECT id FROM event_outbox WHERE partition = ANY($1::smallint[]) ORDER BY id LIMIT $2) \
    RETURNING id, payload) \
SELECT b.id, pg_notify($3, \
    '{\"oid\":' || b.id || ',' || substr(b.payload, 2))::text AS sent \
FROM batch b ORDER BY b.id";

#[derive(QueryableByName)]
struct Published {
    #[diesel(sql_type = BigInt)]
    #[expect(dead_code, reason = "read to make the statement's rows counted")]
    id: i64,
}

/// What one publishing attempt did.
enum Outcome {
    /// This many events were published and deleted.
    Published(u64),
    /// The bus did not take the batch; its rows stay in the outbox.
    BusUnavailable,
}

/// Publishes one batch of the partitions in `held`.
async fn publish(
    conn: &mut AsyncPgConnection,
    publisher: &Publisher,
    held: &BTreeSet<i16>,
) -> Result<Outcome, diesel::result::Error> {
    if held.is_empty() {
        return Ok(Outcome::Published(0));
    }
    let partitions: Vec<i16> = held.iter().copied().collect();
    match publisher {
        Publisher::Notify => {
            let rows: Vec<Published> = CachedSql::new(PUBLISH)
                .bind::<Array<SmallInt>, _>(partitions)
                .bind::<BigInt, _>(BATCH)
                .bind::<Text, _>(CHANNEL)
                .load(conn)
                .await?;
            Ok(Outcome::Published(count(rows.len())))
        }
        Publisher::Sink(sink) => publish_to(conn, sink.as_ref(), partitions).await,
    }
}

/// The oldest [`BATCH`] rows of the partitions `$1`, each payload with its `oid` (see
/// [`PUBLISH`]).
const READ_BATCH: &str = "\
SELECT id, '{\"oid\":' || id || ',' || substr(payload, 2) AS payload \
FROM event_outbox WHERE partition = ANY($1::smallint[]) ORDER BY id LIMIT $2";

const DELETE_BATCH: &str = "DELETE FROM event_outbox WHERE id = ANY($1::bigint[])";

#[derive(QueryableByName)]
struct OutboxRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    payload: String,
}

/// Reads a batch, hands it to `sink` and deletes it once the sink confirmed it.
async fn publish_to(
    conn: &mut AsyncPgConnection,
    sink: &dyn EventSink,
    partitions: Vec<i16>,
) -> Result<Outcome, diesel::result::Error> {
    let rows: Vec<OutboxRow> = CachedSql::new(READ_BATCH)
        .bind::<Array<SmallInt>, _>(partitions)
        .bind::<BigInt, _>(BATCH)
        .load(conn)
        .await?;
    if rows.is_empty() {
        return Ok(Outcome::Published(0));
    }
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let batch: Vec<BusMessage> = rows
        .into_iter()
        .filter_map(
            |OutboxRow { id, payload }| match Announcement::decode(&payload) {
                Ok(received) => Some(BusMessage {
                    id,
                    subjects: received.announcement.subjects(),
                    payload,
                }),
                Err(error) => {
                    // Nothing could ever read it; keeping it would block its partition forever.
                    tracing::error!(%error, id, %payload, "dropping an outbox row nobody can read");
                    None
                }
            },
        )
        .collect();
    if let Err(error) = sink.publish(&batch).await {
        tracing::warn!(%error, events = batch.len(), "event bus unavailable; the outbox keeps them");
        return Ok(Outcome::BusUnavailable);
    }
    CachedSql::new(DELETE_BATCH)
        .bind::<Array<BigInt>, _>(ids.clone())
        .execute(conn)
        .await?;
    Ok(Outcome::Published(count(ids.len())))
}

fn count(rows: usize) -> u64 {
    u64::try_from(rows).unwrap_or(u64::MAX)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Partition {
    #[diesel(sql_type = Integer)]
    partition: i32,
}

const COUNT_RELAYS: &str = "SELECT count(*) AS n FROM pg_stat_activity \
     WHERE application_name = $1 AND datname = current_database()";

/// Tries the partitions this relay does not hold (`$2`), starting at `$3` so that relays starting
/// together do not all race for the same ones, until `$4` are claimed. `OFFSET 0` keeps the
/// filter below the lock call: a session lock taken twice would need two unlocks.
const CLAIM: &str = "\
SELECT p AS partition FROM ( \
    SELECT p FROM generate_series(0, $5 - 1) AS p WHERE p <> ALL($2::int[]) \
    ORDER BY (p + $3) % $5 OFFSET 0) AS free \
WHERE pg_try_advisory_lock($1, p) LIMIT $4";

const RELEASE: &str = "SELECT p AS partition FROM unnest($2::int[]) AS p \
     WHERE pg_advisory_unlock($1, p)";

/// The partitions one of `relays` relays should hold: all of them divided evenly, rounded up so
/// that every partition has room.
fn fair_share(relays: i64) -> usize {
    let relays = usize::try_from(relays.max(1)).unwrap_or(1);
    usize::try_from(PARTITIONS).unwrap_or(0).div_ceil(relays)
}

/// Claims free partitions up to this relay's fair share, or gives back those above it.
async fn rebalance_partitions(
    conn: &mut AsyncPgConnection,
    held: &mut BTreeSet<i16>,
    start_at: i32,
) -> Result<(), diesel::result::Error> {
    let relays: Count = CachedSql::new(COUNT_RELAYS)
        .bind::<Text, _>(RELAY_APPLICATION_NAME)
        .get_result(conn)
        .await?;
    let share = fair_share(relays.n);
    if held.len() > share {
        let extra: Vec<i32> = held
            .iter()
            .rev()
            .take(held.len() - share)
            .map(|&partition| i32::from(partition))
            .collect();
        let released: Vec<Partition> = CachedSql::new(RELEASE)
            .bind::<Integer, _>(PARTITION_LOCK_CLASS)
            .bind::<Array<Integer>, _>(extra)
            .load(conn)
            .await?;
        for Partition { partition } in released {
            held.remove(&narrow(partition));
        }
    } else if held.len() < share {
        let wanted = i64::try_from(share - held.len()).unwrap_or(0);
        let claimed: Vec<Partition> = CachedSql::new(CLAIM)
            .bind::<Integer, _>(PARTITION_LOCK_CLASS)
            .bind::<Array<Integer>, _>(held.iter().map(|&p| i32::from(p)).collect::<Vec<_>>())
            .bind::<Integer, _>(start_at)
            .bind::<BigInt, _>(wanted)
            .bind::<Integer, _>(i32::from(PARTITIONS))
            .load(conn)
            .await?;
        held.extend(claimed.into_iter().map(|claimed| narrow(claimed.partition)));
    }
    Ok(())
}

/// A partition number as PostgreSQL returned it (always in `0..PARTITIONS`).
fn narrow(partition: i32) -> i16 {
    i16::try_from(partition).unwrap_or(0)
}

#[cfg(test)]
mod tests;
