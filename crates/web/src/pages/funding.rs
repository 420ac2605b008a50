//! The open book's pages: the funding overview, the ledger (entries newest
//! first, the add-entry form, reversing an entry), budget against actual for a
//! year, and the portal's book when the coordinators publish it. The figures
//! come from the store's running totals (`store::funding::ledger`); the rules
//! from `domain::funding::ledger`.
//!
//! None of these pages is cached: entries take the volume path and do not bump
//! the initiative's generation.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::Datelike;
use serde::Deserialize;

use domain::access::{Action, Grants, decide_record};
use domain::funding::ledger::{BudgetVsActual, Entry, EntryKind, NewEntry, Received, Row};
use domain::funding::money;
use domain::funding::records::FundingPublication;
use domain::validation::{FieldErrors, FieldMap};
use store::Store;
use store::funding::ledger::{Keyset, unindexed};
use store::records::ListOptions;

use super::{Chrome, Submitted, render, render_status};
use crate::AppState;
use crate::access::{Authorized, Published, Read, Write, refusal};
use crate::error::{AppError, PageResult};
use crate::routes::{Access, Routes};
use crate::session::Ctx;

/// Entries per page of the ledger.
const PER_PAGE: u64 = 50;

pub fn routes(r: Routes) -> Routes {
    let on = |action| Access::Initiative(action, "ledger_entry");
    r.get("/i/{slug}/funding", on(Action::Read), overview)
        .get("/i/{slug}/funding/ledger", on(Action::Read), ledger)
        .post("/i/{slug}/funding/ledger", on(Action::Create), add_entry)
        .get(
            "/i/{slug}/funding/ledger/{id}/reverse",
            on(Action::Create),
            reverse_form,
        )
        .post(
            "/i/{slug}/funding/ledger/{id}/reverse",
            on(Action::Create),
            reverse,
        )
        .get("/i/{slug}/funding/budget", on(Action::Read), budget)
        .get("/p/{slug}/funding/book", Access::Public, portal_book)
}

fn may_write(g: &Grants) -> bool {
    decide_record(g, Action::Create, "ledger_entry") == domain::access::Decision::Allow
}

fn this_year() -> i32 {
    store::now().get().year()
}

fn amount(minor: i64, currency: &str) -> String {
    money::display(minor, currency)
}

/// A row of budget against actual as shown.
pub struct RowView {
    pub name: String,
    pub currency: String,
    pub budget: String,
    pub actual: String,
    pub difference: String,
    pub over: bool,
    pub share: String,
}

impl RowView {
    fn of(r: &Row, none: &str) -> RowView {
        RowView {
            name: if r.name.is_empty() {
                none.to_string()
            } else {
                r.name.clone()
            },
            currency: r.currency.clone(),
            budget: amount(r.budget_minor, &r.currency),
            actual: amount(r.actual_minor, &r.currency),
            difference: amount(r.difference_minor, &r.currency),
            over: r.difference_minor < 0,
            share: r
                .share_spent_bp
                .map(|bp| format!("{}%", money::format_minor(bp, "XXX")))
                .unwrap_or_else(|| "—".into()),
        }
    }
}

/// One table of budget against actual.
pub struct Table {
    pub id: &'static str,
    pub caption: String,
    pub first: String,
    pub rows: Vec<RowView>,
}

fn tables(c: &Chrome, b: &BudgetVsActual, all: bool) -> Vec<Table> {
    let none = c.t("ledger-none");
    let t = |id, caption: &str, first: &str, rows: &[Row], none: &str| Table {
        id,
        caption: c.t1(caption, "year", &b.year.to_string()),
        first: c.t(first),
        rows: rows.iter().map(|r| RowView::of(r, none)).collect(),
    };
    let mut v = vec![t(
        "by-line",
        "ledger-bva-lines",
        "ledger-col-line",
        &b.lines,
        &none,
    )];
    if all {
        v.push(t(
            "by-funder",
            "ledger-bva-funders",
            "ledger-col-funder",
            &b.funders,
            &c.t("ledger-no-funder"),
        ));
        v.push(t(
            "by-objective",
            "ledger-bva-objectives",
            "ledger-col-objective",
            &b.objectives,
            &c.t("ledger-no-objective"),
        ));
    }
    v.push(t(
        "by-currency",
        "ledger-bva-currencies",
        "ledger-col-currency",
        &b.currencies,
        &none,
    ));
    v
}

