//! Fan-out through PostgreSQL: what an event says (`Announcement`), and the `LISTEN`
//! connection of every server instance that receives them.
//!
//! # Emitting
//! The repositories that change something a device shows write their announcements to the
//! outbox (`outbox::enqueue`) inside the transaction that made the change, so an event
//! exists exactly when its change does. The relay ([`crate::relay`]) publishes them on
//! [`CHANNEL`] with `pg_notify`, in batches and outside the users' transactions, each user's in
//! commit order.
//!
//! # The payload
//! PostgreSQL refuses payloads of 8000 bytes or more. A payload (`Announcement`) carries the
//! ids and facts of the change, such as
//! `{"k":"timer","action":"pause","timer_id":…,"owner":7,"version":3}`, and the **committed
//! snapshot** receivers need (the timer and its tags, the notification) whenever it fits below
//! [`MAX_PAYLOAD_BYTES`], so that no receiving instance reads the database for it: reads per event
//! do not grow with the number of instances. A payload without its snapshot (a timer with a very
//! long history, say) makes each receiver load the object once, as before snapshots existed.
//! `src`, the `application_name` of the writing connection, is added by PostgreSQL as the outbox
//! row is written (the instance's own listener skips the timer events it delivered in-process).
//!
//! The format is defined here and nowhere else: `Announcement::encode` writes the facts,
//! `payload_as_sent!` is the SQL that adds `src` and a timer's tags and drops a snapshot too
//! large to send (used by the outbox's insert and by the one statement that updates a timer and
//! enqueues in one round trip), and `Announcement::decode` reads the result.
//! Instances of the previous release may listen during a rolling restart, so the format only
//! ever gains optional fields.
//!
//! The receiving instance builds a [`DomainEvent`] from the snapshot (or loads what is missing,
//! once per event) and hands it to its [`LocalDelivery`], which routes it to its WebSocket and
//! SSE connections exactly as an in-process publish would.
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
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::error::DbError;
use crate::listener_health::ListenerHealth;
use crate::pool::PgPool;
use crate::repository::{PgNotificationRepository, PgTagRepository, PgTimerRepository};
use crate::rows::{NotificationRow, TagRow, TimerRow};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The one channel every instance listens on.
pub const CHANNEL: &str = "hourglass_events";

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

/// At most this many notification ids go in one `Announcement::Inbox`: 300 ids of 19 digits
/// and their commas stay below PostgreSQL's 8000-byte payload limit.
pub const INBOX_IDS_PER_ANNOUNCEMENT: usize = 300;

/// At most this many friends go in one `Announcement::AccountDeleted` (2 KB of ids)…
pub const DELETED_ACCOUNT_FRIENDS_PER_ANNOUNCEMENT: usize = 100;
/// …and at most this many timers (a title of 100 characters escapes to at most 600 bytes), so
/// that a payload stays well below PostgreSQL's 8000-byte limit.
pub const DELETED_ACCOUNT_TIMERS_PER_ANNOUNCEMENT: usize = 6;

/// A timer friends could see, in an [`Announcement::AccountDeleted`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HiddenTimerWire {
    /// The timer.
    pub id: uuid::Uuid,
    /// Its title, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// What an [`Announcement::Inbox`] did to its notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum InboxKind {
    /// They were unread and are now read.
    Read,
    /// They were deleted.
    Deleted,
}

