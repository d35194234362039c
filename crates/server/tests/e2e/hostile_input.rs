//! Hostile text gets a clear client error, never a 500 (issue 17): U+0000, which PostgreSQL
//! cannot store in text, and the other C0 control characters except tab and line breaks are
//! refused at the edge in every stored text field over REST and the WebSocket, in a WebSocket
//! `request_id`, and in a token's `sub`, as is a `sub` longer than the users table holds. Before, each of these reached PostgreSQL and came back as
//! `500 INTERNAL_ERROR`. Instants outside years 1 to 9999 are refused too, wherever they come
//! in (filters, bodies, report dates, hand-made cursors).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::auth_support::{claims, hs256};
use crate::helpers::TestApp;
use crate::sse_client::{Member, call, member};
use crate::ws_client::{Client, create, message, timer_id};

const NUL: &str = "a\u{0}b";

/// NUL, and the C0 controls refused besides it: bell, escape (a terminal colour sequence), a
/// lone carriage return, backspace, vertical tab.
const CONTROLS: [&str; 6] = [
    NUL,
    "ring\u{7}",
    "\u{1b}[31mred",
    "over\rwritten",
    "back\u{8}space",
    "v\u{b}tab",
];

#[tokio::test]
async fn c0_controls_in_any_stored_text_are_a_client_error() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let alice = member(&app, "hostile-nul", "alice").await?;
    let mut device = Client::connect(&app, "hostile-nul", "").await?;
    let timer = timer_id(&device.request(&create(60, json!({}))).await?)?;
    for control in CONTROLS {
        refused_everywhere(&app, &alice, &mut device, &timer, control).await?;
    }
    // Tab, line feed and CR LF are content.
    let lines = "first\tline\r\nsecond\nthird";
    let (status, answer) = call(
        &app,
        &alice,
        Method::POST,
        "/v1/todos",
        Some(json!({"title": "t\tt", "description": lines})),
    )
    .await?;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["description"], lines);
    let created = device
        .request(&create(60, json!({"description": lines})))
        .await?;
    assert_eq!(created["type"], "timer.created", "{created}");
    app.stop().await
}

/// Sends `bad` in every stored text field over REST and the WebSocket and in a `request_id`:
/// each is a 4xx or an `error` naming the rule.
async fn refused_everywhere(
    app: &TestApp,
    alice: &Member,
    device: &mut Client,
    timer: &str,
    bad: &str,
) -> anyhow::Result<()> {
    let starts_at = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();

    let cases: Vec<(Method, String, Value)> = vec![
        (
            Method::POST,
            "/v1/tags".into(),
            json!({"name": bad, "color": "#112233"}),
        ),
        (
            Method::POST,
            "/v1/schedules".into(),
            json!({"title": bad, "start_time": "2026-01-28T10:00:00", "end_time": "2026-01-28T11:00:00"}),
        ),
        (
            Method::POST,
            "/v1/schedules".into(),
            json!({"title": "t", "description": bad, "start_time": "2026-01-28T10:00:00", "end_time": "2026-01-28T11:00:00"}),
        ),
        (Method::POST, "/v1/todos".into(), json!({"title": bad})),
        (
            Method::POST,
            "/v1/todos".into(),
            json!({"title": "t", "description": bad}),
        ),
        (
            Method::PATCH,
            format!("/v1/timers/{timer}"),
            json!({"title": bad}),
        ),
        (
            Method::PATCH,
            format!("/v1/timers/{timer}"),
            json!({"description": bad}),
        ),
        (
            Method::POST,
            "/api/v1/meetups".into(),
            json!({"title": bad, "description": "d", "startsAt": starts_at}),
        ),
        (
            Method::POST,
            "/api/v1/meetups".into(),
            json!({"title": "t", "description": bad, "startsAt": starts_at}),
        ),
        (
            Method::PATCH,
            "/api/v1/users/me".into(),
            json!({"nickname": bad}),
        ),
    ];
    for (method, path, body) in cases {
        let (status, answer) = call(app, alice, method.clone(), &path, Some(body.clone())).await?;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path} {body}: {status} {answer}"
        );
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|m| m.contains("control character")),
            "{method} {path} {body}: {answer}"
        );
    }

    for (request, code) in [
        (create(60, json!({"title": bad})), "CREATE_FAILED"),
        (create(60, json!({"description": bad})), "CREATE_FAILED"),
        (
            message("timer.sync", json!({}), Some(bad)),
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
    Ok(())
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
