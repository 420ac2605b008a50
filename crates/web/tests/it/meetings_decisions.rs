//! Decisions on both engines: each process through the API (a block stops
//! consent and its withdrawal lets it pass; standing aside in consensus; a tie
//! in a vote fails), positions refused from non-members and after closing, a
//! second position replacing the first with history kept, the positions page
//! and its form, a member's own action items (overdue first), and what the
//! portal shows (public closed decisions without names; approved minutes only,
//! sanitised).

use axum::http::{Method, StatusCode};
use chrono::NaiveDate;
use serde_json::{Value, json};

use domain::access::Role;
use domain::meetings::records::{
    ActionItem, ActionStatus, Decision, Meeting, MeetingStatus, Process,
};
use domain::partnership::{Body, BodyKind, Membership, Person, Position};
use testkit::{Auth, Engine, TestApp, both_engines};

const KM: &str = "kiryat-malachi";
const BASE: &str = "/api/v1/initiatives/kiryat-malachi";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A body of three current members (Ada, Ben, Cleo; Ada linked to a member's
/// account), a person who is not a member (Dov), and a coordinator.
struct Setup {
    app: TestApp,
    i: i64,
    body: i64,
    org: i64,
    ada: i64,
    ben: i64,
    cleo: i64,
    dov: i64,
    coordinator: Auth,
    member: Auth,
}

async fn setup(e: Engine) -> Setup {
    let app = TestApp::new(e).await;
    let coordinator = app
        .user("coordinator@example.org", false, &[(KM, Role::Coordinator)])
        .await;
    let member = app
        .user("ada@example.org", false, &[(KM, Role::Partner)])
        .await;
    let s = app.store();
    let i = s.initiative_by_slug(KM).await.unwrap().id;
    let body = s
        .create(
            None,
            Some(i),
            &Body {
                name: "Decisions Test Committee".into(),
                kind: BodyKind::SteeringCommittee,
                purpose: String::new(),
                cadence_min_days: 14,
                cadence_max_days: 21,
                public: true,
                quorum: None,
                agenda_notice_days: None,
                translations: Default::default(),
            },
        )
        .await
        .unwrap()
        .id;
    let org = s.names("organizations", "name", Some(i)).await.unwrap()[0].0;
    let person = |name: &str, user: Option<i64>| Person {
        name: name.into(),
        email: None,
        phone: None,
        user_id: user,
        public_name_consent_on: None,
    };
    let mut ids = vec![];
    for (name, user) in [
        ("Ada Member", Some(member.user_id)),
        ("Ben Member", None),
        ("Cleo Member", None),
        ("Dov Outsider", None),
    ] {
        ids.push(
            s.create(None, Some(i), &person(name, user))
                .await
                .unwrap()
                .id,
        );
    }
    for (k, p) in ids.iter().take(3).enumerate() {
        s.create(
            None,
            Some(i),
            &Membership {
                body_id: body,
                person_id: *p,
                organization_id: (k == 0).then_some(org),
                position: Position::Member,
                start_date: d("2020-01-01"),
                end_date: None,
                stipend_hourly_cents: None,
                stipend_currency: None,
            },
        )
        .await
        .unwrap();
    }
    Setup {
        app,
        i,
        body,
        org,
        ada: ids[0],
        ben: ids[1],
        cleo: ids[2],
        dov: ids[3],
        coordinator,
        member,
    }
}

impl Setup {
    async fn decision(
        &self,
        title: &str,
        process: Process,
        meeting: Option<i64>,
        public: bool,
    ) -> i64 {
        self.app
            .store()
            .create(
                None,
                Some(self.i),
                &Decision {
                    body_id: self.body,
                    meeting_id: meeting,
                    title: title.into(),
                    proposal: "Fund the outreach position from the partnership's budget for two years, then from the municipality's.".into(),
                    process,
                    closes_on: None,
                    outcome_statement: format!("{title}: statement"),
                    review_on: None,
                    objective_id: None,
                    budget_line_id: None,
                    activity_id: None,
                    public,
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn state(
        &self,
        decision: i64,
        person: i64,
        position: &str,
        reason: &str,
    ) -> testkit::Res {
        self.app
            .api(
                Method::POST,
                &format!("{BASE}/decisions/{decision}/positions"),
                Some(&self.coordinator),
                Some(json!({"person_id": person, "position": position, "reason": reason})),
            )
            .await
    }

    async fn view(&self, decision: i64) -> Value {
        let r = self
            .app
            .api(
                Method::GET,
                &format!("{BASE}/decisions/{decision}/positions"),
                Some(&self.coordinator),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()
    }

    async fn close(&self, decision: i64) -> testkit::Res {
        let v = self.view(decision).await;
        self.app
            .api(
                Method::POST,
                &format!("{BASE}/decisions/{decision}/close"),
                Some(&self.coordinator),
                Some(json!({"version": v["version"]})),
            )
            .await
    }

    async fn meeting(&self, title: &str, start: &str, status: MeetingStatus) -> i64 {
        let end = format!("{}T20:00", &start[..10]);
        self.app
            .store()
            .create(
                None,
                Some(self.i),
                &Meeting {
                    body_id: self.body,
                    title: title.into(),
                    starts_at: start.into(),
                    ends_at: end,
                    time_zone: "Asia/Jerusalem".into(),
                    place: "Municipality hall".into(),
                    online_url: None,
                    status,
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn sql(&self, sql: &str) {
        self.app.store().execute_unprepared(sql).await.unwrap();
    }
}

fn ok(r: &testkit::Res) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn meetings_decisions_a_block_stops_consent_until_withdrawn(e: Engine) {
    let t = setup(e).await;
    let dec = t
        .decision("Fund the outreach position", Process::Consent, None, true)
        .await;
    ok(&t.state(dec, t.ada, "agree", "").await);
    // A block needs a reason.
    let r = t.state(dec, t.ben, "block", " ").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.json()["fields"]["reason"].is_string(), "{}", r.body);
    // Stand aside is not a consent position.
    let r = t.state(dec, t.ben, "stand_aside", "no").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["fields"]["position"]
            .as_str()
            .unwrap()
            .contains("consent")
    );
    ok(&t
        .state(dec, t.ben, "block", "The budget line is not there yet")
        .await);
    ok(&t
        .state(dec, t.cleo, "disagree", "I would rather wait a year")
        .await);
    let v = t.view(dec).await;
    assert_eq!(v["outcome"], "not_passed", "{v}");
    assert_eq!(v["reason"], "blocked");
    assert_eq!(v["tally"]["blocking"], json!([t.ben]));
    // Ben withdraws the block: his later position replaces it.
    ok(&t.state(dec, t.ben, "agree", "").await);
    let v = t.view(dec).await;
    assert_eq!(v["outcome"], "passed", "{v}");
    assert_eq!(
        v["tally"]["counts"]["disagree"], 1,
        "a disagreement does not stop consent"
    );
    assert_eq!(v["live"].as_array().unwrap().len(), 3);
    let history = v["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["position"], "block");
    assert_eq!(history[0]["person_id"], t.ben);
    assert!(history[0]["superseded_at"].is_string());
    // Closed with the outcome; closed once only.
    let r = t.close(dec).await;
    ok(&r);
    assert_eq!(r.json()["closed"], true);
    assert_eq!(r.json()["outcome"], "passed");
    let r = t.close(dec).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.json()["fields"]["decision"].is_string());
    // No position after closing, with a clear message.
    let r = t.state(dec, t.cleo, "agree", "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let msg = r.json()["fields"]["decision"].as_str().unwrap().to_string();
    assert!(
        msg.contains("positions are closed: the decision was decided on"),
        "{msg}"
    );
    // A stale version is a conflict.
    let other = t.decision("Another", Process::Consent, None, false).await;
    let r = t
        .app
        .api(
            Method::POST,
            &format!("{BASE}/decisions/{other}/close"),
            Some(&t.coordinator),
            Some(json!({"version": 99})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

async fn meetings_decisions_stand_aside_in_consensus(e: Engine) {
    let t = setup(e).await;
    let dec = t
        .decision("Adopt the shared outcome", Process::Consensus, None, false)
        .await;
    ok(&t.state(dec, t.ada, "agree", "").await);
    let r = t.state(dec, t.ben, "stand_aside", "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["fields"]["reason"].is_string());
    ok(&t
        .state(
            dec,
            t.ben,
            "stand_aside",
            "I have doubts but will not stop it",
        )
        .await);
    let v = t.view(dec).await;
    assert_eq!(v["reason"], "not_all_agree", "{v}");
    assert_eq!(v["tally"]["missing"], json!([t.cleo]));
    ok(&t.state(dec, t.cleo, "agree", "").await);
    let r = t.close(dec).await;
    ok(&r);
    assert_eq!(r.json()["outcome"], "passed", "{}", r.body);
    assert_eq!(r.json()["tally"]["counts"]["stand_aside"], 1);
}

async fn meetings_decisions_a_tie_in_a_vote_fails(e: Engine) {
    let t = setup(e).await;
    // Taken in a meeting: the quorum counts who was present.
    let m = t
        .meeting("Committee", "2026-01-15T18:00", MeetingStatus::Held)
        .await;
    let dec = t
        .decision(
            "Move the meetings to Mondays",
            Process::Vote,
            Some(m),
            false,
        )
        .await;
    ok(&t.state(dec, t.ada, "agree", "").await);
    ok(&t.state(dec, t.ben, "disagree", "").await);
    let v = t.view(dec).await;
    assert_eq!(v["reason"], "no_quorum", "nobody recorded present: {v}");
    for p in [t.ada, t.ben, t.cleo] {
        t.sql(&format!(
            "INSERT INTO attendance (meeting_id, person_id, initiative_id, status, recorded_at) VALUES ({m}, {p}, {}, 'present', '2026-01-15T18:00:00+00:00')",
            t.i
        ))
        .await;
    }
    ok(&t.state(dec, t.cleo, "abstain", "").await);
    let r = t.close(dec).await;
    ok(&r);
    let v = r.json();
    assert_eq!(v["outcome"], "not_passed", "{v}");
    assert_eq!(v["reason"], "no_majority");
    assert_eq!(v["tally"]["quorum_counted"], 3);
    assert_eq!(v["tally"]["quorum_met"], true);
}

async fn meetings_decisions_refuse_non_members_and_others_positions(e: Engine) {
    let t = setup(e).await;
    let dec = t
        .decision("Join the network", Process::Consent, None, false)
        .await;
    let r = t.state(dec, t.dov, "agree", "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let msg = r.json()["fields"]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("not a current member"), "{msg}");
    // Unknown fields and wrong types are refused by name.
    let path = format!("{BASE}/decisions/{dec}/positions");
    let r = t
        .app
        .api(
            Method::POST,
            &path,
            Some(&t.coordinator),
            Some(json!({"person_id": "x", "position": "agree"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["fields"]["person_id"].is_string());
    let r = t
        .app
        .api(
            Method::POST,
            &path,
            Some(&t.coordinator),
            Some(json!({"person_id": t.ada, "position": "agree", "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["fields"]["version"].is_string());
    // A member states their own position, not someone else's.
    let r = t
        .app
        .api(
            Method::POST,
            &path,
            Some(&t.member),
            Some(json!({"person_id": t.ben, "position": "agree"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.json()["fields"]["person_id"].is_string());
    let r = t
        .app
        .api(
            Method::POST,
            &path,
            Some(&t.member),
            Some(json!({"person_id": t.ada, "position": "agree"})),
        )
        .await;
    ok(&r);
    // Closing is for coordinators.
    let r = t
        .app
        .api(
            Method::POST,
            &format!("{BASE}/decisions/{dec}/close"),
            Some(&t.member),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Audited: the position, its replacement.
    let entries = t
        .app
        .store()
        .audit(&store::audit::Filter {
            initiative: Some(t.i),
            kind: Some("decision_position".into()),
            record_id: Some(dec),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
}

async fn meetings_decisions_the_positions_page_and_its_form(e: Engine) {
    let t = setup(e).await;
    let dec = t
        .decision("Open a second site", Process::Consent, None, false)
        .await;
    let page = format!("/i/{KM}/decisions/{dec}/positions");
    let r = t.app.get(&page, Some(&t.member)).await;
    ok(&r);
    assert!(
        r.body.contains("You state your position as Ada Member"),
        "{}",
        r.body
    );
    // A block without a reason: the form comes back with the typed choice.
    let r = t
        .app
        .post_form(
            &page,
            &t.member,
            &[
                ("person_id", &t.ada.to_string()),
                ("position", "block"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"e-reason\""), "{}", r.body);
    assert!(r.body.contains("value=\"block\" checked"));
    let r = t
        .app
        .post_form(
            &page,
            &t.member,
            &[
                ("person_id", &t.ada.to_string()),
                ("position", "block"),
                ("reason", "Not this year"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = t.app.get(&page, Some(&t.coordinator)).await;
    ok(&r);
    assert!(r.body.contains("Not this year"));
    assert!(r.body.contains("block stands"));
    assert!(
        r.body.contains("Choose a member"),
        "a coordinator chooses the member"
    );
    let r = t
        .app
        .post_form(
            &page,
            &t.coordinator,
            &[
                ("person_id", &t.ben.to_string()),
                ("position", "agree"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The coordinator closes it from the page.
    let v = t.view(dec).await;
    let r = t
        .app
        .post_form(
            &format!("/i/{KM}/decisions/{dec}/close"),
            &t.coordinator,
            &[("_version", &v["version"].to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = t.app.get(&page, Some(&t.coordinator)).await;
    assert!(r.body.contains("Not passed"), "{}", r.body);
    assert!(r.body.contains("a block stands"));
    // The register lists it, filtered by body and outcome.
    let r = t
        .app
        .get(
            &format!(
                "/i/{KM}/decision-register?body_id={}&outcome=not_passed",
                t.body
            ),
            Some(&t.member),
        )
        .await;
    ok(&r);
    assert!(r.body.contains("Open a second site"));
    let r = t
        .app
        .api(
            Method::GET,
            &format!("{BASE}/decision-register?body_id={}&outcome=open", t.body),
            Some(&t.member),
            None,
        )
        .await;
    ok(&r);
    assert_eq!(r.json()["total"], 0, "{}", r.body);
    // The API takes the schema's values only; the page's "any" is empty.
    for bad in ["", "Passed", "%20passed"] {
        let r = t
            .app
            .api(
                Method::GET,
                &format!("{BASE}/decision-register?outcome={bad}"),
                Some(&t.member),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}: {}",
            r.body
        );
    }
}

async fn meetings_decisions_my_actions_overdue_first(e: Engine) {
    let t = setup(e).await;
    let s = t.app.store();
    let today = store::now().get().date_naive();
    let action =
        |title: &str, person: Option<i64>, org: Option<i64>, due: NaiveDate, status| ActionItem {
            body_id: t.body,
            title: title.into(),
            meeting_id: None,
            decision_id: None,
            owner_person_id: person,
            owner_organization_id: org,
            due_on: due,
            status,
            notes: String::new(),
        };
    for a in [
        action(
            "Send the budget",
            Some(t.ada),
            None,
            today + chrono::Days::new(10),
            ActionStatus::Open,
        ),
        action(
            "Book the hall",
            Some(t.ada),
            None,
            today - chrono::Days::new(3),
            ActionStatus::Open,
        ),
        action(
            "Ask the ministry",
            None,
            Some(t.org),
            today - chrono::Days::new(30),
            ActionStatus::Done,
        ),
        action(
            "Ben's own task",
            Some(t.ben),
            None,
            today - chrono::Days::new(5),
            ActionStatus::Open,
        ),
    ] {
        s.create(None, Some(t.i), &a).await.unwrap();
    }
    let r = t
        .app
        .api(
            Method::GET,
            &format!("{BASE}/my-actions"),
            Some(&t.member),
            None,
        )
        .await;
    ok(&r);
    let items = r.json()["items"].as_array().unwrap().clone();
    let titles: Vec<&str> = items.iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        ["Book the hall", "Ask the ministry", "Send the budget"]
    );
    assert_eq!(items[0]["overdue"], true);
    assert_eq!(items[1]["overdue"], false, "done is not overdue");
    let r = t
        .app
        .get(&format!("/i/{KM}/my-actions"), Some(&t.member))
        .await;
    ok(&r);
    assert!(r.body.contains("1 overdue"), "{}", r.body);
    let hall = r.body.find("Book the hall").unwrap();
    let budget = r.body.find("Send the budget").unwrap();
    assert!(hall < budget);
    assert!(!r.body.contains("Ben&#x27;s own task") && !r.body.contains("Ben's own task"));
    // Carried onto a meeting's agenda: open items due before it starts, oldest first.
    let m = t
        .meeting(
            "Next",
            &format!("{}T18:00", today + chrono::Days::new(1)),
            MeetingStatus::Planned,
        )
        .await;
    let carried = s.carried_actions(t.i, m).await.unwrap();
    let titles: Vec<&str> = carried.iter().map(|a| a.data.title.as_str()).collect();
    assert_eq!(titles, ["Ben's own task", "Book the hall"]);
}

async fn meetings_decisions_the_portal_shows_only_what_is_public(e: Engine) {
    let t = setup(e).await;
    let held = t
        .meeting("Approved meeting", "2025-06-05T18:00", MeetingStatus::Held)
        .await;
    let draft = t
        .meeting(
            "Unapproved meeting",
            "2025-06-19T18:00",
            MeetingStatus::Held,
        )
        .await;
    let next = t
        .meeting("Next meeting", "2099-06-05T18:00", MeetingStatus::Planned)
        .await;
    let _ = next;
    let public = t
        .decision("Public decision", Process::Consent, Some(held), true)
        .await;
    let private = t
        .decision("Private decision", Process::Consent, Some(held), false)
        .await;
    let open = t
        .decision("Open public decision", Process::Consent, None, true)
        .await;
    let _ = open;
    for p in [t.ada, t.ben] {
        t.sql(&format!(
            "INSERT INTO attendance (meeting_id, person_id, initiative_id, status, recorded_at) VALUES ({held}, {p}, {}, 'present', '2025-06-05T18:00:00+00:00')",
            t.i
        ))
        .await;
    }
    for dec in [public, private] {
        ok(&t.state(dec, t.ada, "agree", "").await);
        ok(&t.state(dec, t.ben, "disagree", "Ben's secret reason").await);
        ok(&t.close(dec).await);
    }
    let ts = "'2025-06-06T10:00:00+00:00'";
    t.sql(&format!(
        "INSERT INTO minutes_versions (meeting_id, initiative_id, version, html, created_at) VALUES \
         ({held}, {i}, 1, '<p>First draft</p>', {ts}), \
         ({held}, {i}, 2, '<p>Agreed to fund the position.</p><script>alert(1)</script>', {ts}), \
         ({draft}, {i}, 1, '<p>Unapproved words</p>', {ts})",
        i = t.i
    ))
    .await;
    t.sql(&format!(
        "INSERT INTO minutes_approvals (meeting_id, initiative_id, approved_at_meeting_id, approved_at) VALUES ({held}, {i}, {draft}, {ts})",
        i = t.i
    ))
    .await;

    let r = t.app.get(&format!("/p/{KM}/decisions"), None).await;
    ok(&r);
    assert!(r.body.contains("Public decision"), "{}", r.body);
    assert!(r.body.contains("Public decision: statement"));
    assert!(!r.body.contains("Private decision"));
    assert!(!r.body.contains("Open public decision"));
    for name in ["Ada Member", "Ben Member", "secret reason"] {
        assert!(!r.body.contains(name), "{name} on the portal");
    }

    let r = t.app.get(&format!("/p/{KM}/meetings"), None).await;
    ok(&r);
    assert!(
        r.body.contains("Agreed to fund the position."),
        "{}",
        r.body
    );
    assert!(!r.body.contains("First draft"), "only the latest version");
    assert!(!r.body.contains("<script"), "sanitised");
    assert!(!r.body.contains("Unapproved words"));
    assert!(r.body.contains("Next meeting"));
    assert!(r.body.contains("2099-06-05 18:00–20:00 (Asia/Jerusalem)"));
    assert!(r.body.contains("Public decision"));
    assert!(!r.body.contains("Private decision"));
    for name in ["Ada Member", "Ben Member"] {
        assert!(!r.body.contains(name), "{name} on the portal");
    }
    // In Hebrew, right to left.
    let req = axum::http::Request::builder()
        .uri(format!("/p/{KM}/decisions"))
        .header(axum::http::header::ACCEPT_LANGUAGE, "he")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = t.app.send(req).await;
    ok(&r);
    assert!(r.body.contains("dir=\"rtl\""));
    assert!(r.body.contains("פנקס ההחלטות"));
    // Linked from the portal's home.
    let r = t.app.get(&format!("/p/{KM}/"), None).await;
    assert!(r.body.contains(&format!("/p/{KM}/decisions")));
    assert!(r.body.contains(&format!("/p/{KM}/meetings")));
}

async fn meetings_decisions_past_closing_day_and_register_paging(e: Engine) {
    let t = setup(e).await;
    let yesterday = store::now().get().date_naive() - chrono::Days::new(1);
    let late = t
        .app
        .store()
        .create(
            None,
            Some(t.i),
            &Decision {
                body_id: t.body,
                meeting_id: None,
                title: "Closed yesterday".into(),
                proposal: "Between meetings, by email.".into(),
                process: Process::Consent,
                closes_on: Some(yesterday),
                outcome_statement: String::new(),
                review_on: None,
                objective_id: None,
                budget_line_id: None,
                activity_id: None,
                public: false,
            },
        )
        .await
        .unwrap()
        .id;
    let r = t.state(late, t.ada, "agree", "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let msg = r.json()["fields"]["decision"].as_str().unwrap().to_string();
    assert!(msg.contains(&yesterday.to_string()), "{msg}");
    // 60 more: the register pages 50 at a time, newest first.
    let mut ids = vec![late];
    for n in 0..60 {
        ids.push(
            t.decision(
                &format!("Paged decision {n:02}"),
                Process::Vote,
                None,
                false,
            )
            .await,
        );
    }
    let url = format!("{BASE}/decision-register?body_id={}", t.body);
    let r = t.app.api(Method::GET, &url, Some(&t.member), None).await;
    ok(&r);
    let v = r.json();
    assert_eq!(v["total"], 61);
    assert_eq!(v["items"].as_array().unwrap().len(), 50);
    assert_eq!(v["items"][0]["title"], "Paged decision 59");
    let r = t
        .app
        .api(Method::GET, &format!("{url}&page=2"), Some(&t.member), None)
        .await;
    let v = r.json();
    assert_eq!(v["items"].as_array().unwrap().len(), 11);
    assert_eq!(v["items"][10]["title"], "Closed yesterday");
    let r = t
        .app
        .api(
            Method::GET,
            &format!("{url}&outcome=maybe"),
            Some(&t.member),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["fields"]["outcome"].is_string());
    let r = t
        .app
        .get(
            &format!("/i/{KM}/decision-register?body_id={}&page=2", t.body),
            Some(&t.member),
        )
        .await;
    ok(&r);
    assert!(r.body.contains("Closed yesterday"));
    assert!(r.body.contains("rel=\"prev\""));
}

both_engines!(
    meetings_decisions_past_closing_day_and_register_paging,
    meetings_decisions_a_block_stops_consent_until_withdrawn,
    meetings_decisions_stand_aside_in_consensus,
    meetings_decisions_a_tie_in_a_vote_fails,
    meetings_decisions_refuse_non_members_and_others_positions,
    meetings_decisions_the_positions_page_and_its_form,
    meetings_decisions_my_actions_overdue_first,
    meetings_decisions_the_portal_shows_only_what_is_public,
);
