//! Spreadsheet imports: a file of values, or a file of indicators.
//!
//! The file has already been read into a [`Table`] of trimmed text (by
//! `interop::tabular`, which knows CSV and XLSX); this module knows what the
//! columns mean. Both imports are all-or-nothing: every row is checked first and
//! either every row comes back typed, or every problem comes back located by
//! spreadsheet row and column, so that a partner fixes the whole file in one
//! round instead of discovering one error per upload. Nothing here touches the
//! database; the caller writes the rows in one transaction.
//!
//! The column names are a contract: partners' scripts write these files, so a
//! column is never renamed, and an unknown column is refused (a typo such as
//! `vaule` must not be silently ignored).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::Serialize;

use super::indicator::{Category, Indicator, Subgroup, parse_value};
use super::period::Period;
use super::{Aggregation, Decimal, Frequency};
use crate::resource::Resource;
use crate::validation::FieldMap;

/// A spreadsheet read as text: lower-cased header names and the data rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
}

/// One data row and the number a spreadsheet program shows for it (the header
/// is row 1, so the first data row is row 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    pub number: usize,
    pub cells: Vec<String>,
}

impl Table {
    /// The position of the column named `header` (compared trimmed and
    /// lower-cased, as the readers store header names).
    pub fn column(&self, header: &str) -> Option<usize> {
        let want = header.trim().to_lowercase();
        self.headers
            .iter()
            .position(|h| h.trim().to_lowercase() == want)
    }

    /// The trimmed cell of `row` under `header`; `None` when the cell is blank
    /// or the file has no such column (an absent column reads as blank).
    pub fn cell<'a>(&'a self, row: &'a TableRow, header: &str) -> Option<&'a str> {
        row.get(self.column(header)?)
    }
}

impl TableRow {
    /// The trimmed cell at `column`; `None` when blank or past the row's end
    /// (ragged rows are allowed: missing cells are blank).
    pub fn get(&self, column: usize) -> Option<&str> {
        self.cells
            .get(column)
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
    }
}

/// Why one cell (or the whole header, row 1) was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The spreadsheet row; 1 is the header (a missing or unknown column).
    pub row: usize,
    /// The column's header name; empty when the error is about the whole row.
    pub column: String,
    pub reason: String,
}

impl RowError {
    pub fn new(row: usize, column: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            row,
            column: column.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "row {}: {}", self.row, self.reason)
        } else {
            write!(
                f,
                "row {}, column {}: {}",
                self.row, self.column, self.reason
            )
        }
    }
}

/// At most this many errors are listed: a file with a wrong column can fail
/// on every one of 100,000 rows, and nobody reads past the first screens.
pub const MAX_ERRORS: usize = 1000;

/// Sort by row (errors of one row keep the order of its columns) and cap the
/// list, saying in a last entry how many more there were.
fn finish_errors(mut errors: Vec<RowError>) -> Vec<RowError> {
    errors.sort_by_key(|e| e.row);
    if errors.len() > MAX_ERRORS {
        let more = errors.len() - MAX_ERRORS;
        let from = errors[MAX_ERRORS].row;
        errors.truncate(MAX_ERRORS);
        errors.push(RowError::new(
            from,
            "",
            format!(
                "and {more} more errors from this row on (only the first {MAX_ERRORS} are listed)"
            ),
        ));
    }
    errors
}

/// Checks the header against the accepted columns: a repeated column, an
/// unknown one and a missing required one are each an error on row 1. Returns
/// the position of every header name, and whether all required columns are
/// there (without them the rows cannot be read at all).
fn check_header(
    table: &Table,
    required: &[&str],
    accepted: impl Fn(&str) -> bool,
    errors: &mut Vec<RowError>,
) -> (HashMap<String, usize>, bool) {
    let mut columns: HashMap<String, usize> = HashMap::new();
    for (i, h) in table.headers.iter().enumerate() {
        let h = h.trim().to_lowercase();
        if columns.contains_key(&h) {
            errors.push(RowError::new(1, h, "the column appears twice"));
            continue;
        }
        if !accepted(&h) {
            errors.push(RowError::new(
                1,
                h.clone(),
                format!("unknown column {h:?}: remove it or correct its name"),
            ));
        }
        columns.insert(h, i);
    }
    let mut complete = true;
    for r in required {
        if !columns.contains_key(*r) {
            complete = false;
            errors.push(RowError::new(1, *r, format!("the column {r} is missing")));
        }
    }
    (columns, complete)
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// An organization of the initiative that values may be reported for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    pub id: i64,
    pub name: String,
    /// Its org-id identifier (`GB-CHC-1234567`), when known.
    pub org_id: Option<String>,
}

