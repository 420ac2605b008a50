//! Shared measurement from the command line, on both engines: indicators and
//! values imported from CSV and XLSX (all rows or none, every error located),
//! exports, and the indicator report and network rollup checked against
//! numbers worked out by hand here — and against the API, which must answer
//! the same.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use axum::body::Body;
use axum::http::{Request, header};
use serde_json::{Value, json};

use domain::measurement::indicator::Indicator;
use domain::partnership::Organization;
use store::records::ListOptions;
use testkit::{Engine, TestDb, both_engines};

const BIN: &str = env!("CARGO_BIN_EXE_backbone");
const KM: &str = "kiryat-malachi";
const RZ: &str = "riverside-zero";

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

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A refused command: non-zero, and what it said on standard error.
fn refused(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "should have failed: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_out(o: &Output) -> Value {
    let text = ok(o);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

struct Dir(PathBuf);

impl Dir {
    fn new(test: &str, e: Engine) -> Dir {
        let d = std::env::temp_dir().join(format!(
            "bb-measurement-{test}-{}-{e:?}",
            std::process::id()
        ));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn csv(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    interop::tabular::write_csv(headers, rows.iter().cloned()).into_bytes()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// A formula before its parts, disaggregations, targets, and an average.
const INDICATORS: &str = "\
code,name,unit,aggregation,polarity,frequency,numerator,denominator,factor,disaggregations,targets
t_rate,Share served,%,average,higher_is_better,monthly,t_served,t_eligible,100,,2025-03=50
t_served,Served,people,sum,higher_is_better,monthly,,,,sex=F|M;area=North|South,2025-01=100;2025-02=100
t_eligible,Eligible,people,sum,higher_is_better,monthly,,,,,
t_avg,Average wait,days,average,lower_is_better,monthly,,,,sex=F|M,
";

const VALUE_HEAD: &[&str] = &[
    "indicator",
    "period",
    "value",
    "partner",
    "comment",
    "sex",
    "area",
];

async fn setup(e: Engine, dir: &Dir) -> TestDb {
    let db = TestDb::new(e).await;
    db.store.load_demo().await.unwrap();
    let file = dir.file("indicators.csv", INDICATORS.as_bytes());
    for slug in [KM, RZ] {
        let out = ok(&backbone(
            &db.url,
            &["import", "indicators", &file, "--initiative", slug],
        ));
        assert!(out.contains("4 added, 0 changed, 0 unchanged"), "{out}");
    }
    db
}

async fn indicator(db: &TestDb, slug: &str, code: &str) -> (i64, i64) {
    let i = db.store.initiative_by_slug(slug).await.unwrap();
    let r = db.store.indicator_by_code(i.id, code).await.unwrap();
    (i.id, r.id)
}

async fn a_bad_row_among_ten_thousand_changes_nothing(e: Engine) {
    let dir = Dir::new("bulk", e);
    let db = setup(e, &dir).await;
    let url = db.url.clone();

    // Indicators: the same file again changes nothing; a new target changes one.
    let file = dir.file("indicators.csv", INDICATORS.as_bytes());
    let out = ok(&backbone(
        &url,
        &["import", "indicators", &file, "--initiative", KM],
    ));
    assert!(out.contains("0 added, 0 changed, 4 unchanged"), "{out}");
    let changed = INDICATORS.replace("2025-03=50", "2025-03=55");
    let file = dir.file("indicators2.csv", changed.as_bytes());
    let out = ok(&backbone(
        &url,
        &["import", "indicators", &file, "--initiative", KM],
    ));
    assert!(out.contains("0 added, 1 changed, 3 unchanged"), "{out}");
    let (km, rate) = indicator(&db, KM, "t_rate").await;
    let stored = db.store.get::<Indicator>(Some(km), rate).await.unwrap();
    assert_eq!(stored.data.targets, "2025-03=55");
    let (_, served) = indicator(&db, KM, "t_served").await;
    assert_eq!(stored.data.numerator_id, Some(served));
    // A bad indicators file: every error located, nothing written.
    let bad = format!(
        "{INDICATORS}t_new,New,people,sum,higher_is_better,monthly,,,,,\nt_bad,Bad,people,median,higher_is_better,monthly,,,,,\n"
    );
    let file = dir.file("bad-indicators.csv", bad.as_bytes());
    let err = refused(&backbone(
        &url,
        &["import", "indicators", &file, "--initiative", KM],
    ));
    assert!(err.contains("row 7, column aggregation:"), "{err}");
    assert!(db.store.indicator_by_code(km, "t_new").await.is_err());

    // 10,000 values, distinct keys: 2,500 months × 4 subgroups.
    let mut rows: Vec<Vec<String>> = (0..10_000)
        .map(|i| {
            let m = i % 2500;
            let g = i / 2500;
            row(&[
                "t_served",
                &format!("{}-{:02}", 1950 + m / 12, m % 12 + 1),
                &i.to_string(),
                "",
                "",
                ["F", "M"][g % 2],
                ["North", "South"][g / 2],
            ])
        })
        .collect();
    let good = rows[7_000][2].clone();
    rows[7_000][2] = "twelve".into();
    let file = dir.file("values.csv", &csv(VALUE_HEAD, &rows));
    let err = refused(&backbone(
        &url,
        &["import", "values", &file, "--initiative", KM],
    ));
    let located: Vec<&str> = err.lines().filter(|l| l.starts_with("row ")).collect();
    assert_eq!(located.len(), 1, "{err}");
    assert!(
        located[0].starts_with("row 7002, column value: "),
        "{located:?}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(
        db.store
            .values(km, Some(served), 0, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Fixed, it imports whole; again, it changes nothing and says so.
    rows[7_000][2] = good;
    let bytes = csv(VALUE_HEAD, &rows);
    let file = dir.file("values.csv", &bytes);
    let out = ok(&backbone(
        &url,
        &["import", "values", &file, "--initiative", KM],
    ));
    assert!(out.contains("10000 added, 0 changed, 0 unchanged"), "{out}");
    let out = ok(&backbone(
        &url,
        &["import", "values", &file, "--initiative", KM],
    ));
    assert!(out.starts_with("nothing changed"), "{out}");
    assert!(out.contains("10000"), "{out}");
    let batches = db.store.batches(km, 10).await.unwrap();
    let file_batches: Vec<_> = batches.iter().filter(|b| b.source == "file").collect();
    assert_eq!(file_batches.len(), 1, "one batch for the one import");
    assert_eq!(file_batches[0].file_name, "values.csv");
    assert_eq!(file_batches[0].added, 10_000);
    assert_eq!(file_batches[0].file_hash, web::imports::file_hash(&bytes));

    // One changed value replaces the stored one.
    rows[42][2] = "4242.5".into();
    let file = dir.file("values.csv", &csv(VALUE_HEAD, &rows));
    let out = ok(&backbone(
        &url,
        &["import", "values", &file, "--initiative", KM],
    ));
    assert!(out.contains("0 added, 1 changed, 9999 unchanged"), "{out}");

    // The export holds one row per stored value.
    let out = ok(&backbone(
        &url,
        &[
            "export",
            "values",
            "--initiative",
            KM,
            "--indicator",
            "t_served",
            "--format",
            "csv",
        ],
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "indicator,period,value,partner,comment,sex,area");
    assert_eq!(lines.len(), 10_001);
    assert!(
        lines.contains(&"t_served,1953-07,4242.5,,,F,North"),
        "{:?}",
        &lines[..3]
    );
    let doc = json_out(&backbone(
        &url,
        &[
            "export",
            "values",
            "--initiative",
            KM,
            "--indicator",
            "t_served",
            "--format",
            "json",
        ],
    ));
    let items = doc.as_array().unwrap();
    assert_eq!(items.len(), 10_000);
    assert!(items.contains(&json!({
        "indicator": "t_served", "period": "1953-07", "value": 4242.5,
        "partner": null, "subgroup": {"sex": "F", "area": "North"}, "comment": ""
    })));
}

/// Partners of an initiative by name (the import finds them by name or org-id).
async fn partner_names(db: &TestDb, slug: &str) -> (String, String) {
    let i = db.store.initiative_by_slug(slug).await.unwrap();
    let orgs = db
        .store
        .list::<Organization>(Some(i.id), ListOptions::all())
        .await
        .unwrap();
    let mut names: Vec<String> = orgs.into_iter().map(|o| o.data.name).collect();
    names.sort();
    names.dedup();
    (names[0].clone(), names[1].clone())
}

fn report(url: &str, slug: &str, code: &str, from: &str, to: &str) -> Value {
    json_out(&backbone(
        url,
        &[
            "report",
            "indicator",
            "--initiative",
            slug,
            "--indicator",
            code,
            "--from",
            from,
            "--to",
            to,
            "--format",
            "json",
        ],
    ))
}

fn column(doc: &Value, key: &str) -> Vec<Value> {
    doc.as_array()
        .unwrap()
        .iter()
        .map(|p| p[key].clone())
        .collect()
}

fn rollup(url: &str, code: &str, period: &str) -> Value {
    json_out(&backbone(
        url,
        &[
            "report",
            "rollup",
            "--network",
            "demo-network",
            "--indicator",
            code,
            "--period",
            period,
            "--format",
            "json",
        ],
    ))
}

async fn reports_follow_the_rules(e: Engine) {
    let dir = Dir::new("reports", e);
    let db = setup(e, &dir).await;
    let url = db.url.clone();
    let (a, b) = partner_names(&db, KM).await;
    let v = |code: &str, period: &str, value: &str, partner: &str, sex: &str, area: &str| {
        row(&[code, period, value, partner, "", sex, area])
    };
    let km_rows = vec![
        // January: subgroup rows only, so they make the total: 10+20+5+15.
        v("t_served", "2025-01", "10", "", "F", "North"),
        v("t_served", "2025-01", "20", "", "M", "North"),
        v("t_served", "2025-01", "5", "", "F", "South"),
        v("t_served", "2025-01", "15", "", "M", "South"),
        // February: a total row wins over subgroup rows.
        v("t_served", "2025-02", "100", "", "", ""),
        v("t_served", "2025-02", "1", "", "F", "North"),
        // March: two partners' totals add up.
        v("t_served", "2025-03", "30", &a, "", ""),
        v("t_served", "2025-03", "40", &b, "", ""),
        v("t_eligible", "2025-01", "200", "", "", ""),
        v("t_eligible", "2025-02", "0", "", "", ""),
        v("t_eligible", "2025-03", "140", "", "", ""),
        // An average: two partners' 4 and 6 make 5; subgroups F 4 and M 6 too.
        v("t_avg", "2025-01", "4", &a, "", ""),
        v("t_avg", "2025-01", "6", &b, "", ""),
        v("t_avg", "2025-02", "4", "", "F", ""),
        v("t_avg", "2025-02", "6", "", "M", ""),
        v("t_avg", "2025-03", "6", "", "", ""),
        v("t_avg", "2025-04", "5", "", "", ""),
        v("t_avg", "2025-05", "6", "", "", ""),
        v("t_avg", "2025-06", "60", "", "", ""),
    ];
    let file = dir.file("km.csv", &csv(VALUE_HEAD, &km_rows));
    let out = ok(&backbone(
        &url,
        &["import", "values", &file, "--initiative", KM],
    ));
    assert!(out.contains("19 added"), "{out}");
    let rz_rows = vec![
        v("t_served", "2025-01", "30", "", "", ""),
        v("t_eligible", "2025-01", "50", "", "", ""),
        v("t_avg", "2025-01", "9", "", "", ""),
    ];
    let file = dir.file("rz.csv", &csv(VALUE_HEAD, &rz_rows));
    ok(&backbone(
        &url,
        &["import", "values", &file, "--initiative", RZ],
    ));

    // Totals: subgroups summed without total rows; total rows win; partners add.
    let served = report(&url, KM, "t_served", "2025-01", "2025-04");
    assert_eq!(
        column(&served, "period"),
        [
            json!("2025-01"),
            json!("2025-02"),
            json!("2025-03"),
            json!("2025-04")
        ]
    );
    assert_eq!(
        column(&served, "value"),
        [json!(50), json!(100), json!(70), Value::Null]
    );
    assert_eq!(
        column(&served, "target"),
        [json!(100), json!(100), Value::Null, Value::Null]
    );
    // (50 − 100) / 100; (100 − 100) / 100; no target, no variance.
    assert_eq!(
        column(&served, "variance_to_target"),
        [json!(-0.5), json!(0), Value::Null, Value::Null]
    );
    // The formula: 50 ÷ 200 × 100; a zero denominator gives no value; 70 ÷ 140 × 100.
    let rate = report(&url, KM, "t_rate", "2025-01", "2025-03");
    assert_eq!(column(&rate, "value"), [json!(25), Value::Null, json!(50)]);
    assert_eq!(
        column(&rate, "target"),
        [Value::Null, Value::Null, json!(50)]
    );
    assert_eq!(
        column(&rate, "variance_to_target"),
        [Value::Null, Value::Null, json!(0)]
    );
    // Averages, and the outlier: median 5.5, MAD 0.5, 0.6745 × 54.5 / 0.5 ≫ 3.5.
    let avg = report(&url, KM, "t_avg", "2024-12", "2025-06");
    assert_eq!(
        column(&avg, "value"),
        [
            Value::Null,
            json!(5),
            json!(5),
            json!(6),
            json!(5),
            json!(6),
            json!(60)
        ]
    );
    assert_eq!(
        column(&avg, "outlier"),
        [false, false, false, false, false, false, true].map(|b| json!(b))
    );
    // The same as CSV, exact.
    let text = ok(&backbone(
        &url,
        &[
            "report",
            "indicator",
            "--initiative",
            KM,
            "--indicator",
            "t_served",
            "--format",
            "csv",
        ],
    ));
    assert_eq!(
        text,
        "period,value,target,variance_to_target,outlier\n2025-01,50,100,-0.5,false\n2025-02,100,100,0,false\n2025-03,70,,,false\n"
    );
    // A period of the wrong frequency is refused by name.
    let err = refused(&backbone(
        &url,
        &[
            "report",
            "indicator",
            "--initiative",
            KM,
            "--indicator",
            "t_served",
            "--from",
            "2025",
        ],
    ));
    assert!(err.contains("--from"), "{err}");

    // Rollups: a sum, an average, and a formula as a ratio of sums.
    assert_eq!(
        rollup(&url, "t_served", "2025-01"),
        json!({"sites": [{"initiative": KM, "value": 50}, {"initiative": RZ, "value": 30}], "total": 80})
    );
    assert_eq!(
        rollup(&url, "t_avg", "2025-01"),
        json!({"sites": [{"initiative": KM, "value": 5}, {"initiative": RZ, "value": 9}], "total": 7})
    );
    // (50 + 30) ÷ (200 + 50) × 100 = 32, not the mean of 25 and 60.
    assert_eq!(
        rollup(&url, "t_rate", "2025-01"),
        json!({"sites": [{"initiative": KM, "value": 25}, {"initiative": RZ, "value": 60}], "total": 32})
    );
    let err = refused(&backbone(
        &url,
        &[
            "report",
            "rollup",
            "--network",
            "demo-network",
            "--indicator",
            "nowhere",
            "--period",
            "2025-01",
        ],
    ));
    assert!(err.contains("nowhere"), "{err}");

    // XLSX, and CSV with a byte-order mark and `;` separators.
    let xlsx = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/values.xlsx");
    let out = ok(&backbone(
        &url,
        &[
            "import",
            "values",
            xlsx.to_str().unwrap(),
            "--initiative",
            KM,
        ],
    ));
    assert!(out.contains("3 added"), "{out}");
    let bom = dir.file(
        "bom.csv",
        "\u{feff}indicator;period;value;comment\nt_eligible;2024-03;12.5;\"a; b\"\n".as_bytes(),
    );
    let out = ok(&backbone(
        &url,
        &["import", "values", &bom, "--initiative", KM],
    ));
    assert!(out.contains("1 added"), "{out}");
    let tabs = dir.file(
        "tabs.csv",
        b"indicator\tperiod\tvalue\nt_eligible\t2024-04\t3\n",
    );
    ok(&backbone(
        &url,
        &["import", "values", &tabs, "--initiative", KM],
    ));
    let out = ok(&backbone(
        &url,
        &[
            "export",
            "values",
            "--initiative",
            KM,
            "--indicator",
            "t_eligible",
            "--format",
            "csv",
        ],
    ));
    assert_eq!(
        out,
        "indicator,period,value,partner,comment\n\
         t_eligible,2025-01,200,,\n\
         t_eligible,2025-02,0,,\n\
         t_eligible,2025-03,140,,\n\
         t_eligible,2024-01,120,,from the register\n\
         t_eligible,2024-02,130.5,,\n\
         t_eligible,2024-03,12.5,,a; b\n\
         t_eligible,2024-04,3,,\n"
    );
    // The whole export imports back as it is.
    let all = ok(&backbone(
        &url,
        &["export", "values", "--initiative", KM, "--format", "csv"],
    ));
    let file = dir.file("all.csv", all.as_bytes());
    let out = ok(&backbone(
        &url,
        &["import", "values", &file, "--initiative", KM],
    ));
    assert!(out.starts_with("nothing changed"), "{out}");

    // The API answers what the command line prints.
    let store = db.store.clone();
    let user = store
        .create_user(
            "reports@example.org",
            "Reports",
            Some("correct horse battery"),
            false,
        )
        .await
        .unwrap();
    let km = store.initiative_by_slug(KM).await.unwrap();
    let rz = store.initiative_by_slug(RZ).await.unwrap();
    for i in [&km, &rz] {
        store
            .grant_role(None, user.id, i.id, domain::access::Role::Viewer)
            .await
            .unwrap();
    }
    let (_, token) = store.create_api_token(user.id, "test").await.unwrap();
    let router = web::router(web::AppState::new(store.clone(), web::Config::default()));
    let get = |path: String| {
        let router = router.clone();
        let token = token.clone();
        async move {
            let req = Request::builder()
                .uri(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap();
            let res = testkit::send_to(&router, req).await;
            assert_eq!(res.status, 200, "{}", res.body);
            res.json()
        }
    };
    for code in ["t_served", "t_rate", "t_avg"] {
        assert_eq!(
            get(format!(
                "/api/v1/initiatives/{KM}/indicators/{code}/report?from=2024-12&to=2025-06"
            ))
            .await,
            report(&url, KM, code, "2024-12", "2025-06"),
            "{code}"
        );
    }
    assert_eq!(
        get("/api/v1/networks/demo-network/rollup?indicator=t_rate&period=2025-01".into()).await,
        rollup(&url, "t_rate", "2025-01")
    );
}

both_engines!(
    a_bad_row_among_ten_thousand_changes_nothing,
    reports_follow_the_rules
);
