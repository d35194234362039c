//! The race audit (issue 17, `docs/reliability.md`): every path that locks one row and decides
//! from other rows, run by several requests at once, each on its own pool connection and released
//! together behind a barrier, then its invariant checked in the database. Each test runs
//! [`TRIALS`] trials with a handful of rows each.
//!
//! Under READ COMMITTED a statement that waited for a row lock re-reads only the locked row; any
//! other row it reads (a join, a subquery) is still the one from before the wait. So a path must
//! take its lock in a statement of its own and read what it decides from in the next statements.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::{RunQueryDsl as _, SimpleAsyncConnection as _};
use futures_util::StreamExt as _;
use hourglass_adapters_postgres::repository::{
    PgAlarmRepository, PgFollowRepository, PgMeetupRepository, PgNotificationRepository,
    PgScheduleRepository, PgTagRepository, PgTimerRepository, PgTodoRepository,
};
use hourglass_domain::follow::Follow;
use hourglass_domain::ids::{MeetupId, TagId, UserId};
use hourglass_domain::meetup::{Capacity, MeetupDescription, MeetupError, MeetupTitle, NewMeetup};
use hourglass_domain::notification::NotificationDraft;
use hourglass_domain::timer::alarm::AlarmPolicy;
use hourglass_domain::timer::{FieldUpdate, Timer, TimerCommand, TimerPatch};
use hourglass_ports::alarm::AlarmRepository;
use hourglass_ports::follow::FollowRepository;
use hourglass_ports::meetup::{MeetupAction, MeetupActionError, MeetupRepository};
use hourglass_ports::notification::NotificationRepository;
use hourglass_ports::planning::{ScheduleRepository, TagRepository, TodoRepository};
use hourglass_ports::processed::{CommandKey, Idempotent};
use hourglass_ports::timer::{TimerRepository, UpdateTimerError};
use hourglass_test_support::TestDatabase;
use tokio::sync::Barrier;

use crate::events::{Listening, listener};
use crate::inbox::{Said, next_for};
use crate::support::{TimerSpec, at, database, schedule, tag, timer_with, title, todo, user};

/// Trials per path.
const TRIALS: usize = 200;

/// One request of a trial, boxed so that requests of different kinds go into one batch.
type Boxed<T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send>>;

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

// ---------------------------------------------------------------------------------------------
// Timers: the command lock and the tag ids it reads; the deletes that bump timers.

/// What a timer request left: the timers it changed, as it returned them, or a refusal the
/// test allows.
#[derive(Debug)]
enum Applied {
    Timers(Vec<Timer>),
    Refused,
}

type Request = Boxed<Applied>;

/// [`together`], failing on the first request that failed.
async fn all_applied(requests: Vec<Request>) -> anyhow::Result<Vec<Applied>> {
    together(requests).await?.into_iter().collect()
}

fn command(timers: &PgTimerRepository, timer: &Timer, command: TimerCommand) -> Request {
    let (timers, owner, id) = (timers.clone(), timer.owner_id(), timer.id());
    Box::pin(async move {
        let done = timers.apply_command(owner, id, command, at(20)).await?;
        Ok(Applied::Timers(vec![done]))
    })
}

/// `update_details` with `patch`; a link to an object deleted meanwhile is an allowed refusal.
fn update(timers: &PgTimerRepository, timer: &Timer, patch: TimerPatch) -> Request {
    let (timers, owner, id) = (timers.clone(), timer.owner_id(), timer.id());
    Box::pin(async move {
        match timers.update_details(owner, id, patch, at(20)).await {
            Ok(patched) => Ok(Applied::Timers(vec![patched.timer])),
            Err(UpdateTimerError::UnknownLink(_)) => Ok(Applied::Refused),
            Err(error) => Err(error.into()),
        }
    })
}

fn renamed(to: &str) -> TimerPatch {
    TimerPatch {
        title: FieldUpdate::Set(Some(title(to))),
        ..TimerPatch::default()
    }
}

fn tagged(tags: Vec<TagId>) -> TimerPatch {
    TimerPatch {
        tag_ids: FieldUpdate::Set(tags),
        ..TimerPatch::default()
    }
}

fn changed(outcome: &Applied) -> &[Timer] {
    match outcome {
        Applied::Timers(timers) => timers,
        Applied::Refused => &[],
    }
}

