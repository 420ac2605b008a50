//! The initiative's own pages: dashboard, home, "who is at the table", audit log,
//! access, and the network and initiative forms.

use askama::Template;
use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use domain::access::{Action, Grants, Role};
use domain::partnership::{Body, Fact, Initiative, Network, Sector, Stage, StageReached, Table};
use domain::resource::{Record, Resource};
use domain::validation::{FieldErrors, FieldMap};
use store::StoreError;
use store::accounts::User;
use store::audit::{Entry, Filter};
use store::records::ListOptions;

use super::{Chrome, PageQuery, Pager, Pages, Submitted, render, render_status};
use crate::AppState;
use crate::access::{Audit, Authorized, ManageAccess, Read, Write};
use crate::error::{AppError, PageResult};
use crate::kinds::{FieldDef, RefNames, Widget, form_fields};
use crate::pages::records::FormPage;
use crate::session::Ctx;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    c: Chrome,
    initiatives: Vec<Record<Initiative>>,
    pages: Pages,
}

/// The signed-in user's initiatives.
pub async fn dashboard(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let user = ctx.user()?.clone();
    let pager = Pager::new(q.page, 100);
    let (initiatives, total) = s.store.visible_initiatives(&user, pager.options()).await?;
    let c = Chrome::new(&ctx, ctx.tr.t("dashboard-title"));
    render(&Dashboard {
        pages: pager.links(&c, "/", total),
        c,
        initiatives,
    })
}

fn admin_only(ctx: &Ctx) -> Result<User, AppError> {
    let u = ctx.user()?;
    if u.is_admin {
        Ok(u.clone())
    } else {
        Err(AppError::Forbidden)
    }
}

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
    let (nets, total) = s.store.visible_networks(&user, pager.options()).await?;
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
            required: true,
        },
        FieldDef {
            name: "description",
            widget: Widget::TextArea,
            required: false,
        },
    ]
}

fn initiative_fields() -> Vec<FieldDef> {
    vec![
        FieldDef {
            name: "name",
            widget: Widget::Text,
            required: true,
        },
        FieldDef {
            name: "slug",
            widget: Widget::Text,
            required: true,
        },
        FieldDef {
            name: "place",
            widget: Widget::Text,
            required: true,
        },
        FieldDef {
            name: "languages",
            widget: Widget::Text,
            required: true,
        },
        FieldDef {
            name: "network_id",
            widget: Widget::Ref("networks"),
            required: false,
        },
        FieldDef {
            name: "description",
            widget: Widget::TextArea,
            required: false,
        },
        FieldDef {
            name: "public",
            widget: Widget::Check,
            required: false,
        },
    ]
}

async fn network_names(s: &AppState) -> Result<RefNames, AppError> {
    let mut refs = RefNames::default();
    let nets = s
        .store
        .list::<Network>(
            None,
            ListOptions {
                include_archived: true,
                ..Default::default()
            },
        )
        .await?;
    refs.by_table.insert(
        "networks",
        nets.into_iter().map(|n| (n.id, n.data.name)).collect(),
    );
    Ok(refs)
}

/// How a record outside any initiative's registry pages is created.
trait GlobalKind: Resource {
    async fn create(
        store: &store::Store,
        user: &User,
        value: &Self,
    ) -> Result<Record<Self>, StoreError>;
}

impl GlobalKind for Network {
    async fn create(
        store: &store::Store,
        user: &User,
        value: &Self,
    ) -> Result<Record<Self>, StoreError> {
        store.create(Some(user.id), None, value).await
    }
}

impl GlobalKind for Initiative {
    async fn create(
        store: &store::Store,
        user: &User,
        value: &Self,
    ) -> Result<Record<Self>, StoreError> {
        store.create_initiative(user, value).await
    }
}

/// The form of a network or an initiative (records outside any initiative's
/// registry pages): where it posts, where "cancel" goes, and its fields.
struct GlobalForm {
    c: Chrome,
    heading: String,
    action: String,
    cancel: String,
    defs: Vec<FieldDef>,
    refs: RefNames,
}

