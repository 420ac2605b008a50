//! Surveys: one response per person (members) or per browser (public link),
//! results computed exactly, a question's results written into an indicator,
//! the partnership-health template, the public form without an account, and
//! the pages in every language.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::access::Role;
use domain::measurement::indicator::Indicator;
use domain::measurement::survey::Survey;
use domain::measurement::{Aggregation, Frequency, IndicatorKind, PeriodAggregation, Polarity};
use domain::resource::{Record, Resource};
use serde_json::{Value, json};
use testkit::{Auth, Engine, TestApp, both_engines};

const SLUG: &str = "kiryat-malachi";
const API: &str = "/api/v1/initiatives/kiryat-malachi";

const QUESTIONS: &str = "# Trust\n\
    scale 1-5: I trust the other partners | Strongly disagree | Strongly agree\n\
    single: How long have you been part of it? | Under a year | Longer\n\
    number 0-100 optional: Meetings attended\n\
    text optional: One thing to change";

async fn coordinator(app: &TestApp) -> Auth {
    app.user("coord@example.org", false, &[(SLUG, Role::Coordinator)])
        .await
}

async fn member(app: &TestApp, n: usize) -> Auth {
    app.user(
        &format!("member{n}@example.org"),
        false,
        &[(SLUG, Role::Resident)],
    )
    .await
}

