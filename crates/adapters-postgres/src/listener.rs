//! The `LISTEN` side of the fan-out: every server instance's one connection that hears what the
//! relays publish ([`crate::relay`]) and hands each event to its [`LocalDelivery`].
//!
//! The receiving instance builds a [`DomainEvent`] from the payload's snapshot (or loads what a
//! payload lacks, once per event; see [`crate::event_bus`] for the format) and routes it exactly
//! as an in-process publish would.
//!
//! # Listening
//! [`PgEventListener`] owns one connection opened outside the pool (a pooled connection would
//! be recycled and lose its `LISTEN`), tagged `application_name=hourglass-listener` so operators
//! can find it. When that connection fails — or stops answering the periodic probe — the
//! listener reconnects with exponential backoff and, once `LISTEN`ing again, asks the local
//! delivery to resynchronise every client ([`LocalDelivery::resync_local`]): whatever was
//! committed during the gap reaches the clients through that resync instead of being lost.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt as _;
use hourglass_domain::ids::{NotificationId, TimerId, UserId};
use hourglass_domain::notification::Notification;
use hourglass_domain::planning::Tag;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{Timer, TimerChange};
use hourglass_ports::event::{DomainEvent, HiddenTimer, InboxChange, LocalDelivery};
use hourglass_ports::notification::NotificationRepository;
use hourglass_ports::timer::{TaggedTimer, TimerRepository};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::event_bus::{Announcement, CHANNEL, InboxKind, Received, with_application_name};
use crate::listener_health::ListenerHealth;
use crate::pool::PgPool;
use crate::repository::{PgNotificationRepository, PgTagRepository, PgTimerRepository};
use crate::rows::{TagRow, TimerRow};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The `application_name` of the listening connection (`pg_stat_activity`).
pub const LISTENER_APPLICATION_NAME: &str = "hourglass-listener";

/// First wait before reconnecting; doubled per failed attempt up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often an idle listening connection is probed: a connection whose network path silently
/// vanished yields no error on its own, so it must be asked.
const PROBE_INTERVAL: Duration = Duration::from_secs(10);
/// How long the probe may take before the connection counts as dead.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// How many events are loaded and delivered at once. Loading costs a pool round trip or more per
/// event, so one event at a time cannot keep up with a busy primary; each user's events still go
/// through one lane, so a user's devices and streams see them in commit order.
const LANES: usize = 8;
/// Announcements one lane may hold before the listener waits for it (back-pressure, not growth).
const LANE_CAPACITY: usize = 1024;

/// The listener could not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    /// The first connection or its `LISTEN` failed.
    #[error("cannot listen for events on the database")]
    Connect(#[source] BoxError),
}

/// Turns announcements into domain events by loading what they name, once per event.
struct Loader {
    timers: PgTimerRepository,
    tags: PgTagRepository,
    notifications: PgNotificationRepository,
}

