//! `loadgen`: the load generator of Hourglass (issue 9).
//!
//! It speaks only the public protocol — the timer WebSocket with the token as a subprotocol,
//! REST with a bearer token, the SSE notification stream — so what it measures is what a client
//! sees. Scenarios live in [`scenario`]; each returns a [`stats::Tally`] that is merged (across
//! tasks, and across worker processes via their stdout JSON) into one summary.
//!
//! `--workers N` re-executes this binary N times with `--worker-index i --worker-count N`: every
//! process has its own 20,000 open-file limit, so 15,000 connections need more than one. Each
//! worker prints one [`stats::WireTally`] JSON line; the parent merges them, samples the server's
//! `/proc` entry while they run, prints a human summary and, last, a one-line JSON summary.

mod cli;
mod procfs;
mod scenario;
mod stats;
mod token;
mod ws;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser as _;
use reqwest::Url;
use serde::Serialize;
use tokio::io::AsyncReadExt as _;
use tokio::sync::Semaphore;

use crate::cli::{Cli, Scenario};
use crate::stats::{LatencySummary, Tally, WireTally};
use crate::token::Minter;

/// What every scenario gets.
pub struct Ctx {
    /// The flags.
    pub cli: Cli,
    /// The server's base URL.
    pub base: Url,
    /// The WebSocket URL, with `timezone`.
    pub ws_url: String,
    /// Where the listening devices of `cycles` connect: `--fanout-target`, else [`Ctx::ws_url`].
    pub fanout_ws_url: String,
    /// Token signer.
    pub minter: Minter,
    /// Bounds the handshakes in flight.
    pub connect_gate: Arc<Semaphore>,
}

/// What a scenario hands back.
pub struct Outcome {
    /// Everything counted.
    pub tally: Tally,
    /// Seconds of the measured phase.
    pub measured_s: f64,
    /// Remarks for the reader.
    pub notes: Vec<String>,
    /// The soak's samples judged (`soak` only).
    pub soak: Option<scenario::soak::Report>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let base = cli.validate()?;
    let started = Instant::now();
    let fanout_ws_url = match cli.fanout_url()? {
        Some(second) => ws::ws_url(&second, &cli.timezone),
        None => ws::ws_url(&base, &cli.timezone),
    };
    let ctx = Arc::new(Ctx {
        ws_url: ws::ws_url(&base, &cli.timezone),
        fanout_ws_url,
        minter: Minter::new(&cli.secret)?,
        connect_gate: Arc::new(Semaphore::new(cli.connect_concurrency)),
        base,
        cli,
    });

    if ctx.cli.is_worker() {
        let (outcome, _) = run_scenario(Arc::clone(&ctx)).await?;
        let wire = outcome.tally.to_wire(
            started.elapsed().as_secs_f64(),
            outcome.measured_s,
            outcome.notes,
        );
        println!("{}", serde_json::to_string(&wire)?);
        return Ok(());
    }

