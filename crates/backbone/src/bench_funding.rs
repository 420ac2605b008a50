//! `backbone bench funding`: the open book with a million ledger entries.
//!
//! One initiative with 20 funders (each with a ten-year commitment), 200
//! budget lines a year for ten years, and a ledger of `--entries` entries
//! (1,000,000 by default) written through the ledger's batch path (the one the
//! form and the API use: checks, multi-row inserts, running totals in the same
//! transaction, one audit entry per batch). Then the budget-against-actual page
//! is requested through the router, for every year in turn, and its server
//! time reported as p50/p95 against the target (p95 under 50 ms), on SQLite
//! and, with `--postgres ADMIN_URL`, on a scratch PostgreSQL database.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clap::Args;

use domain::funding::ledger::{EntryKind, NewEntry};
use domain::funding::records::{BudgetLine, Commitment, CommitmentStatus, Funder};
use domain::partnership::{Initiative, Organization, Sector};
use store::{Engine, Store};

use super::AnyResult;

const FUNDERS: usize = 20;
const LINES: usize = 200;
const YEARS: i32 = 10;
const FIRST_YEAR: i32 = 2016;
const BATCH: usize = 10_000;
const SLUG: &str = "bench-book";
const TARGET_P95_MS: f64 = 50.0;

#[derive(Args)]
pub struct FundingArgs {
    /// Ledger entries to write.
    #[arg(long, default_value_t = 1_000_000)]
    entries: usize,
    /// Budget-against-actual pages to time per engine.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// Also run on PostgreSQL: an admin URL such as
    /// postgres://postgres@127.0.0.1:5432/postgres; a scratch database is
    /// created there and dropped at the end.
    #[arg(long, value_name = "ADMIN_URL")]
    postgres: Option<String>,
    /// Skip SQLite (with --postgres: PostgreSQL only).
    #[arg(long)]
    no_sqlite: bool,
    /// Folder for the SQLite database (default: a new one under the system's
    /// temporary folder, removed at the end).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
}

fn err(e: impl std::fmt::Display) -> Box<dyn std::error::Error + Send + Sync> {
    e.to_string().into()
}

struct Figures {
    engine: &'static str,
    entries: usize,
    write: Duration,
    p50_ms: f64,
    p95_ms: f64,
    checksum: i64,
}

struct Book {
    initiative: i64,
    funders: Vec<i64>,
    commitments: Vec<i64>,
    /// By year (from FIRST_YEAR), the line ids.
    lines: Vec<Vec<i64>>,
}

async fn registry(store: &Store) -> AnyResult<Book> {
    let txn = store.write_txn().await.map_err(err)?;
    let i = store::records::create_in(
        &txn,
        None,
        None,
        &Initiative {
            name: "Open book bench".into(),
            slug: SLUG.into(),
            place: String::new(),
            languages: "en".into(),
            description: String::new(),
            network_id: None,
            public: false,
            time_zone: None,
            currency: None,
            translations: Default::default(),
        },
    )
    .await
    .map_err(err)?
    .id;
    let mut funders = vec![];
    let mut commitments = vec![];
    for f in 0..FUNDERS {
        let org = store::records::create_in(
            &txn,
            None,
            Some(i),
            &Organization {
                name: format!("Funder organization {f:02}"),
                sector: if f % 4 == 0 {
                    Sector::LocalGovernment
                } else {
                    Sector::Philanthropy
                },
                identifier: None,
                website: None,
                description: String::new(),
                translations: Default::default(),
            },
        )
        .await
        .map_err(err)?
        .id;
        let funder = store::records::create_in(
            &txn,
            None,
            Some(i),
            &Funder {
                name: format!("Funder {f:02}"),
                organization_id: org,
                keeps_own_grants: String::new(),
                pays_for: String::new(),
                priorities: String::new(),
                answers_public: false,
            },
        )
        .await
        .map_err(err)?
        .id;
        let c = store::records::create_in(
            &txn,
            None,
            Some(i),
            &Commitment {
                title: format!("Ten years of funder {f:02}"),
                funder_id: funder,
                amount_minor: 500_000_000,
                currency: "ILS".into(),
                starts_on: NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1).ok_or("date")?,
                ends_on: NaiveDate::from_ymd_opt(FIRST_YEAR + YEARS - 1, 12, 31).ok_or("date")?,
                status: CommitmentStatus::Received,
                signed_on: NaiveDate::from_ymd_opt(FIRST_YEAR - 1, 11, 1),
                objective_id: None,
                activity_id: None,
                cost_item_id: None,
                reference: String::new(),
            },
        )
        .await
        .map_err(err)?
        .id;
        funders.push(funder);
        commitments.push(c);
    }
    let mut lines = vec![];
    for y in 0..YEARS {
        let mut year = vec![];
        for l in 0..LINES {
            let id = store::records::create_in(
                &txn,
                None,
                Some(i),
                &BudgetLine {
                    name: format!("Line {l:03}"),
                    year: FIRST_YEAR + y,
                    amount_minor: 10_000_000 + (l as i64) * 10_000,
                    currency: "ILS".into(),
                    objective_id: None,
                    activity_id: None,
                    cost_item_id: None,
                },
            )
            .await
            .map_err(err)?
            .id;
            year.push(id);
        }
        lines.push(year);
    }
    txn.commit().await.map_err(err)?;
    Ok(Book {
        initiative: i,
        funders,
        commitments,
        lines,
    })
}