/// Received against committed as shown.
pub struct ReceivedView {
    pub name: String,
    pub committed: String,
    pub received: String,
    pub outstanding: String,
}

fn received_view(r: &Received) -> ReceivedView {
    ReceivedView {
        name: r.name.clone(),
        committed: amount(r.committed_minor, &r.currency),
        received: amount(r.received_minor, &r.currency),
        outstanding: amount(r.outstanding_minor, &r.currency),
    }
}

// ---------------------------------------------------------------------------
// The overview
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "funding/overview.html")]
struct OverviewPage {
    c: Chrome,
    year: i32,
    funders: Vec<ReceivedView>,
    commitments: Vec<ReceivedView>,
    currencies: Vec<RowView>,
}

async fn overview(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let year = this_year();
    let received = s.store.received(i.id).await?;
    let b = s.store.budget_vs_actual(i.id, year).await?;
    let c = Chrome::new(ctx, ctx.tr.t("funding-title")).in_initiative(i, g, "funding");
    let none = c.t("ledger-none");
    render(&OverviewPage {
        year,
        funders: received.funders.iter().map(received_view).collect(),
        commitments: received.commitments.iter().map(received_view).collect(),
        currencies: b.currencies.iter().map(|r| RowView::of(r, &none)).collect(),
        c,
    })
}

// ---------------------------------------------------------------------------
// The ledger
// ---------------------------------------------------------------------------

/// An entry as the ledger lists it.
struct EntryView {
    id: i64,
    date: String,
    kind: String,
    amount: String,
    negative: bool,
    funder: String,
    payer: String,
    payee: String,
    line: String,
    commitment: String,
    reference: String,
    attachment: String,
    /// A web address: shown as a link.
    attachment_link: bool,
    reverses: Option<i64>,
    reversed_by: Option<i64>,
}

/// The names a form and a listing refer to.
struct Names {
    funders: Vec<(i64, String)>,
    lines: Vec<(i64, String)>,
    commitments: Vec<(i64, String)>,
}

impl Names {
    async fn of(store: &Store, initiative: i64) -> Result<Names, AppError> {
        let lines = store
            .budget_lines_of(initiative, None)
            .await?
            .into_iter()
            .map(|l| (l.id, format!("{} · {} ({})", l.year, l.name, l.currency)))
            .collect();
        Ok(Names {
            funders: store.names("funders", "name", Some(initiative)).await?,
            lines,
            commitments: store
                .names("commitments", "title", Some(initiative))
                .await?,
        })
    }
    fn name(list: &[(i64, String)], id: Option<i64>) -> String {
        id.and_then(|id| list.iter().find(|(i, _)| *i == id))
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    }
    fn view(&self, c: &Chrome, e: &Entry) -> EntryView {
        let n = &e.entry;
        EntryView {
            id: e.id,
            date: n.entry_date.to_string(),
            kind: c.t(&format!("ledger-kind-{}", n.kind.as_str())),
            amount: amount(n.amount_minor, &n.currency),
            negative: n.amount_minor < 0,
            funder: Names::name(&self.funders, n.funder_id),
            payer: n.payer.clone(),
            payee: n.payee.clone(),
            line: Names::name(&self.lines, n.budget_line_id),
            commitment: Names::name(&self.commitments, n.commitment_id),
            reference: n.reference.clone(),
            attachment_link: n.attachment.starts_with("https://")
                || n.attachment.starts_with("http://"),
            attachment: n.attachment.clone(),
            reverses: e.reverses,
            reversed_by: e.reversed_by,
        }
    }
}

/// (field, label key, choices) of a select.
type Select<'a> = (&'static str, &'static str, &'a [(i64, String)]);

