//! Referrals pages.
//!
//! - `GET /i/{slug}/referrals?by=race_ethnicity|neighbourhood&reference=GROUP`:
//!   the measures (% accepted, median days to first service, % with an
//!   outcome) overall and by group against a reference group, for everyone
//!   who reads the initiative; a `by` that is not one of the two falls back to
//!   race and ethnicity, an unknown `reference` to the largest group. Groups
//!   of fewer than ten referrals are suppressed unless the reader may see
//!   small cells. Case workers and coordinators also see every referral and a
//!   form to add one; nobody else sees a referral, its outcome or its person.
//! - `POST /i/{slug}/referrals`: add a referral (case work).
//! - `GET`/`POST /i/{slug}/referrals/{id}`: one referral and its edit form
//!   (case work); every read is audited.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use domain::access::Action;
use domain::cases::person::Race;
use domain::cases::referrals::{Cell, Referral, RiskLevel, SMALL_CELL, SplitBy};
use domain::partnership::Organization;
use domain::validation::FieldMap;
use store::cases::referrals::ReferralRow;
use store::records::ListOptions;

use super::cases::{FormView, allows, fields_of, labels, status_of};
use super::{Chrome, render_status};
use crate::AppState;
use crate::access::{Authorized, CaseWork, Need, Read};
use crate::error::{AppError, PageResult};
use crate::pages::decisions::today;
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let referral = |a| Access::Initiative(a, "case_referral");
    r.get("/i/{slug}/referrals", referral(Action::Read), measures)
        .post(
            "/i/{slug}/referrals",
            referral(Action::CaseWork),
            create_referral,
        )
        .get(
            "/i/{slug}/referrals/{id}",
            referral(Action::CaseWork),
            referral_page,
        )
        .post(
            "/i/{slug}/referrals/{id}",
            referral(Action::CaseWork),
            update_referral,
        )
}

/// What the referral form needs to draw its selects.
pub struct Choices {
    pub organizations: Vec<(String, String)>,
    /// The two organization fields with their label keys.
    pub org_fields: &'static [(&'static str, &'static str)],
    pub risks: Vec<(String, String)>,
    pub races: Vec<(String, String)>,
}

async fn choices<A: Need>(
    s: &AppState,
    auth: &Authorized<A>,
    c: &Chrome,
) -> Result<Choices, AppError> {
    let mut organizations: Vec<(String, String)> = auth
        .registry(&s.store)
        .list::<Organization>(ListOptions::all())
        .await?
        .into_iter()
        .map(|o| (o.id.to_string(), o.data.name))
        .collect();
    organizations.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(Choices {
        organizations,
        org_fields: &[
            ("from_organization_id", "referrals-f-from"),
            ("to_organization_id", "referrals-f-to"),
        ],
        risks: labels(c, "referrals-risk-", RiskLevel::ALL, RiskLevel::as_str),
        races: labels(c, "cases-race-", Race::ALL, Race::as_str),
    })
}

/// A referral's fields as the form shows them.
fn referral_values(r: &Referral) -> FieldMap {
    let mut m = FieldMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    };
    put("referral_type", Some(r.referral_type.clone()));
    put(
        "from_organization_id",
        r.from_organization_id.map(|x| x.to_string()),
    );
    put(
        "to_organization_id",
        r.to_organization_id.map(|x| x.to_string()),
    );
    put("person_id", r.person_id.map(|x| x.to_string()));
    put("risk_level", Some(r.risk_level.as_str().into()));
    put(
        "race_ethnicity",
        r.race_ethnicity.map(|x| x.as_str().into()),
    );
    put("neighbourhood", r.neighbourhood.clone());
    put("referred_on", Some(r.referred_on.to_string()));
    put("accepted_on", r.accepted_on.map(|d| d.to_string()));
    put(
        "first_service_on",
        r.first_service_on.map(|d| d.to_string()),
    );
    put("outcome", r.outcome.clone());
    put("closed_on", r.closed_on.map(|d| d.to_string()));
    put("closed_reason", r.closed_reason.clone());
    m
}

/// The date fields, with their label keys.
const DATES: &[(&str, &str)] = &[
    ("referred_on", "referrals-f-referred_on"),
    ("accepted_on", "referrals-f-accepted_on"),
    ("first_service_on", "referrals-f-first_service_on"),
    ("closed_on", "referrals-f-closed_on"),
];

// ---------------------------------------------------------------------------
// The measures, and for case workers the referrals.

/// One measure of one group.
pub struct CellView {
    pub value: String,
    pub difference: String,
    pub ratio: String,
}

