//! A small WebSocket client for the `/v1/ws/timers` tests (tokio-tungstenite over a real
//! socket), tokens signed with [`TEST_JWT_SECRET`], and arrangements made straight on the test
//! database (friendships, tags) where no API exists for them yet.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use futures_util::{SinkExt as _, StreamExt as _};
use hourglass_adapters_postgres::repository::{PgFollowRepository, PgTagRepository};
use hourglass_domain::follow::Follow;
use hourglass_domain::ids::{TagId, UserId};
use hourglass_domain::planning::Tag;
use hourglass_domain::time::Timestamp;
use hourglass_domain::validation::{TagColor, TagName};
use hourglass_ports::follow::FollowRepository as _;
use hourglass_ports::id::{IdGenerator as _, UuidV7Generator};
use hourglass_ports::planning::TagRepository as _;
use hourglass_server::config::Secret;
use hourglass_server::token::{TokenRequest, mint};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::{TEST_JWT_SECRET, TestApp};

/// How long a test waits for one expected message.
pub const RECV_TIMEOUT: Duration = Duration::from_secs(5);

/// The socket type of every test client.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Seconds since the epoch, now.
pub fn unix_now() -> anyhow::Result<i64> {
    Ok(i64::try_from(
        SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs(),
    )?)
}

/// A token for `sub` valid `ttl` seconds from `issued_at`.
pub fn token_at(sub: &str, ttl: u64, issued_at: i64) -> anyhow::Result<String> {
    let secret = Secret::new(TEST_JWT_SECRET).context("a secret")?;
    let request = TokenRequest {
        sub,
        name: Some(sub),
        ttl_seconds: ttl,
        issuer: None,
        audience: None,
    };
    Ok(mint(Some(&secret), &request, issued_at)?)
}

/// A token for `sub` valid for an hour.
pub fn token(sub: &str) -> anyhow::Result<String> {
    token_at(sub, 3600, unix_now()?)
}

/// `ws://127.0.0.1:<port>/v1/ws/timers` plus `query` (e.g. `?timezone=Asia/Seoul`).
pub fn ws_url(app: &TestApp, query: &str) -> String {
    format!(
        "{}/v1/ws/timers{query}",
        app.address.replacen("http://", "ws://", 1)
    )
}

/// Opens a WebSocket offering `protocols`, with an `Origin` header when given.
pub async fn open(
    url: &str,
    protocols: &[&str],
    origin: Option<&str>,
) -> Result<(Socket, tungstenite::handshake::client::Response), tungstenite::Error> {
    let mut request = url.into_client_request()?;
    if !protocols.is_empty() {
        let offered = HeaderValue::from_str(&protocols.join(", "))
            .map_err(|e| tungstenite::Error::HttpFormat(e.into()))?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", offered);
    }
    if let Some(origin) = origin {
        let origin =
            HeaderValue::from_str(origin).map_err(|e| tungstenite::Error::HttpFormat(e.into()))?;
        request.headers_mut().insert("Origin", origin);
    }
    // TCP_NODELAY, as browsers set it: a test client's small frames go out at once instead of
    // waiting for the server's delayed ACK.
    tokio_tungstenite::connect_async_with_config(request, None, true).await
}

/// The HTTP status and JSON body of a refused handshake.
pub async fn refused(
    url: &str,
    protocols: &[&str],
    origin: Option<&str>,
) -> anyhow::Result<(u16, Value)> {
    match open(url, protocols, origin).await {
        Ok(_) => bail!("the handshake was accepted"),
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response.body().clone().unwrap_or_default();
            Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
        }
        Err(other) => bail!("unexpected handshake error: {other}"),
    }
}

/// One connected device.
pub struct Client {
    pub socket: Socket,
    /// The subprotocol the server echoed.
    pub protocol: Option<String>,
    /// `connected.payload.user_id`.
    pub user_id: String,
    /// The automatic `timer.sync_result`.
    pub initial_sync: Value,
    /// The automatic `timer.friends_snapshot` that follows it.
    pub friends_snapshot: Value,
}

impl Client {
    /// Connects as `sub` (a fresh token) with `query`, and reads `connected`, the automatic
    /// `timer.sync_result` and `timer.friends_snapshot`.
    pub async fn connect(app: &TestApp, sub: &str, query: &str) -> anyhow::Result<Self> {
        let bearer = format!("authorization.bearer.{}", token(sub)?);
        Self::connect_offering(&ws_url(app, query), &[&bearer]).await
    }

    /// Connects offering exactly `protocols`, and reads the three greeting messages.
    pub async fn connect_offering(url: &str, protocols: &[&str]) -> anyhow::Result<Self> {
        let (socket, response) = open(url, protocols, None).await?;
        let protocol = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut client = Self {
            socket,
            protocol,
            user_id: String::new(),
            initial_sync: Value::Null,
            friends_snapshot: Value::Null,
        };
        let connected = client.recv().await?;
        if connected["type"] != "connected" {
            bail!("expected connected first, got {connected}");
        }
        client.user_id = connected["payload"]["user_id"]
            .as_str()
            .context("user_id")?
            .to_owned();
        client.initial_sync = client.recv().await?;
        if client.initial_sync["type"] != "timer.sync_result" {
            bail!(
                "expected timer.sync_result second, got {}",
                client.initial_sync
            );
        }
        client.friends_snapshot = client.recv().await?;
        if client.friends_snapshot["type"] != "timer.friends_snapshot" {
            bail!(
                "expected timer.friends_snapshot third, got {}",
                client.friends_snapshot
            );
        }
        Ok(client)
    }

