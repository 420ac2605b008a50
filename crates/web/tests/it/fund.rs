//! The community investment fund through its pages, on both engines: the open
//! period, recusal after a declared conflict, weighted scores and ranking
//! worked out by hand, awards within request, budget and currency, payment
//! schedules summing to the award, and who sees what.

use domain::access::Role;
use domain::funding::fund::FundCall;
use testkit::{Engine, TestApp, both_engines};

const SLUG: &str = "kiryat-malachi";

async fn new_call(app: &TestApp, name: &str, opens: i64, closes: i64) -> i64 {
    let store = app.store();
    let i = store.initiative_by_slug(SLUG).await.unwrap().id;
    let org = store.names("organizations", "name", Some(i)).await.unwrap()[0].0;
    let today = store::now().get().date_naive();
    let call = FundCall {
        name: name.into(),
        description: String::new(),
        budget_minor: 100_000,
        currency: "USD".into(),
        criteria: "need=40;impact=30;feasibility=30".into(),
        eligibility: String::new(),
        opens_on: today + chrono::Duration::days(opens),
        closes_on: today + chrono::Duration::days(closes),
        organization_id: org,
        sdg: String::new(),
    };
    store.create(None, Some(i), &call).await.unwrap().id
}

fn application<'a>(title: &'a str, email: &'a str, amount: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("organization_name", "Test Neighbours Group"),
        ("contact_name", "Test Contact"),
        ("contact_email", email),
        ("title", title),
        ("description", "What we will do."),
        ("amount", amount),
    ]
}

