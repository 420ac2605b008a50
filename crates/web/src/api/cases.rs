//! By-name lists in the JSON API: lists and their settings, people (for case
//! workers and coordinators: every read of a person is audited), status
//! events, monthly reports with their submission and balance check, and
//! functional zero. Counts are for every member of the initiative; names and
//! personal fields only with `Action::CaseWork`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use domain::access::Action;
use domain::cases::events::EventKind;
use domain::cases::person::{Gender, HouseholdType, Person, Population, Race};
use domain::cases::report::Month;
use domain::validation::{FieldErrors, FieldMap, MAX_NAME};
use store::cases::events::NewEvent;
use store::cases::people::Status;
use store::cases::{CaseList, ListSettings};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::openapi::{Doc, LINE, OPT_LINE, op, p_id, p_slug, reference};
use crate::AppState;
use crate::access::{ApiAuthorized, CaseWork, Read, Write};
use crate::error::{ApiResult, AppError};
use crate::routes::{Access, Routes};

const MONTH: &str = "^[0-9]{4}-(0[1-9]|1[0-2])$";

pub fn routes(r: Routes) -> Routes {
    let base = "/api/v1/initiatives/{slug}";
    let on = Access::Initiative;
    r.get(
        &format!("{base}/cases"),
        on(Action::Read, "case_list"),
        lists,
    )
    .post(
        &format!("{base}/cases"),
        on(Action::Create, "case_list"),
        create_list,
    )
    .get(
        &format!("{base}/cases/{{id}}"),
        on(Action::Read, "case_list"),
        get_list,
    )
    .put(
        &format!("{base}/cases/{{id}}"),
        on(Action::Update, "case_list"),
        update_list,
    )
    .get(
        &format!("{base}/cases/{{id}}/people"),
        on(Action::CaseWork, "case_person"),
        roster,
    )
    .post(
        &format!("{base}/cases/{{id}}/people"),
        on(Action::CaseWork, "case_person"),
        add_person,
    )
    .get(
        &format!("{base}/cases/{{id}}/reports/monthly"),
        on(Action::Read, "case_list"),
        monthly,
    )
    .post(
        &format!("{base}/cases/{{id}}/reports/submit"),
        on(Action::CaseWork, "case_report"),
        submit,
    )
    .get(
        &format!("{base}/cases/{{id}}/reports/balance"),
        on(Action::Read, "case_list"),
        balance,
    )
    .get(
        &format!("{base}/cases/{{id}}/functional-zero"),
        on(Action::Read, "case_list"),
        functional_zero,
    )
    .get(
        &format!("{base}/case-people/{{id}}"),
        on(Action::CaseWork, "case_person"),
        get_person,
    )
    .put(
        &format!("{base}/case-people/{{id}}"),
        on(Action::CaseWork, "case_person"),
        update_person,
    )
    .post(
        &format!("{base}/case-people/{{id}}/events"),
        on(Action::CaseWork, "case_person"),
        record_event,
    )
    .post(
        &format!("{base}/case-people/{{id}}/erase"),
        on(Action::Archive, "case_person"),
        erase,
    )
}

use crate::pages::decisions::today;

// ---------------------------------------------------------------------------
// Reading bodies strictly: every field with its JSON type, nothing unknown.
// ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
pub(super) enum Ty {
    /// A string with at least one character that is not a space.
    Text,
    /// A string that may be empty (then it is absent).
    OptText,
    /// A string that may be empty, at most this many characters.
    Long(usize),
    Int,
    Bool,
    Codes,
    /// An array of integers (ids).
    Ids,
}

