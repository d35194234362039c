//! [`ScheduleRepository`], [`TodoRepository`] and [`TagRepository`] on PostgreSQL.
//!
//! Deleting a schedule, todo or tag first locks its row (`FOR UPDATE` conflicts with the
//! `FOR KEY SHARE` a foreign-key check takes, so no timer can link to it meanwhile), then locks
//! the affected timers in id order, then bumps `version` and `updated_at` of those timers and
//! returns them, then deletes it; all in one transaction. Each lock is a statement of its own:
//! under READ COMMITTED an `UPDATE` that waited for a timer's lock re-reads only the timer row,
//! and the tag ids its `RETURNING` reads would be the ones from before the wait. The
//! `ON DELETE SET NULL` / `CASCADE` of the schema is the backstop. The affected timers are
//! announced as `update` with `pg_notify` in that same transaction.
//!
//! A tag delete locks the timers carrying the tag before the tag itself: a timer update holds
//! its timer's lock while it rewrites its tag links, which takes the tag's `FOR KEY SHARE`, so
//! the other order could deadlock with it (delete: tag, then timer; update: timer, then tag).

use async_trait::async_trait;
use diesel::OptionalExtension;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hourglass_domain::ids::{ScheduleId, TagId, TodoId, UserId};
use hourglass_domain::planning::{Schedule, Tag, Todo};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{Timer, TimerChange};
use hourglass_ports::error::StorageError;
use hourglass_ports::page::{Page, PageRequest};
use hourglass_ports::planning::{
    PlanningError, ScheduleFilter, ScheduleRepository, TagRepository, TodoRepository,
};
use uuid::Uuid;

use super::{MAX_PAGE, into_page, page_size};
use crate::error::{DbError, TxError};
use crate::event_bus::Announcement;
use crate::outbox::{enqueue, kick};
use crate::pool::PgPool;
use crate::rows::{ScheduleRecord, ScheduleRow, TagRow, TimerRow, TodoRecord, TodoRow, ts};
use crate::schema::{schedule_tags, schedules, tags, todo_tags, todos};
use crate::statement::CachedSql;

type SqlUuid = diesel::sql_types::Uuid;

macro_rules! schedule_select {
    () => {
        "SELECT s.id, s.owner_id, s.title, s.description, s.start_time, s.end_time, \
                s.created_at, s.updated_at, \
                ARRAY(SELECT st.tag_id FROM schedule_tags st WHERE st.schedule_id = s.id \
                      ORDER BY st.position) AS tag_ids \
         FROM schedules s "
    };
}

macro_rules! todo_select {
    () => {
        "SELECT d.id, d.owner_id, d.title, d.description, d.status, d.deadline, \
                d.created_at, d.updated_at, \
                ARRAY(SELECT dt.tag_id FROM todo_tags dt WHERE dt.todo_id = d.id \
                      ORDER BY dt.position) AS tag_ids \
         FROM todos d "
    };
}

const FIND_SCHEDULES: &str = concat!(
    schedule_select!(),
    "WHERE s.owner_id = $1 AND s.id = ANY($2::uuid[]) ORDER BY s.created_at DESC, s.id DESC"
);

const LIST_SCHEDULES: &str = concat!(
    schedule_select!(),
    "WHERE s.owner_id = $1 \
       AND ($2::timestamptz IS NULL OR s.start_time >= $2) \
       AND ($3::timestamptz IS NULL OR s.start_time <= $3) \
       AND ($4::timestamptz IS NULL OR (s.created_at, s.id) < ($4, $5::uuid)) \
     ORDER BY s.created_at DESC, s.id DESC LIMIT $6"
);

const FIND_TODOS: &str = concat!(
    todo_select!(),
    "WHERE d.owner_id = $1 AND d.id = ANY($2::uuid[]) ORDER BY d.created_at DESC, d.id DESC"
);

const LIST_TODOS: &str = concat!(
    todo_select!(),
    "WHERE d.owner_id = $1 \
       AND ($2::timestamptz IS NULL OR (d.created_at, d.id) < ($2, $3::uuid)) \
     ORDER BY d.created_at DESC, d.id DESC LIMIT $4"
);

/// The timers [`UNLINK_SCHEDULE`] changes, locked in id order.
const LOCK_SCHEDULE_TIMERS: &str = "SELECT t.id FROM timers t \
     WHERE t.owner_id = $1 AND t.schedule_id = $2 ORDER BY t.id FOR UPDATE";

