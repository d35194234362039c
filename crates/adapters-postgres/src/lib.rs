//! The PostgreSQL adapter of Hourglass: diesel + diesel-async implementations of the ports,
//! the embedded schema migrations and the connection pool.
//!
//! This crate may depend on `hourglass-ports`, `hourglass-domain`, diesel (feature
//! `postgres_backend` only, so no libpq and no C build), diesel-async, `diesel_migrations`, tokio
//! and `thiserror`; never on a web framework. It never reads the environment: the server passes
//! the database URL and the pool size in.
//!
//! # Layout
//! - [`migrations`]: the SQL migrations under `migrations/` embedded into the binary, and the
//!   functions that apply or revert them.
//! - [`pool`]: the `deadpool` pool of `AsyncPgConnection`s, the ping and [`pool::PgPoolUsage`]
//!   (its usage, for `/metrics`).
//! - [`schema`]: the diesel table definitions, matching `migrations/` (written by hand).
//! - [`readiness`]: the readiness probe port implemented by pinging the pool.
//! - [`outbox`]: where the repositories' transactions leave their events (`event_outbox`),
//!   never calling `pg_notify` themselves.
//! - [`relay`]: publishes the outbox (`pg_notify` in batches, outside the users' transactions),
//!   one relay per instance, each holding some of the users' partitions.
//! - [`event_bus`]: the announcements' format (what the outbox holds and the relays publish).
//! - [`listener`]: the one `LISTEN` connection per instance that routes what the relays publish
//!   to its connections.
//! - [`listener_health`]: whether that connection is up and since when, for `/metrics`.
//! - [`repository`]: the implementations of every repository port (`PgTimerRepository`, …).
//! - `rows` (private): row structs and their conversions to and from domain values.
//! - `statement` (private): fixed SQL that every connection prepares once (diesel's
//!   `sql_query` is never cached).
//! - `error` (private): constraint violations and connection failures mapped to port errors.

mod error;
pub mod event_bus;
pub mod inbox;
pub mod listener;
pub mod listener_health;
pub mod migrations;
pub mod outbox;
pub mod pool;
pub mod readiness;
pub mod relay;
pub mod repository;
mod rows;
pub mod schema;
mod statement;
