//! The meeting room in the JSON API: a meeting's agenda, attendance, guests,
//! quorum, minutes and their approval (`GET …/meetings/{id}/room`); recording
//! attendance and guests, saving minutes, approving an earlier meeting's
//! minutes, marking a meeting held, moving an agenda item; and the stipends
//! attendance accrued (`GET …/stipends?year=`, coordinators only). Bodies refuse
//! unknown properties and wrong types with 422 naming the field.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use domain::access::{Action, Decision, decide};
use domain::funding::money;
use domain::meetings::minutes::MAX_MINUTES;
use domain::meetings::quorum::Presence;
use domain::meetings::records::{AgendaItem, Meeting};
use domain::partnership::Membership;
use domain::resource::{Class, Resource};
use domain::validation::FieldErrors;
use store::meetings::room::{AttendanceInput, GuestInput, MAX_GUEST_TEXT, MinutesVersion, Room};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::openapi::{Doc, op, p_id, p_slug, reference};
use crate::AppState;
use crate::access::{ApiAuthorized, Read, Registry};
use crate::error::{ApiResult, AppError};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let base = "/api/v1/initiatives/{slug}";
    let on = Access::Initiative;
    r.get(
        &format!("{base}/meetings/{{id}}/room"),
        on(Action::Read, "meeting"),
        room,
    )
    .put(
        &format!("{base}/meetings/{{id}}/attendance"),
        on(Action::Update, "meeting"),
        put_attendance,
    )
    .put(
        &format!("{base}/meetings/{{id}}/minutes"),
        on(Action::Update, "meeting"),
        put_minutes,
    )
    .post(
        &format!("{base}/meetings/{{id}}/approve-minutes"),
        on(Action::Update, "meeting"),
        approve_minutes,
    )
    .post(
        &format!("{base}/meetings/{{id}}/held"),
        on(Action::Update, "meeting"),
        held,
    )
    .post(
        &format!("{base}/agenda-items/{{id}}/move"),
        on(Action::Update, "agenda_item"),
        move_item,
    )
    // What members are paid is for those who run the registry: the route is
    // declared as changing memberships (coordinators), and the handler asks the
    // policy for the pay class itself.
    .get(
        &format!("{base}/stipends"),
        on(Action::Update, "membership"),
        stipends,
    )
}

/// Most people or guests one attendance request names.
const MAX_ROWS: usize = 1000;

fn bad(field: &str, code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Invalid(FieldErrors::single(field, code, message))
}

/// The body as an object holding only `allowed` keys.
fn object(body: Value, allowed: &[&str]) -> Result<Map<String, Value>, AppError> {
    let Value::Object(obj) = body else {
        return Err(bad("body", "invalid", "the body must be a JSON object"));
    };
    if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(
            k,
            "unknown_field",
            format!("{k} is not taken here (only {})", allowed.join(", ")),
        ));
    }
    Ok(obj)
}

fn id_of(v: &Value, field: &str) -> Result<i64, AppError> {
    match v.as_i64() {
        Some(n) if n >= 1 => Ok(n),
        _ => Err(bad(
            field,
            "invalid_id",
            format!("{field} must be a positive integer id"),
        )),
    }
}

fn string_of<'a>(v: &'a Value, field: &str, max: usize) -> Result<&'a str, AppError> {
    match v.as_str() {
        Some(s) if s.chars().count() <= max => Ok(s),
        Some(_) => Err(bad(
            field,
            "too_long",
            format!("{field} may be at most {max} characters"),
        )),
        None => Err(bad(field, "invalid", format!("{field} must be a string"))),
    }
}

/// A registry's meeting, or 404; read access to meetings decided first.
async fn meeting(reg: &Registry<'_>, id: i64) -> Result<(), AppError> {
    reg.get::<Meeting>(id).await.map(|_| ())
}

fn minutes_json(v: &Option<MinutesVersion>) -> Value {
    match v {
        Some(v) => json!({
            "id": v.id, "version": v.version, "html": v.html,
            "author_id": v.author_id, "created_at": v.created_at,
        }),
        None => Value::Null,
    }
}

