//! Triage and case conferencing pages.
//!
//! - `GET /i/{slug}/cases/{id}/triage`: the list's triage questions and how a
//!   score is made; coordinators edit them (rows `text_N` / `weight_N`).
//! - `POST /i/{slug}/cases/{id}/triage`: save the questions (coordinators).
//! - `POST /i/{slug}/case-people/{id}/triage`: a person's answers, one checkbox
//!   per question named `q_{question id}` with the value `1`; a question not
//!   sent is answered no.
//! - `GET /i/{slug}/cases/{id}/conferencing?on=YYYY-MM-DD`: the agenda for the
//!   conference on `on` (today when absent). A date that does not parse is
//!   refused with 422 and a message beside the date field, and the agenda of
//!   today is shown below it.
//! - `POST /i/{slug}/cases/{id}/conferencing`: a note and next steps for one
//!   person at one conference.
//!
//! Every page here names people, so every page needs case work.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use serde::Deserialize;

use domain::access::Action;
use domain::cases::triage::{ConferenceNote, parse_questions};
use domain::validation::{FieldErrors, FieldMap};
use store::cases::conference::AgendaPerson;

use super::cases::{
    FormView, PersonForms, allows, decided_form, fields_of, person_name, person_view, status_of,
};
use super::{Chrome, render_status};
use crate::AppState;
use crate::access::{Authorized, CaseWork, Need, Read};
use crate::error::{AppError, PageResult};
use crate::pages::decisions::today;
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let list = |a| Access::Initiative(a, "case_list");
    let person = |a| Access::Initiative(a, "case_person");
    r.get(
        "/i/{slug}/cases/{id}/triage",
        person(Action::CaseWork),
        triage,
    )
    .post(
        "/i/{slug}/cases/{id}/triage",
        list(Action::Update),
        save_triage,
    )
    .post(
        "/i/{slug}/case-people/{id}/triage",
        person(Action::CaseWork),
        answer_triage,
    )
    .get(
        "/i/{slug}/cases/{id}/conferencing",
        person(Action::CaseWork),
        conferencing,
    )
    .post(
        "/i/{slug}/cases/{id}/conferencing",
        person(Action::CaseWork),
        record_note,
    )
}

/// Empty rows offered below the questions for new ones.
const EMPTY_ROWS: usize = 3;

// ---------------------------------------------------------------------------
// Triage questions.

/// One row of the questions' form.
pub struct QuestionInput {
    pub n: usize,
    pub text: String,
    pub weight: String,
    pub text_error: String,
    pub weight_error: String,
}

/// A question as shown.
pub struct QuestionView {
    pub text: String,
    pub weight: i64,
}

#[derive(Template)]
#[template(path = "cases/triage.html")]
struct TriagePage {
    c: Chrome,
    list_id: i64,
    list_name: String,
    questions: Vec<QuestionView>,
    may_edit: bool,
    inputs: Vec<QuestionInput>,
    errors: Vec<(String, String)>,
}

async fn triage_view<A: Need>(
    s: &AppState,
    auth: &Authorized<A>,
    id: i64,
    form: Option<FormView>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), &auth.view.grants);
    let l = s.store.case_list(i.id, id).await?;
    let c = Chrome::new(ctx, ctx.tr.t1("triage-title", "list", &l.name))
        .in_initiative(i, g, "cases")
        .crumb(format!("/i/{}/cases", i.data.slug), ctx.tr.t("cases-title"))
        .crumb(format!("/i/{}/cases/{id}", i.data.slug), l.name.clone());
    let questions = s.store.triage_questions(i.id, id).await?;
    let form = form.unwrap_or_else(|| {
        let mut f = FormView::default();
        for (n, q) in questions.iter().enumerate() {
            f.values.insert(format!("text_{n}"), q.text.clone());
            f.values.insert(format!("weight_{n}"), q.weight.to_string());
        }
        f
    });
    // Every row typed or stored, then a few empty ones.
    let filled = (0..domain::cases::triage::MAX_QUESTIONS)
        .filter(|n| {
            [format!("text_{n}"), format!("weight_{n}")]
                .iter()
                .any(|k| !form.v(k).is_empty() || !form.e(k).is_empty())
        })
        .max()
        .map(|n| n + 1)
        .unwrap_or(0)
        .max(questions.len());
    let rows = (filled + EMPTY_ROWS).min(domain::cases::triage::MAX_QUESTIONS);
    let inputs = (0..rows)
        .map(|n| {
            let (t, w) = (format!("text_{n}"), format!("weight_{n}"));
            QuestionInput {
                n,
                text: form.v(&t).to_string(),
                weight: form.v(&w).to_string(),
                text_error: form.e(&t).to_string(),
                weight_error: form.e(&w).to_string(),
            }
        })
        .collect();
    let page = TriagePage {
        list_id: id,
        list_name: l.name,
        questions: questions
            .into_iter()
            .map(|q| QuestionView {
                text: q.text,
                weight: q.weight,
            })
            .collect(),
        may_edit: allows(g, Action::Update, "case_list"),
        inputs,
        errors: form
            .errors
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        c,
    };
    render_status(status_of(&[&form]), &page)
}

