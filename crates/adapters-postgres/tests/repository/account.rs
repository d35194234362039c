//! `UserRepository::delete` and the sign-in rules around it: identities are (issuer, subject),
//! a deleted identity's old tokens cannot bring the account back, legacy users go to the
//! primary source only.

use diesel_async::SimpleAsyncConnection;
use hourglass_adapters_postgres::repository::{
    PgFollowRepository, PgMeetupRepository, PgNotificationRepository, PgScheduleRepository,
    PgTagRepository, PgTimerRepository, PgTodoRepository, PgUserRepository,
};
use hourglass_domain::follow::Follow;
use hourglass_domain::ids::UserId;
use hourglass_domain::meetup::{MeetupDescription, MeetupStatus, MeetupTitle, NewMeetup};
use hourglass_domain::notification::NotificationKind;
use hourglass_domain::validation::Visibility;
use hourglass_ports::follow::FollowRepository;
use hourglass_ports::meetup::{MeetupAction, MeetupRepository};
use hourglass_ports::notification::NotificationRepository;
use hourglass_ports::page::PageRequest;
use hourglass_ports::planning::{ScheduleRepository, TagRepository, TodoRepository};
use hourglass_ports::timer::TimerRepository;
use hourglass_ports::user::{
    DeleteAccountError, InitialProfile, SignIn, SignInError, UserRepository,
};

use crate::support::{TimerSpec, at, database, nickname, schedule, tag, timer_with, todo, user};

fn new_meetup(host: UserId) -> NewMeetup {
    let Ok(title) = MeetupTitle::parse("Study") else {
        panic!("valid title")
    };
    NewMeetup {
        host_id: host,
        title,
        description: MeetupDescription::empty(),
        starts_at: at(3_600),
        capacity: None,
    }
}

async fn follow(follows: &PgFollowRepository, a: UserId, b: UserId) -> anyhow::Result<()> {
    let Ok(follow) = Follow::new(a, b) else {
        panic!("distinct users")
    };
    follows.follow(follow, at(0)).await?;
    Ok(())
}

#[tokio::test]
async fn deleting_an_account_removes_everything_it_owns_and_settles_its_meetups()
-> anyhow::Result<()> {
    let db = database().await?;
    let (alice, bob, carol) = (
        user(&db, "alice").await?,
        user(&db, "bob").await?,
        user(&db, "carol").await?,
    );
    let follows = PgFollowRepository::new(db.pool());
    // Bob is Alice's friend; Carol only follows her.
    follow(&follows, alice, bob).await?;
    follow(&follows, bob, alice).await?;
    follow(&follows, carol, alice).await?;
    let timers = PgTimerRepository::new(db.pool());
    let shown = timer_with(
        alice,
        at(10),
        TimerSpec {
            visibility: Visibility::Friends,
            ..TimerSpec::default()
        },
    );
    timers.insert(&shown).await?;
    PgTagRepository::new(db.pool())
        .insert(&tag(alice, "deep"))
        .await?;
    PgScheduleRepository::new(db.pool())
        .insert(&schedule(alice, Vec::new()))
        .await?;
    PgTodoRepository::new(db.pool())
        .insert(&todo(alice, Vec::new()))
        .await?;
    let meetups = PgMeetupRepository::new(db.pool());
    // Alice hosts one Bob joined; Bob hosts one Alice and Carol joined.
    let hosted = meetups.create(new_meetup(alice), at(0)).await?.meetup.id();
    meetups
        .apply(hosted, MeetupAction::Join(bob), at(1))
        .await?;
    let joined = meetups.create(new_meetup(bob), at(0)).await?.meetup.id();
    meetups
        .apply(joined, MeetupAction::Join(alice), at(2))
        .await?;
    meetups
        .apply(joined, MeetupAction::Join(carol), at(3))
        .await?;
    let users = PgUserRepository::new(db.pool());
    assert!(!db.rows_naming_user(alice.get()).await?.is_empty());

    let deleted = users.delete(alice, at(100)).await?;
    assert_eq!(deleted.friends, vec![bob]);
    assert_eq!(
        deleted
            .active_timers
            .iter()
            .map(|t| t.id())
            .collect::<Vec<_>>(),
        vec![shown.id()]
    );
    let told: Vec<(UserId, NotificationKind, &str)> = deleted
        .notifications
        .iter()
        .map(|n| (n.receiver(), n.kind(), n.message()))
        .collect();
    assert_eq!(
        told,
        vec![
            (
                bob,
                NotificationKind::Cancle,
                "탈퇴한 사용자님이 모임을 취소하셨습니다."
            ),
            (
                bob,
                NotificationKind::Exit,
                "탈퇴한 사용자님이 모임에서 퇴장하셨습니다."
            ),
        ]
    );

    // Nothing names Alice any more, anywhere.
    assert_eq!(
        db.rows_naming_user(alice.get()).await?,
        Vec::<String>::new()
    );
    // Bob keeps what Alice caused, under the deleted user's name and without an actor.
    let notifications = PgNotificationRepository::new(db.pool());
    let inbox = notifications
        .list(
            bob,
            false,
            PageRequest {
                limit: 50,
                after: None,
            },
        )
        .await?
        .items;
    let mut from_alice: Vec<(NotificationKind, &str)> = inbox
        .iter()
        .filter(|n| n.actor().is_none())
        .map(|n| (n.kind(), n.message()))
        .collect();
    from_alice.sort_by_key(|(kind, _)| kind.as_str());
    assert_eq!(
        from_alice,
        vec![
            (
                NotificationKind::Cancle,
                "탈퇴한 사용자님이 모임을 취소하셨습니다."
            ),
            (
                NotificationKind::Create,
                "탈퇴한 사용자님이 모임을 생성하셨습니다."
            ),
            (
                NotificationKind::Enter,
                "탈퇴한 사용자님이 모임에 참여하셨습니다."
            ),
            (
                NotificationKind::Exit,
                "탈퇴한 사용자님이 모임에서 퇴장하셨습니다."
            ),
            (
                NotificationKind::Follow,
                "탈퇴한 사용자님이 회원님을 팔로우하기 시작했습니다."
            ),
        ]
    );
    // Carol's ENTER to Bob's meetup keeps its actor.
    assert_eq!(inbox.len(), 6);
    // The meetup Alice hosted is gone; the one she joined lost her only.
    assert_eq!(meetups.find(hosted).await?, None);
    let Some(left) = meetups.find(joined).await? else {
        panic!("Bob's meetup stays")
    };
    assert_eq!(left.status(), MeetupStatus::Open);
    assert_eq!(left.participants(), [bob, carol]);
    // Bob and Carol are untouched.
    assert!(users.find(bob).await?.is_some() && users.find(carol).await?.is_some());
    assert_eq!(follows.friend_ids(bob).await?, Vec::<UserId>::new());

    // A second deletion finds nothing.
    assert!(matches!(
        users.delete(alice, at(101)).await,
        Err(DeleteAccountError::NotFound)
    ));
    db.cleanup().await?;
    Ok(())
}

