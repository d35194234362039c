//! The one error type of the HTTP edge: a status, a stable code and a message, rendered as the
//! contract's envelope `{"code": "...", "message": "..."}`.
//!
//! This module is the one place where a failure gets its code and status (`docs/api.md`,
//! "Errors"): the constructors of [`ApiError`] fix the status of each code, and the `From` impls
//! below turn every port, domain and parameter error a REST handler meets into one of them.
//! Handlers only use `?` (or [`ApiError::planning`] for the schedule, todo and tag use cases, whose
//! not-found code depends on the object) and never pick a status themselves.
//!
//! 5xx causes are logged once, here, when the error is built; their text never leaves the
//! server, and a 500 carries an id the client sees and the log repeats.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use hourglass_domain::meetup::MeetupError;
use hourglass_ports::error::StorageError;
use hourglass_ports::health::NotReady;
use hourglass_ports::service::account::AccountServiceError;
use hourglass_ports::service::follow::FollowServiceError;
use hourglass_ports::service::meetup::MeetupServiceError;
use hourglass_ports::service::notification::NotificationServiceError;
use hourglass_ports::service::planning::PlanningServiceError;
use hourglass_ports::service::timer::TimerReadError;
use hourglass_ports::service::user::UserServiceError;
use hourglass_ports::timer::{DeleteTimerError, TimerLink, UpdateTimerError};
use serde::Serialize;

use crate::edge::query::QueryError;
use crate::edge::timezone::InvalidTimezone;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after_seconds: Option<u64>,
}

/// Every `code` a REST answer can carry, as the OpenAPI document lists it (so a generated
/// client types errors by code). [`ApiError`]'s constructor checks each code against it in debug
/// builds, so a new code cannot be used without being listed here.
pub const ERROR_CODES: [&str; 27] = [
    "INVALID_PARAMETER",
    "INVALID_TIMEZONE",
    "UNAUTHORIZED",
    "ACCOUNT_DELETED",
    "FORBIDDEN",
    "NOT_FOUND",
    "TIMER_NOT_FOUND",
    "NO_ACTIVE_TIMER",
    "SCHEDULE_NOT_FOUND",
    "TODO_NOT_FOUND",
    "TAG_NOT_FOUND",
    "USER_NOT_FOUND",
    "MEETUP_NOT_FOUND",
    "NOTIFICATION_NOT_FOUND",
    "NOT_A_PARTICIPANT",
    "METHOD_NOT_ALLOWED",
    "DUPLICATE_NAME",
    "CANNOT_FOLLOW_SELF",
    "MEETUP_FULL",
    "MEETUP_CANCELLED",
    "ALREADY_JOINED",
    "HOST_CANNOT_JOIN",
    "PAYLOAD_TOO_LARGE",
    "VALIDATION_FAILED",
    "RATE_LIMITED",
    "INTERNAL_ERROR",
    "SERVICE_UNAVAILABLE",
];

/// The schema of [`ErrorBody::code`]: a string, one of [`ERROR_CODES`].
fn error_code_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(ERROR_CODES))
        .description(Some(
            "A stable code, e.g. `INVALID_PARAMETER`, `TIMER_NOT_FOUND`, `VALIDATION_FAILED`.",
        ))
        .build()
}

/// The error envelope every non-2xx REST answer carries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"code": "TIMER_NOT_FOUND", "message": "timer not found"}))]
pub struct ErrorBody {
    /// A stable code, e.g. `INVALID_PARAMETER`, `TIMER_NOT_FOUND`, `VALIDATION_FAILED`.
    #[schema(schema_with = error_code_schema)]
    pub code: String,
    /// A human-readable explanation naming the offending parameter or field where there is one.
    pub message: String,
}

