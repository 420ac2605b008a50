//! Monthly reports, their submission, the balance check and functional zero.
//!
//! Reports read the spells aggregate (one indexed read per list) unless a
//! cut-off is asked for: then the list's events are replayed as they were
//! recorded by that time (one indexed pass over the list's events).

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;

use domain::cases::events::{self as rules, Event, EventKind, Inflow, Spell};
use domain::cases::person::{Facts, HouseholdType, Population};
use domain::cases::report::{self, Balance, Month, MonthlyReport, Tenths};
use domain::cases::zero::{self, ZeroMonth};
use domain::validation::FieldErrors;

use super::events::{list_events, youth};
use super::{a, list_in};
use crate::{Result, Store, StoreError, Timestamp, audit};

/// A spell as the aggregate keeps it, with its youth flag (fixed when it was
/// written, so erasing a date of birth leaves historical counts alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSpell {
    pub spell: Spell,
    pub youth: bool,
}

impl StoredSpell {
    pub fn counts(&self, population: Population, facts: &Facts) -> bool {
        match population {
            Population::Youth => self.youth,
            p => p.counts(facts, &self.spell),
        }
    }
}

/// Every spell of the lists, per person, in order.
pub(crate) async fn lists_spells(
    conn: &impl ConnectionTrait,
    lists: &[i64],
) -> Result<HashMap<i64, Vec<StoredSpell>>> {
    spells_where(conn, Expr::col(a("list_id")).is_in(lists.to_vec())).await
}

/// One person's spells, in order.
pub(crate) async fn person_spells(
    conn: &impl ConnectionTrait,
    person: i64,
) -> Result<Vec<StoredSpell>> {
    Ok(spells_where(conn, Expr::col(a("person_id")).eq(person))
        .await?
        .remove(&person)
        .unwrap_or_default())
}

async fn spells_where(
    conn: &impl ConnectionTrait,
    filter: sea_orm::sea_query::SimpleExpr,
) -> Result<HashMap<i64, Vec<StoredSpell>>> {
    let q = Query::select()
        .columns(
            [
                "person_id",
                "seq",
                "start_on",
                "inflow",
                "end_on",
                "end_kind",
                "last_activity_on",
                "chronic",
                "youth",
            ]
            .map(a),
        )
        .from(a("case_spells"))
        .and_where(filter)
        .order_by(a("person_id"), Order::Asc)
        .order_by(a("seq"), Order::Asc)
        .to_owned();
    let mut out: HashMap<i64, Vec<StoredSpell>> = HashMap::new();
    for r in conn.query_all(&q).await? {
        let inflow: String = r.try_get("", "inflow")?;
        let end_on: Option<chrono::NaiveDate> = r.try_get("", "end_on")?;
        let end_kind: Option<String> = r.try_get("", "end_kind")?;
        let end = match (end_on, end_kind.as_deref().and_then(EventKind::parse)) {
            (Some(d), Some(k)) => Some((d, k)),
            _ => None,
        };
        out.entry(r.try_get("", "person_id")?)
            .or_default()
            .push(StoredSpell {
                spell: Spell {
                    start: r.try_get("", "start_on")?,
                    inflow: Inflow::parse(&inflow).unwrap_or(Inflow::NewlyIdentified),
                    end,
                    last_activity: r.try_get("", "last_activity_on")?,
                    chronic: r.try_get("", "chronic")?,
                },
                youth: r.try_get("", "youth")?,
            });
    }
    Ok(out)
}

pub(crate) async fn list_spells(
    conn: &impl ConnectionTrait,
    list: i64,
) -> Result<HashMap<i64, Vec<StoredSpell>>> {
    lists_spells(conn, &[list]).await
}

/// Each person's population facts (veteran, family, date of birth).
async fn lists_facts(conn: &impl ConnectionTrait, lists: &[i64]) -> Result<HashMap<i64, Facts>> {
    let q = Query::select()
        .columns(["id", "veteran", "household_type", "date_of_birth"].map(a))
        .from(a("case_people"))
        .and_where(Expr::col(a("list_id")).is_in(lists.to_vec()))
        .to_owned();
    let mut out = HashMap::new();
    for r in conn.query_all(&q).await? {
        let veteran: Option<i64> = r.try_get("", "veteran")?;
        let household: Option<String> = r.try_get("", "household_type")?;
        out.insert(
            r.try_get("", "id")?,
            Facts {
                veteran: veteran == Some(1),
                family: household.as_deref() == Some(HouseholdType::AdultsAndChildren.as_str()),
                date_of_birth: r.try_get("", "date_of_birth")?,
            },
        );
    }
    Ok(out)
}

