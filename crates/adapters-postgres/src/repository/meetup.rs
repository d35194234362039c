//! [`MeetupRepository`] on PostgreSQL.
//!
//! Join, leave and cancel lock the meetup row (`FOR UPDATE`), then read the meetup with its
//! participants, apply the domain rule to that state, write, and store the notifications, in one
//! transaction: two users joining the last seat are serialised and the second one sees `Full`.
//! The lock is a statement of its own: under READ COMMITTED a statement that waited for the lock
//! re-reads only the locked row, and a participant list read in it would still be the one from
//! before the wait (four guests at once were all admitted to a meetup of two).
//!
//! The CREATE fan-out to every follower of the host is one `INSERT … SELECT` (no per-follower
//! round trip) that first takes the receivers' advisory locks in id order (see
//! [`super::notification`]).

use async_trait::async_trait;
use diesel::OptionalExtension;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hourglass_domain::ids::{MeetupId, UserId};
use hourglass_domain::meetup::{Meetup, NewMeetup};
use hourglass_domain::notification::{Notification, NotificationDraft};
use hourglass_domain::profile::Nickname;
use hourglass_domain::time::Timestamp;
use hourglass_ports::error::StorageError;
use hourglass_ports::meetup::{MeetupAction, MeetupActionError, MeetupOutcome, MeetupRepository};
use hourglass_ports::page::{Page, PageRequest};

use super::notification::{announce_stored, insert_drafts};
use super::{MAX_PAGE, into_page, page_size};
use crate::error::{DbError, TxError, corrupt};
use crate::outbox::kick;
use crate::pool::PgPool;
use crate::rows::related_columns;
use crate::rows::{MeetupRow, NewMeetupRecord, NotificationRow, ts};
use crate::schema::{meetup_participants, meetups, users};
use crate::statement::CachedSql;

macro_rules! meetup_select {
    () => {
        "SELECT m.id, m.host_id, m.title, m.description, m.starts_at, m.capacity, m.status, \
                m.created_at, m.updated_at, \
                ARRAY(SELECT p.user_id FROM meetup_participants p WHERE p.meetup_id = m.id \
                      ORDER BY p.join_order) AS participants \
         FROM meetups m "
    };
}

const FIND_MEETUP: &str = concat!(meetup_select!(), "WHERE m.id = $1");
const LIST_OPEN: &str = concat!(
    meetup_select!(),
    "WHERE m.status = 'OPEN' \
       AND ($1::timestamptz IS NULL OR (m.created_at, m.id) < ($1, $2::bigint)) \
     ORDER BY m.created_at DESC, m.id DESC LIMIT $3"
);

/// CREATE to every follower of the host, set-based. `receivers` is referenced twice, so it is
/// materialised in id order; the lock aggregate reads it in that order and completes before the
/// first row reaches the INSERT (before any notification id is drawn).
const FAN_OUT_CREATE: &str = "\
WITH receivers AS (SELECT follower_id AS r FROM follows WHERE followee_id = $1 ORDER BY 1), \
locked AS (SELECT count(pg_advisory_xact_lock(r)::text) AS n FROM receivers) \
INSERT INTO notifications \
    (receiver_id, actor_id, kind, message, related_id, related_timer_id, related_type, \
     redirect_url, created_at) \
SELECT r, $1, $2, $3, $4, $5, $6, $7, $8 FROM receivers, locked ORDER BY r \
RETURNING id, receiver_id, actor_id, kind, message, related_id, related_timer_id, related_type, \
          redirect_url, is_read, created_at";

/// [`MeetupRepository`] over the shared pool.
#[derive(Clone)]
pub struct PgMeetupRepository {
    pool: PgPool,
}

impl PgMeetupRepository {
    /// A repository using `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl std::fmt::Debug for PgMeetupRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgMeetupRepository").finish_non_exhaustive()
    }
}

async fn nickname_of(conn: &mut AsyncPgConnection, user: UserId) -> Result<Nickname, DbError> {
    let raw: String = users::table
        .find(user.get())
        .select(users::nickname)
        .first(conn)
        .await?;
    Nickname::parse(&raw).map_err(|e| corrupt("nickname", e))
}

/// The meetup `id` as of now, on the caller's connection: after its lock was taken, a new
/// statement sees the participants as committed.
pub(super) async fn load(
    conn: &mut AsyncPgConnection,
    id: MeetupId,
) -> Result<Option<Meetup>, DbError> {
    let row: Option<MeetupRow> = CachedSql::new(FIND_MEETUP)
        .bind::<BigInt, _>(id.get())
        .get_result(conn)
        .await
        .optional()?;
    row.map(Meetup::try_from).transpose()
}

