//! Waking the relays of other instances: a writer's commit wakes its own process's relay at once
//! (`crate::outbox::kick`), but a partition held by another instance's relay would wait for
//! that relay's next poll (`OUTBOX_POLL_INTERVAL_MS`). So after a kick, a relay that finds
//! partitions it does not hold among those its process enqueued into
//! (`crate::outbox::take_enqueued_outside`) sends one `pg_notify` on [`WAKE_CHANNEL`] naming
//! them as a bit mask (bit `p` is partition `p`), and the relays that hold one of them read at
//! once.
//!
//! # Who hears it
//! With `EVENT_BUS=postgres` the instance's listening connection (`crate::listener`) hears the
//! wakes beside the events and posts them on this process's `BOARD`: a relay connection that
//! `LISTEN`ed too would also have to read every event notification of the cluster. With an
//! external bus the relay `LISTEN`s on its own connection, which hears nothing else, and keeps
//! what it hears on a board of its own.
//!
//! # Best effort, bounded
//! A wake only shortens a wait the poll bounds anyway. A partition's bit is set when a
//! transaction enqueues, before it commits (the commit's kick does not say what it wrote), so a
//! relay kicked by another commit may send the wake before the row is visible. So each wake names
//! again what the relay took in the last [`CARRY_FOR`], and the commit's own kick, which follows,
//! wakes the holder once more; a row whose commit took longer waits for the holder's poll, as
//! without wakes. Wakes follow kicks only (not polls, nor wakes heard), at most one per
//! [`MIN_GAP`]: a kick sooner than that sends its wake when the gap has passed.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::Notify;
use tokio::sync::futures::Notified;
use tokio::time::Instant;

use crate::outbox::take_enqueued_outside;
use crate::statement::CachedSql;

/// The channel relays wake each other on.
pub const WAKE_CHANNEL: &str = "hourglass_relay";

/// The shortest time between two wakes one relay sends. A kick sooner than that gets its wake
/// when the gap has passed.
pub const MIN_GAP: Duration = Duration::from_millis(1);

/// How long a relay keeps naming a partition it took in its wakes: longer than a user's commit
/// usually takes, from its outbox `INSERT` to its kick, including the WAL flush of a busy disk
/// (on the benchmark machine commits took up to 40 ms at a light load, and with 20 ms the
/// cross-instance p99 there stayed at the poll's 5–7 ms). Naming a partition longer costs little:
/// wakes follow kicks, and under load each names most partitions anyway.
pub const CARRY_FOR: Duration = Duration::from_millis(100);

/// The wakes a process heard and its relays have not yet taken.
pub(crate) struct WakeBoard {
    /// Partitions named by wakes and not yet taken.
    woken: AtomicU64,
    /// Rings when `woken` gained bits.
    ring: Notify,
}

/// This process's board: its listener (or relay) posts what it hears, its relays take it.
pub(crate) static BOARD: WakeBoard = WakeBoard::new();

impl WakeBoard {
    pub(crate) const fn new() -> Self {
        Self {
            woken: AtomicU64::new(0),
            ring: Notify::const_new(),
        }
    }

    /// Posts a wake's payload (the mask, in decimal) heard on [`WAKE_CHANNEL`]. A payload that
    /// is not a mask is ignored: only relays send on the channel, and a wake is only a hint.
    pub(crate) fn post(&self, payload: &str) {
        match payload.parse::<u64>() {
            Ok(0) => {}
            Ok(mask) => {
                self.woken.fetch_or(mask, Ordering::AcqRel);
                self.ring.notify_waiters();
            }
            Err(_) => {
                tracing::debug!(%payload, "ignoring a relay wake that is not a partition mask");
            }
        }
    }

    /// Resolves at the next post. Enable it (`Notified::enable`) before reading the outbox, so
    /// that a wake that lands during the read is not missed.
    pub(crate) fn posted(&self) -> Notified<'_> {
        self.ring.notified()
    }

    /// Takes the bits of `held` that wakes named, leaving the others to the process's other
    /// relays (tests run several in one process).
    pub(crate) fn take(&self, held: u64) -> u64 {
        self.woken.fetch_and(!held, Ordering::AcqRel) & held
    }
}

