//! The demo's meetings, in Kiryat Malachi (seed 000): "The Administration Forum
//! … met once every four to six weeks … The Steering Committee meets every two
//! to three weeks." A year of both (2017) with agendas, attendance, minutes
//! approved at the next meeting and decisions forged by consensus — among them
//! the one seed 000 tells of: "several positions would be funded from the
//! Administration's budget for a limited period, and thereafter the
//! Municipality would fund them from its budget". The Steering Committee's
//! current series (autumn 2026 to winter 2027) has held meetings, planned ones
//! with an agenda, an open decision and action items, one of them overdue.
//!
//! Everything is written in the demo's one transaction, through the module's
//! own store paths (the same checks and audit entries as the pages).

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use domain::meetings::quorum::Presence;
use domain::meetings::records::{
    ActionItem, ActionStatus, AgendaItem, Decision, MeetingSeries, Process,
};

use super::calendar::{move_meeting_in, schedule_series_in, skip_meeting_in};
use super::decisions::{close_decision_in, state_position_in};
use super::room::{
    AttendanceInput, approve_minutes_in, mark_held_in, record_attendance_in, save_minutes_in,
};
use crate::records::create_in;
use crate::{Result, StoreError};

/// Who the demo's meetings need, by role (seed 000).
pub(crate) struct People {
    pub forum: i64,
    pub steering: i64,
    /// Director-General of the Municipality, chair of the Steering Committee.
    pub dg: i64,
    /// The Local Initiative Coordinator.
    pub coordinator: i64,
    /// Gazit Globe's representative.
    pub gazit_rep: i64,
    /// Rashi Foundation's representative.
    pub rashi_rep: i64,
    /// The municipality (an organization).
    pub municipality: i64,
}

const ZONE: &str = "Asia/Jerusalem";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a demo date")
}

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// The Forum's nine meetings of 2017, every six weeks: each one's agenda.
const FORUM_AGENDAS: &[&[(&str, &str)]] = &[
    &[
        (
            "The Administration and its way of working",
            "How the Forum, the Steering Committee and the work teams share the work; decisions by consensus.",
        ),
        (
            "The 2017 work plan",
            "The three areas — informal education, early childhood, excellence — and their activities for the year.",
        ),
        (
            "Funding the first positions",
            "Report of the Steering Committee's proposal on who pays for the new positions.",
        ),
    ],
    &[
        (
            "The systems map: how our priorities influence each other",
            "Each member answers, in turn, which priority helps which.",
        ),
        ("Report from the Steering Committee", ""),
    ],
    &[
        (
            "Early childhood: first data from the kindergartens",
            "The Early Childhood Director presents the first shared measurements.",
        ),
        (
            "Residents' ideas round",
            "Ideas collected in the neighbourhoods since January.",
        ),
    ],
    &[
        (
            "Informal education: youth movements",
            "Participation in youth movements and organizations, by neighbourhood.",
        ),
        ("Budget against actual, first quarter", ""),
    ],
    &[
        ("Summer activities for young people", ""),
        (
            "A Strategic Planning Unit for the municipality",
            "Why the city needs its own data and planning capacity.",
        ),
    ],
    &[
        ("Excellence programmes in the high schools", ""),
        (
            "Measurement: the shared indicators",
            "What every partner reports, and when.",
        ),
    ],
    &[
        (
            "Matriculation results",
            "The first results since the Initiative began.",
        ),
        ("The 2018 budget: what the municipality takes over", ""),
    ],
    &[
        (
            "A booklet for every resident",
            "The Administration's work, decisions and budgets, printed and sent to every household.",
        ),
        ("Report from the Steering Committee", ""),
    ],
    &[("The year in review", ""), ("The 2018 work plan", "")],
];

