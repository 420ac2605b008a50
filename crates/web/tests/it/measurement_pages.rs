//! The measurement pages: the coordinator's dashboard and its numbers, one
//! indicator's page with equity gaps and small-cell suppression, the entry
//! grid, period locks, batches, and the public dashboard.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use domain::access::Role;
use domain::measurement::Frequency;
use domain::measurement::indicator::{Indicator, Subgroup, ValidationRule};
use domain::measurement::period::Period;
use domain::partnership::Organization;
use domain::resource::{Record, Resource};
use domain::validation::FieldMap;
use store::measurement::{BatchSource, NewValue};
use store::records::ListOptions;
use testkit::{Auth, Engine, TestApp, both_engines};

const I: &str = "/i/kiryat-malachi";

fn fields(pairs: &[(&str, &str)]) -> FieldMap {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A monthly indicator; `extra` adds or replaces fields.
fn indicator(code: &str, name: &str, extra: &[(&str, &str)]) -> Indicator {
    let mut f = fields(&[
        ("code", code),
        ("name", name),
        ("kind", "population"),
        ("polarity", "higher_is_better"),
        ("aggregation", "sum"),
        ("period_aggregation", "sum"),
        ("frequency", "monthly"),
    ]);
    for (k, v) in extra {
        f.insert(k.to_string(), v.to_string());
    }
    Indicator::parse(&f).unwrap_or_else(|e| panic!("{code}: {e:?}"))
}

fn month(offset: i64) -> Period {
    let today = store::now().get().date_naive();
    Period::containing(today, Frequency::Monthly)
        .offset(offset)
        .unwrap()
}

fn p(s: &str) -> Period {
    Period::parse(s).unwrap()
}

struct Seed {
    initiative: i64,
    /// Two organizations of the initiative: (id, name).
    a: (i64, String),
    b: (i64, String),
    enrolled: i64,
    eligible: i64,
    rate: i64,
    visits: i64,
    tiny: i64,
}

async fn create(app: &TestApp, initiative: i64, i: Indicator) -> i64 {
    let r: Record<Indicator> = app
        .store()
        .create(None, Some(initiative), &i)
        .await
        .unwrap();
    r.id
}

fn value(
    indicator: i64,
    period: Period,
    sex: Option<&str>,
    partner: Option<i64>,
    v: &str,
) -> NewValue {
    let categories = domain::measurement::indicator::parse_categories("sex=F|M").unwrap();
    NewValue {
        indicator_id: indicator,
        period,
        subgroup: match sex {
            None => Subgroup::total(),
            Some(s) => Subgroup::from_choices(&categories, |_| Some(s.to_string())).unwrap(),
        },
        partner_id: partner,
        value: v.parse().unwrap(),
        comment: String::new(),
    }
}

/// Archive the demo's indicators and validation rules in Kiryat Malachi, so
/// that these tests count only what they write.
async fn clear_measurement(app: &TestApp, initiative: i64) {
    let store = app.store();
    for r in store
        .list::<ValidationRule>(Some(initiative), ListOptions::all())
        .await
        .unwrap()
    {
        store
            .set_archived::<ValidationRule>(None, Some(initiative), r.id, None, true)
            .await
            .unwrap();
    }
    // Formulas first: nothing live may point at an archived indicator.
    let mut all = store.indicators(initiative).await.unwrap();
    all.sort_by_key(|r| !r.data.is_formula());
    for r in all {
        store
            .set_archived::<Indicator>(None, Some(initiative), r.id, None, true)
            .await
            .unwrap();
    }
}

/// Indicators of Kiryat Malachi with values over the last three months (the
/// periods the data-quality block checks), a formula, an indicator with an
/// outlier, one with small totals, and a validation rule.
async fn seed(app: &TestApp) -> Seed {
    let store = app.store();
    let initiative = store.initiative_by_slug("kiryat-malachi").await.unwrap().id;
    clear_measurement(app, initiative).await;
    let mut orgs: Vec<Record<Organization>> = store
        .list::<Organization>(Some(initiative), ListOptions::all())
        .await
        .unwrap();
    orgs.sort_by_key(|o| o.id);
    let a = (orgs[0].id, orgs[0].data.name.clone());
    let b = (orgs[1].id, orgs[1].data.name.clone());
    let (m2, m1, m0) = (month(-3), month(-2), month(-1));
    let enrolled = create(
        app,
        initiative,
        indicator(
            "enrolled",
            "Children enrolled",
            &[
                ("disaggregations", "sex=F|M"),
                ("reporters", &format!("{},{}", a.0, b.0)),
                ("targets", &format!("{m0}=50")),
                ("baseline_period", &m2.to_string()),
                ("baseline_value", "40"),
                ("public", "true"),
                ("unit", "children"),
            ],
        ),
    )
    .await;
    let eligible = create(
        app,
        initiative,
        indicator(
            "eligible",
            "Children eligible (internal)",
            &[
                ("disaggregations", "sex=F|M"),
                ("reporters", &b.0.to_string()),
            ],
        ),
    )
    .await;
    let rate = create(
        app,
        initiative,
        indicator(
            "rate",
            "Enrolment rate (internal)",
            &[
                ("numerator_id", &enrolled.to_string()),
                ("denominator_id", &eligible.to_string()),
                ("factor", "100"),
                ("unit", "%"),
            ],
        ),
    )
    .await;
    let visits = create(
        app,
        initiative,
        indicator("visits", "Home visits", &[("public", "true")]),
    )
    .await;
    let tiny = create(
        app,
        initiative,
        indicator("tiny", "Families in crisis", &[("public", "true")]),
    )
    .await;
    store
        .create::<ValidationRule>(
            None,
            Some(initiative),
            &ValidationRule::parse(&fields(&[
                ("rule", "enrolled <= eligible"),
                ("description", "No more children enrolled than eligible"),
            ]))
            .unwrap(),
        )
        .await
        .unwrap();
    let mut rows = vec![
        // Enrolled: a total row, a total row, then subgroup rows only (their sum counts).
        value(enrolled, m2, None, Some(a.0), "40"),
        value(enrolled, m1, None, Some(a.0), "45"),
        value(enrolled, m0, Some("F"), Some(a.0), "30"),
        value(enrolled, m0, Some("M"), Some(a.0), "25"),
        // Eligible: total rows win over subgroup rows of the same period.
        value(eligible, m1, None, Some(b.0), "40"),
        value(eligible, m0, None, Some(b.0), "110"),
        value(eligible, m0, Some("F"), Some(b.0), "60"),
        value(tiny, m0, None, None, "7"),
    ];
    // Home visits: five usual months and one far off.
    for (m, v) in [
        ("2024-01", "10"),
        ("2024-02", "11"),
        ("2024-03", "12"),
        ("2024-04", "11"),
        ("2024-05", "10"),
        ("2024-06", "90"),
    ] {
        rows.push(value(visits, p(m), None, None, v));
    }
    store
        .write_values(
            initiative,
            None,
            &BatchSource {
                source: "api".into(),
                ..Default::default()
            },
            &rows,
        )
        .await
        .unwrap();
    Seed {
        initiative,
        a,
        b,
        enrolled,
        eligible,
        rate,
        visits,
        tiny,
    }
}

async fn user(app: &TestApp, email: &str, role: Role) -> Auth {
    app.user(email, false, &[("kiryat-malachi", role)]).await
}

async fn get_in(
    app: &TestApp,
    path: &str,
    lang: &str,
    auth: Option<&Auth>,
) -> (StatusCode, String) {
    let mut b = Request::builder()
        .uri(path)
        .header(header::ACCEPT_LANGUAGE, lang);
    if let Some(c) = auth.and_then(|a| a.cookie.clone()) {
        b = b.header(header::COOKIE, c);
    }
    let r = app.send(b.body(Body::empty()).unwrap()).await;
    (r.status, r.body)
}

/// The part of `body` from `from` up to `to`.
fn between<'a>(body: &'a str, from: &str, to: &str) -> &'a str {
    let start = body
        .find(from)
        .unwrap_or_else(|| panic!("{from:?} not in page:\n{body}"));
    let rest = &body[start..];
    &rest[..rest.find(to).unwrap_or(rest.len())]
}

