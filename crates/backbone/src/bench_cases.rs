//! `backbone bench cases`: by-name lists at a network's scale.
//!
//! Generates N people (default 1,000,000) with about M status events (default
//! 10,000,000) across L lists (default 100) over five years (2021–2025), with
//! plausible flows: people are identified, seen again every few weeks, and
//! housed, go inactive or stop meeting the criteria; many come back later. The
//! data goes in through the store's own import path
//! (`Store::import_case_people`, one export per list, all or nothing, the
//! spells aggregate written in the same transaction). Then, per engine:
//!
//! - one list's 60 monthly reports (`Store::case_monthly`, one call), p50 and
//!   p95 over repeated runs across the lists (target: under 100 ms);
//! - the whole network's 60 monthly reports (`Store::case_monthly_lists` over
//!   every list);
//! - the import's speed in rows per second, people and events written
//!   (target: at least 50,000 a second on SQLite).
//!
//! Beside them: DuckDB (`xtask/bench/cases_duckdb.py`, Python package
//! `duckdb`) computing the same monthly reports from the same events (written
//! to CSV), with its times, and whether its figures equal Backbone's — one
//! list in each of the five populations, and the network. Nothing here runs in
//! CI; no test asserts on time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clap::Args;

use domain::cases::events::{EventKind, Source};
use domain::cases::person::{HouseholdType, Person, Population};
use domain::cases::report::Month;
use domain::partnership::Initiative;
use store::cases::import::Incoming;
use store::{Engine, Store};

use super::AnyResult;

/// The helper that runs DuckDB, carried in the binary so that the bench runs
/// from any folder.
const DUCKDB_SCRIPT: &str = include_str!("../../../xtask/bench/cases_duckdb.py");
const SLUG: &str = "bench-cases";
const TARGET_LIST_MS: f64 = 100.0;
const TARGET_ROWS_PER_S: f64 = 50_000.0;
const FIRST_DAY: (i32, u32, u32) = (2021, 1, 1);
/// Five years of days: 2021-01-01 through 2025-12-31.
const DAYS: i64 = 1826;

#[derive(Args)]
pub struct CasesArgs {
    /// People, spread evenly over the lists.
    #[arg(long, default_value_t = 1_000_000)]
    people: usize,
    /// Status events, about (each person gets a random share; a history that
    /// would run past 2025 stops there).
    #[arg(long, default_value_t = 10_000_000)]
    events: usize,
    /// By-name lists.
    #[arg(long, default_value_t = 100)]
    lists: usize,
    /// Report runs to time per engine.
    #[arg(long, default_value_t = 30)]
    samples: usize,
    /// Also run on PostgreSQL: an admin URL such as
    /// postgres://postgres@127.0.0.1:5432/postgres; a scratch database is
    /// created there and dropped at the end.
    #[arg(long, value_name = "ADMIN_URL")]
    postgres: Option<String>,
    /// Skip SQLite (with --postgres: PostgreSQL only).
    #[arg(long)]
    no_sqlite: bool,
    /// Folder for the SQLite database and the CSV files (default: a new one
    /// under the system's temporary folder, removed at the end).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// The Python that runs DuckDB.
    #[arg(long, default_value = "python3")]
    python: String,
}

fn err(e: impl std::fmt::Display) -> Box<dyn std::error::Error + Send + Sync> {
    e.to_string().into()
}

/// A small deterministic generator (splitmix64): the same seed gives the same
/// people and events on both engines and in the CSV DuckDB reads.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// 0..n
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).expect("a date")
}

