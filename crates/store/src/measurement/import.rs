//! Imports written in one transaction each: a file of indicators through the
//! registry path (every row created or updated with its audit entry, or none),
//! and a file of values through the volume path with progress reported as it
//! is written.
//!
//! The rows arrive checked (`domain::measurement::import`); what can still be
//! refused here (a reference archived meanwhile, a code another writer took a
//! moment ago) is refused with [`StoreError::Invalid`] whose field names are
//! locations, `row N, column C` (see [`location`] and [`split_location`]).

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Serialize;

use domain::measurement::import::IndicatorRow;
use domain::measurement::indicator::Indicator;
use domain::resource::{Record, Resource};
use domain::validation::FieldErrors;

use super::{BatchReport, BatchSource, NewValue};
use crate::{Result, Store, StoreError};

/// What an indicators import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// The field name a located refusal carries: `row 7, column numerator`.
pub fn location(row: usize, column: &str) -> String {
    format!("row {row}, column {column}")
}

/// The row and column of a field name written by [`location`].
pub fn split_location(field: &str) -> Option<(usize, &str)> {
    let rest = field.strip_prefix("row ")?;
    let (row, column) = rest.split_once(", column ")?;
    Some((row.parse().ok()?, column))
}

/// The file's column for a field of [`Indicator::parse`].
fn column_of(field: &str) -> &str {
    match field {
        "numerator_id" => "numerator",
        "denominator_id" => "denominator",
        other => other,
    }
}

/// Field errors of one row, located.
fn located(row: usize, errors: FieldErrors) -> StoreError {
    let mut out = FieldErrors::default();
    for (field, e) in errors.0 {
        out.add(&location(row, column_of(&field)), e.code, e.message);
    }
    StoreError::Invalid(out)
}

fn locate(row: usize) -> impl Fn(StoreError) -> StoreError {
    move |e| match e {
        StoreError::Invalid(f) => located(row, f),
        other => other,
    }
}

/// Two indicators say the same thing (both as the parser would save them).
fn same(stored: &Indicator, new: &Indicator) -> bool {
    let stored = Indicator::parse(&stored.to_fields()).ok();
    stored.is_some_and(|s| serde_json::to_value(&s).ok() == serde_json::to_value(new).ok())
}

async fn live_indicators(
    txn: &DatabaseTransaction,
    initiative: i64,
) -> Result<Vec<Record<Indicator>>> {
    let t = || Alias::new("indicators");
    let mut q = crate::records::select::<Indicator>();
    q.and_where(Expr::col((t(), Alias::new("initiative_id"))).eq(initiative))
        .and_where(Expr::col((t(), Alias::new("archived_at"))).is_null());
    txn.query_all(&q)
        .await?
        .iter()
        .map(crate::records::read_record)
        .collect()
}

impl Store {
    /// Define or update an initiative's indicators from checked rows, in one
    /// transaction: a row whose code is a live indicator updates it (unless
    /// nothing changes), any other row creates one, each through the registry
    /// path (its checks, version and audit entry). A formula's numerator and
    /// denominator codes are resolved once the indicators they name exist, so
    /// a file may define a formula before its parts. Nothing is written when
    /// any row is refused.
    pub async fn import_indicators(
        &self,
        initiative: i64,
        actor: Option<i64>,
        rows: Vec<IndicatorRow>,
    ) -> Result<ImportReport> {
        let txn = self.write_txn().await?;
        let existing = live_indicators(&txn, initiative).await?;
        let mut ids: HashMap<String, i64> = existing
            .iter()
            .map(|r| (r.data.code.clone(), r.id))
            .collect();
        let by_code: HashMap<String, Record<Indicator>> = existing
            .into_iter()
            .map(|r| (r.data.code.clone(), r))
            .collect();
        // A formula naming a code the file creates waits until it exists.
        let mut pending: Vec<IndicatorRow> = rows;
        let mut report = ImportReport::default();
        while !pending.is_empty() {
            let ready = |r: &IndicatorRow| {
                [&r.numerator, &r.denominator]
                    .into_iter()
                    .flatten()
                    .all(|c| ids.contains_key(c))
            };
            let (now, later): (Vec<IndicatorRow>, Vec<IndicatorRow>) =
                pending.into_iter().partition(ready);
            if now.is_empty() {
                // The checked rows hold no cycle, so this means a part that
                // exists nowhere: say so on the first such row.
                let r = &later[0];
                return Err(StoreError::Invalid(FieldErrors::single(
                    &location(r.row, "numerator"),
                    "unknown_reference",
                    "the formula names an indicator that is neither in the file nor in the initiative",
                )));
            }
            for row in now {
                let mut fields = row.fields.clone();
                for (field, code) in [
                    ("numerator_id", &row.numerator),
                    ("denominator_id", &row.denominator),
                ] {
                    let id = code.as_ref().and_then(|c| ids.get(c));
                    fields.insert(field.into(), id.map(|i| i.to_string()).unwrap_or_default());
                }
                let value = Indicator::parse(&fields).map_err(|e| located(row.row, e))?;
                match by_code.get(&row.code) {
                    None => {
                        let rec = crate::records::create_in(&txn, actor, Some(initiative), &value)
                            .await
                            .map_err(locate(row.row))?;
                        ids.insert(row.code.clone(), rec.id);
                        report.added += 1;
                    }
                    Some(old) if same(&old.data, &value) => report.unchanged += 1,
                    Some(old) => {
                        crate::records::update_in(
                            &txn,
                            actor,
                            Some(initiative),
                            old.id,
                            old.version,
                            &value,
                        )
                        .await
                        .map_err(locate(row.row))?;
                        report.changed += 1;
                    }
                }
            }
            pending = later;
        }
        txn.commit().await?;
        Ok(report)
    }

    /// [`Store::write_values`] with `progress(written, to_write)` called as
    /// the batch is written: still one transaction, one batch and one audit
    /// entry.
    pub async fn write_values_with_progress(
        &self,
        initiative: i64,
        actor: Option<i64>,
        source: &BatchSource,
        rows: &[NewValue],
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<BatchReport> {
        let txn = self.write_txn().await?;
        let report = super::write_values_reporting(
            &txn,
            self.engine,
            initiative,
            actor,
            source,
            rows,
            progress,
        )
        .await?;
        txn.commit().await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_back() {
        let l = location(12, "numerator");
        assert_eq!(l, "row 12, column numerator");
        assert_eq!(split_location(&l), Some((12, "numerator")));
        assert_eq!(split_location("code"), None);
    }
}
