//! Notifications leave `backbone serve` exactly once, against a real SMTP
//! server (aiosmtpd, `mail_smtp_server.py` beside this file) and the real
//! binary:
//!
//! - stopped with SIGTERM in the middle of sending and started again, every
//!   queued message reaches the SMTP server once (counted by Message-ID);
//! - with the SMTP server down, messages wait and are retried; once it is up,
//!   each arrives once;
//! - without SMTP settings, each message is written once as an `.eml` file under
//!   the data folder, also across a restart.
//!
//! Each on SQLite and PostgreSQL.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Duration as Days;
use domain::meetings::records::*;
use domain::partnership::{Body, BodyKind, Initiative, Membership, Person, Position};
use store::Store;
use testkit::{Engine, TestDb, both_engines};

const BIN: &str = env!("CARGO_BIN_EXE_backbone");
const MEMBERS: usize = 8;

/// A child process killed (by its own id) when the test ends, however it ends.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The test SMTP server on `port`, logging to `log`, taking `delay` per message.
fn smtp_server(python: &Path, port: u16, log: &Path, delay: f64) -> Proc {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail_smtp_server.py");
    let mut child = Command::new(python)
        .arg(script)
        .arg(port.to_string())
        .arg(log)
        .arg(delay.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the test SMTP server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "READY", "the SMTP server started");
    Proc(child)
}

/// `backbone serve` on the test database, sending every second.
fn serve(url: &str, data_dir: &Path, smtp: Option<u16>) -> Proc {
    let mut c = Command::new(BIN);
    c.args(["--database", url, "--addr", "127.0.0.1:0", "--no-demo"])
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--mail-interval-seconds", "1"])
        .args(["--public-url", "https://bb.example.org"])
        .env("BACKBONE_LOG", "warn")
        .env_remove("BACKBONE_SMTP_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(port) = smtp {
        c.args(["--smtp-url", &format!("smtp://127.0.0.1:{port}")]);
    }
    let mut child = c.arg("serve").spawn().expect("start backbone");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if line.starts_with("Backbone is serving on") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    Proc(child)
}

