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
    who_is_at_the_table
);
