//! The by-name lists' pages: the initiative's lists, one list by name (case
//! workers and coordinators), a person's record and timeline, the monthly
//! report with its chart, functional zero and balance check (counts only, no
//! names: everyone who reads the initiative sees it), its CSV, and the list's
//! settings.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use serde::Deserialize;

use domain::access::{Action, Decision, Grants, decide_record};
use domain::cases::events::EventKind;
use domain::cases::person::{Gender, HouseholdType, Person, Population, Race};
use domain::cases::report::{FIELDS, Month, MonthlyReport};
use domain::cases::zero::Comparator;
use domain::validation::{FieldErrors, FieldMap};
use store::cases::ListSettings;
use store::cases::events::NewEvent;
use store::cases::people::Status;

use super::{Chrome, render_status};
use crate::AppState;
use crate::access::{Authorized, CaseWork, Need, Read};
use crate::error::{AppError, PageResult};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let list = |a| Access::Initiative(a, "case_list");
    let person = |a| Access::Initiative(a, "case_person");
    r.get("/i/{slug}/cases", list(Action::Read), lists)
        .post("/i/{slug}/cases", list(Action::Create), create_list)
        .get("/i/{slug}/cases/{id}", person(Action::CaseWork), roster)
        .post(
            "/i/{slug}/cases/{id}/people",
            person(Action::CaseWork),
            add_person,
        )
        .get(
            "/i/{slug}/case-people/{id}",
            person(Action::CaseWork),
            person_page,
        )
        .post(
            "/i/{slug}/case-people/{id}",
            person(Action::CaseWork),
            edit_person,
        )
        .post(
            "/i/{slug}/case-people/{id}/events",
            person(Action::CaseWork),
            record_event,
        )
        .post(
            "/i/{slug}/case-people/{id}/erase",
            person(Action::Archive),
            erase_person,
        )
        .get("/i/{slug}/cases/{id}/report", list(Action::Read), report)
        .post(
            "/i/{slug}/cases/{id}/report/submit",
            person(Action::CaseWork),
            submit_report,
        )
        .get(
            "/i/{slug}/cases/{id}/report.csv",
            list(Action::Read),
            report_csv,
        )
        .get(
            "/i/{slug}/cases/{id}/settings",
            list(Action::Update),
            settings,
        )
        .post(
            "/i/{slug}/cases/{id}/settings",
            list(Action::Update),
            save_settings,
        )
}

type Inputs = &'static [(&'static str, &'static str, &'static str)];

/// A list's settings: field, label key, input type.
const LIST_INPUTS: Inputs = &[
    ("name", "cases-f-name", "text"),
    ("inactivity_days", "cases-f-inactivity_days", "number"),
    ("pit_count", "cases-f-pit_count", "number"),
];
const PERSON_INPUTS: Inputs = &[
    ("first_name", "cases-f-first_name", "text"),
    ("last_name", "cases-f-last_name", "text"),
    ("date_of_birth", "cases-f-date_of_birth", "date"),
];
const CONSENT_INPUTS: Inputs = &[
    ("consent_on", "cases-f-consent_on", "date"),
    ("consent_scope", "cases-f-consent_scope", "text"),
    ("consent_expires_on", "cases-f-consent_expires_on", "date"),
];
const VETERAN: &[(&str, &str)] = &[
    ("yes", "cases-yes"),
    ("no", "cases-no"),
    ("unknown", "cases-unknown"),
];

pub(crate) fn allows(g: &Grants, a: Action, kind: &str) -> bool {
    decide_record(g, a, kind) == Decision::Allow
}

use crate::pages::decisions::today;

/// A form's fields; a field sent more than once (checkboxes) is joined by commas.
pub(crate) fn fields_of(pairs: Vec<(String, String)>) -> (FieldMap, Option<String>) {
    let mut m = FieldMap::new();
    let mut csrf = None;
    for (k, v) in pairs {
        match k.as_str() {
            "_csrf" => csrf = Some(v),
            "_version" => {}
            _ => {
                m.entry(k)
                    .and_modify(|old: &mut String| {
                        old.push(',');
                        old.push_str(&v);
                    })
                    .or_insert(v);
            }
        }
    }
    (m, csrf)
}

/// A posted form whose action the route's extractor did not decide: its
/// fields, once the CSRF token is checked and `action` on `kind` is allowed.
pub(crate) fn decided_form<A: Need>(
    auth: &Authorized<A>,
    pairs: Vec<(String, String)>,
    action: Action,
    kind: &str,
) -> Result<FieldMap, AppError> {
    let (fields, csrf) = fields_of(pairs);
    auth.ctx.check_csrf(csrf.as_deref())?;
    crate::access::refusal(decide_record(&auth.view.grants, action, kind))?;
    Ok(fields)
}

/// What was typed, and what is wrong beside each field.
#[derive(Default)]
pub struct FormView {
    pub values: FieldMap,
    pub errors: BTreeMap<String, String>,
}

