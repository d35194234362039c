//! [`Metrics`]: every metric of the service, registered once, and the cheap calls that move them.
//!
//! Every label set is known in advance (connection kinds, command types and outcomes, fan-out
//! sources and targets), so each series is created at start-up and the recording calls only
//! index an array and add to an atomic: no lock, no allocation, no hashing per message. The one
//! exception is [`Metrics::http_request`], whose `route` label is the matched route pattern,
//! looked up per request in a read-locked map (a REST request costs far more than that).
//! Every series exists from start-up at 0, so `rate()` works from the first scrape.
//!
//! The database pool is sampled when the metrics are encoded (each scrape), through the
//! [`PoolUsageProbe`] port the server wires in; this crate never sees the pool itself. So is
//! the event listener's connection ([`ListenerProbe`], wired once the listener runs), and the
//! process itself ([`ProcessCollector`], the unprefixed `process_*` metrics).

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use hourglass_ports::delivery::{Arrival, DeliveryObserver, DeliveryReport, EventSource, Handoff};
use hourglass_ports::health::{ListenerProbe, PoolUsageProbe};
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use super::histogram::LatencyHistogram;
pub use super::labels::{CommandOutcome, CommandType, ConnectionKind, Refusal, ServerDrop, SseVia};
use super::process::ProcessCollector;
use crate::edge::rate_limit::LimitKind;

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The prefix of every metric name.
const PREFIX: &str = "hourglass";

/// Every way an event reaches delivery (label `source`), in index order.
const EVENT_SOURCES: [EventSource; 2] = [EventSource::InProcess, EventSource::Listener];

fn source_index(source: EventSource) -> usize {
    match source {
        EventSource::InProcess => 0,
        EventSource::Listener => 1,
    }
}

fn source_label(source: EventSource) -> &'static str {
    match source {
        EventSource::InProcess => "in_process",
        EventSource::Listener => "listener",
    }
}

/// A label set of fixed names and values.
type Labels<const N: usize> = [(&'static str, &'static str); N];

/// `method`, `route` (pattern, e.g. `/v1/timers/{id}`) and `status` (class, e.g. `2xx`).
type HttpLabels = [(&'static str, Cow<'static, str>); 3];

/// `method` and `route`, the labels of the HTTP latency histogram (not the status: 14 buckets
/// per status class would multiply the series for little gain).
type HttpLatencyLabels = [(&'static str, Cow<'static, str>); 2];

/// The event listener's gauges, set from its probe on each scrape once it runs.
#[derive(Default)]
struct ListenerGauges {
    probe: OnceLock<Arc<dyn ListenerProbe>>,
    connected: Gauge,
    age_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    reconnects: Counter,
}

impl std::fmt::Debug for ListenerGauges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerGauges").finish_non_exhaustive()
    }
}

impl ListenerGauges {
    fn sample(&self) {
        let Some(probe) = self.probe.get() else {
            return;
        };
        let status = probe.status();
        let age = status.connected_since.map(|since| since.elapsed());
        self.connected.set(i64::from(age.is_some()));
        self.age_seconds
            .set(age.map_or(0.0, |age| age.as_secs_f64()));
        // The counter only moves forward: it follows the probe's total.
        let counted = self.reconnects.get();
        if status.reconnects > counted {
            self.reconnects.inc_by(status.reconnects - counted);
        }
    }
}

/// The database pool's gauges, set from the probe on each scrape.
struct PoolGauges {
    probe: Arc<dyn PoolUsageProbe>,
    max: Gauge,
    idle: Gauge,
    in_use: Gauge,
    waiting: Gauge,
}

impl std::fmt::Debug for PoolGauges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolGauges").finish_non_exhaustive()
    }
}

impl PoolGauges {
    fn sample(&self) {
        let usage = self.probe.usage();
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.max.set(gauge(usage.max_size));
        self.idle.set(gauge(usage.idle));
        self.in_use.set(gauge(usage.in_use()));
        self.waiting.set(gauge(usage.waiting));
    }
}

