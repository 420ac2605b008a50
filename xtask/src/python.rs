//! The Python the tests check Backbone against: a venv under `target/py-venv`
//! with the packages pinned in `xtask/python-requirements.txt` (the
//! `icalendar` parser, `python-dateutil`'s recurrence rules, the `aiosmtpd`
//! SMTP server). Tests find it through `BACKBONE_PYTHON`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The venv's interpreter, installed or brought up to date on first use;
/// `None` (said loudly) where Python cannot make a venv, which CI refuses.
pub fn venv(root: &Path) -> Result<Option<PathBuf>, String> {
    let venv = root.join("target/py-venv");
    let python = venv.join("bin/python");
    let requirements = root.join("xtask/python-requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .map_err(|e| format!("{}: {e}", requirements.display()))?;
    let stamp = venv.join("installed-requirements.txt");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&wanted) {
        return Ok(Some(python));
    }
    let made = python.exists()
        || Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    if !made {
        let _ = std::fs::remove_dir_all(&venv);
        let why = "python3 cannot create a venv (python3-venv missing?)";
        if std::env::var_os("BACKBONE_REQUIRE_PYTHON").is_some() {
            return Err(format!("the Python test tools are required here: {why}"));
        }
        eprintln!("\n== SKIPPED: the iCalendar and SMTP conformance tests: {why}");
        return Ok(None);
    }
    crate::run(
        "install the Python test tools (icalendar, python-dateutil, aiosmtpd)",
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
    )?;
    std::fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    Ok(Some(python))
}
