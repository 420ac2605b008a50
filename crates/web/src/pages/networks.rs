//! Networks of initiatives and their leads (admins keep them; members see the
//! networks of the initiatives they can see).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use domain::access::Action;
use domain::partnership::{Initiative, Network};
use domain::resource::{Record, Resource};
use domain::validation::{FieldErrors, FieldMap};
use store::accounts::User;

use super::initiative::{GlobalForm, admin_only};
use super::{Chrome, PageQuery, Pager, Pages, Submitted, render, render_status};
use crate::AppState;
use crate::error::{AppError, PageResult};
use crate::kinds::{FieldDef, RefNames, Widget};
use crate::session::Ctx;

#[derive(Template)]
#[template(path = "networks.html")]
struct NetworksPage {
    c: Chrome,
    networks: Vec<(Record<Network>, Vec<Record<Initiative>>)>,
    pages: Pages,
}

/// Networks and their initiatives: all for an admin; a user sees the networks
/// of the initiatives they can see. Paged: nothing is cut off silently.
pub async fn networks(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let user = ctx.user()?.clone();
    let pager = Pager::new(q.page, 50);
    // Admins see archived networks too, to restore them.
    let opts = store::records::ListOptions {
        include_archived: user.is_admin,
        ..pager.options()
    };
    let (nets, total) = s.store.visible_networks(&user, opts).await?;
    let ids: Vec<i64> = nets.iter().map(|n| n.id).collect();
    let initiatives = s.store.initiatives_of_networks(&user, &ids).await?;
    let networks = nets
        .into_iter()
        .map(|n| {
            let members: Vec<_> = initiatives
                .iter()
                .filter(|i| i.data.network_id == Some(n.id))
                .cloned()
                .collect();
            (n, members)
        })
        .collect();
    let c = Chrome::new(&ctx, ctx.tr.t("networks-title"));
    render(&NetworksPage {
        pages: pager.links(&c, "/networks", total),
        c,
        networks,
    })
}

fn network_fields() -> Vec<FieldDef> {
    vec![
        FieldDef {
            name: "name",
            widget: Widget::Text,
            required: true,
        },
        FieldDef {
            name: "slug",
            widget: Widget::Text,
            // Left empty on a new network, it is made from the name.
            required: false,
        },
        FieldDef {
            name: "description",
            widget: Widget::TextArea,
            required: false,
        },
    ]
}

fn network_form(ctx: &Ctx, id: Option<i64>) -> GlobalForm {
    let c = Chrome::new(ctx, "").crumb("/networks", ctx.tr.t("networks-title"));
    let (heading, action) = match id {
        Some(id) => (
            c.t1("form-edit", "kind", &c.t("kind-one-network")),
            format!("/networks/{id}"),
        ),
        None => (
            c.t1("form-new", "kind", &c.t("kind-one-network")),
            "/networks".into(),
        ),
    };
    GlobalForm {
        c,
        heading,
        action,
        cancel: "/networks".into(),
        defs: network_fields(),
        refs: RefNames::default(),
        translatable: &[],
    }
}

pub async fn new_network(ctx: Ctx) -> PageResult {
    admin_only(&ctx, Action::Create, Network::KIND)?;
    network_form(&ctx, None).show(
        &FieldMap::new(),
        &FieldErrors::default(),
        None,
        vec![],
        StatusCode::OK,
    )
}

pub async fn create_network(
    State(s): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let mut sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    admin_only(&ctx, Action::Create, Network::KIND)?;
    sub.slug_from_name();
    match network_form(&ctx, None)
        .save::<Network>(&s, &user, &sub, None)
        .await
    {
        Ok(_) => Ok(Redirect::to("/networks").into_response()),
        Err(page) => page,
    }
}

pub async fn edit_network(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    admin_only(&ctx, Action::Update, Network::KIND)?;
    let n = s.store.get::<Network>(None, id).await?;
    network_form(&ctx, Some(id)).show(
        &n.data.to_fields(),
        &FieldErrors::default(),
        Some(n.version),
        vec![],
        StatusCode::OK,
    )
}

