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

/// Friendship, the mutual follow, as a derived table `friendship (user_id, friend_id, since)`:
/// one row per friend of each user, `since` being when the friendship began (the later of the
/// two follows). The one definition of who counts as a friend, for the friend lists, the shared
/// timer lists and the read check of `friends` timers; follow it with the joins and the `WHERE`
/// clause. PostgreSQL pulls a derived table like this up into the query that uses it, so each
/// query keeps the plan of a hand-written join (index scans of `follows` by follower and by
/// followee, or two primary-key lookups for a pair): the test
/// `friendship_queries_read_follows_through_indexes` keeps it so.
macro_rules! friendships {
    () => {
        "(SELECT a.follower_id AS user_id, a.followee_id AS friend_id, \
                 GREATEST(a.created_at, b.created_at) AS since \
          FROM follows a \
          JOIN follows b ON b.follower_id = a.followee_id AND b.followee_id = a.follower_id \
         ) AS friendship "
    };
}

mod account;
pub mod alarm;
pub mod follow;
pub mod meetup;
pub mod notification;
pub mod planning;
pub mod processed;
pub mod report;
pub mod timer;
pub mod user;

pub use alarm::PgAlarmRepository;
pub use follow::PgFollowRepository;
pub use meetup::PgMeetupRepository;
pub use notification::PgNotificationRepository;
pub use planning::{PgScheduleRepository, PgTagRepository, PgTodoRepository};
pub use processed::PgProcessedCommandRepository;
pub use report::PgReportRepository;
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

#[cfg(test)]
mod tests {
    use diesel::QueryableByName;
    use diesel::sql_types::Text;
    use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
    use hourglass_test_support::TestDatabase;

    #[derive(QueryableByName)]
    struct PlanLine {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        line: String,
    }

    /// The generic plans (the ones a connection caches) of every query over `friendships!` read
    /// `follows` through its indexes, and a pair through its primary key.
    #[tokio::test]
    async fn friendship_queries_read_follows_through_indexes() -> anyhow::Result<()> {
        let db = TestDatabase::create().await?;
        let mut conn = db.pool().get().await?;
        conn.batch_execute(
            "INSERT INTO users (subject, nickname, created_at, updated_at) \
             SELECT 'plan-' || g, 'plan' || g, now(), now() FROM generate_series(1, 2000) AS g; \
             INSERT INTO follows (follower_id, followee_id, created_at) \
             SELECT a.id, b.id, now() FROM users a JOIN users b \
               ON b.id <> a.id AND (b.id - a.id + 2000) % 2000 < 10; \
             INSERT INTO timers (id, owner_id, allocated_duration, status, started_at, \
                                 pause_history, created_at, updated_at, ended_at) \
             SELECT gen_random_uuid(), u.id, 1500, \
                    CASE WHEN g % 20 = 0 THEN 'RUNNING' ELSE 'COMPLETED' END, now(), \
                    '[{\"action\":\"start\",\"at\":\"2026-01-01T00:00:00Z\"}]', now(), now(), \
                    CASE WHEN g % 20 = 0 THEN NULL ELSE now() END \
             FROM users u CROSS JOIN generate_series(1, 20) AS g; \
             ANALYZE users, follows, timers; \
             SET plan_cache_mode = force_generic_plan;",
        )
        .await?;
        let queries = [
            (
                "are_friends",
                "bigint, bigint",
                super::timer::ARE_FRIENDS,
                "1, 2",
            ),
            (
                "list_timers",
                "bigint, boolean, boolean, text[], text, timestamptz, timestamptz, uuid, uuid, \
                 timestamptz, uuid, bigint",
                super::timer::LIST_TIMERS,
                "1, true, true, '{}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 51",
            ),
            ("friend_ids", "bigint", super::follow::FRIEND_IDS, "1"),
            (
                "friends_active",
                "bigint, timestamptz, uuid, bigint",
                super::timer::LIST_FRIENDS_ACTIVE,
                "1, NULL, NULL, 51",
            ),
            (
                "friends",
                "bigint, timestamptz, bigint, bigint",
                super::follow::FRIENDS,
                "1, NULL, NULL, 21",
            ),
        ];
        for (name, types, sql, args) in queries {
            conn.batch_execute(&format!("PREPARE {name}({types}) AS {sql}"))
                .await?;
            let plan: Vec<PlanLine> =
                diesel::sql_query(format!("EXPLAIN (COSTS OFF) EXECUTE {name}({args})"))
                    .load(&mut conn)
                    .await?;
            let plan: Vec<String> = plan.into_iter().map(|row| row.line).collect();
            let follows_scans: Vec<&String> = plan
                .iter()
                .filter(|line| line.contains(" on follows "))
                .collect();
            assert_eq!(follows_scans.len(), 2, "{name}: {plan:#?}");
            assert!(
                follows_scans.iter().all(|line| line.contains("Index")),
                "{name}: {plan:#?}"
            );
            if name == "friends_active" {
                // Each friend's active timers through the partial index (no index can hold
                // `updated_at`, which pause and resume change), never a scan of `timers`.
                let timers_scans: Vec<&String> = plan
                    .iter()
                    .filter(|line| line.contains(" on timers t"))
                    .collect();
                assert!(
                    !timers_scans.is_empty()
                        && timers_scans
                            .iter()
                            .all(|line| line.contains("using timers_owner_active_idx")),
                    "{name}: {plan:#?}"
                );
            }
            if name == "are_friends" {
                assert!(
                    follows_scans
                        .iter()
                        .all(|line| line.contains("using follows_pkey")),
                    "{name}: {plan:#?}"
                );
            }
        }
        drop(conn);
        db.cleanup().await?;
        Ok(())
    }
}
