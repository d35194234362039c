//! The edge every route shares: the one error envelope, authentication, time zones, wire DTOs,
//! telemetry, the browser `Origin` allow-list, the rate limits and the HTTP middleware.
//!
//! Nothing here knows a route: `http` and `realtime` depend on this module, never the reverse.

pub mod auth;
pub mod dto;
pub mod error;
pub mod middleware;
pub mod origin;
pub mod query;
pub mod rate_limit;
pub mod telemetry;
pub mod timezone;
