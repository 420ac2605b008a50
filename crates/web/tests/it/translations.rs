//! Content in the initiative's languages: translations of names, descriptions
//! and purposes entered on forms and through the API, shown in the reader's
//! language with the main text as the fallback, marked with `lang` and `dir`;
//! the portal's language when the browser asks for none; the initiative's
//! currency as the default of money forms.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::access::Role;
use serde_json::json;
use testkit::{Auth, Engine, TestApp, both_engines};

const RZ: &str = "riverside-zero";

/// A page read in `lang` (`None`: a browser that asks for no language).
async fn read(app: &TestApp, path: &str, lang: Option<&str>, auth: Option<&Auth>) -> String {
    let mut b = Request::builder().uri(path);
    if let Some(l) = lang {
        b = b.header(header::ACCEPT_LANGUAGE, l);
    }
    if let Some(c) = auth.and_then(|a| a.cookie.clone()) {
        b = b.header(header::COOKIE, c);
    }
    let r = app.send(b.body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.body
}

async fn coordinator(app: &TestApp) -> Auth {
    app.user(
        "c@example.org",
        false,
        &[
            (RZ, Role::Coordinator),
            ("kiryat-malachi", Role::Coordinator),
        ],
    )
    .await
}

/// The opening tag of the element whose text is `text`.
fn tag_of(page: &str, text: &str) -> String {
    let before = page
        .split(&format!(">{text}<"))
        .next()
        .unwrap_or_else(|| panic!("{text} is not on the page"));
    before.rsplit('<').next().unwrap().to_string()
}

/// A coordinator of a partnership that works in English and Spanish gives an
/// organization its Spanish name on the form; Spanish readers see it, marked
/// as the page's language, English readers see the main text, and a Hebrew
/// page marks the English text as English.
async fn forms_take_a_translation_per_language(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let form = read(
        &app,
        &format!("/i/{RZ}/organizations/new"),
        Some("en"),
        Some(&c),
    )
    .await;
    // Spanish only: English is the first language, which the main fields are in.
    assert!(form.contains("name=\"name@es\""), "{form}");
    assert!(form.contains("name=\"description@es\""));
    assert!(!form.contains("name=\"name@en\""));
    assert!(form.contains("lang=\"es\" dir=\"auto\""));
    let r = app
        .post_form(
            &format!("/i/{RZ}/organizations"),
            &c,
            &[
                ("name", "Community Shelter"),
                ("sector", "civil_society"),
                ("description", "Beds every night."),
                ("name@es", "Refugio Comunitario"),
                ("description@es", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let href = r.headers[header::LOCATION].to_str().unwrap();
    let href = href.split('?').next().unwrap().to_string();

    let es = read(
        &app,
        &format!("/i/{RZ}/organizations"),
        Some("es"),
        Some(&c),
    )
    .await;
    assert!(es.contains("Refugio Comunitario"), "{es}");
    let show = read(&app, &href, Some("es"), Some(&c)).await;
    assert!(show.contains("<h1>Refugio Comunitario"), "{show}");
    // No Spanish description: the English one, marked as English.
    assert!(
        tag_of(&show, "Beds every night.").contains("lang=\"en\""),
        "{show}"
    );
    let en = read(
        &app,
        &format!("/i/{RZ}/organizations"),
        Some("en"),
        Some(&c),
    )
    .await;
    assert!(en.contains("Community Shelter") && !en.contains("Refugio"));
    let he = read(
        &app,
        &format!("/i/{RZ}/organizations"),
        Some("he"),
        Some(&c),
    )
    .await;
    assert!(he.contains("Community Shelter"));
    let cell = he.split("Community Shelter").next().unwrap();
    let th = cell.rsplit("<th").next().unwrap();
    assert!(th.contains("lang=\"en\" dir=\"ltr\""), "{th}");
    // The breadcrumbs isolate each name.
    assert!(show.contains("<bdi"), "{show}");

    // The edit form holds the translation, and a bad one is named.
    let edit = read(&app, &format!("{href}/edit"), Some("en"), Some(&c)).await;
    assert!(edit.contains("value=\"Refugio Comunitario\""), "{edit}");
    let version = edit
        .split("name=\"_version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let long = "x".repeat(201);
    let r = app
        .post_form(
            &href,
            &c,
            &[
                ("_version", &version),
                ("name", "Community Shelter"),
                ("sector", "civil_society"),
                ("description", "Beds every night."),
                ("name@es", &long),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("href=\"#f-name@es\""), "{}", r.body);
    assert!(r.body.contains("<details class=\"translations\" open>"));
}

/// The API takes translations as a list, answers with them, keeps them when
/// a PUT leaves them out, and refuses what is not one by name.
async fn the_api_keeps_translations(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let base = format!("/api/v1/initiatives/{RZ}/services");
    let org = app
        .api(
            Method::POST,
            &format!("/api/v1/initiatives/{RZ}/organizations"),
            Some(&c),
            Some(json!({"name": "Meals Together", "sector": "civil_society"})),
        )
        .await;
    assert_eq!(org.status, StatusCode::CREATED, "{}", org.body);
    let org = org.json()["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::POST,
            &base,
            Some(&c),
            Some(json!({"organization_id": org, "name": "Hot meals", "description": "Every evening at six.",
                "translations": [{"language": "es", "name": "Comidas calientes", "description": "Cada tarde a las seis."}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json();
    assert_eq!(
        created["translations"],
        json!([{"language": "es", "name": "Comidas calientes", "description": "Cada tarde a las seis."}])
    );
    let id = created["id"].as_i64().unwrap();
    // A PUT written before translations existed leaves them as they are.
    let r = app
        .api(
            Method::PUT,
            &format!("{base}/{id}"),
            Some(&c),
            Some(json!({"organization_id": org, "location_id": null, "name": "Hot meals", "description": "Every evening at seven.",
                "url": null, "email": null, "status": "active", "version": created["version"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["translations"][0]["name"], "Comidas calientes");
    let version = r.json()["version"].clone();
    // Null clears them.
    let r = app
        .api(
            Method::PUT,
            &format!("{base}/{id}"),
            Some(&c),
            Some(json!({"organization_id": org, "location_id": null, "name": "Hot meals", "description": "Every evening at seven.",
                "url": null, "email": null, "status": "active", "translations": null, "version": version})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["translations"], json!([]));
    for bad in [
        json!([{"language": "Spanish", "name": "x"}]),
        json!([{"language": "es", "status": "x"}]),
        json!([{"name": "x"}]),
        json!({"es": {"name": "x"}}),
        json!([{"language": "es", "name": 5}]),
    ] {
        let r = app
            .api(
                Method::POST,
                &base,
                Some(&c),
                Some(json!({"organization_id": org, "name": "Other", "translations": bad})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
        assert!(r.json()["fields"]["translations"].is_string(), "{}", r.body);
    }
    // The schema says what a translation is.
    let doc = app.api(Method::GET, "/api/openapi.json", None, None).await;
    let schema = &doc.json()["components"]["schemas"]["Service"]["properties"]["translations"];
    assert_eq!(schema["type"], "array", "{schema}");
    assert_eq!(schema["items"]["required"], json!(["language"]));
}

/// Two people editing one record in different languages keep both changes.
async fn translations_merge_like_any_field(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/initiatives/{RZ}/organizations"),
            Some(&c),
            Some(json!({"name": "Warm Coats", "sector": "civil_society", "description": "Coats for winter.",
                "translations": [{"language": "es", "name": "Abrigos"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let path = format!("/i/{RZ}/organizations/{id}");
    let seen = [
        ("_was_name", "Warm Coats"),
        ("_was_sector", "civil_society"),
        ("_was_identifier", ""),
        ("_was_website", ""),
        ("_was_description", "Coats for winter."),
        ("_was_name@es", "Abrigos"),
        ("_was_description@es", ""),
    ];
    // The first editor changes the Spanish name.
    let mut first: Vec<(&str, &str)> = vec![
        ("_version", "1"),
        ("name", "Warm Coats"),
        ("sector", "civil_society"),
        ("description", "Coats for winter."),
        ("name@es", "Abrigos Calientes"),
        ("description@es", ""),
    ];
    first.extend(seen);
    let r = app.post_form(&path, &c, &first).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The second, from the same version, the English description.
    let mut second: Vec<(&str, &str)> = vec![
        ("_version", "1"),
        ("name", "Warm Coats"),
        ("sector", "civil_society"),
        ("description", "Coats for the winter, all sizes."),
        ("name@es", "Abrigos"),
        ("description@es", ""),
    ];
    second.extend(seen);
    let r = app.post_form(&path, &c, &second).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .contains("saved=merged")
    );
    let rec = app
        .api(
            Method::GET,
            &format!("/api/v1/initiatives/{RZ}/organizations/{id}"),
            Some(&c),
            None,
        )
        .await
        .json();
    assert_eq!(rec["description"], "Coats for the winter, all sizes.");
    assert_eq!(rec["translations"][0]["name"], "Abrigos Calientes");
}

/// The portal opens in the initiative's first language the interface speaks
/// when the browser asks for none, and in the one it asks for otherwise; its
/// names come in the reader's language.
async fn the_portal_speaks_the_initiatives_language(e: Engine) {
    let app = TestApp::new(e).await;
    // Kiryat Malachi works in Hebrew first.
    let page = read(&app, "/p/kiryat-malachi/", None, None).await;
    assert!(
        page.contains("<html lang=\"he\" dir=\"rtl\""),
        "{}",
        &page[..300]
    );
    let page = read(&app, "/p/kiryat-malachi/", Some("en-GB,en;q=0.8"), None).await;
    assert!(page.contains("<html lang=\"en\" dir=\"ltr\""));
    // A language the interface does not speak: the initiative's.
    let page = read(&app, "/p/kiryat-malachi/", Some("am"), None).await;
    assert!(page.contains("<html lang=\"he\""));
    // Riverside's Spanish name for Spanish readers.
    let es = read(&app, "/p/riverside-zero/", Some("es"), None).await;
    assert!(es.contains(">Riverside Cero</h1>"), "{es}");
    let en = read(&app, "/p/riverside-zero/", None, None).await;
    assert!(en.contains("<html lang=\"en\"") && en.contains(">Riverside Zero</h1>"));
}

/// An initiative's currency is the default of its money forms.
async fn the_initiatives_currency_is_the_default(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let ledger = read(
        &app,
        &format!("/i/{RZ}/funding/ledger"),
        Some("en"),
        Some(&c),
    )
    .await;
    assert!(ledger.contains("value=\"USD\""), "{ledger}");
    let ledger = read(
        &app,
        "/i/kiryat-malachi/funding/ledger",
        Some("en"),
        Some(&c),
    )
    .await;
    assert!(ledger.contains("value=\"ILS\""));
    // Set through the API, in any case; refused when it is not a code.
    let admin = app.user("admin@example.org", true, &[]).await;
    let i = app.store().initiative_by_slug(RZ).await.unwrap();
    let put = |currency: &str| {
        json!({"name": i.data.name, "slug": RZ, "place": i.data.place, "languages": i.data.languages,
            "network_id": i.data.network_id, "description": i.data.description, "public": true,
            "time_zone": i.data.time_zone, "currency": currency, "version": i.version})
    };
    let r = app
        .api(
            Method::PUT,
            &format!("/api/v1/initiatives/{RZ}"),
            Some(&admin),
            Some(put("dollars")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("currency"));
    let r = app
        .api(
            Method::PUT,
            &format!("/api/v1/initiatives/{RZ}"),
            Some(&admin),
            Some(put("cad")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["currency"], "CAD");
    // The Spanish name survived a PUT that did not know about it.
    assert_eq!(r.json()["translations"][0]["name"], "Riverside Cero");
    let ledger = read(
        &app,
        &format!("/i/{RZ}/funding/ledger"),
        Some("en"),
        Some(&c),
    )
    .await;
    assert!(ledger.contains("value=\"CAD\""));
}

both_engines!(
    forms_take_a_translation_per_language,
    the_api_keeps_translations,
    translations_merge_like_any_field,
    the_portal_speaks_the_initiatives_language,
    the_initiatives_currency_is_the_default,
);
