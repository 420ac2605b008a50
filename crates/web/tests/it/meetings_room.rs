//! The meeting room on both engines: attendance of current members only
//! (refused by field otherwise), quorum met and not met, stipends per person
//! and month with figures worked out by hand (API and page), minutes stored
//! safe with every version kept, approval only at a later meeting of the same
//! body and read-only after, agenda moves, and who may do and see what.

use axum::http::Method;
use chrono::NaiveDate;
use domain::access::Role;
use domain::meetings::records::{AgendaItem, Meeting, MeetingStatus};
use domain::partnership::{Body, BodyKind, Membership, Person, Position};
use serde_json::{Value, json};
use testkit::{Engine, TestApp, both_engines};

const SLUG: &str = "kiryat-malachi";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

struct World {
    i: i64,
    body: i64,
    other_body: i64,
    /// Current members: Ada (50.00/h), Ben (33.33/h), Cy (unpaid).
    ada: i64,
    ben: i64,
    cy: i64,
    /// A member whose seat ended before the meetings.
    dee: i64,
    /// 2025-03-06 18:00–19:30, 2025-03-20 18:00–18:45, 2025-04-03 18:00–18:50 (Jerusalem).
    m1: i64,
    m2: i64,
    m3: i64,
    /// A meeting of another body, later than all three.
    mx: i64,
}

async fn person(app: &TestApp, i: i64, name: &str) -> i64 {
    let p = Person {
        name: name.into(),
        email: None,
        phone: None,
        user_id: None,
        public_name_consent_on: None,
    };
    app.store().create(None, Some(i), &p).await.unwrap().id
}

async fn seat(app: &TestApp, i: i64, body: i64, person: i64, end: Option<&str>, rate: Option<i64>) {
    let m = Membership {
        body_id: body,
        person_id: person,
        organization_id: None,
        position: Position::Member,
        start_date: day("2024-01-01"),
        end_date: end.map(day),
        stipend_hourly_cents: rate,
        stipend_currency: rate.map(|_| "ILS".into()),
    };
    app.store().create(None, Some(i), &m).await.unwrap();
}

async fn body(app: &TestApp, i: i64, name: &str) -> i64 {
    let b = Body {
        name: name.into(),
        kind: BodyKind::parse("steering_committee").unwrap_or(BodyKind::ALL[0]),
        purpose: "Steer.".into(),
        cadence_min_days: 14,
        cadence_max_days: 21,
        public: false,
        quorum: None,
        agenda_notice_days: None,
        translations: Default::default(),
    };
    app.store().create(None, Some(i), &b).await.unwrap().id
}

async fn meeting(app: &TestApp, i: i64, body: i64, start: &str, end: &str) -> i64 {
    let m = Meeting {
        body_id: body,
        title: "Room test".into(),
        starts_at: start.into(),
        ends_at: end.into(),
        time_zone: "Asia/Jerusalem".into(),
        place: "Community centre".into(),
        online_url: None,
        status: MeetingStatus::Planned,
    };
    app.store().create(None, Some(i), &m).await.unwrap().id
}

async fn world(app: &TestApp) -> World {
    let i = app.store().initiative_by_slug(SLUG).await.unwrap().id;
    let b = body(app, i, "Room Committee").await;
    let other_body = body(app, i, "Other Committee").await;
    let ada = person(app, i, "Ada Room").await;
    let ben = person(app, i, "Ben Room").await;
    let cy = person(app, i, "Cy Room").await;
    let dee = person(app, i, "Dee Room").await;
    seat(app, i, b, ada, None, Some(5000)).await;
    seat(app, i, b, ben, None, Some(3333)).await;
    seat(app, i, b, cy, None, None).await;
    seat(app, i, b, dee, Some("2024-12-31"), Some(9000)).await;
    World {
        i,
        body: b,
        other_body,
        ada,
        ben,
        cy,
        dee,
        m1: meeting(app, i, b, "2025-03-06T18:00", "2025-03-06T19:30").await,
        m2: meeting(app, i, b, "2025-03-20T18:00", "2025-03-20T18:45").await,
        m3: meeting(app, i, b, "2025-04-03T18:00", "2025-04-03T18:50").await,
        mx: meeting(app, i, other_body, "2025-05-01T18:00", "2025-05-01T19:00").await,
    }
}

