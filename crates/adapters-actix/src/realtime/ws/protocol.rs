//! The wire protocol of `/v1/ws/timers`: client messages parsed into commands, server messages
//! written as envelopes, the error codes, and the stored form of a reply for idempotent replays.
//!
//! `timer-api.md`, "Envelope": client → server `{type, payload, request_id?}` where a missing
//! `payload` counts as `{}`, unknown keys are ignored and `null` for an optional field means
//! absent; server → client `{type, payload, from_user?, timestamp, request_id?}` with `timestamp`
//! always UTC with `Z`. Every refusal names the field or rule it is about.

use std::fmt;

use chrono::{DateTime, Offset as _, Utc};
use hourglass_domain::ids::{ScheduleId, TagId, TimerId, TodoId, UserId};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{NewTimer, TimerCommand};
use hourglass_domain::validation::{
    AllocatedDuration, Description, Title, ValidationError, Visibility,
};
use hourglass_ports::error::StorageError;
use hourglass_ports::service::timer::SyncScope;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::edge::dto::{PauseEventDto, TimerDto};
use crate::edge::error::ErrorChain;
use crate::edge::timezone::{RenderZone, render_envelope_timestamp};

/// Longest accepted `request_id`, in characters.
pub const MAX_REQUEST_ID_CHARS: usize = 64;

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
    /// The list of timers, after connecting and for `timer.sync` without `timer_id`.
    pub const SYNC_RESULT: &str = "timer.sync_result";
    /// A friend's timer changed state.
    pub const FRIEND_ACTIVITY: &str = "timer.friend_activity";
    /// A refusal; the connection stays open.
    pub const ERROR: &str = "error";
}

/// Every client message `type`.
pub const CLIENT_TYPES: [&str; 6] = [
    "timer.create",
    "timer.pause",
    "timer.resume",
    "timer.stop",
    "timer.cancel",
    "timer.sync",
];

/// What a client asked for, validated as far as the wire format goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCommand {
    /// `timer.create`.
    Create(CreateTimer),
    /// `timer.pause`, `timer.resume`, `timer.stop`, `timer.cancel`.
    Control {
        /// Which transition.
        command: TimerCommand,
        /// On which of the caller's timers.
        timer_id: TimerId,
    },
    /// `timer.sync`.
    Sync {
        /// One timer (reply `timer.updated{action:"sync"}`), or the list.
        timer_id: Option<TimerId>,
        /// Which list.
        scope: SyncScope,
    },
}

impl ClientCommand {
    /// The client message `type` this command came as.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Create(_) => "timer.create",
            Self::Control { command, .. } => control_type(*command),
            Self::Sync { .. } => "timer.sync",
        }
    }
}

fn control_type(command: TimerCommand) -> &'static str {
    match command {
        TimerCommand::Pause => "timer.pause",
        TimerCommand::Resume => "timer.resume",
        TimerCommand::Stop => "timer.stop",
        TimerCommand::Cancel => "timer.cancel",
    }
}

/// The payload of `timer.create`, before the domain's range checks (those answer
/// `CREATE_FAILED`, not `INVALID_MESSAGE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTimer {
    /// Required.
    pub allocated_duration: i64,
    /// Optional.
    pub title: Option<String>,
    /// Optional.
    pub description: Option<String>,
    /// Optional link.
    pub schedule_id: Option<ScheduleId>,
    /// Optional link.
    pub todo_id: Option<TodoId>,
    /// Optional tags (absent = none).
    pub tag_ids: Vec<TagId>,
    /// Optional; default `friends`.
    pub visibility: Visibility,
}

impl CreateTimer {
    /// The domain's new timer for `owner`.
    ///
    /// # Errors
    /// The first [`ValidationError`] (range or length), which becomes `CREATE_FAILED`.
    pub fn into_new_timer(self, owner: UserId) -> Result<NewTimer, ValidationError> {
        Ok(NewTimer {
            owner_id: owner,
            allocated_duration: AllocatedDuration::new(self.allocated_duration)?,
            title: self.title.map(Title::new).transpose()?,
            description: self.description.map(Description::new).transpose()?,
            schedule_id: self.schedule_id,
            todo_id: self.todo_id,
            tag_ids: self.tag_ids,
            visibility: self.visibility,
        })
    }
}

