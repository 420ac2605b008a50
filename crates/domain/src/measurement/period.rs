//! Reporting periods in their ISO forms: `2025-W07` (ISO week), `2025-02`
//! (month), `2025Q1` (quarter) and `2025` (year).
//!
//! An ISO week belongs to the year that holds its Thursday, so `2026-W01` starts
//! on Monday 29 December 2025 and `2020-W53` exists while `2021-W53` does not.
//! When a week is placed in a month, quarter or year (a chart of quarters from
//! weekly data), it goes where its Thursday falls — the same rule ISO uses for
//! the year.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Frequency;

/// One reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// ISO week-numbering year and week (1–53).
    Week(i32, u32),
    /// Calendar year and month (1–12).
    Month(i32, u32),
    /// Calendar year and quarter (1–4).
    Quarter(i32, u32),
    Year(i32),
}

/// Why a period's text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodError(pub String);

impl fmt::Display for PeriodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a period: use 2025-W07 (week), 2025-02 (month), 2025Q1 (quarter) or 2025 (year)",
            self.0
        )
    }
}

impl std::error::Error for PeriodError {}

const MIN_YEAR: i32 = 1900;
const MAX_YEAR: i32 = 2200;

fn weeks_in(year: i32) -> u32 {
    // The week of 28 December is always the year's last ISO week.
    NaiveDate::from_ymd_opt(year, 12, 28)
        .map(|d| d.iso_week().week())
        .unwrap_or(52)
}

impl Period {
    /// Parse the ISO forms; also accepts a lower-case `w`/`q` and `2025-Q1`.
    pub fn parse(text: &str) -> Result<Self, PeriodError> {
        let err = || PeriodError(text.to_string());
        let s = text.trim().to_ascii_uppercase();
        let year = |y: &str| -> Result<i32, PeriodError> {
            if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            let y: i32 = y.parse().map_err(|_| err())?;
            if (MIN_YEAR..=MAX_YEAR).contains(&y) {
                Ok(y)
            } else {
                Err(err())
            }
        };
        let number = |n: &str, max: u32| -> Result<u32, PeriodError> {
            if n.is_empty() || n.len() > 2 || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            let n: u32 = n.parse().map_err(|_| err())?;
            if (1..=max).contains(&n) {
                Ok(n)
            } else {
                Err(err())
            }
        };
        if s.len() == 4 {
            return Ok(Period::Year(year(&s)?));
        }
        if s.len() < 6 || !s.is_ascii() {
            return Err(err());
        }
        let (y, rest) = s.split_at(4);
        let y = year(y)?;
        let rest = rest.strip_prefix('-').unwrap_or(rest);
        if let Some(w) = rest.strip_prefix('W') {
            if w.len() != 2 {
                return Err(err());
            }
            let w = number(w, weeks_in(y))?;
            Ok(Period::Week(y, w))
        } else if let Some(q) = rest.strip_prefix('Q') {
            if q.len() != 1 {
                return Err(err());
            }
            Ok(Period::Quarter(y, number(q, 4)?))
        } else if s.as_bytes()[4] == b'-' && rest.len() == 2 {
            Ok(Period::Month(y, number(rest, 12)?))
        } else {
            Err(err())
        }
    }

    pub fn frequency(self) -> Frequency {
        match self {
            Period::Week(..) => Frequency::Weekly,
            Period::Month(..) => Frequency::Monthly,
            Period::Quarter(..) => Frequency::Quarterly,
            Period::Year(..) => Frequency::Yearly,
        }
    }

    /// The first day.
    pub fn start(self) -> NaiveDate {
        match self {
            Period::Week(y, w) => NaiveDate::from_isoywd_opt(y, w, Weekday::Mon),
            Period::Month(y, m) => NaiveDate::from_ymd_opt(y, m, 1),
            Period::Quarter(y, q) => NaiveDate::from_ymd_opt(y, (q - 1) * 3 + 1, 1),
            Period::Year(y) => NaiveDate::from_ymd_opt(y, 1, 1),
        }
        .expect("a parsed period has a valid first day")
    }