/// Every metric of the service; share it as `Arc<Metrics>`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// The `process_*` metrics, without the `hourglass_` prefix.
    process: Registry,
    /// By [`ConnectionKind`].
    connections_open: [Gauge; 2],
    connections_opened: [Counter; 2],
    connections_closed: [Counter; 2],
    /// By [`ConnectionKind`], then [`Refusal`].
    connections_refused: [[Counter; Refusal::ALL.len()]; 2],
    /// By [`ConnectionKind`], then [`ServerDrop`].
    connections_dropped: [[Counter; ServerDrop::ALL.len()]; 2],
    /// By [`CommandType`], then [`CommandOutcome`].
    commands: [[Counter; CommandOutcome::ALL.len()]; CommandType::ALL.len()],
    command_duration: [LatencyHistogram; CommandType::ALL.len()],
    /// By [`EventSource`], then target ([`ConnectionKind`]).
    fanout_duration: [[LatencyHistogram; 2]; 2],
    /// By target ([`ConnectionKind`]).
    fanout_dropped: [Counter; 2],
    sse_notifications: [Counter; SseVia::ALL.len()],
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<HttpLatencyLabels, LatencyHistogram>,
    listener: ListenerGauges,
    /// By [`LimitKind`].
    rate_limit_keys: [Gauge; LimitKind::ALL.len()],
    /// Expired, then over the per-user cap.
    processed_commands_purged: [Counter; 2],
    pool: Option<PoolGauges>,
}

impl Metrics {
    /// Registers every metric; the pool's only when a `pool` probe is given.
    pub fn new(pool: Option<Arc<dyn PoolUsageProbe>>) -> Self {
        let mut registry = Registry::with_prefix(PREFIX);

        let open = Family::<Labels<1>, Gauge>::default();
        let opened = Family::<Labels<1>, Counter>::default();
        let closed = Family::<Labels<1>, Counter>::default();
        let refused = Family::<Labels<2>, Counter>::default();
        let dropped = Family::<Labels<2>, Counter>::default();
        let by_kind = |kind: ConnectionKind| [("kind", kind.label())];
        let connections_open = ConnectionKind::ALL.map(|k| open.get_or_create_owned(&by_kind(k)));
        let connections_opened =
            ConnectionKind::ALL.map(|k| opened.get_or_create_owned(&by_kind(k)));
        let connections_closed =
            ConnectionKind::ALL.map(|k| closed.get_or_create_owned(&by_kind(k)));
        let connections_refused = ConnectionKind::ALL.map(|kind| {
            Refusal::ALL.map(|reason| {
                refused.get_or_create_owned(&[("kind", kind.label()), ("reason", reason.label())])
            })
        });
        let connections_dropped = ConnectionKind::ALL.map(|kind| {
            ServerDrop::ALL.map(|reason| {
                dropped.get_or_create_owned(&[("kind", kind.label()), ("reason", reason.label())])
            })
        });
        registry.register(
            "connections_open",
            "Open connections by kind: timer WebSockets and notification SSE streams",
            open,
        );
        registry.register(
            "connections_opened",
            "Connections accepted (authenticated and admitted), by kind",
            opened,
        );
        registry.register(
            "connections_closed",
            "Accepted connections that ended, for any reason, by kind",
            closed,
        );
        registry.register(
            "connections_refused",
            "Connection attempts refused during or right after the handshake, by kind and reason",
            refused,
        );
        registry.register(
            "connections_dropped",
            "Open connections the server ended itself (client too slow, oldest SSE stream \
             evicted), by kind and reason; also counted in connections_closed",
            dropped,
        );

        let commands_family = Family::<Labels<2>, Counter>::default();
        let duration_family = Family::<Labels<1>, LatencyHistogram>::default();
        let commands = CommandType::ALL.map(|kind| {
            CommandOutcome::ALL.map(|outcome| {
                commands_family
                    .get_or_create_owned(&[("type", kind.label()), ("outcome", outcome.label())])
            })
        });
        let command_duration = CommandType::ALL
            .map(|kind| duration_family.get_or_create_owned(&[("type", kind.label())]));
        registry.register(
            "ws_commands",
            "WebSocket client messages handled, by message type and outcome",
            commands_family,
        );
        registry.register_with_unit(
            "ws_command_duration",
            "From a WebSocket message read off the socket to its reply (or error) queued on \
             the connection, by message type",
            Unit::Seconds,
            duration_family,
        );

        let fanout_family = Family::<Labels<2>, LatencyHistogram>::default();
        let fanout_duration = EVENT_SOURCES.map(|source| {
            ConnectionKind::ALL.map(|target| {
                fanout_family.get_or_create_owned(&[
                    ("source", source_label(source)),
                    ("target", target.label()),
                ])
            })
        });
        let dropped_family = Family::<Labels<1>, Counter>::default();
        let fanout_dropped = ConnectionKind::ALL
            .map(|target| dropped_family.get_or_create_owned(&[("target", target.label())]));
        registry.register_with_unit(
            "fanout_duration",
            "From a committed event reaching this instance (in_process: published by the \
             service after commit; listener: read from the LISTEN connection, before loading) \
             to a copy queued on each receiving connection, one observation per copy",
            Unit::Seconds,
            fanout_family,
        );
        registry.register(
            "fanout_dropped",
            "Fan-out copies not queued because the receiving connection's queue was full (the \
             connection is then dropped as too slow), by target",
            dropped_family,
        );

        let sse_family = Family::<Labels<1>, Counter>::default();
        let sse_notifications =
            SseVia::ALL.map(|via| sse_family.get_or_create_owned(&[("via", via.label())]));
        registry.register(
            "sse_notifications_sent",
            "Notification events written to SSE streams: live, or replayed from storage",
            sse_family,
        );

        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route pattern and status class (WebSocket and \
             SSE handshakes included)",
            http_requests.clone(),
        );

