//! Work plans, the five-stages checklist on the home page, and the portal's
//! common agenda.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::access::Role;
use serde_json::{Value, json};
use testkit::{Auth, Engine, TestApp, both_engines};

const BASE: &str = "/api/v1/initiatives/kiryat-malachi";

async fn create(app: &TestApp, c: &Auth, kind: &str, body: Value) -> i64 {
    let r = app
        .api(Method::POST, &format!("{BASE}/{kind}"), Some(c), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{kind}: {}", r.body);
    r.json()["id"].as_i64().unwrap()
}

async fn get_in(
    app: &TestApp,
    path: &str,
    lang: &str,
    auth: Option<&Auth>,
) -> (StatusCode, String) {
    let mut b = Request::builder()
        .uri(path)
        .header(header::ACCEPT_LANGUAGE, lang);
    if let Some(c) = auth.and_then(|a| a.cookie.clone()) {
        b = b.header(header::COOKIE, c);
    }
    let r = app.send(b.body(Body::empty()).unwrap()).await;
    (r.status, r.body)
}

/// Archive the demo's agenda in Kiryat Malachi, so these tests start from a
/// partnership that has written none of it yet.
async fn clear_agenda(app: &TestApp) {
    use domain::agenda::*;
    use store::records::ListOptions;
    async fn archive_all<T: domain::resource::Resource>(app: &TestApp, i: i64) {
        for r in app
            .store()
            .list::<T>(Some(i), ListOptions::all())
            .await
            .unwrap()
        {
            app.store()
                .set_archived::<T>(None, Some(i), r.id, None, true)
                .await
                .unwrap();
        }
    }
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap()
        .id;
    archive_all::<Milestone>(app, i).await;
    archive_all::<Contribution>(app, i).await;
    archive_all::<Activity>(app, i).await;
    archive_all::<Objective>(app, i).await;
    archive_all::<Round>(app, i).await;
    archive_all::<Idea>(app, i).await;
    archive_all::<Sphere>(app, i).await;
    archive_all::<Vision>(app, i).await;
}

struct Seeded {
    alpha: i64,
    beta: i64,
    gamma: i64,
    ready: i64,
    science: i64,
    jobs: i64,
    home_visits: i64,
    overdue: i64,
}

/// Two spheres (one under the other), three objectives (one public and led by
/// two organizations, one led by one, one led by none), three activities, a
/// contribution, an overdue and a later milestone, and a public vision.
async fn seed(app: &TestApp, c: &Auth) -> Seeded {
    let org = |name: &str| json!({"name": name, "sector": "civil_society"});
    let alpha = create(app, c, "organizations", org("Alpha Trust")).await;
    let beta = create(app, c, "organizations", org("Beta Foundation")).await;
    let gamma = create(app, c, "organizations", org("Gamma Youth Club")).await;
    let education = create(app, c, "spheres", json!({"name": "Education"})).await;
    let early = create(
        app,
        c,
        "spheres",
        json!({"name": "Early childhood", "parent_id": education}),
    )
    .await;
    let ready = create(app, c, "objectives", json!({"title": "Every child ready for school", "sphere_id": early, "status": "agreed", "status_on": "2024-01-15", "sdg": "4.2,4.2.1", "public": true})).await;
    let science = create(app, c, "objectives", json!({"title": "Excellence in science (internal)", "sphere_id": education, "status": "active", "status_on": "2024-02-01", "public": false})).await;
    let jobs = create(app, c, "objectives", json!({"title": "Youth employment", "status": "proposed", "status_on": "2024-03-01", "public": true})).await;
    let home_visits = create(app, c, "activities", json!({"title": "Home visits", "sphere_id": early, "objective_id": ready, "lead_organization_id": alpha, "start_on": "2024-01-01", "end_on": "2025-12-31", "status": "active", "public": true})).await;
    create(app, c, "activities", json!({"title": "Parent workshops (internal)", "sphere_id": early, "objective_id": ready, "lead_organization_id": beta, "start_on": "2024-02-01", "status": "planned", "public": false})).await;
    create(app, c, "activities", json!({"title": "Science fair", "sphere_id": education, "objective_id": science, "lead_organization_id": alpha, "start_on": "2024-03-01", "status": "planned"})).await;
    create(
        app,
        c,
        "contributions",
        json!({"activity_id": home_visits, "organization_id": gamma, "note": "two youth workers"}),
    )
    .await;
    let overdue = create(
        app,
        c,
        "milestones",
        json!({"activity_id": home_visits, "title": "Hall booked", "due_on": "2020-05-01"}),
    )
    .await;
    create(
        app,
        c,
        "milestones",
        json!({"activity_id": home_visits, "title": "First report", "due_on": "2099-01-01"}),
    )
    .await;
    create(app, c, "visions", json!({"statement": "Every child in the city thrives", "agreed_on": "2024-01-10", "public": true})).await;
    Seeded {
        alpha,
        beta,
        gamma,
        ready,
        science,
        jobs,
        home_visits,
        overdue,
    }
}

async fn coordinator(app: &TestApp) -> Auth {
    app.user(
        "c@example.org",
        false,
        &[("kiryat-malachi", Role::Coordinator)],
    )
    .await
}

/// The part of `body` from `from` up to `to`.
fn between<'a>(body: &'a str, from: &str, to: &str) -> &'a str {
    let start = body
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} not in page"));
    let rest = &body[start..];
    &rest[..rest.find(to).unwrap_or(rest.len())]
}

