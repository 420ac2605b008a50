//! People on a list: adding, changing, viewing (each view audited), erasing,
//! and the list as case workers work it.
//!
//! Audit entries about a person name the fields that changed, never their
//! values; erasing wipes the personal fields and keeps the events, so every
//! count holds and nothing personal remains (not even in the log).

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult};
use serde::Serialize;

use domain::cases::events::{EventKind, Spell};
use domain::cases::person::{Facts, Gender, HouseholdType, Person, Population, Race};

use super::events::{NewEvent, events_of, rebuild_spells};
use super::{a, list_in};
use crate::{Result, Store, StoreError, Timestamp, audit};

/// A person's record as case workers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRecord {
    pub id: i64,
    pub list_id: i64,
    /// The HMIS `PersonalID` for people who came from an import.
    pub external_id: Option<String>,
    #[serde(flatten)]
    pub person: Person,
    pub triage_score: i64,
    pub erased_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Where a person stands on the list today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Housed,
    Inactive,
    NoLongerMeetsCriteria,
    /// Added to the list, never identified.
    NotIdentified,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Housed => "housed",
            Status::Inactive => "inactive",
            Status::NoLongerMeetsCriteria => "no_longer_meets_criteria",
            Status::NotIdentified => "not_identified",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Active,
            Status::Housed,
            Status::Inactive,
            Status::NoLongerMeetsCriteria,
            Status::NotIdentified,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
    pub fn of(last: Option<&Spell>) -> Status {
        match last.map(|s| s.end) {
            None => Status::NotIdentified,
            Some(None) => Status::Active,
            Some(Some((_, EventKind::Housed))) => Status::Housed,
            Some(Some((_, EventKind::Inactive))) => Status::Inactive,
            Some(Some(_)) => Status::NoLongerMeetsCriteria,
        }
    }
}

/// One row of the list. `first_name`/`last_name` are `None` unless the
/// caller asked for names (case workers and coordinators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterRow {
    pub person_id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub status: Status,
    /// Start of the current (or last) spell.
    pub identified_on: Option<NaiveDate>,
    /// Days from the start of the active spell to today.
    pub days_active: Option<i64>,
    pub last_activity_on: Option<NaiveDate>,
    pub triage_score: i64,
    pub chronic: bool,
    pub veteran: bool,
    pub youth: bool,
    pub family: bool,
    pub erased: bool,
}

const PERSON_COLS: [&str; 18] = [
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
    "initiative_id",
];

fn codes<T>(s: &str, parse: fn(&str) -> Option<T>) -> Vec<T> {
    s.split(',').filter_map(|c| parse(c.trim())).collect()
}

fn join<T: Copy>(v: &[T], f: fn(T) -> &'static str) -> String {
    v.iter().map(|x| f(*x)).collect::<Vec<_>>().join(",")
}

pub(crate) fn record_of(r: &QueryResult) -> Result<PersonRecord> {
    let veteran: Option<i64> = r.try_get("", "veteran")?;
    let household: Option<String> = r.try_get("", "household_type")?;
    let race: String = r.try_get("", "race")?;
    let gender: String = r.try_get("", "gender")?;
    let ts = |c: &str| -> Result<Timestamp> {
        let t: chrono::DateTime<chrono::Utc> = r.try_get("", c)?;
        Ok(t.into())
    };
    let erased: Option<chrono::DateTime<chrono::Utc>> = r.try_get("", "erased_at")?;
    Ok(PersonRecord {
        id: r.try_get("", "id")?,
        list_id: r.try_get("", "list_id")?,
        external_id: r.try_get("", "external_id")?,
        person: Person {
            first_name: r.try_get("", "first_name")?,
            last_name: r.try_get("", "last_name")?,
            date_of_birth: r.try_get("", "date_of_birth")?,
            veteran: veteran.map(|v| v == 1),
            household_type: household.as_deref().and_then(HouseholdType::parse),
            race: codes(&race, Race::parse),
            gender: codes(&gender, Gender::parse),
            consent_on: r.try_get("", "consent_on")?,
            consent_scope: r.try_get("", "consent_scope")?,
            consent_expires_on: r.try_get("", "consent_expires_on")?,
        },
        triage_score: r.try_get("", "triage_score")?,
        erased_at: erased.map(Into::into),
        created_at: ts("created_at")?,
        updated_at: ts("updated_at")?,
    })
}

