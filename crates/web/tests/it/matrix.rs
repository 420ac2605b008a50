//! The access matrix, generated from the router's own table: every route (pages
//! and API) × every kind of caller (anonymous, signed in without a role, each
//! initiative role, the network lead, an admin) × the caller's own initiative
//! and another one. The expected status comes from the route's declared access
//! and `domain::access::decide`; a route without a declared access cannot be
//! added to the router. Every page and API response is also searched for the
//! personal data seeded below, which must not reach a caller the policy
//! redacts it for.

use axum::http::{Method, StatusCode};
use domain::access::{
    Action, Decision, Grants, Role, decide, decide_any, decide_owned, decide_record,
};
use domain::partnership::{Membership, Person, Position};
use domain::resource::{Class, Record, Resource};
use store::records::ListOptions;
use testkit::{Auth, Engine, TestApp, both_engines};
use web::routes::Access;

const OWN: &str = "kiryat-malachi";
const OTHER: &str = "riverside-zero";

/// Personal data seeded in each initiative: a person's email and phone, and a
/// stipend. None of it may reach a caller who may not read it.
const SECRETS: &[&str] = &[
    "matrix.secret@example.org",
    "555 0100 77",
    "987.65",
    "\":98765",
    CASE_NAME,
];

/// The name of a person on a by-name list: only case workers and
/// coordinators (`Action::CaseWork`) may see it.
const CASE_NAME: &str = "Zqmatrixcase";

#[derive(Clone)]
struct Caller {
    name: String,
    auth: Option<Auth>,
    admin: bool,
    lead: bool,
    role: Option<Role>,
    /// The organizations of the own initiative a partner speaks for.
    organizations: Vec<i64>,
}

impl Caller {
    /// The caller's grants over an initiative of the demo network, worked out
    /// here from how the caller was set up (not read back from the store).
    fn grants(&self, slug: &str) -> Grants {
        Grants {
            admin: self.admin,
            network_lead: self.lead,
            roles: match (self.role, slug) {
                (Some(r), OWN) => vec![r],
                _ => vec![],
            },
            organizations: match slug {
                OWN => self.organizations.clone(),
                _ => vec![],
            },
        }
    }
}

/// Ids of the records a path can name in one initiative, by kind path.
struct Ids {
    by_path: Vec<(&'static str, i64)>,
    /// The organization each record a path names belongs to, by kind path
    /// (`Resource::owner`: organizations, services, locations).
    owners: Vec<(&'static str, i64)>,
}

impl Ids {
    fn of(&self, path: &str) -> i64 {
        self.by_path
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, id)| *id)
            .unwrap_or_else(|| panic!("no id for {path}"))
    }
    /// The owner of the record a route names, by the route's path.
    fn owner(&self, route: &str) -> Option<i64> {
        let before = route.split("/{id}").next()?;
        let kind = before.rsplit('/').next()?;
        self.owners
            .iter()
            .find(|(p, _)| *p == kind)
            .map(|(_, o)| *o)
    }
}

