//! The community investment fund (seed 003: Wigan reinvested savings through
//! a Communities Investment Fund). A [`FundCall`] is a registry record: its
//! budget, weighted criteria, eligibility, open period and the organization
//! that runs it. Applications, conflict declarations, scores, awards, payment
//! schedules and progress reports are plain rows with their own store path;
//! the rules they follow are here.
//!
//! Scoring: each assessor gives every criterion a score from 0 to
//! [`MAX_SCORE`]; the weighted score is `Σ score × weight` with weights summing
//! to 100, so it is an exact integer in hundredths of a point (0–500). An
//! application's rank is by the mean of its assessors' weighted scores,
//! compared exactly (as fractions), then by id.

use std::cmp::Ordering;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::money::{self, MAX_MINOR};
use super::records::{MAX_ANSWER, parse_money};
use crate::resource::{Column, Resource, Scope};
use crate::validation::{FieldErrors, FieldMap, MAX_NAME, Parser};

/// The highest score of one criterion.
pub const MAX_SCORE: i64 = 5;
/// Weights of a call's criteria add up to this.
pub const WEIGHTS_TOTAL: i64 = 100;
/// The languages an application may be written in.
pub const LANGUAGES: &[&str] = &["en", "es", "he"];

/// One criterion of a call and its weight (a positive integer; a call's
/// weights sum to 100).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub key: String,
    pub weight: i64,
}

/// Read `need=40;impact=30;feasibility=30`: keys are lower-case words
/// (letters, digits, `_`), each once; weights positive integers summing to 100.
pub fn parse_criteria(text: &str) -> Result<Vec<Criterion>, String> {
    let mut out: Vec<Criterion> = vec![];
    for part in text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let Some((k, w)) = part.split_once('=') else {
            return Err(format!(
                "criterion \"{part}\" must read name=weight, e.g. need=40"
            ));
        };
        let key = k.trim().to_lowercase();
        if key.is_empty()
            || key.len() > 40
            || !key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!(
                "criterion name \"{}\" must be a word of letters, digits or _",
                k.trim()
            ));
        }
        let weight: i64 = match w.trim().parse() {
            Ok(v) if (1..=WEIGHTS_TOTAL).contains(&v) => v,
            _ => {
                return Err(format!(
                    "the weight of {key} must be a whole number from 1 to {WEIGHTS_TOTAL}"
                ));
            }
        };
        if out.iter().any(|c| c.key == key) {
            return Err(format!("criterion {key} is given twice"));
        }
        out.push(Criterion { key, weight });
    }
    if out.is_empty() {
        return Err("criteria are required, e.g. need=40;impact=30;feasibility=30".into());
    }
    let total: i64 = out.iter().map(|c| c.weight).sum();
    if total != WEIGHTS_TOTAL {
        return Err(format!("the weights must sum to 100, not {total}"));
    }
    Ok(out)
}

/// The text form of criteria (`need=40;impact=30`).
pub fn format_criteria(c: &[Criterion]) -> String {
    c.iter()
        .map(|c| format!("{}={}", c.key, c.weight))
        .collect::<Vec<_>>()
        .join(";")
}

/// A call for applications of the fund.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FundCall {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub budget_minor: i64,
    pub currency: String,
    /// `need=40;impact=30;feasibility=30`.
    pub criteria: String,
    #[serde(default)]
    pub eligibility: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    /// The organization that runs the fund (360Giving's funding organization).
    pub organization_id: i64,
    /// SDG targets the call serves (comma-separated codes).
    #[serde(default)]
    pub sdg: String,
}

/// Where a day stands against a call's open period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    NotYetOpen,
    Open,
    Closed,
}

