//! Referrals, triage and case conferencing through the API.
//!
//! Referral measures (split by race/ethnicity or neighbourhood, small cells
//! suppressed for whoever may not see them) are for every member of the
//! initiative; referral rows, triage answers and the conferencing agenda
//! carry personal data and are for case workers and coordinators only, each
//! read audited. A list's triage questions are set by those who may change
//! the list (coordinators).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use domain::access::Action;
use domain::cases::person::Race;
use domain::cases::referrals::{Referral, RiskLevel, SplitBy};
use domain::cases::triage::{
    ConferenceNote, MAX_NOTE, MAX_QUESTIONS, MAX_WEIGHT, parse_questions, score,
};
use domain::validation::{FieldErrors, FieldMap, MAX_NAME, MAX_TEXT};
use store::cases::triage::{AnswerRow, QuestionRow};

use super::cases::{Ty, fields};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::openapi::{Doc, LINE, MULTI, OPT_LINE, op, p_id, p_slug, reference};
use crate::AppState;
use crate::access::{ApiAuthorized, CaseWork, Read, Write};
use crate::error::{ApiResult, AppError};
use crate::pages::decisions::today;
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let base = "/api/v1/initiatives/{slug}";
    let on = Access::Initiative;
    r.get(
        &format!("{base}/referrals"),
        on(Action::CaseWork, "case_referral"),
        referrals,
    )
    .post(
        &format!("{base}/referrals"),
        on(Action::CaseWork, "case_referral"),
        create_referral,
    )
    .get(
        &format!("{base}/referrals/measures"),
        on(Action::Read, "case_referral"),
        measures,
    )
    .get(
        &format!("{base}/referrals/{{id}}"),
        on(Action::CaseWork, "case_referral"),
        get_referral,
    )
    .put(
        &format!("{base}/referrals/{{id}}"),
        on(Action::CaseWork, "case_referral"),
        update_referral,
    )
    .get(
        &format!("{base}/cases/{{id}}/triage"),
        on(Action::CaseWork, "case_person"),
        questions,
    )
    .put(
        &format!("{base}/cases/{{id}}/triage"),
        on(Action::Update, "case_list"),
        set_questions,
    )
    .get(
        &format!("{base}/case-people/{{id}}/triage"),
        on(Action::CaseWork, "case_person"),
        answers,
    )
    .put(
        &format!("{base}/case-people/{{id}}/triage"),
        on(Action::CaseWork, "case_person"),
        answer,
    )
    .get(
        &format!("{base}/cases/{{id}}/conferencing"),
        on(Action::CaseWork, "case_person"),
        agenda,
    )
    .post(
        &format!("{base}/cases/{{id}}/conferencing"),
        on(Action::CaseWork, "case_person"),
        note,
    )
}

// ---------------------------------------------------------------------------
// Referrals
// ---------------------------------------------------------------------------

const REFERRAL_FIELDS: &[(&str, Ty)] = &[
    ("referral_type", Ty::Text),
    ("from_organization_id", Ty::Int),
    ("to_organization_id", Ty::Int),
    ("person_id", Ty::Int),
    ("risk_level", Ty::Text),
    ("race_ethnicity", Ty::OptText),
    ("neighbourhood", Ty::OptText),
    ("referred_on", Ty::Text),
    ("accepted_on", Ty::OptText),
    ("first_service_on", Ty::OptText),
    ("outcome", Ty::Long(MAX_TEXT)),
    ("closed_on", Ty::OptText),
    ("closed_reason", Ty::OptText),
];

fn referral_of(body: Value) -> Result<Referral, AppError> {
    Referral::parse(&fields(body, REFERRAL_FIELDS)?).map_err(AppError::Invalid)
}

async fn referrals(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
) -> ApiResult<Json<Value>> {
    let rows = s
        .store
        .view_referrals(auth.initiative().id, Some(auth.user.id))
        .await?;
    Ok(Json(json!({ "items": rows })))
}

