//! Status events: recording one (checked against the person's whole history),
//! the batch write path every writer shares, the spells aggregate, and the
//! daily inactivity job.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryResult};
use serde::Serialize;

use domain::cases::events::{self as rules, Event, EventKind, Source, Spell};
use domain::cases::person::{Facts, age_on};
use domain::cases::report::Month;
use domain::validation::FieldErrors;

use super::{CHUNK, a, insert_batch};
use crate::{Result, Store, StoreError, Timestamp, audit};

/// An event to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub occurred_on: NaiveDate,
    pub kind: EventKind,
    pub chronic: bool,
    /// The earlier event of the same person this one corrects.
    pub supersedes: Option<i64>,
}

/// An event as a person's timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRow {
    #[serde(flatten)]
    pub event: Event,
    pub source: Source,
    pub recorded_by: Option<i64>,
    /// The id of the event that corrects this one, if any.
    pub superseded_by: Option<i64>,
}

const EVENT_COLS: [&str; 9] = [
    "id",
    "person_id",
    "occurred_on",
    "kind",
    "chronic",
    "recorded_at",
    "supersedes",
    "source",
    "recorded_by",
];

fn event_of(r: &QueryResult) -> Result<(i64, EventRow)> {
    let kind: String = r.try_get("", "kind")?;
    let source: String = r.try_get("", "source")?;
    let at: chrono::DateTime<chrono::Utc> = r.try_get("", "recorded_at")?;
    Ok((
        r.try_get("", "person_id")?,
        EventRow {
            event: Event {
                id: r.try_get("", "id")?,
                occurred_on: r.try_get("", "occurred_on")?,
                kind: EventKind::parse(&kind).unwrap_or(EventKind::Void),
                chronic: r.try_get("", "chronic")?,
                recorded_at: at,
                supersedes: r.try_get("", "supersedes")?,
            },
            source: Source::parse(&source).unwrap_or(Source::Manual),
            recorded_by: r.try_get("", "recorded_by")?,
            superseded_by: None,
        },
    ))
}

/// Every event of these people, oldest first, per person.
pub(crate) async fn events_of(
    conn: &impl ConnectionTrait,
    people: &[i64],
) -> Result<HashMap<i64, Vec<EventRow>>> {
    let mut out: HashMap<i64, Vec<EventRow>> = HashMap::new();
    for chunk in people.chunks(CHUNK) {
        let q = Query::select()
            .columns(EVENT_COLS.map(a))
            .from(a("case_events"))
            .and_where(Expr::col(a("person_id")).is_in(chunk.to_vec()))
            .order_by(a("id"), Order::Asc)
            .to_owned();
        for r in conn.query_all(&q).await? {
            let (p, e) = event_of(&r)?;
            out.entry(p).or_default().push(e);
        }
    }
    for evs in out.values_mut() {
        let by: HashMap<i64, i64> = evs
            .iter()
            .filter_map(|e| e.event.supersedes.map(|s| (s, e.event.id)))
            .collect();
        for e in evs.iter_mut() {
            e.superseded_by = by.get(&e.event.id).copied();
        }
    }
    Ok(out)
}

/// Every event of a list, per person (the replay at a cut-off reads this).
pub(crate) async fn list_events(
    conn: &impl ConnectionTrait,
    list: i64,
) -> Result<HashMap<i64, Vec<Event>>> {
    let q = Query::select()
        .columns(EVENT_COLS.map(a))
        .from(a("case_events"))
        .and_where(Expr::col(a("list_id")).eq(list))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    let mut out: HashMap<i64, Vec<Event>> = HashMap::new();
    for r in conn.query_all(&q).await? {
        let (p, e) = event_of(&r)?;
        out.entry(p).or_default().push(e.event);
    }
    Ok(out)
}

/// Population facts from a row with `veteran`, `household_type` and the date
/// of birth under `dob_col`.
pub(crate) fn facts_of(r: &QueryResult, dob_col: &str) -> Result<Facts> {
    let veteran: Option<i64> = r.try_get("", "veteran")?;
    let household: Option<String> = r.try_get("", "household_type")?;
    Ok(Facts {
        veteran: veteran == Some(1),
        family: household.as_deref()
            == Some(domain::cases::person::HouseholdType::AdultsAndChildren.as_str()),
        date_of_birth: r.try_get("", dob_col)?,
    })
}

