//! The label values of the metrics: every set is closed and known at start-up.

use actix_web::http::StatusCode;

/// A long-lived connection's kind (label `kind`; also the fan-out `target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionKind {
    /// The timer WebSocket `/v1/ws/timers`.
    WebSocket = 0,
    /// The notification stream `/api/v1/notifications/subscribe`.
    Sse = 1,
}

impl ConnectionKind {
    pub(super) const ALL: [Self; 2] = [Self::WebSocket, Self::Sse];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Self::WebSocket => "websocket",
            Self::Sse => "sse",
        }
    }
}

/// Why a connection attempt was refused (label `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A browser `Origin` outside `CORS_ALLOWED_ORIGINS` (403).
    Origin = 0,
    /// A bad parameter (`timezone`, `lastEventId`) or not a WebSocket handshake (400).
    InvalidRequest = 1,
    /// No token, or a token that does not verify (401, close 1008).
    Unauthenticated = 2,
    /// Keys or storage unavailable (503, close 1011).
    Unavailable = 3,
    /// Too many WebSocket connections of this user in the window (close 4029).
    RateLimited = 4,
    /// Anything else (500).
    Error = 5,
}

impl Refusal {
    pub(super) const ALL: [Self; 6] = [
        Self::Origin,
        Self::InvalidRequest,
        Self::Unauthenticated,
        Self::Unavailable,
        Self::RateLimited,
        Self::Error,
    ];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Origin => "origin",
            Self::InvalidRequest => "invalid_request",
            Self::Unauthenticated => "unauthenticated",
            Self::Unavailable => "unavailable",
            Self::RateLimited => "rate_limited",
            Self::Error => "error",
        }
    }

    /// The refusal an HTTP answer to a handshake stands for.
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::InvalidRequest,
            401 => Self::Unauthenticated,
            403 => Self::Origin,
            429 => Self::RateLimited,
            503 => Self::Unavailable,
            _ => Self::Error,
        }
    }
}

/// Why the server ended an open connection on its own (label `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerDrop {
    /// The client stopped reading and its queue filled (WebSocket 1013, SSE stream ended).
    TooSlow = 0,
    /// The user opened more SSE streams than allowed; this was the oldest.
    Evicted = 1,
}

impl ServerDrop {
    pub(super) const ALL: [Self; 2] = [Self::TooSlow, Self::Evicted];

    pub(super) fn label(self) -> &'static str {
        match self {
            Self::TooSlow => "too_slow",
            Self::Evicted => "evicted",
        }
    }
}

/// A WebSocket client message type (label `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandType {
    /// `timer.create`.
    Create = 0,
    /// `timer.pause`.
    Pause = 1,
    /// `timer.resume`.
    Resume = 2,
    /// `timer.stop`.
    Stop = 3,
    /// `timer.cancel`.
    Cancel = 4,
    /// `timer.sync`.
    Sync = 5,
    /// Anything else: not JSON, no or an unknown `type`, a binary frame.
    Unknown = 6,
}

impl CommandType {
    pub(super) const ALL: [Self; 7] = [
        Self::Create,
        Self::Pause,
        Self::Resume,
        Self::Stop,
        Self::Cancel,
        Self::Sync,
        Self::Unknown,
    ];

    /// The type of a message whose `type` field is `name` (if any).
    pub fn from_type_name(name: Option<&str>) -> Self {
        match name {
            Some("timer.create") => Self::Create,
            Some("timer.pause") => Self::Pause,
            Some("timer.resume") => Self::Resume,
            Some("timer.stop") => Self::Stop,
            Some("timer.cancel") => Self::Cancel,
            Some("timer.sync") => Self::Sync,
            _ => Self::Unknown,
        }
    }

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Create => "timer.create",
            Self::Pause => "timer.pause",
            Self::Resume => "timer.resume",
            Self::Stop => "timer.stop",
            Self::Cancel => "timer.cancel",
            Self::Sync => "timer.sync",
            Self::Unknown => "unknown",
        }
    }
}

/// How a WebSocket command ended (label `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Done; the reply went out.
    Ok = 0,
    /// A repeated `request_id`: the stored reply was sent again, nothing ran.
    Replayed = 1,
    /// A rule of the timer refused it (`*_FAILED`).
    Rejected = 2,
    /// Malformed or unknown (`INVALID_MESSAGE`, `UNKNOWN_TYPE`).
    Invalid = 3,
    /// `TIMER_NOT_FOUND`.
    NotFound = 4,
    /// `RATE_LIMIT_EXCEEDED`.
    RateLimited = 5,
    /// `SERVICE_UNAVAILABLE`: storage could not be reached.
    Unavailable = 6,
    /// `INTERNAL_ERROR`.
    InternalError = 7,
}

impl CommandOutcome {
    pub(super) const ALL: [Self; 8] = [
        Self::Ok,
        Self::Replayed,
        Self::Rejected,
        Self::Invalid,
        Self::NotFound,
        Self::RateLimited,
        Self::Unavailable,
        Self::InternalError,
    ];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Replayed => "replayed",
            Self::Rejected => "rejected",
            Self::Invalid => "invalid",
            Self::NotFound => "not_found",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::InternalError => "internal_error",
        }
    }
}

/// How an SSE notification frame reached the client (label `via`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseVia {
    /// Pushed as it was committed.
    Live = 0,
    /// Read back from storage: `Last-Event-ID` on connect, or a resync after the listener
    /// reconnected.
    Replay = 1,
}

impl SseVia {
    pub(super) const ALL: [Self; 2] = [Self::Live, Self::Replay];

    pub(super) fn label(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Replay => "replay",
        }
    }
}
