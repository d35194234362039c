//! Where the broker is and how the stream is shaped.

use std::time::Duration;

/// How to reach NATS and what the event stream looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsSettings {
    /// Server URL, e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// JetStream stream holding every user's events (default `HOURGLASS`).
    pub stream: String,
    /// First token of every subject (default `hg`): the stream takes `<prefix>.u.>`.
    pub subject_prefix: String,
    /// How long the stream keeps a message (its `max_age`, default 15 min): an instance cut off
    /// for longer than this may have missed events and resyncs its clients from PostgreSQL.
    pub retention: Duration,
    /// Longest wait for one JetStream API reply or publish acknowledgement (default 5 s).
    pub request_timeout: Duration,
}

/// The dedupe window never exceeds this: a relay republishes within seconds, and a shorter
/// window keeps the broker's table of ids small.
pub const MAX_DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

impl NatsSettings {
    /// The defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            stream: "HOURGLASS".to_owned(),
            subject_prefix: "hg".to_owned(),
            retention: Duration::from_secs(15 * 60),
            request_timeout: Duration::from_secs(5),
        }
    }

    /// The stream's dedupe window: `min(retention, 2 min)` (the server refuses a window longer
    /// than `max_age`).
    pub fn duplicate_window(&self) -> Duration {
        self.retention.min(MAX_DUPLICATE_WINDOW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dedupe_window_is_at_most_two_minutes_and_never_longer_than_retention() {
        let mut settings = NatsSettings::new("nats://x");
        assert_eq!(settings.duplicate_window(), Duration::from_secs(120));
        settings.retention = Duration::from_secs(2);
        assert_eq!(settings.duplicate_window(), Duration::from_secs(2));
    }
}
