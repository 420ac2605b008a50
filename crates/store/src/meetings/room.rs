//! The meeting room: a meeting's agenda in order, attendance of the body's
//! current members and its guests, the quorum, the minutes (every saved version
//! kept) and their approval at a later meeting of the same body, and the
//! stipends attendance accrues.
//!
//! Agenda items are registry records; attendance, guests, minutes' versions and
//! approvals are plain rows. Every write runs in one transaction with one
//! audit entry. The rules are in `domain::meetings::{quorum, minutes, stipend}`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Serialize;

use domain::meetings::minutes;
use domain::meetings::quorum::{Presence, QuorumState};
use domain::meetings::records::{AgendaItem, Meeting, MeetingStatus};
use domain::meetings::stipend::{self, Attended, MonthTotal};
use domain::partnership::Body;
use domain::resource::Record;
use domain::validation::FieldErrors;

use crate::records::{create_in, get_in, update_in};
use crate::{Result, Store, StoreError, audit};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(FieldErrors::single(field, code, message))
}

/// One saved version of the minutes of an agenda item (or of the meeting as a
/// whole when `agenda_item_id` is none).
#[derive(Debug, Clone, Serialize)]
pub struct MinutesVersion {
    pub id: i64,
    pub meeting_id: i64,
    pub agenda_item_id: Option<i64>,
    pub version: i64,
    /// Sanitised HTML.
    pub html: String,
    pub author_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// An agenda item with the names it links to.
#[derive(Debug, Clone)]
pub struct RoomItem {
    pub item: Record<AgendaItem>,
    pub presenter: Option<String>,
    pub objective: Option<String>,
    pub indicator: Option<String>,
    pub activity: Option<String>,
    /// The current minutes of the item.
    pub minutes: Option<MinutesVersion>,
}

/// A current member of the body and how they attended (none: not recorded).
#[derive(Debug, Clone, Serialize)]
pub struct MemberAttendance {
    pub person_id: i64,
    pub person: String,
    pub organization: Option<String>,
    pub status: Option<Presence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Guest {
    pub id: i64,
    pub name: String,
    pub affiliation: String,
}

/// How the minutes of a meeting were approved, at which later meeting.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub meeting_id: i64,
    pub approved_at_meeting_id: i64,
    pub approved_at_meeting: String,
    pub approved_by: Option<i64>,
    pub approved_at: DateTime<Utc>,
}

/// An earlier meeting of the same body, whose minutes this one may approve.
#[derive(Debug, Clone, Serialize)]
pub struct EarlierMeeting {
    pub id: i64,
    pub label: String,
    pub has_minutes: bool,
}

/// Everything the meeting room shows.
#[derive(Debug, Clone)]
pub struct Room {
    pub meeting: Record<Meeting>,
    pub body: Record<Body>,
    pub items: Vec<RoomItem>,
    pub members: Vec<MemberAttendance>,
    pub guests: Vec<Guest>,
    pub quorum: QuorumState,
    /// The current minutes of the meeting as a whole.
    pub minutes: Option<MinutesVersion>,
    /// Whether this meeting's minutes were approved, and where.
    pub approval: Option<Approval>,
    /// Minutes of earlier meetings that this meeting approved.
    pub approved_here: Vec<(i64, String)>,
    /// Earlier meetings of the body whose minutes are not approved yet.
    pub awaiting_approval: Vec<EarlierMeeting>,
}

/// A stipend accrued in one month, with the person's name.
#[derive(Debug, Clone, Serialize)]
pub struct StipendRow {
    pub person: String,
    #[serde(flatten)]
    pub total: MonthTotal,
}

/// The day a meeting's membership is judged on: its local start date.
fn meeting_day(m: &Meeting) -> NaiveDate {
    m.start_local().date()
}

async fn meeting_in(
    conn: &impl ConnectionTrait,
    initiative: i64,
    id: i64,
) -> Result<Record<Meeting>> {
    let m = get_in::<Meeting>(conn, Some(initiative), id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if m.archived {
        return Err(StoreError::NotFound);
    }
    Ok(m)
}

/// Current members of a body on a day, one per person: (person id, name,
/// organization), by name.
async fn current_members(
    conn: &impl ConnectionTrait,
    initiative: i64,
    body: i64,
    day: NaiveDate,
) -> Result<Vec<(i64, String, Option<String>)>> {
    let m = || a("memberships");
    let q = Query::select()
        .column((m(), a("person_id")))
        .expr_as(Expr::col((a("people"), a("name"))), a("person"))
        .expr_as(
            Expr::col((a("organizations"), a("name"))),
            a("organization"),
        )
        .from(m())
        .inner_join(
            a("people"),
            Expr::col((a("people"), a("id"))).equals((m(), a("person_id"))),
        )
        .left_join(
            a("organizations"),
            Expr::col((a("organizations"), a("id")))
                .equals((m(), a("organization_id")))
                .and(Expr::col((a("organizations"), a("archived_at"))).is_null()),
        )
        .and_where(Expr::col((m(), a("initiative_id"))).eq(initiative))
        .and_where(Expr::col((m(), a("body_id"))).eq(body))
        .and_where(Expr::col((m(), a("archived_at"))).is_null())
        .and_where(Expr::col((a("people"), a("archived_at"))).is_null())
        .and_where(Expr::col((m(), a("start_date"))).lte(day))
        .and_where(
            Expr::col((m(), a("end_date")))
                .is_null()
                .or(Expr::col((m(), a("end_date"))).gte(day)),
        )
        .order_by((a("people"), a("name")), Order::Asc)
        .order_by((m(), a("person_id")), Order::Asc)
        .to_owned();
    let mut out: Vec<(i64, String, Option<String>)> = vec![];
    for r in conn.query_all(&q).await? {
        let id: i64 = r.try_get("", "person_id")?;
        if out.iter().any(|(p, _, _)| *p == id) {
            continue;
        }
        out.push((id, r.try_get("", "person")?, r.try_get("", "organization")?));
    }
    Ok(out)
}

async fn attendance_in(
    conn: &impl ConnectionTrait,
    meeting: i64,
) -> Result<BTreeMap<i64, Presence>> {
    let q = Query::select()
        .columns([a("person_id"), a("status")])
        .from(a("attendance"))
        .and_where(Expr::col(a("meeting_id")).eq(meeting))
        .order_by(a("person_id"), Order::Asc)
        .to_owned();
    let mut out = BTreeMap::new();
    for r in conn.query_all(&q).await? {
        let status: String = r.try_get("", "status")?;
        if let Some(p) = Presence::parse(&status) {
            out.insert(r.try_get("", "person_id")?, p);
        }
    }
    Ok(out)
}

async fn guests_in(conn: &impl ConnectionTrait, meeting: i64) -> Result<Vec<Guest>> {
    let q = Query::select()
        .columns([a("id"), a("name"), a("affiliation")])
        .from(a("meeting_guests"))
        .and_where(Expr::col(a("meeting_id")).eq(meeting))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    conn.query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(Guest {
                id: r.try_get("", "id")?,
                name: r.try_get("", "name")?,
                affiliation: r.try_get("", "affiliation")?,
            })
        })
        .collect()
}

