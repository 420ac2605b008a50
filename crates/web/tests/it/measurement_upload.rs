//! The upload page: a spreadsheet of values checked whole, refused with every
//! problem located and nothing written, or imported with a summary; templates.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::access::Role;
use domain::measurement::indicator::Indicator;
use domain::resource::Resource;
use domain::validation::FieldMap;
use testkit::{Auth, Engine, Res, TestApp, both_engines};

const SLUG: &str = "kiryat-malachi";

async fn upload(app: &TestApp, who: &Auth, what: &str, file_name: &str, content: &str) -> Res {
    app.post_file(
        &format!("/i/{SLUG}/measurement/import"),
        who,
        &[("what", what)],
        (file_name, content),
    )
    .await
}

/// Follow the redirect to the job's page (it waits for a small import).
async fn result(app: &TestApp, who: &Auth, r: &Res) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(r.location(), Some(who)).await;
    assert_eq!(page.status, StatusCode::OK);
    page.body
}

async fn a_spreadsheet_through_the_upload_page(engine: Engine) {
    let app = TestApp::new(engine).await;
    let coordinator = app
        .user("c@example.org", false, &[(SLUG, Role::Coordinator)])
        .await;
    let partner = app
        .user("p@example.org", false, &[(SLUG, Role::Partner)])
        .await;
    let viewer = app
        .user("v@example.org", false, &[(SLUG, Role::Viewer)])
        .await;
    let store = app.store();
    let km = store.initiative_by_slug(SLUG).await.unwrap().id;
    let fields: FieldMap = [
        ("code", "page_visits"),
        ("name", "Visits"),
        ("kind", "population"),
        ("polarity", "higher_is_better"),
        ("aggregation", "sum"),
        ("period_aggregation", "sum"),
        ("frequency", "monthly"),
        ("disaggregations", "sex=F|M"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let ind = store
        .create(None, Some(km), &Indicator::parse(&fields).unwrap())
        .await
        .unwrap()
        .id;

    let form = app
        .get(&format!("/i/{SLUG}/measurement/import"), Some(&partner))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("enctype=\"multipart/form-data\""));
    assert!(
        !form.body.contains("value=\"indicators\""),
        "a partner does not define indicators"
    );
    let viewer_form = app
        .get(&format!("/i/{SLUG}/measurement/import"), Some(&viewer))
        .await;
    assert_eq!(viewer_form.status, StatusCode::FORBIDDEN);

    // One bad row: nothing written, the row and column named.
    let bad = "indicator;period;value;sex\npage_visits;2025-01;10;F\npage_visits;2025-01;ten;M\n";
    let page = result(
        &app,
        &partner,
        &upload(&app, &partner, "values", "jan.csv", bad).await,
    )
    .await;
    assert!(page.contains("Nothing was written"), "{page}");
    assert!(page.contains(">3<") && page.contains("value"), "{page}");
    assert!(store.values(km, Some(ind), 0, 10).await.unwrap().is_empty());

    let good =
        "\u{feff}indicator;period;value;sex\npage_visits;2025-01;10;F\npage_visits;2025-01;12;M\n";
    let page = result(
        &app,
        &partner,
        &upload(&app, &partner, "values", "jan.csv", good).await,
    )
    .await;
    assert!(
        page.contains("Imported: 2 added, 0 changed, 0 unchanged"),
        "{page}"
    );
    assert_eq!(store.values(km, Some(ind), 0, 10).await.unwrap().len(), 2);
    let page = result(
        &app,
        &partner,
        &upload(&app, &partner, "values", "jan.csv", good).await,
    )
    .await;
    assert!(page.contains("Nothing changed"), "{page}");
    // A job is its uploader's own.
    let r = upload(&app, &partner, "values", "jan.csv", good).await;
    let other = app.get(r.location(), Some(&coordinator)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    // Indicators: coordinators only.
    let defs = "code,name,unit,aggregation,polarity,frequency\npage_new,New one,people,sum,higher_is_better,yearly\n";
    let r = upload(&app, &partner, "indicators", "defs.csv", defs).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let page = result(
        &app,
        &coordinator,
        &upload(&app, &coordinator, "indicators", "defs.csv", defs).await,
    )
    .await;
    assert!(page.contains("Imported: 1 added"), "{page}");
    assert!(store.indicator_by_code(km, "page_new").await.is_ok());

    // Templates: the values template has this initiative's categories.
    let t = app
        .get(
            &format!("/i/{SLUG}/measurement/template/values.csv"),
            Some(&viewer),
        )
        .await;
    assert_eq!(t.status, StatusCode::OK);
    let header_line = t
        .body
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        header_line.starts_with("indicator,period,value"),
        "{header_line}"
    );
    assert!(header_line.contains("sex"), "{header_line}");
    let t = app
        .get(
            &format!("/i/{SLUG}/measurement/template/indicators.csv"),
            Some(&viewer),
        )
        .await;
    assert!(
        t.body
            .contains("code,name,unit,aggregation,polarity,frequency")
    );
    // In Hebrew, the page renders right to left.
    let he = app
        .send(
            Request::builder()
                .uri(format!("/i/{SLUG}/measurement/import"))
                .header(header::ACCEPT_LANGUAGE, "he")
                .header(header::COOKIE, partner.cookie.clone().unwrap())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        he.body.contains("dir=\"rtl\"") && he.body.contains("העלאת גיליון"),
        "{}",
        he.body
    );
}

both_engines!(a_spreadsheet_through_the_upload_page);