/// The reports of `from` through `to` from the spells aggregate, counted in
/// SQL: spells starting per month and inflow, spells ending per month and
/// ending (with their days to housing), a few hundred rows whatever the size
/// of the lists. Active at the end of month M = spells started by M − spells
/// ended by M (a spell ending by M started by M).
async fn aggregate(
    conn: &impl ConnectionTrait,
    lists: &[i64],
    population: Population,
    from: Month,
    to: Month,
) -> Result<Vec<MonthlyReport>> {
    let filter = |q: &mut sea_orm::sea_query::SelectStatement| {
        q.from(a("case_spells"))
            .and_where(Expr::col(a("list_id")).is_in(lists.to_vec()));
        match population {
            Population::All => {}
            Population::Veterans => {
                q.and_where(Expr::col(a("veteran")).eq(true));
            }
            Population::Chronic => {
                q.and_where(Expr::col(a("chronic")).eq(true));
            }
            Population::Youth => {
                q.and_where(Expr::col(a("youth")).eq(true));
            }
            Population::Families => {
                q.and_where(Expr::col(a("family")).eq(true));
            }
        }
    };
    let (lo, hi) = (from.index(), to.index());
    let n = Ord::max(hi - lo + 1, 0) as usize;
    let mut out: Vec<MonthlyReport> = from.through(to).map(MonthlyReport::empty).collect();
    let mut started_before = 0i64;
    let mut ended_before = 0i64;
    let mut starts = vec![0i64; n];
    let mut ends = vec![0i64; n];
    let mut housed_days = vec![0i64; n];
    let mut q = Query::select();
    q.column(a("start_month"))
        .column(a("inflow"))
        .expr(Expr::cust("COUNT(*)"));
    filter(&mut q);
    q.and_where(Expr::col(a("start_month")).lte(hi))
        .group_by_col(a("start_month"))
        .group_by_col(a("inflow"));
    for r in conn.query_all(&q).await? {
        let m: i64 = r.try_get_by_index(0)?;
        let inflow: String = r.try_get_by_index(1)?;
        let c: i64 = r.try_get_by_index(2)?;
        if m < lo {
            started_before += c;
            continue;
        }
        let i = (m - lo) as usize;
        starts[i] += c;
        let r = &mut out[i];
        match Inflow::parse(&inflow) {
            Some(Inflow::NewlyIdentified) => r.newly_identified += c as u64,
            Some(Inflow::ReturnedFromHousing) => r.returned_from_housing += c as u64,
            _ => r.returned_from_inactive += c as u64,
        }
    }
    let mut q = Query::select();
    q.column(a("end_month"))
        .column(a("end_kind"))
        .expr(Expr::cust("COUNT(*)"))
        .expr(Expr::cust("CAST(COALESCE(SUM(housed_days), 0) AS BIGINT)"));
    filter(&mut q);
    q.and_where(Expr::col(a("end_month")).is_not_null())
        .and_where(Expr::col(a("end_month")).lte(hi))
        .group_by_col(a("end_month"))
        .group_by_col(a("end_kind"));
    for r in conn.query_all(&q).await? {
        let m: i64 = r.try_get_by_index(0)?;
        let kind: String = r.try_get_by_index(1)?;
        let c: i64 = r.try_get_by_index(2)?;
        let days: i64 = r.try_get_by_index(3)?;
        if m < lo {
            ended_before += c;
            continue;
        }
        let i = (m - lo) as usize;
        ends[i] += c;
        let r = &mut out[i];
        match EventKind::parse(&kind) {
            Some(EventKind::Housed) => {
                r.housing_placements += c as u64;
                housed_days[i] += days;
            }
            Some(EventKind::Inactive) => r.moved_to_inactive += c as u64,
            _ => r.no_longer_meets_criteria += c as u64,
        }
    }
    let mut active = started_before - ended_before;
    for (i, r) in out.iter_mut().enumerate() {
        active += starts[i] - ends[i];
        r.actively_homeless = Ord::max(active, 0) as u64;
        r.avg_days_identification_to_housing =
            Tenths::mean(housed_days[i], r.housing_placements as i64);
    }
    Ok(out)
}

