//! `/api/v1/users/me` and `/api/v1/users/{id}`: users created on first sight of a token, profiles
//! that claims never overwrite once changed, and other users' profiles.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::auth_support::{assert_accepted, claims, hs256, with};
use crate::helpers::TestApp;

async fn get(app: &TestApp, path: &str, token: &str) -> anyhow::Result<(StatusCode, Value)> {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await?;
    Ok((response.status(), response.json().await?))
}

async fn patch_me(app: &TestApp, token: &str, body: Value) -> anyhow::Result<(StatusCode, Value)> {
    let response = app
        .client
        .patch(app.url("/api/v1/users/me"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    Ok((response.status(), response.json().await?))
}

fn is_naive_utc(text: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").is_ok()
}

#[tokio::test]
async fn first_sight_creates_the_user_from_the_claims() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = hs256(&with(
        claims("first-sight"),
        json!({ "nickname": "Alice", "name": "Alice Liddell", "picture": "https://img.example/a.png" }),
    ))?;

    let me = assert_accepted(&app, &token).await?;
    assert_eq!(me["nickname"], "Alice");
    assert_eq!(me["profileImage"], "https://img.example/a.png");
    let created = me["createdAt"].as_str().unwrap_or_default();
    assert!(is_naive_utc(created), "{created}");
    let keys: Vec<&String> = me
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys.len(), 4, "{me}");

    // The same sub again is the same user.
    let again = assert_accepted(&app, &hs256(&claims("first-sight"))?).await?;
    assert_eq!(again["id"], me["id"]);

    // name, then preferred_username, when there is no nickname; a bad picture is dropped.
    let bob = assert_accepted(
        &app,
        &hs256(&with(
            claims("by-name"),
            json!({ "name": "Bob", "picture": "ftp://x" }),
        ))?,
    )
    .await?;
    assert_eq!(bob["nickname"], "Bob");
    assert_eq!(bob["profileImage"], Value::Null);
    let carol = assert_accepted(
        &app,
        &hs256(&with(
            claims("by-username"),
            json!({ "preferred_username": "carol" }),
        ))?,
    )
    .await?;
    assert_eq!(carol["nickname"], "carol");
    assert_ne!(carol["id"], bob["id"]);
    app.stop().await
}

#[tokio::test]
async fn a_patched_profile_is_never_overwritten_by_claims() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let first = hs256(&with(
        claims("patcher"),
        json!({ "nickname": "Before", "picture": "https://img.example/before.png" }),
    ))?;
    assert_accepted(&app, &first).await?;

    let (status, patched) = patch_me(
        &app,
        &first,
        json!({ "nickname": " Mini ", "profileImage": null }),
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["nickname"], "Mini");
    assert_eq!(patched["profileImage"], Value::Null);

    // Absent keeps; a value sets.
    let (status, kept) = patch_me(
        &app,
        &first,
        json!({ "profileImage": "http://img.example/new.png" }),
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["nickname"], "Mini");
    assert_eq!(kept["profileImage"], "http://img.example/new.png");

    let later = hs256(&with(
        claims("patcher"),
        json!({ "nickname": "Claimed", "picture": "https://img.example/claimed.png" }),
    ))?;
    let me = assert_accepted(&app, &later).await?;
    assert_eq!(me["nickname"], "Mini");
    assert_eq!(me["profileImage"], "http://img.example/new.png");
    app.stop().await
}

#[tokio::test]
async fn invalid_profile_changes_are_422_naming_the_field() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let token = hs256(&claims("validator"))?;
    for (body, field) in [
        (json!({ "nickname": "" }), "nickname"),
        (json!({ "nickname": "a".repeat(31) }), "nickname"),
        (json!({ "nickname": null }), "nickname"),
        (json!({ "nickname": 42 }), "nickname"),
        (
            json!({ "profileImage": "javascript:alert(1)" }),
            "profileImage",
        ),
        (json!({ "profileImage": 7 }), "profileImage"),
    ] {
        let (status, answer) = patch_me(&app, &token, body.clone()).await?;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} → {answer}"
        );
        assert_eq!(answer["code"], "VALIDATION_FAILED");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(field), "{body} → {message}");
    }
    app.stop().await
}

#[tokio::test]
async fn other_users_are_readable_by_id() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let alice = hs256(&with(
        claims("reader-alice"),
        json!({ "nickname": "Alice" }),
    ))?;
    let bob = hs256(&claims("reader-bob"))?;
    let alice_id = assert_accepted(&app, &alice).await?["id"].clone();

    let (status, seen) = get(&app, &format!("/api/v1/users/{alice_id}"), &bob).await?;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["id"], alice_id);
    assert_eq!(seen["nickname"], "Alice");

    let (status, zoned) = get(
        &app,
        &format!("/api/v1/users/{alice_id}?timezone=%2B09:00"),
        &bob,
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{zoned}");
    let created = zoned["createdAt"].as_str().unwrap_or_default();
    assert!(created.ends_with("+09:00"), "{created}");

    let (status, missing) = get(&app, "/api/v1/users/987654321", &bob).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["code"], "USER_NOT_FOUND");

    let (status, malformed) = get(&app, "/api/v1/users/abc", &bob).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed["code"], "INVALID_PARAMETER");

    let (status, zone) = get(&app, "/api/v1/users/me?timezone=Mars/Olympus", &bob).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(zone["code"], "INVALID_TIMEZONE");

    let anonymous = app
        .client
        .get(app.url(&format!("/api/v1/users/{alice_id}")))
        .send()
        .await?;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    app.stop().await
}