/// A client message: its `request_id` (when valid, so errors can echo it) and what it asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The `type` field when it names a client message type, even if the rest of the message
    /// is refused (the metrics count messages by type).
    pub type_name: Option<&'static str>,
    /// The valid `request_id`, if one was given.
    pub request_id: Option<String>,
    /// The command, or why the message was refused.
    pub command: Result<ClientCommand, WsError>,
}

/// Parses one text frame.
pub fn parse_message(text: &str) -> Inbound {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => {
            return Inbound {
                type_name: None,
                request_id: None,
                command: Err(WsError::invalid(format!(
                    "the message is not valid JSON: {error}"
                ))),
            };
        }
    };
    let Value::Object(mut envelope) = value else {
        return Inbound {
            type_name: None,
            request_id: None,
            command: Err(WsError::invalid("the message must be a JSON object")),
        };
    };
    let type_name = envelope
        .get("type")
        .and_then(Value::as_str)
        .and_then(|name| CLIENT_TYPES.into_iter().find(|known| *known == name));
    let request_id = match parse_request_id(envelope.remove("request_id")) {
        Ok(id) => id,
        Err(error) => {
            return Inbound {
                type_name,
                request_id: None,
                command: Err(error),
            };
        }
    };
    let command = parse_command(envelope);
    Inbound {
        type_name,
        request_id,
        command,
    }
}

/// Best effort: the `request_id` of a message that will not be processed (rate limit), so the
/// error can still carry it.
pub fn peek_request_id(text: &str) -> Option<String> {
    // Read as the envelope object `parse_message` reads, so only a `request_id` that the full
    // parse would echo is found (a derived struct would also accept a JSON array `["id"]`).
    let Value::Object(mut envelope) = serde_json::from_str(text).ok()? else {
        return None;
    };
    parse_request_id(envelope.remove("request_id"))
        .ok()
        .flatten()
}

fn parse_request_id(value: Option<Value>) -> Result<Option<String>, WsError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(id)) => {
            let chars = id.chars().count();
            if chars == 0 || chars > MAX_REQUEST_ID_CHARS {
                Err(WsError::invalid(format!(
                    "request_id must be 1 to {MAX_REQUEST_ID_CHARS} characters, got {chars}"
                )))
            } else {
                Ok(Some(id))
            }
        }
        Some(_) => Err(WsError::invalid("request_id must be a string")),
    }
}

fn parse_command(mut envelope: Map<String, Value>) -> Result<ClientCommand, WsError> {
    let kind = match envelope.remove("type") {
        None | Some(Value::Null) => return Err(WsError::invalid("type is required")),
        Some(Value::String(kind)) => kind,
        Some(_) => return Err(WsError::invalid("type must be a string")),
    };
    let payload = match envelope.remove("payload") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(payload)) => payload,
        Some(_) => return Err(WsError::invalid("payload must be a JSON object")),
    };
    let mut payload = Payload(payload);
    match kind.as_str() {
        "timer.create" => Ok(ClientCommand::Create(CreateTimer {
            allocated_duration: payload.required_integer("allocated_duration")?,
            title: payload.optional_string("title")?,
            description: payload.optional_string("description")?,
            schedule_id: payload.optional_uuid("schedule_id")?.map(ScheduleId::new),
            todo_id: payload.optional_uuid("todo_id")?.map(TodoId::new),
            tag_ids: payload.optional_uuid_list("tag_ids")?,
            visibility: match payload.optional_string("visibility")? {
                None => Visibility::default(),
                Some(raw) => raw
                    .parse()
                    .map_err(|e: ValidationError| WsError::invalid(format!("payload.{e}")))?,
            },
        })),
        "timer.pause" | "timer.resume" | "timer.stop" | "timer.cancel" => {
            let command = match kind.as_str() {
                "timer.pause" => TimerCommand::Pause,
                "timer.resume" => TimerCommand::Resume,
                "timer.stop" => TimerCommand::Stop,
                _ => TimerCommand::Cancel,
            };
            let Some(timer_id) = payload.optional_uuid("timer_id")? else {
                return Err(WsError::invalid("payload.timer_id is required"));
            };
            Ok(ClientCommand::Control {
                command,
                timer_id: TimerId::new(timer_id),
            })
        }
        "timer.sync" => Ok(ClientCommand::Sync {
            timer_id: payload.optional_uuid("timer_id")?.map(TimerId::new),
            scope: match payload.optional_string("scope")?.as_deref() {
                None | Some("active") => SyncScope::Active,
                Some("all") => SyncScope::All,
                Some(other) => {
                    return Err(WsError::invalid(format!(
                        "payload.scope must be one of active, all, got {other:?}"
                    )));
                }
            },
        }),
        other => Err(WsError::new(
            Code::UnknownType,
            format!(
                "unknown message type {other:?}; expected timer.create, timer.pause, \
                 timer.resume, timer.stop, timer.cancel or timer.sync"
            ),
        )),
    }
}

