//! The `{id}` of a REST path: a UUID in the timer API (timers, schedules, todos, tags), a positive
//! decimal integer under `/api/v1` (users, meetups, notifications). Anything else is 400
//! `INVALID_PARAMETER` naming `id`.
//!
//! Handlers take the segment as `web::Path<String>` and parse it here rather than with
//! `web::Path<Uuid>`, so the refusal is the contract's message instead of actix's.

use hourglass_domain::ids::{MeetupId, NotificationId, UserId};
use uuid::Uuid;

use crate::edge::error::ApiError;
use crate::edge::query::QueryError;

/// How many characters of a refused id the message repeats.
const MAX_ECHOED_CHARS: usize = 64;

/// A UUID id of the timer API.
///
/// # Errors
/// [`QueryError::Invalid`] naming `id`.
pub fn uuid(raw: &str) -> Result<Uuid, QueryError> {
    Uuid::parse_str(raw).map_err(|_| {
        let shown: String = raw.chars().take(MAX_ECHOED_CHARS).collect();
        QueryError::invalid("id", format!("id must be a UUID, got {shown:?}"))
    })
}

/// A user id.
///
/// # Errors
/// 400 `INVALID_PARAMETER` naming `id`.
pub fn user_id(raw: &str) -> Result<UserId, ApiError> {
    positive(raw, "user").map(UserId::new)
}

/// A meetup id.
///
/// # Errors
/// 400 `INVALID_PARAMETER` naming `id`.
pub fn meetup_id(raw: &str) -> Result<MeetupId, ApiError> {
    positive(raw, "meetup").map(MeetupId::new)
}

/// A notification id.
///
/// # Errors
/// 400 `INVALID_PARAMETER` naming `id`.
pub fn notification_id(raw: &str) -> Result<NotificationId, ApiError> {
    positive(raw, "notification").map(NotificationId::new)
}

/// A positive decimal integer id of a `what`.
fn positive(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        ApiError::invalid_parameter(format!("id must be a positive integer {what} id"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_ids_must_be_uuids() {
        assert!(uuid("01944f2a-0000-7000-8000-000000000001").is_ok());
        let Err(error) = uuid("42") else {
            panic!("must be refused")
        };
        assert_eq!(error.to_string(), "id must be a UUID, got \"42\"");
        assert_eq!(ApiError::from(error).code(), "INVALID_PARAMETER");
    }

    #[test]
    fn numeric_ids_must_be_positive_integers() {
        assert!(user_id("7").is_ok());
        for raw in ["0", "-1", "abc", "1.5", ""] {
            assert!(user_id(raw).is_err(), "{raw}");
        }
        let Err(error) = notification_id("x") else {
            panic!("must be refused")
        };
        assert_eq!(
            (error.status().as_u16(), error.code(), error.message()),
            (
                400,
                "INVALID_PARAMETER",
                "id must be a positive integer notification id"
            )
        );
        let Err(error) = meetup_id("0") else {
            panic!("must be refused")
        };
        assert_eq!(error.message(), "id must be a positive integer meetup id");
    }
}
