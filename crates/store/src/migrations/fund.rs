//! Migration steps of the funding module's fund (see `super::MIGRATIONS`).
//!
//! Calls are registry records (`fund_calls`). The rest are plain rows written
//! by the fund's own store path (`crate::funding::fund`), each write audited:
//! the call's assessors, applications, conflict declarations, scores, awards
//! (with their grant agreement), payment instalments and progress reports.

#[allow(unused_imports)]
use super::*;

pub(super) fn steps() -> Vec<Step> {
    let mut s = vec![];
    s.extend(record_table(
        "fund_calls",
        true,
        vec![
            text("name"),
            text("description"),
            int("budget_minor"),
            text("currency"),
            text("criteria"),
            text("eligibility"),
            date("opens_on"),
            date("closes_on"),
            int("organization_id"),
            text("sdg"),
        ],
        &[("organization_id", "organizations")],
    ));
    s.push(live_unique_name("fund_calls"));
    s.push(tbl(Table::create()
        .table(a("fund_assessors"))
        .col(int("call_id"))
        .col(int("user_id"))
        .col(int("initiative_id"))
        .primary_key(Index::create().col(a("call_id")).col(a("user_id")))
        .foreign_key(&mut fk("fund_assessors", "call_id", "fund_calls"))
        .foreign_key(&mut fk("fund_assessors", "user_id", "users"))
        .to_owned()));
    s.push(tbl(Table::create()
        .table(a("fund_applications"))
        .col(id())
        .col(int("initiative_id"))
        .col(int("call_id"))
        .col(int("user_id"))
        .col(text("organization_name"))
        .col(opt_text("org_identifier"))
        .col(text("contact_name"))
        .col(text("contact_email"))
        .col(text("title"))
        .col(text("description"))
        .col(int("amount_minor"))
        .col(text("currency"))
        .col(text("sdg"))
        .col(text("language"))
        .col(date("submitted_on"))
        .foreign_key(&mut fk("fund_applications", "initiative_id", "initiatives"))
        .foreign_key(&mut fk("fund_applications", "call_id", "fund_calls"))
        .foreign_key(&mut fk("fund_applications", "user_id", "users"))
        .to_owned()));
    s.push(index("fund_applications", &["call_id"], false));
    s.push(index("fund_applications", &["user_id"], false));
    s.push(tbl(Table::create()
        .table(a("fund_conflicts"))
        .col(int("application_id"))
        .col(int("user_id"))
        .col(int("initiative_id"))
        .col(text("note"))
        .primary_key(Index::create().col(a("application_id")).col(a("user_id")))
        .foreign_key(&mut fk(
            "fund_conflicts",
            "application_id",
            "fund_applications",
        ))
        .foreign_key(&mut fk("fund_conflicts", "user_id", "users"))
        .to_owned()));
    s.push(tbl(Table::create()
        .table(a("fund_scores"))
        .col(int("application_id"))
        .col(int("user_id"))
        .col(int("initiative_id"))
        .col(text("scores"))
        .col(int("weighted"))
        .primary_key(Index::create().col(a("application_id")).col(a("user_id")))
        .foreign_key(&mut fk(
            "fund_scores",
            "application_id",
            "fund_applications",
        ))
        .foreign_key(&mut fk("fund_scores", "user_id", "users"))
        .to_owned()));
    s.push(tbl(Table::create()
        .table(a("fund_awards"))
        .col(int("application_id").primary_key())
        .col(int("initiative_id"))
        .col(int("call_id"))
        .col(int("amount_minor"))
        .col(text("currency"))
        .col(date("awarded_on"))
        .col(text("decision"))
        .col(opt_date("agreement_signed_on"))
        .foreign_key(&mut fk(
            "fund_awards",
            "application_id",
            "fund_applications",
        ))
        .foreign_key(&mut fk("fund_awards", "call_id", "fund_calls"))
        .to_owned()));
    s.push(index("fund_awards", &["call_id"], false));
    s.push(tbl(Table::create()
        .table(a("fund_payments"))
        .col(id())
        .col(int("application_id"))
        .col(int("initiative_id"))
        .col(int("position"))
        .col(date("due_on"))
        .col(int("amount_minor"))
        .foreign_key(&mut fk(
            "fund_payments",
            "application_id",
            "fund_applications",
        ))
        .to_owned()));
    s.push(index("fund_payments", &["application_id"], false));
    s.push(tbl(Table::create()
        .table(a("fund_reports"))
        .col(id())
        .col(int("application_id"))
        .col(int("initiative_id"))
        .col(date("reported_on"))
        .col(text("text"))
        .foreign_key(&mut fk(
            "fund_reports",
            "application_id",
            "fund_applications",
        ))
        .to_owned()));
    s.push(index("fund_reports", &["application_id"], false));
    s
}