/// The Steering Committee's agenda items, in turn.
const STEERING_ITEMS: &[(&str, &str)] = &[
    (
        "Progress of the work teams",
        "Each team lead reports in five minutes.",
    ),
    ("Data from the kindergartens and schools", ""),
    (
        "Budget and commitments",
        "What was spent, what the funders have signed.",
    ),
    (
        "Preparing the next Forum",
        "Agenda, presenters, what the members receive beforehand.",
    ),
    (
        "Residents' questions",
        "Questions that reached the coordinator since the last meeting.",
    ),
];

/// The Steering Committee's decision on the first positions (seed 000).
const POSITIONS_PROPOSAL: &str = "The Administration's budget funds the positions of the Early Childhood Coordinator and of the Local Initiative Coordinator for a limited period, 2017 and 2018. From 2019 the municipality funds both positions from its own budget, taking over share by share as the funding schedule shows.";
const POSITIONS_OUTCOME: &str = "Agreed by consensus: the two positions are funded from the Administration's budget in 2017–2018 and thereafter by the municipality from its budget. The Director-General brings the municipality's budget request for 2019 to the Steering Committee by September 2018.";

pub(crate) async fn kiryat_malachi(
    txn: &DatabaseTransaction,
    initiative: i64,
    p: &People,
) -> Result<()> {
    let forum_members = members(txn, p.forum).await?;
    let steering_members = members(txn, p.steering).await?;

    // The Forum, 2017: every six weeks on a Monday evening.
    let forum = schedule_series_in(
        txn,
        None,
        initiative,
        &MeetingSeries {
            body_id: p.forum,
            title: "Administration Forum".into(),
            first_start: "2017-01-23T17:30".into(),
            duration_minutes: 120,
            time_zone: ZONE.into(),
            interval_weeks: 6,
            until: d(2017, 12, 31),
            place: "Kiryat Malachi Municipality, council hall".into(),
            online_url: None,
        },
    )
    .await?
    .meeting_ids;
    for (n, (&meeting, items)) in forum.iter().zip(FORUM_AGENDAS).enumerate() {
        let items: Vec<(&str, &str)> = items.to_vec();
        hold(txn, initiative, meeting, &items, &forum_members, n).await?;
        if n > 0 {
            approve_minutes_in(txn, None, initiative, meeting, forum[n - 1]).await?;
        }
    }

    // The Steering Committee, 2017: every two weeks on Thursday morning; no
    // meeting in the August break, and the one in Sukkot moved to the Monday
    // after.
    let steering = schedule_series_in(
        txn,
        None,
        initiative,
        &MeetingSeries {
            body_id: p.steering,
            title: "Steering Committee".into(),
            first_start: "2017-01-12T08:30".into(),
            duration_minutes: 90,
            time_zone: ZONE.into(),
            interval_weeks: 2,
            until: d(2017, 12, 31),
            place: "Office of the Director-General, Kiryat Malachi Municipality".into(),
            online_url: None,
        },
    )
    .await?
    .meeting_ids;
    let mut held = vec![];
    for (n, &meeting) in steering.iter().enumerate() {
        let start = start_of(txn, meeting).await?;
        if start.starts_with("2017-08-10") {
            skip_meeting_in(txn, None, initiative, meeting, None).await?;
            continue;
        }
        if start.starts_with("2017-10-05") {
            move_meeting_in(
                txn,
                None,
                initiative,
                meeting,
                "2017-10-09T08:30",
                "2017-10-09T10:00",
                None,
            )
            .await?;
        }
        let items = [
            STEERING_ITEMS[n % STEERING_ITEMS.len()],
            STEERING_ITEMS[(n + 2) % STEERING_ITEMS.len()],
        ];
        hold(txn, initiative, meeting, &items, &steering_members, n).await?;
        if let Some(&before) = held.last() {
            approve_minutes_in(txn, None, initiative, meeting, before).await?;
        }
        held.push(meeting);
    }

    // Decisions of 2017.
    let line = budget_line(txn, initiative, "Early Childhood Coordinator", 2017).await?;
    let everyone_agrees = |members: &[i64]| -> Vec<(i64, &'static str, &'static str)> {
        members.iter().map(|m| (*m, "agree", "")).collect()
    };
    // The positions: the Steering Committee's second meeting, by consensus.
    let positions = decide(
        txn,
        initiative,
        Decision {
            body_id: p.steering,
            meeting_id: Some(steering[1]),
            title: "Fund the first positions from the Administration's budget, then from the municipality's".into(),
            proposal: POSITIONS_PROPOSAL.into(),
            process: Process::Consensus,
            closes_on: None,
            outcome_statement: POSITIONS_OUTCOME.into(),
            review_on: Some(d(2018, 9, 1)),
            objective_id: None,
            budget_line_id: line,
            activity_id: None,
            public: true,
        },
        &everyone_agrees(&present_at(txn, steering[1]).await?),
        d(2017, 1, 26),
    )
    .await?;
    action(
        txn,
        initiative,
        ActionItem {
            body_id: p.steering,
            title: "Bring the municipality's 2019 budget request for the two positions".into(),
            meeting_id: Some(steering[1]),
            decision_id: Some(positions),
            owner_person_id: Some(p.dg),
            owner_organization_id: None,
            due_on: d(2018, 9, 1),
            status: ActionStatus::Done,
            notes: "Approved in the municipality's 2019 budget.".into(),
        },
    )
    .await?;

    // The Forum adopts the work plan (one member stands aside) and the
    // systems map.
    let mut plan = everyone_agrees(&present_at(txn, forum[0]).await?);
    if let Some(last) = plan.last_mut() {
        *last = (
            last.0,
            "stand_aside",
            "I support the plan but my organization has not yet committed its staff.",
        );
    }
    decide(
        txn,
        initiative,
        Decision {
            body_id: p.forum,
            meeting_id: Some(forum[0]),
            title: "Approve the 2017 work plan".into(),
            proposal: "The Forum approves the work plan for 2017 in the three areas of informal education, early childhood and excellence.".into(),
            process: Process::Consensus,
            closes_on: None,
            outcome_statement: "The 2017 work plan is approved.".into(),
            review_on: Some(d(2017, 12, 25)),
            objective_id: None,
            budget_line_id: None,
            activity_id: None,
            public: true,
        },
        &plan,
        d(2017, 1, 23),
    )
    .await?;
    decide(
        txn,
        initiative,
        Decision {
            body_id: p.forum,
            meeting_id: Some(forum[1]),
            title: "Adopt the systems map as the basis of the priorities".into(),
            proposal: "The priorities of the common agenda follow the systems map the Forum answered tonight: what helps most, first.".into(),
            process: Process::Consensus,
            closes_on: None,
            outcome_statement: "Adopted: the systems map is the basis of the 2017–2018 priorities.".into(),
            review_on: None,
            objective_id: None,
            budget_line_id: None,
            activity_id: None,
            public: true,
        },
        &everyone_agrees(&present_at(txn, forum[1]).await?),
        d(2017, 3, 6),
    )
    .await?;

    // The Strategic Planning Unit, by consent: Gazit Globe's representative
    // blocks until its funding after two years is agreed, then withdraws the
    // block.
    let spu_meeting = held[13];
    let spu_day = start_of(txn, spu_meeting).await?;
    let spu_day = NaiveDate::parse_from_str(&spu_day[..10], "%Y-%m-%d").expect("a date");
    let spu = create_in(
        txn,
        None,
        Some(initiative),
        &Decision {
            body_id: p.steering,
            meeting_id: Some(spu_meeting),
            title: "Establish a municipal Strategic Planning Unit".into(),
            proposal: "The municipality establishes a Strategic Planning Unit that collects and analyses the city's data. Gazit Globe funds it in full for two years; then the municipality takes it over gradually, over three years.".into(),
            process: Process::Consent,
            closes_on: None,
            outcome_statement: "Consent given: the unit is established, funded by Gazit Globe for two years and then gradually by the municipality.".into(),
            review_on: Some(d(2019, 7, 1)),
            objective_id: None,
            budget_line_id: None,
            activity_id: None,
            public: true,
        },
    )
    .await?;
    for person in present_at(txn, spu_meeting).await? {
        if person == p.gazit_rep {
            state_position_in(
                txn,
                None,
                initiative,
                spu.id,
                person,
                "block",
                "Who pays for the unit after the second year is not written down yet.",
                spu_day,
            )
            .await?;
        } else {
            state_position_in(txn, None, initiative, spu.id, person, "agree", "", spu_day).await?;
        }
    }
    if present_at(txn, spu_meeting).await?.contains(&p.gazit_rep) {
        state_position_in(
            txn,
            None,
            initiative,
            spu.id,
            p.gazit_rep,
            "agree",
            "The three-year takeover by the municipality is now in the proposal.",
            spu_day,
        )
        .await?;
    }
    close_decision_in(txn, None, initiative, spu.id, spu.version, spu_day).await?;

    // A vote between meetings on the residents' conference: 3 for, 1 against,
    // 1 abstaining; internal, not on the portal.
    let conference = create_in(
        txn,
        None,
        Some(initiative),
        &Decision {
            body_id: p.steering,
            meeting_id: None,
            title: "Hold the residents' conference on 15 June".into(),
            proposal: "The annual residents' conference takes place on Thursday 15 June at the Comprehensive School.".into(),
            process: Process::Vote,
            closes_on: Some(d(2017, 5, 31)),
            outcome_statement: "The conference takes place on 15 June.".into(),
            review_on: None,
            objective_id: None,
            budget_line_id: None,
            activity_id: None,
            public: false,
        },
    )
    .await?;
    let ballots = ["agree", "agree", "disagree", "agree", "abstain"];
    for (person, position) in steering_members.iter().zip(ballots) {
        state_position_in(
            txn,
            None,
            initiative,
            conference.id,
            *person,
            position,
            if position == "disagree" {
                "The school is busy with exams that week."
            } else {
                ""
            },
            d(2017, 5, 24),
        )
        .await?;
    }
    close_decision_in(
        txn,
        None,
        initiative,
        conference.id,
        conference.version,
        d(2017, 6, 1),
    )
    .await?;

    let booklet = decide(
        txn,
        initiative,
        Decision {
            body_id: p.forum,
            meeting_id: Some(forum[7]),
            title: "Publish a booklet of the Administration's decisions and budgets".into(),
            proposal: "Every household in Kiryat Malachi receives a booklet describing the Administration's work processes, decisions and budgets; its key points go on billboards.".into(),
            process: Process::Consensus,
            closes_on: None,
            outcome_statement: "Agreed: the booklet is printed and distributed to every resident before the end of January 2018.".into(),
            review_on: None,
            objective_id: None,
            budget_line_id: None,
            activity_id: None,
            public: true,
        },
        &everyone_agrees(&present_at(txn, forum[7]).await?),
        d(2017, 11, 13),
    )
    .await?;
    action(
        txn,
        initiative,
        ActionItem {
            body_id: p.forum,
            title: "Draft the residents' booklet".into(),
            meeting_id: Some(forum[7]),
            decision_id: Some(booklet),
            owner_person_id: Some(p.coordinator),
            owner_organization_id: None,
            due_on: d(2017, 12, 20),
            status: ActionStatus::Done,
            notes: String::new(),
        },
    )
    .await?;

    now_series(txn, initiative, p, &steering_members).await
}

