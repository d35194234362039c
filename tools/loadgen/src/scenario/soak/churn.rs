//! The churn of a soak run: who each connection is, how long it lives and how it ends.
//!
//! Choices are drawn from a hash of (what, slot, generation), so a run is repeatable and needs
//! no random-number crate.

use std::time::Duration;

/// How a connection is ended by the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseMode {
    /// A WebSocket close frame, then the server's close frame is awaited.
    Clean,
    /// The socket is dropped without a close frame: the server reads end-of-stream (FIN).
    Fin,
    /// The socket is dropped with `SO_LINGER` 0: the server gets a reset (RST).
    Reset,
}

impl CloseMode {
    /// The counter name in the report.
    pub fn counter(self) -> &'static str {
        match self {
            Self::Clean => "closed_clean",
            Self::Fin => "closed_fin",
            Self::Reset => "closed_reset",
        }
    }
}

/// What a seed is for, so the draws of different actors differ.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    /// A command-sending user.
    Commands = 1,
    /// An idle WebSocket.
    Idle = 2,
    /// A notification stream.
    Stream = 3,
}

/// The seed of one connection's draws.
pub fn seed(actor: Actor, slot: u64, generation: u64) -> u64 {
    mix(mix(actor as u64 ^ mix(slot)) ^ generation)
}

/// SplitMix64's finaliser: a well-spread hash of `x`.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// How long a connection lives: uniform between half and one and a half times `mean_s`, so
/// connections opened together do not all close together.
pub fn lifetime(mean_s: u64, seed: u64) -> Duration {
    let mean_ms = mean_s.saturating_mul(1000);
    let spread = mean_ms.max(1);
    Duration::from_millis(mean_ms / 2 + mix(seed) % spread)
}

/// How a connection ends: half cleanly, a quarter by FIN, a quarter by reset.
pub fn close_mode(seed: u64) -> CloseMode {
    match mix(seed ^ 0xC105E) % 4 {
        0 | 1 => CloseMode::Clean,
        2 => CloseMode::Fin,
        _ => CloseMode::Reset,
    }
}

/// The `sub` of an idle WebSocket. Even slots are a fresh user for every connection (users
/// come and go); odd slots come in threes that share one long-lived user whose devices come and
/// go.
pub fn idle_subject(run_id: &str, slot: u64, generation: u64) -> String {
    if slot.is_multiple_of(2) {
        format!("{run_id}-i{slot}g{generation}")
    } else {
        format!("{run_id}-d{}", slot / 6)
    }
}

/// The `sub` of a notification stream: a fresh user for every stream.
pub fn stream_subject(run_id: &str, slot: u64, generation: u64) -> String {
    format!("{run_id}-s{slot}g{generation}")
}

/// The `sub` of a command-sending user (the same user reconnects for every session).
pub fn command_subject(run_id: &str, user: u64) -> String {
    format!("{run_id}-k{user}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_spread_between_half_and_one_and_a_half_times_the_mean() {
        let lifetimes: Vec<Duration> = (0..2000)
            .map(|g| lifetime(60, seed(Actor::Idle, 7, g)))
            .collect();
        assert!(
            lifetimes
                .iter()
                .all(|d| *d >= Duration::from_secs(30) && *d < Duration::from_secs(90))
        );
        let mean_s = lifetimes.iter().map(Duration::as_secs_f64).sum::<f64>() / 2000.0;
        assert!((mean_s - 60.0).abs() < 2.0, "{mean_s}");
        // Spread out, not one value.
        assert!(lifetimes.iter().any(|d| *d < Duration::from_secs(40)));
        assert!(lifetimes.iter().any(|d| *d > Duration::from_secs(80)));
    }

    #[test]
    fn every_close_mode_is_drawn_in_its_share() {
        let modes: Vec<CloseMode> = (0..4000)
            .map(|g| close_mode(seed(Actor::Stream, 3, g)))
            .collect();
        let share = |mode| modes.iter().filter(|m| **m == mode).count() as f64 / 4000.0;
        assert!((share(CloseMode::Clean) - 0.5).abs() < 0.04);
        assert!((share(CloseMode::Fin) - 0.25).abs() < 0.04);
        assert!((share(CloseMode::Reset) - 0.25).abs() < 0.04);
    }

    #[test]
    fn draws_are_repeatable_and_differ_between_actors() {
        assert_eq!(seed(Actor::Idle, 1, 2), seed(Actor::Idle, 1, 2));
        assert_ne!(seed(Actor::Idle, 1, 2), seed(Actor::Stream, 1, 2));
        assert_ne!(seed(Actor::Idle, 1, 2), seed(Actor::Idle, 2, 1));
    }

    #[test]
    fn even_idle_slots_are_new_users_and_odd_ones_share_a_user_in_threes() {
        assert_eq!(idle_subject("r", 4, 0), "r-i4g0");
        assert_ne!(idle_subject("r", 4, 0), idle_subject("r", 4, 1));
        let shared: Vec<String> = [1, 3, 5].map(|slot| idle_subject("r", slot, slot)).into();
        assert!(shared.iter().all(|s| s == "r-d0"));
        assert_eq!(idle_subject("r", 7, 0), "r-d1");
        assert_eq!(stream_subject("r", 2, 9), "r-s2g9");
        assert_eq!(command_subject("r", 5), "r-k5");
    }
}