/// What one notification says: ids and facts, never rendered data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub(crate) enum Announcement {
    /// A timer was created or changed (`TimerChanged`).
    Timer {
        /// The [`TimerChange`] wire value.
        action: String,
        /// The timer.
        timer_id: uuid::Uuid,
        /// Its owner (the actor).
        owner: i64,
        /// Its `version` as committed.
        version: i64,
        /// The timer as committed; absent when the payload would not fit (receivers load it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshot: Option<TimerRow>,
        /// Its tags, added by PostgreSQL as the outbox row is written (see
        /// [`payload_as_sent`]); present with a snapshot of a tagged timer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tags: Option<Vec<TagRow>>,
    },
    /// A running timer's time is up (`TimeUp`).
    TimeUp {
        /// The timer.
        timer_id: uuid::Uuid,
        /// Its owner.
        owner: i64,
        /// When it was due, in Unix seconds.
        due_at: i64,
        /// Whether it went off late.
        late: bool,
        /// The timer as it was when its time was up (see [`Announcement::Timer`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshot: Option<TimerRow>,
        /// Its tags (see [`Announcement::Timer`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tags: Option<Vec<TagRow>>,
    },
    /// A PATCH made an active timer that friends could see private (`TimerHidden`); sent
    /// right after that change's `timer` announcement.
    TimerHidden {
        /// The timer.
        timer_id: uuid::Uuid,
        /// Its owner.
        owner: i64,
        /// The timer as committed (see [`Announcement::Timer`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshot: Option<TimerRow>,
        /// Its tags (see [`Announcement::Timer`]); not needed, added with every snapshot.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tags: Option<Vec<TagRow>>,
    },
    /// A timer was deleted (`TimerDeleted`).
    TimerDeleted {
        /// The deleted timer.
        timer_id: uuid::Uuid,
        /// Its owner.
        owner: i64,
    },
    /// A notification was stored (`NotificationCreated`).
    Notification {
        /// The notification.
        id: i64,
        /// Its receiver.
        receiver: i64,
        /// The receiver's unread count once it was stored; absent from the previous release.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unread: Option<u64>,
        /// The notification as stored; absent when the payload would not fit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshot: Option<NotificationRow>,
    },
    /// Some of a receiver's notifications were read or deleted (`InboxChanged`); a change naming
    /// many is split into announcements of at most [`INBOX_IDS_PER_ANNOUNCEMENT`] ids.
    Inbox {
        /// Whose notifications.
        receiver: i64,
        /// What happened to them.
        change: InboxKind,
        /// Which.
        ids: Vec<i64>,
        /// The receiver's unread count once this announcement's ids are applied.
        unread: u64,
    },
    /// A follow was made or removed (`FollowChanged`).
    Follow {
        /// Who follows (or stopped following).
        follower: i64,
        /// Whom.
        followee: i64,
        /// An unfollow that ended a friendship. Optional on the wire (absent = false), so the
        /// payload of every other follow change is what the previous release sent.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        ended_friendship: bool,
    },
    /// An account was deleted (`AccountDeleted`). A deletion naming many friends or timers is
    /// split into several announcements (every pair of a friends part and a timers part), each
    /// of which closes the user's connections again (a no-op after the first).
    AccountDeleted {
        /// The deleted user.
        user: i64,
        /// Some of their friends until the deletion.
        friends: Vec<i64>,
        /// Some of their timers those friends could see.
        timers: Vec<HiddenTimerWire>,
    },
}

impl Announcement {
    /// The user whose events must stay in order: the timer's owner, the notification's
    /// receiver, the follower.
    pub(crate) fn user(&self) -> i64 {
        match self {
            Self::Timer { owner, .. }
            | Self::TimeUp { owner, .. }
            | Self::TimerHidden { owner, .. }
            | Self::TimerDeleted { owner, .. } => *owner,
            Self::Notification { receiver, .. } | Self::Inbox { receiver, .. } => *receiver,
            Self::Follow { follower, .. } => *follower,
            Self::AccountDeleted { user, .. } => *user,
        }
    }

    /// `timer` changed by `change`.
    pub fn timer(change: TimerChange, timer: &Timer) -> Self {
        Self::Timer {
            action: change.as_str().to_owned(),
            timer_id: timer.id().get(),
            owner: timer.owner_id().get(),
            version: timer.version(),
            snapshot: snapshot_of(timer),
            tags: None,
        }
    }

    /// `timer`'s time was up at `due_at`.
    pub fn time_up(timer: &Timer, due_at: Timestamp, late: bool) -> Self {
        Self::TimeUp {
            timer_id: timer.id().get(),
            owner: timer.owner_id().get(),
            due_at: due_at.unix_seconds(),
            late,
            snapshot: snapshot_of(timer),
            tags: None,
        }
    }

    /// `timer` was made private while friends could see it.
    pub fn timer_hidden(timer: &Timer) -> Self {
        Self::TimerHidden {
            timer_id: timer.id().get(),
            owner: timer.owner_id().get(),
            snapshot: snapshot_of(timer),
            tags: None,
        }
    }

    /// The owner's timer `id` was deleted.
    pub fn timer_deleted(owner: UserId, id: TimerId) -> Self {
        Self::TimerDeleted {
            timer_id: id.get(),
            owner: owner.get(),
        }
    }

