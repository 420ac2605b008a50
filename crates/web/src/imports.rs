//! Measured values in and out: the one pipeline behind the command line, the
//! pages and the API.
//!
//! An import reads the file (`interop::tabular`: CSV or XLSX), checks every row
//! against the initiative's indicators, partners and locked periods
//! (`domain::measurement::import`), and writes all rows in one transaction, or
//! none: the caller gets a [`BatchReport`] or every error located by row and
//! column. Progress is reported while rows are checked and while they are
//! written. Exports page through the stored values by id (keyset), so a
//! million values are written out without being held in memory at once.
//!
//! The indicator report and the network rollup, in the JSON the command line
//! and the API both answer, are here too, so the two cannot differ.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Value, json};

use domain::measurement::Decimal;
use domain::measurement::import::{
    self as parse, INDICATOR_TEMPLATE_HEADERS, MAX_ERRORS, Partner, RowError, Table, TableRow,
    ValueRow,
};
use domain::measurement::indicator::{Indicator, Subgroup};
use domain::measurement::period::Period;
use domain::measurement::series::{self, Point};
use domain::measurement::stats::DEFAULT_OUTLIER_THRESHOLD;
use domain::partnership::Organization;
use domain::resource::Record;
use store::measurement::import::{ImportReport, split_location};
use store::measurement::{BatchReport, BatchSource, NewValue, StoredValue};
use store::records::ListOptions;
use store::{Store, StoreError};

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Rows checked so far, of the file's rows.
    Checking,
    /// Values written so far, of those that are new or changed.
    Writing,
}

/// A progress report: `done` of `total` in this stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: usize,
    pub total: usize,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.stage {
            Stage::Checking => "checking rows",
            Stage::Writing => "writing values",
        };
        write!(f, "{what}: {} of {}", self.done, self.total)
    }
}

/// Called as an import goes; must be cheap (it runs between database writes).
pub type OnProgress<'a> = &'a (dyn Fn(Progress) + Send + Sync);

/// Ignore progress.
pub fn no_progress(_: Progress) {}

/// Why nothing was imported.
#[derive(Debug)]
pub enum ImportError {
    /// Rows refused, each with its row (1 is the header) and column.
    Rows(Vec<RowError>),
    /// The file (or request) refused as a whole: unreadable, or not what it
    /// should be.
    File(String),
    /// The database failed.
    Store(StoreError),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Rows(errors) => {
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            ImportError::File(m) => f.write_str(m),
            ImportError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ImportError {}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        match e {
            // Refusals located by the store (`row N, column C`) stay located.
            StoreError::Invalid(f) => {
                let mut rows = Vec::new();
                let mut whole = Vec::new();
                for (field, e) in f.0 {
                    match split_location(&field) {
                        Some((row, column)) => rows.push(RowError::new(row, column, e.message)),
                        None => whole.push(e.message),
                    }
                }
                if whole.is_empty() {
                    rows.sort_by_key(|e| e.row);
                    ImportError::Rows(rows)
                } else {
                    ImportError::File(whole.join("; "))
                }
            }
            other => ImportError::Store(other),
        }
    }
}

impl ImportError {
    /// The located errors as the API answers them (a whole-file refusal is
    /// row 1, the header, with no column).
    pub fn errors(&self) -> Vec<RowError> {
        match self {
            ImportError::Rows(e) => e.clone(),
            ImportError::File(m) => vec![RowError::new(1, "", m.clone())],
            ImportError::Store(_) => Vec::new(),
        }
    }
}

/// The SHA-256 of a file, in hex (recorded with its batch).
pub fn file_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// The organizations of an initiative as partners values may be reported for.
pub async fn partners(store: &Store, initiative: i64) -> Result<Vec<Partner>, StoreError> {
    let orgs = store
        .list::<Organization>(Some(initiative), ListOptions::all())
        .await?;
    Ok(orgs
        .into_iter()
        .map(|o| Partner {
            id: o.id,
            name: o.data.name,
            org_id: o.data.identifier,
        })
        .collect())
}

fn pairs(records: &[Record<Indicator>]) -> Vec<(i64, Indicator)> {
    records.iter().map(|r| (r.id, r.data.clone())).collect()
}

/// Rows are checked this many at a time, reporting progress in between.
const CHECK_CHUNK: usize = 10_000;

