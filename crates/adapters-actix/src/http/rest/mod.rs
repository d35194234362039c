//! The REST API of timers, schedules, todos and tags (`timer-api.md`, "REST").
//!
//! Every route is served under both `/v1` and `/api/v1` ([`PREFIXES`]): the contract's paths are
//! `/v1/…`, and `/api/v1/…` is the same API for clients that mount it under `/api`. Routes are
//! registered as full-path resources rather than inside a `web::scope("/v1")`, because an actix
//! scope does not fall through: a second `/v1` scope (users, WebSocket) registered elsewhere
//! would never be reached.
//!
//! Handlers are thin — parse the request, call a use case of [`AppState`](crate::state::AppState), render a DTO — and
//! return `Result<_, ApiError>`; each module converts the port errors it meets into the
//! contract's codes.
//!
//! # Layout
//! - [`query`]: the query string parsed by hand (repeated `status`, dates, flags, `limit`).
//! - [`cursor`]: the opaque pagination cursor and `X-Next-Cursor`.
//! - [`body`]: JSON bodies with the offending field named, and PATCH's tri-state fields.
//! - [`render`]: timers with their embedded schedule, todo and tags, loaded per page.
//! - [`timers`]: `/timers`, `/timers/active`, `/timers/{id}`, `/schedules|todos/{id}/timers`.
//! - [`schedules`], [`todos`], [`tags`]: owner-scoped CRUD.

pub mod body;
pub mod cursor;

pub mod render;
pub mod schedules;
pub mod tags;
pub mod timers;
pub mod todos;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, Route, web};
use hourglass_ports::service::planning::PlanningServiceError;
use uuid::Uuid;

use crate::edge::query::QueryError;
use crate::edge::error::ApiError;

/// Every REST route is served under each of these prefixes.
pub const PREFIXES: [&str; 2] = ["/v1", "/api/v1"];

/// Default page size of schedule, todo and tag lists.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size of schedule, todo and tag lists.
pub const MAX_LIMIT: u32 = 100;

/// Registers the REST routes under every prefix.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for prefix in PREFIXES {
        let resource = |path: &str| {
            web::resource(format!("{prefix}{path}")).default_service(web::to(method_not_allowed))
        };
        // `/timers/active` before `/timers/{id}`: the first matching resource wins.
        cfg.service(resource("/timers").route(get().to(timers::list_timers)))
            .service(resource("/timers/active").route(get().to(timers::get_active_timer)))
            .service(
                resource("/timers/{id}")
                    .route(get().to(timers::get_timer))
                    .route(web::patch().to(timers::update_timer))
                    .route(web::delete().to(timers::delete_timer)),
            )
            .service(
                resource("/schedules")
                    .route(get().to(schedules::list_schedules))
                    .route(web::post().to(schedules::create_schedule)),
            )
            .service(
                resource("/schedules/{id}")
                    .route(get().to(schedules::get_schedule))
                    .route(web::patch().to(schedules::update_schedule))
                    .route(web::delete().to(schedules::delete_schedule)),
            )
            .service(
                resource("/schedules/{id}/timers").route(get().to(timers::list_schedule_timers)),
            )
            .service(
                resource("/schedules/{id}/timers/active")
                    .route(get().to(timers::get_active_schedule_timer)),
            )
            .service(
                resource("/todos")
                    .route(get().to(todos::list_todos))
                    .route(web::post().to(todos::create_todo)),
            )
            .service(
                resource("/todos/{id}")
                    .route(get().to(todos::get_todo))
                    .route(web::patch().to(todos::update_todo))
                    .route(web::delete().to(todos::delete_todo)),
            )
            .service(resource("/todos/{id}/timers").route(get().to(timers::list_todo_timers)))
            .service(
                resource("/todos/{id}/timers/active")
                    .route(get().to(timers::get_active_todo_timer)),
            )
            .service(
                resource("/tags")
                    .route(get().to(tags::list_tags))
                    .route(web::post().to(tags::create_tag)),
            )
            .service(
                resource("/tags/{id}")
                    .route(get().to(tags::get_tag))
                    .route(web::patch().to(tags::update_tag))
                    .route(web::delete().to(tags::delete_tag)),
            );
    }
}

/// `GET` (kept short so the route table stays one line per path).
fn get() -> Route {
    web::get()
}

/// A known path with a method it does not serve, in the one error envelope.
async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "this path does not serve that method",
    ))
}

/// A path id: a UUID, else 400 `INVALID_PARAMETER` naming `id`.
///
/// # Errors
/// [`QueryError::Invalid`] naming `id`.
pub fn parse_id(raw: &str) -> Result<Uuid, QueryError> {
    Uuid::parse_str(raw).map_err(|_| {
        let shown: String = raw.chars().take(64).collect();
        QueryError::invalid("id", format!("id must be a UUID, got {shown:?}"))
    })
}

/// The planning objects, for their not-found codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A schedule.
    Schedule,
    /// A todo.
    Todo,
    /// A tag.
    Tag,
}

impl Resource {
    fn not_found_code(self) -> &'static str {
        match self {
            Self::Schedule => "SCHEDULE_NOT_FOUND",
            Self::Todo => "TODO_NOT_FOUND",
            Self::Tag => "TAG_NOT_FOUND",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Todo => "todo",
            Self::Tag => "tag",
        }
    }

    /// 404 for a missing object, or one of another user's (indistinguishable on purpose).
    pub fn not_found(self) -> ApiError {
        ApiError::not_found(self.not_found_code(), format!("{} not found", self.name()))
    }

    /// 404 for a body field that links an unknown or foreign object; the message names `field`.
    pub fn unknown_link(self, field: &str) -> ApiError {
        ApiError::not_found(
            self.not_found_code(),
            format!("{field} does not name one of your {}s", self.name()),
        )
    }

    /// The answer to a failed planning use case on this kind of object.
    pub fn error(self, error: PlanningServiceError) -> ApiError {
        match error {
            PlanningServiceError::NotFound => self.not_found(),
            PlanningServiceError::UnknownTag => Resource::Tag.unknown_link("tag_ids"),
            PlanningServiceError::DuplicateName => {
                ApiError::conflict("DUPLICATE_NAME", "you already have a tag with this name")
            }
            PlanningServiceError::Invalid(invalid) => ApiError::validation(invalid.to_string()),
            PlanningServiceError::Storage(storage) => storage.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_uuids() {
        assert!(parse_id("01944f2a-0000-7000-8000-000000000001").is_ok());
        let Err(error) = parse_id("42") else {
            panic!("must be refused")
        };
        assert_eq!(error.to_string(), "id must be a UUID, got \"42\"");
        assert_eq!(ApiError::from(error).code(), "INVALID_PARAMETER");
    }

    #[test]
    fn planning_failures_get_the_resource_code() {
        assert_eq!(
            Resource::Todo.error(PlanningServiceError::NotFound).code(),
            "TODO_NOT_FOUND"
        );
        let unknown = Resource::Schedule.error(PlanningServiceError::UnknownTag);
        assert_eq!(unknown.code(), "TAG_NOT_FOUND");
        assert_eq!(unknown.message(), "tag_ids does not name one of your tags");
        let duplicate = Resource::Tag.error(PlanningServiceError::DuplicateName);
        assert_eq!(
            (duplicate.status(), duplicate.code()),
            (StatusCode::CONFLICT, "DUPLICATE_NAME")
        );
    }
}
