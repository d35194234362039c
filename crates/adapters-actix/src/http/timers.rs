//! Timer routes: list, the newest active timer, one timer, PATCH, DELETE, and the timers of a
//! schedule or todo.
//!
//! Creating and controlling timers is WebSocket-only (the contract); REST reads, edits metadata
//! and deletes. Each handler parses the request, calls [`TimerService`] (which announces changes
//! after commit) and renders with [`render`](super::render). Another user's timer that the caller
//! may not read is 404 `TIMER_NOT_FOUND`, exactly like a missing one, never 403.
//!
//! Every route answers under `/v1` (the contract's paths, which the OpenAPI annotations
//! document) and under `/api/v1`: `#[routes]` with one method attribute per prefix.
//!
//! [`TimerService`]: hourglass_ports::service::timer::TimerService

use actix_web::{HttpRequest, HttpResponse, routes, web};
use hourglass_domain::ids::{ScheduleId, TimerId, TodoId, UserId};
use hourglass_domain::timer::{TimerPatch, TimerStatus};
use hourglass_domain::validation::{AllocatedDuration, Description, Title, Visibility};
use hourglass_ports::page::PageRequest;
use hourglass_ports::timer::{TimerFilter, TimerKind, TimerListQuery, TimerScope};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::edge::auth::CurrentUser;
use crate::edge::dto::TimerDto;
use crate::edge::error::{ApiError, ErrorBody, PlanningObject};
use crate::edge::middleware::body::JsonBody;
use crate::edge::query::{DayEdge, QueryError, QueryParams};
use crate::http::body::{self, BodyError, tri};
use crate::http::render::{ViewOptions, render_timer, render_timers};
use crate::http::{paging, path};
use crate::state::AppState;

/// The filters shared by every timer list; `scope` only where the route has one.
fn list_query(
    params: &QueryParams,
    options: &ViewOptions,
    viewer: UserId,
    with_scope: bool,
) -> Result<TimerListQuery, QueryError> {
    let scope = if with_scope {
        params
            .enum_value("scope", "mine, shared, all", |raw| {
                [
                    ("mine", TimerScope::Mine),
                    ("shared", TimerScope::Shared),
                    ("all", TimerScope::All),
                ]
                .into_iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(raw))
                .map(|(_, scope)| scope)
            })?
            .unwrap_or_default()
    } else {
        TimerScope::Mine
    };
    let statuses = params.enum_list("status", "RUNNING, PAUSED, COMPLETED, CANCELLED", |raw| {
        raw.parse::<TimerStatus>().ok()
    })?;
    let kind = params.enum_value("type", "independent, schedule, todo", |raw| {
        [
            ("independent", TimerKind::Independent),
            ("schedule", TimerKind::Schedule),
            ("todo", TimerKind::Todo),
        ]
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(raw))
        .map(|(_, kind)| kind)
    })?;
    let started_from = params.instant("start_date", &options.zone, DayEdge::Start)?;
    let started_to = params.instant("end_date", &options.zone, DayEdge::End)?;
    if let (Some(from), Some(to)) = (started_from, started_to)
        && from > to
    {
        return Err(QueryError::invalid(
            "start_date",
            "start_date must not be after end_date",
        ));
    }
    Ok(TimerListQuery {
        viewer,
        filter: TimerFilter {
            scope,
            statuses,
            kind,
            started_from,
            started_to,
            schedule_id: None,
            todo_id: None,
        },
        page: paging::page_request(paging::TIMERS, params)?,
    })
}

/// Runs a list query and answers with the rendered page and its `X-Next-Cursor`.
async fn respond_with_page(
    state: &AppState,
    viewer: UserId,
    query: &TimerListQuery,
    options: &ViewOptions,
) -> Result<HttpResponse, ApiError> {
    let page = state.timers.list(query).await?;
    let body = render_timers(state, viewer, &page.items, options).await?;
    Ok(paging::page_response(paging::TIMERS, &body, page.next))
}