/// A JSON object read into form fields, refusing unknown fields and wrong
/// JSON types by name (so the API takes exactly what its schema says).
pub(super) fn fields(body: Value, spec: &[(&str, Ty)]) -> Result<FieldMap, AppError> {
    let Value::Object(obj) = body else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let mut out = FieldMap::new();
    let mut errors = FieldErrors::default();
    for (k, v) in obj {
        let Some((_, ty)) = spec.iter().find(|(n, _)| *n == k) else {
            let names: Vec<&str> = spec.iter().map(|(n, _)| *n).collect();
            errors.add(
                &k,
                "unknown_field",
                format!("{k} is not taken here (only {})", names.join(", ")),
            );
            continue;
        };
        let text = match (ty, v) {
            (_, Value::Null) => continue,
            (Ty::Text, Value::String(s)) if !s.trim().is_empty() => s,
            (Ty::OptText | Ty::Long(_), Value::String(s)) => s,
            (Ty::Int, Value::Number(n)) if n.is_i64() => n.to_string(),
            (Ty::Bool, Value::Bool(b)) => b.to_string(),
            (Ty::Codes, Value::Array(items)) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
            (Ty::Ids, Value::Array(items)) if items.iter().all(Value::is_i64) => items
                .iter()
                .filter_map(Value::as_i64)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(","),
            (ty, _) => {
                let want = match ty {
                    Ty::Text => "a string that is not blank",
                    Ty::OptText | Ty::Long(_) => "a string",
                    Ty::Ids => "an array of integers",
                    Ty::Int => "an integer",
                    Ty::Bool => "true or false",
                    Ty::Codes => "an array of codes",
                };
                errors.add(&k, "invalid_type", format!("{k} must be {want}"));
                continue;
            }
        };
        // The schema's maxLength counts the string as sent, spaces included.
        let max = match ty {
            Ty::Text | Ty::OptText => Some(MAX_NAME),
            Ty::Long(n) => Some(*n),
            _ => None,
        };
        if let Some(max) = max.filter(|m| text.chars().count() > *m) {
            errors.add(
                &k,
                "too_long",
                format!("{k} is longer than {max} characters"),
            );
            continue;
        }
        if matches!(ty, Ty::Codes)
            && text.split(',').any(|c| c.contains(' ') || c.is_empty())
            && !text.is_empty()
        {
            errors.add(&k, "invalid", format!("{k}: codes have no spaces"));
            continue;
        }
        out.insert(k, text);
    }
    errors.finish(out).map_err(AppError::Invalid)
}

const LIST_FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Text),
    ("inactivity_days", Ty::Int),
    ("veteran_comparator", Ty::Text),
    ("pit_count", Ty::Int),
];

const PERSON_FIELDS: &[(&str, Ty)] = &[
    ("first_name", Ty::Text),
    ("last_name", Ty::Text),
    ("date_of_birth", Ty::Text),
    ("veteran", Ty::Bool),
    ("household_type", Ty::Text),
    ("race", Ty::Codes),
    ("gender", Ty::Codes),
    ("consent_on", Ty::Text),
    ("consent_scope", Ty::OptText),
    ("consent_expires_on", Ty::Text),
];

fn list_json(l: &CaseList) -> Value {
    json!({
        "id": l.id,
        "name": l.name,
        "inactivity_days": l.inactivity_days,
        "veteran_comparator": l.veteran_comparator.as_str(),
        "pit_count": l.pit_count,
        "created_at": l.created_at,
    })
}

fn person_json(r: &store::cases::people::PersonRecord) -> Value {
    let p = &r.person;
    json!({
        "id": r.id,
        "list_id": r.list_id,
        "external_id": r.external_id,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "date_of_birth": p.date_of_birth,
        "veteran": p.veteran,
        "household_type": p.household_type.map(|h| h.as_str()),
        "race": p.race.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "gender": p.gender.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "consent_on": p.consent_on,
        "consent_scope": p.consent_scope,
        "consent_expires_on": p.consent_expires_on,
        "triage_score": r.triage_score,
        "erased": r.erased_at.is_some(),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    })
}

fn event_json(e: &store::cases::events::EventRow) -> Value {
    json!({
        "id": e.event.id,
        "occurred_on": e.event.occurred_on,
        "kind": e.event.kind.as_str(),
        "chronic": e.event.chronic,
        "recorded_at": store::Timestamp::from(e.event.recorded_at),
        "supersedes": e.event.supersedes,
        "superseded_by": e.superseded_by,
        "source": e.source.as_str(),
    })
}

