//! `backbone export 360giving` on both engines: the demo fund's awarded grants
//! as a 360Giving 1.4 package that validates against the official package and
//! grant schemas, with exact amounts, org-id identifiers, the payment schedule
//! as planned dates and SDG classifications; an initiative without an award
//! is refused.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use testkit::{Engine, TestDb, both_engines};

const BIN: &str = env!("CARGO_BIN_EXE_backbone");
/// Where the package schema's `items` point: the grant schema, served locally.
const GRANT_SCHEMA_URL: &str = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json";

fn backbone(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["--database", url])
        .args(args)
        .env("BACKBONE_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("backbone ran")
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
    let dir = root.join("360giving");
    if dir.join("360-giving-package-schema.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("BACKBONE_REQUIRE_STANDARDS").as_deref() != Ok("1"),
        "standards folder not found at {}",
        dir.display()
    );
    eprintln!(
        "SKIPPED: 360Giving schema conformance of `backbone export 360giving` — standards folder not found at {}",
        dir.display()
    );
    None
}

/// A schema file, read as draft 2020-12. Its `$schema` names the draft as
/// `http://json-schema.org/draft/2020-12/schema` (http, not the https the
/// validator knows it by, and nothing here fetches over the network): the
/// draft is given to the validator instead.
fn read(dir: &std::path::Path, file: &str) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
    assert!(v["$schema"].as_str().unwrap().contains("2020-12"));
    v.as_object_mut().unwrap().remove("$schema");
    v
}

async fn the_fund_exports_as_360giving(e: Engine) {
    let db = TestDb::new(e).await;
    let url = db.url.clone();
    ok(&backbone(&url, &["demo"]));
    let doc: serde_json::Value = serde_json::from_str(&ok(&backbone(
        &url,
        &["export", "360giving", "--initiative", "kiryat-malachi"],
    )))
    .unwrap();
    let grants = doc["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 2, "{doc:#}");
    let hub = grants
        .iter()
        .find(|g| g["amountAwarded"] == serde_json::json!(200000))
        .expect("the hub's award of 200,000");
    assert!(
        hub["id"]
            .as_str()
            .unwrap()
            .starts_with("360G-backbone-kiryat-malachi-")
    );
    assert_eq!(hub["currency"], "ILS");
    assert_eq!(hub["amountAppliedFor"], serde_json::json!(240000));
    assert_eq!(hub["awardDate"], "2025-04-06");
    assert_eq!(hub["recipientOrganization"][0]["id"], "IL-RA-580000201");
    assert_eq!(hub["fundingOrganization"][0]["id"], "IL-RA-580000101");
    assert_eq!(hub["fromOpenCall"], "Yes");
    assert_eq!(
        hub["grantProgramme"][0]["title"],
        "Community Investment Fund 2025"
    );
    assert_eq!(hub["plannedDates"][0]["startDate"], "2025-05-01");
    assert_eq!(hub["plannedDates"][0]["endDate"], "2025-11-01");
    assert_eq!(hub["classifications"][0]["vocabulary"], "SDG");
    assert_eq!(hub["classifications"][0]["code"], "11.3");
    // One call's grants, by its id.
    let call = hub["grantProgramme"][0]["code"]
        .as_str()
        .unwrap()
        .rsplit('-')
        .next()
        .unwrap()
        .to_string();
    let one: serde_json::Value = serde_json::from_str(&ok(&backbone(
        &url,
        &[
            "export",
            "360giving",
            "--initiative",
            "kiryat-malachi",
            "--fund",
            &call,
        ],
    )))
    .unwrap();
    assert_eq!(one["grants"].as_array().unwrap().len(), 2);
    // Nothing awarded: no package (it needs a grant), a clear error.
    let none = backbone(
        &url,
        &["export", "360giving", "--initiative", "riverside-zero"],
    );
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("no awarded grant"));
    let missing = backbone(
        &url,
        &[
            "export",
            "360giving",
            "--initiative",
            "kiryat-malachi",
            "--fund",
            "99999",
        ],
    );
    assert!(!missing.status.success());
    if let Some(dir) = standards() {
        let package = read(&dir, "360-giving-package-schema.json");
        let grant = read(&dir, "360-giving-schema.json");
        let v = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .with_resource(
                GRANT_SCHEMA_URL,
                jsonschema::Draft::Draft202012.create_resource(grant.clone()),
            )
            .build(&package)
            .unwrap();
        let errs: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errs.is_empty(), "360Giving package: {errs:#?}");
        // The validator does check the grants: a grant without an id fails.
        let mut bad = doc.clone();
        bad["grants"][0]["recipientOrganization"][0]
            .as_object_mut()
            .unwrap()
            .remove("id");
        assert!(!v.is_valid(&bad));
    }
}

both_engines!(the_fund_exports_as_360giving);
