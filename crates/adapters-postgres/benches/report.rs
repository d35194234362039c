//! The worked-time report against PostgreSQL (issue 18): one user with 20 000 timers over a
//! year, summarized by day for the whole year. Target: ≤ 50 ms of server time.
//!
//! Not a criterion bench: each case is one async call over a real database, timed end to end
//! (`Instant` around the call) after a warm-up, and printed as min / median / p95 / max.
//! Seeding goes straight to SQL (`generate_series`), so the bench measures only the read.
//!
//! ```text
//! TEST_DATABASE_URL=$(scripts/pg.sh url) cargo bench -p hourglass-adapters-postgres --bench report
//! ```
//! `REPORT_BENCH_TIMERS` (default 20000) and `REPORT_BENCH_ITERATIONS` (default 50) change the
//! size and the number of timed runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Days, NaiveDate};
use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use hourglass_adapters_postgres::repository::PgReportRepository;
use hourglass_adapters_postgres::repository::report::WORKED_TIMERS;
use hourglass_domain::ids::UserId;
use hourglass_domain::report::{Calendar, DaySpan, GroupBy};
use hourglass_domain::time::Timestamp;
use hourglass_ports::clock::Clock;
use hourglass_ports::report::ReportRepository;
use hourglass_ports::service::report::ReportService;
use hourglass_test_support::TestDatabase;

/// 2025-01-01T00:00:00Z, the first day of the seeded year.
const YEAR_START: i64 = 1_735_689_600;

/// "Now": 2026-01-01T00:00:00Z, after every seeded timer.
struct EndOfYear;