/// The room as the API shows it.
pub fn room_json(r: &Room, carried: Value) -> Value {
    let m = &r.meeting;
    let start = domain::meetings::stipend::instant(m.data.start_local(), m.data.tz());
    let end = domain::meetings::stipend::instant(m.data.end_local(), m.data.tz());
    let tz = m.data.tz();
    json!({
        "meeting": {
            "id": m.id, "version": m.version, "title": m.data.title,
            "body_id": m.data.body_id, "body": r.body.data.name,
            "starts_at": m.data.starts_at, "ends_at": m.data.ends_at, "time_zone": m.data.time_zone,
            "start": start.with_timezone(&tz).to_rfc3339(),
            "end": end.with_timezone(&tz).to_rfc3339(),
            "place": m.data.place, "online_url": m.data.online_url, "status": m.data.status,
        },
        "agenda": r.items.iter().map(|i| json!({
            "id": i.item.id, "version": i.item.version, "position": i.item.data.position,
            "title": i.item.data.title, "description": i.item.data.description,
            "presenter_person_id": i.item.data.presenter_person_id, "presenter": i.presenter,
            "minutes_allotted": i.item.data.minutes_allotted,
            "objective_id": i.item.data.objective_id, "objective": i.objective,
            "indicator_id": i.item.data.indicator_id, "indicator": i.indicator,
            "activity_id": i.item.data.activity_id, "activity": i.activity,
            "minutes": minutes_json(&i.minutes),
        })).collect::<Vec<_>>(),
        "carried_actions": carried,
        "attendance": r.members,
        "guests": r.guests,
        "quorum": r.quorum,
        "minutes": minutes_json(&r.minutes),
        "approval": r.approval,
        "approved_here": r.approved_here.iter().map(|(id, label)| json!({"meeting_id": id, "label": label})).collect::<Vec<_>>(),
        "awaiting_approval": r.awaiting_approval,
    })
}

async fn room_value(reg: &Registry<'_>, id: i64) -> Result<Value, AppError> {
    meeting(reg, id).await?;
    let r = reg.store.meeting_room(reg.initiative, id).await?;
    let carried = reg.store.carried_actions(reg.initiative, id).await?;
    let owners = reg
        .store
        .action_owner_names(reg.initiative, &carried)
        .await?;
    let carried = carried
        .iter()
        .zip(owners)
        .map(|(a, owner)| {
            json!({"id": a.id, "title": a.data.title, "owner": owner,
               "owner_person_id": a.data.owner_person_id,
               "owner_organization_id": a.data.owner_organization_id,
               "due_on": a.data.due_on})
        })
        .collect::<Vec<_>>();
    Ok(room_json(&r, json!(carried)))
}

async fn room(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    Ok(Json(room_value(&reg, id).await?))
}

/// `{"attendance": [{"person_id", "status"}], "guests": [{"name", "affiliation"}]}`:
/// the meeting's attendance replaced whole (and its guests, when given).
async fn put_attendance(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    reg.allow::<Meeting>(Action::Update)?;
    meeting(&reg, id).await?;
    let obj = object(body, &["attendance", "guests"])?;
    let Some(list) = obj.get("attendance") else {
        return Err(bad(
            "attendance",
            "required",
            "attendance is required: a list of {person_id, status}",
        ));
    };
    let Some(list) = list.as_array() else {
        return Err(bad("attendance", "invalid", "attendance must be a list"));
    };
    if list.len() > MAX_ROWS {
        return Err(bad(
            "attendance",
            "too_many",
            format!("attendance holds at most {MAX_ROWS} people"),
        ));
    }
    let mut entries = vec![];
    for (i, e) in list.iter().enumerate() {
        let at = |f: &str| format!("attendance[{i}].{f}");
        let e = object(e.clone(), &["person_id", "status"]).map_err(|err| match err {
            AppError::Invalid(fe) => {
                let mut out = FieldErrors::default();
                for (k, v) in fe.0 {
                    out.add(&at(&k), v.code, v.message);
                }
                AppError::Invalid(out)
            }
            e => e,
        })?;
        let person_id = id_of(e.get("person_id").unwrap_or(&Value::Null), &at("person_id"))?;
        let status = e
            .get("status")
            .and_then(|v| v.as_str())
            .and_then(Presence::parse)
            .ok_or_else(|| {
                bad(
                    &at("status"),
                    "invalid_choice",
                    format!("{} must be present, excused or absent", at("status")),
                )
            })?;
        entries.push(AttendanceInput { person_id, status });
    }
    let guests = match obj.get("guests") {
        None | Some(Value::Null) => None,
        Some(Value::Array(gs)) if gs.len() > MAX_ROWS => {
            return Err(bad(
                "guests",
                "too_many",
                format!("guests holds at most {MAX_ROWS} guests"),
            ));
        }
        Some(Value::Array(gs)) => {
            let mut out = vec![];
            for (i, g) in gs.iter().enumerate() {
                let at = |f: &str| format!("guests[{i}].{f}");
                let Value::Object(g) = g else {
                    return Err(bad(
                        &format!("guests[{i}]"),
                        "invalid",
                        "a guest is {name, affiliation}",
                    ));
                };
                if let Some(k) = g
                    .keys()
                    .find(|k| !["name", "affiliation"].contains(&k.as_str()))
                {
                    return Err(bad(
                        &at(k),
                        "unknown_field",
                        format!("{k} is not a field of a guest"),
                    ));
                }
                let name = string_of(
                    g.get("name").unwrap_or(&Value::Null),
                    &at("name"),
                    MAX_GUEST_TEXT,
                )?;
                let affiliation = match g.get("affiliation") {
                    None | Some(Value::Null) => "",
                    Some(v) => string_of(v, &at("affiliation"), MAX_GUEST_TEXT)?,
                };
                out.push(GuestInput {
                    name: name.into(),
                    affiliation: affiliation.into(),
                });
            }
            Some(out)
        }
        Some(_) => {
            return Err(bad("guests", "invalid", "guests must be a list"));
        }
    };
    s.store
        .record_attendance(reg.actor, reg.initiative, id, &entries, guests.as_deref())
        .await?;
    Ok(Json(room_value(&reg, id).await?))
}