impl FormView {
    pub fn v(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }
    pub fn e(&self, k: &str) -> &str {
        self.errors.get(k).map(String::as_str).unwrap_or("")
    }
    /// Whether a code is among the comma-separated values of `k`.
    pub fn has(&self, k: &str, code: &str) -> bool {
        self.v(k).split(',').any(|c| c.trim() == code)
    }
    pub(crate) fn failed(values: FieldMap, e: &FieldErrors) -> Self {
        FormView {
            values,
            errors: e
                .0
                .iter()
                .map(|(k, v)| (k.clone(), v.message.clone()))
                .collect(),
        }
    }
}

pub(crate) fn status_of(forms: &[&FormView]) -> StatusCode {
    if forms.iter().any(|f| !f.errors.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

pub(crate) fn labels<T: Copy>(
    c: &Chrome,
    prefix: &str,
    all: &[T],
    code: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|x| (code(*x).to_string(), c.t(&format!("{prefix}{}", code(*x)))))
        .collect()
}

// ---------------------------------------------------------------------------
// The initiative's lists.

pub struct ListRow {
    pub id: i64,
    pub name: String,
    pub month: String,
    pub active: u64,
    pub inflow: u64,
    pub outflow: u64,
    pub placements: u64,
}

#[derive(Template)]
#[template(path = "cases/lists.html")]
struct ListsPage {
    c: Chrome,
    rows: Vec<ListRow>,
    may_work: bool,
    may_create: bool,
    may_update: bool,
    form: FormView,
    inputs: Inputs,
}

async fn lists_page(s: &AppState, auth: &Authorized<Read>, form: Option<FormView>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), &auth.view.grants);
    let c = Chrome::new(ctx, ctx.tr.t("cases-title")).in_initiative(i, g, "cases");
    let month = Month::of(today());
    let mut rows = vec![];
    for l in s.store.case_lists(i.id).await? {
        let r = s
            .store
            .case_monthly(i.id, l.id, Population::All, month, month, None)
            .await?
            .remove(0);
        rows.push(ListRow {
            id: l.id,
            name: l.name,
            month: month.to_string(),
            active: r.actively_homeless,
            inflow: r.inflow(),
            outflow: r.outflow(),
            placements: r.housing_placements,
        });
    }
    let form = form.unwrap_or_default();
    render_status(
        status_of(&[&form]),
        &ListsPage {
            c,
            rows,
            may_work: allows(g, Action::CaseWork, "case_person"),
            may_create: allows(g, Action::Create, "case_list"),
            may_update: allows(g, Action::Update, "case_list"),
            form,
            inputs: LIST_INPUTS,
        },
    )
}

async fn lists(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    lists_page(&s, &auth, None).await
}

