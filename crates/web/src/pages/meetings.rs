//! The calendar: the subscribable feeds (`/feeds/bodies/{token}.ics`,
//! `/feeds/users/{token}.ics`: the token is the secret, an unknown one is not
//! found) and the initiative's calendar page.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::AppError;
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let r = r
        .get("/feeds/bodies/{token}", Access::Public, body_feed)
        .get("/feeds/users/{token}", Access::Public, user_feed);
    calendar_routes(r)
}

/// The token of a feed's address (`<token>.ics`).
fn token_of(raw: &str) -> &str {
    raw.strip_suffix(".ics").unwrap_or(raw)
}

async fn feed(s: &AppState, token: &str, user: bool) -> Result<Response, AppError> {
    let token = token_of(token);
    let owner = s.store.feed_owner(token).await?;
    let is_user = matches!(owner, Some(store::meetings::calendar::FeedOwner::User(_)));
    if owner.is_none() || is_user != user {
        return Err(AppError::NotFound);
    }
    let today = store::now().get().date_naive();
    let Some(data) = s.store.feed_by_token(token, today).await? else {
        return Err(AppError::NotFound);
    };
    let text = interop::ical::write(&data);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        text,
    )
        .into_response())
}

async fn body_feed(
    State(s): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    feed(&s, &token, false).await
}

async fn user_feed(
    State(s): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    feed(&s, &token, true).await
}

// ---------------------------------------------------------------------------
// The calendar page.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Query};
use axum::http::HeaderMap;
use axum::response::Redirect;
use serde::Deserialize;

use domain::access::{Action, Decision, Grants, decide_record};
use domain::meetings::records::{Meeting, MeetingSeries, MeetingStatus};
use domain::meetings::recurrence::{CadenceWarning, resolve};
use domain::partnership::Body;
use domain::resource::{Record, Resource};
use domain::validation::{FieldErrors, FieldMap};

use super::{Chrome, Submitted, render_status};
use crate::access::{Authorized, Read, Write};
use crate::error::PageResult;

/// Upcoming meetings the page lists at most, then recent ones.
const UPCOMING: usize = 60;
const RECENT: usize = 20;

/// Zones offered in the form's list (any IANA name is accepted).
const ZONES: &[&str] = &[
    "Asia/Jerusalem",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Bogota",
    "America/Argentina/Buenos_Aires",
    "Africa/Johannesburg",
    "Asia/Kolkata",
    "Australia/Sydney",
    "UTC",
];

/// The series form's inputs: field, label key, input type.
const INPUTS: &[(&str, &str, &str)] = &[
    ("title", "cal-f-title", "text"),
    ("first_start", "cal-f-first", "datetime-local"),
    ("duration_minutes", "cal-f-duration", "number"),
    ("time_zone", "cal-f-zone", "text"),
    ("interval_weeks", "cal-f-interval", "number"),
    ("until", "cal-f-until", "date"),
    ("place", "cal-f-place", "text"),
    ("online_url", "cal-f-online", "url"),
];

pub fn calendar_routes(r: Routes) -> Routes {
    let on = |a| Access::Initiative(a, "meeting");
    r.get("/i/{slug}/calendar", on(Action::Read), calendar)
        .post("/i/{slug}/calendar/series", on(Action::Create), schedule)
        .post(
            "/i/{slug}/calendar/feeds/body",
            on(Action::Update),
            regenerate_body,
        )
        .post(
            "/i/{slug}/calendar/feeds/mine",
            on(Action::Read),
            regenerate_mine,
        )
        .post("/i/{slug}/meetings/{id}/skip", on(Action::Update), skip)
        .get(
            "/i/{slug}/meetings/{id}/move",
            on(Action::Update),
            move_form,
        )
        .post(
            "/i/{slug}/meetings/{id}/move",
            on(Action::Update),
            move_post,
        )
}

fn allows(g: &Grants, a: Action) -> bool {
    decide_record(g, a, "meeting") == Decision::Allow
}

