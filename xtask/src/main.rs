//! Developer tasks.
//!
//! - `cargo xtask test`: every test — formatting, lints, unit and integration
//!   tests on SQLite and PostgreSQL, and the browser tests in real Chromium on both
//!   engines, and Schemathesis against the OpenAPI document on both engines.
//!   `--no-browser` skips the browser tests; `--no-lint` skips fmt/clippy;
//!   `--no-schemathesis` skips Schemathesis (also skipped, loudly, where Python is
//!   missing, unless `BACKBONE_REQUIRE_SCHEMATHESIS=1`, as in CI).
//! - `cargo xtask schemathesis`: the Schemathesis step alone.
//! - `cargo xtask bench [ARGS]`: build the release binary and run `backbone bench`.
//! - `cargo xtask sdg [DIR]`: regenerate the SDG catalogue from the UN's YAML files.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod python;
mod schemathesis;
mod sdg;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn run(step: &str, cmd: &mut Command) -> Result<(), String> {
    eprintln!("\n== {step}: {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("{step}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn test(args: &[String]) -> Result<(), String> {
    let lint = !args.iter().any(|a| a == "--no-lint");
    let browser = !args.iter().any(|a| a == "--no-browser");
    let fuzz = !args.iter().any(|a| a == "--no-schemathesis");
    if lint {
        run("format", cargo().args(["fmt", "--all", "--", "--check"]))?;
        run(
            "lint",
            cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        )?;
    }
    let mut tests = cargo();
    tests.args(["test", "--workspace", "--no-fail-fast"]);
    if let Some(python) = python::venv(&root())? {
        tests.env("BACKBONE_PYTHON", python);
    }
    run(
        "unit and integration tests (SQLite and PostgreSQL)",
        &mut tests,
    )?;
    if browser {
        run(
            "build for the browser tests",
            cargo().args(["build", "-p", "backbone"]),
        )?;
        let e2e = root().join("e2e");
        let mut npm = Command::new("npm");
        npm.current_dir(&e2e)
            .args(["ci", "--no-audit", "--no-fund"]);
        run("browser test dependencies", &mut npm)?;
        for engine in ["sqlite", "postgres"] {
            let mut t = Command::new("npm");
            t.current_dir(&e2e)
                .args(["test"])
                .env("BACKBONE_E2E_DATABASE", engine)
                .env("BACKBONE_BIN", root().join("target/debug/backbone"));
            run(&format!("browser tests on {engine}"), &mut t)?;
        }
    }
    if fuzz {
        schemathesis::run_all(&root())?;
    } else {
        eprintln!("\n== Schemathesis: skipped (--no-schemathesis)");
    }
    eprintln!("\nall tests passed");
    Ok(())
}

fn bench(args: &[String]) -> Result<(), String> {
    run(
        "release build",
        cargo().args(["build", "--release", "-p", "backbone"]),
    )?;
    let mut c = Command::new(root().join("target/release/backbone"));
    c.arg("bench").args(args);
    run("bench", &mut c)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("schemathesis") => schemathesis::run_all(&root()),
        Some("sdg") => sdg::run(&root(), &args[1..]),
        _ => Err("usage: cargo xtask test [--no-lint] [--no-browser] [--no-schemathesis] | cargo xtask bench [--connections N --seconds S] | cargo xtask sdg [DIR]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
