//! Riverside Zero's by-name list: a year and a half of a community's list
//! (a few hundred invented people) with plausible flows — outreach identifies
//! people every week, most are contacted every few weeks, some are housed,
//! some go inactive after 90 days without contact, a few return.
//!
//! Written through the import path (as the Continuum of Care's HMIS export
//! would be), in the demo's one transaction. Deterministic: the same list on
//! every start.

use chrono::NaiveDate;
use sea_orm::DatabaseTransaction;

use domain::cases::events::{EventKind, Source};
use domain::cases::person::{Gender, HouseholdType, Person, Race};

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

/// The list "Riverside by-name list" of the Riverside Zero initiative.
pub(crate) async fn riverside_zero(txn: &DatabaseTransaction, initiative: i64) -> Result<()> {
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
    import_in(
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
