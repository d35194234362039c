//! Rendering a timer for the wire: what every reply and every fan-out copy of a WebSocket
//! command pays once per receiving connection (each connection has its own `timezone`).
//!
//! The case is a PAUSED timer with a 20-event history rendered in `Asia/Seoul`, the common
//! shape of a real timer on a client with a named zone: 23 datetimes go through chrono-tz.

use criterion::{Criterion, criterion_group, criterion_main};
use hourglass_adapters_actix::edge::dto::{TimerDto, TimerEmbeds};
use hourglass_adapters_actix::edge::timezone::RenderZone;
use hourglass_domain::ids::{TimerId, UserId};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{NewTimer, Timer, TimerCommand};
use hourglass_domain::validation::{AllocatedDuration, Visibility};
use std::hint::black_box;
use uuid::Uuid;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_767_225_600 + seconds).unwrap_or(Timestamp::EPOCH)
}

/// Started, then paused and resumed in turn: 20 history events, ending PAUSED.
fn paused_timer() -> Timer {
    let allocated_duration = AllocatedDuration::new(1500).unwrap_or_else(|_| unreachable!());
    let new = NewTimer {
        owner_id: UserId::new(1),
        allocated_duration,
        title: None,
        description: None,
        schedule_id: None,
        todo_id: None,
        tag_ids: Vec::new(),
        visibility: Visibility::Friends,
    };
    let mut timer = Timer::start(TimerId::new(Uuid::nil()), new, at(0));
    for i in 1..20 {
        let command = if i % 2 == 1 {
            TimerCommand::Pause
        } else {
            TimerCommand::Resume
        };
        let _ = timer.apply(command, at(i * 30));
    }
    timer
}

fn render(c: &mut Criterion) {
    let timer = paused_timer();
    let zone = RenderZone::parse("Asia/Seoul").unwrap_or_default();
    let viewer = UserId::new(1);
    let now = at(3600);
    c.bench_function(
        "render a paused 20-event timer in Asia/Seoul to JSON",
        |b| {
            b.iter(|| {
                let dto = TimerDto::render(
                    black_box(&timer),
                    viewer,
                    black_box(now),
                    &zone,
                    TimerEmbeds::none(),
                );
                black_box(serde_json::to_string(&dto).unwrap_or_default())
            })
        },
    );
    let naive = RenderZone::NaiveUtc;
    c.bench_function("render the same timer in naive UTC to JSON", |b| {
        b.iter(|| {
            let dto = TimerDto::render(
                black_box(&timer),
                viewer,
                black_box(now),
                &naive,
                TimerEmbeds::none(),
            );
            black_box(serde_json::to_string(&dto).unwrap_or_default())
        })
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