fn num(v: &str) -> String {
    format!("<span class=\"n figure\" dir=\"ltr\">{v}</span>")
}

async fn pages_render_for_each_role_in_three_languages(e: Engine) {
    let app = TestApp::new(e).await;
    let s = seed(&app).await;
    let coordinator = user(&app, "c@example.org", Role::Coordinator).await;
    let partner = user(&app, "p@example.org", Role::Partner).await;
    let viewer = user(&app, "v@example.org", Role::Viewer).await;
    let entry = format!("{I}/measurement/entry?period={}", month(-1));
    for (who, auth) in [
        ("coordinator", &coordinator),
        ("partner", &partner),
        ("viewer", &viewer),
    ] {
        for lang in ["en", "es", "he"] {
            for path in [
                format!("{I}/measurement"),
                format!("{I}/measurement/enrolled"),
                format!("{I}/measurement/rate?by=quarter"),
                format!("{I}/measurement/visits?by=year"),
                "/p/kiryat-malachi/dashboard".to_string(),
            ] {
                let (status, body) = get_in(&app, &path, lang, Some(auth)).await;
                assert_eq!(status, StatusCode::OK, "{who} {lang} {path}: {body}");
                assert!(
                    body.contains(&format!("<html lang=\"{lang}\"")),
                    "{who} {lang} {path}"
                );
                assert_eq!(body.contains("dir=\"rtl\""), lang == "he", "{path}");
                assert!(
                    !body.contains("meas-"),
                    "{who} {lang} {path}: an untranslated key"
                );
                assert!(body.contains("<svg class=\"chart"), "{path} draws a chart");
            }
            let (status, body) = get_in(&app, &entry, lang, Some(auth)).await;
            let expected = if who == "viewer" {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::OK
            };
            assert_eq!(status, expected, "{who} {lang} entry");
            if status == StatusCode::OK {
                assert!(!body.contains("meas-"), "{who} {lang} entry");
            }
            let (status, _) =
                get_in(&app, &format!("{I}/measurement/batches"), lang, Some(auth)).await;
            let expected = if who == "coordinator" {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, expected, "{who} {lang} batches");
        }
    }
    // The navigation links the dashboard, marked current on its pages.
    let r = app.get(&format!("{I}/measurement"), Some(&viewer)).await;
    assert!(
        r.body.contains(
            "href=\"/i/kiryat-malachi/measurement\" aria-current=\"page\">Measurement</a>"
        )
    );
    let r = app.get(&format!("{I}/work-plans"), Some(&viewer)).await;
    assert!(
        r.body.contains(
            "href=\"/i/kiryat-malachi/measurement\" aria-current=\"false\">Measurement</a>"
        )
    );
    // A viewer is offered no entry; a partner is.
    let r = app.get(&format!("{I}/measurement"), Some(&viewer)).await;
    assert!(!r.body.contains("/measurement/entry"));
    let r = app.get(&format!("{I}/measurement"), Some(&partner)).await;
    assert!(r.body.contains("/measurement/entry\""));
    // Unknown indicators and other people's initiatives are not found.
    let r = app
        .get(&format!("{I}/measurement/no-such-code"), Some(&viewer))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .get("/i/riverside-zero/measurement", Some(&viewer))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The batches page lists the seed's batch, from the API.
    let r = app
        .get(&format!("{I}/measurement/batches"), Some(&coordinator))
        .await;
    assert!(
        r.body.contains("Batch ") && r.body.contains("the API"),
        "{}",
        r.body
    );
    let _ = (
        s.initiative,
        s.rate,
        s.visits,
        s.tiny,
        s.eligible,
        s.enrolled,
    );
}

