//! The audit log of an initiative as a person reads it (coordinators): who
//! changed what and when, in the initiative's time zone, the record named and
//! linked, and each changed field with its value before and after in the
//! page's language. Filters by person, kind and dates. The raw JSON stays in
//! the API (`/api/v1/initiatives/{slug}/audit`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use chrono::{NaiveDate, TimeZone};
use serde::Deserialize;
use serde_json::Value;

use store::audit::{Entry, Filter};

use super::{Chrome, render};
use crate::AppState;
use crate::access::{Audit, Authorized};
use crate::error::PageResult;
use crate::i18n::Tr;
use crate::kinds::{KindEntry, RefNames, display};

/// One entry as the page shows it.
pub struct Row {
    /// Local time in the initiative's zone, and the same moment in RFC 3339.
    pub when: String,
    pub iso: String,
    pub who: String,
    pub action: String,
    pub kind: String,
    /// The record's name (or its number when it has none) and its page.
    pub name: String,
    pub href: Option<String>,
    /// (field, before, after): what changed.
    pub changes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "audit_content.html")]
struct AuditContent<'a> {
    c: &'a Chrome,
    rows: Vec<Row>,
    page: u64,
    more: bool,
    /// (id, name, chosen)
    actors: Vec<(i64, String, bool)>,
    /// (kind, label, chosen)
    kinds: Vec<(String, String, bool)>,
    from: String,
    to: String,
    /// The query string of the filters, for the pager ("actor=3&kind=body&").
    filters: String,
    zone: String,
}

