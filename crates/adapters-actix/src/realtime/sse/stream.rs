//! One open stream: its frames and the task that feeds its response body.
//!
//! The response body is a stream over the receiving end of a bounded channel
//! ([`OUT_CAPACITY`] frames); [`StreamTask`] owns the sending end. The task forwards live
//! notifications, read marks and deletes from the registry, each followed by the unread count
//! it left (dropping notifications the replay already covered), writes a heartbeat
//! every `SSE_HEARTBEAT_SECONDS`, and ends the stream when:
//! - the client is gone (actix dropped the body, noticed at the latest when the next heartbeat
//!   fails to write) — its registry slot is freed;
//! - the body's queue is full (the client stopped reading), or the registry ended it (too slow,
//!   or evicted as the oldest of too many streams: then it first sends `retry: 3600000` and an
//!   `evicted` event; or the account was deleted: then it first sends an `account-deleted`
//!   event);
//! - the token expires;
//! - the server shuts down (the shutdown flag, shared with the WebSocket connections).
//!
//! Only `try_send` is used on the body's queue: a stalled client can never block the task, so
//! the task always notices the end conditions above.

use std::time::Duration;

use actix_web::web::{self, Bytes};
use hourglass_domain::ids::{NotificationId, UserId};
use hourglass_domain::time::Timestamp;
use hourglass_ports::event::InboxChange;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};

use super::registry::{EndReason, LiveEvent, StreamRegistration};
use super::resume;
use crate::edge::dto::{NotificationDto, NotificationIdsEventDto, UnreadCountEventDto};
use crate::edge::telemetry::metrics::{ConnectionKind, ServerDrop, SseVia};
use crate::edge::timezone::{RenderZone, render_envelope_timestamp};
use crate::state::AppState;

/// Frames a stream's body may have waiting before the client counts as too slow.
pub const OUT_CAPACITY: usize = 64;

/// How long the browser waits before reconnecting after a normal end (milliseconds).
pub const RETRY_MILLIS: u64 = 3000;

/// What an evicted stream is told: wait an hour, so that an auto-reconnecting tab does not
/// evict the user's other streams in a loop.
pub const EVICTED_RETRY_MILLIS: u64 = 3_600_000;

/// The first frame of every stream.
pub fn connect_frame() -> String {
    format!("retry: {RETRY_MILLIS}\nevent: connect\ndata: Connected\n\n")
}

/// A `notification` event; `id:` lets the browser send `Last-Event-ID` on reconnect.
pub fn notification_frame(dto: &NotificationDto) -> Result<String, serde_json::Error> {
    Ok(format!(
        "id: {}\nevent: notification\ndata: {}\n\n",
        dto.id,
        serde_json::to_string(dto)?
    ))
}

/// An `unread-count` event (an extension). No `id:`, so the browser's `Last-Event-ID` stays the
/// last notification's.
pub fn unread_count_frame(unread_count: u64) -> Result<String, serde_json::Error> {
    Ok(format!(
        "event: unread-count\ndata: {}\n\n",
        serde_json::to_string(&UnreadCountEventDto { unread_count })?
    ))
}

/// A `notification-read` or `notification-deleted` event (extensions), without `id:` either.
pub fn inbox_frame(change: &InboxChange) -> Result<String, serde_json::Error> {
    let (event, ids) = match change {
        InboxChange::Read(ids) => ("notification-read", ids),
        InboxChange::Deleted(ids) => ("notification-deleted", ids),
    };
    let data = NotificationIdsEventDto {
        ids: ids.iter().map(|id| id.get()).collect(),
    };
    Ok(format!(
        "event: {event}\ndata: {}\n\n",
        serde_json::to_string(&data)?
    ))
}

/// A `heartbeat` event carrying the UTC time with `Z`, whatever the stream's `timezone`.
pub fn heartbeat_frame(now: Timestamp) -> String {
    format!(
        "event: heartbeat\ndata: {}\n\n",
        render_envelope_timestamp(now)
    )
}

/// The frame that tells an evicted stream's browser to stay away for an hour, with an
/// `evicted` event (an extension, no `id:`) so that a client library can stop for good rather
/// than reopen a stream that would evict another tab in turn.
pub fn evicted_frame() -> String {
    format!(
        "retry: {EVICTED_RETRY_MILLIS}\nevent: evicted\ndata: {{\"retryMs\":{EVICTED_RETRY_MILLIS}}}\n\n"
    )
}