async fn seed(app: &TestApp, slug: &str) -> Ids {
    let store = app.store();
    let i = store.initiative_by_slug(slug).await.unwrap();
    let person: Record<Person> = store
        .create(
            None,
            Some(i.id),
            &Person {
                name: "Matrix Person".into(),
                email: Some("matrix.secret@example.org".into()),
                phone: Some("+1 555 0100 77".into()),
                user_id: None,
                public_name_consent_on: None,
            },
        )
        .await
        .unwrap();
    let body = store
        .list::<domain::partnership::Body>(Some(i.id), ListOptions::default())
        .await
        .unwrap()[0]
        .id;
    let membership: Record<Membership> = store
        .create(
            None,
            Some(i.id),
            &Membership {
                body_id: body,
                person_id: person.id,
                organization_id: None,
                position: Position::Member,
                start_date: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                end_date: None,
                stipend_hourly_cents: Some(98765),
                stipend_currency: Some("ILS".into()),
            },
        )
        .await
        .unwrap();
    seed_agenda(store, i.id).await;
    seed_funding(store, i.id).await;
    seed_meetings(store, i.id, body, person.id).await;
    let (call, application) = seed_fund(store, i.id).await;
    let mut by_path = vec![("{call}", call), ("applications", application)];
    for k in web::kinds::KINDS {
        let id = match k.path {
            "people" => person.id,
            "memberships" => membership.id,
            _ => {
                store
                    .names(k.table, k.label, Some(i.id))
                    .await
                    .unwrap()
                    .first()
                    .unwrap_or_else(|| panic!("the demo has no {} in {slug}", k.path))
                    .0
            }
        };
        by_path.push((k.path, id));
    }
    by_path.push(("ledger", seed_ledger(store, i.id).await));
    let series = domain::meetings::records::MeetingSeries {
        body_id: body,
        title: "Matrix series".into(),
        first_start: "2026-01-08T18:00".into(),
        duration_minutes: 60,
        time_zone: "America/Chicago".into(),
        interval_weeks: 4,
        until: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        place: String::new(),
        online_url: None,
    };
    let series = store.schedule_series(None, i.id, &series).await.unwrap();
    by_path.push(("meeting-series", series.series.id));
    let (list, case_person, referral) = seed_cases(store, i.id).await;
    by_path.push(("cases", list));
    by_path.push(("case-people", case_person));
    by_path.push(("referrals", referral));
    // The service and location the paths name belong to the organization
    // they name, so that one partner's own entries are all three.
    let org = by_path
        .iter()
        .find(|(p, _)| *p == "organizations")
        .map(|(_, id)| *id)
        .unwrap();
    let fields = |pairs: &[(&str, &str)]| -> domain::validation::FieldMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let org_s = org.to_string();
    let location = domain::partnership::Location::parse(&fields(&[
        ("organization_id", &org_s),
        ("name", "Matrix location"),
        ("address", "1 Matrix St"),
        ("city", "Lod"),
        ("country", "IL"),
    ]))
    .unwrap();
    let location = store.create(None, Some(i.id), &location).await.unwrap().id;
    let service = domain::partnership::Service::parse(&fields(&[
        ("organization_id", &org_s),
        ("location_id", &location.to_string()),
        ("name", "Matrix service"),
        ("description", ""),
    ]))
    .unwrap();
    let service = store.create(None, Some(i.id), &service).await.unwrap().id;
    for (p, id) in by_path.iter_mut() {
        match *p {
            "services" => *id = service,
            "locations" => *id = location,
            _ => {}
        }
    }
    Ids {
        by_path,
        owners: vec![
            ("organizations", org),
            ("services", org),
            ("locations", org),
        ],
    }
}

/// A by-name list with a person on it (identified), a triage question they
/// answered, a conference note, and a referral whose outcome names them.
async fn seed_cases(store: &store::Store, i: i64) -> (i64, i64, i64) {
    let list = store
        .create_case_list(i, None, &store::cases::ListSettings::named("Matrix list"))
        .await
        .unwrap();
    let person = domain::cases::person::Person {
        first_name: Some(CASE_NAME.into()),
        last_name: Some("Matrixlast".into()),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1990, 5, 4),
        ..Default::default()
    };
    let identified = store::cases::events::NewEvent {
        occurred_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        kind: domain::cases::events::EventKind::Identified,
        chronic: false,
        supersedes: None,
    };
    let id = store
        .add_case_person(i, list.id, None, &person, Some(&identified))
        .await
        .unwrap();
    let q = store
        .set_triage_questions(
            i,
            list.id,
            None,
            &[domain::cases::triage::Question {
                text: "Sleeping outside".into(),
                weight: 5,
            }],
        )
        .await
        .unwrap();
    store.answer_triage(i, id, None, &[q[0].id]).await.unwrap();
    let note = domain::cases::triage::ConferenceNote {
        person_id: id,
        conference_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 6).unwrap(),
        note: format!("{CASE_NAME} asked for a locker"),
        next_steps: "Call the shelter".into(),
    };
    store
        .record_conference_note(i, list.id, None, &note)
        .await
        .unwrap();
    let referral = domain::cases::referrals::Referral {
        referral_type: "Early intervention".into(),
        from_organization_id: None,
        to_organization_id: None,
        person_id: Some(id),
        risk_level: domain::cases::referrals::RiskLevel::High,
        race_ethnicity: None,
        neighbourhood: Some("North".into()),
        referred_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 7).unwrap(),
        accepted_on: None,
        first_service_on: None,
        outcome: Some(format!("{CASE_NAME} was seen")),
        closed_on: None,
        closed_reason: None,
    };
    let referral = store.create_referral(i, None, &referral).await.unwrap();
    (list.id, id, referral.id)
}

