//! The `hourglass` binary's library: configuration, wiring and the subcommands.
//!
//! This is the only crate that knows every adapter. It parses the configuration once
//! ([`config`]), builds the adapters from their own sub-structs and runs the HTTP server
//! ([`run`]). `main.rs` only parses, sets up logging and calls [`cli::execute`]; keeping the
//! runnable server here lets the end-to-end tests start it on `127.0.0.1:0`.
//!
//! It may depend on every `hourglass-*` crate, actix-web, clap, tokio, tracing and jsonwebtoken.
//!
//! # Layout
//! - [`config`]: the command line and every setting (each an environment variable and a flag).
//! - [`cli`]: what `serve`, `migrate` and `token` do, and the OS shutdown signals.
//! - [`capacity`]: how many connections the instance can hold, logged at start-up.
//! - [`token`]: HS256 token minting for `hourglass token`.
//! - [`wiring`]: adapters and services built from the configuration.
//! - [`event_bus`]: the engine carrying events between instances (`EVENT_BUS`) and the relay.
//! - [`telemetry`]: the `tracing` subscriber (`LOG_FORMAT`, `RUST_LOG`).
//! - [`upkeep`]: the scheduled clean-ups that keep stored and in-memory state bounded.

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer};
use anyhow::Context as _;
use hourglass_adapters_actix::edge::middleware as edge;
use hourglass_adapters_postgres::inbox::PgEventInbox;
use hourglass_adapters_postgres::{migrations, pool};
use hourglass_ports::event::LocalDelivery;

pub mod capacity;
pub mod cli;
pub mod config;
pub mod event_bus;
pub mod telemetry;
pub mod token;
pub mod upkeep;
pub mod wiring;

pub use config::Config;

/// Applies pending migrations (unless `MIGRATE_ON_START=false`; under an advisory lock, so
/// instances starting together take turns), then serves on `listener` (and `GET /metrics` on
/// `METRICS_BIND_ADDR` when set) until `shutdown` completes, and returns once in-flight requests
/// have finished (or after `SHUTDOWN_GRACE_SECONDS`, 10 s by default).
///
/// The listener is bound by the caller so tests can pass `127.0.0.1:0` and read the port back.
/// `shutdown` replaces actix's own signal handling: actix treats SIGINT as a forced stop, while
/// the design wants SIGINT and SIGTERM both graceful.
///
/// # Errors
/// An invalid configuration, a database that cannot be reached or migrated, or a listener
/// actix cannot use.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    config.validate()?;
    let database = &config.database;
    let database_url = database.url()?;
    if config.upkeep.migrate_on_start {
        let applied = migrations::run_pending(database_url.expose())
            .await
            .context("cannot apply the database migrations")?;
        tracing::info!(applied, "database schema is up to date");
    } else {
        tracing::info!("MIGRATE_ON_START=false: migrations left to `hourglass migrate`");
    }
    // Bound before anything starts, so a taken address fails the start, not a later scrape.
    let metrics_listener = config
        .metrics
        .metrics_bind_addr
        .filter(|_| config.metrics.metrics_enabled)
        .map(|address| {
            TcpListener::bind(address)
                .with_context(|| format!("cannot listen on METRICS_BIND_ADDR {address}"))
        })
        .transpose()?;

    // Connections open lazily; the ping makes a wrong pool setup fail at startup, not on the
    // first request.
    // The pool's connections carry this instance's name, which the outbox puts in every event,
    // so this instance's listener can skip the timer events it already delivered in-process.
    let origin = format!("hourglass-{}", uuid::Uuid::now_v7().simple());
    let pool_url = hourglass_adapters_postgres::event_bus::with_application_name(
        database_url.expose(),
        &origin,
    );
    let pool = pool::build_pool_with_statement_timeout(
        &pool_url,
        database.database_pool_size,
        database.pool_timeout(),
        database.statement_timeout(),
    )
    .context("cannot build the database pool (DATABASE_POOL_SIZE)")?;
    pool::ping(&pool)
        .await
        .context("the database does not answer through the pool")?;

    let (state, delivery, alarms, interest) = wiring::app_state(&config, &pool)?;
    let upkeep = upkeep::Upkeep::start(
        &config.upkeep,
        &pool,
        state.clock.clone(),
        state.limits.clone(),
        state.metrics.clone(),
    );
    let state = actix_web::web::Data::new(state);
    let metrics_server = match metrics_listener {
        Some(listener) => Some(serve_metrics(state.clone(), listener)?),
        None => None,
    };
    // Receiving before serving: every change committed once a client can connect reaches it.
    let listener_local: Arc<dyn LocalDelivery> = Arc::new(delivery);
    let inbox = PgEventInbox::start(
        pool.clone(),
        listener_local,
        Some(origin),
        Some(Arc::new(interest.clone())),
    );
    let events =
        event_bus::RunningBus::start(&config.events, database_url.expose(), inbox, &interest)
            .await?;
    state.metrics.watch_listener(events.receiving_health());
    // The scheduler starts once the listener runs, so its first poll (which fires whatever fell
    // due while no instance ran) reaches the other instances' devices too.
    let (stop_alarms, alarms_stopped) = tokio::sync::oneshot::channel::<()>();
    let scheduler = config.alarms.alarm_scheduler_enabled.then(|| {
        tokio::spawn(alarms.run(async {
            // A dropped sender stops it too.
            let _sent_or_dropped = alarms_stopped.await;
        }))
    });
    // WebSockets close with 1001 as soon as shutdown starts (each once its in-flight command is
    // done); actix then waits for those connections like for any other request.
    let connections_closing = state.shutdown.clone();
    let shutdown = async move {
        shutdown.await;
        connections_closing.close_all();
    };

    let address = listener
        .local_addr()
        .context("cannot read the listening address")?;
    let user_timeout = config.http.tcp_user_timeout();
    let max_connections = config.http.http_max_connections_per_worker;
    capacity::log(config.http.http_workers, max_connections);
    // Built in a block: the builder is not `Send`, and a binding of it still in scope at the
    // `await` below would make this future non-`Send`.
    let server = {
        let builder = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(hourglass_adapters_actix::configure)
                // The last `wrap` is the outermost: the log sees even what CORS answers by itself.
                .wrap(from_fn(edge::cors::cors))
                .wrap(from_fn(edge::request_log::request_log))
        })
        .on_connect(move |connection, _| configure_accepted_socket(connection, user_timeout));
        let builder = match config.http.http_workers {
            Some(workers) => builder.workers(workers),
            None => builder,
        };
        builder
            .max_connections(max_connections)
            .listen(listener)
            .context("cannot serve on the listening socket")?
            .shutdown_timeout(config.http.shutdown_grace_seconds)
            .shutdown_signal(shutdown)
            .run()
    };
    tracing::info!(%address, "listening");
    let served = server.await.context("the HTTP server failed");
    if let Some((handle, task)) = metrics_server {
        handle.stop(true).await;
        if let Err(error) = task.await {
            tracing::warn!(%error, "the metrics listener ended abnormally");
        }
    }
    upkeep.stop().await;
    let _scheduler_gone = stop_alarms.send(());
    if let Some(scheduler) = scheduler
        && let Err(error) = scheduler.await
    {
        tracing::warn!(%error, "the alarm scheduler ended abnormally");
    }
    // The relay publishes what the last commands left before it gives its partitions back.
    events.stop().await;
    served?;

    pool.close();
    tracing::info!("stopped");
    Ok(())
}