/// A survey made through the registry's API; returns its record as JSON.
async fn survey(app: &TestApp, c: &Auth, audience: &str, status: &str) -> Value {
    let r = app
        .api(
            Method::POST,
            &format!("{API}/surveys"),
            Some(c),
            Some(json!({
                "title": format!("How are we doing ({audience})"),
                "description": "",
                "audience": audience,
                "status": status,
                "opens_on": null,
                "closes_on": null,
                "questions": QUESTIONS,
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()
}

async fn answer(app: &TestApp, who: &Auth, id: i64, answers: Value) -> testkit::Res {
    app.api(
        Method::POST,
        &format!("{API}/surveys/{id}/responses"),
        Some(who),
        Some(json!({ "answers": answers })),
    )
    .await
}

async fn results(app: &TestApp, who: &Auth, id: i64) -> Value {
    let r = app
        .api(
            Method::GET,
            &format!("{API}/surveys/{id}/results"),
            Some(who),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn members_answer_once_and_results_are_exact(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let s = survey(&app, &c, "members", "open").await;
    let id = s["id"].as_i64().unwrap();
    // The questions as data.
    let q = app
        .api(
            Method::GET,
            &format!("{API}/surveys/{id}/questions"),
            Some(&c),
            None,
        )
        .await
        .json();
    assert_eq!(q["phase"], "open");
    assert_eq!(q["answered"], false);
    assert_eq!(q["questions"][0]["kind"], "scale");
    assert_eq!(q["questions"][0]["section"], "Trust");
    assert_eq!(
        q["questions"][1]["items"],
        json!(["Under a year", "Longer"])
    );
    // Five members answer: scale 5, 4, 4, 2, 1; three of them say "Longer".
    let scale = [5, 4, 4, 2, 1];
    let mut members = vec![];
    for (n, v) in scale.iter().enumerate() {
        let m = member(&app, n).await;
        let long = if n < 3 { "Longer" } else { "under a year" };
        let mut a = json!({"1": v, "2": long});
        if n == 0 {
            a["3"] = json!("2.5");
            a["4"] = json!("More informal meetings");
        }
        if n == 1 {
            a["3"] = json!(4);
        }
        let r = answer(&app, &m, id, a).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        members.push(m);
    }
    // One response per person: the second is refused, nothing changes.
    let r = answer(&app, &members[0], id, json!({"1": 1, "2": "Longer"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["fields"]["survey"]
            .as_str()
            .map(|m| m.contains("one response")),
        Some(true)
    );
    // Bad answers are named by question.
    let m = member(&app, 9).await;
    let r = answer(&app, &m, id, json!({"1": 6, "2": "Never", "7": "x"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &r.json()["fields"];
    for f in ["q1", "q2", "q7"] {
        assert!(fields[f].is_string(), "{f}: {fields}");
    }
    // A viewer does not take part; a stranger does not see the survey.
    let viewer = app
        .user("viewer@example.org", false, &[(SLUG, Role::Viewer)])
        .await;
    let r = answer(&app, &viewer, id, json!({"1": 3, "2": "Longer"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let stranger = app
        .user(
            "stranger@example.org",
            false,
            &[("riverside-zero", Role::Resident)],
        )
        .await;
    let r = answer(&app, &stranger, id, json!({"1": 3, "2": "Longer"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = results(&app, &c, id).await;
    assert_eq!(r["responses"], 5);
    assert_eq!(r["shown"], true);
    let q1 = &r["questions"][0];
    assert_eq!(q1["answered"], 5);
    let counts: Vec<i64> = q1["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, vec![1, 1, 0, 2, 1]);
    // (5 + 4 + 4 + 2 + 1) / 5 = 3.2; 3 of 5 answered 4 or 5.
    assert_eq!(q1["mean"], "3.2");
    assert_eq!(q1["counts"][3]["share"], "40");
    assert_eq!(q1["counts"][0]["label"], "Strongly disagree");
    let q2 = &r["questions"][1];
    assert_eq!(q2["counts"][0]["answer"], "Under a year");
    assert_eq!(q2["counts"][0]["count"], 2);
    assert_eq!(q2["counts"][1]["share"], "60");
    let q3 = &r["questions"][2];
    assert_eq!(q3["answered"], 2);
    assert_eq!(q3["mean"], "3.25");
    assert_eq!(
        (q3["min"].as_str(), q3["max"].as_str()),
        (Some("2.5"), Some("4"))
    );
    assert_eq!(
        r["questions"][3]["texts"],
        json!(["More informal meetings"])
    );
    // A member sees the counts but not what people wrote.
    let seen = results(&app, &members[1], id).await;
    assert_eq!(seen["shown"], true);
    assert_eq!(seen["questions"][0]["mean"], "3.2");
    assert!(seen["questions"][3].get("texts").is_none());
    assert!(!seen.to_string().contains("More informal meetings"));
    let page = app
        .get(
            &format!("/i/{SLUG}/surveys/{id}/results"),
            Some(&members[1]),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("More informal meetings"));
    let page = app
        .get(&format!("/i/{SLUG}/surveys/{id}/results"), Some(&c))
        .await;
    assert!(page.body.contains("More informal meetings"));
    assert!(page.body.contains("3.2"));

    // Through the members' form: answered once, a second time refused.
    let form = app
        .get(&format!("/i/{SLUG}/surveys/{id}/respond"), Some(&m))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"q1\""), "{}", form.body);
    let r = app
        .post_form(
            &format!("/i/{SLUG}/surveys/{id}/respond"),
            &m,
            &[("q1", "7"), ("q2", "Longer")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Choose a point of the scale"), "{}", r.body);
    let r = app
        .post_form(
            &format!("/i/{SLUG}/surveys/{id}/respond"),
            &m,
            &[("q1", "3"), ("q2", "Longer"), ("q4", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post_form(
            &format!("/i/{SLUG}/surveys/{id}/respond"),
            &m,
            &[("q1", "3"), ("q2", "Longer")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let form = app
        .get(&format!("/i/{SLUG}/surveys/{id}/respond"), Some(&m))
        .await;
    assert!(form.body.contains("You have answered this survey"));
    assert!(!form.body.contains("name=\"q1\""));
    assert_eq!(results(&app, &c, id).await["responses"], 6);
    // Closing it (one audited change) stops answers.
    let rec = app
        .api(Method::GET, &format!("{API}/surveys/{id}"), Some(&c), None)
        .await
        .json();
    let r = app
        .post_form(
            &format!("/i/{SLUG}/surveys/{id}/status"),
            &c,
            &[
                ("status", "closed"),
                ("_version", &rec["version"].to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let late = member(&app, 10).await;
    let r = answer(&app, &late, id, json!({"1": 3, "2": "Longer"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("closed"), "{}", r.body);
}

async fn few_responses_are_shown_to_coordinators_only(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let id = survey(&app, &c, "members", "open").await["id"]
        .as_i64()
        .unwrap();
    let m = member(&app, 1).await;
    let r = answer(&app, &m, id, json!({"1": 2, "2": "Longer"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mine = results(&app, &m, id).await;
    assert_eq!(mine["responses"], 1);
    assert_eq!(mine["shown"], false);
    assert_eq!(mine["questions"], json!([]));
    assert_eq!(results(&app, &c, id).await["questions"][0]["answered"], 1);
}

async fn indicator(app: &TestApp, code: &str, frequency: Frequency) -> Record<Indicator> {
    let i = app.store().initiative_by_slug(SLUG).await.unwrap();
    app.store()
        .create(
            None,
            Some(i.id),
            &Indicator {
                code: code.into(),
                name: "Partners who trust each other".into(),
                definition: String::new(),
                unit: "%".into(),
                kind: IndicatorKind::Performance,
                question: None,
                polarity: Polarity::HigherIsBetter,
                aggregation: Aggregation::Average,
                period_aggregation: PeriodAggregation::Last,
                frequency,
                numerator_id: None,
                denominator_id: None,
                factor: None,
                owner_org_id: None,
                data_source: "Partnership health check".into(),
                baseline_period: None,
                baseline_value: None,
                targets: String::new(),
                disaggregations: String::new(),
                reporters: String::new(),
                objective_id: None,
                sdg: String::new(),
                due_days: 15,
                public: false,
            },
        )
        .await
        .unwrap()
}

async fn feeding_an_indicator_writes_a_value_the_store_returns(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let id = survey(&app, &c, "members", "open").await["id"]
        .as_i64()
        .unwrap();
    for (n, v) in [5, 4, 2].iter().enumerate() {
        let m = member(&app, n).await;
        let r = answer(&app, &m, id, json!({"1": v, "2": "Longer", "3": n})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let trust = indicator(&app, "trust_pct", Frequency::Quarterly).await;
    let (app_ref, c_ref) = (&app, &c);
    let feed = move |body: Value| async move {
        app_ref
            .api(
                Method::POST,
                &format!("{API}/surveys/{id}/feed"),
                Some(c_ref),
                Some(body),
            )
            .await
    };
    // 2 of 3 answered 4 or 5: 66.666667 %.
    let r = feed(json!({"question": 1, "rule": "share_at_least", "point": 4, "indicator_id": trust.id, "period": "2026Q1"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let fed = r.json();
    assert_eq!(fed["value"], "66.666667");
    assert_eq!(fed["added"], 1);
    assert!(fed["batch_id"].is_i64());
    let i = app.store().initiative_by_slug(SLUG).await.unwrap();
    let values = app
        .store()
        .values(i.id, Some(trust.id), 0, 100)
        .await
        .unwrap();
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].period, "2026Q1");
    assert_eq!(values[0].value.to_string(), "66.666667");
    assert!(values[0].subgroup.is_empty() && values[0].partner_id.is_none());
    let batch = &app.store().batches(i.id, 10).await.unwrap()[0];
    assert_eq!(batch.source, "survey");
    assert_eq!(batch.actor_user_id, Some(c.user_id));
    // The same again changes nothing; the mean replaces it, the share stays in the history.
    let r = feed(json!({"question": 1, "rule": "share_at_least", "point": 4, "indicator_id": trust.id, "period": "2026Q1"})).await;
    assert_eq!(r.json()["batch_id"], Value::Null);
    assert_eq!(r.json()["unchanged"], 1);
    let r =
        feed(json!({"question": 1, "rule": "mean", "indicator_id": trust.id, "period": "2026Q1"}))
            .await;
    assert_eq!(r.json()["value"], "3.666667", "{}", r.body);
    let values = app
        .store()
        .values(i.id, Some(trust.id), 0, 100)
        .await
        .unwrap();
    assert_eq!(values[0].value.to_string(), "3.666667");
    assert_eq!(
        app.store().value_history(values[0].id).await.unwrap()[0]
            .value
            .to_string(),
        "66.666667"
    );
    // A share of a choice, and refusals that name the field.
    let r = feed(json!({"question": 2, "rule": "share_of", "choice": "longer", "indicator_id": trust.id, "period": "2026Q2"})).await;
    assert_eq!(r.json()["value"], "100", "{}", r.body);
    for (body, field) in [
        (
            json!({"question": 1, "rule": "share_at_least", "point": 4, "indicator_id": trust.id, "period": "2026-01"}),
            "period",
        ),
        (
            json!({"question": 2, "rule": "mean", "indicator_id": trust.id, "period": "2026Q1"}),
            "rule",
        ),
        (
            json!({"question": 1, "rule": "share_at_least", "point": 9, "indicator_id": trust.id, "period": "2026Q1"}),
            "point",
        ),
        (
            json!({"question": 4, "rule": "count", "indicator_id": trust.id, "period": "2026Q1"}),
            "question",
        ),
        (
            json!({"question": 1, "rule": "mean", "indicator_id": 999999, "period": "2026Q1"}),
            "indicator_id",
        ),
    ] {
        let r = feed(body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert!(r.json()["fields"][field].is_string(), "{body}: {}", r.body);
    }
    // Members may not feed indicators.
    let m = member(&app, 7).await;
    let r = app
        .api(
            Method::POST,
            &format!("{API}/surveys/{id}/feed"),
            Some(&m),
            Some(json!({"question": 1, "rule": "mean", "indicator_id": trust.id, "period": "2026Q3"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Through the page.
    let r = app
        .post_form(
            &format!("/i/{SLUG}/surveys/{id}/feed"),
            &c,
            &[
                ("question", "3"),
                ("rule", "mean"),
                ("point", ""),
                ("choice", ""),
                ("indicator_id", &trust.id.to_string()),
                ("period", "2026Q4"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("1 was written to trust_pct"), "{}", r.body);
}

async fn the_template_creates_a_valid_survey(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let preview = app
        .get(
            &format!("/i/{SLUG}/surveys/templates/partnership-health"),
            Some(&c),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        preview.body.contains("keep their commitments"),
        "{}",
        preview.body
    );
    let r = app
        .post_form(
            &format!("/i/{SLUG}/surveys/templates/partnership-health"),
            &c,
            &[("language", "es")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id: i64 = r
        .location()
        .split("/surveys/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .expect("the new survey's page");
    let i = app.store().initiative_by_slug(SLUG).await.unwrap();
    let rec = app.store().get::<Survey>(Some(i.id), id).await.unwrap();
    assert_eq!(rec.data.title, "Chequeo de salud de la alianza");
    // What was stored parses as it is, and may be opened as it is.
    let mut fields = rec.data.to_fields();
    fields.insert("status".into(), "open".into());
    let parsed = Survey::parse(&fields).unwrap();
    assert_eq!(parsed.questions, rec.data.questions);
    let questions = rec.data.question_list();
    assert_eq!(questions.len(), 12);
    assert!(questions[0].prompt.starts_with("Confío"));
    assert_eq!(questions[0].items[4], "Muy de acuerdo");
    let r = app
        .post_form(
            &format!("/i/{SLUG}/surveys/{id}/status"),
            &c,
            &[("status", "open"), ("_version", &rec.version.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A member answers the template in Spanish words.
    let m = member(&app, 1).await;
    let mut a = json!({});
    for n in 1..=10 {
        a[n.to_string()] = json!(4);
    }
    a["7"] = json!("Una vez");
    let r = answer(&app, &m, id, a).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Through the API, in Hebrew; members may not.
    let r = app
        .api(
            Method::POST,
            &format!("{API}/surveys/templates/partnership-health"),
            Some(&c),
            Some(json!({"language": "he"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["title"], "בדיקת בריאות השותפות");
    assert_eq!(r.json()["status"], "draft");
    assert_eq!(r.json()["audience"], "members");
    for bad in [
        json!({"language": null}),
        json!({"language": "fr"}),
        json!({"lang": "en"}),
    ] {
        let r = app
            .api(
                Method::POST,
                &format!("{API}/surveys/templates/partnership-health"),
                Some(&c),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let r = app
        .api(
            Method::POST,
            &format!("{API}/surveys/templates/partnership-health"),
            Some(&m),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Every cookie a response sets, as one `Cookie` header value.
fn cookies(res: &testkit::Res) -> String {
    res.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

fn form_token(body: &str) -> String {
    body.split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a form token")
        .to_string()
}

async fn the_public_form_needs_no_account_and_takes_one_response_per_browser(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let id = survey(&app, &c, "public", "open").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/p/{SLUG}/surveys/{id}");
    let page = app.get(&path, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("No account needed"));
    let cookie = cookies(&page);
    assert!(
        cookie.contains("bb_survey=") && cookie.contains("bb_pre="),
        "{cookie}"
    );
    let visitor = Auth {
        user_id: 0,
        cookie: Some(cookie),
        csrf: form_token(&page.body),
        token: None,
    };
    let (app_ref, c_ref) = (&app, &c);
    let count = move || async move {
        app_ref
            .api(
                Method::GET,
                &format!("{API}/surveys/{id}/results"),
                Some(c_ref),
                None,
            )
            .await
            .json()["responses"]
            .as_i64()
            .unwrap()
    };
    // A robot fills the hidden field: nothing stored.
    let r = app
        .post_form(
            &path,
            &visitor,
            &[
                ("q1", "5"),
                ("q2", "Longer"),
                ("website", "http://spam.example"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count().await, 0);
    // Without the form token, or without the browser's token: refused.
    let r = app
        .post_form_raw(&path, &visitor, &[("q1", "5"), ("q2", "Longer")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let no_browser = Auth {
        cookie: visitor.cookie.as_ref().map(|c| {
            c.split("; ")
                .filter(|p| !p.starts_with("bb_survey="))
                .collect::<Vec<_>>()
                .join("; ")
        }),
        ..visitor.clone()
    };
    let r = app
        .post_form(&path, &no_browser, &[("q1", "5"), ("q2", "Longer")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A made-up browser token is refused too.
    let forged = Auth {
        cookie: no_browser
            .cookie
            .as_ref()
            .map(|c| format!("{c}; bb_survey={}.{}", "a".repeat(64), "b".repeat(64))),
        ..visitor.clone()
    };
    let r = app
        .post_form(&path, &forged, &[("q1", "5"), ("q2", "Longer")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(count().await, 0);
    // Invalid answers: named, nothing stored.
    let r = app.post_form(&path, &visitor, &[("q2", "Longer")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("This question needs an answer"),
        "{}",
        r.body
    );
    // The answer.
    let r = app
        .post_form(
            &path,
            &visitor,
            &[("q1", "5"), ("q2", "Longer"), ("q4", "Más reuniones")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(count().await, 1);
    // The same browser again: refused, and the page says it answered.
    let r = app
        .post_form(&path, &visitor, &[("q1", "1"), ("q2", "Longer")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(count().await, 1);
    let again = app.get(&path, Some(&visitor)).await;
    assert!(
        again.body.contains("answered from this browser"),
        "{}",
        again.body
    );
    // Another browser may answer.
    let other = app.get(&path, None).await;
    let other = Auth {
        cookie: Some(cookies(&other)),
        csrf: form_token(&other.body),
        ..Default::default()
    };
    let r = app
        .post_form(&path, &other, &[("q1", "3"), ("q2", "Under a year")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(count().await, 2);
    // The text a visitor wrote reaches the coordinator, never the portal.
    assert!(!app.get(&path, None).await.body.contains("Más reuniones"));
    // A public survey is not answered as a member; a members' survey and a
    // draft are not on the portal.
    let m = member(&app, 1).await;
    let r = answer(&app, &m, id, json!({"1": 3, "2": "Longer"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let members_only = survey(&app, &c, "members", "open").await["id"]
        .as_i64()
        .unwrap();
    let draft = survey(&app, &c, "public", "draft").await["id"]
        .as_i64()
        .unwrap();
    for hidden in [members_only, draft] {
        let r = app.get(&format!("/p/{SLUG}/surveys/{hidden}"), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    // Nor under another initiative's portal.
    let r = app
        .get(&format!("/p/riverside-zero/surveys/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn get_in(app: &TestApp, path: &str, lang: &str, who: Option<&Auth>) -> testkit::Res {
    let mut cookie = format!("lang={lang}");
    if let Some(c) = who.and_then(|a| a.cookie.clone()) {
        cookie = format!("{cookie}; {c}");
    }
    let req = Request::builder()
        .uri(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    app.send(req).await
}

async fn survey_pages_render_in_every_language(e: Engine) {
    let app = TestApp::new(e).await;
    let c = coordinator(&app).await;
    let m = member(&app, 1).await;
    let members = survey(&app, &c, "members", "open").await["id"]
        .as_i64()
        .unwrap();
    let public = survey(&app, &c, "public", "open").await["id"]
        .as_i64()
        .unwrap();
    for (lang, dir, send, results) in [
        ("en", "ltr", "Send my answers", "Results"),
        ("es", "ltr", "Enviar mis respuestas", "Resultados"),
        ("he", "rtl", "שליחת התשובות", "תוצאות"),
    ] {
        let pages = [
            (
                format!("/i/{SLUG}/surveys/{members}/respond"),
                Some(&m),
                send,
            ),
            (format!("/p/{SLUG}/surveys/{public}"), None, send),
            (
                format!("/i/{SLUG}/surveys/{members}/results"),
                Some(&c),
                results,
            ),
            (
                format!("/i/{SLUG}/surveys/templates/partnership-health"),
                Some(&c),
                "",
            ),
            (format!("/i/{SLUG}/surveys"), Some(&c), ""),
            (format!("/i/{SLUG}/surveys/{members}"), Some(&m), ""),
            (format!("/i/{SLUG}/surveys/new"), Some(&c), ""),
        ];
        for (path, who, text) in pages {
            let r = get_in(&app, &path, lang, who).await;
            assert_eq!(r.status, StatusCode::OK, "{lang} {path}: {}", r.body);
            assert!(
                r.body
                    .contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")),
                "{lang} {path}"
            );
            assert!(r.body.contains(text), "{lang} {path}: no {text:?}");
            // No message key shows through untranslated.
            assert!(!r.body.contains(">survey-"), "{lang} {path}: {}", r.body);
            assert!(!r.body.contains("field-audience"), "{lang} {path}");
        }
    }
    let he = get_in(
        &app,
        &format!("/i/{SLUG}/surveys/templates/partnership-health"),
        "he",
        Some(&c),
    )
    .await;
    assert!(he.body.contains("אני סומך על השותפים האחרים"));
}

both_engines!(
    members_answer_once_and_results_are_exact,
    few_responses_are_shown_to_coordinators_only,
    feeding_an_indicator_writes_a_value_the_store_returns,
    the_template_creates_a_valid_survey,
    the_public_form_needs_no_account_and_takes_one_response_per_browser,
    survey_pages_render_in_every_language,
);
