//! What a run measures: latency histograms, counters and errors by kind, and how the tallies of
//! many tasks (and of many worker processes, via their stdout JSON) are merged into one summary.
//!
//! Every task keeps its own [`Tally`] and hands it back when it ends, so the hot path never takes
//! a lock; the merge happens once, at the end.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Largest latency a histogram holds, in microseconds (2 minutes). Anything slower is clamped to
/// it rather than dropped, so a stall still shows as a huge `max`.
const MAX_MICROS: u64 = 120_000_000;

/// Three significant digits: 0.1 % relative error, plenty for p99 in milliseconds.
const SIGNIFICANT_DIGITS: u8 = 3;

/// One latency distribution, in microseconds.
#[derive(Debug, Clone)]
pub struct Latency {
    hist: Histogram<u64>,
}

impl Latency {
    /// An empty distribution.
    ///
    /// # Errors
    /// Only if the fixed bounds were invalid (they are not).
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            hist: Histogram::new_with_bounds(1, MAX_MICROS, SIGNIFICANT_DIGITS)?,
        })
    }

    /// Adds one observation.
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(MAX_MICROS);
        self.hist.saturating_record(micros.clamp(1, MAX_MICROS));
    }

    /// How many observations.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// Adds every observation of `other`.
    ///
    /// # Errors
    /// Never with two histograms of the same bounds.
    pub fn merge(&mut self, other: &Self) -> anyhow::Result<()> {
        self.hist.add(&other.hist)?;
        Ok(())
    }

    /// The compact wire form: `[value, count]` for every non-empty bucket.
    pub fn to_wire(&self) -> Vec<[u64; 2]> {
        self.hist
            .iter_recorded()
            .map(|bucket| [bucket.value_iterated_to(), bucket.count_at_value()])
            .collect()
    }

    /// Rebuilds a distribution from [`Latency::to_wire`].
    ///
    /// # Errors
    /// A value outside the bounds (a corrupt worker report).
    pub fn from_wire(buckets: &[[u64; 2]]) -> anyhow::Result<Self> {
        let mut latency = Self::new()?;
        for [value, count] in buckets {
            latency
                .hist
                .record_n(*value, *count)
                .with_context(|| format!("bucket {value} x {count}"))?;
        }
        Ok(latency)
    }

    /// Percentiles in milliseconds.
    pub fn summary(&self) -> LatencySummary {
        let ms = |micros: u64| micros as f64 / 1000.0;
        if self.hist.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: self.hist.len(),
            p50_ms: ms(self.hist.value_at_quantile(0.50)),
            p95_ms: ms(self.hist.value_at_quantile(0.95)),
            p99_ms: ms(self.hist.value_at_quantile(0.99)),
            max_ms: ms(self.hist.max()),
            mean_ms: self.hist.mean() / 1000.0,
        }
    }
}

/// Percentiles of one distribution, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Observations.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

/// Everything one task (or one worker process) counted.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Named counters (`commands_ok`, `connections_ok`, …).
    pub counters: BTreeMap<String, u64>,
    /// Failures by kind (`connect_refused`, `reply_PAUSE_FAILED`, `timeout_reply`, …).
    pub errors: BTreeMap<String, u64>,
    /// Named latency distributions (`round_trip`, `fanout`, `connect`, …).
    pub latencies: BTreeMap<String, Latency>,
}

impl Tally {
    /// Adds `n` to a counter.
    pub fn count(&mut self, name: &str, n: u64) {
        *self.counters.entry(name.to_owned()).or_default() += n;
    }

    /// Counts one error of `kind`.
    pub fn error(&mut self, kind: impl Into<String>) {
        *self.errors.entry(kind.into()).or_default() += 1;
    }

    /// Records one latency under `name`.
    ///
    /// # Errors
    /// Only if a histogram cannot be created (it can).
    pub fn latency(&mut self, name: &str, latency: Duration) -> anyhow::Result<()> {
        if let Some(existing) = self.latencies.get_mut(name) {
            existing.record(latency);
        } else {
            let mut fresh = Latency::new()?;
            fresh.record(latency);
            self.latencies.insert(name.to_owned(), fresh);
        }
        Ok(())
    }

