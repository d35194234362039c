//! What a connection does with a client message and with a delivery: commands go to the
//! [`CommandService`](hourglass_ports::service::command::CommandService) (which owns the
//! `request_id` rules), reads to the timer service, and every answer is rendered here in the
//! connection's time zone.

use std::sync::Arc;
use std::time::Instant;

use hourglass_domain::ids::TimerId;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::TimerChange;
use hourglass_ports::delivery::TimerDelivery;
use hourglass_ports::page::PageRequest;
use hourglass_ports::service::command::{CommandError, Executed, TimerRequest};
use hourglass_ports::service::timer::{SyncScope, TimerReadError};
use hourglass_ports::timer::{InsertTimerError, TaggedTimer, TimerCommandError};

use super::close::Closing;
use super::connection::Connection;
use super::protocol::codes::{Code, WsError};
use super::protocol::inbound::{self, ClientCommand, Inbound};
use super::protocol::outbound::{
    self, ConnectedPayload, DeletedPayload, ErrorPayload, FriendActivityPayload,
    FriendsSnapshotPayload, SyncPayload, TimeUpPayload, TimerPayload, kind,
};
use crate::edge::dto::{TimerDto, TimerEmbeds};
use crate::http::follows::FriendTimerDto;
use crate::http::paging;

/// How many friends' timers `timer.friends_snapshot` holds at most: the REST list's default
/// page; a client pages through the rest with `next_cursor`.
pub const FRIENDS_SNAPSHOT_LIMIT: u32 = paging::DEFAULT_LIMIT;
use crate::edge::telemetry::metrics::{CommandOutcome, CommandType};

impl Connection {
    /// `connected`, then the automatic `timer.sync_result`.
    pub(super) async fn greet(&mut self) -> Result<(), Closing> {
        let connected = outbound::encode(
            kind::CONNECTED,
            ConnectedPayload {
                user_id: self.user.to_string(),
                message: outbound::CONNECTED_MESSAGE,
            },
            None,
            self.state.clock.now(),
            None,
        );
        self.send(connected).await?;
        self.sync_list(SyncScope::Active, None).await?;
        self.friends_snapshot().await
    }

    /// `timer.friends_snapshot`: the first page (of [`FRIENDS_SNAPSHOT_LIMIT`]) of friends'
    /// active timers the caller may see. Sent after the automatic `timer.sync_result`; this
    /// connection is already registered for fan-out, so a change committed after the read
    /// arrives as `timer.friend_activity` behind it.
    async fn friends_snapshot(&mut self) -> Result<(), Closing> {
        let page = PageRequest {
            limit: FRIENDS_SNAPSHOT_LIMIT,
            after: None,
        };
        let found = match self.state.timers.friends_active(self.user, page).await {
            Ok(found) => found,
            Err(error) => {
                return self
                    .send_error(&WsError::storage(&error, Code::SyncFailed), None)
                    .await;
            }
        };
        let now = self.state.clock.now();
        let rendered: Vec<FriendTimerDto> = found
            .items
            .iter()
            .map(|item| FriendTimerDto::render(item, self.user, now, &self.zone))
            .collect();
        let text = outbound::encode(
            kind::FRIENDS_SNAPSHOT,
            FriendsSnapshotPayload {
                friends: &rendered,
                count: rendered.len(),
                next_cursor: found
                    .next
                    .map(|next| paging::encode(paging::FRIENDS_ACTIVE, &next)),
            },
            Some(self.user),
            now,
            None,
        );
        self.send(text).await
    }

    /// Handles one client message and records its type, outcome and latency (from the message
    /// in hand to the answer queued on the session).
    pub(super) async fn on_message(&mut self, text: &str) -> Result<(), Closing> {
        let received = Instant::now();
        self.outcome = CommandOutcome::Ok;
        let (type_name, sent) = if self.rate.allow() {
            let inbound = inbound::parse_message(text);
            (inbound.type_name, self.answer(inbound).await)
        } else {
            // Not parsed: a flood of refused messages must stay cheap.
            let request_id = inbound::peek_request_id(text);
            let sent = self
                .send_error(&rate_limited(), request_id.as_deref())
                .await;
            (None, sent)
        };
        self.state.metrics.command(
            CommandType::from_type_name(type_name),
            self.outcome,
            received.elapsed(),
        );
        sent
    }

