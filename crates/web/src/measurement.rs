//! Shared measurement as the pages show it: the coordinator's dashboard, one
//! indicator's analysis, equity gaps, data quality, the entry grid, and the
//! charts drawn on the server.
//!
//! Everything here reads the running sums the store keeps (`Store::totals`,
//! `Store::slices`), never the raw values — except the entry grid, which shows
//! the values one partner reported for one period.
//!
//! Readings:
//! - **Small cells.** A figure is a count of people when its indicator sums
//!   (`aggregation = sum`, no formula): its count is the figure itself. A
//!   formula's count is its denominator's figure when the denominator sums.
//!   Other figures have no known count and are always shown. A figure whose
//!   count is under [`MIN_CELL`] is suppressed for whoever may not see small
//!   cells (`Action::SeeSmallCells`), and always on the public portal.
//!   Figures derived from what is shown (variance, change, trend, forecast)
//!   use only what is shown; outliers are judged on the whole series and
//!   flagged only where the figure is shown.
//! - **Target on the dashboard.** The latest period's target when it has one,
//!   otherwise the next target after it, otherwise the last one before it;
//!   the page names the target's period, and the variance compares the latest
//!   figure with that target.
//! - **Data quality** looks at the last [`QUALITY_PERIODS`] periods of each
//!   frequency that ended before today — or, when the coordinator picks a
//!   period to check through, that ended by that period's last day. Expected: each organization listed
//!   as a reporter of an indicator, for each of those periods. Received: a
//!   value from that organization for that indicator and period. On time: its
//!   first value was recorded on or before the period's last day plus the
//!   indicator's `due_days`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use domain::access::{Action, Decision, Grants, decide_record};
use domain::measurement::chart::{Scale, nice_scale, spread};
use domain::measurement::indicator::{Category, Indicator, Subgroup, ValidationRule, parse_value};
use domain::measurement::period::Period;
use domain::measurement::rules::Rule;
use domain::measurement::series::{self, Totals};
use domain::measurement::stats::{self, Direction, Gap, GapInput, Trend};
use domain::measurement::{Aggregation, Decimal, Frequency, Polarity};
use domain::partnership::Organization;
use domain::resource::Record;
use store::Store;
use store::measurement::{Batch, BatchReport, BatchSource, NewValue, StoredValue};
use store::records::ListOptions;

use crate::access::{Published, Registry, refusal};
use crate::error::AppError;
use crate::i18n::Tr;

/// Cells counting fewer people are suppressed for those who may not see them.
pub const MIN_CELL: i64 = stats::DEFAULT_MIN_CELL;
/// The modified z-score above which a figure is an outlier.
pub const OUTLIER_THRESHOLD: f64 = stats::DEFAULT_OUTLIER_THRESHOLD;
/// How many recent periods the data-quality block checks.
pub const QUALITY_PERIODS: i64 = 3;
/// Periods a dashboard sparkline shows.
pub const SPARK_PERIODS: usize = 24;
/// Rows of one indicator the entry grid offers at most (its subgroups).
pub const MAX_GRID_ROWS: usize = 400;

// ---------------------------------------------------------------------------
// Numbers as text
// ---------------------------------------------------------------------------

/// A figure as shown: at most two decimals, no trailing zeros.
pub fn num(d: Decimal) -> String {
    d.round_dp(2).normalize().to_string()
}

/// A fraction as a percentage with one decimal and its sign: `+12.5%`, `-3%`.
pub fn pct(d: Decimal) -> String {
    let p = (d * Decimal::ONE_HUNDRED).round_dp(1).normalize();
    if p > Decimal::ZERO {
        format!("+{p}%")
    } else {
        format!("{p}%")
    }
}

/// A fraction as a plain percentage: `75%`.
pub fn share(d: Decimal) -> String {
    format!("{}%", (d * Decimal::ONE_HUNDRED).round_dp(0).normalize())
}

/// A difference with its sign: `+4`, `-2.5`.
pub fn signed(d: Decimal) -> String {
    let s = num(d);
    if d > Decimal::ZERO {
        format!("+{s}")
    } else {
        s
    }
}

// ---------------------------------------------------------------------------
// Reading through the policy
// ---------------------------------------------------------------------------

/// Measurement data of one initiative as one viewer may see it: through a
/// decision of the policy (a [`Registry`]) or the public portal
/// ([`Published`]: only public indicators, small cells always suppressed).
pub struct Measures<'a> {
    store: &'a Store,
    initiative: i64,
    grants: Option<&'a Grants>,
    actor: Option<i64>,
    public: bool,
}

/// An initiative's indicators: all of them (formulas need their parts) and
/// those this viewer is shown.
pub struct Indicators {
    pub all: Vec<Record<Indicator>>,
    pub shown: Vec<Record<Indicator>>,
}

impl Indicators {
    pub fn by_code(&self, code: &str) -> Option<&Record<Indicator>> {
        self.shown.iter().find(|r| r.data.code == code)
    }
    pub fn get(&self, id: i64) -> Option<&Record<Indicator>> {
        self.all.iter().find(|r| r.id == id)
    }
}

impl<'a> Measures<'a> {
    pub fn of(reg: &'a Registry<'a>) -> Self {
        Measures {
            store: reg.store,
            initiative: reg.initiative,
            grants: Some(reg.grants),
            actor: reg.actor,
            public: false,
        }
    }

    /// The portal's view: only indicators marked public.
    pub fn published(store: &'a Store, p: &'a Published<'a>) -> Self {
        Measures {
            store,
            initiative: p.view.initiative.id,
            grants: None,
            actor: None,
            public: true,
        }
    }

    fn allow(&self, action: Action, kind: &str) -> Result<(), AppError> {
        match self.grants {
            Some(g) => refusal(decide_record(g, action, kind)),
            // The portal reads, and only reads.
            None if action == Action::Read => Ok(()),
            None => Err(AppError::NotFound),
        }
    }

    /// Whether this viewer sees cells under the minimum.
    pub fn may_see_small(&self) -> bool {
        self.grants.is_some_and(|g| {
            decide_record(g, Action::SeeSmallCells, "indicator") == Decision::Allow
        })
    }

    pub fn may_report(&self) -> bool {
        self.grants
            .is_some_and(|g| decide_record(g, Action::Report, "indicator") == Decision::Allow)
    }

    pub fn may_lock(&self) -> bool {
        self.grants
            .is_some_and(|g| decide_record(g, Action::Update, "initiative") == Decision::Allow)
    }

