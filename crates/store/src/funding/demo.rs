//! The demo's funding, in Kiryat Malachi (seed 000): the partnership's budget,
//! the Strategic Planning Unit "funded in full by Gazit Globe" in its first two
//! years and then "gradually transferred fully to the municipality" over three,
//! positions first paid from the Administration's budget and then by the
//! municipality, each funder's answers to the three questions of seed 004, and
//! a Wigan-style community investment fund with one round of applications.
//!
//! This file writes the registry records; the schedules ([`super::transitions`]),
//! the ledger ([`super::ledger`]) and the fund ([`super::fund`]) add their own.

use chrono::NaiveDate;
use sea_orm::DatabaseTransaction;

use domain::funding::records::{
    BudgetLine, Commitment, CommitmentStatus, CostItem, CostKind, Funder, FundingPublication,
};

use crate::Result;
use crate::records::create_in;

/// The organizations the demo's funding refers to.
pub(crate) struct Orgs {
    pub muni: i64,
    pub ministry: i64,
    pub rashi: i64,
    pub tauber: i64,
    pub gazit: i64,
}

/// What the registry part of the demo created, for the other parts to use.
pub(crate) struct Funding {
    pub initiative: i64,
    pub orgs: Orgs,
    pub municipality: i64,
    pub gazit: i64,
    pub rashi: i64,
    pub tauber: i64,
    /// Strategic Planning Unit (a unit).
    pub spu: i64,
    /// Early Childhood Coordinator (a position).
    pub early_coordinator: i64,
    /// Young People's Center director (a position).
    pub youth_director: i64,
    /// Local Initiative Coordinator (a position).
    pub initiative_coordinator: i64,
    /// Budget lines by (year, cost item or none, id), years 2017–2026.
    pub budget_lines: Vec<BudgetLineRef>,
}

pub(crate) struct BudgetLineRef {
    pub id: i64,
    pub year: i32,
    pub cost_item: Option<i64>,
    pub amount_minor: i64,
}

async fn new<T: domain::resource::Resource>(
    txn: &DatabaseTransaction,
    initiative: i64,
    value: T,
) -> Result<i64> {
    Ok(create_in(txn, None, Some(initiative), &value).await?.id)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid demo date")
}

const ILS: &str = "ILS";
/// New shekels in agorot.
fn nis(major: i64) -> i64 {
    major * 100
}

