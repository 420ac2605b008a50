//! The open book's store path (volume data, not registry records).
//!
//! Entries are written in batches: one transaction, one `ledger_batches` row,
//! multi-row inserts, and the running totals in `ledger_totals` (per
//! initiative, year, kind, currency, budget line, funder and commitment, 0 for
//! none) added to in SQL in the same transaction (`ON CONFLICT … DO UPDATE SET
//! total = total + excluded.total`), then one audit entry naming who wrote how
//! many entries and the total per currency. Nothing is ever updated or deleted
//! in `ledger_entries`: a correction is a reversing entry. Budget against
//! actual reads the totals (a few hundred rows for a year), never the entries.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, JoinType, OnConflict, Order, Query, SelectStatement,
};
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryResult};

use domain::funding::ledger::{
    self, BudgetVsActual, CommitmentFacts, Committed, Entry, EntryKind, Line, LineFacts, NewEntry,
    Received, Total, TotalKey,
};
use domain::funding::money::{WHOLE, split};
use domain::validation::FieldErrors;

use crate::{Result, Store, StoreError, audit};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// Rows per multi-row `INSERT` (16 columns: well inside SQLite's 32,766 parameters).
const CHUNK: usize = 1000;

const COLUMNS: [&str; 16] = [
    "initiative_id",
    "entry_date",
    "kind",
    "amount_minor",
    "currency",
    "funder_id",
    "payer",
    "payee",
    "budget_line_id",
    "commitment_id",
    "reference",
    "attachment",
    "reverses",
    "recorded_by",
    "recorded_at",
    "batch_id",
];

/// What a batch wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    pub batch_id: i64,
    pub entries: usize,
    /// Per currency, the sum of the amounts written.
    pub totals: BTreeMap<String, i64>,
}

/// A page of entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyset {
    /// Oldest first, ids above this one (0: from the start).
    After(i64),
    /// Newest first, ids below this one (`None`: from the newest).
    Before(Option<i64>),
}

/// `entries[i].field`: where a batch's error is.
pub fn at(index: usize, field: &str) -> String {
    format!("entries[{index}].{field}")
}

/// A batch's errors for a single entry: `entries[0].currency` → `currency`.
pub fn unindexed(errors: FieldErrors) -> FieldErrors {
    FieldErrors(
        errors
            .0
            .into_iter()
            .map(|(k, v)| {
                let k = match k.strip_prefix("entries[0].") {
                    Some(rest) => rest.to_string(),
                    None => k,
                };
                (k, v)
            })
            .collect(),
    )
}

/// Prefix one entry's errors with its index in the batch.
pub fn indexed(index: usize, errors: FieldErrors, into: &mut FieldErrors) {
    for (k, v) in errors.0 {
        into.0.entry(at(index, &k)).or_insert(v);
    }
}

async fn ids_in(
    txn: &DatabaseTransaction,
    table: &str,
    cols: &[&str],
    initiative: i64,
    ids: &BTreeSet<i64>,
) -> Result<Vec<QueryResult>> {
    let mut out = vec![];
    let ids: Vec<i64> = ids.iter().copied().collect();
    for chunk in ids.chunks(CHUNK) {
        let mut q = Query::select();
        q.column(a("id"))
            .columns(cols.iter().map(|c| a(c)))
            .from(a(table))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("archived_at")).is_null())
            .and_where(Expr::col(a("id")).is_in(chunk.to_vec()));
        out.extend(txn.query_all(&q).await?);
    }
    Ok(out)
}

