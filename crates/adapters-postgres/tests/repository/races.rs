//! The race audit (issue 17, `docs/reliability.md`): every path that locks one row and decides
//! from other rows, run by several requests at once, each on its own pool connection and released
//! together behind a barrier, then its invariant checked in the database. Each test runs
//! [`TRIALS`] trials with a handful of rows each.
//!
//! Under READ COMMITTED a statement that waited for a row lock re-reads only the locked row; any
//! other row it reads (a join, a subquery) is still the one from before the wait. So a path must
//! take its lock in a statement of its own and read what it decides from in the next statements.

use std::future::Future;
use std::sync::Arc;

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl as _;
use hourglass_adapters_postgres::repository::PgMeetupRepository;
use hourglass_domain::ids::{MeetupId, UserId};
use hourglass_domain::meetup::{Capacity, MeetupDescription, MeetupError, MeetupTitle, NewMeetup};
use hourglass_ports::meetup::{MeetupAction, MeetupActionError, MeetupRepository};
use hourglass_test_support::TestDatabase;
use tokio::sync::Barrier;

use crate::support::{at, database, user};

/// Trials per path.
const TRIALS: usize = 200;

/// Runs `requests` at once: each is spawned, waits at one barrier with the others, then runs.
/// The outcomes come back in the order given. The test pool has as many connections as the
/// largest batch here (4), so each request holds its own connection.
async fn together<T, F>(requests: Vec<F>) -> anyhow::Result<Vec<T>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                request.await
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await?);
    }
    Ok(outcomes)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The value of a `SELECT count(*) AS n …` written by the test itself.
async fn count(db: &TestDatabase, sql: String) -> anyhow::Result<i64> {
    let mut conn = db.pool().get().await?;
    let row: Count = diesel::sql_query(sql).get_result(&mut conn).await?;
    Ok(row.n)
}

// ---------------------------------------------------------------------------------------------
// Meetups: join, leave and cancel decide from the participant list.

fn new_meetup(host: UserId, capacity: Option<i64>) -> anyhow::Result<NewMeetup> {
    Ok(NewMeetup {
        host_id: host,
        title: MeetupTitle::parse("Study")?,
        description: MeetupDescription::empty(),
        starts_at: at(3_600),
        capacity: capacity.map(Capacity::new).transpose()?,
    })
}

async fn users(db: &TestDatabase, prefix: &str, n: usize) -> anyhow::Result<Vec<UserId>> {
    let mut made = Vec::with_capacity(n);
    for i in 0..n {
        made.push(user(db, &format!("{prefix}{i}")).await?);
    }
    Ok(made)
}

/// Notifications of `kind` about `meetup`.
async fn meetup_notifications(
    db: &TestDatabase,
    meetup: MeetupId,
    kind: &str,
) -> anyhow::Result<i64> {
    count(
        db,
        format!(
            "SELECT count(*) AS n FROM notifications WHERE related_id = {} AND kind = '{kind}'",
            meetup.get()
        ),
    )
    .await
}

async fn participants(db: &TestDatabase, meetup: MeetupId) -> anyhow::Result<i64> {
    count(
        db,
        format!(
            "SELECT count(*) AS n FROM meetup_participants WHERE meetup_id = {}",
            meetup.get()
        ),
    )
    .await
}

fn is_rejected(outcome: &Result<impl std::fmt::Debug, MeetupActionError>, e: MeetupError) -> bool {
    matches!(outcome, Err(MeetupActionError::Rejected(refused)) if *refused == e)
}

