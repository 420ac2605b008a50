//! `backbone import hmis` and `backbone report monthly`.
//!
//! `import hmis` reads an HMIS CSV FY2024 export (a folder or a zip file),
//! checks it whole (`interop::hmis`), and writes its people and their status
//! events into a by-name list through the store's one import path
//! (`Store::import_case_people`): all or nothing, idempotent. Every problem is
//! printed on standard error on its own line, located as
//! `File.csv, row R, column C: message`; warnings follow `warning:`; the
//! summary goes to standard output. No line carries a person's name or date of
//! birth (the reader's and the store's messages never do).
//!
//! `report monthly` prints one row per month of a list and population, as CSV
//! (header [`domain::cases::report::FIELDS`]) or a JSON array of objects with
//! the same field names.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use domain::cases::events::Source;
use domain::cases::person::Population;
use domain::cases::report::{FIELDS, Month};
use interop::hmis::{self, Files, Located};
use store::cases::import::Incoming;

use crate::{AnyResult, DbArgs, describe, open_existing};

/// Inactivity days when the list does not exist yet (a new list's default).
const DEFAULT_INACTIVITY_DAYS: u32 = 90;

/// The flags of `backbone report monthly`.
pub struct MonthlyArgs {
    pub initiative: String,
    pub list: String,
    pub population: String,
    pub from: String,
    pub to: String,
    pub cut_off: Option<String>,
    pub format: String,
}

async fn initiative_id(store: &store::Store, slug: &str) -> AnyResult<i64> {
    Ok(store
        .initiative_by_slug(slug)
        .await
        .map_err(|_| format!("--initiative: no initiative {slug}"))?
        .id)
}

/// Every located problem on its own line of standard error, then the error
/// that ends the command.
fn refused(errors: &[Located]) -> Box<dyn std::error::Error + Send + Sync> {
    let mut err = std::io::stderr().lock();
    for e in errors {
        let _ = writeln!(err, "{e}");
    }
    let n = errors.len();
    format!(
        "nothing was imported: {n} error{} (each above with its file, row and column)",
        if n == 1 { "" } else { "s" }
    )
    .into()
}