async fn create_list(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let fields = decided_form(&auth, pairs, Action::Create, "case_list")?;
    let i = auth.initiative();
    let settings = match ListSettings::parse(&fields) {
        Ok(v) => v,
        Err(e) => return lists_page(&s, &auth, Some(FormView::failed(fields, &e))).await,
    };
    match s
        .store
        .create_case_list(i.id, Some(auth.user.id), &settings)
        .await
    {
        Ok(l) => Ok(Redirect::to(&format!("/i/{}/cases/{}", i.data.slug, l.id)).into_response()),
        Err(store::StoreError::Invalid(e)) => {
            lists_page(&s, &auth, Some(FormView::failed(fields, &e))).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

// ---------------------------------------------------------------------------
// One list, by name.

pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub status_label: String,
    pub identified_on: String,
    pub days_active: String,
    pub triage_score: i64,
    pub flags: String,
}

#[derive(Template)]
#[template(path = "cases/list.html")]
struct RosterPage {
    c: Chrome,
    list_id: i64,
    list_name: String,
    rows: Vec<PersonRow>,
    population: String,
    status: String,
    populations: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    households: Vec<(String, String)>,
    races: Vec<(String, String)>,
    genders: Vec<(String, String)>,
    may_update: bool,
    form: FormView,
    person_inputs: Inputs,
    consent_inputs: Inputs,
    vet: &'static [(&'static str, &'static str)],
}

#[derive(Deserialize, Default)]
struct RosterQuery {
    population: Option<String>,
    status: Option<String>,
}

pub(crate) fn person_name(c: &Chrome, first: Option<&str>, last: Option<&str>, id: i64) -> String {
    let n = [first.unwrap_or(""), last.unwrap_or("")]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if n.is_empty() {
        c.t1("cases-person-unnamed", "id", &id.to_string())
    } else {
        n
    }
}

async fn roster_page(
    s: &AppState,
    auth: &Authorized<CaseWork>,
    id: i64,
    q: RosterQuery,
    form: Option<FormView>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), &auth.view.grants);
    let l = s.store.case_list(i.id, id).await?;
    let c = Chrome::new(ctx, l.name.clone())
        .in_initiative(i, g, "cases")
        .crumb(format!("/i/{}/cases", i.data.slug), ctx.tr.t("cases-title"));
    let population = q
        .population
        .as_deref()
        .and_then(Population::parse)
        .unwrap_or(Population::All);
    let status = q.status.as_deref().and_then(Status::parse);
    let rows = s
        .store
        .case_roster(
            i.id,
            id,
            population,
            status,
            today(),
            Some(Some(auth.user.id)),
        )
        .await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let mut flags = vec![];
            for (on, key) in [
                (r.veteran, "cases-pop-veterans"),
                (r.chronic, "cases-pop-chronic"),
                (r.youth, "cases-pop-youth"),
                (r.family, "cases-pop-families"),
                (r.erased, "cases-erased"),
            ] {
                if on {
                    flags.push(c.t(key));
                }
            }
            PersonRow {
                id: r.person_id,
                name: person_name(
                    &c,
                    r.first_name.as_deref(),
                    r.last_name.as_deref(),
                    r.person_id,
                ),
                status: r.status.as_str().to_string(),
                status_label: c.t(&format!("cases-status-{}", r.status.as_str())),
                identified_on: r.identified_on.map(|d| d.to_string()).unwrap_or_default(),
                days_active: r.days_active.map(|d| d.to_string()).unwrap_or_default(),
                triage_score: r.triage_score,
                flags: flags.join(", "),
            }
        })
        .collect();
    let statuses = [
        Status::Active,
        Status::Housed,
        Status::Inactive,
        Status::NoLongerMeetsCriteria,
        Status::NotIdentified,
    ];
    let form = form.unwrap_or_default();
    let page = RosterPage {
        list_id: id,
        list_name: l.name,
        rows,
        population: population.as_str().to_string(),
        status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        populations: labels(&c, "cases-pop-", Population::ALL, Population::as_str),
        statuses: labels(&c, "cases-status-", &statuses, Status::as_str),
        households: labels(
            &c,
            "cases-household-",
            HouseholdType::ALL,
            HouseholdType::as_str,
        ),
        races: labels(&c, "cases-race-", Race::ALL, Race::as_str),
        genders: labels(&c, "cases-gender-", Gender::ALL, Gender::as_str),
        may_update: allows(g, Action::Update, "case_list"),
        c,
        form,
        person_inputs: PERSON_INPUTS,
        consent_inputs: CONSENT_INPUTS,
        vet: VETERAN,
    };
    render_status(status_of(&[&page.form]), &page)
}

async fn roster(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<RosterQuery>,
) -> PageResult {
    roster_page(&s, &auth, id, q, None).await
}

fn parse_date(
    fields: &FieldMap,
    k: &str,
    c: &Chrome,
    errors: &mut FieldErrors,
) -> Option<NaiveDate> {
    let v = fields.get(k).map(|s| s.trim()).unwrap_or("");
    if v.is_empty() {
        return None;
    }
    match v.parse::<NaiveDate>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(k, "invalid", c.t("cases-error-date"));
            None
        }
    }
}

