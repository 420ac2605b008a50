use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::access::Role;
use testkit::{Engine, TestApp, both_engines, send_to};

async fn health_metrics_and_headers(e: Engine) {
    let app = TestApp::new(e).await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    for h in [
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
    ] {
        assert!(r.headers.contains_key(h), "{h}");
    }
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
    );
    // Not public: without a metrics token configured, /metrics does not exist.
    assert_eq!(
        app.get("/metrics", None).await.status,
        StatusCode::NOT_FOUND
    );
    let state = web::AppState::new(
        app.store().clone(),
        web::Config {
            metrics_token: Some("m3trics-s3cret".into()),
            ..Default::default()
        },
    );
    let with_token = web::router(state.clone());
    let get = |path: &str| Request::builder().uri(path).body(Body::empty()).unwrap();
    send_to(&with_token, get("/healthz")).await;
    send_to(&with_token, get("/p/kiryat-malachi/")).await;
    send_to(&with_token, get("/nope")).await;
    let scrape = |token: Option<&str>| {
        let mut b = Request::builder().uri("/metrics");
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        b.body(Body::empty()).unwrap()
    };
    for wrong in [None, Some("nope"), Some("m3trics-s3cre")] {
        assert_eq!(
            send_to(&with_token, scrape(wrong)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Its own address (--metrics-addr) serves it without a token: the same
    // process's counters.
    let own_address = web::metrics_router(state);
    assert_eq!(
        send_to(&own_address, scrape(None)).await.status,
        StatusCode::OK
    );
    let r = send_to(&with_token, scrape(Some("m3trics-s3cret"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let m = r.body;
    assert!(
        m.contains(
            r#"backbone_http_requests_total{route="/p/{slug}/",method="GET",status="200"} 1"#
        ),
        "{m}"
    );
    assert!(m.contains(r#"route="unmatched",method="GET",status="404""#));
    assert!(m.contains("backbone_http_request_duration_seconds_bucket{route=\"/healthz\""));
    assert!(m.contains("backbone_db_pool_connections"));
}

/// Sessions live in the database: a second server process on the same database
/// knows the session, and logging out ends it everywhere.
async fn sessions_work_across_processes(e: Engine) {
    let app = TestApp::new(e).await;
    let s = app.store();
    s.create_user(
        "c@example.org",
        "Coordinator",
        Some("a long enough password"),
        false,
    )
    .await
    .unwrap();
    let i = s.initiative_by_slug("kiryat-malachi").await.unwrap();
    let u = s.user_by_email("c@example.org").await.unwrap().unwrap();
    s.grant_role(None, u.id, i.id, Role::Coordinator)
        .await
        .unwrap();
    // Log in through the form (double-submit CSRF cookie first).
    let login = app.get("/login", None).await;
    let pre = login.cookie();
    let token = pre.split('=').nth(1).unwrap().to_string();
    let form = |pw: &str| {
        format!("_csrf={token}&email=c%40example.org&password={pw}&next=%2Fi%2Fkiryat-malachi")
    };
    let post = |body: String| {
        Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::COOKIE, pre.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let r = app.send(post(form("a+long+enough+password"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/i/kiryat-malachi");
    let set = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"));
    let cookie = set.split(';').next().unwrap().to_string();
    let other = app.another_process();
    let get = |path: &str| {
        Request::builder()
            .uri(path)
            .header(header::COOKIE, cookie.clone())
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        send_to(&other, get("/i/kiryat-malachi")).await.status,
        StatusCode::OK
    );
    // A login form posted without its CSRF cookie is refused.
    let r = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form("a+long+enough+password")))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Log out on the first process; the second no longer knows the session.
    let page = send_to(&app.router, get("/")).await.body;
    let csrf = page
        .split(r#"name="_csrf" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = send_to(
        &app.router,
        Request::builder()
            .method(Method::POST)
            .uri("/logout")
            .header(header::COOKIE, cookie.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("_csrf={csrf}")))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        send_to(&other, get("/i/kiryat-malachi")).await.status,
        StatusCode::SEE_OTHER,
        "redirected to login"
    );
}

async fn login_attempts_are_rate_limited(e: Engine) {
    let app = TestApp::new(e).await;
    app.store()
        .create_user("c@example.org", "C", Some("the right password"), false)
        .await
        .unwrap();
    let login = app.get("/login", None).await;
    let pre = login.cookie();
    let token = pre.split('=').nth(1).unwrap().to_string();
    let attempt = |pw: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::COOKIE, pre.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "_csrf={token}&email=c%40example.org&password={pw}"
            )))
            .unwrap()
    };
    for _ in 0..5 {
        assert_eq!(
            app.send(attempt("wrong+password")).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Even the right password is refused while throttled.
    let r = app.send(attempt("the+right+password")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.body.contains("Too many failed attempts"),
        "the page says why"
    );
    assert!(
        !r.headers.contains_key(header::SET_COOKIE) || !r.cookie().starts_with("bb_session="),
        "no session is opened"
    );
}

async fn invitations_and_password_change(e: Engine) {
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
            &[("email", "new@example.org"), ("role", "partner")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let link = r.invite_link();
    let form = app.get(&format!("/invite/{link}"), None).await;
    assert_eq!(form.status, StatusCode::OK);
    let pre = form.cookie();
    let token = pre.split('=').nth(1).unwrap().to_string();
    let accept = |pw: &str| {
        Request::builder()
            .method(Method::POST)
            .uri(format!("/invite/{link}"))
            .header(header::COOKIE, pre.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "_csrf={token}&display_name=New+Partner&password={pw}"
            )))
            .unwrap()
    };
    let r = app.send(accept("short")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.send(accept("a+good+long+password")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let u = app
        .store()
        .user_by_email("new@example.org")
        .await
        .unwrap()
        .unwrap();
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    assert_eq!(
        app.store().grants(&u, &i).await.unwrap().roles,
        vec![Role::Partner]
    );
    // The link works once.
    assert_eq!(
        app.get(&format!("/invite/{link}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    // Inviting an existing account's email cannot take the account over: its
    // owner must sign in and accept as themselves.
    let admin = app.user("admin@example.org", true, &[]).await;
    let r = app
        .post_form(
            "/i/kiryat-malachi/access",
            &c,
            &[("email", "admin@example.org"), ("role", "viewer")],
        )
        .await;
    let link = r.invite_link();
    let form = app.get(&format!("/invite/{link}"), None).await.body;
    assert!(
        form.contains(&format!("/login?next=%2Finvite%2F{link}")) && !form.contains("f-password"),
        "asks to sign in first"
    );
    let r = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(format!("/invite/{link}"))
                .header(header::COOKIE, pre.clone())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "_csrf={token}&display_name=X&password=an+attacker+password"
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        app.store()
            .check_login("admin@example.org", "correct horse battery")
            .await
            .unwrap()
            .is_some()
    );
    // Someone else signed in cannot accept it either.
    let r = app.post_form(&format!("/invite/{link}"), &c, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Signed in as the invited account, one click accepts.
    let form = app.get(&format!("/invite/{link}"), Some(&admin)).await.body;
    assert!(form.contains("invite") && !form.contains("f-password"));
    let r = app.post_form(&format!("/invite/{link}"), &admin, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let u = app.store().user(admin.user_id).await.unwrap();
    assert_eq!(
        app.store().grants(&u, &i).await.unwrap().roles,
        vec![Role::Viewer]
    );
    // An invitation dies with its author's right to manage access.
    let r = app
        .post_form(
            "/i/kiryat-malachi/access",
            &c,
            &[("email", "late@example.org"), ("role", "coordinator")],
        )
        .await;
    let late = r.invite_link();
    app.store()
        .revoke_role(None, c.user_id, i.id, Role::Coordinator)
        .await
        .unwrap();
    assert!(
        app.store()
            .accept_invitation(&late, "", "Late", "a long enough password")
            .await
            .is_err()
    );
    assert!(
        app.store()
            .user_by_email("late@example.org")
            .await
            .unwrap()
            .is_none()
    );
    // Password change needs the current password.
    let r = app
        .post_form(
            "/account/password",
            &c,
            &[
                ("current_password", "wrong"),
                ("new_password", "another long password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            "/account/password",
            &c,
            &[
                ("current_password", "correct horse battery"),
                ("new_password", "another long password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        app.store()
            .check_login("c@example.org", "another long password")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        app.store()
            .check_login("c@example.org", "correct horse battery")
            .await
            .unwrap()
            .is_none()
    );
}

async fn sqlite_backup_is_a_consistent_copy(e: Engine) {
    if e != Engine::Sqlite {
        // PostgreSQL is backed up with pg_dump (README); the product refuses clearly.
        let app = TestApp::new(e).await;
        assert!(app.store().backup_sqlite("/tmp/never.db").await.is_err());
        return;
    }
    let app = TestApp::new(e).await;
    let dir = std::env::temp_dir().join(format!("bb-backup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("copy.db");
    let _ = std::fs::remove_file(&path);
    app.store()
        .backup_sqlite(path.to_str().unwrap())
        .await
        .unwrap();
    // Restore = open the copy: it holds the demo and migrates as a no-op.
    let restored = store::Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert!(restored.migrate().await.unwrap().is_empty());
    assert_eq!(
        restored
            .initiative_by_slug("kiryat-malachi")
            .await
            .unwrap()
            .data
            .name,
        "Kiryat Malachi Collaborative Initiative"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The one-time link printed at first start creates the first administrator.
async fn the_setup_link_creates_the_first_admin(e: Engine) {
    let app = TestApp::new(e).await;
    assert_eq!(app.store().user_count().await.unwrap(), 0);
    let link = app.store().create_setup_link().await.unwrap();
    let form = app.get(&format!("/invite/{link}"), None).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains(r#"id="f-email""#),
        "the setup form asks for an email"
    );
    let pre = form.cookie();
    let token = pre.split('=').nth(1).unwrap().to_string();
    let post = |body: String| {
        Request::builder()
            .method(Method::POST)
            .uri(format!("/invite/{link}"))
            .header(header::COOKIE, pre.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let r = app
        .send(post(format!(
            "_csrf={token}&email=not-an-email&display_name=Ada&password=a+long+password"
        )))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.store().user_count().await.unwrap(),
        0,
        "nothing half-created"
    );
    let r = app
        .send(post(format!(
            "_csrf={token}&email=ada%40example.org&display_name=Ada&password=a+long+password"
        )))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cookie = r.cookie();
    let ada = app
        .store()
        .user_by_email("ada@example.org")
        .await
        .unwrap()
        .unwrap();
    assert!(ada.is_admin);
    let home = app
        .send(
            Request::builder()
                .uri("/")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        home.body
            .contains("Kiryat Malachi Collaborative Initiative")
            && home.body.contains("Riverside Zero")
    );
    assert_eq!(
        app.get(&format!("/invite/{link}"), None).await.status,
        StatusCode::NOT_FOUND,
        "used once"
    );
    // Once an account exists, a setup link no longer works.
    let again = app.store().create_setup_link().await.unwrap();
    assert!(
        app.store()
            .accept_invitation(&again, "eve@example.org", "Eve", "a long enough password")
            .await
            .is_err()
    );
    assert!(
        app.store()
            .user_by_email("eve@example.org")
            .await
            .unwrap()
            .is_none()
    );
}

/// An applied migration edited afterwards is refused by name; a database from
/// before checksums gets them recorded once.
async fn edited_migrations_are_refused(e: Engine) {
    let db = testkit::TestDb::new(e).await;
    let s = &db.store;
    let stored = || async { store::migrations::recorded(&s.db).await.unwrap() };
    let expected: Vec<(String, Option<String>)> = store::migrations::checksums()
        .into_iter()
        .map(|(n, c)| (n.to_string(), Some(c)))
        .collect();
    assert_eq!(stored().await, expected);
    assert!(
        s.migrate().await.unwrap().is_empty(),
        "a no-op when unchanged"
    );
    // Simulate an edited 0001: its recorded checksum no longer matches.
    s.execute_unprepared(
        "UPDATE schema_migrations SET checksum = 'edited' WHERE name = '0001_foundation'",
    )
    .await
    .unwrap();
    let err = s.migrate().await.unwrap_err().to_string();
    assert!(
        err.contains("0001_foundation") && err.contains("changed after it was applied"),
        "{err}"
    );
    // A database from before checksums: the column is added and filled once.
    s.execute_unprepared("ALTER TABLE schema_migrations DROP COLUMN checksum")
        .await
        .unwrap();
    assert!(s.migrate().await.unwrap().is_empty());
    assert_eq!(stored().await, expected);
    s.execute_unprepared("UPDATE schema_migrations SET checksum = NULL")
        .await
        .unwrap();
    assert!(s.migrate().await.unwrap().is_empty());
    assert_eq!(stored().await, expected);
}

/// /healthz reads real tables: a database that cannot serve them is a 503.
async fn healthz_is_503_when_the_database_cannot_serve(e: Engine) {
    let app = TestApp::new(e).await;
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    app.store()
        .execute_unprepared("ALTER TABLE initiatives RENAME TO initiatives_elsewhere")
        .await
        .unwrap();
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.body, "database unavailable\n", "plain text for monitors");
    assert_eq!(
        r.headers[header::CACHE_CONTROL],
        "no-store",
        "health is never cached"
    );
}

both_engines!(
    edited_migrations_are_refused,
    healthz_is_503_when_the_database_cannot_serve,
    the_setup_link_creates_the_first_admin,
    health_metrics_and_headers,
    sessions_work_across_processes,
    login_attempts_are_rate_limited,
    invitations_and_password_change,
    sqlite_backup_is_a_consistent_copy
);
