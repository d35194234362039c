//! The notification stream `GET /api/v1/notifications/subscribe` (`notifications-sse.md`,
//! "The stream"), Server-Sent Events as the original spec's `EventSource` client expects them.
//!
//! The handshake decides everything that can be refused over HTTP before the stream starts, each
//! with the JSON envelope: the browser `Origin` (403, the WebSocket's rules), the token (401; from
//! `accessToken` in the query, since `EventSource` cannot send headers, or `Authorization:
//! Bearer`), the `timezone` and `lastEventId` parameters (400), and the per-user subscribe rate
//! (429 `RATE_LIMITED` with `Retry-After`, `SSE_CONNECT_MAX` per `SSE_CONNECT_WINDOW`). Then:
//!
//! 1. the stream is registered with the [`SseRegistry`] *before* the replay is read, so a
//!    notification committed in between is queued live and cannot fall into a gap;
//! 2. with `Last-Event-ID` (header, sent by the browser on reconnect) or `lastEventId` (query,
//!    for a first connection), the stored notifications with a larger id are read, oldest first,
//!    at most [`REPLAY_LIMIT`](hourglass_ports::service::notification::REPLAY_LIMIT);
//! 3. the body starts with `connect` (and `retry: 3000`) followed by the replay and a fresh
//!    `unread-count`, in one chunk;
//! 4. the [`stream::StreamTask`] goes live, dropping queued notifications whose id the replay
//!    already covered (ids are visible per receiver in commit order, so nothing newer can have a
//!    smaller id).
//!
//! The body is never compressed (`Content-Encoding: identity` keeps any compression middleware
//! off it) and `X-Accel-Buffering: no` keeps nginx from buffering it. The access token never
//! reaches a log line: the request log redacts every `*token*` query parameter.
//!
//! # Layout
//! - [`registry`]: open streams per user, the cap, bounded queues, and the delivery seam
//!   [`SseRegistry::deliver`] that every notification event goes through.
//! - [`stream`]: frames and the task behind one stream.
//! - `resume`: the `Last-Event-ID` seam: the position a stream resumes from, what it missed, and
//!   which live notifications it already has.

pub mod registry;
mod resume;
pub mod stream;

use std::convert::Infallible;
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse, get};
use hourglass_domain::ids::NotificationId;
use tokio::sync::mpsc;
use tracing::Instrument as _;

pub use self::registry::SseRegistry;
use self::stream::{
    OUT_CAPACITY, StreamTask, connect_frame, notification_frame, unread_count_frame,
};
use crate::edge::auth::{AuthError, authenticate, bearer_token};
use crate::edge::error::ApiError;
use crate::edge::error::ErrorBody;
use crate::edge::origin::OriginPolicy;
use crate::edge::query::QueryParams;
use crate::edge::rate_limit::retry_after_seconds;
use crate::edge::telemetry::metrics::{ConnectionKind, Refusal, SseVia};
use crate::edge::telemetry::span::connection_span;
use crate::state::AppState;

/// The header a reconnecting `EventSource` sends with the last `id:` it saw.
pub const LAST_EVENT_ID_HEADER: &str = "last-event-id";

/// Registers the stream route. It must precede `/api/v1/notifications/{id}` routes only by
/// method, which the guards already tell apart.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(subscribe);
}

/// `GET /api/v1/notifications/subscribe`: the caller's notification stream.
#[utoipa::path(
    get,
    path = "/api/v1/notifications/subscribe",
    operation_id = "subscribe_notifications",
    tag = "notifications",
    params(
        ("accessToken" = Option<String>, Query, description = "The JWT (EventSource cannot send headers); or use `Authorization: Bearer`"),
        ("lastEventId" = Option<i64>, Query, description = "Replay stored notifications with a larger id first (the `Last-Event-ID` header wins when both are sent)"),
        ("timezone" = Option<String>, Query, description = "How `createdAt` is written; heartbeats are always UTC"),
        ("Last-Event-ID" = Option<i64>, Header, description = "Sent by the browser on reconnect: replay what is newer, then go live"),
    ),
    responses(
        (status = 200, description = "An endless `text/event-stream`: `retry: 3000` + `event: connect` / `data: Connected`, then the replay (if any), then `event: unread-count` / `data: {\"unreadCount\": n}` (UnreadCountEventDto). Live: `id:` / `event: notification` / `data: <notification JSON>` frames; `event: notification-read` and `event: notification-deleted` / `data: {\"ids\": [...]}` (NotificationIdsEventDto) when notifications are marked read or deleted on any device; each of those three followed by `unread-count` with the count that change left (extensions: a client listening only for `notification` is unaffected, and they carry no `id:`); `event: heartbeat` / `data: <UTC RFC 3339>` every SSE_HEARTBEAT_SECONDS. An evicted stream (too many per user) gets `retry: 3600000` with `event: evicted` / `data: {\"retryMs\": 3600000}` and ends.", body = String, content_type = "text/event-stream"),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`, before any stream starts", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: a browser Origin not in CORS_ALLOWED_ORIGINS", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED` (with `Retry-After`): more than SSE_CONNECT_MAX subscribes per SSE_CONNECT_WINDOW seconds for this user", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/notifications/subscribe")]
