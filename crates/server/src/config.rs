//! The command line and the configuration, parsed once in `main` and passed down by value.
//!
//! Every setting is both an environment variable and a `--flag` (the flag wins). Settings are
//! grouped per adapter so each adapter receives only its own sub-struct and never reads the
//! environment itself. `docs/configuration.md` and `.env.example` list the same variables; keep
//! the three in step.
//!
//! Range checks (every maximum, window and size at least 1) happen while parsing, so the error
//! names the flag and its variable; [`Config::validate`] adds the rules that span several fields.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{
    BoolishValueParser, NonEmptyStringValueParser, RangedU64ValueParser, TypedValueParser,
};
use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use hourglass_adapters_actix::edge::origin::TrustedProxies;

/// Hourglass: shared timers over REST, WebSocket and server-sent events.
#[derive(Debug, Parser)]
#[command(name = "hourglass", version)]
pub struct Cli {
    /// How log lines are written to stderr; the level comes from `RUST_LOG` (default `info`).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `hourglass`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve REST, WebSocket and SSE on BIND_ADDR.
    Serve(Box<Config>),
    /// Apply pending migrations and exit.
    Migrate(DatabaseConfig),
    /// Print an HS256 JWT signed with JWT_SECRET (for development and tests).
    Token(TokenArgs),
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    #[default]
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Everything `hourglass serve` needs.
#[derive(Debug, Clone, Parser)]
#[command(name = "hourglass-serve")]
pub struct Config {
    /// The database.
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// The listening socket and browser origins.
    #[command(flatten)]
    pub http: HttpConfig,
    /// How bearer tokens are verified.
    #[command(flatten)]
    pub auth: AuthConfig,
    /// Rate limits for REST and WebSocket.
    #[command(flatten)]
    pub limits: RateLimitConfig,
    /// WebSocket keep-alive.
    #[command(flatten)]
    pub websocket: WebSocketConfig,
    /// Server-sent events.
    #[command(flatten)]
    pub sse: SseConfig,
    /// The metrics endpoint.
    #[command(flatten)]
    pub metrics: MetricsConfig,
    /// Time's up and forgotten timers.
    #[command(flatten)]
    pub alarms: AlarmConfig,
    /// Migrations at start and the clean-up of remembered command outcomes.
    #[command(flatten)]
    pub upkeep: UpkeepConfig,
    /// How committed events travel between instances.
    #[command(flatten)]
    pub events: EventBusConfig,
    /// The `/playground` page's development tokens.
    #[command(flatten)]
    pub playground: PlaygroundConfig,
}

/// Where the database is, and how many connections to hold.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// PostgreSQL URL, `postgres://user:password@host:port/database`. Required, unless
    /// DATABASE_URL_FILE is set instead; read it through [`DatabaseConfig::url`].
    // Hidden from `--help` and from Debug because it usually carries a password.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        value_parser = secret(),
        required_unless_present = "database_url_file"
    )]
    pub database_url: Option<Secret>,

    /// File holding the PostgreSQL URL (the container-secret and systemd-credential
    /// convention); one trailing line break is ignored. Setting it and DATABASE_URL is an error.
    // Read while parsing, so the field holds the URL, never the path's contents in a log.
    #[arg(long, env = "DATABASE_URL_FILE", value_parser = secret_file(1))]
    pub database_url_file: Option<Secret>,

    /// Maximum number of pooled database connections.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16, value_parser = at_least_one_usize())]
    pub database_pool_size: usize,

    /// Longest wait, in seconds, for a pooled connection (or to open one). Past it the request
    /// answers `SERVICE_UNAVAILABLE` (503) instead of hanging.
    #[arg(
        long,
        env = "DATABASE_POOL_TIMEOUT_SECONDS",
        default_value_t = 10,
        value_parser = at_least_one_u64()
    )]
    pub database_pool_timeout_seconds: u64,

    /// Longest run, in seconds, of one statement on a pooled connection (PostgreSQL's
    /// `statement_timeout`, set on each connection the pool opens); past it PostgreSQL cancels
    /// the statement and the request answers 503. 0 turns it off. Migrations and the LISTEN
    /// connection are not bound by it.
    #[arg(
        long,
        env = "DATABASE_STATEMENT_TIMEOUT_SECONDS",
        default_value_t = 30,
        value_parser = RangedU64ValueParser::<u64>::new().range(0..=MAX_STATEMENT_TIMEOUT_SECONDS)
    )]
    pub database_statement_timeout_seconds: u64,
}

/// The longest `DATABASE_STATEMENT_TIMEOUT_SECONDS`: a day. PostgreSQL's own limit (about 24.8
/// days in milliseconds) is far past anything a request could wait for.
pub const MAX_STATEMENT_TIMEOUT_SECONDS: u64 = 86_400;

impl DatabaseConfig {
    /// The longest wait for a pooled connection.
    #[must_use]
    pub fn pool_timeout(&self) -> Duration {
        Duration::from_secs(self.database_pool_timeout_seconds)
    }

    /// The statement timeout of pooled connections; `None` when switched off (0).
    #[must_use]
    pub fn statement_timeout(&self) -> Option<Duration> {
        (self.database_statement_timeout_seconds > 0)
            .then(|| Duration::from_secs(self.database_statement_timeout_seconds))
    }

    /// The database URL, from `DATABASE_URL` or the file `DATABASE_URL_FILE` names.
    ///
    /// # Errors
    /// [`ConfigError::ValueAndFile`] when both are set, [`ConfigError::Missing`] when neither is
    /// (clap already refuses that while parsing).
    pub fn url(&self) -> Result<&Secret, ConfigError> {
        one_of(
            self.database_url.as_ref(),
            self.database_url_file.as_ref(),
            "DATABASE_URL",
        )?
        .ok_or(ConfigError::Missing("DATABASE_URL"))
    }
}

/// The value given directly or the one read from its `_FILE`; `None` when neither is set.
fn one_of<'a>(
    value: Option<&'a Secret>,
    from_file: Option<&'a Secret>,
    variable: &'static str,
) -> Result<Option<&'a Secret>, ConfigError> {
    match (value, from_file) {
        (Some(_), Some(_)) => Err(ConfigError::ValueAndFile(variable)),
        (value, from_file) => Ok(value.or(from_file)),
    }
}

/// The listening socket and the browser origins allowed to call it.
#[derive(Debug, Clone, Args)]
pub struct HttpConfig {
    /// Address and port to listen on (an IP address, not a host name).
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8000")]
    pub bind_addr: SocketAddr,

