//! [`NotificationRepository`] on PostgreSQL.
//!
//! Ids must become visible to a receiver in increasing order even under concurrent writers
//! (`notifications-sse.md`): an SSE client that has seen id 11 replays only ids above 11, so an
//! id 10 committed later would be lost. Every insert therefore takes
//! `pg_advisory_xact_lock(receiver_id)` **before** drawing ids, in ascending receiver order (no
//! deadlock between two fan-outs), and holds it until commit. The single-`bigint` advisory key
//! space of this database is reserved for that purpose.
//!
//! Every stored notification is announced with `pg_notify` in the inserting transaction (also
//! when follows and meetups store them), so a stream hears of it only once it is committed and
//! readable for the replay; NOTIFY delivers in commit order, matching the id order promise.

use async_trait::async_trait;
use diesel::OptionalExtension;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hourglass_domain::ids::{NotificationId, UserId};
use hourglass_domain::notification::{Notification, NotificationDraft, RelatedId};
use hourglass_domain::time::Timestamp;
use hourglass_ports::error::StorageError;
use hourglass_ports::notification::{NotificationError, NotificationRepository};
use hourglass_ports::page::{Page, PageRequest};
use uuid::Uuid;

use super::{MAX_PAGE, into_page, page_size};
use crate::error::{DbError, TxError};
use crate::event_bus::{Announcement, notify};
use crate::pool::PgPool;
use crate::rows::{NotificationRow, ts};
use crate::schema::notifications;
use crate::statement::CachedSql;

/// Inserts many drafts in one statement: lock every distinct receiver in ascending order (the
/// aggregate over the sorted receivers completes before the first row reaches the INSERT, so
/// before any id is drawn), then insert in input order.
const INSERT_DRAFTS: &str = "\
WITH input AS MATERIALIZED ( \
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], \
                         $6::uuid[], $7::text[], $8::text[]) \
        WITH ORDINALITY AS d(receiver_id, actor_id, kind, message, related_id, related_timer_id, \
                             related_type, redirect_url, ord) \
), locked AS ( \
    SELECT count(pg_advisory_xact_lock(r)::text) AS n \
    FROM (SELECT DISTINCT receiver_id AS r FROM input ORDER BY r) AS receivers \
) \
INSERT INTO notifications \
    (receiver_id, actor_id, kind, message, related_id, related_timer_id, related_type, \
     redirect_url, created_at) \
SELECT receiver_id, actor_id, kind, message, related_id, related_timer_id, related_type, \
       redirect_url, $9 \
FROM input, locked \
ORDER BY ord \
RETURNING id, receiver_id, actor_id, kind, message, related_id, related_timer_id, related_type, \
          redirect_url, is_read, created_at";

/// The `related_id` (meetup) and `related_timer_id` columns of a notification's `relatedId`.
pub(crate) fn related_columns(related: Option<RelatedId>) -> (Option<i64>, Option<Uuid>) {
    match related {
        None => (None, None),
        Some(RelatedId::Meetup(meetup)) => (Some(meetup.get()), None),
        Some(RelatedId::Timer(timer)) => (None, Some(timer.get())),
    }
}

/// Stores `drafts` (any receivers) and announces them, inside the caller's transaction (the
/// advisory locks and the announcements must both end with its commit); returns them in id
/// order.
pub(crate) async fn insert_drafts(
    conn: &mut AsyncPgConnection,
    drafts: &[NotificationDraft],
    now: Timestamp,
) -> Result<Vec<Notification>, DbError> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let mut receivers = Vec::with_capacity(drafts.len());
    let mut actors = Vec::with_capacity(drafts.len());
    let mut kinds = Vec::with_capacity(drafts.len());
    let mut messages = Vec::with_capacity(drafts.len());
    let mut related_ids = Vec::with_capacity(drafts.len());
    let mut related_timer_ids = Vec::with_capacity(drafts.len());
    let mut related_types = Vec::with_capacity(drafts.len());
    let mut urls = Vec::with_capacity(drafts.len());
    for draft in drafts {
        receivers.push(draft.receiver().get());
        actors.push(draft.actor().map(UserId::get));
        kinds.push(draft.kind().as_str());
        messages.push(draft.message());
        let (meetup, timer) = related_columns(draft.related_id());
        related_ids.push(meetup);
        related_timer_ids.push(timer);
        related_types.push(draft.related_type().as_str());
        urls.push(draft.redirect_url());
    }
    let rows: Vec<NotificationRow> = CachedSql::new(INSERT_DRAFTS)
        .bind::<Array<BigInt>, _>(receivers)
        .bind::<Array<Nullable<BigInt>>, _>(actors)
        .bind::<Array<Text>, _>(kinds)
        .bind::<Array<Text>, _>(messages)
        .bind::<Array<Nullable<BigInt>>, _>(related_ids)
        .bind::<Array<Nullable<SqlUuid>>, _>(related_timer_ids)
        .bind::<Array<Text>, _>(related_types)
        .bind::<Array<Text>, _>(urls)
        .bind::<Timestamptz, _>(ts(now))
        .load(conn)
        .await?;
    let mut stored = rows
        .into_iter()
        .map(Notification::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    stored.sort_by_key(Notification::id);
    let announcements: Vec<Announcement> = stored.iter().map(Announcement::notification).collect();
    notify(conn, &announcements).await?;
    Ok(stored)
}

