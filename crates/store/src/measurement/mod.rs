//! Measured values: the volume path (docs/decisions/0009-measurement.md).
//!
//! Indicators are registry records and go through [`crate::records`]. Their
//! values do not: they arrive by the thousand, from forms, files and the API,
//! and a network holds millions. So a batch of values is written in one
//! transaction with multi-row inserts, one `value_batches` row and one audit
//! entry; a value that replaces another moves the old one to
//! `indicator_value_history` (append-only), tagged with the batch that replaced
//! it; and the running sums in `measurement_cells` — per indicator, slice
//! (the whole, or one option of one category) and period — are brought up to
//! date in the same transaction, so dashboards and rollups read those sums,
//! never the raw values.
//!
//! Values are exact: `NUMERIC` on PostgreSQL; on SQLite an integer count of
//! millionths, which keeps sums exact in SQL on both engines.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryResult};
use serde::Serialize;

use domain::measurement::Decimal;
use domain::measurement::indicator::{Indicator, Subgroup, VALUE_SCALE};
use domain::measurement::period::Period;
use domain::measurement::series::{self, Totals};
use domain::measurement::stats::Cell;
use domain::resource::Record;
use domain::validation::FieldErrors;

use crate::{Engine, Result, Store, StoreError, audit};

pub mod demo;
pub mod import;

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// How many rows one multi-row `INSERT` carries (SQLite allows 32,766
/// parameters; a value row has ten).
const CHUNK: usize = 1000;

/// One value to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewValue {
    pub indicator_id: i64,
    pub period: Period,
    pub subgroup: Subgroup,
    pub partner_id: Option<i64>,
    pub value: Decimal,
    pub comment: String,
}

/// Where a batch came from, for its audit entry.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BatchSource {
    /// `form`, `file`, `api`, `survey` or `demo`.
    pub source: String,
    /// The uploaded file's name and SHA-256, when a file.
    pub file_name: String,
    pub file_hash: String,
}

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    /// None when nothing changed (no batch is recorded then).
    pub batch_id: Option<i64>,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// A stored value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredValue {
    pub id: i64,
    pub indicator_id: i64,
    pub initiative_id: i64,
    pub period: String,
    /// `neighbourhood=North;sex=F`; empty for the total.
    pub subgroup: String,
    /// None: reported without a partner.
    pub partner_id: Option<i64>,
    pub value: Decimal,
    pub comment: String,
    pub author_user_id: Option<i64>,
    pub recorded_at: DateTime<Utc>,
    pub batch_id: i64,
    /// In the history: the batch that replaced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by_batch: Option<i64>,
}

/// The running sums of one indicator, slice and period at one site.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CellRow {
    pub indicator_id: i64,
    pub initiative_id: i64,
    pub period: Period,
    pub cell: Cell,
}

/// A batch as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Batch {
    pub id: i64,
    pub initiative_id: i64,
    pub actor_user_id: Option<i64>,
    pub source: String,
    pub file_name: String,
    pub file_hash: String,
    pub added: i64,
    pub changed: i64,
    pub unchanged: i64,
    pub created_at: DateTime<Utc>,
}

/// Who reported what: one entry per partner, indicator and period that has at
/// least one value, with the first time a value for it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub partner_id: Option<i64>,
    pub indicator_id: i64,
    pub period: String,
    pub first_recorded_at: DateTime<Utc>,
}

/// The slice key of one option of one category.
pub fn slice_of(category: &str, option: &str) -> String {
    format!("{category}={option}")
}

/// Exact decimal ↔ column, per engine.
#[derive(Clone, Copy)]
struct Codec {
    pg: bool,
}

impl Codec {
    fn of(engine: Engine) -> Self {
        Codec {
            pg: engine == Engine::Postgres,
        }
    }
    fn value(self, d: Decimal) -> SimpleExpr {
        if self.pg {
            SimpleExpr::from(d.to_string()).cast_as(a("NUMERIC"))
        } else {
            let mut m = d;
            m.rescale(VALUE_SCALE);
            SimpleExpr::from(i64::try_from(m.mantissa()).unwrap_or(i64::MAX))
        }
    }
    fn column(self, table: &str, col: &str) -> SimpleExpr {
        let c = Expr::col((a(table), a(col)));
        if self.pg { c.cast_as(a("TEXT")) } else { c }
    }
    fn read(self, row: &QueryResult, col: &str) -> Result<Decimal> {
        if self.pg {
            let s: String = row.try_get("", col)?;
            s.parse::<Decimal>()
                .map(|d| d.normalize())
                .map_err(|e| StoreError::Database(sea_orm::DbErr::Type(e.to_string())))
        } else {
            let n: i64 = row.try_get("", col)?;
            Ok(Decimal::new(n, VALUE_SCALE).normalize())
        }
    }
}

type Key = (i64, String, String, i64);

fn key_of(v: &NewValue) -> Key {
    (
        v.indicator_id,
        v.period.to_string(),
        v.subgroup.key(),
        v.partner_id.unwrap_or(0),
    )
}