    /// Comma-separated origins (`https://app.example.com`) allowed by CORS and, for browsers,
    /// on WebSocket and SSE; empty allows no cross-origin browser access.
    // One value holding the whole list (not clap's `value_delimiter`), so that the documented
    // empty default, `CORS_ALLOWED_ORIGINS=`, parses as "no origins" rather than as one empty
    // origin.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        default_value = "",
        hide_default_value = true,
        value_parser = parse_origins
    )]
    pub cors_allowed_origins: AllowedOrigins,

    /// Comma-separated IP addresses and CIDR blocks of the reverse proxies in front of the
    /// server. Only from these peers are `Host`, `Forwarded` and `X-Forwarded-*` believed when
    /// the WebSocket and SSE handshakes compare `Origin` with the server's own origin; from
    /// any other peer the own origin is the address the connection was accepted on. Empty
    /// (the default) trusts no one.
    #[arg(
        long,
        env = "TRUSTED_PROXIES",
        default_value = "",
        hide_default_value = true,
        value_parser = TrustedProxies::parse
    )]
    pub trusted_proxies: TrustedProxies,

    /// Seconds a connection may hold data its client does not take (it stopped reading: zero
    /// window) or does not acknowledge (the network is gone) before the kernel drops it
    /// (`TCP_USER_TIMEOUT`, Linux). Without it such a socket, and what is buffered for it, is
    /// kept until the client goes away by itself.
    #[arg(long, env = "TCP_USER_TIMEOUT_SECONDS", default_value_t = 30, value_parser = at_least_one_u64())]
    pub tcp_user_timeout_seconds: u64,

    /// HTTP worker threads; each runs its own event loop for the connections it accepts. Unset:
    /// one per available core. Fewer leave cores to a database on the same machine, and keep a
    /// command and its fan-out to the user's other devices on one thread.
    #[arg(long, env = "HTTP_WORKERS", value_parser = at_least_one_usize())]
    pub http_workers: Option<usize>,

    /// Threads of the runtime beside the HTTP workers, which runs the outbox relay, the event
    /// bus, the inbox and delivery. Unset: one per available core. Several instances on one host
    /// should keep instances × (HTTP_WORKERS + this) near the cores: idle runtime threads of
    /// every instance otherwise take CPU from each other and from a database beside them.
    #[arg(long, env = "RUNTIME_WORKERS", value_parser = at_least_one_usize())]
    pub runtime_workers: Option<usize>,

    /// Most connections one HTTP worker holds at once (every open WebSocket and SSE stream is
    /// one); past it the worker stops accepting until one closes, and new clients wait in the
    /// kernel's accept queue. An instance holds at most HTTP_WORKERS times this many
    /// (docs/operations.md, "Connection capacity").
    #[arg(
        long,
        env = "HTTP_MAX_CONNECTIONS_PER_WORKER",
        default_value_t = 25_000,
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_CONNECTIONS_PER_WORKER)
    )]
    pub http_max_connections_per_worker: usize,

    /// Seconds in-flight requests get to finish once SIGTERM or SIGINT arrives (WebSockets are
    /// closed with 1001 at once, SSE streams ended); past it the remaining connections are
    /// dropped and the process exits. Keep it below the supervisor's stop timeout (systemd's
    /// `TimeoutStopSec`, Kubernetes' `terminationGracePeriodSeconds`).
    #[arg(
        long,
        env = "SHUTDOWN_GRACE_SECONDS",
        default_value_t = 10,
        value_parser = RangedU64ValueParser::<u64>::new().range(1..=MAX_SHUTDOWN_GRACE_SECONDS)
    )]
    pub shutdown_grace_seconds: u64,
}

/// The largest `HTTP_MAX_CONNECTIONS_PER_WORKER`: far past what one event loop serves, and
/// below the file descriptors one process can have on Linux (`fs.nr_open`, 1 048 576 by
/// default).
pub const MAX_CONNECTIONS_PER_WORKER: u64 = 1_000_000;

/// The longest `SHUTDOWN_GRACE_SECONDS`: an hour.
pub const MAX_SHUTDOWN_GRACE_SECONDS: u64 = 3_600;

impl HttpConfig {
    /// How long a connection may keep data its peer does not take.
    #[must_use]
    pub fn tcp_user_timeout(&self) -> Duration {
        Duration::from_secs(self.tcp_user_timeout_seconds)
    }

    /// How long in-flight requests may run once shutdown starts.
    #[must_use]
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_seconds)
    }
}

/// How bearer tokens are verified. At least one of the three key sources must be set for
/// `serve`; [`Config::validate`] enforces it.
#[derive(Debug, Clone, Args)]
pub struct AuthConfig {
    /// Shared secret for HS256 tokens; read it through [`AuthConfig::secret`].
    #[arg(long, env = "JWT_SECRET", hide_env_values = true, value_parser = jwt_secret())]
    pub jwt_secret: Option<Secret>,

    /// File holding the HS256 secret instead of JWT_SECRET (one trailing line break ignored);
    /// setting both is an error.
    #[arg(long, env = "JWT_SECRET_FILE", value_parser = secret_file(MIN_JWT_SECRET_BYTES))]
    pub jwt_secret_file: Option<Secret>,

    /// PEM file holding the public key for RS256 or ES256 tokens.
    #[arg(long, env = "JWT_PUBLIC_KEY_FILE", value_parser = non_empty_path())]
    pub jwt_public_key_file: Option<PathBuf>,

    /// OpenID Connect issuer whose JWKS (found via `/.well-known/openid-configuration`) verifies
    /// tokens.
    #[arg(long, env = "OIDC_ISSUER_URL", value_parser = NonEmptyStringValueParser::new())]
    pub oidc_issuer_url: Option<String>,

    /// Accept a plain `http://` OIDC_ISSUER_URL. Off by default: keys fetched over plain HTTP
    /// can be replaced on the way, and then anyone can sign tokens. For local issuers in tests.
    #[arg(
        long,
        env = "OIDC_ALLOW_HTTP",
        default_value_t = false,
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub oidc_allow_http: bool,

    /// Least number of seconds between two JWKS refetches triggered by an unknown `kid`; it
    /// stops forged `kid`s from hammering the issuer. Tests set 0 so they need not wait.
    #[arg(long, env = "OIDC_JWKS_MIN_REFRESH_SECONDS", default_value_t = 60)]
    pub oidc_jwks_min_refresh_seconds: u64,

    /// Required `iss` claim; not checked when unset.
    #[arg(long, env = "JWT_ISSUER", value_parser = NonEmptyStringValueParser::new())]
    pub jwt_issuer: Option<String>,

    /// Required `aud` claim; not checked when unset.
    #[arg(long, env = "JWT_AUDIENCE", value_parser = NonEmptyStringValueParser::new())]
    pub jwt_audience: Option<String>,
}

impl AuthConfig {
    /// The HS256 secret, from `JWT_SECRET` or the file `JWT_SECRET_FILE` names; `None` when
    /// neither is set.
    ///
    /// # Errors
    /// [`ConfigError::ValueAndFile`] when both are set.
    pub fn secret(&self) -> Result<Option<&Secret>, ConfigError> {
        one_of(
            self.jwt_secret.as_ref(),
            self.jwt_secret_file.as_ref(),
            "JWT_SECRET",
        )
    }

    /// The least time between two JWKS refetches.
    #[must_use]
    pub fn oidc_jwks_min_refresh(&self) -> Duration {
        Duration::from_secs(self.oidc_jwks_min_refresh_seconds)
    }
}

/// Rate limits. A limit allows `max` events per `window` seconds.
#[derive(Debug, Clone, Args)]
pub struct RateLimitConfig {
    /// Turns every limit below on (`true`) or off (`false`).
    #[arg(
        long,
        env = "RATE_LIMIT_ENABLED",
        default_value_t = true,
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub rate_limit_enabled: bool,

    /// WebSocket connections a user may open per window.
    #[arg(long, env = "WS_CONNECT_MAX", default_value_t = 10, value_parser = at_least_one_u32())]
    pub ws_connect_max: u32,

