//! Funding transitions: each cost item's multi-year schedule of funder shares,
//! the public budget's share of the partnership's recurring costs (planned
//! against actual), and warnings before a transition year whose new funder has
//! not signed.
//!
//! A schedule is a list of years; each year has the item's cost (minor units of
//! the item's currency) and the funders' shares in basis points
//! ([`money::WHOLE`] is 100%). A funder's planned amount is its part of
//! [`money::split`], so a year's planned amounts always sum exactly to its cost.
//!
//! **The public share** of a year is the sum of the public funders' planned
//! amounts divided by the cost; when the cost is zero, the sum of the public
//! funders' shares (a plan without money still says who would pay). Actual
//! figures come from the ledger: the public funders' spending on an item
//! divided by all spending on it (spending that names no funder counts in the
//! whole, not in the public part). Currencies are never summed together.
//!
//! Schedules are not registry records: a coordinator replaces an item's
//! schedule whole, with one audit entry.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::money::{self, MAX_MINOR, WHOLE};
use super::records::Commitment;

/// The earliest and latest year a schedule may name.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2200;
/// The most years one schedule holds.
pub const MAX_YEARS: usize = 100;

/// One funder's share of one year, in basis points (10,000 = 100%). Signed so
/// that a negative share from the API can be refused by name rather than by a
/// parse error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Share {
    pub funder_id: i64,
    pub share_bp: i64,
}

/// One year of a schedule: the item's cost and who carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearPlan {
    pub year: i32,
    pub cost_minor: i64,
    #[serde(default)]
    pub shares: Vec<Share>,
}

impl YearPlan {
    /// Each funder's planned amount: the cost split by the shares, exactly.
    /// Valid plans only (shares between 0 and 100%).
    pub fn planned(&self) -> Vec<(i64, i64)> {
        let bps: Vec<u32> = self
            .shares
            .iter()
            .map(|s| s.share_bp.clamp(0, WHOLE as i64) as u32)
            .collect();
        let parts = money::split(self.cost_minor, &bps);
        self.shares
            .iter()
            .zip(parts)
            .map(|(s, p)| (s.funder_id, p))
            .collect()
    }

    /// The share of the year carried by public funders, from 0 to 1: public
    /// planned amounts over the cost, or (cost zero) public shares over 100%.
    pub fn public_share(&self, is_public: &dyn Fn(i64) -> bool) -> f64 {
        if self.cost_minor > 0 {
            let public: i64 = self
                .planned()
                .into_iter()
                .filter(|(f, _)| is_public(*f))
                .map(|(_, a)| a)
                .sum();
            public as f64 / self.cost_minor as f64
        } else {
            let public: i64 = self
                .shares
                .iter()
                .filter(|s| is_public(s.funder_id))
                .map(|s| s.share_bp)
                .sum();
            public as f64 / WHOLE as f64
        }
    }

    fn share_of(&self, funder: i64) -> i64 {
        self.shares
            .iter()
            .find(|s| s.funder_id == funder)
            .map_or(0, |s| s.share_bp)
    }
}

/// A checked schedule: years ascending, each valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Schedule {
    pub years: Vec<YearPlan>,
}

/// Why a schedule was refused: which row (0-based, in the order given), the
/// year it names, the funder when one is at fault, and the field: `year`,
/// `cost`, `shares` (the year's shares as a whole) or `share` (one funder's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleError {
    pub row: usize,
    pub year: Option<i32>,
    pub funder_id: Option<i64>,
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

