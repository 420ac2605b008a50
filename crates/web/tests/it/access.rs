use axum::http::{Method, StatusCode};
use domain::access::Role;
use domain::partnership::{Body, Organization};
use store::records::ListOptions;
use testkit::{Auth, Engine, TestApp, both_engines};

async fn ids(app: &TestApp, slug: &str) -> (i64, i64) {
    let i = app.store().initiative_by_slug(slug).await.unwrap();
    let org = app
        .store()
        .list::<Organization>(Some(i.id), ListOptions::default())
        .await
        .unwrap()[0]
        .id;
    let body = app
        .store()
        .list::<Body>(Some(i.id), ListOptions::default())
        .await
        .unwrap()[0]
        .id;
    (org, body)
}

/// A coordinator of Riverside sees nothing of Kiryat Malachi: every page and API
/// resource answers 404 (its existence is not revealed), every write 404 or 403.
async fn roles_do_not_cross_initiatives(e: Engine) {
    let app = TestApp::new(e).await;
    let b = app
        .user(
            "b@example.org",
            false,
            &[("riverside-zero", Role::Coordinator)],
        )
        .await;
    let (org, body) = ids(&app, "kiryat-malachi").await;
    let pages = [
        "/i/kiryat-malachi".to_string(),
        "/i/kiryat-malachi/edit".into(),
        "/i/kiryat-malachi/table".into(),
        "/i/kiryat-malachi/audit".into(),
        "/i/kiryat-malachi/access".into(),
        "/i/kiryat-malachi/hsds.json".into(),
        "/i/kiryat-malachi/organizations".into(),
        format!("/i/kiryat-malachi/organizations/{org}"),
        format!("/i/kiryat-malachi/organizations/{org}/edit"),
        "/i/kiryat-malachi/organizations/new".into(),
        "/i/kiryat-malachi/people".into(),
        "/i/kiryat-malachi/bodies".into(),
        format!("/i/kiryat-malachi/bodies/{body}"),
        "/i/kiryat-malachi/memberships".into(),
        "/i/kiryat-malachi/services".into(),
        "/i/kiryat-malachi/locations".into(),
        "/i/kiryat-malachi/facts".into(),
        "/i/kiryat-malachi/stages".into(),
    ];
    for p in &pages {
        let r = app.get(p, Some(&b)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "page {p}");
        assert!(
            !r.body.contains("Kiryat Malachi"),
            "page {p} leaks the initiative"
        );
    }
    let apis = [
        "/api/v1/initiatives/kiryat-malachi".to_string(),
        "/api/v1/initiatives/kiryat-malachi/table".into(),
        "/api/v1/initiatives/kiryat-malachi/audit".into(),
        "/api/v1/initiatives/kiryat-malachi/hsds".into(),
        "/api/v1/initiatives/kiryat-malachi/organizations".into(),
        format!("/api/v1/initiatives/kiryat-malachi/organizations/{org}"),
        "/api/v1/initiatives/kiryat-malachi/people".into(),
        "/api/v1/initiatives/kiryat-malachi/bodies".into(),
        format!("/api/v1/initiatives/kiryat-malachi/bodies/{body}"),
        "/api/v1/initiatives/kiryat-malachi/memberships".into(),
        "/api/v1/initiatives/kiryat-malachi/services".into(),
        "/api/v1/initiatives/kiryat-malachi/locations".into(),
        "/api/v1/initiatives/kiryat-malachi/facts".into(),
        "/api/v1/initiatives/kiryat-malachi/stages".into(),
    ];
    for p in &apis {
        let r = app.api(Method::GET, p, Some(&b), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "api {p}");
        assert_eq!(r.json()["error"], "not_found");
    }
    // Writes through both doors.
    let r = app
        .post_form(
            "/i/kiryat-malachi/organizations",
            &b,
            &[("name", "Intruder"), ("sector", "business")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .api(
            Method::POST,
            "/api/v1/initiatives/kiryat-malachi/organizations",
            Some(&b),
            Some(serde_json::json!({"name": "Intruder", "sector": "business"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .api(
            Method::PUT,
            &format!("/api/v1/initiatives/kiryat-malachi/organizations/{org}"),
            Some(&b),
            Some(serde_json::json!({"name": "X", "sector": "business", "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // An id of Kiryat Malachi under Riverside's slug is not found either.
    let r = app
        .get(&format!("/i/riverside-zero/organizations/{org}"), Some(&b))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/initiatives/riverside-zero/organizations/{org}"),
            Some(&b),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The list of initiatives shows only Riverside.
    let r = app
        .api(Method::GET, "/api/v1/initiatives", Some(&b), None)
        .await;
    let slugs: Vec<_> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["slug"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(slugs, vec!["riverside-zero"]);
    let r = app.get("/", Some(&b)).await;
    assert!(r.body.contains("Riverside Zero") && !r.body.contains("Kiryat Malachi Collaborative"));
    // Their own initiative works.
    assert_eq!(
        app.get("/i/riverside-zero", Some(&b)).await.status,
        StatusCode::OK
    );
}

/// A viewer reads everything but changes nothing, through pages or the API.
async fn viewers_cannot_change_anything(e: Engine) {
    let app = TestApp::new(e).await;
    let v = app
        .user("v@example.org", false, &[("kiryat-malachi", Role::Viewer)])
        .await;
    let (org, body) = ids(&app, "kiryat-malachi").await;
    assert_eq!(
        app.get("/i/kiryat-malachi", Some(&v)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/i/kiryat-malachi/bodies/{body}"), Some(&v))
            .await
            .status,
        StatusCode::OK
    );
    let before = app.store().audit(&Default::default()).await.unwrap().len();
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/i/kiryat-malachi/organizations".into(),
            vec![("name", "New"), ("sector", "business")],
        ),
        (
            format!("/i/kiryat-malachi/organizations/{org}"),
            vec![
                ("name", "Renamed"),
                ("sector", "business"),
                ("_version", "1"),
            ],
        ),
        (
            format!("/i/kiryat-malachi/organizations/{org}/archive"),
            vec![("_version", "1")],
        ),
        (
            format!("/i/kiryat-malachi/bodies/{body}"),
            vec![
                ("name", "X"),
                ("kind", "assembly"),
                ("cadence_min_days", "1"),
                ("cadence_max_days", "2"),
                ("_version", "1"),
            ],
        ),
        (
            "/i/kiryat-malachi/edit".into(),
            vec![
                ("name", "X"),
                ("slug", "x"),
                ("place", "X"),
                ("_version", "1"),
            ],
        ),
        (
            "/i/kiryat-malachi/access".into(),
            vec![("email", "x@example.org"), ("role", "coordinator")],
        ),
        (
            "/i/kiryat-malachi/access/revoke".into(),
            vec![("user_id", "1"), ("role", "viewer")],
        ),
    ];
    for (path, fields) in &forms {
        let r = app.post_form(path, &v, fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "form {path}");
    }
    for page in [
        "/i/kiryat-malachi/organizations/new",
        "/i/kiryat-malachi/edit",
        "/i/kiryat-malachi/audit",
        "/i/kiryat-malachi/access",
    ] {
        assert_eq!(
            app.get(page, Some(&v)).await.status,
            StatusCode::FORBIDDEN,
            "page {page}"
        );
    }
    let calls = [
        (
            Method::POST,
            "/api/v1/initiatives/kiryat-malachi/organizations".to_string(),
            serde_json::json!({"name": "New", "sector": "business"}),
        ),
        (
            Method::PUT,
            format!("/api/v1/initiatives/kiryat-malachi/organizations/{org}"),
            serde_json::json!({"name": "New", "sector": "business", "version": 1}),
        ),
        (
            Method::POST,
            format!("/api/v1/initiatives/kiryat-malachi/organizations/{org}/archive"),
            serde_json::json!({}),
        ),
        (
            Method::PUT,
            "/api/v1/initiatives/kiryat-malachi".into(),
            serde_json::json!({"name": "X", "slug": "x", "place": "X", "version": 1}),
        ),
        (
            Method::POST,
            "/api/v1/networks".into(),
            serde_json::json!({"name": "N", "slug": "n"}),
        ),
        (
            Method::POST,
            "/api/v1/initiatives".into(),
            serde_json::json!({"name": "N", "slug": "n", "place": "P"}),
        ),
    ];
    for (m, path, body) in calls {
        let r = app.api(m.clone(), &path, Some(&v), Some(body)).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "api {m} {path}: {}",
            r.body
        );
        assert_eq!(r.json()["error"], "forbidden");
    }
    assert_eq!(
        app.api(
            Method::GET,
            "/api/v1/initiatives/kiryat-malachi/audit",
            Some(&v),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let after = app.store().audit(&Default::default()).await.unwrap().len();
    assert_eq!(before, after, "nothing was written");
}

async fn forms_without_a_valid_csrf_token_are_refused(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let fields = [("name", "Through CSRF"), ("sector", "business")];
    let r = app
        .post_form_raw("/i/kiryat-malachi/organizations", &c, &fields)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no token");
    let mut with_wrong = vec![("_csrf", "0000")];
    with_wrong.extend_from_slice(&fields);
    assert_eq!(
        app.post_form_raw("/i/kiryat-malachi/organizations", &c, &with_wrong)
            .await
            .status,
        StatusCode::FORBIDDEN,
        "wrong token"
    );
    // Another user's token does not work either.
    let other = app
        .user(
            "o@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let mut theirs = vec![("_csrf", other.csrf.as_str())];
    theirs.extend_from_slice(&fields);
    assert_eq!(
        app.post_form_raw("/i/kiryat-malachi/organizations", &c, &theirs)
            .await
            .status,
        StatusCode::FORBIDDEN,
        "someone else's token"
    );
    let r = app.post_form_raw("/logout", &c, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "logout needs a token too");
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let names: Vec<_> = app
        .store()
        .list::<Organization>(Some(i.id), ListOptions::default())
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.data.name)
        .collect();
    assert!(!names.contains(&"Through CSRF".to_string()));
    // With the token it works.
    let r = app
        .post_form("/i/kiryat-malachi/organizations", &c, &fields)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The API with a session cookie needs X-CSRF-Token for writes.
    let cookie_only = Auth {
        token: None,
        ..c.clone()
    };
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/initiatives/kiryat-malachi/organizations")
        .header("cookie", cookie_only.cookie.clone().unwrap())
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            r#"{"name":"Via cookie","sector":"business"}"#,
        ))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);
}

async fn revoked_tokens_are_refused(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&c), None)
            .await
            .status,
        StatusCode::OK
    );
    let tokens = app.store().api_tokens(c.user_id).await.unwrap();
    // Revoking through the account page.
    let r = app
        .post_form(&format!("/account/tokens/{}/revoke", tokens[0].id), &c, &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.api(Method::GET, "/api/v1/me", Some(&c), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "unauthorized");
    assert_eq!(
        app.api(
            Method::GET,
            "/api/v1/initiatives/kiryat-malachi",
            Some(&c),
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    // A made-up token and no token are refused too.
    let fake = Auth {
        token: Some("bb_0123".into()),
        ..Default::default()
    };
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", Some(&fake), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Someone else cannot revoke my token.
    let other = app.user("o@example.org", false, &[]).await;
    let mine = app.store().api_tokens(other.user_id).await.unwrap()[0].id;
    assert!(app.store().revoke_api_token(c.user_id, mine).await.is_err());
}

async fn pages_need_login_and_admins_see_all(e: Engine) {
    let app = TestApp::new(e).await;
    let r = app.get("/i/kiryat-malachi", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?next=%2Fi%2Fkiryat-malachi");
    let admin = app.user("admin@example.org", true, &[]).await;
    assert_eq!(
        app.get("/i/kiryat-malachi", Some(&admin)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/i/riverside-zero/audit", Some(&admin))
            .await
            .status,
        StatusCode::OK
    );
    // A network lead sees the network's initiatives, read-only.
    let lead = app.user("lead@example.org", false, &[]).await;
    let net = app
        .store()
        .list::<domain::partnership::Network>(None, ListOptions::default())
        .await
        .unwrap()[0]
        .id;
    app.store()
        .grant_network_lead(lead.user_id, net)
        .await
        .unwrap();
    assert_eq!(
        app.get("/i/kiryat-malachi", Some(&lead)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/i/riverside-zero/table", Some(&lead)).await.status,
        StatusCode::OK
    );
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/riverside-zero",
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "the API sees the lead too");
    let r = app
        .api(Method::GET, "/api/v1/initiatives", Some(&lead), None)
        .await;
    assert_eq!(r.json()["total"], 2);
    assert_eq!(
        app.get("/i/riverside-zero/organizations/new", Some(&lead))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// Contact details of people are for those who run the registry: partners,
/// residents, funders and viewers see names only, on pages and in the API.
async fn contact_details_are_for_coordinators(e: Engine) {
    let app = TestApp::new(e).await;
    let p = app
        .user("p@example.org", false, &[("kiryat-malachi", Role::Partner)])
        .await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let list = app.get("/i/kiryat-malachi/people", Some(&p)).await.body;
    assert!(list.contains("Noa Shalev") && !list.contains("noa.shalev@example.org"));
    let list = app.get("/i/kiryat-malachi/people", Some(&c)).await.body;
    assert!(list.contains("noa.shalev@example.org"));
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/kiryat-malachi/people?per_page=500",
            Some(&p),
            None,
        )
        .await;
    assert!(!r.body.contains("@example.org"), "{}", r.body);
    let id = r.json()["items"][0]["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/initiatives/kiryat-malachi/people/{id}"),
            Some(&p),
            None,
        )
        .await;
    assert_eq!(r.json()["email"], serde_json::Value::Null);
    // Pages seen through a session are not kept by browsers or proxies.
    let r = app.get("/i/kiryat-malachi/people", Some(&p)).await;
    assert_eq!(r.headers["cache-control"], "no-store");
    // Residents' stipends are for coordinators too.
    let rz = app
        .user(
            "rz@example.org",
            false,
            &[("riverside-zero", Role::Partner)],
        )
        .await;
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/riverside-zero/memberships?per_page=500",
            Some(&rz),
            None,
        )
        .await;
    assert!(
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["stipend_hourly_cents"].is_null())
    );
    let rzc = app
        .user(
            "rzc@example.org",
            false,
            &[("riverside-zero", Role::Coordinator)],
        )
        .await;
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/riverside-zero/memberships?per_page=500",
            Some(&rzc),
            None,
        )
        .await;
    assert!(
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["stipend_hourly_cents"] == 2500)
    );
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/initiatives/kiryat-malachi/people/{id}"),
            Some(&c),
            None,
        )
        .await;
    let email = r.json()["email"].as_str().unwrap().to_string();
    assert!(email.ends_with("@example.org"));
    let page = app
        .get(&format!("/i/kiryat-malachi/people/{id}"), Some(&p))
        .await
        .body;
    assert!(!page.contains(&email));
    let page = app
        .get(&format!("/i/kiryat-malachi/people/{id}"), Some(&c))
        .await
        .body;
    assert!(page.contains(&email));
}

/// The network decides which lead reads an initiative: only an admin moves it.
async fn coordinators_cannot_move_initiatives(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let admin = app.user("admin@example.org", true, &[]).await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/networks",
            Some(&admin),
            Some(serde_json::json!({"name": "Other", "slug": "other"})),
        )
        .await;
    let other = r.json()["id"].as_i64().unwrap();
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let body = serde_json::json!({"name": i.data.name, "slug": "kiryat-malachi", "place": i.data.place, "languages": "he,en", "description": i.data.description, "public": true, "time_zone": null, "network_id": other, "version": i.version});
    let r = app
        .api(
            Method::PUT,
            "/api/v1/initiatives/kiryat-malachi",
            Some(&c),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let form = app.get("/i/kiryat-malachi/edit", Some(&c)).await.body;
    assert!(
        !form.contains("f-network_id"),
        "no network choice for a coordinator"
    );
    let r = app
        .post_form(
            "/i/kiryat-malachi/edit",
            &c,
            &[
                ("name", "Kiryat Malachi"),
                ("slug", "kiryat-malachi"),
                ("place", "Kiryat Malachi"),
                ("languages", "he"),
                ("network_id", &other.to_string()),
                ("_version", &i.version.to_string()),
            ],
        )
        .await;
    // The same rule as the API, decided in the same place: refused, not ignored.
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let now = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    assert_eq!(
        now.data.network_id, i.data.network_id,
        "the network did not change"
    );
    assert_eq!(now.version, i.version, "nothing was saved");
    // Without a network choice (the form a coordinator sees), the edit saves
    // and the network stays.
    let r = app
        .post_form(
            "/i/kiryat-malachi/edit",
            &c,
            &[
                ("name", "Kiryat Malachi"),
                ("slug", "kiryat-malachi"),
                ("place", "Kiryat Malachi"),
                ("languages", "he"),
                ("_version", &i.version.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let now = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    assert_eq!(now.data.network_id, i.data.network_id);
    assert_eq!(now.data.name, "Kiryat Malachi");
    assert!(
        app.get("/i/kiryat-malachi/edit", Some(&admin))
            .await
            .body
            .contains("f-network_id")
    );
}

/// Open invitations are listed on the Access page and can be withdrawn.
async fn open_invitations_can_be_withdrawn(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let r = app
        .post_form(
            "/i/kiryat-malachi/access",
            &c,
            &[("email", "x@example.org"), ("role", "partner")],
        )
        .await;
    let link = r.invite_link();
    let page = app.get("/i/kiryat-malachi/access", Some(&c)).await.body;
    assert!(page.contains("x@example.org"));
    let id = page
        .split("/invitations/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    // Another initiative's coordinator cannot withdraw it.
    let other = app
        .user(
            "o@example.org",
            false,
            &[("riverside-zero", Role::Coordinator)],
        )
        .await;
    assert_eq!(
        app.post_form(
            &format!("/i/riverside-zero/invitations/{id}/withdraw"),
            &other,
            &[]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .post_form(
            &format!("/i/kiryat-malachi/invitations/{id}/withdraw"),
            &c,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        !app.get("/i/kiryat-malachi/access", Some(&c))
            .await
            .body
            .contains("x@example.org")
    );
    assert_eq!(
        app.get(&format!("/invite/{link}"), None).await.status,
        StatusCode::NOT_FOUND
    );
}

both_engines!(
    open_invitations_can_be_withdrawn,
    coordinators_cannot_move_initiatives,
    contact_details_are_for_coordinators,
    roles_do_not_cross_initiatives,
    viewers_cannot_change_anything,
    forms_without_a_valid_csrf_token_are_refused,
    revoked_tokens_are_refused,
    pages_need_login_and_admins_see_all
);
