//! No silent duplicates: the same organization entered twice under spellings
//! that differ only in case and punctuation, one person twice by email, one
//! person seated twice in one body for overlapping terms. Each is refused with
//! the existing record named, and two records that are in fact one can be
//! merged (see `docs/decisions/0014-duplicates.md`).

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};
use serde_json::Value as Json;

use domain::resource::{Duplicate, Resource, Scope};
use domain::validation::{Existing, FieldErrors, fold_name, terms_overlap};

use crate::records::get_in;
use crate::{Result, Store, StoreError, audit};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// Live records of `T` in `initiative` other than `self_id`.
fn live<T: Resource>(
    initiative: Option<i64>,
    self_id: Option<i64>,
) -> sea_orm::sea_query::SelectStatement {
    let mut q = Query::select();
    q.column(a("id"))
        .from(a(T::TABLE))
        .and_where(Expr::col(a("archived_at")).is_null())
        .order_by(a("id"), sea_orm::sea_query::Order::Asc);
    if T::SCOPE == Scope::Initiative
        && let Some(i) = initiative
    {
        q.and_where(Expr::col(a("initiative_id")).eq(i));
    }
    if let Some(id) = self_id {
        q.and_where(Expr::col(a("id")).ne(id));
    }
    q
}

/// Record every duplicate `values` (a record's JSON form) would make.
pub(crate) async fn check<T: Resource>(
    txn: &DatabaseTransaction,
    initiative: Option<i64>,
    self_id: Option<i64>,
    values: &Json,
    errors: &mut FieldErrors,
) -> Result<()> {
    for rule in T::duplicates() {
        match *rule {
            Duplicate::FoldedName(col) => {
                let folded = fold_name(values[col].as_str().unwrap_or(""));
                if folded.is_empty() || errors.get(col).is_some() {
                    continue;
                }
                let mut q = live::<T>(initiative, self_id);
                q.column(a(col));
                let rows = txn.query_all(&q).await?;
                for row in rows {
                    let name: String = row.try_get_by_index(1)?;
                    if fold_name(&name) == folded {
                        let id: i64 = row.try_get_by_index(0)?;
                        errors.duplicate(
                            col,
                            format!(
                                "{col}: this {} is already here as '{name}' ({} {id})",
                                T::KIND,
                                T::KIND
                            ),
                            Existing {
                                kind: T::KIND,
                                id,
                                name,
                            },
                        );
                        break;
                    }
                }
            }
            Duplicate::SameText(col) => {
                let Some(text) = values[col].as_str().filter(|s| !s.is_empty()) else {
                    continue;
                };
                if errors.get(col).is_some() {
                    continue;
                }
                let mut q = live::<T>(initiative, self_id);
                q.and_where(Expr::expr(Func::lower(Expr::col(a(col)))).eq(text.to_lowercase()));
                if let Some(row) = txn.query_one(&q).await? {
                    let id: i64 = row.try_get_by_index(0)?;
                    let name = label::<T>(txn, initiative, id).await?;
                    errors.duplicate(
                        col,
                        format!("{col}: '{name}' ({} {id}) already has this {col}", T::KIND),
                        Existing {
                            kind: T::KIND,
                            id,
                            name,
                        },
                    );
                }
            }
            Duplicate::OverlappingTerm { same, start, end } => {
                let date = |v: &Json| {
                    v.as_str()
                        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                };
                let Some(first) = date(&values[start]) else {
                    continue;
                };
                let term = (first, date(&values[end]));
                let field = same.last().copied().unwrap_or(start);
                if same.iter().any(|c| errors.get(c).is_some()) {
                    continue;
                }
                let mut q = live::<T>(initiative, self_id);
                q.column(a(start)).column(a(end));
                for c in same {
                    match &values[*c] {
                        Json::Number(n) => q.and_where(Expr::col(a(c)).eq(n.as_i64())),
                        Json::String(s) => q.and_where(Expr::col(a(c)).eq(s.as_str())),
                        _ => q.and_where(Expr::col(a(c)).is_null()),
                    };
                }
                for row in txn.query_all(&q).await? {
                    let other = (
                        row.try_get_by_index::<NaiveDate>(1)?,
                        row.try_get_by_index::<Option<NaiveDate>>(2)?,
                    );
                    if !terms_overlap(term, other) {
                        continue;
                    }
                    let id: i64 = row.try_get_by_index(0)?;
                    let name = term_name::<T>(txn, same, values).await?;
                    let until = other.1.map(|d| d.to_string()).unwrap_or_default();
                    errors.duplicate(
                        field,
                        format!(
                            "{field}: {name} already holds a {} from {} to {until} ({} {id}) that overlaps this one",
                            T::KIND,
                            other.0,
                            T::KIND
                        ),
                        Existing {
                            kind: T::KIND,
                            id,
                            name,
                        },
                    );
                    break;
                }
            }
        }
    }
    Ok(())
}

async fn label<T: Resource>(
    conn: &impl ConnectionTrait,
    initiative: Option<i64>,
    id: i64,
) -> Result<String> {
    Ok(get_in::<T>(conn, initiative, id)
        .await?
        .map(|r| r.data.label())
        .unwrap_or_default())
}

/// "Dana Cohen · Steering Committee": the names of the records a term's
/// `same` columns refer to (each referred table has a `name`).
async fn term_name<T: Resource>(
    txn: &DatabaseTransaction,
    same: &[&str],
    values: &Json,
) -> Result<String> {
    let mut names = vec![];
    for c in same.iter().rev() {
        let target = T::columns()
            .iter()
            .find(|col| col.name == *c)
            .and_then(|col| col.refers_to);
        if let (Some(table), Some(id)) = (target, values[*c].as_i64()) {
            let q = Query::select()
                .column(a("name"))
                .from(a(table))
                .and_where(Expr::col(a("id")).eq(id))
                .to_owned();
            if let Some(row) = txn.query_one(&q).await? {
                names.push(row.try_get_by_index::<String>(0)?);
            }
        }
    }
    Ok(names.join(" · "))
}