pub async fn update_network(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    admin_only(&ctx, Action::Update, Network::KIND)?;
    match network_form(&ctx, Some(id))
        .save::<Network>(&s, &user, &sub, Some(id))
        .await
    {
        Ok(_) => Ok(Redirect::to("/networks").into_response()),
        Err(page) => page,
    }
}

#[derive(Template)]
#[template(path = "leads.html")]
struct LeadsPage {
    c: Chrome,
    heading: String,
    network: String,
    base: String,
    leads: Vec<User>,
    error: String,
}

async fn leads_page(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    error: String,
    status: StatusCode,
) -> PageResult {
    let n = s.store.get::<Network>(None, id).await?;
    let leads = s.store.network_leads(id).await?;
    let c = Chrome::new(ctx, "").crumb("/networks", ctx.tr.t("networks-title"));
    let heading = c.t1("leads-heading", "name", &n.data.name);
    let c = Chrome {
        title: heading.clone(),
        ..c
    };
    render_status(
        status,
        &LeadsPage {
            c,
            heading,
            network: n.data.name,
            base: format!("/networks/{id}/leads"),
            leads,
            error,
        },
    )
}

/// The leads of a network (admins): who reads all its initiatives.
pub async fn network_leads(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    admin_only(&ctx, Action::Update, Network::KIND)?;
    leads_page(&s, &ctx, id, String::new(), StatusCode::OK).await
}

/// Make an existing account a lead of the network (admins).
pub async fn grant_network_lead(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    admin_only(&ctx, Action::Update, Network::KIND)?;
    let email = sub.fields.get("email").cloned().unwrap_or_default();
    s.store.get::<Network>(None, id).await?;
    match s.store.user_by_email(&email).await? {
        Some(lead) => {
            s.store
                .grant_network_lead_by(Some(user.id), lead.id, id)
                .await?;
            Ok(Redirect::to(&format!("/networks/{id}/leads")).into_response())
        }
        None => {
            let msg = ctx.tr.t("leads-no-account");
            leads_page(&s, &ctx, id, msg, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// Take the lead role from an account (admins).
pub async fn revoke_network_lead(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    admin_only(&ctx, Action::Update, Network::KIND)?;
    let target: i64 = sub
        .fields
        .get("user_id")
        .and_then(|v| v.parse().ok())
        .ok_or(AppError::BadRequest("user_id is required".into()))?;
    s.store
        .revoke_network_lead(Some(user.id), target, id)
        .await?;
    Ok(Redirect::to(&format!("/networks/{id}/leads")).into_response())
}

/// Archive a network (admins). Nothing is deleted.
pub async fn archive_network(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    set_network_archived(s, ctx, id, pairs, true).await
}

/// Restore an archived network (admins).
pub async fn restore_network(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    set_network_archived(s, ctx, id, pairs, false).await
}

async fn set_network_archived(
    s: AppState,
    ctx: Ctx,
    id: i64,
    pairs: Vec<(String, String)>,
    archived: bool,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    admin_only(
        &ctx,
        if archived {
            Action::Archive
        } else {
            Action::Restore
        },
        Network::KIND,
    )?;
    s.store
        .set_archived::<Network>(Some(user.id), None, id, sub.version, archived)
        .await?;
    Ok(Redirect::to("/networks").into_response())
}

/// What archiving a network does, before an admin confirms it.
pub async fn confirm_archive_network(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> PageResult {
    let admin = admin_only(&ctx, Action::Archive, Network::KIND)?;
    let n = s.store.get::<Network>(None, id).await?;
    let members = s.store.initiatives_of_networks(&admin, &[id]).await?;
    let c = Chrome::new(&ctx, "").crumb("/networks", ctx.tr.t("networks-title"));
    let heading = c.t1("archive-heading", "name", &n.data.name);
    let consequences = members
        .iter()
        .map(|i| (i.data.name.clone(), vec![]))
        .collect();
    let c = Chrome {
        title: heading.clone(),
        ..c
    };
    render(&super::records::ConfirmArchive {
        what: c.t("archive-network-what"),
        c,
        heading,
        archiving: true,
        consequences,
        action: format!("/networks/{id}/archive"),
        cancel: "/networks".into(),
        version: n.version,
    })
}
