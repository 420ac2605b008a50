//! The volume path for measured values, on both engines: a batch is written
//! whole or not at all, replaced values keep their history, running sums follow
//! every write, and locked periods refuse values.

use domain::measurement::Decimal;
use domain::measurement::indicator::{Indicator, Subgroup, parse_categories};
use domain::measurement::period::Period;
use domain::resource::Resource;
use domain::validation::FieldMap;
use store::StoreError;
use store::measurement::{BatchSource, NewValue};
use testkit::{Engine, TestApp, both_engines};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn indicator(code: &str, aggregation: &str, categories: &str) -> Indicator {
    let fields: FieldMap = [
        ("code", code),
        ("name", code),
        ("kind", "population"),
        ("polarity", "higher_is_better"),
        ("aggregation", aggregation),
        ("period_aggregation", "sum"),
        ("frequency", "monthly"),
        ("disaggregations", categories),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Indicator::parse(&fields).unwrap()
}

fn value(
    indicator: i64,
    period: &str,
    sub: &[(&str, &str)],
    partner: Option<i64>,
    v: &str,
) -> NewValue {
    let categories = parse_categories("sex=F|M").unwrap();
    let subgroup = if sub.is_empty() {
        Subgroup::total()
    } else {
        Subgroup::from_choices(&categories, |c| {
            sub.iter()
                .find(|(k, _)| *k == c)
                .map(|(_, v)| v.to_string())
        })
        .unwrap()
    };
    NewValue {
        indicator_id: indicator,
        period: Period::parse(period).unwrap(),
        subgroup,
        partner_id: partner,
        value: dec(v),
        comment: String::new(),
    }
}

fn file() -> BatchSource {
    BatchSource {
        source: "file".into(),
        file_name: "values.csv".into(),
        file_hash: "abc".into(),
    }
}

async fn values_sum_and_replace(engine: Engine) {
    let app = TestApp::new(engine).await;
    let s = app.store();
    let km = s.initiative_by_slug("riverside-zero").await.unwrap().id;
    let ind = s
        .create(None, Some(km), &indicator("housed", "sum", "sex=F|M"))
        .await
        .unwrap()
        .id;
    let p = Period::parse("2025-02").unwrap();
    // Subgroup rows only: the total is their sum.
    let first = vec![
        value(ind, "2025-02", &[("sex", "F")], None, "10.25"),
        value(ind, "2025-02", &[("sex", "M")], None, "4.000001"),
        value(ind, "2025-03", &[("sex", "F")], None, "7"),
    ];
    let r = s.write_values(km, None, &file(), &first).await.unwrap();
    assert_eq!((r.added, r.changed, r.unchanged), (3, 0, 0));
    let batch1 = r.batch_id.unwrap();
    let cells = s.cells(&[ind], "", None, None).await.unwrap();
    assert_eq!(cells.len(), 2);
    assert_eq!(
        cells[0].cell.total(domain::measurement::Aggregation::Sum),
        Some(dec("14.250001"))
    );
    // Writing the same again changes nothing, and no batch is recorded.
    let again = s.write_values(km, None, &file(), &first).await.unwrap();
    assert_eq!(
        (again.added, again.changed, again.unchanged, again.batch_id),
        (0, 0, 3, None)
    );
    // A total row wins over the subgroup rows; a replaced value keeps its history.
    let second = vec![
        value(ind, "2025-02", &[], None, "20"),
        value(ind, "2025-02", &[("sex", "F")], None, "11"),
    ];
    let r2 = s.write_values(km, Some(1), &file(), &second).await.unwrap();
    assert_eq!((r2.added, r2.changed, r2.unchanged), (1, 1, 0));
    let cells = s.cells(&[ind], "", Some(p), Some(p)).await.unwrap();
    assert_eq!(cells.len(), 1);
    assert_eq!(
        cells[0].cell.total(domain::measurement::Aggregation::Sum),
        Some(dec("20"))
    );
    assert_eq!(cells[0].cell.sub_sum, dec("15.000001"));
    let slices = s.slices(ind, p).await.unwrap();
    let f = slices.iter().find(|(k, _)| k == "sex=F").unwrap();
    assert_eq!(f.1.sub_sum, dec("11"));
    let replaced = s.replaced_by(r2.batch_id.unwrap()).await.unwrap();
    assert_eq!(replaced.len(), 1);
    assert_eq!(replaced[0].value, dec("10.25"));
    assert_eq!(replaced[0].batch_id, batch1);
    let history = s.value_history(replaced[0].id).await.unwrap();
    assert_eq!(history.len(), 1);
    // Keyset paging walks every value once.
    let page1 = s.values(km, Some(ind), 0, 2).await.unwrap();
    let page2 = s.values(km, Some(ind), page1[1].id, 2).await.unwrap();
    assert_eq!(page1.len() + page2.len(), 4);
    let audit = s
        .audit(&store::audit::Filter {
            initiative: Some(km),
            ..Default::default()
        })
        .await
        .unwrap();
    let mine = [batch1, r2.batch_id.unwrap()];
    let batches: Vec<_> = audit
        .iter()
        .filter(|e| e.kind == "value_batch" && mine.contains(&e.record_id))
        .collect();
    assert_eq!(batches.len(), 2, "one audit entry per batch");
    let listed = s.batches(km, 100).await.unwrap();
    assert!(mine.iter().all(|b| {
        listed
            .iter()
            .any(|l| l.id == *b && l.file_name == "values.csv")
    }));
}

async fn a_bad_batch_writes_nothing(engine: Engine) {
    let app = TestApp::new(engine).await;
    let s = app.store();
    let km = s.initiative_by_slug("riverside-zero").await.unwrap().id;
    let ind = s
        .create(None, Some(km), &indicator("seen", "average", "sex=F|M"))
        .await
        .unwrap()
        .id;
    let dup = vec![
        value(ind, "2025-01", &[], Some(3), "1"),
        value(ind, "2025-01", &[], Some(3), "2"),
    ];
    assert!(matches!(
        s.write_values(km, None, &file(), &dup).await,
        Err(StoreError::Invalid(_))
    ));
    s.set_period_locked(km, Period::parse("2025-04").unwrap(), true, None)
        .await
        .unwrap();
    let locked = vec![
        value(ind, "2025-03", &[], None, "1"),
        value(ind, "2025-04", &[], None, "2"),
    ];
    // A locked year locks its months.
    s.set_period_locked(km, Period::parse("2024").unwrap(), true, None)
        .await
        .unwrap();
    let e = s
        .write_values(km, None, &file(), &[value(ind, "2024-07", &[], None, "1")])
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("2024-07"), "{e:?}");
    let e = s
        .write_values(km, None, &file(), &locked)
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("locked"), "{e:?}");
    assert!(s.values(km, Some(ind), 0, 10).await.unwrap().is_empty());
    assert!(s.cells(&[ind], "", None, None).await.unwrap().is_empty());
    // An indicator of another initiative is refused.
    let other = s.initiative_by_slug("kiryat-malachi").await.unwrap().id;
    assert!(
        s.write_values(other, None, &file(), &locked[..1])
            .await
            .is_err()
    );
    // Averages across partners.
    s.write_values(
        km,
        None,
        &file(),
        &[
            value(ind, "2025-03", &[], Some(1), "1"),
            value(ind, "2025-03", &[], Some(2), "2"),
        ],
    )
    .await
    .unwrap();
    let c = s.cells(&[ind], "", None, None).await.unwrap();
    assert_eq!(
        c[0].cell.total(domain::measurement::Aggregation::Average),
        Some(dec("1.5"))
    );
    assert_eq!(Indicator::KIND, "indicator");
}

both_engines!(values_sum_and_replace, a_bad_batch_writes_nothing);
