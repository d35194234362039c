//! The TypeScript SDK (`clients/typescript`) and the `/playground` page in headless Chromium
//! against this server. Each test starts the server in-process (the build this suite already
//! made) and runs one Node scenario of `clients/typescript/test/browser/`, which drives Debian's
//! Chromium with playwright-core:
//! - `sdk.mjs`: two tabs of one user, a command seen across them, a connection dropped while a
//!   reply was in flight and the command retried with the same `request_id`, the resync, the
//!   notification stream resumed after a drop, a bad token;
//! - `protocol.mjs`: every WebSocket message and SSE event the server sends in a scenario that
//!   provokes each kind, validated against `docs/asyncapi.yaml`: an undocumented message, event
//!   or field fails;
//! - `playground.mjs`: `GET /playground` driven through its DOM.
//!
//! The server runs with development tokens on (the scenarios get their tokens from
//! `POST /playground/token`), `TRUSTED_PROXIES=127.0.0.1` (the SDK scenario puts a TCP proxy it
//! can cut between one tab and the server, which then serves that tab's origin), one-second
//! heartbeats and a cap of two streams per user (so heartbeats and an eviction happen).
//!
//! Node and the packages (`npm ci` in `clients/typescript`, which `.ci/run` and `just sdk` do)
//! must be there: without them the tests fail saying so, rather than pass without a browser.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};

use crate::browser::{ensure_chromium, run_for};
use crate::helpers::TestApp;

/// A scenario, Chromium's start included, must be done well within this.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(180);

/// `clients/typescript`.
fn package_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients/typescript")
}

/// Fails unless `node` runs and the package's dependencies are installed.
fn ensure_node_packages() -> anyhow::Result<()> {
    let dir = package_dir();
    ensure!(
        dir.join("node_modules/playwright-core").is_dir(),
        "{} has no node_modules: run `npm ci` there (`just sdk` does)",
        dir.display()
    );
    let version = Command::new("node")
        .arg("--version")
        .output()
        .context("node is not installed (Node 20 runs the SDK's browser tests)")?;
    ensure!(version.status.success(), "node --version failed");
    Ok(())
}

/// Starts the server for the browser scenarios and runs `clients/typescript/test/browser/<file>`.
async fn run_scenario(file: &str, extra_env: &[(&str, String)]) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(ensure_chromium).await??;
    ensure_node_packages()?;
    let app = TestApp::spawn_with(&[
        "--playground-dev-tokens",
        "true",
        "--trusted-proxies",
        "127.0.0.1",
        "--sse-heartbeat-seconds",
        "1",
        "--sse-max-streams-per-user",
        "2",
        "--ws-connect-max",
        "100",
    ])
    .await?;
    let mut node = Command::new("node");
    node.arg(format!("test/browser/{file}"))
        .current_dir(package_dir())
        .env("HOURGLASS_URL", &app.address)
        .env("CHROMIUM", crate::browser::chromium());
    for (key, value) in extra_env {
        node.env(key, value);
    }
    let output = tokio::task::spawn_blocking(move || run_for(node, SCENARIO_TIMEOUT)).await??;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    app.stop().await?;
    if !output.status.success() {
        bail!("{file} failed ({}):\n{stdout}\n{stderr}", output.status);
    }
    Ok(stdout)
}

#[tokio::test]
async fn the_sdk_in_chromium_connects_retries_resyncs_and_resumes() -> anyhow::Result<()> {
    let out = run_scenario("sdk.mjs", &[]).await?;
    assert!(out.contains("ok: sdk:"), "{out}");
    Ok(())
}

#[tokio::test]
async fn every_message_the_server_sends_is_described_by_the_asyncapi_document() -> anyhow::Result<()>
{
    let out = run_scenario("protocol.mjs", &[]).await?;
    assert!(out.contains("ok: protocol:"), "{out}");
    Ok(())
}

#[tokio::test]
async fn the_playground_page_works_in_chromium() -> anyhow::Result<()> {
    // `PLAYGROUND_SCREENSHOT=docs/playground.png` refreshes the README's picture.
    let shot = std::env::var("PLAYGROUND_SCREENSHOT").ok().map(|path| {
        let path = PathBuf::from(path);
        if path.is_absolute() {
            path
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(path)
        }
    });
    let env: Vec<(&str, String)> = shot
        .iter()
        .map(|p| ("PLAYGROUND_SCREENSHOT", p.display().to_string()))
        .collect();
    let out = run_scenario("playground.mjs", &env).await?;
    assert!(out.contains("ok: playground:"), "{out}");
    Ok(())
}