impl Clock for EndOfYear {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_seconds(YEAR_START + 365 * 86_400).unwrap_or(Timestamp::EPOCH)
    }
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `days` UTC days from 2025-01-01 + `offset` days.
fn utc_calendar(offset: u64, days: u64) -> anyhow::Result<Calendar> {
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).context("date")?;
    let start_of = |n: u64| -> anyhow::Result<Timestamp> {
        let seconds = YEAR_START + i64::try_from(n)? * 86_400;
        Timestamp::from_unix_seconds(seconds).context("instant")
    };
    let spans = (offset..offset + days)
        .map(|n| {
            Ok(DaySpan {
                date: first.checked_add_days(Days::new(n)).context("date")?,
                start: start_of(n)?,
                end: start_of(n + 1)?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Calendar::new(start_of(offset)?, spans)?)
}

/// One user, `timers` COMPLETED timers spread evenly over 2025, each `start, pause (+10 min),
/// resume (+15 min), stop (+25 min)`; two of every three carry one or two of five tags.
/// Another user with as many timers, so the owner filter matters.
async fn seed(db: &TestDatabase, timers: usize) -> anyhow::Result<()> {
    let mut conn = db.pool().get().await?;
    let step = 365 * 86_400 / i64::try_from(timers.max(1))?;
    conn.batch_execute(&format!(
        "INSERT INTO users (id, subject, nickname, created_at, updated_at) \
           OVERRIDING SYSTEM VALUE VALUES \
           (1, 'bench', 'bench', now(), now()), (2, 'other', 'other', now(), now()); \
         INSERT INTO tags (id, owner_id, name, color, created_at, updated_at) \
           SELECT gen_random_uuid(), 1, 'tag' || g, '#A1B2C3', now(), now() \
           FROM generate_series(1, 5) AS g; \
         INSERT INTO timers (id, owner_id, allocated_duration, status, started_at, ended_at, \
                             pause_history, created_at, updated_at) \
           SELECT gen_random_uuid(), o, 1500, 'COMPLETED', s, s + interval '25 minutes', \
                  jsonb_build_array( \
                    jsonb_build_object('action', 'start', 'at', to_char(s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')), \
                    jsonb_build_object('action', 'pause', 'at', to_char((s + interval '10 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'elapsed', 600), \
                    jsonb_build_object('action', 'resume', 'at', to_char((s + interval '15 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')), \
                    jsonb_build_object('action', 'stop', 'at', to_char((s + interval '25 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'elapsed', 1200)), \
                  s, s + interval '25 minutes' \
           FROM (SELECT o, to_timestamp({YEAR_START} + g * {step}) AS s \
                 FROM generate_series(0, {last}) AS g, (VALUES (1), (2)) AS owners(o)) AS seeded; \
         INSERT INTO timer_tags (timer_id, tag_id, owner_id, position) \
           SELECT t.id, tg.id, 1, row_number() OVER (PARTITION BY t.id ORDER BY tg.name) \
           FROM timers t \
           JOIN LATERAL (SELECT id, name FROM tags WHERE owner_id = 1 \
                         ORDER BY md5(t.id::text || id::text) \
                         LIMIT (abs(hashtext(t.id::text)) % 3)) AS tg ON true \
           WHERE t.owner_id = 1;",
        last = timers - 1,
    ))
    .await?;
    // A separate statement: VACUUM cannot run inside the implicit transaction of a batch.
    conn.batch_execute("VACUUM ANALYZE timers").await?;
    conn.batch_execute("ANALYZE timer_tags, tags, users")
        .await?;
    Ok(())
}

/// Times `runs` calls of `call` after 5 untimed ones.
async fn time<F, Fut, T>(runs: usize, mut call: F) -> anyhow::Result<(Vec<Duration>, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    for _ in 0..5 {
        call().await?;
    }
    let mut durations = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let out = call().await?;
        durations.push(started.elapsed());
        last = Some(out);
    }
    durations.sort();
    Ok((durations, last.context("no run")?))
}

fn print(name: &str, durations: &[Duration], note: &str) {
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| {
        let index = ((durations.len() as f64 - 1.0) * q).round() as usize;
        durations.get(index).map_or(0.0, ms)
    };
    println!(
        "{name:<44} min {:>7.2} ms  median {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms  {note}",
        pick(0.0),
        pick(0.5),
        pick(0.95),
        pick(1.0)
    );
}

async fn run() -> anyhow::Result<()> {
    let timers = env_number("REPORT_BENCH_TIMERS", 20_000);
    let runs = env_number("REPORT_BENCH_ITERATIONS", 50);
    let db = TestDatabase::create().await?;
    let seeding = Instant::now();
    seed(&db, timers).await?;
    println!(
        "seeded {timers} timers for the user (+{timers} for another) in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let owner = UserId::new(1);
    let repository = PgReportRepository::new(db.pool());
    let service = ReportService::new(Arc::new(repository.clone()), Arc::new(EndOfYear));
    let year = utc_calendar(0, 365)?;
    let last_week = utc_calendar(358, 7)?;

    let (d, rows) = time(runs, || async {
        Ok(repository
            .worked_timers(owner, year.start(), year.end(), false)
            .await?
            .len())
    })
    .await?;
    print("repository: year, no tags", &d, &format!("{rows} timers"));
    let (d, rows) = time(runs, || async {
        Ok(repository
            .worked_timers(owner, year.start(), year.end(), true)
            .await?
            .len())
    })
    .await?;
    print("repository: year, with tags", &d, &format!("{rows} timers"));
    for (name, calendar, group_by) in [
        ("service: year by day (the target)", &year, GroupBy::Day),
        ("service: year by tag", &year, GroupBy::Tag),
        ("service: year by schedule", &year, GroupBy::Schedule),
        ("service: last week by day", &last_week, GroupBy::Day),
    ] {
        let (d, total) = time(runs, || async {
            Ok(service
                .summary(owner, calendar.clone(), group_by)
                .await?
                .total
                .total())
        })
        .await?;
        print(name, &d, &format!("total {total} s"));
    }

    let mut conn = db.pool().get().await?;
    for (label, from, to) in [
        ("year", year.start(), year.end()),
        ("last week", last_week.start(), last_week.end()),
    ] {
        let plan: Vec<PlanLine> = diesel::sql_query(format!(
            "EXPLAIN (ANALYZE, BUFFERS) {}",
            WORKED_TIMERS
                .replace("$1", "1")
                .replace("$2", &format!("'{}'::timestamptz", from))
                .replace("$3", &format!("'{}'::timestamptz", to))
        ))
        .load(&mut conn)
        .await?;
        println!("plan ({label}):");
        for line in plan {
            println!("    {}", line.line);
        }
    }
    drop(conn);
    db.cleanup().await?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and expects no run.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run())
}
