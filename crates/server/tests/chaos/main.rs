//! Fault tests: real `hourglass serve` processes under load over real sockets while PostgreSQL
//! stops, an instance is killed or terminated, or a client stops reading.
//!
//! Every test is ignored, so `just test` never runs them: they stop PostgreSQL, send signals and
//! take tens of seconds each. `just chaos` runs them one at a time on a throwaway cluster of their
//! own (`target/pg-chaos`, port 55462) and prints what each observed; `docs/reliability.md`
//! records the scenarios and the figures. One scenario: `just chaos sigkill`.
//!
//! # Layout
//! - `cluster`: the PostgreSQL cluster the tests stop and start (`scripts/pg.sh`).
//! - `instance`: `hourglass serve` as a child process (signals, `/readyz`, resident memory).
//! - `device`: a WebSocket device and the messages the load sends.
//! - `load`: workers (commands with `request_id`, retries, reconnects) and observers.
//! - `ledger`: the database after the fault, checked against what clients were told.
//! - `stream`: notification streams (SSE) and the notifier that feeds them.
//! - `postgres_restart`, `instance_kill`, `graceful_shutdown`, `stalled_reader`: the scenarios.
//! - `bus_faults`: the event bus on three instances (relay holder killed, `LISTEN` dropped,
//!   broker restarted), on either engine (`just chaos-bus`).

mod bus_faults;
mod cluster;
mod device;
mod graceful_shutdown;
mod instance;
mod instance_kill;
mod ledger;
mod load;
mod postgres_restart;
mod stalled_reader;
mod stream;
