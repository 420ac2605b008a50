//! Who has access to an initiative: accounts and roles, invitations by link.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use domain::access::Role;
use domain::partnership::Organization;
use store::StoreError;
use store::accounts::User;

use super::{Chrome, Submitted, render_status};
use crate::AppState;
use crate::access::{Authorized, ManageAccess};
use crate::error::{AppError, PageResult};

/// The role menu, from the least privilege to the most: it opens on viewer,
/// so an invitation gives more only when the coordinator chooses it.
pub const ROLE_MENU: [Role; 6] = [
    Role::Viewer,
    Role::Resident,
    Role::Partner,
    Role::Funder,
    Role::CaseWorker,
    Role::Coordinator,
];

#[derive(Template)]
#[template(path = "access.html")]
struct AccessPage {
    c: Chrome,
    users: Vec<(User, Vec<Role>)>,
    invitations: Vec<store::accounts::Invitation>,
    roles: Vec<(String, String)>,
    /// The initiative's organizations (id, name): whom a partner may speak for.
    organizations: Vec<(i64, String)>,
    /// (user id, name of the organization they speak for).
    speaks_for: Vec<(i64, String)>,
    /// A link just made, as the full address to send.
    link: Option<String>,
    error: String,
}

async fn access_page(
    s: &AppState,
    auth: &Authorized<ManageAccess>,
    link: Option<String>,
    error: String,
    status: StatusCode,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let (users, invitations) = reg.access_list().await?;
    let organizations = reg.names::<Organization>().await?;
    let speaks_for = reg
        .spoken_for()
        .await?
        .into_iter()
        .map(|(user, org)| (user, organization_name(&organizations, Some(org))))
        .collect();
    let c = Chrome::new(ctx, ctx.tr.t("access-title")).in_initiative(i, g, "access");
    let roles = ROLE_MENU
        .iter()
        .map(|r| (r.as_str().to_string(), c.t(&format!("role-{}", r.as_str()))))
        .collect();
    render_status(
        status,
        &AccessPage {
            c,
            users,
            invitations,
            roles,
            organizations,
            speaks_for,
            link,
            error,
        },
    )
}

impl AccessPage {
    /// The name of the organization an invitation's partner will speak for.
    fn organization_of(&self, id: &Option<i64>) -> String {
        organization_name(&self.organizations, *id)
    }
}

/// An organization's name among `names` (empty when it is not there).
fn organization_name(names: &[(i64, String)], id: Option<i64>) -> String {
    names
        .iter()
        .find(|(o, _)| Some(*o) == id)
        .map(|(_, n)| n.clone())
        .unwrap_or_default()
}

pub async fn access(State(s): State<AppState>, auth: Authorized<ManageAccess>) -> PageResult {
    access_page(&s, &auth, None, String::new(), StatusCode::OK).await
}

/// Invite someone by link with a role. The link is shown to the coordinator and
/// emailed to the invitee (through the outbox).
pub async fn invite(
    State(s): State<AppState>,
    auth: Authorized<ManageAccess>,
    headers: axum::http::HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let (ctx, i) = (&auth.ctx, auth.initiative());
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    let role = sub.fields.get("role").and_then(|r| Role::parse(r));
    let email = sub.fields.get("email").cloned().unwrap_or_default();
    let Some(role) = role else {
        let msg = ctx
            .tr
            .t1("error-unknown_choice", "field", &ctx.tr.t("field-role"));
        return access_page(&s, &auth, None, msg, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    // The organization a partner will speak for: one of this initiative's.
    let organization = match sub.fields.get("organization_id").map(|v| v.trim()) {
        None | Some("") => None,
        Some(v) => {
            let known = auth.registry(&s.store).names::<Organization>().await?;
            let id = v
                .parse::<i64>()
                .ok()
                .filter(|id| known.iter().any(|(o, _)| o == id));
            let problem = match id {
                None => Some("access-speaks-for-unknown"),
                Some(_) if role != Role::Partner => Some("access-speaks-for-partner-only"),
                Some(_) => None,
            };
            if let Some(key) = problem {
                let msg = ctx.tr.t(key);
                return access_page(&s, &auth, None, msg, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            id
        }
    };
    match s
        .store
        .create_invitation_for(
            Some(user.id),
            &email,
            Some(i.id),
            Some(role),
            false,
            organization,
        )
        .await
    {
        Ok(secret) => {
            let link = send_link(&s, &auth, &headers, &secret, &email).await;
            access_page(&s, &auth, Some(link), String::new(), StatusCode::OK).await
        }
        Err(StoreError::Invalid(e)) => {
            let msg = crate::kinds::errors_text(&ctx.tr, &e);
            access_page(&s, &auth, None, msg, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    State(s): State<AppState>,
    auth: Authorized<ManageAccess>,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let i = auth.initiative();
    let user = auth.ctx.check_csrf(sub.csrf.as_deref())?.clone();
    let role = sub
        .fields
        .get("role")
        .and_then(|r| Role::parse(r))
        .ok_or(AppError::BadRequest("unknown role".into()))?;
    let target: i64 = sub
        .fields
        .get("user_id")
        .and_then(|v| v.parse().ok())
        .ok_or(AppError::BadRequest("user_id is required".into()))?;
    s.store
        .revoke_role(Some(user.id), target, i.id, role)
        .await?;
    Ok(Redirect::to(&format!("/i/{slug}/access")).into_response())
}

/// Withdraw an open invitation.
pub async fn withdraw_invitation(
    State(s): State<AppState>,
    auth: Authorized<ManageAccess>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let i = auth.initiative();
    let user = auth.ctx.check_csrf(sub.csrf.as_deref())?.clone();
    let _ = (user, i);
    auth.registry(&s.store).withdraw_invitation(id).await?;
    Ok(Redirect::to(&format!("/i/{slug}/access")).into_response())
}

/// Queue an invitation's email and give its link as a full address.
async fn send_link(
    s: &AppState,
    auth: &Authorized<ManageAccess>,
    headers: &axum::http::HeaderMap,
    secret: &str,
    email: &str,
) -> String {
    let i = auth.initiative();
    let base = super::mail::base_url(s, headers);
    let (name, langs) = (&i.data.name, &i.data.languages);
    if let Err(e) =
        super::mail::enqueue_invitation(&s.store, &base, secret, email, name, langs).await
    {
        // The link is on the page all the same.
        tracing::warn!(error = %e, "could not queue the invitation's email");
    }
    format!("{base}/invite/{secret}")
}

/// A fresh link for an open invitation: the old link stops working, the new
/// one is shown and emailed again.
pub async fn renew_invitation(
    State(s): State<AppState>,
    auth: Authorized<ManageAccess>,
    headers: axum::http::HeaderMap,
    Path((_slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let registry = auth.registry(&s.store);
    let (_, invitations) = registry.access_list().await?;
    let email = invitations
        .iter()
        .find(|inv| inv.id == id)
        .map(|inv| inv.email.clone())
        .ok_or(AppError::NotFound)?;
    let (_, secret) = registry.renew_invitation(id).await?;
    let link = send_link(&s, &auth, &headers, &secret, &email).await;
    access_page(&s, &auth, Some(link), String::new(), StatusCode::OK).await
}