pub(crate) async fn kiryat_malachi(
    txn: &DatabaseTransaction,
    initiative: i64,
    orgs: Orgs,
) -> Result<()> {
    let funder = |name: &str, org: i64, own: &str, pays: &str, prio: &str| Funder {
        name: name.into(),
        organization_id: org,
        keeps_own_grants: own.into(),
        pays_for: pays.into(),
        priorities: prio.into(),
        answers_public: true,
    };
    let municipality = new(txn, initiative, funder(
        "Kiryat Malachi Municipality",
        orgs.muni,
        "Yes. Municipal departments keep their own budgets; the partnership's positions move into them by agreement.",
        "Positions and units that the partnership has shown to work, once their trial years end.",
        "The Administration proposes, the Steering Committee agrees, and the city council approves the municipal budget.",
    ))
    .await?;
    let ministry = new(
        txn,
        initiative,
        funder(
            "Ministry of Education",
            orgs.ministry,
            "Yes. Schools keep their ministry allocations.",
            "Programmes in schools that follow national curricula.",
            "National priorities, adapted with the Education Division.",
        ),
    )
    .await?;
    let gazit = new(
        txn,
        initiative,
        funder(
            "Gazit Globe",
            orgs.gazit,
            "Yes. We add to what partners have; we do not replace it.",
            "New units in their first years, until the municipality takes them over.",
            "Agreed in the Steering Committee on the Administration's objectives.",
        ),
    )
    .await?;
    let rashi = new(
        txn,
        initiative,
        funder(
            "Rashi Foundation",
            orgs.rashi,
            "Yes.",
            "The backbone: the Local Initiative Coordinator and data collection.",
            "By the shared agenda, reviewed every year with the partners.",
        ),
    )
    .await?;
    let tauber = new(
        txn,
        initiative,
        funder(
            "Joel Tauber Foundation",
            orgs.tauber,
            "Yes.",
            "Early childhood positions for a limited period.",
            "With the Early Childhood Director and the Administration.",
        ),
    )
    .await?;
    let item = |name: &str, kind, desc: &str| CostItem {
        name: name.into(),
        kind,
        currency: ILS.into(),
        recurring: true,
        description: desc.into(),
    };
    let spu = new(
        txn,
        initiative,
        item(
            "Strategic Planning Unit",
            CostKind::Unit,
            "A unit in the municipality: two planners and data collection.",
        ),
    )
    .await?;
    let early_coordinator = new(txn, initiative, item(
        "Early Childhood Coordinator",
        CostKind::Position,
        "Funded from the Administration's budget for a limited period, then by the municipality.",
    ))
    .await?;
    let youth_director = new(txn, initiative, item(
        "Young People's Center director",
        CostKind::Position,
        "The Center was set up by the philanthropic partners and now operates as a municipal body.",
    ))
    .await?;
    let initiative_coordinator = new(
        txn,
        initiative,
        item(
            "Local Initiative Coordinator",
            CostKind::Position,
            "Employed by an external body rather than by the municipality.",
        ),
    )
    .await?;
    // Yearly costs, for the budget lines.
    let costs: [(i64, &str, i64); 4] = [
        (spu, "Strategic Planning Unit", 600_000),
        (early_coordinator, "Early Childhood Coordinator", 240_000),
        (youth_director, "Young People's Center director", 220_000),
        (
            initiative_coordinator,
            "Local Initiative Coordinator",
            300_000,
        ),
    ];
    let mut budget_lines = vec![];
    for year in 2017..=2026 {
        let growth = 100 + 2 * (year as i64 - 2017);
        for (id, name, base) in costs {
            let amount_minor = nis(base * growth / 100);
            let line = new(
                txn,
                initiative,
                BudgetLine {
                    name: name.into(),
                    year,
                    amount_minor,
                    currency: ILS.into(),
                    objective_id: None,
                    activity_id: None,
                    cost_item_id: Some(id),
                },
            )
            .await?;
            budget_lines.push(BudgetLineRef {
                id: line,
                year,
                cost_item: Some(id),
                amount_minor,
            });
        }
        let amount_minor = nis(150_000 + 5_000 * (year as i64 - 2017));
        let line = new(
            txn,
            initiative,
            BudgetLine {
                name: "Programmes and activities".into(),
                year,
                amount_minor,
                currency: ILS.into(),
                objective_id: None,
                activity_id: None,
                cost_item_id: None,
            },
        )
        .await?;
        budget_lines.push(BudgetLineRef {
            id: line,
            year,
            cost_item: None,
            amount_minor,
        });
    }
    let commit =
        |title: &str, funder: i64, amount: i64, from: i32, to: i32, status, cost_item| Commitment {
            title: title.into(),
            funder_id: funder,
            amount_minor: nis(amount),
            currency: ILS.into(),
            starts_on: day(from, 1, 1),
            ends_on: day(to, 12, 31),
            status,
            signed_on: (status != CommitmentStatus::Pledged).then(|| day(from - 1, 11, 15)),
            objective_id: None,
            activity_id: None,
            cost_item_id: cost_item,
            reference: String::new(),
        };
    for (title, f, amount, from, to, status, item) in [
        (
            "Strategic Planning Unit, years 1–2",
            gazit,
            1_224_000,
            2017,
            2018,
            CommitmentStatus::Received,
            Some(spu),
        ),
        (
            "Strategic Planning Unit, transfer years",
            gazit,
            640_000,
            2019,
            2020,
            CommitmentStatus::Received,
            Some(spu),
        ),
        (
            "Strategic Planning Unit into the municipal budget",
            municipality,
            2_400_000,
            2019,
            2022,
            CommitmentStatus::Received,
            Some(spu),
        ),
        (
            "Early childhood positions, trial years",
            tauber,
            720_000,
            2017,
            2019,
            CommitmentStatus::Received,
            Some(early_coordinator),
        ),
        (
            "Early childhood positions, municipal",
            municipality,
            1_200_000,
            2020,
            2024,
            CommitmentStatus::Received,
            Some(early_coordinator),
        ),
        (
            "Backbone support",
            rashi,
            2_000_000,
            2017,
            2022,
            CommitmentStatus::Received,
            None,
        ),
        (
            "Backbone support, renewal",
            rashi,
            1_000_000,
            2023,
            2026,
            CommitmentStatus::Signed,
            None,
        ),
        (
            "School programmes",
            ministry,
            900_000,
            2018,
            2026,
            CommitmentStatus::Signed,
            None,
        ),
        (
            "Municipal positions, next term",
            municipality,
            2_600_000,
            2025,
            2028,
            CommitmentStatus::Pledged,
            None,
        ),
    ] {
        new(
            txn,
            initiative,
            commit(title, f, amount, from, to, status, item),
        )
        .await?;
    }
    new(txn, initiative, FundingPublication {
        publish_transitions: true,
        publish_book: true,
        note: "Who pays for the partnership's positions and units, year by year, and what was spent against what was planned.".into(),
    })
    .await?;
    let funding = Funding {
        initiative,
        orgs,
        municipality,
        gazit,
        rashi,
        tauber,
        spu,
        early_coordinator,
        youth_director,
        initiative_coordinator,
        budget_lines,
    };
    super::transitions::demo(txn, &funding).await?;
    super::ledger::demo(txn, &funding).await?;
    super::fund::demo(txn, &funding).await?;
    Ok(())
}
