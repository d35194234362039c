//! What the metrics cost on the hot path: one WebSocket command recorded (a counter and a
//! histogram), one fan-out hand-off of ten copies, one HTTP request (the one label lookup in a
//! map), and a whole scrape.

use std::hint::black_box;
use std::time::{Duration, Instant};

use actix_web::http::{Method, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use hourglass_adapters_actix::edge::telemetry::Metrics;
use hourglass_adapters_actix::edge::telemetry::metrics::{
    CommandOutcome, CommandType, ConnectionKind,
};
use hourglass_ports::delivery::{Arrival, Handoff};

fn metrics(c: &mut Criterion) {
    let metrics = Metrics::new(None);
    c.bench_function("record a websocket command (counter + histogram)", |b| {
        b.iter(|| {
            metrics.command(
                black_box(CommandType::Pause),
                black_box(CommandOutcome::Ok),
                black_box(Duration::from_micros(1800)),
            );
        })
    });
    let arrival = Arrival::from_listener(Instant::now());
    let handoff = Handoff {
        queued: 10,
        queue_full: 0,
    };
    c.bench_function("record a fan-out hand-off of 10 copies", |b| {
        b.iter(|| metrics.fanout(black_box(arrival), ConnectionKind::WebSocket, handoff))
    });
    c.bench_function(
        "record an http request (route label lookups, counter and latency)",
        |b| {
            b.iter(|| {
                metrics.http_request(
                    &Method::GET,
                    Some(black_box("/v1/timers/{id}").to_owned()),
                    StatusCode::OK,
                    std::time::Duration::from_micros(800),
                );
            })
        },
    );
    c.bench_function("encode the whole exposition (one scrape)", |b| {
        b.iter(|| black_box(metrics.encode().unwrap_or_default()))
    });
}

criterion_group!(benches, metrics);
criterion_main!(benches);
