//! The community investment fund's pages (`domain::funding::fund`).
//!
//! - Members: `/i/{slug}/fund` (calls), `/i/{slug}/fund/{call}` (applications,
//!   scores, ranking, assessors), `/i/{slug}/fund/{call}/applications/{id}`
//!   (details, conflict declaration and scoring for the call's assessors;
//!   award, agreement, payment schedule and progress reports for coordinators).
//!   Contacts (name and email) are shown only to whom the policy shows contact details.
//! - Public: `/p/{slug}/fund` (open calls) and `/p/{slug}/fund/{call}/apply`.
//!   A visitor who is not signed in applies with a password: the application
//!   creates their account (email = the contact email) in the same
//!   transaction and signs them in; someone who has an account signs in first.
//! - The applicant: `/account/applications`, their own applications and
//!   where each stands, nothing else.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use domain::access::{Action, Decision, decide};
use domain::funding::fund::{FundCall, Period};
use domain::funding::money;
use domain::resource::Class;
use domain::validation::FieldErrors;
use store::StoreError;
use store::accounts::SESSION_DAYS;
use store::funding::fund::{Applicant, ApplicationView, CallView};
use store::records::ListOptions;

use super::{Chrome, Submitted, render, render_status};
use crate::AppState;
use crate::access::{Authorized, Published, Read, Write};
use crate::error::{AppError, PageResult};
use crate::routes::{Access, Routes};
use crate::session::{Ctx, SESSION_COOKIE, set_cookie};

pub fn routes(r: Routes) -> Routes {
    let on = |action, kind| Access::Initiative(action, kind);
    r.get("/i/{slug}/fund", on(Action::Read, "fund_call"), calls)
        .get("/i/{slug}/fund/{call}", on(Action::Read, "fund_call"), call)
        .post(
            "/i/{slug}/fund/{call}/assessors",
            on(Action::Update, "fund_call"),
            add_assessor,
        )
        .get(
            "/i/{slug}/fund/{call}/applications/{id}",
            on(Action::Read, "fund_application"),
            application,
        )
        .post(
            "/i/{slug}/fund/{call}/applications/{id}/conflict",
            on(Action::Read, "fund_application"),
            conflict,
        )
        .post(
            "/i/{slug}/fund/{call}/applications/{id}/score",
            on(Action::Read, "fund_application"),
            score,
        )
        .post(
            "/i/{slug}/fund/{call}/applications/{id}/award",
            on(Action::Update, "fund_application"),
            award,
        )
        .post(
            "/i/{slug}/fund/{call}/applications/{id}/agreement",
            on(Action::Update, "fund_application"),
            agreement,
        )
        .post(
            "/i/{slug}/fund/{call}/applications/{id}/payments",
            on(Action::Update, "fund_application"),
            payments,
        )
        .post(
            "/i/{slug}/fund/{call}/applications/{id}/reports",
            on(Action::Update, "fund_application"),
            report,
        )
        .get("/p/{slug}/fund", Access::Public, portal)
        .get("/p/{slug}/fund/{call}/apply", Access::Public, apply_form)
        .post("/p/{slug}/fund/{call}/apply", Access::Public, apply)
        .get("/account/applications", Access::Account, mine)
}

fn today() -> chrono::NaiveDate {
    store::now().get().date_naive()
}

/// The messages of refused fields, one a line.
fn messages(e: &FieldErrors) -> Vec<String> {
    e.0.values().map(|f| f.message.clone()).collect()
}

struct CallRow {
    id: i64,
    href: String,
    name: String,
    description: String,
    eligibility: String,
    budget: String,
    opens_on: String,
    closes_on: String,
}

fn call_row(id: i64, k: &FundCall, href: String) -> CallRow {
    CallRow {
        id,
        href,
        name: k.name.clone(),
        description: k.description.clone(),
        eligibility: k.eligibility.clone(),
        budget: money::display(k.budget_minor, &k.currency),
        opens_on: k.opens_on.to_string(),
        closes_on: k.closes_on.to_string(),
    }
}

#[derive(Template)]
#[template(path = "fund/calls.html")]
struct CallsPage {
    c: Chrome,
    calls: Vec<CallRow>,
}

async fn calls(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let list = reg.list::<FundCall>(ListOptions::all()).await?;
    let slug = &i.data.slug;
    let c = Chrome::new(ctx, ctx.tr.t("fund-title")).in_initiative(i, g, "fund-calls");
    render(&CallsPage {
        calls: list
            .iter()
            .map(|r| call_row(r.id, &r.data, format!("/i/{slug}/fund/{}", r.id)))
            .collect(),
        c,
    })
}

