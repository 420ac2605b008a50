//! Funding transitions' pages: every cost item's schedule with the public
//! share planned against actual and the warnings
//! (`/i/{slug}/funding/transitions`), one item's schedule as an editable grid
//! (`/i/{slug}/funding/transitions/{id}`), and the portal's funding page
//! (`/p/{slug}/funding`). The figures come from
//! `domain::funding::transitions`; handlers read, ask and render.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use domain::access::Action;
use domain::funding::money;
use domain::funding::records::{CostItem, Funder};
use domain::funding::transitions::{self as rules, ItemSchedule, Share, YearPlan};
use store::StoreError;
use store::funding::transitions::Transitions;

use super::{Chrome, Submitted, render, render_status};
use crate::AppState;
use crate::access::{Authorized, Published, Read};
use crate::error::{AppError, PageResult};
use crate::routes::{Access, Routes};
use crate::session::Ctx;

pub fn routes(r: Routes) -> Routes {
    let on = Access::Initiative;
    r.get(
        "/i/{slug}/funding/transitions",
        on(Action::Read, "cost_item"),
        overview,
    )
    .get(
        "/i/{slug}/funding/transitions/{id}",
        on(Action::Read, "cost_item"),
        item_form,
    )
    .post(
        "/i/{slug}/funding/transitions/{id}",
        on(Action::Update, "cost_item"),
        item_save,
    )
    .get("/p/{slug}/funding", Access::Public, portal)
}

/// Read access to the cost items, then everything the views need.
async fn load(reg: &crate::access::Registry<'_>) -> Result<Transitions, AppError> {
    reg.allow::<CostItem>(Action::Read)?;
    Ok(reg.store.transitions(reg.initiative).await?)
}

fn today() -> chrono::NaiveDate {
    store::now().get().date_naive()
}

fn percent(f: f64) -> String {
    format!("{}%", (f * 1000.0).round() / 10.0)
}

/// One item's schedule as shown: funders as columns, years as rows.
pub struct ItemView {
    pub id: i64,
    pub name: String,
    pub currency: String,
    /// (name, public)
    pub funders: Vec<(String, bool)>,
    /// (year, cost, public share, cells: "66% · ILS 4,039.21" or empty)
    pub years: Vec<(i32, String, String, Vec<String>)>,
}

fn item_view(it: &ItemSchedule, t: &Transitions) -> ItemView {
    let mut ids: Vec<i64> = vec![];
    for y in &it.schedule.years {
        for s in &y.shares {
            if !ids.contains(&s.funder_id) {
                ids.push(s.funder_id);
            }
        }
    }
    ItemView {
        id: it.cost_item_id,
        name: it.name.clone(),
        currency: it.currency.clone(),
        funders: ids
            .iter()
            .map(|f| (t.funder_name(*f), t.is_public(*f)))
            .collect(),
        years: it
            .schedule
            .years
            .iter()
            .map(|y| {
                let planned: HashMap<i64, i64> = y.planned().into_iter().collect();
                let cells = ids
                    .iter()
                    .map(|f| match y.shares.iter().find(|s| s.funder_id == *f) {
                        Some(s) => format!(
                            "{}% · {}",
                            money::format_share(s.share_bp as u32),
                            money::display(planned[f], &it.currency)
                        ),
                        None => String::new(),
                    })
                    .collect();
                (
                    y.year,
                    money::display(y.cost_minor, &it.currency),
                    percent(y.public_share(&|f| t.is_public(f))),
                    cells,
                )
            })
            .collect(),
    }
}

/// One year and currency of the public share, as shown.
pub struct ShareRow {
    pub year: i32,
    pub currency: String,
    pub planned_cost: String,
    pub planned: Option<String>,
    pub actual: Option<String>,
    /// Bar widths out of 100.
    pub planned_width: u32,
    pub actual_width: u32,
}

fn share_rows(t: &Transitions) -> Vec<ShareRow> {
    rules::sustainability(&t.items, &|f| t.is_public(f), &t.spent)
        .into_iter()
        .map(|r| ShareRow {
            planned_cost: money::display(r.planned_cost, &r.currency),
            planned: r.planned().map(percent),
            actual: r.actual().map(percent),
            planned_width: r.planned().map_or(0, |f| (f * 100.0).round() as u32),
            actual_width: r.actual().map_or(0, |f| (f * 100.0).round() as u32),
            year: r.year,
            currency: r.currency,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "funding/transitions.html")]
struct OverviewPage {
    c: Chrome,
    items: Vec<ItemView>,
    shares: Vec<ShareRow>,
    /// (item id, item, year, funder, upcoming)
    warnings: Vec<(i64, String, i32, String, bool)>,
}

async fn overview(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let t = load(&auth.registry(&s.store)).await?;
    let now = today();
    let warnings = rules::warnings(&t.items, &t.commitments, &|f| t.funder_name(f), now)
        .into_iter()
        .map(|w| {
            let up = rules::upcoming(w.year, now);
            (w.cost_item_id, w.item, w.year, w.funder, up)
        })
        .collect();
    let c = Chrome::new(ctx, ctx.tr.t("funding-transitions-title")).in_initiative(i, g, "funding");
    render(&OverviewPage {
        items: t.items.iter().map(|it| item_view(it, &t)).collect(),
        shares: share_rows(&t),
        warnings,
        c,
    })
}

// ---------------------------------------------------------------------------
// One item's schedule: the grid
// ---------------------------------------------------------------------------

/// A row of the grid as typed: year, cost and one share per funder column.
pub struct GridRow {
    pub year: String,
    pub cost: String,
    pub shares: Vec<String>,
    pub year_error: String,
    pub cost_error: String,
    pub share_errors: Vec<String>,
    pub row_error: String,
}

impl GridRow {
    /// (funder id, funder name, typed share, its error) per column.
    fn cells<'a>(&'a self, funders: &'a [(i64, String)]) -> Vec<(i64, &'a str, &'a str, &'a str)> {
        funders
            .iter()
            .zip(self.shares.iter().zip(&self.share_errors))
            .map(|((id, name), (v, e))| (*id, name.as_str(), v.as_str(), e.as_str()))
            .collect()
    }
}