async fn the_work_plans_page_shows_activities_milestones_and_the_matrix(e: Engine) {
    let app = TestApp::new(e).await;
    clear_agenda(&app).await;
    let c = coordinator(&app).await;
    let s = seed(&app, &c).await;
    let r = app.get("/i/kiryat-malachi/work-plans", Some(&c)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = &r.body;
    assert!(body.contains("aria-current=\"page\">Work plans</a>"));
    // Spheres in tree order: Early childhood under Education, one level deeper.
    let education = body.find("<h3 id=\"sphere-").expect("a top-level sphere");
    let early = body.find("<h4 id=\"sphere-").expect("a sub-sphere");
    assert!(education < early);
    assert!(body[education..early].contains("Education"));
    assert!(body[early..].contains("Early childhood"));
    // Activities link to their pages, with lead, contributors and milestones.
    assert!(body.contains(&format!(
        "href=\"/i/kiryat-malachi/activities/{}\">Home visits</a>",
        s.home_visits
    )));
    let row = between(body, ">Home visits</a>", "</tr>");
    assert!(row.contains("Every child ready for school"));
    assert!(row.contains("Alpha Trust"));
    assert!(row.contains("Gamma Youth Club") && row.contains("two youth workers"));
    assert!(row.contains("2024-01-01 – 2025-12-31") && row.contains("Under way"));
    // The overdue milestone says so in words and carries a class; the later one does not.
    let hall = between(row, "<li class=\"overdue\">", "</li>");
    assert!(hall.contains(&format!("/milestones/{}", s.overdue)));
    assert!(hall.contains("Hall booked") && hall.contains("due 2020-05-01"));
    assert!(hall.contains("Overdue"));
    let later = between(row, ">First report</a>", "</li>");
    assert!(!later.contains("Overdue"));
    // A coordinator gets the links to add.
    assert!(body.contains("/i/kiryat-malachi/activities/new"));
    assert!(body.contains(&format!(
        "/i/kiryat-malachi/milestones/new?activity_id={}",
        s.home_visits
    )));
    assert!(body.contains(&format!(
        "/i/kiryat-malachi/contributions/new?activity_id={}",
        s.home_visits
    )));
    // The matrix: organizations that take part, objectives as columns.
    let matrix = between(body, "<table class=\"matrix\">", "</table>");
    assert!(matrix.contains("<th scope=\"col\">"));
    assert!(matrix.contains("<th scope=\"row\">"));
    let cells = |org: i64| {
        let r = between(
            matrix,
            &format!("/i/kiryat-malachi/organizations/{org}\""),
            "</tr>",
        );
        r.split("<td")
            .skip(1)
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
    };
    // Columns by title: Every child ready…, Excellence in science…, Youth employment.
    let alpha = cells(s.alpha);
    assert!(alpha[0].contains("Leads") && alpha[1].contains("Leads"));
    assert!(!alpha[2].contains("Leads") && !alpha[2].contains("Contributes"));
    let beta = cells(s.beta);
    assert!(beta[0].contains("Leads") && !beta[1].contains("Leads"));
    let gamma = cells(s.gamma);
    assert!(gamma[0].contains("Contributes") && !gamma[0].contains("Leads"));
    // Gaps and overlaps, named and linked.
    let gaps = between(body, "<ul class=\"gaps\"", "</ul>");
    assert!(
        gaps.contains(&format!("/objectives/{}\"", s.jobs)) && gaps.contains("Youth employment")
    );
    assert!(!gaps.contains(&format!("/objectives/{}\"", s.ready)));
    let overlaps = between(body, "<ul class=\"overlaps\"", "</ul>");
    assert!(overlaps.contains(&format!("/objectives/{}\"", s.ready)));
    assert!(overlaps.contains("Alpha Trust") && overlaps.contains("Beta Foundation"));
    assert!(!overlaps.contains(&format!("/objectives/{}\"", s.science)));

    // A viewer sees the plan but no links to add.
    let v = app
        .user("v@example.org", false, &[("kiryat-malachi", Role::Viewer)])
        .await;
    let r = app.get("/i/kiryat-malachi/work-plans", Some(&v)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Hall booked"));
    assert!(!r.body.contains("/milestones/new"));
    assert!(!r.body.contains("/activities/new"));

    // A change shows at once: the milestone done, it is no longer overdue.
    let m = app
        .api(
            Method::GET,
            &format!("{BASE}/milestones/{}", s.overdue),
            Some(&c),
            None,
        )
        .await
        .json();
    let r = app
        .api(
            Method::PUT,
            &format!("{BASE}/milestones/{}", s.overdue),
            Some(&c),
            Some(json!({"activity_id": s.home_visits, "title": "Hall booked", "due_on": "2020-05-01", "done_on": "2020-06-01", "version": m["version"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.get("/i/kiryat-malachi/work-plans", Some(&c)).await;
    assert!(!r.body.contains("class=\"overdue\""));
    assert!(r.body.contains("done 2020-06-01"));

    // Hebrew, right to left.
    let (status, he) = get_in(&app, "/i/kiryat-malachi/work-plans", "he", Some(&c)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(he.contains("dir=\"rtl\""));
    assert!(he.contains("חלוקת העבודה") && he.contains("פערים"));
    // Names typed in English are marked as such on a Hebrew page.
    assert!(he.contains(&format!(
        "<th scope=\"row\" lang=\"en\" dir=\"ltr\"><a href=\"/i/kiryat-malachi/activities/{}\">Home visits</a>",
        s.home_visits
    )));
}

async fn the_home_checklist_counts_the_evidence(e: Engine) {
    let app = TestApp::new(e).await;
    clear_agenda(&app).await;
    let c = coordinator(&app).await;
    let r = app.get("/i/kiryat-malachi", Some(&c)).await;
    assert_eq!(r.status, StatusCode::OK);
    let stages = between(&r.body, "<ol class=\"stages checklist\">", "</ol>");
    assert!(stages.contains("Key facts: 5"), "{stages}");
    assert!(stages.contains("href=\"/i/kiryat-malachi/table\""));
    assert!(stages.contains("Joint objectives: 0"));
    assert!(stages.contains("Activities: 0"));
    assert!(stages.contains("No vision yet"));
    assert!(stages.contains("Indicators arrive with shared measurement."));
    assert!(stages.contains("reached on 2016-07-01"));
    let bodies = between(stages, "href=\"/i/kiryat-malachi/bodies\">", "</a>");
    assert!(bodies.starts_with("href=\"/i/kiryat-malachi/bodies\">Governing bodies: "));
    // The home page is cached per generation: every write shows in the counts.
    seed(&app, &c).await;
    let r = app.get("/i/kiryat-malachi", Some(&c)).await;
    let stages = between(&r.body, "<ol class=\"stages checklist\">", "</ol>");
    assert!(stages.contains("href=\"/i/kiryat-malachi/agenda\">Joint objectives: 3</a>"));
    assert!(stages.contains("href=\"/i/kiryat-malachi/work-plans\">Activities: 3</a>"));
    assert!(stages.contains("Vision agreed on 2024-01-10"));
    // Stages not reached say so in words.
    let last = between(stages, "Joint measurement", "</li>");
    assert!(last.contains("not yet"), "{last}");
    let (status, he) = get_in(&app, "/i/kiryat-malachi", "he", Some(&c)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(he.contains("dir=\"rtl\"") && he.contains("פעולות: 3"));
}

async fn the_portal_agenda_shows_only_what_is_public(e: Engine) {
    let app = TestApp::new(e).await;
    clear_agenda(&app).await;
    let c = coordinator(&app).await;
    // Before anything is public: a page that says so, without empty headings.
    let (status, body) = get_in(&app, "/p/kiryat-malachi/agenda", "en", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Nothing of the common agenda has been made public yet."));
    assert!(!body.contains("<h2"));
    seed(&app, &c).await;
    let (status, body) = get_in(&app, "/p/kiryat-malachi/agenda", "en", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("Every child in the city thrives") && body.contains("Agreed on 2024-01-10.")
    );
    assert!(
        body.contains("Every child ready for school") && body.contains("Agreed since 2024-01-15")
    );
    assert!(body.contains("Youth employment") && body.contains("Proposed since 2024-03-01"));
    // Grouped by sphere, named with the sphere above it.
    assert!(body.contains("<h3>Education › Early childhood</h3>"));
    assert!(body.contains("<h3>Across spheres</h3>"));
    // SDG tags with their titles.
    assert!(body.contains("<span class=\"tag\">4.2</span>"));
    assert!(body.contains("<span class=\"tag\">4.2.1</span>"));
    assert!(body.contains("early childhood development"));
    // The public activity with its lead; nothing that is not public.
    let plan = between(&body, "id=\"work-plan-h\"", "</table>");
    assert!(
        plan.contains("Home visits") && plan.contains("Alpha Trust") && plan.contains("Under way")
    );
    for hidden in [
        "internal",
        "Science fair",
        "Beta Foundation",
        "Gamma Youth Club",
        "Hall booked",
    ] {
        assert!(!body.contains(hidden), "{hidden} is not public");
    }
    // The sphere of a non-public objective alone gets no heading.
    assert!(!body.contains("<h3>Education</h3>"));

    // Spanish titles for the SDG tags; Hebrew marks the English fallback.
    let (_, es) = get_in(&app, "/p/kiryat-malachi/agenda", "es", None).await;
    assert!(es.contains("Acordado desde el 2024-01-15"));
    assert!(
        !es.contains("<span lang=\"en\">"),
        "the catalogue has Spanish titles"
    );
    let (status, he) = get_in(&app, "/p/kiryat-malachi/agenda", "he", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(he.contains("dir=\"rtl\""));
    assert!(
        he.contains("<span lang=\"en\" dir=\"ltr\">"),
        "fallback marked"
    );
    assert!(he.contains("משותפת</h1>"));

    // The portal's home links to it.
    let (_, home) = get_in(&app, "/p/kiryat-malachi/", "en", None).await;
    assert!(home.contains("href=\"/p/kiryat-malachi/agenda\">The common agenda</a>"));

    // An initiative whose portal is not published has no agenda page.
    let rz = app
        .store()
        .initiative_by_slug("riverside-zero")
        .await
        .unwrap();
    let admin = app.user("admin@example.org", true, &[]).await;
    let r = app
        .api(
            Method::PUT,
            "/api/v1/initiatives/riverside-zero",
            Some(&admin),
            Some(json!({"name": rz.data.name, "slug": "riverside-zero", "place": rz.data.place, "languages": rz.data.languages, "network_id": rz.data.network_id, "description": rz.data.description, "public": false, "time_zone": rz.data.time_zone, "version": rz.version})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (status, _) = get_in(&app, "/p/riverside-zero/agenda", "en", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get_in(&app, "/p/no-such-place/agenda", "en", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

both_engines!(
    the_work_plans_page_shows_activities_milestones_and_the_matrix,
    the_home_checklist_counts_the_evidence,
    the_portal_agenda_shows_only_what_is_public,
);