impl Loader {
    /// The event `announcement` names, or `None` when its object is gone (a later event — e.g.
    /// the deletion — covers that).
    async fn event_for(&self, announcement: Announcement) -> Option<DomainEvent> {
        match announcement {
            Announcement::Timer {
                action,
                timer_id,
                version,
                snapshot,
                tags,
                ..
            } => {
                let change = match TimerChange::from_str(&action) {
                    Ok(change) => change,
                    Err(error) => {
                        tracing::warn!(%error, "ignoring a timer event of an unknown change");
                        return None;
                    }
                };
                if let Some(timer) = from_snapshot(snapshot, tags) {
                    // The state this change committed, whatever came after: a later change
                    // arrives with its own event, and clients keep the highest version.
                    return Some(DomainEvent::TimerChanged {
                        actor: timer.timer.owner_id(),
                        change,
                        timer,
                    });
                }
                let timer = match self.timers.find(TimerId::new(timer_id)).await {
                    // The timer moved on since: every version bump is announced, in commit
                    // order, so the newer state arrives with its own change right after. Skipping
                    // keeps each message's change true to the state it carries.
                    Ok(Some(timer)) if timer.version() > version => return None,
                    Ok(Some(timer)) => timer,
                    Ok(None) => return None,
                    Err(error) => {
                        tracing::warn!(%error, "timer unavailable for fan-out");
                        return None;
                    }
                };
                Some(DomainEvent::TimerChanged {
                    actor: timer.owner_id(),
                    change,
                    timer: self.tagged(timer).await,
                })
            }
            Announcement::TimeUp {
                timer_id,
                due_at,
                late,
                snapshot,
                tags,
                ..
            } => {
                let due_at = Timestamp::from_unix_seconds(due_at)?;
                if let Some(timer) = from_snapshot(snapshot, tags) {
                    return Some(DomainEvent::TimeUp {
                        timer,
                        due_at,
                        late,
                    });
                }
                // Whatever the timer's state now: a later change arrives with its own event.
                let timer = match self.timers.find(TimerId::new(timer_id)).await {
                    Ok(Some(timer)) => timer,
                    Ok(None) => return None,
                    Err(error) => {
                        tracing::warn!(%error, "timer unavailable for fan-out");
                        return None;
                    }
                };
                Some(DomainEvent::TimeUp {
                    timer: self.tagged(timer).await,
                    due_at,
                    late,
                })
            }
            Announcement::TimerDeleted { timer_id, owner } => Some(DomainEvent::TimerDeleted {
                owner: UserId::new(owner),
                timer_id: TimerId::new(timer_id),
            }),
            Announcement::Follow {
                follower,
                followee,
                ended_friendship,
            } => Some(DomainEvent::FollowChanged {
                follower: UserId::new(follower),
                followee: UserId::new(followee),
                ended_friendship,
            }),
            Announcement::AccountDeleted {
                user,
                friends,
                timers,
            } => Some(DomainEvent::AccountDeleted {
                user: UserId::new(user),
                friends: friends.into_iter().map(UserId::new).collect(),
                hidden: timers
                    .into_iter()
                    .map(|timer| HiddenTimer {
                        timer_id: TimerId::new(timer.id),
                        title: timer.title,
                    })
                    .collect(),
            }),
            Announcement::TimerHidden {
                timer_id, snapshot, ..
            } => {
                if let Some(timer) = from_snapshot(snapshot, None) {
                    return Some(DomainEvent::TimerHidden { timer: timer.timer });
                }
                // Friends only need its id and title; a timer deleted since needs no hiding
                // (deletion makes it leave the lists anyway).
                match self.timers.find(TimerId::new(timer_id)).await {
                    Ok(Some(timer)) => Some(DomainEvent::TimerHidden { timer }),
                    Ok(None) => None,
                    Err(error) => {
                        tracing::warn!(%error, "timer unavailable for fan-out");
                        None
                    }
                }
            }
            Announcement::Inbox {
                receiver,
                change,
                ids,
                unread,
            } => {
                let ids = ids.into_iter().map(NotificationId::new).collect();
                Some(DomainEvent::InboxChanged {
                    receiver: UserId::new(receiver),
                    change: match change {
                        InboxKind::Read => InboxChange::Read(ids),
                        InboxKind::Deleted => InboxChange::Deleted(ids),
                    },
                    unread_count: unread,
                })
            }
            Announcement::Notification {
                id,
                receiver,
                unread,
                snapshot,
            } => {
                if let Some(row) = snapshot {
                    match Notification::try_from(row) {
                        Ok(notification) => {
                            return Some(DomainEvent::NotificationCreated {
                                notification,
                                unread_count: unread,
                            });
                        }
                        Err(error) => {
                            tracing::warn!(%error, "unreadable notification snapshot; loading it");
                        }
                    }
                }
                // The receiver's first notification from `id` on is this one, unless it was
                // deleted already: then there is nothing to push, and the delete's own
                // announcement, right behind, carries the count.
                let after = NotificationId::new(id.saturating_sub(1));
                match self
                    .notifications
                    .list_after(UserId::new(receiver), after, 1)
                    .await
                {
                    Ok(found) => {
                        found
                            .into_iter()
                            .find(|n| n.id().get() == id)
                            .map(|notification| DomainEvent::NotificationCreated {
                                notification,
                                unread_count: unread,
                            })
                    }
                    Err(error) => {
                        tracing::warn!(%error, "notification unavailable for fan-out");
                        None
                    }
                }
            }
        }
    }