/// Check a batch against the initiative's live budget lines, commitments and
/// funders: every error with the entry's index, nothing written on any.
async fn check_batch(
    txn: &DatabaseTransaction,
    initiative: i64,
    entries: &[NewEntry],
) -> Result<()> {
    let line_ids: BTreeSet<i64> = entries.iter().filter_map(|e| e.budget_line_id).collect();
    let mut lines: HashMap<i64, LineFacts> = HashMap::new();
    for r in ids_in(
        txn,
        "budget_lines",
        &["year", "currency"],
        initiative,
        &line_ids,
    )
    .await?
    {
        let id: i64 = r.try_get("", "id")?;
        let year: i64 = r.try_get("", "year")?;
        lines.insert(
            id,
            LineFacts {
                id,
                year: year as i32,
                currency: r.try_get("", "currency")?,
            },
        );
    }
    let c_ids: BTreeSet<i64> = entries.iter().filter_map(|e| e.commitment_id).collect();
    let mut commitments: HashMap<i64, CommitmentFacts> = HashMap::new();
    let cols = ["funder_id", "currency", "starts_on", "ends_on"];
    for r in ids_in(txn, "commitments", &cols, initiative, &c_ids).await? {
        let id: i64 = r.try_get("", "id")?;
        commitments.insert(
            id,
            CommitmentFacts {
                id,
                funder_id: r.try_get("", "funder_id")?,
                currency: r.try_get("", "currency")?,
                starts_on: r.try_get("", "starts_on")?,
                ends_on: r.try_get("", "ends_on")?,
            },
        );
    }
    let f_ids: BTreeSet<i64> = entries.iter().filter_map(|e| e.funder_id).collect();
    let mut funders: BTreeSet<i64> = BTreeSet::new();
    for r in ids_in(txn, "funders", &[], initiative, &f_ids).await? {
        funders.insert(r.try_get("", "id")?);
    }
    let mut errors = FieldErrors::default();
    for (i, e) in entries.iter().enumerate() {
        let mut own = FieldErrors::default();
        let line = e.budget_line_id.and_then(|id| lines.get(&id));
        if let (Some(id), None) = (e.budget_line_id, line) {
            own.add(
                "budget_line_id",
                "unknown",
                format!("budget_line_id {id} is not a budget line of this initiative"),
            );
        }
        let commitment = e.commitment_id.and_then(|id| commitments.get(&id));
        if let (Some(id), None) = (e.commitment_id, commitment) {
            own.add(
                "commitment_id",
                "unknown",
                format!("commitment_id {id} is not a commitment of this initiative"),
            );
        }
        if let Some(f) = e.funder_id.filter(|f| !funders.contains(f)) {
            own.add(
                "funder_id",
                "unknown",
                format!("funder_id {f} is not a funder of this initiative"),
            );
        }
        if let Err(more) = ledger::check(e, line, commitment) {
            for (k, v) in more.0 {
                own.0.entry(k).or_insert(v);
            }
        }
        indexed(i, own, &mut errors);
    }
    if entries.is_empty() {
        errors.add(
            "entries",
            "required",
            "entries must hold at least one entry",
        );
    }
    errors.finish(()).map_err(StoreError::Invalid)
}