impl ApiError {
    /// An error with an explicit status and code: private, so the named constructors and the
    /// `From` impls below stay the one table of codes and statuses.
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        debug_assert!(
            ERROR_CODES.contains(&code),
            "{code} is not listed in ERROR_CODES (the OpenAPI document's codes)"
        );
        Self {
            status,
            code,
            message: message.into(),
            retry_after_seconds: None,
        }
    }

    /// 400 `INVALID_PARAMETER`; the message names the parameter.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_PARAMETER", message)
    }

    /// 401 `UNAUTHORIZED` (sent with `WWW-Authenticate: Bearer`).
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    /// 401 `ACCOUNT_DELETED` (sent with `WWW-Authenticate: Bearer`): the token's account was
    /// deleted; it will not be created again with this token.
    pub fn account_deleted() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "ACCOUNT_DELETED",
            "the account of this token was deleted; sign in again to create a new one",
        )
    }

    /// 403 `FORBIDDEN`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    /// 404 with a resource-specific code such as `TIMER_NOT_FOUND`.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 404 `NO_ACTIVE_TIMER`: an `…/timers/active` route found no RUNNING or PAUSED timer.
    pub fn no_active_timer() -> Self {
        Self::not_found("NO_ACTIVE_TIMER", "there is no RUNNING or PAUSED timer")
    }

    /// 405 `METHOD_NOT_ALLOWED`: a known path with a method it does not serve.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "this path does not serve that method",
        )
    }

    /// 409 with a rule-specific code such as `MEETUP_FULL`.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 413 `PAYLOAD_TOO_LARGE`: a JSON body above the limit.
    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "JSON bodies are limited to 1 MiB",
        )
    }

    /// 422 `VALIDATION_FAILED`; the message names the field.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_FAILED",
            message,
        )
    }

    /// 429 `RATE_LIMITED` with `Retry-After`.
    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            format!("too many requests; retry in {retry_after_seconds} s"),
        );
        error.retry_after_seconds = Some(retry_after_seconds);
        error
    }

    /// 503 `SERVICE_UNAVAILABLE`, logging the cause once.
    pub fn unavailable(cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::warn!(error = %ErrorChain(cause), "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "the service is temporarily unavailable; retry later",
        )
    }

    /// 422 `VALIDATION_FAILED` for a value the database refused although the edge let it
    /// through (a backstop: the request is at fault, not the server), logging the cause once at
    /// warn. The database's text is not echoed: it can quote stored data or the schema.
    pub fn refused_by_storage(cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::warn!(error = %ErrorChain(cause), "the database refused a value of the request");
        Self::validation("the database refused a value of this request")
    }

    /// 500 `INTERNAL_ERROR`, logging the cause once under an id the message repeats.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let id = uuid::Uuid::now_v7().simple().to_string();
        tracing::error!(error_id = %id, error = %ErrorChain(cause), "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            format!("internal error (id {id})"),
        )
    }

    /// The answer to a failed schedule, todo or tag use case on `object`: its own not-found
    /// code, `TAG_NOT_FOUND` for a tag it links that is unknown or foreign, 409
    /// `DUPLICATE_NAME`, 422 for a value out of range.
    pub fn planning(object: PlanningObject, error: PlanningServiceError) -> Self {
        match error {
            PlanningServiceError::NotFound => object.not_found(),
            PlanningServiceError::UnknownTag => PlanningObject::Tag.unknown_link("tag_ids"),
            PlanningServiceError::DuplicateName => {
                Self::conflict("DUPLICATE_NAME", "you already have a tag with this name")
            }
            PlanningServiceError::Invalid(invalid) => Self::validation(invalid.to_string()),
            PlanningServiceError::Storage(storage) => storage.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let Some(seconds) = self.retry_after_seconds {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(ErrorBody {
            code: self.code.to_owned(),
            message: self.message.clone(),
        })
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        match &error {
            StorageError::Unavailable(_) => Self::unavailable(&error),
            StorageError::Rejected(_) => Self::refused_by_storage(&error),
            StorageError::Unknown(_) => Self::internal(&error),
        }
    }
}

impl From<NotReady> for ApiError {
    /// 503: a dependency `/readyz` asked about does not answer.
    fn from(error: NotReady) -> Self {
        Self::unavailable(&error)
    }
}

impl From<InvalidTimezone> for ApiError {
    /// 400 `INVALID_TIMEZONE`, wherever a `timezone` parameter is read (REST, WebSocket, SSE).
    fn from(error: InvalidTimezone) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_TIMEZONE",
            error.to_string(),
        )
    }
}

impl From<QueryError> for ApiError {
    /// 400 `INVALID_PARAMETER` naming the parameter, or `INVALID_TIMEZONE`.
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::Invalid { message, .. } => Self::invalid_parameter(message),
            QueryError::Timezone(invalid) => Self::from(invalid),
        }
    }
}

/// The objects of the planning use cases, for their not-found codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanningObject {
    /// A schedule.
    Schedule,
    /// A todo.
    Todo,
    /// A tag.
    Tag,
}

impl PlanningObject {
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
}

impl From<TimerLink> for PlanningObject {
    fn from(link: TimerLink) -> Self {
        match link {
            TimerLink::Schedule => Self::Schedule,
            TimerLink::Todo => Self::Todo,
            TimerLink::Tag => Self::Tag,
        }
    }
}

/// 404 `TIMER_NOT_FOUND`: missing, or another user's timer the caller may not read or change
/// (never 403, so a timer's existence does not leak).
fn timer_not_found() -> ApiError {
    ApiError::not_found("TIMER_NOT_FOUND", "timer not found")
}

