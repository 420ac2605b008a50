//! List, view, create, edit and archive pages for every kind of record, written
//! once. Kind-specific detail (a body's members) is added by `show`.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use domain::partnership::Body;
use domain::resource::{Record, Resource};
use domain::validation::{FieldErrors, FieldMap};
use store::partnership::MemberRow;
use store::records::ListOptions;

use super::{Chrome, Pager, Pages, Submitted, render, render_status};
use crate::AppState;
use crate::access::{Authorized, Read, Write};
use crate::error::{AppError, PageResult};
use crate::kinds::{FormField, Kind, RefNames, display, form_fields};
use crate::routes::{Access, Routes};
use crate::session::Ctx;

/// Register the pages of one kind under `/i/{slug}/{PATH}`.
pub fn routes<T: Kind>(r: Routes) -> Routes {
    use domain::access::Action;
    let base = format!("/i/{{slug}}/{}", T::PATH);
    let on = |action| Access::Initiative(action, T::KIND);
    let r = r
        .get(&base, on(Action::Read), list::<T>)
        .post(&base, on(Action::Create), create::<T>)
        .get(&format!("{base}/new"), on(Action::Create), new::<T>)
        .get(&format!("{base}/{{id}}"), on(Action::Read), show::<T>)
        .post(&format!("{base}/{{id}}"), on(Action::Update), update::<T>)
        .get(
            &format!("{base}/{{id}}/edit"),
            on(Action::Update),
            edit::<T>,
        )
        .get(
            &format!("{base}/{{id}}/archive"),
            on(Action::Archive),
            confirm_archive::<T>,
        )
        .get(
            &format!("{base}/{{id}}/restore"),
            on(Action::Restore),
            confirm_restore::<T>,
        )
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
    r.get(
        &format!("{base}/{{id}}/erase"),
        on(Action::Update),
        erase_form::<T>,
    )
    .post(
        &format!("{base}/{{id}}/erase"),
        on(Action::Update),
        erase::<T>,
    )
}

#[derive(Template)]
#[template(path = "list_content.html")]
struct ListContent<'a> {
    c: &'a Chrome,
    heading: String,
    new_href: String,
    headers: Vec<String>,
    /// (href, archived, cells)
    rows: Vec<(String, bool, Vec<String>)>,
    archived_shown: bool,
    toggle_href: String,
    pages: Pages,
    /// Pages of the kind's own module: (label, href).
    links: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    archived: Option<String>,
    page: Option<u64>,
}

fn title<T: Kind>(c: &Chrome) -> String {
    c.t(&format!("kind-{}", T::PATH))
}

async fn list<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let show_archived = q.archived.is_some();
    let pager = Pager::new(q.page, 200);
    let c = Chrome::new(ctx, String::new()).in_initiative(i, g, T::PATH);
    let heading = title::<T>(&c);
    let c = Chrome {
        title: heading.clone(),
        ..c
    };
    let key = format!(
        "list:{}:{}:{}:{}",
        T::PATH,
        c.lang(),
        show_archived,
        pager.page
    );
    let content = super::cached_part(&s, &auth.view, key, async {
        let opts = ListOptions {
            include_archived: show_archived,
            ..pager.options()
        };
        let reg = auth.registry(&s.store);
        let records = reg.list::<T>(opts).await?;
        let total = reg.count::<T>(show_archived).await?;
        let defs = T::fields();
        let refs = RefNames::load(&s.store, i.id, &defs).await?;
        let shown: Vec<_> = defs
            .iter()
            .filter(|d| T::list_fields().contains(&d.name))
            .collect();
        let headers = shown
            .iter()
            .map(|d| c.t(&format!("field-{}", d.name)))
            .collect();
        let rows = records
            .iter()
            .map(|r| {
                let values = r.data.stored_values();
                let cells = shown
                    .iter()
                    .map(|d| display(&c.tr, d, &values, &refs))
                    .collect();
                (format!("/i/{slug}/{}/{}", T::PATH, r.id), r.archived, cells)
            })
            .collect();
        let base = format!("/i/{slug}/{}", T::PATH);
        let here = if show_archived {
            format!("{base}?archived=1")
        } else {
            base.clone()
        };
        super::render_part(&ListContent {
            links: T::list_links(&slug)
                .into_iter()
                .map(|(key, href)| (c.t(key), href))
                .collect(),
            pages: pager.links(&c, &here, total),
            new_href: format!("{base}/new"),
            toggle_href: if show_archived {
                base
            } else {
                format!("{base}?archived=1")
            },
            c: &c,
            heading,
            headers,
            rows,
            archived_shown: show_archived,
        })
    })
    .await?;
    render(&super::Page {
        c,
        content,
        archive: None,
    })
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub c: Chrome,
    pub heading: String,
    pub action: String,
    pub fields: Vec<FormField>,
    pub version: Option<i64>,
    pub summary: Vec<(String, String)>,
    /// Someone else's values, shown when a save was refused as stale.
    pub conflict: Vec<(String, String)>,
    pub cancel: String,
}