/// SHA-256 of the export: each file's name, length and bytes, in name order,
/// so the same export gives the same hash from a folder or a zip file.
fn files_hash(files: &Files) -> String {
    let mut h = Sha256::new();
    for name in files.names() {
        let bytes = files.get(name).unwrap_or_default();
        h.update(name.as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    hex::encode(h.finalize())
}

/// What is going on, on standard error, while a long step runs: a line
/// redrawn in place on a terminal, otherwise a plain line every ten seconds.
/// Dropped when the step ends.
struct Ticker {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Ticker {
    fn start(what: String) -> Ticker {
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let terminal = std::io::stderr().is_terminal();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let every = if terminal {
                Duration::from_millis(250)
            } else {
                Duration::from_secs(10)
            };
            const FRAMES: [&str; 4] = ["|", "/", "-", "\\"];
            let mut n = 0usize;
            loop {
                tokio::select! {
                    _ = &mut rx => break,
                    _ = tokio::time::sleep(every) => {}
                }
                n += 1;
                let secs = started.elapsed().as_secs();
                let mut err = std::io::stderr().lock();
                if terminal {
                    let _ = write!(err, "\r{} {what} … {secs} s", FRAMES[n % 4]);
                } else {
                    let _ = writeln!(err, "{what} … {secs} s");
                }
                let _ = err.flush();
            }
            if terminal && n > 0 {
                eprint!("\r{}\r", " ".repeat(70));
            }
        });
        Ticker {
            stop: Some(tx),
            task: Some(task),
        }
    }

    async fn finish(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

/// A store refusal of the import: each field error is about one `PersonalID`;
/// it is located at that client's row of Client.csv.
fn store_refusal(
    e: store::StoreError,
    rows: &HashMap<String, usize>,
) -> Box<dyn std::error::Error + Send + Sync> {
    match e {
        store::StoreError::Invalid(f) => {
            let located: Vec<Located> =
                f.0.into_iter()
                    .map(|(field, fe)| {
                        let id = field.strip_prefix("PersonalID ").unwrap_or(&field);
                        Located {
                            file: "Client.csv".into(),
                            row: rows.get(id).copied(),
                            column: Some("PersonalID".into()),
                            code: fe.code,
                            message: format!("PersonalID {id}: {}", fe.message),
                        }
                    })
                    .collect();
            refused(&located)
        }
        other => describe(other).into(),
    }
}

pub async fn import_hmis(db: &DbArgs, path: &str, initiative: &str, list: &str) -> AnyResult {
    let p = Path::new(path);
    if !p.exists() {
        return Err(format!("cannot read {path}: no such folder or file").into());
    }
    let store = open_existing(db).await?;
    let i = initiative_id(&store, initiative).await?;
    let existing = store.case_list_named(i, list).await.map_err(describe)?;
    let days = existing
        .as_ref()
        .map_or(DEFAULT_INACTIVITY_DAYS, |l| l.inactivity_days);

    let started = Instant::now();
    let ticker = Ticker::start(format!("reading and checking {path}"));
    let read = hmis::read_path(p);
    let parsed = read
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|f| hmis::parse(f, days));
    ticker.finish().await;
    let files = read.map_err(|e| refused(&e))?;
    let export = parsed.map_err(|e| refused(&e))?;
    for w in &export.warnings {
        eprintln!("warning: {w}");
    }
    let hash = files_hash(&files);
    let file_name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string());
    let rows: HashMap<String, usize> = export
        .people
        .iter()
        .map(|p| (p.personal_id.clone(), p.client_row))
        .collect();
    let incoming: Vec<Incoming> = export
        .people
        .into_iter()
        .map(|p| Incoming {
            external_id: p.personal_id,
            person: p.person,
            events: p
                .events
                .into_iter()
                .map(|e| (e.occurred_on, e.kind, e.chronic))
                .collect(),
        })
        .collect();
    let events: usize = incoming.iter().map(|p| p.events.len()).sum();
    let ticker = Ticker::start(format!(
        "writing {} people and {events} events",
        incoming.len()
    ));
    let result = store
        .import_case_people(i, list, None, Source::Hmis, &file_name, &hash, &incoming)
        .await;
    ticker.finish().await;
    let s = result.map_err(|e| store_refusal(e, &rows))?;
    let took = started.elapsed().as_secs_f64();
    let erased = if s.people_erased_skipped > 0 {
        format!(
            "; {} erased on request, left erased",
            s.people_erased_skipped
        )
    } else {
        String::new()
    };
    if s.batch_id.is_none() {
        println!(
            "nothing changed: list {list:?} of {initiative} already holds this export ({} people unchanged{erased}; export {}, {} rows read in {took:.1} s)",
            s.people_unchanged, export.export_id, export.rows
        );
    } else {
        println!(
            "list {list:?} of {initiative}{}: people added {}, changed {}, unchanged {}; events added {}, voided {}{erased} (export {}, {} rows read in {took:.1} s)",
            if s.list_created { " (created)" } else { "" },
            s.people_added,
            s.people_changed,
            s.people_unchanged,
            s.events_added,
            s.events_voided,
            export.export_id,
            export.rows
        );
    }
    Ok(())
}

/// `--cut-off`: RFC 3339 (`2026-02-01T00:00:00Z`), or a date (`2026-02-01`)
/// meaning the end of that day in UTC.
fn parse_cut_off(s: &str) -> Option<store::Timestamp> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&chrono::Utc).into());
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(23, 59, 59)?.and_utc().into())
}

pub async fn report_monthly(db: &DbArgs, q: MonthlyArgs) -> AnyResult {
    let population = Population::parse(&q.population).ok_or_else(|| {
        let known: Vec<&str> = Population::ALL.iter().map(|p| p.as_str()).collect();
        format!("--population {}: one of {}", q.population, known.join(", "))
    })?;
    let from = Month::parse(&q.from)
        .ok_or_else(|| format!("--from {}: expected a month, YYYY-MM", q.from))?;
    let to =
        Month::parse(&q.to).ok_or_else(|| format!("--to {}: expected a month, YYYY-MM", q.to))?;
    if to < from {
        return Err(format!("--to {to}: before --from {from}").into());
    }
    if from.until(to) >= 1200 {
        return Err(format!("--to {to}: at most 100 years of months from --from").into());
    }
    let cut_off = match &q.cut_off {
        None => None,
        Some(c) => Some(parse_cut_off(c).ok_or_else(|| {
            format!("--cut-off {c}: expected a time (2026-02-01T00:00:00Z) or a date (2026-02-01)")
        })?),
    };
    if !matches!(q.format.as_str(), "csv" | "json") {
        return Err(format!("--format {}: give csv or json", q.format).into());
    }
    let store = open_existing(db).await?;
    let i = initiative_id(&store, &q.initiative).await?;
    let Some(list) = store.case_list_named(i, &q.list).await.map_err(describe)? else {
        let lists = store.case_lists(i).await.map_err(describe)?;
        let names: Vec<String> = lists.iter().map(|l| format!("{:?}", l.name)).collect();
        return Err(format!(
            "--list: no list named {:?} in {} (its lists: {})",
            q.list,
            q.initiative,
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )
        .into());
    };
    let rows = store
        .case_monthly(i, list.id, population, from, to, cut_off)
        .await
        .map_err(describe)?;
    let mut out = std::io::stdout().lock();
    if q.format == "json" {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
    } else {
        let csv = interop::tabular::write_csv(&FIELDS, rows.iter().map(|r| r.csv_row().to_vec()));
        out.write_all(csv.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}