impl From<TimerReadError> for ApiError {
    fn from(error: TimerReadError) -> Self {
        match error {
            TimerReadError::NotFound => timer_not_found(),
            TimerReadError::Storage(storage) => storage.into(),
        }
    }
}

impl From<UpdateTimerError> for ApiError {
    fn from(error: UpdateTimerError) -> Self {
        match error {
            UpdateTimerError::NotFound => timer_not_found(),
            UpdateTimerError::UnknownLink(link) => {
                PlanningObject::from(link).unknown_link(link.field())
            }
            UpdateTimerError::Storage(storage) => storage.into(),
        }
    }
}

impl From<DeleteTimerError> for ApiError {
    fn from(error: DeleteTimerError) -> Self {
        match error {
            DeleteTimerError::NotFound => timer_not_found(),
            DeleteTimerError::Storage(storage) => storage.into(),
        }
    }
}

impl From<UserServiceError> for ApiError {
    fn from(error: UserServiceError) -> Self {
        match error {
            UserServiceError::NotFound => Self::not_found("USER_NOT_FOUND", "user not found"),
            UserServiceError::Storage(storage) => Self::from(storage),
        }
    }
}

impl From<AccountServiceError> for ApiError {
    fn from(error: AccountServiceError) -> Self {
        match error {
            // Deleted by a concurrent request since this one signed in.
            AccountServiceError::NotFound => Self::account_deleted(),
            AccountServiceError::Storage(storage) => Self::from(storage),
        }
    }
}

impl From<FollowServiceError> for ApiError {
    fn from(error: FollowServiceError) -> Self {
        match error {
            FollowServiceError::CannotFollowSelf => Self::new(
                StatusCode::BAD_REQUEST,
                "CANNOT_FOLLOW_SELF",
                "a user cannot follow themselves",
            ),
            FollowServiceError::UserNotFound => Self::not_found("USER_NOT_FOUND", "user not found"),
            FollowServiceError::Storage(storage) => Self::from(storage),
        }
    }
}

impl From<MeetupServiceError> for ApiError {
    fn from(error: MeetupServiceError) -> Self {
        match error {
            MeetupServiceError::NotFound => Self::not_found("MEETUP_NOT_FOUND", "meetup not found"),
            MeetupServiceError::Rejected(rule) => Self::from(rule),
            MeetupServiceError::Storage(storage) => Self::from(storage),
        }
    }
}

impl From<MeetupError> for ApiError {
    /// A meetup rule: a value out of range is 422 naming the camelCase field, a rule about the
    /// meetup's state 409, an action reserved to the host (or forbidden to them) 403.
    fn from(rule: MeetupError) -> Self {
        let message = rule.to_string();
        match rule {
            MeetupError::TitleLength => Self::validation(format!("title: {message}")),
            MeetupError::DescriptionLength => Self::validation(format!("description: {message}")),
            MeetupError::ControlCharacter { field, .. } => {
                Self::validation(format!("{field}: {message}"))
            }
            MeetupError::CapacityOutOfRange { .. } => {
                Self::validation(format!("capacity: {message}"))
            }
            MeetupError::StartsAtNotInFuture => Self::validation(format!("startsAt: {message}")),
            MeetupError::Cancelled | MeetupError::AlreadyCancelled => {
                Self::conflict("MEETUP_CANCELLED", message)
            }
            MeetupError::HostCannotJoin => Self::conflict("HOST_CANNOT_JOIN", message),
            MeetupError::AlreadyJoined => Self::conflict("ALREADY_JOINED", message),
            MeetupError::Full => Self::conflict("MEETUP_FULL", message),
            MeetupError::HostCannotLeave | MeetupError::NotHost => Self::forbidden(message),
            MeetupError::NotAParticipant => Self::not_found("NOT_A_PARTICIPANT", message),
        }
    }
}

impl From<NotificationServiceError> for ApiError {
    fn from(error: NotificationServiceError) -> Self {
        match error {
            NotificationServiceError::NotFound => {
                Self::not_found("NOTIFICATION_NOT_FOUND", "notification not found")
            }
            NotificationServiceError::Storage(storage) => Self::from(storage),
        }
    }
}