    /// Length of the WebSocket connection window, in seconds.
    #[arg(long, env = "WS_CONNECT_WINDOW", default_value_t = 60, value_parser = at_least_one_u64())]
    pub ws_connect_window: u64,

    /// Messages a WebSocket connection may send per window.
    #[arg(long, env = "WS_MESSAGE_MAX", default_value_t = 120, value_parser = at_least_one_u32())]
    pub ws_message_max: u32,

    /// Length of the WebSocket message window, in seconds.
    #[arg(long, env = "WS_MESSAGE_WINDOW", default_value_t = 60, value_parser = at_least_one_u64())]
    pub ws_message_window: u64,

    /// REST requests a user may make per window.
    #[arg(long, env = "REST_RATE_LIMIT_MAX", default_value_t = 120, value_parser = at_least_one_u32())]
    pub rest_rate_limit_max: u32,

    /// Length of the REST window, in seconds.
    #[arg(long, env = "REST_RATE_LIMIT_WINDOW", default_value_t = 60, value_parser = at_least_one_u64())]
    pub rest_rate_limit_window: u64,

    /// SSE subscribes (`/api/v1/notifications/subscribe`, each with its replay) a user may make
    /// per window.
    #[arg(long, env = "SSE_CONNECT_MAX", default_value_t = 10, value_parser = at_least_one_u32())]
    pub sse_connect_max: u32,

    /// Length of the SSE subscribe window, in seconds.
    #[arg(long, env = "SSE_CONNECT_WINDOW", default_value_t = 60, value_parser = at_least_one_u64())]
    pub sse_connect_window: u64,
}

impl RateLimitConfig {
    /// The WebSocket connection window.
    #[must_use]
    pub fn ws_connect_window(&self) -> Duration {
        Duration::from_secs(self.ws_connect_window)
    }

    /// The WebSocket message window.
    #[must_use]
    pub fn ws_message_window(&self) -> Duration {
        Duration::from_secs(self.ws_message_window)
    }

    /// The REST window.
    #[must_use]
    pub fn rest_rate_limit_window(&self) -> Duration {
        Duration::from_secs(self.rest_rate_limit_window)
    }

    /// The SSE subscribe window.
    #[must_use]
    pub fn sse_connect_window(&self) -> Duration {
        Duration::from_secs(self.sse_connect_window)
    }
}

/// WebSocket keep-alive: the server pings, and drops clients that stop answering.
#[derive(Debug, Clone, Args)]
pub struct WebSocketConfig {
    /// Seconds between two pings to each client.
    #[arg(long, env = "WS_PING_INTERVAL_SECONDS", default_value_t = 30, value_parser = at_least_one_u64())]
    pub ws_ping_interval_seconds: u64,

    /// Seconds without any frame from a client after which it is disconnected; must exceed the
    /// ping interval, or live clients would be dropped before they could answer.
    #[arg(long, env = "WS_CLIENT_TIMEOUT_SECONDS", default_value_t = 90, value_parser = at_least_one_u64())]
    pub ws_client_timeout_seconds: u64,
}

impl WebSocketConfig {
    /// Time between two pings.
    #[must_use]
    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ws_ping_interval_seconds)
    }

    /// Silence after which a client is dropped.
    #[must_use]
    pub fn client_timeout(&self) -> Duration {
        Duration::from_secs(self.ws_client_timeout_seconds)
    }
}

/// Server-sent event streams.
#[derive(Debug, Clone, Args)]
pub struct SseConfig {
    /// Seconds between two heartbeat events, which keep proxies from closing idle streams.
    #[arg(long, env = "SSE_HEARTBEAT_SECONDS", default_value_t = 25, value_parser = at_least_one_u64())]
    pub sse_heartbeat_seconds: u64,

    /// Open streams allowed per user; one more is refused.
    #[arg(long, env = "SSE_MAX_STREAMS_PER_USER", default_value_t = 10, value_parser = at_least_one_u32())]
    pub sse_max_streams_per_user: u32,
}

impl SseConfig {
    /// Time between two heartbeats.
    #[must_use]
    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs(self.sse_heartbeat_seconds)
    }
}

/// The Prometheus endpoint `GET /metrics`.
#[derive(Debug, Clone, Args)]
pub struct MetricsConfig {
    /// Serve `GET /metrics` (`true`) or answer it 404 (`false`). It needs no token: expose it
    /// only to the internal network.
    #[arg(
        long,
        env = "METRICS_ENABLED",
        default_value_t = true,
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub metrics_enabled: bool,

    /// Serve `GET /metrics` on this address (IP and port) instead of `BIND_ADDR`, so it can be
    /// kept off the public listener; unset: on `BIND_ADDR`, as every other route. Not opened
    /// with `METRICS_ENABLED=false`.
    #[arg(long, env = "METRICS_BIND_ADDR")]
    pub metrics_bind_addr: Option<SocketAddr>,
}

/// What `serve` does besides serving: migrations at start, and keeping the table of remembered
/// command outcomes (`processed_commands`) bounded.
#[derive(Debug, Clone, Args)]
pub struct UpkeepConfig {
    /// Apply pending migrations at start (`true`), under a PostgreSQL advisory lock so instances
    /// starting together take turns; `false` leaves them to `hourglass migrate`.
    #[arg(
        long,
        env = "MIGRATE_ON_START",
        default_value_t = true,
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub migrate_on_start: bool,

    /// Remembered command outcomes kept per user, newest first: a `request_id` older than the
    /// newest this many of its user is no longer replayed, even within 24 h.
    #[arg(
        long,
        env = "PROCESSED_COMMANDS_MAX_PER_USER",
        default_value_t = 1000,
        value_parser = at_least_one_u32()
    )]
    pub processed_commands_max_per_user: u32,

    /// Seconds between two clean-ups of remembered command outcomes (those older than 24 h, and
    /// those beyond `PROCESSED_COMMANDS_MAX_PER_USER` per user).
    #[arg(
        long,
        env = "PROCESSED_COMMANDS_PURGE_INTERVAL_SECONDS",
        default_value_t = 300,
        value_parser = at_least_one_u64()
    )]
    pub processed_commands_purge_interval_seconds: u64,
}

impl UpkeepConfig {
    /// Time between two clean-ups of remembered command outcomes.
    #[must_use]
    pub fn processed_commands_purge_interval(&self) -> Duration {
        Duration::from_secs(self.processed_commands_purge_interval_seconds)
    }
}

/// The alarms of running timers: `timer.time_up` and `TIME_UP` when a timer's running time
/// reaches its allocation, `TIMER_FORGOTTEN` when it runs on far past it.
#[derive(Debug, Clone, Args)]
pub struct AlarmConfig {
    /// Seconds of running past the allocation after which the owner is told a timer looks
    /// forgotten (`TIMER_FORGOTTEN`, once per allocation); 0 turns that off.
    #[arg(
        long,
        env = "FORGOTTEN_AFTER_SECONDS",
        default_value_t = 7200,
        value_parser = RangedU64ValueParser::<u32>::new().range(0..=31_536_000)
    )]
    pub forgotten_after_seconds: u32,

    /// Run the alarm scheduler in this instance (`true`), or leave firing to the other instances
    /// (`false`). Each due alarm goes off once, on whichever running scheduler claims it; with
    /// every instance set to `false`, nothing goes off until one with `true` starts (late).
    #[arg(
        long,
        env = "ALARM_SCHEDULER_ENABLED",
        default_value_t = true,
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub alarm_scheduler_enabled: bool,
}

