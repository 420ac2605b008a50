//! Shared measurement in the JSON API: values in (JSON items, or a CSV/XLSX
//! file as the request body) and out (keyset pages), the values template, an
//! indicator's report, period locks and a network's rollup. Imports go through
//! [`crate::imports`], the pipeline the command line and the pages use, so a
//! file is checked and written the same way everywhere.

use axum::Json;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use domain::access::Action;
use domain::measurement::Aggregation;
use domain::measurement::import::RowError;
use domain::measurement::period::Period;
use domain::measurement::stats::{DEFAULT_MIN_CELL, suppress};
use domain::partnership::Network;
use domain::validation::FieldErrors;
use store::measurement::BatchReport;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use crate::access::{ApiAuthorized, Read, Report, Write};
use crate::error::{ApiResult, AppError};
use crate::imports::{self, ImportError, ReportError};
use crate::routes::{Access, Routes};
use crate::session::ApiCaller;

/// The largest file `POST …/values/import` takes (as the upload page).
pub const MAX_FILE: usize = 32 * 1024 * 1024;
/// The most values one `GET …/values` answers.
pub const MAX_PAGE: u64 = 1000;

pub fn routes(r: Routes) -> Routes {
    let base = "/api/v1/initiatives/{slug}";
    let on = Access::Initiative;
    r.post(
        &format!("{base}/values"),
        on(Action::Report, "indicator"),
        post_values,
    )
    .get(
        &format!("{base}/values"),
        on(Action::Read, "indicator"),
        list_values,
    )
    .post_with_limit(
        &format!("{base}/values/import"),
        on(Action::Report, "indicator"),
        import_file,
        MAX_FILE,
    )
    .get(
        &format!("{base}/values/template.csv"),
        on(Action::Read, "indicator"),
        template,
    )
    .get(
        &format!("{base}/indicators/{{id}}/report"),
        on(Action::Read, "indicator"),
        report,
    )
    .post(
        &format!("{base}/periods/{{period}}/lock"),
        on(Action::Update, "period"),
        lock,
    )
    .post(
        &format!("{base}/periods/{{period}}/unlock"),
        on(Action::Update, "period"),
        unlock,
    )
    .get("/api/v1/networks/{id}/rollup", Access::Account, rollup)
}

/// 422 with every refused row: `{"error", "message", "errors": [{"row",
/// "column", "reason"}]}`; a database failure is a 500 like anywhere else.
fn refused(e: ImportError) -> Response {
    if let ImportError::Store(e) = e {
        return AppError::from(e).into_response();
    }
    let errors: Vec<RowError> = e.errors();
    let body = json!({
        "error": "invalid",
        "message": format!(
            "{} error{} (each with its row and column); nothing was written",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        ),
        "errors": errors,
    });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid(FieldErrors::single(field, "invalid", message))
}

async fn post_values(
    State(s): State<AppState>,
    auth: ApiAuthorized<Report>,
    ApiJson(body): ApiJson,
) -> Result<Json<BatchReport>, Response> {
    let Value::Object(mut obj) = body else {
        return Err(AppError::BadRequest("the body must be a JSON object".into()).into_response());
    };
    let items = match obj.remove("values") {
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(invalid("values", "values must be a list of values").into_response());
        }
        None => return Err(invalid("values", "values is required").into_response()),
    };
    if let Some(k) = obj.keys().next() {
        return Err(AppError::Invalid(FieldErrors::single(
            k,
            "unknown_field",
            format!("{k} is not a field of this request (only values)"),
        ))
        .into_response());
    }
    let report = imports::import_items(&s.store, auth.initiative().id, Some(auth.user.id), &items)
        .await
        .map_err(refused)?;
    Ok(Json(report))
}

#[derive(Deserialize)]
struct FileQuery {
    file_name: Option<String>,
}

/// Content types a values file may be sent as.
const FILE_TYPES: &[&str] = &[
    "text/csv",
    "text/plain",
    "application/csv",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

fn too_large() -> Response {
    let body = json!({
        "error": "too_large",
        "message": format!("the file is larger than {} MiB", MAX_FILE / 1024 / 1024),
    });
    (StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response()
}

/// The file of a `multipart/form-data` body: its `file` part (any other part
/// is refused by name).
async fn file_part(req: Request) -> Result<(Vec<u8>, Option<String>), Response> {
    let failed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            AppError::BadRequest(e.body_text()).into_response()
        }
    };
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()).into_response())?;
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or("").to_string();
        if name != "file" || file.is_some() {
            return Err(AppError::Invalid(FieldErrors::single(
                &name,
                "unknown_field",
                format!("{name} is not a part of this request (only one file)"),
            ))
            .into_response());
        }
        let file_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(failed)?;
        file = Some((bytes.to_vec(), file_name));
    }
    file.ok_or_else(|| invalid("file", "send the file in a part named file").into_response())
}