impl FundCall {
    pub fn criteria_list(&self) -> Vec<Criterion> {
        parse_criteria(&self.criteria).unwrap_or_default()
    }
    pub fn period(&self, day: NaiveDate) -> Period {
        if day < self.opens_on {
            Period::NotYetOpen
        } else if day > self.closes_on {
            Period::Closed
        } else {
            Period::Open
        }
    }
    /// Refuse an application on `day` unless the call is open.
    pub fn check_open(&self, day: NaiveDate) -> Result<(), FieldErrors> {
        match self.period(day) {
            Period::Open => Ok(()),
            Period::NotYetOpen => Err(FieldErrors::single(
                "call",
                "not_open",
                format!(
                    "this call opens for applications on {}; it is not open yet",
                    self.opens_on
                ),
            )),
            Period::Closed => Err(FieldErrors::single(
                "call",
                "closed",
                format!(
                    "this call closed for applications on {}; applications are no longer accepted",
                    self.closes_on
                ),
            )),
        }
    }
}

impl Resource for FundCall {
    const KIND: &'static str = "fund_call";
    const TABLE: &'static str = "fund_calls";
    const SCOPE: Scope = Scope::Initiative;
    fn columns() -> &'static [Column] {
        const C: &[Column] = &[
            Column::text("name").unique(),
            Column::text("description"),
            Column::int("budget_minor"),
            Column::text("currency"),
            Column::text("criteria"),
            Column::text("eligibility"),
            Column::date("opens_on"),
            Column::date("closes_on"),
            Column::int("organization_id").refers("organizations"),
            Column::text("sdg"),
        ];
        C
    }
    fn parse(input: &FieldMap) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let name = p.name("name", MAX_NAME);
        let description = p
            .opt_text("description", MAX_ANSWER, true)
            .unwrap_or_default();
        let (currency, budget_minor) = parse_money(&mut p, input, "budget", "budget_minor");
        if budget_minor == 0 && p.errors.get("budget").is_none() {
            p.errors
                .add("budget", "not_positive", "budget must be more than zero");
        }
        let criteria = match parse_criteria(input.get("criteria").map(String::as_str).unwrap_or(""))
        {
            Ok(c) => format_criteria(&c),
            Err(m) => {
                p.errors.add("criteria", "invalid_criteria", m);
                String::new()
            }
        };
        let eligibility = p
            .opt_text("eligibility", MAX_ANSWER, true)
            .unwrap_or_default();
        let opens_on = p.date("opens_on");
        let closes_on = p.date("closes_on");
        if let (Some(o), Some(c)) = (opens_on, closes_on)
            && c < o
        {
            p.errors.add(
                "closes_on",
                "ends_before_start",
                "closes_on must not be before opens_on",
            );
        }
        let organization_id = p.id("organization_id");
        let sdg = crate::sdg::parse_field(&mut p, "sdg");
        match (opens_on, closes_on) {
            (Some(opens_on), Some(closes_on)) => p.errors.finish(Self {
                name,
                description,
                budget_minor,
                currency,
                criteria,
                eligibility,
                opens_on,
                closes_on,
                organization_id,
                sdg,
            }),
            _ => Err(p.errors),
        }
    }
    fn to_fields(&self) -> FieldMap {
        let mut m = self.stored_values();
        m.insert(
            "budget".into(),
            money::format_minor(self.budget_minor, &self.currency),
        );
        m.remove("budget_minor");
        m
    }
    fn label(&self) -> String {
        self.name.clone()
    }
}

/// What an applicant submits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub organization_name: String,
    /// org-id identifier (`GB-CHC-1234567`, `IL-ASC-580000000`), when it has one.
    pub org_identifier: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub title: String,
    pub description: String,
    pub amount_minor: i64,
    pub currency: String,
    pub sdg: String,
    pub language: String,
}