/// Whether a spell counts as youth: under 25 on its identification date.
pub(crate) fn youth(dob: Option<NaiveDate>, s: &Spell) -> bool {
    dob.is_some_and(|b| age_on(b, s.start) < 25)
}

/// Replace the spells of these people by the replay of their events (all of
/// them, as recorded now), with each person's population facts.
pub(crate) async fn rebuild_spells(
    txn: &DatabaseTransaction,
    list: i64,
    people: &[(i64, Facts)],
    events: &HashMap<i64, Vec<Event>>,
) -> Result<()> {
    let ids: Vec<i64> = people.iter().map(|(p, _)| *p).collect();
    for chunk in ids.chunks(CHUNK) {
        txn.execute(
            &Query::delete()
                .from_table(a("case_spells"))
                .and_where(Expr::col(a("person_id")).is_in(chunk.to_vec()))
                .to_owned(),
        )
        .await?;
    }
    let mut rows = vec![];
    for (person, facts) in people {
        let evs = events.get(person).map(Vec::as_slice).unwrap_or(&[]);
        let (spells, _) = rules::replay(&rules::effective(evs, None));
        for (seq, s) in spells.into_iter().enumerate() {
            rows.push((
                *person,
                seq as i64,
                youth(facts.date_of_birth, &s),
                *facts,
                s,
            ));
        }
    }
    for chunk in rows.chunks(CHUNK) {
        let mut q = Query::insert();
        q.into_table(a("case_spells")).columns(
            [
                "list_id",
                "person_id",
                "seq",
                "start_on",
                "inflow",
                "end_on",
                "end_kind",
                "last_activity_on",
                "chronic",
                "youth",
                "veteran",
                "family",
                "start_month",
                "end_month",
                "housed_days",
            ]
            .map(a),
        );
        for (person, seq, youth, facts, s) in chunk {
            let housed_days = match s.end {
                Some((d, EventKind::Housed)) => Some((d - s.start).num_days()),
                _ => None,
            };
            q.values_panic([
                list.into(),
                (*person).into(),
                (*seq).into(),
                s.start.into(),
                s.inflow.as_str().into(),
                s.end.map(|(d, _)| d).into(),
                s.end.map(|(_, k)| k.as_str().to_string()).into(),
                s.last_activity.into(),
                s.chronic.into(),
                (*youth).into(),
                facts.veteran.into(),
                facts.family.into(),
                Month::of(s.start).index().into(),
                s.end.map(|(d, _)| Month::of(d).index()).into(),
                housed_days.into(),
            ]);
        }
        txn.execute(&q).await?;
    }
    Ok(())
}

/// Insert events (multi-row), all in one batch; gives them back with their ids.
pub(crate) async fn insert_events(
    txn: &DatabaseTransaction,
    list: i64,
    batch: i64,
    source: Source,
    actor: Option<i64>,
    at: Timestamp,
    rows: &[(i64, NewEvent)],
) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut q = Query::insert();
        q.into_table(a("case_events")).columns(
            [
                "list_id",
                "person_id",
                "occurred_on",
                "kind",
                "chronic",
                "supersedes",
                "source",
                "recorded_by",
                "recorded_at",
                "batch_id",
            ]
            .map(a),
        );
        for (person, e) in chunk {
            q.values_panic([
                list.into(),
                (*person).into(),
                e.occurred_on.into(),
                e.kind.as_str().into(),
                e.chronic.into(),
                e.supersedes.into(),
                source.as_str().into(),
                actor.into(),
                at.into(),
                batch.into(),
            ]);
        }
        txn.execute(&q).await?;
    }
    Ok(())
}

/// A person's population facts and whether they were erased, checked to be
/// on the list.
pub(crate) async fn person_on_list(
    conn: &impl ConnectionTrait,
    list: i64,
    person: i64,
) -> Result<(Facts, bool)> {
    let q = Query::select()
        .columns([
            a("date_of_birth"),
            a("erased_at"),
            a("veteran"),
            a("household_type"),
        ])
        .from(a("case_people"))
        .and_where(Expr::col(a("id")).eq(person))
        .and_where(Expr::col(a("list_id")).eq(list))
        .to_owned();
    let r = conn.query_one(&q).await?.ok_or(StoreError::NotFound)?;
    let erased: Option<chrono::DateTime<chrono::Utc>> = r.try_get("", "erased_at")?;
    Ok((facts_of(&r, "date_of_birth")?, erased.is_some()))
}

