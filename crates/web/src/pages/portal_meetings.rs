//! The portal's meetings and decisions, for residents without an account:
//! the public decision register (`/p/{slug}/decisions`: decisions marked
//! public and closed, of any body, with their outcome, date and statement —
//! never names of people or their positions), and the public calendar
//! (`/p/{slug}/meetings`: meetings of public bodies, the upcoming ones and the
//! held ones whose minutes were approved, with those minutes and the public
//! decisions taken at them).

use askama::Template;
use axum::extract::{Path, Query, State};

use store::meetings::decisions::{REGISTER_PAGE, RegisterFilter, RegisterRow};

use super::decisions::outcome_label;
use super::{Chrome, PageQuery, Pager, Pages, render};
use crate::AppState;
use crate::access::Published;
use crate::error::PageResult;
use crate::routes::{Access, Routes};
use crate::session::Ctx;

/// Upcoming and held meetings shown at most.
const PORTAL_MEETINGS: u64 = 50;

pub fn routes(r: Routes) -> Routes {
    r.get("/p/{slug}/decisions", Access::Public, decisions).get(
        "/p/{slug}/meetings",
        Access::Public,
        meetings,
    )
}

/// A public decision as the portal shows it.
pub struct PublicDecision {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub outcome: String,
    pub passed: bool,
    pub decided_on: String,
    pub statement: String,
}

fn public_decision(c: &Chrome, r: &RegisterRow) -> PublicDecision {
    PublicDecision {
        id: r.id,
        title: r.title.clone(),
        body: r.body.clone(),
        outcome: outcome_label(c, r.outcome.as_deref()),
        passed: r.outcome.as_deref() == Some("passed"),
        decided_on: r.decided_on.map(|d| d.to_string()).unwrap_or_default(),
        statement: r.outcome_statement.clone(),
    }
}

fn portal_chrome(ctx: &Ctx, title: String) -> Chrome {
    let mut c = Chrome::new(ctx, title);
    c.user = None;
    c
}

#[derive(Template)]
#[template(path = "meetings/portal_decisions.html")]
struct DecisionsPage {
    c: Chrome,
    slug: String,
    name: String,
    rows: Vec<PublicDecision>,
    pages: Pages,
}

async fn decisions(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let published = Published::open(&s.store, &slug).await?;
    let i = published.initiative();
    let c = portal_chrome(
        &ctx,
        format!("{} · {}", ctx.tr.t("dec-portal-title"), i.data.name),
    );
    let pager = Pager::new(q.page, REGISTER_PAGE);
    let filter = RegisterFilter {
        public_only: true,
        ..Default::default()
    };
    let page = s
        .store
        .decision_register(i.id, &filter, pager.page, pager.per)
        .await?;
    let rows = page.rows.iter().map(|r| public_decision(&c, r)).collect();
    let pages = pager.links(&c, &format!("/p/{}/decisions", i.data.slug), page.total);
    render(&DecisionsPage {
        slug: i.data.slug.clone(),
        name: i.data.name.clone(),
        rows,
        pages,
        c,
    })
}

/// A meeting as the portal shows it.
pub struct PublicMeeting {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// `2025-03-06 18:00–19:30 (Asia/Jerusalem)`
    pub when: String,
    pub date: String,
    pub place: String,
    /// (agenda item title, sanitised HTML of the approved minutes)
    pub minutes: Vec<(String, String)>,
    pub decisions: Vec<PublicDecision>,
}

fn when(m: &domain::meetings::records::Meeting) -> String {
    let start = m.starts_at.replace('T', " ");
    let same_day = m.starts_at.get(..10) == m.ends_at.get(..10);
    let end = if same_day {
        m.ends_at.get(11..).unwrap_or_default().to_string()
    } else {
        m.ends_at.replace('T', " ")
    };
    format!("{start}–{end} ({})", m.time_zone)
}

#[derive(Template)]
#[template(path = "meetings/portal_meetings.html")]
struct MeetingsPage {
    c: Chrome,
    slug: String,
    name: String,
    upcoming: Vec<PublicMeeting>,
    held: Vec<PublicMeeting>,
}

async fn meetings(State(s): State<AppState>, ctx: Ctx, Path(slug): Path<String>) -> PageResult {
    let published = Published::open(&s.store, &slug).await?;
    let i = published.initiative();
    let c = portal_chrome(
        &ctx,
        format!(
            "{} · {}",
            ctx.tr.t("dec-portal-meetings-title"),
            i.data.name
        ),
    );
    let today = store::now().get().date_naive();
    let (upcoming, held) = s
        .store
        .portal_meetings(i.id, today, PORTAL_MEETINGS)
        .await?;
    let shown = |m: &domain::resource::Record<domain::meetings::records::Meeting>, body: &str| {
        PublicMeeting {
            id: m.id,
            title: m.data.title.clone(),
            body: body.to_string(),
            when: when(&m.data),
            date: m.data.starts_at.get(..10).unwrap_or_default().to_string(),
            place: m.data.place.clone(),
            minutes: vec![],
            decisions: vec![],
        }
    };
    let upcoming = upcoming.iter().map(|(m, b)| shown(m, b)).collect();
    let held = held
        .iter()
        .map(|h| PublicMeeting {
            // Sanitised when it was saved, and again here: only the safe
            // subset of HTML ever reaches the page unescaped.
            minutes: h
                .minutes
                .iter()
                .map(|(t, html)| (t.clone(), domain::meetings::minutes::sanitise(html)))
                .collect(),
            decisions: h.decisions.iter().map(|r| public_decision(&c, r)).collect(),
            ..shown(&h.meeting, &h.body)
        })
        .collect();
    render(&MeetingsPage {
        slug: i.data.slug.clone(),
        name: i.data.name.clone(),
        upcoming,
        held,
        c,
    })
}
