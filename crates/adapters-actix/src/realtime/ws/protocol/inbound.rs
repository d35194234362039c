//! Client messages of `/v1/ws/timers`, parsed into commands.
//!
//! `timer-api.md`, "Envelope": client → server `{type, payload, request_id?}` where a missing
//! `payload` counts as `{}`, unknown keys are ignored and `null` for an optional field means
//! absent. Every refusal names the field or rule it is about.

use hourglass_domain::ids::{ScheduleId, TagId, TimerId, TodoId, UserId};
use hourglass_domain::timer::{NewTimer, TimerCommand};
use hourglass_domain::validation::{
    AllocatedDuration, Description, Title, ValidationError, Visibility,
};
use hourglass_ports::service::timer::SyncScope;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::codes::{Code, WsError};

/// Longest accepted `request_id`, in characters.
pub const MAX_REQUEST_ID_CHARS: usize = 64;

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
            } else if let Some(control) = id.chars().find(char::is_ascii_control) {
                // It is stored with the command's outcome (text cannot hold U+0000) and echoed
                // in replies and logs; an identifier has no use for any control character, so
                // tab and line feed are refused here too.
                Err(WsError::invalid(format!(
                    "request_id must not contain control characters, found U+{:04X}",
                    u32::from(control)
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
        for control in [
            "\\u0000", "\\u0007", "\\t", "\\n", "\\r", "\\u001b", "\\u007f",
        ] {
            let parsed = parse_message(&format!(
                r#"{{"type": "timer.sync", "request_id": "a{control}b"}}"#
            ));
            assert_eq!(parsed.request_id, None, "{control}");
            assert!(
                matches!(
                    parsed.command,
                    Err(WsError {
                        code: Code::InvalidMessage,
                        ..
                    })
                ),
                "{control}"
            );
        }
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
}
