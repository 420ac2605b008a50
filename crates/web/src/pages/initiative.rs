//! The initiative's own pages: dashboard, home, "who is at the table", the
//! initiative's form, and the form shared by networks and initiatives.

use askama::Template;
use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use domain::access::{Action, Grants};
use domain::agenda::{Activity, Objective, Vision};
use domain::partnership::{Body, Fact, Initiative, Network, Sector, Stage, StageReached, Table};
use domain::resource::{Record, Resource};
use domain::validation::{FieldErrors, FieldMap};
use store::StoreError;
use store::accounts::User;
use store::records::ListOptions;

use super::{Chrome, PageQuery, Pager, Pages, Submitted, render, render_status};
use crate::AppState;
use crate::access::{Authorized, Read, Write};
use crate::error::{AppError, PageResult};
use crate::kinds::{FieldDef, RefNames, Widget, form_fields};
use crate::pages::records::FormPage;
use crate::session::Ctx;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    c: Chrome,
    initiatives: Vec<Record<Initiative>>,
    archived: Vec<Record<Initiative>>,
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
    // Admins restore archived initiatives from here.
    let archived = if user.is_admin {
        s.store.archived_initiatives().await?
    } else {
        vec![]
    };
    let c = Chrome::new(&ctx, ctx.tr.t("dashboard-title"));
    render(&Dashboard {
        pages: pager.links(&c, "/", total),
        c,
        initiatives,
        archived,
    })
}

/// The signed-in user, when the policy lets the platform's grants do `action`
/// on `kind` (networks, new initiatives): see [`crate::access::platform`].
pub(super) fn admin_only(ctx: &Ctx, action: Action, kind: &str) -> Result<User, AppError> {
    let u = ctx.user()?;
    crate::access::platform(u, action, kind)?;
    Ok(u.clone())
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
            // Left empty on a new initiative, it is made from the name.
            required: false,
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
            name: "time_zone",
            widget: Widget::Text,
            required: false,
        },
        FieldDef {
            name: "currency",
            widget: Widget::Text,
            required: false,
        },
        FieldDef {
            name: "public",
            widget: Widget::Check,
            required: false,
        },
    ]
}

pub(super) async fn network_names(s: &AppState) -> Result<RefNames, AppError> {
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
pub(super) trait GlobalKind: Resource {
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
pub(super) struct GlobalForm {
    pub(super) c: Chrome,
    pub(super) heading: String,
    pub(super) action: String,
    pub(super) cancel: String,
    pub(super) defs: Vec<FieldDef>,
    pub(super) refs: RefNames,
    /// Fields that take translations into the languages the form names.
    pub(super) translatable: &'static [&'static str],
}

impl GlobalForm {
    pub(super) fn show(
        self,
        values: &FieldMap,
        errors: &FieldErrors,
        version: Option<i64>,
        conflict: Vec<(String, String)>,
        status: StatusCode,
    ) -> PageResult {
        let fields = form_fields(&self.c.tr, &self.defs, values, errors, &self.refs);
        let translations = crate::kinds::translation_fields(
            &self.c.tr,
            &self.defs,
            self.translatable,
            values.get("languages").map_or("", String::as_str),
            values,
            errors,
        );
        let mut summary = super::records::error_summary(&fields);
        for (_, _, t) in &translations {
            summary.extend(super::records::error_summary(t));
        }
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
            changes: vec![],
            seen: vec![],
            cancel: self.cancel,
            add_another: false,
            inline: vec![],
            translations,
            kept: vec![],
        };
        render_status(status, &page)
    }

    /// Save the submitted values: a new record, or an edit of `id` based on the
    /// submitted version. Invalid input shows the form again (422); a stale edit
    /// shows it with the saved values beside what was typed (409).
    pub(super) async fn save<T: GlobalKind>(
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
                translatable: Initiative::TRANSLATABLE,
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
                translatable: Initiative::TRANSLATABLE,
            }
        }
    })
}

/// What archiving an initiative does, before an admin confirms it.
pub async fn confirm_archive_initiative(auth: Authorized<Read>) -> PageResult {
    crate::access::check_write::<Initiative>(
        auth.grants(),
        Action::Archive,
        None,
        &FieldMap::new(),
    )?;
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let c = Chrome::new(ctx, "").in_initiative(i, g, "home");
    let heading = c.t1("archive-heading", "name", &i.data.name);
    let c = Chrome {
        title: heading.clone(),
        ..c
    };
    render(&super::records::ConfirmArchive {
        what: c.t("archive-initiative-what"),
        c,
        heading,
        archiving: true,
        consequences: vec![],
        action: format!("/i/{}/archive", i.data.slug),
        cancel: format!("/i/{}", i.data.slug),
        version: i.version,
    })
}

