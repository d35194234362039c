//! Notification kinds, their exact messages and routing fields
//! (`notifications-sse.md`, "Notification object").
//!
//! A [`NotificationDraft`] is what a use case asks to store; it can only be built by the
//! constructors below, each of which encodes one row of the contract: the kind, the Korean message
//! (byte for byte as in the original spec), `relatedId`, `relatedType` and `redirectUrl`. Storage
//! gives it an id and a creation time, making a [`Notification`].
//!
//! | constructor | `type` | message | `relatedId` | `relatedType` | `redirectUrl` |
//! |---|---|---|---|---|---|
//! | [`NotificationDraft::follow`] | `FOLLOW` | `{nick}님이 회원님을 팔로우하기 시작했습니다.` | null | `FOLLOW` | `/profile/{actorId}` |
//! | [`NotificationDraft::meetup_created`] | `CREATE` | `{nick}님이 모임을 생성하셨습니다.` | meetup id | `POST` | `/post/{meetupId}` |
//! | [`NotificationDraft::meetup_entered`] | `ENTER` | `{nick}님이 모임에 참여하셨습니다.` | meetup id | `POST` | `/post/{meetupId}` |
//! | [`NotificationDraft::meetup_exited`] | `EXIT` | `{nick}님이 모임에서 퇴장하셨습니다.` | meetup id | `POST` | `/post/{meetupId}` |
//! | [`NotificationDraft::meetup_cancelled`] | `CANCLE` | `{nick}님이 모임을 취소하셨습니다.` | meetup id | `POST` | `/post/{meetupId}` |
//! | [`NotificationDraft::test`] | `TEST` | `테스트 알림 응답` | null | `TEST` | `/docs` |
//! | [`NotificationDraft::time_up`] | `TIME_UP` | `'{title}' 타이머의 시간이 다 되었습니다.` (untitled: `타이머의 시간이 다 되었습니다.`) | timer id | `TIMER` | `/timers/{timerId}` |
//! | [`NotificationDraft::timer_forgotten`] | `TIMER_FORGOTTEN` | `'{title}' 타이머가 {duration} 동안 실행 중입니다. 멈추는 것을 잊으셨나요?` (untitled: `타이머가 …`) | timer id | `TIMER` | `/timers/{timerId}` |
//!
//! `relatedId` is a number for a meetup and a UUID string for a timer ([`RelatedId`]). The timer
//! kinds are sent by the system to the timer's owner, who is recorded as the actor too (as for
//! `TEST`), so the rendered actor fields are never empty for them.
//!
//! Only the nickname is baked into the message (at creation time, as the original does); the
//! actor's current nickname and profile image are joined in when the notification is rendered.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{MeetupId, NotificationId, TimerId, UserId};
use crate::profile::{DELETED_USER_NICKNAME, Nickname};
use crate::time::Timestamp;
use crate::validation::Title;

/// What follows the nickname in a `FOLLOW` message.
pub const FOLLOW_MESSAGE_SUFFIX: &str = "님이 회원님을 팔로우하기 시작했습니다.";
/// What follows the nickname in a `CREATE` message.
pub const CREATE_MESSAGE_SUFFIX: &str = "님이 모임을 생성하셨습니다.";
/// What follows the nickname in an `ENTER` message.
pub const ENTER_MESSAGE_SUFFIX: &str = "님이 모임에 참여하셨습니다.";
/// What follows the nickname in an `EXIT` message.
pub const EXIT_MESSAGE_SUFFIX: &str = "님이 모임에서 퇴장하셨습니다.";
/// What follows the nickname in a `CANCLE` message.
pub const CANCLE_MESSAGE_SUFFIX: &str = "님이 모임을 취소하셨습니다.";
/// The whole `TEST` message.
pub const TEST_MESSAGE: &str = "테스트 알림 응답";
/// Where a `TEST` notification points: the server's API reference page.
pub const TEST_REDIRECT_URL: &str = "/docs";
/// A `TIME_UP` message after the quoted title and a space (the whole message when untitled).
pub const TIME_UP_MESSAGE: &str = "타이머의 시간이 다 되었습니다.";
/// What comes between the quoted title and a space (nothing when untitled) and the running time
/// in a `TIMER_FORGOTTEN` message.
pub const TIMER_FORGOTTEN_MESSAGE_PREFIX: &str = "타이머가 ";
/// What follows the running time in a `TIMER_FORGOTTEN` message.
pub const TIMER_FORGOTTEN_MESSAGE_SUFFIX: &str = " 동안 실행 중입니다. 멈추는 것을 잊으셨나요?";

/// The `type` of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NotificationKind {
    /// Someone followed the receiver.
    #[serde(rename = "FOLLOW")]
    Follow,
    /// Someone joined the receiver's meetup.
    #[serde(rename = "ENTER")]
    Enter,
    /// Someone left the receiver's meetup.
    #[serde(rename = "EXIT")]
    Exit,
    /// Someone the receiver follows created a meetup.
    #[serde(rename = "CREATE")]
    Create,
    /// A meetup the receiver joined was cancelled. The variant keeps the wire spelling, `CANCLE`,
    /// which front ends switch on.
    #[serde(rename = "CANCLE")]
    Cancle,
    /// A test notification the receiver sent themselves (`GET /api/v1/notifications/test`).
    #[serde(rename = "TEST")]
    Test,
    /// One of the receiver's timers reached its allocated duration.
    #[serde(rename = "TIME_UP")]
    TimeUp,
    /// One of the receiver's timers has been left running long past its allocated duration.
    #[serde(rename = "TIMER_FORGOTTEN")]
    TimerForgotten,
}