impl GlobalForm {
    fn show(
        self,
        values: &FieldMap,
        errors: &FieldErrors,
        version: Option<i64>,
        conflict: Vec<(String, String)>,
        status: StatusCode,
    ) -> PageResult {
        let fields = form_fields(&self.c.tr, &self.defs, values, errors, &self.refs);
        let summary = fields
            .iter()
            .filter(|f| !f.error.is_empty())
            .map(|f| (f.name.to_string(), f.error.clone()))
            .collect();
        let c = Chrome {
            title: self.heading.clone(),
            ..self.c
        };
        let page = FormPage {
            c,
            heading: self.heading,
            action: self.action,
            fields,
            version,
            summary,
            conflict,
            cancel: self.cancel,
        };
        render_status(status, &page)
    }

    /// Save the submitted values: a new record, or an edit of `id` based on the
    /// submitted version. Invalid input shows the form again (422); a stale edit
    /// shows it with the saved values beside what was typed (409).
    async fn save<T: GlobalKind>(
        self,
        s: &AppState,
        user: &User,
        sub: &Submitted,
        id: Option<i64>,
    ) -> Result<Record<T>, PageResult> {
        let result = match (T::parse(&sub.fields), id) {
            (Err(e), _) => Err(StoreError::Invalid(e)),
            (Ok(v), None) => T::create(&s.store, user, &v).await,
            (Ok(v), Some(id)) => match sub.version {
                Some(version) => s.store.update(Some(user.id), None, id, version, &v).await,
                None => {
                    return Err(Err(AppError::BadRequest(
                        "the form lacks the version it was opened at".into(),
                    )
                    .into()));
                }
            },
        };
        match result {
            Ok(rec) => Ok(rec),
            Err(StoreError::Invalid(e)) => Err(self.show(
                &sub.fields,
                &e,
                sub.version,
                vec![],
                StatusCode::UNPROCESSABLE_ENTITY,
            )),
            Err(StoreError::Conflict { current }) => {
                let version = current["version"].as_i64();
                let theirs = serde_json::from_value::<T>(current)
                    .map(|x| x.to_fields())
                    .unwrap_or_default();
                let conflict = self
                    .defs
                    .iter()
                    .map(|d| {
                        (
                            self.c.t(&format!("field-{}", d.name)),
                            crate::kinds::display(&self.c.tr, d, &theirs, &self.refs),
                        )
                    })
                    .collect();
                Err(self.show(
                    &sub.fields,
                    &FieldErrors::default(),
                    version,
                    conflict,
                    StatusCode::CONFLICT,
                ))
            }
            Err(e) => Err(Err(e.into())),
        }
    }
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
    }
}

async fn initiative_form(
    s: &AppState,
    ctx: &Ctx,
    existing: Option<(&Record<Initiative>, &Grants)>,
) -> Result<GlobalForm, AppError> {
    let refs = network_names(s).await?;
    let c = Chrome::new(ctx, "");
    Ok(match existing {
        Some((i, g)) => {
            let c = c.in_initiative(i, g, "home");
            let heading = c.t1("form-edit", "kind", &c.t("kind-one-initiative"));
            let slug = &i.data.slug;
            // Which network an initiative belongs to decides which network lead
            // reads it: only an admin moves it.
            let mut defs = initiative_fields();
            defs.retain(|d| {
                crate::access::may_write_field::<Initiative>(g, Action::Update, d.name)
            });
            GlobalForm {
                c,
                heading,
                action: format!("/i/{slug}/edit"),
                cancel: format!("/i/{slug}"),
                defs,
                refs,
            }
        }
        None => {
            let heading = c.t1("form-new", "kind", &c.t("kind-one-initiative"));
            GlobalForm {
                c,
                heading,
                action: "/initiatives".into(),
                cancel: "/".into(),
                defs: initiative_fields(),
                refs,
            }
        }
    })
}

pub async fn new_network(ctx: Ctx) -> PageResult {
    admin_only(&ctx)?;
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
    let sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    admin_only(&ctx)?;
    match network_form(&ctx, None)
        .save::<Network>(&s, &user, &sub, None)
        .await
    {
        Ok(_) => Ok(Redirect::to("/networks").into_response()),
        Err(page) => page,
    }
}

pub async fn edit_network(State(s): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    admin_only(&ctx)?;
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
    admin_only(&ctx)?;
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
    admin_only(&ctx)?;
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
    admin_only(&ctx)?;
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
    admin_only(&ctx)?;
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
    let sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    admin_only(&ctx)?;
    s.store
        .set_archived::<Network>(Some(user.id), None, id, sub.version, true)
        .await?;
    Ok(Redirect::to("/networks").into_response())
}