/// Which engine carries committed events between instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum EventBusEngine {
    /// Embedded: the relay publishes with `pg_notify`, every instance `LISTEN`s. Nothing else
    /// to run.
    #[default]
    Postgres,
    /// NATS JetStream (`NATS_URL`): per-user subjects, each instance subscribed to those its
    /// connections care about.
    Nats,
}

/// How committed events travel between instances: the outbox relay and the bus.
#[derive(Debug, Clone, Args)]
pub struct EventBusConfig {
    /// The engine: `postgres` (embedded, the default) or `nats` (NATS JetStream at NATS_URL).
    #[arg(long, env = "EVENT_BUS", value_enum, default_value_t = EventBusEngine::Postgres)]
    pub event_bus: EventBusEngine,

    /// NATS server URL(s), comma-separated, with EVENT_BUS=nats; may carry credentials
    /// (`nats://user:password@host:4222`).
    // Hidden like DATABASE_URL: it may carry a password.
    #[arg(
        long,
        env = "NATS_URL",
        hide_env_values = true,
        default_value = "nats://127.0.0.1:4222"
    )]
    pub nats_url: String,

    /// The JetStream stream holding the events (created, or updated to these settings, at
    /// start).
    #[arg(long, env = "NATS_STREAM", default_value = "HOURGLASS", value_parser = NonEmptyStringValueParser::new())]
    pub nats_stream: String,

    /// The first token of every subject (`<prefix>.u.<user>.t|n`); two deployments sharing a
    /// NATS server need different prefixes (and streams).
    #[arg(long, env = "NATS_SUBJECT_PREFIX", default_value = "hg", value_parser = subject_token())]
    pub nats_subject_prefix: String,

    /// Seconds the stream keeps each event: how long an instance cut off from the broker can
    /// still catch up from it; beyond that its clients resynchronise from PostgreSQL.
    #[arg(
        long,
        env = "EVENT_BUS_RETENTION_SECONDS",
        default_value_t = 900,
        value_parser = RangedU64ValueParser::<u64>::new().range(10..=604_800)
    )]
    pub event_bus_retention_seconds: u64,

    /// Milliseconds the outbox relay waits before reading its partitions when nothing woke it.
    /// This instance's own commits wake it at once, and other instances' relays wake it for the
    /// rows they wrote into its partitions; this is the fallback when such a wake is lost.
    #[arg(
        long,
        env = "OUTBOX_POLL_INTERVAL_MS",
        default_value_t = 5,
        value_parser = RangedU64ValueParser::<u64>::new().range(1..=60_000)
    )]
    pub outbox_poll_interval_ms: u64,
}

impl EventBusConfig {
    /// How the relay runs.
    #[must_use]
    pub fn relay(&self) -> hourglass_adapters_postgres::relay::RelaySettings {
        hourglass_adapters_postgres::relay::RelaySettings {
            poll_interval: Duration::from_millis(self.outbox_poll_interval_ms),
        }
    }
}

/// Arguments of `hourglass token`.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The `sub` claim: the user the token speaks for.
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    pub sub: String,

    /// The `name` claim; left out when not given.
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    pub name: Option<String>,

    /// Lifetime in seconds: `exp` = `iat` + ttl.
    #[arg(long, default_value_t = 3600, value_parser = at_least_one_u64())]
    pub ttl: u64,

    /// Shared secret the token is signed with (HS256); this or JWT_SECRET_FILE is required by
    /// this subcommand.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true, value_parser = jwt_secret())]
    pub jwt_secret: Option<Secret>,

    /// File holding the shared secret instead of JWT_SECRET; setting both is an error.
    #[arg(long, env = "JWT_SECRET_FILE", value_parser = secret_file(MIN_JWT_SECRET_BYTES))]
    pub jwt_secret_file: Option<Secret>,

    /// The `iss` claim; left out when unset.
    #[arg(long, env = "JWT_ISSUER", value_parser = NonEmptyStringValueParser::new())]
    pub jwt_issuer: Option<String>,

    /// The `aud` claim; left out when unset.
    #[arg(long, env = "JWT_AUDIENCE", value_parser = NonEmptyStringValueParser::new())]
    pub jwt_audience: Option<String>,
}

/// The `/playground` page (always served; it holds no secret).
#[derive(Debug, Clone, Args)]
pub struct PlaygroundConfig {
    /// Let `POST /playground/token` mint a one-hour token for `playground:<name>`, signed with
    /// `JWT_SECRET` (which must be set), so the page can be tried without an identity provider.
    /// Anyone who reaches the server can then sign in as any `playground:*` user: for local
    /// development only, never in production. Off by default.
    #[arg(
        long,
        env = "PLAYGROUND_DEV_TOKENS",
        default_value_t = false,
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub playground_dev_tokens: bool,
}

impl TokenArgs {
    /// The signing secret, from `JWT_SECRET` or `JWT_SECRET_FILE`; `None` when neither is set.
    ///
    /// # Errors
    /// [`ConfigError::ValueAndFile`] when both are set.
    pub fn secret(&self) -> Result<Option<&Secret>, ConfigError> {
        one_of(
            self.jwt_secret.as_ref(),
            self.jwt_secret_file.as_ref(),
            "JWT_SECRET",
        )
    }
}

