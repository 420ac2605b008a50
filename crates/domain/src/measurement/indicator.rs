//! The indicator: what is measured, how its values combine, and what it aims at.
//!
//! Indicators are registry records (few, edited by people, versioned and
//! audited). Their disaggregation categories and targets are kept as text in the
//! same notation the spreadsheet import reads (`neighbourhood=North|South;sex=F|M`
//! and `2024-12=120;2025-12=150`), parsed here into typed values; the form, the
//! API and the import all go through the same parser.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::period::Period;
use super::{
    Aggregation, Frequency, IndicatorKind, PerformanceQuestion, PeriodAggregation, Polarity,
};
use crate::resource::{Column, ColumnType, Resource, Scope};
use crate::validation::{FieldErrors, FieldMap, MAX_NAME, MAX_TEXT, Parser};

/// Values are kept with at most this many decimals (SQLite stores them as
/// integers in millionths; PostgreSQL as `NUMERIC`).
pub const VALUE_SCALE: u32 = 6;
/// The largest magnitude a stored value may have: its sums stay exact on both
/// engines.
pub const MAX_VALUE: i64 = 1_000_000_000_000;

/// Parse a value as people type it: `12`, `-3.5`, `1234.000001`. Refuses more
/// than six decimals, exponents, thousands separators and magnitudes from 10¹²
/// up, each with a message saying so.
pub fn parse_value(text: &str) -> Result<Decimal, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("a value is required".into());
    }
    let ok_chars = s
        .bytes()
        .enumerate()
        .all(|(i, b)| b.is_ascii_digit() || b == b'.' || (i == 0 && (b == b'-' || b == b'+')));
    let d: Decimal = match (ok_chars, s.parse::<Decimal>()) {
        (true, Ok(d)) => d,
        _ => return Err(format!("{:?} is not a number such as 12 or 12.5", short(s))),
    };
    if d.normalize().scale() > VALUE_SCALE {
        return Err(format!("{s} has more than {VALUE_SCALE} decimals"));
    }
    if d.abs() >= Decimal::from(MAX_VALUE) {
        return Err(format!("{s} is too large (at most 999999999999.999999)"));
    }
    Ok(d.normalize())
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

/// A disaggregation category with its options, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    pub name: String,
    pub options: Vec<String>,
}

/// Parse `neighbourhood=North|South;sex=F|M`. Names and options are trimmed;
/// a category needs at least one option; names and options are unique
/// (ignoring case) and may not contain `=`, `|` or `;`.
pub fn parse_categories(text: &str) -> Result<Vec<Category>, String> {
    let mut out: Vec<Category> = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, options)) = part.split_once('=') else {
            return Err(format!(
                "{:?}: write a category as name=option|option",
                short(part)
            ));
        };
        let name = name.trim();
        if name.is_empty() || name.contains('|') {
            return Err(format!("{:?}: a category needs a name", short(part)));
        }
        if out.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
            return Err(format!("category {name} is given twice"));
        }
        let mut opts: Vec<String> = Vec::new();
        for o in options.split('|').map(str::trim) {
            if o.is_empty() || o.contains('=') {
                return Err(format!("category {name} has an empty or invalid option"));
            }
            if opts.iter().any(|x| x.eq_ignore_ascii_case(o)) {
                return Err(format!("category {name} lists {o} twice"));
            }
            opts.push(o.to_string());
        }
        out.push(Category {
            name: name.to_string(),
            options: opts,
        });
    }
    Ok(out)
}

pub fn format_categories(categories: &[Category]) -> String {
    categories
        .iter()
        .map(|c| format!("{}={}", c.name, c.options.join("|")))
        .collect::<Vec<_>>()
        .join(";")
}

/// The subgroup a value belongs to: one option of every category, in the
/// indicator's category order, or none at all (the total).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Subgroup(Vec<(String, String)>);