#[derive(Template)]
#[template(path = "funding/schedule.html")]
struct SchedulePage {
    c: Chrome,
    view: ItemView,
    may_edit: bool,
    /// (id, name) of the columns.
    funders: Vec<(i64, String)>,
    rows: Vec<GridRow>,
    error: String,
    saved: bool,
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

fn blank_row(n: usize) -> GridRow {
    GridRow {
        year: String::new(),
        cost: String::new(),
        shares: vec![String::new(); n],
        year_error: String::new(),
        cost_error: String::new(),
        share_errors: vec![String::new(); n],
        row_error: String::new(),
    }
}

/// The columns: live funders, and any archived one the schedule still names.
fn columns(t: &Transitions, it: &ItemSchedule) -> Vec<(i64, String)> {
    let mut cols = t.live_funders.clone();
    for y in &it.schedule.years {
        for s in &y.shares {
            if !cols.iter().any(|(id, _)| *id == s.funder_id) {
                cols.push((s.funder_id, t.funder_name(s.funder_id)));
            }
        }
    }
    cols
}

async fn show(
    s: &AppState,
    auth: &Authorized<Read>,
    id: i64,
    typed: Option<(Vec<GridRow>, String)>,
    saved: bool,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let item = reg.get::<CostItem>(id).await?;
    let t = load(&reg).await?;
    let it = t.item(id).cloned().unwrap_or(ItemSchedule {
        cost_item_id: id,
        name: item.data.name.clone(),
        currency: item.data.currency.clone(),
        recurring: item.data.recurring,
        schedule: Default::default(),
    });
    let funders = columns(&t, &it);
    let status = if typed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (rows, error) = typed.unwrap_or_else(|| {
        let mut rows: Vec<GridRow> = it
            .schedule
            .years
            .iter()
            .map(|y| {
                let mut r = blank_row(funders.len());
                r.year = y.year.to_string();
                r.cost = money::format_minor(y.cost_minor, &it.currency);
                for (k, (f, _)) in funders.iter().enumerate() {
                    if let Some(s) = y.shares.iter().find(|s| s.funder_id == *f) {
                        r.shares[k] = money::format_share(s.share_bp as u32);
                    }
                }
                r
            })
            .collect();
        rows.push(blank_row(funders.len()));
        (rows, String::new())
    });
    let title = ctx.tr.t("funding-schedule-title");
    let c = Chrome::new(ctx, format!("{} · {title}", item.data.name))
        .in_initiative(i, g, "funding")
        .crumb(
            format!("/i/{}/funding/transitions", i.data.slug),
            ctx.tr.t("funding-transitions-title"),
        )
        .crumb("", item.data.name.clone());
    render_status(
        status,
        &SchedulePage {
            view: item_view(&it, &t),
            may_edit: g.allows_on(Action::Update, "cost_item"),
            funders,
            rows,
            error,
            saved,
            c,
        },
    )
}

async fn item_form(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    show(&s, &auth, id, None, q.saved.is_some()).await
}

/// Save the grid whole: every cell checked, each error beside its cell with
/// what was typed kept; nothing written unless all is right.
async fn item_save(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let reg = auth.registry(&s.store);
    reg.allow::<CostItem>(Action::Update)?;
    let item = reg.get::<CostItem>(id).await?;
    let tr = &auth.ctx.tr;
    let t = load(&reg).await?;
    let it = t.item(id).cloned();
    let funders = match &it {
        Some(it) => columns(&t, it),
        None => t.live_funders.clone(),
    };
    let f = &sub.fields;
    let get = |k: String| f.get(&k).map(|v| v.trim().to_string()).unwrap_or_default();
    let Some(n) = f.get("rows").and_then(|v| v.parse::<usize>().ok()) else {
        let rows = vec![blank_row(funders.len())];
        return show(&s, &auth, id, Some((rows, tr.t("ft-error-form"))), false).await;
    };
    let n = n.min(rules::MAX_YEARS + 1);
    let currency = item.data.currency.clone();
    let mut rows = vec![];
    let mut years = vec![];
    // The grid row of each year given to the rules.
    let mut at = vec![];
    let mut bad = false;
    for r in 0..n {
        let mut row = blank_row(funders.len());
        row.year = get(format!("year_{r}"));
        row.cost = get(format!("cost_{r}"));
        for (k, (fid, _)) in funders.iter().enumerate() {
            row.shares[k] = get(format!("share_{r}_{fid}"));
        }
        if row.year.is_empty() && row.cost.is_empty() && row.shares.iter().all(|s| s.is_empty()) {
            continue;
        }
        let year = match row.year.parse::<i32>() {
            Ok(y) => Some(y),
            Err(_) => {
                row.year_error = tr.t("ft-error-year");
                None
            }
        };
        let cost = if row.cost.is_empty() {
            Some(0)
        } else {
            match money::parse_amount(&row.cost, &currency) {
                Ok(v) => Some(v),
                Err(e) => {
                    row.cost_error = e.message(&tr.t("ft-col-cost"), &currency);
                    None
                }
            }
        };
        let mut shares = vec![];
        for (k, (fid, _)) in funders.iter().enumerate() {
            let text = &row.shares[k];
            if text.is_empty() {
                continue;
            }
            match money::parse_share(text) {
                Some(bp) => shares.push(Share {
                    funder_id: *fid,
                    share_bp: bp as i64,
                }),
                None => row.share_errors[k] = tr.t("ft-error-share"),
            }
        }
        let row_bad =
            year.is_none() || cost.is_none() || row.share_errors.iter().any(|e| !e.is_empty());
        bad |= row_bad;
        if let (Some(year), Some(cost_minor), false) = (year, cost, row_bad) {
            years.push(YearPlan {
                year,
                cost_minor,
                shares,
            });
            at.push(rows.len());
        }
        rows.push(row);
    }
    let name = |f: i64| t.funder_name(f);
    let checked = rules::validate(years, &name);
    if let Err(errors) = &checked {
        bad = true;
        for e in errors {
            let Some(row) = at.get(e.row).and_then(|r| rows.get_mut(*r)) else {
                continue;
            };
            match (e.field, e.funder_id) {
                ("year", _) => row.year_error = e.message.clone(),
                ("cost", _) => row.cost_error = e.message.clone(),
                ("share", Some(fid)) => {
                    if let Some(k) = funders.iter().position(|(id, _)| *id == fid) {
                        row.share_errors[k] = e.message.clone();
                    }
                }
                _ => row.row_error = e.message.clone(),
            }
        }
    }
    let refuse = |mut rows: Vec<GridRow>, message: String| {
        rows.push(blank_row(funders.len()));
        Some((rows, message))
    };
    let (false, Ok(schedule)) = (bad, checked) else {
        let message = tr.t("ft-error-summary");
        return show(&s, &auth, id, refuse(rows, message), false).await;
    };
    match s
        .store
        .set_schedule(reg.actor, reg.initiative, id, &schedule)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/i/{}/funding/transitions/{id}?saved=1",
            auth.initiative().data.slug
        ))
        .into_response()),
        Err(StoreError::Invalid(e)) => {
            let message =
                e.0.values()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
            show(&s, &auth, id, refuse(rows, message), false).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

// ---------------------------------------------------------------------------
// The portal
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "funding/portal.html")]
struct PortalPage {
    c: Chrome,
    slug: String,
    name: String,
    note: String,
    items: Vec<ItemView>,
    shares: Vec<ShareRow>,
    funders: Vec<Funder>,
    book: bool,
}