        let http_duration = Family::<HttpLatencyLabels, LatencyHistogram>::default();
        registry.register_with_unit(
            "http_request_duration",
            "From an HTTP request read to its response head, by method and route pattern \
             (WebSocket and SSE: until the upgrade or the stream starts)",
            Unit::Seconds,
            http_duration.clone(),
        );

        let listener = ListenerGauges::default();
        registry.register(
            "listener_connected",
            "1 while the event listener's LISTEN connection to the database is up, 0 while it \
             is lost and being reconnected",
            listener.connected.clone(),
        );
        registry.register_with_unit(
            "listener_connection_age",
            "How long the event listener's current LISTEN connection has been up (0 while it \
             is lost); a young connection means it was just reconnected",
            Unit::Seconds,
            listener.age_seconds.clone(),
        );
        registry.register(
            "listener_reconnects",
            "Times the event listener's LISTEN connection was opened again after a loss",
            listener.reconnects.clone(),
        );

        registry.register(
            "build",
            "The running build: its version",
            Info::new([("version", env!("CARGO_PKG_VERSION"))]),
        );

        let mut process = Registry::default();
        process.register_collector(Box::new(ProcessCollector));

        let keys_family = Family::<Labels<1>, Gauge>::default();
        let rate_limit_keys =
            LimitKind::ALL.map(|kind| keys_family.get_or_create_owned(&[("limit", kind.label())]));
        registry.register(
            "rate_limit_keys",
            "Users held by each per-user rate limit (those active within its window), as of the \
             last clean-up of idle keys",
            keys_family,
        );
        let purged_family = Family::<Labels<1>, Counter>::default();
        let processed_commands_purged = ["expired", "over_cap"]
            .map(|reason| purged_family.get_or_create_owned(&[("reason", reason)]));
        registry.register(
            "processed_commands_purged",
            "Remembered command outcomes deleted by the scheduled clean-up: older than 24 h \
             (expired) or beyond PROCESSED_COMMANDS_MAX_PER_USER for their user (over_cap)",
            purged_family,
        );

        let pool = pool.map(|probe| {
            let connections = Family::<Labels<1>, Gauge>::default();
            let gauges = PoolGauges {
                probe,
                max: Gauge::default(),
                idle: connections.get_or_create_owned(&[("state", "idle")]),
                in_use: connections.get_or_create_owned(&[("state", "in_use")]),
                waiting: Gauge::default(),
            };
            registry.register(
                "db_pool_max_connections",
                "Most connections the database pool will open (DATABASE_POOL_SIZE)",
                gauges.max.clone(),
            );
            registry.register(
                "db_pool_connections",
                "Open database pool connections by state, sampled at scrape time",
                connections,
            );
            registry.register(
                "db_pool_waiters",
                "Callers waiting for a database pool connection, sampled at scrape time",
                gauges.waiting.clone(),
            );
            gauges
        });

