//! Meetups (모임, `notifications-sse.md`, "Meetups"): create, join, leave, cancel, list, detail.
//!
//! Who is notified is decided by the use cases and stored in the same transaction as the change
//! (`CREATE` to the host's followers in set-based statements, `ENTER`/`EXIT` to the host, `CANCLE`
//! to the other participants); the pushes happen after commit. These handlers only parse, call
//! and render. A meetup's participants are rendered as user objects, host first, loaded in one
//! query for a whole page.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use hourglass_domain::ids::UserId;
use hourglass_domain::meetup::{Capacity, Meetup, MeetupDescription, MeetupTitle, NewMeetup};
use hourglass_ports::user::User;
use serde::{Deserialize, Serialize};

use crate::edge::auth::CurrentUser;
use crate::edge::error::{ApiError, ErrorBody};
use crate::edge::middleware::body::JsonBody;
use crate::edge::query::{QueryParams, parse_datetime};
use crate::edge::timezone::RenderZone;
use crate::http::users::{UserDto, users_by_id};
use crate::http::{paging, path};
use crate::state::AppState;

/// A meetup as `/api/v1` renders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetupDto {
    /// Numeric id (the notifications' `relatedId`).
    pub id: i64,
    /// The host's user id.
    pub host_id: i64,
    /// 1–100 characters.
    pub title: String,
    /// At most 2000 characters; empty when none was given.
    pub description: String,
    /// When it starts.
    pub starts_at: String,
    /// Most participants, host included; null for no limit.
    pub capacity: Option<u32>,
    /// `OPEN` or `CANCELLED`.
    pub status: String,
    /// How many participants, host included.
    pub participant_count: usize,
    /// The participants, host first, then in join order.
    pub participants: Vec<UserDto>,
    /// Creation instant.
    pub created_at: String,
    /// Last change (join, leave, cancel).
    pub updated_at: String,
}

impl MeetupDto {
    /// `meetup` rendered with `zone`, its participants taken from `users` (a participant whose
    /// account is gone is left out of `participants` but still counted).
    pub fn render(meetup: &Meetup, users: &HashMap<UserId, User>, zone: &RenderZone) -> Self {
        Self {
            id: meetup.id().get(),
            host_id: meetup.host_id().get(),
            title: meetup.title().as_str().to_owned(),
            description: meetup.description().as_str().to_owned(),
            starts_at: zone.render(meetup.starts_at()),
            capacity: meetup.capacity().map(Capacity::get),
            status: meetup.status().as_str().to_owned(),
            participant_count: meetup.participant_count(),
            participants: meetup
                .participants()
                .iter()
                .filter_map(|id| users.get(id))
                .map(|user| UserDto::render(user, zone))
                .collect(),
            created_at: zone.render(meetup.created_at()),
            updated_at: zone.render(meetup.updated_at()),
        }
    }
}

/// The body of `POST /api/v1/meetups`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateMeetupRequest {
    /// 1–100 characters.
    pub title: String,
    /// At most 2000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// ISO-8601 datetime in the future (naive is read as UTC).
    pub starts_at: String,
    /// 2–100, counting the host; absent or null for no limit.
    #[serde(default)]
    pub capacity: Option<i64>,
}

impl CreateMeetupRequest {
    /// The validated meetup `host` asks for (`startsAt` in the future is checked at creation).
    ///
    /// # Errors
    /// 422 `VALIDATION_FAILED` naming the field.
    pub fn try_into_domain(self, host: UserId) -> Result<NewMeetup, ApiError> {
        let title = MeetupTitle::parse(&self.title)?;
        let description = match self.description.as_deref() {
            None => MeetupDescription::empty(),
            Some(raw) => MeetupDescription::parse(raw)?,
        };
        let starts_at = parse_datetime(self.starts_at.trim()).ok_or_else(|| {
            ApiError::validation(
                "startsAt: must be an ISO-8601 datetime such as 2026-01-28T10:00:00 or \
                 2026-01-28T19:00:00+09:00",
            )
        })?;
        let capacity = self.capacity.map(Capacity::new).transpose()?;
        Ok(NewMeetup {
            host_id: host,
            title,
            description,
            starts_at,
            capacity,
        })
    }
}

