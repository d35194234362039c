//! The security edges of REST: CORS, the per-user rate limit, body limits and error envelopes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::auth_support::{claims, hs256};
use crate::helpers::TestApp;

const ALLOWED: &str = "http://app.example.test:5173";

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn cors_preflight_allows_listed_origins_only() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&[
        "--cors-allowed-origins",
        &format!("{ALLOWED},wss://ws.example.test"),
    ])
    .await?;
    let preflight = |origin: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/users/me"))
            .header("origin", origin)
            .header("access-control-request-method", "PATCH")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };

    let allowed = preflight(ALLOWED).await?;
    assert_eq!(allowed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        header(&allowed, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    let methods = header(&allowed, "access-control-allow-methods").unwrap_or_default();
    for method in ["GET", "POST", "PATCH", "DELETE", "OPTIONS"] {
        assert!(methods.contains(method), "{methods}");
    }
    let headers = header(&allowed, "access-control-allow-headers").unwrap_or_default();
    for name in ["Authorization", "Content-Type", "Last-Event-ID"] {
        assert!(headers.contains(name), "{headers}");
    }

    // A wss:// entry stands for the page's https:// origin.
    let from_ws_entry = preflight("https://ws.example.test").await?;
    assert_eq!(from_ws_entry.status(), StatusCode::NO_CONTENT);

    let refused = preflight("http://evil.example.test").await?;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&refused, "access-control-allow-origin"), None);
    let body: Value = refused.json().await?;
    assert_eq!(body["code"], "FORBIDDEN");

    // Actual requests: the allowed origin may read the answer and the exposed headers.
    let token = hs256(&claims("cors-user"))?;
    let actual = app
        .client
        .get(app.url("/api/v1/users/me"))
        .header("origin", ALLOWED)
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(actual.status(), StatusCode::OK);
    assert_eq!(
        header(&actual, "access-control-allow-origin").as_deref(),
        Some(ALLOWED)
    );
    let exposed = header(&actual, "access-control-expose-headers").unwrap_or_default();
    assert!(
        exposed.contains("X-Next-Cursor") && exposed.contains("Retry-After"),
        "{exposed}"
    );

    let foreign = app
        .client
        .get(app.url("/api/v1/users/me"))
        .header("origin", "http://evil.example.test")
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(header(&foreign, "access-control-allow-origin"), None);
    app.stop().await
}

#[tokio::test]
async fn the_rest_rate_limit_is_per_user_with_retry_after() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&[
        "--rest-rate-limit-max",
        "3",
        "--rest-rate-limit-window",
        "60",
    ])
    .await?;
    let alice = hs256(&claims("limited-alice"))?;
    let bob = hs256(&claims("limited-bob"))?;
    let get = |token: &str| {
        app.client
            .get(app.url("/api/v1/users/me"))
            .bearer_auth(token)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(get(&alice).await?.status(), StatusCode::OK);
    }
    let limited = get(&alice).await?;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = header(&limited, "retry-after")
        .unwrap_or_default()
        .parse()?;
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = limited.json().await?;
    assert_eq!(body["code"], "RATE_LIMITED");

    assert_eq!(
        get(&bob).await?.status(),
        StatusCode::OK,
        "bob has his own budget"
    );
    app.stop().await
}

#[tokio::test]
async fn rate_limits_switched_off_let_everything_through() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&[
        "--rest-rate-limit-max",
        "1",
        "--rate-limit-enabled",
        "false",
    ])
    .await?;
    let token = hs256(&claims("unlimited"))?;
    for _ in 0..5 {
        let response = app
            .client
            .get(app.url("/api/v1/users/me"))
            .bearer_auth(&token)
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::OK);
    }
    app.stop().await
}

#[tokio::test]
async fn bodies_above_one_mib_are_413_and_bad_json_is_422() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = hs256(&claims("bodies"))?;
    let patch = |body: String| {
        app.client
            .patch(app.url("/api/v1/users/me"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let huge = format!(r#"{{"nickname":"{}"}}"#, "a".repeat(2 * 1024 * 1024));
    let too_large = patch(huge).await?;
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = too_large.json().await?;
    assert_eq!(body["code"], "PAYLOAD_TOO_LARGE");

    let malformed = patch("{\"nickname\": ".to_owned()).await?;
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = malformed.json().await?;
    assert_eq!(body["code"], "VALIDATION_FAILED");

    let wrong_type = patch(json!({ "nickname": 5 }).to_string()).await?;
    assert_eq!(wrong_type.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = wrong_type.json().await?;
    assert_eq!(body["code"], "VALIDATION_FAILED");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("nickname"), "{message}");
    app.stop().await
}

#[tokio::test]
async fn unknown_routes_are_a_json_404() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let response = app
        .client
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await?;
    assert_eq!(body["code"], "NOT_FOUND");
    app.stop().await
}