/// One checked row of a values file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueRow {
    /// The spreadsheet row it came from.
    pub row: usize,
    pub indicator_id: i64,
    pub period: Period,
    pub subgroup: Subgroup,
    pub partner_id: Option<i64>,
    pub value: Decimal,
    pub comment: String,
}

/// The columns of a values file without disaggregation categories, in the
/// order templates and exports write them.
pub const VALUE_TEMPLATE_HEADERS: &[&str] = &["indicator", "period", "value", "partner", "comment"];
const VALUE_REQUIRED: &[&str] = &["indicator", "period", "value"];
/// Longest comment on a value.
pub const MAX_COMMENT: usize = 2000;

/// The header of a values template for `indicators`: the fixed columns, then
/// one column per disaggregation category they use (each name once, ignoring
/// case, in order of first use).
pub fn value_template_headers(indicators: &[(i64, Indicator)]) -> Vec<String> {
    let mut out: Vec<String> = VALUE_TEMPLATE_HEADERS
        .iter()
        .map(|h| h.to_string())
        .collect();
    let mut seen: HashSet<String> = out.iter().cloned().collect();
    for (_, ind) in indicators {
        for c in ind.categories() {
            if seen.insert(c.name.to_lowercase()) {
                out.push(c.name);
            }
        }
    }
    out
}

/// An indicator as the values import uses it: categories parsed once, and the
/// file's column of each category.
struct Target<'a> {
    id: i64,
    indicator: &'a Indicator,
    categories: Vec<Category>,
    /// Lower-cased names of its categories, to tell its columns from others'.
    category_names: HashSet<String>,
}

/// Finds an indicator by code: the exact code first, else the one code equal
/// to it ignoring case (people retype `Enrolled` for `enrolled`).
struct CodeIndex<'a> {
    exact: HashMap<&'a str, usize>,
    folded: HashMap<String, Vec<usize>>,
}

impl<'a> CodeIndex<'a> {
    fn new(codes: impl Iterator<Item = &'a str>) -> Self {
        let mut exact = HashMap::new();
        let mut folded: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, code) in codes.enumerate() {
            exact.entry(code).or_insert(i);
            folded.entry(code.to_ascii_lowercase()).or_default().push(i);
        }
        Self { exact, folded }
    }

    fn find(&self, code: &str) -> Result<usize, String> {
        if let Some(&i) = self.exact.get(code) {
            return Ok(i);
        }
        match self
            .folded
            .get(&code.to_ascii_lowercase())
            .map(Vec::as_slice)
        {
            Some([i]) => Ok(*i),
            Some(_) => Err(format!(
                "{:?} matches several indicator codes that differ only in case: write the code exactly",
                short(code)
            )),
            None => Err(format!("no indicator has the code {:?}", short(code))),
        }
    }
}

/// Finds a partner by org-id or by name, both ignoring case and surrounding
/// spaces; the org-id wins because it is unambiguous.
struct PartnerIndex {
    by_org_id: HashMap<String, Vec<i64>>,
    by_name: HashMap<String, Vec<i64>>,
}

impl PartnerIndex {
    fn new(partners: &[Partner]) -> Self {
        let mut by_org_id: HashMap<String, Vec<i64>> = HashMap::new();
        let mut by_name: HashMap<String, Vec<i64>> = HashMap::new();
        for p in partners {
            if let Some(o) = p.org_id.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
                by_org_id.entry(o.to_lowercase()).or_default().push(p.id);
            }
            by_name
                .entry(p.name.trim().to_lowercase())
                .or_default()
                .push(p.id);
        }
        Self { by_org_id, by_name }
    }

    fn find(&self, text: &str) -> Result<i64, String> {
        let key = text.trim().to_lowercase();
        for map in [&self.by_org_id, &self.by_name] {
            match map.get(&key).map(Vec::as_slice) {
                Some([id]) => return Ok(*id),
                Some(_) => {
                    return Err(format!(
                        "{:?} names several organizations: use the org-id instead",
                        short(text)
                    ));
                }
                None => {}
            }
        }
        Err(format!(
            "{:?} is not an organization of this initiative (give its name or org-id)",
            short(text)
        ))
    }
}

/// Whether values for `period` are locked: its own period is locked, or a
/// coarser period holding it is (locking a quarter locks its months and weeks).
fn is_locked(period: Period, locked: &HashSet<Period>) -> bool {
    !locked.is_empty()
        && (locked.contains(&period)
            || Frequency::ALL
                .iter()
                .filter_map(|f| period.within(*f))
                .any(|p| locked.contains(&p)))
}

