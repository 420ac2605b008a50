//! The monthly report per list, population and calendar month, and the balance
//! check against last month's submitted report.
//!
//! From the spells replayed at the report's cut-off:
//! - `actively_homeless`: spells active at the end of the month's last day
//!   (identified on or before it, not ended on or before it);
//! - `newly_identified`, `returned_from_housing`, `returned_from_inactive`:
//!   spells that start in the month, by inflow type;
//! - `housing_placements`, `moved_to_inactive`, `no_longer_meets_criteria`:
//!   spells that end in the month, by ending;
//! - `avg_days_identification_to_housing`: the mean of (housed date − spell
//!   start) in days over the month's placements, rounded half up to one
//!   decimal; empty when the month has no placement.
//!
//! A population counts a spell by [`Population::counts`].

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};

use super::events::{EventKind, Inflow, Spell};
use super::person::{Facts, Population};

/// A calendar month, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl Month {
    pub fn of(d: NaiveDate) -> Month {
        Month {
            year: d.year(),
            month: d.month(),
        }
    }
    /// `YYYY-MM`, nothing else.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        (1..=12).contains(&month).then_some(Month { year, month })
    }
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid month")
    }
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("a day before")
    }
    pub fn next(self) -> Month {
        self.plus(1)
    }
    pub fn prev(self) -> Month {
        self.plus(-1)
    }
    /// Months since year 0 (year × 12 + month − 1): makes differences and
    /// offsets simple, and is how the store keeps months.
    pub fn index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }
    pub fn from_index(i: i64) -> Month {
        Month {
            year: i.div_euclid(12) as i32,
            month: (i.rem_euclid(12) + 1) as u32,
        }
    }
    pub fn plus(self, months: i64) -> Month {
        Month::from_index(self.index() + months)
    }
    /// Months from `self` to `later` (0 for the same month).
    pub fn until(self, later: Month) -> i64 {
        later.index() - self.index()
    }
    /// Every month from `self` to `last`, both included.
    pub fn through(self, last: Month) -> impl Iterator<Item = Month> {
        (self.index()..=last.index()).map(Month::from_index)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The report's field names, in the order of the CSV export.
pub const FIELDS: [&str; 9] = [
    "month",
    "actively_homeless",
    "newly_identified",
    "returned_from_housing",
    "returned_from_inactive",
    "housing_placements",
    "moved_to_inactive",
    "no_longer_meets_criteria",
    "avg_days_identification_to_housing",
];

/// A mean number of days with one decimal, kept exact as tenths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tenths(pub i64);

impl Tenths {
    /// `sum / count`, rounded half up to a tenth.
    pub fn mean(sum: i64, count: i64) -> Option<Tenths> {
        if count <= 0 {
            return None;
        }
        let t = sum * 10;
        let (q, r) = (t.div_euclid(count), t.rem_euclid(count));
        Some(Tenths(if 2 * r >= count { q + 1 } else { q }))
    }
}

impl fmt::Display for Tenths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{}", self.0.abs() / 10, self.0.abs() % 10)
    }
}

impl Serialize for Tenths {
    /// A JSON number with one decimal (`12.5`, `3.0`).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0 as f64 / 10.0)
    }
}

/// One month of one population on one list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthlyReport {
    pub month: Month,
    pub actively_homeless: u64,
    pub newly_identified: u64,
    pub returned_from_housing: u64,
    pub returned_from_inactive: u64,
    pub housing_placements: u64,
    pub moved_to_inactive: u64,
    pub no_longer_meets_criteria: u64,
    pub avg_days_identification_to_housing: Option<Tenths>,
}