// Query values are taken exactly as the schema describes them: no trimming,
// and an empty value is not the same as an absent one.
fn parse_month(field: &str, s: Option<&str>, errors: &mut FieldErrors) -> Option<Month> {
    match s {
        None | Some("") => {
            errors.add(field, "required", format!("{field} is required (YYYY-MM)"));
            None
        }
        Some(m) => Month::parse(m).or_else(|| {
            errors.add(
                field,
                "invalid",
                format!("{field} must be a month, YYYY-MM"),
            );
            None
        }),
    }
}

fn parse_population(s: Option<&str>, errors: &mut FieldErrors) -> Population {
    match s {
        None => Population::All,
        Some(p) => Population::parse(p).unwrap_or_else(|| {
            errors.add(
                "population",
                "unknown_choice",
                "population must be all, veterans, chronic, youth or families",
            );
            Population::All
        }),
    }
}

// ---------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------

async fn lists(State(s): State<AppState>, auth: ApiAuthorized<Read>) -> ApiResult<Json<Value>> {
    let l = s.store.case_lists(auth.initiative().id).await?;
    Ok(Json(
        json!({ "items": l.iter().map(list_json).collect::<Vec<_>>() }),
    ))
}

async fn create_list(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiJson(body): ApiJson,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let settings = ListSettings::parse(&fields(body, LIST_FIELDS)?).map_err(AppError::Invalid)?;
    let l = s
        .store
        .create_case_list(auth.initiative().id, Some(auth.user.id), &settings)
        .await?;
    Ok((StatusCode::CREATED, Json(list_json(&l))))
}

async fn get_list(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(list_json(
        &s.store.case_list(auth.initiative().id, id).await?,
    )))
}

async fn update_list(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let i = auth.initiative().id;
    s.store.case_list(i, id).await?;
    let settings = ListSettings::parse(&fields(body, LIST_FIELDS)?).map_err(AppError::Invalid)?;
    let l = s
        .store
        .update_case_list(i, id, Some(auth.user.id), &settings)
        .await?;
    Ok(Json(list_json(&l)))
}

// ---------------------------------------------------------------------------
// People
// ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct RosterQuery {
    population: Option<String>,
    status: Option<String>,
}

