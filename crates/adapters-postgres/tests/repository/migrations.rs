//! The migrations revert completely and apply again.

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
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
    assert_eq!(table_count(&db).await?, 14);
    assert_eq!(run_pending(db.url()).await?, 0);
    assert_eq!(revert_all(db.url()).await?, applied);
    assert_eq!(
        table_count(&db).await?,
        0,
        "down.sql drops everything up.sql creates"
    );
    assert_eq!(run_pending(db.url()).await?, applied);
    assert_eq!(table_count(&db).await?, 14);
    db.cleanup().await?;
    Ok(())
}