    /// `notification` was stored, leaving its receiver `unread` unread notifications.
    pub fn notification(notification: &Notification, unread: u64) -> Self {
        Self::Notification {
            id: notification.id().get(),
            receiver: notification.receiver().get(),
            unread: Some(unread),
            snapshot: Some(NotificationRow::from(notification)),
        }
    }

    /// `ids` of `receiver`'s notifications were read or deleted, leaving `unread` unread ones:
    /// one announcement per [`INBOX_IDS_PER_ANNOUNCEMENT`] ids, in order.
    ///
    /// Each announcement carries the count a stream has once it applied that one: for reads,
    /// the ids of the later announcements are still unread at that point, since reading only
    /// ever changes unread ones; a delete may remove read or unread ones, so every part of a
    /// delete carries the final count.
    pub fn inbox(
        receiver: UserId,
        change: InboxKind,
        ids: &[NotificationId],
        unread: u64,
    ) -> Vec<Self> {
        let chunks: Vec<&[NotificationId]> = ids.chunks(INBOX_IDS_PER_ANNOUNCEMENT).collect();
        let mut later = 0u64;
        let mut announcements: Vec<Self> = chunks
            .iter()
            .rev()
            .map(|chunk| {
                let announcement = Self::Inbox {
                    receiver: receiver.get(),
                    change,
                    ids: chunk.iter().map(|id| id.get()).collect(),
                    unread: match change {
                        InboxKind::Read => unread.saturating_add(later),
                        InboxKind::Deleted => unread,
                    },
                };
                later = later.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
                announcement
            })
            .collect();
        announcements.reverse();
        announcements
    }

    /// `follower` started or stopped following `followee`.
    pub fn follow(follower: UserId, followee: UserId) -> Self {
        Self::unfollow(follower, followee, false)
    }

    /// `follower` stopped following `followee`; `ended_friendship` when `followee` still
    /// follows `follower`.
    pub fn unfollow(follower: UserId, followee: UserId, ended_friendship: bool) -> Self {
        Self::Follow {
            follower: follower.get(),
            followee: followee.get(),
            ended_friendship,
        }
    }

    /// `user`'s account was deleted; `friends` could see `hidden`: as many announcements as
    /// the payload limit needs (see [`Announcement::AccountDeleted`]), at least one.
    pub fn account_deleted(user: UserId, friends: &[UserId], hidden: &[&Timer]) -> Vec<Self> {
        let friends: Vec<i64> = friends.iter().map(|friend| friend.get()).collect();
        let timers: Vec<HiddenTimerWire> = hidden
            .iter()
            .map(|timer| HiddenTimerWire {
                id: timer.id().get(),
                title: timer.title().map(|title| title.as_str().to_owned()),
            })
            .collect();
        let friend_parts: Vec<&[i64]> = if friends.is_empty() {
            vec![&[]]
        } else {
            friends
                .chunks(DELETED_ACCOUNT_FRIENDS_PER_ANNOUNCEMENT)
                .collect()
        };
        let timer_parts: Vec<&[HiddenTimerWire]> = if timers.is_empty() {
            vec![&[]]
        } else {
            timers
                .chunks(DELETED_ACCOUNT_TIMERS_PER_ANNOUNCEMENT)
                .collect()
        };
        friend_parts
            .iter()
            .flat_map(|friends| {
                timer_parts.iter().map(move |timers| Self::AccountDeleted {
                    user: user.get(),
                    friends: friends.to_vec(),
                    timers: timers.to_vec(),
                })
            })
            .collect()
    }

    /// The JSON payload, before [`payload_as_sent`] completes it.
    pub(crate) fn encode(&self) -> Result<String, DbError> {
        serde_json::to_string(self).map_err(|error| crate::error::corrupt("event payload", error))
    }

    /// A payload as received, `src` included.
    ///
    /// # Errors
    /// The payload is not an announcement this release knows.
    pub(crate) fn decode(payload: &str) -> Result<Received, serde_json::Error> {
        serde_json::from_str(payload)
    }
}

