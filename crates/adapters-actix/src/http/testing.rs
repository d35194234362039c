//! The wiring of handler tests: the real use cases over `mockall` port mocks, a caller signed in
//! with an HS256 token, and requests sent through the crate's whole route table
//! ([`crate::configure`]).
//!
//! [`Ports::into_state`] is the only place tests build an [`AppState`], so a change to its fields
//! changes this file alone. A port a test sets no expectation on is a mock that fails the test if
//! a handler reaches it.

use std::sync::Arc;

use actix_web::dev::ServiceResponse;
use actix_web::http::header::AUTHORIZATION;
use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use hourglass_domain::ids::UserId;
use hourglass_domain::profile::Nickname;
use hourglass_domain::time::Timestamp;
use hourglass_ports::clock::{Clock, MockClock};
use hourglass_ports::error::StorageError;
use hourglass_ports::event::MockEventPublisher;
use hourglass_ports::follow::MockFollowRepository;
use hourglass_ports::health::MockReadinessProbe;
use hourglass_ports::id::UuidV7Generator;
use hourglass_ports::meetup::MockMeetupRepository;
use hourglass_ports::notification::MockNotificationRepository;
use hourglass_ports::planning::{MockScheduleRepository, MockTagRepository, MockTodoRepository};
use hourglass_ports::report::MockReportRepository;
use hourglass_ports::service::account::AccountService;
use hourglass_ports::service::command::CommandService;
use hourglass_ports::service::follow::FollowService;
use hourglass_ports::service::meetup::MeetupService;
use hourglass_ports::service::notification::NotificationService;
use hourglass_ports::service::planning::PlanningService;
use hourglass_ports::service::report::ReportService;
use hourglass_ports::service::timer::TimerService;
use hourglass_ports::service::user::UserService;
use hourglass_ports::timer::MockTimerRepository;
use hourglass_ports::user::{MockUserRepository, User};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use crate::edge::auth::Authenticator;
use crate::edge::auth::hs256::Hs256Verifier;
use crate::edge::rate_limit::RateLimits;
use crate::edge::telemetry::Metrics;
use crate::realtime::registry::ConnectionRegistry;
use crate::realtime::shutdown::Shutdown;
use crate::realtime::sse::SseRegistry;
use crate::settings::EdgeSettings;
use crate::state::AppState;

/// The signed-in caller of every request [`call`] sends.
pub(crate) const CALLER: UserId = UserId::new(1);

/// The `sub` of the caller's token.
const CALLER_SUBJECT: &str = "handler-test-caller";

/// The HS256 secret the test tokens are signed with.
pub(crate) const SECRET: &[u8] = b"handler-test-secret";

/// "Now" for every use case: 2026-01-28T10:00:00Z.
pub(crate) const NOW_SECONDS: i64 = 1_769_594_400;

/// The ports behind the use cases, for a test to set expectations on.
#[derive(Default)]
pub(crate) struct Ports {
    pub timers: MockTimerRepository,
    pub tags: MockTagRepository,
    pub schedules: MockScheduleRepository,
    pub todos: MockTodoRepository,
    /// Already answers the caller's sign-in ([`Ports::signed_in`]).
    pub users: MockUserRepository,
    pub follows: MockFollowRepository,
    pub meetups: MockMeetupRepository,
    pub notifications: MockNotificationRepository,
    pub publisher: MockEventPublisher,
    pub readiness: MockReadinessProbe,
    pub reports: MockReportRepository,
}

impl Ports {
    /// Mocks with no expectation but the caller's sign-in: every request's token is looked up
    /// (and the user created on first sight) through the user repository.
    pub(crate) fn signed_in() -> Self {
        let mut ports = Self::default();
        ports
            .users
            .expect_find_or_create()
            .returning(|_, _, _| Ok(user(CALLER, "caller")));
        ports
    }

