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
//!
//! Read marks and deletes take the same advisory lock and are announced too, and every
//! announcement carries the unread count the change leaves, counted in a statement that starts
//! after the lock is held (under READ COMMITTED a statement sees what committed before it
//! started). Two changes of one receiver's inbox are therefore counted one after the other, and
//! the counts arrive in the order they apply: a stream never shows a count that disagrees with
//! the notifications it was told about.

use std::collections::HashMap;

use async_trait::async_trait;
use diesel::OptionalExtension;
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hourglass_domain::ids::{NotificationId, UserId};
use hourglass_domain::notification::{Notification, NotificationDraft};
use hourglass_domain::time::Timestamp;
use hourglass_ports::error::StorageError;
use hourglass_ports::notification::{NotificationError, NotificationRepository};
use hourglass_ports::page::{Page, PageRequest};

use super::{MAX_PAGE, into_page, page_size};
use crate::error::{DbError, TxError};
use crate::event_bus::{Announcement, InboxKind};
use crate::outbox::{enqueue, kick};
use crate::pool::PgPool;
use crate::rows::{NotificationRow, related_columns, ts};
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

/// The receiver's inbox lock (see the module documentation). A statement of its own: a statement
/// that waited for the lock inside would still read what it saw before waiting.
const LOCK_RECEIVER: &str = "SELECT count(pg_advisory_xact_lock($1)::text) AS n";

/// The unread counts of the given receivers (absent: none unread).
const UNREAD_COUNTS: &str = "\
SELECT receiver_id, count(*) AS unread FROM notifications \
WHERE receiver_id = ANY($1) AND NOT is_read GROUP BY receiver_id";

const MARK_READ: &str = "\
UPDATE notifications SET is_read = TRUE \
WHERE id = $1 AND receiver_id = $2 AND NOT is_read RETURNING id";

const MARK_ALL_READ: &str = "\
UPDATE notifications SET is_read = TRUE \
WHERE receiver_id = $1 AND NOT is_read RETURNING id";

const EXISTS: &str = "\
SELECT id FROM notifications WHERE id = $1 AND receiver_id = $2";

const DELETE: &str = "\
DELETE FROM notifications WHERE id = $1 AND receiver_id = $2 RETURNING id";

#[derive(QueryableByName)]
struct UnreadCount {
    #[diesel(sql_type = BigInt)]
    receiver_id: i64,
    #[diesel(sql_type = BigInt)]
    unread: i64,
}

#[derive(QueryableByName)]
struct ChangedId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Takes `receiver`'s inbox lock until the caller's transaction ends.
async fn lock_receiver(conn: &mut AsyncPgConnection, receiver: UserId) -> Result<(), DbError> {
    CachedSql::new(LOCK_RECEIVER)
        .bind::<BigInt, _>(receiver.get())
        .execute(conn)
        .await?;
    Ok(())
}

/// The unread counts of `receivers` now; the caller holds their locks.
async fn unread_counts(
    conn: &mut AsyncPgConnection,
    receivers: Vec<i64>,
) -> Result<HashMap<i64, u64>, DbError> {
    let rows: Vec<UnreadCount> = CachedSql::new(UNREAD_COUNTS)
        .bind::<Array<BigInt>, _>(receivers)
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.receiver_id, u64::try_from(row.unread).unwrap_or(0)))
        .collect())
}

/// The unread count of `receiver` now; the caller holds its lock.
async fn unread_count_of(conn: &mut AsyncPgConnection, receiver: UserId) -> Result<u64, DbError> {
    let counts = unread_counts(conn, vec![receiver.get()]).await?;
    Ok(counts.get(&receiver.get()).copied().unwrap_or(0))
}

/// Announces `stored` (just inserted, in id order, inside the caller's transaction, which holds
/// their receivers' locks), each with the unread count its receiver has once it is applied.
pub(crate) async fn announce_stored(
    conn: &mut AsyncPgConnection,
    stored: &[Notification],
) -> Result<(), DbError> {
    let mut still_to_announce: HashMap<i64, u64> = HashMap::new();
    for notification in stored {
        *still_to_announce
            .entry(notification.receiver().get())
            .or_default() += 1;
    }
    let counts = unread_counts(conn, still_to_announce.keys().copied().collect()).await?;
    // New notifications are unread: the count after all of them, less those of the same
    // receiver announced later, is the count once this one is applied.
    let announcements: Vec<Announcement> = stored
        .iter()
        .map(|notification| {
            let receiver = notification.receiver().get();
            let later = still_to_announce.entry(receiver).or_default();
            *later = later.saturating_sub(1);
            let total = counts.get(&receiver).copied().unwrap_or(0);
            Announcement::notification(notification, total.saturating_sub(*later))
        })
        .collect();
    enqueue(conn, &announcements).await
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
    announce_stored(conn, &stored).await?;
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
            .inspect(|_| kick())
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
        conn.transaction(async |conn| {
            lock_receiver(conn, receiver).await?;
            let changed: Option<ChangedId> = CachedSql::new(MARK_READ)
                .bind::<BigInt, _>(id.get())
                .bind::<BigInt, _>(receiver.get())
                .get_result(conn)
                .await
                .optional()?;
            if changed.is_none() {
                // Already read is still "found": marking twice is not an error, and announces
                // nothing since nothing changed.
                let exists: Option<ChangedId> = CachedSql::new(EXISTS)
                    .bind::<BigInt, _>(id.get())
                    .bind::<BigInt, _>(receiver.get())
                    .get_result(conn)
                    .await
                    .optional()?;
                return match exists {
                    Some(_) => Ok(()),
                    None => Err(TxError::Refused(NotificationError::NotFound)),
                };
            }
            let unread = unread_count_of(conn, receiver).await?;
            enqueue(
                conn,
                &Announcement::inbox(receiver, InboxKind::Read, &[id], unread),
            )
            .await?;
            Ok(())
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn mark_all_read(&self, receiver: UserId) -> Result<u64, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async |conn| {
            lock_receiver(conn, receiver).await?;
            let changed: Vec<ChangedId> = CachedSql::new(MARK_ALL_READ)
                .bind::<BigInt, _>(receiver.get())
                .load(conn)
                .await?;
            if changed.is_empty() {
                return Ok(0);
            }
            let mut ids: Vec<NotificationId> = changed
                .iter()
                .map(|row| NotificationId::new(row.id))
                .collect();
            ids.sort_unstable();
            let unread = unread_count_of(conn, receiver).await?;
            enqueue(
                conn,
                &Announcement::inbox(receiver, InboxKind::Read, &ids, unread),
            )
            .await?;
            Ok::<_, TxError<StorageError>>(u64::try_from(ids.len()).unwrap_or(u64::MAX))
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn delete(&self, receiver: UserId, id: NotificationId) -> Result<(), NotificationError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async |conn| {
            lock_receiver(conn, receiver).await?;
            let deleted: Option<ChangedId> = CachedSql::new(DELETE)
                .bind::<BigInt, _>(id.get())
                .bind::<BigInt, _>(receiver.get())
                .get_result(conn)
                .await
                .optional()?;
            if deleted.is_none() {
                return Err(TxError::Refused(NotificationError::NotFound));
            }
            let unread = unread_count_of(conn, receiver).await?;
            enqueue(
                conn,
                &Announcement::inbox(receiver, InboxKind::Deleted, &[id], unread),
            )
            .await?;
            Ok(())
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }
}