/// `{"agenda_item_id": id or null, "html": "…"}`: a new version of the minutes.
async fn put_minutes(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    reg.allow::<Meeting>(Action::Update)?;
    meeting(&reg, id).await?;
    let obj = object(body, &["agenda_item_id", "html"])?;
    let item = match obj.get("agenda_item_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(id_of(v, "agenda_item_id")?),
    };
    let html = string_of(obj.get("html").unwrap_or(&Value::Null), "html", MAX_MINUTES)?;
    let v = s
        .store
        .save_minutes(reg.actor, reg.initiative, id, item, html)
        .await?;
    Ok(Json(json!({
        "id": v.id, "meeting_id": v.meeting_id, "agenda_item_id": v.agenda_item_id,
        "version": v.version, "html": v.html, "author_id": v.author_id, "created_at": v.created_at,
    })))
}

/// `{"minutes_of": meeting id}`: approve an earlier meeting's minutes at this one.
async fn approve_minutes(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    reg.allow::<Meeting>(Action::Update)?;
    meeting(&reg, id).await?;
    let obj = object(body, &["minutes_of"])?;
    let of = id_of(obj.get("minutes_of").unwrap_or(&Value::Null), "minutes_of")?;
    let ap = s
        .store
        .approve_minutes(reg.actor, reg.initiative, id, of)
        .await?;
    Ok(Json(json!(ap)))
}

/// Mark the meeting held; an optional `{"version"}` guards against a stale read.
async fn held(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    reg.allow::<Meeting>(Action::Update)?;
    meeting(&reg, id).await?;
    let version = match body.iter().all(u8::is_ascii_whitespace) {
        true => None,
        false => {
            let body: Value = serde_json::from_slice(&body)
                .map_err(|e| AppError::BadRequest(format!("the body is not JSON: {e}")))?;
            let obj = object(body, &["version"])?;
            match obj.get("version") {
                None | Some(Value::Null) => None,
                Some(v) => Some(id_of(v, "version")?),
            }
        }
    };
    let m = s
        .store
        .mark_held(reg.actor, reg.initiative, id, version)
        .await?;
    Ok(Json(json!(reg.shown(m))))
}

