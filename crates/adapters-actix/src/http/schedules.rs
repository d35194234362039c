//! Schedule routes: owner-scoped CRUD over [`PlanningService`].
//!
//! A schedule is only ever visible to its owner: another user's is 404 `SCHEDULE_NOT_FOUND`.
//! Deleting one keeps its timers with `schedule_id: null` (each announced as updated).
//!
//! [`PlanningService`]: hourglass_ports::service::planning::PlanningService

use actix_web::{HttpRequest, HttpResponse, routes, web};
use hourglass_domain::ids::{ScheduleId, TagId};
use hourglass_domain::planning::ScheduleWindow;
use hourglass_domain::validation::{Description, Title};
use hourglass_ports::planning::ScheduleFilter;
use hourglass_ports::service::planning::{NewSchedule, PlanningServiceError, SchedulePatch};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::edge::auth::CurrentUser;
use crate::edge::dto::ScheduleDto;
use crate::edge::error::{ApiError, ErrorBody, PlanningObject};
use crate::edge::middleware::body::JsonBody;
use crate::edge::query::{DayEdge, QueryError, QueryParams};
use crate::http::body::{self, BodyError, not_null, tag_update, tri};
use crate::http::{paging, path};
use crate::state::AppState;

/// The body of `POST /v1/schedules`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateScheduleRequest {
    /// At most 200 characters.
    #[schema(max_length = 200)]
    pub title: String,
    /// At most 2000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// ISO-8601 datetime, naive (UTC) or with an offset.
    pub start_time: String,
    /// ISO-8601 datetime, not before `start_time`.
    pub end_time: String,
    /// The caller's tags.
    #[serde(default)]
    pub tag_ids: Option<Vec<Uuid>>,
}

impl CreateScheduleRequest {
    /// The new schedule, with every value checked.
    ///
    /// # Errors
    /// [`BodyError`] naming the field.
    pub fn try_into_domain(self) -> Result<NewSchedule, BodyError> {
        let start = body::instant("start_time", &self.start_time)?;
        let end = body::instant("end_time", &self.end_time)?;
        Ok(NewSchedule {
            title: Title::new(self.title)?,
            description: self.description.map(Description::new).transpose()?,
            window: ScheduleWindow::new(start, end)?,
            tag_ids: self
                .tag_ids
                .unwrap_or_default()
                .into_iter()
                .map(TagId::new)
                .collect(),
        })
    }
}

/// The body of `PATCH /v1/schedules/{id}`: absent keeps, a value sets; `description` and
/// `tag_ids` may be `null` to clear; `title`, `start_time` and `end_time` may not.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PatchScheduleRequest {
    /// At most 200 characters; not null.
    #[serde(default, deserialize_with = "tri")]
    #[schema(max_length = 200)]
    pub title: Option<Option<String>>,
    /// At most 2000 characters; `null` clears.
    #[serde(default, deserialize_with = "tri")]
    #[schema(max_length = 2000)]
    pub description: Option<Option<String>>,
    /// New start; not null.
    #[serde(default, deserialize_with = "tri")]
    pub start_time: Option<Option<String>>,
    /// New end; not null, not before the start.
    #[serde(default, deserialize_with = "tri")]
    pub end_time: Option<Option<String>>,
    /// Replaces the tag set; `null` or `[]` removes every tag.
    #[serde(default, deserialize_with = "tri")]
    pub tag_ids: Option<Option<Vec<Uuid>>>,
}

impl PatchScheduleRequest {
    /// The domain change, with every value checked (the window is checked by the service
    /// against the stored start or end).
    ///
    /// # Errors
    /// [`BodyError`] naming the field.
    pub fn try_into_domain(self) -> Result<SchedulePatch, BodyError> {
        Ok(SchedulePatch {
            title: not_null("title", self.title)?.map(Title::new).transpose()?,
            description: body::update(self.description, |d| Ok(Description::new(d)?))?,
            start_time: not_null("start_time", self.start_time)?
                .map(|raw| body::instant("start_time", &raw))
                .transpose()?,
            end_time: not_null("end_time", self.end_time)?
                .map(|raw| body::instant("end_time", &raw))
                .transpose()?,
            tag_ids: tag_update(self.tag_ids),
        })
    }
}

fn schedule_error(error: PlanningServiceError) -> ApiError {
    ApiError::planning(PlanningObject::Schedule, error)
}

/// `GET /v1/schedules`: the caller's schedules, newest first.
#[utoipa::path(
    get,
    path = "/v1/schedules",
    operation_id = "list_schedules",
    tag = "schedules",
    params(
        ("start_date" = Option<String>, Query, description = "`start_time >= start_date`: a datetime, or `YYYY-MM-DD` (start of that day in `timezone`, else UTC)"),
        ("end_date" = Option<String>, Query, description = "`start_time <= end_date`: a datetime, or `YYYY-MM-DD` (end of that day)"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written and plain dates read"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100, default 50"),
        ("cursor" = Option<String>, Query, description = "The `X-Next-Cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page, newest first", body = [ScheduleDto],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last page"))),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/schedules")]
