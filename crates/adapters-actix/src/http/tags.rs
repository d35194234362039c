//! Tag routes: owner-scoped CRUD over [`PlanningService`].
//!
//! Names are unique per owner (409 `DUPLICATE_NAME`); colors are `#RRGGBB` (stored upper-case).
//! Deleting a tag removes it from every timer, schedule and todo; the timers that carried it are
//! announced as updated.
//!
//! [`PlanningService`]: hourglass_ports::service::planning::PlanningService

use actix_web::{HttpRequest, HttpResponse, routes, web};
use hourglass_domain::ids::TagId;
use hourglass_domain::validation::{TagColor, TagName};
use hourglass_ports::service::planning::{NewTag, PlanningServiceError, TagPatch};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::edge::auth::CurrentUser;
use crate::edge::dto::TagDto;
use crate::edge::error::{ApiError, ErrorBody, PlanningObject};
use crate::edge::middleware::body::JsonBody;
use crate::edge::query::QueryParams;
use crate::http::body::{BodyError, not_null, tri};
use crate::http::{paging, path};
use crate::state::AppState;

/// The body of `POST /v1/tags`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTagRequest {
    /// 1 to 50 characters after trimming; unique among the caller's tags.
    #[schema(max_length = 50)]
    pub name: String,
    /// `#RRGGBB`.
    #[schema(pattern = "^#[0-9A-Fa-f]{6}$")]
    pub color: String,
}

impl CreateTagRequest {
    /// The new tag, with every value checked.
    ///
    /// # Errors
    /// [`BodyError`] naming the field.
    pub fn try_into_domain(self) -> Result<NewTag, BodyError> {
        Ok(NewTag {
            name: TagName::new(&self.name)?,
            color: TagColor::new(&self.color)?,
        })
    }
}

/// The body of `PATCH /v1/tags/{id}`: absent keeps, a value sets; neither may be `null`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PatchTagRequest {
    /// New name.
    #[serde(default, deserialize_with = "tri")]
    #[schema(max_length = 50)]
    pub name: Option<Option<String>>,
    /// New color, `#RRGGBB`.
    #[serde(default, deserialize_with = "tri")]
    #[schema(pattern = "^#[0-9A-Fa-f]{6}$")]
    pub color: Option<Option<String>>,
}

impl PatchTagRequest {
    /// The domain change, with every value checked.
    ///
    /// # Errors
    /// [`BodyError`] naming the field.
    pub fn try_into_domain(self) -> Result<TagPatch, BodyError> {
        Ok(TagPatch {
            name: not_null("name", self.name)?
                .map(|raw| TagName::new(&raw))
                .transpose()?,
            color: not_null("color", self.color)?
                .map(|raw| TagColor::new(&raw))
                .transpose()?,
        })
    }
}

fn tag_error(error: PlanningServiceError) -> ApiError {
    ApiError::planning(PlanningObject::Tag, error)
}

/// `GET /v1/tags`: the caller's tags, newest first.
#[utoipa::path(
    get,
    path = "/v1/tags",
    operation_id = "list_tags",
    tag = "tags",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100, default 50"),
        ("cursor" = Option<String>, Query, description = "The `X-Next-Cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page, newest first", body = [TagDto],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last page"))),
        (status = 400, description = "`INVALID_PARAMETER`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/tags")]
#[get("/api/v1/tags", name = "api_v1_list_tags")]
pub async fn list_tags(
    state: web::Data<AppState>,
    user: CurrentUser,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string());
    let page = paging::page_request(paging::TAGS, &params)?;
    let page = state.planning.tags(user.0.user_id, page).await?;
    let items: Vec<TagDto> = page.items.iter().map(TagDto::from).collect();
    Ok(paging::page_response(paging::TAGS, &items, page.next))
}

