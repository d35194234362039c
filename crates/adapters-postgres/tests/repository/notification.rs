//! NotificationRepository: storage, lists, replay order and the per-receiver lock.

use std::time::Duration;

use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, RunQueryDsl};
use hourglass_adapters_postgres::repository::PgNotificationRepository;
use hourglass_domain::ids::{NotificationId, TimerId};
use hourglass_domain::notification::{NotificationDraft, NotificationKind, RelatedId};
use hourglass_ports::notification::{NotificationError, NotificationRepository};
use hourglass_ports::page::PageRequest;

use crate::support::{at, database, title, user};

#[tokio::test]
async fn insert_list_read_and_delete() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let notifications = PgNotificationRepository::new(db.pool());
    let mut stored = Vec::new();
    for i in 0..5 {
        stored.push(
            notifications
                .insert(NotificationDraft::test(alice), at(i / 2))
                .await?,
        );
    }
    notifications
        .insert(NotificationDraft::test(bob), at(0))
        .await?;
    assert!(stored.windows(2).all(|w| w[0].id() < w[1].id()));
    assert_eq!(stored[0].draft(), &NotificationDraft::test(alice));
    assert!(!stored[0].is_read());
    assert_eq!(stored[0].created_at(), at(0));

    let page = |after| PageRequest { limit: 2, after };
    let first = notifications.list(alice, false, page(None)).await?;
    let second = notifications.list(alice, false, page(first.next)).await?;
    let third = notifications.list(alice, false, page(second.next)).await?;
    let listed: Vec<NotificationId> = [first.items, second.items, third.items]
        .concat()
        .iter()
        .map(|n| n.id())
        .collect();
    let mut expected: Vec<NotificationId> = stored.iter().map(|n| n.id()).collect();
    expected.reverse();
    assert_eq!(listed, expected);
    assert_eq!(third.next, None);

    assert_eq!(notifications.unread_count(alice).await?, 5);
    notifications.mark_read(alice, stored[0].id()).await?;
    notifications.mark_read(alice, stored[0].id()).await?;
    let foreign = notifications.mark_read(bob, stored[1].id()).await;
    assert!(
        matches!(foreign, Err(NotificationError::NotFound)),
        "{foreign:?}"
    );
    assert_eq!(notifications.unread_count(alice).await?, 4);
    let unread = notifications
        .list(
            alice,
            true,
            PageRequest {
                limit: 10,
                after: None,
            },
        )
        .await?;
    assert_eq!(unread.items.len(), 4);
    assert!(unread.items.iter().all(|n| !n.is_read()));
    assert_eq!(notifications.mark_all_read(alice).await?, 4);
    assert_eq!(notifications.unread_count(alice).await?, 0);
    assert_eq!(notifications.unread_count(bob).await?, 1);

    let after = notifications.list_after(alice, stored[1].id(), 2).await?;
    assert_eq!(
        after.iter().map(|n| n.id()).collect::<Vec<_>>(),
        [stored[2].id(), stored[3].id()]
    );
    assert!(after.iter().all(|n| n.is_read()));

    let foreign = notifications.delete(bob, stored[4].id()).await;
    assert!(
        matches!(foreign, Err(NotificationError::NotFound)),
        "{foreign:?}"
    );
    notifications.delete(alice, stored[4].id()).await?;
    let again = notifications.delete(alice, stored[4].id()).await;
    assert!(
        matches!(again, Err(NotificationError::NotFound)),
        "{again:?}"
    );
    assert_eq!(
        notifications
            .list_after(alice, NotificationId::new(0), 100)
            .await?
            .len(),
        4
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn an_insert_waits_for_the_receivers_lock() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let notifications = PgNotificationRepository::new(db.pool());
    let mut holder = db.pool().get().await?;
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let (locked, is_locked) = tokio::sync::oneshot::channel::<()>();
    // Another writer's transaction holds alice's lock until told to commit.
    let writer = tokio::spawn(async move {
        holder
            .transaction::<_, diesel::result::Error, _>(async |conn| {
                diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                    .bind::<BigInt, _>(alice.get())
                    .execute(conn)
                    .await?;
                let _ = locked.send(());
                let _ = released.await;
                Ok(())
            })
            .await
    });
    is_locked.await?;
    let inserting = tokio::spawn({
        let notifications = notifications.clone();
        async move {
            notifications
                .insert(NotificationDraft::test(alice), at(0))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !inserting.is_finished(),
        "the insert must wait for the lock"
    );
    let _ = release.send(());
    writer.await??;
    let stored = inserting.await??;
    assert_eq!(
        notifications
            .list_after(alice, NotificationId::new(0), 10)
            .await?,
        vec![stored]
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn concurrent_writers_leave_increasing_ids_per_receiver() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let notifications = PgNotificationRepository::new(db.pool());
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let notifications = notifications.clone();
        tasks.push(tokio::spawn(async move {
            notifications
                .insert(NotificationDraft::test(alice), at(0))
                .await
        }));
    }
    for task in tasks {
        task.await??;
    }
    let all = notifications
        .list_after(alice, NotificationId::new(0), 1000)
        .await?;
    assert_eq!(all.len(), 20);
    assert!(all.windows(2).all(|w| w[0].id() < w[1].id()));
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn timer_notifications_round_trip_their_timer_id() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let notifications = PgNotificationRepository::new(db.pool());
    // No timer row: the column has no foreign key, a notification outlives its timer.
    let timer = TimerId::new(uuid::Uuid::from_u128(
        0x0193_0000_0000_7000_8000_0000_0000_00aa,
    ));
    let time_up = NotificationDraft::time_up(alice, timer, Some(&title("집중")));
    let forgotten = NotificationDraft::timer_forgotten(alice, timer, None, 2 * 3600 + 300);
    let stored_time_up = notifications.insert(time_up.clone(), at(0)).await?;
    let stored_forgotten = notifications.insert(forgotten.clone(), at(1)).await?;
    assert_eq!(stored_time_up.draft(), &time_up);
    assert_eq!(stored_forgotten.draft(), &forgotten);

    let replayed = notifications
        .list_after(alice, NotificationId::new(0), 10)
        .await?;
    assert_eq!(replayed, vec![stored_time_up.clone(), stored_forgotten]);
    let first = &replayed[0];
    assert_eq!(first.kind(), NotificationKind::TimeUp);
    assert_eq!(first.message(), "'집중' 타이머의 시간이 다 되었습니다.");
    assert_eq!(first.related_id(), Some(RelatedId::Timer(timer)));
    assert_eq!(
        first.redirect_url(),
        "/timers/01930000-0000-7000-8000-0000000000aa"
    );
    let listed = notifications
        .list(
            alice,
            false,
            PageRequest {
                limit: 10,
                after: None,
            },
        )
        .await?;
    assert_eq!(listed.items.last(), Some(&stored_time_up));

    // The id sits in its own column, and the schema refuses a row about a meetup and a timer.
    let mut conn = db.pool().get().await?;
    let both = diesel::sql_query(
        "UPDATE notifications SET related_id = 1 WHERE related_timer_id IS NOT NULL",
    )
    .execute(&mut conn)
    .await;
    assert!(both.is_err(), "{both:?}");
    db.cleanup().await?;
    Ok(())
}
