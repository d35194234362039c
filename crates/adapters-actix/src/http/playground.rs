//! `GET /playground`: a live page to learn the protocol with, served by the binary.
//!
//! The page, its script and style, and the TypeScript SDK's browser bundle
//! (`clients/typescript/bundle/hourglass-client.js`, committed; a check in `just sdk` fails when
//! it is stale) are compiled into the binary: the page loads nothing from anywhere else, and its
//! `Content-Security-Policy` allows nothing else (scripts, styles, `fetch`, WebSocket and
//! EventSource only from the server's own origin, which the WebSocket and SSE `Origin` checks
//! accept without any `CORS_ALLOWED_ORIGINS` entry).
//!
//! A developer pastes a token, or, when `PLAYGROUND_DEV_TOKENS=true` (off by default, never for
//! production), asks `POST /playground/token` for one: an HS256 token signed with `JWT_SECRET`
//! for the subject `playground:<name>`, valid for an hour. The namespace keeps development users
//! apart from everyone else's; with the setting off the route answers 404 like an unknown one.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use actix_web::{HttpResponse, get, post, web};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::edge::error::ApiError;
use crate::edge::middleware::body::JsonBody;
use crate::settings::DevTokens;
use crate::state::AppState;

/// The page.
const PAGE: &str = include_str!("playground/index.html");
/// The page's script (plain JavaScript over the SDK bundle's `window.Hourglass`).
const APP_JS: &str = include_str!("playground/app.js");
/// The page's style.
const APP_CSS: &str = include_str!("playground/app.css");
/// The SDK, bundled for browsers (`window.Hourglass`).
pub const SDK_BUNDLE: &str =
    include_str!("../../../../clients/typescript/bundle/hourglass-client.js");

/// Everything from this origin, nothing else; no inline script or style.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self' data:; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// How long a development token lives.
const DEV_TOKEN_SECONDS: i64 = 3600;

/// The longest `name` of a development token.
const MAX_NAME: usize = 32;

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", CSP))
        .body(body)
}

/// `GET /playground`: the page.
#[get("/playground")]
pub async fn page() -> HttpResponse {
    asset("text/html; charset=utf-8", PAGE)
}

/// `GET /playground/app.js`.
#[get("/playground/app.js")]
pub async fn app_js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", APP_JS)
}

/// `GET /playground/app.css`.
#[get("/playground/app.css")]
pub async fn app_css() -> HttpResponse {
    asset("text/css; charset=utf-8", APP_CSS)
}

/// `GET /playground/hourglass-client.js`: the SDK bundle.
#[get("/playground/hourglass-client.js")]
pub async fn sdk_bundle() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SDK_BUNDLE)
}

/// `POST /playground/token`'s body.
#[derive(Debug, Deserialize)]
pub struct DevTokenRequest {
    /// 1–32 of `A-Z a-z 0-9 _ -`; the token's subject is `playground:<name>`.
    pub name: String,
}

/// `POST /playground/token`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevTokenBody {
    /// The JWT.
    pub token: String,
    /// Its `sub`.
    pub sub: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    name: &'a str,
    iat: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
}

/// `POST /playground/token`: a development token, when `PLAYGROUND_DEV_TOKENS` is on; 404
/// otherwise.
#[post("/playground/token")]
pub async fn dev_token(
    state: web::Data<AppState>,
    body: JsonBody<DevTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let Some(keys) = &state.settings.playground_dev_tokens else {
        return Err(ApiError::not_found("NOT_FOUND", "no such route"));
    };
    let name = body.name.as_str();
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        return Err(ApiError::validation(format!(
            "name: 1 to {MAX_NAME} of A-Z a-z 0-9 _ -, got {name:?}"
        )));
    }
    let sub = format!("playground:{name}");
    let token = mint(keys, &sub, name, state.clock.now().unix_seconds())
        .map_err(|error| ApiError::internal(&error))?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .json(DevTokenBody {
            token,
            sub,
            expires_in: DEV_TOKEN_SECONDS,
        }))
}

/// Signs a development token for `sub`, issued at `now` (Unix seconds).
fn mint(
    keys: &DevTokens,
    sub: &str,
    name: &str,
    now: i64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let claims = Claims {
        sub,
        name,
        iat: now,
        exp: now + DEV_TOKEN_SECONDS,
        iss: keys.issuer.as_deref(),
        aud: keys.audience.as_deref(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&keys.secret),
    )
}

/// Registers the page, its assets and the development-token route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(page)
        .service(app_js)
        .service(app_css)
        .service(sdk_bundle)
        .service(dev_token);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use actix_web::test::{self, TestRequest};
    use actix_web::{App, http::StatusCode};

    use super::*;
    use crate::http::testing::{Ports, SECRET, call_anonymous, error_of};
    use crate::settings::EdgeSettings;

    #[test]
    fn the_page_loads_nothing_from_elsewhere_and_the_bundle_is_the_sdk() {
        for (name, text) in [("page", PAGE), ("app.js", APP_JS), ("app.css", APP_CSS)] {
            for external in ["http://", "https://", "//cdn", "<script>", " style=\""] {
                assert!(!text.contains(external), "{name} contains {external}");
            }
        }
        assert!(PAGE.contains(r#"src="/playground/hourglass-client.js""#));
        assert!(SDK_BUNDLE.contains("var Hourglass ="));
    }

    #[actix_web::test]
    async fn the_page_is_served_with_a_strict_policy() {
        let response =
            call_anonymous(Ports::default(), TestRequest::get().uri("/playground")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let csp = response
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            csp.starts_with("default-src 'none'; script-src 'self';"),
            "{csp}"
        );
    }

    #[actix_web::test]
    async fn development_tokens_are_off_by_default() {
        let request = TestRequest::post()
            .uri("/playground/token")
            .set_json(serde_json::json!({"name": "alice"}));
        let response = call_anonymous(Ports::default(), request).await;
        assert_eq!(error_of(response).await, (404, "NOT_FOUND".to_owned()));
    }

    #[actix_web::test]
    async fn when_on_a_development_token_signs_in_as_playground_name()
    -> Result<(), Box<dyn std::error::Error>> {
        let mut state = Ports::signed_in().into_state();
        state.settings = Arc::new(EdgeSettings {
            rest_limit: None,
            playground_dev_tokens: Some(DevTokens {
                secret: SECRET.to_vec(),
                issuer: None,
                audience: None,
            }),
            ..EdgeSettings::default()
        });
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(state))
                .configure(crate::configure),
        )
        .await;
        let request = TestRequest::post()
            .uri("/playground/token")
            .set_json(serde_json::json!({"name": "alice"}))
            .to_request();
        let body: serde_json::Value = test::call_and_read_body_json(&app, request).await;
        assert_eq!(body["sub"], "playground:alice");
        let token = body["token"].as_str().ok_or("no token")?;
        let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<serde_json::Value>(
            token,
            &jsonwebtoken::DecodingKey::from_secret(SECRET),
            &validation,
        )?
        .claims;
        assert_eq!(claims["sub"], "playground:alice");
        assert_eq!(
            claims["exp"]
                .as_i64()
                .zip(claims["iat"].as_i64())
                .map(|(e, i)| e - i),
            Some(DEV_TOKEN_SECONDS)
        );

        let refused = TestRequest::post()
            .uri("/playground/token")
            .set_json(serde_json::json!({"name": "not a name"}))
            .to_request();
        let response = test::call_service(&app, refused).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        Ok(())
    }
}
