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
//! - [`health`]: `GET /healthz`, the liveness probe.
//! - [`timezone`]: the `timezone` parameter ([`timezone::RenderZone`]) and datetime rendering.
//! - [`dto`]: wire shapes (timer, schedule, todo, tag) rendered for a viewer, instant and zone.

use actix_web::web;

pub mod auth;
pub mod dto;
pub mod error;
pub mod health;
pub mod settings;
pub mod state;
pub mod timezone;
pub mod ws;

/// Registers every route of the service on `cfg`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz);
}