    let sampler = ctx
        .cli
        .server_pid
        .map(|pid| Sampler::start(pid.to_string()));
    let (tally, measured_s, notes, soak, time_up) = if ctx.cli.workers > 1 {
        let (tally, measured_s, notes) = run_workers(&ctx.cli).await?;
        (tally, measured_s, notes, None, None)
    } else {
        let (outcome, time_up) = run_scenario(Arc::clone(&ctx)).await?;
        (
            outcome.tally,
            outcome.measured_s,
            outcome.notes,
            outcome.soak,
            time_up,
        )
    };
    let server = match sampler {
        Some(sampler) => Some(sampler.finish(&tally).await?),
        None => None,
    };
    let mut summary = Summary::new(&ctx, &tally, started.elapsed(), measured_s, server, notes);
    summary.soak = soak;
    summary.time_up = time_up;
    summary.print_human();
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

/// Runs this process's scenario; `time-up` also hands back its report.
async fn run_scenario(
    ctx: Arc<Ctx>,
) -> anyhow::Result<(Outcome, Option<scenario::time_up::Report>)> {
    // A hard ceiling on the whole run, whatever happens on the wire.
    let mut budget = ctx.cli.duration() + ctx.cli.timeout() * 6 + Duration::from_secs(180);
    if ctx.cli.scenario == Scenario::TimeUp {
        budget += Duration::from_secs(ctx.cli.due_window + ctx.cli.grace);
    }
    let plain = |outcome: anyhow::Result<Outcome>| outcome.map(|o| (o, None));
    let run = async {
        match ctx.cli.scenario {
            Scenario::Cycles => plain(scenario::cycles::run(Arc::clone(&ctx)).await),
            Scenario::Idle => plain(scenario::idle::run(Arc::clone(&ctx)).await),
            Scenario::Light => plain(scenario::light::run(Arc::clone(&ctx)).await),
            Scenario::Sse => plain(scenario::sse::run(Arc::clone(&ctx)).await),
            Scenario::Friends => plain(scenario::friends::run(Arc::clone(&ctx)).await),
            Scenario::Soak => plain(scenario::soak::run(Arc::clone(&ctx)).await),
            Scenario::TimeUp => scenario::time_up::run(Arc::clone(&ctx))
                .await
                .map(|(o, r)| (o, Some(r))),
        }
    };
    tokio::time::timeout(budget, run)
        .await
        .with_context(|| format!("the run exceeded its {}s budget", budget.as_secs()))?
}

/// Spawns the worker processes, waits for them and merges their lines.
async fn run_workers(cli: &Cli) -> anyhow::Result<(Tally, f64, Vec<String>)> {
    let exe = std::env::current_exe().context("locating the loadgen binary")?;
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let mut children = Vec::new();
    for index in 0..cli.workers {
        let child = tokio::process::Command::new(&exe)
            .args(&args)
            .arg("--worker-index")
            .arg(index.to_string())
            .arg("--worker-count")
            .arg(cli.workers.to_string())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("spawning worker {index}"))?;
        children.push(child);
    }
    let mut tally = Tally::default();
    let mut measured_s: f64 = 0.0;
    let mut notes = Vec::new();
    for (index, mut child) in children.into_iter().enumerate() {
        let mut out = String::new();
        if let Some(mut stdout) = child.stdout.take() {
            stdout.read_to_string(&mut out).await?;
        }
        let status = child.wait().await?;
        if !status.success() {
            bail!("worker {index} failed ({status})");
        }
        let line = out
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .with_context(|| format!("worker {index} printed nothing"))?;
        let wire: WireTally =
            serde_json::from_str(line).with_context(|| format!("worker {index}'s line"))?;
        tally.merge(&Tally::from_wire(&wire)?)?;
        measured_s = measured_s.max(wire.measured_s);
        for note in wire.notes {
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
    }
    Ok((tally, measured_s, notes))
}

/// Samples the server's `/proc` entry every 250 ms while the run lasts.
struct Sampler {
    pid: String,
    before: procfs::ProcSample,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<u64>,
}

impl Sampler {
    fn start(pid: String) -> Self {
        let before = procfs::sample(&pid).unwrap_or_default();
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task_pid = pid.clone();
        let task = tokio::spawn(async move {
            let mut peak = before.rss_kib;
            loop {
                if let Ok(now) = procfs::sample(&task_pid) {
                    peak = peak.max(now.rss_kib);
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                    _ = stopped.changed() => return peak,
                }
            }
        });
        Self {
            pid,
            before,
            stop,
            task,
        }
    }

