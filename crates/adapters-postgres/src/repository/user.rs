//! [`UserRepository`] on PostgreSQL.

use async_trait::async_trait;
use diesel::OptionalExtension;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::FieldUpdate;
use hourglass_ports::error::StorageError;
use hourglass_ports::user::{InitialProfile, ProfileUpdate, UpdateUserError, User, UserRepository};

use crate::error::{DbError, TxError};
use crate::pool::PgPool;
use crate::rows::{UserRow, ts};
use crate::schema::users;

/// [`UserRepository`] over the shared pool.
#[derive(Clone)]
pub struct PgUserRepository {
    pool: PgPool,
}

impl PgUserRepository {
    /// A repository using `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl std::fmt::Debug for PgUserRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgUserRepository").finish_non_exhaustive()
    }
}

#[async_trait]
impl UserRepository for PgUserRepository {
    async fn find_or_create(
        &self,
        subject: &str,
        initial: InitialProfile,
        now: Timestamp,
    ) -> Result<User, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        // The common case (a known user) is one SELECT. On a miss, ON CONFLICT DO NOTHING waits
        // for a concurrent insert of the same subject to commit and then inserts nothing; the
        // SELECT after it (a new statement, a new snapshot) sees that row. So concurrent first
        // requests create one user, and claims never overwrite an existing profile.
        let existing: Option<UserRow> = users::table
            .filter(users::subject.eq(subject))
            .select(UserRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        if let Some(row) = existing {
            return Ok(User::try_from(row)?);
        }
        let inserted: Option<UserRow> = diesel::insert_into(users::table)
            .values((
                users::subject.eq(subject),
                users::nickname.eq(initial.nickname.as_str()),
                users::profile_image.eq(initial.profile_image.as_ref().map(|p| p.as_str())),
                users::created_at.eq(ts(now)),
                users::updated_at.eq(ts(now)),
            ))
            .on_conflict(users::subject)
            .do_nothing()
            .returning(UserRow::as_returning())
            .get_result(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        let row = match inserted {
            Some(row) => row,
            None => users::table
                .filter(users::subject.eq(subject))
                .select(UserRow::as_select())
                .first(&mut conn)
                .await
                .map_err(DbError::from)?,
        };
        Ok(User::try_from(row)?)
    }

    async fn find(&self, id: UserId) -> Result<Option<User>, StorageError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let row: Option<UserRow> = users::table
            .find(id.get())
            .select(UserRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        Ok(row.map(User::try_from).transpose()?)
    }

    async fn find_many(&self, ids: &[UserId]) -> Result<Vec<User>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<i64> = ids.iter().map(|id| id.get()).collect();
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        let rows: Vec<UserRow> = users::table
            .filter(users::id.eq_any(raw))
            .select(UserRow::as_select())
            .load(&mut conn)
            .await
            .map_err(DbError::from)?;
        Ok(rows
            .into_iter()
            .map(User::try_from)
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn update_profile(
        &self,
        id: UserId,
        update: ProfileUpdate,
        now: Timestamp,
    ) -> Result<User, UpdateUserError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async move |conn| {
            let Some(row) = users::table
                .find(id.get())
                .select(UserRow::as_select())
                .for_update()
                .first(conn)
                .await
                .optional()?
            else {
                return Err(TxError::Refused(UpdateUserError::NotFound));
            };
            let mut user = User::try_from(row)?;
            let mut changed = false;
            if let Some(nickname) = update.nickname
                && nickname != user.nickname
            {
                user.nickname = nickname;
                changed = true;
            }
            let image = match update.profile_image {
                FieldUpdate::Keep => user.profile_image.clone(),
                FieldUpdate::Clear => None,
                FieldUpdate::Set(image) => Some(image),
            };
            if image != user.profile_image {
                user.profile_image = image;
                changed = true;
            }
            if !changed {
                return Ok(user);
            }
            user.updated_at = now.max(user.updated_at);
            diesel::update(users::table.find(id.get()))
                .set((
                    users::nickname.eq(user.nickname.as_str()),
                    users::profile_image.eq(user.profile_image.as_ref().map(|p| p.as_str())),
                    users::updated_at.eq(ts(user.updated_at)),
                ))
                .execute(conn)
                .await?;
            Ok(user)
        })
        .await
        .map_err(TxError::into_port)
    }
}
