//! Shared measurement: indicators, reporting periods, values and the rules every
//! figure follows (totals, formulas, targets, outliers, trends, equity gaps).
//!
//! - [`period`]: the ISO reporting periods (`2025-W07`, `2025-02`, `2025Q1`, `2025`).
//! - [`indicator`]: the indicator record, its disaggregation categories and targets.
//! - [`stats`]: the exact rules behind every number (see the "Exact rules").
//! - [`rules`]: validation rules `left op right` over indicators.

use serde::{Deserialize, Serialize};

pub use rust_decimal::Decimal;

pub mod chart;
pub mod import;
pub mod indicator;
pub mod period;
pub mod rules;
pub mod series;
pub mod stats;
pub mod survey;

choices! {
    /// How values combine across subgroups, partners and sites.
    Aggregation { Sum = "sum", Average = "average" }
}

choices! {
    /// How a chart combines periods (months into quarters or years).
    PeriodAggregation { Sum = "sum", Average = "average", Last = "last" }
}

choices! {
    /// Which way is better.
    Polarity { HigherIsBetter = "higher_is_better", LowerIsBetter = "lower_is_better" }
}

choices! {
    /// How often partners report.
    Frequency { Weekly = "weekly", Monthly = "monthly", Quarterly = "quarterly", Yearly = "yearly" }
}

choices! {
    /// Results-Based Accountability: a condition of a whole population, or a
    /// measure of how well a programme performs.
    IndicatorKind { Population = "population", Performance = "performance" }
}

choices! {
    /// The three questions of a performance measure.
    PerformanceQuestion { HowMuch = "how_much", HowWell = "how_well", BetterOff = "better_off" }
}
