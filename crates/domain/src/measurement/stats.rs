//! The exact rules behind every figure Backbone shows: totals, formulas,
//! variance to target, outliers, trends, change since baseline, equity gaps
//! with small-cell suppression, forecasts, period roll-ups and data quality.
//!
//! These numbers are compared with independent implementations, so each rule
//! is written down in the doc comment of the function that applies it, and the
//! functions follow those words literally.
//!
//! Values are [`Decimal`]: sums and averages of reported values are exact, and
//! a figure read from a spreadsheet is the figure shown. `f64` appears only
//! where a statistic is inherently approximate (z-scores, least squares,
//! correlation), and the conversion happens at that edge. Nothing here panics
//! on data: a division by zero, a missing operand or a result beyond
//! [`Decimal`]'s range (about ±7.9·10²⁸) gives `None` instead.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::{Deserialize, Serialize};

use super::period::Period;
use super::{Aggregation, Decimal, Frequency, PeriodAggregation, Polarity};

// ---------------------------------------------------------------------------
// Aggregation and totals
// ---------------------------------------------------------------------------

/// Combine values by an indicator's aggregation: [`Aggregation::Sum`] is
/// their sum, [`Aggregation::Average`] their arithmetic mean (sum ÷ count).
///
/// `None` when there are no values (an empty sum is "no data", not zero), or
/// when the sum leaves [`Decimal`]'s range.
pub fn aggregate(agg: Aggregation, values: &[Decimal]) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    let sum = values
        .iter()
        .try_fold(Decimal::ZERO, |acc, v| acc.checked_add(*v))?;
    match agg {
        Aggregation::Sum => Some(sum),
        Aggregation::Average => sum.checked_div(Decimal::from(values.len())),
    }
}

/// The running aggregate kept for one indicator, site (initiative) and
/// period, so that a total can be updated as values arrive, change or leave
/// without reading every value again.
///
/// It holds the sum and count of the "total rows" (values without a
/// subgroup, from any partner) and, separately, of the subgroup rows (values
/// disaggregated by sex, age band, …). Both are kept because the total rule
/// ([`Cell::total`]) prefers the first and falls back on the second.
///
/// Sums use [`Decimal`]'s ordinary arithmetic, which panics only beyond its
/// range (about ±7.9·10²⁸) — far outside any value an indicator can hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// Sum of the values without a subgroup.
    pub total_sum: Decimal,
    /// Number of values without a subgroup.
    pub total_count: i64,
    /// Sum of the subgroup values.
    pub sub_sum: Decimal,
    /// Number of subgroup values.
    pub sub_count: i64,
}

impl Cell {
    /// Count one value in: a total row when `is_total` (it has no subgroup),
    /// a subgroup row otherwise.
    pub fn add(&mut self, value: Decimal, is_total: bool) {
        if is_total {
            self.total_sum += value;
            self.total_count += 1;
        } else {
            self.sub_sum += value;
            self.sub_count += 1;
        }
    }

    /// Take one value back out (a value deleted, or the old side of a
    /// correction, which is a `remove` of the old value and an `add` of the
    /// new). The value must have been added before with the same `is_total`.
    pub fn remove(&mut self, value: Decimal, is_total: bool) {
        if is_total {
            self.total_sum -= value;
            self.total_count -= 1;
        } else {
            self.sub_sum -= value;
            self.sub_count -= 1;
        }
    }

    /// Add another cell's values to this one (the two halves of a batch).
    pub fn merge(&mut self, other: &Cell) {
        self.total_sum += other.total_sum;
        self.total_count += other.total_count;
        self.sub_sum += other.sub_sum;
        self.sub_count += other.sub_count;
    }

    /// No value is counted any more (the cell can be forgotten).
    pub fn is_empty(&self) -> bool {
        self.total_count == 0 && self.sub_count == 0
    }

    /// **The total of an indicator for a site and period: its values for
    /// that site and period aggregated by the indicator's aggregation (sum,
    /// or average = arithmetic mean) over partners; where total rows (no
    /// subgroup) exist for that site and period, only they count; otherwise
    /// the subgroup rows are aggregated.**
    ///
    /// Total rows win because a partner that reports both a total and a
    /// breakdown would otherwise be counted twice, and a breakdown is often
    /// partial (an "unknown" band left out). So: with total rows, their sum
    /// or their sum ÷ their count; else with subgroup rows, the same over
    /// them; else `None`.
    pub fn total(&self, agg: Aggregation) -> Option<Decimal> {
        let (sum, count) = if self.total_count > 0 {
            (self.total_sum, self.total_count)
        } else if self.sub_count > 0 {
            (self.sub_sum, self.sub_count)
        } else {
            return None;
        };
        match agg {
            Aggregation::Sum => Some(sum),
            Aggregation::Average => sum.checked_div(Decimal::from(count)),
        }
    }
}

// ---------------------------------------------------------------------------
// Formulas, targets and baselines
// ---------------------------------------------------------------------------

