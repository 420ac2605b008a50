//! Shared measurement's pages: the coordinator's dashboard, one indicator's
//! analysis, the partners' entry grid, period locks, recent batches, and the
//! public dashboard on the portal. The figures come from
//! [`crate::measurement`]; handlers read the request, ask, and render.
//!
//! None of these pages is cached: values do not bump the initiative's
//! generation (they take the volume path), so a cached page would go stale.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use domain::access::Action;
use domain::agenda::{Activity, Objective};
use domain::measurement::indicator::Indicator;
use domain::measurement::period::Period;
use domain::measurement::{Frequency, stats};
use domain::resource::Record;
use store::records::ListOptions;

use super::{Chrome, Submitted, render, render_status};
use crate::AppState;
use crate::access::{Audit, Authorized, Published, Read, Report, Write};
use crate::error::{AppError, PageResult};
use crate::measurement::{
    Chart, DashboardRow, Equity, GridBlock, Measures, Quality, categories_of, dashboard_rows,
    equity, format_f64, grid, grid_indicators, indicator_chart, num, pct, quality, read_grid,
    signed,
};
use crate::routes::{Access, Routes};
use crate::session::Ctx;

pub fn routes(r: Routes) -> Routes {
    let on = |action, kind| Access::Initiative(action, kind);
    r.get(
        "/i/{slug}/measurement",
        on(Action::Read, "initiative"),
        dashboard,
    )
    .get(
        "/i/{slug}/measurement/entry",
        on(Action::Report, "initiative"),
        entry_form,
    )
    .post(
        "/i/{slug}/measurement/entry",
        on(Action::Report, "initiative"),
        entry_save,
    )
    .post(
        "/i/{slug}/measurement/locks",
        on(Action::Update, "initiative"),
        lock,
    )
    .get(
        "/i/{slug}/measurement/batches",
        on(Action::ReadAudit, "initiative"),
        batches,
    )
    .get(
        "/i/{slug}/measurement/{code}",
        on(Action::Read, "initiative"),
        indicator,
    )
    .get("/p/{slug}/dashboard", Access::Public, portal_dashboard)
}

fn today() -> chrono::NaiveDate {
    store::now().get().date_naive()
}

fn frequency_label(c: &Chrome, f: Frequency) -> String {
    c.t(&format!("meas-frequency-{}", f.as_str()))
}

// ---------------------------------------------------------------------------
// The dashboard
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "measurement/dashboard.html")]
struct DashboardPage {
    c: Chrome,
    rows: Vec<DashboardRow>,
    quality: Quality,
    /// What the "check through" field holds, and its error.
    through: String,
    through_error: String,
    may_report: bool,
    may_audit: bool,
}

#[derive(Deserialize, Default)]
pub struct DashboardQuery {
    through: Option<String>,
}

/// Every indicator with its latest figure, target, variance, change since
/// baseline and trend; then data quality, for the periods that ended before
/// today or by `?through=`.
async fn dashboard(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Query(q): Query<DashboardQuery>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let m = Measures::of(&reg);
    let ind = m.indicators().await?;
    let totals = m.totals(&ind).await?;
    let orgs = m.organizations().await?;
    let rows = dashboard_rows(&ctx.tr, &ind, &totals, m.may_see_small(), false);
    let (through, through_error) = match q.through.as_deref().map(str::trim) {
        None | Some("") => (None, String::new()),
        Some(text) => match Period::parse(text) {
            Ok(p) => (Some(p), String::new()),
            Err(_) => (None, ctx.tr.t1("meas-entry-error-period", "value", text)),
        },
    };
    let quality = quality(&m, &ind, &totals, &orgs, through, today()).await?;
    let c = Chrome::new(ctx, ctx.tr.t("meas-title")).in_initiative(i, g, "measurement");
    render(&DashboardPage {
        through: match (through, &q.through) {
            (Some(p), _) => p.to_string(),
            (None, Some(text)) => text.clone(),
            (None, None) => String::new(),
        },
        through_error,
        may_report: m.may_report(),
        may_audit: c.can_audit,
        c,
        rows,
        quality,
    })
}

// ---------------------------------------------------------------------------
// One indicator
// ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct IndicatorQuery {
    by: Option<String>,
    period: Option<String>,
    category: Option<String>,
    reference: Option<String>,
}

/// A row of the report table as shown.
struct RowView {
    period: String,
    value: Option<String>,
    suppressed: bool,
    target: Option<String>,
    variance: Option<String>,
    outlier: bool,
}

