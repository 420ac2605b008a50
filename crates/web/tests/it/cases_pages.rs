//! The by-name lists' pages: a case worker adds a person and records events,
//! the report counts them; partners and viewers see counts and never a name;
//! every view of a person is audited; misfits and unconfirmed erasures are
//! refused beside the field; every page renders in English, Spanish and Hebrew.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::access::Role;
use domain::cases::events::EventKind;
use domain::cases::person::Person;
use domain::cases::report::Month;
use store::cases::ListSettings;
use store::cases::events::NewEvent;
use testkit::{Auth, Engine, TestApp, both_engines};

const SLUG: &str = "kiryat-malachi";
const I: &str = "/i/kiryat-malachi";
const SECRET: &str = "Zebulon Quixotefeather";

fn today() -> chrono::NaiveDate {
    store::now().get().date_naive()
}

struct Setup {
    app: TestApp,
    list: i64,
    person: i64,
    worker: Auth,
    coordinator: Auth,
    partner: Auth,
    viewer: Auth,
}

async fn setup(e: Engine) -> Setup {
    let app = TestApp::new(e).await;
    let worker = app
        .user("cw@example.org", false, &[(SLUG, Role::CaseWorker)])
        .await;
    let coordinator = app
        .user("co@example.org", false, &[(SLUG, Role::Coordinator)])
        .await;
    let partner = app
        .user("pa@example.org", false, &[(SLUG, Role::Partner)])
        .await;
    let viewer = app
        .user("vi@example.org", false, &[(SLUG, Role::Viewer)])
        .await;
    let store = app.store();
    let i = store.initiative_by_slug(SLUG).await.unwrap();
    let list = store
        .create_case_list(i.id, None, &ListSettings::named("Town list"))
        .await
        .unwrap()
        .id;
    let (first, last) = SECRET.split_once(' ').unwrap();
    let person = store
        .add_case_person(
            i.id,
            list,
            None,
            &Person {
                first_name: Some(first.into()),
                last_name: Some(last.into()),
                ..Default::default()
            },
            Some(&NewEvent {
                occurred_on: Month::of(today()).prev().first_day(),
                kind: EventKind::Identified,
                chronic: true,
                supersedes: None,
            }),
        )
        .await
        .unwrap();
    Setup {
        app,
        list,
        person,
        worker,
        coordinator,
        partner,
        viewer,
    }
}