    /// `timer` with its tags, loaded with one query for every receiver of the event.
    async fn tagged(&self, timer: Timer) -> TaggedTimer {
        TaggedTimer::load(timer, &self.tags).await
    }
}

/// The timer a payload's `snapshot` holds, with its `tags` (which a snapshot of a timer with tag
/// ids must carry), or `None` when the payload has none or it cannot be read: the receiver then
/// loads the timer.
fn from_snapshot(snapshot: Option<TimerRow>, tags: Option<Vec<TagRow>>) -> Option<TaggedTimer> {
    let timer = match Timer::try_from(snapshot?) {
        Ok(timer) => timer,
        Err(error) => {
            tracing::warn!(%error, "unreadable timer snapshot; loading the timer");
            return None;
        }
    };
    if timer.tag_ids().is_empty() {
        return Some(TaggedTimer::untagged(timer));
    }
    let tags = tags?
        .into_iter()
        .map(Tag::try_from)
        .collect::<Result<Vec<_>, _>>()
        .inspect_err(|error| tracing::warn!(%error, "unreadable tag in a snapshot; loading them"))
        .ok()?;
    Some(TaggedTimer::new(timer, tags))
}

/// Whether this instance already delivered `received` itself: a timer, follow or account-deletion
/// event sent by its own pool (see [`PgEventListener::start`]). Follow changes and deletions are
/// published in-process too (they forget friend lists and send `hidden` activity), so routing
/// them again here would send a second `hidden` to this instance's clients.
fn delivered_in_process(received: &Received, own: Option<&str>) -> bool {
    let Some(own) = own else {
        return false;
    };
    let is_timer_event = matches!(
        received.announcement,
        Announcement::Timer { .. }
            | Announcement::TimeUp { .. }
            | Announcement::TimerHidden { .. }
            | Announcement::TimerDeleted { .. }
            | Announcement::Follow { .. }
            | Announcement::AccountDeleted { .. }
    );
    is_timer_event && received.src.as_deref() == Some(own)
}

/// The workers that load and deliver events, [`LANES`] of them, each user's events in one.
struct Lanes {
    /// Each announcement with the instant the listener read it.
    senders: Vec<mpsc::Sender<(Announcement, Instant)>>,
}

impl Lanes {
    /// Starts the workers; they end once the `Lanes` is dropped and their queues are drained.
    fn start(loader: Arc<Loader>, local: Arc<dyn LocalDelivery>) -> Self {
        let senders = (0..LANES)
            .map(|_| {
                let (sender, mut receiver) =
                    mpsc::channel::<(Announcement, Instant)>(LANE_CAPACITY);
                let loader = Arc::clone(&loader);
                let local = Arc::clone(&local);
                tokio::spawn(async move {
                    while let Some((announcement, received)) = receiver.recv().await {
                        if let Some(event) = loader.event_for(announcement).await {
                            local.deliver_local(event, received).await;
                        }
                    }
                });
                sender
            })
            .collect();
        Self { senders }
    }

    /// Queues `announcement`, which arrived at `received`, on its user's lane, waiting while
    /// that lane is full.
    async fn dispatch(&self, announcement: Announcement, received: Instant) {
        let lane = usize::try_from(announcement.user().rem_euclid(LANES as i64)).unwrap_or(0);
        if let Some(sender) = self.senders.get(lane)
            && sender.send((announcement, received)).await.is_err()
        {
            tracing::warn!("an event lane stopped; event dropped");
        }
    }
}

/// This instance's listener: one dedicated connection, reconnected with backoff.
pub struct PgEventListener {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    health: ListenerHealth,
}

impl std::fmt::Debug for PgEventListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgEventListener").finish_non_exhaustive()
    }
}

/// Opens the dedicated connection and subscribes to [`CHANNEL`].
async fn connect(url: &str) -> Result<AsyncPgConnection, BoxError> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    diesel::sql_query(format!("LISTEN {CHANNEL}"))
        .execute(&mut conn)
        .await?;
    Ok(conn)
}

