//! Case conferencing: the weekly agenda, notes and next steps.
//!
//! Notes are personal: their audit entries name the fields written, never
//! the text.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;

use domain::cases::person::Population;
use domain::cases::triage::{ConferenceNote, Standing, agenda};

use super::people::Status;
use super::{a, list_in};
use crate::{Result, Store, StoreError, audit};

/// One person on the agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgendaPerson {
    pub person_id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub triage_score: i64,
    pub days_active: Option<i64>,
    pub last_contact_on: Option<NaiveDate>,
    /// The latest note before or on the conference date.
    pub last_note: Option<ConferenceNote>,
}

/// The agenda for one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgendaView {
    pub list_id: i64,
    pub conference_on: NaiveDate,
    pub new_this_week: Vec<AgendaPerson>,
    pub highest_priority: Vec<AgendaPerson>,
    pub no_contact: Vec<AgendaPerson>,
}

/// The latest note on or before `on` of each of the list's people who has
/// one, in one read.
async fn last_notes(
    conn: &impl ConnectionTrait,
    list: i64,
    on: NaiveDate,
) -> Result<HashMap<i64, ConferenceNote>> {
    let q = Query::select()
        .columns(["person_id", "conference_on", "note", "next_steps"].map(a))
        .from(a("case_conference_notes"))
        .and_where(Expr::col(a("list_id")).eq(list))
        .and_where(Expr::col(a("conference_on")).lte(on))
        .order_by(a("conference_on"), Order::Asc)
        .order_by(a("id"), Order::Asc)
        .to_owned();
    let mut out = HashMap::new();
    // Oldest first: each later note replaces the one before.
    for r in conn.query_all(&q).await? {
        let n = ConferenceNote {
            person_id: r.try_get("", "person_id")?,
            conference_on: r.try_get("", "conference_on")?,
            note: r.try_get("", "note")?,
            next_steps: r.try_get("", "next_steps")?,
        };
        out.insert(n.person_id, n);
    }
    Ok(out)
}

impl Store {
    /// The agenda for the conference on `on`: the three groups with names,
    /// audited as one read (who, which list, how many people).
    pub async fn case_agenda(
        &self,
        initiative: i64,
        list: i64,
        on: NaiveDate,
        actor: Option<i64>,
    ) -> Result<AgendaView> {
        let roster = self
            .case_roster(initiative, list, Population::All, None, on, Some(actor))
            .await?;
        let standings: Vec<Standing> = roster
            .iter()
            .filter(|r| !r.erased)
            .map(|r| Standing {
                person_id: r.person_id,
                active: r.status == Status::Active && r.identified_on.is_some_and(|d| d <= on),
                identified_on: r.identified_on,
                last_activity_on: r.last_activity_on,
                score: r.triage_score,
            })
            .collect();
        let groups = agenda(&standings, on, domain::cases::triage::DEFAULT_TOP);
        let mut people = std::collections::BTreeMap::new();
        for r in &roster {
            people.insert(r.person_id, r);
        }
        let notes = last_notes(&self.db, list, on).await?;
        let fill = |ids: &[i64]| -> Vec<AgendaPerson> {
            ids.iter()
                .map(|id| {
                    let r = people[id];
                    AgendaPerson {
                        person_id: *id,
                        first_name: r.first_name.clone(),
                        last_name: r.last_name.clone(),
                        triage_score: r.triage_score,
                        days_active: r.identified_on.map(|d| (on - d).num_days()),
                        last_contact_on: r.last_activity_on,
                        last_note: notes.get(id).cloned(),
                    }
                })
                .collect()
        };
        Ok(AgendaView {
            list_id: list,
            conference_on: on,
            new_this_week: fill(&groups.new_this_week),
            highest_priority: fill(&groups.highest_priority),
            no_contact: fill(&groups.no_contact),
        })
    }

    /// Record a note and next steps for one person at one conference (a
    /// second note the same day replaces the first), audited by field name.
    pub async fn record_conference_note(
        &self,
        initiative: i64,
        list: i64,
        actor: Option<i64>,
        n: &ConferenceNote,
    ) -> Result<i64> {
        let txn = self.write_txn().await?;
        list_in(&txn, initiative, list).await?;
        let on_list = Query::select()
            .column(a("id"))
            .from(a("case_people"))
            .and_where(Expr::col(a("id")).eq(n.person_id))
            .and_where(Expr::col(a("list_id")).eq(list))
            .to_owned();
        if txn.query_one(&on_list).await?.is_none() {
            return Err(StoreError::Invalid(
                domain::validation::FieldErrors::single(
                    "person_id",
                    "unknown_person",
                    "person_id is not a person on this list",
                ),
            ));
        }
        txn.execute(
            &Query::delete()
                .from_table(a("case_conference_notes"))
                .and_where(Expr::col(a("person_id")).eq(n.person_id))
                .and_where(Expr::col(a("conference_on")).eq(n.conference_on))
                .to_owned(),
        )
        .await?;
        let id = crate::records::insert_id(
            &txn,
            &Query::insert()
                .into_table(a("case_conference_notes"))
                .columns(
                    [
                        "list_id",
                        "person_id",
                        "conference_on",
                        "note",
                        "next_steps",
                        "recorded_by",
                        "recorded_at",
                    ]
                    .map(a),
                )
                .values_panic([
                    list.into(),
                    n.person_id.into(),
                    n.conference_on.into(),
                    n.note.clone().into(),
                    n.next_steps.clone().into(),
                    actor.into(),
                    crate::now().into(),
                ])
                .returning_col(a("id"))
                .to_owned(),
        )
        .await?;
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "case_conference",
            id,
            "create",
            None::<&()>,
            Some(&serde_json::json!({
                "list_id": list,
                "person_id": n.person_id,
                "conference_on": n.conference_on,
                "fields": ["note", "next_steps"],
            })),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }
}