#[get("/api/v1/schedules", name = "api_v1_list_schedules")]
pub async fn list_schedules(
    state: web::Data<AppState>,
    user: CurrentUser,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string());
    let zone = params.timezone()?;
    let filter = ScheduleFilter {
        start_from: params.instant("start_date", &zone, DayEdge::Start)?,
        start_to: params.instant("end_date", &zone, DayEdge::End)?,
    };
    if let (Some(from), Some(to)) = (filter.start_from, filter.start_to)
        && from > to
    {
        return Err(
            QueryError::invalid("start_date", "start_date must not be after end_date").into(),
        );
    }
    let page = paging::page_request(paging::SCHEDULES, &params)?;
    let page = state
        .planning
        .schedules(user.0.user_id, filter, page)
        .await?;
    let items: Vec<ScheduleDto> = page
        .items
        .iter()
        .map(|s| ScheduleDto::render(s, &zone))
        .collect();
    Ok(paging::page_response(paging::SCHEDULES, &items, page.next))
}

/// `POST /v1/schedules`: creates a schedule.
#[utoipa::path(
    post,
    path = "/v1/schedules",
    operation_id = "create_schedule",
    tag = "schedules",
    params(("timezone" = Option<String>, Query, description = "How datetimes of the answer are written")),
    request_body = CreateScheduleRequest,
    responses(
        (status = 201, description = "Created", body = ScheduleDto),
        (status = 400, description = "`INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TAG_NOT_FOUND`: a tag that is unknown or another user's", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 422, description = "`VALIDATION_FAILED` naming the field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[post("/v1/schedules")]
#[post("/api/v1/schedules", name = "api_v1_create_schedule")]
pub async fn create_schedule(
    state: web::Data<AppState>,
    user: CurrentUser,
    request: HttpRequest,
    payload: JsonBody<CreateScheduleRequest>,
) -> Result<HttpResponse, ApiError> {
    let zone = QueryParams::parse(request.query_string()).timezone()?;
    let new = payload.0.try_into_domain()?;
    let schedule = state
        .planning
        .create_schedule(user.0.user_id, new)
        .await
        .map_err(schedule_error)?;
    Ok(HttpResponse::Created().json(ScheduleDto::render(&schedule, &zone)))
}

/// `GET /v1/schedules/{id}`: one of the caller's schedules.
#[utoipa::path(
    get,
    path = "/v1/schedules/{id}",
    operation_id = "get_schedule",
    tag = "schedules",
    params(
        ("id" = Uuid, Path, description = "The schedule's id"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
    ),
    responses(
        (status = 200, description = "The schedule", body = ScheduleDto),
        (status = 400, description = "`INVALID_PARAMETER` (malformed id) or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`SCHEDULE_NOT_FOUND`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/schedules/{id}")]
#[get("/api/v1/schedules/{id}", name = "api_v1_get_schedule")]
pub async fn get_schedule(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = ScheduleId::new(path::uuid(&id)?);
    let zone = QueryParams::parse(request.query_string()).timezone()?;
    let schedule = state
        .planning
        .schedule(user.0.user_id, id)
        .await
        .map_err(schedule_error)?;
    Ok(HttpResponse::Ok().json(ScheduleDto::render(&schedule, &zone)))
}

/// `PATCH /v1/schedules/{id}`: changes one of the caller's schedules.
#[utoipa::path(
    patch,
    path = "/v1/schedules/{id}",
    operation_id = "update_schedule",
    tag = "schedules",
    params(
        ("id" = Uuid, Path, description = "The schedule's id"),
        ("timezone" = Option<String>, Query, description = "How datetimes of the answer are written"),
    ),
    request_body = PatchScheduleRequest,
    responses(
        (status = 200, description = "The schedule as stored", body = ScheduleDto),
        (status = 400, description = "`INVALID_PARAMETER` (malformed id) or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`SCHEDULE_NOT_FOUND`, or `TAG_NOT_FOUND` for a foreign or unknown tag", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 422, description = "`VALIDATION_FAILED` naming the field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[patch("/v1/schedules/{id}")]
#[patch("/api/v1/schedules/{id}", name = "api_v1_update_schedule")]
pub async fn update_schedule(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
    payload: JsonBody<PatchScheduleRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = ScheduleId::new(path::uuid(&id)?);
    let zone = QueryParams::parse(request.query_string()).timezone()?;
    let patch = payload.0.try_into_domain()?;
    let schedule = state
        .planning
        .patch_schedule(user.0.user_id, id, patch)
        .await
        .map_err(schedule_error)?;
    Ok(HttpResponse::Ok().json(ScheduleDto::render(&schedule, &zone)))
}

/// `DELETE /v1/schedules/{id}`: deletes one of the caller's schedules; its timers stay.
#[utoipa::path(
    delete,
    path = "/v1/schedules/{id}",
    operation_id = "delete_schedule",
    tag = "schedules",
    params(("id" = Uuid, Path, description = "The schedule's id")),
    responses(
        (status = 204, description = "Deleted; its timers now have `schedule_id: null`, `version` + 1, and are announced with `timer.updated{action:\"update\"}`"),
        (status = 400, description = "`INVALID_PARAMETER` (malformed id)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`SCHEDULE_NOT_FOUND`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[delete("/v1/schedules/{id}")]
#[delete("/api/v1/schedules/{id}", name = "api_v1_delete_schedule")]
pub async fn delete_schedule(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ScheduleId::new(path::uuid(&id)?);
    state
        .planning
        .delete_schedule(user.0.user_id, id)
        .await
        .map_err(schedule_error)?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use hourglass_domain::timer::FieldUpdate;
    use serde_json::json;

    use super::*;
    use actix_web::test::TestRequest;
    use hourglass_ports::planning::PlanningError;

    use crate::http::testing::{Ports, call, error_of};

    #[test]
    fn create_checks_every_field() -> Result<(), BodyError> {
        let ok: CreateScheduleRequest = body::from_json(json!({
            "title": "Standup",
            "start_time": "2026-01-28T10:00:00",
            "end_time": "2026-01-28T19:30:00+09:00"
        }))?;
        let new = ok.try_into_domain()?;
        assert_eq!(new.window.start_time().to_string(), "2026-01-28T10:00:00Z");
        assert_eq!(new.window.end_time().to_string(), "2026-01-28T10:30:00Z");
        assert!(new.tag_ids.is_empty() && new.description.is_none());

        let missing = body::from_json::<CreateScheduleRequest>(json!({"title": "x"}));
        let Err(error) = missing else {
            panic!("must be refused")
        };
        assert!(error.0.contains("start_time"), "{error}");

        let backwards: CreateScheduleRequest = body::from_json(json!({
            "title": "x", "start_time": "2026-01-28T10:00:00", "end_time": "2026-01-28T09:00:00"
        }))?;
        let Err(error) = backwards.try_into_domain() else {
            panic!("must be refused")
        };
        assert_eq!(error.0, "end_time must not be before start_time");
        Ok(())
    }

    #[test]
    fn patch_refuses_null_for_required_fields() -> Result<(), BodyError> {
        let request: PatchScheduleRequest = body::from_json(json!({"title": null}))?;
        let Err(error) = request.try_into_domain() else {
            panic!("must be refused")
        };
        assert_eq!(error.0, "title must not be null");
        let request: PatchScheduleRequest =
            body::from_json(json!({"description": null, "tag_ids": null}))?;
        let patch = request.try_into_domain()?;
        assert_eq!(patch.description, FieldUpdate::Clear);
        assert_eq!(patch.tag_ids, FieldUpdate::Clear);
        assert_eq!(patch.title, None);
        Ok(())
    }

    const SCHEDULE: &str = "01944f2a-0000-7000-8000-000000000002";

    #[actix_web::test]
    async fn a_missing_or_foreign_schedule_is_404() {
        let mut ports = Ports::signed_in();
        ports.schedules.expect_find().returning(|_, _| Ok(None));
        let request = TestRequest::get().uri(&format!("/v1/schedules/{SCHEDULE}"));
        assert_eq!(
            error_of(call(ports, request).await).await,
            (404, "SCHEDULE_NOT_FOUND".to_owned())
        );
    }

    #[actix_web::test]
    async fn a_foreign_tag_is_404_tag_not_found() {
        let mut ports = Ports::signed_in();
        ports
            .schedules
            .expect_insert()
            .returning(|_| Err(PlanningError::UnknownTag));
        let request = TestRequest::post()
            .uri("/api/v1/schedules")
            .set_json(json!({
                "title": "Standup",
                "start_time": "2026-01-28T10:00:00",
                "end_time": "2026-01-28T10:30:00",
                "tag_ids": ["01944f2a-0000-7000-8000-000000000009"]
            }));
        assert_eq!(
            error_of(call(ports, request).await).await,
            (404, "TAG_NOT_FOUND".to_owned())
        );
    }

    #[actix_web::test]
    async fn an_end_before_the_start_is_422() {
        let request = TestRequest::post().uri("/v1/schedules").set_json(json!({
            "title": "Standup",
            "start_time": "2026-01-28T10:00:00",
            "end_time": "2026-01-28T09:00:00"
        }));
        assert_eq!(
            error_of(call(Ports::signed_in(), request).await).await,
            (422, "VALIDATION_FAILED".to_owned())
        );
    }
}