impl PgEventListener {
    /// Connects and `LISTEN`s before returning (so no event committed after start-up is missed),
    /// then routes every event to `local` until [`PgEventListener::stop`]. Loads go through
    /// `pool`.
    ///
    /// Timer events sent by connections whose `application_name` is `own_origin` (this
    /// instance's pool) are skipped: the instance delivered them in-process right after commit.
    /// Notifications are always routed from here, so each receiver's stream sees them in commit
    /// order.
    ///
    /// # Errors
    /// [`ListenerError::Connect`] when the first connection or `LISTEN` fails.
    pub async fn start(
        database_url: &str,
        pool: PgPool,
        local: Arc<dyn LocalDelivery>,
        own_origin: Option<String>,
    ) -> Result<Self, ListenerError> {
        let url = with_application_name(database_url, LISTENER_APPLICATION_NAME);
        let conn = connect(&url).await.map_err(ListenerError::Connect)?;
        let health = ListenerHealth::default();
        health.connected(false);
        let (stop, stopped) = watch::channel(false);
        let loader = Arc::new(Loader {
            timers: PgTimerRepository::new(pool.clone()),
            tags: PgTagRepository::new(pool.clone()),
            notifications: PgNotificationRepository::new(pool),
        });
        let task = tokio::spawn(run(
            url,
            conn,
            loader,
            local,
            own_origin,
            stopped,
            health.clone(),
        ));
        Ok(Self { stop, task, health })
    }

    /// The state of the listening connection, for `/metrics`.
    pub fn health(&self) -> ListenerHealth {
        self.health.clone()
    }

    /// Stops listening and waits for the task to end.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        if let Err(error) = self.task.await {
            tracing::warn!(%error, "the event listener task failed");
        }
    }
}

/// Why [`listen`] returned.
enum Ended {
    /// Asked to stop.
    Stopped,
    /// The connection failed; reconnect.
    Lost,
}

/// Listens, and after every loss reconnects with backoff and resynchronises the local clients.
async fn run(
    url: String,
    mut conn: AsyncPgConnection,
    loader: Arc<Loader>,
    local: Arc<dyn LocalDelivery>,
    own_origin: Option<String>,
    mut stopped: watch::Receiver<bool>,
    health: ListenerHealth,
) {
    let lanes = Lanes::start(loader, Arc::clone(&local));
    loop {
        if let Ended::Stopped = listen(&mut conn, &lanes, own_origin.as_deref(), &mut stopped).await
        {
            return;
        }
        health.lost();
        tracing::warn!("event listener connection lost; reconnecting");
        let mut backoff = MIN_BACKOFF;
        conn = loop {
            tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => return,
                () = tokio::time::sleep(backoff) => {}
            }
            match connect(&url).await {
                Ok(conn) => break conn,
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis(),
                        "event listener cannot reconnect");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        };
        health.connected(true);
        tracing::info!("event listener reconnected; resynchronising local clients");
        // Anything committed while nobody listened is only in the database now.
        local.resync_local().await;
    }
}

/// Routes notifications until the connection fails or the listener is stopped.
async fn listen(
    conn: &mut AsyncPgConnection,
    lanes: &Lanes,
    own_origin: Option<&str>,
    stopped: &mut watch::Receiver<bool>,
) -> Ended {
    let mut probe = tokio::time::interval(PROBE_INTERVAL);
    probe.reset();
    loop {
        // The stream borrows the connection, so it is rebuilt for each step (cheap: it only
        // wraps the receiver) and the probe can use the connection between steps.
        let next = {
            let notifications = conn.notifications_stream();
            let mut notifications = std::pin::pin!(notifications);
            tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => return Ended::Stopped,
                _ = probe.tick() => None,
                item = notifications.next() => Some(item),
            }
        };
        match next {
            None => {
                let answered = tokio::time::timeout(
                    PROBE_TIMEOUT,
                    diesel::sql_query("SELECT 1").execute(conn),
                )
                .await;
                if !matches!(answered, Ok(Ok(_))) {
                    return Ended::Lost;
                }
            }
            Some(Some(Ok(notification))) => {
                let received = Instant::now();
                match Announcement::decode(&notification.payload) {
                    Ok(decoded) => {
                        tracing::trace!(oid = ?decoded.oid, src = ?decoded.src, "event received");
                        if !delivered_in_process(&decoded, own_origin) {
                            lanes.dispatch(decoded.announcement, received).await;
                        }
                    }
                    Err(error) => tracing::warn!(%error, payload = %notification.payload,
                        "ignoring a malformed event payload"),
                }
            }
            Some(Some(Err(error))) => {
                tracing::warn!(%error, "event listener connection failed");
                return Ended::Lost;
            }
            Some(None) => return Ended::Lost,
        }
    }
}

