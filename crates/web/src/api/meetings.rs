//! The calendar in the JSON API: series of meetings (scheduling one creates
//! all its meetings), ending a series early, skipping or moving one meeting,
//! and a body's occurrences (the same JSON as `backbone export meetings`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use domain::access::Action;
use domain::meetings::records::{MAX_SERIES_YEARS, MeetingSeries};
use domain::meetings::recurrence::occurrence_rows;
use domain::partnership::Body;
use domain::resource::Resource;
use domain::validation::{FieldErrors, FieldMap, MAX_NAME};
use store::records::ListOptions;

use super::extract::{ApiJson, ApiPath};
use super::openapi::{Doc, op, p_id, p_slug, reference};
use crate::AppState;
use crate::access::{ApiAuthorized, Read, Write};
use crate::error::{ApiResult, AppError};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let base = "/api/v1/initiatives/{slug}";
    let on = Access::Initiative;
    r.get(
        &format!("{base}/meeting-series"),
        on(Action::Read, "meeting"),
        list_series,
    )
    .post(
        &format!("{base}/meeting-series"),
        on(Action::Create, "meeting"),
        schedule,
    )
    .get(
        &format!("{base}/meeting-series/{{id}}"),
        on(Action::Read, "meeting"),
        get_series,
    )
    .post(
        &format!("{base}/meeting-series/{{id}}/end"),
        on(Action::Update, "meeting"),
        end_series,
    )
    .post(
        &format!("{base}/meetings/{{id}}/skip"),
        on(Action::Update, "meeting"),
        skip,
    )
    .post(
        &format!("{base}/meetings/{{id}}/move"),
        on(Action::Update, "meeting"),
        move_meeting,
    )
    .get(
        &format!("{base}/bodies/{{id}}/occurrences"),
        on(Action::Read, "meeting"),
        occurrences,
    )
}

const SERIES_FIELDS: &[&str] = &[
    "body_id",
    "title",
    "first_start",
    "duration_minutes",
    "time_zone",
    "interval_weeks",
    "until",
    "place",
    "online_url",
];

/// Fields the API takes as JSON integers; every other field is a JSON string.
const INTEGER_FIELDS: &[&str] = &["body_id", "duration_minutes", "interval_weeks", "version"];

/// A JSON object as form fields, refusing fields not in `allowed`, integers
/// given as text and text given as numbers (null is absent).
pub(crate) fn fields(body: &Value, allowed: &[&str]) -> Result<FieldMap, FieldErrors> {
    let Value::Object(obj) = body else {
        return Err(FieldErrors::single(
            "body",
            "not_an_object",
            "the body must be a JSON object",
        ));
    };
    let mut m = FieldMap::new();
    let mut errors = FieldErrors::default();
    for (k, v) in obj {
        if !allowed.contains(&k.as_str()) {
            errors.add(
                k,
                "unknown_field",
                format!("{k} is not a field of this request"),
            );
            continue;
        }
        let integer = INTEGER_FIELDS.contains(&k.as_str());
        match v {
            Value::Null => {}
            Value::String(s) if !integer => {
                m.insert(k.clone(), s.clone());
            }
            Value::Number(n) if integer && n.is_i64() => {
                m.insert(k.clone(), n.to_string());
            }
            _ if integer => errors.add(k, "invalid_type", format!("{k} must be a whole number")),
            _ => errors.add(k, "invalid_type", format!("{k} must be a string")),
        }
    }
    errors.finish(m)
}

fn version_of(m: &FieldMap) -> Result<Option<i64>, FieldErrors> {
    match m.get("version") {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .map(Some)
            .ok_or_else(|| {
                FieldErrors::single(
                    "version",
                    "invalid_integer",
                    "version must be a whole number",
                )
            }),
    }
}

fn series_json(s: &store::meetings::calendar::Scheduled) -> Value {
    let mut v = serde_json::to_value(&s.series).unwrap_or(Value::Null);
    v["meeting_ids"] = json!(s.meeting_ids);
    v
}

