//! The real-time edge: the timer WebSocket `/v1/ws/timers` and the notification stream
//! `/api/v1/notifications/subscribe` (SSE).

pub mod sse;
pub mod ws;
