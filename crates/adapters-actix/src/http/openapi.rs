//! The OpenAPI 3.1 document of the REST surface, generated from the handlers' `#[utoipa::path]`
//! annotations, served at `GET /openapi.json`, with a self-contained reference page at
//! `GET /docs`.
//!
//! The annotations document each route once, under `/v1`; [`document`] marks every `/v1/…`
//! path item with its `/api/v1/…` alias (`x-aliases`; the same handlers serve both, see
//! [`crate::http`], "Routing"), adds the shared 429/503 answers, `servers`, and `security: []`
//! on the probes. `docs/openapi.json` in the
//! repository is this document, pretty-printed ([`document_json`]); an end-to-end test fails
//! when they differ and `just openapi` rewrites the file.
//!
//! The docs page is one inline HTML file with its own script: it fetches `/openapi.json` and
//! lists the operations with their parameters, bodies and answers. It loads nothing from the
//! internet (no Swagger UI bundle), so it works offline and under a strict CSP.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use actix_web::{HttpResponse, ResponseError, get};
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::{
    ContentBuilder, OpenApi as OpenApiDocument, PathItem, Ref, RefOr, ResponseBuilder,
};
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

/// The path-item extension that lists the other paths serving the same operations.
pub const ALIASES_EXTENSION: &str = "x-aliases";

/// The probes: no token, so `security: []` says so explicitly.
const PROBES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// The shared `429` answer (`components.responses`).
const RATE_LIMITED: &str = "RateLimited";

/// The shared `503` answer (`components.responses`).
const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";

/// The whole document: the annotated routes, each `/v1` path item marked with its `/api/v1`
/// alias, the shared 429 and 503 answers on every operation that can give them, `servers`, and
/// `security: []` on the probes.
///
/// # Aliases
/// Every `/v1/…` route also answers under `/api/v1/…` (same handler). The alias is not a second
/// path of the document: it is listed in the path item's `x-aliases`, so code generators
/// (openapi-typescript, openapi-generator, orval…) emit one method per operation rather than two
/// with `api_v1_`-prefixed twins. Clients that must call the alias put it in their base URL.
///
/// # 429 and 503
/// Every operation that needs a token passes the per-user REST rate limit (`429 RATE_LIMITED`
/// with `Retry-After`) and reaches the database, at least to resolve the token's user
/// (`503 SERVICE_UNAVAILABLE` when it does not answer).
pub fn document() -> OpenApiDocument {
    let mut doc = ApiDoc::openapi();
    add_shared_responses(&mut doc);
    for (path, item) in &mut doc.paths.paths {
        if let Some(rest) = path.strip_prefix("/v1/") {
            let aliases = serde_json::json!([format!("{ALIAS_PREFIX}/{rest}")]);
            item.extensions.get_or_insert_with(Default::default).merge(
                ExtensionsBuilder::new()
                    .add(ALIASES_EXTENSION, aliases)
                    .build(),
            );
        }
        let probe = PROBES.contains(&path.as_str());
        for operation in operations_mut(item) {
            if probe {
                operation.security = Some(Vec::new());
                continue;
            }
            if operation.security.as_ref().is_none_or(Vec::is_empty) {
                continue;
            }
            for (status, name) in [("429", RATE_LIMITED), ("503", SERVICE_UNAVAILABLE)] {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
            }
        }
    }
    doc.servers = Some(vec![
        ServerBuilder::new()
            .url("/")
            .description(Some("The server this document was fetched from"))
            .build(),
        ServerBuilder::new()
            .url("http://127.0.0.1:8000")
            .description(Some("A development server (`just run`)"))
            .build(),
    ]);
    doc
}

/// Every operation of `item`.
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
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
}

/// `components.responses`: the 429 with its `Retry-After` header, and the 503.
fn add_shared_responses(doc: &mut OpenApiDocument) {
    let envelope = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build()
    };
    let retry_after = HeaderBuilder::new()
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1)),
        ))
        .description(Some("Seconds to wait before the next request"))
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.responses.insert(
        RATE_LIMITED.to_owned(),
        RefOr::T(
            ResponseBuilder::new()
                .description(
                    "`RATE_LIMITED`: more than `REST_RATE_LIMIT_MAX` requests in \
                     `REST_RATE_LIMIT_WINDOW` seconds for this user; retry after `Retry-After`",
                )
                .header("Retry-After", retry_after)
                .content("application/json", envelope())
                .build(),
        ),
    );
    components.responses.insert(
        SERVICE_UNAVAILABLE.to_owned(),
        RefOr::T(
            ResponseBuilder::new()
                .description("`SERVICE_UNAVAILABLE`: the database cannot be reached; retry later")
                .content("application/json", envelope())
                .build(),
        ),
    );
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
    use crate::edge::error::ERROR_CODES;

    #[test]
    fn every_v1_path_names_its_api_v1_alias_and_operation_ids_are_unique()
    -> Result<(), Box<dyn std::error::Error>> {
        let json = serde_json::to_value(document())?;
        assert_eq!(json["openapi"], "3.1.0");
        let paths = json["paths"].as_object().ok_or("no paths")?;
        let v1: Vec<&String> = paths.keys().filter(|p| p.starts_with("/v1/")).collect();
        assert!(v1.len() >= 10, "{v1:?}");
        for path in v1 {
            let twin = format!("/api{path}");
            assert_eq!(paths[path][ALIASES_EXTENSION], serde_json::json!([twin]));
            assert!(
                !paths.contains_key(&twin),
                "{twin} is documented twice: a generator would emit two methods"
            );
        }
        let mut ids = std::collections::HashSet::new();
        for item in paths.values() {
            for method in ["get", "post", "patch", "delete", "put"] {
                if let Some(id) = item[method]["operationId"].as_str() {
                    assert!(ids.insert(id.to_owned()), "duplicate operation id {id}");
                    assert!(!id.starts_with("api_v1_"), "{id}");
                }
            }
        }
        assert!(ids.contains("list_timers"));
        Ok(())
    }

    #[test]
    fn secured_operations_declare_429_with_retry_after_and_503_and_probes_need_no_token()
    -> Result<(), Box<dyn std::error::Error>> {
        let json = serde_json::to_value(document())?;
        let paths = json["paths"].as_object().ok_or("no paths")?;
        let mut secured = 0;
        for (path, item) in paths {
            for method in ["get", "post", "patch", "delete"] {
                let operation = &item[method];
                if !operation.is_object() {
                    continue;
                }
                let security = operation["security"].as_array().ok_or("security")?;
                if PROBES.contains(&path.as_str()) {
                    assert!(security.is_empty(), "{method} {path}");
                    continue;
                }
                assert!(!security.is_empty(), "{method} {path} needs a token");
                secured += 1;
                assert!(operation["responses"]["429"].is_object(), "{method} {path}");
                assert!(operation["responses"]["503"].is_object(), "{method} {path}");
            }
        }
        assert!(secured >= 45, "{secured}");
        let rate_limited = &json["components"]["responses"][RATE_LIMITED];
        assert!(rate_limited["headers"]["Retry-After"].is_object());
        assert_eq!(json["servers"][0]["url"], "/");
        let codes = &json["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"];
        assert_eq!(codes.as_array().map(Vec::len), Some(ERROR_CODES.len()));
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