#[derive(Template)]
#[template(path = "funding/ledger.html")]
struct LedgerPage {
    c: Chrome,
    entries: Vec<EntryView>,
    next: Option<i64>,
    may_write: bool,
    names: Names,
    kinds: Vec<(&'static str, String)>,
    typed: FieldMap,
    errors: BTreeMap<String, String>,
    notice: String,
}

impl LedgerPage {
    fn v(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn err(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
    /// (field, label key, input type) of the text inputs.
    fn inputs(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        vec![
            ("entry_date", "ledger-col-date", "date"),
            ("amount", "ledger-col-amount", "text"),
            ("currency", "ledger-col-currency", "text"),
            ("payer", "ledger-col-payer", "text"),
            ("payee", "ledger-col-payee", "text"),
            ("reference", "ledger-col-reference", "text"),
            ("attachment", "ledger-col-attachment", "text"),
        ]
    }
    /// (field, label key, choices) of the selects.
    fn selects(&self) -> Vec<Select<'_>> {
        vec![
            ("funder_id", "ledger-col-funder", &self.names.funders),
            ("budget_line_id", "ledger-col-line", &self.names.lines),
            (
                "commitment_id",
                "ledger-col-commitment",
                &self.names.commitments,
            ),
        ]
    }
    fn picked(&self, field: &str, id: &i64) -> bool {
        self.typed.get(field).map(|s| s.trim()) == Some(id.to_string().as_str())
    }
}

#[derive(Deserialize, Default)]
pub struct LedgerQuery {
    before: Option<i64>,
    added: Option<usize>,
    reversed: Option<i64>,
}

async fn show_ledger(
    s: &AppState,
    auth: &Authorized<impl crate::access::Need>,
    before: Option<i64>,
    typed: FieldMap,
    errors: FieldErrors,
    notice: String,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let c = Chrome::new(ctx, ctx.tr.t("funding-ledger-title"))
        .in_initiative(i, g, "funding")
        .crumb(
            format!("/i/{}/funding", i.data.slug),
            ctx.tr.t("funding-title"),
        );
    let names = Names::of(&s.store, i.id).await?;
    let page = s
        .store
        .ledger_entries(i.id, Keyset::Before(before), PER_PAGE)
        .await?;
    let next = (page.len() as u64 == PER_PAGE)
        .then(|| page.last().map(|e| e.id))
        .flatten();
    let entries = page.iter().map(|e| names.view(&c, e)).collect();
    let invalid = !errors.is_empty();
    let errors: BTreeMap<String, String> =
        errors.0.into_iter().map(|(k, v)| (k, v.message)).collect();
    let mut typed = typed;
    if typed.is_empty() {
        typed.insert(
            "entry_date".into(),
            store::now().get().date_naive().to_string(),
        );
        typed.insert("kind".into(), "expense".into());
        // The initiative's currency, when it has one.
        if let Some(cur) = &i.data.currency {
            typed.insert("currency".into(), cur.clone());
        }
    }
    let page = LedgerPage {
        entries,
        next,
        may_write: may_write(g),
        names,
        kinds: EntryKind::ALL
            .iter()
            .map(|k| (k.as_str(), c.t(&format!("ledger-kind-{}", k.as_str()))))
            .collect(),
        typed,
        errors,
        notice,
        c,
    };
    if invalid {
        render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        render(&page)
    }
}

async fn ledger(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Query(q): Query<LedgerQuery>,
) -> PageResult {
    let notice = match (q.added, q.reversed) {
        (Some(n), _) => auth.ctx.tr.t1("ledger-added", "count", &n.to_string()),
        (None, Some(id)) => auth.ctx.tr.t1("ledger-reversed", "id", &id.to_string()),
        _ => String::new(),
    };
    show_ledger(
        &s,
        &auth,
        q.before,
        FieldMap::new(),
        FieldErrors::default(),
        notice,
    )
    .await
}

async fn add_entry(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    refusal(decide_record(auth.grants(), Action::Create, "ledger_entry"))?;
    let i = auth.initiative();
    let typed = sub.fields;
    let entry = match NewEntry::parse(&typed) {
        Ok(e) => e,
        Err(e) => return show_ledger(&s, &auth, None, typed, e, String::new()).await,
    };
    match s
        .store
        .write_ledger(i.id, Some(auth.user.id), "form", &[entry])
        .await
    {
        Ok(w) => Ok(Redirect::to(&format!(
            "/i/{}/funding/ledger?added={}",
            i.data.slug, w.entries
        ))
        .into_response()),
        Err(store::StoreError::Invalid(e)) => {
            let mut e = unindexed(e);
            // The form names an amount, not its minor units.
            if let Some(v) = e.0.remove("amount_minor") {
                e.0.insert("amount".into(), v);
            }
            show_ledger(&s, &auth, None, typed, e, String::new()).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

#[derive(Template)]
#[template(path = "funding/reverse.html")]
struct ReversePage {
    c: Chrome,
    e: EntryView,
    error: String,
}

async fn reverse_page(
    s: &AppState,
    auth: &Authorized<Write>,
    id: i64,
    error: String,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let entry = s.store.ledger_entry(i.id, id).await?;
    let names = Names::of(&s.store, i.id).await?;
    let c = Chrome::new(
        ctx,
        ctx.tr.t1("ledger-reverse-title", "id", &id.to_string()),
    )
    .in_initiative(i, g, "funding")
    .crumb(
        format!("/i/{}/funding/ledger", i.data.slug),
        ctx.tr.t("funding-ledger-title"),
    );
    let e = names.view(&c, &entry);
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(status, &ReversePage { c, e, error })
}

async fn reverse_form(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    refusal(decide_record(auth.grants(), Action::Create, "ledger_entry"))?;
    reverse_page(&s, &auth, id, String::new()).await
}

async fn reverse(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    refusal(decide_record(auth.grants(), Action::Create, "ledger_entry"))?;
    let i = auth.initiative();
    match s.store.reverse_entry(i.id, Some(auth.user.id), id).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/i/{}/funding/ledger?reversed={id}", i.data.slug))
                .into_response(),
        ),
        Err(store::StoreError::Invalid(e)) => {
            let message =
                e.0.values()
                    .next()
                    .map(|e| match e.code {
                        "already_reversed" => auth.ctx.tr.t("ledger-error-already-reversed"),
                        "reversal_of_reversal" => auth.ctx.tr.t("ledger-error-reversal"),
                        _ => e.message.clone(),
                    })
                    .unwrap_or_default();
            reverse_page(&s, &auth, id, message).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

// ---------------------------------------------------------------------------
// Budget against actual
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "funding/budget.html")]
struct BudgetPage {
    c: Chrome,
    year: i32,
    years: Vec<i32>,
    tables: Vec<Table>,
    /// The portal's page (a published book), else empty.
    portal: bool,
    name: String,
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<String>,
}

fn year_of(q: &YearQuery) -> Result<i32, AppError> {
    let y = match q.year.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(s.parse::<i32>().map_err(|_| {
            AppError::Invalid(FieldErrors::single(
                "year",
                "invalid",
                "year must be a year such as 2024",
            ))
        })?),
    };
    let y = y.unwrap_or_else(this_year);
    if !(1900..=2200).contains(&y) {
        return Err(AppError::Invalid(FieldErrors::single(
            "year",
            "out_of_range",
            "year must be from 1900 to 2200",
        )));
    }
    Ok(y)
}

async fn budget(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let year = year_of(&q)?;
    let b = s.store.budget_vs_actual(i.id, year).await?;
    let years = s.store.ledger_years(i.id).await?;
    let c = Chrome::new(
        ctx,
        ctx.tr.t1("ledger-budget-title", "year", &year.to_string()),
    )
    .in_initiative(i, g, "funding")
    .crumb(
        format!("/i/{}/funding", i.data.slug),
        ctx.tr.t("funding-title"),
    );
    render(&BudgetPage {
        tables: tables(&c, &b, true),
        year,
        years,
        portal: false,
        name: i.data.name.clone(),
        c,
    })
}

/// Whether the coordinators publish the book on the portal.
async fn publishes_book(store: &Store, initiative: i64) -> Result<bool, AppError> {
    Ok(store
        .list::<FundingPublication>(Some(initiative), ListOptions::all())
        .await?
        .first()
        .is_some_and(|p| p.data.publish_book))
}

async fn portal_book(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let published = Published::open(&s.store, &slug).await?;
    let i = published.initiative();
    if !publishes_book(&s.store, i.id).await? {
        return Err(AppError::NotFound.into());
    }
    let year = year_of(&q)?;
    let b = s.store.budget_vs_actual(i.id, year).await?;
    let years = s.store.ledger_years(i.id).await?;
    let mut c = Chrome::new(
        &ctx,
        format!(
            "{} · {}",
            ctx.tr.t1("ledger-budget-title", "year", &year.to_string()),
            i.data.name
        ),
    );
    c.user = None;
    render(&BudgetPage {
        tables: tables(&c, &b, false),
        year,
        years,
        portal: true,
        name: i.data.name.clone(),
        c,
    })
}