/// The timers [`UNLINK_TODO`] changes, locked in id order.
const LOCK_TODO_TIMERS: &str = "SELECT t.id FROM timers t \
     WHERE t.owner_id = $1 AND t.todo_id = $2 ORDER BY t.id FOR UPDATE";

/// The timers carrying tag `$2`, locked in id order before the tag (see the module
/// documentation).
const LOCK_TAG_TIMERS: &str = "SELECT t.id FROM timers t \
     WHERE t.owner_id = $1 \
       AND t.id IN (SELECT tt.timer_id FROM timer_tags tt WHERE tt.tag_id = $2) \
     ORDER BY t.id FOR UPDATE";

/// The timers [`BUMP_TIMERS`] changes, locked in id order: those [`LOCK_TAG_TIMERS`] locked, and
/// any linked to the tag after that and before the tag's lock.
const LOCK_TIMERS: &str = "SELECT t.id FROM timers t \
     WHERE t.owner_id = $1 AND t.id = ANY($2::uuid[]) ORDER BY t.id FOR UPDATE";

const UNLINK_SCHEDULE: &str = concat!(
    "UPDATE timers AS t SET schedule_id = NULL, version = t.version + 1, \
         updated_at = GREATEST(t.updated_at, $3) \
     WHERE t.owner_id = $1 AND t.schedule_id = $2 RETURNING ",
    timer_columns!()
);

const UNLINK_TODO: &str = concat!(
    "UPDATE timers AS t SET todo_id = NULL, version = t.version + 1, \
         updated_at = GREATEST(t.updated_at, $3) \
     WHERE t.owner_id = $1 AND t.todo_id = $2 RETURNING ",
    timer_columns!()
);

/// Run after the tag's timer links are deleted, so the returned tag arrays no longer hold it.
const BUMP_TIMERS: &str = concat!(
    "UPDATE timers AS t SET version = t.version + 1, updated_at = GREATEST(t.updated_at, $3) \
     WHERE t.owner_id = $1 AND t.id = ANY($2::uuid[]) RETURNING ",
    timer_columns!()
);

const INSERT_SCHEDULE_TAGS: &str = "\
INSERT INTO schedule_tags (schedule_id, tag_id, owner_id, position) \
SELECT $1, u.tag_id, $2, u.ord::int FROM unnest($3::uuid[]) WITH ORDINALITY AS u(tag_id, ord)";

const INSERT_TODO_TAGS: &str = "\
INSERT INTO todo_tags (todo_id, tag_id, owner_id, position) \
SELECT $1, u.tag_id, $2, u.ord::int FROM unnest($3::uuid[]) WITH ORDINALITY AS u(tag_id, ord)";

/// Tags in the order given, each once (a duplicate would break the link table's primary key).
fn distinct_tags(tags: &[TagId]) -> Vec<Uuid> {
    let mut seen = std::collections::HashSet::with_capacity(tags.len());
    tags.iter()
        .map(|t| t.get())
        .filter(|t| seen.insert(*t))
        .collect()
}

async fn link_tags(
    conn: &mut AsyncPgConnection,
    sql: &'static str,
    object: Uuid,
    owner: UserId,
    tags: &[TagId],
) -> Result<(), DbError> {
    let ids = distinct_tags(tags);
    if ids.is_empty() {
        return Ok(());
    }
    CachedSql::new(sql)
        .bind::<SqlUuid, _>(object)
        .bind::<BigInt, _>(owner.get())
        .bind::<Array<SqlUuid>, _>(ids)
        .execute(conn)
        .await?;
    Ok(())
}

/// Announces `timers` (unlinked or bumped by a delete) as `update`, inside the delete's
/// transaction.
async fn announce_updates(conn: &mut AsyncPgConnection, timers: &[Timer]) -> Result<(), DbError> {
    let announcements: Vec<Announcement> = timers
        .iter()
        .map(|timer| Announcement::timer(TimerChange::Details, timer))
        .collect();
    enqueue(conn, &announcements).await
}