/// Write a batch of entries inside `txn` (the caller commits): checked, then
/// all written with their totals and one audit entry. `reverses[i]`, when
/// given, is the entry the i-th one reverses (reversals are not re-checked:
/// they mirror an entry that was).
pub(crate) async fn write_in(
    txn: &DatabaseTransaction,
    initiative: i64,
    actor: Option<i64>,
    source: &str,
    entries: &[NewEntry],
    reverses: Option<i64>,
) -> Result<Written> {
    if reverses.is_none() {
        check_batch(txn, initiative, entries).await?;
    }
    let now = crate::now();
    let batch: i64 = txn
        .query_one(
            &Query::insert()
                .into_table(a("ledger_batches"))
                .columns([
                    a("initiative_id"),
                    a("recorded_by"),
                    a("source"),
                    a("entries"),
                    a("recorded_at"),
                ])
                .values_panic([
                    initiative.into(),
                    actor.into(),
                    source.into(),
                    (entries.len() as i64).into(),
                    now.into(),
                ])
                .returning_col(a("id"))
                .to_owned(),
        )
        .await?
        .ok_or_else(|| StoreError::Database(sea_orm::DbErr::RecordNotInserted))?
        .try_get_by_index(0)?;
    let mut totals: BTreeMap<TotalKey, (i64, i64)> = BTreeMap::new();
    let mut per_currency: BTreeMap<String, i64> = BTreeMap::new();
    for chunk in entries.chunks(CHUNK) {
        let mut q = Query::insert();
        q.into_table(a("ledger_entries")).columns(COLUMNS.map(a));
        for e in chunk {
            q.values_panic([
                initiative.into(),
                e.entry_date.into(),
                e.kind.as_str().into(),
                e.amount_minor.into(),
                e.currency.clone().into(),
                e.funder_id.into(),
                e.payer.clone().into(),
                e.payee.clone().into(),
                e.budget_line_id.into(),
                e.commitment_id.into(),
                e.reference.clone().into(),
                e.attachment.clone().into(),
                reverses.into(),
                actor.into(),
                now.into(),
                batch.into(),
            ]);
            let t = totals.entry(TotalKey::of(e)).or_default();
            t.0 += e.amount_minor;
            t.1 += e.amount_minor.signum();
            *per_currency.entry(e.currency.clone()).or_insert(0) += e.amount_minor;
        }
        txn.execute(&q).await?;
    }
    // The running totals, added to in SQL so that concurrent batches compose.
    let totals: Vec<_> = totals.into_iter().collect();
    for chunk in totals.chunks(CHUNK) {
        let mut q = Query::insert();
        q.into_table(a("ledger_totals")).columns(
            [
                "initiative_id",
                "year",
                "kind",
                "currency",
                "budget_line_id",
                "funder_id",
                "commitment_id",
                "total_minor",
                "entries",
            ]
            .map(a),
        );
        for (k, (total, count)) in chunk {
            q.values_panic([
                initiative.into(),
                (k.year as i64).into(),
                k.kind.as_str().into(),
                k.currency.clone().into(),
                k.budget_line_id.unwrap_or(0).into(),
                k.funder_id.unwrap_or(0).into(),
                k.commitment_id.unwrap_or(0).into(),
                (*total).into(),
                (*count).into(),
            ]);
        }
        let add = |col: &str| {
            Expr::col((a("ledger_totals"), a(col))).add(Expr::col((a("excluded"), a(col))))
        };
        q.on_conflict(
            OnConflict::columns(
                [
                    "initiative_id",
                    "year",
                    "kind",
                    "currency",
                    "budget_line_id",
                    "funder_id",
                    "commitment_id",
                ]
                .map(a),
            )
            .values([
                (a("total_minor"), add("total_minor")),
                (a("entries"), add("entries")),
            ])
            .to_owned(),
        );
        txn.execute(&q).await?;
    }
    let action = if reverses.is_some() {
        "reverse"
    } else {
        "record"
    };
    audit::append(
        txn,
        actor,
        Some(initiative),
        "ledger_batch",
        batch,
        action,
        None::<&()>,
        Some(&serde_json::json!({
            "source": source,
            "entries": entries.len(),
            "totals": per_currency,
            "reverses": reverses,
        })),
    )
    .await?;
    Ok(Written {
        batch_id: batch,
        entries: entries.len(),
        totals: per_currency,
    })
}

fn select_entries() -> SelectStatement {
    let mut q = Query::select();
    q.from_as(a("ledger_entries"), a("e"));
    q.column((a("e"), a("id")));
    for c in COLUMNS {
        q.column((a("e"), a(c)));
    }
    q.expr_as(Expr::col((a("r"), a("id"))), a("reversed_by"));
    q.join_as(
        JoinType::LeftJoin,
        a("ledger_entries"),
        a("r"),
        Expr::col((a("r"), a("reverses"))).equals((a("e"), a("id"))),
    );
    q
}