    /// The numeric user id.
    pub fn user(&self) -> anyhow::Result<UserId> {
        Ok(UserId::new(self.user_id.parse()?))
    }

    /// Sends a JSON message.
    pub async fn send(&mut self, message: &Value) -> anyhow::Result<()> {
        self.socket.send(Message::text(message.to_string())).await?;
        Ok(())
    }

    /// The next text message, as JSON, within [`RECV_TIMEOUT`]; fails on a close.
    pub async fn recv(&mut self) -> anyhow::Result<Value> {
        loop {
            let next = tokio::time::timeout(RECV_TIMEOUT, self.socket.next())
                .await
                .context("no message within the timeout")?;
            match next {
                Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text)?),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(other)) => bail!("unexpected frame {other:?}"),
                Some(Err(error)) => bail!("socket error: {error}"),
                None => bail!("the socket ended"),
            }
        }
    }

    /// Sends `message` and returns the next message.
    pub async fn request(&mut self, message: &Value) -> anyhow::Result<Value> {
        self.send(message).await?;
        self.recv().await
    }

    /// Fails if a text message arrives within `window`.
    pub async fn expect_silence(&mut self, window: Duration) -> anyhow::Result<()> {
        match tokio::time::timeout(window, self.recv()).await {
            Err(_) => Ok(()),
            Ok(Ok(message)) => bail!("expected silence, got {message}"),
            Ok(Err(error)) => Err(error),
        }
    }

    /// Reads (skipping text) until the server's close frame; its code and reason.
    pub async fn expect_close(&mut self, within: Duration) -> anyhow::Result<(u16, String)> {
        expect_close(&mut self.socket, within).await
    }
}

/// Reads (skipping text) until the close frame; its code and reason.
pub async fn expect_close<S>(
    socket: &mut WebSocketStream<S>,
    within: Duration,
) -> anyhow::Result<(u16, String)>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let next = tokio::time::timeout_at(deadline, socket.next())
            .await
            .context("no close frame within the timeout")?;
        match next {
            Some(Ok(Message::Close(Some(frame)))) => {
                return Ok((u16::from(frame.code), frame.reason.as_str().to_owned()));
            }
            Some(Ok(Message::Close(None))) => bail!("a close frame without a code"),
            Some(Ok(_)) => {}
            Some(Err(error)) => bail!("socket error before the close frame: {error}"),
            None => bail!("the socket ended without a close frame"),
        }
    }
}

/// `{"type": kind, "payload": payload}` plus `request_id` when given.
pub fn message(kind: &str, payload: Value, request_id: Option<&str>) -> Value {
    let mut message = serde_json::json!({"type": kind, "payload": payload});
    if let (Some(id), Some(object)) = (request_id, message.as_object_mut()) {
        object.insert("request_id".to_owned(), Value::String(id.to_owned()));
    }
    message
}

/// `timer.create` with `allocated_duration` and extra payload fields.
pub fn create(allocated: i64, extra: Value) -> Value {
    let mut payload = serde_json::json!({"allocated_duration": allocated});
    if let (Some(target), Value::Object(extra)) = (payload.as_object_mut(), extra) {
        target.extend(extra);
    }
    message("timer.create", payload, None)
}

/// `timer.<verb>` on `timer_id`.
pub fn control(verb: &str, timer_id: &str) -> Value {
    message(
        &format!("timer.{verb}"),
        serde_json::json!({"timer_id": timer_id}),
        None,
    )
}

/// The timer id of a `timer.created` / `timer.updated` message.
pub fn timer_id(message: &Value) -> anyhow::Result<String> {
    Ok(message["payload"]["timer"]["id"]
        .as_str()
        .with_context(|| format!("no timer in {message}"))?
        .to_owned())
}

/// Makes `a` and `b` friends (mutual follows), straight in the database.
pub async fn befriend(app: &TestApp, a: UserId, b: UserId) -> anyhow::Result<()> {
    follow(app, a, b).await?;
    follow(app, b, a).await
}

/// `follower` follows `followee`, straight in the database.
pub async fn follow(app: &TestApp, follower: UserId, followee: UserId) -> anyhow::Result<()> {
    let follows = PgFollowRepository::new(app.database().pool());
    let now = Timestamp::from_unix_seconds(unix_now()?).context("now")?;
    follows
        .follow(Follow::new(follower, followee)?, now)
        .await?;
    Ok(())
}

/// A tag of `owner`, straight in the database.
pub async fn tag(app: &TestApp, owner: UserId, name: &str, color: &str) -> anyhow::Result<TagId> {
    let tags = PgTagRepository::new(app.database().pool());
    let now = Timestamp::from_unix_seconds(unix_now()?).context("now")?;
    let id = TagId::new(UuidV7Generator.new_uuid());
    tags.insert(&Tag {
        id,
        owner_id: owner,
        name: TagName::new(name)?,
        color: TagColor::new(color)?,
        created_at: now,
        updated_at: now,
    })
    .await?;
    Ok(id)
}
