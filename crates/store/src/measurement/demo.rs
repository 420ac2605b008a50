//! The demo's measurement: ten years of Kiryat Malachi's education indicators.
//!
//! Seed 000 names the areas — early childhood, informal education, excellence —
//! and asks the partners to "measure progress together and in the open". The
//! figures are invented but plausible: enrolment grows a few percent a year with
//! a summer dip; matriculation eligibility climbs from about half to about
//! two-thirds. Three things are there on purpose, for the coordinator's
//! data-quality view to find: two values typed with an extra digit (outliers),
//! a partner (the Young People's Center) that reports its recent months late,
//! and a validation rule (`bagrut_eligible <= grade12_students`) that one
//! year's figures break. The ten years end with the month before the demo is
//! loaded, so that its latest figures are always recent.
//!
//! Values are written in one batch per indicator through the store's own row
//! writer ([`super::write_values_in`]), inside the demo's one transaction. The
//! recent months' `recorded_at` is then set to when a partner would have sent
//! them, so timeliness reads true.

use chrono::{Duration, NaiveDate};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend};

use domain::measurement::indicator::{Indicator, Subgroup, parse_categories};
use domain::measurement::period::Period;
use domain::measurement::{Decimal, Frequency};
use domain::resource::Resource;
use domain::validation::FieldMap;

use super::{BatchSource, NewValue, write_values_in};
use crate::records::create_in;
use crate::{Engine, Result, StoreError, Timestamp};

/// The organizations that report.
pub(crate) struct Reporters {
    pub edu: i64,
    pub school: i64,
    pub youth: i64,
}

/// A small deterministic generator: the demo is the same on every machine.
struct Noise(u64);

impl Noise {
    /// A factor in `1 ± spread`.
    fn around(&mut self, spread: f64) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let unit = ((self.0 >> 33) as f64) / ((1u64 << 31) as f64);
        1.0 + spread * (2.0 * unit - 1.0)
    }
}

fn whole(x: f64) -> Decimal {
    Decimal::from(x.round() as i64)
}

