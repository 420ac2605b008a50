//! `backbone report transitions` on the demo, on both engines: the exact keys,
//! each year's planned amounts summing to its cost, the public share read from
//! them, and clear refusals.

use std::process::{Command, Output, Stdio};

use serde_json::Value;
use testkit::{Engine, TestDb, both_engines};

const BIN: &str = env!("CARGO_BIN_EXE_backbone");

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

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    k.sort();
    k
}

async fn transitions_report_on_the_demo(e: Engine) {
    let db = TestDb::new(e).await;
    db.store.load_demo().await.unwrap();
    let o = backbone(
        &db.url,
        &[
            "report",
            "transitions",
            "--initiative",
            "kiryat-malachi",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(keys(&v), vec!["items"]);
    let items = v["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "items by name");
    assert!(names.contains(&"Strategic Planning Unit"));
    for it in items {
        assert_eq!(keys(it), vec!["currency", "name", "years"]);
        let mut last = 0;
        for y in it["years"].as_array().unwrap() {
            assert_eq!(
                keys(y),
                vec!["cost_minor", "funders", "public_share", "year"]
            );
            let year = y["year"].as_i64().unwrap();
            assert!(year > last, "years ascending");
            last = year;
            let cost = y["cost_minor"].as_i64().unwrap();
            let mut sum = 0;
            let mut public = 0;
            for f in y["funders"].as_array().unwrap() {
                assert_eq!(keys(f), vec!["amount_minor", "funder", "public"]);
                let a = f["amount_minor"].as_i64().unwrap();
                sum += a;
                if f["public"].as_bool().unwrap() {
                    public += a;
                }
            }
            assert_eq!(sum, cost, "{} {year}", it["name"]);
            let share = y["public_share"].as_f64().unwrap();
            assert!((share - public as f64 / cost as f64).abs() < 1e-12);
        }
    }
    // The Strategic Planning Unit: Gazit alone, then 66/34, 33/67, then the municipality.
    let spu = items
        .iter()
        .find(|i| i["name"] == "Strategic Planning Unit")
        .unwrap();
    let year = |y: i64| {
        spu["years"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["year"] == y)
            .unwrap()
            .clone()
    };
    assert_eq!(year(2018)["public_share"].as_f64(), Some(0.0));
    let y19 = year(2019);
    let cost = y19["cost_minor"].as_i64().unwrap();
    assert_eq!(y19["funders"][0]["funder"], "Gazit Globe");
    assert_eq!(
        y19["funders"][0]["amount_minor"].as_i64().unwrap(),
        cost * 66 / 100
    );
    assert_eq!(y19["funders"][1]["funder"], "Kiryat Malachi Municipality");
    assert_eq!(
        y19["funders"][1]["amount_minor"].as_i64().unwrap(),
        cost * 34 / 100
    );
    assert_eq!(year(2021)["public_share"].as_f64(), Some(1.0));

    let o = backbone(
        &db.url,
        &["report", "transitions", "--initiative", "nowhere"],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no initiative nowhere"));
    let o = backbone(
        &db.url,
        &[
            "report",
            "transitions",
            "--initiative",
            "kiryat-malachi",
            "--format",
            "csv",
        ],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--format csv is not supported"));
}

both_engines!(transitions_report_on_the_demo);