/// Every change of a timer bumps its version and is returned by exactly one request, so the
/// timers the requests returned are, per timer, versions 2, 3, … of it, and the last one is the
/// stored timer, tag ids included.
async fn each_version_returned_once_and_last_stored(
    timers: &PgTimerRepository,
    trial: usize,
    started: &[Timer],
    outcomes: &[Applied],
) -> anyhow::Result<()> {
    for timer in started {
        let Some(stored) = timers.find(timer.id()).await? else {
            panic!("trial {trial}: timer {:?} is gone", timer.id())
        };
        let mut returned: Vec<&Timer> = outcomes
            .iter()
            .flat_map(changed)
            .filter(|t| t.id() == timer.id())
            .collect();
        returned.sort_by_key(|t| t.version());
        let versions: Vec<i64> = returned.iter().map(|t| t.version()).collect();
        let expected: Vec<i64> = (2..=stored.version()).collect();
        assert_eq!(versions, expected, "trial {trial}: {outcomes:#?}");
        if let Some(last) = returned.last() {
            assert_eq!(
                *last, &stored,
                "trial {trial}: the last change returned is stored"
            );
        }
    }
    Ok(())
}

/// A tag is deleted while the timer that carries it is paused and renamed twice: a command that
/// waited for the timer's lock returns the tags the timer has once it holds the lock, so every
/// timer returned after the delete's bump lacks the tag and every one before it still has it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_command_that_waited_for_the_lock_returns_the_tags_as_they_are() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let tags = PgTagRepository::new(db.pool());
    for trial in 0..TRIALS {
        let (doomed, kept) = (
            tag(alice, &format!("x{trial}")),
            tag(alice, &format!("y{trial}")),
        );
        tags.insert(&doomed).await?;
        tags.insert(&kept).await?;
        let running = timer_with(
            alice,
            at(0),
            TimerSpec {
                tag_ids: vec![doomed.id, kept.id],
                ..TimerSpec::default()
            },
        );
        timers.insert(&running).await?;
        let delete: Request = {
            let (tags, id) = (tags.clone(), doomed.id);
            Box::pin(async move { Ok(Applied::Timers(tags.delete(alice, id, at(20)).await?)) })
        };
        let requests = vec![
            delete,
            command(&timers, &running, TimerCommand::Pause),
            update(&timers, &running, renamed("a")),
            update(&timers, &running, renamed("b")),
        ];
        let outcomes = all_applied(requests).await?;
        each_version_returned_once_and_last_stored(
            &timers,
            trial,
            std::slice::from_ref(&running),
            &outcomes,
        )
        .await?;
        let [bumped] = changed(&outcomes[0]) else {
            panic!("trial {trial}: the delete bumped {outcomes:#?}")
        };
        for returned in outcomes.iter().flat_map(changed) {
            assert_eq!(
                returned.tag_ids().contains(&doomed.id),
                returned.version() < bumped.version(),
                "trial {trial}: {outcomes:#?}"
            );
        }
    }
    db.cleanup().await?;
    Ok(())
}

/// A tag is deleted while three untagged timers are given it: each timer whose link committed
/// first is unlinked, bumped and returned by the delete; each one whose link came after is
/// refused (`UnknownLink`). No link to the tag remains.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tag_delete_unlinks_every_timer_linked_before_it() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let tags = PgTagRepository::new(db.pool());
    for trial in 0..TRIALS {
        let doomed = tag(alice, &format!("x{trial}"));
        tags.insert(&doomed).await?;
        let started: Vec<Timer> = (0..3)
            .map(|_| timer_with(alice, at(0), TimerSpec::default()))
            .collect();
        for timer in &started {
            timers.insert(timer).await?;
        }
        let delete: Request = {
            let (tags, id) = (tags.clone(), doomed.id);
            Box::pin(async move { Ok(Applied::Timers(tags.delete(alice, id, at(20)).await?)) })
        };
        let mut requests = vec![delete];
        requests.extend(
            started
                .iter()
                .map(|timer| update(&timers, timer, tagged(vec![doomed.id]))),
        );
        let outcomes = all_applied(requests).await?;
        each_version_returned_once_and_last_stored(&timers, trial, &started, &outcomes).await?;
        for (timer, outcome) in started.iter().zip(&outcomes[1..]) {
            let unlinked = changed(&outcomes[0]).iter().any(|t| t.id() == timer.id());
            assert_eq!(
                matches!(outcome, Applied::Timers(_)),
                unlinked,
                "trial {trial}: {outcomes:#?}"
            );
        }
        let links = count(
            &db,
            format!(
                "SELECT count(*) AS n FROM timer_tags WHERE tag_id = '{}'",
                doomed.id.get()
            ),
        )
        .await?;
        assert_eq!(links, 0, "trial {trial}");
    }
    db.cleanup().await?;
    Ok(())
}

