//! The community investment fund through the JSON API, on both engines: the
//! ranking with figures worked out by hand, assessment with recusal, awards
//! within request, budget and currency, agreement, payment schedule and
//! reports, each refusal naming its field with nothing written, and who may
//! do and see what.

use axum::http::Method;
use domain::access::Role;
use domain::funding::fund::FundCall;
use serde_json::{Value, json};
use store::funding::fund::Applicant;
use testkit::{Auth, Engine, TestApp, both_engines};

const SLUG: &str = "kiryat-malachi";

async fn new_call(app: &TestApp, i: i64) -> i64 {
    let store = app.store();
    let org = store.names("organizations", "name", Some(i)).await.unwrap()[0].0;
    let today = store::now().get().date_naive();
    let call = FundCall {
        name: "API Fund".into(),
        description: String::new(),
        budget_minor: 100_000,
        currency: "USD".into(),
        criteria: "need=40;impact=30;feasibility=30".into(),
        eligibility: String::new(),
        opens_on: today - chrono::Duration::days(1),
        closes_on: today + chrono::Duration::days(10),
        organization_id: org,
        sdg: String::new(),
    };
    store.create(None, Some(i), &call).await.unwrap().id
}

async fn apply(
    app: &TestApp,
    i: i64,
    call: i64,
    who: &Auth,
    title: &str,
    email: &str,
    amount: &str,
) -> i64 {
    let fields: domain::validation::FieldMap = [
        ("organization_name", "API Neighbours"),
        ("contact_name", "Api Contact"),
        ("contact_email", email),
        ("title", title),
        ("description", "What we will do."),
        ("amount", amount),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let today = store::now().get().date_naive();
    app.store()
        .submit_application(i, call, Applicant::Account(who.user_id), &fields, today)
        .await
        .unwrap()
        .0
}

/// 422 naming `field`, its message containing `words`.
fn refused(r: &testkit::Res, field: &str, words: &str) {
    assert_eq!(r.status, 422, "{}", r.body);
    let j = r.json();
    assert_eq!(j["error"], "invalid", "{}", r.body);
    let m = j["fields"][field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field}: {}", r.body));
    assert!(m.contains(words), "{field}: {m}");
}

async fn the_fund_through_the_api(e: Engine) {
    let app = TestApp::new(e).await;
    let coord = app
        .user("api.coord@example.org", false, &[(SLUG, Role::Coordinator)])
        .await;
    let assessor = app
        .user("api.assessor@example.org", false, &[(SLUG, Role::Partner)])
        .await;
    let partner = app
        .user("api.partner@example.org", false, &[(SLUG, Role::Partner)])
        .await;
    let viewer = app
        .user("api.viewer@example.org", false, &[(SLUG, Role::Viewer)])
        .await;
    let outsider = app.user("api.outsider@example.org", false, &[]).await;
    let applicant = app.user("api.applicant@example.org", false, &[]).await;
    let i = app.store().initiative_by_slug(SLUG).await.unwrap().id;
    let call = new_call(&app, i).await;
    let hub = apply(
        &app,
        i,
        call,
        &applicant,
        "API Hub",
        "hub.contact@example.org",
        "500",
    )
    .await;
    let garden = apply(
        &app,
        i,
        call,
        &applicant,
        "API Garden",
        "garden.contact@example.org",
        "300",
    )
    .await;
    let third = apply(
        &app,
        i,
        call,
        &applicant,
        "API Third",
        "third.contact@example.org",
        "800",
    )
    .await;
    let base = format!("/api/v1/initiatives/{SLUG}/fund/calls/{call}");
    let at = |id: i64, tail: &str| format!("{base}/applications/{id}{tail}");
    let post = |who: &Auth, path: String, body: Value| {
        let who = who.clone();
        let app = &app;
        async move { app.api(Method::POST, &path, Some(&who), Some(body)).await }
    };
    let get = |who: &Auth, path: String| {
        let who = who.clone();
        let app = &app;
        async move { app.api(Method::GET, &path, Some(&who), None).await }
    };
    let snapshot = |id: i64| {
        let coord = coord.clone();
        let path = at(id, "");
        let app = &app;
        async move { app.api(Method::GET, &path, Some(&coord), None).await.json() }
    };

    // Assessors: the coordinator's choice, among the initiative's members.
    let r = post(
        &viewer,
        format!("{base}/assessors"),
        json!({"email": "api.assessor@example.org"}),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = post(
        &outsider,
        format!("{base}/assessors"),
        json!({"email": "api.assessor@example.org"}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    for email in ["api.assessor@example.org", "api.coord@example.org"] {
        let r = post(
            &coord,
            format!("{base}/assessors"),
            json!({ "email": email }),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = post(
        &coord,
        format!("{base}/assessors"),
        json!({"email": "api.outsider@example.org"}),
    )
    .await;
    refused(&r, "email", "role in this initiative");
    assert_eq!(r.json()["fields"].as_object().unwrap().len(), 1);

    // A declared conflict recuses the assessor.
    let r = post(
        &assessor,
        at(garden, "/conflict"),
        json!({"note": "My sister runs it."}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["you_are_recused"], true);
    assert_eq!(r.json()["conflicts"][0]["note"], "My sister runs it.");
    let before = snapshot(garden).await;
    let scores =
        |n: i64, i: i64, f: i64| json!({"scores": {"need": n, "impact": i, "feasibility": f}});
    let r = post(&assessor, at(garden, "/score"), scores(5, 5, 5)).await;
    refused(&r, "assessor", "conflict of interest");
    // Someone who is not an assessor does not score, nor declare conflicts.
    let r = post(&partner, at(hub, "/score"), scores(5, 5, 5)).await;
    refused(&r, "assessor", "assessors");
    let r = post(&partner, at(hub, "/conflict"), json!({})).await;
    refused(&r, "assessor", "assessors");
    // Out of range, unknown criterion, wrong shape.
    let r = post(&coord, at(hub, "/score"), scores(6, 3, 5)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.json()["fields"]["scores.need"].is_string(), "{}", r.body);
    let r = post(
        &coord,
        at(hub, "/score"),
        json!({"scores": {"need": 4, "beauty": 5}}),
    )
    .await;
    refused(&r, "scores.beauty", "not a criterion");
    let r = post(&coord, at(hub, "/score"), json!({"scores": [4, 3, 5]})).await;
    refused(&r, "scores", "object");
    let r = post(&coord, at(hub, "/score"), json!({"score": {"need": 4}})).await;
    refused(&r, "score", "not a field");
    assert_eq!(snapshot(garden).await, before, "nothing written");
    assert_eq!(snapshot(hub).await["scores"], json!([]), "nothing written");

    // By hand: hub 4×40+3×30+5×30 = 400 and 3×40+4×30+4×30 = 360, mean 380
    // hundredths; garden 5×40+4×30+4×30 = 440 alone; third unscored, last.
    for (who, id, s) in [
        (&coord, hub, scores(4, 3, 5)),
        (&assessor, hub, scores(3, 4, 4)),
        (&coord, garden, scores(5, 4, 4)),
    ] {
        let r = post(who, at(id, "/score"), s).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = get(&viewer, format!("{base}/applications")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    let ranked: Vec<(i64, Value, Value, i64)> = j["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_i64().unwrap(),
                a["mean_hundredths"].clone(),
                a["rank"].clone(),
                a["scores_count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ranked,
        vec![
            (garden, json!(440), json!(1), 1),
            (hub, json!(380), json!(2), 2),
            (third, Value::Null, Value::Null, 0)
        ]
    );
    assert_eq!(j["call"]["budget_minor"], 100_000);
    assert_eq!(j["call"]["remaining_minor"], 100_000);
    assert_eq!(j["items"][1]["amount_minor"], 50_000);
    assert_eq!(j["assessors"].as_array().unwrap().len(), 2);
    // A viewer reads the ranking, not the applicants' contact details.
    assert!(
        !r.body.contains("contact@example.org") && !r.body.contains("Api Contact"),
        "{}",
        r.body
    );
    assert_eq!(j["items"][0]["contact_email"], Value::Null);
    let r = get(&partner, at(hub, "")).await;
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("hub.contact@example.org"), "{}", r.body);
    assert_eq!(r.json()["mean_hundredths"], 380);
    assert_eq!(
        r.json()["scores"][0]["scores"],
        json!({"need": 4, "impact": 3, "feasibility": 5})
    );
    let r = get(&coord, format!("{base}/applications")).await;
    assert_eq!(
        r.json()["items"][1]["contact_email"],
        "hub.contact@example.org"
    );
    // No role: the initiative is not there.
    assert_eq!(
        get(&outsider, format!("{base}/applications")).await.status,
        404
    );
    assert_eq!(get(&outsider, at(hub, "")).await.status, 404);
    assert_eq!(
        post(&outsider, at(hub, "/score"), scores(1, 1, 1))
            .await
            .status,
        404
    );
    // An application of the call only.
    assert_eq!(
        get(
            &coord,
            format!("/api/v1/initiatives/{SLUG}/fund/calls/{call}/applications/999999")
        )
        .await
        .status,
        404
    );

    // Awards: coordinators, within request, budget and currency, once.
    let today = store::now().get().date_naive();
    let d = |days: i64| (today + chrono::Duration::days(days)).to_string();
    let award = |amount: Value| json!({"amount_minor": amount, "awarded_on": d(0), "decision": "Board, minute 7"});
    for who in [&viewer, &partner, &assessor] {
        let r = post(who, at(garden, "/award"), award(json!(30_000))).await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    let before = snapshot(hub).await;
    refused(
        &post(&coord, at(hub, "/award"), award(json!(60_000))).await,
        "amount_minor",
        "more than the applicant requested",
    );
    refused(
        &post(
            &coord,
            at(hub, "/award"),
            json!({"amount_minor": 50_000, "awarded_on": d(0), "currency": "EUR"}),
        )
        .await,
        "currency",
        "never converted",
    );
    refused(
        &post(&coord, at(hub, "/award"), award(json!("500.00"))).await,
        "amount_minor",
        "integer",
    );
    refused(
        &post(&coord, at(hub, "/award"), award(json!(0))).await,
        "amount_minor",
        "more than zero",
    );
    refused(
        &post(&coord, at(hub, "/award"), json!({"amount_minor": 50_000})).await,
        "awarded_on",
        "",
    );
    assert_eq!(snapshot(hub).await, before, "nothing written");
    let r = post(&coord, at(garden, "/award"), award(json!(30_000))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["award"]["amount_minor"], 30_000);
    refused(
        &post(&coord, at(garden, "/award"), award(json!(1))).await,
        "amount_minor",
        "already been awarded",
    );
    assert_eq!(
        post(&coord, at(hub, "/award"), award(json!(50_000)))
            .await
            .status,
        201
    );
    // 20 000 remain of 100 000.
    refused(
        &post(&coord, at(third, "/award"), award(json!(30_000))).await,
        "amount_minor",
        "remains of the call's budget",
    );
    let j = get(&viewer, format!("{base}/applications")).await.json();
    assert_eq!(
        (
            j["call"]["awarded_minor"].clone(),
            j["call"]["remaining_minor"].clone()
        ),
        (json!(80_000), json!(20_000))
    );
    assert_eq!(j["items"][0]["awarded_minor"], 30_000);

    // Agreement, payment schedule and reports follow the award.
    refused(
        &post(&coord, at(third, "/agreement"), json!({"signed_on": d(0)})).await,
        "signed_on",
        "award the application first",
    );
    refused(
        &post(
            &coord,
            at(garden, "/agreement"),
            json!({"signed_on": d(-1)}),
        )
        .await,
        "signed_on",
        "before the award",
    );
    assert_eq!(
        post(
            &viewer,
            at(garden, "/agreement"),
            json!({"signed_on": d(0)})
        )
        .await
        .status,
        403
    );
    let r = post(&coord, at(garden, "/agreement"), json!({"signed_on": d(1)})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["award"]["agreement_signed_on"], d(1));

    let before = snapshot(garden).await;
    let r = post(&coord, at(garden, "/payments"), json!({"instalments": [{"date": d(2), "amount_minor": 20_000}, {"date": d(30), "amount_minor": 9_999}]})).await;
    refused(&r, "instalments", "not to the award of");
    let r = post(
        &coord,
        at(garden, "/payments"),
        json!({"instalments": [{"date": "soon", "amount_minor": 30_000}]}),
    )
    .await;
    refused(&r, "instalments[0].date", "YYYY-MM-DD");
    let r = post(
        &coord,
        at(garden, "/payments"),
        json!({"instalments": [{"date": d(2), "amount_minor": "30000"}]}),
    )
    .await;
    refused(&r, "instalments[0].amount_minor", "integer");
    refused(
        &post(&coord, at(garden, "/payments"), json!({"instalments": []})).await,
        "instalments",
        "1 to",
    );
    refused(
        &post(
            &coord,
            at(third, "/payments"),
            json!({"instalments": [{"date": d(2), "amount_minor": 1}]}),
        )
        .await,
        "instalments",
        "award the application first",
    );
    assert_eq!(
        post(
            &viewer,
            at(garden, "/payments"),
            json!({"instalments": [{"date": d(2), "amount_minor": 30_000}]})
        )
        .await
        .status,
        403
    );
    refused(
        &post(
            &coord,
            at(garden, "/reports"),
            json!({"reported_on": d(3), "text": "  "}),
        )
        .await,
        "text",
        "required",
    );
    refused(
        &post(
            &coord,
            at(garden, "/reports"),
            json!({"reported_on": "later", "text": "Done."}),
        )
        .await,
        "reported_on",
        "",
    );
    refused(
        &post(
            &coord,
            at(garden, "/reports"),
            json!({"reported_on": d(3), "text": 0}),
        )
        .await,
        "text",
        "must be a string",
    );
    assert_eq!(snapshot(garden).await, before, "nothing written");
    let r = post(&coord, at(garden, "/payments"), json!({"instalments": [{"date": d(2), "amount_minor": 20_000}, {"date": d(30), "amount_minor": 10_000}]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["payments"],
        json!([{"date": d(2), "amount_minor": 20_000}, {"date": d(30), "amount_minor": 10_000}])
    );
    assert_eq!(
        post(
            &viewer,
            at(garden, "/reports"),
            json!({"reported_on": d(3), "text": "Done."})
        )
        .await
        .status,
        403
    );
    let r = post(
        &coord,
        at(garden, "/reports"),
        json!({"reported_on": d(3), "text": "Beds planted."}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["reports"][0]["text"], "Beds planted.");
    let r = get(&viewer, at(garden, "")).await;
    assert_eq!(r.json()["reports"][0]["text"], "Beds planted.");
    assert_eq!(r.json()["contact_name"], Value::Null);
}

both_engines!(the_fund_through_the_api);
