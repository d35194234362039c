//! One timer WebSocket connection: a single task that owns the session and `select`s over the
//! client's frames, the deliveries queued for it, the ping tick, the token's expiry and
//! shutdown. What a message does is in [`super::commands`]; why a connection ends, and with
//! which close code, in [`super::close`].
//!
//! Messages are handled one at a time, inside the task: while one runs, deliveries wait in the
//! connection's bounded queue, and shutdown waits for it to finish. That gives the ordering the
//! contract promises: the connection remembers the newest `version` it has sent per timer and
//! drops any delivery that is not newer, so the sender of a command gets exactly one copy (its
//! reply, which is sent first and sets the version) and every device sees one timer's versions
//! in increasing order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_ws::{Item, Message, MessageStream, ProtocolError, Session};
use hourglass_domain::ids::UserId;
use tokio::time::{Instant as TokioInstant, MissedTickBehavior};

use super::MAX_FRAME_BYTES;
use super::close::Closing;
use super::seen::SeenVersions;
use crate::edge::auth::{AuthError, Principal};
use crate::edge::rate_limit::{ConnectionRate, retry_after_seconds};
use crate::edge::telemetry::metrics::{CommandOutcome, ConnectionKind};
use crate::edge::timezone::RenderZone;
use crate::realtime::registry::Registration;
use crate::state::AppState;

/// How long a close frame may take to get out before the connection is simply dropped (a client
/// that stopped reading never takes it).
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs one connection to its end. `auth` is the outcome of the token check made during the
/// handshake: failures are reported now, after the upgrade, so browsers see the close code.
/// Runs inside the connection's span (`connection_id`, `user_id`), so its lines carry them.
pub(crate) async fn run(
    state: Arc<AppState>,
    auth: Result<Principal, AuthError>,
    zone: RenderZone,
    session: Session,
    stream: MessageStream,
) {
    let principal = match admit(&state, auth) {
        Ok(principal) => principal,
        Err(refused) => {
            if let Some(refusal) = refused.refusal() {
                state
                    .metrics
                    .connection_refused(ConnectionKind::WebSocket, refusal);
            }
            log_close("websocket refused", &refused);
            close(session, &refused).await;
            return;
        }
    };
    let user = principal.user_id;
    // Registered before the initial sync is read: nothing committed after the read is missed.
    let registration = state.connections.register(user);
    // And before it, friends' events must be reaching this instance.
    state.connections.interest_ready(user).await;
    let id = registration.id;
    let _open = state.metrics.connection_opened(ConnectionKind::WebSocket);
    tracing::info!(registry_id = id, "websocket opened");
    let mut connection = Connection {
        state: state.clone(),
        user,
        zone,
        session: session.clone(),
        registration,
        seen: SeenVersions::default(),
        rate: ConnectionRate::new(state.settings.ws_message_limit),
        last_heard: Instant::now(),
        fragments: None,
        outcome: CommandOutcome::Ok,
    };
    let expires_in = principal.expires_at.seconds_since(state.clock.now()).max(0);
    let expiry = TokioInstant::now() + Duration::from_secs(expires_in.unsigned_abs());
    let closing = connection.serve(stream, expiry).await;
    state.connections.unregister(user, id);
    if let Some(dropped) = closing.server_drop() {
        state
            .metrics
            .connection_dropped(ConnectionKind::WebSocket, dropped);
    }
    log_close("websocket closed", &closing);
    close(session, &closing).await;
}

/// One line per ended connection, with the close frame's code and reason.
fn log_close(message: &'static str, closing: &Closing) {
    match closing.frame() {
        Some(frame) => {
            let reason = frame.description.unwrap_or_default();
            tracing::info!(code = u16::from(frame.code), %reason, "{message}");
        }
        None => tracing::info!("{message}: the client is gone"),
    }
}

/// The signed-in user, or why the connection is refused: a bad token, or one connection too
/// many.
fn admit(state: &AppState, auth: Result<Principal, AuthError>) -> Result<Principal, Closing> {
    let principal = auth.map_err(|error| match error {
        AuthError::KeysUnavailable(_) | AuthError::Storage(_) => {
            tracing::warn!(%error, "websocket: authentication could not be checked");
            Closing::AuthUnavailable
        }
        AuthError::Missing => Closing::AuthMissing,
        AuthError::AccountDeleted => Closing::AccountDeleted,
        other => Closing::AuthRejected(other.to_string()),
    })?;
    match state.limits.ws_connect.check(&principal.user_id) {
        Ok(()) => Ok(principal),
        // The reason carries the wait, so a client can come back exactly when it may.
        Err(wait) => Err(Closing::TooManyConnections(retry_after_seconds(wait))),
    }
}

/// Sends the close frame of `closing`, giving up after [`CLOSE_TIMEOUT`].
async fn close(session: Session, closing: &Closing) {
    let Some(frame) = closing.frame() else {
        return;
    };
    let _sent_or_gone = tokio::time::timeout(CLOSE_TIMEOUT, session.close(Some(frame))).await;
}

/// A fragmented message being joined: whether it is text, and the bytes so far.
type Fragments = (bool, Vec<u8>);