#[derive(Clone, Copy)]
enum Parent {
    Schedule,
    Todo,
}

/// A schedule (or todo) is deleted while: one of its two timers gets new tags, the other is
/// renamed, and a third timer is linked to it. Every timer the delete unlinks is returned with
/// the tags it has once locked; the third is unlinked by the delete exactly when its link
/// committed first (otherwise it is refused), and no timer keeps the link.
async fn a_parent_delete_returns_its_timers_as_they_are(parent: Parent) -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let tags = PgTagRepository::new(db.pool());
    let schedules = PgScheduleRepository::new(db.pool());
    let todos = PgTodoRepository::new(db.pool());
    let (old, new) = (tag(alice, "old"), tag(alice, "new"));
    tags.insert(&old).await?;
    tags.insert(&new).await?;
    for trial in 0..TRIALS {
        let (parent_spec, link, delete): (TimerSpec, TimerPatch, Request) = match parent {
            Parent::Schedule => {
                let made = schedule(alice, vec![]);
                schedules.insert(&made).await?;
                let schedules = schedules.clone();
                (
                    TimerSpec {
                        schedule_id: Some(made.id),
                        ..TimerSpec::default()
                    },
                    TimerPatch {
                        schedule_id: FieldUpdate::Set(Some(made.id)),
                        ..TimerPatch::default()
                    },
                    Box::pin(async move {
                        Ok(Applied::Timers(
                            schedules.delete(alice, made.id, at(20)).await?,
                        ))
                    }),
                )
            }
            Parent::Todo => {
                let made = todo(alice, vec![]);
                todos.insert(&made).await?;
                let todos = todos.clone();
                (
                    TimerSpec {
                        todo_id: Some(made.id),
                        ..TimerSpec::default()
                    },
                    TimerPatch {
                        todo_id: FieldUpdate::Set(Some(made.id)),
                        ..TimerPatch::default()
                    },
                    Box::pin(async move {
                        Ok(Applied::Timers(todos.delete(alice, made.id, at(20)).await?))
                    }),
                )
            }
        };
        let child = || {
            timer_with(
                alice,
                at(0),
                TimerSpec {
                    schedule_id: parent_spec.schedule_id,
                    todo_id: parent_spec.todo_id,
                    tag_ids: vec![old.id],
                    ..TimerSpec::default()
                },
            )
        };
        let (retagged, renamed_one) = (child(), child());
        let linked = timer_with(alice, at(0), TimerSpec::default());
        let started = vec![retagged, renamed_one, linked];
        for timer in &started {
            timers.insert(timer).await?;
        }
        let requests = vec![
            delete,
            update(&timers, &started[0], tagged(vec![new.id])),
            update(&timers, &started[1], renamed("renamed")),
            update(&timers, &started[2], link),
        ];
        let outcomes = all_applied(requests).await?;
        assert!(
            matches!(outcomes[1..3], [Applied::Timers(_), Applied::Timers(_)]),
            "trial {trial}: {outcomes:#?}"
        );
        each_version_returned_once_and_last_stored(&timers, trial, &started, &outcomes).await?;
        let unlinked_third = changed(&outcomes[0])
            .iter()
            .any(|t| t.id() == started[2].id());
        assert_eq!(
            matches!(outcomes[3], Applied::Timers(_)),
            unlinked_third,
            "trial {trial}: {outcomes:#?}"
        );
        for timer in &started {
            let Some(stored) = timers.find(timer.id()).await? else {
                panic!("trial {trial}: timer gone")
            };
            assert_eq!(
                (stored.schedule_id(), stored.todo_id()),
                (None, None),
                "trial {trial}"
            );
        }
    }
    db.cleanup().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_schedule_delete_returns_its_timers_as_they_are() -> anyhow::Result<()> {
    a_parent_delete_returns_its_timers_as_they_are(Parent::Schedule).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_todo_delete_returns_its_timers_as_they_are() -> anyhow::Result<()> {
    a_parent_delete_returns_its_timers_as_they_are(Parent::Todo).await
}

fn tag_delete(tags: &PgTagRepository, owner: UserId, id: TagId) -> Request {
    let tags = tags.clone();
    Box::pin(async move { Ok(Applied::Timers(tags.delete(owner, id, at(20)).await?)) })
}

/// Four tags of the same two timers are deleted at once: each delete returns both timers as it
/// left them (one tag fewer per version), and the last returned is the stored timer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_tag_deletes_return_each_timer_as_they_left_it() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let tags = PgTagRepository::new(db.pool());
    for trial in 0..TRIALS {
        let doomed: Vec<_> = (0..4)
            .map(|i| tag(alice, &format!("t{trial}-{i}")))
            .collect();
        for made in &doomed {
            tags.insert(made).await?;
        }
        let started: Vec<Timer> = (0..2)
            .map(|_| {
                timer_with(
                    alice,
                    at(0),
                    TimerSpec {
                        tag_ids: doomed.iter().map(|t| t.id).collect(),
                        ..TimerSpec::default()
                    },
                )
            })
            .collect();
        for timer in &started {
            timers.insert(timer).await?;
        }
        let requests = doomed
            .iter()
            .map(|made| tag_delete(&tags, alice, made.id))
            .collect();
        let outcomes = all_applied(requests).await?;
        each_version_returned_once_and_last_stored(&timers, trial, &started, &outcomes).await?;
        for returned in outcomes.iter().flat_map(changed) {
            assert_eq!(
                i64::try_from(returned.tag_ids().len())?,
                5 - returned.version(),
                "trial {trial}: {outcomes:#?}"
            );
        }
    }
    db.cleanup().await?;
    Ok(())
}

