//! `cargo xtask sdg [DIR]`: regenerate `crates/domain/data/sdg.tsv`, the SDG goals,
//! targets and indicators shipped in the binary, from the UN's YAML lists in DIR
//! (by default `$BACKBONE_STANDARDS_DIR/sdg`, the standards folder defaulting to
//! `../shared/standards`). The conversion is `domain::sdg::catalogue_from_yaml`, the
//! same the conformance test runs.

use std::path::{Path, PathBuf};

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let dir = match args {
        [] => std::env::var_os("BACKBONE_STANDARDS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("../shared/standards"))
            .join("sdg"),
        [dir] => PathBuf::from(dir),
        _ => return Err("usage: cargo xtask sdg [DIR]".into()),
    };
    let tsv = domain::sdg::catalogue_from_yaml(|name| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    })?;
    let out = root.join("crates/domain/data/sdg.tsv");
    if std::fs::read_to_string(&out).is_ok_and(|old| old == tsv) {
        eprintln!("{} is up to date", out.display());
        return Ok(());
    }
    std::fs::write(&out, &tsv).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!(
        "wrote {} ({} lines, {} bytes)",
        out.display(),
        tsv.lines().count(),
        tsv.len()
    );
    Ok(())
}
