//! The life of every partnership record, written once for all kinds.
//!
//! Create, versioned update and archive each run in one write transaction that
//! also appends the audit entry, so a change and its record in the log land
//! together or not at all. References and uniqueness are checked inside the same
//! transaction, and refusals name the field.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Order, Query, SelectStatement, SimpleExpr, Value,
};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, QueryResult, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use serde_json::{Map, Value as Json};

use domain::resource::{Column, ColumnType, Record, Resource, Scope};
use domain::validation::FieldErrors;

use crate::{Result, Store, StoreError, audit};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// Tables whose rows belong to one initiative.
fn is_scoped(table: &str) -> bool {
    !matches!(table, "users" | "networks" | "initiatives")
}

/// How to page and filter a listing.
#[derive(Debug, Clone, Copy)]
pub struct ListOptions {
    pub include_archived: bool,
    pub limit: u64,
    pub offset: u64,
}

impl ListOptions {
    /// Every live record: for the few records a page shows whole (an
    /// initiative's bodies, facts and stages), never cut short.
    pub fn all() -> Self {
        Self {
            include_archived: false,
            limit: i64::MAX as u64,
            offset: 0,
        }
    }
}

/// What a list shows of a kind, like a spreadsheet's search, filters and sort.
/// Column names come from the kinds' declarations, never from input.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Text that every listed record holds in one of `columns` (any case).
    pub text: Option<String>,
    pub columns: Vec<&'static str>,
    /// Column equals value.
    pub equals: Vec<(&'static str, Match)>,
    pub sort: Option<Sort>,
}

#[derive(Debug, Clone)]
pub enum Match {
    Text(String),
    Id(i64),
}

#[derive(Debug, Clone, Copy)]
pub struct Sort {
    pub column: &'static str,
    pub descending: bool,
    /// A reference column sorts by this (table, label) of what it refers to.
    pub by_name_of: Option<(&'static str, &'static str)>,
}

impl Search {
    fn apply(&self, table: &'static str, q: &mut SelectStatement) {
        if let Some(text) = self.text.as_deref().filter(|t| !t.is_empty())
            && !self.columns.is_empty()
        {
            // LIKE's own wildcards in the text are matched as themselves.
            let escaped = text
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = format!("%{escaped}%");
            let mut any = sea_orm::sea_query::Condition::any();
            for c in &self.columns {
                any = any.add(
                    Expr::expr(sea_orm::sea_query::Func::lower(Expr::col((a(table), a(c)))))
                        .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
                );
            }
            q.cond_where(any);
        }
        for (c, m) in &self.equals {
            let col = Expr::col((a(table), a(c)));
            match m {
                Match::Text(t) => q.and_where(col.eq(t.as_str())),
                Match::Id(i) => q.and_where(col.eq(*i)),
            };
        }
    }
}

impl Default for ListOptions {
    fn default() -> Self {
        Self {
            include_archived: false,
            limit: 500,
            offset: 0,
        }
    }
}

impl Store {
    /// A write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes cannot
    /// fail half-way when another writer committed in between.
    pub async fn write_txn(&self) -> Result<DatabaseTransaction> {
        Ok(self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?)
    }

