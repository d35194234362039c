//! ProcessedCommandRepository: reservations and idempotency records.

use hourglass_adapters_postgres::repository::PgProcessedCommandRepository;
use hourglass_ports::processed::{
    ProcessedCommand, ProcessedCommandRepository, REMEMBER_SECONDS, Reservation,
    STALE_RESERVATION_SECONDS,
};

use crate::support::{at, database, user};

const PAUSE: &str = "timer.pause";

fn done(text: &str, seconds: i64) -> Reservation {
    Reservation::Completed(ProcessedCommand {
        command_type: PAUSE.to_owned(),
        reply: text.to_owned(),
        created_at: at(seconds),
    })
}

#[tokio::test]
async fn a_key_is_reserved_once_then_completed_found_and_purged() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());

    assert_eq!(
        processed.reserve(alice, "r1", PAUSE, at(0)).await?,
        Reservation::Reserved
    );
    assert_eq!(
        processed.reserve(alice, "r1", "timer.stop", at(1)).await?,
        Reservation::InProgress {
            command_type: PAUSE.to_owned()
        }
    );
    // Keys are per user.
    assert_eq!(
        processed.reserve(bob, "r1", PAUSE, at(1)).await?,
        Reservation::Reserved
    );
    assert_eq!(processed.find(alice, "r1", at(0)).await?, None);

    processed.complete(alice, "r1", "first", at(2)).await?;
    assert_eq!(
        processed.reserve(alice, "r1", PAUSE, at(3)).await?,
        done("first", 2)
    );
    let Reservation::Completed(found) = done("first", 2) else {
        panic!("a completed record")
    };
    assert_eq!(processed.find(alice, "r1", at(0)).await?, Some(found));
    assert_eq!(processed.find(alice, "r1", at(3)).await?, None);

    assert_eq!(
        processed.purge(at(2)).await?,
        1,
        "bob's reservation is older"
    );
    assert_eq!(processed.purge(at(3)).await?, 1);
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn a_released_key_runs_again() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());
    assert_eq!(
        processed.reserve(alice, "r", PAUSE, at(0)).await?,
        Reservation::Reserved
    );
    processed.release(alice, "r").await?;
    assert_eq!(
        processed.reserve(alice, "r", PAUSE, at(1)).await?,
        Reservation::Reserved
    );
    // Releasing never forgets a completed reply.
    processed.complete(alice, "r", "ok", at(1)).await?;
    processed.release(alice, "r").await?;
    assert_eq!(
        processed.reserve(alice, "r", PAUSE, at(2)).await?,
        done("ok", 1)
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn expired_replies_and_stale_reservations_are_taken_over() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());
    assert_eq!(
        processed.reserve(alice, "old", PAUSE, at(0)).await?,
        Reservation::Reserved
    );
    processed.complete(alice, "old", "ok", at(0)).await?;
    assert_eq!(
        processed
            .reserve(alice, "old", PAUSE, at(REMEMBER_SECONDS - 1))
            .await?,
        done("ok", 0)
    );
    assert_eq!(
        processed
            .reserve(alice, "old", PAUSE, at(REMEMBER_SECONDS + 1))
            .await?,
        Reservation::Reserved
    );

    assert_eq!(
        processed.reserve(alice, "dead", PAUSE, at(0)).await?,
        Reservation::Reserved
    );
    assert!(matches!(
        processed
            .reserve(alice, "dead", PAUSE, at(STALE_RESERVATION_SECONDS - 1))
            .await?,
        Reservation::InProgress { .. }
    ));
    assert_eq!(
        processed
            .reserve(alice, "dead", PAUSE, at(STALE_RESERVATION_SECONDS + 1))
            .await?,
        Reservation::Reserved
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn of_concurrent_duplicates_exactly_one_reserves() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let repo = processed.clone();
            tokio::spawn(async move { repo.reserve(alice, "dup", PAUSE, at(0)).await })
        })
        .collect();
    let mut reserved = 0;
    for attempt in attempts {
        if attempt.await?? == Reservation::Reserved {
            reserved += 1;
        }
    }
    assert_eq!(reserved, 1);
    db.cleanup().await?;
    Ok(())
}
