//! Translation of database failures into port errors, in one place.
//!
//! Constraint names come from `migrations/`; each one a caller can act on maps to one port error
//! variant here and nowhere else. Everything else is [`StorageError`]: `Unavailable` when the
//! database cannot be reached (retry later, 503), `Rejected` when it refused a value of the
//! request (a data exception or an integrity violation: the client's fault, never a 500),
//! `Unknown` for the rest.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;
use hourglass_ports::error::StorageError;
use hourglass_ports::meetup::MeetupActionError;
use hourglass_ports::notification::NotificationError;
use hourglass_ports::planning::PlanningError;
use hourglass_ports::timer::{
    DeleteTimerError, InsertTimerError, TimerCommandError, TimerLink, UpdateTimerError,
};
use hourglass_ports::user::{DeleteAccountError, SignInError, UpdateUserError};

/// A failure of the database layer, before it is given a port meaning.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    /// No connection could be checked out of the pool.
    #[error("cannot get a database connection")]
    Pool(#[source] PoolError),
    /// A statement failed.
    #[error("database statement failed")]
    Query(#[source] DieselError),
    /// A stored row does not convert into a domain value (corrupt or hand-edited data).
    #[error("stored row is invalid: {0}")]
    Corrupt(String),
}

impl From<PoolError> for DbError {
    fn from(error: PoolError) -> Self {
        Self::Pool(error)
    }
}

impl From<DieselError> for DbError {
    fn from(error: DieselError) -> Self {
        Self::Query(error)
    }
}

/// Builds a [`DbError::Corrupt`] from any displayable conversion failure.
pub(crate) fn corrupt(what: &str, error: impl std::fmt::Display) -> DbError {
    DbError::Corrupt(format!("{what}: {error}"))
}

/// The constraint violations that mean something to a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Violation {
    /// A timer's schedule is missing or someone else's.
    ScheduleLink,
    /// A timer's todo is missing or someone else's.
    TodoLink,
    /// A tag link names a missing or foreign tag.
    TagLink,
    /// `tags (owner_id, name)` is taken.
    DuplicateTagName,
}

impl DbError {
    /// The meaningful constraint this error violated, if any.
    pub(crate) fn violation(&self) -> Option<Violation> {
        let Self::Query(DieselError::DatabaseError(kind, info)) = self else {
            return None;
        };
        match (kind, info.constraint_name()?) {
            (DatabaseErrorKind::ForeignKeyViolation, "timers_schedule_fkey") => {
                Some(Violation::ScheduleLink)
            }
            (DatabaseErrorKind::ForeignKeyViolation, "timers_todo_fkey") => {
                Some(Violation::TodoLink)
            }
            (
                DatabaseErrorKind::ForeignKeyViolation,
                "timer_tags_tag_fkey" | "schedule_tags_tag_fkey" | "todo_tags_tag_fkey",
            ) => Some(Violation::TagLink),
            (DatabaseErrorKind::UniqueViolation, "tags_owner_id_name_key") => {
                Some(Violation::DuplicateTagName)
            }
            _ => None,
        }
    }
}

/// What a failure means to the caller, before it becomes a [`StorageError`] variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Unavailable,
    Rejected,
    Unknown,
}

impl DbError {
    fn fault(&self) -> Fault {
        match self {
            // deadpool: checkout timed out, or opening a new connection failed.
            Self::Pool(_) => Fault::Unavailable,
            Self::Query(DieselError::DatabaseError(kind, info)) => match kind {
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    Fault::Unavailable
                }
                // SQLSTATE class 23, integrity constraint violations: the request's values
                // conflict with a rule or with stored rows. The ones a caller acts on were
                // given their meaning by `violation` before reaching here.
                DatabaseErrorKind::UniqueViolation
                | DatabaseErrorKind::ForeignKeyViolation
                | DatabaseErrorKind::RestrictViolation
                | DatabaseErrorKind::ExclusionViolation
                | DatabaseErrorKind::NotNullViolation
                | DatabaseErrorKind::CheckViolation => Fault::Rejected,
                _ if session_ended_by_server(info.message()) => Fault::Unavailable,
                // `DATABASE_STATEMENT_TIMEOUT_SECONDS` passed: the database is too slow to
                // answer now, which the caller may retry, not a fault of the request.
                _ if statement_timed_out(info.message()) => Fault::Unavailable,
                _ if value_refused(info.message()) => Fault::Rejected,
                _ => Fault::Unknown,
            },
            Self::Query(_) | Self::Corrupt(_) => Fault::Unknown,
        }
    }
}

