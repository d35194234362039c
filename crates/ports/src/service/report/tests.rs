use std::collections::HashMap;

use chrono::NaiveDate;
use hourglass_domain::ids::{TagId, TimerId};
use hourglass_domain::report::{DaySpan, RunBounds, WorkedTimer};
use hourglass_domain::timer::TimerStatus;
use mockall::predicate::{always, eq};

use super::*;
use crate::clock::MockClock;
use crate::report::MockReportRepository;

const OWNER: UserId = UserId::new(5);

fn at(seconds: i64) -> Timestamp {
    let Some(t) = Timestamp::from_unix_seconds(seconds) else {
        panic!("valid instant")
    };
    t
}

/// Two UTC days from 0.
fn two_days() -> Calendar {
    let Some(first) = NaiveDate::from_ymd_opt(1970, 1, 1) else {
        panic!("valid date")
    };
    let second = first.succ_opt().unwrap_or(first);
    let days = vec![
        DaySpan {
            date: first,
            start: at(0),
            end: at(86_400),
        },
        DaySpan {
            date: second,
            start: at(86_400),
            end: at(172_800),
        },
    ];
    match Calendar::new(at(0), days) {
        Ok(calendar) => calendar,
        Err(error) => panic!("{error}"),
    }
}

/// A timer started at `start`, still running.
fn running(start: i64, tags: Vec<TagId>) -> WorkedTimer {
    let Ok(runs) = RunBounds::from_instants(vec![at(start)]) else {
        panic!("one bound")
    };
    WorkedTimer {
        id: TimerId::new(Uuid::now_v7()),
        status: TimerStatus::Running,
        schedule_id: None,
        todo_id: None,
        tag_ids: tags,
        runs,
    }
}

fn service(reports: MockReportRepository, now: i64) -> ReportService {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(at(now));
    ReportService::new(Arc::new(reports), Arc::new(clock))
}

#[tokio::test]
async fn by_day_reads_the_range_without_tags_and_counts_up_to_the_clock() {
    let mut reports = MockReportRepository::new();
    reports
        .expect_worked_timers()
        .with(eq(OWNER), eq(at(0)), eq(at(172_800)), eq(false))
        .times(1)
        .returning(|_, _, _, _| Ok(vec![running(86_000, Vec::new())]));
    reports.expect_names().never();
    let report = service(reports, 87_000)
        .summary(OWNER, two_days(), GroupBy::Day)
        .await;
    let Ok(report) = report else {
        panic!("summary failed")
    };
    assert_eq!(report.total.active, 1000);
    assert_eq!(report.groups.len(), 2);
    assert_eq!(report.groups[0].seconds.active, 400);
    assert_eq!(report.groups[1].seconds.active, 600);
    assert!(report.groups.iter().all(|g| g.name.is_none()));
    assert_eq!(report.now, at(87_000));
}

#[tokio::test]
async fn by_tag_loads_tags_and_names_the_groups() {
    let tag = TagId::new(Uuid::from_u128(42));
    let mut reports = MockReportRepository::new();
    reports
        .expect_worked_timers()
        .with(eq(OWNER), always(), always(), eq(true))
        .times(1)
        .returning(move |_, _, _, _| Ok(vec![running(0, vec![tag]), running(100, Vec::new())]));
    reports
        .expect_names()
        .withf(move |owner, group_by, ids| {
            *owner == OWNER && *group_by == GroupBy::Tag && ids == [tag.get()]
        })
        .times(1)
        .returning(move |_, _, _| Ok(HashMap::from([(tag.get(), "deep work".to_owned())])));
    let report = service(reports, 1000)
        .summary(OWNER, two_days(), GroupBy::Tag)
        .await;
    let Ok(report) = report else {
        panic!("summary failed")
    };
    assert_eq!(report.total.active, 1000 + 900);
    assert_eq!(report.groups.len(), 2);
    assert_eq!(report.groups[0].key, GroupKey::Tag(Some(tag)));
    assert_eq!(report.groups[0].name.as_deref(), Some("deep work"));
    assert_eq!(report.groups[1].key, GroupKey::Tag(None));
    assert_eq!(report.groups[1].name, None);
}

#[tokio::test]
async fn an_empty_range_reads_nothing() {
    let mut reports = MockReportRepository::new();
    reports.expect_worked_timers().never();
    reports.expect_names().never();
    let Ok(empty) = Calendar::new(at(500), Vec::new()) else {
        panic!("an empty calendar")
    };
    let report = service(reports, 1000)
        .summary(OWNER, empty, GroupBy::Schedule)
        .await;
    let Ok(report) = report else {
        panic!("summary failed")
    };
    assert_eq!(report.total, StatusSeconds::default());
    assert!(report.groups.is_empty());
}

#[tokio::test]
async fn a_storage_failure_is_returned() {
    let mut reports = MockReportRepository::new();
    reports
        .expect_worked_timers()
        .returning(|_, _, _, _| Err(StorageError::Unavailable("down".into())));
    let report = service(reports, 1000)
        .summary(OWNER, two_days(), GroupBy::Todo)
        .await;
    assert!(matches!(report, Err(StorageError::Unavailable(_))));
}
