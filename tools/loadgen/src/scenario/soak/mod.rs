//! `soak`: a long, moderate, mixed load with connection churn, to show that the server's memory,
//! open file descriptors and database connections stay flat.
//!
//! For `--duration` seconds, all at once:
//! - `--users` command users on `--devices` WebSockets each send create → pause → resume → stop
//!   at `--rate` commands/s in total (150 when 0) while their other devices receive the fan-out;
//! - `--idle-connections` idle WebSockets and `--sse-streams` notification streams are held;
//! - a REST mix runs at `--rest-rate` requests/s (see [`rest`]), publishing test notifications
//!   to the open streams among other things;
//! - every connection lives about `--churn-lifetime` seconds and is then closed — half with a
//!   close frame, a quarter by FIN, a quarter by reset (streams: the socket is closed) — and
//!   reopened, often as a new user (see [`churn`]).
//!
//! Every `--sample-interval` seconds a line reports loadgen's counters next to the server's RSS,
//! fds and threads (`--server-pid`) and the database's connections (`--database-url`), also
//! written to `--samples-csv`. At the end the series are judged by [`trend`].
//!
//! Unlike the short scenarios, the actors count into one shared tally behind a lock: a few
//! hundred events a second do not contend, and the sampler needs the running totals.

mod churn;
mod connections;
mod rest;
mod sample;
mod trend;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinSet;

use self::connections::Streams;
use self::sample::{Sample, Sampler};
use self::trend::{Trend, Windows};
use crate::stats::Tally;
use crate::{Ctx, Outcome};

/// Commands/s when `--rate` is 0.
const DEFAULT_COMMAND_RATE: f64 = 150.0;

/// How long the actors may take to close everything after the deadline.
const WIND_DOWN: Duration = Duration::from_secs(30);

/// Pause between the end of the load and the last sample, so the server has closed its side.
const SETTLE: Duration = Duration::from_secs(3);

/// The command rate of the run.
fn command_rate(ctx: &Ctx) -> f64 {
    if ctx.cli.rate > 0.0 {
        ctx.cli.rate
    } else {
        DEFAULT_COMMAND_RATE
    }
}

/// The counts of every actor.
#[derive(Debug, Default)]
pub struct Board {
    tally: Mutex<Tally>,
}

impl Board {
    fn with<R>(&self, f: impl FnOnce(&mut Tally) -> R) -> R {
        f(&mut self.tally.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Adds one to a counter.
    pub fn count(&self, name: &str) {
        self.with(|t| t.count(name, 1));
    }

    /// Counts one error of `kind`.
    pub fn error(&self, kind: impl Into<String>) {
        self.with(|t| t.error(kind));
    }

    /// Records one latency.
    pub fn latency(&self, name: &str, latency: Duration) {
        // Only fails if a histogram cannot be made, which it can.
        let _ = self.with(|t| t.latency(name, latency));
    }

    /// Loadgen's part of a sample.
    fn sample(&self, elapsed: Duration) -> Sample {
        self.with(|t| {
            let open =
                |opened: &str, closed: &str| t.counter(opened).saturating_sub(t.counter(closed));
            Sample {
                elapsed_s: elapsed.as_secs_f64(),
                commands_ok: t.counter("commands_ok"),
                errors: t.error_total(),
                ws_open: open("ws_opened", "ws_closed"),
                sse_open: open("sse_opened", "sse_closed"),
                ..Sample::default()
            }
        })
    }

    fn take(&self) -> Tally {
        self.with(std::mem::take)
    }
}

/// What the soak found, in the final summary.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Seconds between samples.
    pub sample_interval_s: u64,
    /// Samples taken during the run (the one after it not counted).
    pub samples: usize,
    /// Warm-up and window lengths of the judgement.
    pub windows: Windows,
    /// Server RSS, KiB.
    pub rss_kib: Option<Trend>,
    /// Server open file descriptors.
    pub fds: Option<Trend>,
    /// Connections to the server's database.
    pub db_connections: Option<Trend>,
    /// Server threads (not judged; shown because a thread leak would show here).
    pub threads: Option<Trend>,
    /// WebSockets + streams open at the samples (not judged; shows the load held steady).
    pub open_connections: Option<Trend>,
    /// The sample after everything was closed.
    pub after: Sample,
    /// Every judged series flat.
    pub flat: bool,
    /// The verdict in words.
    pub verdict: String,
}

impl Report {
    fn new(samples: &[Sample], after: Sample, interval_s: u64, duration_s: f64) -> Self {
        let windows = Windows::for_duration(duration_s);
        let series = |value: fn(&Sample) -> Option<u64>, tolerance| {
            let points: Vec<(f64, f64)> = samples
                .iter()
                .filter_map(|s| value(s).map(|v| (s.elapsed_s, v as f64)))
                .collect();
            trend::assess(&points, windows, tolerance)
        };
        let rss_kib = series(|s| s.rss_kib, trend::RSS);
        let fds = series(|s| s.fds, trend::FDS);
        let db_connections = series(|s| s.db_connections, trend::DB_CONNECTIONS);
        let threads = series(|s| s.threads, trend::THREADS);
        let open_connections = series(|s| Some(s.ws_open + s.sse_open), trend::FDS);
        let (flat, verdict) =
            trend::verdict(rss_kib.as_ref(), fds.as_ref(), db_connections.as_ref());
        Self {
            sample_interval_s: interval_s,
            samples: samples.len(),
            windows,
            rss_kib,
            fds,
            db_connections,
            threads,
            open_connections,
            after,
            flat,
            verdict,
        }
    }