impl From<DbError> for StorageError {
    fn from(error: DbError) -> Self {
        match error.fault() {
            Fault::Unavailable => Self::Unavailable(Box::new(error)),
            Fault::Rejected => Self::Rejected(Box::new(error)),
            Fault::Unknown => Self::Unknown(Box::new(error)),
        }
    }
}

/// Whether PostgreSQL refused a value with one of the data exceptions (SQLSTATE class 22) a
/// value sent by a client can raise: a byte sequence or escape text cannot hold (U+0000), a
/// text too long for its column, a number or an instant out of its type's range, text that
/// does not parse as the type. diesel reports these as `DatabaseErrorKind::Unknown` without the
/// SQLSTATE, so, as in [`session_ended_by_server`], the message is matched (English with
/// `lc_messages = C`). Division by zero, also class 22, is left out on purpose: no value of a
/// request divides, so it would be a fault of the query itself.
fn value_refused(message: &str) -> bool {
    const PREFIXES: [&str; 6] = [
        "invalid byte sequence for encoding",
        "unsupported Unicode escape sequence",
        "value too long for type",
        "invalid input syntax for",
        "invalid input value for enum",
        "numeric field overflow",
    ];
    PREFIXES.iter().any(|prefix| message.starts_with(prefix))
        || message.contains(" out of range")
        || (message.starts_with("character with byte sequence")
            && message.contains("has no equivalent in encoding"))
}

/// Whether PostgreSQL itself ended the session: a shutdown, the crash of another backend, an
/// idle-session timeout (SQLSTATE class 57P), or a server not accepting connections yet. The
/// connection is gone, so the request is as retryable as one whose connection was refused;
/// without this, a statement in flight when PostgreSQL stops is an `INTERNAL_ERROR`.
/// diesel does not expose the SQLSTATE, so the server's message is matched: it is English with
/// `lc_messages = C` (what `scripts/pg.sh` and most servers use); translated messages stay
/// [`StorageError::Unknown`].
fn session_ended_by_server(message: &str) -> bool {
    message.starts_with("terminating connection") || message.starts_with("the database system is")
}

/// Whether PostgreSQL cancelled the statement because it ran past `statement_timeout`
/// (SQLSTATE 57014, which diesel reports as `Unknown`; matched on the message like
/// [`session_ended_by_server`]).
fn statement_timed_out(message: &str) -> bool {
    message.starts_with("canceling statement due to statement timeout")
}

fn timer_link(violation: Option<Violation>) -> Option<TimerLink> {
    match violation? {
        Violation::ScheduleLink => Some(TimerLink::Schedule),
        Violation::TodoLink => Some(TimerLink::Todo),
        Violation::TagLink => Some(TimerLink::Tag),
        Violation::DuplicateTagName => None,
    }
}

impl From<DbError> for InsertTimerError {
    fn from(error: DbError) -> Self {
        match timer_link(error.violation()) {
            Some(link) => Self::UnknownLink(link),
            None => Self::Storage(error.into()),
        }
    }
}

impl From<DbError> for UpdateTimerError {
    fn from(error: DbError) -> Self {
        match timer_link(error.violation()) {
            Some(link) => Self::UnknownLink(link),
            None => Self::Storage(error.into()),
        }
    }
}

impl From<DbError> for TimerCommandError {
    fn from(error: DbError) -> Self {
        Self::Storage(error.into())
    }
}

impl From<DbError> for DeleteTimerError {
    fn from(error: DbError) -> Self {
        Self::Storage(error.into())
    }
}

impl From<DbError> for PlanningError {
    fn from(error: DbError) -> Self {
        match error.violation() {
            Some(Violation::TagLink) => Self::UnknownTag,
            Some(Violation::DuplicateTagName) => Self::DuplicateName,
            _ => Self::Storage(error.into()),
        }
    }
}

impl From<DbError> for UpdateUserError {
    fn from(error: DbError) -> Self {
        Self::Storage(error.into())
    }
}

