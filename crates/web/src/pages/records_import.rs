//! Organizations and people from a spreadsheet, and every list back out as CSV.
//!
//! An import reads a CSV or XLSX file (`interop::tabular`), checks every row
//! as the form would, then writes all of them in one transaction, or none:
//! the page lists each refusal by row and column. A row that would duplicate a
//! live record, or an earlier row of the same file, is refused like a form
//! would refuse it (see `docs/decisions/0014-duplicates.md`).

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};

use domain::measurement::import::{RowError, Table};
use domain::validation::FieldMap;

use super::{Chrome, render_status};
use crate::AppState;
use crate::access::{Authorized, Read, Write};
use crate::error::{AppError, PageResult};
use crate::kinds::{Kind, RefNames, Widget, display};

/// Shown on the page at most; the rest are counted.
const SHOWN_ERRORS: usize = 200;

/// The columns a file may have: the form's fields that hold text, dates or
/// choices (never a reference to an account).
pub fn import_columns<T: Kind>() -> Vec<&'static str> {
    T::fields()
        .iter()
        .filter(|d| !matches!(d.widget, Widget::Ref(_)))
        .map(|d| d.name)
        .collect()
}

/// Every row of `table` as a value of `T`, or every error by row and column.
pub fn parse_rows<T: Kind>(table: &Table) -> Result<Vec<T>, Vec<RowError>> {
    let columns = import_columns::<T>();
    let mut errors = vec![];
    for h in &table.headers {
        if !columns.contains(&h.as_str()) {
            errors.push(RowError::new(
                1,
                h.clone(),
                format!("unknown column; the columns are {}", columns.join(", ")),
            ));
        }
    }
    for d in T::fields().iter().filter(|d| d.required) {
        if columns.contains(&d.name) && table.column(d.name).is_none() {
            errors.push(RowError::new(1, d.name, "this column is required"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut values = vec![];
    for row in &table.rows {
        let fields: FieldMap = table
            .headers
            .iter()
            .zip(&row.cells)
            .map(|(h, v)| (h.clone(), v.clone()))
            .collect();
        match T::parse(&fields) {
            Ok(v) => values.push(v),
            Err(e) => errors.extend(
                e.0.into_iter()
                    .map(|(field, err)| RowError::new(row.number, field, err.message)),
            ),
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

#[derive(Template)]
#[template(path = "records_import.html")]
struct ImportPage {
    c: Chrome,
    heading: String,
    action: String,
    columns: String,
    errors: Vec<RowError>,
    /// "…and 12 more", when not all errors are shown.
    more_errors: String,
    error: String,
}

fn import_chrome<T: Kind>(auth: &Authorized<Write>) -> (Chrome, String) {
    let (ctx, i, g) = (&auth.ctx, auth.initiative(), auth.grants());
    let c = Chrome::new(ctx, String::new()).in_initiative(i, g, T::PATH);
    let kind = c.t(&format!("kind-{}", T::PATH));
    let heading = c.t1("records-import-heading", "kind", &kind);
    let c = c
        .crumb(format!("/i/{}/{}", i.data.slug, T::PATH), kind)
        .crumb(String::new(), heading.clone());
    (
        Chrome {
            title: heading.clone(),
            ..c
        },
        heading,
    )
}

fn import_page<T: Kind>(
    auth: &Authorized<Write>,
    errors: Vec<RowError>,
    error: String,
    status: StatusCode,
) -> PageResult {
    let (c, heading) = import_chrome::<T>(auth);
    let more = errors.len().saturating_sub(SHOWN_ERRORS);
    let more_errors = if more > 0 {
        c.tr.tn("records-import-more", &[("count", more.to_string())])
    } else {
        String::new()
    };
    render_status(
        status,
        &ImportPage {
            c,
            heading,
            action: format!("/i/{}/{}/import", auth.initiative().data.slug, T::PATH),
            columns: import_columns::<T>().join(","),
            errors: errors.into_iter().take(SHOWN_ERRORS).collect(),
            more_errors,
            error,
        },
    )
}

pub async fn import_form<T: Kind>(auth: Authorized<Write>) -> PageResult {
    import_page::<T>(&auth, vec![], String::new(), StatusCode::OK)
}

pub async fn import<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Write>,
    mut form: Multipart,
) -> PageResult {
    let (mut csrf, mut file) = (None, None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        match field.name().unwrap_or("") {
            "_csrf" => csrf = field.text().await.ok(),
            "file" => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                let bytes = field.bytes().await.map_err(|_| AppError::TooLarge)?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    auth.ctx.check_csrf(csrf.as_deref())?;
    let tr = &auth.ctx.tr;
    let refused =
        |errors, error| import_page::<T>(&auth, errors, error, StatusCode::UNPROCESSABLE_ENTITY);
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return refused(vec![], tr.t("measurement-import-no-file"));
    };
    let table = match interop::tabular::read_table(&bytes, &name) {
        Ok(t) => t,
        Err(e) => return refused(vec![], e),
    };
    let values = match parse_rows::<T>(&table) {
        Ok(v) => v,
        Err(errors) => return refused(errors, tr.t("records-import-refused")),
    };
    if values.is_empty() {
        return refused(vec![], tr.t("records-import-empty"));
    }
    let columns = table.headers.clone();
    let rows: Vec<FieldMap> = table
        .rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .cloned()
                .zip(r.cells.iter().cloned())
                .collect()
        })
        .collect();
    match auth.registry(&s.store).create_all(&rows, &values).await {
        Ok(n) => {
            let slug = &auth.initiative().data.slug;
            Ok(Redirect::to(&format!("/i/{slug}/{}?imported={n}", T::PATH)).into_response())
        }
        Err((n, AppError::Invalid(e))) => {
            let row = table.rows.get(n).map(|r| r.number).unwrap_or(0);
            let errors =
                e.0.into_iter()
                    .map(|(field, err)| RowError::new(row, field, err.message))
                    .collect();
            refused(errors, tr.t("records-import-refused"))
        }
        Err((_, e)) => Err(e.into()),
    }
}

/// Every record of a list (its filters applied) as CSV: the form's fields by
/// their names, choices as their codes, references by the name of what they
/// refer to; contact details only for those who may read them.
pub async fn export<T: Kind>(
    State(s): State<AppState>,
    auth: Authorized<Read>,
    Path(slug): Path<String>,
    Query(q): Query<super::records::ListQuery>,
) -> PageResult {
    let reg = auth.registry(&s.store);
    let opts = store::records::ListOptions {
        include_archived: q.archived(),
        ..store::records::ListOptions::all()
    };
    let records = reg.search::<T>(opts, &q.search::<T>(auth.grants())).await?;
    let defs = T::fields();
    let refs = RefNames::load(&s.store, auth.initiative().id, &defs).await?;
    let tr = &auth.ctx.tr;
    let mut headers = vec!["id"];
    headers.extend(defs.iter().map(|d| d.name));
    headers.push("archived");
    let rows = records.iter().map(|r| {
        let values = r.data.to_fields();
        let stored = r.data.stored_values();
        let mut row = vec![r.id.to_string()];
        row.extend(defs.iter().map(|d| match d.widget {
            Widget::Ref(_) => display(tr, d, &stored, &refs),
            _ => values.get(d.name).cloned().unwrap_or_default(),
        }));
        row.push(r.archived.to_string());
        row.into_iter().map(|c| spreadsheet_safe(&c)).collect()
    });
    let body = interop::tabular::write_csv(&headers, rows);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-{}.csv\"", T::PATH),
            ),
        ],
        format!("\u{feff}{body}"),
    )
        .into_response())
}

/// A cell a spreadsheet program would run as a formula (`=`, `+`, `-`, `@`
/// first) gets a leading apostrophe, so an exported name never executes.
fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::measurement::import::TableRow;
    use domain::partnership::Organization;

    fn table(headers: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(n, r)| TableRow {
                    number: n + 2,
                    cells: r.iter().map(|c| c.to_string()).collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn rows_are_checked_like_forms_and_located() {
        let t = table(
            &["name", "sector"],
            &[&["Lod Municipality", "local_government"], &["", "nonsense"]],
        );
        let errors = parse_rows::<Organization>(&t).unwrap_err();
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(at, vec![(3, "name"), (3, "sector")]);
        let t = table(&["name", "colour"], &[&["A", "red"]]);
        let errors = parse_rows::<Organization>(&t).unwrap_err();
        assert!(errors.iter().any(|e| e.row == 1 && e.column == "colour"));
        assert!(
            errors.iter().any(|e| e.row == 1 && e.column == "sector"),
            "{errors:?}"
        );
    }

    #[test]
    fn formulas_never_run_in_a_spreadsheet() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("-5"), "'-5");
        assert_eq!(spreadsheet_safe("Lod"), "Lod");
    }
}