struct AppRow {
    rank: String,
    href: String,
    title: String,
    organization: String,
    contact: String,
    requested: String,
    scores: String,
    mean: String,
    award: String,
}

#[derive(Template)]
#[template(path = "fund/call.html")]
struct CallPage {
    c: Chrome,
    call_id: i64,
    name: String,
    budget: String,
    awarded: String,
    remaining: String,
    criteria: String,
    opens_on: String,
    closes_on: String,
    rows: Vec<AppRow>,
    show_contact: bool,
    assessors: Vec<String>,
    error: String,
}

fn sees_contact(g: &domain::access::Grants) -> bool {
    decide(g, Action::Read, "fund_application", Class::Contact) == Decision::Allow
}

async fn call_page(
    s: &AppState,
    auth: &Authorized<impl crate::access::Need>,
    id: i64,
    error: String,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    // The call is read through the policy first (404 for a call of another initiative).
    let reg = auth.registry(&s.store);
    reg.get::<FundCall>(id).await?;
    let v: CallView = s.store.fund_call(i.id, id).await?;
    let k = &v.call.data;
    let cur = &k.currency;
    let slug = &i.data.slug;
    let show_contact = sees_contact(g);
    let rows = v
        .ranking()
        .into_iter()
        .filter_map(|(app, mean, rank)| {
            let a = v.applications.iter().find(|a| a.id == app)?;
            let n = v.scores.iter().filter(|s| s.application_id == app).count();
            Some(AppRow {
                rank: if mean.count > 0 {
                    rank.to_string()
                } else {
                    "—".into()
                },
                href: format!("/i/{slug}/fund/{id}/applications/{app}"),
                title: a.data.title.clone(),
                organization: a.data.organization_name.clone(),
                contact: if show_contact {
                    a.data.contact_email.clone()
                } else {
                    String::new()
                },
                requested: money::display(a.data.amount_minor, cur),
                scores: n.to_string(),
                mean: mean.display(),
                award: v
                    .award_of(app)
                    .map(|w| money::display(w.amount_minor, cur))
                    .unwrap_or_else(|| "—".into()),
            })
        })
        .collect();
    let c = Chrome::new(ctx, k.name.clone())
        .in_initiative(i, g, "fund-calls")
        .crumb(format!("/i/{slug}/fund"), ctx.tr.t("fund-title"));
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &CallPage {
            call_id: id,
            name: k.name.clone(),
            budget: money::display(k.budget_minor, cur),
            awarded: money::display(v.awarded_total(), cur),
            remaining: money::display(k.budget_minor - v.awarded_total(), cur),
            criteria: k.criteria.clone(),
            opens_on: k.opens_on.to_string(),
            closes_on: k.closes_on.to_string(),
            rows,
            show_contact,
            assessors: v.assessors.iter().map(|a| a.1.clone()).collect(),
            error,
            c,
        },
    )
}

async fn call(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    call_page(&s, &auth, id, String::new()).await
}

async fn add_assessor(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    auth.registry(&s.store).get::<FundCall>(id).await?;
    let email = sub.fields.get("email").cloned().unwrap_or_default();
    let user = s.store.user_by_email(&email).await?;
    let result = match user {
        None => Err(auth.ctx.tr.t("fund-error-no-member")),
        Some(u) => match s
            .store
            .add_fund_assessor(Some(auth.user.id), auth.initiative().id, id, u.id)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::Invalid(_)) => Err(auth.ctx.tr.t("fund-error-no-member")),
            Err(e) => return Err(AppError::from(e).into()),
        },
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/i/{slug}/fund/{id}")).into_response()),
        Err(m) => call_page(&s, &auth, id, m).await,
    }
}

#[derive(Template)]
#[template(path = "fund/application.html")]
struct ApplicationPage {
    c: Chrome,
    base: String,
    title: String,
    organization: String,
    org_identifier: String,
    contact_name: String,
    contact_email: String,
    requested: String,
    currency: String,
    description: String,
    language: String,
    sdg: String,
    mean: String,
    /// (key, label with its weight) of each criterion
    criteria: Vec<(String, String)>,
    scores: Vec<(String, Vec<i64>, String)>,
    conflicts: Vec<(String, String)>,
    is_assessor: bool,
    recused: bool,
    /// (amount, awarded on, decision, agreement signed on)
    award: Option<(String, String, String, String)>,
    payments: Vec<(String, String)>,
    reports: Vec<(String, String)>,
    errors: Vec<String>,
}