    pub async fn indicators(&self) -> Result<Indicators, AppError> {
        self.allow(Action::Read, "indicator")?;
        let all = self.store.indicators(self.initiative).await?;
        let shown = all
            .iter()
            .filter(|r| !self.public || r.data.public)
            .cloned()
            .collect();
        Ok(Indicators { all, shown })
    }

    /// Every indicator's totals by period (formulas from their parts), in one
    /// read of the running sums.
    pub async fn totals(&self, ind: &Indicators) -> Result<HashMap<i64, Totals>, AppError> {
        let wanted: Vec<&Record<Indicator>> = ind.all.iter().collect();
        Ok(self.store.totals(&wanted, &ind.all).await?)
    }

    pub async fn organizations(&self) -> Result<Vec<(i64, String)>, AppError> {
        if self.public {
            return Ok(Vec::new());
        }
        self.allow(Action::Read, "organization")?;
        let mut orgs: Vec<(i64, String)> = self
            .store
            .list::<Organization>(Some(self.initiative), ListOptions::all())
            .await?
            .into_iter()
            .map(|o| (o.id, o.data.name))
            .collect();
        orgs.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        Ok(orgs)
    }

    pub async fn rules(&self) -> Result<Vec<Record<ValidationRule>>, AppError> {
        self.allow(Action::Read, "validation_rule")?;
        Ok(self
            .store
            .list::<ValidationRule>(Some(self.initiative), ListOptions::all())
            .await?)
    }

    pub async fn locked(&self) -> Result<Vec<String>, AppError> {
        self.allow(Action::Read, "indicator")?;
        Ok(self.store.locked_periods(self.initiative).await?)
    }

    /// The locked period that locks `p`: `p` itself, or a quarter or year
    /// it falls in (the store refuses values for either).
    pub async fn locked_by(&self, p: Period) -> Result<Option<Period>, AppError> {
        Ok(self
            .locked()
            .await?
            .iter()
            .filter_map(|l| Period::parse(l).ok())
            .find(|l| *l == p || p.within(l.frequency()) == Some(*l)))
    }

    /// Who reported what for these periods.
    pub async fn reports(
        &self,
        periods: &[Period],
    ) -> Result<Vec<store::measurement::Report>, AppError> {
        self.allow(Action::Read, "indicator")?;
        Ok(self.store.reports(self.initiative, periods).await?)
    }

    /// The values stored for these indicators, one period and one partner
    /// (what the entry grid shows), by (indicator, subgroup key).
    pub async fn values_for(
        &self,
        indicators: &[i64],
        period: Period,
        partner: Option<i64>,
    ) -> Result<HashMap<(i64, String), Decimal>, AppError> {
        self.allow(Action::Report, "indicator")?;
        Ok(self
            .store
            .values_in_period(indicators, period, partner)
            .await?
            .into_iter()
            .map(|v| ((v.indicator_id, v.subgroup), v.value))
            .collect())
    }

    /// Write the grid's values in one batch.
    pub async fn write(&self, rows: &[NewValue]) -> Result<BatchReport, AppError> {
        self.allow(Action::Report, "indicator")?;
        let source = BatchSource {
            source: "form".into(),
            ..Default::default()
        };
        Ok(self
            .store
            .write_values(self.initiative, self.actor, &source, rows)
            .await?)
    }

    pub async fn set_locked(&self, period: Period, locked: bool) -> Result<(), AppError> {
        self.allow(Action::Update, "initiative")?;
        Ok(self
            .store
            .set_period_locked(self.initiative, period, locked, self.actor)
            .await?)
    }

    /// Recent batches, each with who wrote it and the values it replaced.
    pub async fn batches(
        &self,
        limit: u64,
    ) -> Result<Vec<(Batch, Option<String>, Vec<StoredValue>)>, AppError> {
        self.allow(Action::ReadAudit, "initiative")?;
        let batches = self.store.batches(self.initiative, limit).await?;
        let names: HashMap<i64, Option<String>> = self
            .store
            .audit(&store::audit::Filter {
                initiative: Some(self.initiative),
                kind: Some("value_batch".into()),
                record_id: None,
                limit: limit.saturating_mul(2),
                ..Default::default()
            })
            .await?
            .into_iter()
            .map(|e| (e.record_id, e.actor_name))
            .collect();
        let mut out = Vec::new();
        for b in batches {
            let replaced = self.store.replaced_by(b.id).await?;
            let who = names.get(&b.id).cloned().flatten();
            out.push((b, who, replaced));
        }
        Ok(out)
    }

    /// Every slice's figure of one indicator in one period.
    pub async fn slices(
        &self,
        ind: &Indicators,
        indicator: &Record<Indicator>,
        period: Period,
    ) -> Result<Slices, AppError> {
        self.allow(Action::Read, "indicator")?;
        let read = |id: i64| async move {
            let cells = self.store.slices(id, period).await?;
            let agg = ind.get(id).map(|r| r.data.aggregation);
            Ok::<_, AppError>(
                cells
                    .into_iter()
                    .filter_map(|(slice, cell)| Some((slice, cell.total(agg?)?)))
                    .collect::<HashMap<String, Decimal>>(),
            )
        };
        let d = &indicator.data;
        match (d.numerator_id, d.denominator_id) {
            (Some(n), Some(den)) => {
                let (nv, dv) = (read(n).await?, read(den).await?);
                let den_counts = ind.get(den).is_some_and(|r| counts_people(&r.data));
                let mut values = HashMap::new();
                let mut counts = HashMap::new();
                for (slice, nval) in &nv {
                    if let Some(v) =
                        stats::formula(Some(*nval), dv.get(slice).copied(), d.factor_or_one())
                    {
                        values.insert(slice.clone(), v);
                    }
                }
                if den_counts {
                    counts = dv;
                }
                Ok(Slices { values, counts })
            }
            _ => {
                let values = read(indicator.id).await?;
                let counts = if counts_people(d) {
                    values.clone()
                } else {
                    HashMap::new()
                };
                Ok(Slices { values, counts })
            }
        }
    }
}

/// One period's figure per slice (`""` the whole, `sex=F` one option), and
/// the count behind it where known.
pub struct Slices {
    pub values: HashMap<String, Decimal>,
    pub counts: HashMap<String, Decimal>,
}

/// A plain sum: its figures count people.
fn counts_people(i: &Indicator) -> bool {
    !i.is_formula() && i.aggregation == Aggregation::Sum
}