/// `POST /api/v1/meetups`: creates a meetup hosted by the caller; 201 with it. Every follower
/// of the host gets a `CREATE` notification.
#[utoipa::path(
    post,
    path = "/api/v1/meetups",
    operation_id = "create_meetup",
    tag = "meetups",
    params(("timezone" = Option<String>, Query, description = "How datetimes are written")),
    request_body = CreateMeetupRequest,
    responses(
        (status = 201, description = "Created", body = MeetupDto),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 422, description = "`VALIDATION_FAILED` naming the field (e.g. `startsAt` not in the future)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/meetups")]
pub async fn create_meetup(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    request: HttpRequest,
    body: JsonBody<CreateMeetupRequest>,
) -> Result<HttpResponse, ApiError> {
    let zone = QueryParams::parse(request.query_string()).timezone()?;
    let new = body.0.try_into_domain(me.user_id)?;
    let meetup = state.meetups.create(new).await?;
    render_one(&state, &meetup, &zone, StatusCode::CREATED).await
}

/// `GET /api/v1/meetups`: open meetups, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/meetups",
    operation_id = "list_meetups",
    tag = "meetups",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100, default 50"),
        ("cursor" = Option<String>, Query, description = "The `X-Next-Cursor` of the previous page"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
    ),
    responses(
        (status = 200, description = "One page of open meetups", body = [MeetupDto],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last page"))),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/meetups")]
pub async fn list_meetups(
    state: web::Data<AppState>,
    CurrentUser(_caller): CurrentUser,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string());
    let zone = params.timezone()?;
    let page = paging::page_request(paging::MEETUPS, &params)?;
    let page = state.meetups.list_open(page).await?;
    let users = users_by_id(
        &state,
        page.items
            .iter()
            .flat_map(|m| m.participants().iter().copied()),
    )
    .await?;
    let items: Vec<MeetupDto> = page
        .items
        .iter()
        .map(|m| MeetupDto::render(m, &users, &zone))
        .collect();
    Ok(paging::page_response(paging::MEETUPS, &items, page.next))
}

