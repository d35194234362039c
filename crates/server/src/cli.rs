//! What each subcommand does. Errors are returned, never panicked, so `main` can print one clear
//! line and exit with status 1.

use std::net::TcpListener;

use anyhow::Context as _;
use hourglass_adapters_postgres::migrations;

use crate::config::{Command, Config, DatabaseConfig, TokenArgs};
use crate::token::{self, TokenRequest};

/// Runs one subcommand to completion.
///
/// # Errors
/// Whatever stopped the subcommand, with context naming the setting involved.
pub async fn execute(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(config) => serve(*config).await,
        Command::Migrate(database) => migrate(&database).await,
        Command::Token(args) => print_token(&args),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // Checked before binding or touching the database, so a misconfigured deployment fails at
    // once with the reason rather than after a database timeout.
    config.validate()?;
    let address = config.http.bind_addr;
    let listener = TcpListener::bind(address)
        .with_context(|| format!("cannot listen on {address} (BIND_ADDR)"))?;
    crate::run(config, listener, shutdown_signal()).await
}

async fn migrate(database: &DatabaseConfig) -> anyhow::Result<()> {
    let applied = migrations::run_pending(database.url()?.expose())
        .await
        .context("cannot apply the database migrations")?;
    println!("applied {applied} migration(s)");
    Ok(())
}

fn print_token(args: &TokenArgs) -> anyhow::Result<()> {
    let request = TokenRequest {
        sub: &args.sub,
        name: args.name.as_deref(),
        ttl_seconds: args.ttl,
        issuer: args.jwt_issuer.as_deref(),
        audience: args.jwt_audience.as_deref(),
    };
    let now = chrono::Utc::now().timestamp();
    let jwt = token::mint(args.secret()?, &request, now)?;
    println!("{jwt}");
    Ok(())
}

/// Completes on the first SIGINT (Ctrl-C) or SIGTERM. If a handler cannot be installed, that
/// signal is logged and ignored rather than treated as a shutdown request.
pub async fn shutdown_signal() {
    let interrupt = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => tracing::info!("SIGINT received; shutting down"),
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGINT");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
                tracing::info!("SIGTERM received; shutting down");
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
