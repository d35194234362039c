//! What the REST tests share: a server without rate limits, users with tokens, timers stored
//! straight through the repository (creating timers is WebSocket-only, and these tests are
//! about REST), friendships, and small request helpers that return status, headers and JSON.

use hourglass_adapters_actix::edge::auth::SECRET_ISSUER;
use hourglass_adapters_postgres::repository::{
    PgFollowRepository, PgTimerRepository, PgUserRepository,
};
use hourglass_domain::follow::Follow;
use hourglass_domain::ids::{ScheduleId, TagId, TimerId, TodoId, UserId};
use hourglass_domain::profile::Nickname;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{NewTimer, Timer, TimerCommand};
use hourglass_domain::validation::{AllocatedDuration, Title, Visibility};
use hourglass_ports::follow::FollowRepository;
use hourglass_ports::id::{IdGenerator, UuidV7Generator};
use hourglass_ports::timer::TimerRepository;
use hourglass_ports::user::{InitialProfile, SignIn, UserRepository};
use hourglass_server::config::Secret;
use hourglass_server::token::{TokenRequest, mint};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TEST_JWT_SECRET, TestApp};

/// A server for REST tests: the per-user rate limit is off, since a test makes many requests.
pub async fn spawn() -> anyhow::Result<TestApp> {
    TestApp::spawn_with(&["--rate-limit-enabled", "false"]).await
}

/// A signed-in user: their id and a valid token.
#[derive(Debug, Clone)]
pub struct User {
    /// The numeric id.
    pub id: UserId,
    /// An HS256 token for them, valid ten minutes.
    pub token: String,
}

/// Creates (or finds) the user with `sub` and mints a token for them.
pub async fn user(app: &TestApp, sub: &str) -> anyhow::Result<User> {
    let users = PgUserRepository::new(app.database().pool());
    let Ok(nickname) = Nickname::parse(sub) else {
        anyhow::bail!("{sub} is not a valid nickname");
    };
    let stored = users
        .find_or_create(
            // The identity a token signed with the test secret has.
            &SignIn::new(SECRET_ISSUER, sub),
            InitialProfile {
                nickname,
                profile_image: None,
            },
            now(),
        )
        .await?;
    let Some(secret) = Secret::new(TEST_JWT_SECRET) else {
        anyhow::bail!("empty test secret");
    };
    let token = mint(
        Some(&secret),
        &TokenRequest {
            sub,
            name: None,
            ttl_seconds: 600,
            issuer: None,
            audience: None,
        },
        chrono::Utc::now().timestamp(),
    )?;
    Ok(User {
        id: stored.id,
        token,
    })
}

/// Makes `a` and `b` friends (each follows the other).
pub async fn befriend(app: &TestApp, a: &User, b: &User) -> anyhow::Result<()> {
    let follows = PgFollowRepository::new(app.database().pool());
    follows.follow(Follow::new(a.id, b.id)?, now()).await?;
    follows.follow(Follow::new(b.id, a.id)?, now()).await?;
    Ok(())
}

/// Now, in whole seconds.
pub fn now() -> Timestamp {
    Timestamp::from_utc(chrono::Utc::now())
}

/// An instant relative to now.
pub fn ago(seconds: i64) -> anyhow::Result<Timestamp> {
    Timestamp::from_unix_seconds(now().unix_seconds() - seconds)
        .ok_or_else(|| anyhow::anyhow!("instant out of range"))
}

/// An instant from an RFC 3339 text.
pub fn instant(raw: &str) -> anyhow::Result<Timestamp> {
    Ok(Timestamp::from_utc(
        chrono::DateTime::parse_from_rfc3339(raw)?.with_timezone(&chrono::Utc),
    ))
}

/// How a stored timer looks; [`TimerSpec::store`] writes it through the repository.
#[derive(Debug, Clone)]
pub struct TimerSpec {
    pub title: Option<String>,
    pub schedule: Option<ScheduleId>,
    pub todo: Option<TodoId>,
    pub tags: Vec<TagId>,
    pub visibility: Visibility,
    pub started: Timestamp,
    /// Commands applied after the start, each at its instant.
    pub then: Vec<(TimerCommand, Timestamp)>,
    pub allocated: i64,
}

impl TimerSpec {
    /// A RUNNING timer started at `started`, visibility `friends`, no links.
    pub fn running_since(started: Timestamp) -> Self {
        Self {
            title: None,
            schedule: None,
            todo: None,
            tags: Vec::new(),
            visibility: Visibility::Friends,
            started,
            then: Vec::new(),
            allocated: 3600,
        }
    }

    /// A timer started at `started` and stopped a minute later.
    pub fn completed_at(started: Timestamp) -> anyhow::Result<Self> {
        let mut spec = Self::running_since(started);
        spec.then
            .push((TimerCommand::Stop, at_offset(started, 60)?));
        Ok(spec)
    }

