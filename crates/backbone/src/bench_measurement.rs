//! `backbone bench measurement`: shared measurement at network scale.
//!
//! Generates a network of initiatives × 20 indicators × 120 months × 10
//! subgroup cells (300 initiatives, 7.2 million values at `--scale full`) through
//! the store's volume path (`Store::write_values`, one batch per initiative), on
//! SQLite and, with `--postgres ADMIN_URL`, on a scratch PostgreSQL database.
//! Then, per engine:
//!
//! - the initiative dashboard's server time, p50 and p95 over many initiatives:
//!   its indicators, their totals of every period from the running sums, and
//!   each indicator's report (target, variance, outliers) and trend;
//! - one indicator's network rollup over all sites and all 120 periods;
//! - CSV import in rows per second through `backbone import values`'s own
//!   pipeline (`web::imports::import_values`): the file read, every row
//!   checked, and all written in one transaction;
//! - the database's size.
//!
//! Beside each: DuckDB (`xtask/bench/measurement_duckdb.py`, Python package
//! `duckdb`) computing the same aggregate from the same values, loaded into an
//! in-memory table, and `sqlite3`'s own `.import` of the same CSV file into a
//! plain table. Checksums of both sides are printed so that the numbers can be
//! seen to agree. Nothing here runs in CI; no test asserts on time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};

use domain::measurement::Decimal;
use domain::measurement::indicator::{Indicator, Subgroup};
use domain::measurement::period::Period;
use domain::measurement::{series, stats};
use domain::partnership::{Initiative, Network, Organization, Sector};
use domain::resource::{Record, Resource};
use store::measurement::{BatchSource, NewValue};
use store::{Engine, Store};

/// The helper that runs DuckDB, carried in the binary so that the bench runs
/// from any folder.
const DUCKDB_SCRIPT: &str = include_str!("../../../xtask/bench/measurement_duckdb.py");

const INDICATORS: usize = 20;
const MONTHS: i32 = 120;
const SEXES: [&str; 2] = ["F", "M"];
const AGES: [&str; 5] = ["0-4", "5-9", "10-14", "15-17", "18+"];
/// Each site's two reporting partners: the first reports the subgroups of
/// women and girls, the second those of men and boys.
const PARTNERS: [&str; 2] = ["Health partner", "Schools partner"];
const DISAGGREGATIONS: &str = "sex=F|M;age=0-4|5-9|10-14|15-17|18+";
/// The indicator whose network rollup is timed.
const ROLLUP_CODE: &str = "ind07";

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    /// 10 initiatives (240,000 values), a 24,000-row import: a minute or so.
    Small,
    /// 300 initiatives (7.2 million values), a 1.2-million-row import.
    Full,
}

#[derive(Args)]
pub struct MeasurementArgs {
    /// How much data to generate.
    #[arg(long, value_enum, default_value = "small")]
    scale: Scale,
    /// Also run on PostgreSQL: an admin URL such as
    /// postgres://postgres@127.0.0.1:5432/postgres; a scratch database is
    /// created there and dropped at the end.
    #[arg(long, value_name = "ADMIN_URL")]
    postgres: Option<String>,
    /// Skip SQLite (with --postgres: PostgreSQL only).
    #[arg(long)]
    no_sqlite: bool,
    /// Initiatives to generate (overrides the scale's).
    #[arg(long)]
    initiatives: Option<usize>,
    /// Rows in the import file (overrides the scale's; a multiple of 1,200).
    #[arg(long)]
    import_rows: Option<usize>,
    /// Dashboards to time per engine.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// Folder for the SQLite databases and CSV files (default: a new one
    /// under the system's temporary folder, removed at the end).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Keep the databases and files (the scratch PostgreSQL database too).
    #[arg(long)]
    keep: bool,
    /// Reuse the databases and files an earlier run kept (same --work-dir):
    /// no generation, straight to the measurements.
    #[arg(long, requires = "work_dir")]
    reuse: bool,
    /// The Python that runs DuckDB.
    #[arg(long, default_value = "python3")]
    python: String,
    /// The sqlite3 command line for the reference import.
    #[arg(long, default_value = "sqlite3")]
    sqlite3: String,
}

/// What one engine measured.
#[derive(Default)]
struct EngineFigures {
    engine: &'static str,
    values: usize,
    generate: Duration,
    size_bytes: u64,
    dashboard: Option<Latency>,
    page: Option<Latency>,
    dashboard_checksum: String,
    rollup_ms: f64,
    rollup_checksum: String,
    rollup_one_period_ms: f64,
    import_rows: usize,
    import: Duration,
    import_parts: (Duration, Duration, Duration),
}

