//! MeetupRepository: creation fan-out, join/leave/cancel and their refusals.

use hourglass_adapters_postgres::repository::{
    PgFollowRepository, PgMeetupRepository, PgNotificationRepository,
};
use hourglass_domain::follow::Follow;
use hourglass_domain::ids::{MeetupId, UserId};
use hourglass_domain::meetup::{
    Capacity, MeetupDescription, MeetupError, MeetupStatus, MeetupTitle, NewMeetup,
};
use hourglass_domain::notification::{NotificationDraft, NotificationKind};
use hourglass_ports::follow::FollowRepository;
use hourglass_ports::meetup::{MeetupAction, MeetupActionError, MeetupRepository};
use hourglass_ports::notification::NotificationRepository;
use hourglass_ports::page::PageRequest;

use crate::support::{at, database, nickname, user};

fn new_meetup(host: UserId, capacity: Option<i64>) -> NewMeetup {
    let Ok(title) = MeetupTitle::parse("Study") else {
        panic!("valid title")
    };
    NewMeetup {
        host_id: host,
        title,
        description: MeetupDescription::empty(),
        starts_at: at(3_600),
        capacity: capacity.map(|c| {
            let Ok(c) = Capacity::new(c) else {
                panic!("valid capacity")
            };
            c
        }),
    }
}

fn rejected(outcome: &Result<impl std::fmt::Debug, MeetupActionError>, expected: MeetupError) {
    assert!(
        matches!(outcome, Err(MeetupActionError::Rejected(e)) if *e == expected),
        "expected {expected:?}, got {outcome:?}"
    );
}