async fn triage(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    triage_view(&s, &auth, id, None).await
}

async fn save_triage(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    // The extractor decided reading; changing the questions is the list's.
    let fields = decided_form(&auth, pairs, Action::Update, "case_list")?;
    let i = auth.initiative();
    s.store.case_list(i.id, id).await?;
    let questions = match parse_questions(&fields) {
        Ok(q) => q,
        Err(e) => return triage_view(&s, &auth, id, Some(FormView::failed(fields, &e))).await,
    };
    match s
        .store
        .set_triage_questions(i.id, id, Some(auth.user.id), &questions)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/i/{}/cases/{id}/triage", i.data.slug)).into_response()),
        Err(store::StoreError::Invalid(e)) => {
            triage_view(&s, &auth, id, Some(FormView::failed(fields, &e))).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

async fn answer_triage(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (fields, csrf) = fields_of(pairs);
    auth.ctx.check_csrf(csrf.as_deref())?;
    let i = auth.initiative();
    let mut yes = vec![];
    let mut errors = FieldErrors::default();
    for (k, v) in &fields {
        let Some(qid) = k.strip_prefix("q_") else {
            continue;
        };
        if v.trim().is_empty() {
            continue;
        }
        match qid.parse::<i64>() {
            Ok(q) => yes.push(q),
            Err(_) => errors.add(k, "invalid", auth.ctx.tr.t("triage-error-question")),
        }
    }
    let fail = |e: &FieldErrors| PersonForms {
        triage: Some(FormView::failed(fields.clone(), e)),
        ..Default::default()
    };
    if !errors.is_empty() {
        return person_view(&s, &auth, id, fail(&errors)).await;
    }
    match s
        .store
        .answer_triage(i.id, id, Some(auth.user.id), &yes)
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/i/{}/case-people/{id}#triage", i.data.slug)).into_response(),
        ),
        Err(store::StoreError::Invalid(e)) => person_view(&s, &auth, id, fail(&e)).await,
        Err(e) => Err(AppError::from(e).into()),
    }
}

// ---------------------------------------------------------------------------
// The conference agenda.

/// One person in one group of the agenda.
pub struct AgendaRow {
    pub person_id: i64,
    pub name: String,
    pub score: i64,
    pub days_active: String,
    pub last_contact: String,
    /// The note carried from an earlier conference.
    pub carried: Option<Carried>,
    /// Whether this row holds the person's note form (their first row on the page).
    pub has_form: bool,
    pub note: String,
    pub next_steps: String,
    pub note_error: String,
    pub next_steps_error: String,
}

/// The latest note of an earlier conference.
pub struct Carried {
    pub date: String,
    pub note: String,
    pub next_steps: String,
}

pub struct AgendaSection {
    pub key: &'static str,
    pub title: String,
    pub caption: String,
    pub rows: Vec<AgendaRow>,
}