async fn roster(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<RosterQuery>,
) -> ApiResult<Json<Value>> {
    let mut errors = FieldErrors::default();
    let population = parse_population(q.population.as_deref(), &mut errors);
    let status = match q.status.as_deref() {
        None => None,
        Some(st) => Status::parse(st).or_else(|| {
            errors.add("status", "unknown_choice", "unknown status");
            None
        }),
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let rows = s
        .store
        .case_roster(
            auth.initiative().id,
            id,
            population,
            status,
            today(),
            Some(Some(auth.user.id)),
        )
        .await?;
    Ok(Json(json!({ "items": rows })))
}

async fn add_person(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let i = auth.initiative().id;
    s.store.case_list(i, id).await?;
    let mut spec = PERSON_FIELDS.to_vec();
    spec.push(("identified_on", Ty::Text));
    spec.push(("chronic", Ty::Bool));
    let input = fields(body, &spec)?;
    let person = Person::parse(&input);
    let mut p = domain::validation::Parser::new(&input);
    let identified = p.opt_date("identified_on");
    let chronic = input.get("chronic").is_some_and(|c| c == "true");
    let mut errors = p.errors;
    if identified.is_some_and(|d| d > today()) {
        errors.add(
            "identified_on",
            "future",
            "identified_on cannot be in the future",
        );
    }
    let person = match person {
        Ok(person) if errors.is_empty() => person,
        Ok(_) => return Err(AppError::Invalid(errors)),
        Err(mut e) => {
            e.0.extend(errors.0);
            return Err(AppError::Invalid(e));
        }
    };
    let first = identified.map(|d| NewEvent {
        occurred_on: d,
        kind: EventKind::Identified,
        chronic,
        supersedes: None,
    });
    let pid = s
        .store
        .add_case_person(i, id, Some(auth.user.id), &person, first.as_ref())
        .await?;
    let r = s
        .store
        .view_case_person(i, id, pid, Some(auth.user.id))
        .await?;
    Ok((StatusCode::CREATED, Json(person_json(&r))))
}

async fn get_person(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let i = auth.initiative().id;
    let list = s.store.case_person_list(i, id).await?;
    let r = s
        .store
        .view_case_person(i, list, id, Some(auth.user.id))
        .await?;
    let events = s.store.case_events(list, id).await?;
    let mut body = person_json(&r);
    body["events"] = json!(events.iter().map(event_json).collect::<Vec<_>>());
    Ok(Json(body))
}

async fn update_person(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let i = auth.initiative().id;
    let list = s.store.case_person_list(i, id).await?;
    let person = Person::parse(&fields(body, PERSON_FIELDS)?).map_err(AppError::Invalid)?;
    let r = s
        .store
        .update_case_person(i, list, id, Some(auth.user.id), &person)
        .await?;
    Ok(Json(person_json(&r)))
}

const EVENT_FIELDS: &[(&str, Ty)] = &[
    ("kind", Ty::Text),
    ("occurred_on", Ty::Text),
    ("chronic", Ty::Bool),
    ("supersedes", Ty::Int),
];

/// An event from a form or a JSON body.
pub(crate) fn parse_event(input: &FieldMap) -> Result<NewEvent, FieldErrors> {
    let mut p = domain::validation::Parser::new(input);
    let kind = p.choice("kind", EventKind::parse);
    let occurred_on = p.date("occurred_on");
    let chronic = input
        .get("chronic")
        .is_some_and(|c| matches!(c.as_str(), "true" | "on" | "1" | "yes"));
    let supersedes = p.opt_id("supersedes");
    let errors = p.errors;
    match (kind, occurred_on) {
        (Some(kind), Some(occurred_on)) if errors.is_empty() => Ok(NewEvent {
            occurred_on,
            kind,
            chronic,
            supersedes,
        }),
        _ => Err(errors),
    }
}

async fn record_event(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let i = auth.initiative().id;
    let list = s.store.case_person_list(i, id).await?;
    let new = parse_event(&fields(body, EVENT_FIELDS)?).map_err(AppError::Invalid)?;
    let e = s
        .store
        .record_case_event(i, list, id, Some(auth.user.id), &new, today())
        .await?;
    let events = s.store.case_events(list, id).await?;
    let row = events
        .iter()
        .find(|r| r.event.id == e.id)
        .ok_or(AppError::Internal)?;
    Ok((StatusCode::CREATED, Json(event_json(row))))
}

async fn erase(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let i = auth.initiative().id;
    if !auth.view.grants.allows_on(Action::Archive, "case_person") {
        return Err(AppError::Forbidden);
    }
    let list = s.store.case_person_list(i, id).await?;
    let input = fields(body, &[("confirm", Ty::Text)])?;
    if input.get("confirm").map(String::as_str) != Some("erase") {
        return Err(AppError::Invalid(FieldErrors::single(
            "confirm",
            "required",
            "send confirm: \"erase\" to erase this person's personal fields for good",
        )));
    }
    s.store
        .erase_case_person(i, list, id, Some(auth.user.id))
        .await?;
    let r = s
        .store
        .view_case_person(i, list, id, Some(auth.user.id))
        .await?;
    Ok(Json(person_json(&r)))
}

// ---------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct MonthlyQuery {
    population: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cut_off: Option<String>,
}

async fn monthly(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<MonthlyQuery>,
) -> ApiResult<Json<Value>> {
    let mut errors = FieldErrors::default();
    let population = parse_population(q.population.as_deref(), &mut errors);
    let from = parse_month("from", q.from.as_deref(), &mut errors);
    let to = parse_month("to", q.to.as_deref(), &mut errors);
    let cut_off = match q.cut_off.as_deref() {
        None => None,
        Some(c) => match chrono::DateTime::parse_from_rfc3339(c) {
            Ok(t) => Some(store::Timestamp::new(t.with_timezone(&chrono::Utc))),
            Err(_) => {
                errors.add(
                    "cut_off",
                    "invalid",
                    "cut_off must be an RFC 3339 date-time",
                );
                None
            }
        },
    };
    let (Some(from), Some(to)) = (from, to) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let r = s
        .store
        .case_monthly(auth.initiative().id, id, population, from, to, cut_off)
        .await?;
    Ok(Json(json!(r)))
}

