//! The command line as operators and scripts use it, on both engines: user and
//! token creation, grants, disabling accounts, token expiry and revocation, the
//! HSDS export (validated against the official schema), the
//! SQLite backup, refusal of unknown database URLs, and graceful shutdown.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use testkit::{Engine, TestDb, both_engines};

const BIN: &str = env!("CARGO_BIN_EXE_backbone");

fn backbone(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(BIN)
        .args(["--database", url])
        .args(args)
        .env("BACKBONE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start backbone");
    if let Some(s) = stdin {
        c.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(c.stdin.take());
    c.wait_with_output().expect("backbone ran")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn standards() -> Option<PathBuf> {
    let root = std::env::var_os("BACKBONE_STANDARDS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards")
        });
    let dir = root.join("hsds-3.0/compiled");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("BACKBONE_REQUIRE_STANDARDS").as_deref() != Ok("1"),
        "standards folder not found at {}",
        dir.display()
    );
    eprintln!(
        "SKIPPED: HSDS schema conformance of `backbone export hsds` — standards folder not found at {}",
        dir.display()
    );
    None
}

async fn scripts_use_the_command_line(e: Engine) {
    let db = TestDb::new(e).await;
    let url = db.url.clone();
    let out = ok(&backbone(&url, &["demo"], None));
    assert!(out.contains("demo loaded"));
    let out = ok(&backbone(
        &url,
        &[
            "user",
            "create",
            "--email",
            "Ops@Example.org",
            "--name",
            "Ops",
            "--role",
            "kiryat-malachi:coordinator",
        ],
        Some("a long enough password\n"),
    ));
    assert!(out.contains("ops@example.org"));
    // Too short a password is refused by name, and nothing is created.
    let bad = backbone(
        &url,
        &["user", "create", "--email", "x@example.org", "--name", "X"],
        Some("short\n"),
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("password"));
    assert!(
        db.store
            .user_by_email("x@example.org")
            .await
            .unwrap()
            .is_none()
    );
    let token = ok(&backbone(
        &url,
        &["token", "create", "--email", "ops@example.org"],
        None,
    ));
    let token = token.trim();
    assert!(token.starts_with("bb_") && token.len() == 67);
    assert!(db.store.api_token_user(token).await.unwrap().is_some());
    // The HSDS export of the demo validates against the official schemas.
    let doc: serde_json::Value = serde_json::from_str(&ok(&backbone(
        &url,
        &["export", "hsds", "--initiative", "kiryat-malachi"],
        None,
    )))
    .unwrap();
    assert!(doc["organizations"].as_array().unwrap().len() >= 12);
    if let Some(dir) = standards() {
        for (key, file) in [
            ("organizations", "organization.json"),
            ("services", "service.json"),
            ("service_at_locations", "service_at_location.json"),
        ] {
            let schema: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
            let v = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&schema)
                .unwrap();
            let items = doc[key].as_array().unwrap();
            assert!(!items.is_empty(), "{key}");
            for item in items {
                let errs: Vec<String> = v
                    .iter_errors(item)
                    .map(|e| format!("{e} at {}", e.instance_path))
                    .collect();
                assert!(
                    errs.is_empty(),
                    "{key} item does not validate: {errs:?}\n{item}"
                );
            }
        }
    }
    let missing = backbone(&url, &["export", "hsds", "--initiative", "atlantis"], None);
    assert!(!missing.status.success());
}