/// A non-empty value that must never reach a log line: its `Debug` prints a placeholder and it
/// has no `Display`, so only an explicit [`Secret::expose`] reveals it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// The shortest `JWT_SECRET` accepted, in bytes: as long as the SHA-256 output, below which the
/// secret is weaker than the signature and a captured token can be brute-forced offline.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl Secret {
    /// Wraps `value`; `None` when it is empty, since an empty key signs tokens anyone can forge.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Option<Self> {
        let value = value.into();
        (!value.is_empty()).then_some(Self(value))
    }

    /// The secret itself.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A configuration that parsed but cannot work.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// No key source at all: every authenticated request would be refused.
    #[error(
        "no way to verify tokens: set at least one of JWT_SECRET, JWT_PUBLIC_KEY_FILE or \
         OIDC_ISSUER_URL (or --jwt-secret, --jwt-public-key-file, --oidc-issuer-url)"
    )]
    NoTokenVerifier,
    /// OIDC discovery needs an absolute http(s) URL.
    #[error("OIDC_ISSUER_URL must start with https:// or http://, got {0:?}")]
    InvalidOidcIssuerUrl(String),
    /// Keys fetched over plain HTTP can be swapped by anyone on the path.
    #[error(
        "OIDC_ISSUER_URL {0:?} is plain http://: its signing keys could be replaced in transit; \
         use https://, or set OIDC_ALLOW_HTTP=true for a local issuer"
    )]
    PlainHttpOidcIssuer(String),
    /// Development tokens are signed with the shared secret.
    #[error("PLAYGROUND_DEV_TOKENS=true needs JWT_SECRET: development tokens are signed with it")]
    DevTokensWithoutSecret,
    /// Clients answer pings, so a timeout not longer than the interval drops live clients.
    #[error(
        "WS_CLIENT_TIMEOUT_SECONDS ({timeout}) must be greater than WS_PING_INTERVAL_SECONDS \
         ({interval})"
    )]
    ClientTimeoutNotAfterPing {
        /// WS_CLIENT_TIMEOUT_SECONDS.
        timeout: u64,
        /// WS_PING_INTERVAL_SECONDS.
        interval: u64,
    },
    /// A secret given both directly and through its `_FILE` variable: which one was meant is a
    /// guess, and guessing a credential is worse than refusing to start.
    #[error(
        "{0} and {0}_FILE are both set (or --{flag} and --{flag}-file): set only one, the value          or the file that holds it",
        flag = .0.to_lowercase().replace('_', "-")
    )]
    ValueAndFile(&'static str),
    /// A required setting has neither its value nor its `_FILE` set.
    #[error("{0} is not set: set {0}, or {0}_FILE to a file that holds it")]
    Missing(&'static str),
}

impl Config {
    /// Checks the rules that span several settings.
    ///
    /// # Errors
    /// The first broken rule, as a [`ConfigError`] whose message names the variables involved.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.database.url()?;
        let auth = &self.auth;
        if auth.secret()?.is_none()
            && auth.jwt_public_key_file.is_none()
            && auth.oidc_issuer_url.is_none()
        {
            return Err(ConfigError::NoTokenVerifier);
        }
        if let Some(url) = &auth.oidc_issuer_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ConfigError::InvalidOidcIssuerUrl(url.clone()));
            }
            if url.starts_with("http://") && !auth.oidc_allow_http {
                return Err(ConfigError::PlainHttpOidcIssuer(url.clone()));
            }
        }
        if self.playground.playground_dev_tokens && auth.jwt_secret.is_none() {
            return Err(ConfigError::DevTokensWithoutSecret);
        }
        let ws = &self.websocket;
        if ws.ws_client_timeout_seconds <= ws.ws_ping_interval_seconds {
            return Err(ConfigError::ClientTimeoutNotAfterPing {
                timeout: ws.ws_client_timeout_seconds,
                interval: ws.ws_ping_interval_seconds,
            });
        }
        Ok(())
    }

    /// Parses `args` (flags only, without the program name) as `hourglass serve` would, but
    /// ignoring the environment, so tests get the documented defaults whatever the machine has
    /// set.
    ///
    /// # Errors
    /// The clap error for a missing or invalid flag.
    pub fn from_args_ignoring_env<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let command = Self::command().mut_args(|arg| arg.env(None));
        let program = std::iter::once(std::ffi::OsString::from("hourglass-serve"));
        let mut matches =
            command.try_get_matches_from(program.chain(args.into_iter().map(Into::into)))?;
        Self::from_arg_matches_mut(&mut matches)
    }
}

/// The browser origins allowed to call the service, each `scheme://host[:port]` exactly as
/// browsers send it in `Origin`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// The origins, in the order configured.
    #[must_use]
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether `origin` (an `Origin` header value) is on the list; comparison is exact, as
    /// browsers send the origin in canonical form.
    #[must_use]
    pub fn allows(&self, origin: &str) -> bool {
        self.0.iter().any(|allowed| allowed == origin)
    }
}

/// A comma-separated list of origins; blank entries (`""`, a trailing comma) are skipped.
fn parse_origins(value: &str) -> Result<AllowedOrigins, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(parse_origin)
        .collect::<Result<_, _>>()
        .map(AllowedOrigins)
}

fn parse_origin(origin: &str) -> Result<String, String> {
    // `null` (file:// pages, sandboxed frames) is allowed only when listed literally; ws(s)://
    // entries are what the original guide tells front ends to list, and match http(s)://.
    if origin == "null" {
        return Ok(origin.to_owned());
    }
    let Some(rest) = ["https://", "http://", "wss://", "ws://"]
        .iter()
        .find_map(|scheme| origin.strip_prefix(scheme))
    else {
        return Err(format!(
            "{origin:?} is not an origin: expected http(s)://host[:port] or ws(s)://host[:port]"
        ));
    };
    // Browsers never send a path or a trailing slash in `Origin`, so such an entry would never
    // match; refusing it at startup beats a silent CORS failure.
    if rest.is_empty() || rest.contains('/') {
        return Err(format!(
            "{origin:?} is not an origin: expected http(s)://host[:port] with no path or \
             trailing slash"
        ));
    }
    Ok(origin.to_owned())
}

// Every optional setting refuses an empty value rather than treating `JWT_ISSUER=` as "check
// for an empty issuer": a line left blank in an env file then fails loudly at startup.
/// A non-empty hidden value (`DATABASE_URL`).
/// A NATS subject token: letters, digits, `-` and `_` (no dots, wildcards or spaces).
fn subject_token() -> impl TypedValueParser<Value = String> {
    NonEmptyStringValueParser::new().try_map(|token: String| {
        if token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            Ok(token)
        } else {
            Err(format!(
                "`{token}` is not a NATS subject token (letters, digits, `-`, `_`)"
            ))
        }
    })
}

fn secret() -> SecretParser {
    SecretParser { min_bytes: 1 }
}

/// `JWT_SECRET`: at least [`MIN_JWT_SECRET_BYTES`].
fn jwt_secret() -> SecretParser {
    SecretParser {
        min_bytes: MIN_JWT_SECRET_BYTES,
    }
}

/// Parses a hidden value of at least `min_bytes`. Not a `try_map`: clap's usual "invalid value
/// '…'" message would print the rejected value, and a short secret is still the operator's.
#[derive(Debug, Clone, Copy)]
struct SecretParser {
    min_bytes: usize,
}

impl TypedValueParser for SecretParser {
    type Value = Secret;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Secret, clap::Error> {
        let name = arg.map_or_else(|| "JWT_SECRET".to_owned(), ToString::to_string);
        let Some(text) = value.to_str() else {
            return Err(clap::Error::raw(
                clap::error::ErrorKind::InvalidUtf8,
                format!("{name}: the secret is not UTF-8\n"),
            ));
        };
        self.check(&name, text)
    }
}

impl SecretParser {
    /// Checks `text`, the value of the setting `name`, for emptiness and length.
    fn check(&self, name: &str, text: &str) -> Result<Secret, clap::Error> {
        if text.is_empty() {
            return Err(clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("{name}: the value must not be empty\n"),
            ));
        }
        if text.len() < self.min_bytes {
            return Err(clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!(
                    "{name}: the secret is {} bytes; at least {} are needed, or tokens can be \
                     forged by guessing it (generate one with `head -c 32 /dev/urandom | \
                     base64`)\n",
                    text.len(),
                    self.min_bytes
                ),
            ));
        }
        Ok(Secret(text.to_owned()))
    }
}

/// A `_FILE` variable: the path of a file whose contents are the secret (at least `min_bytes`
/// once one trailing line break is removed). The file is read while parsing, so a path that
/// cannot be read fails the start like any invalid value, naming the variable and the path.
fn secret_file(min_bytes: usize) -> SecretFileParser {
    SecretFileParser {
        contents: SecretParser { min_bytes },
    }
}

/// Parses a path and reads the secret it holds; the contents are checked like a direct value.
#[derive(Debug, Clone, Copy)]
struct SecretFileParser {
    contents: SecretParser,
}

