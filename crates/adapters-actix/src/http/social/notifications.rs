//! Stored notifications (`notifications-sse.md`, "Notification object" and "Notification REST"):
//! the wire object shared with the SSE stream, list, unread count, read one, read all, delete,
//! and the `test` endpoint of the original spec.
//!
//! `actorNickname` and `actorProfileImage` are the actor's *current* profile, loaded for a whole
//! page in one query; they are null for system notifications (no actor) and for an actor whose
//! account is gone. The message keeps the nickname it was created with, as the original does.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, web};
use hourglass_domain::ids::{NotificationId, UserId};
use hourglass_domain::notification::Notification;
use hourglass_ports::page::PageRequest;
use hourglass_ports::service::notification::NotificationServiceError;
use hourglass_ports::user::User;
use serde::Serialize;

use super::cursor::{self, ListKind};
use super::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::edge::auth::CurrentUser;
use crate::edge::dto::NotificationDto;
use crate::edge::error::{ApiError, ErrorBody};
use crate::edge::query::QueryParams;
use crate::state::AppState;
use crate::edge::timezone::RenderZone;

/// Registers the notification REST routes (literal paths before `{id}`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_notifications)
        .service(unread_count)
        .service(read_all)
        .service(send_test_notification)
        .service(mark_read)
        .service(delete_notification);
}

impl From<NotificationServiceError> for ApiError {
    fn from(error: NotificationServiceError) -> Self {
        match error {
            NotificationServiceError::NotFound => {
                Self::not_found("NOTIFICATION_NOT_FOUND", "notification not found")
            }
            NotificationServiceError::Storage(storage) => Self::from(storage),
        }
    }
}

/// The body of `GET /api/v1/notifications/unread-count`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnreadCountBody {
    /// Unread notifications of the caller.
    pub count: u64,
}

/// The body of `PATCH /api/v1/notifications/read-all`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReadAllBody {
    /// How many notifications changed from unread to read.
    pub updated: u64,
}

/// `GET /api/v1/notifications`: the caller's notifications, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    operation_id = "list_notifications",
    tag = "notifications",
    params(
        ("unreadOnly" = Option<bool>, Query, description = "Only unread ones"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100, default 50"),
        ("cursor" = Option<String>, Query, description = "The `X-Next-Cursor` of the previous page"),
        ("timezone" = Option<String>, Query, description = "How `createdAt` is written"),
    ),
    responses(
        (status = 200, description = "One page, newest first", body = [NotificationDto],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last page"))),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string());
    let zone = params.timezone()?;
    let unread_only = params.flag("unreadOnly")?;
    let page = PageRequest {
        limit: params.limit(DEFAULT_LIMIT, MAX_LIMIT)?,
        after: cursor::from_query::<NotificationId>(ListKind::Notifications, &params)?,
    };
    let page = state
        .notifications
        .list(me.user_id, unread_only, page)
        .await?;
    let items = NotificationDto::render_all(&state.users, &page.items, &zone).await?;
    Ok(cursor::page_response(
        ListKind::Notifications,
        &items,
        page.next,
    ))
}

/// `GET /api/v1/notifications/unread-count`: `{"count": n}`.
#[utoipa::path(
    get,
    path = "/api/v1/notifications/unread-count",
    operation_id = "count_unread_notifications",
    tag = "notifications",
    responses(
        (status = 200, description = "The caller's unread count", body = UnreadCountBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/notifications/unread-count")]
pub async fn unread_count(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let count = state.notifications.unread_count(me.user_id).await?;
    Ok(HttpResponse::Ok().json(UnreadCountBody { count }))
}

/// `PATCH /api/v1/notifications/read-all`: marks every notification read; `{"updated": n}`.
#[utoipa::path(
    patch,
    path = "/api/v1/notifications/read-all",
    operation_id = "read_all_notifications",
    tag = "notifications",
    responses(
        (status = 200, description = "How many changed", body = ReadAllBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[patch("/api/v1/notifications/read-all")]
pub async fn read_all(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let updated = state.notifications.mark_all_read(me.user_id).await?;
    Ok(HttpResponse::Ok().json(ReadAllBody { updated }))
}

/// `GET /api/v1/notifications/test`: stores a `TEST` notification from the caller to the caller,
/// pushes it to the caller's streams and returns it (as the original spec's test endpoint).
#[utoipa::path(
    get,
    path = "/api/v1/notifications/test",
    operation_id = "send_test_notification",
    tag = "notifications",
    params(("timezone" = Option<String>, Query, description = "How `createdAt` is written")),
    responses(
        (status = 200, description = "The stored `TEST` notification", body = NotificationDto),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/notifications/test")]
pub async fn send_test_notification(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let zone = QueryParams::parse(request.query_string()).timezone()?;
    let notification = state.notifications.send_test(me.user_id).await?;
    let caller = state.users.get(me.user_id).await?;
    Ok(HttpResponse::Ok().json(NotificationDto::render(&notification, Some(&caller), &zone)))
}

/// `PATCH /api/v1/notifications/{id}/read`: marks one read; 204.
#[utoipa::path(
    patch,
    path = "/api/v1/notifications/{id}/read",
    operation_id = "read_notification",
    tag = "notifications",
    params(("id" = i64, Path, description = "The notification")),
    responses(
        (status = 204, description = "Read"),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`NOTIFICATION_NOT_FOUND` (also for someone else's)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[patch("/api/v1/notifications/{id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_notification_id(&id)?;
    state.notifications.mark_read(me.user_id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /api/v1/notifications/{id}`: deletes one; 204.
#[utoipa::path(
    delete,
    path = "/api/v1/notifications/{id}",
    operation_id = "delete_notification",
    tag = "notifications",
    params(("id" = i64, Path, description = "The notification")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`NOTIFICATION_NOT_FOUND` (also for someone else's)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/notifications/{id}")]
pub async fn delete_notification(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_notification_id(&id)?;
    state.notifications.delete(me.user_id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A notification id from the path: a positive decimal integer.
fn parse_notification_id(raw: &str) -> Result<NotificationId, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(NotificationId::new)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_PARAMETER",
                "id must be a positive integer notification id",
            )
        })
}