fn fields(pairs: &[(&str, String)]) -> FieldMap {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

async fn indicator(
    txn: &DatabaseTransaction,
    initiative: i64,
    pairs: &[(&str, String)],
) -> Result<i64> {
    let parsed = Indicator::parse(&fields(pairs)).map_err(StoreError::Invalid)?;
    Ok(create_in(txn, None, Some(initiative), &parsed).await?.id)
}

/// The last `n` months that ended before the demo was loaded, so that its
/// latest figures are always last month's.
fn last_months(n: i64) -> Vec<Period> {
    let today = chrono::Utc::now().date_naive();
    let last = Period::containing(today, Frequency::Monthly)
        .prev()
        .expect("a month before this one");
    Period::range(last.offset(1 - n).expect("a demo month"), last)
}

/// The year the demo's last month falls in.
fn last_year() -> i32 {
    match last_months(1)[0] {
        Period::Month(y, _) => y,
        _ => unreachable!("a month"),
    }
}

pub(crate) async fn kiryat_malachi(
    txn: &DatabaseTransaction,
    initiative: i64,
    r: &Reporters,
) -> Result<()> {
    let engine = match txn.get_database_backend() {
        DbBackend::Postgres => Engine::Postgres,
        _ => Engine::Sqlite,
    };
    let s = |v: &str| v.to_string();
    let id = |v: i64| v.to_string();
    let mut noise = Noise(2016);
    let ten_years = last_months(120);
    let first = ten_years[0];
    let ly = last_year();
    let demo = BatchSource {
        source: "demo".into(),
        file_name: String::new(),
        file_hash: String::new(),
    };

    // Early childhood: children in frameworks, monthly, by neighbourhood and sex.
    let early = indicator(
        txn,
        initiative,
        &[
            ("code", s("early_childhood_enrolled")),
            ("name", s("Children aged 0–3 in early childhood frameworks")),
            ("definition", s("Children aged 0 to 3 enrolled in a daycare, nursery or home-based framework on the last day of the month.")),
            ("unit", s("children")),
            ("kind", s("population")),
            ("polarity", s("higher_is_better")),
            ("aggregation", s("sum")),
            ("period_aggregation", s("last")),
            ("frequency", s("monthly")),
            ("owner_org_id", id(r.edu)),
            ("data_source", s("Municipal Education Division enrolment register")),
            ("baseline_period", first.to_string()),
            ("baseline_value", s("890")),
            (
                "targets",
                format!("{}-12=1150;{}-12=1200;{}-12=1250", ly - 1, ly, ly + 1),
            ),
            ("disaggregations", s("neighbourhood=North|Center|South|East;sex=F|M")),
            ("reporters", id(r.edu)),
            ("sdg", s("4.2.2")),
            ("public", s("true")),
        ],
    )
    .await?;
    let categories =
        parse_categories("neighbourhood=North|Center|South|East;sex=F|M").expect("demo categories");
    let base = [
        ("North", 125.0),
        ("Center", 170.0),
        ("South", 95.0),
        ("East", 55.0),
    ];
    let mut rows = Vec::new();
    for (k, p) in ten_years.iter().copied().enumerate() {
        let growth = 1.0 + 0.028 * (k as f64 / 12.0);
        let Period::Month(_, m) = p else { continue };
        let summer = if m == 7 || m == 8 { 0.9 } else { 1.0 };
        for (hood, b) in base {
            for sex in ["F", "M"] {
                let mut v = b * growth * summer * noise.around(0.03);
                // Two figures typed with an extra digit.
                if (k, hood, sex) == (38, "North", "F") || (k, hood, sex) == (93, "Center", "M") {
                    v *= 10.0;
                }
                let sub = Subgroup::from_choices(&categories, |c| {
                    Some(if c == "neighbourhood" {
                        hood.to_string()
                    } else {
                        sex.to_string()
                    })
                })
                .expect("demo subgroup");
                rows.push(NewValue {
                    indicator_id: early,
                    period: p,
                    subgroup: sub,
                    partner_id: Some(r.edu),
                    value: whole(v),
                    comment: String::new(),
                });
            }
        }
    }
    write_values_in(txn, engine, initiative, None, &demo, &rows).await?;
    backdate(txn, early, &ten_years[96..], 6).await?;

    // Informal education: young people taking part, monthly, by age group, from
    // two partners — the Young People's Center reports late.
    let youth = indicator(
        txn,
        initiative,
        &[
            ("code", s("youth_informal_participation")),
            ("name", s("Young people in informal education activities")),
            ("definition", s("Young people aged 12 to 18 who took part in at least one activity of a youth movement, club or the Young People's Center during the month.")),
            ("unit", s("young people")),
            ("kind", s("performance")),
            ("question", s("how_much")),
            ("polarity", s("higher_is_better")),
            ("aggregation", s("sum")),
            ("period_aggregation", s("average")),
            ("frequency", s("monthly")),
            ("owner_org_id", id(r.youth)),
            ("data_source", s("Attendance lists of the Young People's Center and the school's clubs")),
            ("baseline_period", first.to_string()),
            ("baseline_value", s("610")),
            ("targets", format!("{ly}-12=900")),
            ("disaggregations", s("age_group=12-14|15-18")),
            ("reporters", format!("{},{}", r.youth, r.school)),
            ("public", s("true")),
        ],
    )
    .await?;
    let ages = parse_categories("age_group=12-14|15-18").expect("demo categories");
    let mut rows = Vec::new();
    for (k, p) in ten_years.iter().copied().enumerate() {
        let Period::Month(_, m) = p else { continue };
        let school_year = if m == 7 || m == 8 { 0.55 } else { 1.0 };
        let growth = 1.0 + 0.04 * (k as f64 / 12.0);
        for (partner, share) in [(r.youth, 0.6), (r.school, 0.4)] {
            for (age, part) in [("12-14", 0.55), ("15-18", 0.45)] {
                let v = 600.0 * share * part * growth * school_year * noise.around(0.05);
                rows.push(NewValue {
                    indicator_id: youth,
                    period: p,
                    subgroup: Subgroup::from_choices(&ages, |_| Some(age.to_string()))
                        .expect("demo subgroup"),
                    partner_id: Some(partner),
                    value: whole(v),
                    comment: String::new(),
                });
            }
        }
    }
    write_values_in(txn, engine, initiative, None, &demo, &rows).await?;
    backdate(txn, youth, &ten_years[96..], 9).await?;
    // The Young People's Center sends its last year's months five to six weeks late.
    late(txn, youth, r.youth, &ten_years[108..], 40).await?;

    // Excellence: matriculation eligibility, yearly, as a formula.
    let eligible = yearly(
        txn,
        initiative,
        "bagrut_eligible",
        "Grade 12 students eligible for a matriculation certificate",
        "students",
        r.school,
    )
    .await?;
    let students = yearly(
        txn,
        initiative,
        "grade12_students",
        "Grade 12 students",
        "students",
        r.school,
    )
    .await?;
    indicator(
        txn,
        initiative,
        &[
            ("code", s("bagrut_eligibility_rate")),
            ("name", s("Matriculation eligibility rate")),
            ("definition", s("Grade 12 students eligible for a matriculation certificate, per 100 grade 12 students.")),
            ("unit", s("%")),
            ("kind", s("population")),
            ("polarity", s("higher_is_better")),
            ("aggregation", s("sum")),
            ("period_aggregation", s("last")),
            ("frequency", s("yearly")),
            ("numerator_id", id(eligible)),
            ("denominator_id", id(students)),
            ("factor", s("100")),
            ("owner_org_id", id(r.edu)),
            ("data_source", s("Ministry of Education matriculation data")),
            ("baseline_period", (ly - 9).to_string()),
            ("baseline_value", s("52.4")),
            ("targets", format!("{}=65;{}=68;{}=70", ly - 1, ly, ly + 1)),
            ("sdg", s("4.1.1")),
            ("public", s("true")),
        ],
    )
    .await?;
    let mut rows = Vec::new();
    for (k, y) in (ly - 9..=ly).enumerate() {
        let total = 310.0 * noise.around(0.04);
        let mut share = 0.52 + 0.016 * k as f64 + 0.01 * (noise.around(1.0) - 1.0);
        // One year's eligible count was entered from the wrong column.
        if k == 4 {
            share = 1.08;
        }
        for (ind, v) in [(students, total), (eligible, total * share)] {
            rows.push(NewValue {
                indicator_id: ind,
                period: Period::Year(y),
                subgroup: Subgroup::total(),
                partner_id: Some(r.school),
                value: whole(v),
                comment: String::new(),
            });
        }
    }
    write_values_in(txn, engine, initiative, None, &demo, &rows).await?;
    create_in(
        txn,
        None,
        Some(initiative),
        &domain::measurement::indicator::ValidationRule {
            rule: "bagrut_eligible <= grade12_students".into(),
            description: "No more students can be eligible than there are students.".into(),
        },
    )
    .await?;
    Ok(())
}

async fn yearly(
    txn: &DatabaseTransaction,
    initiative: i64,
    code: &str,
    name: &str,
    unit: &str,
    reporter: i64,
) -> Result<i64> {
    indicator(
        txn,
        initiative,
        &[
            ("code", code.to_string()),
            ("name", name.to_string()),
            ("unit", unit.to_string()),
            ("kind", "population".to_string()),
            ("polarity", "higher_is_better".to_string()),
            ("aggregation", "sum".to_string()),
            ("period_aggregation", "sum".to_string()),
            ("frequency", "yearly".to_string()),
            ("reporters", reporter.to_string()),
        ],
    )
    .await
}

/// Set when the values of each of these periods were recorded: `days` after
/// the period's end.
async fn backdate(
    txn: &DatabaseTransaction,
    indicator: i64,
    periods: &[Period],
    days: i64,
) -> Result<()> {
    for p in periods.iter().copied() {
        set_recorded(txn, indicator, None, p, p.end() + Duration::days(days)).await?;
    }
    Ok(())
}

async fn late(
    txn: &DatabaseTransaction,
    indicator: i64,
    partner: i64,
    periods: &[Period],
    days: i64,
) -> Result<()> {
    for p in periods.iter().copied() {
        set_recorded(
            txn,
            indicator,
            Some(partner),
            p,
            p.end() + Duration::days(days),
        )
        .await?;
    }
    Ok(())
}

async fn set_recorded(
    txn: &DatabaseTransaction,
    indicator: i64,
    partner: Option<i64>,
    period: Period,
    on: NaiveDate,
) -> Result<()> {
    let at = Timestamp::new(on.and_hms_opt(9, 0, 0).expect("a time").and_utc());
    let mut q = Query::update();
    q.table(Alias::new("indicator_values"))
        .value(Alias::new("recorded_at"), at)
        .and_where(Expr::col(Alias::new("indicator_id")).eq(indicator))
        .and_where(Expr::col(Alias::new("period")).eq(period.to_string()));
    if let Some(p) = partner {
        q.and_where(Expr::col(Alias::new("partner_id")).eq(p));
    }
    txn.execute(&q).await?;
    Ok(())
}

/// Riverside Zero counts the people on its by-name list each month and the
/// placements into housing, as Built for Zero communities do (seed 003).
pub(crate) async fn riverside_zero(
    txn: &DatabaseTransaction,
    initiative: i64,
    coc: i64,
) -> Result<()> {
    let engine = match txn.get_database_backend() {
        DbBackend::Postgres => Engine::Postgres,
        _ => Engine::Sqlite,
    };
    let s = |v: &str| v.to_string();
    let common = |code: &str, name: &str, polarity: &str, across: &str| {
        vec![
            ("code", s(code)),
            ("name", s(name)),
            ("unit", s("people")),
            ("kind", s("population")),
            ("polarity", s(polarity)),
            ("aggregation", s("sum")),
            ("period_aggregation", s(across)),
            ("frequency", s("monthly")),
            ("owner_org_id", coc.to_string()),
            ("data_source", s("The Continuum of Care's by-name list")),
            ("disaggregations", s("household=single_adults|families")),
            ("reporters", coc.to_string()),
            ("public", s("true")),
        ]
    };
    let homeless = indicator(
        txn,
        initiative,
        &common(
            "actively_homeless",
            "People actively homeless",
            "lower_is_better",
            "last",
        ),
    )
    .await?;
    let housed = indicator(
        txn,
        initiative,
        &common(
            "housing_placements",
            "People housed this month",
            "higher_is_better",
            "sum",
        ),
    )
    .await?;
    let categories = parse_categories("household=single_adults|families").expect("demo categories");
    let mut noise = Noise(2023);
    let mut rows = Vec::new();
    let three_years = last_months(36);
    for (k, p) in three_years.iter().copied().enumerate() {
        for (household, size) in [("single_adults", 140.0), ("families", 45.0)] {
            let sub = Subgroup::from_choices(&categories, |_| Some(household.to_string()))
                .expect("demo subgroup");
            let on_list = size * (1.0 - 0.012 * k as f64) * noise.around(0.04);
            let placed = size * 0.09 * (1.0 + 0.01 * k as f64) * noise.around(0.15);
            for (ind, v) in [(homeless, on_list), (housed, placed)] {
                rows.push(NewValue {
                    indicator_id: ind,
                    period: p,
                    subgroup: sub.clone(),
                    partner_id: Some(coc),
                    value: whole(v),
                    comment: String::new(),
                });
            }
        }
    }
    let demo = BatchSource {
        source: "demo".into(),
        file_name: String::new(),
        file_hash: String::new(),
    };
    write_values_in(txn, engine, initiative, None, &demo, &rows).await?;
    backdate(txn, homeless, &three_years[24..], 3).await?;
    backdate(txn, housed, &three_years[24..], 3).await?;
    create_in(
        txn,
        None,
        Some(initiative),
        &domain::measurement::indicator::ValidationRule {
            rule: "housing_placements <= actively_homeless".into(),
            description: "A month's placements come from the people on the list.".into(),
        },
    )
    .await?;
    Ok(())
}