/// Archive an initiative (admins). Nothing is deleted.
pub async fn archive_initiative(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let user = auth.ctx.check_csrf(sub.csrf.as_deref())?.clone();
    crate::access::check_write::<Initiative>(
        auth.grants(),
        Action::Archive,
        None,
        &FieldMap::new(),
    )?;
    s.store
        .set_archived::<Initiative>(Some(user.id), None, auth.initiative().id, sub.version, true)
        .await?;
    Ok(Redirect::to("/").into_response())
}

pub async fn new_initiative(State(s): State<AppState>, ctx: Ctx) -> PageResult {
    admin_only(&ctx)?;
    let mut values = FieldMap::new();
    values.insert("languages".into(), "en".into());
    initiative_form(&s, &ctx, None).await?.show(
        &values,
        &FieldErrors::default(),
        None,
        vec![],
        StatusCode::OK,
    )
}

pub async fn create_initiative(
    State(s): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    admin_only(&ctx)?;
    match initiative_form(&s, &ctx, None)
        .await?
        .save::<Initiative>(&s, &user, &sub, None)
        .await
    {
        Ok(rec) => Ok(Redirect::to(&format!("/i/{}", rec.data.slug)).into_response()),
        Err(page) => page,
    }
}

pub async fn edit_initiative(State(s): State<AppState>, auth: Authorized<Write>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    initiative_form(&s, ctx, Some((i, g))).await?.show(
        &i.data.to_fields(),
        &FieldErrors::default(),
        Some(i.version),
        vec![],
        StatusCode::OK,
    )
}

pub async fn update_initiative(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let mut sub = Submitted::from_pairs(pairs);
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    // Which network it belongs to is the policy's to decide, as in the API: a
    // change the caller may not make is refused, never silently dropped; a field
    // the form did not offer keeps its value.
    let current = i.data.stored_values();
    crate::access::check_write::<Initiative>(g, Action::Update, Some(&current), &sub.fields)?;
    for (k, v) in &current {
        let offered = initiative_fields().iter().any(|d| d.name == k)
            && crate::access::may_write_field::<Initiative>(g, Action::Update, k);
        if !offered && !sub.fields.contains_key(k) {
            sub.fields.insert(k.clone(), v.clone());
        }
    }
    match initiative_form(&s, ctx, Some((i, g)))
        .await?
        .save::<Initiative>(&s, &user, &sub, Some(i.id))
        .await
    {
        Ok(rec) => Ok(Redirect::to(&format!("/i/{}", rec.data.slug)).into_response()),
        Err(page) => page,
    }
}

#[derive(Template)]
#[template(path = "home_content.html")]
struct HomeContent<'a> {
    c: &'a Chrome,
    i: &'a Record<Initiative>,
    network: Option<String>,
    facts: Vec<Record<Fact>>,
    /// (stage code, label, reached on, record id)
    stages: Vec<(String, String, Option<String>, Option<i64>)>,
    bodies: Vec<(Record<Body>, Option<String>, usize)>,
}

/// The stages in order, with the date each was reached.
pub fn stage_rows(
    c: &Chrome,
    reached: &[Record<StageReached>],
) -> Vec<(String, String, Option<String>, Option<i64>)> {
    Stage::ALL
        .iter()
        .map(|s| {
            let r = reached.iter().find(|r| r.data.stage == *s);
            (
                s.as_str().to_string(),
                c.t(&format!("stage-{}", s.as_str())),
                r.map(|r| r.data.reached_on.to_string()),
                r.map(|r| r.id),
            )
        })
        .collect()
}

/// The chair of a body, from its current seats.
pub fn chair(t: &Table) -> Option<String> {
    t.by_sector
        .values()
        .flatten()
        .chain(t.unaffiliated.iter())
        .find(|s| s.position == domain::partnership::Position::Chair)
        .map(|s| s.person.clone())
        .filter(|name| !name.is_empty())
}