pub async fn subscribe(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let metrics = state.metrics.clone();
    open_stream(state, request).await.inspect_err(|error| {
        metrics.connection_refused(ConnectionKind::Sse, Refusal::from_status(error.status()));
    })
}

/// The handshake, the opening chunk and the stream's task; any error is the refusal.
async fn open_stream(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    OriginPolicy::new(
        &state.settings.allowed_origins,
        &state.settings.trusted_proxies,
    )
    .check(&request)?;
    let params = QueryParams::parse(request.query_string());
    let principal = match params.single("accessToken")?.filter(|t| !t.is_empty()) {
        Some(token) => authenticate(&state, token).await?,
        None => match bearer_token(request.headers()) {
            Ok(token) => authenticate(&state, token).await?,
            Err(AuthError::Missing) => {
                return Err(ApiError::unauthorized(
                    "missing access token: pass ?accessToken=<JWT> or Authorization: Bearer",
                ));
            }
            Err(error) => return Err(error.into()),
        },
    };
    let zone = params.timezone()?;
    let resume_after = resume::last_event_id(&request, &params)?;
    // Counted before anything is registered or read: a client reconnecting in a loop would
    // otherwise cost a registration, a replay read and an unread count each time.
    state
        .limits
        .sse_connect
        .check(&principal.user_id)
        .map_err(|wait| ApiError::rate_limited(retry_after_seconds(wait)))?;

    let user = principal.user_id;
    let sse = state.streams.clone();
    let registration = sse.register(user, state.settings.sse_max_streams_per_user);
    // The user's notification events must be reaching this instance before the replay is read.
    sse.interest_ready(user).await;
    let (initial, last_sent) = match opening(&state, user, resume_after, &zone).await {
        Ok(opening) => opening,
        Err(error) => {
            sse.unregister(user, registration.id);
            return Err(error);
        }
    };

    let (out, body) = mpsc::channel::<Bytes>(OUT_CAPACITY);
    // The channel is new and empty: the first frame always fits.
    let _fits = out.try_send(Bytes::from(initial));
    let expires_in = Duration::from_secs(
        u64::try_from(principal.expires_at.seconds_since(state.clock.now())).unwrap_or(0),
    );
    let shutdown = state.shutdown.subscribe();
    let span = connection_span(ConnectionKind::Sse, Some(user));
    actix_web::rt::spawn(
        StreamTask {
            state,
            user,
            registration,
            out,
            zone,
            last_sent,
            expires_in,
            shutdown,
        }
        .run()
        .instrument(span),
    );

    let mut body = body;
    let frames = futures_util::stream::poll_fn(move |cx| {
        body.poll_recv(cx)
            .map(|frame| frame.map(Ok::<_, Infallible>))
    });
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .insert_header(("X-Accel-Buffering", HeaderValue::from_static("no")))
        .insert_header((
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        ))
        .streaming(frames))
}

/// The stream's first chunk — `connect`, then the replay after `resume_after`, then
/// `unread-count` — and the highest id the client will then have.
async fn opening(
    state: &AppState,
    user: hourglass_domain::ids::UserId,
    resume_after: Option<NotificationId>,
    zone: &crate::edge::timezone::RenderZone,
) -> Result<(String, Option<NotificationId>), ApiError> {
    let mut initial = connect_frame();
    let mut last_sent = None;
    if let Some(after) = resume_after {
        let missed = resume::missed_after(state, user, after, zone).await?;
        for (_, dto) in &missed {
            match notification_frame(dto) {
                Ok(frame) => {
                    initial.push_str(&frame);
                    state.metrics.sse_notification_sent(SseVia::Replay);
                }
                Err(error) => return Err(ApiError::internal(&error)),
            }
        }
        last_sent = Some(missed.last().map_or(after, |(id, _)| *id));
    }
    // Read after the replay, so it covers at least what the replay showed; changes committed
    // since are queued live with their own counts.
    let unread = state.notifications.unread_count(user).await?;
    initial.push_str(&unread_count_frame(unread).map_err(|error| ApiError::internal(&error))?);
    Ok((initial, last_sent))
}
