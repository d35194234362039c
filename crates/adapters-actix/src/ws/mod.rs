//! The timer WebSocket `/v1/ws/timers` and the in-process fan-out hub.

pub mod hub;