        Self {
            registry,
            process,
            connections_open,
            connections_opened,
            connections_closed,
            connections_refused,
            connections_dropped,
            commands,
            command_duration,
            fanout_duration,
            fanout_dropped,
            sse_notifications,
            http_requests,
            http_duration,
            listener,
            rate_limit_keys,
            processed_commands_purged,
            pool,
        }
    }

    /// Sets the key count of each per-user rate limit, in [`LimitKind::ALL`] order.
    pub fn rate_limit_keys(&self, keys: [usize; LimitKind::ALL.len()]) {
        for (gauge, keys) in self.rate_limit_keys.iter().zip(keys) {
            gauge.set(i64::try_from(keys).unwrap_or(i64::MAX));
        }
    }

    /// Counts remembered command outcomes deleted by one clean-up.
    pub fn processed_commands_purged(&self, expired: u64, over_cap: u64) {
        self.processed_commands_purged[0].inc_by(expired);
        self.processed_commands_purged[1].inc_by(over_cap);
    }

    /// Counts a connection of `kind` as open until the returned guard is dropped.
    #[must_use = "the connection counts as open until the guard is dropped"]
    pub fn connection_opened(&self, kind: ConnectionKind) -> OpenConnection {
        let index = kind as usize;
        self.connections_opened[index].inc();
        self.connections_open[index].inc();
        OpenConnection {
            open: self.connections_open[index].clone(),
            closed: self.connections_closed[index].clone(),
        }
    }

    /// Counts a refused connection attempt.
    pub fn connection_refused(&self, kind: ConnectionKind, reason: Refusal) {
        self.connections_refused[kind as usize][reason as usize].inc();
    }

    /// Counts an open connection the server ended itself.
    pub fn connection_dropped(&self, kind: ConnectionKind, reason: ServerDrop) {
        self.connections_dropped[kind as usize][reason as usize].inc();
    }

    /// Counts a handled WebSocket message and how long it took.
    pub fn command(&self, kind: CommandType, outcome: CommandOutcome, took: Duration) {
        self.commands[kind as usize][outcome as usize].inc();
        self.command_duration[kind as usize].observe(took);
    }

    /// Records one hand-off of an event that arrived as `arrival` to `target` connections: one
    /// latency observation per queued copy, and the copies a full queue refused.
    pub fn fanout(&self, arrival: Arrival, target: ConnectionKind, handoff: Handoff) {
        if handoff.queued > 0 {
            self.fanout_duration[source_index(arrival.source)][target as usize]
                .observe_many(arrival.at.elapsed(), handoff.queued);
        }
        if handoff.queue_full > 0 {
            self.fanout_dropped[target as usize].inc_by(handoff.queue_full);
        }
    }

    /// Counts a notification event written to an SSE stream.
    pub fn sse_notification_sent(&self, via: SseVia) {
        self.sse_notifications[via as usize].inc();
    }

    /// Counts an answered HTTP request and how long it `took`; `route` is the matched pattern,
    /// `None` when no route matched (labelled `unmatched`, so unknown paths cannot grow the
    /// series without bound).
    pub fn http_request(
        &self,
        method: &Method,
        route: Option<String>,
        status: StatusCode,
        took: Duration,
    ) {
        let method = Cow::Borrowed(method_label(method));
        let route = route.map_or(Cow::Borrowed("unmatched"), Cow::Owned);
        let latency: HttpLatencyLabels = [("method", method), ("route", route)];
        self.http_duration.get_or_create(&latency).observe(took);
        let [method, route] = latency;
        let labels: HttpLabels = [
            method,
            route,
            ("status", Cow::Borrowed(status_class(status))),
        ];
        self.http_requests.get_or_create(&labels).inc();
    }

    /// Samples the event listener's connection through `probe` on every scrape from now on
    /// (the listener starts after the metrics exist); a second call is ignored.
    pub fn watch_listener(&self, probe: Arc<dyn ListenerProbe>) {
        let _already_watched = self.listener.probe.set(probe);
    }

    /// The exposition: every metric in OpenMetrics text, the pool sampled now.
    ///
    /// # Errors
    /// Only if writing to a `String` failed, which it does not.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        if let Some(pool) = &self.pool {
            pool.sample();
        }
        self.listener.sample();
        let mut text = String::with_capacity(16 * 1024);
        encode_registry(&mut text, &self.registry)?;
        encode_registry(&mut text, &self.process)?;
        encode_eof(&mut text)?;
        Ok(text)
    }
}