    /// A counter's value (0 when never counted).
    pub fn counter(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    /// Total errors of every kind.
    pub fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Adds everything of `other` to `self`.
    ///
    /// # Errors
    /// Never with histograms made by [`Latency::new`].
    pub fn merge(&mut self, other: &Self) -> anyhow::Result<()> {
        for (name, n) in &other.counters {
            *self.counters.entry(name.clone()).or_default() += n;
        }
        for (kind, n) in &other.errors {
            *self.errors.entry(kind.clone()).or_default() += n;
        }
        for (name, latency) in &other.latencies {
            if let Some(existing) = self.latencies.get_mut(name) {
                existing.merge(latency)?;
            } else {
                self.latencies.insert(name.clone(), latency.clone());
            }
        }
        Ok(())
    }

    /// The form a worker prints on stdout.
    pub fn to_wire(&self, elapsed_s: f64, measured_s: f64, notes: Vec<String>) -> WireTally {
        WireTally {
            elapsed_s,
            measured_s,
            notes,
            counters: self.counters.clone(),
            errors: self.errors.clone(),
            latencies: self
                .latencies
                .iter()
                .map(|(name, latency)| (name.clone(), latency.to_wire()))
                .collect(),
        }
    }

    /// Rebuilds a tally from a worker's line.
    ///
    /// # Errors
    /// A corrupt histogram.
    pub fn from_wire(wire: &WireTally) -> anyhow::Result<Self> {
        let mut latencies = BTreeMap::new();
        for (name, buckets) in &wire.latencies {
            latencies.insert(name.clone(), Latency::from_wire(buckets)?);
        }
        Ok(Self {
            counters: wire.counters.clone(),
            errors: wire.errors.clone(),
            latencies,
        })
    }
}

/// A worker process's result, one JSON line on its stdout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireTally {
    /// Wall time of the whole worker run, seconds.
    pub elapsed_s: f64,
    /// Wall time of the measured phase (the one throughput is divided by), seconds.
    pub measured_s: f64,
    /// See [`Tally::counters`].
    pub counters: BTreeMap<String, u64>,
    /// See [`Tally::errors`].
    pub errors: BTreeMap<String, u64>,
    /// Histograms in [`Latency::to_wire`] form.
    pub latencies: BTreeMap<String, Vec<[u64; 2]>>,
    /// Remarks for the reader (e.g. how friendships were made).
    #[serde(default)]
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn merging_two_tallies_adds_counts_errors_and_observations() -> anyhow::Result<()> {
        let mut a = Tally::default();
        a.count("commands_ok", 3);
        a.error("timeout_reply");
        for n in 1..=50 {
            a.latency("round_trip", ms(n))?;
        }
        let mut b = Tally::default();
        b.count("commands_ok", 2);
        b.count("connections_ok", 7);
        b.error("timeout_reply");
        b.error("reply_PAUSE_FAILED");
        for n in 51..=100 {
            b.latency("round_trip", ms(n))?;
        }
        b.latency("fanout", ms(9))?;

        a.merge(&b)?;
        assert_eq!(a.counter("commands_ok"), 5);
        assert_eq!(a.counter("connections_ok"), 7);
        assert_eq!(a.errors.get("timeout_reply"), Some(&2));
        assert_eq!(a.error_total(), 3);
        let rtt = a.latencies.get("round_trip").map(Latency::summary);
        let Some(rtt) = rtt else {
            anyhow::bail!("round_trip missing")
        };
        assert_eq!(rtt.count, 100);
        // 0.1 % precision: the median of 1..=100 ms is 50 ms, the max 100 ms.
        assert!((rtt.p50_ms - 50.0).abs() < 0.1, "{rtt:?}");
        assert!((rtt.p99_ms - 99.0).abs() < 0.1, "{rtt:?}");
        assert!((rtt.max_ms - 100.0).abs() < 0.1, "{rtt:?}");
        assert_eq!(a.latencies.get("fanout").map(Latency::count), Some(1));
        Ok(())
    }

    #[test]
    fn a_tally_survives_the_trip_through_a_worker_line() -> anyhow::Result<()> {
        let mut tally = Tally::default();
        tally.count("connections_ok", 5000);
        tally.error("connect_http_503");
        for n in [1, 2, 3, 250, 4000] {
            tally.latency("connect", ms(n))?;
        }
        // A 10-minute stall is clamped, not lost.
        tally.latency("connect", Duration::from_secs(600))?;
        let line = serde_json::to_string(&tally.to_wire(12.5, 10.0, Vec::new()))?;
        let wire: WireTally = serde_json::from_str(&line)?;
        assert!((wire.measured_s - 10.0).abs() < f64::EPSILON);
        let back = Tally::from_wire(&wire)?;
        assert_eq!(back.counters, tally.counters);
        assert_eq!(back.errors, tally.errors);
        let (Some(before), Some(after)) = (
            tally.latencies.get("connect").map(Latency::summary),
            back.latencies.get("connect").map(Latency::summary),
        ) else {
            anyhow::bail!("connect histogram missing")
        };
        assert_eq!(before, after);
        assert_eq!(after.count, 6);
        assert!(
            (after.max_ms - 120_000.0).abs() / 120_000.0 < 0.001,
            "{after:?}"
        );
        Ok(())
    }

    #[test]
    fn an_empty_distribution_summarises_to_zeroes() -> anyhow::Result<()> {
        assert_eq!(Latency::new()?.summary(), LatencySummary::default());
        Ok(())
    }
}
