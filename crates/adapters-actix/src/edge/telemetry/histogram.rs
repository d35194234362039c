//! [`LatencyHistogram`]: a latency histogram whose hot path is three relaxed atomic additions.
//!
//! prometheus-client's own `Histogram` takes a mutex on every observation; fan-out observes once
//! per batch of delivered copies and commands once per message, from every worker thread, so
//! this one keeps a fixed set of buckets in atomics and is read only when `/metrics` is scraped.
//! A scrape may see an observation in its bucket before its share of the sum; `count` is computed
//! from the buckets, so it always equals the `+Inf` bucket.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// Upper bounds of the buckets, in seconds: 0.5 ms to 10 s, roughly ×2.5 apart. Commands and
/// fan-out take about a millisecond on a quiet server and tens under load; anything past 10 s
/// is an outage, counted in `+Inf`.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A histogram of durations over [`LATENCY_BUCKETS`]; clones share the same counts.
#[derive(Debug, Clone, Default)]
pub struct LatencyHistogram {
    cells: Arc<Cells>,
}

#[derive(Debug)]
struct Cells {
    /// Observations per bucket (not cumulative); the last one is `+Inf`.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    /// Sum of every observation, in nanoseconds (wraps after 584 years of observed time).
    sum_nanos: AtomicU64,
}

impl Default for Cells {
    fn default() -> Self {
        Self {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

impl LatencyHistogram {
    /// Records one observation of `elapsed`.
    pub fn observe(&self, elapsed: Duration) {
        self.observe_many(elapsed, 1);
    }

    /// Records `count` observations of `elapsed` at once (copies handed over in one batch).
    pub fn observe_many(&self, elapsed: Duration, count: u64) {
        if count == 0 {
            return;
        }
        let seconds = elapsed.as_secs_f64();
        let index = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        if let Some(bucket) = self.cells.buckets.get(index) {
            bucket.fetch_add(count, Ordering::Relaxed);
        }
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.cells
            .sum_nanos
            .fetch_add(nanos.saturating_mul(count), Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.cells
            .buckets
            .iter()
            .map(|bucket| bucket.load(Ordering::Relaxed))
            .sum()
    }

    /// Sum of the observations so far.
    pub fn sum(&self) -> Duration {
        Duration::from_nanos(self.cells.sum_nanos.load(Ordering::Relaxed))
    }

    /// `(upper bound, observations in that bucket)`, `+Inf` last; not cumulative.
    fn buckets(&self) -> Vec<(f64, u64)> {
        LATENCY_BUCKETS
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY))
            .zip(&self.cells.buckets)
            .map(|(bound, bucket)| (bound, bucket.load(Ordering::Relaxed)))
            .collect()
    }
}

impl TypedMetric for LatencyHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for LatencyHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let buckets = self.buckets();
        let count = buckets.iter().map(|(_, observed)| observed).sum();
        encoder.encode_histogram::<NoLabelSet>(self.sum().as_secs_f64(), count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;
    use prometheus_client::registry::{Registry, Unit};

    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_that_holds_them() {
        let histogram = LatencyHistogram::default();
        histogram.observe(Duration::from_micros(500));
        histogram.observe(Duration::from_millis(3));
        histogram.observe_many(Duration::from_secs(11), 2);
        histogram.observe_many(Duration::from_secs(1), 0);
        assert_eq!(histogram.count(), 4);
        assert_eq!(histogram.sum(), Duration::from_micros(22_003_500));
        let buckets = histogram.buckets();
        let observed = |bound: f64| {
            buckets
                .iter()
                .find(|(b, _)| *b == bound)
                .map_or(u64::MAX, |(_, n)| *n)
        };
        assert_eq!(observed(0.0005), 1, "the bound itself is inside its bucket");
        assert_eq!(observed(0.005), 1);
        assert_eq!(observed(0.0025), 0);
        assert_eq!(observed(f64::INFINITY), 2);
    }

    #[test]
    fn it_is_exposed_as_cumulative_buckets_with_sum_and_count() -> Result<(), std::fmt::Error> {
        let histogram = LatencyHistogram::default();
        histogram.observe(Duration::from_millis(2));
        histogram.observe(Duration::from_millis(20));
        let mut registry = Registry::default();
        registry.register_with_unit("wait", "How long", Unit::Seconds, histogram.clone());
        let mut text = String::new();
        encode(&mut text, &registry)?;
        for line in [
            "# TYPE wait_seconds histogram",
            "wait_seconds_count 2",
            "wait_seconds_bucket{le=\"0.001\"} 0",
            "wait_seconds_bucket{le=\"0.0025\"} 1",
            "wait_seconds_bucket{le=\"0.025\"} 2",
            "wait_seconds_bucket{le=\"+Inf\"} 2",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line:?} missing in\n{text}"
            );
        }
        assert!(text.contains("wait_seconds_sum 0.022"), "{text}");
        Ok(())
    }
}
