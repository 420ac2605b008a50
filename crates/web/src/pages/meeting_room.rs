//! The meeting room (`/i/{slug}/meetings/{id}/room`): the meeting's heading,
//! agenda in order with the names it links to, the body's open action items
//! carried onto it, attendance, guests, quorum, minutes per item and for the
//! meeting, and their approval. Coordinators get the forms; each form posts to
//! its own route, and a refusal re-renders the room (422) with the typed input
//! and the message beside the field. Also the minutes' history and the
//! stipends page (`/i/{slug}/stipends`, coordinators only).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use domain::access::Action;
use domain::funding::money;
use domain::meetings::quorum::Presence;
use domain::meetings::records::{AgendaItem, Meeting};
use domain::resource::Resource;
use domain::validation::{FieldErrors, FieldMap};
use store::StoreError;
use store::meetings::room::{AttendanceInput, GuestInput, MinutesVersion, Room};

use super::{Chrome, Submitted, render, render_status};
use crate::AppState;
use crate::access::{Authorized, Read, Registry};
use crate::error::{AppError, PageResult};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let on = Access::Initiative;
    let m = |p: &str| format!("/i/{{slug}}/meetings/{{id}}/{p}");
    r.get(&m("room"), on(Action::Read, "meeting"), room)
        .get(&m("minutes/history"), on(Action::Read, "meeting"), history)
        .post(&m("agenda"), on(Action::Create, "agenda_item"), add_item)
        .post(
            "/i/{slug}/agenda-items/{id}/move",
            on(Action::Update, "agenda_item"),
            move_item,
        )
        .post(&m("attendance"), on(Action::Update, "meeting"), attendance)
        .post(&m("guests"), on(Action::Update, "meeting"), add_guest)
        .post(
            &m("guests/remove"),
            on(Action::Update, "meeting"),
            remove_guest,
        )
        .post(&m("held"), on(Action::Update, "meeting"), held)
        .post(&m("minutes"), on(Action::Update, "meeting"), minutes)
        .post(
            &m("approve-minutes"),
            on(Action::Update, "meeting"),
            approve,
        )
        // What members are paid is for those who run the registry (see the API).
        .get(
            "/i/{slug}/stipends",
            on(Action::Update, "membership"),
            stipends,
        )
}

