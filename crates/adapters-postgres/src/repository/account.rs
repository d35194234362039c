//! Deleting an account ([`UserRepository::delete`](hourglass_ports::user::UserRepository::delete)),
//! in one transaction on the caller's connection.
//!
//! Order matters: the user row is locked first (a second deletion waits, then finds nothing);
//! what others are shown is read and the meetups are settled while the account still exists;
//! then the caused notifications are renamed, the tombstone written, and the user row deleted,
//! whose foreign keys remove everything else (`ON DELETE CASCADE`) and detach the notifications
//! it caused (`actor_id`, `ON DELETE SET NULL`). The announcement goes last, so every instance
//! hears it only if all of this commits.

use diesel::OptionalExtension;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use hourglass_domain::ids::{MeetupId, UserId};
use hourglass_domain::meetup::MeetupStatus;
use hourglass_domain::notification::{NotificationDraft, NotificationKind};
use hourglass_domain::profile::Nickname;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::Timer;
use hourglass_ports::user::{DeleteAccountError, DeletedAccount};

use super::follow::FRIEND_IDS;
use super::meetup;
use super::notification::insert_drafts;
use super::timer::LIST_ACTIVE;
use crate::error::{DbError, TxError, corrupt};
use crate::event_bus::Announcement;
use crate::outbox::enqueue;
use crate::rows::{TimerRow, ts};
use crate::schema::{deleted_accounts, meetup_participants, users};
use crate::statement::CachedSql;

/// The OPEN meetups the user hosts or joined, locked in id order (so two deletions, or a
/// deletion and a join, never wait on each other in a cycle).
const LOCK_OPEN_MEETUPS: &str = "\
SELECT m.id FROM meetups m \
WHERE m.status = 'OPEN' \
  AND (m.host_id = $1 \
       OR EXISTS (SELECT 1 FROM meetup_participants p \
                  WHERE p.meetup_id = m.id AND p.user_id = $1)) \
ORDER BY m.id FOR UPDATE OF m";

/// The notifications `$2` caused that name it in their message, renamed (to others only: the
/// user's own inbox goes with the account).
const RENAME_CAUSED: &str = "\
UPDATE notifications SET message = $1 \
WHERE actor_id = $2 AND kind = $3 AND receiver_id <> $2";

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Deletes `user`'s account; see the module documentation.
pub(super) async fn delete(
    conn: &mut AsyncPgConnection,
    user: UserId,
    now: Timestamp,
) -> Result<DeletedAccount, TxError<DeleteAccountError>> {
    let identity: Option<(String, String)> = users::table
        .find(user.get())
        .select((users::issuer, users::subject))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let Some((issuer, subject)) = identity else {
        return Err(TxError::Refused(DeleteAccountError::NotFound));
    };
    let friends: Vec<UserId> = CachedSql::new(FRIEND_IDS)
        .bind::<BigInt, _>(user.get())
        .load::<IdRow>(conn)
        .await?
        .into_iter()
        .map(|row| UserId::new(row.id))
        .collect();
    let active_timers = CachedSql::new(LIST_ACTIVE)
        .bind::<BigInt, _>(user.get())
        .load::<TimerRow>(conn)
        .await?
        .into_iter()
        .map(Timer::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    // Stored as they will read once the user is gone (announced as such too).
    let drafts: Vec<NotificationDraft> = settle_meetups(conn, user, now)
        .await?
        .into_iter()
        .map(NotificationDraft::of_deleted_actor)
        .collect();
    let notifications = insert_drafts(conn, &drafts, now).await?;
    rename_caused_notifications(conn, user).await?;
    diesel::insert_into(deleted_accounts::table)
        .values((
            deleted_accounts::issuer.eq(&issuer),
            deleted_accounts::subject.eq(&subject),
            deleted_accounts::deleted_at.eq(ts(now)),
        ))
        .on_conflict((deleted_accounts::issuer, deleted_accounts::subject))
        .do_update()
        .set(deleted_accounts::deleted_at.eq(ts(now)))
        .execute(conn)
        .await?;
    diesel::delete(users::table.find(user.get()))
        .execute(conn)
        .await?;
    let hidden: Vec<&Timer> = active_timers
        .iter()
        .filter(|timer| hourglass_ports::service::delivery::hidden_on_unfollow(timer))
        .collect();
    enqueue(
        conn,
        &Announcement::account_deleted(user, &friends, &hidden),
    )
    .await?;
    Ok(DeletedAccount {
        friends,
        active_timers,
        notifications,
    })
}

/// Cancels the OPEN meetups `user` hosts and leaves those they joined, as the host cancelling
/// and the guest leaving would (the domain's rules, the same notifications), under the deleted
/// user's name; returns the notifications to store. Hosted meetups are then removed with the
/// account; a left meetup stays, one participant shorter.
async fn settle_meetups(
    conn: &mut AsyncPgConnection,
    user: UserId,
    now: Timestamp,
) -> Result<Vec<NotificationDraft>, DbError> {
    let locked: Vec<IdRow> = CachedSql::new(LOCK_OPEN_MEETUPS)
        .bind::<BigInt, _>(user.get())
        .load(conn)
        .await?;
    let name = Nickname::deleted_user();
    let mut drafts = Vec::new();
    for IdRow { id } in locked {
        let id = MeetupId::new(id);
        let Some(mut found) = meetup::load(conn, id).await? else {
            continue;
        };
        if found.status() != MeetupStatus::Open {
            continue;
        }
        if found.host_id() == user {
            let receivers = found
                .cancel(user, now)
                .map_err(|e| corrupt("meetup cancel", e))?;
            drafts.extend(
                receivers
                    .into_iter()
                    .map(|receiver| NotificationDraft::meetup_cancelled(receiver, user, &name, id)),
            );
        } else {
            found
                .leave(user, now)
                .map_err(|e| corrupt("meetup leave", e))?;
            diesel::delete(
                meetup_participants::table
                    .filter(meetup_participants::meetup_id.eq(id.get()))
                    .filter(meetup_participants::user_id.eq(user.get())),
            )
            .execute(conn)
            .await?;
            meetup::touch(conn, &found).await?;
            drafts.push(NotificationDraft::meetup_exited(
                found.host_id(),
                user,
                &name,
                id,
            ));
        }
    }
    Ok(drafts)
}

/// Every notification `user` caused, to others, reads with the deleted user's name.
async fn rename_caused_notifications(
    conn: &mut AsyncPgConnection,
    user: UserId,
) -> Result<(), DbError> {
    for kind in NotificationKind::ALL {
        let Some(message) = kind.message_of_deleted_actor() else {
            continue;
        };
        CachedSql::new(RENAME_CAUSED)
            .bind::<Text, _>(message)
            .bind::<BigInt, _>(user.get())
            .bind::<Text, _>(kind.as_str())
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Whether a token issued at `issued_at` may create a new account for an identity deleted at
/// `deleted_at`: only one issued after the deletion (a token without `iat` never may).
pub(super) fn may_recreate(issued_at: Option<Timestamp>, deleted_at: Timestamp) -> bool {
    issued_at.is_some_and(|issued| issued > deleted_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        let Some(t) = Timestamp::from_unix_seconds(seconds) else {
            panic!("in range")
        };
        t
    }

    #[test]
    fn only_a_token_issued_after_the_deletion_may_recreate_the_account() {
        assert!(!may_recreate(None, at(100)));
        assert!(!may_recreate(Some(at(99)), at(100)));
        assert!(!may_recreate(Some(at(100)), at(100)));
        assert!(may_recreate(Some(at(101)), at(100)));
    }
}
