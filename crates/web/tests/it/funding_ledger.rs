//! The open book (see `domain::funding::ledger`): entries through the API and
//! the pages, each bad input refused naming its field, reversals (never
//! twice, never of a reversal; the totals net out), who may read and write,
//! the portal's book only when published, budget against actual checked
//! against figures worked out by hand, and the running totals against a
//! recount of the entries.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use chrono::NaiveDate;
use serde_json::{Value, json};

use domain::access::Role;
use domain::agenda::Objective;
use domain::funding::ledger::{EntryKind, NewEntry, TotalKey};
use domain::funding::records::{BudgetLine, Commitment, Funder, FundingPublication};
use store::records::ListOptions;
use testkit::{Engine, TestApp, both_engines};

const KM: &str = "kiryat-malachi";
const API: &str = "/api/v1/initiatives/kiryat-malachi";

async fn km(app: &TestApp) -> i64 {
    app.store().initiative_by_slug(KM).await.unwrap().id
}

/// A 422's field errors.
fn fields(r: &testkit::Res) -> Value {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    r.json()["fields"].clone()
}

/// How many entries the initiative's ledger holds (all pages).
async fn count(app: &TestApp, i: i64) -> usize {
    app.store()
        .ledger_entries(i, store::funding::ledger::Keyset::After(0), 1_000_000)
        .await
        .unwrap()
        .len()
}

async fn line(app: &TestApp, i: i64, name: &str, year: i32, amount: i64, currency: &str) -> i64 {
    app.store()
        .create(
            None,
            Some(i),
            &BudgetLine {
                name: name.into(),
                year,
                amount_minor: amount,
                currency: currency.into(),
                objective_id: None,
                activity_id: None,
                cost_item_id: None,
            },
        )
        .await
        .unwrap()
        .id
}

async fn funder(app: &TestApp, i: i64, name: &str) -> i64 {
    app.store()
        .list::<Funder>(Some(i), ListOptions::all())
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.data.name == name)
        .unwrap_or_else(|| panic!("no funder {name}"))
        .id
}