// ---------------------------------------------------------------------------
// One indicator's series at the site
// ---------------------------------------------------------------------------

/// One indicator's totals at the chosen granularity, with the count behind
/// each where known.
pub struct Series<'a> {
    pub indicator: &'a Record<Indicator>,
    pub frequency: Frequency,
    pub totals: Totals,
    pub counts: Totals,
    pub may_see_small: bool,
}

impl<'a> Series<'a> {
    pub fn new(
        ind: &Indicators,
        all_totals: &HashMap<i64, Totals>,
        indicator: &'a Record<Indicator>,
        into: Frequency,
        may_see_small: bool,
    ) -> Self {
        let d = &indicator.data;
        let raw = all_totals.get(&indicator.id).cloned().unwrap_or_default();
        let totals = series::rolled(d, &raw, into);
        let counts = if counts_people(d) {
            totals.clone()
        } else {
            match d.denominator_id.and_then(|id| ind.get(id)) {
                Some(den) if d.is_formula() && counts_people(&den.data) => {
                    let t = all_totals.get(&den.id).cloned().unwrap_or_default();
                    series::rolled(&den.data, &t, into)
                }
                _ => Totals::new(),
            }
        };
        Series {
            indicator,
            frequency: into,
            totals,
            counts,
            may_see_small,
        }
    }

    pub fn hidden(&self, p: &Period) -> bool {
        stats::suppress(self.counts.get(p).copied(), MIN_CELL, self.may_see_small)
    }

    /// The totals this viewer is shown.
    pub fn visible(&self) -> Totals {
        self.totals
            .iter()
            .filter(|(p, _)| !self.hidden(p))
            .map(|(p, v)| (*p, *v))
            .collect()
    }

    pub fn at_own_frequency(&self) -> bool {
        self.frequency == self.indicator.data.frequency
    }

    /// Report rows over the whole series: outliers judged on every total,
    /// then suppressed figures blanked.
    pub fn rows(&self) -> Vec<ReportRow> {
        let d = &self.indicator.data;
        let mut points = series::report(d, &self.totals, None, None, OUTLIER_THRESHOLD);
        if !self.at_own_frequency() {
            // Targets are set per reporting period; a rolled-up period has none.
            for p in &mut points {
                p.target = None;
                p.variance_to_target = None;
            }
        }
        points
            .into_iter()
            .map(|p| {
                let hidden = p.value.is_some() && self.hidden(&p.period);
                ReportRow {
                    period: p.period,
                    value: if hidden { None } else { p.value },
                    target: p.target,
                    variance: if hidden { None } else { p.variance_to_target },
                    outlier: p.outlier && !hidden,
                    suppressed: hidden,
                }
            })
            .collect()
    }

    /// The latest period with a total, and its figure unless suppressed.
    pub fn latest(&self) -> Option<(Period, Option<Decimal>)> {
        let (p, v) = self.totals.iter().next_back()?;
        Some((*p, (!self.hidden(p)).then_some(*v)))
    }

    /// The target the dashboard compares with (see the module's readings).
    pub fn target(&self) -> Option<(Period, Decimal)> {
        let targets = self.indicator.data.target_list();
        let Some((latest, _)) = self.latest() else {
            return targets.first().copied();
        };
        targets
            .iter()
            .find(|(p, _)| *p >= latest)
            .or_else(|| targets.last())
            .copied()
    }

    pub fn trend(&self) -> Option<Trend> {
        let values: Vec<Decimal> = self.visible().values().copied().collect();
        stats::trend(&values, self.indicator.data.polarity)
    }

    pub fn change(&self) -> Option<(Decimal, Option<Decimal>)> {
        let (_, latest) = self.latest()?;
        stats::change_since_baseline(self.indicator.data.baseline_value, latest)
    }
}

/// One row of an indicator's report as shown.
pub struct ReportRow {
    pub period: Period,
    pub value: Option<Decimal>,
    pub target: Option<Decimal>,
    pub variance: Option<Decimal>,
    pub outlier: bool,
    pub suppressed: bool,
}

/// The words for a trend: "Better for 3 periods", with an arrow that says
/// which way the figure moved (the polarity says whether that is good).
pub fn trend_text(tr: &Tr, t: &Trend, polarity: Polarity) -> (String, &'static str) {
    let up = matches!(
        (t.direction, polarity),
        (Direction::Better, Polarity::HigherIsBetter) | (Direction::Worse, Polarity::LowerIsBetter)
    );
    let (key, arrow, class) = match t.direction {
        Direction::Flat => ("meas-trend-flat", "→", "flat"),
        Direction::Better => ("meas-trend-better", if up { "↑" } else { "↓" }, "better"),
        Direction::Worse => ("meas-trend-worse", if up { "↑" } else { "↓" }, "worse"),
    };
    (
        format!("{arrow} {}", tr.t1(key, "n", &t.periods.to_string())),
        class,
    )
}

// ---------------------------------------------------------------------------
// The dashboard
// ---------------------------------------------------------------------------

/// One indicator on a dashboard, ready to show.
pub struct DashboardRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub polarity: String,
    pub formula: bool,
    /// The latest period with a total.
    pub period: Option<String>,
    /// Its figure; none when suppressed (`suppressed`) or when there is none.
    pub value: Option<String>,
    pub suppressed: bool,
    /// (figure, period)
    pub target: Option<(String, String)>,
    pub variance: Option<String>,
    /// "+20 (+25%)"
    pub change: Option<String>,
    /// (words, class)
    pub trend: Option<(String, &'static str)>,
    pub chart: Chart,
    /// With a full chart: its numbers, (period, figure or none, suppressed).
    pub table: Vec<(String, Option<String>, bool)>,
}

/// Periods a full chart on a dashboard shows.
pub const DASHBOARD_CHART_PERIODS: usize = 36;

