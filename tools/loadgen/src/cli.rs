//! Command line of `loadgen`.
//!
//! The tool only ever talks to a loopback address: it is a benchmark instrument, not something to
//! point at a shared server, so [`Cli::validate`] refuses any other host.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};
use reqwest::Url;

/// Hard limits that keep one invocation bounded whatever the flags say.
pub const MAX_CONNECTIONS: u64 = 100_000;
/// Longest scenario, seconds.
pub const MAX_DURATION_S: u64 = 3_600;
/// Most worker processes.
pub const MAX_WORKERS: u32 = 32;

/// Drives Hourglass through its public protocol (WebSocket, REST, SSE) and reports throughput,
/// latency percentiles and errors; the last stdout line is a one-line JSON summary.
#[derive(Debug, Clone, Parser)]
#[command(name = "loadgen", version)]
pub struct Cli {
    /// What to run.
    #[arg(value_enum)]
    pub scenario: Scenario,

    /// Base URL of the server (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub target: String,

    /// `cycles`: base URL of a second server instance on the same database for the devices
    /// that only listen (device 1 and up), to measure fan-out across instances (loopback only).
    #[arg(long)]
    pub fanout_target: Option<String>,

    /// HS256 secret the server verifies tokens with; loadgen mints one token per user.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub secret: String,

    /// Users (cycles, light, idle, sse; the command-sending users of `soak`). For `friends`, see
    /// `--friends`.
    #[arg(long, default_value_t = 10)]
    pub users: u64,

    /// Connections per user: devices of `cycles` and of `soak`'s command users (device 0 sends,
    /// device 1 measures fan-out), WebSockets of `idle`, streams of `sse` (the server allows 10 per user).
    /// `light` takes exactly 2 (the devices take turns sending).
    #[arg(long, default_value_t = 2)]
    pub devices: u64,

    /// Seconds of the measured phase (commands of `cycles`/`friends`, hold of `idle`/`sse`).
    #[arg(long, default_value_t = 10)]
    pub duration: u64,

    /// Open-loop target rate over all users: commands/s for `cycles` and `soak` (`soak` uses 150
    /// when it is 0), notifications/s for the `sse` publisher. 0 = as fast as replies come back (closed loop, one command in flight per
    /// user). With a rate, latency is measured from each command's scheduled send time, so a
    /// server that falls behind shows it (no coordinated omission). For `light` the rate paces
    /// the closed loop instead (still one command in flight per user, latency from the actual
    /// send; slots missed because a command was still in flight count as `sends_late`).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,

    /// Online friends of the actor (`friends`).
    #[arg(long, default_value_t = 100)]
    pub friends: u64,

    /// Commands the `friends` actor sends (each waits for every friend's activity message).
    #[arg(long, default_value_t = 100)]
    pub iterations: u64,

    /// Worker processes to spread the connections over (each has its own 20,000 open-file
    /// limit). Users are sharded by index; results are merged from the workers' stdout JSON.
    #[arg(long, default_value_t = 1)]
    pub workers: u32,

    /// Pid of the server: reports its CPU seconds and RSS (current, sampled peak, VmHWM).
    #[arg(long)]
    pub server_pid: Option<u32>,

    /// PostgreSQL URL used by `friends` to create the friendships in SQL (through `psql`) when
    /// the follow endpoints are not served, and by `soak` to count the database's connections
    /// (`pg_stat_activity`, through `psql`) at every sample.
    #[arg(long, env = "LOADGEN_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Prefix of the users' `sub` claims; a fresh one per run keeps runs apart.
    #[arg(long, default_value = "lg")]
    pub run_id: String,

    /// Handshakes in flight at once, per process.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,

    /// `timezone` of the WebSocket connections (each datetime is rendered in it).
    #[arg(long, default_value = "Asia/Seoul")]
    pub timezone: String,

    /// Seconds to wait for any single reply, handshake or message before counting a timeout.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,

    /// `soak`: idle WebSockets kept open (each closed and reopened after about
    /// `--churn-lifetime` seconds, half of them as fresh users).
    #[arg(long, default_value_t = 300)]
    pub idle_connections: u64,

