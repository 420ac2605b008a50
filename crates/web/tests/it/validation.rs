use axum::http::{Method, StatusCode};
use domain::access::Role;
use domain::partnership::{Body, Membership, Organization, Person};
use serde_json::json;
use testkit::{Engine, TestApp, both_engines};

async fn counts(app: &TestApp) -> (i64, i64, i64, usize) {
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    (
        app.store()
            .count::<Organization>(Some(i.id), true)
            .await
            .unwrap(),
        app.store().count::<Body>(Some(i.id), true).await.unwrap(),
        app.store()
            .count::<Membership>(Some(i.id), true)
            .await
            .unwrap(),
        app.store()
            .audit(&store::audit::Filter {
                limit: 100_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .len(),
    )
}

/// Each bad input is refused with a message naming the field; nothing is written.
async fn bad_input_is_refused_by_field(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let body = app
        .store()
        .list::<Body>(Some(i.id), Default::default())
        .await
        .unwrap()[0]
        .id;
    let person = app
        .store()
        .list::<Person>(Some(i.id), Default::default())
        .await
        .unwrap()[0]
        .id;
    let rz = app
        .store()
        .initiative_by_slug("riverside-zero")
        .await
        .unwrap();
    let foreign_person = app
        .store()
        .list::<Person>(Some(rz.id), Default::default())
        .await
        .unwrap()[0]
        .id;
    let long = "x".repeat(201);
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        (
            "organizations",
            json!({"name": "", "sector": "business"}),
            "name",
        ),
        (
            "organizations",
            json!({"name": "   ", "sector": "business"}),
            "name",
        ),
        (
            "organizations",
            json!({"name": long, "sector": "business"}),
            "name",
        ),
        (
            "organizations",
            json!({"name": "Org", "sector": "pirates"}),
            "sector",
        ),
        (
            "organizations",
            json!({"name": "Org", "sector": "business", "identifier": "not an id"}),
            "identifier",
        ),
        (
            "organizations",
            json!({"name": "Org", "sector": "business", "website": "javascript:alert(1)"}),
            "website",
        ),
        (
            "organizations",
            json!({"name": "Org", "sector": "business", "website": "example.org"}),
            "website",
        ),
        (
            "organizations",
            json!({"name": "Org", "sector": "business", "colour": "red"}),
            "colour",
        ),
        (
            "bodies",
            json!({"name": "B", "kind": "assembly", "cadence_min_days": 21, "cadence_max_days": 14}),
            "cadence_max_days",
        ),
        (
            "bodies",
            json!({"name": "B", "kind": "assembly", "cadence_min_days": 0, "cadence_max_days": 14}),
            "cadence_min_days",
        ),
        (
            "bodies",
            json!({"name": "B", "kind": "party", "cadence_min_days": 1, "cadence_max_days": 14}),
            "kind",
        ),
        (
            "memberships",
            json!({"body_id": body, "person_id": person, "position": "member", "start_date": "2020-05-01", "end_date": "2020-04-30"}),
            "end_date",
        ),
        (
            "memberships",
            json!({"body_id": body, "person_id": person, "position": "member", "start_date": "2020-02-30"}),
            "start_date",
        ),
        (
            "memberships",
            json!({"body_id": body, "person_id": foreign_person, "position": "member", "start_date": "2020-01-01"}),
            "person_id",
        ),
        (
            "memberships",
            json!({"body_id": 999999, "person_id": person, "position": "member", "start_date": "2020-01-01"}),
            "body_id",
        ),
        (
            "memberships",
            json!({"body_id": body, "person_id": person, "position": "member", "start_date": "2020-01-01", "stipend_rate": "12.345", "stipend_currency": "USD"}),
            "stipend_rate",
        ),
        (
            "people",
            json!({"name": "P", "email": "not-an-email"}),
            "email",
        ),
    ];
    let before = counts(&app).await;
    for (kind, body, field) in &cases {
        let r = app
            .api(
                Method::POST,
                &format!("/api/v1/initiatives/kiryat-malachi/{kind}"),
                Some(&c),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind} {body}: {}",
            r.body
        );
        let j = r.json();
        assert_eq!(j["error"], "invalid");
        let msg = j["fields"][*field]
            .as_str()
            .unwrap_or_else(|| panic!("{kind} {body}: no message for {field} in {j}"));
        assert!(msg.contains(field), "the message names the field: {msg}");
    }
    // The same through the HTML form: 422, the field is marked, the value is kept.
    let r = app
        .post_form(
            "/i/kiryat-malachi/bodies",
            &c,
            &[
                ("name", "Kept name"),
                ("kind", "assembly"),
                ("cadence_min_days", "21"),
                ("cadence_max_days", "14"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(r#"id="e-cadence_max_days""#));
    assert!(r.body.contains(r#"aria-invalid="true""#));
    assert!(r.body.contains("Kept name"));
    let r = app
        .post_form(
            "/i/kiryat-malachi/organizations",
            &c,
            &[
                ("name", ""),
                ("sector", "martians"),
                ("identifier", "bad"),
                ("website", "ftp://x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["name", "sector", "identifier", "website"] {
        assert!(
            r.body.contains(&format!(r#"id="e-{f}""#)),
            "error shown for {f}"
        );
    }
    assert_eq!(counts(&app).await, before, "nothing was written");
    // Oversized bodies are refused before parsing.
    let big = "a".repeat(2 * 1024 * 1024);
    let r = app
        .api(
            Method::POST,
            "/api/v1/initiatives/kiryat-malachi/organizations",
            Some(&c),
            Some(json!({"name": big, "sector": "business"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["error"], "too_large");
    assert_eq!(counts(&app).await, before);
    // Malformed JSON and odd ids get the API's error format, not plain text.
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/initiatives/kiryat-malachi/organizations")
        .header(
            "authorization",
            format!("Bearer {}", c.token.clone().unwrap()),
        )
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"name\": "))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "bad_request");
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/kiryat-malachi/organizations/abc",
            Some(&c),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"], "not_found");
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/kiryat-malachi/organizations?page=x",
            Some(&c),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "bad_request");
    assert_eq!(counts(&app).await, before);
}

async fn uniqueness_is_checked_by_field(e: Engine) {
    let app = TestApp::new(e).await;
    let admin = app.user("admin@example.org", true, &[]).await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/initiatives",
            Some(&admin),
            Some(json!({"name": "Dup", "slug": "kiryat-malachi", "place": "X"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["fields"]["slug"]
            .as_str()
            .unwrap()
            .contains("slug")
    );
    let r = app
        .api(
            Method::POST,
            "/api/v1/initiatives/kiryat-malachi/organizations",
            Some(&admin),
            Some(
                json!({"name": "Copy", "sector": "philanthropy", "identifier": "IL-RA-580000101"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.json()["fields"]["identifier"].is_string());
    // The same identifier in another initiative is fine.
    let r = app
        .api(
            Method::POST,
            "/api/v1/initiatives/riverside-zero/organizations",
            Some(&admin),
            Some(
                json!({"name": "Copy", "sector": "philanthropy", "identifier": "IL-RA-580000101"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

/// A person can be linked to an account that holds a role in the initiative, and
/// only to such an account.
async fn people_link_to_member_accounts_only(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let outsider = app
        .user(
            "out@example.org",
            false,
            &[("riverside-zero", Role::Partner)],
        )
        .await;
    let base = "/api/v1/initiatives/kiryat-malachi/people";
    let r = app
        .api(
            Method::POST,
            base,
            Some(&c),
            Some(json!({"name": "Coord", "user_id": c.user_id})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .api(
            Method::POST,
            base,
            Some(&c),
            Some(json!({"name": "Outsider", "user_id": outsider.user_id})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["fields"]["user_id"].is_string());
    // The form offers the initiative's accounts only.
    let form = app.get("/i/kiryat-malachi/people/new", Some(&c)).await.body;
    assert!(
        form.contains(&format!(
            r#"<option value="{}">c@example.org</option>"#,
            c.user_id
        )),
        "{form}"
    );
    assert!(!form.contains("out@example.org"));
}

/// Archiving and restoring keep the registry consistent.
async fn archive_and_restore_keep_the_rules(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let base = "/api/v1/initiatives/kiryat-malachi";
    let stages = app
        .api(Method::GET, &format!("{base}/stages"), Some(&c), None)
        .await
        .json();
    let admin_stage = stages["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "administration")
        .unwrap()
        .clone();
    let id = admin_stage["id"].as_i64().unwrap();
    assert_eq!(
        app.api(
            Method::POST,
            &format!("{base}/stages/{id}/archive"),
            Some(&c),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    let r = app
        .api(
            Method::POST,
            &format!("{base}/stages"),
            Some(&c),
            Some(json!({"stage": "administration", "reached_on": "2016-08-01"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .api(
            Method::POST,
            &format!("{base}/stages/{id}/restore"),
            Some(&c),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.json()["fields"]["stage"].is_string());
    // An archived organization no longer counts at the table.
    let orgs = app
        .api(
            Method::GET,
            &format!("{base}/organizations?per_page=500"),
            Some(&c),
            None,
        )
        .await
        .json();
    let gazit = orgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Gazit Globe")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let table = app
        .api(Method::GET, &format!("{base}/table"), Some(&c), None)
        .await
        .json();
    assert!(
        !table["bodies"][0]["table"]["missing"]
            .as_array()
            .unwrap()
            .contains(&json!("business"))
    );
    assert!(
        app.get("/p/kiryat-malachi/", None)
            .await
            .body
            .contains("Gazit Globe")
    );
    assert_eq!(
        app.api(
            Method::POST,
            &format!("{base}/organizations/{gazit}/archive"),
            Some(&c),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    let table = app
        .api(Method::GET, &format!("{base}/table"), Some(&c), None)
        .await
        .json();
    assert!(
        table["bodies"][0]["table"]["missing"]
            .as_array()
            .unwrap()
            .contains(&json!("business")),
        "{table}"
    );
    let portal = app.get("/p/kiryat-malachi/", None).await.body;
    assert!(
        !portal.contains("Gazit Globe"),
        "the portal page follows at once"
    );
}

both_engines!(
    archive_and_restore_keep_the_rules,
    bad_input_is_refused_by_field,
    uniqueness_is_checked_by_field,
    people_link_to_member_accounts_only
);
