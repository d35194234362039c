//! No token ever reaches a log line: the real binary, with `LOG_FORMAT=json` and `RUST_LOG=debug`,
//! serves requests carrying tokens in the `Authorization` header, in the query (`accessToken`,
//! `token`) and in the WebSocket subprotocol, and its whole log output is searched for them.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::auth_support::{claims, hs256, hs256_with};
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

#[tokio::test]
async fn tokens_never_appear_in_the_logs() -> anyhow::Result<()> {
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
                ("CORS_ALLOWED_ORIGINS", "http://app.example.test"),
            ])
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
    let base = format!("http://{address}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;

    let header_token = hs256(&claims("log-header"))?;
    let query_token = hs256(&claims("log-query"))?;
    let other_query_token = hs256(&claims("log-other-query"))?;
    let protocol_token = hs256(&claims("log-protocol"))?;
    let bad_token = hs256_with(b"not-the-secret", &claims("log-bad"))?;
    let secrets = [
        &header_token,
        &query_token,
        &other_query_token,
        &protocol_token,
        &bad_token,
    ];

    let ok = client
        .get(format!("{base}/api/v1/users/me"))
        .bearer_auth(&header_token)
        .header("origin", "http://app.example.test")
        .send()
        .await?;
    assert_eq!(ok.status(), reqwest::StatusCode::OK);
    let refused = client
        .get(format!("{base}/api/v1/users/me"))
        .bearer_auth(&bad_token)
        .send()
        .await?;
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    client
        .get(format!(
            "{base}/api/v1/notifications/subscribe?accessToken={query_token}&timezone=UTC"
        ))
        .send()
        .await?;
    client
        .get(format!("{base}/api/v1/users/me?token={other_query_token}"))
        .bearer_auth(&header_token)
        .send()
        .await?;
    client
        .get(format!("{base}/v1/ws/timers"))
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header(
            "sec-websocket-protocol",
            format!("authorization.bearer.{protocol_token}"),
        )
        .send()
        .await?;

    // Stop the server so every line is flushed, then read the rest.
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

    let all = log.join("\n");
    for secret in secrets {
        let signature = secret.rsplit('.').next().unwrap_or(secret);
        assert!(!all.contains(secret.as_str()), "a token was logged:\n{all}");
        assert!(
            !all.contains(signature),
            "a token signature was logged:\n{all}"
        );
    }
    assert!(
        all.contains("[REDACTED]"),
        "the query was not logged redacted:\n{all}"
    );
    assert!(
        log.iter()
            .any(|line| line.contains("/api/v1/users/me") && line.contains("\"status\":200")),
        "requests are logged with their status:\n{all}"
    );
    database.cleanup().await?;
    Ok(())
}
