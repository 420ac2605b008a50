use axum::http::{Method, StatusCode};
use domain::access::Role;
use serde_json::json;
use testkit::{Engine, TestApp, both_engines};

/// Create, read, update, archive and restore through the API, with pagination.
async fn crud_through_the_api(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let base = "/api/v1/initiatives/kiryat-malachi";
    let r = app.api(Method::POST, &format!("{base}/organizations"), Some(&c), Some(json!({"name": "Early Years Trust", "sector": "civil_society", "identifier": "IL-RA-580999999", "website": "https://example.org/ey"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let org = r.json();
    assert_eq!(org["version"], 1);
    assert_eq!(org["sector"], "civil_society");
    let id = org["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::GET,
            &format!("{base}/organizations/{id}"),
            Some(&c),
            None,
        )
        .await;
    assert_eq!(r.json()["name"], "Early Years Trust");
    let r = app
        .api(
            Method::PUT,
            &format!("{base}/organizations/{id}"),
            Some(&c),
            Some(json!({"name": "Early Years Foundation", "sector": "philanthropy", "version": 1})),
        )
        .await;
    // A PUT carries every field: leaving some out never silently blanks them.
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for missing in ["identifier", "website", "description"] {
        assert!(
            r.json()["fields"][missing].is_string(),
            "{missing} named as missing: {}",
            r.body
        );
    }
    assert!(r.json()["fields"]["name"].is_null());
    let r = app
        .api(
            Method::PUT,
            &format!("{base}/organizations/{id}"),
            Some(&c),
            Some(json!({"name": "Early Years Foundation", "sector": "philanthropy", "identifier": null, "website": "https://example.org/ey", "description": "", "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["version"], 2);
    assert_eq!(
        r.json()["identifier"],
        serde_json::Value::Null,
        "null clears an optional field"
    );
    // Wrong JSON types are refused, never coerced.
    let r = app
        .api(
            Method::PUT,
            &format!("{base}/organizations/{id}"),
            Some(&c),
            Some(json!({"name": false, "sector": "philanthropy", "identifier": null, "website": 7, "description": "", "version": 2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.json()["fields"]["name"].is_string(), "{}", r.body);
    assert!(r.json()["fields"]["website"].is_string(), "{}", r.body);
    // null clears only what may be empty; a required text is sent as a string.
    let r = app
        .api(
            Method::PUT,
            &format!("{base}/organizations/{id}"),
            Some(&c),
            Some(json!({"name": "Early Years Foundation", "sector": "philanthropy", "identifier": null, "website": null, "description": null, "version": 2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.json()["fields"]["description"].is_string(), "{}", r.body);
    assert!(r.json()["fields"]["website"].is_null(), "{}", r.body);
    let r = app
        .api(
            Method::POST,
            &format!("{base}/organizations/{id}/archive"),
            Some(&c),
            Some(json!({"version": 2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["archived"], true);
    // Archived records leave listings unless asked for, and are never deleted.
    let r = app
        .api(
            Method::GET,
            &format!("{base}/organizations?per_page=500"),
            Some(&c),
            None,
        )
        .await;
    assert!(!r.body.contains("Early Years Foundation"));
    let r = app
        .api(
            Method::GET,
            &format!("{base}/organizations?per_page=500&archived=true"),
            Some(&c),
            None,
        )
        .await;
    assert!(r.body.contains("Early Years Foundation"));
    let r = app
        .api(
            Method::POST,
            &format!("{base}/organizations/{id}/restore"),
            Some(&c),
            None,
        )
        .await;
    assert_eq!(r.json()["archived"], false);
    // Pagination.
    let r = app
        .api(
            Method::GET,
            &format!("{base}/people?per_page=10&page=2"),
            Some(&c),
            None,
        )
        .await;
    let j = r.json();
    assert_eq!(j["items"].as_array().unwrap().len(), 10);
    assert_eq!(j["page"], 2);
    assert!(j["total"].as_i64().unwrap() >= 30);
    let r = app
        .api(
            Method::GET,
            &format!("{base}/people?page=100000000000000000&per_page=100"),
            Some(&c),
            None,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a huge page is refused, not a crash"
    );
    let r = app
        .api(
            Method::GET,
            &format!("{base}/people?per_page=1000"),
            Some(&c),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["fields"]["per_page"].is_string());
    // Membership with a stipend in decimal form.
    let bodies = app
        .api(Method::GET, &format!("{base}/bodies"), Some(&c), None)
        .await
        .json();
    let body = bodies["items"][0]["id"].as_i64().unwrap();
    let person = app
        .api(
            Method::POST,
            &format!("{base}/people"),
            Some(&c),
            Some(json!({"name": "Resident Advisor"})),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = app.api(Method::POST, &format!("{base}/memberships"), Some(&c), Some(json!({"body_id": body, "person_id": person, "position": "member", "start_date": "2024-01-01", "stipend_rate": "30.5", "stipend_currency": "ils"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["stipend_hourly_cents"], 3050);
    assert_eq!(r.json()["stipend_currency"], "ILS");
    // The table shows the new member.
    let r = app
        .api(Method::GET, &format!("{base}/table"), Some(&c), None)
        .await;
    assert!(r.body.contains("Resident Advisor"));
    // The audit log through the API, newest first.
    let r = app
        .api(
            Method::GET,
            &format!("{base}/audit?per_page=5"),
            Some(&c),
            None,
        )
        .await;
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items[0]["kind"], "membership");
    assert_eq!(items[0]["action"], "create");
}

async fn networks_and_initiatives(e: Engine) {
    let app = TestApp::new(e).await;
    let admin = app.user("admin@example.org", true, &[]).await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/networks",
            Some(&admin),
            Some(json!({"name": "Welcoming Cities", "slug": "welcoming"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let net = r.json()["id"].as_i64().unwrap();
    let r = app.api(Method::POST, "/api/v1/initiatives", Some(&admin), Some(json!({"name": "Harbor Welcome", "slug": "harbor-welcome", "place": "Harbor City", "languages": "en, ES", "network_id": net}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["languages"], "en,es");
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/harbor-welcome",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.json()["network_id"], net);
    let r = app
        .api(Method::GET, "/api/v1/networks", Some(&admin), None)
        .await;
    assert_eq!(r.json()["total"], 2);
    // A coordinator of the new initiative sees its network on page 1.
    let coordinator = app
        .user(
            "c@example.org",
            false,
            &[("harbor-welcome", Role::Coordinator)],
        )
        .await;
    let r = app
        .api(
            Method::GET,
            "/api/v1/networks?page=1&per_page=1",
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(r.json()["items"][0]["slug"], "welcoming");
    assert_eq!(r.json()["total"], 1);
    // The creator coordinates the new initiative.
    let r = app.api(Method::POST, "/api/v1/initiatives/harbor-welcome/bodies", Some(&admin), Some(json!({"name": "Council", "kind": "steering_committee", "cadence_min_days": 30, "cadence_max_days": 30}))).await;
    assert_eq!(r.status, StatusCode::CREATED);
}

/// The OpenAPI document is generated from the code and lists every route.
async fn openapi_describes_the_api(e: Engine) {
    let app = TestApp::new(e).await;
    let r = app.api(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for kind in [
        "organizations",
        "people",
        "bodies",
        "memberships",
        "services",
        "locations",
        "facts",
        "stages",
    ] {
        let p = format!("/api/v1/initiatives/{{slug}}/{kind}");
        assert!(paths.contains_key(&p), "{p}");
        assert!(paths.contains_key(&format!("{p}/{{id}}")));
        assert!(paths[&format!("{p}/{{id}}")]["put"]["responses"]["409"].is_object());
    }
    assert_eq!(
        doc["components"]["schemas"]["Organization"]["properties"]["sector"]["enum"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    // Every $ref resolves.
    let text = r.body.clone();
    for part in text.split("\"$ref\":\"#/components/").skip(1) {
        let target = part.split('"').next().unwrap();
        let mut node = &doc["components"];
        for seg in target.split('/') {
            node = &node[seg];
        }
        assert!(node.is_object(), "dangling $ref {target}");
    }
}

/// The HSDS export of the demo (schema conformance is tested in `interop`).
async fn hsds_export_through_the_api(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user("c@example.org", false, &[("kiryat-malachi", Role::Viewer)])
        .await;
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/kiryat-malachi/hsds",
            Some(&c),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert!(j["organizations"].as_array().unwrap().len() >= 12);
    assert!(
        j["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "Youth movements and clubs")
    );
    assert!(!j["service_at_locations"].as_array().unwrap().is_empty());
    assert!(
        !r.body.contains("@example.org"),
        "no people's contact details in the directory"
    );
}

both_engines!(
    crud_through_the_api,
    networks_and_initiatives,
    openapi_describes_the_api,
    hsds_export_through_the_api
);
