//! Bodies and parameters that cannot be read: the contract's answers instead of actix's plain
//! text ones (`timer-api.md`, "REST").
//!
//! - JSON bodies above 1 MiB → 413 `PAYLOAD_TOO_LARGE`.
//! - Malformed JSON, a missing field, a field of the wrong type → 422 `VALIDATION_FAILED`. With
//!   [`JsonBody`] the message names the field (`profileImage: invalid type: …`); plain
//!   `web::Json` gets serde's message, which names missing and unknown fields but not the field
//!   of a wrong type.
//! - A path or query parameter that does not parse → 400 `INVALID_PARAMETER`.
//! - No route → 404 `NOT_FOUND`.
//!
//! [`configure`] registers all of them; [`crate::configure`] calls it.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;

use crate::edge::error::ApiError;

/// The largest JSON body accepted.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// Registers the JSON, path and query error handlers and the 404 default service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(JSON_BODY_LIMIT)
            .error_handler(|error, _req| json_error(error).into()),
    )
    .app_data(web::PathConfig::default().error_handler(|error, _req| path_error(&error).into()))
    .app_data(web::QueryConfig::default().error_handler(|error, _req| query_error(&error).into()))
    .default_service(web::to(not_found));
}

/// The envelope for a JSON body that could not be read.
pub fn json_error(error: JsonPayloadError) -> ApiError {
    match error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::payload_too_large()
        }
        JsonPayloadError::Payload(actix_web::error::PayloadError::Overflow) => {
            ApiError::payload_too_large()
        }
        JsonPayloadError::ContentType => {
            ApiError::validation("the body must be JSON (Content-Type: application/json)")
        }
        JsonPayloadError::Deserialize(error) if error.is_data() => {
            ApiError::validation(format!("invalid body: {error}"))
        }
        JsonPayloadError::Deserialize(error) => {
            ApiError::validation(format!("malformed JSON body: {error}"))
        }
        other => ApiError::validation(format!("cannot read the body: {other}")),
    }
}

fn path_error(error: &PathError) -> ApiError {
    ApiError::invalid_parameter(format!("invalid path parameter: {error}"))
}

fn query_error(error: &QueryPayloadError) -> ApiError {
    ApiError::invalid_parameter(format!("invalid query parameter: {error}"))
}

/// The default service: 404 `NOT_FOUND` in the envelope.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("NOT_FOUND", "no such route"))
}

/// A JSON body of type `T` whose refusal names the field at fault: 422 `VALIDATION_FAILED`
/// `nickname: invalid type: integer `5`, expected a string`. Limits and malformed JSON are
/// handled as for `web::Json` (the registered `JsonConfig`).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> Deref for JsonBody<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let web::Json(value) = value.await?;
            serde_path_to_error::deserialize(value)
                .map(JsonBody)
                .map_err(|error| {
                    let path = error.path().to_string();
                    let inner = error.into_inner();
                    let message = if path == "." {
                        format!("invalid body: {inner}")
                    } else {
                        format!("{path}: {inner}")
                    };
                    ApiError::validation(message).into()
                })
        })
    }
}
