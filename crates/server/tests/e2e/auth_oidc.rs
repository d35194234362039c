//! `OIDC_ISSUER_URL`: discovery, the cached JWKS, one refetch on an unknown `kid` (never more
//! often than `OIDC_JWKS_MIN_REFRESH_SECONDS`), the issuer check, and 503 when the issuer is down.

use jsonwebtoken::Algorithm;
use reqwest::StatusCode;
use serde_json::json;

use crate::auth_support::{
    TestIssuer, alg_none, assert_accepted, assert_refused, claims, hs256, jwk, me, now, signed,
    with,
};
use crate::helpers::TestApp;

/// Claims the issuer at `url` would put in a token.
fn issued(url: &str, sub: &str) -> serde_json::Value {
    with(claims(sub), json!({ "iss": url }))
}

#[tokio::test]
async fn unknown_kid_refetches_once_and_follows_a_rotation() -> anyhow::Result<()> {
    let issuer = TestIssuer::start(vec![jwk("rsa-a-private.pem", Algorithm::RS256, "a")?]).await?;
    let app = TestApp::spawn_with_only(&[
        "--oidc-allow-http",
        "true",
        "--oidc-issuer-url",
        &issuer.url,
        "--oidc-jwks-min-refresh-seconds",
        "0",
    ])
    .await?;
    let url = issuer.url.clone();

    let with_a = signed(
        Algorithm::RS256,
        "rsa-a-private.pem",
        Some("a"),
        &issued(&url, "o1"),
    )?;
    assert_accepted(&app, &with_a).await?;
    assert_accepted(&app, &with_a).await?;
    assert_eq!(issuer.fetches(), 1, "the key set is cached");

    issuer.rotate(vec![jwk("rsa-b-private.pem", Algorithm::RS256, "b")?]);
    let with_b = signed(
        Algorithm::RS256,
        "rsa-b-private.pem",
        Some("b"),
        &issued(&url, "o2"),
    )?;
    assert_accepted(&app, &with_b).await?;
    assert_eq!(issuer.fetches(), 2, "one refetch for the unknown kid");
    assert_accepted(&app, &with_b).await?;
    assert_eq!(issuer.fetches(), 2);

    // Key a is gone from the set: one more look, then refused.
    assert_refused(&app, &with_a, "unknown key id").await?;
    assert_eq!(issuer.fetches(), 3);

    // A token naming kid b but signed with key a is a bad signature.
    let forged = signed(
        Algorithm::RS256,
        "rsa-a-private.pem",
        Some("b"),
        &issued(&url, "o3"),
    )?;
    assert_refused(&app, &forged, "bad signature").await?;

    app.stop().await?;
    issuer.stop().await;
    Ok(())
}

#[tokio::test]
async fn unknown_kids_do_not_refetch_within_the_minimum_interval() -> anyhow::Result<()> {
    let issuer = TestIssuer::start(vec![jwk("rsa-a-private.pem", Algorithm::RS256, "a")?]).await?;
    let app = TestApp::spawn_with_only(&[
        "--oidc-allow-http",
        "true",
        "--oidc-issuer-url",
        &issuer.url,
        "--oidc-jwks-min-refresh-seconds",
        "60",
    ])
    .await?;
    let url = issuer.url.clone();
    assert_accepted(
        &app,
        &signed(
            Algorithm::RS256,
            "rsa-a-private.pem",
            Some("a"),
            &issued(&url, "m1"),
        )?,
    )
    .await?;
    assert_eq!(issuer.fetches(), 1);

    issuer.rotate(vec![jwk("rsa-b-private.pem", Algorithm::RS256, "b")?]);
    for sub in ["m2", "m3", "m4"] {
        let token = signed(
            Algorithm::RS256,
            "rsa-b-private.pem",
            Some("b"),
            &issued(&url, sub),
        )?;
        assert_refused(&app, &token, "unknown key id").await?;
    }
    assert_eq!(
        issuer.fetches(),
        1,
        "forged or new kids must not hammer the issuer"
    );

    app.stop().await?;
    issuer.stop().await;
    Ok(())
}

