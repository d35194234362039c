//! Read marks and deletes of notifications are announced like inserts, and every announcement
//! carries the unread count its change left, counted under the receiver's lock: applied in the
//! order they arrive, the announcements always agree with their counts, however many writers
//! race.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use futures_util::StreamExt as _;
use hourglass_adapters_postgres::repository::PgNotificationRepository;
use hourglass_domain::ids::{NotificationId, UserId};
use hourglass_domain::notification::NotificationDraft;
use hourglass_ports::notification::{NotificationError, NotificationRepository};
use serde_json::{Value, json};

use crate::events::{Listening, listener, received};
use crate::support::{at, database, user};

/// An upper bound for one announcement to arrive, not a margin any test waits out.
const ARRIVAL: Duration = Duration::from_secs(30);

#[tokio::test]
async fn read_marks_and_deletes_are_announced_with_the_count_they_leave() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let inbox = PgNotificationRepository::new(db.pool());
    let mut ids = Vec::new();
    for second in 0..3 {
        ids.push(
            inbox
                .insert(NotificationDraft::test(alice), at(second))
                .await?
                .id(),
        );
    }
    let mut listening = listener(&db).await?;

    inbox.mark_read(alice, ids[0]).await?;
    assert_eq!(
        received(&mut listening).await?,
        vec![
            json!({"k": "inbox", "receiver": alice.get(), "change": "read",
                    "ids": [ids[0].get()], "unread": 2})
        ]
    );
    // Marking it again changes nothing, so it says nothing; it is still no error.
    inbox.mark_read(alice, ids[0]).await?;
    assert_eq!(received(&mut listening).await?, Vec::<Value>::new());
    // Someone else's is not found, and nothing is said.
    assert!(matches!(
        inbox.mark_read(bob, ids[1]).await,
        Err(NotificationError::NotFound)
    ));
    assert!(matches!(
        inbox.delete(bob, ids[1]).await,
        Err(NotificationError::NotFound)
    ));
    assert_eq!(received(&mut listening).await?, Vec::<Value>::new());

    inbox.delete(alice, ids[1]).await?;
    assert_eq!(
        received(&mut listening).await?,
        vec![
            json!({"k": "inbox", "receiver": alice.get(), "change": "deleted",
                    "ids": [ids[1].get()], "unread": 1})
        ]
    );
    assert_eq!(inbox.mark_all_read(alice).await?, 1);
    assert_eq!(
        received(&mut listening).await?,
        vec![
            json!({"k": "inbox", "receiver": alice.get(), "change": "read",
                    "ids": [ids[2].get()], "unread": 0})
        ]
    );
    assert_eq!(inbox.mark_all_read(alice).await?, 0);
    assert_eq!(received(&mut listening).await?, Vec::<Value>::new());
    db.cleanup().await?;
    Ok(())
}

/// What one announcement says about the receiver's inbox.
pub(crate) enum Said {
    Stored(i64),
    Read(Vec<i64>),
    Deleted(Vec<i64>),
}

fn ids_of(payload: &Value) -> anyhow::Result<Vec<i64>> {
    payload["ids"]
        .as_array()
        .context("ids")?
        .iter()
        .map(|id| id.as_i64().context("an id"))
        .collect()
}

/// The next announcement for `receiver`: what it says and the unread count it carries.
pub(crate) async fn next_for(
    listening: &mut Listening,
    receiver: UserId,
) -> anyhow::Result<(Said, u64)> {
    let notifications = listening.conn.notifications_stream();
    let mut notifications = std::pin::pin!(notifications);
    loop {
        let Ok(next) = tokio::time::timeout(ARRIVAL, notifications.next()).await else {
            bail!("no announcement within {ARRIVAL:?}");
        };
        let Some(notification) = next else {
            bail!("the listening connection ended");
        };
        let payload: Value = serde_json::from_str(&notification?.payload)?;
        if payload["receiver"].as_i64() != Some(receiver.get()) {
            continue;
        }
        let unread = payload["unread"]
            .as_u64()
            .context("every announcement has a count")?;
        let said = match (payload["k"].as_str(), payload["change"].as_str()) {
            (Some("notification"), _) => Said::Stored(payload["id"].as_i64().context("id")?),
            (Some("inbox"), Some("read")) => Said::Read(ids_of(&payload)?),
            (Some("inbox"), Some("deleted")) => Said::Deleted(ids_of(&payload)?),
            _ => bail!("unexpected announcement {payload}"),
        };
        return Ok((said, unread));
    }
}