/// A calculated indicator: numerator ÷ denominator × factor (a rate per
/// 1 000 has factor 1000, a percentage 100, a plain ratio 1).
///
/// `None` — never an error — when either operand is missing, the denominator
/// is zero, or the result leaves [`Decimal`]'s range: a figure that cannot be
/// computed is shown as missing.
///
/// Computed as (numerator × factor) ÷ denominator, so that the only rounding
/// is the final division's: 2 ÷ 3 × 3 rounded first would give
/// 2.0000000000000000000000000001, while 2 × 3 ÷ 3 is exactly 2. Only when
/// numerator × factor overflows is it computed the other way round.
pub fn formula(
    numerator: Option<Decimal>,
    denominator: Option<Decimal>,
    factor: Decimal,
) -> Option<Decimal> {
    let (num, den) = (numerator?, denominator?);
    if den.is_zero() {
        return None;
    }
    match num.checked_mul(factor) {
        Some(scaled) => scaled.checked_div(den),
        None => num.checked_div(den)?.checked_mul(factor),
    }
}

/// Variance to target: (A − T) ÷ T, the actual's distance from the target as
/// a fraction of the target (−0.2 is 20 % short of it whatever the polarity;
/// whether that is good is the polarity's business).
///
/// `None` when the actual or the target is missing, or the target is zero
/// (a relative distance to zero has no meaning).
pub fn variance_to_target(actual: Option<Decimal>, target: Option<Decimal>) -> Option<Decimal> {
    let (a, t) = (actual?, target?);
    if t.is_zero() {
        return None;
    }
    a.checked_sub(t)?.checked_div(t)
}

/// Change since baseline: `(latest − baseline, (latest − baseline) ÷ baseline)`.
///
/// `None` when either value is missing; the relative change alone is `None`
/// when the baseline is zero (the absolute change still means something).
pub fn change_since_baseline(
    baseline: Option<Decimal>,
    latest: Option<Decimal>,
) -> Option<(Decimal, Option<Decimal>)> {
    let (b, l) = (baseline?, latest?);
    let change = l.checked_sub(b)?;
    let relative = if b.is_zero() {
        None
    } else {
        change.checked_div(b)
    };
    Some((change, relative))
}

// ---------------------------------------------------------------------------
// Outliers
// ---------------------------------------------------------------------------

/// The modified z-score above which a value is flagged (Iglewicz and Hoaglin's
/// recommendation).
pub const DEFAULT_OUTLIER_THRESHOLD: f64 = 3.5;

/// 0.6745, the 0.75 quantile of the standard normal distribution: it makes
/// the MAD comparable to a standard deviation for normal data.
const MAD_SCALE: Decimal = Decimal::from_parts(6745, 0, 0, false, 4);

/// Fewer values than this and no value is called an outlier: the median of
/// three or four numbers says too little about what is usual.
const MIN_OUTLIER_SERIES: usize = 5;

/// The median: the middle value in order, or the arithmetic mean of the two
/// middle values when the count is even. `None` when there are no values.
/// Exact in [`Decimal`].
pub fn median(values: &[Decimal]) -> Option<Decimal> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    if n % 2 == 1 {
        return Some(sorted[n / 2]);
    }
    let (a, b) = (sorted[n / 2 - 1], sorted[n / 2]);
    // a + b overflows only when both are huge and of the same sign; then
    // b − a cannot, and a + (b − a) ÷ 2 stays between a and b.
    Some(
        a.checked_add(b)
            .map(|s| s / Decimal::TWO)
            .unwrap_or_else(|| a + (b - a) / Decimal::TWO),
    )
}

/// Each value's absolute deviation from the median, and the MAD (their
/// median). `None` under the rule's conditions: fewer than 5 values, MAD 0,
/// or a deviation beyond [`Decimal`]'s range.
fn deviations(series: &[Decimal]) -> Option<(Vec<Decimal>, Decimal)> {
    if series.len() < MIN_OUTLIER_SERIES {
        return None;
    }
    let m = median(series)?;
    let devs = series
        .iter()
        .map(|x| x.checked_sub(m).map(|d| d.abs()))
        .collect::<Option<Vec<_>>>()?;
    let mad = median(&devs)?;
    if mad.is_zero() {
        return None;
    }
    Some((devs, mad))
}

/// The modified z-score of each value of a series: 0.6745 · |x − median| ÷ MAD,
/// with MAD the median of the absolute deviations from the median.
///
/// `None` when the series has fewer than 5 values or its MAD is 0 (more than
/// half the values are equal, so any other value would have an infinite
/// score). Median and MAD are exact; the score is rounded to `f64` last.
pub fn modified_z_scores(series: &[Decimal]) -> Option<Vec<f64>> {
    let (devs, mad) = deviations(series)?;
    devs.iter()
        .map(|d| MAD_SCALE.checked_mul(*d)?.checked_div(mad)?.to_f64())
        .collect()
}