    /// One record by id. With `initiative` set, a record of another initiative is
    /// not found (no leaking across initiatives).
    pub async fn get<T: Resource>(&self, initiative: Option<i64>, id: i64) -> Result<Record<T>> {
        get_in::<T>(&self.db, initiative, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn list<T: Resource>(
        &self,
        initiative: Option<i64>,
        opts: ListOptions,
    ) -> Result<Vec<Record<T>>> {
        self.search::<T>(initiative, opts, &Search::default()).await
    }

    /// A page of the records that match `search`, in its order (then by id).
    pub async fn search<T: Resource>(
        &self,
        initiative: Option<i64>,
        opts: ListOptions,
        search: &Search,
    ) -> Result<Vec<Record<T>>> {
        let mut q = select::<T>();
        scope_filter::<T>(&mut q, initiative);
        if !opts.include_archived {
            q.and_where(Expr::col((a(T::TABLE), a("archived_at"))).is_null());
        }
        search.apply(T::TABLE, &mut q);
        if let Some(sort) = &search.sort {
            let order = if sort.descending {
                Order::Desc
            } else {
                Order::Asc
            };
            let key: SimpleExpr = match sort.by_name_of {
                // A reference sorts by the name of what it refers to.
                Some((table, label)) => SimpleExpr::SubQuery(
                    None,
                    Box::new(
                        Query::select()
                            .column((a(table), a(label)))
                            .from(a(table))
                            .and_where(
                                Expr::col((a(table), a("id")))
                                    .equals((a(T::TABLE), a(sort.column))),
                            )
                            .to_owned()
                            .into(),
                    ),
                ),
                None => Expr::col((a(T::TABLE), a(sort.column))),
            };
            q.order_by_expr(key, order);
        }
        q.order_by((a(T::TABLE), a("id")), Order::Asc)
            .limit(opts.limit)
            .offset(opts.offset);
        let rows = self.db.query_all(&q).await?;
        rows.iter().map(read_record::<T>).collect()
    }

    /// How many records match `search`.
    pub async fn count_matching<T: Resource>(
        &self,
        initiative: Option<i64>,
        include_archived: bool,
        search: &Search,
    ) -> Result<i64> {
        let mut q = Query::select();
        q.expr(Expr::cust("COUNT(*)")).from(a(T::TABLE));
        scope_filter::<T>(&mut q, initiative);
        if !include_archived {
            q.and_where(Expr::col((a(T::TABLE), a("archived_at"))).is_null());
        }
        search.apply(T::TABLE, &mut q);
        count(&self.db, &q).await
    }

    pub async fn count<T: Resource>(
        &self,
        initiative: Option<i64>,
        include_archived: bool,
    ) -> Result<i64> {
        self.count_matching::<T>(initiative, include_archived, &Search::default())
            .await
    }

    /// Ids and labels of the live records of a declared table (in `initiative`
    /// when the table is scoped to one), by label: what a form's choice of a
    /// reference offers. `table` and `label` come from the kinds' declarations.
    pub async fn names(
        &self,
        table: &'static str,
        label: &'static str,
        initiative: Option<i64>,
    ) -> Result<Vec<(i64, String)>> {
        self.names_where(table, label, initiative, false).await
    }

    /// Names of the archived records of `table` (in `initiative`): what a live
    /// record that still refers to one shows instead of a bare id.
    pub async fn archived_names(
        &self,
        table: &'static str,
        label: &'static str,
        initiative: Option<i64>,
    ) -> Result<Vec<(i64, String)>> {
        self.names_where(table, label, initiative, true).await
    }

    async fn names_where(
        &self,
        table: &'static str,
        label: &'static str,
        initiative: Option<i64>,
        archived: bool,
    ) -> Result<Vec<(i64, String)>> {
        let mut q = Query::select();
        q.column(a("id"))
            .column(a(label))
            .from(a(table))
            .order_by(a(label), Order::Asc)
            .order_by(a("id"), Order::Asc);
        q.and_where(if archived {
            Expr::col(a("archived_at")).is_not_null()
        } else {
            Expr::col(a("archived_at")).is_null()
        });
        if is_scoped(table)
            && let Some(i) = initiative
        {
            q.and_where(Expr::col(a("initiative_id")).eq(i));
        }
        let rows = self.db.query_all(&q).await?;
        rows.iter()
            .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
            .collect()
    }

    /// The translations of every record of `table` in `initiative` that has
    /// any (`table` must have the column): (id, translations).
    pub async fn translations_of(
        &self,
        table: &'static str,
        initiative: i64,
    ) -> Result<Vec<(i64, domain::translations::Translations)>> {
        let mut q = Query::select();
        q.column(a("id"))
            .expr(Expr::col(a("translations")).cast_as(a("TEXT")))
            .from(a(table))
            .and_where(Expr::col(a("translations")).is_not_null());
        if is_scoped(table) {
            q.and_where(Expr::col(a("initiative_id")).eq(initiative));
        }
        let rows = self.db.query_all(&q).await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get_by_index(1)?;
                let t = serde_json::from_str(&text).map_err(|e| {
                    StoreError::Database(sea_orm::DbErr::Custom(format!(
                        "stored translations in {table} are not valid: {e}"
                    )))
                })?;
                Ok((r.try_get_by_index(0)?, t))
            })
            .collect()
    }