/// The last frame of a stream whose account was deleted: an `account-deleted` event (an
/// extension; a reconnect would get `401 ACCOUNT_DELETED`).
pub fn account_deleted_frame() -> String {
    "event: account-deleted\ndata: {}\n\n".to_owned()
}

/// Why a stream ended (for the log line, and whether a last frame is owed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    ClientGone,
    TooSlow,
    Evicted,
    AccountDeleted,
    TokenExpired,
    Shutdown,
    /// The registry forgot the stream without saying why (it was dropped).
    Dropped,
}

/// The task behind one stream.
pub struct StreamTask {
    /// Services (notifications for resync replays, users for actors), settings and the registry.
    pub state: web::Data<AppState>,
    /// The stream's user.
    pub user: UserId,
    /// Its end of the registry.
    pub registration: StreamRegistration,
    /// The sending end of the response body.
    pub out: mpsc::Sender<Bytes>,
    /// How `createdAt` is written.
    pub zone: RenderZone,
    /// The highest notification id the client has (from `Last-Event-ID` or the replay): live
    /// notifications at or below it are duplicates of the replay and are dropped.
    pub last_sent: Option<NotificationId>,
    /// When the token expires, measured from now.
    pub expires_in: Duration,
    /// The server's shutdown flag.
    pub shutdown: watch::Receiver<bool>,
}

impl StreamTask {
    /// Serves the stream until it ends, then frees its registry slot.
    pub async fn run(mut self) {
        let _open = self.state.metrics.connection_opened(ConnectionKind::Sse);
        tracing::info!(
            resume_after = self.last_sent.map(NotificationId::get),
            "sse stream opened"
        );
        let end = self.pump().await;
        self.state
            .streams
            .unregister(self.user, self.registration.id);
        let dropped = match end {
            End::TooSlow => Some(ServerDrop::TooSlow),
            End::Evicted => Some(ServerDrop::Evicted),
            _ => None,
        };
        if let Some(reason) = dropped {
            self.state
                .metrics
                .connection_dropped(ConnectionKind::Sse, reason);
        }
        // Best effort: if the queue is full the client is not reading anyway.
        if end == End::Evicted {
            let _full_or_gone = self.out.try_send(Bytes::from(evicted_frame()));
        }
        if end == End::AccountDeleted {
            let _full_or_gone = self.out.try_send(Bytes::from(account_deleted_frame()));
        }
        tracing::info!(?end, "sse stream closed");
        // Dropping `out` here ends the response body.
    }

    async fn pump(&mut self) -> End {
        let every = self.state.settings.sse_heartbeat;
        let mut heartbeat = tokio::time::interval_at(Instant::now() + every, every);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let expiry = tokio::time::sleep(self.expires_in);
        tokio::pin!(expiry);
        // An owned future, so that waiting on it borrows nothing of `self`. A dropped flag (the
        // state is gone) also means the server is going away.
        let mut shutdown = self.shutdown.clone();
        let stopping = async move {
            let _down_or_gone = shutdown.wait_for(|down| *down).await;
        };
        tokio::pin!(stopping);
        loop {
            // Biased: an end the registry announced must win over the closed live queue that
            // comes with it, or an evicted stream would miss its `retry:` frame.
            tokio::select! {
                biased;
                () = &mut stopping => return End::Shutdown,
                reason = &mut self.registration.ended => {
                    return match reason {
                        Ok(EndReason::Evicted) => End::Evicted,
                        Ok(EndReason::TooSlow) => End::TooSlow,
                        Ok(EndReason::AccountDeleted) => End::AccountDeleted,
                        Err(_) => End::Dropped,
                    };
                }
                () = self.out.closed() => return End::ClientGone,
                () = &mut expiry => return End::TokenExpired,
                _ = heartbeat.tick() => {
                    if let Err(end) = self.emit(heartbeat_frame(self.state.clock.now())) {
                        return end;
                    }
                }
                live = self.registration.live.recv() => {
                    let Some(live) = live else { return End::Dropped };
                    if let Err(end) = self.send_live(&live) {
                        return end;
                    }
                }
                () = self.registration.resync.notified() => {
                    if let Err(end) = self.resync().await {
                        return end;
                    }
                }
            }
        }
    }

