//! Following (`notifications-sse.md`, "Following"): follow and unfollow, and the followers,
//! following and friends (mutual follows) lists.
//!
//! Following stores a `FOLLOW` notification for the followed user and pushes it after commit,
//! unless the same pair already produced one within 24 h (across unfollow and re-follow); the
//! rule lives in the domain and the repository, not here.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;
use hourglass_ports::page::{Page, PageRequest};
use hourglass_ports::timer::{FriendTimer, TaggedTimer};
use hourglass_ports::user::User;
use serde::Serialize;

use crate::edge::auth::CurrentUser;
use crate::edge::dto::{TimerDto, TimerEmbeds};
use crate::edge::error::{ApiError, ErrorBody};
use crate::edge::query::QueryParams;
use crate::edge::timezone::RenderZone;
use crate::http::paging::{self, List};
use crate::http::path;
use crate::http::users::UserDto;
use crate::state::AppState;

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
    let followee = path::user_id(&id)?;
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
        (status = 204, description = "Not following (any more). When the two were friends, each one's online clients get `timer.friend_activity{action:\"hidden\"}` for the other's RUNNING or PAUSED `friends`/`public` timers"),
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
    let followee = path::user_id(&id)?;
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
    let user = path::user_id(&id)?;
    let (zone, page) = list_request(&request, paging::FOLLOWERS)?;
    let page = state.follows.followers(user, page).await?;
    Ok(render_page(paging::FOLLOWERS, &page, &zone))
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
    let user = path::user_id(&id)?;
    let (zone, page) = list_request(&request, paging::FOLLOWING)?;
    let page = state.follows.following(user, page).await?;
    Ok(render_page(paging::FOLLOWING, &page, &zone))
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
    let (zone, page) = list_request(&request, paging::FRIENDS)?;
    let page = state.follows.friends(me.user_id, page).await?;
    Ok(render_page(paging::FRIENDS, &page, &zone))
}

/// One friend's active timer (`GET /api/v1/users/me/friends/active`, `timer.friends_snapshot`):
/// the friend and the timer, rendered like every timer the caller reads (its own tags,
/// `schedule`/`todo` null, `is_shared: true`). A friend with two active timers they let friends
/// see appears twice, once per timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FriendTimerDto {
    /// The friend (owner of the timer).
    pub friend: UserDto,
    /// Their RUNNING or PAUSED timer, visibility `friends` or `public`.
    pub timer: TimerDto,
}

impl FriendTimerDto {
    /// `item` as `viewer` sees it at `now`, datetimes in `zone`.
    pub fn render(
        item: &FriendTimer<TaggedTimer>,
        viewer: UserId,
        now: Timestamp,
        zone: &RenderZone,
    ) -> Self {
        let tags: Vec<_> = item.timer.tags.iter().collect();
        Self {
            friend: UserDto::render(&item.friend, zone),
            timer: TimerDto::render(
                &item.timer.timer,
                viewer,
                now,
                zone,
                TimerEmbeds::tags_only(&tags),
            ),
        }
    }
}

/// `GET /api/v1/users/me/friends/active`: friends' RUNNING or PAUSED timers they let friends
/// see, most recently changed first.
#[utoipa::path(
    get,
    path = "/api/v1/users/me/friends/active",
    operation_id = "list_friends_active",
    tag = "follows",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100, default 50"),
        ("cursor" = Option<String>, Query, description = "The `X-Next-Cursor` of the previous page (or `next_cursor` of `timer.friends_snapshot`)"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
    ),
    responses(
        (status = 200, description = "One page of friends' active timers (visibility `friends` or `public`, never `private`), one item per timer, most recently changed (`updated_at`, then id) first", body = [FriendTimerDto],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last page"))),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/users/me/friends/active")]
pub async fn list_friends_active(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string());
    let zone = params.timezone()?;
    let page = paging::page_request(paging::FRIENDS_ACTIVE, &params)?;
    let page = state.timers.friends_active(me.user_id, page).await?;
    let now = state.clock.now();
    let items: Vec<FriendTimerDto> = page
        .items
        .iter()
        .map(|item| FriendTimerDto::render(item, me.user_id, now, &zone))
        .collect();
    Ok(paging::page_response(
        paging::FRIENDS_ACTIVE,
        &items,
        page.next,
    ))
}

/// `timezone`, `limit` and `cursor` of a user list.
fn list_request(
    request: &HttpRequest,
    list: List<UserId>,
) -> Result<(RenderZone, PageRequest<UserId>), ApiError> {
    let params = QueryParams::parse(request.query_string());
    let zone = params.timezone()?;
    let page = paging::page_request(list, &params)?;
    Ok((zone, page))
}

fn render_page(list: List<UserId>, page: &Page<User, UserId>, zone: &RenderZone) -> HttpResponse {
    let items: Vec<UserDto> = page
        .items
        .iter()
        .map(|user| UserDto::render(user, zone))
        .collect();
    paging::page_response(list, &items, page.next)
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;
    use hourglass_ports::page::Cursor;

    use super::*;
    use crate::http::testing::{CALLER, Ports, call, error_of, now};

    #[actix_web::test]
    async fn following_yourself_is_400_cannot_follow_self() {
        let request = TestRequest::post().uri(&format!("/api/v1/users/{}/follow", CALLER.get()));
        assert_eq!(
            error_of(call(Ports::signed_in(), request).await).await,
            (400, "CANNOT_FOLLOW_SELF".to_owned())
        );
    }

    #[actix_web::test]
    async fn following_an_unknown_user_is_404_user_not_found() {
        let mut ports = Ports::signed_in();
        ports.users.expect_find().returning(|_| Ok(None));
        let request = TestRequest::post().uri("/api/v1/users/9/follow");
        assert_eq!(
            error_of(call(ports, request).await).await,
            (404, "USER_NOT_FOUND".to_owned())
        );
    }

    /// A cursor of the friends list is refused by the followers list (same id type, another
    /// list).
    #[actix_web::test]
    async fn another_lists_cursor_is_400() {
        let friends_cursor = paging::encode(
            paging::FRIENDS,
            &Cursor {
                created_at: now(),
                id: UserId::new(5),
            },
        );
        let request = TestRequest::get().uri(&format!(
            "/api/v1/users/9/followers?cursor={friends_cursor}"
        ));
        assert_eq!(
            error_of(call(Ports::signed_in(), request).await).await,
            (400, "INVALID_PARAMETER".to_owned())
        );
    }
}
