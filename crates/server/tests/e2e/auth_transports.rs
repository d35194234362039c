//! Every token variant on the two long-lived transports: the WebSocket (the token rides in the
//! `authorization.bearer.<JWT>` subprotocol; a refusal completes the upgrade, then closes 1008, or
//! 1011 when the key source is down) and the SSE stream (`accessToken`; a refusal is 401 JSON, or
//! 503, before any stream). REST has the same variants in `auth_tokens` and `auth_oidc`.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::auth_support::{
    alg_none, claims, fixture, fixture_arg, hs256, hs256_with, now, signed, with,
};
use crate::helpers::TestApp;
use crate::sse_client::request;
use crate::ws_client::{expect_close, open, ws_url};

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "hourglass";
const CLOSE_WITHIN: Duration = Duration::from_secs(5);

/// The WebSocket accepts the upgrade, echoes the offered subprotocol, then closes with `code`.
async fn ws_closes(app: &TestApp, token: &str, code: u16) -> anyhow::Result<String> {
    let offered = format!("authorization.bearer.{token}");
    let (mut socket, response) = open(&ws_url(app, ""), &[&offered], None).await?;
    let echoed = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|value| value.to_str().ok());
    anyhow::ensure!(echoed == Some(offered.as_str()), "echoed {echoed:?}");
    let (closed_with, reason) = expect_close(&mut socket, CLOSE_WITHIN).await?;
    anyhow::ensure!(
        closed_with == code,
        "closed {closed_with} ({reason}), expected {code}"
    );
    Ok(reason)
}

/// The WebSocket greets with `connected`.
async fn ws_accepts(app: &TestApp, token: &str) -> anyhow::Result<()> {
    use futures_util::StreamExt as _;
    let offered = format!("authorization.bearer.{token}");
    let (mut socket, _) = open(&ws_url(app, ""), &[&offered], None).await?;
    let first = tokio::time::timeout(CLOSE_WITHIN, socket.next()).await?;
    let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = first else {
        anyhow::bail!("expected `connected`, got {first:?}");
    };
    let message: Value = serde_json::from_str(&text)?;
    anyhow::ensure!(message["type"] == "connected", "{message}");
    Ok(())
}

/// The SSE subscription answers `status` with the error envelope's `code`, before any stream.
async fn sse_refuses(
    app: &TestApp,
    token: &str,
    status: StatusCode,
    code: &str,
) -> anyhow::Result<()> {
    let response = request(app, &format!("accessToken={token}"), &[]).await?;
    anyhow::ensure!(response.status() == status, "status {}", response.status());
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    anyhow::ensure!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = response.json().await?;
    anyhow::ensure!(body["code"] == code, "{body}");
    Ok(())
}

/// The SSE subscription starts a stream.
async fn sse_accepts(app: &TestApp, token: &str) -> anyhow::Result<()> {
    let response = request(app, &format!("accessToken={token}"), &[]).await?;
    anyhow::ensure!(
        response.status() == StatusCode::OK,
        "status {}",
        response.status()
    );
    Ok(())
}

#[tokio::test]
async fn hs256_variants_on_websocket_and_sse() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&["--jwt-issuer", ISSUER, "--jwt-audience", AUDIENCE]).await?;
    let good = |sub: &str| with(claims(sub), json!({ "iss": ISSUER, "aud": AUDIENCE }));

    let valid = hs256(&good("valid"))?;
    ws_accepts(&app, &valid).await?;
    sse_accepts(&app, &valid).await?;

    let refused = [
        (
            "expired",
            hs256(&with(good("a"), json!({ "exp": now() - 120 })))?,
        ),
        (
            "not yet valid",
            hs256(&with(good("b"), json!({ "nbf": now() + 600 })))?,
        ),
        (
            "wrong signature",
            hs256_with(b"another-secret-entirely", &good("c"))?,
        ),
        (
            "wrong issuer",
            hs256(&with(good("d"), json!({ "iss": "https://evil.test" })))?,
        ),
        (
            "wrong audience",
            hs256(&with(good("e"), json!({ "aud": "someone-else" })))?,
        ),
        (
            "missing sub",
            hs256(&with(good("f"), json!({ "sub": null })))?,
        ),
        ("alg none", alg_none(&good("g"))),
        ("garbage", "not-a-jwt".to_owned()),
    ];
    for (name, token) in &refused {
        let reason = ws_closes(&app, token, 1008)
            .await
            .map_err(|error| error.context(format!("websocket: {name}")))?;
        anyhow::ensure!(!reason.is_empty(), "{name}: 1008 carries a reason");
        anyhow::ensure!(
            !reason.contains(token.as_str()),
            "{name}: the reason echoes the token"
        );
        sse_refuses(&app, token, StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
            .await
            .map_err(|error| error.context(format!("sse: {name}")))?;
    }
    app.stop().await
}

#[tokio::test]
async fn key_confusion_is_refused_on_websocket_and_sse() -> anyhow::Result<()> {
    let key = fixture_arg("rsa-a-public.pem")?;
    let app = TestApp::spawn_with_only(&["--jwt-public-key-file", &key]).await?;

    let valid = signed(Algorithm::RS256, "rsa-a-private.pem", None, &claims("rs"))?;
    ws_accepts(&app, &valid).await?;
    sse_accepts(&app, &valid).await?;

    // An HS256 token whose HMAC secret is the public key file itself.
    let public_pem = std::fs::read(fixture("rsa-a-public.pem"))?;
    let confused = hs256_with(&public_pem, &claims("confused"))?;
    ws_closes(&app, &confused, 1008).await?;
    sse_refuses(&app, &confused, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await?;
    app.stop().await
}

#[tokio::test]
async fn an_unreachable_key_source_is_1011_and_503_not_a_bad_token() -> anyhow::Result<()> {
    // Port 1 refuses connections at once.
    let issuer = "http://127.0.0.1:1";
    let app = TestApp::spawn_with_only(&[
        "--oidc-allow-http",
        "true",
        "--oidc-issuer-url",
        issuer,
        "--oidc-jwks-min-refresh-seconds",
        "0",
    ])
    .await?;
    let token = signed(
        Algorithm::RS256,
        "rsa-a-private.pem",
        Some("a"),
        &with(claims("down"), json!({ "iss": issuer })),
    )?;
    ws_closes(&app, &token, 1011).await?;
    sse_refuses(
        &app,
        &token,
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
    )
    .await?;
    app.stop().await
}
