//! Builds the adapters and services from the configuration: the one place that knows them all.

use std::sync::Arc;

use anyhow::Context as _;
use hourglass_adapters_actix::edge::auth::any_of::AnyOf;
use hourglass_adapters_actix::edge::auth::hs256::Hs256Verifier;
use hourglass_adapters_actix::edge::auth::oidc::{OidcSettings, OidcVerifier};
use hourglass_adapters_actix::edge::auth::public_key::PublicKeyVerifier;
use hourglass_adapters_actix::edge::auth::{Authenticator, TokenVerifier};
use hourglass_adapters_actix::edge::rate_limit::RateLimits;
use hourglass_adapters_actix::edge::telemetry::Metrics;
use hourglass_adapters_actix::realtime::registry::ConnectionRegistry;
use hourglass_adapters_actix::realtime::shutdown::Shutdown;
use hourglass_adapters_actix::realtime::sse::SseRegistry;
use hourglass_adapters_actix::settings::{DevTokens, EdgeSettings, RateLimit};
use hourglass_adapters_actix::state::AppState;
use hourglass_adapters_postgres::pool::{PgPool, PgPoolUsage};
use hourglass_adapters_postgres::readiness::PgReadiness;
use hourglass_adapters_postgres::repository::{
    PgAlarmRepository, PgFollowRepository, PgMeetupRepository, PgNotificationRepository,
    PgTimerRepository, PgUserRepository,
};
use hourglass_adapters_postgres::repository::{
    PgReportRepository, PgScheduleRepository, PgTagRepository, PgTodoRepository,
};
use hourglass_domain::timer::alarm::AlarmPolicy;
use hourglass_ports::clock::{Clock, SystemClock};
use hourglass_ports::event::EventPublisher;
use hourglass_ports::id::UuidV7Generator;
use hourglass_ports::service::account::AccountService;
use hourglass_ports::service::alarm::AlarmService;
use hourglass_ports::service::command::CommandService;
use hourglass_ports::service::delivery::{DeliveryService, InProcessDelivery};
use hourglass_ports::service::follow::FollowService;
use hourglass_ports::service::interest::InterestIndex;
use hourglass_ports::service::meetup::MeetupService;
use hourglass_ports::service::notification::NotificationService;
use hourglass_ports::service::planning::PlanningService;
use hourglass_ports::service::report::ReportService;
use hourglass_ports::service::timer::TimerService;
use hourglass_ports::service::user::UserService;

use crate::config::{AuthConfig, Config};

/// The edge settings from the configuration.
pub fn edge_settings(config: &Config) -> EdgeSettings {
    let limits = &config.limits;
    let limit = |max, window| {
        limits
            .rate_limit_enabled
            .then_some(RateLimit { max, window })
    };
    EdgeSettings {
        allowed_origins: config.http.cors_allowed_origins.as_slice().to_vec(),
        trusted_proxies: config.http.trusted_proxies.clone(),
        ws_connect_limit: limit(limits.ws_connect_max, limits.ws_connect_window()),
        ws_message_limit: limit(limits.ws_message_max, limits.ws_message_window()),
        rest_limit: limit(limits.rest_rate_limit_max, limits.rest_rate_limit_window()),
        sse_connect_limit: limit(limits.sse_connect_max, limits.sse_connect_window()),
        ws_ping_interval: config.websocket.ping_interval(),
        ws_client_timeout: config.websocket.client_timeout(),
        sse_heartbeat: config.sse.heartbeat(),
        sse_max_streams_per_user: config.sse.sse_max_streams_per_user,
        // With a listener of its own, the main one answers `/metrics` with 404.
        metrics_enabled: config.metrics.metrics_enabled
            && config.metrics.metrics_bind_addr.is_none(),
        playground_dev_tokens: dev_tokens(config),
    }
}

/// The development-token keys of `/playground`, when `PLAYGROUND_DEV_TOKENS` is on (validation
/// already refused it without `JWT_SECRET`).
fn dev_tokens(config: &Config) -> Option<DevTokens> {
    let secret = config.auth.jwt_secret.as_ref()?;
    config.playground.playground_dev_tokens.then(|| DevTokens {
        secret: secret.expose().as_bytes().to_vec(),
        issuer: config.auth.jwt_issuer.clone(),
        audience: config.auth.jwt_audience.clone(),
    })
}

