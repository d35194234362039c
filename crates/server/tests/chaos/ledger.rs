//! What the database holds after a fault, read straight from `timers`, and the rules every timer
//! must satisfy whatever happened: the row agrees with its own history, and every command a
//! client saw acknowledged is in that history at the version it was acknowledged with.

use std::collections::BTreeMap;

use anyhow::Context as _;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::RunQueryDsl as _;
use hourglass_adapters_postgres::pool::PgPool;
use serde_json::Value;

use crate::load::{Ack, ObserverReport, TimerView, WorkerReport};

/// One `timers` row.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct TimerRow {
    /// The timer id.
    #[diesel(sql_type = Text)]
    pub id: String,
    /// The owner's token `sub`.
    #[diesel(sql_type = Text)]
    pub owner: String,
    /// `RUNNING`, `PAUSED`, …
    #[diesel(sql_type = Text)]
    pub status: String,
    /// Bumped by every stored change.
    #[diesel(sql_type = BigInt)]
    pub version: i64,
    /// `paused_at` in Unix seconds.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub paused_at: Option<i64>,
    /// `pause_history` as JSON text.
    #[diesel(sql_type = Text)]
    pub history: String,
}

/// Every timer of `owners` (token subjects), by id.
pub async fn timers_of(
    pool: &PgPool,
    owners: &[String],
) -> anyhow::Result<BTreeMap<String, TimerRow>> {
    let mut conn = pool.get().await?;
    let rows: Vec<TimerRow> = diesel::sql_query(
        "SELECT t.id::text AS id, u.subject AS owner, t.status, t.version, \
                extract(epoch FROM t.paused_at)::bigint AS paused_at, \
                t.pause_history::text AS history \
           FROM timers t JOIN users u ON u.id = t.owner_id \
          WHERE u.subject = ANY($1) ORDER BY t.id",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(owners)
    .load(&mut conn)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
}

/// One row of `processed_commands`: the outcome remembered under a `request_id`.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct Remembered {
    /// The owner's token `sub`.
    #[diesel(sql_type = Text)]
    pub owner: String,
    /// `start`, `pause`, `resume`, …
    #[diesel(sql_type = Text)]
    pub change: String,
    /// The id of the timer in the outcome.
    #[diesel(sql_type = Text)]
    pub timer: String,
    /// Its version in the outcome.
    #[diesel(sql_type = BigInt)]
    pub version: i64,
}

/// Every remembered command of `owners` (token subjects). There is no row without an outcome to
/// count: the schema refuses one (`change` and `timer` are `NOT NULL`), and the key is written
/// in the command's own transaction.
pub async fn remembered_of(pool: &PgPool, owners: &[String]) -> anyhow::Result<Vec<Remembered>> {
    let mut conn = pool.get().await?;
    let rows: Vec<Remembered> = diesel::sql_query(
        "SELECT u.subject AS owner, p.change, p.timer->>'id' AS timer, \
                (p.timer->>'version')::bigint AS version \
           FROM processed_commands p JOIN users u ON u.id = p.user_id \
          WHERE u.subject = ANY($1) ORDER BY u.subject, p.request_id",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(owners)
    .load(&mut conn)
    .await?;
    Ok(rows)
}

/// The keys agree with the timers, both ways, when every change was a command sent with its own
/// `request_id` (as the load's are): each remembered outcome is in its timer's history at its
/// version (no key of a change that was not committed), and each user has exactly as many keys
/// as stored changes, creates included (no committed change without its key). Returns the
/// problems.
pub fn keys_match(rows: &BTreeMap<String, TimerRow>, remembered: &[Remembered]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut keys: BTreeMap<&str, i64> = BTreeMap::new();
    for key in remembered {
        *keys.entry(key.owner.as_str()).or_default() += 1;
        let Some(row) = rows.get(&key.timer) else {
            problems.push(format!("{key:?} names a timer the database lacks"));
            continue;
        };
        let entry = history(row).ok().and_then(|entries| {
            usize::try_from(key.version - 1)
                .ok()
                .and_then(|i| entries.get(i).cloned())
        });
        if entry.as_ref().map(|e| e.action.as_str()) != Some(key.change.as_str()) {
            problems.push(format!(
                "{key:?} but the history holds {entry:?} at that version"
            ));
        }
    }
    let mut changes: BTreeMap<&str, i64> = BTreeMap::new();
    for row in rows.values() {
        *changes.entry(row.owner.as_str()).or_default() += row.version;
    }
    if keys != changes {
        problems.push(format!(
            "remembered keys per user {keys:?} but stored changes {changes:?}"
        ));
    }
    problems
}

/// One `pause_history` entry: its action and instant (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `start`, `pause`, `resume`, …
    pub action: String,
    /// When.
    pub at: i64,
}

/// The entries of a row's `pause_history`.
pub fn history(row: &TimerRow) -> anyhow::Result<Vec<Entry>> {
    let events: Vec<Value> = serde_json::from_str(&row.history)?;
    events
        .iter()
        .map(|event| {
            let action = event["action"].as_str().context("action")?.to_owned();
            let at = event["at"].as_str().context("at")?;
            let at = chrono::DateTime::parse_from_rfc3339(at)?.timestamp();
            Ok(Entry { action, at })
        })
        .collect()
}

