//! Why a timer WebSocket connection ends, and the close frame each reason gets: the one place
//! that decides a close code (`docs/websocket.md`, "Close codes").

use actix_ws::{CloseCode, CloseReason};

use super::MAX_FRAME_BYTES;
use crate::edge::telemetry::metrics::{Refusal, ServerDrop};

/// 4029: too many connections for this user in the window (the contract's own code).
const CLOSE_TOO_MANY_CONNECTIONS: u16 = 4029;
/// 4001: the account was deleted (while connected, or before this handshake); do not reconnect.
const CLOSE_ACCOUNT_DELETED: u16 = 4001;

/// Why a connection ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Closing {
    /// The socket is gone (client left, write failed): nothing more to send.
    Gone,
    /// The client sent a close frame.
    ClientClosed,
    /// The token could not be checked (the key source is down): 1011, retry later.
    AuthUnavailable,
    /// No `authorization.bearer.<JWT>` subprotocol was offered: 1008.
    AuthMissing,
    /// The token was refused; the reason says why: 1008.
    AuthRejected(String),
    /// Over the per-user connection limit: 4029; the reason says how many seconds to wait.
    TooManyConnections(u64),
    /// The user's account was deleted: 4001.
    AccountDeleted,
    /// The server is shutting down: 1001.
    ShuttingDown,
    /// The token expired while connected: 1008.
    TokenExpired,
    /// Nothing heard from the client for this many seconds: 1001.
    NoPong(u64),
    /// The outbound queue filled, or a write stalled: 1013.
    TooSlow,
    /// A frame or joined message over [`MAX_FRAME_BYTES`]: 1009.
    TooBig,
    /// A text message that is not UTF-8: 1007.
    InvalidUtf8,
    /// A WebSocket protocol violation; the reason names it: 1002.
    Protocol(String),
}

impl Closing {
    /// The close frame to send, or `None` when the socket is already gone.
    pub(super) fn frame(&self) -> Option<CloseReason> {
        let (code, description) = match self {
            Self::Gone => return None,
            Self::ClientClosed => (CloseCode::Normal, "bye".to_owned()),
            Self::AuthUnavailable => (
                CloseCode::Error,
                "authentication unavailable; retry later".to_owned(),
            ),
            Self::AuthMissing => (
                CloseCode::Policy,
                "missing access token: offer the subprotocol authorization.bearer.<JWT>".to_owned(),
            ),
            Self::AuthRejected(reason) => (CloseCode::Policy, reason.clone()),
            Self::TooManyConnections(seconds) => (
                CloseCode::Other(CLOSE_TOO_MANY_CONNECTIONS),
                format!("too many connections; retry after {seconds} s"),
            ),
            Self::AccountDeleted => (
                CloseCode::Other(CLOSE_ACCOUNT_DELETED),
                "account deleted".to_owned(),
            ),
            Self::ShuttingDown => (
                CloseCode::Away,
                "server shutting down; reconnect with backoff".to_owned(),
            ),
            Self::TokenExpired => (
                CloseCode::Policy,
                "access token expired; refresh it and reconnect".to_owned(),
            ),
            Self::NoPong(seconds) => (
                CloseCode::Away,
                format!("no answer to pings for {seconds} s"),
            ),
            Self::TooSlow => (
                CloseCode::Again,
                "too slow: outbound queue full; reconnect and read faster".to_owned(),
            ),
            Self::TooBig => (
                CloseCode::Size,
                format!("frame larger than {} KiB", MAX_FRAME_BYTES / 1024),
            ),
            Self::InvalidUtf8 => (CloseCode::Invalid, "text message is not UTF-8".to_owned()),
            Self::Protocol(reason) => (CloseCode::Protocol, reason.clone()),
        };
        Some(CloseReason {
            code,
            description: Some(description),
        })
    }

    /// How `/metrics` counts a connection refused before it was served.
    pub(super) fn refusal(&self) -> Option<Refusal> {
        match self {
            Self::AuthUnavailable => Some(Refusal::Unavailable),
            Self::AuthMissing | Self::AuthRejected(_) | Self::AccountDeleted => {
                Some(Refusal::Unauthenticated)
            }
            Self::TooManyConnections(_) => Some(Refusal::RateLimited),
            _ => None,
        }
    }

    /// How `/metrics` counts a connection the server dropped while serving it.
    pub(super) fn server_drop(&self) -> Option<ServerDrop> {
        matches!(self, Self::TooSlow).then_some(ServerDrop::TooSlow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(closing: &Closing) -> Option<u16> {
        closing.frame().map(|frame| u16::from(frame.code))
    }

    #[test]
    fn each_reason_has_the_code_the_contract_names() {
        assert_eq!(code(&Closing::Gone), None);
        assert_eq!(code(&Closing::ClientClosed), Some(1000));
        assert_eq!(code(&Closing::ShuttingDown), Some(1001));
        assert_eq!(code(&Closing::NoPong(60)), Some(1001));
        assert_eq!(code(&Closing::Protocol("x".to_owned())), Some(1002));
        assert_eq!(code(&Closing::InvalidUtf8), Some(1007));
        assert_eq!(code(&Closing::AuthMissing), Some(1008));
        assert_eq!(code(&Closing::AuthRejected("bad".to_owned())), Some(1008));
        assert_eq!(code(&Closing::TokenExpired), Some(1008));
        assert_eq!(code(&Closing::TooBig), Some(1009));
        assert_eq!(code(&Closing::AuthUnavailable), Some(1011));
        assert_eq!(code(&Closing::TooSlow), Some(1013));
        assert_eq!(code(&Closing::TooManyConnections(6)), Some(4029));
        assert_eq!(code(&Closing::AccountDeleted), Some(4001));
    }

    #[test]
    fn refusals_and_drops_are_told_apart_for_the_metrics() {
        assert_eq!(
            Closing::TooManyConnections(6).refusal(),
            Some(Refusal::RateLimited)
        );
        assert_eq!(Closing::TooSlow.server_drop(), Some(ServerDrop::TooSlow));
        assert_eq!(Closing::ShuttingDown.refusal(), None);
        assert_eq!(Closing::ShuttingDown.server_drop(), None);
    }
}
