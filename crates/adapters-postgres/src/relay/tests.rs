//! The relay against a real PostgreSQL: what it publishes, in which order, and who holds which
//! partition.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt as _;
use hourglass_domain::ids::{TimerId, UserId};
use hourglass_test_support::TestDatabase;

use super::*;
use crate::error::DbError;
use crate::event_bus::Announcement;
use crate::outbox::enqueue;

/// Generous bound for one awaited event: the tests wait for events, and this only turns a hang
/// into a failure.
const WAIT: Duration = Duration::from_secs(30);

const SETTINGS: RelaySettings = RelaySettings {
    poll_interval: Duration::from_millis(20),
};

/// A timer deletion of `owner`'s, told apart by `n`.
fn deleted(owner: i64, n: u128) -> Announcement {
    Announcement::timer_deleted(UserId::new(owner), TimerId::new(uuid::Uuid::from_u128(n)))
}

/// Opens a connection that `LISTEN`s on the channel.
async fn listening(url: &str) -> Result<AsyncPgConnection, BoxError> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    diesel::sql_query(format!("LISTEN {CHANNEL}"))
        .execute(&mut conn)
        .await?;
    Ok(conn)
}

/// The next `count` payloads `conn` receives.
async fn receive(conn: &mut AsyncPgConnection, count: usize) -> Result<Vec<String>, BoxError> {
    let notifications = conn.notifications_stream();
    let mut notifications = std::pin::pin!(notifications);
    let mut payloads = Vec::with_capacity(count);
    while payloads.len() < count {
        let next = tokio::time::timeout(WAIT, notifications.next())
            .await?
            .ok_or("the listening connection closed")??;
        payloads.push(next.payload);
    }
    Ok(payloads)
}

/// Rows still in the outbox.
async fn outbox_rows(conn: &mut AsyncPgConnection) -> Result<i64, BoxError> {
    let count: Count = diesel::sql_query("SELECT count(*) AS n FROM event_outbox")
        .get_result(conn)
        .await?;
    Ok(count.n)
}

/// Waits until `relay`'s status satisfies `ready`.
async fn until(
    status: &mut watch::Receiver<RelayStatus>,
    ready: impl FnMut(&RelayStatus) -> bool,
) -> Result<RelayStatus, BoxError> {
    let status = tokio::time::timeout(WAIT, status.wait_for(ready)).await??;
    Ok(status.clone())
}

