//! The meetup (모임) aggregate and its join, leave and cancel rules
//! (`notifications-sse.md`, "Meetups").
//!
//! A meetup has a host, a title (1–100 characters), a description (at most 2000 characters), a
//! start in the future, an optional capacity (2–100, counting the host) and a status, `OPEN` or
//! `CANCELLED`. Its participants are the host first, then the users who joined, in join order.
//!
//! Every action takes the acting user and `now`; a refused action returns a [`MeetupError`] and
//! leaves the meetup exactly as it was. Who is notified:
//! - creating: every follower of the host (`CREATE`): a query, not known to the aggregate;
//! - joining and leaving: the host (`ENTER`, `EXIT`): [`Meetup::host_id`];
//! - cancelling: every other participant (`CANCLE`): returned by [`Meetup::cancel`], also
//!   [`Meetup::participants_except_host`].
//!
//! How the refusals map onto the contract's errors:
//!
//! | variant | HTTP / code |
//! |---|---|
//! | [`MeetupError::Full`] | 409 `MEETUP_FULL` |
//! | [`MeetupError::Cancelled`], [`MeetupError::AlreadyCancelled`] | 409 `MEETUP_CANCELLED` |
//! | [`MeetupError::AlreadyJoined`] | 409 `ALREADY_JOINED` |
//! | [`MeetupError::HostCannotJoin`] | 409 `HOST_CANNOT_JOIN` |
//! | [`MeetupError::HostCannotLeave`], [`MeetupError::NotHost`] | 403 `FORBIDDEN` |
//! | [`MeetupError::NotAParticipant`] | 404 `NOT_A_PARTICIPANT` |
//! | [`MeetupError::StartsAtNotInFuture`] | 422 |
//! | the other validation variants | the edge's validation error |

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{MeetupId, UserId};
use crate::time::Timestamp;
use crate::validation::forbidden_control;

/// The most characters a meetup title may have.
pub const TITLE_MAX_CHARS: usize = 100;
/// The most characters a meetup description may have.
pub const DESCRIPTION_MAX_CHARS: usize = 2000;
/// The smallest capacity: the host and one other.
pub const CAPACITY_MIN: u32 = 2;
/// The largest capacity, host included.
pub const CAPACITY_MAX: u32 = 100;

/// Why a meetup value or action was refused. Each variant is named after the rule it enforces.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MeetupError {
    /// The title is blank once trimmed, or longer than [`TITLE_MAX_CHARS`].
    #[error("meetup title must be 1 to 100 characters")]
    TitleLength,
    /// The description is longer than [`DESCRIPTION_MAX_CHARS`].
    #[error("meetup description must be at most 2000 characters")]
    DescriptionLength,
    /// A text holding a C0 control character other than tab and line breaks
    /// ([`forbidden_control`]); U+0000 among them, which no text column can store.
    #[error(
        "meetup {field} must not contain the control character U+{code:04X} (of the C0 controls only tab and line breaks are allowed)",
        code = u32::from(*.character)
    )]
    ControlCharacter {
        /// `title` or `description`.
        field: &'static str,
        /// The first refused character.
        character: char,
    },
    /// The capacity is outside [`CAPACITY_MIN`]..=[`CAPACITY_MAX`].
    #[error("meetup capacity must be 2 to 100 (counting the host), got {value}")]
    CapacityOutOfRange {
        /// The refused value, as given.
        value: i64,
    },
    /// `starts_at` is not strictly later than the creation instant.
    #[error("meetup must start in the future")]
    StartsAtNotInFuture,
    /// Joining or leaving a cancelled meetup.
    #[error("meetup is cancelled")]
    Cancelled,
    /// The host tried to join their own meetup (they are already its first participant).
    #[error("the host cannot join their own meetup")]
    HostCannotJoin,
    /// The user is already a participant.
    #[error("user has already joined this meetup")]
    AlreadyJoined,
    /// The meetup has as many participants as its capacity.
    #[error("meetup is full")]
    Full,
    /// The host tried to leave; the host cancels instead.
    #[error("the host cannot leave their own meetup; cancel it instead")]
    HostCannotLeave,
    /// The user leaving is not a participant.
    #[error("user is not a participant of this meetup")]
    NotAParticipant,
    /// Someone other than the host tried to cancel.
    #[error("only the host can cancel a meetup")]
    NotHost,
    /// The meetup was already cancelled.
    #[error("meetup is already cancelled")]
    AlreadyCancelled,
}

/// A meetup title: 1 to 100 characters once trimmed of surrounding whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MeetupTitle(String);