fn api(path: &str) -> String {
    format!("/api/v1/initiatives/{SLUG}/{path}")
}

/// 422 naming `field`, its message containing `words`.
fn refused(r: &testkit::Res, field: &str, words: &str) {
    assert_eq!(r.status, 422, "{}", r.body);
    let m = r.json()["fields"][field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field}: {}", r.body))
        .to_string();
    assert!(m.contains(words), "{field}: {m}");
}

fn present(ids: &[(i64, &str)]) -> Value {
    json!({"attendance": ids.iter().map(|(p, s)| json!({"person_id": p, "status": s})).collect::<Vec<_>>()})
}

async fn meetings_room_attendance_and_quorum(e: Engine) {
    let app = TestApp::new(e).await;
    let w = world(&app).await;
    let coord = app
        .user(
            "room.coord@example.org",
            false,
            &[(SLUG, Role::Coordinator)],
        )
        .await;
    let path = api(&format!("meetings/{}/attendance", w.m1));

    // A person whose seat ended is not a current member: refused by field,
    // nothing written.
    let r = app
        .api(
            Method::PUT,
            &path,
            Some(&coord),
            Some(present(&[(w.ada, "present"), (w.dee, "present")])),
        )
        .await;
    refused(&r, "attendance[1].person_id", "not a current member");
    let room = app
        .api(
            Method::GET,
            &api(&format!("meetings/{}/room", w.m1)),
            Some(&coord),
            None,
        )
        .await
        .json();
    assert!(
        room["attendance"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"].is_null()),
        "{room}"
    );
    let names: Vec<&str> = room["attendance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["person"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ada Room", "Ben Room", "Cy Room"]);
    // A status that is not one, an unknown field.
    let r = app
        .api(
            Method::PUT,
            &path,
            Some(&coord),
            Some(present(&[(w.ada, "late")])),
        )
        .await;
    refused(&r, "attendance[0].status", "present, excused or absent");
    let r = app
        .api(
            Method::PUT,
            &path,
            Some(&coord),
            Some(json!({"attendance": [], "version": 1})),
        )
        .await;
    refused(&r, "version", "not taken");

    // One of three present, a guest too: the majority (2) is not met.
    let mut body = present(&[(w.ada, "present"), (w.ben, "excused"), (w.cy, "absent")]);
    body["guests"] = json!([{"name": "Gil Guest", "affiliation": "Municipality"}]);
    let r = app.api(Method::PUT, &path, Some(&coord), Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(
        j["quorum"],
        json!({"members": 3, "present": 1, "required": 2, "met": false})
    );
    assert_eq!(j["guests"][0]["name"], "Gil Guest");
    let q = app.store().meeting_quorum(w.i, w.m1).await.unwrap();
    assert!(!q.met);

    // Two of three: met. The guests stay when none are given.
    let r = app
        .api(
            Method::PUT,
            &path,
            Some(&coord),
            Some(present(&[
                (w.ada, "present"),
                (w.ben, "present"),
                (w.cy, "absent"),
            ])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["quorum"]["met"], true);
    assert_eq!(r.json()["guests"].as_array().unwrap().len(), 1);
    let q = app.store().meeting_quorum(w.i, w.m1).await.unwrap();
    assert_eq!((q.members, q.present, q.required, q.met), (3, 2, 2, true));

    // The page's one form records everyone at once.
    let form = format!("/i/{SLUG}/meetings/{}/attendance", w.m1);
    let (a, b, c) = (
        format!("att_{}", w.ada),
        format!("att_{}", w.ben),
        format!("att_{}", w.cy),
    );
    let r = app
        .post_form(
            &form,
            &coord,
            &[
                ("attendance_form", "1"),
                (&a, "present"),
                (&b, "absent"),
                (&c, "present"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let q = app.store().meeting_quorum(w.i, w.m1).await.unwrap();
    assert_eq!((q.present, q.met), (2, true));
    let d = format!("att_{}", w.dee);
    let r = app
        .post_form(
            &form,
            &coord,
            &[("attendance_form", "1"), (&a, "present"), (&d, "present")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("not a current member"), "{}", r.body);
    let r = app
        .post_form(
            &form,
            &coord,
            &[
                ("attendance_form", "1"),
                (&a, "present"),
                (&b, "present"),
                (&c, "absent"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // The page says so.
    let page = app
        .get(&format!("/i/{SLUG}/meetings/{}/room", w.m1), Some(&coord))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Quorum met: 2 of 3 present, 2 needed"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Gil Guest"));
    let _ = (w.body, w.other_body);
}

async fn meetings_room_stipends_per_month(e: Engine) {
    let app = TestApp::new(e).await;
    let w = world(&app).await;
    let coord = app
        .user(
            "room.coord@example.org",
            false,
            &[(SLUG, Role::Coordinator)],
        )
        .await;
    let partner = app
        .user("room.partner@example.org", false, &[(SLUG, Role::Partner)])
        .await;
    let put = |m: i64, b: Value| {
        let app = &app;
        let coord = &coord;
        async move {
            let r = app
                .api(
                    Method::PUT,
                    &api(&format!("meetings/{m}/attendance")),
                    Some(coord),
                    Some(b),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
    };
    put(
        w.m1,
        present(&[(w.ada, "present"), (w.ben, "present"), (w.cy, "present")]),
    )
    .await;
    put(w.m2, present(&[(w.ada, "present"), (w.ben, "absent")])).await;
    put(w.m3, present(&[(w.ada, "present"), (w.ben, "excused")])).await;
    // Nothing accrues before the meetings are held.
    let r = app
        .api(Method::GET, &api("stipends"), Some(&coord), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["items"], json!([]));
    for m in [w.m1, w.m2, w.m3] {
        let r = app
            .api(
                Method::POST,
                &api(&format!("meetings/{m}/held")),
                Some(&coord),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["status"], "held");
    }
    // By hand:
    // Ada, March: (90 + 45) min × 5,000/h / 60 = 11,250 -> 112.50
    // Ben, March: 90 min × 3,333/h / 60 = 4,999.5 -> 5,000 (half up) -> 50.00
    // Ada, April: 50 min × 5,000/h / 60 = 4,166.67 -> 4,167 -> 41.67
    // Cy has no stipend; Dee's seat had ended.
    let r = app
        .api(Method::GET, &api("stipends?year=2025"), Some(&coord), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got: Vec<(String, i64, i64, i64, i64)> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["person"].as_str().unwrap().to_string(),
                x["month"].as_i64().unwrap(),
                x["meetings"].as_i64().unwrap(),
                x["minutes"].as_i64().unwrap(),
                x["amount_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("Ada Room".into(), 3, 2, 135, 11_250),
            ("Ben Room".into(), 3, 1, 90, 5_000),
            ("Ada Room".into(), 4, 1, 50, 4_167),
        ]
    );
    let r = app
        .api(Method::GET, &api("stipends?year=2024"), Some(&coord), None)
        .await;
    assert_eq!(r.json()["items"], json!([]));
    let r = app
        .api(Method::GET, &api("stipends?year=99999"), Some(&coord), None)
        .await;
    refused(&r, "year", "year must be");
    // The page shows the same figures.
    let page = app
        .get(&format!("/i/{SLUG}/stipends?year=2025"), Some(&coord))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    for s in ["112.50", "50.00", "41.67", "Ada Room", "Ben Room"] {
        assert!(page.body.contains(s), "{s} not on the page");
    }
    // A partner sees no stipends, on the page or through the API.
    let r = app
        .api(Method::GET, &api("stipends"), Some(&partner), None)
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let page = app
        .get(&format!("/i/{SLUG}/stipends"), Some(&partner))
        .await;
    assert_eq!(page.status, 403);
    let _ = (w.dee, w.mx);
}

async fn meetings_room_minutes_and_approval(e: Engine) {
    let app = TestApp::new(e).await;
    let w = world(&app).await;
    let coord = app
        .user(
            "room.coord@example.org",
            false,
            &[(SLUG, Role::Coordinator)],
        )
        .await;
    let viewer = app
        .user("room.viewer@example.org", false, &[(SLUG, Role::Viewer)])
        .await;
    let item = app
        .store()
        .add_agenda_item(
            None,
            w.i,
            w.m1,
            &AgendaItem {
                meeting_id: w.m1,
                position: 1,
                title: "Budget".into(),
                description: String::new(),
                presenter_person_id: Some(w.ada),
                minutes_allotted: Some(20),
                objective_id: None,
                indicator_id: None,
                activity_id: None,
            },
        )
        .await
        .unwrap()
        .id;
    let minutes = api(&format!("meetings/{}/minutes", w.m1));
    let r = app
        .api(
            Method::PUT,
            &minutes,
            Some(&coord),
            Some(json!({"agenda_item_id": item, "html": "<p>Agreed.</p><script>alert(1)</script><img src=x onerror=\"alert(2)\"><a href=\"javascript:alert(3)\">x</a>"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let html = r.json()["html"].as_str().unwrap().to_string();
    assert!(html.starts_with("<p>Agreed.</p>"), "{html}");
    for bad in ["script", "onerror", "javascript", "alert"] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert_eq!(r.json()["version"], 1);
    let r = app
        .api(
            Method::PUT,
            &minutes,
            Some(&coord),
            Some(json!({"agenda_item_id": item, "html": "<p>Agreed, with thanks.</p>"})),
        )
        .await;
    assert_eq!(r.json()["version"], 2, "{}", r.body);
    let r = app
        .api(
            Method::PUT,
            &minutes,
            Some(&coord),
            Some(json!({"agenda_item_id": null, "html": "<p>Opened at 18:05.</p>"})),
        )
        .await;
    assert_eq!(r.json()["version"], 1, "{}", r.body);
    // An item of another meeting is refused by field.
    let r = app
        .api(
            Method::PUT,
            &api(&format!("meetings/{}/minutes", w.m2)),
            Some(&coord),
            Some(json!({"agenda_item_id": item, "html": "x"})),
        )
        .await;
    refused(&r, "agenda_item_id", "not on this meeting's agenda");
    // Through the page too: saved safe, as a new version.
    let r = app
        .post_form(
            &format!("/i/{SLUG}/meetings/{}/minutes", w.m1),
            &coord,
            &[("html", "<p>Opened at 18:05.</p><script>steal()</script>")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let history = app.store().minutes_history(w.i, w.m1).await.unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(history[3].html, "<p>Opened at 18:05.</p>");
    assert_eq!(history[3].version, 2);
    assert_eq!(history[0].version, 1);
    assert!(!history[0].html.contains("script"));
    let page = app
        .get(
            &format!("/i/{SLUG}/meetings/{}/minutes/history", w.m1),
            Some(&coord),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Agreed, with thanks."));
    assert!(!page.body.contains("alert("));

    let approve = |at: i64| api(&format!("meetings/{at}/approve-minutes"));
    // Not at the same meeting, not at an earlier one, not by another body.
    let r = app
        .api(
            Method::POST,
            &approve(w.m1),
            Some(&coord),
            Some(json!({"minutes_of": w.m1})),
        )
        .await;
    refused(&r, "minutes_of", "later meeting");
    let r = app
        .api(
            Method::POST,
            &approve(w.m2),
            Some(&coord),
            Some(json!({"minutes_of": w.m3})),
        )
        .await;
    refused(&r, "minutes_of", "later meeting");
    let r = app
        .api(
            Method::POST,
            &approve(w.mx),
            Some(&coord),
            Some(json!({"minutes_of": w.m1})),
        )
        .await;
    refused(&r, "minutes_of", "same body");
    // Minutes that do not exist yet cannot be approved.
    let r = app
        .api(
            Method::POST,
            &approve(w.m3),
            Some(&coord),
            Some(json!({"minutes_of": w.m2})),
        )
        .await;
    refused(&r, "minutes_of", "no minutes");
    // Approved at the next meeting.
    let r = app
        .api(
            Method::POST,
            &approve(w.m2),
            Some(&coord),
            Some(json!({"minutes_of": w.m1})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["approved_at_meeting_id"], w.m2);
    let r = app
        .api(
            Method::POST,
            &approve(w.m3),
            Some(&coord),
            Some(json!({"minutes_of": w.m1})),
        )
        .await;
    refused(&r, "minutes_of", "already approved");
    // Read-only from now on, for the items and the meeting alike.
    let r = app
        .api(
            Method::PUT,
            &minutes,
            Some(&coord),
            Some(json!({"agenda_item_id": item, "html": "<p>Changed.</p>"})),
        )
        .await;
    refused(&r, "html", "approved");
    let r = app
        .api(
            Method::PUT,
            &minutes,
            Some(&coord),
            Some(json!({"html": "<p>Changed.</p>"})),
        )
        .await;
    refused(&r, "html", "approved");
    assert_eq!(
        app.store().minutes_history(w.i, w.m1).await.unwrap().len(),
        4
    );
    let room = app
        .api(
            Method::GET,
            &api(&format!("meetings/{}/room", w.m1)),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(room.status, 200);
    assert_eq!(room.json()["approval"]["approved_at_meeting_id"], w.m2);
    assert_eq!(room.json()["agenda"][0]["presenter"], "Ada Room");
    assert_eq!(room.json()["agenda"][0]["minutes"]["version"], 2);

    // A viewer reads but writes nothing.
    for (m, p, b) in [
        (Method::PUT, minutes.clone(), json!({"html": "x"})),
        (
            Method::PUT,
            api(&format!("meetings/{}/attendance", w.m3)),
            present(&[(w.ada, "present")]),
        ),
        (Method::POST, approve(w.m3), json!({"minutes_of": w.m2})),
        (
            Method::POST,
            api(&format!("meetings/{}/held", w.m3)),
            json!({}),
        ),
        (
            Method::POST,
            api(&format!("agenda-items/{item}/move")),
            json!({"direction": "up"}),
        ),
    ] {
        let r = app.api(m.clone(), &p, Some(&viewer), Some(b)).await;
        assert_eq!(r.status, 403, "{m} {p}: {}", r.body);
    }
    let page = app
        .post_form(&format!("/i/{SLUG}/meetings/{}/held", w.m3), &viewer, &[])
        .await;
    assert_eq!(page.status, 403);
    let m3 = app.store().get::<Meeting>(Some(w.i), w.m3).await.unwrap();
    assert_eq!(m3.data.status, MeetingStatus::Planned);
}

async fn meetings_room_agenda_moves(e: Engine) {
    let app = TestApp::new(e).await;
    let w = world(&app).await;
    let coord = app
        .user(
            "room.coord@example.org",
            false,
            &[(SLUG, Role::Coordinator)],
        )
        .await;
    // Items added through the page land at the end.
    for t in ["First", "Second", "Third"] {
        let r = app
            .post_form(
                &format!("/i/{SLUG}/meetings/{}/agenda", w.m1),
                &coord,
                &[
                    ("title", t),
                    ("minutes_allotted", "10"),
                    ("presenter_person_id", &w.ben.to_string()),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let r = app
        .post_form(
            &format!("/i/{SLUG}/meetings/{}/agenda", w.m1),
            &coord,
            &[("title", ""), ("minutes_allotted", "abc")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("value=\"abc\""), "the typed value is kept");
    let room = || async {
        app.api(
            Method::GET,
            &api(&format!("meetings/{}/room", w.m1)),
            Some(&coord),
            None,
        )
        .await
        .json()
    };
    let order = |j: &Value| -> Vec<(String, i64)> {
        j["agenda"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["title"].as_str().unwrap().to_string(),
                    i["position"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let j = room().await;
    let third = j["agenda"][2]["id"].as_i64().unwrap();
    let first = j["agenda"][0]["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::POST,
            &api(&format!("agenda-items/{third}/move")),
            Some(&coord),
            Some(json!({"direction": "up"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        order(&room().await),
        vec![
            ("First".into(), 1),
            ("Third".into(), 2),
            ("Second".into(), 3)
        ]
    );
    // The first cannot go higher; nothing changes.
    let r = app
        .api(
            Method::POST,
            &api(&format!("agenda-items/{first}/move")),
            Some(&coord),
            Some(json!({"direction": "up"})),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = app
        .api(
            Method::POST,
            &api(&format!("agenda-items/{first}/move")),
            Some(&coord),
            Some(json!({"direction": "sideways"})),
        )
        .await;
    refused(&r, "direction", "up or down");
    // Through the page.
    let r = app
        .post_form(
            &format!("/i/{SLUG}/agenda-items/{first}/move"),
            &coord,
            &[("direction", "down")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        order(&room().await),
        vec![
            ("Third".into(), 1),
            ("First".into(), 2),
            ("Second".into(), 3)
        ]
    );
    let _ = (w.ada, w.cy);
}

both_engines!(
    meetings_room_attendance_and_quorum,
    meetings_room_stipends_per_month,
    meetings_room_minutes_and_approval,
    meetings_room_agenda_moves,
);
