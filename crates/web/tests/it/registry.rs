//! The registry's records as coordinators keep them: erasure that is real,
//! saving under an archived network, headings that read as words, and lists
//! that page instead of stopping short.

use axum::http::{Method, StatusCode};
use domain::access::Role;
use domain::partnership::{Initiative, Organization, Sector};
use serde_json::json;
use testkit::{Engine, TestApp, both_engines};

async fn coordinator(app: &TestApp) -> testkit::Auth {
    app.user(
        "c@example.org",
        false,
        &[("kiryat-malachi", Role::Coordinator)],
    )
    .await
}

/// Erasing a person's contact details blanks them on the record and in every
/// audit entry about it; the entries themselves stay.
async fn erasure_reaches_the_audit_log(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let base = "/api/v1/initiatives/kiryat-malachi/people";
    let r = app
        .api(
            Method::POST,
            base,
            Some(&c),
            Some(json!({"name": "Erin Erase", "email": "erin.private@example.org", "phone": "+972 8 555 0142"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::PUT,
            &format!("{base}/{id}"),
            Some(&c),
            Some(json!({"name": "Erin Erase", "email": "erin.private@example.org", "phone": "+972 8 555 0199", "user_id": null, "public_name_consent_on": null, "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let audit = format!("/api/v1/initiatives/kiryat-malachi/audit?kind=person&record_id={id}");
    let before = app.api(Method::GET, &audit, Some(&c), None).await.body;
    assert!(before.contains("erin.private@example.org") && before.contains("555 0142"));
    // The page asks first, and says what will happen.
    let page = app
        .get(&format!("/i/kiryat-malachi/people/{id}/erase"), Some(&c))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("audit log"), "{}", page.body);
    let r = app
        .post_form(&format!("/i/kiryat-malachi/people/{id}/erase"), &c, &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .api(Method::GET, &format!("{base}/{id}"), Some(&c), None)
        .await;
    assert!(r.json()["email"].is_null() && r.json()["phone"].is_null());
    assert_eq!(r.json()["name"], "Erin Erase");
    let after = app.api(Method::GET, &audit, Some(&c), None).await;
    let items = after.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3, "create, update and erase stay in the log");
    for secret in ["erin.private@example.org", "555 0142", "555 0199"] {
        assert!(
            !after.body.contains(secret),
            "{secret} is still in the log: {}",
            after.body
        );
    }
    assert!(items.iter().any(|i| i["action"] == "erase"));
    // The API offers the same, to coordinators only.
    let p = app
        .user("p@example.org", false, &[("kiryat-malachi", Role::Partner)])
        .await;
    let r = app
        .api(Method::POST, &format!("{base}/{id}/erase"), Some(&p), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .api(Method::POST, &format!("{base}/{id}/erase"), Some(&c), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Archiving a network does not stop its initiatives' coordinators from saving
/// their initiative; an admin can restore the network.
async fn initiatives_of_an_archived_network_still_save(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let admin = app.user("admin@example.org", true, &[]).await;
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let network = i.data.network_id.unwrap();
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/networks/{network}/archive"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post_form(
            "/i/kiryat-malachi/edit",
            &c,
            &[
                ("name", "Kiryat Malachi Collaborative Initiative"),
                ("slug", "kiryat-malachi"),
                ("place", "Kiryat Malachi"),
                ("languages", "he,en"),
                ("public", "true"),
                ("_version", &i.version.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let now = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    assert_eq!(now.data.network_id, Some(network));
    assert_eq!(now.data.place, "Kiryat Malachi");
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/networks/{network}/restore"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["archived"], false);
}

/// An archived initiative is out of sight, and an admin can bring it back.
async fn archived_initiatives_can_be_restored(e: Engine) {
    let app = TestApp::new(e).await;
    let admin = app.user("admin@example.org", true, &[]).await;
    let c = coordinator(&app).await;
    // Archiving asks first and says who loses sight of it.
    let page = app.get("/i/kiryat-malachi/archive", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("portal goes offline"), "{}", page.body);
    assert_eq!(
        app.get("/i/kiryat-malachi/archive", Some(&c)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .api(
            Method::POST,
            "/api/v1/initiatives/kiryat-malachi/archive",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/kiryat-malachi",
            Some(&c),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .api(
            Method::POST,
            "/api/v1/initiatives/kiryat-malachi/restore",
            Some(&c),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .api(
            Method::POST,
            "/api/v1/initiatives/kiryat-malachi/restore",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/kiryat-malachi",
            Some(&c),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

/// A membership's page is headed by the position, in words, and the person.
async fn membership_pages_read_as_words(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let chair = app
        .store()
        .members(i.id, None, None)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.position == domain::partnership::Position::Chair)
        .unwrap();
    let page = app
        .get(
            &format!("/i/kiryat-malachi/memberships/{}", chair.membership_id),
            Some(&c),
        )
        .await;
    let h1 = page
        .body
        .split("<h1>")
        .nth(1)
        .unwrap()
        .split("</h1>")
        .next()
        .unwrap();
    assert!(
        h1.starts_with("Chair: ") && h1.contains(&chair.person),
        "heading: {h1}"
    );
}

/// More than 500 initiatives and more than 1,000 records: every one is
/// reachable by paging, in the API and on the pages; nothing is cut off.
async fn long_lists_page_instead_of_stopping(e: Engine) {
    let app = TestApp::new(e).await;
    let admin = app.user("admin@example.org", true, &[]).await;
    let store = app.store();
    let km = store.initiative_by_slug("kiryat-malachi").await.unwrap();
    let txn = store.write_txn().await.unwrap();
    for n in 0..510 {
        let v = Initiative {
            name: format!("Bulk initiative {n:04}"),
            slug: format!("bulk-{n:04}"),
            place: "Somewhere".into(),
            languages: "en".into(),
            description: String::new(),
            network_id: None,
            public: false,
            time_zone: None,
            currency: None,
            translations: Default::default(),
        };
        store::records::create_in(&txn, None, None, &v)
            .await
            .unwrap();
    }
    for n in 0..1010 {
        let v = Organization {
            name: format!("Bulk organization {n:04}"),
            sector: Sector::CivilSociety,
            identifier: None,
            website: None,
            description: String::new(),
            translations: Default::default(),
        };
        store::records::create_in(&txn, None, Some(km.id), &v)
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();

    // The API: every initiative, once, over two pages.
    let mut slugs = std::collections::BTreeSet::new();
    let mut total = 0;
    for page in 1..=3 {
        let r = app
            .api(
                Method::GET,
                &format!("/api/v1/initiatives?per_page=500&page={page}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        total = r.json()["total"].as_i64().unwrap();
        for i in r.json()["items"].as_array().unwrap() {
            assert!(
                slugs.insert(i["slug"].as_str().unwrap().to_string()),
                "listed twice"
            );
        }
    }
    assert_eq!(total, 512);
    assert_eq!(slugs.len(), 512);
    // The API: every organization.
    let mut ids = std::collections::BTreeSet::new();
    let mut page = 1;
    loop {
        let r = app
            .api(
                Method::GET,
                &format!(
                    "/api/v1/initiatives/kiryat-malachi/organizations?per_page=500&page={page}"
                ),
                Some(&admin),
                None,
            )
            .await;
        let items = r.json()["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        ids.extend(items.iter().map(|o| o["id"].as_i64().unwrap()));
        page += 1;
    }
    let count = store
        .count::<Organization>(Some(km.id), false)
        .await
        .unwrap();
    assert!(count > 1010);
    assert_eq!(ids.len() as i64, count);
    // The pages: the last initiative and the last organization are a page away.
    let first = app.get("/", Some(&admin)).await;
    assert!(!first.body.contains("Bulk initiative 0509"));
    assert!(
        first.body.contains("rel=\"next\""),
        "the dashboard links to its next page"
    );
    let mut found = false;
    for p in 2..=6 {
        let page = app.get(&format!("/?page={p}"), Some(&admin)).await;
        if page.body.contains("Bulk initiative 0509") {
            found = true;
            break;
        }
    }
    assert!(found, "the last initiative is on a later dashboard page");
    let last_page = (count as u64).div_ceil(200);
    let page = app
        .get(
            &format!("/i/kiryat-malachi/organizations?page={last_page}"),
            Some(&admin),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Bulk organization 1009"),
        "the last organization is on the last page"
    );
    assert!(page.body.contains("rel=\"prev\""));
}

/// Content in another script than the page's language carries its `lang`, so
/// that a Hebrew name is read with Hebrew pronunciation on an English page.
async fn content_in_another_language_is_marked(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/initiatives/kiryat-malachi/organizations",
            Some(&c),
            Some(json!({"name": "עמותת בדיקה", "sector": "civil_society"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let page = app.get("/i/kiryat-malachi/organizations", Some(&c)).await;
    let cell = page
        .body
        .split("עמותת בדיקה")
        .next()
        .unwrap()
        .rsplit('<')
        .nth(1)
        .unwrap()
        .to_string();
    assert!(cell.contains("lang=\"he\" dir=\"rtl\""), "{cell}");
}

/// An admin makes an account lead of a network from its page; the lead then
/// reads every initiative of the network, and loses it when revoked.
async fn admins_grant_and_revoke_network_leads(e: Engine) {
    let app = TestApp::new(e).await;
    let admin = app.user("admin@example.org", true, &[]).await;
    let lead = app.user("lead@example.org", false, &[]).await;
    let network = app
        .store()
        .initiative_by_slug("riverside-zero")
        .await
        .unwrap()
        .data
        .network_id
        .unwrap();
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/riverside-zero",
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let base = format!("/networks/{network}/leads");
    let r = app
        .post_form(&base, &admin, &[("email", "nobody@example.org")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(&base, &admin, &[("email", "lead@example.org")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        app.get(&base, Some(&admin))
            .await
            .body
            .contains("lead@example.org")
    );
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/riverside-zero",
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post_form(
            &format!("{base}/revoke"),
            &admin,
            &[("user_id", &lead.user_id.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/riverside-zero",
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Rendered pages come from the page cache only while nothing changed: a change
/// made through another server process shows on the next request, on the list,
/// the record, the table and the audit log.
async fn cached_pages_follow_every_change(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let pages = [
        "/i/kiryat-malachi/people",
        "/i/kiryat-malachi/table",
        "/i/kiryat-malachi/audit",
    ];
    for p in pages {
        assert!(!app.get(p, Some(&c)).await.body.contains("Cache Watcher"));
    }
    // Another process adds a person and seats them on a body.
    let other = app.another_process();
    let body = testkit::send_to(
        &other,
        axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/v1/initiatives/kiryat-malachi/people")
            .header(
                "authorization",
                format!("Bearer {}", c.token.clone().unwrap()),
            )
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                json!({"name": "Cache Watcher"}).to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(body.status, StatusCode::CREATED, "{}", body.body);
    let person = body.json()["id"].as_i64().unwrap();
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let forum = app
        .store()
        .names("bodies", "name", Some(i.id))
        .await
        .unwrap()[0]
        .0;
    let r = app
        .api(
            Method::POST,
            "/api/v1/initiatives/kiryat-malachi/memberships",
            Some(&c),
            Some(json!({"body_id": forum, "person_id": person, "position": "member", "start_date": "2020-01-01"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    for p in pages {
        let body = app.get(p, Some(&c)).await.body;
        // The audit log names the seat by its person too.
        assert!(body.contains("Cache Watcher"), "{p} is stale");
    }
    // And the record page follows an edit.
    let page = format!("/i/kiryat-malachi/people/{person}");
    assert!(
        app.get(&page, Some(&c))
            .await
            .body
            .contains("Cache Watcher")
    );
    let r = app
        .api(
            Method::PUT,
            &format!("/api/v1/initiatives/kiryat-malachi/people/{person}"),
            Some(&c),
            Some(json!({"name": "Cache Renamed", "email": null, "phone": null, "user_id": null, "public_name_consent_on": null, "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = app.get(&page, Some(&c)).await.body;
    assert!(body.contains("Cache Renamed") && !body.contains("Cache Watcher"));
}

both_engines!(
    cached_pages_follow_every_change,
    archiving_shows_its_consequences_first,
    admins_grant_and_revoke_network_leads,
    content_in_another_language_is_marked,
    erasure_reaches_the_audit_log,
    initiatives_of_an_archived_network_still_save,
    archived_initiatives_can_be_restored,
    membership_pages_read_as_words,
    long_lists_page_instead_of_stopping,
);

/// Archiving asks first and says what it touches; restoring asks too.
async fn archiving_shows_its_consequences_first(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let muni = app
        .store()
        .names("organizations", "name", Some(i.id))
        .await
        .unwrap()
        .into_iter()
        .find(|(_, n)| n == "Kiryat Malachi Municipality")
        .unwrap()
        .0;
    let base = format!("/i/kiryat-malachi/organizations/{muni}");
    let show = app.get(&base, Some(&c)).await;
    assert!(show.body.contains(&format!("href=\"{base}/archive\"")));
    let page = app.get(&format!("{base}/archive"), Some(&c)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Memberships refer to it"),
        "{}",
        page.body
    );
    assert!(page.body.contains("can be restored"));
    let version = page
        .body
        .split("name=\"_version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = app
        .post_form(&format!("{base}/archive"), &c, &[("_version", &version)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&format!("{base}/restore"), Some(&c)).await;
    assert!(page.body.contains("checked again"), "{}", page.body);
    let partner = app
        .user("p@example.org", false, &[("kiryat-malachi", Role::Partner)])
        .await;
    assert_eq!(
        app.get(&format!("{base}/restore"), Some(&partner))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
