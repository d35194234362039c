//! Every token variant against `GET /api/v1/users/me` (REST), for each static key source:
//! `JWT_SECRET` (HS256), `JWT_PUBLIC_KEY_FILE` (RS256 and ES256) and both at once.
//! (The same variants on the WebSocket and the SSE stream are in `auth_transports`.)

use jsonwebtoken::Algorithm;
use serde_json::json;

use crate::auth_support::{
    alg_none, assert_accepted, assert_refused, claims, fixture, fixture_arg, hs256, hs256_with,
    now, signed, with,
};
use crate::helpers::{TEST_JWT_SECRET, TestApp};

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "hourglass";

#[tokio::test]
async fn hs256_variants_on_rest() -> anyhow::Result<()> {
    let app = TestApp::spawn_with(&["--jwt-issuer", ISSUER, "--jwt-audience", AUDIENCE]).await?;
    let good = |sub: &str| with(claims(sub), json!({ "iss": ISSUER, "aud": AUDIENCE }));

    assert_accepted(&app, &hs256(&good("valid"))?).await?;

    let cases = [
        (
            "expired",
            hs256(&with(good("a"), json!({ "exp": now() - 120 })))?,
            "expired",
        ),
        (
            "not yet valid",
            hs256(&with(good("b"), json!({ "nbf": now() + 600 })))?,
            "not yet valid",
        ),
        (
            "wrong signature",
            hs256_with(b"another-secret-entirely", &good("c"))?,
            "bad signature",
        ),
        (
            "wrong issuer",
            hs256(&with(good("d"), json!({ "iss": "https://evil.test" })))?,
            "issuer",
        ),
        (
            "wrong audience",
            hs256(&with(good("e"), json!({ "aud": "someone-else" })))?,
            "audience",
        ),
        (
            "missing sub",
            hs256(&with(good("f"), json!({ "sub": null })))?,
            "sub",
        ),
        (
            "missing exp",
            hs256(&with(good("g"), json!({ "exp": null })))?,
            "exp",
        ),
        ("alg none", alg_none(&good("h")), "invalid access token"),
        ("garbage", "not-a-jwt".to_owned(), "invalid access token"),
    ];
    for (name, token, reason) in &cases {
        assert_refused(&app, token, reason)
            .await
            .map_err(|error| error.context(*name))?;
    }
    app.stop().await
}

#[tokio::test]
async fn missing_or_foreign_authorization_is_401() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let url = app.url("/api/v1/users/me");

    let none = app.client.get(&url).send().await?;
    assert_eq!(none.status(), reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(
        none.headers().get("www-authenticate").map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    let body: serde_json::Value = none.json().await?;
    assert_eq!(
        body,
        json!({ "code": "UNAUTHORIZED", "message": "missing access token" })
    );

    let basic = app
        .client
        .get(&url)
        .header("authorization", "Basic YWxpY2U6c2VjcmV0")
        .send()
        .await?;
    assert_eq!(basic.status(), reqwest::StatusCode::UNAUTHORIZED);

    // The scheme is case-insensitive.
    let token = hs256(&claims("lower-case-scheme"))?;
    let lower = app
        .client
        .get(&url)
        .header("authorization", format!("bearer {token}"))
        .send()
        .await?;
    assert_eq!(lower.status(), reqwest::StatusCode::OK);
    app.stop().await
}

#[tokio::test]
async fn rs256_public_key_variants_on_rest() -> anyhow::Result<()> {
    let key = fixture_arg("rsa-a-public.pem")?;
    let app = TestApp::spawn_with_only(&["--jwt-public-key-file", &key]).await?;

    assert_accepted(
        &app,
        &signed(Algorithm::RS256, "rsa-a-private.pem", None, &claims("rs"))?,
    )
    .await?;
    assert_refused(
        &app,
        &signed(
            Algorithm::RS256,
            "rsa-b-private.pem",
            None,
            &claims("rs-other-key"),
        )?,
        "bad signature",
    )
    .await?;
    assert_refused(
        &app,
        &signed(
            Algorithm::RS256,
            "rsa-a-private.pem",
            None,
            &with(claims("rs-expired"), json!({ "exp": now() - 120 })),
        )?,
        "expired",
    )
    .await?;
    // Key confusion: an HS256 token whose HMAC secret is the public key file itself.
    let public_pem = std::fs::read(fixture("rsa-a-public.pem"))?;
    assert_refused(
        &app,
        &hs256_with(&public_pem, &claims("confused"))?,
        "algorithm not accepted",
    )
    .await?;
    // Neither is the server's own HS256 secret accepted when it is not configured.
    assert_refused(
        &app,
        &hs256(&claims("no-secret"))?,
        "algorithm not accepted",
    )
    .await?;
    assert_refused(&app, &alg_none(&claims("none")), "invalid access token").await?;
    assert_refused(
        &app,
        &signed(Algorithm::ES256, "ec-private.pem", None, &claims("ec"))?,
        "algorithm not accepted",
    )
    .await?;
    app.stop().await
}

#[tokio::test]
async fn es256_public_key_variants_on_rest() -> anyhow::Result<()> {
    let key = fixture_arg("ec-public.pem")?;
    let app = TestApp::spawn_with_only(&["--jwt-public-key-file", &key]).await?;

    assert_accepted(
        &app,
        &signed(Algorithm::ES256, "ec-private.pem", None, &claims("es"))?,
    )
    .await?;
    assert_refused(
        &app,
        &signed(Algorithm::RS256, "rsa-a-private.pem", None, &claims("rsa"))?,
        "algorithm not accepted",
    )
    .await?;
    let public_pem = std::fs::read(fixture("ec-public.pem"))?;
    assert_refused(
        &app,
        &hs256_with(&public_pem, &claims("confused"))?,
        "algorithm not accepted",
    )
    .await?;
    app.stop().await
}

#[tokio::test]
async fn with_a_secret_and_a_public_key_either_signs_in() -> anyhow::Result<()> {
    let key = fixture_arg("rsa-a-public.pem")?;
    let app = TestApp::spawn_with(&["--jwt-public-key-file", &key]).await?;

    assert_accepted(&app, &hs256(&claims("by-secret"))?).await?;
    assert_accepted(
        &app,
        &signed(
            Algorithm::RS256,
            "rsa-a-private.pem",
            None,
            &claims("by-key"),
        )?,
    )
    .await?;
    // The public key matched: its verdict (expired) stands.
    assert_refused(
        &app,
        &signed(
            Algorithm::RS256,
            "rsa-a-private.pem",
            None,
            &with(claims("late"), json!({ "exp": now() - 120 })),
        )?,
        "expired",
    )
    .await?;
    let public_pem = std::fs::read(fixture("rsa-a-public.pem"))?;
    assert_refused(
        &app,
        &hs256_with(&public_pem, &claims("confused"))?,
        "bad signature",
    )
    .await?;
    assert_refused(
        &app,
        &hs256_with(format!("{TEST_JWT_SECRET}x").as_bytes(), &claims("x"))?,
        "bad signature",
    )
    .await?;
    app.stop().await
}

#[tokio::test]
async fn a_public_key_file_that_is_not_a_key_stops_startup() -> anyhow::Result<()> {
    let not_a_key = fixture_arg("README.md")?;
    let Err(error) = TestApp::spawn_with_only(&["--jwt-public-key-file", &not_a_key]).await else {
        panic!("the server started with a README as its public key");
    };
    assert!(
        format!("{error:#}").contains("JWT_PUBLIC_KEY_FILE"),
        "{error:#}"
    );
    Ok(())
}
