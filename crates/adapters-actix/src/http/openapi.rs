//! The OpenAPI 3.1 document of the REST surface, generated from the handlers' `#[utoipa::path]`
//! annotations, served at `GET /openapi.json`, with a self-contained reference page at
//! `GET /docs`.
//!
//! The annotations document each route once, under `/v1`; [`document`] copies every `/v1/…`
//! path to `/api/v1/…` (the same handlers serve both, see [`crate::http`], "Routing") with
//! operation ids prefixed `api_v1_` so that they stay unique. `docs/openapi.json` in the
//! repository is this document, pretty-printed ([`document_json`]); an end-to-end test fails
//! when they differ and `just openapi` rewrites the file.
//!
//! The docs page is one inline HTML file with its own script: it fetches `/openapi.json` and
//! lists the operations with their parameters, bodies and answers. It loads nothing from the
//! internet (no Swagger UI bundle), so it works offline and under a strict CSP.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use actix_web::{HttpResponse, ResponseError, get};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as OpenApiDocument, PathItem};
use utoipa::{Modify, OpenApi};

use crate::edge::error::{ApiError, ErrorBody};
use crate::edge::{dto, telemetry};
use crate::http::{
    follows, health, meetups, notifications, reports, schedules, tags, timers, todos, users,
};
// The one name `http` takes from `realtime`: the stream's handler, for the document.
use crate::realtime::sse;

/// Adds the bearer-token security scheme every `/v1` route requires.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "`Authorization: Bearer <JWT>`; the user is created on first sight of \
                         the token's `sub`",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hourglass API",
        description = "Timers, schedules, todos and tags. Timers are created and controlled over \
                       the WebSocket `/v1/ws/timers`; REST reads, edits metadata and deletes. \
                       Every route exists under `/v1` and `/api/v1`. Errors are \
                       `{\"code\", \"message\"}` (see `docs/api.md`). Datetimes are naive UTC \
                       (`2026-01-28T10:00:00`) unless `timezone` is given, then they carry their \
                       offset. The WebSocket greets with `connected`, `timer.sync_result` and \
                       `timer.friends_snapshot` (the first page of \
                       `GET /api/v1/users/me/friends/active`); friends' changes then arrive as \
                       `timer.friend_activity`, whose `action` `hidden` means: drop that timer \
                       (made private, or the friendship ended). See `docs/websocket.md`.",
        license(name = "MIT"),
    ),
    paths(
        health::healthz,
        health::readyz,
        telemetry::endpoint::metrics,
        timers::list_timers,
        timers::get_active_timer,
        timers::get_timer,
        timers::update_timer,
        timers::delete_timer,
        timers::list_schedule_timers,
        timers::get_active_schedule_timer,
        timers::list_todo_timers,
        timers::get_active_todo_timer,
        schedules::list_schedules,
        schedules::create_schedule,
        schedules::get_schedule,
        schedules::update_schedule,
        schedules::delete_schedule,
        todos::list_todos,
        todos::create_todo,
        todos::get_todo,
        todos::update_todo,
        todos::delete_todo,
        tags::list_tags,
        tags::create_tag,
        tags::get_tag,
        tags::update_tag,
        tags::delete_tag,
        reports::summary_report,
        users::get_me,
        users::patch_me,
        users::delete_me,
        users::get_user,
        follows::follow_user,
        follows::unfollow_user,
        follows::list_followers,
        follows::list_following,
        follows::list_friends,
        follows::list_friends_active,
        meetups::create_meetup,
        meetups::list_meetups,
        meetups::get_meetup,
        meetups::join_meetup,
        meetups::leave_meetup,
        meetups::cancel_meetup,
        notifications::list_notifications,
        notifications::unread_count,
        notifications::read_all,
        notifications::send_test_notification,
        notifications::mark_read,
        notifications::delete_notification,
        sse::subscribe,
    ),
    components(schemas(
        ErrorBody,
        dto::TimerDto,
        dto::PauseEventDto,
        dto::ScheduleDto,
        dto::TodoDto,
        dto::TagDto,
        timers::PatchTimerRequest,
        schedules::CreateScheduleRequest,
        schedules::PatchScheduleRequest,
        todos::CreateTodoRequest,
        todos::PatchTodoRequest,
        tags::CreateTagRequest,
        tags::PatchTagRequest,
        health::HealthBody,
        users::UserDto,
        follows::FriendTimerDto,
        users::PatchMeBody,
        meetups::MeetupDto,
        meetups::CreateMeetupRequest,
        dto::NotificationDto,
        dto::UnreadCountEventDto,
        dto::NotificationIdsEventDto,
        notifications::UnreadCountBody,
        notifications::ReadAllBody,
        dto::report::ReportDto,
        dto::report::ReportTotalDto,
        dto::report::ReportGroupDto,
        dto::report::ByStatusDto,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "timers", description = "Reading, editing and deleting timers (control is WebSocket-only)"),
        (name = "schedules", description = "Calendar entries timers can link to"),
        (name = "todos", description = "Tasks timers can link to"),
        (name = "tags", description = "Labels for timers, schedules and todos"),
        (name = "reports", description = "The worked-time report: seconds per day, tag, schedule or todo (JSON or CSV)"),
        (name = "users", description = "Profiles of signed-in users (`/api/v1`, camelCase)"),
        (name = "follows", description = "Following, followers and friends (`/api/v1`, camelCase)"),
        (name = "meetups", description = "Meetups (모임): create, join, leave, cancel (`/api/v1`, camelCase)"),
        (name = "notifications", description = "Stored notifications and the SSE stream (`/api/v1`, camelCase)"),
        (name = "operations", description = "Liveness and readiness probes, and the Prometheus metrics"),
    )
)]
struct ApiDoc;

