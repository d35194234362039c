//! The REST API: timers, schedules, todos and tags under `/v1` and `/api/v1`; users, following,
//! meetups and stored notifications under `/api/v1`; the probes and the OpenAPI document.
//!
//! # Routing
//! Every handler carries its route as an attribute (`#[get("/v1/timers")]`) right under its
//! `#[utoipa::path]`, so a route and its documentation cannot drift apart unnoticed, and
//! [`configure`] registers each with `.service(…)`. The contract's timer API paths are `/v1/…`;
//! each of its handlers answers under `/api/v1/…` as well, through `#[routes]` and one method
//! attribute per prefix (the document copies the paths, see [`openapi::document`]); a test sends
//! every documented operation to the app and expects its handler to answer. Routes are full-path resources rather than a `web::scope("/v1")`: an
//! actix scope does not fall through, so a second `/v1` scope (the WebSocket) would never be
//! reached.
//!
//! actix tries resources in registration order and moves on when a method guard refuses, so the
//! order in [`configure`] matters: literal segments before `{id}` (`/timers/active` before
//! `/timers/{id}`, `/users/me` before `/users/{id}`). A timer API path also answers the methods it
//! does not serve with 405 `METHOD_NOT_ALLOWED` (`docs/api.md`): a catch-all resource registered
//! right after the path's handlers. The `/api/v1` social paths fall through to the app's 404
//! `NOT_FOUND` instead.
//!
//! Handlers are thin: parse the request, call a use case of [`AppState`](crate::state::AppState),
//! render a DTO. They return `Result<_, ApiError>` and turn failures into the contract's codes
//! with `?`: the code and status of every failure are decided in [`crate::edge::error`].
//!
//! # Layout
//! - [`health`]: `GET /healthz` (liveness) and `GET /readyz` (the database answers).
//! - [`openapi`]: `GET /openapi.json` and the reference page `GET /docs`.
//! - [`playground`]: `GET /playground`, a live page over the embedded TypeScript SDK, and its
//!   development tokens (`POST /playground/token`, off by default).
//! - [`timers`]: `/timers`, `/timers/active`, `/timers/{id}`, `/schedules|todos/{id}/timers…`.
//! - [`schedules`], [`todos`], [`tags`]: owner-scoped CRUD (snake_case, UUID ids).
//! - [`users`]: `/api/v1/users/me`, `/api/v1/users/{id}` (camelCase, numeric ids, as every
//!   `/api/v1`-only route).
//! - [`follows`]: follow, unfollow, followers, following, friends.
//! - [`meetups`]: `/api/v1/meetups` and `/api/v1/meetups/{id}/…`.
//! - [`notifications`]: `/api/v1/notifications…` (the stream is `realtime::sse`).
//! - [`reports`]: `/reports/summary`, the worked-time report (JSON or CSV).
//! - [`paging`]: page-size limits, the cursor and `X-Next-Cursor` of every list.
//! - [`path`]: the `{id}` of a path.
//! - [`body`]: JSON bodies with the field named in every refusal; PATCH's tri-state fields.
//! - [`render`]: timers with their embedded schedule, todo and tags, loaded per page.

pub mod body;
pub mod follows;
pub mod health;
pub mod meetups;
pub mod notifications;
pub mod openapi;
pub mod paging;
pub mod path;
pub mod playground;
pub mod render;
pub mod reports;
pub mod schedules;
pub mod tags;
pub mod timers;
pub mod todos;
pub mod users;

#[cfg(test)]
pub(crate) mod testing;

use actix_web::{HttpResponse, Resource, web};

use crate::edge::error::ApiError;

/// The prefixes every timer API route answers under.
pub const TIMER_API_PREFIXES: [&str; 2] = ["/v1", "/api/v1"];

/// Registers the probes, the REST routes and the OpenAPI document.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz);

    // The timer API: each path's handlers, then its 405 for the other methods.
    cfg.service(timers::list_timers)
        .service(other_methods("/timers"))
        .service(timers::get_active_timer)
        .service(other_methods("/timers/active"))
        .service(timers::get_timer)
        .service(timers::update_timer)
        .service(timers::delete_timer)
        .service(other_methods("/timers/{id}"))
        .service(schedules::list_schedules)
        .service(schedules::create_schedule)
        .service(other_methods("/schedules"))
        .service(schedules::get_schedule)
        .service(schedules::update_schedule)
        .service(schedules::delete_schedule)
        .service(other_methods("/schedules/{id}"))
        .service(timers::list_schedule_timers)
        .service(other_methods("/schedules/{id}/timers"))
        .service(timers::get_active_schedule_timer)
        .service(other_methods("/schedules/{id}/timers/active"))
        .service(todos::list_todos)
        .service(todos::create_todo)
        .service(other_methods("/todos"))
        .service(todos::get_todo)
        .service(todos::update_todo)
        .service(todos::delete_todo)
        .service(other_methods("/todos/{id}"))
        .service(timers::list_todo_timers)
        .service(other_methods("/todos/{id}/timers"))
        .service(timers::get_active_todo_timer)
        .service(other_methods("/todos/{id}/timers/active"))
        .service(tags::list_tags)
        .service(tags::create_tag)
        .service(other_methods("/tags"))
        .service(tags::get_tag)
        .service(tags::update_tag)
        .service(tags::delete_tag)
        .service(other_methods("/tags/{id}"))
        .service(reports::summary_report)
        .service(other_methods("/reports/summary"));

    cfg.service(openapi::openapi_json)
        .service(openapi::docs_page);
    playground::configure(cfg);

    // `/users/me` before `/users/{id}`, so `me` is never read as an id.
    cfg.service(users::get_me)
        .service(users::patch_me)
        .service(users::delete_me)
        .service(users::get_user);

    cfg.service(follows::list_friends_active)
        .service(follows::list_friends)
        .service(follows::follow_user)
        .service(follows::unfollow_user)
        .service(follows::list_followers)
        .service(follows::list_following);

    cfg.service(meetups::list_meetups)
        .service(meetups::create_meetup)
        .service(meetups::get_meetup)
        .service(meetups::join_meetup)
        .service(meetups::leave_meetup)
        .service(meetups::cancel_meetup);

    // Literal paths before `{id}` (`/notifications/read-all` before `/notifications/{id}`),
    // although the method guards already keep them apart.
    cfg.service(notifications::list_notifications)
        .service(notifications::unread_count)
        .service(notifications::read_all)
        .service(notifications::send_test_notification)
        .service(notifications::mark_read)
        .service(notifications::delete_notification);
}