impl MeetupTitle {
    /// Validates a title; surrounding whitespace is trimmed and not stored.
    ///
    /// # Errors
    /// [`MeetupError::ControlCharacter`] when it holds a control character
    /// [`forbidden_control`] names; [`MeetupError::TitleLength`] when blank or longer than
    /// [`TITLE_MAX_CHARS`] characters.
    pub fn parse(raw: &str) -> Result<Self, MeetupError> {
        if let Some(character) = forbidden_control(raw) {
            return Err(MeetupError::ControlCharacter {
                field: "title",
                character,
            });
        }
        Self::restore(raw)
    }

    /// Takes back a title read from storage: the length rule only, because titles stored
    /// before the control-character rule may hold such characters and must still load.
    ///
    /// # Errors
    /// [`MeetupError::TitleLength`] when blank or longer than [`TITLE_MAX_CHARS`] characters.
    pub fn restore(raw: &str) -> Result<Self, MeetupError> {
        let trimmed = raw.trim();
        let chars = trimmed.chars().count();
        if chars == 0 || chars > TITLE_MAX_CHARS {
            return Err(MeetupError::TitleLength);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The title as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MeetupTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for MeetupTitle {
    type Error = MeetupError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<MeetupTitle> for String {
    fn from(title: MeetupTitle) -> Self {
        title.0
    }
}

/// A meetup description: free text of at most 2000 characters, possibly empty, stored as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MeetupDescription(String);

impl MeetupDescription {
    /// Validates a description. It is kept verbatim (line breaks and indentation are content).
    ///
    /// # Errors
    /// [`MeetupError::ControlCharacter`] when it holds a control character
    /// [`forbidden_control`] names; [`MeetupError::DescriptionLength`] when longer than
    /// [`DESCRIPTION_MAX_CHARS`] characters.
    pub fn parse(raw: &str) -> Result<Self, MeetupError> {
        if let Some(character) = forbidden_control(raw) {
            return Err(MeetupError::ControlCharacter {
                field: "description",
                character,
            });
        }
        Self::restore(raw)
    }

    /// Takes back a description read from storage: the length rule only, because
    /// descriptions stored before the control-character rule may hold such characters and must
    /// still load.
    ///
    /// # Errors
    /// [`MeetupError::DescriptionLength`] when longer than [`DESCRIPTION_MAX_CHARS`] characters.
    pub fn restore(raw: &str) -> Result<Self, MeetupError> {
        if raw.chars().count() > DESCRIPTION_MAX_CHARS {
            return Err(MeetupError::DescriptionLength);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The empty description.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The description as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MeetupDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for MeetupDescription {
    type Error = MeetupError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<MeetupDescription> for String {
    fn from(description: MeetupDescription) -> Self {
        description.0
    }
}

/// The most participants a meetup takes, host included: 2 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Capacity(u32);

impl Capacity {
    /// Validates a capacity. Takes an `i64` so that any JSON or SQL integer can be checked here,
    /// in one place, negative and huge values included.
    ///
    /// # Errors
    /// [`MeetupError::CapacityOutOfRange`] when outside [`CAPACITY_MIN`]..=[`CAPACITY_MAX`].
    pub fn new(value: i64) -> Result<Self, MeetupError> {
        match u32::try_from(value) {
            Ok(v) if (CAPACITY_MIN..=CAPACITY_MAX).contains(&v) => Ok(Self(v)),
            _ => Err(MeetupError::CapacityOutOfRange { value }),
        }
    }

    /// The capacity, host included.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Capacity {
    type Error = MeetupError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Capacity> for i64 {
    fn from(capacity: Capacity) -> Self {
        i64::from(capacity.0)
    }
}

/// Whether a meetup still takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MeetupStatus {
    /// Open: users can join and leave.
    #[serde(rename = "OPEN")]
    Open,
    /// Cancelled by its host; final.
    #[serde(rename = "CANCELLED")]
    Cancelled,
}

impl MeetupStatus {
    /// The wire name: `OPEN` or `CANCELLED`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Cancelled => "CANCELLED",
        }
    }
}

impl fmt::Display for MeetupStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a meetup status wire name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown meetup status {0:?} (expected OPEN or CANCELLED)")]
pub struct UnknownMeetupStatus(pub String);

impl FromStr for MeetupStatus {
    type Err = UnknownMeetupStatus;

    /// Parses the exact wire name (case-sensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "OPEN" => Ok(Self::Open),
            "CANCELLED" => Ok(Self::Cancelled),
            other => Err(UnknownMeetupStatus(other.to_owned())),
        }
    }
}

/// What a host asks for when creating a meetup; each field is already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeetup {
    /// The user creating the meetup; becomes its host and first participant.
    pub host_id: UserId,
    /// The title.
    pub title: MeetupTitle,
    /// The description.
    pub description: MeetupDescription,
    /// When it starts; must be after the creation instant.
    pub starts_at: Timestamp,
    /// The most participants, host included; `None` for no limit.
    pub capacity: Option<Capacity>,
}

/// A meetup as stored, for [`Meetup::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMeetup {
    /// The meetup's id.
    pub id: MeetupId,
    /// The host.
    pub host_id: UserId,
    /// The title.
    pub title: MeetupTitle,
    /// The description.
    pub description: MeetupDescription,
    /// When it starts (may be in the past by now).
    pub starts_at: Timestamp,
    /// The capacity, host included.
    pub capacity: Option<Capacity>,
    /// The status.
    pub status: MeetupStatus,
    /// The participants in join order. The host may be included (anywhere) or left out: storage
    /// often keeps the host only in `host_id`.
    pub participants: Vec<UserId>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed (join, leave, cancel).
    pub updated_at: Timestamp,
}

/// A meetup (모임): the aggregate whose methods enforce the join, leave and cancel rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meetup {
    id: MeetupId,
    host_id: UserId,
    title: MeetupTitle,
    description: MeetupDescription,
    starts_at: Timestamp,
    capacity: Option<Capacity>,
    status: MeetupStatus,
    /// The host first, then joiners in join order; never a duplicate. Keeping the host in the list
    /// makes `participant_count` and the capacity check (which counts the host) one rule.
    participants: Vec<UserId>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl Meetup {
    /// Creates an open meetup whose only participant is its host.
    ///
    /// `id` is the identity storage assigned; `now` is the creation instant (also `updated_at`).
    ///
    /// # Errors
    /// [`MeetupError::StartsAtNotInFuture`] unless `starts_at` is strictly after `now`.
    pub fn create(new: NewMeetup, id: MeetupId, now: Timestamp) -> Result<Self, MeetupError> {
        if new.starts_at <= now {
            return Err(MeetupError::StartsAtNotInFuture);
        }
        Ok(Self {
            id,
            host_id: new.host_id,
            title: new.title,
            description: new.description,
            starts_at: new.starts_at,
            capacity: new.capacity,
            status: MeetupStatus::Open,
            participants: vec![new.host_id],
            created_at: now,
            updated_at: now,
        })
    }

    /// Rebuilds a meetup loaded from storage.
    ///
    /// Nothing is refused: the start may have passed and the participants may exceed a capacity
    /// lowered since. The participant list is only normalised: the host is put first (added if
    /// missing), and repeated users keep their first position.
    pub fn restore(stored: StoredMeetup) -> Self {
        let mut participants = Vec::with_capacity(stored.participants.len() + 1);
        participants.push(stored.host_id);
        for user in stored.participants {
            if !participants.contains(&user) {
                participants.push(user);
            }
        }
        Self {
            id: stored.id,
            host_id: stored.host_id,
            title: stored.title,
            description: stored.description,
            starts_at: stored.starts_at,
            capacity: stored.capacity,
            status: stored.status,
            participants,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        }
    }

    /// `user` joins the meetup at `now`, as its last participant.
    ///
    /// Joining after the start is not refused: the contract sets no such rule.
    ///
    /// # Errors
    /// Checked in this order, the first broken rule wins:
    /// 1. [`MeetupError::Cancelled`] when the meetup is cancelled (whoever asks);
    /// 2. [`MeetupError::HostCannotJoin`] when `user` is the host;
    /// 3. [`MeetupError::AlreadyJoined`] when `user` is already a participant (even if full);
    /// 4. [`MeetupError::Full`] when the participants, host included, reach the capacity.
    pub fn join(&mut self, user: UserId, now: Timestamp) -> Result<(), MeetupError> {
        if self.status == MeetupStatus::Cancelled {
            return Err(MeetupError::Cancelled);
        }
        if user == self.host_id {
            return Err(MeetupError::HostCannotJoin);
        }
        if self.is_participant(user) {
            return Err(MeetupError::AlreadyJoined);
        }
        if self.is_full() {
            return Err(MeetupError::Full);
        }
        self.participants.push(user);
        self.updated_at = now;
        Ok(())
    }

    /// `user` leaves the meetup at `now`; the others keep their order.
    ///
    /// # Errors
    /// Checked in this order:
    /// 1. [`MeetupError::Cancelled`] when the meetup is cancelled;
    /// 2. [`MeetupError::HostCannotLeave`] when `user` is the host (cancel instead);
    /// 3. [`MeetupError::NotAParticipant`] when `user` has not joined.
    pub fn leave(&mut self, user: UserId, now: Timestamp) -> Result<(), MeetupError> {
        if self.status == MeetupStatus::Cancelled {
            return Err(MeetupError::Cancelled);
        }
        if user == self.host_id {
            return Err(MeetupError::HostCannotLeave);
        }
        let Some(position) = self.participants.iter().position(|&p| p == user) else {
            return Err(MeetupError::NotAParticipant);
        };
        self.participants.remove(position);
        self.updated_at = now;
        Ok(())
    }

    /// The host cancels the meetup at `now`.
    ///
    /// Returns the users to send the `CANCLE` notification to: every participant except the host,
    /// in join order. The participants stay listed (the cancelled meetup still shows who was in).
    ///
    /// # Errors
    /// Checked in this order:
    /// 1. [`MeetupError::NotHost`] when `by` is not the host (authorisation comes first, so a
    ///    non-host learns nothing new);
    /// 2. [`MeetupError::AlreadyCancelled`] when the meetup is already cancelled.
    pub fn cancel(&mut self, by: UserId, now: Timestamp) -> Result<Vec<UserId>, MeetupError> {
        if by != self.host_id {
            return Err(MeetupError::NotHost);
        }
        if self.status == MeetupStatus::Cancelled {
            return Err(MeetupError::AlreadyCancelled);
        }
        self.status = MeetupStatus::Cancelled;
        self.updated_at = now;
        Ok(self.participants_except_host().to_vec())
    }

    /// The meetup's id.
    pub fn id(&self) -> MeetupId {
        self.id
    }

    /// The host: receives `ENTER` and `EXIT` notifications.
    pub fn host_id(&self) -> UserId {
        self.host_id
    }

    /// The title.
    pub fn title(&self) -> &MeetupTitle {
        &self.title
    }

    /// The description.
    pub fn description(&self) -> &MeetupDescription {
        &self.description
    }

    /// When it starts.
    pub fn starts_at(&self) -> Timestamp {
        self.starts_at
    }

    /// The capacity, host included; `None` for no limit.
    pub fn capacity(&self) -> Option<Capacity> {
        self.capacity
    }

    /// The status.
    pub fn status(&self) -> MeetupStatus {
        self.status
    }

    /// Whether the meetup is open.
    pub fn is_open(&self) -> bool {
        self.status == MeetupStatus::Open
    }

    /// The participants: the host first, then joiners in join order.
    pub fn participants(&self) -> &[UserId] {
        &self.participants
    }

    /// Every participant but the host, in join order: who receives `CANCLE`.
    pub fn participants_except_host(&self) -> &[UserId] {
        self.participants.get(1..).unwrap_or_default()
    }

    /// Whether `user` is a participant (the host is one).
    pub fn is_participant(&self, user: UserId) -> bool {
        self.participants.contains(&user)
    }

    /// How many participants, host included.
    pub fn participant_count(&self) -> usize {
        self.participants.len()
    }

    /// Whether the participants, host included, have reached the capacity. Never for no capacity.
    pub fn is_full(&self) -> bool {
        self.capacity.is_some_and(|c| {
            self.participants.len() >= usize::try_from(c.get()).unwrap_or(usize::MAX)
        })
    }

    /// When it was created.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// When it last changed.
    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_700_000_000;
    const HOST: UserId = UserId::new(1);
    const ALICE: UserId = UserId::new(2);
    const BOB: UserId = UserId::new(3);
    const CAROL: UserId = UserId::new(4);

    fn at(seconds: i64) -> Timestamp {
        let Some(instant) = Timestamp::from_unix_seconds(seconds) else {
            panic!("valid instant {seconds}")
        };
        instant
    }

    fn title(raw: &str) -> MeetupTitle {
        let Ok(title) = MeetupTitle::parse(raw) else {
            panic!("valid title {raw:?}")
        };
        title
    }

    fn capacity(value: i64) -> Capacity {
        let Ok(capacity) = Capacity::new(value) else {
            panic!("valid capacity {value}")
        };
        capacity
    }

    fn new_meetup(capacity: Option<Capacity>) -> NewMeetup {
        NewMeetup {
            host_id: HOST,
            title: title("Study"),
            description: MeetupDescription::empty(),
            starts_at: at(NOW + 3_600),
            capacity,
        }
    }

    fn meetup(capacity: Option<Capacity>) -> Meetup {
        let Ok(meetup) = Meetup::create(new_meetup(capacity), MeetupId::new(500), at(NOW)) else {
            panic!("valid meetup")
        };
        meetup
    }

    /// Asserts `action` is refused with `expected` and leaves the meetup unchanged.
    fn assert_refused<T: fmt::Debug>(
        meetup: &mut Meetup,
        expected: MeetupError,
        action: impl FnOnce(&mut Meetup) -> Result<T, MeetupError>,
    ) {
        let before = meetup.clone();
        let outcome = action(meetup);
        assert!(
            matches!(&outcome, Err(e) if *e == expected),
            "expected {expected:?}, got {outcome:?}"
        );
        assert_eq!(*meetup, before, "a refused action changed the meetup");
    }

    // Values.

    #[test]
    fn title_is_trimmed_and_bounded() {
        assert_eq!(title("  Study  ").as_str(), "Study");
        assert!(MeetupTitle::parse("a").is_ok());
        assert!(MeetupTitle::parse(&"가".repeat(100)).is_ok());
        assert_eq!(
            MeetupTitle::parse(&"가".repeat(101)),
            Err(MeetupError::TitleLength)
        );
        assert_eq!(MeetupTitle::parse(""), Err(MeetupError::TitleLength));
        assert_eq!(MeetupTitle::parse(" \n\t "), Err(MeetupError::TitleLength));
    }

    #[test]
    fn texts_refuse_c0_controls_but_keep_line_breaks_and_restore_old_ones() {
        assert_eq!(
            MeetupTitle::parse("a\u{1b}b"),
            Err(MeetupError::ControlCharacter {
                field: "title",
                character: '\u{1b}'
            })
        );
        assert_eq!(
            MeetupDescription::parse("x\0"),
            Err(MeetupError::ControlCharacter {
                field: "description",
                character: '\0'
            })
        );
        assert!(MeetupDescription::parse("line\nline\r\n\tend").is_ok());
        assert!(MeetupTitle::restore("old\u{7}").is_ok());
        assert!(MeetupDescription::restore("old\u{8}").is_ok());
        assert_eq!(MeetupTitle::restore(" "), Err(MeetupError::TitleLength));
    }

    #[test]
    fn title_conversions() {
        assert_eq!(title("Study").to_string(), "Study");
        assert_eq!(String::from(title("Study")), "Study");
        assert_eq!(
            MeetupTitle::try_from(" Study ".to_owned()),
            Ok(title("Study"))
        );
    }

    #[test]
    fn description_is_bounded_and_verbatim() {
        assert_eq!(
            MeetupDescription::parse("").map(|d| d.as_str().to_owned()),
            Ok(String::new())
        );
        assert_eq!(MeetupDescription::empty().as_str(), "");
        let text = "  line one\n  line two\n";
        assert_eq!(
            MeetupDescription::parse(text).map(|d| d.to_string()),
            Ok(text.to_owned())
        );
        assert!(MeetupDescription::parse(&"가".repeat(2000)).is_ok());
        assert_eq!(
            MeetupDescription::parse(&"가".repeat(2001)),
            Err(MeetupError::DescriptionLength)
        );
        assert_eq!(
            MeetupDescription::try_from("x".repeat(2001)),
            Err(MeetupError::DescriptionLength)
        );
        assert_eq!(String::from(MeetupDescription::empty()), "");
    }

    #[test]
    fn capacity_range() {
        assert_eq!(capacity(2).get(), 2);
        assert_eq!(capacity(100).get(), 100);
        for value in [i64::MIN, -1, 0, 1, 101, i64::from(u32::MAX) + 2, i64::MAX] {
            assert_eq!(
                Capacity::new(value),
                Err(MeetupError::CapacityOutOfRange { value }),
                "{value}"
            );
        }
        assert_eq!(Capacity::try_from(5), Ok(capacity(5)));
        assert_eq!(i64::from(capacity(5)), 5);
    }

    #[test]
    fn status_wire_names() {
        assert_eq!(MeetupStatus::Open.as_str(), "OPEN");
        assert_eq!(MeetupStatus::Cancelled.as_str(), "CANCELLED");
        assert_eq!(MeetupStatus::Cancelled.to_string(), "CANCELLED");
        for status in [MeetupStatus::Open, MeetupStatus::Cancelled] {
            assert_eq!(status.as_str().parse::<MeetupStatus>(), Ok(status));
        }
        for bad in ["open", "CANCELED", "", "CLOSED"] {
            assert_eq!(
                bad.parse::<MeetupStatus>(),
                Err(UnknownMeetupStatus(bad.to_owned()))
            );
        }
    }

    #[test]
    fn error_messages_name_the_rule() {
        assert_eq!(
            MeetupError::TitleLength.to_string(),
            "meetup title must be 1 to 100 characters"
        );
        assert_eq!(
            MeetupError::DescriptionLength.to_string(),
            "meetup description must be at most 2000 characters"
        );
        assert_eq!(
            MeetupError::CapacityOutOfRange { value: 1 }.to_string(),
            "meetup capacity must be 2 to 100 (counting the host), got 1"
        );
        assert_eq!(
            MeetupError::StartsAtNotInFuture.to_string(),
            "meetup must start in the future"
        );
        assert_eq!(MeetupError::Full.to_string(), "meetup is full");
        assert_eq!(
            MeetupError::NotHost.to_string(),
            "only the host can cancel a meetup"
        );
    }

    // Creation.

    #[test]
    fn create_makes_an_open_meetup_with_the_host_first() {
        let m = meetup(Some(capacity(3)));
        assert_eq!(m.id(), MeetupId::new(500));
        assert_eq!(m.host_id(), HOST);
        assert_eq!(m.title().as_str(), "Study");
        assert_eq!(m.description().as_str(), "");
        assert_eq!(m.starts_at(), at(NOW + 3_600));
        assert_eq!(m.capacity(), Some(capacity(3)));
        assert_eq!(m.status(), MeetupStatus::Open);
        assert!(m.is_open());
        assert_eq!(m.participants(), [HOST]);
        assert_eq!(m.participant_count(), 1);
        assert!(m.participants_except_host().is_empty());
        assert!(!m.is_full());
        assert_eq!(m.created_at(), at(NOW));
        assert_eq!(m.updated_at(), at(NOW));
    }

    #[test]
    fn create_requires_a_start_strictly_in_the_future() {
        for starts_at in [at(NOW), at(NOW - 1), at(0)] {
            let new = NewMeetup {
                starts_at,
                ..new_meetup(None)
            };
            assert_eq!(
                Meetup::create(new, MeetupId::new(1), at(NOW)),
                Err(MeetupError::StartsAtNotInFuture)
            );
        }
        let new = NewMeetup {
            starts_at: at(NOW + 1),
            ..new_meetup(None)
        };
        assert!(Meetup::create(new, MeetupId::new(1), at(NOW)).is_ok());
    }

    // Joining.

    #[test]
    fn join_appends_in_join_order_and_touches_updated_at() {
        let mut m = meetup(None);
        assert_eq!(m.join(BOB, at(NOW + 10)), Ok(()));
        assert_eq!(m.join(ALICE, at(NOW + 20)), Ok(()));
        assert_eq!(m.participants(), [HOST, BOB, ALICE]);
        assert_eq!(m.participant_count(), 3);
        assert!(m.is_participant(ALICE));
        assert_eq!(m.updated_at(), at(NOW + 20));
        assert_eq!(m.created_at(), at(NOW));
    }

    #[test]
    fn join_without_capacity_is_never_full() {
        let mut m = meetup(None);
        for raw in 2..=150 {
            assert_eq!(m.join(UserId::new(raw), at(NOW)), Ok(()));
        }
        assert_eq!(m.participant_count(), 150);
        assert!(!m.is_full());
    }

    #[test]
    fn capacity_counts_the_host() {
        let mut m = meetup(Some(capacity(2)));
        assert_eq!(m.join(ALICE, at(NOW + 1)), Ok(()));
        assert!(m.is_full());
        assert_refused(&mut m, MeetupError::Full, |m| m.join(BOB, at(NOW + 2)));
    }

    #[test]
    fn join_refusals() {
        let mut m = meetup(Some(capacity(3)));
        assert_refused(&mut m, MeetupError::HostCannotJoin, |m| {
            m.join(HOST, at(NOW + 1))
        });
        assert_eq!(m.join(ALICE, at(NOW + 1)), Ok(()));
        assert_refused(&mut m, MeetupError::AlreadyJoined, |m| {
            m.join(ALICE, at(NOW + 2))
        });
        assert_eq!(m.join(BOB, at(NOW + 2)), Ok(()));
        assert_refused(&mut m, MeetupError::Full, |m| m.join(CAROL, at(NOW + 3)));
    }

    #[test]
    fn join_precedence_cancelled_first() {
        let mut m = meetup(Some(capacity(2)));
        assert_eq!(m.join(ALICE, at(NOW + 1)), Ok(()));
        assert!(m.cancel(HOST, at(NOW + 2)).is_ok());
        // Cancelled beats host, already joined and full.
        assert_refused(&mut m, MeetupError::Cancelled, |m| {
            m.join(HOST, at(NOW + 3))
        });
        assert_refused(&mut m, MeetupError::Cancelled, |m| {
            m.join(ALICE, at(NOW + 3))
        });
        assert_refused(&mut m, MeetupError::Cancelled, |m| m.join(BOB, at(NOW + 3)));
    }

    #[test]
    fn join_precedence_host_then_already_joined_then_full() {
        let mut m = meetup(Some(capacity(2)));
        assert_eq!(m.join(ALICE, at(NOW + 1)), Ok(()));
        assert!(m.is_full());
        // Host beats full; already joined beats full.
        assert_refused(&mut m, MeetupError::HostCannotJoin, |m| {
            m.join(HOST, at(NOW + 2))
        });
        assert_refused(&mut m, MeetupError::AlreadyJoined, |m| {
            m.join(ALICE, at(NOW + 2))
        });
    }

    #[test]
    fn join_after_leave_goes_to_the_end() {
        let mut m = meetup(None);
        assert_eq!(m.join(ALICE, at(NOW + 1)), Ok(()));
        assert_eq!(m.join(BOB, at(NOW + 2)), Ok(()));
        assert_eq!(m.leave(ALICE, at(NOW + 3)), Ok(()));
        assert_eq!(m.join(ALICE, at(NOW + 4)), Ok(()));
        assert_eq!(m.participants(), [HOST, BOB, ALICE]);
    }

    // Leaving.

    #[test]
    fn leave_removes_and_keeps_the_others_in_order() {
        let mut m = meetup(Some(capacity(4)));
        for (user, t) in [(ALICE, 1), (BOB, 2), (CAROL, 3)] {
            assert_eq!(m.join(user, at(NOW + t)), Ok(()));
        }
        assert!(m.is_full());
        assert_eq!(m.leave(BOB, at(NOW + 10)), Ok(()));
        assert_eq!(m.participants(), [HOST, ALICE, CAROL]);
        assert!(!m.is_participant(BOB));
        assert!(!m.is_full());
        assert_eq!(m.updated_at(), at(NOW + 10));
    }

    #[test]
    fn leave_refusals() {
        let mut m = meetup(None);
        assert_eq!(m.join(ALICE, at(NOW + 1)), Ok(()));
        assert_refused(&mut m, MeetupError::HostCannotLeave, |m| {
            m.leave(HOST, at(NOW + 2))
        });
        assert_refused(&mut m, MeetupError::NotAParticipant, |m| {
            m.leave(BOB, at(NOW + 2))
        });
        assert_eq!(m.leave(ALICE, at(NOW + 3)), Ok(()));
        assert_refused(&mut m, MeetupError::NotAParticipant, |m| {
            m.leave(ALICE, at(NOW + 4))
        });
    }

    #[test]
    fn leave_precedence_cancelled_first() {
        let mut m = meetup(None);
        assert_eq!(m.join(ALICE, at(NOW + 1)), Ok(()));
        assert!(m.cancel(HOST, at(NOW + 2)).is_ok());
        assert_refused(&mut m, MeetupError::Cancelled, |m| {
            m.leave(ALICE, at(NOW + 3))
        });
        assert_refused(&mut m, MeetupError::Cancelled, |m| {
            m.leave(HOST, at(NOW + 3))
        });
        assert_refused(&mut m, MeetupError::Cancelled, |m| {
            m.leave(BOB, at(NOW + 3))
        });
    }

    // Cancelling.

    #[test]
    fn cancel_returns_everyone_but_the_host() {
        let mut m = meetup(None);
        assert_eq!(m.join(BOB, at(NOW + 1)), Ok(()));
        assert_eq!(m.join(ALICE, at(NOW + 2)), Ok(()));
        assert_eq!(m.participants_except_host(), [BOB, ALICE]);
        assert_eq!(m.cancel(HOST, at(NOW + 5)), Ok(vec![BOB, ALICE]));
        assert_eq!(m.status(), MeetupStatus::Cancelled);
        assert!(!m.is_open());
        assert_eq!(m.updated_at(), at(NOW + 5));
        // The participants stay listed.
        assert_eq!(m.participants(), [HOST, BOB, ALICE]);
    }

    #[test]
    fn cancel_with_only_the_host_notifies_nobody() {
        let mut m = meetup(None);
        assert_eq!(m.cancel(HOST, at(NOW + 1)), Ok(vec![]));
    }

    #[test]
    fn cancel_refusals() {
        let mut m = meetup(None);
        assert_eq!(m.join(ALICE, at(NOW + 1)), Ok(()));
        assert_refused(&mut m, MeetupError::NotHost, |m| {
            m.cancel(ALICE, at(NOW + 2))
        });
        assert_refused(&mut m, MeetupError::NotHost, |m| m.cancel(BOB, at(NOW + 2)));
        assert!(m.cancel(HOST, at(NOW + 3)).is_ok());
        assert_refused(&mut m, MeetupError::AlreadyCancelled, |m| {
            m.cancel(HOST, at(NOW + 4))
        });
        // Not the host beats already cancelled.
        assert_refused(&mut m, MeetupError::NotHost, |m| {
            m.cancel(ALICE, at(NOW + 4))
        });
    }

    // Restoring.

    fn stored(participants: Vec<UserId>, capacity: Option<Capacity>) -> StoredMeetup {
        StoredMeetup {
            id: MeetupId::new(9),
            host_id: HOST,
            title: title("Stored"),
            description: MeetupDescription::empty(),
            starts_at: at(NOW - 100),
            capacity,
            status: MeetupStatus::Open,
            participants,
            created_at: at(NOW - 1_000),
            updated_at: at(NOW - 500),
        }
    }

    #[test]
    fn restore_keeps_fields_without_validation() {
        let m = Meetup::restore(StoredMeetup {
            status: MeetupStatus::Cancelled,
            ..stored(vec![HOST, ALICE], None)
        });
        assert_eq!(m.id(), MeetupId::new(9));
        assert_eq!(m.title().as_str(), "Stored");
        // Started in the past: restoring does not refuse it.
        assert_eq!(m.starts_at(), at(NOW - 100));
        assert_eq!(m.status(), MeetupStatus::Cancelled);
        assert_eq!(m.created_at(), at(NOW - 1_000));
        assert_eq!(m.updated_at(), at(NOW - 500));
        assert_eq!(m.participants(), [HOST, ALICE]);
    }

    #[test]
    fn restore_puts_the_host_first_and_drops_duplicates() {
        let m = Meetup::restore(stored(vec![ALICE, BOB], None));
        assert_eq!(m.participants(), [HOST, ALICE, BOB]);
        let m = Meetup::restore(stored(vec![ALICE, HOST, BOB, ALICE], None));
        assert_eq!(m.participants(), [HOST, ALICE, BOB]);
        let m = Meetup::restore(stored(vec![], None));
        assert_eq!(m.participants(), [HOST]);
    }

    #[test]
    fn restore_over_capacity_is_full() {
        let mut m = Meetup::restore(stored(vec![ALICE, BOB], Some(capacity(2))));
        assert_eq!(m.participant_count(), 3);
        assert!(m.is_full());
        assert_refused(&mut m, MeetupError::Full, |m| m.join(CAROL, at(NOW)));
    }

    #[test]
    fn joining_a_meetup_that_already_started_is_allowed() {
        let mut m = Meetup::restore(stored(vec![], None));
        assert_eq!(m.join(ALICE, at(NOW)), Ok(()));
    }

    #[derive(Debug, Clone)]
    enum Action {
        Join(i64),
        Leave(i64),
        Cancel(i64),
    }

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            6 => (1_i64..8).prop_map(Action::Join),
            3 => (1_i64..8).prop_map(Action::Leave),
            1 => (1_i64..8).prop_map(Action::Cancel),
        ]
    }

    proptest! {
        #[test]
        fn invariants_hold_under_any_sequence(
            cap in proptest::option::of(2_i64..6),
            actions in proptest::collection::vec(action(), 0..40),
        ) {
            let mut m = meetup(cap.map(capacity));
            for (step, action) in actions.into_iter().enumerate() {
                let now = at(NOW + 1 + i64::try_from(step).unwrap_or(0));
                let before = m.clone();
                let outcome = match action {
                    Action::Join(u) => m.join(UserId::new(u), now),
                    Action::Leave(u) => m.leave(UserId::new(u), now),
                    Action::Cancel(u) => m.cancel(UserId::new(u), now).map(|_| ()),
                };
                if outcome.is_err() {
                    prop_assert_eq!(&m, &before);
                } else {
                    prop_assert_eq!(m.updated_at(), now);
                }
                prop_assert_eq!(m.participants().first(), Some(&HOST));
                let mut seen = m.participants().to_vec();
                seen.sort();
                seen.dedup();
                prop_assert_eq!(seen.len(), m.participant_count());
                if let Some(c) = m.capacity() {
                    prop_assert!(m.participant_count() <= usize::try_from(c.get()).unwrap_or(usize::MAX));
                }
            }
        }
    }
}
