//! The `hourglass` binary, run as a child process the way operators and scripts run it.

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel_async::RunQueryDsl as _;
use hourglass_adapters_postgres::migrations;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;

use crate::helpers::{TEST_JWT_SECRET, TestDatabase, run_hourglass, text};

/// A URL where nothing listens: connections are refused at once.
const UNREACHABLE_DATABASE: &str = "postgres://unused@127.0.0.1:1/unused";

#[test]
fn serve_without_a_token_verifier_exits_naming_the_three_settings() -> anyhow::Result<()> {
    let output = run_hourglass(&["serve"], &[("DATABASE_URL", UNREACHABLE_DATABASE)])?;

    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    for name in ["JWT_SECRET", "JWT_PUBLIC_KEY_FILE", "OIDC_ISSUER_URL"] {
        assert!(
            stderr.contains(name),
            "stderr does not name {name}: {stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    Ok(())
}

#[test]
fn serve_without_a_database_url_is_refused() -> anyhow::Result<()> {
    let output = run_hourglass(&["serve"], &[("JWT_SECRET", TEST_JWT_SECRET)])?;

    assert!(!output.status.success(), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    Ok(())
}

#[test]
fn token_prints_a_jwt_the_secret_verifies() -> anyhow::Result<()> {
    let output = run_hourglass(
        &["token", "--sub", "alice", "--ttl", "60"],
        &[("JWT_SECRET", TEST_JWT_SECRET)],
    )?;

    assert!(output.status.success(), "{output:?}");
    let stdout = text(&output.stdout);
    let jwt = stdout.trim();
    assert_eq!(
        stdout.lines().count(),
        1,
        "stdout holds more than the token: {stdout}"
    );
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        jwt,
        &DecodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
        &Validation::new(Algorithm::HS256),
    )?
    .claims;
    assert_eq!(claims["sub"], "alice");
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        panic!("iat and exp must be integers: {claims}");
    };
    assert_eq!(exp - iat, 60);
    assert!(claims.get("name").is_none(), "{claims}");
    assert!(claims.get("iss").is_none(), "{claims}");
    Ok(())
}

#[test]
fn token_adds_name_issuer_and_audience_when_set() -> anyhow::Result<()> {
    let output = run_hourglass(
        &["token", "--sub", "bob", "--name", "Bob"],
        &[
            ("JWT_SECRET", TEST_JWT_SECRET),
            ("JWT_ISSUER", "https://issuer.test"),
            ("JWT_AUDIENCE", "hourglass"),
        ],
    )?;

    assert!(output.status.success(), "{output:?}");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&["https://issuer.test"]);
    validation.set_audience(&["hourglass"]);
    validation.required_spec_claims = HashSet::from(["exp", "iss", "aud"].map(String::from));
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        text(&output.stdout).trim(),
        &DecodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
        &validation,
    )?
    .claims;
    assert_eq!(claims["name"], "Bob");
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        panic!("iat and exp must be integers: {claims}");
    };
    assert_eq!(exp - iat, 3600, "the default ttl is an hour");
    Ok(())
}

#[test]
fn token_without_a_secret_says_which_setting_is_missing() -> anyhow::Result<()> {
    let output = run_hourglass(&["token", "--sub", "alice"], &[])?;

    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("JWT_SECRET"), "{stderr}");
    Ok(())
}