/// A tag is deleted while the timers that carry it get a new tag set that keeps it (their links
/// are rewritten): both complete, without a deadlock, in one order or the other. A retag that
/// came first is unlinked and returned by the delete; one that came after is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tag_delete_beside_a_retag_that_keeps_the_tag_completes() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let tags = PgTagRepository::new(db.pool());
    let (first, second) = (tag(alice, "first"), tag(alice, "second"));
    tags.insert(&first).await?;
    tags.insert(&second).await?;
    for trial in 0..TRIALS {
        let doomed = tag(alice, &format!("x{trial}"));
        tags.insert(&doomed).await?;
        let started: Vec<Timer> = (0..3)
            .map(|_| {
                timer_with(
                    alice,
                    at(0),
                    TimerSpec {
                        tag_ids: vec![doomed.id, first.id],
                        ..TimerSpec::default()
                    },
                )
            })
            .collect();
        for timer in &started {
            timers.insert(timer).await?;
        }
        let mut requests = vec![tag_delete(&tags, alice, doomed.id)];
        requests.extend(
            started
                .iter()
                .map(|timer| update(&timers, timer, tagged(vec![doomed.id, second.id]))),
        );
        let outcomes = all_applied(requests).await?;
        each_version_returned_once_and_last_stored(&timers, trial, &started, &outcomes).await?;
        for stored in changed(&outcomes[0]) {
            assert!(
                !stored.tag_ids().contains(&doomed.id),
                "trial {trial}: {outcomes:#?}"
            );
        }
    }
    db.cleanup().await?;
    Ok(())
}

