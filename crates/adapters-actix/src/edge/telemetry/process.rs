//! [`ProcessCollector`]: the standard `process_*` metrics (CPU time, memory, file descriptors,
//! threads, start time), read from `/proc/self` on each scrape.
//!
//! prometheus-client has no process collector of its own, and the names are the ones every
//! other Prometheus client library exports (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`, …), so stock dashboards and alerts work unchanged. They are
//! encoded without the `hourglass_` prefix for that reason.
//!
//! Linux only: elsewhere `/proc/self` does not exist and the collector writes nothing. Each
//! file is read and parsed on its own, so one that cannot be read only leaves its metrics out.
//! CPU times in `/proc/self/stat` count clock ticks of `USER_HZ`, which the Linux ABI fixes at
//! 100 per second on every architecture Hourglass builds for (reading it from `sysconf` would
//! need `unsafe`, which the workspace forbids).

use std::path::Path;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Unit;

/// Clock ticks per second in `/proc/<pid>/stat` (`USER_HZ`).
const TICKS_PER_SECOND: f64 = 100.0;

/// The process's own numbers at one instant; a field is `None` when its source was unreadable.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessSample {
    /// User plus system CPU time, in seconds.
    pub cpu_seconds: Option<f64>,
    /// Resident set size, in bytes.
    pub resident_memory_bytes: Option<u64>,
    /// Virtual memory size, in bytes.
    pub virtual_memory_bytes: Option<u64>,
    /// Threads of the process.
    pub threads: Option<u64>,
    /// Start time, in seconds since the Unix epoch.
    pub start_time_seconds: Option<f64>,
    /// Open file descriptors (sockets included).
    pub open_fds: Option<u64>,
    /// The soft limit on open file descriptors (`RLIMIT_NOFILE`); `None` when unlimited.
    pub max_fds: Option<u64>,
}

impl ProcessSample {
    /// Reads this process's numbers from `/proc` (`None` fields elsewhere than Linux).
    #[must_use]
    pub fn read() -> Self {
        Self::read_from(Path::new("/proc"))
    }

    /// Reads from a `/proc`-shaped folder: `self/stat`, `self/status`, `self/limits`,
    /// `self/fd` and `stat`.
    fn read_from(proc: &Path) -> Self {
        let read = |name: &str| std::fs::read_to_string(proc.join(name)).ok();
        let stat = read("self/stat").and_then(|text| parse_stat(&text));
        let status = read("self/status").map(|text| parse_status(&text));
        let boot_time = read("stat").and_then(|text| parse_boot_time(&text));
        Self {
            cpu_seconds: stat.map(|stat| stat.cpu_ticks as f64 / TICKS_PER_SECOND),
            resident_memory_bytes: status.and_then(|status| status.resident_bytes),
            virtual_memory_bytes: status.and_then(|status| status.virtual_bytes),
            threads: status.and_then(|status| status.threads),
            start_time_seconds: stat
                .zip(boot_time)
                .map(|(stat, boot)| boot as f64 + stat.start_ticks as f64 / TICKS_PER_SECOND),
            open_fds: std::fs::read_dir(proc.join("self/fd"))
                .ok()
                .map(|entries| entries.count() as u64),
            max_fds: read("self/limits").and_then(|text| parse_max_open_files(&text)),
        }
    }
}

/// What `/proc/self/stat` holds that is used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    /// `utime + stime`, in clock ticks.
    cpu_ticks: u64,
    /// Start time after boot, in clock ticks.
    start_ticks: u64,
}

/// Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may hold spaces
/// and parentheses itself, so the fields are counted from the last `)`.
fn parse_stat(text: &str) -> Option<Stat> {
    let (_, after_name) = text.rsplit_once(')')?;
    // After the name: field 3 (state) is index 0, so field N is index N - 3.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(Stat {
        cpu_ticks: field(14)? + field(15)?,
        start_ticks: field(22)?,
    })
}

/// What `/proc/self/status` holds that is used here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Status {
    resident_bytes: Option<u64>,
    virtual_bytes: Option<u64>,
    threads: Option<u64>,
}

/// Parses `VmRSS`, `VmSize` (in kB) and `Threads` from `/proc/<pid>/status`.
fn parse_status(text: &str) -> Status {
    let value = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
    };
    Status {
        resident_bytes: value("VmRSS").map(|kib| kib * 1024),
        virtual_bytes: value("VmSize").map(|kib| kib * 1024),
        threads: value("Threads"),
    }
}