fn location(r: &testkit::Res) -> String {
    r.headers
        .get(header::LOCATION)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn a_case_worker_adds_records_and_reports(e: Engine) {
    let s = setup(e).await;
    let (app, w) = (&s.app, &s.worker);
    let identified = Month::of(today()).prev().first_day();
    let r = app
        .post_form(
            &format!("{I}/cases/{}/people", s.list),
            w,
            &[
                ("first_name", "Ada"),
                ("last_name", "Brightwater"),
                ("veteran", "yes"),
                ("household_type", "individual"),
                ("race", "white"),
                ("race", "asian"),
                ("gender", "woman"),
                ("identified_on", &identified.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let person_page = location(&r);
    assert!(person_page.starts_with(&format!("{I}/case-people/")));
    let page = app.get(&person_page, Some(w)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Ada Brightwater"));
    assert!(page.body.contains("value=\"asian\" checked"));
    let r = app
        .post_form(
            &format!("{person_page}/events"),
            w,
            &[("kind", "housed"), ("occurred_on", &today().to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = app.get(&format!("{I}/cases/{}", s.list), Some(w)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Ada Brightwater"));
    assert!(list.body.contains(SECRET));
    let report = app
        .get(&format!("{I}/cases/{}/report", s.list), Some(w))
        .await;
    assert_eq!(report.status, StatusCode::OK);
    let prev = Month::of(today()).prev();
    assert!(report.body.contains(&format!("id=\"month-{prev}\"")));
    assert!(report.body.contains("<svg"));
    let csv = app
        .get(&format!("{I}/cases/{}/report.csv", s.list), Some(w))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some(
            "month,actively_homeless,newly_identified,returned_from_housing,returned_from_inactive,housing_placements,moved_to_inactive,no_longer_meets_criteria,avg_days_identification_to_housing"
        )
    );
    assert!(
        csv.body.contains(&format!("{prev},2,2,0,0,0,0,0,\n")),
        "{}",
        csv.body
    );
    let this = Month::of(today());
    assert!(
        csv.body.contains(&format!("{this},1,0,0,0,1,0,0,")),
        "{}",
        csv.body
    );
}
both_engines!(a_case_worker_adds_records_and_reports);

async fn partners_and_viewers_see_counts_and_no_name(e: Engine) {
    let s = setup(e).await;
    for who in [&s.partner, &s.viewer] {
        for p in [
            format!("{I}/cases/{}", s.list),
            format!("{I}/case-people/{}", s.person),
        ] {
            let r = s.app.get(&p, Some(who)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{p}");
            assert!(!r.body.contains("Quixotefeather"), "{p}");
        }
        for p in [
            format!("{I}/cases"),
            format!("{I}/cases/{}/report", s.list),
            format!("{I}/cases/{}/report.csv", s.list),
        ] {
            let r = s.app.get(&p, Some(who)).await;
            assert_eq!(r.status, StatusCode::OK, "{p}");
            assert!(!r.body.contains("Quixotefeather"), "{p}");
            assert!(!r.body.contains("Zebulon"), "{p}");
        }
        let r = s
            .app
            .post_form(
                &format!("{I}/case-people/{}/events", s.person),
                who,
                &[("kind", "contact"), ("occurred_on", &today().to_string())],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
}
both_engines!(partners_and_viewers_see_counts_and_no_name);

async fn each_view_of_a_person_is_audited(e: Engine) {
    let s = setup(e).await;
    let i = s.app.store().initiative_by_slug(SLUG).await.unwrap();
    for _ in 0..3 {
        let r = s
            .app
            .get(&format!("{I}/case-people/{}", s.person), Some(&s.worker))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let views = s
        .app
        .store()
        .audit(&store::audit::Filter {
            initiative: Some(i.id),
            kind: Some("case_person".into()),
            record_id: Some(s.person),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "view" && e.actor_user_id == Some(s.worker.user_id))
        .count();
    assert_eq!(views, 3);
}
both_engines!(each_view_of_a_person_is_audited);

async fn misfits_and_erasure(e: Engine) {
    let s = setup(e).await;
    let (app, w) = (&s.app, &s.worker);
    let page = format!("{I}/case-people/{}", s.person);
    // Identified while already active: a misfit, shown beside the kind.
    let r = app
        .post_form(
            &format!("{page}/events"),
            w,
            &[
                ("kind", "identified"),
                ("occurred_on", &today().to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"ev-e-kind\""), "{}", r.body);
    assert!(r.body.contains("record contact instead"));
    // Void without saying which event.
    let r = app
        .post_form(
            &format!("{page}/events"),
            w,
            &[("kind", "void"), ("occurred_on", &today().to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"ev-e-supersedes\""));
    // An empty form is refused.
    let r = app.post_form(&format!("{page}/events"), w, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Erasing: case workers may not; coordinators must confirm.
    let r = app
        .post_form(&format!("{page}/erase"), w, &[("confirm", "erase")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let c = &s.coordinator;
    let r = app.post_form(&format!("{page}/erase"), c, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"er-e-confirm\""));
    assert!(r.body.contains("Quixotefeather"));
    let r = app
        .post_form(&format!("{page}/erase"), c, &[("confirm", "erase")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get(&page, Some(c)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("Quixotefeather"));
    assert!(!r.body.contains("Zebulon"));
    let list = app.get(&format!("{I}/cases/{}", s.list), Some(c)).await;
    assert!(!list.body.contains("Zebulon"));
}
both_engines!(misfits_and_erasure);

async fn get_lang(app: &TestApp, path: &str, lang: &str, cookie: &str) -> (StatusCode, String) {
    let r = app
        .send(
            Request::builder()
                .uri(path)
                .header(header::ACCEPT_LANGUAGE, lang)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    (r.status, r.body)
}

async fn cases_pages_render_in_three_languages(e: Engine) {
    let s = setup(e).await;
    let cookie = s.coordinator.cookie.clone().unwrap();
    let pages = [
        format!("{I}/cases"),
        format!("{I}/cases/{}", s.list),
        format!("{I}/cases/{}?population=chronic&status=active", s.list),
        format!("{I}/case-people/{}", s.person),
        format!("{I}/cases/{}/report", s.list),
        format!("{I}/cases/{}/report?population=veterans", s.list),
        format!("{I}/cases/{}/settings", s.list),
        format!("{I}/audit"),
    ];
    for (lang, dir) in [("en", "ltr"), ("es", "ltr"), ("he", "rtl")] {
        for p in &pages {
            let (status, body) = get_lang(&s.app, p, lang, &cookie).await;
            assert_eq!(status, StatusCode::OK, "{lang} {p}");
            assert!(body.contains(&format!("lang=\"{lang}\"")), "{lang} {p}");
            assert!(body.contains(&format!("dir=\"{dir}\"")), "{lang} {p}");
            assert_eq!(body.matches("<h1").count(), 1, "{lang} {p}");
            for key in ["cases-", "kind-one-", "audit-action-"] {
                assert!(
                    !body.contains(&format!(">{key}")),
                    "{lang} {p}: untranslated {key}"
                );
            }
        }
    }
}
both_engines!(cases_pages_render_in_three_languages);