#[derive(Clone, Copy)]
struct Latency {
    p50_ms: f64,
    p95_ms: f64,
}

/// A small deterministic generator (splitmix64): the same seed gives the same
/// values on both engines and in the CSV DuckDB reads.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The first of the ten years: they end with last month, so that the
/// dashboard's data quality (the last periods before today) has data.
static FIRST: std::sync::OnceLock<Period> = std::sync::OnceLock::new();

fn first_month() -> Period {
    *FIRST.get_or_init(|| {
        let today = chrono::Utc::now().date_naive();
        Period::containing(today, domain::measurement::Frequency::Monthly)
            .offset(-i64::from(MONTHS))
            .expect("a month ten years ago")
    })
}

fn month(i: i32) -> Period {
    first_month()
        .offset(i64::from(i))
        .expect("a month of the ten years")
}

/// year × 12 + month: the checksums' weight (the DuckDB helper computes the
/// same from the period's text).
fn month_number(p: Period) -> i64 {
    match p {
        Period::Month(y, m) => i64::from(y) * 12 + i64::from(m),
        _ => 0,
    }
}

fn subgroups() -> Vec<Subgroup> {
    let mut out = Vec::new();
    for s in SEXES {
        for a in AGES {
            out.push(Subgroup::from_key(&format!("sex={s};age={a}")));
        }
    }
    out
}

/// One site's value of one indicator, month and cell: a level per site and
/// indicator, a season, noise in quarters, and now and then an outlier.
fn value(rng: &mut Rng, site: usize, indicator: usize, m: i32, cell: usize) -> Decimal {
    let level = 20 + ((site * 7 + indicator * 13 + cell * 3) % 80) as i64;
    let season = i64::from((m % 12 - 6).abs());
    let r = rng.next();
    let mut quarters = (level + season + (r % 10) as i64) * 4 + ((r >> 8) % 4) as i64;
    if (r >> 16).is_multiple_of(997) {
        quarters *= 10;
    }
    Decimal::new(quarters * 25, 2).normalize()
}

