//! Positions on decisions and their history, closing a decision, the decision
//! register, and action items (a member's own list, overdue ones, those that
//! roll onto a meeting's agenda).
//!
//! Positions (`decision_positions`) and outcomes (`decision_outcomes`) are
//! plain rows, each write in one transaction with its audit entry. A member's
//! new position supersedes the earlier one (`superseded_at`), which stays as
//! history. The rules of each process are in [`domain::meetings::decision`].

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Func, JoinType, LockType, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryResult};
use serde::Serialize;

use domain::meetings::decision::{self as rules, Outcome, Position, Setting, Verdict};
use domain::meetings::records::{ActionItem, ActionStatus, Decision, Meeting};
use domain::partnership::Body;
use domain::resource::{Record, Resource};
use domain::validation::FieldErrors;

use crate::records::{get_in, insert_id, read_record, select};
use crate::{Result, Store, StoreError, audit};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// The audit entry's kind for a stated position.
pub const POSITION_KIND: &str = "decision_position";
/// The audit entry's kind for a decision's outcome.
pub const OUTCOME_KIND: &str = "decision_outcome";
/// Rows of the register per page.
pub const REGISTER_PAGE: u64 = 50;

fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(FieldErrors::single(field, code, message))
}

/// One position as stated, with the member's name.
#[derive(Debug, Clone, Serialize)]
pub struct PositionRow {
    pub id: i64,
    pub person_id: i64,
    pub person: String,
    pub position: String,
    pub reason: String,
    pub recorded_at: DateTime<Utc>,
    /// When a later position of the same member replaced it; `None` while live.
    pub superseded_at: Option<DateTime<Utc>>,
}

/// How a decision was closed.
#[derive(Debug, Clone, Serialize)]
pub struct Closed {
    pub decided_on: NaiveDate,
    pub verdict: Verdict,
}

/// Everything the positions page and API show about one decision.
#[derive(Debug, Clone)]
pub struct DecisionView {
    pub decision: Record<Decision>,
    pub body_name: String,
    /// Current members of the body: (person id, name), by name.
    pub members: Vec<(i64, String)>,
    /// In a meeting: members recorded present.
    pub present: Option<Vec<i64>>,
    /// Live positions, oldest first.
    pub live: Vec<PositionRow>,
    /// Superseded positions, oldest first.
    pub history: Vec<PositionRow>,
    /// The outcome the live positions give now (before closing), or the one the
    /// decision was closed on.
    pub verdict: Verdict,
    pub closed: Option<Closed>,
}

/// One row of the decision register.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterRow {
    pub id: i64,
    pub title: String,
    pub body_id: i64,
    pub body: String,
    pub meeting_id: Option<i64>,
    /// The meeting's local start (`2025-03-06T18:00`), when taken in one.
    pub meeting_start: Option<String>,
    pub process: String,
    pub public: bool,
    /// `passed` or `not_passed`; `None` while open.
    pub outcome: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub outcome_statement: String,
}

/// Which decisions the register lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegisterFilter {
    pub body_id: Option<i64>,
    /// `Some(Some(o))`: closed with outcome `o`; `Some(None)`: still open.
    pub outcome: Option<Option<Outcome>>,
    /// The portal's register: public and closed only.
    pub public_only: bool,
}

/// One page of the register, newest first.
#[derive(Debug, Clone)]
pub struct RegisterPage {
    pub rows: Vec<RegisterRow>,
    pub total: i64,
}

/// An action item on a member's own list.
#[derive(Debug, Clone)]
pub struct MyAction {
    pub item: Record<ActionItem>,
    pub body: String,
    pub overdue: bool,
}

/// A held meeting of a public body whose minutes were approved, as the
/// portal shows it.
#[derive(Debug, Clone)]
pub struct PortalMeeting {
    pub meeting: Record<Meeting>,
    pub body: String,
    /// (agenda item title or empty for the meeting as a whole, sanitised HTML)
    pub minutes: Vec<(String, String)>,
    pub decisions: Vec<RegisterRow>,
}

