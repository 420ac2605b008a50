//! Notifications by email, on both engines: the outbox queues a message once
//! per dedupe key, skips addresses that unsubscribed (never invitations),
//! retries with backoff and gives up after 20 attempts, hands out due messages
//! in order; the scheduler queues agendas, decisions awaiting a position,
//! action items due and the weekly digest once each, in the member's language;
//! the unsubscribe page changes nothing on GET and stops the kind on POST; a new
//! invitation is queued with its full link.

use chrono::{Datelike, Duration};
use domain::access::Role;
use domain::meetings::records::*;
use domain::partnership::{Membership, Person, Position};
use store::Store;
use store::mail::{self, Enqueued, Mail};
use testkit::{Engine, TestApp, TestDb, both_engines};

const SLUG: &str = "riverside-zero";

fn mail(key: &str, kind: &str, to: &str) -> Mail {
    Mail {
        dedupe_key: key.into(),
        kind: kind.into(),
        recipient_email: to.into(),
        language: "en".into(),
        subject: format!("Subject {key}"),
        body_text: "Body".into(),
        id_domain: "example.org".into(),
        ..Mail::default()
    }
}

async fn mail_outbox_dedupe_backoff_and_order(e: Engine) {
    let db = TestDb::new(e).await;
    let s = &db.store;
    // Once per dedupe key.
    assert_eq!(
        s.enqueue_mail(&mail("k:1", mail::DIGEST, "Ana@Example.org"))
            .await
            .unwrap(),
        Enqueued::Queued
    );
    let mut again = mail("k:1", mail::DIGEST, "ana@example.org");
    again.subject = "A second text".into();
    assert_eq!(s.enqueue_mail(&again).await.unwrap(), Enqueued::Duplicate);
    assert_eq!(s.outbox().await.unwrap().len(), 1);
    assert_eq!(s.outbox().await.unwrap()[0].subject, "Subject k:1");
    assert_eq!(
        s.outbox().await.unwrap()[0].recipient_email,
        "ana@example.org"
    );

    // Unsubscribed from one kind, then from all; invitations still go.
    s.unsubscribe("ANA@example.org", mail::AGENDA)
        .await
        .unwrap();
    s.unsubscribe("ana@example.org", mail::AGENDA)
        .await
        .unwrap();
    assert_eq!(
        s.enqueue_mail(&mail("k:2", mail::AGENDA, "ana@example.org"))
            .await
            .unwrap(),
        Enqueued::Unsubscribed
    );
    assert_eq!(
        s.enqueue_mail(&mail("k:3", mail::DECISION, "ana@example.org"))
            .await
            .unwrap(),
        Enqueued::Queued
    );
    s.unsubscribe("ana@example.org", mail::ALL).await.unwrap();
    assert_eq!(
        s.enqueue_mail(&mail("k:4", mail::ACTION_DUE, "ana@example.org"))
            .await
            .unwrap(),
        Enqueued::Unsubscribed
    );
    assert_eq!(
        s.enqueue_mail(&mail("k:5", mail::INVITATION, "ana@example.org"))
            .await
            .unwrap(),
        Enqueued::Queued
    );
    assert!(s.unsubscribe("ana@example.org", "spam").await.is_err());
    assert!(
        s.is_unsubscribed("ana@example.org", mail::DIGEST)
            .await
            .unwrap()
    );
    assert!(
        !s.is_unsubscribed("bo@example.org", mail::DIGEST)
            .await
            .unwrap()
    );

    // Due in order of time, then of queueing.
    let now = store::now() + Duration::seconds(1);
    let due = s.due_mail(now, 10).await.unwrap();
    let keys: Vec<&str> = due.iter().map(|m| m.dedupe_key.as_str()).collect();
    assert_eq!(keys, ["k:1", "k:3", "k:5"]);
    assert_eq!(s.due_mail(now, 2).await.unwrap().len(), 2);

    // A claim counts the attempt and keeps the message from a second claim.
    let first = s.claim_mail(due[0].id, now).await.unwrap().unwrap();
    assert_eq!(first.attempts, 1);
    assert!(s.claim_mail(due[0].id, now).await.unwrap().is_none());
    assert_eq!(first.message_id, due[0].message_id);
    assert!(first.message_id.starts_with('<') && first.message_id.ends_with("@example.org>"));

    // Backoff: 1, 2, 4 … minutes, at most an hour, then given up after 20.
    let mut t = now;
    let mut waits = vec![];
    for attempt in 1..=mail::MAX_ATTEMPTS {
        if attempt > 1 {
            let m = s.claim_mail(first.id, t).await.unwrap().expect("due again");
            assert_eq!(m.attempts, attempt);
            assert_eq!(
                m.message_id, first.message_id,
                "one Message-ID across retries"
            );
        }
        s.mark_mail_failed(first.id, "451 try later", t)
            .await
            .unwrap();
        let m = s.mail(first.id).await.unwrap();
        assert_eq!(m.last_error.as_deref(), Some("451 try later"));
        if attempt < mail::MAX_ATTEMPTS {
            assert_eq!(m.status, "queued");
            let wait = m.next_attempt_at - t.get();
            waits.push(wait.num_minutes());
            // Not due a second before its time.
            let early = store::Timestamp::new(m.next_attempt_at) - Duration::seconds(1);
            assert!(s.claim_mail(first.id, early).await.unwrap().is_none());
            t = store::Timestamp::new(m.next_attempt_at);
        } else {
            assert_eq!(m.status, "failed");
        }
    }
    assert_eq!(&waits[..8], [1, 2, 4, 8, 16, 32, 60, 60]);
    assert!(
        !s.due_mail(t + Duration::days(1), 10)
            .await
            .unwrap()
            .iter()
            .any(|m| m.id == first.id)
    );

    // Sent is sent; an invitation's text (its secret link) is not kept.
    let inv = due[2].id;
    s.claim_mail(inv, now).await.unwrap().unwrap();
    s.mark_mail_sent(inv, now).await.unwrap();
    let m = s.mail(inv).await.unwrap();
    assert_eq!(m.status, "sent");
    assert!(m.sent_at.is_some() && m.body_text.is_empty());
    let left: Vec<i64> = s
        .due_mail(now + Duration::days(1), 10)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(left, [due[1].id]);
}

