use chrono::NaiveDate;
use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::timer::PauseEvent;

/// 2026-03-28T23:00:00Z: local midnight of 2026-03-29 in Europe/Berlin (CET, +01:00).
const BERLIN_MARCH_29: i64 = 1_774_738_800;

fn at(seconds: i64) -> Timestamp {
    let Some(t) = Timestamp::from_unix_seconds(seconds) else {
        panic!("valid instant {seconds}")
    };
    t
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    let Some(date) = NaiveDate::from_ymd_opt(y, m, d) else {
        panic!("valid date")
    };
    date
}

/// A history from `(action, instant)` pairs, with the `elapsed` values the state machine puts.
fn history(events: &[(HistoryAction, i64)]) -> PauseHistory {
    let mut out = Vec::with_capacity(events.len());
    let mut closed = 0;
    let mut open: Option<i64> = None;
    for &(action, t) in events {
        let elapsed = match action {
            HistoryAction::Start | HistoryAction::Resume => {
                open = Some(t);
                None
            }
            HistoryAction::Pause | HistoryAction::Stop | HistoryAction::Cancel => {
                if let Some(since) = open.take() {
                    closed += t - since;
                }
                Some(closed)
            }
        };
        out.push(PauseEvent {
            action,
            at: at(t),
            elapsed,
        });
    }
    match PauseHistory::from_events(out) {
        Ok(history) => history,
        Err(error) => panic!("invalid test history {events:?}: {error}"),
    }
}

fn timer(status: TimerStatus, events: &[(HistoryAction, i64)]) -> WorkedTimer {
    WorkedTimer {
        id: TimerId::new(Uuid::now_v7()),
        status,
        schedule_id: None,
        todo_id: None,
        tag_ids: Vec::new(),
        runs: RunBounds::of(&history(events)),
    }
}

/// A calendar of consecutive days from `start` with these lengths, dated from 2026-03-28.
fn calendar(start: i64, lengths: &[i64]) -> Calendar {
    let mut days = Vec::with_capacity(lengths.len());
    let mut begin = start;
    let mut day = date(2026, 3, 28);
    for &length in lengths {
        days.push(DaySpan {
            date: day,
            start: at(begin),
            end: at(begin + length),
        });
        begin += length;
        day = day.succ_opt().unwrap_or(day);
    }
    match Calendar::new(at(start), days) {
        Ok(calendar) => calendar,
        Err(error) => panic!("invalid test calendar: {error}"),
    }
}

use HistoryAction::{Cancel, Pause, Resume, Start, Stop};

#[test]
fn intervals_open_on_start_and_resume_and_close_on_pause_stop_cancel() {
    let h = history(&[(Start, 100), (Pause, 130), (Resume, 200), (Stop, 260)]);
    assert_eq!(
        running_intervals(&h, at(1000)),
        vec![
            Interval::new(at(100), at(130)),
            Interval::new(at(200), at(260))
        ]
    );
    let running = history(&[(Start, 100), (Pause, 110), (Resume, 150)]);
    assert_eq!(
        running_intervals(&running, at(400)),
        vec![
            Interval::new(at(100), at(110)),
            Interval::new(at(150), at(400))
        ]
    );
    let paused_then_cancelled = history(&[(Start, 0), (Pause, 10), (Cancel, 50)]);
    assert_eq!(
        running_intervals(&paused_then_cancelled, at(400)),
        vec![Interval::new(at(0), at(10))]
    );
    // A clock behind the last resume gives an empty open interval, never a negative one.
    assert_eq!(
        running_intervals(&running, at(120))[1].seconds_within(at(0), at(10_000)),
        0
    );
}