/// Check a schedule. `funder_name` names funders in messages. Every problem is
/// reported, each with its year and field; nothing is fixed silently.
pub fn validate(
    years: Vec<YearPlan>,
    funder_name: &dyn Fn(i64) -> String,
) -> Result<Schedule, Vec<ScheduleError>> {
    let mut errors = vec![];
    let mut err = |row: usize,
                   year: Option<i32>,
                   funder_id: Option<i64>,
                   field: &'static str,
                   code: &'static str,
                   message: String| {
        errors.push(ScheduleError {
            row,
            year,
            funder_id,
            field,
            code,
            message,
        })
    };
    if years.len() > MAX_YEARS {
        err(
            MAX_YEARS,
            None,
            None,
            "year",
            "too_many_years",
            format!("a schedule holds at most {MAX_YEARS} years"),
        );
    }
    let mut seen_years = HashSet::new();
    for (row, y) in years.iter().enumerate() {
        let label = y.year;
        if !(FIRST_YEAR..=LAST_YEAR).contains(&y.year) {
            err(
                row,
                Some(y.year),
                None,
                "year",
                "year_out_of_range",
                format!("year {label} must be between {FIRST_YEAR} and {LAST_YEAR}"),
            );
        } else if !seen_years.insert(y.year) {
            err(
                row,
                Some(y.year),
                None,
                "year",
                "duplicate_year",
                format!("year {label} appears more than once"),
            );
        }
        if y.cost_minor < 0 {
            err(
                row,
                Some(y.year),
                None,
                "cost",
                "negative",
                format!("{label}: the cost must not be negative"),
            );
        } else if y.cost_minor > MAX_MINOR {
            err(
                row,
                Some(y.year),
                None,
                "cost",
                "too_large",
                format!("{label}: the cost is too large"),
            );
        }
        let mut seen_funders = HashSet::new();
        let mut bad_share = false;
        for s in &y.shares {
            let name = funder_name(s.funder_id);
            if !seen_funders.insert(s.funder_id) {
                err(
                    row,
                    Some(y.year),
                    Some(s.funder_id),
                    "share",
                    "duplicate_funder",
                    format!("{label}: {name} has more than one share"),
                );
                bad_share = true;
            }
            if s.share_bp < 0 {
                err(
                    row,
                    Some(y.year),
                    Some(s.funder_id),
                    "share",
                    "negative",
                    format!("{label}: the share of {name} must not be negative"),
                );
                bad_share = true;
            } else if s.share_bp > WHOLE as i64 {
                err(
                    row,
                    Some(y.year),
                    Some(s.funder_id),
                    "share",
                    "share_over_whole",
                    format!("{label}: the share of {name} must not be over 100%"),
                );
                bad_share = true;
            }
        }
        if bad_share {
            continue;
        }
        let sum: i64 = y.shares.iter().map(|s| s.share_bp).sum();
        let any = y.shares.iter().any(|s| s.share_bp > 0);
        if y.cost_minor > 0 && !any {
            err(
                row,
                Some(y.year),
                None,
                "shares",
                "no_funder",
                format!("{label}: a year with a cost needs at least one funder"),
            );
        } else if (y.cost_minor > 0 || any) && sum != WHOLE as i64 {
            err(
                row,
                Some(y.year),
                None,
                "shares",
                "shares_not_whole",
                format!(
                    "{label}: the shares sum to {}%, not 100%",
                    money::format_share(sum.clamp(0, u32::MAX as i64) as u32)
                ),
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut years = years;
    for y in &mut years {
        // Zero shares say nothing: keep the schedule as what it means.
        y.shares.retain(|s| s.share_bp > 0);
    }
    years.sort_by_key(|y| y.year);
    Ok(Schedule { years })
}

/// One line per year, for messages and plain-text views:
/// `2019: 6120.00 = Gazit Globe 66%, Kiryat Malachi Municipality 34%`.
pub fn notation(
    schedule: &Schedule,
    currency: &str,
    funder_name: &dyn Fn(i64) -> String,
) -> String {
    schedule
        .years
        .iter()
        .map(|y| {
            let shares: Vec<String> = y
                .shares
                .iter()
                .map(|s| {
                    format!(
                        "{} {}%",
                        funder_name(s.funder_id),
                        money::format_share(s.share_bp as u32)
                    )
                })
                .collect();
            format!(
                "{}: {} = {}",
                y.year,
                money::format_minor(y.cost_minor, currency),
                shares.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A cost item with its schedule, as the views read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSchedule {
    pub cost_item_id: i64,
    pub name: String,
    pub currency: String,
    pub recurring: bool,
    pub schedule: Schedule,
}

/// What the views need to know of a funder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunderInfo {
    pub name: String,
    pub public: bool,
}

// ---------------------------------------------------------------------------
// The report (`backbone report transitions`, the API)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub items: Vec<ReportItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportItem {
    pub name: String,
    pub currency: String,
    pub years: Vec<ReportYear>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportYear {
    pub year: i32,
    pub cost_minor: i64,
    pub public_share: f64,
    pub funders: Vec<ReportFunder>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportFunder {
    pub funder: String,
    pub public: bool,
    pub amount_minor: i64,
}

/// Per cost item (by name) and year (ascending): the cost, each funder's
/// planned amount and the public share (see the module documentation).
pub fn report(items: &[ItemSchedule], funders: &HashMap<i64, FunderInfo>) -> Report {
    let is_public = |f: i64| funders.get(&f).is_some_and(|i| i.public);
    let name = |f: i64| {
        funders
            .get(&f)
            .map_or_else(|| format!("funder {f}"), |i| i.name.clone())
    };
    let mut sorted: Vec<&ItemSchedule> = items.iter().collect();
    sorted.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(a.cost_item_id.cmp(&b.cost_item_id))
    });
    Report {
        items: sorted
            .into_iter()
            .map(|it| ReportItem {
                name: it.name.clone(),
                currency: it.currency.clone(),
                years: it
                    .schedule
                    .years
                    .iter()
                    .map(|y| ReportYear {
                        year: y.year,
                        cost_minor: y.cost_minor,
                        public_share: y.public_share(&is_public),
                        funders: y
                            .planned()
                            .into_iter()
                            .map(|(f, amount_minor)| ReportFunder {
                                funder: name(f),
                                public: is_public(f),
                                amount_minor,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------
// Sustainability: the public budget's share of recurring costs
// ---------------------------------------------------------------------------

/// Money spent on a cost item in a year by one funder (or none named), in one
/// currency: what the ledger reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spent {
    pub cost_item_id: i64,
    pub year: i32,
    pub funder_id: Option<i64>,
    pub currency: String,
    pub amount_minor: i64,
}

/// One year in one currency of the sustainability view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicShare {
    pub year: i32,
    pub currency: String,
    /// The recurring items' planned cost, and the public funders' part of it.
    pub planned_cost: i64,
    pub planned_public: i64,
    /// What was spent on those items, and the public funders' part of it.
    pub actual_total: i64,
    pub actual_public: i64,
}

fn fraction(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl PublicShare {
    /// Planned public share, 0 to 1 (none without a planned cost).
    pub fn planned(&self) -> Option<f64> {
        fraction(self.planned_public, self.planned_cost)
    }
    /// Actual public share, 0 to 1 (none before anything was spent).
    pub fn actual(&self) -> Option<f64> {
        fraction(self.actual_public, self.actual_total)
    }
}

/// Per year and currency, over the *recurring* items: the public share planned
/// (from the schedules) and actual (from the spending). Currencies are kept
/// apart; years ascending, then currencies.
pub fn sustainability(
    items: &[ItemSchedule],
    is_public: &dyn Fn(i64) -> bool,
    spent: &[Spent],
) -> Vec<PublicShare> {
    let mut acc: BTreeMap<(i32, String), [i64; 4]> = BTreeMap::new();
    let recurring: HashSet<i64> = items
        .iter()
        .filter(|i| i.recurring)
        .map(|i| i.cost_item_id)
        .collect();
    for it in items.iter().filter(|i| i.recurring) {
        for y in &it.schedule.years {
            let a = acc.entry((y.year, it.currency.clone())).or_default();
            a[0] += y.cost_minor;
            a[1] += y
                .planned()
                .into_iter()
                .filter(|(f, _)| is_public(*f))
                .map(|(_, v)| v)
                .sum::<i64>();
        }
    }
    for s in spent.iter().filter(|s| recurring.contains(&s.cost_item_id)) {
        let a = acc.entry((s.year, s.currency.clone())).or_default();
        a[2] += s.amount_minor;
        if s.funder_id.is_some_and(is_public) {
            a[3] += s.amount_minor;
        }
    }
    acc.into_iter()
        .map(|((year, currency), a)| PublicShare {
            year,
            currency,
            planned_cost: a[0],
            planned_public: a[1],
            actual_total: a[2],
            actual_public: a[3],
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Warnings before a transition
// ---------------------------------------------------------------------------

/// A transition year without the incoming funder's signed commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub cost_item_id: i64,
    pub item: String,
    pub year: i32,
    pub funder_id: i64,
    pub funder: String,
}

/// For each item and each transition year Y (a funder's share in Y is greater
/// than in Y−1, a new funder included; Y−1 absent counts as no share), when Y
/// has begun or begins within 12 months of `today`, and that funder has no
/// signed commitment covering Y that is unrestricted or restricted to this
/// item: a warning. Years without a cost carry no money and warn of nothing.
pub fn warnings(
    items: &[ItemSchedule],
    commitments: &[Commitment],
    funder_name: &dyn Fn(i64) -> String,
    today: NaiveDate,
) -> Vec<Warning> {
    let horizon = today
        .checked_add_months(Months::new(12))
        .unwrap_or(NaiveDate::MAX);
    let mut out = vec![];
    for it in items {
        let by_year: HashMap<i32, &YearPlan> =
            it.schedule.years.iter().map(|y| (y.year, y)).collect();
        for y in &it.schedule.years {
            let Some(starts) = NaiveDate::from_ymd_opt(y.year, 1, 1) else {
                continue;
            };
            if starts > horizon || y.cost_minor == 0 {
                continue;
            }
            for s in &y.shares {
                let before = by_year
                    .get(&(y.year - 1))
                    .map_or(0, |p| p.share_of(s.funder_id));
                if s.share_bp <= before {
                    continue;
                }
                let signed = commitments.iter().any(|c| {
                    c.funder_id == s.funder_id
                        && c.is_signed()
                        && c.covers_year(y.year)
                        && (!c.restricted() || c.cost_item_id == Some(it.cost_item_id))
                });
                if !signed {
                    out.push(Warning {
                        cost_item_id: it.cost_item_id,
                        item: it.name.clone(),
                        year: y.year,
                        funder_id: s.funder_id,
                        funder: funder_name(s.funder_id),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| (a.year, &a.item, &a.funder).cmp(&(b.year, &b.item, &b.funder)));
    out
}

/// Whether `year` is still ahead of `today` (used to tell upcoming warnings
/// from overdue ones).
pub fn upcoming(year: i32, today: NaiveDate) -> bool {
    year > today.year()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funding::records::CommitmentStatus;

    const GAZIT: i64 = 1;
    const MUNI: i64 = 2;
    const RASHI: i64 = 3;

    fn name(f: i64) -> String {
        match f {
            GAZIT => "Gazit Globe".into(),
            MUNI => "Municipality".into(),
            RASHI => "Rashi Foundation".into(),
            _ => format!("funder {f}"),
        }
    }

    fn public(f: i64) -> bool {
        f == MUNI
    }

    fn year(y: i32, cost: i64, shares: &[(i64, i64)]) -> YearPlan {
        YearPlan {
            year: y,
            cost_minor: cost,
            shares: shares
                .iter()
                .map(|(f, s)| Share {
                    funder_id: *f,
                    share_bp: *s,
                })
                .collect(),
        }
    }

    fn item(id: i64, currency: &str, recurring: bool, years: Vec<YearPlan>) -> ItemSchedule {
        ItemSchedule {
            cost_item_id: id,
            name: format!("item {id}"),
            currency: currency.into(),
            recurring,
            schedule: validate(years, &name).unwrap(),
        }
    }

    fn commitment(
        funder: i64,
        from: i32,
        to: i32,
        status: CommitmentStatus,
        item: Option<i64>,
    ) -> Commitment {
        Commitment {
            title: "c".into(),
            funder_id: funder,
            amount_minor: 100,
            currency: "ILS".into(),
            starts_on: NaiveDate::from_ymd_opt(from, 1, 1).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(to, 12, 31).unwrap(),
            status,
            signed_on: None,
            objective_id: None,
            activity_id: None,
            cost_item_id: item,
            reference: String::new(),
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn planned_amounts_sum_exactly_to_the_cost() {
        let y = year(2020, 100_001, &[(GAZIT, 3300), (MUNI, 6700)]);
        let planned = y.planned();
        assert_eq!(planned, vec![(GAZIT, 33_000), (MUNI, 67_001)]);
        assert_eq!(planned.iter().map(|p| p.1).sum::<i64>(), 100_001);
        let y = year(2020, 10, &[(GAZIT, 3333), (MUNI, 3333), (RASHI, 3334)]);
        assert_eq!(y.planned().iter().map(|p| p.1).sum::<i64>(), 10);
    }

    #[test]
    fn shares_not_summing_to_the_whole_are_refused_naming_the_year() {
        let e = validate(
            vec![
                year(2019, 612_000, &[(GAZIT, 6600), (MUNI, 3400)]),
                year(2020, 624_000, &[(GAZIT, 3300), (MUNI, 6600)]),
            ],
            &name,
        )
        .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].row, 1);
        assert_eq!(e[0].year, Some(2020));
        assert_eq!(e[0].field, "shares");
        assert_eq!(e[0].message, "2020: the shares sum to 99%, not 100%");
    }

    #[test]
    fn bad_years_costs_and_shares_are_each_named() {
        let e = validate(
            vec![
                year(2019, -1, &[(GAZIT, 10_000)]),
                year(2019, 5, &[(GAZIT, 5000), (GAZIT, 5000)]),
                year(1800, 5, &[(MUNI, -100), (GAZIT, 10_100)]),
                year(2021, 5, &[]),
            ],
            &name,
        )
        .unwrap_err();
        let got: Vec<(usize, &str, &str)> = e.iter().map(|e| (e.row, e.field, e.code)).collect();
        assert_eq!(
            got,
            vec![
                (0, "cost", "negative"),
                (1, "year", "duplicate_year"),
                (1, "share", "duplicate_funder"),
                (2, "year", "year_out_of_range"),
                (2, "share", "negative"),
                (2, "share", "share_over_whole"),
                (3, "shares", "no_funder"),
            ]
        );
        assert!(e[2].message.contains("Gazit Globe"), "{}", e[2].message);
        assert!(e[4].message.contains("Municipality"), "{}", e[4].message);
    }

    #[test]
    fn a_year_without_cost_may_have_no_funder_and_years_are_sorted() {
        let s = validate(
            vec![
                year(2021, 0, &[]),
                year(2020, 5, &[(GAZIT, 10_000), (MUNI, 0)]),
            ],
            &name,
        )
        .unwrap();
        assert_eq!(s.years[0].year, 2020);
        assert_eq!(s.years[0].shares.len(), 1, "zero shares are dropped");
        assert_eq!(
            notation(&s, "ILS", &name),
            "2020: 0.05 = Gazit Globe 100%\n2021: 0.00 = "
        );
    }

    #[test]
    fn the_report_reads_amounts_and_the_public_share() {
        let items = vec![
            item(
                2,
                "ILS",
                true,
                vec![year(2019, 612_001, &[(GAZIT, 6600), (MUNI, 3400)])],
            ),
            item(
                1,
                "ILS",
                true,
                vec![year(2020, 0, &[(GAZIT, 2500), (MUNI, 7500)])],
            ),
        ];
        let mut funders = HashMap::new();
        funders.insert(
            GAZIT,
            FunderInfo {
                name: "Gazit Globe".into(),
                public: false,
            },
        );
        funders.insert(
            MUNI,
            FunderInfo {
                name: "Municipality".into(),
                public: true,
            },
        );
        let r = report(&items, &funders);
        assert_eq!(r.items[0].name, "item 1");
        assert_eq!(r.items[0].years[0].public_share, 0.75, "cost 0: by shares");
        let y = &r.items[1].years[0];
        // 612,001 × 34% = 208,080.34 → 208,080; Gazit 403,920.66 → 403,921.
        assert_eq!(y.funders[0].amount_minor, 403_921);
        assert_eq!(y.funders[1].amount_minor, 208_080);
        assert!(y.funders[1].public && !y.funders[0].public);
        assert_eq!(y.public_share, 208_080.0 / 612_001.0);
    }

    #[test]
    fn public_share_planned_and_actual_per_year_and_currency() {
        let items = vec![
            item(
                1,
                "ILS",
                true,
                vec![
                    year(2019, 600_000, &[(GAZIT, 6600), (MUNI, 3400)]),
                    year(2020, 600_000, &[(GAZIT, 3300), (MUNI, 6700)]),
                ],
            ),
            item(2, "ILS", true, vec![year(2019, 400_000, &[(MUNI, 10_000)])]),
            // Not recurring: left out.
            item(
                3,
                "ILS",
                false,
                vec![year(2019, 1_000_000, &[(GAZIT, 10_000)])],
            ),
            // Another currency: its own row, never summed with shekels.
            item(
                4,
                "GBP",
                true,
                vec![year(2019, 1000, &[(MUNI, 5000), (RASHI, 5000)])],
            ),
        ];
        let spent = |item: i64, y: i32, f: Option<i64>, cur: &str, amount: i64| Spent {
            cost_item_id: item,
            year: y,
            funder_id: f,
            currency: cur.into(),
            amount_minor: amount,
        };
        let rows = sustainability(
            &items,
            &public,
            &[
                spent(1, 2019, Some(GAZIT), "ILS", 400_000),
                spent(1, 2019, Some(MUNI), "ILS", 150_000),
                spent(2, 2019, Some(MUNI), "ILS", 350_000),
                spent(2, 2019, None, "ILS", 100_000),
                spent(3, 2019, Some(MUNI), "ILS", 999_999),
                spent(4, 2019, Some(MUNI), "GBP", 700),
            ],
        );
        assert_eq!(rows.len(), 3);
        let gbp = &rows[0];
        assert_eq!((gbp.year, gbp.currency.as_str()), (2019, "GBP"));
        assert_eq!((gbp.planned_cost, gbp.planned_public), (1000, 500));
        assert_eq!(gbp.actual(), Some(1.0));
        let ils = &rows[1];
        assert_eq!((ils.year, ils.currency.as_str()), (2019, "ILS"));
        assert_eq!(ils.planned_cost, 1_000_000);
        assert_eq!(ils.planned_public, 204_000 + 400_000);
        assert_eq!(ils.planned(), Some(0.604));
        assert_eq!((ils.actual_total, ils.actual_public), (1_000_000, 500_000));
        assert_eq!(ils.actual(), Some(0.5));
        let later = &rows[2];
        assert_eq!(later.year, 2020);
        assert_eq!(later.planned_public, 402_000);
        assert_eq!(later.actual(), None, "nothing spent yet");
    }

    #[test]
    fn a_transition_without_a_signed_commitment_warns_until_signed() {
        let items = vec![item(
            7,
            "ILS",
            true,
            vec![
                year(2018, 500, &[(GAZIT, 10_000)]),
                year(2019, 500, &[(GAZIT, 6600), (MUNI, 3400)]),
                year(2020, 500, &[(GAZIT, 3300), (MUNI, 6700)]),
                year(2021, 500, &[(MUNI, 10_000)]),
            ],
        )];
        let gazit = commitment(GAZIT, 2018, 2020, CommitmentStatus::Received, Some(7));
        // Mid-2019: 2018 and 2019 have begun, 2020 begins within 12 months, 2021 does not.
        let today = day(2019, 6, 1);
        let w = warnings(&items, std::slice::from_ref(&gazit), &name, today);
        let got: Vec<(i32, i64)> = w.iter().map(|w| (w.year, w.funder_id)).collect();
        assert_eq!(got, vec![(2019, MUNI), (2020, MUNI)]);
        assert_eq!(w[0].item, "item 7");
        assert_eq!(w[0].funder, "Municipality");
        // A pledge is not enough; a commitment restricted to another item neither.
        let pledged = commitment(MUNI, 2019, 2021, CommitmentStatus::Pledged, None);
        let other = commitment(MUNI, 2019, 2021, CommitmentStatus::Signed, Some(8));
        assert_eq!(
            warnings(&items, &[gazit.clone(), pledged, other], &name, today).len(),
            2
        );
        // Signed, unrestricted, covering 2019–2020: no warning left today; 2021
        // (the municipality's last step) warns once it comes within 12 months.
        let signed = commitment(MUNI, 2019, 2020, CommitmentStatus::Signed, None);
        assert!(warnings(&items, &[gazit.clone(), signed.clone()], &name, today).is_empty());
        let w = warnings(
            &items,
            &[gazit.clone(), signed.clone()],
            &name,
            day(2020, 3, 1),
        );
        assert_eq!(w.iter().map(|w| w.year).collect::<Vec<_>>(), vec![2021]);
        let restricted = commitment(MUNI, 2021, 2023, CommitmentStatus::Received, Some(7));
        assert!(warnings(&items, &[gazit, signed, restricted], &name, day(2020, 3, 1)).is_empty());
    }
}
