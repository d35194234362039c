//! The ports of Hourglass and the application services that drive them.
//!
//! Ports are the traits the outside world implements: repositories (PostgreSQL), the event
//! publisher (fan-out to every server instance), the clock and the id source. They are
//! `#[async_trait]`, `Send + Sync` and object-safe, so the server wires them as `Arc<dyn Port>`.
//! With the `mocks` feature (and in this crate's tests) every trait has a `mockall` mock.
//!
//! This crate may depend on `hourglass-domain`, `async-trait`, `chrono`, `uuid` and `thiserror`;
//! never on a web framework or a database driver (`just arch` checks it).
//!
//! # Layout
//! - [`clock`], [`id`]: where "now" and new UUIDs come from.
//! - [`error`]: the catch-all storage failure shared by every repository error.
//! - [`health`]: the readiness probe port behind `/readyz` and the pool usage behind `/metrics`.
//! - [`page`]: keyset pagination shared by every list.
//! - [`event`]: what is announced after a change commits, the [`event::EventPublisher`] and
//!   the [`event::LocalDelivery`] of this instance's connections.
//! - [`bus`]: the event bus between instances: what the outbox relay publishes
//!   ([`bus::EventSink`]), what an engine hands back ([`bus::BusInbox`]), per-user subjects and
//!   the [`bus::Interest`] that decides which of them this instance receives.
//! - [`delivery`]: this instance's timer connections and notification streams, and what each
//!   is handed ([`delivery::TimerDelivery`]).
//! - [`alarm`]: the alarms of running timers (time's up, forgotten), claimed by the scheduler.
//! - [`timer`], [`planning`], [`user`], [`follow`], [`meetup`], [`notification`],
//!   [`processed`]: the repository traits, one per aggregate.
//! - [`report`]: the read-only queries of the worked-time report.
//! - [`service`]: the use cases (create/pause/… a timer for a user, follow, meetups, …).
#![warn(missing_docs)]

pub mod alarm;
pub mod bus;
pub mod clock;
pub mod delivery;
pub mod error;
pub mod event;
pub mod follow;
pub mod health;
pub mod id;
pub mod meetup;
#[cfg(test)]
mod mocks_smoke;
pub mod notification;
pub mod page;
pub mod planning;
pub mod processed;
pub mod report;
pub mod service;
pub mod timer;
pub mod user;