/// The `btime` line of `/proc/stat`: boot time in seconds since the Unix epoch.
fn parse_boot_time(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|rest| rest.trim().parse().ok())
}

/// The soft limit of the `Max open files` line of `/proc/<pid>/limits`; `None` when unlimited.
fn parse_max_open_files(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// Writes a [`ProcessSample`] taken at each scrape as the `process_*` metrics.
#[derive(Debug, Default)]
pub struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let sample = ProcessSample::read();
        if let Some(seconds) = sample.cpu_seconds {
            let counter = ConstCounter::new(seconds);
            counter.encode(encoder.encode_descriptor(
                "process_cpu",
                "Total user and system CPU time spent, in seconds",
                Some(&Unit::Seconds),
                counter.metric_type(),
            )?)?;
        }
        let gauges: [(&str, &str, Option<Unit>, Option<f64>); 6] = [
            (
                "process_resident_memory",
                "Resident memory size, in bytes",
                Some(Unit::Bytes),
                sample.resident_memory_bytes.map(|n| n as f64),
            ),
            (
                "process_virtual_memory",
                "Virtual memory size, in bytes",
                Some(Unit::Bytes),
                sample.virtual_memory_bytes.map(|n| n as f64),
            ),
            (
                "process_start_time",
                "Start time of the process since the Unix epoch, in seconds",
                Some(Unit::Seconds),
                sample.start_time_seconds,
            ),
            (
                "process_open_fds",
                "Open file descriptors (sockets included)",
                None,
                sample.open_fds.map(|n| n as f64),
            ),
            (
                "process_max_fds",
                "Most open file descriptors allowed (the soft RLIMIT_NOFILE)",
                None,
                sample.max_fds.map(|n| n as f64),
            ),
            (
                "process_threads",
                "Threads of the process",
                None,
                sample.threads.map(|n| n as f64),
            ),
        ];
        for (name, help, unit, value) in gauges {
            if let Some(value) = value {
                let gauge = ConstGauge::new(value);
                gauge.encode(encoder.encode_descriptor(
                    name,
                    help,
                    unit.as_ref(),
                    gauge.metric_type(),
                )?)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_a_command_name_with_spaces_and_parentheses() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
        // utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss
        let text = "4242 (hour (glass) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 \
                    250 50 0 0 20 0 9 0 123456 1000000 2000";
        assert_eq!(
            parse_stat(text),
            Some(Stat {
                cpu_ticks: 300,
                start_ticks: 123_456
            })
        );
        assert_eq!(parse_stat("4242 (truncated"), None);
    }

    #[test]
    fn status_limits_and_boot_time_are_parsed() {
        let status = "Name:\thourglass\nVmSize:\t  2048 kB\nVmRSS:\t   512 kB\nThreads:\t7\n";
        assert_eq!(
            parse_status(status),
            Status {
                resident_bytes: Some(512 * 1024),
                virtual_bytes: Some(2048 * 1024),
                threads: Some(7)
            }
        );
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max processes             63704                63704                processes\n\
                      Max open files            65536                524288               files\n";
        assert_eq!(parse_max_open_files(limits), Some(65_536));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_max_open_files(unlimited), None);
        assert_eq!(
            parse_boot_time("cpu  1 2 3\nbtime 1700000000\n"),
            Some(1_700_000_000)
        );
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn this_process_is_read_from_proc() {
        let sample = ProcessSample::read();
        assert!(sample.cpu_seconds.is_some_and(|s| s >= 0.0), "{sample:?}");
        assert!(
            sample.resident_memory_bytes.is_some_and(|b| b > 0),
            "{sample:?}"
        );
        assert!(sample.threads.is_some_and(|t| t >= 1), "{sample:?}");
        assert!(sample.open_fds.is_some_and(|n| n >= 3), "{sample:?}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|since| since.as_secs_f64())
            .unwrap_or_default();
        assert!(
            sample
                .start_time_seconds
                .is_some_and(|start| start <= now + 1.0 && start > now - 86_400.0 * 365.0),
            "{sample:?}"
        );
    }

    #[test]
    fn a_missing_proc_leaves_every_metric_out() {
        let sample = ProcessSample::read_from(Path::new("/nonexistent-proc"));
        assert_eq!(sample, ProcessSample::default());
    }
}
