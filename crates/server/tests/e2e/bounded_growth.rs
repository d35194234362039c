//! Nothing grows without bound (issue 17), and the start-up and metrics settings that go with
//! running several instances: remembered command outcomes are purged on a schedule (24 h, and a
//! cap per user), SSE subscribes are rate-limited per user, instances started together on a fresh
//! database migrate it in turns, `MIGRATE_ON_START=false` skips migrations, and
//! `METRICS_BIND_ADDR` moves `/metrics` to a listener of its own.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::sse_client::{self, SseStream, member};
use crate::ws_client::{Client, create};

/// How long a test waits for a scheduled clean-up it asked to run every second.
const WAIT: Duration = Duration::from_secs(20);

#[derive(diesel::QueryableByName)]
struct Key {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    request_id: String,
}

/// Every (user, `request_id`) in `processed_commands`, sorted.
async fn keys(app: &TestApp) -> anyhow::Result<Vec<(i64, String)>> {
    let mut conn = app.database().pool().get().await?;
    let rows: Vec<Key> = diesel::sql_query(
        "SELECT user_id, request_id FROM processed_commands ORDER BY user_id, request_id",
    )
    .load(&mut conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|k| (k.user_id, k.request_id))
        .collect())
}

/// Sends a keyed create and waits for its reply.
async fn keyed_create(client: &mut Client, request_id: &str) -> anyhow::Result<()> {
    let mut message = create(600, json!({}));
    message["request_id"] = json!(request_id);
    let reply = client.request(&message).await?;
    anyhow::ensure!(reply["type"] == "timer.created", "{reply}");
    Ok(())
}

#[tokio::test]
async fn remembered_outcomes_are_purged_after_a_day_and_capped_per_user() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&[
        "--processed-commands-purge-interval-seconds",
        "1",
        "--processed-commands-max-per-user",
        "2",
    ])
    .await?;
    let mut alice = Client::connect(&app, "alice", "").await?;
    let mut bob = Client::connect(&app, "bob", "").await?;
    for request_id in ["a-1", "a-2", "a-3", "a-4"] {
        keyed_create(&mut alice, request_id).await?;
    }
    keyed_create(&mut bob, "b-1").await?;
    // An outcome of Bob's recorded 25 h ago: Bob is under the cap, so only its age removes it.
    {
        let mut conn = app.database().pool().get().await?;
        diesel::sql_query(
            "INSERT INTO processed_commands (user_id, request_id, command_type, change, timer, \
             created_at) SELECT user_id, 'b-old', command_type, change, timer, \
             created_at - interval '25 hours' FROM processed_commands WHERE request_id = 'b-1'",
        )
        .execute(&mut conn)
        .await?;
    }
    let (alice_id, bob_id) = (alice.user()?.get(), bob.user()?.get());
    let expected = vec![
        (alice_id, "a-3".to_owned()),
        (alice_id, "a-4".to_owned()),
        (bob_id, "b-1".to_owned()),
    ];
    let began = Instant::now();
    loop {
        let now = keys(&app).await?;
        if now == expected {
            break;
        }
        anyhow::ensure!(
            began.elapsed() < WAIT,
            "never purged: {now:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await
}

#[tokio::test]
async fn sse_subscribes_beyond_the_per_user_limit_are_429() -> anyhow::Result<()> {
    let app =
        TestApp::spawn_with(&["--sse-connect-max", "2", "--sse-connect-window", "60"]).await?;
    let alice = member(&app, "sse-limited-alice", "alice").await?;
    let bob = member(&app, "sse-limited-bob", "bob").await?;
    let _first = SseStream::connect(&app, &alice).await?;
    // A reconnect with a replay counts the same.
    let _second = SseStream::connect_with(&app, &alice, "&lastEventId=0").await?;
    let refused = sse_client::request(
        &app,
        &format!("accessToken={}&lastEventId=0", alice.token),
        &[],
    )
    .await?;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused
        .headers()
        .get("retry-after")
        .context("Retry-After")?
        .to_str()?
        .parse()?;
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = refused.json().await?;
    assert_eq!(body["code"], "RATE_LIMITED", "{body}");
    // Bob has his own budget.
    let _bob = SseStream::connect(&app, &bob).await?;
    app.stop().await
}

#[tokio::test]
async fn two_servers_started_together_on_a_fresh_database_both_come_up() -> anyhow::Result<()> {
    let (first, second) = TestApp::spawn_pair_on_empty(&[]).await?;
    for app in [&first, &second] {
        let ready = app.client.get(app.url("/readyz")).send().await?;
        assert_eq!(ready.status(), StatusCode::OK);
    }
    first.stop().await?;
    second.stop().await
}

#[tokio::test]
async fn migrate_on_start_false_leaves_the_schema_alone() -> anyhow::Result<()> {
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let app = TestApp::spawn_on_empty(&["--migrate-on-start", "false"]).await?;
    let mut conn = app.database().pool().get().await?;
    let found: Exists = diesel::sql_query(
        "SELECT to_regclass('public.__diesel_schema_migrations') IS NOT NULL AS exists",
    )
    .get_result(&mut conn)
    .await?;
    drop(conn);
    assert!(!found.exists, "no migration ran");
    app.stop().await
}

#[tokio::test]
async fn metrics_bind_addr_serves_metrics_on_their_own_listener() -> anyhow::Result<()> {
    // A free port: taken, read, released, then handed to the server.
    let address = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let app = TestApp::spawn_with(&["--metrics-bind-addr", &address.to_string()]).await?;
    let scrape = app
        .client
        .get(format!("http://{address}/metrics"))
        .send()
        .await?;
    assert_eq!(scrape.status(), StatusCode::OK);
    let text = scrape.text().await?;
    assert!(text.contains("hourglass_connections_open"), "{text}");
    assert!(
        text.contains("hourglass_rate_limit_keys{limit=\"rest\"}"),
        "{text}"
    );
    let main = app.client.get(app.url("/metrics")).send().await?;
    assert_eq!(
        main.status(),
        StatusCode::NOT_FOUND,
        "not on the main listener"
    );
    let other = app
        .client
        .get(format!("http://{address}/healthz"))
        .send()
        .await?;
    assert_eq!(other.status(), StatusCode::NOT_FOUND, "only /metrics there");
    app.stop().await
}