/// One meeting as the page lists it.
pub struct RowView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub when: String,
    pub zone: String,
    pub status: String,
    pub status_label: String,
    pub planned: bool,
    pub version: i64,
}

/// A body's feed address for coordinators.
pub struct FeedView {
    pub body_id: i64,
    pub body: String,
    pub url: String,
}

/// The series form: what was typed, and what is wrong beside each field.
#[derive(Default)]
pub struct FormView {
    pub values: FieldMap,
    pub errors: BTreeMap<String, String>,
}

impl FormView {
    pub fn v(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }
    pub fn e(&self, k: &str) -> &str {
        self.errors.get(k).map(String::as_str).unwrap_or("")
    }
    fn from_errors(values: FieldMap, e: &FieldErrors) -> Self {
        FormView {
            values,
            errors: e
                .0
                .iter()
                .map(|(k, v)| (k.clone(), v.message.clone()))
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "meetings/calendar.html")]
struct CalendarPage {
    c: Chrome,
    bodies: Vec<(i64, String)>,
    selected: i64,
    upcoming: Vec<RowView>,
    recent: Vec<RowView>,
    warnings: Vec<String>,
    may_schedule: bool,
    may_change: bool,
    form: FormView,
    zones: &'static [&'static str],
    inputs: &'static [(&'static str, &'static str, &'static str)],
    feeds: Vec<FeedView>,
    my_feed: String,
    has_person: bool,
}

#[derive(Deserialize)]
struct CalendarQuery {
    body: Option<String>,
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or(
            if host.starts_with("localhost")
                || host.starts_with("127.")
                || host.starts_with("[::1]")
            {
                "http"
            } else {
                "https"
            },
        );
    format!("{proto}://{host}")
}

fn warning_text(c: &Chrome, body: &str, w: &CadenceWarning, max: i64) -> String {
    let b = ("body", body.to_string());
    let m = ("max", max.to_string());
    match w {
        CadenceWarning::NeverMet => c.tr.tn("cal-warn-never", &[b]),
        CadenceWarning::Overdue { last, days } => c.tr.tn(
            "cal-warn-overdue",
            &[b, m, ("last", last.to_string()), ("days", days.to_string())],
        ),
        CadenceWarning::PlannedGap { from, to, days } => c.tr.tn(
            "cal-warn-gap",
            &[
                b,
                m,
                ("from", from.to_string()),
                ("to", to.to_string()),
                ("days", days.to_string()),
            ],
        ),
    }
}

fn row(c: &Chrome, m: &Record<Meeting>, bodies: &BTreeMap<i64, String>) -> RowView {
    let start = m.data.start_local();
    let end = m.data.end_local();
    let when = if start.date() == end.date() {
        format!(
            "{} {}–{}",
            start.date(),
            start.format("%H:%M"),
            end.format("%H:%M")
        )
    } else {
        format!(
            "{} – {}",
            start.format("%Y-%m-%d %H:%M"),
            end.format("%Y-%m-%d %H:%M")
        )
    };
    let status = m.data.status.as_str().to_string();
    RowView {
        id: m.id,
        title: m.data.title.clone(),
        body: bodies.get(&m.data.body_id).cloned().unwrap_or_default(),
        when,
        zone: m.data.time_zone.clone(),
        status_label: c.t(&format!("cal-status-{status}")),
        status,
        planned: m.data.status == MeetingStatus::Planned,
        version: m.version,
    }
}

