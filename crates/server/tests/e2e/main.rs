//! End-to-end tests of the `hourglass` server and binary, black-box over real sockets.
//!
//! One integration binary (one link) for the whole suite. Tests that need PostgreSQL read the
//! admin URL of a disposable cluster from `TEST_DATABASE_URL` (e.g. what `scripts/pg.sh start`
//! prints) and each create their own database, so they run in parallel. Without the variable
//! they fail, on purpose: a skipped end-to-end test looks exactly like a passing one.
//!
//! # Layout
//! - `helpers`: [`helpers::TestDatabase`] (a fresh database per test) and [`helpers::TestApp`]
//!   (the real server on `127.0.0.1:0`), plus running the built binary.
//! - `health`: the liveness probe over HTTP, startup and graceful shutdown of [`run`].
//! - `cli`: the `serve`, `migrate` and `token` subcommands of the binary.
//!
//! [`run`]: hourglass_server::run

mod cli;
mod health;
mod helpers;
