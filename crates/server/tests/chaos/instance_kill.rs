//! One of two instances killed with SIGKILL under load: no graceful anything, as when a machine
//! dies. Its clients reconnect to the other instance, and a command that was in flight on the
//! killed one is retried there with its `request_id`, which is answered at once: the killed
//! command's transaction held the key, if anything, and took it along when it rolled back.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use diesel::sql_types::BigInt;
use diesel_async::{RunQueryDsl as _, SimpleAsyncConnection as _};
use hourglass_adapters_postgres::pool::PgPool;
use hourglass_test_support::TestDatabase;
use serde_json::{Value, json};

use crate::device::{self, Device, Event};
use crate::instance::Instance;
use crate::ledger;
use crate::load::{self, Load, Observer};

/// Devices issuing commands (half start on each instance).
const USERS: usize = 6;

/// Load before the kill.
const WARM_UP: Duration = Duration::from_secs(3);

/// Load after the kill.
const AFTERMATH: Duration = Duration::from_secs(5);

/// How long the retry of a killed command may take once the killed transaction can end: its
/// rollback plus one command. Far below the 10 s a retry used to wait for a reservation (and
/// then be refused "still in progress", for the 60 s the reservation lived).
const RETRY_ANSWERED_WITHIN: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault test: run with just chaos"]
async fn sigkill_of_one_instance_under_load() -> anyhow::Result<()> {
    let database = TestDatabase::create().await?;
    let mut doomed = Instance::start(database.url(), "sigkill-doomed", &[]).await?;
    let survivor = Instance::start(database.url(), "sigkill-survivor", &[]).await?;
    let (a, b) = (doomed.ws_url(), survivor.ws_url());
    // Even users start on the doomed instance and observe from the survivor; odd ones the other
    // way round. A lost connection moves to the next endpoint in the list.
    let endpoints = |i: usize| {
        if i.is_multiple_of(2) {
            vec![a.clone(), b.clone()]
        } else {
            vec![b.clone(), a.clone()]
        }
    };
    let plans = load::plans(
        "sigkill",
        USERS,
        endpoints,
        Duration::from_millis(20),
        true,
        Some(database.pool()),
    );
    let observers: Vec<Observer> = plans
        .iter()
        .enumerate()
        .map(|(i, plan)| {
            let mut theirs = endpoints(i);
            theirs.reverse();
            Observer::start(&plan.sub, theirs)
        })
        .collect();
    let owners: Vec<String> = plans.iter().map(|plan| plan.sub.clone()).collect();
    let load = Load::start(plans);
    tokio::time::sleep(WARM_UP).await;

    let killed_at = Instant::now();
    let status = doomed.kill()?;
    tokio::time::sleep(AFTERMATH).await;
    let reports = load.stop().await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut observed = Vec::new();
    for observer in observers {
        observed.push(observer.stop().await?);
    }

    let rows = ledger::timers_of(&database.pool(), &owners).await?;
    let (mut problems, tallies) = ledger::audit(&rows, &reports);
    let remembered = ledger::remembered_of(&database.pool(), &owners).await?;
    problems.extend(ledger::keys_match(&rows, &remembered));
    let moved: Vec<_> = reports.iter().step_by(2).collect();
    let back_within = moved
        .iter()
        .filter_map(|r| r.acks.iter().map(|ack| ack.at).find(|at| *at > killed_at))
        .max()
        .map(|at| at.duration_since(killed_at));
    let unanswered: Vec<i64> = moved.iter().map(|r| r.unanswered_at_close).collect();
    println!(
        "sigkill: killed ({status}); commands unanswered when the connection dropped (then \
         retried on the survivor) per moved device {unanswered:?}; the moved devices got a command through on the survivor within \
         {back_within:?}; {} remembered keys\n{}\ntallies {tallies:?}\nobservers: {:?}",
        remembered.len(),
        load::summary(&reports),
        observed
            .iter()
            .map(|o| (o.sub.as_str(), o.connects, o.resyncs))
            .collect::<Vec<_>>(),
    );

    for report in &moved {
        ensure!(
            report.connects >= 2 && report.endpoints.last() == Some(&b),
            "{} did not move to the survivor: {:?}",
            report.sub,
            report.endpoints
        );
        ensure!(
            report.acks.iter().any(|ack| ack.at > killed_at),
            "{} got nothing through after the kill",
            report.sub
        );
    }
    // The command in flight at the kill was retried with its request_id and answered at once.
    ensure!(
        back_within.is_some_and(|within| within < RETRY_ANSWERED_WITHIN),
        "the moved devices got through only within {back_within:?}"
    );
    for report in &reports {
        let slowest = report.slowest_retry_reply();
        ensure!(
            slowest.is_none_or(|slowest| slowest < RETRY_ANSWERED_WITHIN),
            "{}: a retry waited {slowest:?} for its reply",
            report.sub
        );
        // Every retry found its command applied (the outcome) or not (it ran): no command is
        // left in doubt, and none was refused for having been applied unseen.
        ensure!(
            report.uncertain == 0 && report.refused == 0,
            "{}: {} uncertain, {} refused",
            report.sub,
            report.uncertain,
            report.refused
        );
    }
    // Reconnected devices got the committed state in their automatic sync.
    for report in &reports {
        ensure!(
            report.syncs_verified == report.connects,
            "{}: {report:?}",
            report.sub
        );
        ensure!(
            report.sync_mismatches.is_empty(),
            "{}: {:?}",
            report.sub,
            report.sync_mismatches
        );
    }
    let codes: BTreeSet<&str> = reports
        .iter()
        .flat_map(|r| r.errors.keys().map(String::as_str))
        .collect();
    ensure!(
        codes.iter().all(|code| *code == "SERVICE_UNAVAILABLE"),
        "errors other than SERVICE_UNAVAILABLE: {codes:?}"
    );
    ensure!(problems.is_empty(), "{problems:#?}");
    // Stored = acknowledged, exactly.
    for (user, tally) in &tallies {
        ensure!(tally.acked == tally.committed, "{user}: {tally:?}");
    }
    for observer in &observed {
        ledger::converged(&rows, observer).map_err(anyhow::Error::msg)?;
    }
    survivor.stop().await?;
    database.cleanup().await?;
    Ok(())
}