struct Seed {
    initiative: i64,
    body: i64,
    ana: i64,
    bo: i64,
    meeting: i64,
    decision: i64,
    action: i64,
}

/// A body with two members with addresses (Ana has an account in Spanish), a
/// planned meeting in two days with an agenda, an open decision on which Bo has
/// a position, and an action item of Ana's due tomorrow.
async fn seed(s: &Store) -> Seed {
    let i = s.initiative_by_slug(SLUG).await.unwrap().id;
    let body = s
        .list::<domain::partnership::Body>(Some(i), Default::default())
        .await
        .unwrap()[0]
        .id;
    let user = s
        .create_user(
            "ana.mail@example.org",
            "Ana",
            Some("correct horse battery"),
            false,
        )
        .await
        .unwrap();
    s.set_language(user.id, Some("es")).await.unwrap();
    s.grant_role(None, user.id, i, Role::Partner).await.unwrap();
    let mut people = vec![];
    for (name, email, user) in [
        ("Ana Mail", "ana.mail@example.org", Some(user.id)),
        ("Bo Mail", "bo.mail@example.org", None),
    ] {
        let p = s
            .create(
                None,
                Some(i),
                &Person {
                    name: name.into(),
                    email: Some(email.into()),
                    phone: None,
                    user_id: user,
                    public_name_consent_on: None,
                },
            )
            .await
            .unwrap()
            .id;
        s.create(
            None,
            Some(i),
            &Membership {
                body_id: body,
                person_id: p,
                organization_id: None,
                position: Position::Member,
                start_date: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                end_date: None,
                stipend_hourly_cents: None,
                stipend_currency: None,
            },
        )
        .await
        .unwrap();
        people.push(p);
    }
    let meeting = planned_meeting(s, i, body, 2, people[0]).await;
    let decision = s
        .create(
            None,
            Some(i),
            &Decision {
                body_id: body,
                meeting_id: None,
                title: "Mail decision".into(),
                proposal: "Fund the outreach position.".into(),
                process: Process::Consent,
                closes_on: None,
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
    s.execute_unprepared(&format!(
        "INSERT INTO decision_positions (decision_id, person_id, initiative_id, position, \
         reason, recorded_at) VALUES ({decision}, {}, {i}, 'agree', '', '{}')",
        people[1],
        store::now()
    ))
    .await
    .unwrap();
    let today = store::now().get().date_naive();
    let action = s
        .create(
            None,
            Some(i),
            &ActionItem {
                body_id: body,
                title: "Mail action".into(),
                meeting_id: None,
                decision_id: None,
                owner_person_id: Some(people[0]),
                owner_organization_id: None,
                due_on: today + Duration::days(1),
                status: ActionStatus::Open,
                notes: String::new(),
            },
        )
        .await
        .unwrap()
        .id;
    Seed {
        initiative: i,
        body,
        ana: people[0],
        bo: people[1],
        meeting,
        decision,
        action,
    }
}

async fn planned_meeting(s: &Store, i: i64, body: i64, in_days: i64, presenter: i64) -> i64 {
    let start = store::now().get() + Duration::days(in_days);
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    let meeting = s
        .create(
            None,
            Some(i),
            &Meeting {
                body_id: body,
                title: format!("Mail meeting in {in_days} days"),
                starts_at: fmt(start),
                ends_at: fmt(start + Duration::hours(1)),
                time_zone: "UTC".into(),
                place: "Library".into(),
                online_url: None,
                status: MeetingStatus::Planned,
            },
        )
        .await
        .unwrap()
        .id;
    s.create(
        None,
        Some(i),
        &AgendaItem {
            meeting_id: meeting,
            position: 1,
            title: "Budget".into(),
            description: String::new(),
            presenter_person_id: Some(presenter),
            minutes_allotted: Some(20),
            objective_id: None,
            indicator_id: None,
            activity_id: None,
        },
    )
    .await
    .unwrap();
    meeting
}

async fn mail_scheduler_queues_each_notice_once(e: Engine) {
    let app = TestApp::new(e).await;
    let s = app.store();
    let x = seed(s).await;
    let base = "https://bb.example.org/";
    let now = store::now().get();
    let first = web::pages::mail::schedule(s, base, now).await.unwrap();
    assert!(first.total() >= 6, "{first:?}");
    let out = s.outbox().await.unwrap();
    let keys: Vec<&str> = out.iter().map(|m| m.dedupe_key.as_str()).collect();
    let week = now.date_naive().iso_week();
    let today = now.date_naive();
    for want in [
        format!("agenda:{}:{}", x.meeting, x.ana),
        format!("agenda:{}:{}", x.meeting, x.bo),
        format!("decision:{}:{}", x.decision, x.ana),
        format!("action-due:{}:{}", x.action, today + Duration::days(1)),
        format!("digest:{}:{}-W{:02}", x.ana, week.year(), week.week()),
        format!("digest:{}:{}-W{:02}", x.bo, week.year(), week.week()),
    ] {
        assert!(keys.contains(&want.as_str()), "{want} not in {keys:?}");
    }
    // Bo holds a position: nothing asks him for one.
    assert!(!keys.contains(&format!("decision:{}:{}", x.decision, x.bo).as_str()));

    // Ana reads Spanish; her agenda names the presenter (a member of the body),
    // tells the local time with its zone and ends with her unsubscribe link.
    let agenda = out
        .iter()
        .find(|m| m.dedupe_key == format!("agenda:{}:{}", x.meeting, x.ana))
        .unwrap();
    assert_eq!(agenda.language, "es");
    assert!(
        agenda.subject.starts_with("Orden del día"),
        "{}",
        agenda.subject
    );
    assert!(agenda.body_text.contains("Ana Mail"));
    assert!(agenda.body_text.contains("(UTC)"));
    assert!(agenda.body_text.contains("Budget"));
    let unsubscribe = agenda.unsubscribe_url.clone().unwrap();
    assert!(unsubscribe.starts_with("https://bb.example.org/unsubscribe/"));
    // The address is not in the link, plainly or encoded.
    let token = unsubscribe.rsplit('/').next().unwrap();
    assert_eq!(token.len(), 64);
    assert!(!unsubscribe.contains("ana") && !unsubscribe.contains("616e61"));
    assert!(agenda.body_text.contains(&unsubscribe));
    assert!(agenda.message_id.ends_with("@bb.example.org>"));
    let bo_agenda = out
        .iter()
        .find(|m| m.dedupe_key == format!("agenda:{}:{}", x.meeting, x.bo))
        .unwrap();
    // Riverside works in English.
    assert_eq!(bo_agenda.language, "en");
    // Ana's digest speaks of her action item; Bo's of no decision.
    let digest = |p: i64| {
        out.iter()
            .find(|m| m.dedupe_key.starts_with(&format!("digest:{p}:")))
            .unwrap()
    };
    assert!(digest(x.ana).body_text.contains("Mail action"));
    assert!(digest(x.ana).body_text.contains("Mail decision"));
    assert!(!digest(x.bo).body_text.contains("Mail decision"));
    assert!(!digest(x.bo).body_text.contains("Mail action"));

    // A second run queues nothing new.
    let again = web::pages::mail::schedule(s, base, now).await.unwrap();
    assert_eq!(again.total(), 0, "{again:?}");
    assert_eq!(s.outbox().await.unwrap().len(), out.len());

    // The unsubscribe page: GET shows and changes nothing; POST stops agendas.
    let path = unsubscribe.trim_start_matches("https://bb.example.org");
    let page = app.get(path, None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("a•••@example.org"), "{}", page.body);
    assert!(!page.body.contains("ana.mail@example.org"));
    assert!(
        !s.is_unsubscribed("ana.mail@example.org", mail::AGENDA)
            .await
            .unwrap()
    );
    // In Hebrew, right to left.
    let he = app
        .send(
            axum::http::Request::builder()
                .uri(path)
                .header(axum::http::header::ACCEPT_LANGUAGE, "he")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(he.status, 200);
    assert!(he.body.contains(r#"dir="rtl""#) && he.body.contains("הפסקת התראות"));
    let anyone = testkit::Auth::default();
    let done = app.post_form_raw(path, &anyone, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        s.is_unsubscribed("ana.mail@example.org", mail::AGENDA)
            .await
            .unwrap()
    );
    assert!(
        !s.is_unsubscribed("ana.mail@example.org", mail::DIGEST)
            .await
            .unwrap()
    );
    // A token that is not the server's: 404, and nothing changes.
    let last = if path.ends_with('0') { "1" } else { "0" };
    let forged = format!("{}{last}", &path[..path.len() - 1]);
    assert_eq!(app.get(&forged, None).await.status, 404);
    assert_eq!(app.post_form_raw(&forged, &anyone, &[]).await.status, 404);
    assert_eq!(app.get("/unsubscribe/zz.zz", None).await.status, 404);

    // The next meeting's agenda goes to Bo only.
    let next = planned_meeting(s, x.initiative, x.body, 3, x.bo).await;
    let third = web::pages::mail::schedule(s, base, now).await.unwrap();
    // (The demo's members of the body with addresses get it too.)
    assert!(
        third.agendas >= 1 && third.total() == third.agendas,
        "{third:?}"
    );
    let keys: Vec<String> = s
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.dedupe_key)
        .collect();
    assert!(keys.contains(&format!("agenda:{next}:{}", x.bo)));
    assert!(!keys.contains(&format!("agenda:{next}:{}", x.ana)));

    // "Stop everything" from the same link.
    let all = app.post_form_raw(path, &anyone, &[("scope", "all")]).await;
    assert_eq!(all.status, 200);
    assert!(
        s.is_unsubscribed("ana.mail@example.org", mail::DIGEST)
            .await
            .unwrap()
    );
}

async fn mail_invitation_is_queued_with_its_link(e: Engine) {
    let app = TestApp::new(e).await;
    let c = app
        .user(
            "coord.mail@example.org",
            false,
            &[(SLUG, Role::Coordinator)],
        )
        .await;
    let res = app
        .post_form(
            &format!("/i/{SLUG}/access"),
            &c,
            &[("email", "New.Person@Example.org"), ("role", "viewer")],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let link = res.invite_link();
    let out = app.store().outbox().await.unwrap();
    let inv: Vec<_> = out.iter().filter(|m| m.kind == mail::INVITATION).collect();
    assert_eq!(inv.len(), 1, "{out:?}");
    assert_eq!(inv[0].recipient_email, "new.person@example.org");
    assert!(inv[0].dedupe_key.starts_with("invitation:"));
    assert!(
        inv[0]
            .body_text
            .contains(&format!("http://localhost/invite/{link}")),
        "{}",
        inv[0].body_text
    );
    assert!(inv[0].unsubscribe_url.is_none());
}

both_engines!(
    mail_outbox_dedupe_backoff_and_order,
    mail_scheduler_queues_each_notice_once,
    mail_invitation_is_queued_with_its_link,
);
