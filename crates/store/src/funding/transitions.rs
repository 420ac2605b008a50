//! Each cost item's schedule of funder shares (`cost_item_years`,
//! `cost_item_shares`). A schedule is not a registry record: it is replaced
//! whole, in one transaction, with one audit entry (`cost_item_schedule`)
//! holding the schedule before and after. The rules are in
//! [`domain::funding::transitions`].

use std::collections::{BTreeMap, HashMap};

use chrono::Datelike;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use domain::funding::records::{Commitment, CostItem, Funder, FundingPublication};
use domain::funding::transitions::{
    self as rules, FunderInfo, ItemSchedule, Schedule, Share, Spent, YearPlan,
};
use domain::partnership::Sector;
use domain::resource::Record;
use domain::validation::FieldErrors;

use crate::records::{ListOptions, get_in};
use crate::{Result, Store, StoreError, audit};

fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// The audit entry's kind for a schedule change.
pub const AUDIT_KIND: &str = "cost_item_schedule";

/// Everything the transitions views read about one initiative.
#[derive(Debug, Clone)]
pub struct Transitions {
    /// Live cost items, by name, each with its schedule (empty when none).
    pub items: Vec<ItemSchedule>,
    /// Every funder of the initiative (archived ones too: old schedules name
    /// them), with whether it is public.
    pub funders: HashMap<i64, FunderInfo>,
    /// Live funders, by name: the columns of a schedule's form.
    pub live_funders: Vec<(i64, String)>,
    /// Live commitments.
    pub commitments: Vec<Commitment>,
    /// What the ledger says was spent on the cost items.
    pub spent: Vec<Spent>,
}

impl Transitions {
    pub fn funder_name(&self, id: i64) -> String {
        self.funders
            .get(&id)
            .map_or_else(|| format!("funder {id}"), |f| f.name.clone())
    }
    pub fn is_public(&self, id: i64) -> bool {
        self.funders.get(&id).is_some_and(|f| f.public)
    }
    pub fn item(&self, id: i64) -> Option<&ItemSchedule> {
        self.items.iter().find(|i| i.cost_item_id == id)
    }
}

/// A funder is public when its organization sits in the local or national
/// government sector.
pub fn public_sector(sector: &str) -> bool {
    sector == Sector::LocalGovernment.as_str() || sector == Sector::NationalGovernment.as_str()
}

/// Where a schedule's error sits in a request body: `years[2].cost`,
/// `years[2].shares` (the year's shares together) or `years[2].shares.14` (the
/// share of funder 14).
pub fn error_key(e: &rules::ScheduleError) -> String {
    match (e.field, e.funder_id) {
        ("share", Some(f)) => format!("years[{}].shares.{f}", e.row),
        (field, _) => format!("years[{}].{field}", e.row),
    }
}

/// All schedules of an initiative, by cost item: two queries.
pub(crate) async fn schedules_in(
    conn: &impl ConnectionTrait,
    initiative: i64,
) -> Result<BTreeMap<i64, Schedule>> {
    let years = conn
        .query_all(
            &Query::select()
                .columns([a("cost_item_id"), a("year"), a("cost_minor")])
                .from(a("cost_item_years"))
                .and_where(Expr::col(a("initiative_id")).eq(initiative))
                .order_by(a("cost_item_id"), Order::Asc)
                .order_by(a("year"), Order::Asc)
                .to_owned(),
        )
        .await?;
    let shares = conn
        .query_all(
            &Query::select()
                .columns([a("cost_item_id"), a("year"), a("funder_id"), a("share_bp")])
                .from(a("cost_item_shares"))
                .and_where(Expr::col(a("initiative_id")).eq(initiative))
                .order_by(a("cost_item_id"), Order::Asc)
                .order_by(a("year"), Order::Asc)
                .order_by(a("position"), Order::Asc)
                .to_owned(),
        )
        .await?;
    let mut by_key: BTreeMap<(i64, i32), Vec<Share>> = BTreeMap::new();
    for r in &shares {
        let item: i64 = r.try_get("", "cost_item_id")?;
        let year: i32 = r.try_get::<i64>("", "year")? as i32;
        by_key.entry((item, year)).or_default().push(Share {
            funder_id: r.try_get("", "funder_id")?,
            share_bp: r.try_get("", "share_bp")?,
        });
    }
    let mut out: BTreeMap<i64, Schedule> = BTreeMap::new();
    for r in &years {
        let item: i64 = r.try_get("", "cost_item_id")?;
        let year: i32 = r.try_get::<i64>("", "year")? as i32;
        out.entry(item).or_default().years.push(YearPlan {
            year,
            cost_minor: r.try_get("", "cost_minor")?,
            shares: by_key.remove(&(item, year)).unwrap_or_default(),
        });
    }
    Ok(out)
}

