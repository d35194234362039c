//! Where every event bus hands what it received: decoded, filtered, built into a domain event
//! and routed to this instance's connections, each user's events in order.
//!
//! Both engines end here: the PostgreSQL listener ([`crate::listener`]) with each payload it
//! hears, NATS (`adapters-nats`) through the [`BusInbox`] port. [`PgEventInbox`] then
//!
//! - drops a payload it has handled already (by its outbox id: a relay that died between
//!   publishing and deleting publishes again, and a follow reaches an instance watching both
//!   users twice);
//! - drops the timer events this instance delivered in-process (by `src`, see
//!   [`PgEventInbox::start`]);
//! - drops what no local connection cares about ([`Interest`]), before anything is loaded for
//!   it, so database reads per event do not grow with the number of instances;
//! - builds the [`DomainEvent`] from the payload's snapshot, or loads what the payload lacks
//!   (once per event, see [`crate::event_bus`]), in one of `LANES` lanes chosen by user, and
//!   hands it to the [`LocalDelivery`].

use std::collections::{HashSet, VecDeque};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use async_trait::async_trait;
use hourglass_domain::ids::{NotificationId, TimerId, UserId};
use hourglass_domain::notification::Notification;
use hourglass_domain::planning::Tag;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{Timer, TimerChange};
use hourglass_ports::bus::{BusInbox, Interest};
use hourglass_ports::event::{DomainEvent, HiddenTimer, InboxChange, LocalDelivery};
use hourglass_ports::notification::NotificationRepository;
use hourglass_ports::timer::{TaggedTimer, TimerRepository};
use tokio::sync::mpsc;

use crate::event_bus::{Announcement, InboxKind, Received};
use crate::pool::PgPool;
use crate::repository::{PgNotificationRepository, PgTagRepository, PgTimerRepository};
use crate::rows::{TagRow, TimerRow};

/// How many events are loaded and delivered at once. Loading costs a pool round trip or more per
/// event, so one event at a time cannot keep up with a busy primary; each user's events still go
/// through one lane, so a user's devices and streams see them in commit order.
const LANES: usize = 8;
/// Announcements one lane may hold before the bus waits for it (back-pressure, not growth).
const LANE_CAPACITY: usize = 1024;
/// Outbox ids remembered to drop repeats: far more than can be in flight at once.
const REMEMBERED_IDS: usize = 65_536;

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
                name,
                ..
            } => {
                let actor_name = name.map(Arc::from);
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
                        actor_name,
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
                    actor_name,
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
                timer_id,
                snapshot,
                name,
                ..
            } => {
                let actor_name = name.map(Arc::from);
                if let Some(timer) = from_snapshot(snapshot, None) {
                    return Some(DomainEvent::TimerHidden {
                        timer: timer.timer,
                        actor_name,
                    });
                }
                // Friends only need its id and title; a timer deleted since needs no hiding
                // (deletion makes it leave the lists anyway).
                match self.timers.find(TimerId::new(timer_id)).await {
                    Ok(Some(timer)) => Some(DomainEvent::TimerHidden { timer, actor_name }),
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
/// event sent by its own pool (see [`PgEventInbox::start`]). Follow changes and deletions are
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

/// The outbox ids handled lately, oldest first (bounded).
#[derive(Default)]
struct RecentIds {
    order: VecDeque<i64>,
    known: HashSet<i64>,
}

impl RecentIds {
    /// Whether `id` is new; remembers it.
    fn first_time(&mut self, id: i64) -> bool {
        if !self.known.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > REMEMBERED_IDS
            && let Some(oldest) = self.order.pop_front()
        {
            self.known.remove(&oldest);
        }
        true
    }
}

/// What this instance's inbox did with what the bus handed it, counted since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxCounts {
    /// Payloads handed over.
    pub received: u64,
    /// Dropped: no local connection cared.
    pub not_of_interest: u64,
    /// Dropped: handled already.
    pub repeated: u64,
    /// Dropped: delivered in-process already.
    pub own: u64,
    /// Routed to the local connections.
    pub routed: u64,
}

/// This instance's receiving end of the event bus (see the module documentation).
pub struct PgEventInbox {
    lanes: Lanes,
    own_origin: Option<String>,
    interest: Option<Arc<dyn Interest>>,
    recent: Mutex<RecentIds>,
    counts: Mutex<InboxCounts>,
    local: Arc<dyn LocalDelivery>,
}

impl std::fmt::Debug for PgEventInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgEventInbox").finish_non_exhaustive()
    }
}

