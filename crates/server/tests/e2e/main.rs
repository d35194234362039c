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
//! - `auth_support`: token minting for every variant, key fixtures, a local OIDC issuer.
//! - `auth_tokens`, `auth_oidc`: each token variant on REST, per key source.
//! - `auth_edges`: CORS, the REST rate limit, body limits, JSON 404.
//! - `auth_logs`: no token in the logs of the real binary.
//! - `hostile_input`: text PostgreSQL cannot store (NUL, an over-long `sub`) and C0 controls are
//!   a 4xx or 401; the nasty-value table over every field, with no 5xx and no ERROR log line;
//!   values only the database refuses are a 4xx logged at warn.
//! - `logged_server`: the real binary with JSON logs captured; `metrics`: `/metrics`, request ids
//!   and connection ids in the logs.
//! - `rest_support`, `rest_timers`, `rest_planning`: the REST API of timers, schedules, todos
//!   and tags over HTTP.
//! - `reports`: the worked-time report (`/v1/reports/summary`): JSON, CSV, DST days, the 400s.
//! - `rest_openapi`: `/openapi.json` equals `docs/openapi.json`; `/docs`; `/readyz`.
//! - `users`: `/api/v1/users/me` and `/api/v1/users/{id}`.
//! - `sse_client`: an SSE frame reader and social helpers; `sse_stream`: the notification
//!   stream; `sse_read_state`: reads, deletes and unread counts on every tab, across instances
//!   (`sse_read_state_browser`: two tabs of a real browser);
//!   `social_rest`: follows, meetups and stored notifications over REST.
//! - `friends_active`: friends focusing now (REST list, WS snapshot, `hidden` activity) on two
//!   instances.
//! - `sdk_browser`: the TypeScript SDK and `/playground` in headless Chromium (Node scenarios of
//!   `clients/typescript/test/browser/`), and every frame the server sends checked against
//!   `docs/asyncapi.yaml`.
//! - `operations`: the Grafana dashboard and the alert rules against a real scrape, the
//!   operator metrics, secrets from `_FILE` variables.
//! - `multi_instance`: two instances on one database: fan-out across them through PostgreSQL,
//!   the `LISTEN` connection lost and resynchronised, the cross-instance latency (ignored).
//!
//! [`run`]: hourglass_server::run

mod account_deletion;
mod auth_edges;
mod auth_logs;
mod auth_oidc;
mod auth_support;
mod auth_tokens;
mod auth_transports;
mod bounded_growth;
mod browser;
mod cli;
mod friends_active;
mod health;
mod helpers;
mod hostile_input;
mod logged_server;
mod metrics;
mod multi_instance;
mod operations;
mod reports;
mod rest_openapi;
mod rest_planning;
mod rest_support;
mod rest_timers;
mod sdk_browser;
mod social_rest;
mod sse_browser;
mod sse_client;
mod sse_read_state;
mod sse_read_state_browser;
mod sse_stream;
mod time_up;
mod time_up_browser;
mod users;
mod ws;
mod ws_client;
mod ws_idempotency;
mod ws_limits;