pub fn dashboard_rows(
    tr: &Tr,
    ind: &Indicators,
    totals: &HashMap<i64, Totals>,
    may_see_small: bool,
    full_charts: bool,
) -> Vec<DashboardRow> {
    ind.shown
        .iter()
        .map(|r| {
            let s = Series::new(ind, totals, r, r.data.frequency, may_see_small);
            let latest = s.latest();
            let target = s.target();
            let variance = stats::variance_to_target(latest.and_then(|l| l.1), target.map(|t| t.1));
            let trend = s.trend().map(|t| trend_text(tr, &t, r.data.polarity));
            let chart = if full_charts {
                indicator_chart(tr, &s, Some(DASHBOARD_CHART_PERIODS), &[])
            } else {
                Chart::spark(tr, &s)
            };
            let table = if full_charts {
                let rows = s.rows();
                let skip = rows.len().saturating_sub(DASHBOARD_CHART_PERIODS);
                rows.into_iter()
                    .skip(skip)
                    .map(|r| (r.period.to_string(), r.value.map(num), r.suppressed))
                    .collect()
            } else {
                Vec::new()
            };
            DashboardRow {
                id: r.id,
                code: r.data.code.clone(),
                name: r.data.name.clone(),
                unit: r.data.unit.clone(),
                polarity: tr.t(&format!("meas-polarity-{}", r.data.polarity.as_str())),
                formula: r.data.is_formula(),
                period: latest.map(|l| l.0.to_string()),
                value: latest.and_then(|l| l.1).map(num),
                suppressed: matches!(latest, Some((_, None))),
                target: target.map(|(p, v)| (num(v), p.to_string())),
                variance: variance.map(pct),
                change: s.change().map(|(d, rel)| match rel {
                    Some(rel) => format!("{} ({})", signed(d), pct(rel)),
                    None => signed(d),
                }),
                trend,
                chart,
                table,
            }
        })
        .collect()
}

/// The full chart of one indicator: values (the last `last` periods, or all),
/// targets, the baseline and a forecast.
pub fn indicator_chart(
    tr: &Tr,
    s: &Series,
    last: Option<usize>,
    forecast: &[(Period, f64)],
) -> Chart {
    let d = &s.indicator.data;
    let rows = s.rows();
    let skip = last.map_or(0, |n| rows.len().saturating_sub(n));
    let points = rows
        .iter()
        .skip(skip)
        .map(|r| (r.period, r.value.and_then(to_f64), r.outlier))
        .collect();
    let targets = if s.at_own_frequency() {
        d.target_list()
            .into_iter()
            .filter_map(|(p, v)| Some((p, to_f64(v)?)))
            .collect()
    } else {
        Vec::new()
    };
    // A baseline is one reporting period's figure: it compares with sums of
    // several periods only at the reporting frequency.
    let comparable =
        s.at_own_frequency() || d.period_aggregation != domain::measurement::PeriodAggregation::Sum;
    let baseline = match (d.baseline_period, d.baseline_value.and_then(to_f64)) {
        (Some(p), Some(v)) if comparable => Some((p, v)),
        _ => None,
    };
    Chart::draw(
        tr,
        ChartInput {
            id: format!("chart-{}", s.indicator.id),
            title: tr.t1("meas-chart-title", "name", &d.name),
            unit: &d.unit,
            points,
            targets,
            baseline,
            forecast: forecast.to_vec(),
        },
        false,
    )
}

/// A linear forecast from the figures shown since the baseline period (all of
/// them without one), for the next periods up to the last target (at least 4,
/// at most 24).
pub fn forecast(s: &Series) -> Vec<(Period, f64)> {
    let d = &s.indicator.data;
    let visible = s.visible();
    let since = d
        .baseline_period
        .filter(|b| s.at_own_frequency() && visible.contains_key(b));
    let values: Vec<Decimal> = visible
        .iter()
        .filter(|(p, _)| since.is_none_or(|b| **p >= b))
        .map(|(_, v)| *v)
        .collect();
    let Some(last) = visible.keys().next_back().copied() else {
        return Vec::new();
    };
    let to_target = if s.at_own_frequency() {
        d.target_list()
            .last()
            .map(|(p, _)| p.index() - last.index())
            .unwrap_or(0)
    } else {
        0
    };
    let ahead = to_target.clamp(4, 24) as usize;
    stats::forecast(&values, ahead)
        .into_iter()
        .enumerate()
        .filter_map(|(i, v)| Some((last.offset(i as i64 + 1)?, v)))
        .collect()
}

// ---------------------------------------------------------------------------
// Data quality
// ---------------------------------------------------------------------------

/// One organization's reporting over the checked periods.
pub struct PartnerQuality {
    pub id: i64,
    pub name: String,
    pub expected: usize,
    pub received: usize,
    pub on_time: usize,
    /// (indicator code, period) not received.
    pub missing: Vec<(String, Period)>,
}

impl PartnerQuality {
    pub fn completeness(&self) -> Option<String> {
        stats::completeness(self.expected, self.received).map(share)
    }
    pub fn timeliness(&self) -> Option<String> {
        stats::completeness(self.expected, self.on_time).map(share)
    }
}

pub struct OutlierRow {
    pub code: String,
    pub name: String,
    pub period: Period,
    pub value: String,
}

pub struct RuleFailure {
    pub rule: String,
    pub description: String,
    pub period: Period,
    /// (operand, its value or "—") for both sides.
    pub left: (String, String),
    pub right: (String, String),
}

pub struct Quality {
    pub periods: Vec<Period>,
    pub partners: Vec<PartnerQuality>,
    pub outliers: Vec<OutlierRow>,
    pub failures: Vec<RuleFailure>,
    pub failures_total: usize,
}

