//! `backbone bench`: start a server on the demo data and load it.
//!
//! Measures the public portal, the signed-in initiative home and every other
//! signed-in page of the registry (table, lists, a record, audit, access) next to
//! `/healthz` on the same server in the same run: requests per second, p50 and
//! p99 latency with N keep-alive connections for D seconds each, plus cold start
//! (process start until `/healthz` answers) and resident memory after the load.
//! The load generator is a minimal HTTP/1.1 client in this process, so the only
//! moving parts are the server and the loopback interface. Last, the systems
//! map's figures: questions asked and the time of its analysis.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::Args;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use store::Store;

#[derive(Args)]
pub struct BenchArgs {
    /// A benchmark of its own instead of the server load test.
    #[command(subcommand)]
    what: Option<BenchWhat>,
    /// Concurrent connections per target.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds per target.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Port for the server under test.
    #[arg(long, default_value_t = 18080)]
    port: u16,
    /// Database for the server under test (default: a fresh SQLite file).
    #[arg(long = "bench-database")]
    database: Option<String>,
}

#[derive(clap::Subcommand)]
enum BenchWhat {
    /// Shared measurement at network scale beside DuckDB and sqlite3 (see the README).
    Measurement(crate::bench_measurement::MeasurementArgs),
    /// The open book with a million ledger entries: budget against actual.
    Funding(crate::bench_funding::FundingArgs),
    /// Ten years of a body's meetings and 2,000 decisions: the register and a feed.
    Meetings(crate::bench_meetings::MeetingsArgs),
    /// A million people and ten million events on 100 by-name lists: monthly
    /// reports and the HMIS import beside DuckDB.
    Cases(crate::bench_cases::CasesArgs),
}

