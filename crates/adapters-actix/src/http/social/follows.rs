//! Following (`notifications-sse.md`, "Following"): follow and unfollow, and the followers,
//! following and friends (mutual follows) lists.
//!
//! Following stores a `FOLLOW` notification for the followed user and pushes it after commit,
//! unless the same pair already produced one within 24 h (across unfollow and re-follow); the
//! rule lives in the domain and the repository, not here.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use hourglass_domain::ids::UserId;
use hourglass_ports::page::{Page, PageRequest};
use hourglass_ports::service::follow::FollowServiceError;
use hourglass_ports::user::User;

use super::cursor::{self, ListKind};
use super::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::edge::auth::CurrentUser;
use crate::edge::error::ApiError;
use crate::edge::error::ErrorBody;
use crate::edge::query::QueryParams;
use crate::state::AppState;
use crate::edge::timezone::RenderZone;
use crate::http::users::{UserDto, parse_user_id};

/// Registers the follow routes (`/users/me/friends` before anything with `{id}`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_friends)
        .service(follow_user)
        .service(unfollow_user)
        .service(list_followers)
        .service(list_following);
}

impl From<FollowServiceError> for ApiError {
    fn from(error: FollowServiceError) -> Self {
        match error {
            FollowServiceError::CannotFollowSelf => Self::new(
                StatusCode::BAD_REQUEST,
                "CANNOT_FOLLOW_SELF",
                "a user cannot follow themselves",
            ),
            FollowServiceError::UserNotFound => Self::not_found("USER_NOT_FOUND", "user not found"),
            FollowServiceError::Storage(storage) => Self::from(storage),
        }
    }
}

/// `POST /api/v1/users/{id}/follow`: follows the user; 201 with the followed user, 200 when
/// already following.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/follow",
    operation_id = "follow_user",
    tag = "follows",
    params(
        ("id" = i64, Path, description = "The user to follow"),
        ("timezone" = Option<String>, Query, description = "How `createdAt` is written"),
    ),
    responses(
        (status = 201, description = "Now following; a `FOLLOW` notification was sent unless one was within 24 h", body = UserDto),
        (status = 200, description = "Already following", body = UserDto),
        (status = 400, description = "`CANNOT_FOLLOW_SELF` or `INVALID_PARAMETER`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`USER_NOT_FOUND`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/users/{id}/follow")]
pub async fn follow_user(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let followee = parse_user_id(&id)?;
    let zone = QueryParams::parse(request.query_string()).timezone()?;
    let outcome = state.follows.follow(me.user_id, followee).await?;
    let user = state.users.get(followee).await?;
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(UserDto::render(&user, &zone)))
}

/// `DELETE /api/v1/users/{id}/follow`: stops following; 204 also when not following.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}/follow",
    operation_id = "unfollow_user",
    tag = "follows",
    params(("id" = i64, Path, description = "The user to stop following")),
    responses(
        (status = 204, description = "Not following (any more)"),
        (status = 400, description = "`INVALID_PARAMETER`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`USER_NOT_FOUND`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/users/{id}/follow")]
pub async fn unfollow_user(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let followee = parse_user_id(&id)?;
    state.follows.unfollow(me.user_id, followee).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/users/{id}/followers`: who follows the user, newest follow first.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/followers",
    operation_id = "list_followers",
    tag = "follows",
    params(
        ("id" = i64, Path, description = "The user"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100, default 50"),
        ("cursor" = Option<String>, Query, description = "The `X-Next-Cursor` of the previous page"),
        ("timezone" = Option<String>, Query, description = "How `createdAt` is written"),
    ),
    responses(
        (status = 200, description = "One page of users", body = [UserDto],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last page"))),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`USER_NOT_FOUND`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/users/{id}/followers")]
pub async fn list_followers(
    state: web::Data<AppState>,
    CurrentUser(_caller): CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = parse_user_id(&id)?;
    let (zone, page) = list_request(&request, ListKind::Followers)?;
    let page = state.follows.followers(user, page).await?;
    Ok(render_page(ListKind::Followers, &page, &zone))
}

/// `GET /api/v1/users/{id}/following`: whom the user follows, newest follow first.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/following",
    operation_id = "list_following",
    tag = "follows",
    params(
        ("id" = i64, Path, description = "The user"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100, default 50"),
        ("cursor" = Option<String>, Query, description = "The `X-Next-Cursor` of the previous page"),
        ("timezone" = Option<String>, Query, description = "How `createdAt` is written"),
    ),
    responses(
        (status = 200, description = "One page of users", body = [UserDto],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last page"))),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`USER_NOT_FOUND`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/users/{id}/following")]
pub async fn list_following(
    state: web::Data<AppState>,
    CurrentUser(_caller): CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let user = parse_user_id(&id)?;
    let (zone, page) = list_request(&request, ListKind::Following)?;
    let page = state.follows.following(user, page).await?;
    Ok(render_page(ListKind::Following, &page, &zone))
}

/// `GET /api/v1/users/me/friends`: the caller's mutual follows, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/users/me/friends",
    operation_id = "list_friends",
    tag = "follows",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100, default 50"),
        ("cursor" = Option<String>, Query, description = "The `X-Next-Cursor` of the previous page"),
        ("timezone" = Option<String>, Query, description = "How `createdAt` is written"),
    ),
    responses(
        (status = 200, description = "One page of users", body = [UserDto],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last page"))),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/users/me/friends")]
pub async fn list_friends(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (zone, page) = list_request(&request, ListKind::Friends)?;
    let page = state.follows.friends(me.user_id, page).await?;
    Ok(render_page(ListKind::Friends, &page, &zone))
}

/// `timezone`, `limit` and `cursor` of a user list.
fn list_request(
    request: &HttpRequest,
    kind: ListKind,
) -> Result<(RenderZone, PageRequest<UserId>), ApiError> {
    let params = QueryParams::parse(request.query_string());
    let zone = params.timezone()?;
    let page = PageRequest {
        limit: params.limit(DEFAULT_LIMIT, MAX_LIMIT)?,
        after: cursor::from_query(kind, &params)?,
    };
    Ok((zone, page))
}

fn render_page(kind: ListKind, page: &Page<User, UserId>, zone: &RenderZone) -> HttpResponse {
    let items: Vec<UserDto> = page
        .items
        .iter()
        .map(|user| UserDto::render(user, zone))
        .collect();
    cursor::page_response(kind, &items, page.next)
}
