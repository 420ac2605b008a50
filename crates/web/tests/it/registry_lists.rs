//! Lists like a spreadsheet: search, filters, sort, CSV out; organizations and
//! people in from a spreadsheet, all rows or none, each refusal located.

use axum::http::{Method, StatusCode};
use domain::access::Role;
use domain::partnership::{Organization, Person};
use serde_json::json;
use testkit::{Auth, Engine, Res, TestApp, both_engines};

const SLUG: &str = "kiryat-malachi";

async fn upload(app: &TestApp, who: &Auth, path: &str, file_name: &str, content: &str) -> Res {
    app.post_file(
        &format!("/i/{SLUG}/{path}/import"),
        who,
        &[],
        (file_name, content),
    )
    .await
}

async fn counts(app: &TestApp) -> (i64, i64) {
    let i = app.store().initiative_by_slug(SLUG).await.unwrap();
    (
        app.store()
            .count::<Organization>(Some(i.id), false)
            .await
            .unwrap(),
        app.store()
            .count::<Person>(Some(i.id), false)
            .await
            .unwrap(),
    )
}

/// A thousand organizations with one bad row: nothing changes and the row and
/// column are named; the fixed file imports all of them; importing it again
/// is refused row by row as duplicates, and changes nothing.
async fn one_bad_row_among_a_thousand_changes_nothing(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user("c@example.org", false, &[(SLUG, Role::Coordinator)])
        .await;
    let before = counts(&app).await;
    let file = |bad: bool| {
        let mut csv = String::from("\u{feff}Name;Sector;Website\n");
        for n in 0..1000 {
            let sector = if bad && n == 637 {
                "charity"
            } else {
                "civil_society"
            };
            csv.push_str(&format!(
                "Lod Partner {n:04};{sector};https://p{n}.example.org\n"
            ));
        }
        csv
    };
    let r = upload(&app, &c, "organizations", "orgs.csv", &file(true)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The header is row 1, so the 638th organization is row 639.
    assert!(
        r.body
            .contains("<tr><td>639</td><td><bdi>sector</bdi></td>"),
        "{}",
        r.body
    );
    assert_eq!(counts(&app).await, before, "nothing was written");
    let r = upload(&app, &c, "organizations", "orgs.csv", &file(false)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(counts(&app).await.0, before.0 + 1000);
    let list = app.get(r.location(), Some(&c)).await;
    assert!(
        list.body.contains("1000 records imported."),
        "{}",
        list.body
    );
    // Again: the first row already exists, so nothing more is written.
    let r = upload(&app, &c, "organizations", "orgs.csv", &file(false)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("<tr><td>2</td><td><bdi>name</bdi></td>"),
        "{}",
        r.body
    );
    assert_eq!(counts(&app).await.0, before.0 + 1000);
}

/// People: one email twice in a file names the later row; an unknown column
/// is refused before any row; a partner may not import.
async fn people_import_refuses_repeats_and_unknown_columns(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user("c@example.org", false, &[(SLUG, Role::Coordinator)])
        .await;
    let p = app
        .user("p@example.org", false, &[(SLUG, Role::Partner)])
        .await;
    let before = counts(&app).await;
    let csv = "name,email,phone\nNoa Levi,noa@example.org,+972 8 555 0100\nDan Cohen,dan@example.org,\nNoa L.,NOA@example.org,\n";
    let r = upload(&app, &c, "people", "people.csv", csv).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("<tr><td>4</td><td><bdi>email</bdi></td>"),
        "{}",
        r.body
    );
    assert_eq!(counts(&app).await, before);
    let r = upload(&app, &c, "people", "people.csv", "name,shoe_size\nNoa,38\n").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("<tr><td>1</td><td><bdi>shoe_size</bdi></td>"),
        "{}",
        r.body
    );
    let r = upload(
        &app,
        &c,
        "people",
        "people.csv",
        &csv.replace("NOA@", "noa.l@"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(counts(&app).await.1, before.1 + 3);
    let r = upload(&app, &p, "people", "people.csv", "name\nSomeone\n").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Search, filter and sort like a spreadsheet; the CSV export holds what the
/// list holds, contact details only for those who may read them, and no cell
/// a spreadsheet would run as a formula.
async fn lists_search_filter_sort_and_export(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user("c@example.org", false, &[(SLUG, Role::Coordinator)])
        .await;
    let p = app
        .user("p@example.org", false, &[(SLUG, Role::Partner)])
        .await;
    let api = format!("/api/v1/initiatives/{SLUG}");
    for (name, sector) in [
        ("Zeta Builders", "business"),
        ("Alpha Bakery", "business"),
        ("=HYPERLINK(\"http://x\")", "business"),
        ("Lod 50% Club", "civil_society"),
    ] {
        let r = app
            .api(
                Method::POST,
                &format!("{api}/organizations"),
                Some(&c),
                Some(json!({"name": name, "sector": sector})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let base = format!("/i/{SLUG}/organizations");
    let page = app
        .get(
            &format!("{base}?sector=business&sort=name&dir=desc"),
            Some(&c),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    let (z, a) = (
        b.find("Zeta Builders").unwrap(),
        b.find("Alpha Bakery").unwrap(),
    );
    assert!(z < a, "sorted by name, descending");
    assert!(!b.contains("Lod 50% Club"), "filtered by sector");
    assert!(b.contains(r#"aria-sort="descending""#));
    assert!(b.contains(r#"<option value="business" selected>"#));
    // Search: case does not matter, and % is a character, not a wildcard.
    let page = app.get(&format!("{base}?q=alpha"), Some(&c)).await;
    assert!(page.body.contains("Alpha Bakery") && !page.body.contains("Zeta Builders"));
    assert!(page.body.contains("One record matches."), "{}", page.body);
    let page = app.get(&format!("{base}?q=50%25"), Some(&c)).await;
    assert!(page.body.contains("Lod 50% Club") && !page.body.contains("Alpha Bakery"));
    let page = app.get(&format!("{base}?q=%25"), Some(&c)).await;
    assert!(!page.body.contains("Alpha Bakery"), "% matches only itself");
    // Export: the filtered list, formulas defused.
    let csv = app
        .get(&format!("{base}/export.csv?sector=business"), Some(&c))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.starts_with("\u{feff}id,name,sector,"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("Alpha Bakery,business"));
    assert!(!csv.body.contains("Lod 50% Club"));
    assert!(
        csv.body.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "{}",
        csv.body
    );
    // People: a partner's export has no contact details.
    let r = app
        .api(
            Method::POST,
            &format!("{api}/people"),
            Some(&c),
            Some(json!({"name": "Contact Carrier", "email": "carrier@example.org", "phone": "+972 8 555 0199"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let mine = app
        .get(&format!("/i/{SLUG}/people/export.csv"), Some(&c))
        .await;
    assert!(mine.body.contains("carrier@example.org"));
    let theirs = app
        .get(&format!("/i/{SLUG}/people/export.csv"), Some(&p))
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(theirs.body.contains("Contact Carrier"));
    assert!(!theirs.body.contains("carrier@example.org") && !theirs.body.contains("555 0199"));
    // Nor can a partner find people by an email they may not read.
    let found = app
        .get(&format!("/i/{SLUG}/people?q=carrier%40"), Some(&p))
        .await;
    assert!(!found.body.contains("Contact Carrier"), "{}", found.body);
    // The services list offers the HSDS directory.
    let services = app.get(&format!("/i/{SLUG}/services"), Some(&c)).await;
    assert!(services.body.contains(&format!("/i/{SLUG}/hsds.json")));
}

/// The service form creates the location it is at without leaving it, in one
/// transaction: a bad location field refuses both, named on the form.
async fn a_service_brings_its_new_location(e: Engine) {
    use domain::partnership::{Location, Service};
    let app = TestApp::new(e).await;
    let c = app
        .user("c@example.org", false, &[(SLUG, Role::Coordinator)])
        .await;
    let i = app.store().initiative_by_slug(SLUG).await.unwrap();
    let org = app
        .store()
        .names("organizations", "name", Some(i.id))
        .await
        .unwrap()[0]
        .0;
    let counts = || async {
        (
            app.store()
                .count::<Service>(Some(i.id), false)
                .await
                .unwrap(),
            app.store()
                .count::<Location>(Some(i.id), false)
                .await
                .unwrap(),
        )
    };
    let before = counts().await;
    let form = app.get(&format!("/i/{SLUG}/services/new"), Some(&c)).await;
    assert!(
        form.body.contains(r#"id="f-new_location_address""#),
        "{}",
        form.body
    );
    assert!(form.body.contains("Save and add another"));
    let org_s = org.to_string();
    let mut fields = vec![
        ("organization_id", org_s.as_str()),
        ("name", "Toy library"),
        ("status", "active"),
        ("new_location_name", "Community centre"),
        ("new_location_address", "12 Herzl St"),
        ("new_location_country", "IL"),
    ];
    let r = app
        .post_form(&format!("/i/{SLUG}/services"), &c, &fields)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(r#"id="e-new_location_city""#), "{}", r.body);
    assert!(
        r.body.contains(r#"value="12 Herzl St""#),
        "what was typed stays"
    );
    assert_eq!(counts().await, before, "neither was created");
    fields.push(("new_location_city", "Kiryat Malachi"));
    let r = app
        .post_form(&format!("/i/{SLUG}/services"), &c, &fields)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(counts().await, (before.0 + 1, before.1 + 1));
    let page = app.get(r.location(), Some(&c)).await;
    assert!(
        page.body.contains("Community centre"),
        "the service is at it: {}",
        page.body
    );
    // "Save and add another" comes back to an empty form that says it saved.
    let mut again = vec![
        ("organization_id", org_s.as_str()),
        ("name", "Story hour"),
        ("status", "active"),
    ];
    again.push(("_next", "another"));
    let r = app
        .post_form(&format!("/i/{SLUG}/services"), &c, &again)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("/i/{SLUG}/services/new?saved=1"));
    let next = app.get(r.location(), Some(&c)).await;
    assert!(next.body.contains("Saved. Add the next one."));
}

both_engines!(
    a_service_brings_its_new_location,
    one_bad_row_among_a_thousand_changes_nothing,
    people_import_refuses_repeats_and_unknown_columns,
    lists_search_filter_sort_and_export,
);
