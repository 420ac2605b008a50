//! The JSON API under `/api/v1`, described by [`openapi`] at `/api/openapi.json`.
//!
//! Scripts authenticate with a bearer token (`backbone token create`); the
//! browser may use its session cookie plus `X-CSRF-Token` for writes. Errors are
//! `{ "error": code, "message": …, "fields": {…} }`. Updates must carry the
//! `version` they were based on; a stale one gets 409 with the current values.

pub mod openapi;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use domain::access::{Action, Decision, Grants, decide_record};
use domain::partnership::{Initiative, Location, Network, Organization, Service};
use domain::resource::{Record, Resource};
use domain::validation::{FieldErrors, FieldMap};
use store::accounts::User;
use store::audit::Filter;
use store::records::ListOptions;

use crate::AppState;
use crate::access::{ApiAuthorized, Audit, Read, Write};
use crate::error::{ApiResult, AppError};
use crate::kinds::Kind;
use crate::routes::{Access, Routes};
use crate::session::ApiCaller;

pub fn routes(r: Routes) -> Routes {
    use Access::{Account, Admin, Public};
    #[allow(non_snake_case)]
    let In = |action| Access::Initiative(action, "initiative");
    let r = r
        .get("/api/openapi.json", Public, openapi::document)
        .get("/api/v1/me", Account, me)
        .get("/api/v1/networks", Account, list_networks)
        .post("/api/v1/networks", Admin, create_network)
        .get("/api/v1/networks/{id}", Account, get_network)
        .put("/api/v1/networks/{id}", Admin, update_network)
        .post("/api/v1/networks/{id}/archive", Admin, archive_network)
        .post("/api/v1/networks/{id}/restore", Admin, restore_network)
        .get("/api/v1/initiatives", Account, list_initiatives)
        .post("/api/v1/initiatives", Admin, create_initiative)
        .get(
            "/api/v1/initiatives/{slug}",
            In(Action::Read),
            get_initiative,
        )
        .put(
            "/api/v1/initiatives/{slug}",
            In(Action::Update),
            update_initiative,
        )
        .post(
            "/api/v1/initiatives/{slug}/archive",
            In(Action::Archive),
            archive_initiative,
        )
        .post(
            "/api/v1/initiatives/{slug}/restore",
            Admin,
            restore_initiative,
        )
        .get(
            "/api/v1/initiatives/{slug}/table",
            In(Action::Read),
            table_view,
        )
        .get(
            "/api/v1/initiatives/{slug}/audit",
            In(Action::ReadAudit),
            audit,
        )
        .get("/api/v1/initiatives/{slug}/hsds", In(Action::Read), hsds);
    crate::kinds::KINDS.iter().fold(r, |r, k| (k.api)(r))
}

/// The API routes of one kind of registry record (see [`crate::kinds::KINDS`]).
pub fn kind_routes<T: Kind>(r: Routes) -> Routes {
    let base = format!("/api/v1/initiatives/{{slug}}/{}", T::PATH);
    let on = |action| Access::Initiative(action, T::KIND);
    let r = r
        .get(&base, on(Action::Read), list::<T>)
        .post(&base, on(Action::Create), create::<T>)
        .get(&format!("{base}/{{id}}"), on(Action::Read), get_one::<T>)
        .put(&format!("{base}/{{id}}"), on(Action::Update), update::<T>)
        .post(
            &format!("{base}/{{id}}/archive"),
            on(Action::Archive),
            archive::<T>,
        )
        .post(
            &format!("{base}/{{id}}/restore"),
            on(Action::Restore),
            restore::<T>,
        );
    if crate::access::contact_fields::<T>().is_empty() {
        return r;
    }
    r.post(
        &format!("{base}/{{id}}/erase"),
        on(Action::Update),
        erase::<T>,
    )
}

