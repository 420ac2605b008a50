//! By-name lists through the JSON API on both engines: a list created by a
//! coordinator, people added and their events recorded by a case worker, the
//! monthly report worked by hand, submission and the balance check, functional
//! zero, a misfit refused by field, erasure, strict bodies, partners and
//! viewers who see counts and never a name, and the demo's list with the
//! portal's suppressed figures.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use domain::access::Role;
use testkit::{Auth, Engine, TestApp, both_engines};

const RZ: &str = "riverside-zero";
const BASE: &str = "/api/v1/initiatives/riverside-zero";
const NAME: &str = "Qwertyname";

struct Setup {
    app: TestApp,
    coordinator: Auth,
    worker: Auth,
    partner: Auth,
    viewer: Auth,
}

async fn setup(e: Engine) -> Setup {
    let app = TestApp::new(e).await;
    let coordinator = app
        .user("c@example.org", false, &[(RZ, Role::Coordinator)])
        .await;
    let worker = app
        .user("w@example.org", false, &[(RZ, Role::CaseWorker)])
        .await;
    let partner = app
        .user("p@example.org", false, &[(RZ, Role::Partner)])
        .await;
    let viewer = app
        .user("v@example.org", false, &[(RZ, Role::Viewer)])
        .await;
    Setup {
        app,
        coordinator,
        worker,
        partner,
        viewer,
    }
}

impl Setup {
    async fn call(
        &self,
        m: Method,
        path: &str,
        who: &Auth,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let r = self
            .app
            .api(m, &format!("{BASE}{path}"), Some(who), body)
            .await;
        let v = serde_json::from_str(&r.body).unwrap_or(Value::Null);
        (r.status, v)
    }
}

