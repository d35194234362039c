//! The user profile routes of `/api/v1` (`notifications-sse.md`, "Users"):
//! `GET /api/v1/users/me`, `PATCH /api/v1/users/me`, `DELETE /api/v1/users/me` (an extension),
//! `GET /api/v1/users/{id}`.
//!
//! Under `/api/v1` keys are camelCase; a user is `{id, nickname, profileImage, createdAt}` with
//! `id` a number and `createdAt` naive UTC, or converted with a `timezone` query parameter.
//! Users are created by [`crate::edge::auth::Authenticator`] on first sight of a token; claims never
//! overwrite a profile changed here.

use std::collections::HashMap;

use actix_web::{HttpResponse, delete, get, patch, web};
use hourglass_domain::ids::UserId;
use hourglass_domain::profile::{Nickname, ProfileImage};
use hourglass_domain::timer::FieldUpdate;
use hourglass_ports::user::{ProfileUpdate, User};
use serde::{Deserialize, Serialize};

use crate::edge::auth::CurrentUser;
use crate::edge::error::{ApiError, ErrorBody};
use crate::edge::middleware::body::JsonBody;
use crate::edge::timezone::RenderZone;
use crate::http::body::tri;
use crate::http::path;
use crate::state::AppState;

/// A user as `/api/v1` renders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    /// Numeric id.
    pub id: i64,
    /// Display name.
    pub nickname: String,
    /// Picture URL, or null.
    pub profile_image: Option<String>,
    /// Creation instant, rendered in the request's zone.
    pub created_at: String,
}

impl UserDto {
    /// `user` rendered with `zone`.
    pub fn render(user: &User, zone: &RenderZone) -> Self {
        Self {
            id: user.id.get(),
            nickname: user.nickname.as_str().to_owned(),
            profile_image: user
                .profile_image
                .as_ref()
                .map(|image| image.as_str().to_owned()),
            created_at: zone.render(user.created_at),
        }
    }
}

/// The query every user route accepts.
#[derive(Debug, Deserialize)]
pub struct ZoneQuery {
    /// `timezone`: how `createdAt` is written.
    pub timezone: Option<String>,
}

impl ZoneQuery {
    fn zone(&self) -> Result<RenderZone, ApiError> {
        Ok(RenderZone::from_param(self.timezone.as_deref())?)
    }
}

/// The body of `PATCH /api/v1/users/me`: absent keeps a field, `null` clears `profileImage`
/// (a nickname cannot be cleared).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatchMeBody {
    /// New nickname, 1–30 characters.
    #[serde(default, deserialize_with = "tri")]
    pub nickname: Option<Option<String>>,
    /// New picture URL (http or https), or null to remove it.
    #[serde(default, deserialize_with = "tri")]
    pub profile_image: Option<Option<String>>,
}

impl PatchMeBody {
    /// The validated change.
    ///
    /// # Errors
    /// 422 `VALIDATION_FAILED` naming the field.
    pub fn try_into_domain(self) -> Result<ProfileUpdate, ApiError> {
        let nickname = match self.nickname {
            None => None,
            Some(None) => return Err(ApiError::validation("nickname: must not be null")),
            Some(Some(raw)) => Some(
                Nickname::parse(&raw).map_err(|error| ApiError::validation(error.to_string()))?,
            ),
        };
        let profile_image = match self.profile_image {
            None => FieldUpdate::Keep,
            Some(None) => FieldUpdate::Clear,
            Some(Some(raw)) => FieldUpdate::Set(
                ProfileImage::parse(&raw)
                    .map_err(|error| ApiError::validation(format!("profileImage: {error}")))?,
            ),
        };
        Ok(ProfileUpdate {
            nickname,
            profile_image,
        })
    }
}

/// `GET /api/v1/users/me`: the caller.
#[utoipa::path(
    get,
    path = "/api/v1/users/me",
    operation_id = "get_me",
    tag = "users",
    params(("timezone" = Option<String>, Query, description = "How `createdAt` is written (naive UTC without it)")),
    responses(
        (status = 200, description = "The caller", body = UserDto),
        (status = 400, description = "`INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/users/me")]
pub async fn get_me(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    query: web::Query<ZoneQuery>,
) -> Result<HttpResponse, ApiError> {
    let zone = query.zone()?;
    let user = state.users.get(me.user_id).await?;
    Ok(HttpResponse::Ok().json(UserDto::render(&user, &zone)))
}

