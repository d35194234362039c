//! The built binary serving with `LOG_FORMAT=json`, its stderr captured line by line, for tests
//! that assert what reaches the logs.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::helpers::{TEST_JWT_SECRET, TestDatabase};

/// Kills the child if the test fails before it exits on its own.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _already_gone = self.0.kill();
            let _reaped = self.0.wait();
        }
    }
}

/// `hourglass serve` on its own database, logging JSON at `debug` to a captured stderr.
pub struct LoggedServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    child: KillOnDrop,
    lines: mpsc::Receiver<String>,
    reader: std::thread::JoinHandle<()>,
    /// The lines read so far.
    log: Vec<String>,
    database: TestDatabase,
}

impl LoggedServer {
    /// Starts the binary with the test secret plus `env`, and waits for its `listening` line.
    pub async fn start(env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let database = TestDatabase::create().await?;
        let mut child = KillOnDrop(
            Command::new(env!("CARGO_BIN_EXE_hourglass"))
                .arg("serve")
                .env_clear()
                .envs([
                    ("DATABASE_URL", database.url()),
                    ("JWT_SECRET", TEST_JWT_SECRET),
                    ("BIND_ADDR", "127.0.0.1:0"),
                    ("LOG_FORMAT", "json"),
                    ("RUST_LOG", "debug"),
                ])
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .context("cannot start hourglass serve")?,
        );
        let Some(stderr) = child.0.stderr.take() else {
            bail!("stderr was not captured");
        };
        // Every line goes to the channel; the reader ends when the child closes stderr.
        let (lines_tx, lines) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut log = Vec::new();
        let address = loop {
            let line = lines
                .recv_timeout(Duration::from_secs(30))
                .context("serve did not log `listening` in time")?;
            let event: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            log.push(line);
            if event["fields"]["message"] == "listening"
                && let Some(address) = event["fields"]["address"].as_str()
            {
                break address.to_owned();
            }
        };
        Ok(Self {
            base: format!("http://{address}"),
            child,
            lines,
            reader,
            log,
            database,
        })
    }

    /// The server's database, for arranging state the API cannot create.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    /// Stops the server with SIGTERM (so every line is flushed), drops its database and returns
    /// every line it logged.
    pub async fn stop(self) -> anyhow::Result<Vec<String>> {
        let Self {
            child,
            lines,
            reader,
            mut log,
            database,
            ..
        } = self;
        let mut child = child;
        let pid = child.0.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status()?;
        anyhow::ensure!(killed.success(), "kill -TERM {pid} failed");
        let rest = tokio::task::spawn_blocking(move || {
            let mut rest = Vec::new();
            while let Ok(line) = lines.recv_timeout(Duration::from_secs(15)) {
                rest.push(line);
            }
            rest
        })
        .await?;
        log.extend(rest);
        let _joined = reader.join();
        let _status = child.0.wait()?;
        database.cleanup().await?;
        Ok(log)
    }
}

/// The lines logged at level ERROR (JSON lines whose `level` is `ERROR`, or lines that are not
/// JSON at all, which only a panic or a crash writes).
pub fn error_lines(log: &[String]) -> Vec<&String> {
    log.iter()
        .filter(|line| {
            serde_json::from_str::<Value>(line).map_or(true, |event| event["level"] == "ERROR")
        })
        .collect()
}

/// Every line parsed as JSON.
///
/// # Errors
/// When a line is not JSON.
pub fn json_lines(log: &[String]) -> anyhow::Result<Vec<Value>> {
    log.iter()
        .map(|line| serde_json::from_str(line).with_context(|| format!("not JSON: {line}")))
        .collect()
}
