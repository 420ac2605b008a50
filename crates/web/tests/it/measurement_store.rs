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
}

/// A network's rollup over many periods, read in one pass, is the rollup of
/// each period: per site its total (total rows win), the network's sum.
async fn a_rollup_series_is_the_rollup_of_each_period(engine: Engine) {
    let app = TestApp::new(engine).await;
    let s = app.store();
    let rz = s.initiative_by_slug("riverside-zero").await.unwrap();
    let km = s.initiative_by_slug("kiryat-malachi").await.unwrap();
    let network = rz.data.network_id.unwrap();
    let mut ids = vec![];
    for site in [&rz, &km] {
        let ind = s
            .create(None, Some(site.id), &indicator("housed", "sum", "sex=F|M"))
            .await
            .unwrap()
            .id;
        ids.push(ind);
    }
    s.write_values(
        rz.id,
        None,
        &file(),
        &[
            value(ids[0], "2025-01", &[("sex", "F")], None, "2"),
            value(ids[0], "2025-01", &[("sex", "M")], None, "3"),
            value(ids[0], "2025-03", &[], None, "7.5"),
            value(ids[0], "2025-03", &[("sex", "F")], None, "1"),
        ],
    )
    .await
    .unwrap();
    s.write_values(
        km.id,
        None,
        &file(),
        &[
            value(ids[1], "2025-01", &[], None, "10"),
            value(ids[1], "2025-02", &[("sex", "M")], None, "4"),
        ],
    )
    .await
    .unwrap();
    let series = s
        .rollup_series(network, "housed", None, None)
        .await
        .unwrap();
    let periods: Vec<String> = series.iter().map(|(p, _)| p.to_string()).collect();
    assert_eq!(periods, ["2025-01", "2025-02", "2025-03"]);
    for (p, r) in &series {
        assert_eq!(*r, s.rollup(network, "housed", *p).await.unwrap(), "{p}");
    }
    assert_eq!(series[0].1.total, Some(dec("15")));
    assert_eq!(series[2].1.total, Some(dec("7.5")));
    let sites: Vec<_> = series[1].1.sites.iter().map(|x| x.value).collect();
    assert_eq!(
        sites,
        [Some(dec("4")), None],
        "kiryat-malachi, then riverside-zero"
    );
    let from = Period::parse("2025-02").unwrap();
    let narrow = s
        .rollup_series(network, "housed", Some(from), Some(from))
        .await
        .unwrap();
    assert_eq!(narrow.len(), 1);
    assert_eq!(narrow[0].1.total, Some(dec("4")));
}

both_engines!(
    values_sum_and_replace,
    a_bad_batch_writes_nothing,
    a_rollup_series_is_the_rollup_of_each_period
);

