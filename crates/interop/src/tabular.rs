//! Uploaded spreadsheets read into rows of text, and CSV written back out.
//!
//! Partners upload what their tools produce: an `.xlsx` workbook, or a CSV
//! saved by Excel in a European locale (`;`), by LibreOffice, by a script, or
//! pasted from a tab-separated clipboard. [`read_table`] turns any of them into
//! one [`Table`] of trimmed text, so that the rules about what the columns mean
//! (`domain::measurement::import`) are written once.
//!
//! Row numbers are the ones a spreadsheet program shows (the header is row 1),
//! because that is where the person fixing an error will look. This is why CSV
//! is parsed here rather than with the `csv` crate: it skips blank lines, and a
//! quoted cell may span several lines, so neither its records nor its line
//! numbers match the rows people see.

use std::collections::HashSet;
use std::io::Cursor;

use calamine::{Data, Reader, SheetType, Xlsx};
use domain::measurement::import::{Table, TableRow};

/// Read an uploaded file: an `.xlsx` workbook (by its name, ignoring case, or
/// by the ZIP signature every `.xlsx` starts with) is read from its first
/// worksheet; anything else is read as UTF-8 CSV.
///
/// The first non-blank row is the header: its names are trimmed and
/// lower-cased, and a blank or repeated name is an error naming the column
/// (blank header cells after the last name are ignored: spreadsheet programs
/// often save a few empty columns). Cells are trimmed; a row with fewer cells
/// than the header is padded with blanks, and a non-blank cell past the last
/// named column is an error naming the row. Fully blank rows are skipped but
/// still counted, so that row numbers stay those of the spreadsheet.
///
/// CSV: a UTF-8 byte-order mark is dropped; the separator is whichever of
/// `,`, `;` and tab occurs most in the header line outside quotes (`,` on a
/// tie); cells in double quotes may hold separators, line breaks and doubled
/// quotes (`""`). Other encodings are refused with the first line that is not
/// UTF-8.
///
/// XLSX: the value stored in each cell is read, not its displayed form (a cell
/// showing `25%` reads `0.25`). Whole numbers lose Excel's `.0` (`120`), other
/// numbers are written in the shortest form that reads back as the same
/// number (`12.5`, `0.1`), booleans as `true`/`false`, and dates as
/// `YYYY-MM-DD`. Excel turns a typed `2025-02` into the date 1 February 2025,
/// so in the `period` and `baseline_period` columns a date on the first of a
/// month is read back as the month, `2025-02`. A cell holding an error such as
/// `#DIV/0!` is an error naming its row and column.
pub fn read_table(bytes: &[u8], file_name: &str) -> Result<Table, String> {
    let lower = file_name.trim().to_lowercase();
    if lower.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) || lower.ends_with(".xls") {
        Err("this is an old Excel file (.xls): save it as .xlsx or as CSV UTF-8".into())
    } else {
        read_csv(bytes)
    }
}

/// Write a CSV file (RFC 4180): a cell is quoted when it holds a comma, a
/// double quote or a line break, and its quotes are doubled. Lines end with
/// `\n` rather than RFC 4180's `\r\n`: every spreadsheet program and CSV
/// library reads both, and `\n` keeps exported files clean in version control
/// and on the command line. No byte-order mark is written (scripts would see
/// it as part of the first header name); [`read_table`] accepts files with or
/// without one.
pub fn write_csv(headers: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = String::new();
    write_record(&mut out, headers.iter().copied());
    for row in rows {
        write_record(&mut out, row.iter().map(String::as_str));
    }
    out
}

fn write_record<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push('\n');
}

/// A raw record: its spreadsheet row number and its cells, untrimmed.
type Record = (usize, Vec<String>);

/// The spreadsheet name of the 0-based column `index`: A, …, Z, AA, AB, ….
fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