/// The newest RUNNING or PAUSED timer of a filtered list (schedule/todo `…/active`).
async fn newest_active_in(
    state: &AppState,
    viewer: UserId,
    filter: TimerFilter,
    options: &ViewOptions,
) -> Result<HttpResponse, ApiError> {
    let query = TimerListQuery {
        viewer,
        filter: TimerFilter {
            scope: TimerScope::Mine,
            statuses: vec![TimerStatus::Running, TimerStatus::Paused],
            ..filter
        },
        page: PageRequest {
            limit: 1,
            after: None,
        },
    };
    let page = state.timers.list(&query).await?;
    let Some(timer) = page.items.first() else {
        return Err(ApiError::no_active_timer());
    };
    Ok(HttpResponse::Ok().json(render_timer(state, viewer, timer, options).await?))
}

/// `GET /v1/timers`: the caller's timers, their friends' shared ones, or both, newest first.
#[utoipa::path(
    get,
    path = "/v1/timers",
    operation_id = "list_timers",
    tag = "timers",
    params(
        ("scope" = Option<String>, Query, description = "`mine` (default), `shared` (friends' timers with visibility `friends` or `public`), `all`"),
        ("status" = Option<Vec<String>>, Query, description = "RUNNING, PAUSED, COMPLETED, CANCELLED (any case); repeat it (`status=A&status=B`), use `status[]=A`, or comma-separate (`status=A,B`)", explode = true),
        ("type" = Option<String>, Query, description = "`independent` (no link), `schedule` (schedule linked), `todo` (todo linked)"),
        ("start_date" = Option<String>, Query, description = "`started_at >= start_date`: an ISO-8601 datetime (naive = UTC, or with an offset) or `YYYY-MM-DD` (start of that day in `timezone`, else UTC)"),
        ("end_date" = Option<String>, Query, description = "`started_at <= end_date`: a datetime, or `YYYY-MM-DD` (end of that day in `timezone`, else UTC); `start_date > end_date` is 400"),
        ("include_schedule" = Option<bool>, Query, description = "Embed the linked schedule when the caller may read it (their own), else `null`"),
        ("include_todo" = Option<bool>, Query, description = "Embed the linked todo when the caller may read it (their own), else `null`"),
        ("tag_include_mode" = Option<String>, Query, description = "`none` (default, `tags: []`), `timer_only`, `inherit_from_schedule` (own ∪ the schedule's, or the todo's when there is no schedule)"),
        ("timezone" = Option<String>, Query, description = "`UTC`, `Z`, an offset (`+09:00`, `+0900`, `+9`) or an IANA name (`Asia/Seoul`); without it datetimes are naive UTC"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 200, default 50"),
        ("cursor" = Option<String>, Query, description = "The `X-Next-Cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page, newest first", body = [TimerDto],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last page"))),
        (status = 400, description = "`INVALID_PARAMETER` naming the parameter, or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/timers")]
#[get("/api/v1/timers", name = "api_v1_list_timers")]
pub async fn list_timers(
    state: web::Data<AppState>,
    user: CurrentUser,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let viewer = user.0.user_id;
    let params = QueryParams::parse(request.query_string());
    let options = ViewOptions::from_query(&params)?;
    let query = list_query(&params, &options, viewer, true)?;
    respond_with_page(&state, viewer, &query, &options).await
}

/// `GET /v1/timers/active`: the caller's newest RUNNING or PAUSED timer.
#[utoipa::path(
    get,
    path = "/v1/timers/active",
    operation_id = "get_active_timer",
    tag = "timers",
    params(
        ("include_schedule" = Option<bool>, Query, description = "Embed the linked schedule"),
        ("include_todo" = Option<bool>, Query, description = "Embed the linked todo"),
        ("tag_include_mode" = Option<String>, Query, description = "`none`, `timer_only`, `inherit_from_schedule`"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
    ),
    responses(
        (status = 200, description = "The newest active timer", body = TimerDto),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`NO_ACTIVE_TIMER`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/timers/active")]
#[get("/api/v1/timers/active", name = "api_v1_get_active_timer")]
pub async fn get_active_timer(
    state: web::Data<AppState>,
    user: CurrentUser,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let viewer = user.0.user_id;
    let options = ViewOptions::from_query(&QueryParams::parse(request.query_string()))?;
    let Some(timer) = state.timers.newest_active(viewer).await? else {
        return Err(ApiError::no_active_timer());
    };
    Ok(HttpResponse::Ok().json(render_timer(&state, viewer, &timer, &options).await?))
}

/// `GET /v1/timers/{id}`: the caller's own timer, or another user's they may read.
#[utoipa::path(
    get,
    path = "/v1/timers/{id}",
    operation_id = "get_timer",
    tag = "timers",
    params(
        ("id" = Uuid, Path, description = "The timer's id"),
        ("include_schedule" = Option<bool>, Query, description = "Embed the linked schedule when readable"),
        ("include_todo" = Option<bool>, Query, description = "Embed the linked todo when readable"),
        ("tag_include_mode" = Option<String>, Query, description = "`none`, `timer_only`, `inherit_from_schedule`"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
    ),
    responses(
        (status = 200, description = "The timer; `is_shared` is true when the caller is not the owner", body = TimerDto),
        (status = 400, description = "`INVALID_PARAMETER` (e.g. a malformed id) or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TIMER_NOT_FOUND`: missing, or not readable by the caller", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/timers/{id}")]
#[get("/api/v1/timers/{id}", name = "api_v1_get_timer")]
pub async fn get_timer(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let viewer = user.0.user_id;
    let id = TimerId::new(path::uuid(&id)?);
    let options = ViewOptions::from_query(&QueryParams::parse(request.query_string()))?;
    let timer = state.timers.readable(viewer, id).await?;
    Ok(HttpResponse::Ok().json(render_timer(&state, viewer, &timer, &options).await?))
}

/// The body of `PATCH /v1/timers/{id}`: every field optional; absent keeps, `null` clears,
/// a value sets.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PatchTimerRequest {
    /// At most 200 characters; `null` clears.
    #[serde(default, deserialize_with = "tri")]
    #[schema(max_length = 200)]
    pub title: Option<Option<String>>,
    /// At most 2000 characters; `null` clears.
    #[serde(default, deserialize_with = "tri")]
    #[schema(max_length = 2000)]
    pub description: Option<Option<String>>,
    /// The caller's tags, replacing the current set; `null` or `[]` removes every tag.
    #[serde(default, deserialize_with = "tri")]
    pub tag_ids: Option<Option<Vec<Uuid>>>,
    /// One of the caller's schedules; `null` unlinks.
    #[serde(default, deserialize_with = "tri")]
    pub schedule_id: Option<Option<Uuid>>,
    /// One of the caller's todos; `null` unlinks.
    #[serde(default, deserialize_with = "tri")]
    pub todo_id: Option<Option<Uuid>>,
    /// `private`, `friends` or `public`; `null` restores the default `friends`.
    #[serde(default, deserialize_with = "tri")]
    pub visibility: Option<Option<String>>,
    /// Seconds, 1 to 86400; moves the instant the timer's time is up (`timer.time_up`), which
    /// goes off again for the new value. Cannot be `null`.
    #[serde(default, deserialize_with = "tri")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 86400)]
    pub allocated_duration: Option<Option<i64>>,
}

impl PatchTimerRequest {
    /// The domain change, with every value checked.
    ///
    /// # Errors
    /// [`BodyError`] naming the field that is out of range.
    pub fn try_into_domain(self) -> Result<TimerPatch, BodyError> {
        Ok(TimerPatch {
            title: body::update(self.title, |t| Ok(Title::new(t)?))?,
            description: body::update(self.description, |d| Ok(Description::new(d)?))?,
            schedule_id: body::update(self.schedule_id, |id| Ok(ScheduleId::new(id)))?,
            todo_id: body::update(self.todo_id, |id| Ok(TodoId::new(id)))?,
            tag_ids: body::tag_update(self.tag_ids),
            visibility: match self.visibility {
                None => None,
                Some(None) => Some(Visibility::default()),
                Some(Some(raw)) => Some(raw.parse::<Visibility>()?),
            },
            allocated_duration: body::not_null("allocated_duration", self.allocated_duration)?
                .map(AllocatedDuration::new)
                .transpose()?,
        })
    }
}

/// `PATCH /v1/timers/{id}`: changes the caller's timer's metadata.
#[utoipa::path(
    patch,
    path = "/v1/timers/{id}",
    operation_id = "update_timer",
    tag = "timers",
    params(
        ("id" = Uuid, Path, description = "The timer's id"),
        ("timezone" = Option<String>, Query, description = "How datetimes of the answer are written"),
    ),
    request_body = PatchTimerRequest,
    responses(
        (status = 200, description = "The timer as stored. A change bumps `version` and sends `timer.updated{action:\"update\"}` to the owner's connections; a PATCH that changes nothing does neither. Making a RUNNING or PAUSED `friends`/`public` timer `private` also sends `timer.friend_activity{action:\"hidden\"}` to the owner's online friends", body = TimerDto),
        (status = 400, description = "`INVALID_PARAMETER` (malformed id) or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TIMER_NOT_FOUND` (missing or not the caller's), `SCHEDULE_NOT_FOUND`, `TODO_NOT_FOUND`, `TAG_NOT_FOUND` (a link that is unknown or another user's)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 422, description = "`VALIDATION_FAILED` naming the field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[patch("/v1/timers/{id}")]
#[patch("/api/v1/timers/{id}", name = "api_v1_update_timer")]
pub async fn update_timer(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
    payload: JsonBody<PatchTimerRequest>,
) -> Result<HttpResponse, ApiError> {
    let owner = user.0.user_id;
    let id = TimerId::new(path::uuid(&id)?);
    let options = ViewOptions::from_query(&QueryParams::parse(request.query_string()))?;
    let patch = payload.0.try_into_domain()?;
    let timer = state.timers.patch(owner, id, patch).await?;
    Ok(HttpResponse::Ok().json(render_timer(&state, owner, &timer, &options).await?))
}

/// `DELETE /v1/timers/{id}`: deletes the caller's timer, whatever its status.
#[utoipa::path(
    delete,
    path = "/v1/timers/{id}",
    operation_id = "delete_timer",
    tag = "timers",
    params(("id" = Uuid, Path, description = "The timer's id")),
    responses(
        (status = 204, description = "Deleted; the owner's connections get `timer.deleted{timer_id}`"),
        (status = 400, description = "`INVALID_PARAMETER` (malformed id)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TIMER_NOT_FOUND` (missing or not the caller's)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[delete("/v1/timers/{id}")]
#[delete("/api/v1/timers/{id}", name = "api_v1_delete_timer")]
pub async fn delete_timer(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = TimerId::new(path::uuid(&id)?);
    state.timers.delete(user.0.user_id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /v1/schedules/{id}/timers`: the caller's timers on their schedule.
#[utoipa::path(
    get,
    path = "/v1/schedules/{id}/timers",
    operation_id = "list_schedule_timers",
    tag = "timers",
    params(
        ("id" = Uuid, Path, description = "The schedule's id"),
        ("status" = Option<Vec<String>>, Query, description = "As for `GET /v1/timers`", explode = true),
        ("type" = Option<String>, Query, description = "As for `GET /v1/timers`"),
        ("start_date" = Option<String>, Query, description = "As for `GET /v1/timers`"),
        ("end_date" = Option<String>, Query, description = "As for `GET /v1/timers`"),
        ("include_schedule" = Option<bool>, Query, description = "Embed the schedule"),
        ("include_todo" = Option<bool>, Query, description = "Embed the linked todo"),
        ("tag_include_mode" = Option<String>, Query, description = "`none`, `timer_only`, `inherit_from_schedule`"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 200, default 50"),
        ("cursor" = Option<String>, Query, description = "The `X-Next-Cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page, newest first", body = [TimerDto],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last page"))),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`SCHEDULE_NOT_FOUND` (missing or not the caller's)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/schedules/{id}/timers")]
#[get("/api/v1/schedules/{id}/timers", name = "api_v1_list_schedule_timers")]
pub async fn list_schedule_timers(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let parent = Parent::Schedule(ScheduleId::new(path::uuid(&id)?));
    list_timers_of(&state, user.0.user_id, parent, &request).await
}

/// `GET /v1/schedules/{id}/timers/active`: the caller's newest active timer on that schedule.
#[utoipa::path(
    get,
    path = "/v1/schedules/{id}/timers/active",
    operation_id = "get_active_schedule_timer",
    tag = "timers",
    params(
        ("id" = Uuid, Path, description = "The schedule's id"),
        ("include_schedule" = Option<bool>, Query, description = "Embed the schedule"),
        ("include_todo" = Option<bool>, Query, description = "Embed the linked todo"),
        ("tag_include_mode" = Option<String>, Query, description = "`none`, `timer_only`, `inherit_from_schedule`"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
    ),
    responses(
        (status = 200, description = "The newest RUNNING or PAUSED timer on the schedule", body = TimerDto),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`SCHEDULE_NOT_FOUND`, or `NO_ACTIVE_TIMER`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/schedules/{id}/timers/active")]
#[get(
    "/api/v1/schedules/{id}/timers/active",
    name = "api_v1_get_active_schedule_timer"
)]
pub async fn get_active_schedule_timer(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let parent = Parent::Schedule(ScheduleId::new(path::uuid(&id)?));
    newest_active_of(&state, user.0.user_id, parent, &request).await
}

/// `GET /v1/todos/{id}/timers`: the caller's timers on their todo.
#[utoipa::path(
    get,
    path = "/v1/todos/{id}/timers",
    operation_id = "list_todo_timers",
    tag = "timers",
    params(
        ("id" = Uuid, Path, description = "The todo's id"),
        ("status" = Option<Vec<String>>, Query, description = "As for `GET /v1/timers`", explode = true),
        ("type" = Option<String>, Query, description = "As for `GET /v1/timers`"),
        ("start_date" = Option<String>, Query, description = "As for `GET /v1/timers`"),
        ("end_date" = Option<String>, Query, description = "As for `GET /v1/timers`"),
        ("include_schedule" = Option<bool>, Query, description = "Embed the linked schedule"),
        ("include_todo" = Option<bool>, Query, description = "Embed the todo"),
        ("tag_include_mode" = Option<String>, Query, description = "`none`, `timer_only`, `inherit_from_schedule`"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 200, default 50"),
        ("cursor" = Option<String>, Query, description = "The `X-Next-Cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page, newest first", body = [TimerDto],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last page"))),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TODO_NOT_FOUND` (missing or not the caller's)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/todos/{id}/timers")]
#[get("/api/v1/todos/{id}/timers", name = "api_v1_list_todo_timers")]
pub async fn list_todo_timers(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let parent = Parent::Todo(TodoId::new(path::uuid(&id)?));
    list_timers_of(&state, user.0.user_id, parent, &request).await
}

/// `GET /v1/todos/{id}/timers/active`: the caller's newest active timer on that todo.
#[utoipa::path(
    get,
    path = "/v1/todos/{id}/timers/active",
    operation_id = "get_active_todo_timer",
    tag = "timers",
    params(
        ("id" = Uuid, Path, description = "The todo's id"),
        ("include_schedule" = Option<bool>, Query, description = "Embed the linked schedule"),
        ("include_todo" = Option<bool>, Query, description = "Embed the todo"),
        ("tag_include_mode" = Option<String>, Query, description = "`none`, `timer_only`, `inherit_from_schedule`"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
    ),
    responses(
        (status = 200, description = "The newest RUNNING or PAUSED timer on the todo", body = TimerDto),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TODO_NOT_FOUND`, or `NO_ACTIVE_TIMER`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/todos/{id}/timers/active")]
#[get(
    "/api/v1/todos/{id}/timers/active",
    name = "api_v1_get_active_todo_timer"
)]
pub async fn get_active_todo_timer(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let parent = Parent::Todo(TodoId::new(path::uuid(&id)?));
    newest_active_of(&state, user.0.user_id, parent, &request).await
}

/// The schedule or todo whose timers a nested route lists.
#[derive(Debug, Clone, Copy)]
enum Parent {
    Schedule(ScheduleId),
    Todo(TodoId),
}

impl Parent {
    /// 404 `SCHEDULE_NOT_FOUND` / `TODO_NOT_FOUND` unless it is the viewer's own.
    async fn ensure_owned(self, state: &AppState, viewer: UserId) -> Result<(), ApiError> {
        match self {
            Self::Schedule(id) => state
                .planning
                .schedule(viewer, id)
                .await
                .map(drop)
                .map_err(|e| ApiError::planning(PlanningObject::Schedule, e)),
            Self::Todo(id) => state
                .planning
                .todo(viewer, id)
                .await
                .map(drop)
                .map_err(|e| ApiError::planning(PlanningObject::Todo, e)),
        }
    }

    /// Narrows `filter` to this parent's timers.
    fn narrow(self, filter: &mut TimerFilter) {
        match self {
            Self::Schedule(id) => filter.schedule_id = Some(id),
            Self::Todo(id) => filter.todo_id = Some(id),
        }
    }
}

/// One page of the viewer's timers on `parent` (the nested list routes).
async fn list_timers_of(
    state: &AppState,
    viewer: UserId,
    parent: Parent,
    request: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string());
    let options = ViewOptions::from_query(&params)?;
    let mut query = list_query(&params, &options, viewer, false)?;
    parent.ensure_owned(state, viewer).await?;
    parent.narrow(&mut query.filter);
    respond_with_page(state, viewer, &query, &options).await
}

/// The viewer's newest active timer on `parent` (the nested `/active` routes).
async fn newest_active_of(
    state: &AppState,
    viewer: UserId,
    parent: Parent,
    request: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let options = ViewOptions::from_query(&QueryParams::parse(request.query_string()))?;
    parent.ensure_owned(state, viewer).await?;
    let mut filter = TimerFilter::default();
    parent.narrow(&mut filter);
    newest_active_in(state, viewer, filter, &options).await
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;
    use hourglass_domain::timer::FieldUpdate;
    use hourglass_ports::page::Cursor;
    use hourglass_ports::timer::{DeleteTimerError, TimerLink, UpdateTimerError};
    use serde_json::json;

    use super::*;
    use crate::http::testing::{Ports, call, error_of, now, unavailable};

    const VIEWER: UserId = UserId::new(1);

    fn query(raw: &str) -> Result<TimerListQuery, QueryError> {
        let params = QueryParams::parse(raw);
        let options = ViewOptions::from_query(&params)?;
        list_query(&params, &options, VIEWER, true)
    }

    #[test]
    fn defaults_are_mine_every_status_fifty() -> Result<(), QueryError> {
        let q = query("")?;
        assert_eq!(q.filter, TimerFilter::default());
        assert_eq!(q.page.limit, 50);
        assert_eq!(q.page.after, None);
        Ok(())
    }

    #[test]
    fn every_filter_is_read() -> Result<(), QueryError> {
        let q = query(
            "scope=SHARED&status=running,Paused&status[]=paused&type=Todo\
             &start_date=2026-01-28&end_date=2026-01-28&timezone=%2B09:00&limit=200",
        )?;
        assert_eq!(q.filter.scope, TimerScope::Shared);
        assert_eq!(
            q.filter.statuses,
            vec![TimerStatus::Running, TimerStatus::Paused]
        );
        assert_eq!(q.filter.kind, Some(TimerKind::Todo));
        let (Some(from), Some(to)) = (q.filter.started_from, q.filter.started_to) else {
            panic!("both dates")
        };
        assert_eq!(from.to_string(), "2026-01-27T15:00:00Z");
        assert_eq!(to.to_string(), "2026-01-28T14:59:59Z");
        assert_eq!(q.page.limit, 200);
        Ok(())
    }

    #[test]
    fn refusals_name_their_parameter() {
        for (raw, param) in [
            ("scope=everyone", "scope"),
            ("status=DONE", "status"),
            ("type=both", "type"),
            ("start_date=x", "start_date"),
            ("end_date=2026-02-30", "end_date"),
            ("start_date=2026-01-29&end_date=2026-01-28", "start_date"),
            ("limit=201", "limit"),
            ("cursor=zz", "cursor"),
            ("include_schedule=maybe", "include_schedule"),
        ] {
            let Err(error) = query(raw) else {
                panic!("{raw} must be refused")
            };
            assert!(error.to_string().contains(param), "{raw}: {error}");
        }
        assert!(matches!(
            query("timezone=Mars/Base"),
            Err(QueryError::Timezone(_))
        ));
    }

    #[test]
    fn a_patch_body_maps_to_the_three_cases() -> Result<(), BodyError> {
        let request: PatchTimerRequest = body::from_json(json!({
            "title": "New",
            "description": null,
            "tag_ids": [],
            "visibility": "private"
        }))?;
        let patch = request.try_into_domain()?;
        assert_eq!(patch.title, FieldUpdate::Set(Some(Title::new("New")?)));
        assert_eq!(patch.description, FieldUpdate::Clear);
        assert_eq!(patch.schedule_id, FieldUpdate::Keep);
        assert_eq!(patch.tag_ids, FieldUpdate::Set(Vec::new()));
        assert_eq!(patch.visibility, Some(Visibility::Private));
        Ok(())
    }

    #[test]
    fn patch_values_out_of_range_name_the_field() -> Result<(), BodyError> {
        for (body, field) in [
            (json!({"title": "x".repeat(201)}), "title"),
            (json!({"description": "x".repeat(2001)}), "description"),
            (json!({"visibility": "everyone"}), "visibility"),
        ] {
            let request: PatchTimerRequest = body::from_json(body)?;
            let Err(error) = request.try_into_domain() else {
                panic!("{field} must be refused")
            };
            assert!(error.0.starts_with(field), "{error}");
        }
        Ok(())
    }

    const TIMER: &str = "01944f2a-0000-7000-8000-000000000001";

    #[actix_web::test]
    async fn a_missing_timer_is_404_under_both_prefixes() {
        for prefix in ["/v1", "/api/v1"] {
            let mut ports = Ports::signed_in();
            ports.timers.expect_find().returning(|_| Ok(None));
            let request = TestRequest::get().uri(&format!("{prefix}/timers/{TIMER}"));
            assert_eq!(
                error_of(call(ports, request).await).await,
                (404, "TIMER_NOT_FOUND".to_owned()),
                "{prefix}"
            );
        }
    }

    #[actix_web::test]
    async fn deleting_a_missing_or_foreign_timer_is_404() {
        let mut ports = Ports::signed_in();
        ports
            .timers
            .expect_delete()
            .returning(|_, _| Err(DeleteTimerError::NotFound));
        let request = TestRequest::delete().uri(&format!("/v1/timers/{TIMER}"));
        assert_eq!(
            error_of(call(ports, request).await).await,
            (404, "TIMER_NOT_FOUND".to_owned())
        );
    }

    #[actix_web::test]
    async fn storage_unavailable_is_503() {
        let mut ports = Ports::signed_in();
        ports.timers.expect_list().returning(|_| Err(unavailable()));
        let request = TestRequest::get().uri("/v1/timers");
        assert_eq!(
            error_of(call(ports, request).await).await,
            (503, "SERVICE_UNAVAILABLE".to_owned())
        );
    }

    #[actix_web::test]
    async fn a_foreign_link_is_404_of_the_linked_object() {
        for (link, code) in [
            (TimerLink::Schedule, "SCHEDULE_NOT_FOUND"),
            (TimerLink::Todo, "TODO_NOT_FOUND"),
            (TimerLink::Tag, "TAG_NOT_FOUND"),
        ] {
            let mut ports = Ports::signed_in();
            ports
                .timers
                .expect_update_details()
                .returning(move |_, _, _, _| Err(UpdateTimerError::UnknownLink(link)));
            let request = TestRequest::patch()
                .uri(&format!("/v1/timers/{TIMER}"))
                .set_json(json!({ link.field(): null }));
            assert_eq!(
                error_of(call(ports, request).await).await,
                (404, code.to_owned()),
                "{link:?}"
            );
        }
    }

    #[actix_web::test]
    async fn a_field_out_of_range_is_422_before_any_port() {
        let request = TestRequest::patch()
            .uri(&format!("/api/v1/timers/{TIMER}"))
            .set_json(json!({"title": "x".repeat(201)}));
        assert_eq!(
            error_of(call(Ports::signed_in(), request).await).await,
            (422, "VALIDATION_FAILED".to_owned())
        );
    }

    #[actix_web::test]
    async fn a_bad_cursor_or_id_is_400_before_any_port() {
        let schedule_cursor = paging::encode(
            paging::SCHEDULES,
            &Cursor {
                created_at: now(),
                id: ScheduleId::new(Uuid::nil()),
            },
        );
        for uri in [
            "/v1/timers?cursor=zz".to_owned(),
            format!("/v1/timers?cursor={schedule_cursor}"),
            "/v1/timers?limit=201".to_owned(),
            "/v1/timers/42".to_owned(),
        ] {
            let request = TestRequest::get().uri(&uri);
            assert_eq!(
                error_of(call(Ports::signed_in(), request).await).await,
                (400, "INVALID_PARAMETER".to_owned()),
                "{uri}"
            );
        }
    }

    #[actix_web::test]
    async fn no_running_or_paused_timer_is_404_no_active_timer() {
        let mut ports = Ports::signed_in();
        ports
            .timers
            .expect_list_active()
            .returning(|_| Ok(Vec::new()));
        let request = TestRequest::get().uri("/v1/timers/active");
        assert_eq!(
            error_of(call(ports, request).await).await,
            (404, "NO_ACTIVE_TIMER".to_owned())
        );
    }

    #[actix_web::test]
    async fn the_timers_of_a_foreign_schedule_are_404_schedule_not_found() {
        let mut ports = Ports::signed_in();
        ports.schedules.expect_find().returning(|_, _| Ok(None));
        let request = TestRequest::get().uri(&format!("/v1/schedules/{TIMER}/timers"));
        assert_eq!(
            error_of(call(ports, request).await).await,
            (404, "SCHEDULE_NOT_FOUND".to_owned())
        );
        let mut ports = Ports::signed_in();
        ports
            .todos
            .expect_find()
            .returning(|_, _| Err(unavailable()));
        let request = TestRequest::get().uri(&format!("/api/v1/todos/{TIMER}/timers/active"));
        assert_eq!(
            error_of(call(ports, request).await).await,
            (503, "SERVICE_UNAVAILABLE".to_owned())
        );
    }
}