/// The initiative's home page. Its content is rendered once per change of the
/// initiative (see [`crate::cache`]): a request costs the session lookup and one
/// query for the initiative and the user's grants.
pub async fn home(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    let (ctx, view) = (&auth.ctx, &auth.view);
    let (i, g) = (&view.initiative, &view.grants);
    let slug = &i.data.slug;
    let c = Chrome::new(ctx, i.data.name.clone()).in_initiative(i, g, "home");
    let today = chrono::Utc::now().date_naive();
    let key = format!(
        "home:{}:{}:{today}:{}:{}",
        i.id,
        view.generation,
        c.lang(),
        c.can_edit
    );
    let content = match s.pages.get(&key) {
        Some(html) => html,
        None => {
            let reg = auth.registry(&s.store);
            let facts = reg.list::<Fact>(ListOptions::default()).await?;
            let reached = reg.list::<StageReached>(ListOptions::default()).await?;
            let table = reg.table(today).await?;
            let network = match i.data.network_id {
                Some(n) => Some(s.store.get::<Network>(None, n).await?.data.name),
                None => None,
            };
            let stages = stage_rows(&c, &reached);
            let bodies = table
                .into_iter()
                .map(|(b, t)| {
                    let n =
                        t.by_sector.values().map(Vec::len).sum::<usize>() + t.unaffiliated.len();
                    let ch = chair(&t);
                    (b, ch, n)
                })
                .collect();
            let html = HomeContent {
                c: &c,
                i,
                network,
                facts,
                stages,
                bodies,
            }
            .render()
            .map_err(|e| {
                tracing::error!(error = %e, "template failed");
                AppError::Internal
            })?;
            s.pages.put(key, html)
        }
    };
    let archive = c
        .is_admin
        .then(|| (format!("/i/{slug}/archive"), i.version));
    render(&super::Page {
        c,
        content,
        archive,
    })
}

#[derive(Template)]
#[template(path = "table.html")]
struct TablePage {
    c: Chrome,
    bodies: Vec<(Record<Body>, Table)>,
    sectors: Vec<(Sector, String)>,
}

pub async fn at_the_table(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let today = chrono::Utc::now().date_naive();
    let bodies = auth.registry(&s.store).table(today).await?;
    let c = Chrome::new(ctx, ctx.tr.t("table-title")).in_initiative(i, g, "table");
    let sectors = Sector::ALL
        .iter()
        .map(|s| (*s, c.t(&format!("sector-{}", s.as_str()))))
        .collect();
    render(&TablePage { c, bodies, sectors })
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    entries: Vec<Entry>,
    page: u64,
    more: bool,
}

pub async fn audit(
    State(s): State<AppState>,
    auth: Authorized<Audit>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let per = 50;
    let mut entries = auth
        .registry(&s.store)
        .audit(Filter {
            limit: per + 1,
            offset: (page - 1) * per,
            ..Default::default()
        })
        .await?;
    let more = entries.len() as u64 > per;
    entries.truncate(per as usize);
    let c = Chrome::new(ctx, ctx.tr.t("audit-title")).in_initiative(i, g, "audit");
    render(&AuditPage {
        c,
        entries,
        page,
        more,
    })
}

#[derive(Template)]
#[template(path = "access.html")]
struct AccessPage {
    c: Chrome,
    users: Vec<(User, Vec<Role>)>,
    invitations: Vec<store::accounts::Invitation>,
    roles: Vec<(String, String)>,
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
    let (users, invitations) = auth.registry(&s.store).access_list().await?;
    let c = Chrome::new(ctx, ctx.tr.t("access-title")).in_initiative(i, g, "access");
    let roles = Role::ALL
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
            link,
            error,
        },
    )
}

pub async fn access(State(s): State<AppState>, auth: Authorized<ManageAccess>) -> PageResult {
    access_page(&s, &auth, None, String::new(), StatusCode::OK).await
}

/// Invite someone by link with a role. Backbone sends no email: the coordinator
/// passes the link on.
pub async fn invite(
    State(s): State<AppState>,
    auth: Authorized<ManageAccess>,
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
    match s
        .store
        .create_invitation(Some(user.id), &email, Some(i.id), Some(role), false)
        .await
    {
        Ok(secret) => {
            access_page(
                &s,
                &auth,
                Some(format!("/invite/{secret}")),
                String::new(),
                StatusCode::OK,
            )
            .await
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

/// The services directory as Open Referral HSDS 3.0 JSON.
pub async fn hsds(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    let doc = crate::api::hsds_document(&auth.registry(&s.store), auth.initiative()).await?;
    Ok(Json(doc).into_response())
}
