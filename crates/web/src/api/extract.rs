//! What the API reads from a request: JSON bodies, paths and queries answered in
//! the API's error format, paging, and the fields of a record with their JSON types.

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use domain::resource::Resource;
use domain::validation::{FieldErrors, FieldMap};
use store::records::ListOptions;

use crate::error::AppError;

/// A JSON body whose rejection (not JSON, wrong content type, too large) is
/// answered in the API's error format.
pub struct ApiJson(pub Value);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ApiJson {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<Value>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(AppError::TooLarge),
            Err(e) => Err(AppError::BadRequest(e.body_text())),
        }
    }
}

/// Path parameters whose rejection (e.g. an id that is not a number) is answered
/// in the API's error format.
pub struct ApiPath<T>(pub T);

/// Query parameters whose rejection is answered in the API's error format.
pub struct ApiQuery<T>(pub T);

/// Page through a listing: `?page=1&per_page=50` (at most 500 per page).
#[derive(Debug, Deserialize)]
pub struct Paging {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub archived: Option<bool>,
}

#[derive(Serialize)]
pub struct ListBody<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: i64,
}

impl Paging {
    pub fn options(&self) -> Result<(u64, u64, ListOptions), AppError> {
        let page = self.page.unwrap_or(1);
        let per = self.per_page.unwrap_or(50);
        if !(1..=1_000_000).contains(&page) {
            return Err(AppError::Invalid(FieldErrors::single(
                "page",
                "invalid_number",
                "page must be from 1 to 1000000",
            )));
        }
        if !(1..=500).contains(&per) {
            return Err(AppError::Invalid(FieldErrors::single(
                "per_page",
                "invalid_number",
                "per_page must be from 1 to 500",
            )));
        }
        let opts = ListOptions {
            include_archived: self.archived.unwrap_or(false),
            limit: per,
            offset: (page - 1) * per,
        };
        Ok((page, per, opts))
    }
}

/// The JSON type a field takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JsonType {
    String,
    Integer,
    Boolean,
    /// An amount: a decimal string ("25.50") or a number.
    Amount,
    Any,
}

/// A field the API accepts for a kind, with its JSON type and whether a `PUT`
/// must carry it.
#[derive(Clone, Copy, Debug)]
pub struct BodyField {
    pub name: &'static str,
    pub ty: JsonType,
    pub required_on_put: bool,
    /// `null` is accepted (and clears the field).
    pub nullable: bool,
    /// Another field that may stand in for this one (`stipend_rate` for
    /// `stipend_hourly_cents`).
    pub alias: Option<&'static str>,
}

/// Optional columns a `PUT` may leave out, keeping what is stored: they came
/// after the API's first release, and a client written before them must not
/// clear them by not knowing them.
pub const KEPT_WHEN_ABSENT: &[&str] = &["translations", "currency"];

/// The [`KEPT_WHEN_ABSENT`] fields of `allowed` a `PUT` left out.
fn kept_absent<'a>(
    fields: &'a FieldMap,
    allowed: &'a [BodyField],
) -> impl Iterator<Item = &'a BodyField> + 'a {
    allowed.iter().filter(move |f| {
        !f.required_on_put
            && f.nullable
            && KEPT_WHEN_ABSENT.contains(&f.name)
            && !fields.contains_key(f.name)
    })
}

/// Whether a `PUT` left out a field that keeps what is stored (the stored
/// record is then needed for [`keep_absent`]).
pub fn leaves_out_kept(fields: &FieldMap, allowed: &[BodyField]) -> bool {
    kept_absent(fields, allowed).next().is_some()
}

/// A `PUT` that left out a [`KEPT_WHEN_ABSENT`] field keeps its `current`
/// stored value (from `Resource::stored_values`).
pub fn keep_absent(fields: &mut FieldMap, allowed: &[BodyField], current: &FieldMap) {
    let absent: Vec<&str> = kept_absent(fields, allowed).map(|f| f.name).collect();
    for name in absent {
        fields.insert(
            name.to_string(),
            current.get(name).cloned().unwrap_or_default(),
        );
    }
}

/// The fields of a resource as the API takes them: every column (required on
/// `PUT`, but for [`KEPT_WHEN_ABSENT`]), plus form-only fields such as a
/// decimal stipend rate.
pub fn body_fields_of<T: Resource>(form: &[crate::kinds::FieldDef]) -> Vec<BodyField> {
    use domain::resource::ColumnType as C;
    let mut out: Vec<BodyField> = T::columns()
        .iter()
        .map(|c| BodyField {
            name: c.name,
            ty: match c.ty {
                C::Text | C::Date | C::Timestamp => JsonType::String,
                C::Int => JsonType::Integer,
                C::Bool => JsonType::Boolean,
                C::Decimal => JsonType::Amount,
                C::Json => JsonType::Any,
            },
            required_on_put: !(c.nullable && KEPT_WHEN_ABSENT.contains(&c.name)),
            nullable: c.nullable,
            alias: None,
        })
        .collect();
    for fd in form {
        if let crate::kinds::Widget::Money(column) | crate::kinds::Widget::Amount(column) =
            fd.widget
        {
            if let Some(col) = out.iter_mut().find(|f| f.name == column) {
                col.alias = Some(fd.name);
            }
            out.push(BodyField {
                name: fd.name,
                ty: JsonType::Amount,
                required_on_put: false,
                nullable: true,
                alias: None,
            });
        }
    }
    out
}