impl NotificationKind {
    /// Every kind, in the contract's order.
    pub const ALL: [NotificationKind; 8] = [
        Self::Follow,
        Self::Enter,
        Self::Exit,
        Self::Create,
        Self::Cancle,
        Self::Test,
        Self::TimeUp,
        Self::TimerForgotten,
    ];

    /// The exact wire value: `FOLLOW`, `ENTER`, `EXIT`, `CREATE`, `CANCLE` (sic), `TEST`,
    /// `TIME_UP` or `TIMER_FORGOTTEN`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Follow => "FOLLOW",
            Self::Enter => "ENTER",
            Self::Exit => "EXIT",
            Self::Create => "CREATE",
            Self::Cancle => "CANCLE",
            Self::Test => "TEST",
            Self::TimeUp => "TIME_UP",
            Self::TimerForgotten => "TIMER_FORGOTTEN",
        }
    }

    /// What follows the actor's nickname in this kind's message, for the kinds whose message
    /// starts with it; `None` for the others (`TEST` and the timer kinds name no actor).
    pub const fn actor_message_suffix(self) -> Option<&'static str> {
        match self {
            Self::Follow => Some(FOLLOW_MESSAGE_SUFFIX),
            Self::Create => Some(CREATE_MESSAGE_SUFFIX),
            Self::Enter => Some(ENTER_MESSAGE_SUFFIX),
            Self::Exit => Some(EXIT_MESSAGE_SUFFIX),
            Self::Cancle => Some(CANCLE_MESSAGE_SUFFIX),
            Self::Test | Self::TimeUp | Self::TimerForgotten => None,
        }
    }

    /// This kind's message once its actor's account is deleted: [`DELETED_USER_NICKNAME`] in
    /// place of the nickname; `None` for the kinds whose message names no actor.
    pub fn message_of_deleted_actor(self) -> Option<String> {
        self.actor_message_suffix()
            .map(|suffix| format!("{DELETED_USER_NICKNAME}{suffix}"))
    }

    /// The `relatedType` that goes with this kind: `FOLLOW`, `TEST`, `POST` for the meetup ones,
    /// `TIMER` for the timer ones.
    pub const fn related_type(self) -> RelatedType {
        match self {
            Self::Follow => RelatedType::Follow,
            Self::Test => RelatedType::Test,
            Self::Enter | Self::Exit | Self::Create | Self::Cancle => RelatedType::Post,
            Self::TimeUp | Self::TimerForgotten => RelatedType::Timer,
        }
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a notification `type` wire value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown notification type {0:?}")]
pub struct UnknownNotificationKind(pub String);

impl FromStr for NotificationKind {
    type Err = UnknownNotificationKind;

    /// Parses the exact wire value (case-sensitive; `CANCEL` is not `CANCLE`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownNotificationKind(s.to_owned()))
    }
}

/// The `relatedType` of a notification: what `relatedId` and `redirectUrl` point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RelatedType {
    /// A user's profile (`relatedId` is null; the actor is the user).
    #[serde(rename = "FOLLOW")]
    Follow,
    /// A meetup post (`relatedId` is the meetup id).
    #[serde(rename = "POST")]
    Post,
    /// A test notification.
    #[serde(rename = "TEST")]
    Test,
    /// A timer (`relatedId` is the timer id).
    #[serde(rename = "TIMER")]
    Timer,
}

impl RelatedType {
    /// Every related type.
    pub const ALL: [RelatedType; 4] = [Self::Follow, Self::Post, Self::Test, Self::Timer];

    /// The exact wire value: `FOLLOW`, `POST`, `TEST` or `TIMER`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Follow => "FOLLOW",
            Self::Post => "POST",
            Self::Test => "TEST",
            Self::Timer => "TIMER",
        }
    }
}

impl fmt::Display for RelatedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a `relatedType` wire value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown notification related type {0:?}")]
pub struct UnknownRelatedType(pub String);

impl FromStr for RelatedType {
    type Err = UnknownRelatedType;

    /// Parses the exact wire value (case-sensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|related| related.as_str() == s)
            .ok_or_else(|| UnknownRelatedType(s.to_owned()))
    }
}

/// What a notification is about (`relatedId`): a meetup (numeric) or a timer (UUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelatedId {
    /// A meetup post (`relatedType` `POST`).
    Meetup(MeetupId),
    /// A timer (`relatedType` `TIMER`).
    Timer(TimerId),
}

impl fmt::Display for RelatedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Meetup(id) => id.fmt(f),
            Self::Timer(id) => id.fmt(f),
        }
    }
}

/// A running time in Korean units for a message: `2시간 5분`, `3시간`, `45분`, `30초`.
///
/// Seconds are shown only below one minute: a timer forgotten for hours is not about seconds.
/// Zero parts are left out; zero or less reads `0초`.
pub fn korean_duration(seconds: i64) -> String {
    if seconds < 60 {
        return format!("{}초", seconds.max(0));
    }
    let hours = seconds / 3600;
    let minutes = seconds % 3600 / 60;
    match (hours, minutes) {
        (0, m) => format!("{m}분"),
        (h, 0) => format!("{h}시간"),
        (h, m) => format!("{h}시간 {m}분"),
    }
}