async fn application_page<A: crate::access::Need>(
    s: &AppState,
    auth: &Authorized<A>,
    call: i64,
    id: i64,
    errors: Vec<String>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    auth.registry(&s.store).get::<FundCall>(call).await?;
    let v: ApplicationView = s.store.fund_application(i.id, id).await?;
    if v.application.call_id != call {
        return Err(AppError::NotFound.into());
    }
    let a = &v.application.data;
    let cur = &a.currency;
    let slug = &i.data.slug;
    let me = auth.user.id;
    let criteria = v.call.call.data.criteria_list();
    let mean = v
        .call
        .ranking()
        .into_iter()
        .find(|r| r.0 == id)
        .map(|r| r.1.display())
        .unwrap_or_default();
    let c = Chrome::new(ctx, a.title.clone())
        .in_initiative(i, g, "fund-calls")
        .crumb(format!("/i/{slug}/fund"), ctx.tr.t("fund-title"))
        .crumb(
            format!("/i/{slug}/fund/{call}"),
            v.call.call.data.name.clone(),
        );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let points = |w: i64| format!("{}.{:02}", w / 100, w % 100);
    render_status(
        status,
        &ApplicationPage {
            base: format!("/i/{slug}/fund/{call}/applications/{id}"),
            title: a.title.clone(),
            organization: a.organization_name.clone(),
            org_identifier: a.org_identifier.clone().unwrap_or_default(),
            // A contact is a person: named only to whom the policy shows
            // contact details, as in the API.
            contact_name: if sees_contact(g) {
                a.contact_name.clone()
            } else {
                String::new()
            },
            contact_email: if sees_contact(g) {
                a.contact_email.clone()
            } else {
                String::new()
            },
            requested: money::display(a.amount_minor, cur),
            currency: cur.clone(),
            description: a.description.clone(),
            language: a.language.clone(),
            sdg: a.sdg.clone(),
            mean,
            criteria: criteria
                .iter()
                .map(|k| (k.key.clone(), format!("{} ({}%)", k.key, k.weight)))
                .collect(),
            scores: v
                .call
                .scores
                .iter()
                .filter(|x| x.application_id == id)
                .map(|x| (x.assessor.clone(), x.scores.clone(), points(x.weighted)))
                .collect(),
            conflicts: v
                .call
                .conflicts
                .iter()
                .filter(|x| x.application_id == id)
                .map(|x| (x.assessor.clone(), x.note.clone()))
                .collect(),
            is_assessor: v.call.assessors.iter().any(|x| x.0 == me),
            recused: v
                .call
                .conflicts
                .iter()
                .any(|x| x.application_id == id && x.user_id == me),
            award: v.award().map(|w| {
                (
                    money::display(w.amount_minor, &w.currency),
                    w.awarded_on.to_string(),
                    w.decision.clone(),
                    w.agreement_signed_on
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                )
            }),
            payments: v
                .payments
                .iter()
                .map(|p| (p.due_on.to_string(), money::display(p.amount_minor, cur)))
                .collect(),
            reports: v
                .reports
                .iter()
                .map(|r| (r.reported_on.to_string(), r.text.clone()))
                .collect(),
            errors,
            c,
        },
    )
}

async fn application(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, call, id)): Path<(String, i64, i64)>,
) -> PageResult {
    application_page(&s, &auth, call, id, vec![]).await
}

/// After a write: back to the application, or its page with the refusal.
async fn after<A: crate::access::Need>(
    s: &AppState,
    auth: &Authorized<A>,
    call: i64,
    id: i64,
    result: Result<(), StoreError>,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/i/{}/fund/{call}/applications/{id}",
            auth.initiative().data.slug
        ))
        .into_response()),
        Err(StoreError::Invalid(e)) => application_page(s, auth, call, id, messages(&e)).await,
        Err(e) => Err(AppError::from(e).into()),
    }
}

async fn checked<A: crate::access::Need>(
    s: &AppState,
    auth: &Authorized<A>,
    call: i64,
    id: i64,
    sub: &Submitted,
) -> Result<(), AppError> {
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    auth.registry(&s.store).get::<FundCall>(call).await?;
    let v = s.store.fund_application(auth.initiative().id, id).await?;
    if v.application.call_id != call {
        return Err(AppError::NotFound);
    }
    Ok(())
}

async fn conflict(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, call, id)): Path<(String, i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    checked(&s, &auth, call, id, &sub).await?;
    let note = sub.fields.get("note").cloned().unwrap_or_default();
    let r = s
        .store
        .declare_fund_conflict(auth.initiative().id, id, auth.user.id, &note)
        .await;
    after(&s, &auth, call, id, r).await
}