    async fn finish(self, tally: &Tally) -> anyhow::Result<ServerReport> {
        let _ = self.stop.send(true);
        let peak = self.task.await?;
        let after = procfs::sample(&self.pid)
            .with_context(|| format!("server pid {} vanished during the run", self.pid))?;
        let connections = tally.counter("connections_ok");
        let growth = peak.saturating_sub(self.before.rss_kib);
        Ok(ServerReport {
            pid: self.pid,
            cpu_s: after.cpu_s - self.before.cpu_s,
            rss_kib_before: self.before.rss_kib,
            rss_kib_after: after.rss_kib,
            rss_kib_peak_sampled: peak,
            vm_hwm_kib: after.hwm_kib,
            rss_growth_per_connection_kib: (connections > 0)
                .then(|| growth as f64 / connections as f64),
        })
    }
}

/// The server's resource use over the run.
#[derive(Debug, Serialize)]
struct ServerReport {
    pid: String,
    /// CPU seconds (user + system) spent during the run.
    cpu_s: f64,
    rss_kib_before: u64,
    rss_kib_after: u64,
    /// Highest `VmRSS` seen by the 250 ms sampler.
    rss_kib_peak_sampled: u64,
    /// `VmHWM`: peak RSS since the server started.
    vm_hwm_kib: u64,
    /// (sampled peak − before) / connections opened.
    rss_growth_per_connection_kib: Option<f64>,
}

/// The final report.
#[derive(Debug, Serialize)]
struct Summary {
    scenario: &'static str,
    target: String,
    users: u64,
    devices: u64,
    friends: u64,
    workers: u32,
    rate: f64,
    duration_s: u64,
    elapsed_s: f64,
    measured_s: f64,
    throughput_per_s: f64,
    counters: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
    error_total: u64,
    latency: BTreeMap<String, LatencySummary>,
    server: Option<ServerReport>,
    client_cpu_s: Option<f64>,
    notes: Vec<String>,
    /// `soak`: RSS, fds and database connections over the run, and the verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    soak: Option<scenario::soak::Report>,
    /// `time-up`: the delays from due instant to receipt, duplicates and misses.
    #[serde(skip_serializing_if = "Option::is_none")]
    time_up: Option<scenario::time_up::Report>,
}

impl Summary {
    fn new(
        ctx: &Ctx,
        tally: &Tally,
        elapsed: Duration,
        measured_s: f64,
        server: Option<ServerReport>,
        notes: Vec<String>,
    ) -> Self {
        let cli = &ctx.cli;
        let done = match cli.scenario {
            Scenario::Cycles | Scenario::Light | Scenario::Friends | Scenario::Soak => {
                tally.counter("commands_ok")
            }
            Scenario::Sse => tally.counter("notifications_published"),
            Scenario::TimeUp => tally.counter("time_up_heard"),
            Scenario::Idle => 0,
        };
        Self {
            scenario: cli.scenario.name(),
            target: ctx.base.to_string(),
            users: cli.users,
            devices: cli.devices,
            friends: cli.friends,
            workers: cli.workers,
            rate: cli.rate,
            duration_s: cli.duration,
            elapsed_s: elapsed.as_secs_f64(),
            measured_s,
            throughput_per_s: if measured_s > 0.0 {
                done as f64 / measured_s
            } else {
                0.0
            },
            counters: tally.counters.clone(),
            errors: tally.errors.clone(),
            error_total: tally.error_total(),
            latency: tally
                .latencies
                .iter()
                .map(|(name, latency)| (name.clone(), latency.summary()))
                .collect(),
            server,
            // Workers are separate processes: only a single-process run can read its own CPU.
            client_cpu_s: (cli.workers == 1)
                .then(|| procfs::sample("self").ok().map(|s| s.cpu_s))
                .flatten(),
            notes,
            soak: None,
            time_up: None,
        }
    }

    fn print_human(&self) {
        println!(
            "== loadgen {} against {} ({} users x {} devices, {} worker(s), rate {}, {} s)",
            self.scenario,
            self.target,
            self.users,
            self.devices,
            self.workers,
            if self.rate > 0.0 {
                format!("{:.0}/s", self.rate)
            } else {
                "max".to_owned()
            },
            self.duration_s
        );
        println!(
            "   elapsed {:.1} s, measured {:.1} s, throughput {:.1}/s",
            self.elapsed_s, self.measured_s, self.throughput_per_s
        );
        for (name, value) in &self.counters {
            println!("   {name:<28} {value}");
        }
        for (name, l) in &self.latency {
            println!(
                "   {name:<16} n={:<8} p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms",
                l.count, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
            );
        }
        if self.errors.is_empty() {
            println!("   errors: none");
        } else {
            for (kind, n) in &self.errors {
                println!("   error {kind:<28} {n}");
            }
        }
        if let Some(s) = &self.server {
            println!(
                "   server pid {}: cpu {:.2} s, rss before {} KiB, peak {} KiB, after {} KiB, VmHWM {} KiB{}",
                s.pid,
                s.cpu_s,
                s.rss_kib_before,
                s.rss_kib_peak_sampled,
                s.rss_kib_after,
                s.vm_hwm_kib,
                s.rss_growth_per_connection_kib
                    .map(|k| format!(", {k:.2} KiB per connection"))
                    .unwrap_or_default()
            );
        }
        for note in &self.notes {
            println!("   note: {note}");
        }
        if let Some(soak) = &self.soak {
            soak.print_human();
        }
        if let Some(time_up) = &self.time_up {
            time_up.print_human();
        }
    }
}