    /// Writes a live event. A notification the client already has (from the replay) is not
    /// written again, but the count it left still is: it is the newest count so far in commit
    /// order, and a read mark queued before it must not have the last word.
    fn send_live(&mut self, event: &LiveEvent) -> Result<(), End> {
        match event {
            LiveEvent::Notification { live, unread_count } => {
                let id = live.notification.id();
                if !resume::already_sent(self.last_sent, id) {
                    let dto = NotificationDto::render(
                        &live.notification,
                        live.actor.as_ref(),
                        &self.zone,
                    );
                    self.send_notification(&dto, id, SseVia::Live)?;
                }
                if let Some(count) = unread_count {
                    self.send_unread_count(*count)?;
                }
                Ok(())
            }
            LiveEvent::Inbox {
                change,
                unread_count,
            } => {
                match inbox_frame(change) {
                    Ok(frame) => self.emit(frame)?,
                    Err(error) => tracing::error!(%error, "cannot serialize an inbox change"),
                }
                self.send_unread_count(*unread_count)
            }
        }
    }

    fn send_unread_count(&mut self, count: u64) -> Result<(), End> {
        match unread_count_frame(count) {
            Ok(frame) => self.emit(frame),
            Err(error) => {
                tracing::error!(%error, "cannot serialize an unread count");
                Ok(())
            }
        }
    }

    fn send_notification(
        &mut self,
        dto: &NotificationDto,
        id: NotificationId,
        via: SseVia,
    ) -> Result<(), End> {
        match notification_frame(dto) {
            Ok(frame) => {
                self.emit(frame)?;
                self.last_sent = Some(id);
                self.state.metrics.sse_notification_sent(via);
            }
            Err(error) => tracing::error!(%error, "cannot serialize a notification"),
        }
        Ok(())
    }

    /// Events may have been missed: replays from storage what is newer than the last id sent
    /// (a stream that has sent nothing yet has no position to replay from), then sends a fresh
    /// `unread-count`, since read marks and deletes may have been missed too.
    async fn resync(&mut self) -> Result<(), End> {
        if let Some(last) = self.last_sent {
            let missed = match resume::missed_after(&self.state, self.user, last, &self.zone).await
            {
                Ok(missed) => missed,
                Err(error) => return Err(resync_failed(&error)),
            };
            for (id, dto) in &missed {
                self.send_notification(dto, *id, SseVia::Replay)?;
            }
        }
        match self.state.notifications.unread_count(self.user).await {
            Ok(count) => self.send_unread_count(count),
            Err(error) => Err(resync_failed(&error)),
        }
    }

    fn emit(&self, frame: String) -> Result<(), End> {
        self.out
            .try_send(Bytes::from(frame))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => End::TooSlow,
                mpsc::error::TrySendError::Closed(_) => End::ClientGone,
            })
    }
}

/// A resync that cannot read storage ends the stream: the browser reconnects and replays by
/// `Last-Event-ID`, and gets a fresh count.
fn resync_failed(error: &dyn std::fmt::Display) -> End {
    tracing::warn!(%error, "sse resync failed; ending the stream");
    End::Dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_exactly_as_the_original_spec_writes_them() {
        assert_eq!(
            connect_frame(),
            "retry: 3000\nevent: connect\ndata: Connected\n\n"
        );
        assert_eq!(
            evicted_frame(),
            "retry: 3600000\nevent: evicted\ndata: {\"retryMs\":3600000}\n\n"
        );
        let Some(t) = Timestamp::from_unix_seconds(1_769_594_400) else {
            panic!("in range")
        };
        assert_eq!(
            heartbeat_frame(t),
            "event: heartbeat\ndata: 2026-01-28T10:00:00Z\n\n"
        );
    }

    #[test]
    fn read_state_frames_carry_no_id_so_last_event_id_stays_a_notifications()
    -> Result<(), serde_json::Error> {
        use hourglass_domain::ids::NotificationId;
        assert_eq!(
            unread_count_frame(3)?,
            "event: unread-count\ndata: {\"unreadCount\":3}\n\n"
        );
        let ids = vec![NotificationId::new(41), NotificationId::new(42)];
        assert_eq!(
            inbox_frame(&InboxChange::Read(ids.clone()))?,
            "event: notification-read\ndata: {\"ids\":[41,42]}\n\n"
        );
        assert_eq!(
            inbox_frame(&InboxChange::Deleted(ids))?,
            "event: notification-deleted\ndata: {\"ids\":[41,42]}\n\n"
        );
        Ok(())
    }
}