fn indicator_fields(code: &str, n: usize, reporters: &[i64]) -> domain::validation::FieldMap {
    let polarity = if n.is_multiple_of(3) {
        "lower_is_better"
    } else {
        "higher_is_better"
    };
    let targets = format!(
        "{}={};{}={}",
        month(MONTHS / 2 - 1),
        400 + n * 10,
        month(MONTHS - 1),
        450 + n * 10
    );
    let reporters = reporters
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    [
        ("code", code.to_string()),
        ("name", format!("Indicator {code}")),
        ("kind", "population".into()),
        ("polarity", polarity.into()),
        ("aggregation", "sum".into()),
        ("period_aggregation", "sum".into()),
        ("frequency", "monthly".into()),
        ("disaggregations", DISAGGREGATIONS.into()),
        ("targets", targets),
        ("baseline_period", month(0).to_string()),
        ("baseline_value", "400".into()),
        ("reporters", reporters),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn err(e: impl std::fmt::Display) -> Box<dyn std::error::Error + Send + Sync> {
    e.to_string().into()
}

/// A network with `sites` initiatives, each with two partner organizations
/// that report its 20 indicators; returns the network and the initiatives'
/// ids, by site number.
async fn registry(store: &Store, sites: usize) -> super::AnyResult<(i64, Vec<i64>)> {
    let txn = store.write_txn().await.map_err(err)?;
    let network = store::records::create_in(
        &txn,
        None,
        None,
        &Network {
            name: "Measurement bench network".into(),
            slug: "bench-network".into(),
            description: String::new(),
        },
    )
    .await
    .map_err(err)?;
    let mut ids = Vec::with_capacity(sites);
    for s in 0..sites {
        let i = store::records::create_in(
            &txn,
            None,
            None,
            &Initiative {
                name: format!("Bench site {s:03}"),
                slug: format!("site-{s:03}"),
                place: String::new(),
                languages: "en".into(),
                description: String::new(),
                network_id: Some(network.id),
                public: false,
                time_zone: None,
                currency: None,
                translations: Default::default(),
            },
        )
        .await
        .map_err(err)?;
        let mut partners = Vec::new();
        for p in PARTNERS {
            let o = store::records::create_in(
                &txn,
                None,
                Some(i.id),
                &Organization {
                    name: format!("{p} of site {s:03}"),
                    sector: Sector::CivilSociety,
                    identifier: None,
                    website: None,
                    description: String::new(),
                    translations: Default::default(),
                },
            )
            .await
            .map_err(err)?;
            partners.push(o.id);
        }
        for k in 1..=INDICATORS {
            let code = format!("ind{k:02}");
            let ind = Indicator::parse(&indicator_fields(&code, k, &partners))
                .map_err(|e| err(format!("{e:?}")))?;
            store::records::create_in(&txn, None, Some(i.id), &ind)
                .await
                .map_err(err)?;
        }
        ids.push(i.id);
    }
    txn.commit().await.map_err(err)?;
    Ok((network.id, ids))
}

/// The network and sites of an earlier run kept with `--keep`, if any.
async fn existing_network(store: &Store) -> super::AnyResult<Option<(i64, Vec<i64>)>> {
    let all = store::records::ListOptions::all();
    let Some(network) = store
        .list::<Network>(None, all)
        .await
        .map_err(err)?
        .into_iter()
        .find(|n| n.data.slug == "bench-network")
    else {
        return Ok(None);
    };
    let mut sites: Vec<(String, i64)> = store
        .list::<Initiative>(None, all)
        .await
        .map_err(err)?
        .into_iter()
        .filter(|i| i.data.network_id == Some(network.id) && i.data.slug.starts_with("site-"))
        .map(|i| (i.data.slug, i.id))
        .collect();
    sites.sort();
    Ok(Some((
        network.id,
        sites.into_iter().map(|(_, id)| id).collect(),
    )))
}

/// Write every site's values, one batch per site; with `csv`, also every
/// value as a line of the file DuckDB reads.
async fn generate(
    store: &Store,
    sites: &[i64],
    mut csv: Option<&mut dyn Write>,
) -> super::AnyResult<usize> {
    let groups = subgroups();
    let keys: Vec<String> = groups.iter().map(Subgroup::key).collect();
    let mut written = 0;
    let step = (sites.len() / 10).max(1);
    let started = Instant::now();
    for (s, &initiative) in sites.iter().enumerate() {
        let indicators = store.indicators(initiative).await.map_err(err)?;
        let mut rng = Rng(s as u64 + 1);
        let mut rows = Vec::with_capacity(INDICATORS * MONTHS as usize * groups.len());
        for ind in &indicators {
            let k: usize = ind.data.code[3..].parse().unwrap_or(0);
            let reporters = ind.data.reporter_ids();
            for m in 0..MONTHS {
                let period = month(m);
                for (c, g) in groups.iter().enumerate() {
                    let v = value(&mut rng, s, k, m, c);
                    if let Some(w) = csv.as_deref_mut() {
                        writeln!(w, "{s},{},{period},{},{v}", ind.data.code, keys[c])?;
                    }
                    rows.push(NewValue {
                        indicator_id: ind.id,
                        period,
                        subgroup: g.clone(),
                        partner_id: reporters.get(c * reporters.len() / groups.len()).copied(),
                        value: v,
                        comment: String::new(),
                    });
                }
            }
        }
        let source = BatchSource {
            source: "bench".into(),
            ..Default::default()
        };
        let report = store
            .write_values(initiative, None, &source, &rows)
            .await
            .map_err(err)?;
        written += report.added;
        if (s + 1) % step == 0 || s + 1 == sites.len() {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "  {:>4}/{} initiatives, {:>9} values, {:>6.1} s, {:>7.0} values/s",
                s + 1,
                sites.len(),
                written,
                secs,
                written as f64 / secs
            );
        }
    }
    Ok(written)
}

/// What the initiative dashboard computes on the server: the indicators, each
/// one's totals by period (from the running sums), its report against targets
/// with outliers, its trend, latest value and variance. Returns how many totals
/// and their sum (the checksum).
async fn dashboard(store: &Store, initiative: i64) -> super::AnyResult<(usize, Decimal)> {
    let indicators = store.indicators(initiative).await.map_err(err)?;
    let wanted: Vec<&Record<Indicator>> = indicators.iter().collect();
    let totals = store.totals(&wanted, &indicators).await.map_err(err)?;
    let (mut n, mut sum) = (0, Decimal::ZERO);
    for ind in &indicators {
        let Some(t) = totals.get(&ind.id) else {
            continue;
        };
        let points = series::report(&ind.data, t, None, None, stats::DEFAULT_OUTLIER_THRESHOLD);
        let values: Vec<Decimal> = t.values().copied().collect();
        let trend = stats::trend(&values, ind.data.polarity);
        let latest = points.iter().rev().find(|p| p.value.is_some());
        std::hint::black_box((trend, latest, points.len()));
        n += t.len();
        sum += t.values().copied().sum::<Decimal>();
    }
    Ok((n, sum))
}

/// One indicator's network rollup for every period: per site its total, and
/// the network's total per period, from the running sums.
async fn rollup_all(
    store: &Store,
    network: i64,
) -> super::AnyResult<Vec<(Period, store::measurement::Rollup)>> {
    store
        .rollup_series(network, ROLLUP_CODE, None, None)
        .await
        .map_err(err)
}

fn rollup_checksum(r: &[(Period, store::measurement::Rollup)]) -> String {
    let (mut n, mut sum, mut weighted, mut network) =
        (0, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for (p, roll) in r {
        for site in &roll.sites {
            if let Some(v) = site.value {
                n += 1;
                sum += v;
                weighted += v * Decimal::from(month_number(*p));
            }
        }
        network += roll.total.unwrap_or_default();
    }
    format!(
        "sites×periods={n} sum={} weighted={} network={}",
        sum.normalize(),
        weighted.normalize(),
        network.normalize()
    )
}

/// The import file: `rows / 1200` indicators of one initiative, every month
/// and cell, in the values template's columns plus the two categories.
fn write_import_file(path: &Path, indicators: usize) -> super::AnyResult<usize> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "indicator,period,value,sex,age")?;
    let mut rng = Rng(0xB0B);
    let mut rows = 0;
    for k in 0..indicators {
        for m in 0..MONTHS {
            let period = month(m);
            for (c, (s, a)) in SEXES
                .iter()
                .flat_map(|s| AGES.iter().map(move |a| (s, a)))
                .enumerate()
            {
                let v = value(&mut rng, 1000, k, m, c);
                writeln!(w, "imp{k:04},{period},{v},{s},{a}")?;
                rows += 1;
            }
        }
    }
    w.flush()?;
    Ok(rows)
}