/// A payload object read field by field; `null` counts as absent, unknown keys are ignored.
struct Payload(Map<String, Value>);

impl Payload {
    fn take(&mut self, field: &str) -> Option<Value> {
        self.0.remove(field).filter(|v| !v.is_null())
    }

    fn required_integer(&mut self, field: &str) -> Result<i64, WsError> {
        match self.take(field) {
            None => Err(WsError::invalid(format!("payload.{field} is required"))),
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
                WsError::invalid(format!("payload.{field} must be an integer, got {n}"))
            }),
            Some(_) => Err(WsError::invalid(format!(
                "payload.{field} must be an integer"
            ))),
        }
    }

    fn optional_string(&mut self, field: &str) -> Result<Option<String>, WsError> {
        match self.take(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(WsError::invalid(format!(
                "payload.{field} must be a string"
            ))),
        }
    }

    fn optional_uuid(&mut self, field: &str) -> Result<Option<Uuid>, WsError> {
        self.optional_string(field)?
            .map(|raw| uuid_of(field, &raw))
            .transpose()
    }

    fn optional_uuid_list(&mut self, field: &str) -> Result<Vec<TagId>, WsError> {
        match self.take(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| match item {
                    Value::String(raw) => {
                        uuid_of(&format!("{field}[{index}]"), &raw).map(TagId::new)
                    }
                    _ => Err(WsError::invalid(format!(
                        "payload.{field}[{index}] must be a UUID string"
                    ))),
                })
                .collect(),
            Some(_) => Err(WsError::invalid(format!(
                "payload.{field} must be an array of UUID strings"
            ))),
        }
    }
}

fn uuid_of(field: &str, raw: &str) -> Result<Uuid, WsError> {
    Uuid::parse_str(raw)
        .map_err(|_| WsError::invalid(format!("payload.{field} is not a valid UUID: {raw:?}")))
}

/// The error codes of the contract's "Errors" table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Malformed message.
    InvalidMessage,
    /// Not a client message type.
    UnknownType,
    /// Missing or someone else's timer.
    TimerNotFound,
    /// `timer.create` refused.
    CreateFailed,
    /// `timer.pause` refused.
    PauseFailed,
    /// `timer.resume` refused.
    ResumeFailed,
    /// `timer.stop` refused.
    StopFailed,
    /// `timer.cancel` refused.
    CancelFailed,
    /// `timer.sync` refused.
    SyncFailed,
    /// Too many messages on this connection.
    RateLimitExceeded,
    /// The database cannot be reached.
    ServiceUnavailable,
    /// A server fault (logged under an id).
    InternalError,
}

impl Code {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidMessage => "INVALID_MESSAGE",
            Self::UnknownType => "UNKNOWN_TYPE",
            Self::TimerNotFound => "TIMER_NOT_FOUND",
            Self::CreateFailed => "CREATE_FAILED",
            Self::PauseFailed => "PAUSE_FAILED",
            Self::ResumeFailed => "RESUME_FAILED",
            Self::StopFailed => "STOP_FAILED",
            Self::CancelFailed => "CANCEL_FAILED",
            Self::SyncFailed => "SYNC_FAILED",
            Self::RateLimitExceeded => "RATE_LIMIT_EXCEEDED",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }

    /// The `*_FAILED` code of a state-machine command.
    pub fn failed(command: TimerCommand) -> Self {
        match command {
            TimerCommand::Pause => Self::PauseFailed,
            TimerCommand::Resume => Self::ResumeFailed,
            TimerCommand::Stop => Self::StopFailed,
            TimerCommand::Cancel => Self::CancelFailed,
        }
    }
}