/// An announcement as it arrived.
#[derive(Debug, Deserialize)]
pub(crate) struct Received {
    #[serde(flatten)]
    pub(crate) announcement: Announcement,
    /// The `application_name` of the connection that sent it; absent when sent by hand.
    #[serde(default)]
    pub(crate) src: Option<String>,
    /// Its outbox id, added by the relay; absent when sent by a writer of the previous release.
    #[serde(default)]
    pub(crate) oid: Option<i64>,
}

/// SQL that turns the JSON text `$payload` (an [`Announcement::encode`]) into the payload as
/// published, computed as the outbox row is written:
///
/// - `src` is set to the writing connection's `application_name`. The server names its pool
///   after its instance, so its own listener can tell the timer events it already delivered
///   in-process. Done by PostgreSQL because only the connection knows its name.
/// - A timer snapshot with tag ids gets `tags`: the rows of its tags, read in the writing
///   transaction (which holds the timer's lock), so receivers need not load them.
/// - A payload of [`MAX_PAYLOAD_BYTES`] or more loses its `snapshot` and `tags`: PostgreSQL
///   refuses to notify 8000 bytes or more, and a receiver loads what a payload lacks.
///
/// A macro so that `concat!` keeps each statement a `&'static str` ([`CachedSql`]).
///
/// [`CachedSql`]: crate::statement::CachedSql
macro_rules! payload_as_sent {
    ($payload:literal) => {
        concat!(
            "(SELECT CASE WHEN octet_length(f.full::text) < 7600 THEN f.full::text \
                     ELSE (f.full - 'snapshot' - 'tags')::text END \
              FROM (SELECT jsonb_set( \
                  CASE WHEN jsonb_array_length(COALESCE(i.p -> 'snapshot' -> 'tag_ids', '[]')) > 0 \
                  THEN jsonb_set(i.p, '{tags}', COALESCE( \
                      (SELECT jsonb_agg(to_jsonb(tg)) FROM timer_tags tt \
                       JOIN tags tg ON tg.id = tt.tag_id \
                       WHERE tt.timer_id = (i.p -> 'snapshot' ->> 'id')::uuid), '[]'::jsonb)) \
                  ELSE i.p END, \
                  '{src}', to_jsonb(current_setting('application_name'))) AS full \
                FROM (SELECT (",
            $payload,
            ")::jsonb AS p) AS i) AS f)"
        )
    };
}
pub(crate) use payload_as_sent;

/// Payloads this long or longer are sent without their snapshot (PostgreSQL's limit is 8000
/// bytes; the margin leaves room for a channel name and future fields). The same number is
/// written in `payload_as_sent`.
pub const MAX_PAYLOAD_BYTES: usize = 7600;

/// `timer` as a snapshot, or none when it cannot be written (the receivers then load it).
fn snapshot_of(timer: &Timer) -> Option<TimerRow> {
    TimerRow::from_timer(timer).ok()
}

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

