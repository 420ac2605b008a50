//! The registry as coordinators use it. No silent duplicates: an
//! organization under another spelling of a live one's name, a second person
//! with one email, a second overlapping seat of one person in one body, an
//! org-id in use — each refused, naming and linking the record that exists,
//! through pages and API alike; two records that are one merged, every
//! reference moved, the merge in the log; and the audit log read as history.

use axum::http::{Method, StatusCode};
use domain::access::Role;
use serde_json::{Value, json};
use store::audit::Filter;
use testkit::{Auth, Engine, TestApp, both_engines};

const API: &str = "/api/v1/initiatives/kiryat-malachi";
const PAGES: &str = "/i/kiryat-malachi";

async fn coordinator(app: &TestApp) -> Auth {
    app.user(
        "c@example.org",
        false,
        &[("kiryat-malachi", Role::Coordinator)],
    )
    .await
}

async fn create(app: &TestApp, c: &Auth, path: &str, body: Value) -> i64 {
    let r = app
        .api(Method::POST, &format!("{API}/{path}"), Some(c), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

async fn organizations_are_one_whatever_their_spelling(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let lod = create(
        &app,
        &c,
        "organizations",
        json!({"name": "Lod Municipality", "sector": "local_government", "identifier": "IL-RA-580000001"}),
    )
    .await;
    // The API names the existing record.
    let r = app
        .api(
            Method::POST,
            &format!("{API}/organizations"),
            Some(&c),
            Some(json!({"name": "  LOD-municipality. ", "sector": "local_government"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let body = r.json();
    assert_eq!(body["existing"]["name"]["id"], lod, "{body}");
    assert_eq!(body["existing"]["name"]["kind"], "organization");
    assert_eq!(body["existing"]["name"]["name"], "Lod Municipality");
    assert!(
        body["fields"]["name"]
            .as_str()
            .unwrap()
            .contains("Lod Municipality")
    );
    // The page keeps what was typed and links the existing record.
    let r = app
        .post_form(
            &format!("{PAGES}/organizations"),
            &c,
            &[("name", "lod municipality"), ("sector", "local_government")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains(&format!(r#"href="{PAGES}/organizations/{lod}""#)),
        "{}",
        r.body
    );
    assert!(r.body.contains("Open “Lod Municipality”"), "{}", r.body);
    assert!(r.body.contains(r#"value="lod municipality""#));
    // An org-id in use names the organization that has it.
    let r = app
        .api(
            Method::POST,
            &format!("{API}/organizations"),
            Some(&c),
            Some(json!({"name": "Lod Welfare Department", "sector": "local_government", "identifier": "IL-RA-580000001"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let body = r.json();
    assert_eq!(body["existing"]["identifier"]["id"], lod, "{body}");
    assert!(
        body["fields"]["identifier"]
            .as_str()
            .unwrap()
            .contains("Lod Municipality"),
        "{body}"
    );
    // Renaming another organization onto it is refused the same way.
    let other = create(
        &app,
        &c,
        "organizations",
        json!({"name": "Lod Welfare Department", "sector": "local_government"}),
    )
    .await;
    let r = app
        .api(
            Method::PUT,
            &format!("{API}/organizations/{other}"),
            Some(&c),
            Some(json!({"name": "Lod municipality", "sector": "local_government", "identifier": null, "website": null, "description": "", "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Saving a record under its own name is not a duplicate of itself.
    let r = app
        .api(
            Method::PUT,
            &format!("{API}/organizations/{lod}"),
            Some(&c),
            Some(json!({"name": "Lod Municipality", "sector": "local_government", "identifier": "IL-RA-580000001", "website": null, "description": "City hall", "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Once the first is archived, the name is free again.
    let r = app
        .api(
            Method::POST,
            &format!("{API}/organizations/{lod}/archive"),
            Some(&c),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    create(
        &app,
        &c,
        "organizations",
        json!({"name": "LOD MUNICIPALITY", "sector": "local_government"}),
    )
    .await;
}

async fn one_email_is_one_person_and_one_seat_is_one_term(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let dana = create(
        &app,
        &c,
        "people",
        json!({"name": "Dana Cohen", "email": "dana@example.org"}),
    )
    .await;
    let r = app
        .api(
            Method::POST,
            &format!("{API}/people"),
            Some(&c),
            Some(json!({"name": "D. Cohen", "email": "Dana@Example.org"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["existing"]["email"]["id"], dana);
    // The page links the person.
    let r = app
        .post_form(
            &format!("{PAGES}/people"),
            &c,
            &[("name", "D. Cohen"), ("email", "dana@example.org")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(&format!(r#"href="{PAGES}/people/{dana}""#)),
        "{}",
        r.body
    );
    // Two people without an email are not duplicates of each other.
    create(&app, &c, "people", json!({"name": "No Mail One"})).await;
    create(&app, &c, "people", json!({"name": "No Mail Two"})).await;

    let body = create(
        &app,
        &c,
        "bodies",
        json!({"name": "Lod Early Years Forum", "kind": "assembly", "purpose": "Early years", "cadence_min_days": 28, "cadence_max_days": 42}),
    )
    .await;
    let seat = |start: &str, end: Option<&str>| json!({"body_id": body, "person_id": dana, "position": "member", "start_date": start, "end_date": end});
    let first = create(
        &app,
        &c,
        "memberships",
        seat("2025-01-01", Some("2025-06-30")),
    )
    .await;
    for (start, end) in [
        ("2025-06-30", None),
        ("2024-01-01", Some("2025-01-01")),
        ("2025-03-01", Some("2025-03-31")),
    ] {
        let r = app
            .api(
                Method::POST,
                &format!("{API}/memberships"),
                Some(&c),
                Some(seat(start, end)),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{start}: {}",
            r.body
        );
        let b = r.json();
        assert_eq!(b["existing"]["person_id"]["id"], first, "{b}");
        assert_eq!(
            b["existing"]["person_id"]["name"],
            "Dana Cohen · Lod Early Years Forum"
        );
    }
    // The next term, from the day after, is a new seat.
    create(&app, &c, "memberships", seat("2025-07-01", None)).await;
    // The page names the seat that stands in the way.
    let r = app
        .post_form(
            &format!("{PAGES}/memberships"),
            &c,
            &[
                ("body_id", &body.to_string()),
                ("person_id", &dana.to_string()),
                ("position", "member"),
                ("start_date", "2025-02-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains(&format!(r#"href="{PAGES}/memberships/{first}""#)),
        "{}",
        r.body
    );
}

/// Two organizations that are one: the services, locations and seats of the
/// one merged away now refer to the kept one; it is archived; the log says so
/// on both; partners may not merge; a record is not merged into itself.
async fn merging_moves_every_reference(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let partner = app
        .user("p@example.org", false, &[("kiryat-malachi", Role::Partner)])
        .await;
    let kept = create(
        &app,
        &c,
        "organizations",
        json!({"name": "Lod Municipality", "sector": "local_government"}),
    )
    .await;
    let twin = create(
        &app,
        &c,
        "organizations",
        json!({"name": "City of Lod", "sector": "local_government"}),
    )
    .await;
    let service = create(
        &app,
        &c,
        "services",
        json!({"organization_id": twin, "name": "Parent hotline", "status": "active"}),
    )
    .await;
    let person = create(&app, &c, "people", json!({"name": "Noa Levi"})).await;
    let body = create(
        &app,
        &c,
        "bodies",
        json!({"name": "Lod Steering", "kind": "steering_committee", "purpose": "Steers", "cadence_min_days": 14, "cadence_max_days": 21}),
    )
    .await;
    let seat = create(
        &app,
        &c,
        "memberships",
        json!({"body_id": body, "person_id": person, "organization_id": twin, "position": "member", "start_date": "2025-01-01"}),
    )
    .await;
    // The page says what will move and offers the other organizations.
    let page = app
        .get(
            &format!("{PAGES}/organizations/{twin}/merge?into={kept}"),
            Some(&c),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(&format!(
            r#"<option value="{kept}" selected>Lod Municipality</option>"#
        )),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&format!(r#"<option value="{twin}""#)));
    let r = app
        .api(
            Method::POST,
            &format!("{API}/organizations/{twin}/merge"),
            Some(&partner),
            Some(json!({"into": kept})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .api(
            Method::POST,
            &format!("{API}/organizations/{twin}/merge"),
            Some(&c),
            Some(json!({"into": twin})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .post_form(
            &format!("{PAGES}/organizations/{twin}/merge"),
            &c,
            &[("into", &kept.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("{PAGES}/organizations/{kept}"));
    let get = |path: String| {
        let app = &app;
        let c = &c;
        async move { app.api(Method::GET, &path, Some(c), None).await.json() }
    };
    assert_eq!(
        get(format!("{API}/services/{service}")).await["organization_id"],
        kept
    );
    assert_eq!(
        get(format!("{API}/memberships/{seat}")).await["organization_id"],
        kept
    );
    assert_eq!(
        get(format!("{API}/organizations/{twin}")).await["archived"],
        true
    );
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let merges = app
        .store()
        .audit(&Filter {
            initiative: Some(i.id),
            kind: Some("organization".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "merge")
        .map(|e| e.record_id)
        .collect::<Vec<_>>();
    assert_eq!(merges.len(), 2, "{merges:?}");
    assert!(merges.contains(&twin) && merges.contains(&kept));
    // An archived record is neither merged again nor merged into.
    let r = app
        .api(
            Method::POST,
            &format!("{API}/organizations/{kept}/merge"),
            Some(&c),
            Some(json!({"into": twin})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // People merge the same way, through the API.
    let twin_person = create(&app, &c, "people", json!({"name": "Noa Levi (old)"})).await;
    create(
        &app,
        &c,
        "memberships",
        json!({"body_id": body, "person_id": twin_person, "position": "observer", "start_date": "2020-01-01", "end_date": "2020-12-31"}),
    )
    .await;
    let r = app
        .api(
            Method::POST,
            &format!("{API}/people/{twin_person}/merge"),
            Some(&c),
            Some(json!({"into": person})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let moved = r.json();
    assert_eq!(moved["into"], person);
    assert!(
        moved["moved"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["table"] == "memberships" && m["rows"] == 1),
        "{moved}"
    );
    // A body with {"version": 0} or unknown fields is refused by field.
    let r = app
        .api(
            Method::POST,
            &format!("{API}/people/{person}/merge"),
            Some(&c),
            Some(json!({"version": 0})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

/// A service whose organization was archived names it, never a bare id.
async fn an_archived_reference_shows_its_name(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let org = create(
        &app,
        &c,
        "organizations",
        json!({"name": "Lod Toy Library", "sector": "civil_society"}),
    )
    .await;
    let service = create(
        &app,
        &c,
        "services",
        json!({"organization_id": org, "name": "Toy lending", "status": "active"}),
    )
    .await;
    // Before archiving, the page names what refers to it, linked.
    let confirm = app
        .get(&format!("{PAGES}/organizations/{org}/archive"), Some(&c))
        .await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(
        confirm.body.contains(&format!(
            r#"<a href="{PAGES}/services/{service}"><bdi>Toy lending</bdi></a>"#
        )),
        "{}",
        confirm.body
    );
    let r = app
        .api(
            Method::POST,
            &format!("{API}/organizations/{org}/archive"),
            Some(&c),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let page = app
        .get(&format!("{PAGES}/services/{service}"), Some(&c))
        .await;
    assert!(
        page.body.contains("Lod Toy Library (archived)"),
        "{}",
        page.body
    );
    let list = app.get(&format!("{PAGES}/services"), Some(&c)).await;
    assert!(list.body.contains("Lod Toy Library (archived)"));
    // The edit form keeps it chosen, so saving does not drop it.
    let form = app
        .get(&format!("{PAGES}/services/{service}/edit"), Some(&c))
        .await;
    assert!(
        form.body.contains(&format!(
            r#"<option value="{org}" selected>Lod Toy Library (archived)</option>"#
        )),
        "{}",
        form.body
    );
}

both_engines!(
    organizations_are_one_whatever_their_spelling,
    one_email_is_one_person_and_one_seat_is_one_term,
    merging_moves_every_reference,
    an_archived_reference_shows_its_name,
);

/// The audit page reads as history: the record named and linked, each changed
/// field with its value before and after in the page's words, the time in the
/// initiative's zone; filters by person, kind and dates.
async fn the_audit_log_reads_as_history(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let other = app
        .user(
            "o@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let org = create(
        &app,
        &c,
        "organizations",
        json!({"name": "Lod Parents Circle", "sector": "civil_society"}),
    )
    .await;
    let r = app
        .api(
            Method::PUT,
            &format!("{API}/organizations/{org}"),
            Some(&other),
            Some(json!({"name": "Lod Parents' Circle", "sector": "residents_group", "identifier": null, "website": null, "description": "", "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = app.get(&format!("{PAGES}/audit"), Some(&c)).await;
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    assert!(
        b.contains(&format!(r#"href="{PAGES}/organizations/{org}""#)),
        "the record is linked: {b}"
    );
    assert!(
        b.contains("Civil society") && b.contains("Residents"),
        "choices in words: {b}"
    );
    assert!(b.contains("→"), "before → after");
    assert!(!b.contains("&quot;sector&quot;"), "no raw JSON");
    assert!(
        b.contains(" IST</time>") || b.contains(" IDT</time>"),
        "the initiative's zone: {b}"
    );
    assert!(b.contains("Asia/Jerusalem"));
    // By kind: people only, so no organization.
    let people = app
        .get(&format!("{PAGES}/audit?kind=person"), Some(&c))
        .await;
    assert!(!people.body.contains("Lod Parents"), "{}", people.body);
    // By person: the other coordinator made only the change.
    let theirs = app
        .get(&format!("{PAGES}/audit?actor={}", other.user_id), Some(&c))
        .await;
    assert!(theirs.body.contains("Lod Parents"));
    assert!(
        !theirs.body.contains(">created<") && !theirs.body.contains("created:"),
        "{}",
        theirs.body
    );
    // By dates: nothing happened before yesterday.
    let old = app
        .get(&format!("{PAGES}/audit?to=2000-01-01"), Some(&c))
        .await;
    assert!(!old.body.contains("Lod Parents"));
    assert!(
        old.body.contains(r#"value="2000-01-01""#),
        "the filter is kept"
    );
    // The API keeps the raw values.
    let raw = app
        .api(
            Method::GET,
            &format!("{API}/audit?kind=organization"),
            Some(&c),
            None,
        )
        .await;
    assert_eq!(raw.json()["items"][0]["after"]["sector"], "residents_group");
}

both_engines!(the_audit_log_reads_as_history);
