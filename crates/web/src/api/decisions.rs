//! Decisions in the JSON API: a decision's positions (live and superseded)
//! with the tally, stating a position, closing a decision, the decision
//! register, and the caller's own action items. The rules are in
//! `domain::meetings::decision`; the store checks membership and closing.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use domain::access::Action;
use domain::meetings::decision::{MAX_REASON, Position};
use domain::meetings::records::{ActionItem, Decision};
use domain::validation::FieldErrors;
use store::meetings::decisions::{DecisionView, MyAction, REGISTER_PAGE, RegisterFilter};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::openapi::{Doc, op, p_id, p_slug, reference};
use crate::AppState;
use crate::access::{ApiAuthorized, Participate, Read, Registry};
use crate::error::{ApiResult, AppError};
use crate::pages::decisions::{check_own, outcome_filter, today};
use crate::routes::{Access, Routes};

/// Multi-line text as the server takes it: line breaks and tabs, no other
/// control characters.
const MULTI: &str = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";

pub fn routes(r: Routes) -> Routes {
    let base = "/api/v1/initiatives/{slug}";
    let on = Access::Initiative;
    r.get(
        &format!("{base}/decisions/{{id}}/positions"),
        on(Action::Read, "decision"),
        positions,
    )
    .post(
        &format!("{base}/decisions/{{id}}/positions"),
        on(Action::Participate, "decision"),
        state_position,
    )
    .post(
        &format!("{base}/decisions/{{id}}/close"),
        on(Action::Update, "decision"),
        close,
    )
    .get(
        &format!("{base}/decision-register"),
        on(Action::Read, "decision"),
        register,
    )
    .get(
        &format!("{base}/my-actions"),
        on(Action::Read, "action_item"),
        my_actions,
    )
}

/// A decision's positions, tally and outcome as the API shows them.
pub fn view_json(v: &DecisionView) -> Value {
    let row = |p: &store::meetings::decisions::PositionRow| {
        json!({
            "id": p.id,
            "person_id": p.person_id,
            "person": p.person,
            "position": p.position,
            "reason": p.reason,
            "recorded_at": p.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "superseded_at": p.superseded_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        })
    };
    json!({
        "decision_id": v.decision.id,
        "version": v.decision.version,
        "process": v.decision.data.process.as_str(),
        "closed": v.closed.is_some(),
        "decided_on": v.closed.as_ref().map(|c| c.decided_on.to_string()),
        "outcome": v.verdict.outcome.as_str(),
        "reason": v.verdict.reason.as_str(),
        "tally": v.verdict.tally,
        "live": v.live.iter().map(row).collect::<Vec<_>>(),
        "history": v.history.iter().map(row).collect::<Vec<_>>(),
    })
}

async fn load(reg: &Registry<'_>, id: i64) -> Result<DecisionView, AppError> {
    reg.allow::<Decision>(Action::Read)?;
    Ok(reg.store.decision_view(reg.initiative, id, today()).await?)
}

async fn positions(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    Ok(Json(view_json(&load(&reg, id).await?)))
}

fn object(body: Value, allowed: &[&str]) -> Result<Map<String, Value>, AppError> {
    let Value::Object(obj) = body else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(AppError::Invalid(FieldErrors::single(
            k,
            "unknown_field",
            format!("{k} is not taken here (only {})", allowed.join(", ")),
        )));
    }
    Ok(obj)
}

fn id_field(obj: &Map<String, Value>, field: &str, errors: &mut FieldErrors) -> Option<i64> {
    match obj.get(field) {
        None | Some(Value::Null) => {
            errors.add(field, "required", format!("{field} is required"));
            None
        }
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) if v >= 1 => Some(v),
            _ => {
                errors.add(
                    field,
                    "invalid_number",
                    format!("{field} must be a whole number of at least 1"),
                );
                None
            }
        },
        Some(_) => {
            errors.add(field, "invalid_type", format!("{field} must be an integer"));
            None
        }
    }
}

fn text_field(obj: &Map<String, Value>, field: &str, errors: &mut FieldErrors) -> String {
    match obj.get(field) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            errors.add(field, "invalid_type", format!("{field} must be a string"));
            String::new()
        }
    }
}

/// `{"person_id", "position", "reason"}`: state a member's position. A
/// coordinator records any member's; anyone else only their own.
async fn state_position(
    State(s): State<AppState>,
    auth: ApiAuthorized<Participate>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    reg.allow::<Decision>(Action::Participate)?;
    reg.get::<Decision>(id).await?;
    let obj = object(body, &["person_id", "position", "reason"])?;
    let mut errors = FieldErrors::default();
    let person = id_field(&obj, "person_id", &mut errors);
    let position = match obj.get("position") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => {
            errors.add("position", "required", "position is required");
            String::new()
        }
        Some(_) => {
            errors.add("position", "invalid_type", "position must be a string");
            String::new()
        }
    };
    let reason = text_field(&obj, "reason", &mut errors);
    let Some(person) = person.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    check_own(&reg, auth.user.id, person).await?;
    s.store
        .state_position(
            reg.actor,
            reg.initiative,
            id,
            person,
            &position,
            &reason,
            today(),
        )
        .await?;
    Ok(Json(view_json(&load(&reg, id).await?)))
}