/// Erase a record's contact details for good, also from the audit log's values.
async fn erase<T: Kind>(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Record<T>>> {
    Ok(Json(auth.registry(&s.store).erase_contact::<T>(id).await?))
}

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

/// Query parameters whose rejection is answered in the API's error format.
pub struct ApiQuery<T>(pub T);

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

/// Page through a listing: `?page=1&per_page=50` (at most 500 per page).
#[derive(Debug, Deserialize)]
pub struct Paging {
    page: Option<u64>,
    per_page: Option<u64>,
    archived: Option<bool>,
}

#[derive(Serialize)]
pub struct ListBody<T> {
    items: Vec<T>,
    page: u64,
    per_page: u64,
    total: i64,
}

impl Paging {
    fn options(&self) -> Result<(u64, u64, ListOptions), AppError> {
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
    /// Another field that may stand in for this one (`stipend_rate` for
    /// `stipend_hourly_cents`).
    pub alias: Option<&'static str>,
}

/// The fields of a resource as the API takes them: every column (required on
/// `PUT`), plus form-only fields such as a decimal stipend rate.
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
            required_on_put: true,
            alias: None,
        })
        .collect();
    for fd in form {
        if let crate::kinds::Widget::Money(column) = fd.widget {
            if let Some(col) = out.iter_mut().find(|f| f.name == column) {
                col.alias = Some(fd.name);
            }
            out.push(BodyField {
                name: fd.name,
                ty: JsonType::Amount,
                required_on_put: false,
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
fn body_fields(
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
        if READ_ONLY.contains(&k.as_str()) {
            continue; // read-only bookkeeping echoed back from a GET
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
            (_, Value::Null) => Some(String::new()),
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

/// Bookkeeping fields a client may echo back from a GET; they are ignored.
const READ_ONLY: &[&str] = &[
    "id",
    "initiative_id",
    "archived",
    "created_at",
    "updated_at",
];

fn allowed_fields<T: Kind>() -> Vec<BodyField> {
    body_fields_of::<T>(&T::fields())
}

fn require_version(version: Option<i64>) -> Result<i64, AppError> {
    version.ok_or_else(|| {
        AppError::Invalid(FieldErrors::single(
            "version",
            "required",
            "version is required: send the version you read",
        ))
    })
}

fn created<T: Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

async fn me(ApiCaller { user }: ApiCaller) -> Json<User> {
    Json(user)
}

async fn list<T: Kind>(
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

async fn get_one<T: Kind>(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Record<T>>> {
    Ok(Json(auth.registry(&s.store).get::<T>(id).await?))
}

async fn create<T: Kind>(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    let (fields, _) = body_fields(body, &allowed_fields::<T>(), false)?;
    let v = T::parse(&fields).map_err(AppError::Invalid)?;
    Ok(created(auth.registry(&s.store).create(&fields, &v).await?))
}

async fn update<T: Kind>(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiPath((_, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Record<T>>> {
    let (fields, version) = body_fields(body, &allowed_fields::<T>(), true)?;
    let version = require_version(version)?;
    let v = T::parse(&fields).map_err(AppError::Invalid)?;
    Ok(Json(
        auth.registry(&s.store)
            .update(id, version, &fields, &v)
            .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ArchiveBody {
    version: Option<i64>,
}

/// The optional `{ "version": n }` of an archive or restore; anything else (not
/// JSON, not an object, unknown fields) is answered in the API's error format.
pub struct ArchiveJson(Option<i64>);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ArchiveJson {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::TooLarge)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(ArchiveJson(None));
        }
        let body: ArchiveBody = serde_json::from_slice(&bytes).map_err(|e| {
            AppError::BadRequest(format!("the body must be {{\"version\": n}}: {e}"))
        })?;
        Ok(ArchiveJson(body.version))
    }
}

async fn archive<T: Kind>(
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

async fn restore<T: Kind>(
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

fn network_fields() -> Vec<BodyField> {
    body_fields_of::<Network>(&[])
}

fn initiative_fields() -> Vec<BodyField> {
    body_fields_of::<Initiative>(&[])
}

/// The policy's answer for something outside any initiative (networks, new
/// initiatives): only the platform's grants count.
fn platform(user: &User, action: Action, kind: &str) -> Result<(), AppError> {
    match decide_record(&Grants::platform(user.is_admin), action, kind) {
        Decision::Allow => Ok(()),
        // No initiative is named, so refusing reveals none: 403 rather than 404.
        _ => Err(AppError::Forbidden),
    }
}

async fn list_networks(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListBody<Record<Network>>>> {
    let (page, per_page, opts) = p.options()?;
    let (items, total) = s.store.visible_networks(&user, opts).await?;
    Ok(Json(ListBody {
        items,
        page,
        per_page,
        total,
    }))
}

async fn get_network(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Record<Network>>> {
    let n = s.store.get::<Network>(None, id).await?;
    if !user.is_admin {
        let visible = s
            .store
            .initiatives_of_networks(&user, &[id])
            .await?
            .is_empty();
        if visible {
            return Err(AppError::NotFound);
        }
    }
    Ok(Json(n))
}

async fn create_network(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    platform(&user, Action::Create, Network::KIND)?;
    let (fields, _) = body_fields(body, &network_fields(), false)?;
    let v = Network::parse(&fields).map_err(AppError::Invalid)?;
    Ok(created(s.store.create(Some(user.id), None, &v).await?))
}

async fn update_network(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Record<Network>>> {
    platform(&user, Action::Update, Network::KIND)?;
    let (fields, version) = body_fields(body, &network_fields(), true)?;
    let version = require_version(version)?;
    let v = Network::parse(&fields).map_err(AppError::Invalid)?;
    Ok(Json(
        s.store.update(Some(user.id), None, id, version, &v).await?,
    ))
}

async fn set_network_archived(
    s: AppState,
    user: User,
    id: i64,
    version: Option<i64>,
    archived: bool,
) -> ApiResult<Json<Record<Network>>> {
    let action = if archived {
        Action::Archive
    } else {
        Action::Restore
    };
    platform(&user, action, Network::KIND)?;
    Ok(Json(
        s.store
            .set_archived::<Network>(Some(user.id), None, id, version, archived)
            .await?,
    ))
}

async fn archive_network(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ArchiveJson(version): ArchiveJson,
) -> ApiResult<Json<Record<Network>>> {
    set_network_archived(s, user, id, version, true).await
}

async fn restore_network(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ArchiveJson(version): ArchiveJson,
) -> ApiResult<Json<Record<Network>>> {
    set_network_archived(s, user, id, version, false).await
}

async fn list_initiatives(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListBody<Record<Initiative>>>> {
    let (page, per_page, opts) = p.options()?;
    let (items, total) = s.store.visible_initiatives(&user, opts).await?;
    Ok(Json(ListBody {
        items,
        page,
        per_page,
        total,
    }))
}

async fn get_initiative(auth: ApiAuthorized<Read>) -> ApiResult<Json<Record<Initiative>>> {
    Ok(Json(auth.view.initiative))
}

async fn create_initiative(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    platform(&user, Action::Create, Initiative::KIND)?;
    let (fields, _) = body_fields(body, &initiative_fields(), false)?;
    let v = Initiative::parse(&fields).map_err(AppError::Invalid)?;
    Ok(created(s.store.create_initiative(&user, &v).await?))
}

async fn update_initiative(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Record<Initiative>>> {
    let i = auth.initiative();
    let (fields, version) = body_fields(body, &initiative_fields(), true)?;
    // Which network it belongs to is decided by the policy, field by field.
    crate::access::check_write::<Initiative>(
        &auth.view.grants,
        Action::Update,
        Some(&i.data.stored_values()),
        &fields,
    )?;
    let version = require_version(version)?;
    let v = Initiative::parse(&fields).map_err(AppError::Invalid)?;
    Ok(Json(
        s.store
            .update(Some(auth.user.id), None, i.id, version, &v)
            .await?,
    ))
}

async fn archive_initiative(
    State(s): State<AppState>,
    auth: ApiAuthorized<Read>,
    ArchiveJson(version): ArchiveJson,
) -> ApiResult<Json<Record<Initiative>>> {
    let i = auth.initiative();
    crate::access::check_write::<Initiative>(
        &auth.view.grants,
        Action::Archive,
        None,
        &FieldMap::new(),
    )?;
    Ok(Json(
        s.store
            .set_archived::<Initiative>(Some(auth.user.id), None, i.id, version, true)
            .await?,
    ))
}

/// Restore an archived initiative (admins: an archived initiative is out of
/// everyone else's sight).
async fn restore_initiative(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(slug): ApiPath<String>,
    ArchiveJson(version): ArchiveJson,
) -> ApiResult<Json<Record<Initiative>>> {
    platform(&user, Action::Restore, Initiative::KIND)?;
    let i = s.store.archived_initiative_by_slug(&slug).await?;
    Ok(Json(
        s.store
            .set_archived::<Initiative>(Some(user.id), None, i.id, version, false)
            .await?,
    ))
}

async fn table_view(
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
struct AuditQuery {
    page: Option<u64>,
    per_page: Option<u64>,
    kind: Option<String>,
    record_id: Option<i64>,
}

async fn audit(
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
    let entries = auth
        .registry(&s.store)
        .audit(Filter {
            initiative: None,
            kind: q.kind,
            record_id: q.record_id,
            limit: opts.limit,
            offset: opts.offset,
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

async fn hsds(State(s): State<AppState>, auth: ApiAuthorized<Read>) -> ApiResult<Json<Value>> {
    Ok(Json(
        hsds_document(&auth.registry(&s.store), auth.initiative()).await?,
    ))
}
