//! Funding's registry records through the API and the pages: amounts in the
//! currency's minor units, read exactly from a decimal or given as integers,
//! and bad commitments refused field by field with nothing written.

use axum::http::{Method, StatusCode};
use domain::access::Role;
use serde_json::{Value, json};
use testkit::{Auth, Engine, TestApp, both_engines};

const BASE: &str = "/api/v1/initiatives/kiryat-malachi";

async fn org_id(app: &TestApp) -> i64 {
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap()
        .id;
    app.store()
        .names("organizations", "name", Some(i))
        .await
        .unwrap()[0]
        .0
}

async fn post(app: &TestApp, who: &Auth, path: &str, body: Value) -> (StatusCode, Value) {
    let r = app
        .api(
            Method::POST,
            &format!("{BASE}/{path}"),
            Some(who),
            Some(body),
        )
        .await;
    let v = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    (r.status, v)
}

fn commitment(funder: i64) -> Value {
    json!({
        "title": "Bridge year",
        "funder_id": funder,
        "amount_minor": 120_050,
        "currency": "ILS",
        "starts_on": "2027-01-01",
        "ends_on": "2027-12-31",
        "status": "pledged",
    })
}

both_engines!(amounts_are_minor_units_of_their_currency);
async fn amounts_are_minor_units_of_their_currency(engine: Engine) {
    let app = TestApp::new(engine).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let org = org_id(&app).await;
    let (s, f) = post(
        &app,
        &c,
        "funders",
        json!({"name": "Test Trust", "organization_id": org}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    let funder = f["id"].as_i64().unwrap();

    let (s, v) = post(&app, &c, "commitments", commitment(funder)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["amount_minor"], 120_050);
    assert_eq!(v["currency"], "ILS");

    // A decimal in major units is read exactly by the currency's minor unit.
    let mut yen = commitment(funder);
    yen.as_object_mut().unwrap().remove("amount_minor");
    yen["amount"] = json!("1,500");
    yen["currency"] = json!("jpy");
    let (s, v) = post(&app, &c, "commitments", yen.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["amount_minor"].as_i64(), v["currency"].as_str()),
        (Some(1500), Some("JPY"))
    );
    yen["amount"] = json!("1500.5");
    let (s, v) = post(&app, &c, "commitments", yen).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["fields"]["amount"]
            .as_str()
            .unwrap()
            .contains("no decimals"),
        "{v}"
    );

    // The list page shows the amount in its currency, not hundredths of anything.
    let page = app.get("/i/kiryat-malachi/commitments", Some(&c)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("ILS 1,200.50"), "{}", page.body);
    assert!(page.body.contains("JPY 1,500"), "{}", page.body);
}

both_engines!(bad_commitments_are_refused_by_field);
async fn bad_commitments_are_refused_by_field(engine: Engine) {
    let app = TestApp::new(engine).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let org = org_id(&app).await;
    let (_, f) = post(
        &app,
        &c,
        "funders",
        json!({"name": "Test Trust", "organization_id": org}),
    )
    .await;
    let funder = f["id"].as_i64().unwrap();
    let before = app
        .get(&format!("{BASE}/commitments?limit=500"), Some(&c))
        .await
        .body;
    for (field, patch) in [
        ("amount_minor", json!({"amount_minor": -5})),
        ("currency", json!({"currency": "shekels"})),
        ("ends_on", json!({"ends_on": "2026-06-30"})),
        ("signed_on", json!({"status": "signed"})),
        ("objective_id", json!({"objective_id": 1, "activity_id": 1})),
    ] {
        let mut body = commitment(funder);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = post(&app, &c, "commitments", body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {v}");
        assert!(v["fields"][field].is_string(), "{field}: {v}");
    }
    let after = app
        .get(&format!("{BASE}/commitments?limit=500"), Some(&c))
        .await
        .body;
    assert_eq!(before, after, "a refused commitment wrote something");

    // The form keeps what was typed and names the field.
    let r = app
        .post_form(
            "/i/kiryat-malachi/commitments",
            &c,
            &[
                ("title", "Typed title"),
                ("funder_id", &funder.to_string()),
                ("currency", "ILS"),
                ("amount", "-12.50"),
                ("starts_on", "2027-01-01"),
                ("ends_on", "2027-12-31"),
                ("status", "pledged"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("amount must not be negative"), "{}", r.body);
    assert!(r.body.contains("Typed title"), "{}", r.body);
}

both_engines!(partners_read_funding_records_and_only_coordinators_write);
async fn partners_read_funding_records_and_only_coordinators_write(engine: Engine) {
    let app = TestApp::new(engine).await;
    let partner = app
        .user("p@example.org", false, &[("kiryat-malachi", Role::Partner)])
        .await;
    let r = app.get(&format!("{BASE}/funders"), Some(&partner)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Gazit Globe"), "{}", r.body);
    let org = org_id(&app).await;
    let (s, _) = post(
        &app,
        &partner,
        "funders",
        json!({"name": "Mine", "organization_id": org}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let anonymous = app.get(&format!("{BASE}/funders"), None).await;
    assert_ne!(anonymous.status, StatusCode::OK);
}