/// `PATCH /api/v1/users/me`: changes the caller's nickname and picture; 200 with the user.
#[utoipa::path(
    patch,
    path = "/api/v1/users/me",
    operation_id = "update_me",
    tag = "users",
    params(("timezone" = Option<String>, Query, description = "How `createdAt` is written (naive UTC without it)")),
    request_body = PatchMeBody,
    responses(
        (status = 200, description = "The changed user", body = UserDto),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 422, description = "`VALIDATION_FAILED` naming the field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[patch("/api/v1/users/me")]
pub async fn patch_me(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
    query: web::Query<ZoneQuery>,
    body: JsonBody<PatchMeBody>,
) -> Result<HttpResponse, ApiError> {
    let zone = query.zone()?;
    let update = body.0.try_into_domain()?;
    let user = state.users.update_profile(me.user_id, update).await?;
    Ok(HttpResponse::Ok().json(UserDto::render(&user, &zone)))
}

/// `DELETE /api/v1/users/me`: deletes the caller's account; 204.
///
/// In one transaction: the caller's timers, schedules, todos, tags, received notifications and
/// follows (both ways) are deleted; the OPEN meetups they host are cancelled (`CANCLE` to the
/// participants) and removed, and they leave the OPEN meetups they joined (`EXIT` to the host);
/// the notifications they caused stay, with the actor shown as `탈퇴한 사용자`. Then their
/// WebSockets close with 4001 and their streams end with `account-deleted`, on every instance,
/// and friends' clients get `hidden` for the timers they were shown. The token then gets
/// `401 ACCOUNT_DELETED` until it expires.
#[utoipa::path(
    delete,
    path = "/api/v1/users/me",
    operation_id = "delete_me",
    tag = "users",
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "`UNAUTHORIZED`, or `ACCOUNT_DELETED` for a token of a deleted account", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/users/me")]
pub async fn delete_me(
    state: web::Data<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<HttpResponse, ApiError> {
    state.accounts.delete(me.user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/users/{id}`: anyone's public profile; 404 `USER_NOT_FOUND`.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    operation_id = "get_user",
    tag = "users",
    params(("id" = i64, Path, description = "Numeric user id"), ("timezone" = Option<String>, Query, description = "How `createdAt` is written (naive UTC without it)")),
    responses(
        (status = 200, description = "The user", body = UserDto),
        (status = 400, description = "`INVALID_PARAMETER` (malformed id) or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`USER_NOT_FOUND`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    CurrentUser(_caller): CurrentUser,
    id: web::Path<String>,
    query: web::Query<ZoneQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path::user_id(&id)?;
    let zone = query.zone()?;
    let user = state.users.get(id).await?;
    Ok(HttpResponse::Ok().json(UserDto::render(&user, &zone)))
}

/// The users among `ids`, by id, loaded in one query (never one per user).
///
/// # Errors
/// Storage failures as 503/500.
pub async fn users_by_id(
    state: &AppState,
    ids: impl IntoIterator<Item = UserId>,
) -> Result<HashMap<UserId, User>, ApiError> {
    let mut ids: Vec<UserId> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let users = state.users.find_many(&ids).await?;
    Ok(users.into_iter().map(|user| (user.id, user)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    use crate::http::testing::{Ports, call, error_of};

    fn body(json: serde_json::Value) -> Result<PatchMeBody, serde_json::Error> {
        serde_json::from_value(json)
    }

    fn update(json: serde_json::Value) -> Result<ProfileUpdate, Box<dyn std::error::Error>> {
        body(json)?
            .try_into_domain()
            .map_err(|error| error.to_string().into())
    }

    #[test]
    fn absent_keeps_null_clears_value_sets() -> Result<(), Box<dyn std::error::Error>> {
        let keep = update(serde_json::json!({}))?;
        assert_eq!(keep, ProfileUpdate::default());
        let clear = update(serde_json::json!({ "profileImage": null }))?;
        assert_eq!(clear.profile_image, FieldUpdate::Clear);
        let set = update(
            serde_json::json!({ "nickname": " Mini ", "profileImage": "https://x.io/a.png" }),
        )?;
        assert_eq!(
            set.nickname.map(Nickname::into_string),
            Some("Mini".to_owned())
        );
        assert!(matches!(set.profile_image, FieldUpdate::Set(_)));
        Ok(())
    }

    #[test]
    fn refusals_name_the_field() -> Result<(), serde_json::Error> {
        for (json, field) in [
            (serde_json::json!({ "nickname": "" }), "nickname"),
            (
                serde_json::json!({ "nickname": "a".repeat(31) }),
                "nickname",
            ),
            (serde_json::json!({ "nickname": null }), "nickname"),
            (
                serde_json::json!({ "profileImage": "ftp://x" }),
                "profileImage",
            ),
        ] {
            let Err(error) = body(json.clone())?.try_into_domain() else {
                panic!("{json} was accepted");
            };
            assert_eq!(error.code(), "VALIDATION_FAILED");
            assert!(error.message().starts_with(field), "{}", error.message());
        }
        Ok(())
    }

    #[actix_web::test]
    async fn an_unknown_user_is_404_user_not_found() {
        let mut ports = Ports::signed_in();
        ports.users.expect_find().returning(|_| Ok(None));
        let request = TestRequest::get().uri("/api/v1/users/9");
        assert_eq!(
            error_of(call(ports, request).await).await,
            (404, "USER_NOT_FOUND".to_owned())
        );
    }

    #[actix_web::test]
    async fn a_null_nickname_is_422_and_a_bad_id_400() {
        let request = TestRequest::patch()
            .uri("/api/v1/users/me")
            .set_json(serde_json::json!({"nickname": null}));
        assert_eq!(
            error_of(call(Ports::signed_in(), request).await).await,
            (422, "VALIDATION_FAILED".to_owned())
        );
        let request = TestRequest::get().uri("/api/v1/users/-3");
        assert_eq!(
            error_of(call(Ports::signed_in(), request).await).await,
            (400, "INVALID_PARAMETER".to_owned())
        );
    }
}