fn refused(field: &str, code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(FieldErrors::single(field, code, message))
}

const VALUE_COLUMNS: [&str; 10] = [
    "indicator_id",
    "initiative_id",
    "period",
    "subgroup",
    "partner_id",
    "value",
    "comment",
    "author_user_id",
    "recorded_at",
    "batch_id",
];

fn select_values(codec: Codec, table: &str) -> sea_orm::sea_query::SelectStatement {
    let mut q = Query::select();
    q.from(a(table));
    for c in VALUE_COLUMNS {
        if c == "value" {
            q.expr_as(codec.column(table, c), a(c));
        } else {
            q.column((a(table), a(c)));
        }
    }
    q.column((a(table), a("id")));
    q
}

fn stored(codec: Codec, r: &QueryResult, history: bool) -> Result<StoredValue> {
    let partner: i64 = r.try_get("", "partner_id")?;
    Ok(StoredValue {
        id: if history {
            r.try_get("", "value_id")?
        } else {
            r.try_get("", "id")?
        },
        indicator_id: r.try_get("", "indicator_id")?,
        initiative_id: r.try_get("", "initiative_id")?,
        period: r.try_get("", "period")?,
        subgroup: r.try_get("", "subgroup")?,
        partner_id: (partner != 0).then_some(partner),
        value: codec.read(r, "value")?,
        comment: r.try_get("", "comment")?,
        author_user_id: r.try_get("", "author_user_id")?,
        recorded_at: r.try_get("", "recorded_at")?,
        batch_id: r.try_get("", "batch_id")?,
        replaced_by_batch: if history {
            Some(r.try_get("", "replaced_by_batch")?)
        } else {
            None
        },
    })
}

/// Add a value's contribution to every slice it belongs to.
fn touch_cells(
    cells: &mut HashMap<(i64, String, String), Cell>,
    indicator: i64,
    period: &str,
    subgroup: &Subgroup,
    value: Decimal,
    add: bool,
) {
    let is_total = subgroup.is_total();
    let mut apply = |slice: String, is_total: bool| {
        let c = cells
            .entry((indicator, slice, period.to_string()))
            .or_default();
        if add {
            c.add(value, is_total)
        } else {
            c.remove(value, is_total)
        }
    };
    apply(String::new(), is_total);
    for (category, option) in subgroup.pairs() {
        apply(slice_of(category, option), false);
    }
}

pub(crate) async fn locked_in(conn: &impl ConnectionTrait, initiative: i64) -> Result<Vec<String>> {
    let rows = conn
        .query_all(
            &Query::select()
                .column(a("period"))
                .from(a("period_locks"))
                .and_where(Expr::col(a("initiative_id")).eq(initiative))
                .order_by(a("period"), Order::Asc)
                .to_owned(),
        )
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get_by_index::<String>(0)?))
        .collect()
}

/// Write a batch of values inside `txn` (the caller commits). Shared by
/// [`Store::write_values`] and the demo.
pub(crate) async fn write_values_in(
    txn: &DatabaseTransaction,
    engine: Engine,
    initiative: i64,
    actor: Option<i64>,
    source: &BatchSource,
    rows: &[NewValue],
) -> Result<BatchReport> {
    write_values_reporting(txn, engine, initiative, actor, source, rows, &|_, _| {}).await
}