fn entry_of(r: &QueryResult) -> Result<Entry> {
    let kind: String = r.try_get("", "kind")?;
    Ok(Entry {
        id: r.try_get("", "id")?,
        entry: NewEntry {
            entry_date: r.try_get("", "entry_date")?,
            kind: EntryKind::parse(&kind).unwrap_or(EntryKind::Expense),
            amount_minor: r.try_get("", "amount_minor")?,
            currency: r.try_get("", "currency")?,
            funder_id: r.try_get("", "funder_id")?,
            payer: r.try_get("", "payer")?,
            payee: r.try_get("", "payee")?,
            budget_line_id: r.try_get("", "budget_line_id")?,
            commitment_id: r.try_get("", "commitment_id")?,
            reference: r.try_get("", "reference")?,
            attachment: r.try_get("", "attachment")?,
        },
        reverses: r.try_get("", "reverses")?,
        reversed_by: r.try_get("", "reversed_by")?,
        recorded_by: r.try_get("", "recorded_by")?,
        recorded_at: r.try_get("", "recorded_at")?,
        batch_id: r.try_get("", "batch_id")?,
    })
}

async fn entries_where(
    conn: &impl ConnectionTrait,
    initiative: i64,
    f: impl FnOnce(&mut SelectStatement),
) -> Result<Vec<Entry>> {
    let mut q = select_entries();
    q.and_where(Expr::col((a("e"), a("initiative_id"))).eq(initiative));
    f(&mut q);
    conn.query_all(&q).await?.iter().map(entry_of).collect()
}

/// The running totals of an initiative (of one year, or all years).
async fn totals_of(
    conn: &impl ConnectionTrait,
    initiative: i64,
    year: Option<i32>,
    kind: Option<EntryKind>,
) -> Result<Vec<Total>> {
    let mut q = Query::select();
    q.columns(
        [
            "year",
            "kind",
            "currency",
            "budget_line_id",
            "funder_id",
            "commitment_id",
            "total_minor",
        ]
        .map(a),
    )
    .from(a("ledger_totals"))
    .and_where(Expr::col(a("initiative_id")).eq(initiative));
    if let Some(y) = year {
        q.and_where(Expr::col(a("year")).eq(y as i64));
    }
    if let Some(k) = kind {
        q.and_where(Expr::col(a("kind")).eq(k.as_str()));
    }
    let opt = |v: i64| (v != 0).then_some(v);
    conn.query_all(&q)
        .await?
        .iter()
        .map(|r| {
            let year: i64 = r.try_get("", "year")?;
            let kind: String = r.try_get("", "kind")?;
            Ok(Total {
                key: TotalKey {
                    year: year as i32,
                    kind: EntryKind::parse(&kind).unwrap_or(EntryKind::Expense),
                    currency: r.try_get("", "currency")?,
                    budget_line_id: opt(r.try_get("", "budget_line_id")?),
                    funder_id: opt(r.try_get("", "funder_id")?),
                    commitment_id: opt(r.try_get("", "commitment_id")?),
                },
                total_minor: r.try_get("", "total_minor")?,
            })
        })
        .collect()
}

/// Figures of the funding overview.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReceivedFigures {
    pub commitments: Vec<Received>,
    pub funders: Vec<Received>,
}

impl Store {
    /// Write a batch of entries in one transaction: all of them or none.
    /// Errors name each field as `entries[i].field`.
    pub async fn write_ledger(
        &self,
        initiative: i64,
        actor: Option<i64>,
        source: &str,
        entries: &[NewEntry],
    ) -> Result<Written> {
        let txn = self.write_txn().await?;
        let w = write_in(&txn, initiative, actor, source, entries, None).await?;
        txn.commit().await?;
        Ok(w)
    }