async fn bad_input_is_refused_naming_the_field(e: Engine) {
    let app = TestApp::new(e).await;
    let coordinator = app
        .user("coordinator@example.org", false, &[(KM, Role::Coordinator)])
        .await;
    let i = km(&app).await;
    let ils = line(&app, i, "Hand-checked line", 2031, 100_000, "ILS").await;
    let gazit = funder(&app, i, "Gazit Globe").await;
    let rashi = funder(&app, i, "Rashi Foundation").await;
    let spu_years = app
        .store()
        .list::<Commitment>(Some(i), ListOptions::all())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.data.title == "Strategic Planning Unit, years 1–2")
        .unwrap();
    assert_eq!(spu_years.data.funder_id, gazit);
    let before = count(&app, i).await;
    let expense = |extra: Value| {
        let mut e = json!({"entry_date": "2031-03-04", "kind": "expense", "amount_minor": 5000,
            "currency": "ILS", "budget_line_id": ils, "payee": "Supplier"});
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        e
    };
    // One entry more than a batch takes (2,000) is named, not cut off by the
    // body limit.
    let many: Vec<Value> = (0..2_001).map(|_| expense(json!({}))).collect();
    let r = app
        .api(
            Method::POST,
            &format!("{API}/ledger"),
            Some(&coordinator),
            Some(json!({ "entries": many })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.json()["fields"]["entries"].is_string(), "{}", r.body);

    let c = spu_years.id;
    for (body, field, code_word) in [
        (
            expense(json!({"amount_minor": -5000})),
            "amount_minor",
            "negative",
        ),
        (expense(json!({"amount_minor": 0})), "amount_minor", "zero"),
        (expense(json!({"currency": "GBP"})), "currency", "GBP"),
        (
            json!({"entry_date": "2019-02-01", "kind": "income", "amount_minor": 100, "currency": "ILS", "funder_id": gazit, "commitment_id": c}),
            "entry_date",
            "period",
        ),
        (
            json!({"entry_date": "2017-02-01", "kind": "income", "amount_minor": 100, "currency": "ILS", "funder_id": rashi, "commitment_id": c}),
            "funder_id",
            "funder",
        ),
        (
            json!({"entry_date": "2017-02-01", "kind": "income", "amount_minor": 100, "currency": "USD", "funder_id": gazit, "commitment_id": c}),
            "currency",
            "commitment",
        ),
        (
            expense(json!({"budget_line_id": 999_999})),
            "budget_line_id",
            "budget line",
        ),
        (expense(json!({"surprise": 1})), "surprise", "not a field"),
    ] {
        let r = app
            .api(
                Method::POST,
                &format!("{API}/ledger"),
                Some(&coordinator),
                Some(body.clone()),
            )
            .await;
        let f = fields(&r);
        let message = f[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} not named: {}", r.body));
        assert!(
            message.contains(field) || message.contains(code_word),
            "{field}: {message}"
        );
    }
    // A batch: the bad entry is named by its index, and nothing is written.
    let r = app
        .api(
            Method::POST,
            &format!("{API}/ledger"),
            Some(&coordinator),
            Some(json!({"entries": [expense(json!({})), expense(json!({"currency": "GBP"}))]})),
        )
        .await;
    assert!(fields(&r)["entries[1].currency"].is_string(), "{}", r.body);
    assert!(fields(&r).get("entries[0].currency").is_none());
    assert_eq!(count(&app, i).await, before, "nothing written on any error");
    // The same refusals through the page keep what was typed.
    let page = "/i/kiryat-malachi/funding/ledger";
    let r = app
        .post_form(
            page,
            &coordinator,
            &[
                ("entry_date", "2031-03-04"),
                ("kind", "expense"),
                ("amount", "-12.50"),
                ("currency", "ILS"),
                ("payee", "Typed payee"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"-12.50\""), "typed amount kept");
    assert!(r.body.contains("value=\"Typed payee\""));
    assert!(r.body.contains("amount must not be negative"));
    let ils_s = ils.to_string();
    let r = app
        .post_form(
            page,
            &coordinator,
            &[
                ("entry_date", "2031-03-04"),
                ("kind", "expense"),
                ("amount", "12.50"),
                ("currency", "GBP"),
                ("budget_line_id", &ils_s),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("does not match the budget line"));
    assert!(r.body.contains("value=\"GBP\""));
    assert!(
        r.body
            .contains(&format!("<option value=\"{ils}\" selected>"))
    );
    assert_eq!(count(&app, i).await, before);
    // A good one.
    let r = app
        .post_form(
            page,
            &coordinator,
            &[
                ("entry_date", "2031-03-04"),
                ("kind", "expense"),
                ("amount", "12.50"),
                ("currency", "ILS"),
                ("budget_line_id", &ils_s),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(count(&app, i).await, before + 1);
    let b = app.store().budget_vs_actual(i, 2031).await.unwrap();
    let row = b.lines.iter().find(|r| r.id == Some(ils)).unwrap();
    assert_eq!(row.actual_minor, 1250);
}

async fn reversal_nets_out_and_happens_once(e: Engine) {
    let app = TestApp::new(e).await;
    let coordinator = app
        .user("coordinator@example.org", false, &[(KM, Role::Coordinator)])
        .await;
    let i = km(&app).await;
    let l = line(&app, i, "Reversal line", 2032, 50_000, "ILS").await;
    let r = app
        .api(
            Method::POST,
            &format!("{API}/ledger"),
            Some(&coordinator),
            Some(json!({"entry_date": "2032-05-01", "kind": "expense", "amount": "120.00", "currency": "ILS", "budget_line_id": l})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["entries"][0]["id"].as_i64().unwrap();
    assert_eq!(r.json()["entries"][0]["amount_minor"], 12_000);
    let actual = |app: &TestApp| {
        let store = app.store().clone();
        async move {
            let b = store.budget_vs_actual(i, 2032).await.unwrap();
            b.lines
                .iter()
                .find(|r| r.id == Some(l))
                .unwrap()
                .actual_minor
        }
    };
    assert_eq!(actual(&app).await, 12_000);
    // Through the page: confirmation, then the reversing entry.
    let path = format!("/i/kiryat-malachi/funding/ledger/{id}/reverse");
    let r = app.get(&path, Some(&coordinator)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Reverse this entry"));
    let r = app.post_form(&path, &coordinator, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(actual(&app).await, 0, "the reversal nets the entry out");
    let reversed = app.store().ledger_entry(i, id).await.unwrap();
    let by = reversed.reversed_by.expect("reversed");
    let reversal = app.store().ledger_entry(i, by).await.unwrap();
    assert_eq!(reversal.reverses, Some(id));
    assert_eq!(reversal.entry.amount_minor, -12_000);
    // Twice: refused, on the page and through the API; a reversal is never reversed.
    let r = app.post_form(&path, &coordinator, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("already reversed"));
    let r = app
        .api(
            Method::POST,
            &format!("{API}/ledger/{id}/reverse"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(
        fields(&r)["reverses"]
            .as_str()
            .map(|m| m.contains("already reversed")),
        Some(true)
    );
    let r = app
        .api(
            Method::POST,
            &format!("{API}/ledger/{by}/reverse"),
            Some(&coordinator),
            None,
        )
        .await;
    assert!(
        fields(&r)["reverses"]
            .as_str()
            .unwrap()
            .contains("itself a reversal")
    );
    assert_eq!(actual(&app).await, 0);
    // An entry of another initiative is not found.
    let r = app
        .api(
            Method::POST,
            "/api/v1/initiatives/kiryat-malachi/ledger/999999999/reverse",
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn partners_read_the_book_coordinators_write_it(e: Engine) {
    let app = TestApp::new(e).await;
    let viewer = app
        .user("viewer@example.org", false, &[(KM, Role::Viewer)])
        .await;
    let partner = app
        .user("partner@example.org", false, &[(KM, Role::Partner)])
        .await;
    let outsider = app.user("outsider@example.org", false, &[]).await;
    let i = km(&app).await;
    let id = app
        .store()
        .ledger_entries(i, store::funding::ledger::Keyset::Before(None), 1)
        .await
        .unwrap()[0]
        .id;
    let entry = json!({"entry_date": "2024-01-02", "kind": "expense", "amount_minor": 100, "currency": "ILS"});
    for who in [&viewer, &partner] {
        for page in [
            "/i/kiryat-malachi/funding",
            "/i/kiryat-malachi/funding/ledger",
            "/i/kiryat-malachi/funding/budget?year=2020",
        ] {
            let r = app.get(page, Some(who)).await;
            assert_eq!(r.status, StatusCode::OK, "{page}");
        }
        let r = app.get("/i/kiryat-malachi/funding/ledger", Some(who)).await;
        assert!(!r.body.contains("Add an entry"), "no form for readers");
        assert!(
            r.body.contains("Summer camp supplier") || r.body.contains("Salaries and suppliers")
        );
        for path in ["ledger", "budget?year=2020"] {
            let r = app
                .api(Method::GET, &format!("{API}/{path}"), Some(who), None)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
        }
        // A page cannot start before the first entry.
        let r = app
            .api(
                Method::GET,
                &format!("{API}/ledger?after=-1"),
                Some(who),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.json()["fields"]["after"].is_string(), "{}", r.body);
        let r = app
            .api(
                Method::POST,
                &format!("{API}/ledger"),
                Some(who),
                Some(entry.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .api(
                Method::POST,
                &format!("{API}/ledger/{id}/reverse"),
                Some(who),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .post_form(
                "/i/kiryat-malachi/funding/ledger",
                who,
                &[
                    ("entry_date", "2024-01-02"),
                    ("kind", "expense"),
                    ("amount", "1"),
                    ("currency", "ILS"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    // Without a role: not found; anonymous: nothing but the sign-in.
    let r = app
        .get("/i/kiryat-malachi/funding/ledger", Some(&outsider))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .api(Method::GET, &format!("{API}/ledger"), Some(&outsider), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/i/kiryat-malachi/funding/ledger", None).await;
    assert_ne!(r.status, StatusCode::OK);
    assert!(!r.body.contains("Salaries and suppliers"));
    let r = app
        .api(Method::GET, &format!("{API}/budget"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The portal's book: shown while published, 404 once not.
    let r = app
        .get("/p/kiryat-malachi/funding/book?year=2020", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Strategic Planning Unit"));
    assert!(!r.body.contains("by-funder"), "the portal shows lines only");
    let p = app
        .store()
        .list::<FundingPublication>(Some(i), ListOptions::all())
        .await
        .unwrap()
        .remove(0);
    let mut data = p.data.clone();
    data.publish_book = false;
    app.store()
        .update(None, Some(i), p.id, p.version, &data)
        .await
        .unwrap();
    let r = app
        .get("/p/kiryat-malachi/funding/book?year=2020", None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/p/riverside-zero/funding/book", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Figures worked out by hand for 2031, a year the demo leaves empty.
async fn budget_against_actual_by_hand(e: Engine) {
    let app = TestApp::new(e).await;
    let coordinator = app
        .user("coordinator@example.org", false, &[(KM, Role::Coordinator)])
        .await;
    let i = km(&app).await;
    let objective = app
        .store()
        .list::<Objective>(Some(i), ListOptions::all())
        .await
        .unwrap()
        .remove(0);
    let ils = app
        .store()
        .create(
            None,
            Some(i),
            &BudgetLine {
                name: "Hand ILS".into(),
                year: 2031,
                amount_minor: 100_000,
                currency: "ILS".into(),
                objective_id: Some(objective.id),
                activity_id: None,
                cost_item_id: None,
            },
        )
        .await
        .unwrap()
        .id;
    let gbp = line(&app, i, "Hand GBP", 2031, 50_000, "GBP").await;
    let muni = funder(&app, i, "Kiryat Malachi Municipality").await;
    let r = app
        .api(
            Method::POST,
            &format!("{API}/ledger"),
            Some(&coordinator),
            Some(json!({"entries": [
                {"entry_date": "2031-01-10", "kind": "expense", "amount_minor": 30_000, "currency": "ILS", "budget_line_id": ils, "funder_id": muni},
                {"entry_date": "2031-02-10", "kind": "expense", "amount_minor": 15_050, "currency": "ILS", "budget_line_id": ils},
                {"entry_date": "2031-03-10", "kind": "expense", "amount_minor": 20_000, "currency": "GBP", "budget_line_id": gbp, "funder_id": muni},
                {"entry_date": "2031-04-10", "kind": "expense", "amount_minor": 70_000, "currency": "ILS", "budget_line_id": ils, "funder_id": muni}
            ]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["totals"]["ILS"], 115_050);
    assert_eq!(r.json()["totals"]["GBP"], 20_000);
    let second = r.json()["entries"][1]["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::POST,
            &format!("{API}/ledger/{second}/reverse"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .api(
            Method::GET,
            &format!("{API}/budget?year=2031"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let b = r.json();
    let row = |list: &str, id: i64| -> Value {
        b[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{list} {id}: {b}"))
            .clone()
    };
    // ILS line: 100,000 planned; 30,000 + 70,000 spent (15,050 reversed):
    // nothing left, all of it spent.
    let l = row("lines", ils);
    assert_eq!(
        (
            l["budget_minor"].as_i64(),
            l["actual_minor"].as_i64(),
            l["difference_minor"].as_i64(),
            l["share_spent_bp"].as_i64()
        ),
        (Some(100_000), Some(100_000), Some(0), Some(10_000))
    );
    // GBP line: 20,000 of 50,000, 40%.
    let l = row("lines", gbp);
    assert_eq!(
        (
            l["actual_minor"].as_i64(),
            l["difference_minor"].as_i64(),
            l["share_spent_bp"].as_i64()
        ),
        (Some(20_000), Some(30_000), Some(4_000))
    );
    // The municipality paid 100,000 ILS and 20,000 GBP, in two rows.
    let m: Vec<(String, i64)> = b["funders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] == muni)
        .map(|r| {
            (
                r["currency"].as_str().unwrap().to_string(),
                r["actual_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        m,
        vec![("GBP".to_string(), 20_000), ("ILS".to_string(), 100_000)]
    );
    let o = row("objectives", objective.id);
    assert_eq!(
        (o["budget_minor"].as_i64(), o["actual_minor"].as_i64()),
        (Some(100_000), Some(100_000))
    );
    let currencies: Vec<(String, i64, i64)> = b["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["currency"].as_str().unwrap().to_string(),
                r["budget_minor"].as_i64().unwrap(),
                r["actual_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        currencies,
        vec![
            ("GBP".into(), 50_000, 20_000),
            ("ILS".into(), 100_000, 100_000)
        ]
    );
    // The page shows the same.
    let r = app
        .get(
            "/i/kiryat-malachi/funding/budget?year=2031",
            Some(&coordinator),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Hand GBP"));
    assert!(r.body.contains("GBP 200.00"));
    assert!(
        r.body.contains("40.00%") || r.body.contains("40%"),
        "{}",
        r.body
    );
    let r = app
        .get(
            "/i/kiryat-malachi/funding/budget?year=nope",
            Some(&coordinator),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn running_totals_equal_a_recount(e: Engine) {
    let app = TestApp::new(e).await;
    let store = app.store();
    let i = km(&app).await;
    let lines = store.budget_lines_of(i, Some(2023)).await.unwrap();
    let muni = funder(&app, i, "Kiryat Malachi Municipality").await;
    let mut ids = vec![];
    for batch in 0..5i64 {
        let entries: Vec<NewEntry> = (0..40i64)
            .map(|n| NewEntry {
                entry_date: NaiveDate::from_ymd_opt(2023, 1 + (n % 12) as u32, 3).unwrap(),
                kind: EntryKind::Expense,
                amount_minor: 100 + batch * 7 + n,
                currency: "ILS".into(),
                funder_id: (n % 3 == 0).then_some(muni),
                payer: String::new(),
                payee: format!("Batch {batch}"),
                budget_line_id: Some(lines[(n as usize) % lines.len()].id),
                commitment_id: None,
                reference: String::new(),
                attachment: String::new(),
            })
            .collect();
        let w = store.write_ledger(i, None, "test", &entries).await.unwrap();
        assert_eq!(w.entries, 40);
        ids.extend(
            store
                .ledger_batch(i, w.batch_id)
                .await
                .unwrap()
                .iter()
                .map(|e| e.id),
        );
    }
    for id in ids.iter().step_by(7) {
        store.reverse_entry(i, None, *id).await.unwrap();
    }
    let kept: BTreeMap<TotalKey, i64> = store
        .ledger_totals(i, None)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.key, t.total_minor))
        .collect();
    let recount = store.ledger_recount(i).await.unwrap();
    assert!(!recount.is_empty());
    assert_eq!(kept, recount);
    // spent_on_cost_items reads the same totals.
    let spent = store.spent_on_cost_items(i).await.unwrap();
    let items: BTreeMap<i64, i64> = store
        .budget_lines_of(i, None)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|l| l.cost_item_id.map(|c| (l.id, c)))
        .collect();
    let mut by_hand: BTreeMap<(i64, i32, Option<i64>), i64> = BTreeMap::new();
    for (k, v) in &recount {
        if k.kind != EntryKind::Expense {
            continue;
        }
        if let Some(item) = k.budget_line_id.and_then(|l| items.get(&l)) {
            *by_hand.entry((*item, k.year, k.funder_id)).or_default() += v;
        }
    }
    let got: BTreeMap<(i64, i32, Option<i64>), i64> = spent
        .iter()
        .map(|s| ((s.cost_item_id, s.year, s.funder_id), s.amount_minor))
        .collect();
    assert_eq!(got, by_hand);
}

both_engines!(
    bad_input_is_refused_naming_the_field,
    reversal_nets_out_and_happens_once,
    partners_read_the_book_coordinators_write_it,
    budget_against_actual_by_hand,
    running_totals_equal_a_recount
);
