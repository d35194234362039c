//! `DELETE /api/v1/users/me` (issue 19) on two instances sharing one database: what the deleted
//! user's devices, friends, meetup partners and token see, and that nothing of the account is
//! left in the database.
//!
//! Every wait is for a message, a frame, a close or an answer.

use std::time::Duration;

use anyhow::Context as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::rest_support::{self, User};
use crate::sse_client::{Member, SseStream};
use crate::ws_client::{self, Client, create, expect_close, open, timer_id, ws_url};

const NO_RATE_LIMIT: &[&str] = &["--rate-limit-enabled", "false"];
const CLOSE_WITHIN: Duration = Duration::from_secs(10);
const DELETED: &str = "탈퇴한 사용자";

fn member(user: &User, nickname: &str) -> Member {
    Member {
        id: user.id.get(),
        token: user.token.clone(),
        nickname: nickname.to_owned(),
    }
}

/// The next frame that is not a heartbeat or an `unread-count`.
async fn next_event(stream: &mut SseStream) -> anyhow::Result<crate::sse_client::Frame> {
    loop {
        let frame = stream.expect_frame().await?;
        match frame.event.as_deref() {
            Some("unread-count") | None => {}
            _ => return Ok(frame),
        }
    }
}

#[tokio::test]
async fn a_deleted_account_disappears_for_everyone_on_every_instance() -> anyhow::Result<()> {
    let first = TestApp::spawn_with(NO_RATE_LIMIT).await?;
    let second = TestApp::spawn_beside(&first, NO_RATE_LIMIT).await?;
    let alice = rest_support::user(&first, "alice").await?;
    let bob = rest_support::user(&first, "bob").await?;
    let carol = rest_support::user(&first, "carol").await?;
    rest_support::befriend(&first, &alice, &bob).await?;

    // Alice hosts a meetup Carol joined, and joined one of Bob's.
    let starts_at = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let meetup = json!({"title": "study", "description": "", "startsAt": starts_at});
    let hosted = rest_support::post(&first, &alice, "/api/v1/meetups", meetup.clone()).await?;
    let hosted = hosted.body["id"].as_i64().context("hosted id")?;
    let bobs = rest_support::post(&first, &bob, "/api/v1/meetups", meetup).await?;
    let bobs = bobs.body["id"].as_i64().context("bob's id")?;
    for (who, id) in [(&carol, hosted), (&alice, bobs)] {
        let joined = rest_support::post(
            &second,
            who,
            &format!("/api/v1/meetups/{id}/participants"),
            json!({}),
        )
        .await?;
        anyhow::ensure!(joined.status.is_success(), "{joined:?}");
    }

    // Alice's devices: a WebSocket on each instance and a stream on the second. Bob watches
    // from the second instance, Carol's stream is on the first.
    let mut alice_first = Client::connect(&first, "alice", "").await?;
    let mut alice_second = Client::connect(&second, "alice", "").await?;
    let mut alice_stream = SseStream::connect(&second, &member(&alice, "alice")).await?;
    let mut bob_ws = Client::connect(&second, "bob", "").await?;
    let mut carol_stream = SseStream::connect(&first, &member(&carol, "carol")).await?;
    let focus = alice_first
        .request(&create(
            3600,
            json!({"title": "focus", "visibility": "friends"}),
        ))
        .await?;
    let focus = timer_id(&focus)?;
    alice_second.recv().await?; // her other device hears its own `timer.created`
    let started = bob_ws.recv().await?;
    assert_eq!(started["payload"]["action"], "start", "{started}");

    // Before: Bob sees Alice focusing and her profile.
    let active = rest_support::get(&first, &bob, "/api/v1/users/me/friends/active").await?;
    assert_eq!(active.items().len(), 1, "{active:?}");
    let profile = format!("/api/v1/users/{}", alice.id.get());
    assert_eq!(
        rest_support::get(&first, &bob, &profile).await?.status,
        StatusCode::OK
    );

    // The orphan scan sees Alice's rows while she exists.
    assert!(
        !first
            .database()
            .rows_naming_user(alice.id.get())
            .await?
            .is_empty()
    );
    let deleted = rest_support::delete(&first, &alice, "/api/v1/users/me").await?;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{deleted:?}");

    // Her devices close on both instances, and her stream says why before it ends.
    for device in [&mut alice_first, &mut alice_second] {
        let (code, reason) = device.expect_close(CLOSE_WITHIN).await?;
        assert_eq!((code, reason.as_str()), (4001, "account deleted"));
    }
    let last = alice_stream.expect_end(CLOSE_WITHIN).await?;
    assert!(
        last.iter()
            .any(|frame| frame.event.as_deref() == Some("account-deleted")),
        "{last:?}"
    );
    // Bob, on the other instance, sees her timer go, under the deleted user's name.
    let hidden = bob_ws.recv().await?;
    assert_eq!(hidden["type"], "timer.friend_activity", "{hidden}");
    assert_eq!(hidden["payload"]["action"], "hidden");
    assert_eq!(hidden["payload"]["timer_id"], focus.as_str());
    assert_eq!(hidden["payload"]["display_name"], DELETED);
    // Carol, a guest of Alice's meetup, hears it cancelled by the deleted user.
    let cancelled = next_event(&mut carol_stream).await?;
    assert_eq!(cancelled.event.as_deref(), Some("notification"));
    let cancelled = cancelled.json()?;
    assert_eq!(cancelled["type"], "CANCLE");
    assert_eq!(
        cancelled["message"],
        "탈퇴한 사용자님이 모임을 취소하셨습니다."
    );
    assert_eq!(cancelled["actorNickname"], DELETED);
    assert_eq!(cancelled["actorId"], Value::Null);

    // After: Alice is gone from what Bob and Carol can read.
    let active = rest_support::get(&second, &bob, "/api/v1/users/me/friends/active").await?;
    assert!(active.items().is_empty(), "{active:?}");
    rest_support::get(&second, &bob, &profile)
        .await?
        .expect_error(StatusCode::NOT_FOUND, "USER_NOT_FOUND")?;
    let friends = rest_support::get(&second, &bob, "/api/v1/users/me/friends").await?;
    assert!(friends.items().is_empty(), "{friends:?}");
    let bobs_meetup = rest_support::get(&second, &bob, &format!("/api/v1/meetups/{bobs}")).await?;
    assert_eq!(bobs_meetup.status, StatusCode::OK);
    assert!(
        !bobs_meetup.body.to_string().contains("\"alice\""),
        "Alice left Bob's meetup: {}",
        bobs_meetup.body
    );
    let gone = rest_support::get(&second, &carol, &format!("/api/v1/meetups/{hosted}")).await?;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{gone:?}");
    let inbox = rest_support::get(&second, &bob, "/api/v1/notifications").await?;
    let from_alice: Vec<(String, String)> = inbox
        .items()
        .iter()
        .filter(|n| n["actorId"].is_null())
        .map(|n| {
            (
                n["type"].as_str().unwrap_or_default().to_owned(),
                n["actorNickname"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        from_alice.contains(&("FOLLOW".to_owned(), DELETED.to_owned()))
            && from_alice.contains(&("EXIT".to_owned(), DELETED.to_owned())),
        "Bob keeps Alice's FOLLOW and her EXIT from his meetup: {from_alice:?}"
    );
    let follow = inbox
        .items()
        .into_iter()
        .find(|n| n["type"] == "FOLLOW")
        .context("the FOLLOW")?;
    assert_eq!(
        follow["message"],
        "탈퇴한 사용자님이 회원님을 팔로우하기 시작했습니다."
    );
    assert_eq!(follow["actorProfileImage"], Value::Null);

    // Her old token is refused everywhere, and does not make a new account.
    for app in [&first, &second] {
        rest_support::get(app, &alice, "/api/v1/users/me")
            .await?
            .expect_error(StatusCode::UNAUTHORIZED, "ACCOUNT_DELETED")?;
        let bearer = format!("authorization.bearer.{}", alice.token);
        let (mut socket, _) = open(&ws_url(app, ""), &[&bearer], None).await?;
        let (code, _) = expect_close(&mut socket, CLOSE_WITHIN).await?;
        assert_eq!(code, 4001);
        let refused =
            crate::sse_client::request(app, &format!("accessToken={}", alice.token), &[]).await?;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        let body: Value = refused.json().await?;
        assert_eq!(body["code"], "ACCOUNT_DELETED");
    }
    // Nothing of the account is left (it was there before: the users row at least).
    assert_eq!(
        first.database().rows_naming_user(alice.id.get()).await?,
        Vec::<String>::new()
    );
    // A deletion of a deleted account is the same refusal.
    rest_support::delete(&second, &alice, "/api/v1/users/me")
        .await?
        .expect_error(StatusCode::UNAUTHORIZED, "ACCOUNT_DELETED")?;

    // A token issued after the deletion signs up afresh: a new, empty account.
    let later = ws_client::token_at("alice", 600, ws_client::unix_now()? + 2)?;
    let again = rest_support::User {
        id: alice.id,
        token: later,
    };
    let me = rest_support::get(&second, &again, "/api/v1/users/me").await?;
    assert_eq!(me.status, StatusCode::OK, "{me:?}");
    assert_ne!(me.body["id"], json!(alice.id.get()));
    let timers = rest_support::get(&second, &again, "/v1/timers").await?;
    assert_eq!(timers.status, StatusCode::OK);
    assert!(timers.items().is_empty(), "{timers:?}");
    second.stop().await?;
    first.stop().await
}
