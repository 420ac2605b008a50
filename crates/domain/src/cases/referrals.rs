//! Referrals and their measures.
//!
//! A referral goes from one organization to another (e.g. high-risk pregnancy
//! → hospital, early intervention), with a risk level and its dates. The
//! measures (% accepted, median days to first service, % with an outcome) are
//! split by race/ethnicity or neighbourhood, each group compared with a
//! reference group; a group of fewer than [`SMALL_CELL`] referrals is
//! suppressed for anyone who may not see small cells.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::person::Race;
use crate::validation::{FieldErrors, FieldMap, MAX_NAME, MAX_TEXT, Parser};

/// Cells with fewer referrals than this are suppressed.
pub const SMALL_CELL: usize = 10;

choices!(
    /// How urgent the referral is.
    RiskLevel {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
);

choices!(
    /// Which field the measures are split by.
    SplitBy {
        RaceEthnicity = "race_ethnicity",
        Neighbourhood = "neighbourhood",
    }
);

/// A referral's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub referral_type: String,
    pub from_organization_id: Option<i64>,
    pub to_organization_id: Option<i64>,
    pub person_id: Option<i64>,
    pub risk_level: RiskLevel,
    pub race_ethnicity: Option<Race>,
    pub neighbourhood: Option<String>,
    pub referred_on: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    pub first_service_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub closed_on: Option<NaiveDate>,
    pub closed_reason: Option<String>,
}

impl Referral {
    /// From a form or a JSON body. Dates are `YYYY-MM-DD`; accepted, first
    /// service and closed are not before referred; a closed reason needs a
    /// closed date.
    pub fn parse(input: &FieldMap) -> Result<Referral, FieldErrors> {
        let mut p = Parser::new(input);
        let referral_type = p.name("referral_type", MAX_NAME);
        let from = p.opt_id("from_organization_id");
        let to = p.opt_id("to_organization_id");
        let person = p.opt_id("person_id");
        let risk = p.choice("risk_level", RiskLevel::parse);
        let race = match input.get("race_ethnicity").map(|s| s.trim()) {
            None | Some("") => None,
            Some(_) => p.choice("race_ethnicity", Race::parse),
        };
        let neighbourhood = p.opt_text("neighbourhood", MAX_NAME, false);
        let referred = p.date("referred_on");
        let accepted = p.opt_date("accepted_on");
        let first = p.opt_date("first_service_on");
        let outcome = p.opt_text("outcome", MAX_TEXT, true);
        let closed = p.opt_date("closed_on");
        let reason = p.opt_text("closed_reason", MAX_NAME, false);
        if let Some(r) = referred {
            for (f, v) in [
                ("accepted_on", accepted),
                ("first_service_on", first),
                ("closed_on", closed),
            ] {
                if v.is_some_and(|v| v < r) {
                    p.errors.add(
                        f,
                        "before_referred",
                        format!("{f} must not be before referred_on"),
                    );
                }
            }
        }
        if reason.is_some() && closed.is_none() && p.errors.get("closed_on").is_none() {
            p.errors.add(
                "closed_on",
                "required",
                "closed_on is required with a closed reason",
            );
        }
        if from.is_some() && from == to {
            p.errors.add(
                "to_organization_id",
                "same_organization",
                "to_organization_id must differ from from_organization_id",
            );
        }
        p.errors.finish(Referral {
            referral_type,
            from_organization_id: from,
            to_organization_id: to,
            person_id: person,
            risk_level: risk.unwrap_or(RiskLevel::Low),
            race_ethnicity: race,
            neighbourhood,
            referred_on: referred.unwrap_or_default(),
            accepted_on: accepted,
            first_service_on: first,
            outcome,
            closed_on: closed,
            closed_reason: reason,
        })
    }

    /// The group this referral counts in for a split (`None`: not recorded).
    pub fn group(&self, by: SplitBy) -> Option<String> {
        match by {
            SplitBy::RaceEthnicity => self.race_ethnicity.map(|r| r.as_str().to_string()),
            SplitBy::Neighbourhood => self.neighbourhood.clone(),
        }
    }
}

/// The three measures over a set of referrals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measures {
    /// Referrals counted.
    pub n: usize,
    /// Accepted / referred, in percent with one decimal.
    pub accepted_pct: Option<f64>,
    /// Median days referred → first service over those with a first service.
    pub median_days_to_service: Option<f64>,
    /// With an outcome / referred, in percent with one decimal.
    pub outcome_pct: Option<f64>,
}