/// `database_url` with `application_name` set to `name` (letters, digits, `-` and `_` only), so
/// connections can be told apart in `pg_stat_activity` and in event payloads.
pub fn with_application_name(database_url: &str, name: &str) -> String {
    let separator = if database_url.contains('?') { '&' } else { '?' };
    format!("{database_url}{separator}application_name={name}")
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

    /// The format instances of the previous release send and read, byte for byte.
    #[test]
    fn the_wire_format_is_unchanged() -> Result<(), Box<dyn std::error::Error>> {
        let id = uuid::Uuid::nil();
        let sent = r#"{"k":"timer","action":"pause","timer_id":"00000000-0000-0000-0000-000000000000","owner":7,"version":3,"src":"hourglass-b"}"#;
        let decoded = Announcement::decode(sent)?;
        let expected = Announcement::Timer {
            action: "pause".to_owned(),
            timer_id: id,
            owner: 7,
            version: 3,
            snapshot: None,
            tags: None,
        };
        assert_eq!(decoded.announcement, expected);
        assert_eq!(decoded.src.as_deref(), Some("hourglass-b"));
        assert_eq!(
            expected.encode()?,
            r#"{"k":"timer","action":"pause","timer_id":"00000000-0000-0000-0000-000000000000","owner":7,"version":3}"#
        );
        for (payload, announcement) in [
            (
                r#"{"k":"notification","id":5,"receiver":7}"#,
                Announcement::Notification {
                    id: 5,
                    receiver: 7,
                    unread: None,
                    snapshot: None,
                },
            ),
            (
                r#"{"k":"notification","id":5,"receiver":7,"unread":2}"#,
                Announcement::Notification {
                    id: 5,
                    receiver: 7,
                    unread: Some(2),
                    snapshot: None,
                },
            ),
            (
                r#"{"k":"inbox","receiver":7,"change":"read","ids":[4,5],"unread":0}"#,
                Announcement::Inbox {
                    receiver: 7,
                    change: InboxKind::Read,
                    ids: vec![4, 5],
                    unread: 0,
                },
            ),
            (
                r#"{"k":"follow","follower":7,"followee":8}"#,
                Announcement::Follow {
                    follower: 7,
                    followee: 8,
                    ended_friendship: false,
                },
            ),
            (
                r#"{"k":"follow","follower":7,"followee":8,"ended_friendship":true}"#,
                Announcement::Follow {
                    follower: 7,
                    followee: 8,
                    ended_friendship: true,
                },
            ),
            (
                r#"{"k":"timer_hidden","timer_id":"00000000-0000-0000-0000-000000000000","owner":7}"#,
                Announcement::TimerHidden {
                    timer_id: id,
                    owner: 7,
                    snapshot: None,
                    tags: None,
                },
            ),
        ] {
            assert_eq!(announcement.encode()?, payload);
            let decoded = Announcement::decode(payload)?;
            assert_eq!(decoded.announcement, announcement);
            assert_eq!(decoded.src, None);
        }
        assert!(Announcement::decode(r#"{"k":"explode"}"#).is_err());
        Ok(())
    }

    #[test]
    fn a_large_inbox_change_is_split_below_the_payload_limit_with_a_count_per_part()
    -> Result<(), DbError> {
        let ids: Vec<NotificationId> = (0..701)
            .map(|n| NotificationId::new(i64::MAX - n))
            .collect();
        let parts = Announcement::inbox(UserId::new(7), InboxKind::Read, &ids, 2);
        let mut seen = Vec::new();
        let mut counts = Vec::new();
        for part in &parts {
            assert!(part.encode()?.len() < 7900, "room for `src`");
            let Announcement::Inbox { ids, unread, .. } = part else {
                panic!("an inbox announcement")
            };
            seen.extend(ids.iter().copied());
            counts.push(*unread);
        }
        assert_eq!(seen, ids.iter().map(|id| id.get()).collect::<Vec<_>>());
        // 701 read in one commit that leaves 2 unread: before the last 401 are applied, the
        // stream still counts them.
        assert_eq!(counts, vec![2 + 401, 2 + 101, 2]);
        let deleted = Announcement::inbox(UserId::new(7), InboxKind::Deleted, &ids[..1], 5);
        assert_eq!(
            deleted,
            vec![Announcement::Inbox {
                receiver: 7,
                change: InboxKind::Deleted,
                ids: vec![i64::MAX],
                unread: 5,
            }]
        );
        Ok(())
    }

    #[test]
    fn payloads_are_small_tagged_json() -> Result<(), DbError> {
        let announcement = Announcement::TimerDeleted {
            timer_id: uuid::Uuid::nil(),
            owner: 7,
        };
        let encoded = announcement.encode()?;
        assert_eq!(
            encoded,
            r#"{"k":"timer_deleted","timer_id":"00000000-0000-0000-0000-000000000000","owner":7}"#
        );
        assert!(encoded.len() < 200);
        let decoded = Announcement::decode(&encoded).map(|received| received.announcement);
        assert_eq!(decoded.ok(), Some(announcement));
        Ok(())
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

    /// A timer event arrives with the timer and its tags in the timer's order, loaded once; a
    /// failed tag look-up still delivers the committed change, without tags.
    #[tokio::test]
    async fn a_timer_event_carries_its_tags() -> Result<(), BoxError> {
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
        use hourglass_domain::profile::Nickname;
        use hourglass_domain::timer::TimerCommand;
        use hourglass_ports::user::{InitialProfile, UserRepository};

        use crate::repository::PgUserRepository;

        #[derive(diesel::QueryableByName)]
        struct Payload {
            #[diesel(sql_type = diesel::sql_types::Text)]
            payload: String,
        }

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
    fn the_payload_limit_is_the_one_the_sql_applies() {
        assert!(payload_as_sent!("p").contains(&format!("< {MAX_PAYLOAD_BYTES} ")));
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