/// The quoted title and a space, or nothing for an untitled timer. A title is stored as typed
/// (it may be blank or padded); a blank one reads as untitled rather than as `'' `.
fn timer_subject(title: Option<&Title>) -> String {
    match title.map(|t| t.as_str().trim()) {
        Some(text) if !text.is_empty() => format!("'{text}' "),
        _ => String::new(),
    }
}

/// A notification about to be stored: everything but its id, read flag and creation time.
///
/// Built only by the constructors, so the message, `relatedId`, `relatedType` and `redirectUrl`
/// always match the kind as the contract fixes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationDraft {
    receiver: UserId,
    /// `None` for system notifications; every constructor here sets it.
    actor: Option<UserId>,
    kind: NotificationKind,
    message: String,
    related_id: Option<RelatedId>,
    related_type: RelatedType,
    redirect_url: String,
}

impl NotificationDraft {
    /// `FOLLOW` to `receiver`: `actor` (whose nickname is `actor_nickname`) started following them.
    pub fn follow(receiver: UserId, actor: UserId, actor_nickname: &Nickname) -> Self {
        Self {
            receiver,
            actor: Some(actor),
            kind: NotificationKind::Follow,
            message: format!("{actor_nickname}{FOLLOW_MESSAGE_SUFFIX}"),
            related_id: None,
            related_type: RelatedType::Follow,
            redirect_url: format!("/profile/{actor}"),
        }
    }

    /// `CREATE` to `receiver` (a follower of the host): `actor` created meetup `meetup_id`.
    pub fn meetup_created(
        receiver: UserId,
        actor: UserId,
        actor_nickname: &Nickname,
        meetup_id: MeetupId,
    ) -> Self {
        Self::about_meetup(
            NotificationKind::Create,
            CREATE_MESSAGE_SUFFIX,
            receiver,
            actor,
            actor_nickname,
            meetup_id,
        )
    }

    /// `ENTER` to `receiver` (the host): `actor` joined meetup `meetup_id`.
    pub fn meetup_entered(
        receiver: UserId,
        actor: UserId,
        actor_nickname: &Nickname,
        meetup_id: MeetupId,
    ) -> Self {
        Self::about_meetup(
            NotificationKind::Enter,
            ENTER_MESSAGE_SUFFIX,
            receiver,
            actor,
            actor_nickname,
            meetup_id,
        )
    }

    /// `EXIT` to `receiver` (the host): `actor` left meetup `meetup_id`.
    pub fn meetup_exited(
        receiver: UserId,
        actor: UserId,
        actor_nickname: &Nickname,
        meetup_id: MeetupId,
    ) -> Self {
        Self::about_meetup(
            NotificationKind::Exit,
            EXIT_MESSAGE_SUFFIX,
            receiver,
            actor,
            actor_nickname,
            meetup_id,
        )
    }

    /// `CANCLE` to `receiver` (a participant other than the host): `actor` (the host) cancelled
    /// meetup `meetup_id`.
    pub fn meetup_cancelled(
        receiver: UserId,
        actor: UserId,
        actor_nickname: &Nickname,
        meetup_id: MeetupId,
    ) -> Self {
        Self::about_meetup(
            NotificationKind::Cancle,
            CANCLE_MESSAGE_SUFFIX,
            receiver,
            actor,
            actor_nickname,
            meetup_id,
        )
    }

    /// This draft as it reads once its actor's account is deleted: no actor, and
    /// [`DELETED_USER_NICKNAME`] in place of the nickname for the kinds whose message names one.
    /// What the deletion itself notifies (its meetups cancelled and left) is stored this way, so
    /// the notification as stored, and as announced, is already the final one.
    #[must_use]
    pub fn of_deleted_actor(self) -> Self {
        let message = self.kind.message_of_deleted_actor().unwrap_or(self.message);
        Self {
            actor: None,
            message,
            ..self
        }
    }

    /// `TEST` from `user` to `user`.
    pub fn test(user: UserId) -> Self {
        Self {
            receiver: user,
            actor: Some(user),
            kind: NotificationKind::Test,
            message: TEST_MESSAGE.to_owned(),
            related_id: None,
            related_type: RelatedType::Test,
            redirect_url: TEST_REDIRECT_URL.to_owned(),
        }
    }

    /// `TIME_UP` to `owner`: their timer `timer` (titled `title`, if any) reached its allocated
    /// duration.
    pub fn time_up(owner: UserId, timer: TimerId, title: Option<&Title>) -> Self {
        let message = format!("{}{TIME_UP_MESSAGE}", timer_subject(title));
        Self::about_timer(NotificationKind::TimeUp, owner, timer, message)
    }

    /// `TIMER_FORGOTTEN` to `owner`: their timer `timer` (titled `title`, if any) has been running
    /// for `running_seconds`, long past its allocated duration.
    pub fn timer_forgotten(
        owner: UserId,
        timer: TimerId,
        title: Option<&Title>,
        running_seconds: i64,
    ) -> Self {
        let message = format!(
            "{}{TIMER_FORGOTTEN_MESSAGE_PREFIX}{}{TIMER_FORGOTTEN_MESSAGE_SUFFIX}",
            timer_subject(title),
            korean_duration(running_seconds),
        );
        Self::about_timer(NotificationKind::TimerForgotten, owner, timer, message)
    }