async fn quorum_in(
    conn: &impl ConnectionTrait,
    initiative: i64,
    meeting: &Record<Meeting>,
) -> Result<QuorumState> {
    let body = get_in::<Body>(conn, Some(initiative), meeting.data.body_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let members = current_members(
        conn,
        initiative,
        meeting.data.body_id,
        meeting_day(&meeting.data),
    )
    .await?;
    let att = attendance_in(conn, meeting.id).await?;
    let present = members
        .iter()
        .filter(|(p, _, _)| att.get(p) == Some(&Presence::Present))
        .count() as u32;
    Ok(QuorumState::of(
        body.data.quorum(),
        members.len() as u32,
        present,
    ))
}

/// Every version of a meeting's minutes, oldest first.
async fn versions_in(conn: &impl ConnectionTrait, meeting: i64) -> Result<Vec<MinutesVersion>> {
    let q = Query::select()
        .columns([
            a("id"),
            a("meeting_id"),
            a("agenda_item_id"),
            a("version"),
            a("html"),
            a("author_id"),
            a("created_at"),
        ])
        .from(a("minutes_versions"))
        .and_where(Expr::col(a("meeting_id")).eq(meeting))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    conn.query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(MinutesVersion {
                id: r.try_get("", "id")?,
                meeting_id: r.try_get("", "meeting_id")?,
                agenda_item_id: r.try_get("", "agenda_item_id")?,
                version: r.try_get("", "version")?,
                html: r.try_get("", "html")?,
                author_id: r.try_get("", "author_id")?,
                created_at: r.try_get::<DateTime<Utc>>("", "created_at")?,
            })
        })
        .collect()
}

/// The latest version per agenda item (key none: the meeting as a whole).
fn current_versions(all: Vec<MinutesVersion>) -> HashMap<Option<i64>, MinutesVersion> {
    let mut out: HashMap<Option<i64>, MinutesVersion> = HashMap::new();
    for v in all {
        match out.get(&v.agenda_item_id) {
            Some(old) if old.version >= v.version => {}
            _ => {
                out.insert(v.agenda_item_id, v);
            }
        }
    }
    out
}

async fn approval_in(conn: &impl ConnectionTrait, meeting: i64) -> Result<Option<Approval>> {
    let q = Query::select()
        .columns([
            a("meeting_id"),
            a("approved_at_meeting_id"),
            a("approved_by"),
            a("approved_at"),
        ])
        .from(a("minutes_approvals"))
        .and_where(Expr::col(a("meeting_id")).eq(meeting))
        .to_owned();
    let Some(r) = conn.query_one(&q).await? else {
        return Ok(None);
    };
    let at: i64 = r.try_get("", "approved_at_meeting_id")?;
    let label = get_in::<Meeting>(conn, None, at)
        .await?
        .map(|m| meeting_label(&m.data))
        .unwrap_or_default();
    Ok(Some(Approval {
        meeting_id: r.try_get("", "meeting_id")?,
        approved_at_meeting_id: at,
        approved_at_meeting: label,
        approved_by: r.try_get("", "approved_by")?,
        approved_at: r.try_get::<DateTime<Utc>>("", "approved_at")?,
    }))
}