/// **Outliers: in the series of one indicator's totals for one site, a value
/// whose modified z-score 0.6745·|x − median| / MAD exceeds the threshold
/// (3.5 by default, [`DEFAULT_OUTLIER_THRESHOLD`]), with MAD the median of
/// the absolute deviations from the median; none when the series has fewer
/// than 5 values or MAD is 0.**
///
/// "Exceeds" is strictly greater: a score of exactly 3.5 is not an outlier.
/// One flag per value, in the series' order (all `false` when there are
/// none). The test is made exactly, as 0.6745·|x − m| > threshold·MAD in
/// [`Decimal`] with the threshold read as the decimal it is written as, so a
/// borderline value is not decided by binary rounding; only a threshold that
/// cannot be a [`Decimal`] (NaN, infinite, beyond its range) is compared with
/// the `f64` score instead.
pub fn outliers(series: &[Decimal], threshold: f64) -> Vec<bool> {
    let Some((devs, mad)) = deviations(series) else {
        return vec![false; series.len()];
    };
    let exact_limit = Decimal::from_f64(threshold).and_then(|t| t.checked_mul(mad));
    devs.iter()
        .map(|d| {
            let scaled = MAD_SCALE * *d; // 0.6745 · d never overflows
            match exact_limit {
                Some(limit) => scaled > limit,
                None => (scaled / mad).to_f64().is_some_and(|z| z > threshold),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Trends
// ---------------------------------------------------------------------------

/// Which way a run of moves goes, judged by the indicator's polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Better,
    Worse,
    Flat,
}

/// The current run: its direction and how many period-to-period moves it
/// lasts (a run of `periods` moves spans `periods + 1` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Trend {
    pub direction: Direction,
    pub periods: usize,
}

/// The trend of a series given oldest first (one value per period, in
/// period order; periods without a value are simply left out by the caller).
///
/// A move is the change from one value to the next: up, down, or flat when
/// the two values are equal. Looking back from the latest value, the trend is
/// the latest move's kind and the number of consecutive moves of that same
/// kind ending at the latest value. A flat move ends an up or down run and
/// starts a flat one (flat moves then count like any others). Up is
/// [`Direction::Better`] when higher is better and [`Direction::Worse`] when
/// lower is better; down the reverse; flat is [`Direction::Flat`] either way.
///
/// `None` with fewer than 2 values (no move at all).
///
/// Example: 5, 3, 4, 4, 6, 7 ends with two moves up (4→6, 6→7), so with
/// higher is better the trend is `Better` over 2 periods.
pub fn trend(series: &[Decimal], polarity: Polarity) -> Option<Trend> {
    let moves: Vec<Ordering> = series.windows(2).map(|w| w[1].cmp(&w[0])).collect();
    let last = *moves.last()?;
    let periods = moves.iter().rev().take_while(|m| **m == last).count();
    let direction = match (last, polarity) {
        (Ordering::Equal, _) => Direction::Flat,
        (Ordering::Greater, Polarity::HigherIsBetter)
        | (Ordering::Less, Polarity::LowerIsBetter) => Direction::Better,
        _ => Direction::Worse,
    };
    Some(Trend { direction, periods })
}

// ---------------------------------------------------------------------------
// Equity gaps and small cells
// ---------------------------------------------------------------------------

/// Cells counting fewer people than this are hidden from those not allowed
/// to see small numbers: a figure about three people can identify them.
pub const DEFAULT_MIN_CELL: i64 = 10;

/// Whether a cell is hidden: its count of people is known and under
/// `min_count`, and the viewer may not see small cells. A cell whose count is
/// unknown is shown (the indicator is not a count of people).
pub fn suppress(count: Option<Decimal>, min_count: i64, may_see_small: bool) -> bool {
    !may_see_small && count.is_some_and(|c| c < Decimal::from(min_count))
}

/// One subgroup's figure as it comes in for an equity comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GapInput<'a> {
    /// The subgroup's name as shown (e.g. "Women", "15–24").
    pub label: &'a str,
    /// The indicator's value for the subgroup.
    pub value: Option<Decimal>,
    /// The number of people behind the value, when known.
    pub count: Option<Decimal>,
}

/// One subgroup's figure compared with the reference group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    pub label: String,
    /// The value, `None` when missing or suppressed.
    pub value: Option<Decimal>,
    /// value − reference value.
    pub difference: Option<Decimal>,
    /// value ÷ reference value.
    pub ratio: Option<Decimal>,
    /// The cell is too small to be shown to this viewer.
    pub suppressed: bool,
}

