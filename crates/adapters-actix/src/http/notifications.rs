//! Stored notifications (`notifications-sse.md`, "Notification REST"): list, unread count, read
//! one, read all, delete, and the `test` endpoint of the original spec. The stream itself is
//! `realtime::sse`.
//!
//! Notifications are written as [`NotificationDto`], the object the stream sends too: its
//! `actorNickname` and `actorProfileImage` are the actor's *current* profile, loaded for a whole
//! page in one query.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, web};
use serde::Serialize;

use crate::edge::auth::CurrentUser;
use crate::edge::dto::NotificationDto;
use crate::edge::error::{ApiError, ErrorBody};
use crate::edge::query::QueryParams;
use crate::http::{paging, path};
use crate::state::AppState;

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
    let page = paging::page_request(paging::NOTIFICATIONS, &params)?;
    let page = state
        .notifications
        .list(me.user_id, unread_only, page)
        .await?;
    let items = NotificationDto::render_all(&state.users, &page.items, &zone).await?;
    Ok(paging::page_response(
        paging::NOTIFICATIONS,
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
    let id = path::notification_id(&id)?;
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
    let id = path::notification_id(&id)?;
    state.notifications.delete(me.user_id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;
    use hourglass_domain::ids::MeetupId;
    use hourglass_ports::notification::NotificationError;
    use hourglass_ports::page::Cursor;

    use super::*;
    use crate::http::testing::{Ports, call, error_of, now};

    #[actix_web::test]
    async fn an_unknown_or_foreign_notification_is_404() {
        let mut ports = Ports::signed_in();
        ports
            .notifications
            .expect_mark_read()
            .returning(|_, _| Err(NotificationError::NotFound));
        let request = TestRequest::patch().uri("/api/v1/notifications/5/read");
        assert_eq!(
            error_of(call(ports, request).await).await,
            (404, "NOTIFICATION_NOT_FOUND".to_owned())
        );
        let mut ports = Ports::signed_in();
        ports
            .notifications
            .expect_delete()
            .returning(|_, _| Err(NotificationError::NotFound));
        let request = TestRequest::delete().uri("/api/v1/notifications/5");
        assert_eq!(
            error_of(call(ports, request).await).await,
            (404, "NOTIFICATION_NOT_FOUND".to_owned())
        );
    }

    #[actix_web::test]
    async fn a_bad_cursor_limit_or_id_is_400() {
        let meetup_cursor = paging::encode(
            paging::MEETUPS,
            &Cursor {
                created_at: now(),
                id: MeetupId::new(5),
            },
        );
        for request in [
            TestRequest::get().uri(&format!("/api/v1/notifications?cursor={meetup_cursor}")),
            TestRequest::get().uri("/api/v1/notifications?limit=101"),
            TestRequest::get().uri("/api/v1/notifications?unreadOnly=maybe"),
            TestRequest::patch().uri("/api/v1/notifications/x/read"),
        ] {
            assert_eq!(
                error_of(call(Ports::signed_in(), request).await).await,
                (400, "INVALID_PARAMETER".to_owned())
            );
        }
    }

    #[actix_web::test]
    async fn storage_unavailable_is_503() {
        let mut ports = Ports::signed_in();
        ports
            .notifications
            .expect_unread_count()
            .returning(|_| Err(crate::http::testing::unavailable()));
        let request = TestRequest::get().uri("/api/v1/notifications/unread-count");
        assert_eq!(
            error_of(call(ports, request).await).await,
            (503, "SERVICE_UNAVAILABLE".to_owned())
        );
    }
}