/// The n-th entry: deterministic. One in twenty is income on a commitment;
/// the rest are expenses on a line, paid by one of the line's two funders.
fn entry(book: &Book, n: usize) -> NewEntry {
    let y = (n % YEARS as usize) as i32;
    let day = NaiveDate::from_ymd_opt(
        FIRST_YEAR + y,
        1 + (n / 10 % 12) as u32,
        1 + (n / 120 % 28) as u32,
    )
    .expect("a date");
    let mut e = NewEntry {
        entry_date: day,
        kind: EntryKind::Expense,
        amount_minor: 1_000 + (n as i64 * 7_919) % 100_000,
        currency: "ILS".into(),
        funder_id: None,
        payer: "Partnership".into(),
        payee: format!("Supplier {}", n % 97),
        budget_line_id: None,
        commitment_id: None,
        reference: format!("B-{n}"),
        attachment: String::new(),
    };
    if n.is_multiple_of(20) {
        let f = n / 20 % FUNDERS;
        e.kind = EntryKind::Income;
        e.funder_id = Some(book.funders[f]);
        e.commitment_id = Some(book.commitments[f]);
    } else {
        let l = n / 10 % LINES;
        e.budget_line_id = Some(book.lines[y as usize][l]);
        let f = if n.is_multiple_of(3) {
            l % FUNDERS
        } else {
            (l + 7) % FUNDERS
        };
        e.funder_id = Some(book.funders[f]);
    }
    e
}