#[test]
fn migrate_against_an_unreachable_database_fails_cleanly() -> anyhow::Result<()> {
    let output = run_hourglass(&["migrate"], &[("DATABASE_URL", UNREACHABLE_DATABASE)])?;

    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("cannot connect to the database"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    Ok(())
}

#[tokio::test]
async fn migrate_applies_every_migration_to_a_fresh_database_once() -> anyhow::Result<()> {
    let database = TestDatabase::create_empty().await?;
    let embedded = MigrationSource::<Pg>::migrations(&migrations::MIGRATIONS)
        .map_err(|error| anyhow::anyhow!("cannot list the embedded migrations: {error}"))?
        .len();
    let migrate = |url: String| {
        tokio::task::spawn_blocking(move || run_hourglass(&["migrate"], &[("DATABASE_URL", &url)]))
    };

    let first = migrate(database.url().to_owned()).await??;
    assert!(first.status.success(), "{first:?}");
    assert_eq!(
        text(&first.stdout).trim(),
        format!("applied {embedded} migration(s)")
    );

    let again = migrate(database.url().to_owned()).await??;
    assert!(again.status.success(), "{again:?}");
    assert_eq!(text(&again.stdout).trim(), "applied 0 migration(s)");

    // diesel records each applied version here: proof that `migrate` wrote to this database.
    let mut conn = database.pool().get().await?;
    let recorded = diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
        .execute(&mut conn)
        .await
        .context("migrate did not set up __diesel_schema_migrations")?;
    assert_eq!(recorded, embedded);
    drop(conn);
    database.cleanup().await?;
    Ok(())
}

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

/// `hourglass serve` running as a child process on a port the OS chose.
struct ServeProcess {
    child: KillOnDrop,
    address: String,
    /// The rest of the child's stderr; setting it to `None` closes the pipe.
    stderr: Option<BufReader<ChildStderr>>,
}

impl ServeProcess {
    /// Starts `serve` against `database` and waits for its "listening" log line, which carries
    /// the port (BIND_ADDR is `127.0.0.1:0`).
    async fn start(database: &TestDatabase) -> anyhow::Result<Self> {
        let mut child = KillOnDrop(
            Command::new(env!("CARGO_BIN_EXE_hourglass"))
                .arg("serve")
                .env_clear()
                .envs([
                    ("DATABASE_URL", database.url()),
                    ("JWT_SECRET", TEST_JWT_SECRET),
                    ("BIND_ADDR", "127.0.0.1:0"),
                    ("LOG_FORMAT", "json"),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .context("cannot start hourglass serve")?,
        );
        let Some(stderr) = child.0.stderr.take() else {
            bail!("the child's stderr was not captured");
        };
        // Reading blocks; a child that dies closes the pipe, so this cannot hang forever.
        let (address, stderr) = tokio::task::spawn_blocking(move || {
            let mut stderr = BufReader::new(stderr);
            let mut seen = Vec::new();
            let mut line = String::new();
            while stderr.read_line(&mut line)? > 0 {
                let event: serde_json::Value = serde_json::from_str(&line)
                    .with_context(|| format!("LOG_FORMAT=json wrote a non-JSON line: {line}"))?;
                if event["fields"]["message"] == "listening"
                    && let Some(address) = event["fields"]["address"].as_str()
                {
                    return Ok((address.to_owned(), stderr));
                }
                seen.push(std::mem::take(&mut line));
            }
            bail!("serve exited before listening; stderr:\n{}", seen.concat())
        })
        .await??;
        Ok(Self {
            child,
            address,
            stderr: Some(stderr),
        })
    }

    /// Sends SIGTERM and waits (at most 15 s, the design's 10 s plus slack) for the exit status.
    async fn terminate(self) -> anyhow::Result<(ExitStatus, Option<BufReader<ChildStderr>>)> {
        let Self {
            mut child, stderr, ..
        } = self;
        let pid = child.0.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status()?;
        anyhow::ensure!(killed.success(), "kill -TERM {pid} failed");
        let status = tokio::task::spawn_blocking(move || {
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if let Some(status) = child.0.try_wait()? {
                    return Ok(status);
                }
                if Instant::now() > deadline {
                    bail!("serve did not exit within 15 s of SIGTERM");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
        .await??;
        Ok((status, stderr))
    }
}

#[tokio::test]
async fn serve_answers_then_exits_cleanly_on_sigterm() -> anyhow::Result<()> {
    let database = TestDatabase::create().await?;
    let serve = ServeProcess::start(&database).await?;

    let response = reqwest::get(format!("http://{}/healthz", serve.address)).await?;
    assert_eq!(response.status(), StatusCode::OK);

    let (status, stderr) = serve.terminate().await?;
    let Some(stderr) = stderr else {
        bail!("the stderr pipe was closed");
    };
    let rest: Vec<String> = stderr.lines().map_while(Result::ok).collect();
    assert!(
        status.success(),
        "serve exited with {status} after SIGTERM; stderr:\n{}",
        rest.join("\n")
    );
    assert!(
        rest.iter().any(|line| line.contains("SIGTERM received")),
        "{}",
        rest.join("\n")
    );
    database.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn serve_survives_its_log_reader_going_away() -> anyhow::Result<()> {
    let database = TestDatabase::create().await?;
    let mut serve = ServeProcess::start(&database).await?;
    // Closing the pipe makes every later log write fail with EPIPE.
    serve.stderr = None;

    let response = reqwest::get(format!("http://{}/healthz", serve.address)).await?;
    assert_eq!(response.status(), StatusCode::OK);

    let (status, _stderr) = serve.terminate().await?;
    assert!(
        status.success(),
        "serve exited with {status} once stderr was closed"
    );
    database.cleanup().await?;
    Ok(())
}