/// A spell due to turn inactive: (person, population facts, the inactive date).
type Due = (i64, Facts, NaiveDate);

/// Why a new event cannot be recorded, by field.
fn misfit_error(new_id: i64, m: &rules::Misfit) -> StoreError {
    let message = if m.event_id == new_id {
        m.message.clone()
    } else {
        format!("it would leave a later event out of place: {}", m.message)
    };
    let hint = match (m.code, m.kind) {
        ("not_active", EventKind::Contact) => {
            " — record identified to bring the person back onto the list"
        }
        ("already_active", _) => " — record contact instead",
        _ => "",
    };
    StoreError::Invalid(FieldErrors::single(
        "kind",
        m.code,
        format!("{message}{hint}"),
    ))
}

impl Store {
    /// Record one event for a person on a list: checked against the person's
    /// whole history (a backdated event must leave every later one in place),
    /// written with its batch row and one audit entry, the spells rebuilt.
    pub async fn record_case_event(
        &self,
        initiative: i64,
        list: i64,
        person: i64,
        actor: Option<i64>,
        new: &NewEvent,
        today: NaiveDate,
    ) -> Result<Event> {
        let txn = self.write_txn().await?;
        super::list_in(&txn, initiative, list).await?;
        let (facts, erased) = person_on_list(&txn, list, person).await?;
        if erased {
            return Err(StoreError::Invalid(FieldErrors::single(
                "person_id",
                "erased",
                "this person's record was erased; no events can be added",
            )));
        }
        // Touch the person first: on PostgreSQL this locks the row, so two
        // events for one person are checked one after the other (SQLite's
        // write transaction is already exclusive).
        txn.execute(
            &Query::update()
                .table(a("case_people"))
                .value(a("updated_at"), crate::now())
                .and_where(Expr::col(a("id")).eq(person))
                .to_owned(),
        )
        .await?;
        let mut errors = FieldErrors::default();
        if new.occurred_on > today {
            errors.add(
                "occurred_on",
                "future",
                "an event cannot be dated in the future",
            );
        }
        let history = events_of(&txn, &[person])
            .await?
            .remove(&person)
            .unwrap_or_default();
        match new.supersedes {
            Some(s) => match history.iter().find(|e| e.event.id == s) {
                None => errors.add(
                    "supersedes",
                    "unknown",
                    format!("event {s} is not an event of this person"),
                ),
                Some(e) if e.superseded_by.is_some() => errors.add(
                    "supersedes",
                    "already_corrected",
                    format!(
                        "event {s} was already corrected by event {}; correct that one",
                        e.superseded_by.unwrap_or_default()
                    ),
                ),
                Some(_) => {}
            },
            None if new.kind == EventKind::Void => errors.add(
                "supersedes",
                "required",
                "void only cancels an earlier event: say which one",
            ),
            None => {}
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let at = crate::now();
        let candidate = Event {
            id: i64::MAX,
            occurred_on: new.occurred_on,
            kind: new.kind,
            chronic: new.chronic,
            recorded_at: at.get(),
            supersedes: new.supersedes,
        };
        let past: Vec<Event> = history.iter().map(|e| e.event.clone()).collect();
        if let Err(m) = rules::check_fits(&past, &candidate) {
            return Err(misfit_error(i64::MAX, &m));
        }
        let batch = insert_batch(&txn, list, "manual", None, None, (0, 0, 1), actor, at).await?;
        insert_events(
            &txn,
            list,
            batch,
            Source::Manual,
            actor,
            at,
            &[(person, new.clone())],
        )
        .await?;
        let mut all = events_of(&txn, &[person]).await?;
        let stored = all
            .get(&person)
            .and_then(|v| v.iter().map(|e| e.event.clone()).max_by_key(|e| e.id))
            .ok_or(StoreError::NotFound)?;
        let plain: HashMap<i64, Vec<Event>> = all
            .drain()
            .map(|(p, v)| (p, v.into_iter().map(|e| e.event).collect()))
            .collect();
        rebuild_spells(&txn, list, &[(person, facts)], &plain).await?;
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "case_person",
            person,
            "record_event",
            None::<&()>,
            Some(&serde_json::json!({
                "event_id": stored.id,
                "kind": stored.kind,
                "occurred_on": stored.occurred_on,
                "supersedes": stored.supersedes,
            })),
        )
        .await?;
        txn.commit().await?;
        Ok(stored)
    }

