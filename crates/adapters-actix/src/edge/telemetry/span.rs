//! The log span of one long-lived connection.
//!
//! A WebSocket connection or an SSE stream outlives the request that opened it, and its task
//! runs outside the request's future. Its task therefore runs in its own span, `websocket` or
//! `sse`, with a `connection_id` (new per connection) and the `user_id` (empty when the token was
//! refused), created while the handshake's `request` span (`request_id`, `method`, `path`) is
//! current and therefore its child: every line the connection logs, from open to close, carries
//! all of them, in the pretty format and as the `span`/`spans` objects of `LOG_FORMAT=json`.

use hourglass_domain::ids::UserId;
use tracing::Span;
use tracing::field::{Empty, display};

use super::metrics::ConnectionKind;

/// A new span for a connection of `kind` by `user`, child of the current span.
pub fn connection_span(kind: ConnectionKind, user: Option<UserId>) -> Span {
    let connection_id = uuid::Uuid::now_v7().simple().to_string();
    let span = match kind {
        ConnectionKind::WebSocket => {
            tracing::info_span!("websocket", connection_id = %connection_id, user_id = Empty)
        }
        ConnectionKind::Sse => {
            tracing::info_span!("sse", connection_id = %connection_id, user_id = Empty)
        }
    };
    if let Some(user) = user {
        span.record("user_id", display(user));
    }
    span
}