/// An exact value `num / den` (`den > 0`): measures are compared before they
/// are rounded, so a gap is the rounded gap of the exact values, not the gap
/// of two rounded ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Exact {
    num: i128,
    den: i128,
}

/// `num / den` rounded to `1 / scale`, halves away from zero, as a number.
fn rounded(num: i128, den: i128, scale: i128) -> f64 {
    let x = num * scale;
    let q = (2 * x.abs() + den) / (2 * den);
    (x.signum() * q) as f64 / scale as f64
}

impl Exact {
    fn shown(self) -> f64 {
        rounded(self.num, self.den, 10)
    }
    /// self − other, one decimal.
    fn minus(self, o: Exact) -> f64 {
        rounded(self.num * o.den - o.num * self.den, self.den * o.den, 10)
    }
    /// self ÷ other, two decimals; `None` when other is 0.
    fn over(self, o: Exact) -> Option<f64> {
        (o.num != 0).then(|| rounded(self.num * o.den, self.den * o.num, 100))
    }
}

/// The three measures, exact.
#[derive(Debug, Clone, Copy)]
struct ExactMeasures {
    n: usize,
    accepted: Option<Exact>,
    median_days: Option<Exact>,
    outcome: Option<Exact>,
}

impl ExactMeasures {
    fn of(rs: &[&Referral]) -> Self {
        let n = rs.len();
        let pct = |k: usize| {
            (n > 0).then(|| Exact {
                num: 100 * k as i128,
                den: n as i128,
            })
        };
        let mut days: Vec<i64> = rs
            .iter()
            .filter_map(|r| r.first_service_on.map(|f| (f - r.referred_on).num_days()))
            .collect();
        days.sort_unstable();
        let k = days.len();
        let median_days = (k > 0).then(|| Exact {
            num: if k % 2 == 1 {
                2 * days[k / 2] as i128
            } else {
                (days[k / 2 - 1] + days[k / 2]) as i128
            },
            den: 2,
        });
        ExactMeasures {
            n,
            accepted: pct(rs.iter().filter(|r| r.accepted_on.is_some()).count()),
            median_days,
            outcome: pct(rs.iter().filter(|r| r.outcome.is_some()).count()),
        }
    }

    fn shown(&self) -> Measures {
        Measures {
            n: self.n,
            accepted_pct: self.accepted.map(Exact::shown),
            median_days_to_service: self.median_days.map(Exact::shown),
            outcome_pct: self.outcome.map(Exact::shown),
        }
    }
}

/// The median (mean of the two middle values for an even count), one decimal.
pub fn median(v: Vec<i64>) -> Option<f64> {
    let mut v = v;
    v.sort_unstable();
    let n = v.len();
    (n > 0).then(|| {
        let twice = if n % 2 == 1 {
            2 * v[n / 2]
        } else {
            v[n / 2 - 1] + v[n / 2]
        };
        rounded(twice as i128, 2, 10)
    })
}

/// The measures of `rs`: percentages rounded half up to one decimal.
pub fn measures(rs: &[&Referral]) -> Measures {
    ExactMeasures::of(rs).shown()
}

/// One measure of one group against the reference group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cell {
    /// `None` when suppressed or when there is nothing to measure.
    pub value: Option<f64>,
    /// Value − reference value (one decimal).
    pub difference: Option<f64>,
    /// Value / reference value (two decimals).
    pub ratio: Option<f64>,
}

/// One group's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    pub group: String,
    pub reference: bool,
    /// `None` when suppressed (fewer than [`SMALL_CELL`]).
    pub n: Option<usize>,
    pub suppressed: bool,
    pub accepted_pct: Cell,
    pub median_days_to_service: Cell,
    pub outcome_pct: Cell,
}

/// The split: every group with its measures and gaps to the reference group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Split {
    pub by: SplitBy,
    pub reference: Option<String>,
    pub overall: Measures,
    pub groups: Vec<GroupRow>,
}

