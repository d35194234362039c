//! Builds the adapters and services from the configuration: the one place that knows them all.

use std::sync::Arc;

use anyhow::Context as _;
use hourglass_adapters_actix::auth::hs256::Hs256Verifier;
use hourglass_adapters_actix::auth::{Authenticator, TokenVerifier};
use hourglass_adapters_actix::settings::{EdgeSettings, RateLimit};
use hourglass_adapters_actix::state::AppState;
use hourglass_adapters_actix::ws::hub::Hub;
use hourglass_adapters_postgres::pool::PgPool;
use hourglass_adapters_postgres::repository::{
    PgFollowRepository, PgMeetupRepository, PgNotificationRepository, PgTimerRepository,
    PgUserRepository,
};
use hourglass_ports::clock::{Clock, SystemClock};
use hourglass_ports::event::EventPublisher;
use hourglass_ports::id::UuidV7Generator;
use hourglass_ports::service::follow::FollowService;
use hourglass_ports::service::meetup::MeetupService;
use hourglass_ports::service::notification::NotificationService;
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
        ws_connect_limit: limit(limits.ws_connect_max, limits.ws_connect_window()),
        ws_message_limit: limit(limits.ws_message_max, limits.ws_message_window()),
        rest_limit: limit(limits.rest_rate_limit_max, limits.rest_rate_limit_window()),
        ws_ping_interval: config.websocket.ping_interval(),
        ws_client_timeout: config.websocket.client_timeout(),
        sse_heartbeat: config.sse.heartbeat(),
        sse_max_streams_per_user: config.sse.sse_max_streams_per_user,
    }
}

/// The token verifier the configuration asks for.
///
/// # Errors
/// When no supported key source is configured.
pub fn token_verifier(auth: &AuthConfig) -> anyhow::Result<Arc<dyn TokenVerifier>> {
    let issuer = auth.jwt_issuer.as_deref();
    let audience = auth.jwt_audience.as_deref();
    if let Some(secret) = &auth.jwt_secret {
        return Ok(Arc::new(Hs256Verifier::new(
            secret.expose().as_bytes(),
            issuer,
            audience,
        )));
    }
    anyhow::bail!("only JWT_SECRET is supported so far")
}

/// Every service, over PostgreSQL, sharing one clock and one fan-out hub.
///
/// # Errors
/// When the token verifier cannot be built.
pub fn app_state(config: &Config, pool: &PgPool) -> anyhow::Result<AppState> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let hub = Hub;
    let publisher: Arc<dyn EventPublisher> = Arc::new(hub);
    let users = UserService::new(Arc::new(PgUserRepository::new(pool.clone())), clock.clone());
    let verifier = token_verifier(&config.auth).context("cannot set up token verification")?;
    Ok(AppState {
        timers: TimerService::new(
            Arc::new(PgTimerRepository::new(pool.clone())),
            publisher.clone(),
            clock.clone(),
            Arc::new(UuidV7Generator),
        ),
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
        notifications: NotificationService::new(
            Arc::new(PgNotificationRepository::new(pool.clone())),
            publisher,
            clock.clone(),
        ),
        auth: Authenticator::new(verifier, users.clone()),
        users,
        clock,
        settings: Arc::new(edge_settings(config)),
    })
}