/// Current members of a body on `day`: (person id, name), by name.
async fn members_of(
    conn: &impl ConnectionTrait,
    initiative: i64,
    body: i64,
    day: NaiveDate,
) -> Result<Vec<(i64, String)>> {
    let rows = conn
        .query_all(
            &Query::select()
                .column((a("memberships"), a("person_id")))
                .column((a("people"), a("name")))
                .from(a("memberships"))
                .join(
                    JoinType::InnerJoin,
                    a("people"),
                    Expr::col((a("people"), a("id"))).equals((a("memberships"), a("person_id"))),
                )
                .and_where(Expr::col((a("memberships"), a("initiative_id"))).eq(initiative))
                .and_where(Expr::col((a("memberships"), a("body_id"))).eq(body))
                .and_where(Expr::col((a("memberships"), a("archived_at"))).is_null())
                .and_where(Expr::col((a("people"), a("archived_at"))).is_null())
                .and_where(Expr::col((a("memberships"), a("start_date"))).lte(day))
                .cond_where(
                    Cond::any()
                        .add(Expr::col((a("memberships"), a("end_date"))).is_null())
                        .add(Expr::col((a("memberships"), a("end_date"))).gte(day)),
                )
                .to_owned(),
        )
        .await?;
    let mut out: BTreeMap<i64, String> = BTreeMap::new();
    for r in rows {
        out.insert(r.try_get("", "person_id")?, r.try_get("", "name")?);
    }
    let mut v: Vec<(i64, String)> = out.into_iter().collect();
    v.sort_by(|x, y| x.1.cmp(&y.1).then(x.0.cmp(&y.0)));
    Ok(v)
}

/// Members recorded present at a meeting.
async fn present_at(conn: &impl ConnectionTrait, meeting: i64) -> Result<Vec<i64>> {
    let rows = conn
        .query_all(
            &Query::select()
                .column(a("person_id"))
                .from(a("attendance"))
                .and_where(Expr::col(a("meeting_id")).eq(meeting))
                .and_where(Expr::col(a("status")).eq("present"))
                .to_owned(),
        )
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get("", "person_id")?))
        .collect()
}

fn position_row(r: &QueryResult) -> Result<PositionRow> {
    Ok(PositionRow {
        id: r.try_get("", "id")?,
        person_id: r.try_get("", "person_id")?,
        person: r.try_get::<Option<String>>("", "name")?.unwrap_or_default(),
        position: r.try_get("", "position")?,
        reason: r.try_get("", "reason")?,
        recorded_at: r.try_get("", "recorded_at")?,
        superseded_at: r.try_get("", "superseded_at")?,
    })
}

/// Every position stated on a decision, oldest first.
async fn positions_of(conn: &impl ConnectionTrait, decision: i64) -> Result<Vec<PositionRow>> {
    let p = || a("decision_positions");
    let rows = conn
        .query_all(
            &Query::select()
                .columns(
                    [
                        "id",
                        "person_id",
                        "position",
                        "reason",
                        "recorded_at",
                        "superseded_at",
                    ]
                    .map(|c| (p(), a(c))),
                )
                .column((a("people"), a("name")))
                .from(p())
                .join(
                    JoinType::LeftJoin,
                    a("people"),
                    Expr::col((a("people"), a("id"))).equals((p(), a("person_id"))),
                )
                .and_where(Expr::col((p(), a("decision_id"))).eq(decision))
                .order_by((p(), a("id")), Order::Asc)
                .to_owned(),
        )
        .await?;
    rows.iter().map(position_row).collect()
}