impl TypedValueParser for SecretFileParser {
    type Value = Secret;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Secret, clap::Error> {
        let name = arg.map_or_else(|| "JWT_SECRET_FILE".to_owned(), ToString::to_string);
        if value.is_empty() {
            return Err(clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("{name}: the value must not be empty\n"),
            ));
        }
        let path = std::path::Path::new(value);
        let text = std::fs::read_to_string(path).map_err(|error| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("{name}: cannot read {}: {error}\n", path.display()),
            )
        })?;
        // `echo secret > file` and most editors end the file with a line break that is not
        // part of the secret; anything else (inner spaces, several line breaks) is kept.
        let text = text.strip_suffix('\n').map_or(text.as_str(), |rest| {
            rest.strip_suffix('\r').unwrap_or(rest)
        });
        self.contents
            .check(&format!("{name} (the file {})", path.display()), text)
    }
}

fn non_empty_path() -> impl TypedValueParser<Value = PathBuf> {
    NonEmptyStringValueParser::new().map(PathBuf::from)
}

fn at_least_one_u64() -> RangedU64ValueParser<u64> {
    RangedU64ValueParser::new().range(1..)
}

fn at_least_one_u32() -> RangedU64ValueParser<u32> {
    RangedU64ValueParser::new().range(1..=u64::from(u32::MAX))
}