/// Check a values file against the initiative's indicators, partners and
/// locked periods.
///
/// Columns: `indicator` (its code), `period`, `value`, optionally `partner`
/// (an organization by name or org-id) and `comment`, and one column per
/// disaggregation category (all blank = the indicator's total). Every row is
/// checked; the result is every row typed, or every error (sorted by row,
/// capped at [`MAX_ERRORS`]). Two rows for the same indicator, period,
/// subgroup and partner are an error naming both rows: which of them should
/// win is the partner's decision, not the importer's.
///
/// A category named like a fixed column (`comment`, say) cannot be given in a
/// file: the fixed column wins.
pub fn parse_values(
    table: &Table,
    indicators: &[(i64, Indicator)],
    partners: &[Partner],
    locked: &[Period],
) -> Result<Vec<ValueRow>, Vec<RowError>> {
    let mut errors = Vec::new();
    let targets: Vec<Target> = indicators
        .iter()
        .map(|(id, ind)| {
            let categories = ind.categories();
            let category_names = categories.iter().map(|c| c.name.to_lowercase()).collect();
            Target {
                id: *id,
                indicator: ind,
                categories,
                category_names,
            }
        })
        .collect();
    let all_categories: HashSet<&str> = targets
        .iter()
        .flat_map(|t| t.category_names.iter().map(String::as_str))
        .collect();
    let (columns, complete) = check_header(
        table,
        VALUE_REQUIRED,
        |h| VALUE_TEMPLATE_HEADERS.contains(&h) || all_categories.contains(h),
        &mut errors,
    );
    if !complete {
        return Err(finish_errors(errors));
    }
    let col = |name: &str| columns.get(name).copied();
    let (c_indicator, c_period, c_value) = (col("indicator"), col("period"), col("value"));
    let (c_partner, c_comment) = (col("partner"), col("comment"));
    // The file's category columns: (lower-cased name, position).
    let category_columns: Vec<(&str, usize)> = columns
        .iter()
        .filter(|(h, _)| !VALUE_TEMPLATE_HEADERS.contains(&h.as_str()))
        .filter(|(h, _)| all_categories.contains(h.as_str()))
        .map(|(h, i)| (h.as_str(), *i))
        .collect();

    let codes = CodeIndex::new(indicators.iter().map(|(_, i)| i.code.as_str()));
    let partner_index = PartnerIndex::new(partners);
    let locked: HashSet<Period> = locked.iter().copied().collect();
    let mut seen: HashMap<(i64, Period, Subgroup, Option<i64>), usize> =
        HashMap::with_capacity(table.rows.len());
    let mut out = Vec::with_capacity(table.rows.len());

    for row in &table.rows {
        let n = row.number;
        let before = errors.len();
        let cell = |c: Option<usize>| c.and_then(|c| row.get(c));

        let target = match cell(c_indicator) {
            None => {
                errors.push(RowError::new(
                    n,
                    "indicator",
                    "an indicator code is required",
                ));
                None
            }
            Some(code) => match codes.find(code) {
                Ok(i) => Some(&targets[i]),
                Err(e) => {
                    errors.push(RowError::new(n, "indicator", e));
                    None
                }
            },
        };
        if let Some(t) = target
            && t.indicator.is_formula()
        {
            errors.push(RowError::new(
                n,
                "indicator",
                format!(
                    "{} is a formula (numerator ÷ denominator): its values are computed, not imported",
                    t.indicator.code
                ),
            ));
        }

        let period = match cell(c_period) {
            None => {
                errors.push(RowError::new(n, "period", "a period is required"));
                None
            }
            Some(text) => match Period::parse(text) {
                Err(e) => {
                    errors.push(RowError::new(n, "period", e.to_string()));
                    None
                }
                Ok(p) => {
                    if let Some(t) = target
                        && p.frequency() != t.indicator.frequency
                    {
                        errors.push(RowError::new(
                            n,
                            "period",
                            format!(
                                "{p} is a {} period but {} is reported {}",
                                p.frequency().as_str(),
                                t.indicator.code,
                                t.indicator.frequency.as_str()
                            ),
                        ));
                    } else if is_locked(p, &locked) {
                        errors.push(RowError::new(
                            n,
                            "period",
                            format!("{p} is locked: its values can no longer change"),
                        ));
                    }
                    Some(p)
                }
            },
        };

        let value = match parse_value(cell(c_value).unwrap_or("")) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(RowError::new(n, "value", e));
                None
            }
        };

        let partner_id = match cell(c_partner).map(|p| partner_index.find(p)) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(e)) => {
                errors.push(RowError::new(n, "partner", e));
                None
            }
        };

        let comment = cell(c_comment).unwrap_or("");
        if comment.chars().count() > MAX_COMMENT {
            errors.push(RowError::new(
                n,
                "comment",
                format!("a comment has at most {MAX_COMMENT} characters"),
            ));
        } else if comment.chars().any(char::is_control) {
            errors.push(RowError::new(
                n,
                "comment",
                "a comment may not contain line breaks, tabs or other control characters",
            ));
        }

        let subgroup = target.and_then(|t| {
            // A category the indicator does not have must stay blank: a value
            // there means the row is not what its writer thinks it is.
            let mut ok = true;
            for (name, c) in &category_columns {
                if !t.category_names.contains(*name) && row.get(*c).is_some() {
                    ok = false;
                    errors.push(RowError::new(
                        n,
                        *name,
                        format!(
                            "{} has no category {name}: leave it blank",
                            t.indicator.code
                        ),
                    ));
                }
            }
            let chosen = |category: &str| {
                columns
                    .get(&category.to_lowercase())
                    .and_then(|c| row.get(*c))
                    .map(str::to_string)
            };
            match Subgroup::from_choices(&t.categories, chosen) {
                Ok(g) => ok.then_some(g),
                Err((category, reason)) => {
                    errors.push(RowError::new(n, category.to_lowercase(), reason));
                    None
                }
            }
        });

        if errors.len() > before {
            continue;
        }
        let (Some(t), Some(period), Some(value), Some(subgroup)) =
            (target, period, value, subgroup)
        else {
            continue;
        };
        let key = (t.id, period, subgroup, partner_id);
        if let Some(first) = seen.get(&key) {
            errors.push(RowError::new(
                n,
                "",
                format!(
                    "row {first} already gives {} for {period}{}{}: keep one of the two rows",
                    t.indicator.code,
                    if key.2.is_total() {
                        String::new()
                    } else {
                        format!(", {}", key.2)
                    },
                    if partner_id.is_some() {
                        " and the same partner"
                    } else {
                        ""
                    },
                ),
            ));
            continue;
        }
        out.push(ValueRow {
            row: n,
            indicator_id: t.id,
            period,
            subgroup: key.2.clone(),
            partner_id,
            value,
            comment: comment.to_string(),
        });
        seen.insert(key, n);
    }

    if table.rows.is_empty() && errors.is_empty() {
        errors.push(RowError::new(1, "", "the file has no rows of values"));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(finish_errors(errors))
    }
}