async fn submit(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = fields(body, &[("population", Ty::Text), ("month", Ty::Text)])?;
    let mut errors = FieldErrors::default();
    let population = parse_population(input.get("population").map(String::as_str), &mut errors);
    let month = parse_month("month", input.get("month").map(String::as_str), &mut errors);
    let Some(month) = month.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let r = s
        .store
        .submit_case_report(
            auth.initiative().id,
            id,
            population,
            month,
            Some(auth.user.id),
            today(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!(r))))
}

#[derive(Deserialize, Default)]
struct BalanceQuery {
    population: Option<String>,
    month: Option<String>,
}

async fn balance(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<BalanceQuery>,
) -> ApiResult<Json<Value>> {
    let mut errors = FieldErrors::default();
    let population = parse_population(q.population.as_deref(), &mut errors);
    let month = parse_month("month", q.month.as_deref(), &mut errors);
    let Some(month) = month.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let b = s
        .store
        .case_balance(auth.initiative().id, id, population, month)
        .await?;
    Ok(Json(
        json!({ "month": month, "population": population, "check": b }),
    ))
}

#[derive(Deserialize, Default)]
struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn functional_zero(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let mut errors = FieldErrors::default();
    let from = parse_month("from", q.from.as_deref(), &mut errors);
    let to = parse_month("to", q.to.as_deref(), &mut errors);
    let (Some(from), Some(to)) = (from, to) else {
        return Err(AppError::Invalid(errors));
    };
    let z = s
        .store
        .case_functional_zero(auth.initiative().id, id, from, to)
        .await?;
    Ok(Json(json!(z)))
}

// ---------------------------------------------------------------------------
// The OpenAPI description
// ---------------------------------------------------------------------------