    /// The human lines of the summary.
    pub fn print_human(&self) {
        println!(
            "   soak: warm-up {:.0} s, windows {:.0} s, {} samples every {} s",
            self.windows.warmup_s, self.windows.window_s, self.samples, self.sample_interval_s
        );
        for (name, trend) in [
            ("rss KiB", &self.rss_kib),
            ("open fds", &self.fds),
            ("db connections", &self.db_connections),
            ("threads", &self.threads),
            ("open connections", &self.open_connections),
        ] {
            match trend {
                Some(t) => println!(
                    "   {name:<17} start {:>9.0}  first window {:>9.0}  last window {:>9.0}  max {:>9.0}  trend {:>+9.1}/h  {}",
                    t.start,
                    t.first_window,
                    t.last_window,
                    t.max,
                    t.slope_per_hour,
                    if t.flat { "flat" } else { "GROWING" }
                ),
                None => println!("   {name:<17} not measured"),
            }
        }
        println!("   after closing: {}", self.after.line(None));
        println!("   verdict: {}", self.verdict);
    }
}

/// Runs the soak.
///
/// # Errors
/// Internal failures and an unusable REST set-up; request and connection failures are counted.
pub async fn run(ctx: Arc<Ctx>) -> anyhow::Result<Outcome> {
    let board = Arc::new(Board::default());
    let mut sampler = Sampler::new(
        ctx.cli.server_pid,
        ctx.cli.database_url.clone(),
        ctx.cli.samples_csv.as_deref(),
    )?;
    let start = Instant::now();
    let deadline = start + ctx.cli.duration();
    let mut samples = vec![sampler.complete(board.sample(Duration::ZERO)).await?];
    if let Some(first) = samples.first() {
        println!("{}", first.line(None));
    }

    let streams = Arc::new(Streams {
        client: reqwest::Client::builder()
            .connect_timeout(ctx.cli.timeout())
            .pool_max_idle_per_host(0)
            .build()?,
        url: ctx.base.join("/api/v1/notifications/subscribe")?,
        open_tokens: Mutex::new(vec![None; usize::try_from(ctx.cli.sse_streams)?]),
    });
    let mut actors = JoinSet::new();
    for user in 0..ctx.cli.users {
        let phase = user as f64 / ctx.cli.users as f64;
        actors.spawn(connections::command_user(
            Arc::clone(&ctx),
            Arc::clone(&board),
            user,
            phase,
            start,
            deadline,
        ));
    }
    for slot in 0..ctx.cli.idle_connections {
        actors.spawn(connections::idle_slot(
            Arc::clone(&ctx),
            Arc::clone(&board),
            slot,
            deadline,
        ));
    }
    for slot in 0..ctx.cli.sse_streams {
        actors.spawn(connections::stream_slot(
            Arc::clone(&ctx),
            Arc::clone(&board),
            Arc::clone(&streams),
            slot,
            deadline,
        ));
    }
    let rest = tokio::spawn(rest::run(
        Arc::clone(&ctx),
        Arc::clone(&board),
        Arc::clone(&streams),
        deadline,
    ));

    let interval = Duration::from_secs(ctx.cli.sample_interval);
    let mut next_sample = start + interval;
    while next_sample <= deadline {
        tokio::time::sleep_until(next_sample.into()).await;
        next_sample += interval;
        let sample = sampler.complete(board.sample(start.elapsed())).await?;
        println!("{}", sample.line(samples.last()));
        samples.push(sample);
    }

    let mut notes = Vec::new();
    let wind_down = async { while actors.join_next().await.is_some() {} };
    if tokio::time::timeout(WIND_DOWN, wind_down).await.is_err() {
        notes.push(format!(
            "some connections were still closing {} s after the end",
            WIND_DOWN.as_secs()
        ));
        actors.abort_all();
    }
    match rest.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => notes.push(format!("the REST mix stopped: {error:#}")),
        Err(error) => notes.push(format!("the REST mix failed: {error}")),
    }
    tokio::time::sleep(SETTLE).await;
    let after = sampler.complete(board.sample(start.elapsed())).await?;
    let report = Report::new(
        &samples,
        after,
        ctx.cli.sample_interval,
        ctx.cli.duration().as_secs_f64(),
    );
    notes.push(format!(
        "{} users sending at {:.0} commands/s on {} devices each, {} idle WebSockets, {} streams, REST at {:.0}/s, connection lifetime {} s on average",
        ctx.cli.users,
        command_rate(&ctx),
        ctx.cli.devices,
        ctx.cli.idle_connections,
        ctx.cli.sse_streams,
        ctx.cli.rest_rate,
        ctx.cli.churn_lifetime
    ));
    Ok(Outcome {
        tally: board.take(),
        measured_s: ctx.cli.duration().as_secs_f64(),
        notes,
        soak: Some(report),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_connections_are_opened_minus_closed() {
        let board = Board::default();
        for _ in 0..5 {
            board.count("ws_opened");
        }
        board.count("ws_closed");
        board.count("sse_opened");
        board.count("commands_ok");
        board.error("ws_connect_refused");
        let sample = board.sample(Duration::from_secs(10));
        assert_eq!((sample.ws_open, sample.sse_open), (4, 1));
        assert_eq!((sample.commands_ok, sample.errors), (1, 1));
        assert_eq!(sample.elapsed_s, 10.0);
        assert_eq!(sample.rss_kib, None);
    }

    #[test]
    fn a_report_judges_the_sampled_series() {
        // Three minutes every 10 s: RSS and fds level, the database not sampled.
        let samples: Vec<Sample> = (0..=18)
            .map(|i| Sample {
                elapsed_s: f64::from(i) * 10.0,
                ws_open: 360,
                sse_open: 100,
                rss_kib: Some(30_000),
                fds: Some(520),
                threads: Some(6),
                ..Sample::default()
            })
            .collect();
        let report = Report::new(&samples, Sample::default(), 10, 180.0);
        assert_eq!(report.samples, 19);
        assert_eq!(report.windows.warmup_s, 30.0);
        assert!(report.flat, "{}", report.verdict);
        assert!(report.db_connections.is_none());
        assert!(
            report
                .verdict
                .ends_with("(not measured: database connections)"),
            "{}",
            report.verdict
        );
        assert_eq!(report.open_connections.map(|t| t.last_window), Some(460.0));
    }
}
