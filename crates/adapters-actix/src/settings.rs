//! The edge's settings, handed down by the server (this crate never reads the environment).

use std::time::Duration;

use crate::edge::origin::TrustedProxies;

/// A limit of `max` events per `window`; `None` where limits are switched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Events allowed per window.
    pub max: u32,
    /// The window.
    pub window: Duration,
}

/// Everything the HTTP, WebSocket and SSE edges are configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeSettings {
    /// Browser origins allowed for CORS and for WebSocket/SSE handshakes (`http(s)://host[:port]`).
    pub allowed_origins: Vec<String>,
    /// Peers whose `Host`, `Forwarded` and `X-Forwarded-*` headers name the server's own origin
    /// for the WebSocket/SSE `Origin` check (`TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// WebSocket connections per user per window (`None`: no limit).
    pub ws_connect_limit: Option<RateLimit>,
    /// WebSocket messages per connection per window (`None`: no limit).
    pub ws_message_limit: Option<RateLimit>,
    /// REST requests per user per window (`None`: no limit).
    pub rest_limit: Option<RateLimit>,
    /// SSE subscribes (each with its replay) per user per window (`None`: no limit).
    pub sse_connect_limit: Option<RateLimit>,
    /// How often the server pings a WebSocket client.
    pub ws_ping_interval: Duration,
    /// How long a WebSocket client may stay silent before it is dropped.
    pub ws_client_timeout: Duration,
    /// How often SSE streams get a heartbeat.
    pub sse_heartbeat: Duration,
    /// Open SSE streams per user before the oldest is closed.
    pub sse_max_streams_per_user: u32,
    /// Whether `GET /metrics` answers (`false`: 404, as for an unknown route).
    pub metrics_enabled: bool,
    /// Development tokens for `/playground` (`PLAYGROUND_DEV_TOKENS`); `None`, the default,
    /// answers `POST /playground/token` with 404.
    pub playground_dev_tokens: Option<DevTokens>,
}

/// What `POST /playground/token` signs development tokens with: the `JWT_SECRET` the server
/// verifies with, and the `iss`/`aud` it requires. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct DevTokens {
    /// The HS256 key.
    pub secret: Vec<u8>,
    /// `iss` to put in each token, when the verifier requires one.
    pub issuer: Option<String>,
    /// `aud` to put in each token, when the verifier requires one.
    pub audience: Option<String>,
}

impl std::fmt::Debug for DevTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevTokens")
            .field("secret", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl Default for EdgeSettings {
    /// The documented defaults of `docs/configuration.md`.
    fn default() -> Self {
        let minute = Duration::from_secs(60);
        Self {
            allowed_origins: Vec::new(),
            trusted_proxies: TrustedProxies::default(),
            ws_connect_limit: Some(RateLimit {
                max: 10,
                window: minute,
            }),
            ws_message_limit: Some(RateLimit {
                max: 120,
                window: minute,
            }),
            rest_limit: Some(RateLimit {
                max: 120,
                window: minute,
            }),
            sse_connect_limit: Some(RateLimit {
                max: 10,
                window: minute,
            }),
            ws_ping_interval: Duration::from_secs(30),
            ws_client_timeout: Duration::from_secs(90),
            sse_heartbeat: Duration::from_secs(25),
            sse_max_streams_per_user: 10,
            metrics_enabled: true,
            playground_dev_tokens: None,
        }
    }
}