struct Figures {
    requests: u64,
    errors: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

pub async fn run(args: BenchArgs) -> super::AnyResult {
    match args.what {
        Some(BenchWhat::Measurement(m)) => return crate::bench_measurement::run(m).await,
        Some(BenchWhat::Funding(f)) => return crate::bench_funding::run(f).await,
        Some(BenchWhat::Meetings(m)) => return crate::bench_meetings::run(m).await,
        Some(BenchWhat::Cases(c)) => return crate::bench_cases::run(c).await,
        None => {}
    }
    let dir = std::env::temp_dir().join(format!("backbone-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.display()));
    // Prepare data and a signed-in session before the server starts.
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    store.load_demo().await.map_err(|e| e.to_string())?;
    let email = format!("bench-{}@example.org", std::process::id());
    let user = store
        .create_user(
            &email,
            "Bench Coordinator",
            Some("bench-password-123"),
            false,
        )
        .await
        .map_err(|e| e.to_string())?;
    let km = store
        .initiative_by_slug("kiryat-malachi")
        .await
        .map_err(|e| e.to_string())?;
    store
        .grant_role(None, user.id, km.id, domain::access::Role::Coordinator)
        .await
        .map_err(|e| e.to_string())?;
    let (secret, _) = store
        .create_session(user.id)
        .await
        .map_err(|e| e.to_string())?;
    let body = store
        .names("bodies", "name", Some(km.id))
        .await
        .map_err(|e| e.to_string())?
        .first()
        .map(|(id, _)| *id)
        .ok_or("the demo has no body")?;
    // Registry writes through the store's one path (transaction, audit entry,
    // generation), one commit each: on SQLite this is bounded by the disk's sync.
    const WRITES: u32 = 200;
    let writes_started = Instant::now();
    for n in 0..WRITES {
        let fact = domain::partnership::Fact {
            label: format!("Bench fact {n}"),
            value: n.to_string(),
            source: String::new(),
            year: None,
            public: false,
        };
        store
            .create(Some(user.id), Some(km.id), &fact)
            .await
            .map_err(|e| e.to_string())?;
    }
    let writes = writes_started.elapsed();
    drop(store);

    let addr: SocketAddr = format!("127.0.0.1:{}", args.port).parse()?;
    let exe = std::env::current_exe()?;
    let spawned = Instant::now();
    let mut child = tokio::process::Command::new(exe)
        .args([
            "serve",
            "--no-demo",
            "--addr",
            &addr.to_string(),
            "--database",
            &url,
        ])
        .env("BACKBONE_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let cold_start = loop {
        if get_once(addr, "/healthz", None)
            .await
            .is_ok_and(|s| s == 200)
        {
            break spawned.elapsed();
        }
        if spawned.elapsed() > Duration::from_secs(30) {
            return Err("the server did not answer /healthz within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let cookie = format!("bb_session={secret}");
    let signed_in = Some(cookie.as_str());
    let body_page = format!("/i/kiryat-malachi/bodies/{body}");
    // Every signed-in page of the registry, beside the portal and /healthz.
    let targets: Vec<(&str, &str, Option<&str>)> = vec![
        ("healthz (reference)", "/healthz", None),
        ("public portal", "/p/kiryat-malachi/", None),
        (
            "initiative home (signed in)",
            "/i/kiryat-malachi",
            signed_in,
        ),
        ("who is at the table", "/i/kiryat-malachi/table", signed_in),
        (
            "organizations list",
            "/i/kiryat-malachi/organizations",
            signed_in,
        ),
        ("people list", "/i/kiryat-malachi/people", signed_in),
        (
            "memberships list",
            "/i/kiryat-malachi/memberships",
            signed_in,
        ),
        ("a body (record page)", body_page.as_str(), signed_in),
        ("audit log", "/i/kiryat-malachi/audit", signed_in),
        ("access", "/i/kiryat-malachi/access", signed_in),
    ];
    for (_, path, c) in &targets[1..] {
        let status = get_once(addr, path, *c).await?;
        if status != 200 {
            return Err(format!("{path} answered {status}, not 200").into());
        }
    }
    println!(
        "Backbone bench: {} connections × {} s per target, server on {} ({})",
        args.connections,
        args.seconds,
        addr,
        store::redact_url(&url).split(':').next().unwrap_or("")
    );
    let mut results = vec![];
    for (name, path, c) in targets {
        let f = load(
            addr,
            path,
            c,
            args.connections,
            Duration::from_secs(args.seconds),
        )
        .await;
        results.push((name, f));
    }
    let rss_kb = std::fs::read_to_string(format!("/proc/{}/status", child.id().unwrap_or(0)))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        });
    let _ = child.start_kill();
    let _ = child.wait().await;
    let _ = std::fs::remove_dir_all(&dir);

    let reference = results[0].1.rps;
    println!();
    println!(
        "{:<30} {:>10} {:>9} {:>9} {:>9} {:>8} {:>14}",
        "target", "requests", "req/s", "p50 ms", "p99 ms", "errors", "vs healthz"
    );
    for (name, f) in &results {
        println!(
            "{:<30} {:>10} {:>9.0} {:>9.2} {:>9.2} {:>8} {:>13.0}%",
            name,
            f.requests,
            f.rps,
            f.p50_ms,
            f.p99_ms,
            f.errors,
            100.0 * f.rps / reference.max(1.0)
        );
    }
    println!();
    println!(
        "registry writes (one commit each, before the load): {WRITES} in {} ms = {:.0} commits/s, {:.2} ms each",
        writes.as_millis(),
        f64::from(WRITES) / writes.as_secs_f64(),
        writes.as_secs_f64() * 1000.0 / f64::from(WRITES)
    );
    println!(
        "cold start (spawn → /healthz 200): {} ms   target < 1000 ms",
        cold_start.as_millis()
    );
    match rss_kb {
        Some(kb) => println!(
            "resident memory after load: {:.1} MB   target < 60 MB",
            kb as f64 / 1024.0
        ),
        None => println!("resident memory: not available on this system"),
    }
    println!(
        "targets: portal and initiative home ≥ 50% of healthz throughput, p99 < 10 ms; every other page ≥ 30%, p99 < 20 ms"
    );
    systems_map();
    Ok(())
}

/// The systems map, measured in this process after the server has stopped:
/// how many questions inference asks members on random sparse structures
/// (`random_structure`, seeds 0–2) beside asking every ordered pair, and how
/// long the closure and the level partition take at 500 ideas (median of five).
fn systems_map() {
    use domain::agenda::systems_map::{SystemsMap, random_structure, simulate};
    const SEEDS: u64 = 3;
    println!();
    println!(
        "systems map: questions asked (random_structure, seeds 0–{})",
        SEEDS - 1
    );
    println!(
        "{:>6} {:>22} {:>10} {:>16}",
        "ideas", "asked (min–max)", "n(n−1)", "ratio (mean)"
    );
    for n in [50usize, 100, 200] {
        let asked: Vec<usize> = (0..SEEDS)
            .map(|seed| {
                let edges = random_structure(n, seed);
                let mut truth = vec![false; n * n];
                for (from, to) in edges {
                    truth[from * n + to] = true;
                }
                simulate(n, &|from: usize, to: usize| truth[from * n + to])
            })
            .collect();
        let all = n * (n - 1);
        let mean = asked.iter().sum::<usize>() as f64 / asked.len() as f64;
        let (lo, hi) = (
            asked.iter().min().copied().unwrap_or(0),
            asked.iter().max().copied().unwrap_or(0),
        );
        println!(
            "{:>6} {:>22} {:>10} {:>15.1}%",
            n,
            format!("{mean:.0} ({lo}–{hi})"),
            all,
            100.0 * mean / all as f64
        );
    }
    let n = 500;
    let edges = random_structure(n, 7);
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let map = SystemsMap::from_edges(n, &edges);
            let took = start.elapsed();
            std::hint::black_box(map.level_count());
            took
        })
        .collect();
    times.sort();
    println!(
        "closure + levels at {n} ideas (all of SystemsMap::from_edges): {:.2} ms (median of {})",
        times[times.len() / 2].as_secs_f64() * 1000.0,
        times.len()
    );
    println!("targets: under half the questions at 100 ideas; closure + levels under 50 ms at 500");
}

fn request(path: &str, cookie: Option<&str>) -> Vec<u8> {
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\nAccept-Language: en\r\n{cookie}\r\n")
        .into_bytes()
}

/// Read one response; returns its status. Handles Content-Length and chunked bodies.
async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let status: u16 = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("no status"))?;
            let lower = head.to_ascii_lowercase();
            let body_start = end + 4;
            if let Some(len) = lower
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
            {
                while buf.len() < body_start + len {
                    read_more(s, buf).await?;
                }
                buf.drain(..body_start + len);
                return Ok(status);
            }
            if lower.contains("transfer-encoding: chunked") {
                loop {
                    if let Some(pos) = find(&buf[body_start..], b"0\r\n\r\n") {
                        buf.drain(..body_start + pos + 5);
                        return Ok(status);
                    }
                    read_more(s, buf).await?;
                }
            }
            buf.drain(..body_start);
            return Ok(status);
        }
        read_more(s, buf).await?;
    }
}

