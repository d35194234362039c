//! Server messages of `/v1/ws/timers`, written as envelopes.
//!
//! `timer-api.md`, "Envelope": server → client `{type, payload, from_user?, timestamp,
//! request_id?}` with `timestamp` always UTC with `Z`.

use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use super::codes::WsError;
use crate::edge::dto::TimerDto;
use crate::edge::timezone::render_envelope_timestamp;
use crate::http::follows::FriendTimerDto;

/// `timer.friend_activity`'s `action` when a friend's timer left the caller's sight.
pub const HIDDEN_ACTION: &str = "hidden";

/// `connected`'s fixed text, as the original guide shows it.
pub const CONNECTED_MESSAGE: &str = "Connected to timer WebSocket";

/// Server message types.
pub mod kind {
    /// First message of every session.
    pub const CONNECTED: &str = "connected";
    /// Reply to `timer.create` and its fan-out.
    pub const CREATED: &str = "timer.created";
    /// Reply to every other command, REST patches, and `timer.sync` with `timer_id`.
    pub const UPDATED: &str = "timer.updated";
    /// A timer was deleted over REST.
    pub const DELETED: &str = "timer.deleted";
    /// A running timer's time is up (its running time reached its allocation).
    pub const TIME_UP: &str = "timer.time_up";
    /// The list of timers, after connecting and for `timer.sync` without `timer_id`.
    pub const SYNC_RESULT: &str = "timer.sync_result";
    /// A friend's timer changed state, or left the caller's sight (`action: "hidden"`).
    pub const FRIEND_ACTIVITY: &str = "timer.friend_activity";
    /// Friends' active timers the caller may see, right after each automatic
    /// `timer.sync_result` (on connect and on a server resync).
    pub const FRIENDS_SNAPSHOT: &str = "timer.friends_snapshot";
    /// A refusal; the connection stays open.
    pub const ERROR: &str = "error";
}

/// A server message.
#[derive(Serialize)]
struct Envelope<'a, P> {
    #[serde(rename = "type")]
    kind: &'a str,
    payload: P,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_user: Option<String>,
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

/// Writes a server message as JSON text.
pub fn encode<P: Serialize>(
    kind: &str,
    payload: P,
    from_user: Option<UserId>,
    now: Timestamp,
    request_id: Option<&str>,
) -> String {
    let envelope = Envelope {
        kind,
        payload,
        from_user: from_user.map(|u| u.to_string()),
        timestamp: render_envelope_timestamp(now),
        request_id,
    };
    match serde_json::to_string(&envelope) {
        Ok(text) => text,
        Err(error) => {
            // Only reachable through a bug in a payload type; the client still gets a reply.
            let error = WsError::internal(&error);
            let fallback = Envelope {
                kind: kind::ERROR,
                payload: ErrorPayload {
                    code: error.code.as_str(),
                    message: &error.message,
                },
                from_user: None,
                timestamp: render_envelope_timestamp(now),
                request_id,
            };
            serde_json::to_string(&fallback).unwrap_or_default()
        }
    }
}

/// `connected`.
#[derive(Serialize)]
pub struct ConnectedPayload {
    /// The caller's id, decimal.
    pub user_id: String,
    /// [`CONNECTED_MESSAGE`].
    pub message: &'static str,
}

/// `timer.created` / `timer.updated`.
#[derive(Serialize)]
pub struct TimerPayload<'a> {
    /// The timer.
    pub timer: &'a TimerDto,
    /// `start`, `pause`, `resume`, `stop`, `cancel`, `update` or `sync`.
    pub action: &'a str,
}

/// `timer.sync_result`.
#[derive(Serialize)]
pub struct SyncPayload<'a> {
    /// The timers, newest first.
    pub timers: &'a [TimerDto],
    /// How many.
    pub count: usize,
}

/// `timer.friends_snapshot`: the first page of `GET /api/v1/users/me/friends/active`.
#[derive(Serialize)]
pub struct FriendsSnapshotPayload<'a> {
    /// Friends' RUNNING or PAUSED timers they let friends see, one item per timer, most
    /// recently changed first.
    pub friends: &'a [FriendTimerDto],
    /// How many items.
    pub count: usize,
    /// There are more than fit the snapshot: pass this as `cursor` to
    /// `GET /api/v1/users/me/friends/active` for the rest; null when this is all.
    pub next_cursor: Option<String>,
}

/// `timer.time_up`.
#[derive(Serialize)]
pub struct TimeUpPayload<'a> {
    /// The timer, still RUNNING, rendered in the connection's zone.
    pub timer: &'a TimerDto,
    /// When its running time reached its allocation (or the change that made it due at once),
    /// in the connection's zone.
    pub due_at: String,
    /// Whether it went off more than 2 s after `due_at` (no instance was running then, or the
    /// schedulers were far behind).
    pub late: bool,
}

/// `timer.deleted`.
#[derive(Serialize)]
pub struct DeletedPayload {
    /// The deleted timer.
    pub timer_id: Uuid,
}

/// `timer.friend_activity`.
#[derive(Serialize)]
pub struct FriendActivityPayload<'a> {
    /// The friend who acted, decimal.
    pub friend_id: String,
    /// The friend's current nickname.
    pub display_name: &'a str,
    /// `start`, `pause`, `resume`, `stop` or `cancel`; `hidden` when the timer left the
    /// caller's sight (made private, or the friendship ended): drop it.
    pub action: &'a str,
    /// The friend's timer.
    pub timer_id: Uuid,
    /// Its title, or null.
    pub timer_title: Option<&'a str>,
}

/// `error`.
#[derive(Serialize)]
pub struct ErrorPayload<'a> {
    /// The code.
    pub code: &'a str,
    /// The text.
    pub message: &'a str,
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn envelopes_carry_a_utc_timestamp_and_only_given_fields() -> Result<(), serde_json::Error> {
        let Some(now) = Timestamp::from_unix_seconds(1_769_594_400) else {
            panic!("valid instant")
        };
        let text = encode(
            kind::ERROR,
            ErrorPayload {
                code: "X",
                message: "m",
            },
            None,
            now,
            None,
        );
        let value: Value = serde_json::from_str(&text)?;
        assert_eq!(
            value,
            serde_json::json!({"type": "error", "payload": {"code": "X", "message": "m"},
                               "timestamp": "2026-01-28T10:00:00Z"})
        );
        let text = encode(
            kind::DELETED,
            DeletedPayload {
                timer_id: Uuid::nil(),
            },
            Some(UserId::new(7)),
            now,
            Some("r"),
        );
        let value: Value = serde_json::from_str(&text)?;
        assert_eq!(value["from_user"], "7");
        assert_eq!(value["request_id"], "r");
        Ok(())
    }
}
