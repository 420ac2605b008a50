//! Decisions' pages: the decision register (`/i/{slug}/decision-register`),
//! one decision's positions, tally and outcome with the forms to state a
//! position and to close it (`/i/{slug}/decisions/{id}/positions`), and a
//! member's own action items (`/i/{slug}/my-actions`). The rules are in
//! `domain::meetings::decision`; the store checks membership and closing.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use domain::access::Action;
use domain::meetings::decision::{self as rules, Outcome};
use domain::meetings::records::{ActionItem, Decision};
use domain::resource::Resource;
use domain::validation::FieldErrors;
use store::StoreError;
use store::meetings::decisions::{DecisionView, REGISTER_PAGE, RegisterFilter};

use super::{Chrome, Pager, Pages, Submitted, render_status};
use crate::AppState;
use crate::access::{Authorized, Need, Participate, Read, Registry, Write};
use crate::error::{AppError, PageResult};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let on = Access::Initiative;
    r.get(
        "/i/{slug}/decision-register",
        on(Action::Read, "decision"),
        register,
    )
    .get(
        "/i/{slug}/decisions/{id}/positions",
        on(Action::Read, "decision"),
        positions,
    )
    .post(
        "/i/{slug}/decisions/{id}/positions",
        on(Action::Participate, "decision"),
        state_position,
    )
    .post(
        "/i/{slug}/decisions/{id}/close",
        on(Action::Update, "decision"),
        close,
    )
    .get(
        "/i/{slug}/my-actions",
        on(Action::Read, "action_item"),
        my_actions,
    )
}

/// The translation key of a position's name under a process (in a vote,
/// agree and disagree are yes and no).
pub fn position_key(process: &str, position: &str) -> String {
    match (process, position) {
        ("vote", "agree") => "dec-vote-yes".into(),
        ("vote", "disagree") => "dec-vote-no".into(),
        (_, p) => format!("dec-position-{p}"),
    }
}

// ---------------------------------------------------------------------------
// Shared with the API
// ---------------------------------------------------------------------------

pub(crate) fn today() -> chrono::NaiveDate {
    store::now().get().date_naive()
}

/// Whether the caller records positions for any member (coordinators), or
/// only their own.
pub(crate) fn records_for_others(reg: &Registry<'_>) -> bool {
    reg.grants().allows_on(Action::Update, "decision")
}

/// Refuse a member stating someone else's position (only coordinators record
/// positions for others). Named on `person_id`, as the store names a person
/// who is not a member.
pub(crate) async fn check_own(
    reg: &Registry<'_>,
    user: i64,
    person_id: i64,
) -> Result<(), AppError> {
    if records_for_others(reg) {
        return Ok(());
    }
    let mine = reg.store.persons_of_user(reg.initiative, user).await?;
    if mine.contains(&person_id) {
        Ok(())
    } else {
        Err(AppError::Invalid(FieldErrors::single(
            "person_id",
            "not_yours",
            "you may state only your own position: person_id must be the person linked to your account",
        )))
    }
}

/// `open`, `passed` or `not_passed`, as the register filters by.
pub(crate) fn outcome_filter(s: Option<&str>) -> Result<Option<Option<Outcome>>, AppError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some("open") => Ok(Some(None)),
        Some(o) => match Outcome::parse(o) {
            Some(o) => Ok(Some(Some(o))),
            None => Err(AppError::Invalid(FieldErrors::single(
                "outcome",
                "invalid_choice",
                "outcome must be open, passed or not_passed",
            ))),
        },
    }
}

// ---------------------------------------------------------------------------
// The register
// ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct RegisterQuery {
    body_id: Option<String>,
    outcome: Option<String>,
    page: Option<u64>,
}

/// A register row as shown.
pub struct RegisterLine {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub meeting: String,
    pub process: String,
    pub outcome: String,
    pub decided_on: String,
    pub public: bool,
}