async fn closed_of(conn: &impl ConnectionTrait, decision: i64) -> Result<Option<Closed>> {
    let row = conn
        .query_one(
            &Query::select()
                .columns([a("tally"), a("decided_on")])
                .from(a("decision_outcomes"))
                .and_where(Expr::col(a("decision_id")).eq(decision))
                .to_owned(),
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let text: String = row.try_get("", "tally")?;
    let verdict: Verdict = serde_json::from_str(&text).map_err(|e| {
        StoreError::Database(sea_orm::DbErr::Custom(format!(
            "stored tally of decision {decision} is not valid: {e}"
        )))
    })?;
    Ok(Some(Closed {
        decided_on: row.try_get("", "decided_on")?,
        verdict,
    }))
}

/// The setting a decision is decided in: its body's quorum and members, and
/// who was present when it is taken in a meeting.
async fn setting_of(
    conn: &impl ConnectionTrait,
    initiative: i64,
    d: &Decision,
    day: NaiveDate,
) -> Result<(Setting, String, Vec<(i64, String)>)> {
    let body = get_in::<Body>(conn, Some(initiative), d.body_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let members = members_of(conn, initiative, d.body_id, day).await?;
    let present = match d.meeting_id {
        Some(m) => Some(present_at(conn, m).await?),
        None => None,
    };
    Ok((
        Setting {
            process: d.process,
            quorum: body.data.quorum(),
            members: members.iter().map(|(id, _)| *id).collect(),
            present,
        },
        body.data.name,
        members,
    ))
}

/// Serialise writes on one decision: on PostgreSQL the decision's row is
/// locked until the transaction ends, so two positions of one member, or a
/// position and the closing, cannot interleave. (SQLite's write transaction
/// already holds the database's write lock.)
async fn lock_decision(txn: &DatabaseTransaction, id: i64) -> Result<()> {
    txn.query_one(
        &Query::select()
            .column(a("id"))
            .from(a("decisions"))
            .and_where(Expr::col(a("id")).eq(id))
            .lock(LockType::Update)
            .to_owned(),
    )
    .await?;
    Ok(())
}

fn live_of(rows: &[PositionRow]) -> Vec<(i64, Position)> {
    rows.iter()
        .filter(|r| r.superseded_at.is_none())
        .filter_map(|r| Position::parse(&r.position).map(|p| (r.person_id, p)))
        .collect()
}

fn register_row(r: &QueryResult) -> Result<RegisterRow> {
    Ok(RegisterRow {
        id: r.try_get("", "id")?,
        title: r.try_get("", "title")?,
        body_id: r.try_get("", "body_id")?,
        body: r
            .try_get::<Option<String>>("", "body_name")?
            .unwrap_or_default(),
        meeting_id: r.try_get("", "meeting_id")?,
        meeting_start: r.try_get("", "meeting_start")?,
        process: r.try_get("", "process")?,
        public: r.try_get("", "public")?,
        outcome: r.try_get("", "outcome")?,
        decided_on: r.try_get("", "decided_on")?,
        outcome_statement: r.try_get("", "outcome_statement")?,
    })
}

/// The register's query: decisions with their body, meeting and outcome, in
/// one statement (joins on primary keys), filtered as asked.
fn register_query(initiative: i64, f: &RegisterFilter) -> sea_orm::sea_query::SelectStatement {
    let d = || a("decisions");
    let mut q = Query::select();
    q.from(d())
        .join(
            JoinType::LeftJoin,
            a("bodies"),
            Expr::col((a("bodies"), a("id"))).equals((d(), a("body_id"))),
        )
        .join(
            JoinType::LeftJoin,
            a("meetings"),
            Expr::col((a("meetings"), a("id"))).equals((d(), a("meeting_id"))),
        )
        .join(
            JoinType::LeftJoin,
            a("decision_outcomes"),
            Expr::col((a("decision_outcomes"), a("decision_id"))).equals((d(), a("id"))),
        )
        .and_where(Expr::col((d(), a("initiative_id"))).eq(initiative))
        .and_where(Expr::col((d(), a("archived_at"))).is_null());
    if let Some(b) = f.body_id {
        q.and_where(Expr::col((d(), a("body_id"))).eq(b));
    }
    match f.outcome {
        Some(Some(o)) => {
            q.and_where(Expr::col((a("decision_outcomes"), a("outcome"))).eq(o.as_str()));
        }
        Some(None) => {
            q.and_where(Expr::col((a("decision_outcomes"), a("decision_id"))).is_null());
        }
        None => {}
    }
    if f.public_only {
        q.and_where(Expr::col((d(), a("public"))).eq(true))
            .and_where(Expr::col((a("decision_outcomes"), a("decision_id"))).is_not_null());
    }
    q
}

fn register_columns(q: &mut sea_orm::sea_query::SelectStatement) {
    let d = || a("decisions");
    q.columns(
        [
            "id",
            "title",
            "body_id",
            "meeting_id",
            "process",
            "public",
            "outcome_statement",
        ]
        .map(|c| (d(), a(c))),
    )
    .expr_as(Expr::col((a("bodies"), a("name"))), a("body_name"))
    .expr_as(
        Expr::col((a("meetings"), a("starts_at"))),
        a("meeting_start"),
    )
    .column((a("decision_outcomes"), a("outcome")))
    .column((a("decision_outcomes"), a("decided_on")));
}

impl Store {
    /// Open action items of the meeting's body that were due before the
    /// meeting starts: they roll onto its agenda. Oldest due first.
    pub async fn carried_actions(
        &self,
        initiative: i64,
        meeting_id: i64,
    ) -> Result<Vec<Record<ActionItem>>> {
        let meeting = get_in::<Meeting>(&self.db, Some(initiative), meeting_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let starts = meeting.data.start_local().date();
        let mut q = select::<ActionItem>();
        q.and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("body_id")).eq(meeting.data.body_id))
            .and_where(Expr::col(a("archived_at")).is_null())
            .and_where(Expr::col(a("status")).eq(ActionStatus::Open.as_str()))
            .and_where(Expr::col(a("due_on")).lt(starts))
            .order_by(a("due_on"), Order::Asc)
            .order_by(a("id"), Order::Asc);
        let rows = self.db.query_all(&q).await?;
        rows.iter().map(read_record::<ActionItem>).collect()
    }

    /// One decision with its members, positions (live and superseded), the
    /// outcome the live positions give now, and how it was closed.
    pub async fn decision_view(
        &self,
        initiative: i64,
        id: i64,
        today: NaiveDate,
    ) -> Result<DecisionView> {
        let decision = get_in::<Decision>(&self.db, Some(initiative), id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let closed = closed_of(&self.db, id).await?;
        let (setting, body_name, members) =
            setting_of(&self.db, initiative, &decision.data, today).await?;
        let all = positions_of(&self.db, id).await?;
        let verdict = match &closed {
            Some(c) => c.verdict.clone(),
            None => rules::outcome(&setting, &live_of(&all)),
        };
        let (live, history) = all.into_iter().partition(|r| r.superseded_at.is_none());
        Ok(DecisionView {
            decision,
            body_name,
            members,
            present: setting.present,
            live,
            history,
            verdict,
            closed,
        })
    }

    /// The person records of the initiative linked to a user's account.
    pub async fn persons_of_user(&self, initiative: i64, user: i64) -> Result<Vec<i64>> {
        let rows = self
            .db
            .query_all(
                &Query::select()
                    .column(a("id"))
                    .from(a("people"))
                    .and_where(Expr::col(a("initiative_id")).eq(initiative))
                    .and_where(Expr::col(a("user_id")).eq(user))
                    .and_where(Expr::col(a("archived_at")).is_null())
                    .order_by(a("id"), Order::Asc)
                    .to_owned(),
            )
            .await?;
        rows.iter().map(|r| Ok(r.try_get("", "id")?)).collect()
    }

    /// State a member's position on a decision, in one transaction with its
    /// audit entry. A member's earlier live position is superseded (kept as
    /// history). Refused, naming the field: a person who is not a current
    /// member of the decision's body (`person_id`); a decision already closed
    /// or past its `closes_on` day (`decision`); a position the process does
    /// not take (`position`) or a missing reason (`reason`).
    #[allow(clippy::too_many_arguments)]
    pub async fn state_position(
        &self,
        actor: Option<i64>,
        initiative: i64,
        decision_id: i64,
        person_id: i64,
        position: &str,
        reason: &str,
        today: NaiveDate,
    ) -> Result<PositionRow> {
        let txn = self.write_txn().await?;
        let out = state_position_in(
            &txn,
            actor,
            initiative,
            decision_id,
            person_id,
            position,
            reason,
            today,
        )
        .await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Close a decision: the outcome of its live positions, worked out by the
    /// rules of its process, is written with the tally, in one transaction
    /// with its audit entry. `version` is the decision's version the caller
    /// read (a stale one is a conflict). A closed decision is not closed again.
    pub async fn close_decision(
        &self,
        actor: Option<i64>,
        initiative: i64,
        id: i64,
        version: i64,
        today: NaiveDate,
    ) -> Result<Closed> {
        let txn = self.write_txn().await?;
        let out = close_decision_in(&txn, actor, initiative, id, version, today).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// One page of the decision register, newest first: two queries (the
    /// page and its count), whatever the number of decisions.
    pub async fn decision_register(
        &self,
        initiative: i64,
        filter: &RegisterFilter,
        page: u64,
        per_page: u64,
    ) -> Result<RegisterPage> {
        let mut q = register_query(initiative, filter);
        register_columns(&mut q);
        q.order_by((a("decisions"), a("id")), Order::Desc)
            .limit(per_page)
            .offset(page.saturating_sub(1) * per_page);
        let rows = self.db.query_all(&q).await?;
        let rows = rows.iter().map(register_row).collect::<Result<Vec<_>>>()?;
        let mut c = register_query(initiative, filter);
        c.expr(Func::count(Expr::col((a("decisions"), a("id")))));
        let total = crate::records::count(&self.db, &c).await?;
        Ok(RegisterPage { rows, total })
    }

    /// A member's own action items: those owned by a person linked to the
    /// user's account, or by an organization such a person represents in a
    /// current membership. Overdue ones (open, due before `today`) first, then
    /// by due date.
    pub async fn my_actions(
        &self,
        initiative: i64,
        user: i64,
        today: NaiveDate,
    ) -> Result<Vec<MyAction>> {
        let persons = self.persons_of_user(initiative, user).await?;
        if persons.is_empty() {
            return Ok(vec![]);
        }
        let orgs_rows = self
            .db
            .query_all(
                &Query::select()
                    .column(a("organization_id"))
                    .from(a("memberships"))
                    .and_where(Expr::col(a("initiative_id")).eq(initiative))
                    .and_where(Expr::col(a("person_id")).is_in(persons.clone()))
                    .and_where(Expr::col(a("organization_id")).is_not_null())
                    .and_where(Expr::col(a("archived_at")).is_null())
                    .and_where(Expr::col(a("start_date")).lte(today))
                    .cond_where(
                        Cond::any()
                            .add(Expr::col(a("end_date")).is_null())
                            .add(Expr::col(a("end_date")).gte(today)),
                    )
                    .to_owned(),
            )
            .await?;
        let mut orgs: Vec<i64> = vec![];
        for r in orgs_rows {
            if let Some(o) = r.try_get::<Option<i64>>("", "organization_id")? {
                orgs.push(o);
            }
        }
        orgs.sort();
        orgs.dedup();
        let mut owner = Cond::any().add(Expr::col(a("owner_person_id")).is_in(persons));
        if !orgs.is_empty() {
            owner = owner.add(Expr::col(a("owner_organization_id")).is_in(orgs));
        }
        let mut q = select::<ActionItem>();
        q.and_where(Expr::col(a("initiative_id")).eq(initiative))
            .and_where(Expr::col(a("archived_at")).is_null())
            .cond_where(owner)
            .order_by(a("due_on"), Order::Asc)
            .order_by(a("id"), Order::Asc)
            .limit(1000);
        let rows = self.db.query_all(&q).await?;
        let items = rows
            .iter()
            .map(read_record::<ActionItem>)
            .collect::<Result<Vec<_>>>()?;
        let bodies: HashMap<i64, String> = self
            .names("bodies", "name", Some(initiative))
            .await?
            .into_iter()
            .collect();
        let mut out: Vec<MyAction> = items
            .into_iter()
            .map(|item| MyAction {
                overdue: item.data.status == ActionStatus::Open && item.data.due_on < today,
                body: bodies.get(&item.data.body_id).cloned().unwrap_or_default(),
                item,
            })
            .collect();
        // Stable: within each group the order by due date stays.
        out.sort_by_key(|m| !m.overdue);
        Ok(out)
    }

    /// What the portal's meetings page shows of public bodies: planned
    /// meetings from `today` on (the next `limit`), and held meetings whose
    /// minutes were approved (the latest `limit`, newest first) with the latest
    /// version of the minutes of each agenda item and the public decisions
    /// closed at them. A fixed number of queries.
    pub async fn portal_meetings(
        &self,
        initiative: i64,
        today: NaiveDate,
        limit: u64,
    ) -> Result<(Vec<(Record<Meeting>, String)>, Vec<PortalMeeting>)> {
        let m = || a(Meeting::TABLE);
        let base = || {
            let mut q = select::<Meeting>();
            q.expr_as(Expr::col((a("bodies"), a("name"))), a("body_name"))
                .join(
                    JoinType::InnerJoin,
                    a("bodies"),
                    Expr::col((a("bodies"), a("id"))).equals((m(), a("body_id"))),
                )
                .and_where(Expr::col((m(), a("initiative_id"))).eq(initiative))
                .and_where(Expr::col((m(), a("archived_at"))).is_null())
                .and_where(Expr::col((a("bodies"), a("public"))).eq(true))
                .and_where(Expr::col((a("bodies"), a("archived_at"))).is_null());
            q
        };
        let read = |rows: Vec<QueryResult>| -> Result<Vec<(Record<Meeting>, String)>> {
            rows.iter()
                .map(|r| {
                    Ok((
                        read_record::<Meeting>(r)?,
                        r.try_get::<String>("", "body_name")?,
                    ))
                })
                .collect()
        };
        let mut up = base();
        up.and_where(Expr::col((m(), a("status"))).eq("planned"))
            .and_where(Expr::col((m(), a("starts_at"))).gte(today.to_string()))
            .order_by((m(), a("starts_at")), Order::Asc)
            .limit(limit);
        let upcoming = read(self.db.query_all(&up).await?)?;
        let mut held = base();
        held.join(
            JoinType::InnerJoin,
            a("minutes_approvals"),
            Expr::col((a("minutes_approvals"), a("meeting_id"))).equals((m(), a("id"))),
        )
        .and_where(Expr::col((m(), a("status"))).eq("held"))
        .order_by((m(), a("starts_at")), Order::Desc)
        .limit(limit);
        let held = read(self.db.query_all(&held).await?)?;
        let ids: Vec<i64> = held.iter().map(|(r, _)| r.id).collect();
        if ids.is_empty() {
            return Ok((upcoming, vec![]));
        }
        // Agenda item titles and positions.
        let items = self
            .db
            .query_all(
                &Query::select()
                    .columns([a("id"), a("title"), a("position")])
                    .from(a("agenda_items"))
                    .and_where(Expr::col(a("meeting_id")).is_in(ids.clone()))
                    .and_where(Expr::col(a("archived_at")).is_null())
                    .to_owned(),
            )
            .await?;
        let mut item_title: HashMap<i64, (i64, String)> = HashMap::new();
        for r in items {
            item_title.insert(
                r.try_get("", "id")?,
                (r.try_get("", "position")?, r.try_get("", "title")?),
            );
        }
        // The latest version of each item's minutes: newest first, first seen wins.
        let versions = self
            .db
            .query_all(
                &Query::select()
                    .columns([a("meeting_id"), a("agenda_item_id"), a("html")])
                    .from(a("minutes_versions"))
                    .and_where(Expr::col(a("meeting_id")).is_in(ids.clone()))
                    .order_by(a("version"), Order::Desc)
                    .order_by(a("id"), Order::Desc)
                    .to_owned(),
            )
            .await?;
        // Meeting → (item position, item id) → (item title, html).
        type Minutes = BTreeMap<(i64, i64), (String, String)>;
        let mut minutes: HashMap<i64, Minutes> = HashMap::new();
        for r in versions {
            let meeting: i64 = r.try_get("", "meeting_id")?;
            let item: Option<i64> = r.try_get("", "agenda_item_id")?;
            let (pos, title) = match item {
                Some(i) => match item_title.get(&i) {
                    Some(t) => t.clone(),
                    // Minutes of an archived agenda item are not shown.
                    None => continue,
                },
                None => (0, String::new()),
            };
            minutes
                .entry(meeting)
                .or_default()
                .entry((pos, item.unwrap_or(0)))
                .or_insert_with(|| (title, r.try_get("", "html").unwrap_or_default()));
        }
        // Public decisions closed at those meetings.
        let mut dq = register_query(
            initiative,
            &RegisterFilter {
                public_only: true,
                ..Default::default()
            },
        );
        register_columns(&mut dq);
        dq.and_where(Expr::col((a("decisions"), a("meeting_id"))).is_in(ids))
            .order_by((a("decisions"), a("id")), Order::Asc);
        let mut decisions: HashMap<i64, Vec<RegisterRow>> = HashMap::new();
        for r in self.db.query_all(&dq).await? {
            let row = register_row(&r)?;
            if let Some(m) = row.meeting_id {
                decisions.entry(m).or_default().push(row);
            }
        }
        let held = held
            .into_iter()
            .map(|(meeting, body)| PortalMeeting {
                minutes: minutes
                    .remove(&meeting.id)
                    .map(|m| m.into_values().collect())
                    .unwrap_or_default(),
                decisions: decisions.remove(&meeting.id).unwrap_or_default(),
                meeting,
                body,
            })
            .collect();
        Ok((upcoming, held))
    }
}

/// [`Store::state_position`] inside a caller's transaction (the demo loader, benches).
#[allow(clippy::too_many_arguments)]
pub async fn state_position_in(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    decision_id: i64,
    person_id: i64,
    position: &str,
    reason: &str,
    today: NaiveDate,
) -> Result<PositionRow> {
    lock_decision(txn, decision_id).await?;
    let decision = get_in::<Decision>(txn, Some(initiative), decision_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if decision.archived {
        return Err(invalid(
            "decision",
            "archived",
            "positions are closed: the decision is archived",
        ));
    }
    if let Some(c) = closed_of(txn, decision_id).await? {
        return Err(invalid(
            "decision",
            "closed",
            format!(
                "positions are closed: the decision was decided on {}",
                c.decided_on
            ),
        ));
    }
    if let Some(last) = decision.data.closes_on
        && today > last
    {
        return Err(invalid(
            "decision",
            "past_closing",
            format!("positions are closed: the last day to state one was {last}"),
        ));
    }
    let members = members_of(txn, initiative, decision.data.body_id, today).await?;
    if !members.iter().any(|(id, _)| *id == person_id) {
        return Err(invalid(
            "person_id",
            "not_a_member",
            format!(
                "person {person_id} is not a current member of the body this decision is put to"
            ),
        ));
    }
    let stated =
        rules::check(decision.data.process, position, reason).map_err(StoreError::Invalid)?;
    let now = crate::now();
    let p = || a("decision_positions");
    let before = txn
        .query_one(
            &Query::select()
                .columns([a("id"), a("position"), a("reason")])
                .from(p())
                .and_where(Expr::col(a("decision_id")).eq(decision_id))
                .and_where(Expr::col(a("person_id")).eq(person_id))
                .and_where(Expr::col(a("superseded_at")).is_null())
                .to_owned(),
        )
        .await?;
    let before = match before {
        Some(r) => {
            let id: i64 = r.try_get("", "id")?;
            txn.execute(
                &Query::update()
                    .table(p())
                    .value(a("superseded_at"), now)
                    .and_where(Expr::col(a("id")).eq(id))
                    .to_owned(),
            )
            .await?;
            Some(serde_json::json!({
                "id": id,
                "position": r.try_get::<String>("", "position")?,
                "reason": r.try_get::<String>("", "reason")?,
            }))
        }
        None => None,
    };
    let id = insert_id(
        txn,
        &Query::insert()
            .into_table(p())
            .columns(
                [
                    "decision_id",
                    "person_id",
                    "initiative_id",
                    "position",
                    "reason",
                    "recorded_by",
                    "recorded_at",
                ]
                .map(a),
            )
            .values_panic([
                decision_id.into(),
                person_id.into(),
                initiative.into(),
                stated.position.as_str().into(),
                stated.reason.as_str().into(),
                actor.into(),
                now.into(),
            ])
            .returning_col(a("id"))
            .to_owned(),
    )
    .await?;
    let after = serde_json::json!({
        "id": id,
        "decision_id": decision_id,
        "person_id": person_id,
        "position": stated.position.as_str(),
        "reason": stated.reason,
    });
    audit::append(
        txn,
        actor,
        Some(initiative),
        POSITION_KIND,
        decision_id,
        if before.is_some() { "restate" } else { "state" },
        before.as_ref(),
        Some(&after),
    )
    .await?;
    let name = members
        .into_iter()
        .find(|(id, _)| *id == person_id)
        .map(|(_, n)| n)
        .unwrap_or_default();
    Ok(PositionRow {
        id,
        person_id,
        person: name,
        position: stated.position.as_str().into(),
        reason: stated.reason,
        recorded_at: now.get(),
        superseded_at: None,
    })
}

/// [`Store::close_decision`] inside a caller's transaction (the demo loader, benches).
pub async fn close_decision_in(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    id: i64,
    version: i64,
    today: NaiveDate,
) -> Result<Closed> {
    lock_decision(txn, id).await?;
    let decision = get_in::<Decision>(txn, Some(initiative), id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if decision.version != version {
        return Err(StoreError::Conflict {
            current: serde_json::to_value(&decision).unwrap_or_default(),
        });
    }
    if let Some(c) = closed_of(txn, id).await? {
        return Err(invalid(
            "decision",
            "closed",
            format!(
                "the decision is closed already: it was decided on {}",
                c.decided_on
            ),
        ));
    }
    let (setting, _, _) = setting_of(txn, initiative, &decision.data, today).await?;
    let verdict = rules::outcome(&setting, &live_of(&positions_of(txn, id).await?));
    let tally = serde_json::to_string(&verdict).map_err(|e| {
        StoreError::Database(sea_orm::DbErr::Custom(format!(
            "cannot encode a tally: {e}"
        )))
    })?;
    txn.execute(
        &Query::insert()
            .into_table(a("decision_outcomes"))
            .columns(
                [
                    "decision_id",
                    "initiative_id",
                    "outcome",
                    "tally",
                    "decided_on",
                    "closed_by",
                    "closed_at",
                ]
                .map(a),
            )
            .values_panic([
                id.into(),
                initiative.into(),
                verdict.outcome.as_str().into(),
                tally.into(),
                today.into(),
                actor.into(),
                crate::now().into(),
            ])
            .to_owned(),
    )
    .await?;
    let closed = Closed {
        decided_on: today,
        verdict,
    };
    audit::append(
        txn,
        actor,
        Some(initiative),
        OUTCOME_KIND,
        id,
        "close",
        None::<&()>,
        Some(&closed),
    )
    .await?;
    Ok(closed)
}