    pub fn title(mut self, title: &str) -> Self {
        self.title = Some(title.to_owned());
        self
    }

    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = visibility;
        self
    }

    pub fn schedule(mut self, id: ScheduleId) -> Self {
        self.schedule = Some(id);
        self
    }

    pub fn todo(mut self, id: TodoId) -> Self {
        self.todo = Some(id);
        self
    }

    pub fn tags(mut self, tags: &[TagId]) -> Self {
        self.tags = tags.to_vec();
        self
    }

    pub fn then(mut self, command: TimerCommand, seconds_after_start: i64) -> anyhow::Result<Self> {
        self.then
            .push((command, at_offset(self.started, seconds_after_start)?));
        Ok(self)
    }

    /// Stores the timer for `owner`.
    pub async fn store(self, app: &TestApp, owner: &User) -> anyhow::Result<Timer> {
        let new = NewTimer {
            owner_id: owner.id,
            allocated_duration: AllocatedDuration::new(self.allocated)?,
            title: self.title.map(Title::new).transpose()?,
            description: None,
            schedule_id: self.schedule,
            todo_id: self.todo,
            tag_ids: self.tags,
            visibility: self.visibility,
        };
        let mut timer = Timer::start(TimerId::new(UuidV7Generator.new_uuid()), new, self.started);
        for (command, at) in self.then {
            timer.apply(command, at)?;
        }
        PgTimerRepository::new(app.database().pool())
            .insert(&timer)
            .await?;
        Ok(timer)
    }
}

fn at_offset(start: Timestamp, seconds: i64) -> anyhow::Result<Timestamp> {
    Timestamp::from_unix_seconds(start.unix_seconds() + seconds)
        .ok_or_else(|| anyhow::anyhow!("instant out of range"))
}

/// The stored timer, read back through the repository.
pub async fn stored(app: &TestApp, id: TimerId) -> anyhow::Result<Option<Timer>> {
    Ok(PgTimerRepository::new(app.database().pool())
        .find(id)
        .await?)
}

/// An answer: status, headers and the JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The `code` of an error envelope.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// The `message` of an error envelope.
    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }

    /// The `X-Next-Cursor` header.
    pub fn next_cursor(&self) -> Option<String> {
        self.headers
            .get("x-next-cursor")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The body as an array (empty when it is not one).
    pub fn items(&self) -> Vec<Value> {
        self.body.as_array().cloned().unwrap_or_default()
    }

    /// The `id`s of an array body, in order.
    pub fn ids(&self) -> Vec<String> {
        self.items()
            .iter()
            .filter_map(|item| item["id"].as_str().map(str::to_owned))
            .collect()
    }

    /// Fails with the answer unless it is an error envelope with `status` and `code`.
    pub fn expect_error(&self, status: StatusCode, code: &str) -> anyhow::Result<()> {
        if self.status != status || self.code() != code {
            anyhow::bail!(
                "expected {status} {code}, got {} {}",
                self.status,
                self.body
            );
        }
        let Some(object) = self.body.as_object() else {
            anyhow::bail!("not an envelope: {}", self.body);
        };
        if object.len() != 2 || !object.contains_key("message") {
            anyhow::bail!("not exactly {{code, message}}: {}", self.body);
        }
        Ok(())
    }
}

/// Sends `method path` as `user` with an optional JSON body.
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    user: Option<&User>,
    body: Option<&Value>,
) -> anyhow::Result<Answer> {
    let mut request = app.client.request(method, app.url(path));
    if let Some(user) = user {
        request = request.bearer_auth(&user.token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await?;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await?;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("{status} {path}: not JSON ({e}): {bytes:?}"))?
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// `GET path` as `user`.
pub async fn get(app: &TestApp, user: &User, path: &str) -> anyhow::Result<Answer> {
    call(app, Method::GET, path, Some(user), None).await
}

/// `POST path` with `body` as `user`.
pub async fn post(app: &TestApp, user: &User, path: &str, body: Value) -> anyhow::Result<Answer> {
    call(app, Method::POST, path, Some(user), Some(&body)).await
}

/// `PATCH path` with `body` as `user`.
pub async fn patch(app: &TestApp, user: &User, path: &str, body: Value) -> anyhow::Result<Answer> {
    call(app, Method::PATCH, path, Some(user), Some(&body)).await
}

/// `DELETE path` as `user`.
pub async fn delete(app: &TestApp, user: &User, path: &str) -> anyhow::Result<Answer> {
    call(app, Method::DELETE, path, Some(user), None).await
}

/// The `id` of a created object, as the typed id.
pub fn created_id(answer: &Answer) -> anyhow::Result<String> {
    if answer.status != StatusCode::CREATED {
        anyhow::bail!("not created: {} {}", answer.status, answer.body);
    }
    answer.body["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no id in {}", answer.body))
}

/// Parses an id returned by the API.
pub fn uuid(raw: &str) -> anyhow::Result<uuid::Uuid> {
    Ok(raw.parse()?)
}