/// One group's row of the equity table as shown.
struct GapView {
    label: String,
    value: Option<String>,
    difference: Option<String>,
    ratio: Option<String>,
    suppressed: bool,
}

impl GapView {
    fn of(g: &domain::measurement::stats::Gap) -> GapView {
        GapView {
            label: g.label.clone(),
            value: g.value.map(num),
            difference: g.difference.map(signed),
            ratio: g.ratio.map(|r| format!("{}×", r.round_dp(2).normalize())),
            suppressed: g.suppressed,
        }
    }
}

struct EquityView {
    period: String,
    category: String,
    reference: GapView,
    rows: Vec<GapView>,
    any_suppressed: bool,
    /// (value, label, selected) for the three selects.
    periods: Vec<(String, bool)>,
    categories: Vec<(String, bool)>,
    references: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "measurement/indicator.html")]
struct IndicatorPage {
    c: Chrome,
    r: Record<Indicator>,
    /// (label, value) of what the indicator is.
    about: Vec<(String, String)>,
    /// (value, label, selected)
    by: Vec<(String, String, bool)>,
    by_label: String,
    chart: Chart,
    rows: Vec<RowView>,
    equity: Option<EquityView>,
    /// (period, figure)
    baseline: Option<(String, String)>,
    latest: Option<(String, String)>,
    forecast: Vec<(String, String)>,
    targets: Vec<(String, String)>,
    owner: Option<(i64, String)>,
    partners: Vec<(i64, String)>,
    objective: Option<(i64, String)>,
    /// (id, title, status)
    actions: Vec<(i64, String, String)>,
    may_see_small: bool,
    min_cell: i64,
}

fn parse_by(indicator: &Indicator, by: Option<&str>) -> Frequency {
    let own = indicator.frequency;
    let wanted = match by {
        Some("month") => Frequency::Monthly,
        Some("quarter") => Frequency::Quarterly,
        Some("year") => Frequency::Yearly,
        _ => own,
    };
    if coarser_or_same(wanted, own) {
        wanted
    } else {
        own
    }
}

fn rank(f: Frequency) -> u8 {
    match f {
        Frequency::Weekly => 0,
        Frequency::Monthly => 1,
        Frequency::Quarterly => 2,
        Frequency::Yearly => 3,
    }
}

fn coarser_or_same(f: Frequency, than: Frequency) -> bool {
    rank(f) >= rank(than)
}

fn by_value(f: Frequency) -> &'static str {
    match f {
        Frequency::Weekly => "week",
        Frequency::Monthly => "month",
        Frequency::Quarterly => "quarter",
        Frequency::Yearly => "year",
    }
}

