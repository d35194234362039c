//! The real-time edge: the timer WebSocket `/v1/ws/timers` and the notification stream
//! `/api/v1/notifications/subscribe` (SSE).
//!
//! Who receives a committed event is decided in `hourglass_ports`
//! ([`hourglass_ports::service::delivery::DeliveryService`]); this module holds the connections
//! and renders what they are handed.
//!
//! # Layout
//! - [`registry`]: user → timer WebSocket connection queues (the `TimerConnections` port).
//! - [`sse`]: the notification stream and its registry (the `NotificationStreams` port).
//! - [`ws`]: the timer WebSocket: handshake, connection loop, commands, close codes, protocol.
//! - [`shutdown`]: the flag every long-lived connection obeys.

pub mod registry;
pub mod shutdown;
pub mod sse;
pub mod ws;

use actix_web::web;

/// Registers the notification stream and the timer WebSocket.
pub fn configure(cfg: &mut web::ServiceConfig) {
    sse::configure(cfg);
    ws::configure(cfg);
}