    /// The application state over these mocks, with the real use cases and no REST rate limit.
    pub(crate) fn into_state(self) -> AppState {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(now());
        let clock: Arc<dyn Clock> = Arc::new(clock);
        let ids = Arc::new(UuidV7Generator);
        let publisher = Arc::new(self.publisher);
        let users = Arc::new(self.users);
        let tags = Arc::new(self.tags);
        let timers = TimerService::new(
            Arc::new(self.timers),
            tags.clone(),
            publisher.clone(),
            clock.clone(),
            ids.clone(),
        );
        let user_service = UserService::new(users.clone(), clock.clone());
        let shutdown = Shutdown::default();
        AppState {
            timers: timers.clone(),
            commands: CommandService::new(timers.clone(), clock.clone()),
            users: user_service.clone(),
            accounts: AccountService::new(users.clone(), publisher.clone(), clock.clone()),
            follows: FollowService::new(
                users.clone(),
                Arc::new(self.follows),
                publisher.clone(),
                clock.clone(),
            ),
            meetups: MeetupService::new(Arc::new(self.meetups), publisher.clone(), clock.clone()),
            notifications: NotificationService::new(
                Arc::new(self.notifications),
                publisher,
                clock.clone(),
            ),
            planning: PlanningService::new(
                Arc::new(self.schedules),
                Arc::new(self.todos),
                tags,
                timers,
                clock.clone(),
                ids,
            ),
            reports: ReportService::new(Arc::new(self.reports), clock.clone()),
            readiness: Arc::new(self.readiness),
            auth: Authenticator::new(
                Arc::new(Hs256Verifier::new(SECRET, None, None)),
                user_service,
            ),
            clock,
            settings: Arc::new(EdgeSettings {
                rest_limit: None,
                ..EdgeSettings::default()
            }),
            connections: ConnectionRegistry::new(shutdown.clone()),
            streams: SseRegistry::new(users),
            shutdown,
            limits: Arc::new(RateLimits::unlimited()),
            metrics: Arc::new(Metrics::new(None)),
        }
    }
}

/// The instant [`MockClock`] answers.
pub(crate) fn now() -> Timestamp {
    let Some(now) = Timestamp::from_unix_seconds(NOW_SECONDS) else {
        panic!("a valid instant")
    };
    now
}

/// A user as the repository would return it.
pub(crate) fn user(id: UserId, nickname: &str) -> User {
    let Ok(nickname) = Nickname::parse(nickname) else {
        panic!("{nickname:?} is a valid nickname")
    };
    User {
        id,
        subject: format!("subject-{}", id.get()),
        nickname,
        profile_image: None,
        created_at: now(),
        updated_at: now(),
    }
}

/// What a storage port returns while the database cannot be reached.
pub(crate) fn unavailable() -> StorageError {
    StorageError::Unavailable("connection refused".into())
}

/// A bearer token for the caller, valid for ten minutes of real time (the verifier reads the
/// system clock, not [`MockClock`]).
fn token() -> String {
    let claims = serde_json::json!({
        "sub": CALLER_SUBJECT,
        "exp": chrono::Utc::now().timestamp() + 600,
    });
    match jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET),
    ) {
        Ok(token) => token,
        Err(error) => panic!("signing a test token: {error}"),
    }
}

/// Sends `request` as the signed-in caller through the whole app over `ports`.
pub(crate) async fn call(ports: Ports, request: TestRequest) -> ServiceResponse {
    let request = request.insert_header((AUTHORIZATION, format!("Bearer {}", token())));
    call_anonymous(ports, request).await
}

/// Sends `request` as it is (no token) through the whole app over `ports`.
pub(crate) async fn call_anonymous(ports: Ports, request: TestRequest) -> ServiceResponse {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(ports.into_state()))
            .configure(crate::configure),
    )
    .await;
    test::call_service(&app, request.to_request()).await
}

/// The status and the envelope's `code` of an error answer.
pub(crate) async fn error_of(response: ServiceResponse) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = test::read_body_json(response).await;
    let Some(code) = body["code"].as_str() else {
        panic!("{status} without the error envelope: {body}")
    };
    (status, code.to_owned())
}