/// The Steering Committee today: a fortnightly series from September 2026,
/// held until mid-November, planned after, with an open decision and action
/// items (one overdue, so it rolls onto the next agenda).
async fn now_series(
    txn: &DatabaseTransaction,
    initiative: i64,
    p: &People,
    members: &[i64],
) -> Result<()> {
    let ids = schedule_series_in(
        txn,
        None,
        initiative,
        &MeetingSeries {
            body_id: p.steering,
            title: "Steering Committee".into(),
            first_start: "2026-09-03T08:30".into(),
            duration_minutes: 90,
            time_zone: ZONE.into(),
            interval_weeks: 2,
            until: d(2027, 2, 28),
            place: "Office of the Director-General, Kiryat Malachi Municipality".into(),
            online_url: Some("https://meet.example.org/kiryat-malachi-steering".into()),
        },
    )
    .await?
    .meeting_ids;
    let mut last_held = None;
    for (n, &meeting) in ids.iter().enumerate() {
        let start = start_of(txn, meeting).await?;
        // Sukkot 2026: no meeting on 1 October.
        if start.starts_with("2026-10-01") {
            skip_meeting_in(txn, None, initiative, meeting, None).await?;
            continue;
        }
        let items = [
            STEERING_ITEMS[n % STEERING_ITEMS.len()],
            STEERING_ITEMS[(n + 3) % STEERING_ITEMS.len()],
        ];
        if start.as_str() < "2026-11-20" {
            hold(txn, initiative, meeting, &items, members, n).await?;
            if let Some(before) = last_held {
                approve_minutes_in(txn, None, initiative, meeting, before).await?;
            }
            last_held = Some(meeting);
        } else if start.as_str() < "2026-12-20" {
            agenda(txn, initiative, meeting, &items).await?;
        }
    }
    let mut planned = None;
    for &m in &ids {
        if start_of(txn, m).await?.as_str() >= "2026-11-20" {
            planned = Some(m);
            break;
        }
    }
    let planned = planned.ok_or(StoreError::NotFound)?;
    create_in(
        txn,
        None,
        Some(initiative),
        &Decision {
            body_id: p.steering,
            meeting_id: Some(planned),
            title: "Open the Young People's Center on summer evenings".into(),
            proposal: "From July to August the Young People's Center stays open until 23:00 on weekdays, staffed by two youth workers paid from the informal-education budget line.".into(),
            process: Process::Consent,
            closes_on: None,
            outcome_statement: String::new(),
            review_on: None,
            objective_id: None,
            budget_line_id: None,
            activity_id: None,
            public: true,
        },
    )
    .await?;
    action(
        txn,
        initiative,
        ActionItem {
            body_id: p.steering,
            title: "Collect the Young People's Center's attendance figures for the autumn".into(),
            meeting_id: last_held,
            decision_id: None,
            owner_person_id: Some(p.rashi_rep),
            owner_organization_id: None,
            due_on: d(2026, 11, 19),
            status: ActionStatus::Open,
            notes: String::new(),
        },
    )
    .await?;
    action(
        txn,
        initiative,
        ActionItem {
            body_id: p.steering,
            title: "Send the summer programme proposal to the partners".into(),
            meeting_id: last_held,
            decision_id: None,
            owner_person_id: None,
            owner_organization_id: Some(p.municipality),
            due_on: d(2026, 12, 3),
            status: ActionStatus::Open,
            notes: String::new(),
        },
    )
    .await?;
    Ok(())
}