/// An `error` message: a code and a text naming the field or rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsError {
    /// The code.
    pub code: Code,
    /// The text.
    pub message: String,
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl WsError {
    /// An error with this code and text.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `INVALID_MESSAGE`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidMessage, message)
    }

    /// `TIMER_NOT_FOUND`.
    pub fn timer_not_found() -> Self {
        Self::new(
            Code::TimerNotFound,
            "timer not found: it does not exist or is not yours",
        )
    }

    /// `SERVICE_UNAVAILABLE` or `INTERNAL_ERROR` for a storage failure, logged once here.
    pub fn storage(error: &StorageError) -> Self {
        match error {
            StorageError::Unavailable(_) => {
                tracing::warn!(error = %ErrorChain(error), "websocket: storage unavailable");
                Self::new(
                    Code::ServiceUnavailable,
                    "the service is temporarily unavailable; retry later",
                )
            }
            StorageError::Unknown(_) => Self::internal(error),
        }
    }

    /// `INTERNAL_ERROR`, logging the cause under an id the message repeats.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let id = Uuid::now_v7().simple().to_string();
        tracing::error!(error_id = %id, error = %ErrorChain(cause), "websocket: internal error");
        Self::new(Code::InternalError, format!("internal error (id {id})"))
    }
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
    /// `start`, `pause`, `resume`, `stop` or `cancel`.
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

/// A successful command's reply as remembered for replays: the timer as it was then, with its
/// datetimes in UTC (`+00:00`) so that a replay can be written in the sender's current zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReply {
    /// `timer.created` or `timer.updated`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The reply's `action`.
    pub action: String,
    /// The timer, rendered with [`stored_zone`].
    pub timer: TimerDto,
}

/// The zone replies are stored in: UTC with an explicit `+00:00`, so every instant parses back.
pub fn stored_zone() -> RenderZone {
    RenderZone::Fixed(Utc.fix())
}

