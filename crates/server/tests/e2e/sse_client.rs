//! A small Server-Sent Events client for the notification tests, plus the social helpers they
//! share (users, follows, meetups).
//!
//! [`SseStream`] reads the response body chunk by chunk with reqwest and parses frames the way
//! `EventSource` does (`field: value` lines, a blank line ends a frame, `:` lines are comments).
//! Streams use their own client without reqwest's total timeout, which would otherwise cut an
//! endless body; every read has its own timeout instead.

use std::time::Duration;

use anyhow::{Context as _, bail};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::auth_support::{claims, hs256, with};
use crate::helpers::TestApp;

/// How long a read waits for the next frame before the test fails.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(5);

/// One parsed frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    /// `id:`.
    pub id: Option<String>,
    /// `event:`.
    pub event: Option<String>,
    /// `data:` lines joined with `\n`.
    pub data: String,
    /// `retry:`.
    pub retry: Option<u64>,
}

impl Frame {
    /// The data as JSON.
    pub fn json(&self) -> anyhow::Result<Value> {
        Ok(serde_json::from_str(&self.data)?)
    }
}

/// An open event stream.
pub struct SseStream {
    /// The response (headers already read).
    pub response: reqwest::Response,
    buffer: String,
}

/// A signed-in test user.
#[derive(Debug, Clone)]
pub struct Member {
    /// The numeric id.
    pub id: i64,
    /// A valid token (ten minutes).
    pub token: String,
    /// The nickname.
    pub nickname: String,
}

impl SseStream {
    /// Opens `/api/v1/notifications/subscribe?{query}` with extra `headers`; fails unless 200.
    pub async fn open(
        app: &TestApp,
        query: &str,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let response = request(app, query, headers).await?;
        let status = response.status();
        if status != StatusCode::OK {
            let body = response.text().await.unwrap_or_default();
            bail!("subscribe answered {status}: {body}");
        }
        Ok(Self {
            response,
            buffer: String::new(),
        })
    }

    /// Opens a stream for `member` with the `accessToken` query parameter, and reads the
    /// `connect` frame.
    pub async fn connect(app: &TestApp, member: &Member) -> anyhow::Result<Self> {
        Self::connect_with(app, member, "").await
    }

    /// [`SseStream::connect`] with extra query parameters (`&lastEventId=…`).
    pub async fn connect_with(app: &TestApp, member: &Member, extra: &str) -> anyhow::Result<Self> {
        let mut stream =
            Self::open(app, &format!("accessToken={}{extra}", member.token), &[]).await?;
        let first = stream.expect_frame().await?;
        anyhow::ensure!(first.event.as_deref() == Some("connect"), "{first:?}");
        Ok(stream)
    }

    /// The next frame; `None` when the stream ended.
    ///
    /// # Errors
    /// When nothing arrives within `limit`.
    pub async fn next_frame(&mut self, limit: Duration) -> anyhow::Result<Option<Frame>> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(frame) = parse(&block) {
                    return Ok(Some(frame));
                }
                continue;
            }
            let chunk = tokio::time::timeout(limit, self.response.chunk())
                .await
                .context("no frame in time")?;
            match chunk {
                Ok(Some(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(None) | Err(_) => return Ok(None),
            }
        }
    }

    /// The next frame; fails when the stream ended or nothing came within [`FRAME_TIMEOUT`].
    pub async fn expect_frame(&mut self) -> anyhow::Result<Frame> {
        self.next_frame(FRAME_TIMEOUT)
            .await?
            .context("the stream ended")
    }

    /// The next `notification` frame, skipping heartbeats.
    pub async fn next_notification(&mut self) -> anyhow::Result<Frame> {
        loop {
            let frame = self.expect_frame().await?;
            if frame.event.as_deref() == Some("notification") {
                return Ok(frame);
            }
        }
    }

    /// The `type`s of the notifications that arrive before the caller's own `TEST` one (which
    /// the caller triggers right before): what this stream got, and nothing else.
    pub async fn types_until_test(&mut self) -> anyhow::Result<Vec<String>> {
        let mut types = Vec::new();
        loop {
            let data = self.next_notification().await?.json()?;
            let kind = data["type"].as_str().unwrap_or_default().to_owned();
            if kind == "TEST" {
                return Ok(types);
            }
            types.push(kind);
        }
    }

    /// Waits until the stream ends; fails when it is still open after `limit`.
    pub async fn expect_end(&mut self, limit: Duration) -> anyhow::Result<Vec<Frame>> {
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_frame(left).await {
                Ok(Some(frame)) => seen.push(frame),
                Ok(None) => return Ok(seen),
                Err(error) => bail!("the stream did not end within {limit:?} ({error}): {seen:?}"),
            }
        }
    }
}

