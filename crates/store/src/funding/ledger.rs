//! See the module documentation in `super`.

use sea_orm::DatabaseTransaction;

/// This part of the Kiryat Malachi demo (see `super::demo`).
pub(crate) async fn demo(
    _txn: &DatabaseTransaction,
    _funding: &super::demo::Funding,
) -> crate::Result<()> {
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
    pub async fn spent_on_cost_items(&self, _initiative: i64) -> crate::Result<Vec<SpentOnItem>> {
        Ok(vec![])
    }
}