/// One indicator: its chart and report at the chosen granularity, equity
/// gaps for a period and category, and "turn the curve".
async fn indicator(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_slug, code)): Path<(String, String)>,
    Query(q): Query<IndicatorQuery>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let m = Measures::of(&reg);
    let ind = m.indicators().await?;
    let r = ind.by_code(&code).ok_or(AppError::NotFound)?.clone();
    let totals = m.totals(&ind).await?;
    let orgs = m.organizations().await?;
    let may_see_small = m.may_see_small();
    let d = &r.data;
    let c = Chrome::new(ctx, format!("{} · {}", d.name, ctx.tr.t("meas-title")))
        .in_initiative(i, g, "measurement")
        .crumb(
            format!("/i/{}/measurement", i.data.slug),
            ctx.tr.t("meas-title"),
        )
        .crumb("", d.name.clone());

    let into = parse_by(d, q.by.as_deref());
    let series = crate::measurement::Series::new(&ind, &totals, &r, into, may_see_small);
    let forecast = crate::measurement::forecast(&series);
    let chart = indicator_chart(&ctx.tr, &series, None, &forecast);
    let rows = series
        .rows()
        .into_iter()
        .map(|row| RowView {
            period: row.period.to_string(),
            value: row.value.map(num),
            suppressed: row.suppressed,
            target: row.target.map(num),
            variance: row.variance.map(pct),
            outlier: row.outlier,
        })
        .collect();
    let by = [
        Frequency::Weekly,
        Frequency::Monthly,
        Frequency::Quarterly,
        Frequency::Yearly,
    ]
    .into_iter()
    .filter(|f| coarser_or_same(*f, d.frequency))
    .map(|f| (by_value(f).to_string(), frequency_label(&c, f), f == into))
    .collect();

    // Equity gaps, from the slices of one period at the indicator's own frequency.
    let categories = categories_of(&ind, &r);
    let own = crate::measurement::Series::new(&ind, &totals, &r, d.frequency, may_see_small);
    let periods: Vec<Period> = own.totals.keys().rev().copied().collect();
    let equity = match (categories.is_empty(), periods.first()) {
        (false, Some(latest)) => {
            let period = q
                .period
                .as_deref()
                .and_then(|p| Period::parse(p).ok())
                .filter(|p| periods.contains(p))
                .unwrap_or(*latest);
            let category = q
                .category
                .as_deref()
                .and_then(|n| categories.iter().find(|c| c.name == n))
                .unwrap_or(&categories[0]);
            let reference = q
                .reference
                .as_deref()
                .filter(|o| category.options.iter().any(|x| x == o))
                .unwrap_or(&category.options[0])
                .to_string();
            let slices = m.slices(&ind, &r, period).await?;
            let e: Equity = equity(&slices, category, &reference, period, may_see_small);
            Some(EquityView {
                period: e.period.to_string(),
                category: e.category.clone(),
                reference: GapView::of(&e.reference_row),
                rows: e.rows.iter().map(GapView::of).collect(),
                any_suppressed: e.any_suppressed,
                periods: periods
                    .iter()
                    .map(|p| (p.to_string(), *p == period))
                    .collect(),
                categories: categories
                    .iter()
                    .map(|x| (x.name.clone(), x.name == category.name))
                    .collect(),
                references: category
                    .options
                    .iter()
                    .map(|o| (o.clone(), *o == reference))
                    .collect(),
            })
        }
        _ => None,
    };

    // Turn the curve.
    let baseline = match (d.baseline_period, d.baseline_value) {
        (Some(p), Some(v)) => Some((p.to_string(), num(v))),
        _ => None,
    };
    let latest = own.latest().map(|(p, v)| {
        (
            p.to_string(),
            v.map(num).unwrap_or_else(|| c.t("meas-suppressed")),
        )
    });
    let name_of = |id: i64| orgs.iter().find(|o| o.0 == id).map(|o| (id, o.1.clone()));
    let objective = match d.objective_id {
        Some(id) => reg.get::<Objective>(id).await.ok(),
        None => None,
    };
    let actions = match &objective {
        Some(o) => {
            let mut acts: Vec<Record<Activity>> = reg
                .list::<Activity>(ListOptions::all())
                .await?
                .into_iter()
                .filter(|a| a.data.objective_id == Some(o.id))
                .collect();
            acts.sort_by_key(|a| (a.data.start_on, a.id));
            acts.into_iter()
                .map(|a| {
                    let status = c.t(&format!("plans-activity-status-{}", a.data.status.as_str()));
                    (a.id, a.data.title, status)
                })
                .collect()
        }
        None => Vec::new(),
    };
    let mut about = vec![
        (
            c.t("meas-about-kind"),
            c.t(&format!("meas-kind-{}", d.kind.as_str())),
        ),
        (
            c.t("meas-about-polarity"),
            c.t(&format!("meas-polarity-{}", d.polarity.as_str())),
        ),
        (
            c.t("meas-about-frequency"),
            frequency_label(&c, d.frequency),
        ),
        (
            c.t("meas-about-aggregation"),
            c.t(&format!("meas-aggregation-{}", d.aggregation.as_str())),
        ),
    ];
    if let Some(q) = d.question {
        about.push((
            c.t("meas-about-question"),
            c.t(&format!("meas-question-{}", q.as_str())),
        ));
    }
    if !d.unit.is_empty() {
        about.push((c.t("meas-about-unit"), d.unit.clone()));
    }
    if let (Some(n), Some(den)) = (d.numerator_id, d.denominator_id) {
        let code = |id: i64| ind.get(id).map(|r| r.data.code.clone()).unwrap_or_default();
        about.push((
            c.t("meas-about-formula"),
            format!(
                "{} ÷ {} × {}",
                code(n),
                code(den),
                d.factor_or_one().normalize()
            ),
        ));
    }
    if !d.data_source.is_empty() {
        about.push((c.t("meas-about-source"), d.data_source.clone()));
    }
    if !d.sdg.is_empty() {
        about.push((c.t("meas-about-sdg"), d.sdg_codes().join(", ")));
    }
    let page = IndicatorPage {
        about,
        by_label: frequency_label(&c, into),
        by,
        chart,
        rows,
        equity,
        baseline,
        latest,
        forecast: forecast
            .iter()
            .map(|(p, v)| (p.to_string(), format_f64(*v)))
            .collect(),
        targets: d
            .target_list()
            .into_iter()
            .map(|(p, v)| (p.to_string(), num(v)))
            .collect(),
        owner: d.owner_org_id.and_then(name_of),
        partners: d.reporter_ids().into_iter().filter_map(name_of).collect(),
        objective: objective.map(|o| (o.id, o.data.title)),
        actions,
        may_see_small,
        min_cell: crate::measurement::MIN_CELL,
        c,
        r,
    };
    render(&page)
}

