//! Triage, case conferencing and referrals through the JSON API on both
//! engines: a coordinator sets the questions, a case worker answers them and
//! the score follows; the weekly agenda groups people and carries a note to
//! the next meeting; referrals are recorded and changed by case workers, their
//! measures are for every member with small groups suppressed for those who
//! may not see them, and no partner or viewer receives a referral row or a
//! name. Every read of personal data is audited.

use axum::http::{Method, StatusCode};
use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use domain::access::Role;
use testkit::{Auth, Engine, TestApp, both_engines};

const RZ: &str = "riverside-zero";
/// An initiative of the demo without referrals of its own.
const KM: &str = "kiryat-malachi";
const NAME: &str = "Xanthippe";
const OUTCOME: &str = "Qzoutcome seen twice";

struct Setup {
    app: TestApp,
    base: String,
    coordinator: Auth,
    worker: Auth,
    partner: Auth,
    viewer: Auth,
}

async fn setup(e: Engine) -> Setup {
    setup_in(e, RZ).await
}

async fn setup_in(e: Engine, slug: &str) -> Setup {
    let app = TestApp::new(e).await;
    let coordinator = app
        .user("c@example.org", false, &[(slug, Role::Coordinator)])
        .await;
    let worker = app
        .user("w@example.org", false, &[(slug, Role::CaseWorker)])
        .await;
    let partner = app
        .user("p@example.org", false, &[(slug, Role::Partner)])
        .await;
    let viewer = app
        .user("v@example.org", false, &[(slug, Role::Viewer)])
        .await;
    Setup {
        app,
        base: format!("/api/v1/initiatives/{slug}"),
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
            .api(m, &format!("{}{path}", self.base), Some(who), body)
            .await;
        let v = serde_json::from_str(&r.body).unwrap_or(Value::Null);
        (r.status, v)
    }

    async fn audit_count(&self, kind: &str) -> usize {
        let (st, v) = self
            .call(
                Method::GET,
                &format!("/audit?kind={kind}&per_page=500"),
                &self.coordinator,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let items = v["items"].as_array().unwrap();
        assert!(!v.to_string().contains(OUTCOME), "the log holds no outcome");
        items.iter().filter(|e| e["action"] == "view").count()
    }
}

fn today() -> NaiveDate {
    store::now().get().date_naive()
}

fn ids(v: &Value, group: &str) -> Vec<i64> {
    v[group]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person_id"].as_i64().unwrap())
        .collect()
}

async fn triage_and_conferencing(e: Engine) {
    let s = setup(e).await;
    let (_, list) = s
        .call(
            Method::POST,
            "/cases",
            &s.coordinator,
            Some(json!({"name": "Conference list"})),
        )
        .await;
    let l = list["id"].as_i64().unwrap();
    let on = today();
    let add = |first: &str, day: NaiveDate| json!({"first_name": first, "last_name": "Test", "identified_on": day.to_string()});
    let (st, a) = s
        .call(
            Method::POST,
            &format!("/cases/{l}/people"),
            &s.worker,
            Some(add(NAME, on)),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    let a = a["id"].as_i64().unwrap();
    // B was identified 60 days ago and not seen since: no contact for > 30 days.
    let (_, b) = s
        .call(
            Method::POST,
            &format!("/cases/{l}/people"),
            &s.worker,
            Some(add("Bo", on - Days::new(60))),
        )
        .await;
    let b = b["id"].as_i64().unwrap();

    // Questions: coordinators only; a question needs its text.
    let qs = json!({"questions": [{"text": "Sleeping outside", "weight": 10}, {"text": "Under 25", "weight": 3}]});
    let (st, _) = s
        .call(
            Method::PUT,
            &format!("/cases/{l}/triage"),
            &s.worker,
            Some(qs.clone()),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s
        .call(
            Method::PUT,
            &format!("/cases/{l}/triage"),
            &s.coordinator,
            Some(json!({"questions": [{"text": "  ", "weight": 2}]})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("questions[0].text"), "{v}");
    let (st, v) = s
        .call(
            Method::PUT,
            &format!("/cases/{l}/triage"),
            &s.coordinator,
            Some(json!({"questions": [{"text": "x", "weight": 101}]})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("questions[0].weight"), "{v}");
    let (st, v) = s
        .call(
            Method::PUT,
            &format!("/cases/{l}/triage"),
            &s.coordinator,
            Some(qs),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let q: Vec<i64> = v["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_i64().unwrap())
        .collect();
    assert_eq!(q.len(), 2);
    let (st, v) = s
        .call(Method::GET, &format!("/cases/{l}/triage"), &s.worker, None)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["questions"][1]["weight"], 3);

    // Answers: the score is the sum of the weights answered yes.
    let (st, v) = s
        .call(
            Method::PUT,
            &format!("/case-people/{b}/triage"),
            &s.worker,
            Some(json!({"yes": [q[0], q[1]]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["triage_score"], 13);
    let (st, v) = s
        .call(
            Method::PUT,
            &format!("/case-people/{a}/triage"),
            &s.worker,
            Some(json!({"yes": [999_999]})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("\"yes\""), "{v}");
    let (st, v) = s
        .call(
            Method::PUT,
            &format!("/case-people/{a}/triage"),
            &s.worker,
            Some(json!({"yes": [q[1]]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["triage_score"], 3);
    let views = s.audit_count("case_person").await;
    let (_, v) = s
        .call(
            Method::GET,
            &format!("/case-people/{a}/triage"),
            &s.worker,
            None,
        )
        .await;
    assert_eq!(
        s.audit_count("case_person").await,
        views + 1,
        "the read is audited"
    );
    assert_eq!(v["answers"][0]["yes"], false);
    assert_eq!(v["answers"][1]["yes"], true);
    // The list by name is sorted by score, then days active.
    let (_, roster) = s
        .call(Method::GET, &format!("/cases/{l}/people"), &s.worker, None)
        .await;
    let order: Vec<i64> = roster["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["person_id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, vec![b, a]);

    // Query values are taken as the schema describes them: an empty one is
    // refused, not read as absent.
    for q in [
        format!("/cases/{l}/people?status="),
        format!("/cases/{l}/people?population="),
        format!("/cases/{l}/people?population=%20all"),
        format!("/cases/{l}/reports/monthly?from=2025-01&to=2025-02&cut_off="),
        format!("/cases/{l}/reports/monthly?from=%202025-01&to=2025-02"),
        format!("/cases/{l}/conferencing?on="),
        "/referrals/measures?by=".to_string(),
    ] {
        let (st, v) = s.call(Method::GET, &q, &s.coordinator, None).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {v}");
    }

    // The agenda: A is new this week; B has not been seen for 60 days; both
    // are active and under the top ten, B first.
    let (st, v) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/conferencing?on={on}"),
            &s.worker,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(ids(&v, "new_this_week"), vec![a]);
    assert_eq!(ids(&v, "highest_priority"), vec![b, a]);
    assert_eq!(ids(&v, "no_contact"), vec![b]);
    assert_eq!(v["new_this_week"][0]["first_name"], NAME);
    let (st, v) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/conferencing?on=2026-02-30"),
            &s.worker,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // A note and next steps carry to the next meeting.
    let (st, v) = s
        .call(
            Method::POST,
            &format!("/cases/{l}/conferencing"),
            &s.worker,
            Some(json!({"person_id": b, "conference_on": on.to_string(), "note": "Seen at the library", "next_steps": "Outreach on Tuesday"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s
        .call(
            Method::POST,
            &format!("/cases/{l}/conferencing"),
            &s.worker,
            Some(json!({"person_id": b, "conference_on": on.to_string()})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("note"), "{v}");
    let next = on + Days::new(7);
    let (_, v) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/conferencing?on={next}"),
            &s.worker,
            None,
        )
        .await;
    let carried = v["highest_priority"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["person_id"] == b)
        .cloned()
        .unwrap();
    assert_eq!(carried["last_note"]["next_steps"], "Outreach on Tuesday");
    assert_eq!(carried["last_note"]["conference_on"], on.to_string());
    assert!(ids(&v, "new_this_week").is_empty(), "{v}");

    // Partners and viewers: none of it.
    for who in [&s.partner, &s.viewer] {
        for path in [
            format!("/cases/{l}/triage"),
            format!("/case-people/{a}/triage"),
            format!("/cases/{l}/conferencing"),
        ] {
            let (st, v) = s.call(Method::GET, &path, who, None).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{path}");
            assert!(!v.to_string().contains(NAME));
        }
    }
}

async fn referrals_and_their_measures(e: Engine) {
    let s = setup_in(e, KM).await;
    let (st, v) = s
        .call(
            Method::POST,
            "/referrals",
            &s.worker,
            Some(json!({"referral_type": "Early intervention", "risk_level": "high", "referred_on": "2026-03-10",
                        "accepted_on": "2026-03-01"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("accepted_on"), "{v}");
    let (st, v) = s
        .call(
            Method::POST,
            "/referrals",
            &s.worker,
            Some(json!({"referral_type": "Early intervention", "risk_level": "urgent", "referred_on": "2026-03-10"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("risk_level"), "{v}");
    let (st, v) = s
        .call(
            Method::POST,
            "/referrals",
            &s.worker,
            Some(json!({"referral_type": "x", "risk_level": "low", "referred_on": "2026-03-10", "colour": "red"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("colour"), "{v}");
    // Twelve referrals in the North (reference), three in the South: the
    // South's cell is too small for a partner.
    let mut first = 0;
    for k in 0..15 {
        let north = k < 12;
        let referred = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let body = json!({
            "referral_type": "Early intervention",
            "risk_level": "medium",
            "race_ethnicity": if north { "white" } else { "black_af_american" },
            "neighbourhood": if north { "North" } else { "South" },
            "referred_on": referred.to_string(),
            "accepted_on": if k % 2 == 0 { Value::from(referred.to_string()) } else { Value::Null },
            "first_service_on": (referred + Days::new(k)).to_string(),
            "outcome": if k == 0 { Value::from(OUTCOME) } else { Value::Null },
        });
        let (st, v) = s
            .call(Method::POST, "/referrals", &s.worker, Some(body))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        if k == 0 {
            first = v["id"].as_i64().unwrap();
        }
    }
    let (st, v) = s
        .call(
            Method::PUT,
            &format!("/referrals/{first}"),
            &s.worker,
            Some(json!({"referral_type": "Early intervention", "risk_level": "medium", "neighbourhood": "North",
                        "race_ethnicity": "white", "referred_on": "2026-03-01", "accepted_on": "2026-03-01",
                        "first_service_on": "2026-03-01", "outcome": OUTCOME,
                        "closed_on": "2026-04-01", "closed_reason": "Served"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["closed_reason"], "Served");
    let (st, v) = s.call(Method::GET, "/referrals", &s.worker, None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 15);

    // The coordinator sees every cell; North: 12 referrals, 6 accepted (50%),
    // days to service 0..11 → median 5.5; one outcome in 12 → 8.3%.
    let (st, v) = s
        .call(
            Method::GET,
            "/referrals/measures?by=neighbourhood&reference=North",
            &s.coordinator,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["reference"], "North");
    assert_eq!(v["overall"]["n"], 15);
    let north = &v["groups"][0];
    assert_eq!(north["group"], "North");
    assert_eq!(north["n"], 12);
    assert_eq!(north["accepted_pct"]["value"], 50.0);
    assert_eq!(north["median_days_to_service"]["value"], 5.5);
    assert_eq!(north["outcome_pct"]["value"], 8.3);
    let south = &v["groups"][1];
    assert_eq!(south["n"], 3);
    assert_eq!(south["suppressed"], false);
    // South: k = 12, 13, 14 → accepted 12 and 14 (66.7%), median days 13.
    assert_eq!(south["accepted_pct"]["value"], 66.7);
    assert_eq!(south["median_days_to_service"]["value"], 13.0);
    assert_eq!(south["median_days_to_service"]["difference"], 7.5);

    // A partner and a viewer see the measures with the small cell suppressed,
    // and never a referral row, an outcome or a name.
    let views_before = s.audit_count("case_referral").await;
    for who in [&s.partner, &s.viewer] {
        let (st, v) = s
            .call(
                Method::GET,
                "/referrals/measures?by=neighbourhood",
                who,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let south = &v["groups"][1];
        assert_eq!(south["suppressed"], true, "{v}");
        assert_eq!(south["n"], Value::Null);
        assert_eq!(south["accepted_pct"]["value"], Value::Null);
        assert!(!v.to_string().contains(OUTCOME));
        for path in ["/referrals".to_string(), format!("/referrals/{first}")] {
            let (st, v) = s.call(Method::GET, &path, who, None).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{path}");
            assert!(!v.to_string().contains(OUTCOME));
        }
        let (st, _) = s
            .call(
                Method::POST,
                "/referrals",
                who,
                Some(
                    json!({"referral_type": "x", "risk_level": "low", "referred_on": "2026-03-10"}),
                ),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
    let (st, v) = s
        .call(
            Method::GET,
            "/referrals/measures?by=colour",
            &s.partner,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // Refusals read nothing; a case worker's reads are audited one by one.
    assert_eq!(s.audit_count("case_referral").await, views_before);
    s.call(Method::GET, &format!("/referrals/{first}"), &s.worker, None)
        .await;
    assert_eq!(s.audit_count("case_referral").await, views_before + 1);
}

both_engines!(triage_and_conferencing, referrals_and_their_measures);

/// The demo: a triage tool answered for everyone, and referrals where
/// Eastside's are accepted less often and served later than the others'.
async fn the_demo_has_triage_and_referrals(e: Engine) {
    let s = setup(e).await;
    let (_, lists) = s.call(Method::GET, "/cases", &s.worker, None).await;
    let l = lists["items"][0]["id"].as_i64().unwrap();
    let (_, qs) = s
        .call(Method::GET, &format!("/cases/{l}/triage"), &s.worker, None)
        .await;
    assert_eq!(qs["questions"].as_array().unwrap().len(), 5, "{qs}");
    let (_, roster) = s
        .call(
            Method::GET,
            &format!("/cases/{l}/people?status=active"),
            &s.worker,
            None,
        )
        .await;
    let scores: Vec<i64> = roster["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["triage_score"].as_i64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(scores[0] > 0 && scores.contains(&0), "{scores:?}");
    let (st, v) = s
        .call(
            Method::GET,
            "/referrals/measures?by=neighbourhood&reference=Harbor",
            &s.viewer,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let group = |name: &str| {
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group"] == name)
            .cloned()
            .unwrap()
    };
    let east = group("Eastside");
    assert_eq!(east["suppressed"], false, "{v}");
    assert!(
        east["accepted_pct"]["difference"].as_f64().unwrap() < 0.0,
        "{v}"
    );
    assert!(
        east["median_days_to_service"]["difference"]
            .as_f64()
            .unwrap()
            > 0.0,
        "{v}"
    );
    assert_eq!(v["overall"]["n"], 180);
}

both_engines!(the_demo_has_triage_and_referrals);