async fn score(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, call, id)): Path<(String, i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    checked(&s, &auth, call, id, &sub).await?;
    let r = s
        .store
        .score_fund_application(auth.initiative().id, id, auth.user.id, &sub.fields)
        .await
        .map(|_| ());
    after(&s, &auth, call, id, r).await
}

async fn award(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_, call, id)): Path<(String, i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    checked(&s, &auth, call, id, &sub).await?;
    let r = s
        .store
        .award_fund_application(Some(auth.user.id), auth.initiative().id, id, &sub.fields)
        .await
        .map(|_| ());
    after(&s, &auth, call, id, r).await
}

async fn agreement(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_, call, id)): Path<(String, i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    checked(&s, &auth, call, id, &sub).await?;
    let mut p = domain::validation::Parser::new(&sub.fields);
    let r = match p.date("signed_on") {
        Some(d) => {
            s.store
                .sign_fund_agreement(Some(auth.user.id), auth.initiative().id, id, d)
                .await
        }
        None => Err(StoreError::Invalid(p.errors)),
    };
    after(&s, &auth, call, id, r).await
}

async fn payments(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_, call, id)): Path<(String, i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    checked(&s, &auth, call, id, &sub).await?;
    let text = sub.fields.get("schedule").cloned().unwrap_or_default();
    let r = s
        .store
        .set_fund_payments_text(Some(auth.user.id), auth.initiative().id, id, &text)
        .await;
    after(&s, &auth, call, id, r).await
}

async fn report(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_, call, id)): Path<(String, i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    checked(&s, &auth, call, id, &sub).await?;
    let mut p = domain::validation::Parser::new(&sub.fields);
    let r = match p.date("reported_on") {
        Some(d) => {
            let text = sub.fields.get("text").cloned().unwrap_or_default();
            s.store
                .add_fund_report(Some(auth.user.id), auth.initiative().id, id, d, &text)
                .await
                .map(|_| ())
        }
        None => Err(StoreError::Invalid(p.errors)),
    };
    after(&s, &auth, call, id, r).await
}

// ---------------------------------------------------------------------------
// The public pages
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "fund/portal.html")]
struct PortalPage {
    c: Chrome,
    calls: Vec<CallRow>,
}

/// The open calls of a published initiative's fund.
async fn open_calls(
    s: &AppState,
    published: &Published<'_>,
) -> Result<Vec<store::funding::fund::PublicCall>, AppError> {
    Ok(s.store
        .public_fund_calls(published.initiative().id)
        .await?
        .into_iter()
        .filter(|k| k.data.period(today()) == Period::Open)
        .collect())
}

async fn portal(State(s): State<AppState>, ctx: Ctx, Path(slug): Path<String>) -> PageResult {
    let published = Published::open(&s.store, &slug).await?;
    let i = published.initiative();
    let mut c = Chrome::new(
        &ctx,
        format!("{} · {}", ctx.tr.t("fund-portal-title"), i.data.name),
    );
    c.user = None;
    let calls = open_calls(&s, &published)
        .await?
        .iter()
        .map(|k| call_row(k.id, &k.data, format!("/p/{slug}/fund/{}/apply", k.id)))
        .collect();
    render(&PortalPage { c, calls })
}

#[derive(Template)]
#[template(path = "fund/apply.html")]
struct ApplyPage {
    c: Chrome,
    name: String,
    action: String,
    next: String,
    csrf: String,
    signed_in: bool,
    open_error: String,
    /// (name, label, input type or "textarea", value)
    fields: Vec<(String, String, String, String)>,
    errors: Vec<String>,
}

const APPLY_FIELDS: &[(&str, &str)] = &[
    ("organization_name", "text"),
    ("org_identifier", "text"),
    ("contact_name", "text"),
    ("contact_email", "email"),
    ("title", "text"),
    ("description", "textarea"),
    ("amount", "text"),
    ("sdg", "text"),
];