// ---------------------------------------------------------------------------
// The entry grid
// ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct EntryQuery {
    period: Option<String>,
    partner: Option<String>,
    added: Option<usize>,
    changed: Option<usize>,
}

#[derive(Template)]
#[template(path = "measurement/entry.html")]
struct EntryPage {
    c: Chrome,
    /// What the period field holds (as typed when it is wrong).
    period_text: String,
    period_error: String,
    period: Option<Period>,
    partner: Option<i64>,
    partner_error: String,
    orgs: Vec<(i64, String)>,
    blocks: Vec<GridBlock>,
    /// The locked period that makes this one read-only (itself, or the
    /// quarter or year it falls in).
    locked: Option<Period>,
    may_lock: bool,
    /// (added, changed)
    saved: Option<(usize, usize)>,
    /// (input id, what, message) for the summary at the top.
    summary: Vec<(String, String, String)>,
    error: String,
}

impl EntryPage {
    fn is_partner(&self, id: &i64) -> bool {
        self.partner == Some(*id)
    }
    fn frequency_name(&self) -> String {
        self.period
            .map(|p| frequency_label(&self.c, p.frequency()))
            .unwrap_or_default()
    }
}

/// The period a grid starts on: the month before this one.
fn default_period() -> Period {
    let this = Period::containing(today(), Frequency::Monthly);
    this.prev().unwrap_or(this)
}

/// What the grid was asked for, read and checked.
struct Choice {
    period_text: String,
    period: Option<Period>,
    period_error: String,
    partner: Option<i64>,
    partner_error: String,
}

fn choose(c: &Ctx, period: Option<&str>, partner: Option<&str>, orgs: &[(i64, String)]) -> Choice {
    let (period_text, period, period_error) = match period.map(str::trim) {
        None | Some("") => {
            let p = default_period();
            (p.to_string(), Some(p), String::new())
        }
        Some(text) => match Period::parse(text) {
            Ok(p) => (p.to_string(), Some(p), String::new()),
            Err(_) => (
                text.to_string(),
                None,
                c.tr.t1("meas-entry-error-period", "value", text),
            ),
        },
    };
    let (partner, partner_error) = match partner.map(str::trim) {
        None | Some("") => (None, String::new()),
        Some(text) => match text
            .parse::<i64>()
            .ok()
            .filter(|id| orgs.iter().any(|o| o.0 == *id))
        {
            Some(id) => (Some(id), String::new()),
            None => (None, c.tr.t("meas-entry-error-partner")),
        },
    };
    Choice {
        period_text,
        period,
        period_error,
        partner,
        partner_error,
    }
}

async fn entry_form(
    State(s): State<AppState>,
    auth: Authorized<Report>,
    Query(q): Query<EntryQuery>,
) -> PageResult {
    let saved = match (q.added, q.changed) {
        (Some(a), Some(ch)) => Some((a, ch)),
        _ => None,
    };
    show_entry(
        &s,
        &auth,
        (q.period.as_deref(), q.partner.as_deref()),
        None,
        saved,
        StatusCode::OK,
    )
    .await
}

/// What a refused submission brings back to the grid: the cells as typed, the
/// errors by field name, and a message for the whole form.
struct Refused {
    typed: HashMap<String, String>,
    errors: HashMap<String, String>,
    message: String,
}