    /// The shape shared by the timer kinds: the owner is both receiver and actor (no one else
    /// caused it, and the rendered actor fields stay filled), related to the timer.
    fn about_timer(kind: NotificationKind, owner: UserId, timer: TimerId, message: String) -> Self {
        Self {
            receiver: owner,
            actor: Some(owner),
            kind,
            message,
            related_id: Some(RelatedId::Timer(timer)),
            related_type: RelatedType::Timer,
            redirect_url: format!("/timers/{timer}"),
        }
    }

    /// The shape shared by the four meetup kinds: related to the meetup post.
    fn about_meetup(
        kind: NotificationKind,
        suffix: &str,
        receiver: UserId,
        actor: UserId,
        actor_nickname: &Nickname,
        meetup_id: MeetupId,
    ) -> Self {
        Self {
            receiver,
            actor: Some(actor),
            kind,
            message: format!("{actor_nickname}{suffix}"),
            related_id: Some(RelatedId::Meetup(meetup_id)),
            related_type: RelatedType::Post,
            redirect_url: format!("/post/{meetup_id}"),
        }
    }

    /// Who receives it.
    pub fn receiver(&self) -> UserId {
        self.receiver
    }

    /// Who caused it; `None` for a system notification.
    pub fn actor(&self) -> Option<UserId> {
        self.actor
    }

    /// Its `type`.
    pub fn kind(&self) -> NotificationKind {
        self.kind
    }

    /// The text shown to the receiver.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The id of what it is about (the meetup or timer), if anything.
    pub fn related_id(&self) -> Option<RelatedId> {
        self.related_id
    }

    /// What `related_id` and `redirect_url` point at.
    pub fn related_type(&self) -> RelatedType {
        self.related_type
    }

    /// The front-end path to open when the notification is clicked.
    pub fn redirect_url(&self) -> &str {
        &self.redirect_url
    }
}

/// A notification as stored, for [`Notification::restore`]. Nothing is checked: storage only
/// ever held what a [`NotificationDraft`] constructor produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNotification {
    /// The id; increases per receiver in commit order.
    pub id: NotificationId,
    /// Who receives it.
    pub receiver: UserId,
    /// Who caused it; `None` for a system notification (or a deleted actor).
    pub actor: Option<UserId>,
    /// Its `type`.
    pub kind: NotificationKind,
    /// The text shown.
    pub message: String,
    /// The id of what it is about.
    pub related_id: Option<RelatedId>,
    /// What `related_id` points at.
    pub related_type: RelatedType,
    /// Where a click goes.
    pub redirect_url: String,
    /// Whether the receiver has read it.
    pub is_read: bool,
    /// When it was stored.
    pub created_at: Timestamp,
}

/// A stored notification: a draft with an id, a read flag and a creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    id: NotificationId,
    draft: NotificationDraft,
    is_read: bool,
    created_at: Timestamp,
}

impl Notification {
    /// The notification storage made of `draft`: unread, created at `created_at`.
    pub fn from_draft(id: NotificationId, draft: NotificationDraft, created_at: Timestamp) -> Self {
        Self {
            id,
            draft,
            is_read: false,
            created_at,
        }
    }

    /// Rebuilds a notification loaded from storage.
    pub fn restore(stored: StoredNotification) -> Self {
        Self {
            id: stored.id,
            draft: NotificationDraft {
                receiver: stored.receiver,
                actor: stored.actor,
                kind: stored.kind,
                message: stored.message,
                related_id: stored.related_id,
                related_type: stored.related_type,
                redirect_url: stored.redirect_url,
            },
            is_read: stored.is_read,
            created_at: stored.created_at,
        }
    }

    /// Marks it read (idempotent).
    pub fn mark_read(&mut self) {
        self.is_read = true;
    }

    /// Its id (the SSE `id:` line, and the `Last-Event-ID` a client replays from).
    pub fn id(&self) -> NotificationId {
        self.id
    }

    /// The fields it was created with.
    pub fn draft(&self) -> &NotificationDraft {
        &self.draft
    }

    /// Who receives it.
    pub fn receiver(&self) -> UserId {
        self.draft.receiver
    }

    /// Who caused it; `None` for a system notification.
    pub fn actor(&self) -> Option<UserId> {
        self.draft.actor
    }

    /// Its `type`.
    pub fn kind(&self) -> NotificationKind {
        self.draft.kind
    }

    /// The text shown to the receiver.
    pub fn message(&self) -> &str {
        &self.draft.message
    }

    /// The id of what it is about, if anything.
    pub fn related_id(&self) -> Option<RelatedId> {
        self.draft.related_id
    }

    /// What `related_id` and `redirect_url` point at.
    pub fn related_type(&self) -> RelatedType {
        self.draft.related_type
    }

    /// The front-end path to open when it is clicked.
    pub fn redirect_url(&self) -> &str {
        &self.draft.redirect_url
    }

    /// Whether the receiver has read it.
    pub fn is_read(&self) -> bool {
        self.is_read
    }

