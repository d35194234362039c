//! UserRepository and FollowRepository.

use std::collections::HashSet;

use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use hourglass_adapters_postgres::repository::{
    PgFollowRepository, PgNotificationRepository, PgTimerRepository, PgUserRepository,
};
use hourglass_domain::follow::Follow;
use hourglass_domain::ids::UserId;
use hourglass_domain::notification::{NotificationDraft, NotificationKind};
use hourglass_domain::profile::ProfileImage;
use hourglass_domain::timer::FieldUpdate;
use hourglass_ports::follow::FollowRepository;
use hourglass_ports::notification::NotificationRepository;
use hourglass_ports::page::PageRequest;
use hourglass_ports::timer::TimerRepository;
use hourglass_ports::user::{
    InitialProfile, ProfileUpdate, SignIn, UpdateUserError, UserRepository,
};

use crate::support::{at, database, nickname, timer, user};

fn follow(a: UserId, b: UserId) -> Follow {
    let Ok(follow) = Follow::new(a, b) else {
        panic!("distinct users")
    };
    follow
}

fn first_page() -> PageRequest<UserId> {
    PageRequest {
        limit: 100,
        after: None,
    }
}

#[tokio::test]
async fn find_or_create_creates_once_and_never_overwrites() -> anyhow::Result<()> {
    let db = database().await?;
    let users = PgUserRepository::new(db.pool());
    let initial = |name: &str| InitialProfile {
        nickname: nickname(name),
        profile_image: None,
    };
    let created = users
        .find_or_create(&SignIn::new("test", "sub-1"), initial("first"), at(0))
        .await?;
    let again = users
        .find_or_create(&SignIn::new("test", "sub-1"), initial("second"), at(9))
        .await?;
    assert_eq!(created, again);
    assert_eq!(again.nickname, nickname("first"));

    let mut tasks = Vec::new();
    for i in 0..8 {
        let users = users.clone();
        tasks.push(tokio::spawn(async move {
            users
                .find_or_create(
                    &SignIn::new("test", "racer"),
                    initial(&format!("r{i}")),
                    at(0),
                )
                .await
        }));
    }
    let mut ids = HashSet::new();
    for task in tasks {
        ids.insert(task.await??.id);
    }
    assert_eq!(ids.len(), 1, "concurrent first requests create one user");

    assert_eq!(users.find(created.id).await?, Some(created.clone()));
    assert_eq!(users.find(UserId::new(-1)).await?, None);
    let many = users.find_many(&[created.id, UserId::new(-1)]).await?;
    assert_eq!(many, vec![created]);
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn update_profile_changes_only_what_is_given() -> anyhow::Result<()> {
    let db = database().await?;
    let users = PgUserRepository::new(db.pool());
    let id = user(&db, "alice").await?;
    let Ok(image) = ProfileImage::parse("https://example.com/a.png") else {
        panic!("valid url")
    };
    let updated = users
        .update_profile(
            id,
            ProfileUpdate {
                nickname: Some(nickname("Alice")),
                profile_image: FieldUpdate::Set(image.clone()),
            },
            at(10),
        )
        .await?;
    assert_eq!(updated.nickname, nickname("Alice"));
    assert_eq!(updated.profile_image, Some(image));
    assert_eq!(updated.updated_at, at(10));
    let cleared = users
        .update_profile(
            id,
            ProfileUpdate {
                nickname: None,
                profile_image: FieldUpdate::Clear,
            },
            at(20),
        )
        .await?;
    assert_eq!(cleared.nickname, nickname("Alice"));
    assert_eq!(cleared.profile_image, None);
    assert_eq!(users.find(id).await?, Some(cleared));
    let missing = users
        .update_profile(UserId::new(-5), ProfileUpdate::default(), at(0))
        .await;
    assert!(
        matches!(missing, Err(UpdateUserError::NotFound)),
        "{missing:?}"
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn follow_notifies_once_per_day_across_unfollow() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let follows = PgFollowRepository::new(db.pool());

    let first = follows.follow(follow(alice, bob), at(0)).await?;
    assert!(first.created);
    let Some(notification) = first.notification else {
        panic!("the first follow notifies")
    };
    assert_eq!(notification.kind(), NotificationKind::Follow);
    assert_eq!(notification.receiver(), bob);
    assert_eq!(notification.actor(), Some(alice));
    assert_eq!(
        notification.draft(),
        &NotificationDraft::follow(bob, alice, &nickname("alice"))
    );

    let repeat = follows.follow(follow(alice, bob), at(10)).await?;
    assert!(!repeat.created);
    assert_eq!(repeat.notification, None);
    assert!(follows.unfollow(alice, bob).await?.removed);
    assert!(!follows.unfollow(alice, bob).await?.removed);
    let refollow = follows.follow(follow(alice, bob), at(3_600)).await?;
    assert!(refollow.created);
    assert_eq!(refollow.notification, None, "suppressed across unfollow");
    assert!(follows.unfollow(alice, bob).await?.removed);
    let next_day = follows.follow(follow(alice, bob), at(86_400)).await?;
    assert!(next_day.notification.is_some());
    let stored = PgNotificationRepository::new(db.pool())
        .list(
            bob,
            false,
            PageRequest {
                limit: 10,
                after: None,
            },
        )
        .await?;
    assert_eq!(stored.items.len(), 2);
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn concurrent_follows_notify_once() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let follows = PgFollowRepository::new(db.pool());
    let (a, b) = (follows.clone(), follows.clone());
    let first = tokio::spawn(async move { a.follow(follow(alice, bob), at(0)).await });
    let second = tokio::spawn(async move { b.follow(follow(alice, bob), at(0)).await });
    let outcomes = [first.await??, second.await??];
    assert_eq!(outcomes.iter().filter(|o| o.created).count(), 1);
    assert_eq!(
        outcomes.iter().filter(|o| o.notification.is_some()).count(),
        1
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn followers_following_and_friends_page_newest_first() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let mut others = Vec::new();
    for i in 0..7 {
        others.push(user(&db, &format!("user{i}")).await?);
    }
    let follows = PgFollowRepository::new(db.pool());
    // Everyone follows alice at the same instant; alice follows back the even ones later.
    for &other in &others {
        follows.follow(follow(other, alice), at(0)).await?;
    }
    for (i, &other) in others.iter().enumerate() {
        if i % 2 == 0 {
            follows
                .follow(follow(alice, other), at(100 + i as i64))
                .await?;
        }
    }

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = follows
            .followers(alice, PageRequest { limit: 3, after })
            .await?;
        seen.extend(page.items.iter().map(|u| u.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut expected = others.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        seen, expected,
        "equal instants page by id, descending, no gaps"
    );

    let following = follows.following(alice, first_page()).await?;
    let following: Vec<UserId> = following.items.iter().map(|u| u.id).collect();
    assert_eq!(following, [others[6], others[4], others[2], others[0]]);
    let friends = follows.friends(alice, first_page()).await?;
    let friends: Vec<UserId> = friends.items.iter().map(|u| u.id).collect();
    assert_eq!(
        friends, following,
        "friendship starts with the later follow"
    );
    let page = follows
        .friends(
            alice,
            PageRequest {
                limit: 2,
                after: None,
            },
        )
        .await?;
    let rest = follows
        .friends(
            alice,
            PageRequest {
                limit: 2,
                after: page.next,
            },
        )
        .await?;
    assert_eq!(
        rest.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        [others[2], others[0]]
    );
    let mut ids = follows.friend_ids(alice).await?;
    ids.sort();
    let mut evens = vec![others[0], others[2], others[4], others[6]];
    evens.sort();
    assert_eq!(ids, evens);
    assert!(follows.friend_ids(others[1]).await?.is_empty());
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn deleting_a_user_cascades_and_keeps_others_notifications() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let follows = PgFollowRepository::new(db.pool());
    let outcome = follows.follow(follow(alice, bob), at(0)).await?;
    let Some(notification) = outcome.notification else {
        panic!("notified")
    };
    let timers = PgTimerRepository::new(db.pool());
    let owned = timer(alice, at(0));
    timers.insert(&owned).await?;

    // No port deletes users; the schema still must keep consistency when an operator does.
    let mut conn = db.pool().get().await?;
    diesel::sql_query("DELETE FROM users WHERE id = $1")
        .bind::<BigInt, _>(alice.get())
        .execute(&mut conn)
        .await?;
    assert_eq!(timers.find(owned.id()).await?, None);
    assert!(follows.followers(bob, first_page()).await?.items.is_empty());
    let kept = PgNotificationRepository::new(db.pool())
        .list_after(bob, hourglass_domain::ids::NotificationId::new(0), 10)
        .await?;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].id(), notification.id());
    assert_eq!(kept[0].actor(), None, "actor set to null");
    db.cleanup().await?;
    Ok(())
}
