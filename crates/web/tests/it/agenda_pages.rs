//! The agenda in the browser's pages and on the portal: bad input refused
//! with a clear message and nothing stored; a visitor's idea unseen until a
//! coordinator accepts it; ballots and the systems map through forms.

use axum::http::{Method, StatusCode};
use domain::access::Role;
use domain::agenda::{Idea, IdeaStatus, Round};
use serde_json::json;
use store::records::ListOptions;
use testkit::{Auth, Engine, TestApp, both_engines};

const API: &str = "/api/v1/initiatives/kiryat-malachi";

async fn coordinator(app: &TestApp) -> Auth {
    app.user(
        "coord@example.org",
        false,
        &[("kiryat-malachi", Role::Coordinator)],
    )
    .await
}

async fn ideas(app: &TestApp) -> Vec<domain::resource::Record<Idea>> {
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    app.store()
        .list::<Idea>(Some(i.id), ListOptions::all())
        .await
        .unwrap()
}

/// A visitor of the portal, holding the form token the page handed out.
async fn visitor(app: &TestApp) -> Auth {
    let page = app.get("/p/kiryat-malachi/ideas", None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = page
        .body
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a form token")
        .to_string();
    Auth {
        user_id: 0,
        cookie: Some(page.cookie()),
        csrf,
        token: None,
    }
}

async fn portal_ideas_wait_for_a_coordinator(e: Engine) {
    let app = TestApp::new(e).await;
    let before = ideas(&app).await.len();
    let v = visitor(&app).await;
    // A robot fills the field people never see: refused, nothing stored.
    let r = app
        .post_form(
            "/p/kiryat-malachi/ideas",
            &v,
            &[("title", "Cheap pills"), ("website", "http://spam.example")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("meant to stay empty"), "{}", r.body);
    // A megabyte of text: refused, nothing stored.
    let big = "x".repeat(1 << 20);
    let r = app
        .post_form(
            "/p/kiryat-malachi/ideas",
            &v,
            &[("title", "Long"), ("description", &big)],
        )
        .await;
    assert!(
        r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        r.status
    );
    assert_eq!(ideas(&app).await.len(), before, "nothing stored");
    // Without the form token: refused.
    let r = app
        .post_form_raw("/p/kiryat-malachi/ideas", &v, &[("title", "No token")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A real idea, in Spanish: stored, waiting, not on the portal.
    let r = app
        .post_form(
            "/p/kiryat-malachi/ideas",
            &v,
            &[
                ("title", "Bancos de semillas en la plaza"),
                ("description", "Con las familias"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let all = ideas(&app).await;
    let idea = all
        .iter()
        .find(|i| i.data.title == "Bancos de semillas en la plaza")
        .expect("stored");
    assert_eq!(idea.data.status, IdeaStatus::Submitted);
    assert_eq!(idea.data.submitted_by, None);
    for path in [
        "/p/kiryat-malachi/ideas",
        "/p/kiryat-malachi/systems-map",
        "/p/kiryat-malachi/",
    ] {
        let page = app.get(path, None).await;
        assert!(
            !page.body.contains("Bancos de semillas"),
            "{path} shows an unreviewed idea"
        );
    }
    // The coordinator sees it in the queue and accepts it.
    let c = coordinator(&app).await;
    let agenda = app.get("/i/kiryat-malachi/agenda", Some(&c)).await;
    assert_eq!(agenda.status, StatusCode::OK);
    assert!(agenda.body.contains("Bancos de semillas"), "in the queue");
    let p = app
        .user(
            "partner@example.org",
            false,
            &[("kiryat-malachi", Role::Partner)],
        )
        .await;
    let r = app
        .post_form(
            &format!("/i/kiryat-malachi/ideas/{}/moderate", idea.id),
            &p,
            &[("status", "accepted")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a partner does not moderate"
    );
    let r = app
        .post_form(
            &format!("/i/kiryat-malachi/ideas/{}/moderate", idea.id),
            &c,
            &[("status", "accepted")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let idea = ideas(&app)
        .await
        .into_iter()
        .find(|i| i.id == idea.id)
        .unwrap();
    assert_eq!(idea.data.status, IdeaStatus::Accepted);
    // An accepted idea can become an objective.
    let r = app
        .post_form(
            &format!("/i/kiryat-malachi/ideas/{}/objective", idea.id),
            &c,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().contains("/objectives/"));
}

async fn bad_agenda_input_is_refused_by_name(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    // An SDG code that does not exist.
    let r = app
        .api(
            Method::POST,
            &format!("{API}/objectives"),
            Some(&c),
            Some(json!({"title": "Every child ready for school", "description": "", "sphere_id": null, "status": "proposed", "status_on": "2026-01-10", "body_id": null, "idea_id": null, "sdg": "4.2, 4.99", "public": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("4.99"), "{}", r.body);
    assert!(r.json()["fields"]["sdg"].is_string(), "{}", r.body);
    // A goal alone is not a target.
    let r = app
        .post_form(
            "/i/kiryat-malachi/objectives",
            &c,
            &[
                ("title", "x"),
                ("status", "proposed"),
                ("status_on", "2026-01-10"),
                ("sdg", "4"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Codes are normalised and titles shown.
    let r = app
        .api(
            Method::POST,
            &format!("{API}/objectives"),
            Some(&c),
            Some(json!({"title": "Early years", "description": "", "sphere_id": null, "status": "agreed", "status_on": "2026-01-10", "body_id": null, "idea_id": null, "sdg": "4.2 ; 4.A, 4.2", "public": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["sdg"], "4.2,4.a");
    // One vision per initiative (the demo may hold one already).
    let vision =
        json!({"statement": "Every child in the city thrives", "agreed_on": null, "public": false});
    let first = app
        .api(
            Method::POST,
            &format!("{API}/visions"),
            Some(&c),
            Some(vision.clone()),
        )
        .await;
    let second = app
        .api(
            Method::POST,
            &format!("{API}/visions"),
            Some(&c),
            Some(vision),
        )
        .await;
    assert_eq!(
        second.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        second.body
    );
    assert!(
        second.body.contains("already has a vision"),
        "{} / {}",
        first.body,
        second.body
    );
    // A sphere cannot sit inside itself, even through another.
    let mk = |name: &str, parent: Option<i64>| json!({"name": name, "parent_id": parent, "description": ""});
    let a = app
        .api(
            Method::POST,
            &format!("{API}/spheres"),
            Some(&c),
            Some(mk("Education", None)),
        )
        .await
        .json();
    let b = app
        .api(
            Method::POST,
            &format!("{API}/spheres"),
            Some(&c),
            Some(mk("Early childhood", a["id"].as_i64())),
        )
        .await
        .json();
    let mut body = mk("Education", b["id"].as_i64());
    body["version"] = a["version"].clone();
    let r = app
        .api(
            Method::PUT,
            &format!("{API}/spheres/{}", a["id"]),
            Some(&c),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.json()["fields"]["parent_id"].is_string(), "{}", r.body);
}

/// A round through the pages: ideas chosen, ballots cast and replaced, a
/// vote beyond k or after the close refused, the map answered with a
/// contradiction explained and nothing stored.
async fn a_round_through_the_pages(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let mut ids = vec![];
    for t in [
        "Parents' circle",
        "Homework club",
        "Reading at three",
        "School readiness",
    ] {
        let r = app
            .api(
                Method::POST,
                &format!("{API}/ideas"),
                Some(&c),
                Some(json!({"title": t, "description": "", "status": "accepted", "source": "member", "submitted_by": null, "language": "en"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()["id"].as_i64().unwrap());
    }
    let today = store::now().get().date_naive();
    let r = app
        .api(
            Method::POST,
            &format!("{API}/rounds"),
            Some(&c),
            Some(json!({"title": "Spring round", "description": "", "picks": 2, "opens_on": (today - chrono::Days::new(1)).to_string(), "closes_on": (today + chrono::Days::new(7)).to_string(), "follows_round_id": null, "public": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let round = r.json()["id"].as_i64().unwrap();
    let idea_fields: Vec<(&str, String)> = ids.iter().map(|i| ("idea", i.to_string())).collect();
    let fields: Vec<(&str, &str)> = idea_fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app
        .post_form(
            &format!("/i/kiryat-malachi/rounds/{round}/ideas"),
            &c,
            &fields,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Votes.
    let p = app
        .user(
            "p1@example.org",
            false,
            &[("kiryat-malachi", Role::Partner)],
        )
        .await;
    let v = app
        .user("v1@example.org", false, &[("kiryat-malachi", Role::Viewer)])
        .await;
    let (a, b, cc) = (ids[0].to_string(), ids[1].to_string(), ids[2].to_string());
    let vote = |who: &'static str| format!("/i/kiryat-malachi/rounds/{round}/vote{who}");
    let r = app
        .post_form(&vote(""), &p, &[("idea", &a), ("idea", &b), ("idea", &cc)])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "beyond k");
    assert!(r.body.contains("at most 2"), "{}", r.body);
    assert_eq!(
        app.store().ballots(round).await.unwrap().ballots,
        0,
        "nothing stored"
    );
    let r = app.post_form(&vote(""), &v, &[("idea", &a)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a viewer does not vote");
    let r = app
        .post_form(&vote(""), &p, &[("idea", &a), ("idea", &b)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.post_form(&vote(""), &p, &[("idea", &cc)]).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "a second ballot replaces the first"
    );
    let b_ = app.store().ballots(round).await.unwrap();
    assert_eq!((b_.ballots, b_.picks.clone()), (1, vec![ids[2]]));
    let results = app
        .get(
            &format!("/i/kiryat-malachi/rounds/{round}/results"),
            Some(&v),
        )
        .await;
    assert_eq!(results.status, StatusCode::OK);
    assert!(results.body.contains("1 ballots"), "{}", results.body);
    // The map: a yes, then a no that contradicts what follows from it.
    let map = format!("/i/kiryat-malachi/rounds/{round}/map");
    let ans = |f: i64, t: i64, a: &'static str| (f.to_string(), t.to_string(), a);
    for (f, t, a) in [ans(ids[0], ids[1], "yes"), ans(ids[1], ids[2], "yes")] {
        let r = app
            .post_form(&map, &p, &[("from", &f), ("to", &t), ("answer", a)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let (f, t, _) = ans(ids[0], ids[2], "no");
    let r = app
        .post_form(&map, &p, &[("from", &f), ("to", &t), ("answer", "no")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("contradicts earlier answers"), "{}", r.body);
    assert!(
        r.body
            .contains("“Parents&#x27; circle” helps “Homework club”")
            || r.body
                .contains("“Parents&#39; circle” helps “Homework club”"),
        "names the answers that imply it: {}",
        r.body
    );
    assert_eq!(
        app.store().map_answers(round).await.unwrap().len(),
        2,
        "nothing stored"
    );
    // The viewer reads the map but may not answer.
    let page = app.get(&map, Some(&v)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg") && page.body.contains("<table"));
    let r = app
        .post_form(&map, &v, &[("from", &f), ("to", &t), ("answer", "no")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Answer every remaining question: the levels shown are the domain's.
    loop {
        let data = web::agenda::RoundData::load(
            app.store(),
            app.store()
                .initiative_by_slug("kiryat-malachi")
                .await
                .unwrap()
                .id,
            round,
        )
        .await
        .unwrap();
        let Some((from, to)) = data.progress().next else {
            break;
        };
        // The truth: 0 → 1 → 2, nothing else.
        let pos = |id: i64| ids.iter().position(|x| *x == id).unwrap();
        let yes = pos(from) < pos(to) && pos(to) <= 2;
        let r = app
            .post_form(
                &map,
                &p,
                &[
                    ("from", &from.to_string()),
                    ("to", &to.to_string()),
                    ("answer", if yes { "yes" } else { "no" }),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let data = web::agenda::RoundData::load(
        app.store(),
        app.store()
            .initiative_by_slug("kiryat-malachi")
            .await
            .unwrap()
            .id,
        round,
    )
    .await
    .unwrap();
    let nodes = data.export().nodes;
    let level = |id: i64| nodes.iter().find(|n| n.id == id).unwrap().level;
    assert_eq!(level(ids[2]), 1, "the outcome is on top");
    assert_eq!(level(ids[1]), 2);
    assert_eq!(level(ids[0]), 3, "the root driver is at the bottom");
    assert_eq!(
        level(ids[3]),
        1,
        "an idea that helps nothing and is helped by nothing"
    );
    // The round is public: the portal shows its map and results.
    let portal = app.get("/p/kiryat-malachi/systems-map", None).await;
    assert_eq!(portal.status, StatusCode::OK);
    let round_rec = app.store().get::<Round>(None, round).await.unwrap();
    assert!(portal.body.contains(&round_rec.data.title) || portal.body.contains("Homework club"));
}

both_engines!(
    portal_ideas_wait_for_a_coordinator,
    bad_agenda_input_is_refused_by_name,
    a_round_through_the_pages,
);