/// A values file, sent as the body itself (CSV or XLSX) or as the `file`
/// part of a form.
async fn import_file(
    State(s): State<AppState>,
    auth: ApiAuthorized<Report>,
    ApiQuery(q): ApiQuery<FileQuery>,
    req: Request,
) -> Result<Json<BatchReport>, Response> {
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let (bytes, part_name) = if kind.as_deref() == Some("multipart/form-data") {
        file_part(req).await?
    } else {
        if let Some(k) = &kind
            && !FILE_TYPES.contains(&k.as_str())
        {
            let body = json!({
                "error": "unsupported_media_type",
                "message": format!(
                    "send the file as the body (text/csv or {}) or as the part file of multipart/form-data",
                    FILE_TYPES[4]
                ),
            });
            return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response());
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_FILE)
            .await
            .map_err(|_| too_large())?;
        (bytes.to_vec(), None)
    };
    let xlsx = kind.as_deref() == Some(FILE_TYPES[4]);
    let name = q
        .file_name
        .or(part_name)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| if xlsx { "upload.xlsx" } else { "upload.csv" }.into());
    if name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(invalid(
            "file_name",
            "file_name is at most 255 characters, without control characters",
        )
        .into_response());
    }
    let report = imports::import_values(
        &s.store,
        auth.initiative().id,
        Some(auth.user.id),
        &bytes,
        &name,
        &imports::no_progress,
    )
    .await
    .map_err(refused)?;
    Ok(Json(report))
}

#[derive(Deserialize)]
struct ValuesQuery {
    indicator: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

/// Stored values in id order, after `after`: `{"items": […], "next_after"}`,
/// where `next_after` is the `after` of the next page (null on the last).
/// A subgroup cell of a sum indicator under the small-cell minimum is shown
/// as `"value": null, "suppressed": true` to those who may not see small
/// cells (everyone but coordinators; docs/decisions/0009-measurement.md).
async fn list_values(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiQuery(q): ApiQuery<ValuesQuery>,
) -> ApiResult<Json<Value>> {
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(invalid("after", "after is a value id, 0 or more"));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE as i64).contains(&limit) {
        return Err(invalid(
            "limit",
            format!("limit must be from 1 to {MAX_PAGE}"),
        ));
    }
    let initiative = auth.initiative().id;
    let indicators = s.store.indicators(initiative).await?;
    let indicator = match &q.indicator {
        None => None,
        Some(code) => Some(
            indicators
                .iter()
                .find(|r| r.data.code == *code)
                .ok_or(AppError::NotFound)?
                .id,
        ),
    };
    let mut codes: std::collections::HashMap<i64, String> = indicators
        .iter()
        .map(|r| (r.id, r.data.code.clone()))
        .collect();
    // Subgroup cells of a sum indicator count people: under the minimum they
    // are shown only to those who may see small cells.
    let mut sums: std::collections::HashSet<i64> = indicators
        .iter()
        .filter(|r| r.data.aggregation == Aggregation::Sum)
        .map(|r| r.id)
        .collect();
    let may_see_small = auth
        .view
        .grants
        .allows_on(Action::SeeSmallCells, "indicator");
    let page = s
        .store
        .values(initiative, indicator, after, limit as u64)
        .await?;
    if page.iter().any(|v| !codes.contains_key(&v.indicator_id)) {
        // Values of archived indicators keep their codes.
        let opts = store::records::ListOptions {
            include_archived: true,
            ..store::records::ListOptions::all()
        };
        for r in auth
            .registry(&s.store)
            .list::<domain::measurement::indicator::Indicator>(opts)
            .await?
        {
            if r.data.aggregation == Aggregation::Sum {
                sums.insert(r.id);
            }
            codes.entry(r.id).or_insert(r.data.code);
        }
    }
    let next_after = (page.len() as i64 == limit)
        .then(|| page.last().map(|v| v.id))
        .flatten();
    let items: Vec<Value> = page
        .iter()
        .map(|v| {
            let mut o = imports::value_json(v, &codes);
            let small = !v.subgroup.is_empty()
                && sums.contains(&v.indicator_id)
                && suppress(Some(v.value), DEFAULT_MIN_CELL, may_see_small);
            if small {
                o["value"] = Value::Null;
            }
            o["suppressed"] = json!(small);
            o["id"] = json!(v.id);
            o["recorded_at"] = json!(v.recorded_at);
            o["batch_id"] = json!(v.batch_id);
            o
        })
        .collect();
    Ok(Json(json!({ "items": items, "next_after": next_after })))
}