/// An accepted connection, counted as open while this guard lives; dropping it counts the
/// close, whatever ended the connection (even a panic in its task).
#[derive(Debug)]
pub struct OpenConnection {
    open: Gauge,
    closed: Counter,
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.open.dec();
        self.closed.inc();
    }
}

/// A fixed label for `method`, so a client's invented methods cannot add series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

impl DeliveryObserver for Metrics {
    fn delivered(&self, arrival: Arrival, report: DeliveryReport) {
        self.fanout(arrival, ConnectionKind::WebSocket, report.websocket);
        self.fanout(arrival, ConnectionKind::Sse, report.sse);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use hourglass_ports::health::{
        ListenerStatus, MockListenerProbe, MockPoolUsageProbe, PoolUsage,
    };

    use super::*;

    /// The value of the sample named exactly `series` (name and labels) in `text`.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|value| value.parse().ok())
    }

    fn metrics() -> Metrics {
        let mut probe = MockPoolUsageProbe::new();
        probe.expect_usage().returning(|| PoolUsage {
            max_size: 16,
            size: 5,
            idle: 2,
            waiting: 4,
        });
        Metrics::new(Some(Arc::new(probe)))
    }

    #[test]
    fn connection_gauges_follow_the_guards() -> Result<(), std::fmt::Error> {
        let metrics = metrics();
        let first = metrics.connection_opened(ConnectionKind::WebSocket);
        let _second = metrics.connection_opened(ConnectionKind::WebSocket);
        let _stream = metrics.connection_opened(ConnectionKind::Sse);
        metrics.connection_refused(ConnectionKind::WebSocket, Refusal::RateLimited);
        metrics.connection_dropped(ConnectionKind::Sse, ServerDrop::Evicted);
        drop(first);
        let text = metrics.encode()?;
        let open = |kind: &str| {
            sample(
                &text,
                &format!("hourglass_connections_open{{kind=\"{kind}\"}}"),
            )
        };
        assert_eq!(open("websocket"), Some(1.0));
        assert_eq!(open("sse"), Some(1.0));
        assert_eq!(
            sample(
                &text,
                "hourglass_connections_opened_total{kind=\"websocket\"}"
            ),
            Some(2.0)
        );
        assert_eq!(
            sample(
                &text,
                "hourglass_connections_closed_total{kind=\"websocket\"}"
            ),
            Some(1.0)
        );
        assert_eq!(
            sample(
                &text,
                "hourglass_connections_refused_total{kind=\"websocket\",reason=\"rate_limited\"}"
            ),
            Some(1.0)
        );
        assert_eq!(
            sample(
                &text,
                "hourglass_connections_refused_total{kind=\"sse\",reason=\"origin\"}"
            ),
            Some(0.0),
            "every series exists from the start"
        );
        assert_eq!(
            sample(
                &text,
                "hourglass_connections_dropped_total{kind=\"sse\",reason=\"evicted\"}"
            ),
            Some(1.0)
        );
        Ok(())
    }