    /// How many live records of `table` (in `initiative`) refer to record `id`
    /// through `column`: what archiving that record touches. Names come from the
    /// kinds' declarations.
    pub async fn count_referring(
        &self,
        table: &'static str,
        column: &'static str,
        id: i64,
        initiative: Option<i64>,
    ) -> Result<i64> {
        let mut q = Query::select();
        q.expr(Expr::cust("COUNT(*)"))
            .from(a(table))
            .and_where(Expr::col(a(column)).eq(id))
            .and_where(Expr::col(a("archived_at")).is_null());
        if is_scoped(table)
            && let Some(i) = initiative
        {
            q.and_where(Expr::col(a("initiative_id")).eq(i));
        }
        count(&self.db, &q).await
    }

    /// Up to `limit` live records of `table` (declared by `columns`) that refer
    /// to record `id` through `column`, as (id, JSON of their data): what
    /// archiving that record touches, by name.
    pub async fn referring(
        &self,
        table: &'static str,
        columns: &[Column],
        column: &'static str,
        id: i64,
        initiative: Option<i64>,
        limit: u64,
    ) -> Result<Vec<(i64, Json)>> {
        let mut q = select_of(table, is_scoped(table), columns);
        q.and_where(Expr::col((a(table), a(column))).eq(id))
            .and_where(Expr::col((a(table), a("archived_at"))).is_null())
            .order_by((a(table), a("id")), Order::Asc)
            .limit(limit);
        if is_scoped(table)
            && let Some(i) = initiative
        {
            q.and_where(Expr::col((a(table), a("initiative_id"))).eq(i));
        }
        let rows = self.db.query_all(&q).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("", "id")?, Json::Object(read_data(columns, r)?))))
            .collect()
    }

    /// Create `first`, then the record `then` makes from its id, in one
    /// transaction (a service and the new location it is at). A refusal says
    /// which of the two was refused: `(true, _)` for the first.
    pub async fn create_linked<A: Resource, B: Resource>(
        &self,
        actor: Option<i64>,
        initiative: Option<i64>,
        first: &A,
        then: impl FnOnce(i64) -> std::result::Result<B, FieldErrors>,
    ) -> std::result::Result<(Record<A>, Record<B>), (bool, StoreError)> {
        let txn = self.write_txn().await.map_err(|e| (true, e))?;
        let a = create_in(&txn, actor, initiative, first)
            .await
            .map_err(|e| (true, e))?;
        let value = then(a.id).map_err(|e| (false, StoreError::Invalid(e)))?;
        let b = create_in(&txn, actor, initiative, &value)
            .await
            .map_err(|e| (false, e))?;
        txn.commit().await.map_err(|e| (false, e.into()))?;
        Ok((a, b))
    }

    /// Create many records in one transaction, all or none (an import): each
    /// is checked like a single create, against the records before it in the
    /// same batch too. A refusal names the position of the value refused.
    pub async fn create_all<T: Resource>(
        &self,
        actor: Option<i64>,
        initiative: Option<i64>,
        values: &[T],
    ) -> std::result::Result<usize, (usize, StoreError)> {
        let txn = self.write_txn().await.map_err(|e| (0, e))?;
        for (n, v) in values.iter().enumerate() {
            create_in(&txn, actor, initiative, v)
                .await
                .map_err(|e| (n, e))?;
        }
        txn.commit()
            .await
            .map_err(|e| (values.len(), StoreError::from(e)))?;
        Ok(values.len())
    }

    /// Create a record (in `initiative` when the kind is scoped to one).
    pub async fn create<T: Resource>(
        &self,
        actor: Option<i64>,
        initiative: Option<i64>,
        value: &T,
    ) -> Result<Record<T>> {
        let txn = self.write_txn().await?;
        let rec = create_in(&txn, actor, initiative, value).await?;
        txn.commit().await?;
        Ok(rec)
    }

    /// Replace a record's data, provided it is still at `expected_version`.
    /// A stale edit is refused with [`StoreError::Conflict`] carrying the current
    /// values; nothing is written.
    pub async fn update<T: Resource>(
        &self,
        actor: Option<i64>,
        initiative: Option<i64>,
        id: i64,
        expected_version: i64,
        value: &T,
    ) -> Result<Record<T>> {
        let txn = self.write_txn().await?;
        let after = update_in(&txn, actor, initiative, id, expected_version, value).await?;
        txn.commit().await?;
        Ok(after)
    }

    /// Archive (or bring back) a record. Nothing with history is deleted.
    pub async fn set_archived<T: Resource>(
        &self,
        actor: Option<i64>,
        initiative: Option<i64>,
        id: i64,
        expected_version: Option<i64>,
        archived: bool,
    ) -> Result<Record<T>> {
        let txn = self.write_txn().await?;
        let before = get_in::<T>(&txn, initiative, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if expected_version.is_some_and(|v| v != before.version) {
            return Err(conflict(&before));
        }
        if before.archived == archived {
            return Ok(before);
        }
        if !archived {
            // Coming back must not duplicate a live record (a second "administration"
            // stage) nor point at records archived meanwhile.
            check_constraints(
                &txn,
                before.initiative_id.or(initiative),
                None,
                Some(id),
                &before.data,
            )
            .await?;
        }
        let now = crate::now();
        let q = Query::update()
            .table(a(T::TABLE))
            .value(a("archived_at"), if archived { Some(now) } else { None })
            .value(a("version"), before.version + 1)
            .value(a("updated_at"), now)
            .and_where(Expr::col(a("id")).eq(id))
            .and_where(Expr::col(a("version")).eq(before.version))
            .to_owned();
        if txn
            .execute(&q)
            .await
            .map_err(on_write::<T>)?
            .rows_affected()
            == 0
        {
            return Err(conflict(&before));
        }
        let after = get_in::<T>(&txn, initiative, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let action = if archived { "archive" } else { "restore" };
        audit::append(
            &txn,
            actor,
            audit_scope(&after),
            T::KIND,
            id,
            action,
            Some(&before),
            Some(&after),
        )
        .await?;
        touch(&txn, &after).await?;
        txn.commit().await?;
        Ok(after)
    }
}

/// Create inside a caller's transaction (used by the demo loader and imports,
/// which must be all-or-nothing).
pub async fn create_in<T: Resource>(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: Option<i64>,
    value: &T,
) -> Result<Record<T>> {
    let initiative = match T::SCOPE {
        Scope::Initiative => Some(initiative.ok_or(StoreError::NotFound)?),
        Scope::Global => None,
    };
    check_constraints(txn, initiative, None, None, value).await?;
    let now = crate::now();
    let mut cols = vec![];
    let mut vals: Vec<SimpleExpr> = vec![];
    if let Some(i) = initiative {
        cols.push(a("initiative_id"));
        vals.push(i.into());
    }
    for (col, v) in to_values::<T>(txn.get_database_backend(), value)? {
        cols.push(a(col));
        vals.push(v);
    }
    cols.extend([a("version"), a("created_at"), a("updated_at")]);
    vals.extend([1i64.into(), now.into(), now.into()]);
    let q = Query::insert()
        .into_table(a(T::TABLE))
        .columns(cols)
        .values_panic(vals)
        .returning_col(a("id"))
        .to_owned();
    let row = txn
        .query_one(&q)
        .await
        .map_err(on_write::<T>)?
        .ok_or(StoreError::NotFound)?;
    let id: i64 = row.try_get("", "id")?;
    let after = get_in::<T>(txn, initiative, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    audit::append(
        txn,
        actor,
        audit_scope(&after),
        T::KIND,
        id,
        "create",
        None::<&()>,
        Some(&after),
    )
    .await?;
    touch(txn, &after).await?;
    Ok(after)
}

/// Versioned update inside a caller's transaction (imports that must be
/// all-or-nothing); see [`Store::update`].
pub async fn update_in<T: Resource>(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: Option<i64>,
    id: i64,
    expected_version: i64,
    value: &T,
) -> Result<Record<T>> {
    let before = get_in::<T>(txn, initiative, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if before.version != expected_version {
        return Err(conflict(&before));
    }
    check_constraints(txn, initiative, Some(&before.data), Some(id), value).await?;
    let now = crate::now();
    let mut q = Query::update();
    q.table(a(T::TABLE));
    for (col, v) in to_values::<T>(txn.get_database_backend(), value)? {
        q.value(a(col), v);
    }
    q.value(a("version"), expected_version + 1)
        .value(a("updated_at"), now)
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("version")).eq(expected_version));
    let res = txn.execute(&q).await.map_err(on_write::<T>)?;
    if res.rows_affected() == 0 {
        return Err(conflict(&before));
    }
    let after = get_in::<T>(txn, initiative, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    audit::append(
        txn,
        actor,
        audit_scope(&after),
        T::KIND,
        id,
        "update",
        Some(&before),
        Some(&after),
    )
    .await?;
    touch(txn, &after).await?;
    Ok(after)
}

impl Store {
    /// Erase personal fields of one record for good: they are blanked on the
    /// record and in the before and after values of every audit entry about it
    /// (the entries stay, so the log still shows who changed what and when).
    /// One transaction; the erasure itself is logged without the erased values.
    pub async fn erase_fields<T: Resource>(
        &self,
        actor: Option<i64>,
        initiative: Option<i64>,
        id: i64,
        fields: &[&'static str],
    ) -> Result<Record<T>> {
        let encode = |e: serde_json::Error| {
            StoreError::Database(sea_orm::DbErr::Custom(format!(
                "cannot encode {}: {e}",
                T::KIND
            )))
        };
        let txn = self.write_txn().await?;
        let before = get_in::<T>(&txn, initiative, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut q = Query::update();
        q.table(a(T::TABLE));
        for f in fields {
            let c = T::columns()
                .iter()
                .find(|c| c.name == *f && c.nullable)
                .ok_or_else(|| {
                    StoreError::Database(sea_orm::DbErr::Custom(format!(
                        "{} has no optional field {f} to erase",
                        T::KIND
                    )))
                })?;
            q.value(a(c.name), Value::String(None));
        }
        q.value(a("version"), before.version + 1)
            .value(a("updated_at"), crate::now())
            .and_where(Expr::col(a("id")).eq(id));
        txn.execute(&q).await?;
        // The log keeps its entries; their personal values go.
        let rows = txn
            .query_all(
                Query::select()
                    .columns([a("id"), a("before"), a("after")])
                    .from(a("audit_log"))
                    .and_where(Expr::col(a("kind")).eq(T::KIND))
                    .and_where(Expr::col(a("record_id")).eq(id)),
            )
            .await?;
        for row in rows {
            let entry: i64 = row.try_get("", "id")?;
            let blank = |text: Option<String>| -> Result<Option<String>> {
                let Some(text) = text else { return Ok(None) };
                let mut v: Json = serde_json::from_str(&text).map_err(encode)?;
                if let Json::Object(obj) = &mut v {
                    for f in fields {
                        if let Some(x) = obj.get_mut(*f) {
                            *x = Json::Null;
                        }
                    }
                }
                Ok(Some(serde_json::to_string(&v).map_err(encode)?))
            };
            let b = blank(row.try_get("", "before")?)?;
            let af = blank(row.try_get("", "after")?)?;
            txn.execute(
                Query::update()
                    .table(a("audit_log"))
                    .value(a("before"), b)
                    .value(a("after"), af)
                    .and_where(Expr::col(a("id")).eq(entry)),
            )
            .await?;
        }
        let after = get_in::<T>(&txn, initiative, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        audit::append(
            &txn,
            actor,
            audit_scope(&after),
            T::KIND,
            id,
            "erase",
            None::<&()>,
            Some(&after),
        )
        .await?;
        touch(&txn, &after).await?;
        txn.commit().await?;
        Ok(after)
    }
}

/// A change to a network changes the pages of every initiative in it (they show
/// its name): mark them changed. The record's own initiative was marked by its
/// audit entry (`audit::append`), in the same transaction.
async fn touch<T: Resource>(txn: &DatabaseTransaction, rec: &Record<T>) -> Result<()> {
    if T::KIND != "network" {
        return Ok(());
    }
    let q = Query::update()
        .table(a("initiatives"))
        .value(a("generation"), Expr::col(a("generation")).add(1))
        .and_where(Expr::col(a("network_id")).eq(rec.id))
        .to_owned();
    txn.execute(&q).await?;
    Ok(())
}

fn audit_scope<T: Resource>(rec: &Record<T>) -> Option<i64> {
    match T::KIND {
        "initiative" => Some(rec.id),
        _ => rec.initiative_id,
    }
}

fn conflict<T: Resource>(current: &Record<T>) -> StoreError {
    match serde_json::to_value(current) {
        Ok(current) => StoreError::Conflict { current },
        Err(e) => StoreError::Database(sea_orm::DbErr::Custom(format!(
            "cannot encode the current {}: {e}",
            T::KIND
        ))),
    }
}

pub(crate) fn select<T: Resource>() -> SelectStatement {
    select_of(T::TABLE, T::SCOPE == Scope::Initiative, T::columns())
}

/// [`select`] for a table known by its declaration only.
fn select_of(table: &str, scoped: bool, columns: &[Column]) -> SelectStatement {
    let t = || a(table);
    let mut q = Query::select();
    q.from(t()).column((t(), a("id")));
    if scoped {
        q.column((t(), a("initiative_id")));
    }
    for c in columns {
        match c.ty {
            // Exact decimals and JSON are read as their text form on both engines.
            ColumnType::Decimal | ColumnType::Json => {
                q.expr_as(Expr::col((t(), a(c.name))).cast_as(a("TEXT")), a(c.name));
            }
            _ => {
                q.column((t(), a(c.name)));
            }
        }
    }
    for c in ["version", "archived_at", "created_at", "updated_at"] {
        q.column((t(), a(c)));
    }
    q
}

fn scope_filter<T: Resource>(q: &mut SelectStatement, initiative: Option<i64>) {
    if T::SCOPE == Scope::Initiative
        && let Some(i) = initiative
    {
        q.and_where(Expr::col(a("initiative_id")).eq(i));
    }
}

/// One record by id, on a caller's connection or transaction.
pub async fn get_in<T: Resource>(
    conn: &impl ConnectionTrait,
    initiative: Option<i64>,
    id: i64,
) -> Result<Option<Record<T>>> {
    let mut q = select::<T>();
    q.and_where(Expr::col(a("id")).eq(id));
    scope_filter::<T>(&mut q, initiative);
    match conn.query_one(&q).await? {
        Some(row) => Ok(Some(read_record::<T>(&row)?)),
        None => Ok(None),
    }
}

/// A row as the JSON object of its data columns.
pub(crate) fn read_data(columns: &[Column], row: &QueryResult) -> Result<Map<String, Json>> {
    let mut obj = Map::new();
    for c in columns {
        let v = match c.ty {
            ColumnType::Text => row.try_get::<Option<String>>("", c.name)?.map(Json::String),
            ColumnType::Int => row.try_get::<Option<i64>>("", c.name)?.map(Json::from),
            ColumnType::Date => row
                .try_get::<Option<NaiveDate>>("", c.name)?
                .map(|d| Json::String(d.to_string())),
            // Selected as text (see `select`): exact, never through a float.
            ColumnType::Decimal => row.try_get::<Option<String>>("", c.name)?.map(Json::String),
            ColumnType::Timestamp => row
                .try_get::<Option<DateTime<Utc>>>("", c.name)?
                .map(|t| Json::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
            ColumnType::Bool => row.try_get::<Option<bool>>("", c.name)?.map(Json::Bool),
            ColumnType::Json => match row.try_get::<Option<String>>("", c.name)? {
                Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                    StoreError::Database(sea_orm::DbErr::Custom(format!(
                        "stored JSON in {} is not valid: {e}",
                        c.name
                    )))
                })?),
                None => None,
            },
        };
        obj.insert(c.name.to_string(), v.unwrap_or(Json::Null));
    }
    Ok(obj)
}

pub(crate) fn read_record<T: Resource>(row: &QueryResult) -> Result<Record<T>> {
    let obj = read_data(T::columns(), row)?;
    let data: T = serde_json::from_value(Json::Object(obj)).map_err(|e| {
        StoreError::Database(sea_orm::DbErr::Custom(format!(
            "stored {} does not match its type: {e}",
            T::KIND
        )))
    })?;
    Ok(Record {
        id: row.try_get("", "id")?,
        initiative_id: match T::SCOPE {
            Scope::Initiative => Some(row.try_get("", "initiative_id")?),
            Scope::Global => None,
        },
        version: row.try_get("", "version")?,
        archived: row
            .try_get::<Option<DateTime<Utc>>>("", "archived_at")?
            .is_some(),
        created_at: row.try_get("", "created_at")?,
        updated_at: row.try_get("", "updated_at")?,
        data,
    })
}

/// The data columns of a value, as database expressions. A value whose JSON form
/// does not match its column's type is an error, never a silent NULL.
fn to_values<T: Resource>(
    backend: sea_orm::DbBackend,
    value: &T,
) -> Result<Vec<(&'static str, SimpleExpr)>> {
    let encode_err = |what: String| {
        StoreError::Database(sea_orm::DbErr::Custom(format!(
            "cannot encode {}: {what}",
            T::KIND
        )))
    };
    let Json::Object(obj) = serde_json::to_value(value).map_err(|e| encode_err(e.to_string()))?
    else {
        return Err(encode_err("not an object".into()));
    };
    let pg = backend == sea_orm::DbBackend::Postgres;
    T::columns()
        .iter()
        .map(|c| {
            let j = obj.get(c.name).unwrap_or(&Json::Null);
            if j.is_null() {
                if !c.nullable && c.ty != ColumnType::Json {
                    return Err(encode_err(format!("{} is required", c.name)));
                }
                let null: Value = match c.ty {
                    ColumnType::Int => Value::BigInt(None),
                    ColumnType::Bool => Value::Bool(None),
                    ColumnType::Date => Option::<NaiveDate>::None.into(),
                    ColumnType::Timestamp => Option::<DateTime<Utc>>::None.into(),
                    _ => Value::String(None),
                };
                let null: SimpleExpr = null.into();
                // PostgreSQL does not turn a text NULL into a NUMERIC one by itself.
                if pg && c.ty == ColumnType::Decimal {
                    return Ok((c.name, null.cast_as(a("NUMERIC"))));
                }
                return Ok((c.name, null));
            }
            let mismatch = || encode_err(format!("{} is not a {:?}", c.name, c.ty));
            let v: SimpleExpr = match c.ty {
                ColumnType::Text => j.as_str().ok_or_else(mismatch)?.to_string().into(),
                ColumnType::Int => j.as_i64().ok_or_else(mismatch)?.into(),
                ColumnType::Bool => j.as_bool().ok_or_else(mismatch)?.into(),
                ColumnType::Date => j
                    .as_str()
                    .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                    .ok_or_else(mismatch)?
                    .into(),
                ColumnType::Timestamp => j
                    .as_str()
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| crate::Timestamp::new(t.with_timezone(&Utc)))
                    .ok_or_else(mismatch)?
                    .into(),
                ColumnType::Decimal => {
                    let text = j.as_str().ok_or_else(mismatch)?.to_string();
                    let e: SimpleExpr = text.into();
                    if pg { e.cast_as(a("NUMERIC")) } else { e }
                }
                ColumnType::Json => {
                    let e: SimpleExpr = j.to_string().into();
                    if pg { e.cast_as(a("JSONB")) } else { e }
                }
            };
            Ok((c.name, v))
        })
        .collect()
}

/// References must point at live records (of the same initiative); unique columns
/// must not repeat. Each refusal names its field.
///
/// An edit that keeps a reference as it was is not refused because its target
/// was archived meanwhile (an initiative of an archived network can still be
/// saved); a reference that changes must point at a live record.
async fn check_constraints<T: Resource>(
    txn: &DatabaseTransaction,
    initiative: Option<i64>,
    previous: Option<&T>,
    self_id: Option<i64>,
    value: &T,
) -> Result<()> {
    let mut errors = FieldErrors::default();
    let previous = match previous {
        Some(p) => serde_json::to_value(p).map_err(|e| {
            StoreError::Database(sea_orm::DbErr::Custom(format!(
                "cannot encode {}: {e}",
                T::KIND
            )))
        })?,
        None => Json::Null,
    };
    let values = serde_json::to_value(value).map_err(|e| {
        StoreError::Database(sea_orm::DbErr::Custom(format!(
            "cannot encode {}: {e}",
            T::KIND
        )))
    })?;
    for c in T::columns() {
        let v = &values[c.name];
        let unchanged = !Json::is_null(&previous) && previous[c.name] == *v;
        if let (Some(target), Some(ref_id), false) = (c.refers_to, v.as_i64(), unchanged) {
            let mut q = Query::select();
            q.expr(Expr::cust("COUNT(*)"))
                .from(a(target))
                .and_where(Expr::col(a("id")).eq(ref_id));
            if target == "users" {
                q.and_where(Expr::col(a("disabled_at")).is_null());
                // Only an account that holds a role in this initiative can be linked.
                if let Some(i) = initiative {
                    q.and_where(
                        Expr::col(a("id")).in_subquery(
                            Query::select()
                                .column(a("user_id"))
                                .from(a("role_grants"))
                                .and_where(Expr::col(a("initiative_id")).eq(i))
                                .to_owned(),
                        ),
                    );
                }
            } else {
                q.and_where(Expr::col(a("archived_at")).is_null());
            }
            if is_scoped(target)
                && let Some(i) = initiative
            {
                q.and_where(Expr::col(a("initiative_id")).eq(i));
            }
            if count(txn, &q).await? == 0 {
                errors.add(
                    c.name,
                    "unknown_reference",
                    format!("{}: no such {} here", c.name, target),
                );
            }
        }
        if c.unique
            && let Some(s) = v.as_str().filter(|s| !s.is_empty())
        {
            let mut q = Query::select();
            q.column(a("id"))
                .from(a(T::TABLE))
                .and_where(Expr::col(a(c.name)).eq(s));
            if let Some(id) = self_id {
                q.and_where(Expr::col(a("id")).ne(id));
            }
            if T::SCOPE == Scope::Initiative
                && let Some(i) = initiative
            {
                q.and_where(Expr::col(a("initiative_id")).eq(i));
                q.and_where(Expr::col(a("archived_at")).is_null());
            }
            if let Some(row) = txn.query_one(&q).await? {
                let other: i64 = row.try_get_by_index(0)?;
                let name = get_in::<T>(txn, initiative, other)
                    .await?
                    .map(|r| r.data.label())
                    .unwrap_or_default();
                errors.naming(
                    c.name,
                    "taken",
                    format!(
                        "{}: '{s}' is already in use by '{name}' ({} {other})",
                        c.name,
                        T::KIND
                    ),
                    domain::validation::Existing {
                        kind: T::KIND,
                        id: other,
                        name,
                    },
                );
            }
        }
    }
    crate::duplicates::check::<T>(txn, initiative, self_id, &values, &mut errors).await?;
    if T::ONE_PER_INITIATIVE
        && self_id.is_none()
        && let Some(i) = initiative
    {
        let mut q = Query::select();
        q.expr(Expr::cust("COUNT(*)"))
            .from(a(T::TABLE))
            .and_where(Expr::col(a("initiative_id")).eq(i))
            .and_where(Expr::col(a("archived_at")).is_null());
        if count(txn, &q).await? > 0 {
            let field = T::columns().first().map(|c| c.name).unwrap_or("id");
            errors.add(
                field,
                "one_per_initiative",
                format!("this initiative already has a {}: edit it instead", T::KIND),
            );
        }
    }
    // A record that refers to its own kind (a sphere inside a sphere) must not
    // end up inside itself: walk up from the new parent.
    if let Some(id) = self_id {
        for c in T::columns()
            .iter()
            .filter(|c| c.refers_to == Some(T::TABLE))
        {
            let mut next = values[c.name].as_i64();
            let mut steps = 0;
            while let Some(parent) = next {
                if parent == id {
                    errors.add(
                        c.name,
                        "cycle",
                        format!("{}: a {} cannot sit inside itself", c.name, T::KIND),
                    );
                    break;
                }
                steps += 1;
                if steps > 1000 {
                    break;
                }
                let q = Query::select()
                    .column(a(c.name))
                    .from(a(T::TABLE))
                    .and_where(Expr::col(a("id")).eq(parent))
                    .to_owned();
                next = match txn.query_one(&q).await? {
                    Some(row) => row.try_get_by_index::<Option<i64>>(0)?,
                    None => None,
                };
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(errors))
    }
}

/// A write refused by a unique index (two writers raced past the check in
/// [`check_constraints`]) becomes the same field error the check would give.
fn on_write<T: Resource>(e: sea_orm::DbErr) -> StoreError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            let field = T::columns()
                .iter()
                .rev()
                .find(|c| c.unique)
                .map(|c| c.name)
                .unwrap_or("id");
            StoreError::Invalid(FieldErrors::single(
                field,
                "taken",
                format!("{field}: the value is already in use"),
            ))
        }
        _ => StoreError::Database(e),
    }
}

/// Run an `INSERT … RETURNING id` and give the new id.
pub(crate) async fn insert_id(
    conn: &impl ConnectionTrait,
    q: &sea_orm::sea_query::InsertStatement,
) -> Result<i64> {
    let row = conn.query_one(q).await?.ok_or(StoreError::NotFound)?;
    Ok(row.try_get("", "id")?)
}

pub(crate) async fn count(conn: &impl ConnectionTrait, q: &SelectStatement) -> Result<i64> {
    let row = conn.query_one(q).await?;
    Ok(row
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0))
}
