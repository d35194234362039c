//! `time-up`: the precision of `timer.time_up` (issue 18). Every user has one WebSocket device
//! and creates timers on it; the allocations are chosen so that the due instants of all
//! `--timers` timers are spread evenly over one window of `--due-window` seconds, and the device
//! measures, for every `timer.time_up` it receives, the wall-clock receive time minus the
//! payload's `due_at`.
//!
//! Timer `k` (of all users, `0..timers`, user `k % users` creates it) is created at
//! `k × duration / timers` seconds after the start and falls due in slot `(k × stride) mod
//! timers` of the window, which opens 5 s after the last create: creates are spread over
//! `--duration` seconds, and the allocations range from 5 s to `duration + window + 5` s
//! (the permutation keeps the due order unrelated to the creation order). The allocation is
//! computed when the create is sent, rounded up to the whole second.
//!
//! Counted per timer id: duplicates (a second `timer.time_up` for a timer already heard) and
//! misses (created, yet not heard by the end: `--grace` seconds after the last due instant).
//! `due_at` is whole-second, rendered in the connection's zone (naive UTC when no zone is
//! given, otherwise with its offset); both forms are parsed. Runs in one process (the exact
//! percentiles need every delay).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt as _;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Barrier, watch};
use tokio::task::JoinSet;

use crate::stats::Tally;
use crate::ws::{self, Incoming};
use crate::{Ctx, Outcome};

/// Seconds between the last create and the opening of the due window.
const LEAD_S: f64 = 5.0;

/// How long a device keeps listening for duplicates once it heard all its timers.
const LINGER: Duration = Duration::from_secs(3);

/// The start of the run.
type Go = watch::Receiver<Option<Instant>>;

/// What the run found, in the final summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Timers the plan asked for.
    pub timers_planned: u64,
    /// `timer.create` sent.
    pub creates_sent: u64,
    /// `timer.created` received.
    pub created: u64,
    /// `error` replies to creates.
    pub create_errors: u64,
    /// Distinct timers heard (`timer.time_up`).
    pub heard: u64,
    /// `timer.time_up` for a timer already heard.
    pub duplicates: u64,
    /// Created, never heard by the end.
    pub misses: u64,
    /// `timer.time_up` of a timer this device did not see created (should be 0).
    pub unknown: u64,
    /// `late: true` flags received.
    pub late_flags: u64,
    /// Delays above `--grace` seconds (heard, but after the limit).
    pub over_grace: u64,
    /// Seconds from the first to the last `due_at` heard.
    pub due_span_s: i64,
    /// Most timers heard that share one `due_at` second.
    pub peak_due_per_second: u64,
    /// Delay percentiles, milliseconds (exact, from every observation).
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

impl Report {
    /// The human lines.
    pub fn print_human(&self) {
        println!(
            "   time-up: planned {}, sent {}, created {}, create errors {}, heard {}, duplicates {}, misses {}, unknown {}, late flags {}, over grace {}",
            self.timers_planned,
            self.creates_sent,
            self.created,
            self.create_errors,
            self.heard,
            self.duplicates,
            self.misses,
            self.unknown,
            self.late_flags,
            self.over_grace
        );
        println!(
            "   time-up delay (receive − due_at): n={} p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms  mean {:.1} ms; due span {} s, peak {} due in one second",
            self.heard + self.duplicates,
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.max_ms,
            self.mean_ms,
            self.due_span_s,
            self.peak_due_per_second
        );
    }
}

/// What one device saw.
#[derive(Default)]
struct Seen {
    tally: Tally,
    sent: u64,
    created: u64,
    create_errors: u64,
    heard: u64,
    duplicates: u64,
    misses: u64,
    unknown: u64,
    late_flags: u64,
    over_grace: u64,
    delays_ms: Vec<f64>,
    due_seconds: Vec<i64>,
}

/// The plan of timer `k`: when it is created and when it should fall due, seconds from start.
fn plan(k: u64, timers: u64, create_window_s: f64, due_window_s: f64) -> (f64, f64) {
    let n = timers.max(1);
    let stride = stride_for(n);
    let slot = (u128::from(k) * u128::from(stride) % u128::from(n)) as f64;
    let create_at = k as f64 * create_window_s / n as f64;
    let due_at = create_window_s + LEAD_S + (slot + 0.5) * due_window_s / n as f64;
    (create_at, due_at)
}