/// The token verifier the configuration asks for: every configured key source, tried in the
/// order `JWT_SECRET`, `JWT_PUBLIC_KEY_FILE`, `OIDC_ISSUER_URL` (the rule is
/// [`hourglass_adapters_actix::edge::auth::any_of`]'s).
///
/// # Errors
/// When no key source is configured, the public key file cannot be read or holds no RSA/EC
/// public key, or the OIDC HTTP client cannot be built.
pub fn token_verifier(auth: &AuthConfig) -> anyhow::Result<Arc<dyn TokenVerifier>> {
    let issuer = auth.jwt_issuer.as_deref();
    let audience = auth.jwt_audience.as_deref();
    // The primary source owns the users created before identities had an issuer: the most
    // production-like one configured (OIDC, else the public key, else the secret).
    let oidc_is_primary = auth.oidc_issuer_url.is_some();
    let public_key_is_primary = !oidc_is_primary && auth.jwt_public_key_file.is_some();
    let secret_is_primary = !oidc_is_primary && !public_key_is_primary;
    let mut sources: Vec<Arc<dyn TokenVerifier>> = Vec::new();
    if let Some(secret) = auth.secret()? {
        let verifier = Hs256Verifier::new(secret.expose().as_bytes(), issuer, audience);
        sources.push(Arc::new(if secret_is_primary {
            verifier.claiming_legacy_users()
        } else {
            verifier
        }));
    }
    if let Some(path) = &auth.jwt_public_key_file {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read JWT_PUBLIC_KEY_FILE {}", path.display()))?;
        let verifier = PublicKeyVerifier::from_pem(&pem, issuer, audience)
            .with_context(|| format!("JWT_PUBLIC_KEY_FILE {}", path.display()))?;
        tracing::info!(kind = ?verifier.kind(), "token verification with a public key");
        sources.push(Arc::new(if public_key_is_primary {
            verifier.claiming_legacy_users()
        } else {
            verifier
        }));
    }
    if let Some(issuer_url) = &auth.oidc_issuer_url {
        if auth.jwt_audience.is_none() {
            // An issuer signs tokens for every application it serves; without an audience check
            // a token minted for any of them is accepted here.
            tracing::warn!(
                issuer = %issuer_url,
                "OIDC_ISSUER_URL is set without JWT_AUDIENCE: tokens the issuer signed for any \
                 other application are accepted; set JWT_AUDIENCE to this service's client id"
            );
        }
        let verifier = OidcVerifier::new(OidcSettings {
            issuer_url: issuer_url.clone(),
            issuer_override: auth.jwt_issuer.clone(),
            audience: auth.jwt_audience.clone(),
            min_refresh: auth.oidc_jwks_min_refresh(),
            claims_legacy_users: oidc_is_primary,
        })
        .context("cannot build the HTTP client for OIDC_ISSUER_URL")?;
        sources.push(Arc::new(verifier));
    }
    match sources.len() {
        0 => anyhow::bail!(
            "no way to verify tokens: set JWT_SECRET, JWT_PUBLIC_KEY_FILE or OIDC_ISSUER_URL"
        ),
        1 => Ok(sources.remove(0)),
        _ => Ok(Arc::new(AnyOf::new(sources))),
    }
}

