//! The following rules (`notifications-sse.md`, "Following").
//!
//! - A user cannot follow themselves ([`Follow::new`], 400 `CANNOT_FOLLOW_SELF` at the edge).
//! - Following notifies the followed user with a `FOLLOW` notification, but not again for a
//!   repeated follow within 24 hours ([`should_notify_follow`]). The suppression holds across
//!   unfollow and re-follow, so it keys on the last *notification*, not on the follow row.
//! - Two users who follow each other are friends; that is a query over follows, not a value here.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::UserId;
use crate::time::Timestamp;

/// How long after a `FOLLOW` notification another follow of the same followee by the same
/// follower stays silent: 24 hours.
pub const FOLLOW_NOTIFICATION_COOLDOWN_SECONDS: i64 = 86_400;

/// Why a follow was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum FollowError {
    /// The follower and the followee are the same user.
    #[error("a user cannot follow themselves")]
    CannotFollowSelf,
}

/// One user following another. Never a self-follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "FollowParts", into = "FollowParts")]
pub struct Follow {
    follower: UserId,
    followee: UserId,
}

/// The unchecked shape of a [`Follow`], so that deserialising goes through [`Follow::new`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct FollowParts {
    follower: UserId,
    followee: UserId,
}

impl Follow {
    /// `follower` follows `followee`.
    ///
    /// # Errors
    /// [`FollowError::CannotFollowSelf`] when both are the same user.
    pub fn new(follower: UserId, followee: UserId) -> Result<Self, FollowError> {
        if follower == followee {
            return Err(FollowError::CannotFollowSelf);
        }
        Ok(Self { follower, followee })
    }

    /// The user who follows.
    pub fn follower(self) -> UserId {
        self.follower
    }

    /// The user who is followed (and receives the `FOLLOW` notification).
    pub fn followee(self) -> UserId {
        self.followee
    }
}

impl TryFrom<FollowParts> for Follow {
    type Error = FollowError;

    fn try_from(parts: FollowParts) -> Result<Self, Self::Error> {
        Self::new(parts.follower, parts.followee)
    }
}

impl From<Follow> for FollowParts {
    fn from(follow: Follow) -> Self {
        Self {
            follower: follow.follower,
            followee: follow.followee,
        }
    }
}

/// Whether a follow made at `now` sends a `FOLLOW` notification to the followee.
///
/// `last_notified` is when this follower last caused a `FOLLOW` notification to this followee,
/// or `None` if never. The caller keeps that time per (follower, followee) pair and does not
/// clear it on unfollow, so that unfollowing and re-following does not notify again within
/// [`FOLLOW_NOTIFICATION_COOLDOWN_SECONDS`]. The caller also calls this for a repeated follow
/// (already following): the answer is the same rule.
///
/// Returns `true` when never notified, or when at least 24 hours (86 400 s) have passed. A
/// `last_notified` later than `now` (clock skew between instances) counts as recent: no
/// notification.
pub fn should_notify_follow(last_notified: Option<Timestamp>, now: Timestamp) -> bool {
    match last_notified {
        None => true,
        Some(last) => now.seconds_since(last) >= FOLLOW_NOTIFICATION_COOLDOWN_SECONDS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        let Some(instant) = Timestamp::from_unix_seconds(seconds) else {
            panic!("valid instant {seconds}")
        };
        instant
    }

    #[test]
    fn follow_keeps_both_sides() {
        let Ok(follow) = Follow::new(UserId::new(1), UserId::new(2)) else {
            panic!("distinct users may follow")
        };
        assert_eq!(follow.follower(), UserId::new(1));
        assert_eq!(follow.followee(), UserId::new(2));
    }

    #[test]
    fn follow_is_directed() {
        assert_ne!(
            Follow::new(UserId::new(1), UserId::new(2)),
            Follow::new(UserId::new(2), UserId::new(1))
        );
    }

    #[test]
    fn self_follow_is_refused() {
        assert_eq!(
            Follow::new(UserId::new(7), UserId::new(7)),
            Err(FollowError::CannotFollowSelf)
        );
    }

    #[test]
    fn self_follow_message() {
        assert_eq!(
            FollowError::CannotFollowSelf.to_string(),
            "a user cannot follow themselves"
        );
    }

    #[test]
    fn cooldown_is_one_day() {
        assert_eq!(FOLLOW_NOTIFICATION_COOLDOWN_SECONDS, 24 * 60 * 60);
    }

    #[test]
    fn first_follow_notifies() {
        assert!(should_notify_follow(None, at(1_700_000_000)));
    }

    #[test]
    fn follow_within_a_day_is_silent() {
        let last = at(1_700_000_000);
        assert!(!should_notify_follow(Some(last), last));
        assert!(!should_notify_follow(Some(last), at(1_700_000_000 + 60)));
        assert!(!should_notify_follow(
            Some(last),
            at(1_700_000_000 + FOLLOW_NOTIFICATION_COOLDOWN_SECONDS - 1)
        ));
    }

    #[test]
    fn follow_a_day_later_notifies_again() {
        let last = at(1_700_000_000);
        assert!(should_notify_follow(
            Some(last),
            at(1_700_000_000 + FOLLOW_NOTIFICATION_COOLDOWN_SECONDS)
        ));
        assert!(should_notify_follow(
            Some(last),
            at(1_700_000_000 + 10 * FOLLOW_NOTIFICATION_COOLDOWN_SECONDS)
        ));
    }

    #[test]
    fn last_notification_in_the_future_is_silent() {
        assert!(!should_notify_follow(
            Some(at(1_700_000_100)),
            at(1_700_000_000)
        ));
    }

    #[test]
    fn unfollow_and_refollow_keeps_the_suppression() {
        // The caller remembers the last notification time across unfollow/re-follow:
        // follow at t0 (notified), unfollow, re-follow an hour later (silent), a day later (notified).
        let t0 = at(1_700_000_000);
        assert!(should_notify_follow(None, t0));
        let last = Some(t0);
        assert!(!should_notify_follow(last, at(1_700_000_000 + 3_600)));
        assert!(should_notify_follow(last, at(1_700_000_000 + 86_400)));
    }
}
