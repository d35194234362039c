//! `GET /v1/reports/summary` over real HTTP: stored histories summed per Berlin day across the
//! spring-forward night, per tag, as CSV, a timer started over the WebSocket counted up to now,
//! and the 400s.

use hourglass_domain::timer::TimerCommand;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::rest_support::{TimerSpec, User, get, instant, spawn, user};
use crate::ws_client::{Client, create, tag};

fn seconds(body: &Value) -> Vec<i64> {
    body["groups"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .filter_map(|g| g["seconds"].as_i64())
                .collect()
        })
        .unwrap_or_default()
}

async fn csv(app: &crate::helpers::TestApp, who: &User, path: &str) -> anyhow::Result<String> {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(&who.token)
        .header(ACCEPT, "text/csv")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    Ok(response.text().await?)
}

#[tokio::test]
async fn the_summary_report_sums_stored_histories_by_berlin_day_tag_and_csv() -> anyhow::Result<()>
{
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let bob = user(&app, "bob").await?;
    let deep = tag(&app, alice.id, "deep", "#112233").await?;
    // 2026-03-28T22:00Z (23:00 CET) → 2026-03-30T00:00Z (02:00 CEST), tagged.
    TimerSpec::running_since(instant("2026-03-28T22:00:00Z")?)
        .tags(&[deep])
        .then(TimerCommand::Stop, 93_600)?
        .store(&app, &alice)
        .await?;
    // Half an hour on the 23 h day, cancelled, untagged.
    TimerSpec::running_since(instant("2026-03-29T10:00:00Z")?)
        .then(TimerCommand::Pause, 1800)?
        .then(TimerCommand::Cancel, 4000)?
        .store(&app, &alice)
        .await?;

    let range = "from=2026-03-28&to=2026-03-31&timezone=Europe/Berlin";
    let by_day = get(&app, &alice, &format!("/v1/reports/summary?{range}")).await?;
    assert_eq!(by_day.status, StatusCode::OK, "{}", by_day.body);
    assert_eq!(by_day.body["group_by"], "day");
    assert_eq!(by_day.body["timezone"], "Europe/Berlin");
    assert_eq!(seconds(&by_day.body), vec![3600, 82_800 + 1800, 7200]);
    assert_eq!(
        by_day.body["total"],
        json!({"seconds": 95_400, "by_status": {"completed": 93_600, "cancelled": 1800, "active": 0}})
    );

    let by_tag = get(
        &app,
        &alice,
        &format!("/api/v1/reports/summary?{range}&group_by=tag"),
    )
    .await?;
    assert_eq!(by_tag.status, StatusCode::OK, "{}", by_tag.body);
    assert_eq!(seconds(&by_tag.body), vec![93_600, 1800]);
    assert_eq!(by_tag.body["groups"][0]["key"], deep.to_string());
    assert_eq!(by_tag.body["groups"][0]["name"], "deep");
    assert_eq!(by_tag.body["groups"][1]["key"], Value::Null);
    assert_eq!(by_tag.body["total"]["seconds"], 95_400);

    let text = csv(&app, &alice, &format!("/v1/reports/summary?{range}")).await?;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        vec![
            "key,name,seconds,completed,cancelled,active",
            "2026-03-28,,3600,3600,0,0",
            "2026-03-29,,84600,82800,1800,0",
            "2026-03-30,,7200,7200,0,0",
            "total,,95400,93600,1800,0",
        ]
    );

    // Bob worked nothing: every day listed, all zeros.
    let bobs = get(&app, &bob, &format!("/v1/reports/summary?{range}")).await?;
    assert_eq!(seconds(&bobs.body), vec![0, 0, 0]);

    for (query, code) in [
        ("from=2026-03-31&to=2026-03-28", "INVALID_PARAMETER"),
        ("from=2026-03-28&to=2026-3-31", "INVALID_PARAMETER"),
        (
            "from=2026-03-28&to=2026-03-31&group_by=week",
            "INVALID_PARAMETER",
        ),
        ("from=2025-01-01&to=2026-02-06", "INVALID_PARAMETER"),
        (
            "from=2026-03-28&to=2026-03-31&timezone=Nowhere/City",
            "INVALID_TIMEZONE",
        ),
    ] {
        get(&app, &alice, &format!("/v1/reports/summary?{query}"))
            .await?
            .expect_error(StatusCode::BAD_REQUEST, code)?;
    }
    let anonymous = app
        .client
        .get(app.url(&format!("/v1/reports/summary?{range}")))
        .send()
        .await?;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    app.stop().await
}

#[tokio::test]
async fn a_timer_started_over_the_websocket_counts_up_to_now() -> anyhow::Result<()> {
    let app = spawn().await?;
    let carol = user(&app, "carol").await?;
    let mut device = Client::connect(&app, "carol", "").await?;
    device
        .request(&create(600, json!({"title": "now"})))
        .await?;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (
        today.pred_opt(),
        today.succ_opt().and_then(|d| d.succ_opt()),
    );
    let (Some(from), Some(to)) = (from, to) else {
        anyhow::bail!("dates out of range")
    };
    let answer = get(
        &app,
        &carol,
        &format!("/v1/reports/summary?from={from}&to={to}&timezone=UTC"),
    )
    .await?;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let active = answer.body["total"]["by_status"]["active"]
        .as_i64()
        .unwrap_or(-1);
    assert!((1..120).contains(&active), "{}", answer.body);
    assert_eq!(answer.body["total"]["seconds"], active);
    assert_eq!(seconds(&answer.body).iter().sum::<i64>(), active);
    app.stop().await
}