#[tokio::test]
async fn oidc_token_variants_on_rest() -> anyhow::Result<()> {
    let issuer = TestIssuer::start(vec![
        jwk("rsa-a-private.pem", Algorithm::RS256, "rsa")?,
        jwk("ec-private.pem", Algorithm::ES256, "ec")?,
    ])
    .await?;
    let app = TestApp::spawn_with_only(&[
        "--oidc-allow-http",
        "true",
        "--oidc-issuer-url",
        &issuer.url,
        "--oidc-jwks-min-refresh-seconds",
        "0",
        "--jwt-audience",
        "hourglass",
    ])
    .await?;
    let url = issuer.url.clone();
    let good = |sub: &str| with(issued(&url, sub), json!({ "aud": "hourglass" }));
    let rsa = |claims: &serde_json::Value| {
        signed(Algorithm::RS256, "rsa-a-private.pem", Some("rsa"), claims)
    };

    assert_accepted(&app, &rsa(&good("v1"))?).await?;
    assert_accepted(
        &app,
        &signed(Algorithm::ES256, "ec-private.pem", Some("ec"), &good("v2"))?,
    )
    .await?;
    assert_refused(
        &app,
        &rsa(&with(good("x1"), json!({ "exp": now() - 120 })))?,
        "expired",
    )
    .await?;
    assert_refused(
        &app,
        &rsa(&with(good("x2"), json!({ "nbf": now() + 600 })))?,
        "not yet valid",
    )
    .await?;
    assert_refused(
        &app,
        &rsa(&with(
            good("x3"),
            json!({ "iss": "https://other-issuer.test" }),
        ))?,
        "issuer",
    )
    .await?;
    assert_refused(
        &app,
        &rsa(&with(good("x4"), json!({ "aud": "other" })))?,
        "audience",
    )
    .await?;
    assert_refused(
        &app,
        &rsa(&with(good("x5"), json!({ "sub": null })))?,
        "sub",
    )
    .await?;
    assert_refused(
        &app,
        &signed(
            Algorithm::RS256,
            "rsa-b-private.pem",
            Some("rsa"),
            &good("x6"),
        )?,
        "bad signature",
    )
    .await?;
    // The EC key is pinned to ES256: an RS256 token naming it is refused.
    assert_refused(
        &app,
        &signed(
            Algorithm::RS256,
            "rsa-a-private.pem",
            Some("ec"),
            &good("x7"),
        )?,
        "algorithm not accepted",
    )
    .await?;
    assert_refused(&app, &alg_none(&good("x8")), "invalid access token").await?;
    assert_refused(&app, &hs256(&good("x9"))?, "algorithm not accepted").await?;

    app.stop().await?;
    issuer.stop().await;
    Ok(())
}

#[tokio::test]
async fn an_unreachable_issuer_is_503_not_a_bad_token() -> anyhow::Result<()> {
    // Port 1 refuses connections at once.
    let app = TestApp::spawn_with_only(&[
        "--oidc-allow-http",
        "true",
        "--oidc-issuer-url",
        "http://127.0.0.1:1",
        "--oidc-jwks-min-refresh-seconds",
        "0",
    ])
    .await?;
    let token = signed(
        Algorithm::RS256,
        "rsa-a-private.pem",
        Some("a"),
        &issued("http://127.0.0.1:1", "down"),
    )?;
    let (status, body, _) = me(&app, &token).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "SERVICE_UNAVAILABLE");
    app.stop().await
}

#[tokio::test]
async fn a_jwks_that_goes_down_is_503_until_it_is_back() -> anyhow::Result<()> {
    let issuer = TestIssuer::start(vec![jwk("rsa-a-private.pem", Algorithm::RS256, "a")?]).await?;
    issuer.set_up(false);
    let app = TestApp::spawn_with_only(&[
        "--oidc-allow-http",
        "true",
        "--oidc-issuer-url",
        &issuer.url,
        "--oidc-jwks-min-refresh-seconds",
        "0",
    ])
    .await?;
    let token = signed(
        Algorithm::RS256,
        "rsa-a-private.pem",
        Some("a"),
        &issued(&issuer.url, "d"),
    )?;

    let (status, body, _) = me(&app, &token).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "SERVICE_UNAVAILABLE");

    issuer.set_up(true);
    assert_accepted(&app, &token).await?;

    // Once cached, known keys keep working while the issuer is down; an unknown kid is 503.
    issuer.set_up(false);
    assert_accepted(&app, &token).await?;
    let unknown = signed(
        Algorithm::RS256,
        "rsa-a-private.pem",
        Some("z"),
        &issued(&issuer.url, "e"),
    )?;
    let (status, body, _) = me(&app, &unknown).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

    app.stop().await?;
    issuer.stop().await;
    Ok(())
}

/// A user is (issuer, `sub`): a development secret left configured beside OIDC signs in users of
/// its own, never the OIDC user with the same `sub` (before identities had an issuer, it could
/// mint any OIDC user).
#[tokio::test]
async fn a_secret_beside_oidc_cannot_act_as_an_oidc_user() -> anyhow::Result<()> {
    let issuer =
        TestIssuer::start(vec![jwk("rsa-a-private.pem", Algorithm::RS256, "rsa")?]).await?;
    let app = TestApp::spawn_with_only(&[
        "--jwt-secret",
        crate::helpers::TEST_JWT_SECRET,
        "--oidc-allow-http",
        "true",
        "--oidc-issuer-url",
        &issuer.url,
        "--oidc-jwks-min-refresh-seconds",
        "0",
    ])
    .await?;
    let oidc = signed(
        Algorithm::RS256,
        "rsa-a-private.pem",
        Some("rsa"),
        &issued(&issuer.url, "shared-sub"),
    )?;
    let oidc_user = assert_accepted(&app, &oidc).await?;
    // Same `sub`, even the OIDC issuer's `iss`, but signed with the secret.
    let forged = hs256(&issued(&issuer.url, "shared-sub"))?;
    let secret_user = assert_accepted(&app, &forged).await?;
    assert_ne!(secret_user["id"], oidc_user["id"]);
    // Each token keeps finding its own user.
    assert_eq!(assert_accepted(&app, &oidc).await?["id"], oidc_user["id"]);
    assert_eq!(
        assert_accepted(&app, &forged).await?["id"],
        secret_user["id"]
    );
    app.stop().await
}
