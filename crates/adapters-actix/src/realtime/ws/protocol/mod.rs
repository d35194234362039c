//! The wire protocol of `/v1/ws/timers`.
//!
//! - [`inbound`]: client messages parsed into commands.
//! - [`outbound`]: server messages written as envelopes, and their payloads.
//! - [`codes`]: the error codes and the `error` message's content.

pub mod codes;
pub mod inbound;
pub mod outbound;
