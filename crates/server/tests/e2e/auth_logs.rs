//! No token ever reaches a log line: the real binary, with `LOG_FORMAT=json` and `RUST_LOG=debug`,
//! serves requests carrying tokens in the `Authorization` header, in the query (`accessToken`,
//! `token`) and in the WebSocket subprotocol, and its whole log output is searched for them.

use std::time::Duration;

use crate::auth_support::{claims, hs256, hs256_with};
use crate::logged_server::LoggedServer;

#[tokio::test]
async fn tokens_never_appear_in_the_logs() -> anyhow::Result<()> {
    let server =
        LoggedServer::start(&[("CORS_ALLOWED_ORIGINS", "http://app.example.test")]).await?;
    let base = server.base.clone();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;

    let header_token = hs256(&claims("log-header"))?;
    let query_token = hs256(&claims("log-query"))?;
    let other_query_token = hs256(&claims("log-other-query"))?;
    let protocol_token = hs256(&claims("log-protocol"))?;
    let bad_token = hs256_with(b"not-the-secret", &claims("log-bad"))?;
    let secrets = [
        &header_token,
        &query_token,
        &other_query_token,
        &protocol_token,
        &bad_token,
    ];

    let ok = client
        .get(format!("{base}/api/v1/users/me"))
        .bearer_auth(&header_token)
        .header("origin", "http://app.example.test")
        .send()
        .await?;
    assert_eq!(ok.status(), reqwest::StatusCode::OK);
    let refused = client
        .get(format!("{base}/api/v1/users/me"))
        .bearer_auth(&bad_token)
        .send()
        .await?;
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    client
        .get(format!(
            "{base}/api/v1/notifications/subscribe?accessToken={query_token}&timezone=UTC"
        ))
        .send()
        .await?;
    client
        .get(format!("{base}/api/v1/users/me?token={other_query_token}"))
        .bearer_auth(&header_token)
        .send()
        .await?;
    client
        .get(format!("{base}/v1/ws/timers"))
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header(
            "sec-websocket-protocol",
            format!("authorization.bearer.{protocol_token}"),
        )
        .send()
        .await?;

    // Stop the server so every line is flushed.
    let log = server.stop().await?;

    let all = log.join("\n");
    for secret in secrets {
        let signature = secret.rsplit('.').next().unwrap_or(secret);
        assert!(!all.contains(secret.as_str()), "a token was logged:\n{all}");
        assert!(
            !all.contains(signature),
            "a token signature was logged:\n{all}"
        );
    }
    assert!(
        all.contains("[REDACTED]"),
        "the query was not logged redacted:\n{all}"
    );
    assert!(
        log.iter()
            .any(|line| line.contains("/api/v1/users/me") && line.contains("\"status\":200")),
        "requests are logged with their status:\n{all}"
    );
    Ok(())
}

/// OIDC without `JWT_AUDIENCE` starts, but says at start that tokens the issuer signed for other
/// applications would be accepted; with an audience it says nothing of the kind.
#[tokio::test]
async fn oidc_without_an_audience_is_warned_about_at_start() -> anyhow::Result<()> {
    const ISSUER: [(&str, &str); 2] = [
        ("OIDC_ISSUER_URL", "http://127.0.0.1:1"),
        ("OIDC_ALLOW_HTTP", "true"),
    ];
    let warned = |log: &[String]| {
        log.iter()
            .any(|line| line.contains("WARN") && line.contains("without JWT_AUDIENCE"))
    };
    let without = LoggedServer::start(&ISSUER).await?.stop().await?;
    assert!(warned(&without), "{without:#?}");
    let with = LoggedServer::start(&[ISSUER[0], ISSUER[1], ("JWT_AUDIENCE", "hourglass")])
        .await?
        .stop()
        .await?;
    assert!(!warned(&with), "{with:#?}");
    Ok(())
}
