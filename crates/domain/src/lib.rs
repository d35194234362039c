//! The pure rules of Hourglass.
//!
//! This crate is what other services reuse: it builds on its own with no async runtime, no web
//! framework and no database. It may depend on `chrono`, `uuid`, `thiserror` and `serde` derives,
//! nothing that does I/O. Time is always passed in as a value, so every rule is testable to the
//! second.
//!
//! # Layout
//! - [`ids`]: typed identifiers (numeric users, notifications and meetups; UUID timers, schedules,
//!   todos and tags).
//! - [`time`]: [`time::Timestamp`], a UTC instant truncated to whole seconds.
//! - [`validation`]: validated value types (durations, titles, colors, …) and their errors.
//! - [`timer`]: the Timer aggregate, its state machine and `pause_history`.
//! - [`planning`]: schedules, todos and tags that timers link to.
//! - [`profile`]: user profile values (nickname, profile image).
//! - [`follow`]: the following rules (no self-follow, FOLLOW notification suppression).
//! - [`meetup`]: the meetup aggregate and its join/leave/cancel rules.
//! - [`notification`]: notification kinds, their exact messages and routing fields.
//! - [`report`]: the worked-time report: RUNNING intervals clipped to a range of days (given as
//!   UTC instants, so no time-zone rules here) and summed per day, tag, schedule or todo.
#![warn(missing_docs)]

pub mod follow;
pub mod ids;
pub mod meetup;
pub mod notification;
pub mod planning;
pub mod profile;
pub mod report;
pub mod time;
pub mod timer;
pub mod validation;