/// The scheduler's time-up claim runs while the timer is renamed three times: a rename that
/// waited for the claim reads the alarm flags the claim wrote, so once the time-up went off the
/// stored next alarm is the later "forgotten" one, never the time-up again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_command_that_waited_for_an_alarm_claim_keeps_its_flags() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let alarms = PgAlarmRepository::new(db.pool());
    let mut claimed = 0usize;
    for trial in 0..TRIALS {
        // 1500 s allocated from 0: the time-up is due at 1500, the scheduler runs at 1600.
        let running = timer_with(alice, at(0), TimerSpec::default());
        timers.insert(&running).await?;
        let fire: Request = {
            let alarms = alarms.clone();
            Box::pin(async move {
                let fired = alarms
                    .fire_due(at(1_600), AlarmPolicy::default(), 10)
                    .await?;
                Ok(Applied::Timers(
                    fired.into_iter().map(|f| f.timer).collect(),
                ))
            })
        };
        let mut requests = vec![fire];
        for name in ["a", "b", "c"] {
            let (timers, id) = (timers.clone(), running.id());
            requests.push(Box::pin(async move {
                let patched = timers
                    .update_details(alice, id, renamed(name), at(1_600))
                    .await?;
                Ok(Applied::Timers(vec![patched.timer]))
            }));
        }
        let outcomes = all_applied(requests).await?;
        if !changed(&outcomes[0]).is_empty() {
            claimed += 1;
        }
        let late = count(
            &db,
            format!(
                "SELECT count(*) AS n FROM timer_alarms WHERE timer_id = '{}' \
                 AND time_up_fired_for IS NOT NULL AND due_at <= '{}'",
                running.id().get(),
                "2026-01-01T00:26:40Z"
            ),
        )
        .await?;
        assert_eq!(
            late, 0,
            "trial {trial}: the time-up is due again: {outcomes:#?}"
        );
    }
    println!("{claimed} of {TRIALS} claims found the timer unlocked and went off");
    db.cleanup().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Follows: the 24 h FOLLOW suppression, and whether an unfollow ended a friendship.

/// Four follows of the same pair at once: one creates the follow, one stores the FOLLOW
/// notification (the 24 h rule reads the pair's last notification after the follower's lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_follows_of_a_pair_notify_once() -> anyhow::Result<()> {
    let db = database().await?;
    let follows = PgFollowRepository::new(db.pool());
    for trial in 0..TRIALS {
        let (a, b) = (
            user(&db, &format!("a{trial}")).await?,
            user(&db, &format!("b{trial}")).await?,
        );
        let requests = (0..4)
            .map(|_| {
                let follows = follows.clone();
                async move {
                    follows
                        .follow(Follow::new(a, b)?, at(0))
                        .await
                        .map_err(anyhow::Error::from)
                }
            })
            .collect();
        let outcomes = together(requests)
            .await?
            .into_iter()
            .collect::<anyhow::Result<Vec<_>>>()?;
        let created = outcomes.iter().filter(|o| o.created).count();
        let notified = outcomes.iter().filter(|o| o.notification.is_some()).count();
        assert_eq!((created, notified), (1, 1), "trial {trial}: {outcomes:?}");
        let stored = count(
            &db,
            format!(
                "SELECT count(*) AS n FROM notifications \
                 WHERE kind = 'FOLLOW' AND receiver_id = {} AND actor_id = {}",
                b.get(),
                a.get()
            ),
        )
        .await?;
        assert_eq!(stored, 1, "trial {trial}");
    }
    db.cleanup().await?;
    Ok(())
}

/// An upper bound for one announcement to arrive, not a margin any test waits out.
const ARRIVAL: Duration = Duration::from_secs(30);

/// The next follow announcement (`follower`, `followee`, `ended_friendship`), skipping others.
async fn next_follow_change(listening: &mut Listening) -> anyhow::Result<(i64, i64, bool)> {
    let notifications = listening.conn.notifications_stream();
    let mut notifications = std::pin::pin!(notifications);
    loop {
        let Ok(next) = tokio::time::timeout(ARRIVAL, notifications.next()).await else {
            bail!("no announcement within {ARRIVAL:?}");
        };
        let Some(notification) = next else {
            bail!("the listening connection ended");
        };
        let payload: serde_json::Value = serde_json::from_str(&notification?.payload)?;
        if payload["k"].as_str() != Some("follow") {
            continue;
        }
        return Ok((
            payload["follower"].as_i64().context("follower")?,
            payload["followee"].as_i64().context("followee")?,
            payload["ended_friendship"].as_bool().unwrap_or(false),
        ));
    }
}