impl Subgroup {
    pub fn total() -> Self {
        Self::default()
    }
    pub fn is_total(&self) -> bool {
        self.0.is_empty()
    }
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
    /// The option chosen for `category`.
    pub fn option(&self, category: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(c, _)| c == category)
            .map(|(_, o)| o.as_str())
    }

    /// Build from each category's chosen option (blank = none), checked against
    /// the indicator's categories: all blank is the total; otherwise every
    /// category needs one of its options (spelled as declared, whatever the case).
    /// The error names the category.
    pub fn from_choices(
        categories: &[Category],
        chosen: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, (String, String)> {
        let picks: Vec<(&Category, Option<String>)> = categories
            .iter()
            .map(|c| {
                (
                    c,
                    chosen(&c.name)
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty()),
                )
            })
            .collect();
        if picks.iter().all(|(_, o)| o.is_none()) {
            return Ok(Self::total());
        }
        let mut pairs = Vec::new();
        for (c, o) in picks {
            let Some(o) = o else {
                return Err((
                    c.name.clone(),
                    format!(
                        "{} is blank: give an option of every category, or none for the total",
                        c.name
                    ),
                ));
            };
            let Some(found) = c.options.iter().find(|x| x.eq_ignore_ascii_case(&o)) else {
                return Err((
                    c.name.clone(),
                    format!(
                        "{:?} is not an option of {} ({})",
                        short(&o),
                        c.name,
                        c.options.join(", ")
                    ),
                ));
            };
            pairs.push((c.name.clone(), found.clone()));
        }
        Ok(Self(pairs))
    }

    /// The stored key: `neighbourhood=North;sex=F`, empty for the total.
    pub fn key(&self) -> String {
        self.0
            .iter()
            .map(|(c, o)| format!("{c}={o}"))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Read a stored key back (no checking: keys are written by [`Subgroup::key`]).
    pub fn from_key(key: &str) -> Self {
        Self(
            key.split(';')
                .filter_map(|p| p.split_once('='))
                .map(|(c, o)| (c.to_string(), o.to_string()))
                .collect(),
        )
    }
}

impl fmt::Display for Subgroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// Parse `2024-12=120;2025-12=150` for an indicator reporting at `frequency`.
pub fn parse_targets(text: &str, frequency: Frequency) -> Result<Vec<(Period, Decimal)>, String> {
    let mut out: Vec<(Period, Decimal)> = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((p, v)) = part.split_once('=') else {
            return Err(format!("{:?}: write a target as period=value", short(part)));
        };
        let p = Period::parse(p).map_err(|e| e.to_string())?;
        if p.frequency() != frequency {
            return Err(format!(
                "target period {p} is not {} like the indicator",
                frequency.as_str()
            ));
        }
        let v = parse_value(v).map_err(|e| format!("target for {p}: {e}"))?;
        if out.iter().any(|(q, _)| *q == p) {
            return Err(format!("two targets for {p}"));
        }
        out.push((p, v));
    }
    out.sort_by_key(|(p, _)| *p);
    Ok(out)
}

pub fn format_targets(targets: &[(Period, Decimal)]) -> String {
    targets
        .iter()
        .map(|(p, v)| format!("{p}={v}"))
        .collect::<Vec<_>>()
        .join(";")
}

/// What an initiative measures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Indicator {
    /// Unique in the initiative; matches the same indicator across a network.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub definition: String,
    #[serde(default)]
    pub unit: String,
    pub kind: IndicatorKind,
    /// For a performance measure: which of the three questions it answers.
    #[serde(default)]
    pub question: Option<PerformanceQuestion>,
    pub polarity: Polarity,
    /// Across subgroups, partners and sites.
    pub aggregation: Aggregation,
    /// Across periods, when a chart shows quarters or years.
    pub period_aggregation: PeriodAggregation,
    pub frequency: Frequency,
    /// A formula indicator: numerator ÷ denominator × factor.
    #[serde(default)]
    pub numerator_id: Option<i64>,
    #[serde(default)]
    pub denominator_id: Option<i64>,
    #[serde(default)]
    pub factor: Option<Decimal>,
    #[serde(default)]
    pub owner_org_id: Option<i64>,
    #[serde(default)]
    pub data_source: String,
    #[serde(default)]
    pub baseline_period: Option<Period>,
    #[serde(default)]
    pub baseline_value: Option<Decimal>,
    /// `2024-12=120;2025-12=150`
    #[serde(default)]
    pub targets: String,
    /// `neighbourhood=North|South;sex=F|M`
    #[serde(default)]
    pub disaggregations: String,
    /// Organizations expected to report it, ids separated by commas.
    #[serde(default)]
    pub reporters: String,
    #[serde(default)]
    pub objective_id: Option<i64>,
    /// UN SDG indicator codes, separated by commas.
    #[serde(default)]
    pub sdg: String,
    /// Days after a period's end within which a report is on time.
    #[serde(default = "default_due_days")]
    pub due_days: i64,
    /// Shown on the public dashboard.
    #[serde(default)]
    pub public: bool,
}