/// A subscribe request with no status check.
pub async fn request(
    app: &TestApp,
    query: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<reqwest::Response> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()?;
    let mut builder = client.get(app.url(&format!("/api/v1/notifications/subscribe?{query}")));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    Ok(tokio::time::timeout(FRAME_TIMEOUT, builder.send())
        .await
        .context("no answer in time")??)
}

fn parse(block: &str) -> Option<Frame> {
    let mut frame = Frame::default();
    let mut data: Vec<&str> = Vec::new();
    let mut any = false;
    for line in block.lines() {
        if line.is_empty() || line.starts_with(':') {
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        any = true;
        match field {
            "id" => frame.id = Some(value.to_owned()),
            "event" => frame.event = Some(value.to_owned()),
            "data" => data.push(value),
            "retry" => frame.retry = value.parse().ok(),
            _ => {}
        }
    }
    frame.data = data.join("\n");
    any.then_some(frame)
}

/// Signs `sub` in with `nickname` (and a picture) and returns the member.
pub async fn member(app: &TestApp, sub: &str, nickname: &str) -> anyhow::Result<Member> {
    let token = hs256(&with(
        claims(sub),
        json!({ "nickname": nickname, "picture": format!("https://img.example/{nickname}.png") }),
    ))?;
    let me: Value = app
        .client
        .get(app.url("/api/v1/users/me"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let id = me["id"].as_i64().context("user id")?;
    Ok(Member {
        id,
        token,
        nickname: nickname.to_owned(),
    })
}

/// Sends a JSON request as `member`; returns the status and the body (null when empty).
pub async fn call(
    app: &TestApp,
    member: &Member,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<(StatusCode, Value)> {
    let mut builder = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&member.token);
    if let Some(body) = body {
        builder = builder.json(&body);
    }
    let response = builder.send().await?;
    let status = response.status();
    let text = response.text().await?;
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).with_context(|| format!("not JSON: {text}"))?
    };
    Ok((status, body))
}

/// `member` follows `other`; returns the status.
pub async fn follow(app: &TestApp, member: &Member, other: &Member) -> anyhow::Result<StatusCode> {
    let path = format!("/api/v1/users/{}/follow", other.id);
    Ok(call(app, member, reqwest::Method::POST, &path, None)
        .await?
        .0)
}

/// `host` creates a meetup starting tomorrow; returns its id.
pub async fn create_meetup(
    app: &TestApp,
    host: &Member,
    capacity: Option<i64>,
) -> anyhow::Result<i64> {
    let starts_at = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let (status, body) = call(
        app,
        host,
        reqwest::Method::POST,
        "/api/v1/meetups",
        Some(json!({ "title": "보드게임", "description": "d", "startsAt": starts_at, "capacity": capacity })),
    )
    .await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{status}: {body}");
    body["id"].as_i64().context("meetup id")
}

/// `member` asks for a `TEST` notification (a sentinel: everything sent before it has arrived
/// once it arrives).
pub async fn send_test(app: &TestApp, member: &Member) -> anyhow::Result<Value> {
    let (status, body) = call(
        app,
        member,
        reqwest::Method::GET,
        "/api/v1/notifications/test",
        None,
    )
    .await?;
    anyhow::ensure!(status == StatusCode::OK, "{status}: {body}");
    Ok(body)
}