#[test]
fn run_bounds_alternate_openings_and_closings() {
    let paused_then_stopped = history(&[
        (Start, 0),
        (Pause, 10),
        (Resume, 20),
        (Pause, 30),
        (Stop, 90),
    ]);
    assert_eq!(
        RunBounds::of(&paused_then_stopped).instants(),
        &[at(0), at(10), at(20), at(30)]
    );
    let running = RunBounds::of(&history(&[(Start, 5), (Pause, 8), (Resume, 12)]));
    assert_eq!(running.instants(), &[at(5), at(8), at(12)]);
    assert_eq!(
        running.intervals(at(40)),
        vec![Interval::new(at(5), at(8)), Interval::new(at(12), at(40))]
    );
}

#[test]
fn run_bounds_from_storage_must_be_in_order() {
    assert_eq!(
        RunBounds::from_instants(vec![at(10), at(20), at(15)]),
        Err(RunBoundsError::OutOfOrder { index: 2 })
    );
    let Ok(bounds) = RunBounds::from_instants(vec![at(10), at(10), at(15)]) else {
        panic!("equal neighbours are an empty interval, not disorder")
    };
    assert_eq!(
        bounds.intervals(at(100)),
        vec![
            Interval::new(at(10), at(10)),
            Interval::new(at(15), at(100))
        ]
    );
    assert_eq!(RunBounds::default().intervals(at(100)), Vec::new());
}

#[test]
fn clipping_keeps_only_the_part_inside_the_range() {
    let interval = Interval::new(at(100), at(200));
    assert_eq!(interval.seconds_within(at(0), at(1000)), 100);
    assert_eq!(interval.seconds_within(at(150), at(1000)), 50);
    assert_eq!(interval.seconds_within(at(0), at(120)), 20);
    assert_eq!(interval.seconds_within(at(120), at(130)), 10);
    assert_eq!(interval.seconds_within(at(200), at(300)), 0);
    assert_eq!(interval.seconds_within(at(0), at(100)), 0);
}

/// Europe/Berlin springs forward on 2026-03-29: that day is 23 h (82 800 s). A timer running
/// from 22:00Z on the 28th to 00:00Z on the 30th puts 1 h on the 28th (23:00–24:00 CET), the
/// whole 23 h day on the 29th, and 2 h on the 30th (00:00–02:00 CEST).
#[test]
fn a_23_hour_day_sums_to_82800_seconds() {
    let start_28 = BERLIN_MARCH_29 - 86_400;
    let cal = calendar(start_28, &[86_400, 82_800, 86_400]);
    assert_eq!(cal.days()[1].seconds(), 82_800);
    let t = timer(
        TimerStatus::Completed,
        &[
            (Start, BERLIN_MARCH_29 - 3600),
            (Stop, BERLIN_MARCH_29 + 82_800 + 7200),
        ],
    );
    let summary = summarize(&[t], &cal, GroupBy::Day, at(BERLIN_MARCH_29 + 10 * 86_400));
    let seconds: Vec<i64> = summary.groups.iter().map(|g| g.seconds.completed).collect();
    assert_eq!(seconds, vec![3600, 82_800, 7200]);
    assert_eq!(summary.total.completed, 3600 + 82_800 + 7200);
    assert_eq!(summary.groups[1].key, GroupKey::Day(date(2026, 3, 29)));
}

/// A 25 h day (autumn) holds 90 000 s of a timer that ran through it.
#[test]
fn a_25_hour_day_sums_to_90000_seconds() {
    let cal = calendar(0, &[90_000]);
    let t = timer(TimerStatus::Running, &[(Start, -50)]);
    let summary = summarize(&[t], &cal, GroupBy::Day, at(200_000));
    assert_eq!(summary.total.active, 90_000);
    assert_eq!(summary.groups[0].seconds.active, 90_000);
}