fn default_due_days() -> i64 {
    15
}

impl Indicator {
    pub fn is_formula(&self) -> bool {
        self.numerator_id.is_some() && self.denominator_id.is_some()
    }
    pub fn factor_or_one(&self) -> Decimal {
        self.factor.unwrap_or(Decimal::ONE)
    }
    pub fn categories(&self) -> Vec<Category> {
        parse_categories(&self.disaggregations).unwrap_or_default()
    }
    pub fn target_list(&self) -> Vec<(Period, Decimal)> {
        parse_targets(&self.targets, self.frequency).unwrap_or_default()
    }
    pub fn target(&self, period: Period) -> Option<Decimal> {
        self.target_list()
            .into_iter()
            .find(|(p, _)| *p == period)
            .map(|(_, v)| v)
    }
    pub fn reporter_ids(&self) -> Vec<i64> {
        self.reporters
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect()
    }
    pub fn sdg_codes(&self) -> Vec<&str> {
        self.sdg.split(',').filter(|c| !c.is_empty()).collect()
    }
}

/// Indicator codes: letters, digits, `_`, `-` and `.`, up to 40 characters.
pub fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

fn opt_decimal(p: &mut Parser, field: &str) -> Option<Decimal> {
    let raw = p.opt_text(field, 40, false)?;
    match parse_value(&raw) {
        Ok(v) => Some(v),
        Err(e) => {
            p.errors
                .add(field, "invalid_number", format!("{field}: {e}"));
            None
        }
    }
}

