//! CORS for the REST API, from `CORS_ALLOWED_ORIGINS` ([`crate::settings::EdgeSettings`]).
//!
//! A request whose `Origin` is on the list gets `Access-Control-Allow-Origin` (that origin) and
//! `Access-Control-Expose-Headers: X-Next-Cursor, Retry-After, X-Request-Id`; a preflight from
//! such an origin is answered here (204) with the allowed methods (GET, POST, PATCH, DELETE,
//! OPTIONS) and headers (Authorization, Content-Type, Last-Event-ID, X-Request-Id). A preflight
//! from any other origin is refused with 403 `FORBIDDEN`.
//!
//! Other requests from unlisted origins pass through untouched, without CORS headers, so the
//! browser withholds the answer from the page. They are not refused here: same-origin browser
//! requests also carry `Origin`, and the WebSocket and SSE handshakes apply the contract's own
//! Origin rule (403 before upgrade) themselves. Credentials (cookies) are not part of the API,
//! so `Access-Control-Allow-Credentials` is never sent.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError as _, web};

use crate::edge::error::ApiError;
use crate::state::AppState;

/// Methods a preflight may ask for.
pub const ALLOWED_METHODS: &str = "GET, POST, PATCH, DELETE, OPTIONS";

/// Request headers a preflight may ask for.
pub const ALLOWED_HEADERS: &str = "Authorization, Content-Type, Last-Event-ID, X-Request-Id";

/// Response headers scripts may read.
pub const EXPOSED_HEADERS: &str = "X-Next-Cursor, Retry-After, X-Request-Id";

/// How long browsers may cache a preflight answer, in seconds.
const MAX_AGE_SECONDS: &str = "3600";

/// The CORS middleware; wrap the app with `actix_web::middleware::from_fn(cors)`. It reads the
/// allowed origins from the registered [`AppState`] (none without one).
///
/// # Errors
/// Whatever the wrapped service returns.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let allowed = origin.as_ref().is_some_and(|origin| {
        let state = req.app_data::<web::Data<AppState>>();
        origin.to_str().is_ok_and(|origin| {
            state.is_some_and(|state| {
                state
                    .settings
                    .allowed_origins
                    .iter()
                    .any(|allowed| same_origin(allowed, origin))
            })
        })
    });
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);

    if preflight {
        let response = match origin.filter(|_| allowed) {
            Some(origin) => {
                let mut response = HttpResponse::NoContent().finish();
                let headers = response.headers_mut();
                add_origin(headers, origin);
                headers.insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static(ALLOWED_METHODS),
                );
                headers.insert(
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    HeaderValue::from_static(ALLOWED_HEADERS),
                );
                headers.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from_static(MAX_AGE_SECONDS),
                );
                response
            }
            None => ApiError::forbidden("this origin is not allowed (CORS_ALLOWED_ORIGINS)")
                .error_response(),
        };
        return Ok(req.into_response(response));
    }

    let mut response = next.call(req).await?.map_into_boxed_body();
    if let Some(origin) = origin.filter(|_| allowed) {
        let headers = response.headers_mut();
        add_origin(headers, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    Ok(response)
}

/// Whether the configured entry `allowed` names the browser origin `origin`: ASCII case does not
/// matter, and `ws://`/`wss://` entries (what the original guide tells front ends to list) stand
/// for the page's `http://`/`https://` origin.
fn same_origin(allowed: &str, origin: &str) -> bool {
    let allowed = allowed.to_ascii_lowercase();
    let allowed = if let Some(rest) = allowed.strip_prefix("wss://") {
        format!("https://{rest}")
    } else if let Some(rest) = allowed.strip_prefix("ws://") {
        format!("http://{rest}")
    } else {
        allowed
    };
    allowed.eq_ignore_ascii_case(origin)
}

fn add_origin(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    // The answer depends on the Origin: caches must not serve it to another origin.
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}
