//! The migrations revert completely and apply again, and the schema keeps timer commands cheap.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use hourglass_adapters_postgres::migrations::{revert_all, run_pending};
use hourglass_test_support::TestDatabase;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn table_count(db: &TestDatabase) -> anyhow::Result<i64> {
    let mut conn = db.pool().get().await?;
    let count: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .get_result(&mut conn)
    .await?;
    Ok(count.n)
}

#[tokio::test]
async fn down_then_up_round_trip() -> anyhow::Result<()> {
    let db = TestDatabase::create_empty().await?;
    let applied = run_pending(db.url()).await?;
    assert!(applied >= 4, "{applied}");
    assert_eq!(table_count(&db).await?, 17);
    assert_eq!(run_pending(db.url()).await?, 0);
    assert_eq!(revert_all(db.url()).await?, applied);
    assert_eq!(
        table_count(&db).await?,
        0,
        "down.sql drops everything up.sql creates"
    );
    assert_eq!(run_pending(db.url()).await?, applied);
    assert_eq!(table_count(&db).await?, 17);
    db.cleanup().await?;
    Ok(())
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Pause and resume rewrite these columns of `timers` and nothing else the indexes could see.
const CHANGED_BY_PAUSE_AND_RESUME: [&str; 6] = [
    "status",
    "paused_at",
    "pause_history",
    "run_bounds",
    "version",
    "updated_at",
];

/// A pause or resume is a HOT update (no new index entries) only while no index of `timers`
/// mentions a column it changes: as a key, in an expression or in a partial index's predicate.
#[tokio::test]
async fn no_index_of_timers_mentions_a_column_pause_or_resume_changes() -> anyhow::Result<()> {
    let db = TestDatabase::create_empty().await?;
    run_pending(db.url()).await?;
    let mut conn = db.pool().get().await?;
    let indexed: Vec<Column> = diesel::sql_query(
        "SELECT DISTINCT a.attname::text AS name \
         FROM pg_index i \
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum > 0 AND NOT a.attisdropped \
         WHERE i.indrelid = 'timers'::regclass \
           AND (a.attnum = ANY (i.indkey) \
                OR pg_get_expr(i.indpred, i.indrelid) ~ ('\\m' || a.attname || '\\M') \
                OR pg_get_expr(i.indexprs, i.indrelid) ~ ('\\m' || a.attname || '\\M'))",
    )
    .load(&mut conn)
    .await?;
    let indexed: Vec<String> = indexed.into_iter().map(|column| column.name).collect();
    assert!(
        indexed.iter().any(|name| name == "ended_at"),
        "the query sees predicate columns: {indexed:?}"
    );
    for column in CHANGED_BY_PAUSE_AND_RESUME {
        assert!(
            !indexed.iter().any(|name| name == column),
            "an index of timers mentions {column}: {indexed:?}"
        );
    }
    drop(conn);
    db.cleanup().await?;
    Ok(())
}