async fn create_referral(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiJson(body): ApiJson,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let r = referral_of(body)?;
    let row = s
        .store
        .create_referral(auth.initiative().id, Some(auth.user.id), &r)
        .await?;
    Ok((StatusCode::CREATED, Json(json!(row))))
}

async fn get_referral(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let row = s
        .store
        .view_referral(auth.initiative().id, id, Some(auth.user.id))
        .await?;
    Ok(Json(json!(row)))
}

async fn update_referral(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let i = auth.initiative().id;
    s.store.referral(i, id).await?;
    let r = referral_of(body)?;
    let row = s
        .store
        .update_referral(i, id, Some(auth.user.id), &r)
        .await?;
    Ok(Json(json!(row)))
}

#[derive(Deserialize, Default)]
struct MeasuresQuery {
    by: Option<String>,
    reference: Option<String>,
}

async fn measures(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiQuery(q): ApiQuery<MeasuresQuery>,
) -> ApiResult<Json<Value>> {
    let by = match q.by.as_deref() {
        None => SplitBy::RaceEthnicity,
        Some(b) => SplitBy::parse(b).ok_or_else(|| {
            AppError::Invalid(FieldErrors::single(
                "by",
                "unknown_choice",
                "by must be race_ethnicity or neighbourhood",
            ))
        })?,
    };
    if let Some(r) = &q.reference
        && (r.chars().count() > MAX_NAME || r.chars().any(char::is_control))
    {
        return Err(AppError::Invalid(FieldErrors::single(
            "reference",
            "invalid",
            format!("reference is a group's name: at most {MAX_NAME} characters, one line"),
        )));
    }
    let reference = q
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let small_cells = auth
        .view
        .grants
        .allows_on(Action::SeeSmallCells, "case_referral");
    let split = s
        .store
        .referral_measures(auth.initiative().id, by, reference, small_cells)
        .await?;
    Ok(Json(json!(split)))
}

// ---------------------------------------------------------------------------
// Triage
// ---------------------------------------------------------------------------

fn question_json(q: &QuestionRow) -> Value {
    json!({ "id": q.id, "position": q.position, "text": q.text, "weight": q.weight })
}

fn questions_json(qs: &[QuestionRow]) -> Value {
    json!({ "questions": qs.iter().map(question_json).collect::<Vec<_>>() })
}

async fn questions(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let qs = s.store.triage_questions(auth.initiative().id, id).await?;
    Ok(Json(questions_json(&qs)))
}

/// `{"questions": [{"text", "weight"}, …]}` into the form fields the rule
/// reads (`text_0`, `weight_0`, …); errors come back named
/// `questions[i].text` / `questions[i].weight`.
fn question_fields(body: Value) -> Result<FieldMap, AppError> {
    let Value::Object(mut obj) = body else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    if let Some(k) = obj.keys().find(|k| *k != "questions") {
        return Err(AppError::Invalid(FieldErrors::single(
            k,
            "unknown_field",
            format!("{k} is not taken here (only questions)"),
        )));
    }
    let Some(Value::Array(items)) = obj.remove("questions") else {
        return Err(AppError::Invalid(FieldErrors::single(
            "questions",
            "required",
            "questions must be an array of {text, weight}",
        )));
    };
    if items.len() > MAX_QUESTIONS {
        return Err(AppError::Invalid(FieldErrors::single(
            "questions",
            "too_many",
            format!("at most {MAX_QUESTIONS} questions"),
        )));
    }
    let mut out = FieldMap::new();
    for (i, item) in items.into_iter().enumerate() {
        let one = fields(item, &[("text", Ty::Text), ("weight", Ty::Int)])
            .map_err(|e| rename(e, |f| format!("questions[{i}].{f}")))?;
        for f in ["text", "weight"] {
            // Both are required; an empty row would otherwise be skipped.
            let v = one.get(f).cloned().unwrap_or_default();
            if v.trim().is_empty() {
                return Err(AppError::Invalid(FieldErrors::single(
                    &format!("questions[{i}].{f}"),
                    "required",
                    format!("questions[{i}].{f} is required"),
                )));
            }
            out.insert(format!("{f}_{i}"), v);
        }
    }
    Ok(out)
}

