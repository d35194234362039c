//! The HTTP edge of Hourglass: actix-web routes (REST, WebSocket, SSE) over the ports.
//!
//! This crate may depend on `hourglass-ports`, `hourglass-domain`, actix-web, actix-ws and serde;
//! never on diesel or the PostgreSQL adapter: handlers reach storage only through ports, which
//! the server wires in. It never reads the environment.
//!
//! The server mounts everything with [`configure`], so the route table lives here and the binary
//! stays thin.
//!
//! # Layout
//! The modules fall into three groups by job, and depend only downwards: `http` and `realtime`
//! use `edge`, `edge` uses neither.
//! - [`edge`]: what every route shares: [`edge::error::ApiError`] and its one envelope, auth,
//!   time zones, query parsing, wire DTOs, telemetry, the `Origin` allow-list, middleware.
//! - [`http`]: the REST API (timers, schedules, todos, tags, users, following, meetups,
//!   notifications), the probes and the OpenAPI document.
//! - [`realtime`]: the timer WebSocket, the notification stream (SSE) and their registries.
//! - [`state`]: [`state::AppState`], the services every handler reaches.
//! - [`settings`]: what the server configures the edge with.

use actix_web::web;

pub mod edge;
pub mod http;
pub mod realtime;
pub mod settings;
pub mod state;

/// Registers every route of the service on `cfg`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(edge::telemetry::endpoint::metrics);
    http::configure(cfg);
    realtime::configure(cfg);
    // Body/parameter error envelopes and the JSON 404 for unknown routes.
    edge::middleware::body::configure(cfg);
}
