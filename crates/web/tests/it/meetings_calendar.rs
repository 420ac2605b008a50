//! The calendar through the API and the feeds, on both engines: scheduling a
//! series creates its meetings; skip, move and end early; bad input named by
//! field; the body's feed at its secret address answers text/calendar, the
//! same text as the export, a wrong or regenerated-away token is not found,
//! and SEQUENCE goes up when a meeting is moved.

use axum::http::{Method, StatusCode};
use domain::access::Role;
use domain::partnership::Body;
use serde_json::json;
use store::records::ListOptions;
use testkit::{Engine, TestApp, both_engines};

const SLUG: &str = "kiryat-malachi";

async fn meetings_calendar_series_feed_and_exceptions(e: Engine) {
    let app = TestApp::new(e).await;
    let coord = app
        .user("cal.coord@example.org", false, &[(SLUG, Role::Coordinator)])
        .await;
    let viewer = app
        .user("cal.viewer@example.org", false, &[(SLUG, Role::Viewer)])
        .await;
    let store = app.store();
    let i = store.initiative_by_slug(SLUG).await.unwrap();
    let body = store
        .list::<Body>(Some(i.id), ListOptions::all())
        .await
        .unwrap()[0]
        .id;
    let base = format!("/api/v1/initiatives/{SLUG}");

    // Bad input is named by field, and unknown fields are refused.
    let bad = app
        .api(
            Method::POST,
            &format!("{base}/meeting-series"),
            Some(&coord),
            Some(
                json!({"body_id": body, "title": "Circle", "first_start": "2025-03-06T18:00",
                "duration_minutes": 90, "time_zone": "Mars/Olympus", "interval_weeks": 2,
                "until": "2025-11-13", "colour": "red"}),
            ),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("colour"), "{}", bad.body);
    let bad = app
        .api(
            Method::POST,
            &format!("{base}/meeting-series"),
            Some(&coord),
            Some(
                json!({"body_id": body, "title": "Circle", "first_start": "2025-03-06T18:00",
                "duration_minutes": 90, "time_zone": "Mars/Olympus", "interval_weeks": 2,
                "until": "2025-11-13"}),
            ),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("time_zone"), "{}", bad.body);

    // A viewer may not schedule.
    let series = json!({"body_id": body, "title": "Circle", "first_start": "2025-03-06T18:00",
        "duration_minutes": 90, "time_zone": "Asia/Jerusalem", "interval_weeks": 2,
        "until": "2025-11-13", "place": "Hall B"});
    let r = app
        .api(
            Method::POST,
            &format!("{base}/meeting-series"),
            Some(&viewer),
            Some(series.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .api(
            Method::POST,
            &format!("{base}/meeting-series"),
            Some(&coord),
            Some(series),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    let sid = v["id"].as_i64().unwrap();
    let ids: Vec<i64> = v["meeting_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 19);
    let got = app
        .api(
            Method::GET,
            &format!("{base}/meeting-series/{sid}"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json()["meeting_ids"].as_array().unwrap().len(), 19);

    // The body's feed at its secret address.
    let token = store.body_feed_token(None, i.id, body).await.unwrap();
    let url = format!("/feeds/bodies/{token}.ics");
    let f1 = app.get(&url, None).await;
    assert_eq!(f1.status, StatusCode::OK);
    assert_eq!(
        f1.headers.get("content-type").unwrap(),
        "text/calendar; charset=utf-8"
    );
    assert!(
        f1.body
            .contains(&format!("UID:series-{sid}@{SLUG}.backbone\r\n"))
    );
    let export = interop::ical::write(&store.body_feed(i.id, body).await.unwrap());
    assert_eq!(f1.body, export, "the address serves what the export writes");
    let wrong = app
        .get(
            "/feeds/bodies/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.ics",
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    let wrong = app.get(&format!("/feeds/users/{token}.ics"), None).await;
    assert_eq!(
        wrong.status,
        StatusCode::NOT_FOUND,
        "a body's token opens no user feed"
    );

    // Skip one, move another: EXDATE, and an override whose SEQUENCE went up.
    let r = app
        .api(
            Method::POST,
            &format!("{base}/meetings/{}/skip", ids[2]),
            Some(&coord),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "cancelled");
    let r = app
        .api(
            Method::POST,
            &format!("{base}/meetings/{}/move", ids[5]),
            Some(&coord),
            Some(json!({"starts_at": "2025-05-15T19:00", "ends_at": "2025-05-15T18:00"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ends_at"));
    let r = app
        .api(
            Method::POST,
            &format!("{base}/meetings/{}/move", ids[5]),
            Some(&coord),
            Some(json!({"starts_at": "2025-05-15T19:00", "ends_at": "2025-05-15T20:30", "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api(
            Method::POST,
            &format!("{base}/meetings/{}/move", ids[5]),
            Some(&coord),
            Some(json!({"starts_at": "2025-05-15T19:30", "ends_at": "2025-05-15T21:00", "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a stale version");
    let f2 = app.get(&url, None).await;
    assert!(
        f2.body
            .contains("EXDATE;TZID=Asia/Jerusalem:20250403T180000\r\n"),
        "{}",
        f2.body
    );
    assert!(
        f2.body
            .contains("RECURRENCE-ID;TZID=Asia/Jerusalem:20250515T180000\r\nDTSTAMP:")
    );
    let over = f2
        .body
        .split("RECURRENCE-ID;TZID=Asia/Jerusalem:20250515T180000")
        .nth(1)
        .unwrap();
    assert!(
        over.contains("SEQUENCE:1\r\n"),
        "the moved meeting's SEQUENCE went up"
    );
    assert!(over.contains("DTSTART;TZID=Asia/Jerusalem:20250515T190000\r\n"));

    // The occurrences in the API, as the export lists them.
    let occ = app
        .api(
            Method::GET,
            &format!("{base}/bodies/{body}/occurrences"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(occ.status, StatusCode::OK);
    let items = occ.json()["items"].as_array().unwrap().clone();
    let moved = items.iter().find(|o| o["id"] == ids[5]).unwrap();
    assert_eq!(moved["start"], "2025-05-15T19:00:00+03:00");
    assert_eq!(moved["original_start"], "2025-05-15T18:00:00+03:00");

    // End early: the later planned meetings are cancelled, the RRULE ends.
    let r = app
        .api(
            Method::POST,
            &format!("{base}/meeting-series/{sid}/end"),
            Some(&coord),
            Some(json!({"until": "2025-12-31"})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "later than the series"
    );
    let r = app
        .api(
            Method::POST,
            &format!("{base}/meeting-series/{sid}/end"),
            Some(&coord),
            Some(json!({"until": "2025-09-30"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json()["cancelled_meeting_ids"].as_array().unwrap().len(),
        4
    );
    let f3 = app.get(&url, None).await;
    assert!(f3.body.contains("UNTIL=20250930T205959Z"), "{}", f3.body);
    assert!(
        f3.body
            .contains("SEQUENCE:1\r\nDTSTART;TZID=Asia/Jerusalem:20250306T180000")
    );

    // A member's own feed: the meetings of the bodies where their person sits.
    let member = app
        .user("cal.member@example.org", false, &[(SLUG, Role::Viewer)])
        .await;
    let person = store
        .create(
            None,
            Some(i.id),
            &domain::partnership::Person {
                name: "Calendar Member".into(),
                email: None,
                phone: None,
                user_id: Some(member.user_id),
                public_name_consent_on: None,
            },
        )
        .await
        .unwrap();
    store
        .create(
            None,
            Some(i.id),
            &domain::partnership::Membership {
                body_id: body,
                person_id: person.id,
                organization_id: None,
                position: domain::partnership::Position::Member,
                start_date: "2020-01-01".parse().unwrap(),
                end_date: None,
                stipend_hourly_cents: None,
                stipend_currency: None,
            },
        )
        .await
        .unwrap();
    let mine = store.user_feed_token(member.user_id).await.unwrap();
    let f = app.get(&format!("/feeds/users/{mine}.ics"), None).await;
    assert_eq!(f.status, StatusCode::OK);
    assert!(
        f.body
            .contains(&format!("UID:series-{sid}@{SLUG}.backbone\r\n"))
    );
    assert_eq!(
        app.get(&format!("/feeds/bodies/{mine}.ics"), None)
            .await
            .status,
        StatusCode::NOT_FOUND,
        "a user's token opens no body feed"
    );
    let page = app.get(&format!("/i/{SLUG}/calendar"), Some(&member)).await;
    assert!(page.body.contains(&format!("/feeds/users/{mine}.ics")));
    // Integers must be JSON integers.
    let r = app
        .api(
            Method::POST,
            &format!("{base}/meetings/{}/skip", ids[3]),
            Some(&coord),
            Some(json!({"version": "1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Regenerating the token: the old address is gone.
    let new = store
        .regenerate_body_feed_token(None, i.id, body)
        .await
        .unwrap();
    assert_ne!(new, token);
    assert_eq!(app.get(&url, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/feeds/bodies/{new}.ics"), None)
            .await
            .status,
        StatusCode::OK
    );
}

async fn meetings_calendar_page_schedules_skips_and_moves(e: Engine) {
    let app = TestApp::new(e).await;
    let coord = app
        .user(
            "calp.coord@example.org",
            false,
            &[(SLUG, Role::Coordinator)],
        )
        .await;
    let viewer = app
        .user("calp.viewer@example.org", false, &[(SLUG, Role::Viewer)])
        .await;
    let store = app.store();
    let i = store.initiative_by_slug(SLUG).await.unwrap();
    let body = store
        .list::<Body>(Some(i.id), ListOptions::all())
        .await
        .unwrap()[0]
        .id;
    let page = format!("/i/{SLUG}/calendar");
    let r = app.get(&page, Some(&coord)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body
            .contains("action=\"/i/kiryat-malachi/calendar/series\"")
    );
    assert!(
        r.body.contains("/feeds/bodies/"),
        "coordinators see the bodies' feed addresses"
    );
    assert!(r.body.contains("aria-current"));
    let r = app.get(&page, Some(&viewer)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.body.contains("/calendar/series\""),
        "viewers do not schedule"
    );
    assert!(!r.body.contains("/feeds/bodies/"));
    assert!(
        r.body.contains("not linked to a person"),
        "a user without a person is told why"
    );

    // Bad input: the typed values stay, the message is beside the field.
    let today = store::now().get().date_naive();
    let first = format!("{}T18:00", today + chrono::Duration::days(3));
    let until = (today + chrono::Duration::days(60)).to_string();
    let body_s = body.to_string();
    let mut fields = vec![
        ("body_id", body_s.as_str()),
        ("title", "Steering, fortnightly"),
        ("first_start", first.as_str()),
        ("duration_minutes", "90"),
        ("time_zone", "Nowhere/Atlantis"),
        ("interval_weeks", "2"),
        ("until", until.as_str()),
        ("place", "Hall B"),
    ];
    let r = app
        .post_form(&format!("/i/{SLUG}/calendar/series"), &coord, &fields)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"e-time_zone\""));
    assert!(r.body.contains("value=\"Steering, fortnightly\""));
    assert!(r.body.contains("value=\"Nowhere/Atlantis\""));
    fields[4] = ("time_zone", "Asia/Jerusalem");
    let r = app
        .post_form(&format!("/i/{SLUG}/calendar/series"), &coord, &fields)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.get(&format!("{page}?body={body}"), Some(&coord)).await;
    assert!(r.body.contains("Steering, fortnightly"));
    let series = store
        .list::<domain::meetings::records::MeetingSeries>(Some(i.id), ListOptions::all())
        .await
        .unwrap();
    let sid = series
        .iter()
        .find(|s| s.data.title == "Steering, fortnightly")
        .unwrap()
        .id;
    let ids = store.series_meeting_ids(i.id, sid).await.unwrap();
    assert!(
        r.body
            .contains(&format!("/i/{SLUG}/meetings/{}/room", ids[0]))
    );

    // Skip one; move another, first with an end before its start.
    let r = app
        .post_form(
            &format!("/i/{SLUG}/meetings/{}/skip", ids[1]),
            &coord,
            &[("_version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let m = store
        .get::<domain::meetings::records::Meeting>(Some(i.id), ids[1])
        .await
        .unwrap();
    assert_eq!(m.data.status.as_str(), "cancelled");
    let r = app
        .get(&format!("/i/{SLUG}/meetings/{}/move", ids[2]), Some(&coord))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post_form(
            &format!("/i/{SLUG}/meetings/{}/move", ids[2]),
            &coord,
            &[
                ("_version", "1"),
                ("starts_at", "2030-01-01T18:00"),
                ("ends_at", "2030-01-01T17:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-ends_at\""));
    assert!(r.body.contains("value=\"2030-01-01T17:00\""));
    let r = app
        .post_form(
            &format!("/i/{SLUG}/meetings/{}/move", ids[2]),
            &coord,
            &[
                ("_version", "1"),
                ("starts_at", "2030-01-01T18:00"),
                ("ends_at", "2030-01-01T19:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let o = store
        .series_of_meeting(i.id, ids[2])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.0, sid, "a moved meeting keeps its place in its series");
}

both_engines!(
    meetings_calendar_series_feed_and_exceptions,
    meetings_calendar_page_schedules_skips_and_moves
);