/// This module's paths and schemas in the OpenAPI document.
pub fn openapi(d: &mut Doc) {
    let int = json!({"type": "integer", "format": "int64"});
    let count = json!({"type": "integer", "minimum": 0});
    let opt_int = json!({"type": "integer", "format": "int64", "nullable": true});
    let text = json!({"type": "string"});
    let opt_text = json!({"type": "string", "nullable": true});
    let date = json!({"type": "string", "format": "date"});
    let opt_date = json!({"type": "string", "format": "date", "nullable": true});
    let ts = json!({"type": "string", "format": "date-time"});
    let month = json!({"type": "string", "pattern": MONTH});
    let codes = |all: Vec<&'static str>| json!({"type": "array", "nullable": true, "items": {"type": "string", "enum": all}});
    let races: Vec<&str> = Race::ALL.iter().map(|r| r.as_str()).collect();
    let genders: Vec<&str> = Gender::ALL.iter().map(|r| r.as_str()).collect();
    let households_null: Vec<Value> = HouseholdType::ALL
        .iter()
        .map(|r| json!(r.as_str()))
        .chain([Value::Null])
        .collect();
    let populations: Vec<&str> = Population::ALL.iter().map(|r| r.as_str()).collect();
    let kinds: Vec<&str> = EventKind::ALL.iter().map(|r| r.as_str()).collect();
    let name = json!({"type": "string", "nullable": true, "minLength": 1, "maxLength": MAX_NAME, "pattern": LINE});
    d.schemas.insert("CaseList".into(), json!({"type": "object", "properties": {
        "id": int, "name": text, "inactivity_days": count,
        "veteran_comparator": {"type": "string", "enum": ["lt", "le"]},
        "pit_count": {"type": "integer", "minimum": 0, "nullable": true},
        "created_at": ts
    }, "required": ["id", "name", "inactivity_days", "veteran_comparator", "pit_count", "created_at"]}));
    d.schemas.insert("CaseListInput".into(), json!({"type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME, "pattern": LINE},
        "inactivity_days": {"type": "integer", "minimum": 1, "maximum": 3650, "nullable": true, "description": "days without identification or contact before a spell turns inactive (default 90)"},
        "veteran_comparator": {"type": "string", "enum": ["lt", "le", null], "nullable": true, "description": "functional zero for veterans: active < threshold (lt, default) or ≤ (le)"},
        "pit_count": {"type": "integer", "minimum": 0, "maximum": 100_000_000, "nullable": true, "description": "the community's point-in-time count of individuals (chronic threshold: 0.1% of it, at least 3)"}
    }, "required": ["name"], "additionalProperties": false}));
    d.schemas.insert(
        "CaseLists".into(),
        json!({"type": "object", "properties": {
        "items": {"type": "array", "items": reference("CaseList")}
    }, "required": ["items"]}),
    );
    let person_props = json!({
        "first_name": name, "last_name": name,
        "date_of_birth": opt_date,
        "veteran": {"type": "boolean", "nullable": true, "description": "null: not known"},
        "household_type": {"type": "string", "enum": households_null, "nullable": true},
        "race": codes(races.clone()),
        "gender": codes(genders.clone()),
        "consent_on": opt_date,
        "consent_scope": {"type": "string", "nullable": true, "maxLength": MAX_NAME, "pattern": OPT_LINE},
        "consent_expires_on": opt_date
    });
    let mut person_input = person_props.clone();
    person_input["identified_on"] = json!({"type": "string", "format": "date", "nullable": true, "description": "records the first event, identified, on this date"});
    person_input["chronic"] = json!({"type": "boolean", "nullable": true, "description": "the identification meets the chronic rule"});
    d.schemas.insert(
        "CasePersonInput".into(),
        json!({"type": "object", "properties": person_input,
        "additionalProperties": false, "description": "give a first or a last name"}),
    );
    d.schemas.insert("CasePersonUpdate".into(), json!({"type": "object", "properties": person_props,
        "additionalProperties": false, "description": "the person's fields as they should be (a field left out is emptied)"}));
    let event = json!({"type": "object", "properties": {
        "id": int, "occurred_on": date, "kind": {"type": "string", "enum": kinds},
        "chronic": {"type": "boolean"}, "recorded_at": ts,
        "supersedes": opt_int, "superseded_by": opt_int,
        "source": {"type": "string", "enum": ["manual", "hmis", "inactivity"]}
    }, "required": ["id", "occurred_on", "kind", "chronic", "recorded_at", "supersedes", "superseded_by", "source"]});
    d.schemas.insert("CaseEvent".into(), event.clone());
    let mut person = json!({"type": "object", "properties": {
        "id": int, "list_id": int, "external_id": opt_text,
        "first_name": opt_text, "last_name": opt_text, "date_of_birth": opt_date,
        "veteran": {"type": "boolean", "nullable": true},
        "household_type": {"type": "string", "nullable": true},
        "race": {"type": "array", "items": text}, "gender": {"type": "array", "items": text},
        "consent_on": opt_date, "consent_scope": opt_text, "consent_expires_on": opt_date,
        "triage_score": int, "erased": {"type": "boolean"},
        "created_at": ts, "updated_at": ts
    }, "required": ["id", "list_id", "external_id", "first_name", "last_name", "date_of_birth", "veteran", "household_type", "race", "gender", "consent_on", "consent_scope", "consent_expires_on", "triage_score", "erased", "created_at", "updated_at"]});
    d.schemas.insert("CasePerson".into(), person.clone());
    person["properties"]["events"] = json!({"type": "array", "items": event});
    person["required"]
        .as_array_mut()
        .expect("required")
        .push(json!("events"));
    d.schemas.insert("CasePersonWithEvents".into(), person);
    d.schemas.insert("CaseEventInput".into(), json!({"type": "object", "properties": {
        "kind": {"type": "string", "enum": kinds},
        "occurred_on": {"type": "string", "format": "date"},
        "chronic": {"type": "boolean", "nullable": true},
        "supersedes": {"type": "integer", "format": "int64", "minimum": 1, "nullable": true, "description": "the earlier event of this person this one corrects (required for void)"}
    }, "required": ["kind", "occurred_on"], "additionalProperties": false}));
    d.schemas.insert(
        "CaseEraseInput".into(),
        json!({"type": "object", "properties": {
        "confirm": {"type": "string", "enum": ["erase"]}
    }, "required": ["confirm"], "additionalProperties": false}),
    );
    d.schemas.insert("CaseRoster".into(), json!({"type": "object", "properties": {
        "items": {"type": "array", "description": "highest triage score first, then most days active", "items": {"type": "object", "properties": {
            "person_id": int, "first_name": opt_text, "last_name": opt_text,
            "status": {"type": "string", "enum": ["active", "housed", "inactive", "no_longer_meets_criteria", "not_identified"]},
            "identified_on": opt_date, "days_active": opt_int, "last_activity_on": opt_date,
            "triage_score": int, "chronic": {"type": "boolean"}, "veteran": {"type": "boolean"},
            "youth": {"type": "boolean"}, "family": {"type": "boolean"}, "erased": {"type": "boolean"}
        }, "required": ["person_id", "first_name", "last_name", "status", "identified_on", "days_active", "last_activity_on", "triage_score", "chronic", "veteran", "youth", "family", "erased"]}}
    }, "required": ["items"]}));
    let report_props = json!({
        "month": month,
        "actively_homeless": count, "newly_identified": count,
        "returned_from_housing": count, "returned_from_inactive": count,
        "housing_placements": count, "moved_to_inactive": count,
        "no_longer_meets_criteria": count,
        "avg_days_identification_to_housing": {"type": "number", "nullable": true, "minimum": 0, "description": "mean days from identification to housed over the month's placements, one decimal; null without placements"}
    });
    let report_required = json!([
        "month",
        "actively_homeless",
        "newly_identified",
        "returned_from_housing",
        "returned_from_inactive",
        "housing_placements",
        "moved_to_inactive",
        "no_longer_meets_criteria",
        "avg_days_identification_to_housing"
    ]);
    d.schemas.insert(
        "MonthlyReport".into(),
        json!({"type": "object", "properties": report_props, "required": report_required}),
    );
    let mut submitted = report_props.clone();
    submitted["population"] = json!({"type": "string", "enum": populations});
    submitted["submitted_at"] = ts.clone();
    submitted["submitted_by"] = opt_int.clone();
    let mut sub_req = report_required.as_array().expect("array").clone();
    sub_req.extend([
        json!("population"),
        json!("submitted_at"),
        json!("submitted_by"),
    ]);
    d.schemas.insert(
        "SubmittedReport".into(),
        json!({"type": "object", "properties": submitted, "required": sub_req}),
    );
    let populations_null: Vec<Value> = populations
        .iter()
        .map(|p| json!(p))
        .chain([Value::Null])
        .collect();
    d.schemas.insert(
        "SubmitReportInput".into(),
        json!({"type": "object", "properties": {
        "population": {"type": "string", "enum": populations_null, "nullable": true},
        "month": month
    }, "required": ["month"], "additionalProperties": false}),
    );
    d.schemas.insert("BalanceCheck".into(), json!({"type": "object", "properties": {
        "month": month, "population": {"type": "string", "enum": populations},
        "check": {"type": "object", "nullable": true, "description": "null when the month before was not submitted", "properties": {
            "month": month, "submitted_previous_active": count, "inflow": count, "outflow": count,
            "expected": int, "computed_active": count, "gap": int,
            "previous_submitted_at": ts,
            "backdated": {"type": "array", "items": {"type": "object", "properties": {
                "event_id": int, "person_id": int, "kind": {"type": "string", "enum": kinds},
                "occurred_on": date, "recorded_at": ts, "supersedes": opt_int
            }, "required": ["event_id", "person_id", "kind", "occurred_on", "recorded_at", "supersedes"]}}
        }, "required": ["month", "submitted_previous_active", "inflow", "outflow", "expected", "computed_active", "gap", "previous_submitted_at", "backdated"]}
    }, "required": ["month", "population", "check"]}));
    let measure = json!({"type": "object", "properties": {
        "actual": count, "threshold": {"type": "number", "minimum": 3},
        "achieved": {"type": "boolean"}, "held_months": count
    }, "required": ["actual", "threshold", "achieved", "held_months"]});
    d.schemas.insert(
        "FunctionalZeroMonth".into(),
        json!({"type": "object", "properties": {
        "month": month, "veterans": measure, "chronic": measure
    }, "required": ["month", "veterans", "chronic"]}),
    );
    let base = "/api/v1/initiatives/{slug}";
    let q_month = |n: &str, required: bool| json!({"name": n, "in": "query", "required": required, "schema": {"type": "string", "pattern": MONTH}});
    let q_pop = json!({"name": "population", "in": "query", "schema": {"type": "string", "enum": populations}});
    d.paths.insert(format!("{base}/cases"), json!({
        "get": op("The initiative's by-name lists", "cases", json!([p_slug()]), None, ("200", reference("CaseLists")), &["401", "404"]),
        "post": op("Create a by-name list (coordinators)", "cases", json!([p_slug()]), Some("CaseListInput"), ("201", reference("CaseList")), &["400", "401", "403", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/cases/{{id}}"), json!({
        "get": op("A by-name list's settings", "cases", json!([p_slug(), p_id()]), None, ("200", reference("CaseList")), &["401", "404"]),
        "put": op("Change a list's settings (coordinators)", "cases", json!([p_slug(), p_id()]), Some("CaseListInput"), ("200", reference("CaseList")), &["400", "401", "403", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/cases/{{id}}/people"), json!({
        "get": op("The list by name (case workers and coordinators; the read is audited)", "cases", json!([p_slug(), p_id(), q_pop,
            {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "housed", "inactive", "no_longer_meets_criteria", "not_identified"]}}]),
            None, ("200", reference("CaseRoster")), &["401", "403", "404", "422"]),
        "post": op("Add a person, optionally with the identification (case workers and coordinators)", "cases", json!([p_slug(), p_id()]), Some("CasePersonInput"), ("201", reference("CasePerson")), &["400", "401", "403", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/case-people/{{id}}"), json!({
        "get": op("A person's record and events (case workers and coordinators; the read is audited)", "cases", json!([p_slug(), p_id()]), None, ("200", reference("CasePersonWithEvents")), &["401", "403", "404"]),
        "put": op("Change a person's fields", "cases", json!([p_slug(), p_id()]), Some("CasePersonUpdate"), ("200", reference("CasePerson")), &["400", "401", "403", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/case-people/{{id}}/events"), json!({
        "post": op("Record a status event (checked against the person's whole history; 422 names kind, occurred_on or supersedes)", "cases", json!([p_slug(), p_id()]), Some("CaseEventInput"), ("201", reference("CaseEvent")), &["400", "401", "403", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/case-people/{{id}}/erase"), json!({
        "post": op("Erase a person's personal fields on request; events stay, anonymous (coordinators)", "cases", json!([p_slug(), p_id()]), Some("CaseEraseInput"), ("200", reference("CasePerson")), &["400", "401", "403", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/cases/{{id}}/reports/monthly"), json!({
        "get": op("Monthly reports, one per month", "cases", json!([p_slug(), p_id(), q_pop.clone(), q_month("from", true), q_month("to", true),
            {"name": "cut_off", "in": "query", "schema": {"type": "string", "format": "date-time"}, "description": "count only events recorded by then"}]),
            None, ("200", json!({"type": "array", "items": reference("MonthlyReport")})), &["401", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/cases/{{id}}/reports/submit"), json!({
        "post": op("Submit (freeze) a month's report once the month is over", "cases", json!([p_slug(), p_id()]), Some("SubmitReportInput"), ("201", reference("SubmittedReport")), &["400", "401", "403", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/cases/{{id}}/reports/balance"), json!({
        "get": op("A month's balance check against the month before's submitted report", "cases", json!([p_slug(), p_id(), q_pop, q_month("month", true)]), None, ("200", reference("BalanceCheck")), &["401", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/cases/{{id}}/functional-zero"), json!({
        "get": op("Functional zero for veterans and chronic, month by month", "cases", json!([p_slug(), p_id(), q_month("from", true), q_month("to", true)]), None, ("200", json!({"type": "array", "items": reference("FunctionalZeroMonth")})), &["401", "404", "422"]),
    }));
}