/// What the coordinator publishes: who pays for what by year and the public
/// share over time (when `publish_transitions`), each funder's answers (when
/// that funder's are public), the note, and a link to the open book (when
/// `publish_book`). Sections with nothing to show are left out.
async fn portal(State(s): State<AppState>, ctx: Ctx, Path(slug): Path<String>) -> PageResult {
    let published = Published::open(&s.store, &slug).await?;
    let i = published.initiative();
    let (publication, funders) = s.store.funding_portal(i.id).await?;
    let publication = publication.unwrap_or(domain::funding::records::FundingPublication {
        publish_transitions: false,
        publish_book: false,
        note: String::new(),
    });
    let (items, shares) = if publication.publish_transitions {
        let t = s.store.transitions(i.id).await?;
        let items: Vec<ItemView> = t
            .items
            .iter()
            .filter(|it| !it.schedule.years.is_empty())
            .map(|it| item_view(it, &t))
            .collect();
        (items, share_rows(&t))
    } else {
        (vec![], vec![])
    };
    let funders: Vec<Funder> = funders
        .into_iter()
        .filter(|f| {
            !(f.keeps_own_grants.is_empty() && f.pays_for.is_empty() && f.priorities.is_empty())
        })
        .collect();
    let note = publication.note.trim().to_string();
    let mut c = Chrome::new(
        &ctx,
        format!("{} · {}", ctx.tr.t("funding-title"), i.data.name),
    );
    c.user = None;
    render(&PortalPage {
        slug: i.data.slug.clone(),
        name: i.data.name.clone(),
        note,
        items,
        shares,
        funders,
        book: publication.publish_book,
        c,
    })
}
