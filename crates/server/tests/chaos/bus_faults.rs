//! The event bus under faults, on three instances with each user's devices spread across them:
//! a worker device on one instance, observer devices on the two others, and a notification
//! stream on another again. The engine is `HOURGLASS_TEST_EVENT_BUS` (`postgres`, the default,
//! or `nats` with `TEST_NATS_URL`); `just chaos-bus` runs them on both.
//!
//! - `relay_holder_killed` (both engines): SIGKILL of an instance whose relay holds partitions;
//!   the others claim them and publish what it left in the outbox.
//! - `listen_connection_dropped` (PostgreSQL engine): every `LISTEN` connection is terminated.
//! - `broker_killed_and_restarted` (NATS engine): SIGKILL of nats-server, restarted on the same
//!   store (`scripts/nats.sh kill` / `start`).
//!
//! After each, every observer saw strictly increasing versions with no gap a sync did not fill
//! and no change twice, ends equal to the database, and every notification stream saw exactly
//! the stored notifications, in order.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl as _;
use hourglass_adapters_postgres::pool::PgPool;
use hourglass_test_support::TestDatabase;

use crate::instance::Instance;
use crate::ledger;
use crate::load::{self, Load, Observer};
use crate::stream::{self, Notifier, StreamObserver};

/// Users, each with a worker, two observers and (the first half) a notification stream.
const USERS: usize = 6;

/// Load before the fault.
const WARM_UP: Duration = Duration::from_secs(3);

/// Load after the fault.
const AFTERMATH: Duration = Duration::from_secs(4);

/// How long the broker stays down.
const BROKER_DOWN: Duration = Duration::from_secs(2);

/// The bound: every device consistent this soon after the broker is back.
const CONSISTENT_WITHIN: Duration = Duration::from_secs(5);

/// A failure bound only: how long the devices may take to catch up once the load stopped.
const SETTLE_LIMIT: Duration = Duration::from_secs(30);

/// Which engine the instances run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Postgres,
    Nats,
}

fn engine() -> anyhow::Result<Engine> {
    match std::env::var("HOURGLASS_TEST_EVENT_BUS").as_deref() {
        Err(_) | Ok("" | "postgres") => Ok(Engine::Postgres),
        Ok("nats") => Ok(Engine::Nats),
        Ok(other) => bail!("HOURGLASS_TEST_EVENT_BUS must be postgres or nats, not {other:?}"),
    }
}

/// The settings of every instance of one test: the engine, a stream and subject prefix of the
/// test's own with NATS, and a heartbeat every second so a dead stream is noticed at once.
fn instance_env(engine: Engine, database: &TestDatabase) -> anyhow::Result<Vec<(String, String)>> {
    let mut env = vec![("SSE_HEARTBEAT_SECONDS".to_owned(), "1".to_owned())];
    if engine == Engine::Nats {
        let url = std::env::var("TEST_NATS_URL")
            .context("the NATS engine needs TEST_NATS_URL (just chaos-bus sets it)")?;
        let name: String = database
            .name()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        env.extend([
            ("EVENT_BUS".to_owned(), "nats".to_owned()),
            ("NATS_URL".to_owned(), url),
            ("NATS_STREAM".to_owned(), format!("C{name}")),
            ("NATS_SUBJECT_PREFIX".to_owned(), format!("c{name}")),
        ]);
    }
    Ok(env)
}

/// Runs `scripts/nats.sh <verb>` with the caller's `HOURGLASS_NATS_*` settings (the server
/// `TEST_NATS_URL` points at).
fn nats(verb: &str) -> anyhow::Result<Duration> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/nats.sh");
    let started = Instant::now();
    let output = Command::new(script)
        .arg(verb)
        .output()
        .with_context(|| format!("cannot run scripts/nats.sh {verb}"))?;
    ensure!(
        output.status.success(),
        "scripts/nats.sh {verb} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(started.elapsed())
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many partitions the relays hold now.
async fn held_partitions(pool: &PgPool) -> anyhow::Result<i64> {
    let mut conn = pool.get().await?;
    let held: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 18503 \
         AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .get_result(&mut conn)
    .await?;
    Ok(held.n)
}

/// Terminates every `LISTEN` connection on the test's database; returns how many there were.
async fn kill_listeners(pool: &PgPool) -> anyhow::Result<i64> {
    let mut conn = pool.get().await?;
    let killed: Count = diesel::sql_query(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
         WHERE application_name = 'hourglass-listener' AND datname = current_database()",
    )
    .get_result(&mut conn)
    .await?;
    Ok(killed.n)
}

/// The fault a scenario injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    KillRelayHolder,
    DropListen,
    RestartBroker,
}