/// SIGKILL of an instance while its command waits on a row lock inside PostgreSQL, so the kill
/// lands mid-command every time (the load test above only does by chance). The device retries the
/// same `request_id` on the other instance at once: the killed transaction held the key, if
/// anything, and its rollback frees it, so the retry is answered as soon as that transaction ends
/// and applies the command exactly once. Done for a create (whose key is claimed before the
/// insert that waits) and for a pause (which waits on the timer's row lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault test: run with just chaos"]
async fn sigkill_mid_command_leaves_its_request_id_free() -> anyhow::Result<()> {
    let database = TestDatabase::create().await?;
    let survivor = Instance::start(database.url(), "sigkill-mid-survivor", &[]).await?;
    let pool = database.pool();
    let sub = "sigkill-mid";
    let mut device = Device::connect(&survivor.ws_url(), sub).await?;
    let owner: i64 = device.user_id.parse()?;
    let tag = uuid::Uuid::now_v7();
    let mut conn = pool.get().await?;
    diesel::sql_query(
        "INSERT INTO tags (id, owner_id, name, color, created_at, updated_at) \
         VALUES ($1, $2, 'held', '#000000', now(), now())",
    )
    .bind::<diesel::sql_types::Uuid, _>(tag)
    .bind::<BigInt, _>(owner)
    .execute(&mut conn)
    .await?;
    drop(conn);

    // A create whose tag link waits for the tag's row lock.
    let create = device::command(
        "timer.create",
        json!({"allocated_duration": 3600, "tag_ids": [tag], "visibility": "private"}),
        "mid-create",
    );
    let held = format!("SELECT 1 FROM tags WHERE id = '{tag}' FOR UPDATE");
    let created = killed_then_retried(&database, &mut device, &create, &held).await?;
    ensure!(
        created["type"] == "timer.created",
        "the retried create: {created}"
    );
    let timer_id = created["payload"]["timer"]["id"]
        .as_str()
        .context("the created timer's id")?
        .to_owned();
    ensure!(
        timer_count(&pool, owner).await? == 1,
        "one timer after the killed create and its retry"
    );

    // A pause that waits for the timer's row lock.
    let pause = device::control("pause", &timer_id, "mid-pause");
    let held = format!("SELECT 1 FROM timers WHERE id = '{timer_id}' FOR UPDATE");
    let paused = killed_then_retried(&database, &mut device, &pause, &held).await?;
    ensure!(
        paused["type"] == "timer.updated" && paused["payload"]["timer"]["version"] == 2,
        "the retried pause: {paused}"
    );
    let rows = ledger::timers_of(&pool, &[sub.to_owned()]).await?;
    let row = rows.get(&timer_id).context("the timer row")?;
    ledger::check_row(row).map_err(anyhow::Error::msg)?;
    ensure!(row.version == 2, "applied once: {row:?}");

    // Both keys hold their outcome: the same requests again are replays (rendered now, so only
    // the facts are compared, not `elapsed_time`).
    let facts = |reply: &Value| {
        let timer = &reply["payload"]["timer"];
        (
            reply["type"].clone(),
            reply["payload"]["action"].clone(),
            timer["id"].clone(),
            timer["version"].clone(),
            timer["status"].clone(),
        )
    };
    for (message, expected) in [(&create, &created), (&pause, &paused)] {
        device.send(message).await?;
        let replay = reply_to(&mut device, message).await?;
        ensure!(
            facts(&replay) == facts(expected),
            "replay {replay} of {expected}"
        );
    }
    ensure!(timer_count(&pool, owner).await? == 1, "no second timer");
    let rows = ledger::timers_of(&pool, &[sub.to_owned()]).await?;
    let remembered = ledger::remembered_of(&pool, &[sub.to_owned()]).await?;
    let problems = ledger::keys_match(&rows, &remembered);
    ensure!(problems.is_empty(), "{problems:#?}");
    survivor.stop().await?;
    database.cleanup().await?;
    Ok(())
}