/// "Forum 2025-03-06 18:00".
pub fn meeting_label(m: &Meeting) -> String {
    format!("{} {}", m.title, m.starts_at.replace('T', " "))
}

/// The instant a meeting starts.
fn start_instant(m: &Meeting) -> DateTime<Utc> {
    stipend::instant(m.start_local(), m.tz())
}

async fn name_of(
    conn: &impl ConnectionTrait,
    table: &str,
    column: &str,
    initiative: i64,
    id: Option<i64>,
) -> Result<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    let q = Query::select()
        .column(a(column))
        .from(a(table))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("initiative_id")).eq(initiative))
        .to_owned();
    Ok(match conn.query_one(&q).await? {
        Some(r) => Some(r.try_get("", column)?),
        None => None,
    })
}

/// Live records of `T` in the initiative whose `column` is `value`, ordered by
/// `order` and then id.
async fn live_where<T: domain::resource::Resource>(
    conn: &impl ConnectionTrait,
    initiative: i64,
    column: &str,
    value: i64,
    order: &str,
) -> Result<Vec<Record<T>>> {
    let mut q = crate::records::select::<T>();
    q.and_where(Expr::col(a("initiative_id")).eq(initiative))
        .and_where(Expr::col(a(column)).eq(value))
        .and_where(Expr::col(a("archived_at")).is_null())
        .order_by(a(order), Order::Asc)
        .order_by(a("id"), Order::Asc);
    conn.query_all(&q)
        .await?
        .iter()
        .map(crate::records::read_record::<T>)
        .collect()
}

/// Live agenda items of a meeting in order.
async fn items_in(
    conn: &impl ConnectionTrait,
    initiative: i64,
    meeting: i64,
) -> Result<Vec<Record<AgendaItem>>> {
    live_where(conn, initiative, "meeting_id", meeting, "position").await
}

/// Other live meetings of the same body.
async fn body_meetings(
    conn: &impl ConnectionTrait,
    initiative: i64,
    body: i64,
) -> Result<Vec<Record<Meeting>>> {
    live_where(conn, initiative, "body_id", body, "starts_at").await
}

/// Attendance as one request gives it.
#[derive(Debug, Clone)]
pub struct AttendanceInput {
    pub person_id: i64,
    pub status: Presence,
}

/// A guest as one request gives it.
#[derive(Debug, Clone, Serialize)]
pub struct GuestInput {
    pub name: String,
    pub affiliation: String,
}

/// Longest guest name or affiliation.
pub const MAX_GUEST_TEXT: usize = 200;

