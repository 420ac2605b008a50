use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::access::Role;
use testkit::{Engine, TestApp, both_engines};

async fn get_lang(
    app: &TestApp,
    path: &str,
    lang: &str,
    cookie: Option<&str>,
) -> (StatusCode, String) {
    let mut b = Request::builder()
        .uri(path)
        .header(header::ACCEPT_LANGUAGE, lang);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    let r = app.send(b.body(Body::empty()).unwrap()).await;
    (r.status, r.body)
}

/// Every page a coordinator can reach renders, in English, Spanish and Hebrew.
async fn every_page_renders_in_three_languages(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            true,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let cookie = c.cookie.clone().unwrap();
    let mut pages = vec![
        "/".to_string(),
        "/networks".into(),
        "/networks/new".into(),
        "/networks/1/edit".into(),
        "/initiatives/new".into(),
        "/account".into(),
        "/i/kiryat-malachi".into(),
        "/i/kiryat-malachi/edit".into(),
        "/i/kiryat-malachi/table".into(),
        "/i/kiryat-malachi/audit".into(),
        "/i/kiryat-malachi/access".into(),
    ];
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
        pages.push(format!("/i/kiryat-malachi/{kind}"));
        pages.push(format!("/i/kiryat-malachi/{kind}/new"));
        pages.push(format!("/i/kiryat-malachi/{kind}?archived=1"));
    }
    for p in [
        "organizations",
        "bodies",
        "memberships",
        "services",
        "people",
        "locations",
        "facts",
        "stages",
    ] {
        let list = get_lang(&app, &format!("/i/kiryat-malachi/{p}"), "en", Some(&cookie))
            .await
            .1;
        let href = list
            .split(&format!("href=\"/i/kiryat-malachi/{p}/"))
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .find(|s| s.parse::<i64>().is_ok())
            .unwrap_or_else(|| panic!("{p} has records"));
        pages.push(format!("/i/kiryat-malachi/{p}/{href}"));
        pages.push(format!("/i/kiryat-malachi/{p}/{href}/edit"));
    }
    for (lang, dir, word) in [
        ("en", "ltr", "lang=\"en\""),
        ("es", "ltr", "lang=\"es\""),
        ("he", "rtl", "lang=\"he\""),
    ] {
        for p in &pages {
            let (status, body) = get_lang(&app, p, lang, Some(&cookie)).await;
            assert_eq!(status, StatusCode::OK, "{lang} {p}");
            assert!(body.contains(&format!("dir=\"{dir}\"")), "{lang} {p}");
            assert!(body.contains(word), "{lang} {p}");
            // No message key leaks untranslated.
            for key in ["field-", "nav-", "kind-", "sector-", "error-", "action-"] {
                assert!(
                    !body.contains(&format!(">{key}")),
                    "{lang} {p}: untranslated {key}"
                );
            }
            for key in [
                "kind-one-",
                "audit-action-",
                "position-",
                "body-kind-",
                "stage-",
            ] {
                assert!(!body.contains(key), "{lang} {p}: untranslated {key}");
            }
        }
    }
    let (_, he) = get_lang(&app, "/i/kiryat-malachi/table", "he", Some(&cookie)).await;
    let (_, en) = get_lang(&app, "/i/kiryat-malachi/table", "en", Some(&cookie)).await;
    assert_ne!(he, en);
    // The language switcher only sends people back within the site.
    for (back, to) in [
        ("%2Fi%2Fkiryat-malachi", "/i/kiryat-malachi"),
        ("https%3A%2F%2Fevil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("%2F%5Cevil.example", "/"),
    ] {
        let r = app.get(&format!("/lang?to=he&back={back}"), None).await;
        assert_eq!(r.location(), to);
        assert!(
            r.headers[header::SET_COOKIE]
                .to_str()
                .unwrap()
                .starts_with("lang=he;")
        );
    }
    // Control characters in a query value are refused before any handler runs.
    for back in ["%2F%09%2Fevil.example", "%2F%0A"] {
        let r = app.get(&format!("/lang?to=he&back={back}"), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.location(), "");
    }
    // The lang cookie overrides Accept-Language.
    let (_, body) = get_lang(&app, "/p/kiryat-malachi/", "en", Some("lang=he")).await;
    assert!(body.contains("dir=\"rtl\""));
}

/// The public portal needs no login and never shows contact details.
async fn the_portal_is_public_and_discreet(e: Engine) {
    let app = TestApp::new(e).await;
    let (status, body) = get_lang(&app, "/p/kiryat-malachi/", "en", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("Administration Forum")
            && body.contains("Rashi Foundation")
            && body.contains("23,500")
    );
    assert!(!body.contains("@example.org"), "no email addresses");
    assert!(
        !body.contains("Tamar Katz"),
        "members are not named, only chairs"
    );
    assert_eq!(
        get_lang(&app, "/p/no-such-place/", "en", None).await.0,
        StatusCode::NOT_FOUND
    );
    let r = app.get("/p/kiryat-malachi", None).await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
}