impl Quality {
    pub fn periods_text(&self) -> String {
        self.periods
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
    pub fn not_reported(&self) -> Vec<&PartnerQuality> {
        self.partners
            .iter()
            .filter(|p| !p.missing.is_empty())
            .collect()
    }
}

/// The last `n` periods of `frequency` that ended before `today`, oldest first.
pub fn ended_periods(frequency: Frequency, today: NaiveDate, n: i64) -> Vec<Period> {
    let current = Period::containing(today, frequency);
    let mut out: Vec<Period> = (1..=n).filter_map(|k| current.offset(-k)).collect();
    out.reverse();
    out
}

/// How many outliers and rule failures the dashboard lists at most.
const QUALITY_LIST: usize = 20;

pub async fn quality(
    m: &Measures<'_>,
    ind: &Indicators,
    totals: &HashMap<i64, Totals>,
    orgs: &[(i64, String)],
    through: Option<Period>,
    today: NaiveDate,
) -> Result<Quality, AppError> {
    // Periods that ended before `as_of` are checked.
    let as_of = through.map_or(today, |p| p.end().succ_opt().unwrap_or(today));
    let may_see_small = m.may_see_small();
    // Completeness and timeliness.
    let reporting: Vec<&Record<Indicator>> = ind
        .shown
        .iter()
        .filter(|r| !r.data.is_formula() && !r.data.reporter_ids().is_empty())
        .collect();
    let mut by_frequency: BTreeMap<&'static str, Vec<Period>> = BTreeMap::new();
    for r in &reporting {
        by_frequency
            .entry(r.data.frequency.as_str())
            .or_insert_with(|| ended_periods(r.data.frequency, as_of, QUALITY_PERIODS));
    }
    let periods: Vec<Period> = by_frequency
        .values()
        .flatten()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let reports = if periods.is_empty() {
        Vec::new()
    } else {
        m.reports(&periods).await?
    };
    let first: HashMap<(i64, i64, String), NaiveDate> = reports
        .iter()
        .filter_map(|r| {
            Some((
                (r.partner_id?, r.indicator_id, r.period.clone()),
                r.first_recorded_at.date_naive(),
            ))
        })
        .collect();
    let name_of = |id: i64| {
        orgs.iter()
            .find(|o| o.0 == id)
            .map(|o| o.1.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let mut partners: BTreeMap<i64, PartnerQuality> = BTreeMap::new();
    for r in &reporting {
        let ps = &by_frequency[r.data.frequency.as_str()];
        for org in r.data.reporter_ids() {
            let q = partners.entry(org).or_insert_with(|| PartnerQuality {
                id: org,
                name: name_of(org),
                expected: 0,
                received: 0,
                on_time: 0,
                missing: Vec::new(),
            });
            for p in ps {
                q.expected += 1;
                match first.get(&(org, r.id, p.to_string())) {
                    Some(day) => {
                        q.received += 1;
                        if stats::on_time(*p, *day, r.data.due_days) {
                            q.on_time += 1;
                        }
                    }
                    None => q.missing.push((r.data.code.clone(), *p)),
                }
            }
        }
    }
    let mut partners: Vec<PartnerQuality> = partners.into_values().collect();
    partners.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));

    // Outliers, newest first.
    let mut outliers = Vec::new();
    for r in &ind.shown {
        let s = Series::new(ind, totals, r, r.data.frequency, may_see_small);
        for row in s.rows() {
            if let (true, Some(v)) = (row.outlier, row.value) {
                outliers.push(OutlierRow {
                    code: r.data.code.clone(),
                    name: r.data.name.clone(),
                    period: row.period,
                    value: num(v),
                });
            }
        }
    }
    outliers.sort_by(|a, b| b.period.cmp(&a.period).then(a.code.cmp(&b.code)));
    outliers.truncate(QUALITY_LIST);

    // Validation rules, checked per period over the totals by code.
    let by_code: HashMap<&str, &Record<Indicator>> =
        ind.all.iter().map(|r| (r.data.code.as_str(), r)).collect();
    let figure = |code: &str, p: &Period| -> Option<Decimal> {
        let r = by_code.get(code)?;
        let s = totals.get(&r.id)?;
        let v = *s.get(p)?;
        // A suppressed figure is not shown here either.
        let count = if counts_people(&r.data) {
            Some(v)
        } else {
            None
        };
        (!stats::suppress(count, MIN_CELL, may_see_small)).then_some(v)
    };
    let mut failures = Vec::new();
    for rec in m.rules().await? {
        let Ok(rule) = Rule::parse(&rec.data.rule) else {
            continue;
        };
        let mut ps: BTreeSet<Period> = BTreeSet::new();
        for code in rule.indicators() {
            if let Some(t) = by_code.get(code).and_then(|r| totals.get(&r.id)) {
                ps.extend(t.keys().copied());
            }
        }
        for p in ps {
            if rule.check(|code| figure(code, &p)) == Some(false) {
                let side = |o: &domain::measurement::rules::Operand| {
                    let text = o.to_string();
                    let v = match o {
                        domain::measurement::rules::Operand::Indicator(c) => figure(c, &p),
                        domain::measurement::rules::Operand::Number(n) => Some(*n),
                    };
                    (text, v.map(num).unwrap_or_else(|| "—".into()))
                };
                failures.push(RuleFailure {
                    rule: rule.to_string(),
                    description: rec.data.description.clone(),
                    period: p,
                    left: side(&rule.left),
                    right: side(&rule.right),
                });
            }
        }
    }
    failures.sort_by(|a, b| b.period.cmp(&a.period).then(a.rule.cmp(&b.rule)));
    let failures_total = failures.len();
    failures.truncate(QUALITY_LIST);
    Ok(Quality {
        periods,
        partners,
        outliers,
        failures,
        failures_total,
    })
}

// ---------------------------------------------------------------------------
// Equity gaps
// ---------------------------------------------------------------------------

pub struct Equity {
    pub period: Period,
    pub category: String,
    pub reference: String,
    pub reference_row: Gap,
    pub rows: Vec<Gap>,
    pub any_suppressed: bool,
}

/// The categories a formula inherits from its numerator when it has none of
/// its own.
pub fn categories_of(ind: &Indicators, r: &Record<Indicator>) -> Vec<Category> {
    let own = r.data.categories();
    if !own.is_empty() || !r.data.is_formula() {
        return own;
    }
    r.data
        .numerator_id
        .and_then(|n| ind.get(n))
        .map(|n| n.data.categories())
        .unwrap_or_default()
}

/// Each option of `category` against `reference` in `period`.
pub fn equity(
    slices: &Slices,
    category: &Category,
    reference: &str,
    period: Period,
    may_see_small: bool,
) -> Equity {
    let input = |option: &str| {
        let key = store::measurement::slice_of(&category.name, option);
        (
            slices.values.get(&key).copied(),
            slices.counts.get(&key).copied(),
        )
    };
    let (rv, rc) = input(reference);
    let reference_in = GapInput {
        label: reference,
        value: rv,
        count: rc,
    };
    let others: Vec<(String, Option<Decimal>, Option<Decimal>)> = category
        .options
        .iter()
        .filter(|o| o.as_str() != reference)
        .map(|o| {
            let (v, c) = input(o);
            (o.clone(), v, c)
        })
        .collect();
    let groups: Vec<GapInput> = others
        .iter()
        .map(|(label, value, count)| GapInput {
            label,
            value: *value,
            count: *count,
        })
        .collect();
    let (reference_row, rows) = stats::equity_gaps(&reference_in, &groups, MIN_CELL, may_see_small);
    let any_suppressed = reference_row.suppressed || rows.iter().any(|g| g.suppressed);
    Equity {
        period,
        category: category.name.clone(),
        reference: reference.to_string(),
        reference_row,
        rows,
        any_suppressed,
    }
}

// ---------------------------------------------------------------------------
// The entry grid
// ---------------------------------------------------------------------------

/// One input of the grid.
pub struct GridCell {
    /// The field's name: `v:{indicator}:{subgroup key}`.
    pub name: String,
    /// The input's id.
    pub dom: String,
    /// "Total", or the subgroup's options ("North · F").
    pub label: String,
    pub is_total: bool,
    pub value: String,
    pub error: String,
}

pub struct GridBlock {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub categories: String,
    /// More subgroups than a grid shows: only the total row is offered.
    pub too_many: bool,
    pub cells: Vec<GridCell>,
}

/// Every combination of one option per category, in the categories' order.
pub fn combinations(categories: &[Category]) -> Vec<Vec<(String, String)>> {
    let mut out: Vec<Vec<(String, String)>> = vec![vec![]];
    for c in categories {
        let mut next = Vec::with_capacity(out.len() * c.options.len());
        for prefix in &out {
            for o in &c.options {
                let mut v = prefix.clone();
                v.push((c.name.clone(), o.clone()));
                next.push(v);
            }
            if next.len() > MAX_GRID_ROWS {
                return Vec::new();
            }
        }
        out = next;
    }
    if categories.is_empty() {
        return Vec::new();
    }
    out
}

/// The indicators a grid for `period` offers: values can be entered (no
/// formula) and they report at the period's frequency.
pub fn grid_indicators(ind: &Indicators, period: Period) -> Vec<&Record<Indicator>> {
    ind.shown
        .iter()
        .filter(|r| !r.data.is_formula() && r.data.frequency == period.frequency())
        .collect()
}

fn cell_name(id: i64, key: &str) -> String {
    format!("v:{id}:{key}")
}

/// The grid: one block per indicator, a total row and one row per subgroup;
/// `typed` (what was submitted) wins over `stored`.
pub fn grid(
    tr: &Tr,
    indicators: &[&Record<Indicator>],
    stored: &HashMap<(i64, String), Decimal>,
    typed: &HashMap<String, String>,
    errors: &HashMap<String, String>,
) -> Vec<GridBlock> {
    indicators
        .iter()
        .map(|r| {
            let categories = r.data.categories();
            let combos = combinations(&categories);
            let too_many = !categories.is_empty() && combos.is_empty();
            let mut keys: Vec<(String, String, bool)> =
                vec![(String::new(), tr.t("meas-grid-total"), true)];
            for combo in combos {
                let label = combo
                    .iter()
                    .map(|(_, o)| o.as_str())
                    .collect::<Vec<_>>()
                    .join(" · ");
                let key = combo
                    .iter()
                    .map(|(c, o)| format!("{c}={o}"))
                    .collect::<Vec<_>>()
                    .join(";");
                keys.push((key, label, false));
            }
            let cells = keys
                .into_iter()
                .enumerate()
                .map(|(i, (key, label, is_total))| {
                    let name = cell_name(r.id, &key);
                    let value = typed.get(&name).cloned().unwrap_or_else(|| {
                        stored
                            .get(&(r.id, key.clone()))
                            .map(|v| v.normalize().to_string())
                            .unwrap_or_default()
                    });
                    GridCell {
                        error: errors.get(&name).cloned().unwrap_or_default(),
                        name,
                        dom: format!("c-{}-{i}", r.id),
                        label,
                        is_total,
                        value,
                    }
                })
                .collect();
            GridBlock {
                id: r.id,
                code: r.data.code.clone(),
                name: r.data.name.clone(),
                unit: r.data.unit.clone(),
                categories: r.data.disaggregations.clone(),
                too_many,
                cells,
            }
        })
        .collect()
}

/// A cell's problem in the page's language.
pub fn cell_error(tr: &Tr, text: &str, problem: &str) -> String {
    let key = if problem.contains("decimals") {
        "meas-grid-error-decimals"
    } else if problem.contains("too large") {
        "meas-grid-error-large"
    } else {
        "meas-grid-error-number"
    };
    tr.t1(key, "value", text.trim())
}

/// Read the grid's cells: every non-blank one for an indicator of the grid,
/// parsed. On any bad cell, nothing: the errors by field name.
pub fn read_grid(
    tr: &Tr,
    indicators: &[&Record<Indicator>],
    period: Period,
    partner: Option<i64>,
    fields: &[(String, String)],
) -> Result<Vec<NewValue>, HashMap<String, String>> {
    let mut rows = Vec::new();
    let mut errors = HashMap::new();
    for (name, text) in fields {
        let Some(rest) = name.strip_prefix("v:") else {
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let Some((id, key)) = rest.split_once(':') else {
            errors.insert(name.clone(), tr.t("meas-grid-error-cell"));
            continue;
        };
        let Some(r) = id
            .parse::<i64>()
            .ok()
            .and_then(|id| indicators.iter().find(|r| r.id == id))
        else {
            errors.insert(name.clone(), tr.t("meas-grid-error-cell"));
            continue;
        };
        // The subgroup must be one the indicator has now.
        let subgroup = Subgroup::from_key(key);
        let categories = r.data.categories();
        let known = subgroup.is_total()
            || Subgroup::from_choices(&categories, |c| subgroup.option(c).map(str::to_string))
                .is_ok_and(|s| s == subgroup);
        if !known {
            errors.insert(name.clone(), tr.t("meas-grid-error-cell"));
            continue;
        }
        match parse_value(text) {
            Ok(value) => rows.push(NewValue {
                indicator_id: r.id,
                period,
                subgroup,
                partner_id: partner,
                value,
                comment: String::new(),
            }),
            Err(problem) => {
                errors.insert(name.clone(), cell_error(tr, text, &problem));
            }
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------

/// A dot on a chart.
pub struct Dot {
    pub x: f64,
    pub y: f64,
    pub outlier: bool,
}

/// Above this many periods a chart draws the line without a dot per value
/// (outliers keep their squares).
pub const DOTS_UP_TO: usize = 60;

/// A chart ready to draw (see `templates/measurement/chart.html`): every
/// coordinate computed here, the template only writes them out.
pub struct Chart {
    pub id: String,
    pub title: String,
    pub desc: String,
    pub compact: bool,
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    /// (y, label)
    pub y_ticks: Vec<(f64, String)>,
    /// (x, label)
    pub x_ticks: Vec<(f64, String)>,
    /// Path data of the values, broken where a period has none.
    pub line: String,
    pub dots: Vec<Dot>,
    pub target_line: String,
    pub targets: Vec<(f64, f64)>,
    /// (y, label)
    pub baseline: Option<(f64, String)>,
    pub forecast_line: String,
    pub forecast: Vec<(f64, f64)>,
    pub y_label: String,
    pub x_label: String,
    pub empty: bool,
}

/// What a chart shows.
pub struct ChartInput<'a> {
    pub id: String,
    pub title: String,
    pub unit: &'a str,
    /// Every period of the x axis, in order, with its shown value (if any)
    /// and whether it is an outlier.
    pub points: Vec<(Period, Option<f64>, bool)>,
    pub targets: Vec<(Period, f64)>,
    pub baseline: Option<(Period, f64)>,
    /// Forecast periods after the last point.
    pub forecast: Vec<(Period, f64)>,
}

/// A coordinate to a tenth of a pixel.
fn r1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn path(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .enumerate()
        .map(|(i, (x, y))| format!("{}{x:.1} {y:.1}", if i == 0 { "M" } else { " L" }))
        .collect()
}

impl Chart {
    pub fn draw(tr: &Tr, input: ChartInput, compact: bool) -> Chart {
        let (width, height) = if compact {
            (160.0, 40.0)
        } else {
            (640.0, 300.0)
        };
        let (left, right, top, bottom) = if compact {
            (6.0, width - 6.0, 5.0, height - 5.0)
        } else {
            (64.0, width - 36.0, 16.0, height - 52.0)
        };
        // The x axis: the points' periods, then the forecast's.
        let mut periods: Vec<Period> = input.points.iter().map(|p| p.0).collect();
        periods.extend(input.forecast.iter().map(|f| f.0));
        let index: HashMap<Period, usize> =
            periods.iter().enumerate().map(|(i, p)| (*p, i)).collect();
        let n = periods.len();
        let x_of = |i: usize| {
            r1(if n <= 1 {
                (left + right) / 2.0
            } else {
                left + (right - left) * i as f64 / (n - 1) as f64
            })
        };
        let mut all: Vec<f64> = input.points.iter().filter_map(|p| p.1).collect();
        let targets: Vec<(usize, f64)> = input
            .targets
            .iter()
            .filter_map(|(p, v)| Some((*index.get(p)?, *v)))
            .collect();
        all.extend(targets.iter().map(|t| t.1));
        all.extend(input.forecast.iter().map(|f| f.1));
        if let Some((_, b)) = input.baseline {
            all.push(b);
        }
        let scale = nice_scale(&all, if compact { 2 } else { 5 }).unwrap_or(Scale {
            min: 0.0,
            max: 1.0,
            ticks: vec![0.0, 1.0],
            decimals: 0,
        });
        let y_of = |v: f64| r1(scale.position(v, bottom, top));
        let mut line = String::new();
        let mut run: Vec<(f64, f64)> = Vec::new();
        let mut dots = Vec::new();
        for (i, (_, v, outlier)) in input.points.iter().enumerate() {
            match v {
                Some(v) => {
                    let (x, y) = (x_of(i), y_of(*v));
                    run.push((x, y));
                    dots.push(Dot {
                        x,
                        y,
                        outlier: *outlier,
                    });
                }
                None => {
                    if !run.is_empty() {
                        line.push_str(&path(&run));
                        line.push(' ');
                        run.clear();
                    }
                }
            }
        }
        line.push_str(&path(&run));
        let target_points: Vec<(f64, f64)> =
            targets.iter().map(|(i, v)| (x_of(*i), y_of(*v))).collect();
        let forecast_points: Vec<(f64, f64)> = {
            let mut f = Vec::new();
            // The forecast starts from the last value shown.
            if let (Some(last), false) = (dots.last(), input.forecast.is_empty()) {
                f.push((last.x, last.y));
            }
            f.extend(
                input
                    .forecast
                    .iter()
                    .map(|(p, v)| (x_of(index[p]), y_of(*v))),
            );
            f
        };
        let y_ticks = scale
            .ticks
            .iter()
            .map(|t| (y_of(*t), scale.label(*t)))
            .collect();
        let x_ticks = spread(n, 6)
            .into_iter()
            .map(|i| (x_of(i), periods[i].to_string()))
            .collect();
        let shown: Vec<(Period, f64)> = input
            .points
            .iter()
            .filter_map(|(p, v, _)| Some((*p, (*v)?)))
            .collect();
        let desc = match (shown.first(), shown.last()) {
            (Some(first), Some(last)) => {
                let mut d = tr.tn(
                    "meas-chart-desc",
                    &[
                        ("from", first.0.to_string()),
                        ("to", last.0.to_string()),
                        ("first", format_f64(first.1)),
                        ("last", format_f64(last.1)),
                        ("count", shown.len().to_string()),
                    ],
                );
                if !targets.is_empty() {
                    d.push(' ');
                    d.push_str(&tr.t("meas-chart-desc-target"));
                }
                if input.baseline.is_some() {
                    d.push(' ');
                    d.push_str(&tr.t("meas-chart-desc-baseline"));
                }
                if !input.forecast.is_empty() {
                    d.push(' ');
                    d.push_str(&tr.t("meas-chart-desc-forecast"));
                }
                d
            }
            _ => tr.t("meas-chart-empty"),
        };
        Chart {
            id: input.id,
            title: input.title,
            desc,
            compact,
            width,
            height,
            left,
            right,
            top,
            bottom,
            y_ticks,
            x_ticks,
            line,
            dots,
            target_line: path(&target_points),
            targets: target_points,
            baseline: input.baseline.map(|(p, b)| {
                (
                    y_of(b),
                    tr.t1("meas-chart-baseline-label", "period", &p.to_string()),
                )
            }),
            forecast_line: path(&forecast_points),
            forecast: forecast_points.into_iter().skip(1).collect(),
            y_label: if input.unit.is_empty() {
                tr.t("meas-chart-value")
            } else {
                input.unit.to_string()
            },
            x_label: tr.t("meas-chart-period"),
            empty: shown.is_empty(),
        }
    }

    /// The small chart of a dashboard row: the last periods, with targets.
    pub fn spark(tr: &Tr, s: &Series) -> Chart {
        let d = &s.indicator.data;
        let visible = s.visible();
        let periods: Vec<Period> = match (s.totals.keys().next(), s.totals.keys().next_back()) {
            (Some(a), Some(b)) => {
                let all = Period::range(*a, *b);
                let skip = all.len().saturating_sub(SPARK_PERIODS);
                all.into_iter().skip(skip).collect()
            }
            _ => Vec::new(),
        };
        let points = periods
            .iter()
            .map(|p| (*p, visible.get(p).and_then(|v| to_f64(*v)), false))
            .collect();
        let targets = d
            .target_list()
            .into_iter()
            .filter_map(|(p, v)| Some((p, to_f64(v)?)))
            .collect();
        Chart::draw(
            tr,
            ChartInput {
                id: format!("spark-{}", s.indicator.id),
                title: tr.t1("meas-spark-title", "name", &d.name),
                unit: &d.unit,
                points,
                targets,
                baseline: None,
                forecast: Vec::new(),
            },
            true,
        )
    }

    /// The chart as SVG markup.
    pub fn svg(&self) -> String {
        use askama::Template;
        ChartSvg { ch: self }.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "chart template failed");
            String::new()
        })
    }

    /// Whether every value gets a dot (few enough periods to tell them apart).
    pub fn dotted(&self) -> bool {
        !self.compact && self.dots.len() <= DOTS_UP_TO
    }

    pub fn class(&self) -> &'static str {
        if self.compact { "chart spark" } else { "chart" }
    }

