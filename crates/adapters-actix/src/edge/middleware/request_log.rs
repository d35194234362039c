//! One log line per request: method, path, query (secrets redacted), status, latency and a
//! request id (also sent back as `X-Request-Id` and attached, as a span, to whatever the handler
//! logs), and the request counted in `hourglass_http_requests_total`.
//!
//! The request id is the caller's own `X-Request-Id` when it is well-formed (1 to
//! [`MAX_REQUEST_ID_CHARS`] ASCII letters, digits, `-`, `_`, `.` or `:`, so a proxy's or
//! client's id can be followed through the logs), else a new UUIDv7; anything else the caller
//! sent is ignored rather than logged, so it cannot forge log lines.
//!
//! Tokens must never reach a log line (`notifications-sse.md`, the stream's auth): the value of
//! any query parameter whose name contains `token` (the SSE `accessToken`, `access_token`,
//! `id_token`, …) is replaced with `[REDACTED]`, and no header is logged at all — in particular
//! never `Authorization` nor `Sec-WebSocket-Protocol`, which carries the WebSocket token.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument as _;

use crate::state::AppState;

/// What replaces a secret value.
pub const REDACTED: &str = "[REDACTED]";

/// The request and response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest accepted incoming request id, in characters.
pub const MAX_REQUEST_ID_CHARS: usize = 64;

/// The logging middleware; wrap the app with `actix_web::middleware::from_fn(request_log)`
/// (outermost, so that it also sees what CORS answers on its own).
///
/// # Errors
/// Whatever the wrapped service returns (logged first).
pub async fn request_log<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let started = Instant::now();
    let request_id = incoming_request_id(req.headers())
        .map_or_else(|| uuid::Uuid::now_v7().simple().to_string(), str::to_owned);
    let method = req.method().clone();
    let path = req.path().to_owned();
    let query = redact_query(req.query_string());
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone());
    let span =
        tracing::info_span!("request", request_id = %request_id, method = %method, path = %path);
    let outcome = next.call(req).instrument(span.clone()).await;
    let took = started.elapsed();
    let latency_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
    let _entered = span.enter();
    // Asked after routing, so the pattern is the route that matched (before, it could only be
    // guessed from the path, ignoring method guards). An error that escaped every handler has
    // no route to name.
    let (status, route) = match &outcome {
        Ok(response) => (response.status(), response.request().match_pattern()),
        Err(error) => (error.as_response_error().status_code(), None),
    };
    tracing::info!(status = status.as_u16(), latency_ms, query = %query, "request");
    if let Some(metrics) = metrics {
        metrics.http_request(&method, route, status, took);
    }
    outcome.map(|mut response| {
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
        }
        response
    })
}

/// The caller's `X-Request-Id`, when there is exactly one and it is well-formed.
fn incoming_request_id(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(REQUEST_ID_HEADER);
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let id = first.to_str().ok()?;
    let well_formed = (1..=MAX_REQUEST_ID_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    well_formed.then_some(id)
}

/// `query` with the value of every parameter whose (decoded) name contains `token` or is
/// `authorization`/`jwt`, in any case, replaced with [`REDACTED`]; the rest is kept as sent.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if is_secret_name(name) && !value.is_empty() {
                format!("{name}={REDACTED}")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn is_secret_name(raw: &str) -> bool {
    let name = percent_decode_lossy(raw).to_ascii_lowercase();
    name.contains("token") || name == "authorization" || name == "jwt"
}

/// Decodes `%XX` escapes (and `+`), so `access%54oken` cannot slip past the name check.
fn percent_decode_lossy(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (byte, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                index += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                index += 1;
            }
            _ => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_values_are_redacted() {
        assert_eq!(
            redact_query("accessToken=abc.def.ghi&timezone=Asia/Seoul"),
            "accessToken=[REDACTED]&timezone=Asia/Seoul"
        );
        assert_eq!(
            redact_query("token=x&access_token=y&ID_TOKEN=z&lastEventId=5"),
            "token=[REDACTED]&access_token=[REDACTED]&ID_TOKEN=[REDACTED]&lastEventId=5"
        );
        assert_eq!(
            redact_query("access%54oken=s3cret"),
            "access%54oken=[REDACTED]"
        );
    }

    #[test]
    fn a_well_formed_incoming_request_id_is_kept() {
        let id_of = |values: &[&str]| {
            let mut request = actix_web::test::TestRequest::default();
            for value in values {
                request = request.append_header((REQUEST_ID_HEADER, *value));
            }
            incoming_request_id(request.to_http_request().headers()).map(str::to_owned)
        };
        assert_eq!(
            id_of(&["lb-1234:abc_9.z"]),
            Some("lb-1234:abc_9.z".to_owned())
        );
        assert_eq!(id_of(&[&"a".repeat(64)]), Some("a".repeat(64)));
        assert_eq!(id_of(&[&"a".repeat(65)]), None, "too long");
        assert_eq!(id_of(&[""]), None);
        assert_eq!(id_of(&["two words"]), None);
        assert_eq!(id_of(&["x\"}, {\"forged\": 1"]), None);
        assert_eq!(id_of(&["a", "b"]), None, "ambiguous");
        assert_eq!(id_of(&[]), None);
    }

    #[test]
    fn other_queries_are_kept() {
        assert_eq!(redact_query(""), "");
        assert_eq!(redact_query("limit=5&cursor=abc"), "limit=5&cursor=abc");
        assert_eq!(redact_query("flag"), "flag");
    }
}
