//! Triage, case conferencing and referrals pages: a coordinator sets the
//! questions and a case worker answers them on the person page; the agenda
//! shows who is new and carries a note to the next week; a case worker adds
//! and changes a referral; partners and viewers see the measures and never a
//! referral, an outcome or a name; every page renders in English, Spanish and
//! Hebrew.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::access::Role;
use domain::cases::events::EventKind;
use domain::cases::person::Person;
use domain::partnership::{Organization, Sector};
use store::cases::ListSettings;
use store::cases::events::NewEvent;
use testkit::{Auth, Engine, TestApp, both_engines};

const SLUG: &str = "kiryat-malachi";
const I: &str = "/i/kiryat-malachi";
const SECRET: &str = "Zebulon Quixotefeather";
const OUTCOME: &str = "Seen by the midwife Yocheved";

fn today() -> chrono::NaiveDate {
    store::now().get().date_naive()
}

struct Setup {
    app: TestApp,
    initiative: i64,
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
                occurred_on: today(),
                kind: EventKind::Identified,
                chronic: false,
                supersedes: None,
            }),
        )
        .await
        .unwrap();
    Setup {
        app,
        initiative: i.id,
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

async fn coordinators_set_questions_and_workers_answer(e: Engine) {
    let s = setup(e).await;
    let (app, w, c) = (&s.app, &s.worker, &s.coordinator);
    let triage = format!("{I}/cases/{}/triage", s.list);
    let questions = [
        ("text_0", "Sleeps outside"),
        ("weight_0", "5"),
        ("text_1", "Has a chronic illness"),
        ("weight_1", "3"),
    ];
    // A case worker reads the questions but may not change them.
    let r = app.post_form(&triage, w, &questions).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post_form(&triage, c, &questions).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(location(&r), triage);
    let page = app.get(&triage, Some(w)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Sleeps outside"));
    assert!(page.body.contains("sum of the weights"));
    assert!(
        !page.body.contains("name=\"text_0\""),
        "workers get no form"
    );
    let page = app.get(&triage, Some(c)).await;
    assert!(page.body.contains("name=\"text_0\""));
    assert!(page.body.contains("value=\"Has a chronic illness\""));
    assert!(page.body.contains("name=\"text_4\""), "three empty rows");
    let qs = app
        .store()
        .triage_questions(s.initiative, s.list)
        .await
        .unwrap();
    assert_eq!(qs.len(), 2);
    // The person page offers the questions; the answers make the score.
    let person = format!("{I}/case-people/{}", s.person);
    let page = app.get(&person, Some(w)).await;
    assert!(page.body.contains("id=\"triage\""));
    assert!(page.body.contains(&format!("name=\"q_{}\"", qs[0].id)));
    let yes = format!("q_{}", qs[0].id);
    let r = app
        .post_form(&format!("{person}/triage"), w, &[(&yes, "1")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(location(&r), format!("{person}#triage"));
    let page = app.get(&person, Some(w)).await;
    assert!(page.body.contains("Current score: 5"), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("name=\"q_{}\" value=\"1\" checked", qs[0].id))
    );
    assert!(
        !page
            .body
            .contains(&format!("name=\"q_{}\" value=\"1\" checked", qs[1].id))
    );
    let list = app.get(&format!("{I}/cases/{}", s.list), Some(w)).await;
    assert!(list.body.contains(&format!("{I}/cases/{}/triage", s.list)));
    assert!(
        list.body
            .contains(&format!("{I}/cases/{}/conferencing", s.list))
    );
    // A question of another list is refused.
    let r = app
        .post_form(&format!("{person}/triage"), w, &[("q_999999", "1")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("role=\"alert\""));
}
both_engines!(coordinators_set_questions_and_workers_answer);

async fn a_weight_without_text_is_refused_beside_the_field(e: Engine) {
    let s = setup(e).await;
    let triage = format!("{I}/cases/{}/triage", s.list);
    let r = s
        .app
        .post_form(
            &triage,
            &s.coordinator,
            &[("text_0", ""), ("weight_0", "4")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-text_0\""), "{}", r.body);
    assert!(r.body.contains("aria-describedby=\"e-text_0\""));
    assert!(r.body.contains("aria-invalid=\"true\""));
    assert!(r.body.contains("role=\"alert\""));
    assert!(r.body.contains("href=\"#f-text_0\""));
    assert!(r.body.contains("value=\"4\""), "what was typed stays");
}
both_engines!(a_weight_without_text_is_refused_beside_the_field);

async fn the_agenda_shows_new_people_and_carries_notes(e: Engine) {
    let s = setup(e).await;
    let (app, w) = (&s.app, &s.worker);
    let conf = format!("{I}/cases/{}/conferencing", s.list);
    let page = app.get(&conf, Some(w)).await;
    assert_eq!(page.status, StatusCode::OK);
    let new = page.body.find("id=\"agenda-new\"").expect("new this week");
    let end = page.body.find("id=\"h-priority\"").unwrap();
    assert!(page.body[new..end].contains(SECRET), "{}", page.body);
    assert!(page.body.contains(&format!("id=\"person-{}\"", s.person)));
    // A note at today's conference.
    let on = today().to_string();
    let pid = s.person.to_string();
    let r = app
        .post_form(
            &conf,
            w,
            &[
                ("person_id", &pid),
                ("conference_on", &on),
                ("note", "Seen at the shelter"),
                ("next_steps", "Book a housing interview"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(location(&r), format!("{conf}?on={on}#person-{pid}"));
    // Next week it is carried, with its date.
    let next = (today() + chrono::Days::new(7)).to_string();
    let page = app.get(&format!("{conf}?on={next}"), Some(w)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Book a housing interview"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("Conference of {on}")));
    // An empty note is refused beside that person's form.
    let r = app
        .post_form(
            &conf,
            w,
            &[("person_id", &pid), ("conference_on", &on), ("note", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(&format!("id=\"cn-{pid}-e-note\"")),
        "{}",
        r.body
    );
    assert!(r.body.contains("role=\"alert\""));
    // A date that is not one.
    let r = app.get(&format!("{conf}?on=someday"), Some(w)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-on-date\""));
}
both_engines!(the_agenda_shows_new_people_and_carries_notes);

async fn referrals_for_workers_measures_for_everyone(e: Engine) {
    let s = setup(e).await;
    let (app, w) = (&s.app, &s.worker);
    let org = |name: &str| Organization {
        name: name.into(),
        sector: Sector::CivilSociety,
        identifier: None,
        website: None,
        description: String::new(),
        translations: Default::default(),
    };
    let store = app.store();
    let clinic = store
        .create(None, Some(s.initiative), &org("Family clinic"))
        .await
        .unwrap()
        .id
        .to_string();
    let hospital = store
        .create(None, Some(s.initiative), &org("Regional hospital"))
        .await
        .unwrap()
        .id
        .to_string();
    let page = app.get(&format!("{I}/referrals"), Some(w)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Family clinic"),
        "organizations to choose"
    );
    let on = today().to_string();
    let pid = s.person.to_string();
    // Refused by field first.
    let r = app
        .post_form(
            &format!("{I}/referrals"),
            w,
            &[("referral_type", ""), ("risk_level", "high")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"rf-e-referral_type\""), "{}", r.body);
    assert!(r.body.contains("id=\"rf-e-referred_on\""));
    let r = app
        .post_form(
            &format!("{I}/referrals"),
            w,
            &[
                ("referral_type", "Prenatal check"),
                ("from_organization_id", &clinic),
                ("to_organization_id", &hospital),
                ("person_id", &pid),
                ("risk_level", "high"),
                ("race_ethnicity", "white"),
                ("neighbourhood", "North"),
                ("referred_on", &on),
                ("outcome", OUTCOME),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let one = location(&r);
    assert!(one.starts_with(&format!("{I}/referrals/")), "{one}");
    let page = app.get(&format!("{I}/referrals"), Some(w)).await;
    assert!(page.body.contains("Prenatal check"));
    assert!(page.body.contains(&format!("href=\"{one}\"")));
    assert!(page.body.contains("Regional hospital"));
    assert!(page.body.contains(OUTCOME));
    let detail = app.get(&one, Some(w)).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("value=\"Prenatal check\""));
    assert!(
        detail
            .body
            .contains(&format!("value=\"{hospital}\" selected"))
    );
    let r = app
        .post_form(
            &one,
            w,
            &[
                ("referral_type", "Prenatal check"),
                ("from_organization_id", &clinic),
                ("to_organization_id", &hospital),
                ("risk_level", "medium"),
                ("race_ethnicity", "white"),
                ("referred_on", &on),
                ("accepted_on", &on),
                ("outcome", OUTCOME),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(location(&r), one);
    let detail = app.get(&one, Some(w)).await;
    assert!(detail.body.contains(&format!(
        "name=\"accepted_on\" type=\"date\" value=\"{on}\""
    )));
    // Partners and viewers: measures only.
    for who in [&s.partner, &s.viewer] {
        let r = app.get(&format!("{I}/referrals"), Some(who)).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("id=\"groups\""), "{}", r.body);
        assert!(r.body.contains("suppressed (fewer than 10)"));
        for hidden in ["Prenatal check", OUTCOME, "Quixotefeather", "Zebulon"] {
            assert!(!r.body.contains(hidden), "{hidden}");
        }
        assert!(!r.body.contains("name=\"person_id\""));
        for p in [
            one.clone(),
            format!("{I}/cases/{}/triage", s.list),
            format!("{I}/cases/{}/conferencing", s.list),
        ] {
            let r = app.get(&p, Some(who)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{p}");
            assert!(!r.body.contains("Quixotefeather"), "{p}");
            assert!(!r.body.contains(OUTCOME), "{p}");
        }
        let r = app
            .post_form(
                &format!("{I}/referrals"),
                who,
                &[("referral_type", "x"), ("referred_on", &on)],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let lists = app.get(&format!("{I}/cases"), Some(&s.viewer)).await;
    assert!(lists.body.contains(&format!("href=\"{I}/referrals\"")));
}
both_engines!(referrals_for_workers_measures_for_everyone);

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

async fn conferencing_pages_render_in_three_languages(e: Engine) {
    let s = setup(e).await;
    let store = s.app.store();
    store
        .set_triage_questions(
            s.initiative,
            s.list,
            None,
            &[domain::cases::triage::Question {
                text: "Sleeps outside".into(),
                weight: 2,
            }],
        )
        .await
        .unwrap();
    let r = domain::cases::referrals::Referral {
        referral_type: "Early intervention".into(),
        from_organization_id: None,
        to_organization_id: None,
        person_id: None,
        risk_level: domain::cases::referrals::RiskLevel::Low,
        race_ethnicity: None,
        neighbourhood: Some("North".into()),
        referred_on: today(),
        accepted_on: None,
        first_service_on: None,
        outcome: None,
        closed_on: None,
        closed_reason: None,
    };
    let referral = store.create_referral(s.initiative, None, &r).await.unwrap();
    let cookie = s.coordinator.cookie.clone().unwrap();
    let pages = [
        format!("{I}/cases/{}/triage", s.list),
        format!("{I}/cases/{}/conferencing", s.list),
        format!("{I}/case-people/{}", s.person),
        format!("{I}/referrals"),
        format!("{I}/referrals?by=neighbourhood&reference=North"),
        format!("{I}/referrals/{}", referral.id),
    ];
    for (lang, dir) in [("en", "ltr"), ("es", "ltr"), ("he", "rtl")] {
        for p in &pages {
            let (status, body) = get_lang(&s.app, p, lang, &cookie).await;
            assert_eq!(status, StatusCode::OK, "{lang} {p}");
            assert!(body.contains(&format!("lang=\"{lang}\"")), "{lang} {p}");
            assert!(body.contains(&format!("dir=\"{dir}\"")), "{lang} {p}");
            assert_eq!(body.matches("<h1").count(), 1, "{lang} {p}");
            for key in ["triage-", "conf-", "referrals-", "cases-"] {
                assert!(
                    !body.contains(&format!(">{key}")),
                    "{lang} {p}: untranslated {key}"
                );
            }
        }
    }
}
both_engines!(conferencing_pages_render_in_three_languages);
