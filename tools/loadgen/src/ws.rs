//! The timer WebSocket as a client sees it: the handshake with the token as a subprotocol, the
//! two greeting messages, and a reader of server envelopes.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use reqwest::Url;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// One client connection.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why a step failed, as an error kind for the report.
#[derive(Debug)]
pub struct Failure(pub String);

impl Failure {
    fn of(kind: impl Into<String>) -> Self {
        Self(kind.into())
    }
}

/// `ws://host:port/v1/ws/timers?timezone=…` from the HTTP base URL.
pub fn ws_url(base: &Url, timezone: &str) -> String {
    let host = base.host_str().unwrap_or("127.0.0.1");
    let port = base.port_or_known_default().unwrap_or(80);
    let zone: String = form_encode(timezone);
    format!("ws://{host}:{port}/v1/ws/timers?timezone={zone}")
}

/// Percent-encodes a query value (time zones hold `/` and `+`).
fn form_encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Opens a connection and reads `connected` and `timer.sync_result`, after which the server has
/// registered it for fan-out.
///
/// # Errors
/// A [`Failure`] naming what went wrong (`connect_refused`, `connect_http_503`,
/// `handshake_timeout`, `closed_1008`, …).
pub async fn connect(url: &str, token: &str, timeout: Duration) -> Result<Ws, Failure> {
    let mut request = url
        .into_client_request()
        .map_err(|_| Failure::of("bad_url"))?;
    // Offering `hourglass.v1` too makes the server echo that instead of the whole token.
    let protocols = HeaderValue::from_str(&format!("authorization.bearer.{token}, hourglass.v1"))
        .map_err(|_| Failure::of("bad_token"))?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", protocols);
    // TCP_NODELAY, as browsers and other real clients set it: with Nagle's algorithm on, a
    // small frame written while the previous one is still unacknowledged waits for the peer's
    // delayed ACK (about 40 ms on Linux), and loadgen would measure its own socket.
    let connecting = tokio_tungstenite::connect_async_with_config(request, None, true);
    let (mut ws, _response) = match tokio::time::timeout(timeout, connecting).await {
        Err(_) => return Err(Failure::of("handshake_timeout")),
        Ok(Err(error)) => return Err(Failure(connect_error_kind(&error))),
        Ok(Ok(pair)) => pair,
    };
    loop {
        match next_envelope(&mut ws, timeout).await? {
            // The greeting ends with `timer.friends_snapshot` (after `timer.sync_result`).
            Some(envelope) if envelope.kind == "timer.friends_snapshot" => return Ok(ws),
            Some(_) => {}
            None => return Err(Failure::of("closed_during_greeting")),
        }
    }
}

fn connect_error_kind(error: &tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Http(response) => {
            format!("connect_http_{}", response.status().as_u16())
        }
        tungstenite::Error::Io(io) => format!("connect_io_{:?}", io.kind()),
        tungstenite::Error::Protocol(_) => "connect_protocol".to_owned(),
        _ => "connect_other".to_owned(),
    }
}

/// A server message, with the fields the scenarios look at.
#[derive(Debug)]
pub struct Envelope {
    /// `type`.
    pub kind: String,
    /// `payload`.
    pub payload: Value,
}

impl Envelope {
    /// `payload.timer.id` and `payload.timer.version` of `timer.created` / `timer.updated`.
    pub fn timer_key(&self) -> Option<(String, i64)> {
        let timer = self.payload.get("timer")?;
        Some((
            timer.get("id")?.as_str()?.to_owned(),
            timer.get("version")?.as_i64()?,
        ))
    }

    /// `payload.code` of an `error`.
    pub fn error_code(&self) -> &str {
        self.payload
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("UNKNOWN")
    }

    /// A string field of the payload.
    pub fn payload_str(&self, key: &str) -> Option<&str> {
        self.payload.get(key).and_then(Value::as_str)
    }
}

/// Waits for the next text message, skipping control frames (tungstenite answers pings by
/// itself while we read). `Ok(None)` when the stream ended.
///
/// # Errors
/// `timeout_message`, `closed_<code>`, `ws_error`, `bad_json`.
pub async fn next_envelope(ws: &mut Ws, timeout: Duration) -> Result<Option<Envelope>, Failure> {
    loop {
        let next = match tokio::time::timeout(timeout, ws.next()).await {
            Err(_) => return Err(Failure::of("timeout_message")),
            Ok(next) => next,
        };
        match incoming(next)? {
            Incoming::Envelope(envelope) => return Ok(Some(envelope)),
            Incoming::Ended => return Ok(None),
            Incoming::Control => {}
        }
    }
}

