//! Riverside Zero's by-name list: a year and a half of a community's list
//! (a few hundred invented people) with plausible flows — outreach identifies
//! people every week, most are contacted every few weeks, some are housed,
//! some go inactive after 90 days without contact, a few return.
//!
//! Written through the import path (as the Continuum of Care's HMIS export
//! would be), in the demo's one transaction. Deterministic: the same list on
//! every start. The list has a triage tool with every active person answered,
//! and the partnership's referrals from outreach to coordinated entry and the
//! housing authority, where one neighbourhood waits longer than the others.

use chrono::NaiveDate;
use sea_orm::DatabaseTransaction;

use domain::cases::events::{EventKind, Source};
use domain::cases::person::{Gender, HouseholdType, Person, Race};
use domain::cases::referrals::{Referral, RiskLevel};
use domain::cases::triage::Question;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};

use super::a;
use super::import::{Incoming, import_in};
use crate::Result;

const FIRST: &[&str] = &[
    "Alex", "Jordan", "Maria", "James", "Aisha", "Luis", "Grace", "Tyrone", "Mei", "Samuel",
    "Rosa", "Daniel", "Fatima", "Kevin", "Linda", "Marcus", "Ana", "Robert", "Keisha", "Omar",
    "Patricia", "Jamal", "Sofia", "Michael", "Dolores", "Andre", "Hannah", "Victor", "Tanya",
    "Ethan", "Yolanda", "Carlos", "Brenda", "Isaiah", "Nadia", "Troy",
];
const LAST: &[&str] = &[
    "Rivera",
    "Johnson",
    "Nguyen",
    "Williams",
    "Garcia",
    "Brown",
    "Okafor",
    "Davis",
    "Martinez",
    "Chen",
    "Lopez",
    "Wilson",
    "Ahmed",
    "Anderson",
    "Thomas",
    "Hernandez",
    "Moore",
    "Jackson",
    "Kowalski",
    "White",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
];

/// A small deterministic generator (a linear congruential one).
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    /// 0..n
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `percent` %.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn d(s: &str) -> NaiveDate {
    s.parse().expect("a demo date")
}

fn days(n: u64) -> chrono::Duration {
    chrono::Duration::days(n as i64)
}

/// One invented person's events, following the same rules an HMIS import
/// derives (inactivity after more than 90 days without contact).
fn history(
    dice: &mut Dice,
    start: NaiveDate,
    end: NaiveDate,
    chronic: bool,
) -> Vec<(NaiveDate, EventKind, bool)> {
    let mut out = vec![(start, EventKind::Identified, chronic)];
    let mut last = start;
    let mut active = true;
    let mut day = start;
    loop {
        let gap = if active {
            5 + dice.below(110)
        } else {
            60 + dice.below(200)
        };
        day += days(gap);
        if day > end {
            break;
        }
        if !active {
            if dice.chance(35) {
                out.push((day, EventKind::Identified, chronic));
                last = day;
                active = true;
            } else {
                break;
            }
            continue;
        }
        if (day - last).num_days() > 90 {
            out.push((last + days(90), EventKind::Inactive, false));
            active = false;
            continue;
        }
        let roll = dice.below(100);
        if roll < 15 {
            out.push((day, EventKind::Housed, false));
            active = false;
        } else if roll < 17 {
            out.push((day, EventKind::NoLongerMeetsCriteria, false));
            active = false;
        } else {
            out.push((day, EventKind::Contact, chronic));
            last = day;
        }
    }
    if active && (end - last).num_days() > 90 {
        out.push((last + days(90), EventKind::Inactive, false));
    }
    out
}

/// The list "Riverside by-name list" of the Riverside Zero initiative, its
/// triage tool, and referrals between `orgs`: outreach, the Continuum of
/// Care and the housing authority.
pub(crate) async fn riverside_zero(
    txn: &DatabaseTransaction,
    initiative: i64,
    orgs: [i64; 3],
) -> Result<()> {
    let mut dice = Dice(2026);
    let (first_day, end) = (d("2025-06-01"), d("2026-11-20"));
    let span = (end - first_day).num_days() as u64 - 7;
    let mut people = vec![];
    for n in 0..320u64 {
        let start = first_day + days(dice.below(span));
        let veteran = dice.chance(12);
        let family = dice.chance(14);
        let chronic = dice.chance(25);
        let age = if dice.chance(18) {
            18 + dice.below(7)
        } else {
            25 + dice.below(46)
        };
        let birth = start - days(age * 365 + dice.below(360));
        let race = match dice.below(10) {
            0..=3 => vec![Race::BlackAfAmerican],
            4..=5 => vec![Race::White],
            6..=7 => vec![Race::HispanicLatinaeo, Race::White],
            8 => vec![Race::AmIndAkNative],
            _ => vec![Race::Asian],
        };
        let gender = if dice.chance(62) {
            vec![Gender::Man]
        } else if dice.chance(95) {
            vec![Gender::Woman]
        } else {
            vec![Gender::NonBinary]
        };
        let person = Person {
            first_name: Some(FIRST[dice.below(FIRST.len() as u64) as usize].to_string()),
            last_name: Some(LAST[dice.below(LAST.len() as u64) as usize].to_string()),
            date_of_birth: Some(birth),
            veteran: Some(veteran),
            household_type: Some(if family {
                HouseholdType::AdultsAndChildren
            } else {
                HouseholdType::Individual
            }),
            race,
            gender,
            consent_on: Some(start),
            consent_scope: Some("By-name list and case conferencing".into()),
            consent_expires_on: Some(start + days(730)),
        };
        people.push(Incoming {
            external_id: format!("RZ-{:05}", 10_000 + n),
            person,
            events: history(&mut dice, start, end, chronic),
        });
    }
    let summary = import_in(
        txn,
        initiative,
        "Riverside by-name list",
        None,
        Source::Hmis,
        "riverside-coc-hmis-2026-11-20.zip",
        "demo",
        &people,
    )
    .await?;
    let list = summary.list_id;
    triage(txn, list, &mut dice).await?;
    referrals(txn, initiative, orgs, &mut dice).await
}

