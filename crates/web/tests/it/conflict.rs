use axum::http::{Method, StatusCode};
use domain::access::Role;
use domain::partnership::Body;
use store::audit::Filter;
use store::records::ListOptions;
use testkit::{Engine, TestApp, both_engines};

/// Two people open the same body; the first saves; the second's save is refused
/// with 409, shows the current values and loses nothing: saving again (now a
/// decision) succeeds. The audit log holds both changes in the order they happened.
async fn a_stale_edit_is_refused_and_nothing_is_lost(e: Engine) {
    let app = TestApp::new(e).await;
    let a = app
        .user(
            "a@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let b = app
        .user(
            "b@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let body = app
        .store()
        .list::<Body>(Some(i.id), ListOptions::default())
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.data.name == "Steering Committee")
        .unwrap();
    let path = format!("/i/kiryat-malachi/bodies/{}", body.id);
    // Both open the edit form at version 1.
    for who in [&a, &b] {
        let form = app.get(&format!("{path}/edit"), Some(who)).await;
        assert!(
            form.body.contains(r#"name="_version" value="1""#),
            "{}",
            form.body
        );
    }
    let base = [
        ("name", "Steering Committee"),
        ("kind", "steering_committee"),
        ("purpose", "Manages the initiative."),
        ("_version", "1"),
    ];
    let mut first = base.to_vec();
    first.extend([("cadence_min_days", "14"), ("cadence_max_days", "28")]);
    let r = app.post_form(&path, &a, &first).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut second = base.to_vec();
    second.extend([("cadence_min_days", "7"), ("cadence_max_days", "21")]);
    let r = app.post_form(&path, &b, &second).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains(r#"id="conflict""#),
        "the page explains the conflict"
    );
    assert!(
        r.body.contains(r#"value="7""#),
        "B's typing is kept in the form"
    );
    assert!(r.body.contains(">28<"), "A's saved value is shown");
    assert!(
        r.body.contains(r#"name="_version" value="2""#),
        "the form now carries the current version"
    );
    let now = app.store().get::<Body>(Some(i.id), body.id).await.unwrap();
    assert_eq!(
        (
            now.data.cadence_min_days,
            now.data.cadence_max_days,
            now.version
        ),
        (14, 28, 2),
        "A's change stands"
    );
    // B saves again knowingly.
    let mut again = second.clone();
    again.retain(|(k, _)| *k != "_version");
    again.push(("_version", "2"));
    assert_eq!(
        app.post_form(&path, &b, &again).await.status,
        StatusCode::SEE_OTHER
    );
    let log = app
        .store()
        .audit(&Filter {
            kind: Some("body".into()),
            record_id: Some(body.id),
            ..Default::default()
        })
        .await
        .unwrap();
    let updates: Vec<_> = log.iter().filter(|e| e.action == "update").collect();
    assert_eq!(updates.len(), 2);
    // Newest first: B's, then A's; each with its before and after.
    assert_eq!(updates[0].actor_user_id, Some(b.user_id));
    assert_eq!(updates[0].before.as_ref().unwrap()["cadence_max_days"], 28);
    assert_eq!(updates[0].after.as_ref().unwrap()["cadence_min_days"], 7);
    assert_eq!(updates[1].actor_user_id, Some(a.user_id));
    assert_eq!(updates[1].before.as_ref().unwrap()["cadence_max_days"], 21);
    assert_eq!(updates[1].after.as_ref().unwrap()["cadence_max_days"], 28);
    assert!(updates[0].id > updates[1].id);
}

async fn the_api_answers_409_with_the_current_values(e: Engine) {
    let app = TestApp::new(e).await;
    let a = app
        .user(
            "a@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let r = app
        .api(
            Method::GET,
            "/api/v1/initiatives/kiryat-malachi/bodies?per_page=1",
            Some(&a),
            None,
        )
        .await;
    let body = r.json()["items"][0].clone();
    let id = body["id"].as_i64().unwrap();
    let path = format!("/api/v1/initiatives/kiryat-malachi/bodies/{id}");
    let mut edit = body.clone();
    edit["purpose"] = "first".into();
    let r = app
        .api(Method::PUT, &path, Some(&a), Some(edit.clone()))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["version"], 2);
    edit["purpose"] = "second".into();
    let r = app.api(Method::PUT, &path, Some(&a), Some(edit)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let j = r.json();
    assert_eq!(j["error"], "conflict");
    assert_eq!(j["current"]["purpose"], "first");
    assert_eq!(j["current"]["version"], 2);
    // Missing version is refused by name.
    let mut no_version = body.clone();
    no_version.as_object_mut().unwrap().remove("version");
    let r = app
        .api(Method::PUT, &path, Some(&a), Some(no_version))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["fields"]["version"].is_string());
}

/// Concurrent writers from several "processes" on one database: each update lands
/// once, versions advance without gaps, and the audit log counts them all.
async fn concurrent_writers_never_lose_updates(e: Engine) {
    let app = TestApp::new(e).await;
    let a = app
        .user(
            "a@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await;
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let body = app
        .store()
        .list::<Body>(Some(i.id), ListOptions::default())
        .await
        .unwrap()[0]
        .clone();
    let mut tasks = vec![];
    for n in 0..8 {
        let store = app.store().clone();
        let data = body.data.clone();
        let uid = a.user_id;
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for _ in 0..5 {
                loop {
                    let cur = store.get::<Body>(Some(i.id), body.id).await.unwrap();
                    let mut d = data.clone();
                    d.purpose = format!("writer {n}");
                    match store
                        .update(Some(uid), Some(i.id), body.id, cur.version, &d)
                        .await
                    {
                        Ok(_) => {
                            ok += 1;
                            break;
                        }
                        Err(store::StoreError::Conflict { .. }) => continue,
                        Err(e) => panic!("unexpected: {e}"),
                    }
                }
            }
            ok
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 40);
    let now = app.store().get::<Body>(Some(i.id), body.id).await.unwrap();
    assert_eq!(now.version, 41);
    let log = app
        .store()
        .audit(&Filter {
            kind: Some("body".into()),
            record_id: Some(body.id),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "update").count(), 40);
}

/// Networks and initiatives are edited through the same guarded path.
async fn networks_and_initiatives_through_forms(e: Engine) {
    let app = TestApp::new(e).await;
    let admin = app.user("admin@example.org", true, &[]).await;
    let r = app
        .post_form(
            "/networks",
            &admin,
            &[("name", "Welcoming Network"), ("slug", "welcoming")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post_form(
            "/networks",
            &admin,
            &[("name", "Again"), ("slug", "welcoming")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(r#"id="e-slug""#));
    let id = app
        .store()
        .list::<domain::partnership::Network>(None, ListOptions::default())
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.data.slug == "welcoming")
        .unwrap()
        .id;
    let edit = [
        ("name", "Welcoming Cities"),
        ("slug", "welcoming"),
        ("_version", "1"),
    ];
    assert_eq!(
        app.post_form(&format!("/networks/{id}"), &admin, &edit)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let r = app
        .post_form(
            &format!("/networks/{id}"),
            &admin,
            &[("name", "Stale"), ("slug", "welcoming"), ("_version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("Welcoming Cities") && r.body.contains(r#"value="Stale""#));
    let r = app
        .post_form(
            "/initiatives",
            &admin,
            &[
                ("name", "Harbor Welcome"),
                ("slug", "harbor"),
                ("place", "Harbor City"),
                ("languages", "en,es"),
                ("network_id", &id.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/i/harbor");
    let r = app
        .post_form(
            "/i/harbor/edit",
            &admin,
            &[
                ("name", "Harbor Welcome"),
                ("slug", "harbor"),
                ("place", "Harbor City, East"),
                ("languages", "en"),
                ("_version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post_form(
            "/i/harbor/edit",
            &admin,
            &[
                ("name", "Harbor"),
                ("slug", "harbor"),
                ("place", "X"),
                ("languages", "en"),
                ("_version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .post_form("/i/harbor/archive", &admin, &[("_version", "2")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/i/harbor", Some(&admin)).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Writers racing to create the same stage: exactly one wins, the others are
/// told which field is taken (the database's unique index backs the check).
async fn racing_creates_leave_one_live_record(e: Engine) {
    let app = TestApp::new(e).await;
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let mut tasks = vec![];
    for _ in 0..8 {
        let store = app.store().clone();
        tasks.push(tokio::spawn(async move {
            let stage = domain::partnership::StageReached {
                stage: domain::partnership::Stage::JointMeasurement,
                reached_on: chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap(),
                note: String::new(),
                public: false,
            };
            store.create(None, Some(i.id), &stage).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(store::StoreError::Invalid(f)) => assert_eq!(f.get("stage").unwrap().code, "taken"),
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!(won, 1);
}

/// The hidden "values seen" of an edit form, as the browser would send them.
fn seen_fields(html: &str) -> Vec<(String, String)> {
    html.split(r#"<input type="hidden" name="_was_"#)
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once('"').unwrap();
            let value = rest
                .split_once(r#"value=""#)
                .unwrap()
                .1
                .split_once('"')
                .unwrap()
                .0;
            (format!("_was_{name}"), value.replace("&#x27;", "'"))
        })
        .collect()
}

/// Two people save the same body: the second save keeps the first one's
/// change to another field and says so; where both changed one field
/// differently, only that field is asked about, and saving again writes it
/// without undoing anything else.
async fn saving_again_keeps_a_colleagues_other_fields(e: Engine) {
    let app = TestApp::new(e).await;
    let [a, b] = [
        app.user(
            "a@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await,
        app.user(
            "b@example.org",
            false,
            &[("kiryat-malachi", Role::Coordinator)],
        )
        .await,
    ];
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let body = app
        .store()
        .list::<Body>(Some(i.id), ListOptions::default())
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.data.name == "Steering Committee")
        .unwrap();
    let path = format!("/i/kiryat-malachi/bodies/{}", body.id);
    let form_of = |seen: &[(String, String)], version: i64, changes: &[(&str, &str)]| {
        let mut f: Vec<(String, String)> = seen
            .iter()
            .map(|(k, v)| (k.trim_start_matches("_was_").to_string(), v.clone()))
            .filter(|(k, v)| !(k == "public" && v != "true"))
            .collect();
        for (k, v) in changes {
            f.retain(|(name, _)| name != k);
            f.push((k.to_string(), v.to_string()));
        }
        f.extend(seen.iter().cloned());
        f.push(("_version".into(), version.to_string()));
        f
    };
    let post = |who: &testkit::Auth, f: Vec<(String, String)>| {
        let app = &app;
        let path = path.clone();
        let who = who.clone();
        async move {
            let pairs: Vec<(&str, &str)> =
                f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            app.post_form(&path, &who, &pairs).await
        }
    };
    let seen_a = seen_fields(&app.get(&format!("{path}/edit"), Some(&a)).await.body);
    let seen_b = seen_fields(&app.get(&format!("{path}/edit"), Some(&b)).await.body);
    assert!(
        seen_a.iter().any(|(k, _)| k == "_was_purpose"),
        "{seen_a:?}"
    );
    let r = post(&a, form_of(&seen_a, 1, &[("cadence_max_days", "28")])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post(
        &b,
        form_of(&seen_b, 1, &[("purpose", "Steers the early years work")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().ends_with("?saved=merged"), "{}", r.location());
    let shown = app.get(r.location(), Some(&b)).await;
    assert!(shown.body.contains(r#"role="status""#), "{}", shown.body);
    let now = app.store().get::<Body>(Some(i.id), body.id).await.unwrap();
    assert_eq!(now.data.cadence_max_days, 28, "A's change was kept");
    assert_eq!(now.data.purpose, "Steers the early years work", "B's too");
    assert_eq!(now.version, 3);

    // Now both change the purpose, and B also the name.
    let seen_a = seen_fields(&app.get(&format!("{path}/edit"), Some(&a)).await.body);
    let seen_b = seen_fields(&app.get(&format!("{path}/edit"), Some(&b)).await.body);
    let r = post(&a, form_of(&seen_a, 3, &[("purpose", "Purpose by A")])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post(
        &b,
        form_of(
            &seen_b,
            3,
            &[("purpose", "Purpose by B"), ("name", "Steering Group")],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains(r#"class="clash" data-field="purpose""#),
        "{}",
        r.body
    );
    assert!(!r.body.contains(r#"class="clash" data-field="name""#));
    assert!(
        r.body.contains(r#"data-field="name""#),
        "the name is listed as B's change"
    );
    assert!(r.body.contains("Purpose by A"), "A's value is shown");
    assert!(
        r.body.contains(">Purpose by B</textarea>"),
        "B typing is in the field"
    );
    assert!(r.body.contains(r#"value="Steering Group""#));
    // Nothing is saved until B decides; then only B's fields are written.
    let stored = app.store().get::<Body>(Some(i.id), body.id).await.unwrap();
    assert_eq!(
        (stored.data.purpose.as_str(), stored.version),
        ("Purpose by A", 4)
    );
    let seen = seen_fields(&r.body);
    let r = post(
        &b,
        form_of(
            &seen,
            4,
            &[("purpose", "Purpose by B"), ("name", "Steering Group")],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let stored = app.store().get::<Body>(Some(i.id), body.id).await.unwrap();
    assert_eq!(stored.data.purpose, "Purpose by B");
    assert_eq!(stored.data.name, "Steering Group");
    assert_eq!(
        stored.data.cadence_max_days, 28,
        "A's first change still stands"
    );
}

both_engines!(
    saving_again_keeps_a_colleagues_other_fields,
    racing_creates_leave_one_live_record,
    networks_and_initiatives_through_forms,
    a_stale_edit_is_refused_and_nothing_is_lost,
    the_api_answers_409_with_the_current_values,
    concurrent_writers_never_lose_updates
);
