//! `backbone import hmis` and `backbone report monthly` on both engines, with
//! the real binary: the `bom_test` sample export as it is (refused, every
//! problem located, nothing written) and mended (imported; again: nothing
//! changed, the same report), and the report's CSV and JSON field names.
//!
//! The samples come from `$BACKBONE_FIXTURES_DIR/hmis-fy2024` (default
//! `shared/fixtures` beside the repository); without them the tests say
//! SKIPPED, unless `BACKBONE_REQUIRE_STANDARDS=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use domain::cases::report::FIELDS;
use interop::hmis::{Files, read_path};
use serde_json::Value;
use testkit::{Engine, TestDb, both_engines};

const BIN: &str = env!("CARGO_BIN_EXE_backbone");
const SLUG: &str = "riverside-zero";
const LIST: &str = "HMIS street outreach";

fn backbone(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["--database", url])
        .args(args)
        .env("BACKBONE_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("backbone ran")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The samples folder, or `None` (and a note) when it is not there.
fn fixtures_dir() -> Option<PathBuf> {
    let root = std::env::var_os("BACKBONE_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
        });
    let dir = root.join("hmis-fy2024");
    if dir.join("bom_test").is_dir() {
        return Some(dir);
    }
    let required = std::env::var("BACKBONE_REQUIRE_STANDARDS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "HMIS fixtures: folder not found at {} \
         (set BACKBONE_FIXTURES_DIR to a folder containing hmis-fy2024/)",
        dir.display()
    );
    eprintln!(
        "SKIPPED: HMIS import from the command line — samples not found at {}",
        dir.display()
    );
    None
}