/// A tiny deterministic generator for the property test below.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// The running sums never drift from the values: after several batches that
/// add, replace and mix total and subgroup rows from several partners, every
/// total (and a network rollup, sum, average and formula) equals a naive
/// recomputation from the stored values alone.
async fn running_sums_equal_a_naive_recount(engine: Engine) {
    use std::collections::BTreeMap;
    let app = TestApp::new(engine).await;
    let s = app.store();
    let sites = [
        s.initiative_by_slug("kiryat-malachi").await.unwrap().id,
        s.initiative_by_slug("riverside-zero").await.unwrap().id,
    ];
    let network = s
        .initiative_by_slug("kiryat-malachi")
        .await
        .unwrap()
        .data
        .network_id
        .unwrap();
    let mut rng = Lcg(7);
    let mut ids = vec![];
    for site in sites {
        let sum = s
            .create(None, Some(site), &indicator("prop_sum", "sum", "sex=F|M"))
            .await
            .unwrap()
            .id;
        let avg = s
            .create(
                None,
                Some(site),
                &indicator("prop_avg", "average", "sex=F|M"),
            )
            .await
            .unwrap()
            .id;
        let mut ratio = indicator("prop_ratio", "sum", "");
        ratio.numerator_id = Some(sum);
        ratio.denominator_id = Some(avg);
        ratio.factor = Some(dec("100"));
        s.create(None, Some(site), &ratio).await.unwrap();
        ids.push((site, sum, avg));
    }
    let months = ["2025-01", "2025-02", "2025-03"];
    for _batch in 0..4 {
        for (site, sum, avg) in &ids {
            let mut rows: BTreeMap<(i64, String, String, i64), NewValue> = BTreeMap::new();
            for _ in 0..20 {
                let ind = if rng.next(2) == 0 { *sum } else { *avg };
                let month = months[rng.next(3) as usize];
                let sub: &[(&str, &str)] = match rng.next(3) {
                    0 => &[],
                    1 => &[("sex", "F")],
                    _ => &[("sex", "M")],
                };
                let partner = [None, Some(1), Some(2)][rng.next(3) as usize];
                let v = format!("{}.{}", rng.next(50), rng.next(100));
                let nv = value(ind, month, sub, partner, &v);
                rows.insert(
                    (
                        ind,
                        month.to_string(),
                        nv.subgroup.key(),
                        partner.unwrap_or(0),
                    ),
                    nv,
                );
            }
            let rows: Vec<NewValue> = rows.into_values().collect();
            s.write_values(*site, None, &file(), &rows).await.unwrap();
        }
    }
    // The naive recount: every stored value, grouped by hand.
    let agg = |vals: &[Decimal], average: bool| -> Option<Decimal> {
        if vals.is_empty() {
            return None;
        }
        let total: Decimal = vals.iter().copied().sum();
        Some(if average {
            total / Decimal::from(vals.len() as i64)
        } else {
            total
        })
    };
    let naive =
        |stored: &[store::measurement::StoredValue], ind: i64, month: &str, average: bool| {
            let of: Vec<_> = stored
                .iter()
                .filter(|v| v.indicator_id == ind && v.period == month)
                .collect();
            let totals: Vec<Decimal> = of
                .iter()
                .filter(|v| v.subgroup.is_empty())
                .map(|v| v.value)
                .collect();
            let subs: Vec<Decimal> = of
                .iter()
                .filter(|v| !v.subgroup.is_empty())
                .map(|v| v.value)
                .collect();
            if totals.is_empty() {
                agg(&subs, average)
            } else {
                agg(&totals, average)
            }
        };
    // Per month, each site's (sum, average) totals.
    type SiteTotals = Vec<(Option<Decimal>, Option<Decimal>)>;
    let mut per_month: BTreeMap<&str, SiteTotals> = BTreeMap::new();
    for (site, sum, avg) in &ids {
        let stored = s.values(*site, None, 0, 100_000).await.unwrap();
        let all = s.indicators(*site).await.unwrap();
        let wanted: Vec<_> = all
            .iter()
            .filter(|r| r.data.code.starts_with("prop_"))
            .collect();
        let totals = s.totals(&wanted, &all).await.unwrap();
        let ratio = wanted
            .iter()
            .find(|r| r.data.code == "prop_ratio")
            .unwrap()
            .id;
        for month in months {
            let p = Period::parse(month).unwrap();
            let (ns, na) = (
                naive(&stored, *sum, month, false),
                naive(&stored, *avg, month, true),
            );
            assert_eq!(totals[sum].get(&p).copied(), ns, "sum {site} {month}");
            assert_eq!(totals[avg].get(&p).copied(), na, "average {site} {month}");
            let want_ratio = match (ns, na) {
                (Some(n), Some(d)) if !d.is_zero() => Some(n * dec("100") / d),
                _ => None,
            };
            assert_eq!(
                totals[&ratio].get(&p).copied(),
                want_ratio,
                "ratio {site} {month}"
            );
            per_month.entry(month).or_default().push((ns, na));
        }
    }
    for month in months {
        let p = Period::parse(month).unwrap();
        let rows = &per_month[month];
        let sums: Vec<Decimal> = rows.iter().filter_map(|r| r.0).collect();
        let avgs: Vec<Decimal> = rows.iter().filter_map(|r| r.1).collect();
        let r = s.rollup(network, "prop_sum", p).await.unwrap();
        assert_eq!(r.sites.len(), 2);
        assert_eq!(r.total, agg(&sums, false), "network sum {month}");
        let r = s.rollup(network, "prop_avg", p).await.unwrap();
        assert_eq!(r.total, agg(&avgs, true), "network average {month}");
        // A ratio of the network's sums, not an average of the sites' ratios.
        let r = s.rollup(network, "prop_ratio", p).await.unwrap();
        let want = match (agg(&sums, false), agg(&avgs, true)) {
            (Some(n), Some(d)) if !d.is_zero() => Some(n * dec("100") / d),
            _ => None,
        };
        assert_eq!(r.total, want, "network ratio {month}");
    }
    // The series over every period is the rollup of each period, formulas too.
    for code in ["prop_sum", "prop_avg", "prop_ratio"] {
        for (p, r) in s.rollup_series(network, code, None, None).await.unwrap() {
            assert_eq!(r, s.rollup(network, code, p).await.unwrap(), "{code} {p}");
        }
    }
}

both_engines!(running_sums_equal_a_naive_recount);