#[test]
fn a_running_timer_counts_up_to_now_and_statuses_are_apart() {
    let cal = calendar(0, &[86_400, 86_400]);
    let timers = [
        timer(TimerStatus::Running, &[(Start, 86_000)]),
        timer(TimerStatus::Paused, &[(Start, 10), (Pause, 70)]),
        timer(
            TimerStatus::Completed,
            &[(Start, 100), (Pause, 200), (Resume, 300), (Stop, 400)],
        ),
        timer(TimerStatus::Cancelled, &[(Start, 1000), (Cancel, 1030)]),
    ];
    let summary = summarize(&timers, &cal, GroupBy::Day, at(87_000));
    assert_eq!(
        summary.total,
        StatusSeconds {
            completed: 200,
            cancelled: 30,
            active: 1000 + 60,
        }
    );
    assert_eq!(summary.groups[0].seconds.active, 400 + 60);
    assert_eq!(summary.groups[1].seconds.active, 600);
    assert_eq!(summary.groups[1].seconds.completed, 0);
}

#[test]
fn an_empty_range_is_all_zeros() {
    let cal = calendar(500, &[]);
    assert_eq!(cal.end(), at(500));
    let t = timer(TimerStatus::Running, &[(Start, 0)]);
    for group_by in GroupBy::ALL {
        let summary = summarize(std::slice::from_ref(&t), &cal, group_by, at(1000));
        assert_eq!(summary.total, StatusSeconds::default());
        assert!(summary.groups.is_empty());
    }
}

#[test]
fn two_tags_count_in_both_groups_but_once_in_the_total() {
    let cal = calendar(0, &[86_400]);
    let a = TagId::new(Uuid::from_u128(1));
    let b = TagId::new(Uuid::from_u128(2));
    let mut tagged = timer(TimerStatus::Completed, &[(Start, 0), (Stop, 100)]);
    tagged.tag_ids = vec![a, b, a];
    let mut only_b = timer(TimerStatus::Completed, &[(Start, 200), (Stop, 250)]);
    only_b.tag_ids = vec![b];
    let untagged = timer(TimerStatus::Cancelled, &[(Start, 300), (Cancel, 1300)]);
    let idle = timer(TimerStatus::Completed, &[(Start, 90_000), (Stop, 90_100)]);
    let summary = summarize(
        &[tagged, only_b, untagged, idle],
        &cal,
        GroupBy::Tag,
        at(100_000),
    );
    assert_eq!(summary.total.total(), 100 + 50 + 1000);
    let groups: Vec<(GroupKey, i64)> = summary
        .groups
        .iter()
        .map(|g| (g.key, g.seconds.total()))
        .collect();
    // Most seconds first; the untagged group last although it holds the most.
    assert_eq!(
        groups,
        vec![
            (GroupKey::Tag(Some(b)), 150),
            (GroupKey::Tag(Some(a)), 100),
            (GroupKey::Tag(None), 1000)
        ]
    );
}

#[test]
fn schedule_and_todo_groups_key_by_link_with_none_for_unlinked() {
    let cal = calendar(0, &[86_400]);
    let schedule = ScheduleId::new(Uuid::from_u128(7));
    let todo = TodoId::new(Uuid::from_u128(8));
    let mut linked = timer(TimerStatus::Completed, &[(Start, 0), (Stop, 10)]);
    linked.schedule_id = Some(schedule);
    linked.todo_id = Some(todo);
    let unlinked = timer(TimerStatus::Completed, &[(Start, 0), (Stop, 5)]);
    let timers = [linked, unlinked];
    let by_schedule = summarize(&timers, &cal, GroupBy::Schedule, at(100));
    assert_eq!(
        by_schedule.groups[0].key,
        GroupKey::Schedule(Some(schedule))
    );
    assert_eq!(by_schedule.groups[1].key, GroupKey::Schedule(None));
    assert_eq!(by_schedule.groups[1].seconds.completed, 5);
    let by_todo = summarize(&timers, &cal, GroupBy::Todo, at(100));
    assert_eq!(by_todo.groups[0].key, GroupKey::Todo(Some(todo)));
    assert_eq!(by_todo.groups[0].seconds.completed, 10);
}

