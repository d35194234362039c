//! `GET /metrics`: the Prometheus scrape endpoint.
//!
//! It needs no token, like `/healthz` and `/readyz`: a scraper has no user, and nothing in the
//! exposition names a user, a timer or a secret (labels are fixed sets and route patterns). It
//! is meant for the internal network: keep it off the public proxy, or switch it off with
//! `METRICS_ENABLED=false` (then it answers 404 like an unknown route), or serve it on a listener
//! of its own with `METRICS_BIND_ADDR` ([`configure_listener`]; the main listener then answers
//! 404).

use actix_web::{HttpResponse, get, web};

use super::metrics::CONTENT_TYPE;
use crate::edge::error::ApiError;
use crate::state::AppState;

/// `GET /metrics`: every metric in the OpenMetrics text format.
///
/// # Errors
/// 404 `NOT_FOUND` when metrics are switched off.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "get_metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Every metric in the OpenMetrics text format (which Prometheus scrapes natively); see docs/observability.md", body = String, content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8"),
        (status = 404, description = "`NOT_FOUND`: metrics are switched off (`METRICS_ENABLED=false`)", body = crate::edge::error::ErrorBody),
    )
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !state.settings.metrics_enabled {
        return Err(ApiError::not_found("NOT_FOUND", "no such route"));
    }
    let text = state.metrics.encode().map_err(|e| ApiError::internal(&e))?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(text))
}

/// `GET /metrics` on the metrics-only listener (`METRICS_BIND_ADDR`): always served there.
///
/// # Errors
/// 500 when the exposition cannot be written.
pub async fn metrics_listener(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let text = state.metrics.encode().map_err(|e| ApiError::internal(&e))?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(text))
}

/// The routes of the metrics-only listener: `GET /metrics`, and the JSON 404 for anything else.
pub fn configure_listener(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics_listener));
    crate::edge::middleware::body::configure(cfg);
}
