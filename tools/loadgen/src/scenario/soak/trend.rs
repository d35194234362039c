//! Whether a sampled quantity (server RSS, open file descriptors, database connections) stayed
//! flat over a soak run.
//!
//! The start of a run is warm-up — the database pool fills, allocator arenas and buffers reach
//! their working size — so it is left out. After it, two windows of the same length are
//! compared: the first (the baseline) and the last. A series is flat when both
//!
//! - the median of the last window exceeds the median of the first by at most the allowance, and
//! - the least-squares trend over every sample after warm-up, times that span, is at most the
//!   allowance,
//!
//! where the allowance is `baseline × relative + absolute`. Medians ignore a single spike; the
//! trend catches a steady climb that the noise of two windows could hide. Shrinking is always
//! fine.

use serde::Serialize;

/// How much a series may grow and still count as flat.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerance {
    /// Share of the baseline (0.10 = 10 %).
    pub relative: f64,
    /// Plus this many units.
    pub absolute: f64,
}

impl Tolerance {
    fn allowance(self, baseline: f64) -> f64 {
        baseline * self.relative + self.absolute
    }
}

/// Server RSS: allocators keep freed memory and fragment a little, so 10 % of the baseline.
pub const RSS: Tolerance = Tolerance {
    relative: 0.10,
    absolute: 0.0,
};

/// Open file descriptors: they follow the connections open at the instant of the sample, which
/// churn moves by a few, so 5 % plus 16.
pub const FDS: Tolerance = Tolerance {
    relative: 0.05,
    absolute: 16.0,
};

/// Database connections: a fixed pool plus the listener; 2 more than the baseline allows for a
/// connection being recycled at the instant of the sample.
pub const DB_CONNECTIONS: Tolerance = Tolerance {
    relative: 0.0,
    absolute: 2.0,
};

/// Server threads (shown, not part of the verdict): the runtime's workers plus a few blocking
/// threads that come and go.
pub const THREADS: Tolerance = Tolerance {
    relative: 0.0,
    absolute: 2.0,
};

/// Which part of the run is warm-up and how long the compared windows are.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Windows {
    /// Seconds from the start that are left out.
    pub warmup_s: f64,
    /// Length of the first and the last window, seconds.
    pub window_s: f64,
}

impl Windows {
    /// A sixth of the run, at most 5 minutes, for both: a 30-minute run compares minutes 5–10
    /// with minutes 25–30; a 3-minute trial compares 30–60 s with the last 30 s.
    pub fn for_duration(duration_s: f64) -> Self {
        let sixth = (duration_s / 6.0).min(300.0);
        Self {
            warmup_s: sixth,
            window_s: sixth,
        }
    }
}

/// What [`assess`] found for one series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// The first sample of the run (before any load).
    pub start: f64,
    /// Median of the first window after warm-up: the baseline.
    pub first_window: f64,
    /// Median of the last window.
    pub last_window: f64,
    /// Highest sample of the run.
    pub max: f64,
    /// `last_window − first_window`.
    pub window_growth: f64,
    /// Least-squares slope after warm-up, per hour.
    pub slope_per_hour: f64,
    /// The slope times the span after warm-up: what the trend line grew by.
    pub trend_growth: f64,
    /// Growth still counted as flat (`baseline × relative + absolute`).
    pub allowance: f64,
    /// Both growths within the allowance.
    pub flat: bool,
}

/// Judges `points` (`(seconds since start, value)`, in time order).
///
/// `None` when there are too few samples after warm-up: no first window, no last window, or
/// fewer than two points to draw a trend through.
pub fn assess(points: &[(f64, f64)], windows: Windows, tolerance: Tolerance) -> Option<Trend> {
    let &(_, start) = points.first()?;
    let &(end_s, _) = points.last()?;
    let after: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|&(t, _)| t >= windows.warmup_s)
        .collect();
    if after.len() < 2 {
        return None;
    }
    let first_end = windows.warmup_s + windows.window_s;
    let last_start = end_s - windows.window_s;
    let first = median(after.iter().filter(|&&(t, _)| t < first_end).map(|p| p.1))?;
    let last = median(after.iter().filter(|&&(t, _)| t >= last_start).map(|p| p.1))?;
    let slope_per_s = slope(&after);
    let span_s = after.last().map_or(0.0, |p| p.0) - after.first().map_or(0.0, |p| p.0);
    let allowance = tolerance.allowance(first);
    let window_growth = last - first;
    let trend_growth = slope_per_s * span_s;
    Some(Trend {
        start,
        first_window: first,
        last_window: last,
        max: points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max),
        window_growth,
        slope_per_hour: slope_per_s * 3600.0,
        trend_growth,
        allowance,
        flat: window_growth <= allowance && trend_growth <= allowance,
    })
}