    /// The svg's `viewBox`.
    pub fn view_box(&self) -> String {
        format!("0 0 {} {}", self.width, self.height)
    }

    /// The middle of the plot's height (where the value axis' title sits).
    pub fn mid_y(&self) -> f64 {
        r1((self.top + self.bottom) / 2.0)
    }
    pub fn mid_x(&self) -> f64 {
        r1((self.left + self.right) / 2.0)
    }
}

#[derive(askama::Template)]
#[template(path = "measurement/chart.html")]
struct ChartSvg<'a> {
    ch: &'a Chart,
}

/// An `f64` for a sentence: at most two decimals.
pub fn format_f64(v: f64) -> String {
    Decimal::try_from(v)
        .map(num)
        .unwrap_or_else(|_| format!("{v:.2}"))
}

/// A decimal as a chart coordinate.
pub fn to_f64(d: Decimal) -> Option<f64> {
    f64::try_from(d).ok()
}

/// Of a network's initiatives `user` may see (`visible`, as
/// `Store::initiatives_of_networks` reads them), the slugs the comparison may
/// list; `None` for an admin, who sees them all. A caller who sees none of them
/// learns nothing of the network (404). The first half of
/// [`network_rollup`]'s decision.
pub fn sites_seen(
    user: &store::accounts::User,
    visible: &[Record<domain::partnership::Initiative>],
) -> Result<Option<Vec<String>>, AppError> {
    if user.is_admin {
        return Ok(None);
    }
    if visible.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(Some(visible.iter().map(|i| i.data.slug.clone()).collect()))
}