// ---------------------------------------------------------------------------
// Indicators
// ---------------------------------------------------------------------------

/// One checked row of an indicators file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorRow {
    pub row: usize,
    pub code: String,
    /// The fields to save, ready for [`Indicator::parse`] once the caller adds
    /// `numerator_id` and `denominator_id` (known only after the file's new
    /// indicators are created). For an existing code they start from the
    /// stored indicator.
    pub fields: FieldMap,
    /// The formula's numerator and denominator, by code (of an indicator in
    /// the file or already in the initiative).
    pub numerator: Option<String>,
    pub denominator: Option<String>,
}

const INDICATOR_REQUIRED: &[&str] = &[
    "code",
    "name",
    "unit",
    "aggregation",
    "polarity",
    "frequency",
];

/// Every column an indicators file may have, in the order templates and
/// exports write them. The first six are required.
pub const INDICATOR_TEMPLATE_HEADERS: &[&str] = &[
    "code",
    "name",
    "unit",
    "aggregation",
    "polarity",
    "frequency",
    "numerator",
    "denominator",
    "factor",
    "disaggregations",
    "targets",
    "definition",
    "kind",
    "question",
    "period_aggregation",
    "data_source",
    "baseline_period",
    "baseline_value",
    "sdg",
    "public",
    "due_days",
];

/// The file's column for an [`Indicator::parse`] field.
fn column_of_field(field: &str) -> &str {
    match field {
        "numerator_id" => "numerator",
        "denominator_id" => "denominator",
        other => other,
    }
}

