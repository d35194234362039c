//! The liveness probe over real HTTP, and the lifecycle of [`hourglass_server::run`].

use std::net::TcpListener;

use hourglass_server::Config;
use reqwest::StatusCode;

use crate::helpers::{TEST_JWT_SECRET, TestApp};

#[tokio::test]
async fn healthz_answers_ok_over_http() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;

    let response = app.client.get(app.url("/healthz")).send().await?;

    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await?;
    assert_eq!(body, serde_json::json!({ "status": "ok" }));
    app.stop().await
}

#[tokio::test]
async fn unknown_paths_are_not_found() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;

    let response = app.client.get(app.url("/no-such-thing")).send().await?;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    app.stop().await
}

#[tokio::test]
async fn the_server_stops_when_asked_and_frees_its_port() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let health = app.url("/healthz");
    let client = app.client.clone();

    app.stop().await?;

    assert!(
        client.get(health).send().await.is_err(),
        "the server still answers after shutdown"
    );
    Ok(())
}

#[tokio::test]
async fn run_refuses_a_configuration_without_token_verifier() -> anyhow::Result<()> {
    let config =
        Config::from_args_ignoring_env(["--database-url", "postgres://unused@127.0.0.1:1/unused"])?;
    let listener = TcpListener::bind("127.0.0.1:0")?;

    let outcome = hourglass_server::run(config, listener, std::future::pending()).await;

    let Err(error) = outcome else {
        panic!(
            "run accepted a configuration without JWT_SECRET, JWT_PUBLIC_KEY_FILE or OIDC_ISSUER_URL"
        );
    };
    assert!(format!("{error:#}").contains("JWT_SECRET"), "{error:#}");
    Ok(())
}

#[tokio::test]
async fn run_fails_when_the_database_is_unreachable() -> anyhow::Result<()> {
    // Port 1 is closed, so the connection is refused at once.
    let config = Config::from_args_ignoring_env([
        "--database-url",
        "postgres://unused@127.0.0.1:1/unused",
        "--jwt-secret",
        TEST_JWT_SECRET,
    ])?;
    let listener = TcpListener::bind("127.0.0.1:0")?;

    let outcome = hourglass_server::run(config, listener, std::future::pending()).await;

    let Err(error) = outcome else {
        panic!("run started without a database");
    };
    assert!(format!("{error:#}").contains("migrations"), "{error:#}");
    Ok(())
}
