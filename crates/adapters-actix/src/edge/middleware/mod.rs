//! What wraps every request: CORS, request logging with secrets redacted, and the
//! body/parameter error answers. (The REST rate limit is counted by
//! [`crate::edge::auth::CurrentUser`], see [`crate::edge::rate_limit`].)
//!
//! # Layout
//! - [`cors`]: `CORS_ALLOWED_ORIGINS` for REST (preflight and response headers).
//! - [`request_log`]: one log line per request, with a request id, never a token.
//! - [`body`]: the 1 MiB JSON limit, JSON/path/query error envelopes, [`body::JsonBody`] and the
//!   404 for unknown routes.
//!
//! The server wraps its `App` with [`cors::cors`] and [`request_log::request_log`] (through
//! `actix_web::middleware::from_fn`); [`crate::configure`] registers the rest.

pub mod body;
pub mod cors;
pub mod request_log;