    /// Reverse entry `id`: a new entry with the same date, line, funder and
    /// commitment and the negated amount, so that the two net out in the same
    /// year. An entry is reversed once; a reversal is never reversed.
    pub async fn reverse_entry(
        &self,
        initiative: i64,
        actor: Option<i64>,
        id: i64,
    ) -> Result<Entry> {
        let txn = self.write_txn().await?;
        let target = entries_where(&txn, initiative, |q| {
            q.and_where(Expr::col((a("e"), a("id"))).eq(id));
        })
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)?;
        ledger::check_reversal(&target).map_err(StoreError::Invalid)?;
        let r = ledger::reversal_of(&target, target.entry.entry_date);
        let w = write_in(&txn, initiative, actor, "reversal", &[r], Some(id)).await?;
        let made = entries_where(&txn, initiative, |q| {
            q.and_where(Expr::col((a("e"), a("batch_id"))).eq(w.batch_id));
        })
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)?;
        txn.commit().await?;
        Ok(made)
    }

    /// One entry.
    pub async fn ledger_entry(&self, initiative: i64, id: i64) -> Result<Entry> {
        entries_where(&self.db, initiative, |q| {
            q.and_where(Expr::col((a("e"), a("id"))).eq(id));
        })
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)
    }

    /// The entries written by one batch, in id order.
    pub async fn ledger_batch(&self, initiative: i64, batch: i64) -> Result<Vec<Entry>> {
        entries_where(&self.db, initiative, |q| {
            q.and_where(Expr::col((a("e"), a("batch_id"))).eq(batch))
                .order_by((a("e"), a("id")), Order::Asc);
        })
        .await
    }

    /// A page of entries (keyset on the id).
    pub async fn ledger_entries(
        &self,
        initiative: i64,
        keyset: Keyset,
        limit: u64,
    ) -> Result<Vec<Entry>> {
        entries_where(&self.db, initiative, |q| {
            match keyset {
                Keyset::After(id) => {
                    q.and_where(Expr::col((a("e"), a("id"))).gt(id))
                        .order_by((a("e"), a("id")), Order::Asc);
                }
                Keyset::Before(before) => {
                    if let Some(id) = before {
                        q.and_where(Expr::col((a("e"), a("id"))).lt(id));
                    }
                    q.order_by((a("e"), a("id")), Order::Desc);
                }
            }
            q.limit(limit);
        })
        .await
    }

    /// The running totals of an initiative (what budget against actual reads).
    pub async fn ledger_totals(&self, initiative: i64, year: Option<i32>) -> Result<Vec<Total>> {
        totals_of(&self.db, initiative, year, None).await
    }

    /// Every entry's contribution added up again from the entries themselves
    /// (a check on the running totals; reads every entry).
    pub async fn ledger_recount(&self, initiative: i64) -> Result<BTreeMap<TotalKey, i64>> {
        let all = entries_where(&self.db, initiative, |_| {}).await?;
        Ok(ledger::totals(all.iter().map(|e| &e.entry)))
    }

    /// The live budget lines of an initiative (of one year, or all).
    pub async fn budget_lines_of(&self, initiative: i64, year: Option<i32>) -> Result<Vec<Line>> {
        let mut q = Query::select();
        q.columns(
            [
                "id",
                "name",
                "year",
                "amount_minor",
                "currency",
                "objective_id",
                "cost_item_id",
            ]
            .map(a),
        )
        .from(a("budget_lines"))
        .and_where(Expr::col(a("initiative_id")).eq(initiative))
        .and_where(Expr::col(a("archived_at")).is_null())
        .order_by(a("year"), Order::Asc)
        .order_by(a("name"), Order::Asc)
        .order_by(a("id"), Order::Asc);
        if let Some(y) = year {
            q.and_where(Expr::col(a("year")).eq(y as i64));
        }
        self.db
            .query_all(&q)
            .await?
            .iter()
            .map(|r| {
                let year: i64 = r.try_get("", "year")?;
                Ok(Line {
                    id: r.try_get("", "id")?,
                    name: r.try_get("", "name")?,
                    year: year as i32,
                    amount_minor: r.try_get("", "amount_minor")?,
                    currency: r.try_get("", "currency")?,
                    objective_id: r.try_get("", "objective_id")?,
                    cost_item_id: r.try_get("", "cost_item_id")?,
                })
            })
            .collect()
    }

    /// The live commitments of an initiative with their titles.
    pub async fn commitments_of(&self, initiative: i64) -> Result<Vec<(Committed, String)>> {
        let q = Query::select()
            .columns(
                [
                    "id",
                    "title",
                    "funder_id",
                    "amount_minor",
                    "currency",
                    "starts_on",
                    "ends_on",
                ]
                .map(a),
            )
            .from(a("commitments"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("archived_at")).is_null())
            .order_by(a("starts_on"), Order::Asc)
            .order_by(a("id"), Order::Asc)
            .to_owned();
        self.db
            .query_all(&q)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    Committed {
                        id: r.try_get("", "id")?,
                        funder_id: r.try_get("", "funder_id")?,
                        amount_minor: r.try_get("", "amount_minor")?,
                        currency: r.try_get("", "currency")?,
                        starts_on: r.try_get("", "starts_on")?,
                        ends_on: r.try_get("", "ends_on")?,
                    },
                    r.try_get("", "title")?,
                ))
            })
            .collect()
    }

    /// Budget against actual for one year, from the year's budget lines, the
    /// commitments and the year's running totals.
    pub async fn budget_vs_actual(&self, initiative: i64, year: i32) -> Result<BudgetVsActual> {
        let lines = self.budget_lines_of(initiative, Some(year)).await?;
        let commitments: Vec<Committed> = self
            .commitments_of(initiative)
            .await?
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        let totals = totals_of(&self.db, initiative, Some(year), Some(EntryKind::Expense)).await?;
        let funders: BTreeMap<i64, String> = self
            .names("funders", "name", Some(initiative))
            .await?
            .into_iter()
            .collect();
        let objectives: BTreeMap<i64, String> = self
            .names("objectives", "title", Some(initiative))
            .await?
            .into_iter()
            .collect();
        Ok(ledger::budget_vs_actual(
            year,
            &lines,
            &commitments,
            &totals,
            &funders,
            &objectives,
        ))
    }

    /// Received against committed, per commitment and per funder and currency.
    pub async fn received(&self, initiative: i64) -> Result<ReceivedFigures> {
        let commitments = self.commitments_of(initiative).await?;
        let totals = totals_of(&self.db, initiative, None, Some(EntryKind::Income)).await?;
        let funders: BTreeMap<i64, String> = self
            .names("funders", "name", Some(initiative))
            .await?
            .into_iter()
            .collect();
        let (commitments, funders) = ledger::received(&commitments, &totals, &funders);
        Ok(ReceivedFigures {
            commitments,
            funders,
        })
    }

    /// The years that have budget lines or entries, ascending.
    pub async fn ledger_years(&self, initiative: i64) -> Result<Vec<i32>> {
        let mut years: BTreeSet<i32> = BTreeSet::new();
        for (table, col) in [("budget_lines", "year"), ("ledger_totals", "year")] {
            let q = Query::select()
                .distinct()
                .column(a(col))
                .from(a(table))
                .and_where(Expr::col(a("initiative_id")).eq(initiative))
                .to_owned();
            for r in self.db.query_all(&q).await? {
                let y: i64 = r.try_get_by_index(0)?;
                years.insert(y as i32);
            }
        }
        Ok(years.into_iter().collect())
    }
}

