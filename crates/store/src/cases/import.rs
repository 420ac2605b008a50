//! Writing an import (an HMIS export) into a list: all or nothing, one batch,
//! one audit entry, idempotent.
//!
//! People are matched by their HMIS `PersonalID` on the list. For each one, the
//! import's events replace the events earlier imports wrote: an event no longer
//! in the export gets a `void` correction, a new one is appended, an unchanged
//! one is left alone. Re-importing the same export therefore writes nothing (no
//! batch, no audit entry); a newer export writes only the difference. Events
//! recorded by hand for an imported person stay, and the whole history must
//! still fit, or the import is refused naming the `PersonalID`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use serde::Serialize;

use domain::cases::events::{self as rules, Event, EventKind, Source};
use domain::cases::person::Person;
use domain::validation::FieldErrors;

use super::events::{NewEvent, events_of, insert_events, rebuild_spells};
use super::people::{changed_fields, person_values, record_of};
use super::{CHUNK, ListSettings, a, create_list_in, insert_batch};
use crate::{Result, Store, StoreError, audit};

/// One person of an import with the events derived for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub external_id: String,
    pub person: Person,
    /// (date, kind, chronic), in the order they were derived.
    pub events: Vec<(NaiveDate, EventKind, bool)>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub list_id: i64,
    pub list_created: bool,
    /// `None` when nothing changed (nothing was written).
    pub batch_id: Option<i64>,
    pub people_added: usize,
    pub people_changed: usize,
    pub people_unchanged: usize,
    /// People erased on request who are in the export again: left erased.
    pub people_erased_skipped: usize,
    pub events_added: usize,
    pub events_voided: usize,
}