/// The timer API `path`, under each prefix, answering every method with 405: registered after
/// the path's handlers, it receives exactly the methods they do not serve. Before
/// `/timers/{id}`, it also keeps `PATCH /v1/timers/active` a 405 rather than a malformed id.
fn other_methods(path: &str) -> Vec<Resource> {
    TIMER_API_PREFIXES
        .iter()
        .map(|prefix| web::resource(format!("{prefix}{path}")).to(method_not_allowed))
        .collect()
}

/// A known path with a method it does not serve, in the one error envelope.
async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::method_not_allowed())
}

#[cfg(test)]
mod tests {
    use actix_web::http::Method;
    use actix_web::test::TestRequest;
    use utoipa::openapi::PathItem;

    use super::testing::{Ports, call_anonymous, error_of};
    use super::*;

    /// Every operation of the OpenAPI document with the path it is served at (`{id}` filled in).
    fn documented() -> Vec<(Method, String, bool)> {
        let doc = openapi::document();
        let mut operations = Vec::new();
        for (path, item) in &doc.paths.paths {
            let PathItem {
                get,
                post,
                patch,
                delete,
                extensions,
                ..
            } = item;
            // The path itself and the aliases its item lists (`x-aliases`).
            let mut served = vec![path.clone()];
            if let Some(aliases) = extensions
                .as_ref()
                .and_then(|e| e.get(openapi::ALIASES_EXTENSION))
                .and_then(serde_json::Value::as_array)
            {
                served.extend(aliases.iter().filter_map(|a| a.as_str().map(str::to_owned)));
            }
            for (method, operation) in [
                (Method::GET, get),
                (Method::POST, post),
                (Method::PATCH, patch),
                (Method::DELETE, delete),
            ] {
                if let Some(operation) = operation {
                    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                    for at in &served {
                        operations.push((method.clone(), at.replace("{id}", "7"), secured));
                    }
                }
            }
        }
        operations
    }

    /// Each documented operation reaches a handler (which asks for a token) under the path and
    /// method the document gives, and under each alias its path item lists (`/api/v1`): the
    /// route attributes and the document agree.
    #[actix_web::test]
    async fn every_documented_operation_is_routed() {
        let secured: Vec<(Method, String)> = documented()
            .into_iter()
            .filter_map(|(method, path, secured)| secured.then_some((method, path)))
            .collect();
        assert!(secured.len() >= 70, "{}", secured.len());
        for (method, path) in secured {
            let request = TestRequest::default().method(method.clone()).uri(&path);
            let response = call_anonymous(Ports::default(), request).await;
            assert_eq!(
                error_of(response).await,
                (401, "UNAUTHORIZED".to_owned()),
                "{method} {path}"
            );
        }
    }

    /// A timer API path answers the methods it does not serve with 405, under both prefixes;
    /// `/api/v1`-only paths fall through to the 404 of unknown routes.
    #[actix_web::test]
    async fn unserved_methods_are_405_on_timer_api_paths() {
        for (method, path) in [
            (Method::POST, "/v1/timers"),
            (Method::POST, "/api/v1/timers"),
            (Method::PATCH, "/v1/timers/active"),
            (Method::DELETE, "/api/v1/timers/active"),
            (Method::PUT, "/v1/timers/7"),
            (Method::HEAD, "/v1/schedules"),
            (Method::PUT, "/api/v1/schedules/7"),
            (Method::POST, "/v1/schedules/7/timers"),
            (Method::DELETE, "/api/v1/schedules/7/timers/active"),
            (Method::PUT, "/v1/todos"),
            (Method::POST, "/v1/todos/7"),
            (Method::PATCH, "/api/v1/todos/7/timers"),
            (Method::POST, "/v1/todos/7/timers/active"),
            (Method::PUT, "/v1/tags"),
            (Method::POST, "/api/v1/tags/7"),
        ] {
            let request = TestRequest::default().method(method.clone()).uri(path);
            let response = call_anonymous(Ports::default(), request).await;
            assert_eq!(
                error_of(response).await,
                (405, "METHOD_NOT_ALLOWED".to_owned()),
                "{method} {path}"
            );
        }
        for (method, path) in [
            (Method::PUT, "/api/v1/meetups"),
            (Method::POST, "/api/v1/users/me"),
            (Method::POST, "/api/v1/notifications/7"),
            (Method::GET, "/v1/nothing-here"),
        ] {
            let request = TestRequest::default().method(method.clone()).uri(path);
            let response = call_anonymous(Ports::default(), request).await;
            assert_eq!(
                error_of(response).await,
                (404, "NOT_FOUND".to_owned()),
                "{method} {path}"
            );
        }
    }
}
