//! The use cases: what a signed-in user can do, independent of how they asked.
//!
//! Each service holds its ports as `Arc<dyn …>`, takes "now" from the [`crate::clock::Clock`],
//! lets the repository run the change in one transaction, and publishes events only after the
//! repository call returned successfully (the change committed). A failed publication does not
//! undo a committed change: it is logged, and devices catch up with `timer.sync` on reconnect.
//! The store also announces its changes inside the transaction, for the other server instances
//! (see [`crate::event`]).
//!
//! - [`timer::TimerService`]: create, pause, resume, stop, cancel, sync, read, list, patch, delete.
//! - [`command::CommandService`]: a client's state-changing timer command, run at most once per
//!   `request_id`, its outcome recorded and replayed.
//! - [`alarm::AlarmService`]: the scheduler that fires time's up and forgotten-timer alarms.
//! - [`delivery::DeliveryService`]: who receives a committed event on this instance, and the
//!   in-process path that hands it over after the sender's reply.
//! - [`interest::InterestIndex`]: which users' events this instance needs (its connections and
//!   their friends), so an event bus hands it nothing else.
//! - [`planning::PlanningService`]: schedules, todos and tags (owner-scoped CRUD); deletes
//!   announce the timers they changed.
//! - [`user::UserService`]: sign-in on first sight of a token, read a user, change a profile.
//! - [`follow::FollowService`]: follow (FOLLOW notification), unfollow, followers, following,
//!   friends.
//! - [`meetup::MeetupService`]: create (CREATE), join (ENTER), leave (EXIT), cancel (CANCLE),
//!   read, list open meetups.
//! - [`report::ReportService`]: the worked-time report (seconds per day, tag, schedule or todo).
//! - [`retention::CommandRetention`]: the scheduled clean-up that keeps remembered command
//!   outcomes bounded (24 h, and a cap per user).
//! - [`notification::NotificationService`]: inbox, replay after `Last-Event-ID`, unread count,
//!   read marks, delete, the TEST notification.

pub mod account;
pub mod alarm;
pub mod command;
pub mod delivery;
pub mod follow;
pub mod interest;
pub mod meetup;
pub mod notification;
pub mod planning;
pub mod report;
pub mod retention;
pub mod timer;
pub mod user;

use std::sync::Arc;

use crate::event::{DomainEvent, EventPublisher};

/// Hands `event` to the fan-out; a failure is logged, never returned (the change committed).
async fn announce(publisher: &Arc<dyn EventPublisher>, event: DomainEvent) {
    if let Err(error) = publisher.publish(event).await {
        tracing::warn!(%error, "committed change could not be announced; devices resync on reconnect");
    }
}
