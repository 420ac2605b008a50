//! Schemathesis against the OpenAPI document, on a real server, both engines.
//!
//! Installs a pinned Schemathesis with pip into a venv under `target/`, starts the
//! debug `backbone` on a fresh SQLite database and on a fresh PostgreSQL database
//! (with the demo), creates a coordinator and an admin with a token each through
//! the command line, and runs Schemathesis with each token. Where Python is
//! missing the step is skipped with a loud message, unless
//! `BACKBONE_REQUIRE_SCHEMATHESIS=1` (CI), where that is a failure.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const VERSION: &str = "4.32.5";
/// Test cases per operation and phase: the whole step stays within a few
/// minutes on two cores.
const MAX_EXAMPLES: &str = "12";
const CHECKS: &str = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance,negative_data_rejection,positive_data_acceptance";
const PASSWORD: &str = "schemathesis runs with this password";

fn required() -> bool {
    std::env::var("BACKBONE_REQUIRE_SCHEMATHESIS").as_deref() == Ok("1")
}

fn skip(why: &str) -> Result<(), String> {
    if required() {
        return Err(format!(
            "Schemathesis is required (BACKBONE_REQUIRE_SCHEMATHESIS=1): {why}"
        ));
    }
    eprintln!("\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    eprintln!("SKIPPED: Schemathesis API tests — {why}");
    eprintln!("Install python3 with venv and pip (apt-get install python3-venv python3-pip),");
    eprintln!("or pass --no-schemathesis to silence this.");
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n");
    Ok(())
}

/// The `schemathesis` executable in its venv, installed on first use.
fn install(root: &Path) -> Result<Option<PathBuf>, String> {
    let venv = root.join("target/schemathesis-venv");
    let st = venv.join("bin/schemathesis");
    let pip = venv.join("bin/pip");
    let installed = Command::new(&pip)
        .args(["show", "schemathesis"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(&format!("Version: {VERSION}")))
        .unwrap_or(false);
    if installed && st.exists() {
        return Ok(Some(st));
    }
    if Command::new("python3")
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        skip("python3 was not found")?;
        return Ok(None);
    }
    if !venv.join("bin/python").exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            let _ = std::fs::remove_dir_all(&venv);
            skip("python3 cannot create a venv (python3-venv missing?)")?;
            return Ok(None);
        }
    }
    crate::run(
        "install Schemathesis",
        Command::new(&pip).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("schemathesis=={VERSION}"),
        ]),
    )?;
    Ok(Some(st))
}

/// A running `backbone serve`, stopped (SIGTERM) when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn start(bin: &Path, url: &str) -> Result<Server, String> {
    let mut child = Command::new(bin)
        .args(["--database", url, "--addr", "127.0.0.1:0", "serve"])
        .env("BACKBONE_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addr = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(a) = line.strip_prefix("Backbone is serving on http://") {
                    break a.trim().to_string();
                }
            }
            _ => {
                let _ = child.kill();
                return Err("backbone serve stopped before serving".into());
            }
        }
    };
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    Ok(Server { child, addr })
}

fn backbone(bin: &Path, url: &str, args: &[&str], stdin: Option<&str>) -> Result<String, String> {
    let mut c = Command::new(bin)
        .args(["--database", url])
        .args(args)
        .env("BACKBONE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    if let Some(s) = stdin {
        let _ = c.stdin.take().expect("stdin").write_all(s.as_bytes());
    }
    drop(c.stdin.take());
    let out = c.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "backbone {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A fresh database URL for the engine.
fn fresh_database(root: &Path, engine: &str) -> Result<String, String> {
    match engine {
        "sqlite" => {
            let dir = root.join("target/schemathesis/sqlite");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            Ok(format!("sqlite://{}/backbone.db", dir.display()))
        }
        _ => {
            let admin = std::env::var("BACKBONE_TEST_POSTGRES")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = "bb_schemathesis";
            crate::run(
                "fresh PostgreSQL database",
                Command::new("psql").args([
                    admin.as_str(),
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-c",
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    "-c",
                    &format!("CREATE DATABASE {name}"),
                ]),
            )?;
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            Ok(format!("{base}/{name}"))
        }
    }
}

pub fn run_all(root: &Path) -> Result<(), String> {
    let Some(st) = install(root)? else {
        return Ok(());
    };
    let mut cargo = crate::cargo();
    crate::run(
        "build for Schemathesis",
        cargo.args(["build", "-p", "backbone"]),
    )?;
    let bin = root.join("target/debug/backbone");
    let work = root.join("target/schemathesis");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let mut failures = vec![];
    for engine in ["sqlite", "postgres"] {
        let url = fresh_database(root, engine)?;
        let server = start(&bin, &url)?;
        backbone(
            &bin,
            &url,
            &[
                "user",
                "create",
                "--email",
                "coordinator@example.org",
                "--name",
                "Coordinator",
                "--role",
                "kiryat-malachi:coordinator",
            ],
            Some(PASSWORD),
        )?;
        backbone(
            &bin,
            &url,
            &[
                "user",
                "create",
                "--email",
                "admin@example.org",
                "--name",
                "Admin",
                "--admin",
            ],
            Some(PASSWORD),
        )?;
        for who in ["coordinator", "admin"] {
            let token = backbone(
                &bin,
                &url,
                &["token", "create", "--email", &format!("{who}@example.org")],
                None,
            )?;
            let report = root.join(format!("target/schemathesis/report-{engine}-{who}"));
            let step = format!("Schemathesis on {engine} as {who}");
            let result = crate::run(
                &step,
                Command::new(&st)
                    // Schemathesis keeps a cache in the folder it runs in.
                    .current_dir(root.join("target/schemathesis"))
                    .arg("--config-file")
                    .arg(root.join("xtask/schemathesis.toml"))
                    .args(["run", &format!("http://{}/api/openapi.json", server.addr)])
                    .args(["--checks", CHECKS])
                    .args(["--max-examples", MAX_EXAMPLES])
                    .args(["--phases", "examples,coverage,fuzzing"])
                    .args(["--seed", "7461001", "--workers", "1"])
                    .args(["--suppress-health-check", "all"])
                    .args(["--request-timeout", "10"])
                    .args(["--report", "junit", "--report-dir"])
                    .arg(&report)
                    .args(["-H", &format!("Authorization: Bearer {token}")])
                    .arg("--baseline")
                    .arg(root.join("xtask/schemathesis-baseline.json"))
                    .args(
                        std::env::var("BACKBONE_SCHEMATHESIS_BASELINE")
                            .ok()
                            .map(|v| format!("--baseline-{v}")),
                    )
                    .env("SCHEMATHESIS_HOOKS", "")
                    .env("NO_COLOR", "1"),
            );
            if let Err(e) = result {
                failures.push(e);
            }
        }
        drop(server);
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}
