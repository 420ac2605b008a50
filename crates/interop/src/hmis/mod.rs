//! HMIS CSV FY2024 exports read into people and their status events.
//!
//! [`read_path`] takes a folder or a zip file, [`read_zip_bytes`] an uploaded
//! zip file; [`check`] checks every file's header against the FY2024 column
//! list (`columns.csv`, embedded), checks the values of the files the mapping
//! uses, and maps them to people and the events derived from their
//! enrollments ([`derive::derive`]). A problem in a column the import reads
//! ([`USED_COLUMNS`]) or in the export's structure is an error and refuses the
//! whole export ([`Refusal`], with the warnings found); a problem in another
//! column is a warning. Every problem is located by file, row and column.
//! No message carries a person's name, date of birth or SSN.
//!
//! See `docs/import-hmis.md` for the rules and the decisions behind them.

pub mod derive;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::Read;
use std::path::Path;

use chrono::{Duration, NaiveDate};
use domain::cases::events::{Event, EventKind};
use domain::cases::person::{Gender, HouseholdType, Person, Race, age_on};

use derive::Fact;

/// The FY2024 column list: File, ColumnNo, Column, DataType, NullsAllowed.
pub const COLUMNS_CSV: &str = include_str!("columns.csv");

/// A problem, located by file, row (header = row 1) and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub file: String,
    /// The record's row as a spreadsheet shows it: header = 1, first record = 2.
    /// `None`: the whole file.
    pub row: Option<usize>,
    pub column: Option<String>,
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {}", self.message)
    }
}

fn loc(
    file: &str,
    row: Option<usize>,
    column: Option<&str>,
    code: &'static str,
    message: impl Into<String>,
) -> Located {
    Located {
        file: file.to_string(),
        row,
        column: column.map(str::to_string),
        code,
        message: message.into(),
    }
}

/// A status event derived from the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedEvent {
    pub occurred_on: NaiveDate,
    pub kind: EventKind,
    pub chronic: bool,
}

/// One client of the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedPerson {
    pub personal_id: String,
    /// The client's row in Client.csv.
    pub client_row: usize,
    pub person: Person,
    pub events: Vec<DerivedEvent>,
}

/// An export that can be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub export_id: String,
    pub export_end: NaiveDate,
    /// In Client.csv order; deleted clients left out.
    pub people: Vec<ImportedPerson>,
    pub warnings: Vec<Located>,
    /// Data rows read over all the files the mapping uses.
    pub rows: usize,
}

/// The files of an export: file name (no folder) → bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files {
    files: BTreeMap<String, Vec<u8>>,
}

impl Files {
    pub fn new() -> Files {
        Files::default()
    }
    pub fn insert(&mut self, name: impl Into<String>, bytes: Vec<u8>) {
        self.files.insert(name.into(), bytes);
    }
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

/// Read an export from a folder (its files, not sub-folders) or a zip file
/// (its files may sit in one sub-folder).
pub fn read_path(path: &Path) -> Result<Files, Vec<Located>> {
    let shown = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fail = |code, message: String| vec![loc(&shown, None, None, code, message)];
    let mut files = Files::new();
    if path.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| fail("unreadable", format!("cannot read the folder: {e}")))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| fail("unreadable", format!("cannot read the folder: {e}")))?;
            if !entry.path().is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(entry.path())
                .map_err(|e| fail("unreadable", format!("cannot read {name}: {e}")))?;
            files.insert(name, bytes);
        }
        return Ok(files);
    }
    let file = std::fs::File::open(path)
        .map_err(|e| fail("unreadable", format!("cannot open the file: {e}")))?;
    read_zip(&shown, file)
}

/// Read an export from a zip file's bytes (an upload); `name` is the file's
/// name as shown in messages. Its files may sit in one sub-folder.
pub fn read_zip_bytes(name: &str, bytes: &[u8]) -> Result<Files, Vec<Located>> {
    read_zip(name, std::io::Cursor::new(bytes))
}

fn read_zip<R: Read + std::io::Seek>(shown: &str, reader: R) -> Result<Files, Vec<Located>> {
    let fail = |code, message: String| vec![loc(shown, None, None, code, message)];
    let mut files = Files::new();
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| fail("not_zip", format!("not a folder or a zip file: {e}")))?;
    let mut folders = HashSet::new();
    let mut errors = vec![];
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| fail("bad_zip", format!("cannot read the zip file: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let full = match entry.name() {
            Ok(n) => n.replace('\\', "/"),
            Err(e) => {
                errors.push(loc(
                    shown,
                    None,
                    None,
                    "bad_zip",
                    format!("a file name in the zip file cannot be read: {e}"),
                ));
                continue;
            }
        };
        if full.starts_with("__MACOSX/") {
            continue;
        }
        let (folder, name) = match full.rsplit_once('/') {
            Some((f, n)) => (f.to_string(), n.to_string()),
            None => (String::new(), full.clone()),
        };
        if name.starts_with('.') {
            continue;
        }
        folders.insert(folder);
        let mut bytes = vec![];
        if let Err(e) = entry.read_to_end(&mut bytes) {
            errors.push(loc(
                &name,
                None,
                None,
                "unreadable",
                format!("cannot read it from the zip file: {e}"),
            ));
            continue;
        }
        if files.get(&name).is_some() {
            errors.push(loc(
                &name,
                None,
                None,
                "duplicate_file",
                "the zip file holds this file twice",
            ));
        }
        files.insert(name, bytes);
    }
    if folders.len() > 1 {
        errors.push(loc(
            shown,
            None,
            None,
            "several_folders",
            "the zip file's files sit in more than one folder",
        ));
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// One column of the specification.
#[derive(Debug, Clone)]
struct Spec {
    name: String,
    kind: Kind,
    nulls_allowed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Character,
    Numeric,
    Date,
    DateTime,
}

/// The specification's files, in the order of columns.csv.
fn specs() -> BTreeMap<String, Vec<Spec>> {
    let mut out: BTreeMap<String, Vec<Spec>> = BTreeMap::new();
    for line in COLUMNS_CSV.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        // DateDeleted is a date and time, though the table says character.
        let kind = match f[3] {
            _ if f[2] == "DateDeleted" => Kind::DateTime,
            "numeric" | "integer" => Kind::Numeric,
            "date" => Kind::Date,
            "datetime" => Kind::DateTime,
            _ => Kind::Character,
        };
        out.entry(f[0].to_string()).or_default().push(Spec {
            name: f[2].to_string(),
            kind,
            nulls_allowed: f[4] != "0",
        });
    }
    out
}

