//! The served API description and the readiness probe: `/openapi.json` is exactly the committed
//! `docs/openapi.json` (run `just openapi` after changing a route), `/docs` is a self-contained
//! page, and `/readyz` follows the database.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use reqwest::StatusCode;
use serde_json::Value;

use crate::rest_support::spawn;

fn committed() -> anyhow::Result<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    Ok(std::fs::read_to_string(path)?)
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() -> anyhow::Result<()> {
    let app = spawn().await?;
    let response = app.client.get(app.url("/openapi.json")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let served = response.text().await?;
    assert!(
        served == committed()?,
        "GET /openapi.json differs from docs/openapi.json: run `just openapi` and commit the file"
    );
    let doc: Value = serde_json::from_str(&served)?;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"]
        .as_object()
        .ok_or_else(|| anyhow::anyhow!("no paths"))?;
    for path in [
        "/v1/timers",
        "/v1/timers/active",
        "/v1/timers/{id}",
        "/v1/schedules/{id}/timers/active",
        "/v1/todos/{id}/timers",
        "/v1/tags/{id}",
        "/readyz",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    // The `/api/v1` aliases are named by their `/v1` path item, not documented twice.
    assert_eq!(
        paths["/v1/timers"]["x-aliases"],
        serde_json::json!(["/api/v1/timers"])
    );
    assert!(!paths.contains_key("/api/v1/timers"));
    // Every documented operation answers, at its path and at each alias (here: 401 without a
    // token, never 404).
    for (path, item) in paths
        .iter()
        .filter(|(p, _)| p.starts_with("/v1/") || p.starts_with("/api/v1/"))
    {
        if !item["get"].is_object() {
            continue;
        }
        let aliases = item["x-aliases"].as_array().cloned().unwrap_or_default();
        let served = std::iter::once(path.as_str()).chain(aliases.iter().filter_map(Value::as_str));
        for at in served {
            let concrete = at.replace("{id}", "01944f2a-0000-7000-8000-000000000001");
            let status = app.client.get(app.url(&concrete)).send().await?.status();
            assert_eq!(status, StatusCode::UNAUTHORIZED, "GET {concrete}");
        }
    }
    app.stop().await
}

#[tokio::test]
async fn the_docs_page_is_self_contained() -> anyhow::Result<()> {
    let app = spawn().await?;
    let response = app.client.get(app.url("/docs")).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = response.text().await?;
    assert!(page.contains("fetch(\"/openapi.json\")"));
    assert!(!page.contains("https://") && !page.contains("http://"));
    app.stop().await
}

#[tokio::test]
async fn readyz_follows_the_database() -> anyhow::Result<()> {
    let app = spawn().await?;
    let ready = app.client.get(app.url("/readyz")).send().await?;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(
        ready.json::<Value>().await?,
        serde_json::json!({"status": "ok"})
    );

    // Take the database away: refuse new connections and end the open ones (the pool's too).
    // That needs a session on another database: the cluster's admin one.
    let admin_url = std::env::var(hourglass_test_support::TEST_DATABASE_URL)?;
    let mut conn = AsyncPgConnection::establish(&admin_url).await?;
    let name = app.database().name().replace('"', "\"\"");
    diesel::sql_query(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"))
        .execute(&mut conn)
        .await?;
    diesel::sql_query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(app.database().name())
        .execute(&mut conn)
        .await?;
    drop(conn);

    let response = app
        .client
        .get(app.url("/readyz"))
        .timeout(Duration::from_secs(15))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await?;
    assert_eq!(body["code"], "SERVICE_UNAVAILABLE");
    // Liveness does not depend on the database.
    let live = app.client.get(app.url("/healthz")).send().await?;
    assert_eq!(live.status(), StatusCode::OK);
    app.stop().await
}
