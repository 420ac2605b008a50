//! The open book in the JSON API: the ledger's entries (keyset pages), a batch
//! of new entries (all or none; each error names the field and, in a batch, the
//! entry's index), a reversing entry, and budget against actual for a year in
//! integer minor units. See `domain::funding::ledger`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use domain::access::{Action, decide_record};
use domain::funding::ledger::{Entry, NewEntry};
use domain::validation::{FieldErrors, FieldMap};
use store::funding::ledger::{Keyset, indexed, unindexed};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use crate::access::{ApiAuthorized, Read, Write, refusal};
use crate::error::{ApiResult, AppError};
use crate::routes::{Access, Routes};

/// The most entries one `GET …/ledger` answers.
pub const MAX_PAGE: u64 = 1000;
/// The most entries one `POST …/ledger` takes: a full batch of plain entries
/// fits in the API's 1 MiB body, so one entry too many is answered with its
/// reason (422) rather than with the size limit. Larger books come in several
/// batches.
pub const MAX_BATCH: usize = 2_000;

pub fn routes(r: Routes) -> Routes {
    let base = "/api/v1/initiatives/{slug}";
    let on = Access::Initiative;
    r.get(
        &format!("{base}/ledger"),
        on(Action::Read, "ledger_entry"),
        list,
    )
    .post(
        &format!("{base}/ledger"),
        on(Action::Create, "ledger_entry"),
        post,
    )
    .post(
        &format!("{base}/ledger/{{id}}/reverse"),
        on(Action::Create, "ledger_entry"),
        reverse,
    )
    .get(
        &format!("{base}/budget"),
        on(Action::Read, "ledger_entry"),
        budget,
    )
}

/// An entry as the API answers it.
pub fn entry_json(e: &Entry) -> Value {
    serde_json::to_value(e).unwrap_or(Value::Null)
}

#[derive(Deserialize)]
struct PageQuery {
    after: Option<i64>,
    limit: Option<u64>,
}

async fn list(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::Invalid(FieldErrors::single(
            "limit",
            "out_of_range",
            format!("limit must be from 1 to {MAX_PAGE}"),
        )));
    }
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(AppError::Invalid(FieldErrors::single(
            "after",
            "out_of_range",
            "after must be 0 or more",
        )));
    }
    let items = s
        .store
        .ledger_entries(auth.initiative().id, Keyset::After(after), limit)
        .await?;
    let next = (items.len() as u64 == limit)
        .then(|| items.last().map(|e| e.id))
        .flatten();
    Ok(Json(json!({
        "items": items.iter().map(entry_json).collect::<Vec<_>>(),
        "next_after": next,
    })))
}

const FIELDS: &[&str] = &[
    "entry_date",
    "kind",
    "amount_minor",
    "amount",
    "currency",
    "funder_id",
    "payer",
    "payee",
    "budget_line_id",
    "commitment_id",
    "reference",
    "attachment",
];

/// One JSON entry as form fields; its errors (unknown fields, wrong types).
fn fields_of(v: &Value) -> Result<FieldMap, FieldErrors> {
    let Value::Object(obj) = v else {
        return Err(FieldErrors::single(
            "entry",
            "not_an_object",
            "an entry must be a JSON object",
        ));
    };
    let mut m = FieldMap::new();
    let mut errors = FieldErrors::default();
    for (k, v) in obj {
        if !FIELDS.contains(&k.as_str()) {
            errors.add(
                k,
                "unknown_field",
                format!("{k} is not a field of a ledger entry"),
            );
            continue;
        }
        match v {
            Value::Null => {}
            Value::String(s) => {
                m.insert(k.clone(), s.clone());
            }
            Value::Number(n) => {
                m.insert(k.clone(), n.to_string());
            }
            _ => errors.add(
                k,
                "invalid_type",
                format!("{k} must be a string or a number"),
            ),
        }
    }
    errors.finish(m)
}

/// Parse a body: one entry, or `{"entries": [...]}`. Errors are keyed
/// `entries[i].field` (the caller unindexes them for a single entry).
pub fn parse_body(body: &Value) -> Result<(Vec<NewEntry>, bool), FieldErrors> {
    let (items, batch): (Vec<&Value>, bool) = match body {
        Value::Object(obj) if obj.contains_key("entries") => {
            if let Some(k) = obj.keys().find(|k| *k != "entries") {
                return Err(FieldErrors::single(
                    k,
                    "unknown_field",
                    format!("{k} is not a field of this request (only entries)"),
                ));
            }
            match &obj["entries"] {
                Value::Array(a) if !a.is_empty() && a.len() <= MAX_BATCH => {
                    (a.iter().collect(), true)
                }
                _ => {
                    return Err(FieldErrors::single(
                        "entries",
                        "invalid",
                        format!("entries must be a list of 1 to {MAX_BATCH} entries"),
                    ));
                }
            }
        }
        other => (vec![other], false),
    };
    let mut entries = vec![];
    let mut errors = FieldErrors::default();
    for (i, item) in items.iter().enumerate() {
        match fields_of(item).and_then(|m| NewEntry::parse(&m)) {
            Ok(e) => entries.push(e),
            Err(e) => indexed(i, e, &mut errors),
        }
    }
    errors.finish((entries, batch))
}

async fn post(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiJson(body): ApiJson,
) -> Result<(StatusCode, Json<Value>), AppError> {
    refusal(decide_record(
        &auth.view.grants,
        Action::Create,
        "ledger_entry",
    ))?;
    let shape =
        |batch: bool, e: FieldErrors| AppError::Invalid(if batch { e } else { unindexed(e) });
    let batch_shaped = matches!(&body, Value::Object(o) if o.contains_key("entries"));
    let (entries, batch) = parse_body(&body).map_err(|e| shape(batch_shaped, e))?;
    let i = auth.initiative().id;
    let w = match s
        .store
        .write_ledger(i, Some(auth.user.id), "api", &entries)
        .await
    {
        Ok(w) => w,
        Err(store::StoreError::Invalid(e)) => return Err(shape(batch, e)),
        Err(e) => return Err(e.into()),
    };
    let written = s.store.ledger_batch(i, w.batch_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "batch_id": w.batch_id,
            "count": w.entries,
            "totals": w.totals,
            "entries": written.iter().map(entry_json).collect::<Vec<_>>(),
        })),
    ))
}

async fn reverse(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    refusal(decide_record(
        &auth.view.grants,
        Action::Create,
        "ledger_entry",
    ))?;
    let e = s
        .store
        .reverse_entry(auth.initiative().id, Some(auth.user.id), id)
        .await?;
    Ok((StatusCode::CREATED, Json(entry_json(&e))))
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<i32>,
}

/// The year asked for (this year by default), between 1900 and 2200.
pub fn year_or_now(year: Option<i32>) -> Result<i32, AppError> {
    use chrono::Datelike;
    let y = year.unwrap_or_else(|| store::now().get().year());
    if !(1900..=2200).contains(&y) {
        return Err(AppError::Invalid(FieldErrors::single(
            "year",
            "out_of_range",
            "year must be from 1900 to 2200",
        )));
    }
    Ok(y)
}

async fn budget(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<Value>> {
    let year = year_or_now(q.year)?;
    let b = s.store.budget_vs_actual(auth.initiative().id, year).await?;
    Ok(Json(serde_json::to_value(b).unwrap_or(Value::Null)))
}
