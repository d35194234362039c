//! [`UserRepository`] on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hourglass_domain::ids::UserId;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::FieldUpdate;
use hourglass_ports::error::StorageError;
use hourglass_ports::user::{
    DeleteAccountError, DeletedAccount, Identity, InitialProfile, ProfileUpdate, SignIn,
    SignInError, UpdateUserError, User, UserRepository,
};

use super::account;
use crate::error::{DbError, TxError};
use crate::outbox::kick;
use crate::pool::PgPool;
use crate::rows::{UserRow, instant, ts};
use crate::schema::{deleted_accounts, users};

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
        sign_in: &SignIn,
        initial: InitialProfile,
        now: Timestamp,
    ) -> Result<User, SignInError> {
        let Identity { issuer, subject } = &sign_in.identity;
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        // The common case (a known user) is one SELECT.
        if let Some(user) = find_identity(&mut conn, issuer, subject).await? {
            return Ok(user);
        }
        if sign_in.claims_legacy_users {
            // A user created before identities had an issuer belongs to the primary source.
            let claimed: Option<UserRow> = diesel::update(
                users::table
                    .filter(users::issuer.eq(LEGACY_ISSUER))
                    .filter(users::subject.eq(subject)),
            )
            .set(users::issuer.eq(issuer))
            .returning(UserRow::as_returning())
            .get_result(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
            if let Some(row) = claimed {
                return Ok(User::try_from(row)?);
            }
        }
        let deleted_at: Option<DateTime<Utc>> = deleted_accounts::table
            .find((issuer, subject))
            .select(deleted_accounts::deleted_at)
            .first(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        if let Some(deleted_at) = deleted_at {
            if !account::may_recreate(sign_in.issued_at, instant(deleted_at)) {
                return Err(SignInError::AccountDeleted);
            }
            diesel::delete(deleted_accounts::table.find((issuer, subject)))
                .execute(&mut conn)
                .await
                .map_err(DbError::from)?;
        }
        // ON CONFLICT DO NOTHING waits for a concurrent insert of the same identity to commit
        // and then inserts nothing; the SELECT after it (a new statement, a new snapshot) sees
        // that row. So concurrent first requests create one user, and claims never overwrite an
        // existing profile.
        let inserted: Option<UserRow> = diesel::insert_into(users::table)
            .values((
                users::issuer.eq(issuer),
                users::subject.eq(subject),
                users::nickname.eq(initial.nickname.as_str()),
                users::profile_image.eq(initial.profile_image.as_ref().map(|p| p.as_str())),
                users::created_at.eq(ts(now)),
                users::updated_at.eq(ts(now)),
            ))
            .on_conflict((users::issuer, users::subject))
            .do_nothing()
            .returning(UserRow::as_returning())
            .get_result(&mut conn)
            .await
            .optional()
            .map_err(DbError::from)?;
        match inserted {
            Some(row) => Ok(User::try_from(row)?),
            None => find_identity(&mut conn, issuer, subject)
                .await?
                .ok_or_else(|| DbError::from(diesel::result::Error::NotFound).into()),
        }
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

    async fn delete(
        &self,
        id: UserId,
        now: Timestamp,
    ) -> Result<DeletedAccount, DeleteAccountError> {
        let mut conn = self.pool.get().await.map_err(DbError::from)?;
        conn.transaction(async move |conn| account::delete(conn, id, now).await)
            .await
            .inspect(|_| kick())
            .map_err(TxError::into_port)
    }
}

/// The issuer of the users created before identities had one (see the migration
/// `2026-01-05-000001_account_deletion`).
const LEGACY_ISSUER: &str = "";

/// The user of this identity, if any.
async fn find_identity(
    conn: &mut AsyncPgConnection,
    issuer: &str,
    subject: &str,
) -> Result<Option<User>, DbError> {
    let row: Option<UserRow> = users::table
        .filter(users::issuer.eq(issuer))
        .filter(users::subject.eq(subject))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()?;
    row.map(User::try_from).transpose()
}
