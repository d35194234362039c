//! `hourglass serve` as a child process, so the tests can signal it (SIGTERM, SIGKILL) and read
//! its memory, as an orchestrator would.
//!
//! Each instance logs (JSON) to its own file under the test target's temporary folder, named by
//! the test, so a failure can be investigated afterwards and a full pipe never stalls the server.

use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// The HS256 secret every instance verifies tokens with.
pub const JWT_SECRET: &str = "chaos-test-secret-of-reasonable-length";

/// How long an instance may take to answer `/healthz` after it was started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// One running `hourglass serve`.
pub struct Instance {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Where its log goes.
    pub log: PathBuf,
}

impl Instance {
    /// Starts `hourglass serve` on `database_url` with the test secret, JSON logs, the rate
    /// limits off (the load would trip them) and `env` on top; returns once `/healthz` answers.
    /// `name` names the log file.
    pub async fn start(
        database_url: &str,
        name: &str,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        // The OS picks a free port; it is released just before the child binds it.
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let address = format!("127.0.0.1:{port}");
        let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("chaos");
        std::fs::create_dir_all(&folder)?;
        let log = folder.join(format!("{name}.log"));
        let file =
            File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
        let mut command = Command::new(env!("CARGO_BIN_EXE_hourglass"));
        command
            .arg("serve")
            .env_clear()
            .envs([
                ("DATABASE_URL", database_url),
                ("JWT_SECRET", JWT_SECRET),
                ("BIND_ADDR", address.as_str()),
                ("LOG_FORMAT", "json"),
                ("RUST_LOG", "info"),
                ("RATE_LIMIT_ENABLED", "false"),
            ])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::from(file));
        if let Ok(path) = std::env::var("PATH") {
            command.env("PATH", path);
        }
        let child = command.spawn().context("cannot start hourglass serve")?;
        let mut instance = Self {
            child,
            address: format!("http://{address}"),
            log,
        };
        instance.wait_until_healthy().await?;
        Ok(instance)
    }

    async fn wait_until_healthy(&mut self) -> anyhow::Result<()> {
        let client = http_client()?;
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "serve exited with {status} during startup; see {}",
                    self.log.display()
                );
            }
            if let Ok(response) = client.get(self.url("/healthz")).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("serve did not answer /healthz within {STARTUP_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// `ws://…/v1/ws/timers`.
    pub fn ws_url(&self) -> String {
        format!(
            "{}/v1/ws/timers",
            self.address.replacen("http://", "ws://", 1)
        )
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory in KiB (`VmRSS` of `/proc/<pid>/status`).
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let line = status
            .lines()
            .find(|line| line.starts_with("VmRSS:"))
            .context("no VmRSS line")?;
        let kib = line
            .split_whitespace()
            .nth(1)
            .context("VmRSS without a value")?;
        Ok(kib.parse()?)
    }

    /// The status code of `GET /readyz` (`None` when nothing answered within 8 s).
    pub async fn readyz(&self, client: &reqwest::Client) -> Option<u16> {
        client
            .get(self.url("/readyz"))
            .timeout(Duration::from_secs(8))
            .send()
            .await
            .ok()
            .map(|response| response.status().as_u16())
    }

    /// Sends SIGTERM (a graceful shutdown).
    pub fn terminate(&self) -> anyhow::Result<()> {
        let pid = self.pid().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status()?;
        anyhow::ensure!(sent.success(), "kill -TERM {pid} failed");
        Ok(())
    }

    /// Sends SIGKILL and reaps the process.
    pub fn kill(&mut self) -> anyhow::Result<ExitStatus> {
        self.child.kill()?;
        Ok(self.child.wait()?)
    }

    /// Waits up to `limit` for the process to exit; its status, or `None` if it still runs.
    pub async fn wait_exit(&mut self, limit: Duration) -> anyhow::Result<Option<ExitStatus>> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() > deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// SIGTERM, then the exit within the design's 10 s; fails when it does not exit cleanly.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.terminate()?;
        match self.wait_exit(Duration::from_secs(10)).await? {
            Some(status) if status.success() => Ok(()),
            Some(status) => bail!("serve exited with {status}; see {}", self.log.display()),
            None => bail!("serve did not exit within 10 s of SIGTERM"),
        }
    }

    /// The log lines written so far.
    pub fn log_lines(&self) -> anyhow::Result<Vec<String>> {
        Ok(std::fs::read_to_string(&self.log)?
            .lines()
            .map(str::to_owned)
            .collect())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // A failed test must not leave a server behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _already_gone = self.child.kill();
            let _reaped = self.child.wait();
        }
    }
}

/// A client with a timeout, so a hung server fails the test instead of stalling it.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?)
}
