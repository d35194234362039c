//! Shared test fixtures: the server started in-process against its own database, and the built
//! binary run as a child process. Databases come from `hourglass-test-support`
//! ([`TestDatabase`]), which fails the test when `TEST_DATABASE_URL` is unset.

use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use hourglass_server::Config;
pub use hourglass_test_support::TestDatabase;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The HS256 secret every test server verifies with.
pub const TEST_JWT_SECRET: &str = "e2e-test-secret-of-reasonable-length";

/// How long a test waits for the server to come up or to stop before failing.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// The server, running in this process on `127.0.0.1:<random port>` against its own database.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// A client with a timeout, so a hung server fails the test instead of stalling it.
    pub client: reqwest::Client,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
    // Held so the database outlives the server; dropped (FORCE) after the last server on it
    // (several instances may share one, see `spawn_beside`).
    database: Arc<TestDatabase>,
}

impl TestApp {
    /// Starts the server with the test defaults (HS256 with [`TEST_JWT_SECRET`]).
    pub async fn spawn() -> anyhow::Result<Self> {
        Self::spawn_with(&[]).await
    }

    /// Starts the server with extra `serve` flags (e.g. `["--sse-heartbeat-seconds", "1"]`),
    /// and returns once it answers `/healthz`. The database is already migrated (copied from
    /// the template), so `run` finds nothing pending.
    pub async fn spawn_with(flags: &[&str]) -> anyhow::Result<Self> {
        let mut args = vec!["--jwt-secret", TEST_JWT_SECRET];
        args.extend_from_slice(flags);
        Self::spawn_with_only(&args).await
    }

    /// Starts the server with exactly these `serve` flags besides `--database-url` (no default
    /// `--jwt-secret`, for tests of other key sources).
    pub async fn spawn_with_only(flags: &[&str]) -> anyhow::Result<Self> {
        let database = TestDatabase::create().await?;
        Self::spawn_on(Arc::new(database), flags).await
    }

    /// Starts another instance of the server (test defaults plus `flags`) on `other`'s
    /// database: two instances, one database, as behind a load balancer.
    pub async fn spawn_beside(other: &TestApp, flags: &[&str]) -> anyhow::Result<Self> {
        let mut args = vec!["--jwt-secret", TEST_JWT_SECRET];
        args.extend_from_slice(flags);
        Self::spawn_on(other.database.clone(), &args).await
    }

    /// Starts two instances (test defaults plus `flags`) at the same moment on one fresh,
    /// unmigrated database: both run their start-up migrations together.
    pub async fn spawn_pair_on_empty(flags: &[&str]) -> anyhow::Result<(Self, Self)> {
        let database = Arc::new(TestDatabase::create_empty().await?);
        let mut args = vec!["--jwt-secret", TEST_JWT_SECRET];
        args.extend_from_slice(flags);
        let (first, second) = tokio::join!(
            Self::spawn_on(database.clone(), &args),
            Self::spawn_on(database, &args)
        );
        Ok((first?, second?))
    }

    /// Starts the server (test defaults plus `flags`) on a fresh, unmigrated database.
    pub async fn spawn_on_empty(flags: &[&str]) -> anyhow::Result<Self> {
        let database = TestDatabase::create_empty().await?;
        let mut args = vec!["--jwt-secret", TEST_JWT_SECRET];
        args.extend_from_slice(flags);
        Self::spawn_on(Arc::new(database), &args).await
    }

    /// Starts the server on `database` with exactly these `serve` flags besides
    /// `--database-url`.
    async fn spawn_on(database: Arc<TestDatabase>, flags: &[&str]) -> anyhow::Result<Self> {
        let bus = event_bus_flags(&database)?;
        let mut args = vec!["--database-url", database.url()];
        args.extend(bus.iter().map(String::as_str));
        args.extend_from_slice(flags);
        let config = Config::from_args_ignoring_env(args)?;

        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = format!("http://{}", listener.local_addr()?);
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(hourglass_server::run(config, listener, async {
            // A dropped sender also stops the server, so a failed test cannot leak it.
            let _sent_or_dropped = stop.await;
        }));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        let mut app = Self {
            address,
            client,
            shutdown,
            server,
            database,
        };
        app.wait_until_ready().await?;
        Ok(app)
    }

    /// Polls `/healthz` until it answers, surfacing the server's own error if it stopped.
    async fn wait_until_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if self.server.is_finished() {
                let outcome = (&mut self.server).await?;
                outcome.context("the server stopped during startup")?;
                bail!("the server stopped during startup without an error");
            }
            if let Ok(response) = self.client.get(self.url("/healthz")).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the server did not answer /healthz within {STARTUP_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The server's database, for arranging state the API cannot (yet) create.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    /// Asks for a graceful shutdown, waits for [`hourglass_server::run`] to return, then drops
    /// the database unless another instance still uses it.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _receiver_gone = self.shutdown.send(());
        tokio::time::timeout(STARTUP_TIMEOUT, self.server)
            .await
            .context("the server did not stop in time")???;
        if let Ok(database) = Arc::try_unwrap(self.database) {
            database.cleanup().await?;
        }
        Ok(())
    }
}

/// The event bus every test server runs: `HOURGLASS_TEST_EVENT_BUS` is `postgres` (or unset) or
/// `nats`, which needs `TEST_NATS_URL` (`just test-nats` sets both). With NATS, each database
/// gets a stream and subject prefix of its own, so tests running at once never hear each other,
/// and the instances on one database share them, as one deployment does.
fn event_bus_flags(database: &TestDatabase) -> anyhow::Result<Vec<String>> {
    match std::env::var("HOURGLASS_TEST_EVENT_BUS").as_deref() {
        Err(_) | Ok("" | "postgres") => Ok(Vec::new()),
        Ok("nats") => {
            let url = std::env::var("TEST_NATS_URL").context(
                "HOURGLASS_TEST_EVENT_BUS=nats needs TEST_NATS_URL (start one with scripts/nats.sh start)",
            )?;
            let name: String = database
                .name()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            Ok(vec![
                "--event-bus".into(),
                "nats".into(),
                "--nats-url".into(),
                url,
                "--nats-stream".into(),
                format!("E{name}"),
                "--nats-subject-prefix".into(),
                format!("e{name}"),
            ])
        }
        Ok(other) => bail!("HOURGLASS_TEST_EVENT_BUS must be postgres or nats, not {other:?}"),
    }
}

/// Runs the built `hourglass` binary with `args` and only the environment given (plus `PATH`),
/// so the developer's own settings cannot leak into the test.
pub fn run_hourglass(args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Output> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hourglass"));
    command.args(args).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command.envs(env.iter().copied());
    command.output().context("cannot run the hourglass binary")
}

/// Text of a byte stream, for assertions and failure messages.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