/// The same errors under other field names.
fn rename(e: AppError, name: impl Fn(&str) -> String) -> AppError {
    match e {
        AppError::Invalid(errs) => {
            let mut out = FieldErrors::default();
            for (f, v) in errs.0 {
                out.add(&name(&f), v.code, v.message);
            }
            AppError::Invalid(out)
        }
        e => e,
    }
}

/// `text_3` → `questions[3].text`.
fn question_field(f: &str) -> String {
    match f.split_once('_') {
        Some((name, i)) if i.parse::<usize>().is_ok() => format!("questions[{i}].{name}"),
        _ => f.to_string(),
    }
}

async fn set_questions(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let i = auth.initiative().id;
    s.store.case_list(i, id).await?;
    let form = question_fields(body)?;
    let qs = parse_questions(&form).map_err(|e| rename(AppError::Invalid(e), question_field))?;
    let after = s
        .store
        .set_triage_questions(i, id, Some(auth.user.id), &qs)
        .await?;
    Ok(Json(questions_json(&after)))
}

fn answers_json(person: i64, rows: &[AnswerRow]) -> Value {
    let pairs: Vec<(i64, bool)> = rows.iter().map(|a| (a.question.weight, a.yes)).collect();
    json!({
        "person_id": person,
        "triage_score": score(&pairs),
        "answers": rows.iter().map(|a| json!({
            "question_id": a.question.id,
            "text": a.question.text,
            "weight": a.question.weight,
            "yes": a.yes,
        })).collect::<Vec<_>>(),
    })
}

async fn answers(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let i = auth.initiative().id;
    let (list, rows) = s.store.triage_answers(i, id).await?;
    // The answers are part of the person's record: the read is audited.
    s.store
        .view_case_person(i, list, id, Some(auth.user.id))
        .await?;
    Ok(Json(answers_json(id, &rows)))
}

async fn answer(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let i = auth.initiative().id;
    s.store.case_person_list(i, id).await?;
    let input = fields(body, &[("yes", Ty::Ids)])?;
    let Some(list) = input.get("yes") else {
        return Err(AppError::Invalid(FieldErrors::single(
            "yes",
            "required",
            "yes is required: the ids of the questions answered yes (may be empty)",
        )));
    };
    let yes: Vec<i64> = list
        .split(',')
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    s.store
        .answer_triage(i, id, Some(auth.user.id), &yes)
        .await
        .map_err(|e| rename(e.into(), |_| "yes".into()))?;
    let (_, rows) = s.store.triage_answers(i, id).await?;
    Ok(Json(answers_json(id, &rows)))
}

// ---------------------------------------------------------------------------
// Case conferencing
// ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct AgendaQuery {
    on: Option<String>,
}

async fn agenda(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<AgendaQuery>,
) -> ApiResult<Json<Value>> {
    let on = match q.on.as_deref() {
        None => today(),
        Some(d) => full_date(d).ok_or_else(|| {
            AppError::Invalid(FieldErrors::single(
                "on",
                "invalid_date",
                "on must be a date as YYYY-MM-DD",
            ))
        })?,
    };
    let view = s
        .store
        .case_agenda(auth.initiative().id, id, on, Some(auth.user.id))
        .await?;
    Ok(Json(json!(view)))
}

/// An RFC 3339 full-date, exactly `YYYY-MM-DD`.
fn full_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shape
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

async fn note(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let i = auth.initiative().id;
    s.store.case_list(i, id).await?;
    let input = fields(
        body,
        &[
            ("person_id", Ty::Int),
            ("conference_on", Ty::Text),
            ("note", Ty::Long(MAX_NOTE)),
            ("next_steps", Ty::Long(MAX_NOTE)),
        ],
    )?;
    let n = ConferenceNote::parse(&input).map_err(AppError::Invalid)?;
    let note_id = s
        .store
        .record_conference_note(i, id, Some(auth.user.id), &n)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": note_id,
            "list_id": id,
            "person_id": n.person_id,
            "conference_on": n.conference_on,
            "note": n.note,
            "next_steps": n.next_steps,
        })),
    ))
}

