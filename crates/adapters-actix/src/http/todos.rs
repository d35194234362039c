//! Todo routes: owner-scoped CRUD over [`PlanningService`].
//!
//! Another user's todo is 404 `TODO_NOT_FOUND`. Deleting one keeps its timers with
//! `todo_id: null` (each announced as updated).
//!
//! [`PlanningService`]: hourglass_ports::service::planning::PlanningService

use actix_web::{HttpRequest, HttpResponse, routes, web};
use hourglass_domain::ids::{TagId, TodoId};
use hourglass_domain::planning::TodoStatus;
use hourglass_domain::validation::{Description, Title};
use hourglass_ports::service::planning::{NewTodo, PlanningServiceError, TodoPatch};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::edge::auth::CurrentUser;
use crate::edge::dto::TodoDto;
use crate::edge::error::{ApiError, ErrorBody, PlanningObject};
use crate::edge::middleware::body::JsonBody;
use crate::edge::query::QueryParams;
use crate::http::body::{self, BodyError, not_null, tag_update, tri};
use crate::http::{paging, path};
use crate::state::AppState;

/// The body of `POST /v1/todos`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTodoRequest {
    /// At most 200 characters.
    #[schema(max_length = 200)]
    pub title: String,
    /// At most 2000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// `TODO` (default), `IN_PROGRESS` or `DONE`.
    #[serde(default)]
    pub status: Option<String>,
    /// ISO-8601 datetime, naive (UTC) or with an offset.
    #[serde(default)]
    pub deadline: Option<String>,
    /// The caller's tags.
    #[serde(default)]
    pub tag_ids: Option<Vec<Uuid>>,
}

impl CreateTodoRequest {
    /// The new todo, with every value checked.
    ///
    /// # Errors
    /// [`BodyError`] naming the field.
    pub fn try_into_domain(self) -> Result<NewTodo, BodyError> {
        Ok(NewTodo {
            title: Title::new(self.title)?,
            description: self.description.map(Description::new).transpose()?,
            status: self
                .status
                .map(|raw| raw.parse::<TodoStatus>())
                .transpose()?
                .unwrap_or_default(),
            deadline: self
                .deadline
                .map(|raw| body::instant("deadline", &raw))
                .transpose()?,
            tag_ids: self
                .tag_ids
                .unwrap_or_default()
                .into_iter()
                .map(TagId::new)
                .collect(),
        })
    }
}

/// The body of `PATCH /v1/todos/{id}`: absent keeps, a value sets; `description`, `deadline`
/// and `tag_ids` may be `null` to clear; `title` and `status` may not.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PatchTodoRequest {
    /// At most 200 characters; not null.
    #[serde(default, deserialize_with = "tri")]
    #[schema(max_length = 200)]
    pub title: Option<Option<String>>,
    /// At most 2000 characters; `null` clears.
    #[serde(default, deserialize_with = "tri")]
    #[schema(max_length = 2000)]
    pub description: Option<Option<String>>,
    /// `TODO`, `IN_PROGRESS` or `DONE`; not null.
    #[serde(default, deserialize_with = "tri")]
    pub status: Option<Option<String>>,
    /// ISO-8601 datetime; `null` clears.
    #[serde(default, deserialize_with = "tri")]
    pub deadline: Option<Option<String>>,
    /// Replaces the tag set; `null` or `[]` removes every tag.
    #[serde(default, deserialize_with = "tri")]
    pub tag_ids: Option<Option<Vec<Uuid>>>,
}

impl PatchTodoRequest {
    /// The domain change, with every value checked.
    ///
    /// # Errors
    /// [`BodyError`] naming the field.
    pub fn try_into_domain(self) -> Result<TodoPatch, BodyError> {
        Ok(TodoPatch {
            title: not_null("title", self.title)?.map(Title::new).transpose()?,
            description: body::update(self.description, |d| Ok(Description::new(d)?))?,
            status: not_null("status", self.status)?
                .map(|raw| raw.parse::<TodoStatus>())
                .transpose()?,
            deadline: body::update(self.deadline, |raw| body::instant("deadline", &raw))?,
            tag_ids: tag_update(self.tag_ids),
        })
    }
}

fn todo_error(error: PlanningServiceError) -> ApiError {
    ApiError::planning(PlanningObject::Todo, error)
}