async fn dashboard_numbers_follow_the_rules(e: Engine) {
    let app = TestApp::new(e).await;
    let s = seed(&app).await;
    let c = user(&app, "c@example.org", Role::Coordinator).await;
    let r = app.get(&format!("{I}/measurement"), Some(&c)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = &r.body;
    let row = |code: &str| between(body, &format!("<tr id=\"ind-{code}\">"), "</tr>").to_string();
    let (m2, m1, m0) = (month(-3), month(-2), month(-1));
    // Subgroup rows only: their sum (30 + 25).
    let enrolled = row("enrolled");
    assert!(enrolled.contains(&num("55")), "{enrolled}");
    assert!(enrolled.contains(&m0.to_string()));
    // Target 50 for the latest month: (55 − 50) / 50.
    assert!(enrolled.contains(">50</span>") && enrolled.contains(&format!("by {m0}")));
    assert!(enrolled.contains(">+10%</span>"), "{enrolled}");
    // Baseline 40: +15, +37.5 %.
    assert!(enrolled.contains(">+15 (+37.5%)</span>"), "{enrolled}");
    // 40 → 45 → 55: two moves up, and higher is better.
    assert!(enrolled.contains("trend better") && enrolled.contains("better, 2 in a row"));
    // Total rows win: 110, not 110 + 60.
    let eligible = row("eligible");
    assert!(eligible.contains(&num("110")), "{eligible}");
    // The formula: 55 ÷ 110 × 100.
    let rate = row("rate");
    assert!(rate.contains(&num("50")), "{rate}");
    // Sparklines are accessible images with a title.
    assert!(enrolled.contains("role=\"img\"") && enrolled.contains("<title id=\"spark-"));

    // Completeness: A reported enrolled for all three months; B reported
    // eligible for two and enrolled for none.
    let table = between(body, "<table class=\"completeness\"", "</table>");
    let a_row = between(table, &format!(">{}</th>", s.a.1), "</tr>");
    assert!(
        a_row.contains(">3</span>") && a_row.contains(">100%</span>"),
        "{a_row}"
    );
    let b_row = between(table, &format!(">{}</th>", s.b.1), "</tr>");
    assert!(
        b_row.contains(">6</span>") && b_row.contains(">2</span>") && b_row.contains(">33%</span>"),
        "{b_row}"
    );
    // Values written now for last month are late unless within 15 days of its end.
    let missing = between(body, "<ul class=\"missing\"", "</ul>");
    assert!(missing.contains(&s.b.1), "B is named: {missing}");
    assert!(
        !missing.contains(&s.a.1),
        "A reported everything: {missing}"
    );
    for p in [m2, m1, m0] {
        assert!(missing.contains(&format!("enrolled {p}")), "{missing}");
    }
    assert!(missing.contains(&format!("eligible {m2}")));
    assert!(!missing.contains(&format!("eligible {m1}")));

    // Another window: the three months up to 2024-12, when nothing was reported.
    let r = app
        .get(&format!("{I}/measurement?through=2024-12"), Some(&c))
        .await;
    let table = between(&r.body, "<table class=\"completeness\"", "</table>");
    assert!(
        r.body
            .contains("for the periods 2024-10, 2024-11, 2024-12.")
    );
    let a_row = between(table, &format!(">{}</th>", s.a.1), "</tr>");
    assert!(a_row.contains(">0%</span>"), "{a_row}");
    let r = app
        .get(&format!("{I}/measurement?through=2024-13"), Some(&c))
        .await;
    assert!(
        r.body.contains("“2024-13” is not a period") && r.body.contains("aria-invalid=\"true\"")
    );

    // The outlier of home visits.
    let outliers = between(body, "<table class=\"outliers\"", "</table>");
    assert!(
        outliers.contains("Home visits")
            && outliers.contains("2024-06")
            && outliers.contains(">90</span>"),
        "{outliers}"
    );
    assert!(!outliers.contains("2024-05"));

    // The rule fails where 45 children were enrolled of 40 eligible, and
    // cannot be checked where eligible is missing.
    let rules = between(body, "<table class=\"rules\"", "</table>");
    assert!(rules.contains("enrolled &#60;= eligible"), "{rules}");
    assert!(
        rules.contains(&m1.to_string()) && rules.contains("enrolled = 45; eligible = 40"),
        "{rules}"
    );
    assert!(!rules.contains(&m0.to_string()) && !rules.contains(&m2.to_string()));

    // The indicator page: report rows with target and variance, outliers flagged.
    let r = app.get(&format!("{I}/measurement/visits"), Some(&c)).await;
    let report = between(&r.body, "<table class=\"report\">", "</table>");
    let june = between(report, "2024-06", "</tr>");
    assert!(june.contains("Unusual"), "{june}");
    assert!(!between(report, "2024-05", "</tr>").contains("Unusual"));
    let r = app
        .get(&format!("{I}/measurement/enrolled"), Some(&c))
        .await;
    let report = between(&r.body, "<table class=\"report\">", "</table>");
    let last = between(report, &format!(">{m0}</span>"), "</tr>");
    assert!(
        last.contains(">55</span>") && last.contains(">50</span>") && last.contains(">+10%</span>"),
        "{last}"
    );
    // The baseline and the forecast of "turn the curve".
    assert!(
        r.body
            .contains(&format!(">40</span> (<span dir=\"ltr\">{m2}</span>)"))
    );
    assert!(r.body.contains("<table class=\"forecast\""));
    assert!(r.body.contains("Baseline (dotted line)"));
    // A monthly baseline is not drawn against sums of quarters.
    let q = app
        .get(&format!("{I}/measurement/enrolled?by=quarter"), Some(&c))
        .await;
    assert!(!q.body.contains("Baseline (dotted line)"));
    assert!(
        q.body
            .contains(&format!(">40</span> (<span dir=\"ltr\">{m2}</span>)"))
    );
    // Rolled into quarters or a year: sums of the months.
    let r = app
        .get(&format!("{I}/measurement/visits?by=year"), Some(&c))
        .await;
    let report = between(&r.body, "<table class=\"report\">", "</table>");
    assert!(
        report.contains(">2024</span>") && report.contains(">144</span>"),
        "{report}"
    );
    let r = app
        .get(&format!("{I}/measurement/visits?by=quarter"), Some(&c))
        .await;
    let report = between(&r.body, "<table class=\"report\">", "</table>");
    assert!(
        report.contains(">2024Q1</span>")
            && report.contains(">33</span>")
            && report.contains(">111</span>"),
        "{report}"
    );
    let _ = (
        s.rate,
        s.eligible,
        s.enrolled,
        s.visits,
        s.tiny,
        s.initiative,
    );
}

async fn the_grid_writes_values_and_a_bad_cell_writes_nothing(e: Engine) {
    let app = TestApp::new(e).await;
    let s = seed(&app).await;
    let partner = user(&app, "p@example.org", Role::Partner).await;
    let coordinator = user(&app, "c@example.org", Role::Coordinator).await;
    let path = format!("{I}/measurement/entry");
    let r = app
        .get(
            &format!("{path}?period=2025-03&partner={}", s.a.0),
            Some(&partner),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // One row per subgroup and the total, for monthly indicators that take values.
    for name in [
        format!("v:{}:", s.enrolled),
        format!("v:{}:sex=F", s.enrolled),
        format!("v:{}:sex=M", s.enrolled),
        format!("v:{}:", s.eligible),
        format!("v:{}:", s.visits),
    ] {
        assert!(r.body.contains(&format!("name=\"{name}\"")), "{name}");
    }
    assert!(
        !r.body.contains(&format!("name=\"v:{}:", s.rate)),
        "a formula takes no values"
    );
    assert!(
        r.body
            .contains(&format!("<option value=\"{}\" selected>", s.a.0))
    );

    let a = s.a.0.to_string();
    let f = format!("v:{}:sex=F", s.enrolled);
    let m = format!("v:{}:sex=M", s.enrolled);
    let el = format!("v:{}:", s.eligible);
    let vi = format!("v:{}:", s.visits);
    let r = app
        .post_form(
            &path,
            &partner,
            &[
                ("period", "2025-03"),
                ("partner", &a),
                (&f, "12"),
                (&m, " 4 "),
                (&el, "30"),
                (&vi, ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.location().contains("added=3&changed=0"),
        "{}",
        r.location()
    );
    let r = app.get(r.location(), Some(&partner)).await;
    assert!(r.body.contains("Saved: 3 added, 0 changed."), "{}", r.body);
    // What was saved is shown again.
    assert!(r.body.contains(&format!("name=\"{f}\" value=\"12\"")));
    assert!(r.body.contains(&format!("name=\"{m}\" value=\"4\"")));
    // The dashboard follows: 12 + 4 from the subgroup rows.
    let totals_before = app
        .store()
        .values(s.initiative, None, 0, 10_000)
        .await
        .unwrap();

    // One bad cell: nothing is written, the cell is named, what was typed stays.
    let r = app
        .post_form(
            &path,
            &partner,
            &[
                ("period", "2025-03"),
                ("partner", &a),
                (&f, "13"),
                (&m, "4,5"),
                (&el, "31"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("role=\"alert\""));
    assert!(
        r.body
            .contains("Nothing was saved: 1 cell(s) need correcting.")
    );
    let cell = between(&r.body, "<tr class=\" invalid\">", "</tr>");
    assert!(
        cell.contains("“4,5” is not a number such as 12 or 12.5."),
        "{cell}"
    );
    assert!(
        cell.contains(&format!("name=\"{m}\" value=\"4,5\""))
            && cell.contains("aria-invalid=\"true\"")
    );
    assert!(
        r.body
            .contains("Children enrolled — M: “4,5” is not a number"),
        "the summary names the cell"
    );
    assert!(
        r.body.contains(&format!("name=\"{f}\" value=\"13\"")),
        "typed input kept"
    );
    let after = app
        .store()
        .values(s.initiative, None, 0, 10_000)
        .await
        .unwrap();
    assert_eq!(totals_before, after, "nothing was written");

    // Too many decimals, named as such.
    let r = app
        .post_form(
            &path,
            &partner,
            &[("period", "2025-03"), ("partner", &a), (&f, "1.1234567")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("“1.1234567” has more than six decimals."));
    // A period that is not one, or an organization of another initiative.
    let r = app
        .post_form(
            &path,
            &partner,
            &[("period", "2025-13"), ("partner", &a), (&f, "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("“2025-13” is not a period"));
    let r = app
        .post_form(
            &path,
            &partner,
            &[("period", "2025-03"), ("partner", "999999"), (&f, "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("Choose one of this initiative&#39;s organizations")
    );

    // A change: one changed, the rest unchanged.
    let r = app
        .post_form(
            &path,
            &partner,
            &[
                ("period", "2025-03"),
                ("partner", &a),
                (&f, "13"),
                (&m, "4"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.location().contains("added=0&changed=1"),
        "{}",
        r.location()
    );
    // The coordinator sees the batch and the value it replaced.
    let r = app
        .get(&format!("{I}/measurement/batches"), Some(&coordinator))
        .await;
    let latest = between(&r.body, "<section class=\"batch\"", "</section>");
    assert!(
        latest.contains("0 added, 1 changed, 1 unchanged."),
        "{latest}"
    );
    assert!(
        latest.contains("the entry grid") && latest.contains("p@example.org"),
        "{latest}"
    );
    assert!(
        latest.contains(">enrolled</span>")
            && latest.contains(">sex=F</span>")
            && latest.contains(">12</span>"),
        "{latest}"
    );

    // Locked after approval: read-only, and a save is refused.
    let r = app
        .post_form(
            &format!("{I}/measurement/locks"),
            &partner,
            &[("period", "2025-03"), ("lock", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "partners do not lock");
    let r = app
        .post_form(
            &format!("{I}/measurement/locks"),
            &coordinator,
            &[("period", "2025-03"), ("lock", "1"), ("partner", &a)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get(r.location(), Some(&partner)).await;
    assert!(r.body.contains("2025-03 is locked after approval"));
    assert!(r.body.contains(&format!(
        "name=\"{f}\" value=\"13\" inputmode=\"decimal\" dir=\"ltr\" autocomplete=\"off\" readonly"
    )));
    assert!(!r.body.contains("Save the values"));
    let r = app
        .post_form(
            &path,
            &partner,
            &[("period", "2025-03"), ("partner", &a), (&f, "14")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("Nothing was saved: 2025-03 is locked after approval.")
    );
    let r = app
        .post_form(
            &format!("{I}/measurement/locks"),
            &coordinator,
            &[("period", "2025-03"), ("lock", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A locked year makes its months read-only; unlocking it returns to the month.
    let r = app
        .post_form(
            &format!("{I}/measurement/locks"),
            &coordinator,
            &[("period", "2025"), ("lock", "1"), ("at", "2025-03")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().contains("period=2025-03"), "{}", r.location());
    let r = app.get(r.location(), Some(&coordinator)).await;
    assert!(
        r.body
            .contains("2025-03 falls in 2025, which is locked after approval")
    );
    assert!(r.body.contains("Unlock 2025</button>") && !r.body.contains("Save the values"));
    let r = app
        .post_form(
            &format!("{I}/measurement/locks"),
            &coordinator,
            &[("period", "2025"), ("lock", "0"), ("at", "2025-03")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &path,
            &partner,
            &[("period", "2025-03"), ("partner", &a), (&f, "14")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // Without the form's token nothing is written; a viewer may not report.
    let r = app
        .post_form_raw(&path, &partner, &[("period", "2025-03"), (&f, "99")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let viewer = user(&app, "v@example.org", Role::Viewer).await;
    let r = app
        .post_form(&path, &viewer, &[("period", "2025-03"), (&f, "99")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (status, he) = get_in(
        &app,
        &format!("{path}?period=2025-03"),
        "he",
        Some(&partner),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(he.contains("dir=\"rtl\"") && he.contains("סך הכול"));
}

async fn small_cells_are_suppressed_for_a_partner_and_shown_to_a_coordinator(e: Engine) {
    let app = TestApp::new(e).await;
    let s = seed(&app).await;
    app.store()
        .write_values(
            s.initiative,
            None,
            &BatchSource {
                source: "api".into(),
                ..Default::default()
            },
            &[
                value(s.enrolled, p("2025-03"), Some("F"), Some(s.a.0), "12"),
                value(s.enrolled, p("2025-03"), Some("M"), Some(s.a.0), "4"),
            ],
        )
        .await
        .unwrap();
    let coordinator = user(&app, "c@example.org", Role::Coordinator).await;
    let partner = user(&app, "p@example.org", Role::Partner).await;
    let path = format!("{I}/measurement/enrolled?period=2025-03&category=sex&reference=F");
    let equity = |body: &str| between(body, "<table class=\"equity\">", "</table>").to_string();

    let r = app.get(&path, Some(&coordinator)).await;
    assert_eq!(r.status, StatusCode::OK);
    let t = equity(&r.body);
    assert!(t.contains("By sex, against F, in 2025-03"), "{t}");
    let m = between(&t, ">M</th>", "</tr>");
    assert!(
        m.contains(">4</span>") && m.contains(">-8</span>") && m.contains(">0.33×</span>"),
        "{m}"
    );
    assert!(r.body.contains("You see figures under 10"));

    let r = app.get(&path, Some(&partner)).await;
    let t = equity(&r.body);
    let f = between(&t, ">F <span", "</tr>");
    assert!(f.contains(">12</span>"), "the reference has 12: {f}");
    let m = between(&t, ">M</th>", "</tr>");
    assert!(
        m.contains("Suppressed") && !m.contains(">4</span>") && !m.contains("-8"),
        "{m}"
    );
    assert!(r.body.contains("fewer than 10 people are suppressed"));

    // A reference under the minimum hides every comparison with it.
    let r = app
        .get(
            &format!("{I}/measurement/enrolled?period=2025-03&category=sex&reference=M"),
            Some(&partner),
        )
        .await;
    let t = equity(&r.body);
    let f = between(&t, ">F</th>", "</tr>");
    assert!(f.contains(">12</span>") && !f.contains("×"), "{f}");

    // Whole totals under the minimum are small cells too: 7 families.
    let r = app.get(&format!("{I}/measurement"), Some(&partner)).await;
    let tiny = between(&r.body, "<tr id=\"ind-tiny\">", "</tr>");
    assert!(
        tiny.contains("Suppressed") && !tiny.contains(">7</span>"),
        "{tiny}"
    );
    let r = app
        .get(&format!("{I}/measurement"), Some(&coordinator))
        .await;
    let tiny = between(&r.body, "<tr id=\"ind-tiny\">", "</tr>");
    assert!(tiny.contains(&num("7")), "{tiny}");
    let r = app
        .get(&format!("{I}/measurement/tiny"), Some(&partner))
        .await;
    let report = between(&r.body, "<table class=\"report\">", "</table>");
    assert!(
        report.contains("Suppressed") && !report.contains(">7</span>"),
        "{report}"
    );
}

async fn the_portal_dashboard_shows_only_public_indicators(e: Engine) {
    let app = TestApp::new(e).await;
    let s = seed(&app).await;
    let (status, body) = get_in(&app, "/p/kiryat-malachi/dashboard", "en", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Children enrolled") && body.contains("Home visits"));
    assert!(
        !body.contains("(internal)"),
        "eligible and the rate are not public"
    );
    assert!(!body.contains("eligible") && !body.contains("Enrolment rate"));
    // Latest figure, target and direction.
    let enrolled = between(&body, &format!("id=\"pi-{}\"", s.enrolled), "</article>");
    assert!(
        enrolled.contains(&num("55")) && enrolled.contains("children"),
        "{enrolled}"
    );
    assert!(enrolled.contains(&format!("by {}", month(-1))));
    assert!(enrolled.contains("better, 2 in a row") && enrolled.contains("Higher is better"));
    assert!(enrolled.contains("<svg class=\"chart\" role=\"img\""));
    assert!(enrolled.contains("<details>") && enrolled.contains("<table>"));
    // Small cells are always suppressed on the portal.
    let tiny = between(&body, &format!("id=\"pi-{}\"", s.tiny), "</article>");
    assert!(
        tiny.contains("Suppressed") && !tiny.contains(">7</span>"),
        "{tiny}"
    );
    // The portal's home links to it; Hebrew reads right to left.
    let (_, home) = get_in(&app, "/p/kiryat-malachi/", "en", None).await;
    assert!(
        home.contains("href=\"/p/kiryat-malachi/dashboard\">Dashboard of shared indicators</a>")
    );
    let (status, he) = get_in(&app, "/p/kiryat-malachi/dashboard", "he", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(he.contains("dir=\"rtl\"") && he.contains("לוח מחוונים"));
    // No public portal, no dashboard.
    let (status, _) = get_in(&app, "/p/no-such-place/dashboard", "en", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let _ = (s.eligible, s.rate);
}

/// The demo's ten years of indicators render on every page, in every
/// language, for a coordinator and a partner.
async fn the_demo_renders(e: Engine) {
    let app = TestApp::new(e).await;
    let i = app
        .store()
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap();
    let codes: Vec<(String, bool, bool)> = app
        .store()
        .indicators(i.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.data.code,
                r.data.public,
                r.data.disaggregations.is_empty(),
            )
        })
        .collect();
    assert!(!codes.is_empty(), "the demo has indicators");
    let coordinator = user(&app, "c@example.org", Role::Coordinator).await;
    let partner = user(&app, "p@example.org", Role::Partner).await;
    for auth in [&coordinator, &partner] {
        for lang in ["en", "es", "he"] {
            let (status, body) = get_in(&app, &format!("{I}/measurement"), lang, Some(auth)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert!(!body.contains("meas-"));
            for (code, _, _) in &codes {
                for by in ["", "?by=year"] {
                    let path = format!("{I}/measurement/{code}{by}");
                    let (status, body) = get_in(&app, &path, lang, Some(auth)).await;
                    assert_eq!(status, StatusCode::OK, "{path}: {body}");
                    assert!(!body.contains("meas-"), "{path}");
                }
            }
            let (status, body) = get_in(&app, "/p/kiryat-malachi/dashboard", lang, None).await;
            assert_eq!(status, StatusCode::OK);
            assert!(!body.contains("meas-"));
        }
    }
    // The data-quality block finds what the demo put there on purpose.
    let r = app
        .get(&format!("{I}/measurement"), Some(&coordinator))
        .await;
    assert!(
        r.body.contains("<table class=\"outliers\""),
        "the demo's outliers"
    );
    assert!(
        r.body.contains("<table class=\"rules\""),
        "the demo's broken rule"
    );
    assert!(r.body.contains("<table class=\"completeness\""));
    // A disaggregated indicator shows its equity gaps.
    if let Some((code, _, _)) = codes.iter().find(|c| !c.2) {
        let r = app
            .get(&format!("{I}/measurement/{code}"), Some(&partner))
            .await;
        assert!(r.body.contains("<table class=\"equity\">"), "{code}");
    }
    // The public dashboard shows the public ones.
    let (_, body) = get_in(&app, "/p/kiryat-malachi/dashboard", "en", None).await;
    assert!(codes.iter().any(|c| c.1));
    assert!(body.contains("<article class=\"public-indicator\""));
}

both_engines!(
    the_demo_renders,
    pages_render_for_each_role_in_three_languages,
    dashboard_numbers_follow_the_rules,
    the_grid_writes_values_and_a_bad_cell_writes_nothing,
    small_cells_are_suppressed_for_a_partner_and_shown_to_a_coordinator,
    the_portal_dashboard_shows_only_public_indicators,
);
