//! One timer WebSocket connection: a single task that owns the session and `select`s over the
//! client's frames, the hub's fan-out, the ping tick, the token's expiry and shutdown.
//!
//! Commands are processed one at a time, inside the task: while one runs, fan-out waits in the
//! connection's bounded queue, and shutdown waits for it to finish. That gives the ordering the
//! contract promises: the connection remembers the newest `version` it has sent per timer and
//! drops any fan-out that is not newer, so the sender of a command gets exactly one copy (its
//! reply, which is sent first and sets the version) and every device sees one timer's versions
//! in increasing order.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_ws::{CloseCode, CloseReason, Item, Message, MessageStream, ProtocolError, Session};
use hourglass_domain::ids::{TagId, TimerId, UserId};
use hourglass_domain::planning::Tag;
use hourglass_domain::timer::Timer;
use hourglass_ports::event::TimerAction;
use hourglass_ports::processed::{
    ProcessedCommandRepository, Reservation, STALE_RESERVATION_SECONDS,
};
use hourglass_ports::service::timer::{SyncScope, TimerReadError};
use hourglass_ports::timer::{InsertTimerError, TimerCommandError};
use tokio::time::{Instant as TokioInstant, MissedTickBehavior};

use super::hub::{HubMessage, Registration};
use super::protocol::{
    self, ClientCommand, Code, ConnectedPayload, CreateTimer, DeletedPayload, ErrorPayload,
    FriendActivityPayload, StoredReply, SyncPayload, TimerPayload, WsError, kind,
};
use crate::edge::auth::{AuthError, Principal};
use crate::edge::dto::{TimerDto, TimerEmbeds};
use crate::settings::RateLimit;
use crate::state::AppState;
use crate::edge::telemetry::metrics::{CommandOutcome, CommandType, ConnectionKind, Refusal, ServerDrop};
use crate::edge::timezone::RenderZone;

/// Largest accepted frame, and largest message after joining continuation frames: 64 KiB.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// How long a close frame may take to get out before the connection is simply dropped (a client
/// that stopped reading never takes it).
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Between two polls of a `request_id` another connection is still working on.
const DUPLICATE_POLL_INTERVAL: Duration = Duration::from_millis(50);

/// How long a duplicate waits for the first copy of its command to finish before giving up.
const DUPLICATE_WAIT: Duration = Duration::from_secs(10);

/// First wait before trying again to release a failed command's `request_id`; doubled per
/// failure up to [`RELEASE_RETRY_MAX`].
const RELEASE_RETRY_MIN: Duration = Duration::from_millis(250);

/// Longest wait between two attempts to release a failed command's `request_id`.
const RELEASE_RETRY_MAX: Duration = Duration::from_secs(4);

/// 4029: too many connections for this user in the window (the contract's own code).
const CLOSE_TOO_MANY_CONNECTIONS: u16 = 4029;