/// The row agrees with itself: one history entry per stored change (`version` of them: the
/// start plus one per pause or resume, so nothing was half-applied and nothing twice); a start,
/// then strictly alternating pause and resume (a duplicated entry would break the alternation);
/// instants never going back; the status and `paused_at` those entries imply.
pub fn check_row(row: &TimerRow) -> Result<(), String> {
    let entries = history(row).map_err(|e| format!("{}: unreadable history: {e}", row.id))?;
    let fail = |what: String| Err(format!("timer {} ({}): {what}", row.id, row.owner));
    if usize::try_from(row.version).ok() != Some(entries.len()) {
        return fail(format!(
            "version {} but {} history entries",
            row.version,
            entries.len()
        ));
    }
    let mut expected = "start";
    for (index, entry) in entries.iter().enumerate() {
        if entry.action != expected {
            return fail(format!(
                "entry {index} is {} where {expected} was due",
                entry.action
            ));
        }
        expected = if expected == "pause" {
            "resume"
        } else {
            "pause"
        };
        if index > 0 && entry.at < entries[index - 1].at {
            return fail(format!("entry {index} is earlier than the one before"));
        }
    }
    let Some(last) = entries.last() else {
        return fail("empty history".to_owned());
    };
    let (status, paused_at) = if last.action == "pause" {
        ("PAUSED", Some(last.at))
    } else {
        ("RUNNING", None)
    };
    if row.status != status || row.paused_at != paused_at {
        return fail(format!(
            "status {} / paused_at {:?} but the history ends with {} at {}",
            row.status, row.paused_at, last.action, last.at
        ));
    }
    Ok(())
}

/// Per user: what was stored against what the clients were told.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Commands stored (`version - 1` summed over the user's timers; creates not counted).
    pub committed: i64,
    /// Commands acknowledged with a success reply.
    pub acked: i64,
    /// Commands whose outcome the client never learned (no reply, given up), or refused because
    /// of such a command.
    pub uncertain: i64,
}

/// Checks every row ([`check_row`]) and every acknowledgement against the rows: an ack's timer
/// exists, holds the acknowledged action at the acknowledged version, and no version was
/// acknowledged twice. Returns the problems and the tallies per user.
pub fn audit(
    rows: &BTreeMap<String, TimerRow>,
    reports: &[WorkerReport],
) -> (Vec<String>, BTreeMap<String, Tally>) {
    let mut problems: Vec<String> = rows
        .values()
        .filter_map(|row| check_row(row).err())
        .collect();
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for row in rows.values() {
        tallies.entry(row.owner.clone()).or_default().committed += row.version - 1;
    }
    for report in reports {
        let tally = tallies.entry(report.sub.clone()).or_default();
        tally.uncertain += report.uncertain;
        let mut seen: BTreeMap<(&str, i64), &Ack> = BTreeMap::new();
        for ack in &report.acks {
            if let Some(earlier) = seen.insert((ack.timer.as_str(), ack.version), ack) {
                problems.push(format!(
                    "version acknowledged twice: {earlier:?} and {ack:?}"
                ));
            }
            if ack.action == "start" {
                continue;
            }
            tally.acked += 1;
            let Some(row) = rows.get(&ack.timer) else {
                problems.push(format!(
                    "acknowledged {ack:?} on a timer the database lacks"
                ));
                continue;
            };
            let entry = history(row).ok().and_then(|entries| {
                usize::try_from(ack.version - 1)
                    .ok()
                    .and_then(|i| entries.get(i).cloned())
            });
            if entry.as_ref().map(|e| e.action.as_str()) != Some(ack.action.as_str()) {
                problems.push(format!(
                    "acknowledged {ack:?} but the history holds {entry:?} at that version"
                ));
            }
        }
    }
    (problems, tallies)
}

/// The observer's final view of its user's timers equals the database, it never saw a timer go
/// back to an older version or a change twice, and every version it skipped was filled by a
/// sync that came after.
pub fn converged(
    rows: &BTreeMap<String, TimerRow>,
    observer: &ObserverReport,
) -> Result<(), String> {
    if !observer.regressions.is_empty() {
        return Err(format!(
            "{}: versions went back: {:?}",
            observer.sub, observer.regressions
        ));
    }
    if !observer.duplicates.is_empty() {
        return Err(format!(
            "{}: changes arrived twice: {:?}",
            observer.sub, observer.duplicates
        ));
    }
    if !observer.open_gaps.is_empty() {
        return Err(format!(
            "{}: versions skipped and never filled: {:?}",
            observer.sub, observer.open_gaps
        ));
    }
    for row in rows.values().filter(|row| row.owner == observer.sub) {
        let stored = TimerView {
            version: row.version,
            status: row.status.clone(),
        };
        let seen = observer.known.get(&row.id);
        if seen != Some(&stored) {
            return Err(format!(
                "{}: timer {} is {stored:?} in the database but {seen:?} on the observer",
                observer.sub, row.id
            ));
        }
    }
    Ok(())
}