/// The prefix of the alias every `/v1` route also answers under.
const ALIAS_PREFIX: &str = "/api/v1";

/// The whole document: the annotated routes plus their `/api/v1` copies.
pub fn document() -> OpenApiDocument {
    let mut doc = ApiDoc::openapi();
    let copies: Vec<(String, PathItem)> = doc
        .paths
        .paths
        .iter()
        .filter_map(|(path, item)| {
            let rest = path.strip_prefix("/v1/")?;
            let mut item = item.clone();
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
            {
                operation.operation_id = operation
                    .operation_id
                    .as_ref()
                    .map(|id| format!("api_v1_{id}"));
            }
            Some((format!("{ALIAS_PREFIX}/{rest}"), item))
        })
        .collect();
    doc.paths.paths.extend(copies);
    doc
}

/// The document as `docs/openapi.json` holds it: pretty-printed, ending in a newline.
///
/// # Errors
/// Only if serialization fails, which a well-formed document never does.
pub fn document_json() -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&document())?;
    text.push('\n');
    Ok(text)
}

/// The reference page, inline HTML and script (no external assets).
const DOCS_PAGE: &str = include_str!("openapi/docs.html");

/// `GET /openapi.json`: the document.
#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    match document_json() {
        Ok(text) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
            .body(text),
        Err(error) => ApiError::internal(&error).error_response(),
    }
}

/// `GET /docs`: the self-contained reference page.
#[get("/docs")]
pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .insert_header((CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .body(DOCS_PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_v1_path_has_an_api_v1_twin_with_a_unique_operation_id()
    -> Result<(), Box<dyn std::error::Error>> {
        let doc = document();
        let paths = &doc.paths.paths;
        let v1: Vec<&String> = paths.keys().filter(|p| p.starts_with("/v1/")).collect();
        assert!(v1.len() >= 10, "{v1:?}");
        for path in v1 {
            let twin = format!("/api{path}");
            assert!(paths.contains_key(&twin), "{twin} missing");
        }
        let json = serde_json::to_value(&doc)?;
        assert_eq!(json["openapi"], "3.1.0");
        let mut ids = std::collections::HashSet::new();
        for item in paths.values() {
            for op in [&item.get, &item.post, &item.patch, &item.delete]
                .into_iter()
                .flatten()
            {
                let Some(id) = &op.operation_id else {
                    panic!("an operation without id")
                };
                assert!(ids.insert(id.clone()), "duplicate operation id {id}");
            }
        }
        assert!(ids.contains("list_timers") && ids.contains("api_v1_list_timers"));
        Ok(())
    }

    /// `docs/openapi.json`, relative to this crate.
    fn committed_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
    }

    /// The snapshot check: fails when the handlers' document and the committed file differ.
    /// `UPDATE_OPENAPI=1` rewrites the file instead (`just openapi`).
    #[test]
    fn the_committed_document_is_current() -> Result<(), Box<dyn std::error::Error>> {
        let current = document_json()?;
        let path = committed_path();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &current)?;
            return Ok(());
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == current,
            "docs/openapi.json is out of date with the handlers: run `just openapi` and commit it"
        );
        Ok(())
    }

    #[test]
    fn the_docs_page_loads_nothing_from_elsewhere() {
        assert!(DOCS_PAGE.contains("/openapi.json"));
        for external in ["http://", "https://", "//cdn", "<link"] {
            assert!(
                !DOCS_PAGE.contains(external),
                "the page references {external}"
            );
        }
    }
}