async fn schedule(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiJson(body): ApiJson,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let m = fields(&body, SERIES_FIELDS).map_err(AppError::Invalid)?;
    let series = MeetingSeries::parse(&m).map_err(AppError::Invalid)?;
    let i = auth.initiative().id;
    auth.registry(&s.store)
        .get::<Body>(series.body_id)
        .await
        .map_err(|_| {
            AppError::Invalid(FieldErrors::single(
                "body_id",
                "unknown_reference",
                "body_id names no body of this initiative",
            ))
        })?;
    let done = s
        .store
        .schedule_series(Some(auth.user.id), i, &series)
        .await?;
    Ok((StatusCode::CREATED, Json(series_json(&done))))
}

async fn list_series(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
) -> ApiResult<Json<Value>> {
    let items = auth
        .registry(&s.store)
        .list::<MeetingSeries>(ListOptions::default())
        .await?;
    Ok(Json(json!({ "items": items })))
}

async fn get_series(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let i = auth.initiative().id;
    let series = auth.registry(&s.store).get::<MeetingSeries>(id).await?;
    let meeting_ids = s.store.series_meeting_ids(i, id).await?;
    Ok(Json(series_json(&store::meetings::calendar::Scheduled {
        series,
        meeting_ids,
    })))
}

async fn end_series(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let m = fields(&body, &["until", "version"]).map_err(AppError::Invalid)?;
    let i = auth.initiative().id;
    let current = auth.registry(&s.store).get::<MeetingSeries>(id).await?;
    if version_of(&m)
        .map_err(AppError::Invalid)?
        .is_some_and(|v| v != current.version)
    {
        return Err(store::StoreError::Conflict {
            current: serde_json::to_value(&current).unwrap_or(Value::Null),
        }
        .into());
    }
    let until = match m.get("until").map(|u| u.trim()) {
        None | Some("") => {
            return Err(AppError::Invalid(FieldErrors::single(
                "until",
                "required",
                "until is required",
            )));
        }
        Some(u) => u.parse::<chrono::NaiveDate>().map_err(|_| {
            AppError::Invalid(FieldErrors::single(
                "until",
                "invalid_date",
                "until must be a date as YYYY-MM-DD",
            ))
        })?,
    };
    let (series, cancelled) = s.store.end_series(Some(auth.user.id), i, id, until).await?;
    let mut v = serde_json::to_value(&series).unwrap_or(Value::Null);
    v["cancelled_meeting_ids"] = json!(cancelled);
    Ok(Json(v))
}

async fn skip(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let m = fields(&body, &["version"]).map_err(AppError::Invalid)?;
    let version = version_of(&m).map_err(AppError::Invalid)?;
    let rec = s
        .store
        .skip_meeting(Some(auth.user.id), auth.initiative().id, id, version)
        .await?;
    Ok(Json(serde_json::to_value(&rec).unwrap_or(Value::Null)))
}

async fn move_meeting(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let m = fields(&body, &["starts_at", "ends_at", "version"]).map_err(AppError::Invalid)?;
    let version = version_of(&m).map_err(AppError::Invalid)?;
    let get = |k: &str| m.get(k).map(String::as_str).unwrap_or("");
    let rec = s
        .store
        .move_meeting(
            Some(auth.user.id),
            auth.initiative().id,
            id,
            get("starts_at"),
            get("ends_at"),
            version,
        )
        .await?;
    Ok(Json(serde_json::to_value(&rec).unwrap_or(Value::Null)))
}