/// Displays an error with its sources, `a: b: c`, for the one log line a 5xx gets.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    #[actix_web::test]
    async fn renders_the_envelope_with_www_authenticate_on_401()
    -> Result<(), Box<dyn std::error::Error>> {
        let response = ApiError::unauthorized("token expired").error_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers().get(header::WWW_AUTHENTICATE),
            Some(&HeaderValue::from_static("Bearer"))
        );
        let body = to_bytes(response.into_body())
            .await
            .map_err(|e| e.to_string())?;
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body)?,
            serde_json::json!({"code": "UNAUTHORIZED", "message": "token expired"})
        );
        Ok(())
    }

    #[actix_web::test]
    async fn rate_limited_carries_retry_after() {
        let response = ApiError::rate_limited(17).error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from_static("17"))
        );
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let cause = std::io::Error::other("password=hunter2");
        let error = ApiError::internal(&cause);
        assert_eq!(error.code(), "INTERNAL_ERROR");
        assert!(!error.message().contains("hunter2"));
        let error = ApiError::from(StorageError::Unavailable("password=hunter2".into()));
        assert_eq!(error.code(), "SERVICE_UNAVAILABLE");
        assert!(!error.message().contains("hunter2"));
        let error = ApiError::from(StorageError::Rejected("key (secret)=(hunter2)".into()));
        assert_eq!(error.code(), "VALIDATION_FAILED");
        assert!(!error.message().contains("hunter2"));
    }

    fn unavailable() -> StorageError {
        StorageError::Unavailable("connection refused".into())
    }

    /// The table of `docs/api.md`, "Errors": every error a REST handler meets, with the status
    /// and code it answers.
    #[test]
    fn every_failure_gets_its_status_and_code() -> Result<(), Box<dyn std::error::Error>> {
        use hourglass_domain::validation::Title;
        use hourglass_ports::service::planning::PlanningServiceError as Planning;

        use crate::edge::timezone::RenderZone;

        let Err(too_long) = Title::new("x".repeat(201)) else {
            panic!("201 characters must be refused")
        };
        let Err(bad_zone) = RenderZone::parse("Mars/Base") else {
            panic!("must be refused")
        };
        let table: Vec<(ApiError, u16, &str)> = vec![
            // Constructors.
            (
                ApiError::invalid_parameter("limit …"),
                400,
                "INVALID_PARAMETER",
            ),
            (
                ApiError::unauthorized("missing access token"),
                401,
                "UNAUTHORIZED",
            ),
            (ApiError::account_deleted(), 401, "ACCOUNT_DELETED"),
            (ApiError::forbidden("…"), 403, "FORBIDDEN"),
            (ApiError::no_active_timer(), 404, "NO_ACTIVE_TIMER"),
            (ApiError::method_not_allowed(), 405, "METHOD_NOT_ALLOWED"),
            (ApiError::payload_too_large(), 413, "PAYLOAD_TOO_LARGE"),
            (ApiError::validation("title …"), 422, "VALIDATION_FAILED"),
            (ApiError::rate_limited(3), 429, "RATE_LIMITED"),
            // Parameters.
            (
                QueryError::invalid("cursor", "cursor …").into(),
                400,
                "INVALID_PARAMETER",
            ),
            (
                QueryError::Timezone(bad_zone.clone()).into(),
                400,
                "INVALID_TIMEZONE",
            ),
            (bad_zone.into(), 400, "INVALID_TIMEZONE"),
            // Storage, whichever use case meets it.
            (unavailable().into(), 503, "SERVICE_UNAVAILABLE"),
            (
                NotReady {
                    what: "database",
                    source: "connection refused".into(),
                }
                .into(),
                503,
                "SERVICE_UNAVAILABLE",
            ),
            (
                StorageError::Unknown("bug".into()).into(),
                500,
                "INTERNAL_ERROR",
            ),
            (
                StorageError::Rejected("value too long for type character varying(255)".into())
                    .into(),
                422,
                "VALIDATION_FAILED",
            ),
            (
                UpdateTimerError::Storage(StorageError::Rejected("check".into())).into(),
                422,
                "VALIDATION_FAILED",
            ),
            (
                TimerReadError::Storage(unavailable()).into(),
                503,
                "SERVICE_UNAVAILABLE",
            ),
            (
                FollowServiceError::Storage(unavailable()).into(),
                503,
                "SERVICE_UNAVAILABLE",
            ),
            (
                MeetupServiceError::Storage(unavailable()).into(),
                503,
                "SERVICE_UNAVAILABLE",
            ),
            (
                NotificationServiceError::Storage(unavailable()).into(),
                503,
                "SERVICE_UNAVAILABLE",
            ),
            (
                UserServiceError::Storage(unavailable()).into(),
                503,
                "SERVICE_UNAVAILABLE",
            ),
            (
                ApiError::planning(PlanningObject::Tag, Planning::Storage(unavailable())),
                503,
                "SERVICE_UNAVAILABLE",
            ),
            // Timers.
            (TimerReadError::NotFound.into(), 404, "TIMER_NOT_FOUND"),
            (UpdateTimerError::NotFound.into(), 404, "TIMER_NOT_FOUND"),
            (DeleteTimerError::NotFound.into(), 404, "TIMER_NOT_FOUND"),
            (
                UpdateTimerError::UnknownLink(TimerLink::Schedule).into(),
                404,
                "SCHEDULE_NOT_FOUND",
            ),
            (
                UpdateTimerError::UnknownLink(TimerLink::Todo).into(),
                404,
                "TODO_NOT_FOUND",
            ),
            (
                UpdateTimerError::UnknownLink(TimerLink::Tag).into(),
                404,
                "TAG_NOT_FOUND",
            ),
            // Schedules, todos, tags.
            (
                ApiError::planning(PlanningObject::Schedule, Planning::NotFound),
                404,
                "SCHEDULE_NOT_FOUND",
            ),
            (
                ApiError::planning(PlanningObject::Todo, Planning::NotFound),
                404,
                "TODO_NOT_FOUND",
            ),
            (
                ApiError::planning(PlanningObject::Tag, Planning::NotFound),
                404,
                "TAG_NOT_FOUND",
            ),
            (
                ApiError::planning(PlanningObject::Schedule, Planning::UnknownTag),
                404,
                "TAG_NOT_FOUND",
            ),
            (
                ApiError::planning(PlanningObject::Tag, Planning::DuplicateName),
                409,
                "DUPLICATE_NAME",
            ),
            (
                ApiError::planning(PlanningObject::Todo, Planning::Invalid(too_long)),
                422,
                "VALIDATION_FAILED",
            ),
            // Users and following.
            (UserServiceError::NotFound.into(), 404, "USER_NOT_FOUND"),
            (
                FollowServiceError::CannotFollowSelf.into(),
                400,
                "CANNOT_FOLLOW_SELF",
            ),
            (
                FollowServiceError::UserNotFound.into(),
                404,
                "USER_NOT_FOUND",
            ),
            // Meetups.
            (MeetupServiceError::NotFound.into(), 404, "MEETUP_NOT_FOUND"),
            (
                MeetupServiceError::Rejected(MeetupError::Full).into(),
                409,
                "MEETUP_FULL",
            ),
            (MeetupError::Full.into(), 409, "MEETUP_FULL"),
            (MeetupError::Cancelled.into(), 409, "MEETUP_CANCELLED"),
            (
                MeetupError::AlreadyCancelled.into(),
                409,
                "MEETUP_CANCELLED",
            ),
            (MeetupError::AlreadyJoined.into(), 409, "ALREADY_JOINED"),
            (MeetupError::HostCannotJoin.into(), 409, "HOST_CANNOT_JOIN"),
            (MeetupError::HostCannotLeave.into(), 403, "FORBIDDEN"),
            (MeetupError::NotHost.into(), 403, "FORBIDDEN"),
            (
                MeetupError::NotAParticipant.into(),
                404,
                "NOT_A_PARTICIPANT",
            ),
            (MeetupError::TitleLength.into(), 422, "VALIDATION_FAILED"),
            (
                MeetupError::DescriptionLength.into(),
                422,
                "VALIDATION_FAILED",
            ),
            (
                MeetupError::StartsAtNotInFuture.into(),
                422,
                "VALIDATION_FAILED",
            ),
            // Notifications.
            (
                NotificationServiceError::NotFound.into(),
                404,
                "NOTIFICATION_NOT_FOUND",
            ),
        ];
        for (error, status, code) in &table {
            assert_eq!(
                (error.status().as_u16(), error.code()),
                (*status, *code),
                "{error}"
            );
            // The rendered answer agrees with the table.
            let response = error.error_response();
            assert_eq!(response.status().as_u16(), *status, "{error}");
        }
        Ok(())
    }

    #[test]
    fn messages_name_the_field_or_the_object() {
        use hourglass_ports::service::planning::PlanningServiceError as Planning;

        let unknown = ApiError::planning(PlanningObject::Schedule, Planning::UnknownTag);
        assert_eq!(unknown.message(), "tag_ids does not name one of your tags");
        let link = ApiError::from(UpdateTimerError::UnknownLink(TimerLink::Todo));
        assert_eq!(link.message(), "todo_id does not name one of your todos");
        assert_eq!(
            ApiError::planning(PlanningObject::Todo, Planning::NotFound).message(),
            "todo not found"
        );
        assert!(
            ApiError::from(MeetupError::StartsAtNotInFuture)
                .message()
                .starts_with("startsAt: ")
        );
    }
}
