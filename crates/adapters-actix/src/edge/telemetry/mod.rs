//! What operators see besides the request log: the metrics behind `GET /metrics` and the log
//! spans of long-lived connections.
//!
//! The server creates one [`Metrics`] at start-up and shares it (in [`crate::state::AppState`],
//! and as the delivery service's observer); `docs/observability.md` lists every metric and log
//! field. Nothing here knows the routes that record.
//!
//! # Layout
//! - [`metrics`]: [`Metrics`], every metric and the calls that move them.
//! - [`labels`]: the closed sets of label values.
//! - [`histogram`]: [`histogram::LatencyHistogram`], a histogram without a lock.
//! - [`process`]: the standard `process_*` metrics, read from `/proc/self`.
//! - [`endpoint`]: `GET /metrics`.
//! - [`span`]: the span of a WebSocket or SSE connection (`connection_id`, `user_id`).

pub mod endpoint;
pub mod histogram;
pub mod labels;
pub mod metrics;
pub mod process;
pub mod span;

pub use self::metrics::Metrics;