async fn show_entry(
    s: &AppState,
    auth: &Authorized<Report>,
    (period, partner): (Option<&str>, Option<&str>),
    refused: Option<Refused>,
    saved: Option<(usize, usize)>,
    status: StatusCode,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let m = Measures::of(&reg);
    let orgs = m.organizations().await?;
    let choice = choose(ctx, period, partner, &orgs);
    let ind = m.indicators().await?;
    let (blocks, locked) = match choice.period {
        Some(p) => {
            let wanted = grid_indicators(&ind, p);
            let ids: Vec<i64> = wanted.iter().map(|r| r.id).collect();
            let stored = m.values_for(&ids, p, choice.partner).await?;
            let locked = m.locked_by(p).await?;
            let (typed, errors) = match &refused {
                Some(r) => (r.typed.clone(), r.errors.clone()),
                None => Default::default(),
            };
            (grid(&ctx.tr, &wanted, &stored, &typed, &errors), locked)
        }
        None => (Vec::new(), None),
    };
    let summary = blocks
        .iter()
        .flat_map(|b| {
            b.cells
                .iter()
                .filter(|c| !c.error.is_empty())
                .map(move |cell| {
                    (
                        cell.dom.clone(),
                        format!("{} — {}", b.name, cell.label),
                        cell.error.clone(),
                    )
                })
        })
        .collect();
    let c = Chrome::new(ctx, ctx.tr.t("meas-entry-title"))
        .in_initiative(i, g, "measurement")
        .crumb(
            format!("/i/{}/measurement", i.data.slug),
            ctx.tr.t("meas-title"),
        )
        .crumb("", ctx.tr.t("meas-entry-title"));
    render_status(
        status,
        &EntryPage {
            period_text: choice.period_text,
            period_error: choice.period_error,
            period: choice.period,
            partner: choice.partner,
            partner_error: choice.partner_error,
            orgs,
            blocks,
            locked,
            may_lock: m.may_lock(),
            saved,
            summary,
            error: refused.map(|r| r.message).unwrap_or_default(),
            c,
        },
    )
}