/// A vulnerability tool of five questions, answered for every person.
async fn triage(txn: &DatabaseTransaction, list: i64, dice: &mut Dice) -> Result<()> {
    let questions: Vec<Question> = [
        ("Sleeping unsheltered (street, car, encampment)", 30),
        ("A chronic health or mental-health condition", 25),
        ("An emergency-room visit in the last 6 months", 20),
        ("Aged 60 or more", 15),
        ("Fleeing domestic violence", 10),
    ]
    .into_iter()
    .map(|(text, weight)| Question {
        text: text.into(),
        weight,
    })
    .collect();
    let (_, rows, _) = super::triage::set_questions_in(txn, list, &questions).await?;
    let people = txn
        .query_all(
            &Query::select()
                .column(a("id"))
                .from(a("case_people"))
                .and_where(Expr::col(a("list_id")).eq(list))
                .order_by(a("id"), Order::Asc)
                .to_owned(),
        )
        .await?;
    for p in people {
        let id: i64 = p.try_get("", "id")?;
        let yes: Vec<i64> = rows
            .iter()
            .zip([45, 35, 25, 12, 8])
            .filter_map(|(q, percent)| dice.chance(percent).then_some(q.id))
            .collect();
        super::triage::answer_in(txn, list, id, None, &yes).await?;
    }
    Ok(())
}

const NEIGHBOURHOODS: &[&str] = &["Harbor", "Eastside", "Old Town", "Northgate"];

/// A year and a half of referrals from outreach: to coordinated entry (the
/// Continuum of Care) and to the housing authority. Eastside's referrals are
/// accepted less often and wait longer for a first service: the gap the
/// partnership watches.
async fn referrals(
    txn: &DatabaseTransaction,
    initiative: i64,
    [outreach, coc, authority]: [i64; 3],
    dice: &mut Dice,
) -> Result<()> {
    let first_day = d("2025-06-02");
    for _ in 0..180 {
        let referred_on = first_day + days(dice.below(530));
        let to_authority = dice.chance(40);
        let hood = NEIGHBOURHOODS[dice.below(NEIGHBOURHOODS.len() as u64) as usize];
        let eastside = hood == "Eastside";
        let race = match dice.below(10) {
            0..=3 => Race::BlackAfAmerican,
            4..=5 => Race::White,
            6..=7 => Race::HispanicLatinaeo,
            8 => Race::AmIndAkNative,
            _ => Race::Asian,
        };
        let accepted = dice.chance(if eastside { 62 } else { 85 });
        let wait = if eastside {
            12 + dice.below(30)
        } else {
            4 + dice.below(18)
        };
        let first_service = accepted && dice.chance(90);
        let today = d("2026-11-20");
        let served_on = (referred_on + days(wait) <= today).then(|| referred_on + days(wait));
        let first_service_on = served_on.filter(|_| first_service);
        let outcome = first_service_on
            .filter(|on| *on + days(30) <= today && dice.chance(75))
            .map(|_| {
                if to_authority {
                    "Housing voucher issued".to_string()
                } else {
                    "Assessed and matched to a housing resource".to_string()
                }
            });
        let closed_on = outcome
            .as_ref()
            .and(first_service_on.map(|on| on + days(30)))
            .or_else(|| {
                (!accepted && referred_on + days(21) <= today).then(|| referred_on + days(21))
            });
        let closed_reason = closed_on.map(|_| {
            if outcome.is_some() {
                "Completed".to_string()
            } else {
                "Not accepted".to_string()
            }
        });
        let r = Referral {
            referral_type: if to_authority {
                "Housing navigation".into()
            } else {
                "Coordinated entry assessment".into()
            },
            from_organization_id: Some(outreach),
            to_organization_id: Some(if to_authority { authority } else { coc }),
            person_id: None,
            risk_level: match dice.below(10) {
                0..=2 => RiskLevel::High,
                3..=6 => RiskLevel::Medium,
                _ => RiskLevel::Low,
            },
            race_ethnicity: Some(race),
            neighbourhood: Some(hood.into()),
            referred_on,
            accepted_on: (accepted && referred_on + days(2) <= today)
                .then(|| referred_on + days(1 + dice.below(2))),
            first_service_on,
            outcome,
            closed_on,
            closed_reason,
        };
        super::referrals::insert_in(txn, initiative, None, &r).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::cases::events::{Event, spells};

    #[test]
    fn every_invented_history_fits_the_rules() {
        let mut dice = Dice(2026);
        for _ in 0..2000 {
            let start = d("2025-06-01") + days(dice.below(500));
            let evs: Vec<Event> = history(&mut dice, start, d("2026-11-20"), true)
                .into_iter()
                .enumerate()
                .map(|(i, (on, kind, chronic))| Event {
                    id: i as i64 + 1,
                    occurred_on: on,
                    kind,
                    chronic,
                    recorded_at: chrono::DateTime::UNIX_EPOCH,
                    supersedes: None,
                })
                .collect();
            spells(&evs).expect("fits");
        }
    }
}