async fn backup_is_sqlite_only_and_restorable(e: Engine) {
    let db = TestDb::new(e).await;
    ok(&backbone(&db.url, &["demo"], None));
    let dir = std::env::temp_dir().join(format!("bb-cli-backup-{}-{:?}", std::process::id(), e));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("copy.db");
    let _ = std::fs::remove_file(&path);
    let out = backbone(&db.url, &["backup", path.to_str().unwrap()], None);
    match e {
        Engine::Sqlite => {
            ok(&out);
            // Restore: serve from the copy.
            let copy = format!("sqlite://{}", path.display());
            let out = ok(&backbone(
                &copy,
                &["export", "hsds", "--initiative", "riverside-zero"],
                None,
            ));
            assert!(out.contains("Street outreach"));
            // Refuses to overwrite.
            assert!(
                !backbone(&db.url, &["backup", path.to_str().unwrap()], None)
                    .status
                    .success()
            );
        }
        Engine::Postgres => {
            assert!(!out.status.success());
            assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

async fn serve_answers_and_stops_on_sigterm(e: Engine) {
    use std::io::{BufRead, BufReader, Read};
    let db = TestDb::new(e).await;
    // Port 0: the system picks a free port; serve prints the address it got.
    let mut child = Command::new(BIN)
        .args(["--database", &db.url, "--addr", "127.0.0.1:0", "serve"])
        .env("BACKBONE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = vec![];
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        printed.push(line.clone());
        if let Some(url) = line.strip_prefix("Backbone is serving on http://") {
            break url.trim().to_string();
        }
    };
    let start = Instant::now();
    let mut up = false;
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.1 200") {
                up = true;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(up, "serve answered /healthz");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    printed.extend(lines.map_while(Result::ok));
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit status after SIGTERM: {exit:?}");
    // A fresh database with no account prints a one-time setup link, never a password.
    let stdout = printed.join("\n");
    assert!(
        stdout.contains(&format!("http://{addr}/invite/")),
        "{stdout}"
    );
    assert!(!stdout.to_lowercase().contains("password"));
}

fn err(o: &Output) -> String {
    assert!(!o.status.success(), "expected a failure");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

async fn operators_manage_accounts(e: Engine) {
    let db = TestDb::new(e).await;
    let url = db.url.clone();
    let s = &db.store;
    ok(&backbone(&url, &["demo"], None));
    ok(&backbone(
        &url,
        &[
            "user",
            "create",
            "--email",
            "ops@example.org",
            "--name",
            "Ops",
            "--role",
            "kiryat-malachi:viewer",
        ],
        Some("a long enough password\n"),
    ));
    // Grants of every kind, network lead included; bad values are named.
    ok(&backbone(
        &url,
        &[
            "user",
            "grant",
            "--email",
            "ops@example.org",
            "--role",
            "riverside-zero:coordinator",
            "--network-lead",
            "demo-network",
        ],
        None,
    ));
    let u = s.user_by_email("ops@example.org").await.unwrap().unwrap();
    let r = s.initiative_by_slug("riverside-zero").await.unwrap();
    let k = s.initiative_by_slug("kiryat-malachi").await.unwrap();
    let g = s.grants(&u, &r).await.unwrap();
    assert_eq!(g.roles, vec![domain::access::Role::Coordinator]);
    assert!(g.network_lead);
    assert_eq!(
        s.grants(&u, &k).await.unwrap().roles,
        vec![domain::access::Role::Viewer]
    );
    // Granting again is harmless.
    ok(&backbone(
        &url,
        &[
            "user",
            "grant",
            "--email",
            "ops@example.org",
            "--network-lead",
            "demo-network",
        ],
        None,
    ));
    assert!(
        err(&backbone(
            &url,
            &[
                "user",
                "grant",
                "--email",
                "ops@example.org",
                "--role",
                "kiryat-malachi:king"
            ],
            None
        ))
        .contains("--role")
    );
    assert!(
        err(&backbone(
            &url,
            &[
                "user",
                "grant",
                "--email",
                "ops@example.org",
                "--role",
                "atlantis:viewer"
            ],
            None
        ))
        .contains("atlantis")
    );
    assert!(
        err(&backbone(
            &url,
            &[
                "user",
                "grant",
                "--email",
                "ops@example.org",
                "--network-lead",
                "nowhere"
            ],
            None
        ))
        .contains("--network-lead")
    );
    assert!(
        err(&backbone(
            &url,
            &[
                "user",
                "grant",
                "--email",
                "ghost@example.org",
                "--role",
                "kiryat-malachi:viewer"
            ],
            None
        ))
        .contains("--email")
    );
    // Tokens: with an expiry, listed with it; bad expiry named.
    assert!(
        err(&backbone(
            &url,
            &[
                "token",
                "create",
                "--email",
                "ops@example.org",
                "--expires-days",
                "0"
            ],
            None
        ))
        .contains("--expires-days")
    );
    let t1 = ok(&backbone(
        &url,
        &[
            "token",
            "create",
            "--email",
            "ops@example.org",
            "--name",
            "ci",
            "--expires-days",
            "30",
        ],
        None,
    ));
    let t1 = t1.trim().to_string();
    assert!(s.api_token_user(&t1).await.unwrap().is_some());
    let listed = s.api_tokens(u.id).await.unwrap();
    let exp = listed[0].expires_at.expect("expiry set");
    let days = (exp - store::now().get()).num_hours();
    assert!((29 * 24..=30 * 24).contains(&days), "{days}");
    // Revoke by id.
    ok(&backbone(
        &url,
        &["token", "revoke", "--id", &listed[0].id.to_string()],
        None,
    ));
    assert!(s.api_token_user(&t1).await.unwrap().is_none());
    assert!(
        err(&backbone(
            &url,
            &["token", "revoke", "--id", &listed[0].id.to_string()],
            None
        ))
        .contains("--id")
    );
    // Revoke all of an account's.
    let t2 = ok(&backbone(
        &url,
        &["token", "create", "--email", "ops@example.org"],
        None,
    ));
    let t3 = ok(&backbone(
        &url,
        &["token", "create", "--email", "ops@example.org"],
        None,
    ));
    let out = ok(&backbone(
        &url,
        &["token", "revoke", "--email", "ops@example.org", "--all"],
        None,
    ));
    assert!(out.contains("2 token(s)"), "{out}");
    for t in [t2.trim(), t3.trim()] {
        assert!(s.api_token_user(t).await.unwrap().is_none());
    }
    assert!(
        !backbone(
            &url,
            &["token", "revoke", "--email", "ops@example.org"],
            None
        )
        .status
        .success()
    );
    // Disable: sessions and tokens end at once, sign-in refused; enable again.
    let t4 = ok(&backbone(
        &url,
        &["token", "create", "--email", "ops@example.org"],
        None,
    ));
    let (session, _) = s.create_session(u.id).await.unwrap();
    ok(&backbone(
        &url,
        &["user", "disable", "--email", "ops@example.org"],
        None,
    ));
    assert!(s.api_token_user(t4.trim()).await.unwrap().is_none());
    assert!(s.session(&session).await.unwrap().is_none());
    assert!(
        s.check_login("ops@example.org", "a long enough password")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        err(&backbone(
            &url,
            &["token", "create", "--email", "ops@example.org"],
            None
        ))
        .contains("disabled")
    );
    ok(&backbone(
        &url,
        &["user", "enable", "--email", "ops@example.org"],
        None,
    ));
    assert!(
        s.check_login("ops@example.org", "a long enough password")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.api_token_user(t4.trim()).await.unwrap().is_none(),
        "old tokens stay revoked"
    );
    // No email or password in what the commands print.
    let out = backbone(
        &url,
        &["user", "disable", "--email", "ops@example.org"],
        None,
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !all.contains("ops@example.org") && !all.contains("password"),
        "{all}"
    );
}

#[test]
fn unknown_database_urls_are_errors() {
    for url in ["mysql://root@localhost/backbone", "./data/backbone.db"] {
        let out = backbone(url, &["migrate"], None);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"),
            "{url}"
        );
    }
}

/// Start `backbone serve` on port 0 with extra arguments; returns the child, the
/// address it serves and what it printed before that.
fn start_server(url: &str, extra: &[&str]) -> (std::process::Child, String, Vec<String>) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(BIN)
        .args(["--database", url, "--addr", "127.0.0.1:0"])
        .args(extra)
        .arg("serve")
        .env("BACKBONE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = vec![];
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        printed.push(line.clone());
        if let Some(url) = line.strip_prefix("Backbone is serving on http://") {
            break url.trim().to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    (child, addr, printed)
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf
}

fn sigterm(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Wait for the process to exit, at most `bound`; kill it and fail otherwise.
fn exits_within(child: &mut std::process::Child, bound: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > bound {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server was still running {bound:?} after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A client that never finishes its request line does not keep the server alive
/// after SIGTERM, and does not stop others from being served meanwhile.
async fn a_stalled_client_does_not_hold_up_shutdown(e: Engine) {
    let db = TestDb::new(e).await;
    let (mut child, addr, _) = start_server(&db.url, &["--no-demo"]);
    let mut stalled = std::net::TcpStream::connect(&addr).unwrap();
    stalled.write_all(b"GET /heal").unwrap();
    let mut body = std::net::TcpStream::connect(&addr).unwrap();
    body.write_all(
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=",
    )
    .unwrap();
    assert!(http_get(&addr, "/healthz").starts_with("HTTP/1.1 200"));
    sigterm(&child);
    let start = Instant::now();
    let status = exits_within(&mut child, Duration::from_secs(15));
    assert!(status.success(), "{status:?}");
    eprintln!("exited {:?} after SIGTERM", start.elapsed());
    drop(stalled);
    drop(body);
}

/// Slow headers are cut by the server itself, without any signal.
#[test]
fn slow_headers_are_cut() {
    use std::io::Read;
    let dir = std::env::temp_dir().join(format!("bb-cli-slow-{}", std::process::id()));
    let url = format!("sqlite://{}/b.db", dir.display());
    let (mut child, addr, _) = start_server(&url, &["--no-demo"]);
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let start = Instant::now();
    let mut buf = vec![];
    let _ = s.read_to_end(&mut buf);
    let waited = start.elapsed();
    assert!(
        waited < Duration::from_secs(15),
        "the connection was closed after {waited:?}"
    );
    sigterm(&child);
    exits_within(&mut child, Duration::from_secs(15));
    let _ = std::fs::remove_dir_all(dir);
}

/// /metrics is served on its own address when asked to, never on the main one.
#[test]
fn metrics_get_their_own_address() {
    let dir = std::env::temp_dir().join(format!("bb-cli-metrics-{}", std::process::id()));
    let url = format!("sqlite://{}/b.db", dir.display());
    let (mut child, addr, printed) =
        start_server(&url, &["--no-demo", "--metrics-addr", "127.0.0.1:0"]);
    let metrics = printed
        .iter()
        .find_map(|l| l.strip_prefix("Metrics on http://"))
        .expect("the metrics address is printed")
        .trim_end_matches("/metrics")
        .to_string();
    assert!(http_get(&addr, "/healthz").starts_with("HTTP/1.1 200"));
    assert!(http_get(&addr, "/metrics").starts_with("HTTP/1.1 404"));
    let m = http_get(&metrics, "/metrics");
    assert!(m.starts_with("HTTP/1.1 200"), "{m}");
    assert!(m.contains(r#"route="/healthz""#), "{m}");
    sigterm(&child);
    assert!(exits_within(&mut child, Duration::from_secs(15)).success());
    let _ = std::fs::remove_dir_all(dir);
}

/// Commands that only read data never create a database: a wrong data folder
/// or a missing file is refused, naming the path looked at.
#[test]
fn read_only_commands_never_create_a_database() {
    let dir = std::env::temp_dir().join(format!("bb-cli-nodb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("data");
    let data_s = data.to_str().unwrap();
    let commands: [&[&str]; 3] = [
        &["backup", "/tmp/never-written.db"],
        &["export", "hsds", "--initiative", "kiryat-malachi"],
        &["token", "create", "--email", "a@example.org"],
    ];
    for args in commands {
        let out = Command::new(BIN)
            .args(["--data-dir", data_s])
            .args(args)
            .env_remove("BACKBONE_DATABASE_URL")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            err.contains(&format!("{data_s}/backbone.db")) && err.contains("no database"),
            "{args:?}: {err}"
        );
        assert!(!data.exists(), "{args:?} created {}", data.display());
        let url = format!("sqlite://{}/missing.db", dir.display());
        let out = backbone(&url, args, None);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("missing.db"));
        assert!(!dir.join("missing.db").exists());
    }
    assert!(!std::path::Path::new("/tmp/never-written.db").exists());
    let _ = std::fs::remove_dir_all(dir);
}

/// A SQLite file with damaged pages is refused at start, naming the file.
#[tokio::test]
async fn a_damaged_sqlite_file_is_refused() {
    use std::io::{Seek, SeekFrom};
    let dir = std::env::temp_dir().join(format!("bb-cli-damaged-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("backbone.db");
    let url = format!("sqlite://{}", path.display());
    ok(&backbone(&url, &["demo"], None));
    // Move everything from the write-ahead log into the file itself.
    let s = store::Store::connect(&url).await.unwrap();
    s.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .unwrap();
    s.db.close().await.unwrap();
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 16 * 4096, "{len}");
    let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    // Scribble over pages in the middle (tables and indexes), not the header.
    f.seek(SeekFrom::Start(len / 2)).unwrap();
    f.write_all(&vec![0xA5u8; 3 * 4096]).unwrap();
    f.sync_all().unwrap();
    drop(f);
    for args in [&["migrate"][..], &["serve", "--addr", "127.0.0.1:0"]] {
        let out = backbone(&url, args, None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {err}");
        assert!(err.contains(path.to_str().unwrap()), "{args:?}: {err}");
        assert!(err.contains("damaged"), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// PostgreSQL down: the error names host and port, never the password, quickly.
#[test]
fn an_unreachable_postgres_is_named() {
    let start = Instant::now();
    let out = backbone(
        "postgres://backbone:s3cretpw@127.0.0.1:1/backbone",
        &["migrate"],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("s3cretpw"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
}

/// A data folder Backbone cannot write to is named.
#[test]
fn a_read_only_data_folder_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("bb-cli-ro-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    // root writes through permissions: use a read-only file system instead.
    let folder = if std::fs::write(dir.join("probe"), b"").is_ok() {
        std::path::PathBuf::from("/sys/kernel")
    } else {
        dir.clone()
    };
    let out = Command::new(BIN)
        .args(["--data-dir", folder.to_str().unwrap(), "migrate"])
        .env_remove("BACKBONE_DATABASE_URL")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(folder.to_str().unwrap()) && err.contains("cannot write"),
        "{err}"
    );
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

both_engines!(
    a_stalled_client_does_not_hold_up_shutdown,
    scripts_use_the_command_line,
    operators_manage_accounts,
    backup_is_sqlite_only_and_restorable,
    serve_answers_and_stops_on_sigterm
);

/// `backbone export systems-map` on the demo: the first round's map is complete,
/// its answers are exactly the questions inference asked, and the idea most
/// members voted for is not the one that drives the most others. The second
/// round, after the map, gathers fewer votes on fewer ideas. Wrong arguments are
/// named.
async fn the_demo_systems_map_exports_as_json(e: Engine) {
    use domain::agenda::systems_map::Inference;
    use domain::agenda::{Idea, IdeaSource, IdeaStatus, Milestone, Objective, Round};
    use store::records::ListOptions;

    let db = TestDb::new(e).await;
    let url = db.url.clone();
    ok(&backbone(&url, &["demo"], None));
    let s = &db.store;
    let km = s.initiative_by_slug("kiryat-malachi").await.unwrap();
    let rounds = s
        .list::<Round>(Some(km.id), ListOptions::default())
        .await
        .unwrap();
    let first = rounds
        .iter()
        .find(|r| r.data.follows_round_id.is_none())
        .expect("a first round");
    let second = rounds
        .iter()
        .find(|r| r.data.follows_round_id == Some(first.id))
        .expect("a round that follows it");
    let today = chrono::Utc::now().date_naive();
    assert!(first.data.closes_on < today && second.data.opens_on > first.data.closes_on);
    let export = |round: i64| -> serde_json::Value {
        let out = ok(&backbone(
            &url,
            &[
                "export",
                "systems-map",
                "--initiative",
                "kiryat-malachi",
                "--round",
                &round.to_string(),
                "--format",
                "json",
            ],
            None,
        ));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    };
    let doc = export(first.id);
    let nodes = doc["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 12);
    for n in nodes {
        assert!(
            n["id"].as_i64().is_some() && n["title"].as_str().is_some(),
            "{n}"
        );
        assert!(n["level"].as_u64().unwrap() >= 1, "{n}");
        assert!(n["driving_power"].as_u64().unwrap() >= 1, "{n}");
        assert!(n["dependence"].as_u64().unwrap() >= 1, "{n}");
        let q = n["quadrant"].as_str().unwrap();
        assert!(
            ["autonomous", "dependent", "linkage", "driver"].contains(&q),
            "{n}"
        );
    }
    assert!(
        nodes
            .iter()
            .any(|n| n["title"] == "Huertos escolares con jóvenes voluntarios")
    );
    // The most-voted idea (one, clearly ahead) is not the strongest driver.
    let votes = |n: &serde_json::Value| n["votes"].as_i64().unwrap();
    let driving = |n: &serde_json::Value| n["driving_power"].as_u64().unwrap();
    let top_votes = nodes.iter().map(votes).max().unwrap();
    let most_voted: Vec<_> = nodes.iter().filter(|n| votes(n) == top_votes).collect();
    assert_eq!(most_voted.len(), 1, "{doc}");
    let top_driving = nodes.iter().map(driving).max().unwrap();
    assert!(driving(most_voted[0]) < top_driving, "{doc}");
    // The answers: exactly the questions inference asked, in order, until
    // every pair was known; far fewer than the 132 pairs.
    let answers = doc["answers"].as_array().unwrap();
    assert!(!answers.is_empty());
    let ids: Vec<i64> = nodes.iter().map(|n| n["id"].as_i64().unwrap()).collect();
    let index = |v: &serde_json::Value| ids.iter().position(|i| v.as_i64() == Some(*i)).unwrap();
    let mut inference = Inference::new(ids.len());
    for a in answers {
        let (from, to) = (index(&a["from"]), index(&a["to"]));
        assert_eq!(inference.next_question(), Some((from, to)), "{a}");
        inference
            .answer(from, to, a["influences"].as_bool().unwrap())
            .unwrap();
    }
    assert_eq!(inference.next_question(), None, "the map is complete");
    assert!(answers.len() < 132 / 2, "{} questions", answers.len());
    // After the map: fewer ballots' worth of votes, on fewer ideas.
    let after = export(second.id);
    let spread = |d: &serde_json::Value| {
        d["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| votes(n) > 0)
            .count()
    };
    let total = |d: &serde_json::Value| {
        d["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(votes)
            .sum::<i64>()
    };
    assert!(spread(&after) < spread(&doc), "{after}");
    assert!(total(&after) < total(&doc), "{after}");
    assert!(after["answers"].as_array().unwrap().is_empty());

    // The rest of the agenda: two ideas in the moderation queue (one from the
    // portal), tagged objectives and an overdue milestone.
    let all = ListOptions {
        include_archived: true,
        limit: 1000,
        offset: 0,
    };
    let ideas = s.list::<Idea>(Some(km.id), all).await.unwrap();
    let queue: Vec<_> = ideas
        .iter()
        .filter(|i| i.data.status == IdeaStatus::Submitted)
        .collect();
    assert_eq!(queue.len(), 2);
    assert!(queue.iter().any(|i| i.data.source == IdeaSource::Portal));
    assert!(ideas.iter().any(|i| i.data.source == IdeaSource::Portal
        && i.data.language == "es"
        && i.data.status == IdeaStatus::Accepted));
    let objectives = s.list::<Objective>(Some(km.id), all).await.unwrap();
    assert_eq!(objectives.len(), 6);
    for o in &objectives {
        assert!(!o.data.sdg.is_empty(), "{}", o.data.title);
        domain::sdg::parse_codes(&o.data.sdg).unwrap();
    }
    let milestones = s.list::<Milestone>(Some(km.id), all).await.unwrap();
    assert_eq!(
        milestones.iter().filter(|m| m.data.overdue(today)).count(),
        1
    );

    // Wrong arguments are named, with a non-zero exit.
    let run = |initiative: &str, round: &str, format: &str| {
        backbone(
            &url,
            &[
                "export",
                "systems-map",
                "--initiative",
                initiative,
                "--round",
                round,
                "--format",
                format,
            ],
            None,
        )
    };
    let first_id = first.id.to_string();
    assert!(err(&run("kiryat-malachi", "999999", "json")).contains("--round 999999"));
    assert!(err(&run("atlantis", &first_id, "json")).contains("no initiative atlantis"));
    assert!(err(&run("kiryat-malachi", &first_id, "csv")).contains("--format csv"));
    let rz = s.initiative_by_slug("riverside-zero").await.unwrap();
    let elsewhere = s
        .create(
            None,
            Some(rz.id),
            &Round {
                title: "Riverside priorities".into(),
                description: String::new(),
                picks: 2,
                opens_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                closes_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 31).unwrap(),
                follows_round_id: None,
                public: false,
            },
        )
        .await
        .unwrap();
    let message = err(&run("kiryat-malachi", &elsewhere.id.to_string(), "json"));
    assert!(message.contains("another initiative"), "{message}");
}

both_engines!(the_demo_systems_map_exports_as_json);
