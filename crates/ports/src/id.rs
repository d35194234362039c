//! New identifiers, as a port, so tests can predict them.

use uuid::Uuid;

/// Where new UUIDs (timers, schedules, todos, tags) come from.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A fresh, unique UUID.
    fn new_uuid(&self) -> Uuid;
}

/// Time-ordered UUID v7: new rows land at the end of their B-tree indexes.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Generator;

impl IdGenerator for UuidV7Generator {
    fn new_uuid(&self) -> Uuid {
        Uuid::now_v7()
    }
}
