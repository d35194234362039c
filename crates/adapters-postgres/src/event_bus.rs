//! Fan-out through PostgreSQL: what an event says (`Announcement`), the format the repositories
//! write to the outbox, the relay publishes and every instance's listener
//! ([`crate::listener`]) reads.
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
//! This module depends on the rows only: the outbox, the relay, the repositories and the
//! listener depend on it, never the other way round.

use hourglass_domain::ids::{NotificationId, TimerId, UserId};
use hourglass_domain::notification::Notification;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{Timer, TimerChange};
use hourglass_ports::bus::Subject;
use serde::{Deserialize, Serialize};

use crate::error::DbError;
use crate::rows::{NotificationRow, TagRow, TimerRow};

/// The one channel every instance listens on.
pub const CHANNEL: &str = "hourglass_events";

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
        /// The owner's nickname as of the commit, added by PostgreSQL as the outbox row is
        /// written (friends are shown it; receivers need not read it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
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
        /// The owner's nickname as of the commit (see [`Announcement::Timer`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
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

    /// The subjects it is published on ([`hourglass_ports::bus`]): the timer subject of a
    /// timer's owner, the notification subject of a receiver, both users' timer subjects for a
    /// follow (either one's friends list changed), and both subjects of a deleted user (their
    /// streams end; their friends, who watch their timer subject, hide their timers).
    pub(crate) fn subjects(&self) -> Vec<Subject> {
        let user = |id: i64| UserId::new(id);
        match self {
            Self::Timer { owner, .. }
            | Self::TimeUp { owner, .. }
            | Self::TimerHidden { owner, .. }
            | Self::TimerDeleted { owner, .. } => vec![Subject::timers(user(*owner))],
            Self::Notification { receiver, .. } | Self::Inbox { receiver, .. } => {
                vec![Subject::notifications(user(*receiver))]
            }
            Self::Follow {
                follower, followee, ..
            } => vec![
                Subject::timers(user(*follower)),
                Subject::timers(user(*followee)),
            ],
            Self::AccountDeleted { user: deleted, .. } => vec![
                Subject::timers(user(*deleted)),
                Subject::notifications(user(*deleted)),
            ],
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
            name: None,
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
            name: None,
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
/// - A timer change (`timer`, `timer_hidden`) gets `name`, the owner's nickname as committed,
///   which friends are shown: no receiving instance reads it.
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
                  '{src}', to_jsonb(current_setting('application_name'))) \
                  || CASE WHEN i.p ->> 'k' IN ('timer', 'timer_hidden') \
                     THEN jsonb_build_object('name', (SELECT u.nickname FROM users u \
                          WHERE u.id = (i.p ->> 'owner')::bigint)) \
                     ELSE '{}'::jsonb END AS full \
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

/// `database_url` with `application_name` set to `name` (letters, digits, `-` and `_` only), so
/// connections can be told apart in `pg_stat_activity` and in event payloads.
pub fn with_application_name(database_url: &str, name: &str) -> String {
    let separator = if database_url.contains('?') { '&' } else { '?' };
    format!("{database_url}{separator}application_name={name}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
            name: None,
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
                    name: None,
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
    #[test]
    fn the_payload_limit_is_the_one_the_sql_applies() {
        assert!(payload_as_sent!("p").contains(&format!("< {MAX_PAYLOAD_BYTES} ")));
    }
}