impl Store {
    /// The meeting room: the meeting, its body, agenda in order with the names
    /// it links to and each item's current minutes, attendance of every current
    /// member, guests, quorum, the meeting's minutes and approvals.
    pub async fn meeting_room(&self, initiative: i64, meeting_id: i64) -> Result<Room> {
        let conn = &self.db;
        let meeting = meeting_in(conn, initiative, meeting_id).await?;
        let body = get_in::<Body>(conn, Some(initiative), meeting.data.body_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut current = current_versions(versions_in(conn, meeting_id).await?);
        let mut items = vec![];
        for item in items_in(conn, initiative, meeting_id).await? {
            let d = &item.data;
            items.push(RoomItem {
                presenter: name_of(conn, "people", "name", initiative, d.presenter_person_id)
                    .await?,
                objective: name_of(conn, "objectives", "title", initiative, d.objective_id).await?,
                indicator: name_of(conn, "indicators", "name", initiative, d.indicator_id).await?,
                activity: name_of(conn, "activities", "title", initiative, d.activity_id).await?,
                minutes: current.remove(&Some(item.id)),
                item,
            });
        }
        let att = attendance_in(conn, meeting_id).await?;
        let members: Vec<MemberAttendance> =
            current_members(conn, initiative, body.id, meeting_day(&meeting.data))
                .await?
                .into_iter()
                .map(|(person_id, person, organization)| MemberAttendance {
                    status: att.get(&person_id).copied(),
                    person_id,
                    person,
                    organization,
                })
                .collect();
        let present = members
            .iter()
            .filter(|m| m.status == Some(Presence::Present))
            .count() as u32;
        let quorum = QuorumState::of(body.data.quorum(), members.len() as u32, present);
        let guests = guests_in(conn, meeting_id).await?;
        let approval = approval_in(conn, meeting_id).await?;
        let approved_q = Query::select()
            .column(a("meeting_id"))
            .from(a("minutes_approvals"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .to_owned();
        let mut approved: HashMap<i64, ()> = HashMap::new();
        for r in conn.query_all(&approved_q).await? {
            approved.insert(r.try_get("", "meeting_id")?, ());
        }
        let approved_at_q = Query::select()
            .column(a("meeting_id"))
            .from(a("minutes_approvals"))
            .and_where(Expr::col(a("approved_at_meeting_id")).eq(meeting_id))
            .to_owned();
        let mut here_ids = vec![];
        for r in conn.query_all(&approved_at_q).await? {
            here_ids.push(r.try_get::<i64>("", "meeting_id")?);
        }
        let with_minutes_q = Query::select()
            .distinct()
            .column(a("meeting_id"))
            .from(a("minutes_versions"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative))
            .to_owned();
        let mut with_minutes: HashMap<i64, ()> = HashMap::new();
        for r in conn.query_all(&with_minutes_q).await? {
            with_minutes.insert(r.try_get("", "meeting_id")?, ());
        }
        let start = start_instant(&meeting.data);
        let mut approved_here = vec![];
        let mut awaiting_approval = vec![];
        for m in body_meetings(conn, initiative, body.id).await? {
            if here_ids.contains(&m.id) {
                approved_here.push((m.id, meeting_label(&m.data)));
            }
            if m.id != meeting_id
                && start_instant(&m.data) < start
                && m.data.status != MeetingStatus::Cancelled
                && !approved.contains_key(&m.id)
            {
                awaiting_approval.push(EarlierMeeting {
                    id: m.id,
                    label: meeting_label(&m.data),
                    has_minutes: with_minutes.contains_key(&m.id),
                });
            }
        }
        Ok(Room {
            minutes: current.remove(&None),
            meeting,
            body,
            items,
            members,
            guests,
            quorum,
            approval,
            approved_here,
            awaiting_approval,
        })
    }

    /// A meeting's quorum: current members of its body (memberships whose
    /// start ≤ the meeting's local date ≤ end, or no end) against those marked
    /// present. Guests do not count.
    pub async fn meeting_quorum(&self, initiative: i64, meeting_id: i64) -> Result<QuorumState> {
        let meeting = meeting_in(&self.db, initiative, meeting_id).await?;
        quorum_in(&self.db, initiative, &meeting).await
    }

    /// Every saved version of a meeting's minutes, oldest first.
    pub async fn minutes_history(
        &self,
        initiative: i64,
        meeting_id: i64,
    ) -> Result<Vec<MinutesVersion>> {
        meeting_in(&self.db, initiative, meeting_id).await?;
        versions_in(&self.db, meeting_id).await
    }

    /// Add an agenda item at the end of the meeting's agenda (position = last + 1).
    pub async fn add_agenda_item(
        &self,
        actor: Option<i64>,
        initiative: i64,
        meeting_id: i64,
        item: &AgendaItem,
    ) -> Result<Record<AgendaItem>> {
        let txn = self.write_txn().await?;
        meeting_in(&txn, initiative, meeting_id).await?;
        let last = items_in(&txn, initiative, meeting_id)
            .await?
            .last()
            .map_or(0, |i| i.data.position);
        let item = AgendaItem {
            meeting_id,
            position: last + 1,
            ..item.clone()
        };
        let rec = create_in(&txn, actor, Some(initiative), &item).await?;
        txn.commit().await?;
        Ok(rec)
    }

    /// Move an agenda item one place up or down. The meeting's items are
    /// renumbered 1..n in one transaction with one audit entry
    /// (`agenda_order`, on the meeting) holding the order before and after.
    /// Moving the first item up or the last down changes nothing.
    pub async fn move_agenda_item(
        &self,
        actor: Option<i64>,
        initiative: i64,
        item_id: i64,
        up: bool,
    ) -> Result<Vec<Record<AgendaItem>>> {
        let txn = self.write_txn().await?;
        let item = get_in::<AgendaItem>(&txn, Some(initiative), item_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if item.archived {
            return Err(StoreError::NotFound);
        }
        let meeting = item.data.meeting_id;
        let items = items_in(&txn, initiative, meeting).await?;
        let before: Vec<i64> = items.iter().map(|i| i.id).collect();
        let mut order = before.clone();
        let at = order
            .iter()
            .position(|i| *i == item_id)
            .ok_or(StoreError::NotFound)?;
        let to = if up {
            at.checked_sub(1)
        } else {
            Some(at + 1).filter(|t| *t < order.len())
        };
        if let Some(to) = to {
            order.swap(at, to);
        }
        let now = crate::now();
        let mut changed = false;
        for (k, id) in order.iter().enumerate() {
            let rec = items.iter().find(|i| i.id == *id).expect("listed");
            let pos = k as i64 + 1;
            if rec.data.position == pos {
                continue;
            }
            changed = true;
            txn.execute(
                &Query::update()
                    .table(a("agenda_items"))
                    .value(a("position"), pos)
                    .value(a("version"), rec.version + 1)
                    .value(a("updated_at"), now)
                    .and_where(Expr::col(a("id")).eq(*id))
                    .to_owned(),
            )
            .await?;
        }
        if changed {
            audit::append(
                &txn,
                actor,
                Some(initiative),
                "agenda_order",
                meeting,
                "reorder",
                Some(&before),
                Some(&order),
            )
            .await?;
        }
        let after = items_in(&txn, initiative, meeting).await?;
        txn.commit().await?;
        Ok(after)
    }

    /// Record the attendance of the meeting's members in one go: each person
    /// named must be a current member of the body (refused by field,
    /// `attendance[i].person_id`, nothing written). Members not named keep no
    /// attendance. With `guests`, the guests are replaced too. One transaction,
    /// one audit entry (`attendance`, on the meeting).
    pub async fn record_attendance(
        &self,
        actor: Option<i64>,
        initiative: i64,
        meeting_id: i64,
        attendance: &[AttendanceInput],
        guests: Option<&[GuestInput]>,
    ) -> Result<QuorumState> {
        let txn = self.write_txn().await?;
        let out =
            record_attendance_in(&txn, actor, initiative, meeting_id, attendance, guests).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Add one guest to a meeting (audited as `meeting_guest`).
    pub async fn add_guest(
        &self,
        actor: Option<i64>,
        initiative: i64,
        meeting_id: i64,
        guest: &GuestInput,
    ) -> Result<Guest> {
        let mut errors = FieldErrors::default();
        check_guest(&mut errors, "", guest);
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let txn = self.write_txn().await?;
        meeting_in(&txn, initiative, meeting_id).await?;
        let id = insert_guest(&txn, actor, initiative, meeting_id, guest).await?;
        let g = Guest {
            id,
            name: guest.name.trim().to_string(),
            affiliation: guest.affiliation.trim().to_string(),
        };
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "meeting_guest",
            id,
            "create",
            None::<&()>,
            Some(&g),
        )
        .await?;
        txn.commit().await?;
        Ok(g)
    }

    /// Remove one guest from a meeting (audited as `meeting_guest`).
    pub async fn remove_guest(
        &self,
        actor: Option<i64>,
        initiative: i64,
        meeting_id: i64,
        guest_id: i64,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        meeting_in(&txn, initiative, meeting_id).await?;
        let before = guests_in(&txn, meeting_id)
            .await?
            .into_iter()
            .find(|g| g.id == guest_id)
            .ok_or(StoreError::NotFound)?;
        txn.execute(
            &Query::delete()
                .from_table(a("meeting_guests"))
                .and_where(Expr::col(a("id")).eq(guest_id))
                .to_owned(),
        )
        .await?;
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "meeting_guest",
            guest_id,
            "delete",
            Some(&before),
            None::<&()>,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Mark a meeting held (a registry update of its status). A cancelled
    /// meeting cannot be held; with `expected_version`, a stale one is a conflict.
    pub async fn mark_held(
        &self,
        actor: Option<i64>,
        initiative: i64,
        meeting_id: i64,
        expected_version: Option<i64>,
    ) -> Result<Record<Meeting>> {
        let txn = self.write_txn().await?;
        let out = mark_held_in(&txn, actor, initiative, meeting_id, expected_version).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Save the minutes of an agenda item of the meeting (or of the meeting as
    /// a whole): sanitised, appended as a new version (previous + 1 for that
    /// item). Refused once the meeting's minutes are approved.
    pub async fn save_minutes(
        &self,
        actor: Option<i64>,
        initiative: i64,
        meeting_id: i64,
        agenda_item_id: Option<i64>,
        html: &str,
    ) -> Result<MinutesVersion> {
        let txn = self.write_txn().await?;
        let out =
            save_minutes_in(&txn, actor, initiative, meeting_id, agenda_item_id, html).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Approve the minutes of `minutes_of` at meeting `at`: only a later
    /// meeting of the same body may, only minutes that exist and only once.
    /// Approved minutes are read-only from then on.
    pub async fn approve_minutes(
        &self,
        actor: Option<i64>,
        initiative: i64,
        at: i64,
        minutes_of: i64,
    ) -> Result<Approval> {
        let txn = self.write_txn().await?;
        let out = approve_minutes_in(&txn, actor, initiative, at, minutes_of).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Stipends accrued by attendance, per person, month and currency (see
    /// `domain::meetings::stipend`): members marked present at held meetings,
    /// at the rate of their membership of the meeting's body current on the
    /// meeting's local date. `year` keeps one year of local start dates.
    pub async fn stipends(&self, initiative: i64, year: Option<i32>) -> Result<Vec<StipendRow>> {
        let m = || a("meetings");
        let ms = || a("memberships");
        let q = Query::select()
            .column((a("attendance"), a("person_id")))
            .expr_as(Expr::col((m(), a("id"))), a("meeting_id"))
            .columns([
                (m(), a("body_id")),
                (m(), a("starts_at")),
                (m(), a("ends_at")),
                (m(), a("time_zone")),
            ])
            .columns([
                (ms(), a("start_date")),
                (ms(), a("end_date")),
                (ms(), a("stipend_hourly_cents")),
                (ms(), a("stipend_currency")),
            ])
            .expr_as(Expr::col((a("people"), a("name"))), a("person"))
            .from(a("attendance"))
            .inner_join(
                m(),
                Expr::col((m(), a("id"))).equals((a("attendance"), a("meeting_id"))),
            )
            .inner_join(
                ms(),
                Expr::col((ms(), a("person_id")))
                    .equals((a("attendance"), a("person_id")))
                    .and(Expr::col((ms(), a("body_id"))).equals((m(), a("body_id")))),
            )
            .inner_join(
                a("people"),
                Expr::col((a("people"), a("id"))).equals((a("attendance"), a("person_id"))),
            )
            .and_where(Expr::col((a("attendance"), a("initiative_id"))).eq(initiative))
            .and_where(Expr::col((a("attendance"), a("status"))).eq("present"))
            .and_where(Expr::col((m(), a("status"))).eq("held"))
            .and_where(Expr::col((m(), a("archived_at"))).is_null())
            .and_where(Expr::col((ms(), a("archived_at"))).is_null())
            .and_where(Expr::col((ms(), a("stipend_hourly_cents"))).is_not_null())
            .order_by((m(), a("id")), Order::Asc)
            .to_owned();
        let mut names: HashMap<i64, String> = HashMap::new();
        let mut items = vec![];
        let mut seen: Vec<(i64, i64)> = vec![];
        for r in self.db.query_all(&q).await? {
            let starts: String = r.try_get("", "starts_at")?;
            let ends: String = r.try_get("", "ends_at")?;
            let tz: String = r.try_get("", "time_zone")?;
            let (Some(s), Some(e), Some(tz)) = (
                domain::meetings::records::parse_local(&starts),
                domain::meetings::records::parse_local(&ends),
                domain::meetings::records::parse_time_zone(&tz),
            ) else {
                continue;
            };
            let day = s.date();
            let start_date: NaiveDate = r.try_get("", "start_date")?;
            let end_date: Option<NaiveDate> = r.try_get("", "end_date")?;
            if start_date > day || end_date.is_some_and(|e| e < day) {
                continue;
            }
            if year.is_some_and(|y| y != day.year()) {
                continue;
            }
            let person: i64 = r.try_get("", "person_id")?;
            let meeting: i64 = r.try_get("", "meeting_id")?;
            // One seat per person and meeting counts.
            if seen.contains(&(person, meeting)) {
                continue;
            }
            seen.push((person, meeting));
            let Some(currency) = r.try_get::<Option<String>>("", "stipend_currency")? else {
                continue;
            };
            names.insert(person, r.try_get("", "person")?);
            items.push(Attended {
                person_id: person,
                meeting_id: meeting,
                starts_at: s,
                ends_at: e,
                tz,
                cents_per_hour: r.try_get("", "stipend_hourly_cents")?,
                currency,
            });
        }
        let mut rows: Vec<StipendRow> = stipend::accrue(&items)
            .into_iter()
            .map(|t| StipendRow {
                person: names.get(&t.person_id).cloned().unwrap_or_default(),
                total: t,
            })
            .collect();
        rows.sort_by(|a, b| {
            (
                a.total.year,
                a.total.month,
                &a.person,
                a.total.person_id,
                &a.total.currency,
            )
                .cmp(&(
                    b.total.year,
                    b.total.month,
                    &b.person,
                    b.total.person_id,
                    &b.total.currency,
                ))
        });
        Ok(rows)
    }
}

fn check_guest(errors: &mut FieldErrors, prefix: &str, g: &GuestInput) {
    let name = g.name.trim();
    if name.is_empty() {
        errors.add(
            &format!("{prefix}name"),
            "required",
            "a guest's name is required",
        );
    } else if name.chars().count() > MAX_GUEST_TEXT {
        errors.add(
            &format!("{prefix}name"),
            "too_long",
            format!("a guest's name may be at most {MAX_GUEST_TEXT} characters"),
        );
    }
    if g.affiliation.trim().chars().count() > MAX_GUEST_TEXT {
        errors.add(
            &format!("{prefix}affiliation"),
            "too_long",
            format!("an affiliation may be at most {MAX_GUEST_TEXT} characters"),
        );
    }
    if name.chars().any(char::is_control) || g.affiliation.chars().any(char::is_control) {
        errors.add(
            &format!("{prefix}name"),
            "invalid_text",
            "a guest's name and affiliation may not hold control characters",
        );
    }
}

async fn insert_guest(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    meeting_id: i64,
    g: &GuestInput,
) -> Result<i64> {
    let q = Query::insert()
        .into_table(a("meeting_guests"))
        .columns([
            a("meeting_id"),
            a("initiative_id"),
            a("name"),
            a("affiliation"),
            a("recorded_by"),
            a("recorded_at"),
        ])
        .values_panic([
            meeting_id.into(),
            initiative.into(),
            g.name.trim().into(),
            g.affiliation.trim().into(),
            actor.into(),
            crate::now().into(),
        ])
        .returning_col(a("id"))
        .to_owned();
    crate::records::insert_id(txn, &q).await
}

impl Store {
    /// The name of each owner of the given action items (a person or an
    /// organization of the initiative), in their order.
    pub async fn action_owner_names(
        &self,
        initiative: i64,
        items: &[Record<domain::meetings::records::ActionItem>],
    ) -> Result<Vec<String>> {
        let mut out = vec![];
        for i in items {
            let name = match (i.data.owner_person_id, i.data.owner_organization_id) {
                (Some(p), _) => name_of(&self.db, "people", "name", initiative, Some(p)).await?,
                (None, Some(o)) => {
                    name_of(&self.db, "organizations", "name", initiative, Some(o)).await?
                }
                _ => None,
            };
            out.push(name.unwrap_or_default());
        }
        Ok(out)
    }
}

/// [`Store::record_attendance`] inside a caller's transaction (the demo loader, benches).
pub async fn record_attendance_in(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    meeting_id: i64,
    attendance: &[AttendanceInput],
    guests: Option<&[GuestInput]>,
) -> Result<QuorumState> {
    let meeting = meeting_in(txn, initiative, meeting_id).await?;
    let members = current_members(
        txn,
        initiative,
        meeting.data.body_id,
        meeting_day(&meeting.data),
    )
    .await?;
    let mut errors = FieldErrors::default();
    let mut seen: Vec<i64> = vec![];
    for (i, e) in attendance.iter().enumerate() {
        if !members.iter().any(|(p, _, _)| *p == e.person_id) {
            errors.add(
                &format!("attendance[{i}].person_id"),
                "not_a_member",
                format!(
                    "person {} is not a current member of this body on {}",
                    e.person_id,
                    meeting_day(&meeting.data)
                ),
            );
        } else if seen.contains(&e.person_id) {
            errors.add(
                &format!("attendance[{i}].person_id"),
                "duplicate",
                format!("person {} is named twice", e.person_id),
            );
        }
        seen.push(e.person_id);
    }
    if let Some(gs) = guests {
        for (i, g) in gs.iter().enumerate() {
            check_guest(&mut errors, &format!("guests[{i}]."), g);
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let before_att = attendance_in(txn, meeting_id).await?;
    let before_guests = guests_in(txn, meeting_id).await?;
    txn.execute(
        &Query::delete()
            .from_table(a("attendance"))
            .and_where(Expr::col(a("meeting_id")).eq(meeting_id))
            .to_owned(),
    )
    .await?;
    let now = crate::now();
    if !attendance.is_empty() {
        let mut q = Query::insert();
        q.into_table(a("attendance")).columns([
            a("meeting_id"),
            a("person_id"),
            a("initiative_id"),
            a("status"),
            a("recorded_by"),
            a("recorded_at"),
        ]);
        for e in attendance {
            q.values_panic([
                meeting_id.into(),
                e.person_id.into(),
                initiative.into(),
                e.status.as_str().into(),
                actor.into(),
                now.into(),
            ]);
        }
        txn.execute(&q).await?;
    }
    if let Some(gs) = guests {
        txn.execute(
            &Query::delete()
                .from_table(a("meeting_guests"))
                .and_where(Expr::col(a("meeting_id")).eq(meeting_id))
                .to_owned(),
        )
        .await?;
        for g in gs {
            insert_guest(txn, actor, initiative, meeting_id, g).await?;
        }
    }
    let after_att = attendance_in(txn, meeting_id).await?;
    let after_guests = guests_in(txn, meeting_id).await?;
    audit::append(
        txn,
        actor,
        Some(initiative),
        "attendance",
        meeting_id,
        "record",
        Some(&serde_json::json!({"attendance": before_att, "guests": before_guests})),
        Some(&serde_json::json!({"attendance": after_att, "guests": after_guests})),
    )
    .await?;
    let q = quorum_in(txn, initiative, &meeting).await?;
    Ok(q)
}

/// [`Store::mark_held`] inside a caller's transaction (the demo loader, benches).
pub async fn mark_held_in(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    meeting_id: i64,
    expected_version: Option<i64>,
) -> Result<Record<Meeting>> {
    let m = meeting_in(txn, initiative, meeting_id).await?;
    let version = expected_version.unwrap_or(m.version);
    if version != m.version {
        return Err(StoreError::Conflict {
            current: serde_json::to_value(&m).unwrap_or_default(),
        });
    }
    match m.data.status {
        MeetingStatus::Held => return Ok(m),
        MeetingStatus::Cancelled => {
            return Err(invalid(
                "status",
                "cancelled",
                "a cancelled meeting cannot be marked held",
            ));
        }
        MeetingStatus::Planned => {}
    }
    let data = Meeting {
        status: MeetingStatus::Held,
        ..m.data.clone()
    };
    let after = update_in(txn, actor, Some(initiative), meeting_id, version, &data).await?;
    Ok(after)
}

/// [`Store::save_minutes`] inside a caller's transaction (the demo loader, benches).
pub async fn save_minutes_in(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    meeting_id: i64,
    agenda_item_id: Option<i64>,
    html: &str,
) -> Result<MinutesVersion> {
    if html.chars().count() > minutes::MAX_MINUTES {
        return Err(invalid(
            "html",
            "too_long",
            format!(
                "minutes may be at most {} characters long",
                minutes::MAX_MINUTES
            ),
        ));
    }
    meeting_in(txn, initiative, meeting_id).await?;
    if let Some(item) = agenda_item_id {
        let ok = get_in::<AgendaItem>(txn, Some(initiative), item)
            .await?
            .is_some_and(|i| !i.archived && i.data.meeting_id == meeting_id);
        if !ok {
            return Err(invalid(
                "agenda_item_id",
                "not_on_agenda",
                format!("agenda item {item} is not on this meeting's agenda"),
            ));
        }
    }
    if let Some(ap) = approval_in(txn, meeting_id).await? {
        return Err(invalid(
            "html",
            "approved",
            format!(
                "these minutes were approved at {}: they can no longer be changed",
                ap.approved_at_meeting
            ),
        ));
    }
    let clean = minutes::sanitise(html);
    let previous = versions_in(txn, meeting_id)
        .await?
        .into_iter()
        .filter(|v| v.agenda_item_id == agenda_item_id)
        .map(|v| v.version)
        .max()
        .unwrap_or(0);
    let now = crate::now();
    let q = Query::insert()
        .into_table(a("minutes_versions"))
        .columns([
            a("meeting_id"),
            a("agenda_item_id"),
            a("initiative_id"),
            a("version"),
            a("html"),
            a("author_id"),
            a("created_at"),
        ])
        .values_panic([
            meeting_id.into(),
            agenda_item_id.into(),
            initiative.into(),
            (previous + 1).into(),
            clean.clone().into(),
            actor.into(),
            now.into(),
        ])
        .returning_col(a("id"))
        .to_owned();
    let id = crate::records::insert_id(txn, &q).await?;
    let v = MinutesVersion {
        id,
        meeting_id,
        agenda_item_id,
        version: previous + 1,
        html: clean,
        author_id: actor,
        created_at: now.get(),
    };
    audit::append(
        txn,
        actor,
        Some(initiative),
        "minutes",
        meeting_id,
        "save",
        None::<&()>,
        Some(&v),
    )
    .await?;
    Ok(v)
}

/// [`Store::approve_minutes`] inside a caller's transaction (the demo loader, benches).
pub async fn approve_minutes_in(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    at: i64,
    minutes_of: i64,
) -> Result<Approval> {
    let here = meeting_in(txn, initiative, at).await?;
    let of = match get_in::<Meeting>(txn, Some(initiative), minutes_of).await? {
        Some(m) if !m.archived => m,
        _ => {
            return Err(invalid(
                "minutes_of",
                "unknown_meeting",
                format!("meeting {minutes_of} is not a meeting of this initiative"),
            ));
        }
    };
    if here.data.status == MeetingStatus::Cancelled {
        return Err(invalid(
            "minutes_of",
            "cancelled",
            "a cancelled meeting cannot approve minutes",
        ));
    }
    if of.data.body_id != here.data.body_id {
        return Err(invalid(
            "minutes_of",
            "other_body",
            "only a meeting of the same body may approve these minutes",
        ));
    }
    if of.id == here.id || start_instant(&of.data) >= start_instant(&here.data) {
        return Err(invalid(
            "minutes_of",
            "not_earlier",
            "minutes are approved at a later meeting of the same body",
        ));
    }
    if let Some(ap) = approval_in(txn, of.id).await? {
        return Err(invalid(
            "minutes_of",
            "already_approved",
            format!(
                "these minutes were already approved at {}",
                ap.approved_at_meeting
            ),
        ));
    }
    if versions_in(txn, of.id).await?.is_empty() {
        return Err(invalid(
            "minutes_of",
            "no_minutes",
            format!("{} has no minutes to approve yet", meeting_label(&of.data)),
        ));
    }
    let now = crate::now();
    txn.execute(
        &Query::insert()
            .into_table(a("minutes_approvals"))
            .columns([
                a("meeting_id"),
                a("initiative_id"),
                a("approved_at_meeting_id"),
                a("approved_by"),
                a("approved_at"),
            ])
            .values_panic([
                of.id.into(),
                initiative.into(),
                at.into(),
                actor.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await?;
    let ap = approval_in(txn, of.id).await?.ok_or(StoreError::NotFound)?;
    audit::append(
        txn,
        actor,
        Some(initiative),
        "minutes_approval",
        of.id,
        "approve",
        None::<&()>,
        Some(&ap),
    )
    .await?;
    Ok(ap)
}