/// The columns a person's fields are written to, with their values.
pub(crate) fn person_values(p: &Person) -> Vec<(&'static str, sea_orm::sea_query::Value)> {
    vec![
        ("first_name", p.first_name.clone().into()),
        ("last_name", p.last_name.clone().into()),
        ("date_of_birth", p.date_of_birth.into()),
        ("veteran", p.veteran.map(i64::from).into()),
        (
            "household_type",
            p.household_type.map(|h| h.as_str().to_string()).into(),
        ),
        ("race", join(&p.race, Race::as_str).into()),
        ("gender", join(&p.gender, Gender::as_str).into()),
        ("consent_on", p.consent_on.into()),
        ("consent_scope", p.consent_scope.clone().into()),
        ("consent_expires_on", p.consent_expires_on.into()),
    ]
}

/// The names of the fields that differ (never their values).
pub fn changed_fields(before: &Person, after: &Person) -> Vec<&'static str> {
    let b = person_values(before);
    let a = person_values(after);
    b.iter()
        .zip(&a)
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, _)| x.0)
        .collect()
}

pub(crate) async fn record_in(
    conn: &impl ConnectionTrait,
    list: i64,
    id: i64,
) -> Result<PersonRecord> {
    let q = Query::select()
        .columns(PERSON_COLS.map(a))
        .from(a("case_people"))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("list_id")).eq(list))
        .to_owned();
    record_of(&conn.query_one(&q).await?.ok_or(StoreError::NotFound)?)
}

/// Insert one person; gives the id.
pub(crate) async fn insert_person(
    txn: &sea_orm::DatabaseTransaction,
    initiative: i64,
    list: i64,
    external_id: Option<&str>,
    p: &Person,
    at: Timestamp,
) -> Result<i64> {
    let mut cols = vec!["list_id", "initiative_id", "external_id"];
    let mut vals: Vec<sea_orm::sea_query::Value> = vec![
        list.into(),
        initiative.into(),
        external_id.map(str::to_string).into(),
    ];
    for (c, v) in person_values(p) {
        cols.push(c);
        vals.push(v);
    }
    cols.extend(["triage_score", "created_at", "updated_at"]);
    vals.extend([0i64.into(), at.into(), at.into()]);
    crate::records::insert_id(
        txn,
        &Query::insert()
            .into_table(a("case_people"))
            .columns(cols.into_iter().map(a))
            .values_panic(vals.into_iter().map(Into::into))
            .returning_col(a("id"))
            .to_owned(),
    )
    .await
}

/// What an erased person's referral shows instead of its outcome and closed
/// reason.
pub const ERASED: &str = "(erased)";

impl Store {
    /// The audit entries about one person, newest first: every view and
    /// change of their record, for those who may read it (the entries name
    /// fields, never values).
    pub async fn case_person_history(
        &self,
        initiative: i64,
        person: i64,
        limit: u64,
    ) -> Result<Vec<crate::audit::Entry>> {
        self.audit(&crate::audit::Filter {
            initiative: Some(initiative),
            kind: Some("case_person".into()),
            record_id: Some(person),
            limit,
            ..Default::default()
        })
        .await
    }