/// Why the connection task ends.
enum Stop {
    /// The socket is gone (client left, write failed): nothing more to send.
    Gone,
    /// Close with this code and reason.
    Close(CloseCode, String),
}

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
    let principal = match auth {
        Ok(principal) => principal,
        Err(error) => {
            let (code, reason) = match &error {
                AuthError::KeysUnavailable(_) | AuthError::Storage(_) => {
                    tracing::warn!(%error, "websocket: authentication could not be checked");
                    (
                        CloseCode::Error,
                        "authentication unavailable; retry later".to_owned(),
                    )
                }
                AuthError::Missing => (
                    CloseCode::Policy,
                    "missing access token: offer the subprotocol authorization.bearer.<JWT>"
                        .to_owned(),
                ),
                other => (CloseCode::Policy, other.to_string()),
            };
            let refusal = if code == CloseCode::Error {
                Refusal::Unavailable
            } else {
                Refusal::Unauthenticated
            };
            state
                .metrics
                .connection_refused(ConnectionKind::WebSocket, refusal);
            tracing::info!(code = u16::from(code), %reason, "websocket refused");
            close(session, code, reason).await;
            return;
        }
    };
    let user = principal.user_id;
    if !state
        .hub
        .admit(user, state.settings.ws_connect_limit, Instant::now())
    {
        let reason = "too many connections; reconnect with backoff".to_owned();
        state
            .metrics
            .connection_refused(ConnectionKind::WebSocket, Refusal::RateLimited);
        tracing::info!(
            code = CLOSE_TOO_MANY_CONNECTIONS,
            %reason,
            "websocket refused"
        );
        close(
            session,
            CloseCode::Other(CLOSE_TOO_MANY_CONNECTIONS),
            reason,
        )
        .await;
        return;
    }
    // Registered before the initial sync is read: nothing committed after the read is missed.
    let registration = state.hub.register(user);
    let id = registration.id;
    let _open = state.metrics.connection_opened(ConnectionKind::WebSocket);
    tracing::info!(hub_id = id, "websocket opened");
    let mut connection = Connection {
        state: state.clone(),
        user,
        zone,
        session: session.clone(),
        registration,
        seen: HashMap::new(),
        rate: MessageRate::new(state.settings.ws_message_limit),
        last_heard: Instant::now(),
        fragments: None,
        outcome: CommandOutcome::Ok,
    };
    let expires_in = principal.expires_at.seconds_since(state.clock.now()).max(0);
    let expiry = TokioInstant::now() + Duration::from_secs(expires_in.unsigned_abs());
    let stop = connection.serve(stream, expiry).await;
    state.hub.unregister(user, id);
    match stop {
        Stop::Gone => tracing::info!("websocket closed: the client is gone"),
        Stop::Close(code, reason) => {
            if code == CloseCode::Again {
                state
                    .metrics
                    .connection_dropped(ConnectionKind::WebSocket, ServerDrop::TooSlow);
            }
            tracing::info!(code = u16::from(code), %reason, "websocket closed");
            close(session, code, reason).await;
        }
    }
}

/// Sends a close frame, giving up after [`CLOSE_TIMEOUT`].
async fn close(session: Session, code: CloseCode, reason: String) {
    let frame = CloseReason {
        code,
        description: Some(reason),
    };
    let _sent_or_gone = tokio::time::timeout(CLOSE_TIMEOUT, session.close(Some(frame))).await;
}

/// Messages per window on one connection (a sliding log of recent message instants).
struct MessageRate {
    limit: Option<RateLimit>,
    recent: VecDeque<Instant>,
}

impl MessageRate {
    fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit,
            recent: VecDeque::new(),
        }
    }

    /// Counts a message at `now`; `false` when it is over the limit (and not counted).
    fn allow(&mut self, now: Instant) -> bool {
        let Some(limit) = self.limit else {
            return true;
        };
        while self
            .recent
            .front()
            .is_some_and(|first| now.duration_since(*first) >= limit.window)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= usize::try_from(limit.max).unwrap_or(usize::MAX) {
            return false;
        }
        self.recent.push_back(now);
        true
    }
}

/// A fragmented message being joined: whether it is text, and the bytes so far.
type Fragments = (bool, Vec<u8>);

/// A successful command, ready to be rendered as the sender's reply.
struct Applied {
    kind: &'static str,
    action: &'static str,
    timer: Timer,
    tags: Vec<Tag>,
}

struct Connection {
    state: Arc<AppState>,
    user: UserId,
    zone: RenderZone,
    session: Session,
    registration: Registration,
    /// The newest `version` sent per timer; fan-out that is not newer is dropped.
    seen: HashMap<TimerId, i64>,
    rate: MessageRate,
    /// Last frame of any kind from the client (pongs included).
    last_heard: Instant,
    fragments: Option<Fragments>,
    /// How the message being handled ended, for the metrics: set by whatever answers it.
    outcome: CommandOutcome,
}