/// The files the mapping reads; all others get the header check only.
const USED: [&str; 7] = [
    "Export",
    "Client",
    "Project",
    "Enrollment",
    "Exit",
    "Services",
    "CurrentLivingSituation",
];

/// The columns the import reads (keys, references, deletion and the
/// mapping). A missing required value, a value that cannot be read or a code
/// out of range is an error in these; in the other columns of the files read,
/// a warning (counted per file, column and problem), since nothing imported
/// depends on it.
pub const USED_COLUMNS: &[(&str, &[&str])] = &[
    ("Export", &["ExportID", "ExportEndDate"]),
    (
        "Client",
        &[
            "PersonalID",
            "FirstName",
            "LastName",
            "DOB",
            "VeteranStatus",
            "AmIndAKNative",
            "Asian",
            "BlackAfAmerican",
            "HispanicLatinaeo",
            "MidEastNAfrican",
            "NativeHIPacific",
            "White",
            "Woman",
            "Man",
            "NonBinary",
            "CulturallySpecific",
            "Transgender",
            "Questioning",
            "DifferentIdentity",
            "DateDeleted",
        ],
    ),
    ("Project", &["ProjectID", "ProjectType", "DateDeleted"]),
    (
        "Enrollment",
        &[
            "EnrollmentID",
            "PersonalID",
            "ProjectID",
            "EntryDate",
            "HouseholdID",
            "LivingSituation",
            "DateToStreetESSH",
            "TimesHomelessPastThreeYears",
            "MonthsHomelessPastThreeYears",
            "DisablingCondition",
            "MoveInDate",
            "DateDeleted",
        ],
    ),
    (
        "Exit",
        &[
            "ExitID",
            "EnrollmentID",
            "ExitDate",
            "Destination",
            "DateDeleted",
        ],
    ),
    (
        "Services",
        &["ServicesID", "EnrollmentID", "DateProvided", "DateDeleted"],
    ),
    (
        "CurrentLivingSituation",
        &[
            "CurrentLivingSitID",
            "EnrollmentID",
            "InformationDate",
            "DateDeleted",
        ],
    ),
];

/// Whether the import reads this column of this file.
pub fn column_used(file: &str, column: &str) -> bool {
    USED_COLUMNS
        .iter()
        .any(|(f, cols)| *f == file && cols.contains(&column))
}

/// Project types: homeless projects, permanent housing; living situations
/// that are literally homeless.
const HOMELESS_TYPES: [i64; 5] = [0, 1, 2, 4, 8];
const PH_TYPES: [i64; 4] = [3, 9, 10, 13];
const LITERALLY_HOMELESS: [i64; 3] = [101, 116, 118];

/// The codes allowed in the coded fields the mapping reads.
fn codes(file: &str, column: &str) -> Option<Vec<i64>> {
    let yes_no = vec![0, 1, 8, 9, 99];
    let situations: Vec<i64> = vec![
        101, 116, 118, 204, 205, 206, 207, 215, 225, 302, 312, 313, 314, 327, 329, 332, 335, 336,
        410, 411, 421, 422, 423, 426, 435, 8, 9, 99,
    ];
    Some(match (file, column) {
        (
            "Client",
            "AmIndAKNative" | "Asian" | "BlackAfAmerican" | "HispanicLatinaeo" | "MidEastNAfrican"
            | "NativeHIPacific" | "White" | "Woman" | "Man" | "NonBinary" | "CulturallySpecific"
            | "Transgender" | "Questioning" | "DifferentIdentity",
        ) => vec![0, 1],
        ("Client", "RaceNone" | "GenderNone") => vec![8, 9, 99],
        ("Client", "VeteranStatus") | ("Enrollment", "DisablingCondition") => yes_no,
        ("Project", "ProjectType") => vec![0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14],
        ("Enrollment", "RelationshipToHoH") => vec![1, 2, 3, 4, 5, 99],
        ("Enrollment", "LivingSituation") => situations,
        ("Enrollment", "TimesHomelessPastThreeYears") => vec![1, 2, 3, 4, 8, 9, 99],
        ("Enrollment", "MonthsHomelessPastThreeYears") => (101..=113).chain([8, 9, 99]).collect(),
        ("Exit", "Destination") => situations.into_iter().chain([17, 24, 30]).collect(),
        _ => return None,
    })
}

/// A date as the spec writes it (`YYYY-MM-DD`), or as US exports do
/// (`MM-DD-YYYY`, the second value true). A datetime is a date, a space and
/// `hh:mm:ss`.
fn parse_date(s: &str, kind: Kind) -> Option<(NaiveDate, bool)> {
    let date = if kind == Kind::DateTime {
        let (d, t) = s.split_once(' ')?;
        chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M:%S").ok()?;
        d
    } else {
        s
    };
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b[i].is_ascii_digit());
    if b.len() != 10 {
        return None;
    }
    if b[4] == b'-' && b[7] == b'-' && digits(0..4) && digits(5..7) && digits(8..10) {
        return NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .ok()
            .map(|d| (d, false));
    }
    if b[2] == b'-' && b[5] == b'-' && digits(0..2) && digits(3..5) && digits(6..10) {
        return NaiveDate::parse_from_str(date, "%m-%d-%Y")
            .ok()
            .map(|d| (d, true));
    }
    None
}

/// A file's checked records: values by column name, for rows not deleted and
/// without errors in their shape.
struct Table {
    /// (row, values by spec column)
    rows: Vec<(usize, Vec<String>)>,
    index: HashMap<String, usize>,
}

impl Table {
    fn get<'a>(&self, vals: &'a [String], column: &str) -> &'a str {
        self.index
            .get(column)
            .map(|&i| vals[i].as_str())
            .unwrap_or("")
    }
}

