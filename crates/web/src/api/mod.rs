//! The JSON API under `/api/v1`, described by [`openapi`] at `/api/openapi.json`.
//!
//! Scripts authenticate with a bearer token (`backbone token create`); the
//! browser may use its session cookie plus `X-CSRF-Token` for writes. Errors are
//! `{ "error": code, "message": …, "fields": {…} }`. Updates must carry the
//! `version` they were based on; a stale one gets 409 with the current values.

pub mod openapi;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use domain::access::{Action, Grants};
use domain::partnership::{Initiative, Location, Network, Organization, Service};
use domain::resource::{Record, Resource};
use domain::validation::{FieldErrors, FieldMap};
use store::Store;
use store::accounts::User;
use store::audit::Filter;
use store::records::ListOptions;

use crate::AppState;
use crate::error::{ApiResult, AppError};
use crate::kinds::Kind;
use crate::session::ApiCaller;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    use domain::partnership::*;
    let r = r
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/v1/me", get(me))
        .route("/api/v1/networks", get(list_networks).post(create_network))
        .route(
            "/api/v1/networks/{id}",
            get(get_network).put(update_network),
        )
        .route("/api/v1/networks/{id}/archive", post(archive_network))
        .route(
            "/api/v1/initiatives",
            get(list_initiatives).post(create_initiative),
        )
        .route(
            "/api/v1/initiatives/{slug}",
            get(get_initiative).put(update_initiative),
        )
        .route(
            "/api/v1/initiatives/{slug}/archive",
            post(archive_initiative),
        )
        .route("/api/v1/initiatives/{slug}/table", get(table_view))
        .route("/api/v1/initiatives/{slug}/audit", get(audit))
        .route("/api/v1/initiatives/{slug}/hsds", get(hsds));
    let r = kind_routes::<Organization>(r);
    let r = kind_routes::<Person>(r);
    let r = kind_routes::<Body>(r);
    let r = kind_routes::<Membership>(r);
    let r = kind_routes::<Location>(r);
    let r = kind_routes::<Service>(r);
    let r = kind_routes::<Fact>(r);
    kind_routes::<StageReached>(r)
}

fn kind_routes<T: Kind>(r: Router<AppState>) -> Router<AppState> {
    let base = format!("/api/v1/initiatives/{{slug}}/{}", T::PATH);
    r.route(&base, get(list::<T>).post(create::<T>))
        .route(
            &format!("{base}/{{id}}"),
            get(get_one::<T>).put(update::<T>),
        )
        .route(&format!("{base}/{{id}}/archive"), post(archive::<T>))
        .route(&format!("{base}/{{id}}/restore"), post(restore::<T>))
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

impl<T> ListBody<T> {
    /// One page of a list already filtered in memory (the lists a user may see
    /// of networks and initiatives are short).
    fn slice(all: Vec<T>, page: u64, per_page: u64) -> Self {
        let total = all.len() as i64;
        let items = all
            .into_iter()
            .skip(((page - 1) * per_page) as usize)
            .take(per_page as usize)
            .collect();
        ListBody {
            items,
            page,
            per_page,
            total,
        }
    }
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

/// A JSON body as submitted fields plus the `version`. Unknown fields are refused
/// by name rather than ignored, so a typo never silently drops a value.
fn body_fields(body: Value, allowed: &[&str]) -> Result<(FieldMap, Option<i64>), AppError> {
    let Value::Object(obj) = body else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let mut fields = FieldMap::new();
    let mut version = None;
    let mut errors = FieldErrors::default();
    for (k, v) in obj {
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
        if [
            "id",
            "initiative_id",
            "archived",
            "created_at",
            "updated_at",
        ]
        .contains(&k.as_str())
        {
            continue; // read-only bookkeeping echoed back from a GET
        }
        if !allowed.contains(&k.as_str()) {
            errors.add(
                &k,
                "unknown_field",
                format!("{k} is not a field of this resource"),
            );
            continue;
        }
        let s = match v {
            Value::Null => String::new(),
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                errors.add(
                    &k,
                    "invalid_type",
                    format!("{k} must be a string or a number"),
                );
                continue;
            }
        };
        fields.insert(k, s);
    }
    errors.finish((fields, version)).map_err(AppError::Invalid)
}

fn allowed_fields<T: Kind>() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = T::fields().iter().map(|f| f.name).collect();
    v.extend(T::columns().iter().map(|c| c.name));
    v
}

async fn open(
    store: &Store,
    user: &User,
    slug: &str,
    action: Action,
) -> Result<(Record<Initiative>, Grants), AppError> {
    let store::partnership::InitiativeView {
        initiative: i,
        grants: g,
        ..
    } = store.initiative_view(slug, Some(user)).await?;
    if !g.can_see() {
        return Err(AppError::NotFound);
    }
    if !g.allows(action) {
        return Err(AppError::Forbidden);
    }
    Ok((i, g))
}