/// Check an indicators file. A row whose code is already an indicator updates
/// it: its fields start from the stored indicator, and only the file's columns
/// change them (an absent column keeps the stored value; a present but blank
/// optional column clears it). Blank `kind` means a population indicator, and
/// blank `period_aggregation` follows `aggregation` (sum or average).
///
/// A formula's `numerator` and `denominator` are codes, of indicators in the
/// file or already in the initiative; a formula may not refer to itself,
/// directly or through other formulas. The same code twice in the file is an
/// error naming both rows.
pub fn parse_indicators(
    table: &Table,
    existing: &[(i64, Indicator)],
) -> Result<Vec<IndicatorRow>, Vec<RowError>> {
    let mut errors = Vec::new();
    let (columns, complete) = check_header(
        table,
        INDICATOR_REQUIRED,
        |h| INDICATOR_TEMPLATE_HEADERS.contains(&h),
        &mut errors,
    );
    if !complete {
        return Err(finish_errors(errors));
    }
    let stored: HashMap<&str, &Indicator> =
        existing.iter().map(|(_, i)| (i.code.as_str(), i)).collect();
    let code_of_id: HashMap<i64, &str> = existing
        .iter()
        .map(|(id, i)| (*id, i.code.as_str()))
        .collect();
    let c_code = columns["code"];
    // Every code in the file, and the row it first appears on.
    let mut file_codes: HashMap<&str, usize> = HashMap::new();
    for row in &table.rows {
        let Some(code) = row.get(c_code) else {
            continue;
        };
        match file_codes.entry(code) {
            Entry::Vacant(v) => {
                v.insert(row.number);
            }
            Entry::Occupied(first) => errors.push(RowError::new(
                row.number,
                "code",
                format!(
                    "{code} is also on row {}: give each indicator one row",
                    first.get()
                ),
            )),
        }
    }

    let mut out = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let n = row.number;
        let before = errors.len();
        let code = row.get(c_code).unwrap_or("").to_string();
        let (mut fields, mut numerator, mut denominator) = match stored.get(code.as_str()) {
            Some(ind) => {
                let mut fields = ind.to_fields();
                fields.remove("numerator_id");
                fields.remove("denominator_id");
                let mut code_for = |id: Option<i64>, column: &str| {
                    let id = id?;
                    let found = code_of_id.get(&id).map(|c| c.to_string());
                    if found.is_none() {
                        errors.push(RowError::new(
                            n,
                            column,
                            format!("the stored {column} (indicator {id}) is not among the initiative's indicators: give its code"),
                        ));
                    }
                    found
                };
                let num = code_for(ind.numerator_id, "numerator");
                let den = code_for(ind.denominator_id, "denominator");
                (fields, num, den)
            }
            None => (FieldMap::new(), None, None),
        };
        for (header, &c) in &columns {
            let value = row.get(c).unwrap_or("").to_string();
            match header.as_str() {
                "numerator" => numerator = Some(value).filter(|v| !v.is_empty()),
                "denominator" => denominator = Some(value).filter(|v| !v.is_empty()),
                _ => {
                    fields.insert(header.clone(), value);
                }
            }
        }
        let blank = |fields: &FieldMap, f: &str| fields.get(f).is_none_or(|v| v.trim().is_empty());
        if blank(&fields, "kind") {
            fields.insert("kind".into(), "population".into());
        }
        // A period aggregation left to follow an aggregation that is itself
        // wrong would only repeat that error.
        let mut period_aggregation_follows = false;
        if blank(&fields, "period_aggregation") {
            period_aggregation_follows = true;
            let follows = fields
                .get("aggregation")
                .and_then(|a| Aggregation::parse(a.trim()));
            if let Some(a) = follows {
                fields.insert("period_aggregation".into(), a.as_str().into());
            }
        }

        // Indicator::parse checks a formula's ids; the real ids are known
        // only once the file's new indicators exist, so any id stands in.
        let mut check = fields.clone();
        if numerator.is_some() {
            check.insert("numerator_id".into(), "1".into());
        }
        if denominator.is_some() {
            check.insert("denominator_id".into(), "1".into());
        }
        if let Err(field_errors) = Indicator::parse(&check) {
            for (field, e) in field_errors.0 {
                if field == "period_aggregation"
                    && period_aggregation_follows
                    && Aggregation::parse(check.get("aggregation").map_or("", |a| a.trim()))
                        .is_none()
                {
                    continue;
                }
                errors.push(RowError::new(n, column_of_field(&field), e.message));
            }
        }
        for (column, reference) in [("numerator", &numerator), ("denominator", &denominator)] {
            let Some(r) = reference else { continue };
            if *r == code {
                errors.push(RowError::new(
                    n,
                    column,
                    "a formula may not refer to itself",
                ));
            } else if !file_codes.contains_key(r.as_str()) && !stored.contains_key(r.as_str()) {
                errors.push(RowError::new(
                    n,
                    column,
                    format!(
                        "no indicator has the code {:?}, in this file or in the initiative",
                        short(r)
                    ),
                ));
            }
        }
        if errors.len() == before {
            out.push(IndicatorRow {
                row: n,
                code,
                fields,
                numerator,
                denominator,
            });
        }
    }

    check_formula_cycles(&out, existing, &mut errors);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(finish_errors(errors))
    }
}

