//! The SDG catalogue shipped in the binary (`data/sdg.tsv`) is exactly what the
//! UN's YAML lists in `$BACKBONE_STANDARDS_DIR/sdg/` (by default
//! `../../../shared/standards` from this crate) produce, so it cannot drift from
//! them: after an update of those files, run `cargo xtask sdg`. Without that folder
//! the test prints `SKIPPED` and passes, unless `BACKBONE_REQUIRE_STANDARDS=1`.

use std::collections::HashSet;
use std::path::PathBuf;

use domain::sdg::catalogue_from_yaml;

const SHIPPED: &str = include_str!("../data/sdg.tsv");

/// `sdg/` in the standards folder, or `None` after printing why the test is
/// skipped. Panics instead when `BACKBONE_REQUIRE_STANDARDS=1`.
fn sdg_dir() -> Option<PathBuf> {
    let root = std::env::var_os("BACKBONE_STANDARDS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards")
        });
    let dir = root.join("sdg");
    if dir.is_dir() {
        return Some(dir);
    }
    let required = std::env::var("BACKBONE_REQUIRE_STANDARDS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "SDG catalogue conformance: standards folder not found at {} \
         (set BACKBONE_STANDARDS_DIR to a folder containing sdg/global_targets.en.yml)",
        dir.display()
    );
    eprintln!(
        "SKIPPED: SDG catalogue conformance — standards folder not found at {}",
        dir.display()
    );
    None
}

fn regenerate() -> Option<String> {
    let dir = sdg_dir()?;
    let tsv = catalogue_from_yaml(|name| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    })
    .unwrap_or_else(|e| panic!("SDG YAML: {e}"));
    Some(tsv)
}

#[test]
fn shipped_catalogue_matches_the_un_lists() {
    let Some(tsv) = regenerate() else { return };
    if tsv != SHIPPED {
        let first = tsv
            .lines()
            .zip(SHIPPED.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "one is longer".to_string(),
                |i| {
                    format!(
                        "line {}: generated {:?}, shipped {:?}",
                        i + 1,
                        tsv.lines().nth(i).unwrap_or_default(),
                        SHIPPED.lines().nth(i).unwrap_or_default()
                    )
                },
            );
        panic!("data/sdg.tsv is out of date ({first}); run `cargo xtask sdg`");
    }
}

#[test]
fn counts_from_the_english_lists() {
    let Some(tsv) = regenerate() else { return };
    let english: Vec<(&str, &str)> = tsv
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            let (code, lang, title) = (f.next()?, f.next()?, f.next()?);
            (lang == "en").then_some((code, title))
        })
        .collect();
    let of_kind = |dots: usize| {
        english
            .iter()
            .filter(move |(c, _)| c.matches('.').count() == dots)
    };
    assert_eq!(of_kind(0).count(), 17, "goals");
    assert_eq!(of_kind(1).count(), 169, "targets");
    // Some indicators repeat under several targets (4.7.1 = 12.8.1 = 13.3.1), each
    // with its own code: 252 codes, 235 different indicators.
    assert_eq!(of_kind(2).count(), 252, "indicator codes");
    let distinct: HashSet<&str> = of_kind(2).map(|(_, t)| *t).collect();
    assert!(
        (230..=250).contains(&distinct.len()),
        "{} distinct indicators",
        distinct.len()
    );
    // Every code has a Spanish title too.
    let spanish = tsv.lines().filter(|l| l.contains("\tes\t")).count();
    assert_eq!(spanish, english.len());
}