/// The header names of a header record: trimmed, lower-cased, trailing blank
/// cells dropped; a blank or repeated name is refused.
fn header_names(cells: &[String]) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = cells.iter().map(|c| c.trim().to_lowercase()).collect();
    while names.last().is_some_and(String::is_empty) {
        names.pop();
    }
    let mut seen = HashSet::new();
    for (i, name) in names.iter().enumerate() {
        let column = format!("column {} ({})", i + 1, column_letter(i));
        if name.is_empty() {
            return Err(format!(
                "the header of {column} is blank: give every column a name"
            ));
        }
        if !seen.insert(name.as_str()) {
            return Err(format!("{column} repeats the header {name:?}"));
        }
    }
    Ok(names)
}

/// The table of records whose first non-blank one is the header.
fn build_table(records: Vec<Record>) -> Result<Table, String> {
    let mut records = records.into_iter().skip_while(|(_, cells)| is_blank(cells));
    let Some((_, header)) = records.next() else {
        return Err("the file is empty: it needs a header row and rows of data".into());
    };
    let headers = header_names(&header)?;
    let width = headers.len();
    let mut rows = Vec::new();
    for (number, cells) in records {
        if is_blank(&cells) {
            continue;
        }
        if let Some(extra) = cells.iter().skip(width).position(|c| !c.trim().is_empty()) {
            return Err(format!(
                "row {number} has a value in column {}, after the last named column",
                column_letter(width + extra)
            ));
        }
        let mut cells: Vec<String> = cells
            .into_iter()
            .take(width)
            .map(|c| c.trim().to_string())
            .collect();
        cells.resize(width, String::new());
        rows.push(TableRow { number, cells });
    }
    Ok(Table { headers, rows })
}

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

fn read_csv(bytes: &[u8]) -> Result<Table, String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err("the file is UTF-16 text: save it as CSV UTF-8, or upload it as .xlsx".into());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        format!("line {line} is not UTF-8 text: save the file as CSV UTF-8, or upload it as .xlsx")
    })?;
    build_table(parse_csv(text, detect_separator(text))?)
}

/// The separator occurring most often in the header line outside quotes;
/// `,` when none does or on a tie.
fn detect_separator(text: &str) -> char {
    let (mut comma, mut semicolon, mut tab) = (0, 0, 0);
    let mut in_quotes = false;
    for c in text.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            '\n' | '\r' if !in_quotes => break,
            ',' if !in_quotes => comma += 1,
            ';' if !in_quotes => semicolon += 1,
            '\t' if !in_quotes => tab += 1,
            _ => {}
        }
    }
    let mut best = (',', comma);
    for candidate in [(';', semicolon), ('\t', tab)] {
        if candidate.1 > best.1 {
            best = candidate;
        }
    }
    best.0
}

/// Split CSV text into records. Every line break outside quotes ends a record
/// (`\n`, `\r\n` or `\r`), so a blank line is a (blank) record and keeps the
/// row count right. A quote opens a quoted cell only at the cell's start
/// (after optional spaces); elsewhere it is an ordinary character.
fn parse_csv(text: &str, separator: char) -> Result<Vec<Record>, String> {
    let mut records = Vec::new();
    let mut cells: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut in_quotes = false;
    // Whether the current cell was quoted (then text after its closing quote
    // is kept but no new quote opens).
    let mut quoted = false;
    let mut number = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cell.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cell.push(c);
            }
            continue;
        }
        match c {
            '"' if !quoted && cell.trim().is_empty() => {
                cell.clear();
                in_quotes = true;
                quoted = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                cells.push(std::mem::take(&mut cell));
                records.push((number, std::mem::take(&mut cells)));
                number += 1;
                quoted = false;
            }
            c if c == separator => {
                cells.push(std::mem::take(&mut cell));
                quoted = false;
            }
            c => cell.push(c),
        }
    }
    if in_quotes {
        return Err(format!(
            "row {number}: a quoted cell is never closed (a \" is missing)"
        ));
    }
    // The last line, when the file does not end with a line break.
    if quoted || !cell.is_empty() || !cells.is_empty() {
        cells.push(cell);
        records.push((number, cells));
    }
    Ok(records)
}