fn every() -> ListOptions {
    ListOptions {
        include_archived: true,
        ..ListOptions::all()
    }
}

/// Funders of the initiative (archived too) with whether each is public.
async fn funders_in(
    store: &Store,
    initiative: i64,
) -> Result<(Vec<Record<Funder>>, HashMap<i64, bool>)> {
    let funders = store.list::<Funder>(Some(initiative), every()).await?;
    let rows = store
        .db
        .query_all(
            &Query::select()
                .columns([a("id"), a("sector")])
                .from(a("organizations"))
                .and_where(Expr::col(a("initiative_id")).eq(initiative))
                .to_owned(),
        )
        .await?;
    let mut sector: HashMap<i64, String> = HashMap::new();
    for r in rows {
        sector.insert(r.try_get("", "id")?, r.try_get("", "sector")?);
    }
    let public = funders
        .iter()
        .map(|f| {
            let p = sector
                .get(&f.data.organization_id)
                .is_some_and(|s| public_sector(s));
            (f.id, p)
        })
        .collect();
    Ok((funders, public))
}

impl Store {
    /// Every schedule of an initiative, by cost item.
    pub async fn schedules(&self, initiative: i64) -> Result<BTreeMap<i64, Schedule>> {
        schedules_in(&self.db, initiative).await
    }

    /// One cost item's schedule (empty when it has none).
    pub async fn schedule(&self, initiative: i64, cost_item: i64) -> Result<Schedule> {
        get_in::<CostItem>(&self.db, Some(initiative), cost_item)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(self
            .schedules(initiative)
            .await?
            .remove(&cost_item)
            .unwrap_or_default())
    }

    /// What the transitions views read: live cost items with their schedules,
    /// funders (public or not), live commitments and the ledger's spending.
    /// A handful of queries, whatever the number of items.
    pub async fn transitions(&self, initiative: i64) -> Result<Transitions> {
        let items = self
            .list::<CostItem>(Some(initiative), ListOptions::all())
            .await?;
        let mut schedules = self.schedules(initiative).await?;
        let (funders, public) = funders_in(self, initiative).await?;
        let commitments = self
            .list::<Commitment>(Some(initiative), ListOptions::all())
            .await?
            .into_iter()
            .map(|c| c.data)
            .collect();
        let spent = self
            .spent_on_cost_items(initiative)
            .await?
            .into_iter()
            .map(|s| Spent {
                cost_item_id: s.cost_item_id,
                year: s.year,
                funder_id: s.funder_id,
                currency: s.currency,
                amount_minor: s.amount_minor,
            })
            .collect();
        let mut items: Vec<ItemSchedule> = items
            .into_iter()
            .map(|r| ItemSchedule {
                cost_item_id: r.id,
                schedule: schedules.remove(&r.id).unwrap_or_default(),
                name: r.data.name,
                currency: r.data.currency,
                recurring: r.data.recurring,
            })
            .collect();
        items.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then(a.cost_item_id.cmp(&b.cost_item_id))
        });
        let mut live_funders: Vec<(i64, String)> = funders
            .iter()
            .filter(|f| !f.archived)
            .map(|f| (f.id, f.data.name.clone()))
            .collect();
        live_funders.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let funders = funders
            .into_iter()
            .map(|f| {
                (
                    f.id,
                    FunderInfo {
                        name: f.data.name,
                        public: public.get(&f.id).copied().unwrap_or(false),
                    },
                )
            })
            .collect();
        Ok(Transitions {
            items,
            funders,
            live_funders,
            commitments,
            spent,
        })
    }

    /// What the funding page of the portal may show, for an initiative whose
    /// portal is published (the caller checks): the coordinator's publication,
    /// and the live funders whose answers are public, by name.
    pub async fn funding_portal(
        &self,
        initiative: i64,
    ) -> Result<(Option<FundingPublication>, Vec<Funder>)> {
        let publication = self
            .list::<FundingPublication>(Some(initiative), ListOptions::all())
            .await?
            .into_iter()
            .next()
            .map(|r| r.data);
        let mut funders: Vec<Funder> = self
            .list::<Funder>(Some(initiative), ListOptions::all())
            .await?
            .into_iter()
            .map(|r| r.data)
            .filter(|f| f.answers_public)
            .collect();
        funders.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((publication, funders))
    }

    /// Replace a cost item's schedule whole, in one transaction with one audit
    /// entry. Refused (nothing written): an archived or foreign cost item, a
    /// funder not of this initiative or archived, and anything
    /// [`rules::validate`] refuses.
    pub async fn set_schedule(
        &self,
        actor: Option<i64>,
        initiative: i64,
        cost_item: i64,
        schedule: &Schedule,
    ) -> Result<Schedule> {
        let txn = self.write_txn().await?;
        let after = set_schedule_in(&txn, actor, initiative, cost_item, schedule).await?;
        txn.commit().await?;
        Ok(after)
    }
}