#[cfg(test)]
mod tests {
    use hourglass_ports::planning::TagRepository;

    use super::*;
    use crate::event_bus::MAX_PAYLOAD_BYTES;

    /// `announcement` as a listener receives it from a connection named `src`.
    fn received(announcement: &Announcement, src: Option<&str>) -> Received {
        let Ok(encoded) = announcement.encode() else {
            panic!("encodable")
        };
        let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_str(&encoded) else {
            panic!("an object")
        };
        if let Some(src) = src {
            fields.insert("src".to_owned(), src.into());
        }
        let Ok(received) = Announcement::decode(&serde_json::Value::Object(fields).to_string())
        else {
            panic!("decodable")
        };
        assert_eq!(&received.announcement, announcement);
        received
    }
    #[test]
    fn own_timer_events_are_skipped_and_everything_else_is_routed() {
        let timer = Announcement::Timer {
            action: "pause".to_owned(),
            timer_id: uuid::Uuid::nil(),
            owner: 7,
            version: 2,
            snapshot: None,
            tags: None,
        };
        let deleted = Announcement::TimerDeleted {
            timer_id: uuid::Uuid::nil(),
            owner: 7,
        };
        let notification = Announcement::Notification {
            id: 1,
            receiver: 7,
            unread: Some(1),
            snapshot: None,
        };
        let follow = Announcement::follow(UserId::new(7), UserId::new(8));
        let me = Some("hourglass-a");
        assert!(
            delivered_in_process(&received(&follow, Some("hourglass-a")), me),
            "follow changes are published in-process: a second copy would repeat `hidden`"
        );

        assert!(delivered_in_process(
            &received(&timer, Some("hourglass-a")),
            me
        ));
        assert!(delivered_in_process(
            &received(&deleted, Some("hourglass-a")),
            me
        ));
        assert!(
            !delivered_in_process(&received(&timer, Some("hourglass-b")), me),
            "another instance"
        );
        assert!(
            !delivered_in_process(&received(&timer, None), me),
            "no origin"
        );
        assert!(
            !delivered_in_process(&received(&timer, Some("hourglass-a")), None),
            "no own origin"
        );
        assert!(
            !delivered_in_process(&received(&notification, Some("hourglass-a")), me),
            "notifications always come through the listener"
        );
    }
    fn test_timer() -> Timer {
        use hourglass_domain::timer::NewTimer;
        use hourglass_domain::validation::{AllocatedDuration, Visibility};
        let Ok(allocated_duration) = AllocatedDuration::new(1500) else {
            panic!("valid duration")
        };
        Timer::start(
            TimerId::new(uuid::Uuid::nil()),
            NewTimer {
                owner_id: UserId::new(7),
                allocated_duration,
                title: None,
                description: None,
                schedule_id: None,
                todo_id: None,
                tag_ids: Vec::new(),
                visibility: Visibility::Private,
            },
            hourglass_domain::time::Timestamp::EPOCH,
        )
    }
    /// What the emitting side writes, the loading side reads back as the same change.
    #[test]
    fn every_change_round_trips() {
        use hourglass_domain::timer::HistoryAction;
        for change in [
            TimerChange::START,
            TimerChange::Transition(HistoryAction::Pause),
            TimerChange::Transition(HistoryAction::Resume),
            TimerChange::Transition(HistoryAction::Stop),
            TimerChange::Transition(HistoryAction::Cancel),
            TimerChange::Details,
        ] {
            let Announcement::Timer { action, .. } = Announcement::timer(change, &test_timer())
            else {
                panic!("a timer announcement")
            };
            assert_eq!(TimerChange::from_str(&action).ok(), Some(change));
        }
        assert!(TimerChange::from_str("explode").is_err());
    }
    fn test_tag(owner: UserId, name: &str) -> hourglass_domain::planning::Tag {
        use hourglass_domain::validation::{TagColor, TagName};
        let (Ok(name), Ok(color)) = (TagName::new(name), TagColor::new("#A1B2C3")) else {
            panic!("valid tag")
        };
        hourglass_domain::planning::Tag {
            id: hourglass_domain::ids::TagId::new(uuid::Uuid::now_v7()),
            owner_id: owner,
            name,
            color,
            created_at: hourglass_domain::time::Timestamp::EPOCH,
            updated_at: hourglass_domain::time::Timestamp::EPOCH,
        }
    }
    /// A test database with a user, Alice, who has two tags.
    struct Fixture {
        db: hourglass_test_support::TestDatabase,
        pool: PgPool,
        alice: UserId,
        tags: PgTagRepository,
        first: hourglass_domain::planning::Tag,
        second: hourglass_domain::planning::Tag,
    }