/// One agenda item as shown.
pub struct ItemView {
    pub id: i64,
    pub position: i64,
    pub title: String,
    pub description: String,
    pub presenter: String,
    pub minutes_allotted: String,
    /// (label key, name, href)
    pub links: Vec<(&'static str, String, String)>,
    pub minutes: String,
    pub minutes_version: i64,
    /// The name of its minutes' text area (`html_{id}`).
    pub html_field: String,
}

/// A choice of the agenda form.
pub struct SelectView {
    pub field: &'static str,
    pub fid: &'static str,
    pub label: &'static str,
    /// (id, name, chosen)
    pub choices: Vec<(i64, String, bool)>,
    pub error: String,
}

/// One current member's attendance row.
pub struct MemberView {
    pub person_id: i64,
    pub person: String,
    pub organization: String,
    pub status: String,
}

/// What a refused form typed, and where its errors go.
#[derive(Default)]
pub struct Typed {
    /// Which form: "agenda", "guest", "minutes", "approve", "attendance", "held", "move".
    pub form: &'static str,
    pub fields: FieldMap,
    pub errors: FieldErrors,
}

impl Typed {
    pub fn get(&self, form: &str, field: &str) -> String {
        if self.form == form {
            self.fields.get(field).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
    pub fn error(&self, form: &str, field: &str) -> String {
        if self.form == form {
            self.errors
                .get(field)
                .map(|e| e.message.clone())
                .unwrap_or_default()
        } else {
            String::new()
        }
    }
    pub fn any(&self, form: &str) -> String {
        if self.form == form {
            self.errors
                .0
                .values()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            String::new()
        }
    }
}

#[derive(Template)]
#[template(path = "meetings/room.html")]
struct RoomPage {
    c: Chrome,
    id: i64,
    version: i64,
    title: String,
    body: String,
    when: String,
    place: String,
    online_url: String,
    status: String,
    held: bool,
    items: Vec<ItemView>,
    /// (title, owner, due)
    carried: Vec<(String, String, String)>,
    members: Vec<MemberView>,
    guests: Vec<(i64, String, String)>,
    quorum: String,
    quorum_met: bool,
    minutes: String,
    minutes_version: i64,
    approval: String,
    approved: bool,
    approved_here: Vec<String>,
    /// (id, label, has minutes)
    awaiting: Vec<(i64, String, bool)>,
    may_edit: bool,
    selects: Vec<SelectView>,
    typed: Typed,
    presences: Vec<&'static str>,
}

fn when(m: &Meeting, tr: &crate::i18n::Tr) -> String {
    let _ = tr;
    format!(
        "{} – {} ({})",
        m.starts_at.replace('T', " "),
        if m.ends_at[..10] == m.starts_at[..10] {
            m.ends_at[11..].to_string()
        } else {
            m.ends_at.replace('T', " ")
        },
        m.time_zone
    )
}

fn minutes_text(v: &Option<MinutesVersion>) -> (String, i64) {
    v.as_ref()
        .map_or((String::new(), 0), |v| (v.html.clone(), v.version))
}

async fn load(reg: &Registry<'_>, id: i64) -> Result<Room, AppError> {
    reg.get::<Meeting>(id).await?;
    Ok(reg.store.meeting_room(reg.initiative, id).await?)
}

async fn show(s: &AppState, auth: &Authorized<Read>, id: i64, typed: Option<Typed>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let r = load(&reg, id).await?;
    let tr = &ctx.tr;
    let slug = &i.data.slug;
    let carried = reg.store.carried_actions(reg.initiative, id).await?;
    let owners = reg
        .store
        .action_owner_names(reg.initiative, &carried)
        .await?;
    let carried = carried
        .iter()
        .zip(owners)
        .map(|(a, o)| (a.data.title.clone(), o, a.data.due_on.to_string()))
        .collect();
    let items = r
        .items
        .iter()
        .map(|it| {
            let d = &it.item.data;
            let mut links = vec![];
            for (key, name, path, rid) in [
                (
                    "field-objective_id",
                    &it.objective,
                    "objectives",
                    d.objective_id,
                ),
                (
                    "field-indicator_id",
                    &it.indicator,
                    "indicators",
                    d.indicator_id,
                ),
                (
                    "field-activity_id",
                    &it.activity,
                    "activities",
                    d.activity_id,
                ),
            ] {
                if let (Some(n), Some(rid)) = (name, rid) {
                    links.push((key, n.clone(), format!("/i/{slug}/{path}/{rid}")));
                }
            }
            let (minutes, minutes_version) = minutes_text(&it.minutes);
            ItemView {
                id: it.item.id,
                position: d.position,
                title: d.title.clone(),
                description: d.description.clone(),
                presenter: it.presenter.clone().unwrap_or_default(),
                minutes_allotted: d
                    .minutes_allotted
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                links,
                minutes,
                minutes_version,
                html_field: format!("html_{}", it.item.id),
            }
        })
        .collect();
    let q = r.quorum;
    let qargs = [
        ("present", q.present.to_string()),
        ("members", q.members.to_string()),
        ("required", q.required.to_string()),
    ];
    let quorum = tr.tn(
        if q.met {
            "room-quorum-met"
        } else {
            "room-quorum-not-met"
        },
        &qargs,
    );
    let (minutes, minutes_version) = minutes_text(&r.minutes);
    let may_edit = g.allows_on(Action::Update, Meeting::KIND);
    // The agenda form's choices, for those who may add items (decided above).
    let store = reg.store;
    let initiative = reg.initiative;
    let names = |table: &'static str, label: &'static str| async move {
        if may_edit {
            store.names(table, label, Some(initiative)).await
        } else {
            Ok(vec![])
        }
    };
    let m = &r.meeting.data;
    let title = format!("{} · {}", m.title, r.body.data.name);
    let c = Chrome::new(ctx, title.clone())
        .in_initiative(i, g, "registry")
        .crumb(format!("/i/{slug}/meetings"), tr.t("meetings-title"))
        .crumb(format!("/i/{slug}/meetings/{id}"), m.title.clone())
        .crumb("", tr.t("meeting-room"));
    let status = if typed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let typed = typed.unwrap_or_default();
    let mut selects = vec![];
    for (field, fid, table, label) in [
        ("presenter_person_id", "ai-presenter", "people", "name"),
        ("objective_id", "ai-objective", "objectives", "title"),
        ("indicator_id", "ai-indicator", "indicators", "name"),
        ("activity_id", "ai-activity", "activities", "title"),
    ] {
        let chosen = typed.get("agenda", field);
        selects.push(SelectView {
            field,
            fid,
            label: match field {
                "presenter_person_id" => "field-presenter_person_id",
                "objective_id" => "field-objective_id",
                "indicator_id" => "field-indicator_id",
                _ => "field-activity_id",
            },
            choices: names(table, label)
                .await?
                .into_iter()
                .map(|(id, n)| (id, n, id.to_string() == chosen))
                .collect(),
            error: typed.error("agenda", field),
        });
    }
    let page = RoomPage {
        id,
        version: r.meeting.version,
        title: m.title.clone(),
        body: r.body.data.name.clone(),
        when: when(m, tr),
        place: m.place.clone(),
        online_url: m.online_url.clone().unwrap_or_default(),
        status: tr.t(&format!("meeting-status-{}", m.status.as_str())),
        held: m.status == domain::meetings::records::MeetingStatus::Held,
        items,
        carried,
        members: r
            .members
            .iter()
            .map(|x| MemberView {
                person_id: x.person_id,
                person: x.person.clone(),
                organization: x.organization.clone().unwrap_or_default(),
                status: x.status.map(|p| p.as_str().to_string()).unwrap_or_default(),
            })
            .collect(),
        guests: r
            .guests
            .iter()
            .map(|g| (g.id, g.name.clone(), g.affiliation.clone()))
            .collect(),
        quorum,
        quorum_met: q.met,
        minutes,
        minutes_version,
        approved: r.approval.is_some(),
        approval: r
            .approval
            .as_ref()
            .map(|a| tr.t1("room-approved-at", "meeting", &a.approved_at_meeting))
            .unwrap_or_default(),
        approved_here: r.approved_here.iter().map(|(_, l)| l.clone()).collect(),
        awaiting: r
            .awaiting_approval
            .iter()
            .map(|e| (e.id, e.label.clone(), e.has_minutes))
            .collect(),
        may_edit,
        selects,
        typed,
        presences: Presence::ALL.iter().map(|p| p.as_str()).collect(),
        c,
    };
    render_status(status, &page)
}

async fn room(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    show(&s, &auth, id, None).await
}

fn back(auth: &Authorized<Read>, id: i64, anchor: &str) -> PageResult {
    Ok(Redirect::to(&format!(
        "/i/{}/meetings/{id}/room#{anchor}",
        auth.initiative().data.slug
    ))
    .into_response())
}

/// A write's refusal re-renders the room with what was typed.
async fn refused(
    s: &AppState,
    auth: &Authorized<Read>,
    id: i64,
    form: &'static str,
    fields: FieldMap,
    e: StoreError,
) -> PageResult {
    match e {
        StoreError::Invalid(errors) => {
            show(
                s,
                auth,
                id,
                Some(Typed {
                    form,
                    fields,
                    errors,
                }),
            )
            .await
        }
        StoreError::Conflict { .. } => {
            let errors =
                FieldErrors::single("_version", "conflict", auth.ctx.tr.t("room-error-conflict"));
            show(
                s,
                auth,
                id,
                Some(Typed {
                    form,
                    fields,
                    errors,
                }),
            )
            .await
        }
        e => Err(AppError::from(e).into()),
    }
}

fn submitted(auth: &Authorized<Read>, pairs: Vec<(String, String)>) -> Result<Submitted, AppError> {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    Ok(sub)
}

async fn add_item(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = submitted(&auth, pairs)?;
    let reg = auth.registry(&s.store);
    reg.allow::<AgendaItem>(Action::Create)?;
    reg.get::<Meeting>(id).await?;
    let mut fields = sub.fields.clone();
    fields.insert("meeting_id".into(), id.to_string());
    fields.insert("position".into(), "1".into());
    let item = match AgendaItem::parse(&fields) {
        Ok(v) => v,
        Err(e) => {
            return refused(&s, &auth, id, "agenda", sub.fields, StoreError::Invalid(e)).await;
        }
    };
    match s
        .store
        .add_agenda_item(reg.actor, reg.initiative, id, &item)
        .await
    {
        Ok(_) => back(&auth, id, "agenda"),
        Err(e) => refused(&s, &auth, id, "agenda", sub.fields, e).await,
    }
}

async fn move_item(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, item)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = submitted(&auth, pairs)?;
    let reg = auth.registry(&s.store);
    reg.allow::<AgendaItem>(Action::Update)?;
    let rec = reg.get::<AgendaItem>(item).await?;
    let meeting = rec.data.meeting_id;
    let up = match sub.fields.get("direction").map(String::as_str) {
        Some("up") => true,
        Some("down") => false,
        _ => {
            let e = FieldErrors::single(
                "direction",
                "invalid_choice",
                auth.ctx.tr.t("room-error-direction"),
            );
            return refused(
                &s,
                &auth,
                meeting,
                "move",
                sub.fields,
                StoreError::Invalid(e),
            )
            .await;
        }
    };
    match s
        .store
        .move_agenda_item(reg.actor, reg.initiative, item, up)
        .await
    {
        Ok(_) => back(&auth, meeting, "agenda"),
        Err(e) => refused(&s, &auth, meeting, "move", sub.fields, e).await,
    }
}

/// Every current member's status in one form (`att_{person}`); one transaction.
async fn attendance(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = submitted(&auth, pairs)?;
    let reg = auth.registry(&s.store);
    reg.allow::<Meeting>(Action::Update)?;
    reg.get::<Meeting>(id).await?;
    if !sub.fields.contains_key("attendance_form") {
        let e = FieldErrors::single(
            "attendance",
            "required",
            auth.ctx.tr.t("room-error-attendance"),
        );
        return refused(
            &s,
            &auth,
            id,
            "attendance",
            sub.fields,
            StoreError::Invalid(e),
        )
        .await;
    }
    let mut entries = vec![];
    for (k, v) in &sub.fields {
        let Some(p) = k.strip_prefix("att_").and_then(|p| p.parse::<i64>().ok()) else {
            continue;
        };
        if v.is_empty() {
            continue;
        }
        let Some(status) = Presence::parse(v) else {
            let e = FieldErrors::single(k, "invalid_choice", auth.ctx.tr.t("room-error-presence"));
            return refused(
                &s,
                &auth,
                id,
                "attendance",
                sub.fields.clone(),
                StoreError::Invalid(e),
            )
            .await;
        };
        entries.push(AttendanceInput {
            person_id: p,
            status,
        });
    }
    match s
        .store
        .record_attendance(reg.actor, reg.initiative, id, &entries, None)
        .await
    {
        Ok(_) => back(&auth, id, "attendance"),
        Err(e) => refused(&s, &auth, id, "attendance", sub.fields, e).await,
    }
}

async fn add_guest(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = submitted(&auth, pairs)?;
    let reg = auth.registry(&s.store);
    reg.allow::<Meeting>(Action::Update)?;
    reg.get::<Meeting>(id).await?;
    let g = GuestInput {
        name: sub.fields.get("name").cloned().unwrap_or_default(),
        affiliation: sub.fields.get("affiliation").cloned().unwrap_or_default(),
    };
    match s.store.add_guest(reg.actor, reg.initiative, id, &g).await {
        Ok(_) => back(&auth, id, "guests"),
        Err(e) => refused(&s, &auth, id, "guest", sub.fields, e).await,
    }
}

async fn remove_guest(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = submitted(&auth, pairs)?;
    let reg = auth.registry(&s.store);
    reg.allow::<Meeting>(Action::Update)?;
    reg.get::<Meeting>(id).await?;
    let Some(guest) = sub
        .fields
        .get("guest_id")
        .and_then(|g| g.parse::<i64>().ok())
    else {
        let e = FieldErrors::single("guest_id", "required", auth.ctx.tr.t("room-error-guest"));
        return refused(&s, &auth, id, "guest", sub.fields, StoreError::Invalid(e)).await;
    };
    match s
        .store
        .remove_guest(reg.actor, reg.initiative, id, guest)
        .await
    {
        Ok(()) => back(&auth, id, "guests"),
        Err(StoreError::NotFound) => {
            let e = FieldErrors::single("guest_id", "not_found", auth.ctx.tr.t("room-error-guest"));
            refused(&s, &auth, id, "guest", sub.fields, StoreError::Invalid(e)).await
        }
        Err(e) => refused(&s, &auth, id, "guest", sub.fields, e).await,
    }
}

async fn held(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = submitted(&auth, pairs)?;
    let reg = auth.registry(&s.store);
    reg.allow::<Meeting>(Action::Update)?;
    reg.get::<Meeting>(id).await?;
    match s
        .store
        .mark_held(reg.actor, reg.initiative, id, sub.version)
        .await
    {
        Ok(_) => back(&auth, id, "top"),
        Err(e) => refused(&s, &auth, id, "held", sub.fields, e).await,
    }
}

async fn minutes(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = submitted(&auth, pairs)?;
    let reg = auth.registry(&s.store);
    reg.allow::<Meeting>(Action::Update)?;
    reg.get::<Meeting>(id).await?;
    let item = sub
        .fields
        .get("agenda_item_id")
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<i64>());
    let item = match item {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => {
            let e = FieldErrors::single(
                "agenda_item_id",
                "invalid_id",
                auth.ctx.tr.t("room-error-item"),
            );
            return refused(&s, &auth, id, "minutes", sub.fields, StoreError::Invalid(e)).await;
        }
    };
    let Some(html) = sub.fields.get("html") else {
        let e = FieldErrors::single("html", "required", auth.ctx.tr.t("room-error-minutes"));
        return refused(&s, &auth, id, "minutes", sub.fields, StoreError::Invalid(e)).await;
    };
    let anchor = item.map_or("minutes".to_string(), |i| format!("item-{i}"));
    match s
        .store
        .save_minutes(reg.actor, reg.initiative, id, item, html)
        .await
    {
        Ok(_) => back(&auth, id, &anchor),
        Err(StoreError::Invalid(mut errors)) => {
            // The error sits beside the text area of that item.
            if let Some(e) = errors.0.remove("html") {
                errors.0.insert(format!("html_{}", item.unwrap_or(0)), e);
            }
            refused(
                &s,
                &auth,
                id,
                "minutes",
                sub.fields,
                StoreError::Invalid(errors),
            )
            .await
        }
        Err(e) => refused(&s, &auth, id, "minutes", sub.fields, e).await,
    }
}

async fn approve(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = submitted(&auth, pairs)?;
    let reg = auth.registry(&s.store);
    reg.allow::<Meeting>(Action::Update)?;
    reg.get::<Meeting>(id).await?;
    let Some(of) = sub
        .fields
        .get("minutes_of")
        .and_then(|v| v.parse::<i64>().ok())
    else {
        let e = FieldErrors::single(
            "minutes_of",
            "required",
            auth.ctx.tr.t("room-error-approve"),
        );
        return refused(&s, &auth, id, "approve", sub.fields, StoreError::Invalid(e)).await;
    };
    match s
        .store
        .approve_minutes(reg.actor, reg.initiative, id, of)
        .await
    {
        Ok(_) => back(&auth, id, "approval"),
        Err(e) => refused(&s, &auth, id, "approve", sub.fields, e).await,
    }
}

#[derive(Template)]
#[template(path = "meetings/room_history.html")]
struct HistoryPage {
    c: Chrome,
    id: i64,
    /// (item title or empty for the meeting, version, when, html)
    versions: Vec<(String, i64, String, String)>,
}

async fn history(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    let r = load(&reg, id).await?;
    let all = reg.store.minutes_history(reg.initiative, id).await?;
    let title_of = |item: Option<i64>| {
        item.and_then(|x| r.items.iter().find(|it| it.item.id == x))
            .map(|it| format!("{}. {}", it.item.data.position, it.item.data.title))
            .unwrap_or_else(|| match item {
                Some(x) => format!("#{x}"),
                None => ctx.tr.t("room-minutes-meeting"),
            })
    };
    let versions = all
        .iter()
        .rev()
        .map(|v| {
            (
                title_of(v.agenda_item_id),
                v.version,
                v.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                v.html.clone(),
            )
        })
        .collect();
    let slug = &i.data.slug;
    let m = &r.meeting.data;
    let c = Chrome::new(
        ctx,
        format!("{} · {}", m.title, ctx.tr.t("room-history-title")),
    )
    .in_initiative(i, g, "registry")
    .crumb(format!("/i/{slug}/meetings/{id}/room"), m.title.clone())
    .crumb("", ctx.tr.t("room-history-title"));
    render(&HistoryPage { c, id, versions })
}

/// Whether the caller may see what members are paid (coordinators).
fn sees_pay(g: &domain::access::Grants) -> bool {
    domain::access::decide(
        g,
        Action::Read,
        domain::partnership::Membership::KIND,
        domain::resource::Class::Pay,
    ) == domain::access::Decision::Allow
}

#[derive(Deserialize)]
pub struct YearForm {
    year: Option<String>,
}

/// (person, month "2025-03", meetings, minutes, amount, currency)
type StipendLine = (String, String, u32, i64, String, String);

#[derive(Template)]
#[template(path = "meetings/stipends.html")]
struct StipendsPage {
    c: Chrome,
    year: String,
    error: String,
    rows: Vec<StipendLine>,
}

async fn stipends(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Query(q): Query<YearForm>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    if !sees_pay(g) {
        return Err(AppError::Forbidden.into());
    }
    let reg = auth.registry(&s.store);
    let typed = q.year.unwrap_or_default().trim().to_string();
    let (year, error) = if typed.is_empty() {
        (None, String::new())
    } else {
        match typed
            .parse::<i32>()
            .ok()
            .filter(|y| (1970..=2200).contains(y))
        {
            Some(y) => (Some(y), String::new()),
            None => (None, ctx.tr.t("stipends-error-year")),
        }
    };
    let rows = if error.is_empty() {
        reg.store.stipends(reg.initiative, year).await?
    } else {
        vec![]
    };
    let rows = rows
        .into_iter()
        .map(|r| {
            (
                r.person,
                format!("{}-{:02}", r.total.year, r.total.month),
                r.total.meetings,
                r.total.minutes,
                money::display(r.total.total_cents, &r.total.currency),
                r.total.currency,
            )
        })
        .collect();
    let c = Chrome::new(ctx, ctx.tr.t("stipends-title")).in_initiative(i, g, "registry");
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &StipendsPage {
            c,
            year: typed,
            error,
            rows,
        },
    )
}