fn timers_from(rows: Vec<TimerRow>) -> Result<Vec<Timer>, DbError> {
    let mut timers = rows
        .into_iter()
        .map(Timer::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    timers.sort_by_key(|t| std::cmp::Reverse((t.created_at(), t.id())));
    Ok(timers)
}

macro_rules! pg_repository {
    ($name:ident, $port:literal) => {
        #[doc = concat!("[`", $port, "`] over the shared pool.")]
        #[derive(Clone)]
        pub struct $name {
            pool: PgPool,
        }

        impl $name {
            /// A repository using `pool`.
            pub fn new(pool: PgPool) -> Self {
                Self { pool }
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}

pg_repository!(PgScheduleRepository, "ScheduleRepository");
pg_repository!(PgTodoRepository, "TodoRepository");
pg_repository!(PgTagRepository, "TagRepository");

#[async_trait]
impl ScheduleRepository for PgScheduleRepository {
    async fn insert(&self, schedule: &Schedule) -> Result<(), PlanningError> {
        let record = ScheduleRecord::from(schedule);
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async |conn| {
            diesel::insert_into(schedules::table)
                .values(&record)
                .execute(conn)
                .await?;
            link_tags(
                conn,
                INSERT_SCHEDULE_TAGS,
                record.id,
                schedule.owner_id,
                &schedule.tag_ids,
            )
            .await?;
            Ok::<_, TxError<PlanningError>>(())
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn update(&self, schedule: &Schedule) -> Result<(), PlanningError> {
        let record = ScheduleRecord::from(schedule);
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async |conn| {
            let updated = diesel::update(
                schedules::table
                    .filter(schedules::id.eq(record.id))
                    .filter(schedules::owner_id.eq(record.owner_id)),
            )
            .set((
                schedules::title.eq(&record.title),
                schedules::description.eq(&record.description),
                schedules::start_time.eq(record.start_time),
                schedules::end_time.eq(record.end_time),
                schedules::updated_at.eq(record.updated_at),
            ))
            .execute(conn)
            .await?;
            if updated == 0 {
                return Err(TxError::Refused(PlanningError::NotFound));
            }
            diesel::delete(schedule_tags::table.filter(schedule_tags::schedule_id.eq(record.id)))
                .execute(conn)
                .await?;
            link_tags(
                conn,
                INSERT_SCHEDULE_TAGS,
                record.id,
                schedule.owner_id,
                &schedule.tag_ids,
            )
            .await?;
            Ok(())
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn delete(
        &self,
        owner: UserId,
        id: ScheduleId,
        now: Timestamp,
    ) -> Result<Vec<Timer>, PlanningError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async move |conn| {
            let locked: Option<Uuid> = schedules::table
                .filter(schedules::id.eq(id.get()))
                .filter(schedules::owner_id.eq(owner.get()))
                .select(schedules::id)
                .for_update()
                .first(conn)
                .await
                .optional()?;
            if locked.is_none() {
                return Err(TxError::Refused(PlanningError::NotFound));
            }
            CachedSql::new(LOCK_SCHEDULE_TIMERS)
                .bind::<BigInt, _>(owner.get())
                .bind::<SqlUuid, _>(id.get())
                .execute(conn)
                .await?;
            let rows: Vec<TimerRow> = CachedSql::new(UNLINK_SCHEDULE)
                .bind::<BigInt, _>(owner.get())
                .bind::<SqlUuid, _>(id.get())
                .bind::<Timestamptz, _>(ts(now))
                .load(conn)
                .await?;
            diesel::delete(schedules::table.filter(schedules::id.eq(id.get())))
                .execute(conn)
                .await?;
            let timers = timers_from(rows)?;
            announce_updates(conn, &timers).await?;
            Ok(timers)
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn find(&self, owner: UserId, id: ScheduleId) -> Result<Option<Schedule>, StorageError> {
        Ok(self.find_many(owner, &[id]).await?.into_iter().next())
    }

    async fn find_many(
        &self,
        owner: UserId,
        ids: &[ScheduleId],
    ) -> Result<Vec<Schedule>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<Uuid> = ids.iter().map(|id| id.get()).collect();
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<ScheduleRow> = CachedSql::new(FIND_SCHEDULES)
            .bind::<BigInt, _>(owner.get())
            .bind::<Array<SqlUuid>, _>(raw)
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(rows
            .into_iter()
            .map(Schedule::try_from)
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn list(
        &self,
        owner: UserId,
        filter: ScheduleFilter,
        page: PageRequest<ScheduleId>,
    ) -> Result<Page<Schedule, ScheduleId>, StorageError> {
        let size = page_size(page.limit, MAX_PAGE);
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<ScheduleRow> = CachedSql::new(LIST_SCHEDULES)
            .bind::<BigInt, _>(owner.get())
            .bind::<Nullable<Timestamptz>, _>(filter.start_from.map(ts))
            .bind::<Nullable<Timestamptz>, _>(filter.start_to.map(ts))
            .bind::<Nullable<Timestamptz>, _>(page.after.map(|c| ts(c.created_at)))
            .bind::<Nullable<SqlUuid>, _>(page.after.map(|c| c.id.get()))
            .bind::<BigInt, _>(size + 1)
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        let items = rows
            .into_iter()
            .map(Schedule::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(items, size, |s| (s.created_at, s.id)))
    }
}

#[async_trait]
impl TodoRepository for PgTodoRepository {
    async fn insert(&self, todo: &Todo) -> Result<(), PlanningError> {
        let record = TodoRecord::from(todo);
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async |conn| {
            diesel::insert_into(todos::table)
                .values(&record)
                .execute(conn)
                .await?;
            link_tags(
                conn,
                INSERT_TODO_TAGS,
                record.id,
                todo.owner_id,
                &todo.tag_ids,
            )
            .await?;
            Ok::<_, TxError<PlanningError>>(())
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn update(&self, todo: &Todo) -> Result<(), PlanningError> {
        let record = TodoRecord::from(todo);
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async |conn| {
            let updated = diesel::update(
                todos::table
                    .filter(todos::id.eq(record.id))
                    .filter(todos::owner_id.eq(record.owner_id)),
            )
            .set((
                todos::title.eq(&record.title),
                todos::description.eq(&record.description),
                todos::status.eq(&record.status),
                todos::deadline.eq(record.deadline),
                todos::updated_at.eq(record.updated_at),
            ))
            .execute(conn)
            .await?;
            if updated == 0 {
                return Err(TxError::Refused(PlanningError::NotFound));
            }
            diesel::delete(todo_tags::table.filter(todo_tags::todo_id.eq(record.id)))
                .execute(conn)
                .await?;
            link_tags(
                conn,
                INSERT_TODO_TAGS,
                record.id,
                todo.owner_id,
                &todo.tag_ids,
            )
            .await?;
            Ok(())
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn delete(
        &self,
        owner: UserId,
        id: TodoId,
        now: Timestamp,
    ) -> Result<Vec<Timer>, PlanningError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async move |conn| {
            let locked: Option<Uuid> = todos::table
                .filter(todos::id.eq(id.get()))
                .filter(todos::owner_id.eq(owner.get()))
                .select(todos::id)
                .for_update()
                .first(conn)
                .await
                .optional()?;
            if locked.is_none() {
                return Err(TxError::Refused(PlanningError::NotFound));
            }
            CachedSql::new(LOCK_TODO_TIMERS)
                .bind::<BigInt, _>(owner.get())
                .bind::<SqlUuid, _>(id.get())
                .execute(conn)
                .await?;
            let rows: Vec<TimerRow> = CachedSql::new(UNLINK_TODO)
                .bind::<BigInt, _>(owner.get())
                .bind::<SqlUuid, _>(id.get())
                .bind::<Timestamptz, _>(ts(now))
                .load(conn)
                .await?;
            diesel::delete(todos::table.filter(todos::id.eq(id.get())))
                .execute(conn)
                .await?;
            let timers = timers_from(rows)?;
            announce_updates(conn, &timers).await?;
            Ok(timers)
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn find(&self, owner: UserId, id: TodoId) -> Result<Option<Todo>, StorageError> {
        Ok(self.find_many(owner, &[id]).await?.into_iter().next())
    }

    async fn find_many(&self, owner: UserId, ids: &[TodoId]) -> Result<Vec<Todo>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<Uuid> = ids.iter().map(|id| id.get()).collect();
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<TodoRow> = CachedSql::new(FIND_TODOS)
            .bind::<BigInt, _>(owner.get())
            .bind::<Array<SqlUuid>, _>(raw)
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(rows
            .into_iter()
            .map(Todo::try_from)
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn list(
        &self,
        owner: UserId,
        page: PageRequest<TodoId>,
    ) -> Result<Page<Todo, TodoId>, StorageError> {
        let size = page_size(page.limit, MAX_PAGE);
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<TodoRow> = CachedSql::new(LIST_TODOS)
            .bind::<BigInt, _>(owner.get())
            .bind::<Nullable<Timestamptz>, _>(page.after.map(|c| ts(c.created_at)))
            .bind::<Nullable<SqlUuid>, _>(page.after.map(|c| c.id.get()))
            .bind::<BigInt, _>(size + 1)
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        let items = rows
            .into_iter()
            .map(Todo::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(items, size, |t| (t.created_at, t.id)))
    }
}

#[async_trait]
impl TagRepository for PgTagRepository {
    async fn insert(&self, tag: &Tag) -> Result<(), PlanningError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        diesel::insert_into(tags::table)
            .values(TagRow::from(tag))
            .execute(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(())
    }

    async fn update(&self, tag: &Tag) -> Result<(), PlanningError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let updated = diesel::update(
            tags::table
                .filter(tags::id.eq(tag.id.get()))
                .filter(tags::owner_id.eq(tag.owner_id.get())),
        )
        .set((
            tags::name.eq(tag.name.as_str()),
            tags::color.eq(tag.color.as_str()),
            tags::updated_at.eq(ts(tag.updated_at)),
        ))
        .execute(&mut conn)
        .await
        .map_err(DbError::from)?;
        if updated == 0 {
            return Err(PlanningError::NotFound);
        }
        Ok(())
    }

    async fn delete(
        &self,
        owner: UserId,
        id: TagId,
        now: Timestamp,
    ) -> Result<Vec<Timer>, PlanningError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async move |conn| {
            CachedSql::new(LOCK_TAG_TIMERS)
                .bind::<BigInt, _>(owner.get())
                .bind::<SqlUuid, _>(id.get())
                .execute(conn)
                .await?;
            let locked: Option<Uuid> = tags::table
                .filter(tags::id.eq(id.get()))
                .filter(tags::owner_id.eq(owner.get()))
                .select(tags::id)
                .for_update()
                .first(conn)
                .await
                .optional()?;
            if locked.is_none() {
                return Err(TxError::Refused(PlanningError::NotFound));
            }
            let unlinked: Vec<Uuid> = diesel::delete(
                crate::schema::timer_tags::table
                    .filter(crate::schema::timer_tags::tag_id.eq(id.get())),
            )
            .returning(crate::schema::timer_tags::timer_id)
            .get_results(conn)
            .await?;
            let rows: Vec<TimerRow> = if unlinked.is_empty() {
                Vec::new()
            } else {
                CachedSql::new(LOCK_TIMERS)
                    .bind::<BigInt, _>(owner.get())
                    .bind::<Array<SqlUuid>, _>(&unlinked)
                    .execute(conn)
                    .await?;
                CachedSql::new(BUMP_TIMERS)
                    .bind::<BigInt, _>(owner.get())
                    .bind::<Array<SqlUuid>, _>(unlinked)
                    .bind::<Timestamptz, _>(ts(now))
                    .load(conn)
                    .await?
            };
            // Cascades remove the schedule and todo links.
            diesel::delete(tags::table.filter(tags::id.eq(id.get())))
                .execute(conn)
                .await?;
            let timers = timers_from(rows)?;
            announce_updates(conn, &timers).await?;
            Ok(timers)
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn find(&self, owner: UserId, id: TagId) -> Result<Option<Tag>, StorageError> {
        Ok(self.find_many(owner, &[id]).await?.into_iter().next())
    }

    async fn find_many(&self, owner: UserId, ids: &[TagId]) -> Result<Vec<Tag>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<Uuid> = ids.iter().map(|id| id.get()).collect();
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<TagRow> = tags::table
            .filter(tags::owner_id.eq(owner.get()))
            .filter(tags::id.eq_any(raw))
            .select(TagRow::as_select())
            .order((tags::created_at.desc(), tags::id.desc()))
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(rows
            .into_iter()
            .map(Tag::try_from)
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn list(
        &self,
        owner: UserId,
        page: PageRequest<TagId>,
    ) -> Result<Page<Tag, TagId>, StorageError> {
        let size = page_size(page.limit, MAX_PAGE);
        let mut query = tags::table
            .filter(tags::owner_id.eq(owner.get()))
            .select(TagRow::as_select())
            .order((tags::created_at.desc(), tags::id.desc()))
            .limit(size + 1)
            .into_boxed();
        if let Some(after) = page.after {
            let created = ts(after.created_at);
            query = query.filter(
                tags::created_at.lt(created).or(tags::created_at
                    .eq(created)
                    .and(tags::id.lt(after.id.get()))),
            );
        }
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows = query.load(&mut conn).await.map_err(DbError::from)?;
        let items = rows
            .into_iter()
            .map(Tag::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(items, size, |t| (t.created_at, t.id)))
    }
}
