//! The initiative's registry records through the API: list, get, create, update,
//! archive, restore, erase; the table, the audit log and the HSDS directory.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use domain::partnership::{Initiative, Location, Organization, Service};
use domain::resource::Record;
use store::audit::Filter;
use store::records::ListOptions;

use super::extract::*;
use domain::validation::FieldErrors;

use crate::AppState;
use crate::access::{ApiAuthorized, Audit, Create, Own, Read, Write};
use crate::error::{ApiResult, AppError};
use crate::kinds::Kind;

/// Erase a record's contact details for good, also from the audit log's values.
pub(super) async fn erase<T: Kind>(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Record<T>>> {
    Ok(Json(auth.registry(&s.store).erase_contact::<T>(id).await?))
}

/// Merge a record into another: `{"into": id}` → the references moved.
pub(super) async fn merge<T: Kind>(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Value>> {
    let Value::Object(obj) = body else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let mut errors = FieldErrors::default();
    for k in obj.keys().filter(|k| *k != "into") {
        errors.add(k, "unknown_field", format!("{k}: unknown field"));
    }
    let into = match obj.get("into") {
        Some(v) => v.as_i64().filter(|n| *n >= 1),
        None => None,
    };
    if into.is_none() {
        errors.add(
            "into",
            "required",
            "into: the id of the record to keep is required",
        );
    }
    let into = match (into, errors.is_empty()) {
        (Some(into), true) => into,
        _ => return Err(AppError::Invalid(errors)),
    };
    let moved = auth.registry(&s.store).merge::<T>(id, into).await?;
    Ok(Json(json!({
        "into": into,
        "moved": moved
            .into_iter()
            .map(|(table, rows)| json!({"table": table, "rows": rows}))
            .collect::<Vec<_>>(),
    })))
}

pub(super) fn allowed_fields<T: Kind>() -> Vec<BodyField> {
    body_fields_of::<T>(&T::fields())
}

pub(super) async fn list<T: Kind>(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListBody<Record<T>>>> {
    let (page, per_page, opts) = p.options()?;
    let reg = auth.registry(&s.store);
    let items = reg.list::<T>(opts).await?;
    let total = reg.count::<T>(opts.include_archived).await?;
    Ok(Json(ListBody {
        items,
        page,
        per_page,
        total,
    }))
}

pub(super) async fn get_one<T: Kind>(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Record<T>>> {
    Ok(Json(auth.registry(&s.store).get::<T>(id).await?))
}

pub(super) async fn create<T: Kind>(
    State(s): State<AppState>,
    auth: ApiAuthorized<Own<T, Create>>,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    let (fields, _) = body_fields(body, &allowed_fields::<T>(), false)?;
    let v = T::parse(&fields).map_err(AppError::Invalid)?;
    Ok(created(auth.registry(&s.store).create(&fields, &v).await?))
}

pub(super) async fn update<T: Kind>(
    State(s): State<AppState>,
    auth: ApiAuthorized<Own<T, Write>>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Record<T>>> {
    auth.registry(&s.store).check_editable::<T>(id).await?;
    let allowed = allowed_fields::<T>();
    let (mut fields, version) = body_fields(body, &allowed, true)?;
    let version = require_version(version)?;
    if super::extract::leaves_out_kept(&fields, &allowed) {
        let current = auth.registry(&s.store).get::<T>(id).await?;
        super::extract::keep_absent(&mut fields, &allowed, &current.data.stored_values());
    }
    let v = T::parse(&fields).map_err(AppError::Invalid)?;
    Ok(Json(
        auth.registry(&s.store)
            .update(id, version, &fields, &v)
            .await?,
    ))
}

pub(super) async fn archive<T: Kind>(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ArchiveJson(version): ArchiveJson,
) -> ApiResult<Json<Record<T>>> {
    Ok(Json(
        auth.registry(&s.store)
            .set_archived::<T>(id, version, true)
            .await?,
    ))
}

pub(super) async fn restore<T: Kind>(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ArchiveJson(version): ArchiveJson,
) -> ApiResult<Json<Record<T>>> {
    Ok(Json(
        auth.registry(&s.store)
            .set_archived::<T>(id, version, false)
            .await?,
    ))
}

pub(super) async fn table_view(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
) -> ApiResult<Json<Value>> {
    let i = auth.initiative();
    let today = chrono::Utc::now().date_naive();
    let bodies = auth.registry(&s.store).table(today).await?;
    Ok(Json(json!({
        "initiative": i.data.slug,
        "on": today,
        "bodies": bodies.into_iter().map(|(b, t)| json!({ "body": b, "table": t })).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
pub(super) struct AuditQuery {
    page: Option<u64>,
    per_page: Option<u64>,
    kind: Option<String>,
    record_id: Option<i64>,
}

pub(super) async fn audit(
    State(s): State<AppState>,
    auth: ApiAuthorized<Audit>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        archived: None,
    };
    let (page, per_page, opts) = paging.options()?;
    if let Some(k) = &q.kind
        && !crate::kinds::audit_kinds().contains(&k.as_str())
    {
        return Err(AppError::Invalid(FieldErrors::single(
            "kind",
            "unknown_choice",
            format!(
                "kind must be one of: {}",
                crate::kinds::audit_kinds().join(", ")
            ),
        )));
    }
    let entries = auth
        .registry(&s.store)
        .audit(Filter {
            initiative: None,
            kind: q.kind,
            record_id: q.record_id,
            limit: opts.limit,
            offset: opts.offset,
            ..Default::default()
        })
        .await?;
    Ok(Json(
        json!({ "items": entries, "page": page, "per_page": per_page }),
    ))
}

/// The HSDS 3.0 document of an initiative's services directory.
pub async fn hsds_document(
    registry: &crate::access::Registry<'_>,
    i: &Record<Initiative>,
) -> Result<Value, AppError> {
    let opts = ListOptions {
        include_archived: true,
        limit: 100_000,
        offset: 0,
    };
    let orgs = registry.list::<Organization>(opts).await?;
    let locations = registry.list::<Location>(opts).await?;
    let services = registry.list::<Service>(opts).await?;
    Ok(interop::hsds::export(i.id, &orgs, &locations, &services))
}

pub(super) async fn hsds(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        hsds_document(&auth.registry(&s.store), auth.initiative()).await?,
    ))
}