async fn calendar_page(
    s: &AppState,
    auth: &Authorized<impl crate::access::Need>,
    headers: &HeaderMap,
    selected: Option<i64>,
    form: Option<FormView>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.view.grants.clone());
    let c = Chrome::new(ctx, ctx.tr.t("cal-title")).in_initiative(i, &g, "meetings");
    let all_bodies = auth
        .registry(&s.store)
        .list::<Body>(store::records::ListOptions::all())
        .await?;
    let names: BTreeMap<i64, String> = all_bodies
        .iter()
        .map(|b| (b.id, b.data.name.clone()))
        .collect();
    let selected = selected.filter(|b| names.contains_key(b));
    let feed = s.store.initiative_feed(i.id, selected).await?;
    let now = store::now().get();
    let today = now.date_naive();
    let (mut upcoming, mut recent) = (vec![], vec![]);
    for m in &feed.meetings {
        let end = resolve(m.data.tz(), m.data.end_local());
        if end >= now {
            upcoming.push(m);
        } else {
            recent.push(m);
        }
    }
    recent.reverse();
    let upcoming: Vec<RowView> = upcoming
        .into_iter()
        .take(UPCOMING)
        .map(|m| row(&c, m, &names))
        .collect();
    let recent: Vec<RowView> = recent
        .into_iter()
        .filter(|m| m.data.status != MeetingStatus::Cancelled)
        .take(RECENT)
        .map(|m| row(&c, m, &names))
        .collect();
    let mut warnings = vec![];
    for (b, ws) in s.store.cadence_warnings(i.id, &feed, today).await? {
        for w in &ws {
            warnings.push(warning_text(&c, &b.data.name, w, b.data.cadence_max_days));
        }
    }
    let may_schedule = allows(&g, Action::Create);
    let may_change = allows(&g, Action::Update);
    let base = base_url(headers);
    let mut feeds = vec![];
    if may_change {
        for b in all_bodies
            .iter()
            .filter(|b| selected.is_none_or(|s| s == b.id))
        {
            let token = s
                .store
                .body_feed_token(Some(auth.user.id), i.id, b.id)
                .await?;
            feeds.push(FeedView {
                body_id: b.id,
                body: b.data.name.clone(),
                url: format!("{base}/feeds/bodies/{token}.ics"),
            });
        }
    }
    let has_person = s.store.user_has_person(auth.user.id).await?;
    let my_feed = if has_person {
        let token = s.store.user_feed_token(auth.user.id).await?;
        format!("{base}/feeds/users/{token}.ics")
    } else {
        String::new()
    };
    let status = if form.as_ref().is_some_and(|f| !f.errors.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let form = form.unwrap_or_else(|| {
        let mut f = FormView::default();
        let zone = feed
            .meetings
            .iter()
            .rfind(|m| m.data.start_local().date() <= today)
            .or(feed.meetings.last())
            .map(|m| m.data.time_zone.clone())
            .unwrap_or_else(|| "UTC".into());
        f.values.insert("time_zone".into(), zone);
        f.values.insert("duration_minutes".into(), "90".into());
        f.values.insert("interval_weeks".into(), "2".into());
        if let Some(b) = selected {
            f.values.insert("body_id".into(), b.to_string());
        }
        f
    });
    render_status(
        status,
        &CalendarPage {
            c,
            bodies: names.into_iter().collect(),
            selected: selected.unwrap_or(0),
            upcoming,
            recent,
            warnings,
            may_schedule,
            may_change,
            form,
            zones: ZONES,
            inputs: INPUTS,
            feeds,
            my_feed,
            has_person,
        },
    )
}

async fn calendar(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    headers: HeaderMap,
    Query(q): Query<CalendarQuery>,
) -> PageResult {
    let selected = q.body.and_then(|b| b.parse::<i64>().ok());
    calendar_page(&s, &auth, &headers, selected, None).await
}

