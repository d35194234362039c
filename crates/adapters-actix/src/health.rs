//! The liveness probe. It answers as long as the process can serve HTTP and deliberately
//! touches nothing else: a database outage must not make an orchestrator restart healthy
//! processes (readiness is a separate probe).

use actix_web::{HttpResponse, get};
use serde::Serialize;

/// The body of a successful probe: `{"status":"ok"}`.
#[derive(Debug, Serialize)]
pub struct HealthBody {
    /// Always `"ok"`.
    pub status: &'static str,
}

/// `GET /healthz`: 200 with `{"status":"ok"}`.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthBody { status: "ok" })
}

#[cfg(test)]
mod tests {
    use actix_web::http::{StatusCode, header};
    use actix_web::{App, test};

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
}