impl StoredReply {
    /// The timer with every datetime rewritten in `zone`.
    ///
    /// # Errors
    /// A stored datetime that does not parse (corrupt record).
    pub fn timer_in(&self, zone: &RenderZone) -> Result<TimerDto, chrono::ParseError> {
        let mut timer = self.timer.clone();
        let rezone = |raw: &str| -> Result<String, chrono::ParseError> {
            let instant = DateTime::parse_from_rfc3339(raw)?.with_timezone(&Utc);
            Ok(zone.render(Timestamp::from_utc(instant)))
        };
        timer.started_at = rezone(&timer.started_at)?;
        timer.paused_at = timer.paused_at.as_deref().map(rezone).transpose()?;
        timer.ended_at = timer.ended_at.as_deref().map(rezone).transpose()?;
        timer.created_at = rezone(&timer.created_at)?;
        timer.updated_at = rezone(&timer.updated_at)?;
        timer.pause_history = timer
            .pause_history
            .iter()
            .map(|event| {
                Ok(PauseEventDto {
                    action: event.action.clone(),
                    at: rezone(&event.at)?,
                    elapsed: event.elapsed,
                })
            })
            .collect::<Result<_, chrono::ParseError>>()?;
        Ok(timer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> WsError {
        match parse_message(text).command {
            Ok(command) => panic!("{text} was accepted as {command:?}"),
            Err(error) => error,
        }
    }

    fn accepted(text: &str) -> ClientCommand {
        match parse_message(text).command {
            Ok(command) => command,
            Err(error) => panic!("{text} was refused: {error}"),
        }
    }

    const ID: &str = "01944f2a-0000-7000-8000-000000000001";

    #[test]
    fn malformed_envelopes_are_invalid_messages_naming_the_problem() {
        for (text, needle) in [
            ("nope", "not valid JSON"),
            ("[1]", "JSON object"),
            ("{}", "type is required"),
            (r#"{"type": 5}"#, "type must be a string"),
            (r#"{"type": "timer.sync", "payload": 3}"#, "payload"),
            (r#"{"type": "timer.pause", "payload": {}}"#, "timer_id"),
            (
                r#"{"type": "timer.pause", "payload": {"timer_id": "x"}}"#,
                "timer_id",
            ),
            (
                r#"{"type": "timer.create", "payload": {}}"#,
                "allocated_duration",
            ),
            (
                r#"{"type": "timer.create", "payload": {"allocated_duration": "60"}}"#,
                "allocated_duration",
            ),
            (
                r#"{"type": "timer.create", "payload": {"allocated_duration": 1.5}}"#,
                "allocated_duration",
            ),
            (
                r#"{"type": "timer.create", "payload": {"allocated_duration": 60, "visibility": "secret"}}"#,
                "visibility",
            ),
            (
                r#"{"type": "timer.create", "payload": {"allocated_duration": 60, "tag_ids": ["x"]}}"#,
                "tag_ids[0]",
            ),
            (
                r#"{"type": "timer.sync", "payload": {"scope": "mine"}}"#,
                "scope",
            ),
        ] {
            let error = refused(text);
            assert_eq!(error.code, Code::InvalidMessage, "{text}");
            assert!(error.message.contains(needle), "{text}: {}", error.message);
        }
    }

    #[test]
    fn unknown_types_are_unknown_type() {
        assert_eq!(
            refused(r#"{"type": "timer.explode"}"#).code,
            Code::UnknownType
        );
    }

    #[test]
    fn missing_payload_nulls_and_unknown_keys_are_tolerated() {
        assert_eq!(
            accepted(r#"{"type": "timer.sync"}"#),
            ClientCommand::Sync {
                timer_id: None,
                scope: SyncScope::Active
            }
        );
        assert_eq!(
            accepted(
                r#"{"type": "timer.sync", "payload": {"timer_id": null, "scope": "all", "x": 1}, "extra": true}"#
            ),
            ClientCommand::Sync {
                timer_id: None,
                scope: SyncScope::All
            }
        );
        let ClientCommand::Create(create) = accepted(
            r#"{"type": "timer.create", "payload": {"allocated_duration": 0, "title": null, "tag_ids": null}}"#,
        ) else {
            panic!("a create")
        };
        assert_eq!(create.allocated_duration, 0, "range is the domain's job");
        assert_eq!(create.visibility, Visibility::Friends);
        assert!(
            accepted(&format!(
                r#"{{"type": "timer.cancel", "payload": {{"timer_id": "{ID}"}}}}"#
            ))
            .type_name()
                == "timer.cancel"
        );
    }

    #[test]
    fn the_type_is_known_even_when_the_message_is_refused() {
        let ok = parse_message(r#"{"type": "timer.sync", "request_id": "abc"}"#);
        assert_eq!(ok.type_name, Some("timer.sync"));
        let refused = parse_message(r#"{"type": "timer.pause", "payload": {}}"#);
        assert!(refused.command.is_err());
        assert_eq!(refused.type_name, Some("timer.pause"));
        let bad_id = parse_message(r#"{"type": "timer.stop", "request_id": 5}"#);
        assert_eq!(bad_id.type_name, Some("timer.stop"));
        assert_eq!(parse_message(r#"{"type": "timer.fly"}"#).type_name, None);
        assert_eq!(parse_message("[1]").type_name, None);
    }

    #[test]
    fn request_ids_are_bounded() {
        let ok = parse_message(r#"{"type": "timer.sync", "request_id": "abc"}"#);
        assert_eq!(ok.request_id.as_deref(), Some("abc"));
        let long = format!(
            r#"{{"type": "timer.sync", "request_id": "{}"}}"#,
            "x".repeat(65)
        );
        let parsed = parse_message(&long);
        assert_eq!(parsed.request_id, None);
        assert!(matches!(
            parsed.command,
            Err(WsError {
                code: Code::InvalidMessage,
                ..
            })
        ));
        assert_eq!(
            peek_request_id(r#"{"request_id": "r9", "type": 1}"#).as_deref(),
            Some("r9")
        );
    }

    /// Found by the `ws_message` fuzz target's property (fuzz/regressions/ws_message): peek must
    /// never find a `request_id` that the full parse would not echo.
    #[test]
    fn peek_finds_only_the_request_id_the_full_parse_echoes() {
        for text in [
            r#"["abc"]"#,
            r#"["abc", 1]"#,
            r#"{"request_id": 5}"#,
            r#"{"request_id": ""}"#,
            "nope",
        ] {
            assert_eq!(peek_request_id(text), None, "{text}");
            assert_eq!(parse_message(text).request_id, None, "{text}");
        }
        // With a repeated key both read the last value, as serde_json's map keeps it.
        let repeated = r#"{"request_id": "a", "request_id": "b", "type": "timer.sync"}"#;
        assert_eq!(peek_request_id(repeated).as_deref(), Some("b"));
        assert_eq!(parse_message(repeated).request_id.as_deref(), Some("b"));
    }

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
