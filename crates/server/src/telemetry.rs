//! Logging: `tracing` events written to stderr, as human-readable lines or JSON.
//!
//! Logs go to stderr so that stdout carries only a command's result (the JWT of `token`, the
//! count of `migrate`) and can be piped. Request and connection ids travel as span fields, set
//! by the HTTP edge (`hourglass_adapters_actix::edge::middleware::request_log`, `telemetry::span`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The filter when `RUST_LOG` is unset or unreadable.
const DEFAULT_FILTER: &str = "info";

/// Installs the global subscriber. Call once, first thing in `main`; a second call is ignored so
/// tests that start several servers in one process do not fail.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // When stderr is a pipe whose reader went away, tracing-subscriber would report the
        // failed write with `eprintln!`, which panics on the same broken pipe and kills the
        // server. Losing log lines is better than losing the service.
        .log_internal_errors(false);
    // `try_init` fails only when a subscriber is already installed, which is fine.
    let _already_installed = match format {
        LogFormat::Pretty => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        // Spans carry the request and connection ids (`docs/observability.md`): the innermost
        // span's fields under `span`, every open span under `spans`.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
    };
}
