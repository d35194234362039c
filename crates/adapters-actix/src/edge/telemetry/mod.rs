//! What operators see besides the request log: the metrics behind `GET /metrics` and the log
//! spans of long-lived connections.
//!
//! The server creates one [`Metrics`] at start-up and shares it (in [`crate::state::AppState`],
//! and with the [`crate::realtime::ws::hub::Hub`] for fan-out); `docs/observability.md` lists every metric
//! and log field.
//!
//! # Layout
//! - [`metrics`]: [`Metrics`], every metric and the calls that move them.
//! - [`histogram`]: [`histogram::LatencyHistogram`], a histogram without a lock.
//! - [`endpoint`]: `GET /metrics`.
//! - [`span`]: the span of a WebSocket or SSE connection (`connection_id`, `user_id`).

pub mod endpoint;
pub mod histogram;
pub mod metrics;
pub mod span;

pub use self::metrics::Metrics;
