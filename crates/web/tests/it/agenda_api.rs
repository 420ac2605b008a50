//! The agenda through the JSON API: a round's ideas, ballots and results, the
//! systems map answered question by question, suggestions and moderation.

use axum::http::{Method, StatusCode};
use domain::access::Role;
use domain::agenda::systems_map::{Answer, SystemsMap};
use serde_json::{Value, json};
use testkit::{Auth, Engine, TestApp, both_engines};

const BASE: &str = "/api/v1/initiatives/kiryat-malachi";

struct Members {
    coordinator: Auth,
    partner: Auth,
    resident: Auth,
    viewer: Auth,
}

async fn members(app: &TestApp) -> Members {
    let one = |email: &'static str, role| async move {
        app.user(email, false, &[("kiryat-malachi", role)]).await
    };
    Members {
        coordinator: one("coordinator@example.org", Role::Coordinator).await,
        partner: one("partner@example.org", Role::Partner).await,
        resident: one("resident@example.org", Role::Resident).await,
        viewer: one("viewer@example.org", Role::Viewer).await,
    }
}

async fn call(app: &TestApp, method: Method, path: &str, who: &Auth, body: Option<Value>) -> Value {
    let r = app
        .api(method.clone(), &format!("{BASE}{path}"), Some(who), body)
        .await;
    assert!(
        r.status.is_success(),
        "{method} {path}: {} {}",
        r.status,
        r.body
    );
    r.json()
}

async fn status(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &Auth,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let r = app
        .api(method, &format!("{BASE}{path}"), Some(who), body)
        .await;
    assert!(!r.status.is_server_error(), "{path}: {}", r.body);
    let json = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    (r.status, json)
}

/// Accepted ideas through the generic API, and an open round holding them.
async fn round_with_ideas(app: &TestApp, c: &Auth, titles: &[&str], picks: i64) -> (i64, Vec<i64>) {
    let mut ids = vec![];
    for t in titles {
        let idea = call(
            app,
            Method::POST,
            "/ideas",
            c,
            Some(json!({"title": t, "description": "", "status": "accepted", "source": "member"})),
        )
        .await;
        ids.push(idea["id"].as_i64().unwrap());
    }
    let today = chrono::Utc::now().date_naive();
    let round = call(
        app,
        Method::POST,
        "/rounds",
        c,
        Some(json!({
            "title": "Spring priorities",
            "picks": picks,
            "opens_on": (today - chrono::Duration::days(1)).to_string(),
            "closes_on": (today + chrono::Duration::days(30)).to_string(),
        })),
    )
    .await;
    let round = round["id"].as_i64().unwrap();
    let set = call(
        app,
        Method::PUT,
        &format!("/rounds/{round}/ideas"),
        c,
        Some(json!({ "idea_ids": ids })),
    )
    .await;
    assert_eq!(set["idea_ids"], json!(ids));
    (round, ids)
}