#[test]
fn calendars_must_be_contiguous_ordered_and_capped() {
    let day = |d: u32, start: i64, end: i64| DaySpan {
        date: date(2026, 1, d),
        start: at(start),
        end: at(end),
    };
    assert_eq!(
        Calendar::new(at(0), vec![day(1, 0, 10), day(2, 11, 20)]),
        Err(CalendarError::Gap {
            date: date(2026, 1, 2)
        })
    );
    assert_eq!(
        Calendar::new(at(0), vec![day(1, 0, 10), day(3, 10, 20)]),
        Err(CalendarError::Gap {
            date: date(2026, 1, 3)
        })
    );
    assert_eq!(
        Calendar::new(at(5), vec![day(1, 0, 10)]),
        Err(CalendarError::Misaligned)
    );
    assert_eq!(
        Calendar::new(at(0), vec![day(1, 0, -1)]),
        Err(CalendarError::NegativeDay {
            date: date(2026, 1, 1)
        })
    );
    let mut many = Vec::new();
    let mut d = date(2026, 1, 1);
    for i in 0..=MAX_REPORT_DAYS {
        let i = i64::try_from(i).unwrap_or(0);
        many.push(DaySpan {
            date: d,
            start: at(i * 86_400),
            end: at((i + 1) * 86_400),
        });
        d = d.succ_opt().unwrap_or(d);
    }
    assert_eq!(
        Calendar::new(at(0), many),
        Err(CalendarError::TooLong {
            days: MAX_REPORT_DAYS + 1
        })
    );
}

#[test]
fn group_by_parses_case_insensitively() {
    assert_eq!(GroupBy::parse("DAY"), Some(GroupBy::Day));
    assert_eq!(GroupBy::parse("todo"), Some(GroupBy::Todo));
    assert_eq!(GroupBy::parse("week"), None);
}

// ---------------------------------------------------------------------------------------------
// Properties

/// Seconds a history ran before `t`, walked from its events: the oracle of the properties,
/// independent of [`RunBounds`].
fn elapsed_before(history: &PauseHistory, now: Timestamp, t: Timestamp) -> i64 {
    let until = now.min(t);
    let mut running_since: Option<Timestamp> = None;
    let mut seconds = 0;
    for event in history.events() {
        match (event.action, running_since) {
            (Start | Resume, None) => running_since = Some(event.at),
            (Pause | Stop | Cancel, Some(since)) => {
                seconds += event.at.min(t).seconds_since(since).max(0);
                running_since = None;
            }
            _ => {}
        }
    }
    if let Some(since) = running_since {
        seconds += until.seconds_since(since).max(0);
    }
    seconds
}

/// A timer as the report reads it.
fn arb_timer() -> impl Strategy<Value = WorkedTimer> {
    arb_timer_with_history().prop_map(|(timer, _)| timer)
}

/// A timer starting somewhere around the calendar, with up to 8 transitions, ended or not, and
/// the history it was read from.
fn arb_timer_with_history() -> impl Strategy<Value = (WorkedTimer, PauseHistory)> {
    (
        -200_000_i64..800_000,
        proptest::collection::vec(1_i64..150_000, 0..8),
        0_u8..3,
    )
        .prop_map(|(start, gaps, ending)| {
            let mut events = vec![(Start, start)];
            let mut t = start;
            let mut running = true;
            for gap in gaps {
                t += gap;
                events.push((if running { Pause } else { Resume }, t));
                running = !running;
            }
            let status = match ending {
                0 => {
                    if running {
                        TimerStatus::Running
                    } else {
                        TimerStatus::Paused
                    }
                }
                1 => {
                    events.push((Stop, t + 500));
                    TimerStatus::Completed
                }
                _ => {
                    events.push((Cancel, t + 500));
                    TimerStatus::Cancelled
                }
            };
            (timer(status, &events), history(&events))
        })
}