/// `GET /v1/todos`: the caller's todos, newest first.
#[utoipa::path(
    get,
    path = "/v1/todos",
    operation_id = "list_todos",
    tag = "todos",
    params(
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100, default 50"),
        ("cursor" = Option<String>, Query, description = "The `X-Next-Cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page, newest first", body = [TodoDto],
            headers(("X-Next-Cursor" = String, description = "Cursor of the next page; absent on the last page"))),
        (status = 400, description = "`INVALID_PARAMETER` or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/todos")]
#[get("/api/v1/todos", name = "api_v1_list_todos")]
pub async fn list_todos(
    state: web::Data<AppState>,
    user: CurrentUser,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string());
    let zone = params.timezone()?;
    let page = paging::page_request(paging::TODOS, &params)?;
    let page = state.planning.todos(user.0.user_id, page).await?;
    let items: Vec<TodoDto> = page
        .items
        .iter()
        .map(|t| TodoDto::render(t, &zone))
        .collect();
    Ok(paging::page_response(paging::TODOS, &items, page.next))
}

/// `POST /v1/todos`: creates a todo.
#[utoipa::path(
    post,
    path = "/v1/todos",
    operation_id = "create_todo",
    tag = "todos",
    params(("timezone" = Option<String>, Query, description = "How datetimes of the answer are written")),
    request_body = CreateTodoRequest,
    responses(
        (status = 201, description = "Created", body = TodoDto),
        (status = 400, description = "`INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TAG_NOT_FOUND`: a tag that is unknown or another user's", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 422, description = "`VALIDATION_FAILED` naming the field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[post("/v1/todos")]
#[post("/api/v1/todos", name = "api_v1_create_todo")]
pub async fn create_todo(
    state: web::Data<AppState>,
    user: CurrentUser,
    request: HttpRequest,
    payload: JsonBody<CreateTodoRequest>,
) -> Result<HttpResponse, ApiError> {
    let zone = QueryParams::parse(request.query_string()).timezone()?;
    let new = payload.0.try_into_domain()?;
    let todo = state
        .planning
        .create_todo(user.0.user_id, new)
        .await
        .map_err(todo_error)?;
    Ok(HttpResponse::Created().json(TodoDto::render(&todo, &zone)))
}

/// `GET /v1/todos/{id}`: one of the caller's todos.
#[utoipa::path(
    get,
    path = "/v1/todos/{id}",
    operation_id = "get_todo",
    tag = "todos",
    params(
        ("id" = Uuid, Path, description = "The todo's id"),
        ("timezone" = Option<String>, Query, description = "How datetimes are written"),
    ),
    responses(
        (status = 200, description = "The todo", body = TodoDto),
        (status = 400, description = "`INVALID_PARAMETER` (malformed id) or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TODO_NOT_FOUND`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/todos/{id}")]
#[get("/api/v1/todos/{id}", name = "api_v1_get_todo")]
pub async fn get_todo(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = TodoId::new(path::uuid(&id)?);
    let zone = QueryParams::parse(request.query_string()).timezone()?;
    let todo = state
        .planning
        .todo(user.0.user_id, id)
        .await
        .map_err(todo_error)?;
    Ok(HttpResponse::Ok().json(TodoDto::render(&todo, &zone)))
}

/// `PATCH /v1/todos/{id}`: changes one of the caller's todos.
#[utoipa::path(
    patch,
    path = "/v1/todos/{id}",
    operation_id = "update_todo",
    tag = "todos",
    params(
        ("id" = Uuid, Path, description = "The todo's id"),
        ("timezone" = Option<String>, Query, description = "How datetimes of the answer are written"),
    ),
    request_body = PatchTodoRequest,
    responses(
        (status = 200, description = "The todo as stored", body = TodoDto),
        (status = 400, description = "`INVALID_PARAMETER` (malformed id) or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TODO_NOT_FOUND`, or `TAG_NOT_FOUND` for a foreign or unknown tag", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 422, description = "`VALIDATION_FAILED` naming the field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[patch("/v1/todos/{id}")]
#[patch("/api/v1/todos/{id}", name = "api_v1_update_todo")]
pub async fn update_todo(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    request: HttpRequest,
    payload: JsonBody<PatchTodoRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = TodoId::new(path::uuid(&id)?);
    let zone = QueryParams::parse(request.query_string()).timezone()?;
    let patch = payload.0.try_into_domain()?;
    let todo = state
        .planning
        .patch_todo(user.0.user_id, id, patch)
        .await
        .map_err(todo_error)?;
    Ok(HttpResponse::Ok().json(TodoDto::render(&todo, &zone)))
}

/// `DELETE /v1/todos/{id}`: deletes one of the caller's todos; its timers stay.
#[utoipa::path(
    delete,
    path = "/v1/todos/{id}",
    operation_id = "delete_todo",
    tag = "todos",
    params(("id" = Uuid, Path, description = "The todo's id")),
    responses(
        (status = 204, description = "Deleted; its timers now have `todo_id: null`, `version` + 1, and are announced with `timer.updated{action:\"update\"}`"),
        (status = 400, description = "`INVALID_PARAMETER` (malformed id)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 404, description = "`TODO_NOT_FOUND`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[delete("/v1/todos/{id}")]
#[delete("/api/v1/todos/{id}", name = "api_v1_delete_todo")]
pub async fn delete_todo(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = TodoId::new(path::uuid(&id)?);
    state
        .planning
        .delete_todo(user.0.user_id, id)
        .await
        .map_err(todo_error)?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use hourglass_domain::timer::FieldUpdate;
    use serde_json::json;

    use super::*;
    use actix_web::test::TestRequest;
    use hourglass_ports::error::StorageError;

    use crate::http::testing::{Ports, call, error_of};

    #[test]
    fn create_defaults_to_todo_and_checks_the_status() -> Result<(), BodyError> {
        let new =
            body::from_json::<CreateTodoRequest>(json!({"title": "Ship"}))?.try_into_domain()?;
        assert_eq!(new.status, TodoStatus::Todo);
        assert_eq!(new.deadline, None);
        let bad = body::from_json::<CreateTodoRequest>(json!({"title": "x", "status": "LATER"}))?;
        let Err(error) = bad.try_into_domain() else {
            panic!("must be refused")
        };
        assert!(error.0.starts_with("status must be one of"), "{error}");
        Ok(())
    }

    #[test]
    fn patch_clears_the_deadline_and_refuses_a_null_status() -> Result<(), BodyError> {
        let patch =
            body::from_json::<PatchTodoRequest>(json!({"deadline": null, "status": "DONE"}))?
                .try_into_domain()?;
        assert_eq!(patch.deadline, FieldUpdate::Clear);
        assert_eq!(patch.status, Some(TodoStatus::Done));
        let request = body::from_json::<PatchTodoRequest>(json!({"status": null}))?;
        let Err(error) = request.try_into_domain() else {
            panic!("must be refused")
        };
        assert_eq!(error.0, "status must not be null");
        Ok(())
    }

    #[actix_web::test]
    async fn an_unknown_storage_failure_is_500_with_an_id() {
        let mut ports = Ports::signed_in();
        ports
            .todos
            .expect_list()
            .returning(|_, _| Err(StorageError::Unknown("syntax error at or near".into())));
        let response = call(ports, TestRequest::get().uri("/v1/todos")).await;
        assert_eq!(response.status().as_u16(), 500);
        let body: serde_json::Value = actix_web::test::read_body_json(response).await;
        assert_eq!(body["code"], "INTERNAL_ERROR");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("internal error (id "), "{message}");
        assert!(!message.contains("syntax"), "{message}");
    }

    #[actix_web::test]
    async fn null_for_a_status_is_422_and_a_missing_todo_404() {
        let request = TestRequest::patch()
            .uri("/v1/todos/01944f2a-0000-7000-8000-000000000003")
            .set_json(json!({"status": null}));
        assert_eq!(
            error_of(call(Ports::signed_in(), request).await).await,
            (422, "VALIDATION_FAILED".to_owned())
        );
        let mut ports = Ports::signed_in();
        ports.todos.expect_find().returning(|_, _| Ok(None));
        let request = TestRequest::patch()
            .uri("/v1/todos/01944f2a-0000-7000-8000-000000000003")
            .set_json(json!({"status": "DONE"}));
        assert_eq!(
            error_of(call(ports, request).await).await,
            (404, "TODO_NOT_FOUND".to_owned())
        );
    }
}