/// The filters as typed; a value that does not parse is ignored (and left
/// out of the form), never an error page.
#[derive(Deserialize, Default)]
pub struct AuditQuery {
    page: Option<u64>,
    actor: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub async fn audit(
    State(s): State<AppState>,
    auth: Authorized<Audit>,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let per = 50;
    let tz = i.data.tz();
    let actor = q.actor.as_deref().and_then(|a| a.parse::<i64>().ok());
    let kinds_known = crate::kinds::audit_kinds();
    let kind = q
        .kind
        .as_deref()
        .filter(|k| kinds_known.contains(k))
        .map(str::to_string);
    let date = |d: &Option<String>| {
        d.as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let (from, to) = (date(&q.from), date(&q.to));
    let start_of = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let c = Chrome::new(ctx, ctx.tr.t("audit-title")).in_initiative(i, g, "audit");
    let mut filters = String::new();
    if let Some(a) = actor {
        filters.push_str(&format!("actor={a}&"));
    }
    if let Some(k) = &kind {
        filters.push_str(&format!("kind={k}&"));
    }
    for (name, d) in [("from", from), ("to", to)] {
        if let Some(d) = d {
            filters.push_str(&format!("{name}={d}&"));
        }
    }
    let key = format!("audit:{page}:{filters}:{}", c.lang());
    let content = super::cached_part(&s, &auth.view, key, async {
        let reg = auth.registry(&s.store);
        let mut entries = reg
            .audit(Filter {
                kind: kind.clone(),
                actor,
                from: from.and_then(start_of),
                until: to.and_then(|d| d.succ_opt()).and_then(start_of),
                limit: per + 1,
                offset: (page - 1) * per,
                ..Default::default()
            })
            .await?;
        let more = entries.len() as u64 > per;
        entries.truncate(per as usize);
        let mut refs: HashMap<&'static str, RefNames> = HashMap::new();
        for k in entries
            .iter()
            .filter_map(|e| crate::kinds::by_kind(&e.kind))
        {
            if !refs.contains_key(k.kind) {
                refs.insert(k.kind, RefNames::load(&s.store, i.id, &(k.fields)()).await?);
            }
        }
        let rows = entries
            .iter()
            .map(|e| row(&c.tr, &i.data.slug, tz, e, &refs))
            .collect();
        let actors = reg
            .audit_actors()
            .await?
            .into_iter()
            .map(|(id, name)| (id, name, actor == Some(id)))
            .collect();
        let mut kinds: Vec<(String, String, bool)> = kinds_known
            .iter()
            .map(|k| {
                (
                    k.to_string(),
                    c.t(&format!("kind-one-{k}")),
                    kind.as_deref() == Some(k),
                )
            })
            .collect();
        kinds.sort_by(|a, b| a.1.cmp(&b.1));
        super::render_part(&AuditContent {
            c: &c,
            rows,
            page,
            more,
            actors,
            kinds,
            from: from.map(|d| d.to_string()).unwrap_or_default(),
            to: to.map(|d| d.to_string()).unwrap_or_default(),
            filters: filters.clone(),
            zone: tz.name().to_string(),
        })
    })
    .await?;
    render(&super::Page {
        c,
        content,
        archive: None,
    })
}

/// Keys of a record's JSON that are bookkeeping, not content.
const BOOKKEEPING: &[&str] = &[
    "id",
    "initiative_id",
    "version",
    "created_at",
    "updated_at",
    "archived",
    "moved",
    "merged_into",
];

fn row(
    tr: &Tr,
    slug: &str,
    tz: chrono_tz::Tz,
    e: &Entry,
    refs: &HashMap<&'static str, RefNames>,
) -> Row {
    let local = e.at.with_timezone(&tz);
    let kind = crate::kinds::by_kind(&e.kind);
    let none = RefNames::default();
    let kind_refs = kind.and_then(|k| refs.get(k.kind)).unwrap_or(&none);
    let record = e.after.as_ref().or(e.before.as_ref());
    let name = kind
        .zip(record)
        .and_then(|(k, v)| (k.heading)(v, tr, kind_refs))
        .filter(|n| !n.is_empty())
        .or_else(|| {
            record
                .and_then(|v| v.get("name").or_else(|| v.get("title")))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| format!("#{}", e.record_id));
    let changes = match kind {
        Some(k) => record_changes(tr, k, e, kind_refs),
        None => json_changes(tr, e),
    };
    Row {
        when: local.format("%Y-%m-%d %H:%M %Z").to_string(),
        iso: e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        who: e.actor_name.clone().unwrap_or_else(|| "—".into()),
        action: tr.t(&format!("audit-action-{}", e.action)),
        kind: tr.t(&format!("kind-one-{}", e.kind)),
        name,
        href: kind.and_then(|_| crate::kinds::record_href(slug, &e.kind, e.record_id)),
        changes,
    }
}

/// A record's JSON as its stored values (text, as `Resource::stored_values`).
fn values_of(v: Option<&Value>) -> domain::validation::FieldMap {
    let mut map = domain::validation::FieldMap::new();
    if let Some(Value::Object(obj)) = v {
        for (k, v) in obj {
            let s = match v {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            map.insert(k.clone(), s);
        }
    }
    map
}

/// The fields of a registry record that differ between before and after, in
/// the form's order and words (a created record lists what it was given).
fn record_changes(
    tr: &Tr,
    k: &KindEntry,
    e: &Entry,
    refs: &RefNames,
) -> Vec<(String, String, String)> {
    let (before, after) = (values_of(e.before.as_ref()), values_of(e.after.as_ref()));
    if e.action == "merge" {
        return vec![];
    }
    (k.fields)()
        .iter()
        .filter_map(|d| {
            let (b, a) = (display(tr, d, &before, refs), display(tr, d, &after, refs));
            (b != a).then(|| (tr.t(&format!("field-{}", d.name)), b, a))
        })
        .collect()
}

/// Any other entry: its top-level fields that differ, as written.
fn json_changes(tr: &Tr, e: &Entry) -> Vec<(String, String, String)> {
    let (before, after) = (values_of(e.before.as_ref()), values_of(e.after.as_ref()));
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let short = |s: Option<&String>| {
        let s = s.map(String::as_str).unwrap_or("");
        if s.chars().count() > 120 {
            format!("{}…", s.chars().take(119).collect::<String>())
        } else {
            s.to_string()
        }
    };
    keys.into_iter()
        .filter(|k| !BOOKKEEPING.contains(&k.as_str()))
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| {
            let key = format!("field-{k}");
            let label = if tr.has(&key) { tr.t(&key) } else { k.clone() };
            (label, short(before.get(k)), short(after.get(k)))
        })
        .collect()
}
