//! Triage, case conferencing and referrals on both engines: scores and
//! re-scoring on a weight change, the agenda's three groups on a crafted list
//! (dates relative to a fixed conference date), notes carried to the next
//! conference, referrals refused by field, and measures on a crafted set with
//! small cells suppressed unless the caller may see them.

use chrono::NaiveDate;
use domain::cases::events::EventKind;
use domain::cases::person::{Person, Race};
use domain::cases::referrals::{Referral, RiskLevel, SplitBy};
use domain::cases::triage::{ConferenceNote, Question};
use domain::partnership::{Organization, Sector};
use store::StoreError;
use store::cases::ListSettings;
use store::cases::events::NewEvent;
use testkit::{Engine, TestApp, both_engines};

const SLUG: &str = "kiryat-malachi";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn setup(app: &TestApp) -> (i64, i64) {
    let i = app.store().initiative_by_slug(SLUG).await.unwrap().id;
    let list = app
        .store()
        .create_case_list(i, None, &ListSettings::named("Triage test"))
        .await
        .unwrap();
    (i, list.id)
}

async fn person(app: &TestApp, i: i64, list: i64, name: &str, ident: Option<&str>) -> i64 {
    let p = Person {
        first_name: Some(name.into()),
        ..Person::default()
    };
    let first = ident.map(|d| NewEvent {
        occurred_on: day(d),
        kind: EventKind::Identified,
        chronic: false,
        supersedes: None,
    });
    app.store()
        .add_case_person(i, list, None, &p, first.as_ref())
        .await
        .unwrap()
}

async fn event(app: &TestApp, i: i64, list: i64, p: i64, on: &str, kind: EventKind) {
    let e = NewEvent {
        occurred_on: day(on),
        kind,
        chronic: false,
        supersedes: None,
    };
    app.store()
        .record_case_event(i, list, p, None, &e, day("2026-03-10"))
        .await
        .unwrap();
}