/// The newest stored version of each timer of `owners`.
async fn versions(
    pool: &PgPool,
    owners: &[String],
) -> anyhow::Result<BTreeMap<String, BTreeMap<String, i64>>> {
    let rows = ledger::timers_of(pool, owners).await?;
    let mut by_owner: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for row in rows.values() {
        by_owner
            .entry(row.owner.clone())
            .or_default()
            .insert(row.id.clone(), row.version);
    }
    Ok(by_owner)
}

/// Waits until every observer of each owner knows what `wanted` holds for that owner; returns
/// the longest wait.
async fn all_caught_up(
    observers: &mut [(String, Observer)],
    wanted: &BTreeMap<String, BTreeMap<String, i64>>,
    limit: Duration,
) -> anyhow::Result<Duration> {
    let mut slowest = Duration::ZERO;
    let empty = BTreeMap::new();
    for (owner, observer) in observers.iter_mut() {
        let theirs = wanted.get(owner).unwrap_or(&empty);
        let took = observer
            .caught_up(theirs, limit.saturating_sub(slowest))
            .await
            .with_context(|| format!("an observer of {owner}"))?;
        slowest = slowest.max(took);
    }
    Ok(slowest)
}

async fn scenario(name: &str, fault: Fault) -> anyhow::Result<()> {
    let engine = engine()?;
    let database = TestDatabase::create().await?;
    let env = instance_env(engine, &database)?;
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut instances = Vec::new();
    for i in 0..3 {
        instances.push(Instance::start(database.url(), &format!("{name}-{i}"), &env).await?);
    }
    let ws: Vec<String> = instances.iter().map(Instance::ws_url).collect();
    let http: Vec<String> = instances.iter().map(|i| i.address.clone()).collect();
    // User i works on instance i % 3 and is observed from the two others; a lost connection
    // moves to the next instance.
    let rotated = |urls: &[String], first: usize| -> Vec<String> {
        (0..urls.len())
            .map(|k| urls[(first + k) % urls.len()].clone())
            .collect()
    };
    let plans = load::plans(
        name,
        USERS,
        |i| rotated(&ws, i % 3),
        Duration::from_millis(20),
        true,
        Some(database.pool()),
    );
    let owners: Vec<String> = plans.iter().map(|plan| plan.sub.clone()).collect();
    let mut observers: Vec<(String, Observer)> = Vec::new();
    for (i, owner) in owners.iter().enumerate() {
        for shift in [1, 2] {
            observers.push((
                owner.clone(),
                Observer::start(owner, rotated(&ws, i + shift)),
            ));
        }
    }
    let mut notifiers = Vec::new();
    let mut streams = Vec::new();
    for (i, owner) in owners.iter().enumerate().take(USERS / 2) {
        notifiers.push(Notifier::start(owner, rotated(&http, i))?);
        streams.push(StreamObserver::start(owner, rotated(&http, i + 1))?);
    }
    let load = Load::start(plans);
    tokio::time::sleep(WARM_UP).await;

    let pool = database.pool();
    let mut figures = Vec::new();
    match fault {
        Fault::KillRelayHolder => {
            let before = held_partitions(&pool).await?;
            ensure!(before == 64, "the relays hold {before} of 64 partitions");
            let status = instances[0].kill()?;
            figures.push(format!("killed instance 0 ({status})"));
            tokio::time::sleep(AFTERMATH).await;
            let after = held_partitions(&pool).await?;
            ensure!(
                after == 64,
                "after the kill the survivors hold {after} of 64 partitions"
            );
        }
        Fault::DropListen => {
            ensure!(
                engine == Engine::Postgres,
                "only the PostgreSQL engine listens"
            );
            let killed = kill_listeners(&pool).await?;
            ensure!(killed == 3, "{killed} listening connections, not 3");
            tokio::time::sleep(AFTERMATH).await;
        }
        Fault::RestartBroker => {
            ensure!(engine == Engine::Nats, "only the NATS engine has a broker");
            nats("kill")?;
            tokio::time::sleep(BROKER_DOWN).await;
            let restart = nats("start")?;
            let restarted_at = Instant::now();
            // Everything committed while the broker was down, as of its return.
            let wanted = versions(&pool, &owners).await?;
            let within = all_caught_up(&mut observers, &wanted, SETTLE_LIMIT).await?;
            let since_restart = restarted_at.elapsed();
            figures.push(format!(
                "broker restarted in {restart:?}; every device had what was committed while it \
                 was down {within:?} after the restart was read ({since_restart:?} after start)"
            ));
            ensure!(
                within <= CONSISTENT_WITHIN,
                "devices consistent only {within:?} after the broker returned"
            );
            tokio::time::sleep(AFTERMATH).await;
        }
    }

    let reports = load.stop().await?;
    let mut stored_notifications = 0;
    for notifier in notifiers {
        stored_notifications += notifier.stop().await?;
    }
    let final_versions = versions(&pool, &owners).await?;
    let settled = all_caught_up(&mut observers, &final_versions, SETTLE_LIMIT).await?;
    let mut observed = Vec::new();
    for (_, observer) in observers {
        observed.push(observer.stop().await?);
    }
    let mut stream_reports = Vec::new();
    for stream in streams {
        stream_reports.push(stream.stop().await?);
    }

    let rows = ledger::timers_of(&pool, &owners).await?;
    let (problems, tallies) = ledger::audit(&rows, &reports);
    let resyncs: usize = observed.iter().map(|o| o.resyncs).sum();
    let changes: usize = observed.iter().map(|o| o.changes).sum();
    println!(
        "{name} ({engine:?}): {}\n{}\ntallies {tallies:?}\nobservers: {changes} changes, \
         {resyncs} resyncs, settled {settled:?} after the load stopped; {stored_notifications} \
         notifications stored, streams {:?}",
        figures.join("; "),
        load::summary(&reports),
        stream_reports
            .iter()
            .map(|r| (r.sub.as_str(), r.ids.len(), r.connects))
            .collect::<Vec<_>>()
    );
    ensure!(problems.is_empty(), "{problems:#?}");
    for (user, tally) in &tallies {
        ensure!(tally.acked == tally.committed, "{user}: {tally:?}");
    }
    for observer in &observed {
        ledger::converged(&rows, observer).map_err(anyhow::Error::msg)?;
    }
    for report in &stream_reports {
        let stored = stream::stored_of(&pool, &report.sub).await?;
        ensure!(
            !stored.is_empty(),
            "{}: no notification was stored",
            report.sub
        );
        report.check(&stored).map_err(anyhow::Error::msg)?;
    }
    if fault == Fault::RestartBroker {
        // Caught up from the stream: no client was resynchronised from PostgreSQL.
        ensure!(resyncs == 0, "{resyncs} resyncs after the broker restart");
    }
    for (i, instance) in instances.into_iter().enumerate() {
        // The killed one is gone already.
        if i > 0 || fault != Fault::KillRelayHolder {
            instance.stop().await?;
        }
    }
    database.cleanup().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault test: run with just chaos-bus"]
async fn relay_holder_killed() -> anyhow::Result<()> {
    scenario("bus-relay-kill", Fault::KillRelayHolder).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault test: run with just chaos-bus (PostgreSQL engine)"]
async fn listen_connection_dropped() -> anyhow::Result<()> {
    scenario("bus-listen-drop", Fault::DropListen).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault test: run with just chaos-bus (NATS engine)"]
async fn broker_killed_and_restarted() -> anyhow::Result<()> {
    scenario("bus-broker-restart", Fault::RestartBroker).await
}