struct Checker {
    errors: Vec<Located>,
    warnings: Vec<Located>,
    /// (file, column) → (count, first row) of MM-DD-YYYY dates.
    us_dates: BTreeMap<(String, String), (usize, usize)>,
    /// (file, column, code) → (count, first row, message) of problems in
    /// columns the import does not read.
    unused: BTreeMap<(String, String, &'static str), (usize, usize, String)>,
    rows: usize,
}

impl Checker {
    /// Check a file's header; for a used file, its rows too.
    fn file(&mut self, name: &str, bytes: &[u8], spec: &[Spec], used: bool) -> Option<Table> {
        let file = format!("{name}.csv");
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut records = reader.byte_records();
        let header = match records.next() {
            Some(Ok(h)) => h,
            Some(Err(e)) => {
                self.errors.push(loc(
                    &file,
                    Some(1),
                    None,
                    "unreadable",
                    format!("the header cannot be read: {e}"),
                ));
                return None;
            }
            None => {
                self.errors.push(loc(
                    &file,
                    None,
                    None,
                    "empty_file",
                    "the file is empty (no header)",
                ));
                return None;
            }
        };
        // Header: file position → spec position.
        let mut position: Vec<Option<usize>> = vec![];
        let mut found = vec![false; spec.len()];
        for raw in header.iter() {
            let text = String::from_utf8_lossy(raw);
            let trimmed = text.trim().trim_matches('"').trim();
            let exact = spec.iter().position(|s| s.name == text);
            let loose = spec
                .iter()
                .position(|s| s.name.eq_ignore_ascii_case(trimmed));
            match (exact, loose) {
                (Some(i), _) | (None, Some(i)) if !found[i] => {
                    if exact.is_none() {
                        self.warnings.push(loc(
                            &file,
                            Some(1),
                            Some(&spec[i].name),
                            "header_spelling",
                            format!(
                                "the header spells {} with other spaces or letter case",
                                spec[i].name
                            ),
                        ));
                    }
                    found[i] = true;
                    position.push(Some(i));
                }
                (Some(i), _) | (None, Some(i)) => {
                    self.errors.push(loc(
                        &file,
                        Some(1),
                        Some(&spec[i].name),
                        "duplicate_column",
                        "the column appears twice in the header",
                    ));
                    position.push(None);
                }
                (None, None) => {
                    self.errors.push(loc(
                        &file,
                        Some(1),
                        Some(trimmed),
                        "unknown_column",
                        "the column is not in the FY2024 specification for this file",
                    ));
                    position.push(None);
                }
            }
        }
        for (i, s) in spec.iter().enumerate() {
            if !found[i] {
                self.errors.push(loc(
                    &file,
                    Some(1),
                    Some(&s.name),
                    "missing_column",
                    "the FY2024 specification's column is missing from the header",
                ));
            }
        }
        if !used {
            return None;
        }
        let width = header.len();
        let index: HashMap<String, usize> = spec
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        let deleted = index.get("DateDeleted").copied();
        let mut rows = vec![];
        for (n, record) in records.enumerate() {
            let row = n + 2;
            self.rows += 1;
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    self.errors.push(loc(
                        &file,
                        Some(row),
                        None,
                        "unreadable",
                        format!("the row cannot be read as CSV: {e}"),
                    ));
                    continue;
                }
            };
            if record.len() != width {
                let what = if record.len() > width {
                    "too many"
                } else {
                    "too few"
                };
                self.errors.push(loc(
                    &file,
                    Some(row),
                    None,
                    "row_length",
                    format!(
                        "{what} fields: {} where the header has {width}",
                        record.len()
                    ),
                ));
                // Its key is kept (a shifted row usually keeps its first field), so
                // that rows pointing at it are not reported as well.
                let mut vals = vec![String::new(); spec.len()];
                if let (Some(Some(0)), Some(key)) = (position.first(), record.get(0)) {
                    vals[0] = String::from_utf8_lossy(key).trim().to_string();
                }
                rows.push((row, vals));
                continue;
            }
            let mut vals = vec![String::new(); spec.len()];
            for (raw, pos) in record.iter().zip(&position) {
                if let Some(i) = pos {
                    vals[*i] = String::from_utf8_lossy(raw).trim().to_string();
                }
            }
            // A deleted row is skipped, unless DateDeleted is not a date and
            // time (a shifted row): then it is checked like any other.
            if let Some(i) = deleted
                && !vals[i].is_empty()
                && parse_date(&vals[i], Kind::DateTime).is_some()
            {
                continue;
            }
            for (i, s) in spec.iter().enumerate() {
                if found[i] {
                    self.value(&file, name, row, s, &mut vals[i]);
                }
            }
            // Kept for keys and references, its bad values blanked.
            rows.push((row, vals));
        }
        Some(Table { rows, index })
    }

    /// Check one value; a bad value is reported and blanked. A US date is
    /// rewritten as `YYYY-MM-DD`.
    fn value(&mut self, file: &str, name: &str, row: usize, s: &Spec, v: &mut String) -> bool {
        if column_used(name, &s.name) {
            return self.checked(file, name, row, s, v);
        }
        let before = self.errors.len();
        let ok = self.checked(file, name, row, s, v);
        for e in self.errors.split_off(before) {
            let slot = self
                .unused
                .entry((e.file, s.name.clone(), e.code))
                .or_insert((0, row, e.message));
            slot.0 += 1;
        }
        ok
    }

    /// Check one value, reporting any problem as an error (`value` turns those
    /// of unread columns into warnings).
    fn checked(&mut self, file: &str, name: &str, row: usize, s: &Spec, v: &mut String) -> bool {
        let col = Some(s.name.as_str());
        if v.is_empty() {
            if !s.nulls_allowed {
                self.errors.push(loc(
                    file,
                    Some(row),
                    col,
                    "required",
                    format!("{} is required", s.name),
                ));
                return false;
            }
            return true;
        }
        match s.kind {
            Kind::Character => true,
            Kind::Numeric => {
                if let Some(allowed) = codes(name, &s.name) {
                    match v.parse::<i64>() {
                        Ok(c) if allowed.contains(&c) => true,
                        Ok(_) => {
                            self.errors.push(loc(
                                file,
                                Some(row),
                                col,
                                "bad_code",
                                format!("{} is not one of the FY2024 codes for this field", s.name),
                            ));
                            v.clear();
                            false
                        }
                        Err(_) => {
                            self.errors.push(loc(
                                file,
                                Some(row),
                                col,
                                "not_integer",
                                format!("{} is not a whole number", s.name),
                            ));
                            v.clear();
                            false
                        }
                    }
                } else if v.parse::<f64>().is_ok_and(f64::is_finite) {
                    true
                } else {
                    self.errors.push(loc(
                        file,
                        Some(row),
                        col,
                        "not_number",
                        format!("{} is not a number", s.name),
                    ));
                    v.clear();
                    false
                }
            }
            Kind::Date | Kind::DateTime => match parse_date(v, s.kind) {
                Some((d, us)) => {
                    if us {
                        let e = self
                            .us_dates
                            .entry((file.to_string(), s.name.clone()))
                            .or_insert((0, row));
                        e.0 += 1;
                    }
                    *v = d.format("%Y-%m-%d").to_string();
                    true
                }
                None => {
                    let what = if s.kind == Kind::Date {
                        "a date (YYYY-MM-DD)"
                    } else {
                        "a date and time (YYYY-MM-DD hh:mm:ss)"
                    };
                    self.errors.push(loc(
                        file,
                        Some(row),
                        col,
                        "bad_date",
                        format!("{} is not {what}", s.name),
                    ));
                    v.clear();
                    false
                }
            },
        }
    }
}

