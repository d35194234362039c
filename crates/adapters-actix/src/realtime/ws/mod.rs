//! The timer WebSocket `/v1/ws/timers` (`timer-api.md`, "WebSocket").
//!
//! The handshake ([`timers_socket`]) decides everything that can be refused over HTTP before the
//! upgrade — the `Origin` (403 `FORBIDDEN`) and the `timezone` parameter (400
//! `INVALID_TIMEZONE`) — and checks the token, which travels only as the subprotocol
//! `authorization.bearer.<JWT>` (a token in the query string is never read). The upgrade then
//! completes even for a bad token, echoing a subprotocol the browser offered (`hourglass.v1` when
//! offered, so the token is not sent back, else the exact bearer entry), because a browser that
//! gets no echo drops the connection without telling the page any close code; the connection
//! task then closes with 1008 and a reason.
//!
//! # Layout
//! - [`protocol`]: client messages, server envelopes, error codes.
//! - `connection`: the task that serves one connection (the loop, frames, pings).
//! - `commands`: what a message or a delivery does, rendered in the connection's zone.
//! - `close`: why a connection ends and the close code each reason gets.
//! - `seen`: the newest version sent per timer, bounded in time and size.
//! - the limits (connections per user, messages per connection) are
//!   [`crate::edge::rate_limit`]'s.

mod close;
mod commands;
mod connection;
pub mod protocol;
mod seen;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use tracing::Instrument as _;

use crate::edge::auth::AuthError;
use crate::edge::error::ApiError;
use crate::edge::origin::OriginPolicy;
use crate::edge::telemetry::metrics::{ConnectionKind, Refusal};
use crate::edge::telemetry::span::connection_span;
use crate::edge::timezone::RenderZone;
use crate::state::AppState;

pub use connection::CLOSE_TIMEOUT;

/// Largest accepted frame, and largest message after joining continuation frames: 64 KiB.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Where the timer WebSocket is served.
pub const PATH: &str = "/v1/ws/timers";

/// The application subprotocol; echoed instead of the bearer entry when a client offers it.
pub const APP_PROTOCOL: &str = "hourglass.v1";

/// The subprotocol entry that carries the access token.
pub const BEARER_PREFIX: &str = "authorization.bearer.";

/// Registers the WebSocket route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(PATH, web::get().to(timers_socket));
}

#[derive(Deserialize)]
struct SocketQuery {
    timezone: Option<String>,
}

/// What the client offered in `Sec-WebSocket-Protocol`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Offered<'a> {
    /// The JWT of the first `authorization.bearer.` entry.
    token: Option<&'a str>,
    /// The entry to echo: `hourglass.v1` if offered, else the bearer entry.
    echo: Option<&'a str>,
}

fn offered_protocols(request: &HttpRequest) -> Offered<'_> {
    let entries = request
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|entry| !entry.is_empty());
    let mut offered = Offered::default();
    let mut bearer_entry = None;
    let mut app = None;
    for entry in entries {
        if entry == APP_PROTOCOL {
            app = Some(entry);
        } else if let Some(token) = entry.strip_prefix(BEARER_PREFIX)
            && offered.token.is_none()
        {
            offered.token = Some(token);
            bearer_entry = Some(entry);
        }
    }
    offered.echo = app.or(bearer_entry);
    offered
}

/// `GET /v1/ws/timers[?timezone=…]`: the upgrade.
///
/// # Errors
/// 403 `FORBIDDEN` for a refused `Origin`, 400 `INVALID_TIMEZONE`, 400 for a request that is not
/// a WebSocket handshake.
pub async fn timers_socket(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let metrics = state.metrics.clone();
    upgrade(request, body, state).await.inspect_err(|error| {
        let status = error.as_response_error().status_code();
        metrics.connection_refused(ConnectionKind::WebSocket, Refusal::from_status(status));
    })
}

/// The handshake checks, the upgrade and the connection's task; an error is the refusal.
async fn upgrade(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    OriginPolicy::new(
        &state.settings.allowed_origins,
        &state.settings.trusted_proxies,
    )
    .check(&request)?;
    let query = web::Query::<SocketQuery>::from_query(request.query_string())
        .map_err(|e| ApiError::invalid_parameter(format!("invalid query string: {e}")))?;
    let zone = RenderZone::from_param(query.timezone.as_deref()).map_err(ApiError::from)?;
    let offered = offered_protocols(&request);
    let auth = match offered.token {
        Some(token) => state.auth.authenticate(token).await,
        None => Err(AuthError::Missing),
    };
    let (mut response, session, stream) = actix_ws::handle(&request, body)?;
    if let Some(echo) = offered.echo
        && let Ok(value) = HeaderValue::from_str(echo)
    {
        response
            .headers_mut()
            .insert(header::SEC_WEBSOCKET_PROTOCOL, value);
    }
    let stream = stream.max_frame_size(MAX_FRAME_BYTES);
    let span = connection_span(
        ConnectionKind::WebSocket,
        auth.as_ref().ok().map(|principal| principal.user_id),
    );
    actix_web::rt::spawn(
        connection::run(state.into_inner(), auth, zone, session, stream).instrument(span),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn offered_for(header_values: &[&str]) -> (Option<String>, Option<String>) {
        let mut request = TestRequest::default();
        for value in header_values {
            request = request.append_header((header::SEC_WEBSOCKET_PROTOCOL, *value));
        }
        let request = request.to_http_request();
        let offered = offered_protocols(&request);
        (
            offered.token.map(str::to_owned),
            offered.echo.map(str::to_owned),
        )
    }

    #[test]
    fn the_bearer_entry_is_echoed_unless_hourglass_v1_is_offered() {
        assert_eq!(
            offered_for(&["authorization.bearer.abc.def"]),
            (
                Some("abc.def".to_owned()),
                Some("authorization.bearer.abc.def".to_owned())
            )
        );
        assert_eq!(
            offered_for(&["authorization.bearer.t, hourglass.v1"]),
            (Some("t".to_owned()), Some("hourglass.v1".to_owned()))
        );
        assert_eq!(
            offered_for(&["hourglass.v1", "authorization.bearer.t"]),
            (Some("t".to_owned()), Some("hourglass.v1".to_owned()))
        );
        assert_eq!(offered_for(&["chat"]), (None, None));
        assert_eq!(offered_for(&[]), (None, None));
    }
}
