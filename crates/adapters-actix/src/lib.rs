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
//! - [`settings`]: what the server configures the edge with.
//! - [`error`]: [`error::ApiError`], the one error envelope, and where 5xx causes are logged.
//! - [`auth`]: token verification and the signed-in user.
//! - [`state`]: [`state::AppState`], the services every handler reaches.
//! - [`health`]: `GET /healthz` (liveness) and `GET /readyz` (the database answers).
//! - [`telemetry`]: [`telemetry::Metrics`] and `GET /metrics`, the log spans of connections.
//! - [`rest`]: the REST API of timers, schedules, todos and tags under `/v1` and `/api/v1`.
//! - [`openapi`]: the OpenAPI document (`GET /openapi.json`) and the reference page (`GET /docs`).
//! - [`timezone`]: the `timezone` parameter ([`timezone::RenderZone`]) and datetime rendering.
//! - [`users`]: `/api/v1/users/me` and `/api/v1/users/{id}`.
//! - [`social`]: following, meetups and stored notifications under `/api/v1`.
//! - [`sse`]: the notification stream `/api/v1/notifications/subscribe` and its registry.
//! - [`middleware`]: CORS, request logging with redaction, the REST rate limit, body limits.
//! - [`origin`]: the browser `Origin` allow-list of the WebSocket and SSE handshakes.
//! - [`ws`]: the timer WebSocket `/v1/ws/timers` and its fan-out hub.
//! - [`dto`]: wire shapes (timer, schedule, todo, tag) rendered for a viewer, instant and zone.

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