async fn add_person(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (fields, csrf) = fields_of(pairs);
    auth.ctx.check_csrf(csrf.as_deref())?;
    let i = auth.initiative();
    s.store.case_list(i.id, id).await?;
    let c = Chrome::new(&auth.ctx, "");
    let mut extra = FieldErrors::default();
    let identified = parse_date(&fields, "identified_on", &c, &mut extra);
    let chronic = fields.get("chronic").is_some_and(|v| !v.is_empty());
    let person = match Person::parse(&fields) {
        Ok(p) if extra.is_empty() => p,
        Ok(_) => {
            let f = FormView::failed(fields, &extra);
            return roster_page(&s, &auth, id, RosterQuery::default(), Some(f)).await;
        }
        Err(mut e) => {
            for (k, v) in extra.0 {
                e.0.insert(k, v);
            }
            let f = FormView::failed(fields, &e);
            return roster_page(&s, &auth, id, RosterQuery::default(), Some(f)).await;
        }
    };
    let first = identified.map(|d| NewEvent {
        occurred_on: d,
        kind: EventKind::Identified,
        chronic,
        supersedes: None,
    });
    if first.as_ref().is_some_and(|e| e.occurred_on > today()) {
        let e = FieldErrors::single("identified_on", "future", c.t("cases-error-future"));
        let f = FormView::failed(fields, &e);
        return roster_page(&s, &auth, id, RosterQuery::default(), Some(f)).await;
    }
    match s
        .store
        .add_case_person(i.id, id, Some(auth.user.id), &person, first.as_ref())
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/i/{}/case-people/{p}", i.data.slug)).into_response()),
        Err(store::StoreError::Invalid(e)) => {
            let f = FormView::failed(fields, &e);
            roster_page(&s, &auth, id, RosterQuery::default(), Some(f)).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

// ---------------------------------------------------------------------------
// A person.

pub struct EventView {
    pub id: i64,
    pub occurred_on: String,
    pub kind: String,
    pub source: String,
    pub chronic: bool,
    pub struck: bool,
    pub corrected_by: String,
    pub corrects: String,
}

pub struct SpellView {
    pub start: String,
    pub inflow: String,
    pub end: String,
    pub end_kind: String,
    pub last_activity: String,
    pub chronic: bool,
}

/// One triage question with a person's answer.
pub struct TriageAnswer {
    pub id: i64,
    pub text: String,
    pub weight: i64,
    pub yes: bool,
}

#[derive(Template)]
#[template(path = "cases/person.html")]
struct PersonPage {
    c: Chrome,
    id: i64,
    list_id: i64,
    list_name: String,
    name: String,
    erased: bool,
    triage_score: i64,
    facts: Vec<(String, String)>,
    events: Vec<EventView>,
    live: Vec<(i64, String)>,
    spells: Vec<SpellView>,
    kinds: Vec<(String, String)>,
    households: Vec<(String, String)>,
    races: Vec<(String, String)>,
    genders: Vec<(String, String)>,
    may_erase: bool,
    /// The list's triage questions with this person's answers.
    triage: Vec<TriageAnswer>,
    triage_form: FormView,
    /// Who read or changed this record, newest first: (when, who, what, fields).
    history: Vec<(String, String, String, String)>,
    event: FormView,
    edit: FormView,
    erase: FormView,
    person_inputs: Inputs,
    consent_inputs: Inputs,
    vet: &'static [(&'static str, &'static str)],
}

fn person_values(p: &Person) -> FieldMap {
    let mut m = FieldMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    };
    put("first_name", p.first_name.clone());
    put("last_name", p.last_name.clone());
    put("date_of_birth", p.date_of_birth.map(|d| d.to_string()));
    put(
        "veteran",
        Some(match p.veteran {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => "unknown".into(),
        }),
    );
    put(
        "household_type",
        p.household_type.map(|h| h.as_str().into()),
    );
    put(
        "race",
        Some(
            p.race
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
    );
    put(
        "gender",
        Some(
            p.gender
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
    );
    put("consent_on", p.consent_on.map(|d| d.to_string()));
    put("consent_scope", p.consent_scope.clone());
    put(
        "consent_expires_on",
        p.consent_expires_on.map(|d| d.to_string()),
    );
    m
}

#[derive(Default)]
pub(crate) struct PersonForms {
    pub event: Option<FormView>,
    pub edit: Option<FormView>,
    pub erase: Option<FormView>,
    /// The triage answers, when they were refused.
    pub triage: Option<FormView>,
}

pub(crate) async fn person_view(
    s: &AppState,
    auth: &Authorized<CaseWork>,
    id: i64,
    forms: PersonForms,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), &auth.view.grants);
    let list = s.store.case_person_list(i.id, id).await?;
    let l = s.store.case_list(i.id, list).await?;
    let r = s
        .store
        .view_case_person(i.id, list, id, Some(auth.user.id))
        .await?;
    let probe = Chrome::new(ctx, "");
    let name = person_name(
        &probe,
        r.person.first_name.as_deref(),
        r.person.last_name.as_deref(),
        id,
    );
    let c = Chrome::new(ctx, name.clone())
        .in_initiative(i, g, "cases")
        .crumb(format!("/i/{}/cases", i.data.slug), ctx.tr.t("cases-title"))
        .crumb(format!("/i/{}/cases/{list}", i.data.slug), l.name.clone());
    let evs = s.store.case_events(list, id).await?;
    let mut events = vec![];
    let mut live = vec![];
    for e in &evs {
        let kind = c.t(&format!("cases-kind-{}", e.event.kind.as_str()));
        let struck = e.superseded_by.is_some() || e.event.kind == EventKind::Void;
        if e.superseded_by.is_none() && e.event.kind != EventKind::Void {
            live.push((
                e.event.id,
                format!("{} {} ({})", e.event.occurred_on, kind, e.event.id),
            ));
        }
        events.push(EventView {
            id: e.event.id,
            occurred_on: e.event.occurred_on.to_string(),
            kind,
            source: c.t(&format!("cases-source-{}", e.source.as_str())),
            chronic: e.event.chronic,
            struck,
            corrected_by: e.superseded_by.map(|x| x.to_string()).unwrap_or_default(),
            corrects: e
                .event
                .supersedes
                .map(|x| x.to_string())
                .unwrap_or_default(),
        });
    }
    let spells = s
        .store
        .case_person_spells(list, id)
        .await?
        .into_iter()
        .map(|sp| SpellView {
            start: sp.spell.start.to_string(),
            inflow: c.t(&format!("cases-inflow-{}", sp.spell.inflow.as_str())),
            end: sp.spell.end.map(|(d, _)| d.to_string()).unwrap_or_default(),
            end_kind: sp
                .spell
                .end
                .map(|(_, k)| c.t(&format!("cases-kind-{}", k.as_str())))
                .unwrap_or_else(|| c.t("cases-status-active")),
            last_activity: sp.spell.last_activity.to_string(),
            chronic: sp.spell.chronic,
        })
        .collect();
    let p = &r.person;
    let yes_no = |b: Option<bool>| match b {
        Some(true) => c.t("cases-yes"),
        Some(false) => c.t("cases-no"),
        None => c.t("cases-unknown"),
    };
    let facts = vec![
        (
            c.t("cases-f-date_of_birth"),
            p.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (c.t("cases-f-veteran"), yes_no(p.veteran)),
        (
            c.t("cases-f-household_type"),
            p.household_type
                .map(|h| c.t(&format!("cases-household-{}", h.as_str())))
                .unwrap_or_default(),
        ),
        (
            c.t("cases-f-race"),
            p.race
                .iter()
                .map(|x| c.t(&format!("cases-race-{}", x.as_str())))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            c.t("cases-f-gender"),
            p.gender
                .iter()
                .map(|x| c.t(&format!("cases-gender-{}", x.as_str())))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            c.t("cases-f-consent_on"),
            p.consent_on.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (
            c.t("cases-f-consent_scope"),
            p.consent_scope.clone().unwrap_or_default(),
        ),
        (
            c.t("cases-f-consent_expires_on"),
            p.consent_expires_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
        (
            c.t("cases-f-external_id"),
            r.external_id.clone().unwrap_or_default(),
        ),
    ];
    let event = forms.event.unwrap_or_else(|| {
        let mut f = FormView::default();
        f.values.insert("occurred_on".into(), today().to_string());
        f
    });
    let edit = forms.edit.unwrap_or_else(|| FormView {
        values: person_values(p),
        errors: BTreeMap::new(),
    });
    let erase = forms.erase.unwrap_or_default();
    let triage_form = forms.triage.unwrap_or_default();
    let status = status_of(&[&event, &edit, &erase, &triage_form]);
    let (_, answers) = s.store.triage_answers(i.id, id).await?;
    let triage = answers
        .into_iter()
        .map(|a| TriageAnswer {
            id: a.question.id,
            text: a.question.text,
            weight: a.question.weight,
            yes: if triage_form.errors.is_empty() {
                a.yes
            } else {
                triage_form
                    .values
                    .contains_key(&format!("q_{}", a.question.id))
            },
        })
        .collect();
    // The record's own history, from the audit log: names of fields, never values.
    let history = s
        .store
        .case_person_history(auth.initiative().id, id, 50)
        .await?
        .into_iter()
        .map(|e| {
            let fields = e
                .after
                .as_ref()
                .and_then(|a| a.get("fields"))
                .and_then(|f| f.as_array())
                .map(|f| {
                    f.iter()
                        .filter_map(|x| x.as_str())
                        .map(|x| c.t(&format!("cases-f-{x}")))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            (
                e.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                e.actor_name.unwrap_or_default(),
                c.t(&format!("audit-action-{}", e.action)),
                fields,
            )
        })
        .collect();
    let page = PersonPage {
        id,
        list_id: list,
        list_name: l.name,
        name,
        erased: r.erased_at.is_some(),
        triage_score: r.triage_score,
        facts,
        events,
        live,
        spells,
        kinds: labels(&c, "cases-kind-", EventKind::ALL, EventKind::as_str),
        households: labels(
            &c,
            "cases-household-",
            HouseholdType::ALL,
            HouseholdType::as_str,
        ),
        races: labels(&c, "cases-race-", Race::ALL, Race::as_str),
        genders: labels(&c, "cases-gender-", Gender::ALL, Gender::as_str),
        may_erase: allows(g, Action::Archive, "case_person"),
        triage,
        triage_form,
        history,
        c,
        event,
        edit,
        erase,
        person_inputs: PERSON_INPUTS,
        consent_inputs: CONSENT_INPUTS,
        vet: VETERAN,
    };
    render_status(status, &page)
}

async fn person_page(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    person_view(&s, &auth, id, PersonForms::default()).await
}

async fn record_event(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (fields, csrf) = fields_of(pairs);
    auth.ctx.check_csrf(csrf.as_deref())?;
    let i = auth.initiative();
    let list = s.store.case_person_list(i.id, id).await?;
    let c = Chrome::new(&auth.ctx, "");
    let mut errors = FieldErrors::default();
    let kind = match fields.get("kind").map(|s| s.trim()).unwrap_or("") {
        "" => {
            errors.add("kind", "required", c.t("cases-error-kind"));
            None
        }
        k => EventKind::parse(k).or_else(|| {
            errors.add("kind", "invalid", c.t("cases-error-kind"));
            None
        }),
    };
    let occurred_on = parse_date(&fields, "occurred_on", &c, &mut errors);
    if occurred_on.is_none() && errors.get("occurred_on").is_none() {
        errors.add("occurred_on", "required", c.t("cases-error-date"));
    }
    let supersedes = match fields.get("supersedes").map(|s| s.trim()).unwrap_or("") {
        "" => None,
        v => v.parse::<i64>().ok().or_else(|| {
            errors.add("supersedes", "invalid", c.t("cases-error-supersedes"));
            None
        }),
    };
    let fail = |e: &FieldErrors| PersonForms {
        event: Some(FormView::failed(fields.clone(), e)),
        ..Default::default()
    };
    let (Some(kind), Some(occurred_on), true) = (kind, occurred_on, errors.is_empty()) else {
        return person_view(&s, &auth, id, fail(&errors)).await;
    };
    let new = NewEvent {
        occurred_on,
        kind,
        chronic: fields.get("chronic").is_some_and(|v| !v.is_empty()),
        supersedes,
    };
    match s
        .store
        .record_case_event(i.id, list, id, Some(auth.user.id), &new, today())
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/i/{}/case-people/{id}#timeline", i.data.slug)).into_response(),
        ),
        Err(store::StoreError::Invalid(e)) => person_view(&s, &auth, id, fail(&e)).await,
        Err(e) => Err(AppError::from(e).into()),
    }
}

async fn edit_person(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (fields, csrf) = fields_of(pairs);
    auth.ctx.check_csrf(csrf.as_deref())?;
    let i = auth.initiative();
    let list = s.store.case_person_list(i.id, id).await?;
    let fail = |e: &FieldErrors| PersonForms {
        edit: Some(FormView::failed(fields.clone(), e)),
        ..Default::default()
    };
    let person = match Person::parse(&fields) {
        Ok(p) => p,
        Err(e) => return person_view(&s, &auth, id, fail(&e)).await,
    };
    match s
        .store
        .update_case_person(i.id, list, id, Some(auth.user.id), &person)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/i/{}/case-people/{id}", i.data.slug)).into_response()),
        Err(store::StoreError::Invalid(e)) => person_view(&s, &auth, id, fail(&e)).await,
        Err(e) => Err(AppError::from(e).into()),
    }
}

async fn erase_person(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let fields = decided_form(&auth, pairs, Action::Archive, "case_person")?;
    let i = auth.initiative();
    let list = s.store.case_person_list(i.id, id).await?;
    if fields.get("confirm").map(|s| s.trim()) != Some("erase") {
        let e = FieldErrors::single("confirm", "required", auth.ctx.tr.t("cases-error-confirm"));
        let forms = PersonForms {
            erase: Some(FormView::failed(fields, &e)),
            ..Default::default()
        };
        return person_view(&s, &auth, id, forms).await;
    }
    s.store
        .erase_case_person(i.id, list, id, Some(auth.user.id))
        .await?;
    Ok(Redirect::to(&format!("/i/{}/case-people/{id}", i.data.slug)).into_response())
}

// ---------------------------------------------------------------------------
// The monthly report.

#[derive(Deserialize, Default)]
struct ReportQuery {
    population: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

struct Range {
    population: Population,
    from: Month,
    to: Month,
}

fn range_of(q: &ReportQuery) -> Range {
    let population = q
        .population
        .as_deref()
        .and_then(Population::parse)
        .unwrap_or(Population::All);
    let default_to = Month::of(today());
    let to = q.to.as_deref().and_then(Month::parse).unwrap_or(default_to);
    let from = q
        .from
        .as_deref()
        .and_then(Month::parse)
        .filter(|f| *f <= to && f.until(to) < 1200)
        .unwrap_or(to.plus(-11));
    Range {
        population,
        from,
        to,
    }
}

pub struct ReportRow {
    pub month: String,
    pub cells: Vec<String>,
    pub submitted: bool,
}

pub struct ZeroView {
    pub label: String,
    pub threshold: String,
    pub actual: u64,
    pub achieved: bool,
    pub held: u32,
}

pub struct BalanceView {
    pub month: String,
    pub previous: u64,
    pub inflow: u64,
    pub outflow: u64,
    pub expected: i64,
    pub computed: u64,
    pub gap: i64,
    pub backdated: Vec<(String, String, i64)>,
}

/// An inline SVG chart: bars for actively homeless, lines for inflow and outflow.
pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub bars: Vec<(i64, i64, i64, String)>,
    pub inflow: String,
    pub outflow: String,
    pub summary: String,
}

fn chart(c: &Chrome, rows: &[MonthlyReport]) -> Chart {
    let (step, top, plot) = (36_i64, 10_i64, 160_i64);
    let max = rows
        .iter()
        .flat_map(|r| [r.actively_homeless, r.inflow(), r.outflow()])
        .max()
        .unwrap_or(0)
        .max(1) as i64;
    let y = |v: u64| top + plot - (v as i64) * plot / max;
    let mut bars = vec![];
    let (mut inflow, mut outflow) = (vec![], vec![]);
    for (i, r) in rows.iter().enumerate() {
        let x = 10 + i as i64 * step;
        let h = (r.actively_homeless as i64) * plot / max;
        bars.push((x, top + plot - h, h, r.month.to_string()));
        let mid = x + step / 2 - 4;
        inflow.push(format!("{mid},{}", y(r.inflow())));
        outflow.push(format!("{mid},{}", y(r.outflow())));
    }
    let summary = match (rows.first(), rows.last()) {
        (Some(a), Some(b)) => c.tr.tn(
            "cases-chart-summary",
            &[
                ("from", a.month.to_string()),
                ("to", b.month.to_string()),
                ("first", a.actively_homeless.to_string()),
                ("last", b.actively_homeless.to_string()),
                (
                    "inflow",
                    rows.iter().map(|r| r.inflow()).sum::<u64>().to_string(),
                ),
                (
                    "outflow",
                    rows.iter().map(|r| r.outflow()).sum::<u64>().to_string(),
                ),
            ],
        ),
        _ => String::new(),
    };
    Chart {
        width: 20 + rows.len() as i64 * step,
        height: top + plot + 10,
        bars,
        inflow: inflow.join(" "),
        outflow: outflow.join(" "),
        summary,
    }
}

#[derive(Template)]
#[template(path = "cases/report.html")]
struct ReportPage {
    c: Chrome,
    list_id: i64,
    population: String,
    from: String,
    to: String,
    populations: Vec<(String, String)>,
    columns: Vec<(String, String)>,
    rows: Vec<ReportRow>,
    chart: Chart,
    last_month: String,
    zero: Vec<ZeroView>,
    balance: Option<BalanceView>,
    may_submit: bool,
    months: Vec<String>,
    csv: String,
    form: FormView,
}

async fn report_page(
    s: &AppState,
    auth: &Authorized<Read>,
    id: i64,
    q: &ReportQuery,
    form: Option<FormView>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), &auth.view.grants);
    let l = s.store.case_list(i.id, id).await?;
    let may_work = allows(g, Action::CaseWork, "case_person");
    let mut c = Chrome::new(ctx, ctx.tr.t1("cases-report-title", "list", &l.name))
        .in_initiative(i, g, "cases")
        .crumb(format!("/i/{}/cases", i.data.slug), ctx.tr.t("cases-title"));
    if may_work {
        c = c.crumb(format!("/i/{}/cases/{id}", i.data.slug), l.name.clone());
    }
    let r = range_of(q);
    let reports = s
        .store
        .case_monthly(i.id, id, r.population, r.from, r.to, None)
        .await?;
    let submitted: BTreeSet<Month> = s
        .store
        .submitted_case_reports(i.id, id, r.population)
        .await?
        .into_iter()
        .map(|x| x.report.month)
        .collect();
    let rows = reports
        .iter()
        .map(|m| ReportRow {
            month: m.month.to_string(),
            cells: m.csv_row().into_iter().skip(1).collect(),
            submitted: submitted.contains(&m.month),
        })
        .collect();
    let zero = s
        .store
        .case_functional_zero(i.id, id, r.to, r.to)
        .await?
        .into_iter()
        .flat_map(|z| {
            [
                (c.t("cases-pop-veterans"), z.veterans),
                (c.t("cases-pop-chronic"), z.chronic),
            ]
        })
        .map(|(label, m)| ZeroView {
            label,
            threshold: m.threshold.to_string(),
            actual: m.actual,
            achieved: m.achieved,
            held: m.held_months,
        })
        .collect();
    let balance = s
        .store
        .case_balance(i.id, id, r.population, r.to)
        .await?
        .map(|b| BalanceView {
            month: b.balance.month.to_string(),
            previous: b.balance.submitted_previous_active,
            inflow: b.balance.inflow,
            outflow: b.balance.outflow,
            expected: b.balance.expected,
            computed: b.balance.computed_active,
            gap: b.balance.gap,
            backdated: b
                .backdated
                .iter()
                .map(|e| {
                    (
                        e.occurred_on.to_string(),
                        c.t(&format!("cases-kind-{}", e.kind.as_str())),
                        e.person_id,
                    )
                })
                .collect(),
        });
    let now = Month::of(today());
    let months: Vec<String> = (1..=12)
        .map(|k| now.plus(-k))
        .filter(|m| !submitted.contains(m))
        .map(|m| m.to_string())
        .collect();
    let chart = chart(&c, &reports);
    let form = form.unwrap_or_default();
    let page = ReportPage {
        list_id: id,
        population: r.population.as_str().to_string(),
        from: r.from.to_string(),
        to: r.to.to_string(),
        populations: labels(&c, "cases-pop-", Population::ALL, Population::as_str),
        columns: FIELDS
            .iter()
            .map(|f| (f.to_string(), c.t(&format!("cases-col-{f}"))))
            .collect(),
        rows,
        chart,
        last_month: r.to.to_string(),
        zero,
        balance,
        may_submit: may_work,
        months,
        csv: format!(
            "/i/{}/cases/{id}/report.csv?population={}&from={}&to={}",
            i.data.slug,
            r.population.as_str(),
            r.from,
            r.to
        ),
        c,
        form,
    };
    render_status(status_of(&[&page.form]), &page)
}

async fn report(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    report_page(&s, &auth, id, &q, None).await
}

async fn report_csv(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let i = auth.initiative();
    let r = range_of(&q);
    let reports = s
        .store
        .case_monthly(i.id, id, r.population, r.from, r.to, None)
        .await?;
    let mut out = FIELDS.join(",");
    out.push('\n');
    for m in &reports {
        out.push_str(&m.csv_row().join(","));
        out.push('\n');
    }
    let name = format!(
        "attachment; filename=\"cases-{id}-{}-{}-{}.csv\"",
        r.population.as_str(),
        r.from,
        r.to
    );
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        out,
    )
        .into_response())
}

