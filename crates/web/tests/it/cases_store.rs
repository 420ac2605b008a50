//! The cases store on both engines, against figures worked out by hand:
//! events that do not fit (refused by field, nothing written), corrections and
//! voids, the cut-off, the spells behind the list's statuses, submitted
//! reports and the balance check, functional zero with a short history, the
//! inactivity job, erasure, the idempotent import, and an audit log free of
//! personal data.

use chrono::NaiveDate;
use domain::cases::events::{EventKind, Source};
use domain::cases::person::{Person, Population};
use domain::cases::report::{Month, MonthlyReport, Tenths};
use store::cases::events::NewEvent;
use store::cases::import::Incoming;
use store::cases::people::Status;
use store::cases::{CaseList, ListSettings};
use store::{Store, StoreError};
use testkit::{Engine, TestApp, both_engines};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
fn m(s: &str) -> Month {
    Month::parse(s).unwrap()
}
fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}
fn ev(on: &str, kind: EventKind) -> NewEvent {
    NewEvent {
        occurred_on: d(on),
        kind,
        chronic: false,
        supersedes: None,
    }
}
fn person(last: &str) -> Person {
    Person {
        first_name: Some("Test".into()),
        last_name: Some(last.into()),
        ..Default::default()
    }
}
/// The field a refusal names, and its code.
fn refused(e: StoreError) -> (String, &'static str) {
    match e {
        StoreError::Invalid(f) => {
            let (k, v) = f.0.into_iter().next().expect("one field");
            (k, v.code)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
/// Seconds pass between writes whose order the cut-off must see
/// (timestamps are whole seconds).
async fn next_second() {
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

struct Ctx {
    app: TestApp,
    initiative: i64,
}

impl Ctx {
    async fn new(e: Engine) -> Ctx {
        let app = TestApp::new(e).await;
        let initiative = app
            .store()
            .initiative_by_slug("riverside-zero")
            .await
            .unwrap()
            .id;
        Ctx { app, initiative }
    }
    fn s(&self) -> &Store {
        self.app.store()
    }
    async fn list(&self, name: &str) -> CaseList {
        self.s()
            .create_case_list(self.initiative, None, &ListSettings::named(name))
            .await
            .unwrap()
    }
    async fn add(&self, list: i64, p: &Person, identified: &str) -> i64 {
        self.s()
            .add_case_person(
                self.initiative,
                list,
                None,
                p,
                Some(&ev(identified, EventKind::Identified)),
            )
            .await
            .unwrap()
    }
    async fn record(&self, list: i64, p: i64, e: &NewEvent) -> Result<i64, StoreError> {
        self.s()
            .record_case_event(self.initiative, list, p, None, e, today())
            .await
            .map(|e| e.id)
    }
    async fn month(&self, list: i64, pop: Population, mo: &str) -> MonthlyReport {
        self.s()
            .case_monthly(self.initiative, list, pop, m(mo), m(mo), None)
            .await
            .unwrap()
            .remove(0)
    }
    async fn status(&self, list: i64, p: i64) -> Status {
        self.s()
            .case_roster(self.initiative, list, Population::All, None, today(), None)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.person_id == p)
            .expect("on the roster")
            .status
    }
    async fn audit_count(&self) -> usize {
        self.s()
            .audit(&store::audit::Filter {
                initiative: Some(self.initiative),
                limit: 100_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .len()
    }
}

async fn misfits_are_refused_by_field_and_write_nothing(e: Engine) {
    let c = Ctx::new(e).await;
    let l = c.list("Misfits").await.id;
    let p = c.add(l, &person("Misfit"), "2025-01-10").await;
    assert_eq!(c.status(l, p).await, Status::Active);
    let events = c.s().case_events(l, p).await.unwrap().len();
    let audits = c.audit_count().await;
    let cases = [
        // Contact before the person was identified: not on the list then.
        (ev("2025-01-05", EventKind::Contact), "kind", "not_active"),
        // Identified again while active.
        (
            ev("2025-02-01", EventKind::Identified),
            "kind",
            "already_active",
        ),
        // Housed before identification.
        (ev("2024-12-31", EventKind::Housed), "kind", "not_active"),
        // In the future.
        (
            ev("2999-01-01", EventKind::Contact),
            "occurred_on",
            "future",
        ),
        // Void of nothing.
        (ev("2025-02-01", EventKind::Void), "supersedes", "required"),
        // Correcting an event that is not this person's.
        (
            NewEvent {
                supersedes: Some(999_999),
                ..ev("2025-02-01", EventKind::Contact)
            },
            "supersedes",
            "unknown",
        ),
    ];
    for (new, field, code) in cases {
        let (f, k) = refused(c.record(l, p, &new).await.unwrap_err());
        assert_eq!((f.as_str(), k), (field, code), "{new:?}");
    }
    assert_eq!(c.s().case_events(l, p).await.unwrap().len(), events);
    assert_eq!(c.audit_count().await, audits);
    // A housed that fits: the spell ends, the status follows.
    c.record(l, p, &ev("2025-03-01", EventKind::Housed))
        .await
        .unwrap();
    assert_eq!(c.status(l, p).await, Status::Housed);
    // A backdated housed before it would strand the later one.
    let (f, k) = refused(
        c.record(l, p, &ev("2025-02-01", EventKind::Housed))
            .await
            .unwrap_err(),
    );
    assert_eq!((f.as_str(), k), ("kind", "not_active"));
    assert_eq!(c.s().case_events(l, p).await.unwrap().len(), events + 1);
}

async fn corrections_voids_and_the_cut_off(e: Engine) {
    let c = Ctx::new(e).await;
    let l = c.list("Corrections").await.id;
    let p = c.add(l, &person("Corrected"), "2025-01-10").await;
    let housed = c
        .record(l, p, &ev("2025-03-20", EventKind::Housed))
        .await
        .unwrap();
    let recorded = c.s().case_events(l, p).await.unwrap();
    let first_at = recorded
        .iter()
        .find(|e| e.event.id == housed)
        .unwrap()
        .event
        .recorded_at;
    // 10 January → 20 March: 21 + 28 + 20 = 69 days.
    let mar = c.month(l, Population::All, "2025-03").await;
    assert_eq!((mar.housing_placements, mar.actively_homeless), (1, 0));
    assert_eq!(mar.avg_days_identification_to_housing, Some(Tenths(690)));
    assert_eq!(c.status(l, p).await, Status::Housed);

    next_second().await;
    // The housing date was 5 April: a correction supersedes it.
    let fix = c
        .record(
            l,
            p,
            &NewEvent {
                supersedes: Some(housed),
                ..ev("2025-04-05", EventKind::Housed)
            },
        )
        .await
        .unwrap();
    let mar = c.month(l, Population::All, "2025-03").await;
    assert_eq!((mar.housing_placements, mar.actively_homeless), (0, 1));
    let apr = c.month(l, Population::All, "2025-04").await;
    // 10 January → 5 April: 21 + 28 + 31 + 5 = 85 days.
    assert_eq!(apr.housing_placements, 1);
    assert_eq!(apr.avg_days_identification_to_housing, Some(Tenths(850)));
    // At a cut-off before the correction, March shows the old figures.
    let old = c
        .s()
        .case_monthly(
            c.initiative,
            l,
            Population::All,
            m("2025-03"),
            m("2025-04"),
            Some(first_at.into()),
        )
        .await
        .unwrap();
    assert_eq!(
        (old[0].housing_placements, old[0].actively_homeless),
        (1, 0)
    );
    assert_eq!(old[0].avg_days_identification_to_housing, Some(Tenths(690)));
    assert_eq!(old[1].housing_placements, 0);
    // Superseding the same event twice is refused: correct the correction.
    let (f, k) = refused(
        c.record(
            l,
            p,
            &NewEvent {
                supersedes: Some(housed),
                ..ev("2025-04-06", EventKind::Housed)
            },
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((f.as_str(), k), ("supersedes", "already_corrected"));

    // A void cancels the correction: the person is on the list again.
    c.record(
        l,
        p,
        &NewEvent {
            supersedes: Some(fix),
            ..ev("2025-04-05", EventKind::Void)
        },
    )
    .await
    .unwrap();
    assert_eq!(c.status(l, p).await, Status::Active);
    let apr = c.month(l, Population::All, "2025-04").await;
    assert_eq!((apr.housing_placements, apr.actively_homeless), (0, 1));
    assert_eq!(apr.avg_days_identification_to_housing, None);
    let rows = c.s().case_events(l, p).await.unwrap();
    assert_eq!(rows.len(), 4, "append-only: nothing deleted");
    let by = |id: i64| rows.iter().find(|r| r.event.id == id).unwrap();
    assert_eq!(by(housed).superseded_by, Some(fix));
    assert!(by(fix).superseded_by.is_some());
}

async fn submitted_reports_freeze_and_the_balance_shows_backdating(e: Engine) {
    let c = Ctx::new(e).await;
    let l = c.list("Balance").await.id;
    c.add(l, &person("Early"), "2025-01-05").await;
    let s = c
        .s()
        .submit_case_report(
            c.initiative,
            l,
            Population::All,
            m("2025-01"),
            None,
            today(),
        )
        .await
        .unwrap();
    assert_eq!(s.report.actively_homeless, 1);
    // Once only; and only a month that is over.
    let again = c
        .s()
        .submit_case_report(
            c.initiative,
            l,
            Population::All,
            m("2025-01"),
            None,
            today(),
        )
        .await
        .unwrap_err();
    assert_eq!(refused(again), ("month".to_string(), "submitted"));
    let early = c
        .s()
        .submit_case_report(
            c.initiative,
            l,
            Population::All,
            Month::of(today()),
            None,
            today(),
        )
        .await
        .unwrap_err();
    assert_eq!(refused(early), ("month".to_string(), "not_over"));

    next_second().await;
    // Found later: someone on the street since 20 January.
    let late = c.add(l, &person("Late"), "2025-01-20").await;
    let late_event = c.s().case_events(l, late).await.unwrap()[0].event.id;
    // January as computed now counts both; as submitted, one.
    assert_eq!(
        c.month(l, Population::All, "2025-01")
            .await
            .actively_homeless,
        2
    );
    let frozen = c
        .s()
        .submitted_case_reports(c.initiative, l, Population::All)
        .await
        .unwrap();
    assert_eq!(frozen.len(), 1);
    assert_eq!(frozen[0].report.actively_homeless, 1);
    assert_eq!(frozen[0].report.newly_identified, 1);
    // February: 1 submitted + 0 in − 0 out = 1 expected, 2 computed: gap 1,
    // explained by the backdated identification.
    let b = c
        .s()
        .case_balance(c.initiative, l, Population::All, m("2025-02"))
        .await
        .unwrap()
        .expect("January was submitted");
    assert_eq!(b.balance.submitted_previous_active, 1);
    assert_eq!((b.balance.inflow, b.balance.outflow), (0, 0));
    assert_eq!((b.balance.expected, b.balance.computed_active), (1, 2));
    assert_eq!(b.balance.gap, 1);
    assert_eq!(
        b.backdated.iter().map(|x| x.event_id).collect::<Vec<_>>(),
        [late_event]
    );
    assert_eq!(b.backdated[0].person_id, late);
    // No balance for a month whose previous month was not submitted.
    assert!(
        c.s()
            .case_balance(c.initiative, l, Population::All, m("2025-04"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn functional_zero_with_a_short_history(e: Engine) {
    let c = Ctx::new(e).await;
    let l = c.list("Veterans").await.id;
    let mut vets = vec![];
    for n in 0..10 {
        let p = Person {
            veteran: Some(true),
            ..person(&format!("Veteran {n}"))
        };
        vets.push(c.add(l, &p, "2025-03-03").await);
    }
    for p in &vets[..8] {
        c.record(l, *p, &ev("2025-04-10", EventKind::Housed))
            .await
            .unwrap();
    }
    let z = c
        .s()
        .case_functional_zero(c.initiative, l, m("2025-02"), m("2025-04"))
        .await
        .unwrap();
    assert_eq!(z.len(), 3);
    // February, before any history: 0 veterans, threshold 3.
    assert_eq!(z[0].veterans.actual, 0);
    assert_eq!(z[0].veterans.threshold, Tenths(30));
    assert!(z[0].veterans.achieved);
    // March: 10 active, no placement in the one month of history: 3.
    assert_eq!(z[1].veterans.actual, 10);
    assert_eq!(z[1].veterans.threshold, Tenths(30));
    assert!(!z[1].veterans.achieved);
    assert_eq!(z[1].veterans.held_months, 0);
    // April: 8 placed over the 2 months of history → mean 4.0 (not 8 / 6);
    // 2 active < 4.
    assert_eq!(z[2].veterans.actual, 2);
    assert_eq!(z[2].veterans.threshold, Tenths(40));
    assert!(z[2].veterans.achieved);
    assert_eq!(z[2].veterans.held_months, 1);
    // No one chronic: 0 ≤ 3 all along.
    assert!(
        z.iter()
            .all(|m| m.chronic.actual == 0 && m.chronic.achieved)
    );
    assert_eq!(z[2].chronic.held_months, 3);
}

async fn the_inactivity_job_runs_once(e: Engine) {
    let c = Ctx::new(e).await;
    let l = c.list("Inactivity").await;
    assert_eq!(l.inactivity_days, 90);
    let p = c.add(l.id, &person("Quiet"), "2025-01-31").await;
    c.record(l.id, p, &ev("2025-02-10", EventKind::Contact))
        .await
        .unwrap();
    let kinds = |rows: &[store::cases::events::EventRow]| -> Vec<(String, EventKind, Source)> {
        rows.iter()
            .map(|r| (r.event.occurred_on.to_string(), r.event.kind, r.source))
            .collect()
    };
    // Last activity 10 February + 90 days = 11 May: not yet due on 11 May.
    c.s().run_case_inactivity(d("2025-05-11")).await.unwrap();
    assert_eq!(c.s().case_events(l.id, p).await.unwrap().len(), 2);
    assert_eq!(c.status(l.id, p).await, Status::Active);
    c.s().run_case_inactivity(d("2025-05-12")).await.unwrap();
    let rows = c.s().case_events(l.id, p).await.unwrap();
    assert_eq!(
        kinds(&rows)[2],
        (
            "2025-05-11".to_string(),
            EventKind::Inactive,
            Source::Inactivity
        )
    );
    assert_eq!(c.status(l.id, p).await, Status::Inactive);
    let may = c.month(l.id, Population::All, "2025-05").await;
    assert_eq!((may.moved_to_inactive, may.actively_homeless), (1, 0));
    // Once only: a second run writes nothing.
    let audits = c.audit_count().await;
    assert_eq!(c.s().run_case_inactivity(d("2025-05-12")).await.unwrap(), 0);
    assert_eq!(c.s().case_events(l.id, p).await.unwrap().len(), 3);
    assert_eq!(c.audit_count().await, audits);
}

async fn erasure_keeps_every_count(e: Engine) {
    let c = Ctx::new(e).await;
    let l = c.list("Erasure").await.id;
    // 19 on the day of identification: youth; a veteran too.
    let zelda = Person {
        first_name: Some("Zelda".into()),
        last_name: Some("Quixotica".into()),
        date_of_birth: Some(d("2005-06-01")),
        veteran: Some(true),
        ..Default::default()
    };
    let p = c.add(l, &zelda, "2025-01-10").await;
    let pops = [Population::All, Population::Youth, Population::Veterans];
    let mut before = vec![];
    for pop in pops {
        let r = c.month(l, pop, "2025-01").await;
        assert_eq!((r.newly_identified, r.actively_homeless), (1, 1), "{pop:?}");
        before.push(r);
    }
    let cut = store::now();
    c.s()
        .erase_case_person(c.initiative, l, p, None)
        .await
        .unwrap();
    let r = c
        .s()
        .view_case_person(c.initiative, l, p, None)
        .await
        .unwrap();
    assert_eq!(r.person.first_name, None);
    assert_eq!(r.person.last_name, None);
    assert_eq!(r.person.date_of_birth, None);
    assert_eq!(r.person.veteran, Some(true));
    assert!(r.erased_at.is_some());
    for (pop, b) in pops.into_iter().zip(&before) {
        assert_eq!(&c.month(l, pop, "2025-01").await, b, "{pop:?}");
        // The replay at a cut-off keeps youth too.
        let at = c
            .s()
            .case_monthly(c.initiative, l, pop, m("2025-01"), m("2025-01"), Some(cut))
            .await
            .unwrap();
        assert_eq!(&at[0], b, "{pop:?} at a cut-off");
    }
    // No more events for an erased person; the roster keeps the row, nameless.
    let (f, _) = refused(
        c.record(l, p, &ev("2025-02-01", EventKind::Contact))
            .await
            .unwrap_err(),
    );
    assert_eq!(f, "person_id");
    let roster = c
        .s()
        .case_roster(
            c.initiative,
            l,
            Population::Youth,
            None,
            today(),
            Some(None),
        )
        .await
        .unwrap();
    assert_eq!(roster.len(), 1);
    assert!(roster[0].erased && roster[0].youth && roster[0].last_name.is_none());
    let log = serde_json::to_string(
        &c.s()
            .audit(&store::audit::Filter {
                initiative: Some(c.initiative),
                limit: 100_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .iter()
            .map(|e| (&e.kind, &e.action, &e.before, &e.after))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    for secret in ["Zelda", "Quixotica", "2005-06-01"] {
        assert!(!log.contains(secret), "{secret} in the audit log");
    }
}

fn incoming(id: &str, last: &str, events: &[(&str, EventKind)]) -> Incoming {
    Incoming {
        external_id: id.into(),
        person: Person {
            first_name: Some("Imported".into()),
            last_name: Some(last.into()),
            date_of_birth: Some(d("1970-03-04")),
            ..Default::default()
        },
        events: events.iter().map(|(on, k)| (d(on), *k, false)).collect(),
    }
}

async fn the_import_is_idempotent_and_writes_only_the_difference(e: Engine) {
    use EventKind::*;
    let c = Ctx::new(e).await;
    let first = [
        incoming(
            "A1",
            "Abernathy",
            &[("2025-01-02", Identified), ("2025-02-03", Housed)],
        ),
        incoming(
            "A2",
            "Bellweather",
            &[("2025-01-05", Identified), ("2025-01-20", Contact)],
        ),
    ];
    let import = |inc: Vec<Incoming>, name: &'static str| {
        let s = c.s().clone();
        let i = c.initiative;
        async move {
            s.import_case_people(i, "Imported", None, Source::Hmis, name, "hash", &inc)
                .await
        }
    };
    let s1 = import(first.to_vec(), "one.zip").await.unwrap();
    assert!(s1.list_created && s1.batch_id.is_some());
    assert_eq!((s1.people_added, s1.events_added), (2, 4));
    let l = s1.list_id;
    let jan = c.month(l, Population::All, "2025-01").await;
    assert_eq!((jan.newly_identified, jan.actively_homeless), (2, 2));

    // The same again: nothing written, not even an audit entry.
    let audits = c.audit_count().await;
    let s2 = import(first.to_vec(), "one.zip").await.unwrap();
    assert_eq!(s2.batch_id, None);
    assert!(!s2.list_created);
    assert_eq!(
        (s2.people_added, s2.people_changed, s2.people_unchanged),
        (0, 0, 2)
    );
    assert_eq!((s2.events_added, s2.events_voided), (0, 0));
    assert_eq!(c.audit_count().await, audits);

    // A newer export: A1 was housed on 10 February, not 3 February; A2 the same.
    let mut second = first.to_vec();
    second[0].events[1].0 = d("2025-02-10");
    let s3 = import(second.clone(), "two.zip").await.unwrap();
    assert_eq!(
        (s3.people_added, s3.people_changed, s3.people_unchanged),
        (0, 1, 1)
    );
    assert_eq!((s3.events_added, s3.events_voided), (1, 1));
    assert_eq!(c.audit_count().await, audits + 1);
    let roster = c
        .s()
        .case_roster(c.initiative, l, Population::All, None, today(), Some(None))
        .await
        .unwrap();
    let a1 = roster
        .iter()
        .find(|r| r.last_name.as_deref() == Some("Abernathy"))
        .unwrap()
        .person_id;
    let rows = c.s().case_events(l, a1).await.unwrap();
    let shape: Vec<(String, EventKind, Option<i64>)> = rows
        .iter()
        .map(|r| {
            (
                r.event.occurred_on.to_string(),
                r.event.kind,
                r.event.supersedes,
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("2025-01-02".to_string(), Identified, None),
            ("2025-02-03".to_string(), Housed, None),
            ("2025-02-03".to_string(), Void, Some(rows[1].event.id)),
            ("2025-02-10".to_string(), Housed, None),
        ]
    );
    let feb = c.month(l, Population::All, "2025-02").await;
    // 2 January → 10 February: 39 days.
    assert_eq!(feb.housing_placements, 1);
    assert_eq!(feb.avg_days_identification_to_housing, Some(Tenths(390)));
    // And that one again: nothing (the roster's view above was audited).
    let audits = c.audit_count().await;
    let s4 = import(second, "two.zip").await.unwrap();
    assert_eq!(s4.batch_id, None);
    assert_eq!(c.audit_count().await, audits);
}

/// Names and dates of birth go in through every path; the audit log holds
/// none of them.
async fn the_audit_log_holds_no_names(e: Engine) {
    use EventKind::*;
    let c = Ctx::new(e).await;
    let l = c.list("Private").await.id;
    let p = c
        .add(
            l,
            &Person {
                first_name: Some("Ottoline".into()),
                last_name: Some("Vanderpoel".into()),
                date_of_birth: Some(d("1981-07-09")),
                consent_scope: Some("Xanthippe outreach".into()),
                ..Default::default()
            },
            "2025-01-03",
        )
        .await;
    c.s()
        .update_case_person(
            c.initiative,
            l,
            p,
            None,
            &Person {
                first_name: Some("Ottilie".into()),
                last_name: Some("Vanderpoel-Smythe".into()),
                date_of_birth: Some(d("1981-07-10")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    c.record(l, p, &ev("2025-01-09", Contact)).await.unwrap();
    c.s()
        .view_case_person(c.initiative, l, p, None)
        .await
        .unwrap();
    c.s()
        .case_roster(c.initiative, l, Population::All, None, today(), Some(None))
        .await
        .unwrap();
    c.s()
        .import_case_people(
            c.initiative,
            "Private",
            None,
            Source::Hmis,
            "export.zip",
            "hash",
            &[incoming(
                "Z9",
                "Wolfenbarger",
                &[("2025-01-04", Identified)],
            )],
        )
        .await
        .unwrap();
    c.s()
        .erase_case_person(c.initiative, l, p, None)
        .await
        .unwrap();
    let entries = c
        .s()
        .audit(&store::audit::Filter {
            initiative: Some(c.initiative),
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let log = serde_json::to_string(
        &entries
            .iter()
            .map(|e| (&e.kind, &e.action, &e.before, &e.after))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(
        log.contains("case_person"),
        "the person's writes are audited"
    );
    assert!(log.contains("first_name"), "by field name");
    for secret in [
        "Ottoline",
        "Ottilie",
        "Vanderpoel",
        "Wolfenbarger",
        "Xanthippe",
        "1981-07-09",
        "1981-07-10",
        "1970-03-04",
    ] {
        assert!(!log.contains(secret), "{secret} in the audit log");
    }
}

both_engines!(
    misfits_are_refused_by_field_and_write_nothing,
    corrections_voids_and_the_cut_off,
    submitted_reports_freeze_and_the_balance_shows_backdating,
    functional_zero_with_a_short_history,
    the_inactivity_job_runs_once,
    erasure_keeps_every_count,
    the_import_is_idempotent_and_writes_only_the_difference,
    the_audit_log_holds_no_names,
);