/// Equity gaps: each group's value compared with the reference group's.
///
/// - difference = value − reference value; ratio = value ÷ reference value
///   (`None` when the reference value is 0 or missing, or the group's value
///   is missing). The reference's own row follows the same rule, so its
///   difference is 0 and its ratio 1.
/// - Small cells ([`suppress`]): a cell whose count is known and under
///   `min_count` is suppressed unless `may_see_small`: its value, difference
///   and ratio are `None` and `suppressed` is `true`.
/// - When the reference itself is suppressed, every group's difference and
///   ratio are `None` too: with a group's value shown, they would reveal the
///   reference's value.
///
/// Returns the reference's row and the groups' rows in their given order.
pub fn equity_gaps(
    reference: &GapInput,
    groups: &[GapInput],
    min_count: i64,
    may_see_small: bool,
) -> (Gap, Vec<Gap>) {
    let shown = |g: &GapInput| {
        let suppressed = suppress(g.count, min_count, may_see_small);
        (if suppressed { None } else { g.value }, suppressed)
    };
    let (reference_value, _) = shown(reference);
    let row = |g: &GapInput| {
        let (value, suppressed) = shown(g);
        let (difference, ratio) = match (value, reference_value) {
            (Some(v), Some(r)) => (
                v.checked_sub(r),
                if r.is_zero() { None } else { v.checked_div(r) },
            ),
            _ => (None, None),
        };
        Gap {
            label: g.label.to_string(),
            value,
            difference,
            ratio,
            suppressed,
        }
    };
    (row(reference), groups.iter().map(row).collect())
}

// ---------------------------------------------------------------------------
// Forecasts and correlation
// ---------------------------------------------------------------------------

/// Ordinary least squares through `(x, y)` points: `(slope, intercept)` of the
/// line y = slope · x + intercept minimising the sum of squared vertical
/// distances.
///
/// `None` with fewer than 2 points, when all x are equal (the line would be
/// vertical), or when a result is not finite (a point was NaN or infinite).
pub fn linear_fit(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let (x0, _) = *points.first()?;
    if points.len() < 2 || points.iter().all(|(x, _)| *x == x0) {
        return None;
    }
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    // Centred sums: less cancellation than Σxy − n·x̄·ȳ.
    let (sxx, sxy) = points.iter().fold((0.0, 0.0), |(sxx, sxy), (x, y)| {
        let dx = x - mean_x;
        (sxx + dx * dx, sxy + dx * (y - mean_y))
    });
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    (slope.is_finite() && intercept.is_finite()).then_some((slope, intercept))
}

/// A straight-line forecast: the series' values (oldest first) are fitted by
/// [`linear_fit`] against x = 0, 1, …, n − 1, and the fitted line's values at
/// x = n, n + 1, …, n + ahead − 1 are returned — the next `ahead` periods.
///
/// Empty when the line cannot be fitted (fewer than 2 values).
pub fn forecast(series: &[Decimal], ahead: usize) -> Vec<f64> {
    let Some(points) = series
        .iter()
        .enumerate()
        .map(|(i, v)| Some((i as f64, v.to_f64()?)))
        .collect::<Option<Vec<_>>>()
    else {
        return Vec::new();
    };
    let Some((slope, intercept)) = linear_fit(&points) else {
        return Vec::new();
    };
    let n = series.len();
    (n..n + ahead)
        .map(|x| slope * x as f64 + intercept)
        .collect()
}