async fn run_engine(engine: Engine, url: String, args: &FundingArgs) -> AnyResult<Figures> {
    eprintln!("\n== {}: {}", engine.name(), store::redact_url(&url));
    let store = Store::connect(&url).await.map_err(err)?;
    store.migrate().await.map_err(err)?;
    let book = registry(&store).await?;
    let started = Instant::now();
    let mut written = 0;
    while written < args.entries {
        let upto = (written + BATCH).min(args.entries);
        let batch: Vec<NewEntry> = (written..upto).map(|n| entry(&book, n)).collect();
        store
            .write_ledger(book.initiative, None, "bench", &batch)
            .await
            .map_err(err)?;
        written = upto;
        if written % 100_000 == 0 {
            eprintln!(
                "  {written} entries ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let write = started.elapsed();
    eprintln!(
        "  wrote {written} entries in {:.1} s ({:.0} entries/s)",
        write.as_secs_f64(),
        written as f64 / write.as_secs_f64()
    );
    // The check: the totals must equal a recount of the entries.
    let kept: i64 = store
        .ledger_totals(book.initiative, None)
        .await
        .map_err(err)?
        .iter()
        .map(|t| t.total_minor)
        .sum();
    let expected: i64 = (0..args.entries)
        .map(|n| entry(&book, n).amount_minor)
        .sum();
    if kept != expected {
        return Err(
            format!("running totals {kept} differ from the entries' sum {expected}").into(),
        );
    }
    let (p50_ms, p95_ms) = page_times(&store, args.samples).await?;
    store.db.clone().close().await.ok();
    Ok(Figures {
        engine: engine.name(),
        entries: written,
        write,
        p50_ms,
        p95_ms,
        checksum: kept,
    })
}

/// Server time of `/i/{slug}/funding/budget?year=Y` through the router, for
/// each year in turn (the first request a warm-up, not counted).
async fn page_times(store: &Store, samples: usize) -> AnyResult<(f64, f64)> {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;
    let user = store
        .create_user(
            "bench-partner@example.org",
            "Bench partner",
            Some("bench-password-123"),
            false,
        )
        .await
        .map_err(err)?;
    let i = store.initiative_by_slug(SLUG).await.map_err(err)?;
    store
        .grant_role(None, user.id, i.id, domain::access::Role::Partner)
        .await
        .map_err(err)?;
    let (secret, _) = store.create_session(user.id).await.map_err(err)?;
    let cookie = format!("bb_session={secret}");
    let router = web::router(web::AppState::new(store.clone(), web::Config::default()));
    let mut times = vec![];
    for n in 0..=samples.max(1) {
        let year = FIRST_YEAR + (n as i32 % YEARS);
        let req = Request::builder()
            .uri(format!("/i/{SLUG}/funding/budget?year={year}"))
            .header(header::COOKIE, &cookie)
            .header(header::ACCEPT_LANGUAGE, "en")
            .body(Body::empty())?;
        let t = Instant::now();
        let res = router.clone().oneshot(req).await?;
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
        let took = t.elapsed();
        if status != 200 {
            return Err(format!("the budget page answered {status}").into());
        }
        if !String::from_utf8_lossy(&body).contains("Line 199") {
            return Err("the budget page does not list the lines".into());
        }
        if n > 0 {
            times.push(took.as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    Ok((at(0.50), at(0.95)))
}

pub async fn run(args: FundingArgs) -> AnyResult {
    if args.entries == 0 {
        return Err("--entries must be at least 1".into());
    }
    println!(
        "Backbone open book bench: {} ledger entries, {LINES} budget lines × {YEARS} years, {FUNDERS} funders",
        args.entries
    );
    let figures = crate::bench::on_scratch_engines(
        "funding",
        args.work_dir.as_deref(),
        args.no_sqlite,
        args.postgres.as_deref(),
        |engine, url| run_engine(engine, url, &args),
    )
    .await?;
    println!(
        "\n{:<10} {:>10} {:>12} {:>14} {:>10} {:>10} {:>8}",
        "engine", "entries", "write (s)", "entries/s", "p50 (ms)", "p95 (ms)", "target"
    );
    let mut all_met = true;
    for f in &figures {
        let met = f.p95_ms < TARGET_P95_MS;
        all_met &= met;
        println!(
            "{:<10} {:>10} {:>12.1} {:>14.0} {:>10.2} {:>10.2} {:>8}",
            f.engine,
            f.entries,
            f.write.as_secs_f64(),
            f.entries as f64 / f.write.as_secs_f64(),
            f.p50_ms,
            f.p95_ms,
            if met { "met" } else { "MISSED" }
        );
    }
    println!(
        "\nbudget-against-actual page (server time through the router, {} requests over {YEARS} years): target p95 < {TARGET_P95_MS} ms; running totals checked against the entries' sum ({})",
        args.samples,
        figures
            .iter()
            .map(|f| format!("{} {}", f.engine, f.checksum))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !all_met {
        return Err("the budget-against-actual page missed its target".into());
    }
    Ok(())
}