async fn score_and_rescore(engine: Engine) {
    let app = TestApp::new(engine).await;
    let (i, list) = setup(&app).await;
    let s = app.store();
    let qs = s
        .set_triage_questions(
            i,
            list,
            None,
            &[
                Question {
                    text: "Chronic health condition".into(),
                    weight: 5,
                },
                Question {
                    text: "Over 60".into(),
                    weight: 3,
                },
                Question {
                    text: "Children in the household".into(),
                    weight: 2,
                },
            ],
        )
        .await
        .unwrap();
    let ada = person(&app, i, list, "Ada", Some("2026-01-05")).await;
    let score = s
        .answer_triage(i, ada, None, &[qs[0].id, qs[2].id])
        .await
        .unwrap();
    assert_eq!(score, 7);
    let (_, answers) = s.triage_answers(i, ada).await.unwrap();
    assert_eq!(answers.iter().filter(|a| a.yes).count(), 2);
    // A question of another list is refused.
    assert!(matches!(
        s.answer_triage(i, ada, None, &[999_999]).await,
        Err(StoreError::Invalid(_))
    ));
    // A weight change recomputes every score of the list.
    s.set_triage_questions(
        i,
        list,
        None,
        &[
            Question {
                text: "Chronic health condition".into(),
                weight: 10,
            },
            Question {
                text: "Over 60".into(),
                weight: 3,
            },
            Question {
                text: "Children in the household".into(),
                weight: 1,
            },
        ],
    )
    .await
    .unwrap();
    let roster = s
        .case_roster(
            i,
            list,
            domain::cases::person::Population::All,
            None,
            day("2026-03-10"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        roster
            .iter()
            .find(|r| r.person_id == ada)
            .unwrap()
            .triage_score,
        11
    );
}

async fn agenda_and_notes(engine: Engine) {
    let app = TestApp::new(engine).await;
    let (i, list) = setup(&app).await;
    let s = app.store();
    let on = day("2026-03-10");
    let qs = s
        .set_triage_questions(
            i,
            list,
            None,
            &[Question {
                text: "Risk".into(),
                weight: 9,
            }],
        )
        .await
        .unwrap();
    let new_one = person(&app, i, list, "Nia", Some("2026-03-04")).await;
    let old_new = person(&app, i, list, "Olu", Some("2026-03-03")).await;
    let silent = person(&app, i, list, "Sam", Some("2026-01-01")).await;
    event(&app, i, list, silent, "2026-02-07", EventKind::Contact).await;
    let seen = person(&app, i, list, "Tal", Some("2026-01-01")).await;
    event(&app, i, list, seen, "2026-02-08", EventKind::Contact).await;
    let housed = person(&app, i, list, "Hana", Some("2026-03-05")).await;
    event(&app, i, list, housed, "2026-03-08", EventKind::Housed).await;
    s.answer_triage(i, silent, None, &[qs[0].id]).await.unwrap();
    s.answer_triage(i, housed, None, &[qs[0].id]).await.unwrap();
    let a = s.case_agenda(i, list, on, None).await.unwrap();
    let ids = |g: &[store::cases::conference::AgendaPerson]| {
        g.iter().map(|p| p.person_id).collect::<Vec<_>>()
    };
    assert_eq!(ids(&a.new_this_week), vec![new_one]);
    assert_eq!(ids(&a.no_contact), vec![silent]);
    let top = ids(&a.highest_priority);
    assert_eq!(top[0], silent);
    assert!(!top.contains(&housed));
    assert_eq!(top.len(), 4);
    assert!(top.contains(&old_new));
    assert!(a.new_this_week[0].first_name.is_some());
    // A note at this conference carries to the next one.
    let n = ConferenceNote {
        person_id: silent,
        conference_on: on,
        note: "Not seen at the shelter".into(),
        next_steps: "Outreach to visit the camp".into(),
    };
    s.record_conference_note(i, list, None, &n).await.unwrap();
    let next = s
        .case_agenda(i, list, day("2026-03-17"), None)
        .await
        .unwrap();
    let p = next
        .no_contact
        .iter()
        .find(|p| p.person_id == silent)
        .unwrap();
    assert_eq!(
        p.last_note.as_ref().unwrap().next_steps,
        "Outreach to visit the camp"
    );
    // A person of another list is refused by field.
    let bad = ConferenceNote {
        person_id: 999_999,
        ..n
    };
    match s.record_conference_note(i, list, None, &bad).await {
        Err(StoreError::Invalid(e)) => assert!(e.get("person_id").is_some()),
        other => panic!("{other:?}"),
    }
}

fn referral(race: Race, hood: &str, accepted: bool, days: Option<u64>, outcome: bool) -> Referral {
    let on = day("2026-01-01");
    Referral {
        referral_type: "high-risk pregnancy".into(),
        from_organization_id: None,
        to_organization_id: None,
        person_id: None,
        risk_level: RiskLevel::High,
        race_ethnicity: Some(race),
        neighbourhood: Some(hood.into()),
        referred_on: on,
        accepted_on: accepted.then_some(on),
        first_service_on: days.map(|n| on + chrono::Days::new(n)),
        outcome: outcome.then(|| "served".into()),
        closed_on: None,
        closed_reason: None,
    }
}

async fn referrals_and_measures(engine: Engine) {
    let app = TestApp::new(engine).await;
    let (i, _) = setup(&app).await;
    let s = app.store();
    let org = |name: &str| Organization {
        name: name.into(),
        sector: Sector::CivilSociety,
        identifier: None,
        website: None,
        description: String::new(),
        translations: Default::default(),
    };
    let clinic = s
        .create(None, Some(i), &org("Referral clinic"))
        .await
        .unwrap()
        .id;
    let hospital = s
        .create(None, Some(i), &org("Referral hospital"))
        .await
        .unwrap()
        .id;
    // Organizations must be the initiative's.
    let mut r = referral(Race::White, "North", false, None, false);
    r.from_organization_id = Some(clinic);
    r.to_organization_id = Some(999_999);
    match s.create_referral(i, None, &r).await {
        Err(StoreError::Invalid(e)) => assert!(e.get("to_organization_id").is_some()),
        other => panic!("{other:?}"),
    }
    r.to_organization_id = Some(hospital);
    let row = s.create_referral(i, None, &r).await.unwrap();
    let mut upd = row.referral.clone();
    upd.accepted_on = Some(day("2026-01-02"));
    upd.first_service_on = Some(day("2026-01-04"));
    upd.outcome = Some("served".into());
    let after = s.update_referral(i, row.id, None, &upd).await.unwrap();
    assert_eq!(after.referral.first_service_on, Some(day("2026-01-04")));
    // White, North: 12 (the one above plus 11): 9 accepted, service after 3 (above), 2, 4, 6; 6 outcomes.
    for k in 0..11 {
        let days = [Some(2), Some(4), Some(6)].get(k).copied().flatten();
        s.create_referral(i, None, &referral(Race::White, "North", k < 8, days, k < 5))
            .await
            .unwrap();
    }
    // Black, South: 10: 5 accepted, service after 10 and 20, 2 outcomes.
    for k in 0..10 {
        let days = [Some(10), Some(20)].get(k).copied().flatten();
        s.create_referral(
            i,
            None,
            &referral(Race::BlackAfAmerican, "South", k < 5, days, k < 2),
        )
        .await
        .unwrap();
    }
    // Asian, East: 3 (a small cell).
    for _ in 0..3 {
        s.create_referral(i, None, &referral(Race::Asian, "East", true, Some(1), true))
            .await
            .unwrap();
    }
    let m = s
        .referral_measures(i, SplitBy::RaceEthnicity, None, false)
        .await
        .unwrap();
    assert_eq!(m.reference.as_deref(), Some("white"));
    assert_eq!(m.overall.n, 25);
    let g = |name: &str| m.groups.iter().find(|g| g.group == name).unwrap().clone();
    let w = g("white");
    assert_eq!(w.accepted_pct.value, Some(75.0));
    assert_eq!(w.median_days_to_service.value, Some(3.5));
    assert_eq!(w.outcome_pct.value, Some(50.0));
    let b = g("black_af_american");
    assert_eq!(b.accepted_pct.difference, Some(-25.0));
    assert_eq!(b.median_days_to_service.value, Some(15.0));
    assert_eq!(b.outcome_pct.ratio, Some(0.4));
    // A partner does not see the small cell; a coordinator does.
    let asian = g("asian");
    assert!(asian.suppressed && asian.n.is_none() && asian.accepted_pct.value.is_none());
    let c = s
        .referral_measures(i, SplitBy::RaceEthnicity, None, true)
        .await
        .unwrap();
    let asian = c.groups.iter().find(|g| g.group == "asian").unwrap();
    assert_eq!(asian.n, Some(3));
    assert_eq!(asian.accepted_pct.value, Some(100.0));
    let n = s
        .referral_measures(i, SplitBy::Neighbourhood, Some("South"), false)
        .await
        .unwrap();
    assert_eq!(n.reference.as_deref(), Some("South"));
    let north = n.groups.iter().find(|g| g.group == "North").unwrap();
    assert_eq!(north.accepted_pct.difference, Some(25.0));
}

both_engines!(score_and_rescore, agenda_and_notes, referrals_and_measures);

/// Erasing a person wipes the free text of their referrals (outcome, closed
/// reason) and their conference notes; the referral still counts as having an
/// outcome, so the measures hold.
async fn erasure_reaches_referrals_and_notes(engine: Engine) {
    let app = TestApp::new(engine).await;
    let (i, list) = setup(&app).await;
    let s = app.store();
    let p = person(&app, i, list, "Ottoline", Some("2026-01-05")).await;
    let secret = "Ottoline moved in with her sister on Elm Street";
    let r = Referral {
        referral_type: "Housing navigation".into(),
        from_organization_id: None,
        to_organization_id: None,
        person_id: Some(p),
        risk_level: RiskLevel::High,
        race_ethnicity: Some(Race::Asian),
        neighbourhood: Some("North".into()),
        referred_on: day("2026-01-06"),
        accepted_on: Some(day("2026-01-07")),
        first_service_on: Some(day("2026-01-10")),
        outcome: Some(secret.into()),
        closed_on: Some(day("2026-02-01")),
        closed_reason: Some(format!("{secret}, closed")),
    };
    let row = s.create_referral(i, None, &r).await.unwrap();
    let note = ConferenceNote {
        person_id: p,
        conference_on: day("2026-01-08"),
        note: secret.into(),
        next_steps: secret.into(),
    };
    s.record_conference_note(i, list, None, &note)
        .await
        .unwrap();
    let before = s
        .referral_measures(i, SplitBy::Neighbourhood, None, true)
        .await
        .unwrap();
    s.erase_case_person(i, list, p, None).await.unwrap();
    let after = s.referral(i, row.id).await.unwrap().referral;
    assert_eq!(after.outcome.as_deref(), Some(store::cases::people::ERASED));
    assert_eq!(
        after.closed_reason.as_deref(),
        Some(store::cases::people::ERASED)
    );
    assert_eq!(after.first_service_on, r.first_service_on, "dates stay");
    let measures = s
        .referral_measures(i, SplitBy::Neighbourhood, None, true)
        .await
        .unwrap();
    assert_eq!(measures, before, "the measures hold");
    let agenda = s
        .case_agenda(i, list, day("2026-01-15"), None)
        .await
        .unwrap();
    let everyone = [
        &agenda.new_this_week,
        &agenda.highest_priority,
        &agenda.no_contact,
    ];
    let shown = serde_json::to_string(&everyone).unwrap();
    assert!(!shown.contains("Elm Street"), "{shown}");
}

both_engines!(erasure_reaches_referrals_and_notes);