/// This part of the Kiryat Malachi demo (see `super::demo`): from 2017 up to
/// last month, the instalments of the received commitments (within their
/// periods, one per quarter), monthly expenses on every budget line close to
/// its budget, each split among the funders of its cost item's schedule that
/// year (else paid by the funder that committed to the item, else the Rashi
/// Foundation), and one mistaken entry reversed.
pub(crate) async fn demo(
    txn: &DatabaseTransaction,
    funding: &super::demo::Funding,
) -> crate::Result<()> {
    use domain::funding::records::CommitmentStatus;
    let today = crate::now().get().date_naive();
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("a month");
    let month = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).expect("a month");
    let initiative = funding.initiative;
    // The commitments, as stored.
    let mut commitments = vec![];
    let q = Query::select()
        .columns(
            [
                "id",
                "funder_id",
                "amount_minor",
                "starts_on",
                "ends_on",
                "status",
                "cost_item_id",
            ]
            .map(a),
        )
        .from(a("commitments"))
        .and_where(Expr::col(a("initiative_id")).eq(initiative))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    for r in txn.query_all(&q).await? {
        let status: String = r.try_get("", "status")?;
        commitments.push((
            r.try_get::<i64>("", "id")?,
            r.try_get::<i64>("", "funder_id")?,
            r.try_get::<i64>("", "amount_minor")?,
            r.try_get::<NaiveDate>("", "starts_on")?,
            r.try_get::<NaiveDate>("", "ends_on")?,
            CommitmentStatus::parse(&status),
            r.try_get::<Option<i64>>("", "cost_item_id")?,
        ));
    }
    let entry = |date: NaiveDate, kind, amount: i64, funder: Option<i64>| NewEntry {
        entry_date: date,
        kind,
        amount_minor: amount,
        currency: "ILS".into(),
        funder_id: funder,
        payer: String::new(),
        payee: String::new(),
        budget_line_id: None,
        commitment_id: None,
        reference: String::new(),
        attachment: String::new(),
    };
    let mut entries = vec![];
    // Income: one instalment per quarter of each received commitment.
    for (id, funder, amount, starts, ends, status, _) in &commitments {
        if *status != Some(CommitmentStatus::Received) {
            continue;
        }
        let mut quarters = vec![];
        let mut d = *starts;
        while d <= *ends {
            quarters.push(d);
            d = d
                .checked_add_months(chrono::Months::new(3))
                .expect("a date");
        }
        let parts = quarters.len() as i64;
        for (i, q) in quarters.iter().enumerate() {
            if *q >= this_month {
                break;
            }
            let share = amount / parts + if (i as i64) < amount % parts { 1 } else { 0 };
            let mut e = entry(
                *q + chrono::Days::new(14),
                EntryKind::Income,
                share,
                Some(*funder),
            );
            e.commitment_id = Some(*id);
            e.payer = "Funder".into();
            e.payee = "Kiryat Malachi partnership".into();
            e.reference = format!("Instalment {} of {parts}", i + 1);
            entries.push(e);
        }
    }
    // Who pays for a cost item in a year: the received or signed commitment
    // restricted to it and covering the year, else the Rashi Foundation.
    let payer_of = |item: Option<i64>, year: i32| -> i64 {
        commitments
            .iter()
            .filter(|c| c.5 != Some(CommitmentStatus::Pledged))
            .filter(|c| c.3.year() <= year && year <= c.4.year())
            .find(|c| item.is_some() && c.6 == item)
            .map(|c| c.1)
            .unwrap_or(funding.rashi)
    };
    // The schedules of funder shares (written before the ledger), so that a
    // cost item's spending follows who was planned to carry it that year.
    let schedules = super::transitions::schedules_in(txn, initiative).await?;
    for l in &funding.budget_lines {
        // 96–99% of the budget, in twelve monthly payments.
        let spent = l.amount_minor * (96 + (l.id % 4)) / 100;
        let planned: Vec<(i64, u32)> = l
            .cost_item
            .and_then(|item| schedules.get(&item))
            .and_then(|s| s.years.iter().find(|y| y.year == l.year))
            .map(|y| {
                y.shares
                    .iter()
                    .map(|s| (s.funder_id, s.share_bp as u32))
                    .collect()
            })
            .filter(|v: &Vec<(i64, u32)>| !v.is_empty())
            .unwrap_or_else(|| vec![(payer_of(l.cost_item, l.year), WHOLE)]);
        let bps: Vec<u32> = planned.iter().map(|p| p.1).collect();
        for m in 1..=12u32 {
            let d = month(l.year, m);
            if d >= this_month {
                break;
            }
            let share = spent / 12 + if m == 12 { spent % 12 } else { 0 };
            for ((funder, _), part) in planned.iter().zip(split(share, &bps)) {
                if part == 0 {
                    continue;
                }
                let mut e = entry(
                    d + chrono::Days::new(24),
                    EntryKind::Expense,
                    part,
                    Some(*funder),
                );
                e.budget_line_id = Some(l.id);
                e.payer = "Kiryat Malachi partnership".into();
                e.payee = "Salaries and suppliers".into();
                e.reference = format!("{}-{m:02}", l.year);
                entries.push(e);
            }
        }
    }
    entries.sort_by_key(|e| e.entry_date);
    write_in(txn, initiative, None, "demo", &entries, None).await?;
    // One mistaken entry: a supplier's invoice entered twice, then reversed.
    let line = funding
        .budget_lines
        .iter()
        .find(|l| l.year == 2019 && l.cost_item.is_none())
        .expect("a programmes line in 2019");
    let mut twice = entry(
        month(2019, 3) + chrono::Days::new(24),
        EntryKind::Expense,
        1_250_000,
        Some(funding.rashi),
    );
    twice.budget_line_id = Some(line.id);
    twice.payer = "Kiryat Malachi partnership".into();
    twice.payee = "Summer camp supplier".into();
    twice.reference = "Invoice 2019-117 (entered twice by mistake)".into();
    let m = write_in(txn, initiative, None, "demo", &[twice.clone()], None).await?;
    let id: i64 = txn
        .query_one(
            &Query::select()
                .column(a("id"))
                .from(a("ledger_entries"))
                .and_where(Expr::col(a("batch_id")).eq(m.batch_id))
                .to_owned(),
        )
        .await?
        .ok_or(StoreError::NotFound)?
        .try_get_by_index(0)?;
    let mut r = twice;
    r.amount_minor = -r.amount_minor;
    r.reference = format!("reversal of entry {id}");
    write_in(txn, initiative, None, "reversal", &[r], Some(id)).await?;
    Ok(())
}