async fn the_fund_from_application_to_award(e: Engine) {
    let app = TestApp::new(e).await;
    let coordinator = app
        .user(
            "fund.coord@example.org",
            false,
            &[(SLUG, Role::Coordinator)],
        )
        .await;
    let assessor = app
        .user("fund.assessor@example.org", false, &[(SLUG, Role::Partner)])
        .await;
    let viewer = app
        .user("fund.viewer@example.org", false, &[(SLUG, Role::Viewer)])
        .await;
    let applicant = app.user("fund.applicant@example.org", false, &[]).await;
    let other = app.user("fund.other@example.org", false, &[]).await;
    let call = new_call(&app, "Test Fund Open", -1, 10).await;
    let closed = new_call(&app, "Test Fund Closed", -10, -1).await;
    let later = new_call(&app, "Test Fund Later", 5, 10).await;

    // Outside the open period: refused, saying when.
    for (c, word) in [(closed, "closed"), (later, "opens")] {
        let r = app
            .post_form(
                &format!("/p/{SLUG}/fund/{c}/apply"),
                &applicant,
                &application("Too late", "fund.applicant@example.org", "100"),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains(word), "{}", r.body);
    }
    // Open: two applications, each tied to its applicant's account.
    for (who, title, email, amount) in [
        (
            &applicant,
            "Hub for Test Street",
            "fund.applicant@example.org",
            "500",
        ),
        (
            &other,
            "Garden for Test Yard",
            "fund.other@example.org",
            "800",
        ),
    ] {
        let r = app
            .post_form(
                &format!("/p/{SLUG}/fund/{call}/apply"),
                who,
                &application(title, email, amount),
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.location(), "/account/applications");
    }
    let i = app.store().initiative_by_slug(SLUG).await.unwrap().id;
    let v = app.store().fund_call(i, call).await.unwrap();
    let hub = v.applications[0].id;
    let garden = v.applications[1].id;
    assert_eq!(v.applications[0].data.amount_minor, 50_000);

    // The applicant sees their own application and nothing else.
    let mine = app.get("/account/applications", Some(&applicant)).await;
    assert!(mine.body.contains("Hub for Test Street"));
    assert!(!mine.body.contains("Garden for Test Yard"));
    assert_eq!(
        app.get(&format!("/i/{SLUG}/fund"), Some(&applicant))
            .await
            .status,
        404
    );
    // Anonymous: the public pages only.
    let public = app.get(&format!("/p/{SLUG}/fund"), None).await;
    assert_eq!(public.status, 200);
    assert!(public.body.contains("Test Fund Open") && !public.body.contains("Test Fund Closed"));
    assert_eq!(
        app.get(&format!("/i/{SLUG}/fund/{call}"), None)
            .await
            .status,
        303
    );

    // Assessors: chosen by the coordinator among the initiative's members.
    let base = format!("/i/{SLUG}/fund/{call}");
    for email in ["fund.assessor@example.org", "fund.coord@example.org"] {
        let r = app
            .post_form(
                &format!("{base}/assessors"),
                &coordinator,
                &[("email", email)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let r = app
        .post_form(
            &format!("{base}/assessors"),
            &coordinator,
            &[("email", "fund.other@example.org")],
        )
        .await;
    assert_eq!(r.status, 422);
    let score = |who, id, s: [&'static str; 3]| {
        let app = &app;
        let base = base.clone();
        async move {
            app.post_form(
                &format!("{base}/applications/{id}/score"),
                who,
                &[
                    ("score_need", s[0]),
                    ("score_impact", s[1]),
                    ("score_feasibility", s[2]),
                ],
            )
            .await
        }
    };
    // A declared conflict recuses: that assessor's score is refused, clearly.
    let r = app
        .post_form(
            &format!("{base}/applications/{garden}/conflict"),
            &assessor,
            &[("note", "My sister runs it.")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = score(&assessor, garden, ["5", "5", "5"]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("conflict of interest"), "{}", r.body);
    // Someone who is not an assessor does not score.
    let r = score(&viewer, hub, ["5", "5", "5"]).await;
    assert_eq!(r.status, 422);
    // By hand: hub 4×40+3×30+5×30 = 400 and 3×40+4×30+4×30 = 360, mean 3.80;
    // garden 5×40+4×30+4×30 = 440 alone, 4.40. Garden ranks first.
    assert_eq!(score(&coordinator, hub, ["4", "3", "5"]).await.status, 303);
    assert_eq!(score(&assessor, hub, ["3", "4", "4"]).await.status, 303);
    assert_eq!(
        score(&coordinator, garden, ["5", "4", "4"]).await.status,
        303
    );
    let v = app.store().fund_call(i, call).await.unwrap();
    let ranking = v.ranking();
    assert_eq!(ranking[0].0, garden);
    assert_eq!(ranking[0].1.display(), "4.40");
    assert_eq!(ranking[1].0, hub);
    assert_eq!(ranking[1].1.display(), "3.80");
    let page = app.get(&base, Some(&viewer)).await;
    assert_eq!(page.status, 200);
    let (g, h) = (
        page.body.find("Garden for Test Yard").unwrap(),
        page.body.find("Hub for Test Street").unwrap(),
    );
    assert!(g < h && page.body.contains("3.80") && page.body.contains("4.40"));
    // Partners and viewers read the ranking, not the applicants' emails.
    assert!(!page.body.contains("fund.applicant@example.org"));
    let page = app.get(&base, Some(&coordinator)).await;
    assert!(page.body.contains("fund.applicant@example.org"));
    // Nor the contact's name on an application's own page.
    let one = format!("{base}/applications/{hub}");
    let page = app.get(&one, Some(&viewer)).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Test Contact") && !page.body.contains("fund.applicant@"));
    let page = app.get(&one, Some(&coordinator)).await;
    assert!(page.body.contains("Test Contact") && page.body.contains("fund.applicant@"));

    // Awards: not over the request, not in another currency, not over budget.
    let award = |id, amount: &'static str, currency: &'static str| {
        let app = &app;
        let base = base.clone();
        let coordinator = coordinator.clone();
        async move {
            app.post_form(
                &format!("{base}/applications/{id}/award"),
                &coordinator,
                &[
                    ("amount", amount),
                    ("currency", currency),
                    ("awarded_on", "2026-01-10"),
                ],
            )
            .await
        }
    };
    let r = award(hub, "500.01", "USD").await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("more than the applicant requested"),
        "{}",
        r.body
    );
    let r = award(hub, "100", "GBP").await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("never converted"), "{}", r.body);
    assert_eq!(award(hub, "100", "USD").await.status, 303);
    // Hub has 100 of the 1,000 budget; garden asks 800 and may have them; then
    // the remaining 100 of the budget is all there is.
    assert_eq!(award(garden, "800", "USD").await.status, 303);
    let again = award(garden, "1", "USD").await;
    assert_eq!(again.status, 422);
    // A viewer does not award.
    let r = app
        .post_form(
            &format!("{base}/applications/{hub}/agreement"),
            &viewer,
            &[("signed_on", "2026-01-20")],
        )
        .await;
    assert_eq!(r.status, 403);

    // Payments sum to the award (100.00) or are refused.
    let pay = |text: &'static str| {
        let app = &app;
        let base = base.clone();
        let coordinator = coordinator.clone();
        async move {
            app.post_form(
                &format!("{base}/applications/{hub}/payments"),
                &coordinator,
                &[("schedule", text)],
            )
            .await
        }
    };
    let r = pay("2026-02-01 60\n2026-06-01 30").await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("not to the award"), "{}", r.body);
    assert_eq!(pay("2026-02-01 60\n2026-06-01 40").await.status, 303);
    let v = app.store().fund_application(i, hub).await.unwrap();
    assert_eq!(v.payments.len(), 2);
    assert_eq!(v.award().unwrap().amount_minor, 10_000);
    let mine = app.get("/account/applications", Some(&applicant)).await;
    assert!(mine.body.contains("100.00"), "{}", mine.body);
}

async fn over_budget_is_refused(e: Engine) {
    let app = TestApp::new(e).await;
    let coordinator = app
        .user(
            "fund.coord2@example.org",
            false,
            &[(SLUG, Role::Coordinator)],
        )
        .await;
    let a = app.user("fund.a@example.org", false, &[]).await;
    let b = app.user("fund.b@example.org", false, &[]).await;
    let call = new_call(&app, "Test Fund Budget", -1, 1).await;
    for (who, email) in [(&a, "fund.a@example.org"), (&b, "fund.b@example.org")] {
        let r = app
            .post_form(
                &format!("/p/{SLUG}/fund/{call}/apply"),
                who,
                &application(email, email, "700"),
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let i = app.store().initiative_by_slug(SLUG).await.unwrap().id;
    let v = app.store().fund_call(i, call).await.unwrap();
    let base = format!("/i/{SLUG}/fund/{call}/applications");
    let fields = [("amount", "700"), ("awarded_on", "2026-01-10")];
    let r = app
        .post_form(
            &format!("{base}/{}/award", v.applications[0].id),
            &coordinator,
            &fields,
        )
        .await;
    assert_eq!(r.status, 303);
    // 700 of 1,000 awarded: 700 more is over what remains (300).
    let r = app
        .post_form(
            &format!("{base}/{}/award", v.applications[1].id),
            &coordinator,
            &fields,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("remains of the call"), "{}", r.body);
}

both_engines!(the_fund_from_application_to_award);
both_engines!(over_budget_is_refused);