#[derive(Deserialize)]
struct TemplateQuery {
    indicator: Option<String>,
}

/// The header of a values file for the initiative's indicators (or one).
async fn template(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> ApiResult<Response> {
    let mut indicators = s.store.indicators(auth.initiative().id).await?;
    if let Some(code) = &q.indicator {
        indicators.retain(|r| r.data.code == *code);
        if indicators.is_empty() {
            return Err(AppError::NotFound);
        }
    }
    let csv = imports::value_template_csv(&indicators);
    let file = format!(
        "attachment; filename=\"{}-values.csv\"",
        auth.initiative().data.slug
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, file),
        ],
        csv,
    )
        .into_response())
}

#[derive(Deserialize)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
}

fn report_refusal(e: ReportError) -> AppError {
    match e {
        ReportError::NoIndicator => AppError::NotFound,
        ReportError::Invalid(field, m) => invalid(field, m),
        ReportError::Store(e) => e.into(),
    }
}

/// One indicator's report (by code, or by id): the JSON of `backbone report
/// indicator`.
async fn report(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Value>> {
    let (_, points) = imports::indicator_report(
        &s.store,
        auth.initiative().id,
        &id,
        true,
        q.from.as_deref(),
        q.to.as_deref(),
    )
    .await
    .map_err(report_refusal)?;
    Ok(Json(domain::measurement::series::report_json(&points)))
}

async fn set_lock(
    s: AppState,
    auth: ApiAuthorized<Write>,
    period: &str,
    locked: bool,
) -> ApiResult<Json<Value>> {
    let p = Period::parse(period).map_err(|e| invalid("period", e.to_string()))?;
    s.store
        .set_period_locked(auth.initiative().id, p, locked, Some(auth.user.id))
        .await?;
    Ok(Json(json!({ "period": p.to_string(), "locked": locked })))
}

/// Lock a period after approval: none of its values can change (coordinators).
async fn lock(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, period)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    set_lock(s, auth, &period, true).await
}

async fn unlock(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, period)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    set_lock(s, auth, &period, false).await
}

#[derive(Deserialize)]
struct RollupQuery {
    indicator: Option<String>,
    period: Option<String>,
}

/// A network's rollup of one indicator for one period: the JSON of `backbone
/// report rollup`. The network is named by slug or id. It compares the
/// network's initiatives by name, so it is for those who may see every
/// initiative it lists (an admin, the network's leads, anyone with a role in
/// each): 404 for someone who sees none of the network, 403 for someone who
/// sees only some of it.
async fn rollup(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(network): ApiPath<String>,
    ApiQuery(q): ApiQuery<RollupQuery>,
) -> ApiResult<Json<Value>> {
    let id = match network.parse::<i64>() {
        Ok(id) => {
            let n = s.store.get::<Network>(None, id).await?;
            if n.archived {
                return Err(AppError::NotFound);
            }
            n.id
        }
        Err(_) => s.store.network_id_by_slug(&network).await?,
    };
    let visible = s.store.initiatives_of_networks(&user, &[id]).await?;
    let seen = crate::measurement::sites_seen(&user, &visible)?;
    let mut errors = FieldErrors::default();
    if q.indicator.as_deref().is_none_or(str::is_empty) {
        errors.add("indicator", "required", "indicator (a code) is required");
    }
    let period = match q.period.as_deref().map(Period::parse) {
        None => {
            errors.add("period", "required", "period is required");
            None
        }
        Some(Err(e)) => {
            errors.add("period", "invalid_period", e.to_string());
            None
        }
        Some(Ok(p)) => Some(p),
    };
    let (Some(code), Some(period)) = (q.indicator.as_deref(), period) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let r = crate::measurement::network_rollup(&s.store, &seen, id, code, period).await?;
    if r.sites.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(Json(imports::rollup_json(&r)))
}