    pub(super) async fn on_binary(&mut self) -> Result<(), Closing> {
        let received = Instant::now();
        let error = if self.rate.allow() {
            WsError::invalid("binary frames are not accepted: send JSON text")
        } else {
            rate_limited()
        };
        let sent = self.send_error(&error, None).await;
        self.state
            .metrics
            .command(CommandType::Unknown, self.outcome, received.elapsed());
        sent
    }

    async fn answer(&mut self, inbound: Inbound) -> Result<(), Closing> {
        let request_id = inbound.request_id.as_deref();
        let request = match inbound.command {
            Err(error) => return self.send_error(&error, request_id).await,
            Ok(ClientCommand::Sync { timer_id, scope }) => {
                return match timer_id {
                    Some(timer_id) => self.sync_one(timer_id, request_id).await,
                    None => self.sync_list(scope, request_id).await,
                };
            }
            Ok(ClientCommand::Create(create)) => match create.into_new_timer(self.user) {
                Ok(new) => TimerRequest::Create(new),
                Err(invalid) => {
                    let error = WsError::new(Code::CreateFailed, invalid.to_string());
                    return self.send_error(&error, request_id).await;
                }
            },
            Ok(ClientCommand::Control { command, timer_id }) => {
                TimerRequest::Control { timer_id, command }
            }
        };
        let failed = failed_code(&request);
        let executed = self
            .state
            .commands
            .execute(self.user, request_id, request)
            .await;
        match executed {
            Ok(executed) => {
                if matches!(executed, Executed::Replayed(_)) {
                    self.outcome = CommandOutcome::Replayed;
                }
                let outcome = executed.outcome();
                self.note_version(&outcome.timer);
                let text = self.timer_message(outcome.change, &outcome.timer, request_id);
                self.send(text).await
            }
            Err(error) => {
                let error = command_error(error, failed, request_id);
                self.send_error(&error, request_id).await
            }
        }
    }