/// A formula whose numerator or denominator leads back to it through other
/// formulas could never be computed. The graph is the initiative's formulas
/// with the file's rows replacing the stored ones.
fn check_formula_cycles(
    rows: &[IndicatorRow],
    existing: &[(i64, Indicator)],
    errors: &mut Vec<RowError>,
) {
    let code_of_id: HashMap<i64, &str> = existing
        .iter()
        .map(|(id, i)| (*id, i.code.as_str()))
        .collect();
    let mut refs: HashMap<&str, Vec<&str>> = existing
        .iter()
        .map(|(_, i)| {
            let r = [i.numerator_id, i.denominator_id]
                .into_iter()
                .flatten()
                .filter_map(|id| code_of_id.get(&id).copied())
                .collect();
            (i.code.as_str(), r)
        })
        .collect();
    for r in rows {
        let to = [&r.numerator, &r.denominator]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        refs.insert(r.code.as_str(), to);
    }
    for r in rows {
        let start = r.code.as_str();
        let mut stack: Vec<&str> = refs.get(start).cloned().unwrap_or_default();
        let mut visited: HashSet<&str> = HashSet::new();
        while let Some(c) = stack.pop() {
            if c == start {
                errors.push(RowError::new(
                    r.row,
                    "numerator",
                    format!("the formula of {start} leads back to {start} through other formulas"),
                ));
                break;
            }
            if visited.insert(c) {
                stack.extend(refs.get(c).into_iter().flatten().copied());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn table(headers: &str, rows: &[&str]) -> Table {
        Table {
            headers: headers.split(',').map(str::to_string).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, r)| TableRow {
                    number: i + 2,
                    cells: r.split(',').map(str::to_string).collect(),
                })
                .collect(),
        }
    }

    fn indicator(pairs: &[(&str, &str)]) -> Indicator {
        let mut f: FieldMap = [
            ("name", "An indicator"),
            ("kind", "population"),
            ("polarity", "higher_is_better"),
            ("aggregation", "sum"),
            ("period_aggregation", "sum"),
            ("frequency", "monthly"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            f.insert(k.to_string(), v.to_string());
        }
        Indicator::parse(&f).unwrap()
    }

    fn indicators() -> Vec<(i64, Indicator)> {
        vec![
            (1, indicator(&[("code", "enrolled")])),
            (
                2,
                indicator(&[
                    ("code", "visits"),
                    ("disaggregations", "neighbourhood=North|South;sex=F|M"),
                ]),
            ),
            (
                3,
                indicator(&[
                    ("code", "rate"),
                    ("numerator_id", "1"),
                    ("denominator_id", "2"),
                    ("factor", "100"),
                ]),
            ),
            (4, indicator(&[("code", "yearly"), ("frequency", "yearly")])),
        ]
    }

    fn partners() -> Vec<Partner> {
        vec![
            Partner {
                id: 10,
                name: "North School".into(),
                org_id: Some("GB-CHC-123".into()),
            },
            Partner {
                id: 11,
                name: "Clinic".into(),
                org_id: None,
            },
        ]
    }

    const HEAD: &str = "indicator,period,value,partner,comment,neighbourhood,sex";

    fn values(rows: &[&str]) -> Result<Vec<ValueRow>, Vec<RowError>> {
        parse_values(&table(HEAD, rows), &indicators(), &partners(), &[])
    }

    fn only_error(rows: &[&str]) -> RowError {
        let e = values(rows).unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        e[0].clone()
    }

    #[test]
    fn good_rows_come_back_typed() {
        let v = values(&[
            "enrolled,2025-01,120,,first month,,",
            "Enrolled,2025-02,12.5,north school,,,",
            "visits,2025-01,7,GB-CHC-123,,north,F",
            "visits,2025-01,9,,,,",
        ])
        .unwrap();
        assert_eq!(v.len(), 4);
        assert_eq!(v[0].indicator_id, 1);
        assert_eq!(v[0].comment, "first month");
        assert_eq!(v[1].value.to_string(), "12.5");
        assert_eq!(v[1].partner_id, Some(10), "by name, ignoring case");
        assert_eq!(v[2].partner_id, Some(10), "by org-id");
        assert_eq!(v[2].subgroup.key(), "neighbourhood=North;sex=F");
        assert!(v[3].subgroup.is_total());
        assert_eq!(v[3].row, 5);
    }

    #[test]
    fn one_bad_row_among_ten_thousand_is_the_only_error() {
        // 3000 months × 4 subgroups: every key distinct.
        let mut rows: Vec<String> = (0..10_000)
            .map(|i| {
                let p = Period::Month(1950, 1).offset(i % 3000).unwrap();
                let g = i / 3000;
                let (n, s) = (
                    ["North", "South"][g as usize % 2],
                    ["F", "M"][g as usize / 2],
                );
                format!("visits,{p},{i},,,{n},{s}")
            })
            .collect();
        rows[6_000] = "visits,2025-01,12x,,,,".into();
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        let e = only_error(&refs);
        assert_eq!((e.row, e.column.as_str()), (6_002, "value"));
        assert!(e.to_string().starts_with("row 6002, column value: "), "{e}");
    }

    #[test]
    fn a_large_file_parses_quickly() {
        // 3000 months × 4 subgroups × 9 partners (or none): every key distinct.
        let mut many = partners();
        many.extend((1..=8).map(|i| Partner {
            id: 100 + i,
            name: format!("Partner {i}"),
            org_id: Some(format!("XI-TEST-{i}")),
        }));
        let rows: Vec<String> = (0..100_000)
            .map(|i| {
                let p = Period::Month(1950, 1).offset(i % 3000).unwrap();
                let rest = (i / 3000) as usize;
                let (n, s) = (["North", "South"][rest % 2], ["F", "M"][rest / 2 % 2]);
                let partner = match rest / 4 {
                    0 => String::new(),
                    k if k % 2 == 0 => format!("partner {k}"),
                    k => format!("XI-TEST-{k}"),
                };
                format!("visits,{p},{i},{partner},,{n},{s}")
            })
            .collect();
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        let t = table(HEAD, &refs);
        let start = Instant::now();
        let result = parse_values(&t, &indicators(), &many, &[Period::Month(1900, 1)]);
        let took = start.elapsed();
        match result {
            Ok(v) => assert_eq!(v.len(), 100_000),
            Err(e) => panic!("{:?}", &e[..3.min(e.len())]),
        }
        // Generous for an unoptimised test build; a release build takes a
        // small fraction of a second.
        assert!(took.as_secs() < 10, "{took:?}");
    }

    #[test]
    fn a_missing_column_is_one_error_on_the_header() {
        let t = table("indicator,value", &["enrolled,1"]);
        let e = parse_values(&t, &indicators(), &partners(), &[]).unwrap_err();
        assert_eq!(
            e,
            [RowError::new(1, "period", "the column period is missing")]
        );
    }

    #[test]
    fn an_unknown_column_is_refused() {
        let t = table("indicator,period,value,vaule", &["enrolled,2025-01,1,"]);
        let e = parse_values(&t, &indicators(), &partners(), &[]).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].row, e[0].column.as_str()), (1, "vaule"));
    }

    #[test]
    fn the_same_key_twice_names_both_rows() {
        let e = values(&[
            "visits,2025-01,7,,,North,F",
            "visits,2025-01,7,,,North,M",
            "visits,2025-01,8,,,north,f",
        ])
        .unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].row, 4);
        assert!(e[0].reason.contains("row 2"), "{}", e[0]);
        // Another partner is another key.
        assert!(values(&["enrolled,2025-01,1,,,,", "enrolled,2025-01,1,Clinic,,,"]).is_ok());
    }

    #[test]
    fn subgroup_errors_name_the_category_column() {
        let e = only_error(&["visits,2025-01,7,,,North,"]);
        assert_eq!((e.row, e.column.as_str()), (2, "sex"));
        let e = only_error(&["visits,2025-01,7,,,West,F"]);
        assert_eq!(e.column, "neighbourhood");
        // enrolled has no categories: a filled category cell is an error.
        let e = only_error(&["enrolled,2025-01,7,,,,F"]);
        assert_eq!(e.column, "sex");
    }

    #[test]
    fn partners_are_found_by_name_or_org_id() {
        let v = values(&[
            "enrolled,2025-01,1, clinic ,,,",
            "enrolled,2025-02,1,gb-chc-123,,,",
        ])
        .unwrap();
        assert_eq!(v[0].partner_id, Some(11));
        assert_eq!(v[1].partner_id, Some(10));
        let e = only_error(&["enrolled,2025-01,1,Hospital,,,"]);
        assert_eq!(e.column, "partner");
    }

    #[test]
    fn locked_periods_wrong_frequencies_and_formulas_are_refused() {
        let t = table(HEAD, &["enrolled,2025-02,1,,,,", "enrolled,2025-04,1,,,,"]);
        let e =
            parse_values(&t, &indicators(), &partners(), &[Period::Quarter(2025, 1)]).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].row, e[0].column.as_str()), (2, "period"));
        assert!(e[0].reason.contains("locked"));

        let e = only_error(&["enrolled,2025,1,,,,"]);
        assert_eq!(e.column, "period");
        let e = only_error(&["rate,2025-01,1,,,,"]);
        assert_eq!(e.column, "indicator");
        assert!(e.reason.contains("computed"));
        assert!(values(&["yearly,2025,1,,,,"]).is_ok());
    }

    #[test]
    fn comments_are_bounded() {
        let long = format!("enrolled,2025-01,1,,{},,", "x".repeat(2001));
        assert_eq!(only_error(&[&long]).column, "comment");
    }

    #[test]
    fn errors_are_capped() {
        let rows = vec!["nope,2025-01,1,,,,"; 1500];
        let e = values(&rows).unwrap_err();
        assert_eq!(e.len(), MAX_ERRORS + 1);
        assert!(
            e[MAX_ERRORS].reason.starts_with("and 500 more"),
            "{}",
            e[MAX_ERRORS]
        );
        assert_eq!(e[MAX_ERRORS].row, 1002);
    }

    #[test]
    fn the_values_template_lists_every_category_once() {
        assert_eq!(
            value_template_headers(&indicators()),
            [
                "indicator",
                "period",
                "value",
                "partner",
                "comment",
                "neighbourhood",
                "sex"
            ]
        );
    }

    const IND_HEAD: &str =
        "code,name,unit,aggregation,polarity,frequency,numerator,denominator,factor";

    fn ind_table(headers: &str, rows: &[&str]) -> Table {
        table(headers, rows)
    }

    #[test]
    fn an_update_keeps_absent_columns_and_defaults_fill_blanks() {
        let mut existing = indicators();
        existing[0].1.definition = "Children enrolled in the programme".into();
        existing[0].1.period_aggregation = super::super::PeriodAggregation::Last;
        let t = ind_table(
            "code,name,unit,aggregation,polarity,frequency,targets",
            &[
                "enrolled,Enrolled children,children,sum,higher_is_better,monthly,2025-12=150",
                "new,New one,people,average,lower_is_better,quarterly,",
            ],
        );
        let rows = parse_indicators(&t, &existing).unwrap();
        let f = &rows[0].fields;
        assert_eq!(f["name"], "Enrolled children");
        assert_eq!(f["definition"], "Children enrolled in the programme");
        assert_eq!(f["period_aggregation"], "last", "absent: kept");
        assert_eq!(f["targets"], "2025-12=150");
        let g = &rows[1].fields;
        assert_eq!(g["kind"], "population");
        assert_eq!(g["period_aggregation"], "average");
        assert!(Indicator::parse(g).is_ok());

        // A present blank optional column clears the stored value.
        let t = ind_table(
            "code,name,unit,aggregation,polarity,frequency,definition",
            &["enrolled,Enrolled,children,sum,higher_is_better,monthly,"],
        );
        let rows = parse_indicators(&t, &existing).unwrap();
        assert_eq!(rows[0].fields["definition"], "");
    }

    #[test]
    fn formula_codes_resolve_within_the_file() {
        let t = ind_table(
            IND_HEAD,
            &[
                "share,Share,%,average,higher_is_better,monthly,served,eligible,100",
                "served,Served,people,sum,higher_is_better,monthly,,,",
                "eligible,Eligible,people,sum,higher_is_better,monthly,,,",
            ],
        );
        let rows = parse_indicators(&t, &[]).unwrap();
        assert_eq!(rows[0].numerator.as_deref(), Some("served"));
        assert_eq!(rows[0].denominator.as_deref(), Some("eligible"));
        assert!(!rows[0].fields.contains_key("numerator_id"));
        // An existing formula keeps its codes when the columns are absent.
        let t = ind_table(
            "code,name,unit,aggregation,polarity,frequency",
            &["rate,Rate,%,average,higher_is_better,monthly"],
        );
        let rows = parse_indicators(&t, &indicators()).unwrap();
        assert_eq!(rows[0].numerator.as_deref(), Some("enrolled"));
        assert_eq!(rows[0].denominator.as_deref(), Some("visits"));
    }

    #[test]
    fn formulas_may_not_refer_to_themselves_or_unknown_codes() {
        let t = ind_table(
            IND_HEAD,
            &[
                "a,A,%,average,higher_is_better,monthly,a,enrolled,",
                "b,B,%,average,higher_is_better,monthly,nowhere,enrolled,",
                "c,C,%,average,higher_is_better,monthly,enrolled,,",
            ],
        );
        let e = parse_indicators(&t, &indicators()).unwrap_err();
        let at: Vec<(usize, &str)> = e.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(at, [(2, "numerator"), (3, "numerator"), (4, "denominator")]);
        assert!(e[0].reason.contains("itself"));

        let t = ind_table(
            IND_HEAD,
            &[
                "x,X,%,average,higher_is_better,monthly,y,enrolled,",
                "y,Y,%,average,higher_is_better,monthly,x,enrolled,",
            ],
        );
        let e = parse_indicators(&t, &indicators()).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
    }

    #[test]
    fn indicator_rows_name_their_bad_fields_and_repeated_codes() {
        let t = ind_table(
            IND_HEAD,
            &[
                "ok,OK,people,sum,higher_is_better,monthly,,,",
                "bad code,,people,median,higher_is_better,monthly,,,",
                "ok,Again,people,sum,higher_is_better,monthly,,,",
            ],
        );
        let e = parse_indicators(&t, &[]).unwrap_err();
        let at: Vec<(usize, &str)> = e.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            at,
            [(3, "aggregation"), (3, "code"), (3, "name"), (4, "code")]
        );
        assert!(e[3].reason.contains("row 2"));
        let t = ind_table("code,name,unit,aggregation,polarity,frequency,colour", &[]);
        let e = parse_indicators(&t, &[]).unwrap_err();
        assert_eq!((e[0].row, e[0].column.as_str()), (1, "colour"));
    }
}