pub(crate) async fn set_schedule_in(
    txn: &DatabaseTransaction,
    actor: Option<i64>,
    initiative: i64,
    cost_item: i64,
    schedule: &Schedule,
) -> Result<Schedule> {
    let item = get_in::<CostItem>(txn, Some(initiative), cost_item)
        .await?
        .ok_or(StoreError::NotFound)?;
    if item.archived {
        return Err(StoreError::Invalid(FieldErrors::single(
            "cost_item_id",
            "archived",
            format!(
                "{} is archived: restore it before changing its schedule",
                item.data.name
            ),
        )));
    }
    let select = |live: bool| {
        let mut q = Query::select();
        q.columns([a("id"), a("name")])
            .from(a("funders"))
            .and_where(Expr::col(a("initiative_id")).eq(initiative));
        if live {
            q.and_where(Expr::col(a("archived_at")).is_null());
        }
        q
    };
    let mut known: HashMap<i64, (String, bool)> = HashMap::new();
    for r in txn.query_all(&select(false)).await? {
        known.insert(r.try_get("", "id")?, (r.try_get("", "name")?, true));
    }
    for r in txn.query_all(&select(true)).await? {
        if let Some(k) = known.get_mut(&r.try_get::<i64>("", "id")?) {
            k.1 = false;
        }
    }
    let name = |f: i64| {
        known
            .get(&f)
            .map_or_else(|| format!("funder {f}"), |(n, _)| n.clone())
    };
    let checked = rules::validate(schedule.years.clone(), &name).map_err(|errors| {
        let mut e = FieldErrors::default();
        for x in errors {
            e.add(&error_key(&x), x.code, x.message);
        }
        StoreError::Invalid(e)
    })?;
    let mut errors = FieldErrors::default();
    for (row, y) in checked.years.iter().enumerate() {
        for s in &y.shares {
            match known.get(&s.funder_id) {
                None => errors.add(
                    &format!("years[{row}].shares.{}", s.funder_id),
                    "unknown_funder",
                    format!(
                        "{}: funder {} is not a funder of this initiative",
                        y.year, s.funder_id
                    ),
                ),
                Some((n, true)) => errors.add(
                    &format!("years[{row}].shares.{}", s.funder_id),
                    "archived_funder",
                    format!("{}: {n} is archived", y.year),
                ),
                Some(_) => {}
            }
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let before = schedules_in(txn, initiative)
        .await?
        .remove(&cost_item)
        .unwrap_or_default();
    for table in ["cost_item_shares", "cost_item_years"] {
        txn.execute(
            &Query::delete()
                .from_table(a(table))
                .and_where(Expr::col(a("cost_item_id")).eq(cost_item))
                .to_owned(),
        )
        .await?;
    }
    if !checked.years.is_empty() {
        let mut q = Query::insert();
        q.into_table(a("cost_item_years")).columns([
            a("cost_item_id"),
            a("initiative_id"),
            a("year"),
            a("cost_minor"),
        ]);
        for y in &checked.years {
            q.values_panic([
                cost_item.into(),
                initiative.into(),
                (y.year as i64).into(),
                y.cost_minor.into(),
            ]);
        }
        txn.execute(&q).await?;
    }
    let shares: Vec<(i32, usize, &Share)> = checked
        .years
        .iter()
        .flat_map(|y| {
            y.shares
                .iter()
                .enumerate()
                .map(move |(i, s)| (y.year, i, s))
        })
        .collect();
    for chunk in shares.chunks(500) {
        let mut q = Query::insert();
        q.into_table(a("cost_item_shares")).columns([
            a("cost_item_id"),
            a("initiative_id"),
            a("year"),
            a("funder_id"),
            a("share_bp"),
            a("position"),
        ]);
        for (year, position, s) in chunk {
            q.values_panic([
                cost_item.into(),
                initiative.into(),
                (*year as i64).into(),
                s.funder_id.into(),
                s.share_bp.into(),
                (*position as i64).into(),
            ]);
        }
        txn.execute(&q).await?;
    }
    audit::append(
        txn,
        actor,
        Some(initiative),
        AUDIT_KIND,
        cost_item,
        "update",
        Some(&before),
        Some(&checked),
    )
    .await?;
    Ok(checked)
}

/// This part of the Kiryat Malachi demo (see `super::demo`): the Strategic
/// Planning Unit paid in full by Gazit Globe in 2017–2018, then moved to the
/// municipality over three years (66/34, 33/67, 0/100); the Early Childhood
/// Coordinator paid by the Joel Tauber Foundation in 2017–2019, then by the
/// municipality; the Young People's Center director paid by Rashi and Gazit,
/// then half by the municipality, which takes it over whole next year — with
/// only a pledge signed so far, so the transitions page warns; the Local
/// Initiative Coordinator paid by Rashi. Costs follow the budget lines; years
/// run to next year.
pub(crate) async fn demo(txn: &DatabaseTransaction, f: &super::demo::Funding) -> Result<()> {
    use domain::funding::records::CommitmentStatus;
    let next = crate::now().get().date_naive().year() + 1;
    let last = std::cmp::max(next, 2027);
    // An item's cost in a year: its budget line, else the last line's growth carried on.
    let cost = |item: i64, year: i32| -> i64 {
        let mut lines: Vec<(i32, i64)> = f
            .budget_lines
            .iter()
            .filter(|l| l.cost_item == Some(item))
            .map(|l| (l.year, l.amount_minor))
            .collect();
        lines.sort();
        if let Some((_, amount)) = lines.iter().find(|(y, _)| *y == year) {
            return *amount;
        }
        match lines.as_slice() {
            [.., (y1, a1), (y2, a2)] if year > *y2 => {
                a2 + (a2 - a1) * (year - y2) as i64 / (y2 - y1) as i64
            }
            [(_, a), ..] => *a,
            [] => 0,
        }
    };
    let plan = |item: i64, shares_of: &dyn Fn(i32) -> Vec<(i64, i64)>| Schedule {
        years: (2017..=last)
            .map(|year| YearPlan {
                year,
                cost_minor: cost(item, year),
                shares: shares_of(year)
                    .into_iter()
                    .map(|(funder_id, share_bp)| Share {
                        funder_id,
                        share_bp,
                    })
                    .collect(),
            })
            .collect(),
    };
    let (gazit, muni, rashi, tauber) = (f.gazit, f.municipality, f.rashi, f.tauber);
    let spu = plan(f.spu, &|y| match y {
        ..=2018 => vec![(gazit, 10_000)],
        2019 => vec![(gazit, 6600), (muni, 3400)],
        2020 => vec![(gazit, 3300), (muni, 6700)],
        _ => vec![(muni, 10_000)],
    });
    let early = plan(f.early_coordinator, &|y| match y {
        ..=2019 => vec![(tauber, 10_000)],
        _ => vec![(muni, 10_000)],
    });
    let youth = plan(f.youth_director, &|y| match y {
        ..=2019 => vec![(rashi, 5000), (gazit, 5000)],
        y if y < next => vec![(rashi, 5000), (muni, 5000)],
        _ => vec![(muni, 10_000)],
    });
    let coordinator = plan(f.initiative_coordinator, &|_| vec![(rashi, 10_000)]);
    // The Center's commitments: its founders' and the municipality's first half.
    // The municipality's whole share from next year is only pledged (see
    // `super::demo`), which is what the warning is about.
    let day = |y: i32, m: u32, d: u32| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a date");
    for (title, funder, amount, from, to) in [
        (
            "Young People's Center, founding years",
            gazit,
            33_000_000,
            2017,
            2019,
        ),
        (
            "Young People's Center into the municipal budget",
            muni,
            60_000_000,
            2020,
            next - 1,
        ),
    ] {
        crate::records::create_in(
            txn,
            None,
            Some(f.initiative),
            &Commitment {
                title: title.into(),
                funder_id: funder,
                amount_minor: amount,
                currency: "ILS".into(),
                starts_on: day(from, 1, 1),
                ends_on: day(to, 12, 31),
                status: CommitmentStatus::Received,
                signed_on: Some(day(from - 1, 11, 15)),
                objective_id: None,
                activity_id: None,
                cost_item_id: Some(f.youth_director),
                reference: String::new(),
            },
        )
        .await?;
    }
    for (item, schedule) in [
        (f.spu, spu),
        (f.early_coordinator, early),
        (f.youth_director, youth),
        (f.initiative_coordinator, coordinator),
    ] {
        set_schedule_in(txn, None, f.initiative, item, &schedule).await?;
    }
    Ok(())
}