/// SIGTERM, then wait (at most 20 s) for a clean exit.
fn stop(p: &mut Proc) {
    let status = Command::new("kill")
        .args(["-TERM", &p.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    loop {
        if let Some(s) = p.0.try_wait().unwrap() {
            assert!(s.success(), "exit after SIGTERM: {s:?}");
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "still running 20 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn received(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn wait_until<F, Fut>(what: &str, bound: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < bound, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn all_sent(s: &Store) -> bool {
    let out = s.outbox().await.unwrap();
    !out.is_empty() && out.iter().all(|m| m.status == "sent")
}

/// An initiative whose one body has [`MEMBERS`] members with addresses, a
/// planned meeting in two days with an agenda, and an open decision: an
/// agenda, a request for a position and a digest per member.
async fn seed(s: &Store) {
    let i = s
        .create(
            None,
            None,
            &Initiative {
                name: "Mail Town".into(),
                slug: "mail-town".into(),
                place: "Mail Town".into(),
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
        .unwrap()
        .id;
    let body = s
        .create(
            None,
            Some(i),
            &Body {
                name: "Steering Committee".into(),
                kind: BodyKind::SteeringCommittee,
                purpose: String::new(),
                cadence_min_days: 14,
                cadence_max_days: 21,
                public: false,
                quorum: None,
                agenda_notice_days: None,
                translations: Default::default(),
            },
        )
        .await
        .unwrap()
        .id;
    for n in 0..MEMBERS {
        let p = s
            .create(
                None,
                Some(i),
                &Person {
                    name: format!("Member {n}"),
                    email: Some(format!("member{n}@example.org")),
                    phone: None,
                    user_id: None,
                    public_name_consent_on: None,
                },
            )
            .await
            .unwrap()
            .id;
        s.create(
            None,
            Some(i),
            &Membership {
                body_id: body,
                person_id: p,
                organization_id: None,
                position: Position::Member,
                start_date: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                end_date: None,
                stipend_hourly_cents: None,
                stipend_currency: None,
            },
        )
        .await
        .unwrap();
    }
    let start = store::now().get() + Days::days(2);
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    let meeting = s
        .create(
            None,
            Some(i),
            &Meeting {
                body_id: body,
                title: "Fortnightly meeting".into(),
                starts_at: fmt(start),
                ends_at: fmt(start + Days::hours(2)),
                time_zone: "Asia/Jerusalem".into(),
                place: "Town hall".into(),
                online_url: Some("https://meet.example.org/sc".into()),
                status: MeetingStatus::Planned,
            },
        )
        .await
        .unwrap()
        .id;
    s.create(
        None,
        Some(i),
        &AgendaItem {
            meeting_id: meeting,
            position: 1,
            title: "Budget".into(),
            description: String::new(),
            presenter_person_id: None,
            minutes_allotted: Some(30),
            objective_id: None,
            indicator_id: None,
            activity_id: None,
        },
    )
    .await
    .unwrap();
    s.create(
        None,
        Some(i),
        &Decision {
            body_id: body,
            meeting_id: None,
            title: "Fund two positions".into(),
            proposal: "From the partnership's budget for two years.".into(),
            process: Process::Consent,
            closes_on: None,
            outcome_statement: String::new(),
            review_on: None,
            objective_id: None,
            budget_line_id: None,
            activity_id: None,
            public: true,
        },
    )
    .await
    .unwrap();
}

/// Every outbox row was received exactly once, and nothing else was.
async fn each_once(s: &Store, log: &Path) {
    let out = s.outbox().await.unwrap();
    assert_eq!(
        out.len(),
        3 * MEMBERS,
        "an agenda, a decision and a digest per member"
    );
    let got = received(log);
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for g in &got {
        *by_id
            .entry(g["message_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let twice: Vec<_> = by_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "received more than once: {twice:?}");
    assert_eq!(got.len(), out.len(), "one delivery per queued message");
    for m in &out {
        assert_eq!(m.status, "sent", "{}", m.dedupe_key);
        let g = got
            .iter()
            .find(|g| g["message_id"] == m.message_id.as_str())
            .unwrap_or_else(|| panic!("{} never arrived", m.dedupe_key));
        assert_eq!(g["to"], m.recipient_email.as_str());
        let unsubscribe = g["list_unsubscribe"].as_str().unwrap();
        assert!(unsubscribe.starts_with("<https://bb.example.org/unsubscribe/"));
    }
}

struct Setup {
    db: TestDb,
    dir: PathBuf,
    python: PathBuf,
}

async fn setup(e: Engine, purpose: &str) -> Option<Setup> {
    let python = testkit::python(purpose)?;
    let db = TestDb::new(e).await;
    seed(&db.store).await;
    let dir =
        std::env::temp_dir().join(format!("bb_mail_{}_{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    Some(Setup { db, dir, python })
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

async fn mail_reaches_smtp_once_across_a_restart_mid_sending(e: Engine) {
    let Some(x) = setup(e, "mail across a restart").await else {
        return;
    };
    let log = x.dir.join("received.jsonl");
    let port = free_port();
    let _smtp = smtp_server(&x.python, port, &log, 0.2);
    let mut server = serve(&x.db.url, &x.dir, Some(port));
    // Stop it in the middle: some delivered, most not.
    wait_until("the first deliveries", Duration::from_secs(60), || async {
        received(&log).len() >= 4
    })
    .await;
    stop(&mut server);
    let half = received(&log).len();
    assert!(half < 3 * MEMBERS, "stopped before the end ({half})");
    let mut again = serve(&x.db.url, &x.dir, Some(port));
    wait_until("every message sent", Duration::from_secs(90), || {
        all_sent(&x.db.store)
    })
    .await;
    // A few more ticks: nothing more arrives.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop(&mut again);
    each_once(&x.db.store, &log).await;
    let _ = std::fs::remove_dir_all(&x.dir);
}

async fn mail_waits_out_an_smtp_outage_and_arrives_once(e: Engine) {
    let Some(x) = setup(e, "mail across an SMTP outage").await else {
        return;
    };
    let log = x.dir.join("received.jsonl");
    let port = free_port();
    // Nothing listens on the port yet.
    let mut server = serve(&x.db.url, &x.dir, Some(port));
    wait_until("a failed attempt", Duration::from_secs(60), || async {
        x.db.store
            .outbox()
            .await
            .unwrap()
            .iter()
            .any(|m| m.attempts >= 1 && m.last_error.is_some())
    })
    .await;
    let out = x.db.store.outbox().await.unwrap();
    assert!(
        out.iter().all(|m| m.status == "queued"),
        "nothing lost, nothing sent"
    );
    let _smtp = smtp_server(&x.python, port, &log, 0.0);
    // The retry is a minute away: bring it forward rather than wait.
    x.db.store
        .execute_unprepared(&format!(
            "UPDATE mail_outbox SET next_attempt_at = '{}' WHERE status = 'queued'",
            store::now()
        ))
        .await
        .unwrap();
    wait_until("every message sent", Duration::from_secs(60), || {
        all_sent(&x.db.store)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop(&mut server);
    each_once(&x.db.store, &log).await;
    let retried = x.db.store.outbox().await.unwrap();
    assert!(retried.iter().any(|m| m.attempts >= 2));
    let _ = std::fs::remove_dir_all(&x.dir);
}

async fn mail_without_smtp_is_written_to_files_once(e: Engine) {
    let db = TestDb::new(e).await;
    seed(&db.store).await;
    let dir = std::env::temp_dir().join(format!("bb_mail_files_{}", rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    // Beside a SQLite database; in the data folder with PostgreSQL.
    let folder = match store::sqlite_path(&db.url) {
        Some(file) => Path::new(file)
            .parent()
            .unwrap()
            .join("mail")
            .join("outbox"),
        None => dir.join("mail").join("outbox"),
    };
    let files = || -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&folder)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        v.sort();
        v
    };
    let mut server = serve(&db.url, &dir, None);
    wait_until("every message written", Duration::from_secs(60), || {
        all_sent(&db.store)
    })
    .await;
    stop(&mut server);
    let first = files();
    let out = db.store.outbox().await.unwrap();
    assert_eq!(first.len(), out.len(), "{first:?}");
    assert!(
        first
            .iter()
            .all(|p| p.extension().is_some_and(|e| e == "eml"))
    );
    for m in &out {
        let f = folder.join(format!("{:010}.eml", m.id));
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.contains(&format!("Message-ID: {}", m.message_id)),
            "{text}"
        );
        assert!(text.contains(&format!("To: {}", m.recipient_email)));
        assert!(text.contains("List-Unsubscribe: <https://bb.example.org/unsubscribe/"));
    }
    // Started again: nothing is written twice.
    let mut again = serve(&db.url, &dir, None);
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop(&mut again);
    assert_eq!(files(), first);
    let _ = std::fs::remove_dir_all(&dir);
}

both_engines!(
    mail_reaches_smtp_once_across_a_restart_mid_sending,
    mail_waits_out_an_smtp_outage_and_arrives_once,
    mail_without_smtp_is_written_to_files_once,
);
