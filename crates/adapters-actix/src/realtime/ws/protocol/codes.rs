//! The error codes of the contract's "Errors" table, and the `error` message's content.

use std::fmt;

use hourglass_domain::timer::TimerCommand;
use hourglass_ports::error::StorageError;
use uuid::Uuid;

use crate::edge::error::ErrorChain;
use crate::edge::telemetry::metrics::CommandOutcome;

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

    /// `SERVICE_UNAVAILABLE` or `INTERNAL_ERROR` for a storage failure, logged once here; a
    /// value the database refused is `failed` (the request's `*_FAILED`), logged at warn.
    pub fn storage(error: &StorageError, failed: Code) -> Self {
        match error {
            StorageError::Unavailable(_) => {
                tracing::warn!(error = %ErrorChain(error), "websocket: storage unavailable");
                Self::new(
                    Code::ServiceUnavailable,
                    "the service is temporarily unavailable; retry later",
                )
            }
            StorageError::Rejected(_) => {
                tracing::warn!(error = %ErrorChain(error), "websocket: the database refused a value");
                Self::new(failed, "the database refused a value of this request")
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

impl From<Code> for CommandOutcome {
    fn from(code: Code) -> Self {
        match code {
            Code::InvalidMessage | Code::UnknownType => Self::Invalid,
            Code::TimerNotFound => Self::NotFound,
            Code::CreateFailed
            | Code::PauseFailed
            | Code::ResumeFailed
            | Code::StopFailed
            | Code::CancelFailed
            | Code::SyncFailed => Self::Rejected,
            Code::RateLimitExceeded => Self::RateLimited,
            Code::ServiceUnavailable => Self::Unavailable,
            Code::InternalError => Self::InternalError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value the database refused is the command's refusal, not a server fault.
    #[test]
    fn a_refused_value_is_the_commands_failure() {
        let refused = StorageError::Rejected("integer out of range".into());
        let error = WsError::storage(&refused, Code::PauseFailed);
        assert_eq!(error.code, Code::PauseFailed);
        assert!(!error.message.contains("integer"));
        let down = StorageError::Unavailable("connection refused".into());
        assert_eq!(
            WsError::storage(&down, Code::PauseFailed).code,
            Code::ServiceUnavailable
        );
        let bug = StorageError::Unknown("bug".into());
        assert_eq!(
            WsError::storage(&bug, Code::PauseFailed).code,
            Code::InternalError
        );
    }

    #[test]
    fn every_code_counts_under_the_outcome_its_kind_of_refusal_names() {
        assert_eq!(
            CommandOutcome::from(Code::UnknownType),
            CommandOutcome::Invalid
        );
        assert_eq!(
            CommandOutcome::from(Code::PauseFailed),
            CommandOutcome::Rejected
        );
        assert_eq!(
            CommandOutcome::from(Code::TimerNotFound),
            CommandOutcome::NotFound
        );
        assert_eq!(
            CommandOutcome::from(Code::ServiceUnavailable),
            CommandOutcome::Unavailable
        );
    }
}