/// `POST /v1/tags`: creates a tag.
#[utoipa::path(
    post,
    path = "/v1/tags",
    operation_id = "create_tag",
    tag = "tags",
    request_body = CreateTagRequest,
    responses(
        (status = 201, description = "Created", body = TagDto),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 409, description = "`DUPLICATE_NAME`: the caller already has a tag with this name", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 422, description = "`VALIDATION_FAILED` naming the field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[post("/v1/tags")]
#[post("/api/v1/tags", name = "api_v1_create_tag")]
pub async fn create_tag(
    state: web::Data<AppState>,
    user: CurrentUser,
    payload: JsonBody<CreateTagRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = payload.0.try_into_domain()?;
    let tag = state
        .planning
        .create_tag(user.0.user_id, new)
        .await
        .map_err(tag_error)?;
    Ok(HttpResponse::Created().json(TagDto::from(&tag)))
}

/// `GET /v1/tags/{id}`: one of the caller's tags.
#[utoipa::path(
    get,
    path = "/v1/tags/{id}",
    operation_id = "get_tag",
    tag = "tags",
    params(("id" = Uuid, Path, description = "The tag's id")),
    responses(
        (status = 200, description = "The tag", body = TagDto),
        (status = 400, description = "`INVALID_PARAMETER` (malformed id)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TAG_NOT_FOUND`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/tags/{id}")]
#[get("/api/v1/tags/{id}", name = "api_v1_get_tag")]
pub async fn get_tag(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = TagId::new(path::uuid(&id)?);
    let tag = state
        .planning
        .tag(user.0.user_id, id)
        .await
        .map_err(tag_error)?;
    Ok(HttpResponse::Ok().json(TagDto::from(&tag)))
}

/// `PATCH /v1/tags/{id}`: renames or recolors one of the caller's tags.
#[utoipa::path(
    patch,
    path = "/v1/tags/{id}",
    operation_id = "update_tag",
    tag = "tags",
    params(("id" = Uuid, Path, description = "The tag's id")),
    request_body = PatchTagRequest,
    responses(
        (status = 200, description = "The tag as stored", body = TagDto),
        (status = 400, description = "`INVALID_PARAMETER` (malformed id)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TAG_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`DUPLICATE_NAME`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 422, description = "`VALIDATION_FAILED` naming the field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[patch("/v1/tags/{id}")]
#[patch("/api/v1/tags/{id}", name = "api_v1_update_tag")]
pub async fn update_tag(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    payload: JsonBody<PatchTagRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = TagId::new(path::uuid(&id)?);
    let patch = payload.0.try_into_domain()?;
    let tag = state
        .planning
        .patch_tag(user.0.user_id, id, patch)
        .await
        .map_err(tag_error)?;
    Ok(HttpResponse::Ok().json(TagDto::from(&tag)))
}

/// `DELETE /v1/tags/{id}`: deletes one of the caller's tags everywhere.
#[utoipa::path(
    delete,
    path = "/v1/tags/{id}",
    operation_id = "delete_tag",
    tag = "tags",
    params(("id" = Uuid, Path, description = "The tag's id")),
    responses(
        (status = 204, description = "Deleted and removed from every timer, schedule and todo; each affected timer gets `version` + 1 and `timer.updated{action:\"update\"}`"),
        (status = 400, description = "`INVALID_PARAMETER` (malformed id)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TAG_NOT_FOUND`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[delete("/v1/tags/{id}")]
#[delete("/api/v1/tags/{id}", name = "api_v1_delete_tag")]
pub async fn delete_tag(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = TagId::new(path::uuid(&id)?);
    state
        .planning
        .delete_tag(user.0.user_id, id)
        .await
        .map_err(tag_error)?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::body;
    use actix_web::test::TestRequest;
    use hourglass_ports::planning::PlanningError;

    use crate::http::testing::{Ports, call, error_of};

    #[test]
    fn create_checks_name_and_color() -> Result<(), BodyError> {
        let new =
            body::from_json::<CreateTagRequest>(json!({"name": " focus ", "color": "#a1b2c3"}))?
                .try_into_domain()?;
        assert_eq!(
            (new.name.as_str(), new.color.as_str()),
            ("focus", "#A1B2C3")
        );
        let bad = body::from_json::<CreateTagRequest>(json!({"name": "x", "color": "red"}))?;
        let Err(error) = bad.try_into_domain() else {
            panic!("must be refused")
        };
        assert!(
            error.0.starts_with("color must be written #RRGGBB"),
            "{error}"
        );
        let Err(error) = body::from_json::<CreateTagRequest>(json!({"name": "x"})) else {
            panic!("must be refused")
        };
        assert!(error.0.contains("color"), "{error}");
        Ok(())
    }

    #[actix_web::test]
    async fn a_name_already_used_is_409_duplicate_name() {
        let mut ports = Ports::signed_in();
        ports
            .tags
            .expect_insert()
            .returning(|_| Err(PlanningError::DuplicateName));
        let request = TestRequest::post()
            .uri("/v1/tags")
            .set_json(json!({"name": "focus", "color": "#A1B2C3"}));
        assert_eq!(
            error_of(call(ports, request).await).await,
            (409, "DUPLICATE_NAME".to_owned())
        );
    }

    #[actix_web::test]
    async fn a_missing_tag_is_404_tag_not_found() {
        let mut ports = Ports::signed_in();
        ports.tags.expect_find().returning(|_, _| Ok(None));
        let request = TestRequest::get().uri("/api/v1/tags/01944f2a-0000-7000-8000-000000000004");
        assert_eq!(
            error_of(call(ports, request).await).await,
            (404, "TAG_NOT_FOUND".to_owned())
        );
    }
}