/// Write a meeting's agenda.
async fn agenda(
    txn: &DatabaseTransaction,
    initiative: i64,
    meeting: i64,
    items: &[(&str, &str)],
) -> Result<Vec<i64>> {
    let mut ids = vec![];
    for (n, (title, description)) in items.iter().enumerate() {
        let item = AgendaItem {
            meeting_id: meeting,
            position: n as i64 + 1,
            title: (*title).into(),
            description: (*description).into(),
            presenter_person_id: None,
            minutes_allotted: Some(if n == 0 { 30 } else { 20 }),
            objective_id: None,
            indicator_id: None,
            activity_id: None,
        };
        ids.push(create_in(txn, None, Some(initiative), &item).await?.id);
    }
    Ok(ids)
}

/// Hold a meeting: its agenda, who came (most members; a few excused or
/// absent, in turn), its minutes per item.
async fn hold(
    txn: &DatabaseTransaction,
    initiative: i64,
    meeting: i64,
    items: &[(&str, &str)],
    members: &[i64],
    n: usize,
) -> Result<()> {
    let item_ids = agenda(txn, initiative, meeting, items).await?;
    let attendance: Vec<AttendanceInput> = members
        .iter()
        .enumerate()
        .map(|(k, person)| AttendanceInput {
            person_id: *person,
            status: match (k + n) % 9 {
                4 => Presence::Excused,
                7 if members.len() > 6 => Presence::Absent,
                _ => Presence::Present,
            },
        })
        .collect();
    record_attendance_in(txn, None, initiative, meeting, &attendance, None).await?;
    mark_held_in(txn, None, initiative, meeting, None).await?;
    for (id, (title, _)) in item_ids.iter().zip(items) {
        let html = format!(
            "<p>{} was discussed. The members asked for the figures by neighbourhood before the next meeting.</p>",
            escape(title)
        );
        save_minutes_in(txn, None, initiative, meeting, Some(*id), &html).await?;
    }
    Ok(())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Put a decision to a body, take the given positions, close it; returns its id.
async fn decide(
    txn: &DatabaseTransaction,
    initiative: i64,
    decision: Decision,
    positions: &[(i64, &str, &str)],
    on: NaiveDate,
) -> Result<i64> {
    let rec = create_in(txn, None, Some(initiative), &decision).await?;
    for (person, position, reason) in positions {
        state_position_in(txn, None, initiative, rec.id, *person, position, reason, on).await?;
    }
    close_decision_in(txn, None, initiative, rec.id, rec.version, on).await?;
    Ok(rec.id)
}

async fn action(txn: &DatabaseTransaction, initiative: i64, item: ActionItem) -> Result<()> {
    create_in(txn, None, Some(initiative), &item).await?;
    Ok(())
}

/// The people holding a seat in a body, in the order they were seated.
async fn members(txn: &DatabaseTransaction, body: i64) -> Result<Vec<i64>> {
    let q = Query::select()
        .column(a("person_id"))
        .from(a("memberships"))
        .and_where(Expr::col(a("body_id")).eq(body))
        .and_where(Expr::col(a("archived_at")).is_null())
        .order_by(a("id"), Order::Asc)
        .to_owned();
    let rows = txn.query_all(&q).await?;
    rows.iter()
        .map(|r| r.try_get::<i64>("", "person_id").map_err(Into::into))
        .collect()
}

/// The members marked present at a meeting.
async fn present_at(txn: &DatabaseTransaction, meeting: i64) -> Result<Vec<i64>> {
    let q = Query::select()
        .column(a("person_id"))
        .from(a("attendance"))
        .and_where(Expr::col(a("meeting_id")).eq(meeting))
        .and_where(Expr::col(a("status")).eq("present"))
        .order_by(a("person_id"), Order::Asc)
        .to_owned();
    let rows = txn.query_all(&q).await?;
    rows.iter()
        .map(|r| r.try_get::<i64>("", "person_id").map_err(Into::into))
        .collect()
}

/// A meeting's local start, `YYYY-MM-DDTHH:MM`.
async fn start_of(txn: &DatabaseTransaction, meeting: i64) -> Result<String> {
    let q = Query::select()
        .column(a("starts_at"))
        .from(a("meetings"))
        .and_where(Expr::col(a("id")).eq(meeting))
        .to_owned();
    let row = txn.query_one(&q).await?.ok_or(StoreError::NotFound)?;
    Ok(row.try_get::<String>("", "starts_at")?)
}

async fn budget_line(
    txn: &DatabaseTransaction,
    initiative: i64,
    name: &str,
    year: i64,
) -> Result<Option<i64>> {
    let q = Query::select()
        .column(a("id"))
        .from(a("budget_lines"))
        .and_where(Expr::col(a("initiative_id")).eq(initiative))
        .and_where(Expr::col(a("name")).eq(name))
        .and_where(Expr::col(a("year")).eq(year))
        .to_owned();
    Ok(match txn.query_one(&q).await? {
        Some(r) => Some(r.try_get::<i64>("", "id")?),
        None => None,
    })
}
