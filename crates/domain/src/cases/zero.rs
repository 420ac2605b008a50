//! Functional zero, month by month.
//!
//! - **Veterans:** achieved when active veterans are fewer than (or, when the
//!   list is set so, no more than) max(3, the mean monthly veteran housing
//!   placements over the 6 months ending that month). With fewer than 6 months
//!   of history, the mean is over the months the list has (from the month of its
//!   first event); a month before any history has a mean of 0.
//! - **Chronic:** achieved when active chronic ≤ max(3, 0.1% of the community's
//!   point-in-time count of individuals); without a count the threshold is 3.
//!
//! Every comparison is exact (cross-multiplied integers); the threshold shown is
//! rounded to one decimal. "Held for" counts the consecutive months, this one
//! included, in which it was achieved.

use serde::{Deserialize, Serialize};

use super::report::{Month, MonthlyReport, Tenths};

choices!(
    /// How the veterans' actual is compared with the threshold.
    Comparator { Lt = "lt", Le = "le" }
);

/// One measure of functional zero in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measure {
    pub actual: u64,
    /// max(3, …), rounded half up to one decimal.
    pub threshold: Tenths,
    pub achieved: bool,
    /// Consecutive months up to this one in which it was achieved.
    pub held_months: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZeroMonth {
    pub month: Month,
    pub veterans: Measure,
    pub chronic: Measure,
}

/// Functional zero for each month of `veterans` (the veterans population's
/// reports) matched with `chronic` (the chronic population's, same months).
/// Both start at the list's first month of history or earlier, so the 6-month
/// window and the consecutive months are complete for every month shown.
pub fn functional_zero(
    veterans: &[MonthlyReport],
    chronic: &[MonthlyReport],
    history_start: Option<Month>,
    comparator: Comparator,
    pit_count: Option<u64>,
) -> Vec<ZeroMonth> {
    let mut out: Vec<ZeroMonth> = Vec::with_capacity(veterans.len());
    for (i, (v, c)) in veterans.iter().zip(chronic).enumerate() {
        // The window: up to 6 months ending this one, within the history.
        let window: Vec<&MonthlyReport> = veterans[i.saturating_sub(5)..=i]
            .iter()
            .filter(|r| history_start.is_some_and(|h| r.month >= h))
            .collect();
        let k = window.len() as u64;
        let sum: u64 = window.iter().map(|r| r.housing_placements).sum();
        let a = v.actively_homeless;
        let achieved_v = match comparator {
            Comparator::Lt => a < 3 || (k > 0 && a * k < sum),
            Comparator::Le => a <= 3 || (k > 0 && a * k <= sum),
        };
        let mean = Tenths::mean(sum as i64, k as i64).unwrap_or(Tenths(0));
        let pit = pit_count.unwrap_or(0);
        let ac = c.actively_homeless;
        let achieved_c = ac <= 3 || ac * 1000 <= pit;
        let pit_tenths = Tenths::mean(pit as i64, 1000).unwrap_or(Tenths(0));
        let prev = out.last();
        let held = |now: bool, before: Option<u32>| if now { before.unwrap_or(0) + 1 } else { 0 };
        out.push(ZeroMonth {
            month: v.month,
            veterans: Measure {
                actual: a,
                threshold: mean.max(Tenths(30)),
                achieved: achieved_v,
                held_months: held(achieved_v, prev.map(|p| p.veterans.held_months)),
            },
            chronic: Measure {
                actual: ac,
                threshold: pit_tenths.max(Tenths(30)),
                achieved: achieved_c,
                held_months: held(achieved_c, prev.map(|p| p.chronic.held_months)),
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn months(first: &str, rows: &[(u64, u64)]) -> Vec<MonthlyReport> {
        let start = Month::parse(first).unwrap();
        rows.iter()
            .enumerate()
            .map(|(i, (active, placed))| {
                let mut r = MonthlyReport::empty(start.plus(i as i64));
                r.actively_homeless = *active;
                r.housing_placements = *placed;
                r
            })
            .collect()
    }

    #[test]
    fn veterans_threshold_is_the_six_month_mean_or_three() {
        // 7 months: placements 6, 6, 6, 6, 6, 6, 12 — mean of the last 6 is 7.
        let v = months(
            "2025-01",
            &[(9, 6), (9, 6), (9, 6), (9, 6), (9, 6), (9, 6), (7, 12)],
        );
        let c = months("2025-01", &[(0, 0); 7]);
        let z = functional_zero(
            &v,
            &c,
            Some(Month::parse("2025-01").unwrap()),
            Comparator::Lt,
            None,
        );
        assert_eq!(z[6].veterans.threshold, Tenths(70));
        assert!(!z[6].veterans.achieved, "7 is not < 7");
        let z = functional_zero(
            &v,
            &c,
            Some(Month::parse("2025-01").unwrap()),
            Comparator::Le,
            None,
        );
        assert!(z[6].veterans.achieved, "7 ≤ 7");
        assert_eq!(z[6].veterans.held_months, 1);
        // Chronic with no count: threshold 3, held all seven months.
        assert_eq!(z[6].chronic.threshold, Tenths(30));
        assert_eq!(z[6].chronic.held_months, 7);
    }

    #[test]
    fn fewer_than_six_months_of_history_average_what_there_is() {
        // History starts in March: the January and February rows are before it.
        let v = months("2025-01", &[(0, 0), (0, 0), (5, 10), (5, 2)]);
        let c = months("2025-01", &[(0, 0); 4]);
        let z = functional_zero(
            &v,
            &c,
            Some(Month::parse("2025-03").unwrap()),
            Comparator::Lt,
            None,
        );
        // March: mean 10 over 1 month; 5 < 10.
        assert_eq!(z[2].veterans.threshold, Tenths(100));
        assert!(z[2].veterans.achieved);
        // April: (10 + 2) / 2 = 6; 5 < 6.
        assert_eq!(z[3].veterans.threshold, Tenths(60));
        assert!(z[3].veterans.achieved);
        assert_eq!(
            z[3].veterans.held_months, 4,
            "0 < 3 held in Jan and Feb too"
        );
        // Without any history the mean is 0 and the threshold 3.
        let z = functional_zero(&v[..1], &c[..1], None, Comparator::Lt, None);
        assert_eq!(z[0].veterans.threshold, Tenths(30));
    }

    #[test]
    fn chronic_threshold_is_a_tenth_of_a_percent_of_the_count() {
        let v = months("2025-01", &[(0, 0); 3]);
        let c = months("2025-01", &[(5, 0), (4, 0), (6, 0)]);
        let z = functional_zero(&v, &c, None, Comparator::Lt, Some(5_000));
        assert_eq!(z[0].chronic.threshold, Tenths(50));
        assert_eq!(
            z.iter().map(|m| m.chronic.achieved).collect::<Vec<_>>(),
            [true, true, false]
        );
        assert_eq!(z[1].chronic.held_months, 2);
        assert_eq!(z[2].chronic.held_months, 0);
        // 4,500 → 4.5: 4 ≤ 4.5 but 5 > 4.5.
        let z = functional_zero(&v, &c, None, Comparator::Lt, Some(4_500));
        assert_eq!(z[0].chronic.threshold, Tenths(45));
        assert!(!z[0].chronic.achieved);
        assert!(z[1].chronic.achieved);
    }
}