/// Three members vote, one changes their mind; beyond k and a viewer are
/// refused; the results count what was cast.
async fn ballots_and_results(e: Engine) {
    let app = TestApp::new(e).await;
    let m = members(&app).await;
    let c = &m.coordinator;
    let (round, ids) = round_with_ideas(
        &app,
        c,
        &["Reading club", "Youth hub", "Night bus", "Job fair"],
        2,
    )
    .await;
    let [a, b, cc, d] = ids[..] else {
        unreachable!()
    };
    let r = format!("/rounds/{round}");
    let got = call(&app, Method::GET, &format!("{r}/ideas"), &m.viewer, None).await;
    assert_eq!(got["idea_ids"], json!(ids));
    // Only coordinators set a round's ideas, and only accepted ones.
    let (s, _) = status(
        &app,
        Method::PUT,
        &format!("{r}/ideas"),
        &m.partner,
        Some(json!({"idea_ids": [a]})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let waiting = call(
        &app,
        Method::POST,
        "/ideas/suggestions",
        &m.partner,
        Some(json!({"title": "Not yet accepted"})),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (s, body) = status(
        &app,
        Method::PUT,
        &format!("{r}/ideas"),
        c,
        Some(json!({"idea_ids": [a, b, cc, d, waiting]})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["idea_ids"].is_string(), "{body}");

    let ballot = format!("{r}/ballot");
    let vote = |who: &'static str, picks: Vec<i64>| {
        let auth = match who {
            "partner" => &m.partner,
            "resident" => &m.resident,
            "coordinator" => &m.coordinator,
            _ => &m.viewer,
        };
        let app = &app;
        let ballot = ballot.clone();
        async move {
            status(
                app,
                Method::PUT,
                &ballot,
                auth,
                Some(json!({ "idea_ids": picks })),
            )
            .await
        }
    };
    for (who, picks) in [
        ("partner", vec![a, b]),
        ("resident", vec![a]),
        ("coordinator", vec![b, cc]),
        // A second ballot replaces the first.
        ("partner", vec![a, cc]),
    ] {
        let (s, body) = vote(who, picks.clone()).await;
        assert_eq!(s, StatusCode::OK, "{who}: {body}");
        assert_eq!(body["idea_ids"], json!(picks));
    }
    let mine = call(&app, Method::GET, &ballot, &m.partner, None).await;
    assert_eq!(mine["idea_ids"], json!([a, cc]));
    // Beyond k: refused, and the earlier ballot stands.
    let (s, body) = vote("resident", vec![a, b, cc]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["idea_ids"].is_string(), "{body}");
    let mine = call(&app, Method::GET, &ballot, &m.resident, None).await;
    assert_eq!(mine["idea_ids"], json!([a]));
    // Not an idea of the round, twice the same idea, nothing at all.
    for bad in [json!([waiting]), json!([a, a]), json!([])] {
        let (s, body) = status(
            &app,
            Method::PUT,
            &ballot,
            &m.resident,
            Some(json!({ "idea_ids": bad })),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(body["fields"]["idea_ids"].is_string(), "{body}");
    }
    // A viewer watches.
    let (s, _) = vote("viewer", vec![a]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mine = call(&app, Method::GET, &ballot, &m.viewer, None).await;
    assert_eq!(mine["idea_ids"], json!([]));

    let res = call(&app, Method::GET, &format!("{r}/results"), &m.viewer, None).await;
    assert_eq!(res["round"], round);
    assert_eq!(res["picks"], 2);
    assert_eq!(res["ballots"], 3);
    let votes: Vec<(i64, i64)> = res["ideas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_i64().unwrap(), i["votes"].as_i64().unwrap()))
        .collect();
    assert_eq!(votes, vec![(a, 2), (cc, 2), (b, 1), (d, 0)]);
    assert_eq!(res["ideas"][0]["title"], "Reading club");

    // Once ballots exist, the round's ideas stay as they are.
    let (s, body) = status(
        &app,
        Method::PUT,
        &format!("{r}/ideas"),
        c,
        Some(json!({"idea_ids": [a, b]})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["fields"]["idea_ids"]
            .as_str()
            .unwrap()
            .contains("ballots"),
        "{body}"
    );
    let got = call(&app, Method::GET, &format!("{r}/ideas"), c, None).await;
    assert_eq!(got["idea_ids"], json!(ids));
}

/// Malformed bodies and paths are 4xx with the API's error body, never 5xx.
async fn malformed_requests(e: Engine) {
    let app = TestApp::new(e).await;
    let m = members(&app).await;
    let (round, ids) = round_with_ideas(&app, &m.coordinator, &["One", "Two"], 1).await;
    let r = format!("/rounds/{round}");
    let cases: Vec<(Method, String, Value, StatusCode, &str)> = vec![
        (
            Method::PUT,
            format!("{r}/ballot"),
            json!([ids[0]]),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            Method::PUT,
            format!("{r}/ballot"),
            json!({"idea_ids": "1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "idea_ids",
        ),
        (
            Method::PUT,
            format!("{r}/ballot"),
            json!({"idea_ids": [1.5]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "idea_ids",
        ),
        (
            Method::PUT,
            format!("{r}/ballot"),
            json!({"idea_ids": [ids[0]], "version": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "version",
        ),
        (
            Method::PUT,
            format!("{r}/ideas"),
            json!({"idea_ids": [18446744073709551615u64]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "idea_ids",
        ),
        (
            Method::POST,
            format!("{r}/systems-map/answers"),
            json!({"from": ids[0], "to": ids[1]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "influences",
        ),
        (
            Method::POST,
            format!("{r}/systems-map/answers"),
            json!({"from": ids[0], "to": ids[0], "influences": true}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "to",
        ),
        (
            Method::POST,
            format!("{r}/systems-map/answers"),
            json!({"from": ids[0], "to": ids[1], "influences": "yes"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "influences",
        ),
        (
            Method::POST,
            "/ideas/suggestions".into(),
            json!({"description": "no title"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title",
        ),
        (
            Method::POST,
            "/ideas/suggestions".into(),
            json!({"title": "A", "language": "English"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "language",
        ),
        (
            Method::POST,
            "/ideas/suggestions".into(),
            json!({"title": "A", "status": "accepted"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "status",
        ),
        (
            Method::POST,
            format!("/ideas/{}/moderation", ids[0]),
            json!({"status": "approved"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "status",
        ),
        (
            Method::GET,
            "/rounds/999999/results".into(),
            Value::Null,
            StatusCode::NOT_FOUND,
            "",
        ),
        (
            Method::GET,
            "/rounds/x/systems-map".into(),
            Value::Null,
            StatusCode::NOT_FOUND,
            "",
        ),
        (
            Method::GET,
            "/rounds/999999/ballot".into(),
            Value::Null,
            StatusCode::NOT_FOUND,
            "",
        ),
        (
            Method::POST,
            "/ideas/999999/moderation".into(),
            json!({"status": "accepted"}),
            StatusCode::NOT_FOUND,
            "",
        ),
    ];
    for (method, path, body, want, field) in cases {
        let body = (!body.is_null()).then_some(body);
        let (s, got) = status(&app, method.clone(), &path, &m.coordinator, body).await;
        assert_eq!(s, want, "{method} {path}: {got}");
        assert!(got["error"].is_string(), "{got}");
        if !field.is_empty() {
            assert!(got["fields"][field].is_string(), "{path}: {got}");
        }
    }
    // A round is found only under its own initiative, even by an admin.
    let admin = app.user("admin@example.org", true, &[]).await;
    let elsewhere = format!("/api/v1/initiatives/riverside-zero/rounds/{round}");
    for (method, rest, body) in [
        (Method::GET, "ideas", None),
        (Method::GET, "ballot", None),
        (Method::GET, "results", None),
        (Method::GET, "systems-map", None),
        (Method::PUT, "ballot", Some(json!({"idea_ids": [ids[0]]}))),
        (
            Method::POST,
            "systems-map/answers",
            Some(json!({"from": ids[0], "to": ids[1], "influences": true})),
        ),
    ] {
        let r = app
            .api(method, &format!("{elsewhere}/{rest}"), Some(&admin), body)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{rest}: {}", r.body);
    }
}

fn pairs(answers: &Value) -> Vec<(i64, i64, bool)> {
    answers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["from"].as_i64().unwrap(),
                a["to"].as_i64().unwrap(),
                a["influences"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// Members answer the map's questions; a contradiction is refused naming the
/// answers behind it; an answer can be withdrawn; once every pair is known the
/// levels are those of the domain's map over the same answers.
async fn systems_map_answers(e: Engine) {
    let app = TestApp::new(e).await;
    let m = members(&app).await;
    let (round, ids) = round_with_ideas(
        &app,
        &m.coordinator,
        &[
            "Early reading",
            "School results",
            "Jobs",
            "Parents' network",
            "Transport",
        ],
        2,
    )
    .await;
    let [a, b, c, d, t] = ids[..] else {
        unreachable!()
    };
    let map = format!("/rounds/{round}/systems-map");
    let answers = format!("{map}/answers");
    let doc = call(&app, Method::GET, &map, &m.viewer, None).await;
    assert_eq!(doc["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(doc["answers"], json!([]));
    assert_eq!(doc["progress"]["total_pairs"], 20);
    assert_eq!(doc["progress"]["asked"], 0);
    assert_eq!(doc["progress"]["complete"], false);
    assert!(doc["progress"]["next"]["from"].is_i64(), "{doc}");

    let answer = |who: &Auth, from: i64, to: i64, yes: Value| {
        let who = who.clone();
        let app = &app;
        let answers = answers.clone();
        async move {
            status(
                app,
                Method::POST,
                &answers,
                &who,
                Some(json!({"from": from, "to": to, "influences": yes})),
            )
            .await
        }
    };
    // A viewer does not answer.
    let (s, _) = answer(&m.viewer, a, b, json!(true)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, doc) = answer(&m.partner, a, b, json!(true)).await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(pairs(&doc["answers"]), vec![(a, b, true)]);
    let (s, doc) = answer(&m.resident, b, c, json!(true)).await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(doc["progress"]["asked"], 2);
    assert!(
        doc["progress"]["inferred"].as_i64().unwrap() >= 1,
        "a → c follows: {doc}"
    );
    // Early reading helps school results, which help jobs: "early reading does
    // not help jobs" contradicts both answers, and the refusal names them.
    let (s, body) = answer(&m.coordinator, a, c, json!(false)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "contradiction");
    assert!(body["message"].is_string());
    assert_eq!(
        body["contradiction"],
        json!({"from": a, "to": c, "influences": false, "because": [
            {"from": a, "to": b, "influences": true},
            {"from": b, "to": c, "influences": true},
        ]})
    );
    let doc = call(&app, Method::GET, &map, &m.partner, None).await;
    assert_eq!(pairs(&doc["answers"]), vec![(a, b, true), (b, c, true)]);
    // Withdrawn, the contradiction is gone; answered again, it is back.
    let (s, doc) = answer(&m.resident, b, c, Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(pairs(&doc["answers"]), vec![(a, b, true)]);
    let (s, doc) = answer(&m.resident, b, c, json!(true)).await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(pairs(&doc["answers"]), vec![(a, b, true), (b, c, true)]);

    // The truth the members share: a → b → c, d → a, t → c (and what follows).
    let direct = [(a, b), (b, c), (d, a), (t, c)];
    let helps = |x: i64, y: i64| {
        let mut seen = vec![x];
        let mut at = 0;
        while at < seen.len() {
            let v = seen[at];
            at += 1;
            for (f, to) in direct {
                if f == v && !seen.contains(&to) {
                    seen.push(to);
                }
            }
        }
        seen.contains(&y)
    };
    let who = [&m.partner, &m.resident, &m.coordinator];
    let mut doc = doc;
    let mut asked = 0;
    while let Some(next) = doc["progress"]["next"].as_object().cloned() {
        let (from, to) = (next["from"].as_i64().unwrap(), next["to"].as_i64().unwrap());
        let (s, body) = answer(who[asked % 3], from, to, json!(helps(from, to))).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        doc = body;
        asked += 1;
        assert!(asked <= 20, "the questions end");
    }
    assert_eq!(doc["progress"]["complete"], true);
    assert!(doc["progress"]["next"].is_null());
    let given = pairs(&doc["answers"]);
    assert_eq!(doc["progress"]["asked"], given.len());
    assert!(given.len() < 20, "inference saved questions: {doc}");
    assert_eq!(
        doc["progress"]["asked"].as_i64().unwrap() + doc["progress"]["inferred"].as_i64().unwrap(),
        20
    );
    // The levels are the domain's, over the same answers.
    let index = |id: i64| ids.iter().position(|x| *x == id).unwrap();
    let domain_answers: Vec<Answer> = given
        .iter()
        .map(|(f, to, yes)| Answer {
            from: index(*f),
            to: index(*to),
            yes: *yes,
        })
        .collect();
    let expected = SystemsMap::from_answers(ids.len(), &domain_answers);
    let nodes = doc["nodes"].as_array().unwrap();
    for (i, node) in nodes.iter().enumerate() {
        assert_eq!(node["id"], ids[i]);
        assert_eq!(node["level"], expected.level(i), "{node}");
        assert_eq!(node["driving_power"], expected.driving_power(i), "{node}");
        assert_eq!(node["dependence"], expected.dependence(i), "{node}");
        assert_eq!(node["quadrant"], expected.quadrant(i).as_str(), "{node}");
    }
    // Jobs is the outcome at the top; the parents' network drives from below.
    assert_eq!(nodes[index(c)]["level"], 1);
    assert!(nodes[index(d)]["level"].as_u64() > nodes[index(a)]["level"].as_u64());
    let again = call(&app, Method::GET, &map, &m.viewer, None).await;
    assert_eq!(again, doc);
}

/// A member's suggestion waits for moderation; only a coordinator moderates.
async fn suggestions_and_moderation(e: Engine) {
    let app = TestApp::new(e).await;
    let m = members(&app).await;
    let r = app
        .api(
            Method::POST,
            &format!("{BASE}/ideas/suggestions"),
            Some(&m.partner),
            Some(json!({"title": "Homework club", "description": "After school, twice a week."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let idea = r.json();
    assert_eq!(idea["status"], "submitted");
    assert_eq!(idea["source"], "member");
    assert_eq!(idea["submitted_by"], m.partner.user_id);
    assert_eq!(idea["title"], "Homework club");
    // The initiative's first language unless told otherwise.
    assert_eq!(idea["language"], "he");
    let id = idea["id"].as_i64().unwrap();
    let other = call(
        &app,
        Method::POST,
        "/ideas/suggestions",
        &m.resident,
        Some(json!({"title": "Bike lanes", "description": null, "language": "en"})),
    )
    .await;
    assert_eq!(other["language"], "en");
    assert_eq!(other["status"], "submitted");
    let (s, _) = status(
        &app,
        Method::POST,
        "/ideas/suggestions",
        &m.viewer,
        Some(json!({"title": "Watching"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let moderation = format!("/ideas/{id}/moderation");
    let (s, _) = status(
        &app,
        Method::POST,
        &moderation,
        &m.partner,
        Some(json!({"status": "accepted"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let got = call(&app, Method::GET, &format!("/ideas/{id}"), &m.partner, None).await;
    assert_eq!(got["status"], "submitted");
    let done = call(
        &app,
        Method::POST,
        &moderation,
        &m.coordinator,
        Some(json!({"status": "accepted"})),
    )
    .await;
    assert_eq!(done["status"], "accepted");
    assert_eq!(done["version"], 2);
    // Again: nothing changes.
    let same = call(
        &app,
        Method::POST,
        &moderation,
        &m.coordinator,
        Some(json!({"status": "accepted"})),
    )
    .await;
    assert_eq!(same["version"], 2);
    let rejected = call(
        &app,
        Method::POST,
        &format!("/ideas/{}/moderation", other["id"]),
        &m.coordinator,
        Some(json!({"status": "rejected"})),
    )
    .await;
    assert_eq!(rejected["status"], "rejected");
}

both_engines!(
    ballots_and_results,
    malformed_requests,
    systems_map_answers,
    suggestions_and_moderation
);
