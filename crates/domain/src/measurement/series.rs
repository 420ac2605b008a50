//! An indicator's series at one site, and its value across a network, built
//! from the running sums the store keeps (see [`super::stats::Cell`]).
//!
//! Readings (docs/decisions/0009-measurement.md):
//! - A report covers every period from `from` to `to`; without them, from the
//!   first period with a total to the last. A period without a total is listed
//!   with no value.
//! - Outliers are judged against the site's whole series of totals, whatever
//!   range a report shows, so narrowing a report never changes which values are
//!   outliers.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use super::indicator::Indicator;
use super::period::Period;
use super::stats::{self, Cell};
use super::{Aggregation, Frequency};

/// Totals by period.
pub type Totals = BTreeMap<Period, Decimal>;

/// The total of each period that has one, by the indicator's aggregation.
pub fn site_totals(indicator: &Indicator, cells: &[(Period, Cell)]) -> Totals {
    cells
        .iter()
        .filter_map(|(p, c)| c.total(indicator.aggregation).map(|t| (*p, t)))
        .collect()
}

/// A formula indicator's totals: numerator ÷ denominator × factor, for the
/// periods where both exist and the denominator is not zero.
pub fn formula_totals(numerator: &Totals, denominator: &Totals, factor: Decimal) -> Totals {
    numerator
        .iter()
        .filter_map(|(p, n)| {
            stats::formula(Some(*n), denominator.get(p).copied(), factor).map(|v| (*p, v))
        })
        .collect()
}

/// One row of an indicator's report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub period: Period,
    pub value: Option<Decimal>,
    pub target: Option<Decimal>,
    pub variance_to_target: Option<Decimal>,
    pub outlier: bool,
}

/// The rows of a report over `from..=to` (see the module's readings).
pub fn report(
    indicator: &Indicator,
    totals: &Totals,
    from: Option<Period>,
    to: Option<Period>,
    threshold: f64,
) -> Vec<Point> {
    let series: Vec<Decimal> = totals.values().copied().collect();
    let flags = stats::outliers(&series, threshold);
    let outlier: BTreeMap<Period, bool> = totals.keys().copied().zip(flags).collect();
    let first = from.or_else(|| totals.keys().next().copied());
    let last = to.or_else(|| totals.keys().next_back().copied());
    let (Some(first), Some(last)) = (first, last) else {
        return Vec::new();
    };
    let targets: BTreeMap<Period, Decimal> = indicator.target_list().into_iter().collect();
    Period::range(first, last)
        .into_iter()
        .map(|period| {
            let value = totals.get(&period).copied();
            let target = targets.get(&period).copied();
            Point {
                period,
                value,
                target,
                variance_to_target: stats::variance_to_target(value, target),
                outlier: outlier.get(&period).copied().unwrap_or(false),
            }
        })
        .collect()
}

/// A network's value from its sites' totals: aggregated by `aggregation` over
/// the sites that have one.
pub fn network_value(aggregation: Aggregation, sites: &[Option<Decimal>]) -> Option<Decimal> {
    let present: Vec<Decimal> = sites.iter().flatten().copied().collect();
    stats::aggregate(aggregation, &present)
}

/// Totals rolled into a coarser frequency for a chart, by the indicator's
/// aggregation across periods.
pub fn rolled(indicator: &Indicator, totals: &Totals, into: Frequency) -> Totals {
    if into == indicator.frequency {
        return totals.clone();
    }
    let series: Vec<(Period, Decimal)> = totals.iter().map(|(p, v)| (*p, *v)).collect();
    stats::roll_up(indicator.period_aggregation, &series, into)
        .into_iter()
        .collect()
}

/// A decimal as a JSON number (what scripts compare); `null` for none.
pub fn number(d: Option<Decimal>) -> serde_json::Value {
    use std::str::FromStr;
    match d {
        None => serde_json::Value::Null,
        Some(d) => {
            let d = d.normalize();
            if d.scale() == 0
                && let Ok(i) = i64::from_str(&d.to_string())
            {
                return serde_json::Value::from(i);
            }
            f64::from_str(&d.to_string())
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null)
        }
    }
}

/// The contract form of a report: one object per period with `period`,
/// `value`, `target`, `variance_to_target` (numbers or null) and `outlier`.
pub fn report_json(points: &[Point]) -> serde_json::Value {
    points
        .iter()
        .map(|p| {
            serde_json::json!({
                "period": p.period.to_string(),
                "value": number(p.value),
                "target": number(p.target),
                "variance_to_target": number(p.variance_to_target),
                "outlier": p.outlier,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Resource;
    use crate::validation::FieldMap;

    fn ind(targets: &str) -> Indicator {
        let f: FieldMap = [
            ("code", "x"),
            ("name", "x"),
            ("kind", "population"),
            ("polarity", "higher_is_better"),
            ("aggregation", "sum"),
            ("period_aggregation", "sum"),
            ("frequency", "monthly"),
            ("targets", targets),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Indicator::parse(&f).unwrap()
    }
    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }
    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_report_lists_every_period_with_targets_variance_and_outliers() {
        let i = ind("2025-03=10;2025-04=0");
        let mut totals = Totals::new();
        for (m, v) in [
            ("01", "5"),
            ("02", "6"),
            ("03", "4"),
            ("05", "5"),
            ("06", "7"),
            ("07", "5"),
            ("08", "6"),
            ("09", "50"),
        ] {
            totals.insert(p(&format!("2025-{m}")), d(v));
        }
        let r = report(&i, &totals, None, None, stats::DEFAULT_OUTLIER_THRESHOLD);
        assert_eq!(r.len(), 9);
        assert_eq!(r[2].target, Some(d("10")));
        assert_eq!(r[2].variance_to_target, Some(d("-0.6")));
        // A target of 0 has no variance; a period without a total has no value.
        assert_eq!(r[3].value, None);
        assert_eq!(r[3].variance_to_target, None);
        assert!(r[8].outlier && !r[0].outlier);
        let narrow = report(&i, &totals, Some(p("2025-08")), Some(p("2025-10")), 3.5);
        assert_eq!(narrow.len(), 3);
        assert!(narrow[1].outlier, "judged on the whole series");
        assert_eq!(narrow[2].value, None);
    }

    #[test]
    fn formulas_skip_missing_and_zero_denominators_and_networks_aggregate_present_sites() {
        let num: Totals = [
            (p("2025-01"), d("3")),
            (p("2025-02"), d("1")),
            (p("2025-03"), d("2")),
        ]
        .into();
        let den: Totals = [(p("2025-01"), d("4")), (p("2025-02"), d("0"))].into();
        let f = formula_totals(&num, &den, d("100"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[&p("2025-01")], d("75"));
        assert_eq!(
            network_value(Aggregation::Sum, &[Some(d("1")), None, Some(d("2"))]),
            Some(d("3"))
        );
        assert_eq!(
            network_value(Aggregation::Average, &[Some(d("1")), None, Some(d("2"))]),
            Some(d("1.5"))
        );
        assert_eq!(network_value(Aggregation::Average, &[None]), None);
        assert_eq!(number(Some(d("75.000"))), serde_json::json!(75));
        assert_eq!(number(Some(d("-0.6"))), serde_json::json!(-0.6));
        assert_eq!(number(None), serde_json::Value::Null);
    }
}
