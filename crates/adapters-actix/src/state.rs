//! What every handler can reach: the use cases, the authenticator, the clock, the settings and
//! the metrics.
//!
//! The server builds one [`AppState`] at start-up and shares it as `web::Data<AppState>`.

use std::sync::Arc;

use hourglass_ports::clock::Clock;
use hourglass_ports::health::ReadinessProbe;
use hourglass_ports::service::account::AccountService;
use hourglass_ports::service::command::CommandService;
use hourglass_ports::service::follow::FollowService;
use hourglass_ports::service::meetup::MeetupService;
use hourglass_ports::service::notification::NotificationService;
use hourglass_ports::service::planning::PlanningService;
use hourglass_ports::service::report::ReportService;
use hourglass_ports::service::timer::TimerService;
use hourglass_ports::service::user::UserService;

use crate::edge::auth::Authenticator;
use crate::edge::rate_limit::RateLimits;
use crate::edge::telemetry::Metrics;
use crate::realtime::registry::ConnectionRegistry;
use crate::realtime::shutdown::Shutdown;
use crate::realtime::sse::registry::SseRegistry;
use crate::settings::EdgeSettings;

/// Shared, cheap-to-clone state of the HTTP edge.
#[derive(Clone)]
pub struct AppState {
    /// Timer use cases.
    pub timers: TimerService,
    /// State-changing timer commands, at most once per `request_id`.
    pub commands: CommandService,
    /// User use cases.
    pub users: UserService,
    /// Account deletion.
    pub accounts: AccountService,
    /// Follow use cases.
    pub follows: FollowService,
    /// Meetup use cases.
    pub meetups: MeetupService,
    /// Notification use cases.
    pub notifications: NotificationService,
    /// Schedule, todo and tag use cases.
    pub planning: PlanningService,
    /// The worked-time report (read-only).
    pub reports: ReportService,
    /// Whether the database answers (`/readyz`).
    pub readiness: Arc<dyn ReadinessProbe>,
    /// Token → user.
    pub auth: Authenticator,
    /// "Now", for rendering live elapsed times and limits.
    pub clock: Arc<dyn Clock>,
    /// Limits, origins, intervals.
    pub settings: Arc<EdgeSettings>,
    /// The open timer WebSocket connections (the delivery service queues on them).
    pub connections: ConnectionRegistry,
    /// The open notification streams (the delivery service queues on them).
    pub streams: SseRegistry,
    /// Raised once at shutdown; every WebSocket and stream obeys it.
    pub shutdown: Shutdown,
    /// The per-user rate limits (REST requests, WebSocket connects, SSE subscribes), shared by
    /// every worker.
    pub limits: Arc<RateLimits>,
    /// Every metric (`GET /metrics`); the delivery service reports to the same instance.
    pub metrics: Arc<Metrics>,
}
