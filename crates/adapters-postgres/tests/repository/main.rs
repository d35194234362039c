//! Contract tests of the PostgreSQL repositories against a real database.
//!
//! One integration binary; each test gets its own fresh database from
//! [`hourglass_test_support::TestDatabase`] (copied from a migrated template), so tests run in
//! parallel. `TEST_DATABASE_URL` must be set (the tests fail, never skip, without it).

mod account;
mod events;
mod friends_active;
mod inbox;
mod meetup;
mod migrations;
mod notification;
mod planning;
mod processed;
mod races;
mod report;
mod stored_text;
mod support;
mod timer;
mod user_follow;
