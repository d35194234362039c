//! [`FollowRepository`] on PostgreSQL.
//!
//! A follow locks the follower's `users` row (`FOR NO KEY UPDATE`, which does not block the
//! foreign-key checks of other writes) so that two concurrent follows of one pair decide the
//! 24 h FOLLOW suppression one after the other: exactly one of them notifies.
//!
//! An unfollow locks both users' rows the same way, in id order, before it deletes the follow
//! and looks for the reverse one (in statements of their own, so they read what committed
//! before the locks were held). Every follow and unfollow of the pair, either way, is therefore
//! serialised with it, and `ended_friendship` is true exactly when the reverse follow stands as
//! the unfollow commits: two friends unfollowing each other at once end the friendship once, and
//! a reverse follow committed just before the unfollow is seen.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl};
use hourglass_domain::follow::{Follow, should_notify_follow};
use hourglass_domain::ids::UserId;
use hourglass_domain::notification::NotificationDraft;
use hourglass_domain::profile::Nickname;
use hourglass_domain::time::Timestamp;
use hourglass_ports::error::StorageError;
use hourglass_ports::follow::{FollowOutcome, FollowRepository, UnfollowOutcome};
use hourglass_ports::page::{Page, PageRequest};
use hourglass_ports::user::User;

use super::notification::insert_drafts;
use super::{MAX_PAGE, into_page, page_size};
use crate::error::{DbError, TxError, corrupt};
use crate::event_bus::Announcement;
use crate::outbox::{enqueue, kick};
use crate::pool::PgPool;
use crate::rows::{FollowedUserRow, instant, ts};
use crate::schema::{follow_notifications, follows};
use crate::statement::CachedSql;

/// The follower's nickname (for the message), with the follower's row locked. The pair's last
/// notification is read by the next statement, not joined here: after waiting for the lock,
/// READ COMMITTED re-checks only the locked row, and a joined row would still come from the
/// snapshot taken before the concurrent follow committed.
const LOCK_FOLLOWER: &str = "SELECT nickname FROM users WHERE id = $1 FOR NO KEY UPDATE";

/// Both users of an unfollow, locked in id order (two unfollows of one pair cannot deadlock).
const LOCK_PAIR: &str = "SELECT id FROM users WHERE id IN ($1, $2) ORDER BY id FOR NO KEY UPDATE";

const FOLLOWERS: &str = "\
SELECT u.id, u.subject, u.nickname, u.profile_image, u.created_at, u.updated_at, \
       f.created_at AS listed_at \
FROM follows f JOIN users u ON u.id = f.follower_id \
WHERE f.followee_id = $1 \
  AND ($2::timestamptz IS NULL OR (f.created_at, f.follower_id) < ($2, $3::bigint)) \
ORDER BY f.created_at DESC, f.follower_id DESC \
LIMIT $4";

const FOLLOWING: &str = "\
SELECT u.id, u.subject, u.nickname, u.profile_image, u.created_at, u.updated_at, \
       f.created_at AS listed_at \
FROM follows f JOIN users u ON u.id = f.followee_id \
WHERE f.follower_id = $1 \
  AND ($2::timestamptz IS NULL OR (f.created_at, f.followee_id) < ($2, $3::bigint)) \
ORDER BY f.created_at DESC, f.followee_id DESC \
LIMIT $4";

/// Friends are ordered by when the friendship began (`since`).
pub(super) const FRIENDS: &str = concat!(
    "SELECT u.id, u.subject, u.nickname, u.profile_image, u.created_at, u.updated_at, \
            friendship.since AS listed_at \
     FROM ",
    friendships!(),
    "JOIN users u ON u.id = friendship.friend_id \
     WHERE friendship.user_id = $1 \
       AND ($2::timestamptz IS NULL \
            OR (friendship.since, friendship.friend_id) < ($2, $3::bigint)) \
     ORDER BY listed_at DESC, u.id DESC \
     LIMIT $4"
);

pub(super) const FRIEND_IDS: &str = concat!(
    "SELECT friendship.friend_id AS id FROM ",
    friendships!(),
    "WHERE friendship.user_id = $1 ORDER BY friendship.friend_id"
);

#[derive(QueryableByName)]
struct FollowerLock {
    #[diesel(sql_type = Text)]
    nickname: String,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// [`FollowRepository`] over the shared pool.
#[derive(Clone)]
pub struct PgFollowRepository {
    pool: PgPool,
}

impl PgFollowRepository {
    /// A repository using `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    async fn user_page(
        &self,
        sql: &'static str,
        user: UserId,
        page: PageRequest<UserId>,
    ) -> Result<Page<User, UserId>, StorageError> {
        let size = page_size(page.limit, MAX_PAGE);
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<FollowedUserRow> = CachedSql::new(sql)
            .bind::<BigInt, _>(user.get())
            .bind::<Nullable<Timestamptz>, _>(page.after.map(|c| ts(c.created_at)))
            .bind::<Nullable<BigInt>, _>(page.after.map(|c| c.id.get()))
            .bind::<BigInt, _>(size + 1)
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        let items = rows
            .into_iter()
            .map(|row| Ok((User::try_from(row.user)?, instant(row.listed_at))))
            .collect::<Result<Vec<_>, DbError>>()?;
        let page = into_page(items, size, |(user, listed_at)| (*listed_at, user.id));
        Ok(Page {
            items: page.items.into_iter().map(|(user, _)| user).collect(),
            next: page.next,
        })
    }
}