impl PgEventInbox {
    /// Starts the lanes on the current runtime; loads go through `pool`, events to `local`.
    ///
    /// Timer events written by connections whose `application_name` is `own_origin` (this
    /// instance's pool) are dropped: the instance delivered them in-process right after commit.
    /// Notifications are always routed from here, so each receiver's stream sees them in commit
    /// order. With `interest`, only events some local connection cares about are routed;
    /// without it, every event is.
    pub fn start(
        pool: PgPool,
        local: Arc<dyn LocalDelivery>,
        own_origin: Option<String>,
        interest: Option<Arc<dyn Interest>>,
    ) -> Arc<Self> {
        let loader = Arc::new(Loader {
            timers: PgTimerRepository::new(pool.clone()),
            tags: PgTagRepository::new(pool.clone()),
            notifications: PgNotificationRepository::new(pool),
        });
        Arc::new(Self {
            lanes: Lanes::start(loader, Arc::clone(&local)),
            own_origin,
            interest,
            recent: Mutex::new(RecentIds::default()),
            counts: Mutex::new(InboxCounts::default()),
            local,
        })
    }

    /// What the inbox did so far.
    pub fn counts(&self) -> InboxCounts {
        *self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decodes `payload`, which arrived at `received` (with outbox id `id` when the bus knows
    /// it), and routes it unless it is dropped (see the module documentation).
    pub(crate) async fn accept(&self, payload: &str, id: Option<i64>, received: Instant) {
        let decoded = match Announcement::decode(payload) {
            Ok(decoded) => decoded,
            Err(error) => {
                tracing::warn!(%error, %payload, "ignoring a malformed event payload");
                return;
            }
        };
        tracing::trace!(oid = ?decoded.oid, src = ?decoded.src, "event received");
        let verdict = self.verdict(&decoded, id.or(decoded.oid));
        self.count(|counts| {
            counts.received += 1;
            match verdict {
                Verdict::Route => counts.routed += 1,
                Verdict::Repeated => counts.repeated += 1,
                Verdict::Own => counts.own += 1,
                Verdict::NotOfInterest => counts.not_of_interest += 1,
            }
        });
        if verdict == Verdict::Route {
            self.lanes.dispatch(decoded.announcement, received).await;
        }
    }

    fn verdict(&self, decoded: &Received, id: Option<i64>) -> Verdict {
        if delivered_in_process(decoded, self.own_origin.as_deref()) {
            return Verdict::Own;
        }
        if let Some(interest) = &self.interest
            && !decoded
                .announcement
                .subjects()
                .into_iter()
                .any(|subject| interest.cares_about(subject))
        {
            return Verdict::NotOfInterest;
        }
        if let Some(id) = id
            && !self
                .recent
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .first_time(id)
        {
            return Verdict::Repeated;
        }
        Verdict::Route
    }

    fn count(&self, update: impl FnOnce(&mut InboxCounts)) {
        update(&mut self.counts.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Events may have been missed: every local client is brought up to date.
    pub(crate) async fn resync(&self) {
        self.local.resync_local().await;
    }
}

/// What [`PgEventInbox::accept`] does with a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Route,
    Repeated,
    Own,
    NotOfInterest,
}

#[async_trait]
impl BusInbox for PgEventInbox {
    async fn received(&self, id: i64, payload: &str, received: Instant) {
        self.accept(payload, Some(id), received).await;
    }

    async fn missed(&self) {
        tracing::warn!("events may have been lost on the bus; resynchronising local clients");
        self.resync().await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use diesel_async::RunQueryDsl;
    use hourglass_ports::planning::TagRepository;

    use super::*;
    use crate::event_bus::MAX_PAYLOAD_BYTES;

    type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
    /// Interest in a fixed set of subjects.
    struct Fixed(Vec<hourglass_ports::bus::Subject>);

    impl Interest for Fixed {
        fn cares_about(&self, subject: hourglass_ports::bus::Subject) -> bool {
            self.0.contains(&subject)
        }
        fn subjects(&self) -> Vec<hourglass_ports::bus::Subject> {
            self.0.clone()
        }
        fn watch(&self, _watcher: Arc<dyn hourglass_ports::bus::InterestWatcher>) {}
        fn subscribed(&self, _subject: hourglass_ports::bus::Subject) {}
    }

    /// Hands every routed event to a channel.
    struct Recording(mpsc::UnboundedSender<DomainEvent>);

    #[async_trait]
    impl LocalDelivery for Recording {
        async fn deliver_local(&self, event: DomainEvent, _received: Instant) {
            let _closed = self.0.send(event);
        }
        async fn resync_local(&self) {}
    }

    /// `announcement` as the relay publishes it: from `src`, with outbox id `oid`.
    fn payload(announcement: &Announcement, src: &str, oid: i64) -> String {
        let Ok(serde_json::Value::Object(mut fields)) =
            serde_json::from_str(&announcement.encode().unwrap_or_default())
        else {
            panic!("an object")
        };
        fields.insert("src".to_owned(), src.into());
        fields.insert("oid".to_owned(), oid.into());
        serde_json::Value::Object(fields).to_string()
    }

    /// Only what a local connection cares about is routed, each outbox id once, and never the
    /// timer events this instance delivered itself; nothing is loaded for the others.
    #[tokio::test]
    async fn the_inbox_routes_each_event_of_interest_once() -> Result<(), BoxError> {
        use hourglass_ports::bus::Subject;

        // Nothing below loads: the pool is never used, so any URL will do.
        let pool = crate::pool::build_pool(
            "postgres://nobody@127.0.0.1:1/none",
            1,
            Duration::from_secs(1),
        )?;
        let (delivered, mut routed) = mpsc::unbounded_channel();
        let (alice, bob, carol) = (UserId::new(1), UserId::new(2), UserId::new(3));
        let inbox = PgEventInbox::start(
            pool,
            Arc::new(Recording(delivered)),
            Some("hourglass-me".to_owned()),
            Some(Arc::new(Fixed(vec![
                Subject::timers(alice),
                Subject::notifications(bob),
            ]))),
        );
        let deleted = |owner: UserId, n: u128| {
            Announcement::timer_deleted(owner, TimerId::new(uuid::Uuid::from_u128(n)))
        };
        let at = Instant::now();
        let follow = Announcement::follow(carol, alice);
        let handed = [
            (deleted(alice, 1), "hourglass-other", 10),
            // The same outbox id again (republished after a relay died).
            (deleted(alice, 1), "hourglass-other", 10),
            // Nobody here cares about Carol.
            (deleted(carol, 2), "hourglass-other", 11),
            // This instance's own timer event.
            (deleted(alice, 3), "hourglass-me", 12),
            // A follow of Carol's with Alice: Alice's watcher cares.
            (follow, "hourglass-other", 13),
        ];
        for (announcement, src, oid) in &handed {
            inbox
                .accept(&payload(announcement, src, *oid), None, at)
                .await;
        }
        // The repeat once more, through the port.
        BusInbox::received(
            &*inbox,
            10,
            &payload(&deleted(alice, 1), "hourglass-other", 10),
            at,
        )
        .await;
        inbox.accept("{not json", None, at).await;

        let mut events = Vec::new();
        while events.len() < 2 {
            let next = tokio::time::timeout(Duration::from_secs(30), routed.recv())
                .await?
                .ok_or("the lanes stopped")?;
            events.push(next);
        }
        // Alice's and Carol's events go through different lanes: their order is not fixed.
        assert!(
            events
                .iter()
                .any(|e| matches!(e, DomainEvent::TimerDeleted { owner, .. } if *owner == alice)),
            "{events:?}"
        );
        assert!(
            events.iter().any(
                |e| matches!(e, DomainEvent::FollowChanged { follower, .. } if *follower == carol)
            ),
            "{events:?}"
        );
        assert_eq!(
            inbox.counts(),
            InboxCounts {
                received: 6,
                not_of_interest: 1,
                repeated: 2,
                own: 1,
                routed: 2,
            }
        );
        Ok(())
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
            name: None,
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
            actor_name: None,
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
                actor_name: Some(Arc::from("alice")),
            }),
            "built from the payload alone, the owner's nickname included"
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
                actor_name: Some(Arc::from("alice")),
            }),
            "loaded, with the nickname the payload kept"
        );
        drop((conn, loader));
        drop(pool);
        db.cleanup().await?;
        Ok(())
    }
}