async fn apply_page(
    s: &AppState,
    ctx: &Ctx,
    slug: &str,
    call: i64,
    values: &domain::validation::FieldMap,
    errors: Vec<String>,
    status: StatusCode,
) -> PageResult {
    let published = Published::open(&s.store, slug).await?;
    let k = s
        .store
        .public_fund_calls(published.initiative().id)
        .await?
        .into_iter()
        .find(|k| k.id == call)
        .ok_or(AppError::NotFound)?;
    let open_error = match k.data.check_open(today()) {
        Ok(()) => String::new(),
        Err(_) => match k.data.period(today()) {
            Period::NotYetOpen => {
                ctx.tr
                    .t1("fund-not-open-yet", "date", &k.data.opens_on.to_string())
            }
            _ => ctx
                .tr
                .t1("fund-closed", "date", &k.data.closes_on.to_string()),
        },
    };
    let mut c = Chrome::new(ctx, format!("{} · {}", ctx.tr.t("fund-apply"), k.data.name));
    let signed_in = ctx.session.is_some();
    if !signed_in {
        c.user = None;
    }
    let csrf = if signed_in {
        ctx.csrf().to_string()
    } else {
        ctx.pre_csrf(&s.store).await?.0.clone()
    };
    let action = format!("/p/{slug}/fund/{call}/apply");
    let page = ApplyPage {
        name: k.data.name.clone(),
        next: crate::error::urlencode(&action),
        action,
        csrf,
        signed_in,
        open_error,
        fields: APPLY_FIELDS
            .iter()
            .map(|(n, kind)| {
                let label = if *n == "amount" {
                    format!(
                        "{} ({})",
                        ctx.tr.t("fund-amount-requested"),
                        k.data.currency
                    )
                } else {
                    ctx.tr.t(&format!("fund-field-{n}"))
                };
                (
                    n.to_string(),
                    label,
                    kind.to_string(),
                    values.get(*n).cloned().unwrap_or_default(),
                )
            })
            .collect(),
        errors,
        c,
    };
    let res = render_status(status, &page)?;
    if signed_in {
        Ok(res)
    } else {
        Ok(super::auth::with_pre_cookie(s, ctx, res).await?)
    }
}

async fn apply_form(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((slug, call)): Path<(String, i64)>,
) -> PageResult {
    apply_page(
        &s,
        &ctx,
        &slug,
        call,
        &Default::default(),
        vec![],
        StatusCode::OK,
    )
    .await
}

async fn apply(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((slug, call)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let published = Published::open(&s.store, &slug).await?;
    let applicant_password;
    let applicant = match &ctx.session {
        Some(sess) => {
            ctx.check_csrf(sub.csrf.as_deref())?;
            Applicant::Account(sess.user.id)
        }
        None => {
            ctx.check_pre_csrf(&s.store, sub.csrf.as_deref()).await?;
            applicant_password = sub.fields.get("password").cloned().unwrap_or_default();
            Applicant::New {
                password: &applicant_password,
            }
        }
    };
    // Only a call the portal shows may be applied to.
    if !s
        .store
        .public_fund_calls(published.initiative().id)
        .await?
        .iter()
        .any(|k| k.id == call)
    {
        return Err(AppError::NotFound.into());
    }
    match s
        .store
        .submit_application(
            published.initiative().id,
            call,
            applicant,
            &sub.fields,
            today(),
        )
        .await
    {
        Ok((_, new)) => {
            let mut res: Response = Redirect::to("/account/applications").into_response();
            if let Some(u) = new {
                let (secret, _) = s.store.create_session(u.id).await?;
                res.headers_mut().append(
                    header::SET_COOKIE,
                    set_cookie(SESSION_COOKIE, &secret, SESSION_DAYS * 86400, ctx.secure)
                        .parse()
                        .expect("cookie header"),
                );
            }
            Ok(res)
        }
        Err(StoreError::Invalid(e)) => {
            apply_page(
                &s,
                &ctx,
                &slug,
                call,
                &sub.fields,
                messages(&e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

#[derive(Template)]
#[template(path = "fund/mine.html")]
struct MinePage {
    c: Chrome,
    /// (title, call · initiative, requested, submitted on, status)
    rows: Vec<(String, String, String, String, String)>,
}

async fn mine(State(s): State<AppState>, ctx: Ctx) -> PageResult {
    let user = ctx.user()?.clone();
    let list = s.store.my_applications(user.id).await?;
    let c = Chrome::new(&ctx, ctx.tr.t("fund-my-applications"));
    let rows = list
        .iter()
        .map(|a| {
            let status = match a.awarded_minor {
                Some(m) => ctx.tr.t1(
                    "fund-status-awarded",
                    "amount",
                    &money::display(m, &a.currency),
                ),
                None if a.scored => ctx.tr.t("fund-status-assessed"),
                None => ctx.tr.t("fund-status-submitted"),
            };
            (
                a.title.clone(),
                format!("{} · {}", a.call, a.initiative),
                money::display(a.amount_minor, &a.currency),
                a.submitted_on.to_string(),
                status,
            )
        })
        .collect();
    render(&MinePage { c, rows })
}