/// The reports from spells already filtered for the population.
fn compute(
    spells: &HashMap<i64, Vec<StoredSpell>>,
    facts: &HashMap<i64, Facts>,
    population: Population,
    from: Month,
    to: Month,
) -> Vec<MonthlyReport> {
    let kept: Vec<Vec<Spell>> = spells
        .iter()
        .map(|(p, v)| {
            let f = facts.get(p).copied().unwrap_or_default();
            v.iter()
                .filter(|s| s.counts(population, &f))
                .map(|s| s.spell.clone())
                .collect()
        })
        .collect();
    report::monthly(
        kept.iter().map(|v| (Facts::default(), v.as_slice())),
        Population::All,
        from,
        to,
    )
}

/// An event recorded after last month's report was submitted (its id is
/// above the newest the submitted figures saw) that changed
/// what that report counted (dated on or before its last day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backdated {
    pub event_id: i64,
    pub person_id: i64,
    pub kind: EventKind,
    pub occurred_on: chrono::NaiveDate,
    pub recorded_at: Timestamp,
    pub supersedes: Option<i64>,
}

/// The balance check of a month against last month's submitted report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceCheck {
    #[serde(flatten)]
    pub balance: Balance,
    pub previous_submitted_at: Timestamp,
    pub backdated: Vec<Backdated>,
}

/// A submitted (frozen) report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submitted {
    #[serde(flatten)]
    pub report: MonthlyReport,
    pub population: Population,
    pub submitted_at: Timestamp,
    pub submitted_by: Option<i64>,
    /// The id of the newest event of the list when it was submitted.
    #[serde(skip)]
    pub events_through: i64,
}

fn check_range(from: Month, to: Month) -> Result<()> {
    if to < from {
        return Err(StoreError::Invalid(FieldErrors::single(
            "to",
            "before_start",
            "to must not be before from",
        )));
    }
    if from.until(to) >= 1200 {
        return Err(StoreError::Invalid(FieldErrors::single(
            "to",
            "too_long",
            "at most 100 years of months",
        )));
    }
    Ok(())
}

impl Store {
    /// The monthly reports of one list and population, `from` through `to`.
    /// With a cut-off, only events recorded by then count (and corrections
    /// recorded later do not apply).
    #[allow(clippy::too_many_arguments)]
    pub async fn case_monthly(
        &self,
        initiative: i64,
        list: i64,
        population: Population,
        from: Month,
        to: Month,
        cut_off: Option<Timestamp>,
    ) -> Result<Vec<MonthlyReport>> {
        check_range(from, to)?;
        list_in(&self.db, initiative, list).await?;
        let Some(c) = cut_off else {
            return aggregate(&self.db, &[list], population, from, to).await;
        };
        let facts = lists_facts(&self.db, &[list]).await?;
        let stored = list_spells(&self.db, list).await?;
        let events = list_events(&self.db, list).await?;
        let spells = replay_at(&events, &stored, &facts, c);
        Ok(compute(&spells, &facts, population, from, to))
    }

    /// The same figures over several lists at once (a network's rollup).
    pub async fn case_monthly_lists(
        &self,
        lists: &[i64],
        population: Population,
        from: Month,
        to: Month,
    ) -> Result<Vec<MonthlyReport>> {
        check_range(from, to)?;
        aggregate(&self.db, lists, population, from, to).await
    }

