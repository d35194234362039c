//! The repositories announce their changes inside their transactions (an outbox row each, which
//! the relay publishes with `pg_notify`): a committed change emits exactly its announcements, a
//! refused or rolled-back one emits nothing. Each test listens on its own connection, as a server
//! instance's listener does, with a relay of its own publishing the outbox.

use std::time::Duration;

use anyhow::bail;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};
use futures_util::StreamExt as _;
use hourglass_adapters_postgres::event_bus::CHANNEL;
use hourglass_adapters_postgres::relay::{PgOutboxRelay, RelaySettings};
use hourglass_adapters_postgres::repository::{
    PgNotificationRepository, PgTagRepository, PgTimerRepository,
};
use hourglass_domain::notification::NotificationDraft;
use hourglass_domain::timer::TimerCommand;
use hourglass_ports::notification::NotificationRepository;
use hourglass_ports::planning::TagRepository;
use hourglass_ports::processed::CommandKey;
use hourglass_ports::timer::{InsertTimerError, TimerCommandError, TimerRepository};
use hourglass_test_support::TestDatabase;
use serde_json::{Value, json};

use crate::support::{TimerSpec, at, database, tag, timer, timer_with, user};

/// How long "nothing (more) arrives" is watched for.
const QUIET: Duration = Duration::from_millis(300);

/// A connection that `LISTEN`s on the events channel of a test database, and the relay that
/// publishes that database's outbox to it.
pub(crate) struct Listening {
    /// The listening connection.
    pub(crate) conn: AsyncPgConnection,
    /// Kept for as long as the test listens; its connection goes with the database.
    _relay: PgOutboxRelay,
}

/// Listens on the events channel of `db`, with a relay publishing what is written to its outbox
/// from now on.
pub(crate) async fn listener(db: &TestDatabase) -> anyhow::Result<Listening> {
    let mut conn = AsyncPgConnection::establish(db.url()).await?;
    diesel::sql_query(format!("LISTEN {CHANNEL}"))
        .execute(&mut conn)
        .await?;
    // What the test's set-up wrote is not what it listens for (with no relay yet, it waited).
    diesel::sql_query("DELETE FROM event_outbox")
        .execute(&mut conn)
        .await?;
    let relay = PgOutboxRelay::start(
        db.url(),
        RelaySettings {
            poll_interval: Duration::from_millis(10),
        },
    )
    .await?;
    Ok(Listening {
        conn,
        _relay: relay,
    })
}

/// The payloads' facts received until it stays quiet for [`QUIET`]: without `src` (the writing
/// connection), `oid` (the outbox id) and `name` (the owner's nickname, on timer changes), checked
/// to be there, and without the snapshot the receivers build events from (`snapshot`, `tags`;
/// see `event_bus`'s own tests).
pub(crate) async fn received(listening: &mut Listening) -> anyhow::Result<Vec<Value>> {
    let mut payloads = Vec::new();
    let notifications = listening.conn.notifications_stream();
    let mut notifications = std::pin::pin!(notifications);
    while let Ok(next) = tokio::time::timeout(QUIET, notifications.next()).await {
        let Some(notification) = next else {
            bail!("the listening connection ended");
        };
        let notification = notification?;
        assert_eq!(notification.channel, CHANNEL);
        assert!(notification.payload.len() < 8000);
        let mut payload: Value = serde_json::from_str(&notification.payload)?;
        let Some(fields) = payload.as_object_mut() else {
            bail!("not an object: {payload}");
        };
        let src = fields.remove("src");
        assert!(
            matches!(fields.remove("oid"), Some(Value::Number(_))),
            "{payload}"
        );
        fields.remove("snapshot");
        fields.remove("tags");
        // The owner's nickname as committed, on every timer change.
        let name = fields.remove("name");
        let is_timer_change = matches!(
            fields.get("k").and_then(Value::as_str),
            Some("timer" | "timer_hidden")
        );
        assert_eq!(
            is_timer_change,
            matches!(name, Some(Value::String(_))),
            "{payload}"
        );
        assert!(matches!(src, Some(Value::String(_))), "{payload}");
        payloads.push(payload);
    }
    Ok(payloads)
}