impl Application {
    /// Parse an application to `call`: the amount is in the call's currency
    /// (a decimal `amount` in major units, or `amount_minor`).
    pub fn parse(input: &FieldMap, call: &FundCall) -> Result<Self, FieldErrors> {
        let mut p = Parser::new(input);
        let organization_name = p.name("organization_name", MAX_NAME);
        let org_identifier = p.opt_org_identifier("org_identifier");
        let contact_name = p.name("contact_name", MAX_NAME);
        let contact_email = match p.opt_email("contact_email") {
            Some(e) => e,
            None => {
                if p.errors.get("contact_email").is_none() {
                    p.errors
                        .add("contact_email", "required", "contact_email is required");
                }
                String::new()
            }
        };
        let title = p.name("title", MAX_NAME);
        let description = p
            .opt_text("description", MAX_ANSWER, true)
            .unwrap_or_default();
        if description.is_empty() && p.errors.get("description").is_none() {
            p.errors
                .add("description", "required", "description is required");
        }
        if let Some(c) = input.get("currency").map(|c| c.trim().to_uppercase())
            && !c.is_empty()
            && c != call.currency
        {
            p.errors.add(
                "currency",
                "currency_mismatch",
                format!(
                    "this call funds in {}; an amount in {c} is not accepted (currencies are never converted)",
                    call.currency
                ),
            );
        }
        let amount_minor = read_amount(&mut p, input, "amount", &call.currency);
        if amount_minor > call.budget_minor {
            p.errors.add(
                "amount",
                "over_budget",
                format!(
                    "the amount requested is more than the call's whole budget ({})",
                    money::display(call.budget_minor, &call.currency)
                ),
            );
        }
        let sdg = crate::sdg::parse_field(&mut p, "sdg");
        let language = match input.get("language").map(|l| l.trim()).unwrap_or("") {
            "" => "en".to_string(),
            l if LANGUAGES.contains(&l) => l.to_string(),
            _ => {
                p.errors.add(
                    "language",
                    "invalid_choice",
                    "language must be en, es or he",
                );
                String::new()
            }
        };
        p.errors.finish(Self {
            organization_name,
            org_identifier,
            contact_name,
            contact_email,
            title,
            description,
            amount_minor,
            currency: call.currency.clone(),
            sdg,
            language,
        })
    }
}

/// A positive amount in `currency`: `{field}` in major units or `{field}_minor`.
pub fn read_amount(p: &mut Parser, input: &FieldMap, field: &str, currency: &str) -> i64 {
    let minor_field = format!("{field}_minor");
    let v = match input
        .get(&minor_field)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        Some(_) => p.int(&minor_field, 0, MAX_MINOR),
        None => match input.get(field).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => {
                p.errors
                    .add(field, "required", format!("{field} is required"));
                return 0;
            }
            Some(s) => match money::parse_amount(s, currency) {
                Ok(v) => v,
                Err(e) => {
                    let code = match e {
                        money::AmountError::Negative => "negative",
                        _ => "invalid_amount",
                    };
                    p.errors.add(field, code, e.message(field, currency));
                    return 0;
                }
            },
        },
    };
    if v <= 0 && p.errors.get(field).is_none() && p.errors.get(&minor_field).is_none() {
        p.errors.add(
            field,
            "not_positive",
            format!("{field} must be more than zero"),
        );
    }
    v
}

/// Read one score per criterion (`score_{key}`, 0–5) and give them in the
/// call's order.
pub fn parse_scores(criteria: &[Criterion], input: &FieldMap) -> Result<Vec<i64>, FieldErrors> {
    let mut p = Parser::new(input);
    let scores: Vec<i64> = criteria
        .iter()
        .map(|c| p.int(&format!("score_{}", c.key), 0, MAX_SCORE))
        .collect();
    p.errors.finish(scores)
}

/// `Σ score × weight`: hundredths of a point, 0–500 when the weights sum to 100.
pub fn weighted_score(criteria: &[Criterion], scores: &[i64]) -> i64 {
    criteria.iter().zip(scores).map(|(c, s)| c.weight * s).sum()
}

/// The mean of weighted scores, kept exact as a fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mean {
    pub sum: i64,
    pub count: i64,
}

