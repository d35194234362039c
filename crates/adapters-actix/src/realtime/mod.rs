//! The real-time edge: the timer WebSocket `/v1/ws/timers` and the notification stream
//! `/api/v1/notifications/subscribe` (SSE).

pub mod sse;
pub mod ws;

use actix_web::web;

/// Registers the notification stream and the timer WebSocket.
pub fn configure(cfg: &mut web::ServiceConfig) {
    sse::configure(cfg);
    ws::configure(cfg);
}