/// Import the file through `backbone import values`'s own pipeline,
/// `web::imports::import_values`: the file read and hashed, read as a table,
/// every row checked against the initiative's indicators, partners and locked
/// periods, and all rows written in one transaction. Returns the (read,
/// check, write) times, split where the pipeline reports its stages, and the
/// rows written.
async fn import(
    store: &Store,
    initiative: i64,
    path: &Path,
) -> super::AnyResult<(Duration, Duration, Duration, usize)> {
    use std::sync::Mutex;
    use web::imports::{Progress, Stage};
    let started = Instant::now();
    let bytes = std::fs::read(path)?;
    // When checking and writing began.
    let stages: Mutex<(Option<Instant>, Option<Instant>)> = Mutex::new((None, None));
    let progress = |p: Progress| {
        if let Ok(mut s) = stages.lock() {
            match p.stage {
                Stage::Checking if s.0.is_none() => s.0 = Some(Instant::now()),
                Stage::Writing if s.1.is_none() => s.1 = Some(Instant::now()),
                _ => {}
            }
        }
    };
    let report =
        web::imports::import_values(store, initiative, None, &bytes, "import.csv", &progress)
            .await
            .map_err(|e| err(format!("the import was refused: {e}")))?;
    let done = Instant::now();
    let (checking, writing) = stages.into_inner().map_err(err)?;
    let checking = checking.unwrap_or(started);
    let writing = writing.unwrap_or(done);
    Ok((
        checking - started,
        writing - checking,
        done - writing,
        report.added,
    ))
}

/// A fresh initiative in the network with the import file's indicators.
async fn import_site(store: &Store, network: i64, indicators: usize) -> super::AnyResult<i64> {
    let txn = store.write_txn().await.map_err(err)?;
    let i = store::records::create_in(
        &txn,
        None,
        None,
        &Initiative {
            name: "Bench import".into(),
            slug: format!("bench-import-{}", std::process::id()),
            place: String::new(),
            languages: "en".into(),
            description: String::new(),
            network_id: Some(network),
            public: false,
            time_zone: None,
            currency: None,
            translations: Default::default(),
        },
    )
    .await
    .map_err(err)?;
    for k in 0..indicators {
        let ind = Indicator::parse(&indicator_fields(
            &format!("imp{k:04}"),
            k % INDICATORS + 1,
            &[],
        ))
        .map_err(|e| err(format!("{e:?}")))?;
        store::records::create_in(&txn, None, Some(i.id), &ind)
            .await
            .map_err(err)?;
    }
    txn.commit().await.map_err(err)?;
    Ok(i.id)
}