/// Each of the four starting states of a pair (no follow, one either way, friends), then both
/// follows and both unfollows at once. Changes of a pair lock the pair before their outbox rows
/// draw ids, and the test's one relay publishes in id order, so the announcements replay the
/// changes in the order they took effect: each unfollow must say it ended a friendship exactly when the reverse follow stood at that point (two unfollows of friends both
/// saying so, or an unfollow missing a reverse follow committed just before it, would be wrong),
/// and the replay must end in the stored follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unfollows_say_whether_they_ended_a_friendship_in_commit_order() -> anyhow::Result<()> {
    let db = database().await?;
    let (a, b) = (user(&db, "a").await?, user(&db, "b").await?);
    let follows = PgFollowRepository::new(db.pool());
    let mut listening = listener(&db).await?;
    let mut setup = db.pool().get().await?;
    let pairs = [(a.get(), b.get()), (b.get(), a.get())];
    for trial in 0..TRIALS {
        let mut model: BTreeSet<(i64, i64)> = pairs
            .iter()
            .enumerate()
            .filter(|(i, _)| trial & (1 << i) != 0)
            .map(|(_, &pair)| pair)
            .collect();
        // Written by hand, so nothing is announced for the starting state.
        let mut sql = format!(
            "DELETE FROM follows WHERE follower_id IN ({0}, {1});",
            a.get(),
            b.get()
        );
        for (follower, followee) in &model {
            sql.push_str(&format!(
                "INSERT INTO follows (follower_id, followee_id, created_at) \
                 VALUES ({follower}, {followee}, now());"
            ));
        }
        setup.batch_execute(&sql).await?;
        let mut requests: Vec<Boxed<bool>> = Vec::new();
        for (follower, followee) in [(a, b), (b, a)] {
            let follows = follows.clone();
            requests.push(Box::pin(async move {
                let outcome = follows
                    .follow(Follow::new(follower, followee)?, at(0))
                    .await?;
                Ok(outcome.created)
            }));
        }
        for (follower, followee) in [(a, b), (b, a)] {
            let follows = follows.clone();
            requests.push(Box::pin(async move {
                Ok(follows.unfollow(follower, followee).await?.removed)
            }));
        }
        let changes = together(requests)
            .await?
            .into_iter()
            .collect::<anyhow::Result<Vec<bool>>>()?
            .into_iter()
            .filter(|&changed| changed)
            .count();
        for _ in 0..changes {
            let (follower, followee, ended) = next_follow_change(&mut listening).await?;
            if model.remove(&(follower, followee)) {
                assert_eq!(
                    ended,
                    model.contains(&(followee, follower)),
                    "trial {trial}: unfollow {follower} -> {followee}"
                );
            } else {
                assert!(!ended, "trial {trial}: a follow never ends a friendship");
                model.insert((follower, followee));
            }
        }
        let stored = count(
            &db,
            format!(
                "SELECT count(*) AS n FROM follows WHERE follower_id IN ({}, {})",
                a.get(),
                b.get()
            ),
        )
        .await?;
        assert_eq!(stored, i64::try_from(model.len())?, "trial {trial}");
        for (follower, followee) in &model {
            let one = count(
                &db,
                format!(
                    "SELECT count(*) AS n FROM follows \
                     WHERE follower_id = {follower} AND followee_id = {followee}"
                ),
            )
            .await?;
            assert_eq!(one, 1, "trial {trial}");
        }
    }
    drop(setup);
    db.cleanup().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Read-all: the unread count it announces is taken under the receiver's inbox lock.

