//! One log line per request: method, path, query (secrets redacted), status, latency and a
//! request id (also sent back as `X-Request-Id` and attached, as a span, to whatever the handler
//! logs).
//!
//! Tokens must never reach a log line (`notifications-sse.md`, the stream's auth): the value of
//! any query parameter whose name contains `token` (the SSE `accessToken`, `access_token`,
//! `id_token`, …) is replaced with `[REDACTED]`, and no header is logged at all — in particular
//! never `Authorization` nor `Sec-WebSocket-Protocol`, which carries the WebSocket token.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument as _;

/// What replaces a secret value.
pub const REDACTED: &str = "[REDACTED]";

/// The response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

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
    let request_id = uuid::Uuid::now_v7().simple().to_string();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let query = redact_query(req.query_string());
    let span =
        tracing::info_span!("request", request_id = %request_id, method = %method, path = %path);
    let outcome = next.call(req).instrument(span.clone()).await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let _entered = span.enter();
    match outcome {
        Ok(mut response) => {
            let status = response.status().as_u16();
            tracing::info!(status, latency_ms, query = %query, "request");
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
            }
            Ok(response)
        }
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            tracing::info!(status, latency_ms, query = %query, "request");
            Err(error)
        }
    }
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
    fn other_queries_are_kept() {
        assert_eq!(redact_query(""), "");
        assert_eq!(redact_query("limit=5&cursor=abc"), "limit=5&cursor=abc");
        assert_eq!(redact_query("flag"), "flag");
    }
}