/// `{"version"}`: close the decision with the outcome of its live positions.
async fn close(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    reg.allow::<Decision>(Action::Update)?;
    reg.get::<Decision>(id).await?;
    let obj = object(body, &["version"])?;
    let mut errors = FieldErrors::default();
    let Some(version) = id_field(&obj, "version", &mut errors) else {
        return Err(AppError::Invalid(errors));
    };
    s.store
        .close_decision(reg.actor, reg.initiative, id, version, today())
        .await?;
    Ok(Json(view_json(&load(&reg, id).await?)))
}

#[derive(Deserialize)]
struct RegisterQuery {
    body_id: Option<i64>,
    outcome: Option<String>,
    page: Option<u64>,
}

async fn register(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiQuery(q): ApiQuery<RegisterQuery>,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    reg.allow::<Decision>(Action::Read)?;
    let page = q.page.unwrap_or(1);
    if !(1..=1_000_000).contains(&page) {
        return Err(AppError::Invalid(FieldErrors::single(
            "page",
            "invalid_number",
            "page must be from 1 to 1000000",
        )));
    }
    if q.body_id.is_some_and(|b| b < 1) {
        return Err(AppError::Invalid(FieldErrors::single(
            "body_id",
            "invalid_number",
            "body_id must be a whole number of at least 1",
        )));
    }
    // The API takes exactly the schema's values (the page's select also sends
    // an empty one for "any").
    if q.outcome
        .as_deref()
        .is_some_and(|o| !["open", "passed", "not_passed"].contains(&o))
    {
        return Err(AppError::Invalid(FieldErrors::single(
            "outcome",
            "invalid_choice",
            "outcome must be open, passed or not_passed",
        )));
    }
    let filter = RegisterFilter {
        body_id: q.body_id,
        outcome: outcome_filter(q.outcome.as_deref())?,
        public_only: false,
    };
    let p = s
        .store
        .decision_register(reg.initiative, &filter, page, REGISTER_PAGE)
        .await?;
    Ok(Json(json!({
        "items": p.rows,
        "page": page,
        "per_page": REGISTER_PAGE,
        "total": p.total,
    })))
}

pub(crate) fn action_json(m: &MyAction) -> Value {
    let d = &m.item.data;
    json!({
        "id": m.item.id,
        "title": d.title,
        "body_id": d.body_id,
        "body": m.body,
        "meeting_id": d.meeting_id,
        "decision_id": d.decision_id,
        "owner_person_id": d.owner_person_id,
        "owner_organization_id": d.owner_organization_id,
        "due_on": d.due_on.to_string(),
        "status": d.status.as_str(),
        "overdue": m.overdue,
    })
}

async fn my_actions(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    reg.allow::<ActionItem>(Action::Read)?;
    let items = s
        .store
        .my_actions(reg.initiative, auth.user.id, today())
        .await?;
    Ok(Json(json!({
        "items": items.iter().map(action_json).collect::<Vec<_>>(),
    })))
}