/// `GET /api/v1/meetups/{id}`: one meetup (open or cancelled) with its participants.
#[utoipa::path(
    get,
    path = "/api/v1/meetups/{id}",
    operation_id = "get_meetup",
    tag = "meetups",
    params(
        ("id" = i64, Path, description = "The meetup"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
    ),
    responses(
        (status = 200, description = "The meetup", body = MeetupDto),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`MEETUP_NOT_FOUND`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/meetups/{id}")]
pub async fn get_meetup(
    state: web::Data<AppState>,
    CurrentUser(_caller): CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path::meetup_id(&id)?;
    let zone = QueryParams::parse(request.query_string()).timezone()?;
    let meetup = state.meetups.get(id).await?;
    render_one(&state, &meetup, &zone, StatusCode::OK).await
}

/// `POST /api/v1/meetups/{id}/participants`: the caller joins; 201 with the meetup. The host
/// gets an `ENTER` notification.
#[utoipa::path(
    post,
    path = "/api/v1/meetups/{id}/participants",
    operation_id = "join_meetup",
    tag = "meetups",
    params(
        ("id" = i64, Path, description = "The meetup"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
    ),
    responses(
        (status = 201, description = "Joined", body = MeetupDto),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`MEETUP_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`MEETUP_FULL`, `MEETUP_CANCELLED`, `ALREADY_JOINED` or `HOST_CANNOT_JOIN`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/meetups/{id}/participants")]
pub async fn join_meetup(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path::meetup_id(&id)?;
    let zone = QueryParams::parse(request.query_string()).timezone()?;
    let meetup = state.meetups.join(id, me.user_id).await?;
    render_one(&state, &meetup, &zone, StatusCode::CREATED).await
}

/// `DELETE /api/v1/meetups/{id}/participants/me`: the caller leaves; 204. The host gets an
/// `EXIT` notification.
#[utoipa::path(
    delete,
    path = "/api/v1/meetups/{id}/participants/me",
    operation_id = "leave_meetup",
    tag = "meetups",
    params(("id" = i64, Path, description = "The meetup")),
    responses(
        (status = 204, description = "Left"),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: the host cannot leave (cancel instead)", body = ErrorBody),
        (status = 404, description = "`MEETUP_NOT_FOUND` or `NOT_A_PARTICIPANT`", body = ErrorBody),
        (status = 409, description = "`MEETUP_CANCELLED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/meetups/{id}/participants/me")]
pub async fn leave_meetup(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path::meetup_id(&id)?;
    state.meetups.leave(id, me.user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/meetups/{id}/cancel`: the host cancels; 200 with the meetup. Every other
/// participant gets a `CANCLE` notification.
#[utoipa::path(
    post,
    path = "/api/v1/meetups/{id}/cancel",
    operation_id = "cancel_meetup",
    tag = "meetups",
    params(
        ("id" = i64, Path, description = "The meetup"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
    ),
    responses(
        (status = 200, description = "Cancelled", body = MeetupDto),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: only the host may cancel", body = ErrorBody),
        (status = 404, description = "`MEETUP_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`MEETUP_CANCELLED`: already cancelled", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/meetups/{id}/cancel")]
pub async fn cancel_meetup(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path::meetup_id(&id)?;
    let zone = QueryParams::parse(request.query_string()).timezone()?;
    let meetup = state.meetups.cancel(id, me.user_id).await?;
    render_one(&state, &meetup, &zone, StatusCode::OK).await
}

/// One meetup with its participants (one query for all of them).
async fn render_one(
    state: &AppState,
    meetup: &Meetup,
    zone: &RenderZone,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let users = users_by_id(state, meetup.participants().iter().copied()).await?;
    Ok(HttpResponse::build(status).json(MeetupDto::render(meetup, &users, zone)))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;
    use hourglass_domain::meetup::MeetupError;
    use hourglass_ports::meetup::MeetupActionError;

    use crate::http::testing::{Ports, call, error_of};

    #[actix_web::test]
    async fn joining_a_full_meetup_is_409_meetup_full() {
        let mut ports = Ports::signed_in();
        ports
            .meetups
            .expect_apply()
            .returning(|_, _, _| Err(MeetupActionError::Rejected(MeetupError::Full)));
        let request = TestRequest::post().uri("/api/v1/meetups/5/participants");
        assert_eq!(
            error_of(call(ports, request).await).await,
            (409, "MEETUP_FULL".to_owned())
        );
    }

    #[actix_web::test]
    async fn the_host_leaving_is_403_and_a_missing_meetup_404() {
        let mut ports = Ports::signed_in();
        ports
            .meetups
            .expect_apply()
            .returning(|_, _, _| Err(MeetupActionError::Rejected(MeetupError::HostCannotLeave)));
        let request = TestRequest::delete().uri("/api/v1/meetups/5/participants/me");
        assert_eq!(
            error_of(call(ports, request).await).await,
            (403, "FORBIDDEN".to_owned())
        );
        let mut ports = Ports::signed_in();
        ports.meetups.expect_find().returning(|_| Ok(None));
        let request = TestRequest::get().uri("/api/v1/meetups/5");
        assert_eq!(
            error_of(call(ports, request).await).await,
            (404, "MEETUP_NOT_FOUND".to_owned())
        );
    }

    #[actix_web::test]
    async fn a_start_in_the_past_is_422_naming_starts_at() {
        let mut ports = Ports::signed_in();
        ports.meetups.expect_create().returning(|_, _| {
            Err(MeetupActionError::Rejected(
                MeetupError::StartsAtNotInFuture,
            ))
        });
        let request = TestRequest::post()
            .uri("/api/v1/meetups")
            .set_json(serde_json::json!({"title": "Run", "startsAt": "2020-01-01T10:00:00"}));
        let response = call(ports, request).await;
        assert_eq!(response.status().as_u16(), 422);
        let body: serde_json::Value = actix_web::test::read_body_json(response).await;
        assert_eq!(body["code"], "VALIDATION_FAILED");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("startsAt: ")),
            "{body}"
        );
    }
}
