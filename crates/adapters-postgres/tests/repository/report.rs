//! The worked-time report's read queries: which timers overlap a range, their tags, the names
//! of the groups; and the report service over them.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use hourglass_adapters_postgres::repository::{
    PgReportRepository, PgScheduleRepository, PgTagRepository, PgTimerRepository,
};
use hourglass_domain::ids::TimerId;
use hourglass_domain::report::{Calendar, DaySpan, GroupBy, GroupKey, RunBounds};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{Timer, TimerCommand, TimerStatus};
use hourglass_ports::clock::Clock;
use hourglass_ports::planning::{ScheduleRepository, TagRepository};
use hourglass_ports::report::ReportRepository;
use hourglass_ports::service::report::ReportService;
use hourglass_ports::timer::TimerRepository;
use uuid::Uuid;

use crate::support::{TimerSpec, at, database, schedule, tag, timer, timer_with, user};

/// A clock stopped at one instant.
struct FixedClock(Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// Inserts `timer` and applies `commands` at their instants.
async fn store(
    timers: &PgTimerRepository,
    timer: Timer,
    commands: &[(TimerCommand, i64)],
) -> anyhow::Result<TimerId> {
    timers.insert(&timer).await?;
    for &(command, when) in commands {
        timers
            .apply_command(timer.owner_id(), timer.id(), command, at(when))
            .await?;
    }
    Ok(timer.id())
}

#[tokio::test]
async fn worked_timers_are_the_owners_timers_overlapping_the_range() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let tags = PgTagRepository::new(db.pool());
    let (red, blue, bobs) = (tag(alice, "red"), tag(alice, "blue"), tag(bob, "bobs"));
    for t in [&red, &blue, &bobs] {
        tags.insert(t).await?;
    }
    let plan = schedule(alice, Vec::new());
    PgScheduleRepository::new(db.pool()).insert(&plan).await?;
    let timers = PgTimerRepository::new(db.pool());
    use TimerCommand::{Cancel, Pause, Resume, Stop};

    // The range is [at(50), at(40_000)).
    let spec = TimerSpec {
        schedule_id: Some(plan.id),
        tag_ids: vec![blue.id, red.id],
        ..TimerSpec::default()
    };
    let worked = store(
        &timers,
        timer_with(alice, at(0), spec),
        &[(Pause, 100), (Resume, 200), (Stop, 300)],
    )
    .await?;
    let running = store(&timers, timer(alice, at(1000)), &[]).await?;
    let paused_long_ago = store(&timers, timer(alice, at(-9000)), &[(Pause, -8000)]).await?;
    let _ended_before = store(&timers, timer(alice, at(-10_000)), &[(Stop, -5000)]).await?;
    let _ended_at_from = store(&timers, timer(alice, at(-100)), &[(Cancel, 50)]).await?;
    let _starts_at_to = store(&timers, timer(alice, at(40_000)), &[]).await?;
    let _bobs = store(&timers, timer(bob, at(10)), &[]).await?;

    let reports = PgReportRepository::new(db.pool());
    let found = reports
        .worked_timers(alice, at(50), at(40_000), true)
        .await?;
    let ids: BTreeSet<TimerId> = found.iter().map(|t| t.id).collect();
    assert_eq!(
        ids,
        BTreeSet::from([worked, running, paused_long_ago]),
        "{found:#?}"
    );
    let Some(first) = found.iter().find(|t| t.id == worked) else {
        panic!("the worked timer")
    };
    assert_eq!(first.status, TimerStatus::Completed);
    assert_eq!(first.schedule_id, Some(plan.id));
    assert_eq!(first.tag_ids, vec![blue.id, red.id]);
    assert_eq!(first.runs.instants(), &[at(0), at(100), at(200), at(300)]);

    let untagged = reports
        .worked_timers(alice, at(50), at(40_000), false)
        .await?;
    assert_eq!(untagged.len(), 3);
    assert!(untagged.iter().all(|t| t.tag_ids.is_empty()));

    let names = reports
        .names(
            alice,
            GroupBy::Tag,
            &[red.id.get(), blue.id.get(), bobs.id.get(), Uuid::now_v7()],
        )
        .await?;
    assert_eq!(
        names,
        HashMap::from([
            (red.id.get(), "red".to_owned()),
            (blue.id.get(), "blue".to_owned())
        ])
    );
    let titles = reports
        .names(alice, GroupBy::Schedule, &[plan.id.get()])
        .await?;
    assert_eq!(
        titles.get(&plan.id.get()).map(String::as_str),
        Some("meeting")
    );
    assert!(
        reports
            .names(bob, GroupBy::Schedule, &[plan.id.get()])
            .await?
            .is_empty()
    );
    db.cleanup().await?;
    Ok(())
}

