//! The repositories: one struct per port trait, each a cheap clone around the shared pool.
//!
//! Every list is one round trip: the page query carries its child ids as `ARRAY(SELECT …)`
//! columns and fetches one row more than asked to learn whether a next page exists.

/// Every timer column plus its tag ids in link order, for a `timers t` in scope (a `SELECT`, or
/// an `UPDATE timers AS t … RETURNING`). A macro so that `concat!` keeps each query a
/// `&'static str`.
macro_rules! timer_columns {
    () => {
        "t.id, t.owner_id, t.schedule_id, t.todo_id, t.title, t.description, \
         t.allocated_duration, t.status, t.started_at, t.paused_at, t.ended_at, t.pause_history, \
         t.visibility, t.version, t.created_at, t.updated_at, \
         ARRAY(SELECT tt.tag_id FROM timer_tags tt WHERE tt.timer_id = t.id \
               ORDER BY tt.position) AS tag_ids "
    };
}

/// `SELECT` of [`timer_columns`] from `timers t`; append the `WHERE` clause.
macro_rules! timer_select {
    () => {
        concat!("SELECT ", timer_columns!(), "FROM timers t ")
    };
}

pub mod follow;
pub mod meetup;
pub mod notification;
pub mod planning;
pub mod processed;
pub mod timer;
pub mod user;

pub use follow::PgFollowRepository;
pub use meetup::PgMeetupRepository;
pub use notification::PgNotificationRepository;
pub use planning::{PgScheduleRepository, PgTagRepository, PgTodoRepository};
pub use processed::PgProcessedCommandRepository;
pub use timer::PgTimerRepository;
pub use user::PgUserRepository;

use hourglass_domain::time::Timestamp;
use hourglass_ports::page::{Cursor, Page};

/// The contract's largest timer page.
pub const MAX_TIMER_PAGE: u32 = 200;
/// The contract's largest page of anything else.
pub const MAX_PAGE: u32 = 100;

/// The page size actually used: at least 1 (a page of 0 could never advance), at most `max`.
pub(crate) fn page_size(limit: u32, max: u32) -> i64 {
    i64::from(limit.clamp(1, max))
}

/// Cuts the `size + 1` rows fetched down to `size` and derives the next cursor from the last
/// item kept when there was more.
pub(crate) fn into_page<T, Id>(
    mut items: Vec<T>,
    size: i64,
    key: impl Fn(&T) -> (Timestamp, Id),
) -> Page<T, Id> {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let next = if items.len() > size {
        items.truncate(size);
        items.last().map(|last| {
            let (created_at, id) = key(last);
            Cursor { created_at, id }
        })
    } else {
        None
    };
    Page { items, next }
}