    /// A person's events, oldest first (no audit: callers that show them to a
    /// person's reader audit the view with [`Store::view_case_person`]).
    pub async fn case_events(&self, list: i64, person: i64) -> Result<Vec<EventRow>> {
        person_on_list(&self.db, list, person).await?;
        Ok(events_of(&self.db, &[person])
            .await?
            .remove(&person)
            .unwrap_or_default())
    }

    /// The daily job: every active spell whose last identification or contact
    /// is more than the list's inactivity days before `today` gets an
    /// `inactive` event dated last activity + those days. One batch and one
    /// audit entry per list touched. Gives the number of events written.
    pub async fn run_case_inactivity(&self, today: NaiveDate) -> Result<usize> {
        let q = Query::select()
            .columns([
                (a("s"), a("person_id")),
                (a("s"), a("last_activity_on")),
                (a("l"), a("id")),
                (a("l"), a("initiative_id")),
                (a("l"), a("inactivity_days")),
            ])
            .expr_as(Expr::col((a("p"), a("date_of_birth"))), a("dob"))
            .expr_as(Expr::col((a("p"), a("veteran"))), a("veteran"))
            .expr_as(
                Expr::col((a("p"), a("household_type"))),
                a("household_type"),
            )
            .from_as(a("case_spells"), a("s"))
            .join_as(
                JoinType::InnerJoin,
                a("case_lists"),
                a("l"),
                Expr::col((a("l"), a("id"))).equals((a("s"), a("list_id"))),
            )
            .join_as(
                JoinType::InnerJoin,
                a("case_people"),
                a("p"),
                Expr::col((a("p"), a("id"))).equals((a("s"), a("person_id"))),
            )
            .and_where(Expr::col((a("s"), a("end_on"))).is_null())
            .to_owned();
        let mut due: HashMap<(i64, i64), Vec<Due>> = HashMap::new();
        for r in self.db.query_all(&q).await? {
            let last: NaiveDate = r.try_get("", "last_activity_on")?;
            let days: i64 = r.try_get("", "inactivity_days")?;
            let at = last + chrono::Duration::days(days);
            if today > at {
                let key = (r.try_get("", "initiative_id")?, r.try_get("", "id")?);
                due.entry(key).or_default().push((
                    r.try_get("", "person_id")?,
                    facts_of(&r, "dob")?,
                    at,
                ));
            }
        }
        let mut written = 0;
        for ((initiative, list), people) in due {
            let txn = self.write_txn().await?;
            let now = crate::now();
            let batch = insert_batch(
                &txn,
                list,
                "inactivity",
                None,
                None,
                (0, 0, people.len()),
                None,
                now,
            )
            .await?;
            let rows: Vec<(i64, NewEvent)> = people
                .iter()
                .map(|(p, _, at)| {
                    (
                        *p,
                        NewEvent {
                            occurred_on: *at,
                            kind: EventKind::Inactive,
                            chronic: false,
                            supersedes: None,
                        },
                    )
                })
                .collect();
            insert_events(&txn, list, batch, Source::Inactivity, None, now, &rows).await?;
            let ids: Vec<i64> = people.iter().map(|(p, _, _)| *p).collect();
            let evs = events_of(&txn, &ids).await?;
            let plain: HashMap<i64, Vec<Event>> = evs
                .into_iter()
                .map(|(p, v)| (p, v.into_iter().map(|e| e.event).collect()))
                .collect();
            let facts: Vec<(i64, Facts)> = people.iter().map(|(p, f, _)| (*p, *f)).collect();
            rebuild_spells(&txn, list, &facts, &plain).await?;
            audit::append(
                &txn,
                None,
                Some(initiative),
                "case_batch",
                batch,
                "inactivity",
                None::<&()>,
                Some(
                    &serde_json::json!({ "list_id": list, "events": people.len(), "today": today }),
                ),
            )
            .await?;
            txn.commit().await?;
            written += people.len();
        }
        Ok(written)
    }
}