impl Connection {
    async fn serve(&mut self, mut stream: MessageStream, expiry: TokioInstant) -> Stop {
        if let Err(stop) = Box::pin(self.greet()).await {
            return stop;
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
                () = too_slow.notified() => Err(too_slow_stop()),
                _ = shutdown.wait_for(|down| *down) => Err(Stop::Close(
                    CloseCode::Away,
                    "server shutting down; reconnect with backoff".to_owned(),
                )),
                () = tokio::time::sleep_until(expiry) => Err(Stop::Close(
                    CloseCode::Policy,
                    "access token expired; refresh it and reconnect".to_owned(),
                )),
                // The handlers are boxed: the task of an idle connection then keeps only this
                // loop's state, not room for the deepest command path (database futures
                // included), which took about 7 KiB per connection.
                _ = ping.tick() => Box::pin(self.ping()).await,
                Some(message) = self.registration.messages.recv() => {
                    Box::pin(self.forward(message)).await
                }
                frame = stream.recv() => Box::pin(self.on_frame(frame)).await,
            };
            if let Err(stop) = step {
                return stop;
            }
        }
    }

    /// `connected`, then the automatic `timer.sync_result`.
    async fn greet(&mut self) -> Result<(), Stop> {
        let now = self.state.clock.now();
        let connected = protocol::encode(
            kind::CONNECTED,
            ConnectedPayload {
                user_id: self.user.to_string(),
                message: protocol::CONNECTED_MESSAGE,
            },
            None,
            now,
            None,
        );
        self.send(connected).await?;
        self.sync_list(SyncScope::Active, None).await
    }

    async fn ping(&mut self) -> Result<(), Stop> {
        let timeout = self.state.settings.ws_client_timeout;
        if self.last_heard.elapsed() > timeout {
            return Err(Stop::Close(
                CloseCode::Away,
                format!("no answer to pings for {} s", timeout.as_secs()),
            ));
        }
        let mut session = self.session.clone();
        self.write(session.ping(b"")).await
    }

    /// Writes one frame, unless the hub declares the client too slow or the write stalls for
    /// longer than the client timeout (a client that stopped reading altogether).
    async fn write(
        &self,
        send: impl Future<Output = Result<(), actix_ws::Closed>>,
    ) -> Result<(), Stop> {
        let too_slow = self.registration.too_slow.clone();
        tokio::select! {
            sent = send => sent.map_err(|_| Stop::Gone),
            () = too_slow.notified() => Err(too_slow_stop()),
            () = tokio::time::sleep(self.state.settings.ws_client_timeout) => Err(too_slow_stop()),
        }
    }

    async fn send(&self, text: String) -> Result<(), Stop> {
        let mut session = self.session.clone();
        self.write(session.text(text)).await
    }

    async fn send_error(&mut self, error: &WsError, request_id: Option<&str>) -> Result<(), Stop> {
        self.outcome = error.code.into();
        let text = protocol::encode(
            kind::ERROR,
            ErrorPayload {
                code: error.code.as_str(),
                message: &error.message,
            },
            None,
            self.state.clock.now(),
            request_id,
        );
        self.send(text).await
    }

    async fn on_frame(
        &mut self,
        frame: Option<Result<Message, ProtocolError>>,
    ) -> Result<(), Stop> {
        let message = match frame {
            None => return Err(Stop::Gone),
            Some(Err(ProtocolError::Overflow)) => return Err(too_big()),
            Some(Err(error)) => {
                tracing::debug!(%error, "websocket protocol error");
                return Err(Stop::Close(CloseCode::Protocol, error.to_string()));
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
            Message::Close(_) => Err(Stop::Close(CloseCode::Normal, "bye".to_owned())),
        }
    }

    async fn on_binary(&mut self) -> Result<(), Stop> {
        let received = Instant::now();
        let sent = if self.rate.allow(received) {
            let error = WsError::invalid("binary frames are not accepted: send JSON text");
            self.send_error(&error, None).await
        } else {
            self.send_error(&rate_limited(), None).await
        };
        self.state
            .metrics
            .command(CommandType::Unknown, self.outcome, received.elapsed());
        sent
    }

    async fn on_fragment(&mut self, item: Item) -> Result<(), Stop> {
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
            return Err(Stop::Close(
                CloseCode::Protocol,
                "continuation frame without a first frame".to_owned(),
            ));
        };
        if buffer.len() + bytes.len() > MAX_FRAME_BYTES {
            return Err(too_big());
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
            Err(_) => Err(Stop::Close(
                CloseCode::Invalid,
                "text message is not UTF-8".to_owned(),
            )),
        }
    }

    /// Handles one client message and records its type, outcome and latency (from the message
    /// in hand to the answer queued on the session).
    async fn on_message(&mut self, text: &str) -> Result<(), Stop> {
        let received = Instant::now();
        self.outcome = CommandOutcome::Ok;
        let (kind, sent) = if self.rate.allow(received) {
            let inbound = protocol::parse_message(text);
            (inbound.type_name, self.answer(inbound).await)
        } else {
            // Not parsed: a flood of refused messages must stay cheap.
            let request_id = protocol::peek_request_id(text);
            let sent = self
                .send_error(&rate_limited(), request_id.as_deref())
                .await;
            (None, sent)
        };
        self.state.metrics.command(
            CommandType::from_type_name(kind),
            self.outcome,
            received.elapsed(),
        );
        sent
    }

    async fn answer(&mut self, inbound: protocol::Inbound) -> Result<(), Stop> {
        let request_id = inbound.request_id.as_deref();
        match inbound.command {
            Err(error) => self.send_error(&error, request_id).await,
            Ok(ClientCommand::Sync { timer_id, scope }) => match timer_id {
                Some(timer_id) => self.sync_one(timer_id, request_id).await,
                None => self.sync_list(scope, request_id).await,
            },
            Ok(command) => match request_id {
                Some(request_id) => self.execute_once(command, request_id).await,
                None => match self.apply(command).await {
                    Ok(applied) => self.reply(&applied, None).await,
                    Err(error) => self.send_error(&error, None).await,
                },
            },
        }
    }

    /// Runs a command under its `request_id` at most once per user (see
    /// [`hourglass_ports::processed`]).
    async fn execute_once(&mut self, command: ClientCommand, request_id: &str) -> Result<(), Stop> {
        let type_name = command.type_name();
        let processed = self.state.processed.clone();
        let give_up = Instant::now() + DUPLICATE_WAIT;
        loop {
            let reservation = processed
                .reserve(self.user, request_id, type_name, self.state.clock.now())
                .await;
            let other_type = match reservation {
                Err(error) => {
                    return self
                        .send_error(&WsError::storage(&error), Some(request_id))
                        .await;
                }
                Ok(Reservation::Reserved) => break,
                Ok(Reservation::Completed(record)) if record.command_type == type_name => {
                    return self.replay(&record.reply, request_id).await;
                }
                Ok(Reservation::Completed(record)) => record.command_type,
                Ok(Reservation::InProgress { command_type }) if command_type == type_name => {
                    if Instant::now() > give_up {
                        let error = WsError::new(
                            Code::ServiceUnavailable,
                            "a command with this request_id is still in progress; retry later",
                        );
                        return self.send_error(&error, Some(request_id)).await;
                    }
                    tokio::time::sleep(DUPLICATE_POLL_INTERVAL).await;
                    continue;
                }
                Ok(Reservation::InProgress { command_type }) => command_type,
            };
            let error = WsError::invalid(format!(
                "request_id {request_id:?} was already used for {other_type}; use a new request_id"
            ));
            return self.send_error(&error, Some(request_id)).await;
        }
        match self.apply(command).await {
            Ok(applied) => {
                self.remember(&applied, request_id).await;
                self.reply(&applied, Some(request_id)).await
            }
            Err(error) => {
                if let Err(release) = processed.release(self.user, request_id).await {
                    // Typically the database went away mid-command. Left alone, the reservation
                    // would only expire after STALE_RESERVATION_SECONDS, and the client's retry
                    // (which the contract asks for) would wait and be refused until then, long
                    // after the database is back.
                    tracing::warn!(error = %release,
                        "cannot release a failed command's request_id; retrying in the background");
                    actix_web::rt::spawn(release_until_done(
                        processed.clone(),
                        self.user,
                        request_id.to_owned(),
                        RELEASE_RETRY_MIN,
                        Duration::from_secs(STALE_RESERVATION_SECONDS.unsigned_abs()),
                    ));
                }
                self.send_error(&error, Some(request_id)).await
            }
        }
    }

    /// Stores the reply of a successful command for replays, in UTC.
    async fn remember(&self, applied: &Applied, request_id: &str) {
        let tags: Vec<&Tag> = applied.tags.iter().collect();
        let stored = StoredReply {
            kind: applied.kind.to_owned(),
            action: applied.action.to_owned(),
            timer: TimerDto::render(
                &applied.timer,
                self.user,
                self.state.clock.now(),
                &protocol::stored_zone(),
                TimerEmbeds::tags_only(&tags),
            ),
        };
        let result = match serde_json::to_string(&stored) {
            Ok(json) => {
                self.state
                    .processed
                    .complete(self.user, request_id, &json, self.state.clock.now())
                    .await
            }
            Err(error) => {
                tracing::error!(%error, "cannot serialise a reply for replays");
                return;
            }
        };
        if let Err(error) = result {
            tracing::warn!(%error, "cannot remember a command's reply; a retry would run it again");
        }
    }

    /// Sends a remembered reply again, in this connection's zone; no fan-out.
    async fn replay(&mut self, stored: &str, request_id: &str) -> Result<(), Stop> {
        let timer = serde_json::from_str::<StoredReply>(stored)
            .map_err(|e| WsError::internal(&e))
            .and_then(|reply| {
                let timer = reply
                    .timer_in(&self.zone)
                    .map_err(|e| WsError::internal(&e))?;
                Ok((reply, timer))
            });
        match timer {
            Ok((reply, timer)) => {
                let text = protocol::encode(
                    &reply.kind,
                    TimerPayload {
                        timer: &timer,
                        action: &reply.action,
                    },
                    Some(self.user),
                    self.state.clock.now(),
                    Some(request_id),
                );
                self.outcome = CommandOutcome::Replayed;
                self.send(text).await
            }
            Err(error) => self.send_error(&error, Some(request_id)).await,
        }
    }

    async fn apply(&self, command: ClientCommand) -> Result<Applied, WsError> {
        let timers = &self.state.timers;
        let (kind, action, timer) = match command {
            ClientCommand::Create(create) => {
                let timer = self.create(timers, create).await?;
                (kind::CREATED, TimerAction::Start.as_str(), timer)
            }
            ClientCommand::Control { command, timer_id } => {
                let timer = timers.command(self.user, timer_id, command).await.map_err(
                    |error| match error {
                        TimerCommandError::NotFound => WsError::timer_not_found(),
                        TimerCommandError::Rejected(rejected) => {
                            WsError::new(Code::failed(command), rejected.to_string())
                        }
                        TimerCommandError::Storage(storage) => WsError::storage(&storage),
                    },
                )?;
                (kind::UPDATED, command.as_str(), timer)
            }
            ClientCommand::Sync { .. } => {
                return Err(WsError::new(
                    Code::SyncFailed,
                    "timer.sync is not a state-changing command",
                ));
            }
        };
        let tags = self.tags_or_none(&timer).await;
        Ok(Applied {
            kind,
            action,
            timer,
            tags,
        })
    }

    async fn create(
        &self,
        timers: &hourglass_ports::service::timer::TimerService,
        create: CreateTimer,
    ) -> Result<Timer, WsError> {
        let new = create
            .into_new_timer(self.user)
            .map_err(|e| WsError::new(Code::CreateFailed, e.to_string()))?;
        timers.create(new).await.map_err(|error| match error {
            InsertTimerError::UnknownLink(_) => WsError::new(Code::CreateFailed, error.to_string()),
            InsertTimerError::Storage(storage) => WsError::storage(&storage),
        })
    }

    /// The timer's tags for a reply; the change is committed, so a failed look-up must not turn
    /// it into an error: the reply goes out without tags and the next sync restores them.
    async fn tags_or_none(&self, timer: &Timer) -> Vec<Tag> {
        match self.state.hub.tags_of(timer).await {
            Ok(tags) => tags,
            Err(error) => {
                tracing::warn!(%error, "tags unavailable for a reply");
                Vec::new()
            }
        }
    }

    async fn reply(&mut self, applied: &Applied, request_id: Option<&str>) -> Result<(), Stop> {
        self.note_version(&applied.timer);
        let text = self.render_timer_message(
            applied.kind,
            applied.action,
            &applied.timer,
            &applied.tags,
            request_id,
        );
        self.send(text).await
    }

    fn note_version(&mut self, timer: &Timer) {
        let seen = self.seen.entry(timer.id()).or_insert(0);
        *seen = (*seen).max(timer.version());
    }

    fn render_timer_message(
        &self,
        kind: &str,
        action: &str,
        timer: &Timer,
        tags: &[Tag],
        request_id: Option<&str>,
    ) -> String {
        let now = self.state.clock.now();
        let tags: Vec<&Tag> = tags.iter().collect();
        let dto = TimerDto::render(
            timer,
            self.user,
            now,
            &self.zone,
            TimerEmbeds::tags_only(&tags),
        );
        protocol::encode(
            kind,
            TimerPayload {
                timer: &dto,
                action,
            },
            Some(timer.owner_id()),
            now,
            request_id,
        )
    }

    async fn sync_one(&mut self, timer_id: TimerId, request_id: Option<&str>) -> Result<(), Stop> {
        let timer = match self.state.timers.own(self.user, timer_id).await {
            Ok(timer) => timer,
            Err(TimerReadError::NotFound) => {
                return self
                    .send_error(&WsError::timer_not_found(), request_id)
                    .await;
            }
            Err(TimerReadError::Storage(error)) => {
                return self.send_error(&WsError::storage(&error), request_id).await;
            }
        };
        let tags = match self.state.hub.tags_of(&timer).await {
            Ok(tags) => tags,
            Err(error) => return self.send_error(&WsError::storage(&error), request_id).await,
        };
        self.note_version(&timer);
        let text = self.render_timer_message(kind::UPDATED, "sync", &timer, &tags, request_id);
        self.send(text).await
    }

    async fn sync_list(&mut self, scope: SyncScope, request_id: Option<&str>) -> Result<(), Stop> {
        let listed = match self.state.timers.sync(self.user, scope).await {
            Ok(timers) => timers,
            Err(error) => return self.send_error(&WsError::storage(&error), request_id).await,
        };
        let mut tag_ids: Vec<TagId> = listed.iter().flat_map(|t| t.tag_ids().to_vec()).collect();
        tag_ids.sort_unstable();
        tag_ids.dedup();
        let tags: HashMap<TagId, Tag> = if tag_ids.is_empty() {
            HashMap::new()
        } else {
            match self.state.hub.find_tags(self.user, &tag_ids).await {
                Ok(tags) => tags.into_iter().map(|t| (t.id, t)).collect(),
                Err(error) => {
                    return self.send_error(&WsError::storage(&error), request_id).await;
                }
            }
        };
        let now = self.state.clock.now();
        let rendered: Vec<TimerDto> = listed
            .iter()
            .map(|timer| {
                let own: Vec<&Tag> = timer
                    .tag_ids()
                    .iter()
                    .filter_map(|id| tags.get(id))
                    .collect();
                TimerDto::render(
                    timer,
                    self.user,
                    now,
                    &self.zone,
                    TimerEmbeds::tags_only(&own),
                )
            })
            .collect();
        for timer in &listed {
            self.note_version(timer);
        }
        let text = protocol::encode(
            kind::SYNC_RESULT,
            SyncPayload {
                timers: &rendered,
                count: rendered.len(),
            },
            Some(self.user),
            now,
            request_id,
        );
        self.send(text).await
    }

    /// Renders one fan-out message for this connection, unless it is not newer than what this
    /// connection already sent about the timer.
    async fn forward(&mut self, message: Arc<HubMessage>) -> Result<(), Stop> {
        let text = match &*message {
            HubMessage::TimerChanged {
                action,
                timer,
                tags,
            } => {
                let seen = self.seen.get(&timer.id()).copied().unwrap_or(0);
                if timer.version() <= seen {
                    return Ok(());
                }
                self.note_version(timer);
                let kind = if *action == TimerAction::Start {
                    kind::CREATED
                } else {
                    kind::UPDATED
                };
                self.render_timer_message(kind, action.as_str(), timer, tags, None)
            }
            // Whatever changed while fan-out was interrupted is in a fresh list.
            HubMessage::Resync => return self.sync_list(SyncScope::Active, None).await,
            HubMessage::TimerDeleted { timer_id } => {
                // Whatever is still queued about a deleted timer is stale.
                self.seen.insert(*timer_id, i64::MAX);
                protocol::encode(
                    kind::DELETED,
                    DeletedPayload {
                        timer_id: timer_id.get(),
                    },
                    Some(self.user),
                    self.state.clock.now(),
                    None,
                )
            }
            HubMessage::FriendActivity {
                friend,
                display_name,
                action,
                timer_id,
                timer_title,
            } => protocol::encode(
                kind::FRIEND_ACTIVITY,
                FriendActivityPayload {
                    friend_id: friend.to_string(),
                    display_name,
                    action: action.as_str(),
                    timer_id: timer_id.get(),
                    timer_title: timer_title.as_deref(),
                },
                Some(*friend),
                self.state.clock.now(),
                None,
            ),
        };
        self.send(text).await
    }
}