/// Prefill from the query string (e.g. `?body_id=3` from a body's page).
async fn new<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Query(prefill): Query<FieldMap>,
) -> PageResult {
    form_page::<T>(
        &s,
        &auth.ctx,
        auth.initiative(),
        auth.grants(),
        None,
        &prefill,
        &FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn form_page<T: Kind>(
    s: &AppState,
    ctx: &Ctx,
    i: &Record<domain::partnership::Initiative>,
    g: &domain::access::Grants,
    record: Option<(i64, i64)>,
    values: &FieldMap,
    errors: &FieldErrors,
    conflict: Option<&serde_json::Value>,
    status: StatusCode,
) -> PageResult {
    let defs = T::fields();
    let refs = RefNames::load(&s.store, i.id, &defs).await?;
    let c = Chrome::new(ctx, String::new()).in_initiative(i, g, T::PATH);
    let kind = title::<T>(&c);
    let base = format!("/i/{}/{}", i.data.slug, T::PATH);
    let (heading, action, cancel) = match record {
        Some((id, _)) => (
            c.t1("form-edit", "kind", &c.t(&format!("kind-one-{}", T::KIND))),
            format!("{base}/{id}"),
            format!("{base}/{id}"),
        ),
        None => (
            c.t1("form-new", "kind", &c.t(&format!("kind-one-{}", T::KIND))),
            base.clone(),
            base.clone(),
        ),
    };
    let fields = form_fields(&c.tr, &defs, values, errors, &refs);
    let summary = fields
        .iter()
        .filter(|f| !f.error.is_empty())
        .map(|f| (f.name.to_string(), f.error.clone()))
        .collect();
    let conflict = conflict
        .and_then(|cur| serde_json::from_value::<T>(cur.clone()).ok())
        .map(|cur| {
            let vals = cur.to_fields();
            defs.iter()
                .map(|d| {
                    (
                        c.t(&format!("field-{}", d.name)),
                        display(&c.tr, d, &vals, &refs),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let c = c.crumb(base, kind).crumb(String::new(), heading.clone());
    let c = Chrome {
        title: heading.clone(),
        ..c
    };
    render_status(
        status,
        &FormPage {
            c,
            heading,
            action,
            fields,
            version: record.map(|(_, v)| v),
            summary,
            conflict,
            cancel,
        },
    )
}

async fn create<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let result = match T::parse(&sub.fields) {
        Ok(v) => auth.registry(&s.store).create(&sub.fields, &v).await,
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(rec) => Ok(Redirect::to(&format!("/i/{slug}/{}/{}", T::PATH, rec.id)).into_response()),
        Err(AppError::Invalid(e)) => {
            form_page::<T>(
                &s,
                &auth.ctx,
                auth.initiative(),
                auth.grants(),
                None,
                &sub.fields,
                &e,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn edit<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    let rec = auth.registry(&s.store).get::<T>(id).await?;
    form_page::<T>(
        &s,
        &auth.ctx,
        auth.initiative(),
        auth.grants(),
        Some((id, rec.version)),
        &rec.data.to_fields(),
        &FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn update<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let version = sub.version.ok_or_else(|| {
        AppError::BadRequest("the form lacks the version it was opened at".into())
    })?;
    let result = match T::parse(&sub.fields) {
        Ok(v) => {
            auth.registry(&s.store)
                .update(id, version, &sub.fields, &v)
                .await
        }
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/i/{slug}/{}/{id}", T::PATH)).into_response()),
        Err(AppError::Invalid(e)) => {
            form_page::<T>(
                &s,
                ctx,
                i,
                g,
                Some((id, version)),
                &sub.fields,
                &e,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { current }) => {
            // Keep what this person typed; show what the other person saved; the
            // form now carries the current version, so saving again is a decision.
            let current_version = current["version"].as_i64().unwrap_or(version);
            form_page::<T>(
                &s,
                ctx,
                i,
                g,
                Some((id, current_version)),
                &sub.fields,
                &FieldErrors::default(),
                Some(&current),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_archived<T: Kind>(
    s: AppState,
    auth: Authorized<Write>,
    slug: String,
    id: i64,
    pairs: Vec<(String, String)>,
    archived: bool,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    auth.registry(&s.store)
        .set_archived::<T>(id, sub.version, archived)
        .await?;
    Ok(Redirect::to(&format!("/i/{slug}/{}/{id}", T::PATH)).into_response())
}

async fn archive<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    set_archived::<T>(s, auth, slug, id, pairs, true).await
}

async fn restore<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    set_archived::<T>(s, auth, slug, id, pairs, false).await
}

#[derive(Template)]
#[template(path = "show_content.html")]
struct ShowContent<'a> {
    c: &'a Chrome,
    heading: String,
    base: String,
    id: i64,
    archived: bool,
    rows: Vec<(String, String)>,
    members: Vec<MemberRow>,
    is_body: bool,
    /// Link to erase contact details, for kinds that hold them.
    erase_href: Option<String>,
    /// Pages of the kind's own module: (label, href).
    links: Vec<(String, String)>,
}

async fn show<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((slug, id)): Path<(String, i64)>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let c = Chrome::new(ctx, String::new()).in_initiative(i, g, T::PATH);
    let base = format!("/i/{slug}/{}", T::PATH);
    let key = format!("show:{}:{id}:{}", T::PATH, c.lang());
    // The part is the heading, a NUL (never in stored text), then the content.
    let part = super::cached_part(&s, &auth.view, key, async {
        let reg = auth.registry(&s.store);
        let rec = reg.get::<T>(id).await?;
        let defs = T::fields();
        let refs = RefNames::load(&s.store, i.id, &defs).await?;
        let values = rec.data.stored_values();
        let rows = defs
            .iter()
            .map(|d| {
                (
                    c.t(&format!("field-{}", d.name)),
                    display(&c.tr, d, &values, &refs),
                )
            })
            .collect();
        let is_body = T::KIND == Body::KIND;
        let members = if is_body {
            reg.members(Some(id)).await?
        } else {
            vec![]
        };
        let heading = T::heading(&rec.data, &c.tr, &refs);
        let content = super::render_part(&ShowContent {
            c: &c,
            heading: heading.clone(),
            base: base.clone(),
            id,
            archived: rec.archived,
            rows,
            members,
            is_body,
            erase_href: (!crate::access::contact_fields::<T>().is_empty())
                .then(|| format!("/i/{slug}/{}/{id}/erase", T::PATH)),
            links: rec
                .data
                .links(&slug, id)
                .into_iter()
                .map(|(key, href)| (c.t(key), href))
                .collect(),
        })?;
        Ok(format!("{heading}\u{0}{content}"))
    })
    .await?;
    let (heading, content) = part.split_once('\u{0}').unwrap_or(("", part.as_str()));
    let kind = title::<T>(&c);
    let c = c
        .crumb(base.clone(), kind)
        .crumb(String::new(), heading.to_string());
    let c = Chrome {
        title: heading.to_string(),
        ..c
    };
    render(&super::Page {
        c,
        content: std::sync::Arc::new(content.to_string()),
        archive: None,
    })
}

#[derive(Template)]
#[template(path = "erase.html")]
struct ErasePage {
    c: Chrome,
    heading: String,
    action: String,
    cancel: String,
    fields: Vec<String>,
}

/// What erasing contact details does, before anyone confirms it.
async fn erase_form<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let rec = auth.registry(&s.store).get::<T>(id).await?;
    let c = Chrome::new(ctx, String::new()).in_initiative(i, g, T::PATH);
    let base = format!("/i/{slug}/{}", T::PATH);
    let heading = c.t1("erase-heading", "name", &rec.data.label());
    let fields = crate::access::contact_fields::<T>()
        .iter()
        .map(|f| c.t(&format!("field-{f}")))
        .collect();
    let kind = title::<T>(&c);
    let c = c
        .crumb(base.clone(), kind)
        .crumb(format!("{base}/{id}"), rec.data.label());
    let c = Chrome {
        title: heading.clone(),
        ..c
    };
    render(&ErasePage {
        c,
        heading,
        action: format!("{base}/{id}/erase"),
        cancel: format!("{base}/{id}"),
        fields,
    })
}

async fn erase<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    auth.registry(&s.store).erase_contact::<T>(id).await?;
    Ok(Redirect::to(&format!("/i/{slug}/{}/{id}", T::PATH)).into_response())
}

/// "Archive X?" / "Restore X?": what will happen, then the button.
#[derive(Template)]
#[template(path = "confirm_archive.html")]
pub struct ConfirmArchive {
    pub c: Chrome,
    pub heading: String,
    pub archiving: bool,
    pub what: String,
    /// What refers to the record, in words.
    pub consequences: Vec<String>,
    pub action: String,
    pub cancel: String,
    pub version: i64,
}

/// What archiving a record touches, before anyone confirms it.
async fn confirm_archive<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
) -> PageResult {
    confirm::<T>(s, auth, slug, id, true).await
}

/// What restoring a record does, before anyone confirms it.
async fn confirm_restore<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
) -> PageResult {
    confirm::<T>(s, auth, slug, id, false).await
}

async fn confirm<T: Kind>(
    s: AppState,
    auth: Authorized<Write>,
    slug: String,
    id: i64,
    archiving: bool,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let rec = reg.get::<T>(id).await?;
    let defs = T::fields();
    let refs = RefNames::load(&s.store, i.id, &defs).await?;
    let c = Chrome::new(ctx, String::new()).in_initiative(i, g, T::PATH);
    let label = T::heading(&rec.data, &c.tr, &refs);
    let consequences = if archiving {
        reg.referrers::<T>(id)
            .await?
            .into_iter()
            .map(|(path, n)| {
                c.tr.tn(
                    "archive-referrers",
                    &[
                        ("count", n.to_string()),
                        ("kind", c.t(&format!("kind-{path}"))),
                    ],
                )
            })
            .collect()
    } else {
        vec![]
    };
    let base = format!("/i/{slug}/{}", T::PATH);
    let heading = c.t1(
        if archiving {
            "archive-heading"
        } else {
            "restore-heading"
        },
        "name",
        &label,
    );
    let kind = title::<T>(&c);
    let c = c
        .crumb(base.clone(), kind)
        .crumb(format!("{base}/{id}"), label);
    let c = Chrome {
        title: heading.clone(),
        ..c
    };
    render(&ConfirmArchive {
        what: c.t(if archiving {
            "archive-what"
        } else {
            "restore-what"
        }),
        c,
        heading,
        archiving,
        consequences,
        action: format!(
            "{base}/{id}/{}",
            if archiving { "archive" } else { "restore" }
        ),
        cancel: format!("{base}/{id}"),
        version: rec.version,
    })
}