impl MonthlyReport {
    pub fn empty(month: Month) -> MonthlyReport {
        MonthlyReport {
            month,
            actively_homeless: 0,
            newly_identified: 0,
            returned_from_housing: 0,
            returned_from_inactive: 0,
            housing_placements: 0,
            moved_to_inactive: 0,
            no_longer_meets_criteria: 0,
            avg_days_identification_to_housing: None,
        }
    }
    pub fn inflow(&self) -> u64 {
        self.newly_identified + self.returned_from_housing + self.returned_from_inactive
    }
    pub fn outflow(&self) -> u64 {
        self.housing_placements + self.moved_to_inactive + self.no_longer_meets_criteria
    }
    /// The values in [`FIELDS`] order, as the CSV writes them (no placement:
    /// an empty average).
    pub fn csv_row(&self) -> [String; 9] {
        [
            self.month.to_string(),
            self.actively_homeless.to_string(),
            self.newly_identified.to_string(),
            self.returned_from_housing.to_string(),
            self.returned_from_inactive.to_string(),
            self.housing_placements.to_string(),
            self.moved_to_inactive.to_string(),
            self.no_longer_meets_criteria.to_string(),
            self.avg_days_identification_to_housing
                .map(|t| t.to_string())
                .unwrap_or_default(),
        ]
    }
}

/// The reports of `from` through `to` for one population, from every person's
/// spells. One pass over the spells; each month is then a few additions.
pub fn monthly<'a>(
    people: impl IntoIterator<Item = (Facts, &'a [Spell])>,
    population: Population,
    from: Month,
    to: Month,
) -> Vec<MonthlyReport> {
    let n = (from.until(to) + 1).max(0) as usize;
    let mut out: Vec<MonthlyReport> = from.through(to).map(MonthlyReport::empty).collect();
    // Active at the end of month i ⇔ start month ≤ i < end month.
    let mut diff = vec![0i64; n + 1];
    let mut housed_days = vec![0i64; n];
    let slot = |m: Month| -> Option<usize> {
        let i = from.until(m);
        (0..n as i64).contains(&i).then_some(i as usize)
    };
    for (facts, spells) in people {
        for s in spells.iter().filter(|s| population.counts(&facts, s)) {
            let start = from.until(Month::of(s.start));
            let end = s.end.map_or(n as i64, |(d, _)| from.until(Month::of(d)));
            let (lo, hi) = (start.clamp(0, n as i64), end.clamp(0, n as i64));
            if lo < hi {
                diff[lo as usize] += 1;
                diff[hi as usize] -= 1;
            }
            if let Some(i) = slot(Month::of(s.start)) {
                let r = &mut out[i];
                match s.inflow {
                    Inflow::NewlyIdentified => r.newly_identified += 1,
                    Inflow::ReturnedFromHousing => r.returned_from_housing += 1,
                    Inflow::ReturnedFromInactive => r.returned_from_inactive += 1,
                }
            }
            if let Some((day, kind)) = s.end
                && let Some(i) = slot(Month::of(day))
            {
                let r = &mut out[i];
                match kind {
                    EventKind::Housed => {
                        r.housing_placements += 1;
                        housed_days[i] += (day - s.start).num_days();
                    }
                    EventKind::Inactive => r.moved_to_inactive += 1,
                    _ => r.no_longer_meets_criteria += 1,
                }
            }
        }
    }
    let mut active = 0i64;
    for (i, r) in out.iter_mut().enumerate() {
        active += diff[i];
        r.actively_homeless = active as u64;
        r.avg_days_identification_to_housing =
            Tenths::mean(housed_days[i], r.housing_placements as i64);
    }
    out
}

/// Last month's submitted active count carried forward with this month's flows,
/// against this month's computed active count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Balance {
    pub month: Month,
    pub submitted_previous_active: u64,
    pub inflow: u64,
    pub outflow: u64,
    /// `submitted active(M−1) + inflow(M) − outflow(M)`.
    pub expected: i64,
    pub computed_active: u64,
    /// `computed_active − expected`: 0 when the list balances.
    pub gap: i64,
}