#[tokio::test]
async fn a_committed_command_emits_exactly_one_notification_with_ids_and_facts()
-> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let stored = timer(alice, at(0));
    let id = stored.id();
    let mut listening = listener(&db).await?;

    timers.insert(&stored).await?;
    timers
        .apply_command(alice, id, TimerCommand::Pause, at(60))
        .await?;
    assert_eq!(
        received(&mut listening).await?,
        vec![
            json!({"k": "timer", "action": "start", "timer_id": id.get(), "owner": alice.get(),
                   "version": 1}),
            json!({"k": "timer", "action": "pause", "timer_id": id.get(), "owner": alice.get(),
                   "version": 2}),
        ]
    );

    timers.delete(alice, id).await?;
    assert_eq!(
        received(&mut listening).await?,
        vec![json!({"k": "timer_deleted", "timer_id": id.get(), "owner": alice.get()})]
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn a_refused_or_rolled_back_change_emits_nothing() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let timers = PgTimerRepository::new(db.pool());
    let running = timer(alice, at(0));
    timers.insert(&running).await?;
    let bobs_tag = tag(bob, "bob's");
    PgTagRepository::new(db.pool()).insert(&bobs_tag).await?;
    let mut listening = listener(&db).await?;

    // Refused by the state machine inside the transaction.
    let refused = timers
        .apply_command(alice, running.id(), TimerCommand::Resume, at(10))
        .await;
    assert!(matches!(refused, Err(TimerCommandError::Rejected(_))));
    // The timer row is written, then its foreign tag link fails: the whole transaction, and
    // anything it would have announced, rolls back.
    let foreign = timer_with(
        alice,
        at(0),
        TimerSpec {
            tag_ids: vec![bobs_tag.id],
            ..TimerSpec::default()
        },
    );
    assert!(matches!(
        timers.insert(&foreign).await,
        Err(InsertTimerError::UnknownLink(_))
    ));
    // Someone else's timer is not deleted, and nothing is said about it.
    assert!(timers.delete(bob, running.id()).await.is_err());
    assert_eq!(received(&mut listening).await?, Vec::<Value>::new());
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn deletes_that_bump_timers_and_stored_notifications_are_announced() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let tags = PgTagRepository::new(db.pool());
    let label = tag(alice, "deep");
    tags.insert(&label).await?;
    let timers = PgTimerRepository::new(db.pool());
    let tagged = timer_with(
        alice,
        at(0),
        TimerSpec {
            tag_ids: vec![label.id],
            ..TimerSpec::default()
        },
    );
    timers.insert(&tagged).await?;
    let mut listening = listener(&db).await?;

    tags.delete(alice, label.id, at(5)).await?;
    assert_eq!(
        received(&mut listening).await?,
        vec![
            json!({"k": "timer", "action": "update", "timer_id": tagged.id().get(),
                   "owner": alice.get(), "version": 2})
        ]
    );

    let stored = PgNotificationRepository::new(db.pool())
        .insert(NotificationDraft::test(alice), at(6))
        .await?;
    assert_eq!(
        received(&mut listening).await?,
        vec![
            json!({"k": "notification", "id": stored.id().get(), "receiver": alice.get(),
                    "unread": 1})
        ]
    );
    db.cleanup().await?;
    Ok(())
}

/// A keyed command announces itself once, like any other; its duplicates (answered with the
/// remembered outcome) and its failures change nothing, so they announce nothing.
#[tokio::test]
async fn a_keyed_command_is_announced_once_and_its_duplicates_never() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let stored = timer(alice, at(0));
    let id = stored.id();
    let key = |request_id: &str, kind| CommandKey {
        user: alice,
        request_id: request_id.to_owned(),
        kind,
        now: at(60),
    };
    let mut listening = listener(&db).await?;

    for _ in 0..2 {
        timers.insert_once(&stored, &key("c", "create")).await?;
        timers
            .apply_command_once(id, TimerCommand::Pause, &key("p", "pause"))
            .await?;
    }
    let refused = timers
        .apply_command_once(id, TimerCommand::Pause, &key("p2", "pause"))
        .await;
    assert!(matches!(refused, Err(TimerCommandError::Rejected(_))));
    assert_eq!(
        received(&mut listening).await?,
        vec![
            json!({"k": "timer", "action": "start", "timer_id": id.get(), "owner": alice.get(),
                   "version": 1}),
            json!({"k": "timer", "action": "pause", "timer_id": id.get(), "owner": alice.get(),
                   "version": 2}),
        ]
    );
    db.cleanup().await?;
    Ok(())
}

/// Commands racing on one timer write its events while holding its row lock, so the outbox ids,
/// which the relay publishes in order, follow the versions: what clients need to apply each
/// change once, in order. 200 trials, eight commands at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_timers_events_draw_outbox_ids_in_commit_order() -> anyhow::Result<()> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        payload: String,
    }
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let stored = timer(alice, at(0));
    timers.insert(&stored).await?;
    let id = stored.id();
    let mut applied = 0usize;
    for trial in 0..200_i64 {
        let mut commands = Vec::new();
        for n in 0..8_i64 {
            let timers = timers.clone();
            let command = if n % 2 == 0 {
                TimerCommand::Pause
            } else {
                TimerCommand::Resume
            };
            commands.push(tokio::spawn(async move {
                timers
                    .apply_command(alice, id, command, at(trial * 10 + 1))
                    .await
            }));
        }
        for command in commands {
            if command.await?.is_ok() {
                applied += 1;
            }
        }
    }
    assert!(
        applied >= 200,
        "every trial applies at least one: {applied}"
    );
    let mut conn = db.pool().get().await?;
    let rows: Vec<Row> = diesel::sql_query("SELECT payload FROM event_outbox ORDER BY id")
        .load(&mut conn)
        .await?;
    let versions: Vec<i64> = rows
        .iter()
        .map(|row| serde_json::from_str::<Value>(&row.payload))
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .filter_map(|payload| payload["version"].as_i64())
        .collect();
    assert_eq!(
        versions.len(),
        applied + 1,
        "the start and every applied command"
    );
    let expected: Vec<i64> = (1..=i64::try_from(applied + 1)?).collect();
    assert_eq!(versions, expected, "ids in version order");
    drop(conn);
    db.cleanup().await?;
    Ok(())
}