impl Mean {
    pub fn of(scores: &[i64]) -> Mean {
        Mean {
            sum: scores.iter().sum(),
            count: scores.len() as i64,
        }
    }
    /// Hundredths of a point, rounded half up (for display).
    pub fn hundredths(self) -> Option<i64> {
        (self.count > 0).then(|| (2 * self.sum + self.count) / (2 * self.count))
    }
    /// The mean as a points figure with two decimals ("3.70"), or "—".
    pub fn display(self) -> String {
        match self.hundredths() {
            Some(h) => format!("{}.{:02}", h / 100, h % 100),
            None => "—".into(),
        }
    }
    /// Highest first; an application nobody scored comes last.
    pub fn rank_cmp(self, other: Mean) -> Ordering {
        match (self.count, other.count) {
            (0, 0) => Ordering::Equal,
            (0, _) => Ordering::Greater,
            (_, 0) => Ordering::Less,
            _ => (other.sum * self.count).cmp(&(self.sum * other.count)),
        }
    }
}

/// Rank `(id, weighted scores)` by mean, highest first, ties by id. Gives
/// `(id, mean, rank)` with ties sharing a rank.
pub fn ranking(apps: &[(i64, Vec<i64>)]) -> Vec<(i64, Mean, usize)> {
    let mut v: Vec<(i64, Mean)> = apps.iter().map(|(id, s)| (*id, Mean::of(s))).collect();
    v.sort_by(|a, b| a.1.rank_cmp(b.1).then(a.0.cmp(&b.0)));
    let mut out: Vec<(i64, Mean, usize)> = vec![];
    for (i, (id, m)) in v.iter().enumerate() {
        let rank = match out.last() {
            Some((_, pm, pr)) if pm.rank_cmp(*m) == Ordering::Equal => *pr,
            _ => i + 1,
        };
        out.push((*id, *m, rank));
    }
    out
}

/// Refuse an award unless it is in the call's currency, positive, no more
/// than requested and no more than what is left of the call's budget.
pub fn check_award(
    amount: i64,
    currency: &str,
    requested: i64,
    call: &FundCall,
    already_awarded: i64,
) -> Result<(), FieldErrors> {
    let d = |m: i64| money::display(m, &call.currency);
    if currency != call.currency {
        return Err(FieldErrors::single(
            "currency",
            "currency_mismatch",
            format!(
                "this call awards in {}, not {currency}: currencies are never converted",
                call.currency
            ),
        ));
    }
    if amount <= 0 {
        return Err(FieldErrors::single(
            "amount",
            "not_positive",
            "amount must be more than zero",
        ));
    }
    if amount > requested {
        return Err(FieldErrors::single(
            "amount",
            "over_request",
            format!(
                "the award ({}) is more than the applicant requested ({})",
                d(amount),
                d(requested)
            ),
        ));
    }
    let remaining = call.budget_minor - already_awarded;
    if amount > remaining {
        return Err(FieldErrors::single(
            "amount",
            "over_budget",
            format!(
                "the award ({}) is more than what remains of the call's budget ({} of {})",
                d(amount),
                d(remaining),
                d(call.budget_minor)
            ),
        ));
    }
    Ok(())
}

/// One instalment of a payment schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instalment {
    pub due_on: NaiveDate,
    pub amount_minor: i64,
}

/// Read a schedule, one instalment a line: `2025-03-01 40000.00` (date, then
/// the amount in major units of `currency`), and refuse it unless the amounts
/// sum exactly to the award.
pub fn parse_schedule(
    text: &str,
    currency: &str,
    award: i64,
) -> Result<Vec<Instalment>, FieldErrors> {
    let err = |m: String| FieldErrors::single("schedule", "invalid_schedule", m);
    let mut out = vec![];
    for (n, line) in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let row = n + 1;
        let mut parts = line.split_whitespace();
        let (Some(d), Some(a), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err(format!(
                "line {row}: write a date and an amount, e.g. 2025-03-01 40000"
            )));
        };
        let due_on = NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| err(format!("line {row}: {d} is not a date (YYYY-MM-DD)")))?;
        let amount_minor = money::parse_amount(a, currency)
            .map_err(|e| err(format!("line {row}: {}", e.message("amount", currency))))?;
        if amount_minor <= 0 {
            return Err(err(format!(
                "line {row}: the amount must be more than zero"
            )));
        }
        out.push(Instalment {
            due_on,
            amount_minor,
        });
    }
    check_schedule(&out, currency, award)?;
    Ok(out)
}