pub(super) async fn touch(conn: &mut AsyncPgConnection, meetup: &Meetup) -> Result<(), DbError> {
    diesel::update(meetups::table.find(meetup.id().get()))
        .set((
            meetups::status.eq(meetup.status().as_str()),
            meetups::updated_at.eq(ts(meetup.updated_at())),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

#[async_trait]
impl MeetupRepository for PgMeetupRepository {
    async fn create(
        &self,
        new: NewMeetup,
        now: Timestamp,
    ) -> Result<MeetupOutcome, MeetupActionError> {
        // The id is the database's; validate first with a placeholder so a refusal costs no
        // round trip, then build the real value with the stored id.
        Meetup::create(new.clone(), MeetupId::new(0), now)?;
        let record = NewMeetupRecord {
            host_id: new.host_id.get(),
            title: new.title.as_str().to_owned(),
            description: new.description.as_str().to_owned(),
            starts_at: ts(new.starts_at),
            capacity: new
                .capacity
                .map(|c| i32::try_from(c.get()))
                .transpose()
                .map_err(|e| corrupt("capacity", e))?,
            status: "OPEN".to_owned(),
            created_at: ts(now),
            updated_at: ts(now),
        };
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async move |conn| {
            let nickname = nickname_of(conn, new.host_id).await?;
            let id: i64 = diesel::insert_into(meetups::table)
                .values(&record)
                .returning(meetups::id)
                .get_result(conn)
                .await?;
            let meetup_id = MeetupId::new(id);
            diesel::insert_into(meetup_participants::table)
                .values((
                    meetup_participants::meetup_id.eq(id),
                    meetup_participants::user_id.eq(new.host_id.get()),
                    meetup_participants::joined_at.eq(ts(now)),
                ))
                .execute(conn)
                .await?;
            // Every CREATE notification reads the same but for its receiver: build one with the
            // domain (message and routing fields stay the domain's) and fan it out in SQL.
            let template =
                NotificationDraft::meetup_created(new.host_id, new.host_id, &nickname, meetup_id);
            let (related_meetup, related_timer) = related_columns(template.related_id());
            let rows: Vec<NotificationRow> = CachedSql::new(FAN_OUT_CREATE)
                .bind::<BigInt, _>(new.host_id.get())
                .bind::<Text, _>(template.kind().as_str())
                .bind::<Text, _>(template.message())
                .bind::<Nullable<BigInt>, _>(related_meetup)
                .bind::<Nullable<SqlUuid>, _>(related_timer)
                .bind::<Text, _>(template.related_type().as_str())
                .bind::<Text, _>(template.redirect_url())
                .bind::<Timestamptz, _>(ts(now))
                .load(conn)
                .await?;
            let mut notifications = rows
                .into_iter()
                .map(Notification::try_from)
                .collect::<Result<Vec<_>, _>>()?;
            notifications.sort_by_key(Notification::id);
            // Announced in this transaction, like every stored notification (`event_bus`).
            announce_stored(conn, &notifications).await?;
            let meetup = Meetup::create(new, meetup_id, now)
                .map_err(|refused| TxError::Refused(refused.into()))?;
            Ok(MeetupOutcome {
                meetup,
                notifications,
            })
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn apply(
        &self,
        id: MeetupId,
        action: MeetupAction,
        now: Timestamp,
    ) -> Result<MeetupOutcome, MeetupActionError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async move |conn| {
            // The lock alone; the participants are read by the next statement (see the module
            // documentation).
            let locked: Option<i64> = meetups::table
                .find(id.get())
                .select(meetups::id)
                .for_update()
                .first(conn)
                .await
                .optional()?;
            if locked.is_none() {
                return Err(TxError::Refused(MeetupActionError::NotFound));
            }
            let row: MeetupRow = CachedSql::new(FIND_MEETUP)
                .bind::<BigInt, _>(id.get())
                .get_result(conn)
                .await?;
            let mut meetup = Meetup::try_from(row)?;
            let refused = |e| TxError::Refused(MeetupActionError::Rejected(e));
            let drafts = match action {
                MeetupAction::Join(user) => {
                    meetup.join(user, now).map_err(refused)?;
                    diesel::insert_into(meetup_participants::table)
                        .values((
                            meetup_participants::meetup_id.eq(id.get()),
                            meetup_participants::user_id.eq(user.get()),
                            meetup_participants::joined_at.eq(ts(now)),
                        ))
                        .execute(conn)
                        .await?;
                    let nickname = nickname_of(conn, user).await?;
                    vec![NotificationDraft::meetup_entered(
                        meetup.host_id(),
                        user,
                        &nickname,
                        id,
                    )]
                }
                MeetupAction::Leave(user) => {
                    meetup.leave(user, now).map_err(refused)?;
                    diesel::delete(
                        meetup_participants::table
                            .filter(meetup_participants::meetup_id.eq(id.get()))
                            .filter(meetup_participants::user_id.eq(user.get())),
                    )
                    .execute(conn)
                    .await?;
                    let nickname = nickname_of(conn, user).await?;
                    vec![NotificationDraft::meetup_exited(
                        meetup.host_id(),
                        user,
                        &nickname,
                        id,
                    )]
                }
                MeetupAction::Cancel(user) => {
                    let receivers = meetup.cancel(user, now).map_err(refused)?;
                    let nickname = nickname_of(conn, user).await?;
                    receivers
                        .into_iter()
                        .map(|receiver| {
                            NotificationDraft::meetup_cancelled(receiver, user, &nickname, id)
                        })
                        .collect()
                }
            };
            touch(conn, &meetup).await?;
            let notifications = insert_drafts(conn, &drafts, now).await?;
            Ok(MeetupOutcome {
                meetup,
                notifications,
            })
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn find(&self, id: MeetupId) -> Result<Option<Meetup>, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let row: Option<MeetupRow> = CachedSql::new(FIND_MEETUP)
            .bind::<BigInt, _>(id.get())
            .get_result(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        Ok(row.map(Meetup::try_from).transpose()?)
    }

    async fn list_open(
        &self,
        page: PageRequest<MeetupId>,
    ) -> Result<Page<Meetup, MeetupId>, StorageError> {
        let size = page_size(page.limit, MAX_PAGE);
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<MeetupRow> = CachedSql::new(LIST_OPEN)
            .bind::<Nullable<Timestamptz>, _>(page.after.map(|c| ts(c.created_at)))
            .bind::<Nullable<BigInt>, _>(page.after.map(|c| c.id.get()))
            .bind::<BigInt, _>(size + 1)
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        let items = rows
            .into_iter()
            .map(Meetup::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(items, size, |m| (m.created_at(), m.id())))
    }
}
