//! The probes. Liveness (`/healthz`) answers as long as the process can serve HTTP and
//! deliberately touches nothing else: a database outage must not make an orchestrator restart
//! healthy processes. Readiness (`/readyz`) asks the [`ReadinessProbe`] whether the database
//! answers, so traffic is routed elsewhere while it does not.
//!
//! [`ReadinessProbe`]: hourglass_ports::health::ReadinessProbe

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::edge::error::ApiError;
use crate::state::AppState;

/// The body of a successful probe: `{"status":"ok"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthBody {
    /// Always `"ok"`.
    #[schema(value_type = String, example = "ok")]
    pub status: &'static str,
}

/// `GET /healthz`: 200 with `{"status":"ok"}`.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "get_healthz",
    tag = "operations",
    responses((status = 200, description = "The process serves HTTP", body = HealthBody))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthBody { status: "ok" })
}

/// `GET /readyz`: 200 `{"status":"ok"}` when the database answers, else 503
/// `SERVICE_UNAVAILABLE` (the cause is logged, not shown).
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "get_readyz",
    tag = "operations",
    responses(
        (status = 200, description = "The database answers", body = HealthBody),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: the database does not answer", body = crate::edge::error::ErrorBody),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.readiness.check().await?;
    Ok(HttpResponse::Ok().json(HealthBody { status: "ok" }))
}

#[cfg(test)]
mod tests {
    use actix_web::http::{StatusCode, header};
    use actix_web::{App, test};
    use hourglass_ports::health::NotReady;

    use crate::http::testing::{Ports, call_anonymous, error_of};

    #[actix_web::test]
    async fn healthz_answers_ok_in_json() {
        let app = test::init_service(App::new().configure(crate::configure)).await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/healthz").to_request()).await;

        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
        assert_eq!(
            content_type.as_ref().and_then(|value| value.to_str().ok()),
            Some("application/json")
        );
        let body: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(body, serde_json::json!({ "status": "ok" }));
    }

    #[actix_web::test]
    async fn readyz_is_503_while_the_database_does_not_answer() {
        let mut ports = Ports::default();
        ports.readiness.expect_check().returning(|| {
            Err(NotReady {
                what: "database",
                source: "connection refused".into(),
            })
        });
        let response = call_anonymous(ports, test::TestRequest::get().uri("/readyz")).await;
        assert_eq!(
            error_of(response).await,
            (503, "SERVICE_UNAVAILABLE".to_owned())
        );
    }
}