async fn read_more(s: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let mut chunk = [0u8; 16384];
    let n = s.read(&mut chunk).await?;
    if n == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

async fn get_once(addr: SocketAddr, path: &str, cookie: Option<&str>) -> std::io::Result<u16> {
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(&request(path, cookie)).await?;
    let mut buf = vec![];
    read_response(&mut s, &mut buf).await
}

async fn load(
    addr: SocketAddr,
    path: &str,
    cookie: Option<&str>,
    conns: usize,
    dur: Duration,
) -> Figures {
    let req = request(path, cookie);
    let start = Instant::now();
    let deadline = start + dur;
    let mut tasks = vec![];
    for _ in 0..conns {
        let req = req.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat: Vec<u32> = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            let mut buf = Vec::with_capacity(65536);
            let mut stream: Option<TcpStream> = None;
            while Instant::now() < deadline {
                if stream.is_none() {
                    match TcpStream::connect(addr).await {
                        Ok(s) => {
                            let _ = s.set_nodelay(true);
                            stream = Some(s);
                            buf.clear();
                        }
                        Err(_) => {
                            errors += 1;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    }
                }
                let s = stream.as_mut().expect("connected");
                let t = Instant::now();
                let ok = match s.write_all(&req).await {
                    Ok(()) => matches!(read_response(s, &mut buf).await, Ok(200)),
                    Err(_) => false,
                };
                if ok {
                    lat.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
                } else {
                    errors += 1;
                    stream = None;
                }
            }
            (lat, errors)
        }));
    }
    let mut all: Vec<u32> = vec![];
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            all.extend(l);
            errors += e;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| {
        if all.is_empty() {
            0.0
        } else {
            all[((all.len() - 1) as f64 * p) as usize] as f64 / 1000.0
        }
    };
    Figures {
        requests: all.len() as u64,
        errors,
        rps: all.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    }
}

/// Run one bench on a scratch SQLite file (unless `no_sqlite`) and, given an
/// admin URL, on a scratch PostgreSQL database (`bb_bench_{name}`); both are
/// removed at the end. Returns each engine's figures, SQLite first.
pub async fn on_scratch_engines<T, F, Fut>(
    name: &str,
    work_dir: Option<&std::path::Path>,
    no_sqlite: bool,
    postgres: Option<&str>,
    one: F,
) -> Result<Vec<T>, Box<dyn std::error::Error + Send + Sync>>
where
    F: Fn(store::Engine, String) -> Fut,
    Fut: std::future::Future<Output = Result<T, Box<dyn std::error::Error + Send + Sync>>>,
{
    fn err(e: impl std::fmt::Display) -> Box<dyn std::error::Error + Send + Sync> {
        e.to_string().into()
    }
    let (dir, temporary) = match work_dir {
        Some(d) => (d.to_path_buf(), false),
        None => (
            std::env::temp_dir().join(format!("backbone-bench-{name}-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir)?;
    let mut figures = vec![];
    if !no_sqlite {
        let path = dir.join(format!("{name}.db"));
        let remove = || {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        };
        remove();
        let result = one(
            store::Engine::Sqlite,
            format!("sqlite://{}", path.display()),
        )
        .await;
        remove();
        figures.push(result?);
    }
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if let Some(admin_url) = postgres {
        let admin = Store::connect(admin_url).await.map_err(err)?;
        let db = format!("bb_bench_{name}");
        let drop = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
        admin.execute_unprepared(&drop).await.map_err(err)?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {db}"))
            .await
            .map_err(err)?;
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(admin_url.to_string());
        let result = one(store::Engine::Postgres, format!("{base}/{db}")).await;
        admin.execute_unprepared(&drop).await.map_err(err)?;
        figures.push(result?);
    } else {
        eprintln!(
            "\nnote: PostgreSQL skipped (give --postgres postgres://postgres@127.0.0.1:5432/postgres to include it)"
        );
    }
    if figures.is_empty() {
        return Err("nothing to measure: --no-sqlite without --postgres".into());
    }
    Ok(figures)
}