/// The state of one served connection.
pub(super) struct Connection {
    pub(super) state: Arc<AppState>,
    pub(super) user: UserId,
    pub(super) zone: RenderZone,
    session: Session,
    pub(super) registration: Registration,
    /// The newest `version` sent per timer; a delivery that is not newer is dropped.
    pub(super) seen: SeenVersions,
    pub(super) rate: ConnectionRate,
    /// Last frame of any kind from the client (pongs included).
    last_heard: Instant,
    fragments: Option<Fragments>,
    /// How the message being handled ended, for the metrics: set by whatever answers it.
    pub(super) outcome: CommandOutcome,
}

impl Connection {
    async fn serve(&mut self, mut stream: MessageStream, expiry: TokioInstant) -> Closing {
        if let Err(closing) = Box::pin(self.greet()).await {
            return closing;
        }
        let settings = self.state.settings.clone();
        let mut ping = tokio::time::interval_at(
            TokioInstant::now() + settings.ws_ping_interval,
            settings.ws_ping_interval,
        );
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut shutdown = self.registration.shutdown.clone();
        let too_slow = self.registration.too_slow.clone();
        loop {
            let step = tokio::select! {
                biased;
                () = too_slow.notified() => Err(Closing::TooSlow),
                _ = shutdown.wait_for(|down| *down) => Err(Closing::ShuttingDown),
                () = tokio::time::sleep_until(expiry) => Err(Closing::TokenExpired),
                // The handlers are boxed: the task of an idle connection then keeps only this
                // loop's state, not room for the deepest command path (database futures
                // included), which took about 7 KiB per connection.
                _ = ping.tick() => Box::pin(self.ping()).await,
                Some(message) = self.registration.messages.recv() => {
                    Box::pin(self.forward(message)).await
                }
                frame = stream.recv() => Box::pin(self.on_frame(frame)).await,
            };
            if let Err(closing) = step {
                return closing;
            }
        }
    }

    async fn ping(&mut self) -> Result<(), Closing> {
        let timeout = self.state.settings.ws_client_timeout;
        if self.last_heard.elapsed() > timeout {
            return Err(Closing::NoPong(timeout.as_secs()));
        }
        self.seen.forget_stale(Instant::now());
        let mut session = self.session.clone();
        self.write(session.ping(b"")).await
    }

    /// Writes one frame, unless the registry declares the client too slow or the write stalls
    /// for longer than the client timeout (a client that stopped reading altogether).
    async fn write(
        &self,
        send: impl Future<Output = Result<(), actix_ws::Closed>>,
    ) -> Result<(), Closing> {
        let too_slow = self.registration.too_slow.clone();
        tokio::select! {
            sent = send => sent.map_err(|_| Closing::Gone),
            () = too_slow.notified() => Err(Closing::TooSlow),
            () = tokio::time::sleep(self.state.settings.ws_client_timeout) => Err(Closing::TooSlow),
        }
    }

    /// Sends one text message.
    pub(super) async fn send(&self, text: String) -> Result<(), Closing> {
        let mut session = self.session.clone();
        self.write(session.text(text)).await
    }

    async fn on_frame(
        &mut self,
        frame: Option<Result<Message, ProtocolError>>,
    ) -> Result<(), Closing> {
        let message = match frame {
            None => return Err(Closing::Gone),
            Some(Err(ProtocolError::Overflow)) => return Err(Closing::TooBig),
            // actix-ws reports a single text frame that is not UTF-8 as `InvalidData` (errors of
            // the body stream are `Other`): 1007, as for a fragmented one below.
            Some(Err(ProtocolError::Io(error)))
                if error.kind() == std::io::ErrorKind::InvalidData =>
            {
                return Err(Closing::InvalidUtf8);
            }
            Some(Err(error)) => {
                tracing::debug!(%error, "websocket protocol error");
                return Err(Closing::Protocol(error.to_string()));
            }
            Some(Ok(message)) => message,
        };
        self.last_heard = Instant::now();
        match message {
            Message::Text(text) => self.on_message(&text).await,
            Message::Binary(_) => self.on_binary().await,
            Message::Continuation(item) => self.on_fragment(item).await,
            Message::Ping(bytes) => {
                let mut session = self.session.clone();
                self.write(session.pong(&bytes)).await
            }
            Message::Pong(_) | Message::Nop => Ok(()),
            Message::Close(_) => Err(Closing::ClientClosed),
        }
    }

    async fn on_fragment(&mut self, item: Item) -> Result<(), Closing> {
        let (is_text, bytes, last) = match item {
            Item::FirstText(bytes) => (Some(true), bytes, false),
            Item::FirstBinary(bytes) => (Some(false), bytes, false),
            Item::Continue(bytes) => (None, bytes, false),
            Item::Last(bytes) => (None, bytes, true),
        };
        if let Some(is_text) = is_text {
            self.fragments = Some((is_text, Vec::new()));
        }
        let Some((is_text, buffer)) = self.fragments.as_mut() else {
            return Err(Closing::Protocol(
                "continuation frame without a first frame".to_owned(),
            ));
        };
        if buffer.len() + bytes.len() > MAX_FRAME_BYTES {
            return Err(Closing::TooBig);
        }
        buffer.extend_from_slice(&bytes);
        let is_text = *is_text;
        if !last {
            return Ok(());
        }
        let Some((_, joined)) = self.fragments.take() else {
            return Ok(());
        };
        if !is_text {
            return self.on_binary().await;
        }
        match String::from_utf8(joined) {
            Ok(text) => self.on_message(&text).await,
            Err(_) => Err(Closing::InvalidUtf8),
        }
    }
}