fn date(v: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()
}

fn int(v: &str) -> Option<i64> {
    v.parse().ok()
}

/// An export refused: every error found, and the warnings found with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub errors: Vec<Located>,
    pub warnings: Vec<Located>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the export is refused ({} error(s)):", self.errors.len())?;
        for e in &self.errors {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}

/// Read an export's files into people and events, or every error found.
/// Same as [`check`], without the warnings of a refused export.
pub fn parse(files: &Files, inactivity_days: u32) -> Result<Export, Vec<Located>> {
    check(files, inactivity_days).map_err(|r| r.errors)
}

/// Read an export's files into people and events, or refuse it with every
/// error found and the warnings.
pub fn check(files: &Files, inactivity_days: u32) -> Result<Export, Refusal> {
    let specs = specs();
    let mut c = Checker {
        errors: vec![],
        warnings: vec![],
        us_dates: BTreeMap::new(),
        unused: BTreeMap::new(),
        rows: 0,
    };
    let mut tables: HashMap<&str, Table> = HashMap::new();
    for name in files.names() {
        let known = name
            .strip_suffix(".csv")
            .filter(|stem| specs.contains_key(*stem));
        match known {
            Some(stem) => {
                let used = USED.contains(&stem);
                let spec = &specs[stem];
                if let Some(t) = c.file(stem, files.get(name).unwrap_or_default(), spec, used) {
                    tables.insert(stem, t);
                }
            }
            None => c.warnings.push(loc(
                name,
                None,
                None,
                "ignored_file",
                "not a file of the HMIS CSV FY2024 specification: ignored",
            )),
        }
    }
    for u in USED {
        if files.get(&format!("{u}.csv")).is_none() {
            c.errors.push(loc(
                &format!("{u}.csv"),
                None,
                None,
                "missing_file",
                "the import needs this file and it is missing",
            ));
        }
    }
    for ((file, column), (count, first)) in std::mem::take(&mut c.us_dates) {
        c.warnings.push(loc(
            &file,
            None,
            Some(&column),
            "us_date",
            format!("{count} date(s) written MM-DD-YYYY (first in row {first}), read month first"),
        ));
    }
    for ((file, column, code), (count, first, message)) in std::mem::take(&mut c.unused) {
        c.warnings.push(loc(
            &file,
            Some(first),
            Some(&column),
            code,
            format!(
                "{count} row(s), first in row {first}: {message} \
                 (a column the import does not read)"
            ),
        ));
    }
    let Checker {
        mut errors,
        warnings,
        rows,
        ..
    } = c;
    let empty = Table {
        rows: vec![],
        index: HashMap::new(),
    };
    let t = |n: &str| tables.get(n).unwrap_or(&empty);
    // Keys and references.
    let keys = |name: &str, key: &str, errors: &mut Vec<Located>| -> HashSet<String> {
        let table = t(name);
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (row, vals) in &table.rows {
            let k = table.get(vals, key);
            if k.is_empty() {
                continue;
            }
            if let Some(first) = seen.get(k) {
                errors.push(loc(
                    &format!("{name}.csv"),
                    Some(*row),
                    Some(key),
                    "duplicate_key",
                    format!("{key} repeats the one in row {first}"),
                ));
            } else {
                seen.insert(k.to_string(), *row);
            }
        }
        seen.into_keys().collect()
    };
    let clients = keys("Client", "PersonalID", &mut errors);
    let projects = keys("Project", "ProjectID", &mut errors);
    let enrollments = keys("Enrollment", "EnrollmentID", &mut errors);
    keys("Exit", "ExitID", &mut errors);
    keys("Services", "ServicesID", &mut errors);
    keys("CurrentLivingSituation", "CurrentLivingSitID", &mut errors);
    let refs: [(&str, &str, &HashSet<String>, &str); 5] = [
        ("Enrollment", "PersonalID", &clients, "Client"),
        ("Enrollment", "ProjectID", &projects, "Project"),
        ("Exit", "EnrollmentID", &enrollments, "Enrollment"),
        ("Services", "EnrollmentID", &enrollments, "Enrollment"),
        (
            "CurrentLivingSituation",
            "EnrollmentID",
            &enrollments,
            "Enrollment",
        ),
    ];
    for (name, column, set, target) in refs {
        let table = t(name);
        for (row, vals) in &table.rows {
            let v = table.get(vals, column);
            if !v.is_empty() && !set.contains(v) {
                errors.push(loc(
                    &format!("{name}.csv"),
                    Some(*row),
                    Some(column),
                    "broken_reference",
                    format!("{column} is not in {target}.csv (or only in a deleted row)"),
                ));
            }
        }
    }
    // Export.csv: one record.
    let export = t("Export");
    let (export_id, export_end) = match export.rows.as_slice() {
        [(_, vals)] => (
            export.get(vals, "ExportID").to_string(),
            date(export.get(vals, "ExportEndDate")),
        ),
        _ => {
            if files.get("Export.csv").is_some() {
                errors.push(loc(
                    "Export.csv",
                    None,
                    None,
                    "export_rows",
                    "Export.csv must hold exactly one record",
                ));
            }
            (String::new(), None)
        }
    };
    if !errors.is_empty() {
        return Err(Refusal { errors, warnings });
    }
    let Some(export_end) = export_end else {
        return Err(Refusal {
            errors: vec![loc(
                "Export.csv",
                Some(2),
                Some("ExportEndDate"),
                "required",
                "ExportEndDate is required",
            )],
            warnings,
        });
    };
    let people = match map(&tables, export_end, inactivity_days) {
        Ok(p) => p,
        Err(errors) => return Err(Refusal { errors, warnings }),
    };
    Ok(Export {
        export_id,
        export_end,
        people,
        warnings,
        rows,
    })
}