/// A JSON body as submitted fields plus the `version`. Unknown fields are refused
/// by name rather than ignored, so a typo never silently drops a value; a value
/// of the wrong JSON type is refused rather than coerced; with `put`, every
/// field must be present (null clears an optional one), so that leaving a
/// field out never silently blanks it.
pub(super) fn body_fields(
    body: Value,
    allowed: &[BodyField],
    put: bool,
) -> Result<(FieldMap, Option<i64>), AppError> {
    let Value::Object(obj) = body else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let mut fields = FieldMap::new();
    let mut version = None;
    let mut errors = FieldErrors::default();
    for (k, v) in &obj {
        if k == "version" {
            match v.as_i64() {
                Some(n) => version = Some(n),
                None => errors.add(
                    "version",
                    "invalid_number",
                    "version must be a whole number",
                ),
            }
            continue;
        }
        // Read-only bookkeeping echoed back from a GET is ignored, but only
        // when it has its own type: anything else is a mistake worth naming.
        if let Some((_, ok)) = READ_ONLY.iter().find(|(name, _)| *name == k) {
            if !ok(v) {
                errors.add(
                    k,
                    "invalid_type",
                    format!("{k} is read-only and, when echoed, must keep its type"),
                );
            }
            continue;
        }
        let Some(f) = allowed.iter().find(|f| f.name == k) else {
            errors.add(
                k,
                "unknown_field",
                format!("{k} is not a field of this resource"),
            );
            continue;
        };
        let text = match (f.ty, v) {
            (_, Value::Null) if f.nullable => Some(String::new()),
            (JsonType::String | JsonType::Amount, Value::String(s)) => Some(s.clone()),
            (JsonType::Integer, Value::Number(n)) if n.is_i64() => Some(n.to_string()),
            (JsonType::Amount, Value::Number(n)) => Some(n.to_string()),
            (JsonType::Boolean, Value::Bool(b)) => Some(b.to_string()),
            (JsonType::Any, v) => Some(v.to_string()),
            _ => None,
        };
        match text {
            Some(t) => {
                fields.insert(k.clone(), t);
            }
            None => {
                let want = match f.ty {
                    JsonType::String => "a string",
                    JsonType::Integer => "a whole number",
                    JsonType::Boolean => "true or false",
                    JsonType::Amount => "a decimal amount as a string or a number",
                    JsonType::Any => "JSON",
                };
                errors.add(k, "invalid_type", format!("{k} must be {want}"));
            }
        }
    }
    if put {
        for f in allowed.iter().filter(|f| f.required_on_put) {
            let present = obj.contains_key(f.name) || f.alias.is_some_and(|a| obj.contains_key(a));
            if !present {
                errors.add(
                    f.name,
                    "missing",
                    format!(
                        "{} is missing: a PUT carries every field (send null to clear an optional one)",
                        f.name
                    ),
                );
            }
        }
    }
    errors.finish((fields, version)).map_err(AppError::Invalid)
}

/// Bookkeeping fields a client may echo back from a GET (ignored), with the
/// JSON type each has there.
type TypeCheck = fn(&Value) -> bool;
pub(super) const READ_ONLY: &[(&str, TypeCheck)] = &[
    ("id", |v| v.is_i64()),
    ("initiative_id", |v| v.is_i64() || v.is_null()),
    ("archived", Value::is_boolean),
    ("created_at", Value::is_string),
    ("updated_at", Value::is_string),
];

pub(super) fn require_version(version: Option<i64>) -> Result<i64, AppError> {
    version.ok_or_else(|| {
        AppError::Invalid(FieldErrors::single(
            "version",
            "required",
            "version is required: send the version you read",
        ))
    })
}

pub(super) fn created<T: Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ArchiveBody {
    version: Option<i64>,
}

/// The optional `{ "version": n }` of an archive or restore; anything else (not
/// JSON, not an object, unknown fields) is answered in the API's error format.
pub struct ArchiveJson(pub Option<i64>);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ArchiveJson {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::TooLarge)?;
        // No body at all means "no version check"; anything sent must be the
        // JSON object (a blank line is not JSON, and is refused like any other).
        if bytes.is_empty() {
            return Ok(ArchiveJson(None));
        }
        let body: ArchiveBody = serde_json::from_slice(&bytes).map_err(|e| {
            AppError::BadRequest(format!("the body must be {{\"version\": n}}: {e}"))
        })?;
        Ok(ArchiveJson(body.version))
    }
}

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> axum::extract::FromRequestParts<S>
    for ApiPath<T>
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(_) => Err(AppError::NotFound),
        }
    }
}

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S>
    for ApiQuery<T>
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(AppError::BadRequest(e.body_text())),
        }
    }
}