/// One record of each meetings kind, so that every meetings route names a real record.
async fn seed_meetings(store: &store::Store, i: i64, body: i64, person: i64) {
    use domain::meetings::records::*;
    let meeting = Meeting {
        body_id: body,
        title: "Matrix meeting".into(),
        starts_at: "2026-03-05T18:00".into(),
        ends_at: "2026-03-05T19:30".into(),
        time_zone: "America/Chicago".into(),
        place: "City hall".into(),
        online_url: None,
        status: MeetingStatus::Held,
    };
    let meeting = store.create(None, Some(i), &meeting).await.unwrap().id;
    let item = AgendaItem {
        meeting_id: meeting,
        position: 1,
        title: "Matrix agenda item".into(),
        description: String::new(),
        presenter_person_id: Some(person),
        minutes_allotted: Some(20),
        objective_id: None,
        indicator_id: None,
        activity_id: None,
    };
    store.create(None, Some(i), &item).await.unwrap();
    let decision = Decision {
        body_id: body,
        meeting_id: Some(meeting),
        title: "Matrix decision".into(),
        proposal: "Fund the outreach position for two years.".into(),
        process: Process::Consent,
        closes_on: None,
        outcome_statement: String::new(),
        review_on: None,
        objective_id: None,
        budget_line_id: None,
        activity_id: None,
        public: true,
    };
    let decision = store.create(None, Some(i), &decision).await.unwrap().id;
    let action = ActionItem {
        body_id: body,
        title: "Matrix action".into(),
        meeting_id: Some(meeting),
        decision_id: Some(decision),
        owner_person_id: Some(person),
        owner_organization_id: None,
        due_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 19).unwrap(),
        status: ActionStatus::Open,
        notes: String::new(),
    };
    store.create(None, Some(i), &action).await.unwrap();
}

/// One record of each funding kind, so that every funding route names a real record.
async fn seed_funding(store: &store::Store, i: i64) {
    use domain::funding::records::*;
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let org = store.names("organizations", "name", Some(i)).await.unwrap()[0].0;
    let funder = store
        .create(
            None,
            Some(i),
            &Funder {
                name: "Matrix funder".into(),
                organization_id: org,
                keeps_own_grants: "Yes.".into(),
                pays_for: "Positions.".into(),
                priorities: "With the partners.".into(),
                answers_public: true,
            },
        )
        .await
        .unwrap();
    let item = store
        .create(
            None,
            Some(i),
            &CostItem {
                name: "Matrix position".into(),
                kind: CostKind::Position,
                currency: "USD".into(),
                recurring: true,
                description: String::new(),
            },
        )
        .await
        .unwrap();
    let c = Commitment {
        title: "Matrix commitment".into(),
        funder_id: funder.id,
        amount_minor: 1_000_000,
        currency: "USD".into(),
        starts_on: d("2026-01-01"),
        ends_on: d("2027-12-31"),
        status: CommitmentStatus::Signed,
        signed_on: Some(d("2025-12-01")),
        objective_id: None,
        activity_id: None,
        cost_item_id: Some(item.id),
        reference: String::new(),
    };
    store.create(None, Some(i), &c).await.unwrap();
    let line = BudgetLine {
        name: "Matrix line".into(),
        year: 2026,
        amount_minor: 500_000,
        currency: "USD".into(),
        objective_id: None,
        activity_id: None,
        cost_item_id: Some(item.id),
    };
    store.create(None, Some(i), &line).await.unwrap();
    let publication = FundingPublication {
        publish_transitions: true,
        publish_book: true,
        note: String::new(),
    };
    if store
        .names("funding_publications", "note", Some(i))
        .await
        .unwrap()
        .is_empty()
    {
        store.create(None, Some(i), &publication).await.unwrap();
    }
}