fn initial(name: &str) -> InitialProfile {
    InitialProfile {
        nickname: nickname(name),
        profile_image: None,
    }
}

#[tokio::test]
async fn a_deleted_identity_comes_back_only_with_a_token_issued_after_the_deletion()
-> anyhow::Result<()> {
    let db = database().await?;
    let users = PgUserRepository::new(db.pool());
    let first = users
        .find_or_create(&SignIn::new("https://idp", "dana"), initial("dana"), at(0))
        .await?;
    users.delete(first.id, at(100)).await?;
    for issued_at in [None, Some(at(50)), Some(at(100))] {
        let sign_in = SignIn {
            issued_at,
            ..SignIn::new("https://idp", "dana")
        };
        let refused = users
            .find_or_create(&sign_in, initial("dana"), at(200))
            .await;
        assert!(
            matches!(refused, Err(SignInError::AccountDeleted)),
            "iat {issued_at:?}: {refused:?}"
        );
    }
    // Another issuer's "dana" is another person.
    let other = users
        .find_or_create(&SignIn::new("jwt-secret", "dana"), initial("dana"), at(200))
        .await?;
    assert_ne!(other.id, first.id);
    let fresh = SignIn {
        issued_at: Some(at(101)),
        ..SignIn::new("https://idp", "dana")
    };
    let again = users
        .find_or_create(&fresh, initial("dana2"), at(200))
        .await?;
    assert_ne!(again.id, first.id);
    assert_eq!(again.nickname, nickname("dana2"));
    // The tombstone went with the new account: old tokens now find the new account.
    let old = users
        .find_or_create(&SignIn::new("https://idp", "dana"), initial("x"), at(300))
        .await?;
    assert_eq!(old.id, again.id);
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn users_from_before_issuers_belong_to_the_primary_source_only() -> anyhow::Result<()> {
    let db = database().await?;
    let mut conn = db.pool().get().await?;
    conn.batch_execute(
        "INSERT INTO users (issuer, subject, nickname, created_at, updated_at) \
         VALUES ('', 'erin', 'erin', now(), now())",
    )
    .await?;
    drop(conn);
    let users = PgUserRepository::new(db.pool());
    // A token of another source with the same `sub` is someone else.
    let stranger = users
        .find_or_create(
            &SignIn::new("jwt-secret", "erin"),
            initial("mallory"),
            at(0),
        )
        .await?;
    assert_eq!(stranger.nickname, nickname("mallory"));
    let primary = SignIn {
        claims_legacy_users: true,
        ..SignIn::new("https://idp", "erin")
    };
    let erin = users
        .find_or_create(&primary, initial("new"), at(0))
        .await?;
    assert_eq!(erin.nickname, nickname("erin"), "the legacy user, claimed");
    assert_ne!(erin.id, stranger.id);
    // Claimed once: the next sign-in finds it by its identity.
    let again = users
        .find_or_create(&SignIn::new("https://idp", "erin"), initial("x"), at(1))
        .await?;
    assert_eq!(again.id, erin.id);
    db.cleanup().await?;
    Ok(())
}
