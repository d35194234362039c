//! Hostile text gets a clear client error, never a 500 (issue 17): U+0000, which PostgreSQL
//! cannot store in text, is refused at the edge in every stored text field over REST and the
//! WebSocket, in a WebSocket `request_id`, and in a token's `sub`, as is a `sub` longer than the
//! users table holds. Before, each of these reached PostgreSQL and came back as
//! `500 INTERNAL_ERROR`. Instants outside years 1 to 9999 are refused too, wherever they come
//! in (filters, bodies, report dates, hand-made cursors).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::auth_support::{claims, hs256};
use crate::helpers::TestApp;
use crate::sse_client::{call, member};
use crate::ws_client::{Client, create, message, timer_id};

const NUL: &str = "a\u{0}b";

#[tokio::test]
async fn nul_in_any_stored_text_is_a_client_error() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let alice = member(&app, "hostile-nul", "alice").await?;
    let mut device = Client::connect(&app, "hostile-nul", "").await?;
    let timer = timer_id(&device.request(&create(60, json!({}))).await?)?;
    let starts_at = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();

    let cases: Vec<(Method, String, Value)> = vec![
        (
            Method::POST,
            "/v1/tags".into(),
            json!({"name": NUL, "color": "#112233"}),
        ),
        (
            Method::POST,
            "/v1/schedules".into(),
            json!({"title": NUL, "start_time": "2026-01-28T10:00:00", "end_time": "2026-01-28T11:00:00"}),
        ),
        (
            Method::POST,
            "/v1/schedules".into(),
            json!({"title": "t", "description": NUL, "start_time": "2026-01-28T10:00:00", "end_time": "2026-01-28T11:00:00"}),
        ),
        (Method::POST, "/v1/todos".into(), json!({"title": NUL})),
        (
            Method::POST,
            "/v1/todos".into(),
            json!({"title": "t", "description": NUL}),
        ),
        (
            Method::PATCH,
            format!("/v1/timers/{timer}"),
            json!({"title": NUL}),
        ),
        (
            Method::PATCH,
            format!("/v1/timers/{timer}"),
            json!({"description": NUL}),
        ),
        (
            Method::POST,
            "/api/v1/meetups".into(),
            json!({"title": NUL, "description": "d", "startsAt": starts_at}),
        ),
        (
            Method::POST,
            "/api/v1/meetups".into(),
            json!({"title": "t", "description": NUL, "startsAt": starts_at}),
        ),
        (
            Method::PATCH,
            "/api/v1/users/me".into(),
            json!({"nickname": NUL}),
        ),
    ];
    for (method, path, body) in cases {
        let (status, answer) =
            call(&app, &alice, method.clone(), &path, Some(body.clone())).await?;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path} {body}: {status} {answer}"
        );
        assert!(
            answer["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{method} {path}: {answer}"
        );
    }

    for (request, code) in [
        (create(60, json!({"title": NUL})), "CREATE_FAILED"),
        (create(60, json!({"description": NUL})), "CREATE_FAILED"),
        (
            message("timer.sync", json!({}), Some(NUL)),
            "INVALID_MESSAGE",
        ),
    ] {
        let reply = device.request(&request).await?;
        assert_eq!(reply["type"], "error", "{request}: {reply}");
        assert_eq!(reply["payload"]["code"], code, "{request}: {reply}");
    }
    // The connection is still usable.
    let synced = device
        .request(&message("timer.sync", json!({}), None))
        .await?;
    assert_eq!(synced["type"], "timer.sync_result");
    app.stop().await
}

#[tokio::test]
async fn a_sub_the_users_table_cannot_hold_is_401() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    for sub in [NUL.to_owned(), "s".repeat(256)] {
        let token = hs256(&claims(&sub))?;
        let answer = app
            .client
            .get(app.url("/api/v1/users/me"))
            .bearer_auth(&token)
            .send()
            .await?;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{sub:?}");
    }
    let longest = hs256(&claims(&"s".repeat(255)))?;
    let answer = app
        .client
        .get(app.url("/api/v1/users/me"))
        .bearer_auth(&longest)
        .send()
        .await?;
    assert_eq!(answer.status(), StatusCode::OK);
    app.stop().await
}

/// A hand-made cursor of `list_tag` whose instant is `seconds` after the epoch.
fn cursor_at(list_tag: u8, seconds: i64) -> String {
    let mut bytes = vec![1, list_tag];
    bytes.extend_from_slice(&seconds.to_be_bytes());
    bytes.extend_from_slice(&[0; 16]);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Instants outside years 1 to 9999 are refused wherever an instant comes in: query filters,
/// body fields, report dates and hand-made cursors.
#[tokio::test]
async fn instants_outside_years_1_to_9999_are_client_errors() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let alice = member(&app, "hostile-instants", "alice").await?;
    // Years -7500 and 100 000: the first is below what PostgreSQL stores at all.
    let far_past = cursor_at(0x02, -300_000_000_000);
    let far_future = cursor_at(0x02, 3_100_000_000_000);
    let gets = [
        "/v1/timers?start_date=0000-12-31T00:00:00Z".to_owned(),
        "/v1/timers?end_date=0000-12-31".to_owned(),
        "/v1/schedules?start_date=-0001-01-01T00:00:00Z".to_owned(),
        "/v1/reports/summary?from=0000-01-01&to=0000-01-02&group_by=day".to_owned(),
        format!("/v1/schedules?cursor={far_past}"),
        format!("/v1/schedules?cursor={far_future}"),
    ];
    for path in gets {
        let (status, answer) = call(&app, &alice, Method::GET, &path, None).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
    }
    let (status, answer) = call(
        &app,
        &alice,
        Method::POST,
        "/v1/schedules",
        Some(json!({"title": "t", "start_time": "0000-06-01T10:00:00", "end_time": "2026-01-28T11:00:00"})),
    )
    .await?;
    assert!(status.is_client_error(), "{status}: {answer}");
    // The edges of the range are fine.
    let (status, answer) = call(
        &app,
        &alice,
        Method::GET,
        "/v1/timers?start_date=0001-01-01T00:00:00Z&end_date=9999-12-31T23:59:59Z",
        None,
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{answer}");
    app.stop().await
}