/// Restore an archived initiative (admins; nobody else can see it).
pub async fn restore_initiative(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    admin_only(&ctx, Action::Restore, Initiative::KIND)?;
    let i = s.store.archived_initiative_by_slug(&slug).await?;
    s.store
        .set_archived::<Initiative>(Some(user.id), None, i.id, sub.version, false)
        .await?;
    Ok(Redirect::to(&format!("/i/{slug}")).into_response())
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
    admin_only(&ctx, Action::Create, Initiative::KIND)?;
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
    let mut sub = Submitted::from_pairs(pairs);
    let user = ctx.check_csrf(sub.csrf.as_deref())?.clone();
    admin_only(&ctx, Action::Create, Initiative::KIND)?;
    sub.slug_from_name();
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
    let form = initiative_form(&s, ctx, Some((i, g))).await?;
    for (k, v) in &current {
        let offered = form.defs.iter().any(|d| d.name == k);
        if !offered && !sub.fields.contains_key(k) {
            sub.fields.insert(k.clone(), v.clone());
        }
    }
    match form.save::<Initiative>(&s, &user, &sub, Some(i.id)).await {
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
    stages: Vec<StageCheck>,
    bodies: Vec<(Record<Body>, Option<String>, usize)>,
    /// The organizations a partner speaks for here: (id, name).
    own: Vec<(i64, String)>,
}

/// One item of a stage's evidence: a link (when there is somewhere to go) and
/// its text.
pub struct Evidence {
    pub href: Option<String>,
    pub text: String,
}

/// A stage on the home page's checklist: reached or not, and what shows it.
pub struct StageCheck {
    pub code: String,
    pub label: String,
    pub reached_on: Option<String>,
    /// The stage record, when reached.
    pub id: Option<i64>,
    pub evidence: Vec<Evidence>,
}

/// What the registry holds towards each stage, counted.
pub struct StageCounts {
    pub bodies: usize,
    pub facts: usize,
    /// (id, agreed on) of the vision, if there is one.
    pub vision: Option<(i64, Option<String>)>,
    pub objectives: i64,
    pub activities: i64,
}

/// The five stages as a checklist, each with its date and its evidence.
pub fn stage_checklist(
    c: &Chrome,
    slug: &str,
    reached: &[Record<StageReached>],
    n: &StageCounts,
) -> Vec<StageCheck> {
    let link = |path: &str, text: String| Evidence {
        href: Some(format!("/i/{slug}/{path}")),
        text,
    };
    let count = |key: &str, n: String| format!("{}: {n}", c.t(key));
    stage_rows(c, reached)
        .into_iter()
        .map(|(code, label, reached_on, id)| {
            let evidence = match code.as_str() {
                "administration" => vec![
                    link("bodies", count("home-bodies", n.bodies.to_string())),
                    link("table", c.t("nav-table")),
                ],
                "data_collection" => vec![link("facts", count("home-facts", n.facts.to_string()))],
                "joint_objectives" => vec![
                    match &n.vision {
                        Some((id, Some(on))) => link(
                            &format!("visions/{id}"),
                            c.t1("checklist-vision-agreed", "date", on),
                        ),
                        Some((id, None)) => {
                            link(&format!("visions/{id}"), c.t("checklist-vision-draft"))
                        }
                        None => Evidence {
                            href: None,
                            text: c.t("checklist-vision-none"),
                        },
                    },
                    link(
                        "agenda",
                        count("checklist-objectives", n.objectives.to_string()),
                    ),
                ],
                "work_plans" => vec![link(
                    "work-plans",
                    count("checklist-activities", n.activities.to_string()),
                )],
                _ => vec![Evidence {
                    href: None,
                    text: c.t("checklist-indicators"),
                }],
            };
            StageCheck {
                code,
                label,
                reached_on,
                id,
                evidence,
            }
        })
        .collect()
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
        "home:{}:{}:{today}:{}:{}:{:?}",
        i.id,
        view.generation,
        c.lang(),
        c.can_edit,
        g.organizations
    );
    let content = match s.pages.get(&key) {
        Some(html) => html,
        None => {
            let reg = auth.registry(&s.store);
            let facts = reg.list::<Fact>(ListOptions::all()).await?;
            let reached = reg.list::<StageReached>(ListOptions::all()).await?;
            let table = reg.table(today).await?;
            let network = match i.data.network_id {
                Some(n) => Some(s.store.get::<Network>(None, n).await?.data.name),
                None => None,
            };
            let vision = reg
                .list::<Vision>(ListOptions::all())
                .await?
                .into_iter()
                .next()
                .map(|v| (v.id, v.data.agreed_on.map(|d| d.to_string())));
            let counts = StageCounts {
                bodies: table.len(),
                facts: facts.len(),
                vision,
                objectives: reg.count::<Objective>(false).await?,
                activities: reg.count::<Activity>(false).await?,
            };
            let stages = stage_checklist(&c, slug, &reached, &counts);
            let bodies = table
                .into_iter()
                .map(|(b, t)| {
                    let n =
                        t.by_sector.values().map(Vec::len).sum::<usize>() + t.unaffiliated.len();
                    let ch = chair(&t);
                    (b, ch, n)
                })
                .collect();
            let mut own = vec![];
            for id in &g.organizations {
                match reg.get::<domain::partnership::Organization>(*id).await {
                    Ok(o) if !o.archived => own.push((o.id, o.data.name)),
                    Ok(_) | Err(AppError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            let html = HomeContent {
                c: &c,
                i,
                network,
                facts,
                stages,
                bodies,
                own,
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
#[template(path = "table_content.html")]
struct TableContent<'a> {
    c: &'a Chrome,
    bodies: Vec<(Record<Body>, Table)>,
    sectors: Vec<(Sector, String)>,
}

pub async fn at_the_table(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let today = chrono::Utc::now().date_naive();
    let c = Chrome::new(ctx, ctx.tr.t("table-title")).in_initiative(i, g, "table");
    let key = format!("table:{today}:{}", c.lang());
    let content = super::cached_part(&s, &auth.view, key, async {
        let bodies = auth.registry(&s.store).table(today).await?;
        let sectors = Sector::ALL
            .iter()
            .map(|s| (*s, c.t(&format!("sector-{}", s.as_str()))))
            .collect();
        super::render_part(&TableContent {
            c: &c,
            bodies,
            sectors,
        })
    })
    .await?;
    render(&super::Page {
        c,
        content,
        archive: None,
    })
}

/// The services directory as Open Referral HSDS 3.0 JSON.
pub async fn hsds(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    let doc = crate::api::hsds_document(&auth.registry(&s.store), auth.initiative()).await?;
    Ok(Json(doc).into_response())
}