/// `{"direction": "up" | "down"}`: the agenda in its new order.
async fn move_item(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    reg.allow::<AgendaItem>(Action::Update)?;
    reg.get::<AgendaItem>(id).await?;
    let obj = object(body, &["direction"])?;
    let up = match obj.get("direction").and_then(|v| v.as_str()) {
        Some("up") => true,
        Some("down") => false,
        _ => {
            return Err(bad(
                "direction",
                "invalid_choice",
                "direction must be up or down",
            ));
        }
    };
    let items = s
        .store
        .move_agenda_item(reg.actor, reg.initiative, id, up)
        .await?;
    Ok(Json(json!({
        "items": items.into_iter().map(|i| reg.shown(i)).collect::<Vec<_>>()
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    pub year: Option<i32>,
}

/// The first and last year a stipend report may ask for.
pub const YEARS: (i32, i32) = (1970, 2200);

/// Whether the caller may see what members are paid (coordinators).
pub fn sees_pay(g: &domain::access::Grants) -> bool {
    decide(g, Action::Read, Membership::KIND, Class::Pay) == Decision::Allow
}

pub fn check_year(year: Option<i32>) -> Result<(), AppError> {
    match year {
        Some(y) if !(YEARS.0..=YEARS.1).contains(&y) => Err(bad(
            "year",
            "invalid_number",
            format!("year must be from {} to {}", YEARS.0, YEARS.1),
        )),
        _ => Ok(()),
    }
}

async fn stipends(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<Value>> {
    let reg = auth.registry(&s.store);
    if !sees_pay(reg.grants()) {
        return Err(AppError::Forbidden);
    }
    check_year(q.year)?;
    let rows = reg.store.stipends(reg.initiative, q.year).await?;
    Ok(Json(json!({
        "year": q.year,
        "items": rows.iter().map(|r| json!({
            "person_id": r.total.person_id, "person": r.person,
            "year": r.total.year, "month": r.total.month,
            "meetings": r.total.meetings, "minutes": r.total.minutes,
            "currency": r.total.currency, "amount_minor": r.total.total_cents,
            "amount": money::format_minor(r.total.total_cents, &r.total.currency),
        })).collect::<Vec<_>>(),
    })))
}

/// This module's paths and schemas in the OpenAPI document.
pub fn openapi(d: &mut Doc) {
    let base = "/api/v1/initiatives/{slug}";
    let id = json!({"type": "integer", "format": "int64", "minimum": 1});
    let text = json!({"type": "string"});
    let presence: Vec<&str> = Presence::ALL.iter().map(|p| p.as_str()).collect();
    let minutes = json!({"type": "object", "nullable": true, "properties": {
        "id": id, "version": {"type": "integer"}, "html": text,
        "author_id": {"type": "integer", "nullable": true}, "created_at": text,
    }});
    let quorum = json!({"type": "object", "properties": {
        "members": {"type": "integer"}, "present": {"type": "integer"},
        "required": {"type": "integer"}, "met": {"type": "boolean"},
    }, "required": ["members", "present", "required", "met"]});
    let approval = json!({"type": "object", "properties": {
        "meeting_id": id, "approved_at_meeting_id": id, "approved_at_meeting": text,
        "approved_by": {"type": "integer", "nullable": true}, "approved_at": text,
    }, "required": ["meeting_id", "approved_at_meeting_id", "approved_at"]});
    let mut opt_approval = approval.clone();
    opt_approval["nullable"] = json!(true);
    let s = &mut d.schemas;
    s.insert("MinutesApproval".into(), approval);
    s.insert(
        "MeetingRoom".into(),
        json!({"type": "object", "properties": {
            "meeting": {"type": "object", "description": "the meeting: local times with their zone, and start and end in RFC 3339 with the offset"},
            "agenda": {"type": "array", "items": {"type": "object", "properties": {
                "id": id, "position": {"type": "integer"}, "title": text,
                "presenter": {"type": "string", "nullable": true},
                "objective": {"type": "string", "nullable": true},
                "indicator": {"type": "string", "nullable": true},
                "activity": {"type": "string", "nullable": true},
                "minutes": minutes,
            }}},
            "carried_actions": {"type": "array", "description": "open action items of the body due before the meeting", "items": {"type": "object"}},
            "attendance": {"type": "array", "items": {"type": "object", "properties": {
                "person_id": id, "person": text, "organization": {"type": "string", "nullable": true},
                "status": {"type": "string", "nullable": true, "enum": [presence[0], presence[1], presence[2], null]},
            }}},
            "guests": {"type": "array", "items": {"type": "object", "properties": {
                "id": id, "name": text, "affiliation": text}}},
            "quorum": quorum,
            "minutes": minutes,
            "approval": opt_approval,
            "approved_here": {"type": "array", "items": {"type": "object"}},
            "awaiting_approval": {"type": "array", "items": {"type": "object"}},
        }, "required": ["meeting", "agenda", "attendance", "guests", "quorum"]}),
    );
    s.insert("AttendanceInput".into(), json!({"type": "object", "properties": {
        "attendance": {"type": "array", "maxItems": MAX_ROWS, "items": {"type": "object", "properties": {
            "person_id": {"type": "integer", "format": "int64", "minimum": 1, "description": "a current member of the meeting's body"},
            "status": {"type": "string", "enum": presence},
        }, "required": ["person_id", "status"], "additionalProperties": false}},
        "guests": {"type": "array", "nullable": true, "maxItems": MAX_ROWS, "description": "replaces the meeting's guests when given", "items": {"type": "object", "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_GUEST_TEXT, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"},
            "affiliation": {"type": "string", "nullable": true, "maxLength": MAX_GUEST_TEXT, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"},
        }, "required": ["name"], "additionalProperties": false}},
    }, "required": ["attendance"], "additionalProperties": false}));
    s.insert("MinutesInput".into(), json!({"type": "object", "properties": {
        "agenda_item_id": {"type": "integer", "format": "int64", "minimum": 1, "nullable": true, "description": "an item of this meeting's agenda; null for the minutes of the meeting as a whole"},
        "html": {"type": "string", "maxLength": MAX_MINUTES, "description": "rich text; kept sanitised to p, br, strong, em, ul, ol, li, a (http, https, mailto), h3, h4, blockquote"},
    }, "required": ["html"], "additionalProperties": false}));
    s.insert(
        "MinutesVersion".into(),
        json!({"type": "object", "properties": {
        "id": id, "meeting_id": id, "agenda_item_id": {"type": "integer", "nullable": true},
        "version": {"type": "integer"}, "html": text,
        "author_id": {"type": "integer", "nullable": true}, "created_at": text,
    }, "required": ["id", "meeting_id", "version", "html", "created_at"]}),
    );
    s.insert("ApproveMinutesInput".into(), json!({"type": "object", "properties": {
        "minutes_of": {"type": "integer", "format": "int64", "minimum": 1, "description": "an earlier meeting of the same body"},
    }, "required": ["minutes_of"], "additionalProperties": false}));
    s.insert(
        "MoveInput".into(),
        json!({"type": "object", "properties": {
        "direction": {"type": "string", "enum": ["up", "down"]},
    }, "required": ["direction"], "additionalProperties": false}),
    );
    s.insert(
        "AgendaOrder".into(),
        json!({"type": "object", "properties": {
        "items": {"type": "array", "items": reference("AgendaItem")},
    }, "required": ["items"]}),
    );
    s.insert("Stipends".into(), json!({"type": "object", "properties": {
        "year": {"type": "integer", "nullable": true},
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "person_id": id, "person": text, "year": {"type": "integer"}, "month": {"type": "integer"},
            "meetings": {"type": "integer"}, "minutes": {"type": "integer"},
            "currency": text, "amount_minor": {"type": "integer"}, "amount": text,
        }}},
    }, "required": ["items"]}));
    let m = |path: &str| format!("{base}/meetings/{{id}}/{path}");
    let tag = "meetings";
    let ps = json!([p_slug(), p_id()]);
    d.paths.insert(m("room"), json!({
        "get": op("A meeting's room: agenda, carried actions, attendance, guests, quorum, minutes and approval", tag, ps.clone(), None, ("200", reference("MeetingRoom")), &["401", "403", "404"]),
    }));
    d.paths.insert(m("attendance"), json!({
        "put": op("Record attendance of current members (and guests) in one go (coordinators)", tag, ps.clone(), Some("AttendanceInput"), ("200", reference("MeetingRoom")), &["401", "403", "404", "409", "422"]),
    }));
    d.paths.insert(m("minutes"), json!({
        "put": op("Save a new version of the minutes of an agenda item or of the meeting (coordinators); refused once approved", tag, ps.clone(), Some("MinutesInput"), ("200", reference("MinutesVersion")), &["401", "403", "404", "409", "422"]),
    }));
    d.paths.insert(m("approve-minutes"), json!({
        "post": op("Approve the minutes of an earlier meeting of the same body at this meeting (coordinators)", tag, ps.clone(), Some("ApproveMinutesInput"), ("200", reference("MinutesApproval")), &["401", "403", "404", "409", "422"]),
    }));
    let mut held = op(
        "Mark the meeting held (coordinators)",
        tag,
        ps.clone(),
        None,
        ("200", reference("Meeting")),
        &["401", "403", "404", "409", "422"],
    );
    held["requestBody"] = json!({"required": false, "content": {"application/json": {"schema": {
        "type": "object",
        "properties": {"version": {"type": "integer", "format": "int64", "minimum": 1, "nullable": true}},
        "additionalProperties": false
    }}}});
    for e in ["413", "415"] {
        held["responses"][e] = json!({"$ref": format!("#/components/responses/E{e}")});
    }
    d.paths.insert(m("held"), json!({"post": held}));
    d.paths.insert(format!("{base}/agenda-items/{{id}}/move"), json!({
        "post": op("Move an agenda item one place up or down; positions stay 1..n (coordinators)", tag, ps, Some("MoveInput"), ("200", reference("AgendaOrder")), &["401", "403", "404", "409", "422"]),
    }));
    d.paths.insert(format!("{base}/stipends"), json!({
        "get": op("Stipends accrued by attendance, per person and month (coordinators)", tag,
            json!([p_slug(), {"name": "year", "in": "query", "schema": {"type": "integer", "minimum": YEARS.0, "maximum": YEARS.1}}]),
            None, ("200", reference("Stipends")), &["401", "403", "404", "422"]),
    }));
}
