//! Hot paths of the domain: one state-machine transition, and elapsed time on a long history.

use criterion::{Criterion, criterion_group, criterion_main};
use hourglass_domain::ids::{TimerId, UserId};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{NewTimer, Timer, TimerCommand};
use hourglass_domain::validation::{AllocatedDuration, Visibility};
use std::hint::black_box;
use uuid::Uuid;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_767_225_600 + seconds).unwrap_or(Timestamp::EPOCH)
}

fn running_timer() -> Timer {
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
    Timer::start(TimerId::new(Uuid::nil()), new, at(0))
}

/// A timer paused and resumed until its history is nearly full: the worst case for elapsed.
fn long_timer() -> Timer {
    let mut timer = running_timer();
    for i in 1..999 {
        let command = if i % 2 == 1 {
            TimerCommand::Pause
        } else {
            TimerCommand::Resume
        };
        let _ = timer.apply(command, at(i));
    }
    timer
}

fn transitions(c: &mut Criterion) {
    let fresh = running_timer();
    c.bench_function("pause a fresh timer", |b| {
        b.iter(|| {
            let mut timer = fresh.clone();
            black_box(timer.apply(TimerCommand::Pause, black_box(at(60))))
        })
    });
    let long = long_timer();
    c.bench_function("elapsed_at on a 999-event history", |b| {
        b.iter(|| black_box(long.elapsed_at(black_box(at(5000)))))
    });
    c.bench_function("stop a 999-event timer", |b| {
        b.iter(|| {
            let mut timer = long.clone();
            black_box(timer.apply(TimerCommand::Stop, black_box(at(5000))))
        })
    });
}

criterion_group!(benches, transitions);
criterion_main!(benches);