async fn occurrences(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Value>> {
    let feed = s.store.body_feed(auth.initiative().id, id).await?;
    Ok(Json(json!({ "items": occurrence_rows(&feed) })))
}

/// This module's paths and schemas in the OpenAPI document.
pub fn openapi(d: &mut Doc) {
    let base = "/api/v1/initiatives/{slug}";
    let local = json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?$", "maxLength": 19, "example": "2025-03-27T18:00"});
    let id = json!({"type": "integer", "format": "int64", "minimum": 1, "maximum": i64::MAX});
    let version = json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": i64::MAX, "description": "the version the change is based on (a stale one is a 409)"});
    let any = json!({"type": "object"});
    d.schemas.insert("MeetingSeriesInput".into(), json!({
        "type": "object", "additionalProperties": false,
        "required": ["body_id", "title", "first_start", "duration_minutes", "time_zone", "interval_weeks", "until"],
        "properties": {
            "body_id": id,
            "title": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
            "first_start": local,
            "duration_minutes": {"type": "integer", "minimum": 5, "maximum": 1440},
            "time_zone": {"type": "string", "minLength": 1, "maxLength": 64, "example": "Asia/Jerusalem"},
            "interval_weeks": {"type": "integer", "minimum": 1, "maximum": 8},
            "until": {"type": "string", "format": "date", "description": format!("the last day an occurrence may fall on; at most {MAX_SERIES_YEARS} years after the first")},
            "place": {"type": "string", "maxLength": MAX_NAME, "nullable": true},
            "online_url": {"type": "string", "maxLength": 2000, "nullable": true},
        },
    }));
    d.schemas.insert("MeetingSeriesScheduled".into(), json!({
        "type": "object",
        "properties": {"id": id, "version": {"type": "integer"}, "meeting_ids": {"type": "array", "items": {"type": "integer"}}},
        "required": ["id", "version", "meeting_ids"],
    }));
    d.schemas.insert(
        "MeetingSeriesEnd".into(),
        json!({
            "type": "object", "additionalProperties": false, "required": ["until"],
            "properties": {"until": {"type": "string", "format": "date"}, "version": version},
        }),
    );
    d.schemas.insert(
        "MeetingSkip".into(),
        json!({
            "type": "object", "additionalProperties": false,
            "properties": {"version": version},
        }),
    );
    d.schemas.insert(
        "MeetingMove".into(),
        json!({
            "type": "object", "additionalProperties": false, "required": ["starts_at", "ends_at"],
            "properties": {"starts_at": local, "ends_at": local, "version": version},
        }),
    );
    d.schemas.insert("Occurrence".into(), json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "body_id": {"type": "integer"}, "title": {"type": "string"},
            "start": {"type": "string", "description": "RFC 3339 with the offset", "example": "2025-03-27T18:00:00+02:00"},
            "end": {"type": "string"}, "time_zone": {"type": "string"},
            "status": {"type": "string", "enum": ["planned", "held", "cancelled"]},
            "series_id": {"type": "integer", "nullable": true},
            "original_start": {"type": "string", "nullable": true},
            "place": {"type": "string"}, "online_url": {"type": "string", "nullable": true},
        },
        "required": ["id", "title", "start", "end", "status", "time_zone"],
    }));
    d.paths.insert(format!("{base}/meeting-series"), json!({
        "get": op("Series of meetings", "meetings", json!([p_slug()]), None, ("200", any.clone()), &["401", "403", "404"]),
        "post": op("Schedule a series: the series and all its meetings, planned, in one step (coordinators)", "meetings", json!([p_slug()]), Some("MeetingSeriesInput"), ("201", reference("MeetingSeriesScheduled")), &["401", "403", "404", "422"]),
    }));
    d.paths.insert(format!("{base}/meeting-series/{{id}}"), json!({
        "get": op("A series and the ids of its meetings", "meetings", json!([p_slug(), p_id()]), None, ("200", reference("MeetingSeriesScheduled")), &["401", "403", "404"]),
    }));
    d.paths.insert(format!("{base}/meeting-series/{{id}}/end"), json!({
        "post": op("End a series early: its planned meetings after the new last day are cancelled", "meetings", json!([p_slug(), p_id()]), Some("MeetingSeriesEnd"), ("200", any.clone()), &["401", "403", "404", "409", "422"]),
    }));
    d.paths.insert(format!("{base}/meetings/{{id}}/skip"), json!({
        "post": op("Skip one meeting (it is cancelled and keeps its place in its series)", "meetings", json!([p_slug(), p_id()]), Some("MeetingSkip"), ("200", any.clone()), &["401", "403", "404", "409", "422"]),
    }));
    d.paths.insert(format!("{base}/meetings/{{id}}/move"), json!({
        "post": op("Move one meeting to a new local start and end", "meetings", json!([p_slug(), p_id()]), Some("MeetingMove"), ("200", any.clone()), &["401", "403", "404", "409", "422"]),
    }));
    d.paths.insert(format!("{base}/bodies/{{id}}/occurrences"), json!({
        "get": op("A body's meetings, one per occurrence (series expanded, exceptions applied, cancelled ones marked)", "meetings", json!([p_slug(), p_id()]), None, ("200", json!({"type": "object", "properties": {"items": {"type": "array", "items": reference("Occurrence")}}, "required": ["items"]})), &["401", "403", "404"]),
    }));
}