#[derive(Template)]
#[template(path = "cases/conferencing.html")]
struct ConferencingPage {
    c: Chrome,
    list_id: i64,
    list_name: String,
    on: String,
    on_value: String,
    on_error: String,
    prev: String,
    next: String,
    sections: Vec<AgendaSection>,
    /// Errors of the note that was refused: (field anchor, message).
    errors: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
struct AgendaQuery {
    on: Option<String>,
}

/// A refused note: whose, and what was typed.
struct Failed {
    person_id: Option<i64>,
    form: FormView,
}

async fn agenda_view(
    s: &AppState,
    auth: &Authorized<CaseWork>,
    id: i64,
    on_text: Option<&str>,
    failed: Option<Failed>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), &auth.view.grants);
    let l = s.store.case_list(i.id, id).await?;
    let c = Chrome::new(ctx, ctx.tr.t1("conf-title", "list", &l.name))
        .in_initiative(i, g, "cases")
        .crumb(format!("/i/{}/cases", i.data.slug), ctx.tr.t("cases-title"))
        .crumb(format!("/i/{}/cases/{id}", i.data.slug), l.name.clone());
    let text = on_text.map(str::trim).unwrap_or("");
    let (on, on_error) = if text.is_empty() {
        (today(), String::new())
    } else {
        match text.parse::<NaiveDate>() {
            Ok(d) => (d, String::new()),
            Err(_) => (today(), c.t("cases-error-date")),
        }
    };
    let agenda = s
        .store
        .case_agenda(i.id, id, on, Some(auth.user.id))
        .await?;
    let mut seen = std::collections::BTreeSet::new();
    let mut row = |p: &AgendaPerson| {
        let has_form = seen.insert(p.person_id);
        let mine = failed
            .as_ref()
            .filter(|f| f.person_id == Some(p.person_id) && has_form)
            .map(|f| &f.form);
        let same_day = p.last_note.as_ref().filter(|n| n.conference_on == on);
        let (note, next_steps) = match (mine, same_day) {
            (Some(f), _) => (f.v("note").to_string(), f.v("next_steps").to_string()),
            (None, Some(n)) => (n.note.clone(), n.next_steps.clone()),
            (None, None) => (String::new(), String::new()),
        };
        AgendaRow {
            person_id: p.person_id,
            name: person_name(
                &c,
                p.first_name.as_deref(),
                p.last_name.as_deref(),
                p.person_id,
            ),
            score: p.triage_score,
            days_active: p.days_active.map(|d| d.to_string()).unwrap_or_default(),
            last_contact: p.last_contact_on.map(|d| d.to_string()).unwrap_or_default(),
            carried: p
                .last_note
                .as_ref()
                .filter(|n| n.conference_on < on)
                .map(|n| Carried {
                    date: n.conference_on.to_string(),
                    note: n.note.clone(),
                    next_steps: n.next_steps.clone(),
                }),
            has_form,
            note,
            next_steps,
            note_error: mine.map(|f| f.e("note").to_string()).unwrap_or_default(),
            next_steps_error: mine
                .map(|f| f.e("next_steps").to_string())
                .unwrap_or_default(),
        }
    };
    let mut sections = vec![];
    for (key, people) in [
        ("new", &agenda.new_this_week),
        ("priority", &agenda.highest_priority),
        ("no-contact", &agenda.no_contact),
    ] {
        let rows = people.iter().map(&mut row).collect();
        sections.push((key, rows));
    }
    let sections: Vec<AgendaSection> = sections
        .into_iter()
        .map(|(key, rows)| AgendaSection {
            key,
            title: c.t(&format!("conf-section-{key}")),
            caption: c.t(&format!("conf-caption-{key}")),
            rows,
        })
        .collect();
    let errors: Vec<(String, String)> = failed
        .as_ref()
        .map(|f| {
            f.form
                .errors
                .iter()
                .map(|(k, m)| {
                    let anchor = match (f.person_id, k.as_str()) {
                        (Some(p), "note" | "next_steps") if seen.contains(&p) => {
                            format!("cn-{p}-{k}")
                        }
                        _ => "on-date".to_string(),
                    };
                    (anchor, m.clone())
                })
                .collect()
        })
        .unwrap_or_default();
    let status = if on_error.is_empty() && errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ConferencingPage {
        list_id: id,
        list_name: l.name,
        on: on.to_string(),
        on_value: if on_error.is_empty() {
            on.to_string()
        } else {
            text.to_string()
        },
        on_error,
        prev: (on - chrono::Days::new(7)).to_string(),
        next: (on + chrono::Days::new(7)).to_string(),
        sections,
        errors,
        c,
    };
    render_status(status, &page)
}

async fn conferencing(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<AgendaQuery>,
) -> PageResult {
    agenda_view(&s, &auth, id, q.on.as_deref(), None).await
}

async fn record_note(
    State(s): State<AppState>,
    auth: Authorized<CaseWork>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (fields, csrf) = fields_of(pairs);
    auth.ctx.check_csrf(csrf.as_deref())?;
    let i = auth.initiative();
    s.store.case_list(i.id, id).await?;
    let fail = |fields: FieldMap, e: &FieldErrors| {
        let person_id = fields
            .get("person_id")
            .and_then(|p| p.trim().parse::<i64>().ok());
        let on = fields.get("conference_on").cloned();
        (
            on,
            Failed {
                person_id,
                form: FormView::failed(fields, e),
            },
        )
    };
    let note = match ConferenceNote::parse(&fields) {
        Ok(n) => n,
        Err(e) => {
            let (on, f) = fail(fields, &e);
            return agenda_view(&s, &auth, id, on.as_deref(), Some(f)).await;
        }
    };
    match s
        .store
        .record_conference_note(i.id, id, Some(auth.user.id), &note)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/i/{}/cases/{id}/conferencing?on={}#person-{}",
            i.data.slug, note.conference_on, note.person_id
        ))
        .into_response()),
        Err(store::StoreError::Invalid(e)) => {
            let (on, f) = fail(fields, &e);
            agenda_view(&s, &auth, id, on.as_deref(), Some(f)).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}