fn at_least_one_usize() -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(1..)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DB: [&str; 2] = ["--database-url", "postgres://u:p@127.0.0.1:5432/db"];
    /// A secret of exactly the minimum length.
    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn parse(extra: &[&str]) -> Result<Config, clap::Error> {
        Config::from_args_ignoring_env(DB.iter().chain(extra).copied())
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
        Config::command().debug_assert();
    }

    #[test]
    fn defaults_match_the_documented_table() -> Result<(), clap::Error> {
        let config = parse(&[])?;
        assert_eq!(config.database.database_pool_size, 16);
        assert_eq!(config.database.pool_timeout(), Duration::from_secs(10));
        assert_eq!(
            config.database.statement_timeout(),
            Some(Duration::from_secs(30))
        );
        assert_eq!(config.http.http_max_connections_per_worker, 25_000);
        assert_eq!(config.http.shutdown_grace(), Duration::from_secs(10));
        assert_eq!(
            config.http.bind_addr,
            SocketAddr::from(([127, 0, 0, 1], 8000))
        );
        assert_eq!(config.http.cors_allowed_origins, AllowedOrigins::default());
        assert_eq!(config.http.tcp_user_timeout_seconds, 30);
        assert_eq!(config.http.http_workers, None);
        assert_eq!(config.auth.jwt_secret, None);
        assert_eq!(config.auth.oidc_jwks_min_refresh_seconds, 60);
        let limits = &config.limits;
        assert!(limits.rate_limit_enabled);
        assert_eq!((limits.ws_connect_max, limits.ws_connect_window), (10, 60));
        assert_eq!((limits.ws_message_max, limits.ws_message_window), (120, 60));
        assert_eq!(
            (limits.rest_rate_limit_max, limits.rest_rate_limit_window),
            (120, 60)
        );
        assert_eq!(config.websocket.ws_ping_interval_seconds, 30);
        assert_eq!(config.websocket.ws_client_timeout_seconds, 90);
        assert_eq!(config.sse.sse_heartbeat_seconds, 25);
        assert_eq!(config.sse.sse_max_streams_per_user, 10);
        assert_eq!(
            (limits.sse_connect_max, limits.sse_connect_window),
            (10, 60)
        );
        assert!(config.metrics.metrics_enabled);
        assert_eq!(config.metrics.metrics_bind_addr, None);
        let upkeep = &config.upkeep;
        assert!(upkeep.migrate_on_start);
        assert_eq!(upkeep.processed_commands_max_per_user, 1000);
        assert_eq!(
            upkeep.processed_commands_purge_interval(),
            Duration::from_secs(300)
        );
        Ok(())
    }

    #[test]
    fn database_url_is_required() {
        let parsed = Config::from_args_ignoring_env(["--jwt-secret", SECRET]);
        assert!(parsed.is_err());
    }

    #[test]
    fn serve_needs_one_of_the_three_token_verifiers() -> Result<(), clap::Error> {
        let error = parse(&[])?.validate();
        assert_eq!(error, Err(ConfigError::NoTokenVerifier));
        let message = ConfigError::NoTokenVerifier.to_string();
        for name in ["JWT_SECRET", "JWT_PUBLIC_KEY_FILE", "OIDC_ISSUER_URL"] {
            assert!(message.contains(name), "{message}");
        }

        assert_eq!(parse(&["--jwt-secret", SECRET])?.validate(), Ok(()));
        assert_eq!(
            parse(&["--jwt-public-key-file", "/k.pem"])?.validate(),
            Ok(())
        );
        assert_eq!(
            parse(&["--oidc-issuer-url", "https://id.example.com"])?.validate(),
            Ok(())
        );
        Ok(())
    }

    #[test]
    fn empty_optional_values_are_refused() {
        for flag in [
            "--jwt-secret",
            "--jwt-public-key-file",
            "--oidc-issuer-url",
            "--jwt-issuer",
            "--jwt-audience",
        ] {
            let parsed = parse(&["--jwt-secret", SECRET, flag, ""]);
            assert!(parsed.is_err(), "{flag} \"\" was accepted");
        }
        assert!(Config::from_args_ignoring_env(["--database-url", ""]).is_err());
    }

    #[test]
    fn a_plain_http_issuer_needs_oidc_allow_http() -> Result<(), clap::Error> {
        let plain = ["--oidc-issuer-url", "http://127.0.0.1:9/"];
        assert_eq!(
            parse(&plain)?.validate(),
            Err(ConfigError::PlainHttpOidcIssuer(
                "http://127.0.0.1:9/".to_owned()
            ))
        );
        let allowed = parse(&[plain[0], plain[1], "--oidc-allow-http", "true"])?;
        assert_eq!(allowed.validate(), Ok(()));
        Ok(())
    }

    #[test]
    fn the_issuer_url_must_be_http() -> Result<(), clap::Error> {
        let validated = parse(&["--oidc-issuer-url", "id.example.com"])?.validate();
        assert!(matches!(
            validated,
            Err(ConfigError::InvalidOidcIssuerUrl(_))
        ));
        Ok(())
    }

    #[test]
    fn zero_maxima_windows_and_pool_sizes_are_refused() {
        for flag in [
            "--database-pool-size",
            "--ws-connect-max",
            "--ws-connect-window",
            "--ws-message-max",
            "--ws-message-window",
            "--rest-rate-limit-max",
            "--rest-rate-limit-window",
            "--ws-ping-interval-seconds",
            "--ws-client-timeout-seconds",
            "--sse-heartbeat-seconds",
            "--sse-max-streams-per-user",
            "--http-workers",
        ] {
            let parsed = parse(&["--jwt-secret", SECRET, flag, "0"]);
            assert!(parsed.is_err(), "{flag} 0 was accepted");
        }
    }

    /// A file in a fresh temporary folder holding `contents`; the folder goes with the guard.
    struct TempFile {
        dir: PathBuf,
        path: PathBuf,
    }

    impl TempFile {
        fn new(name: &str, contents: &str) -> std::io::Result<Self> {
            let dir = std::env::temp_dir().join(format!(
                "hourglass-config-{}-{}",
                std::process::id(),
                uuid::Uuid::now_v7().simple()
            ));
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(name);
            std::fs::write(&path, contents)?;
            Ok(Self { dir, path })
        }

        fn arg(&self) -> &str {
            self.path.to_str().unwrap_or_default()
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _gone = std::fs::remove_dir_all(&self.dir);
        }
    }

    #[test]
    fn secrets_are_read_from_their_files_without_the_trailing_line_break()
    -> Result<(), Box<dyn std::error::Error>> {
        let url = TempFile::new("database-url", "postgres://u:p@db:5432/h\n")?;
        let secret = TempFile::new("jwt-secret", &format!("{SECRET}\r\n"))?;
        let config = Config::from_args_ignoring_env([
            "--database-url-file",
            url.arg(),
            "--jwt-secret-file",
            secret.arg(),
        ])?;
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(
            config.database.url().map(Secret::expose),
            Ok("postgres://u:p@db:5432/h")
        );
        assert_eq!(
            config.auth.secret().map(|s| s.map(Secret::expose)),
            Ok(Some(SECRET))
        );
        let printed = format!("{config:?}");
        assert!(
            !printed.contains(SECRET) && !printed.contains("u:p@"),
            "{printed}"
        );
        Ok(())
    }

    #[test]
    fn a_value_and_its_file_together_are_refused_naming_both()
    -> Result<(), Box<dyn std::error::Error>> {
        let url = TempFile::new("database-url", "postgres://u:p@db:5432/h")?;
        let both_urls = parse(&["--jwt-secret", SECRET, "--database-url-file", url.arg()])?;
        let refused = both_urls.validate();
        assert_eq!(refused, Err(ConfigError::ValueAndFile("DATABASE_URL")));
        let message = ConfigError::ValueAndFile("DATABASE_URL").to_string();
        assert!(
            message.contains("DATABASE_URL and DATABASE_URL_FILE are both set")
                && message.contains("--database-url and --database-url-file"),
            "{message}"
        );

        let secret = TempFile::new("jwt-secret", SECRET)?;
        let both_secrets = parse(&["--jwt-secret", SECRET, "--jwt-secret-file", secret.arg()])?;
        assert_eq!(
            both_secrets.validate(),
            Err(ConfigError::ValueAndFile("JWT_SECRET"))
        );
        let cli = Cli::try_parse_from([
            "hourglass",
            "token",
            "--sub",
            "alice",
            "--jwt-secret",
            SECRET,
            "--jwt-secret-file",
            secret.arg(),
        ])?;
        let Command::Token(token) = cli.command else {
            panic!("expected the token subcommand");
        };
        assert_eq!(token.secret(), Err(ConfigError::ValueAndFile("JWT_SECRET")));
        Ok(())
    }

    #[test]
    fn an_unreadable_empty_or_short_secret_file_is_refused_naming_the_file()
    -> Result<(), Box<dyn std::error::Error>> {
        let missing = "/nonexistent/hourglass/jwt-secret";
        let Err(error) = parse(&["--jwt-secret-file", missing]) else {
            panic!("a missing file was accepted");
        };
        let message = error.to_string();
        assert!(
            message.contains("cannot read") && message.contains(missing),
            "{message}"
        );

        let empty = TempFile::new("empty", "\n")?;
        let Err(error) = parse(&["--jwt-secret-file", empty.arg()]) else {
            panic!("an empty file was accepted");
        };
        assert!(error.to_string().contains("must not be empty"), "{error}");

        let short = TempFile::new("short", "hunter2\n")?;
        let Err(error) = parse(&["--jwt-secret-file", short.arg()]) else {
            panic!("a 7-byte secret file was accepted");
        };
        let message = error.to_string();
        assert!(
            message.contains("7 bytes") && message.contains(short.arg()),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "not echoed: {message}");

        let Err(error) = Config::from_args_ignoring_env(["--database-url-file", missing]) else {
            panic!("a missing DATABASE_URL_FILE was accepted");
        };
        assert!(error.to_string().contains(missing), "{error}");
        Ok(())
    }

    #[test]
    fn the_operator_settings_take_their_values_and_refuse_out_of_range_ones()
    -> Result<(), clap::Error> {
        let config = parse(&[
            "--jwt-secret",
            SECRET,
            "--shutdown-grace-seconds",
            "25",
            "--http-max-connections-per-worker",
            "100000",
            "--database-statement-timeout-seconds",
            "0",
        ])?;
        assert_eq!(config.http.shutdown_grace(), Duration::from_secs(25));
        assert_eq!(config.http.http_max_connections_per_worker, 100_000);
        assert_eq!(config.database.statement_timeout(), None, "0 turns it off");
        for (flag, value) in [
            ("--shutdown-grace-seconds", "0"),
            ("--shutdown-grace-seconds", "3601"),
            ("--http-max-connections-per-worker", "0"),
            ("--http-max-connections-per-worker", "1000001"),
            ("--database-statement-timeout-seconds", "86401"),
            ("--database-statement-timeout-seconds", "1.5"),
            ("--database-statement-timeout-seconds", "5s"),
        ] {
            let Err(error) = parse(&["--jwt-secret", SECRET, flag, value]) else {
                panic!("{flag} {value} was accepted");
            };
            let message = error.to_string();
            assert!(
                message.contains(flag) && message.contains(value),
                "{message}"
            );
        }
        Ok(())
    }

    /// Every variable `serve` reads, with its default (`None`: no default), from the clap
    /// definitions, plus the two read outside them.
    fn every_variable() -> Vec<(String, Option<String>)> {
        let mut variables: Vec<(String, Option<String>)> = Config::command()
            .get_arguments()
            .filter_map(|arg| {
                let env = arg.get_env()?.to_str()?.to_owned();
                let default = arg
                    .get_default_values()
                    .first()
                    .and_then(|value| value.to_str())
                    .map(str::to_owned);
                Some((env, default))
            })
            .collect();
        variables.push(("LOG_FORMAT".to_owned(), Some("pretty".to_owned())));
        variables.push(("RUST_LOG".to_owned(), Some("info".to_owned())));
        variables
    }

    #[test]
    fn the_packaged_env_file_lists_every_setting_commented_out_at_its_default() {
        let file = include_str!("../debian/hourglass.env");
        let lines: Vec<(&str, &str)> = file
            .lines()
            .filter_map(|line| line.strip_prefix('#')?.split_once('='))
            .filter(|(name, _)| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            })
            .collect();
        assert!(
            file.lines()
                .all(|line| line.is_empty() || line.starts_with('#')),
            "every line is a comment: nothing is set by the package"
        );
        let variables = every_variable();
        for (name, default) in &variables {
            let Some((_, value)) = lines.iter().find(|(line_name, _)| line_name == name) else {
                panic!("debian/hourglass.env does not list {name}");
            };
            if let Some(default) = default {
                assert_eq!(value, default, "{name} is not at its default");
            }
        }
        for (name, _) in &lines {
            assert!(
                variables.iter().any(|(known, _)| known == name),
                "debian/hourglass.env lists {name}, which is no setting"
            );
        }
    }

    #[test]
    fn every_setting_is_documented_and_in_the_example_env_file() {
        let documented = include_str!("../../../docs/configuration.md");
        let example = include_str!("../../../.env.example");
        for (name, _) in every_variable() {
            assert!(
                documented.contains(&format!("| `{name}` |")),
                "docs/configuration.md has no row for {name}"
            );
            assert!(
                example.contains(&format!("{name}=")),
                ".env.example does not list {name}"
            );
        }
    }

    #[test]
    fn http_workers_is_taken_as_given() -> Result<(), clap::Error> {
        let config = parse(&["--jwt-secret", SECRET, "--http-workers", "1"])?;
        assert_eq!(config.http.http_workers, Some(1));
        Ok(())
    }

    #[test]
    fn runtime_workers_default_to_the_cores_and_must_be_positive() -> Result<(), clap::Error> {
        assert_eq!(parse(&["--jwt-secret", SECRET])?.http.runtime_workers, None);
        let config = parse(&["--jwt-secret", SECRET, "--runtime-workers", "1"])?;
        assert_eq!(config.http.runtime_workers, Some(1));
        assert!(parse(&["--jwt-secret", SECRET, "--runtime-workers", "0"]).is_err());
        Ok(())
    }

    #[test]
    fn the_client_timeout_must_exceed_the_ping_interval() -> Result<(), clap::Error> {
        let config = parse(&[
            "--jwt-secret",
            SECRET,
            "--ws-ping-interval-seconds",
            "5",
            "--ws-client-timeout-seconds",
            "5",
        ])?;
        assert_eq!(
            config.validate(),
            Err(ConfigError::ClientTimeoutNotAfterPing {
                timeout: 5,
                interval: 5
            })
        );
        Ok(())
    }

    #[test]
    fn metrics_can_be_switched_off() -> Result<(), clap::Error> {
        for value in ["false", "0", "no"] {
            let config = parse(&["--metrics-enabled", value])?;
            assert!(!config.metrics.metrics_enabled, "{value}");
        }
        assert!(parse(&["--metrics-enabled", "maybe"]).is_err());
        Ok(())
    }

    #[test]
    fn rate_limits_can_be_switched_off() -> Result<(), clap::Error> {
        for value in ["false", "0", "off", "no"] {
            let config = parse(&["--rate-limit-enabled", value])?;
            assert!(!config.limits.rate_limit_enabled, "{value}");
        }
        Ok(())
    }

    #[test]
    fn origins_are_split_on_commas_and_trimmed() -> Result<(), clap::Error> {
        let config = parse(&[
            "--cors-allowed-origins",
            "https://app.example.com, http://localhost:5173,",
        ])?;
        let origins = &config.http.cors_allowed_origins;
        assert_eq!(
            origins.as_slice(),
            ["https://app.example.com", "http://localhost:5173"]
        );
        assert!(origins.allows("http://localhost:5173"));
        assert!(!origins.allows("http://localhost:5174"));
        Ok(())
    }

    #[test]
    fn trusted_proxies_default_to_none_and_refuse_what_is_not_an_address() -> Result<(), clap::Error>
    {
        assert_eq!(parse(&[])?.http.trusted_proxies, TrustedProxies::default());
        let config = parse(&["--trusted-proxies", "10.0.0.0/8, ::1"])?;
        assert!(
            config
                .http
                .trusted_proxies
                .contains(std::net::IpAddr::from([10, 9, 8, 7]))
        );
        assert!(parse(&["--trusted-proxies", "proxy.internal"]).is_err());
        Ok(())
    }

    #[test]
    fn an_empty_origin_list_allows_nothing() -> Result<(), clap::Error> {
        let config = parse(&["--cors-allowed-origins", ""])?;
        assert_eq!(
            config.http.cors_allowed_origins.as_slice(),
            [] as [String; 0]
        );
        assert!(!config.http.cors_allowed_origins.allows("null"));
        Ok(())
    }

    #[test]
    fn origins_with_a_path_or_no_scheme_are_refused() {
        for origin in [
            "app.example.com",
            "https://app.example.com/",
            "https://",
            "*",
        ] {
            let parsed = parse(&["--cors-allowed-origins", origin]);
            assert!(parsed.is_err(), "{origin} was accepted");
        }
    }

    #[test]
    fn websocket_and_null_origins_are_accepted() -> Result<(), clap::Error> {
        let config = parse(&[
            "--cors-allowed-origins",
            "ws://localhost:5173,wss://app.example.com,null",
        ])?;
        assert_eq!(
            config.http.cors_allowed_origins.as_slice(),
            ["ws://localhost:5173", "wss://app.example.com", "null"]
        );
        assert!(parse(&["--cors-allowed-origins", "wss://a.example/x"]).is_err());
        Ok(())
    }

    #[test]
    fn a_short_secret_is_refused_saying_how_long_it_must_be() {
        let Err(error) = parse(&["--jwt-secret", "hunter2"]) else {
            panic!("a 7-byte secret was accepted")
        };
        let message = error.to_string();
        assert!(
            message.contains("7 bytes") && message.contains("at least 32"),
            "{message}"
        );
        assert!(
            !message.contains("hunter2"),
            "the secret is not echoed: {message}"
        );
    }

    #[test]
    fn only_the_jwt_secret_has_a_minimum_length() {
        assert_eq!(Secret::new(""), None);
        assert!(Secret::new("x").is_some());
        // A short database URL is fine: only JWT_SECRET has a minimum length.
        let short_url = Config::from_args_ignoring_env([
            "--database-url",
            "postgres://db/h",
            "--jwt-secret",
            SECRET,
        ]);
        assert!(short_url.is_ok(), "{short_url:?}");
        assert!(parse(&["--jwt-secret", &SECRET[1..]]).is_err());
    }

    #[test]
    fn playground_dev_tokens_are_off_by_default_and_need_the_secret() -> Result<(), clap::Error> {
        let config = parse(&["--jwt-secret", SECRET])?;
        assert!(!config.playground.playground_dev_tokens);
        let on = parse(&["--jwt-secret", SECRET, "--playground-dev-tokens", "true"])?;
        assert_eq!(on.validate(), Ok(()));
        let without_secret = Config::from_args_ignoring_env([
            "--database-url",
            "postgres://db/h",
            "--jwt-public-key-file",
            "/keys/pub.pem",
            "--playground-dev-tokens",
            "true",
        ])?;
        assert_eq!(
            without_secret.validate(),
            Err(ConfigError::DevTokensWithoutSecret)
        );
        Ok(())
    }

    #[test]
    fn debug_output_hides_secrets() -> Result<(), clap::Error> {
        let config = parse(&["--jwt-secret", SECRET])?;
        let printed = format!("{config:?}");
        assert!(!printed.contains(SECRET), "{printed}");
        assert!(!printed.contains("u:p@"), "{printed}");
        Ok(())
    }

    #[test]
    fn the_subcommands_parse() -> Result<(), clap::Error> {
        let cli = Cli::try_parse_from([
            "hourglass",
            "token",
            "--sub",
            "alice",
            "--ttl",
            "60",
            "--log-format",
            "json",
        ])?;
        assert_eq!(cli.log_format, LogFormat::Json);
        let Command::Token(token) = cli.command else {
            panic!("expected the token subcommand, got {:?}", cli.command);
        };
        assert_eq!((token.sub.as_str(), token.ttl), ("alice", 60));
        Ok(())
    }
}