fn created<T: Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

async fn me(ApiCaller { user }: ApiCaller) -> Json<User> {
    Json(user)
}

async fn list<T: Kind>(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListBody<Record<T>>>> {
    let (i, g) = open(&s.store, &user, &slug, Action::Read).await?;
    let (page, per_page, opts) = p.options()?;
    let mut items = s.store.list::<T>(Some(i.id), opts).await?;
    if !g.allows(Action::EditPartnership) {
        items.iter_mut().for_each(|r| r.data.redact());
    }
    let total = s
        .store
        .count::<T>(Some(i.id), opts.include_archived)
        .await?;
    Ok(Json(ListBody {
        items,
        page,
        per_page,
        total,
    }))
}

async fn get_one<T: Kind>(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<Record<T>>> {
    let (i, g) = open(&s.store, &user, &slug, Action::Read).await?;
    let mut rec = s.store.get::<T>(Some(i.id), id).await?;
    if !g.allows(Action::EditPartnership) {
        rec.data.redact();
    }
    Ok(Json(rec))
}

async fn create<T: Kind>(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    let (i, _) = open(&s.store, &user, &slug, Action::EditPartnership).await?;
    let (fields, _) = body_fields(body, &allowed_fields::<T>())?;
    let v = T::parse(&fields).map_err(AppError::Invalid)?;
    Ok(created(
        s.store.create(Some(user.id), Some(i.id), &v).await?,
    ))
}

async fn update<T: Kind>(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Record<T>>> {
    let (i, _) = open(&s.store, &user, &slug, Action::EditPartnership).await?;
    let (fields, version) = body_fields(body, &allowed_fields::<T>())?;
    let version = version.ok_or_else(|| {
        AppError::Invalid(FieldErrors::single(
            "version",
            "required",
            "version is required: send the version you read",
        ))
    })?;
    let v = T::parse(&fields).map_err(AppError::Invalid)?;
    Ok(Json(
        s.store
            .update(Some(user.id), Some(i.id), id, version, &v)
            .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ArchiveBody {
    version: Option<i64>,
}

async fn archive<T: Kind>(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    body: Option<Json<ArchiveBody>>,
) -> ApiResult<Json<Record<T>>> {
    let (i, _) = open(&s.store, &user, &slug, Action::EditPartnership).await?;
    let version = body.and_then(|b| b.0.version);
    Ok(Json(
        s.store
            .set_archived::<T>(Some(user.id), Some(i.id), id, version, true)
            .await?,
    ))
}

async fn restore<T: Kind>(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    body: Option<Json<ArchiveBody>>,
) -> ApiResult<Json<Record<T>>> {
    let (i, _) = open(&s.store, &user, &slug, Action::EditPartnership).await?;
    let version = body.and_then(|b| b.0.version);
    Ok(Json(
        s.store
            .set_archived::<T>(Some(user.id), Some(i.id), id, version, false)
            .await?,
    ))
}

const NETWORK_FIELDS: &[&str] = &["name", "slug", "description"];
const INITIATIVE_FIELDS: &[&str] = &[
    "name",
    "slug",
    "place",
    "languages",
    "description",
    "network_id",
];

async fn list_networks(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListBody<Record<Network>>>> {
    let (page, per_page, opts) = p.options()?;
    if user.is_admin {
        let items = s.store.list::<Network>(None, opts).await?;
        let total = s
            .store
            .count::<Network>(None, opts.include_archived)
            .await?;
        return Ok(Json(ListBody {
            items,
            page,
            per_page,
            total,
        }));
    }
    // Others see the networks of the initiatives they can see.
    let ids = s.store.visible_initiative_ids(&user).await?;
    let nets: Vec<i64> = s
        .store
        .initiatives_among(ids.as_deref())
        .await?
        .iter()
        .filter_map(|i| i.data.network_id)
        .collect();
    let all = s
        .store
        .list::<Network>(
            None,
            ListOptions {
                limit: 10_000,
                offset: 0,
                ..opts
            },
        )
        .await?;
    let mine: Vec<_> = all.into_iter().filter(|n| nets.contains(&n.id)).collect();
    Ok(Json(ListBody::slice(mine, page, per_page)))
}

async fn get_network(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Record<Network>>> {
    let n = s.store.get::<Network>(None, id).await?;
    if !user.is_admin {
        let ids = s.store.visible_initiative_ids(&user).await?;
        let visible = s
            .store
            .initiatives_among(ids.as_deref())
            .await?
            .iter()
            .any(|i| i.data.network_id == Some(id));
        if !visible {
            return Err(AppError::NotFound);
        }
    }
    Ok(Json(n))
}

fn require_admin(user: &User) -> Result<(), AppError> {
    if user.is_admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn create_network(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    require_admin(&user)?;
    let (fields, _) = body_fields(body, NETWORK_FIELDS)?;
    let v = Network::parse(&fields).map_err(AppError::Invalid)?;
    Ok(created(s.store.create(Some(user.id), None, &v).await?))
}

async fn update_network(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Record<Network>>> {
    require_admin(&user)?;
    let (fields, version) = body_fields(body, NETWORK_FIELDS)?;
    let version = version.ok_or_else(|| {
        AppError::Invalid(FieldErrors::single(
            "version",
            "required",
            "version is required",
        ))
    })?;
    let v = Network::parse(&fields).map_err(AppError::Invalid)?;
    Ok(Json(
        s.store.update(Some(user.id), None, id, version, &v).await?,
    ))
}

async fn archive_network(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    body: Option<Json<ArchiveBody>>,
) -> ApiResult<Json<Record<Network>>> {
    require_admin(&user)?;
    Ok(Json(
        s.store
            .set_archived::<Network>(
                Some(user.id),
                None,
                id,
                body.and_then(|b| b.0.version),
                true,
            )
            .await?,
    ))
}

async fn list_initiatives(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListBody<Record<Initiative>>>> {
    let (page, per_page, _) = p.options()?;
    let ids = s.store.visible_initiative_ids(&user).await?;
    let all = s.store.initiatives_among(ids.as_deref()).await?;
    Ok(Json(ListBody::slice(all, page, per_page)))
}

async fn get_initiative(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<Record<Initiative>>> {
    Ok(Json(open(&s.store, &user, &slug, Action::Read).await?.0))
}

async fn create_initiative(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    require_admin(&user)?;
    let (fields, _) = body_fields(body, INITIATIVE_FIELDS)?;
    let v = Initiative::parse(&fields).map_err(AppError::Invalid)?;
    Ok(created(s.store.create_initiative(&user, &v).await?))
}

async fn update_initiative(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Record<Initiative>>> {
    let (i, _) = open(&s.store, &user, &slug, Action::EditPartnership).await?;
    let (mut fields, version) = body_fields(body, INITIATIVE_FIELDS)?;
    // Only an admin moves an initiative to another network (its lead reads it).
    if !user.is_admin {
        let current = i.data.network_id.map(|n| n.to_string()).unwrap_or_default();
        match fields.get("network_id") {
            Some(sent) if *sent != current => return Err(AppError::Forbidden),
            _ => fields.insert("network_id".into(), current),
        };
    }
    let version = version.ok_or_else(|| {
        AppError::Invalid(FieldErrors::single(
            "version",
            "required",
            "version is required",
        ))
    })?;
    let v = Initiative::parse(&fields).map_err(AppError::Invalid)?;
    Ok(Json(
        s.store
            .update(Some(user.id), None, i.id, version, &v)
            .await?,
    ))
}

async fn archive_initiative(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(slug): ApiPath<String>,
    body: Option<Json<ArchiveBody>>,
) -> ApiResult<Json<Record<Initiative>>> {
    require_admin(&user)?;
    let i = s.store.initiative_by_slug(&slug).await?;
    Ok(Json(
        s.store
            .set_archived::<Initiative>(
                Some(user.id),
                None,
                i.id,
                body.and_then(|b| b.0.version),
                true,
            )
            .await?,
    ))
}

async fn table_view(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let (i, _) = open(&s.store, &user, &slug, Action::Read).await?;
    let today = chrono::Utc::now().date_naive();
    let bodies = s.store.at_the_table(i.id, today).await?;
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
    ApiCaller { user }: ApiCaller,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Value>> {
    let (i, _) = open(&s.store, &user, &slug, Action::ReadAudit).await?;
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
        archived: None,
    };
    let (page, per_page, opts) = paging.options()?;
    let entries = s
        .store
        .audit(&Filter {
            initiative: Some(i.id),
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
pub async fn hsds_document(store: &Store, i: &Record<Initiative>) -> Result<Value, AppError> {
    let opts = ListOptions {
        include_archived: true,
        limit: 100_000,
        offset: 0,
    };
    let orgs = store.list::<Organization>(Some(i.id), opts).await?;
    let locations = store.list::<Location>(Some(i.id), opts).await?;
    let services = store.list::<Service>(Some(i.id), opts).await?;
    Ok(interop::hsds::export(
        &i.data.slug,
        &orgs,
        &locations,
        &services,
    ))
}

async fn hsds(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    let (i, _) = open(&s.store, &user, &slug, Action::Read).await?;
    Ok(Json(hsds_document(&s.store, &i).await?))
}