/// The coordinator's dashboard page (`/i/{slug}/measurement`) through the
/// real router and handler in this process, signed in as a coordinator of
/// every sampled site: server time from request to the last byte of the
/// body, without a network in between. The page is not cached (values do
/// not change an initiative's generation), so each request computes it.
async fn page_dashboards(store: &Store, samples: &[usize]) -> super::AnyResult<Option<Latency>> {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;
    let email = format!("bench-coordinator-{}@example.org", std::process::id());
    let user = store
        .create_user(
            &email,
            "Bench coordinator",
            Some("bench-password-123"),
            false,
        )
        .await
        .map_err(err)?;
    let mut slugs: Vec<String> = samples.iter().map(|s| format!("site-{s:03}")).collect();
    let mut granted = slugs.clone();
    granted.sort();
    granted.dedup();
    for slug in &granted {
        let i = store.initiative_by_slug(slug).await.map_err(err)?;
        store
            .grant_role(None, user.id, i.id, domain::access::Role::Coordinator)
            .await
            .map_err(err)?;
    }
    let (secret, _) = store.create_session(user.id).await.map_err(err)?;
    let cookie = format!("bb_session={secret}");
    let router = web::router(web::AppState::new(store.clone(), web::Config::default()));
    let mut times = Vec::new();
    for (i, slug) in slugs.drain(..).enumerate() {
        let req = Request::builder()
            .uri(format!("/i/{slug}/measurement"))
            .header(header::COOKIE, &cookie)
            .header(header::ACCEPT_LANGUAGE, "en")
            .body(Body::empty())?;
        let t = Instant::now();
        let res = router.clone().oneshot(req).await?;
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
        let took = t.elapsed();
        if status != 200 {
            return Err(format!("/i/{slug}/measurement answered {status}").into());
        }
        std::hint::black_box(body.len());
        if i > 0 || samples.len() == 1 {
            times.push(took.as_secs_f64() * 1000.0);
        }
    }
    Ok(latency(times))
}

fn latency(mut ms: Vec<f64>) -> Option<Latency> {
    if ms.is_empty() {
        return None;
    }
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() - 1) as f64 * p) as usize];
    Some(Latency {
        p50_ms: at(0.50),
        p95_ms: at(0.95),
    })
}

/// The sites whose dashboards are timed: spread over the network, the first
/// one a warm-up that is not counted.
fn sample_sites(sites: usize, samples: usize) -> Vec<usize> {
    (0..=samples).map(|i| (i * 37) % sites).collect()
}

struct Plan {
    sites: usize,
    import_indicators: usize,
    samples: Vec<usize>,
    values_csv: PathBuf,
    import_csv: PathBuf,
    reuse: bool,
}