fn cell_view(c: &Cell, unit: &str) -> CellView {
    // One decimal for values and differences, two for ratios, as the rule
    // rounds them (so 50.0 shows as 50.0, not 50).
    let num = |v: Option<f64>| v.map(|v| format!("{v:.1}{unit}")).unwrap_or_default();
    CellView {
        value: num(c.value),
        difference: c
            .difference
            .map(|d| format!("{d:+.1}{unit}"))
            .unwrap_or_default(),
        ratio: c.ratio.map(|r| format!("{r:.2}")).unwrap_or_default(),
    }
}

pub struct GroupView {
    pub label: String,
    pub reference: bool,
    pub suppressed: bool,
    pub n: String,
    pub cells: Vec<CellView>,
}

/// One referral as a case worker sees it in the table.
pub struct RowView {
    pub id: i64,
    pub referral_type: String,
    pub from: String,
    pub to: String,
    pub risk: String,
    pub referred_on: String,
    pub accepted_on: String,
    pub first_service_on: String,
    pub outcome: String,
    pub closed: String,
}

#[derive(Template)]
#[template(path = "cases/referrals.html")]
struct MeasuresPage {
    c: Chrome,
    by: String,
    bys: Vec<(String, String)>,
    reference: String,
    /// Every group, for the reference select: (code, label).
    references: Vec<(String, String)>,
    overall_n: usize,
    overall: Vec<(String, String)>,
    groups: Vec<GroupView>,
    small_cell: usize,
    may_work: bool,
    rows: Vec<RowView>,
    choices: Option<Choices>,
    form: FormView,
    dates: &'static [(&'static str, &'static str)],
}

#[derive(Deserialize, Default)]
struct MeasuresQuery {
    by: Option<String>,
    reference: Option<String>,
}

fn group_label(c: &Chrome, by: SplitBy, g: &str) -> String {
    match by {
        SplitBy::RaceEthnicity => c.t(&format!("cases-race-{g}")),
        SplitBy::Neighbourhood => g.to_string(),
    }
}

fn or_dash(v: Option<f64>, unit: &str) -> String {
    v.map(|v| format!("{v:.1}{unit}"))
        .unwrap_or_else(|| "—".to_string())
}

async fn measures_view<A: Need>(
    s: &AppState,
    auth: &Authorized<A>,
    q: &MeasuresQuery,
    form: Option<FormView>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), &auth.view.grants);
    let c = Chrome::new(ctx, ctx.tr.t("referrals-title"))
        .in_initiative(i, g, "cases")
        .crumb(format!("/i/{}/cases", i.data.slug), ctx.tr.t("cases-title"));
    let by =
        q.by.as_deref()
            .and_then(SplitBy::parse)
            .unwrap_or(SplitBy::RaceEthnicity);
    let reference = q
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let small_cells = allows(g, Action::SeeSmallCells, "case_referral");
    let split = s
        .store
        .referral_measures(i.id, by, reference, small_cells)
        .await?;
    let o = &split.overall;
    let overall = vec![
        (c.t("referrals-m-accepted"), or_dash(o.accepted_pct, "%")),
        (
            c.t("referrals-m-median_days"),
            or_dash(o.median_days_to_service, ""),
        ),
        (c.t("referrals-m-outcome"), or_dash(o.outcome_pct, "%")),
    ];
    let groups = split
        .groups
        .iter()
        .map(|r| GroupView {
            label: group_label(&c, by, &r.group),
            reference: r.reference,
            suppressed: r.suppressed,
            n: r.n.map(|n| n.to_string()).unwrap_or_default(),
            cells: vec![
                cell_view(&r.accepted_pct, "%"),
                cell_view(&r.median_days_to_service, ""),
                cell_view(&r.outcome_pct, "%"),
            ],
        })
        .collect();
    let references = split
        .groups
        .iter()
        .map(|r| (r.group.clone(), group_label(&c, by, &r.group)))
        .collect();
    let may_work = allows(g, Action::CaseWork, "case_person");
    let (rows, choices) = if may_work {
        let choices = choices(s, auth, &c).await?;
        let names: BTreeMap<&str, &str> = choices
            .organizations
            .iter()
            .map(|(id, n)| (id.as_str(), n.as_str()))
            .collect();
        let org = |id: Option<i64>| {
            id.map(|id| {
                names
                    .get(id.to_string().as_str())
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| c.t1("referrals-org-number", "id", &id.to_string()))
            })
            .unwrap_or_default()
        };
        let rows = s
            .store
            .view_referrals(i.id, Some(auth.user.id))
            .await?
            .into_iter()
            .map(|r| row_view(&c, &r, &org))
            .collect();
        (rows, Some(choices))
    } else {
        (vec![], None)
    };
    let form = form.unwrap_or_else(|| {
        let mut f = FormView::default();
        f.values.insert("referred_on".into(), today().to_string());
        f.values.insert("risk_level".into(), "low".into());
        f
    });
    let page = MeasuresPage {
        by: by.as_str().to_string(),
        bys: labels(&c, "referrals-by-", SplitBy::ALL, SplitBy::as_str),
        reference: split.reference.clone().unwrap_or_default(),
        references,
        overall_n: o.n,
        overall,
        groups,
        small_cell: SMALL_CELL,
        may_work,
        rows,
        choices,
        dates: DATES,
        c,
        form,
    };
    render_status(status_of(&[&page.form]), &page)
}

