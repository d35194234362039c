//! One WebSocket device on `/v1/ws/timers` (tokio-tungstenite over a real socket), with tokens
//! signed by [`JWT_SECRET`], and the messages the load sends.

use std::time::Duration;

use anyhow::{Context as _, bail};
use futures_util::{SinkExt as _, StreamExt as _};
use hourglass_server::config::Secret;
use hourglass_server::token::{TokenRequest, mint};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::instance::JWT_SECRET;

/// The socket type of every device.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a handshake and its two greeting messages may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A token for `sub`, valid for an hour.
pub fn token(sub: &str) -> anyhow::Result<String> {
    let secret = Secret::new(JWT_SECRET).context("a secret")?;
    let request = TokenRequest {
        sub,
        name: Some(sub),
        ttl_seconds: 3600,
        issuer: None,
        audience: None,
    };
    Ok(mint(
        Some(&secret),
        &request,
        chrono::Utc::now().timestamp(),
    )?)
}

/// The `Sec-WebSocket-Protocol` request header that carries `sub`'s token.
pub fn bearer_protocol(sub: &str) -> anyhow::Result<HeaderValue> {
    Ok(HeaderValue::from_str(&format!(
        "authorization.bearer.{}",
        token(sub)?
    ))?)
}

/// What the next read brought.
#[derive(Debug)]
pub enum Event {
    /// A text message, as JSON.
    Message(Value),
    /// The server closed with this code (`None`: the socket ended without a close frame).
    Closed(Option<u16>),
    /// Nothing within the time given.
    Silent,
}

/// A connected device.
pub struct Device {
    socket: Socket,
    /// `connected.payload.user_id`.
    pub user_id: String,
    /// The automatic `timer.sync_result` read right after `connected`.
    pub greeting_sync: Value,
}

impl Device {
    /// Connects to `url` as `sub` and reads `connected` and the automatic `timer.sync_result`.
    ///
    /// # Errors
    /// When the handshake fails, or the greeting is anything else (e.g. `SERVICE_UNAVAILABLE`
    /// instead of the sync while the database is down).
    pub async fn connect(url: &str, sub: &str) -> anyhow::Result<Self> {
        tokio::time::timeout(CONNECT_TIMEOUT, Self::handshake(url, sub))
            .await
            .context("no greeting in time")?
    }

    async fn handshake(url: &str, sub: &str) -> anyhow::Result<Self> {
        let mut request = url.into_client_request()?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", bearer_protocol(sub)?);
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        let mut device = Self {
            socket,
            user_id: String::new(),
            greeting_sync: Value::Null,
        };
        let connected = device.greeting().await?;
        if connected["type"] != "connected" {
            bail!("expected connected first, got {connected}");
        }
        device.user_id = connected["payload"]["user_id"]
            .as_str()
            .context("user_id")?
            .to_owned();
        let sync = device.greeting().await?;
        if sync["type"] != "timer.sync_result" {
            bail!("expected timer.sync_result second, got {sync}");
        }
        device.greeting_sync = sync;
        let snapshot = device.greeting().await?;
        if snapshot["type"] != "timer.friends_snapshot" {
            bail!("expected timer.friends_snapshot third, got {snapshot}");
        }
        Ok(device)
    }

    async fn greeting(&mut self) -> anyhow::Result<Value> {
        match self.next(CONNECT_TIMEOUT).await {
            Event::Message(message) => Ok(message),
            other => bail!("the greeting did not arrive: {other:?}"),
        }
    }

    /// The socket itself (to split it for pipelining).
    pub fn into_socket(self) -> Socket {
        self.socket
    }

    /// A device around a socket whose greeting was read already.
    pub fn from_socket(socket: Socket) -> Self {
        Self {
            socket,
            user_id: String::new(),
            greeting_sync: Value::Null,
        }
    }

    /// Sends a JSON message.
    pub async fn send(&mut self, message: &Value) -> anyhow::Result<()> {
        self.socket.send(Message::text(message.to_string())).await?;
        Ok(())
    }

    /// The next text message or the end of the connection, waiting at most `within`.
    pub async fn next(&mut self, within: Duration) -> Event {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let Ok(next) = tokio::time::timeout_at(deadline, self.socket.next()).await else {
                return Event::Silent;
            };
            match next {
                Some(Ok(Message::Text(text))) => match serde_json::from_str(&text) {
                    Ok(message) => return Event::Message(message),
                    Err(_) => {
                        return Event::Message(
                            json!({"type": "unparsable", "text": text.as_str()}),
                        );
                    }
                },
                Some(Ok(Message::Close(frame))) => {
                    return Event::Closed(frame.map(|f| u16::from(f.code)));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Event::Closed(None),
            }
        }
    }
}

/// `{"type": kind, "payload": payload, "request_id": request_id}`.
pub fn command(kind: &str, payload: Value, request_id: &str) -> Value {
    json!({"type": kind, "payload": payload, "request_id": request_id})
}

/// A private timer of a day, with a title naming its owner.
pub fn create(owner: &str, request_id: &str) -> Value {
    command(
        "timer.create",
        json!({"allocated_duration": 86_400, "title": format!("chaos {owner}"), "visibility": "private"}),
        request_id,
    )
}

/// `timer.<verb>` of `timer_id`.
pub fn control(verb: &str, timer_id: &str, request_id: &str) -> Value {
    command(
        &format!("timer.{verb}"),
        json!({"timer_id": timer_id}),
        request_id,
    )
}