    impl Fixture {
        async fn create() -> Result<Self, BoxError> {
            use hourglass_domain::profile::Nickname;
            use hourglass_ports::user::{InitialProfile, UserRepository};

            use crate::repository::PgUserRepository;

            let db = hourglass_test_support::TestDatabase::create().await?;
            let pool = crate::pool::build_pool(db.url(), 2, Duration::from_secs(30))?;
            let Ok(nickname) = Nickname::parse("alice") else {
                panic!("valid nickname")
            };
            let alice = PgUserRepository::new(pool.clone())
                .find_or_create(
                    &hourglass_ports::user::SignIn::new("test", "alice"),
                    InitialProfile {
                        nickname,
                        profile_image: None,
                    },
                    hourglass_domain::time::Timestamp::EPOCH,
                )
                .await?
                .id;
            let tags = PgTagRepository::new(pool.clone());
            let (first, second) = (test_tag(alice, "first"), test_tag(alice, "second"));
            tags.insert(&first).await?;
            tags.insert(&second).await?;
            Ok(Self {
                db,
                pool,
                alice,
                tags,
                first,
                second,
            })
        }
    }

    /// A timer event arrives with the timer and its tags in the timer's order, loaded once; a
    /// failed tag look-up still delivers the committed change, without tags.
    #[tokio::test]
    async fn a_timer_event_carries_its_tags() -> Result<(), BoxError> {
        let Fixture {
            db,
            pool,
            alice,
            tags,
            first,
            second,
        } = Fixture::create().await?;
        let timers = PgTimerRepository::new(pool.clone());
        let untagged = Timer::restore(hourglass_domain::timer::TimerSnapshot {
            owner_id: alice,
            ..test_timer().to_snapshot()
        })?;
        let tagged = Timer::restore(hourglass_domain::timer::TimerSnapshot {
            id: TimerId::new(uuid::Uuid::now_v7()),
            tag_ids: vec![second.id, first.id],
            ..untagged.to_snapshot()
        })?;
        timers.insert(&untagged).await?;
        timers.insert(&tagged).await?;
        let loader = Loader {
            timers,
            tags,
            notifications: PgNotificationRepository::new(pool.clone()),
        };
        let event = |timer: &Timer| Announcement::timer(TimerChange::START, timer);
        let changed = |timer: TaggedTimer| DomainEvent::TimerChanged {
            actor: alice,
            change: TimerChange::START,
            timer,
        };

        assert_eq!(
            loader.event_for(event(&tagged)).await,
            Some(changed(TaggedTimer {
                timer: tagged.clone(),
                tags: vec![second.clone(), first.clone()],
            }))
        );
        assert_eq!(
            loader.event_for(event(&untagged)).await,
            Some(changed(TaggedTimer::untagged(untagged.clone())))
        );

        // The tags cannot be read any more; the timer can.
        let mut conn = pool.get().await?;
        diesel::sql_query("ALTER TABLE tags RENAME TO tags_unreadable")
            .execute(&mut conn)
            .await?;
        drop(conn);
        assert_eq!(
            loader.event_for(event(&tagged)).await,
            Some(changed(TaggedTimer::untagged(tagged.clone())))
        );
        drop(loader);
        drop(pool);
        db.cleanup().await?;
        Ok(())
    }
    /// What the repositories write is what receivers need: a tagged timer's event carries the
    /// timer and its tags as committed, so it is delivered while the tables cannot be read; a
    /// timer whose snapshot would not fit goes without it and is loaded.
    #[tokio::test]
    async fn a_written_timer_event_carries_its_snapshot_unless_too_large() -> Result<(), BoxError> {
        use hourglass_domain::timer::TimerCommand;

        #[derive(diesel::QueryableByName)]
        struct Payload {
            #[diesel(sql_type = diesel::sql_types::Text)]
            payload: String,
        }

        let Fixture {
            db,
            pool,
            alice,
            tags,
            first,
            second,
        } = Fixture::create().await?;
        let timers = PgTimerRepository::new(pool.clone());
        let tagged = Timer::restore(hourglass_domain::timer::TimerSnapshot {
            owner_id: alice,
            tag_ids: vec![second.id, first.id],
            ..test_timer().to_snapshot()
        })?;
        let mut long = Timer::restore(hourglass_domain::timer::TimerSnapshot {
            id: TimerId::new(uuid::Uuid::now_v7()),
            owner_id: alice,
            ..test_timer().to_snapshot()
        })?;
        for n in 1..=60 {
            let at = |s| Timestamp::from_unix_seconds(s).unwrap_or(Timestamp::EPOCH);
            long.apply(TimerCommand::Pause, at(n * 10))?;
            long.apply(TimerCommand::Resume, at(n * 10 + 5))?;
        }
        timers.insert(&tagged).await?;
        timers.insert(&long).await?;

        let mut conn = pool.get().await?;
        let payloads: Vec<Payload> =
            diesel::sql_query("SELECT payload FROM event_outbox ORDER BY id")
                .load(&mut conn)
                .await?;
        let [tagged_payload, long_payload] = payloads.as_slice() else {
            panic!("two events: {}", payloads.len())
        };
        assert!(long_payload.payload.len() < MAX_PAYLOAD_BYTES);
        let tagged_event = Announcement::decode(&tagged_payload.payload)?.announcement;
        let long_event = Announcement::decode(&long_payload.payload)?.announcement;
        assert!(
            matches!(
                &long_event,
                Announcement::Timer {
                    snapshot: None,
                    tags: None,
                    ..
                }
            ),
            "{long_event:?}"
        );

        diesel::sql_query("ALTER TABLE timers RENAME TO timers_unreadable")
            .execute(&mut conn)
            .await?;
        diesel::sql_query("ALTER TABLE tags RENAME TO tags_unreadable")
            .execute(&mut conn)
            .await?;
        let loader = Loader {
            timers: timers.clone(),
            tags: tags.clone(),
            notifications: PgNotificationRepository::new(pool.clone()),
        };
        assert_eq!(
            loader.event_for(tagged_event).await,
            Some(DomainEvent::TimerChanged {
                actor: alice,
                change: TimerChange::START,
                timer: TaggedTimer {
                    timer: tagged.clone(),
                    tags: vec![second.clone(), first.clone()],
                },
            }),
            "built from the payload alone"
        );
        assert_eq!(
            loader.event_for(long_event.clone()).await,
            None,
            "needs the table"
        );
        diesel::sql_query("ALTER TABLE timers_unreadable RENAME TO timers")
            .execute(&mut conn)
            .await?;
        assert_eq!(
            loader.event_for(long_event).await,
            Some(DomainEvent::TimerChanged {
                actor: alice,
                change: TimerChange::START,
                timer: TaggedTimer::untagged(long.clone()),
            }),
            "loaded"
        );
        drop((conn, loader));
        drop(pool);
        db.cleanup().await?;
        Ok(())
    }
    #[test]
    fn the_listener_names_itself() {
        assert_eq!(
            with_application_name("postgres://u@h/db", LISTENER_APPLICATION_NAME),
            "postgres://u@h/db?application_name=hourglass-listener"
        );
        assert_eq!(
            with_application_name(
                "postgres://u@h/db?sslmode=disable",
                LISTENER_APPLICATION_NAME
            ),
            "postgres://u@h/db?sslmode=disable&application_name=hourglass-listener"
        );
    }
}