type Key = (NaiveDate, &'static str, bool);

fn key(d: NaiveDate, k: EventKind, c: bool) -> Key {
    (d, k.as_str(), c)
}

impl Store {
    /// Import people and their events into the list named `list_name` of the
    /// initiative (created with default settings when it does not exist).
    #[allow(clippy::too_many_arguments)]
    pub async fn import_case_people(
        &self,
        initiative: i64,
        list_name: &str,
        actor: Option<i64>,
        source: Source,
        file_name: &str,
        file_hash: &str,
        incoming: &[Incoming],
    ) -> Result<ImportSummary> {
        let txn = self.write_txn().await?;
        let s = import_in(
            &txn, initiative, list_name, actor, source, file_name, file_hash, incoming,
        )
        .await?;
        txn.commit().await?;
        Ok(s)
    }
}

/// [`Store::import_case_people`] inside a transaction the caller commits (the
/// demo loads in one). Nothing is written when it fails.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn import_in(
    txn: &sea_orm::DatabaseTransaction,
    initiative: i64,
    list_name: &str,
    actor: Option<i64>,
    source: Source,
    file_name: &str,
    file_hash: &str,
    incoming: &[Incoming],
) -> Result<ImportSummary> {
    {
        let mut summary = ImportSummary::default();
        let existing_list = {
            let q = Query::select()
                .column(a("id"))
                .from(a("case_lists"))
                .and_where(Expr::col(a("initiative_id")).eq(initiative))
                .and_where(Expr::col(a("name")).eq(list_name))
                .to_owned();
            txn.query_one(&q).await?
        };
        let list = match existing_list {
            Some(r) => r.try_get("", "id")?,
            None => {
                summary.list_created = true;
                create_list_in(txn, initiative, actor, &ListSettings::named(list_name)).await?
            }
        };
        summary.list_id = list;
        // The people already on the list who came from an export.
        let q = Query::select()
            .columns(
                [
                    "id",
                    "list_id",
                    "external_id",
                    "first_name",
                    "last_name",
                    "date_of_birth",
                    "veteran",
                    "household_type",
                    "race",
                    "gender",
                    "consent_on",
                    "consent_scope",
                    "consent_expires_on",
                    "triage_score",
                    "erased_at",
                    "created_at",
                    "updated_at",
                ]
                .map(a),
            )
            .from(a("case_people"))
            .and_where(Expr::col(a("list_id")).eq(list))
            .and_where(Expr::col(a("external_id")).is_not_null())
            .to_owned();
        let mut known = HashMap::new();
        for r in txn.query_all(&q).await? {
            let rec = record_of(&r)?;
            if let Some(x) = rec.external_id.clone() {
                known.insert(x, rec);
            }
        }
        let known_ids: Vec<i64> = known.values().map(|r| r.id).collect();
        let mut history = events_of(txn, &known_ids).await?;
        let now = crate::now();

        // New people: one multi-row insert each chunk, ids matched by PersonalID.
        let fresh: Vec<&Incoming> = incoming
            .iter()
            .filter(|p| !known.contains_key(&p.external_id))
            .collect();
        let mut ids: HashMap<String, i64> = HashMap::new();
        for chunk in fresh.chunks(CHUNK / 2) {
            let mut q = Query::insert();
            let mut cols = vec!["list_id", "initiative_id", "external_id"];
            cols.extend(person_values(&Person::default()).iter().map(|(c, _)| *c));
            cols.extend(["triage_score", "created_at", "updated_at"]);
            q.into_table(a("case_people"))
                .columns(cols.into_iter().map(a))
                .returning(Query::returning().columns([a("id"), a("external_id")]));
            for p in chunk {
                let mut vals: Vec<sea_orm::sea_query::SimpleExpr> =
                    vec![list.into(), initiative.into(), p.external_id.clone().into()];
                vals.extend(person_values(&p.person).into_iter().map(|(_, v)| v.into()));
                vals.extend([0i64.into(), now.into(), now.into()]);
                q.values_panic(vals);
            }
            for r in txn.query_all(&q).await? {
                ids.insert(r.try_get("", "external_id")?, r.try_get("", "id")?);
            }
        }
        summary.people_added = fresh.len();

        let mut new_events: Vec<(i64, NewEvent)> = vec![];
        let mut touched: Vec<(i64, domain::cases::person::Facts)> = vec![];
        let mut errors = FieldErrors::default();
        for p in incoming {
            let Some(rec) = known.get(&p.external_id) else {
                let id = ids[&p.external_id];
                for (d, k, c) in &p.events {
                    new_events.push((
                        id,
                        NewEvent {
                            occurred_on: *d,
                            kind: *k,
                            chronic: *c,
                            supersedes: None,
                        },
                    ));
                }
                touched.push((id, p.person.facts()));
                continue;
            };
            if rec.erased_at.is_some() {
                summary.people_erased_skipped += 1;
                continue;
            }
            let mut changed = false;
            let fields = changed_fields(&rec.person, &p.person);
            if !fields.is_empty() {
                let mut q = Query::update();
                q.table(a("case_people"));
                for (c, v) in person_values(&p.person) {
                    q.value(a(c), v);
                }
                q.value(a("updated_at"), now)
                    .and_where(Expr::col(a("id")).eq(rec.id));
                txn.execute(&q).await?;
                changed = true;
            }
            // The imported events in force now, against the export's.
            let own = history.remove(&rec.id).unwrap_or_default();
            let live: Vec<&super::events::EventRow> = own
                .iter()
                .filter(|e| {
                    e.source == Source::Hmis
                        && e.superseded_by.is_none()
                        && e.event.kind != EventKind::Void
                })
                .collect();
            let mut want: BTreeMap<Key, usize> = BTreeMap::new();
            for (d, k, c) in &p.events {
                *want.entry(key(*d, *k, *c)).or_default() += 1;
            }
            let mut have: BTreeMap<Key, usize> = BTreeMap::new();
            for e in &live {
                let k = key(e.event.occurred_on, e.event.kind, e.event.chronic);
                let wanted = want.get(&k).copied().unwrap_or(0);
                let n = have.entry(k).or_default();
                *n += 1;
                if *n > wanted {
                    new_events.push((
                        rec.id,
                        NewEvent {
                            occurred_on: e.event.occurred_on,
                            kind: EventKind::Void,
                            chronic: false,
                            supersedes: Some(e.event.id),
                        },
                    ));
                    summary.events_voided += 1;
                    changed = true;
                }
            }
            for (d, k, c) in &p.events {
                let kk = key(*d, *k, *c);
                let n = have.entry(kk).or_default();
                if *n > 0 {
                    *n -= 1;
                } else {
                    new_events.push((
                        rec.id,
                        NewEvent {
                            occurred_on: *d,
                            kind: *k,
                            chronic: *c,
                            supersedes: None,
                        },
                    ));
                    changed = true;
                }
            }
            if changed {
                summary.people_changed += 1;
                touched.push((rec.id, p.person.facts()));
                // The history with this import applied must still fit.
                let mut all: Vec<Event> = own.iter().map(|e| e.event.clone()).collect();
                let base = all.iter().map(|e| e.id).max().unwrap_or(0);
                for (i, (_, e)) in new_events
                    .iter()
                    .filter(|(pid, _)| *pid == rec.id)
                    .enumerate()
                {
                    all.push(Event {
                        id: base + 1 + i as i64,
                        occurred_on: e.occurred_on,
                        kind: e.kind,
                        chronic: e.chronic,
                        recorded_at: now.get(),
                        supersedes: e.supersedes,
                    });
                }
                if let Err(m) = rules::spells(&rules::effective(&all, None)) {
                    errors.add(
                        &format!("PersonalID {}", p.external_id),
                        m.code,
                        format!(
                            "with the events recorded in Backbone, the export does not fit: {}",
                            m.message
                        ),
                    );
                }
            } else {
                summary.people_unchanged += 1;
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        if summary.people_added == 0 && summary.people_changed == 0 && !summary.list_created {
            // Nothing to write: the same export again.
            return Ok(summary);
        }
        summary.events_added = new_events
            .iter()
            .filter(|(_, e)| e.kind != EventKind::Void)
            .count();
        let batch = insert_batch(
            txn,
            list,
            source.as_str(),
            Some(file_name),
            Some(file_hash),
            (
                summary.people_added,
                summary.people_changed,
                summary.events_added,
            ),
            actor,
            now,
        )
        .await?;
        summary.batch_id = Some(batch);
        insert_events(txn, list, batch, source, actor, now, &new_events).await?;
        // Spells: new people from their events as derived; changed ones from
        // their whole history as stored now.
        let fresh_ids: std::collections::HashSet<i64> = ids.values().copied().collect();
        let mut by_person: HashMap<i64, Vec<Event>> = HashMap::new();
        for (i, (pid, e)) in new_events.iter().enumerate() {
            if fresh_ids.contains(pid) {
                by_person.entry(*pid).or_default().push(Event {
                    id: i as i64 + 1,
                    occurred_on: e.occurred_on,
                    kind: e.kind,
                    chronic: e.chronic,
                    recorded_at: now.get(),
                    supersedes: None,
                });
            }
        }
        let changed_ids: Vec<i64> = touched
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| !fresh_ids.contains(p))
            .collect();
        for (p, v) in events_of(txn, &changed_ids).await? {
            by_person.insert(p, v.into_iter().map(|e| e.event).collect());
        }
        rebuild_spells(txn, list, &touched, &by_person).await?;
        audit::append(
            txn,
            actor,
            Some(initiative),
            "case_batch",
            batch,
            "import",
            None::<&()>,
            Some(&serde_json::json!({
                "list_id": list,
                "source": source,
                "file_name": file_name,
                "file_hash": file_hash,
                "people_added": summary.people_added,
                "people_changed": summary.people_changed,
                "events_added": summary.events_added,
                "events_voided": summary.events_voided,
            })),
        )
        .await?;
        Ok(summary)
    }
}