/// `run_bounds`, which PostgreSQL generates from `pause_history`, holds what the domain reads
/// from the history, after every write path: insert, pause, resume, stop and cancel, also a stop
/// or cancel of a paused timer (which closes nothing).
#[tokio::test]
async fn stored_run_bounds_are_the_bounds_of_the_stored_history() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    use TimerCommand::{Cancel, Pause, Resume, Stop};
    let cases: Vec<Vec<(TimerCommand, i64)>> = vec![
        vec![],
        vec![(Pause, 100)],
        vec![(Pause, 100), (Resume, 250)],
        vec![(Pause, 100), (Resume, 250), (Stop, 400)],
        vec![(Pause, 100), (Stop, 400)],
        vec![(Pause, 100), (Cancel, 400)],
        vec![(Cancel, 30)],
        vec![
            (Pause, 10),
            (Resume, 20),
            (Pause, 30),
            (Resume, 40),
            (Pause, 50),
            (Resume, 60),
            (Stop, 70),
        ],
    ];
    let mut expected = HashMap::new();
    for commands in &cases {
        let id = store(&timers, timer(alice, at(0)), commands).await?;
        let Some(stored) = timers.find(id).await? else {
            panic!("timer {id:?} stored")
        };
        expected.insert(id, RunBounds::of(stored.pause_history()));
    }
    let found = PgReportRepository::new(db.pool())
        .worked_timers(alice, at(0), at(1000), false)
        .await?;
    assert_eq!(found.len(), cases.len());
    for worked in found {
        assert_eq!(Some(&worked.runs), expected.get(&worked.id), "{worked:?}");
    }
    // The paused-then-stopped timer ran [0, 100) only.
    assert!(
        expected
            .values()
            .any(|runs| runs.instants() == [at(0), at(100)])
    );
    db.cleanup().await?;
    Ok(())
}

/// The service over the real store: two days of UTC, a timer across midnight, tags named.
#[tokio::test]
async fn the_report_service_sums_stored_histories() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let tags = PgTagRepository::new(db.pool());
    let red = tag(alice, "red");
    tags.insert(&red).await?;
    let timers = PgTimerRepository::new(db.pool());
    let spec = TimerSpec {
        tag_ids: vec![red.id],
        ..TimerSpec::default()
    };
    // 2026-01-01T23:00Z → paused 2026-01-02T01:00Z: one hour on each day.
    store(
        &timers,
        timer_with(alice, at(82_800), spec),
        &[(TimerCommand::Pause, 90_000)],
    )
    .await?;
    // Running since 2026-01-02T10:00Z; "now" is 10:30Z.
    store(&timers, timer(alice, at(122_400)), &[]).await?;

    let Some(first) = NaiveDate::from_ymd_opt(2026, 1, 1) else {
        panic!("valid date")
    };
    let days = vec![
        DaySpan {
            date: first,
            start: at(0),
            end: at(86_400),
        },
        DaySpan {
            date: first.succ_opt().unwrap_or(first),
            start: at(86_400),
            end: at(172_800),
        },
    ];
    let calendar = Calendar::new(at(0), days)?;
    let service = ReportService::new(
        Arc::new(PgReportRepository::new(db.pool())),
        Arc::new(FixedClock(at(124_200))),
    );
    let by_day = service
        .summary(alice, calendar.clone(), GroupBy::Day)
        .await?;
    let per_day: Vec<i64> = by_day.groups.iter().map(|g| g.seconds.active).collect();
    assert_eq!(per_day, vec![3600, 3600 + 1800]);
    assert_eq!(by_day.total.active, 9000);

    let by_tag = service.summary(alice, calendar, GroupBy::Tag).await?;
    assert_eq!(by_tag.total.active, 9000);
    assert_eq!(by_tag.groups.len(), 2);
    assert_eq!(by_tag.groups[0].key, GroupKey::Tag(Some(red.id)));
    assert_eq!(by_tag.groups[0].name.as_deref(), Some("red"));
    assert_eq!(by_tag.groups[0].seconds.active, 7200);
    assert_eq!(by_tag.groups[1].key, GroupKey::Tag(None));
    assert_eq!(by_tag.groups[1].seconds.active, 1800);
    db.cleanup().await?;
    Ok(())
}