// ---------------------------------------------------------------------------
// OpenAPI
// ---------------------------------------------------------------------------

/// An optional date: empty or YYYY-MM-DD.
const OPT_DATE: &str = "^$|^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

pub fn openapi(d: &mut Doc) {
    let int = json!({"type": "integer", "format": "int64"});
    let opt_int = json!({"type": "integer", "format": "int64", "nullable": true});
    let id_in = json!({"type": "integer", "format": "int64", "minimum": 1, "nullable": true});
    let date = json!({"type": "string", "format": "date"});
    let opt_date_out = json!({"type": "string", "format": "date", "nullable": true});
    let opt_date_in = json!({"type": "string", "nullable": true, "pattern": OPT_DATE, "description": "a date, YYYY-MM-DD"});
    let ts = json!({"type": "string", "format": "date-time"});
    let opt_text = json!({"type": "string", "nullable": true});
    let risks: Vec<&str> = RiskLevel::ALL.iter().map(|r| r.as_str()).collect();
    let races: Vec<&str> = Race::ALL.iter().map(|r| r.as_str()).collect();
    let races_null: Vec<Value> = races
        .iter()
        .map(|r| json!(r))
        .chain([Value::Null])
        .collect();
    let splits: Vec<&str> = SplitBy::ALL.iter().map(|r| r.as_str()).collect();

    d.schemas.insert("Referral".into(), json!({"type": "object", "properties": {
        "id": int, "referral_type": {"type": "string"},
        "from_organization_id": opt_int, "to_organization_id": opt_int, "person_id": opt_int,
        "risk_level": {"type": "string", "enum": risks},
        "race_ethnicity": {"type": "string", "enum": races_null, "nullable": true},
        "neighbourhood": opt_text,
        "referred_on": date, "accepted_on": opt_date_out, "first_service_on": opt_date_out,
        "outcome": opt_text, "closed_on": opt_date_out, "closed_reason": opt_text,
        "created_at": ts, "updated_at": ts
    }, "required": ["id", "referral_type", "from_organization_id", "to_organization_id", "person_id", "risk_level",
        "race_ethnicity", "neighbourhood", "referred_on", "accepted_on", "first_service_on", "outcome",
        "closed_on", "closed_reason", "created_at", "updated_at"]}));
    d.schemas.insert("ReferralInput".into(), json!({"type": "object", "properties": {
        "referral_type": {"type": "string", "minLength": 1, "maxLength": MAX_NAME, "pattern": LINE, "description": "e.g. high-risk pregnancy → hospital, early intervention"},
        "from_organization_id": id_in, "to_organization_id": id_in,
        "person_id": {"type": "integer", "format": "int64", "minimum": 1, "nullable": true, "description": "a person on one of the initiative's by-name lists"},
        "risk_level": {"type": "string", "enum": risks},
        "race_ethnicity": {"type": "string", "enum": races_null, "nullable": true},
        "neighbourhood": {"type": "string", "nullable": true, "maxLength": MAX_NAME, "pattern": OPT_LINE},
        "referred_on": {"type": "string", "format": "date"},
        "accepted_on": opt_date_in, "first_service_on": opt_date_in,
        "outcome": {"type": "string", "nullable": true, "maxLength": MAX_TEXT, "pattern": MULTI},
        "closed_on": opt_date_in,
        "closed_reason": {"type": "string", "nullable": true, "maxLength": MAX_NAME, "pattern": OPT_LINE}
    }, "required": ["referral_type", "risk_level", "referred_on"], "additionalProperties": false}));
    d.schemas.insert(
        "Referrals".into(),
        json!({"type": "object", "properties": {
        "items": {"type": "array", "items": reference("Referral")}
    }, "required": ["items"]}),
    );
    let pct = json!({"type": "number", "nullable": true});
    let cell = json!({"type": "object", "properties": {
        "value": pct, "difference": pct, "ratio": pct
    }, "required": ["value", "difference", "ratio"], "description": "null when suppressed or nothing to measure"});
    d.schemas.insert("ReferralMeasures".into(), json!({"type": "object", "properties": {
        "by": {"type": "string", "enum": splits},
        "reference": {"type": "string", "nullable": true},
        "overall": {"type": "object", "properties": {
            "n": {"type": "integer", "minimum": 0},
            "accepted_pct": pct, "median_days_to_service": pct, "outcome_pct": pct
        }, "required": ["n", "accepted_pct", "median_days_to_service", "outcome_pct"]},
        "groups": {"type": "array", "items": {"type": "object", "properties": {
            "group": {"type": "string"}, "reference": {"type": "boolean"},
            "n": {"type": "integer", "minimum": 0, "nullable": true},
            "suppressed": {"type": "boolean"},
            "accepted_pct": cell, "median_days_to_service": cell, "outcome_pct": cell
        }, "required": ["group", "reference", "n", "suppressed", "accepted_pct", "median_days_to_service", "outcome_pct"]}}
    }, "required": ["by", "reference", "overall", "groups"]}));
    d.schemas.insert("TriageQuestions".into(), json!({"type": "object", "properties": {
        "questions": {"type": "array", "items": {"type": "object", "properties": {
            "id": int, "position": int, "text": {"type": "string"}, "weight": {"type": "integer", "minimum": 0}
        }, "required": ["id", "position", "text", "weight"]}}
    }, "required": ["questions"]}));
    d.schemas.insert("TriageQuestionsInput".into(), json!({"type": "object", "properties": {
        "questions": {"type": "array", "minItems": 1, "maxItems": MAX_QUESTIONS, "items": {"type": "object", "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": MAX_NAME, "pattern": LINE},
            "weight": {"type": "integer", "minimum": 0, "maximum": MAX_WEIGHT}
        }, "required": ["text", "weight"], "additionalProperties": false}}
    }, "required": ["questions"], "additionalProperties": false}));
    d.schemas.insert("TriageAnswers".into(), json!({"type": "object", "properties": {
        "person_id": int, "triage_score": {"type": "integer", "minimum": 0},
        "answers": {"type": "array", "items": {"type": "object", "properties": {
            "question_id": int, "text": {"type": "string"}, "weight": {"type": "integer", "minimum": 0}, "yes": {"type": "boolean"}
        }, "required": ["question_id", "text", "weight", "yes"]}}
    }, "required": ["person_id", "triage_score", "answers"]}));
    d.schemas.insert("TriageAnswersInput".into(), json!({"type": "object", "properties": {
        "yes": {"type": "array", "items": {"type": "integer", "format": "int64"}, "description": "the ids of the questions answered yes; the others are no"}
    }, "required": ["yes"], "additionalProperties": false}));
    let note = json!({"type": "object", "nullable": true, "properties": {
        "person_id": int, "conference_on": date, "note": {"type": "string"}, "next_steps": {"type": "string"}
    }, "required": ["person_id", "conference_on", "note", "next_steps"]});
    let agenda_person = json!({"type": "object", "properties": {
        "person_id": int, "first_name": opt_text, "last_name": opt_text,
        "triage_score": int, "days_active": opt_int, "last_contact_on": opt_date_out,
        "last_note": note
    }, "required": ["person_id", "first_name", "last_name", "triage_score", "days_active", "last_contact_on", "last_note"]});
    let group = json!({"type": "array", "items": agenda_person});
    d.schemas.insert("ConferenceAgenda".into(), json!({"type": "object", "properties": {
        "list_id": int, "conference_on": date,
        "new_this_week": group, "highest_priority": group, "no_contact": group
    }, "required": ["list_id", "conference_on", "new_this_week", "highest_priority", "no_contact"]}));
    d.schemas.insert("ConferenceNoteInput".into(), json!({"type": "object", "properties": {
        "person_id": {"type": "integer", "format": "int64", "minimum": 1},
        "conference_on": {"type": "string", "format": "date"},
        "note": {"type": "string", "nullable": true, "maxLength": MAX_NOTE, "pattern": MULTI},
        "next_steps": {"type": "string", "nullable": true, "maxLength": MAX_NOTE, "pattern": MULTI}
    }, "required": ["person_id", "conference_on"], "additionalProperties": false,
       "description": "a note or next steps (at least one); a second note for the same person and day replaces the first"}));
    d.schemas.insert(
        "ConferenceNote".into(),
        json!({"type": "object", "properties": {
        "id": int, "list_id": int, "person_id": int, "conference_on": date,
        "note": {"type": "string"}, "next_steps": {"type": "string"}
    }, "required": ["id", "list_id", "person_id", "conference_on", "note", "next_steps"]}),
    );

    let base = "/api/v1/initiatives/{slug}";
    let w = &["400", "401", "403", "404", "422"];
    d.paths.insert(format!("{base}/referrals"), json!({
        "get": op("The initiative's referrals (case workers and coordinators; the read is audited)", "referrals", json!([p_slug()]), None, ("200", reference("Referrals")), &["401", "403", "404"]),
        "post": op("Record a referral (case workers and coordinators)", "referrals", json!([p_slug()]), Some("ReferralInput"), ("201", reference("Referral")), w),
    }));
    d.paths.insert(format!("{base}/referrals/measures"), json!({
        "get": op("Referral measures split by race/ethnicity or neighbourhood, with the gap to a reference group; groups under 10 are suppressed for those who may not see small cells", "referrals",
            json!([p_slug(),
                {"name": "by", "in": "query", "schema": {"type": "string", "enum": splits}, "description": "default race_ethnicity"},
                {"name": "reference", "in": "query", "schema": {"type": "string", "maxLength": MAX_NAME, "pattern": OPT_LINE}, "description": "the reference group (default: the largest)"}]),
            None, ("200", reference("ReferralMeasures")), &["401", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/referrals/{{id}}"), json!({
        "get": op("One referral (the read is audited)", "referrals", json!([p_slug(), p_id()]), None, ("200", reference("Referral")), &["401", "403", "404"]),
        "put": op("Change a referral (accepted, first service, outcome, closed)", "referrals", json!([p_slug(), p_id()]), Some("ReferralInput"), ("200", reference("Referral")), w),
    }));
    d.paths.insert(format!("{base}/cases/{{id}}/triage"), json!({
        "get": op("A list's triage questions and their weights", "referrals", json!([p_slug(), p_id()]), None, ("200", reference("TriageQuestions")), &["401", "403", "404"]),
        "put": op("Set a list's triage questions (coordinators); every score is recomputed", "referrals", json!([p_slug(), p_id()]), Some("TriageQuestionsInput"), ("200", reference("TriageQuestions")), w),
    }));
    d.paths.insert(format!("{base}/case-people/{{id}}/triage"), json!({
        "get": op("A person's triage answers and score", "referrals", json!([p_slug(), p_id()]), None, ("200", reference("TriageAnswers")), &["401", "403", "404"]),
        "put": op("Answer a person's triage questions (the ids answered yes)", "referrals", json!([p_slug(), p_id()]), Some("TriageAnswersInput"), ("200", reference("TriageAnswers")), w),
    }));
    d.paths.insert(format!("{base}/cases/{{id}}/conferencing"), json!({
        "get": op("The case-conferencing agenda for a date: new this week, highest priority not housed, no contact for more than 30 days, each with the last note carried (the read is audited)", "referrals",
            json!([p_slug(), p_id(), {"name": "on", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "the conference date (default today)"}]),
            None, ("200", reference("ConferenceAgenda")), &["401", "403", "404", "422"]),
        "post": op("Record a note and next steps for one person at a conference", "referrals", json!([p_slug(), p_id()]), Some("ConferenceNoteInput"), ("201", reference("ConferenceNote")), w),
    }));
}
