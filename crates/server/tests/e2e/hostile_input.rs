//! Hostile text gets a clear client error, never a 500 (issue 17): U+0000, which PostgreSQL
//! cannot store in text, and the other C0 control characters except tab and line breaks are
//! refused at the edge in every stored text field over REST and the WebSocket, in a WebSocket
//! `request_id`, and in a token's `sub`, as is a `sub` longer than the users table holds. Before, each of these reached PostgreSQL and came back as
//! `500 INTERNAL_ERROR`. Instants outside years 1 to 9999 are refused too, wherever they come
//! in (filters, bodies, report dates, hand-made cursors).

use anyhow::Context as _;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};
use futures_util::SinkExt as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;

use crate::auth_support::{claims, hs256};
use crate::helpers::TestApp;
use crate::logged_server::{LoggedServer, error_lines, json_lines};
use crate::sse_client::{Member, call, member};
use crate::ws_client::{Client, create, message, open, timer_id, token};

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

/// A nasty value for a JSON body field, written as JSON text (so lone surrogates and numbers
/// JSON cannot represent in Rust values can be sent as a client would).
struct BodyValue {
    label: &'static str,
    json: String,
    /// Whether a stored text field must refuse it (4xx); otherwise anything but a 5xx will do.
    refused_as_text: bool,
}