/// One indicator's rollup across a network — the one decision for the
/// comparison page and the API. The comparison names every site, so it is for
/// whoever may see every initiative it lists (an admin, the network's leads):
/// a caller who sees only some of those listed is refused (403).
pub async fn network_rollup(
    store: &Store,
    seen: &Option<Vec<String>>,
    network: i64,
    code: &str,
    period: Period,
) -> Result<store::measurement::Rollup, AppError> {
    let r = store.rollup(network, code, period).await?;
    if let Some(seen) = seen
        && r.sites.iter().any(|s| !seen.contains(&s.initiative))
    {
        return Err(AppError::Forbidden);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::measurement::indicator::parse_categories;

    #[test]
    fn numbers_read_well() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(num(d("12.500")), "12.5");
        assert_eq!(num(d("33.333333")), "33.33");
        assert_eq!(pct(d("-0.2")), "-20%");
        assert_eq!(pct(d("0.125")), "+12.5%");
        assert_eq!(share(d("0.5")), "50%");
        assert_eq!(signed(d("4")), "+4");
        assert_eq!(signed(d("-2.5")), "-2.5");
    }

    #[test]
    fn combinations_cross_every_category() {
        let c = parse_categories("n=North|South|East;sex=F|M").unwrap();
        let all = combinations(&c);
        assert_eq!(all.len(), 6);
        assert_eq!(
            all[1],
            vec![("n".into(), "North".into()), ("sex".into(), "M".into())]
        );
        assert!(combinations(&[]).is_empty());
        let many =
            parse_categories("a=1|2|3|4|5|6|7|8;b=1|2|3|4|5|6|7|8;c=1|2|3|4|5|6|7|8").unwrap();
        assert!(combinations(&many).is_empty(), "over the grid's limit");
    }

    #[test]
    fn periods_that_ended() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
        let p = ended_periods(Frequency::Monthly, today, 3);
        assert_eq!(
            p.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            ["2025-10", "2025-11", "2025-12"]
        );
        assert_eq!(
            ended_periods(Frequency::Yearly, today, 1)[0].to_string(),
            "2025"
        );
    }

    #[test]
    fn a_chart_breaks_its_line_where_a_value_is_missing() {
        let tr = Tr::new("en");
        let p = |s: &str| Period::parse(s).unwrap();
        let c = Chart::draw(
            &tr,
            ChartInput {
                id: "x".into(),
                title: "X".into(),
                unit: "",
                points: vec![
                    (p("2025-01"), Some(10.0), false),
                    (p("2025-02"), Some(12.0), false),
                    (p("2025-03"), None, false),
                    (p("2025-04"), Some(30.0), true),
                ],
                targets: vec![(p("2025-04"), 20.0), (p("2030-01"), 99.0)],
                baseline: Some((p("2025-01"), 10.0)),
                forecast: vec![(p("2025-05"), 33.0)],
            },
            false,
        );
        assert_eq!(c.line.matches('M').count(), 2, "{}", c.line);
        assert_eq!(c.dots.len(), 3);
        assert!(c.dots[2].outlier);
        assert_eq!(c.targets.len(), 1, "a target outside the axis is left out");
        assert_eq!(c.forecast.len(), 1);
        assert!(c.forecast_line.starts_with('M'));
        assert!(c.baseline.is_some());
        assert!(c.desc.contains("2025-01") && c.desc.contains("2025-04"));
        assert_eq!(c.x_ticks.first().unwrap().1, "2025-01");
        assert_eq!(c.x_ticks.last().unwrap().1, "2025-05");
        // Higher values are drawn higher up.
        assert!(c.dots[2].y < c.dots[0].y);
    }
}
