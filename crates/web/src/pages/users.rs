//! The admin's page on accounts: who they are, their roles in each
//! initiative, when they last signed in; disabling and enabling them, and a
//! one-time password reset link to pass on when no mail is sent.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use store::accounts::UserOverview;

use super::{Chrome, Submitted, render_status};
use crate::AppState;
use crate::access::PlatformAdmin;
use crate::error::{AppError, PageResult};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    r.get("/admin/users", Access::Admin, users)
        .get("/admin/users/disable", Access::Admin, confirm_disable)
        .post("/admin/users/disable", Access::Admin, disable)
        .post("/admin/users/enable", Access::Admin, enable)
        .post("/admin/users/reset-link", Access::Admin, reset_link)
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<UserOverview>,
    /// A reset link just issued: (for whom, the full address).
    link: Option<(String, String)>,
    hours: String,
    me: i64,
}

fn chrome(admin: &PlatformAdmin) -> Chrome {
    Chrome::new(&admin.ctx, admin.ctx.tr.t("users-title"))
}

async fn page(
    s: &AppState,
    admin: &PlatformAdmin,
    c: Chrome,
    link: Option<(String, String)>,
) -> PageResult {
    let users = admin.users(&s.store).await?;
    render_status(
        StatusCode::OK,
        &UsersPage {
            c,
            users,
            link,
            hours: store::accounts::RESET_HOURS.to_string(),
            me: admin.user.id,
        },
    )
}

pub async fn users(State(s): State<AppState>, admin: PlatformAdmin) -> PageResult {
    let c = chrome(&admin);
    page(&s, &admin, c, None).await
}

fn user_id(sub: &Submitted) -> Result<i64, AppError> {
    sub.fields
        .get("user_id")
        .and_then(|v| v.parse().ok())
        .ok_or(AppError::BadRequest("user_id is required".into()))
}

#[derive(Deserialize)]
pub struct UserQuery {
    user_id: Option<String>,
}

#[derive(Template)]
#[template(path = "users_disable.html")]
struct ConfirmDisable {
    c: Chrome,
    id: i64,
    name: String,
    email: String,
}

/// "Disable this account?": what it does, and the button that does it.
pub async fn confirm_disable(
    State(s): State<AppState>,
    admin: PlatformAdmin,
    Query(q): Query<UserQuery>,
) -> PageResult {
    let id: i64 = q
        .user_id
        .and_then(|v| v.parse().ok())
        .ok_or(AppError::BadRequest("user_id is required".into()))?;
    let u = admin
        .users(&s.store)
        .await?
        .into_iter()
        .find(|u| u.user.id == id)
        .ok_or(AppError::NotFound)?;
    if id == admin.user.id {
        return Err(AppError::Forbidden.into());
    }
    let c = Chrome::new(&admin.ctx, admin.ctx.tr.t("users-disable-title"))
        .crumb("/admin/users", admin.ctx.tr.t("users-title"));
    render_status(
        StatusCode::OK,
        &ConfirmDisable {
            c,
            id,
            name: u.user.display_name,
            email: u.user.email,
        },
    )
}

/// Disable an account: it can no longer sign in, its sessions end and its API
/// tokens are revoked (audited).
pub async fn disable(
    State(s): State<AppState>,
    admin: PlatformAdmin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    admin.ctx.check_csrf(sub.csrf.as_deref())?;
    admin.set_disabled(&s.store, user_id(&sub)?, true).await?;
    Ok(Redirect::to("/admin/users").into_response())
}

/// Enable a disabled account again (audited); its old sessions and tokens stay
/// ended.
pub async fn enable(
    State(s): State<AppState>,
    admin: PlatformAdmin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    admin.ctx.check_csrf(sub.csrf.as_deref())?;
    admin.set_disabled(&s.store, user_id(&sub)?, false).await?;
    Ok(Redirect::to("/admin/users").into_response())
}

/// Issue a one-time password reset link for an account, shown as a full
/// address for the admin to pass on (audited).
pub async fn reset_link(
    State(s): State<AppState>,
    admin: PlatformAdmin,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    admin.ctx.check_csrf(sub.csrf.as_deref())?;
    let id = user_id(&sub)?;
    let name = admin
        .users(&s.store)
        .await?
        .into_iter()
        .find(|u| u.user.id == id)
        .map(|u| u.user.display_name)
        .ok_or(AppError::NotFound)?;
    let secret = admin.reset_link(&s.store, id).await?;
    let base = super::mail::base_url(&s, &headers);
    let c = chrome(&admin);
    page(
        &s,
        &admin,
        c,
        Some((name, format!("{base}/reset/{secret}"))),
    )
    .await
}
