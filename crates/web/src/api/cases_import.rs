//! Importing an HMIS CSV FY2024 export (a zip file) into a by-name list
//! through the API: the zip file is the request's body.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::access::Action;
use interop::hmis::Located;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{ApiPath, ApiQuery};
use super::openapi::{Doc, OPT_LINE, op, p_id, p_slug};
use crate::AppState;
use crate::access::{ApiAuthorized, CaseWork};
use crate::error::AppError;
use crate::pages::cases_import::{MAX_UPLOAD, Outcome, import_zip};
use crate::routes::{Access, Routes};

/// The body types taken as a zip file.
const ZIP_TYPES: &[&str] = &[
    "application/zip",
    "application/x-zip-compressed",
    "application/octet-stream",
];

pub fn routes(r: Routes) -> Routes {
    r.post_with_limit(
        "/api/v1/initiatives/{slug}/cases/{id}/import",
        Access::Initiative(Action::CaseWork, "case_person"),
        import,
        MAX_UPLOAD,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileQuery {
    file_name: Option<String>,
}

fn located(l: &[Located]) -> Value {
    json!(
        l.iter()
            .map(|e| json!({
                "file": e.file, "row": e.row, "column": e.column,
                "code": e.code, "message": e.message,
            }))
            .collect::<Vec<_>>()
    )
}

async fn import(
    State(s): State<AppState>,
    auth: ApiAuthorized<CaseWork>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<FileQuery>,
    req: Request,
) -> Result<Json<Value>, Response> {
    let list = s
        .store
        .case_list(auth.initiative().id, id)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
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
    if !kind.as_deref().is_some_and(|k| ZIP_TYPES.contains(&k)) {
        let body = json!({
            "error": "unsupported_media_type",
            "message": "send the export's zip file as the body, with Content-Type: application/zip",
        });
        return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response());
    }
    let bytes = axum::body::to_bytes(req.into_body(), MAX_UPLOAD)
        .await
        .map_err(|_| {
            let body = json!({
                "error": "too_large",
                "message": format!("the file is larger than {} MiB", MAX_UPLOAD / 1024 / 1024),
            });
            (StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response()
        })?;
    let invalid = |field: &str, message: &str| {
        AppError::Invalid(domain::validation::FieldErrors::single(
            field, "invalid", message,
        ))
        .into_response()
    };
    if bytes.is_empty() {
        return Err(invalid("file", "the body must be the export's zip file"));
    }
    let name = q
        .file_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "export.zip".into());
    if name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(invalid(
            "file_name",
            "file_name is at most 255 characters, without control characters",
        ));
    }
    match import_zip(&s, &list, auth.user.id, &name, &bytes)
        .await
        .map_err(IntoResponse::into_response)?
    {
        Outcome::Imported { summary, warnings } => {
            let mut body = serde_json::to_value(&summary).unwrap_or_else(|_| json!({}));
            body["warnings"] = located(&warnings);
            Ok(Json(body))
        }
        Outcome::Refused { errors, warnings } => {
            let body = json!({
                "error": "invalid",
                "message": format!(
                    "the export is refused: {} error(s), each with its file, row and column; nothing was written",
                    errors.len()
                ),
                "errors": located(&errors),
                "warnings": located(&warnings),
            });
            Err((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response())
        }
    }
}

pub fn openapi(d: &mut Doc) {
    let item = json!({"type": "object", "properties": {
        "file": {"type": "string", "description": "the export's file (or the zip file's name)"},
        "row": {"type": "integer", "nullable": true, "description": "the row as a spreadsheet shows it: 1 is the header; null for the whole file"},
        "column": {"type": "string", "nullable": true},
        "code": {"type": "string"},
        "message": {"type": "string", "description": "never quotes a value from the export"}
    }, "required": ["file", "row", "column", "code", "message"]});
    d.schemas.insert("HmisProblem".into(), item);
    let problems = json!({"type": "array", "items": {"$ref": "#/components/schemas/HmisProblem"}});
    d.schemas.insert("HmisImportSummary".into(), json!({"type": "object", "properties": {
        "list_id": {"type": "integer", "format": "int64"},
        "list_created": {"type": "boolean"},
        "batch_id": {"type": "integer", "format": "int64", "nullable": true, "description": "null when nothing changed (the same export again): nothing was written"},
        "people_added": {"type": "integer"},
        "people_changed": {"type": "integer"},
        "people_unchanged": {"type": "integer"},
        "people_erased_skipped": {"type": "integer", "description": "people erased on request who are in the export again: left erased"},
        "events_added": {"type": "integer"},
        "events_voided": {"type": "integer"},
        "warnings": problems.clone()
    }, "required": ["list_id", "list_created", "batch_id", "people_added", "people_changed", "people_unchanged", "people_erased_skipped", "events_added", "events_voided", "warnings"]}));
    let mut o = op(
        "Import an HMIS CSV FY2024 export (a zip file, sent as the body) into a by-name list (case workers and coordinators): every file checked, then all people and events written in one batch, or nothing. The same export again writes nothing",
        "cases",
        json!([p_slug(), p_id(), {"name": "file_name", "in": "query", "schema": {"type": "string", "maxLength": 255, "pattern": OPT_LINE}, "description": "the file's name, recorded with the batch"}]),
        None,
        (
            "200",
            json!({"$ref": "#/components/schemas/HmisImportSummary"}),
        ),
        &["403", "413", "415"],
    );
    o["requestBody"] = json!({"required": true, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "application/zip": {"schema": {"type": "string", "format": "binary"}}
    }});
    o["responses"]["413"] = json!({"description": format!("the file is larger than {} MiB", MAX_UPLOAD / 1024 / 1024), "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    o["responses"]["422"] = json!({"description": "the export is refused: every error with its file, row and column, and the warnings found; nothing was written. An empty body or a bad file_name names its field as usual", "content": {"application/json": {"schema": {
        "type": "object", "properties": {
            "error": {"type": "string"}, "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            "errors": problems.clone(), "warnings": problems
        }, "required": ["error", "message"]}}}});
    d.paths.insert(
        "/api/v1/initiatives/{slug}/cases/{id}/import".into(),
        json!({ "post": o }),
    );
}
