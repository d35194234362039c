//! What operators are handed besides the binary, checked against the running server: the
//! Grafana dashboard and the alerting rules name only metrics a real `/metrics` scrape has (a
//! renamed metric fails here, not on a dashboard in production); the metrics added for them
//! (`build_info`, `process_*`, HTTP latency, the LISTEN connection) are there with sane values;
//! secrets are read from `_FILE` variables by the real binary.

use std::collections::BTreeSet;

use anyhow::Context as _;
use reqwest::StatusCode;

use crate::helpers::{TEST_JWT_SECRET, TestApp, run_hourglass, text};

const DASHBOARD: &str = include_str!("../../../../docs/operations/grafana-dashboard.json");
const ALERTS: &str = include_str!("../../../../docs/operations/alerts.yaml");

/// The exposition after one request, so the per-route HTTP series exist too.
async fn scrape(app: &TestApp) -> anyhow::Result<String> {
    let health = app.client.get(app.url("/healthz")).send().await?;
    anyhow::ensure!(
        health.status() == StatusCode::OK,
        "/healthz: {}",
        health.status()
    );
    let response = app.client.get(app.url("/metrics")).send().await?;
    anyhow::ensure!(
        response.status() == StatusCode::OK,
        "/metrics: {}",
        response.status()
    );
    Ok(response.text().await?)
}

/// The names of every sample in an exposition (`name{labels} value` or `name value`).
fn sample_names(exposition: &str) -> BTreeSet<String> {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

/// The metric names a PromQL expression (or any text) mentions: the words in Hourglass's own
/// namespace and the standard `process_*` one. `up` and functions are Prometheus's own.
fn metric_names(expression: &str) -> BTreeSet<String> {
    expression
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|word| word.starts_with("hourglass_") || word.starts_with("process_"))
        .map(str::to_owned)
        .collect()
}

/// Every `expr` in the dashboard, at any depth (panels, rows' panels, targets).
fn dashboard_queries(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("expr", serde_json::Value::String(expr)) => found.push(expr.clone()),
                    _ => dashboard_queries(inner, found),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                dashboard_queries(item, found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn grafana_dashboard_queries_name_only_metrics_a_real_scrape_has() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let scraped = sample_names(&scrape(&app).await?);
    let dashboard: serde_json::Value =
        serde_json::from_str(DASHBOARD).context("the dashboard is not JSON")?;
    let mut queries = Vec::new();
    dashboard_queries(&dashboard, &mut queries);
    assert!(queries.len() >= 20, "only {} queries found", queries.len());
    let panels = dashboard["panels"].as_array().context("no panels")?;
    for panel in panels.iter().filter(|panel| panel["type"] != "row") {
        let targets = panel["targets"].as_array().map_or(0, Vec::len);
        assert!(targets > 0, "panel {} has no query", panel["title"]);
    }
    let mut missing = Vec::new();
    for query in &queries {
        let names = metric_names(query);
        assert!(
            !names.is_empty() || query.starts_with("up{"),
            "no metric in {query}"
        );
        missing.extend(
            names
                .into_iter()
                .filter(|name| !scraped.contains(name))
                .map(|name| format!("{name} (in {query})")),
        );
    }
    assert!(missing.is_empty(), "not in /metrics: {missing:#?}");
    app.stop().await
}

#[tokio::test]
async fn alert_rules_name_only_metrics_a_real_scrape_has() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let scraped = sample_names(&scrape(&app).await?);
    let named = metric_names(ALERTS);
    assert!(named.len() >= 8, "{named:?}");
    let missing: Vec<_> = named.difference(&scraped).collect();
    assert!(
        missing.is_empty(),
        "alerts.yaml names {missing:?}, not in /metrics"
    );
    app.stop().await
}