pub fn balance(submitted_previous_active: u64, this: &MonthlyReport) -> Balance {
    let expected = submitted_previous_active as i64 + this.inflow() as i64 - this.outflow() as i64;
    Balance {
        month: this.month,
        submitted_previous_active,
        inflow: this.inflow(),
        outflow: this.outflow(),
        expected,
        computed_active: this.actively_homeless,
        gap: this.actively_homeless as i64 - expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::events::{Event, spells};

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }
    fn person(evs: &[(&str, EventKind)]) -> Vec<Spell> {
        let events: Vec<Event> = evs
            .iter()
            .enumerate()
            .map(|(i, (on, kind))| Event {
                id: i as i64 + 1,
                occurred_on: on.parse().unwrap(),
                kind: *kind,
                chronic: false,
                recorded_at: "2026-01-01T00:00:00Z".parse().unwrap(),
                supersedes: None,
            })
            .collect();
        spells(&events).unwrap()
    }

    #[test]
    fn months_parse_and_step() {
        assert_eq!(m("2025-12").next(), m("2026-01"));
        assert_eq!(m("2025-01").prev(), m("2024-12"));
        assert_eq!(m("2024-02").last_day().to_string(), "2024-02-29");
        for bad in [
            "2025-13",
            "2025-1",
            "25-01",
            "2025/01",
            "2025-00",
            "2025-01-01",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert_eq!(m("2025-01").through(m("2025-12")).count(), 12);
    }

    #[test]
    fn tenths_round_half_up() {
        assert_eq!(Tenths::mean(10, 4).unwrap().to_string(), "2.5");
        assert_eq!(Tenths::mean(1, 3).unwrap().to_string(), "0.3");
        assert_eq!(Tenths::mean(2, 3).unwrap().to_string(), "0.7");
        assert_eq!(Tenths::mean(1, 20).unwrap().to_string(), "0.1"); // 0.05 → 0.1
        assert_eq!(Tenths::mean(0, 2).unwrap().to_string(), "0.0");
        assert_eq!(Tenths::mean(0, 0), None);
        assert_eq!(serde_json::to_string(&Tenths(30)).unwrap(), "3.0");
    }

    #[test]
    fn a_month_counts_flows_and_the_active_at_its_last_day() {
        use EventKind::*;
        let people = [
            // Identified in January, housed on 1 March: active end of Jan and Feb.
            person(&[("2025-01-10", Identified), ("2025-03-01", Housed)]),
            // Housed on the last day of February: not active at its end.
            person(&[("2025-02-01", Identified), ("2025-02-28", Housed)]),
            // A zero-day spell in February, then returned from housing in March.
            person(&[
                ("2025-02-14", Identified),
                ("2025-02-14", Housed),
                ("2025-03-03", Identified),
            ]),
            // Inactive at a month boundary: ends 31 January.
            person(&[("2024-11-02", Identified), ("2025-01-31", Inactive)]),
        ];
        let facts = Facts::default();
        let r = monthly(
            people.iter().map(|s| (facts, s.as_slice())),
            Population::All,
            m("2025-01"),
            m("2025-03"),
        );
        let (jan, feb, mar) = (&r[0], &r[1], &r[2]);
        assert_eq!(jan.actively_homeless, 1);
        assert_eq!((jan.newly_identified, jan.moved_to_inactive), (1, 1));
        assert_eq!(feb.actively_homeless, 1);
        assert_eq!((feb.newly_identified, feb.housing_placements), (2, 2));
        // (27 + 0) / 2 = 13.5
        assert_eq!(feb.avg_days_identification_to_housing, Some(Tenths(135)));
        assert_eq!(mar.actively_homeless, 1);
        assert_eq!((mar.returned_from_housing, mar.housing_placements), (1, 1));
        assert_eq!(mar.avg_days_identification_to_housing, Some(Tenths(500)));
        assert_eq!(jan.avg_days_identification_to_housing, None);
        assert_eq!(jan.csv_row()[8], "");
        // Balance: February carried from January's 1: 1 + 2 − 2 = 1.
        let b = balance(jan.actively_homeless, feb);
        assert_eq!((b.expected, b.gap), (1, 0));
        // A backdated identification in January, recorded after January was
        // submitted, shows as a gap in February.
        let b = balance(0, feb);
        assert_eq!(b.gap, 1);
    }
}