/// Save the grid: every non-blank cell in one batch, or nothing when any cell
/// is wrong (each named next to it, what was typed kept).
async fn entry_save(
    State(s): State<AppState>,
    auth: Authorized<Report>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs.clone());
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let period = sub.fields.get("period").cloned();
    let partner = sub.fields.get("partner").cloned();
    let typed: HashMap<String, String> = pairs
        .iter()
        .filter(|(k, _)| k.starts_with("v:"))
        .cloned()
        .collect();
    let reg = auth.registry(&s.store);
    let m = Measures::of(&reg);
    let orgs = m.organizations().await?;
    let choice = choose(&auth.ctx, period.as_deref(), partner.as_deref(), &orgs);
    let refuse = |errors: HashMap<String, String>, message: String| Refused {
        typed: typed.clone(),
        errors,
        message,
    };
    let args = (period.as_deref(), partner.as_deref());
    let (Some(p), true) = (choice.period, choice.partner_error.is_empty()) else {
        let message = auth.ctx.tr.t("meas-entry-error-choice");
        return show_entry(
            &s,
            &auth,
            args,
            Some(refuse(HashMap::new(), message)),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let ind = m.indicators().await?;
    let wanted = grid_indicators(&ind, p);
    let rows = match read_grid(&auth.ctx.tr, &wanted, p, choice.partner, &pairs) {
        Ok(rows) => rows,
        Err(errors) => {
            let message =
                auth.ctx
                    .tr
                    .t1("meas-entry-error-cells", "count", &errors.len().to_string());
            return show_entry(
                &s,
                &auth,
                args,
                Some(refuse(errors, message)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match m.write(&rows).await {
        Ok(report) => {
            let mut to = format!(
                "/i/{}/measurement/entry?period={p}&added={}&changed={}",
                auth.initiative().data.slug,
                report.added,
                report.changed
            );
            if let Some(id) = choice.partner {
                to.push_str(&format!("&partner={id}"));
            }
            Ok(Redirect::to(&to).into_response())
        }
        Err(AppError::Invalid(e)) => {
            let message = if e.get("period").is_some() {
                auth.ctx
                    .tr
                    .t1("meas-entry-locked-refused", "period", &p.to_string())
            } else {
                crate::kinds::errors_text(&auth.ctx.tr, &e)
            };
            show_entry(
                &s,
                &auth,
                args,
                Some(refuse(HashMap::new(), message)),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Lock a period after approval, or unlock it.
async fn lock(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let period = sub
        .fields
        .get("period")
        .and_then(|p| Period::parse(p).ok())
        .ok_or_else(|| AppError::BadRequest("period must be a period such as 2025-02".into()))?;
    let locked = sub.fields.get("lock").is_some_and(|v| v == "1");
    let reg = auth.registry(&s.store);
    Measures::of(&reg).set_locked(period, locked).await?;
    // Back to the grid the form was on (a month, when its year was unlocked).
    let at = sub
        .fields
        .get("at")
        .and_then(|p| Period::parse(p).ok())
        .unwrap_or(period);
    let mut to = format!(
        "/i/{}/measurement/entry?period={at}",
        auth.initiative().data.slug
    );
    if let Some(partner) = sub.fields.get("partner").filter(|p| !p.is_empty()) {
        to.push_str(&format!("&partner={}", crate::error::urlencode(partner)));
    }
    Ok(Redirect::to(&to).into_response())
}

// ---------------------------------------------------------------------------
// Batches
// ---------------------------------------------------------------------------

struct ReplacedView {
    code: String,
    period: String,
    subgroup: String,
    partner: String,
    value: String,
}

struct BatchView {
    id: i64,
    at: String,
    who: String,
    source: String,
    file_name: String,
    added: i64,
    changed: i64,
    unchanged: i64,
    replaced: Vec<ReplacedView>,
    more: usize,
}

#[derive(Template)]
#[template(path = "measurement/batches.html")]
struct BatchesPage {
    c: Chrome,
    batches: Vec<BatchView>,
    locked: Vec<String>,
}

/// Replaced values listed per batch at most.
const REPLACED_SHOWN: usize = 50;

async fn batches(State(s): State<AppState>, auth: Authorized<Audit>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let m = Measures::of(&reg);
    let ind = m.indicators().await?;
    let orgs = m.organizations().await?;
    let code_of = |id: i64| {
        ind.get(id)
            .map(|r| r.data.code.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let org_of = |id: Option<i64>| match id {
        None => "—".to_string(),
        Some(id) => orgs
            .iter()
            .find(|o| o.0 == id)
            .map(|o| o.1.clone())
            .unwrap_or_else(|| format!("#{id}")),
    };
    let batches = m
        .batches(20)
        .await?
        .into_iter()
        .map(|(b, who, replaced)| BatchView {
            id: b.id,
            at: b.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            who: who.unwrap_or_else(|| "—".into()),
            source: b.source,
            file_name: b.file_name,
            added: b.added,
            changed: b.changed,
            unchanged: b.unchanged,
            more: replaced.len().saturating_sub(REPLACED_SHOWN),
            replaced: replaced
                .into_iter()
                .take(REPLACED_SHOWN)
                .map(|v| ReplacedView {
                    code: code_of(v.indicator_id),
                    period: v.period,
                    subgroup: v.subgroup,
                    partner: org_of(v.partner_id),
                    value: v.value.normalize().to_string(),
                })
                .collect(),
        })
        .collect();
    let locked = m.locked().await?;
    let c = Chrome::new(ctx, ctx.tr.t("meas-batches-title"))
        .in_initiative(i, g, "measurement")
        .crumb(
            format!("/i/{}/measurement", i.data.slug),
            ctx.tr.t("meas-title"),
        )
        .crumb("", ctx.tr.t("meas-batches-title"));
    render(&BatchesPage { c, batches, locked })
}

// ---------------------------------------------------------------------------
// The public dashboard
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "measurement/portal.html")]
struct PortalPage {
    c: Chrome,
    slug: String,
    name: String,
    rows: Vec<DashboardRow>,
    min_cell: i64,
}

impl PortalPage {
    fn any_suppressed(&self) -> bool {
        self.rows
            .iter()
            .any(|r| r.suppressed || r.table.iter().any(|t| t.2))
    }
}

/// The indicators marked public, each with its chart, latest figure, target
/// and direction. Small cells are always suppressed here.
async fn portal_dashboard(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> PageResult {
    let published = Published::open(&s.store, &slug).await?;
    let i = published.initiative();
    let mut c = Chrome::new(
        &ctx,
        format!("{} · {}", ctx.tr.t("meas-portal-title"), i.data.name),
    );
    c.user = None;
    let m = Measures::published(&s.store, &published);
    let ind = m.indicators().await?;
    let totals = m.totals(&ind).await?;
    debug_assert!(!m.may_see_small());
    let rows = dashboard_rows(&ctx.tr, &ind, &totals, false, true);
    render(&PortalPage {
        slug: i.data.slug.clone(),
        name: i.data.name.clone(),
        c,
        rows,
        min_cell: stats::DEFAULT_MIN_CELL,
    })
}