struct Enrollment {
    personal_id: String,
    project_type: Option<i64>,
    entry: NaiveDate,
    household_id: String,
    move_in: Option<NaiveDate>,
    chronic: bool,
    literally_homeless: bool,
    row: usize,
}

/// Exit destinations 400–499 are permanent housing.
fn housed_destination(code: i64) -> bool {
    (400..=499).contains(&code)
}

/// Whether an enrollment meets the chronic rule.
fn chronic(t: &Table, vals: &[String], entry: NaiveDate) -> bool {
    let g = |c| t.get(vals, c);
    let disabling = int(g("DisablingCondition")) == Some(1);
    let street = LITERALLY_HOMELESS.contains(&int(g("LivingSituation")).unwrap_or(-1))
        && date(g("DateToStreetESSH")).is_some_and(|d| entry - d >= Duration::days(365));
    let times = int(g("TimesHomelessPastThreeYears")) == Some(4)
        && matches!(int(g("MonthsHomelessPastThreeYears")), Some(112 | 113));
    disabling && (street || times)
}

fn map(
    tables: &HashMap<&str, Table>,
    export_end: NaiveDate,
    inactivity_days: u32,
) -> Result<Vec<ImportedPerson>, Vec<Located>> {
    let empty = Table {
        rows: vec![],
        index: HashMap::new(),
    };
    let t = |n: &str| tables.get(n).unwrap_or(&empty);
    let project = t("Project");
    let project_types: HashMap<&str, Option<i64>> = project
        .rows
        .iter()
        .map(|(_, v)| {
            (
                project.get(v, "ProjectID"),
                int(project.get(v, "ProjectType")),
            )
        })
        .collect();
    let en = t("Enrollment");
    let mut enrollments: HashMap<&str, Enrollment> = HashMap::new();
    for (row, v) in &en.rows {
        let Some(entry) = date(en.get(v, "EntryDate")) else {
            continue;
        };
        enrollments.insert(
            en.get(v, "EnrollmentID"),
            Enrollment {
                personal_id: en.get(v, "PersonalID").to_string(),
                project_type: project_types.get(en.get(v, "ProjectID")).copied().flatten(),
                entry,
                household_id: en.get(v, "HouseholdID").to_string(),
                move_in: date(en.get(v, "MoveInDate")),
                chronic: chronic(en, v, entry),
                literally_homeless: LITERALLY_HOMELESS
                    .contains(&int(en.get(v, "LivingSituation")).unwrap_or(-1)),
                row: *row,
            },
        );
    }
    let homeless = |e: &Enrollment| e.project_type.is_some_and(|p| HOMELESS_TYPES.contains(&p));
    let housing = |e: &Enrollment| e.project_type.is_some_and(|p| PH_TYPES.contains(&p));
    let mut facts: HashMap<&str, Vec<(NaiveDate, Fact)>> = HashMap::new();
    for e in enrollments.values() {
        let f = facts.entry(e.personal_id.as_str()).or_default();
        if homeless(e) || (housing(e) && e.literally_homeless) {
            f.push((e.entry, Fact::Activity { chronic: e.chronic }));
        }
        if housing(e)
            && let Some(d) = e.move_in
        {
            f.push((d, Fact::Housed));
        }
    }
    for (file, column) in [
        ("Services", "DateProvided"),
        ("CurrentLivingSituation", "InformationDate"),
    ] {
        let tb = t(file);
        for (_, v) in &tb.rows {
            let (Some(e), Some(d)) = (
                enrollments.get(tb.get(v, "EnrollmentID")),
                date(tb.get(v, column)),
            ) else {
                continue;
            };
            if homeless(e) {
                facts
                    .entry(e.personal_id.as_str())
                    .or_default()
                    .push((d, Fact::Activity { chronic: e.chronic }));
            }
        }
    }
    let ex = t("Exit");
    for (_, v) in &ex.rows {
        let (Some(e), Some(d)) = (
            enrollments.get(ex.get(v, "EnrollmentID")),
            date(ex.get(v, "ExitDate")),
        ) else {
            continue;
        };
        if homeless(e) && int(ex.get(v, "Destination")).is_some_and(housed_destination) {
            facts
                .entry(e.personal_id.as_str())
                .or_default()
                .push((d, Fact::Housed));
        }
    }
    // Households: HouseholdID → members.
    let cl = t("Client");
    let births: HashMap<&str, Option<NaiveDate>> = cl
        .rows
        .iter()
        .map(|(_, v)| (cl.get(v, "PersonalID"), date(cl.get(v, "DOB"))))
        .collect();
    let mut households: HashMap<&str, HashSet<&str>> = HashMap::new();
    for e in enrollments.values() {
        households
            .entry(e.household_id.as_str())
            .or_default()
            .insert(e.personal_id.as_str());
    }
    // Each person's latest enrollment (latest EntryDate, then the later row).
    let mut latest: HashMap<&str, &Enrollment> = HashMap::new();
    for e in enrollments.values() {
        let slot = latest.entry(e.personal_id.as_str()).or_insert(e);
        if (e.entry, e.row) > (slot.entry, slot.row) {
            *slot = e;
        }
    }
    let mut errors = vec![];
    let mut people = vec![];
    for (row, v) in &cl.rows {
        let g = |c| cl.get(v, c);
        let personal_id = g("PersonalID").to_string();
        let text = |c| Some(g(c).to_string()).filter(|s| !s.is_empty());
        let flag = |c| g(c) == "1";
        let race = [
            ("AmIndAKNative", Race::AmIndAkNative),
            ("Asian", Race::Asian),
            ("BlackAfAmerican", Race::BlackAfAmerican),
            ("HispanicLatinaeo", Race::HispanicLatinaeo),
            ("MidEastNAfrican", Race::MidEastNAfrican),
            ("NativeHIPacific", Race::NativeHiPacific),
            ("White", Race::White),
        ]
        .into_iter()
        .filter(|(c, _)| flag(c))
        .map(|(_, r)| r)
        .collect();
        let gender = [
            ("Woman", Gender::Woman),
            ("Man", Gender::Man),
            ("NonBinary", Gender::NonBinary),
            ("CulturallySpecific", Gender::CulturallySpecific),
            ("Transgender", Gender::Transgender),
            ("Questioning", Gender::Questioning),
            ("DifferentIdentity", Gender::DifferentIdentity),
        ]
        .into_iter()
        .filter(|(c, _)| flag(c))
        .map(|(_, r)| r)
        .collect();
        let veteran = match g("VeteranStatus") {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        };
        let latest = latest.get(personal_id.as_str());
        let household_type = latest.map(|e| {
            let members = households
                .get(e.household_id.as_str())
                .cloned()
                .unwrap_or_default();
            let (mut adults, mut children) = (false, false);
            for m in members {
                match births.get(m).copied().flatten() {
                    Some(b) if age_on(b, e.entry) < 18 => children = true,
                    _ => adults = true,
                }
            }
            match (adults, children) {
                (true, true) => HouseholdType::AdultsAndChildren,
                (false, true) => HouseholdType::ChildrenOnly,
                _ => HouseholdType::Individual,
            }
        });
        let person = Person {
            first_name: text("FirstName"),
            last_name: text("LastName"),
            date_of_birth: date(g("DOB")),
            veteran,
            household_type,
            race,
            gender,
            ..Person::default()
        };
        let events = derive::derive(
            facts
                .get(personal_id.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            export_end,
            inactivity_days,
        );
        if let Err(m) = replay_check(&events) {
            errors.push(loc(
                "Client.csv",
                Some(*row),
                Some("PersonalID"),
                "misfit",
                format!("the derived events do not replay: {}", m),
            ));
        }
        people.push(ImportedPerson {
            personal_id,
            client_row: *row,
            person,
            events,
        });
    }
    if errors.is_empty() {
        Ok(people)
    } else {
        Err(errors)
    }
}

/// Replay derived events with the domain's rules: they must form spells
/// without a misfit.
pub fn replay_check(events: &[DerivedEvent]) -> Result<(), String> {
    let at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let evs: Vec<Event> = events
        .iter()
        .enumerate()
        .map(|(i, e)| Event {
            id: i as i64 + 1,
            occurred_on: e.occurred_on,
            kind: e.kind,
            chronic: e.chronic,
            recorded_at: at,
            supersedes: None,
        })
        .collect();
    domain::cases::events::spells(&evs)
        .map(|_| ())
        .map_err(|m| m.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::*;

    /// A small valid export: each file's required fields get a default, the
    /// given values override them. `rows`: (file, [(column, value)]).
    fn export(rows: &[(&str, &[(&str, &str)])]) -> Files {
        let specs = specs();
        let mut files = Files::new();
        let base: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("Export", vec![("ExportEndDate", "2025-12-31")]),
            ("Project", vec![("ProjectID", "P1"), ("ProjectType", "1")]),
            ("Project", vec![("ProjectID", "PH"), ("ProjectType", "13")]),
        ];
        let all: Vec<(&str, Vec<(&str, &str)>)> = base
            .into_iter()
            .chain(rows.iter().map(|(f, v)| (*f, v.to_vec())))
            .collect();
        for file in USED {
            let spec = &specs[file];
            let mut text = spec
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(",")
                + "\n";
            for (_, vals) in all.iter().filter(|(f, _)| *f == file) {
                let line: Vec<String> = spec
                    .iter()
                    .map(|s| {
                        if let Some((_, v)) = vals.iter().find(|(c, _)| *c == s.name) {
                            return v.to_string();
                        }
                        if s.nulls_allowed {
                            return String::new();
                        }
                        match s.kind {
                            Kind::Character => "x".into(),
                            Kind::Numeric => codes(file, &s.name).map_or(1, |c| c[0]).to_string(),
                            Kind::Date => "2025-01-01".into(),
                            Kind::DateTime => "2025-01-01 00:00:00".into(),
                        }
                    })
                    .collect();
                text += &(line.join(",") + "\n");
            }
            files.insert(format!("{file}.csv"), text.into_bytes());
        }
        files
    }

    fn client(id: &'static str) -> (&'static str, &'static [(&'static str, &'static str)]) {
        let vals: &'static [(&str, &str)] = match id {
            "A" => &[("PersonalID", "A"), ("DOB", "1980-01-01")],
            "B" => &[("PersonalID", "B"), ("DOB", "2015-01-01")],
            _ => &[("PersonalID", "C")],
        };
        ("Client", vals)
    }

    fn events(files: &Files) -> Vec<(String, EventKind, bool)> {
        let e = parse(files, 90).unwrap_or_else(|e| panic!("{e:?}"));
        e.people[0]
            .events
            .iter()
            .map(|e| (e.occurred_on.to_string(), e.kind, e.chronic))
            .collect()
    }
    fn k(on: &str, kind: EventKind, chronic: bool) -> (String, EventKind, bool) {
        (on.to_string(), kind, chronic)
    }

    #[test]
    fn us_dates_are_read_month_first() {
        assert_eq!(
            parse_date("03-04-2024", Kind::Date),
            Some(("2024-03-04".parse().unwrap(), true))
        );
        assert_eq!(
            parse_date("2024-03-04", Kind::Date),
            Some(("2024-03-04".parse().unwrap(), false))
        );
        assert_eq!(
            parse_date("12-31-2015 08:50:40", Kind::DateTime),
            Some(("2015-12-31".parse().unwrap(), true))
        );
        for bad in [
            "31-12-2015",
            "9/10/2015",
            "08-MAY-67",
            "04-28-19",
            "2015-02-30",
            "9-10-2015",
        ] {
            assert_eq!(parse_date(bad, Kind::Date), None, "{bad}");
        }
        assert_eq!(parse_date("2015-09-10", Kind::DateTime), None);
        // In an export: read month first, one warning per file and column.
        let files = export(&[
            client("A"),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("ProjectID", "P1"),
                    ("EntryDate", "03-04-2025"),
                ],
            ),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E2"),
                    ("PersonalID", "A"),
                    ("ProjectID", "P1"),
                    ("EntryDate", "03-05-2025"),
                ],
            ),
        ]);
        let e = parse(&files, 90).unwrap();
        let w: Vec<_> = e.warnings.iter().filter(|w| w.code == "us_date").collect();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(
            (w[0].file.as_str(), w[0].column.as_deref()),
            ("Enrollment.csv", Some("EntryDate"))
        );
        assert!(w[0].message.starts_with("2 date(s)"), "{}", w[0].message);
        assert_eq!(e.people[0].events[0].occurred_on.to_string(), "2025-03-04");
    }

    #[test]
    fn permanent_housing_entry_from_the_street_is_activity() {
        let files = export(&[
            client("A"),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("ProjectID", "PH"),
                    ("EntryDate", "2025-03-01"),
                    ("LivingSituation", "116"),
                    ("MoveInDate", "2025-03-20"),
                ],
            ),
        ]);
        assert_eq!(
            events(&files),
            [
                k("2025-03-01", Identified, false),
                k("2025-03-20", Housed, false)
            ]
        );
        // From a rental (410), the entry is no activity and the move-in is ignored.
        let files = export(&[
            client("A"),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("ProjectID", "PH"),
                    ("EntryDate", "2025-03-01"),
                    ("LivingSituation", "410"),
                    ("MoveInDate", "2025-03-20"),
                ],
            ),
        ]);
        assert_eq!(events(&files), []);
    }

    #[test]
    fn exit_to_permanent_destination_is_housed() {
        assert!(housed_destination(435));
        assert!(!housed_destination(399));
        let with = |dest: &'static str| {
            let exit: &'static [(&str, &str)] = Box::leak(Box::new([
                ("ExitID", "X1"),
                ("EnrollmentID", "E1"),
                ("PersonalID", "A"),
                ("ExitDate", "2025-02-01"),
                ("Destination", dest),
            ]));
            export(&[
                client("A"),
                (
                    "Enrollment",
                    &[
                        ("EnrollmentID", "E1"),
                        ("PersonalID", "A"),
                        ("ProjectID", "P1"),
                        ("EntryDate", "2025-01-15"),
                    ],
                ),
                ("Exit", exit),
            ])
        };
        assert_eq!(
            events(&with("435")),
            [
                k("2025-01-15", Identified, false),
                k("2025-02-01", Housed, false)
            ]
        );
        // A temporary destination (332) ends nothing: inactive 90 days later.
        assert_eq!(
            events(&with("332")),
            [
                k("2025-01-15", Identified, false),
                k("2025-04-15", Inactive, false)
            ]
        );
        // 399 is no FY2024 destination code: refused.
        let e = parse(&with("399"), 90).unwrap_err();
        assert_eq!(
            (
                e[0].file.as_str(),
                e[0].row,
                e[0].column.as_deref(),
                e[0].code
            ),
            ("Exit.csv", Some(2), Some("Destination"), "bad_code")
        );
    }

    #[test]
    fn chronic_by_street_time_or_by_episodes() {
        let street = export(&[
            client("A"),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("ProjectID", "P1"),
                    ("EntryDate", "2025-01-15"),
                    ("DisablingCondition", "1"),
                    ("LivingSituation", "116"),
                    ("DateToStreetESSH", "2024-01-16"),
                ],
            ),
            (
                "Services",
                &[
                    ("ServicesID", "S1"),
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("DateProvided", "2025-02-01"),
                ],
            ),
        ]);
        assert_eq!(
            events(&street),
            [
                k("2025-01-15", Identified, true),
                k("2025-02-01", Contact, true),
                k("2025-05-02", Inactive, false)
            ]
        );
        // 364 days on the street: not chronic.
        let short = export(&[
            client("A"),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("ProjectID", "P1"),
                    ("EntryDate", "2025-01-15"),
                    ("DisablingCondition", "1"),
                    ("LivingSituation", "116"),
                    ("DateToStreetESSH", "2024-01-17"),
                ],
            ),
        ]);
        assert!(!events(&short)[0].2);
        let episodes = export(&[
            client("A"),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("ProjectID", "P1"),
                    ("EntryDate", "2025-01-15"),
                    ("DisablingCondition", "1"),
                    ("TimesHomelessPastThreeYears", "4"),
                    ("MonthsHomelessPastThreeYears", "112"),
                ],
            ),
            (
                "CurrentLivingSituation",
                &[
                    ("CurrentLivingSitID", "C1"),
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("InformationDate", "2025-01-20"),
                    ("CurrentLivingSituation", "116"),
                ],
            ),
        ]);
        assert_eq!(
            events(&episodes)[..2],
            [
                k("2025-01-15", Identified, true),
                k("2025-01-20", Contact, true)
            ]
        );
        // Without a disabling condition, neither counts.
        let no = export(&[
            client("A"),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("ProjectID", "P1"),
                    ("EntryDate", "2025-01-15"),
                    ("DisablingCondition", "0"),
                    ("TimesHomelessPastThreeYears", "4"),
                    ("MonthsHomelessPastThreeYears", "113"),
                ],
            ),
        ]);
        assert!(!events(&no)[0].2);
    }

    #[test]
    fn household_type_from_the_latest_enrollment() {
        let files = export(&[
            client("A"),
            client("B"),
            client("C"),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E0"),
                    ("PersonalID", "A"),
                    ("ProjectID", "P1"),
                    ("EntryDate", "2024-01-01"),
                    ("HouseholdID", "H0"),
                ],
            ),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("ProjectID", "P1"),
                    ("EntryDate", "2025-01-01"),
                    ("HouseholdID", "H1"),
                ],
            ),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E2"),
                    ("PersonalID", "B"),
                    ("ProjectID", "P1"),
                    ("EntryDate", "2025-01-01"),
                    ("HouseholdID", "H1"),
                ],
            ),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E3"),
                    ("PersonalID", "B"),
                    ("ProjectID", "P1"),
                    ("EntryDate", "2025-06-01"),
                    ("HouseholdID", "H2"),
                ],
            ),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E4"),
                    ("PersonalID", "C"),
                    ("ProjectID", "P1"),
                    ("EntryDate", "2025-06-01"),
                    ("HouseholdID", "H3"),
                ],
            ),
        ]);
        let e = parse(&files, 90).unwrap();
        let types: Vec<_> = e.people.iter().map(|p| p.person.household_type).collect();
        // A with child B; B later alone (a child); C alone, age unknown: an adult.
        assert_eq!(
            types,
            [
                Some(HouseholdType::AdultsAndChildren),
                Some(HouseholdType::ChildrenOnly),
                Some(HouseholdType::Individual)
            ]
        );
    }

    #[test]
    fn deleted_rows_are_skipped_and_references_to_them_are_broken() {
        let files = export(&[
            client("A"),
            (
                "Client",
                &[("PersonalID", "D"), ("DateDeleted", "2025-01-01 00:00:00")],
            ),
            ("Client", &[("PersonalID", "D")]),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("ProjectID", "P1"),
                    ("DateDeleted", "2025-01-01 00:00:00"),
                ],
            ),
            (
                "Services",
                &[
                    ("ServicesID", "S1"),
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                ],
            ),
        ]);
        let e = parse(&files, 90).unwrap_err();
        // The deleted client D does not clash with the live one; the service
        // points at a deleted enrollment.
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            (
                e[0].file.as_str(),
                e[0].row,
                e[0].column.as_deref(),
                e[0].code
            ),
            (
                "Services.csv",
                Some(2),
                Some("EnrollmentID"),
                "broken_reference"
            )
        );
        let ok = export(&[
            client("A"),
            (
                "Client",
                &[("PersonalID", "D"), ("DateDeleted", "2025-01-01 00:00:00")],
            ),
        ]);
        let e = parse(&ok, 90).unwrap();
        assert_eq!(e.people.len(), 1);
        assert_eq!(e.people[0].personal_id, "A");
        assert_eq!(e.rows, 5, "Export, two projects, two clients");
    }

    #[test]
    fn headers_are_matched_loosely_with_a_warning_and_a_bom_is_silent() {
        let mut files = export(&[client("A")]);
        let text = String::from_utf8(files.get("Project.csv").unwrap().to_vec()).unwrap();
        let text = text.replacen("ProjectType", " projecttype ", 1).replacen(
            "ProjectID",
            "\"ProjectID\"",
            1,
        );
        files.insert(
            "Project.csv",
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        );
        files.insert("User.csvx", b"x".to_vec());
        let e = parse(&files, 90).unwrap();
        let w: Vec<_> = e.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            w,
            [
                "Project.csv, row 1, column ProjectType: the header spells ProjectType with other spaces or letter case",
                "User.csvx: not a file of the HMIS CSV FY2024 specification: ignored",
            ]
        );
    }

    #[test]
    fn a_row_of_the_wrong_length_is_one_error_and_keeps_its_key() {
        let mut files = export(&[
            client("A"),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("ProjectID", "P1"),
                ],
            ),
        ]);
        let text = String::from_utf8(files.get("Client.csv").unwrap().to_vec()).unwrap();
        files.insert(
            "Client.csv",
            (text.trim_end().to_string() + ",extra\n").into_bytes(),
        );
        let e = parse(&files, 90).unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            e[0].to_string(),
            "Client.csv, row 2: too many fields: 47 where the header has 46"
        );
    }

    #[test]
    fn messages_carry_no_personal_values() {
        let files = export(&[(
            "Client",
            &[
                ("PersonalID", "A"),
                ("FirstName", "Dana"),
                ("DOB", "1980-13-45"),
            ],
        )]);
        let e = parse(&files, 90).unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "Client.csv, row 2, column DOB: DOB is not a date (YYYY-MM-DD)"
        );
    }

    #[test]
    fn only_columns_the_import_reads_refuse_an_export() {
        // Blank NameDataQuality and RelationshipToHoH (both required), an
        // unreadable DateUpdated and a bad RelationshipToHoH code: the import
        // reads none of them, so the export is accepted with one warning per
        // column and problem.
        let files = export(&[
            (
                "Client",
                &[
                    ("PersonalID", "A"),
                    ("NameDataQuality", ""),
                    ("DateUpdated", "9/10/2015 21:39:00"),
                ],
            ),
            (
                "Client",
                &[
                    ("PersonalID", "B"),
                    ("NameDataQuality", ""),
                    ("DateUpdated", "9/11/2015 21:39:00"),
                ],
            ),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("ProjectID", "P1"),
                    ("HouseholdID", "H1"),
                    ("RelationshipToHoH", "999"),
                ],
            ),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E2"),
                    ("PersonalID", "B"),
                    ("ProjectID", "P1"),
                    ("HouseholdID", "H2"),
                    ("RelationshipToHoH", ""),
                ],
            ),
        ]);
        let e = check(&files, 90).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(e.people.len(), 2);
        let w: Vec<String> = e
            .warnings
            .iter()
            .map(|w| format!("{}|{:?}|{:?}|{}", w.file, w.row, w.column, w.code))
            .collect();
        assert_eq!(
            w,
            [
                "Client.csv|Some(2)|Some(\"DateUpdated\")|bad_date",
                "Client.csv|Some(2)|Some(\"NameDataQuality\")|required",
                "Enrollment.csv|Some(2)|Some(\"RelationshipToHoH\")|bad_code",
                "Enrollment.csv|Some(3)|Some(\"RelationshipToHoH\")|required",
            ]
        );
        assert!(
            e.warnings[1]
                .message
                .starts_with("2 row(s), first in row 2")
        );
        // The same problems in columns it reads refuse it, with the warnings
        // kept.
        let files = export(&[
            (
                "Client",
                &[
                    ("PersonalID", "A"),
                    ("NameDataQuality", ""),
                    ("DOB", "9/10/1980"),
                ],
            ),
            (
                "Enrollment",
                &[
                    ("EnrollmentID", "E1"),
                    ("PersonalID", "A"),
                    ("ProjectID", "P1"),
                    ("HouseholdID", ""),
                    ("DisablingCondition", "7"),
                ],
            ),
        ]);
        let r = check(&files, 90).unwrap_err();
        let errors: Vec<String> = r
            .errors
            .iter()
            .map(|e| format!("{}|{:?}|{}", e.file, e.column, e.code))
            .collect();
        assert_eq!(
            errors,
            [
                "Client.csv|Some(\"DOB\")|bad_date",
                "Enrollment.csv|Some(\"HouseholdID\")|required",
                "Enrollment.csv|Some(\"DisablingCondition\")|bad_code",
            ]
        );
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].column.as_deref(), Some("NameDataQuality"));
        // parse keeps its old answer: the errors alone.
        assert_eq!(parse(&files, 90).unwrap_err(), r.errors);
    }
}