async fn schedule(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    crate::access::refusal(decide_record(&auth.view.grants, Action::Create, "meeting"))?;
    let i = auth.initiative().id;
    let fail = |e: FieldErrors| Some(FormView::from_errors(sub.fields.clone(), &e));
    let series = match MeetingSeries::parse(&sub.fields) {
        Ok(series) => series,
        Err(e) => return calendar_page(&s, &auth, &headers, None, fail(e)).await,
    };
    if auth
        .registry(&s.store)
        .get::<Body>(series.body_id)
        .await
        .is_err()
    {
        let e = FieldErrors::single(
            "body_id",
            "unknown_reference",
            auth.ctx.tr.t("cal-error-body"),
        );
        return calendar_page(&s, &auth, &headers, None, fail(e)).await;
    }
    match s
        .store
        .schedule_series(Some(auth.user.id), i, &series)
        .await
    {
        Ok(done) => Ok(Redirect::to(&format!(
            "/i/{}/calendar?body={}&scheduled={}",
            auth.initiative().data.slug,
            series.body_id,
            done.meeting_ids.len()
        ))
        .into_response()),
        Err(store::StoreError::Invalid(e)) => {
            calendar_page(&s, &auth, &headers, None, fail(e)).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

async fn regenerate_body(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    crate::access::refusal(decide_record(&auth.view.grants, Action::Update, "meeting"))?;
    let i = auth.initiative();
    let body = sub
        .fields
        .get("body_id")
        .and_then(|b| b.parse::<i64>().ok());
    if let Some(b) = body
        && auth.registry(&s.store).get::<Body>(b).await.is_ok()
    {
        s.store
            .regenerate_body_feed_token(Some(auth.user.id), i.id, b)
            .await?;
    }
    Ok(Redirect::to(&format!("/i/{}/calendar#feeds", i.data.slug)).into_response())
}

async fn regenerate_mine(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    if s.store.user_has_person(auth.user.id).await? {
        s.store.regenerate_user_feed_token(auth.user.id).await?;
    }
    Ok(Redirect::to(&format!(
        "/i/{}/calendar#my-feed",
        auth.initiative().data.slug
    ))
    .into_response())
}

async fn skip(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    crate::access::refusal(decide_record(&auth.view.grants, Action::Update, "meeting"))?;
    let i = auth.initiative();
    s.store
        .skip_meeting(Some(auth.user.id), i.id, id, sub.version)
        .await?;
    Ok(Redirect::to(&format!("/i/{}/calendar?skipped={id}", i.data.slug)).into_response())
}

#[derive(Template)]
#[template(path = "meetings/calendar_move.html")]
struct MovePage {
    c: Chrome,
    m: RowView,
    starts_at: String,
    ends_at: String,
    error_start: String,
    error_end: String,
}

async fn move_page(
    s: &AppState,
    auth: &Authorized<Write>,
    id: i64,
    typed: Option<(String, String, FieldErrors)>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), &auth.view.grants);
    let m = auth.registry(&s.store).get::<Meeting>(id).await?;
    let c = Chrome::new(ctx, ctx.tr.t("cal-move-title"))
        .in_initiative(i, g, "meetings")
        .crumb(
            format!("/i/{}/calendar", i.data.slug),
            ctx.tr.t("cal-title"),
        );
    let names = BTreeMap::new();
    let view = row(&c, &m, &names);
    let (starts_at, ends_at, errors) = typed.unwrap_or((
        m.data.starts_at.clone(),
        m.data.ends_at.clone(),
        FieldErrors::default(),
    ));
    let msg = |k: &str| errors.get(k).map(|e| e.message.clone()).unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &MovePage {
            c,
            m: view,
            starts_at,
            ends_at,
            error_start: msg("starts_at"),
            error_end: msg("ends_at"),
        },
    )
}

async fn move_form(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    crate::access::refusal(decide_record(&auth.view.grants, Action::Update, "meeting"))?;
    move_page(&s, &auth, id, None).await
}

async fn move_post(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    crate::access::refusal(decide_record(&auth.view.grants, Action::Update, "meeting"))?;
    let get = |k: &str| sub.fields.get(k).cloned().unwrap_or_default();
    let (starts_at, ends_at) = (get("starts_at"), get("ends_at"));
    let i = auth.initiative();
    match s
        .store
        .move_meeting(
            Some(auth.user.id),
            i.id,
            id,
            &starts_at,
            &ends_at,
            sub.version,
        )
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/i/{}/calendar?moved={id}", i.data.slug)).into_response())
        }
        Err(store::StoreError::Invalid(e)) => {
            move_page(&s, &auth, id, Some((starts_at, ends_at, e))).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}