/// Releases `request_id` of `user`, retrying with backoff (from `first_wait`) until it works or
/// `give_up` has passed (the reservation is stale by then and taken over anyway); whether it was
/// released.
async fn release_until_done(
    processed: Arc<dyn ProcessedCommandRepository>,
    user: UserId,
    request_id: String,
    first_wait: Duration,
    give_up: Duration,
) -> bool {
    let started = TokioInstant::now();
    let mut wait = first_wait;
    loop {
        tokio::time::sleep(wait).await;
        match processed.release(user, &request_id).await {
            Ok(()) => {
                tracing::info!(%user, "released a failed command's request_id after retrying");
                return true;
            }
            Err(_) if started.elapsed() + wait >= give_up => {
                tracing::warn!(%user, "gave up releasing a failed command's request_id");
                return false;
            }
            Err(_) => wait = (wait * 2).min(RELEASE_RETRY_MAX),
        }
    }
}

fn too_slow_stop() -> Stop {
    Stop::Close(
        CloseCode::Again,
        "too slow: outbound queue full; reconnect and read faster".to_owned(),
    )
}

fn too_big() -> Stop {
    Stop::Close(
        CloseCode::Size,
        format!("frame larger than {} KiB", MAX_FRAME_BYTES / 1024),
    )
}