/// Four guests join a meetup of capacity 2 (the host and one guest) at once: one is admitted,
/// three are refused as `Full`, the table holds two participants and the host one `ENTER`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_joins_never_overfill_a_meetup() -> anyhow::Result<()> {
    let db = database().await?;
    let host = user(&db, "host").await?;
    let guests = users(&db, "guest", 4).await?;
    let meetups = PgMeetupRepository::new(db.pool());
    for trial in 0..TRIALS {
        let meetup = meetups.create(new_meetup(host, Some(2))?, at(0)).await?;
        let id = meetup.meetup.id();
        let joins = guests
            .iter()
            .map(|&guest| {
                let meetups = meetups.clone();
                async move { meetups.apply(id, MeetupAction::Join(guest), at(1)).await }
            })
            .collect();
        let outcomes = together(joins).await?;
        let admitted = outcomes.iter().filter(|o| o.is_ok()).count();
        let full = outcomes
            .iter()
            .filter(|o| is_rejected(o, MeetupError::Full))
            .count();
        assert_eq!((admitted, full), (1, 3), "trial {trial}: {outcomes:?}");
        assert_eq!(participants(&db, id).await?, 2, "trial {trial}");
        assert_eq!(
            meetup_notifications(&db, id, "ENTER").await?,
            1,
            "trial {trial}"
        );
    }
    db.cleanup().await?;
    Ok(())
}

/// One guest leaves the same meetup four times at once: one leave applies, three are refused as
/// `NotAParticipant`, and the host gets one `EXIT`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_leaves_of_one_guest_apply_once() -> anyhow::Result<()> {
    let db = database().await?;
    let host = user(&db, "host").await?;
    let guest = user(&db, "guest").await?;
    let meetups = PgMeetupRepository::new(db.pool());
    for trial in 0..TRIALS {
        let meetup = meetups.create(new_meetup(host, None)?, at(0)).await?;
        let id = meetup.meetup.id();
        meetups.apply(id, MeetupAction::Join(guest), at(1)).await?;
        let leaves = (0..4)
            .map(|_| {
                let meetups = meetups.clone();
                async move { meetups.apply(id, MeetupAction::Leave(guest), at(2)).await }
            })
            .collect();
        let outcomes = together(leaves).await?;
        let left = outcomes.iter().filter(|o| o.is_ok()).count();
        let refused = outcomes
            .iter()
            .filter(|o| is_rejected(o, MeetupError::NotAParticipant))
            .count();
        assert_eq!((left, refused), (1, 3), "trial {trial}: {outcomes:?}");
        assert_eq!(participants(&db, id).await?, 1, "trial {trial}");
        assert_eq!(
            meetup_notifications(&db, id, "EXIT").await?,
            1,
            "trial {trial}"
        );
    }
    db.cleanup().await?;
    Ok(())
}

/// The host cancels while three guests join: every guest admitted (before the cancel, so still
/// listed) gets the cancel notification, every other one is refused as `Cancelled`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_notifies_every_guest_admitted_before_it() -> anyhow::Result<()> {
    let db = database().await?;
    let host = user(&db, "host").await?;
    let guests = users(&db, "guest", 3).await?;
    let meetups = PgMeetupRepository::new(db.pool());
    for trial in 0..TRIALS {
        let meetup = meetups.create(new_meetup(host, None)?, at(0)).await?;
        let id = meetup.meetup.id();
        let mut actions = vec![MeetupAction::Cancel(host)];
        actions.extend(guests.iter().map(|&guest| MeetupAction::Join(guest)));
        let requests = actions
            .into_iter()
            .map(|action| {
                let meetups = meetups.clone();
                async move { meetups.apply(id, action, at(1)).await }
            })
            .collect();
        let outcomes = together(requests).await?;
        let Some((Ok(cancelled), joins)) = outcomes.split_first() else {
            panic!("trial {trial}: the cancel failed: {outcomes:?}")
        };
        let admitted = joins.iter().filter(|o| o.is_ok()).count();
        let refused = joins
            .iter()
            .filter(|o| is_rejected(o, MeetupError::Cancelled))
            .count();
        assert_eq!(
            admitted + refused,
            guests.len(),
            "trial {trial}: {outcomes:?}"
        );
        let admitted = i64::try_from(admitted)?;
        assert_eq!(participants(&db, id).await?, 1 + admitted, "trial {trial}");
        assert_eq!(
            i64::try_from(cancelled.notifications.len())?,
            admitted,
            "trial {trial}"
        );
        assert_eq!(
            meetup_notifications(&db, id, "CANCLE").await?,
            admitted,
            "trial {trial}"
        );
    }
    db.cleanup().await?;
    Ok(())
}