    /// Freeze a month's report as computed now. A month is submitted once,
    /// after it has ended.
    pub async fn submit_case_report(
        &self,
        initiative: i64,
        list: i64,
        population: Population,
        month: Month,
        actor: Option<i64>,
        today: chrono::NaiveDate,
    ) -> Result<Submitted> {
        if month.last_day() >= today {
            return Err(StoreError::Invalid(FieldErrors::single(
                "month",
                "not_over",
                format!("{month} is not over yet; submit it once it has ended"),
            )));
        }
        let r = self
            .case_monthly(initiative, list, population, month, month, None)
            .await?
            .remove(0);
        let txn = self.write_txn().await?;
        let exists = Query::select()
            .column(a("id"))
            .from(a("case_reports"))
            .and_where(Expr::col(a("list_id")).eq(list))
            .and_where(Expr::col(a("population")).eq(population.as_str()))
            .and_where(Expr::col(a("month")).eq(month.to_string()))
            .to_owned();
        if txn.query_one(&exists).await?.is_some() {
            return Err(StoreError::Invalid(FieldErrors::single(
                "month",
                "submitted",
                format!(
                    "the {} report of {month} was already submitted",
                    population.as_str()
                ),
            )));
        }
        let now = crate::now();
        // The newest event the figures saw: later ones are what the balance
        // check lists as recorded after submission.
        let through = txn
            .query_one(
                &Query::select()
                    .expr(Expr::cust("COALESCE(MAX(id), 0)"))
                    .from(a("case_events"))
                    .and_where(Expr::col(a("list_id")).eq(list))
                    .to_owned(),
            )
            .await?
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        let id = crate::records::insert_id(
            &txn,
            &Query::insert()
                .into_table(a("case_reports"))
                .columns(
                    [
                        "list_id",
                        "population",
                        "month",
                        "actively_homeless",
                        "newly_identified",
                        "returned_from_housing",
                        "returned_from_inactive",
                        "housing_placements",
                        "moved_to_inactive",
                        "no_longer_meets_criteria",
                        "avg_days_tenths",
                        "events_through",
                        "submitted_by",
                        "submitted_at",
                    ]
                    .map(a),
                )
                .values_panic([
                    list.into(),
                    population.as_str().into(),
                    month.to_string().into(),
                    (r.actively_homeless as i64).into(),
                    (r.newly_identified as i64).into(),
                    (r.returned_from_housing as i64).into(),
                    (r.returned_from_inactive as i64).into(),
                    (r.housing_placements as i64).into(),
                    (r.moved_to_inactive as i64).into(),
                    (r.no_longer_meets_criteria as i64).into(),
                    r.avg_days_identification_to_housing.map(|t| t.0).into(),
                    through.into(),
                    actor.into(),
                    now.into(),
                ])
                .returning_col(a("id"))
                .to_owned(),
        )
        .await?;
        let submitted = Submitted {
            report: r,
            population,
            submitted_at: now,
            submitted_by: actor,
            events_through: through,
        };
        audit::append(
            &txn,
            actor,
            Some(initiative),
            "case_report",
            id,
            "submit",
            None::<&()>,
            Some(&submitted),
        )
        .await?;
        txn.commit().await?;
        Ok(submitted)
    }

    /// The submitted reports of a list and population, oldest month first.
    pub async fn submitted_case_reports(
        &self,
        initiative: i64,
        list: i64,
        population: Population,
    ) -> Result<Vec<Submitted>> {
        list_in(&self.db, initiative, list).await?;
        let q = Query::select()
            .columns(
                [
                    "month",
                    "actively_homeless",
                    "newly_identified",
                    "returned_from_housing",
                    "returned_from_inactive",
                    "housing_placements",
                    "moved_to_inactive",
                    "no_longer_meets_criteria",
                    "avg_days_tenths",
                    "events_through",
                    "submitted_by",
                    "submitted_at",
                ]
                .map(a),
            )
            .from(a("case_reports"))
            .and_where(Expr::col(a("list_id")).eq(list))
            .and_where(Expr::col(a("population")).eq(population.as_str()))
            .order_by(a("month"), Order::Asc)
            .to_owned();
        let mut out = vec![];
        for r in self.db.query_all(&q).await? {
            let month: String = r.try_get("", "month")?;
            let n = |c: &str| -> Result<u64> { Ok(r.try_get::<i64>("", c)? as u64) };
            let avg: Option<i64> = r.try_get("", "avg_days_tenths")?;
            let at: chrono::DateTime<chrono::Utc> = r.try_get("", "submitted_at")?;
            out.push(Submitted {
                report: MonthlyReport {
                    month: Month::parse(&month).unwrap_or(Month {
                        year: 1970,
                        month: 1,
                    }),
                    actively_homeless: n("actively_homeless")?,
                    newly_identified: n("newly_identified")?,
                    returned_from_housing: n("returned_from_housing")?,
                    returned_from_inactive: n("returned_from_inactive")?,
                    housing_placements: n("housing_placements")?,
                    moved_to_inactive: n("moved_to_inactive")?,
                    no_longer_meets_criteria: n("no_longer_meets_criteria")?,
                    avg_days_identification_to_housing: avg.map(Tenths),
                },
                population,
                submitted_at: at.into(),
                submitted_by: r.try_get("", "submitted_by")?,
                events_through: r.try_get("", "events_through")?,
            });
        }
        Ok(out)
    }