/// `bom_test` with its problems mended (as the reader's own test mends it):
/// required values filled, the shifted and orphan current-living-situation
/// rows removed. Written to `to`.
fn mended(samples: &Path, to: &Path) {
    let mut files = read_path(&samples.join("bom_test")).unwrap();
    let fix = |files: &mut Files, name: &str, f: &dyn Fn(&str) -> String| {
        let text = String::from_utf8_lossy(files.get(name).unwrap()).into_owned();
        files.insert(name, f(&text).into_bytes());
    };
    fix(&mut files, "Client.csv", &|t| {
        t.replace(",\"\",\"\",\"\",99,", ",\"\",1,\"\",99,")
    });
    fix(&mut files, "Enrollment.csv", &|t| {
        t.lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    return l.to_string();
                }
                let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
                f[4] = f[0].clone();
                f[5] = "1".into();
                f[7] = "116".into();
                f.join(",")
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    fix(&mut files, "Exit.csv", &|t| {
        t.replacen("2015-11-07,\"\",", "2015-11-07,435,", 1)
    });
    fix(&mut files, "Project.csv", &|t| {
        t.replacen("\"\",,,0,1", "\"\",2015-01-01,,0,1", 1)
    });
    fix(&mut files, "CurrentLivingSituation.csv", &|t| {
        t.lines().next().unwrap().to_string() + "\n"
    });
    std::fs::create_dir_all(to).unwrap();
    for name in files.names() {
        std::fs::write(to.join(name), files.get(name).unwrap()).unwrap();
    }
}

fn report(url: &str, format: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "report",
        "monthly",
        "--initiative",
        SLUG,
        "--list",
        LIST,
        "--population",
        "all",
        "--from",
        "2015-01",
        "--to",
        "2016-06",
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    backbone(url, &args)
}

fn import(url: &str, path: &Path) -> Output {
    backbone(
        url,
        &[
            "import",
            "hmis",
            path.to_str().unwrap(),
            "--initiative",
            SLUG,
            "--list",
            LIST,
        ],
    )
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

/// The rows of a CSV report by month (no field in it holds a comma).
fn csv_rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

async fn import_reimport_and_refuse(e: Engine) {
    let Some(samples) = fixtures_dir() else {
        return;
    };
    let db = TestDb::new(e).await;
    db.store.load_demo().await.unwrap();
    let tmp =
        std::env::temp_dir().join(format!("bb-cases-cli-{}-{}", std::process::id(), e.name()));
    let good = tmp.join("bom_test_mended");
    mended(&samples, &good);
    let bad = samples.join("bom_test");

    // Refused as it is: each problem on its own line, located; nothing written.
    let o = import(&db.url, &bad);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    for line in [
        "Enrollment.csv, row 2, column HouseholdID: ",
        "Exit.csv, row 2, column Destination: ",
        "CurrentLivingSituation.csv, row 4, column EnrollmentID: ",
        "nothing was imported: 10 errors",
    ] {
        assert!(err.contains(line), "{line:?} not in:\n{err}");
    }
    assert!(text(&o.stdout).is_empty());
    let i = db.store.initiative_by_slug(SLUG).await.unwrap();
    assert_eq!(db.store.case_list_named(i.id, LIST).await.unwrap(), None);
    let o = report(&db.url, "csv", &[]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("--list: no list named"),
        "{}",
        text(&o.stderr)
    );

    // Mended: imported, the list created.
    let out = ok(&import(&db.url, &good));
    assert!(
        out.contains("(created): people added 3, changed 0, unchanged 0; events added"),
        "{out}"
    );
    // Exit.csv spells one header differently: a located warning.
    let err = text(&import(&db.url, &good).stderr);
    assert!(
        err.lines()
            .any(|l| l.starts_with("warning: Exit.csv") && l.contains("WorkplaceViolenceThreats")),
        "{err}"
    );

    let csv = ok(&report(&db.url, "csv", &[]));
    let rows = csv_rows(&csv);
    assert_eq!(rows[0], FIELDS);
    assert_eq!(rows.len(), 1 + 18);
    let month = |m: &str| -> Vec<String> {
        rows.iter()
            .find(|r| r[0] == m)
            .unwrap_or_else(|| panic!("{m}"))
            .clone()
    };
    // Client One identified 27 Feb 2015; Client Two 11 March.
    assert_eq!(month("2015-02")[1..3], ["1", "1"]);
    assert_eq!(month("2015-03")[1..3], ["2", "1"]);
    // Client One back 31 Oct (from inactive), housed 7 Nov after 7 days,
    // back 12 Nov (from housing).
    assert_eq!(month("2015-10")[4], "1");
    let nov = month("2015-11");
    assert_eq!((nov[3].as_str(), nov[5].as_str()), ("1", "1"));
    assert_eq!(nov[8], "7.0");
    assert_eq!(month("2015-01")[8], "");

    let json = ok(&report(&db.url, "json", &[]));
    let v: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(v.len(), 18);
    for r in &v {
        let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        let mut want = FIELDS.to_vec();
        want.sort();
        assert_eq!(keys, want);
    }
    let nov = v.iter().find(|r| r["month"] == "2015-11").unwrap();
    assert_eq!(nov["avg_days_identification_to_housing"], 7.0);
    assert_eq!(nov["housing_placements"], 1);
    assert!(
        json.contains("\"avg_days_identification_to_housing\": 7.0"),
        "{json}"
    );
    assert_eq!(v[0]["avg_days_identification_to_housing"], Value::Null);

    // The same export again: nothing changed, the same figures.
    let out = ok(&import(&db.url, &good));
    assert!(out.starts_with("nothing changed"), "{out}");
    assert_eq!(ok(&report(&db.url, "csv", &[])), csv);
    assert_eq!(ok(&report(&db.url, "json", &[])), json);

    // A refused export after it: non-zero, located, the figures untouched.
    let o = import(&db.url, &bad);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("Enrollment.csv, row 3, column HouseholdID: "));
    assert_eq!(ok(&report(&db.url, "csv", &[])), csv);

    // A cut-off before the import: nothing had been recorded.
    let early = csv_rows(&ok(&report(&db.url, "csv", &["--cut-off", "2020-01-01"])));
    assert!(early[1..].iter().all(|r| r[1..8].iter().all(|c| c == "0")));
    let _ = std::fs::remove_dir_all(&tmp);
}

async fn bad_flags_are_named(e: Engine) {
    let db = TestDb::new(e).await;
    db.store.load_demo().await.unwrap();
    let run = |flag: &str, value: &str| {
        let mut args = vec![
            "report",
            "monthly",
            "--initiative",
            SLUG,
            "--list",
            LIST,
            "--from",
            "2025-01",
            "--to",
            "2025-03",
        ];
        args.extend([flag, value]);
        backbone(&db.url, &args)
    };
    for (flag, value) in [
        ("--population", "kids"),
        ("--from", "2025-13"),
        ("--to", "2025/03"),
        ("--to", "2024-12"),
        ("--format", "xml"),
        ("--cut-off", "yesterday"),
        ("--initiative", "nowhere"),
    ] {
        let o = run(flag, value);
        assert!(!o.status.success(), "{flag} {value}");
        let err = text(&o.stderr);
        assert!(err.contains(flag), "{flag} {value}: {err}");
    }
    let o = backbone(
        &db.url,
        &[
            "import",
            "hmis",
            "/nonexistent/export",
            "--initiative",
            SLUG,
            "--list",
            LIST,
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("cannot read /nonexistent/export"));
}

both_engines!(import_reimport_and_refuse, bad_flags_are_named);