/// The people of list `l` (0-based): `people` of them, numbered from `first`,
/// about `per_person` events each. Dates grow strictly within a person.
fn generate_list(l: usize, people: usize, first: usize, per_person: f64) -> Vec<Incoming> {
    let mut rng = Rng(0xCA5E_0000 + l as u64);
    let start = first_day();
    let span = (2.0 * per_person - 1.0).max(1.0) as u64;
    (0..people)
        .map(|k| {
            let key = first + k;
            let target = 1 + rng.below(span) as usize;
            let born = NaiveDate::from_ymd_opt(1945 + rng.below(65) as i32, 1, 1).expect("a date")
                + chrono::Duration::days(rng.below(365) as i64);
            let person = Person {
                first_name: Some(format!("P{key}")),
                last_name: None,
                date_of_birth: Some(born),
                veteran: Some(rng.chance(8)),
                household_type: Some(if rng.chance(12) {
                    HouseholdType::AdultsAndChildren
                } else {
                    HouseholdType::Individual
                }),
                ..Default::default()
            };
            let mut events = Vec::with_capacity(target);
            let mut day = rng.below(DAYS as u64 - 1) as i64;
            let mut active = false;
            let mut last = day;
            while events.len() < target && day < DAYS {
                last = day;
                let on = start + chrono::Duration::days(day);
                if !active {
                    events.push((on, EventKind::Identified, rng.chance(20)));
                    active = true;
                } else {
                    let r = rng.below(100);
                    let kind = match r {
                        0..70 => EventKind::Contact,
                        70..82 => EventKind::Housed,
                        82..95 => EventKind::Inactive,
                        _ => EventKind::NoLongerMeetsCriteria,
                    };
                    let chronic = kind == EventKind::Contact && rng.chance(10);
                    events.push((on, kind, chronic));
                    active = kind == EventKind::Contact;
                }
                day += if active {
                    1 + rng.below(30) as i64
                } else {
                    7 + rng.below(120) as i64
                };
            }
            // As an export derives it: no news for 90 days makes a person
            // inactive.
            if active && last + 90 < DAYS {
                let on = start + chrono::Duration::days(last + 90);
                events.push((on, EventKind::Inactive, false));
            }
            Incoming {
                external_id: key.to_string(),
                person,
                events,
            }
        })
        .collect()
}

struct Plan {
    lists: usize,
    people: usize,
    per_person: f64,
    samples: usize,
    events_csv: PathBuf,
    people_csv: PathBuf,
}

impl Plan {
    /// People of list `l` and the number of the first one.
    fn share(&self, l: usize) -> (usize, usize) {
        let base = self.people / self.lists;
        let extra = self.people % self.lists;
        let n = base + usize::from(l < extra);
        let first = l * base + l.min(extra);
        (n, first)
    }
    fn list(&self, l: usize) -> Vec<Incoming> {
        let (n, first) = self.share(l);
        generate_list(l, n, first, self.per_person)
    }
}

/// Every event and every person's facts to CSV, for DuckDB. Gives the number
/// of events.
fn write_csv(plan: &Plan) -> AnyResult<usize> {
    let mut ev =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&plan.events_csv)?);
    let mut pp =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&plan.people_csv)?);
    writeln!(ev, "list,person,seq,occurred_on,kind,chronic")?;
    writeln!(pp, "list,person,veteran,family,dob")?;
    let mut n = 0;
    for l in 0..plan.lists {
        for p in plan.list(l) {
            let facts = p.person.facts();
            writeln!(
                pp,
                "{l},{},{},{},{}",
                p.external_id,
                facts.veteran,
                facts.family,
                facts
                    .date_of_birth
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            )?;
            for (i, (on, kind, chronic)) in p.events.iter().enumerate() {
                writeln!(
                    ev,
                    "{l},{},{i},{on},{},{chronic}",
                    p.external_id,
                    kind.as_str()
                )?;
                n += 1;
            }
        }
    }
    ev.flush()?;
    pp.flush()?;
    Ok(n)
}

type Rows = Vec<[String; 9]>;

struct Figures {
    engine: &'static str,
    people: usize,
    events: usize,
    import: Duration,
    list_p50_ms: f64,
    list_p95_ms: f64,
    network_ms: f64,
    /// List 0 in each population, in `Population::ALL` order.
    list_rows: Vec<Rows>,
    network_rows: Rows,
}

fn months() -> (Month, Month) {
    let from = Month::of(first_day());
    (from, from.plus(59))
}

fn latency(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() - 1) as f64 * p) as usize];
    (at(0.50), at(0.95))
}

