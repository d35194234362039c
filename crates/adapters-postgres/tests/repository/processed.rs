//! ProcessedCommandRepository: idempotency records.

use hourglass_adapters_postgres::repository::PgProcessedCommandRepository;
use hourglass_ports::processed::{ProcessedCommand, ProcessedCommandRepository};

use crate::support::{at, database, user};

fn reply(text: &str, seconds: i64) -> ProcessedCommand {
    ProcessedCommand {
        command_type: "timer.pause".to_owned(),
        reply: text.to_owned(),
        created_at: at(seconds),
    }
}

#[tokio::test]
async fn the_first_record_is_kept_found_and_purged() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let bob = user(&db, "bob").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());
    assert_eq!(
        processed.record(alice, "r1", reply("first", 0)).await?,
        reply("first", 0)
    );
    assert_eq!(
        processed.record(alice, "r1", reply("second", 5)).await?,
        reply("first", 0)
    );
    // Keys are per user.
    assert_eq!(
        processed.record(bob, "r1", reply("bob", 5)).await?,
        reply("bob", 5)
    );

    assert_eq!(
        processed.find(alice, "r1", at(0)).await?,
        Some(reply("first", 0))
    );
    assert_eq!(processed.find(alice, "r1", at(1)).await?, None);
    assert_eq!(processed.find(alice, "r2", at(0)).await?, None);

    assert_eq!(processed.purge(at(1)).await?, 1);
    assert_eq!(processed.find(alice, "r1", at(0)).await?, None);
    assert_eq!(
        processed.find(bob, "r1", at(0)).await?,
        Some(reply("bob", 5))
    );
    db.cleanup().await?;
    Ok(())
}

#[tokio::test]
async fn concurrent_duplicates_store_one_reply() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let processed = PgProcessedCommandRepository::new(db.pool());
    let (a, b) = (processed.clone(), processed.clone());
    let first = tokio::spawn(async move { a.record(alice, "dup", reply("a", 0)).await });
    let second = tokio::spawn(async move { b.record(alice, "dup", reply("b", 0)).await });
    let (first, second) = (first.await??, second.await??);
    assert_eq!(first, second, "both callers see the winner");
    db.cleanup().await?;
    Ok(())
}