#[tokio::test]
async fn create_notifies_every_follower_of_the_host() -> anyhow::Result<()> {
    let db = database().await?;
    let host = user(&db, "host").await?;
    let stranger = user(&db, "stranger").await?;
    let follows = PgFollowRepository::new(db.pool());
    let mut followers = Vec::new();
    for i in 0..5 {
        let follower = user(&db, &format!("f{i}")).await?;
        let Ok(follow) = Follow::new(follower, host) else {
            panic!("distinct")
        };
        follows.follow(follow, at(0)).await?;
        followers.push(follower);
    }
    let meetups = PgMeetupRepository::new(db.pool());
    let past = meetups.create(new_meetup(host, None), at(3_600)).await;
    rejected(&past, MeetupError::StartsAtNotInFuture);

    let outcome = meetups.create(new_meetup(host, Some(3)), at(0)).await?;
    let meetup = outcome.meetup;
    assert_eq!(meetup.participants(), [host]);
    assert_eq!(meetup.status(), MeetupStatus::Open);
    assert_eq!(meetups.find(meetup.id()).await?.as_ref(), Some(&meetup));
    let mut receivers: Vec<UserId> = outcome.notifications.iter().map(|n| n.receiver()).collect();
    receivers.sort();
    assert_eq!(receivers, followers);
    for notification in &outcome.notifications {
        assert_eq!(
            notification.draft(),
            &NotificationDraft::meetup_created(
                notification.receiver(),
                host,
                &nickname("host"),
                meetup.id()
            )
        );
    }
    let notifications = PgNotificationRepository::new(db.pool());
    assert_eq!(notifications.unread_count(followers[0]).await?, 1);
    assert_eq!(notifications.unread_count(stranger).await?, 0);
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn join_leave_cancel_with_notifications_and_refusals() -> anyhow::Result<()> {
    let db = database().await?;
    let host = user(&db, "host").await?;
    let ann = user(&db, "ann").await?;
    let ben = user(&db, "ben").await?;
    let cat = user(&db, "cat").await?;
    let meetups = PgMeetupRepository::new(db.pool());
    let created = meetups.create(new_meetup(host, Some(3)), at(0)).await?;
    assert!(
        created.notifications.is_empty(),
        "the host has no followers"
    );
    let id = created.meetup.id();

    let joined = meetups.apply(id, MeetupAction::Join(ann), at(10)).await?;
    assert_eq!(joined.meetup.participants(), [host, ann]);
    assert_eq!(joined.notifications.len(), 1);
    assert_eq!(joined.notifications[0].kind(), NotificationKind::Enter);
    assert_eq!(joined.notifications[0].receiver(), host);
    assert_eq!(joined.notifications[0].actor(), Some(ann));

    rejected(
        &meetups.apply(id, MeetupAction::Join(ann), at(11)).await,
        MeetupError::AlreadyJoined,
    );
    rejected(
        &meetups.apply(id, MeetupAction::Join(host), at(11)).await,
        MeetupError::HostCannotJoin,
    );
    meetups.apply(id, MeetupAction::Join(ben), at(12)).await?;
    rejected(
        &meetups.apply(id, MeetupAction::Join(cat), at(13)).await,
        MeetupError::Full,
    );
    rejected(
        &meetups.apply(id, MeetupAction::Leave(cat), at(13)).await,
        MeetupError::NotAParticipant,
    );
    rejected(
        &meetups.apply(id, MeetupAction::Leave(host), at(13)).await,
        MeetupError::HostCannotLeave,
    );

    let left = meetups.apply(id, MeetupAction::Leave(ann), at(14)).await?;
    assert_eq!(left.meetup.participants(), [host, ben]);
    assert_eq!(left.notifications[0].kind(), NotificationKind::Exit);
    assert_eq!(left.notifications[0].receiver(), host);
    meetups.apply(id, MeetupAction::Join(cat), at(15)).await?;
    assert_eq!(
        meetups.find(id).await?.map(|m| m.participants().to_vec()),
        Some(vec![host, ben, cat]),
        "join order is kept"
    );

    rejected(
        &meetups.apply(id, MeetupAction::Cancel(ben), at(16)).await,
        MeetupError::NotHost,
    );
    let cancelled = meetups
        .apply(id, MeetupAction::Cancel(host), at(17))
        .await?;
    assert_eq!(cancelled.meetup.status(), MeetupStatus::Cancelled);
    let mut receivers: Vec<UserId> = cancelled
        .notifications
        .iter()
        .map(|n| n.receiver())
        .collect();
    receivers.sort();
    let mut expected = vec![ben, cat];
    expected.sort();
    assert_eq!(receivers, expected);
    assert!(
        cancelled
            .notifications
            .iter()
            .all(|n| n.kind() == NotificationKind::Cancle && n.actor() == Some(host))
    );
    rejected(
        &meetups.apply(id, MeetupAction::Cancel(host), at(18)).await,
        MeetupError::AlreadyCancelled,
    );
    rejected(
        &meetups.apply(id, MeetupAction::Join(ann), at(18)).await,
        MeetupError::Cancelled,
    );
    let Some(stored) = meetups.find(id).await? else {
        panic!("kept")
    };
    assert_eq!(stored, cancelled.meetup);

    let missing = meetups
        .apply(MeetupId::new(-1), MeetupAction::Join(ann), at(19))
        .await;
    assert!(
        matches!(missing, Err(MeetupActionError::NotFound)),
        "{missing:?}"
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn list_open_pages_and_skips_cancelled() -> anyhow::Result<()> {
    let db = database().await?;
    let host = user(&db, "host").await?;
    let meetups = PgMeetupRepository::new(db.pool());
    let mut open = Vec::new();
    for _ in 0..4 {
        open.push(
            meetups
                .create(new_meetup(host, None), at(0))
                .await?
                .meetup
                .id(),
        );
    }
    let cancelled = meetups
        .create(new_meetup(host, None), at(0))
        .await?
        .meetup
        .id();
    meetups
        .apply(cancelled, MeetupAction::Cancel(host), at(1))
        .await?;
    let first = meetups
        .list_open(PageRequest {
            limit: 3,
            after: None,
        })
        .await?;
    let second = meetups
        .list_open(PageRequest {
            limit: 3,
            after: first.next,
        })
        .await?;
    assert_eq!(second.next, None);
    let listed: Vec<MeetupId> = first
        .items
        .iter()
        .chain(second.items.iter())
        .map(|m| m.id())
        .collect();
    open.reverse();
    assert_eq!(listed, open);
    assert_eq!(meetups.find(MeetupId::new(-1)).await?, None);
    db.cleanup().await?;
    Ok(())
}
