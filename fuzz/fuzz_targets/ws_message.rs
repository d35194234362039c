//! The WebSocket decoder (`ws::protocol::inbound`) on arbitrary text frames.
//!
//! Properties: parsing never panics; an accepted message's command has the `type` the JSON says;
//! a `request_id` is echoed only when it is a 1–64 character string, and `peek_request_id` (used
//! for rate-limited frames) never finds one that the full parse would not echo; every refusal is
//! `INVALID_MESSAGE` or `UNKNOWN_TYPE` with a text; a parsed `timer.create` either becomes a
//! domain `NewTimer` with the same values or is refused with a `ValidationError`; the error reply
//! that echoes the `request_id` is valid JSON carrying it back unchanged.

#![no_main]

use hourglass_adapters_actix::realtime::ws::protocol::codes::Code;
use hourglass_adapters_actix::realtime::ws::protocol::inbound::{
    ClientCommand, MAX_REQUEST_ID_CHARS, parse_message, peek_request_id,
};
use hourglass_adapters_actix::realtime::ws::protocol::outbound::{ErrorPayload, encode, kind};
use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;
use hourglass_domain::validation::{AllocatedDuration, Description, Title};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    // A WebSocket text frame is UTF-8 by definition (actix-ws refuses anything else).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let inbound = parse_message(text);
    let peeked = peek_request_id(text);
    let json: Option<Value> = serde_json::from_str(text).ok();

    if let Some(id) = &inbound.request_id {
        let chars = id.chars().count();
        assert!((1..=MAX_REQUEST_ID_CHARS).contains(&chars), "{chars} chars");
        let given = json.as_ref().and_then(|v| v.get("request_id"));
        assert_eq!(given.and_then(Value::as_str), Some(id.as_str()));
    }
    if let Some(id) = &peeked {
        assert_eq!(
            inbound.request_id.as_deref(),
            Some(id.as_str()),
            "peek_request_id found a request_id the full parse does not echo"
        );
    }

    match &inbound.command {
        Ok(command) => {
            let Some(Value::Object(envelope)) = &json else {
                panic!("accepted a message that is not a JSON object: {command:?}");
            };
            assert_eq!(
                envelope.get("type").and_then(Value::as_str),
                Some(command.type_name())
            );
            if let ClientCommand::Create(create) = command {
                check_create(create);
            }
        }
        Err(error) => {
            assert!(
                matches!(error.code, Code::InvalidMessage | Code::UnknownType),
                "{error}"
            );
            assert!(!error.message.is_empty());
        }
    }

    let reply_to = inbound.request_id.as_deref();
    let message = inbound
        .command
        .as_ref()
        .err()
        .map_or_else(String::new, |e| e.message.clone());
    let reply = encode(
        kind::ERROR,
        ErrorPayload {
            code: "INVALID_MESSAGE",
            message: &message,
        },
        None,
        Timestamp::EPOCH,
        reply_to,
    );
    let reply: Value = match serde_json::from_str(&reply) {
        Ok(value) => value,
        Err(error) => panic!("the error reply is not JSON ({error}): {reply}"),
    };
    assert_eq!(reply.get("request_id").and_then(Value::as_str), reply_to);
    assert_eq!(
        reply.pointer("/payload/message").and_then(Value::as_str),
        Some(message.as_str())
    );
});

/// `into_new_timer` accepts exactly what the domain's constructors accept, keeping the values.
fn check_create(create: &hourglass_adapters_actix::realtime::ws::protocol::inbound::CreateTimer) {
    let owner = UserId::new(7);
    let valid = AllocatedDuration::new(create.allocated_duration).is_ok()
        && create.title.clone().map(Title::new).transpose().is_ok()
        && create
            .description
            .clone()
            .map(Description::new)
            .transpose()
            .is_ok();
    match create.clone().into_new_timer(owner) {
        Ok(new) => {
            assert!(valid, "accepted an invalid create: {create:?}");
            assert_eq!(new.owner_id, owner);
            assert_eq!(new.allocated_duration.seconds(), create.allocated_duration);
            assert_eq!(
                new.title.as_ref().map(Title::as_str),
                create.title.as_deref()
            );
            assert_eq!(
                new.description.as_ref().map(Description::as_str),
                create.description.as_deref()
            );
            assert_eq!(new.tag_ids, create.tag_ids);
            assert_eq!(new.visibility, create.visibility);
        }
        Err(_) => assert!(!valid, "refused a valid create: {create:?}"),
    }
}