impl From<DbError> for DeleteAccountError {
    fn from(error: DbError) -> Self {
        Self::Storage(error.into())
    }
}

impl From<DbError> for SignInError {
    fn from(error: DbError) -> Self {
        Self::Storage(error.into())
    }
}

impl From<DbError> for NotificationError {
    fn from(error: DbError) -> Self {
        Self::Storage(error.into())
    }
}

impl From<DbError> for MeetupActionError {
    fn from(error: DbError) -> Self {
        Self::Storage(error.into())
    }
}

/// The error type of a transaction body: a database failure (rolls back, mapped afterwards by
/// the `From<DbError>` impls above) or the operation's own refusal (rolls back too).
#[derive(Debug)]
pub(crate) enum TxError<E> {
    /// A statement failed or a row did not convert.
    Db(DbError),
    /// The operation refused; nothing is stored.
    Refused(E),
}

impl<E> From<DieselError> for TxError<E> {
    fn from(error: DieselError) -> Self {
        Self::Db(DbError::Query(error))
    }
}

impl<E> From<DbError> for TxError<E> {
    fn from(error: DbError) -> Self {
        Self::Db(error)
    }
}

impl<E: From<DbError>> TxError<E> {
    /// The port error this transaction failure stands for.
    pub(crate) fn into_port(self) -> E {
        match self {
            Self::Db(error) => E::from(error),
            Self::Refused(error) => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(message: &str) -> DbError {
        DbError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(message.to_owned()),
        ))
    }

    #[test]
    fn a_session_the_server_ended_is_unavailable_not_unknown() {
        for message in [
            "terminating connection due to administrator command",
            "terminating connection because of crash of another server process",
            "the database system is shutting down",
        ] {
            let error = StorageError::from(unknown(message));
            assert!(matches!(error, StorageError::Unavailable(_)), "{message}");
        }
        let error = StorageError::from(unknown("division by zero"));
        assert!(matches!(error, StorageError::Unknown(_)));
    }

    fn violation(kind: DatabaseErrorKind) -> DbError {
        DbError::Query(DieselError::DatabaseError(
            kind,
            Box::new("violates a constraint".to_owned()),
        ))
    }

    /// The backstop of issue 17: what PostgreSQL refuses as a value (classes 22 and 23) is the
    /// request's fault, so the edges answer 422 / `*_FAILED` and log at warn, not 500 / ERROR.
    #[test]
    fn data_exceptions_and_integrity_violations_are_rejected_values() {
        for message in [
            "invalid byte sequence for encoding \"UTF8\": 0x00",
            "unsupported Unicode escape sequence",
            "value too long for type character varying(255)",
            "integer out of range",
            "value \"99999999999\" is out of range for type integer",
            "timestamp out of range: \"10000-01-01 00:00:00+00\"",
            "date/time field value out of range: \"0000-01-01\"",
            "numeric field overflow",
            "invalid input syntax for type uuid: \"x\"",
            "invalid input value for enum timer_status: \"X\"",
            "character with byte sequence 0xe2 0x82 0xac in encoding \"UTF8\" has no equivalent in encoding \"LATIN1\"",
        ] {
            let error = StorageError::from(unknown(message));
            assert!(matches!(error, StorageError::Rejected(_)), "{message}");
        }
        for kind in [
            DatabaseErrorKind::UniqueViolation,
            DatabaseErrorKind::ForeignKeyViolation,
            DatabaseErrorKind::RestrictViolation,
            DatabaseErrorKind::ExclusionViolation,
            DatabaseErrorKind::NotNullViolation,
            DatabaseErrorKind::CheckViolation,
        ] {
            let error = StorageError::from(violation(kind));
            assert!(matches!(error, StorageError::Rejected(_)), "{kind:?}");
        }
        for kind in [
            DatabaseErrorKind::SerializationFailure,
            DatabaseErrorKind::ReadOnlyTransaction,
        ] {
            let error = StorageError::from(violation(kind));
            assert!(matches!(error, StorageError::Unknown(_)), "{kind:?}");
        }
        let error = StorageError::from(corrupt("title", "too long"));
        assert!(matches!(error, StorageError::Unknown(_)));
    }
}