    /// `soak`: notification streams kept open (each closed and reopened like the WebSockets).
    #[arg(long, default_value_t = 100)]
    pub sse_streams: u64,

    /// `soak`: REST requests started per second (reads, todo writes, follows, meetups,
    /// notification publishing).
    #[arg(long, default_value_t = 20.0)]
    pub rest_rate: f64,

    /// `soak`: mean seconds a connection lives before it is closed and reopened (each lives
    /// between half and one and a half times this).
    #[arg(long, default_value_t = 60)]
    pub churn_lifetime: u64,

    /// `soak`: give every command a fresh `request_id`, so the server remembers each outcome
    /// (exercises the clean-up of `processed_commands`).
    #[arg(long)]
    pub request_ids: bool,

    /// `soak`: seconds between two samples of the server (RSS, fds, database connections).
    #[arg(long, default_value_t = 10)]
    pub sample_interval: u64,

    /// `soak`: where the samples also go, as CSV (one row per sample).
    #[arg(long)]
    pub samples_csv: Option<std::path::PathBuf>,

    /// `time-up`: timers created in all (spread over `--duration` seconds, over all users).
    #[arg(long, default_value_t = 1_000)]
    pub timers: u64,

    /// `time-up`: seconds over which the timers' due instants are spread (the window opens 5 s
    /// after the last create).
    #[arg(long, default_value_t = 60)]
    pub due_window: u64,

    /// `time-up`: seconds after the last due instant a timer not yet heard counts as missed.
    #[arg(long, default_value_t = 30)]
    pub grace: u64,

    /// Internal: this process is worker `INDEX` of `--worker-count`.
    #[arg(long, hide = true, requires = "worker_count")]
    pub worker_index: Option<u32>,

    /// Internal: how many workers share the users.
    #[arg(long, hide = true)]
    pub worker_count: Option<u32>,
}

/// The scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Users run create→pause→resume→stop; command round trip and fan-out to a second device.
    Cycles,
    /// The quiet closed loop: each user's two devices take turns sending, one command in flight
    /// per user; the sender's reply and the copy on the other device.
    Light,
    /// Authenticated WebSocket connections held open and idle.
    Idle,
    /// Notification streams, with a publisher calling `GET /api/v1/notifications/test`.
    Sse,
    /// One actor whose timer activity reaches every online friend.
    Friends,
    /// A long mixed load with connection churn, sampling the server's memory, open files and
    /// database connections to show whether they stay flat.
    Soak,
    /// Timers whose due instants fall in one window; the delay from each due instant to the
    /// device receiving `timer.time_up`.
    TimeUp,
}

impl Scenario {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cycles => "cycles",
            Self::Light => "light",
            Self::Idle => "idle",
            Self::Sse => "sse",
            Self::Friends => "friends",
            Self::Soak => "soak",
            Self::TimeUp => "time-up",
        }
    }
}