async fn run_engine(
    engine: Engine,
    url: &str,
    plan: &Plan,
    write_csv: bool,
) -> super::AnyResult<EngineFigures> {
    let mut f = EngineFigures {
        engine: engine.name(),
        ..Default::default()
    };
    eprintln!("\n== {}: {}", engine.name(), store::redact_url(url));
    let store = Store::connect(url).await.map_err(err)?;
    store.migrate().await.map_err(err)?;
    let started = Instant::now();
    let existing = if plan.reuse {
        existing_network(&store).await?
    } else {
        None
    };
    let (network, sites) = match existing {
        Some((network, sites)) => {
            eprintln!("  reusing the {} initiatives generated before", sites.len());
            f.values = sites.len() * INDICATORS * MONTHS as usize * SEXES.len() * AGES.len();
            (network, sites)
        }
        None => {
            let (network, sites) = registry(&store, plan.sites).await?;
            let mut file = if write_csv {
                let mut w = std::io::BufWriter::with_capacity(
                    1 << 20,
                    std::fs::File::create(&plan.values_csv)?,
                );
                writeln!(w, "site,indicator,period,subgroup,value")?;
                Some(w)
            } else {
                None
            };
            f.values = generate(&store, &sites, file.as_mut().map(|w| w as &mut dyn Write)).await?;
            if let Some(mut w) = file {
                w.flush()?;
            }
            f.generate = started.elapsed();
            (network, sites)
        }
    };
    f.size_bytes = size(&store, url).await?;
    eprintln!(
        "  generated {} values in {:.1} s; database {:.2} GB",
        f.values,
        f.generate.as_secs_f64(),
        f.size_bytes as f64 / 1e9
    );

    // The dashboard, over many initiatives.
    let mut times = Vec::new();
    let (mut n, mut sum) = (0usize, Decimal::ZERO);
    for (i, s) in plan.samples.iter().enumerate() {
        let t = Instant::now();
        let (dn, ds) = dashboard(&store, sites[*s]).await?;
        if i > 0 || plan.samples.len() == 1 {
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        n += dn;
        sum += ds;
    }
    f.dashboard = latency(times);
    f.dashboard_checksum = format!("n={n} sum={}", sum.normalize());
    f.page = page_dashboards(&store, &plan.samples).await?;

    // The rollup over ten years: warm once, then the median of five.
    let one = Instant::now();
    store
        .rollup(network, ROLLUP_CODE, month(MONTHS - 1))
        .await
        .map_err(err)?;
    f.rollup_one_period_ms = one.elapsed().as_secs_f64() * 1000.0;
    let mut times = Vec::new();
    let mut last = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        last = rollup_all(&store, network).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    f.rollup_ms = times[times.len() / 2];
    f.rollup_checksum = rollup_checksum(&last);

    // The import, into a fresh initiative of the same database.
    let site = import_site(&store, network, plan.import_indicators).await?;
    let t = Instant::now();
    let (read, check, write, rows) = import(&store, site, &plan.import_csv).await?;
    f.import = t.elapsed();
    f.import_parts = (read, check, write);
    f.import_rows = rows;
    eprintln!(
        "  imported {rows} rows in {:.2} s (read {:.2}, check {:.2}, write {:.2})",
        f.import.as_secs_f64(),
        read.as_secs_f64(),
        check.as_secs_f64(),
        write.as_secs_f64()
    );
    store.db.clone().close().await.ok();
    Ok(f)
}

/// The database's size on disk: SQLite's file after a checkpoint (with its
/// write-ahead log, if any is left), PostgreSQL's `pg_database_size`.
async fn size(store: &Store, url: &str) -> super::AnyResult<u64> {
    use sea_orm::ConnectionTrait;
    match store.engine {
        Engine::Sqlite => {
            store
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .map_err(err)?;
            let path = store::sqlite_path(url).unwrap_or_default();
            let len = |p: String| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            Ok(len(path.to_string()) + len(format!("{path}-wal")))
        }
        Engine::Postgres => {
            let row = store
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT pg_database_size(current_database())",
                ))
                .await
                .map_err(err)?
                .ok_or("no size")?;
            let n: i64 = row.try_get_by_index(0).map_err(err)?;
            Ok(n as u64)
        }
    }
}

