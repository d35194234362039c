//! The read side of the worked-time report: the timers that ran in a range, and the names of
//! the tags, schedules or todos its groups are keyed by.

use std::collections::HashMap;

use async_trait::async_trait;
use hourglass_domain::ids::UserId;
use hourglass_domain::report::{GroupBy, WorkedTimer};
use hourglass_domain::time::Timestamp;
use uuid::Uuid;

use crate::error::StorageError;

/// Where the report reads timers from. Read-only: no method writes or locks anything.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReportRepository: Send + Sync {
    /// The owner's timers that may have run in `[from, to)`: every timer with
    /// `started_at < to` that has not ended or ended after `from`, in any order. With
    /// `with_tags`, each carries its tag ids; without, `tag_ids` is empty (cheaper).
    ///
    /// An implementation MUST return only `owner`'s timers and MUST NOT leave out one that ran
    /// inside the range (returning a few more that did not is harmless: they add 0 s).
    ///
    /// # Errors
    /// [`StorageError`] (a stored history that does not follow the state machine is
    /// [`StorageError::Unknown`]).
    async fn worked_timers(
        &self,
        owner: UserId,
        from: Timestamp,
        to: Timestamp,
        with_tags: bool,
    ) -> Result<Vec<WorkedTimer>, StorageError>;

    /// The display names of the owner's `ids` for `group_by`: a tag's name, a schedule's or a
    /// todo's title. Ids that are not the owner's (or no longer exist) are left out; for
    /// [`GroupBy::Day`] the answer is empty.
    ///
    /// # Errors
    /// [`StorageError`].
    async fn names(
        &self,
        owner: UserId,
        group_by: GroupBy,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, String>, StorageError>;
}