impl Cli {
    /// Checks the flags together and returns the parsed target URL.
    ///
    /// # Errors
    /// A non-loopback or malformed target, out-of-range counts, a `friends` run over workers.
    pub fn validate(&self) -> anyhow::Result<Url> {
        let url = loopback_url("--target", &self.target)?;
        self.fanout_url()?;
        if self.secret.is_empty() {
            bail!("--secret (JWT_SECRET) must not be empty");
        }
        let connections = self.users.saturating_mul(self.devices.max(1));
        if self.users == 0 || self.devices == 0 || connections > MAX_CONNECTIONS {
            bail!("--users x --devices must be between 1 and {MAX_CONNECTIONS}");
        }
        if self.friends > MAX_CONNECTIONS || self.iterations > 1_000_000 {
            bail!("--friends at most {MAX_CONNECTIONS}, --iterations at most 1000000");
        }
        if self.duration == 0 || self.duration > MAX_DURATION_S {
            bail!("--duration must be between 1 and {MAX_DURATION_S} seconds");
        }
        if !self.rate.is_finite() || self.rate < 0.0 {
            bail!("--rate must be a non-negative number");
        }
        if self.workers == 0 || self.workers > MAX_WORKERS {
            bail!("--workers must be between 1 and {MAX_WORKERS}");
        }
        if self.scenario == Scenario::Friends && self.workers > 1 {
            bail!(
                "`friends` runs in one process (it matches every friend's message to the actor's send)"
            );
        }
        if self.scenario == Scenario::Light && self.devices != 2 {
            bail!("`light` runs with --devices 2 (the user's two devices take turns sending)");
        }
        if self.scenario == Scenario::Soak {
            if self.workers > 1 {
                bail!("`soak` runs in one process (it samples the server while it runs)");
            }
            if !self.rest_rate.is_finite() || self.rest_rate < 0.0 {
                bail!("--rest-rate must be a non-negative number");
            }
            if self.idle_connections.saturating_add(self.sse_streams) > MAX_CONNECTIONS {
                bail!("--idle-connections + --sse-streams at most {MAX_CONNECTIONS}");
            }
            if self.churn_lifetime < 2 || self.sample_interval == 0 {
                bail!("--churn-lifetime must be at least 2 and --sample-interval at least 1");
            }
        }
        if self.scenario == Scenario::TimeUp {
            if self.workers > 1 {
                bail!("`time-up` runs in one process (its percentiles need every delay)");
            }
            if self.timers == 0 || self.timers > 1_000_000 {
                bail!("--timers must be between 1 and 1000000");
            }
            if self.due_window == 0 || self.due_window > MAX_DURATION_S || self.grace > 600 {
                bail!("--due-window must be between 1 and {MAX_DURATION_S}, --grace at most 600");
            }
        }
        if self.connect_concurrency == 0 || self.timeout == 0 {
            bail!("--connect-concurrency and --timeout must be at least 1");
        }
        if let (Some(index), Some(count)) = (self.worker_index, self.worker_count)
            && index >= count
        {
            bail!("--worker-index must be below --worker-count");
        }
        Ok(url)
    }

    /// The measured phase.
    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.duration)
    }

    /// The per-message timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }

    /// `(index, count)` of this process's shard; `(0, 1)` when it is not a worker.
    pub fn shard(&self) -> (u32, u32) {
        match (self.worker_index, self.worker_count) {
            (Some(index), Some(count)) => (index, count),
            _ => (0, 1),
        }
    }

    /// The parsed `--fanout-target`, if given.
    ///
    /// # Errors
    /// A non-loopback or malformed URL.
    pub fn fanout_url(&self) -> anyhow::Result<Option<Url>> {
        self.fanout_target
            .as_deref()
            .map(|raw| loopback_url("--fanout-target", raw))
            .transpose()
    }

    /// Whether this process is a worker spawned by `--workers`.
    pub fn is_worker(&self) -> bool {
        self.worker_index.is_some()
    }

    /// The users of this shard (user indexes `u` with `u % count == index`).
    pub fn my_users(&self) -> impl Iterator<Item = u64> + use<> {
        let (index, count) = self.shard();
        (0..self.users).filter(move |u| u % u64::from(count) == u64::from(index))
    }

    /// This shard's part of `--rate`.
    pub fn my_rate(&self) -> f64 {
        self.rate / f64::from(self.shard().1)
    }
}