/// This module's paths and schemas in the OpenAPI document.
pub fn openapi(d: &mut Doc) {
    let int = json!({"type": "integer", "format": "int64"});
    let opt_int = json!({"type": "integer", "format": "int64", "nullable": true});
    let text = json!({"type": "string"});
    let opt_text = json!({"type": "string", "nullable": true});
    let date = json!({"type": "string", "format": "date"});
    let opt_date = json!({"type": "string", "format": "date", "nullable": true});
    let positions: Vec<&str> = Position::ALL.iter().map(|p| p.as_str()).collect();
    let position_row = json!({"type": "object", "properties": {
        "id": int, "person_id": int, "person": text,
        "position": {"type": "string", "enum": positions},
        "reason": text,
        "recorded_at": {"type": "string", "format": "date-time"},
        "superseded_at": {"type": "string", "format": "date-time", "nullable": true}
    }, "required": ["id", "person_id", "person", "position", "reason", "recorded_at", "superseded_at"]});
    let count = json!({"type": "integer", "minimum": 0});
    d.schemas.insert("DecisionPositions".into(), json!({"type": "object", "properties": {
        "decision_id": int, "version": int,
        "process": {"type": "string", "enum": ["consent", "consensus", "vote"]},
        "closed": {"type": "boolean"},
        "decided_on": opt_date,
        "outcome": {"type": "string", "enum": ["passed", "not_passed"], "description": "once closed, the outcome it was closed on; before, what the live positions give now"},
        "reason": {"type": "string", "enum": ["passed", "no_quorum", "blocked", "not_all_agree", "no_majority"]},
        "tally": {"type": "object", "properties": {
            "counts": {"type": "object", "additionalProperties": count, "description": "counted positions by code"},
            "members": count, "quorum_required": count, "quorum_counted": count,
            "quorum_met": {"type": "boolean"},
            "blocking": {"type": "array", "items": int, "description": "person ids of members whose block stands"},
            "missing": {"type": "array", "items": int, "description": "consensus: person ids of members who must take part and neither agreed nor stood aside"}
        }, "required": ["counts", "members", "quorum_required", "quorum_counted", "quorum_met", "blocking", "missing"]},
        "live": {"type": "array", "items": position_row.clone()},
        "history": {"type": "array", "items": position_row, "description": "superseded positions, oldest first"}
    }, "required": ["decision_id", "version", "process", "closed", "decided_on", "outcome", "reason", "tally", "live", "history"]}));
    d.schemas.insert("PositionInput".into(), json!({"type": "object", "properties": {
        "person_id": {"type": "integer", "format": "int64", "minimum": 1, "description": "a current member of the decision's body; anyone but a coordinator may give only the person linked to their own account"},
        "position": {"type": "string", "enum": positions, "description": "consent: agree, abstain, disagree, block; consensus: agree, stand_aside, block; vote: agree (yes), disagree (no), abstain"},
        "reason": {"type": "string", "nullable": true, "maxLength": MAX_REASON, "pattern": MULTI, "description": "required to disagree or block (consent) and to stand aside or block (consensus)"}
    }, "required": ["person_id", "position"], "additionalProperties": false}));
    d.schemas.insert("CloseDecisionInput".into(), json!({"type": "object", "properties": {
        "version": {"type": "integer", "format": "int64", "minimum": 1, "description": "the decision's version you read (a stale one is 409)"}
    }, "required": ["version"], "additionalProperties": false}));
    d.schemas.insert("DecisionRegister".into(), json!({"type": "object", "properties": {
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "id": int, "title": text, "body_id": int, "body": text,
            "meeting_id": opt_int, "meeting_start": opt_text,
            "process": text, "public": {"type": "boolean"},
            "outcome": {"type": "string", "nullable": true, "enum": ["passed", "not_passed", null]},
            "decided_on": opt_date, "outcome_statement": text
        }, "required": ["id", "title", "body_id", "body", "meeting_id", "meeting_start", "process", "public", "outcome", "decided_on", "outcome_statement"]}},
        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}
    }, "required": ["items", "page", "per_page", "total"]}));
    d.schemas.insert("MyActions".into(), json!({"type": "object", "properties": {
        "items": {"type": "array", "description": "overdue first, then by due date", "items": {"type": "object", "properties": {
            "id": int, "title": text, "body_id": int, "body": text,
            "meeting_id": opt_int, "decision_id": opt_int,
            "owner_person_id": opt_int, "owner_organization_id": opt_int,
            "due_on": date,
            "status": {"type": "string", "enum": ["open", "done", "dropped"]},
            "overdue": {"type": "boolean"}
        }, "required": ["id", "title", "body_id", "body", "meeting_id", "decision_id", "owner_person_id", "owner_organization_id", "due_on", "status", "overdue"]}}
    }, "required": ["items"]}));
    let base = "/api/v1/initiatives/{slug}";
    d.paths.insert(format!("{base}/decisions/{{id}}/positions"), json!({
        "get": op("A decision's live positions, their history and the tally", "decisions", json!([p_slug(), p_id()]), None, ("200", reference("DecisionPositions")), &["401", "404"]),
        "post": op("State a member's position (a later one from the same member replaces it; both are kept). 422 names person_id for a non-member, decision once closed", "decisions", json!([p_slug(), p_id()]), Some("PositionInput"), ("200", reference("DecisionPositions")), &["400", "401", "403", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/decisions/{{id}}/close"), json!({
        "post": op("Close a decision with the outcome of its live positions (coordinators)", "decisions", json!([p_slug(), p_id()]), Some("CloseDecisionInput"), ("200", reference("DecisionPositions")), &["400", "401", "403", "404", "409", "422"]),
    }));
    d.paths.insert(format!("{base}/decision-register"), json!({
        "get": op("The decision register, newest first, 50 a page", "decisions", json!([p_slug(),
            {"name": "body_id", "in": "query", "schema": {"type": "integer", "format": "int64", "minimum": 1}},
            {"name": "outcome", "in": "query", "schema": {"type": "string", "enum": ["open", "passed", "not_passed"]}},
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000}}]),
            None, ("200", reference("DecisionRegister")), &["400", "401", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/my-actions"), json!({
        "get": op("The caller's own action items (as a person, or for an organization they represent), overdue first", "decisions", json!([p_slug()]), None, ("200", reference("MyActions")), &["401", "404"]),
    }));
}