/// The portal's services directory: a live service with its organization, its
/// location's address and its own contact details; not a defunct or archived
/// one, and never a person's email or phone. Sections with nothing to show
/// have no heading, and the page says when it last changed.
async fn the_portal_lists_services_for_residents(e: Engine) {
    use axum::http::Method;
    use serde_json::json;
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "c@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let base = "/api/v1/initiatives/kiryat-malachi";
    let post = |path: &'static str, body: serde_json::Value| {
        let app = &app;
        let c = &c;
        async move {
            let r = app
                .api(Method::POST, &format!("{base}/{path}"), Some(c), Some(body))
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.body);
            r.json()["id"].as_i64().unwrap()
        }
    };
    let org = post(
        "organizations",
        json!({"name": "Malachi Family Aid", "sector": "civil_society", "website": "https://family-aid.example.net/"}),
    )
    .await;
    let loc = post(
        "locations",
        json!({"organization_id": org, "name": "Family House", "address": "12 Rothschild Street", "city": "Kiryat Malachi", "postal_code": "8301200", "country": "IL"}),
    )
    .await;
    post(
        "services",
        json!({"organization_id": org, "location_id": loc, "name": "Family advice desk", "description": "Help with forms and rights.", "url": "https://family-aid.example.net/desk", "email": "desk@family-aid.example.net", "status": "active"}),
    )
    .await;
    post(
        "services",
        json!({"organization_id": org, "location_id": loc, "name": "Old soup kitchen", "description": "", "status": "defunct"}),
    )
    .await;
    let gone = post(
        "services",
        json!({"organization_id": org, "name": "Archived clinic", "description": "", "status": "active"}),
    )
    .await;
    let r = app
        .api(
            Method::POST,
            &format!("{base}/services/{gone}/archive"),
            Some(&c),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    post(
        "people",
        json!({"name": "Dana Desk", "email": "dana.private@example.org", "phone": "+972 8 555 0177"}),
    )
    .await;

    for lang in ["en", "es", "he"] {
        let (status, body) = get_lang(&app, "/p/kiryat-malachi/", lang, None).await;
        assert_eq!(status, StatusCode::OK, "{lang}");
        let directory = body
            .split("id=\"services-h\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{lang}: the portal has a services directory: {body}"))
            .split("</section>")
            .next()
            .unwrap();
        let entry = directory
            .split("<li>")
            .find(|e| e.contains("Family advice desk"))
            .unwrap_or_else(|| panic!("{lang}: the new service is listed: {directory}"));
        for shown in [
            "Malachi Family Aid",
            "Family House",
            "12 Rothschild Street",
            "8301200",
            "https://family-aid.example.net/desk",
            "mailto:desk@family-aid.example.net",
        ] {
            assert!(entry.contains(shown), "{lang}: {shown} in {entry}");
        }
        // The demo's services are there too, with their addresses.
        assert!(
            directory.contains("Parent and toddler groups")
                && directory.contains("5 Ben Gurion Street")
        );
        assert!(
            !body.contains("Old soup kitchen"),
            "{lang}: a defunct service"
        );
        assert!(
            !body.contains("Archived clinic"),
            "{lang}: an archived service"
        );
        for secret in ["dana.private@example.org", "555 0177", "@example.org"] {
            assert!(!body.contains(secret), "{lang}: {secret} on the portal");
        }
        // The partner's website is how to contact it; taking part has links.
        assert!(body.contains("id=\"involved-h\"") && body.contains("/p/kiryat-malachi/ideas"));
        assert!(body.contains("href=\"https://family-aid.example.net/\""));
        assert!(
            body.contains("class=\"updated\""),
            "{lang}: the date of the last change"
        );
        // No heading stands over nothing.
        for (open, close) in [("<h2", "</h2>"), ("<h3", "</h3>")] {
            for part in body.split(open).skip(1) {
                let after = part.split(close).nth(1).unwrap_or("").trim_start();
                assert!(
                    !after.starts_with("</section>")
                        && !after.starts_with("</article>")
                        && !after.is_empty(),
                    "{lang}: an empty heading {open}{part}"
                );
            }
        }
    }
    let today = chrono::Utc::now().date_naive().to_string();
    let (_, en) = get_lang(&app, "/p/kiryat-malachi/", "en", None).await;
    assert!(en.contains(&today), "the last change was today: {today}");
}

/// The table view of the demo: the Forum has local government, philanthropy and
/// business at the table and misses academia and social enterprise.
async fn who_is_at_the_table(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user("c@example.org", false, &[("kiryat-malachi", Role::Partner)])
        .await;
    let body = app.get("/i/kiryat-malachi/table", Some(&c)).await.body;
    let forum = body
        .split("Administration Forum")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    assert!(forum.contains(
        "<span>Eli Ben-Shimon</span> (<span>Kiryat Malachi Municipality</span>) — Chair"
    ));
    let missing = forum.matches("class=\"missing\"").count();
    assert_eq!(
        missing, 2,
        "academia and social enterprise are missing: {forum}"
    );
}

both_engines!(
    every_page_renders_in_three_languages,
    the_portal_is_public_and_discreet,
    the_portal_lists_services_for_residents,
    who_is_at_the_table
);