/// `raw` parsed as an `http://` URL on a loopback address.
fn loopback_url(flag: &str, raw: &str) -> anyhow::Result<Url> {
    let url = Url::parse(raw).with_context(|| format!("{flag} {raw}"))?;
    if url.scheme() != "http" {
        bail!("{flag} must be http:// (loopback benchmarks need no TLS)");
    }
    let loopback = match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    };
    if !loopback {
        bail!("{flag} must be a loopback address (127.0.0.0/8, ::1 or localhost)");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(
            ["loadgen"]
                .into_iter()
                .chain(args.iter().copied())
                .chain(["--secret", "s3cret"]),
        )
    }

    #[test]
    fn defaults_and_flags_parse() -> anyhow::Result<()> {
        let cli = parse(&[
            "cycles",
            "--users",
            "40",
            "--devices",
            "3",
            "--rate",
            "850.5",
            "--workers",
            "2",
        ])?;
        assert_eq!(cli.scenario, Scenario::Cycles);
        assert_eq!((cli.users, cli.devices, cli.workers), (40, 3, 2));
        assert!((cli.rate - 850.5).abs() < f64::EPSILON);
        let url = cli.validate()?;
        assert_eq!(url.as_str(), "http://127.0.0.1:8000/");
        assert!(!cli.is_worker());
        assert_eq!(cli.shard(), (0, 1));
        Ok(())
    }

    #[test]
    fn a_worker_gets_its_shard_of_users_and_rate() -> anyhow::Result<()> {
        let cli = parse(&[
            "idle",
            "--users",
            "10",
            "--rate",
            "90",
            "--worker-index",
            "1",
            "--worker-count",
            "3",
        ])?;
        cli.validate()?;
        assert!(cli.is_worker());
        assert_eq!(cli.my_users().collect::<Vec<_>>(), vec![1, 4, 7]);
        assert!((cli.my_rate() - 30.0).abs() < 1e-9);
        Ok(())
    }

    #[test]
    fn the_fanout_target_is_loopback_only_too() -> anyhow::Result<()> {
        let cli = parse(&["cycles", "--fanout-target", "http://127.0.0.1:8001"])?;
        cli.validate()?;
        let Some(url) = cli.fanout_url()? else {
            panic!("--fanout-target was given")
        };
        assert_eq!(url.port(), Some(8001));
        assert!(parse(&["cycles"])?.fanout_url()?.is_none());
        let remote = parse(&["cycles", "--fanout-target", "http://10.0.0.1:8000"])?;
        assert!(remote.validate().is_err());
        Ok(())
    }

    #[test]
    fn only_loopback_targets_are_accepted() -> anyhow::Result<()> {
        for ok in [
            "http://127.0.0.1:8000",
            "http://localhost:9",
            "http://[::1]:8000",
        ] {
            parse(&["idle", "--target", ok])?.validate()?;
        }
        for bad in [
            "http://10.0.0.1:8000",
            "http://example.com",
            "https://127.0.0.1",
        ] {
            assert!(
                parse(&["idle", "--target", bad])?.validate().is_err(),
                "{bad}"
            );
        }
        Ok(())
    }

    #[test]
    fn nonsense_is_refused() -> anyhow::Result<()> {
        assert!(parse(&["nosuch"]).is_err());
        assert!(parse(&["idle", "--users", "-1"]).is_err());
        assert!(parse(&["idle", "--duration", "0"])?.validate().is_err());
        assert!(parse(&["idle", "--workers", "0"])?.validate().is_err());
        assert!(parse(&["idle", "--rate=-5"])?.validate().is_err());
        assert!(parse(&["friends", "--workers", "2"])?.validate().is_err());
        assert!(parse(&["soak", "--workers", "2"])?.validate().is_err());
        assert!(parse(&["light", "--devices", "3"])?.validate().is_err());
        parse(&["light", "--users", "1"])?.validate()?;
        assert!(
            parse(&["soak", "--churn-lifetime", "1"])?
                .validate()
                .is_err()
        );
        assert!(
            parse(&["soak", "--sample-interval", "0"])?
                .validate()
                .is_err()
        );
        assert!(parse(&["soak", "--rest-rate=-1"])?.validate().is_err());
        assert!(parse(&["time-up", "--workers", "2"])?.validate().is_err());
        assert!(parse(&["time-up", "--timers", "0"])?.validate().is_err());
        assert!(
            parse(&["time-up", "--due-window", "0"])?
                .validate()
                .is_err()
        );
        parse(&["time-up", "--timers", "20", "--due-window", "20"])?.validate()?;
        // A worker index without its count is a usage error.
        assert!(parse(&["idle", "--worker-index", "0"]).is_err());
        Ok(())
    }
}