    /// The balance check of `month`: last month's submitted active count plus
    /// this month's inflow minus its outflow, against this month's computed
    /// active count, with the events recorded after last month's submission
    /// that are dated on or before its last day (they explain a gap). `None`
    /// when last month was not submitted.
    pub async fn case_balance(
        &self,
        initiative: i64,
        list: i64,
        population: Population,
        month: Month,
    ) -> Result<Option<BalanceCheck>> {
        let submitted = self
            .submitted_case_reports(initiative, list, population)
            .await?;
        let Some(prev) = submitted.iter().find(|s| s.report.month == month.prev()) else {
            return Ok(None);
        };
        let this = self
            .case_monthly(initiative, list, population, month, month, None)
            .await?
            .remove(0);
        let balance = report::balance(prev.report.actively_homeless, &this);
        let events = list_events(&self.db, list).await?;
        let last_day = month.prev().last_day();
        let dated: HashMap<i64, chrono::NaiveDate> = events
            .values()
            .flatten()
            .map(|e| (e.id, e.occurred_on))
            .collect();
        let mut backdated = vec![];
        for (person, evs) in &events {
            for e in evs {
                let at: Timestamp = e.recorded_at.into();
                let touches = e.occurred_on <= last_day
                    || e.supersedes
                        .and_then(|s| dated.get(&s))
                        .is_some_and(|d| *d <= last_day);
                if e.id > prev.events_through && touches {
                    backdated.push(Backdated {
                        event_id: e.id,
                        person_id: *person,
                        kind: e.kind,
                        occurred_on: e.occurred_on,
                        recorded_at: at,
                        supersedes: e.supersedes,
                    });
                }
            }
        }
        backdated.sort_by_key(|b| b.event_id);
        Ok(Some(BalanceCheck {
            balance,
            previous_submitted_at: prev.submitted_at,
            backdated,
        }))
    }

    /// Functional zero for veterans and chronic, `from` through `to`.
    pub async fn case_functional_zero(
        &self,
        initiative: i64,
        list: i64,
        from: Month,
        to: Month,
    ) -> Result<Vec<ZeroMonth>> {
        check_range(from, to)?;
        let l = list_in(&self.db, initiative, list).await?;
        let first = self
            .db
            .query_one(
                &Query::select()
                    .expr(Expr::cust("MIN(start_month)"))
                    .from(a("case_spells"))
                    .and_where(Expr::col(a("list_id")).eq(list))
                    .to_owned(),
            )
            .await?
            .map(|r| r.try_get_by_index::<Option<i64>>(0))
            .transpose()?
            .flatten();
        let history = first.map(Month::from_index);
        // Start early enough for the 6-month window and the months held.
        let start = history.map_or(from, |h| h.min(from));
        let v = aggregate(&self.db, &[list], Population::Veterans, start, to).await?;
        let c = aggregate(&self.db, &[list], Population::Chronic, start, to).await?;
        let all = zero::functional_zero(&v, &c, history, l.veteran_comparator, l.pit_count);
        Ok(all.into_iter().filter(|z| z.month >= from).collect())
    }
}

/// Replay every person's events as recorded by `cut_off`. Youth comes from
/// the date of birth, or for an erased person from the stored spell that
/// starts the same day.
fn replay_at(
    events: &HashMap<i64, Vec<Event>>,
    stored: &HashMap<i64, Vec<StoredSpell>>,
    facts: &HashMap<i64, Facts>,
    cut_off: Timestamp,
) -> HashMap<i64, Vec<StoredSpell>> {
    let mut out = HashMap::new();
    for (person, evs) in events {
        let dob = facts.get(person).and_then(|f| f.date_of_birth);
        let (spells, _) = rules::replay(&rules::effective(evs, Some(cut_off.get())));
        let kept = stored.get(person);
        let rows = spells
            .into_iter()
            .map(|s| {
                let y = match dob {
                    Some(_) => youth(dob, &s),
                    None => kept
                        .into_iter()
                        .flatten()
                        .any(|k| k.youth && k.spell.start == s.start),
                };
                StoredSpell { spell: s, youth: y }
            })
            .collect();
        out.insert(*person, rows);
    }
    out
}
