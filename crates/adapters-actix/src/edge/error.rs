//! The one error type of the HTTP edge: a status, a stable code and a message, rendered as the
//! contract's envelope `{"code": "...", "message": "..."}`.
//!
//! Handlers return `Result<_, ApiError>` and use `?`: each module that meets a port or domain error
//! implements `From<ThatError> for ApiError` next to its routes, deciding the wire code there.
//! 5xx causes are logged once, here, with an id the client sees; their text never leaves the server.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use hourglass_ports::error::StorageError;
use serde::Serialize;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after_seconds: Option<u64>,
}

/// The error envelope every non-2xx REST answer carries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"code": "TIMER_NOT_FOUND", "message": "timer not found"}))]
pub struct ErrorBody {
    /// A stable code, e.g. `INVALID_PARAMETER`, `TIMER_NOT_FOUND`, `VALIDATION_FAILED`.
    pub code: String,
    /// A human-readable explanation naming the offending parameter or field where there is one.
    pub message: String,
}

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
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

    /// 403 `FORBIDDEN`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    /// 404 with a resource-specific code such as `TIMER_NOT_FOUND`.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 409 with a rule-specific code such as `MEETUP_FULL`.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
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
            StorageError::Unknown(_) => Self::internal(&error),
        }
    }
}

impl From<crate::edge::timezone::InvalidTimezone> for ApiError {
    /// 400 `INVALID_TIMEZONE`, wherever a `timezone` parameter is read (REST, WebSocket, SSE).
    fn from(error: crate::edge::timezone::InvalidTimezone) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_TIMEZONE",
            error.to_string(),
        )
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
    }
}
