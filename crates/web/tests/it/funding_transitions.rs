//! Funding transitions through the API, the pages and the portal, on both
//! engines: a schedule set and read back (API and grid form), refused whole
//! when a year's shares do not make 100%, the transitions report's figures
//! against numbers worked out by hand, who may read and write, and what the
//! portal shows.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use domain::access::Role;
use domain::funding::records::{CostItem, CostKind, Funder, FundingPublication};
use domain::partnership::Initiative;
use domain::resource::Record;
use store::records::ListOptions;
use testkit::{Engine, TestApp, both_engines};

const KM: &str = "kiryat-malachi";
const BASE: &str = "/api/v1/initiatives/kiryat-malachi";

async fn funder(app: &TestApp, i: i64, name: &str) -> Record<Funder> {
    app.store()
        .list::<Funder>(Some(i), ListOptions::all())
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.data.name == name)
        .unwrap()
}

fn item_of<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

async fn schedules_through_the_api_and_the_form(e: Engine) {
    let app = TestApp::new(e).await;
    let coordinator = app
        .user("coordinator@example.org", false, &[(KM, Role::Coordinator)])
        .await;
    let viewer = app
        .user("viewer@example.org", false, &[(KM, Role::Viewer)])
        .await;
    let i = app.store().initiative_by_slug(KM).await.unwrap().id;
    let gazit = funder(&app, i, "Gazit Globe").await.id;
    let muni = funder(&app, i, "Kiryat Malachi Municipality").await.id;
    let item = app
        .store()
        .create(
            None,
            Some(i),
            &CostItem {
                name: "Test position".into(),
                kind: CostKind::Position,
                currency: "ILS".into(),
                recurring: true,
                description: String::new(),
            },
        )
        .await
        .unwrap()
        .id;
    let path = format!("{BASE}/cost-items/{item}/schedule");

    // Set through the API, read back through the report.
    let body = json!({"years": [
        {"year": 2027, "cost_minor": 0, "shares": [{"funder_id": muni, "share_bp": 10000}]},
        {"year": 2026, "cost_minor": 100_001, "shares": [
            {"funder_id": gazit, "share_bp": 3300}, {"funder_id": muni, "share_bp": 6700}]}
    ]});
    let r = app
        .api(Method::PUT, &path, Some(&coordinator), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api(
            Method::GET,
            &format!("{BASE}/transitions"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let report = r.json();
    let it = item_of(&report, "Test position");
    assert_eq!(it["currency"], "ILS");
    let y = &it["years"][0];
    assert_eq!(y["year"], 2026);
    assert_eq!(y["cost_minor"], 100_001);
    // 100,001 × 33% = 33,000.33 → 33,000; × 67% = 67,000.67 → 67,001 (the
    // leftover unit goes to the larger remainder).
    assert_eq!(
        y["funders"],
        json!([
            {"funder": "Gazit Globe", "public": false, "amount_minor": 33_000},
            {"funder": "Kiryat Malachi Municipality", "public": true, "amount_minor": 67_001}
        ])
    );
    assert_eq!(y["public_share"].as_f64().unwrap(), 67_001.0 / 100_001.0);
    // A year without a cost: the public share by the shares.
    assert_eq!(it["years"][1]["year"], 2027);
    assert_eq!(it["years"][1]["public_share"].as_f64().unwrap(), 1.0);

    // Shares not making 100%: refused with the year named; nothing written.
    let before = app
        .api(Method::GET, &path, Some(&viewer), None)
        .await
        .json();
    let bad = json!({"years": [{"year": 2030, "cost_minor": 500, "shares": [
        {"funder_id": gazit, "share_bp": 3300}, {"funder_id": muni, "share_bp": 6600}]}]});
    let r = app
        .api(Method::PUT, &path, Some(&coordinator), Some(bad))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let msg = r.json()["fields"]["years[0].shares"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("2030") && msg.contains("99%"), "{msg}");
    // A share with a field schedules do not have is refused, not ignored.
    let odd = json!({"years": [{"year": 2030, "cost_minor": 500, "shares": [
        {"funder_id": gazit, "share_bp": 10_000, "percent": 100}]}]});
    let r = app
        .api(Method::PUT, &path, Some(&coordinator), Some(odd))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.json()["fields"]["years"]
            .as_str()
            .unwrap()
            .contains("percent"),
        "{}",
        r.body
    );
    assert_eq!(
        app.api(Method::GET, &path, Some(&viewer), None)
            .await
            .json(),
        before
    );

    // The viewer reads but does not write.
    let page = format!("/i/{KM}/funding/transitions/{item}");
    let r = app
        .api(
            Method::PUT,
            &path,
            Some(&viewer),
            Some(json!({"years": []})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get(&page, Some(&viewer)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("name=\"rows\""), "no form for a viewer");
    let r = app
        .post_form(&page, &viewer, &[("rows", "1"), ("year_0", "2028")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .get(&format!("/i/{KM}/funding/transitions"), Some(&viewer))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Test position"));
    assert!(r.body.contains("Strategic Planning Unit"));

    // The grid form: all or nothing, typed values kept beside the errors.
    let (g, m) = (format!("share_0_{gazit}"), format!("share_0_{muni}"));
    let r = app
        .post_form(
            &page,
            &coordinator,
            &[
                ("rows", "2"),
                ("year_0", "2028"),
                ("cost_0", "1000.50"),
                (&g, "40"),
                (&m, "50"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("2028: the shares sum to 90%, not 100%"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"1000.50\""));
    // The year's error describes each of its share cells.
    assert!(
        r.body.contains(&format!(
            "id=\"{g}\" name=\"{g}\" value=\"40\" inputmode=\"decimal\" size=\"5\" aria-invalid=\"true\" aria-describedby=\"row_0-e\""
        )),
        "{}",
        r.body
    );
    assert_eq!(
        app.api(Method::GET, &path, Some(&viewer), None)
            .await
            .json(),
        before
    );
    let r = app
        .post_form(
            &page,
            &coordinator,
            &[
                ("rows", "2"),
                ("year_0", "2028"),
                ("cost_0", "1000.50"),
                (&g, "50"),
                (&m, "50"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = app
        .api(Method::GET, &path, Some(&viewer), None)
        .await
        .json();
    assert_eq!(after["years"].as_array().unwrap().len(), 1);
    assert_eq!(after["years"][0]["year"], 2028);
    assert_eq!(after["years"][0]["cost_minor"], 100_050);
    assert_eq!(after["years"][0]["shares"][0]["amount_minor"], 50_025);

    // Anonymous: the API wants a token; a portal that is not public does not exist.
    let r = app.api(Method::GET, &path, None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

both_engines!(schedules_through_the_api_and_the_form);

async fn the_portal_shows_what_is_published(e: Engine) {
    let app = TestApp::new(e).await;
    let s = app.store();
    let i = s.initiative_by_slug(KM).await.unwrap();
    let url = format!("/p/{KM}/funding");
    let r = app.get(&url, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let answer = "We add to what partners have";
    assert!(r.body.contains(answer));
    assert!(r.body.contains("Who pays for what, by year"));
    assert!(r.body.contains("Strategic Planning Unit"));
    assert!(r.body.contains(&format!("/p/{KM}/funding/book")));
    let home = app.get(&format!("/p/{KM}/"), None).await;
    assert!(home.body.contains(&url));

    // Gazit's answers withdrawn from the portal.
    let g = funder(&app, i.id, "Gazit Globe").await;
    let mut data = g.data.clone();
    data.answers_public = false;
    s.update(None, Some(i.id), g.id, g.version, &data)
        .await
        .unwrap();
    // Transitions and the book no longer published.
    let p = s
        .list::<FundingPublication>(Some(i.id), ListOptions::all())
        .await
        .unwrap()
        .remove(0);
    let mut pd = p.data.clone();
    pd.publish_transitions = false;
    pd.publish_book = false;
    s.update(None, Some(i.id), p.id, p.version, &pd)
        .await
        .unwrap();
    let r = app.get(&url, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains(answer));
    assert!(
        r.body.contains("Tauber") || r.body.contains("Rashi"),
        "other answers stay"
    );
    assert!(!r.body.contains("Who pays for what, by year"));
    assert!(!r.body.contains("Public share of recurring costs"));
    assert!(!r.body.contains("/funding/book"));

    // A portal that is not public: not found.
    let mut idata: Initiative = i.data.clone();
    idata.public = false;
    s.update(None, None, i.id, i.version, &idata).await.unwrap();
    assert_eq!(app.get(&url, None).await.status, StatusCode::NOT_FOUND);
}

both_engines!(the_portal_shows_what_is_published);