impl Resource for Indicator {
    const KIND: &'static str = "indicator";
    const TABLE: &'static str = "indicators";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("code").unique(),
            Column::text("name"),
            Column::text("definition"),
            Column::text("unit"),
            Column::text("kind"),
            Column::opt_text("question"),
            Column::text("polarity"),
            Column::text("aggregation"),
            Column::text("period_aggregation"),
            Column::text("frequency"),
            Column::opt_int("numerator_id").refers("indicators"),
            Column::opt_int("denominator_id").refers("indicators"),
            Column {
                nullable: true,
                ..Column::of_type("factor", ColumnType::Decimal)
            },
            Column::opt_int("owner_org_id").refers("organizations"),
            Column::text("data_source"),
            Column::opt_text("baseline_period"),
            Column {
                nullable: true,
                ..Column::of_type("baseline_value", ColumnType::Decimal)
            },
            Column::text("targets"),
            Column::text("disaggregations"),
            Column::text("reporters"),
            Column::opt_int("objective_id").refers("objectives"),
            Column::text("sdg"),
            Column::int("due_days"),
            Column::boolean("public"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let code = p.name("code", 40);
        if !code.is_empty() && !is_code(&code) {
            p.errors.add(
                "code",
                "invalid_code",
                "code may hold letters, digits, _, - and . only",
            );
        }
        let name = p.name("name", MAX_NAME);
        let definition = p.opt_text("definition", MAX_TEXT, true).unwrap_or_default();
        let unit = p.opt_text("unit", 40, false).unwrap_or_default();
        let kind = p.choice("kind", IndicatorKind::parse);
        let question = match p.opt_text("question", 20, false) {
            None => None,
            Some(q) => match PerformanceQuestion::parse(&q) {
                Some(q) => Some(q),
                None => {
                    p.errors.add(
                        "question",
                        "unknown_choice",
                        "question must be how_much, how_well or better_off",
                    );
                    None
                }
            },
        };
        if kind == Some(IndicatorKind::Population) && question.is_some() {
            p.errors.add(
                "question",
                "not_allowed",
                "only a performance measure answers one of the three questions",
            );
        }
        let polarity = p.choice("polarity", Polarity::parse);
        let aggregation = p.choice("aggregation", Aggregation::parse);
        let period_aggregation = p.choice("period_aggregation", PeriodAggregation::parse);
        let frequency = p.choice("frequency", Frequency::parse);
        let numerator_id = p.opt_id("numerator_id");
        let denominator_id = p.opt_id("denominator_id");
        let factor = opt_decimal(&mut p, "factor");
        if numerator_id.is_some() != denominator_id.is_some() {
            let missing = if numerator_id.is_some() {
                "denominator_id"
            } else {
                "numerator_id"
            };
            p.errors.add(
                missing,
                "required",
                "a formula needs both a numerator and a denominator",
            );
        }
        if factor.is_some() && numerator_id.is_none() && denominator_id.is_none() {
            p.errors.add(
                "factor",
                "not_allowed",
                "a factor belongs to a formula (numerator ÷ denominator × factor)",
            );
        }
        let owner_org_id = p.opt_id("owner_org_id");
        let data_source = p
            .opt_text("data_source", MAX_NAME, false)
            .unwrap_or_default();
        let baseline_period = match p.opt_text("baseline_period", 20, false) {
            None => None,
            Some(s) => match Period::parse(&s) {
                Ok(bp) if Some(bp.frequency()) == frequency || frequency.is_none() => Some(bp),
                Ok(bp) => {
                    p.errors.add(
                        "baseline_period",
                        "invalid_period",
                        format!("baseline period {bp} does not match the reporting frequency"),
                    );
                    None
                }
                Err(e) => {
                    p.errors
                        .add("baseline_period", "invalid_period", e.to_string());
                    None
                }
            },
        };
        let baseline_value = opt_decimal(&mut p, "baseline_value");
        if baseline_value.is_some() != baseline_period.is_some()
            && p.errors.get("baseline_period").is_none()
            && p.errors.get("baseline_value").is_none()
        {
            let missing = if baseline_value.is_some() {
                "baseline_period"
            } else {
                "baseline_value"
            };
            p.errors.add(
                missing,
                "required",
                "a baseline needs both a period and a value",
            );
        }
        let targets_raw = p.opt_text("targets", MAX_TEXT, false).unwrap_or_default();
        let targets = match frequency {
            Some(f) => match parse_targets(&targets_raw, f) {
                Ok(t) => format_targets(&t),
                Err(e) => {
                    p.errors.add("targets", "invalid_targets", e);
                    String::new()
                }
            },
            None => String::new(),
        };
        let dis_raw = p
            .opt_text("disaggregations", MAX_TEXT, false)
            .unwrap_or_default();
        let disaggregations = match parse_categories(&dis_raw) {
            Ok(c) => format_categories(&c),
            Err(e) => {
                p.errors
                    .add("disaggregations", "invalid_disaggregations", e);
                String::new()
            }
        };
        let reporters_raw = p.opt_text("reporters", 2000, false).unwrap_or_default();
        let mut reporter_ids: Vec<i64> = Vec::new();
        for part in reporters_raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match part.parse::<i64>() {
                Ok(n) if n > 0 => {
                    if !reporter_ids.contains(&n) {
                        reporter_ids.push(n)
                    }
                }
                _ => {
                    p.errors.add(
                        "reporters",
                        "invalid_reporters",
                        "reporters must be organization ids separated by commas",
                    );
                    break;
                }
            }
        }
        let reporters = reporter_ids
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let objective_id = p.opt_id("objective_id");
        let sdg = crate::sdg::parse_field(&mut p, "sdg");
        let due_days = p.opt_int("due_days", 0, 366).unwrap_or(default_due_days());
        let public = p.flag("public");
        match (kind, polarity, aggregation, period_aggregation, frequency) {
            (
                Some(kind),
                Some(polarity),
                Some(aggregation),
                Some(period_aggregation),
                Some(frequency),
            ) => p.errors.finish(Self {
                code,
                name,
                definition,
                unit,
                kind,
                question,
                polarity,
                aggregation,
                period_aggregation,
                frequency,
                numerator_id,
                denominator_id,
                factor,
                owner_org_id,
                data_source,
                baseline_period,
                baseline_value,
                targets,
                disaggregations,
                reporters,
                objective_id,
                sdg,
                due_days,
                public,
            }),
            _ => Err(p.errors),
        }
    }
    fn label(&self) -> String {
        format!("{} — {}", self.code, self.name)
    }
}