/// `sqlite3`'s own `.import` of the same file into a plain table of a new
/// database: the reference for the import's speed.
fn sqlite3_import(cmd: &str, dir: &Path, file: &Path) -> Result<Duration, String> {
    let db = dir.join("sqlite3-import.db");
    let _ = std::fs::remove_file(&db);
    let t = Instant::now();
    let out = std::process::Command::new(cmd)
        .arg(&db)
        .arg(format!(".import --csv {} plain_values", file.display()))
        .output()
        .map_err(|e| format!("{cmd} could not be started ({e}): install sqlite3 (apt-get install sqlite3) for the import reference"))?;
    let took = t.elapsed();
    let _ = std::fs::remove_file(&db);
    if !out.status.success() {
        return Err(format!(
            "{cmd} .import failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(took)
}

/// DuckDB's figures, or why there are none.
fn duckdb(args: &MeasurementArgs, plan: &Plan, dir: &Path) -> Result<serde_json::Value, String> {
    let script = dir.join("measurement_duckdb.py");
    std::fs::write(&script, DUCKDB_SCRIPT).map_err(|e| e.to_string())?;
    let sites: Vec<String> = plan.samples.iter().map(|s| s.to_string()).collect();
    let out = std::process::Command::new(&args.python)
        .arg(&script)
        .arg("--values")
        .arg(&plan.values_csv)
        .arg("--import-file")
        .arg(&plan.import_csv)
        .arg("--sites")
        .arg(sites.join(","))
        .arg("--code")
        .arg(ROLLUP_CODE)
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
            "the Python package duckdb is missing for {}: `pip install duckdb` for the DuckDB figures",
            args.python
        ));
    }
    Ok(v)
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

pub async fn run(args: MeasurementArgs) -> super::AnyResult {
    let sites = args.initiatives.unwrap_or(match args.scale {
        Scale::Small => 10,
        Scale::Full => 300,
    });
    let import_rows = args.import_rows.unwrap_or(match args.scale {
        Scale::Small => 24_000,
        Scale::Full => 1_200_000,
    });
    if sites == 0 {
        return Err("--initiatives must be at least 1".into());
    }
    let per_indicator = MONTHS as usize * SEXES.len() * AGES.len();
    let import_indicators = import_rows.div_ceil(per_indicator).max(1);
    let (dir, temporary) = match &args.work_dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("backbone-bench-measurement-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir)?;
    let plan = Plan {
        sites,
        import_indicators,
        samples: sample_sites(sites, args.samples.max(1)),
        values_csv: dir.join("values.csv"),
        import_csv: dir.join("import.csv"),
        reuse: args.reuse,
    };
    let import_rows = write_import_file(&plan.import_csv, import_indicators)?;
    println!(
        "Backbone measurement bench: {sites} initiatives × {INDICATORS} indicators × {MONTHS} months × {} subgroup cells = {} values; import file {import_rows} rows",
        SEXES.len() * AGES.len(),
        sites * INDICATORS * MONTHS as usize * SEXES.len() * AGES.len(),
    );

    let mut engines = Vec::new();
    let mut csv_written = false;
    if !args.no_sqlite {
        let path = dir.join("measurement.db");
        if !args.reuse {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        let url = format!("sqlite://{}", path.display());
        engines.push(run_engine(Engine::Sqlite, &url, &plan, !args.reuse).await?);
        csv_written = true;
        if !args.keep {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
    if let Some(admin_url) = &args.postgres {
        let admin = Store::connect(admin_url).await.map_err(err)?;
        let name = "bb_bench_measurement";
        if !args.reuse {
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .map_err(err)?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .map_err(err)?;
        }
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(admin_url.clone());
        let url = format!("{base}/{name}");
        let result = run_engine(Engine::Postgres, &url, &plan, !csv_written && !args.reuse).await;
        if args.keep {
            eprintln!("  kept the PostgreSQL database {name}");
        } else {
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .map_err(err)?;
        }
        engines.push(result?);
    } else {
        eprintln!(
            "\nnote: PostgreSQL skipped (give --postgres postgres://postgres@127.0.0.1:5432/postgres to include it)"
        );
    }
    if engines.is_empty() {
        return Err("nothing to measure: --no-sqlite without --postgres".into());
    }

    eprintln!("\n== references: sqlite3 .import and DuckDB");
    let sqlite3 = sqlite3_import(&args.sqlite3, &dir, &plan.import_csv);
    let duck = duckdb(&args, &plan, &dir);
    if !args.keep && temporary {
        let _ = std::fs::remove_dir_all(&dir);
    } else if !args.keep {
        let _ = std::fs::remove_file(&plan.values_csv);
        let _ = std::fs::remove_file(plan.values_csv.with_extension("csv.parquet"));
        let _ = std::fs::remove_file(&plan.import_csv);
    }

    report(&engines, &sqlite3, &duck, import_rows);
    Ok(())
}

fn report(
    engines: &[EngineFigures],
    sqlite3: &Result<Duration, String>,
    duck: &Result<serde_json::Value, String>,
    import_rows: usize,
) {
    let num = |v: &serde_json::Value, path: &[&str]| -> Option<f64> {
        let mut x = v;
        for p in path {
            x = x.get(p)?;
        }
        x.as_f64()
    };
    let text = |v: &serde_json::Value, path: &[&str]| -> String {
        let mut x = v;
        for p in path {
            match x.get(p) {
                Some(y) => x = y,
                None => return String::new(),
            }
        }
        x.as_str().unwrap_or_default().to_string()
    };
    println!();
    match duck {
        Ok(d) => println!(
            "DuckDB {} (a database file, {} rows loaded from CSV in {:.1} s)",
            text(d, &["version"]),
            d.get("rows").and_then(|r| r.as_u64()).unwrap_or(0),
            num(d, &["load_s"]).unwrap_or(0.0)
        ),
        Err(e) => println!("note: DuckDB figures skipped: {e}"),
    }
    if let Err(e) = sqlite3 {
        println!("note: sqlite3 .import reference skipped: {e}");
    }
    let duck = duck.as_ref().ok();
    for f in engines {
        println!();
        println!("── {} ──", f.engine);
        if f.generate.is_zero() {
            println!("generate: {} values, reused from an earlier run", f.values);
        } else {
            println!(
                "generate: {} values in {:.1} s ({:.0} values/s)",
                f.values,
                f.generate.as_secs_f64(),
                f.values as f64 / f.generate.as_secs_f64()
            );
        }
        let gb = f.size_bytes as f64 / 1e9;
        println!(
            "database size: {gb:.2} GB   target < 2 GB: {}",
            met(gb < 2.0)
        );
        if let Some(l) = f.page {
            let reference = duck.and_then(|d| num(d, &["dashboard", "p95_ms"]));
            println!(
                "dashboard page /i/{{slug}}/measurement (in-process handler, coordinator): p50 {:.2} ms, p95 {:.2} ms{}   target p95 < 50 ms: {}",
                l.p50_ms,
                l.p95_ms,
                match reference {
                    Some(r) => format!(
                        "; DuckDB's totals p95 {r:.2} ms; ratio p95 {:.2}×",
                        l.p95_ms / r
                    ),
                    None => String::new(),
                },
                met(l.p95_ms < 50.0)
            );
        }
        if let Some(l) = f.dashboard {
            let reference = duck.and_then(|d| num(d, &["dashboard", "p95_ms"]));
            println!(
                "  of which the store's reads and the figures (indicators, totals of {INDICATORS} × {MONTHS} periods, reports, trends): p50 {:.2} ms, p95 {:.2} ms{}",
                l.p50_ms,
                l.p95_ms,
                match (
                    reference,
                    duck.and_then(|d| num(d, &["dashboard", "p50_ms"]))
                ) {
                    (Some(p95), Some(p50)) => format!(
                        "; DuckDB p50 {p50:.2} ms, p95 {p95:.2} ms; ratio p95 {:.2}×",
                        l.p95_ms / p95
                    ),
                    _ => String::new(),
                },
            );
            println!("  checksum {}", f.dashboard_checksum);
            if let Some(d) = duck {
                let theirs = text(d, &["dashboard", "checksum"]);
                println!(
                    "  DuckDB   {theirs}   {}",
                    if theirs == f.dashboard_checksum {
                        "agree"
                    } else {
                        "DIFFER"
                    }
                );
            }
        }
        // DuckDB's faster scan of the two: its own table or Parquet.
        let table = duck.and_then(|d| num(d, &["rollup", "median_ms"]));
        let parquet = duck.and_then(|d| num(d, &["rollup_parquet", "median_ms"]));
        let reference = match (table, parquet) {
            (Some(t), Some(p)) => Some(t.min(p)),
            (t, p) => t.or(p),
        };
        println!(
            "rollup ({ROLLUP_CODE}, every site × {MONTHS} months): {:.1} ms (median of 5; one period {:.2} ms){}   target faster than DuckDB: {}",
            f.rollup_ms,
            f.rollup_one_period_ms,
            match reference {
                Some(r) => format!(
                    "; DuckDB {:.1} ms (its table), {:.1} ms (Parquet); ratio {:.2}× the faster",
                    table.unwrap_or(f64::NAN),
                    parquet.unwrap_or(f64::NAN),
                    f.rollup_ms / r
                ),
                None => String::new(),
            },
            reference.map_or("unknown", |r| met(f.rollup_ms < r))
        );
        println!("  checksum {}", f.rollup_checksum);
        if let Some(d) = duck {
            let theirs = text(d, &["rollup", "checksum"]);
            println!(
                "  DuckDB   {theirs}   {}",
                if theirs == f.rollup_checksum {
                    "agree"
                } else {
                    "DIFFER"
                }
            );
        }
        let rate = f.import_rows as f64 / f.import.as_secs_f64();
        let reference = sqlite3
            .as_ref()
            .ok()
            .map(|t| import_rows as f64 / t.as_secs_f64());
        let (r, c, w) = f.import_parts;
        println!(
            "import: {} rows in {:.2} s = {rate:.0} rows/s (read {:.2} s, check {:.2} s, write {:.2} s){}{}   target ≥ 0.5 × .import: {}",
            f.import_rows,
            f.import.as_secs_f64(),
            r.as_secs_f64(),
            c.as_secs_f64(),
            w.as_secs_f64(),
            match reference {
                Some(x) => format!("; sqlite3 .import {x:.0} rows/s; ratio {:.2}", rate / x),
                None => String::new(),
            },
            match duck.and_then(|d| num(d, &["import", "rows_per_s"])) {
                Some(x) => format!("; DuckDB read_csv {x:.0} rows/s"),
                None => String::new(),
            },
            reference.map_or("unknown", |x| met(rate >= 0.5 * x))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_exact() {
        let mut a = Rng(3);
        let mut b = Rng(3);
        for _ in 0..100 {
            let (x, y) = (value(&mut a, 2, 5, 7, 1), value(&mut b, 2, 5, 7, 1));
            assert_eq!(x, y);
            assert!(x.scale() <= 2 && x > Decimal::ZERO);
        }
        assert_eq!(
            month_number(month(MONTHS - 1)) - month_number(month(0)),
            119
        );
        assert_eq!(subgroups().len(), 10);
        assert!(Indicator::parse(&indicator_fields("ind01", 1, &[3, 4])).is_ok());
    }
}