    /// Add a person to a list, with an optional first event (usually
    /// `identified`): one transaction, one audit entry naming the fields given.
    pub async fn add_case_person(
        &self,
        initiative: i64,
        list: i64,
        actor: Option<i64>,
        person: &Person,
        first: Option<&NewEvent>,
    ) -> Result<i64> {
        let txn = self.write_txn().await?;
        list_in(&txn, initiative, list).await?;
        let at = crate::now();
        let id = insert_person(&txn, initiative, list, None, person, at).await?;
        let fields = changed_fields(&Person::default(), person);
        if let Some(e) = first {
            if e.kind != EventKind::Identified {
                return Err(StoreError::Invalid(
                    domain::validation::FieldErrors::single(
                        "kind",
                        "not_active",
                        "a person's first event is identified",
                    ),
                ));
            }
            let batch =
                super::insert_batch(&txn, list, "manual", None, None, (1, 0, 1), actor, at).await?;
            super::events::insert_events(
                &txn,
                list,
                batch,
                domain::cases::events::Source::Manual,
                actor,
                at,
                &[(id, e.clone())],
            )
            .await?;
            let evs = events_of(&txn, &[id]).await?;
            let plain = evs
                .into_iter()
                .map(|(p, v)| (p, v.into_iter().map(|e| e.event).collect()))
                .collect();
            rebuild_spells(&txn, list, &[(id, person.facts())], &plain).await?;
        }
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "case_person",
            id,
            "create",
            None::<&()>,
            Some(&serde_json::json!({ "list_id": list, "fields": fields })),
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Change a person's fields; the audit entry names the fields changed.
    pub async fn update_case_person(
        &self,
        initiative: i64,
        list: i64,
        id: i64,
        actor: Option<i64>,
        person: &Person,
    ) -> Result<PersonRecord> {
        let txn = self.write_txn().await?;
        list_in(&txn, initiative, list).await?;
        let before = record_in(&txn, list, id).await?;
        if before.erased_at.is_some() {
            return Err(StoreError::Invalid(
                domain::validation::FieldErrors::single(
                    "person_id",
                    "erased",
                    "this person's record was erased",
                ),
            ));
        }
        let fields = changed_fields(&before.person, person);
        if !fields.is_empty() {
            let mut q = Query::update();
            q.table(a("case_people"));
            for (c, v) in person_values(person) {
                q.value(a(c), v);
            }
            q.value(a("updated_at"), crate::now())
                .and_where(Expr::col(a("id")).eq(id));
            txn.execute(&q).await?;
            if fields
                .iter()
                .any(|f| ["date_of_birth", "veteran", "household_type"].contains(f))
            {
                let evs = events_of(&txn, &[id]).await?;
                let plain = evs
                    .into_iter()
                    .map(|(p, v)| (p, v.into_iter().map(|e| e.event).collect()))
                    .collect();
                rebuild_spells(&txn, list, &[(id, person.facts())], &plain).await?;
            }
            audit::append(
                &txn,
                actor,
                Some(initiative),
                "case_person",
                id,
                "update",
                None::<&()>,
                Some(&serde_json::json!({ "fields": fields })),
            )
            .await?;
        }
        let after = record_in(&txn, list, id).await?;
        txn.commit().await?;
        Ok(after)
    }

    /// A person's record for someone allowed to read it: the read is audited
    /// (who, which person, when, and why: `view` or `export`).
    pub async fn view_case_person(
        &self,
        initiative: i64,
        list: i64,
        id: i64,
        actor: Option<i64>,
    ) -> Result<PersonRecord> {
        list_in(&self.db, initiative, list).await?;
        let r = record_in(&self.db, list, id).await?;
        let txn = self.write_txn().await?;
        audit::append_read(&txn, actor, initiative, "case_person", id, "view", None).await?;
        txn.commit().await?;
        Ok(r)
    }

    /// Erase a person on request: names, date of birth, race, gender, consent,
    /// the HMIS id, case-conference notes and the free text of their
    /// referrals (outcome, closed reason: replaced by [`ERASED`]) are wiped;
    /// veteran status, household type, the events and the referrals' dates
    /// stay, anonymous, so every count and measure holds.
    pub async fn erase_case_person(
        &self,
        initiative: i64,
        list: i64,
        id: i64,
        actor: Option<i64>,
    ) -> Result<()> {
        let txn = self.write_txn().await?;
        list_in(&txn, initiative, list).await?;
        let before = record_in(&txn, list, id).await?;
        if before.erased_at.is_some() {
            return Ok(());
        }
        let kept = Person {
            veteran: before.person.veteran,
            household_type: before.person.household_type,
            ..Default::default()
        };
        let mut q = Query::update();
        q.table(a("case_people"));
        for (c, v) in person_values(&kept) {
            q.value(a(c), v);
        }
        let now = crate::now();
        q.value(a("external_id"), Option::<String>::None)
            .value(a("erased_at"), now)
            .value(a("updated_at"), now)
            .and_where(Expr::col(a("id")).eq(id));
        txn.execute(&q).await?;
        txn.execute(
            &Query::update()
                .table(a("case_conference_notes"))
                .values([(a("note"), "".into()), (a("next_steps"), "".into())])
                .and_where(Expr::col(a("person_id")).eq(id))
                .to_owned(),
        )
        .await?;
        // A referral's free text may describe the person: it is replaced by a
        // marker, so the referral still counts as having an outcome.
        for col in ["outcome", "closed_reason"] {
            txn.execute(
                &Query::update()
                    .table(a("case_referrals"))
                    .value(a(col), ERASED)
                    .and_where(Expr::col(a("person_id")).eq(id))
                    .and_where(Expr::col(a(col)).is_not_null())
                    .to_owned(),
            )
            .await?;
        }
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "case_person",
            id,
            "erase",
            None::<&()>,
            Some(&serde_json::json!({ "fields": changed_fields(&before.person, &kept) })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The list: every person with where they stand today, filtered by
    /// population and status, sorted by triage score then days active (both
    /// highest first). With `names`, the names come along and the view is
    /// audited as one entry (who saw the list, how many rows).
    #[allow(clippy::too_many_arguments)]
    pub async fn case_roster(
        &self,
        initiative: i64,
        list: i64,
        population: Population,
        status: Option<Status>,
        today: NaiveDate,
        names: Option<Option<i64>>,
    ) -> Result<Vec<RosterRow>> {
        list_in(&self.db, initiative, list).await?;
        let q = Query::select()
            .columns(
                [
                    "id",
                    "first_name",
                    "last_name",
                    "date_of_birth",
                    "veteran",
                    "household_type",
                    "triage_score",
                    "erased_at",
                ]
                .map(a),
            )
            .from(a("case_people"))
            .and_where(Expr::col(a("list_id")).eq(list))
            .order_by(a("id"), Order::Asc)
            .to_owned();
        let people = self.db.query_all(&q).await?;
        let spells = super::report::list_spells(&self.db, list).await?;
        let mut out = vec![];
        for r in &people {
            let id: i64 = r.try_get("", "id")?;
            let veteran: Option<i64> = r.try_get("", "veteran")?;
            let household: Option<String> = r.try_get("", "household_type")?;
            let erased: Option<chrono::DateTime<chrono::Utc>> = r.try_get("", "erased_at")?;
            let facts = Facts {
                veteran: veteran == Some(1),
                family: household.as_deref() == Some(HouseholdType::AdultsAndChildren.as_str()),
                date_of_birth: r.try_get("", "date_of_birth")?,
            };
            let own = spells.get(&id).map(Vec::as_slice).unwrap_or(&[]);
            let last = own.last();
            let st = Status::of(last.map(|s| &s.spell));
            if status.is_some_and(|want| want != st) {
                continue;
            }
            let in_population = match population {
                Population::All => true,
                _ => last.is_some_and(|s| s.counts(population, &facts)),
            };
            if !in_population {
                continue;
            }
            let with_names = names.is_some();
            out.push(RosterRow {
                person_id: id,
                first_name: if with_names {
                    r.try_get("", "first_name")?
                } else {
                    None
                },
                last_name: if with_names {
                    r.try_get("", "last_name")?
                } else {
                    None
                },
                status: st,
                identified_on: last.map(|s| s.spell.start),
                days_active: last
                    .filter(|s| s.spell.is_active())
                    .map(|s| (today - s.spell.start).num_days()),
                last_activity_on: last.map(|s| s.spell.last_activity),
                triage_score: r.try_get("", "triage_score")?,
                chronic: last.is_some_and(|s| s.spell.chronic),
                veteran: facts.veteran,
                youth: last.is_some_and(|s| s.youth),
                family: facts.family,
                erased: erased.is_some(),
            });
        }
        out.sort_by_key(|r| {
            (
                std::cmp::Reverse(r.triage_score),
                std::cmp::Reverse(r.days_active.unwrap_or(-1)),
                r.person_id,
            )
        });
        if let Some(actor) = names {
            let txn = self.write_txn().await?;
            audit::append_read(
                &txn,
                actor,
                initiative,
                "case_list",
                list,
                "view",
                Some(serde_json::json!({ "rows": out.len() })),
            )
            .await?;
            txn.commit().await?;
        }
        Ok(out)
    }
}