/// A data-quality rule over an initiative's indicators, such as
/// `enrolled <= eligible`, checked for every site and period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidationRule {
    pub rule: String,
    #[serde(default)]
    pub description: String,
}

impl Resource for ValidationRule {
    const KIND: &'static str = "validation_rule";
    const TABLE: &'static str = "validation_rules";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[Column::text("rule"), Column::text("description")];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let raw = p.name("rule", 200);
        let rule = if raw.is_empty() {
            raw
        } else {
            match super::rules::Rule::parse(&raw) {
                Ok(r) => r.to_string(),
                Err(e) => {
                    p.errors.add("rule", "invalid_rule", e.to_string());
                    String::new()
                }
            }
        };
        let description = p
            .opt_text("description", MAX_TEXT, true)
            .unwrap_or_default();
        p.errors.finish(Self { rule, description })
    }
    fn label(&self) -> String {
        self.rule.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> FieldMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("code", "enrolled"),
            ("name", "Children enrolled"),
            ("kind", "population"),
            ("polarity", "higher_is_better"),
            ("aggregation", "sum"),
            ("period_aggregation", "last"),
            ("frequency", "monthly"),
        ]
    }

    #[test]
    fn values_are_exact_and_bounded() {
        assert_eq!(parse_value("12.50").unwrap().to_string(), "12.5");
        assert_eq!(parse_value(" -3 ").unwrap().to_string(), "-3");
        assert_eq!(parse_value("0.000001").unwrap().to_string(), "0.000001");
        for bad in [
            "",
            "1e3",
            "1,000",
            "0.0000001",
            "1000000000000",
            "abc",
            "--1",
            "1.2.3",
        ] {
            assert!(parse_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn categories_and_targets_read_the_import_notation() {
        let c = parse_categories("neighbourhood=North|South|East; sex=F|M").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].options, ["North", "South", "East"]);
        assert_eq!(
            format_categories(&c),
            "neighbourhood=North|South|East;sex=F|M"
        );
        assert!(parse_categories("sex=F|F").is_err());
        assert!(parse_categories("sex").is_err());
        assert!(parse_categories("sex=F;Sex=M").is_err());
        let t = parse_targets("2025-12=150;2024-12=120", Frequency::Monthly).unwrap();
        assert_eq!(format_targets(&t), "2024-12=120;2025-12=150");
        assert!(parse_targets("2025=1", Frequency::Monthly).is_err());
        assert!(parse_targets("2025-01=1;2025-01=2", Frequency::Monthly).is_err());
    }

    #[test]
    fn a_subgroup_is_every_category_or_none() {
        let c = parse_categories("neighbourhood=North|South;sex=F|M").unwrap();
        let pick = |n: &'static str, s: &'static str| {
            move |cat: &str| Some(if cat == "neighbourhood" { n } else { s }.to_string())
        };
        assert!(Subgroup::from_choices(&c, pick("", "")).unwrap().is_total());
        let g = Subgroup::from_choices(&c, pick("north", "F")).unwrap();
        assert_eq!(g.key(), "neighbourhood=North;sex=F");
        assert_eq!(Subgroup::from_key(&g.key()), g);
        assert_eq!(
            Subgroup::from_choices(&c, pick("North", "")).unwrap_err().0,
            "sex"
        );
        assert_eq!(
            Subgroup::from_choices(&c, pick("West", "F")).unwrap_err().0,
            "neighbourhood"
        );
    }

    #[test]
    fn an_indicator_parses_and_names_each_bad_field() {
        let ok = Indicator::parse(&fields(&base())).unwrap();
        assert_eq!(ok.due_days, 15);
        assert!(!ok.is_formula());
        let mut bad = base();
        bad.extend([
            ("numerator_id", "3"),
            ("baseline_value", "10"),
            ("targets", "2025=3"),
            ("code", "a b"),
        ]);
        let e = Indicator::parse(&fields(&bad)).unwrap_err();
        for f in ["denominator_id", "baseline_period", "targets", "code"] {
            assert!(e.get(f).is_some(), "{f}: {e:?}");
        }
    }
}
