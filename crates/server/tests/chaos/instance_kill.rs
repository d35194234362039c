//! One of two instances killed with SIGKILL under load: no graceful anything, as when a machine
//! dies. Its clients reconnect to the other instance.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::ensure;
use hourglass_test_support::TestDatabase;

use crate::instance::Instance;
use crate::ledger;
use crate::load::{self, Load, Observer};

/// Devices issuing commands (half start on each instance).
const USERS: usize = 6;

/// Load before the kill.
const WARM_UP: Duration = Duration::from_secs(3);

/// Load after the kill: long enough for a retry of the command in flight at the kill to wait out
/// its 10 s ("still in progress") and for the device to carry on.
const AFTERMATH: Duration = Duration::from_secs(14);

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
    let (problems, tallies) = ledger::audit(&rows, &reports);
    let moved: Vec<_> = reports.iter().step_by(2).collect();
    let back_within = moved
        .iter()
        .filter_map(|r| r.acks.iter().map(|ack| ack.at).find(|at| *at > killed_at))
        .max()
        .map(|at| at.duration_since(killed_at));
    println!(
        "sigkill: killed ({status}); the moved devices got a command through on the survivor \
         within {back_within:?}; open reservations {}\n{}\ntallies {tallies:?}\nobservers: {:?}",
        ledger::open_reservations(&database.pool()).await?,
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
    for (user, tally) in &tallies {
        ensure!(
            tally.acked <= tally.committed && tally.committed - tally.acked <= tally.uncertain,
            "{user}: {tally:?}"
        );
    }
    for observer in &observed {
        ledger::converged(&rows, observer).map_err(anyhow::Error::msg)?;
    }
    survivor.stop().await?;
    database.cleanup().await?;
    Ok(())
}
