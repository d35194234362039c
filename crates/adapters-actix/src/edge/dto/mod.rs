//! Wire shapes (DTOs) of the HTTP and WebSocket adapters.
//!
//! The domain never derives `Serialize` for the wire (style guide rule 11): responses are built
//! here from domain values, with every datetime rendered in the caller's
//! [`RenderZone`](crate::edge::timezone::RenderZone).
//!
//! - [`timer`]: [`TimerDto`] and the objects it embeds ([`ScheduleDto`], [`TodoDto`],
//!   [`TagDto`], [`PauseEventDto`]), reused by the REST schedule, todo and tag routes.
//! - [`notification`]: [`NotificationDto`], shared by the REST list and the SSE stream, and the
//!   data of the stream's `unread-count` and `notification-read`/`-deleted` events.
//! - [`report`]: the worked-time report, as JSON ([`report::ReportDto`]) and as CSV.

pub mod notification;
pub mod report;
pub mod timer;

pub use notification::{NotificationDto, NotificationIdsEventDto, UnreadCountEventDto};
pub use timer::{PauseEventDto, ScheduleDto, TagDto, TimerDto, TimerEmbeds, TodoDto};
