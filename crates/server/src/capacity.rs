//! How many connections this instance can hold, logged once at start-up so the limit is never
//! silent.
//!
//! Every open WebSocket and SSE stream is one connection held by one HTTP worker, and each
//! worker stops accepting at `HTTP_MAX_CONNECTIONS_PER_WORKER` (actix's `max_connections`):
//! further clients wait in the kernel's accept queue until one closes, then time out. The
//! instance's ceiling is therefore `workers × per-worker maximum`, and below it the process's
//! open-file limit, since each connection is a file descriptor: past that limit `accept` fails
//! with `EMFILE`. `docs/operations.md` ("Connection capacity") explains how to raise both.

use hourglass_adapters_actix::edge::telemetry::process::ProcessSample;

/// File descriptors the process needs besides client sockets: the listening sockets, the
/// database pool and listener connections, logs, epoll instances per worker. A generous round
/// figure; it only decides whether to warn.
const OTHER_DESCRIPTORS: u64 = 256;

/// What the instance can hold, from its settings and its open-file limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// HTTP workers (`HTTP_WORKERS`, else one per available core).
    pub workers: usize,
    /// Connections each worker holds at most (`HTTP_MAX_CONNECTIONS_PER_WORKER`).
    pub per_worker: usize,
    /// The soft open-file limit, when known and finite.
    pub open_files_limit: Option<u64>,
}

impl Capacity {
    /// The capacity of `workers` (or one per available core) of `per_worker` connections under
    /// this process's open-file limit.
    #[must_use]
    pub fn of_this_process(workers: Option<usize>, per_worker: usize) -> Self {
        let workers = workers.unwrap_or_else(|| {
            // actix-web's own default, so the figure matches what it starts.
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        Self {
            workers,
            per_worker,
            open_files_limit: ProcessSample::read().max_fds,
        }
    }

    /// Connections the workers accept at most.
    #[must_use]
    pub fn connections(&self) -> u64 {
        u64::try_from(self.workers.saturating_mul(self.per_worker)).unwrap_or(u64::MAX)
    }

    /// Connections the open-file limit leaves room for, when it is lower than
    /// [`Capacity::connections`]: the real ceiling then.
    #[must_use]
    pub fn limited_by_open_files(&self) -> Option<u64> {
        let room = self.open_files_limit?.saturating_sub(OTHER_DESCRIPTORS);
        (room < self.connections()).then_some(room)
    }
}

/// Logs the instance's connection capacity, and warns when the open-file limit is lower.
pub fn log(workers: Option<usize>, per_worker: usize) {
    let capacity = Capacity::of_this_process(workers, per_worker);
    tracing::info!(
        workers = capacity.workers,
        max_connections_per_worker = capacity.per_worker,
        max_connections = capacity.connections(),
        open_files_limit = capacity.open_files_limit,
        "connection capacity"
    );
    if let Some(room) = capacity.limited_by_open_files() {
        tracing::warn!(
            open_files_limit = capacity.open_files_limit,
            max_connections = capacity.connections(),
            "the open-file limit allows only about {room} connections, fewer than the HTTP \
             workers accept; raise it (systemd LimitNOFILE=, ulimit -n) or lower \
             HTTP_MAX_CONNECTIONS_PER_WORKER"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_is_workers_times_the_per_worker_maximum() {
        let capacity = Capacity {
            workers: 2,
            per_worker: 25_000,
            open_files_limit: Some(1_048_576),
        };
        assert_eq!(capacity.connections(), 50_000);
        assert_eq!(capacity.limited_by_open_files(), None);
    }

    #[test]
    fn a_lower_open_file_limit_is_the_real_ceiling() {
        let capacity = Capacity {
            workers: 1,
            per_worker: 25_000,
            open_files_limit: Some(1024),
        };
        assert_eq!(
            capacity.limited_by_open_files(),
            Some(1024 - OTHER_DESCRIPTORS)
        );
        let unlimited = Capacity {
            open_files_limit: None,
            ..capacity
        };
        assert_eq!(unlimited.limited_by_open_files(), None);
    }

    #[test]
    fn unset_workers_mean_one_per_core() {
        let capacity = Capacity::of_this_process(None, 10);
        assert!(capacity.workers >= 1);
        assert_eq!(Capacity::of_this_process(Some(3), 10).workers, 3);
    }
}