fn rate_limited() -> WsError {
    WsError::new(
        Code::RateLimitExceeded,
        "too many messages on this connection; slow down",
    )
}

#[cfg(test)]
mod tests {
    use hourglass_ports::error::StorageError;
    use hourglass_ports::processed::MockProcessedCommandRepository;

    use super::*;

    fn unavailable() -> StorageError {
        StorageError::Unavailable("connection refused".into())
    }

    #[tokio::test]
    async fn a_failed_release_is_retried_until_the_database_is_back() {
        let mut processed = MockProcessedCommandRepository::new();
        let mut calls = 0;
        processed
            .expect_release()
            .withf(|user, request_id| *user == UserId::new(7) && request_id == "r-1")
            .times(3)
            .returning(move |_, _| {
                calls += 1;
                if calls < 3 {
                    Err(unavailable())
                } else {
                    Ok(())
                }
            });
        let released = release_until_done(
            Arc::new(processed),
            UserId::new(7),
            "r-1".to_owned(),
            Duration::from_millis(1),
            Duration::from_secs(60),
        )
        .await;
        assert!(released);
    }

    #[tokio::test]
    async fn releasing_stops_once_the_reservation_would_be_stale_anyway() {
        let mut processed = MockProcessedCommandRepository::new();
        processed
            .expect_release()
            .returning(|_, _| Err(unavailable()));
        let released = release_until_done(
            Arc::new(processed),
            UserId::new(7),
            "r-1".to_owned(),
            Duration::from_millis(1),
            Duration::from_millis(20),
        )
        .await;
        assert!(!released);
    }

    #[test]
    fn the_message_rate_is_a_sliding_window() {
        let mut rate = MessageRate::new(Some(RateLimit {
            max: 2,
            window: Duration::from_secs(10),
        }));
        let t0 = Instant::now();
        assert!(rate.allow(t0));
        assert!(rate.allow(t0 + Duration::from_secs(1)));
        assert!(!rate.allow(t0 + Duration::from_secs(2)));
        assert!(rate.allow(t0 + Duration::from_secs(10)));
        assert!(!rate.allow(t0 + Duration::from_secs(10)));
        assert!(MessageRate::new(None).allow(t0));
    }
}