    /// When it was stored.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nick(raw: &str) -> Nickname {
        let Ok(nick) = Nickname::parse(raw) else {
            panic!("valid nickname {raw:?}")
        };
        nick
    }

    fn at(seconds: i64) -> Timestamp {
        let Some(instant) = Timestamp::from_unix_seconds(seconds) else {
            panic!("valid instant {seconds}")
        };
        instant
    }

    fn timer(n: u128) -> TimerId {
        TimerId::new(uuid::Uuid::from_u128(n))
    }

    fn title(raw: &str) -> Title {
        let Ok(title) = Title::new(raw) else {
            panic!("valid title {raw:?}")
        };
        title
    }

    #[test]
    fn a_deleted_actor_reads_as_the_deleted_user_in_every_message_that_named_it() {
        let actor = UserId::new(2);
        let drafts = [
            NotificationDraft::follow(UserId::new(1), actor, &Nickname::deleted_user()),
            NotificationDraft::meetup_created(
                UserId::new(1),
                actor,
                &Nickname::deleted_user(),
                MeetupId::new(5),
            ),
            NotificationDraft::meetup_entered(
                UserId::new(1),
                actor,
                &Nickname::deleted_user(),
                MeetupId::new(5),
            ),
            NotificationDraft::meetup_exited(
                UserId::new(1),
                actor,
                &Nickname::deleted_user(),
                MeetupId::new(5),
            ),
            NotificationDraft::meetup_cancelled(
                UserId::new(1),
                actor,
                &Nickname::deleted_user(),
                MeetupId::new(5),
            ),
        ];
        for draft in drafts {
            assert_eq!(
                draft.kind().message_of_deleted_actor().as_deref(),
                Some(draft.message()),
                "{:?}",
                draft.kind()
            );
            assert!(draft.message().starts_with("탈퇴한 사용자님이 "));
        }
        for kind in [
            NotificationKind::Test,
            NotificationKind::TimeUp,
            NotificationKind::TimerForgotten,
        ] {
            assert_eq!(kind.message_of_deleted_actor(), None, "{kind:?}");
        }
    }

    #[test]
    fn kind_wire_values() {
        let expected = [
            "FOLLOW",
            "ENTER",
            "EXIT",
            "CREATE",
            "CANCLE",
            "TEST",
            "TIME_UP",
            "TIMER_FORGOTTEN",
        ];
        for (kind, wire) in NotificationKind::ALL.into_iter().zip(expected) {
            assert_eq!(kind.as_str(), wire);
            assert_eq!(kind.to_string(), wire);
            assert_eq!(wire.parse::<NotificationKind>(), Ok(kind));
        }
        assert_eq!(NotificationKind::Cancle.as_str(), "CANCLE");
    }

    #[test]
    fn kind_parse_is_exact() {
        for bad in [
            "CANCEL", "follow", "Follow", "", " FOLLOW", "POST", "TIMEUP", "time_up", "TIMER",
        ] {
            assert_eq!(
                bad.parse::<NotificationKind>(),
                Err(UnknownNotificationKind(bad.to_owned()))
            );
        }
    }

    #[test]
    fn kind_related_types() {
        assert_eq!(NotificationKind::Follow.related_type(), RelatedType::Follow);
        assert_eq!(NotificationKind::Test.related_type(), RelatedType::Test);
        for kind in [
            NotificationKind::Enter,
            NotificationKind::Exit,
            NotificationKind::Create,
            NotificationKind::Cancle,
        ] {
            assert_eq!(kind.related_type(), RelatedType::Post);
        }
        assert_eq!(NotificationKind::TimeUp.related_type(), RelatedType::Timer);
        assert_eq!(
            NotificationKind::TimerForgotten.related_type(),
            RelatedType::Timer
        );
    }

    #[test]
    fn related_type_wire_values() {
        let expected = ["FOLLOW", "POST", "TEST", "TIMER"];
        for (related, wire) in RelatedType::ALL.into_iter().zip(expected) {
            assert_eq!(related.as_str(), wire);
            assert_eq!(related.to_string(), wire);
            assert_eq!(wire.parse::<RelatedType>(), Ok(related));
        }
        for bad in ["post", "MEETUP", "", "timer"] {
            assert_eq!(
                bad.parse::<RelatedType>(),
                Err(UnknownRelatedType(bad.to_owned()))
            );
        }
    }

    #[test]
    fn follow_draft_matches_the_contract() {
        let draft = NotificationDraft::follow(UserId::new(100), UserId::new(102), &nick("user0"));
        assert_eq!(draft.receiver(), UserId::new(100));
        assert_eq!(draft.actor(), Some(UserId::new(102)));
        assert_eq!(draft.kind(), NotificationKind::Follow);
        assert_eq!(
            draft.message(),
            "user0님이 회원님을 팔로우하기 시작했습니다."
        );
        assert_eq!(draft.related_id(), None);
        assert_eq!(draft.related_type(), RelatedType::Follow);
        assert_eq!(draft.redirect_url(), "/profile/102");
    }

    #[test]
    fn meetup_created_draft_matches_the_contract() {
        let draft = NotificationDraft::meetup_created(
            UserId::new(100),
            UserId::new(110),
            &nick("creator1"),
            MeetupId::new(520),
        );
        assert_eq!(draft.receiver(), UserId::new(100));
        assert_eq!(draft.actor(), Some(UserId::new(110)));
        assert_eq!(draft.kind(), NotificationKind::Create);
        assert_eq!(draft.kind().as_str(), "CREATE");
        assert_eq!(draft.message(), "creator1님이 모임을 생성하셨습니다.");
        assert_eq!(
            draft.related_id(),
            Some(RelatedId::Meetup(MeetupId::new(520)))
        );
        assert_eq!(draft.related_type(), RelatedType::Post);
        assert_eq!(draft.redirect_url(), "/post/520");
    }

    #[test]
    fn meetup_entered_draft_matches_the_contract() {
        let draft = NotificationDraft::meetup_entered(
            UserId::new(100),
            UserId::new(105),
            &nick("participant1"),
            MeetupId::new(500),
        );
        assert_eq!(draft.receiver(), UserId::new(100));
        assert_eq!(draft.actor(), Some(UserId::new(105)));
        assert_eq!(draft.kind(), NotificationKind::Enter);
        assert_eq!(draft.kind().as_str(), "ENTER");
        assert_eq!(draft.message(), "participant1님이 모임에 참여하셨습니다.");
        assert_eq!(
            draft.related_id(),
            Some(RelatedId::Meetup(MeetupId::new(500)))
        );
        assert_eq!(draft.related_type(), RelatedType::Post);
        assert_eq!(draft.redirect_url(), "/post/500");
    }

    #[test]
    fn meetup_exited_draft_matches_the_contract() {
        let draft = NotificationDraft::meetup_exited(
            UserId::new(100),
            UserId::new(106),
            &nick("leaver1"),
            MeetupId::new(500),
        );
        assert_eq!(draft.kind(), NotificationKind::Exit);
        assert_eq!(draft.kind().as_str(), "EXIT");
        assert_eq!(draft.actor(), Some(UserId::new(106)));
        assert_eq!(draft.message(), "leaver1님이 모임에서 퇴장하셨습니다.");
        // The original example shows relatedId 350 with /post/500; the contract settles on the
        // meetup id for both.
        assert_eq!(
            draft.related_id(),
            Some(RelatedId::Meetup(MeetupId::new(500)))
        );
        assert_eq!(draft.related_type(), RelatedType::Post);
        assert_eq!(draft.redirect_url(), "/post/500");
    }

    #[test]
    fn meetup_cancelled_draft_matches_the_contract() {
        let draft = NotificationDraft::meetup_cancelled(
            UserId::new(100),
            UserId::new(110),
            &nick("canceler1"),
            MeetupId::new(520),
        );
        assert_eq!(draft.kind(), NotificationKind::Cancle);
        assert_eq!(draft.kind().as_str(), "CANCLE");
        assert_eq!(draft.actor(), Some(UserId::new(110)));
        assert_eq!(draft.message(), "canceler1님이 모임을 취소하셨습니다.");
        assert_eq!(
            draft.related_id(),
            Some(RelatedId::Meetup(MeetupId::new(520)))
        );
        assert_eq!(draft.related_type(), RelatedType::Post);
        assert_eq!(draft.redirect_url(), "/post/520");
    }

    #[test]
    fn test_draft_matches_the_contract() {
        let draft = NotificationDraft::test(UserId::new(2));
        assert_eq!(draft.receiver(), UserId::new(2));
        assert_eq!(draft.actor(), Some(UserId::new(2)));
        assert_eq!(draft.kind(), NotificationKind::Test);
        assert_eq!(draft.kind().as_str(), "TEST");
        assert_eq!(draft.message(), "테스트 알림 응답");
        assert_eq!(draft.related_id(), None);
        assert_eq!(draft.related_type(), RelatedType::Test);
        assert_eq!(draft.redirect_url(), "/docs");
    }

    #[test]
    fn every_constructor_agrees_with_its_kinds_related_type() {
        let n = nick("n");
        let (r, a, m) = (UserId::new(1), UserId::new(2), MeetupId::new(3));
        for draft in [
            NotificationDraft::follow(r, a, &n),
            NotificationDraft::meetup_created(r, a, &n, m),
            NotificationDraft::meetup_entered(r, a, &n, m),
            NotificationDraft::meetup_exited(r, a, &n, m),
            NotificationDraft::meetup_cancelled(r, a, &n, m),
            NotificationDraft::test(r),
            NotificationDraft::time_up(r, timer(7), None),
            NotificationDraft::timer_forgotten(r, timer(7), None, 7200),
        ] {
            assert_eq!(
                draft.kind().related_type(),
                draft.related_type(),
                "{draft:?}"
            );
        }
    }

    #[test]
    fn messages_keep_the_nickname_verbatim() {
        let draft = NotificationDraft::follow(UserId::new(1), UserId::new(2), &nick("  미니 Kim "));
        assert_eq!(
            draft.message(),
            "미니 Kim님이 회원님을 팔로우하기 시작했습니다."
        );
    }

    #[test]
    fn message_texts_are_byte_exact() {
        // Guards against a look-alike character (e.g. a decomposed Hangul syllable) sneaking in.
        let escaped = [
            (
                FOLLOW_MESSAGE_SUFFIX,
                "\u{B2D8}\u{C774} \u{D68C}\u{C6D0}\u{B2D8}\u{C744} \u{D314}\u{B85C}\u{C6B0}\u{D558}\u{AE30} \u{C2DC}\u{C791}\u{D588}\u{C2B5}\u{B2C8}\u{B2E4}.",
            ),
            (
                ENTER_MESSAGE_SUFFIX,
                "\u{B2D8}\u{C774} \u{BAA8}\u{C784}\u{C5D0} \u{CC38}\u{C5EC}\u{D558}\u{C168}\u{C2B5}\u{B2C8}\u{B2E4}.",
            ),
            (
                EXIT_MESSAGE_SUFFIX,
                "\u{B2D8}\u{C774} \u{BAA8}\u{C784}\u{C5D0}\u{C11C} \u{D1F4}\u{C7A5}\u{D558}\u{C168}\u{C2B5}\u{B2C8}\u{B2E4}.",
            ),
            (
                CREATE_MESSAGE_SUFFIX,
                "\u{B2D8}\u{C774} \u{BAA8}\u{C784}\u{C744} \u{C0DD}\u{C131}\u{D558}\u{C168}\u{C2B5}\u{B2C8}\u{B2E4}.",
            ),
            (
                CANCLE_MESSAGE_SUFFIX,
                "\u{B2D8}\u{C774} \u{BAA8}\u{C784}\u{C744} \u{CDE8}\u{C18C}\u{D558}\u{C168}\u{C2B5}\u{B2C8}\u{B2E4}.",
            ),
            (
                TEST_MESSAGE,
                "\u{D14C}\u{C2A4}\u{D2B8} \u{C54C}\u{B9BC} \u{C751}\u{B2F5}",
            ),
            (
                TIME_UP_MESSAGE,
                "\u{D0C0}\u{C774}\u{BA38}\u{C758} \u{C2DC}\u{AC04}\u{C774} \u{B2E4} \u{B418}\u{C5C8}\u{C2B5}\u{B2C8}\u{B2E4}.",
            ),
            (
                TIMER_FORGOTTEN_MESSAGE_PREFIX,
                "\u{D0C0}\u{C774}\u{BA38}\u{AC00} ",
            ),
            (
                TIMER_FORGOTTEN_MESSAGE_SUFFIX,
                " \u{B3D9}\u{C548} \u{C2E4}\u{D589} \u{C911}\u{C785}\u{B2C8}\u{B2E4}. \u{BA48}\u{CD94}\u{B294} \u{AC83}\u{C744} \u{C78A}\u{C73C}\u{C168}\u{B098}\u{C694}?",
            ),
        ];
        for (text, code_points) in escaped {
            assert_eq!(text.as_bytes(), code_points.as_bytes(), "{text}");
        }
        for suffix in [
            FOLLOW_MESSAGE_SUFFIX,
            CREATE_MESSAGE_SUFFIX,
            ENTER_MESSAGE_SUFFIX,
            EXIT_MESSAGE_SUFFIX,
            CANCLE_MESSAGE_SUFFIX,
        ] {
            assert!(suffix.starts_with("님이 "), "{suffix}");
            assert!(suffix.ends_with('.'), "{suffix}");
            assert!(
                suffix
                    .chars()
                    .all(|c| c == ' ' || c == '.' || ('\u{AC00}'..='\u{D7A3}').contains(&c)),
                "only precomposed Hangul syllables, spaces and a period: {suffix:?}"
            );
        }
    }

    #[test]
    fn stored_notification_from_a_draft() {
        let draft = NotificationDraft::follow(UserId::new(100), UserId::new(102), &nick("user0"));
        let mut stored =
            Notification::from_draft(NotificationId::new(1), draft.clone(), at(1_765_838_121));
        assert_eq!(stored.id(), NotificationId::new(1));
        assert_eq!(stored.draft(), &draft);
        assert_eq!(stored.receiver(), UserId::new(100));
        assert_eq!(stored.actor(), Some(UserId::new(102)));
        assert_eq!(stored.kind(), NotificationKind::Follow);
        assert_eq!(
            stored.message(),
            "user0님이 회원님을 팔로우하기 시작했습니다."
        );
        assert_eq!(stored.related_id(), None);
        assert_eq!(stored.related_type(), RelatedType::Follow);
        assert_eq!(stored.redirect_url(), "/profile/102");
        assert!(!stored.is_read());
        assert_eq!(stored.created_at(), at(1_765_838_121));
        stored.mark_read();
        assert!(stored.is_read());
        stored.mark_read();
        assert!(stored.is_read());
    }

    #[test]
    fn restore_keeps_every_field() {
        let restored = Notification::restore(StoredNotification {
            id: NotificationId::new(9),
            receiver: UserId::new(100),
            actor: None,
            kind: NotificationKind::Cancle,
            message: "system".to_owned(),
            related_id: Some(RelatedId::Meetup(MeetupId::new(520))),
            related_type: RelatedType::Post,
            redirect_url: "/post/520".to_owned(),
            is_read: true,
            created_at: at(1_765_839_000),
        });
        assert_eq!(restored.id(), NotificationId::new(9));
        assert_eq!(restored.receiver(), UserId::new(100));
        assert_eq!(restored.actor(), None);
        assert_eq!(restored.kind(), NotificationKind::Cancle);
        assert_eq!(restored.message(), "system");
        assert_eq!(
            restored.related_id(),
            Some(RelatedId::Meetup(MeetupId::new(520)))
        );
        assert_eq!(restored.related_type(), RelatedType::Post);
        assert_eq!(restored.redirect_url(), "/post/520");
        assert!(restored.is_read());
        assert_eq!(restored.created_at(), at(1_765_839_000));
    }

    #[test]
    fn restore_round_trips_a_stored_draft() {
        let draft = NotificationDraft::meetup_entered(
            UserId::new(100),
            UserId::new(105),
            &nick("participant1"),
            MeetupId::new(500),
        );
        let original =
            Notification::from_draft(NotificationId::new(2), draft.clone(), at(1_765_838_415));
        let restored = Notification::restore(StoredNotification {
            id: original.id(),
            receiver: draft.receiver(),
            actor: draft.actor(),
            kind: draft.kind(),
            message: draft.message().to_owned(),
            related_id: draft.related_id(),
            related_type: draft.related_type(),
            redirect_url: draft.redirect_url().to_owned(),
            is_read: false,
            created_at: original.created_at(),
        });
        assert_eq!(restored, original);
    }

    #[test]
    fn time_up_draft_matches_the_contract() {
        let id = timer(0x0193_0000_0000_7000_8000_0000_0000_0001);
        let draft = NotificationDraft::time_up(UserId::new(7), id, Some(&title("집중 공부")));
        assert_eq!(draft.receiver(), UserId::new(7));
        assert_eq!(draft.actor(), Some(UserId::new(7)));
        assert_eq!(draft.kind(), NotificationKind::TimeUp);
        assert_eq!(draft.kind().as_str(), "TIME_UP");
        assert_eq!(
            draft.message(),
            "'집중 공부' 타이머의 시간이 다 되었습니다."
        );
        assert_eq!(draft.related_id(), Some(RelatedId::Timer(id)));
        assert_eq!(draft.related_type(), RelatedType::Timer);
        assert_eq!(
            draft.redirect_url(),
            "/timers/01930000-0000-7000-8000-000000000001"
        );
    }

    #[test]
    fn time_up_without_a_title() {
        let id = timer(1);
        for untitled in [None, Some(title("")), Some(title("   "))] {
            let draft = NotificationDraft::time_up(UserId::new(7), id, untitled.as_ref());
            assert_eq!(draft.message(), "타이머의 시간이 다 되었습니다.");
            assert_eq!(draft.related_id(), Some(RelatedId::Timer(id)));
        }
        let padded = NotificationDraft::time_up(UserId::new(7), id, Some(&title("  독서 ")));
        assert_eq!(padded.message(), "'독서' 타이머의 시간이 다 되었습니다.");
    }

    #[test]
    fn timer_forgotten_draft_matches_the_contract() {
        let id = timer(0x0193_0000_0000_7000_8000_0000_0000_0002);
        let draft = NotificationDraft::timer_forgotten(
            UserId::new(7),
            id,
            Some(&title("Deep work")),
            2 * 3600 + 5 * 60 + 9,
        );
        assert_eq!(draft.receiver(), UserId::new(7));
        assert_eq!(draft.actor(), Some(UserId::new(7)));
        assert_eq!(draft.kind(), NotificationKind::TimerForgotten);
        assert_eq!(draft.kind().as_str(), "TIMER_FORGOTTEN");
        assert_eq!(
            draft.message(),
            "'Deep work' 타이머가 2시간 5분 동안 실행 중입니다. 멈추는 것을 잊으셨나요?"
        );
        assert_eq!(draft.related_id(), Some(RelatedId::Timer(id)));
        assert_eq!(draft.related_type(), RelatedType::Timer);
        assert_eq!(
            draft.redirect_url(),
            "/timers/01930000-0000-7000-8000-000000000002"
        );
        let untitled = NotificationDraft::timer_forgotten(UserId::new(7), id, None, 3 * 3600);
        assert_eq!(
            untitled.message(),
            "타이머가 3시간 동안 실행 중입니다. 멈추는 것을 잊으셨나요?"
        );
    }

    #[test]
    fn korean_durations() {
        for (seconds, text) in [
            (0, "0초"),
            (-5, "0초"),
            (30, "30초"),
            (59, "59초"),
            (60, "1분"),
            (45 * 60, "45분"),
            (45 * 60 + 59, "45분"),
            (3600, "1시간"),
            (3 * 3600, "3시간"),
            (3 * 3600 + 30, "3시간"),
            (2 * 3600 + 5 * 60, "2시간 5분"),
            (26 * 3600 + 60, "26시간 1분"),
        ] {
            assert_eq!(korean_duration(seconds), text, "{seconds}");
        }
    }

    #[test]
    fn related_ids_render_their_id() {
        assert_eq!(RelatedId::Meetup(MeetupId::new(520)).to_string(), "520");
        assert_eq!(
            RelatedId::Timer(timer(1)).to_string(),
            "00000000-0000-0000-0000-000000000001"
        );
    }

    #[test]
    fn restore_round_trips_a_timer_draft() {
        let draft = NotificationDraft::time_up(UserId::new(7), timer(3), Some(&title("t")));
        let original =
            Notification::from_draft(NotificationId::new(4), draft.clone(), at(1_765_838_415));
        let restored = Notification::restore(StoredNotification {
            id: original.id(),
            receiver: draft.receiver(),
            actor: draft.actor(),
            kind: draft.kind(),
            message: draft.message().to_owned(),
            related_id: draft.related_id(),
            related_type: draft.related_type(),
            redirect_url: draft.redirect_url().to_owned(),
            is_read: false,
            created_at: original.created_at(),
        });
        assert_eq!(restored, original);
        assert_eq!(restored.related_id(), Some(RelatedId::Timer(timer(3))));
    }

    #[test]
    fn a_draft_of_a_deleted_actor_names_nobody() {
        let draft = NotificationDraft::follow(UserId::new(1), UserId::new(2), &nick("alice"))
            .of_deleted_actor();
        assert_eq!(draft.actor(), None);
        assert_eq!(
            draft.message(),
            format!("{DELETED_USER_NICKNAME}{FOLLOW_MESSAGE_SUFFIX}")
        );
        let test = NotificationDraft::test(UserId::new(1));
        assert_eq!(test.clone().of_deleted_actor().message(), test.message());
    }
}