/// A stride coprime with `n` near 0.618 n, so the slots are a scrambled permutation.
fn stride_for(n: u64) -> u64 {
    if n <= 2 {
        return 1;
    }
    let mut stride = (n as f64 * 0.618) as u64;
    while gcd(stride, n) != 1 {
        stride += 1;
    }
    stride
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Runs the scenario (one process).
///
/// # Errors
/// Only internal failures; network failures are counted in the tally.
pub async fn run(ctx: Arc<Ctx>) -> anyhow::Result<(Outcome, Report)> {
    let users: Vec<u64> = ctx.cli.my_users().collect();
    let barrier = Arc::new(Barrier::new(users.len() + 1));
    let (go_tx, go_rx) = watch::channel(None);
    let mut tasks = JoinSet::new();
    for &user in &users {
        let ctx = Arc::clone(&ctx);
        let barrier = Arc::clone(&barrier);
        let go = go_rx.clone();
        tasks.spawn(async move { run_user(ctx, user, barrier, go).await });
    }
    barrier.wait().await;
    let start = Instant::now();
    go_tx.send_replace(Some(start));

    let mut all = Seen::default();
    while let Some(joined) = tasks.join_next().await {
        let seen = joined??;
        all.tally.merge(&seen.tally)?;
        all.sent += seen.sent;
        all.created += seen.created;
        all.create_errors += seen.create_errors;
        all.heard += seen.heard;
        all.duplicates += seen.duplicates;
        all.misses += seen.misses;
        all.unknown += seen.unknown;
        all.late_flags += seen.late_flags;
        all.over_grace += seen.over_grace;
        all.delays_ms.extend(seen.delays_ms);
        all.due_seconds.extend(seen.due_seconds);
    }
    let measured_s = start.elapsed().as_secs_f64();
    let report = summarize(&ctx, &mut all);
    let mut tally = all.tally;
    tally.count("time_up_heard", report.heard);
    tally.count("time_up_duplicates", report.duplicates);
    tally.count("time_up_misses", report.misses);
    tally.count("time_up_late_flags", report.late_flags);
    let notes = vec![format!(
        "{} timers created over {} s by {} users (one device each), due over a {} s window; \
         delay = wall clock at receipt − due_at",
        ctx.cli.timers,
        ctx.cli.duration,
        users.len(),
        ctx.cli.due_window
    )];
    Ok((
        Outcome {
            tally,
            measured_s,
            notes,
            soak: None,
        },
        report,
    ))
}

fn summarize(ctx: &Ctx, all: &mut Seen) -> Report {
    all.delays_ms.sort_by(f64::total_cmp);
    let delays = &all.delays_ms;
    let at = |q: f64| -> f64 {
        if delays.is_empty() {
            return 0.0;
        }
        // Nearest rank: the smallest value with at least q of the observations at or below it.
        let rank = ((q * delays.len() as f64).ceil() as usize).clamp(1, delays.len());
        delays[rank - 1]
    };
    let mut per_second: BTreeMap<i64, u64> = BTreeMap::new();
    for &second in &all.due_seconds {
        *per_second.entry(second).or_default() += 1;
    }
    let span = match (per_second.keys().next(), per_second.keys().next_back()) {
        (Some(first), Some(last)) => last - first,
        _ => 0,
    };
    Report {
        timers_planned: ctx.cli.timers,
        creates_sent: all.sent,
        created: all.created,
        create_errors: all.create_errors,
        heard: all.heard,
        duplicates: all.duplicates,
        misses: all.misses,
        unknown: all.unknown,
        late_flags: all.late_flags,
        over_grace: all.over_grace,
        due_span_s: span,
        peak_due_per_second: per_second.values().copied().max().unwrap_or(0),
        p50_ms: at(0.50),
        p90_ms: at(0.90),
        p99_ms: at(0.99),
        max_ms: delays.last().copied().unwrap_or(0.0),
        mean_ms: if delays.is_empty() {
            0.0
        } else {
            delays.iter().sum::<f64>() / delays.len() as f64
        },
    }
}

async fn run_user(
    ctx: Arc<Ctx>,
    user: u64,
    barrier: Arc<Barrier>,
    mut go: Go,
) -> anyhow::Result<Seen> {
    let mut seen = Seen::default();
    let device = connect(&ctx, user, &mut seen.tally).await;
    // Every user waits here, connected or not, so the plan starts together.
    barrier.wait().await;
    let start = loop {
        if let Some(start) = *go.borrow_and_update() {
            break start;
        }
        go.changed().await?;
    };
    let Some(mut ws) = device else {
        return Ok(seen);
    };

    let cli = &ctx.cli;
    let (create_window, due_window) = (cli.duration as f64, cli.due_window as f64);
    let plans: Vec<(f64, f64)> = (0..cli.timers)
        .filter(|k| k % cli.users == user)
        .map(|k| plan(k, cli.timers, create_window, due_window))
        .collect();
    let grace = Duration::from_secs(cli.grace);
    let end_of_plan = create_window + LEAD_S + due_window;
    let mut deadline = start + Duration::from_secs_f64(end_of_plan) + grace;
    let mut lingering = false;
    let mut next = 0_usize;
    let mut pending = 0_u64;
    let mut created: HashSet<String> = HashSet::new();
    let mut heard: HashMap<String, u32> = HashMap::new();
    let mut create_sent: VecDeque<Instant> = VecDeque::new();

    loop {
        let send_at = plans
            .get(next)
            .map(|&(at, _)| start + Duration::from_secs_f64(at));
        tokio::select! {
            () = tokio::time::sleep_until(send_at.unwrap_or(deadline).into()), if send_at.is_some() => {
                let (_, due) = plans[next];
                next += 1;
                let now_s = start.elapsed().as_secs_f64();
                let allocation = (due - now_s).ceil().max(1.0) as u64;
                let payload = json!({ "allocated_duration": allocation, "title": "loadgen time-up" });
                if let Err(failure) = ws::send(&mut ws, "timer.create", payload).await {
                    seen.tally.error(failure.0);
                    break;
                }
                seen.sent += 1;
                pending += 1;
                create_sent.push_back(Instant::now());
            }
            item = ws.next() => {
                let received = SystemTime::now();
                let arrived = Instant::now();
                let envelope = match ws::incoming(item) {
                    Ok(Incoming::Envelope(envelope)) => envelope,
                    Ok(Incoming::Control) => continue,
                    Ok(Incoming::Ended) => {
                        seen.tally.error("closed_eof");
                        break;
                    }
                    Err(failure) => {
                        seen.tally.error(failure.0);
                        break;
                    }
                };
                match envelope.kind.as_str() {
                    "timer.created" | "error" => {
                        pending = pending.saturating_sub(1);
                        if let Some(sent) = create_sent.pop_front() {
                            seen.tally.latency("create_reply", arrived - sent)?;
                        }
                        if envelope.kind == "error" {
                            seen.create_errors += 1;
                            seen.tally.error(format!("reply_{}", envelope.error_code()));
                        } else if let Some(id) = timer_id(&envelope.payload) {
                            seen.created += 1;
                            created.insert(id);
                        }
                    }
                    "timer.time_up" => {
                        let Some(id) = timer_id(&envelope.payload) else {
                            seen.tally.error("time_up_without_timer");
                            continue;
                        };
                        if envelope.payload.get("late").and_then(Value::as_bool) == Some(true) {
                            seen.late_flags += 1;
                        }
                        let count = heard.entry(id.clone()).or_default();
                        *count += 1;
                        if *count > 1 {
                            seen.duplicates += 1;
                        }
                        match envelope.payload_str("due_at").and_then(parse_instant) {
                            Some(due_s) => {
                                let received_s = received
                                    .duration_since(UNIX_EPOCH)
                                    .map_or(0.0, |d| d.as_secs_f64());
                                let delay_s = received_s - due_s as f64;
                                if delay_s < 0.0 {
                                    seen.tally.count("time_up_before_due", 1);
                                }
                                let delay_s = delay_s.max(0.0);
                                if delay_s > grace.as_secs_f64() {
                                    seen.over_grace += 1;
                                }
                                seen.delays_ms.push(delay_s * 1000.0);
                                seen.due_seconds.push(due_s);
                                seen.tally.latency("time_up", Duration::from_secs_f64(delay_s))?;
                            }
                            None => seen.tally.error("time_up_bad_due_at"),
                        }
                    }
                    _ => {}
                }
            }
            () = tokio::time::sleep_until(deadline.into()) => break,
        }
        if !lingering
            && next == plans.len()
            && pending == 0
            && created.iter().all(|id| heard.contains_key(id))
        {
            // Everything heard: listen a little longer for duplicates, then stop.
            lingering = true;
            deadline = deadline.min(Instant::now() + LINGER);
        }
    }
    // Settled at the end: a time-up may in principle beat its own create reply.
    seen.heard = created.iter().filter(|id| heard.contains_key(*id)).count() as u64;
    seen.misses = created.len() as u64 - seen.heard;
    seen.unknown = heard.keys().filter(|id| !created.contains(*id)).count() as u64;
    ws::close(ws).await;
    Ok(seen)
}

/// `payload.timer.id`.
fn timer_id(payload: &Value) -> Option<String> {
    Some(payload.get("timer")?.get("id")?.as_str()?.to_owned())
}

/// Connects this user's one device.
async fn connect(ctx: &Ctx, user: u64, tally: &mut Tally) -> Option<ws::Ws> {
    let Ok(token) = ctx.minter.mint(&format!("{}-t{user}", ctx.cli.run_id)) else {
        tally.error("mint");
        return None;
    };
    let _permit = ctx.connect_gate.acquire().await.ok()?;
    let t0 = Instant::now();
    match ws::connect(&ctx.ws_url, &token, ctx.cli.timeout()).await {
        Ok(device) => {
            tally.count("connections_ok", 1);
            let _ = tally.latency("connect", t0.elapsed());
            Some(device)
        }
        Err(failure) => {
            tally.error(failure.0);
            None
        }
    }
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`; no offset means UTC (the
/// server's naive rendering). Fractions are dropped (the server sends whole seconds).
pub fn parse_instant(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 19 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[10] != b'T' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if bytes[13] != b':' || bytes[16] != b':' || !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        rest = &fraction[digits..];
    }
    let offset_s = match rest {
        "" | "Z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hh: i64 = rest.get(1..3)?.parse().ok()?;
            let mm: i64 = rest.get(4..6)?.parse().ok()?;
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            sign * (hh * 3600 + mm * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset_s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_at_parses_naive_utc_and_zoned() {
        assert_eq!(parse_instant("1970-01-01T00:00:00"), Some(0));
        assert_eq!(parse_instant("2026-01-28T10:25:00Z"), Some(1_769_595_900));
        assert_eq!(parse_instant("2026-01-28T10:25:00"), Some(1_769_595_900));
        assert_eq!(
            parse_instant("2026-01-28T19:25:00+09:00"),
            Some(1_769_595_900)
        );
        assert_eq!(
            parse_instant("2026-01-28T05:25:00-05:00"),
            Some(1_769_595_900)
        );
        assert_eq!(
            parse_instant("2026-01-28T10:25:00.250Z"),
            Some(1_769_595_900)
        );
        assert_eq!(parse_instant("2024-02-29T00:00:00"), Some(1_709_164_800));
        assert_eq!(parse_instant("2026-01-28 10:25:00"), None);
        assert_eq!(parse_instant("2026-01-28T10:25:00+0900"), None);
        assert_eq!(parse_instant("nonsense"), None);
    }

    #[test]
    fn the_plan_spreads_every_due_instant_over_the_window_once() {
        let n = 10_000;
        let mut slots: Vec<f64> = (0..n).map(|k| plan(k, n, 60.0, 60.0).1).collect();
        slots.sort_by(f64::total_cmp);
        slots.dedup();
        assert_eq!(slots.len() as u64, n);
        assert!(slots[0] >= 65.0 && slots[slots.len() - 1] <= 125.0);
        for k in 0..n {
            let (create, due) = plan(k, n, 60.0, 60.0);
            assert!(create < 60.0 && due - create >= LEAD_S);
        }
        assert_eq!(plan(0, 1, 5.0, 20.0), (0.0, 5.0 + LEAD_S + 10.0));
    }
}