    #[test]
    fn commands_are_counted_by_type_and_outcome_with_their_latency() -> Result<(), std::fmt::Error>
    {
        let metrics = metrics();
        let pause = CommandType::from_type_name(Some("timer.pause"));
        metrics.command(pause, CommandOutcome::Ok, Duration::from_millis(2));
        metrics.command(pause, CommandOutcome::Rejected, Duration::from_micros(300));
        metrics.command(
            CommandType::from_type_name(Some("timer.explode")),
            CommandOutcome::Invalid,
            Duration::from_micros(10),
        );
        let text = metrics.encode()?;
        let commands = |kind: &str, outcome: &str| {
            sample(
                &text,
                &format!("hourglass_ws_commands_total{{type=\"{kind}\",outcome=\"{outcome}\"}}"),
            )
        };
        assert_eq!(commands("timer.pause", "ok"), Some(1.0));
        assert_eq!(commands("timer.pause", "rejected"), Some(1.0));
        assert_eq!(commands("unknown", "invalid"), Some(1.0));
        assert_eq!(commands("timer.sync", "ok"), Some(0.0));
        assert_eq!(
            sample(
                &text,
                "hourglass_ws_command_duration_seconds_count{type=\"timer.pause\"}"
            ),
            Some(2.0)
        );
        assert_eq!(
            sample(
                &text,
                "hourglass_ws_command_duration_seconds_bucket{le=\"0.0005\",type=\"timer.pause\"}"
            ),
            Some(1.0)
        );
        Ok(())
    }

    #[test]
    fn fanout_observes_each_queued_copy_and_counts_full_queues() -> Result<(), std::fmt::Error> {
        let metrics = metrics();
        let handoff = Handoff {
            queued: 3,
            queue_full: 1,
        };
        metrics.fanout(Arrival::in_process(), ConnectionKind::WebSocket, handoff);
        metrics.fanout(
            Arrival::from_listener(Instant::now()),
            ConnectionKind::Sse,
            Handoff {
                queued: 1,
                queue_full: 0,
            },
        );
        metrics.fanout(
            Arrival::in_process(),
            ConnectionKind::Sse,
            Handoff::default(),
        );
        metrics.sse_notification_sent(SseVia::Live);
        let text = metrics.encode()?;
        let count = |source: &str, target: &str| {
            sample(
                &text,
                &format!(
                    "hourglass_fanout_duration_seconds_count{{source=\"{source}\",target=\"{target}\"}}"
                ),
            )
        };
        assert_eq!(count("in_process", "websocket"), Some(3.0));
        assert_eq!(count("listener", "sse"), Some(1.0));
        assert_eq!(count("in_process", "sse"), Some(0.0));
        assert_eq!(
            sample(
                &text,
                "hourglass_fanout_dropped_total{target=\"websocket\"}"
            ),
            Some(1.0)
        );
        assert_eq!(
            sample(
                &text,
                "hourglass_sse_notifications_sent_total{via=\"live\"}"
            ),
            Some(1.0)
        );
        Ok(())
    }

    #[test]
    fn the_pool_is_sampled_at_scrape_time() -> Result<(), std::fmt::Error> {
        let text = metrics().encode()?;
        assert_eq!(
            sample(&text, "hourglass_db_pool_max_connections"),
            Some(16.0)
        );
        assert_eq!(
            sample(&text, "hourglass_db_pool_connections{state=\"idle\"}"),
            Some(2.0)
        );
        assert_eq!(
            sample(&text, "hourglass_db_pool_connections{state=\"in_use\"}"),
            Some(3.0)
        );
        assert_eq!(sample(&text, "hourglass_db_pool_waiters"), Some(4.0));
        let without = Metrics::new(None).encode()?;
        assert!(!without.contains("db_pool"), "{without}");
        Ok(())
    }

    #[test]
    fn http_requests_are_labelled_by_pattern_and_status_class() -> Result<(), std::fmt::Error> {
        let metrics = metrics();
        let route = Some("/v1/timers/{id}".to_owned());
        metrics.http_request(
            &Method::GET,
            route.clone(),
            StatusCode::OK,
            Duration::from_millis(3),
        );
        metrics.http_request(
            &Method::GET,
            route,
            StatusCode::NO_CONTENT,
            Duration::from_millis(300),
        );
        let Ok(custom) = Method::from_bytes(b"BREW") else {
            panic!("a valid method token")
        };
        metrics.http_request(&custom, None, StatusCode::NOT_FOUND, Duration::ZERO);
        let text = metrics.encode()?;
        assert_eq!(
            sample(
                &text,
                "hourglass_http_requests_total{method=\"GET\",route=\"/v1/timers/{id}\",status=\"2xx\"}"
            ),
            Some(2.0)
        );
        assert_eq!(
            sample(
                &text,
                "hourglass_http_requests_total{method=\"other\",route=\"unmatched\",status=\"4xx\"}"
            ),
            Some(1.0)
        );
        let latency = |suffix: &str| {
            sample(
                &text,
                &format!(
                    "hourglass_http_request_duration_seconds_{suffix}method=\"GET\",route=\"/v1/timers/{{id}}\"}}"
                ),
            )
        };
        assert_eq!(latency("count{"), Some(2.0));
        assert_eq!(latency("bucket{le=\"0.005\","), Some(1.0));
        assert_eq!(latency("bucket{le=\"0.5\","), Some(2.0));
        Ok(())
    }