/// Sends `message` through a doomed instance while a test transaction runs `held` (a row lock the
/// command will wait for), kills that instance once the command waits, sends the same message
/// (same `request_id`) on `device` (connected to the surviving instance), ends the test transaction, and returns the
/// retry's reply, checking that it came within [`RETRY_ANSWERED_WITHIN`] of the lock's release.
async fn killed_then_retried(
    database: &TestDatabase,
    device: &mut Device,
    message: &Value,
    held: &str,
) -> anyhow::Result<Value> {
    let sub = "sigkill-mid";
    let mut doomed = Instance::start(database.url(), "sigkill-mid-doomed", &[]).await?;
    let mut on_doomed = Device::connect(&doomed.ws_url(), sub).await?;
    let mut blocker = database.pool().get().await?;
    blocker.batch_execute(&format!("BEGIN; {held}")).await?;
    on_doomed.send(message).await?;
    let waiting = Instant::now();
    while lock_waiters(&database.pool()).await? == 0 {
        ensure!(
            waiting.elapsed() < Duration::from_secs(10),
            "the command never waited for the held lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = doomed.kill()?;
    drop(on_doomed);
    device.send(message).await?;
    // Let the retry reach PostgreSQL and find whatever the killed command left.
    tokio::time::sleep(Duration::from_millis(500)).await;
    blocker.batch_execute("COMMIT").await?;
    let released = Instant::now();
    let reply = reply_to(device, message).await?;
    let took = released.elapsed();
    println!(
        "sigkill mid-command: {} killed ({status}) while waiting; the retry on the survivor was \
         answered {took:?} after the lock was released: {}",
        message["type"], reply["type"]
    );
    ensure!(
        reply["type"] != "error",
        "the retry of {} was refused: {reply}",
        message["type"]
    );
    ensure!(
        took < RETRY_ANSWERED_WITHIN,
        "the retry was answered only {took:?} after the lock was released"
    );
    Ok(reply)
}

/// The reply to `message` (by its `request_id`), skipping fan-out; at most 15 s.
async fn reply_to(device: &mut Device, message: &Value) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match device.next(left).await {
            Event::Message(reply) if reply["request_id"] == message["request_id"] => {
                return Ok(reply);
            }
            Event::Message(_) => {}
            other => bail!("no reply to {}: {other:?}", message["request_id"]),
        }
    }
}

/// Backends of this cluster waiting for a lock.
async fn lock_waiters(pool: &PgPool) -> anyhow::Result<i64> {
    let mut conn = pool.get().await?;
    let count: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .get_result(&mut conn)
    .await?;
    Ok(count.n)
}

async fn timer_count(pool: &PgPool, owner: i64) -> anyhow::Result<i64> {
    let mut conn = pool.get().await?;
    let count: Count = diesel::sql_query("SELECT count(*) AS n FROM timers WHERE owner_id = $1")
        .bind::<BigInt, _>(owner)
        .get_result(&mut conn)
        .await?;
    Ok(count.n)
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}