/// Split `rs` by `by`; the reference group is `reference` if it is one of the
/// groups, else the largest (ties: first by name). Groups smaller than
/// [`SMALL_CELL`] are suppressed unless `small_cells`; a suppressed reference
/// gives no gaps.
pub fn split(rs: &[Referral], by: SplitBy, reference: Option<&str>, small_cells: bool) -> Split {
    let mut groups: BTreeMap<String, Vec<&Referral>> = BTreeMap::new();
    for r in rs {
        if let Some(g) = r.group(by) {
            groups.entry(g).or_default().push(r);
        }
    }
    let measured: Vec<(String, ExactMeasures)> = groups
        .iter()
        .map(|(g, v)| (g.clone(), ExactMeasures::of(v)))
        .collect();
    let reference = reference
        .filter(|r| groups.contains_key(*r))
        .map(str::to_string)
        .or_else(|| {
            measured
                .iter()
                .max_by(|a, b| a.1.n.cmp(&b.1.n).then(b.0.cmp(&a.0)))
                .map(|(g, _)| g.clone())
        });
    let hidden = |m: &ExactMeasures| !small_cells && m.n < SMALL_CELL;
    let ref_m = reference
        .as_ref()
        .and_then(|r| measured.iter().find(|(g, _)| g == r))
        .map(|(_, m)| *m)
        .filter(|m| !hidden(m));
    let cell = |v: Option<Exact>, rv: Option<Exact>, hide: bool| {
        if hide {
            return Cell {
                value: None,
                difference: None,
                ratio: None,
            };
        }
        let both = v.zip(rv);
        Cell {
            value: v.map(Exact::shown),
            difference: both.map(|(a, b)| a.minus(b)),
            ratio: both.and_then(|(a, b)| a.over(b)),
        }
    };
    let all: Vec<&Referral> = rs.iter().collect();
    Split {
        by,
        overall: measures(&all),
        groups: measured
            .iter()
            .map(|(g, m)| {
                let hide = hidden(m);
                GroupRow {
                    group: g.clone(),
                    reference: reference.as_deref() == Some(g.as_str()),
                    n: (!hide).then_some(m.n),
                    suppressed: hide,
                    accepted_pct: cell(m.accepted, ref_m.and_then(|r| r.accepted), hide),
                    median_days_to_service: cell(
                        m.median_days,
                        ref_m.and_then(|r| r.median_days),
                        hide,
                    ),
                    outcome_pct: cell(m.outcome, ref_m.and_then(|r| r.outcome), hide),
                }
            })
            .collect(),
        reference,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn r(race: Race, accepted: bool, days: Option<i64>, outcome: bool) -> Referral {
        let on = d("2026-01-01");
        Referral {
            referral_type: "early intervention".into(),
            from_organization_id: Some(1),
            to_organization_id: Some(2),
            person_id: None,
            risk_level: RiskLevel::High,
            race_ethnicity: Some(race),
            neighbourhood: Some("North".into()),
            referred_on: on,
            accepted_on: accepted.then_some(on),
            first_service_on: days.map(|n| on + chrono::Days::new(n as u64)),
            outcome: outcome.then(|| "served".into()),
            closed_on: None,
            closed_reason: None,
        }
    }

    #[test]
    fn median_even_is_mean_of_middle() {
        assert_eq!(median(vec![4, 1, 3, 2]), Some(2.5));
        assert_eq!(median(vec![5, 1, 3]), Some(3.0));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn measures_and_gaps() {
        let mut rs = vec![];
        // White: 12 referrals, 9 accepted (75%), service after 2,4,6,8 days, 6 outcomes.
        for i in 0..12 {
            let days = [Some(2), Some(4), Some(6), Some(8)]
                .get(i)
                .copied()
                .flatten();
            rs.push(r(Race::White, i < 9, days, i < 6));
        }
        // Black: 10 referrals, 5 accepted (50%), service after 10 and 20, 2 outcomes.
        for i in 0..10 {
            let days = [Some(10), Some(20)].get(i).copied().flatten();
            rs.push(r(Race::BlackAfAmerican, i < 5, days, i < 2));
        }
        // Asian: 3 referrals: suppressed.
        for _ in 0..3 {
            rs.push(r(Race::Asian, true, Some(1), true));
        }
        let s = split(&rs, SplitBy::RaceEthnicity, None, false);
        assert_eq!(s.reference.as_deref(), Some("white"));
        assert_eq!(s.overall.n, 25);
        let w = s.groups.iter().find(|g| g.group == "white").unwrap();
        assert!(w.reference);
        assert_eq!(w.accepted_pct.value, Some(75.0));
        assert_eq!(w.median_days_to_service.value, Some(5.0));
        assert_eq!(w.outcome_pct.value, Some(50.0));
        let b = s
            .groups
            .iter()
            .find(|g| g.group == "black_af_american")
            .unwrap();
        assert_eq!(b.n, Some(10));
        assert_eq!(b.accepted_pct.value, Some(50.0));
        assert_eq!(b.accepted_pct.difference, Some(-25.0));
        assert_eq!(b.accepted_pct.ratio, Some(0.67));
        assert_eq!(b.median_days_to_service.value, Some(15.0));
        assert_eq!(b.median_days_to_service.difference, Some(10.0));
        assert_eq!(b.median_days_to_service.ratio, Some(3.0));
        assert_eq!(b.outcome_pct.value, Some(20.0));
        let a = s.groups.iter().find(|g| g.group == "asian").unwrap();
        assert!(a.suppressed);
        assert_eq!(a.n, None);
        assert_eq!(a.accepted_pct.value, None);
        let s = split(&rs, SplitBy::RaceEthnicity, Some("asian"), true);
        let a = s.groups.iter().find(|g| g.group == "asian").unwrap();
        assert!(!a.suppressed && a.reference);
        assert_eq!(a.n, Some(3));
        let b = s
            .groups
            .iter()
            .find(|g| g.group == "black_af_american")
            .unwrap();
        assert_eq!(b.accepted_pct.difference, Some(-50.0));
        // A reference that is not a group falls back to the largest.
        let s = split(&rs, SplitBy::Neighbourhood, Some("Nowhere"), false);
        assert_eq!(s.reference.as_deref(), Some("North"));
    }

    #[test]
    fn gaps_are_of_exact_values_rounded_half_away_from_zero() {
        // 1/8 = 12.5%, 1/3 = 33.333…%: the gap −20.8333… shows −20.8.
        let a = Exact { num: 100, den: 8 };
        let b = Exact { num: 100, den: 3 };
        assert_eq!(a.shown(), 12.5);
        assert_eq!(b.shown(), 33.3);
        assert_eq!(a.minus(b), -20.8);
        // 1/16 = 6.25% shows 6.3 (half up). 5/16 = 31.25% against 1/12 =
        // 8.333…%: the exact gap 22.9166… shows 22.9, where subtracting the
        // rounded values (31.3 − 8.3) would give 23.0.
        assert_eq!(Exact { num: 100, den: 16 }.shown(), 6.3);
        let c = Exact { num: 500, den: 16 };
        let d = Exact { num: 100, den: 12 };
        assert_eq!(c.minus(d), 22.9);
        assert_eq!(c.over(d), Some(3.75));
        assert_eq!(c.over(Exact { num: 0, den: 5 }), None);
        // Halves go away from zero on both sides.
        assert_eq!(rounded(-1, 20, 10), -0.1);
        assert_eq!(rounded(1, 20, 10), 0.1);
        assert_eq!(median(vec![1, 2]), Some(1.5));
    }

    #[test]
    fn referral_refused_by_field() {
        let mut m = FieldMap::new();
        let e = Referral::parse(&m).unwrap_err();
        for f in ["referral_type", "risk_level", "referred_on"] {
            assert!(e.get(f).is_some(), "{f}");
        }
        m.insert("referral_type".into(), "high-risk pregnancy".into());
        m.insert("risk_level".into(), "extreme".into());
        m.insert("referred_on".into(), "2026-02-10".into());
        m.insert("first_service_on".into(), "2026-02-09".into());
        m.insert("race_ethnicity".into(), "martian".into());
        m.insert("closed_reason".into(), "moved".into());
        let e = Referral::parse(&m).unwrap_err();
        for f in [
            "risk_level",
            "first_service_on",
            "race_ethnicity",
            "closed_on",
        ] {
            assert!(e.get(f).is_some(), "{f}");
        }
        m.insert("risk_level".into(), "high".into());
        m.insert("first_service_on".into(), "2026-02-12".into());
        m.insert("race_ethnicity".into(), "asian".into());
        m.insert("closed_on".into(), "2026-03-01".into());
        let ok = Referral::parse(&m).unwrap();
        assert_eq!(ok.risk_level, RiskLevel::High);
    }
}
