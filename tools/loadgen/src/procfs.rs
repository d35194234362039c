//! The server's CPU time and memory, read from `/proc/<pid>` (Linux only).
//!
//! `utime` and `stime` are in clock ticks; `USER_HZ` is 100 on every Linux architecture this
//! runs on (it is fixed in the kernel ABI), so no `sysconf` call (and no `unsafe`) is needed.

use anyhow::Context as _;
use serde::Serialize;

/// Clock ticks per second of `/proc/<pid>/stat`.
const USER_HZ: f64 = 100.0;

/// One reading of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ProcSample {
    /// User + system CPU seconds since the process started.
    pub cpu_s: f64,
    /// Resident set size now, KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set size since start, KiB (`VmHWM`).
    pub hwm_kib: u64,
    /// Threads of the process (`Threads`).
    pub threads: u64,
}

/// Reads `/proc/<pid>/stat` and `/proc/<pid>/status`.
///
/// # Errors
/// The process is gone or the files are not in the expected shape.
pub fn sample(pid: &str) -> anyhow::Result<ProcSample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let cpu_s = parse_cpu_seconds(&stat).context("parsing /proc/<pid>/stat")?;
    Ok(ProcSample {
        cpu_s,
        rss_kib: status_kib(&status, "VmRSS:").unwrap_or(0),
        hwm_kib: status_kib(&status, "VmHWM:").unwrap_or(0),
        threads: status_kib(&status, "Threads:").unwrap_or(0),
    })
}

/// How many file descriptors the process has open (entries of `/proc/<pid>/fd`; reading
/// another user's process needs the same user or root).
///
/// # Errors
/// The process is gone or its `fd` folder cannot be read.
pub fn open_fds(pid: &str) -> anyhow::Result<u64> {
    let entries = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .with_context(|| format!("reading /proc/{pid}/fd"))?;
    Ok(entries.filter(Result::is_ok).count() as u64)
}

/// utime + stime (fields 14 and 15) in seconds. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted from the last `)`.
fn parse_cpu_seconds(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): field n is fields[n - 3].
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

/// The first number after `key` in `/proc/<pid>/status` (sizes are in KiB there).
fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_seconds_are_fields_14_and_15_after_the_command_name() {
        let stat = "4242 (hour glass) S 1 4242 4242 0 -1 4194560 2000 0 0 0 250 130 0 0 20 0 \
                    9 0 100 1000000 5000 18446744073709551615";
        assert_eq!(parse_cpu_seconds(stat), Some(3.8));
    }

    #[test]
    fn status_sizes_are_read_in_kib() {
        let status = "Name:\thourglass\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(102_400));
        assert_eq!(status_kib(status, "VmHWM:"), Some(204_800));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn the_thread_count_is_read_from_status() {
        let status = "Name:\thourglass\nThreads:\t5\nVmRSS:\t  1024 kB\n";
        assert_eq!(status_kib(status, "Threads:"), Some(5));
    }

    #[test]
    fn open_fds_counts_this_process_s_descriptors() -> anyhow::Result<()> {
        let before = open_fds("self")?;
        let files = (0..3)
            .map(|_| std::fs::File::open("/proc/self/status"))
            .collect::<Result<Vec<_>, _>>()?;
        // Other tests of this binary run in parallel threads and could open files too, hence
        // "at least".
        assert!(open_fds("self")? >= before + 3);
        drop(files);
        assert!(open_fds("no-such-pid").is_err());
        Ok(())
    }
}