/// The middle value (the mean of the two middle ones for an even count); `None` when empty.
fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut sorted: Vec<f64> = values.collect();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => sorted.get(mid).copied(),
        _ => Some((sorted.get(mid - 1)? + sorted.get(mid)?) / 2.0),
    }
}

/// Ordinary least-squares slope of `value` over `t`; 0 when every `t` is the same.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_v = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut covariance, mut variance) = (0.0, 0.0);
    for &(t, v) in points {
        covariance += (t - mean_t) * (v - mean_v);
        variance += (t - mean_t) * (t - mean_t);
    }
    if variance > 0.0 {
        covariance / variance
    } else {
        0.0
    }
}

/// The verdict over the three series: flat only when RSS and fds were measured and every
/// measured series is flat. The text names each series that grew or could not be judged.
pub fn verdict(rss: Option<&Trend>, fds: Option<&Trend>, db: Option<&Trend>) -> (bool, String) {
    let mut growing = Vec::new();
    let mut missing = Vec::new();
    for (name, trend) in [
        ("RSS", rss),
        ("open fds", fds),
        ("database connections", db),
    ] {
        match trend {
            None => missing.push(name),
            Some(t) if !t.flat => growing.push(format!(
                "{name} grew (last window {} vs first {}, trend {:+.1} over the run, allowed {:.1})",
                t.last_window, t.first_window, t.trend_growth, t.allowance
            )),
            Some(_) => {}
        }
    }
    let judged = rss.is_some() && fds.is_some();
    let flat = judged && growing.is_empty();
    let mut text = if flat {
        "FLAT: no growth after warm-up".to_owned()
    } else if !growing.is_empty() {
        format!("GROWING: {}", growing.join("; "))
    } else {
        "NOT JUDGED: RSS and open fds need --server-pid and enough samples".to_owned()
    };
    if !missing.is_empty() {
        text.push_str(&format!(" (not measured: {})", missing.join(", ")));
    }
    (flat, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sample every 10 s for 30 minutes.
    fn series(value: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
        (0..=180)
            .map(|i| {
                let t = f64::from(i) * 10.0;
                (t, value(t))
            })
            .collect()
    }

    fn thirty_minutes() -> Windows {
        Windows::for_duration(1800.0)
    }

    #[test]
    fn windows_are_a_sixth_of_the_run_at_most_five_minutes() {
        assert_eq!(
            Windows::for_duration(1800.0),
            Windows {
                warmup_s: 300.0,
                window_s: 300.0
            }
        );
        assert_eq!(Windows::for_duration(180.0).warmup_s, 30.0);
        assert_eq!(Windows::for_duration(7200.0).window_s, 300.0);
    }

    #[test]
    fn a_noisy_level_series_is_flat() -> anyhow::Result<()> {
        // ±2 % wobble around 60 MiB.
        let points = series(|t| {
            61_440.0
                + if ((t / 10.0) as u64).is_multiple_of(2) {
                    1200.0
                } else {
                    -1200.0
                }
        });
        let trend = assess(&points, thirty_minutes(), RSS).ok_or(anyhow::anyhow!("no trend"))?;
        assert!(trend.flat, "{trend:?}");
        assert!(trend.slope_per_hour.abs() < 1000.0, "{trend:?}");
        assert_eq!(trend.max, 62_640.0);
        Ok(())
    }

    #[test]
    fn a_steady_leak_is_caught() -> anyhow::Result<()> {
        // 40 MiB growing by 1 MiB a minute: +20 MiB between the windows, 50 % of the baseline.
        let points = series(|t| 40_960.0 + t / 60.0 * 1024.0);
        let trend = assess(&points, thirty_minutes(), RSS).ok_or(anyhow::anyhow!("no trend"))?;
        assert!(!trend.flat, "{trend:?}");
        assert!((trend.slope_per_hour - 61_440.0).abs() < 1.0, "{trend:?}");
        // Medians of minutes 5–10 and 25–30: about 20 minutes of growth.
        assert!((trend.window_growth - 20_480.0).abs() < 200.0, "{trend:?}");
        let (flat, text) = verdict(Some(&trend), Some(&trend), None);
        assert!(!flat);
        assert!(text.starts_with("GROWING: RSS grew"), "{text}");
        assert!(
            text.ends_with("(not measured: database connections)"),
            "{text}"
        );
        Ok(())
    }

    #[test]
    fn growth_during_warm_up_does_not_count() -> anyhow::Result<()> {
        // Climbs from 20 to 60 MiB in the first 4 minutes, then stays.
        let points = series(|t| {
            if t < 240.0 {
                20_480.0 + t * 170.0
            } else {
                61_440.0
            }
        });
        let trend = assess(&points, thirty_minutes(), RSS).ok_or(anyhow::anyhow!("no trend"))?;
        assert!(trend.flat, "{trend:?}");
        assert_eq!(trend.start, 20_480.0);
        assert_eq!(trend.first_window, 61_440.0);
        Ok(())
    }

    #[test]
    fn one_spike_in_the_last_window_is_not_growth() -> anyhow::Result<()> {
        let points = series(|t| if t == 1750.0 { 900.0 } else { 500.0 });
        let trend = assess(&points, thirty_minutes(), FDS).ok_or(anyhow::anyhow!("no trend"))?;
        assert!(trend.flat, "{trend:?}");
        assert_eq!(trend.max, 900.0);
        Ok(())
    }

    #[test]
    fn one_more_connection_every_five_minutes_is_growth() -> anyhow::Result<()> {
        // Database connections: 17, then one more every 5 minutes after warm-up (a connection
        // leaked now and then). The windows differ by 4, over the allowance of 2.
        let points = series(|t| 17.0 + ((t - 300.0).max(0.0) / 300.0).floor());
        let trend =
            assess(&points, thirty_minutes(), DB_CONNECTIONS).ok_or(anyhow::anyhow!("no trend"))?;
        assert!(!trend.flat, "{trend:?}");
        assert!(trend.trend_growth > 2.0, "{trend:?}");
        Ok(())
    }

    #[test]
    fn shrinking_is_flat() -> anyhow::Result<()> {
        let points = series(|t| 100_000.0 - t * 10.0);
        let trend = assess(&points, thirty_minutes(), RSS).ok_or(anyhow::anyhow!("no trend"))?;
        assert!(trend.flat, "{trend:?}");
        assert!(trend.slope_per_hour < 0.0);
        Ok(())
    }

    #[test]
    fn too_few_samples_give_no_judgement() {
        assert_eq!(assess(&[], thirty_minutes(), RSS), None);
        // Everything inside the warm-up.
        let early: Vec<(f64, f64)> = (0..20).map(|i| (f64::from(i) * 10.0, 1.0)).collect();
        assert_eq!(assess(&early, thirty_minutes(), RSS), None);
        let (flat, text) = verdict(None, None, None);
        assert!(!flat);
        assert!(text.starts_with("NOT JUDGED"), "{text}");
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median([3.0, 1.0, 2.0].into_iter()), Some(2.0));
        assert_eq!(median([4.0, 1.0, 3.0, 2.0].into_iter()), Some(2.5));
        assert_eq!(median(std::iter::empty()), None);
    }

    #[test]
    fn every_flat_series_gives_a_flat_verdict() -> anyhow::Result<()> {
        let level = series(|_| 50.0);
        let trend = assess(&level, thirty_minutes(), FDS).ok_or(anyhow::anyhow!("no trend"))?;
        let (flat, text) = verdict(Some(&trend), Some(&trend), Some(&trend));
        assert!(flat);
        assert_eq!(text, "FLAT: no growth after warm-up");
        Ok(())
    }
}