    pub(super) async fn send_error(
        &mut self,
        error: &WsError,
        request_id: Option<&str>,
    ) -> Result<(), Closing> {
        self.outcome = error.code.into();
        let text = outbound::encode(
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

    fn note_version(&mut self, timer: &TaggedTimer) {
        self.seen
            .note(timer.timer.id(), timer.timer.version(), Instant::now());
    }

    /// `timer.created` for a new timer, else `timer.updated`, with `action` naming the change.
    fn timer_message(
        &self,
        change: TimerChange,
        timer: &TaggedTimer,
        request_id: Option<&str>,
    ) -> String {
        let kind = if change == TimerChange::START {
            kind::CREATED
        } else {
            kind::UPDATED
        };
        self.render_timer(kind, change.as_str(), timer, request_id)
    }

    fn time_up_message(&self, timer: &TaggedTimer, due_at: Timestamp, late: bool) -> String {
        let now = self.state.clock.now();
        let tags: Vec<_> = timer.tags.iter().collect();
        let dto = TimerDto::render(
            &timer.timer,
            self.user,
            now,
            &self.zone,
            TimerEmbeds::tags_only(&tags),
        );
        outbound::encode(
            kind::TIME_UP,
            TimeUpPayload {
                timer: &dto,
                due_at: self.zone.render(due_at),
                late,
            },
            Some(self.user),
            now,
            None,
        )
    }

    fn render_timer(
        &self,
        kind: &str,
        action: &str,
        timer: &TaggedTimer,
        request_id: Option<&str>,
    ) -> String {
        let now = self.state.clock.now();
        let tags: Vec<_> = timer.tags.iter().collect();
        let dto = TimerDto::render(
            &timer.timer,
            self.user,
            now,
            &self.zone,
            TimerEmbeds::tags_only(&tags),
        );
        outbound::encode(
            kind,
            TimerPayload {
                timer: &dto,
                action,
            },
            Some(timer.timer.owner_id()),
            now,
            request_id,
        )
    }

    async fn sync_one(
        &mut self,
        timer_id: TimerId,
        request_id: Option<&str>,
    ) -> Result<(), Closing> {
        let timer = match self.state.timers.own(self.user, timer_id).await {
            Ok(timer) => timer,
            Err(TimerReadError::NotFound) => {
                return self
                    .send_error(&WsError::timer_not_found(), request_id)
                    .await;
            }
            Err(TimerReadError::Storage(error)) => {
                return self
                    .send_error(&WsError::storage(&error, Code::SyncFailed), request_id)
                    .await;
            }
        };
        self.note_version(&timer);
        let text = self.render_timer(kind::UPDATED, "sync", &timer, request_id);
        self.send(text).await
    }

    async fn sync_list(
        &mut self,
        scope: SyncScope,
        request_id: Option<&str>,
    ) -> Result<(), Closing> {
        let listed = match self.state.timers.sync(self.user, scope).await {
            Ok(timers) => timers,
            Err(error) => {
                return self
                    .send_error(&WsError::storage(&error, Code::SyncFailed), request_id)
                    .await;
            }
        };
        let now = self.state.clock.now();
        let rendered: Vec<TimerDto> = listed
            .iter()
            .map(|timer| {
                let tags: Vec<_> = timer.tags.iter().collect();
                TimerDto::render(
                    &timer.timer,
                    self.user,
                    now,
                    &self.zone,
                    TimerEmbeds::tags_only(&tags),
                )
            })
            .collect();
        for timer in &listed {
            self.note_version(timer);
        }
        let text = outbound::encode(
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

    /// Renders one delivery for this connection, unless it is not newer than what this
    /// connection already sent about the timer.
    pub(super) async fn forward(&mut self, message: Arc<TimerDelivery>) -> Result<(), Closing> {
        let text = match &*message {
            TimerDelivery::Changed { change, timer } => {
                if !self.seen.is_newer(timer.timer.id(), timer.timer.version()) {
                    return Ok(());
                }
                self.note_version(timer);
                self.timer_message(*change, timer, None)
            }
            // Whatever changed while delivery was interrupted is in fresh lists: the caller's
            // timers, and the friends' (a missed `hidden` would otherwise leave one on screen).
            TimerDelivery::Resync => {
                self.sync_list(SyncScope::Active, None).await?;
                return self.friends_snapshot().await;
            }
            TimerDelivery::TimeUp {
                timer,
                due_at,
                late,
            } => self.time_up_message(timer, *due_at, *late),
            TimerDelivery::AccountDeleted => return Err(Closing::AccountDeleted),
            TimerDelivery::Deleted { timer_id } => {
                // Whatever is still queued about a deleted timer is stale.
                self.seen.deleted(*timer_id, Instant::now());
                outbound::encode(
                    kind::DELETED,
                    DeletedPayload {
                        timer_id: timer_id.get(),
                    },
                    Some(self.user),
                    self.state.clock.now(),
                    None,
                )
            }
            TimerDelivery::FriendActivity {
                friend,
                display_name,
                change,
                timer_id,
                timer_title,
            } => outbound::encode(
                kind::FRIEND_ACTIVITY,
                FriendActivityPayload {
                    friend_id: friend.to_string(),
                    display_name,
                    action: change.as_str(),
                    timer_id: timer_id.get(),
                    timer_title: timer_title.as_deref(),
                },
                Some(*friend),
                self.state.clock.now(),
                None,
            ),
            TimerDelivery::FriendHidden {
                friend,
                display_name,
                timer_id,
                timer_title,
            } => outbound::encode(
                kind::FRIEND_ACTIVITY,
                FriendActivityPayload {
                    friend_id: friend.to_string(),
                    display_name,
                    action: outbound::HIDDEN_ACTION,
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

/// The `*_FAILED` code a refusal of `request` answers with.
fn failed_code(request: &TimerRequest) -> Code {
    match request {
        TimerRequest::Create(_) => Code::CreateFailed,
        TimerRequest::Control { command, .. } => Code::failed(*command),
    }
}

/// The `error` a failed command answers with.
fn command_error(error: CommandError, failed: Code, request_id: Option<&str>) -> WsError {
    match error {
        CommandError::Create(InsertTimerError::UnknownLink(_))
        | CommandError::Control(TimerCommandError::Rejected(_)) => {
            WsError::new(failed, error.to_string())
        }
        CommandError::Control(TimerCommandError::NotFound) => WsError::timer_not_found(),
        CommandError::Create(InsertTimerError::Storage(storage))
        | CommandError::Control(TimerCommandError::Storage(storage)) => {
            WsError::storage(&storage, failed)
        }
        CommandError::RequestIdReused { used_for } => WsError::invalid(format!(
            "request_id {:?} was already used for timer.{used_for}; use a new request_id",
            request_id.unwrap_or_default()
        )),
    }
}

fn rate_limited() -> WsError {
    WsError::new(
        Code::RateLimitExceeded,
        "too many messages on this connection; slow down",
    )
}
