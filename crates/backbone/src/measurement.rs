//! `backbone import …`, `backbone export values` and `backbone report …`:
//! shared measurement from the command line, through the same pipeline as the
//! pages and the API (`web::imports`).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use web::imports::{self, Format, ImportError, Progress, ReportError, Stage};

use super::{AnyResult, DbArgs, ImportCommand, ReportCommand, describe, open_existing};

async fn initiative_id(store: &store::Store, slug: &str) -> AnyResult<i64> {
    Ok(store
        .initiative_by_slug(slug)
        .await
        .map_err(|_| format!("--initiative: no initiative {slug}"))?
        .id)
}

fn read_file(path: &str) -> AnyResult<(Vec<u8>, String)> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let name = std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string());
    Ok((bytes, name))
}

/// Every located error on its own line, then the error that ends the command.
fn refused(e: ImportError) -> Box<dyn std::error::Error + Send + Sync> {
    match e {
        ImportError::Rows(errors) => {
            let mut err = std::io::stderr().lock();
            for e in &errors {
                let _ = writeln!(err, "{e}");
            }
            let n = errors.len();
            format!(
                "nothing was imported: {n} error{} (each above with its row and column)",
                if n == 1 { "" } else { "s" }
            )
            .into()
        }
        ImportError::File(m) => format!("nothing was imported: {m}").into(),
        ImportError::Store(e) => describe(e).into(),
    }
}

/// A progress bar on standard error, drawn only when standard error is a
/// terminal (scripts and logs get the summary alone), at most ten times a
/// second.
struct Bar {
    on: bool,
    last: Mutex<Option<Instant>>,
}

impl Bar {
    fn new() -> Self {
        Bar {
            on: std::io::stderr().is_terminal(),
            last: Mutex::new(None),
        }
    }

    fn show(&self, p: Progress) {
        if !self.on {
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let end = p.done == p.total;
        if !end && last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
            return;
        }
        *last = Some(Instant::now());
        const WIDTH: usize = 30;
        let filled = (p.done * WIDTH).checked_div(p.total).unwrap_or(WIDTH);
        let label = match p.stage {
            Stage::Checking => "checking",
            Stage::Writing => "writing ",
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{label} [{}{}] {}/{}",
            "#".repeat(filled),
            " ".repeat(WIDTH - filled),
            p.done,
            p.total
        );
        if end && p.stage == Stage::Writing {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.on {
            // Clear the line the bar was drawn on.
            eprint!("\r{}\r", " ".repeat(60));
        }
    }
}

pub(super) async fn import(db: &DbArgs, command: ImportCommand) -> AnyResult {
    let store = open_existing(db).await?;
    match command {
        ImportCommand::Indicators { file, initiative } => {
            let id = initiative_id(&store, &initiative).await?;
            let (bytes, name) = read_file(&file)?;
            let r = imports::import_indicators(&store, id, None, &bytes, &name)
                .await
                .map_err(refused)?;
            println!(
                "indicators of {initiative}: {} added, {} changed, {} unchanged",
                r.added, r.changed, r.unchanged
            );
        }
        ImportCommand::Hmis { .. } => unreachable!("main dispatches hmis to cases"),
        ImportCommand::Values { file, initiative } => {
            let id = initiative_id(&store, &initiative).await?;
            let (bytes, name) = read_file(&file)?;
            let bar = Bar::new();
            let show = |p: Progress| bar.show(p);
            let result = imports::import_values(&store, id, None, &bytes, &name, &show).await;
            bar.finish();
            let r = result.map_err(refused)?;
            if r.added == 0 && r.changed == 0 {
                println!(
                    "nothing changed: all {} values of {name} are already stored as they are",
                    r.unchanged
                );
            } else {
                println!(
                    "values of {initiative} from {name}: {} added, {} changed, {} unchanged (batch {})",
                    r.added,
                    r.changed,
                    r.unchanged,
                    r.batch_id.unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

pub(super) async fn export_values(
    db: &DbArgs,
    initiative: &str,
    indicator: Option<&str>,
    format: &str,
) -> AnyResult {
    let format =
        Format::parse(format).ok_or_else(|| format!("--format {format}: use csv or json"))?;
    let store = open_existing(db).await?;
    let id = initiative_id(&store, initiative).await?;
    let mut export = imports::ValueExport::new(&store, id, indicator, format)
        .await
        .map_err(|e| match e {
            store::StoreError::NotFound => format!(
                "--indicator: {initiative} has no indicator {}",
                indicator.unwrap_or_default()
            ),
            other => describe(other),
        })?;
    let mut out = std::io::stdout().lock();
    let written = async {
        while let Some(chunk) = export.next_chunk().await.map_err(describe)? {
            out.write_all(chunk.as_bytes())?;
        }
        out.flush()?;
        AnyResult::Ok(())
    };
    match written.await {
        // A reader that stops early (`| head`) is not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        other => other,
    }
}

fn report_error(e: ReportError, initiative: &str, code: &str) -> String {
    match e {
        ReportError::NoIndicator => format!("--indicator: {initiative} has no indicator {code}"),
        ReportError::Invalid(field, m) => format!("--{field}: {m}"),
        ReportError::Store(e) => describe(e),
    }
}

pub(super) async fn report(db: &DbArgs, command: ReportCommand) -> AnyResult {
    match command {
        ReportCommand::Indicator {
            initiative,
            indicator,
            from,
            to,
            format,
        } => {
            if format != "json" && format != "csv" {
                return Err(format!("--format {format}: use json or csv").into());
            }
            let store = open_existing(db).await?;
            let id = initiative_id(&store, &initiative).await?;
            let (_, points) = imports::indicator_report(
                &store,
                id,
                &indicator,
                false,
                from.as_deref(),
                to.as_deref(),
            )
            .await
            .map_err(|e| report_error(e, &initiative, &indicator))?;
            if format == "csv" {
                print!("{}", imports::report_csv(&points));
            } else {
                let doc = domain::measurement::series::report_json(&points);
                println!("{}", serde_json::to_string_pretty(&doc)?);
            }
        }
        ReportCommand::Monthly { .. } => unreachable!("main dispatches monthly to cases"),
        ReportCommand::Rollup {
            network,
            indicator,
            period,
            format,
        } => {
            if format != "json" {
                return Err(format!("--format {format}: the only format is json").into());
            }
            let p = imports::period_arg("period", &period, None)
                .map_err(|e| report_error(e, &network, &indicator))?;
            let store = open_existing(db).await?;
            let n = store
                .network_id_by_slug(&network)
                .await
                .map_err(|_| format!("--network: no network {network}"))?;
            let r = store.rollup(n, &indicator, p).await.map_err(describe)?;
            if r.sites.is_empty() {
                return Err(format!(
                    "--indicator: no initiative of the network {network} has an indicator {indicator}"
                )
                .into());
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&imports::rollup_json(&r))?
            );
        }
        ReportCommand::Transitions { initiative, format } => {
            return super::funding_transitions::report(db, &initiative, &format).await;
        }
    }
    Ok(())
}