/// Money spent (expense entries, reversals netted) on the budget lines of each
/// cost item, by year and by the funder whose money paid it (`None` when the
/// entry names no funder), per currency: what the funding transitions compare
/// with their plan. One row per (cost item, year, funder, currency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentOnItem {
    pub cost_item_id: i64,
    pub year: i32,
    pub funder_id: Option<i64>,
    pub currency: String,
    pub amount_minor: i64,
}

impl crate::Store {
    /// See [`SpentOnItem`]. Reads the ledger's running totals, never the entries.
    pub async fn spent_on_cost_items(&self, initiative: i64) -> crate::Result<Vec<SpentOnItem>> {
        let items: HashMap<i64, i64> = self
            .budget_lines_of(initiative, None)
            .await?
            .into_iter()
            .filter_map(|l| l.cost_item_id.map(|c| (l.id, c)))
            .collect();
        let totals = totals_of(&self.db, initiative, None, Some(EntryKind::Expense)).await?;
        let mut out: BTreeMap<(i64, i32, Option<i64>, String), i64> = BTreeMap::new();
        for t in totals {
            let Some(item) = t.key.budget_line_id.and_then(|l| items.get(&l)) else {
                continue;
            };
            *out.entry((*item, t.key.year, t.key.funder_id, t.key.currency))
                .or_insert(0) += t.total_minor;
        }
        Ok(out
            .into_iter()
            .map(
                |((cost_item_id, year, funder_id, currency), amount_minor)| SpentOnItem {
                    cost_item_id,
                    year,
                    funder_id,
                    currency,
                    amount_minor,
                },
            )
            .collect())
    }
}
