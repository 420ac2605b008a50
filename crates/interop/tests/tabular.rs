//! Reading uploaded CSV and XLSX files into tables, and writing CSV.

use domain::measurement::import::Table;
use interop::tabular::{read_table, write_csv};

fn csv(text: &str) -> Table {
    read_table(text.as_bytes(), "upload.csv").unwrap()
}

/// Each row as (spreadsheet row number, cells).
fn rows(t: &Table) -> Vec<(usize, Vec<&str>)> {
    t.rows
        .iter()
        .map(|r| (r.number, r.cells.iter().map(String::as_str).collect()))
        .collect()
}

#[test]
fn a_byte_order_mark_and_semicolons() {
    let t = read_table(
        "\u{feff}Indicator ; Period;Value\nenrolled;2025-01;12,5\n".as_bytes(),
        "export.CSV",
    )
    .unwrap();
    assert_eq!(t.headers, ["indicator", "period", "value"]);
    assert_eq!(rows(&t), [(2, vec!["enrolled", "2025-01", "12,5"])]);
}

#[test]
fn tabs_separate_pasted_tables() {
    let t = csv("indicator\tperiod\tvalue\r\nenrolled\t2025-01\t3\r\n");
    assert_eq!(t.headers, ["indicator", "period", "value"]);
    assert_eq!(rows(&t), [(2, vec!["enrolled", "2025-01", "3"])]);
}

#[test]
fn a_tie_between_separators_is_a_comma() {
    let t = csv("a;b,c\n1;2,3\n");
    assert_eq!(t.headers, ["a;b", "c"]);
}

#[test]
fn quoted_cells_hold_separators_newlines_and_quotes() {
    let t = csv(concat!(
        "indicator,comment,\"value\"\n",
        "enrolled,\"North, then \"\"South\"\"\",1\n",
        "enrolled,\"two\nlines\",2\n",
        "enrolled, \"spaced, quoted\" ,3\n",
        "enrolled,plain \"quote\",4",
    ));
    assert_eq!(t.headers, ["indicator", "comment", "value"]);
    assert_eq!(
        rows(&t),
        [
            (2, vec!["enrolled", "North, then \"South\"", "1"]),
            // Two lines, one row: the next row is 4, as a spreadsheet shows it.
            (3, vec!["enrolled", "two\nlines", "2"]),
            (4, vec!["enrolled", "spaced, quoted", "3"]),
            (5, vec!["enrolled", "plain \"quote\"", "4"]),
        ]
    );
    // The separator inside quotes of the header does not count.
    let t = csv("\"a;b;c\",d\n1,2\n");
    assert_eq!(t.headers, ["a;b;c", "d"]);
}

#[test]
fn an_unclosed_quote_names_its_row() {
    let e = read_table(b"a,b\n1,\"open\n2,3\n", "x.csv").unwrap_err();
    assert!(e.contains("row 2"), "{e}");
    assert!(e.contains("quoted"), "{e}");
}

#[test]
fn ragged_rows_are_padded_and_extra_values_refused() {
    let t = csv("a,b,c,\n1\n1,2,3,,\n");
    assert_eq!(t.headers, ["a", "b", "c"]);
    assert_eq!(rows(&t), [(2, vec!["1", "", ""]), (3, vec!["1", "2", "3"])]);
    let e = read_table(b"a,b\n1,2\n1,2,3\n", "x.csv").unwrap_err();
    assert!(e.contains("row 3") && e.contains("column C"), "{e}");
}

#[test]
fn blank_and_repeated_headers_name_the_column() {
    let e = read_table(b"a,,c\n1,2,3\n", "x.csv").unwrap_err();
    assert!(e.contains("column 2 (B)"), "{e}");
    let e = read_table(b"Period,value,period\n", "x.csv").unwrap_err();
    assert!(e.contains("column 3 (C)") && e.contains("period"), "{e}");
}

#[test]
fn blank_rows_are_skipped_and_still_counted() {
    let t = csv("\na,b\n1,2\n\n , \n3,4\n");
    assert_eq!(t.headers, ["a", "b"]);
    assert_eq!(rows(&t), [(3, vec!["1", "2"]), (6, vec!["3", "4"])]);
}

#[test]
fn other_encodings_are_refused_naming_the_line() {
    // "Zürich" in Latin-1 on the third line.
    let e = read_table(b"a,b\n1,2\nZ\xfcrich,3\n", "x.csv").unwrap_err();
    assert!(e.contains("line 3") && e.contains("UTF-8"), "{e}");
    let e = read_table(b"\xff\xfea\x00,\x00b\x00", "x.csv").unwrap_err();
    assert!(e.contains("UTF-16"), "{e}");
    assert!(read_table(b"", "x.csv").unwrap_err().contains("empty"));
}

#[test]
fn xlsx_cells_read_as_people_typed_them() {
    let bytes = include_bytes!("data/values.xlsx");
    // Found by its extension, and by its ZIP signature under another name.
    for name in ["values.XLSX", "upload"] {
        let t = read_table(bytes, name).unwrap();
        assert_eq!(
            t.headers,
            [
                "indicator",
                "period",
                "value",
                "partner",
                "comment",
                "baseline_period"
            ]
        );
        assert_eq!(
            rows(&t),
            [
                (
                    2,
                    vec!["enrolled", "2025-02", "120", "North School", "first", ""]
                ),
                // A date outside the period columns keeps its day.
                (3, vec!["enrolled", "2025-03", "12.5", "", "2025-02-01", ""]),
                (5, vec!["enrolled", "2025Q2", "0.1", "", "true", "2024-12"]),
                (6, vec!["enrolled", "2025", "120", "", "", ""]),
            ]
        );
    }
}

#[test]
fn an_xlsx_error_cell_names_its_row_and_column() {
    let e = read_table(include_bytes!("data/error.xlsx"), "error.xlsx").unwrap_err();
    assert!(
        e.contains("row 3") && e.contains("column C") && e.contains("#DIV/0!"),
        "{e}"
    );
}

#[test]
fn a_broken_xlsx_is_refused_clearly() {
    let e = read_table(b"PK\x03\x04 not really a zip", "x.xlsx").unwrap_err();
    assert!(e.contains(".xlsx"), "{e}");
    let e = read_table(b"\xd0\xcf\x11\xe0", "old.xls").unwrap_err();
    assert!(e.contains(".xls"), "{e}");
}

#[test]
fn written_csv_reads_back() {
    let out = write_csv(
        &["indicator", "comment"],
        [
            vec!["enrolled".to_string(), "a, \"b\"\nc".to_string()],
            vec!["visits".to_string(), String::new()],
        ],
    );
    assert_eq!(
        out,
        "indicator,comment\nenrolled,\"a, \"\"b\"\"\nc\"\nvisits,\n"
    );
    let t = csv(&out);
    assert_eq!(
        rows(&t),
        [
            (2, vec!["enrolled", "a, \"b\"\nc"]),
            (3, vec!["visits", ""]),
        ]
    );
}
