//! Hand-written SQL that each connection prepares once and then reuses.
//!
//! diesel never caches the statements of `diesel::sql_query` or of `UPDATE`
//! (`AstPass::unsafe_to_cache_prepared`), because their text may change with the input. For
//! such statements every execution costs PostgreSQL a parse, a plan and a close, and costs the
//! server the matching protocol messages. The hot path of a timer command is made only of such
//! statements (lock, update, notify), so this adapter's fixed SQL goes through [`CachedSql`]
//! instead. Its text is a `&'static str`, so it cannot vary with the input, and diesel's statement
//! cache keys it by that text and the bind types.
//!
//! The text uses PostgreSQL placeholders `$1`, `$2`, … for the binds, like `sql_query`, and
//! must not contain a `$` for anything else (no dollar quoting). A placeholder may appear more
//! than once: each occurrence is sent as its own parameter with the same value.

use diesel::expression::{AsExpression, TypedExpressionType};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::Error as DieselError;
use diesel::sql_types::{SqlType, Untyped};

/// A fixed SQL text and its binds: the cacheable counterpart of `diesel::sql_query(…).bind(…)`.
#[must_use = "a statement does nothing until it is executed or loaded"]
pub(crate) struct CachedSql<'a> {
    sql: &'static str,
    binds: Vec<Box<dyn QueryFragment<Pg> + Send + 'a>>,
}

impl<'a> CachedSql<'a> {
    /// The statement `sql`, with no binds yet.
    pub(crate) fn new(sql: &'static str) -> Self {
        Self {
            sql,
            binds: Vec::new(),
        }
    }

    /// Binds the next placeholder (`$1` first) to `value`, sent as SQL type `ST`.
    pub(crate) fn bind<ST, V>(mut self, value: V) -> Self
    where
        ST: SqlType + TypedExpressionType,
        V: AsExpression<ST>,
        V::Expression: QueryFragment<Pg> + Send + 'a,
    {
        self.binds.push(Box::new(value.as_expression()));
        self
    }
}

/// A piece of the text: literal SQL, or the placeholder of a bind (0-based).
#[derive(Debug, PartialEq, Eq)]
enum Piece<'s> {
    Sql(&'s str),
    Bind(usize),
}

/// Splits `sql` at its `$n` placeholders.
fn pieces(sql: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = sql;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some(dollar) = rest.find('$') else {
            let sql = rest;
            rest = "";
            return Some(Piece::Sql(sql));
        };
        if dollar > 0 {
            let (sql, tail) = rest.split_at(dollar);
            rest = tail;
            return Some(Piece::Sql(sql));
        }
        let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
        let (placeholder, tail) = rest.split_at(1 + digits);
        rest = tail;
        // `$0` and a bare `$` have no bind; `usize::MAX` makes the walk report them.
        let index = placeholder[1..]
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .unwrap_or(usize::MAX);
        Some(Piece::Bind(index))
    })
}

impl QueryFragment<Pg> for CachedSql<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        for piece in pieces(self.sql) {
            match piece {
                Piece::Sql(sql) => out.push_sql(sql),
                Piece::Bind(index) => {
                    let bind = self.binds.get(index).ok_or_else(|| {
                        DieselError::QueryBuilderError(
                            format!(
                                "statement has {} binds but uses placeholder ${}",
                                self.binds.len(),
                                index.saturating_add(1)
                            )
                            .into(),
                        )
                    })?;
                    bind.walk_ast(out.reborrow())?;
                }
            }
        }
        Ok(())
    }
}

impl QueryId for CachedSql<'_> {
    type QueryId = ();
    // No static id: diesel then keys its statement cache by the SQL text and the bind types.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for CachedSql<'_> {
    // Rows are read by column name (`QueryableByName`), like `sql_query`'s.
    type SqlType = Untyped;
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::debug_query;
    use diesel::pg::PgQueryBuilder;
    use diesel::sql_types::{BigInt, Text};

    #[test]
    fn placeholders_split_the_text_in_order() {
        let found: Vec<Piece<'_>> = pieces("SELECT $1, $2 WHERE x = $10").collect();
        assert_eq!(
            found,
            vec![
                Piece::Sql("SELECT "),
                Piece::Bind(0),
                Piece::Sql(", "),
                Piece::Bind(1),
                Piece::Sql(" WHERE x = "),
                Piece::Bind(9),
            ]
        );
    }

    #[test]
    fn the_rendered_text_numbers_every_occurrence() {
        let statement = CachedSql::new("SELECT $1::bigint WHERE $2 = $1::text")
            .bind::<BigInt, _>(7_i64)
            .bind::<Text, _>("seven");
        let rendered = debug_query::<Pg, _>(&statement).to_string();
        assert!(
            rendered.starts_with("SELECT $1::bigint WHERE $2 = $3::text"),
            "{rendered}"
        );
        assert!(rendered.contains("binds: [7, \"seven\", 7]"), "{rendered}");
    }

    #[test]
    fn a_placeholder_without_a_bind_is_an_error_not_a_panic() {
        let statement = CachedSql::new("SELECT $2").bind::<BigInt, _>(1_i64);
        let built = statement.to_sql(&mut PgQueryBuilder::default(), &Pg);
        assert!(built.is_err());
        let zero = CachedSql::new("SELECT $0");
        assert!(zero.to_sql(&mut PgQueryBuilder::default(), &Pg).is_err());
    }

    #[test]
    fn fixed_text_is_safe_to_cache() -> diesel::QueryResult<()> {
        let statement = CachedSql::new("SELECT $1").bind::<BigInt, _>(1_i64);
        assert!(statement.is_safe_to_cache_prepared(&Pg)?);
        let uncached = diesel::sql_query("SELECT 1");
        assert!(!QueryFragment::<Pg>::is_safe_to_cache_prepared(
            &uncached, &Pg
        )?);
        Ok(())
    }
}