/// The metrics-only listener (`METRICS_BIND_ADDR`): one worker, `GET /metrics` and 404s,
/// stopped through the returned handle after the main server.
fn serve_metrics(
    state: actix_web::web::Data<hourglass_adapters_actix::state::AppState>,
    listener: TcpListener,
) -> anyhow::Result<(
    actix_web::dev::ServerHandle,
    tokio::task::JoinHandle<std::io::Result<()>>,
)> {
    let address = listener
        .local_addr()
        .context("cannot read the metrics listening address")?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(hourglass_adapters_actix::edge::telemetry::endpoint::configure_listener)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .context("cannot serve on METRICS_BIND_ADDR")?
    .run();
    tracing::info!(%address, "metrics listening");
    let handle = server.handle();
    Ok((handle, tokio::spawn(server)))
}

/// Configures an accepted TCP connection for a server of small, latency-bound messages.
///
/// - `TCP_NODELAY`: every WebSocket frame and SSE event is a small write, and a socket is quiet
///   between two of them. With Nagle's algorithm on, a frame written while the previous one is
///   still unacknowledged waits in the kernel for that ACK, and a client that has nothing to send
///   delays its ACK by about 40 ms (Linux). The copy of a command sent to a user's other
///   device, which had nothing to send meanwhile, reached p99 47 ms that way at light load
///   (issue 16). actix-web leaves the option at the OS default (off).
/// - `TCP_USER_TIMEOUT` (Linux): a client that stops reading is dropped by the application
///   (WebSocket 1013, SSE stream ended), but actix keeps the socket as long as its write buffer
///   cannot be flushed, which for a client that never reads again is forever: the kernel option
///   ends it once data has waited `user_timeout` for the peer's window or ACK.
///
/// A failure is logged and the connection served anyway.
fn configure_accepted_socket(connection: &dyn std::any::Any, user_timeout: std::time::Duration) {
    let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    if let Err(error) = stream.set_nodelay(true) {
        tracing::warn!(%error, "cannot set TCP_NODELAY on a connection");
    }
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
    if let Err(error) = socket2::SockRef::from(stream).set_tcp_user_timeout(Some(user_timeout)) {
        tracing::warn!(%error, "cannot set TCP_USER_TIMEOUT on a connection");
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
    let _unsupported = user_timeout;
}