/// Refuse a schedule whose instalments do not sum exactly to the award.
pub fn check_schedule(
    instalments: &[Instalment],
    currency: &str,
    award: i64,
) -> Result<(), FieldErrors> {
    if instalments.is_empty() {
        return Err(FieldErrors::single(
            "schedule",
            "required",
            "a payment schedule needs at least one instalment",
        ));
    }
    // Summed wide: instalments typed as huge as an i64 allows must be
    // refused, not overflow.
    let total: i128 = instalments.iter().map(|i| i.amount_minor as i128).sum();
    if total != award as i128 {
        let shown = i64::try_from(total)
            .map(|t| money::display(t, currency))
            .unwrap_or_else(|_| format!("more than {}", money::display(i64::MAX, currency)));
        return Err(FieldErrors::single(
            "schedule",
            "not_award_total",
            format!(
                "the instalments sum to {shown}, not to the award of {}",
                money::display(award, currency)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_instalments_and_weights_are_refused_not_overflowed() {
        let big = |d: &str| Instalment {
            due_on: NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap(),
            amount_minor: i64::MAX,
        };
        let e = check_schedule(&[big("2025-01-01"), big("2025-02-01")], "ILS", 100).unwrap_err();
        assert!(
            e.get("schedule").unwrap().message.contains("more than"),
            "{e:?}"
        );
        assert!(parse_criteria("a=9223372036854775807;b=9223372036854775807").is_err());
        assert!(parse_criteria("a=101;b=-1").is_err());
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn fields(pairs: &[(&str, &str)]) -> FieldMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    fn call() -> FundCall {
        FundCall::parse(&fields(&[
            ("name", "Community Investment Fund 2025"),
            ("budget", "120000"),
            ("currency", "ILS"),
            ("criteria", "need=40; impact=30; feasibility=30"),
            ("opens_on", "2025-01-01"),
            ("closes_on", "2025-02-28"),
            ("organization_id", "4"),
            ("sdg", "11.3"),
        ]))
        .unwrap()
    }

    #[test]
    fn criteria_need_positive_weights_summing_to_100() {
        let c = parse_criteria("need=40;impact=30;feasibility=30").unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(format_criteria(&c), "need=40;impact=30;feasibility=30");
        assert!(
            parse_criteria("need=40;impact=30")
                .unwrap_err()
                .contains("70")
        );
        assert!(parse_criteria("need=0;impact=100").is_err());
        assert!(parse_criteria("need=50;need=50").is_err());
        assert!(parse_criteria("need").is_err());
        assert!(parse_criteria("").is_err());
    }

    #[test]
    fn a_call_reads_its_budget_in_minor_units() {
        let c = call();
        assert_eq!(c.budget_minor, 12_000_000);
        assert_eq!(c.criteria, "need=40;impact=30;feasibility=30");
        let e = FundCall::parse(&fields(&[
            ("name", "x"),
            ("budget", "-1"),
            ("currency", "ILS"),
            ("criteria", "need=60;impact=30"),
            ("opens_on", "2025-03-01"),
            ("closes_on", "2025-02-01"),
            ("organization_id", "4"),
        ]))
        .unwrap_err();
        for f in ["budget", "criteria", "closes_on"] {
            assert!(e.get(f).is_some(), "{f}: {e:?}");
        }
    }

    #[test]
    fn applications_only_while_the_call_is_open() {
        let c = call();
        assert!(c.check_open(d("2025-01-01")).is_ok());
        assert!(c.check_open(d("2025-02-28")).is_ok());
        let before = c.check_open(d("2024-12-31")).unwrap_err();
        assert_eq!(before.get("call").unwrap().code, "not_open");
        let after = c.check_open(d("2025-03-01")).unwrap_err();
        assert_eq!(after.get("call").unwrap().code, "closed");
        assert!(after.get("call").unwrap().message.contains("2025-02-28"));
    }

    #[test]
    fn an_application_is_in_the_call_currency() {
        let c = call();
        let a = Application::parse(
            &fields(&[
                ("organization_name", "Neighbours Hub"),
                ("org_identifier", "IL-ASC-580123456"),
                ("contact_name", "Dana"),
                ("contact_email", "dana@example.org"),
                ("title", "Hub"),
                ("description", "A hub"),
                ("amount", "45,000.50"),
                ("language", "he"),
            ]),
            &c,
        )
        .unwrap();
        assert_eq!(a.amount_minor, 4_500_050);
        assert_eq!(a.currency, "ILS");
        let e = Application::parse(
            &fields(&[
                ("organization_name", "x"),
                ("org_identifier", "nope"),
                ("contact_name", "x"),
                ("contact_email", "not an email"),
                ("title", "x"),
                ("description", "x"),
                ("amount", "200000"),
                ("currency", "GBP"),
            ]),
            &c,
        )
        .unwrap_err();
        for f in ["org_identifier", "contact_email", "amount", "currency"] {
            assert!(e.get(f).is_some(), "{f}: {e:?}");
        }
    }

    #[test]
    fn weighted_scores_and_ranking_worked_by_hand() {
        let c = parse_criteria("need=40;impact=30;feasibility=30").unwrap();
        // 4×40 + 3×30 + 5×30 = 160 + 90 + 150 = 400 → 4.00 points.
        assert_eq!(weighted_score(&c, &[4, 3, 5]), 400);
        // 3×40 + 4×30 + 4×30 = 120 + 120 + 120 = 360.
        assert_eq!(weighted_score(&c, &[3, 4, 4]), 360);
        // Application 1: (400 + 360) / 2 = 380; application 2: 370 alone;
        // application 3: (500 + 261) / 2 = 380.5; application 4 unscored.
        let r = ranking(&[
            (1, vec![400, 360]),
            (2, vec![370]),
            (3, vec![500, 261]),
            (4, vec![]),
        ]);
        let ids: Vec<i64> = r.iter().map(|x| x.0).collect();
        assert_eq!(ids, [3, 1, 2, 4]);
        assert_eq!(r[0].1.display(), "3.81"); // 380.5 rounds half up
        assert_eq!(r[1].1.display(), "3.80");
        assert_eq!(r[3].1.display(), "—");
        // A tie shares its rank.
        let t = ranking(&[(5, vec![300]), (6, vec![200, 400]), (7, vec![100])]);
        assert_eq!(
            t.iter().map(|x| (x.0, x.2)).collect::<Vec<_>>(),
            [(5, 1), (6, 1), (7, 3)]
        );
        let s =
            parse_scores(&c, &fields(&[("score_need", "6"), ("score_impact", "2")])).unwrap_err();
        assert!(s.get("score_need").is_some() && s.get("score_feasibility").is_some());
    }

    #[test]
    fn awards_within_request_budget_and_currency() {
        let c = call();
        assert!(check_award(5_000_000, "ILS", 5_000_000, &c, 7_000_000).is_ok());
        let e = |r: Result<(), FieldErrors>, f: &str| r.unwrap_err().get(f).unwrap().code;
        assert_eq!(
            e(check_award(5_000_001, "ILS", 5_000_000, &c, 0), "amount"),
            "over_request"
        );
        assert_eq!(
            e(
                check_award(5_000_000, "ILS", 6_000_000, &c, 7_000_001),
                "amount"
            ),
            "over_budget"
        );
        assert_eq!(
            e(check_award(100, "GBP", 6_000_000, &c, 0), "currency"),
            "currency_mismatch"
        );
    }

    #[test]
    fn a_schedule_sums_exactly_to_the_award() {
        let s =
            parse_schedule("2025-04-01 30000\n2025-10-01 20000.00\n", "ILS", 5_000_000).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].amount_minor, 2_000_000);
        let e =
            parse_schedule("2025-04-01 30000\n2025-10-01 19999.99", "ILS", 5_000_000).unwrap_err();
        assert_eq!(e.get("schedule").unwrap().code, "not_award_total");
        assert!(parse_schedule("2025-04-01", "ILS", 100).is_err());
        assert!(parse_schedule("", "ILS", 100).is_err());
    }
}
