//! Migration steps of the funding module's ledger (see `super::MIGRATIONS`).
//!
//! Volume data, not registry records: an append-only table of entries (a
//! correction is a reversing entry; the unique index on `reverses` lets an
//! entry be reversed once), the batches they were written in, and the running
//! totals every budget-against-actual read uses, kept in the same transaction
//! as each write. A total's key uses 0 for "no budget line / funder /
//! commitment".

use super::*;

pub(super) fn steps() -> Vec<Step> {
    let mut s = vec![tbl(Table::create()
        .table(a("ledger_batches"))
        .col(id())
        .col(int("initiative_id"))
        .col(opt_int("recorded_by"))
        .col(text("source"))
        .col(int("entries"))
        .col(ts("recorded_at"))
        .foreign_key(&mut fk("ledger_batches", "initiative_id", "initiatives"))
        .foreign_key(&mut fk("ledger_batches", "recorded_by", "users"))
        .to_owned())];
    s.push(index("ledger_batches", &["initiative_id"], false));
    s.push(tbl(Table::create()
        .table(a("ledger_entries"))
        .col(id())
        .col(int("initiative_id"))
        .col(date("entry_date"))
        .col(text("kind"))
        .col(int("amount_minor"))
        .col(text("currency"))
        .col(opt_int("funder_id"))
        .col(text("payer"))
        .col(text("payee"))
        .col(opt_int("budget_line_id"))
        .col(opt_int("commitment_id"))
        .col(text("reference"))
        .col(text("attachment"))
        .col(opt_int("reverses"))
        .col(opt_int("recorded_by"))
        .col(ts("recorded_at"))
        .col(int("batch_id"))
        .foreign_key(&mut fk("ledger_entries", "initiative_id", "initiatives"))
        .foreign_key(&mut fk("ledger_entries", "funder_id", "funders"))
        .foreign_key(&mut fk("ledger_entries", "budget_line_id", "budget_lines"))
        .foreign_key(&mut fk("ledger_entries", "commitment_id", "commitments"))
        .foreign_key(&mut fk("ledger_entries", "reverses", "ledger_entries"))
        .foreign_key(&mut fk("ledger_entries", "recorded_by", "users"))
        .foreign_key(&mut fk("ledger_entries", "batch_id", "ledger_batches"))
        .to_owned()));
    s.push(index("ledger_entries", &["initiative_id", "id"], false));
    s.push(index("ledger_entries", &["reverses"], true));
    s.push(index("ledger_entries", &["batch_id"], false));
    s.push(tbl(Table::create()
        .table(a("ledger_totals"))
        .col(int("initiative_id"))
        .col(int("year"))
        .col(text("kind"))
        .col(text("currency"))
        .col(int("budget_line_id"))
        .col(int("funder_id"))
        .col(int("commitment_id"))
        .col(int("total_minor"))
        .col(int("entries"))
        .primary_key(
            Index::create()
                .col(a("initiative_id"))
                .col(a("year"))
                .col(a("kind"))
                .col(a("currency"))
                .col(a("budget_line_id"))
                .col(a("funder_id"))
                .col(a("commitment_id")),
        )
        .foreign_key(&mut fk("ledger_totals", "initiative_id", "initiatives"))
        .to_owned()));
    s
}