/// What a merge moved: (table, column, rows), for the audit log and the page.
pub type Moved = Vec<(String, String, u64)>;

/// Columns of the whole schema that refer to `table`'s ids through a foreign
/// key, read from the database's own catalogue so that no reference, in any
/// module, is forgotten.
pub async fn referring_columns(
    conn: &impl ConnectionTrait,
    table: &str,
) -> Result<Vec<(String, String)>> {
    let backend = conn.get_database_backend();
    let stmt = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            "SELECT kcu.table_name::text, kcu.column_name::text \
             FROM information_schema.referential_constraints rc \
             JOIN information_schema.key_column_usage kcu \
               ON kcu.constraint_name = rc.constraint_name AND kcu.constraint_schema = rc.constraint_schema \
             JOIN information_schema.constraint_column_usage ccu \
               ON ccu.constraint_name = rc.unique_constraint_name AND ccu.constraint_schema = rc.unique_constraint_schema \
             WHERE ccu.table_name = $1 AND ccu.column_name = 'id' AND kcu.table_schema = current_schema() \
             ORDER BY 1, 2",
            [table.into()],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND f.\"table\" = ? ORDER BY 1, 2",
            [table.into()],
        ),
    };
    let rows = conn.query_all_raw(stmt).await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

impl Store {
    /// Merge record `from` into record `into` (two live records of one kind in
    /// one initiative that are in fact one): every reference to `from`, in every
    /// table, moves to `into`; `from` is archived; both records' audit entries
    /// say so. One transaction: a reference that cannot move (the kept record
    /// already has the same row in a table that allows one) refuses the whole
    /// merge, naming the table.
    pub async fn merge<T: Resource>(
        &self,
        actor: Option<i64>,
        initiative: i64,
        from: i64,
        into: i64,
    ) -> Result<Moved> {
        if from == into {
            return Err(StoreError::Invalid(FieldErrors::single(
                "into",
                "merge_self",
                "into: a record cannot be merged into itself",
            )));
        }
        let txn = self.write_txn().await?;
        let scope = (T::SCOPE == Scope::Initiative).then_some(initiative);
        let gone = get_in::<T>(&txn, scope, from)
            .await?
            .filter(|r| !r.archived)
            .ok_or(StoreError::NotFound)?;
        let Some(kept) = get_in::<T>(&txn, scope, into)
            .await?
            .filter(|r| !r.archived)
        else {
            return Err(StoreError::Invalid(FieldErrors::single(
                "into",
                "unknown_reference",
                format!("into: no live {} {into} here", T::KIND),
            )));
        };
        let mut moved = Moved::new();
        for (table, column) in referring_columns(&txn, T::TABLE).await? {
            let q = Query::update()
                .table(a(&table))
                .value(a(&column), into)
                .and_where(Expr::col(a(&column)).eq(from))
                .to_owned();
            let n = match txn.execute(&q).await {
                Ok(res) => res.rows_affected(),
                Err(e)
                    if matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) =>
                {
                    return Err(StoreError::Invalid(FieldErrors::single(
                        "into",
                        "merge_clash",
                        format!(
                            "into: '{}' and '{}' both have a row in {table} that may exist only once; \
                             resolve it there first, nothing was merged",
                            gone.data.label(),
                            kept.data.label()
                        ),
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            if n > 0 {
                moved.push((table, column, n));
            }
        }
        let now = crate::now();
        let q = Query::update()
            .table(a(T::TABLE))
            .value(a("archived_at"), now)
            .value(a("version"), gone.version + 1)
            .value(a("updated_at"), now)
            .and_where(Expr::col(a("id")).eq(from))
            .to_owned();
        txn.execute(&q).await?;
        let after = get_in::<T>(&txn, scope, from)
            .await?
            .ok_or(StoreError::NotFound)?;
        let moves: Vec<Json> = moved
            .iter()
            .map(|(t, c, n)| serde_json::json!({"table": t, "column": c, "rows": n}))
            .collect();
        let mut record = serde_json::to_value(&after).map_err(|e| {
            StoreError::Database(sea_orm::DbErr::Custom(format!(
                "cannot encode {}: {e}",
                T::KIND
            )))
        })?;
        record["merged_into"] = into.into();
        record["moved"] = Json::Array(moves.clone());
        audit::append(
            &txn,
            actor,
            Some(initiative),
            T::KIND,
            from,
            "merge",
            Some(&gone),
            Some(&record),
        )
        .await?;
        let kept_note =
            serde_json::json!({ "merged_from": from, "name": gone.data.label(), "moved": moves });
        audit::append(
            &txn,
            actor,
            Some(initiative),
            T::KIND,
            into,
            "merge",
            None::<&()>,
            Some(&kept_note),
        )
        .await?;
        txn.commit().await?;
        Ok(moved)
    }

    /// How many rows of each table refer to record `id` of `table` (any
    /// state): what a merge would move.
    pub async fn references_to(&self, table: &str, id: i64) -> Result<Vec<(String, i64)>> {
        let mut out = vec![];
        for (t, c) in referring_columns(&self.db, table).await? {
            let q = Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(a(&t))
                .and_where(Expr::col(a(&c)).eq(id))
                .to_owned();
            let n = crate::records::count(&self.db, &q).await?;
            if n > 0 {
                out.push((t, n));
            }
        }
        Ok(out)
    }
}
