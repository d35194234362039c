//! One sample of a soak run: the load generator's own counters next to the server's RSS, open
//! file descriptors and threads (from `/proc/<pid>`) and the database's connections (counted in
//! `pg_stat_activity` through `psql`, since loadgen otherwise speaks only the public protocol).

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use crate::procfs;

/// Counts the other sessions on the server's database (the sampling `psql` itself excluded).
const COUNT_CONNECTIONS: &str = "SELECT count(*) FROM pg_stat_activity \
     WHERE datname = current_database() AND pid <> pg_backend_pid()";

/// The CSV header, matching [`Sample::csv_row`].
pub const CSV_HEADER: &str =
    "elapsed_s,commands_ok,errors,ws_open,sse_open,rss_kib,fds,threads,db_connections";

/// One reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Sample {
    /// Seconds since the start of the run.
    pub elapsed_s: f64,
    /// Commands answered so far.
    pub commands_ok: u64,
    /// Errors of every kind so far.
    pub errors: u64,
    /// WebSockets open now (command devices and idle connections).
    pub ws_open: u64,
    /// Notification streams open now.
    pub sse_open: u64,
    /// Server `VmRSS`, KiB.
    pub rss_kib: Option<u64>,
    /// Server open file descriptors.
    pub fds: Option<u64>,
    /// Server threads.
    pub threads: Option<u64>,
    /// Connections to the server's database.
    pub db_connections: Option<u64>,
}

impl Sample {
    /// The CSV row (empty fields for what was not measured).
    pub fn csv_row(&self) -> String {
        let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        format!(
            "{:.1},{},{},{},{},{},{},{},{}",
            self.elapsed_s,
            self.commands_ok,
            self.errors,
            self.ws_open,
            self.sse_open,
            opt(self.rss_kib),
            opt(self.fds),
            opt(self.threads),
            opt(self.db_connections)
        )
    }

    /// The progress line; `previous` gives the command rate since the last sample.
    pub fn line(&self, previous: Option<&Self>) -> String {
        let rate = previous
            .filter(|p| self.elapsed_s > p.elapsed_s)
            .map_or(0.0, |p| {
                self.commands_ok.saturating_sub(p.commands_ok) as f64
                    / (self.elapsed_s - p.elapsed_s)
            });
        let opt = |v: Option<u64>| v.map_or_else(|| "–".to_owned(), |v| v.to_string());
        format!(
            "[{:>6.0} s] commands {} ok ({rate:.0}/s), {} errors | open: {} ws, {} sse | server: rss {} KiB, {} fds, {} threads | db connections {}",
            self.elapsed_s,
            self.commands_ok,
            self.errors,
            self.ws_open,
            self.sse_open,
            opt(self.rss_kib),
            opt(self.fds),
            opt(self.threads),
            opt(self.db_connections)
        )
    }
}

/// `psql -At` output of a count: one number on one line.
fn parse_count(stdout: &str) -> Option<u64> {
    stdout.trim().parse().ok()
}

/// Reads the server and the database; appends to the CSV.
pub struct Sampler {
    pid: Option<String>,
    database_url: Option<String>,
    csv: Option<std::fs::File>,
}

impl Sampler {
    /// A sampler of `pid` and `database_url` (each optional), writing rows to `csv`.
    ///
    /// # Errors
    /// The CSV cannot be created.
    pub fn new(
        pid: Option<u32>,
        database_url: Option<String>,
        csv: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let csv = match csv {
            Some(path) => {
                let mut file = std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?;
                writeln!(file, "{CSV_HEADER}")?;
                Some(file)
            }
            None => None,
        };
        Ok(Self {
            pid: pid.map(|p| p.to_string()),
            database_url,
            csv,
        })
    }

    /// Completes `sample` (loadgen's counters already filled in) with the server's and the
    /// database's figures and records it.
    ///
    /// # Errors
    /// The CSV cannot be written. A vanished server or a failing `psql` leaves fields empty.
    pub async fn complete(&mut self, mut sample: Sample) -> anyhow::Result<Sample> {
        if let Some(pid) = &self.pid {
            if let Ok(proc) = procfs::sample(pid) {
                sample.rss_kib = Some(proc.rss_kib);
                sample.threads = Some(proc.threads);
            }
            sample.fds = procfs::open_fds(pid).ok();
        }
        if let Some(url) = &self.database_url {
            sample.db_connections = count_connections(url).await;
        }
        if let Some(csv) = &mut self.csv {
            writeln!(csv, "{}", sample.csv_row())?;
            csv.flush()?;
        }
        Ok(sample)
    }
}

async fn count_connections(url: &str) -> Option<u64> {
    let psql = tokio::process::Command::new("psql")
        .args([
            "-X",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            url,
            "-c",
            COUNT_CONNECTIONS,
        ])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(5), psql)
        .await
        .ok()?
        .ok()?;
    if !output.status.success() {
        return None;
    }
    parse_count(&String::from_utf8_lossy(&output.stdout))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sample {
        Sample {
            elapsed_s: 20.0,
            commands_ok: 3000,
            errors: 2,
            ws_open: 360,
            sse_open: 99,
            rss_kib: Some(65_536),
            fds: Some(512),
            threads: Some(5),
            db_connections: None,
        }
    }

    #[test]
    fn a_row_has_every_column_of_the_header_and_blanks_for_the_unmeasured() {
        let row = sample().csv_row();
        assert_eq!(row, "20.0,3000,2,360,99,65536,512,5,");
        assert_eq!(row.split(',').count(), CSV_HEADER.split(',').count());
    }

    #[test]
    fn the_line_gives_the_command_rate_since_the_previous_sample() {
        let previous = Sample {
            elapsed_s: 10.0,
            commands_ok: 1500,
            ..Sample::default()
        };
        let line = sample().line(Some(&previous));
        assert!(
            line.contains("commands 3000 ok (150/s), 2 errors"),
            "{line}"
        );
        assert!(line.contains("rss 65536 KiB, 512 fds"), "{line}");
        assert!(line.ends_with("db connections –"), "{line}");
        assert!(sample().line(None).contains("(0/s)"));
    }

    #[test]
    fn psql_counts_are_one_number() {
        assert_eq!(parse_count("17\n"), Some(17));
        assert_eq!(parse_count(""), None);
        assert_eq!(parse_count("ERROR: nope"), None);
    }
}