    #[test]
    fn build_info_and_process_metrics_are_exposed() -> Result<(), std::fmt::Error> {
        let text = metrics().encode()?;
        let build = format!(
            "hourglass_build_info{{version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(sample(&text, &build), Some(1.0), "{text}");
        assert!(
            text.lines().any(|l| l == "# TYPE hourglass_build info"),
            "{text}"
        );
        if cfg!(target_os = "linux") {
            for name in [
                "process_cpu_seconds_total",
                "process_resident_memory_bytes",
                "process_virtual_memory_bytes",
                "process_start_time_seconds",
                "process_open_fds",
                "process_threads",
            ] {
                assert!(sample(&text, name).is_some(), "{name} missing in\n{text}");
            }
        }
        assert!(text.ends_with("# EOF\n"), "one EOF, at the end: {text}");
        assert_eq!(text.matches("# EOF").count(), 1, "{text}");
        Ok(())
    }

    #[test]
    fn the_listener_connection_is_sampled_at_scrape_time() -> Result<(), std::fmt::Error> {
        let metrics = metrics();
        let before = metrics.encode()?;
        assert_eq!(sample(&before, "hourglass_listener_connected"), Some(0.0));
        assert_eq!(
            sample(&before, "hourglass_listener_reconnects_total"),
            Some(0.0)
        );

        let up_since = Instant::now()
            .checked_sub(Duration::from_secs(90))
            .unwrap_or_else(Instant::now);
        let mut probe = MockListenerProbe::new();
        let mut statuses = [
            ListenerStatus {
                connected_since: Some(up_since),
                reconnects: 2,
            },
            ListenerStatus {
                connected_since: None,
                reconnects: 2,
            },
        ]
        .into_iter();
        probe
            .expect_status()
            .returning(move || statuses.next().unwrap_or_default());
        metrics.watch_listener(Arc::new(probe));

        let up = metrics.encode()?;
        assert_eq!(sample(&up, "hourglass_listener_connected"), Some(1.0));
        let age = sample(&up, "hourglass_listener_connection_age_seconds").unwrap_or(0.0);
        assert!((90.0..120.0).contains(&age), "{age}");
        assert_eq!(
            sample(&up, "hourglass_listener_reconnects_total"),
            Some(2.0)
        );

        let lost = metrics.encode()?;
        assert_eq!(sample(&lost, "hourglass_listener_connected"), Some(0.0));
        assert_eq!(
            sample(&lost, "hourglass_listener_connection_age_seconds"),
            Some(0.0)
        );
        assert_eq!(
            sample(&lost, "hourglass_listener_reconnects_total"),
            Some(2.0),
            "the count does not move back"
        );
        Ok(())
    }

    #[test]
    fn the_exposition_is_openmetrics_text_with_help_and_type() -> Result<(), std::fmt::Error> {
        let text = metrics().encode()?;
        assert!(text.ends_with("# EOF\n"), "{text}");
        for line in [
            "# TYPE hourglass_connections_open gauge",
            "# TYPE hourglass_ws_commands counter",
            "# TYPE hourglass_ws_command_duration_seconds histogram",
            "# UNIT hourglass_ws_command_duration_seconds seconds",
            "# TYPE hourglass_fanout_duration_seconds histogram",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line:?} missing in\n{text}"
            );
        }
        assert!(
            text.lines()
                .any(|l| l.starts_with("# HELP hourglass_connections_open Open connections")),
            "{text}"
        );
        Ok(())
    }
}