/// Inserters, readers (one by one and all at once) and deleters race on one receiver's inbox.
/// A listener applies every announcement in arrival order to the set of unread ids it was told
/// about and checks each count against that set. Without the receiver's lock in read marks and
/// deletes, a count taken by one transaction misses (or includes) another's concurrent change.
#[tokio::test]
async fn counts_agree_with_the_announcements_under_racing_writers() -> anyhow::Result<()> {
    const ROUNDS: usize = 25;
    const INSERTS_PER_TASK: usize = 4;
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let inbox = PgNotificationRepository::new(db.pool());
    let mut listening = listener(&db).await?;
    let known: Arc<Mutex<Vec<NotificationId>>> = Arc::default();
    let mut changes = 0usize;
    for round in 0..ROUNDS {
        let mut tasks = tokio::task::JoinSet::new();
        for inserter in 0..3 {
            let inbox = inbox.clone();
            let known = Arc::clone(&known);
            tasks.spawn(async move {
                for n in 0..INSERTS_PER_TASK {
                    let second = i64::try_from(round * 100 + inserter * 10 + n).unwrap_or(0);
                    let stored = inbox
                        .insert(NotificationDraft::test(alice), at(second))
                        .await?;
                    known
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(stored.id());
                }
                Ok::<_, anyhow::Error>(())
            });
        }
        {
            let inbox = inbox.clone();
            tasks.spawn(async move {
                inbox.mark_all_read(alice).await?;
                Ok(())
            });
        }
        for pick in [0usize, 1] {
            let inbox = inbox.clone();
            let known = Arc::clone(&known);
            tasks.spawn(async move {
                let target = {
                    let known = known.lock().unwrap_or_else(PoisonError::into_inner);
                    known.get(known.len().saturating_sub(1 + pick)).copied()
                };
                if let Some(id) = target {
                    // Another task may have deleted it meanwhile.
                    match if pick == 0 {
                        inbox.mark_read(alice, id).await
                    } else {
                        inbox.delete(alice, id).await
                    } {
                        Ok(()) | Err(NotificationError::NotFound) => {}
                        Err(error) => return Err(error.into()),
                    }
                }
                Ok(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        changes += 1;
    }
    ensure!(changes == ROUNDS);
    // A last change whose announcement marks the end of the stream.
    let last = inbox
        .insert(NotificationDraft::test(alice), at(100_000))
        .await?
        .id()
        .get();

    let mut unread: BTreeSet<i64> = BTreeSet::new();
    let mut checked = 0usize;
    loop {
        let (said, count) = next_for(&mut listening, alice).await?;
        let end = matches!(said, Said::Stored(id) if id == last);
        match said {
            Said::Stored(id) => {
                unread.insert(id);
            }
            Said::Read(ids) => {
                for id in ids {
                    ensure!(unread.remove(&id), "{id} was read but not unread");
                }
            }
            Said::Deleted(ids) => {
                for id in ids {
                    unread.remove(&id);
                }
            }
        }
        checked += 1;
        ensure!(
            u64::try_from(unread.len())? == count,
            "announcement {checked}: the stream knows {} unread, the count says {count}",
            unread.len()
        );
        if end {
            break;
        }
    }
    ensure!(
        u64::try_from(unread.len())? == inbox.unread_count(alice).await?,
        "the last count is the stored one"
    );
    db.cleanup().await?;
    Ok(())
}