    /// The last day (inclusive).
    pub fn end(self) -> NaiveDate {
        self.next().start() - Duration::days(1)
    }

    /// A number that grows by one from each period to the next of the same
    /// frequency, so that `b.index() - a.index()` counts the periods between them.
    pub fn index(self) -> i64 {
        match self {
            // Weeks: the Monday's day number divided by seven.
            Period::Week(..) => i64::from(self.start().num_days_from_ce()).div_euclid(7),
            Period::Month(y, m) => i64::from(y) * 12 + i64::from(m) - 1,
            Period::Quarter(y, q) => i64::from(y) * 4 + i64::from(q) - 1,
            Period::Year(y) => i64::from(y),
        }
    }

    /// The period of `frequency` whose [`Period::index`] is `index`.
    pub fn from_index(frequency: Frequency, index: i64) -> Option<Self> {
        let year = |i: i64| {
            i32::try_from(i)
                .ok()
                .filter(|y| (MIN_YEAR..=MAX_YEAR).contains(y))
        };
        match frequency {
            Frequency::Weekly => {
                // Day 1 of the common era is a Monday, so Mondays are 7·i + 1.
                let days = i32::try_from(index.checked_mul(7)?.checked_add(1)?).ok()?;
                let monday = NaiveDate::from_num_days_from_ce_opt(days)?;
                let (y, w) = (monday.iso_week().year(), monday.iso_week().week());
                year(i64::from(y)).map(|y| Period::Week(y, w))
            }
            Frequency::Monthly => year(index.div_euclid(12))
                .map(|y| Period::Month(y, index.rem_euclid(12) as u32 + 1)),
            Frequency::Quarterly => year(index.div_euclid(4))
                .map(|y| Period::Quarter(y, index.rem_euclid(4) as u32 + 1)),
            Frequency::Yearly => year(index).map(Period::Year),
        }
    }

    /// The period `n` steps later (earlier when negative).
    pub fn offset(self, n: i64) -> Option<Self> {
        Self::from_index(self.frequency(), self.index().checked_add(n)?)
    }

    /// The following period (the last representable year wraps to itself).
    pub fn next(self) -> Self {
        match self {
            // Computed directly so that `end()` works up to the last year.
            Period::Week(..) => {
                let d = self.start() + Duration::days(7);
                Period::Week(d.iso_week().year(), d.iso_week().week())
            }
            Period::Month(y, 12) => Period::Month(y + 1, 1),
            Period::Month(y, m) => Period::Month(y, m + 1),
            Period::Quarter(y, 4) => Period::Quarter(y + 1, 1),
            Period::Quarter(y, q) => Period::Quarter(y, q + 1),
            Period::Year(y) => Period::Year(y + 1),
        }
    }

    /// The period before.
    pub fn prev(self) -> Option<Self> {
        self.offset(-1)
    }

    /// The period of `frequency` that holds `date`.
    pub fn containing(date: NaiveDate, frequency: Frequency) -> Self {
        match frequency {
            Frequency::Weekly => Period::Week(date.iso_week().year(), date.iso_week().week()),
            Frequency::Monthly => Period::Month(date.year(), date.month()),
            Frequency::Quarterly => Period::Quarter(date.year(), (date.month() - 1) / 3 + 1),
            Frequency::Yearly => Period::Year(date.year()),
        }
    }

    /// The coarser period this one falls in (a month's quarter or year; a week
    /// goes where its Thursday falls). `None` when `frequency` is finer than
    /// this period, or a week is asked for a month or quarter's week.
    pub fn within(self, frequency: Frequency) -> Option<Self> {
        if frequency_rank(frequency) < frequency_rank(self.frequency()) {
            return None;
        }
        let anchor = match self {
            Period::Week(..) => self.start() + Duration::days(3),
            _ => self.start(),
        };
        Some(Self::containing(anchor, frequency))
    }

    /// Every period from `from` to `to`, both included (empty when `to` is
    /// before `from` or their frequencies differ).
    pub fn range(from: Self, to: Self) -> Vec<Self> {
        if from.frequency() != to.frequency() {
            return Vec::new();
        }
        (from.index()..=to.index())
            .filter_map(|i| Self::from_index(from.frequency(), i))
            .collect()
    }
}