/// Day lengths as zones make them: 23, 24 or 25 hours, or an odd length.
fn arb_days() -> impl Strategy<Value = Vec<i64>> {
    proptest::collection::vec(
        prop_oneof![Just(82_800_i64), Just(86_400), Just(90_000), 0_i64..100_000],
        0..10,
    )
}

fn total_seconds(timers: &[WorkedTimer], cal: &Calendar, group_by: GroupBy, now: i64) -> i64 {
    summarize(timers, cal, group_by, at(now)).total.total()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The day groups add up to the overall total, class by class.
    #[test]
    fn day_totals_add_up_to_the_total(
        timers in proptest::collection::vec(arb_timer(), 0..12),
        days in arb_days(),
        now in 0_i64..2_000_000,
    ) {
        let cal = calendar(0, &days);
        let summary = summarize(&timers, &cal, GroupBy::Day, at(now));
        let mut sum = StatusSeconds::default();
        for group in &summary.groups {
            sum.add_all(&group.seconds);
        }
        prop_assert_eq!(summary.groups.len(), days.len());
        prop_assert_eq!(sum, summary.total);
    }

    /// The total is each timer's elapsed time at the end of the range minus at its start,
    /// whatever the grouping.
    #[test]
    fn the_total_is_the_elapsed_time_inside_the_range(
        timers in proptest::collection::vec(arb_timer_with_history(), 0..12),
        days in arb_days(),
        now in 0_i64..2_000_000,
    ) {
        let cal = calendar(0, &days);
        let now_t = at(now);
        let expected: i64 = timers
            .iter()
            .map(|(_, history)| {
                elapsed_before(history, now_t, cal.end())
                    - elapsed_before(history, now_t, cal.start())
            })
            .sum();
        let timers: Vec<WorkedTimer> = timers.into_iter().map(|(timer, _)| timer).collect();
        for group_by in GroupBy::ALL {
            prop_assert_eq!(total_seconds(&timers, &cal, group_by, now), expected);
        }
    }

    /// Splitting the range at any day boundary and adding the halves gives the whole.
    #[test]
    fn halves_add_up_to_the_whole(
        timers in proptest::collection::vec(arb_timer(), 0..12),
        days in arb_days(),
        split in 0_usize..10,
        now in 0_i64..2_000_000,
    ) {
        let split = split.min(days.len());
        let whole = calendar(0, &days);
        let first = calendar(0, &days[..split]);
        let Ok(second) = Calendar::new(first.end(), whole.days()[split..].to_vec()) else {
            panic!("the second half is a calendar")
        };
        for group_by in GroupBy::ALL {
            let a = summarize(&timers, &first, group_by, at(now)).total;
            let b = summarize(&timers, &second, group_by, at(now)).total;
            let mut sum = a;
            sum.add_all(&b);
            prop_assert_eq!(sum, summarize(&timers, &whole, group_by, at(now)).total);
        }
    }

    /// A tag group never holds more than the total, and the groups hold at least the total.
    #[test]
    fn tag_groups_cover_the_total(
        timers in proptest::collection::vec(arb_timer(), 0..12),
        tags in proptest::collection::vec(proptest::collection::vec(0_u128..3, 0..3), 12),
        days in arb_days(),
    ) {
        let timers: Vec<WorkedTimer> = timers
            .into_iter()
            .zip(tags)
            .map(|(mut t, tags)| {
                t.tag_ids = tags.into_iter().map(|n| TagId::new(Uuid::from_u128(n))).collect();
                t
            })
            .collect();
        let cal = calendar(0, &days);
        let summary = summarize(&timers, &cal, GroupBy::Tag, at(1_000_000));
        let sum: i64 = summary.groups.iter().map(|g| g.seconds.total()).sum();
        prop_assert!(sum >= summary.total.total());
        for group in &summary.groups {
            prop_assert!(group.seconds.total() <= summary.total.total());
            prop_assert!(group.seconds.total() > 0);
        }
    }
}