async fn submit_report(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let fields = decided_form(&auth, pairs, Action::CaseWork, "case_person")?;
    let i = auth.initiative();
    s.store.case_list(i.id, id).await?;
    let mut errors = FieldErrors::default();
    let population = match fields.get("population").map(|s| s.trim()).unwrap_or("") {
        "" => Some(Population::All),
        p => Population::parse(p).or_else(|| {
            errors.add(
                "population",
                "invalid",
                auth.ctx.tr.t("cases-error-population"),
            );
            None
        }),
    };
    let month = fields.get("month").and_then(|m| Month::parse(m.trim()));
    if month.is_none() {
        errors.add("month", "invalid", auth.ctx.tr.t("cases-error-month"));
    }
    let q = ReportQuery {
        population: fields.get("population").cloned(),
        ..Default::default()
    };
    let (Some(population), Some(month), true) = (population, month, errors.is_empty()) else {
        let f = FormView::failed(fields.clone(), &errors);
        return report_page(&s, &auth, id, &q, Some(f)).await;
    };
    match s
        .store
        .submit_case_report(i.id, id, population, month, Some(auth.user.id), today())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/i/{}/cases/{id}/report?population={}&to={month}",
            i.data.slug,
            population.as_str()
        ))
        .into_response()),
        Err(store::StoreError::Invalid(e)) => {
            let f = FormView::failed(fields.clone(), &e);
            report_page(&s, &auth, id, &q, Some(f)).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

// ---------------------------------------------------------------------------
// Settings.

#[derive(Template)]
#[template(path = "cases/settings.html")]
struct SettingsPage {
    c: Chrome,
    list_id: i64,
    comparators: Vec<(String, String)>,
    form: FormView,
    inputs: Inputs,
}

async fn settings_page(
    s: &AppState,
    auth: &Authorized<Read>,
    id: i64,
    form: Option<FormView>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), &auth.view.grants);
    let l = s.store.case_list(i.id, id).await?;
    let c = Chrome::new(ctx, ctx.tr.t1("cases-settings-title", "list", &l.name))
        .in_initiative(i, g, "cases")
        .crumb(format!("/i/{}/cases", i.data.slug), ctx.tr.t("cases-title"));
    let form = form.unwrap_or_else(|| {
        let mut f = FormView::default();
        f.values.insert("name".into(), l.name.clone());
        f.values
            .insert("inactivity_days".into(), l.inactivity_days.to_string());
        f.values.insert(
            "veteran_comparator".into(),
            l.veteran_comparator.as_str().into(),
        );
        f.values.insert(
            "pit_count".into(),
            l.pit_count.map(|p| p.to_string()).unwrap_or_default(),
        );
        f
    });
    let page = SettingsPage {
        list_id: id,
        comparators: labels(&c, "cases-comparator-", Comparator::ALL, Comparator::as_str),
        c,
        form,
        inputs: LIST_INPUTS,
    };
    render_status(status_of(&[&page.form]), &page)
}

async fn settings(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    crate::access::refusal(decide_record(
        &auth.view.grants,
        Action::Update,
        "case_list",
    ))?;
    settings_page(&s, &auth, id, None).await
}

async fn save_settings(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let fields = decided_form(&auth, pairs, Action::Update, "case_list")?;
    let i = auth.initiative();
    s.store.case_list(i.id, id).await?;
    let settings = match ListSettings::parse(&fields) {
        Ok(v) => v,
        Err(e) => return settings_page(&s, &auth, id, Some(FormView::failed(fields, &e))).await,
    };
    match s
        .store
        .update_case_list(i.id, id, Some(auth.user.id), &settings)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/i/{}/cases", i.data.slug)).into_response()),
        Err(store::StoreError::Invalid(e)) => {
            settings_page(&s, &auth, id, Some(FormView::failed(fields, &e))).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}