/// Finer frequencies rank lower.
fn frequency_rank(f: Frequency) -> u8 {
    match f {
        Frequency::Weekly => 0,
        Frequency::Monthly => 1,
        Frequency::Quarterly => 2,
        Frequency::Yearly => 3,
    }
}

impl Ord for Period {
    /// By first day, then the shorter period first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.start(), frequency_rank(self.frequency()))
            .cmp(&(other.start(), frequency_rank(other.frequency())))
    }
}

impl PartialOrd for Period {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Week(y, w) => write!(f, "{y:04}-W{w:02}"),
            Period::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            Period::Quarter(y, q) => write!(f, "{y:04}Q{q}"),
            Period::Year(y) => write!(f, "{y:04}"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }
    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_four_iso_forms_parse_and_print_back() {
        for s in ["2025-W07", "2025-02", "2025Q1", "2025", "2020-W53"] {
            assert_eq!(p(s).to_string(), s);
        }
        assert_eq!(p("2025-q3"), Period::Quarter(2025, 3));
        assert_eq!(p("2025w07"), Period::Week(2025, 7));
        for bad in [
            "2025-13",
            "2025Q5",
            "2021-W53",
            "2025-W00",
            "25",
            "2025-2",
            "2025-W7",
            "",
            "2025-",
            "abcd",
            "2025Q",
            "２０２５",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn iso_weeks_cross_year_ends() {
        // 2026-W01 starts on Monday 29 December 2025.
        assert_eq!(p("2026-W01").start(), d(2025, 12, 29));
        assert_eq!(p("2025-W52").next(), p("2026-W01"));
        assert_eq!(p("2020-W53").next(), p("2021-W01"));
        assert_eq!(p("2021-W01").prev(), Some(p("2020-W53")));
        assert_eq!(p("2021-W01").start(), d(2021, 1, 4));
        assert_eq!(p("2020-W53").end(), d(2021, 1, 3));
        // 1 January 2027 is a Friday: it belongs to 2026-W53.
        assert_eq!(
            Period::containing(d(2027, 1, 1), Frequency::Weekly),
            p("2026-W53")
        );
        assert_eq!(p("2026-W53").index() - p("2026-W01").index(), 52);
        assert_eq!(p("2025-W52").offset(2), Some(p("2026-W02")));
        // A week sits where its Thursday falls: 2026-W01's Thursday is 1 January 2026.
        assert_eq!(p("2026-W01").within(Frequency::Yearly), Some(p("2026")));
        assert_eq!(p("2026-W01").within(Frequency::Monthly), Some(p("2026-01")));
        assert_eq!(p("2020-W53").within(Frequency::Yearly), Some(p("2020")));
    }

    #[test]
    fn months_quarters_and_years_step_and_nest() {
        assert_eq!(p("2024-12").next(), p("2025-01"));
        assert_eq!(p("2025-01").prev(), Some(p("2024-12")));
        assert_eq!(p("2024-02").end(), d(2024, 2, 29));
        assert_eq!(p("2025Q4").next(), p("2026Q1"));
        assert_eq!(p("2025Q2").start(), d(2025, 4, 1));
        assert_eq!(p("2025Q2").end(), d(2025, 6, 30));
        assert_eq!(p("2025-05").within(Frequency::Quarterly), Some(p("2025Q2")));
        assert_eq!(p("2025-05").within(Frequency::Yearly), Some(p("2025")));
        assert_eq!(p("2025Q2").within(Frequency::Monthly), None);
        assert_eq!(Period::range(p("2024-11"), p("2025-02")).len(), 4);
        assert!(Period::range(p("2025-02"), p("2024-11")).is_empty());
        assert_eq!(p("2030-01").index() - p("2020-01").index(), 120);
        assert!(p("2025-01") < p("2025-02") && p("2025-01") < p("2025Q1"));
        assert_eq!(
            serde_json::to_string(&p("2025Q1")).unwrap(),
            "\"2025Q1\"".to_string()
        );
    }
}