fn body_values() -> Vec<BodyValue> {
    let value = |label, json: &str, refused_as_text| BodyValue {
        label,
        json: json.to_owned(),
        refused_as_text,
    };
    vec![
        value("NUL", r#""a\u0000b""#, true),
        value("C0 controls", r#""a\u0007\u001b[2J\rb""#, true),
        value("lone high surrogate", r#""a\ud800b""#, true),
        value("lone low surrogate", r#""\udc00""#, true),
        value(
            "10k characters",
            &format!("\"{}\"", "x".repeat(10_000)),
            true,
        ),
        value(
            "RTL override, zero-width",
            r#""\u202eevil\u200b\u200d\ufeff""#,
            false,
        ),
        value("SQL-ish", r#""'; DROP TABLE timers; --""#, false),
        value("LIKE wildcards", r#""%_\\""#, false),
        value("year 0", r#""0000-01-01T00:00:00""#, false),
        value("year 10000", r#""10000-01-01T00:00:00Z""#, false),
        value("huge number", "99999999999999999999999", true),
        value("float overflow", "1e999", true),
        value("negative", "-1", true),
        value("null", "null", false),
        value("array", r#"["a"]"#, true),
        value("object", r#"{"$gt": ""}"#, true),
    ]
}

/// A nasty value for a query parameter or a path segment, already percent-encoded.
fn query_values() -> Vec<(&'static str, String)> {
    vec![
        ("NUL", "a%00b".to_owned()),
        ("C0 controls", "a%07%1B%0Db".to_owned()),
        ("invalid UTF-8", "%FF%FE".to_owned()),
        ("encoded surrogate", "%ED%A0%80".to_owned()),
        ("10k characters", "x".repeat(10_000)),
        ("RTL override, zero-width", "%E2%80%AEx%E2%80%8B".to_owned()),
        ("SQL-ish", "'%20OR%201%3D1--".to_owned()),
        ("year 0", "0000-01-01T00:00:00Z".to_owned()),
        ("year 10000", "10000-01-01T00:00:00Z".to_owned()),
        ("huge number", "99999999999999999999".to_owned()),
        ("negative", "-1".to_owned()),
        ("empty", String::new()),
        ("bogus cursor", format!("01ff{}", "00".repeat(24))),
    ]
}

/// The nasty-value table of `docs/reliability.md` ("Hostile input"): every text field, body
/// field, query parameter, path id and cursor of the REST API, every field of `timer.create`,
/// `request_id` and `timer_id` on the WebSocket, and the handshake and SSE parameters get each
/// value. Nothing may answer 5xx (`INTERNAL_ERROR` / `SERVICE_UNAVAILABLE` on the WebSocket),
/// stored text fields must refuse what they cannot hold, and the server must log no ERROR line.
#[tokio::test]
async fn nasty_values_everywhere_get_no_5xx_and_no_error_log() -> anyhow::Result<()> {
    let server = LoggedServer::start(&[
        ("RUST_LOG", "info"),
        ("RATE_LIMIT_ENABLED", "false"),
        ("SSE_MAX_STREAMS_PER_USER", "10000"),
    ])
    .await?;
    let base = server.base.clone();
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()?;
    let bearer = token("hostile-table")?;
    let me: Value = http
        .get(format!("{base}/api/v1/users/me"))
        .bearer_auth(&bearer)
        .send()
        .await?
        .json()
        .await?;
    let me = me["id"].as_i64().context("user id")?;
    let ws_base = format!("{}/v1/ws/timers", base.replacen("http://", "ws://", 1));
    let protocol = format!("authorization.bearer.{bearer}");
    let mut device = Client::connect_offering(&ws_base, &[&protocol]).await?;
    let timer = timer_id(&device.request(&create(60, json!({}))).await?)?;
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(&bearer)
            .json(&body)
            .send()
    };
    let created: Value = post("/v1/tags", json!({"name": "fixture", "color": "#112233"}))
        .await?
        .json()
        .await?;
    let tag = created["id"].as_str().context("tag id")?.to_owned();
    let created: Value = post(
        "/v1/schedules",
        json!({"title": "s", "start_time": "2026-01-28T10:00:00", "end_time": "2026-01-28T11:00:00"}),
    )
    .await?
    .json()
    .await?;
    let schedule = created["id"].as_str().context("schedule id")?.to_owned();
    let created: Value = post("/v1/todos", json!({"title": "t"}))
        .await?
        .json()
        .await?;
    let todo = created["id"].as_str().context("todo id")?.to_owned();
    let starts_at = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let created: Value = post(
        "/api/v1/meetups",
        json!({"title": "m", "description": "d", "startsAt": starts_at}),
    )
    .await?
    .json()
    .await?;
    let meetup = created["id"].as_i64().context("meetup id")?;

    let mut failures: Vec<String> = Vec::new();
    let mut sent = 0_usize;

    // Bodies: (method, path, the other fields, the field under test, whether it is stored text).
    let schedule_times =
        r#""start_time": "2026-01-28T10:00:00", "end_time": "2026-01-28T11:00:00""#;
    let meetup_start = format!(r#""startsAt": "{starts_at}", "description": "d", "title": "m""#);
    let bodies: Vec<(Method, String, String, &str, bool)> = vec![
        (
            Method::POST,
            "/v1/tags".into(),
            r##""color": "#112233""##.into(),
            "name",
            true,
        ),
        (
            Method::POST,
            "/v1/tags".into(),
            r#""name": "c""#.into(),
            "color",
            false,
        ),
        (
            Method::PATCH,
            format!("/v1/tags/{tag}"),
            String::new(),
            "name",
            true,
        ),
        (
            Method::PATCH,
            format!("/v1/tags/{tag}"),
            String::new(),
            "color",
            false,
        ),
        (
            Method::POST,
            "/v1/schedules".into(),
            schedule_times.into(),
            "title",
            true,
        ),
        (
            Method::POST,
            "/v1/schedules".into(),
            format!(r#""title": "s", {schedule_times}"#),
            "description",
            true,
        ),
        (
            Method::POST,
            "/v1/schedules".into(),
            r#""title": "s", "end_time": "2026-01-28T11:00:00""#.into(),
            "start_time",
            false,
        ),
        (
            Method::POST,
            "/v1/schedules".into(),
            r#""title": "s", "start_time": "2026-01-28T10:00:00""#.into(),
            "end_time",
            false,
        ),
        (
            Method::POST,
            "/v1/schedules".into(),
            format!(r#""title": "s", {schedule_times}"#),
            "tag_ids",
            false,
        ),
        (
            Method::PATCH,
            format!("/v1/schedules/{schedule}"),
            String::new(),
            "title",
            true,
        ),
        (
            Method::PATCH,
            format!("/v1/schedules/{schedule}"),
            String::new(),
            "description",
            true,
        ),
        (
            Method::PATCH,
            format!("/v1/schedules/{schedule}"),
            String::new(),
            "start_time",
            false,
        ),
        (
            Method::PATCH,
            format!("/v1/schedules/{schedule}"),
            String::new(),
            "end_time",
            false,
        ),
        (
            Method::PATCH,
            format!("/v1/schedules/{schedule}"),
            String::new(),
            "tag_ids",
            false,
        ),
        (
            Method::POST,
            "/v1/todos".into(),
            String::new(),
            "title",
            true,
        ),
        (
            Method::POST,
            "/v1/todos".into(),
            r#""title": "t""#.into(),
            "description",
            true,
        ),
        (
            Method::POST,
            "/v1/todos".into(),
            r#""title": "t""#.into(),
            "status",
            false,
        ),
        (
            Method::POST,
            "/v1/todos".into(),
            r#""title": "t""#.into(),
            "deadline",
            false,
        ),
        (
            Method::POST,
            "/v1/todos".into(),
            r#""title": "t""#.into(),
            "tag_ids",
            false,
        ),
        (
            Method::PATCH,
            format!("/v1/todos/{todo}"),
            String::new(),
            "title",
            true,
        ),
        (
            Method::PATCH,
            format!("/v1/todos/{todo}"),
            String::new(),
            "description",
            true,
        ),
        (
            Method::PATCH,
            format!("/v1/todos/{todo}"),
            String::new(),
            "status",
            false,
        ),
        (
            Method::PATCH,
            format!("/v1/todos/{todo}"),
            String::new(),
            "deadline",
            false,
        ),
        (
            Method::PATCH,
            format!("/v1/timers/{timer}"),
            String::new(),
            "title",
            true,
        ),
        (
            Method::PATCH,
            format!("/v1/timers/{timer}"),
            String::new(),
            "description",
            true,
        ),
        (
            Method::PATCH,
            format!("/v1/timers/{timer}"),
            String::new(),
            "allocated_duration",
            false,
        ),
        (
            Method::PATCH,
            format!("/v1/timers/{timer}"),
            String::new(),
            "visibility",
            false,
        ),
        (
            Method::PATCH,
            format!("/v1/timers/{timer}"),
            String::new(),
            "schedule_id",
            false,
        ),
        (
            Method::PATCH,
            format!("/v1/timers/{timer}"),
            String::new(),
            "todo_id",
            false,
        ),
        (
            Method::PATCH,
            format!("/v1/timers/{timer}"),
            String::new(),
            "tag_ids",
            false,
        ),
        (
            Method::POST,
            "/api/v1/meetups".into(),
            format!(r#""startsAt": "{starts_at}", "description": "d""#),
            "title",
            true,
        ),
        (
            Method::POST,
            "/api/v1/meetups".into(),
            format!(r#""startsAt": "{starts_at}", "title": "m""#),
            "description",
            true,
        ),
        (
            Method::POST,
            "/api/v1/meetups".into(),
            r#""title": "m", "description": "d""#.into(),
            "startsAt",
            false,
        ),
        (
            Method::POST,
            "/api/v1/meetups".into(),
            meetup_start,
            "capacity",
            false,
        ),
        (
            Method::PATCH,
            "/api/v1/users/me".into(),
            String::new(),
            "nickname",
            true,
        ),
        (
            Method::PATCH,
            "/api/v1/users/me".into(),
            String::new(),
            "profileImage",
            false,
        ),
    ];
    for value in body_values() {
        for (method, path, others, field, text) in &bodies {
            let separator = if others.is_empty() { "" } else { ", " };
            let body = format!(r#"{{{others}{separator}"{field}": {}}}"#, value.json);
            let answer = http
                .request(method.clone(), format!("{base}{path}"))
                .bearer_auth(&bearer)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await?;
            sent += 1;
            let status = answer.status();
            let must_refuse = *text && value.refused_as_text;
            if status.is_server_error() || (must_refuse && !status.is_client_error()) {
                let text = answer.text().await.unwrap_or_default();
                let shown: String = text.chars().take(200).collect();
                failures.push(format!(
                    "{method} {path} {field}={}: {status} {shown}",
                    value.label
                ));
            }
        }
    }

    // Query parameters, path ids and cursors.
    let queries: Vec<(String, Vec<&str>)> = vec![
        (
            "/v1/timers".into(),
            vec![
                "scope",
                "status",
                "type",
                "start_date",
                "end_date",
                "include_schedule",
                "include_todo",
                "tag_include_mode",
                "timezone",
                "limit",
                "cursor",
            ],
        ),
        (
            "/v1/timers/active".into(),
            vec!["include_schedule", "tag_include_mode", "timezone"],
        ),
        (
            format!("/v1/timers/{timer}"),
            vec!["include_todo", "timezone"],
        ),
        (
            format!("/v1/schedules/{schedule}/timers"),
            vec!["status", "start_date", "limit", "cursor"],
        ),
        (
            format!("/v1/todos/{todo}/timers"),
            vec!["type", "end_date", "limit", "cursor"],
        ),
        (
            "/v1/schedules".into(),
            vec!["start_date", "end_date", "timezone", "limit", "cursor"],
        ),
        ("/v1/todos".into(), vec!["timezone", "limit", "cursor"]),
        ("/v1/tags".into(), vec!["limit", "cursor"]),
        (
            "/v1/reports/summary".into(),
            vec!["from", "to", "timezone", "group_by"],
        ),
        (
            "/api/v1/meetups".into(),
            vec!["limit", "cursor", "timezone"],
        ),
        (format!("/api/v1/meetups/{meetup}"), vec!["timezone"]),
        (
            "/api/v1/notifications".into(),
            vec!["unreadOnly", "limit", "cursor", "timezone"],
        ),
        ("/api/v1/users/me/friends".into(), vec!["limit", "cursor"]),
        (
            "/api/v1/users/me/friends/active".into(),
            vec!["limit", "cursor"],
        ),
        (
            format!("/api/v1/users/{me}/followers"),
            vec!["limit", "cursor"],
        ),
        (
            format!("/api/v1/users/{me}/following"),
            vec!["limit", "cursor"],
        ),
    ];
    let ids = [
        "/v1/timers/",
        "/v1/schedules/",
        "/v1/todos/",
        "/v1/tags/",
        "/api/v1/meetups/",
        "/api/v1/users/",
        "/api/v1/notifications/",
    ];
    for (label, value) in query_values() {
        let mut requests: Vec<(Method, String)> = Vec::new();
        for (path, params) in &queries {
            for param in params {
                requests.push((Method::GET, format!("{path}?{param}={value}")));
            }
        }
        for prefix in ids {
            requests.push((Method::GET, format!("{prefix}{value}")));
        }
        requests.push((Method::DELETE, format!("/v1/timers/{value}")));
        requests.push((Method::PATCH, format!("/api/v1/notifications/{value}/read")));
        requests.push((Method::POST, format!("/api/v1/users/{value}/follow")));
        requests.push((
            Method::POST,
            format!("/api/v1/meetups/{value}/participants"),
        ));
        for (method, path) in requests {
            let answer = http
                .request(method.clone(), format!("{base}{path}"))
                .bearer_auth(&bearer)
                .send()
                .await?;
            sent += 1;
            if answer.status().is_server_error() {
                let shown: String = path.chars().take(120).collect();
                failures.push(format!("{method} {shown} ({label}): {}", answer.status()));
            }
        }
        // The SSE handshake and its resume point.
        for query in [format!("timezone={value}"), format!("lastEventId={value}")] {
            let answer = http
                .get(format!("{base}/api/v1/notifications/subscribe?{query}"))
                .bearer_auth(&bearer)
                .send()
                .await?;
            sent += 1;
            if answer.status().is_server_error() {
                failures.push(format!("SSE {query:.60} ({label}): {}", answer.status()));
            }
        }
        // The WebSocket handshake's timezone.
        sent += 1;
        match open(&format!("{ws_base}?timezone={value}"), &[&protocol], None).await {
            Ok((mut socket, _)) => {
                let _closed = socket.close(None).await;
            }
            Err(tungstenite::Error::Http(response)) if response.status().is_client_error() => {}
            Err(other) => failures.push(format!("WS handshake timezone ({label}): {other}")),
        }
    }

    // WebSocket frames, written as JSON text.
    for value in body_values() {
        let v = &value.json;
        let frames: Vec<(String, bool)> = vec![
            (
                format!(
                    r#"{{"type": "timer.create", "payload": {{"allocated_duration": 60, "title": {v}}}}}"#
                ),
                value.refused_as_text,
            ),
            (
                format!(
                    r#"{{"type": "timer.create", "payload": {{"allocated_duration": 60, "description": {v}}}}}"#
                ),
                value.refused_as_text,
            ),
            (
                format!(r#"{{"type": "timer.create", "payload": {{"allocated_duration": {v}}}}}"#),
                false,
            ),
            (
                format!(
                    r#"{{"type": "timer.create", "payload": {{"allocated_duration": 60, "visibility": {v}}}}}"#
                ),
                false,
            ),
            (
                format!(
                    r#"{{"type": "timer.create", "payload": {{"allocated_duration": 60, "schedule_id": {v}}}}}"#
                ),
                false,
            ),
            (
                format!(
                    r#"{{"type": "timer.create", "payload": {{"allocated_duration": 60, "todo_id": {v}}}}}"#
                ),
                false,
            ),
            (
                format!(
                    r#"{{"type": "timer.create", "payload": {{"allocated_duration": 60, "tag_ids": [{v}]}}}}"#
                ),
                false,
            ),
            (
                format!(r#"{{"type": "timer.sync", "payload": {{}}, "request_id": {v}}}"#),
                value.refused_as_text,
            ),
            (
                format!(r#"{{"type": "timer.pause", "payload": {{"timer_id": {v}}}}}"#),
                false,
            ),
            (
                format!(r#"{{"type": "timer.sync", "payload": {{"timer_id": {v}}}}}"#),
                false,
            ),
            (format!(r#"{{"type": {v}, "payload": {{}}}}"#), false),
        ];
        for (frame, must_refuse) in frames {
            device
                .socket
                .send(tungstenite::Message::Text(frame.clone().into()))
                .await?;
            sent += 1;
            // A frame gets zero, one or more messages back; a sync with its own request_id
            // marks where its answers end.
            let sentinel = format!("sentinel-{sent}");
            device
                .send(&message("timer.sync", json!({}), Some(&sentinel)))
                .await?;
            let mut replies = Vec::new();
            loop {
                let reply = device.recv().await?;
                if reply["request_id"] == sentinel.as_str() {
                    break;
                }
                replies.push(reply);
            }
            let shown: String = frame.chars().take(120).collect();
            for reply in &replies {
                let code = reply["payload"]["code"].as_str().unwrap_or_default();
                if code == "INTERNAL_ERROR" || code == "SERVICE_UNAVAILABLE" {
                    failures.push(format!("WS {shown} ({}): {reply}", value.label));
                }
            }
            if must_refuse && !replies.iter().any(|reply| reply["type"] == "error") {
                failures.push(format!(
                    "WS {shown} ({}): not refused: {replies:?}",
                    value.label
                ));
            }
        }
    }
    let synced = device
        .request(&message("timer.sync", json!({}), None))
        .await?;
    assert_eq!(
        synced["type"], "timer.sync_result",
        "the connection still works"
    );

    let log = server.stop().await?;
    let errors = error_lines(&log);
    assert!(
        failures.is_empty() && errors.is_empty(),
        "{} of {sent} requests failed:\n{}\nERROR log lines:\n{}",
        failures.len(),
        failures.join("\n"),
        errors
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(())
}

/// The backstop: a value the edge lets through but the database refuses (here a CHECK the
/// test adds, standing for any rule only the schema knows) is 422 `VALIDATION_FAILED` over
/// REST and `CREATE_FAILED` over the WebSocket, logged at warn, not a 500 with an ERROR line.
#[tokio::test]
async fn a_value_the_database_refuses_is_a_client_error_logged_at_warn() -> anyhow::Result<()> {
    const REFUSED: &str = "refused by the database";
    let server = LoggedServer::start(&[("RUST_LOG", "info")]).await?;
    let mut conn = AsyncPgConnection::establish(server.database().url()).await?;
    for table in ["tags", "timers"] {
        let column = if table == "tags" { "name" } else { "title" };
        diesel::sql_query(format!(
            "ALTER TABLE {table} ADD CONSTRAINT hostile_probe CHECK ({column} <> '{REFUSED}')"
        ))
        .execute(&mut conn)
        .await?;
    }
    drop(conn);
    let bearer = token("hostile-backstop")?;
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/tags", server.base))
        .bearer_auth(&bearer)
        .json(&json!({"name": REFUSED, "color": "#112233"}))
        .send()
        .await?;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = answer.json().await?;
    assert_eq!(body["code"], "VALIDATION_FAILED", "{body}");

    let url = format!(
        "{}/v1/ws/timers",
        server.base.replacen("http://", "ws://", 1)
    );
    let protocol = format!("authorization.bearer.{bearer}");
    let mut device = Client::connect_offering(&url, &[&protocol]).await?;
    let reply = device
        .request(&create(60, json!({"title": REFUSED})))
        .await?;
    assert_eq!(reply["payload"]["code"], "CREATE_FAILED", "{reply}");

    let log = server.stop().await?;
    assert!(error_lines(&log).is_empty(), "{:?}", error_lines(&log));
    let warned = json_lines(&log)?
        .into_iter()
        .filter(|event| {
            event["level"] == "WARN"
                && event["fields"]["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("hostile_probe"))
        })
        .count();
    assert_eq!(warned, 2, "one warn line per refusal");
    Ok(())
}
