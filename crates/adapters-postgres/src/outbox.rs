//! The event outbox: where a change's transaction leaves its events for the relay
//! ([`crate::relay`]).
//!
//! Writers never call `pg_notify`: at commit PostgreSQL serialises every notifying transaction on
//! one cluster-wide lock, held through the WAL flush, so notifying writers commit one at a time
//! (issue 22 measured about 45 % of the database's command capacity lost to it). An `INSERT`
//! into `event_outbox` has no such lock, and it commits or rolls back with the change, so an
//! event still exists exactly when its change does.
//!
//! # Order
//! An event's row draws its id while its transaction holds the lock that orders the object the
//! event is about, and that lock is held to commit: a timer's events are written under the
//! timer's row lock (`FOR UPDATE`), a receiver's notifications and inbox changes under the
//! receiver's advisory lock (`pg_advisory_xact_lock(receiver)`, see `repository::notification`),
//! a follow change under the pair's row locks, an account deletion under the user's row lock.
//! So each object's rows have ids in commit order, and the relay, which publishes a partition in
//! id order (an object's events all fall in its user's partition), keeps that order. That is the
//! order clients need: versions per timer, unread counts per receiver.
//!
//! A lock per *user* for every event (so that all of a user's events, across objects, follow
//! commit order) was tried and dropped: taken at the end of a timer command it deadlocked with
//! the schedule, todo and tag deletes that lock several of the user's timers (the command's
//! foreign-key check waits for the deleted row while holding the user's lock), and taken at the
//! start it would have serialised every write of a user behind one lock.
//!
//! # Waking the relay
//! A committed transaction that enqueued wakes this process's relays at once (`kick`): the
//! writing instance's own relay publishes right away when it holds the partition. For a
//! partition another instance's relay holds, the kicked relay wakes that relay through the
//! database (`crate::relay::wake`), from the partitions this process enqueued into
//! (`take_enqueued_outside`); the relays' short poll (`OUTBOX_POLL_INTERVAL_MS`) is the
//! fallback for both.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::sql_types::{Array, BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::Notify;
use tokio::sync::futures::Notified;

use crate::error::DbError;
use crate::event_bus::{Announcement, payload_as_sent};
use crate::statement::CachedSql;

/// How many partitions the users are spread over; the relays claim them one by one. Fixed by
/// the `event_outbox.partition` column's expression (migration `2026-01-06-000001_event_outbox`).
pub const PARTITIONS: i16 = 64;

// The partitions this process enqueued into are kept as the bits of one `u64`.
const _: () = assert!(PARTITIONS == 64);

/// The partition of `user`, as the `event_outbox.partition` column computes it.
pub fn partition_of(user: i64) -> i16 {
    // In 0..PARTITIONS, so the conversion cannot fail.
    i16::try_from(user.rem_euclid(i64::from(PARTITIONS))).unwrap_or(0)
}

/// The bit mask of `partitions` (each in `0..PARTITIONS`): bit `p` is partition `p`.
pub(crate) fn partition_mask(partitions: impl IntoIterator<Item = i16>) -> u64 {
    partitions
        .into_iter()
        .filter_map(|partition| u32::try_from(partition).ok())
        .filter(|&bit| bit < u64::BITS)
        .fold(0, |mask, bit| mask | (1 << bit))
}

/// Inserts in input order, each payload completed by [`payload_as_sent`].
const ENQUEUE: &str = concat!(
    "INSERT INTO event_outbox (user_id, payload) \
     SELECT a.user_id, ",
    payload_as_sent!("a.payload"),
    " FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS a(user_id, payload, ord) \
     ORDER BY a.ord"
);

/// Writes `announcements` to the outbox on the caller's connection, in one round trip. Called
/// inside the transaction that made the change, so they are published only if it commits, and
/// while it holds the lock that orders each one's object (see the module documentation).
pub(crate) async fn enqueue(
    conn: &mut AsyncPgConnection,
    announcements: &[Announcement],
) -> Result<(), DbError> {
    if announcements.is_empty() {
        return Ok(());
    }
    let users: Vec<i64> = announcements.iter().map(Announcement::user).collect();
    note_enqueued(&users);
    let payloads = announcements
        .iter()
        .map(Announcement::encode)
        .collect::<Result<Vec<_>, _>>()?;
    CachedSql::new(ENQUEUE)
        .bind::<Array<BigInt>, _>(users)
        .bind::<Array<Text>, _>(payloads)
        .execute(conn)
        .await?;
    Ok(())
}

/// The partitions this process enqueued into (bit `p` is partition `p`) that no relay has taken
/// yet.
static ENQUEUED: AtomicU64 = AtomicU64::new(0);

/// Notes that this transaction writes outbox rows for `users`: what its process's relay will
/// wake the other instances' relays for. Called by every writer of `event_outbox` (through
/// [`enqueue`], or beside a statement that inserts into it itself), before the commit, so that
/// a relay kicked by any later commit sees it (see `crate::relay::wake`).
pub(crate) fn note_enqueued(users: &[i64]) {
    ENQUEUED.fetch_or(
        partition_mask(users.iter().map(|&user| partition_of(user))),
        Ordering::AcqRel,
    );
}

/// Takes the partitions outside `held` that this process enqueued into since a relay last took
/// them: the ones a relay holding `held` should wake the other instances' relays for. The bits
/// of `held` stay, for the process's other relays (tests run several in one process).
pub(crate) fn take_enqueued_outside(held: u64) -> u64 {
    ENQUEUED.fetch_and(held, Ordering::AcqRel) & !held
}

/// Wakes the relays of this process. Process-wide rather than passed to every repository: a
/// kick only shortens a relay's wait, so a relay woken for rows it does not hold just finds
/// nothing and waits again.
static KICK: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Wakes this process's relays: called by every repository method whose transaction may have
/// enqueued, once that transaction committed (a kick before the commit would find nothing).
/// A kick for a transaction that enqueued nothing costs one empty read.
pub(crate) fn kick() {
    KICK.notify_waiters();
}

/// Resolves at the next [`kick`] of this process. Enable it (`Notified::enable`) before reading
/// the outbox, so that a kick that lands during the read is not missed.
pub(crate) fn kicked() -> Notified<'static> {
    KICK.notified()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mask_names_each_partition_by_its_bit() {
        assert_eq!(partition_mask([]), 0);
        assert_eq!(partition_mask([0, 3, 63]), 1 | 8 | (1 << 63));
        assert_eq!(partition_mask([3, 3]), 8);
        assert_eq!(partition_mask([partition_of(64 + 5)]), 1 << 5);
    }
}