/// Check a table of values against the initiative (see
/// [`parse::parse_values`]), reporting progress every [`CHECK_CHUNK`] rows.
/// Two rows for the same key are an error even when they are far apart.
pub fn check_values(
    table: &Table,
    indicators: &[(i64, Indicator)],
    partners: &[Partner],
    locked: &[Period],
    progress: OnProgress,
) -> Result<Vec<ValueRow>, Vec<RowError>> {
    let total = table.rows.len();
    progress(Progress {
        stage: Stage::Checking,
        done: 0,
        total,
    });
    if total <= CHECK_CHUNK {
        let r = parse::parse_values(table, indicators, partners, locked);
        progress(Progress {
            stage: Stage::Checking,
            done: total,
            total,
        });
        return r;
    }
    let code_of: HashMap<i64, &str> = indicators
        .iter()
        .map(|(id, i)| (*id, i.code.as_str()))
        .collect();
    let mut errors: Vec<RowError> = Vec::new();
    let mut out: Vec<ValueRow> = Vec::with_capacity(total);
    let mut first_of: HashMap<(i64, Period, Subgroup, Option<i64>), usize> =
        HashMap::with_capacity(total);
    let mut done = 0;
    for (n, rows) in table.rows.chunks(CHECK_CHUNK).enumerate() {
        let part = Table {
            headers: table.headers.clone(),
            rows: rows.to_vec(),
        };
        match parse::parse_values(&part, indicators, partners, locked) {
            Ok(values) => out.extend(values),
            // The header's errors come back with every part: keep the first.
            Err(e) => errors.extend(e.into_iter().filter(|e| n == 0 || e.row != 1)),
        }
        done += rows.len();
        progress(Progress {
            stage: Stage::Checking,
            done,
            total,
        });
        if errors.len() >= MAX_ERRORS {
            let next = table.rows.get(done).map_or(done + 1, |r| r.number);
            errors.sort_by_key(|e| e.row);
            let from = errors.get(MAX_ERRORS).map_or(next, |e| e.row);
            errors.truncate(MAX_ERRORS);
            errors.push(RowError::new(
                from,
                "",
                format!(
                    "and more errors from this row on (only the first {MAX_ERRORS} are listed)"
                ),
            ));
            return Err(errors);
        }
    }
    // Keys repeated across parts (each part checked its own).
    for v in &out {
        let key = (v.indicator_id, v.period, v.subgroup.clone(), v.partner_id);
        match first_of.get(&key) {
            None => {
                first_of.insert(key, v.row);
            }
            Some(first) => errors.push(RowError::new(
                v.row,
                "",
                format!(
                    "row {first} already gives {} for {}{}{}: keep one of the two rows",
                    code_of.get(&v.indicator_id).copied().unwrap_or("?"),
                    v.period,
                    if v.subgroup.is_total() {
                        String::new()
                    } else {
                        format!(", {}", v.subgroup)
                    },
                    if v.partner_id.is_some() {
                        " and the same partner"
                    } else {
                        ""
                    },
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort_by_key(|e| e.row);
        errors.truncate(MAX_ERRORS);
        Err(errors)
    }
}

/// Import a values file (CSV or XLSX) into an initiative: every row checked,
/// then all written in one transaction as one batch, or nothing. A second
/// import of the same file changes nothing (`added` and `changed` are 0 and
/// no batch is recorded).
pub async fn import_values(
    store: &Store,
    initiative: i64,
    actor: Option<i64>,
    bytes: &[u8],
    file_name: &str,
    progress: OnProgress<'_>,
) -> Result<BatchReport, ImportError> {
    let table = interop::tabular::read_table(bytes, file_name).map_err(ImportError::File)?;
    let source = BatchSource {
        source: "file".into(),
        file_name: file_name.to_string(),
        file_hash: file_hash(bytes),
    };
    import_table(store, initiative, actor, &table, &source, progress).await
}

/// Check and write a table of values (a file read, or API items laid out as
/// one), as [`import_values`] does.
pub async fn import_table(
    store: &Store,
    initiative: i64,
    actor: Option<i64>,
    table: &Table,
    source: &BatchSource,
    progress: OnProgress<'_>,
) -> Result<BatchReport, ImportError> {
    let indicators = pairs(&store.indicators(initiative).await?);
    let partners = partners(store, initiative).await?;
    let locked: Vec<Period> = store
        .locked_periods(initiative)
        .await?
        .iter()
        .filter_map(|p| Period::parse(p).ok())
        .collect();
    let rows = check_values(table, &indicators, &partners, &locked, progress)
        .map_err(ImportError::Rows)?;
    write_rows(store, initiative, actor, source, rows, progress).await
}

async fn write_rows(
    store: &Store,
    initiative: i64,
    actor: Option<i64>,
    source: &BatchSource,
    rows: Vec<ValueRow>,
    progress: OnProgress<'_>,
) -> Result<BatchReport, ImportError> {
    let values: Vec<NewValue> = rows
        .into_iter()
        .map(|r| NewValue {
            indicator_id: r.indicator_id,
            period: r.period,
            subgroup: r.subgroup,
            partner_id: r.partner_id,
            value: r.value,
            comment: r.comment,
        })
        .collect();
    let on_write = |done: usize, total: usize| {
        progress(Progress {
            stage: Stage::Writing,
            done,
            total,
        })
    };
    Ok(store
        .write_values_with_progress(initiative, actor, source, &values, &on_write)
        .await?)
}

/// Import an indicators file (CSV or XLSX): every row checked, then every
/// indicator created or updated in one transaction, or none.
pub async fn import_indicators(
    store: &Store,
    initiative: i64,
    actor: Option<i64>,
    bytes: &[u8],
    file_name: &str,
) -> Result<ImportReport, ImportError> {
    let table = interop::tabular::read_table(bytes, file_name).map_err(ImportError::File)?;
    let existing = pairs(&store.indicators(initiative).await?);
    let rows = parse::parse_indicators(&table, &existing).map_err(ImportError::Rows)?;
    Ok(store.import_indicators(initiative, actor, rows).await?)
}

// ---------------------------------------------------------------------------
// Values sent to the API as JSON
// ---------------------------------------------------------------------------

const ITEM_FIELDS: &[&str] = &[
    "indicator",
    "period",
    "value",
    "partner",
    "subgroup",
    "comment",
];

/// Values sent as JSON items (`{"indicator", "period", "value", "partner",
/// "subgroup", "comment"}`), laid out as a table whose row N is item N (from
/// 1), so that they are checked exactly as a file is. `partner` is an
/// organization's id (or null); `subgroup` maps categories to options; a
/// `value` may be a string (`"12.5"`, exact) or a number. What cannot be laid
/// out (an unknown field, a wrong type, an unknown partner or category) is
/// refused here, located the same way.
pub async fn import_items(
    store: &Store,
    initiative: i64,
    actor: Option<i64>,
    items: &[Value],
) -> Result<BatchReport, ImportError> {
    let indicators = store.indicators(initiative).await?;
    let partners = partners(store, initiative).await?;
    let mut categories: Vec<String> = Vec::new();
    for r in &indicators {
        for c in r.data.categories() {
            if !categories.iter().any(|x| x.eq_ignore_ascii_case(&c.name))
                && !parse::VALUE_TEMPLATE_HEADERS.contains(&c.name.to_lowercase().as_str())
            {
                categories.push(c.name);
            }
        }
    }
    let mut headers: Vec<String> = parse::VALUE_TEMPLATE_HEADERS
        .iter()
        .map(|h| h.to_string())
        .collect();
    headers.extend(categories.iter().map(|c| c.to_lowercase()));
    let width = headers.len();
    let mut errors: Vec<RowError> = Vec::new();
    let mut rows: Vec<TableRow> = Vec::with_capacity(items.len());
    // Partners by id: the cell names the partner so that it is found again.
    let tag = |id: i64| format!("#{id}");
    let tagged: Vec<Partner> = partners
        .iter()
        .map(|p| Partner {
            id: p.id,
            name: tag(p.id),
            org_id: None,
        })
        .collect();
    for (i, item) in items.iter().enumerate() {
        let n = i + 1;
        let mut cells = vec![String::new(); width];
        let Value::Object(obj) = item else {
            errors.push(RowError::new(n, "", "each value must be a JSON object"));
            continue;
        };
        for (k, v) in obj {
            let text = |errors: &mut Vec<RowError>, want: &str| -> Option<String> {
                match v {
                    Value::Null => Some(String::new()),
                    Value::String(s) => Some(s.clone()),
                    _ => {
                        errors.push(RowError::new(n, k.clone(), format!("{k} must be {want}")));
                        None
                    }
                }
            };
            match k.as_str() {
                "indicator" | "period" | "comment" => {
                    if let Some(t) = text(&mut errors, "a string") {
                        let c = headers.iter().position(|h| h == k).unwrap_or(0);
                        cells[c] = t;
                    }
                }
                "value" => match v {
                    Value::Number(num) => cells[2] = num.to_string(),
                    Value::String(s) => cells[2] = s.clone(),
                    _ => errors.push(RowError::new(
                        n,
                        "value",
                        "value must be a number or a decimal string such as \"12.5\"",
                    )),
                },
                "partner" => match v {
                    Value::Null => {}
                    Value::Number(num) => match num.as_i64() {
                        Some(id) if partners.iter().any(|p| p.id == id) => cells[3] = tag(id),
                        _ => errors.push(RowError::new(
                            n,
                            "partner",
                            format!("partner {num} is not an organization of this initiative"),
                        )),
                    },
                    _ => errors.push(RowError::new(
                        n,
                        "partner",
                        "partner must be an organization's id or null",
                    )),
                },
                "subgroup" => match v {
                    Value::Null => {}
                    Value::Object(pairs) => {
                        for (category, option) in pairs {
                            let Some(c) = categories
                                .iter()
                                .position(|x| x.eq_ignore_ascii_case(category))
                            else {
                                errors.push(RowError::new(
                                    n,
                                    category.clone(),
                                    format!("no indicator of this initiative has a category {category:?}"),
                                ));
                                continue;
                            };
                            match option {
                                Value::String(o) => {
                                    cells[parse::VALUE_TEMPLATE_HEADERS.len() + c] = o.clone()
                                }
                                Value::Null => {}
                                _ => errors.push(RowError::new(
                                    n,
                                    category.clone(),
                                    "an option must be a string",
                                )),
                            }
                        }
                    }
                    _ => errors.push(RowError::new(
                        n,
                        "subgroup",
                        "subgroup must be an object of category: option",
                    )),
                },
                other => errors.push(RowError::new(
                    n,
                    other,
                    format!(
                        "{other} is not a field of a value ({})",
                        ITEM_FIELDS.join(", ")
                    ),
                )),
            }
        }
        rows.push(TableRow { number: n, cells });
    }
    if items.is_empty() {
        return Err(ImportError::Rows(vec![RowError::new(
            1,
            "values",
            "send at least one value",
        )]));
    }
    // The rest of each item is checked as a file's row would be, so that
    // every error comes back at once.
    let table = Table { headers, rows };
    let locked: Vec<Period> = store
        .locked_periods(initiative)
        .await?
        .iter()
        .filter_map(|p| Period::parse(p).ok())
        .collect();
    let checked = parse::parse_values(&table, &pairs(&indicators), &tagged, &locked);
    let checked = match checked {
        Ok(rows) if errors.is_empty() => rows,
        result => {
            // A cell already refused above is not refused again as blank.
            for e in result.err().unwrap_or_default() {
                if !errors
                    .iter()
                    .any(|x| x.row == e.row && x.column == e.column)
                {
                    errors.push(e);
                }
            }
            errors.sort_by_key(|e| e.row);
            errors.truncate(MAX_ERRORS);
            return Err(ImportError::Rows(errors));
        }
    };
    let source = BatchSource {
        source: "api".into(),
        ..Default::default()
    };
    write_rows(store, initiative, actor, &source, checked, &no_progress).await
}

// ---------------------------------------------------------------------------
// Templates and exports
// ---------------------------------------------------------------------------

/// A values template for these indicators: the header only (the fixed
/// columns, then one per disaggregation category).
pub fn value_template_csv(indicators: &[Record<Indicator>]) -> String {
    let headers = parse::value_template_headers(&pairs(indicators));
    let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    interop::tabular::write_csv(&refs, Vec::<Vec<String>>::new())
}

/// The indicators template: every column an indicators file may have.
pub fn indicator_template_csv() -> String {
    interop::tabular::write_csv(INDICATOR_TEMPLATE_HEADERS, Vec::<Vec<String>>::new())
}

/// How values are exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The import's own columns (`indicator,period,value,partner,comment`, one
    /// per category): exact decimals, and a file that imports back as is.
    Csv,
    /// A JSON array of the objects `POST …/values` takes.
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Values read this many at a time.
const EXPORT_PAGE: u64 = 5_000;

/// An export under way: [`ValueExport::next_chunk`] gives the text page by
/// page (keyset paging by value id), so an export of any size is streamed.
pub struct ValueExport<'a> {
    store: &'a Store,
    initiative: i64,
    indicator: Option<i64>,
    format: Format,
    codes: HashMap<i64, String>,
    partners: HashMap<i64, String>,
    headers: Vec<String>,
    after: i64,
    started: bool,
    any: bool,
    finished: bool,
}

impl<'a> ValueExport<'a> {
    /// Every value of an initiative, or of one indicator (by code; `NotFound`
    /// when it has none).
    pub async fn new(
        store: &'a Store,
        initiative: i64,
        indicator: Option<&str>,
        format: Format,
    ) -> Result<Self, StoreError> {
        let all = store.indicators(initiative).await?;
        let wanted: Vec<Record<Indicator>> = match indicator {
            Some(code) => vec![
                all.iter()
                    .find(|r| r.data.code == code)
                    .cloned()
                    .ok_or(StoreError::NotFound)?,
            ],
            None => all.clone(),
        };
        let opts = ListOptions {
            include_archived: true,
            ..ListOptions::all()
        };
        let mut codes: HashMap<i64, String> =
            all.iter().map(|r| (r.id, r.data.code.clone())).collect();
        // Values of archived indicators keep their codes.
        if indicator.is_none() {
            for r in store.list::<Indicator>(Some(initiative), opts).await? {
                codes.entry(r.id).or_insert(r.data.code);
            }
        }
        let partners = store
            .list::<Organization>(Some(initiative), opts)
            .await?
            .into_iter()
            .map(|o| (o.id, o.data.identifier.unwrap_or(o.data.name)))
            .collect();
        Ok(Self {
            store,
            initiative,
            indicator: wanted.first().filter(|_| indicator.is_some()).map(|r| r.id),
            format,
            codes,
            partners,
            headers: parse::value_template_headers(&pairs(&wanted)),
            after: 0,
            started: false,
            any: false,
            finished: false,
        })
    }

    /// The next piece of the export; `None` once it is complete.
    pub async fn next_chunk(&mut self) -> Result<Option<String>, StoreError> {
        if self.finished {
            return Ok(None);
        }
        let mut out = String::new();
        if !self.started {
            self.started = true;
            match self.format {
                Format::Csv => {
                    let refs: Vec<&str> = self.headers.iter().map(String::as_str).collect();
                    out = interop::tabular::write_csv(&refs, Vec::<Vec<String>>::new());
                }
                Format::Json => out.push('['),
            }
        }
        let page = self
            .store
            .values(self.initiative, self.indicator, self.after, EXPORT_PAGE)
            .await?;
        if let Some(last) = page.last() {
            self.after = last.id;
        }
        match self.format {
            Format::Csv => {
                let rows = page.iter().map(|v| self.csv_row(v));
                let text = interop::tabular::write_csv(&[], rows);
                // write_csv starts with the (empty) header line.
                out.push_str(text.strip_prefix('\n').unwrap_or(&text));
            }
            Format::Json => {
                for v in &page {
                    out.push_str(if self.any { ",\n" } else { "\n" });
                    self.any = true;
                    out.push_str(&value_json(v, &self.codes).to_string());
                }
            }
        }
        if (page.len() as u64) < EXPORT_PAGE {
            self.finished = true;
            if self.format == Format::Json {
                out.push_str(if self.any { "\n]\n" } else { "]\n" });
            }
        }
        Ok(Some(out))
    }

    fn csv_row(&self, v: &StoredValue) -> Vec<String> {
        let mut row = vec![String::new(); self.headers.len()];
        row[0] = self.codes.get(&v.indicator_id).cloned().unwrap_or_default();
        row[1] = v.period.clone();
        row[2] = v.value.normalize().to_string();
        row[3] = v
            .partner_id
            .and_then(|p| self.partners.get(&p).cloned())
            .unwrap_or_default();
        row[4] = v.comment.clone();
        for (category, option) in Subgroup::from_key(&v.subgroup).pairs() {
            if let Some(c) = self
                .headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(category))
            {
                row[c] = option.clone();
            }
        }
        row
    }
}

/// One stored value as JSON: the fields `POST …/values` takes (the value a
/// JSON number).
pub fn value_json(v: &StoredValue, codes: &HashMap<i64, String>) -> Value {
    let subgroup: serde_json::Map<String, Value> = Subgroup::from_key(&v.subgroup)
        .pairs()
        .iter()
        .map(|(c, o)| (c.clone(), Value::String(o.clone())))
        .collect();
    json!({
        "indicator": codes.get(&v.indicator_id).cloned().unwrap_or_default(),
        "period": v.period,
        "value": series::number(Some(v.value)),
        "partner": v.partner_id,
        "subgroup": subgroup,
        "comment": v.comment,
    })
}

async fn export(
    store: &Store,
    initiative: i64,
    indicator: Option<&str>,
    format: Format,
) -> Result<String, StoreError> {
    let mut e = ValueExport::new(store, initiative, indicator, format).await?;
    let mut out = String::new();
    while let Some(chunk) = e.next_chunk().await? {
        out.push_str(&chunk);
    }
    Ok(out)
}

/// The values of an initiative (or of one indicator, by code) as CSV.
pub async fn export_values_csv(
    store: &Store,
    initiative: i64,
    indicator: Option<&str>,
) -> Result<String, StoreError> {
    export(store, initiative, indicator, Format::Csv).await
}

/// The values of an initiative (or of one indicator, by code) as a JSON array.
pub async fn export_values_json(
    store: &Store,
    initiative: i64,
    indicator: Option<&str>,
) -> Result<String, StoreError> {
    export(store, initiative, indicator, Format::Json).await
}

// ---------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------

/// Why a report cannot be made.
#[derive(Debug)]
pub enum ReportError {
    /// No live indicator with this code.
    NoIndicator,
    /// A bad `from`, `to` or `period`, named with the reason.
    Invalid(&'static str, String),
    Store(StoreError),
}

impl From<StoreError> for ReportError {
    fn from(e: StoreError) -> Self {
        ReportError::Store(e)
    }
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::NoIndicator => f.write_str("no such indicator"),
            ReportError::Invalid(field, m) => write!(f, "{field}: {m}"),
            ReportError::Store(e) => write!(f, "{e}"),
        }
    }
}

/// Read a period given for `field`, of the indicator's frequency when given.
pub fn period_arg(
    field: &'static str,
    text: &str,
    indicator: Option<&Indicator>,
) -> Result<Period, ReportError> {
    let p = Period::parse(text).map_err(|e| ReportError::Invalid(field, e.to_string()))?;
    if let Some(i) = indicator
        && p.frequency() != i.frequency
    {
        return Err(ReportError::Invalid(
            field,
            format!(
                "{p} is not a {} period like the indicator {}",
                i.frequency.as_str(),
                i.code
            ),
        ));
    }
    Ok(p)
}

/// One indicator's report at one site (an indicator of `indicators` by code,
/// or, with `by_id`, by id when no code matches): a row per period from
/// `from` to `to`, with its total (a formula's from its parts), target,
/// variance to target and outlier flag (`series::report`, with the default
/// threshold).
pub async fn indicator_report(
    store: &Store,
    initiative: i64,
    code: &str,
    by_id: bool,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Record<Indicator>, Vec<Point>), ReportError> {
    let all = store.indicators(initiative).await?;
    let found = all.iter().find(|r| r.data.code == code).or_else(|| {
        by_id
            .then(|| code.parse::<i64>().ok())
            .flatten()
            .and_then(|id| all.iter().find(|r| r.id == id))
    });
    let Some(ind) = found.cloned() else {
        return Err(ReportError::NoIndicator);
    };
    let from = from
        .map(|f| period_arg("from", f, Some(&ind.data)))
        .transpose()?;
    let to = to
        .map(|t| period_arg("to", t, Some(&ind.data)))
        .transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(ReportError::Invalid("to", format!("{t} is before {f}")));
    }
    let mut totals = store.totals(&[&ind], &all).await?;
    let totals = totals.remove(&ind.id).unwrap_or_default();
    let points = series::report(&ind.data, &totals, from, to, DEFAULT_OUTLIER_THRESHOLD);
    Ok((ind, points))
}

/// A report as CSV: `period,value,target,variance_to_target,outlier`, exact
/// decimals, blank for none.
pub fn report_csv(points: &[Point]) -> String {
    let text = |d: Option<Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    interop::tabular::write_csv(
        &["period", "value", "target", "variance_to_target", "outlier"],
        points.iter().map(|p| {
            vec![
                p.period.to_string(),
                text(p.value),
                text(p.target),
                text(p.variance_to_target),
                p.outlier.to_string(),
            ]
        }),
    )
}

/// A network rollup as the contract has it: `{"sites": [{"initiative",
/// "value"}], "total"}`, numbers via `series::number`.
pub fn rollup_json(r: &store::measurement::Rollup) -> Value {
    json!({
        "sites": r.sites.iter().map(|s| json!({
            "initiative": s.initiative,
            "value": series::number(s.value),
        })).collect::<Vec<_>>(),
        "total": series::number(r.total),
    })
}