#[tokio::test]
async fn committed_events_are_published_once_in_order_and_rolled_back_ones_never()
-> Result<(), BoxError> {
    let db = TestDatabase::create().await?;
    let mut listener = listening(db.url()).await?;
    let mut writer = AsyncPgConnection::establish(db.url()).await?;
    let relay = PgOutboxRelay::start(db.url(), SETTINGS).await?;
    let mut status = relay.status();
    until(&mut status, |status| status.partitions.len() == 64).await?;

    let rolled_back = writer
        .transaction(async |conn| {
            enqueue(conn, &[deleted(7, 1)]).await?;
            Err::<(), _>(DbError::Corrupt("refused after enqueueing".to_owned()))
        })
        .await;
    assert!(rolled_back.is_err());
    let events: Vec<Announcement> = (2..=4).map(|n| deleted(7, n)).collect();
    writer
        .transaction(async |conn| enqueue(conn, &events).await)
        .await?;
    crate::outbox::kick();

    let payloads = receive(&mut listener, 3).await?;
    let received = payloads
        .iter()
        .map(|payload| Announcement::decode(payload))
        .collect::<Result<Vec<_>, _>>()?;
    assert_eq!(
        received.iter().map(|r| &r.announcement).collect::<Vec<_>>(),
        events.iter().collect::<Vec<_>>()
    );
    assert!(
        received.iter().all(|r| r.src.is_some()),
        "each names its writer"
    );
    let ids: Vec<Option<i64>> = received.iter().map(|r| r.oid).collect();
    assert!(
        ids.windows(2)
            .all(|w| matches!(w, [Some(a), Some(b)] if a < b)),
        "each carries its outbox id, in order: {ids:?}"
    );
    until(&mut status, |status| status.published == 3).await?;
    assert_eq!(
        outbox_rows(&mut writer).await?,
        0,
        "published rows are deleted"
    );

    // Nothing else arrives: the rolled-back event never does, the others only once.
    writer
        .transaction(async |conn| enqueue(conn, &[deleted(7, 5)]).await)
        .await?;
    crate::outbox::kick();
    let next = receive(&mut listener, 1).await?;
    assert!(
        <[String]>::first(&next)
            .is_some_and(|payload| payload.contains(&uuid::Uuid::from_u128(5).to_string())),
        "{next:?}"
    );

    // Two identical events in one batch both arrive (PostgreSQL folds identical payloads of one
    // transaction into one; the outbox id keeps them apart).
    let twice = [deleted(7, 6), deleted(7, 6)];
    writer
        .transaction(async |conn| enqueue(conn, &twice).await)
        .await?;
    crate::outbox::kick();
    assert_eq!(receive(&mut listener, 2).await?.len(), 2);
    relay.stop().await;
    drop((listener, writer));
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn relays_share_the_partitions_and_a_stopped_ones_move_on() -> Result<(), BoxError> {
    let db = TestDatabase::create().await?;
    let a = PgOutboxRelay::start(db.url(), SETTINGS).await?;
    let mut a_status = a.status();
    until(&mut a_status, |status| status.partitions.len() == 64).await?;

    let b = PgOutboxRelay::start(db.url(), SETTINGS).await?;
    let mut b_status = b.status();
    // A gives back half at its next rebalance, and B claims them at one of its own.
    until(&mut a_status, |status| status.partitions.len() == 32).await?;
    let b_held = until(&mut b_status, |status| status.partitions.len() == 32).await?;
    let a_held = a_status.borrow().clone();
    assert!(
        a_held.partitions.is_disjoint(&b_held.partitions),
        "one holder per partition: {a_held:?} {b_held:?}"
    );

    // Every partition is published by whoever holds it.
    let mut listener = listening(db.url()).await?;
    let mut writer = AsyncPgConnection::establish(db.url()).await?;
    let events: Vec<Announcement> = (0..64).map(|user| deleted(user, 100)).collect();
    writer
        .transaction(async |conn| enqueue(conn, &events).await)
        .await?;
    crate::outbox::kick();
    receive(&mut listener, 64).await?;

    b.stop().await;
    until(&mut a_status, |status| status.partitions.len() == 64).await?;
    a.stop().await;
    drop((listener, writer));
    db.cleanup().await?;
    Ok(())
}

#[test]
fn every_partition_has_room_whatever_the_number_of_relays() {
    for relays in 1..=100 {
        let share = fair_share(relays);
        assert!(
            share * usize::try_from(relays).unwrap_or(0) >= 64,
            "{relays} relays"
        );
    }
    assert_eq!(fair_share(0), 64);
    assert_eq!(fair_share(3), 22);
}

/// A bus that takes batches while `up`, recording each message, and refuses them otherwise.
struct RecordingSink {
    up: std::sync::atomic::AtomicBool,
    taken: tokio::sync::mpsc::UnboundedSender<BusMessage>,
    refused: std::sync::atomic::AtomicU64,
}

#[async_trait::async_trait]
impl EventSink for RecordingSink {
    async fn publish(&self, batch: &[BusMessage]) -> Result<(), hourglass_ports::bus::SinkError> {
        // `load` by path: diesel's `RunQueryDsl::load` would be picked first.
        if !std::sync::atomic::AtomicBool::load(&self.up, std::sync::atomic::Ordering::SeqCst) {
            self.refused
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            return Err(hourglass_ports::bus::SinkError::Unavailable(
                "broker down".into(),
            ));
        }
        for message in batch {
            let _closed = self.taken.send(message.clone());
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_bus_gets_each_event_on_its_subjects_and_rows_wait_while_it_is_down()
-> Result<(), BoxError> {
    use hourglass_ports::bus::Subject;
    use std::sync::atomic::Ordering;

    let db = TestDatabase::create().await?;
    let mut writer = AsyncPgConnection::establish(db.url()).await?;
    let (taken, mut took) = tokio::sync::mpsc::unbounded_channel();
    let sink = Arc::new(RecordingSink {
        up: std::sync::atomic::AtomicBool::new(false),
        taken,
        refused: std::sync::atomic::AtomicU64::new(0),
    });
    let relay = PgOutboxRelay::start_publishing_to(db.url(), SETTINGS, sink.clone()).await?;
    let mut status = relay.status();
    until(&mut status, |status| status.partitions.len() == 64).await?;

    let (alice, bob) = (UserId::new(7), UserId::new(8));
    let events = vec![
        deleted(7, 1),
        Announcement::follow(alice, bob),
        deleted(7, 2),
    ];
    writer
        .transaction(async |conn| enqueue(conn, &events).await)
        .await?;
    crate::outbox::kick();
    // Down: refused, and the rows stay.
    tokio::time::timeout(WAIT, async {
        while std::sync::atomic::AtomicU64::load(&sink.refused, Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await?;
    assert_eq!(outbox_rows(&mut writer).await?, 3);

    sink.up.store(true, Ordering::SeqCst);
    let mut messages = Vec::new();
    while messages.len() < 3 {
        let next = tokio::time::timeout(WAIT, took.recv())
            .await?
            .ok_or("the sink was dropped")?;
        messages.push(next);
    }
    assert_eq!(
        messages
            .iter()
            .map(|m| m.subjects.clone())
            .collect::<Vec<_>>(),
        vec![
            vec![Subject::timers(alice)],
            vec![Subject::timers(alice), Subject::timers(bob)],
            vec![Subject::timers(alice)],
        ]
    );
    assert!(
        messages
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.id < b.id)),
        "in outbox order"
    );
    for message in &messages {
        let received = Announcement::decode(&message.payload)?;
        assert_eq!(
            received.oid,
            Some(message.id),
            "each payload carries its id"
        );
    }
    until(&mut status, |status| status.published == 3).await?;
    assert_eq!(
        outbox_rows(&mut writer).await?,
        0,
        "deleted once the bus took them"
    );
    relay.stop().await;
    drop(writer);
    db.cleanup().await?;
    Ok(())
}

/// Waits until `a` and `b` hold half the partitions each (`a` started first, alone), and gives a
/// user whose partition `b` holds.
async fn split_between(
    a: &mut watch::Receiver<RelayStatus>,
    b: &mut watch::Receiver<RelayStatus>,
) -> Result<i64, BoxError> {
    until(a, |status| status.partitions.len() == 32).await?;
    let b_held = until(b, |status| status.partitions.len() == 32).await?;
    // A user's partition is their id modulo 64.
    let partition = b_held.partitions.iter().next().ok_or("B holds nothing")?;
    Ok(i64::from(*partition))
}

/// Writes events of `user` (whose partition `b` holds), each published by `b` before the next,
/// until `b` has heard a wake, and gives them in order. Both relays of a test share this
/// process's kick, so `b` may publish before the other relay's wake arrives, and other tests'
/// relays may take the partition's bit first: hence more than one write.
async fn write_until_heard(
    url: &str,
    user: i64,
    b: &watch::Receiver<RelayStatus>,
) -> Result<Vec<Announcement>, BoxError> {
    let mut writer = AsyncPgConnection::establish(url).await?;
    let mut written = Vec::new();
    let writes = async {
        while b.borrow().wakes_heard == 0 {
            let event = [deleted(user, u128::try_from(written.len())?)];
            let published = b.borrow().published;
            writer
                .transaction(async |conn| enqueue(conn, &event).await)
                .await?;
            crate::outbox::kick();
            until(&mut b.clone(), |status| status.published > published).await?;
            written.extend(event);
        }
        Ok::<_, BoxError>(())
    };
    tokio::time::timeout(WAIT, writes)
        .await
        .map_err(|_| "B never heard a wake")??;
    Ok(written)
}

#[tokio::test]
async fn a_relay_wakes_the_holder_of_a_partition_its_process_wrote_into() -> Result<(), BoxError> {
    use std::sync::atomic::{AtomicBool, AtomicU64};

    let db = TestDatabase::create().await?;
    let (taken, mut took) = tokio::sync::mpsc::unbounded_channel();
    let sink = Arc::new(RecordingSink {
        up: AtomicBool::new(true),
        taken,
        refused: AtomicU64::new(0),
    });
    // With a bus, each relay hears wakes on its own connection, as relays of two instances do.
    let a = PgOutboxRelay::start_publishing_to(db.url(), SETTINGS, sink.clone()).await?;
    let mut a_status = a.status();
    until(&mut a_status, |status| status.partitions.len() == 64).await?;
    let b = PgOutboxRelay::start_publishing_to(db.url(), SETTINGS, sink).await?;
    let mut b_status = b.status();
    let user = split_between(&mut a_status, &mut b_status).await?;

    let written = write_until_heard(db.url(), user, &b_status).await?;
    assert!(a_status.borrow().wakes_sent > 0, "A woke B");
    for event in &written {
        let message = took.recv().await.ok_or("the sink was dropped")?;
        assert_eq!(&Announcement::decode(&message.payload)?.announcement, event);
    }

    a.stop().await;
    b.stop().await;
    db.cleanup().await?;
    Ok(())
}

/// Local delivery that drops everything: the test below watches the relays, not the clients.
struct Nowhere;

#[async_trait::async_trait]
impl hourglass_ports::event::LocalDelivery for Nowhere {
    async fn deliver_local(&self, _: hourglass_ports::event::DomainEvent, _: std::time::Instant) {}
    async fn resync_local(&self) {}
}

#[tokio::test]
async fn with_pg_notify_the_listening_connection_hears_the_wakes_for_the_relay()
-> Result<(), BoxError> {
    let db = TestDatabase::create().await?;
    let a = PgOutboxRelay::start(db.url(), SETTINGS).await?;
    let mut a_status = a.status();
    until(&mut a_status, |status| status.partitions.len() == 64).await?;
    let b = PgOutboxRelay::start(db.url(), SETTINGS).await?;
    let mut b_status = b.status();
    let user = split_between(&mut a_status, &mut b_status).await?;
    let inbox = crate::inbox::PgEventInbox::start(db.pool(), Arc::new(Nowhere), None, None);
    let listener = crate::listener::PgEventListener::start(db.url(), inbox).await?;

    // Here the listening connection posts the wakes for the relays.
    write_until_heard(db.url(), user, &b_status).await?;
    assert!(a_status.borrow().wakes_sent > 0, "A woke B");

    listener.stop().await;
    a.stop().await;
    b.stop().await;
    db.cleanup().await?;
    Ok(())
}