fn row_view(c: &Chrome, r: &ReferralRow, org: &dyn Fn(Option<i64>) -> String) -> RowView {
    let x = &r.referral;
    let d = |v: Option<chrono::NaiveDate>| v.map(|d| d.to_string()).unwrap_or_default();
    RowView {
        id: r.id,
        referral_type: x.referral_type.clone(),
        from: org(x.from_organization_id),
        to: org(x.to_organization_id),
        risk: c.t(&format!("referrals-risk-{}", x.risk_level.as_str())),
        referred_on: x.referred_on.to_string(),
        accepted_on: d(x.accepted_on),
        first_service_on: d(x.first_service_on),
        outcome: x.outcome.clone().unwrap_or_default(),
        closed: match (&x.closed_on, &x.closed_reason) {
            (Some(on), Some(why)) => format!("{on} ({why})"),
            (Some(on), None) => on.to_string(),
            _ => String::new(),
        },
    }
}

async fn measures(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Query(q): Query<MeasuresQuery>,
) -> PageResult {
    measures_view(&s, &auth, &q, None).await
}

async fn create_referral(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (fields, csrf) = fields_of(pairs);
    auth.ctx.check_csrf(csrf.as_deref())?;
    let i = auth.initiative();
    let q = MeasuresQuery::default();
    let r = match Referral::parse(&fields) {
        Ok(r) => r,
        Err(e) => return measures_view(&s, &auth, &q, Some(FormView::failed(fields, &e))).await,
    };
    match s.store.create_referral(i.id, Some(auth.user.id), &r).await {
        Ok(row) => {
            Ok(Redirect::to(&format!("/i/{}/referrals/{}", i.data.slug, row.id)).into_response())
        }
        Err(store::StoreError::Invalid(e)) => {
            measures_view(&s, &auth, &q, Some(FormView::failed(fields, &e))).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

// ---------------------------------------------------------------------------
// One referral.

#[derive(Template)]
#[template(path = "cases/referral.html")]
struct ReferralPage {
    c: Chrome,
    id: i64,
    choices: Choices,
    form: FormView,
    dates: &'static [(&'static str, &'static str)],
}

async fn referral_view(
    s: &AppState,
    auth: &Authorized<CaseWork>,
    id: i64,
    form: Option<FormView>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), &auth.view.grants);
    let row = s.store.view_referral(i.id, id, Some(auth.user.id)).await?;
    let c = Chrome::new(ctx, ctx.tr.t1("referrals-one-title", "id", &id.to_string()))
        .in_initiative(i, g, "cases")
        .crumb(format!("/i/{}/cases", i.data.slug), ctx.tr.t("cases-title"))
        .crumb(
            format!("/i/{}/referrals", i.data.slug),
            ctx.tr.t("referrals-title"),
        );
    let choices = choices(s, auth, &c).await?;
    let form = form.unwrap_or_else(|| FormView {
        values: referral_values(&row.referral),
        errors: BTreeMap::new(),
    });
    let page = ReferralPage {
        id,
        choices,
        dates: DATES,
        c,
        form,
    };
    render_status(status_of(&[&page.form]), &page)
}

async fn referral_page(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    referral_view(&s, &auth, id, None).await
}

async fn update_referral(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (fields, csrf) = fields_of(pairs);
    auth.ctx.check_csrf(csrf.as_deref())?;
    let i = auth.initiative();
    s.store.referral(i.id, id).await?;
    let r = match Referral::parse(&fields) {
        Ok(r) => r,
        Err(e) => return referral_view(&s, &auth, id, Some(FormView::failed(fields, &e))).await,
    };
    match s
        .store
        .update_referral(i.id, id, Some(auth.user.id), &r)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/i/{}/referrals/{id}", i.data.slug)).into_response()),
        Err(store::StoreError::Invalid(e)) => {
            referral_view(&s, &auth, id, Some(FormView::failed(fields, &e))).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}