/// A fund call and an application to it (the fund's pages name both).
async fn seed_fund(store: &store::Store, i: i64) -> (i64, i64) {
    use domain::funding::fund::FundCall;
    let today = store::now().get().date_naive();
    let org = store.names("organizations", "name", Some(i)).await.unwrap()[0].0;
    let call = FundCall {
        name: "Matrix call".into(),
        description: String::new(),
        budget_minor: 1_000_000,
        currency: "USD".into(),
        criteria: "need=50;impact=50".into(),
        eligibility: String::new(),
        opens_on: today,
        closes_on: today,
        organization_id: org,
        sdg: String::new(),
    };
    let call = store.create(None, Some(i), &call).await.unwrap().id;
    let applicant = store
        .create_user(
            &format!("matrix.applicant.{i}@example.org"),
            "Applicant",
            None,
            false,
        )
        .await
        .unwrap();
    let fields: domain::validation::FieldMap = [
        ("organization_name", "Matrix group"),
        ("contact_name", "Applicant"),
        ("contact_email", "matrix.secret@example.org"),
        ("title", "Matrix project"),
        ("description", "A project."),
        ("amount", "100"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (application, _) = store
        .submit_application(
            i,
            call,
            store::funding::fund::Applicant::Account(applicant.id),
            &fields,
            today,
        )
        .await
        .unwrap();
    (call, application)
}

/// One record of each agenda kind (where the demo has none), and a round
/// holding an accepted idea, so that every agenda route names a real record.
async fn seed_agenda(store: &store::Store, i: i64) {
    use domain::agenda::*;
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let has = |table: &'static str, label: &'static str| async move {
        !store.names(table, label, Some(i)).await.unwrap().is_empty()
    };
    if !has("visions", "statement").await {
        let v = Vision {
            statement: "Matrix vision".into(),
            agreed_on: None,
            public: true,
        };
        store.create(None, Some(i), &v).await.unwrap();
    }
    let sphere = store
        .create(
            None,
            Some(i),
            &Sphere {
                name: "Matrix sphere".into(),
                parent_id: None,
                description: String::new(),
            },
        )
        .await
        .unwrap();
    let idea = store
        .create(
            None,
            Some(i),
            &Idea {
                title: "Matrix idea".into(),
                description: String::new(),
                status: IdeaStatus::Accepted,
                source: IdeaSource::Member,
                submitted_by: None,
                language: "en".into(),
            },
        )
        .await
        .unwrap();
    let objective = store
        .create(
            None,
            Some(i),
            &Objective {
                title: "Matrix objective".into(),
                description: String::new(),
                sphere_id: Some(sphere.id),
                status: ObjectiveStatus::Agreed,
                status_on: d("2026-01-01"),
                body_id: None,
                idea_id: Some(idea.id),
                sdg: "4.2".into(),
                public: true,
            },
        )
        .await
        .unwrap();
    let today = store::now().get().date_naive();
    let round = store
        .create(
            None,
            Some(i),
            &Round {
                title: "Matrix round".into(),
                description: String::new(),
                picks: 1,
                opens_on: today,
                closes_on: today,
                follows_round_id: None,
                public: true,
            },
        )
        .await
        .unwrap();
    store
        .set_round_ideas(None, i, round.id, &[idea.id])
        .await
        .unwrap();
    let activity = store
        .create(
            None,
            Some(i),
            &Activity {
                title: "Matrix activity".into(),
                description: String::new(),
                sphere_id: Some(sphere.id),
                objective_id: Some(objective.id),
                body_id: None,
                lead_organization_id: None,
                start_on: d("2026-01-01"),
                end_on: None,
                status: ActivityStatus::Active,
                public: true,
            },
        )
        .await
        .unwrap();
    let org = store.names("organizations", "name", Some(i)).await.unwrap()[0].0;
    store
        .create(
            None,
            Some(i),
            &Contribution {
                activity_id: activity.id,
                organization_id: org,
                note: String::new(),
            },
        )
        .await
        .unwrap();
    store
        .create(
            None,
            Some(i),
            &Milestone {
                activity_id: activity.id,
                title: "Matrix milestone".into(),
                due_on: d("2026-02-01"),
                done_on: None,
            },
        )
        .await
        .unwrap();
}

/// What a route must answer, and whether the caller may see personal data there.
enum Expect {
    /// Anything but a server error (public routes such as sign-in).
    Answer,
    /// Not signed in: the API answers 401, pages send to the sign-in form.
    SignIn,
    Status(StatusCode),
    /// Allowed: not refused (no 401, 403 or 404).
    Allowed,
}

/// `owner`: the organization the record a route names belongs to.
fn expectation(access: Access, who: &Caller, slug: &str, owner: Option<i64>) -> Expect {
    if who.auth.is_none() && access != Access::Public {
        return Expect::SignIn;
    }
    match access {
        Access::Public => Expect::Answer,
        Access::Account => Expect::Answer,
        Access::Admin if who.admin => Expect::Allowed,
        Access::Admin => Expect::Status(StatusCode::FORBIDDEN),
        Access::Initiative(action, kind) => status(decide_record(&who.grants(slug), action, kind)),
        // A route on one record decides with the record's owner; a route that
        // names none (a new record) lets through whoever may write some.
        Access::Owned(action, kind) => {
            let g = who.grants(slug);
            let d = decide_record(&g, action, kind);
            status(match owner {
                _ if d.allowed() => d,
                Some(o) => decide_owned(&g, action, kind, Some(o)),
                None => decide_any(&g, action, kind),
            })
        }
    }
}

fn status(d: Decision) -> Expect {
    match d {
        Decision::Allow | Decision::Redact => Expect::Allowed,
        Decision::Forbidden => Expect::Status(StatusCode::FORBIDDEN),
        Decision::Hidden => Expect::Status(StatusCode::NOT_FOUND),
    }
}

/// Fill a route's parameters for one initiative.
async fn fill(app: &TestApp, path: &str, slug: &str, ids: &Ids, who: &Caller) -> String {
    let mut out = path.replace("{slug}", slug);
    if out.contains("{id}") {
        let before = out.split("/{id}").next().unwrap_or("");
        let segment = before.rsplit('/').next().unwrap_or("");
        let id = match segment {
            "networks" => {
                app.store()
                    .list::<domain::partnership::Network>(None, ListOptions::default())
                    .await
                    .unwrap()[0]
                    .id
            }
            "invitations" => {
                let i = app.store().initiative_by_slug(slug).await.unwrap();
                app.store()
                    .create_invitation(
                        None,
                        "invitee@example.org",
                        Some(i.id),
                        Some(Role::Viewer),
                        false,
                    )
                    .await
                    .unwrap();
                app.store().open_invitations(i.id).await.unwrap()[0].id
            }
            "tokens" => match &who.auth {
                Some(a) => {
                    app.store()
                        .create_api_token(a.user_id, "throwaway")
                        .await
                        .unwrap()
                        .0
                }
                None => 1,
            },
            "transitions" => cost_item_id(ids),
            kind => ids
                .by_path
                .iter()
                .find(|(p, _)| *p == kind)
                .map(|(_, id)| *id)
                .unwrap_or_else(|| panic!("no id for {path}")),
        };
        out = out.replace("{id}", &id.to_string());
    }
    if let Some((_, call)) = ids.by_path.iter().find(|(p, _)| *p == "{call}") {
        out = out.replace("{call}", &call.to_string());
    }
    if out.contains("{code}") {
        // An indicator of the initiative, by its code (the measurement pages).
        let i = app.store().initiative_by_slug(slug).await.unwrap();
        let code = app.store().indicators(i.id).await.unwrap()[0]
            .data
            .code
            .clone();
        out = out.replace("{code}", &code);
    }
    out.replace("{token}", "no-such-invitation-0000000000000000")
}

/// A cost item of the initiative (the funding transitions' pages).
fn cost_item_id(ids: &Ids) -> i64 {
    ids.by_path
        .iter()
        .find(|(p, _)| *p == "cost-items")
        .map(|(_, id)| *id)
        .expect("a cost item")
}

async fn call(app: &TestApp, method: &Method, path: &str, who: &Caller) -> testkit::Res {
    let api = path.starts_with("/api/");
    // Signing out ends a session: use a session of its own.
    let auth = match (&who.auth, path) {
        (Some(a), "/logout") => {
            let (secret, csrf) = app.store().create_session(a.user_id).await.unwrap();
            Some(Auth {
                cookie: Some(format!("bb_session={secret}")),
                csrf,
                ..a.clone()
            })
        }
        (a, _) => a.clone(),
    };
    // Writes carry a stale version and no fields: an allowed caller gets 409 or
    // 422, so nothing changes as the matrix runs.
    if api {
        let body = match *method {
            Method::GET => None,
            _ => Some(serde_json::json!({"version": 0})),
        };
        app.api(method.clone(), path, auth.as_ref(), body).await
    } else if *method == Method::GET {
        app.get(path, auth.as_ref()).await
    } else {
        let a = auth.unwrap_or_default();
        app.post_form(path, &a, &[("_version", "0")]).await
    }
}

/// Routes where an allowed caller may still get 404 because the path names
/// nothing that exists (an archived initiative to restore; an upload's job,
/// which exists only for the caller who uploaded).
const MAY_FIND_NOTHING: &[&str] = &[
    "/api/v1/initiatives/{slug}/restore",
    "/initiatives/{slug}/restore",
    "/i/{slug}/measurement/import/{job}",
];

async fn every_route_for_every_role(e: Engine) {
    let app = TestApp::new(e).await;
    let own_ids = seed(&app, OWN).await;
    let other_ids = seed(&app, OTHER).await;
    let network = app
        .store()
        .initiative_by_slug(OWN)
        .await
        .unwrap()
        .data
        .network_id
        .unwrap();
    let mut callers = vec![Caller {
        name: "anonymous".into(),
        auth: None,
        admin: false,
        lead: false,
        role: None,
        organizations: vec![],
    }];
    callers.push(Caller {
        name: "no role".into(),
        auth: Some(app.user("none@example.org", false, &[]).await),
        admin: false,
        lead: false,
        role: None,
        organizations: vec![],
    });
    for r in Role::ALL {
        callers.push(Caller {
            name: r.as_str().into(),
            auth: Some(
                app.user(&format!("{}@example.org", r.as_str()), false, &[(OWN, *r)])
                    .await,
            ),
            admin: false,
            lead: false,
            role: Some(*r),
            organizations: vec![],
        });
    }
    // Partners who speak for an organization: one for the organization that
    // owns the records the paths name (its entries are theirs to edit), one
    // for another organization (those entries are not).
    let own_initiative = app.store().initiative_by_slug(OWN).await.unwrap();
    let theirs = vec![own_ids.of("organizations")];
    let elsewhere = app
        .store()
        .create(
            None,
            Some(own_initiative.id),
            &domain::partnership::Organization::parse(
                &[
                    ("name", "Zzmatrix partner organization"),
                    ("sector", "civil_society"),
                    ("description", ""),
                ]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    for (name, orgs) in [
        ("partner of its organization", theirs),
        ("partner of another organization", vec![elsewhere]),
    ] {
        let auth = app
            .user(
                &format!("{}@example.org", name.replace(' ', ".")),
                false,
                &[],
            )
            .await;
        app.store()
            .grant_role_for(
                None,
                auth.user_id,
                own_initiative.id,
                Role::Partner,
                Some(orgs[0]),
            )
            .await
            .unwrap();
        callers.push(Caller {
            name: name.into(),
            auth: Some(auth),
            admin: false,
            lead: false,
            role: Some(Role::Partner),
            organizations: orgs,
        });
    }
    let lead = app.user("lead@example.org", false, &[]).await;
    app.store()
        .grant_network_lead(lead.user_id, network)
        .await
        .unwrap();
    callers.push(Caller {
        name: "network lead".into(),
        auth: Some(lead),
        admin: false,
        lead: true,
        role: None,
        organizations: vec![],
    });
    callers.push(Caller {
        name: "admin".into(),
        auth: Some(app.user("admin@example.org", true, &[]).await),
        admin: true,
        lead: false,
        role: None,
        organizations: vec![],
    });

    let table = web::route_table();
    assert!(table.len() > 100, "the table holds every route");
    let mut failures = vec![];
    let mut requests = 0;
    for route in &table {
        let slugs: &[&str] = if route.path.contains("{slug}") {
            &[OWN, OTHER]
        } else {
            &[OWN]
        };
        for who in &callers {
            for slug in slugs {
                let ids = if *slug == OWN { &own_ids } else { &other_ids };
                let path = fill(&app, &route.path, slug, ids, who).await;
                let res = call(&app, &route.method, &path, who).await;
                requests += 1;
                let what = format!("{} {} as {} ({})", route.method, path, who.name, route.path);
                let s = res.status;
                if s.is_server_error() {
                    failures.push(format!("{what}: {s}"));
                    continue;
                }
                let api = path.starts_with("/api/");
                let owner = if route.path.contains("{id}") {
                    ids.owner(&route.path)
                } else {
                    None
                };
                let ok = match expectation(route.access, who, slug, owner) {
                    Expect::Answer => true,
                    Expect::SignIn if api => s == StatusCode::UNAUTHORIZED,
                    Expect::SignIn => {
                        s == StatusCode::SEE_OTHER && res.location().starts_with("/login")
                    }
                    Expect::Status(want) => s == want,
                    Expect::Allowed => {
                        !matches!(s, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
                            && (s != StatusCode::NOT_FOUND
                                || MAY_FIND_NOTHING.contains(&route.path.as_str()))
                    }
                };
                if !ok {
                    failures.push(format!("{what}: got {s}"));
                }
                // Personal data reaches only those the policy shows it to.
                let g = who.grants(slug);
                let sees_contact =
                    decide(&g, Action::Read, Person::KIND, Class::Contact) == Decision::Allow;
                let sees_pay =
                    decide(&g, Action::Read, Membership::KIND, Class::Pay) == Decision::Allow;
                let works_cases = decide_record(&g, Action::CaseWork, "case_person").allowed();
                let shown: Vec<&&str> = SECRETS
                    .iter()
                    .filter(|m| res.body.contains(**m))
                    .filter(|m| {
                        if **m == CASE_NAME {
                            !works_cases
                        } else if m.contains('@') || m.contains("555") {
                            !sees_contact
                        } else {
                            !sees_pay
                        }
                    })
                    .collect();
                if !shown.is_empty() {
                    failures.push(format!("{what}: shows {shown:?}"));
                }
            }
        }
    }
    println!(
        "access matrix: {requests} requests, {} routes × {} callers × own and other initiative",
        table.len(),
        callers.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {requests} requests broke the access matrix:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every route is declared with the access it needs, and each initiative route
/// names the initiative in its path.
#[test]
fn every_route_declares_its_access() {
    for r in web::route_table() {
        if let Access::Initiative(..) | Access::Owned(..) = r.access {
            assert!(
                r.path.contains("{slug}"),
                "{} {} decides on an initiative but names none",
                r.method,
                r.path
            );
        }
        if r.path.starts_with("/i/{slug}") || r.path.starts_with("/api/v1/initiatives/{slug}") {
            assert!(
                matches!(
                    r.access,
                    Access::Initiative(..) | Access::Owned(..) | Access::Admin
                ),
                "{} {} is inside an initiative but not decided by the policy",
                r.method,
                r.path
            );
        }
    }
}

both_engines!(every_route_for_every_role);

/// Handlers reach an initiative's data only through `web::access` (the
/// `Registry` a decision hands out, or `Published` for the portal): a page or
/// API handler that calls the store for initiative-scoped data directly fails
/// here, so a forgotten decision cannot slip in unnoticed.
/// Calls to the store for initiative-scoped data in `text` (whitespace removed).
fn direct_store_calls(text: &str) -> Vec<String> {
    const SCOPED_FIRST: &[&str] = &["list", "get", "count"];
    const SCOPED_SECOND: &[&str] = &["create", "update", "set_archived"];
    const ALWAYS: &[&str] = &[
        "at_the_table",
        "members",
        "audit",
        "initiative_users",
        "open_invitations",
        "revoke_invitation",
        "initiative_view",
        "names",
    ];
    let mut found = vec![];
    for (at, _) in text.match_indices(".store.") {
        let rest = &text[at + ".store.".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(open) = rest.find('(') else { continue };
        // Top-level arguments of the call.
        let mut depth = 0;
        let mut args = vec![String::new()];
        for c in rest[open + 1..].chars() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => break,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    args.push(String::new());
                    continue;
                }
                _ => {}
            }
            args.last_mut().unwrap().push(c);
        }
        let scoped = |i: usize| args.get(i).is_some_and(|a| a.starts_with("Some("));
        if ALWAYS.contains(&name.as_str())
            || (SCOPED_FIRST.contains(&name.as_str()) && scoped(0))
            || (SCOPED_SECOND.contains(&name.as_str()) && scoped(1))
        {
            found.push(format!("store.{name}({})", args.join(", ")));
        }
    }
    found
}

#[test]
fn handlers_reach_initiative_data_only_through_the_policy() {
    // The scanner itself finds what it looks for.
    assert_eq!(
        direct_store_calls("s.store.list::<Person>(Some(i.id),opts)").len(),
        1
    );
    assert_eq!(
        direct_store_calls("s.store.update(Some(u.id),Some(i.id),id,v,&x)").len(),
        1
    );
    assert_eq!(
        direct_store_calls("s.store.members(i.id,None,None)").len(),
        1
    );
    assert!(direct_store_calls("s.store.get::<Network>(None,id)").is_empty());
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    for dir in ["pages", "api"] {
        for e in std::fs::read_dir(src.join(dir)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    assert!(files.len() > 5);
    let mut found = vec![];
    for f in files {
        let text: String = std::fs::read_to_string(&f)
            .unwrap()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        for call in direct_store_calls(&text) {
            found.push(format!("{}: {call}", f.display()));
        }
    }
    assert!(
        found.is_empty(),
        "handlers reach initiative data without the policy:\n{}",
        found.join("\n")
    );
}

/// The OpenAPI document describes every API route the router serves, with its
/// method: a generated client or a fuzzer sees the whole API.
#[test]
fn openapi_describes_every_api_route() {
    let doc = web::api::openapi::build();
    let mut missing = vec![];
    for r in web::route_table() {
        if !r.path.starts_with("/api/v1/") {
            continue;
        }
        let method = r.method.as_str().to_ascii_lowercase();
        if doc["paths"][&r.path][&method].is_null() {
            missing.push(format!("{} {}", r.method, r.path));
        }
    }
    assert!(missing.is_empty(), "not in /api/openapi.json: {missing:?}");
}

/// A ledger entry, so that `…/ledger/{id}/reverse` names a real one.
async fn seed_ledger(store: &store::Store, i: i64) -> i64 {
    let e = domain::funding::ledger::NewEntry {
        entry_date: chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
        kind: domain::funding::ledger::EntryKind::Expense,
        amount_minor: 1_000,
        currency: "ILS".into(),
        funder_id: None,
        payer: String::new(),
        payee: "Matrix supplier".into(),
        budget_line_id: None,
        commitment_id: None,
        reference: String::new(),
        attachment: String::new(),
    };
    let w = store.write_ledger(i, None, "test", &[e]).await.unwrap();
    store.ledger_batch(i, w.batch_id).await.unwrap()[0].id
}