/// Sends a wake for the partitions in `mask`. On the relay's own connection, whose commits do
/// not wait for the WAL flush (see `crate::relay`): a lost wake is only a hint lost.
pub(crate) async fn send(
    conn: &mut AsyncPgConnection,
    mask: u64,
) -> Result<(), diesel::result::Error> {
    CachedSql::new("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(WAKE_CHANNEL)
        .bind::<Text, _>(mask.to_string())
        .execute(conn)
        .await
        .map(|_| ())
}

/// What a relay remembers of the wakes it sent.
#[derive(Default)]
pub(crate) struct PeerWaking {
    /// When it sent the last one.
    last: Option<Instant>,
    /// The partitions it took in the last [`CARRY_FOR`], and when: each wake names them
    /// again, since a partition's bit is set before its transaction commits and a wake sent after
    /// another transaction's commit may have come too early for it.
    recent: VecDeque<(Instant, u64)>,
}

/// What [`PeerWaking::wake_peers`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waking {
    /// It sent a wake.
    Sent,
    /// Nothing to wake anyone for.
    Nothing,
    /// The last wake was less than [`MIN_GAP`] ago: call again at this instant (the bits wait).
    NotBefore(Instant),
}

impl PeerWaking {
    /// Wakes the relays of other instances for the partitions outside `held` that this process
    /// enqueued into lately, at most once per [`MIN_GAP`]. Called after a commit of this process
    /// kicked the relay, and again when it said [`Waking::NotBefore`].
    pub(crate) async fn wake_peers(
        &mut self,
        conn: &mut AsyncPgConnection,
        held: u64,
    ) -> Result<Waking, diesel::result::Error> {
        let now = Instant::now();
        if let Some(due) = self.put_off_until(now) {
            // Two commits close together: the second one's bits go out a moment later rather
            // than wait for the peers' polls.
            return Ok(Waking::NotBefore(due));
        }
        while self
            .recent
            .front()
            .is_some_and(|&(at, _)| now.duration_since(at) > CARRY_FOR)
        {
            self.recent.pop_front();
        }
        let taken = take_enqueued_outside(held);
        if taken != 0 {
            self.recent.push_back((now, taken));
        }
        let named = self.recent.iter().fold(0, |mask, &(_, bits)| mask | bits) & !held;
        if named == 0 {
            return Ok(Waking::Nothing);
        }
        send(conn, named).await?;
        self.last = Some(now);
        Ok(Waking::Sent)
    }

    /// When a wake asked for at `now` may go, if not now: [`MIN_GAP`] after the last one.
    fn put_off_until(&self, now: Instant) -> Option<Instant> {
        self.last
            .map(|last| last + MIN_GAP)
            .filter(|&due| due > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::partition_mask;

    #[test]
    fn a_wake_sooner_than_the_gap_is_put_off_to_the_gap_not_dropped() {
        let now = Instant::now();
        let mut waking = PeerWaking::default();
        assert_eq!(
            waking.put_off_until(now),
            None,
            "the first wake goes at once"
        );
        waking.last = Some(now);
        assert_eq!(waking.put_off_until(now), Some(now + MIN_GAP));
        assert_eq!(waking.put_off_until(now + MIN_GAP / 2), Some(now + MIN_GAP));
        assert_eq!(waking.put_off_until(now + MIN_GAP), None);
    }

    #[test]
    fn each_relay_takes_only_the_woken_partitions_it_holds() {
        let board = WakeBoard::new();
        let first = partition_mask([40, 41]);
        let second = partition_mask([42]);
        board.post(&(first | second | partition_mask([43])).to_string());
        board.post("not a mask");
        board.post("0");
        assert_eq!(board.take(first), first);
        assert_eq!(board.take(first), 0, "taken once");
        assert_eq!(board.take(second | partition_mask([44])), second);
        assert_eq!(
            board.take(u64::MAX),
            partition_mask([43]),
            "the rest waits for its holder"
        );
    }
}