/// The value of the sample named exactly `series` (name and labels).
fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_expose_the_build_the_process_http_latency_and_the_listener() -> anyhow::Result<()>
{
    let app = TestApp::spawn().await?;
    let text = scrape(&app).await?;
    let build = format!(
        "hourglass_build_info{{version=\"{}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(sample(&text, &build), Some(1.0), "{text}");
    assert_eq!(sample(&text, "hourglass_listener_connected"), Some(1.0));
    assert!(
        sample(&text, "hourglass_listener_connection_age_seconds").is_some_and(|age| age >= 0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "hourglass_listener_reconnects_total"),
        Some(0.0)
    );
    // The start-up wait polled /healthz too.
    assert!(
        sample(
            &text,
            "hourglass_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"}"
        )
        .is_some_and(|count| count >= 1.0),
        "{text}"
    );
    let open = sample(&text, "process_open_fds").context("process_open_fds")?;
    let max = sample(&text, "process_max_fds").unwrap_or(f64::INFINITY);
    assert!(open >= 3.0 && open < max, "{open} of {max}");
    assert!(sample(&text, "process_resident_memory_bytes").is_some_and(|rss| rss > 1e6));
    assert!(sample(&text, "process_cpu_seconds_total").is_some_and(|cpu| cpu > 0.0));
    app.stop().await
}

/// A file in the test's own temporary folder, removed with the guard.
struct SecretFile(std::path::PathBuf);

impl SecretFile {
    fn new(name: &str, contents: &str) -> anyhow::Result<Self> {
        let path = std::env::temp_dir().join(format!(
            "hourglass-e2e-{}-{}-{name}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::write(&path, contents)?;
        Ok(Self(path))
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

impl Drop for SecretFile {
    fn drop(&mut self) {
        let _gone = std::fs::remove_file(&self.0);
    }
}

#[test]
fn token_signs_with_the_secret_from_jwt_secret_file_and_refuses_both_forms() -> anyhow::Result<()> {
    let secret = SecretFile::new("jwt-secret", &format!("{TEST_JWT_SECRET}\n"))?;
    let from_file = run_hourglass(
        &["token", "--sub", "alice"],
        &[("JWT_SECRET_FILE", secret.path())],
    )?;
    assert!(from_file.status.success(), "{from_file:?}");
    let from_value = run_hourglass(
        &["token", "--sub", "alice"],
        &[("JWT_SECRET", TEST_JWT_SECRET)],
    )?;
    // Same secret, same claims within the same second: the tokens verify alike; compare the
    // signatures' verification rather than the strings (iat may differ by a second).
    let key = jsonwebtoken::DecodingKey::from_secret(TEST_JWT_SECRET.as_bytes());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_aud = false;
    for output in [&from_file, &from_value] {
        let jwt = text(&output.stdout);
        jsonwebtoken::decode::<serde_json::Value>(jwt.trim(), &key, &validation)
            .context("the token does not verify with the secret")?;
    }

    let both = run_hourglass(
        &["token", "--sub", "alice"],
        &[
            ("JWT_SECRET", TEST_JWT_SECRET),
            ("JWT_SECRET_FILE", secret.path()),
        ],
    )?;
    assert_eq!(both.status.code(), Some(1), "{both:?}");
    let stderr = text(&both.stderr);
    assert!(
        stderr.contains("JWT_SECRET and JWT_SECRET_FILE are both set"),
        "{stderr}"
    );
    assert!(!stderr.contains(TEST_JWT_SECRET), "{stderr}");
    Ok(())
}

#[test]
fn serve_refuses_a_database_url_given_twice_before_connecting() -> anyhow::Result<()> {
    let url = SecretFile::new("database-url", "postgres://unused@127.0.0.1:1/unused\n")?;
    let output = run_hourglass(
        &["serve"],
        &[
            ("DATABASE_URL", "postgres://unused@127.0.0.1:1/unused"),
            ("DATABASE_URL_FILE", url.path()),
            ("JWT_SECRET", TEST_JWT_SECRET),
        ],
    )?;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("DATABASE_URL and DATABASE_URL_FILE are both set"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("127.0.0.1:1"),
        "the URL is not echoed: {stderr}"
    );
    Ok(())
}