async fn run_engine(engine: Engine, url: String, plan: &Plan) -> AnyResult<Figures> {
    eprintln!("\n== {}: {}", engine.name(), store::redact_url(&url));
    let store = Store::connect(&url).await.map_err(err)?;
    store.migrate().await.map_err(err)?;
    let initiative = store
        .create(
            None,
            None,
            &Initiative {
                name: "Cases bench".into(),
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
    let (mut people, mut events) = (0usize, 0usize);
    let mut import = Duration::ZERO;
    let mut lists = Vec::with_capacity(plan.lists);
    let mut last_note = Instant::now();
    for l in 0..plan.lists {
        let incoming = plan.list(l);
        let name = format!("List {l:03}");
        let t = Instant::now();
        let s = store
            .import_case_people(
                initiative,
                &name,
                None,
                Source::Hmis,
                &format!("bench-{l:03}.zip"),
                &format!("{l:064x}"),
                &incoming,
            )
            .await
            .map_err(|e| format!("importing {name}: {e:?}"))?;
        import += t.elapsed();
        people += s.people_added;
        events += s.events_added;
        lists.push(s.list_id);
        if last_note.elapsed() > Duration::from_secs(10) || l + 1 == plan.lists {
            last_note = Instant::now();
            eprintln!(
                "  imported {} of {} lists: {people} people, {events} events in {:.1} s",
                l + 1,
                plan.lists,
                import.as_secs_f64()
            );
        }
    }
    let (from, to) = months();
    let rows = |r: Vec<domain::cases::report::MonthlyReport>| -> Rows {
        r.iter().map(|m| m.csv_row()).collect()
    };
    let mut list_rows = vec![];
    for pop in Population::ALL {
        let r = store
            .case_monthly(initiative, lists[0], *pop, from, to, None)
            .await
            .map_err(err)?;
        list_rows.push(rows(r));
    }
    let mut times = vec![];
    for i in 0..plan.samples.max(1) {
        let list = lists[(i * 37) % lists.len()];
        let t = Instant::now();
        store
            .case_monthly(initiative, list, Population::All, from, to, None)
            .await
            .map_err(err)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (list_p50_ms, list_p95_ms) = latency(times);
    let mut times = vec![];
    let mut network_rows = vec![];
    for _ in 0..3 {
        let t = Instant::now();
        let r = store
            .case_monthly_lists(&lists, Population::All, from, to)
            .await
            .map_err(err)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        network_rows = rows(r);
    }
    let (network_ms, _) = latency(times);
    store.db.clone().close().await.ok();
    Ok(Figures {
        engine: engine.name(),
        people,
        events,
        import,
        list_p50_ms,
        list_p95_ms,
        network_ms,
        list_rows,
        network_rows,
    })
}

/// DuckDB's figures, or why there are none.
fn duckdb(args: &CasesArgs, plan: &Plan, dir: &Path) -> Result<serde_json::Value, String> {
    let script = dir.join("cases_duckdb.py");
    std::fs::write(&script, DUCKDB_SCRIPT).map_err(|e| e.to_string())?;
    let (from, to) = months();
    let out = std::process::Command::new(&args.python)
        .arg(&script)
        .arg("--events")
        .arg(&plan.events_csv)
        .arg("--people")
        .arg(&plan.people_csv)
        .args(["--list", "0", "--from", &from.to_string(), "--to", &to.to_string()])
        .args(["--repeat", &plan.samples.max(1).to_string()])
        .output()
        .map_err(|e| {
            format!(
                "{} could not be started ({e}): install Python 3 and `pip install duckdb` for the DuckDB figures",
                args.python
            )
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.trim()).map_err(|_| {
        format!(
            "the DuckDB helper failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })?;
    if v.get("missing").is_some() {
        return Err(format!(
            "the Python package duckdb is missing for {}: `pip install duckdb` (or --python a Python that has it) for the DuckDB figures",
            args.python
        ));
    }
    Ok(v)
}

fn as_rows(v: &serde_json::Value) -> Option<Rows> {
    v.as_array()?
        .iter()
        .map(|r| {
            let cells: Vec<String> = r
                .as_array()?
                .iter()
                .map(|c| c.as_str().map(str::to_string))
                .collect::<Option<_>>()?;
            cells.try_into().ok()
        })
        .collect()
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

pub async fn run(args: CasesArgs) -> AnyResult {
    if args.lists == 0 || args.people < args.lists {
        return Err("--lists must be at least 1, and --people at least --lists".into());
    }
    if args.events < args.people {
        return Err("--events must be at least --people (each person is identified once)".into());
    }
    let (dir, temporary) = match &args.work_dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("backbone-bench-cases-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir)?;
    let plan = Plan {
        lists: args.lists,
        people: args.people,
        per_person: args.events as f64 / args.people as f64,
        samples: args.samples,
        events_csv: dir.join("case_events.csv"),
        people_csv: dir.join("case_people.csv"),
    };
    let t = Instant::now();
    let events = write_csv(&plan)?;
    println!(
        "Backbone cases bench: {} people, {events} status events on {} lists over 60 months (2021-01 to 2025-12); generated in {:.1} s",
        args.people,
        args.lists,
        t.elapsed().as_secs_f64()
    );
    let figures = crate::bench::on_scratch_engines(
        "cases",
        Some(&dir),
        args.no_sqlite,
        args.postgres.as_deref(),
        |engine, url| run_engine(engine, url, &plan),
    )
    .await?;

    eprintln!("\n== DuckDB: the same reports from the same events");
    let duck = duckdb(&args, &plan, &dir);
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        let _ = std::fs::remove_file(&plan.events_csv);
        let _ = std::fs::remove_file(&plan.people_csv);
        let _ = std::fs::remove_file(dir.join("cases_duckdb.py"));
    }

    println!();
    let duck = match duck {
        Ok(d) => {
            println!(
                "DuckDB {}: {} events loaded from CSV in {:.1} s, {} spells built in {:.2} s; one list's 60 months p50 {:.2} ms, p95 {:.2} ms; the network's {:.1} ms",
                d["version"].as_str().unwrap_or("?"),
                d["events"].as_u64().unwrap_or(0),
                d["load_s"].as_f64().unwrap_or(0.0),
                d["spells"].as_u64().unwrap_or(0),
                d["spells_s"].as_f64().unwrap_or(0.0),
                d["list_ms"]["p50"].as_f64().unwrap_or(0.0),
                d["list_ms"]["p95"].as_f64().unwrap_or(0.0),
                d["network_ms"].as_f64().unwrap_or(0.0),
            );
            Some(d)
        }
        Err(e) => {
            println!("note: DuckDB figures skipped: {e}");
            None
        }
    };
    let mut all_match = true;
    for f in &figures {
        let rows = f.people + f.events;
        let rate = rows as f64 / f.import.as_secs_f64().max(1e-9);
        println!();
        println!("── {} ──", f.engine);
        println!(
            "import (Store::import_case_people, one export per list): {} people + {} events = {rows} rows in {:.1} s: {rate:.0} rows/s{}",
            f.people,
            f.events,
            f.import.as_secs_f64(),
            if f.engine == Engine::Sqlite.name() {
                format!(
                    "   target ≥ {TARGET_ROWS_PER_S:.0} rows/s: {}",
                    met(rate >= TARGET_ROWS_PER_S)
                )
            } else {
                String::new()
            }
        );
        println!(
            "one list's 60 monthly reports (case_monthly, {} runs): p50 {:.2} ms, p95 {:.2} ms   target < {TARGET_LIST_MS:.0} ms: {}",
            plan.samples.max(1),
            f.list_p50_ms,
            f.list_p95_ms,
            met(f.list_p95_ms < TARGET_LIST_MS)
        );
        println!(
            "the network's 60 monthly reports (case_monthly_lists over {} lists): {:.1} ms",
            plan.lists, f.network_ms
        );
        if let Some(d) = &duck {
            let mut same = vec![];
            for (i, pop) in Population::ALL.iter().enumerate() {
                let theirs = as_rows(&d["list"][pop.as_str()]);
                same.push((pop.as_str(), theirs.as_ref() == Some(&f.list_rows[i])));
            }
            let network = as_rows(&d["network"]).as_ref() == Some(&f.network_rows);
            same.push(("network", network));
            let ok = same.iter().all(|(_, s)| *s);
            all_match &= ok;
            println!(
                "DuckDB's figures equal Backbone's: {} ({})",
                if ok { "yes" } else { "NO" },
                same.iter()
                    .map(|(n, s)| format!("{n} {}", if *s { "same" } else { "DIFFERENT" }))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if let Some(last) = figures.first() {
        let total = |rows: &Rows| {
            rows.iter()
                .map(|r| r[5].parse::<u64>().unwrap_or(0))
                .sum::<u64>()
        };
        println!(
            "\n(checksum: list 0 placements over 60 months {}, network {}; network active at the end {})",
            total(&last.list_rows[0]),
            total(&last.network_rows),
            last.network_rows
                .last()
                .map(|r| r[1].as_str())
                .unwrap_or("?")
        );
    }
    if duck.is_some() && !all_match {
        return Err("DuckDB's figures differ from Backbone's".into());
    }
    Ok(())
}