#[derive(Template)]
#[template(path = "meetings/decision_register.html")]
struct RegisterPage {
    c: Chrome,
    rows: Vec<RegisterLine>,
    /// (id, name, selected)
    bodies: Vec<(i64, String, bool)>,
    /// (value, label, selected)
    outcomes: Vec<(&'static str, String, bool)>,
    pages: Pages,
    total: i64,
}

pub(crate) fn outcome_label(c: &Chrome, outcome: Option<&str>) -> String {
    match outcome {
        Some(o) => c.t(&format!("dec-outcome-{o}")),
        None => c.t("dec-outcome-open"),
    }
}

async fn register(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Query(q): Query<RegisterQuery>,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    reg.allow::<Decision>(Action::Read)?;
    let body_id = q
        .body_id
        .as_deref()
        .and_then(|b| b.trim().parse::<i64>().ok())
        .filter(|b| *b > 0);
    // An unknown outcome in the address lists every decision.
    let outcome = outcome_filter(q.outcome.as_deref()).unwrap_or(None);
    let pager = Pager::new(q.page, REGISTER_PAGE);
    let filter = RegisterFilter {
        body_id,
        outcome,
        public_only: false,
    };
    let page = s
        .store
        .decision_register(reg.initiative, &filter, pager.page, pager.per)
        .await?;
    let c = Chrome::new(ctx, ctx.tr.t("decisions-title")).in_initiative(i, g, "decisions");
    let rows = page
        .rows
        .iter()
        .map(|r| RegisterLine {
            id: r.id,
            title: r.title.clone(),
            body: r.body.clone(),
            meeting: r
                .meeting_start
                .as_deref()
                .map(|m| m.replace('T', " "))
                .unwrap_or_else(|| c.t("dec-between-meetings")),
            process: c.t(&format!("decision-process-{}", r.process)),
            outcome: outcome_label(&c, r.outcome.as_deref()),
            decided_on: r.decided_on.map(|d| d.to_string()).unwrap_or_default(),
            public: r.public,
        })
        .collect();
    let mut bodies: Vec<(i64, String, bool)> = reg
        .list::<domain::partnership::Body>(store::records::ListOptions::all())
        .await?
        .into_iter()
        .map(|b| (b.id, b.data.name, Some(b.id) == body_id))
        .collect();
    bodies.sort_by(|x, y| x.1.cmp(&y.1));
    let current = match outcome {
        None => "",
        Some(None) => "open",
        Some(Some(o)) => o.as_str(),
    };
    let outcomes = ["open", "passed", "not_passed"]
        .into_iter()
        .map(|o| {
            (
                o,
                outcome_label(&c, (o != "open").then_some(o)),
                o == current,
            )
        })
        .collect();
    let mut base = format!("/i/{}/decision-register", i.data.slug);
    let mut qs = vec![];
    if let Some(b) = body_id {
        qs.push(format!("body_id={b}"));
    }
    if !current.is_empty() {
        qs.push(format!("outcome={current}"));
    }
    if !qs.is_empty() {
        base = format!("{base}?{}", qs.join("&"));
    }
    let pages = pager.links(&c, &base, page.total);
    render_status(
        StatusCode::OK,
        &RegisterPage {
            rows,
            bodies,
            outcomes,
            pages,
            total: page.total,
            c,
        },
    )
}

// ---------------------------------------------------------------------------
// One decision's positions
// ---------------------------------------------------------------------------

/// A position as shown.
pub struct PositionLine {
    pub person: String,
    pub position: String,
    pub reason: String,
    pub recorded_at: String,
    pub superseded_at: String,
    pub blocking: bool,
}

/// What was typed in the position form, with the errors beside each field.
#[derive(Default)]
pub struct Typed {
    pub person_id: String,
    pub position: String,
    pub reason: String,
    pub person_error: String,
    pub position_error: String,
    pub reason_error: String,
    /// An error about the decision itself (closed, past its day).
    pub decision_error: String,
}

#[derive(Template)]
#[template(path = "meetings/decision_positions.html")]
struct PositionsPage {
    c: Chrome,
    id: i64,
    version: i64,
    title: String,
    proposal: String,
    body: String,
    process: String,
    reason_hint: String,
    meeting: String,
    closes_on: String,
    outcome_statement: String,
    closed: bool,
    decided_on: String,
    outcome: String,
    reason: String,
    /// (position label, count)
    counts: Vec<(String, u32)>,
    quorum: String,
    quorum_met: bool,
    live: Vec<PositionLine>,
    history: Vec<PositionLine>,
    /// Coordinators choose the member; a member states their own.
    may_record_any: bool,
    /// The signed-in member's own person, when they are a current member.
    own: Option<(i64, String)>,
    may_close: bool,
    /// (person id, name, selected)
    members: Vec<(i64, String, bool)>,
    /// (code, label, checked)
    choices: Vec<(&'static str, String, bool)>,
    typed: Typed,
    close_error: String,
    stated: bool,
}

fn line(
    c: &Chrome,
    process: &str,
    p: &store::meetings::decisions::PositionRow,
    blocking: &[i64],
) -> PositionLine {
    PositionLine {
        person: p.person.clone(),
        position: c.t(&position_key(process, &p.position)),
        reason: p.reason.clone(),
        recorded_at: p.recorded_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        superseded_at: p
            .superseded_at
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default(),
        blocking: p.superseded_at.is_none() && blocking.contains(&p.person_id),
    }
}

#[derive(Deserialize, Default)]
pub struct StatedQuery {
    stated: Option<String>,
}

async fn show<A: Need>(
    s: &AppState,
    auth: &Authorized<A>,
    id: i64,
    typed: Option<Typed>,
    close_error: String,
    stated: bool,
) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    reg.allow::<Decision>(Action::Read)?;
    // Through the registry: the policy decides and redacts.
    let decision = reg.get::<Decision>(id).await?;
    let v: DecisionView = s.store.decision_view(reg.initiative, id, today()).await?;
    let status = if typed.is_some() || !close_error.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let typed = typed.unwrap_or_default();
    let d = &decision.data;
    let process = d.process.as_str();
    let title = ctx.tr.t("decision-positions");
    let c = Chrome::new(ctx, format!("{} · {title}", d.title))
        .in_initiative(i, g, "decisions")
        .crumb(
            format!("/i/{}/decision-register", i.data.slug),
            ctx.tr.t("decisions-title"),
        )
        .crumb(
            format!("/i/{}/decisions/{id}", i.data.slug),
            d.title.clone(),
        )
        .crumb("", title);
    let mine = s
        .store
        .persons_of_user(reg.initiative, auth.user.id)
        .await?;
    let own = v.members.iter().find(|(p, _)| mine.contains(p)).cloned();
    let may_record_any = records_for_others(&reg);
    let members = v
        .members
        .iter()
        .map(|(p, n)| (*p, n.clone(), typed.person_id == p.to_string()))
        .collect();
    let choices = rules::allowed(d.process)
        .iter()
        .map(|p| {
            (
                p.as_str(),
                c.t(&position_key(process, p.as_str())),
                typed.position == p.as_str(),
            )
        })
        .collect();
    let t = &v.verdict.tally;
    let counts = rules::allowed(d.process)
        .iter()
        .map(|p| {
            (
                c.t(&position_key(process, p.as_str())),
                t.counts.get(p.as_str()).copied().unwrap_or(0),
            )
        })
        .collect();
    let quorum = c.tr.tn(
        "dec-quorum",
        &[
            ("counted", t.quorum_counted.to_string()),
            ("required", t.quorum_required.to_string()),
            ("members", t.members.to_string()),
        ],
    );
    let meeting = match d.meeting_id {
        Some(m) => match reg.get::<domain::meetings::records::Meeting>(m).await {
            Ok(m) => m.data.label(),
            Err(_) => String::new(),
        },
        None => c.t("dec-between-meetings"),
    };
    render_status(
        status,
        &PositionsPage {
            id,
            version: decision.version,
            title: d.title.clone(),
            proposal: d.proposal.clone(),
            body: v.body_name.clone(),
            process: c.t(&format!("decision-process-{process}")),
            reason_hint: c.t(&format!("dec-reason-hint-{process}")),
            meeting,
            closes_on: d.closes_on.map(|d| d.to_string()).unwrap_or_default(),
            outcome_statement: d.outcome_statement.clone(),
            closed: v.closed.is_some(),
            decided_on: v
                .closed
                .as_ref()
                .map(|c| c.decided_on.to_string())
                .unwrap_or_default(),
            outcome: c.t(&format!("dec-outcome-{}", v.verdict.outcome.as_str())),
            reason: c.t(&format!("dec-reason-{}", v.verdict.reason.as_str())),
            counts,
            quorum,
            quorum_met: t.quorum_met,
            live: v
                .live
                .iter()
                .map(|p| line(&c, process, p, &t.blocking))
                .collect(),
            history: v
                .history
                .iter()
                .map(|p| line(&c, process, p, &[]))
                .collect(),
            may_record_any,
            own,
            may_close: g.allows_on(Action::Update, "decision"),
            members,
            choices,
            typed,
            close_error,
            stated,
            c,
        },
    )
}

async fn positions(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<StatedQuery>,
) -> PageResult {
    show(&s, &auth, id, None, String::new(), q.stated.is_some()).await
}

/// Put a store's refusal beside the field it names.
fn place(typed: &mut Typed, e: &FieldErrors) {
    for (field, err) in &e.0 {
        let slot = match field.as_str() {
            "person_id" => &mut typed.person_error,
            "position" => &mut typed.position_error,
            "reason" => &mut typed.reason_error,
            _ => &mut typed.decision_error,
        };
        if slot.is_empty() {
            *slot = err.message.clone();
        }
    }
}

/// State a position from the form; on refusal the form comes back with what
/// was typed and the message beside its field.
async fn state_position(
    State(s): State<AppState>,
    auth: Authorized<Participate>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let reg = auth.registry(&s.store);
    reg.allow::<Decision>(Action::Participate)?;
    reg.get::<Decision>(id).await?;
    let f = &sub.fields;
    let get = |k: &str| f.get(k).map(|v| v.to_string()).unwrap_or_default();
    let mut typed = Typed {
        person_id: get("person_id").trim().to_string(),
        position: get("position").trim().to_string(),
        reason: get("reason"),
        ..Default::default()
    };
    let result = match typed.person_id.parse::<i64>() {
        Ok(person) if person > 0 => match check_own(&reg, auth.user.id, person).await {
            Ok(()) => s
                .store
                .state_position(
                    reg.actor,
                    reg.initiative,
                    id,
                    person,
                    &typed.position,
                    &typed.reason,
                    today(),
                )
                .await
                .map(|_| ())
                .map_err(AppError::from),
            Err(e) => Err(e),
        },
        _ => Err(AppError::Invalid(FieldErrors::single(
            "person_id",
            "required",
            auth.ctx.tr.t("dec-error-person"),
        ))),
    };
    let read = &auth;
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/i/{}/decisions/{id}/positions?stated=1#positions",
            read.initiative().data.slug
        ))
        .into_response()),
        Err(AppError::Invalid(e)) => {
            place(&mut typed, &e);
            show(&s, read, id, Some(typed), String::new(), false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Close the decision with the outcome of its live positions.
async fn close(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let sub = Submitted::from_pairs(pairs);
    auth.ctx.check_csrf(sub.csrf.as_deref())?;
    let reg = auth.registry(&s.store);
    reg.allow::<Decision>(Action::Update)?;
    reg.get::<Decision>(id).await?;
    let Some(version) = sub.version else {
        return Err(AppError::Invalid(FieldErrors::single(
            "version",
            "required",
            "the form is missing the decision's version: reload the page",
        ))
        .into());
    };
    let result = s
        .store
        .close_decision(reg.actor, reg.initiative, id, version, today())
        .await;
    let read = &auth;
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/i/{}/decisions/{id}/positions#outcome",
            read.initiative().data.slug
        ))
        .into_response()),
        Err(StoreError::Invalid(e)) => {
            let msg =
                e.0.values()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
            show(&s, read, id, None, msg, false).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

// ---------------------------------------------------------------------------
// A member's own action items
// ---------------------------------------------------------------------------

/// An action item as shown.
pub struct ActionLine {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub due_on: String,
    pub status: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "meetings/actions_mine.html")]
struct MinePage {
    c: Chrome,
    items: Vec<ActionLine>,
    linked: bool,
    overdue: usize,
}

async fn my_actions(State(s): State<AppState>, auth: Authorized<Read>) -> PageResult {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let reg = auth.registry(&s.store);
    reg.allow::<ActionItem>(Action::Read)?;
    let linked = !s
        .store
        .persons_of_user(reg.initiative, auth.user.id)
        .await?
        .is_empty();
    let items = s
        .store
        .my_actions(reg.initiative, auth.user.id, today())
        .await?;
    let c = Chrome::new(ctx, ctx.tr.t("dec-my-actions")).in_initiative(i, g, "action-items");
    let items: Vec<ActionLine> = items
        .into_iter()
        .map(|m| ActionLine {
            id: m.item.id,
            title: m.item.data.title.clone(),
            body: m.body,
            due_on: m.item.data.due_on.to_string(),
            status: c.t(&format!("action-status-{}", m.item.data.status.as_str())),
            overdue: m.overdue,
        })
        .collect();
    let overdue = items.iter().filter(|i| i.overdue).count();
    render_status(
        StatusCode::OK,
        &MinePage {
            items,
            linked,
            overdue,
            c,
        },
    )
}