async fn reports_events_and_access(e: Engine) {
    let s = setup(e).await;
    let (st, list) = s
        .call(
            Method::POST,
            "/cases",
            &s.coordinator,
            Some(json!({"name": "Test list", "pit_count": 5000})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{list}");
    let l = list["id"].as_i64().unwrap();
    // A case worker may not create a list; a partner may not add people.
    let (st, _) = s
        .call(
            Method::POST,
            "/cases",
            &s.worker,
            Some(json!({"name": "Mine"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // A name over 200 characters as sent is refused, even when trimming its
    // leading space would bring it under.
    let long = format!("\u{a0}{}", "*".repeat(200));
    let (st, body) = s
        .call(
            Method::POST,
            "/cases",
            &s.coordinator,
            Some(json!({"name": long})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("name"), "{body}");
    let (st, _) = s
        .call(
            Method::POST,
            &format!("/cases/{l}/people"),
            &s.partner,
            Some(json!({"first_name": "X"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // A: identified 10 Jan 2025, housed 1 Mar (50 days). B: a veteran,
    // identified 1 Feb, still active. C: identified and housed the same day.
    let add = |first: &str, day: &str, veteran: bool| {
        json!({"first_name": first, "last_name": "Test", "veteran": veteran, "identified_on": day,
               "race": ["black_af_american"], "date_of_birth": "1980-01-01"})
    };
    let (st, a) = s
        .call(
            Method::POST,
            &format!("/cases/{l}/people"),
            &s.worker,
            Some(add(NAME, "2025-01-10", false)),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    let a = a["id"].as_i64().unwrap();
    let (_, b) = s
        .call(
            Method::POST,
            &format!("/cases/{l}/people"),
            &s.worker,
            Some(add("Bea", "2025-02-01", true)),
        )
        .await;
    let b = b["id"].as_i64().unwrap();
    let (_, c) = s
        .call(
            Method::POST,
            &format!("/cases/{l}/people"),
            &s.worker,
            Some(add("Cy", "2025-02-14", false)),
        )
        .await;
    let c = c["id"].as_i64().unwrap();
    let event = |kind: &str, day: &str| json!({"kind": kind, "occurred_on": day});
    let (st, housed) = s
        .call(
            Method::POST,
            &format!("/case-people/{a}/events"),
            &s.worker,
            Some(event("housed", "2025-03-01")),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{housed}");
    let (st, _) = s
        .call(
            Method::POST,
            &format!("/case-people/{c}/events"),
            &s.worker,
            Some(event("housed", "2025-02-14")),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    // Identified while active: refused on `kind`, nothing written.
    let (st, err) = s
        .call(
            Method::POST,
            &format!("/case-people/{b}/events"),
            &s.worker,
            Some(event("identified", "2025-02-20")),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        err["fields"]["kind"]
            .as_str()
            .unwrap()
            .contains("already active"),
        "{err}"
    );
    // An unknown field and a wrong type are refused by name.
    let (st, err) = s
        .call(
            Method::POST,
            &format!("/case-people/{b}/events"),
            &s.worker,
            Some(json!({"kind": "contact", "occurred_on": "2025-02-20", "version": 0})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["fields"]["version"].is_string(), "{err}");
    let (st, _) = s
        .call(
            Method::POST,
            &format!("/case-people/{b}/events"),
            &s.worker,
            Some(json!({"kind": "contact", "occurred_on": "2025-02-20", "chronic": "yes"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    let (st, r) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/reports/monthly?from=2025-01&to=2025-03"),
            &s.viewer,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let m = r.as_array().unwrap();
    assert_eq!(m[0]["month"], "2025-01");
    assert_eq!(m[0]["actively_homeless"], 1);
    assert_eq!(m[0]["newly_identified"], 1);
    assert_eq!(m[0]["avg_days_identification_to_housing"], Value::Null);
    assert_eq!(m[1]["actively_homeless"], 2);
    assert_eq!(m[1]["newly_identified"], 2);
    assert_eq!(m[1]["housing_placements"], 1);
    assert_eq!(m[1]["avg_days_identification_to_housing"], json!(0.0));
    assert_eq!(m[2]["actively_homeless"], 1);
    assert_eq!(m[2]["housing_placements"], 1);
    assert_eq!(m[2]["avg_days_identification_to_housing"], json!(50.0));
    let (_, v) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/reports/monthly?from=2025-01&to=2025-03&population=veterans"),
            &s.viewer,
            None,
        )
        .await;
    assert_eq!(v[2]["actively_homeless"], 1);
    assert_eq!(v[0]["actively_homeless"], 0);
    // Bad query values are refused by name.
    let (st, err) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/reports/monthly?from=2025-13&to=2025-03"),
            &s.viewer,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["fields"]["from"].is_string(), "{err}");

    // Submit January and February; a backdated identification in January
    // recorded afterwards shows in February's balance check.
    for month in ["2025-01", "2025-02"] {
        let (st, r) = s
            .call(
                Method::POST,
                &format!("/cases/{l}/reports/submit"),
                &s.worker,
                Some(json!({"month": month})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
    }
    let (st, _) = s
        .call(
            Method::POST,
            &format!("/cases/{l}/reports/submit"),
            &s.worker,
            Some(json!({"month": "2025-02"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "submitted once");
    let (_, bal) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/reports/balance?month=2025-03"),
            &s.viewer,
            None,
        )
        .await;
    assert_eq!(bal["check"]["expected"], 1, "{bal}");
    assert_eq!(bal["check"]["gap"], 0);
    let (_, d) = s
        .call(
            Method::POST,
            &format!("/cases/{l}/people"),
            &s.worker,
            Some(add("Dee", "2025-01-20", false)),
        )
        .await;
    assert!(d["id"].is_i64());
    let (_, bal) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/reports/balance?month=2025-02"),
            &s.viewer,
            None,
        )
        .await;
    let check = &bal["check"];
    assert_eq!(check["submitted_previous_active"], 1, "{bal}");
    assert_eq!(check["computed_active"], 3);
    assert_eq!(check["expected"], 2);
    assert_eq!(check["gap"], 1);
    assert_eq!(check["backdated"].as_array().unwrap().len(), 1);
    assert!(
        !bal.to_string().contains("Dee"),
        "no names in the balance check"
    );

    // Functional zero: 2 active veterans at most → achieved (< 3).
    let (st, z) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/functional-zero?from=2025-03&to=2025-03"),
            &s.viewer,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{z}");
    assert_eq!(z[0]["veterans"]["achieved"], true);
    assert_eq!(z[0]["chronic"]["threshold"], json!(5.0));

    // Names: case workers and coordinators only; every read audited.
    for who in [&s.partner, &s.viewer] {
        for path in [format!("/cases/{l}/people"), format!("/case-people/{a}")] {
            let (st, body) = s.call(Method::GET, &path, who, None).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{path}");
            assert!(!body.to_string().contains(NAME));
        }
        let (_, r) = s
            .call(
                Method::GET,
                &format!("/cases/{l}/reports/monthly?from=2025-01&to=2025-03"),
                who,
                None,
            )
            .await;
        assert!(!r.to_string().contains(NAME));
    }
    let (st, p) = s
        .call(Method::GET, &format!("/case-people/{a}"), &s.worker, None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(p["first_name"], NAME);
    assert_eq!(p["events"].as_array().unwrap().len(), 2);
    let (_, roster) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/people?status=active"),
            &s.worker,
            None,
        )
        .await;
    let names: Vec<&str> = roster["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["first_name"].as_str())
        .collect();
    assert_eq!(names.len(), 2, "{roster}");
    let i = s.app.store().initiative_by_slug(RZ).await.unwrap().id;
    let log = s
        .app
        .store()
        .audit(&store::audit::Filter {
            initiative: Some(i),
            kind: Some("case_person".into()),
            record_id: Some(a),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        log.iter().any(|e| e.action == "view"),
        "the read is audited"
    );
    assert!(
        !serde_json::to_string(&log).unwrap().contains(NAME),
        "the log holds no name"
    );

    // Erasure: coordinators only, with confirmation; counts hold.
    let (st, _) = s
        .call(
            Method::POST,
            &format!("/case-people/{a}/erase"),
            &s.worker,
            Some(json!({"confirm": "erase"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s
        .call(
            Method::POST,
            &format!("/case-people/{a}/erase"),
            &s.coordinator,
            Some(json!({})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, p) = s
        .call(
            Method::POST,
            &format!("/case-people/{a}/erase"),
            &s.coordinator,
            Some(json!({"confirm": "erase"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(p["first_name"], Value::Null);
    assert_eq!(p["date_of_birth"], Value::Null);
    assert_eq!(p["erased"], true);
    let (_, after) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/reports/monthly?from=2025-01&to=2025-03"),
            &s.viewer,
            None,
        )
        .await;
    assert_eq!(after[2]["housing_placements"], 1);
    assert_eq!(after[2]["avg_days_identification_to_housing"], json!(50.0));
    let (st, _) = s
        .call(
            Method::POST,
            &format!("/case-people/{a}/events"),
            &s.worker,
            Some(event("identified", "2025-05-01")),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no events for an erased person"
    );
    // The same request to another initiative's list finds nothing.
    let other = s
        .app
        .api(Method::GET, &format!("/api/v1/initiatives/kiryat-malachi/cases/{l}/reports/monthly?from=2025-01&to=2025-03"), Some(&s.worker), None)
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}
both_engines!(reports_events_and_access);

async fn the_demo_list_and_the_portal(e: Engine) {
    let s = setup(e).await;
    let (st, lists) = s.call(Method::GET, "/cases", &s.viewer, None).await;
    assert_eq!(st, StatusCode::OK);
    let l = lists["items"][0]["id"].as_i64().unwrap();
    let (_, r) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/reports/monthly?from=2025-06&to=2026-10"),
            &s.viewer,
            None,
        )
        .await;
    let months = r.as_array().unwrap();
    assert_eq!(months.len(), 17);
    let last = &months[16];
    assert!(last["actively_homeless"].as_u64().unwrap() > 50, "{last}");
    let placed: u64 = months
        .iter()
        .map(|m| m["housing_placements"].as_u64().unwrap())
        .sum();
    assert!(placed > 30, "{placed}");
    // The balance holds month to month without submissions: active(M) =
    // active(M−1) + inflow − outflow.
    for w in months.windows(2) {
        let n = |v: &Value, k: &str| v[k].as_i64().unwrap();
        let inflow = n(&w[1], "newly_identified")
            + n(&w[1], "returned_from_housing")
            + n(&w[1], "returned_from_inactive");
        let outflow = n(&w[1], "housing_placements")
            + n(&w[1], "moved_to_inactive")
            + n(&w[1], "no_longer_meets_criteria");
        assert_eq!(
            n(&w[0], "actively_homeless") + inflow - outflow,
            n(&w[1], "actively_homeless")
        );
    }
    // The aggregate's figures (counted in SQL) equal the replay of every
    // event (the cut-off path), for every population.
    for pop in ["all", "veterans", "chronic", "youth", "families"] {
        let q = format!("/cases/{l}/reports/monthly?from=2025-01&to=2026-12&population={pop}");
        let (_, fast) = s.call(Method::GET, &q, &s.viewer, None).await;
        let (_, replay) = s
            .call(
                Method::GET,
                &format!("{q}&cut_off=2100-01-01T00:00:00Z"),
                &s.viewer,
                None,
            )
            .await;
        assert_eq!(fast, replay, "{pop}");
        assert!(fast[20]["actively_homeless"].as_u64().is_some());
    }
    // The portal: aggregates only, small counts suppressed, in three languages.
    for lang in ["en", "es", "he"] {
        let page = s.app.get(&format!("/p/{RZ}/cases?lang={lang}"), None).await;
        assert_eq!(page.status, StatusCode::OK, "{lang}");
        assert_eq!(page.body.matches("<h1").count(), 1);
        assert!(!page.body.contains("RZ-1"), "no HMIS id on the portal");
    }
    let page = s.app.get(&format!("/p/{RZ}/cases?lang=en"), None).await;
    assert!(
        page.body.contains("fewer than 10"),
        "small cells suppressed"
    );
}
both_engines!(the_demo_list_and_the_portal);
