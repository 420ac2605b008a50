//! Shared measurement through the API: values sent as JSON or as a file
//! (all or nothing, errors located by row and column), read back in keyset
//! pages, the template, period locks, an indicator's report (the same JSON as
//! `backbone report indicator`) and a network's rollup, with who may do each.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use domain::access::Role;
use domain::partnership::Organization;
use store::records::ListOptions;
use testkit::{Auth, Engine, Res, TestApp, both_engines};
use web::imports;

const KM: &str = "kiryat-malachi";
const RZ: &str = "riverside-zero";
const BASE: &str = "/api/v1/initiatives/kiryat-malachi";

const INDICATORS: &[u8] = b"code,name,unit,aggregation,polarity,frequency,disaggregations,targets
api_visits,Visits,visits,sum,higher_is_better,monthly,sex=F|M,2025-01=25
";

/// (row, column) of each located error of a 422.
fn located(r: &Res) -> Vec<(i64, String)> {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    r.json()["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {}", r.body))
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["column"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn send_file(app: &TestApp, who: &Auth, query: &str, kind: &str, body: Vec<u8>) -> Res {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("{BASE}/values/import{query}"))
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", who.token.as_deref().unwrap()),
        )
        .header(header::CONTENT_TYPE, kind)
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

async fn count(app: &TestApp, who: &Auth) -> usize {
    let r = app
        .api(
            Method::GET,
            &format!("{BASE}/values?indicator=api_visits&limit=1000"),
            Some(who),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"].as_array().unwrap().len()
}

async fn values_through_the_api(e: Engine) {
    let app = TestApp::new(e).await;
    let coordinator = app
        .user("coordinator@example.org", false, &[(KM, Role::Coordinator)])
        .await;
    let partner = app
        .user("partner@example.org", false, &[(KM, Role::Partner)])
        .await;
    let viewer = app
        .user("viewer@example.org", false, &[(KM, Role::Viewer)])
        .await;
    let outsider = app
        .user("outsider@example.org", false, &[(RZ, Role::Coordinator)])
        .await;
    let store = app.store();
    let km = store.initiative_by_slug(KM).await.unwrap();
    imports::import_indicators(store, km.id, None, INDICATORS, "indicators.csv")
        .await
        .unwrap();
    let org = store
        .list::<Organization>(Some(km.id), ListOptions::all())
        .await
        .unwrap()[0]
        .id;
    let values = format!("{BASE}/values");
    let body = json!({"values": [
        {"indicator": "api_visits", "period": "2025-01", "value": "12.5", "partner": org, "subgroup": {"sex": "F"}},
        {"indicator": "api_visits", "period": "2025-01", "value": 7.5, "partner": org, "subgroup": {"sex": "m"}, "comment": "estimated"},
        {"indicator": "api_visits", "period": "2025-02", "value": 30, "partner": null},
    ]});

    // Partners and coordinators report; a viewer reads only; strangers see nothing.
    let r = app
        .api(Method::POST, &values, Some(&viewer), Some(body.clone()))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .api(Method::POST, &values, Some(&outsider), Some(body.clone()))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = app
        .api(Method::POST, &values, None, Some(body.clone()))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .api(Method::POST, &values, Some(&partner), Some(body.clone()))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let first = r.json();
    assert_eq!(
        (&first["added"], &first["changed"], &first["unchanged"]),
        (&json!(3), &json!(0), &json!(0))
    );
    assert!(first["batch_id"].is_i64());
    // The same again changes nothing, and records no batch.
    let r = app
        .api(
            Method::POST,
            &values,
            Some(&coordinator),
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"batch_id": null, "added": 0, "changed": 0, "unchanged": 3})
    );

    // Every refused item is located by its position and field; nothing is written.
    let bad = json!({"values": [
        {"indicator": "api_visits", "period": "2025-03", "value": 1},
        {"indicator": "api_visits", "period": "2025-13", "value": "x"},
        {"indicator": "nope", "period": "2025-03", "value": 1},
        {"indicator": "api_visits", "period": "2025-04", "value": 1, "subgroup": {"colour": "red"}},
        {"indicator": "api_visits", "period": "2025-05", "value": 1, "extra": 1},
        {"indicator": "api_visits", "period": "2025-06", "value": true, "partner": 999999},
        {"indicator": "api_visits", "period": "2025-02", "value": 31},
    ]});
    let r = app
        .api(Method::POST, &values, Some(&partner), Some(bad))
        .await;
    let at = located(&r);
    for want in [
        (2, "period"),
        (2, "value"),
        (3, "indicator"),
        (4, "colour"),
        (5, "extra"),
        (6, "value"),
        (6, "partner"),
    ] {
        assert!(
            at.contains(&(want.0, want.1.to_string())),
            "{want:?} not in {at:?}"
        );
    }
    assert_eq!(at.len(), 7, "{at:?}");
    assert_eq!(count(&app, &viewer).await, 3);
    // Two items for one key name both.
    let twice = json!({"values": [
        {"indicator": "api_visits", "period": "2025-03", "value": 1},
        {"indicator": "api_visits", "period": "2025-03", "value": 2},
    ]});
    let r = app
        .api(Method::POST, &values, Some(&partner), Some(twice))
        .await;
    assert_eq!(located(&r), [(2, String::new())]);
    assert!(r.body.contains("row 1"), "{}", r.body);
    for (body, field) in [
        (json!({"values": []}), "values"),
        (json!({"values": "x"}), "values"),
        (json!({}), "values"),
        (
            json!({"values": [{"indicator": "api_visits", "period": "2025-03", "value": 1}], "x": 1}),
            "x",
        ),
    ] {
        let r = app
            .api(Method::POST, &values, Some(&partner), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(field), "{}", r.body);
    }

    // Keyset pages, in id order.
    let r = app
        .api(
            Method::GET,
            &format!("{values}?indicator=api_visits&limit=2"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = r.json();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let next = page["next_after"].as_i64().unwrap();
    assert_eq!(items[1]["id"].as_i64(), Some(next));
    assert_eq!(items[0]["indicator"], "api_visits");
    assert_eq!(items[0]["period"], "2025-01");
    assert_eq!(items[0]["value"], json!(12.5));
    assert_eq!(items[0]["partner"], json!(org));
    assert_eq!(items[0]["subgroup"], json!({"sex": "F"}));
    assert_eq!(
        items[1]["subgroup"],
        json!({"sex": "M"}),
        "spelled as declared"
    );
    assert_eq!(items[1]["comment"], "estimated");
    // 7.5 people is a small cell: hidden from a viewer, not from a coordinator.
    assert_eq!(items[1]["value"], Value::Null);
    assert_eq!(items[1]["suppressed"], json!(true));
    assert_eq!(items[0]["suppressed"], json!(false));
    let r = app
        .api(
            Method::GET,
            &format!("{values}?indicator=api_visits&limit=2"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(r.json()["items"][1]["value"], json!(7.5));
    let r = app
        .api(
            Method::GET,
            &format!("{values}?indicator=api_visits&limit=2&after={next}"),
            Some(&viewer),
            None,
        )
        .await;
    let page = r.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["value"], json!(30));
    assert_eq!(page["next_after"], Value::Null);
    for bad in ["limit=0", "limit=1001", "after=-1"] {
        let r = app
            .api(Method::GET, &format!("{values}?{bad}"), Some(&viewer), None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let r = app
        .api(
            Method::GET,
            &format!("{values}?indicator=nope"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.api(Method::GET, &values, Some(&outsider), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A file as the body: CSV with a byte-order mark and `;`, or a form's part.
    let csv =
        "\u{feff}indicator;period;value;sex\napi_visits;2025-03;4;F\napi_visits;2025-03;6;M\n";
    let r = send_file(
        &app,
        &partner,
        "?file_name=march.csv",
        "text/csv",
        csv.into(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["added"], 2);
    let batches = store.batches(km.id, 1).await.unwrap();
    assert_eq!(batches[0].file_name, "march.csv");
    assert_eq!(batches[0].file_hash, imports::file_hash(csv.as_bytes()));
    assert_eq!(batches[0].actor_user_id, Some(partner.user_id));
    let form = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"april.csv\"\r\nContent-Type: text/csv\r\n\r\nindicator,period,value\napi_visits,2025-04,9\n\r\n--XyZ--\r\n";
    let r = send_file(
        &app,
        &partner,
        "",
        "multipart/form-data; boundary=XyZ",
        form.into(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        store.batches(km.id, 1).await.unwrap()[0].file_name,
        "april.csv"
    );
    let r = send_file(
        &app,
        &partner,
        "",
        "text/csv",
        b"indicator,period,value\napi_visits,2025-05,1\napi_visits,2025-06,one\n".to_vec(),
    )
    .await;
    assert_eq!(located(&r), [(3, "value".to_string())]);
    assert_eq!(count(&app, &viewer).await, 6, "nothing of the refused file");
    let r = send_file(&app, &partner, "", "application/json", b"{}".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = send_file(&app, &viewer, "", "text/csv", csv.into()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The template names every category.
    let r = app
        .api(
            Method::GET,
            &format!("{values}/template.csv"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        r.body
            .starts_with("indicator,period,value,partner,comment,"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .lines()
            .next()
            .unwrap()
            .split(',')
            .any(|c| c == "sex")
    );

    // Coordinators lock a period; then nobody writes it (a year locks its months).
    let lock = |p: &str, what: &str| format!("{BASE}/periods/{p}/{what}");
    let r = app
        .api(Method::POST, &lock("2025-01", "lock"), Some(&partner), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for p in ["2025-01", "2025"] {
        let r = app
            .api(Method::POST, &lock(p, "lock"), Some(&coordinator), None)
            .await;
        assert_eq!(r.json(), json!({"period": p, "locked": true}));
        let one =
            json!({"values": [{"indicator": "api_visits", "period": "2025-01", "value": 99}]});
        let r = app
            .api(Method::POST, &values, Some(&partner), Some(one))
            .await;
        assert_eq!(located(&r), [(1, "period".to_string())]);
        let r = app
            .api(Method::POST, &lock(p, "unlock"), Some(&coordinator), None)
            .await;
        assert_eq!(r.json(), json!({"period": p, "locked": false}));
    }
    let r = app
        .api(
            Method::POST,
            &lock("2025-13", "lock"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The report: 12.5 + 7.5 in January against a target of 25; 30; 4 + 6; 9.
    let (ind, points) = imports::indicator_report(store, km.id, "api_visits", false, None, None)
        .await
        .unwrap();
    let cli = domain::measurement::series::report_json(&points);
    let report = format!("{BASE}/indicators/api_visits/report");
    let r = app.api(Method::GET, &report, Some(&viewer), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), cli);
    assert_eq!(
        r.json(),
        json!([
            {"period": "2025-01", "value": 20, "target": 25, "variance_to_target": -0.2, "outlier": false},
            {"period": "2025-02", "value": 30, "target": null, "variance_to_target": null, "outlier": false},
            {"period": "2025-03", "value": 10, "target": null, "variance_to_target": null, "outlier": false},
            {"period": "2025-04", "value": 9, "target": null, "variance_to_target": null, "outlier": false},
        ])
    );
    let by_id = format!(
        "{BASE}/indicators/{}/report?from=2025-02&to=2025-02",
        ind.id
    );
    let r = app.api(Method::GET, &by_id, Some(&viewer), None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 1, "{}", r.body);
    for bad in ["from=2025", "from=2025-03&to=2025-01", "to=nope"] {
        let r = app
            .api(Method::GET, &format!("{report}?{bad}"), Some(&viewer), None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let r = app
        .api(
            Method::GET,
            &format!("{BASE}/indicators/nope/report"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The rollup: for those who see every initiative it lists.
    let rollup = "/api/v1/networks/demo-network/rollup?indicator=api_visits&period=2025-01";
    let r = app.api(Method::GET, rollup, Some(&viewer), None).await;
    assert_eq!(
        r.json(),
        json!({"sites": [{"initiative": KM, "value": 20}], "total": 20})
    );
    let rz = store.initiative_by_slug(RZ).await.unwrap();
    imports::import_indicators(store, rz.id, None, INDICATORS, "indicators.csv")
        .await
        .unwrap();
    let r = app.api(Method::GET, rollup, Some(&viewer), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let admin = app.user("admin@example.org", true, &[]).await;
    let network = km.data.network_id.unwrap();
    let by_id = format!("/api/v1/networks/{network}/rollup?indicator=api_visits&period=2025-01");
    let r = app.api(Method::GET, &by_id, Some(&admin), None).await;
    assert_eq!(
        r.json(),
        json!({"sites": [{"initiative": KM, "value": 20}, {"initiative": RZ, "value": null}], "total": 20})
    );
    let nobody = app.user("nobody@example.org", false, &[]).await;
    let r = app.api(Method::GET, rollup, Some(&nobody), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for bad in [
        "indicator=api_visits",
        "period=2025-01",
        "indicator=api_visits&period=x",
    ] {
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/networks/demo-network/rollup?{bad}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

both_engines!(values_through_the_api);