impl std::fmt::Debug for PgFollowRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgFollowRepository").finish_non_exhaustive()
    }
}

#[async_trait]
impl FollowRepository for PgFollowRepository {
    async fn follow(&self, follow: Follow, now: Timestamp) -> Result<FollowOutcome, StorageError> {
        let follower = follow.follower().get();
        let followee = follow.followee().get();
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async move |conn| {
            let lock: FollowerLock = CachedSql::new(LOCK_FOLLOWER)
                .bind::<BigInt, _>(follower)
                .get_result(conn)
                .await?;
            let last_notified: Option<DateTime<Utc>> = follow_notifications::table
                .find((follower, followee))
                .select(follow_notifications::last_notified_at)
                .first(conn)
                .await
                .optional()?;
            let inserted = diesel::insert_into(follows::table)
                .values((
                    follows::follower_id.eq(follower),
                    follows::followee_id.eq(followee),
                    follows::created_at.eq(ts(now)),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            if inserted == 1 {
                enqueue(
                    conn,
                    &[Announcement::follow(follow.follower(), follow.followee())],
                )
                .await?;
            }
            let notification = if should_notify_follow(last_notified.map(instant), now) {
                diesel::insert_into(follow_notifications::table)
                    .values((
                        follow_notifications::follower_id.eq(follower),
                        follow_notifications::followee_id.eq(followee),
                        follow_notifications::last_notified_at.eq(ts(now)),
                    ))
                    .on_conflict((
                        follow_notifications::follower_id,
                        follow_notifications::followee_id,
                    ))
                    .do_update()
                    .set(follow_notifications::last_notified_at.eq(ts(now)))
                    .execute(conn)
                    .await?;
                let nickname =
                    Nickname::parse(&lock.nickname).map_err(|e| corrupt("nickname", e))?;
                let draft =
                    NotificationDraft::follow(follow.followee(), follow.follower(), &nickname);
                insert_drafts(conn, &[draft], now).await?.into_iter().next()
            } else {
                None
            };
            Ok::<_, TxError<StorageError>>(FollowOutcome {
                created: inserted == 1,
                notification,
            })
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn unfollow(
        &self,
        follower: UserId,
        followee: UserId,
    ) -> Result<UnfollowOutcome, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async move |conn| {
            CachedSql::new(LOCK_PAIR)
                .bind::<BigInt, _>(follower.get())
                .bind::<BigInt, _>(followee.get())
                .execute(conn)
                .await?;
            let deleted = diesel::delete(
                follows::table
                    .filter(follows::follower_id.eq(follower.get()))
                    .filter(follows::followee_id.eq(followee.get())),
            )
            .execute(conn)
            .await?;
            if deleted == 0 {
                return Ok(UnfollowOutcome::default());
            }
            // The reverse follow, by primary key: if it stands, the pair were friends until
            // this delete, and each one's clients must stop showing the other's timers.
            let ended_friendship: bool = diesel::select(diesel::dsl::exists(
                follows::table.find((followee.get(), follower.get())),
            ))
            .get_result(conn)
            .await?;
            enqueue(
                conn,
                &[Announcement::unfollow(follower, followee, ended_friendship)],
            )
            .await?;
            Ok::<_, TxError<StorageError>>(UnfollowOutcome {
                removed: true,
                ended_friendship,
            })
        })
        .await
        .inspect(|_| kick())
        .map_err(TxError::into_port)
    }

    async fn followers(
        &self,
        user: UserId,
        page: PageRequest<UserId>,
    ) -> Result<Page<User, UserId>, StorageError> {
        self.user_page(FOLLOWERS, user, page).await
    }

    async fn following(
        &self,
        user: UserId,
        page: PageRequest<UserId>,
    ) -> Result<Page<User, UserId>, StorageError> {
        self.user_page(FOLLOWING, user, page).await
    }

    async fn friends(
        &self,
        user: UserId,
        page: PageRequest<UserId>,
    ) -> Result<Page<User, UserId>, StorageError> {
        self.user_page(FRIENDS, user, page).await
    }

    async fn friend_ids(&self, user: UserId) -> Result<Vec<UserId>, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<IdRow> = CachedSql::new(FRIEND_IDS)
            .bind::<BigInt, _>(user.get())
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(rows.into_iter().map(|r| UserId::new(r.id)).collect())
    }
}