/// Two notifications are stored and two read-alls run at once, on an inbox holding two unread.
/// Replayed in commit order, the announcements always agree with the unread counts they carry,
/// each notification is read by exactly one read-all, and the last count is the stored one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn read_all_beside_new_notifications_announces_the_count_it_leaves() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let inbox = PgNotificationRepository::new(db.pool());
    let mut listening = listener(&db).await?;
    let mut unread: BTreeSet<i64> = BTreeSet::new();
    let mut announced = 0usize;
    for trial in 0..TRIALS {
        for _ in 0..2 {
            inbox.insert(NotificationDraft::test(alice), at(0)).await?;
        }
        announced += 2;
        let mut requests: Vec<Boxed<u64>> = Vec::new();
        for _ in 0..2 {
            let inbox = inbox.clone();
            requests.push(Box::pin(async move {
                inbox.insert(NotificationDraft::test(alice), at(1)).await?;
                Ok(0)
            }));
        }
        for _ in 0..2 {
            let inbox = inbox.clone();
            requests.push(Box::pin(
                async move { Ok(inbox.mark_all_read(alice).await?) },
            ));
        }
        let outcomes = together(requests)
            .await?
            .into_iter()
            .collect::<anyhow::Result<Vec<u64>>>()?;
        let reads = &outcomes[2..];
        announced += 2 + reads.iter().filter(|&&n| n > 0).count();
        let mut read = 0u64;
        while announced > 0 {
            let (said, count) = next_for(&mut listening, alice).await?;
            announced -= 1;
            match said {
                Said::Stored(id) => {
                    unread.insert(id);
                }
                Said::Read(ids) => {
                    for id in ids {
                        assert!(unread.remove(&id), "trial {trial}: {id} read twice");
                        read += 1;
                    }
                }
                Said::Deleted(_) => panic!("trial {trial}: nothing is deleted"),
            }
            assert_eq!(
                u64::try_from(unread.len())?,
                count,
                "trial {trial}: the announced count disagrees with the announcements"
            );
        }
        assert_eq!(read, reads.iter().sum::<u64>(), "trial {trial}");
        assert_eq!(
            u64::try_from(unread.len())?,
            inbox.unread_count(alice).await?,
            "trial {trial}"
        );
    }
    db.cleanup().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The request_id reservation (`processed::claim`).

/// A create, a pause, a stop and a cancel sent at once under one `request_id`: exactly one
/// applies, the three others get its outcome, and nothing of theirs is stored (no second timer,
/// no second change of the running one).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keyed_commands_sharing_a_request_id_apply_once() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let mut created = 0i64;
    for trial in 0..TRIALS {
        let running = timer_with(alice, at(0), TimerSpec::default());
        timers.insert(&running).await?;
        let key = |kind| CommandKey {
            user: alice,
            request_id: format!("r-{trial}"),
            kind,
            now: at(20),
        };
        let mut requests: Vec<Boxed<Idempotent<Timer>>> = Vec::new();
        {
            let (timers, key, new) = (
                timers.clone(),
                key("create"),
                timer_with(alice, at(20), TimerSpec::default()),
            );
            requests.push(Box::pin(async move {
                Ok(timers.insert_once(&new, &key).await?.map(|()| new))
            }));
        }
        for (kind, command) in [
            ("pause", TimerCommand::Pause),
            ("stop", TimerCommand::Stop),
            ("cancel", TimerCommand::Cancel),
        ] {
            let (timers, key, id) = (timers.clone(), key(kind), running.id());
            requests.push(Box::pin(async move {
                Ok(timers.apply_command_once(id, command, &key).await?)
            }));
        }
        let outcomes = together(requests)
            .await?
            .into_iter()
            .collect::<anyhow::Result<Vec<_>>>()?;
        let applied: Vec<(usize, &Timer)> = outcomes
            .iter()
            .enumerate()
            .filter_map(|(i, o)| match o {
                Idempotent::Applied(timer) => Some((i, timer)),
                Idempotent::Remembered(_) => None,
            })
            .collect();
        let [(which, applied)] = applied.as_slice() else {
            panic!("trial {trial}: {outcomes:#?}")
        };
        for outcome in &outcomes {
            if let Idempotent::Remembered(held) = outcome {
                assert_eq!(&held.outcome.timer, *applied, "trial {trial}");
            }
        }
        let Some(stored) = timers.find(running.id()).await? else {
            panic!("trial {trial}: the running timer is gone")
        };
        if *which == 0 {
            created += 1;
            assert_eq!(timers.find(applied.id()).await?.as_ref(), Some(*applied));
            assert_eq!(stored, running, "trial {trial}: a command applied too");
        } else {
            assert_eq!(&stored, *applied, "trial {trial}");
        }
    }
    let timers_stored = count(
        &db,
        format!(
            "SELECT count(*) AS n FROM timers WHERE owner_id = {}",
            alice.get()
        ),
    )
    .await?;
    assert_eq!(timers_stored, i64::try_from(TRIALS)? + created);
    let keys = count(
        &db,
        "SELECT count(*) AS n FROM processed_commands".to_owned(),
    )
    .await?;
    assert_eq!(keys, i64::try_from(TRIALS)?);
    db.cleanup().await?;
    Ok(())
}
