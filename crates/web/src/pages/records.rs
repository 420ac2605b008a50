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
use crate::access::{Authorized, Create, Own, Read, Write};
use crate::error::{AppError, PageResult};
use crate::kinds::{FormField, Kind, RefNames, Widget, display, form_fields};
use crate::routes::{Access, Routes};
use crate::session::Ctx;

/// Register the pages of one kind under `/i/{slug}/{PATH}`.
pub fn routes<T: Kind>(r: Routes) -> Routes {
    use domain::access::Action;
    let base = format!("/i/{{slug}}/{}", T::PATH);
    let on = |action| Access::record(action, T::KIND);
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
    let r = r.get(
        &format!("{base}/export.csv"),
        on(Action::Read),
        super::records_import::export::<T>,
    );
    let r = if T::IMPORT {
        r.get(
            &format!("{base}/import"),
            on(Action::Create),
            super::records_import::import_form::<T>,
        )
        .post(
            &format!("{base}/import"),
            on(Action::Create),
            super::records_import::import::<T>,
        )
    } else {
        r
    };
    let r = if T::MERGE {
        r.get(
            &format!("{base}/{{id}}/merge"),
            on(Action::Archive),
            merge_form::<T>,
        )
        .post(
            &format!("{base}/{{id}}/merge"),
            on(Action::Archive),
            merge::<T>,
        )
    } else {
        r
    };
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
    /// Offer "New": a coordinator, or a partner adding to its organization.
    can_create: bool,
    /// (label, href to sort by it, aria-sort: "ascending", "descending" or "")
    headers: Vec<(String, String, &'static str)>,
    /// (href, archived, cells)
    rows: Vec<(String, bool, Vec<Cell>)>,
    archived_shown: bool,
    toggle_href: String,
    pages: Pages,
    /// Pages of the kind's own module: (label, href).
    links: Vec<(String, String)>,
    /// The search as typed.
    text: String,
    /// Filters: (field, label, options).
    filters: Vec<(String, String, Vec<Choice>)>,
    /// The current sort and archive choice, kept by the search form.
    hidden: Vec<(String, String)>,
    export_href: String,
    import_href: Option<String>,
    /// "12 records match", when searching or filtering.
    matching: String,
}

/// A cell of a list: (text, its `lang`/`dir` attributes).
pub type Cell = (String, String);

/// One option of a choice: (value, label, chosen).
pub type Choice = (String, String, bool);

/// What a list was asked for: `q` (search), `sort` and `dir`, one filter per
/// choice or reference column (`{field}={value}`), `archived`, `page`. Values
/// that do not fit are ignored, never an error.
pub struct ListQuery(FieldMap);

/// A name given twice (`?archived=a&archived=b`) is refused, as a typed query
/// would refuse it: which one was meant cannot be known.
impl<'de> Deserialize<'de> for ListQuery {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs = Vec::<(String, String)>::deserialize(d)?;
        let mut map = FieldMap::new();
        for (k, v) in pairs {
            if map.insert(k.clone(), v).is_some() {
                return Err(serde::de::Error::custom(format!("{k} is given twice")));
            }
        }
        Ok(ListQuery(map))
    }
}

impl ListQuery {
    pub(crate) fn archived(&self) -> bool {
        self.0.contains_key("archived")
    }
    fn page(&self) -> Option<u64> {
        self.0.get("page").and_then(|p| p.parse().ok())
    }
    /// The search, filters and sort for kind `T`, as far as `grants` may see.
    pub fn search<T: Kind>(&self, grants: &domain::access::Grants) -> store::records::Search {
        use domain::access::{Action, Decision, decide};
        use store::records::{Match, Search, Sort};
        let readable = |name: &str| {
            T::columns()
                .iter()
                .find(|c| c.name == name)
                .is_some_and(|c| decide(grants, Action::Read, T::KIND, c.class) == Decision::Allow)
        };
        let defs = T::fields();
        let text = self
            .0
            .get("q")
            .map(|q| q.trim().chars().take(200).collect::<String>())
            .filter(|q| !q.is_empty());
        let columns = defs
            .iter()
            .filter(|d| {
                matches!(
                    d.widget,
                    Widget::Text | Widget::TextArea | Widget::Email | Widget::Url | Widget::Tel
                ) && readable(d.name)
            })
            .map(|d| d.name)
            .collect();
        let equals = filter_fields::<T>()
            .into_iter()
            .filter_map(|d| {
                let v = self.0.get(d.name).filter(|v| !v.is_empty())?;
                Some(match d.widget {
                    Widget::Ref(_) => (d.name, Match::Id(v.parse().ok()?)),
                    _ => (d.name, Match::Text(v.clone())),
                })
            })
            .collect();
        let sort = self
            .0
            .get("sort")
            .and_then(|s| defs.iter().find(|d| d.name == s.as_str()))
            .filter(|d| T::list_fields().contains(&d.name) && readable(d.name))
            .filter(|d| T::columns().iter().any(|c| c.name == d.name))
            .map(|d| Sort {
                column: d.name,
                descending: self.0.get("dir").is_some_and(|d| d == "desc"),
                by_name_of: match d.widget {
                    Widget::Ref(table) => crate::kinds::by_table(table).map(|k| (k.table, k.label)),
                    _ => None,
                },
            });
        Search {
            text,
            columns,
            equals,
            sort,
        }
    }
    /// The query string of everything but `page` and the keys given ("q=lod&sector=business").
    fn keep(&self, without: &[&str]) -> String {
        let kept: Vec<(&String, &String)> = self
            .0
            .iter()
            .filter(|(k, v)| {
                k.as_str() != "page" && !without.contains(&k.as_str()) && !v.is_empty()
            })
            .collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }
}

