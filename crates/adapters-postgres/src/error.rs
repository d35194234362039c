//! Translation of database failures into port errors, in one place.
//!
//! Constraint names come from `migrations/`; each one a caller can act on maps to one port error
//! variant here and nowhere else. Everything else is [`StorageError`]: `Unavailable` when the
//! database cannot be reached (retry later, 503), `Unknown` for the rest.

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

impl From<DbError> for StorageError {
    fn from(error: DbError) -> Self {
        let unavailable = match &error {
            // deadpool: checkout timed out, or opening a new connection failed.
            DbError::Pool(_) => true,
            DbError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )) => true,
            DbError::Query(DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)) => {
                session_ended_by_server(info.message())
            }
            DbError::Query(_) | DbError::Corrupt(_) => false,
        };
        if unavailable {
            Self::Unavailable(Box::new(error))
        } else {
            Self::Unknown(Box::new(error))
        }
    }
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
}