/// What one item read from a connection is.
#[derive(Debug)]
pub enum Incoming {
    /// A text message: a server envelope.
    Envelope(Envelope),
    /// A ping, pong or binary frame (tungstenite answers pings by itself).
    Control,
    /// The stream ended without a close frame.
    Ended,
}

/// Classifies what `ws.next()` gave, for callers that read several connections at once.
///
/// # Errors
/// `closed_<code>` for a close frame, `ws_error`, `bad_json`.
pub fn incoming(next: Option<Result<Message, tungstenite::Error>>) -> Result<Incoming, Failure> {
    match next {
        None => Ok(Incoming::Ended),
        Some(Err(_)) => Err(Failure::of("ws_error")),
        Some(Ok(Message::Text(text))) => parse_envelope(text.as_str()).map(Incoming::Envelope),
        Some(Ok(Message::Close(frame))) => {
            let code = frame.map_or(1005, |f| u16::from(f.code));
            Err(Failure(format!("closed_{code}")))
        }
        Some(Ok(_)) => Ok(Incoming::Control),
    }
}

/// The reply to the command just sent on `ws` (`timer.created`, `timer.updated` or `error`),
/// skipping anything else the device is sent meanwhile, within `timeout` in all.
///
/// # Errors
/// `timeout_reply`, `closed_eof`, and [`next_envelope`]'s other failures.
pub async fn await_reply(ws: &mut Ws, timeout: Duration) -> Result<Envelope, Failure> {
    let give_up = tokio::time::Instant::now() + timeout;
    loop {
        let left = give_up.saturating_duration_since(tokio::time::Instant::now());
        match next_envelope(ws, left).await {
            Ok(Some(envelope))
                if matches!(
                    envelope.kind.as_str(),
                    "timer.created" | "timer.updated" | "error"
                ) =>
            {
                return Ok(envelope);
            }
            Ok(Some(_)) => {}
            Ok(None) => return Err(Failure::of("closed_eof")),
            Err(failure) if failure.0 == "timeout_message" => {
                return Err(Failure::of("timeout_reply"));
            }
            Err(failure) => return Err(failure),
        }
    }
}

/// Parses one server envelope.
///
/// # Errors
/// `bad_json` when it is not an object with a string `type`.
pub fn parse_envelope(text: &str) -> Result<Envelope, Failure> {
    let mut value: Value = serde_json::from_str(text).map_err(|_| Failure::of("bad_json"))?;
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::of("bad_json"))?
        .to_owned();
    let payload = value
        .get_mut("payload")
        .map(Value::take)
        .unwrap_or(Value::Null);
    Ok(Envelope { kind, payload })
}

/// Sends one client message.
///
/// # Errors
/// `send_error` when the connection is gone.
pub async fn send(ws: &mut Ws, kind: &str, payload: Value) -> Result<(), Failure> {
    let text = serde_json::json!({ "type": kind, "payload": payload }).to_string();
    ws.send(Message::text(text))
        .await
        .map_err(|_| Failure::of("send_error"))
}

/// [`send`] with a `request_id`.
pub async fn send_keyed(
    ws: &mut Ws,
    kind: &str,
    payload: Value,
    request_id: &str,
) -> Result<(), Failure> {
    let text = serde_json::json!({ "type": kind, "payload": payload, "request_id": request_id })
        .to_string();
    ws.send(Message::text(text))
        .await
        .map_err(|_| Failure::of("send_error"))
}

/// Closes politely, ignoring errors (the run is over either way).
pub async fn close(mut ws: Ws) {
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_websocket_url_comes_from_the_base_url() -> anyhow::Result<()> {
        let base = Url::parse("http://127.0.0.1:18080")?;
        assert_eq!(
            ws_url(&base, "Asia/Seoul"),
            "ws://127.0.0.1:18080/v1/ws/timers?timezone=Asia%2FSeoul"
        );
        Ok(())
    }

    #[test]
    fn envelopes_expose_timer_keys_and_error_codes() -> anyhow::Result<()> {
        let reply = parse_envelope(
            r#"{"type":"timer.updated","payload":{"timer":{"id":"t1","version":3},"action":"pause"}}"#,
        )
        .map_err(|f| anyhow::anyhow!(f.0))?;
        assert_eq!(reply.timer_key(), Some(("t1".to_owned(), 3)));
        let error = parse_envelope(r#"{"type":"error","payload":{"code":"PAUSE_FAILED"}}"#)
            .map_err(|f| anyhow::anyhow!(f.0))?;
        assert_eq!(error.error_code(), "PAUSE_FAILED");
        assert!(parse_envelope("[1]").is_err());
        Ok(())
    }
}