/// The columns a list filters by: its choice and reference columns.
fn filter_fields<T: Kind>() -> Vec<crate::kinds::FieldDef> {
    T::fields()
        .into_iter()
        .filter(|d| T::list_fields().contains(&d.name))
        .filter(|d| matches!(d.widget, Widget::Choice(..) | Widget::Ref(_)))
        .filter(|d| !matches!(d.widget, Widget::Ref("users")))
        .collect()
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
    let show_archived = q.archived();
    let pager = Pager::new(q.page(), 200);
    let mut c = Chrome::new(ctx, String::new()).in_initiative(i, g, T::PATH);
    if let Some(n) = q.0.get("imported").and_then(|n| n.parse::<u64>().ok()) {
        c.notice = c.tr.tn("records-imported", &[("count", n.to_string())]);
    }
    let heading = title::<T>(&c);
    let c = Chrome {
        title: heading.clone(),
        ..c
    };
    let search = q.search::<T>(g);
    let kept = q.keep(&["imported"]);
    let key = format!("list:{}:{}:{kept}:{}", T::PATH, c.lang(), pager.page);
    let content = super::cached_part(&s, &auth.view, key, async {
        let opts = ListOptions {
            include_archived: show_archived,
            ..pager.options()
        };
        let reg = auth.registry(&s.store);
        let records = reg.search::<T>(opts, &search).await?;
        let total = reg.count_matching::<T>(show_archived, &search).await?;
        let defs = T::fields();
        let refs = RefNames::load(&s.store, i.id, &defs)
            .await?
            .localized(&s.store, i, c.lang())
            .await?;
        let shown: Vec<_> = T::list_fields()
            .iter()
            .filter_map(|name| defs.iter().find(|d| d.name == *name))
            .collect();
        let base = format!("/i/{slug}/{}", T::PATH);
        let with = |extra: &str, keep: &str| {
            let parts: Vec<&str> = [keep, extra]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect();
            if parts.is_empty() {
                base.clone()
            } else {
                format!("{base}?{}", parts.join("&"))
            }
        };
        let sort_keep = q.keep(&["sort", "dir", "imported"]);
        let headers = shown
            .iter()
            .map(|d| {
                let current = search.sort.filter(|s| s.column == d.name);
                let (dir, aria) = match current {
                    Some(s) if !s.descending => ("desc", "ascending"),
                    Some(_) => ("asc", "descending"),
                    None => ("asc", ""),
                };
                let sortable = T::columns().iter().any(|c| c.name == d.name);
                (
                    c.t(&format!("field-{}", d.name)),
                    if sortable {
                        with(&format!("sort={}&dir={dir}", d.name), &sort_keep)
                    } else {
                        String::new()
                    },
                    aria,
                )
            })
            .collect();
        let rows = records
            .iter()
            .map(|r| {
                let mut values = r.data.stored_values();
                let shown_in = crate::kinds::localize(&mut values, c.lang(), &i.data.languages);
                let first = i.data.first_language();
                let cells = shown
                    .iter()
                    .map(|d| {
                        let text = display(&c.tr, d, &values, &refs);
                        let attrs =
                            c.lang_in(&text, shown_in.get(d.name).map(String::as_str), first);
                        (text, attrs)
                    })
                    .collect();
                (format!("{base}/{}", r.id), r.archived, cells)
            })
            .collect();
        let filters = filter_fields::<T>()
            .into_iter()
            .map(|d| {
                let chosen = q.0.get(d.name).cloned().unwrap_or_default();
                let options: Vec<(String, String, bool)> = match d.widget {
                    Widget::Choice(codes, prefix) => codes()
                        .into_iter()
                        .map(|code| {
                            (
                                code.to_string(),
                                c.t(&format!("{prefix}-{}", code.replace(' ', "_"))),
                                chosen == code,
                            )
                        })
                        .collect(),
                    Widget::Ref(table) => refs
                        .by_table
                        .get(table)
                        .map(|names| {
                            names
                                .iter()
                                .map(|(id, n)| {
                                    (id.to_string(), n.clone(), chosen == id.to_string())
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    _ => vec![],
                };
                (
                    d.name.to_string(),
                    c.t(&format!("field-{}", d.name)),
                    options,
                )
            })
            .collect();
        let mut hidden = vec![];
        if let Some(s) = &search.sort {
            hidden.push(("sort".to_string(), s.column.to_string()));
            hidden.push((
                "dir".to_string(),
                if s.descending { "desc" } else { "asc" }.to_string(),
            ));
        }
        if show_archived {
            hidden.push(("archived".into(), "1".into()));
        }
        let here = with("", &kept);
        let toggle_keep = q.keep(&["archived", "imported"]);
        let searching = search.text.is_some() || !search.equals.is_empty();
        super::render_part(&ListContent {
            links: T::list_links(&slug)
                .into_iter()
                .map(|(key, href)| (c.t(key), href))
                .collect(),
            pages: pager.links(&c, &here, total),
            new_href: format!("{base}/new"),
            can_create: c.can_edit
                || domain::access::decide_any(g, domain::access::Action::Create, T::KIND).allowed(),
            toggle_href: if show_archived {
                with("", &toggle_keep)
            } else {
                with("archived=1", &toggle_keep)
            },
            export_href: format!(
                "{base}/export.csv{}",
                if kept.is_empty() {
                    String::new()
                } else {
                    format!("?{kept}")
                }
            ),
            import_href: (T::IMPORT && g.allows_on(domain::access::Action::Create, T::KIND))
                .then(|| format!("{base}/import")),
            c: &c,
            heading,
            headers,
            rows,
            archived_shown: show_archived,
            text: search.text.clone().unwrap_or_default(),
            filters,
            hidden,
            matching: if searching {
                c.tr.tn("list-matching", &[("count", total.to_string())])
            } else {
                String::new()
            },
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
    /// (field, error, the record it would duplicate: (href, name))
    pub summary: Vec<SummaryLine>,
    /// Someone else's values, shown when a save was refused as stale (pages
    /// without a merge of edits).
    pub conflict: Vec<(String, String)>,
    /// When a save met someone else's: every field either of them changed.
    pub changes: Vec<ChangeRow>,
    /// The values the form was opened with (`_was_{field}`), for merging.
    pub seen: Vec<(String, String)>,
    pub cancel: String,
    /// Offer "Save and add another" (a new record's form).
    pub add_another: bool,
    /// A new location's fields, on a form that can create one on the way.
    pub inline: Vec<FormField>,
    /// The translatable fields in each of the initiative's languages:
    /// (code, language, controls).
    pub translations: Vec<(String, String, Vec<FormField>)>,
    /// Fields sent back as they came (translations into a language the
    /// initiative no longer declares): (name, value).
    pub kept: Vec<(String, String)>,
}

impl FormPage {
    /// Open the translations when one is filled in or refused.
    pub fn translations_open(&self) -> bool {
        self.translations
            .iter()
            .flat_map(|(_, _, f)| f)
            .any(|f| !f.value.is_empty() || !f.error.is_empty())
    }
}

impl FormPage {
    /// Some field was changed differently by both editors.
    pub fn has_clash(&self) -> bool {
        self.changes.iter().any(|r| r.clash)
    }
}

/// One field of a save that met someone else's (see `domain::edits`).
pub struct ChangeRow {
    pub name: String,
    pub label: String,
    pub seen: String,
    pub typed: String,
    pub now: String,
    /// What happens to it, in words.
    pub outcome: String,
    /// Both changed it differently: the editor decides.
    pub clash: bool,
}

/// Where an edit form stands: what its editor saw and, when their save met
/// someone else's, how the two merged.
pub struct EditState<'a> {
    /// The values taken as seen: sent back as `_was_{field}`.
    pub seen: &'a FieldMap,
    /// (what the editor saw before, what they typed, the merge).
    pub met: Option<(&'a FieldMap, &'a FieldMap, &'a domain::edits::Merged)>,
}

/// One line of the errors above a form: (field, error, the record it would
/// duplicate: (href, name)).
pub type SummaryLine = (String, String, Option<(String, String)>);

/// The errors above a form: (field, error, the record it would duplicate).
pub fn error_summary(fields: &[FormField]) -> Vec<SummaryLine> {
    fields
        .iter()
        .filter(|f| !f.error.is_empty())
        .map(|f| (f.name.to_string(), f.error.clone(), f.existing.clone()))
        .collect()
}

/// Prefill from the query string (e.g. `?body_id=3` from a body's page).
/// The names a new location's fields take on a form that can create one.
const NEW_LOCATION_FIELDS: &[(&str, &str)] = &[
    ("name", "new_location_name"),
    ("address", "new_location_address"),
    ("city", "new_location_city"),
    ("postal_code", "new_location_postal_code"),
    ("country", "new_location_country"),
];

/// The new location asked for: its fields (with the record's organization),
/// when one of them was filled and no existing location was chosen.
fn new_location_fields(fields: &FieldMap) -> Option<FieldMap> {
    if fields
        .get("location_id")
        .is_some_and(|v| !v.trim().is_empty())
    {
        return None;
    }
    let mut loc: FieldMap = NEW_LOCATION_FIELDS
        .iter()
        .filter_map(|(name, form)| Some((name.to_string(), fields.get(*form)?.clone())))
        .collect();
    if loc.values().all(|v| v.trim().is_empty()) {
        return None;
    }
    if let Some(org) = fields.get("organization_id") {
        loc.insert("organization_id".into(), org.clone());
    }
    Some(loc)
}

/// A location's errors under the names its fields have on the form.
fn as_new_location(errors: FieldErrors) -> FieldErrors {
    FieldErrors(
        errors
            .0
            .into_iter()
            .map(|(k, v)| {
                let name = NEW_LOCATION_FIELDS
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map_or(k, |(_, form)| form.to_string());
                (name, v)
            })
            .collect(),
    )
}

/// The new location's controls: the location form's fields (its
/// organization is the record's), none required unless one is filled.
fn new_location_form(c: &Chrome, values: &FieldMap, errors: &FieldErrors) -> Vec<FormField> {
    use domain::partnership::Location;
    let defs: Vec<crate::kinds::FieldDef> = <Location as Kind>::fields()
        .into_iter()
        .filter(|d| d.name != "organization_id")
        .map(|d| crate::kinds::FieldDef {
            required: false,
            ..d
        })
        .collect();
    let strip = |m: &FieldMap| -> FieldMap {
        NEW_LOCATION_FIELDS
            .iter()
            .filter_map(|(name, form)| Some((name.to_string(), m.get(*form)?.clone())))
            .collect()
    };
    let errs = FieldErrors(
        errors
            .0
            .iter()
            .filter_map(|(k, v)| {
                let (name, _) = NEW_LOCATION_FIELDS.iter().find(|(_, f)| *f == k.as_str())?;
                Some((name.to_string(), v.clone()))
            })
            .collect(),
    );
    let mut out = form_fields(&c.tr, &defs, &strip(values), &errs, &RefNames::default());
    for f in &mut out {
        if let Some((_, form)) = NEW_LOCATION_FIELDS.iter().find(|(n, _)| *n == f.name) {
            f.name = form.to_string();
        }
    }
    out
}

/// A required date that starts something (a seat, a stage reached, a
/// status): today in the initiative's time zone is the likeliest answer.
const STARTS: &[&str] = &[
    "start_date",
    "reached_on",
    "status_on",
    "start_on",
    "starts_on",
];

async fn new<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Own<T, Create>>,
    Query(mut prefill): Query<FieldMap>,
) -> PageResult {
    let today = chrono::Utc::now()
        .with_timezone(&auth.initiative().data.tz())
        .date_naive();
    for d in T::fields()
        .iter()
        .filter(|d| d.required && STARTS.contains(&d.name))
    {
        prefill
            .entry(d.name.to_string())
            .or_insert_with(|| today.to_string());
    }
    // Money is counted in the initiative's currency unless said otherwise.
    if let Some(cur) = &auth.initiative().data.currency
        && T::columns().iter().any(|c| c.name == "currency")
    {
        prefill
            .entry("currency".into())
            .or_insert_with(|| cur.clone());
    }
    // Arriving from "Save and add another": say the last one was saved.
    let notice = prefill.remove("saved").map(|_| "saved-add-another");
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
        notice,
    )
    .await
}

/// On the form of someone who writes this kind only for the organizations
/// they speak for (a partner), offer those organizations and no other.
fn own_organizations<T: Kind>(refs: &mut RefNames, g: &domain::access::Grants, stored: bool) {
    use domain::access::{Action, decide_record};
    let action = if stored {
        Action::Update
    } else {
        Action::Create
    };
    if !decide_record(g, action, T::KIND).allowed()
        && let Some(names) = refs.by_table.get_mut("organizations")
    {
        names.retain(|(id, _)| g.organizations.contains(id));
    }
}

/// What a merge did to `field`, as a message key, and whether both editors
/// changed it differently; `None` when neither changed it.
fn outcome_of(merged: &domain::edits::Merged, field: &str) -> Option<(&'static str, bool)> {
    use domain::edits::FieldState as S;
    let state = merged.states.get(field).copied().unwrap_or(S::Same);
    let key = match state {
        S::Same => return None,
        S::Mine => "conflict-mine",
        S::Theirs => "conflict-theirs-kept",
        S::Agreed => "conflict-agreed",
        S::Clash => "conflict-clash",
    };
    Some((key, state == S::Clash))
}

/// How a field's value compares: trimmed text; a checkbox's absence is "false".
fn normal_value(defs: &[crate::kinds::FieldDef]) -> impl Fn(&str, &str) -> String + '_ {
    move |field, value| {
        let check = defs
            .iter()
            .any(|d| d.name == field && matches!(d.widget, crate::kinds::Widget::Check));
        if check {
            (value == "true").to_string()
        } else {
            value.trim().to_string()
        }
    }
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
    edit: Option<EditState<'_>>,
    status: StatusCode,
    notice: Option<&'static str>,
) -> PageResult {
    let defs = T::fields();
    let mut c = Chrome::new(ctx, String::new()).in_initiative(i, g, T::PATH);
    let mut refs = RefNames::load(&s.store, i.id, &defs)
        .await?
        .localized(&s.store, i, c.lang())
        .await?;
    own_organizations::<T>(&mut refs, g, record.is_some());
    if let Some(key) = notice {
        c.notice = c.t(key);
    }
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
    let mut fields = form_fields(&c.tr, &defs, values, errors, &refs);
    crate::kinds::link_existing(&mut fields, errors, &i.data.slug);
    let inline = if T::NEW_LOCATION && record.is_none() {
        new_location_form(&c, values, errors)
    } else {
        vec![]
    };
    let mut translations = crate::kinds::translation_fields(
        &c.tr,
        &defs,
        T::TRANSLATABLE,
        &i.data.languages,
        values,
        errors,
    );
    let mut summary = error_summary(&fields);
    summary.extend(error_summary(&inline));
    for (_, _, t) in &translations {
        summary.extend(error_summary(t));
    }
    let mut changes = vec![];
    if let Some((before, typed, merged)) = edit.as_ref().and_then(|e| e.met) {
        let now = edit.as_ref().map(|e| e.seen).unwrap_or(before);
        for d in &defs {
            let Some((outcome, clash)) = outcome_of(merged, d.name) else {
                continue;
            };
            if clash && let Some(f) = fields.iter_mut().find(|f| f.name == d.name) {
                f.clash = c.t1("conflict-field", "value", &display(&c.tr, d, now, &refs));
            }
            changes.push(ChangeRow {
                name: d.name.to_string(),
                label: c.t(&format!("field-{}", d.name)),
                seen: display(&c.tr, d, before, &refs),
                typed: display(&c.tr, d, typed, &refs),
                now: display(&c.tr, d, now, &refs),
                outcome: c.t(outcome),
                clash,
            });
        }
        // Translations, which read as typed.
        for f in translations.iter_mut().flat_map(|(_, _, f)| f) {
            let Some((outcome, clash)) = outcome_of(merged, &f.name) else {
                continue;
            };
            let text = |m: &FieldMap| m.get(&f.name).cloned().unwrap_or_default();
            if clash {
                f.clash = c.t1("conflict-field", "value", &text(now));
            }
            changes.push(ChangeRow {
                name: f.name.clone(),
                label: f.label.clone(),
                seen: text(before),
                typed: text(typed),
                now: text(now),
                outcome: c.t(outcome),
                clash,
            });
        }
    }
    // Translations into a language the initiative no longer declares ride
    // along unseen, so that saving the form does not drop them.
    let offered: Vec<&str> = translations
        .iter()
        .flat_map(|(_, _, f)| f.iter().map(|f| f.name.as_str()))
        .collect();
    let kept: Vec<(String, String)> = values
        .iter()
        .filter(|(k, v)| k.contains('@') && !v.is_empty() && !offered.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let seen = edit
        .as_ref()
        .map(|e| {
            e.seen
                .iter()
                .filter(|(k, _)| {
                    let field = k.split_once('@').map_or(k.as_str(), |(f, _)| f);
                    defs.iter().any(|d| d.name == field)
                })
                .map(|(k, v)| (k.clone(), v.clone()))
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
            conflict: vec![],
            changes,
            seen,
            cancel,
            add_another: record.is_none(),
            inline,
            translations,
            kept,
        },
    )
}

async fn create<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Own<T, Create>>,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let mut sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let another = sub.fields.remove("_next").is_some_and(|n| n == "another");
    let new_location = if T::NEW_LOCATION {
        new_location_fields(&sub.fields)
    } else {
        None
    };
    let result = match (new_location, T::parse(&sub.fields)) {
        // The location it is at, created on the way, in the same transaction.
        (Some(loc_fields), parsed) => {
            use domain::partnership::Location;
            match (Location::parse(&loc_fields), parsed) {
                (Err(e), Err(mine)) => {
                    let mut all = as_new_location(e);
                    all.0
                        .extend(mine.0.into_iter().filter(|(k, _)| k != "location_id"));
                    Err(AppError::Invalid(all))
                }
                (Err(e), Ok(_)) => Err(AppError::Invalid(as_new_location(e))),
                (Ok(loc), _) => {
                    let fields = sub.fields.clone();
                    auth.registry(&s.store)
                        .create_linked::<Location, T>((&loc_fields, &loc), &sub.fields, move |id| {
                            let mut f = fields;
                            f.insert("location_id".into(), id.to_string());
                            T::parse(&f)
                        })
                        .await
                        .map(|(_, rec)| rec)
                        .map_err(|(first, e)| match (first, e) {
                            (true, AppError::Invalid(e)) => AppError::Invalid(as_new_location(e)),
                            (_, e) => e,
                        })
                }
            }
        }
        (None, Ok(v)) => auth.registry(&s.store).create(&sub.fields, &v).await,
        (None, Err(e)) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(_) if another => {
            Ok(Redirect::to(&format!("/i/{slug}/{}/new?saved=1", T::PATH)).into_response())
        }
        Ok(rec) => {
            Ok(Redirect::to(&format!("/i/{slug}/{}/{}?saved=1", T::PATH, rec.id)).into_response())
        }
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
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn edit<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Own<T, Write>>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    let rec = auth.registry(&s.store).editable::<T>(id).await?;
    let values = rec.data.to_fields();
    form_page::<T>(
        &s,
        &auth.ctx,
        auth.initiative(),
        auth.grants(),
        Some((id, rec.version)),
        &values,
        &FieldErrors::default(),
        Some(EditState {
            seen: &values,
            met: None,
        }),
        StatusCode::OK,
        None,
    )
    .await
}

async fn update<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Own<T, Write>>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    auth.registry(&s.store).check_editable::<T>(id).await?;
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let version = sub.version.ok_or_else(|| {
        AppError::BadRequest("the form lacks the version it was opened at".into())
    })?;
    let reg = auth.registry(&s.store);
    let save = |fields: FieldMap, version: i64| {
        let reg = &reg;
        async move {
            match T::parse(&fields) {
                Ok(v) => reg.update(id, version, &fields, &v).await,
                Err(e) => Err(AppError::Invalid(e)),
            }
        }
    };
    let saved = |merged: bool| {
        let notice = if merged { "merged" } else { "1" };
        Ok(Redirect::to(&format!("/i/{slug}/{}/{id}?saved={notice}", T::PATH)).into_response())
    };
    let current = match save(sub.fields.clone(), version).await {
        Ok(_) => return saved(false),
        Err(AppError::Invalid(e)) => {
            let seen = if sub.seen.is_empty() {
                &sub.fields
            } else {
                &sub.seen
            };
            return form_page::<T>(
                &s,
                ctx,
                i,
                g,
                Some((id, version)),
                &sub.fields,
                &e,
                Some(EditState { seen, met: None }),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
            .await;
        }
        Err(AppError::Conflict { current }) => current,
        Err(e) => return Err(e.into()),
    };
    // Someone saved since this form opened. Merge field by field: a field only
    // one of them changed keeps that change; only fields both changed
    // differently are asked about (see `domain::edits`).
    let current_version = current["version"].as_i64().unwrap_or(version);
    let now = serde_json::from_value::<T>(current)
        .map(|x| x.to_fields())
        .unwrap_or_default();
    let defs = T::fields();
    // Every field of the form, and every translation any of the three holds.
    let translated: std::collections::BTreeSet<&str> = [&sub.fields, &sub.seen, &now]
        .into_iter()
        .flat_map(|m| m.keys())
        .filter(|k| k.contains('@'))
        .map(String::as_str)
        .collect();
    let names: Vec<&str> = defs.iter().map(|d| d.name).chain(translated).collect();
    // A form from before merging carried no values seen: everything it holds
    // that differs from what is stored is asked about.
    let before = if sub.seen.is_empty() { &now } else { &sub.seen };
    let merged = domain::edits::merge(&names, before, &sub.fields, &now, normal_value(&defs));
    let mut errors = FieldErrors::default();
    if merged.clashes().is_empty() && !sub.seen.is_empty() {
        match save(merged.values.clone(), current_version).await {
            Ok(_) => return saved(true),
            Err(AppError::Invalid(e)) => errors = e,
            // A third save in between: ask with what is stored then.
            Err(AppError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    form_page::<T>(
        &s,
        ctx,
        i,
        g,
        Some((id, current_version)),
        &merged.values,
        &errors,
        Some(EditState {
            seen: &now,
            met: Some((before, &sub.fields, &merged)),
        }),
        StatusCode::CONFLICT,
        None,
    )
    .await
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
    /// The caller may change this record (a partner its own organization's).
    can_edit: bool,
    /// (label, value, its `lang`/`dir` attributes)
    rows: Vec<(String, String, String)>,
    /// The heading's `lang`/`dir` attributes.
    heading_attrs: String,
    members: Vec<MemberRow>,
    is_body: bool,
    /// Link to erase contact details, for kinds that hold them.
    erase_href: Option<String>,
    /// Link to merge the record into another, for kinds that can be merged.
    merge_href: Option<String>,
    /// Pages of the kind's own module: (label, href).
    links: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    /// Just saved: `1`, or `merged` when another person's save was merged in.
    saved: Option<String>,
}

async fn show<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let mut c = Chrome::new(ctx, String::new()).in_initiative(i, g, T::PATH);
    c.notice = match q.saved.as_deref() {
        Some("merged") => c.t("saved-merged"),
        Some(_) => c.t("saved"),
        None => String::new(),
    };
    let base = format!("/i/{slug}/{}", T::PATH);
    let key = format!("show:{}:{id}:{}", T::PATH, c.lang());
    // The part is the heading, a NUL (never in stored text), then the content.
    let part = super::cached_part(&s, &auth.view, key, async {
        let reg = auth.registry(&s.store);
        let rec = reg.get::<T>(id).await?;
        let defs = T::fields();
        let refs = RefNames::load(&s.store, i.id, &defs)
            .await?
            .localized(&s.store, i, c.lang())
            .await?;
        let mut values = rec.data.stored_values();
        let shown_in = crate::kinds::localize(&mut values, c.lang(), &i.data.languages);
        let first = i.data.first_language();
        let rows = defs
            .iter()
            .map(|d| {
                let text = display(&c.tr, d, &values, &refs);
                let attrs = c.lang_in(&text, shown_in.get(d.name).map(String::as_str), first);
                (c.t(&format!("field-{}", d.name)), text, attrs)
            })
            .collect();
        let is_body = T::KIND == Body::KIND;
        let members = if is_body {
            reg.members(Some(id)).await?
        } else {
            vec![]
        };
        // A translated name heads the page in the reader's language.
        let (heading, heading_attrs) = match shown_in.get("name").zip(values.get("name")) {
            Some((lang, name)) => (name.clone(), c.lang_in(name, Some(lang), first)),
            None => {
                let h = T::heading(&rec.data, &c.tr, &refs);
                let attrs = c.lang_in(&h, None, first);
                (h, attrs)
            }
        };
        let content = super::render_part(&ShowContent {
            c: &c,
            heading: heading.clone(),
            heading_attrs,
            base: base.clone(),
            id,
            archived: rec.archived,
            can_edit: reg.may::<T>(domain::access::Action::Update, Some(id), &rec.data),
            rows,
            members,
            is_body,
            erase_href: (!crate::access::contact_fields::<T>().is_empty())
                .then(|| format!("/i/{slug}/{}/{id}/erase", T::PATH)),
            merge_href: T::MERGE.then(|| format!("/i/{slug}/{}/{id}/merge", T::PATH)),
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
    /// What refers to the record, in words, each with the records it names:
    /// (line, [(href, name)]).
    pub consequences: Vec<(String, Vec<(String, String)>)>,
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
    let mut consequences = vec![];
    if archiving {
        for r in reg.referrers::<T>(id).await? {
            let kind_refs = RefNames::load(&s.store, i.id, &(r.kind.fields)()).await?;
            let names = r
                .records
                .iter()
                .map(|(rid, data)| {
                    let name = (r.kind.heading)(data, &c.tr, &kind_refs)
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| format!("#{rid}"));
                    (format!("/i/{slug}/{}/{rid}", r.kind.path), name)
                })
                .collect();
            let line = c.tr.tn(
                "archive-referrers",
                &[
                    ("count", r.count.to_string()),
                    ("kind", c.t(&format!("kind-{}", r.kind.path))),
                ],
            );
            consequences.push((line, names));
        }
    }
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

/// "Merge X into …": the other records to keep, and what will move.
#[derive(Template)]
#[template(path = "merge.html")]
struct MergePage {
    c: Chrome,
    heading: String,
    action: String,
    cancel: String,
    /// (id, name, chosen)
    choices: Vec<(i64, String, bool)>,
    /// What refers to the record, in words.
    moves: Vec<String>,
    error: String,
}

#[derive(Deserialize)]
pub struct MergeQuery {
    into: Option<i64>,
}

async fn merge_form<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<MergeQuery>,
) -> PageResult {
    merge_page::<T>(&s, &auth, &slug, id, q.into, String::new(), StatusCode::OK).await
}

async fn merge_page<T: Kind>(
    s: &AppState,
    auth: &Authorized<Write>,
    slug: &str,
    id: i64,
    into: Option<i64>,
    error: String,
    status: StatusCode,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let rec = reg.get::<T>(id).await?;
    if rec.archived {
        return Err(AppError::NotFound.into());
    }
    let c = Chrome::new(ctx, String::new()).in_initiative(i, g, T::PATH);
    let choices = reg
        .names::<T>()
        .await?
        .into_iter()
        .filter(|(other, _)| *other != id)
        .map(|(other, name)| (other, name, into == Some(other)))
        .collect();
    let moves = reg
        .references::<T>(id)
        .await?
        .into_iter()
        .map(|(table, n)| {
            let what = crate::kinds::by_table(&table)
                .map(|k| c.t(&format!("kind-{}", k.path)))
                .unwrap_or_else(|| table.replace('_', " "));
            c.tr.tn(
                "archive-referrers",
                &[("count", n.to_string()), ("kind", what)],
            )
        })
        .collect();
    let base = format!("/i/{slug}/{}", T::PATH);
    let label = rec.data.label();
    let heading = c.t1("merge-heading", "name", &label);
    let kind = title::<T>(&c);
    let c = c
        .crumb(base.clone(), kind)
        .crumb(format!("{base}/{id}"), label);
    let c = Chrome {
        title: heading.clone(),
        ..c
    };
    render_status(
        status,
        &MergePage {
            c,
            heading,
            action: format!("{base}/{id}/merge"),
            cancel: format!("{base}/{id}"),
            choices,
            moves,
            error,
        },
    )
}

async fn merge<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let into = sub
        .fields
        .get("into")
        .and_then(|v| v.trim().parse::<i64>().ok());
    let result = match into {
        Some(into) => auth.registry(&s.store).merge::<T>(id, into).await,
        None => Err(AppError::Invalid(FieldErrors::single(
            "into",
            "required",
            "into is required",
        ))),
    };
    match (result, into) {
        (Ok(_), Some(into)) => {
            Ok(Redirect::to(&format!("/i/{slug}/{}/{into}", T::PATH)).into_response())
        }
        (Err(AppError::Invalid(e)), _) => {
            let error = e
                .get("into")
                .map(|fe| crate::kinds::translate_error(&auth.ctx.tr, "into", fe))
                .unwrap_or_default();
            merge_page::<T>(
                &s,
                &auth,
                &slug,
                id,
                into,
                error,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        (Err(e), _) => Err(e.into()),
        (Ok(_), None) => Err(AppError::Internal.into()),
    }
}