/// [`NotificationRepository`] over the shared pool.
#[derive(Clone)]
pub struct PgNotificationRepository {
    pool: PgPool,
}

impl PgNotificationRepository {
    /// A repository using `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl std::fmt::Debug for PgNotificationRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgNotificationRepository")
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl NotificationRepository for PgNotificationRepository {
    async fn insert(
        &self,
        draft: NotificationDraft,
        now: Timestamp,
    ) -> Result<Notification, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        // One transaction holds the advisory lock and the announcement until commit.
        let stored = conn
            .transaction(async |conn| {
                Ok::<_, TxError<StorageError>>(
                    insert_drafts(conn, std::slice::from_ref(&draft), now).await?,
                )
            })
            .await
            .map_err(TxError::into_port)?;
        stored
            .into_iter()
            .next()
            .ok_or_else(|| DbError::Corrupt("INSERT … RETURNING gave no row".to_owned()).into())
    }

    async fn list(
        &self,
        receiver: UserId,
        unread_only: bool,
        page: PageRequest<NotificationId>,
    ) -> Result<Page<Notification, NotificationId>, StorageError> {
        let size = page_size(page.limit, MAX_PAGE);
        let mut query = notifications::table
            .filter(notifications::receiver_id.eq(receiver.get()))
            .select(NotificationRow::as_select())
            .order((notifications::created_at.desc(), notifications::id.desc()))
            .limit(size + 1)
            .into_boxed();
        if unread_only {
            query = query.filter(notifications::is_read.eq(false));
        }
        if let Some(after) = page.after {
            let created = ts(after.created_at);
            query = query.filter(
                notifications::created_at
                    .lt(created)
                    .or(notifications::created_at
                        .eq(created)
                        .and(notifications::id.lt(after.id.get()))),
            );
        }
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows = query.load(&mut conn).await.map_err(DbError::from)?;
        let items = rows
            .into_iter()
            .map(Notification::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(items, size, |n| (n.created_at(), n.id())))
    }

    async fn list_after(
        &self,
        receiver: UserId,
        after: NotificationId,
        limit: u32,
    ) -> Result<Vec<Notification>, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows = notifications::table
            .filter(notifications::receiver_id.eq(receiver.get()))
            .filter(notifications::id.gt(after.get()))
            .select(NotificationRow::as_select())
            .order(notifications::id.asc())
            .limit(i64::from(limit))
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(rows
            .into_iter()
            .map(Notification::try_from)
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn unread_count(&self, receiver: UserId) -> Result<u64, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let count: i64 = notifications::table
            .filter(notifications::receiver_id.eq(receiver.get()))
            .filter(notifications::is_read.eq(false))
            .count()
            .get_result(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn mark_read(
        &self,
        receiver: UserId,
        id: NotificationId,
    ) -> Result<(), NotificationError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        // `is_read` is set whether or not it was already: marking twice is still "found".
        let found: Option<i64> = diesel::update(
            notifications::table
                .filter(notifications::id.eq(id.get()))
                .filter(notifications::receiver_id.eq(receiver.get())),
        )
        .set(notifications::is_read.eq(true))
        .returning(notifications::id)
        .get_result(&mut conn)
        .await
        .optional()
        .map_err(DbError::from)?;
        found.map(|_| ()).ok_or(NotificationError::NotFound)
    }

    async fn mark_all_read(&self, receiver: UserId) -> Result<u64, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let updated = diesel::update(
            notifications::table
                .filter(notifications::receiver_id.eq(receiver.get()))
                .filter(notifications::is_read.eq(false)),
        )
        .set(notifications::is_read.eq(true))
        .execute(&mut conn)
        .await
        .map_err(DbError::from)?;
        Ok(u64::try_from(updated).unwrap_or(u64::MAX))
    }

    async fn delete(&self, receiver: UserId, id: NotificationId) -> Result<(), NotificationError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let deleted = diesel::delete(
            notifications::table
                .filter(notifications::id.eq(id.get()))
                .filter(notifications::receiver_id.eq(receiver.get())),
        )
        .execute(&mut conn)
        .await
        .map_err(DbError::from)?;
        if deleted == 0 {
            return Err(NotificationError::NotFound);
        }
        Ok(())
    }
}
