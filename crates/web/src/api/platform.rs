//! Networks, initiatives as a whole, and the calling account.

use axum::Json;
use axum::extract::State;
use axum::response::Response;

use domain::access::Action;
use domain::partnership::{Initiative, Network};
use domain::resource::{Record, Resource};
use domain::validation::FieldMap;
use store::accounts::User;

use super::extract::*;
use crate::AppState;
use crate::access::platform;
use crate::access::{ApiAuthorized, Read, Write};
use crate::error::{ApiResult, AppError};
use crate::session::ApiCaller;

pub(super) async fn me(ApiCaller { user }: ApiCaller) -> Json<User> {
    Json(user)
}

pub(super) fn network_fields() -> Vec<BodyField> {
    body_fields_of::<Network>(&[])
}

pub(super) fn initiative_fields() -> Vec<BodyField> {
    body_fields_of::<Initiative>(&[])
}

pub(super) async fn list_networks(
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

pub(super) async fn get_network(
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

pub(super) async fn create_network(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    platform(&user, Action::Create, Network::KIND)?;
    let (fields, _) = body_fields(body, &network_fields(), false)?;
    let v = Network::parse(&fields).map_err(AppError::Invalid)?;
    Ok(created(s.store.create(Some(user.id), None, &v).await?))
}

pub(super) async fn update_network(
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

pub(super) async fn set_network_archived(
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

pub(super) async fn archive_network(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ArchiveJson(version): ArchiveJson,
) -> ApiResult<Json<Record<Network>>> {
    set_network_archived(s, user, id, version, true).await
}

pub(super) async fn restore_network(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
    ArchiveJson(version): ArchiveJson,
) -> ApiResult<Json<Record<Network>>> {
    set_network_archived(s, user, id, version, false).await
}

pub(super) async fn list_initiatives(
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

pub(super) async fn get_initiative(
    auth: ApiAuthorized<Read>,
) -> ApiResult<Json<Record<Initiative>>> {
    Ok(Json(auth.view.initiative))
}

pub(super) async fn create_initiative(
    State(s): State<AppState>,
    ApiCaller { user }: ApiCaller,
    ApiJson(body): ApiJson,
) -> ApiResult<Response> {
    platform(&user, Action::Create, Initiative::KIND)?;
    let (fields, _) = body_fields(body, &initiative_fields(), false)?;
    let v = Initiative::parse(&fields).map_err(AppError::Invalid)?;
    Ok(created(s.store.create_initiative(&user, &v).await?))
}

pub(super) async fn update_initiative(
    State(s): State<AppState>,
    auth: ApiAuthorized<Write>,
    ApiJson(body): ApiJson,
) -> ApiResult<Json<Record<Initiative>>> {
    let i = auth.initiative();
    let allowed = initiative_fields();
    let (mut fields, version) = body_fields(body, &allowed, true)?;
    super::extract::keep_absent(&mut fields, &allowed, &i.data.stored_values());
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

pub(super) async fn archive_initiative(
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
pub(super) async fn restore_initiative(
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