/// [`write_values_in`], calling `progress(written, to_write)` as the new and
/// changed values are written (after each multi-row insert, and every
/// [`CHUNK`] replaced values).
pub(crate) async fn write_values_reporting(
    txn: &DatabaseTransaction,
    engine: Engine,
    initiative: i64,
    actor: Option<i64>,
    source: &BatchSource,
    rows: &[NewValue],
    progress: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<BatchReport> {
    let codec = Codec::of(engine);
    // The indicators must be live ones of this initiative, and take values.
    let ids: BTreeSet<i64> = rows.iter().map(|r| r.indicator_id).collect();
    let mut known: HashMap<i64, bool> = HashMap::new();
    for chunk in ids.iter().copied().collect::<Vec<_>>().chunks(CHUNK) {
        let q = Query::select()
            .columns([a("id"), a("numerator_id")])
            .from(a("indicators"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("archived_at")).is_null())
            .and_where(Expr::col(a("id")).is_in(chunk.to_vec()))
            .to_owned();
        for r in txn.query_all(&q).await? {
            let numerator: Option<i64> = r.try_get("", "numerator_id")?;
            known.insert(r.try_get("", "id")?, numerator.is_some());
        }
    }
    for id in &ids {
        match known.get(id) {
            None => {
                return Err(refused(
                    "indicator",
                    "unknown_indicator",
                    format!("indicator {id} is not a live indicator of this initiative"),
                ));
            }
            Some(true) => {
                return Err(refused(
                    "indicator",
                    "computed_indicator",
                    format!("indicator {id} is computed by its formula and takes no values"),
                ));
            }
            Some(false) => {}
        }
    }
    // A locked period locks the periods inside it too (a locked year, its months).
    let locked: Vec<Period> = locked_in(txn, initiative)
        .await?
        .iter()
        .filter_map(|l| Period::parse(l).ok())
        .collect();
    if let Some(r) = rows.iter().find(|r| {
        locked
            .iter()
            .any(|l| *l == r.period || r.period.within(l.frequency()) == Some(*l))
    }) {
        return Err(refused(
            "period",
            "locked_period",
            format!("period {} is locked after approval", r.period),
        ));
    }
    // What is stored now for the keys of this batch.
    let mut by_indicator: HashMap<i64, BTreeSet<String>> = HashMap::new();
    for r in rows {
        by_indicator
            .entry(r.indicator_id)
            .or_default()
            .insert(r.period.to_string());
    }
    let mut existing: HashMap<Key, StoredValue> = HashMap::new();
    for (indicator, periods) in &by_indicator {
        let periods: Vec<String> = periods.iter().cloned().collect();
        for chunk in periods.chunks(CHUNK) {
            let mut q = select_values(codec, "indicator_values");
            q.and_where(Expr::col(a("indicator_id")).eq(*indicator))
                .and_where(Expr::col(a("period")).is_in(chunk.to_vec()));
            for r in txn.query_all(&q).await? {
                let v = stored(codec, &r, false)?;
                existing.insert(
                    (
                        v.indicator_id,
                        v.period.clone(),
                        v.subgroup.clone(),
                        v.partner_id.unwrap_or(0),
                    ),
                    v,
                );
            }
        }
    }
    let mut seen: HashMap<Key, usize> = HashMap::new();
    let mut added: Vec<&NewValue> = Vec::new();
    let mut changed: Vec<(&NewValue, &StoredValue)> = Vec::new();
    let mut unchanged = 0;
    for (i, r) in rows.iter().enumerate() {
        let key = key_of(r);
        if let Some(first) = seen.insert(key.clone(), i) {
            return Err(refused(
                "value",
                "duplicate_value",
                format!(
                    "items {} and {} are both for indicator {}, period {}, subgroup {:?} and the same partner",
                    first + 1,
                    i + 1,
                    r.indicator_id,
                    r.period,
                    r.subgroup.key()
                ),
            ));
        }
        match existing.get(&key) {
            None => added.push(r),
            Some(old) if old.value == r.value && old.comment == r.comment => unchanged += 1,
            Some(old) => changed.push((r, old)),
        }
    }
    let mut report = BatchReport {
        batch_id: None,
        added: added.len(),
        changed: changed.len(),
        unchanged,
    };
    if added.is_empty() && changed.is_empty() {
        return Ok(report);
    }
    let now = crate::now();
    let batch_q = Query::insert()
        .into_table(a("value_batches"))
        .columns([
            a("initiative_id"),
            a("actor_user_id"),
            a("source"),
            a("file_name"),
            a("file_hash"),
            a("added"),
            a("changed"),
            a("unchanged"),
            a("created_at"),
        ])
        .values_panic([
            initiative.into(),
            actor.into(),
            source.source.clone().into(),
            source.file_name.clone().into(),
            source.file_hash.clone().into(),
            (report.added as i64).into(),
            (report.changed as i64).into(),
            (report.unchanged as i64).into(),
            now.into(),
        ])
        .returning_col(a("id"))
        .to_owned();
    let batch: i64 = txn
        .query_one(&batch_q)
        .await?
        .ok_or_else(|| StoreError::Database(sea_orm::DbErr::RecordNotInserted))?
        .try_get_by_index(0)?;
    report.batch_id = Some(batch);
    let mut cells: HashMap<(i64, String, String), Cell> = HashMap::new();
    let to_write = added.len() + changed.len();
    let mut written = 0;
    progress(written, to_write);
    // New values: multi-row inserts.
    for chunk in added.chunks(CHUNK) {
        let mut q = Query::insert();
        q.into_table(a("indicator_values"))
            .columns(VALUE_COLUMNS.map(a));
        for r in chunk {
            q.values_panic([
                r.indicator_id.into(),
                initiative.into(),
                r.period.to_string().into(),
                r.subgroup.key().into(),
                r.partner_id.unwrap_or(0).into(),
                codec.value(r.value),
                r.comment.clone().into(),
                actor.into(),
                now.into(),
                batch.into(),
            ]);
            touch_cells(
                &mut cells,
                r.indicator_id,
                &r.period.to_string(),
                &r.subgroup,
                r.value,
                true,
            );
        }
        txn.execute(&q).await?;
        written += chunk.len();
        progress(written, to_write);
    }
    // Replaced values: the old row goes to the history, then is overwritten.
    for chunk in changed.chunks(CHUNK) {
        let mut q = Query::insert();
        q.into_table(a("indicator_value_history")).columns(
            ["value_id", "replaced_by_batch"]
                .into_iter()
                .chain(VALUE_COLUMNS)
                .map(a),
        );
        for (_, old) in chunk {
            q.values_panic([
                old.id.into(),
                batch.into(),
                old.indicator_id.into(),
                old.initiative_id.into(),
                old.period.clone().into(),
                old.subgroup.clone().into(),
                old.partner_id.unwrap_or(0).into(),
                codec.value(old.value),
                old.comment.clone().into(),
                old.author_user_id.into(),
                crate::Timestamp::new(old.recorded_at).into(),
                old.batch_id.into(),
            ]);
        }
        txn.execute(&q).await?;
    }
    for (new, old) in &changed {
        txn.execute(
            &Query::update()
                .table(a("indicator_values"))
                .value(a("value"), codec.value(new.value))
                .value(a("comment"), new.comment.clone())
                .value(a("author_user_id"), actor)
                .value(a("recorded_at"), now)
                .value(a("batch_id"), batch)
                .and_where(Expr::col(a("id")).eq(old.id))
                .to_owned(),
        )
        .await?;
        let subgroup = Subgroup::from_key(&old.subgroup);
        touch_cells(
            &mut cells,
            old.indicator_id,
            &old.period,
            &subgroup,
            old.value,
            false,
        );
        touch_cells(
            &mut cells,
            new.indicator_id,
            &old.period,
            &subgroup,
            new.value,
            true,
        );
        written += 1;
        if written % CHUNK == 0 || written == to_write {
            progress(written, to_write);
        }
    }
    // The running sums, added to in SQL so that concurrent batches compose.
    // In key order: a batch's new cells go into the primary key's B-tree in
    // sequence, and on SQLite the rows of one indicator and slice then sit
    // side by side in the table too, so that a series reads a few pages
    // rather than one page per period (ten times faster for a rollup).
    let mut cells: Vec<_> = cells.into_iter().collect();
    cells.sort_unstable_by(|x, y| x.0.cmp(&y.0));
    for chunk in cells.chunks(CHUNK) {
        let mut q = Query::insert();
        q.into_table(a("measurement_cells")).columns(
            [
                "indicator_id",
                "initiative_id",
                "slice",
                "period",
                "total_sum",
                "total_count",
                "sub_sum",
                "sub_count",
            ]
            .map(a),
        );
        for ((indicator, slice, period), c) in chunk {
            q.values_panic([
                (*indicator).into(),
                initiative.into(),
                slice.clone().into(),
                period.clone().into(),
                codec.value(c.total_sum),
                c.total_count.into(),
                codec.value(c.sub_sum),
                c.sub_count.into(),
            ]);
        }
        let add = |col: &str| {
            Expr::col((a("measurement_cells"), a(col))).add(Expr::col((a("excluded"), a(col))))
        };
        q.on_conflict(
            OnConflict::columns([a("indicator_id"), a("slice"), a("period")])
                .values([
                    (a("total_sum"), add("total_sum")),
                    (a("total_count"), add("total_count")),
                    (a("sub_sum"), add("sub_sum")),
                    (a("sub_count"), add("sub_count")),
                ])
                .to_owned(),
        );
        txn.execute(&q).await?;
    }
    audit::append(
        txn,
        actor,
        Some(initiative),
        "value_batch",
        batch,
        "import",
        None::<&()>,
        Some(&serde_json::json!({
            "source": source.source,
            "file_name": source.file_name,
            "file_hash": source.file_hash,
            "added": report.added,
            "changed": report.changed,
            "unchanged": report.unchanged,
        })),
    )
    .await?;
    Ok(report)
}

impl Store {
    /// Write a batch of values in one transaction: all of them or none.
    /// A value for a key that already has one replaces it (the earlier value
    /// stays in the history); the same key twice in one batch is refused.
    pub async fn write_values(
        &self,
        initiative: i64,
        actor: Option<i64>,
        source: &BatchSource,
        rows: &[NewValue],
    ) -> Result<BatchReport> {
        let txn = self.write_txn().await?;
        let report = write_values_in(&txn, self.engine, initiative, actor, source, rows).await?;
        txn.commit().await?;
        Ok(report)
    }

    /// The live indicators of an initiative, by code.
    pub async fn indicators(&self, initiative: i64) -> Result<Vec<Record<Indicator>>> {
        let mut all = self
            .list::<Indicator>(Some(initiative), crate::records::ListOptions::all())
            .await?;
        all.sort_by(|x, y| x.data.code.cmp(&y.data.code));
        Ok(all)
    }

    /// The running sums of these indicators for one slice (`""` = the whole),
    /// optionally between two periods (both included), by indicator and period.
    pub async fn cells(
        &self,
        indicators: &[i64],
        slice: &str,
        from: Option<Period>,
        to: Option<Period>,
    ) -> Result<Vec<CellRow>> {
        self.cells_where(indicators, Some(slice), from, to, None)
            .await
    }

    /// Every slice's sums of one indicator for one period (equity gaps).
    pub async fn slices(&self, indicator: i64, period: Period) -> Result<Vec<(String, Cell)>> {
        let codec = Codec::of(self.engine);
        let mut q = Query::select();
        q.column(a("slice"))
            .expr_as(
                codec.column("measurement_cells", "total_sum"),
                a("total_sum"),
            )
            .column(a("total_count"))
            .expr_as(codec.column("measurement_cells", "sub_sum"), a("sub_sum"))
            .column(a("sub_count"))
            .from(a("measurement_cells"))
            .and_where(Expr::col(a("indicator_id")).eq(indicator))
            .and_where(Expr::col(a("period")).eq(period.to_string()))
            .order_by(a("slice"), Order::Asc);
        let rows = self.db.query_all(&q).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("", "slice")?, read_cell(codec, r)?)))
            .collect()
    }

    /// The whole's sums of these indicators for one period (a network rollup).
    pub async fn cells_in_period(
        &self,
        indicators: &[i64],
        period: Period,
    ) -> Result<Vec<CellRow>> {
        self.cells_where(indicators, Some(""), None, None, Some(period))
            .await
    }

    async fn cells_where(
        &self,
        indicators: &[i64],
        slice: Option<&str>,
        from: Option<Period>,
        to: Option<Period>,
        exactly: Option<Period>,
    ) -> Result<Vec<CellRow>> {
        let codec = Codec::of(self.engine);
        let mut out = Vec::new();
        for chunk in indicators.chunks(CHUNK) {
            let mut q = Query::select();
            q.columns([a("indicator_id"), a("initiative_id"), a("period")])
                .expr_as(
                    codec.column("measurement_cells", "total_sum"),
                    a("total_sum"),
                )
                .column(a("total_count"))
                .expr_as(codec.column("measurement_cells", "sub_sum"), a("sub_sum"))
                .column(a("sub_count"))
                .from(a("measurement_cells"))
                .and_where(Expr::col(a("indicator_id")).is_in(chunk.to_vec()));
            if let Some(s) = slice {
                q.and_where(Expr::col(a("slice")).eq(s));
            }
            if let Some(p) = exactly {
                q.and_where(Expr::col(a("period")).eq(p.to_string()));
            }
            q.order_by(a("indicator_id"), Order::Asc)
                .order_by(a("period"), Order::Asc);
            for r in self.db.query_all(&q).await? {
                let text: String = r.try_get("", "period")?;
                let Ok(period) = Period::parse(&text) else {
                    continue;
                };
                if from.is_some_and(|f| period < f) || to.is_some_and(|t| period > t) {
                    continue;
                }
                out.push(CellRow {
                    indicator_id: r.try_get("", "indicator_id")?,
                    initiative_id: r.try_get("", "initiative_id")?,
                    period,
                    cell: read_cell(codec, &r)?,
                });
            }
        }
        Ok(out)
    }

    /// Stored values of an initiative (optionally one indicator), by id after
    /// `after` (keyset paging), at most `limit`.
    pub async fn values(
        &self,
        initiative: i64,
        indicator: Option<i64>,
        after: i64,
        limit: u64,
    ) -> Result<Vec<StoredValue>> {
        let codec = Codec::of(self.engine);
        let mut q = select_values(codec, "indicator_values");
        q.and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("id")).gt(after));
        if let Some(i) = indicator {
            q.and_where(Expr::col(a("indicator_id")).eq(i));
        }
        q.order_by(a("id"), Order::Asc).limit(limit);
        let rows = self.db.query_all(&q).await?;
        rows.iter().map(|r| stored(codec, r, false)).collect()
    }

    /// The values of these indicators for one period from one partner (none:
    /// reported without a partner), as the entry grid shows them. Reads the
    /// unique key's index (indicator, period, …), never a whole series.
    pub async fn values_in_period(
        &self,
        indicators: &[i64],
        period: Period,
        partner: Option<i64>,
    ) -> Result<Vec<StoredValue>> {
        let codec = Codec::of(self.engine);
        let mut out = Vec::new();
        for chunk in indicators.chunks(CHUNK) {
            let mut q = select_values(codec, "indicator_values");
            q.and_where(Expr::col(a("indicator_id")).is_in(chunk.to_vec()))
                .and_where(Expr::col(a("period")).eq(period.to_string()))
                .and_where(Expr::col(a("partner_id")).eq(partner.unwrap_or(0)))
                .order_by(a("id"), Order::Asc);
            for r in self.db.query_all(&q).await? {
                out.push(stored(codec, &r, false)?);
            }
        }
        Ok(out)
    }

    /// Every earlier version of one stored value, newest first.
    pub async fn value_history(&self, value: i64) -> Result<Vec<StoredValue>> {
        let codec = Codec::of(self.engine);
        let mut q = select_values(codec, "indicator_value_history");
        q.columns([a("value_id"), a("replaced_by_batch")])
            .and_where(Expr::col(a("value_id")).eq(value))
            .order_by(a("id"), Order::Desc);
        let rows = self.db.query_all(&q).await?;
        rows.iter().map(|r| stored(codec, r, true)).collect()
    }

    /// The values a batch replaced, as they were before it.
    pub async fn replaced_by(&self, batch: i64) -> Result<Vec<StoredValue>> {
        let codec = Codec::of(self.engine);
        let mut q = select_values(codec, "indicator_value_history");
        q.columns([a("value_id"), a("replaced_by_batch")])
            .and_where(Expr::col(a("replaced_by_batch")).eq(batch))
            .order_by(a("id"), Order::Asc);
        let rows = self.db.query_all(&q).await?;
        rows.iter().map(|r| stored(codec, r, true)).collect()
    }

    /// An initiative's batches, newest first.
    pub async fn batches(&self, initiative: i64, limit: u64) -> Result<Vec<Batch>> {
        let q = Query::select()
            .columns(
                [
                    "id",
                    "initiative_id",
                    "actor_user_id",
                    "source",
                    "file_name",
                    "file_hash",
                    "added",
                    "changed",
                    "unchanged",
                    "created_at",
                ]
                .map(a),
            )
            .from(a("value_batches"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .order_by(a("id"), Order::Desc)
            .limit(limit)
            .to_owned();
        let rows = self.db.query_all(&q).await?;
        rows.iter()
            .map(|r| {
                Ok(Batch {
                    id: r.try_get("", "id")?,
                    initiative_id: r.try_get("", "initiative_id")?,
                    actor_user_id: r.try_get("", "actor_user_id")?,
                    source: r.try_get("", "source")?,
                    file_name: r.try_get("", "file_name")?,
                    file_hash: r.try_get("", "file_hash")?,
                    added: r.try_get("", "added")?,
                    changed: r.try_get("", "changed")?,
                    unchanged: r.try_get("", "unchanged")?,
                    created_at: r.try_get("", "created_at")?,
                })
            })
            .collect()
    }

    /// Who reported which indicator for which of these periods (completeness and
    /// timeliness), read from the values of those periods only.
    pub async fn reports(&self, initiative: i64, periods: &[Period]) -> Result<Vec<Report>> {
        let texts: Vec<String> = periods.iter().map(|p| p.to_string()).collect();
        let mut out = Vec::new();
        for chunk in texts.chunks(CHUNK) {
            let q = Query::select()
                .columns([a("partner_id"), a("indicator_id"), a("period")])
                .expr_as(Expr::col(a("recorded_at")).min(), a("first"))
                .from(a("indicator_values"))
                .and_where(Expr::col(a("initiative_id")).eq(initiative))
                .and_where(Expr::col(a("period")).is_in(chunk.to_vec()))
                .group_by_columns([a("partner_id"), a("indicator_id"), a("period")])
                .to_owned();
            for r in self.db.query_all(&q).await? {
                let partner: i64 = r.try_get("", "partner_id")?;
                out.push(Report {
                    partner_id: (partner != 0).then_some(partner),
                    indicator_id: r.try_get("", "indicator_id")?,
                    period: r.try_get("", "period")?,
                    first_recorded_at: read_time(&r, "first")?,
                });
            }
        }
        Ok(out)
    }

    /// The periods of an initiative locked after approval.
    pub async fn locked_periods(&self, initiative: i64) -> Result<Vec<String>> {
        locked_in(&self.db, initiative).await
    }

    /// Lock (or unlock) a period: no value of it can be written while locked.
    pub async fn set_period_locked(
        &self,
        initiative: i64,
        period: Period,
        locked: bool,
        actor: Option<i64>,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        let text = period.to_string();
        let is = locked_in(&txn, initiative).await?.contains(&text);
        if is == locked {
            txn.commit().await?;
            return Ok(());
        }
        if locked {
            txn.execute(
                &Query::insert()
                    .into_table(a("period_locks"))
                    .columns([
                        a("initiative_id"),
                        a("period"),
                        a("locked_by"),
                        a("locked_at"),
                    ])
                    .values_panic([
                        initiative.into(),
                        text.clone().into(),
                        actor.into(),
                        crate::now().into(),
                    ])
                    .to_owned(),
            )
            .await?;
        } else {
            txn.execute(
                &Query::delete()
                    .from_table(a("period_locks"))
                    .and_where(Expr::col(a("initiative_id")).eq(initiative))
                    .and_where(Expr::col(a("period")).eq(text.clone()))
                    .to_owned(),
            )
            .await?;
        }
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "period",
            0,
            if locked { "lock" } else { "unlock" },
            None::<&()>,
            Some(&serde_json::json!({ "period": text })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

fn read_cell(codec: Codec, r: &QueryResult) -> Result<Cell> {
    Ok(Cell {
        total_sum: codec.read(r, "total_sum")?,
        total_count: r.try_get("", "total_count")?,
        sub_sum: codec.read(r, "sub_sum")?,
        sub_count: r.try_get("", "sub_count")?,
    })
}

/// `MIN(recorded_at)` comes back as text on SQLite.
fn read_time(r: &QueryResult, col: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = r.try_get::<DateTime<Utc>>("", col) {
        return Ok(t);
    }
    let s: String = r.try_get("", col)?;
    DateTime::parse_from_rfc3339(&s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Database(sea_orm::DbErr::Type(e.to_string())))
}

/// A network's value of one indicator for one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rollup {
    /// Every live initiative of the network that has the indicator (matched by
    /// code), by slug, with its total (none when it has no total).
    pub sites: Vec<Site>,
    pub total: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    pub initiative: String,
    pub name: String,
    pub value: Option<Decimal>,
}

impl Store {
    /// The distinct codes of the live indicators of these initiatives, sorted
    /// (what a network's comparison offers). One query.
    pub async fn indicator_codes(&self, initiatives: &[i64]) -> Result<Vec<String>> {
        if initiatives.is_empty() {
            return Ok(Vec::new());
        }
        let q = Query::select()
            .distinct()
            .column(a("code"))
            .from(a("indicators"))
            .and_where(Expr::col(a("initiative_id")).is_in(initiatives.to_vec()))
            .and_where(Expr::col(a("archived_at")).is_null())
            .order_by(a("code"), Order::Asc)
            .to_owned();
        let rows = self.db.query_all(&q).await?;
        rows.iter()
            .map(|r| Ok(r.try_get_by_index::<String>(0)?))
            .collect()
    }

    /// A live indicator of an initiative by its code.
    pub async fn indicator_by_code(
        &self,
        initiative: i64,
        code: &str,
    ) -> Result<Record<Indicator>> {
        let mut q = crate::records::select::<Indicator>();
        q.and_where(Expr::col((a("indicators"), a("initiative_id"))).eq(initiative))
            .and_where(Expr::col((a("indicators"), a("code"))).eq(code))
            .and_where(Expr::col((a("indicators"), a("archived_at"))).is_null());
        let row = self.db.query_one(&q).await?.ok_or(StoreError::NotFound)?;
        crate::records::read_record::<Indicator>(&row)
    }

    /// The totals of each of these indicators by period, from the running sums
    /// of the whole (formula indicators from their numerator and denominator,
    /// which must be among `all`). One query.
    pub async fn totals(
        &self,
        wanted: &[&Record<Indicator>],
        all: &[Record<Indicator>],
    ) -> Result<HashMap<i64, Totals>> {
        let by_id: HashMap<i64, &Record<Indicator>> = all.iter().map(|r| (r.id, r)).collect();
        let mut ids: BTreeSet<i64> = BTreeSet::new();
        for w in wanted {
            ids.insert(w.id);
            ids.extend(w.data.numerator_id);
            ids.extend(w.data.denominator_id);
        }
        let ids: Vec<i64> = ids.into_iter().collect();
        let mut cells: HashMap<i64, Vec<(Period, Cell)>> = HashMap::new();
        for c in self.cells(&ids, "", None, None).await? {
            cells
                .entry(c.indicator_id)
                .or_default()
                .push((c.period, c.cell));
        }
        let plain = |id: i64| -> Totals {
            match (by_id.get(&id), cells.get(&id)) {
                (Some(r), Some(c)) => series::site_totals(&r.data, c),
                _ => Totals::new(),
            }
        };
        let mut out = HashMap::new();
        for w in wanted {
            let t = match (w.data.numerator_id, w.data.denominator_id) {
                (Some(n), Some(d)) => {
                    series::formula_totals(&plain(n), &plain(d), w.data.factor_or_one())
                }
                _ => plain(w.id),
            };
            out.insert(w.id, t);
        }
        Ok(out)
    }

    /// One indicator's network rollup for one period (see the exact
    /// rules): per site its total; for the network, the sites' totals aggregated
    /// by the indicator's aggregation over the sites that have one — except a
    /// formula indicator, whose network value is its formula over the network
    /// values of its numerator and denominator. The definition (aggregation,
    /// factor) is read from the first site by slug.
    pub async fn rollup(&self, network: i64, code: &str, period: Period) -> Result<Rollup> {
        let parts = self.rollup_parts(network, code).await?;
        let cells: HashMap<i64, Cell> = self
            .cells_in_period(&parts.cell_ids(), period)
            .await?
            .into_iter()
            .map(|c| (c.indicator_id, c.cell))
            .collect();
        Ok(parts.compose(&cells))
    }

    /// The same rollup for every period from `from` to `to` (both included;
    /// `None` for no bound) in which any site has a value, oldest first: a
    /// network's chart over the years. The running sums of all those periods
    /// are read in one query, so ten years of a network cost one read of
    /// sites × periods rows.
    pub async fn rollup_series(
        &self,
        network: i64,
        code: &str,
        from: Option<Period>,
        to: Option<Period>,
    ) -> Result<Vec<(Period, Rollup)>> {
        let parts = self.rollup_parts(network, code).await?;
        let mut by_period: BTreeMap<Period, HashMap<i64, Cell>> = BTreeMap::new();
        for c in self.cells(&parts.cell_ids(), "", from, to).await? {
            by_period
                .entry(c.period)
                .or_default()
                .insert(c.indicator_id, c.cell);
        }
        Ok(by_period
            .into_iter()
            .map(|(p, cells)| (p, parts.compose(&cells)))
            .collect())
    }

    /// The sites of a network that have the indicator `code`, and the
    /// definitions a rollup needs.
    async fn rollup_parts(&self, network: i64, code: &str) -> Result<RollupParts> {
        let mut q = crate::records::select::<domain::partnership::Initiative>();
        q.and_where(Expr::col((a("initiatives"), a("network_id"))).eq(network))
            .and_where(Expr::col((a("initiatives"), a("archived_at"))).is_null());
        let initiatives: HashMap<i64, Record<domain::partnership::Initiative>> = self
            .db
            .query_all(&q)
            .await?
            .iter()
            .map(|r| crate::records::read_record(r).map(|i: Record<_>| (i.id, i)))
            .collect::<Result<_>>()?;
        let ids: Vec<i64> = initiatives.keys().copied().collect();
        let mut q = crate::records::select::<Indicator>();
        q.and_where(Expr::col((a("indicators"), a("code"))).eq(code))
            .and_where(Expr::col((a("indicators"), a("initiative_id"))).is_in(ids))
            .and_where(Expr::col((a("indicators"), a("archived_at"))).is_null());
        let found: Vec<Record<Indicator>> = self
            .db
            .query_all(&q)
            .await?
            .iter()
            .map(crate::records::read_record)
            .collect::<Result<_>>()?;
        // The numerators and denominators of formula indicators.
        let parts: Vec<i64> = found
            .iter()
            .flat_map(|f| [f.data.numerator_id, f.data.denominator_id])
            .flatten()
            .collect();
        let part_records: Vec<Record<Indicator>> = if parts.is_empty() {
            Vec::new()
        } else {
            let mut q = crate::records::select::<Indicator>();
            q.and_where(Expr::col((a("indicators"), a("id"))).is_in(parts));
            self.db
                .query_all(&q)
                .await?
                .iter()
                .map(crate::records::read_record)
                .collect::<Result<_>>()?
        };
        let defs: HashMap<i64, Indicator> = found
            .iter()
            .chain(part_records.iter())
            .map(|r| (r.id, r.data.clone()))
            .collect();
        let mut sites: Vec<(String, String, Record<Indicator>)> = found
            .into_iter()
            .filter_map(|f| {
                let init = initiatives.get(&f.initiative_id?)?;
                Some((init.data.slug.clone(), init.data.name.clone(), f))
            })
            .collect();
        sites.sort_by(|x, y| x.0.cmp(&y.0));
        Ok(RollupParts { sites, defs })
    }
}

/// What a rollup needs besides the running sums: the sites (slug, name and
/// their indicator, by slug) and every definition involved.
struct RollupParts {
    sites: Vec<(String, String, Record<Indicator>)>,
    defs: HashMap<i64, Indicator>,
}

impl RollupParts {
    fn cell_ids(&self) -> Vec<i64> {
        self.defs.keys().copied().collect()
    }

    /// The rollup of one period from its running sums of the whole.
    fn compose(&self, cells: &HashMap<i64, Cell>) -> Rollup {
        let total_of = |id: i64| -> Option<Decimal> {
            cells
                .get(&id)
                .and_then(|c| c.total(self.defs.get(&id)?.aggregation))
        };
        let mut sites = Vec::with_capacity(self.sites.len());
        let (mut nums, mut dens) = (Vec::new(), Vec::new());
        let mut num_agg = None;
        let mut den_agg = None;
        for (slug, name, f) in &self.sites {
            let value = match (f.data.numerator_id, f.data.denominator_id) {
                (Some(n), Some(d)) => {
                    let (nv, dv) = (total_of(n), total_of(d));
                    nums.push(nv);
                    dens.push(dv);
                    num_agg = num_agg.or(self.defs.get(&n).map(|i| i.aggregation));
                    den_agg = den_agg.or(self.defs.get(&d).map(|i| i.aggregation));
                    domain::measurement::stats::formula(nv, dv, f.data.factor_or_one())
                }
                _ => total_of(f.id),
            };
            sites.push(Site {
                initiative: slug.clone(),
                name: name.clone(),
                value,
            });
        }
        let total = match self.sites.first().map(|s| &s.2.data) {
            None => None,
            Some(def) if def.is_formula() => domain::measurement::stats::formula(
                series::network_value(num_agg.unwrap_or(def.aggregation), &nums),
                series::network_value(den_agg.unwrap_or(def.aggregation), &dens),
                def.factor_or_one(),
            ),
            Some(def) => series::network_value(
                def.aggregation,
                &sites.iter().map(|s| s.value).collect::<Vec<_>>(),
            ),
        };
        Rollup { sites, total }
    }
}