/// Ranks from 1, ties sharing the mean of the ranks they span (1, 2.5, 2.5, 4).
fn ranks(values: &[Decimal]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*a].cmp(&values[*b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1 ..= end; their mean:
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Pearson's correlation coefficient of paired values, in −1 ..= 1.
///
/// `None` when the lengths differ, there are fewer than 2 pairs, or either
/// side is constant (its spread is zero, so the coefficient is undefined).
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() != ys.len() || xs.len() < 2 {
        return None;
    }
    let n = xs.len() as f64;
    let mean_x = xs.iter().sum::<f64>() / n;
    let mean_y = ys.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        let (dx, dy) = (x - mean_x, y - mean_y);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    let r = (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0);
    r.is_finite().then_some(r)
}

/// Spearman's rank correlation of paired values: Pearson's coefficient of
/// their ranks, ties given the mean of the ranks they span. It measures
/// whether one goes up when the other does, whatever the shape.
///
/// `None` under the same conditions as [`pearson`] (different lengths, fewer
/// than 2 pairs, a side whose values are all equal).
pub fn spearman(xs: &[Decimal], ys: &[Decimal]) -> Option<f64> {
    if xs.len() != ys.len() {
        return None;
    }
    pearson(&ranks(xs), &ranks(ys))
}

// ---------------------------------------------------------------------------
// Rolling periods up
// ---------------------------------------------------------------------------

/// Roll a series into coarser periods for a chart (months into quarters,
/// weeks into years).
///
/// Each value goes to the period of frequency `into` that holds its period
/// ([`Period::within`]: a week goes where its Thursday falls). The values of
/// one coarser period combine by `agg`: [`PeriodAggregation::Sum`] their sum,
/// [`PeriodAggregation::Average`] their arithmetic mean (over the periods
/// that have a value — a missing month is not a zero), and
/// [`PeriodAggregation::Last`] the value of the latest period in the group
/// (of several values for that same period, the last given).
///
/// The result is sorted by period. Values whose period cannot be placed (a
/// period coarser than `into`, e.g. a quarter asked for months) are skipped, as is a group whose sum leaves [`Decimal`]'s range.
pub fn roll_up(
    agg: PeriodAggregation,
    series: &[(Period, Decimal)],
    into: Frequency,
) -> Vec<(Period, Decimal)> {
    let mut groups: BTreeMap<Period, Vec<(Period, Decimal)>> = BTreeMap::new();
    for &(period, value) in series {
        if let Some(coarse) = period.within(into) {
            groups.entry(coarse).or_default().push((period, value));
        }
    }
    groups
        .into_iter()
        .filter_map(|(coarse, members)| {
            let values = || members.iter().map(|m| m.1).collect::<Vec<_>>();
            let combined = match agg {
                PeriodAggregation::Sum => aggregate(Aggregation::Sum, &values()),
                PeriodAggregation::Average => aggregate(Aggregation::Average, &values()),
                // max_by_key keeps the last of equal keys.
                PeriodAggregation::Last => members.iter().max_by_key(|m| m.0).map(|m| m.1),
            }?;
            Some((coarse, combined))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Data quality
// ---------------------------------------------------------------------------

/// Completeness: the share of expected reports received, received ÷ expected
/// (1 is complete). Not capped: above 1 means more came in than expected.
/// `None` when nothing was expected.
pub fn completeness(expected: usize, received: usize) -> Option<Decimal> {
    if expected == 0 {
        return None;
    }
    Decimal::from(received).checked_div(Decimal::from(expected))
}

/// Whether a report for `period` was on time: received on or before the
/// period's last day plus `grace_days` (a negative grace asks for it before
/// the period ends). A grace too large to be a date counts as no deadline
/// (or, negative, as a deadline already passed).
pub fn on_time(period: Period, received_on: NaiveDate, grace_days: i64) -> bool {
    let deadline = TimeDelta::try_days(grace_days).and_then(|g| period.end().checked_add_signed(g));
    match deadline {
        Some(deadline) => received_on <= deadline,
        None => grace_days > 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn ds(xs: &[&str]) -> Vec<Decimal> {
        xs.iter().map(|s| d(s)).collect()
    }
    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }
    fn date(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn aggregate_sums_and_averages_exactly() {
        let v = ds(&["0.1", "0.2", "0.3"]);
        assert_eq!(aggregate(Aggregation::Sum, &v), Some(d("0.6")));
        assert_eq!(aggregate(Aggregation::Average, &v), Some(d("0.2")));
        assert_eq!(
            aggregate(Aggregation::Average, &ds(&["1", "2"])),
            Some(d("1.5"))
        );
        assert_eq!(aggregate(Aggregation::Sum, &[]), None);
        assert_eq!(aggregate(Aggregation::Average, &[]), None);
        assert_eq!(
            aggregate(Aggregation::Sum, &[Decimal::MAX, Decimal::ONE]),
            None
        );
    }

    #[test]
    fn total_rows_win_over_subgroup_rows() {
        let mut c = Cell::default();
        assert_eq!(c.total(Aggregation::Sum), None);
        assert!(c.is_empty());
        // Subgroup rows only: they are aggregated.
        c.add(d("4"), false);
        c.add(d("6"), false);
        assert_eq!(c.total(Aggregation::Sum), Some(d("10")));
        assert_eq!(c.total(Aggregation::Average), Some(d("5")));
        // A total row appears: only total rows count now.
        c.add(d("30"), true);
        assert_eq!(c.total(Aggregation::Sum), Some(d("30")));
        // Average over partners: two partners' totals.
        c.add(d("20"), true);
        assert_eq!(c.total(Aggregation::Sum), Some(d("50")));
        assert_eq!(c.total(Aggregation::Average), Some(d("25")));
        // Removing the total rows falls back on the subgroup rows.
        c.remove(d("30"), true);
        c.remove(d("20"), true);
        assert_eq!(c.total(Aggregation::Sum), Some(d("10")));
        c.remove(d("4"), false);
        c.remove(d("6"), false);
        assert_eq!(c.total(Aggregation::Sum), None);
        assert!(c.is_empty());
        assert_eq!(c, Cell::default());
    }

    #[test]
    fn cells_merge() {
        let (mut a, mut b) = (Cell::default(), Cell::default());
        a.add(d("1"), true);
        a.add(d("2"), false);
        b.add(d("3"), true);
        b.add(d("5"), false);
        a.merge(&b);
        assert_eq!(
            a,
            Cell {
                total_sum: d("4"),
                total_count: 2,
                sub_sum: d("7"),
                sub_count: 2
            }
        );
        assert_eq!(a.total(Aggregation::Average), Some(d("2")));
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Cell>(&json).unwrap(), a);
    }

    #[test]
    fn formulas_skip_missing_and_zero_denominators() {
        let hundred = d("100");
        assert_eq!(formula(Some(d("1")), Some(d("4")), hundred), Some(d("25")));
        // Multiplying first keeps 2 ÷ 3 × 3 exact.
        assert_eq!(formula(Some(d("2")), Some(d("3")), d("3")), Some(d("2")));
        assert_eq!(
            formula(Some(d("5")), Some(d("1000")), d("1000")),
            Some(d("5"))
        );
        assert_eq!(formula(None, Some(d("4")), hundred), None);
        assert_eq!(formula(Some(d("1")), None, hundred), None);
        assert_eq!(formula(Some(d("1")), Some(Decimal::ZERO), hundred), None);
        assert_eq!(formula(Some(d("0")), Some(d("0.00")), hundred), None);
        // Numerator × factor overflows: divided first instead.
        assert_eq!(
            formula(Some(Decimal::MAX), Some(Decimal::MAX), d("10")),
            Some(d("10"))
        );
        assert_eq!(formula(Some(Decimal::MAX), Some(d("0.1")), hundred), None);
    }

    #[test]
    fn variance_to_target_is_relative_and_needs_a_nonzero_target() {
        assert_eq!(
            variance_to_target(Some(d("80")), Some(d("100"))),
            Some(d("-0.2"))
        );
        assert_eq!(
            variance_to_target(Some(d("150")), Some(d("100"))),
            Some(d("0.5"))
        );
        assert_eq!(variance_to_target(Some(d("5")), Some(Decimal::ZERO)), None);
        assert_eq!(variance_to_target(None, Some(d("100"))), None);
        assert_eq!(variance_to_target(Some(d("5")), None), None);
    }

    #[test]
    fn change_since_baseline_absolute_and_relative() {
        assert_eq!(
            change_since_baseline(Some(d("40")), Some(d("50"))),
            Some((d("10"), Some(d("0.25"))))
        );
        assert_eq!(
            change_since_baseline(Some(d("0")), Some(d("3"))),
            Some((d("3"), None))
        );
        assert_eq!(change_since_baseline(None, Some(d("3"))), None);
        assert_eq!(change_since_baseline(Some(d("3")), None), None);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&ds(&["3", "1", "2"])), Some(d("2")));
        assert_eq!(median(&ds(&["4", "1", "3", "2"])), Some(d("2.5")));
        assert_eq!(median(&[Decimal::MAX, Decimal::MAX]), Some(Decimal::MAX));
    }

    #[test]
    fn modified_z_scores_worked_example() {
        // Series 10, 12, 12, 13, 12, 11, 40.
        // Sorted: 10 11 12 12 12 13 40 → median 12.
        // |x − 12|: 2 0 0 1 0 1 28 → sorted 0 0 0 1 1 2 28 → MAD 1.
        // z = 0.6745 · |x − 12| ÷ 1: 1.349 0 0 0.6745 0 0.6745 18.886.
        let s = ds(&["10", "12", "12", "13", "12", "11", "40"]);
        let z = modified_z_scores(&s).unwrap();
        let expected = [1.349, 0.0, 0.0, 0.6745, 0.0, 0.6745, 18.886];
        for (got, want) in z.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{got} ≠ {want}");
        }
        assert_eq!(
            outliers(&s, DEFAULT_OUTLIER_THRESHOLD),
            [false, false, false, false, false, false, true]
        );
        // A lower threshold flags 10 too (1.349 > 1.3) but not 13 (0.6745).
        assert_eq!(
            outliers(&s, 1.3),
            [true, false, false, false, false, false, true]
        );
    }

    #[test]
    fn no_outliers_in_short_series_or_with_zero_mad() {
        let short = ds(&["1", "1", "1", "1000"]);
        assert_eq!(modified_z_scores(&short), None);
        assert_eq!(outliers(&short, 3.5), [false; 4]);
        // Three of five equal: MAD 0.
        let flat = ds(&["5", "5", "5", "6", "1000"]);
        assert_eq!(modified_z_scores(&flat), None);
        assert_eq!(outliers(&flat, 3.5), [false; 5]);
        assert!(outliers(&[], 3.5).is_empty());
    }

    #[test]
    fn an_outlier_must_exceed_the_threshold_strictly() {
        // Series 8.651, 8.651, 10, 11.349, 17: median 10; deviations
        // 1.349 1.349 0 1.349 7 → MAD 1.349 = 2 × 0.6745, so the score of 17
        // is 0.6745 · 7 ÷ 1.349 = 3.5 exactly: not an outlier.
        let s = ds(&["8.651", "8.651", "10", "11.349", "17"]);
        assert_eq!(outliers(&s, 3.5), [false; 5]);
        assert_eq!(modified_z_scores(&s).unwrap()[4], 3.5);
        // The smallest step past it is one.
        let s = ds(&["8.651", "8.651", "10", "11.349", "17.000001"]);
        assert_eq!(outliers(&s, 3.5), [false, false, false, false, true]);
        // A threshold that is no decimal falls back on the f64 score.
        assert_eq!(outliers(&s, f64::INFINITY), [false; 5]);
        assert_eq!(outliers(&s, f64::NAN), [false; 5]);
    }

    #[test]
    fn trend_counts_the_latest_run_by_polarity() {
        let s = ds(&["5", "3", "4", "4", "6", "7"]);
        let up = |direction, periods| Some(Trend { direction, periods });
        assert_eq!(
            trend(&s, Polarity::HigherIsBetter),
            up(Direction::Better, 2)
        );
        assert_eq!(trend(&s, Polarity::LowerIsBetter), up(Direction::Worse, 2));
        let down = ds(&["9", "8", "7", "6"]);
        assert_eq!(
            trend(&down, Polarity::HigherIsBetter),
            up(Direction::Worse, 3)
        );
        assert_eq!(
            trend(&down, Polarity::LowerIsBetter),
            up(Direction::Better, 3)
        );
        // A flat move ends a run and starts a flat one.
        let flat = ds(&["1", "2", "3", "3", "3"]);
        assert_eq!(
            trend(&flat, Polarity::HigherIsBetter),
            up(Direction::Flat, 2)
        );
        let after_flat = ds(&["3", "3", "2"]);
        assert_eq!(
            trend(&after_flat, Polarity::LowerIsBetter),
            up(Direction::Better, 1)
        );
        // 1.0 and 1 are the same value.
        assert_eq!(
            trend(&ds(&["1.0", "1"]), Polarity::HigherIsBetter),
            up(Direction::Flat, 1)
        );
        assert_eq!(trend(&ds(&["1"]), Polarity::HigherIsBetter), None);
        assert_eq!(trend(&[], Polarity::HigherIsBetter), None);
    }

    fn input<'a>(label: &'a str, value: &str, count: Option<&str>) -> GapInput<'a> {
        GapInput {
            label,
            value: Some(d(value)),
            count: count.map(d),
        }
    }

    #[test]
    fn equity_gaps_compare_with_the_reference() {
        let reference = input("All", "50", Some("200"));
        let groups = [
            input("Women", "60", Some("120")),
            input("Men", "40", Some("80")),
            GapInput {
                label: "Unknown",
                value: None,
                count: None,
            },
        ];
        let (r, g) = equity_gaps(&reference, &groups, DEFAULT_MIN_CELL, false);
        assert_eq!(r.difference, Some(d("0")));
        assert_eq!(r.ratio, Some(d("1")));
        assert!(!r.suppressed);
        assert_eq!(g[0].label, "Women");
        assert_eq!(g[0].difference, Some(d("10")));
        assert_eq!(g[0].ratio, Some(d("1.2")));
        assert_eq!(g[1].difference, Some(d("-10")));
        assert_eq!(g[1].ratio, Some(d("0.8")));
        assert_eq!(
            (g[2].value, g[2].difference, g[2].ratio),
            (None, None, None)
        );
        assert!(!g[2].suppressed);
        // A zero reference has differences but no ratios.
        let zero = input("All", "0", None);
        let (_, g) = equity_gaps(&zero, &groups[..1], DEFAULT_MIN_CELL, false);
        assert_eq!((g[0].difference, g[0].ratio), (Some(d("60")), None));
    }

    #[test]
    fn small_cells_are_suppressed_unless_the_viewer_may_see_them() {
        assert!(suppress(Some(d("9")), 10, false));
        assert!(suppress(Some(d("0")), 10, false));
        assert!(!suppress(Some(d("10")), 10, false));
        assert!(!suppress(None, 10, false));
        assert!(!suppress(Some(d("3")), 10, true));

        let reference = input("All", "50", Some("200"));
        let groups = [
            input("Women", "60", Some("9")),
            input("Men", "40", Some("191")),
        ];
        let (_, g) = equity_gaps(&reference, &groups, DEFAULT_MIN_CELL, false);
        assert!(g[0].suppressed);
        assert_eq!(
            (g[0].value, g[0].difference, g[0].ratio),
            (None, None, None)
        );
        assert_eq!(g[1].value, Some(d("40")));
        assert!(!g[1].suppressed);
        let (_, g) = equity_gaps(&reference, &groups, DEFAULT_MIN_CELL, true);
        assert!(!g[0].suppressed);
        assert_eq!(g[0].difference, Some(d("10")));
    }

    #[test]
    fn a_suppressed_reference_hides_every_difference() {
        let reference = input("Rural", "30", Some("4"));
        let groups = [input("Urban", "60", Some("500"))];
        let (r, g) = equity_gaps(&reference, &groups, DEFAULT_MIN_CELL, false);
        assert!(r.suppressed);
        assert_eq!((r.value, r.difference, r.ratio), (None, None, None));
        assert_eq!(g[0].value, Some(d("60")));
        assert!(!g[0].suppressed);
        assert_eq!((g[0].difference, g[0].ratio), (None, None));
    }

    #[test]
    fn forecast_continues_a_perfect_line() {
        assert_eq!(
            linear_fit(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]),
            Some((2.0, 1.0))
        );
        assert_eq!(linear_fit(&[(1.0, 1.0)]), None);
        assert_eq!(linear_fit(&[]), None);
        assert_eq!(linear_fit(&[(0.1, 1.0), (0.1, 2.0), (0.1, 3.0)]), None);
        assert_eq!(linear_fit(&[(0.0, f64::NAN), (1.0, 2.0)]), None);
        // Least squares through scattered points: y = 0.55x + 0.8.
        let (m, b) = linear_fit(&[(0.0, 1.0), (1.0, 1.0), (2.0, 2.0), (3.0, 2.5)]).unwrap();
        assert!((m - 0.55).abs() < 1e-12 && (b - 0.8).abs() < 1e-12);

        let s = ds(&["10", "12", "14", "16"]);
        assert_eq!(forecast(&s, 3), [18.0, 20.0, 22.0]);
        assert!(forecast(&s, 0).is_empty());
        assert!(forecast(&ds(&["10"]), 3).is_empty());
    }

    #[test]
    fn spearman_ranks_with_ties() {
        let x = ds(&["1", "2", "3", "4", "5"]);
        let y = ds(&["2", "4", "8", "16", "32"]); // monotone, not linear
        assert_eq!(spearman(&x, &y), Some(1.0));
        let rev: Vec<_> = y.iter().rev().copied().collect();
        assert_eq!(spearman(&x, &rev), Some(-1.0));
        assert_eq!(ranks(&ds(&["10", "20", "20", "5"])), [2.0, 3.5, 3.5, 1.0]);
        // Ranks x 1 2 3 4, y 1.5 1.5 3 4: r = 4.5 / √(5 · 4.5) = √0.9.
        let r = spearman(&ds(&["1", "2", "3", "4"]), &ds(&["7", "7", "8", "9"])).unwrap();
        assert!((r - 0.9f64.sqrt()).abs() < 1e-12);
        assert_eq!(spearman(&x, &ds(&["1", "1", "1", "1", "1"])), None);
        assert_eq!(spearman(&x, &y[..4]), None);
        assert_eq!(pearson(&[1.0], &[1.0]), None);
    }

    #[test]
    fn months_roll_up_into_quarters() {
        let s = vec![
            (p("2025-03"), d("30")),
            (p("2025-01"), d("10")),
            (p("2025-02"), d("20")),
            (p("2025-04"), d("5")),
            (p("2025-06"), d("7")),
        ];
        assert_eq!(
            roll_up(PeriodAggregation::Sum, &s, Frequency::Quarterly),
            [(p("2025Q1"), d("60")), (p("2025Q2"), d("12"))]
        );
        assert_eq!(
            roll_up(PeriodAggregation::Average, &s, Frequency::Quarterly),
            [(p("2025Q1"), d("20")), (p("2025Q2"), d("6"))]
        );
        // Last: the latest month's value, whatever the input order.
        assert_eq!(
            roll_up(PeriodAggregation::Last, &s, Frequency::Quarterly),
            [(p("2025Q1"), d("30")), (p("2025Q2"), d("7"))]
        );
        assert_eq!(
            roll_up(PeriodAggregation::Sum, &s, Frequency::Yearly),
            [(p("2025"), d("72"))]
        );
        // A quarter cannot be placed in a month: skipped.
        let mixed = vec![(p("2025Q1"), d("1")), (p("2025-01"), d("2"))];
        assert_eq!(
            roll_up(PeriodAggregation::Sum, &mixed, Frequency::Monthly),
            [(p("2025-01"), d("2"))]
        );
        assert!(roll_up(PeriodAggregation::Sum, &[], Frequency::Yearly).is_empty());
    }

    #[test]
    fn iso_weeks_roll_up_across_a_year_end() {
        // 2026-W01 runs from 29 December 2025; its Thursday is 1 January 2026.
        let s = vec![
            (p("2025-W51"), d("1")),
            (p("2025-W52"), d("2")),
            (p("2026-W01"), d("4")),
            (p("2026-W02"), d("8")),
        ];
        assert_eq!(
            roll_up(PeriodAggregation::Sum, &s, Frequency::Yearly),
            [(p("2025"), d("3")), (p("2026"), d("12"))]
        );
        assert_eq!(
            roll_up(PeriodAggregation::Last, &s, Frequency::Monthly),
            [(p("2025-12"), d("2")), (p("2026-01"), d("8"))]
        );
        assert_eq!(
            roll_up(PeriodAggregation::Average, &s, Frequency::Quarterly),
            [(p("2025Q4"), d("1.5")), (p("2026Q1"), d("6"))]
        );
        // 2020-W53 (ending 3 January 2021) belongs to 2020.
        let s = vec![(p("2020-W53"), d("5")), (p("2021-W01"), d("6"))];
        assert_eq!(
            roll_up(PeriodAggregation::Sum, &s, Frequency::Yearly),
            [(p("2020"), d("5")), (p("2021"), d("6"))]
        );
    }

    #[test]
    fn completeness_and_timeliness() {
        assert_eq!(completeness(4, 3), Some(d("0.75")));
        assert_eq!(completeness(4, 5), Some(d("1.25")));
        assert_eq!(completeness(0, 0), None);
        // 2025-02 ends on 28 February.
        let feb = p("2025-02");
        assert!(on_time(feb, date(2025, 2, 28), 0));
        assert!(!on_time(feb, date(2025, 3, 1), 0));
        assert!(on_time(feb, date(2025, 3, 15), 15));
        assert!(!on_time(feb, date(2025, 3, 16), 15));
        assert!(!on_time(feb, date(2025, 2, 28), -1));
        assert!(on_time(feb, date(2025, 3, 1), i64::MAX));
        assert!(!on_time(feb, date(2025, 2, 1), i64::MIN));
    }
}