// ---------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------

fn read_xlsx(bytes: &[u8]) -> Result<Table, String> {
    let unreadable = |e: calamine::XlsxError| {
        format!(
            "the file could not be read as an .xlsx workbook ({e}): save it as .xlsx or as CSV UTF-8"
        )
    };
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let sheet = book
        .sheets_metadata()
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .ok_or("the workbook has no worksheet")?;
    let range = book.worksheet_range(&sheet).map_err(unreadable)?;
    let Some((first_row, first_column)) = range.start() else {
        return Err("the first worksheet is empty: it needs a header row and rows of data".into());
    };
    let (first_row, first_column) = (first_row as usize, first_column as usize);

    // The header is read first: how a date reads depends on its column.
    let mut rows = range
        .rows()
        .enumerate()
        .map(|(i, r)| (first_row + i + 1, r));
    let mut records: Vec<Record> = Vec::new();
    let mut headers: Vec<String> = Vec::new();
    for (number, cells) in rows.by_ref() {
        let texts = cells
            .iter()
            .enumerate()
            .map(|(j, c)| cell_text(c, "", number, first_column + j))
            .collect::<Result<Vec<_>, _>>()?;
        if !is_blank(&texts) {
            headers = texts.iter().map(|h| h.trim().to_lowercase()).collect();
            records.push((number, texts));
            break;
        }
    }
    for (number, cells) in rows {
        let texts = cells
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let header = headers.get(j).map_or("", String::as_str);
                cell_text(c, header, number, first_column + j)
            })
            .collect::<Result<Vec<_>, _>>()?;
        records.push((number, texts));
    }
    build_table(records)
}

/// The text of one worksheet cell (see [`read_table`] for the rules); `header`
/// is its column's name (blank while the header itself is read), `row` and
/// `column` locate an error.
fn cell_text(cell: &Data, header: &str, row: usize, column: usize) -> Result<String, String> {
    let refuse = |why: &str| {
        let name = if header.is_empty() {
            String::new()
        } else {
            format!(" ({header})")
        };
        Err(format!(
            "row {row}, column {}{name}: {why}",
            column_letter(column)
        ))
    };
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) if d.is_duration() => {
            return refuse("the cell holds a duration: write it as a number");
        }
        Data::DateTime(d) => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            date_text(i32::from(y), u32::from(m), u32::from(day), header)
        }
        Data::DateTimeIso(s) => match iso_date(s) {
            Some((y, m, d)) => date_text(y, m, d, header),
            None => s.clone(),
        },
        Data::DurationIso(_) => {
            return refuse("the cell holds a duration: write it as a number");
        }
        Data::Error(e) => {
            return refuse(&format!(
                "the cell holds the error {e}: fix the formula or type the value"
            ));
        }
    })
}

/// The date at the start of an ISO 8601 date or date-time (`2025-02-01T…`).
fn iso_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Some((digits(0..4)? as i32, digits(5..7)?, digits(8..10)?))
}

/// Rust's `{}` of an `f64` is the shortest text that reads back as the same
/// number and never uses an exponent: `120`, `12.5`, `0.1`.
fn number_text(f: f64) -> String {
    if f == 0.0 {
        // Also for -0.0, which would print as "-0".
        "0".into()
    } else {
        format!("{f}")
    }
}

/// A date as `YYYY-MM-DD`, or as the month `YYYY-MM` when it is the first of a
/// month in a period column (Excel's reading of a typed `2025-02`).
fn date_text(year: i32, month: u32, day: u32, header: &str) -> String {
    if day == 1 && (header == "period" || header == "baseline_period") {
        format!("{year:04}-{month:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn numbers_read_as_people_typed_them() {
        assert_eq!(number_text(120.0), "120");
        assert_eq!(number_text(12.5), "12.5");
        assert_eq!(number_text(0.1), "0.1");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(1e15), "1000000000000000");
    }
}