/// Every service, over PostgreSQL, sharing one clock, one delivery service and one set of
/// metrics (which samples `pool`'s usage on each scrape). Also returns the delivery service, which
/// the event bus that [`crate::run`] starts hands the other instances' events to, and the
/// interest of this instance's connections, which decides what the bus hands it.
///
/// Timer events reach this instance's connections from the services through the in-process
/// delivery lanes, after the sender's reply; notifications reach every instance, this one
/// included, through the listener.
///
/// # Errors
/// When the token verifier cannot be built.
/// The third value is the alarm scheduler, which [`crate::run`] starts when
/// `ALARM_SCHEDULER_ENABLED` is set; its time-up events go through the same in-process lanes.
pub fn app_state(
    config: &Config,
    pool: &PgPool,
) -> anyhow::Result<(AppState, DeliveryService, AlarmService, InterestIndex)> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let metrics = Arc::new(Metrics::new(Some(Arc::new(PgPoolUsage::new(pool.clone())))));
    let shutdown = Shutdown::default();
    // Which users' events this instance needs: its connections tell it, the bus reads it.
    let interest = InterestIndex::new(Arc::new(PgFollowRepository::new(pool.clone())));
    let connections = ConnectionRegistry::with_interest(shutdown.clone(), interest.clone());
    let streams = SseRegistry::with_interest(
        Arc::new(PgUserRepository::new(pool.clone())),
        interest.clone(),
    );
    let delivery = DeliveryService::new(
        Arc::new(connections.clone()),
        Arc::new(streams.clone()),
        Arc::new(PgFollowRepository::new(pool.clone())),
        // Only reads (active timers of a pair whose friendship ended): no alarm policy needed.
        Arc::new(PgTimerRepository::new(pool.clone())),
        Arc::new(PgUserRepository::new(pool.clone())),
        metrics.clone(),
    );
    delivery.keep_interest(&interest);
    // The repositories announce every change with `pg_notify` inside its transaction for the
    // other instances; this instance's own timer events are delivered in-process (its listener
    // skips them by their origin, see `run`).
    let publisher: Arc<dyn EventPublisher> = Arc::new(InProcessDelivery::start(delivery.clone()));
    let alarm_policy = AlarmPolicy::new(config.alarms.forgotten_after_seconds);
    let timer_service = || {
        TimerService::new(
            Arc::new(PgTimerRepository::new(pool.clone()).with_alarm_policy(alarm_policy)),
            Arc::new(PgTagRepository::new(pool.clone())),
            publisher.clone(),
            clock.clone(),
            Arc::new(UuidV7Generator),
        )
    };
    let users = UserService::new(Arc::new(PgUserRepository::new(pool.clone())), clock.clone());
    let verifier = token_verifier(&config.auth).context("cannot set up token verification")?;
    let settings = edge_settings(config);
    if settings.playground_dev_tokens.is_some() {
        tracing::warn!(
            "PLAYGROUND_DEV_TOKENS is on: anyone who reaches this server can get a token for a \
             playground:* user at POST /playground/token (development only)"
        );
    }
    let state = AppState {
        timers: timer_service(),
        commands: CommandService::new(timer_service(), clock.clone()),
        follows: FollowService::new(
            Arc::new(PgUserRepository::new(pool.clone())),
            Arc::new(PgFollowRepository::new(pool.clone())),
            publisher.clone(),
            clock.clone(),
        ),
        meetups: MeetupService::new(
            Arc::new(PgMeetupRepository::new(pool.clone())),
            publisher.clone(),
            clock.clone(),
        ),
        // Deletes of schedules, todos and tags announce the timers they changed through its
        // own handle on the timer use cases.
        planning: PlanningService::new(
            Arc::new(PgScheduleRepository::new(pool.clone())),
            Arc::new(PgTodoRepository::new(pool.clone())),
            Arc::new(PgTagRepository::new(pool.clone())),
            timer_service(),
            clock.clone(),
            Arc::new(UuidV7Generator),
        ),
        // Read-only: the worked-time report.
        reports: ReportService::new(
            Arc::new(PgReportRepository::new(pool.clone())),
            clock.clone(),
        ),
        readiness: Arc::new(PgReadiness::new(pool.clone())),
        notifications: NotificationService::new(
            Arc::new(PgNotificationRepository::new(pool.clone())),
            publisher.clone(),
            clock.clone(),
        ),
        accounts: AccountService::new(
            Arc::new(PgUserRepository::new(pool.clone())),
            publisher.clone(),
            clock.clone(),
        ),
        auth: Authenticator::new(verifier, users.clone()),
        users,
        clock,
        limits: Arc::new(RateLimits::new(&settings)),
        settings: Arc::new(settings),
        connections,
        streams,
        shutdown,
        metrics,
    };
    let alarms = AlarmService::new(
        Arc::new(PgAlarmRepository::new(pool.clone())),
        Arc::new(PgTagRepository::new(pool.clone())),
        publisher,
        state.clock.clone(),
        alarm_policy,
    );
    Ok((state, delivery, alarms, interest))
}
